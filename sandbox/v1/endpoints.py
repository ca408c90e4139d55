"""The v1 endpoint table and the v1 <-> v3 status vocabularies."""

from __future__ import annotations

from typing import Any

from sandbox.data import FIRST_ID

APP_STATUS_V1 = {
    "in_process": "active",
    "rejected": "rejected",
    "hired": "hired",
    "converted": "converted",
}
APP_STATUS_V3 = {v: k for k, v in APP_STATUS_V1.items()}
OFFER_STATUS_V1 = {
    "Created": "unresolved",
    "Accepted": "accepted",
    "Rejected": "rejected",
    "Deprecated": "deprecated",
}
OFFER_STATUS_V3 = {v: k for k, v in OFFER_STATUS_V1.items()}
# scorecard recommendation: v3 candidate_rating -> v1 overall_recommendation (others are equal)
RATING_V1 = {"strong_no": "definitely_not"}


def plain_custom_fields(keyed: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v["value"] for k, v in (keyed or {}).items()}


# v1 endpoint -> canonical entity
V1_ENDPOINTS = {
    "candidates": "candidates",
    "applications": "applications",
    "jobs": "jobs",
    "job_stages": "job_interview_stages",
    "offers": "offers",
    "users": "users",
    "departments": "departments",
    "offices": "offices",
    "job_posts": "job_posts",
    "sources": "sources",
    "rejection_reasons": "rejection_reasons",
    "close_reasons": "close_reasons",
    "openings": "openings",
    "scheduled_interviews": "interviews",
    "scorecards": "scorecards",
    "custom_fields": "custom_fields",
    "eeoc": "eeoc",
}
assert all(e in FIRST_ID for e in V1_ENDPOINTS.values())
