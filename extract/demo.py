"""``elt demo``: the sandbox -> DuckDB -> dbt build, then a summary a person can read.

The summary has three parts: rows landed per raw table, the funnel of the job with the most
candidate applications (``applications_by_stage``) and offer acceptance by cohort month over all
jobs (``offer_acceptance``).
"""

from __future__ import annotations

import os
import shutil
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from extract import messages

RAW_SCHEMA = "greenhouse_raw"
MARTS_SCHEMA = "greenhouse_marts"


def _rate(value: Decimal | float | None) -> str:
    return "-" if value is None else f"{float(value) * 100:.1f}%"


def rows_landed(con: Any, raw_schema: str = RAW_SCHEMA) -> list[tuple[str, int]]:
    tables = con.execute(
        "select table_name from information_schema.tables"
        " where table_schema = ? and table_name not like '\\_dlt%' escape '\\'"
        " order by table_name",
        [raw_schema],
    ).fetchall()
    return [
        (name, con.execute(f'select count(*) from "{raw_schema}"."{name}"').fetchone()[0])
        for (name,) in tables
    ]


def busiest_job_funnel(con: Any) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    job = con.execute(
        "select job_id, job_name, job_status, department_name"
        f" from {MARTS_SCHEMA}.applications_by_stage"
        " where stage_order = (select min(stage_order) from"
        f" {MARTS_SCHEMA}.applications_by_stage as s where s.job_id = applications_by_stage.job_id)"
        " order by applications_reached desc, job_id limit 1"
    ).fetchone()
    if job is None:
        return None
    cursor = con.execute(
        "select stage_order, stage_name, is_stage_active, applications_reached,"
        " reach_rate_from_previous, applications_current, applications_rejected,"
        f" applications_hired from {MARTS_SCHEMA}.applications_by_stage where job_id = ?"
        " order by stage_order, stage_id",
        [job[0]],
    )
    columns = [d[0] for d in cursor.description]
    stages = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    header = dict(zip(("job_id", "job_name", "job_status", "department_name"), job, strict=True))
    return header, stages


def acceptance_by_month(con: Any) -> list[dict[str, Any]]:
    cursor = con.execute(
        "select cohort_month, sum(offers_total) as offers, sum(offers_sent) as sent,"
        " sum(offers_accepted) as accepted, sum(offers_rejected) as rejected,"
        " sum(offers_pending) as pending"
        f" from {MARTS_SCHEMA}.offer_acceptance group by cohort_month order by cohort_month"
    )
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, title_style="bold")
    for name in columns:
        left = name in ("table", "stage", "month", "interviewer")
        table.add_column(name, justify="left" if left else "right")
    return table


def render(con: Any, months: int = 12) -> list[Table | str]:
    parts: list[Table | str] = []
    landed = rows_landed(con)
    rows = _table(f"Rows landed in {RAW_SCHEMA} ({len(landed)} tables)", "table", "rows")
    for name, count in landed:
        rows.add_row(name, f"{count:,}")
    parts.append(rows)

    funnel = busiest_job_funnel(con)
    if funnel is None:
        parts.append("Funnel: no job interview stages were built")
    else:
        job, stages = funnel
        table = _table(
            f'Funnel of job {job["job_id"]} "{job["job_name"]}" ({job["job_status"]},'
            f" {job['department_name'] or 'no department'}) - candidate applications",
            "#", "stage", "reached", "from prev", "current", "rejected", "hired",
        )  # fmt: skip
        for s in stages:
            name = s["stage_name"] + ("" if s["is_stage_active"] else " (deleted)")
            table.add_row(
                str(s["stage_order"]), name, str(s["applications_reached"]),
                _rate(s["reach_rate_from_previous"]), str(s["applications_current"]),
                str(s["applications_rejected"]), str(s["applications_hired"]),
            )  # fmt: skip
        parts.append(table)

    cohorts = acceptance_by_month(con)
    shown = cohorts[-months:] if months > 0 else cohorts
    table = _table(
        "Offer acceptance by month (current offer per application, all jobs;"
        f" last {len(shown)} of {len(cohorts)} months)",
        "month", "offers", "sent", "accepted", "rejected", "pending", "acceptance",
    )  # fmt: skip
    for r in shown:
        resolved = r["accepted"] + r["rejected"]
        rate = None if resolved == 0 else Decimal(r["accepted"]) / Decimal(resolved)
        table.add_row(
            f"{r['cohort_month']:%Y-%m}", str(r["offers"]), str(r["sent"]), str(r["accepted"]),
            str(r["rejected"]), str(r["pending"]), _rate(rate),
        )  # fmt: skip
    if cohorts:
        accepted = sum(r["accepted"] for r in cohorts)
        rejected = sum(r["rejected"] for r in cohorts)
        rate = None if accepted + rejected == 0 else Decimal(accepted) / (accepted + rejected)
        table.add_row(
            "all", str(sum(r["offers"] for r in cohorts)), str(sum(r["sent"] for r in cohorts)),
            str(accepted), str(rejected), str(sum(r["pending"] for r in cohorts)), _rate(rate),
            style="bold",
        )  # fmt: skip
    parts.append(table)
    parts += recruiting_tables(con)
    return parts


