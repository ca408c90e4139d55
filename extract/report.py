"""``elt report``: one self-contained HTML page of charts built from the marts of DEST.

Plotly draws the charts; its JavaScript is inlined once, so the file opens offline (no CDN). The
page reads the warehouse through dlt's SQL client of the resolved destination (the same place the
pipeline wrote), so it works for every DEST with a SQL client.
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from extract.destinations import DestinationPlan, sql_client
from extract.errors import ConfigError
from extract.redact import redact

BUSIEST_JOBS = 4


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


def _label(text: Any) -> str:
    """A name from the data as Plotly label text. Plotly renders legend, axis and hover text as
    HTML (``<a href>``, ``<b>``...): a job named ``<a href='https://...'>`` would be a live link.
    Escaped, it shows as typed (Plotly turns the entities back into characters)."""
    return html.escape(str(text), quote=False)


def _labelled(name: str, account: Any, accounts: set[Any]) -> str:
    """A job's or person's name, with its account when the marts hold several accounts."""
    return _label(f"{name} ({account})" if len(accounts) > 1 else name)


def _together(db: Warehouse, mart: str) -> str:
    """A chart title's note for a mart that holds several accounts, added up in the chart."""
    rows = db.rows(f"select count(distinct source_relation) as n from {db.marts}.{mart}")
    count = int(rows[0]["n"] or 0) if rows else 0
    return f" - {count} accounts together" if count > 1 else ""


def funnel_chart(db: Warehouse) -> go.Figure | None:
    stages = db.rows(
        "select source_relation, job_id, job_name, stage_order, stage_name, applications_reached,"
        f" reach_rate_from_previous from {db.marts}.applications_by_stage"
        " order by source_relation, job_id, stage_order"
    )
    if not stages:
        return None
    # a job is (account, job id): two accounts can both have job 7
    first_stage: dict[tuple[str, Any], int] = {}
    for row in stages:
        job_key = (row["source_relation"], row["job_id"])
        first_stage.setdefault(job_key, int(row["applications_reached"] or 0))
    accounts = {account for account, _ in first_stage}
    busiest = sorted(first_stage, key=lambda job: (-first_stage[job], job))[:BUSIEST_JOBS]
    figure = go.Figure()
    for job in busiest:
        rows = [r for r in stages if (r["source_relation"], r["job_id"]) == job]
        figure.add_bar(
            name=_labelled(str(rows[0]["job_name"]), job[0], accounts),
            x=[int(r["stage_order"]) for r in rows],
            y=[int(r["applications_reached"] or 0) for r in rows],
            hovertext=[_label(r["stage_name"]) for r in rows],
            text=[
                ""
                if r["reach_rate_from_previous"] is None
                else f"{float(r['reach_rate_from_previous']):.0%}"
                for r in rows
            ],  # fmt: skip
            textposition="outside",
        )
    figure.update_layout(
        title=f"Funnel of the {len(busiest)} busiest jobs (applications reaching each stage; "
        "label: reach rate from the previous stage)",
        barmode="group",
        xaxis={"title": "stage order (hover: stage name)", "dtick": 1},
        yaxis_title="applications",
    )
    return figure


def acceptance_chart(db: Warehouse) -> go.Figure | None:
    months = db.rows(
        "select cohort_month, sum(offers_total) as offers, sum(offers_accepted) as accepted,"
        f" sum(offers_rejected) as rejected from {db.marts}.offer_acceptance"
        " group by cohort_month order by cohort_month"
    )
    if not months:
        return None
    labels = [f"{m['cohort_month']:%Y-%m}" for m in months]
    rates = [
        None if not (m["accepted"] or m["rejected"])
        else float(m["accepted"]) / float(m["accepted"] + m["rejected"])
        for m in months
    ]  # fmt: skip
    figure = go.Figure()
    figure.add_bar(x=labels, y=[int(m["offers"]) for m in months], name="offers", yaxis="y2",
                   opacity=0.35)  # fmt: skip
    figure.add_scatter(x=labels, y=rates, name="acceptance rate", mode="lines+markers")
    figure.update_layout(
        title="Offer acceptance rate by cohort month (bars: offers made)"
        + _together(db, "offer_acceptance"),
        yaxis={"title": "accepted / (accepted + rejected)", "tickformat": ".0%", "range": [0, 1]},
        yaxis2={"title": "offers", "overlaying": "y", "side": "right", "showgrid": False},
    )
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
            f" {_label(r['hires'])} hires, p75 {_label(r['p75_days_to_hire'])}"
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
    names = [_label(r["source"]) for r in rows]
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
    )
    return figure


