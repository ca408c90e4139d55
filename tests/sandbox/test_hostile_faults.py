"""Hostile responses the sandbox can serve on request, and the sandbox's own consistency."""

from __future__ import annotations

from sandbox.data import Organisation


def test_offers_keep_their_dates_after_advance_whatever_the_cache_holds() -> None:
    """A record is a function of its id and the changes made to it, never of what was read before:
    the stage timeline behind an application's offers is cached, and advance() moves the
    application's last activity. Reading a large second organisation in between (which evicts
    any shared cache) must not change a single offer."""
    org = Organisation(seed=42, candidates=3000)
    org.advance(0.05)
    first = {r["id"]: r for r in org.records("offers")}
    other = Organisation(seed=7, candidates=10000)
    assert sum(1 for _ in other.records("application_stages")) > 8192
    second = {r["id"]: r for r in org.records("offers")}
    changed = sorted(i for i in first if first[i] != second[i])
    assert changed == [], f"{len(changed)} of {len(first)} offers changed between two reads"
