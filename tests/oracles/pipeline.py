"""The pipeline mart figures, computed straight from the organisation's canonical records.

The independent side of tests/transform/test_pipeline_marts.py: plain Python over
`Organisation.records(...)`, sharing no code or SQL with the dbt project, implementing the
definitions of docs/transform.md ("Pipeline marts"). Days are calendar days between the UTC
dates of two timestamps (what `dbt.datediff(..., 'day')` counts); medians and percentiles are
continuous (linear interpolation, as `percentile_cont`).

v1 differences, predicted here with `version`:
- stage_durations: v1 has no stage history, so one row per application with a current stage,
  entered_at / days_in_stage unknown (None).
- hiring_velocity: the median days per stage order come from the history, None in v1.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

Row = dict[str, Any]
RATE = Decimal("0.0001")
DAYS = Decimal("0.01")


class RecordSource(Protocol):
    def records(self, entity: str) -> Iterable[Row]: ...


def _timestamp(value: str | None) -> datetime | None:
    """An ISO-8601 timestamp (`2024-05-01T23:59:59.123Z`) as an aware UTC datetime."""
    if value is None:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _naive(value: str | None) -> datetime | None:
    """The UTC timestamp as the warehouse returns a `timestamp` column (naive, UTC)."""
    moment = _timestamp(value)
    return None if moment is None else moment.replace(tzinfo=None)


def _days(start: str | None, end: str | None) -> int | None:
    """Calendar days between the UTC dates of two timestamps."""
    a, b = _timestamp(start), _timestamp(end)
    if a is None or b is None:
        return None
    return (b.date() - a.date()).days


def _month(value: str | None) -> date | None:
    moment = _timestamp(value)
    return None if moment is None else moment.date().replace(day=1)


def _ratio(numerator: int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE, rounding=ROUND_HALF_UP)


def percentile(values: list[int], fraction: float) -> Decimal | None:
    """The continuous percentile (linear interpolation), rounded half-up to 2 decimals."""
    if not values:
        return None
    ordered = sorted(values)
    position = Decimal(str(fraction)) * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    value = ordered[low] + (ordered[high] - ordered[low]) * (position - low)
    return Decimal(value).quantize(DAYS, rounding=ROUND_HALF_UP)


def _by_id(org: RecordSource, entity: str) -> dict[int, Row]:
    return {record["id"]: record for record in org.records(entity)}


def current_offers(org: RecordSource) -> dict[int, Row]:
    """Application id -> its current offer: the highest version (then the highest id)."""
    current: dict[int, Row] = {}
    for offer in org.records("offers"):
        best = current.get(offer["application_id"])
        if best is None or (offer["version"], offer["id"]) > (best["version"], best["id"]):
            current[offer["application_id"]] = offer
    return current


def hired_at(application: Row, offer: Row | None) -> str | None:
    """A hired application's hire time: its accepted current offer's resolution."""
    if application["status"] != "hired" or offer is None or offer["status"] != "Accepted":
        return None
    return offer["resolved_at"]


def offer_resolved_at(offer: Row | None) -> str | None:
    if offer is None or offer["status"] not in ("Accepted", "Rejected"):
        return None
    return offer["resolved_at"]


def stage_durations(org: RecordSource, version: str) -> list[Row]:
    """Expected `greenhouse_marts.stage_durations` rows."""
    applications = _by_id(org, "applications")
    stages = _by_id(org, "job_interview_stages")
    offers = current_offers(org)
    if version == "v3":
        visits = [
            (r["application_id"], r["job_interview_stage_id"], r["entered_at"], r["exited_at"])
            for r in org.records("application_stages")
            if r["entered_at"] is not None
        ]
    else:
        visits = [
            (a["id"], a["stage_id"], None, None)
            for a in applications.values()
            if a["stage_id"] is not None
        ]
    rows = []
    for application_id, stage_id, entered, exited in visits:
        # a visit is a fact of its application: none without it; its stage's name, order and
        # job are null where the stages were not read
        app = applications.get(application_id)
        if app is None:
            continue
        if exited is not None:
            reason, end = "advanced", exited
        elif stage_id != app["stage_id"]:
            reason, end = "still_there", None
        elif app["status"] == "rejected":
            reason, end = "rejected", app["rejected_at"]
        elif app["status"] == "hired":
            reason, end = "hired", hired_at(app, offers.get(application_id))
        else:
            reason, end = "still_there", None
        stage = stages.get(stage_id, {})
        rows.append(
            {
                "stage_visit_id": f"{application_id}-{stage_id}",
                "application_id": application_id,
                "candidate_id": app["candidate_id"],
                "job_id": stage.get("job_id"),
                "stage_id": stage_id,
                "stage_name": stage.get("name"),
                "exit_reason": reason,
                "stage_order": stage.get("sort_order"),
                "days_in_stage": _days(entered, end),
                "entered_at": _naive(entered),
                "exited_at": _naive(end),
            }
        )
    return rows


def hiring_velocity(org: RecordSource) -> list[Row]:
    """Expected `greenhouse_marts.hiring_velocity` rows (the same for v1 and v3)."""
    jobs = _by_id(org, "jobs")
    departments = _by_id(org, "departments")
    offers = current_offers(org)
    to_hire: dict[tuple[int, date], list[int]] = defaultdict(list)
    to_offer: dict[tuple[int, date], list[int]] = defaultdict(list)
    for app in org.records("applications"):
        if app["job_id"] is None:
            continue
        offer = offers.get(app["id"])
        hired = hired_at(app, offer)
        if hired is not None:
            month = _month(hired)
            assert month is not None
            days = _days(app["created_at"], hired)
            assert days is not None
            to_hire[(app["job_id"], month)].append(days)
        resolved = offer_resolved_at(offer)
        if resolved is not None:
            month = _month(resolved)
            assert month is not None
            days = _days(app["created_at"], resolved)
            assert days is not None
            to_offer[(app["job_id"], month)].append(days)
    rows = []
    for job_id, month in sorted(to_hire.keys() | to_offer.keys()):
        job = jobs.get(job_id, {"department_id": None, "name": None})  # jobs not read: no names
        hires, offered = to_hire.get((job_id, month), []), to_offer.get((job_id, month), [])
        rows.append(
            {
                "job_id": job_id,
                "department_id": job["department_id"],
                "job_name": job["name"],
                "department_name": departments.get(job["department_id"], {}).get("name"),
                "hire_month": month,
                "hires": len(hires),
                "offers_resolved": len(offered),
                "median_days_to_hire": percentile(hires, 0.5),
                "p75_days_to_hire": percentile(hires, 0.75),
                "median_days_to_offer": percentile(offered, 0.5),
            }
        )
    return rows


def openings(org: RecordSource, as_of: str) -> list[Row]:
    """Expected `greenhouse_marts.openings` rows; `as_of` is the build's GREENHOUSE_AS_OF."""
    jobs = _by_id(org, "jobs")
    reasons = _by_id(org, "close_reasons")
    applications = _by_id(org, "applications")
    rows = []
    for opening in org.records("openings"):
        job = jobs.get(opening["job_id"], {"department_id": None, "name": None})
        closed = opening["closed_at"]
        # a fill by an application deleted since stays a fill, with no application to name
        filled_by = opening["application_id"] if closed is not None else None
        filled = filled_by is not None
        if filled_by not in applications:
            filled_by = None
        reason = reasons.get(opening["close_reason_id"], {})
        rows.append(
            {
                "opening_id": opening["id"],
                "job_id": opening["job_id"],
                "department_id": job["department_id"],
                "filled_by_application_id": filled_by,
                "close_reason_id": opening["close_reason_id"],
                "external_opening_id": opening["opening_id"],
                "job_name": job["name"],
                "close_reason_name": reason.get("name"),
                "days_open": _days(opening["opened_at"], closed or as_of),
                "is_open": closed is None,
                "is_filled": filled,
                "opened_at": _naive(opening["opened_at"]),
                "closed_at": _naive(closed),
            }
        )
    return rows


