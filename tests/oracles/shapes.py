"""The sandbox organisation as an account of another shape sees it.

An endpoint that answers ``[]`` (nothing there yet), ``403`` (with ``--skip-forbidden``), failed
on its first load or was not selected lands no rows: the oracles then compute the marts from
the organisation's canonical records without that endpoint's entities. The rest of the records
are as they are: a mart that reads only what was served is computed from exactly that.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

# v1 endpoints that carry other entities than their own name (extract/endpoints.py, the
# sandbox's v1 renderer): scheduled interviews carry their panels, job stages their slots.
V1_ENTITIES = {
    "scheduled_interviews": ("interviews", "interviewers"),
    "job_stages": ("job_interview_stages", "job_interviews"),
}


def entities_of(endpoints: Iterable[str], version: str) -> set[str]:
    """The canonical entities that the given endpoints of an API version serve."""
    out: set[str] = set()
    for endpoint in endpoints:
        out.update(V1_ENTITIES.get(endpoint, (endpoint,)) if version == "v1" else (endpoint,))
    return out


class Shaped:
    """An organisation whose ``records`` of the given entities are empty; everything else
    (counts, lookups the oracles use) is the organisation's own."""

    def __init__(self, org: Any, empty: Iterable[str]):
        self._org = org
        self.empty = frozenset(empty)

    def records(self, entity: str) -> Iterator[dict[str, Any]]:
        if entity in self.empty:
            return iter(())
        return iter(self._org.records(entity))

    def count(self, entity: str) -> int:
        return 0 if entity in self.empty else int(self._org.count(entity))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._org, name)
