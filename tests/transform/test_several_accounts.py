"""Several Greenhouse accounts in one warehouse: two sandboxes with different seeds (two
accounts whose ids collide) are extracted into two raw schemas of one database, and dbt builds
on both (GREENHOUSE_RAW_SCHEMAS). Every staging model and mart then equals the two
single-account builds side by side, each row tagged with its account's `source_relation`:
nothing of one account joins or adds up with the other's. On DuckDB and PostgreSQL."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.postgres import fresh_database
from tests.fixtures.sandbox import SandboxHandle, start_sandbox

from .conftest import AS_OF, ROOT, clean_env, fetch, run_dbt, run_extract

pytestmark = pytest.mark.slow

US, EU = "greenhouse_raw_us", "greenhouse_raw_eu"
SCHEMAS = ("greenhouse_staging", "greenhouse_marts")
# the run history: the builds compared are separate runs, with their own ids and times
OWN_RUN = {"run_id", "pipeline_name", "started_at", "finished_at", "duration_seconds"}


@pytest.fixture(scope="module")
def accounts() -> Iterator[dict[str, SandboxHandle]]:
    """Two accounts: different seeds and sizes, ids from the same ranges (so they collide)."""
    us = start_sandbox(seed=42, candidates=120)
    eu = start_sandbox(seed=7, candidates=80)
    yield {US: us, EU: eu}
    us.stop()
    eu.stop()


def _value(value: Any) -> Any:
    """A cell comparable across two builds and sortable with the others."""
    if isinstance(value, float | Decimal):
        return round(float(value), 6)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _rows(connect: Callable[[], Any], relation: str) -> list[dict[str, Any]]:
    """The rows of a relation (or of a query), comparable across builds."""
    sql = relation if " " in relation else f"select * from {relation}"
    connection = connect()
    try:
        return [{k: _value(v) for k, v in row.items()} for row in fetch(connection, sql)]
    finally:
        connection.close()


def _sorted(rows: list[dict[str, Any]], columns: list[str]) -> list[tuple[str, ...]]:
    return sorted(tuple(repr(row.get(c)) for c in columns) for row in rows)


def _relations(connect: Callable[[], Any]) -> list[str]:
    connection = connect()
    try:
        rows = fetch(
            connection,
            "select table_schema, table_name from information_schema.tables"
            f" where table_schema in ({', '.join(repr(s) for s in SCHEMAS)})",
        )
    finally:
        connection.close()
    return sorted(f"{r['table_schema']}.{r['table_name']}" for r in rows)


def _transform(env: dict[str, str]) -> None:
    """`elt transform`, the command a user runs once after extracting each account."""
    scratch = Path(tempfile.mkdtemp(prefix="elt-dbt-"))  # dbt's target/ of this run only
    own = {"DBT_TARGET_PATH": str(scratch / "target"), "DBT_LOG_PATH": str(scratch / "logs")}
    result = subprocess.run(
        [sys.executable, "-m", "extract", "transform"],
        cwd=ROOT,
        env={**own, **env},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, f"elt transform failed:\n{result.stderr[-6000:]}"


def _build_single(env: dict[str, str], target: str, work: Path) -> None:
    run = run_dbt(["build", "--target", target, "--exclude-resource-type", "unit_test"], env, work)
    assert run.returncode == 0, f"dbt build failed:\n{run.output[-6000:]}"


def _check_side_by_side(combined: Callable[[], Any], single: dict[str, Callable[[], Any]]) -> None:
    relations = _relations(combined)
    assert "greenhouse_marts.applications" in relations, relations
    for account, connect in single.items():
        assert _relations(connect) == relations, account
    for relation in relations:
        both = _rows(combined, relation)
        assert {r["source_relation"] for r in both} <= set(single), relation
        for account, connect in single.items():
            alone = _rows(connect, relation)
            assert {r["source_relation"] for r in alone} <= {account}, relation
            columns = [c for c in (alone[0] if alone else []) if c not in OWN_RUN]
            mine = [r for r in both if r["source_relation"] == account]
            # the union may have columns one account lacks (a custom field only the other
            # has): null for this account's rows
            extra = {
                c for r in mine for c in r if c not in {*columns, *OWN_RUN} and r[c] is not None
            }
            assert not extra, f"{relation}: {account} rows have values in {sorted(extra)}"
            assert _sorted(mine, columns) == _sorted(alone, columns), (
                f"{relation}: the {account} rows differ from the {account}-only build"
            )
        assert len(both) == sum(len(_rows(c, relation)) for c in single.values()), relation


def _check_ids_collide(combined: Callable[[], Any]) -> None:
    """The two accounts share ids (job 1 exists in both), and both are kept."""
    for mart, key in (("candidates", "candidate_id"), ("jobs", "job_id")):
        rows = _rows(combined, f"greenhouse_marts.{mart}")
        by_account: dict[str, set[Any]] = {}
        for row in rows:
            by_account.setdefault(row["source_relation"], set()).add(row[key])
        assert set(by_account) == {US, EU}, mart
        shared = by_account[US] & by_account[EU]
        assert shared, f"no {key} in both accounts: the test would not show they stay apart"
        assert len(rows) == len(by_account[US]) + len(by_account[EU]), mart


def _extract(base: dict[str, str], sandbox: SandboxHandle, raw_schema: str, work: Path) -> None:
    env = {
        **base,
        **sandbox.env("v3"),
        "GREENHOUSE_RAW_SCHEMA": raw_schema,
        "GREENHOUSE_PIPELINES_DIR": str(work / "pipelines"),
    }
    run_extract(env, "v3")


def test_two_accounts_in_one_duckdb(accounts: dict[str, SandboxHandle], tmp_path: Path) -> None:
    import duckdb

    def database(name: str) -> dict[str, str]:
        return clean_env(DEST="duckdb", DUCKDB_PATH=str(tmp_path / f"db_{name}.duckdb"))

    def connect(name: str) -> Callable[[], Any]:
        return lambda: duckdb.connect(str(tmp_path / f"db_{name}.duckdb"), read_only=True)

    for account, sandbox in accounts.items():
        _extract(database("both"), sandbox, account, tmp_path)
        _extract(database(account), sandbox, account, tmp_path)
        env = database(account) | {"GREENHOUSE_RAW_SCHEMA": account, "GREENHOUSE_AS_OF": AS_OF}
        _build_single(env, "duckdb", tmp_path / account)
    _transform(
        database("both") | {"GREENHOUSE_RAW_SCHEMAS": f"{US},{EU}", "GREENHOUSE_AS_OF": AS_OF}
    )

    _check_side_by_side(connect("both"), {account: connect(account) for account in accounts})
    _check_ids_collide(connect("both"))
    # the transform of both accounts is in the history of the first (no third raw dataset)
    history = _rows(connect("both"), f"select stage from {US}.elt_runs order by started_at")
    assert [r["stage"] for r in history] == ["extract", "transform"]
    runs = _rows(connect("both"), "greenhouse_marts.pipeline_runs")
    assert {r["source_relation"] for r in runs} == {US, EU}
    tables = _rows(connect("both"), "select distinct table_schema from information_schema.tables")
    assert "greenhouse_raw" not in {r["table_schema"] for r in tables}
    # the report: every account's jobs and interviewers, each named with its account
    page = tmp_path / "report.html"
    report = subprocess.run(
        [sys.executable, "-m", "extract", "report", "--out", str(page)],
        cwd=ROOT,
        env=database("both") | {"GREENHOUSE_RAW_SCHEMAS": f"{US},{EU}"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert report.returncode == 0, report.stderr
    text = page.read_text()
    for account in (US, EU):  # a funnel chart titled "<job> (<account>) (N applications)"
        assert re.search(rf'"text":"[^"]+ \({account}\) \(\d+ applications\)"', text), account
        # and a days-to-hire point "<job> (<account>): N hires"
        assert re.search(rf'"[^"]+ \({account}\): \d+ hires', text), account
    # the charts that add the accounts up say so
    assert text.count(" - 2 accounts together") == 2
    # each account's cursors under a pipeline name of its own
    for account in accounts:
        state = _rows(
            connect("both"), f"select distinct pipeline_name from {account}._dlt_pipeline_state"
        )
        assert [r["pipeline_name"] for r in state] == [f"greenhouse_v3_duckdb_db_both_{account}"]


@pytest.mark.postgres
def test_two_accounts_in_one_postgres_database(
    accounts: dict[str, SandboxHandle], postgres_server_url: str, tmp_path: Path
) -> None:
    with ExitStack() as stack:
        databases = {
            name: stack.enter_context(fresh_database(postgres_server_url))
            for name in ("both", US, EU)
        }

        def database(name: str) -> dict[str, str]:
            return clean_env(DEST="postgres", **databases[name].env())

        def connect(name: str) -> Callable[[], Any]:
            return databases[name].connect

        for account, sandbox in accounts.items():
            _extract(database("both"), sandbox, account, tmp_path)
            _extract(database(account), sandbox, account, tmp_path)
            env = database(account) | {"GREENHOUSE_RAW_SCHEMA": account, "GREENHOUSE_AS_OF": AS_OF}
            _build_single(env, "postgres", tmp_path / account)
        _transform(
            database("both") | {"GREENHOUSE_RAW_SCHEMAS": f"{US},{EU}", "GREENHOUSE_AS_OF": AS_OF}
        )

        _check_side_by_side(connect("both"), {account: connect(account) for account in accounts})
        _check_ids_collide(connect("both"))


def test_elt_run_refuses_an_account_its_transform_leaves_out(tmp_path: Path) -> None:
    env = clean_env(
        DEST="duckdb",
        DUCKDB_PATH=str(tmp_path / "x.duckdb"),
        GREENHOUSE_RAW_SCHEMA="greenhouse_raw_apac",
        GREENHOUSE_RAW_SCHEMAS=f"{US},{EU}",
    )
    result = subprocess.run(
        [sys.executable, "-m", "extract", "run"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 2, result.stderr
    assert "GREENHOUSE_RAW_SCHEMA=greenhouse_raw_apac is not one of GREENHOUSE_RAW_SCHEMAS" in (
        result.stderr
    )
    assert not (tmp_path / "x.duckdb").exists()


@pytest.mark.parametrize(
    ("listed", "message"),
    [
        (" , ,", "GREENHOUSE_RAW_SCHEMAS lists no schema"),
        ("greenhouse_raw_us,Greenhouse-EU", "'Greenhouse-EU' is not a raw schema name"),
        ("greenhouse_raw_us,greenhouse_raw_us", "lists 'greenhouse_raw_us' twice"),
    ],
)
def test_a_bad_raw_schema_list_is_one_line_from_elt_and_from_dbt(
    tmp_path: Path, listed: str, message: str
) -> None:
    env = clean_env(
        DEST="duckdb", DUCKDB_PATH=str(tmp_path / "x.duckdb"), GREENHOUSE_RAW_SCHEMAS=listed
    )
    scratch = Path(tempfile.mkdtemp(prefix="elt-dbt-"))  # dbt's target/ of this run only
    own = {"DBT_TARGET_PATH": str(scratch / "target"), "DBT_LOG_PATH": str(scratch / "logs")}
    result = subprocess.run(
        [sys.executable, "-m", "extract", "transform"],
        cwd=ROOT,
        env={**own, **env},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    run = run_dbt(["parse"], env, tmp_path)
    assert run.returncode != 0
    assert message.replace("'", "") in run.output.replace("'", "")
