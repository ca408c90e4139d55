"""Filtered queries decided from the index arrays agree with a brute-force scan of the records."""

from __future__ import annotations

import random

import pytest

from sandbox.data import Organisation
from sandbox.server import V3_ENDPOINTS
from sandbox.store import Filters, iso_to_ms, record_matches

OPS = ("gte", "gt", "lte", "lt")


def _random_filters(r: random.Random, records: list[dict]) -> Filters:
    field = r.choice(("updated_at", "created_at"))
    stamps = sorted(iso_to_ms(x[field]) for x in records)
    pick = [r.choice(stamps) + r.choice((-1, 0, 1)) for _ in range(2)]
    if r.random() < 0.5:
        time: tuple[tuple[str, str, int], ...] = ((field, r.choice(OPS), pick[0]),)
    else:
        lo, hi = sorted(pick)
        time = ((field, r.choice(("gte", "gt")), lo), (field, r.choice(("lte", "lt")), hi))
    ids = None
    if r.random() < 0.2:
        ids = frozenset(x["id"] for x in r.sample(records, min(5, len(records))))
    return Filters(time=time, ids=ids)


@pytest.mark.parametrize("advanced", [False, True])
def test_random_windows_match_brute_force(advanced: bool) -> None:
    org = Organisation(seed=11, candidates=150)
    if advanced:
        org.advance(0.1)
        org.advance(0.05)
    r = random.Random(1)
    for entity in V3_ENDPOINTS:
        records = list(org.records(entity))
        for _ in range(15):
            flt = _random_filters(r, records)
            want = [x["id"] for x in records if record_matches(x, flt)]
            assert list(org.query(entity, flt)) == want, (entity, flt)


def test_parent_and_equality_filters_match_brute_force() -> None:
    org = Organisation(seed=12, candidates=120)
    org.advance(0.1)
    apps = list(org.records("applications"))
    some = frozenset(a["id"] for a in apps[::9])
    with_offers = frozenset(sorted({o["application_id"] for o in org.records("offers")})[::2])
    for entity, flt in [
        ("application_stages", Filters(parents=(("application_id", some),))),
        (
            "offers",
            Filters(parents=(("application_id", with_offers),), equals=(("status", "Deprecated"),)),
        ),
        ("applications", Filters(equals=(("status", "hired"),))),
        (
            "applications",
            Filters(
                parents=(("job_id", frozenset({apps[0]["job_id"]})),),
                time=(("updated_at", "gte", iso_to_ms(apps[50]["updated_at"])),),
            ),
        ),
        ("jobs", Filters(equals=(("status", "open"),))),
    ]:
        want = [x["id"] for x in org.records(entity) if record_matches(x, flt)]
        assert list(org.query(entity, flt)) == want, (entity, flt)
        assert want, (entity, "the case is empty: it proves nothing")


def test_uneven_groups_are_not_mistaken_for_one_row_each() -> None:
    """3 groups holding 0, 2 and 1 rows: as many rows as groups, but not one per group."""
    import numpy as np

    from sandbox.store import GroupIndex, Table

    starts = np.array([0, 0, 2, 3])
    rows = {0: [], 1: [{"id": 101}, {"id": 102}], 2: [{"id": 103}]}
    bounds = np.zeros(3, dtype=np.int64)
    table = Table(
        "t", 101, GroupIndex(starts=starts, lo_created=bounds, hi_updated=bounds), lambda g: rows[g]
    )
    assert not table.one_row_per_group
    assert [r["id"] for r in table.iter_records()] == [101, 102, 103]
    assert [table.group_of(i) for i in (101, 102, 103)] == [1, 1, 2]
