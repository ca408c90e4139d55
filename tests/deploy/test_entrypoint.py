"""The image's command, run here without Docker: the Dockerfile's ENTRYPOINT + CMD, with the
Dockerfile's ENV and the environment docker-compose.yml gives the service, against the sandbox and a
fresh PostgreSQL database (the compose `postgres` service stands in as the `postgres_db` fixture).

Paths inside the image map onto this checkout: /app -> the repository, /data -> a temporary
directory (the volume). Expected figures come from the sandbox's own records.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from extract.endpoints import default_resources
from tests.deploy.helpers import (
    ROOT,
    VENV_BIN,
    dockerfile_stages,
    exec_form,
    interpolate,
    load_compose,
    service_environment,
)
from tests.fixtures.postgres import PostgresDatabase
from tests.fixtures.sandbox import SandboxHandle
from tests.oracles.landing import expected_ids
from tests.transform.checks import check_marts

COMPOSE_SANDBOX_URL = "http://127.0.0.1:8765"
# Variables of the developer's shell that would change what the image run does.
SCRUB = (
    "DEST",
    "DUCKDB_",
    "GREENHOUSE_",
    "POSTGRES_",
    "DBT_",
    "SNOWFLAKE_",
    "BIGQUERY_",
    "SCHEDULE",
)


def image_environment(volume: Path) -> dict[str, str]:
    """The runtime stage's ENV, with the image's paths mapped onto this machine."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUB)}
    for key, value in dockerfile_stages()[-1].env().items():
        if key == "PATH":
            value = f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"
        elif key == "HOME":
            value = str(volume.parent / "home")
        else:
            value = value.replace("/data", str(volume)).replace("/app", str(ROOT))
        env[key] = value
    return env


def image_command(*override: str) -> list[str]:
    runtime = dockerfile_stages()[-1]
    entrypoint = exec_form(runtime.all("ENTRYPOINT")[-1])
    command = list(override) or exec_form(runtime.all("CMD")[-1])
    return [arg.replace("/app", str(ROOT)) for arg in entrypoint + command]


def compose_environment(
    service: str, sandbox: SandboxHandle, database: PostgresDatabase
) -> dict[str, str]:
    """What compose gives `service` with no .env, pointed at this sandbox and database."""
    env = service_environment(service, {})
    for key in ("GREENHOUSE_BASE_URL", "GREENHOUSE_AUTH_URL"):
        if key in env:
            env[key] = env[key].replace(COMPOSE_SANDBOX_URL, sandbox.base_url)
    env.update(database.env())
    return env


def read_only_app(command: list[str], volume: Path) -> list[str] | None:
    """`command` in a private mount namespace where the repository is read-only, as /app is in the
    image, with its data/ on the volume (the image links /app/data to /data). None where mount
    namespaces are not allowed (e.g. an unprivileged CI runner; there the image smoke test runs
    the real thing)."""
    if shutil.which("unshare") is None:
        return None
    if subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode != 0:
        return None
    (ROOT / "data").mkdir(exist_ok=True)
    script = (
        'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && '
        'mount --bind "$2" "$1/data" && shift 2 && exec "$@"'
    )
    return ["unshare", "-m", "sh", "-c", script, "sh", str(ROOT), str(volume), *command]


def image_workdir() -> Path:
    return Path(dockerfile_stages()[-1].all("WORKDIR")[-1].replace("/app", str(ROOT)))


