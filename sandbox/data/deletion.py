"""Deletions, as Greenhouse users make them: a record is gone from every list and read.

Deleting a candidate deletes their applications, and deleting an application deletes what hangs
off it (application stages, offers, interviews and their interviewers, scorecards, EEOC and
demographic answers, rejection details). Openings, offers and job posts can be deleted on their
own. Nothing else changes: Greenhouse has no deletion feed and bumps no `updated_at`, so an
incremental reader never sees a deletion (the extract's deletion sweep finds them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sandbox.data.advance import ChangeOverTime

# the tables whose rows belong to one application (their `application_id`)
APPLICATION_CHILDREN = (
    "application_stages",
    "offers",
    "interviews",
    "interviewers",
    "scorecards",
    "eeoc",
    "demographic_answers",
    "rejection_details",
)
DELETABLE = ("candidates", "applications", "openings", "offers", "job_posts")


class Deletions(ChangeOverTime):
    """`delete(entity, ids)`: deterministic, cascading as Greenhouse cascades."""

    applications_of_candidate: Callable[[int], list[int]]  # Organisation's read API

    def delete(self, entity: str, ids: Iterable[int]) -> dict[str, list[int]]:
        """Delete records of `entity` (one of DELETABLE) and what hangs off them; returns the
        ids deleted per entity (ids that did not exist, or were deleted before, are ignored)."""
        if entity not in DELETABLE:
            raise ValueError(f"cannot delete {entity!r}; deletable: {', '.join(DELETABLE)}")
        wanted = sorted({int(i) for i in ids})
        done: dict[str, list[int]] = {}
        if entity == "candidates":
            apps = [a for c in wanted for a in self.applications_of_candidate(c)]
            self._delete_applications(apps, done)
        elif entity == "applications":
            self._delete_applications(wanted, done)
        self._delete_rows(entity, wanted, done)
        return {name: sorted(gone) for name, gone in done.items() if gone}

    def _delete_applications(self, app_ids: list[int], done: dict[str, list[int]]) -> None:
        table = self.tables["applications"]
        live = [a for a in app_ids if a not in table.deleted]
        for child in APPLICATION_CHILDREN:
            rows = [r["id"] for a in live for r in self.child_rows(child, a)]
            self._delete_rows(child, rows, done)
        self._delete_rows("applications", live, done)

    def _delete_rows(self, entity: str, ids: list[int], done: dict[str, list[int]]) -> None:
        done.setdefault(entity, []).extend(self.tables[entity].delete(ids))
