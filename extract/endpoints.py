"""The catalogue of Harvest endpoints this project extracts, per API version.

One entry per raw table. ``incremental`` endpoints are merged on ``id`` and read in closed
``updated_at`` windows; ``reference`` endpoints are small and replaced on every run. ``sensitive``
endpoints (EEOC, demographics) are never extracted unless named explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["incremental", "reference"]

# Columns whose values are arbitrary JSON (keys and value types vary per tenant): kept as one JSON
# column instead of being flattened into columns / child tables. v3 takes them from the endpoint
# schemas (extract/v3_columns.json); v1 lists them per endpoint, nested tables included.
JSON_COLUMNS = ("custom_fields", "keyed_custom_fields")
# The lists of a v1 candidate, kept as JSON columns of `candidates` too: no staging model reads
# them (a candidate's applications come from the applications endpoint), and as dlt child tables
# (`candidates__applications` and its own nested lists repeat every application) they cost about
# a sixth of a v1 extract's CPU time, mostly in dlt's normalizer (docs/performance.md).
V1_CANDIDATE_LISTS = (
    "applications",
    "application_ids",
    "attachments",
    "addresses",
    "educations",
    "email_addresses",
    "employments",
    "linked_user_ids",
    "phone_numbers",
    "social_media_addresses",
    "tags",
    "website_addresses",
)


@dataclass(frozen=True)
class Endpoint:
    name: str  # table name = endpoint name of the selected version
    path: str  # below the API root, without the version prefix
    kind: Kind
    cursor: str | None = None  # record field the incremental cursor follows
    after_param: str | None = None  # v1 lower-bound filter (inclusive)
    before_param: str | None = None  # v1 upper-bound filter (None: endpoint has none)
    sensitive: bool = False
    json_columns: tuple[str, ...] = ()
    # child table (path below this table, e.g. "openings") -> its JSON columns
    nested_json: tuple[tuple[str, tuple[str, ...]], ...] = ()
    primary_key: str = "id"


def _v3(name: str, kind: Kind = "incremental", **kw: Any) -> Endpoint:
    return Endpoint(
        name=name,
        path=name,
        kind=kind,
        cursor="updated_at" if kind == "incremental" else None,
        **kw,
    )


def _v1(name: str, kind: Kind = "incremental", path: str | None = None, **kw: Any) -> Endpoint:
    if kind == "incremental" and "cursor" not in kw:
        kw = {"cursor": "updated_at", "after_param": "updated_after",
              "before_param": "updated_before", **kw}  # fmt: skip
    return Endpoint(name=name, path=path or name, kind=kind, **kw)


V3 = {
    e.name: e
    for e in (
        _v3("candidates"),
        _v3("applications"),
        _v3("application_stages"),
        _v3("jobs"),
        _v3("job_interview_stages"),
        _v3("job_interviews"),
        _v3("job_posts"),
        _v3("openings"),
        _v3("offers"),
        _v3("users"),
        _v3("interviews"),
        _v3("interviewers"),
        _v3("scorecards"),
        _v3("job_hiring_managers"),
        _v3("rejection_details"),
        _v3("departments", "reference"),
        _v3("offices", "reference"),
        _v3("sources", "reference"),
        _v3("rejection_reasons", "reference"),
        _v3("close_reasons", "reference"),
        _v3("custom_fields", "reference"),
        _v3("custom_field_options", "reference"),
        _v3("eeoc", sensitive=True),
        _v3("demographic_answers", sensitive=True),
    )
}

V1 = {
    e.name: e
    for e in (
        _v1("candidates", json_columns=(*JSON_COLUMNS, *V1_CANDIDATE_LISTS)),
        # applications have no updated_at / updated_after: follow last activity instead
        _v1(
            "applications",
            cursor="last_activity_at",
            after_param="last_activity_after",
            before_param=None,
            json_columns=JSON_COLUMNS,
        ),
        _v1("jobs", json_columns=JSON_COLUMNS, nested_json=(("openings", JSON_COLUMNS),)),
        _v1("job_stages"),
        _v1("job_posts"),
        _v1(
            "offers",
            json_columns=(*JSON_COLUMNS, "opening__custom_fields", "opening__keyed_custom_fields"),
        ),
        _v1("users"),
        _v1("scheduled_interviews"),
        _v1("scorecards"),
        _v1("departments", "reference"),
        _v1("offices", "reference"),
        _v1("sources", "reference"),
        _v1("rejection_reasons", "reference"),
        _v1("close_reasons", "reference"),
        _v1("custom_fields", "reference"),
        # v1 EEOC rows have no id of their own: one row per application
        _v1("eeoc", "reference", sensitive=True, primary_key="application_id"),
        _v1("demographic_answers", "reference", path="demographics/answers", sensitive=True),
    )
}


def catalogue(version: str) -> dict[str, Endpoint]:
    return V3 if version == "v3" else V1


def default_resources(version: str) -> list[str]:
    """Everything except the sensitive endpoints, which are opt-in by name."""
    return [name for name, e in catalogue(version).items() if not e.sensitive]