def run_image(
    env: dict[str, str], *command: str, timeout: int = 900, read_only: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the image's command; with `read_only` (the volume), /app is read-only where possible."""
    argv = image_command(*command)
    if read_only is not None:
        argv = read_only_app(argv, read_only) or argv
    return subprocess.run(
        argv,
        env=env,
        cwd=image_workdir(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def raw_ids(database: PostgresDatabase, table: str) -> set[int]:
    with database.connect() as connection, connection.cursor() as cursor:
        cursor.execute(f'select id from greenhouse_raw."{table}"')
        return {row[0] for row in cursor.fetchall()}


def dbt_results(target: Path) -> list[dict[str, Any]]:
    return json.loads((target / "run_results.json").read_text())["results"]


@pytest.fixture
def volume(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.mark.postgres
@pytest.mark.slow
def test_image_command_with_compose_environment_loads_and_builds_postgres(
    sandbox: SandboxHandle, postgres_db: PostgresDatabase, volume: Path
) -> None:
    env = {**image_environment(volume), **compose_environment("pipeline", sandbox, postgres_db)}
    assert env["DEST"] == "postgres"
    # Where the machine allows it, the repository is read-only during the run, as /app is in the
    # image: a write outside /data, HOME or the temp dir fails the run.
    result = run_image(env, read_only=volume)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-6000:]
    assert "run finished: extract + transform succeeded" in result.stderr

    # Every default resource landed completely, and the marts equal the sandbox's own figures.
    for entity in default_resources("v3"):
        assert raw_ids(postgres_db, entity) == expected_ids(sandbox.org, entity, "v3"), entity
    with postgres_db.connect() as connection:
        check_marts(connection, sandbox.org, "v3")

    # Everything the run wrote is on the volume: dbt's artifacts and logs, dlt's pipeline state.
    results = dbt_results(volume / "dbt" / "target")
    assert results and all(r["status"] in ("success", "pass") for r in results)
    assert (volume / "dbt" / "logs" / "dbt.log").exists()
    assert any((volume / "pipelines").iterdir())


@pytest.mark.postgres
@pytest.mark.slow
def test_scheduler_service_runs_the_pipeline_and_logs_its_exit_status(
    sandbox: SandboxHandle, postgres_db: PostgresDatabase, volume: Path
) -> None:
    # The scheduler talks to real Greenhouse unless told otherwise: here, .env points it at the
    # sandbox (what a user does with the variables in .env.example).
    env = {
        **image_environment(volume),
        **compose_environment("scheduler", sandbox, postgres_db),
        **sandbox.env("v3"),
        "SCHEDULE": "* * * * * *",  # every second (6th field = seconds): fires right away
        "SCHEDULE_MAX_RUNS": "1",
    }
    result = run_image(env, *load_compose()["services"]["scheduler"]["command"])
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    assert "run 1 finished: exit 0 (succeeded)" in result.stderr
    assert "stopped after 1 run(s), 0 failed" in result.stderr
    assert raw_ids(postgres_db, "applications") == expected_ids(sandbox.org, "applications", "v3")


@pytest.mark.postgres
def test_a_failed_run_exits_non_zero_and_names_the_stage(
    sandbox: SandboxHandle, postgres_db: PostgresDatabase, volume: Path
) -> None:
    env = {
        **image_environment(volume),
        **compose_environment("pipeline", sandbox, postgres_db),
        "GREENHOUSE_CLIENT_SECRET": "not-the-secret",
    }
    result = run_image(env, timeout=300)
    assert result.returncode != 0
    assert "FAILED in stage 'extract'" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "not-the-secret" not in result.stdout + result.stderr


def test_bad_dest_is_one_clear_line(volume: Path) -> None:
    env = {**image_environment(volume), "DEST": "oracle"}
    result = run_image(env, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: unknown DEST 'oracle'; valid values: "
        "duckdb, postgres, snowflake, bigquery, filesystem, redshift, databricks"
    ]


def test_an_unwritable_data_volume_is_one_clear_line(tmp_path: Path) -> None:
    # A regular file where the volume should be: nothing can be created under it (even as root).
    blocked = tmp_path / "data"
    blocked.write_text("not a directory")
    env = image_environment(blocked)
    result = run_image(env, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: cannot write to {blocked}")
    assert "mount a volume writable by that user at /data" in lines[0]


def test_help_and_passthrough_commands(volume: Path) -> None:
    env = image_environment(volume)
    help_text = run_image(env, "help", timeout=60)
    assert help_text.returncode == 0
    for command in ("run", "extract", "transform", "demo", "schedule"):
        assert command in help_text.stdout
    echoed = run_image(env, "sh", "-c", "echo $DEST:$PYTHONUNBUFFERED", timeout=60)
    assert echoed.returncode == 0
    assert echoed.stdout.strip() == "duckdb:1"


def test_the_image_commands_pass_their_arguments_to_elt(volume: Path) -> None:
    """`docker run IMAGE run --resources ...` reaches the extract's own option parsing."""
    env = {
        **image_environment(volume),
        "GREENHOUSE_CLIENT_ID": "x",
        "GREENHOUSE_CLIENT_SECRET": "y",
    }
    for command in ("run", "extract"):
        result = run_image(env, command, "--resources", "canditates", timeout=60)
        assert result.returncode == 2, result.stderr
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "canditates" in errors[0], result.stderr
    typo = run_image(env, "run", "--full-refrsh", timeout=60)
    assert typo.returncode == 2 and "--full-refrsh" in typo.stderr


def test_schedule_with_a_bad_expression_fails_before_any_run(volume: Path) -> None:
    env = {**image_environment(volume), "SCHEDULE": "hourly"}
    result = run_image(env, "schedule", timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("error: SCHEDULE 'hourly'")


@pytest.mark.postgres
@pytest.mark.slow
def test_a_fresh_container_resumes_from_the_state_kept_in_the_destination(
    sandbox: SandboxHandle, postgres_db: PostgresDatabase, tmp_path: Path
) -> None:
    # Two runs, each with an empty volume (a new CI runner, a pod without a volume): the second
    # one must still be incremental, because dlt restores its state from the destination. This is
    # what the scheduled workflow relies on instead of caching the pipeline directory.
    summaries = []
    for run in ("first", "second"):
        volume = tmp_path / run
        volume.mkdir()
        env = {**image_environment(volume), **compose_environment("pipeline", sandbox, postgres_db)}
        summary = volume / "summary.json"
        result = run_image(env, "extract", "--summary-json", str(summary))
        assert result.returncode == 0, result.stderr[-4000:]
        summaries.append(json.loads(summary.read_text()))
    first, second = summaries
    assert first["total_records_extracted"] >= sum(
        len(expected_ids(sandbox.org, entity, "v3")) for entity in ("candidates", "applications")
    )
    assert second["total_records_extracted"] < first["total_records_extracted"] / 2
    assert second["total_rows"] == first["total_rows"]  # nothing lost, nothing duplicated
    assert raw_ids(postgres_db, "applications") == expected_ids(sandbox.org, "applications", "v3")


def test_sandbox_service_starts_from_its_compose_command_and_passes_its_health_check(
    volume: Path,
) -> None:
    spec = load_compose()["services"]["sandbox"]
    command = [interpolate(str(arg), {}) for arg in spec["command"]]
    # Any free port instead of 8765 (this machine may run other sandboxes), reported in a file.
    command[command.index("--port") + 1] = "0"
    port_file = volume / "port"
    command += ["--port-file", str(port_file)]
    env = {**image_environment(volume), **service_environment("sandbox", {})}
    server = subprocess.Popen(
        image_command(*command),
        env=env,
        cwd=image_workdir(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while not (port_file.exists() and port_file.read_text().strip()):
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            assert time.monotonic() < deadline, "the sandbox did not start within 120 s"
            time.sleep(0.2)
        port = port_file.read_text().strip()
        test = spec["healthcheck"]["test"]
        assert test[0] == "CMD"
        probe = [arg.replace("127.0.0.1:8765", f"127.0.0.1:{port}") for arg in test[1:]]
        health = subprocess.run(probe, env=env, capture_output=True, text=True, timeout=30)
        assert health.returncode == 0, health.stderr
        # The pipeline's default credentials get a token from it.
        pipeline = service_environment("pipeline", {})
        token = requests.post(
            f"http://127.0.0.1:{port}/token",
            auth=(pipeline["GREENHOUSE_CLIENT_ID"], pipeline["GREENHOUSE_CLIENT_SECRET"]),
            data={"grant_type": "client_credentials"},
            timeout=10,
        )
        assert token.status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
