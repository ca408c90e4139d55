"""Full and incremental loads of every default endpoint, v3 and v1, into DuckDB and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from extract.endpoints import default_resources
from tests.extract.conftest import Target, duckdb_target, entity_of, org_ids
from tests.oracles.landing import records

VERSIONS = ["v3", "v1"]


def _as_utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def assert_every_record_landed(
    target: Target, sandbox: Any, version: str, wanted: Sequence[str] | None = None
) -> None:
    """Every record of the sandbox in its raw table, once (``wanted``: the tables of a run
    given ``--resources``; the default selection otherwise)."""
    tables = target.tables()
    wanted = list(wanted or default_resources(version))
    missing_tables = [t for t in wanted if t not in tables]
    assert not missing_tables, f"raw tables missing: {missing_tables}"
    all_ids = target.ids_many(wanted)
    for table in wanted:
        landed = all_ids[table]
        expected = sorted(org_ids(sandbox.org, entity_of(version, table)))
        duplicates = [i for i, n in Counter(landed).items() if n > 1]
        assert not duplicates, f"{table}: duplicate ids {duplicates[:5]}"
        assert landed == expected, (
            f"{table}: {len(landed)} landed, {len(expected)} in the sandbox; "
            f"missing {sorted(set(expected) - set(landed))[:5]}, "
            f"extra {sorted(set(landed) - set(expected))[:5]}"
        )


def assert_updated_at_current(target: Target, sandbox: Any, version: str, table: str) -> None:
    """Every row carries the sandbox's latest updated_at: changed records were re-landed."""
    entity = entity_of(version, table)
    expected = {r["id"]: _as_utc(r["updated_at"]) for r in sandbox.org.records(entity)}
    rows = target.query(f"select id, updated_at from greenhouse_raw.{table}")
    landed = {i: _as_utc(v) for i, v in rows}
    stale = [i for i in expected if landed.get(i) != expected[i]]
    assert not stale, f"{table}: {len(stale)} rows not updated, e.g. {stale[:3]}"


@pytest.mark.parametrize("version", VERSIONS)
def test_full_then_incremental(sandbox_factory, run_extract, extract_env, target, version):
    sandbox = sandbox_factory(candidates=200)
    env = {**extract_env, **target.env, **sandbox.env(version)}

    first = run_extract(env).check()
    assert_every_record_landed(target, sandbox, version)
    # the summary counts rows in the destination
    assert first.summary["rows"]["candidates"] == sandbox.org.count("candidates")
    counts_after_full = target.counts()
    full_requests = first.summary["requests"]

    # Nothing changed: no new rows, one request per endpoint (plus nothing else).
    sandbox.reset_stats()
    second = run_extract(env).check()
    assert target.counts() == counts_after_full
    served = sandbox.stats()["total"]
    assert served == len(default_resources(version)), sandbox.stats()["by_endpoint"]
    assert second.summary["requests"] == served
    assert served <= full_requests

    # The organisation moves on: the incremental run lands exactly the changed and new records.
    changes = sandbox.advance(0.05)
    assert changes
    run_extract(env).check()
    assert_every_record_landed(target, sandbox, version)
    for table in ("candidates", "offers", "jobs"):
        assert_updated_at_current(target, sandbox, version, table)


def test_v3_custom_fields_survive_as_json(sandbox, run_extract, extract_env, target):
    env = {**extract_env, **target.env, **sandbox.env("v3")}
    run_extract(env, "--resources", "candidates,applications,jobs,offers").check()
    for table in ("candidates", "applications", "jobs", "offers"):
        expected = {r["id"]: r["custom_fields"] for r in sandbox.org.records(table)}
        landed = target.json_column(table, "custom_fields")
        assert landed == expected, f"{table}: custom field values differ"
    # nothing of the custom fields leaked into flattened columns
    columns = {
        r[0]
        for r in target.query(
            "select column_name from information_schema.columns "
            "where table_schema = 'greenhouse_raw' and table_name = 'candidates'"
        )
    }
    assert not [c for c in columns if c.startswith("custom_fields__")]


def test_v1_nested_data_lands_as_child_tables_and_json(sandbox, run_extract, extract_env, target):
    env = {**extract_env, **target.env, **sandbox.env("v1")}
    run_extract(env).check()
    org = sandbox.org
    tables = target.tables()
    # applications nest jobs[]: one child row per (application, job)
    expected_links = sum(
        1 if r["job_id"] is not None else len(r["prospective_job_ids"] or [])
        for r in org.records("applications")
    )
    assert "applications__jobs" in tables
    assert target.count("applications__jobs") == expected_links
    # jobs nest openings[]; custom fields nest their options
    assert target.count("jobs__openings") == org.count("openings")
    assert target.count("custom_fields__custom_field_options") == org.count("custom_field_options")
    # child rows point at their parent rows
    orphans = target.query(
        "select count(*) from greenhouse_raw.jobs__openings o "
        "left join greenhouse_raw.jobs j on o._dlt_parent_id = j._dlt_id where j.id is null"
    )
    assert orphans[0][0] == 0
    # keyed custom fields survive with their value types
    expected = {r["id"]: r["custom_fields"] or {} for r in org.records("candidates")}
    assert target.json_column("candidates", "keyed_custom_fields") == expected
    # a candidate's lists (read by no staging model) stay JSON columns of its row, as served
    served = list(records(org, "candidates", "v1"))
    for column in ("applications", "email_addresses", "tags", "employments", "application_ids"):
        expected_lists = {r["id"]: r[column] for r in served}
        assert target.json_column("candidates", column) == expected_lists, column
    assert not [t for t in tables if t.startswith("candidates__")]


@pytest.mark.parametrize("version", VERSIONS)
def test_sensitive_eeoc_only_when_asked(sandbox, run_extract, extract_env, version):
    env = {**extract_env, **sandbox.env(version)}
    run_extract(env, "--resources", "departments").check()
    target = duckdb_target(extract_env)
    assert "eeoc" not in target.tables()
    run_extract(env, "--resources", "eeoc").check()
    key = "id" if version == "v3" else "application_id"  # v1 EEOC rows carry no id
    landed = sorted(r[0] for r in target.query(f"select {key} from greenhouse_raw.eeoc"))
    assert landed == sorted(r[key] for r in sandbox.org.records("eeoc"))