def time_to_fill(org: RecordSource) -> list[Row]:
    """Expected `greenhouse_marts.time_to_fill` rows (the same for v1 and v3)."""
    jobs = _by_id(org, "jobs")
    departments = _by_id(org, "departments")
    closed: dict[tuple[int, date], list[Row]] = defaultdict(list)
    for opening in org.records("openings"):
        month = _month(opening["closed_at"])
        if month is not None:
            closed[(opening["job_id"], month)].append(opening)
    rows = []
    for (job_id, month), group in sorted(closed.items()):
        job = jobs.get(job_id, {"department_id": None, "name": None})  # jobs not read: no names
        filled = [o for o in group if o["application_id"] is not None]
        days = [_days(o["opened_at"], o["closed_at"]) for o in filled]
        known = [d for d in days if d is not None]
        rows.append(
            {
                "job_id": job_id,
                "department_id": job["department_id"],
                "job_name": job["name"],
                "department_name": departments.get(job["department_id"], {}).get("name"),
                "closed_month": month,
                "openings_closed": len(group),
                "openings_filled": len(filled),
                "median_days_to_fill": percentile(known, 0.5),
                "p75_days_to_fill": percentile(known, 0.75),
            }
        )
    return rows


def source_effectiveness(org: RecordSource, version: str) -> list[Row]:
    """Expected `greenhouse_marts.source_effectiveness` rows."""
    stages = _by_id(org, "job_interview_stages")
    sources = _by_id(org, "sources")
    orders: dict[int, list[int]] = defaultdict(list)
    for stage in stages.values():
        orders[stage["job_id"]].append(stage["sort_order"])
    apps = {a["id"]: a for a in org.records("applications") if not a["prospect"]}
    # application id -> orders of the stages it reached
    reached: dict[int, set[int]] = defaultdict(set)
    if version == "v3":
        for row in org.records("application_stages"):
            if (
                row["entered_at"] is not None
                and row["application_id"] in apps
                and row["job_interview_stage_id"] in stages
            ):
                reached[row["application_id"]].add(
                    stages[row["job_interview_stage_id"]]["sort_order"]
                )
    else:
        for app in apps.values():
            if app["stage_id"] is not None:
                current = stages[app["stage_id"]]["sort_order"]
                reached[app["id"]] = {o for o in orders[app["job_id"]] if o <= current}
    with_offer = {o["application_id"] for o in org.records("offers")}
    groups: dict[tuple[int | None, date], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for app in apps.values():
        # a job whose stages were not read has no first or last stage: nothing is reached
        job_orders = orders[app["job_id"]] or [0]
        first, last = min(job_orders), max(job_orders)
        seen = reached[app["id"]]
        month = _month(app["created_at"])
        assert month is not None
        counts = groups[(app["source_id"], month)]
        counts[0] += 1
        counts[1] += any(o > first for o in seen)
        counts[2] += any(first < o < last for o in seen)
        counts[3] += app["id"] in with_offer
        counts[4] += app["status"] == "hired"
    all_hires = sum(c[4] for c in groups.values())
    rows = []
    for (source_id, month), (n, second, interview, offer, hired) in groups.items():
        source = sources.get(source_id, {}) if source_id is not None else {}
        rows.append(
            {
                "source_id": source_id,
                "source_name": source.get("name"),
                "source_type": (source.get("type") or {}).get("name"),
                "cohort_month": month,
                "applications": n,
                "reached_second_stage": second,
                "reached_interview": interview,
                "got_offer": offer,
                "hired": hired,
                "second_stage_rate": _ratio(second, n),
                "interview_rate": _ratio(interview, second),
                "offer_rate": _ratio(offer, interview),
                "hire_rate": _ratio(hired, offer),
                "application_to_hire_rate": _ratio(hired, n),
                "share_of_hires": _ratio(hired, all_hires),
            }
        )
    return rows


def rejections(org: RecordSource, version: str) -> list[Row]:
    """Expected `greenhouse_marts.rejections` rows: v3 reads the reason (and who rejected) from
    rejection_details; v1 nests only the reason in the application (`reason_of`)."""
    stages = _by_id(org, "job_interview_stages")
    reasons = _by_id(org, "rejection_reasons")
    details = {d["application_id"]: d for d in org.records("rejection_details")}
    rows = []
    for app in org.records("applications"):
        if app["status"] != "rejected":
            continue
        detail = details.get(app["id"], {})
        if version == "v3":
            reason_id, rejected_by = detail.get("rejection_reason_id"), detail.get("rejected_by_id")
        else:
            reason_id, rejected_by = org.rejection_reason_id(app), None  # type: ignore[attr-defined]
        reason = reasons.get(reason_id, {}) if reason_id is not None else {}
        key = (reason.get("type") or {}).get("key")
        stage = stages.get(app["stage_id"], {}) if app["stage_id"] is not None else {}
        rows.append(
            {
                "application_id": app["id"],
                "candidate_id": app["candidate_id"],
                "job_id": app["job_id"],
                "rejection_reason_id": reason_id,
                "rejected_stage_id": app["stage_id"],
                "rejected_by_user_id": rejected_by,
                "rejection_reason_name": reason.get("name"),
                "rejection_type": key
                if key in ("we_rejected_them", "they_rejected_us")
                else "other",
                "rejected_stage_name": stage.get("name"),
                "rejected_stage_order": stage.get("sort_order"),
                "days_to_reject": _days(app["created_at"], app["rejected_at"]),
                "is_prospect": app["prospect"],
                "applied_at": _naive(app["created_at"]),
                "rejected_at": _naive(app["rejected_at"]),
            }
        )
    return rows
