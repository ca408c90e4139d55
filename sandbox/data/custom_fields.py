"""Custom fields: their definitions, options, and the values records carry."""

from __future__ import annotations

import random
import zlib
from typing import Any

from sandbox.data.ids import FIRST_ID
from sandbox.data.rng import FastRandom
from sandbox.data.state import OrganisationState
from sandbox.data.timestamps import DAY, EARLY_MS, START_MS, iso, iso_date, stamps
from sandbox.store import Record

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
# Added later, so that every entity has a field of every value type (text, number, date,
# yes/no, single and multi select, currency, user; also url, number and currency ranges) and the
# transform meets name keys that are not identifiers or that collide once made safe. Their time
# stamps and values come from generators of their own, so the fields above, their options and
# values, and every other record of the organisation are what they were before.
EXTRA_CUSTOM_FIELDS = (
    ("candidate", "Current Salary", "current_salary", "currency"),
    ("candidate", "LinkedIn URL", "LinkedIn URL", "url"),
    ("candidate", "LinkedIn url (old)", "linkedin-url", "short_text"),
    ("application", "Referral Notes", "referral_notes", "short_text"),
    ("application", "Assessment Score", "assessment_score", "number"),
    ("application", "Assessment Date", "assessment_date", "date"),
    ("application", "Languages", "languages", "multi_select"),
    ("application", "Expected Bonus", "expected_bonus", "currency"),
    ("application", "Sourced By", "sourced_by", "user"),
    (
        "application",
        "How did you hear about us and what made you apply to this role?",
        "how_did_you_hear_about_us_and_what_made_you_apply_to_this_role",
        "long_text",
    ),
    ("job", "Remote Eligible", "remote_eligible", "yes_no"),
    ("job", "Target Start", "target_start", "date"),
    ("job", "Required Languages", "required_languages", "multi_select"),
    ("job", "Sign-on Budget", "signon_budget", "currency"),
    ("job", "Priority Score", "priority_score", "number"),
    ("job", "Level Range", "level_range", "number_range"),
    ("offer", "Relocation Package", "relocation_package", "yes_no"),
    ("offer", "Approver", "approver", "user"),
    ("offer", "Salary Amount (approved)", "salary_amount", "short_text"),
    ("offer", "Equity Range", "equity_range", "currency_range"),
    ("opening", "Cost Center", "cost_center", "short_text"),
    ("opening", "Band", "band", "number"),
    ("opening", "Target Fill Date", "target_fill_date", "date"),
    ("opening", "Backfill", "backfill", "yes_no"),
    ("opening", "Teams", "teams", "multi_select"),
    ("opening", "Budgeted Salary", "budgeted_salary", "currency"),
    ("opening", "Recruiter", "recruiter", "user"),
)
# Name keys real dictionaries hold that are no identifier at all, served only by an
# organisation built with odd_custom_field_keys=True (after every field above, with generators
# of their own): an empty and a missing (null) key, and keys without an ASCII letter. Values are
# keyed by the name key, so a field with a null key has none on any record.
ODD_CUSTOM_FIELDS: tuple[tuple[str, str, str | None, str], ...] = (
    ("job", "Blank key", "", "short_text"),
    ("candidate", "No key", None, "short_text"),
    ("job", "給与", "給与", "currency"),
    ("candidate", "部署", "部署", "short_text"),
    ("application", "2025", "2025", "yes_no"),
)
OPTIONS = {
    "graduation_year": ("2016", "2018", "2020", "2022", "2024"),
    "skills": ("Python", "SQL", "Kubernetes", "Negotiation", "Figma", "dbt"),
    "application_custom_test": ("Option 1", "Option 2", "Option 3"),
    "employment_type": ("Full-Time", "Part-Time", "Contractor", "Intern"),
    "offer_employment_type": ("Full-Time", "Part-Time", "Contractor"),
    "benefits": ("Health", "Dental", "Pension", "Gym", "Ça va bonus"),
    "location_type": ("On-site", "Hybrid", "Remote"),
    "languages": ("English", "Deutsch", "Français", "Español"),
    "required_languages": ("English", "Deutsch", "Français", "Español"),
    "teams": ("Platform", "Data", "Growth, EMEA", "Sales"),
}


