"""Two runs at once on one pipeline: the second says who holds it and exits 2, changing nothing;
the first lands everything; a holder killed with -9 leaves no stale lock."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from typing import IO

import pytest

from tests.deploy.test_scheduler import EVERY_SECOND, schedule
from tests.extract.conftest import REPO, clean_environ, duckdb_target
from tests.extract.test_load import assert_every_record_landed


def _start(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "extract", "extract"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(stream: IO[str] | None, text: str) -> list[str]:
    """Read stderr until a line contains ``text`` (the run is under way)."""
    assert stream is not None
    seen = []
    for line in stream:
        seen.append(line)
        if text in line:
            return seen
    raise AssertionError("the run ended before printing " + repr(text) + ":\n" + "".join(seen))


def test_a_second_run_is_refused_while_the_first_runs(
    sandbox_factory, extract_env, run_extract
) -> None:
    sandbox = sandbox_factory(candidates=60, slow_ms=150)
    env = {**clean_environ(), **extract_env, **sandbox.env("v3"), "GREENHOUSE_WORKERS": "1"}
    first = _start(env)
    try:
        _wait_for(first.stderr, "first load of")  # holds the lock and is extracting
        second = run_extract({**extract_env, **sandbox.env("v3")}, timeout=120)
        assert second.returncode == 2, second.stderr
        assert len(second.error_lines) == 1, second.stderr
        line = second.error_lines[0]
        assert re.match(
            rf"error: another run \(PID {first.pid}\) is in progress since \d{{4}}-\d\d-\d\dT", line
        ), line
        assert "Traceback" not in second.stderr
        sandbox.set_faults()
        assert first.stderr is not None
        rest = first.stderr.read()
        assert first.wait(timeout=300) == 0, rest
    finally:
        if first.poll() is None:
            first.kill()
    assert_every_record_landed(duckdb_target(extract_env), sandbox, "v3")


@pytest.mark.postgres
def test_two_hosts_on_one_postgres_dataset_exclude_each_other(
    sandbox_factory, extract_env, run_extract, postgres_db, tmp_path
) -> None:
    """Two containers (pipelines dirs of their own, so no shared lock file) writing one
    PostgreSQL dataset: the second is refused by the server-side lock, naming the first; the
    first lands everything; a killed holder leaves nothing behind (the server ends its lock)."""
    sandbox = sandbox_factory(candidates=60, slow_ms=150)
    database = {"DEST": "postgres", **postgres_db.env()}
    first_env = {**clean_environ(), **extract_env, **database, **sandbox.env("v3")}
    first = _start({**first_env, "GREENHOUSE_WORKERS": "1"})
    other_host = {**extract_env, **database, "GREENHOUSE_PIPELINES_DIR": str(tmp_path / "host2")}
    try:
        _wait_for(first.stderr, "first load of")
        second = run_extract({**other_host, **sandbox.env("v3")}, timeout=120)
        assert second.returncode == 2, second.stderr
        assert len(second.error_lines) == 1, second.stderr
        line = second.error_lines[0]
        assert re.match(
            rf"error: another run \(PID {first.pid} on \S+\) is in progress since "
            r"\d{4}-\d\d-\d\dT.* \(held in PostgreSQL: another host or pipelines dir\)",
            line,
        ), line
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=60)
        sandbox.set_faults()
        run_extract({**other_host, **sandbox.env("v3")}).check()
    finally:
        if first.poll() is None:
            first.kill()
    with postgres_db.connect() as connection, connection.cursor() as cursor:
        cursor.execute("select count(*) from greenhouse_raw.candidates")
        assert cursor.fetchone()[0] == 60


def test_a_killed_holder_leaves_no_stale_lock(sandbox_factory, extract_env, run_extract) -> None:
    sandbox = sandbox_factory(candidates=60, slow_ms=150)
    env = {**clean_environ(), **extract_env, **sandbox.env("v3"), "GREENHOUSE_WORKERS": "1"}
    first = _start(env)
    _wait_for(first.stderr, "first load of")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=60)
    sandbox.set_faults()
    run_extract({**extract_env, **sandbox.env("v3")}).check()
    assert_every_record_landed(duckdb_target(extract_env), sandbox, "v3")


def test_the_scheduler_logs_a_locked_out_run_as_skipped() -> None:
    line = (
        "error: another run (PID 4242) is in progress since 2026-01-01T00:00:00Z on pipeline "
        "greenhouse_v3_duckdb_greenhouse; this run changed nothing"
    )
    command = f"echo '{line}' >&2; exit 2"
    result = schedule("--max-runs", "1", "--", "sh", "-c", command, env={"SCHEDULE": EVERY_SECOND})
    log = result.stderr
    assert result.returncode == 0, log  # a skipped run is not a failure
    assert "run 1 skipped: another run (PID 4242) is in progress since" in log, log
    assert line in log  # the child's own line is still in the log
    assert "FAILED" not in log and "stopped after 1 run(s), 0 failed" in log


def test_the_transform_is_refused_while_a_run_holds_the_lock(extract_env, monkeypatch) -> None:
    """`elt transform` reads what an extract writes: refused while a run holds the lock."""
    from extract.destinations import plan_for
    from extract.pipeline import lock_for

    monkeypatch.setenv("GREENHOUSE_PIPELINES_DIR", extract_env["GREENHOUSE_PIPELINES_DIR"])
    plan = plan_for("duckdb", extract_env["DUCKDB_PATH"])
    with lock_for("v3", "duckdb", plan, "greenhouse_raw"):
        proc = subprocess.run(
            [sys.executable, "-m", "extract", "transform"],
            cwd=REPO,
            env={**clean_environ(), **extract_env},
            capture_output=True,
            text=True,
            timeout=120,
        )
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode == 2, proc.stderr
    assert len(errors) == 1 and errors[0].startswith("error: another run (PID "), proc.stderr
    assert f"(PID {os.getpid()})" in errors[0]


def test_an_unwritable_lock_dir_is_one_clear_line(tmp_path) -> None:
    import pytest

    from extract.errors import ConfigError
    from extract.lock import run_lock

    blocker = tmp_path / "file"
    blocker.write_text("")
    with (
        pytest.raises(ConfigError, match="GREENHOUSE_PIPELINES_DIR to a writable directory"),
        run_lock(str(blocker / "pipelines"), "p", "duckdb:/x", "raw"),
    ):
        pass
