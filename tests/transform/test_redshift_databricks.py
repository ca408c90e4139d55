"""DEST=redshift and DEST=databricks, verified as far as no account allows (docs/warehouses.md).

- Each target compiles offline, with dbt's real adapter from the project's optional extra
  (tests/fixtures/extras.py), for both API versions and with a custom field dictionary (so the
  JSON macros render): every compiled model and test parses with sqlglot in that dialect, and
  every enforced contract declares only types that warehouse has.
- Redshift is PostgreSQL-flavoured: its compiled SQL runs on the local PostgreSQL over raw
  tables extracted from the sandbox, and the marts equal the figures computed from the
  sandbox's own records. What PostgreSQL cannot run is listed once (REDSHIFT_ONLY) and asserted
  to fail there, so a change that makes it common shows up.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections import defaultdict
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

import pytest
import sqlglot

from extract.sweep import COLUMN as SWEEP_COLUMN
from tests.fixtures.extras import extra_environment
from tests.fixtures.postgres import PostgresDatabase
from tests.fixtures.sandbox import SandboxHandle

from .checks import account_mart_problems, check_marts, check_pipeline_marts
from .conftest import (
    AS_OF,
    ROOT,
    DbtRun,
    clean_env,
    run_dbt,
    run_extract,
)

TARGETS = ("redshift", "databricks")
# dummy values: nothing connects
CREDENTIALS = {
    "redshift": {
        "REDSHIFT_HOST": "examplecluster.abc123.us-east-1.redshift.amazonaws.com",
        "REDSHIFT_USER": "transformer",
        "REDSHIFT_PASSWORD": "not-a-real-password",
        "REDSHIFT_DB": "analytics",
    },
    "databricks": {
        "DATABRICKS_HOST": "dbc-00000000-0000.cloud.databricks.com",
        "DATABRICKS_HTTP_PATH": "/sql/1.0/warehouses/0000000000000000",
        "DATABRICKS_TOKEN": "dapi-not-a-real-token",
        "DATABRICKS_CATALOG": "analytics",
    },
}
# the types each warehouse has for the marts' contracts (Redshift's `text` is varchar(256);
# Databricks has no `text`)
CONTRACT_TYPES = {
    "redshift": {"bigint", "varchar(65535)", "boolean", "date", "timestamp", "numeric(28,6)"},
    "databricks": {"bigint", "string", "boolean", "date", "timestamp", "numeric(28,6)"},
}
# each warehouse's JSON reading (macros/custom_field_json.sql), in the custom field marts
JSON_FUNCTIONS = {"redshift": "json_extract_path_text", "databricks": "get_json_object"}
OFFLINE_DATABRICKS = ROOT / "tests" / "fixtures" / "dbt_databricks_offline.py"
CUSTOM_FIELD_MARTS = {
    "application_custom_fields",
    "candidate_custom_fields",
    "job_custom_fields",
    "offer_custom_fields",
    "opening_custom_fields",
}
# Redshift-only SQL that PostgreSQL cannot run: the custom field marts read dlt's SUPER column
# with is_varchar / json_serialize (macros/custom_field_json.sql)
REDSHIFT_ONLY = {f"model.greenhouse.{name}" for name in CUSTOM_FIELD_MARTS}


def run_dbt_with_extra(target: str, args: list[str], env: dict[str, str], work: Path) -> DbtRun:
    """`dbt <args> --target <target>` from the environment of that target's extra."""
    bin_dir = extra_environment(target)
    if target == "databricks":  # capability questions answered as a SQL warehouse would
        command = [str(bin_dir / "python"), str(OFFLINE_DATABRICKS)]
    else:
        command = [str(bin_dir / "dbt")]
    return run_dbt([*args, "--target", target], env, work, dbt=command)


def dictionary(org: Any) -> list[dict[str, Any]]:
    """The custom field dictionary of the sandbox organisation (what a build reads)."""
    return [
        {
            "custom_field_id": f["id"],
            "field_type": f["field_type"],
            "name_key": f["name_key"],
            "value_type": f["value_type"],
            "is_active": f["active"],
        }
        for f in org.records("custom_fields")
    ]


def compile_offline(target: str, env: dict[str, str], work: Path, vars_: dict[str, Any]) -> Any:
    # greenhouse_introspect=false: assume every optional raw column exists (no connection)
    args = ["compile", "--no-populate-cache", "--no-introspect", "--vars", json.dumps(vars_)]
    run = run_dbt_with_extra(target, args, env, work)
    assert run.returncode == 0, run.output[-4000:]
    return run