class CustomFields(OrganisationState):
    """Custom field definitions (reference data) and the keyed values of one record."""

    def _build_custom_fields(self, r: random.Random) -> None:
        self.small["custom_fields"] = []
        self.small["custom_field_options"] = []
        self.custom_fields_by_type = {}
        self._add_custom_fields(CUSTOM_FIELDS, r)
        self._add_custom_fields(EXTRA_CUSTOM_FIELDS, random.Random(f"{self.seed}:custom_fields"))
        if self.odd_custom_field_keys:
            odd = random.Random(f"{self.seed}:custom_fields:odd")
            self._add_custom_fields(ODD_CUSTOM_FIELDS, odd)

    def _add_custom_fields(
        self, fields: tuple[tuple[str, str, str | None, str], ...], r: random.Random
    ) -> None:
        first = FIRST_ID["custom_fields"] + len(self.small["custom_fields"])
        opt_id = FIRST_ID["custom_field_options"] + len(self.small["custom_field_options"])
        for k, (ftype, name, key, vtype) in enumerate(fields):
            i = first - FIRST_ID["custom_fields"] + k
            c, u = stamps(r, EARLY_MS, START_MS)
            cf = {
                "id": first + k,
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
            for j, opt in enumerate(OPTIONS.get(key or "", ())):
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

    def _custom_fields(self, ftype: str, r: random.Random, owner_id: int) -> dict[str, Any]:
        """Keyed custom field values ({key: {name, type, value}}) of one record, drawn from a
        seeded pool of 512 combinations per field type (one RNG draw instead of ~25 per record;
        the dicts are shared, so nothing may mutate them in place)."""
        pool = self._cf_pools.get(ftype)
        if pool is None:
            pr = FastRandom(zlib.crc32(f"{self.seed}:custom_fields:{ftype}".encode()))
            extra = FastRandom(zlib.crc32(f"{self.seed}:custom_fields:{ftype}:extra".encode()))
            odd = FastRandom(zlib.crc32(f"{self.seed}:custom_fields:{ftype}:odd".encode()))
            first_extra = FIRST_ID["custom_fields"] + len(CUSTOM_FIELDS)
            first_odd = first_extra + len(EXTRA_CUSTOM_FIELDS)
            fields = self.custom_fields_by_type.get(ftype, [])
            base = [cf for cf in fields if cf["id"] < first_extra]
            added = [cf for cf in fields if first_extra <= cf["id"] < first_odd]
            odd_keys = [cf for cf in fields if cf["id"] >= first_odd]
            pool = self._cf_pools[ftype] = [
                self._make_custom_fields(base, pr, i)
                | self._make_custom_fields(added, extra, i)
                | self._make_custom_fields(odd_keys, odd, i)
                for i in range(512)
            ]
        return pool[int(r.random() * len(pool))]

    def _make_custom_fields(
        self, fields: list[Record], r: random.Random, owner_id: int
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for cf in fields:
            key, vtype = cf["name_key"], cf["value_type"]
            if key is None:  # nothing to key its values by
                continue
            value: Any
            if r.random() < 0.2:
                value = None
            elif vtype in ("short_text", "url"):
                value = (
                    r.choice(("$81.5k", "100000", "Negotiable — ça dépend", ""))
                    if vtype == "short_text"
                    else f"https://www.linkedin.com/in/sandbox-{owner_id}"
                )
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
            elif vtype == "number_range":
                lo = r.randint(1, 6)
                value = {"min_value": lo, "max_value": lo + r.randint(0, 3)}
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
