"""Change over time: `advance()` moves the organisation forward through `Table.add` / `Table.put`.

New candidates (each with one application on an open job), stage moves (with history rows), new
offers when an application reaches Offer, offers resolved or re-versioned, rejections, and updates
to candidates and jobs. The index arrays (filters) are kept in step with every changed record.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from sandbox import pools
from sandbox.data.ids import FIRST_ID
from sandbox.data.records import Records, rejection_detail
from sandbox.data.timestamps import DAY, iso, iso_date, iso_to_ms, now_ms
from sandbox.store import Record


class ChangeOverTime(Records):
    """`advance()` and the bookkeeping of added and changed records."""

    def child_rows(self, entity: str, app_id: int) -> list[Record]:
        """Current rows of a child entity (application_stages, offers, ...) of one application."""
        table = self.tables[entity]
        k = app_id - FIRST_ID["applications"]
        rows = table.group_rows(k) if 0 <= k < self.n_app else []
        added = self._added_children.get((entity, app_id), [])
        rows += [table.explicit[i] for i in added if i not in table.deleted]
        return rows

    def _add_child(self, entity: str, rec: Record) -> Record:
        rec = self.tables[entity].add(rec)
        self._added_children.setdefault((entity, rec["application_id"]), []).append(rec["id"])
        return rec

    def _put(self, entity: str, rec: Record) -> None:
        """Store a changed record and keep the index arrays (filters) in step with it."""
        table = self.tables[entity]
        table.put(rec)
        if not table.is_base(rec["id"]):
            return
        k = rec["id"] - table.first_id
        if entity == "applications":
            self.app_updated[k] = max(int(self.app_updated[k]), iso_to_ms(rec["updated_at"]))
            self.app_la[k] = iso_to_ms(rec["last_activity_at"])
        elif entity == "candidates":
            self.cand_updated[k] = iso_to_ms(rec["updated_at"])
            self.cand_la[k] = iso_to_ms(rec["last_activity_at"])
        elif entity in self.child_counts:
            g = table.group_of(rec["id"])
            self.app_updated[g] = max(int(self.app_updated[g]), iso_to_ms(rec["updated_at"]))

    def _reject(self, app: Record, now: int) -> None:
        """Reject an application: its status, and the v3 rejection record that goes with it."""
        self._touch_application(app, now, status="rejected", rejected_at=iso(now))
        reason = self.reason_of_application(app["id"])
        self._add_child("rejection_details", rejection_detail(0, app["id"], iso(now), reason, None))

    def _touch_application(self, app: Record, now: int, **changes: Any) -> Record:
        app = dict(app) | changes | {"updated_at": iso(now), "last_activity_at": iso(now)}
        self._put("applications", app)
        cand = dict(self.require("candidates", app["candidate_id"]))
        cand["updated_at"] = cand["last_activity_at"] = iso(now)
        self._put("candidates", cand)
        return app

    def _sample_apps(self, r: random.Random, n: int, at_offer: bool) -> list[Record]:
        """Up to n distinct applications that were in process (at the Offer stage or before it)
        when built, plus applications added by advance; callers re-check the current record."""
        ns = self.child_counts["application_stages"]
        eligible = (self.app_status == 0) & ~self.app_prospect
        eligible &= (self.app_cur == ns - 1) if at_offer else (self.app_cur < ns - 1)
        pool = np.flatnonzero(eligible)
        added = self.tables["applications"].added
        total = len(pool) + len(added)
        if total == 0:
            return []
        picks = sorted({r.randrange(total) for _ in range(min(total, n))})
        ids = [
            FIRST_ID["applications"] + int(pool[p]) if p < len(pool) else added[p - len(pool)]
            for p in picks
        ]
        deleted = self.tables["applications"].deleted
        return self.tables["applications"].get_many([i for i in ids if i not in deleted])

    def advance(self, fraction: float = 0.01) -> dict[str, Any]:
        """Move the organisation forward in (real) time; changed records get updated_at = now.

        New candidates (each with one application on an open job), stage moves (with history
        rows), new offers when an application reaches Offer, offers resolved or re-versioned,
        rejections, and updates to candidates and jobs. Returns what changed.
        """
        if not 0 < fraction <= 1:
            raise ValueError("fraction must be in (0, 1]")
        now = max(now_ms(), self.now + 1)
        r = random.Random(f"{self.seed}:advance:{self.advances}")
        self.advances += 1
        n = max(1, round(len(self.tables["candidates"]) * fraction))
        summary: dict[str, Any] = {
            "now": iso(now),
            "new_candidates": 0,
            "new_applications": 0,
            "stage_moves": 0,
            "new_offers": 0,
            "offers_accepted": 0,
            "offers_rejected": 0,
            "offer_versions": 0,
            "rejections": 0,
            "candidates_updated": 0,
            "jobs_updated": 0,
        }
        open_jobs = [j for j, s in enumerate(self.job_status) if s == "open"]
        for _ in range(n):
            self._add_new_candidate(r, now, open_jobs, summary)
        self._progress_applications(r, n, now, summary)
        self._update_candidates(r, n, now, summary)
        self._update_job(r, now, open_jobs, summary)
        self.now = now
        return summary

    def _add_new_candidate(
        self, r: random.Random, now: int, open_jobs: list[int], summary: dict[str, Any]
    ) -> None:
        """A new candidate with one application in the first stage of an open job."""
        cand = self._gen_candidate(r.randrange(self.n_cand))[0]
        cand = dict(cand) | {
            "created_at": iso(now),
            "updated_at": iso(now),
            "last_activity_at": iso(now),
            "first_name": r.choice(pools.FIRST_NAMES),
            "last_name": r.choice(pools.LAST_NAMES),
        }
        cand = self.tables["candidates"].add(cand)
        cand["email_addresses"] = [{"value": f"c{cand['id']}@example.com", "type": "personal"}]
        j = r.choice(open_jobs)
        app = dict(self._gen_application(0)[0])
        app |= {
            "created_at": iso(now),
            "updated_at": iso(now),
            "last_activity_at": iso(now),
            "candidate_id": cand["id"],
            "job_id": FIRST_ID["jobs"] + j,
            "job_post_id": self.job_posts_of[j][0],
            "stage_id": self.job_stage_ids[j][0],
            "stage_name": self.job_stage_names[j][0],
            "status": "in_process",
            "prospect": False,
            "rejected_at": None,
            "prospective_job_ids": [],
            "needs_decision": False,
            "source_id": r.choice(self.small["sources"])["id"],
        }
        app = self.tables["applications"].add(app)
        self._added_apps_of_cand.setdefault(cand["id"], []).append(app["id"])
        for pos, stage_id in enumerate(self.job_stage_ids[j]):
            self._add_child(
                "application_stages",
                {
                    "id": 0,
                    "created_at": iso(now),
                    "updated_at": iso(now),
                    "application_id": app["id"],
                    "job_interview_stage_id": stage_id,
                    "entered_at": iso(now) if pos == 0 else None,
                    "exited_at": None,
                    "days_in_stage": 0,
                    "current": pos == 0,
                },
            )
        summary["new_candidates"] += 1
        summary["new_applications"] += 1

    def _progress_applications(
        self, r: random.Random, n: int, now: int, summary: dict[str, Any]
    ) -> None:
        """Stage moves, offers and rejections on a sample of in-process applications."""
        moves = offers = rejections = 0
        sample = self._sample_apps(r, 2 * n, at_offer=True)
        sample += self._sample_apps(r, 3 * n, at_offer=False)
        for app in sample:
            if app["status"] != "in_process" or app["prospect"] or app["job_id"] is None:
                continue
            j = app["job_id"] - FIRST_ID["jobs"]
            stage_ids = self.job_stage_ids[j]
            pos = stage_ids.index(app["stage_id"])
            last = len(stage_ids) - 1
            if pos == last and offers < n:  # at Offer: resolve or re-version the latest offer
                offers += 1
                self._advance_offer(app, r, now, summary)
            elif pos < last and moves < n:
                moves += 1
                self._advance_stage(app, pos, r, now, summary)
            elif rejections < max(1, n // 2):
                rejections += 1
                self._reject(app, now)
                summary["rejections"] += 1

    def _update_candidates(
        self, r: random.Random, n: int, now: int, summary: dict[str, Any]
    ) -> None:
        """Plain updates of about n candidates: a tag added, a new title."""
        cand_ids = self.tables["candidates"].all_ids()
        for p in sorted({r.randrange(len(cand_ids)) for _ in range(n)}):
            cid = cand_ids.slice(p, p + 1)[0]
            cand = dict(self.require("candidates", cid))
            cand["tags"] = sorted(set(cand["tags"]) | {r.choice(pools.TAGS)})
            cand["title"] = r.choice(pools.TITLES)
            cand["updated_at"] = iso(now)
            self._put("candidates", cand)
            summary["candidates_updated"] += 1

    def _update_job(
        self, r: random.Random, now: int, open_jobs: list[int], summary: dict[str, Any]
    ) -> None:
        """A plain update of one open job (its notes)."""
        job = dict(self.small["jobs"][r.choice(open_jobs)])
        job["notes"] = f"<p>Updated by advance #{self.advances}</p>"
        job["updated_at"] = iso(now)
        self._put("jobs", job)
        self.small["jobs"][job["id"] - FIRST_ID["jobs"]] = job
        summary["jobs_updated"] += 1

    def _advance_stage(
        self, app: Record, pos: int, r: random.Random, now: int, summary: dict[str, Any]
    ) -> None:
        j = app["job_id"] - FIRST_ID["jobs"]
        active = int(self.job_active_mask[j])
        last = len(self.job_stage_ids[j]) - 1
        nxt = [p for p in range(pos + 1, last + 1) if (active >> p) & 1]
        target = nxt[1] if len(nxt) > 2 and r.random() < 0.2 else nxt[0]  # sometimes skip one
        for row in self.child_rows("application_stages", app["id"]):
            sort = self.job_stage_ids[j].index(row["job_interview_stage_id"])
            if sort == pos and row["current"]:
                entered = iso_to_ms(row["entered_at"]) if row["entered_at"] else now
                self._put(
                    "application_stages",
                    dict(row)
                    | {
                        "exited_at": iso(now),
                        "current": False,
                        "updated_at": iso(now),
                        "days_in_stage": (now - entered) // DAY,
                    },
                )
            elif sort == target:
                self._put(
                    "application_stages",
                    dict(row)
                    | {
                        "entered_at": iso(now),
                        "exited_at": None,
                        "current": True,
                        "updated_at": iso(now),
                        "days_in_stage": 0,
                    },
                )
        app = self._touch_application(
            app,
            now,
            stage_id=self.job_stage_ids[j][target],
            stage_name=self.job_stage_names[j][target],
        )
        summary["stage_moves"] += 1
        if target == last:
            self._add_child(
                "offers",
                {
                    "id": 0,
                    "created_at": iso(now),
                    "updated_at": iso(now),
                    "version": 1,
                    "application_id": app["id"],
                    "job_id": app["job_id"],
                    "candidate_id": app["candidate_id"],
                    "opening_id": None,
                    "status": "Created",
                    "starts_on": None,
                    "sent_on": None,
                    "resolved_at": None,
                    "custom_fields": self._custom_fields("offer", r, app["id"]),
                },
            )
            summary["new_offers"] += 1

    def _advance_offer(
        self, app: Record, r: random.Random, now: int, summary: dict[str, Any]
    ) -> None:
        rows = [o for o in self.child_rows("offers", app["id"]) if o["status"] != "Deprecated"]
        if not rows:
            return
        latest = max(rows, key=lambda o: o["version"])
        u = r.random()
        if latest["status"] != "Created":
            return
        today = iso_date(now)
        if u < 0.5:
            self._put(
                "offers",
                dict(latest)
                | {
                    "status": "Accepted",
                    "resolved_at": iso(now),
                    "updated_at": iso(now),
                    "sent_on": latest["sent_on"] or today,
                },
            )
            self._touch_application(app, now, status="hired")
            summary["offers_accepted"] += 1
        elif u < 0.8:
            self._put("offers", dict(latest) | {"status": "Deprecated", "updated_at": iso(now)})
            self._add_child(
                "offers",
                dict(latest)
                | {
                    "id": 0,
                    "created_at": iso(now),
                    "updated_at": iso(now),
                    "version": latest["version"] + 1,
                    "sent_on": today,
                    "resolved_at": None,
                },
            )
            self._touch_application(app, now)
            summary["offer_versions"] += 1
        else:
            self._put(
                "offers",
                dict(latest)
                | {"status": "Rejected", "resolved_at": iso(now), "updated_at": iso(now)},
            )
            self._reject(app, now)
            summary["offers_rejected"] += 1
