"""The deterministic synthetic organisation served by the sandbox.

`Organisation(seed, candidates)` builds, with vectorised numpy draws, only the *structure* of the
organisation (which candidate has which applications on which job, how far each application got,
how many offer versions / interviews / scorecards it has, and a few timestamps per group). Every
record is then generated on demand from a per-record RNG, in canonical form = the v3 record shape.
Memory therefore grows by tens of bytes per application, not by the size of the JSON.

Small entities (departments, offices, users, jobs, stages, job posts, openings, custom fields,
sources, reasons) are built eagerly. `advance()` changes the organisation over time through
`Table.add` / `Table.put` (see `sandbox.store`). See docs/sandbox.md for the data-shape decisions.
"""

from __future__ import annotations

import contextlib
import ctypes
import random
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import numpy as np

from sandbox import pools
from sandbox.store import Filters, GroupIndex, Ids, Record, Table

DAY = 86_400_000
HOUR = 3_600_000
START_MS = int(datetime(2023, 1, 1, tzinfo=UTC).timestamp() * 1000)
END_MS = int(datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC).timestamp() * 1000)

# first id of each entity (ids are dense from there; entities never share an id range)
FIRST_ID = {
    "sources": 1_001,
    "rejection_reasons": 2_001,
    "close_reasons": 3_001,
    "departments": 4_001,
    "offices": 5_001,
    "custom_fields": 6_001,
    "custom_field_options": 7_001,
    "users": 100_001,
    "jobs": 200_001,
    "job_interview_stages": 300_001,
    "job_posts": 400_001,
    "openings": 500_001,
    "candidates": 10_000_001,
    "applications": 20_000_001,
    "application_stages": 30_000_001,
    "offers": 60_000_001,
    "interviews": 70_000_001,
    "scorecards": 80_000_001,
    "eeoc": 90_000_001,
    "demographic_question_sets": 8_001,
    "demographic_questions": 8_101,
    "demographic_answer_options": 8_201,
    "demographic_answers": 95_000_001,
}
ENTITIES = tuple(FIRST_ID)

# per-record RNG salts
_SALT = {name: i + 1 for i, name in enumerate(ENTITIES)}
_SALT_PLAN = 50


def _day(days: int) -> str:
    prefix = _DAYS.get(days)
    if prefix is None:
        prefix = _DAYS[days] = datetime.fromtimestamp(days * 86_400, tz=UTC).strftime("%Y-%m-%d")
    return prefix


_DAYS: dict[int, str] = {}


