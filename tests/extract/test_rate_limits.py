"""Rate limits the extract cannot read a reset time from: a sliding window, Retry-After on 429s."""

from __future__ import annotations

from collections import Counter

from tests.extract.conftest import duckdb_target, org_ids

# Enough endpoints (one page each for a small organisation) for three windows of 5 requests.
RESOURCES = [
    "candidates",
    "applications",
    "application_stages",
    "jobs",
    "job_posts",
    "openings",
    "offers",
    "users",
    "interviews",
    "scorecards",
    "departments",
    "offices",
]


def test_sliding_window_without_reset_header_makes_no_429s(
    sandbox_factory, run_extract, extract_env
):
    # Harvest documents only X-RateLimit-Limit / -Remaining "per 10 seconds": the sandbox counts
    # the last 10 s and never says when the budget refills (Retry-After on a 429 only).
    sandbox = sandbox_factory(candidates=30, rate_limit=5, rate_window=10, rate_mode="sliding")
    env = {**extract_env, **sandbox.env("v3")}
    run = run_extract(env, "--resources", ",".join(RESOURCES)).check()

    stats = sandbox.stats()
    assert stats["total"] > 10, "the run should span several rate windows"
    assert stats["by_status"].get("429", 0) == 0, stats["by_status"]
    assert run.summary is not None and run.summary["rate_limited_429"] == 0

    landed = duckdb_target(extract_env).ids_many(RESOURCES)
    for table in RESOURCES:
        duplicates = [i for i, n in Counter(landed[table]).items() if n > 1]
        assert not duplicates, f"{table}: duplicate ids {duplicates[:5]}"
        assert landed[table] == sorted(org_ids(sandbox.org, table)), table
