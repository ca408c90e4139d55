"""DEST=snowflake for real, on the fakesnow emulator: sandbox (200 candidates, v3) -> `elt
extract` (dlt's Snowflake destination: PUT of JSONL files to table stages, COPY INTO) -> `dbt
build --target snowflake`, both through snowflake-connector-python as against Snowflake. The
raw tables hold every sandbox record, custom_fields hold the sandbox's objects and a GET reads
their values, the reporting and pipeline marts equal the oracles' figures, and every dbt node
passes except those the emulator's known gaps (tests/fixtures/emulators/gaps.py) break; each gap
is checked to still be there, so a fixed emulator shows up here.

What the emulator cannot show (that Snowflake keeps the objects objects) is checked apart:
tests/extract/test_snowflake_load_format.py, docs/warehouses.md.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.emulators import HERE
from tests.fixtures.emulators import clean_env as emulator_env
from tests.fixtures.emulators.gaps import SNOWFLAKE_GAPS, Gap
from tests.fixtures.sandbox import SandboxHandle
from tests.fixtures.snowflake import SnowflakeEmulator

from .checks import check_marts, check_pipeline_marts
from .conftest import RESOURCES
from .emulated import EmulatedBuild, assert_only_gaps_fail, build_on

# one extract + dbt build runs in the first test that asks (6-15 min on a busy 2-core machine)
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

VERSION = "v3"
# the tables the dbt project reads, and the custom-field dictionary, so the custom-field marts
# get their typed columns
EXTRACTED = f"{RESOURCES[VERSION]},custom_fields"


Build = EmulatedBuild[SnowflakeEmulator]


@pytest.fixture(scope="module")
def build(
    transform_sandbox: SandboxHandle,
    snowflake_emulator: SnowflakeEmulator,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Build]:
    work = tmp_path_factory.mktemp("snowflake")
    yield build_on(snowflake_emulator, "snowflake", transform_sandbox, work, VERSION, EXTRACTED)


class _LowerCaseNames:
    """A DB-API connection whose result columns are named in lower case, as the checks name
    them (Snowflake names unquoted columns in upper case)."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def cursor(self) -> Any:
        cursor = self._connection.cursor()

        class Cursor:
            def execute(self, sql: str) -> None:
                cursor.execute(sql)

            @property
            def description(self) -> list[tuple[Any, ...]]:
                return [(d[0].lower(), *d[1:]) for d in cursor.description]

            def fetchall(self) -> list[tuple[Any, ...]]:
                return [tuple(row) for row in cursor.fetchall()]

            def close(self) -> None:
                cursor.close()

        return Cursor()

    def close(self) -> None:
        self._connection.close()


@pytest.fixture(scope="module")
def stock_outcomes(snowflake_emulator: SnowflakeEmulator, tmp_path_factory: pytest.TempPathFactory):
    """Each gap's probe on stock fakesnow (no adapter): its outcome by gap name."""
    jsonl = tmp_path_factory.mktemp("gaps") / "probe.jsonl"
    jsonl.write_text(json.dumps({"A": 1, "v": {"k": [1, 2]}}) + "\n")
    given = {"probes": [list(gap.probe) for gap in SNOWFLAKE_GAPS], "jsonl": str(jsonl)}
    result = subprocess.run(
        [str(snowflake_emulator.python), str(HERE / "probe_fakesnow.py")],
        input=json.dumps(given),
        capture_output=True,
        text=True,
        env=emulator_env(),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    # the last line: uvicorn's access log goes to stdout before it
    outcomes = json.loads(result.stdout.strip().splitlines()[-1])
    return {"jsonl": jsonl, **dict(zip([g.name for g in SNOWFLAKE_GAPS], outcomes, strict=True))}


def _adapted_outcome(emulator: SnowflakeEmulator, gap: Gap, jsonl: Path) -> str:
    """The probe through the fixture's server (the adapter), in a database of its own."""
    database = "adapted_" + "".join(c if c.isalnum() else "_" for c in gap.name)
    import snowflake.connector

    rows: list[tuple[Any, ...]] = []
    try:
        connection = snowflake.connector.connect(
            account="fakesnow",
            user="prober",
            password="unchecked",
            database=database,
            schema="GAPS",
            **emulator.connect_args(),
        )
        try:
            cursor = connection.cursor()
            cursor.execute(f"create schema if not exists {database}.gaps")
            for statement in gap.probe:
                cursor.execute(statement.format(database=database, jsonl=jsonl))
                rows = [tuple(row) for row in cursor.fetchall()]
        finally:
            connection.close()
    except Exception as exc:  # noqa: BLE001 - the error is the outcome
        return f"error: {exc}"
    return repr(rows)


@pytest.mark.parametrize("gap", SNOWFLAKE_GAPS, ids=lambda gap: gap.name)
def test_known_emulator_gap_is_still_there(
    snowflake_emulator: SnowflakeEmulator, stock_outcomes: dict[str, Any], gap: Gap
) -> None:
    """On stock fakesnow: when a release closes a gap this fails, and the gap comes off the
    list (with its part of the adapter, if it has one)."""
    outcome = stock_outcomes[gap.name]
    assert gap.emulator_says in outcome, f"{gap.name}: stock fakesnow now says {outcome[:500]}"
    if gap.adapted:  # through the adapter the same statements run
        adapted = _adapted_outcome(snowflake_emulator, gap, stock_outcomes["jsonl"])
        assert not adapted.startswith("error"), adapted


def test_raw_tables_hold_every_sandbox_record(build: Build) -> None:
    org = build.sandbox.org
    tables = EXTRACTED.split(",")
    sql = " union all ".join(
        f"select '{table}' as name, count(*) as n from greenhouse_raw.{table}" for table in tables
    )
    landed = dict(build.emulator.query(sql))
    assert landed == {table: org.count(table) for table in tables}
    # custom_fields hold the sandbox's objects (on the emulator; that Snowflake keeps them
    # objects is checked apart), and a GET of a field's value reads it as the staging does
    with_fields = {
        r["id"]: r["custom_fields"] for r in org.records("candidates") if r.get("custom_fields")
    }
    assert with_fields, "the sandbox gives no candidate custom fields"
    rows = build.emulator.query(
        "select id, custom_fields from greenhouse_raw.candidates where custom_fields is not null"
    )
    assert {i: json.loads(value) for i, value in rows} == with_fields
    values = {
        (i, key): field["value"]
        for i, fields in with_fields.items()
        for key, field in fields.items()
        if field.get("value") is not None and "'" not in key
    }
    keys = sorted({key for _, key in values})
    # the connector returns a VARIANT as its JSON text, on Snowflake as here
    read = " union all ".join(
        f"select id, '{key}' as k, get(get(custom_fields, '{key}'), 'value') as v"
        " from greenhouse_raw.candidates where custom_fields is not null"
        for key in keys
    )
    got = {
        (i, key): json.loads(value)
        for i, key, value in build.emulator.query(read)
        if value is not None and json.loads(value) is not None
    }
    assert got == values


def test_dbt_build_passes_all_but_the_known_gaps(build: Build) -> None:
    assert_only_gaps_fail(build.run, SNOWFLAKE_GAPS)


def test_marts_equal_figures_computed_from_the_sandbox(build: Build) -> None:
    connection = _LowerCaseNames(build.emulator.connect())
    try:
        for check in (check_marts, check_pipeline_marts):
            check(connection, build.sandbox.org, VERSION)
    finally:
        connection.close()
    print(
        f"snowflake emulator: extract {build.extract_seconds:.0f} s,"
        f" dbt build {build.dbt_seconds:.0f} s"
    )
