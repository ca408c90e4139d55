"""The v3 API: endpoints, their filters, and cursor-paginated lists (newest id first)."""

from __future__ import annotations

from typing import Any

from sandbox.data import Organisation
from sandbox.server.errors import ApiError, validation_error
from sandbox.server.query import (
    Params,
    decode_cursor,
    encode_cursor,
    filters_from_json,
    filters_to_json,
    parse_bool,
    parse_int_list,
    parse_per_page,
    parse_v3_window,
)
from sandbox.store import Filters

V3_ENDPOINTS = (
    "candidates",
    "applications",
    "application_stages",
    "jobs",
    "job_interview_stages",
    "job_interviews",
    "offers",
    "users",
    "departments",
    "offices",
    "job_posts",
    "sources",
    "rejection_reasons",
    "close_reasons",
    "openings",
    "interviews",
    "interviewers",
    "scorecards",
    "job_hiring_managers",
    "custom_fields",
    "custom_field_options",
    "eeoc",
    "demographic_question_sets",
    "demographic_questions",
    "demographic_answer_options",
    "demographic_answers",
    "rejection_details",
)
# v3 parent-id filters: query parameter -> record field
V3_PARENT_FILTERS = {
    "candidates": {},
    "applications": {"candidate_ids": "candidate_id", "job_ids": "job_id"},
    "application_stages": {"application_ids": "application_id"},
    "jobs": {"department_ids": "department_id"},
    "job_interview_stages": {"job_ids": "job_id"},
    "job_interviews": {"job_ids": "job_id"},
    "offers": {
        "application_ids": "application_id",
        "job_ids": "job_id",
        "candidate_ids": "candidate_id",
    },
    "job_posts": {"job_ids": "job_id"},
    "openings": {"job_ids": "job_id"},
    "interviews": {"application_ids": "application_id", "job_ids": "job_id"},
    "scorecards": {"application_ids": "application_id"},
    "job_hiring_managers": {"job_ids": "job_id"},
    "custom_field_options": {"custom_field_ids": "custom_field_id"},
    "eeoc": {"application_ids": "application_id", "candidate_ids": "candidate_id"},
    "departments": {"parent_ids": "parent_id"},
    "demographic_questions": {"demographic_question_set_ids": "demographic_question_set_id"},
    "demographic_answer_options": {"demographic_question_ids": "demographic_question_id"},
    "demographic_answers": {
        "application_ids": "application_id",
        "demographic_question_ids": "demographic_question_id",
    },
    "offices": {"parent_ids": "parent_id"},
    "rejection_details": {"application_ids": "application_id"},
}
V3_STATUS = {
    "applications": ("in_process", "rejected", "hired", "converted"),
    "jobs": ("open", "closed", "draft"),
    "offers": ("Created", "Accepted", "Rejected", "Deprecated"),
    "interviews": (
        "to_be_scheduled",
        "scheduled",
        "awaiting_feedback",
        "complete",
        "skipped",
        "collect_feedback",
        "to_be_sent",
        "sent",
        "received",
    ),
    "scorecards": ("draft", "complete"),
}
V3_BOOL_FILTERS = {
    "job_interview_stages": ("active",),
    "job_posts": ("active", "live"),
    "users": ("deactivated",),
    "custom_fields": ("active",),
    "openings": ("open",),
}


def v3_list(
    org: Organisation, endpoint: str, params: Params, overlap: int = 0
) -> tuple[list[dict], str | None]:
    """One page of a v3 list (ids descending) and the cursor of the next page, if any.
    ``overlap`` (the overlap_pages fault): pages of at most that many records, each next page
    starting again with the last record of this one."""
    if endpoint not in V3_ENDPOINTS:
        raise ApiError(404, {"message": f"Unknown endpoint /v3/{endpoint}"})
    if "cursor" in params:
        extra = sorted(k for k in params if k != "cursor")
        if extra:
            raise validation_error(
                f"cursor cannot be combined with other parameters ({', '.join(extra)})",
                "cursor",
            )
        state = decode_cursor(params["cursor"][0], endpoint)
        flt, per_page, before = filters_from_json(state["f"]), state["pp"], state["b"]
    else:
        per_page = parse_per_page(params)
        flt = v3_filters(endpoint, params)
        before = None
    if overlap:
        per_page = min(per_page, max(overlap, 2))
    ids = org.query(endpoint, flt)
    stop = len(ids) if before is None else ids.position(before)
    start = max(0, stop - per_page)
    page_ids = ids.slice(start, stop)
    page_ids.reverse()
    records = org.get_many(endpoint, page_ids)
    next_cursor = None
    if start > 0 and page_ids:
        next_cursor = encode_cursor(
            {
                "e": endpoint,
                "f": filters_to_json(flt),
                "pp": per_page,
                "b": page_ids[-2] if overlap and len(page_ids) > 1 else page_ids[-1],
            }
        )
    return records, next_cursor


def v3_filters(endpoint: str, params: Params) -> Filters:
    allowed = {"per_page", "updated_at", "created_at", "ids"}
    parents = V3_PARENT_FILTERS.get(endpoint, {})
    allowed |= set(parents)
    if endpoint in V3_STATUS:
        allowed.add("status")
    allowed |= set(V3_BOOL_FILTERS.get(endpoint, ()))
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise validation_error(
            f"unknown parameter(s) for /v3/{endpoint}: {', '.join(unknown)}", unknown[0]
        )
    if "updated_at" in params and "created_at" in params:
        raise validation_error("filter on either updated_at or created_at, not both", "updated_at")
    time_filters: list[tuple[str, str, int]] = []
    for fname in ("updated_at", "created_at"):
        if fname in params:
            time_filters.extend(parse_v3_window(fname, params[fname][0]))
    ids = parse_int_list(params, "ids") if "ids" in params else None
    parent_filters = tuple(
        (parents[p], frozenset(parse_int_list(params, p))) for p in sorted(parents) if p in params
    )
    equals: list[tuple[str, Any]] = []
    if "status" in params:
        value = params["status"][0]
        if value not in V3_STATUS[endpoint]:
            raise validation_error(
                f"status must be one of {', '.join(V3_STATUS[endpoint])}", "status"
            )
        equals.append(("status", value))
    for b in V3_BOOL_FILTERS.get(endpoint, ()):
        if b in params:
            equals.append((b, parse_bool(params, b)))
    return Filters(
        time=tuple(time_filters),
        ids=frozenset(ids) if ids is not None else None,
        parents=parent_filters,
        equals=tuple(equals),
    )
