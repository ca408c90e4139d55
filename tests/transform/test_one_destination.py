"""However the destination is configured, the extract and dbt use the same place.

`elt run` resolves the destination once (dlt's resolution, short variables first) and hands dbt
the result. Each documented way is run end to end for DuckDB and PostgreSQL; for Snowflake and
BigQuery (no account here) the values dbt receives are compared with what dlt resolved.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from extract.destinations import plan_for, resolved_configuration
from extract.handoff import dbt_environment
from tests.extract.test_config import environ
from tests.fixtures.postgres import PostgresDatabase
from tests.fixtures.sandbox import SandboxHandle, start_sandbox

from .conftest import RESOURCES, ROOT, clean_env, elt

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def small_sandbox() -> Iterator[SandboxHandle]:
    handle = start_sandbox(candidates=40)
    yield handle
    handle.stop()


def _base(sandbox: SandboxHandle, tmp_path: Path) -> dict[str, str]:
    return {
        **sandbox.env("v3"),
        "GREENHOUSE_PIPELINES_DIR": str(tmp_path / "pipelines"),
        "GREENHOUSE_RESOURCES": RESOURCES["v3"],
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
    }


def _marts_rows(connection: Any) -> int:
    cursor = connection.cursor()
    cursor.execute("select count(*) from greenhouse_marts.applications")
    (count,) = cursor.fetchone()
    cursor.close()
    return int(count)


def test_duckdb_file_named_by_dlts_variable(small_sandbox: SandboxHandle, tmp_path: Path) -> None:
    path = tmp_path / "mine.duckdb"
    env = {**_base(small_sandbox, tmp_path), "DEST": "duckdb"}
    env["DESTINATION__DUCKDB__CREDENTIALS"] = str(path)
    result = elt(env, "run", "--summary-json", str(tmp_path / "summary.json"))
    assert result.returncode == 0, result.stderr[-3000:]
    with duckdb.connect(str(path), read_only=True) as con:
        assert _marts_rows(con) == small_sandbox.org.count("applications")
    # the run's one summary counts dbt's nodes as dbt's run_results.json lists them
    nodes = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    # a pipeline run builds models and runs the data tests; dbt unit tests (fixed inputs) are
    # for make test and CI
    kinds = {n["unique_id"].split(".")[0] for n in nodes}
    assert {"model", "test"} <= kinds and "unit_test" not in kinds, kinds
    models = sum(1 for n in nodes if n["unique_id"].startswith(("model.", "seed.", "snapshot.")))
    tests = len(nodes) - models
    assert f"dbt: models {models:,} passed, 0 failed; tests {tests:,} passed" in result.stdout
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["dbt"]["models"] == {"passed": models}
    assert set(summary["stage_seconds"]) == {"extract", "transform"}


@pytest.mark.postgres
@pytest.mark.parametrize("how", ["dlt_variable", "secrets_toml", "no_password"])
def test_postgres_database_named_the_dlt_way(
    how: str, small_sandbox: SandboxHandle, postgres_db: PostgresDatabase, tmp_path: Path
) -> None:
    """The database of dlt's credentials, not the profile's default, gets the marts too."""
    url = postgres_db.url
    env = {**_base(small_sandbox, tmp_path), "DEST": "postgres"}
    if how == "dlt_variable":
        env["DESTINATION__POSTGRES__CREDENTIALS"] = url
    elif how == "no_password":  # trust, .pgpass or PGPASSWORD: libpq's, for dbt too
        db = postgres_db
        no_password = f"postgresql://{db.user}@{db.host}:{db.port}/{db.database}"
        env["DESTINATION__POSTGRES__CREDENTIALS"] = no_password
        env["PGPASSWORD"] = db.password  # ignored by a trust server
    else:
        project = tmp_path / "project"
        (project / ".dlt").mkdir(parents=True)
        config = (ROOT / ".dlt" / "config.toml").read_text()
        (project / ".dlt" / "config.toml").write_text(config)
        (project / ".dlt" / "secrets.toml").write_text(
            f'[destination.postgres]\ncredentials = "{url}"\n'
        )
        env["DLT_PROJECT_DIR"] = str(project)
    result = elt(env, "run")
    assert result.returncode == 0, result.stderr[-3000:]
    with postgres_db.connect() as connection:
        assert _marts_rows(connection) == small_sandbox.org.count("applications")


@pytest.mark.postgres
def test_transform_before_any_extract_is_one_line(
    postgres_db: PostgresDatabase, tmp_path: Path
) -> None:
    env = {"DEST": "postgres", **postgres_db.env(), "DBT_TARGET_PATH": str(tmp_path / "t")}
    result = elt(env, "transform")
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "no raw tables in greenhouse_raw" in errors[0], result.stderr
    assert "make extract" in errors[0]
    assert "Traceback" not in result.stderr and "dbt" not in result.stdout.lower()


def test_transform_without_the_duckdb_file_is_one_line(tmp_path: Path) -> None:
    result = elt({"DEST": "duckdb", "DUCKDB_PATH": str(tmp_path / "none.duckdb")}, "transform")
    assert result.returncode == 2
    assert result.stderr.count("error:") == 1 and "run `make extract`" in result.stderr
    assert not (tmp_path / "none.duckdb").exists()


def _snowflake_env(tmp_path: Path) -> dict[str, str]:
    key = tmp_path / "key.p8"
    key.write_text("not a real key")
    return {
        "DESTINATION__SNOWFLAKE__CREDENTIALS__HOST": "kgiotue-wn98412",
        "DESTINATION__SNOWFLAKE__CREDENTIALS__USERNAME": "loader",
        "DESTINATION__SNOWFLAKE__CREDENTIALS__DATABASE": "analytics",
        "DESTINATION__SNOWFLAKE__CREDENTIALS__WAREHOUSE": "loading",
        "DESTINATION__SNOWFLAKE__CREDENTIALS__ROLE": "loader_role",
        "DESTINATION__SNOWFLAKE__CREDENTIALS__PRIVATE_KEY_PATH": str(key),
    }


def test_snowflake_profile_gets_what_dlt_resolved(tmp_path: Path) -> None:
    with environ(_snowflake_env(tmp_path)):
        plan = plan_for("snowflake", "unused")
        creds = resolved_configuration(plan.destination, "greenhouse_raw").credentials
        with dbt_environment(plan, "snowflake", "greenhouse_raw") as env:
            handed = dict(env)
    assert (creds.host, creds.username, creds.database) == (
        "kgiotue-wn98412",
        "loader",
        "analytics",
    )
    assert handed["SNOWFLAKE_ACCOUNT"] == creds.host
    assert handed["SNOWFLAKE_USER"] == creds.username
    assert handed["SNOWFLAKE_DATABASE"] == creds.database
    assert handed["SNOWFLAKE_WAREHOUSE"] == creds.warehouse
    assert handed["SNOWFLAKE_ROLE"] == creds.role
    assert handed["SNOWFLAKE_PRIVATE_KEY_PATH"] == creds.private_key_path
    # and dbt reads them from the profile: `dbt debug` shows the connection it would open
    debug = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "debug", "--target", "snowflake",
         "--profiles-dir", str(ROOT / "profiles"), "--project-dir", str(ROOT / "transform")],
        cwd=ROOT / "transform",
        env={**clean_env(), **handed, "DBT_TARGET_PATH": str(tmp_path / "t"),
             "DBT_LOG_PATH": str(tmp_path / "l")},
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    shown = debug.stdout
    for value in ("kgiotue-wn98412", "loader", "analytics", "loading", "loader_role"):
        assert f": {value}" in shown, shown[-3000:]


def test_bigquery_fields_become_a_private_keyfile(tmp_path: Path) -> None:
    prefix = "DESTINATION__BIGQUERY__CREDENTIALS__"
    env = {
        f"{prefix}PROJECT_ID": "gh-project",
        f"{prefix}CLIENT_EMAIL": "loader@gh-project.iam.gserviceaccount.com",
        f"{prefix}PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n",
        "DESTINATION__BIGQUERY__LOCATION": "EU",
    }
    with environ(env):
        plan = plan_for("bigquery", "unused")
        with dbt_environment(plan, "bigquery", "greenhouse_raw") as handed:
            keyfile = Path(handed["BIGQUERY_KEYFILE"])
            assert keyfile.stat().st_mode & 0o077 == 0  # readable by this user only
            assert '"client_email": "loader@gh-project.iam.gserviceaccount.com"' in (
                keyfile.read_text()
            )
            assert handed["BIGQUERY_PROJECT"] == "gh-project"
            assert handed["BIGQUERY_LOCATION"] == "EU"
            # no token address given: Google's public one, as dlt's own load uses
            assert json.loads(keyfile.read_text())["token_uri"] == (
                "https://oauth2.googleapis.com/token"
            )
    assert not keyfile.exists()  # removed once dbt is done


def test_bigquery_key_given_to_dlt_as_json_keeps_its_token_address(tmp_path: Path) -> None:
    """A service-account key handed to dlt whole (as JSON) may name a token address other than
    Google's public one (a private endpoint, an emulator's stub): dbt gets the same address."""
    key = subprocess.run(
        ["openssl", "genrsa", "2048"], capture_output=True, text=True, check=True
    ).stdout
    token_uri = "http://127.0.0.1:9/token"
    info = {
        "type": "service_account",
        "project_id": "gh-project",
        "private_key_id": "abc",
        "private_key": key,
        "client_email": "loader@gh-project.iam.gserviceaccount.com",
        "token_uri": token_uri,
    }
    with environ({"DESTINATION__BIGQUERY__CREDENTIALS": json.dumps(info)}):
        plan = plan_for("bigquery", "unused")
        creds = resolved_configuration(plan.destination, "greenhouse_raw").credentials
        with dbt_environment(plan, "bigquery", "greenhouse_raw") as handed:
            handed_key = json.loads(Path(handed["BIGQUERY_KEYFILE"]).read_text())
    assert creds.token_uri == token_uri  # what dlt's load uses
    assert handed_key["token_uri"] == token_uri  # what dbt uses
    assert handed_key["client_email"] == info["client_email"]
    # BIGQUERY_KEYFILE: dlt's load reads the file's token address too
    keyfile = tmp_path / "sa.json"
    keyfile.write_text(json.dumps(info))
    with environ({"BIGQUERY_PROJECT": "gh-project", "BIGQUERY_KEYFILE": str(keyfile)}):
        plan = plan_for("bigquery", "unused")
        creds = resolved_configuration(plan.destination, "greenhouse_raw").credentials
    assert creds.token_uri == token_uri
    assert creds.private_key.strip() == key.strip()
