"""The structure of the big entities, drawn with vectorised numpy from one generator.

Which candidate has which applications on which job, how far each application got (current
stage, stages entered as a bit mask), its status, a few timestamps, and how many children
(stage rows, offers, interviews, scorecards, EEOC, demographic answers) it has; then the
openings per job. Memory grows by tens of bytes per application: records are generated from
this on demand (`sandbox.data.records`).
"""

from __future__ import annotations

import random

import numpy as np

from sandbox import pools
from sandbox.data.ids import FIRST_ID
from sandbox.data.state import OrganisationState
from sandbox.data.timestamps import DAY, END_MS, HOUR, START_MS, iso, iso_to_ms
from sandbox.store import Record

# interview panels (_build_panels): at most 5 interview stages per job, 1-4 interviewers each
MAX_INTERVIEWS = 5
PANEL_SIZE_P = [0.3, 0.35, 0.25, 0.1]
CANCELLED_P = 0.07  # an interview cancelled (v3 status skipped): no scorecards
SUBMITTED_P = 0.9  # an interviewer of a held interview submits a scorecard


class Structure(OrganisationState):
    """The index arrays of candidates, applications, their children and the openings."""

    def _build_structure(self, rng: np.random.Generator, n: int) -> None:
        self.n_cand = n
        n_apps = rng.choice(np.array([1, 2, 3], dtype=np.int64), size=n, p=[0.75, 0.18, 0.07])
        cand_starts = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(n_apps, out=cand_starts[1:])
        m = int(cand_starts[-1])
        self.n_app = m
        self.cand_starts = cand_starts
        cand_created = np.sort(rng.integers(START_MS + 31 * DAY, END_MS - 60 * DAY, size=n))
        app_cand = np.repeat(np.arange(n, dtype=np.int64), n_apps)
        rank = np.arange(m, dtype=np.int64) - cand_starts[app_cand]
        offset = np.where(
            rank == 0, rng.integers(0, 2 * HOUR, size=m), rng.integers(DAY, 200 * DAY, size=m)
        )
        # no pile-up at the end of the range: what would overshoot is spread over the room left
        room = END_MS - 30 * DAY - cand_created[app_cand]
        offset = np.where(offset > room, (room * rng.random(m)).astype(np.int64), offset)
        app_created = cand_created[app_cand] + offset
        prospect = rng.random(m) < 0.12
        eligible = np.array([j for j, s in enumerate(self.job_status) if s != "draft"])
        app_job = np.where(prospect, -1, eligible[rng.integers(0, len(eligible), size=m)])
        jj = np.maximum(app_job, 0)
        ns = np.where(prospect, 0, self.job_nstages[jj])
        # status: prospects 0 in_process / 1 rejected / 3 converted; others 0 / 1 / 2 hired
        u = rng.random(m)
        status = np.where(
            prospect,
            np.where(u < 0.7, 0, np.where(u < 0.85, 1, 3)),
            np.where(u < 0.52, 0, np.where(u < 0.94, 1, 2)),
        ).astype(np.int8)
        active = self.job_active_mask[jj]
        cur = np.minimum((rng.random(m) ** 2.5 * ns).astype(np.int64), np.maximum(ns - 1, 0))
        cur = np.where(status == 2, ns - 1, cur)
        cur_inactive = ((active >> cur) & 1) == 0
        cur = np.where(cur_inactive & ~prospect, cur - 1, cur)
        cur = np.where(prospect, -1, cur)
        below = np.where(prospect, 0, (np.int64(1) << np.maximum(cur, 0)) - 1)
        r1 = rng.integers(0, 1 << 12, size=m)
        r2 = rng.integers(0, 1 << 12, size=m)
        r3 = rng.integers(0, 1 << 12, size=m)
        skipped = r1 & r2  # each stage skipped with p = 1/4
        entered = (below & active & ~skipped) | (below & ~active & r3)
        entered = np.where(prospect, 0, entered | 1 | (np.int64(1) << np.maximum(cur, 0)))
        moved = (cur > 0) | (status != 0)
        dur = np.where(
            moved,
            (rng.random(m) ** 2 * 150 * DAY).astype(np.int64),
            (rng.random(m) * 20 * DAY).astype(np.int64),
        )
        room = END_MS - 7 * HOUR - app_created - 1000
        dur = np.where(dur > room, (room * rng.random(m)).astype(np.int64), dur)
        app_la = app_created + dur + 1000
        app_updated = np.minimum(app_la + rng.integers(0, 6 * HOUR, size=m), END_MS)
        # children per application
        reached_offer = ~prospect & (cur == ns - 1)
        n_off = np.where(
            reached_offer, rng.choice(np.array([1, 2, 3]), size=m, p=[0.6, 0.3, 0.1]), 0
        )
        iv_mask = np.where(prospect, 0, self.job_iv_mask[jj])
        n_iv = np.bitwise_count((entered & iv_mask).astype(np.uint64)).astype(np.int64)
        cur_is_iv = ~prospect & (((iv_mask >> np.maximum(cur, 0)) & 1) == 1)
        n_sc = n_iv - (cur_is_iv & (status == 0)).astype(np.int64)
        n_eeoc = (~prospect & (rng.random(m) < 0.45)).astype(np.int64)
        # candidates: last activity = latest application activity
        cand_la = np.maximum.reduceat(app_la, cand_starts[:-1])
        cand_updated = np.minimum(
            np.maximum(
                cand_created + rng.integers(0, 5 * DAY, size=n),
                np.maximum.reduceat(app_updated, cand_starts[:-1]),
            ),
            END_MS,
        )
        self.cand_created, self.cand_la, self.cand_updated = cand_created, cand_la, cand_updated
        # keep compact dtypes: these arrays are the whole memory cost of a big organisation
        self.app_cand = app_cand.astype(np.int32)
        self.app_job = app_job.astype(np.int32)
        self.app_status, self.app_cur = status, cur.astype(np.int8)
        self.app_entered = entered.astype(np.int32)
        self.app_created, self.app_la = app_created, app_la
        self.app_updated, self.app_prospect = app_updated, prospect
        self.child_counts = {
            "application_stages": ns.astype(np.int8),
            "offers": n_off.astype(np.int8),
            "interviews": n_iv.astype(np.int8),
            "scorecards": n_sc.astype(np.int8),
            "eeoc": n_eeoc.astype(np.int8),
        }
        # close closed jobs after their last application
        last_app = np.full(self.n_jobs, START_MS, dtype=np.int64)
        np.maximum.at(last_app, jj[~prospect], app_la[~prospect])
        for j, job in enumerate(self.small["jobs"]):
            if job["status"] == "closed":
                closed = min(int(last_app[j]) + 3 * DAY, END_MS - DAY)
                job["closed_at"] = iso(closed)
                job["updated_at"] = iso(closed)
        # demographic answers: ~30 % of non-prospect applications answer the active questions
        # (the multi-select one with 1-2 options); drawn last so earlier draws stay as they were
        answered = ~prospect & (rng.random(m) < 0.3)
        n_active = sum(1 for q in pools.DEMOGRAPHIC_QUESTIONS if q[2])
        extra = rng.random(m) < 0.3
        self.child_counts["demographic_answers"] = np.where(answered, n_active + extra, 0).astype(
            np.int8
        )
        # rejection details: one per rejected application (no draw: the others stay as they were)
        self.child_counts["rejection_details"] = (status == 1).astype(np.int8)

    def _build_panels(self, rng: np.random.Generator) -> None:
        """Interview panels, from their own generator (every earlier draw stays as it was): per
        application and interview slot (stage order) 1-4 interviewers, whether the interview was
        cancelled, and which interviewers submitted a scorecard. Only the slots that could be
        complete (all but the current stage of an application in process) get scorecards; the
        number of scorecards replaces the one-per-interview count of `_build_structure`."""
        m = self.n_app
        n_iv = self.child_counts["interviews"].astype(np.int64)
        assert int(n_iv.max(initial=0)) <= MAX_INTERVIEWS
        can_complete = self.child_counts["scorecards"].astype(np.int64)
        sizes = rng.choice(
            np.array([1, 2, 3, 4], dtype=np.int64), size=(m, MAX_INTERVIEWS), p=PANEL_SIZE_P
        )
        cancelled = rng.random((m, MAX_INTERVIEWS)) < CANCELLED_P
        submitted = rng.random((m, MAX_INTERVIEWS, 4)) < SUBMITTED_P
        slot = np.arange(MAX_INTERVIEWS, dtype=np.int64)
        held = slot[None, :] < n_iv[:, None]
        carded = (slot[None, :] < can_complete[:, None]) & ~cancelled
        member = np.arange(4, dtype=np.int64)[None, None, :] < sizes[:, :, None]
        n_interviewers = np.where(held, sizes, 0).sum(axis=1)
        n_cards = (submitted & member & carded[:, :, None]).sum(axis=(1, 2))
        bits = 1 << np.arange(MAX_INTERVIEWS * 4, dtype=np.int64).reshape(MAX_INTERVIEWS, 4)
        self.app_panel_sizes = ((sizes - 1) << (2 * slot)[None, :]).sum(axis=1).astype(np.int16)
        self.app_panel_cancelled = (cancelled << slot[None, :]).sum(axis=1).astype(np.int8)
        self.app_panel_submitted = (
            (np.where(submitted, bits[None, :, :], 0)).sum(axis=(1, 2)).astype(np.int32)
        )
        self.child_counts["interviewers"] = n_interviewers.astype(np.int8)
        self.child_counts["scorecards"] = n_cards.astype(np.int8)

    def _build_openings(self, r: random.Random) -> None:
        """Openings (lazy, grouped by job): one closed opening per hired application, in
        application order (about one in six reopened after its fill, see `REOPENED_EVERY`), then
        0..2 more (at least one open on an open job without hires); of two, the second was
        closed without a hire (cancelled or frozen) some weeks after the job opened."""
        hired = np.flatnonzero(self.app_status == 2)
        hired = hired[np.lexsort((hired, self.app_job[hired]))]
        n_hired = np.bincount(self.app_job[hired], minlength=self.n_jobs).astype(np.int64)
        n_open = np.zeros(self.n_jobs, dtype=np.int64)
        for j, status in enumerate(self.job_status):
            n_open[j] = 0 if status == "closed" else r.randint(0, 2)
            if status == "open" and n_hired[j] == 0:
                n_open[j] = max(n_open[j], 1)
        self.hired_by_job = hired
        self.hire_starts = np.concatenate(([0], np.cumsum(n_hired)))
        self.opening_starts = np.concatenate(([0], np.cumsum(n_hired + n_open)))
        self.n_hired_of_job = n_hired
        self.n_open_of_job = n_open
        job_created = np.array(
            [iso_to_ms(j["created_at"]) for j in self.small["jobs"]], dtype=np.int64
        )
        hi = job_created.copy()
        np.maximum.at(hi, self.app_job[hired], self.app_la[hired])
        self.unfilled_closed_at = np.full(self.n_jobs, -1, dtype=np.int64)
        for j, job in enumerate(self.small["jobs"]):
            if n_open[j] == 2 and job["opened_at"] is not None:
                # no random draw: the other records of the organisation stay as they were
                days = 15 + (int(job["id"]) * 31) % 120
                closed = min(iso_to_ms(job["opened_at"]) + days * DAY, END_MS - DAY)
                self.unfilled_closed_at[j] = closed
                hi[j] = max(hi[j], closed)
        self.opening_bounds = (job_created, hi)

    def opening_of_app(self, k: int) -> int | None:
        """Id of the (closed) opening filled by base application k, if it was hired."""
        j = int(self.app_job[k])
        if j < 0:
            return None
        lo, hi = int(self.hire_starts[j]), int(self.hire_starts[j + 1])
        p = lo + int(np.searchsorted(self.hired_by_job[lo:hi], k))
        if p < hi and int(self.hired_by_job[p]) == k:
            return FIRST_ID["openings"] + int(self.opening_starts[j]) + p - lo
        return None

    def open_opening_of_job(self, j: int) -> int | None:
        if self.n_open_of_job[j] == 0:
            return None
        return FIRST_ID["openings"] + int(self.opening_starts[j]) + int(self.n_hired_of_job[j])

    def openings_of_job(self, job_id: int) -> list[Record]:
        return self.tables["openings"].group_rows(job_id - FIRST_ID["jobs"])
