"""Stage pass-through, computed straight from the organisation's canonical records.

The independent side of the `stage_pass_through` mart: plain Python over
`Organisation.records(...)`, sharing no code or SQL with the dbt project. Per job interview
stage, over candidate applications (prospects left out):

- implied (Greenhouse's default, skipped stages count as passed): an application reached every
  stage of its job ordered at or before the furthest stage it entered (v3: application_stages
  with entered_at set; v1: its current stage); it passed a stage when it reached a later one or
  was hired.
- actual (v3 only; None in v1): applications that entered the stage; of them, those that exited
  it (exited_at set, or rejected / hired with it as their current stage); of those, the ones
  that moved on (entered a later stage of the job, or were hired).
- completed (Ashby's cohort): the implied counts over hired or rejected applications only.

Rates are rounded half-up to 4 decimals, None for a zero denominator.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

Row = dict[str, Any]
RATE = Decimal("0.0001")


class RecordSource(Protocol):
    def records(self, entity: str) -> Iterable[Row]: ...


def _rate(numerator: int | None, denominator: int | None) -> Decimal | None:
    if numerator is None or not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE, rounding=ROUND_HALF_UP)


def stage_pass_through(org: RecordSource, version: str = "v3") -> list[Row]:
    stages = {s["id"]: s for s in org.records("job_interview_stages")}
    jobs = {j["id"]: j for j in org.records("jobs")}
    candidates = {a["id"]: a for a in org.records("applications") if not a["prospect"]}

    # application id -> {stage id: exited_at} of the stages it entered
    entered: dict[int, dict[int, str | None]] = defaultdict(dict)
    if version == "v3":
        for visit in org.records("application_stages"):
            stage_id = visit["job_interview_stage_id"]
            if visit["entered_at"] is None or stage_id not in stages:
                continue
            if visit["application_id"] in candidates:
                entered[visit["application_id"]][stage_id] = visit["exited_at"]
    else:
        for app in candidates.values():
            if app["stage_id"] in stages:
                entered[app["id"]][app["stage_id"]] = None
    furthest = {
        app_id: max(stages[s]["sort_order"] for s in visits) for app_id, visits in entered.items()
    }

    stages_of_job: dict[int, list[Row]] = defaultdict(list)
    for stage in stages.values():
        stages_of_job[stage["job_id"]].append(stage)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for app_id, top in furthest.items():
        app = candidates[app_id]
        job_id = stages[next(iter(entered[app_id]))]["job_id"]
        status = app["status"]
        completed = status in ("hired", "rejected")
        for stage in stages_of_job[job_id]:
            if stage["sort_order"] > top:
                continue
            passed = top > stage["sort_order"] or status == "hired"
            c = counts[stage["id"]]
            c["reached"] += 1
            c["passed"] += passed
            c["completed_reached"] += completed
            c["completed_passed"] += completed and passed
        if version != "v3":
            continue
        for stage_id, exited_at in entered[app_id].items():
            c = counts[stage_id]
            exited = exited_at is not None or (
                status in ("hired", "rejected") and app["stage_id"] == stage_id
            )
            moved_on = top > stages[stage_id]["sort_order"] or status == "hired"
            c["entered"] += 1
            c["exited"] += exited
            c["moved_on"] += exited and moved_on

    rows = []
    for stage in sorted(stages.values(), key=lambda s: (s["job_id"], s["sort_order"], s["id"])):
        c = counts[stage["id"]]
        actual = {
            key: (c[key] if version == "v3" else None) for key in ("entered", "exited", "moved_on")
        }
        rows.append(
            {
                "job_id": stage["job_id"],
                "stage_id": stage["id"],
                "job_name": jobs.get(stage["job_id"], {}).get("name"),
                "stage_name": stage["name"],
                "stage_order": stage["sort_order"],
                "applications_reached": c["reached"],
                "applications_passed": c["passed"],
                "applications_entered": actual["entered"],
                "applications_exited": actual["exited"],
                "applications_moved_on": actual["moved_on"],
                "completed_reached": c["completed_reached"],
                "completed_passed": c["completed_passed"],
                "implied_pass_through_rate": _rate(c["passed"], c["reached"]),
                "actual_pass_through_rate": _rate(actual["moved_on"], actual["exited"]),
                "completed_pass_through_rate": _rate(c["completed_passed"], c["completed_reached"]),
            }
        )
    return rows
