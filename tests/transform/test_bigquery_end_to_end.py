"""DEST=bigquery for real, on the bqemulator emulator: sandbox (200 candidates, v3) -> `elt
extract` (dlt's BigQuery destination: JSONL load jobs) -> `dbt build --target bigquery`, both
through google-cloud-bigquery as against Google. The raw tables hold every sandbox record, the
JSON columns are BigQuery JSON, the reporting and pipeline marts equal the oracles' figures, and
every dbt node passes except those the emulator's known gaps (tests/fixtures/emulators/gaps.py)
break; each gap is checked to still fail, so a fixed emulator shows up here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from extract.endpoints import default_resources
from tests.fixtures.bigquery import BigQueryEmulator
from tests.fixtures.emulators.gaps import BIGQUERY_DECIMAL_TOLERANCE, BIGQUERY_GAPS, Gap
from tests.fixtures.sandbox import SandboxHandle

from .checks import check_marts, check_pipeline_marts
from .emulated import EmulatedBuild, assert_only_gaps_fail, build_on

# one extract + dbt build (~5 min on an idle 2-core machine) runs in the first test that asks
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

VERSION = "v3"
# the custom-field dictionary too, so the custom-field marts get their typed columns
# every default endpoint: an endpoint left out gets its raw table created empty by a load of
# an empty file, which google-cloud-bigquery uploads as a resumable upload the emulator cannot
# answer (it sends no Range header); listed in the stop notes, unverified on real BigQuery
EXTRACTED = ",".join(default_resources(VERSION))


Build = EmulatedBuild[BigQueryEmulator]


@pytest.fixture(scope="module")
def build(
    transform_sandbox: SandboxHandle,
    bigquery_emulator: BigQueryEmulator,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Build]:
    work = tmp_path_factory.mktemp("bigquery")
    yield build_on(bigquery_emulator, "bigquery", transform_sandbox, work, VERSION, EXTRACTED)


def _outcome(client: Any, statements: tuple[str, ...], **names: str) -> str:
    """repr() of the last statement's rows, or the error of the first statement that fails."""
    rows: list[tuple[Any, ...]] = []
    try:
        for statement in statements:
            rows = [tuple(row.values()) for row in client.query(statement.format(**names)).result()]
    except Exception as exc:  # noqa: BLE001 - the error is the outcome
        return f"error: {exc}"
    return repr(rows)


@pytest.mark.parametrize("gap", BIGQUERY_GAPS, ids=lambda gap: gap.name)
def test_known_emulator_gap_is_still_there(bigquery_emulator: BigQueryEmulator, gap: Gap) -> None:
    """Straight to the emulator (no adapter): when a release closes a gap this fails, and the
    gap comes off the list (with its adapter, if it has one)."""
    client = bigquery_emulator.client(direct=True)
    client.create_dataset("emulator_gaps", exists_ok=True)
    names = {"project": bigquery_emulator.project, "dataset": "emulator_gaps"}
    outcome = _outcome(client, gap.probe, **names)
    assert gap.emulator_says in outcome, f"{gap.name}: the emulator now says {outcome[:500]}"
    if gap.adapted:  # through the adapter the same statements run
        adapted = _outcome(bigquery_emulator.client(), gap.probe, **names)
        assert not adapted.startswith("error"), adapted


def test_raw_tables_hold_every_sandbox_record(build: Build) -> None:
    org = build.sandbox.org
    client = build.emulator.client()
    tables = EXTRACTED.split(",")
    sql = " union all ".join(
        f"select '{table}' as name, count(*) as n from greenhouse_raw.{table}" for table in tables
    )
    landed = {row["name"]: row["n"] for row in client.query(sql).result()}
    assert landed == {table: org.count(table) for table in tables}
    # custom_fields hold JSON objects, not strings holding JSON (the emulator names the column's
    # type STRING whatever it holds: a known gap; dlt's DDL types it JSON)
    with_fields = {
        r["id"]: r["custom_fields"] for r in org.records("candidates") if r.get("custom_fields")
    }
    assert with_fields, "the sandbox gives no candidate custom fields"
    rows = client.query(
        "select id, json_type(custom_fields) as kind, to_json_string(custom_fields) as value"
        " from greenhouse_raw.candidates where custom_fields is not null"
    ).result()
    landed_fields = {row["id"]: (row["kind"], json.loads(row["value"])) for row in rows}
    assert {i: landed_fields.get(i) for i in with_fields} == {
        i: ("object", fields) for i, fields in with_fields.items()
    }


def test_dbt_build_passes_all_but_the_known_gaps(build: Build) -> None:
    assert_only_gaps_fail(build.run, BIGQUERY_GAPS)


def test_marts_equal_figures_computed_from_the_sandbox(build: Build) -> None:
    with_connection = build.emulator.connect()
    try:
        for check in (check_marts, check_pipeline_marts):
            check(with_connection, build.sandbox.org, VERSION, BIGQUERY_DECIMAL_TOLERANCE)
    finally:
        with_connection.close()
    print(
        f"bigquery emulator: extract {build.extract_seconds:.0f} s,"
        f" dbt build {build.dbt_seconds:.0f} s"
    )
