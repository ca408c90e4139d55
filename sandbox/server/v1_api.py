"""The v1 API: endpoints, their filters, page-numbered lists and the Link header."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from sandbox.data import Organisation
from sandbox.server.errors import ApiError, validation_error
from sandbox.server.query import (
    Params,
    parse_bool,
    parse_int_list,
    parse_per_page,
    parse_positive_int,
    parse_ts,
)
from sandbox.store import Filters
from sandbox.v1 import APP_STATUS_V3, OFFER_STATUS_V3, V1_ENDPOINTS, V1Renderer

# v1 filters: which endpoints take created_/updated_ filters, and their status filters
V1_UPDATED = {
    "candidates",
    "jobs",
    "offers",
    "users",
    "job_posts",
    "job_stages",
    "scheduled_interviews",
    "scorecards",
}
V1_CREATED = V1_UPDATED | {"applications"}
V1_STATUS: dict[str, dict[str, Any]] = {  # v1 status value -> canonical value
    "applications": APP_STATUS_V3,
    "jobs": {"open": "open", "closed": "closed", "draft": "draft"},
    "offers": OFFER_STATUS_V3,
    "openings": {"open": True, "closed": False},
}
# v1 endpoints whose Link header has only rel="next" (Greenhouse: EEOC, custom fields, openings)
V1_NEXT_ONLY = frozenset({"eeoc", "custom_fields", "openings"})


def v1_list(
    org: Organisation,
    renderer: V1Renderer,
    endpoint: str,
    params: Params,
    job_id: int | None = None,
    overlap: int = 0,
) -> tuple[list[dict], dict[str, int | None]]:
    """One page of a v1 list (ids ascending) and its paging info (page, last, per_page, total).
    ``overlap`` (the overlap_pages fault): pages of at most that many records, each starting
    with the last record of the page before (offsets shifted by an insert between reads)."""
    if endpoint not in V1_ENDPOINTS:
        raise ApiError(404, {"message": f"Unknown endpoint /v1/{endpoint}"})
    entity = V1_ENDPOINTS[endpoint]
    per_page = parse_per_page(params)
    page = parse_positive_int(params, "page", 1)
    flt = v1_filters(endpoint, params, job_id)
    ids = org.query(entity, flt)
    total = len(ids)
    step = per_page
    if overlap:
        per_page = min(per_page, max(overlap, 2))
        step = per_page - 1
    page_ids = ids.slice((page - 1) * step, (page - 1) * step + per_page)
    render = getattr(renderer, endpoint)
    records = [render(r) for r in org.get_many(entity, page_ids)]
    last_page = max(1, math.ceil(max(total - per_page, 0) / step) + 1)
    return records, {"page": page, "last": last_page, "per_page": per_page, "total": total}


def v1_filters(endpoint: str, params: Params, job_id: int | None) -> Filters:
    allowed = {"per_page", "page", "skip_count"}
    time_filters: list[tuple[str, str, int]] = []
    mapping: dict[str, tuple[str, str]] = {}
    if endpoint in V1_CREATED:
        mapping |= {
            "created_after": ("created_at", "gte"),
            "created_before": ("created_at", "lt"),
        }
    if endpoint in V1_UPDATED:
        mapping |= {
            "updated_after": ("updated_at", "gte"),
            "updated_before": ("updated_at", "lt"),
        }
    if endpoint == "applications":
        mapping |= {"last_activity_after": ("last_activity_at", "gte")}
    if endpoint == "eeoc":
        mapping |= {
            "submitted_after": ("submitted_at", "gte"),
            "submitted_before": ("submitted_at", "lt"),
        }
    allowed |= set(mapping)
    parents: list[tuple[str, frozenset[int]]] = []
    equals: list[tuple[str, Any]] = []
    if endpoint in ("applications", "job_stages", "offers", "job_posts", "openings"):
        allowed.add("job_id")
    if endpoint in ("offers", "scorecards", "scheduled_interviews"):
        allowed.add("application_id")
    if endpoint in V1_STATUS:
        allowed.add("status")
    if endpoint in ("job_posts",):
        allowed |= {"active", "live"}
    if endpoint == "jobs":
        allowed |= {"department_id", "office_id"}
    unknown = sorted(set(params) - allowed)
    if endpoint == "applications" and "updated_after" in unknown:
        raise validation_error(
            "applications have no updated_after filter; use last_activity_after",
            "updated_after",
        )
    if unknown:
        raise validation_error(
            f"unknown parameter(s) for /v1/{endpoint}: {', '.join(unknown)}", unknown[0]
        )
    for name, (fname, op) in mapping.items():
        if name in params:
            time_filters.append((fname, op, parse_ts(params[name][0], name)))
    if job_id is not None:
        parents.append(("job_id", frozenset([job_id])))
    for name, fname in (
        ("job_id", "job_id"),
        ("application_id", "application_id"),
        ("department_id", "department_id"),
        ("office_id", "office_ids"),
    ):
        if name in params:
            parents.append((fname, frozenset(parse_int_list(params, name))))
    if "status" in params:
        values = V1_STATUS[endpoint]
        value = params["status"][0]
        if value not in values:
            raise validation_error(f"status must be one of {', '.join(values)}", "status")
        equals.append(("open" if endpoint == "openings" else "status", values[value]))
    for b in ("active", "live"):
        if b in params:
            equals.append((b, parse_bool(params, b)))
    return Filters(time=tuple(time_filters), parents=tuple(parents), equals=tuple(equals))


def v1_link(base_url: str, path: str, params: Params, info: dict[str, int | None]) -> str | None:
    """The Link header of a v1 page; `path` is the request path without its leading slash."""
    page, last = int(info["page"] or 1), int(info["last"] or 1)
    skip_count = params.get("skip_count", ["false"])[0].lower() == "true"
    base = f"{base_url}/{path}"
    keep = [(k, v) for k, vs in params.items() if k != "page" for v in vs]

    def url(p: int) -> str:
        return f"{base}?{urlencode([('page', p), *keep])}"

    links = []
    if page < last:
        links.append(f'<{url(page + 1)}>; rel="next"')
    if (
        path.rsplit("/", 1)[-1] in V1_NEXT_ONLY
    ):  # as Greenhouse: these small endpoints only link forward
        return ",".join(links) or None
    if page > 1:
        links.append(f'<{url(min(page - 1, last))}>; rel="prev"')
    if links and not skip_count:
        links.append(f'<{url(last)}>; rel="last"')
    return ",".join(links) or None
