"""The interview mart figures, computed straight from the organisation's canonical records.

The independent side of `tests/transform/test_interview_marts.py`: plain Python over
`Organisation.records(...)`, sharing nothing with the dbt project, implementing the
definitions of docs/transform.md:

- `interviews(org)`: one row per interview and panel member with a Greenhouse user, keyed
  `<interview_id>-<user_id>`. The stage is the one of the interview plan slot
  (`job_interviews`); the scorecard the panel row's `scorecard_id`, submitted when
  `submitted_at` is set; minutes count minute boundaries crossed (as `dbt.datediff`);
  `hours_to_scorecard` = minutes / 60 rounded half-up to 4 decimals; the recommendation in
  lower case with `strong_no` called `definitely_not`; the interviewer is a hiring manager when
  `job_hiring_managers` pairs them with the job; the candidate advanced when the application
  was hired or its current stage has a higher order than the interview's stage.
- `interviewer_activity(org)`: per interviewer and ISO week (Monday) of the interview start,
  cancelled (skipped) interviews left out.
- `scorecard_recommendations(org)`: per interviewer and stage, over submitted scorecards.

v1 renders the same interviews, panels, scorecards, plan slots and hiring managers, so the
figures are the same for both versions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

Row = dict[str, Any]
RATE = Decimal("0.0001")
RECOMMENDATIONS = ("definitely_not", "no", "yes", "strong_yes", "no_decision")


class RecordSource(Protocol):
    def records(self, entity: str) -> Iterable[Row]: ...


def _timestamp(value: str | None) -> datetime | None:
    """An ISO-8601 UTC timestamp as the naive UTC datetime the warehouse returns."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.astimezone(UTC).replace(tzinfo=None)


def _minutes_between(start: datetime | None, end: datetime | None) -> int | None:
    """Minute boundaries crossed from start to end."""
    if start is None or end is None:
        return None
    return (end.replace(second=0, microsecond=0) - start.replace(second=0, microsecond=0)) // (
        timedelta(minutes=1)
    )


def _hours(minutes: int | None) -> Decimal | None:
    if minutes is None:
        return None
    return (Decimal(minutes) / 60).quantize(RATE, rounding=ROUND_HALF_UP)


def _ratio(numerator: int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE, rounding=ROUND_HALF_UP)


