"""Every account shape builds, and its marts are right: one endpoint at a time with no rows.

A real account has endpoints with nothing in them (a young tenant), endpoints its token may
not read (``--skip-forbidden``), endpoints that failed on their first load and endpoints the
user did not select. Each leaves the same thing behind: the extract creates the endpoint's raw
table empty (extract/declared_tables.py). This module builds that state for every endpoint of
the catalogue on its own, plus dltHub's eight endpoints, in ONE dbt build: the sandbox is
extracted once, its raw schema copied once per shape with the shape's tables emptied, and the
copies built together as several accounts (GREENHOUSE_RAW_SCHEMAS). Every dbt model and test
must pass, and every mart with an oracle must equal, account by account, the oracle computed
from the organisation without the emptied endpoints' records. On DuckDB and PostgreSQL.

The real-HTTP paths into that state (an endpoint answering ``[]``, 403, 500 on the first load,
``--resources``) are tested end to end in test_sparse_accounts.py.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from extract.endpoints import default_resources
from sandbox.server.profiles import DLTHUB_EIGHT
from tests.fixtures.postgres import fresh_database
from tests.fixtures.sandbox import SandboxHandle, start_sandbox
from tests.oracles.shapes import Shaped, entities_of

from .checks import account_mart_problems, mart_expectations
from .conftest import AS_OF, assert_build_passed, clean_env, fetch, run_dbt, run_extract

pytestmark = pytest.mark.slow

VERSION = "v3"
RAW = "greenhouse_raw"
# account (raw schema) -> the endpoints whose tables it has empty
SHAPES: dict[str, tuple[str, ...]] = {
    "shape_full": (),
    **{f"shape_no_{name}": (name,) for name in default_resources(VERSION)},
    "shape_dlthub_eight": tuple(n for n in default_resources(VERSION) if n not in DLTHUB_EIGHT),
}


@pytest.fixture(scope="module")
def shapes_sandbox() -> Iterator[SandboxHandle]:
    handle = start_sandbox(candidates=120)
    yield handle
    handle.stop()


def _tables(connection: Any, schema: str) -> list[str]:
    rows = fetch(
        connection,
        "select table_name from information_schema.tables"
        f" where table_schema = '{schema}' order by table_name",
    )
    return [r["table_name"] for r in rows]


def _make_shapes(connection: Any) -> None:
    """One raw schema per shape: a copy of the extracted one, the shape's tables (and their
    child tables) emptied, as the extract leaves them when their endpoint gave no rows."""
    tables = _tables(connection, RAW)
    cursor = connection.cursor()
    for account, empty in SHAPES.items():
        cursor.execute(f"create schema {account}")
        for table in tables:
            cursor.execute(f"create table {account}.{table} as select * from {RAW}.{table}")
            if table in empty or table.split("__", 1)[0] in empty:
                cursor.execute(f"delete from {account}.{table}")
    cursor.close()


def _build(env: dict[str, str], connect: Callable[[], Any], work: Path) -> dict[str, list[str]]:
    """Build every shape; returns each mart's ``meta.needs`` for this version."""
    connection = connect()
    try:
        _make_shapes(connection)
        connection.commit()
    finally:
        connection.close()
    run = run_dbt(["build", "--target", env["DEST"]], env, work)
    assert_build_passed(run)
    manifest = json.loads((run.target_path / "manifest.json").read_text())
    return {
        node["name"]: node["config"]["meta"]["needs"][VERSION]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    }


def _check_needs(connect: Callable[[], Any], needs: dict[str, list[str]]) -> None:
    """A mart is empty in an account exactly when an endpoint it needs (``meta.needs``, what
    ``elt check`` tells a user) has no rows there: the documented needs are the real ones."""
    connection = connect()
    try:
        wrong = []
        for mart, needed in sorted(needs.items()):
            rows = fetch(
                connection,
                f"select source_relation, count(*) as n from greenhouse_marts.{mart}"
                " group by source_relation",
            )
            counts = {r["source_relation"]: r["n"] for r in rows}
            for account, empty in SHAPES.items():
                should_be_empty = bool(set(needed) & set(empty))
                if should_be_empty != (not counts.get(account)):
                    wrong.append(f"{mart} in {account}: {counts.get(account, 0)} rows")
    finally:
        connection.close()
    assert not wrong, "meta.needs disagrees with the build:\n" + "\n".join(wrong)


