"""The run summary's rows new / updated per table, against an independent count: the first run
finds every record new; after the organisation moves on (``advance``), exactly the new ids are
new and the existing ids whose ``updated_at`` changed are updated. Reference tables are
replaced whole each run. Counted from the sandbox's records, never from the output."""

from __future__ import annotations

import re

from extract.endpoints import catalogue
from extract.summary import dbt_node_counts
from tests.oracles.landing import expected_count

INCREMENTAL = ("candidates", "applications", "offers", "jobs")
REFERENCE = ("departments", "sources")


def _cursors(org, entity: str) -> dict[int, str]:
    return {record["id"]: record["updated_at"] for record in org.records(entity)}


def test_new_and_updated_rows_match_the_organisation(sandbox, run_extract, extract_env):
    kinds = catalogue("v3")
    assert all(kinds[name].kind == "incremental" for name in INCREMENTAL)
    assert all(kinds[name].kind == "reference" for name in REFERENCE)
    env = {**extract_env, **sandbox.env("v3"), "GREENHOUSE_LOOKBACK_SECONDS": "0"}
    resources = ("--resources", ",".join(INCREMENTAL + REFERENCE))

    first = run_extract(env, *resources).check()
    for name in INCREMENTAL + REFERENCE:
        row = first.summary["tables"][name]
        count = expected_count(sandbox.org, name)
        assert (row["new"], row["updated"], row["total"]) == (count, 0, count), name
    assert "Run summary" in first.stdout

    before = {name: _cursors(sandbox.org, name) for name in INCREMENTAL}
    assert sandbox.advance(0.05)
    second = run_extract(env, *resources).check()

    for name in INCREMENTAL:
        after = _cursors(sandbox.org, name)
        new = set(after) - set(before[name])
        updated = {i for i in before[name] if i in after and after[i] != before[name][i]}
        row = second.summary["tables"][name]
        assert (row["new"], row["updated"]) == (len(new), len(updated)), name
        assert row["total"] == len(after)
        if new or updated:  # its own row on screen, with the same figures
            shown = rf"\b{name}\s+{len(new):,}\s+{len(updated):,}\s+{len(after):,}\b"
            assert re.search(shown, second.stdout), second.stdout
    assert any(second.summary["tables"][name]["updated"] for name in INCREMENTAL)
    for name in REFERENCE:
        row = second.summary["tables"][name]
        assert row["replaced"] and row["new"] is None
        assert row["total"] == expected_count(sandbox.org, name)
    # reference tables that kept their size share one line instead of a row each
    assert re.search(r"replaced, same row count: .*departments", second.stdout)
    assert set(second.summary["step_seconds"]) >= {"extract", "normalize", "load"}


def test_dbt_results_are_counted_per_node_type() -> None:
    """run_results.json statuses: models (and seeds, snapshots) and tests (data and unit)."""
    results = [
        {"unique_id": "model.greenhouse.a", "status": "success"},
        {"unique_id": "model.greenhouse.b", "status": "error"},
        {"unique_id": "seed.greenhouse.c", "status": "success"},
        {"unique_id": "test.greenhouse.d", "status": "pass"},
        {"unique_id": "test.greenhouse.e", "status": "warn"},
        {"unique_id": "unit_test.greenhouse.f", "status": "fail"},
        {"unique_id": "model.greenhouse.g", "status": "skipped"},
    ]
    assert dbt_node_counts(results) == {
        "models": {"passed": 2, "failed": 1, "skipped": 1},
        "tests": {"passed": 1, "warned": 1, "failed": 1},
    }
