"""The report's figures, computed straight from the organisation's records.

The independent side of tests/transform/test_report.py: plain Python over
`Organisation.records(...)`, sharing no code or SQL with the report or the dbt project. The
definitions the page states, for the headline figures of one quarter (`headline`):

- hires: applications with status hired whose current offer (highest version, then highest id)
  is accepted, counted in the quarter of the offer's resolution (UTC date).
- offers extended: current offers not deprecated, dated by `sent_on`, else the UTC date of
  `created_at`; accepted = those of them with status accepted; rate = accepted / extended.
- days to offer: calendar days from the application's creation to its current offer's
  resolution, for offers accepted or rejected, resolved in the quarter; the median.
- time to fill: calendar days from an opening's `opened_at` to the resolution of the accepted
  current offer of the application that filled it (closed openings naming an application),
  counted in the quarter of that acceptance; the median.
- open jobs / openings: opened on or before the quarter's last day and not closed by then.
- qualified candidates per opening: candidate applications created in the quarter whose furthest
  stage entered (v3: application_stages with entered_at set; v1: the current stage) is ordered
  after the first stage of their job, divided by the openings open at any time in the quarter
  (opened on or before its last day, not closed before its first).

and for the funnel (`funnel`, v3): candidate applications (prospects left out); an application
reached every stage of its job whose order is at most the order of the furthest stage it entered
(application_stages with entered_at set); the jobs with the most such applications.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from statistics import median
from typing import Any, Protocol

Row = dict[str, Any]


class RecordSource(Protocol):
    def records(self, entity: str) -> Iterable[Row]: ...


def _utc_date(value: str | None) -> date | None:
    if value is None:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC).date()


def quarter_bounds(label: str) -> tuple[date, date]:
    """`2026Q3` -> (first day, last day)."""
    year, number = int(label[:4]), int(label[-1])
    first = date(year, 3 * number - 2, 1)
    following = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
    return first, following - timedelta(days=1)


NO_DEPARTMENT = "(no department)"


class InDepartment:
    """The organisation's records of the jobs of one department (by name; a job without one,
    or whose department is unknown, is in NO_DEPARTMENT): jobs, their applications, offers and
    openings; every other entity as it is."""

    def __init__(self, org: RecordSource, name: str):
        self._org = org
        names = {d["id"]: d["name"] for d in org.records("departments")}
        self.jobs = {
            job["id"] for job in org.records("jobs")
            if names.get(job["department_id"], NO_DEPARTMENT) == name
        }  # fmt: skip

    def records(self, entity: str) -> Iterable[Row]:
        rows = self._org.records(entity)
        if entity == "jobs":
            return [r for r in rows if r["id"] in self.jobs]
        if entity in ("applications", "offers", "openings"):
            return [r for r in rows if r["job_id"] in self.jobs]
        return rows


def departments(org: RecordSource) -> list[str]:
    names = {d["id"]: d["name"] for d in org.records("departments")}
    return sorted({names.get(j["department_id"], NO_DEPARTMENT) for j in org.records("jobs")})


def headline(org: RecordSource, label: str, version: str = "v3") -> Row:
    first, last = quarter_bounds(label)

    def inside(day: date | None) -> bool:
        return day is not None and first <= day <= last

    def open_on_last_day(record: Row) -> bool:
        opened, closed = _utc_date(record["opened_at"]), _utc_date(record["closed_at"])
        return opened is not None and opened <= last and (closed is None or closed > last)

    applications = {a["id"]: a for a in org.records("applications")}
    current: dict[int, Row] = {}
    for offer in org.records("offers"):
        best = current.get(offer["application_id"])
        if best is None or (offer["version"], offer["id"]) > (best["version"], best["id"]):
            current[offer["application_id"]] = offer

    hires, extended, accepted, to_offer = 0, 0, 0, []
    for application_id, offer in current.items():
        status = offer["status"].lower()
        if status == "deprecated":
            continue
        resolved = _utc_date(offer["resolved_at"])
        app = applications.get(application_id)
        if status == "accepted" and app is not None and app["status"] == "hired":
            hires += inside(resolved)
        sent = date.fromisoformat(offer["sent_on"][:10]) if offer["sent_on"] else None
        if inside(sent or _utc_date(offer["created_at"])):
            extended += 1
            accepted += status == "accepted"
        if status in ("accepted", "rejected") and app is not None and inside(resolved):
            applied = _utc_date(app["created_at"])
            assert applied is not None and resolved is not None
            to_offer.append((resolved - applied).days)

    to_fill = []
    openings = list(org.records("openings"))
    for opening in openings:
        if opening["closed_at"] is None or opening["application_id"] is None:
            continue
        filled_by = current.get(opening["application_id"])
        if filled_by is None or filled_by["status"].lower() != "accepted":
            continue
        accepted_on, opened = _utc_date(filled_by["resolved_at"]), _utc_date(opening["opened_at"])
        if inside(accepted_on) and opened is not None:
            assert accepted_on is not None
            to_fill.append((accepted_on - opened).days)

    qualified = _qualified(org, version, inside)
    open_during = sum(
        1
        for o in openings
        if (opened := _utc_date(o["opened_at"])) is not None and opened <= last
        and ((closed := _utc_date(o["closed_at"])) is None or closed >= first)
    )  # fmt: skip
    return {
        "qualified": qualified,
        "openings_in_quarter": open_during,
        "qualified_per_opening": qualified / open_during if open_during else None,
        "hires": hires,
        "offers_extended": extended,
        "offers_accepted": accepted,
        "acceptance_rate": accepted / extended if extended else None,
        "offers_resolved": len(to_offer),
        "median_days_to_offer": float(median(to_offer)) if to_offer else None,
        "openings_filled": len(to_fill),
        "median_time_to_fill": float(median(to_fill)) if to_fill else None,
        "open_jobs": sum(1 for job in org.records("jobs") if open_on_last_day(job)),
        "open_openings": sum(1 for o in openings if open_on_last_day(o)),
    }


def _qualified(org: RecordSource, version: str, inside: Any) -> int:
    """Candidate applications created in the quarter that went past their job's first stage."""
    stages = {s["id"]: s for s in org.records("job_interview_stages")}
    first_order: dict[int, int] = {}
    for each in stages.values():
        job = each["job_id"]
        first_order[job] = min(first_order.get(job, each["sort_order"]), each["sort_order"])
    candidates = {a["id"]: a for a in org.records("applications") if not a["prospect"]}
    furthest: dict[int, int] = {}
    if version == "v3":
        for visit in org.records("application_stages"):
            stage = stages.get(visit["job_interview_stage_id"])
            if visit["entered_at"] is not None and stage is not None:
                app_id = visit["application_id"]
                furthest[app_id] = max(furthest.get(app_id, -1), stage["sort_order"])
    else:
        for app in candidates.values():
            if app["stage_id"] in stages:
                furthest[app["id"]] = stages[app["stage_id"]]["sort_order"]
    return sum(
        1
        for app in candidates.values()
        if inside(_utc_date(app["created_at"]))
        and app["id"] in furthest and app["job_id"] in first_order
        and furthest[app["id"]] > first_order[app["job_id"]]
    )  # fmt: skip


