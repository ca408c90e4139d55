"""docker-compose.yml semantics (what `docker compose up` gives a user); .env.example coverage."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from tests.deploy.helpers import (
    ROOT,
    compose_variables,
    dockerfile_stages,
    env_example_variables,
    interpolate,
    load_compose,
    service_environment,
)
from tests.fixtures.postgres import PostgresDatabase

ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"
VARIABLE_PREFIXES = (
    "GREENHOUSE_",
    "DEST",
    "DUCKDB_",
    "POSTGRES_",
    "SNOWFLAKE_",
    "BIGQUERY_",
    "FILESYSTEM_",
    "SANDBOX_",
    "SCHEDULE",
)


def test_interpolation_follows_compose_rules() -> None:
    assert interpolate("${A:-x}", {}) == "x"
    assert interpolate("${A:-x}", {"A": ""}) == "x"
    assert interpolate("${A-x}", {"A": ""}) == ""
    assert interpolate("${A:-${B:-y}}", {"B": "b"}) == "b"
    assert interpolate("$${HOME}", {}) == "${HOME}"


def test_postgres_has_a_health_check_with_pg_isready() -> None:
    postgres = load_compose()["services"]["postgres"]
    test = postgres["healthcheck"]["test"]
    assert "pg_isready" in " ".join(test)
    assert postgres["healthcheck"]["retries"] >= 10


def test_pipeline_waits_for_a_healthy_postgres_and_sandbox() -> None:
    pipeline = load_compose()["services"]["pipeline"]
    assert pipeline["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert pipeline["depends_on"]["sandbox"]["condition"] == "service_healthy"
    assert "healthcheck" in load_compose()["services"]["sandbox"]


def test_pipeline_is_a_one_shot_run_of_the_image() -> None:
    pipeline = load_compose()["services"]["pipeline"]
    assert pipeline["command"] == ["run"]
    assert pipeline.get("restart", "no") == "no"
    assert "build" in pipeline


def test_the_demo_defaults_need_no_credentials_and_target_the_bundled_services() -> None:
    env = service_environment("pipeline", {})
    postgres = service_environment("postgres", {})
    assert env["DEST"] == "postgres"
    assert env["POSTGRES_HOST"] == "postgres"
    # The pipeline logs in with exactly what the bundled server was initialised with.
    assert env["POSTGRES_USER"] == postgres["POSTGRES_USER"]
    assert env["POSTGRES_PASSWORD"] == postgres["POSTGRES_PASSWORD"]
    assert env["POSTGRES_DB"] == postgres["POSTGRES_DB"]
    # ... and talks to the sandbox with the sandbox's own default credentials.
    sandbox = service_environment("sandbox", {})
    assert env["GREENHOUSE_CLIENT_ID"] == sandbox["SANDBOX_CLIENT_ID"]
    assert env["GREENHOUSE_CLIENT_SECRET"] == sandbox["SANDBOX_CLIENT_SECRET"]
    assert env["GREENHOUSE_API_TOKEN"] == sandbox["SANDBOX_API_TOKEN"]
    # The extract accepts plain http only to loopback, so the pipeline shares the sandbox's network.
    assert env["GREENHOUSE_BASE_URL"].startswith("http://127.0.0.1:")
    assert load_compose()["services"]["pipeline"]["network_mode"] == "service:sandbox"
    port = env["GREENHOUSE_BASE_URL"].rsplit(":", 1)[1]
    sandbox_command = load_compose()["services"]["sandbox"]["command"]
    assert sandbox_command[sandbox_command.index("--port") + 1] == port


def test_env_file_values_override_the_demo_defaults() -> None:
    env = service_environment(
        "pipeline",
        {"DEST": "snowflake", "GREENHOUSE_BASE_URL": "https://harvest.greenhouse.io"},
    )
    assert env["DEST"] == "snowflake"
    assert env["GREENHOUSE_BASE_URL"] == "https://harvest.greenhouse.io"


def test_scheduler_runs_the_image_schedule_command_on_SCHEDULE() -> None:
    scheduler = load_compose()["services"]["scheduler"]
    assert scheduler["command"] == ["schedule"]
    assert scheduler["restart"] in {"unless-stopped", "always"}
    assert service_environment("scheduler", {"SCHEDULE": "*/15 * * * *"})["SCHEDULE"] == (
        "*/15 * * * *"
    )
    assert service_environment("scheduler", {})["SCHEDULE"] == "0 * * * *"
    assert scheduler["depends_on"]["postgres"]["condition"] == "service_healthy"
    # Not part of the plain `docker compose up` demo: started on purpose.
    assert scheduler["profiles"] == ["scheduler"]


def test_the_scheduler_talks_to_real_greenhouse_unless_told_otherwise() -> None:
    env = service_environment("scheduler", {})
    assert "GREENHOUSE_BASE_URL" not in env
    assert "GREENHOUSE_CLIENT_SECRET" not in env


def test_pipeline_and_scheduler_keep_their_state_on_the_image_volume() -> None:
    runtime = dockerfile_stages()[-1]
    volumes = [v for args in runtime.all("VOLUME") for v in re.findall(r'"([^"]+)"', args)]
    assert volumes == ["/data"]
    compose = load_compose()
    for name in ("pipeline", "scheduler"):
        mounts = compose["services"][name]["volumes"]
        assert any(m.endswith(":/data") for m in mounts), name
        assert compose["services"][name]["init"] is True  # signals reach the pipeline
    assert "data" in compose["volumes"]


def test_no_credential_is_hard_coded_except_the_demo_defaults() -> None:
    demo_values = {"sandbox-client", "sandbox-secret", "sandbox-token", "greenhouse"}
    for name, service in load_compose()["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if re.search(r"SECRET|PASSWORD|TOKEN|PASSPHRASE", key):
                literal = interpolate(str(value), {})
                assert literal in demo_values, f"{name}.{key} hard-codes {literal!r}"
                assert str(value).startswith("${"), f"{name}.{key} cannot be overridden"


def test_env_example_documents_every_variable_compose_reads() -> None:
    missing = compose_variables() - env_example_variables()
    assert not missing, f".env.example lacks {sorted(missing)}"


def test_env_example_documents_every_variable_of_the_architecture_contract() -> None:
    names = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", ARCHITECTURE.read_text()))
    contract = {n for n in names if n.startswith(VARIABLE_PREFIXES)}
    assert {"DEST", "GREENHOUSE_CLIENT_ID", "SNOWFLAKE_ACCOUNT", "BIGQUERY_KEYFILE"} <= contract
    missing = contract - env_example_variables()
    assert not missing, f".env.example lacks {sorted(missing)}"


def variables_read_by_the_code() -> set[str]:
    """Configuration variables the extract, sandbox, scheduler, profiles and bin/elt read."""
    prefixes = "|".join(p.rstrip("_") for p in VARIABLE_PREFIXES + ("DEMO_",))
    quoted = re.compile(rf'"((?:{prefixes})(?:_[A-Z0-9_]*)?)"')
    names: set[str] = set()
    for folder in ("extract", "sandbox", "deploy"):
        for path in (ROOT / folder).glob("*.py"):
            names |= set(quoted.findall(path.read_text()))
    dbt_files = [ROOT / "profiles" / "profiles.yml", *(ROOT / "transform").glob("**/*.sql")]
    dbt_files += list((ROOT / "transform").glob("*.yml"))
    for path in dbt_files:
        generated = {"target", "dbt_packages", "logs"} & set(path.relative_to(ROOT).parts)
        if path.exists() and not generated:
            names |= set(re.findall(r"env_var\('([A-Z][A-Z0-9_]*)'", path.read_text()))
    elt = (ROOT / "bin" / "elt").read_text()
    names |= set(re.findall(rf"\$\{{?((?:{prefixes})[A-Z0-9_]*)", elt))
    return names


def test_every_variable_the_code_reads_is_documented() -> None:
    # .env.example is the place; a variable added since (e.g. a tuning knob of one part) must at
    # least be described in that part's page under docs/.
    names = variables_read_by_the_code()
    assert {"GREENHOUSE_CLIENT_ID", "SCHEDULE_TIMEZONE", "DEMO_CANDIDATES"} <= names
    docs = " ".join(path.read_text() for path in (ROOT / "docs").glob("*.md"))
    missing = {n for n in names - env_example_variables() if not re.search(rf"\b{n}\b", docs)}
    assert not missing, f"undocumented variables (add them to .env.example): {sorted(missing)}"


def test_env_example_sets_no_value_for_a_secret() -> None:
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.match(r"^#?([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match and re.search(r"SECRET|PASSWORD|TOKEN|PASSPHRASE", match.group(1)):
            assert match.group(2) == "", line


@pytest.mark.postgres
def test_postgres_health_check_command_answers_for_the_configured_database(
    postgres_db: PostgresDatabase,
) -> None:
    # The health check as the container runs it (compose has turned $$ into $), against a real
    # server; the fixture's host and port stand in for the container's own.
    test = load_compose()["services"]["postgres"]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    command = test[1].replace("$$", "$").replace("127.0.0.1", postgres_db.host)
    env = {
        **os.environ,
        "PGPORT": str(postgres_db.port),
        "POSTGRES_USER": postgres_db.user,
        "POSTGRES_DB": postgres_db.database,
    }
    ready = subprocess.run(["sh", "-c", command], env=env, capture_output=True, text=True)
    assert ready.returncode == 0, ready.stdout + ready.stderr
    # ... and it reports a server that is not there as unhealthy.
    env["PGPORT"] = "1"
    down = subprocess.run(["sh", "-c", command], env=env, capture_output=True, text=True)
    assert down.returncode != 0
