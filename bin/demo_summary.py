#!/usr/bin/env python3
"""Print the readable summary `make demo` ends with, from the DuckDB file the demo built.

    python bin/demo_summary.py data/demo.duckdb [--months 12]

Three parts: rows landed per raw table (greenhouse_raw), the funnel of the job with the most
candidate applications (greenhouse_marts.applications_by_stage) and offer acceptance by cohort
month over all jobs (greenhouse_marts.offer_acceptance).
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

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


def render(con: Any, months: int = 12) -> str:
    out: list[str] = []
    landed = rows_landed(con)
    out.append(f"Rows landed in {RAW_SCHEMA} ({len(landed)} tables)")
    for name, count in landed:
        out.append(f"  {name:<44} {count:>10,}")

    funnel = busiest_job_funnel(con)
    out.append("")
    if funnel is None:
        out.append("Funnel: no job interview stages were built")
    else:
        job, stages = funnel
        out.append(
            f'Funnel of job {job["job_id"]} "{job["job_name"]}" ({job["job_status"]},'
            f" {job['department_name'] or 'no department'}) - candidate applications"
        )
        out.append(
            f"  {'#':>2}  {'stage':<28} {'reached':>8} {'from prev':>9}"
            f" {'current':>8} {'rejected':>8} {'hired':>6}"
        )
        for s in stages:
            name = s["stage_name"] + ("" if s["is_stage_active"] else " (deleted)")
            out.append(
                f"  {s['stage_order']:>2}  {name:<28} {s['applications_reached']:>8}"
                f" {_rate(s['reach_rate_from_previous']):>9} {s['applications_current']:>8}"
                f" {s['applications_rejected']:>8} {s['applications_hired']:>6}"
            )

    rows = acceptance_by_month(con)
    out.append("")
    shown = rows[-months:] if months > 0 else rows
    out.append(
        f"Offer acceptance by month (current offer per application, all jobs;"
        f" last {len(shown)} of {len(rows)} months)"
    )
    out.append(
        f"  {'month':<8} {'offers':>6} {'sent':>5} {'accepted':>8} {'rejected':>8}"
        f" {'pending':>7} {'acceptance':>10}"
    )
    for r in shown:
        resolved = r["accepted"] + r["rejected"]
        rate = None if resolved == 0 else Decimal(r["accepted"]) / Decimal(resolved)
        out.append(
            f"  {r['cohort_month']:%Y-%m}  {r['offers']:>6} {r['sent']:>5} {r['accepted']:>8}"
            f" {r['rejected']:>8} {r['pending']:>7} {_rate(rate):>10}"
        )
    if rows:
        accepted = sum(r["accepted"] for r in rows)
        rejected = sum(r["rejected"] for r in rows)
        rate = None if accepted + rejected == 0 else Decimal(accepted) / (accepted + rejected)
        out.append(
            f"  {'all':<8} {sum(r['offers'] for r in rows):>6} {sum(r['sent'] for r in rows):>5}"
            f" {accepted:>8} {rejected:>8} {sum(r['pending'] for r in rows):>7} {_rate(rate):>10}"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("duckdb_path", type=Path, help="the DuckDB file the demo built")
    parser.add_argument("--months", type=int, default=12, help="cohort months to show (0 = all)")
    args = parser.parse_args(argv)
    if not args.duckdb_path.is_file():
        print(
            f"error: no DuckDB file at {args.duckdb_path}; run `make demo` first", file=sys.stderr
        )
        return 1
    import duckdb

    try:
        with duckdb.connect(str(args.duckdb_path), read_only=True) as con:
            text = render(con, args.months)
        print(f"\n=== Greenhouse ELT summary: {args.duckdb_path} ===\n")
        print(text)
    except duckdb.Error as exc:
        message = " ".join(str(exc).split())
        print(
            f"error: {args.duckdb_path} does not hold the built marts ({message});"
            " run `make demo` (or `make run DEST=duckdb`) first",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
