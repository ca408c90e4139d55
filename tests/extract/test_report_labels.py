"""`elt report` with hostile names in the data: Plotly renders legend, axis and hover text as
HTML, so a job, stage, source or interviewer named ``<a href='https://...'>`` must show as typed,
never as a live link. The marts are real tables in a DuckDB file, shaped like the dbt project's,
holding the names a hostile (or careless) Greenhouse user can type."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import duckdb

from extract.destinations import plan_for
from extract.report import write_report

LINK = "<a href='https://phish.example/login'>Apply here</a>"
# as Plotly shows it: typed, not a link
SHOWN = "&lt;a href='https://phish.example/login'&gt;Apply here&lt;/a&gt;"
NAMES = {
    "job": f"Engineer {LINK}",
    "stage": f"Phone screen {LINK}",
    "source": f"Referral & {LINK}",
    "interviewer": f"Ada {LINK}",
    "department": f"Sales {LINK}",
}


def _marts(path: Path) -> None:
    """The marts the report reads, one hostile name in each kind of label."""
    job, stage, source, person, department = (NAMES[k].replace("'", "''") for k in NAMES)
    with duckdb.connect(str(path)) as con:
        con.execute(f"""
            create schema greenhouse_marts;
            create schema greenhouse_raw;
            create table greenhouse_raw.jobs as select 1 as id;
            create table greenhouse_marts.applications_by_stage as
                select 'greenhouse_raw' as source_relation, 1 as job_id, '{job}' as job_name,
                    n as stage_id, n as stage_order, '{stage}' as stage_name,
                    10 - n as applications_reached,
                    0.5 as reach_rate_from_previous
                from range(1, 4) as t(n);
            create table greenhouse_marts.application_stage_history as
                select 'greenhouse_raw' as source_relation, 1 as job_id, n as application_id,
                    3 as stage_order, false as is_prospect
                from range(1, 4) as t(n);
            create table greenhouse_marts.applications as
                select 'greenhouse_raw' as source_relation, 1 as application_id, 1 as job_id,
                    timestamp '2025-12-01' as applied_at, 'hired' as status,
                    false as is_prospect;
            create table greenhouse_marts.offers as
                select 'greenhouse_raw' as source_relation, 1 as application_id, 1 as job_id,
                    'accepted' as status, date '2026-01-02' as sent_date,
                    timestamp '2026-01-01' as created_at, timestamp '2026-01-05' as resolved_at;
            create table greenhouse_marts.jobs as
                select 'greenhouse_raw' as source_relation, n as job_id,
                    '{department}' || n as department_name,
                    timestamp '2025-11-01' as opened_at, cast(null as timestamp) as closed_at
                from range(1, 3) as t(n);
            create table greenhouse_marts.offer_acceptance as
                select 'greenhouse_raw' as source_relation, date '2026-01-01' as cohort_month,
                    4 as offers_total, 3 as offers_accepted, 1 as offers_rejected;
            create table greenhouse_marts.hiring_velocity as
                select 'greenhouse_raw' as source_relation, date '2026-01-01' as hire_month,
                    '{job}' as job_name, 2 as hires, 30.0 as median_days_to_hire,
                    40.0 as p75_days_to_hire;
            create table greenhouse_marts.source_effectiveness as
                select 'greenhouse_raw' as source_relation, '{source}' as source_name,
                    8 as applications, 4 as reached_interview, 3 as got_offer, 2 as hired;
            create table greenhouse_marts.stage_pass_through as
                select 'greenhouse_raw' as source_relation, 1 as job_id, n as stage_id,
                    n as stage_order, '{stage}' as stage_name,
                    10 - n as applications_reached, 9 - n as applications_passed,
                    8 - n as applications_exited, 7 - n as applications_moved_on,
                    6 - n as completed_reached, 5 - n as completed_passed
                from range(1, 4) as t(n);
            create table greenhouse_marts.stage_durations as
                select 'greenhouse_raw' as source_relation, '{stage}' as stage_name,
                    1 as stage_order, n as days_in_stage
                from range(1, 4) as t(n);
            create table greenhouse_marts.rejections as
                select 'greenhouse_raw' as source_relation, '{stage}' as rejected_stage_name,
                    1 as rejected_stage_order, 'they_rejected_us' as rejection_type,
                    false as is_prospect;
            create table greenhouse_marts.scorecard_recommendations as
                select 'greenhouse_raw' as source_relation, 7 as interviewer_user_id,
                    '{person}' as interviewer_name, 3 as scorecards_submitted,
                    1 as recommended_strong_yes, 1 as recommended_yes, 0 as recommended_no,
                    0 as recommended_definitely_not, 1 as recommended_no_decision;
            create table greenhouse_marts.interviews as
                select 'greenhouse_raw' as source_relation, 7 as interviewer_user_id,
                    timestamp '2026-01-01' as scorecard_submitted_at, 2.5 as hours_to_scorecard;
            create table greenhouse_marts.interviewer_activity as
                select 'greenhouse_raw' as source_relation, '{person}' as interviewer_name,
                    5 as interviews_scheduled, 5 as scorecards_submitted,
                    4 as scorecards_within_24h;
        """)  # fmt: skip


def _figures(page: str) -> list[Any]:
    """The data of every chart on the page, as Plotly.js receives it (JSON decoded)."""
    decoder = json.JSONDecoder()
    found = []
    for call in re.finditer(r'Plotly\.newPlot\(\s*"[^"]+",\s*', page):
        data, _ = decoder.raw_decode(page, call.end())
        found.append(data)
    return found


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [t for item in value for t in _texts(item)]
    if isinstance(value, dict):
        return [t for item in value.values() for t in _texts(item)]
    return []


def test_hostile_names_are_no_live_links(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "marts.duckdb"
    _marts(path)
    monkeypatch.setenv("DUCKDB_PATH", str(path))
    out = tmp_path / "report.html"

    charts = write_report(
        plan_for("duckdb", str(path)), "duckdb", "greenhouse_marts", "greenhouse_raw", out, None
    )

    figures = _figures(out.read_text())
    assert charts == len(figures) == 6  # funnel, acceptance, days, sources, interviewers, raw
    texts = _texts(figures)
    # no label Plotly draws holds a tag: every "<" of the data reaches it as an entity
    assert not [t for t in texts if "<" in t or ">" in t], texts
    # each hostile name is there, as typed (legend and hover of the funnel, the days-to-hire
    # hover, the source and interviewer axes)
    shown = {kind: name.replace("&", "&amp;").replace(LINK, SHOWN) for kind, name in NAMES.items()}
    for kind, label in shown.items():
        if kind != "department":  # no chart names a department
            assert any(label in t for t in texts), (kind, label, texts)
    # the page's own tables (pass-through, time in stage, sources, calibration, departments)
    # show every name as typed too: no tag of the data reaches the page outside a chart
    page = re.sub(r"<script.*?</script>", "", out.read_text(), flags=re.S)
    assert "phish.example" in page and "<a href='https://phish" not in page
    for kind, label in shown.items():
        assert label in page, kind