@pytest.mark.parametrize("version", ["v3", "v1"])
@pytest.mark.parametrize("target", TARGETS)
def test_project_compiles_offline_to_valid_warehouse_sql(
    transform_sandbox: SandboxHandle, target: str, version: str, tmp_path: Path
) -> None:
    env = clean_env(**CREDENTIALS[target], GREENHOUSE_API_VERSION=version)
    vars_ = {
        "greenhouse_introspect": False,
        "greenhouse_custom_fields_dictionary": dictionary(transform_sandbox.org),
        "greenhouse_eeoc": True,  # the opt-in EEOC models too
    }
    run = compile_offline(target, env, tmp_path, vars_)

    manifest = json.loads((run.target_path / "manifest.json").read_text())
    nodes = [n for n in manifest["nodes"].values() if n["resource_type"] in ("model", "test")]
    contracted = [
        n for n in nodes if n["resource_type"] == "model" and n["config"]["contract"]["enforced"]
    ]
    assert {n["name"] for n in contracted} >= {"applications_by_stage", "offer_acceptance"}
    for node in contracted:
        for column in node["columns"].values():
            assert column["data_type"] in CONTRACT_TYPES[target], (node["name"], column)
    # the declared types are types of that dialect
    for data_type in CONTRACT_TYPES[target]:
        sqlglot.parse_one(f"select cast(null as {data_type})", read=target)

    for node in nodes:  # every model and data test
        assert node.get("compiled"), node["unique_id"]
        sql = node["compiled_code"]
        try:
            sqlglot.parse_one(sql, read=target)
        except sqlglot.errors.ParseError as exc:
            pytest.fail(f"{node['unique_id']} is not valid {target} SQL: {exc}")
        # PostgreSQL's jsonb (which Redshift's adapter would inherit) must not leak
        assert "jsonb" not in sql.lower(), node["unique_id"]
        if target == "databricks":
            assert "::" not in sql and "at time zone" not in sql.lower(), node["unique_id"]
        else:  # Redshift's text is varchar(256): dbt.type_string() is varchar(65535) there
            assert not re.search(r"\bas text\b", sql, re.IGNORECASE), node["unique_id"]

    marts = run.target_path / "compiled" / "greenhouse" / "models" / "marts"
    with_json = [
        m for m in CUSTOM_FIELD_MARTS if JSON_FUNCTIONS[target] in (marts / f"{m}.sql").read_text()
    ]
    assert len(with_json) >= 3, with_json  # the sandbox has fields on most entities


@pytest.mark.parametrize("target", TARGETS)
def test_missing_extra_is_one_line_naming_how_to_install_it(target: str) -> None:
    """The default install has neither extra: a run stops before anything connects."""
    env = clean_env(**CREDENTIALS[target], DEST=target)
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "extract", "transform"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    errors = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(errors) == 1, result.stderr
    assert f"uv sync --extra {target}" in errors[0], errors[0]
    secret = "REDSHIFT_PASSWORD" if target == "redshift" else "DATABRICKS_TOKEN"
    assert CREDENTIALS[target][secret] not in result.stderr


# dlt's Databricks credentials build a Databricks SDK client as they resolve, which fetches the
# workspace's host metadata first (retried for minutes without a network): here that fetch fails
# at once, as the SDK handles an unreachable metadata endpoint (a warning, then the given values)
_PLAN = """
import json, sys
if sys.argv[1] == "databricks":
    import databricks.sdk.config

    def offline(host):
        raise ValueError("no network in this test")

    databricks.sdk.config.get_host_metadata = offline
from extract.destinations import plan_for
from extract.errors import ConfigError
from extract.handoff import dbt_environment
try:
    plan = plan_for(sys.argv[1], "unused.duckdb")
except ConfigError as exc:
    print(f"error: {exc}", file=sys.stderr)
    sys.exit(2)
with dbt_environment(plan, sys.argv[1], "greenhouse_raw") as env:
    print(json.dumps({"format": plan.loader_file_format, "identity": plan.identity, "env": env}))
"""


