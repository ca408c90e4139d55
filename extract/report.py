"""``elt report``: one self-contained HTML page of charts built from the marts of DEST.

Plotly draws the charts; its JavaScript is inlined once, so the file opens offline (no CDN). The
page reads the warehouse through dlt's SQL client of the resolved destination (the same place the
pipeline wrote), so it works for every DEST with a SQL client.
"""

from __future__ import annotations

import html
import re
import statistics
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from extract.destinations import DestinationPlan, sql_client
from extract.errors import ConfigError
from extract.redact import redact

BUSIEST_JOBS = 4
TOP_INTERVIEWERS = 10
# a rate over fewer cases than this is shown greyed, with its counts
SMALL = 10


class Warehouse:
    """Queries against the destination, rows as dicts."""

    def __init__(self, client: Any, marts: str, raw: str) -> None:
        self.client = client
        self.marts = marts
        self.raw = raw

    def rows(self, sql: str) -> list[dict[str, Any]]:
        with self.client.execute_query(sql) as cursor:
            columns = [d[0] for d in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def tables(self, schema: str) -> set[str]:
        found = self.rows(
            "select table_name from information_schema.tables"
            f" where lower(table_schema) = '{schema.lower()}'"
        )
        return {str(r["table_name"]).lower() for r in found}


@contextmanager
def open_warehouse(plan: DestinationPlan, marts: str, raw: str) -> Iterator[Warehouse]:
    with sql_client(plan, raw) as client:
        yield Warehouse(client, marts, raw)


def _figure_html(figure: go.Figure, first: bool) -> str:
    figure.update_layout(template="plotly_white", margin={"l": 60, "r": 30, "t": 60, "b": 60})
    return str(figure.to_html(full_html=False, include_plotlyjs=first, config={"responsive": True}))


def _labelled(name: Any, account: Any = None, accounts: set[Any] | None = None) -> str:
    """Every name a chart shows (job, stage, person, source), escaped: Plotly renders labels as
    HTML, so a name from the account must not become markup or a link. With its account when the
    marts hold several accounts."""
    text = f"{name} ({account})" if accounts and len(accounts) > 1 else str(name)
    return html.escape(text, quote=False)  # no tag can start: quotes stay as typed


def _together(db: Warehouse, mart: str) -> str:
    """A chart title's note for a mart that holds several accounts, added up in the chart."""
    rows = db.rows(f"select count(distinct source_relation) as n from {db.marts}.{mart}")
    count = int(rows[0]["n"] or 0) if rows else 0
    return f" - {count} accounts together" if count > 1 else ""


@dataclass(frozen=True)
class Quarter:
    """A calendar quarter: [start, end)."""

    year: int
    number: int

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        following = self.next()
        return date(following.year, 3 * following.number - 2, 1)

    def next(self) -> Quarter:
        if self.number == 4:
            return Quarter(self.year + 1, 1)
        return Quarter(self.year, self.number + 1)

    def previous(self) -> Quarter:
        if self.number == 1:
            return Quarter(self.year - 1, 4)
        return Quarter(self.year, self.number - 1)

    @classmethod
    def containing(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)


def last_complete_quarter(today: date) -> Quarter:
    return Quarter.containing(today).previous()


def parse_quarter(text: str) -> Quarter:
    """``2026Q3`` (or ``2026-Q3``) -> Quarter; a ConfigError naming the expected form."""
    found = re.fullmatch(r"\s*(\d{4})-?[Qq]([1-4])\s*", text)
    if not found:
        raise ConfigError(
            f"quarter {text!r} is not of the form YYYYQn (e.g. 2026Q3): fix --quarter"
            " (ELT_REPORT_QUARTER)"
        )
    return Quarter(int(found[1]), int(found[2]))


def _day(value: Any) -> date:
    """The calendar date of a mart timestamp (UTC) or date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _in(value: Any, quarter: Quarter) -> bool:
    return value is not None and quarter.start <= _day(value) < quarter.end


def _median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


# what each headline figure counts, as the page says it
DEFINITIONS = {
    "hires": "Applications hired whose current offer was accepted in the quarter (counted on"
    " the acceptance date).",
    "offers_extended": "Current offers (latest version, not deprecated) extended in the quarter:"
    " dated by the day sent, else the day created.",
    "acceptance_rate": "Offers accepted / offers extended, both counted in the quarter the"
    " offer was extended (a late acceptance restates that quarter; pending offers count as"
    " not accepted) - GitLab's and Greenhouse's offer acceptance rate.",
    "median_days_to_offer": "Median calendar days from application to the offer being accepted"
    " or rejected, over offers resolved in the quarter - Greenhouse's days to offer.",
    "median_time_to_fill": "Median calendar days from an opening being opened to the offer"
    " accepted by the hire who filled it, over openings filled in the quarter (by acceptance"
    " date) - SHRM/APQC's time to fill, from openings.",
    "open_jobs": "Jobs open on the quarter's last day (opened on or before it, not closed by"
    " then).",
    "open_openings": "Openings open on the quarter's last day (first opened on or before it, not"
    " closed by then).",
    "qualified_per_opening": "Candidate applications made in the quarter that reached the first"
    " interview stage (any stage after their job's first, Application Review; a skipped stage"
    " counts as reached), per opening open at any time in the quarter - Greenhouse's qualified"
    " candidates per opening.",
}


def headline_figures(
    db: Warehouse, quarters: Sequence[Quarter], by_department: bool = False
) -> dict[str, dict[str, Any]]:
    """The headline figures per quarter label, computed from the marts' rows; with
    `by_department`, per department name (of the job) for the one quarter given."""
    first = min(q.start for q in quarters)
    since = f"cast('{first.isoformat()}' as timestamp)"
    offers = db.rows(
        "select o.source_relation, o.job_id, o.status, o.sent_date, o.created_at, o.resolved_at,"
        f" a.applied_at, a.status as application_status from {db.marts}.offers as o"
        f" left join {db.marts}.applications as a on a.source_relation = o.source_relation"
        " and a.application_id = o.application_id"
        f" where o.status <> 'deprecated' and (o.created_at >= {since}"
        f" or o.resolved_at >= {since} or o.sent_date >= cast('{first.isoformat()}' as date))"
    )
    openings = (
        []
        if "openings" not in db.tables(db.marts)
        else db.rows(
            "select p.source_relation, p.job_id, p.opened_at, p.closed_at, p.is_filled,"
            " o.resolved_at as accepted_at"
            f" from {db.marts}.openings as p left join {db.marts}.offers as o"
            " on o.source_relation = p.source_relation"
            " and o.application_id = p.filled_by_application_id and o.status = 'accepted'"
        )
    )
    jobs = db.rows(
        "select source_relation, job_id, department_name, opened_at, closed_at"
        f" from {db.marts}.jobs"
    )
    applied = _qualified_applications(db, first)
    if not by_department:
        return {q.label: _figures(offers, openings, jobs, applied, q) for q in quarters}
    (quarter,) = quarters
    department = {
        (j["source_relation"], j["job_id"]): j["department_name"] or NO_DEPARTMENT for j in jobs
    }

    def of(rows: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
        return [r for r in rows if department.get((r["source_relation"], r["job_id"])) == name]

    return {
        name: {
            **_figures(
                of(offers, name), of(openings, name), of(jobs, name), of(applied, name), quarter
            ),
            "openings_loaded": bool(openings),
        }  # fmt: skip
        for name in sorted(set(department.values()))
    }


NO_DEPARTMENT = "(no department)"


def _figures(
    offers: list[dict[str, Any]],
    openings: list[dict[str, Any]],
    jobs: list[dict[str, Any]],
    applied: list[dict[str, Any]],
    quarter: Quarter,
) -> dict[str, Any]:
    """The headline figures of one quarter over the given rows."""
    extended = [
        o for o in offers
        if _in(o["sent_date"] if o["sent_date"] is not None else o["created_at"], quarter)
    ]  # fmt: skip
    accepted = sum(1 for o in extended if o["status"] == "accepted")
    resolved = [
        (_day(o["resolved_at"]) - _day(o["applied_at"])).days
        for o in offers
        if o["status"] in ("accepted", "rejected") and o["applied_at"] is not None
        and _in(o["resolved_at"], quarter)
    ]  # fmt: skip
    filled = [
        (_day(p["accepted_at"]) - _day(p["opened_at"])).days
        for p in openings
        if p["is_filled"] and p["opened_at"] is not None and _in(p["accepted_at"], quarter)
    ]  # fmt: skip
    last_day = quarter.end.toordinal() - 1

    def open_on(row: dict[str, Any], day: int = last_day) -> bool:
        opened, closed = row["opened_at"], row["closed_at"]
        return (
            opened is not None and _day(opened).toordinal() <= day
            and (closed is None or _day(closed).toordinal() > day)
        )  # fmt: skip

    return {
        "hires": sum(
            1
            for o in offers
            if o["status"] == "accepted"
            and o["application_status"] == "hired"
            and _in(o["resolved_at"], quarter)
        ),  # fmt: skip
        "offers_extended": len(extended),
        "offers_accepted": accepted,
        "acceptance_rate": accepted / len(extended) if extended else None,
        "offers_resolved": len(resolved),
        "median_days_to_offer": _median(resolved),
        "openings_filled": len(filled),
        "median_time_to_fill": _median(filled),
        "open_jobs": sum(1 for j in jobs if open_on(j)),
        "open_openings": sum(1 for p in openings if open_on(p)) if openings else None,
        "openings_loaded": bool(openings),
        **_qualified(applied, openings, quarter),
    }


def _qualified_applications(db: Warehouse, since: date) -> list[dict[str, Any]]:
    """(applied_at, reached the first interview stage) of the candidate applications made since
    `since`: the furthest stage entered (v1: the current stage) is after the job's first."""
    return db.rows(
        "select a.source_relation, a.job_id, a.applied_at,"
        " case when f.furthest > j.first_order then 1 else 0 end"
        f" as qualified from {db.marts}.applications as a"
        " left join (select source_relation, application_id, max(stage_order) as furthest"
        f" from {db.marts}.application_stage_history where stage_order is not null"
        " group by source_relation, application_id) as f"
        " on f.source_relation = a.source_relation and f.application_id = a.application_id"
        " left join (select source_relation, job_id, min(stage_order) as first_order"
        f" from {db.marts}.applications_by_stage group by source_relation, job_id) as j"
        " on j.source_relation = a.source_relation and j.job_id = a.job_id"
        f" where not a.is_prospect and a.applied_at >= cast('{since.isoformat()}' as timestamp)"
    )


def _qualified(
    applied: list[dict[str, Any]], openings: list[dict[str, Any]], quarter: Quarter
) -> dict[str, Any]:
    qualified = sum(1 for a in applied if a["qualified"] and _in(a["applied_at"], quarter))
    open_during = sum(
        1
        for p in openings
        if p["opened_at"] is not None and _day(p["opened_at"]) < quarter.end
        and (p["closed_at"] is None or _day(p["closed_at"]) >= quarter.start)
    )  # fmt: skip
    return {
        "qualified": qualified,
        "openings_in_quarter": open_during,
        "qualified_per_opening": qualified / open_during if open_during else None,
    }


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _figure_text(key: str, figures: dict[str, Any]) -> str:
    value = figures[key]
    if key == "acceptance_rate":
        if value is None:
            return "no offers"
        return f"{value:.0%} ({figures['offers_accepted']} of {figures['offers_extended']})"
    if key == "median_days_to_offer":
        return "no offers resolved" if value is None else (
            f"{value:g} days ({_count(figures['offers_resolved'], 'offer')})"
        )  # fmt: skip
    if not figures["openings_loaded"] and key in (
        "median_time_to_fill",
        "open_openings",
        "qualified_per_opening",
    ):
        return "no openings loaded"
    if key == "qualified_per_opening":
        return "no openings open" if value is None else (
            f"{value:.1f} ({figures['qualified']} qualified /"
            f" {_count(figures['openings_in_quarter'], 'opening')})"
        )  # fmt: skip
    if key == "median_time_to_fill":
        return "no openings filled" if value is None else (
            f"{value:g} days ({_count(figures['openings_filled'], 'opening')})"
        )  # fmt: skip
    return str(value)


HEADLINES = (
    ("hires", "Hires"),
    ("offers_extended", "Offers extended"),
    ("acceptance_rate", "Offer acceptance rate"),
    ("median_days_to_offer", "Median days to offer"),
    ("median_time_to_fill", "Median time to fill"),
    ("open_jobs", "Open jobs (end of quarter)"),
    ("open_openings", "Open openings (end of quarter)"),
    ("qualified_per_opening", "Qualified candidates per opening"),
)


def headline_html(db: Warehouse, quarter: Quarter) -> str:
    previous = quarter.previous()
    figures = headline_figures(db, [quarter, previous])
    head = (
        f"<tr><th>figure</th><th>{quarter.label}</th><th>{previous.label} (previous)</th>"
        "<th>definition</th></tr>"
    )
    body = "".join(
        f'<tr data-figure="{key}"><th>{html.escape(title)}</th>'
        f"<td>{html.escape(_figure_text(key, figures[quarter.label]))}</td>"
        f"<td>{html.escape(_figure_text(key, figures[previous.label]))}</td>"
        f'<td class="definition">{html.escape(DEFINITIONS[key])}</td></tr>'
        for key, title in HEADLINES
    )
    last_day = date.fromordinal(quarter.end.toordinal() - 1)
    return (
        f"<h2>Headline figures, {quarter.label} ({quarter.start:%d %b} - {last_day:%d %b %Y})"
        f'</h2><table class="headline">{head}{body}</table>'
    )


DEPARTMENT_FIGURES = (
    ("hires", "Hires"),
    ("offers_extended", "Offers extended"),
    ("acceptance_rate", "Offer acceptance rate"),
    ("qualified_per_opening", "Qualified candidates per opening"),
    ("open_jobs", "Open jobs (end)"),
    ("open_openings", "Open openings (end)"),
)


def departments_html(db: Warehouse, quarter: Quarter) -> str:
    """The headline figures of the quarter per department (of the job), same definitions."""
    figures = headline_figures(db, [quarter], by_department=True)
    if len(figures) < 2:
        return ""
    head = "<tr><th>department</th>" + "".join(
        f"<th>{html.escape(title)}</th>" for _, title in DEPARTMENT_FIGURES
    )
    body = "".join(
        f'<tr data-department="{html.escape(name)}"><th>{_labelled(name)}</th>'
        + "".join(
            f"<td>{html.escape(_figure_text(key, values))}</td>" for key, _ in DEPARTMENT_FIGURES
        )
        + "</tr>"
        for name, values in figures.items()
    )
    return (
        f"<h2>By department, {quarter.label}</h2>"
        f'<table class="headline" id="departments">{head}</tr>{body}</table>'
        '<p class="note">The headline figures above, for the jobs of each department (a job'
        " belongs to its first department).</p>"
    )


FUNNEL_NOTE = (
    "A candidate may skip stages (moved straight on to a later one). An application counts as"
    " having reached every stage of its job up to the furthest stage it entered, skipped ones"
    " included (Greenhouse's implied pass-through); the percentage is reached / reached at the"
    " previous stage, so it never exceeds 100%. Candidate applications only (prospects left"
    " out); the jobs are the ones with the most applications."
)


def funnel_stages(db: Warehouse) -> list[dict[str, Any]]:
    """Per busiest job, its stages in order with the applications that reached each (implied:
    an application reached every stage up to the furthest one it entered)."""
    stages = db.rows(
        "select source_relation, job_id, job_name, stage_id, stage_order, stage_name"
        f" from {db.marts}.applications_by_stage"
        " order by source_relation, job_id, stage_order, stage_id"
    )
    furthest = db.rows(
        "select source_relation, job_id, furthest, count(*) as applications from ("
        " select source_relation, job_id, application_id, max(stage_order) as furthest"
        f" from {db.marts}.application_stage_history"
        " where not is_prospect and stage_order is not null and job_id is not null"
        " group by source_relation, job_id, application_id) as per_application"
        " group by source_relation, job_id, furthest"
    )
    reached_by_job: dict[tuple[Any, Any], list[tuple[int, int]]] = {}
    for row in furthest:
        key = (row["source_relation"], row["job_id"])
        reached_by_job.setdefault(key, []).append((int(row["furthest"]), int(row["applications"])))
    jobs: dict[tuple[Any, Any], dict[str, Any]] = {}
    for row in stages:
        key = (row["source_relation"], row["job_id"])
        job = jobs.setdefault(key, {"key": key, "job_name": row["job_name"], "stages": []})
        order = int(row["stage_order"])
        reached = sum(n for top, n in reached_by_job.get(key, []) if top >= order)
        job["stages"].append({"stage_name": row["stage_name"], "reached": reached})
    for job in jobs.values():
        job["applications"] = sum(n for _, n in reached_by_job.get(job["key"], []))
    busiest = sorted(jobs.values(), key=lambda j: (-j["applications"], j["key"]))
    return [job for job in busiest if job["applications"]][:BUSIEST_JOBS]


def funnel_chart(db: Warehouse) -> go.Figure | None:
    jobs = funnel_stages(db)
    if not jobs:
        return None
    accounts = {job["key"][0] for job in jobs}
    columns = 2 if len(jobs) > 1 else 1
    rows = (len(jobs) + columns - 1) // columns
    figure = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=[
            f"{_labelled(job['job_name'], job['key'][0], accounts)}"
            f" ({job['applications']} applications)"
            for job in jobs
        ],
        horizontal_spacing=0.22,
        vertical_spacing=0.12,
    )
    for i, job in enumerate(jobs):
        names = [_labelled(stage["stage_name"]) for stage in job["stages"]]
        counts = [stage["reached"] for stage in job["stages"]]
        labels = [
            f"{count}" if j == 0 or not counts[j - 1] else f"{count} ({count / counts[j - 1]:.0%})"
            for j, count in enumerate(counts)
        ]
        figure.add_bar(
            x=counts,
            y=names,
            orientation="h",
            text=labels,
            textposition="outside",
            cliponaxis=False,
            showlegend=False,
            marker_color="#4c78a8",
            row=i // columns + 1,
            col=i % columns + 1,
        )
        figure.update_yaxes(autorange="reversed", row=i // columns + 1, col=i % columns + 1)
        figure.update_xaxes(
            range=[0, max(counts or [1]) * 1.35],
            title_text="applications reached",
            rangemode="tozero",
            tickformat="d",
            dtick=1 if max(counts or [1]) <= 8 else None,  # no repeated whole-number ticks
            row=i // columns + 1,
            col=i % columns + 1,
        )
    figure.update_layout(
        title="Funnel per job: applications reaching each stage (label: share of the previous"
        " stage)",
        height=320 * rows + 80,
    )
    return figure


PASS_THROUGH_NOTE = (
    "Of the applications at a stage, the share that got past it, in three ways. Implied"
    " (Greenhouse's default): an application counts as having reached and passed every stage"
    " before the furthest one it entered, skipped ones included, and a hire passes the stage it"
    " was hired in. Actual (from the stage history): of the applications that left the stage -"
    " moved on, were rejected in it or hired from it - the share that moved on to a later stage"
    " or were hired; a skipped stage is not counted. Completed only (Ashby's cohort funnel):"
    " the implied rate over hired or rejected applications, so pipelines still open do not"
    " lower the late stages. Each rate is passed / counted, never above 100%; greyed when fewer"
    f" than {SMALL} applications are counted."
)


def _rate_cell(numerator: Any, denominator: Any) -> str:
    """A table cell: the rate with its counts, greyed (class small) over fewer than SMALL."""
    if numerator is None or denominator is None:
        return '<td class="none">no stage history</td>'
    n, d = int(numerator), int(denominator)
    if not d:
        return '<td class="none">-</td>'
    small = f' class="small" title="fewer than {SMALL} cases"'
    return f"<td{small if d < SMALL else ''}>{n / d:.0%} ({n} of {d})</td>"


def pass_through_html(db: Warehouse) -> str:
    """Per busiest job (the funnel's), a table of its stages by name with the three rates."""
    jobs = funnel_stages(db)
    if not jobs or "stage_pass_through" not in db.tables(db.marts):
        return ""
    rows = db.rows(
        "select source_relation, job_id, stage_name, stage_order, stage_id,"
        " applications_reached, applications_passed, applications_exited,"
        " applications_moved_on, completed_reached, completed_passed"
        f" from {db.marts}.stage_pass_through order by stage_order, stage_id"
    )
    accounts = {job["key"][0] for job in jobs}
    header = (
        "<tr><th>stage</th><th>reached</th><th>implied pass-through</th>"
        "<th>actual pass-through</th><th>completed only</th></tr>"
    )
    parts = ["<h2>Pass-through by stage</h2>"]
    for job in jobs:
        own = [r for r in rows if (r["source_relation"], r["job_id"]) == job["key"]]
        body = "".join(
            f"<tr><th>{_labelled(r['stage_name'])}</th><td>{int(r['applications_reached'])}</td>"
            + _rate_cell(r["applications_passed"], r["applications_reached"])
            + _rate_cell(r["applications_moved_on"], r["applications_exited"])
            + _rate_cell(r["completed_passed"], r["completed_reached"])
            + "</tr>"
            for r in own
        )
        parts.append(
            f"<h3>{_labelled(job['job_name'], job['key'][0], accounts)}</h3>"
            f'<table class="rates" data-job="{html.escape(str(job["key"][1]))}">'
            f"{header}{body}</table>"
        )
    parts.append(f'<p class="note">{html.escape(PASS_THROUGH_NOTE)}</p>')
    return "".join(parts)


def source_quality(db: Warehouse) -> list[dict[str, Any]]:
    """Per source (all cohorts), applications and how many reached an interview, an offer and a
    hire, busiest source first."""
    return db.rows(
        "select coalesce(source_name, '(no source)') as source, sum(applications) as applications,"
        " sum(reached_interview) as interviewed, sum(got_offer) as offered, sum(hired) as hired"
        f" from {db.marts}.source_effectiveness group by coalesce(source_name, '(no source)')"
        " order by sum(applications) desc, coalesce(source_name, '(no source)')"
    )


SOURCE_NOTE = (
    "Every application of each source since the data begins (all cohorts), candidate"
    " applications only. Reached an interview: entered a stage between the job's first"
    " (Application Review) and its last (Offer). Got an offer: any offer. Hired: status hired."
    " Each share is of the source's applications; greyed when the source has fewer than"
    f" {SMALL} applications."
)


def source_quality_html(db: Warehouse) -> str:
    rows = source_quality(db)
    if not rows:
        return ""
    header = (
        "<tr><th>source</th><th>applications</th><th>reached an interview</th>"
        "<th>got an offer</th><th>hired</th></tr>"
    )
    body = "".join(
        f"<tr><th>{_labelled(r['source'])}</th><td>{int(r['applications'])}</td>"
        + "".join(_rate_cell(r[k], r["applications"]) for k in ("interviewed", "offered", "hired"))
        + "</tr>"
        for r in rows
    )
    return (
        '<h2>Source of hire by quality</h2><table class="rates" id="source-quality">'
        f'{header}{body}</table><p class="note">{html.escape(SOURCE_NOTE)}</p>'
    )


RECOMMENDATIONS = ("strong_yes", "yes", "no", "definitely_not", "no_decision")


def calibration(db: Warehouse) -> list[dict[str, Any]]:
    """The interviewers with the most submitted scorecards: counts per recommendation and the
    median hours from the interview's end to the scorecard."""
    counts = ", ".join(f"sum(recommended_{v}) as {v}" for v in RECOMMENDATIONS)
    rows = db.rows(
        "select source_relation, interviewer_user_id, max(interviewer_name) as interviewer_name,"
        f" sum(scorecards_submitted) as scorecards, {counts}"
        f" from {db.marts}.scorecard_recommendations"
        " group by source_relation, interviewer_user_id"
        " order by sum(scorecards_submitted) desc, max(interviewer_name), interviewer_user_id"
        f" limit {TOP_INTERVIEWERS}"
    )
    if not rows:
        return []
    ids = ", ".join(str(int(r["interviewer_user_id"])) for r in rows)
    hours: dict[tuple[Any, Any], list[float]] = {}
    for h in db.rows(
        "select source_relation, interviewer_user_id, hours_to_scorecard"
        f" from {db.marts}.interviews where scorecard_submitted_at is not null"
        f" and hours_to_scorecard is not null and interviewer_user_id in ({ids})"
    ):
        key = (h["source_relation"], h["interviewer_user_id"])
        hours.setdefault(key, []).append(float(h["hours_to_scorecard"]))
    for r in rows:
        found = hours.get((r["source_relation"], r["interviewer_user_id"]), [])
        r["median_hours"] = statistics.median(found) if found else None
    return rows


CALIBRATION_NOTE = (
    f"The {TOP_INTERVIEWERS} interviewers with the most submitted scorecards (every job and"
    " stage): the count per overall recommendation, the share of yes or strong yes among"
    " scorecards with a decision, and the median hours from the interview's end to the"
    " scorecard's submission - Greenhouse's interviewer calibration. Greyed when fewer than"
    f" {SMALL} scorecards have a decision."
)


def calibration_html(db: Warehouse) -> str:
    rows = calibration(db)
    if not rows:
        return ""
    accounts = {r["source_relation"] for r in rows}
    names = [r["interviewer_name"] for r in rows]
    for r in rows:  # two users of one name: tell them apart by their Greenhouse user id
        if names.count(r["interviewer_name"]) > 1:
            r["interviewer_name"] = f"{r['interviewer_name']} (user {r['interviewer_user_id']})"
    header = (
        "<tr><th>interviewer</th><th>scorecards</th><th>strong yes</th><th>yes</th><th>no</th>"
        "<th>definitely not</th><th>no decision</th><th>positive (of decided)</th>"
        "<th>median hours to scorecard</th></tr>"
    )
    body = []
    for r in rows:
        decided = sum(int(r[v] or 0) for v in RECOMMENDATIONS if v != "no_decision")
        positive = int(r["strong_yes"] or 0) + int(r["yes"] or 0)
        median = "" if r["median_hours"] is None else f"{r['median_hours']:.1f}"
        body.append(
            f"<tr><th>{_labelled(r['interviewer_name'], r['source_relation'], accounts)}</th>"
            f"<td>{int(r['scorecards'])}</td>"
            + "".join(f"<td>{int(r[v] or 0)}</td>" for v in RECOMMENDATIONS)
            + _rate_cell(positive, decided)
            + f"<td>{median}</td></tr>"
        )
    return (
        '<h2>Interviewer calibration</h2><table class="rates" id="calibration">'
        f'{header}{"".join(body)}</table><p class="note">{html.escape(CALIBRATION_NOTE)}</p>'
    )


def _percentile(values: list[float], fraction: float) -> float:
    """The continuous percentile (linear interpolation between the nearest ranks)."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def stage_turns(db: Warehouse) -> list[dict[str, Any]]:
    """Per stage name (every job): the days of the visits that ended there (median, p75), the
    candidate applications rejected there and how many of them withdrew (they rejected us)."""
    stages: dict[str, dict[str, Any]] = {}

    def stage(name: Any, order: Any) -> dict[str, Any]:
        found = stages.setdefault(
            str(name), {"stage": str(name), "orders": [], "days": [], "rejected": 0,
                        "withdrew": 0},
        )  # fmt: skip
        found["orders"].append(int(order))
        return found

    for r in db.rows(
        "select stage_name, stage_order, days_in_stage from"
        f" {db.marts}.stage_durations where days_in_stage is not null and stage_name is not null"
    ):
        stage(r["stage_name"], r["stage_order"])["days"].append(float(r["days_in_stage"]))
    for r in db.rows(
        "select rejected_stage_name, min(rejected_stage_order) as stage_order, count(*) as n,"
        " sum(case when rejection_type = 'they_rejected_us' then 1 else 0 end) as withdrew"
        f" from {db.marts}.rejections where not is_prospect and rejected_stage_name is not null"
        " group by rejected_stage_name"
    ):
        found = stage(r["rejected_stage_name"], r["stage_order"])
        found["rejected"], found["withdrew"] = int(r["n"]), int(r["withdrew"] or 0)
    # a stage name sits at different places in different jobs: by its mean place
    return sorted(stages.values(), key=lambda s: (statistics.mean(s["orders"]), s["stage"]))


TURNS_NOTE = (
    "Every job's stages, by name. Days in stage: calendar days of the stage visits that ended"
    " (moved on, rejected or hired; none without a stage history), median and 75th percentile."
    " Withdrew: candidate applications rejected at the stage with a reason of the type 'they"
    " rejected us', of all rejected there - candidate drop-out. Greyed when fewer than"
    f" {SMALL} cases."
)


def stage_turns_html(db: Warehouse) -> str:
    if not {"stage_durations", "rejections"} <= db.tables(db.marts):
        return ""
    rows = stage_turns(db)
    if not rows:
        return ""
    header = (
        "<tr><th>stage</th><th>visits ended</th><th>median days</th><th>p75 days</th>"
        "<th>rejected here</th><th>withdrew (they rejected us)</th></tr>"
    )
    body = []
    for r in rows:
        days = r["days"]
        grey = ' class="small"' if 0 < len(days) < SMALL else ""
        spread = (
            [f"<td{grey}>{_percentile(days, q):.1f}</td>" for q in (0.5, 0.75)]
            if days
            else ['<td class="none">-</td>'] * 2
        )
        body.append(
            f"<tr><th>{_labelled(r['stage'])}</th><td>{len(days)}</td>{''.join(spread)}"
            f"<td>{r['rejected']}</td>{_rate_cell(r['withdrew'], r['rejected'])}</tr>"
        )
    return (
        '<h2>Time in stage and candidate drop-out</h2><table class="rates" id="stage-turns">'
        f'{header}{"".join(body)}</table><p class="note">{html.escape(TURNS_NOTE)}</p>'
    )


def acceptance_chart(db: Warehouse) -> go.Figure | None:
    """Offer acceptance per quarter the offers were extended: accepted / extended (the headline's
    definition), with its counts on each point; rolled up by quarter so a month of two offers
    does not swing the line between 0% and 100%."""
    months = db.rows(
        "select cohort_month, sum(offers_total) as offers, sum(offers_accepted) as accepted"
        f" from {db.marts}.offer_acceptance group by cohort_month order by cohort_month"
    )
    if not months:
        return None
    quarters: dict[Quarter, list[int]] = {}
    for m in months:
        totals = quarters.setdefault(Quarter.containing(_day(m["cohort_month"])), [0, 0])
        totals[0] += int(m["offers"] or 0)
        totals[1] += int(m["accepted"] or 0)
    ordered = sorted(quarters.items(), key=lambda item: (item[0].year, item[0].number))
    labels = [quarter.label for quarter, _ in ordered]
    figure = go.Figure()
    figure.add_bar(
        x=labels, y=[extended for _, (extended, _) in ordered], name="offers extended",
        yaxis="y2", opacity=0.35,
    )  # fmt: skip
    figure.add_scatter(
        x=labels,
        y=[accepted / extended if extended else None for _, (extended, accepted) in ordered],
        text=[f"{accepted} of {extended}" for _, (extended, accepted) in ordered],
        textposition="top center",
        mode="lines+markers+text",
        name="acceptance rate",
    )
    figure.update_layout(
        title="Offer acceptance rate by quarter extended (label: accepted of extended)"
        + _together(db, "offer_acceptance"),
        yaxis={"title": "accepted / extended", "tickformat": ".0%", "range": [0, 1.1],
               "tickvals": [0, 0.25, 0.5, 0.75, 1]},
        yaxis2={"title": "offers extended", "overlaying": "y", "side": "right",
                "showgrid": False, "tickformat": "d", "rangemode": "tozero", "tick0": 0,
                "dtick": max(1, -(-max(e for _, (e, _) in ordered) // 5))},
        xaxis={"type": "category"},
    )  # fmt: skip
    return figure


def days_to_hire_chart(db: Warehouse) -> go.Figure | None:
    rows = db.rows(
        "select source_relation, hire_month, job_name, hires, median_days_to_hire,"
        f" p75_days_to_hire from {db.marts}.hiring_velocity where hires > 0"
        " order by hire_month, job_name, source_relation"
    )
    if not rows:
        return None
    accounts = {str(r["source_relation"]) for r in rows}
    figure = go.Figure()
    figure.add_scatter(
        x=[f"{r['hire_month']:%Y-%m}" for r in rows],
        y=[float(r["median_days_to_hire"]) for r in rows],
        mode="markers",
        marker={"size": [6 + 3 * int(r["hires"]) for r in rows], "opacity": 0.6},
        hovertext=[
            f"{_labelled(str(r['job_name']), r['source_relation'], accounts)}:"
            f" {_labelled(r['hires'])} hires, p75 {_labelled(r['p75_days_to_hire'])}"
            for r in rows
        ],
        name="job and month",
    )
    figure.update_layout(
        title="Median days to hire per job and month of hire (size: hires)",
        yaxis_title="days from applied to hired",
    )
    return figure


def source_chart(db: Warehouse) -> go.Figure | None:
    rows = db.rows(
        "select coalesce(source_name, '(no source)') as source, sum(applications) as applications,"
        f" sum(hired) as hired from {db.marts}.source_effectiveness"
        " group by coalesce(source_name, '(no source)') order by applications desc"
    )
    if not rows:
        return None
    names = [_labelled(r["source"]) for r in rows]
    figure = go.Figure()
    figure.add_bar(x=names, y=[int(r["applications"]) for r in rows], name="applications")
    figure.add_bar(
        x=names,
        y=[int(r["hired"] or 0) for r in rows],
        name="hired",
        text=[
            f"{int(r['hired'] or 0) / int(r['applications']):.0%}" if r["applications"] else ""
            for r in rows
        ],
        textposition="outside",
    )
    figure.update_layout(
        title="Source effectiveness: applications and hires per source (label: hire rate)"
        + _together(db, "source_effectiveness"),
        barmode="group",
        yaxis={"tickformat": "d", "rangemode": "tozero", "title": "applications"},
    )
    return figure


def interviewer_chart(db: Warehouse) -> go.Figure | None:
    rows = db.rows(
        "select source_relation, interviewer_name, sum(interviews_scheduled) as interviews,"
        " sum(scorecards_submitted) as scorecards, sum(scorecards_within_24h) as within_24h"
        f" from {db.marts}.interviewer_activity group by source_relation, interviewer_name"
        " order by interviews desc, interviewer_name, source_relation"
        f" limit {TOP_INTERVIEWERS}"
    )
    if not rows:
        return None
    accounts = {str(r["source_relation"]) for r in rows}
    names = [_labelled(str(r["interviewer_name"]), r["source_relation"], accounts) for r in rows]
    figure = go.Figure()
    figure.add_bar(x=names, y=[int(r["interviews"] or 0) for r in rows], name="interviews")
    figure.add_bar(
        x=names, y=[int(r["within_24h"] or 0) for r in rows], name="scorecards within 24 h"
    )
    figure.update_layout(
        title=f"Interviewer load: the {TOP_INTERVIEWERS} busiest interviewers' interviews and"
        " timely scorecards",
        barmode="group",
        yaxis={"tickformat": "d", "rangemode": "tozero"},
    )
    return figure


def raw_rows_chart(db: Warehouse) -> go.Figure | None:
    tables = sorted(t for t in db.tables(db.raw) if not t.startswith("_dlt"))
    if not tables:
        return None
    counts = db.rows(
        " union all ".join(f"select '{t}' as t, count(*) as n from {db.raw}.{t}" for t in tables)
    )
    counts.sort(key=lambda r: int(r["n"]))
    figure = go.Figure(
        go.Bar(
            x=[int(r["n"]) for r in counts], y=[_labelled(r["t"]) for r in counts], orientation="h"
        )
    )
    figure.update_layout(
        title=f"Rows per raw table ({db.raw})", height=max(400, 22 * len(counts)),
        xaxis_title="rows",
    )  # fmt: skip
    return figure


def freshness(db: Warehouse) -> list[tuple[str, str]]:
    """Last load time per raw table (from dlt's load ids and its ``_dlt_loads`` table)."""
    tables = sorted(t for t in db.tables(db.raw) if not t.startswith("_dlt") and "__" not in t)
    if not tables or "_dlt_loads" not in db.tables(db.raw):
        return []
    latest = " union all ".join(
        f"select '{t}' as t, max(_dlt_load_id) as load_id from {db.raw}.{t}" for t in tables
    )
    rows = db.rows(
        f"select l.t, max(d.inserted_at) as loaded_at from ({latest}) as l"
        f" left join {db.raw}._dlt_loads as d on d.load_id = l.load_id group by l.t order by l.t"
    )
    return [(str(r["t"]), "" if r["loaded_at"] is None else str(r["loaded_at"])[:19]) for r in rows]


def _minute(value: Any) -> str:
    return "" if value is None else str(value)[:19]


def _seconds(started: Any, finished: Any) -> int | None:
    if not isinstance(started, datetime) or not isinstance(finished, datetime):
        return None
    return round((finished - started).total_seconds())


def last_runs(db: Warehouse, limit: int = 10) -> list[dict[str, Any]]:
    """The latest stages of ``elt`` runs, newest first, from the raw run history (the
    ``pipeline_runs`` mart misses the runs after the last successful transform)."""
    if "elt_runs" not in db.tables(db.raw):
        return []
    rows = db.rows(
        "select stage, started_at, finished_at, exit_code, error, records_read, requests"
        f" from {db.raw}.elt_runs order by started_at desc limit {int(limit)}"
    )
    # a history written before credentials were redacted may still hold one
    return [{**r, "error": None if r["error"] is None else redact(str(r["error"]))} for r in rows]


def staleness_html(db: Warehouse) -> str:
    """A warning at the top when the last transform failed: the marts on the page are the last
    successful build's. Empty when the last transform succeeded (or no history exists)."""
    if "elt_runs" not in db.tables(db.raw):
        return ""
    transforms = db.rows(
        "select started_at, finished_at, exit_code, error"
        f" from {db.raw}.elt_runs where stage = 'transform' order by started_at desc"
    )
    if not transforms or int(transforms[0]["exit_code"]) == 0:
        return ""
    failed = transforms[0]
    built = next((t for t in transforms if int(t["exit_code"]) == 0), None)
    since = (
        "These figures are from the last successful build, finished"
        f" {_minute(built['finished_at'])} UTC."
        if built
        else "No transform has succeeded yet: the marts may be missing or partial."
    )
    error = f": {redact(str(failed['error']))}" if failed["error"] else ""
    return (
        '<p class="warning" role="alert"><strong>The last transform failed</strong>'
        f" (started {html.escape(_minute(failed['started_at']))} UTC{html.escape(error)})."
        f" {html.escape(since)}</p>"
    )


def _cell(value: Any) -> str:
    return "" if value is None else html.escape(str(value))


def _table_html(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<h2>{html.escape(title)}</h2><table><tr>{head}</tr>{body}</table>"


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;color:#222}}
table{{border-collapse:collapse}}td,th{{padding:.25rem .75rem;border-bottom:1px solid #ddd;
text-align:left;vertical-align:top}}.chart{{margin:1.5rem 0}}
.note{{color:#555;max-width:60rem}}.subtitle{{color:#444;font-size:1.05rem}}
.warning{{background:#fff3cd;border:1px solid #e0b000;padding:.75rem 1rem;max-width:60rem}}
.headline td{{font-size:1.1rem;white-space:nowrap}}
.rates td{{white-space:nowrap}}.rates .small{{color:#999;font-style:italic}}
.rates .none{{color:#999}}
.headline td.definition{{font-size:.85rem;
color:#555;white-space:normal;max-width:40rem}}</style></head>
<body><h1>{title}</h1><p class="subtitle">{subtitle}</p>{body}</body></html>
"""


OPERATIONS = (
    '<h2>Operations</h2><p class="note">For the people who run the pipeline: what was loaded'
    " and when. Read from {source}.</p>"
)


def build_report(db: Warehouse, source: str, quarter: Quarter, generated: str) -> tuple[str, int]:
    """The page and the number of charts on it. ``source`` (where the data was read) goes to the
    Operations section; the title and subtitle speak of the quarter and the data's age."""
    marts = db.tables(db.marts)
    if not {"applications_by_stage", "offer_acceptance", "offers", "applications", "jobs"} <= marts:
        raise ConfigError(
            f"no marts in {db.marts}: run `make run` (elt run) first, then `make report`"
        )
    charts = [funnel_chart, acceptance_chart]
    optional = {
        "hiring_velocity": days_to_hire_chart,
        "source_effectiveness": source_chart,
        "interviewer_activity": interviewer_chart,
    }
    charts += [chart for mart, chart in optional.items() if mart in marts]
    drawn = [(chart, f) for chart in [*charts, raw_rows_chart] if (f := chart(db))]
    figures = [figure for _, figure in drawn]
    notes = {funnel_chart: FUNNEL_NOTE}
    after = {
        funnel_chart: pass_through_html,
        source_chart: source_quality_html,
        interviewer_chart: calibration_html,
    }
    if "scorecard_recommendations" not in marts or "interviews" not in marts:
        after.pop(interviewer_chart)
    parts = [staleness_html(db), headline_html(db, quarter), departments_html(db, quarter)]
    for i, (chart, figure) in enumerate(drawn):
        if chart is raw_rows_chart:
            parts.append(OPERATIONS.format(source=html.escape(source)))
        parts.append(f'<div class="chart">{_figure_html(figure, first=i == 0)}</div>')
        if chart in notes:
            parts.append(f'<p class="note">{html.escape(notes[chart])}</p>')
        if chart in after:
            parts.append(after[chart](db))
        if chart is funnel_chart:
            parts.append(stage_turns_html(db))
    runs = last_runs(db)
    if runs:
        header = ("started (UTC)", "stage", "exit", "records", "requests", "seconds", "error")
        cells = [
            [
                _minute(r["started_at"]), r["stage"], r["exit_code"], r["records_read"],
                r["requests"], _seconds(r["started_at"], r["finished_at"]), r["error"],
            ]
            for r in runs
        ]  # fmt: skip
        parts.append(_table_html("Last runs", header, cells))
    if not any(chart is raw_rows_chart for chart, _ in drawn):
        parts.append(OPERATIONS.format(source=html.escape(source)))
    loaded = freshness(db)
    if loaded:
        parts.append(_table_html("Last load per raw table", ("table", "loaded at (UTC)"), loaded))
    last_load = max((at for _, at in loaded if at), default="")
    last_day = date.fromordinal(quarter.end.toordinal() - 1)
    subtitle = (
        f"Hiring, offers and pipeline for {quarter.label} ({quarter.start:%d %b} -"
        f" {last_day:%d %b %Y}), beside {quarter.previous().label}."
        + (f" Data last loaded {last_load[:16]} UTC;" if last_load else "")
        + f" page generated {generated}."
    )
    page = PAGE.format(
        title=html.escape(f"Recruiting report, {quarter.label}"),
        subtitle=html.escape(subtitle),
        body="\n".join(parts),
    )
    return page, len(figures)


def write_report(
    plan: DestinationPlan, dest: str, marts: str, raw: str, out: Path, quarter: Quarter | None
) -> int:
    started = time.monotonic()
    if quarter is None:
        quarter = last_complete_quarter(datetime.now(UTC).date())
    with open_warehouse(plan, marts, raw) as db:
        page, charts = build_report(
            db, f"DEST={dest} ({plan.identity})", quarter, time.strftime("%Y-%m-%d %H:%M UTC")
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    print(f"report: {out} ({charts} charts, {time.monotonic() - started:.1f}s)")
    return charts