def funnel(org: RecordSource, jobs: int = 4) -> list[Row]:
    """The busiest jobs: name, applications, and (stage name, reached) in stage order."""
    candidates = {a["id"]: a for a in org.records("applications") if not a["prospect"]}
    stages = {s["id"]: s for s in org.records("job_interview_stages")}
    furthest: dict[int, int] = {}
    for visit in org.records("application_stages"):
        stage = stages.get(visit["job_interview_stage_id"])
        app = candidates.get(visit["application_id"])
        if visit["entered_at"] is None or stage is None or app is None:
            continue
        furthest[app["id"]] = max(furthest.get(app["id"], -1), stage["sort_order"])
    per_job: dict[int, list[int]] = {}
    for application_id, order in furthest.items():
        per_job.setdefault(candidates[application_id]["job_id"], []).append(order)
    names = {j["id"]: j["name"] for j in org.records("jobs")}
    busiest = sorted(per_job, key=lambda job_id: (-len(per_job[job_id]), job_id))[:jobs]
    result = []
    for job_id in busiest:
        own = sorted(
            (s for s in stages.values() if s["job_id"] == job_id),
            key=lambda s: (s["sort_order"], s["id"]),
        )
        result.append(
            {
                "job_id": job_id,
                "job_name": names[job_id],
                "applications": len(per_job[job_id]),
                "stages": [
                    (s["name"], sum(1 for top in per_job[job_id] if top >= s["sort_order"]))
                    for s in own
                ],
            }
        )
    return result
