"""Account profiles: the shapes real Greenhouse accounts come in, as fault switches.

The sandbox's organisation has data in every endpoint; real tenants often do not. A profile
serves the same organisation the way such an account would: endpoints with nothing in them yet
answer ``200 []``, endpoints the API credentials have no permission for answer ``403``. Both
versions' names are given (a bare name applies to v1 and v3).
"""

from __future__ import annotations

from typing import Any

from sandbox.server.v3_api import V3_ENDPOINTS
from sandbox.v1 import V1_ENDPOINTS

# The endpoints a token scoped to dltHub's Greenhouse page may read (its eight resources).
DLTHUB_EIGHT = (
    "candidates",
    "jobs",
    "applications",
    "users",
    "offers",
    "job_posts",
    "departments",
    "offices",
)

# Every endpoint either version serves, as the sandbox names them.
_ALL = dict.fromkeys([*V3_ENDPOINTS, *V1_ENDPOINTS])

# A young account: jobs, candidates and applications, but no interviews held, no scorecards,
# no openings or hiring managers set up, no rejection details, no EEOC answers yet.
_YOUNG = (
    "interviews",
    "interviewers",
    "scorecards",
    "job_interviews",
    "job_hiring_managers",
    "openings",
    "rejection_details",
    "scheduled_interviews",
    "eeoc",
    "demographic_answers",
)
_EEOC = (
    "eeoc",
    "demographic_question_sets",
    "demographic_questions",
    "demographic_answer_options",
    "demographic_answers",
)

PROFILES: dict[str, dict[str, Any]] = {
    "full": {},
    "young": {"empty": list(_YOUNG)},
    "scoped": {"forbidden": [e for e in _ALL if e not in DLTHUB_EIGHT]},
    "no-custom-fields": {"empty": ["custom_fields", "custom_field_options"]},
    "no-openings": {"empty": ["openings"]},
    "no-eeoc": {"empty": list(_EEOC)},
}


def profile_faults(name: str) -> dict[str, Any]:
    """The fault switches of a profile (``Faults.update`` takes them)."""
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; known: {', '.join(PROFILES)}")
    return {key: list(value) for key, value in PROFILES[name].items()}
