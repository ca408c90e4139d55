"""The mart figures, computed straight from the organisation's canonical (v3-shaped) records.

This is the independent side of the transform stage's end-to-end tests: plain Python over
`Organisation.records(...)`, sharing no code or SQL with the dbt project, implementing the
definitions of docs/transform.md:

- `applications_by_stage(org, version)`: one row per job interview stage. Candidate
  applications only (prospects left out). current / rejected / hired = applications with that
  status whose current stage is the stage. reached: v3 = applications with an
  `application_stages` row for the stage with `entered_at` set; v1 (no history) = applications
  whose current stage belongs to the stage's job and has an order >= the stage's order.
  reach_rate_from_previous = reached / reached at the job's previous stage by order (ties
  broken by stage id), None for the first stage or a zero denominator, rounded half-up to 4
  decimals.
- `offer_acceptance(org)`: one row per job x cohort month over each application's current offer
  (highest version), deprecated current offers left out. Identical for v1 and v3, which render
  the same offers.
- `current_offers(org)`: application id -> the current offer record.

Rates are `Decimal`s rounded half-up (as the SQL `round` of the marts rounds) so a test can
compare them exactly with the numeric columns the warehouse returns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

Row = dict[str, Any]
RATE = Decimal("0.0001")
AVERAGE = Decimal("0.01")


class RecordSource(Protocol):
    def records(self, entity: str) -> Iterable[Row]: ...


def _ratio(numerator: int, denominator: int, places: Decimal) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(places, rounding=ROUND_HALF_UP)


def _utc_date(timestamp: str | None) -> date | None:
    """The UTC calendar date of an ISO-8601 timestamp (`2024-05-01T23:59:59.123Z`)."""
    if timestamp is None:
        return None
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).astimezone(UTC).date()


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value[:10])


def _by_id(org: RecordSource, entity: str) -> dict[int, Row]:
    return {record["id"]: record for record in org.records(entity)}


def _lookup(by_id: dict[int, Row], id_: int | None) -> Row:
    """The row of a nullable foreign key; {} when it is null or unknown."""
    return by_id.get(id_, {}) if id_ is not None else {}


def applications_by_stage(org: RecordSource, version: str = "v3") -> list[Row]:
    """Expected `greenhouse_marts.applications_by_stage` rows, ordered by job, order, stage."""
    if version not in ("v1", "v3"):
        raise ValueError("version must be 'v1' or 'v3'")
    jobs = _by_id(org, "jobs")
    departments = _by_id(org, "departments")
    stages = _by_id(org, "job_interview_stages")
    candidate_apps = {a["id"]: a for a in org.records("applications") if not a["prospect"]}

    at_stage: dict[tuple[int, str], int] = defaultdict(int)
    for app in candidate_apps.values():
        if app["stage_id"] is not None:
            at_stage[(app["stage_id"], app["status"])] += 1

    reached: dict[int, int] = defaultdict(int)
    if version == "v3":
        entered: set[tuple[int, int]] = set()
        for row in org.records("application_stages"):
            if row["entered_at"] is not None and row["application_id"] in candidate_apps:
                entered.add((row["application_id"], row["job_interview_stage_id"]))
        for _, stage_id in entered:
            reached[stage_id] += 1
    else:
        stages_of_job: dict[int, list[Row]] = defaultdict(list)
        for stage in stages.values():
            stages_of_job[stage["job_id"]].append(stage)
        for app in candidate_apps.values():
            current = stages.get(app["stage_id"]) if app["stage_id"] is not None else None
            if current is None:
                continue
            for stage in stages_of_job[current["job_id"]]:
                if current["sort_order"] >= stage["sort_order"]:
                    reached[stage["id"]] += 1

    rows: list[Row] = []
    ordered = sorted(stages.values(), key=lambda s: (s["job_id"], s["sort_order"], s["id"]))
    previous: dict[int, int] = {}  # job id -> reached at the previous stage
    for stage in ordered:
        job = jobs.get(stage["job_id"], {})
        department = _lookup(departments, job.get("department_id"))
        count = reached[stage["id"]]
        prior = previous.get(stage["job_id"])
        rows.append(
            {
                "job_id": stage["job_id"],
                "department_id": job.get("department_id"),
                "stage_id": stage["id"],
                "job_name": job.get("name"),
                "job_status": job.get("status"),
                "department_name": department.get("name"),
                "stage_name": stage["name"],
                "stage_order": stage["sort_order"],
                "is_stage_active": bool(stage["active"]),
                "applications_current": at_stage[(stage["id"], "in_process")],
                "applications_rejected": at_stage[(stage["id"], "rejected")],
                "applications_hired": at_stage[(stage["id"], "hired")],
                "applications_reached": count,
                "reach_rate_from_previous": None if prior is None else _ratio(count, prior, RATE),
            }
        )
        previous[stage["job_id"]] = count
    return rows


def current_offers(org: RecordSource) -> dict[int, Row]:
    """Application id -> its current offer: the highest version (then the highest id)."""
    current: dict[int, Row] = {}
    for offer in org.records("offers"):
        best = current.get(offer["application_id"])
        if best is None or (offer["version"], offer["id"]) > (best["version"], best["id"]):
            current[offer["application_id"]] = offer
    return current


def offer_acceptance(org: RecordSource) -> list[Row]:
    """Expected `greenhouse_marts.offer_acceptance` rows, ordered by job and cohort month."""
    jobs = _by_id(org, "jobs")
    departments = _by_id(org, "departments")
    groups: dict[tuple[int, date], list[Row]] = defaultdict(list)
    for offer in current_offers(org).values():
        if offer["status"].lower() == "deprecated":
            continue
        base = _date(offer["sent_on"]) or _utc_date(offer["created_at"])
        assert base is not None
        groups[(offer["job_id"], base.replace(day=1))].append(offer)

    rows: list[Row] = []
    for (job_id, month), offers in sorted(groups.items()):
        statuses = [o["status"].lower() for o in offers]
        accepted = statuses.count("accepted")
        rejected = statuses.count("rejected")
        days = []
        for offer, status in zip(offers, statuses, strict=True):
            resolved = _utc_date(offer["resolved_at"])
            if status in ("accepted", "rejected") and resolved is not None:
                base = _date(offer["sent_on"]) or _utc_date(offer["created_at"])
                assert base is not None  # every offer has created_at
                days.append((resolved - base).days)
        job = jobs.get(job_id, {})
        rows.append(
            {
                "job_id": job_id,
                "department_id": job.get("department_id"),
                "job_name": job.get("name"),
                "department_name": _lookup(departments, job.get("department_id")).get("name"),
                "cohort_month": month,
                "offers_total": len(offers),
                "offers_sent": sum(1 for o in offers if o["sent_on"] is not None),
                "offers_accepted": accepted,
                "offers_rejected": rejected,
                "offers_pending": statuses.count("created"),
                "acceptance_rate": _ratio(accepted, accepted + rejected, RATE),
                "avg_days_to_resolve": _ratio(sum(days), len(days), AVERAGE),
            }
        )
    return rows


def reached_differences(org: RecordSource) -> dict[int, tuple[int, int]]:
    """Stage id -> (v3 reached, v1 reached) for the stages where the two versions disagree.

    They disagree exactly where the v3 history is richer than v1's order rule: a stage the
    application skipped (ordered before its current stage, never entered) counts as reached in
    v1 only, and a stage entered but ordered after the current stage (moved back) in v3 only.
    """
    v3 = {r["stage_id"]: r["applications_reached"] for r in applications_by_stage(org, "v3")}
    v1 = {r["stage_id"]: r["applications_reached"] for r in applications_by_stage(org, "v1")}
    return {s: (v3[s], v1[s]) for s in v3 if v3[s] != v1[s]}


def history_vs_order(org: RecordSource) -> dict[int, tuple[int, int]]:
    """Stage id -> (skipped, entered_beyond) from the v3 history of candidate applications.

    skipped: applications whose current stage is ordered at or after the stage but which never
    entered it (v1's order rule counts them as reached, v3's history does not);
    entered_beyond: applications that entered the stage although it is ordered after their
    current stage (moved back; v3 counts them, v1 does not). When the history has a row per
    application and job stage, as Greenhouse's does, v1 reached = v3 reached + skipped -
    entered_beyond for every stage.
    """
    stages = _by_id(org, "job_interview_stages")
    apps = {a["id"]: a for a in org.records("applications") if not a["prospect"]}
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for row in org.records("application_stages"):
        app = apps.get(row["application_id"])
        if app is None or app["stage_id"] is None:
            continue
        stage = stages[row["job_interview_stage_id"]]
        before_current = stage["sort_order"] <= stages[app["stage_id"]]["sort_order"]
        if before_current and row["entered_at"] is None:
            out[stage["id"]][0] += 1
        elif not before_current and row["entered_at"] is not None:
            out[stage["id"]][1] += 1
    return {stage_id: (skipped, beyond) for stage_id, (skipped, beyond) in out.items()}