def _check(connect: Callable[[], Any], sandbox: SandboxHandle) -> None:
    connection = connect()
    try:
        problems = []
        for account, empty in SHAPES.items():
            org = Shaped(sandbox.org, entities_of(empty, VERSION))
            problems += [
                f"{account}: {p}" for p in account_mart_problems(connection, account, org, VERSION)
            ]
    finally:
        connection.close()
    assert not problems, "\n".join(problems[:60])


def test_the_full_account_fills_every_compared_mart(shapes_sandbox: SandboxHandle) -> None:
    """Otherwise an empty mart would equal an empty oracle and the matrix prove nothing."""
    for mart, (rows, _) in mart_expectations(shapes_sandbox.org, VERSION).items():
        assert rows, f"the sandbox organisation gives no {mart} rows"


@pytest.fixture(scope="module")
def raw_duckdb(shapes_sandbox: SandboxHandle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One extract of the sandbox into DuckDB; each test works on a copy of the file."""
    work = tmp_path_factory.mktemp("raw")
    path = work / "raw.duckdb"
    env = clean_env(
        **shapes_sandbox.env(VERSION),
        DEST="duckdb",
        DUCKDB_PATH=str(path),
        GREENHOUSE_PIPELINES_DIR=str(work / "pipelines"),
    )
    run_extract(env, VERSION, resources=",".join(default_resources(VERSION)))
    return path


def _duckdb_env(path: Path, **extra: str) -> dict[str, str]:
    return clean_env(DEST="duckdb", DUCKDB_PATH=str(path), GREENHOUSE_AS_OF=AS_OF, **extra)


def test_every_shape_builds_with_right_marts_on_duckdb(
    shapes_sandbox: SandboxHandle, raw_duckdb: Path, tmp_path: Path
) -> None:
    import duckdb

    path = tmp_path / "shapes.duckdb"
    shutil.copy(raw_duckdb, path)
    env = _duckdb_env(path, GREENHOUSE_RAW_SCHEMAS=",".join(SHAPES))
    needs = _build(env, lambda: duckdb.connect(str(path)), tmp_path)
    _check(lambda: duckdb.connect(str(path), read_only=True), shapes_sandbox)
    _check_needs(lambda: duckdb.connect(str(path), read_only=True), needs)


def test_a_time_lost_from_every_row_fails_the_build(raw_duckdb: Path, tmp_path: Path) -> None:
    """Stage rows whose entered_at all arrived empty (a field served under another shape)
    would give a stage history, stage durations and funnels of zeros with every other test
    green: the build fails on the staging model instead, naming the column."""
    import duckdb

    path = tmp_path / "lost.duckdb"
    shutil.copy(raw_duckdb, path)
    connection = duckdb.connect(str(path))
    connection.execute(f"update {RAW}.application_stages set entered_at = null")
    connection.close()
    run = run_dbt(
        ["build", "--target", "duckdb", "--select", "stg_greenhouse__application_stages"],
        _duckdb_env(path),
        tmp_path,
    )
    assert run.returncode == 1, run.output[-3000:]
    failed = [r["unique_id"] for r in run.results() if r["status"] == "fail"]
    assert len(failed) == 1 and "not_all_null_in_account" in failed[0], failed
    assert "entered_at" in failed[0], failed


@pytest.mark.postgres
def test_every_shape_builds_with_right_marts_on_postgres(
    shapes_sandbox: SandboxHandle, postgres_server_url: str, tmp_path: Path
) -> None:
    with fresh_database(postgres_server_url) as database:
        env = clean_env(
            **shapes_sandbox.env(VERSION),
            **database.env(),
            DEST="postgres",
            GREENHOUSE_PIPELINES_DIR=str(tmp_path / "pipelines"),
            GREENHOUSE_AS_OF=AS_OF,
        )
        run_extract(env, VERSION, resources=",".join(default_resources(VERSION)))
        env["GREENHOUSE_RAW_SCHEMAS"] = ",".join(SHAPES)
        needs = _build(env, database.connect, tmp_path)
        _check(database.connect, shapes_sandbox)
        _check_needs(database.connect, needs)