def recruiting_tables(con: Any) -> list[Table]:
    """Days to hire by month of hire, and the busiest interviewers (the newer marts)."""
    tables: list[Table] = []
    months = con.execute(
        "select hire_month, sum(hires) as hires, min(median_days_to_hire) as fastest,"
        " max(median_days_to_hire) as slowest"
        f" from {MARTS_SCHEMA}.hiring_velocity where hires > 0"
        " group by hire_month order by hire_month desc limit 6"
    ).fetchall()
    if months:
        table = _table(
            "Days to hire (median per job; the fastest and slowest job of each month)",
            "month", "hires", "fastest job", "slowest job",
        )  # fmt: skip
        for month, hires, fastest, slowest in reversed(months):
            # float: a DECIMAL formats with its scale ('0.000000'), a person wants '0' or '2.5'
            days = f"{float(fastest):g}", f"{float(slowest):g}"
            table.add_row(f"{month:%Y-%m}", str(hires), *days)
        tables.append(table)
    people = con.execute(
        "select interviewer_name, sum(interviews_scheduled) as interviews,"
        " sum(scorecards_submitted) as submitted, sum(scorecards_within_24h) as timely"
        f" from {MARTS_SCHEMA}.interviewer_activity group by interviewer_name"
        " order by interviews desc, interviewer_name limit 5"
    ).fetchall()
    if people:
        table = _table("Busiest interviewers", "interviewer", "interviews", "scorecards",
                       "within 24 h")  # fmt: skip
        for name, interviews, submitted, timely in people:
            table.add_row(str(name), str(interviews), str(submitted), str(timely))
        tables.append(table)
    return tables


def print_summary(duckdb_path: Path, months: int = 12, console: Console | None = None) -> int:
    """Print the summary of a DuckDB file the demo built; 1 with one line if it cannot."""
    console = console or messages.console()
    if not duckdb_path.is_file():
        print(f"error: no DuckDB file at {duckdb_path}; run `make demo` first", file=sys.stderr)
        return 1
    import duckdb

    try:
        with duckdb.connect(str(duckdb_path), read_only=True) as con:
            parts = render(con, months)
    except duckdb.Error as exc:
        message = " ".join(str(exc).split())
        print(
            f"error: {duckdb_path} does not hold the built marts ({message});"
            " run `make demo` (or `make run DEST=duckdb`) first",
            file=sys.stderr,
        )
        return 1
    console.print(f"\n[bold]=== Greenhouse ELT summary: {duckdb_path} ===[/bold]\n")
    for part in parts:
        console.print(part)
    return 0


def run_demo(candidates: int, duckdb_path: Path) -> int:
    """Start the sandbox, run the whole pipeline into a fresh DuckDB file, print the summary.
    The sandbox is the only part of ``extract`` that needs the ``sandbox`` extra."""
    from extract.extras import require

    require("sandbox", "elt demo (it runs the sandbox)")
    from extract.messages import log
    from extract.stages import run_pipeline
    from sandbox.process import SandboxProcess, SandboxStartError

    duckdb_path = duckdb_path.expanduser().absolute()
    data_dir = duckdb_path.parent
    pipelines_dir = Path(os.environ.get("GREENHOUSE_PIPELINES_DIR") or data_dir / "demo_pipelines")
    duckdb_path.unlink(missing_ok=True)
    shutil.rmtree(pipelines_dir, ignore_errors=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    sandbox = SandboxProcess(candidates=candidates, log_path=data_dir / "demo-sandbox.log")
    try:
        sandbox.start()
    except SandboxStartError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    with sandbox:
        os.environ.pop("GREENHOUSE_SCHEMA_PREFIX", None)  # the demo's own file: plain names
        os.environ.update(
            {
                **sandbox.env(os.environ.get("GREENHOUSE_API_VERSION") or "v3"),
                "DEST": "duckdb",
                "DUCKDB_PATH": str(duckdb_path),
                "GREENHOUSE_PIPELINES_DIR": str(pipelines_dir),
            }
        )
        log(f"demo: sandbox on {sandbox.base_url}, DuckDB file {duckdb_path}")
        code = run_pipeline()
    if code:
        return code
    code = print_summary(duckdb_path)
    if code:
        return code
    from extract.stages import report_stage

    return report_stage(data_dir / "report.html", demo_quarter())


def demo_quarter() -> str:
    """The quarter of the demo report's headline figures: ELT_REPORT_QUARTER, else the last
    complete quarter of the sandbox's data, which ends on a fixed day (not today)."""
    from datetime import UTC, datetime, timedelta

    from extract.report import last_complete_quarter
    from sandbox.data.timestamps import END_MS

    last_day = datetime.fromtimestamp(END_MS / 1000, UTC).date()
    chosen = os.environ.get("ELT_REPORT_QUARTER")
    return chosen or last_complete_quarter(last_day + timedelta(days=1)).label