def iso(ms: int | None) -> str | None:
    """Epoch milliseconds -> ISO-8601 UTC with milliseconds (`2024-05-01T12:00:00.123Z`)."""
    if ms is None:
        return None
    days, rest = divmod(ms, 86_400_000)  # arithmetic: strftime per value is the slow path
    hours, rest = divmod(rest, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{_day(days)}T{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}Z"


def iso_date(ms: int | None) -> str | None:
    if ms is None:
        return None
    return _day(ms // 86_400_000)


class FastRandom(random.Random):
    """`random.Random` API on a 64-bit LCG (seed mixed by splitmix64): seeding costs nothing,
    unlike the Mersenne Twister (~25 us per seed), and every record gets its own generator.
    Statistical quality is ample for synthetic data; this is not for cryptography."""

    _MASK = (1 << 64) - 1

    def seed(self, a: Any = None, version: int = 2) -> None:  # noqa: ARG002 - Random's signature
        z = (int(a or 0) + 0x9E3779B97F4A7C15) & self._MASK
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self._MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self._MASK
        self._state = z ^ (z >> 31)

    def random(self) -> float:
        self._state = (self._state * 6364136223846793005 + 1442695040888963407) & self._MASK
        return (self._state >> 11) * (1.0 / 9007199254740992.0)

    def getrandbits(self, k: int) -> int:
        out, bits = 0, 0
        while bits < k:
            out = (out << 32) | int(self.random() * 4294967296.0)
            bits += 32
        return out >> (bits - k)

    def _randbelow(self, n: int) -> int:  # used by choice / sample / randrange / shuffle
        return int(self.random() * n)

    def choice(self, seq: Any) -> Any:
        return seq[int(self.random() * len(seq))]

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def getstate(self) -> Any:
        return self._state

    def setstate(self, state: Any) -> None:
        self._state = state


def now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


# ---- custom field definitions: (field_type, name, name_key, value_type) -----------------------
CUSTOM_FIELDS = (
    ("candidate", "Desired Salary", "desired_salary", "short_text"),
    ("candidate", "Work Remotely", "work_remotely", "yes_no"),
    ("candidate", "Graduation Year", "graduation_year", "single_select"),
    ("candidate", "Skills", "skills", "multi_select"),
    ("candidate", "Years of Experience", "years_experience", "number"),
    ("candidate", "Salary Expectation", "salary_expectation", "currency_range"),
    ("candidate", "Talent Partner", "talent_partner", "user"),
    ("candidate", "Available From", "available_from", "date"),
    ("application", "Application Custom Test", "application_custom_test", "single_select"),
    ("application", "Needs Relocation", "needs_relocation", "yes_no"),
    ("job", "Employment Type", "employment_type", "single_select"),
    ("job", "Salary Range", "salary_range", "currency_range"),
    ("job", "Maximum Budget", "budget", "short_text"),
    ("job", "Headcount Plan", "headcount_plan", "number"),
    ("job", "Hiring Lead", "hiring_lead", "user"),
    ("offer", "Employment Type", "offer_employment_type", "single_select"),
    ("offer", "Salary", "salary", "currency"),
    ("offer", "Signing Bonus", "signing_bonus", "number"),
    ("offer", "Notes", "notes", "long_text"),
    ("offer", "Benefits", "benefits", "multi_select"),
    ("offer", "Start Date", "start_date", "date"),
    ("opening", "Location Type", "location_type", "single_select"),
)
OPTIONS = {
    "graduation_year": ("2016", "2018", "2020", "2022", "2024"),
    "skills": ("Python", "SQL", "Kubernetes", "Negotiation", "Figma", "dbt"),
    "application_custom_test": ("Option 1", "Option 2", "Option 3"),
    "employment_type": ("Full-Time", "Part-Time", "Contractor", "Intern"),
    "offer_employment_type": ("Full-Time", "Part-Time", "Contractor"),
    "benefits": ("Health", "Dental", "Pension", "Gym", "Ça va bonus"),
    "location_type": ("On-site", "Hybrid", "Remote"),
}


class Organisation:
    """A deterministic Greenhouse organisation; see the module docstring."""

    def __init__(self, seed: int = 42, candidates: int = 200):
        if candidates < 1:
            raise ValueError("candidates must be >= 1")
        self.seed = seed
        self.size = candidates
        self.now = END_MS  # the organisation's "today" for durations of base records
        self.advances = 0
        self._added_apps_of_cand: dict[int, list[int]] = {}
        self._cf_pools: dict[str, list[dict[str, Any]]] = {}
        self._added_children: dict[tuple[str, int], list[int]] = {}
        rng = np.random.default_rng([seed, candidates])
        self._build_small(random.Random(f"{seed}:small"))
        self._build_structure(rng, candidates)
        self._build_openings(random.Random(f"{seed}:openings"))
        self._build_tables()
        _release_free_memory()

    # ==== RNG helpers ===========================================================================
    def _rng(self, salt: int, id_: int) -> random.Random:
        return FastRandom((((self.seed & 0xFFFFFFFF) * 131 + salt) << 40) + id_)

    # ==== small, eager entities =================================================================
    def _build_small(self, r: random.Random) -> None:
        def ts_pair(lo: int, hi: int) -> tuple[int, int]:
            c = r.randint(lo, hi)
            return c, min(c + r.randint(0, 60) * DAY + r.randint(0, DAY), END_MS)

        self.small: dict[str, list[Record]] = {}
        early = START_MS - 400 * DAY
        # sources / reasons
        self.small["sources"] = []
        for i, (name, type_id) in enumerate(pools.SOURCES):
            c, u = ts_pair(early, START_MS)
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
        rtypes = {t[0]: t for t in pools.REJECTION_TYPES}
        self.small["rejection_reasons"] = []
        for i, (name, type_id) in enumerate(pools.REJECTION_REASONS):
            c, u = ts_pair(early, START_MS)
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
        self.small["close_reasons"] = []
        for i, name in enumerate(pools.CLOSE_REASONS):
            c, u = ts_pair(early, START_MS)
            self.small["close_reasons"].append(
                {
                    "id": FIRST_ID["close_reasons"] + i,
                    "created_at": iso(c),
                    "updated_at": iso(u),
                    "name": name,
                }
            )
        # departments / offices (trees)
        self.small["departments"] = []
        for i, (name, parent, ext) in enumerate(pools.DEPARTMENTS):
            c, u = ts_pair(early, START_MS)
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
        n_users = max(8, min(400, self.size // 20))
        self.small["offices"] = []
        for i, (name, parent, loc) in enumerate(pools.OFFICES):
            c, u = ts_pair(early, START_MS)
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
        dept_ids = [d["id"] for d in self.small["departments"]]
        office_ids = [o["id"] for o in self.small["offices"]]
        # users
        self.small["users"] = []
        for i in range(n_users):
            c, u = ts_pair(early, START_MS + 200 * DAY)
            first, last = r.choice(pools.FIRST_NAMES), r.choice(pools.LAST_NAMES)
            email = f"user{i + 1}@sandbox-org.example"
            self.small["users"].append(
                {
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
                    "interviewer_tags": (
                        [{"id": 1, "name": "Bar raiser"}] if r.random() < 0.2 else []
                    ),
                    "emails": [email] + ([f"alt{i + 1}@sandbox-org.example"] if i % 4 == 0 else []),
                    "custom_fields": {},
                }
            )
        self.user_ids = [u["id"] for u in self.small["users"]]
        self.active_user_ids = [u["id"] for u in self.small["users"] if not u["deactivated"]]
        # custom fields and options
        self.small["custom_fields"] = []
        self.small["custom_field_options"] = []
        self.custom_fields_by_type: dict[str, list[Record]] = {}
        opt_id = FIRST_ID["custom_field_options"]
        for i, (ftype, name, key, vtype) in enumerate(CUSTOM_FIELDS):
            c, u = ts_pair(early, START_MS)
            cf = {
                "id": FIRST_ID["custom_fields"] + i,
                "created_at": iso(c),
                "updated_at": iso(u),
                "field_type": ftype,
                "sort_order": i,
                "name": name,
                "value_type": vtype,
                "private": key == "desired_salary",
                "required": False,
                "require_approval": ftype == "offer",
                "trigger_new_version": ftype == "offer",
                "active": key != "headcount_plan",
                "updated_by_id": None,
                "internal_type": "start_date" if key == "start_date" else None,
                "expose_in_job_board_api": False,
                "placeholder": None,
                "name_key": key,
                "description": None if i % 2 else f"{name} ({vtype})",
                "application_type": "all_applications" if ftype == "application" else None,
                "api_only": False,
                "use_for_job_approvals": ftype == "job",
                "use_for_offer_approvals": ftype == "offer",
                "template_token_string": None,
                "default_value": None,
            }
            self.small["custom_fields"].append(cf)
            self.custom_fields_by_type.setdefault(ftype, []).append(cf)
            for j, opt in enumerate(OPTIONS.get(key, ())):
                self.small["custom_field_options"].append(
                    {
                        "id": opt_id,
                        "created_at": iso(c),
                        "updated_at": iso(u),
                        "custom_field_id": cf["id"],
                        "name": opt,
                        "external_id": None if j % 2 else f"{key}-{j}",
                        "sort_order": j,
                        "active": not (key == "graduation_year" and j == 0),
                    }
                )
                opt_id += 1
        self._build_demographics(ts_pair(early, START_MS))
        # jobs, stages, job posts
        n_jobs = max(6, min(2000, self.size // 25))
        self.small["jobs"] = []
        self.small["job_interview_stages"] = []
        self.small["job_posts"] = []
        self.job_stage_ids: list[list[int]] = []
        self.job_stage_names: list[list[str]] = []
        self.job_active_mask = np.zeros(n_jobs, dtype=np.int64)
        self.job_iv_mask = np.zeros(n_jobs, dtype=np.int64)
        self.job_nstages = np.zeros(n_jobs, dtype=np.int64)
        self.job_status: list[str] = []
        self.job_posts_of: list[list[int]] = []
        stage_id = FIRST_ID["job_interview_stages"]
        post_id = FIRST_ID["job_posts"]
        for j in range(n_jobs):
            jid = FIRST_ID["jobs"] + j
            c = START_MS - r.randint(0, 30) * DAY - r.randint(0, DAY)
            # every organisation has all three statuses: 1 in 10 draft, 1 in 5 closed
            status = "draft" if j % 10 == 5 else ("closed" if j % 5 == 3 else "open")
            self.job_status.append(status)
            name = pools.JOB_NAMES[j % len(pools.JOB_NAMES)]
            if j >= len(pools.JOB_NAMES):
                name = f"{name} ({pools.OFFICES[1 + j % 3][0]})"
            dept = None if j % 7 == 3 else r.choice(dept_ids)
            offices = [] if j % 9 == 4 else r.sample(office_ids, r.choice((1, 1, 2, 3)))
            self.small["jobs"].append(
                {
                    "id": jid,
                    "created_at": iso(c),
                    "updated_at": iso(c + DAY),
                    "name": name,
                    "requisition_id": None if j % 4 == 1 else f"REQ-{1000 + j}",
                    "notes": None if j % 3 else "<p>Résumé screening by the hiring manager.</p>",
                    "confidential": j % 11 == 6,
                    "status": status,
                    "opened_at": None if status == "draft" else iso(c + HOUR),
                    "closed_at": None,  # set once applications are known
                    "is_template": False if j % 13 else None,
                    "copied_from_id": FIRST_ID["jobs"] if j % 8 == 7 else None,
                    "department_id": dept,
                    "office_ids": offices,
                    "custom_fields": self._custom_fields("job", r, jid),
                }
            )
            # stages: Application Review, 2..5 from the pool in order, maybe one inactive, Offer
            middle = sorted(r.sample(range(len(pools.STAGE_POOL)), r.randint(2, 5)))
            names = ["Application Review"] + [pools.STAGE_POOL[m][0] for m in middle] + ["Offer"]
            has_iv = [False] + [pools.STAGE_POOL[m][1] for m in middle] + [False]
            active = [True] * len(names)
            if j % 4 == 2:  # a deleted stage kept for history
                pos = r.randint(1, len(names) - 2)
                active[pos] = False
            ids = []
            for pos, sname in enumerate(names):
                self.small["job_interview_stages"].append(
                    {
                        "id": stage_id,
                        "created_at": iso(c),
                        "updated_at": iso(c + 2 * DAY),
                        "job_id": jid,
                        "sort_order": pos,
                        "name": sname,
                        "active": active[pos],
                    }
                )
                ids.append(stage_id)
                stage_id += 1
            self.job_stage_ids.append(ids)
            self.job_stage_names.append(names)
            self.job_nstages[j] = len(names)
            self.job_active_mask[j] = sum(1 << p for p, a in enumerate(active) if a)
            self.job_iv_mask[j] = sum(1 << p for p, h in enumerate(has_iv) if h)
            posts = []
            for k in range(1 if j % 3 else 2):
                active_post = status == "open" and k != 1
                pub = None if status == "draft" else iso(c + 2 * HOUR)
                self.small["job_posts"].append(
                    {
                        "id": post_id,
                        "created_at": iso(c),
                        "updated_at": iso(c + 3 * DAY),
                        "title": name if k == 0 else f"{name} — Internal",
                        "internal": k == 1,
                        "active": active_post,
                        "live": active_post and k == 0,
                        "featured": j % 5 == 0,
                        "first_published_at": pub,
                        "content": f"<p>Join us as {name}!</p>",
                        "internal_content": None,
                        "language": "en" if j % 6 else "de",
                        "public_url": f"https://boards.example.com/sandbox/jobs/{post_id}",
                        "demographic_question_set_id": None,
                        "job_id": jid,
                        "job_board_id": 1,
                        "questions": [
                            {
                                "id": None,
                                "description": None,
                                "answer_type": "short_text",
                                "required": True,
                                "private": False,
                                "label": "First Name",
                                "name": "first_name",
                                "options": [],
                            },
                            {
                                "id": 9001,
                                "description": "Optional",
                                "answer_type": "single_select",
                                "required": False,
                                "private": False,
                                "label": "How did you hear about this job?",
                                "name": "question_9001",
                                "options": [
                                    {"id": 1, "label": "Online Research"},
                                    {"id": 2, "label": "Friend"},
                                ],
                            },
                        ],
                    }
                )
                posts.append(post_id)
                post_id += 1
            self.job_posts_of.append(posts)
        self.n_jobs = n_jobs

    def _build_demographics(self, stamps: tuple[int, int]) -> None:
        c, u = iso(stamps[0]), iso(stamps[1])
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

    def _custom_fields(self, ftype: str, r: random.Random, owner_id: int) -> dict[str, Any]:
        """Keyed custom field values ({key: {name, type, value}}) of one record, drawn from a
        seeded pool of 512 combinations per field type (one RNG draw instead of ~25 per record;
        the dicts are shared, so nothing may mutate them in place)."""
        pool = self._cf_pools.get(ftype)
        if pool is None:
            pr = FastRandom(zlib.crc32(f"{self.seed}:custom_fields:{ftype}".encode()))
            pool = self._cf_pools[ftype] = [
                self._make_custom_fields(ftype, pr, i) for i in range(512)
            ]
        return pool[int(r.random() * len(pool))]

    def _make_custom_fields(self, ftype: str, r: random.Random, owner_id: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for cf in self.custom_fields_by_type.get(ftype, ()):
            key, vtype = cf["name_key"], cf["value_type"]
            value: Any
            if r.random() < 0.2:
                value = None
            elif vtype == "short_text":
                value = r.choice(("$81.5k", "100000", "Negotiable — ça dépend", ""))
            elif vtype == "long_text":
                value = r.choice(("This is a note field", "Línea 1\nLínea 2"))
            elif vtype == "yes_no":
                value = r.random() < 0.5
            elif vtype == "single_select":
                value = r.choice(OPTIONS[key])
            elif vtype == "multi_select":
                value = r.sample(OPTIONS[key], r.randint(1, 3))
            elif vtype == "number":
                value = r.choice((r.randint(0, 20), round(r.uniform(0, 20000), 2)))
            elif vtype == "currency":
                value = {
                    "value": r.randint(40, 250) * 1000,
                    "currency": r.choice(("USD", "EUR", "GBP")),
                }
            elif vtype == "currency_range":
                lo = r.randint(40, 150) * 1000
                value = {
                    "min_value": lo,
                    "max_value": lo + r.randint(10, 60) * 1000,
                    "unit": r.choice(("USD", "EUR")),
                }
            elif vtype == "user":
                u = self.small["users"][(owner_id + len(key)) % len(self.small["users"])]
                value = {
                    "id": u["id"],
                    "name": u["name"],
                    "email": u["primary_email"],
                    "employee_id": u["employee_id"],
                }
            elif vtype == "date":
                value = iso_date(START_MS + r.randint(0, 1400) * DAY)
            else:
                value = None
            out[key] = {"name": cf["name"], "type": vtype, "value": value}
        return out

    # ==== structure of the big entities (vectorised) ============================================
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

    def _build_openings(self, r: random.Random) -> None:
        """Openings (lazy, grouped by job): one closed opening per hired application, in
        application order, then 0..2 open ones (at least one on an open job without hires)."""
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
        job_created = np.array([_ms(j["created_at"]) for j in self.small["jobs"]], dtype=np.int64)
        hi = job_created.copy()
        np.maximum.at(hi, self.app_job[hired], self.app_la[hired])
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

    def _gen_openings(self, j: int) -> list[Record]:
        job = self.small["jobs"][j]
        r = self._rng(_SALT["openings"], job["id"])
        close_ids = [c["id"] for c in self.small["close_reasons"]]
        first = FIRST_ID["openings"] + int(self.opening_starts[j])
        lo, hi = int(self.hire_starts[j]), int(self.hire_starts[j + 1])
        rows: list[Record] = []
        for sort, k in enumerate(self.hired_by_job[lo:hi].tolist()):
            closed = iso(int(self.app_la[k]))
            rows.append(
                {
                    "id": first + sort,
                    "created_at": job["created_at"],
                    "updated_at": closed,
                    "job_id": job["id"],
                    "opened_at": job["opened_at"],
                    "closed_at": closed,
                    "sort_order": sort,
                    "opening_id": None if sort % 5 == 4 else f"{j + 1}-{sort + 1}",
                    "application_id": FIRST_ID["applications"] + k,
                    "close_reason_id": close_ids[sort % 2],
                    "target_start_on": None,
                    "open": False,
                    "custom_fields": self._custom_fields("opening", r, first + sort),
                }
            )
        for sort in range(hi - lo, hi - lo + int(self.n_open_of_job[j])):
            rows.append(
                {
                    "id": first + sort,
                    "created_at": job["created_at"],
                    "updated_at": job["created_at"],
                    "job_id": job["id"],
                    "opened_at": job["opened_at"],
                    "closed_at": None,
                    "sort_order": sort,
                    "opening_id": f"{j + 1}-{sort + 1}",
                    "application_id": None,
                    "close_reason_id": None,
                    "target_start_on": iso_date(END_MS + r.randint(10, 90) * DAY),
                    "open": True,
                    "custom_fields": self._custom_fields("opening", r, first + sort),
                }
            )
        return rows

    def openings_of_job(self, job_id: int) -> list[Record]:
        return self.tables["openings"].group_rows(job_id - FIRST_ID["jobs"])

    # ==== tables ================================================================================
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
            "scorecards": self._gen_scorecards,
            "eeoc": self._gen_eeoc,
            "demographic_answers": self._gen_demographic_answers,
        }
        for name, counts in self.child_counts.items():
            starts = np.zeros(m + 1, dtype=np.int32)
            np.cumsum(counts, out=starts[1:], dtype=np.int32)
            self.tables[name] = Table(
                name,
                FIRST_ID[name],
                GroupIndex(
                    starts=starts,
                    lo_created=self.app_created,
                    hi_updated=self.app_updated,
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
        """Application ids of a candidate (base and added), ascending."""
        k = cand_id - FIRST_ID["candidates"]
        out: list[int] = []
        if 0 <= k < self.n_cand:
            lo, hi = int(self.cand_starts[k]), int(self.cand_starts[k + 1])
            out = list(range(FIRST_ID["applications"] + lo, FIRST_ID["applications"] + hi))
        out.extend(self._added_apps_of_cand.get(cand_id, []))
        return out

    def rejection_reason_id(self, app: Record) -> int | None:
        """Rejection reason of a rejected application (v1 nests it; v3 has rejection_details)."""
        if app["status"] != "rejected":
            return None
        reasons = self.small["rejection_reasons"]
        return reasons[app["id"] % len(reasons)]["id"]

    # ==== lazy generators =======================================================================
    def _gen_candidate(self, k: int) -> list[Record]:
        cid = FIRST_ID["candidates"] + k
        r = self._rng(_SALT["candidates"], cid)
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

    @lru_cache(maxsize=8192)  # noqa: B019 - the organisation lives as long as its cache
    def _plan(self, k: int) -> dict[str, Any]:
        """Stage timeline of application k: {position: (entered_ms, exited_ms or None)}."""
        aid = FIRST_ID["applications"] + k
        r = self._rng(_SALT_PLAN, aid)
        created, la = int(self.app_created[k]), int(self.app_la[k])
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
        r = self._rng(_SALT["applications"], aid)
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
        return FIRST_ID[entity] + int(self.tables[entity].index.starts[k])  # type: ignore[union-attr]

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
        r = self._rng(_SALT["offers"], plan["aid"])
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

    def _interview_slots(self, k: int) -> list[tuple[int, int, int, bool]]:
        """(stage position, starts_ms, ends_ms, complete) for each interview of application k."""
        plan = self._plan(k)
        if plan["cur"] < 0:
            return []
        j = int(self.app_job[k])
        iv_mask = int(self.job_iv_mask[j])
        r = self._rng(_SALT["interviews"], plan["aid"])
        in_process = int(self.app_status[k]) == 0
        out = []
        for pos in sorted(plan["timeline"]):
            if not (iv_mask >> pos) & 1:
                continue
            entered, exited = plan["timeline"][pos]
            end = exited if exited is not None else plan["la"]
            starts = entered + int(max(0, end - entered - 2 * HOUR) * r.uniform(0.2, 0.9))
            complete = not (pos == plan["cur"] and in_process)
            out.append((pos, starts, starts + r.choice((30, 45, 60)) * 60_000, complete))
        return out

    def _gen_interviews(self, k: int) -> list[Record]:
        slots = self._interview_slots(k)
        if not slots:
            return []
        plan = self._plan(k)
        j = int(self.app_job[k])
        first = self._child_first_id("interviews", k)
        r = self._rng(_SALT["interviews"] + 100, plan["aid"])
        rows = []
        for i, (pos, starts, ends, complete) in enumerate(slots):
            entered = plan["timeline"][pos][0]
            status = "complete" if complete else r.choice(("scheduled", "awaiting_feedback"))
            rows.append(
                {
                    "id": first + i,
                    "created_at": iso(entered),
                    "updated_at": iso(max(entered, min(ends, plan["la"]))),
                    "job_id": FIRST_ID["jobs"] + j,
                    "application_id": plan["aid"],
                    "job_interview_id": self.job_stage_ids[j][pos] * 10 + 1,
                    "starts_at": iso(starts),
                    "ends_at": iso(ends),
                    "location": r.choice(("Room Ærø, 3rd floor", "Video call", None)),
                    "status": status,
                    "organizer_id": r.choice(self.active_user_ids),
                    "scheduled_at": iso(entered),
                    "all_day_start_on": None,
                    "all_day_end_on": None,
                    "external_event_id": f"evt-{first + i}",
                    "video_conferencing_url": "https://meet.example.com/sandbox"
                    if r.random() < 0.5
                    else None,
                    "availability_received_at": None,
                }
            )
        return rows

    def _gen_scorecards(self, k: int) -> list[Record]:
        slots = [s for s in self._interview_slots(k) if s[3]]
        if not slots:
            return []
        plan = self._plan(k)
        j = int(self.app_job[k])
        first = self._child_first_id("scorecards", k)
        r = self._rng(_SALT["scorecards"], plan["aid"])
        rows = []
        for i, (pos, _starts, ends, _c) in enumerate(slots):
            exited = plan["timeline"][pos][1]
            bound = exited if exited is not None else plan["la"]
            submitted = max(min(ends + r.randint(0, 20 * HOUR), bound), plan["timeline"][pos][0])
            interviewer = r.choice(self.active_user_ids)
            note = r.choice(("Strong SQL — très bien.", "Needs mentoring on system design.", None))
            rows.append(
                {
                    "id": first + i,
                    "created_at": iso(plan["timeline"][pos][0]),
                    "updated_at": iso(submitted),
                    "interview_kit_id": self.job_stage_ids[j][pos] * 10 + 2,
                    "interviewer_id": interviewer,
                    "interviewed_at": iso(ends),
                    "notes": note,
                    "notes_with_tags": note,
                    "submitter_id": interviewer,
                    "candidate_rating": r.choice(
                        ("definitely_not", "no", "yes", "strong_yes", "no_decision")
                    ),
                    "private_notes": None,
                    "private_notes_with_tags": None,
                    "status": "complete",
                    "public_notes": note,
                    "public_notes_with_tags": note,
                    "application_id": plan["aid"],
                    "submitted_at": iso(submitted),
                }
            )
        return rows

    def _gen_eeoc(self, k: int) -> list[Record]:
        if not self.child_counts["eeoc"][k]:
            return []
        plan = self._plan(k)
        r = self._rng(_SALT["eeoc"], plan["aid"])
        submitted = plan["created"] + r.randint(0, HOUR)

        def pick(pool: tuple[tuple[int, str], ...]) -> dict[str, Any] | None:
            if r.random() < 0.1:
                return None
            if r.random() < 0.1:
                return {"id": None, "description": None}
            i, d = r.choice(pool)
            return {"id": i, "description": d}

        return [
            {
                "id": self._child_first_id("eeoc", k),
                "created_at": iso(submitted),
                "updated_at": iso(submitted),
                "application_id": plan["aid"],
                "candidate_id": FIRST_ID["candidates"] + int(self.app_cand[k]),
                "gender": pick(pools.EEOC_GENDER),
                "race": pick(pools.EEOC_RACE),
                "veteran_status": pick(pools.EEOC_VETERAN),
                "disability_status": pick(pools.EEOC_DISABILITY),
                "submitted_at": iso(submitted),
            }
        ]

    def _gen_demographic_answers(self, k: int) -> list[Record]:
        n = int(self.child_counts["demographic_answers"][k])
        if n == 0:
            return []
        plan = self._plan(k)
        r = self._rng(_SALT["demographic_answers"], plan["aid"])
        first = self._child_first_id("demographic_answers", k)
        submitted = iso(plan["created"] + r.randint(0, HOUR))
        extra = n > len(self.demographic_options)  # a second option on the multi-select question
        picks: list[Record] = []
        for opts in self.demographic_options:  # one answer per active question
            question = self.get("demographic_questions", opts[0]["demographic_question_id"])
            if extra and question["answer_type"] == "multi_value_multi_select":
                picks.extend(r.sample([o for o in opts if not o["decline_to_answer"]], 2))
            else:
                picks.append(r.choice(opts))
        return [
            {
                "id": first + i,
                "created_at": submitted,
                "updated_at": submitted,
                "application_id": plan["aid"],
                "demographic_question_id": opt["demographic_question_id"],
                "demographic_answer_option_id": opt["id"],
                "free_form_text": r.choice(pools.FREE_FORM_ANSWERS) if opt["free_form"] else None,
            }
            for i, opt in enumerate(picks)
        ]

    # ==== change over time ======================================================================
    def child_rows(self, entity: str, app_id: int) -> list[Record]:
        """Current rows of a child entity (application_stages, offers, ...) of one application."""
        table = self.tables[entity]
        k = app_id - FIRST_ID["applications"]
        rows = table.group_rows(k) if 0 <= k < self.n_app else []
        rows += [table.explicit[i] for i in self._added_children.get((entity, app_id), [])]
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
            self.app_updated[k] = max(int(self.app_updated[k]), _ms(rec["updated_at"]))
            self.app_la[k] = _ms(rec["last_activity_at"])
        elif entity == "candidates":
            self.cand_updated[k] = _ms(rec["updated_at"])
            self.cand_la[k] = _ms(rec["last_activity_at"])
        elif entity in self.child_counts:
            g = table.group_of(rec["id"])
            self.app_updated[g] = max(int(self.app_updated[g]), _ms(rec["updated_at"]))

    def _touch_application(self, app: Record, now: int, **changes: Any) -> Record:
        app = dict(app) | changes | {"updated_at": iso(now), "last_activity_at": iso(now)}
        self._put("applications", app)
        cand = dict(self.get("candidates", app["candidate_id"]))  # type: ignore[arg-type]
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
        return self.tables["applications"].get_many(ids)

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
        # 1. new candidates, each with one application in the first stage of an open job
        for _ in range(n):
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
        # 2. stage moves, offers, rejections on a sample of existing applications
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
                self._touch_application(app, now, status="rejected", rejected_at=iso(now))
                summary["rejections"] += 1
        # 3. plain updates: candidates (tags/title) and one job
        cand_ids = self.tables["candidates"].all_ids()
        for p in sorted({r.randrange(len(cand_ids)) for _ in range(n)}):
            cid = cand_ids.slice(p, p + 1)[0]
            cand = dict(self.get("candidates", cid))  # type: ignore[arg-type]
            cand["tags"] = sorted(set(cand["tags"]) | {r.choice(pools.TAGS)})
            cand["title"] = r.choice(pools.TITLES)
            cand["updated_at"] = iso(now)
            self._put("candidates", cand)
            summary["candidates_updated"] += 1
        job = dict(self.small["jobs"][r.choice(open_jobs)])
        job["notes"] = f"<p>Updated by advance #{self.advances}</p>"
        job["updated_at"] = iso(now)
        self._put("jobs", job)
        self.small["jobs"][job["id"] - FIRST_ID["jobs"]] = job
        summary["jobs_updated"] += 1
        self.now = now
        return summary

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
                entered = _ms(row["entered_at"]) if row["entered_at"] else now
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
            self._touch_application(app, now, status="rejected", rejected_at=iso(now))
            summary["offers_rejected"] += 1


def _release_free_memory() -> None:
    """Hand the build's freed temporaries back to the OS (glibc keeps them otherwise)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _ms(value: str) -> int:
    from sandbox.store import iso_to_ms

    return iso_to_ms(value)
