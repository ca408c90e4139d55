"""The deterministic synthetic organisation served by the sandbox.

`Organisation(seed, candidates)` builds, with vectorised numpy draws, only the *structure* of the
organisation (which candidate has which applications on which job, how far each application got,
how many offer versions / interviews / scorecards it has, and a few timestamps per group). Every
record is then generated on demand from a per-record RNG, in canonical form = the v3 record shape.
Memory therefore grows by tens of bytes per application, not by the size of the JSON.

The parts, in the order they are built:

    reference.py      small entities, built eagerly (with jobs.py and custom_fields.py)
    structure.py      the index arrays of candidates, applications and their children; openings
    organisation.py   the tables (sandbox.store) over both, and the public read API (this file)
    records.py        generators: candidates, applications, stage history, offers, openings
    activity.py       generators: interviews, scorecards, EEOC, demographic answers
    advance.py        change over time (`advance()`)
    deletion.py       deletions through the admin API (`delete()`)

See docs/sandbox.md for the data-shape decisions.
"""

from __future__ import annotations

import contextlib
import ctypes
import random
from collections.abc import Iterator

import numpy as np

from sandbox.data.activity import SCORECARD_MAX_LATENCY, Activity
from sandbox.data.deletion import Deletions
from sandbox.data.ids import FIRST_ID, SALT
from sandbox.data.reference import ReferenceData
from sandbox.data.timestamps import END_MS
from sandbox.store import Filters, GroupIndex, Ids, Record, Table