def _median(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _by_id(org: RecordSource, entity: str) -> dict[int, Row]:
    return {record["id"]: record for record in org.records(entity)}


def _advanced(application: Row | None, current: Row | None, stage: Row | None) -> bool | None:
    """Hired, or moved past the interview's stage; unknown (None) where the application or
    either stage's order was not read (SQL's three-valued ``or``)."""
    if application is None:
        return None
    if application["status"] == "hired":
        return True
    if current is None or stage is None:
        return None
    return bool(current["sort_order"] > stage["sort_order"])


def interviews(org: RecordSource) -> list[Row]:
    """Expected `greenhouse_marts.interviews` rows, ordered by key."""
    applications = _by_id(org, "applications")
    jobs = _by_id(org, "jobs")
    stages = _by_id(org, "job_interview_stages")
    slots = _by_id(org, "job_interviews")
    users = _by_id(org, "users")
    scorecards = _by_id(org, "scorecards")
    interviews_by_id = _by_id(org, "interviews")
    managers = {(m["job_id"], m["user_id"]) for m in org.records("job_hiring_managers")}
    rows = []
    for member in org.records("interviewers"):
        user_id = member["user_id"]
        if user_id is None:
            continue
        # A panel member is a fact of its interview: none without it. What it points to
        # beyond that (application, plan slot, stage, job, user) may not have been read (an
        # endpoint with no rows, forbidden or not selected): those columns are then null.
        interview = interviews_by_id.get(member["interview_id"])
        if interview is None:
            continue
        application = applications.get(interview["application_id"])
        slot = slots.get(interview["job_interview_id"])
        stage_id = slot["job_interview_stage_id"] if slot else None
        stage = stages.get(stage_id) if stage_id is not None else None
        current = (
            stages.get(application["stage_id"]) if application and application["stage_id"] else None
        )
        card = scorecards.get(member["scorecard_id"]) if member["scorecard_id"] else None
        submitted = _timestamp(card["submitted_at"]) if card else None
        rating = card["candidate_rating"] if card and submitted else None
        starts, ends = _timestamp(interview["starts_at"]), _timestamp(interview["ends_at"])
        minutes = _minutes_between(ends, submitted)
        rows.append(
            {
                "interview_interviewer_id": f"{interview['id']}-{user_id}",
                "interview_id": interview["id"],
                "application_id": interview["application_id"],
                "candidate_id": application["candidate_id"] if application else None,
                "job_id": interview["job_id"],
                "stage_id": stage_id,
                "interviewer_user_id": user_id,
                "scorecard_id": member["scorecard_id"],
                "job_name": jobs.get(interview["job_id"], {}).get("name"),
                "stage_name": stage["name"] if stage else None,
                "interviewer_name": users.get(user_id, {}).get("name"),
                "interview_status": interview["status"],
                "overall_recommendation": "definitely_not" if rating == "strong_no" else rating,
                "application_status": application["status"] if application else None,
                "stage_order": stage["sort_order"] if stage else None,
                "duration_minutes": _minutes_between(starts, ends),
                "hours_to_scorecard": _hours(minutes),
                "is_interviewer_hiring_manager": (interview["job_id"], user_id) in managers,
                "has_candidate_advanced": _advanced(application, current, stage),
                "starts_at": starts,
                "ends_at": ends,
                "scorecard_submitted_at": submitted,
            }
        )
    return sorted(rows, key=lambda r: r["interview_interviewer_id"])


def _monday(moment: datetime) -> date:
    day = moment.date()
    return day - timedelta(days=day.weekday())


def interviewer_activity(org: RecordSource) -> list[Row]:
    """Expected `greenhouse_marts.interviewer_activity` rows."""
    groups: dict[tuple[int, date], list[Row]] = defaultdict(list)
    for row in interviews(org):
        if row["interview_status"] == "skipped" or row["starts_at"] is None:
            continue
        groups[(row["interviewer_user_id"], _monday(row["starts_at"]))].append(row)
    out = []
    for (user_id, week), rows in sorted(groups.items()):
        hours = [r["hours_to_scorecard"] for r in rows if r["scorecard_submitted_at"]]
        within = sum(1 for h in hours if h <= 24)
        out.append(
            {
                "interviewer_user_id": user_id,
                "interviewer_name": rows[0]["interviewer_name"],
                "interviews_scheduled": len(rows),
                "interview_hours": _hours(sum(r["duration_minutes"] for r in rows)),
                "scorecards_submitted": len(hours),
                "scorecards_within_24h": within,
                "within_24h_share": _ratio(within, len(hours)),
                "median_hours_to_scorecard": _median(hours),
                "week_start_date": week,
            }
        )
    return out


def scorecard_recommendations(org: RecordSource) -> list[Row]:
    """Expected `greenhouse_marts.scorecard_recommendations` rows."""
    groups: dict[tuple[int, int], list[Row]] = defaultdict(list)
    for row in interviews(org):
        if row["scorecard_submitted_at"] is not None:
            groups[(row["interviewer_user_id"], row["stage_id"])].append(row)
    out = []
    # a stage not read (no plan slot or stage rows) is a group of its own, last
    for (user_id, stage_id), rows in sorted(
        groups.items(), key=lambda kv: (kv[0][0], kv[0][1] is None, kv[0][1] or 0)
    ):

        def share(outcome: str | None, rows: list[Row] = rows) -> Decimal | None:
            mine = [r for r in rows if outcome is None or r["application_status"] == outcome]
            decided = [r for r in mine if r["overall_recommendation"] not in (None, "no_decision")]
            positive = [r for r in decided if r["overall_recommendation"] in ("yes", "strong_yes")]
            return _ratio(len(positive), len(decided))

        first = rows[0]
        counts = {value: 0 for value in RECOMMENDATIONS}
        for r in rows:
            counts[r["overall_recommendation"]] += 1
        out.append(
            {
                "interviewer_user_id": user_id,
                "stage_id": stage_id,
                "job_id": first["job_id"] if stage_id is not None else None,
                "interviewer_name": first["interviewer_name"],
                "job_name": first["job_name"] if stage_id is not None else None,
                "stage_name": first["stage_name"],
                "stage_order": first["stage_order"],
                "scorecards_submitted": len(rows),
                **{f"recommended_{value}": counts[value] for value in RECOMMENDATIONS},
                "positive_share": share(None),
                "positive_share_hired": share("hired"),
                "positive_share_rejected": share("rejected"),
            }
        )
    return out
