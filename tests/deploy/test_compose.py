"""docker-compose.yml and .env.example: no credential hard-coded, every variable documented, the
postgres health check answers for a real server. (The file's validity: `bin/lint compose`.)"""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from extract.settings import ALIASES
from tests.deploy.helpers import (
    ROOT,
    compose_variables,
    env_example_variables,
    interpolate,
    load_compose,
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
    """Configuration variables the extract, sandbox, scheduler, bench and profiles read."""
    prefixes = "|".join(p.rstrip("_") for p in VARIABLE_PREFIXES + ("DEMO_",))
    quoted = re.compile(rf'"((?:{prefixes})(?:_[A-Z0-9_]*)?)"')
    names: set[str] = set()
    names |= set(ALIASES)  # the short names of every source option (extract/settings.py)
    for folder in ("extract", "sandbox", "deploy"):
        for path in (ROOT / folder).rglob("*.py"):
            names |= set(quoted.findall(path.read_text()))
    dbt_files = [ROOT / "profiles" / "profiles.yml", *(ROOT / "transform").glob("**/*.sql")]
    dbt_files += list((ROOT / "transform").glob("*.yml"))
    for path in dbt_files:
        generated = {"target", "dbt_packages", "logs"} & set(path.relative_to(ROOT).parts)
        if path.exists() and not generated:
            names |= set(re.findall(r"env_var\('([A-Z][A-Z0-9_]*)'", path.read_text()))
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
