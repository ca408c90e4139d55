"""Record generators: candidates, applications, their stage history, offers and openings.

Each record comes from its own generator (`OrganisationState._rng(salt, id)`), seeded by the
organisation's seed, the entity and the id, so any record can be built alone, in any order.
Every generator takes the position k of its group (candidate, application or job) and returns
the group's records in canonical (v3) form.
"""

from __future__ import annotations

from typing import Any

from sandbox import pools
from sandbox.data.custom_fields import CustomFields
from sandbox.data.ids import FIRST_ID, SALT, SALT_PLAN
from sandbox.data.structure import Structure
from sandbox.data.timestamps import DAY, END_MS, HOUR, iso, iso_date
from sandbox.store import Record

PLAN_CACHE_SIZE = 8192  # stage timelines kept per organisation (a few hundred bytes each)
REOPENED_EVERY = 6  # about one filled opening in six was reopened after its hire


class Records(Structure, CustomFields):
    """Generators of the lazy tables (see `Organisation._build_tables`)."""

    def _gen_candidate(self, k: int) -> list[Record]:
        cid = FIRST_ID["candidates"] + k
        r = self._rng(SALT["candidates"], cid)
        first = r.choice(pools.FIRST_NAMES)
        last = None if r.random() < 0.02 else r.choice(pools.LAST_NAMES)
        slug = f"c{cid}"
        emails = [{"value": f"{slug}@example.com", "type": "personal"}]
        if r.random() < 0.3:
            emails.append({"value": f"{slug}@work.example.org", "type": "work"})
        if r.random() < 0.05:
            emails = []
        return [
            {
                "id": cid,
                "created_at": iso(int(self.cand_created[k])),
                "updated_at": iso(int(self.cand_updated[k])),
                "first_name": first,
                "last_name": last,
                "preferred_name": r.choice(pools.FIRST_NAMES) if r.random() < 0.1 else None,
                "company": r.choice(pools.COMPANIES) if r.random() < 0.7 else None,
                "title": r.choice(pools.TITLES) if r.random() < 0.7 else None,
                "last_activity_at": iso(int(self.cand_la[k])),
                "private": r.random() < 0.05 if r.random() < 0.9 else None,
                "can_email": r.random() < 0.9,
                "time_zone": r.choice(pools.TIME_ZONES) if r.random() < 0.5 else None,
                "tags": r.sample(pools.TAGS, r.choice((0, 0, 1, 2, 3))),
                "linked_user_ids": [self.user_ids[k % len(self.user_ids)]] if k % 97 == 13 else [],
                "phone_numbers": [{"value": f"+44 20 7946 {k % 10000:04d}", "type": "mobile"}]
                if r.random() < 0.7
                else [],
                "addresses": [{"value": "1 Rue de l'Église\n75001 Paris", "type": "home"}]
                if r.random() < 0.3
                else [],
                "email_addresses": emails,
                "website_addresses": [{"value": f"https://{slug}.example.dev", "type": "personal"}]
                if r.random() < 0.2
                else [],
                "social_media_addresses": [{"value": f"https://x.example/{slug}"}]
                if r.random() < 0.1
                else [],
                "custom_fields": self._custom_fields("candidate", r, cid),
            }
        ]

    def _plan(self, k: int) -> dict[str, Any]:
        """Stage timeline of application k: {position: (entered_ms, exited_ms or None)}.

        Cached per organisation. It is a function of the *built* structure only (``app_la_built``,
        not ``app_la``, which ``advance()`` moves): the generated children of an application
        (stages, offers, interviews, ...) must not change when the application is touched, or
        the same id would be served with different dates depending on what the cache held."""
        cache: dict[int, dict[str, Any]] = self._plan_cache
        plan = cache.get(k)
        if plan is None:
            if len(cache) >= PLAN_CACHE_SIZE:
                cache.clear()
            plan = cache[k] = self._build_plan(k)
        return plan

    def _build_plan(self, k: int) -> dict[str, Any]:
        aid = FIRST_ID["applications"] + k
        r = self._rng(SALT_PLAN, aid)
        created, la = int(self.app_created[k]), int(self.app_la_built[k])
        cur = int(self.app_cur[k])
        timeline: dict[int, tuple[int, int | None]] = {}
        if cur >= 0:
            entered = int(self.app_entered[k])
            positions = [p for p in range(cur + 1) if (entered >> p) & 1]
            if len(positions) == 1:
                times = [created]
            else:
                t_cur = created + int((la - created) * r.uniform(0.6, 0.95))
                middle = sorted(
                    r.randint(created + 1, max(created + 1, t_cur - 1)) for _ in positions[1:-1]
                )
                times = [created, *middle, t_cur]
            for i, p in enumerate(positions):
                timeline[p] = (times[i], times[i + 1] if i + 1 < len(times) else None)
        return {"aid": aid, "created": created, "la": la, "cur": cur, "timeline": timeline}

    def _gen_application(self, k: int) -> list[Record]:
        aid = FIRST_ID["applications"] + k
        r = self._rng(SALT["applications"], aid)
        plan = self._plan(k)
        status = ("in_process", "rejected", "hired", "converted")[int(self.app_status[k])]
        prospect = bool(self.app_prospect[k])
        j = int(self.app_job[k])
        cur = plan["cur"]
        job_id = None if j < 0 else FIRST_ID["jobs"] + j
        prospective: list[int] = []
        if prospect:
            prospective = sorted(r.sample(range(self.n_jobs), r.choice((0, 1, 1, 2, 3))))
            prospective = [FIRST_ID["jobs"] + p for p in prospective]
        job_post_id = None
        if j >= 0 and r.random() < 0.6:
            job_post_id = self.job_posts_of[j][0]
        users = self.active_user_ids
        return [
            {
                "id": aid,
                "created_at": iso(plan["created"]),
                "updated_at": iso(int(self.app_updated[k])),
                "agency_note_id": aid * 3 if r.random() < 0.03 else None,
                "candidate_id": FIRST_ID["candidates"] + int(self.app_cand[k]),
                "coordinator_id": r.choice(users) if r.random() < 0.6 else None,
                "job_id": job_id,
                "job_post_id": job_post_id,
                "recruiter_id": r.choice(users) if r.random() < 0.8 else None,
                "referrer_id": r.choice(users) if r.random() < 0.1 else None,
                "source_id": r.choice(self.small["sources"])["id"] if r.random() < 0.95 else None,
                "stage_id": None if cur < 0 else self.job_stage_ids[j][cur],
                "stage_name": None if cur < 0 else self.job_stage_names[j][cur],
                "status": status,
                "needs_decision": (status == "in_process" and r.random() < 0.2)
                if not prospect
                else None,
                "prospect": prospect,
                "rejected_at": iso(plan["la"]) if status == "rejected" else None,
                "last_activity_at": iso(plan["la"]),
                "location_address": r.choice(
                    ("New York, New York, USA", "Kraków, Poland", None, None)
                ),
                "answers": [
                    {
                        "question": "How did you hear about this job?",
                        "answer": r.choice(("Online Research", "Friend", None)),
                    },
                ]
                if job_post_id
                else [],
                "prospective_job_ids": prospective,
                "custom_fields": self._custom_fields("application", r, aid),
            }
        ]

    def _child_first_id(self, entity: str, k: int) -> int:
        index = self.tables[entity].index
        assert index is not None  # child tables are grouped by parent
        return FIRST_ID[entity] + int(index.starts[k])

    def _gen_app_stages(self, k: int) -> list[Record]:
        plan = self._plan(k)
        if plan["cur"] < 0:
            return []
        j = int(self.app_job[k])
        first = self._child_first_id("application_stages", k)
        rows = []
        for pos, stage_id in enumerate(self.job_stage_ids[j]):
            entered, exited = plan["timeline"].get(pos, (None, None))
            is_cur = pos == plan["cur"]
            if entered is None:
                days = 0
            else:
                if exited is not None:
                    end = exited
                elif self.app_status[k] == 0:  # still in this stage today
                    end = END_MS  # the data set's "today" (fixed: deterministic)
                else:  # rejected / hired in this stage
                    end = plan["la"]
                days = (end - entered) // DAY
            stamps = [t for t in (plan["created"], entered, exited) if t is not None]
            rows.append(
                {
                    "id": first + pos,
                    "created_at": iso(plan["created"]),
                    "updated_at": iso(max(stamps)),
                    "application_id": plan["aid"],
                    "job_interview_stage_id": stage_id,
                    "entered_at": iso(entered),
                    "exited_at": iso(exited),
                    "days_in_stage": int(days),
                    "current": is_cur,
                }
            )
        return rows

    def _gen_offers(self, k: int) -> list[Record]:
        n = int(self.child_counts["offers"][k])
        if n == 0:
            return []
        plan = self._plan(k)
        r = self._rng(SALT["offers"], plan["aid"])
        j = int(self.app_job[k])
        t0 = plan["timeline"][plan["cur"]][0]
        la = plan["la"]
        status = int(self.app_status[k])
        final = {0: "Created", 1: "Rejected", 2: "Accepted"}[status]
        first = self._child_first_id("offers", k)
        created = [t0 + (la - t0) * v // n + r.randint(0, HOUR) for v in range(n)]
        created = [min(c, la) for c in created]
        starts_on = iso_date(la + r.randint(14, 60) * DAY)
        rows = []
        for v in range(n):
            last = v == n - 1
            st = final if last else "Deprecated"
            resolved = la if last and st != "Created" else None
            updated = resolved if resolved is not None else (la if last else created[v + 1])
            sent = None
            if (not last and r.random() < 0.7) or (last and (st != "Created" or r.random() < 0.5)):
                sent = iso_date(created[v] + r.randint(0, DAY))
            opening = None
            if last and status == 2:
                opening = self.opening_of_app(k)
            elif r.random() < 0.5:
                opening = self.open_opening_of_job(j)
            rows.append(
                {
                    "id": first + v,
                    "created_at": iso(created[v]),
                    "updated_at": iso(max(updated, created[v])),
                    "version": v + 1,
                    "application_id": plan["aid"],
                    "job_id": FIRST_ID["jobs"] + j,
                    "candidate_id": FIRST_ID["candidates"] + int(self.app_cand[k]),
                    "opening_id": opening,
                    "status": st,
                    "starts_on": starts_on if r.random() < 0.9 else None,
                    "sent_on": sent,
                    "resolved_at": iso(resolved),
                    "custom_fields": self._custom_fields("offer", r, first + v),
                }
            )
        return rows

    def _gen_rejection_details(self, k: int) -> list[Record]:
        """The v3 rejection record of a rejected application (v1 nests its reason instead)."""
        if int(self.child_counts["rejection_details"][k]) == 0:
            return []
        plan = self._plan(k)
        rid = self._child_first_id("rejection_details", k)
        r = self._rng(SALT["rejection_details"], rid)
        # rejected_by_id null: rejected by an automated workflow
        user = r.choice(self.active_user_ids) if r.random() < 0.9 else None
        reason = self.reason_of_application(plan["aid"])
        return [rejection_detail(rid, plan["aid"], iso(plan["la"]), reason, user)]

    def reason_of_application(self, app_id: int) -> int:
        """The rejection reason an application gets when it is rejected (every type occurs)."""
        reasons = self.small["rejection_reasons"]
        return int(reasons[app_id % len(reasons)]["id"])

    def _gen_openings(self, j: int) -> list[Record]:
        job = self.small["jobs"][j]
        r = self._rng(SALT["openings"], job["id"])
        close_ids = [c["id"] for c in self.small["close_reasons"]]
        first = FIRST_ID["openings"] + int(self.opening_starts[j])
        lo, hi = int(self.hire_starts[j]), int(self.hire_starts[j + 1])
        rows: list[Record] = []
        for sort, k in enumerate(self.hired_by_job[lo:hi].tolist()):
            filled = iso(int(self.app_la[k]))
            # a reopened opening (the hire fell through) is open again and keeps the
            # application that once filled it, as Greenhouse's does
            reopened = (job["id"] + sort) % REOPENED_EVERY == REOPENED_EVERY - 1
            rows.append(
                {
                    "id": first + sort,
                    "created_at": job["created_at"],
                    "updated_at": filled,
                    "job_id": job["id"],
                    "opened_at": job["opened_at"],
                    "closed_at": None if reopened else filled,
                    "sort_order": sort,
                    "opening_id": None if sort % 5 == 4 else f"{j + 1}-{sort + 1}",
                    "application_id": FIRST_ID["applications"] + k,
                    "close_reason_id": None if reopened else close_ids[sort % 2],
                    "target_start_on": None,
                    "open": reopened,
                    "custom_fields": self._custom_fields("opening", r, first + sort),
                }
            )
        unfilled_closed = int(self.unfilled_closed_at[j])
        for n, sort in enumerate(range(hi - lo, hi - lo + int(self.n_open_of_job[j]))):
            closed = iso(unfilled_closed) if n == 1 and unfilled_closed >= 0 else None
            target_start = iso_date(END_MS + r.randint(10, 90) * DAY)
            rows.append(
                {
                    "id": first + sort,
                    "created_at": job["created_at"],
                    "updated_at": closed or job["created_at"],
                    "job_id": job["id"],
                    "opened_at": job["opened_at"],
                    "closed_at": closed,
                    "sort_order": sort,
                    "opening_id": f"{j + 1}-{sort + 1}",
                    "application_id": None,
                    # closed without a hire: "Position cancelled" or "Budget freeze"
                    "close_reason_id": close_ids[2 + job["id"] % 2] if closed else None,
                    "target_start_on": None if closed else target_start,
                    "open": closed is None,
                    "custom_fields": self._custom_fields("opening", r, first + sort),
                }
            )
        return rows


def rejection_detail(
    id_: int, application_id: int, rejected_at: str | None, reason_id: int, user_id: int | None
) -> Record:
    """A v3 rejection_details record (shared by the generator and `advance()`)."""
    return {
        "id": id_,
        "created_at": rejected_at,
        "updated_at": rejected_at,
        "application_id": application_id,
        "rejected_by_id": user_id,
        "rejection_note_id": None,
        "rejection_reason_id": reason_id,
        "rejected_at": rejected_at,
        "question_custom_fields": None,
    }