def plan_with_extra(target: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    python = extra_environment(target) / "python"
    return subprocess.run(
        [str(python), "-c", _PLAN, target],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


CREDENTIAL_ERRORS = [
    ("redshift", {}, "set REDSHIFT_HOST, REDSHIFT_USER, REDSHIFT_PASSWORD, REDSHIFT_DB or"),
    (
        "redshift",
        {"REDSHIFT_HOST": "cluster.example.com", "REDSHIFT_USER": "u"},
        "DEST=redshift needs REDSHIFT_PASSWORD, REDSHIFT_DB (see .env.example)",
    ),
    (
        "redshift",
        {**CREDENTIALS["redshift"], "REDSHIFT_HOST": "jdbc:redshift://cluster.example.com:5439/db"},
        "REDSHIFT_HOST must be the cluster's (or workgroup's) host name alone",
    ),
    (
        "redshift",
        {**CREDENTIALS["redshift"], "REDSHIFT_PORT": "fifty"},
        "REDSHIFT_PORT must be a port number",
    ),
    (
        "redshift",
        {"DESTINATION__REDSHIFT__CREDENTIALS": "redshift://u@cluster.example.com:5439/db"},
        "DESTINATION__REDSHIFT__CREDENTIALS is set but lacks `password`; complete it: redshift://",
    ),
    (
        "databricks",
        {},
        "set DATABRICKS_HOST, DATABRICKS_HTTP_PATH, DATABRICKS_TOKEN, DATABRICKS_CATALOG",
    ),
    (
        "databricks",
        {"DATABRICKS_HOST": "dbc-1.cloud.databricks.com", "DATABRICKS_TOKEN": "dapi-x"},
        "DEST=databricks needs DATABRICKS_HTTP_PATH, DATABRICKS_CATALOG (see .env.example)",
    ),
    (
        "databricks",
        {**CREDENTIALS["databricks"], "DATABRICKS_HOST": "https://dbc-1.cloud.databricks.com/"},
        "DATABRICKS_HOST must be the workspace's host name alone",
    ),
    (
        "databricks",
        {**CREDENTIALS["databricks"], "DATABRICKS_HTTP_PATH": "sql/1.0/warehouses/abc"},
        "DATABRICKS_HTTP_PATH must be the SQL warehouse's HTTP path",
    ),
    (
        "databricks",
        {
            "DESTINATION__DATABRICKS__CREDENTIALS__CATALOG": "analytics",
            "DESTINATION__DATABRICKS__CREDENTIALS__SERVER_HOSTNAME": "dbc-1.cloud.databricks.com",
            "DESTINATION__DATABRICKS__CREDENTIALS__HTTP_PATH": "/sql/1.0/warehouses/abc",
        },
        "DEST=databricks is not configured (Authentication failed",
    ),
]


@pytest.mark.parametrize(
    ("target", "variables", "message"),
    CREDENTIAL_ERRORS,
    ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(CREDENTIAL_ERRORS)],
)
def test_credential_errors_are_one_line_naming_the_variables(
    target: str, variables: dict[str, str], message: str
) -> None:
    result = plan_with_extra(target, clean_env(**variables, DEST=target))
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result.stderr + result.stdout
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    assert message in errors[0], errors[0]
    for name, value in variables.items():
        if name.endswith(("PASSWORD", "TOKEN")):
            assert value not in result.stderr


@pytest.mark.parametrize("target", TARGETS)
def test_short_variables_reach_dlt_and_dbt_alike(target: str) -> None:
    """The extract's destination and dbt's profile variables come from one set of values."""
    result = plan_with_extra(target, clean_env(**CREDENTIALS[target], DEST=target))
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["format"] == {"redshift": "insert_values", "databricks": "parquet"}[target]
    for name, value in CREDENTIALS[target].items():
        assert plan["env"][name] == value, name
    if target == "redshift":
        assert plan["identity"] == f"redshift:{CREDENTIALS[target]['REDSHIFT_HOST']}:5439/analytics"
        assert plan["env"]["REDSHIFT_PORT"] == "5439"
    else:
        host = CREDENTIALS[target]["DATABRICKS_HOST"]
        assert plan["identity"] == f"databricks:{host}/analytics"


# ---- Redshift's SQL on PostgreSQL --------------------------------------------------------------

# Redshift's DATEDIFF(part, a, b) (dbt-redshift's datediff): the number of `part` boundaries
# crossed from a to b. PostgreSQL has no such function; this one follows Redshift's definition
# for the parts the project uses, so the rest of each statement runs as compiled.
DATEDIFF = """
create function datediff(part text, a timestamp, b timestamp) returns bigint
language sql immutable as $$
    select case part
        when 'second' then extract(epoch from date_trunc('second', b) - date_trunc('second', a))
        when 'minute' then extract(epoch from date_trunc('minute', b) - date_trunc('minute', a))
            / 60
        when 'hour' then extract(epoch from date_trunc('hour', b) - date_trunc('hour', a)) / 3600
        when 'day' then cast(b as date) - cast(a as date)
    end::bigint
$$
"""
_DATEPART = re.compile(r"\bdatediff\(\s*(second|minute|hour|day)\s*,", re.IGNORECASE)


def as_postgres(sql: str) -> str:
    """Compiled Redshift SQL with DATEDIFF's bare date part written as a string (PostgreSQL
    would read `minute` as a column); nothing else changes."""
    return _DATEPART.sub(lambda m: f"datediff('{m.group(1).lower()}',", sql)


def materialize(cursor: Any, node: dict[str, Any]) -> None:
    """What dbt-redshift's materializations do, in their plain SQL: a view, or a table (with
    an enforced contract: created with the declared column types, then filled)."""
    relation, sql = node["relation_name"], as_postgres(node["compiled_code"])
    cursor.execute(f'create schema if not exists "{node["schema"]}"')
    if node["config"]["materialized"] == "view":
        cursor.execute(f"create view {relation} as (\n{sql}\n)")
    elif node["config"]["contract"]["enforced"]:
        columns = node["columns"].values()
        cursor.execute(
            f"create table {relation} ("
            + ", ".join(f'"{c["name"]}" {c["data_type"]}' for c in columns)
            + ")"
        )
        names = ", ".join(f'"{c["name"]}"' for c in columns)
        cursor.execute(
            f"insert into {relation} ({names}) select {names} from (\n{sql}\n) as model_subq"
        )
    else:
        cursor.execute(f"create table {relation} as (\n{sql}\n)")


@pytest.mark.postgres
@pytest.mark.slow
def test_redshift_sql_runs_on_postgres_and_marts_equal_the_sandbox_figures(
    transform_sandbox: SandboxHandle, postgres_db: PostgresDatabase, tmp_path: Path
) -> None:
    org = transform_sandbox.org
    env = clean_env(
        **transform_sandbox.env("v3"),
        **postgres_db.env(),
        DEST="postgres",
        GREENHOUSE_PIPELINES_DIR=str(tmp_path / "pipelines"),
    )
    run_extract(env, "v3")
    # compiling offline assumes every optional raw column exists (no introspection): the one a
    # fresh extract lacks is the deletion sweep's mark, which a sweep that found nothing adds
    with postgres_db.connect() as connection, connection.cursor() as cursor:
        cursor.execute(
            "select table_name from information_schema.tables where table_schema ="
            " 'greenhouse_raw' and table_name not like '\\_dlt%' and table_type = 'BASE TABLE'"
        )
        for (table,) in cursor.fetchall():
            cursor.execute(
                f'alter table greenhouse_raw."{table}" add column if not exists'
                f" {SWEEP_COLUMN} timestamp with time zone"
            )

    # compiled for Redshift, naming the PostgreSQL database (three-part names)
    env = clean_env(
        **{**CREDENTIALS["redshift"], "REDSHIFT_DB": postgres_db.database},
        GREENHOUSE_API_VERSION="v3",
        GREENHOUSE_AS_OF=AS_OF,
    )
    vars_ = {"greenhouse_introspect": False, "greenhouse_custom_fields_dictionary": dictionary(org)}
    run = compile_offline("redshift", env, tmp_path, vars_)
    manifest = json.loads((run.target_path / "manifest.json").read_text())
    nodes = {  # the EEOC models are off (their endpoint is opt-in): not compiled
        uid: n
        for uid, n in manifest["nodes"].items()
        if n["resource_type"] in ("model", "test") and n.get("compiled")
    }
    order = TopologicalSorter(
        {uid: [d for d in n["depends_on"]["nodes"] if d in nodes] for uid, n in nodes.items()}
    ).static_order()

    failed: dict[str, str] = {}
    not_run: set[str] = set()
    failing_tests: dict[str, int] = defaultdict(int)
    connection = postgres_db.connect()
    connection.autocommit = True  # each statement on its own, as dbt runs them
    try:
        with connection.cursor() as cursor:
            cursor.execute(DATEDIFF)
            for uid in order:
                node = nodes[uid]
                if any(d in failed or d in not_run for d in node["depends_on"]["nodes"]):
                    not_run.add(uid)
                    continue
                if node["resource_type"] == "test":
                    cursor.execute(
                        f"select count(*) from (\n{as_postgres(node['compiled_code'])}\n) as t"
                    )
                    count = cursor.fetchone()[0]
                    if count and node["config"]["severity"] == "error":
                        failing_tests[uid] = count
                elif node["config"]["materialized"] != "ephemeral":  # inlined where used
                    try:
                        materialize(cursor, node)
                    except Exception as exc:  # noqa: BLE001 - collected and asserted below
                        failed[uid] = str(exc).splitlines()[0]
    finally:
        connection.close()
    assert set(failed) == REDSHIFT_ONLY, failed
    for uid in REDSHIFT_ONLY:
        assert "is_varchar" in failed[uid] or "json_serialize" in failed[uid], failed[uid]
    assert not failing_tests, failing_tests
    models_run = {u for u, n in nodes.items() if n["resource_type"] == "model"} - not_run
    assert len(models_run - set(failed)) >= 40, len(models_run)

    with postgres_db.connect() as connection:
        check_marts(connection, org, "v3")
        check_pipeline_marts(connection, org, "v3")
        problems = account_mart_problems(connection, "greenhouse_raw", org, "v3")
        assert not problems, "\n".join(problems[:40])
