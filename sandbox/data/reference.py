"""Reference data: the small entities built eagerly, in a fixed order from one seeded generator.

Sources, rejection and close reasons, departments and offices (trees), users, custom fields
(`sandbox.data.custom_fields`), the demographic questions and jobs (`sandbox.data.jobs`). Every
step draws from the same `random.Random` in turn, so the order of the steps is part of the data;
the hiring managers and interview slots of the jobs come last and draw nothing.
"""

from __future__ import annotations

import random

from sandbox import pools
from sandbox.data.ids import FIRST_ID
from sandbox.data.jobs import Jobs
from sandbox.data.timestamps import DAY, EARLY_MS, START_MS, iso, stamps
from sandbox.store import Record


class ReferenceData(Jobs):
    """Builds `self.small` (entity -> records) and the lookups derived from it."""

    def _build_small(self, r: random.Random) -> None:
        self.small = {}
        self._build_sources(r)
        self._build_rejection_reasons(r)
        self._build_close_reasons(r)
        self._build_departments(r)
        self._build_offices(r)
        self._build_users(r)
        self._build_custom_fields(r)
        self._build_demographics(stamps(r, EARLY_MS, START_MS))
        self._build_jobs(r)
        self._build_hiring_managers()
        self._build_job_interviews()

    @property
    def _n_users(self) -> int:
        return max(8, min(400, self.size // 20))

    def _build_sources(self, r: random.Random) -> None:
        self.small["sources"] = []
        for i, (name, type_id) in enumerate(pools.SOURCES):
            c, u = stamps(r, EARLY_MS, START_MS)
            tname = dict(pools.SOURCE_TYPES)[type_id]
            self.small["sources"].append(
                {
                    "id": FIRST_ID["sources"] + i,
                    "created_at": iso(c),
                    "updated_at": iso(u),
                    "name": name,
                    "type": {"id": type_id, "name": tname},
                }
            )

    def _build_rejection_reasons(self, r: random.Random) -> None:
        rtypes = {t[0]: t for t in pools.REJECTION_TYPES}
        self.small["rejection_reasons"] = []
        for i, (name, type_id) in enumerate(pools.REJECTION_REASONS):
            c, u = stamps(r, EARLY_MS, START_MS)
            _, key, tname = rtypes[type_id]
            self.small["rejection_reasons"].append(
                {
                    "id": FIRST_ID["rejection_reasons"] + i,
                    "created_at": iso(c),
                    "updated_at": iso(u),
                    "name": name,
                    "type": {"id": type_id, "key": key, "name": tname},
                }
            )

    def _build_close_reasons(self, r: random.Random) -> None:
        self.small["close_reasons"] = []
        for i, name in enumerate(pools.CLOSE_REASONS):
            c, u = stamps(r, EARLY_MS, START_MS)
            self.small["close_reasons"].append(
                {
                    "id": FIRST_ID["close_reasons"] + i,
                    "created_at": iso(c),
                    "updated_at": iso(u),
                    "name": name,
                }
            )

    def _build_departments(self, r: random.Random) -> None:
        self.small["departments"] = []
        for i, (name, parent, ext) in enumerate(pools.DEPARTMENTS):
            c, u = stamps(r, EARLY_MS, START_MS)
            self.small["departments"].append(
                {
                    "id": FIRST_ID["departments"] + i,
                    "created_at": iso(c),
                    "updated_at": iso(u),
                    "name": name,
                    "parent_id": None if parent is None else FIRST_ID["departments"] + parent,
                    "external_id": ext,
                }
            )

    def _build_offices(self, r: random.Random) -> None:
        n_users = self._n_users
        self.small["offices"] = []
        for i, (name, parent, loc) in enumerate(pools.OFFICES):
            c, u = stamps(r, EARLY_MS, START_MS)
            self.small["offices"].append(
                {
                    "id": FIRST_ID["offices"] + i,
                    "created_at": iso(c),
                    "updated_at": iso(u),
                    "name": name,
                    "parent_id": None if parent is None else FIRST_ID["offices"] + parent,
                    "external_id": None if i % 3 == 2 else f"OFF-{i:03d}",
                    "location": loc,
                    "primary_in_house_contact_user_id": (
                        None if i % 2 else FIRST_ID["users"] + (i % n_users)
                    ),
                }
            )

    def _build_users(self, r: random.Random) -> None:
        dept_ids = [d["id"] for d in self.small["departments"]]
        office_ids = [o["id"] for o in self.small["offices"]]
        self.small["users"] = []
        for i in range(self._n_users):
            self.small["users"].append(_user(r, i, dept_ids, office_ids))
        self.user_ids = [u["id"] for u in self.small["users"]]
        self.active_user_ids = [u["id"] for u in self.small["users"] if not u["deactivated"]]

    def _build_demographics(self, created_updated: tuple[int, int]) -> None:
        c, u = iso(created_updated[0]), iso(created_updated[1])
        set_id = FIRST_ID["demographic_question_sets"]
        self.small["demographic_question_sets"] = [
            {
                "id": set_id,
                "created_at": c,
                "updated_at": u,
                "title": "Voluntary self-identification",
                "description": None,
                "active": True,
                "enabled": True,
            }
        ]
        self.small["demographic_questions"] = []
        self.small["demographic_answer_options"] = []
        self.demographic_options: list[list[Record]] = []
        opt_id = FIRST_ID["demographic_answer_options"]
        for i, (name, multi, active, options) in enumerate(pools.DEMOGRAPHIC_QUESTIONS):
            qid = FIRST_ID["demographic_questions"] + i
            self.small["demographic_questions"].append(
                {
                    "id": qid,
                    "created_at": c,
                    "updated_at": u,
                    "sort_order": i,
                    "active": active,
                    "name": name,
                    "demographic_question_set_id": set_id,
                    "required": False,
                    "answer_type": "multi_value_multi_select"
                    if multi
                    else "multi_value_single_select",
                }
            )
            opts = []
            for j, (label, free_form, decline) in enumerate(options):
                opts.append(
                    {
                        "id": opt_id,
                        "created_at": c,
                        "updated_at": u,
                        "demographic_question_id": qid,
                        "sort_order": j,
                        "active": True,
                        "free_form": free_form,
                        "name": label,
                        "decline_to_answer": decline,
                    }
                )
                opt_id += 1
            self.small["demographic_answer_options"].extend(opts)
            if active:
                self.demographic_options.append(opts)


def _user(r: random.Random, i: int, dept_ids: list[int], office_ids: list[int]) -> Record:
    c, u = stamps(r, EARLY_MS, START_MS + 200 * DAY)
    first, last = r.choice(pools.FIRST_NAMES), r.choice(pools.LAST_NAMES)
    email = f"user{i + 1}@sandbox-org.example"
    return {
        "id": FIRST_ID["users"] + i,
        "created_at": iso(c),
        "updated_at": iso(u),
        "first_name": first,
        "last_name": last,
        "primary_email": email,
        "job_title": r.choice(pools.TITLES + (None,)),
        "agency_id": None,
        "name": f"{first} {last}",
        "deactivated": i > 3 and r.random() < 0.1,
        "site_admin": i == 0 or r.random() < 0.1,
        "employee_id": None if r.random() < 0.3 else f"E{10000 + i}",
        "linked_candidate_ids": [],
        "office_ids": r.sample(office_ids, r.randint(0, 2)),
        "department_ids": r.sample(dept_ids, r.randint(0, 2)),
        "interviewer_tags": ([{"id": 1, "name": "Bar raiser"}] if r.random() < 0.2 else []),
        "emails": [email] + ([f"alt{i + 1}@sandbox-org.example"] if i % 4 == 0 else []),
        "custom_fields": {},
    }
