"""A 1,000,000-candidate organisation is built and paged without materialising its records."""

from __future__ import annotations

import gc

import psutil

from sandbox.data import Organisation
from sandbox.store import Filters


def test_million_candidates_build_and_page_lazily() -> None:
    proc = psutil.Process()
    gc.collect()
    before = proc.memory_info().rss
    org = Organisation(seed=1, candidates=1_000_000)
    assert org.count("candidates") == 1_000_000
    assert org.count("applications") > 1_000_000
    assert org.count("application_stages") > 4_000_000
    # first and last pages (id-descending as v3 serves them) and one from the middle
    for entity in ("candidates", "applications", "application_stages", "offers", "scorecards"):
        ids = org.query(entity, Filters())
        n = len(ids)
        for start in (n - 500, n // 2, 0):
            page = org.get_many(entity, ids.slice(start, start + 500))
            assert [r["id"] for r in page] == ids.slice(start, start + 500)
    # a filtered (incremental) query only generates what it must
    recent = org.query(
        "applications",
        Filters(time=(("updated_at", "gte", int(org.app_updated.max()) - 86_400_000),)),
    )
    assert 0 < len(recent) < org.count("applications") // 100
    grown = proc.memory_info().rss - before
    print(f"\n1M-candidate organisation: RSS grew by {grown / 2**20:.0f} MB")
    # nothing close to the JSON size (several GB) may be held
    assert grown < 600 * 2**20