def interviewer_chart(db: Warehouse) -> go.Figure | None:
    rows = db.rows(
        "select source_relation, interviewer_name, sum(interviews_scheduled) as interviews,"
        " sum(scorecards_submitted) as scorecards, sum(scorecards_within_24h) as within_24h"
        f" from {db.marts}.interviewer_activity group by source_relation, interviewer_name"
        " order by interviews desc, interviewer_name, source_relation"
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
        title="Interviewer load: interviews and timely scorecards", barmode="group"
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
        go.Bar(x=[int(r["n"]) for r in counts], y=[_label(r["t"]) for r in counts], orientation="h")
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


def _cell(value: Any) -> str:
    return "" if value is None else html.escape(str(value))


def _table_html(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<h2>{html.escape(title)}</h2><table><tr>{head}</tr>{body}</table>"


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Greenhouse ELT report</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;color:#222}}
table{{border-collapse:collapse}}td,th{{padding:.25rem .75rem;border-bottom:1px solid #ddd;
text-align:left}}.chart{{margin:1.5rem 0}}</style></head>
<body><h1>Greenhouse ELT report</h1><p>{subtitle}</p>{body}</body></html>
"""


def build_report(db: Warehouse, subtitle: str) -> tuple[str, int]:
    """The page and the number of charts on it."""
    marts = db.tables(db.marts)
    if not {"applications_by_stage", "offer_acceptance"} <= marts:
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
    figures = [f for f in (chart(db) for chart in [*charts, raw_rows_chart]) if f]
    parts = [
        f'<div class="chart">{_figure_html(figure, first=i == 0)}</div>'
        for i, figure in enumerate(figures)
    ]
    if "pipeline_runs" in marts:
        runs = db.rows(
            "select started_at, pipeline_stage, exit_code, records_read, requests,"
            " duration_seconds, error_message"
            f" from {db.marts}.pipeline_runs order by started_at desc limit 10"
        )
        if runs:
            header = ("started (UTC)", "stage", "exit", "records", "requests", "seconds", "error")
            columns = ("pipeline_stage", "exit_code", "records_read", "requests",
                       "duration_seconds", "error_message")  # fmt: skip
            cells = [[str(r["started_at"])[:19], *(r[c] for c in columns)] for r in runs]
            for row in cells:  # rows an older version recorded may quote a credential
                row[-1] = None if row[-1] is None else redact(str(row[-1]))
            parts.append(_table_html("Last runs", header, cells))
    loaded = freshness(db)
    if loaded:
        parts.append(_table_html("Last load per raw table", ("table", "loaded at (UTC)"), loaded))
    return PAGE.format(subtitle=html.escape(subtitle), body="\n".join(parts)), len(figures)


def write_report(plan: DestinationPlan, dest: str, marts: str, raw: str, out: Path) -> int:
    started = time.monotonic()
    with open_warehouse(plan, marts, raw) as db:
        page, charts = build_report(
            db, f"DEST={dest} ({plan.identity}); generated {time.strftime('%Y-%m-%d %H:%M UTC')}"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    print(f"report: {out} ({charts} charts, {time.monotonic() - started:.1f}s)")
    return charts
