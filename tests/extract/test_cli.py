"""The `elt` command line as a user meets it: flags reach the stage, `.env` is read, one-line
errors, the pipeline name is readable and printed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from extract import cli
from extract import stages as stage_module
from tests.extract.conftest import REPO, duckdb_target, org_ids
from tests.extract.test_config import environ


@pytest.fixture
def stages(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Record the stages `elt` starts and what they receive, without running them."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def extract_stage(**options: Any) -> int:
        calls.append(("extract", options))
        return 0

    def transform_stage(args: Any = (), **_: Any) -> int:
        calls.append(("transform", {"args": tuple(args)}))
        return 0

    monkeypatch.setattr(stage_module, "extract_stage", extract_stage)
    monkeypatch.setattr(stage_module, "transform_stage", transform_stage)
    return calls


def test_run_passes_its_flags_to_the_extract(stages, tmp_path: Path) -> None:
    with environ({"ELT_ENV_FILE": str(tmp_path / "none.env")}):
        code = cli.main(["run", "--full-refresh", "--skip-forbidden", "--resources", "jobs"])
    assert code == 0
    assert [name for name, _ in stages] == ["extract", "transform"]
    options = stages[0][1]
    assert options["full_refresh"] and options["skip_forbidden"]
    assert options["resources"] == "jobs"


def test_flags_also_come_from_the_environment(stages, tmp_path: Path) -> None:
    env = {"GREENHOUSE_FULL_REFRESH": "true", "ELT_ENV_FILE": str(tmp_path / "none.env")}
    with environ(env):
        assert cli.main(["extract"]) == 0
    assert stages == [
        ("extract", {"full_refresh": True, "skip_forbidden": False, "resources": None,
                     "sweep_deletes": False, "force": False, "summary_json": None}),
    ]  # fmt: skip


def test_run_sweep_deletes_reaches_the_extract_stage(stages, tmp_path: Path) -> None:
    with environ({"ELT_ENV_FILE": str(tmp_path / "none.env")}):
        assert cli.main(["run", "--sweep-deletes"]) == 0
    assert [name for name, _ in stages] == ["extract", "transform"]
    assert stages[0][1]["sweep_deletes"] is True


def test_a_failed_extract_stops_the_run_with_its_exit_code(monkeypatch, capsys) -> None:
    monkeypatch.setattr(stage_module, "extract_stage", lambda **_: 2)
    monkeypatch.setattr(stage_module, "transform_stage", lambda *_: pytest.fail("transform ran"))
    with environ({}):
        assert cli.main(["run"]) == 2
    assert "FAILED in stage 'extract' (exit 2)" in capsys.readouterr().err


def test_unknown_option_is_one_line_with_exit_2(capsys) -> None:
    with environ({}):
        assert cli.main(["extract", "--full-refrsh"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("error:") and "--full-refrsh" in err


def test_dotenv_is_read_and_the_environment_wins(sandbox, tmp_path: Path, capsys) -> None:
    """Credentials in `.env`, an exported DEST/DUCKDB_PATH: the extract uses both."""
    env_file = tmp_path / ".env"
    env_file.write_text(
        "\n".join(f"{k}={v}" for k, v in sandbox.env("v3").items())
        + "\nDUCKDB_PATH=/nonexistent/ignored.duckdb\n"
    )
    env = {
        "ELT_ENV_FILE": str(env_file),
        "DUCKDB_PATH": str(tmp_path / "raw.duckdb"),
        "GREENHOUSE_PIPELINES_DIR": str(tmp_path / "pipelines"),
        "GREENHOUSE_SETTLE_SECONDS": "0",
    }
    with environ(env):
        code = cli.main(["extract", "--resources", "departments,offices"])
    out = capsys.readouterr()
    assert code == 0, out.err
    target = duckdb_target(env)
    assert target.ids("departments") == sorted(org_ids(sandbox.org, "departments"))
    # the pipeline's name says what it loads, and the run prints it
    assert "pipeline greenhouse_v3_duckdb_raw" in out.err
    assert (tmp_path / "pipelines" / "greenhouse_v3_duckdb_raw").is_dir()
    # which is what dlt's own command line takes to inspect the run
    import subprocess
    import sys

    info = subprocess.run(
        [str(Path(sys.executable).with_name("dlt")), "pipeline", "--pipelines-dir",
         str(tmp_path / "pipelines"), "greenhouse_v3_duckdb_raw", "info"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert info.returncode == 0, info.stderr
    assert "greenhouse_raw" in info.stdout and "departments" in info.stdout


def test_an_interrupted_run_exits_130_and_the_rerun_completes(
    sandbox_factory, extract_env, run_extract
) -> None:
    """Ctrl-C during the extract: exit 130 with one line; the next run lands everything."""
    import signal
    import subprocess
    import sys

    from tests.extract.conftest import clean_environ
    from tests.extract.test_load import assert_every_record_landed

    sandbox = sandbox_factory(candidates=60, slow_ms=200)
    env = {**clean_environ(), **extract_env, **sandbox.env("v3"), "GREENHOUSE_WORKERS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "extract", "run"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:  # wait until the extract is really under way
        seen.append(line)
        if "first load of" in line:
            break
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    assert proc.wait(timeout=120) == 130, "".join(seen) + rest
    errors = [line for line in rest.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: interrupted; rerun to finish (loaded data and cursors stay consistent)"
    ]
    sandbox.set_faults()
    run_extract({**extract_env, **sandbox.env("v3")}).check()
    assert_every_record_landed(duckdb_target(extract_env), sandbox, "v3")


def test_pipeline_builds_leave_dbt_unit_tests_out_unless_asked() -> None:
    from extract.dbt_runner import production_build_env

    assert production_build_env({}) == {"DBT_EXCLUDE_RESOURCE_TYPES": "unit_test"}
    assert production_build_env({"ELT_DBT_UNIT_TESTS": "true"}) == {}
    # the user's own choice of what dbt leaves out wins, even an empty one
    assert production_build_env({"DBT_EXCLUDE_RESOURCE_TYPES": ""}) == {}


def test_dbt_learns_the_endpoints_the_extract_reads(monkeypatch, tmp_path) -> None:
    """The opt-in EEOC models follow the extract's selection wherever it is configured (here
    dlt's own variable, as .dlt/config.toml would give it), not only GREENHOUSE_RESOURCES."""
    from extract import dbt_runner

    seen: dict[str, str] = {}

    def child(argv: list[str], cwd: str, env: dict[str, str]) -> int:
        seen.update(env)
        return 0

    monkeypatch.delenv("GREENHOUSE_RESOURCES", raising=False)
    monkeypatch.setenv("SOURCES__GREENHOUSE__RESOURCES", "candidates, eeoc")
    monkeypatch.setenv("DEST", "duckdb")
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "g.duckdb"))
    monkeypatch.setenv("DBT_PROJECT_DIR", str(REPO / "transform"))
    monkeypatch.setattr(dbt_runner, "call_child", child)
    assert dbt_runner.dbt("parse") == 0
    assert seen["GREENHOUSE_RESOURCES"] == "candidates,eeoc"