class Organisation(ReferenceData, Activity, Deletions):
    """A deterministic Greenhouse organisation; see the module docstring."""

    def __init__(self, seed: int = 42, candidates: int = 200, odd_custom_field_keys: bool = False):
        if candidates < 1:
            raise ValueError("candidates must be >= 1")
        self.seed = seed
        self.odd_custom_field_keys = odd_custom_field_keys
        self.size = candidates
        self.now = END_MS  # the organisation's "today" for durations of base records
        self.advances = 0
        self._added_apps_of_cand = {}
        self._cf_pools = {}
        self._added_children = {}
        rng = np.random.default_rng([seed, candidates])
        self._build_small(random.Random(f"{seed}:small"))
        self._build_structure(rng, candidates)
        # advance() moves app_la (the filters follow it); generated children keep the built one
        self.app_la_built = self.app_la.copy()
        self._plan_cache = {}
        self._build_panels(np.random.default_rng([seed, candidates, SALT["interviewers"]]))
        self._build_openings(random.Random(f"{seed}:openings"))
        self._build_tables()
        _release_free_memory()

    def _build_tables(self) -> None:
        self.tables: dict[str, Table] = {}
        for name, rows in self.small.items():
            t = Table(name, FIRST_ID[name])
            for rec in rows:
                t.add(rec)
            assert rows == [] or t.next_id == rows[-1]["id"] + 1
            self.tables[name] = t
        lo, hi = self.opening_bounds
        job_ids = FIRST_ID["jobs"] + np.arange(self.n_jobs, dtype=np.int64)
        self.tables["openings"] = Table(
            "openings",
            FIRST_ID["openings"],
            GroupIndex(
                starts=self.opening_starts,
                lo_created=lo,
                hi_updated=hi,
                parents={"job_id": job_ids},
            ),
            self._gen_openings,
        )
        n, m = self.n_cand, self.n_app
        cand_ids = (FIRST_ID["candidates"] + np.arange(n, dtype=np.int64)).astype(np.int32)
        app_ids = (FIRST_ID["applications"] + np.arange(m, dtype=np.int64)).astype(np.int32)
        app_job_ids = np.where(self.app_job < 0, -1, FIRST_ID["jobs"] + self.app_job).astype(
            np.int32
        )
        app_cand_ids = cand_ids[self.app_cand]
        self.tables["candidates"] = Table(
            "candidates",
            FIRST_ID["candidates"],
            GroupIndex(
                starts=np.arange(n + 1, dtype=np.int32),
                lo_created=self.cand_created,
                hi_updated=self.cand_updated,
                exact={
                    "created_at": self.cand_created,
                    "updated_at": self.cand_updated,
                    "last_activity_at": self.cand_la,
                },
            ),
            self._gen_candidate,
        )
        self.tables["applications"] = Table(
            "applications",
            FIRST_ID["applications"],
            GroupIndex(
                starts=np.arange(m + 1, dtype=np.int32),
                lo_created=self.app_created,
                hi_updated=self.app_updated,
                parents={"candidate_id": app_cand_ids, "job_id": app_job_ids},
                exact={
                    "created_at": self.app_created,
                    "updated_at": self.app_updated,
                    "last_activity_at": self.app_la,
                },
            ),
            self._gen_application,
        )
        app_parents = {
            "application_id": app_ids,
            "candidate_id": app_cand_ids,
            "job_id": app_job_ids,
        }
        gens = {
            "application_stages": self._gen_app_stages,
            "offers": self._gen_offers,
            "interviews": self._gen_interviews,
            "interviewers": self._gen_interviewers,
            "scorecards": self._gen_scorecards,
            "eeoc": self._gen_eeoc,
            "demographic_answers": self._gen_demographic_answers,
            "rejection_details": self._gen_rejection_details,
        }
        # scorecards are submitted up to SCORECARD_MAX_LATENCY after the interview, which can be
        # after the application's last activity (never after the data set's end)
        hi_scorecards = np.maximum(
            self.app_updated, np.minimum(self.app_la + SCORECARD_MAX_LATENCY, END_MS)
        )
        for name, counts in self.child_counts.items():
            starts = np.zeros(m + 1, dtype=np.int32)
            np.cumsum(counts, out=starts[1:], dtype=np.int32)
            self.tables[name] = Table(
                name,
                FIRST_ID[name],
                GroupIndex(
                    starts=starts,
                    lo_created=self.app_created,
                    hi_updated=hi_scorecards if name == "scorecards" else self.app_updated,
                    parents=app_parents,
                ),
                gens[name],
            )

    # ==== public API ============================================================================
    def table(self, entity: str) -> Table:
        try:
            return self.tables[entity]
        except KeyError:
            raise KeyError(
                f"unknown entity {entity!r}; known: {', '.join(sorted(self.tables))}"
            ) from None

    def records(self, entity: str) -> Iterator[Record]:
        """Canonical (v3-shaped) records of one entity, ids ascending."""
        return self.table(entity).iter_records()

    def count(self, entity: str) -> int:
        return len(self.table(entity))

    def query(self, entity: str, flt: Filters) -> Ids:
        return self.table(entity).query(flt)

    def get(self, entity: str, id_: int) -> Record | None:
        return self.table(entity).get(id_)

    def get_many(self, entity: str, ids: list[int]) -> list[Record]:
        return self.table(entity).get_many(ids)

    def applications_of_candidate(self, cand_id: int) -> list[int]:
        """Application ids of a candidate (base and added, not deleted), ascending."""
        k = cand_id - FIRST_ID["candidates"]
        out: list[int] = []
        if 0 <= k < self.n_cand:
            lo, hi = int(self.cand_starts[k]), int(self.cand_starts[k + 1])
            out = list(range(FIRST_ID["applications"] + lo, FIRST_ID["applications"] + hi))
        out.extend(self._added_apps_of_cand.get(cand_id, []))
        deleted = self.tables["applications"].deleted
        return [a for a in out if a not in deleted]

    def rejection_reason_id(self, app: Record) -> int | None:
        """Rejection reason of a rejected application (v1 nests it; v3 has rejection_details)."""
        if app["status"] != "rejected":
            return None
        return self.reason_of_application(app["id"])


def _release_free_memory() -> None:
    """Hand the build's freed temporaries back to the OS (glibc keeps them otherwise)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)
