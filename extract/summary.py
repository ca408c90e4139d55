"""The one-screen summary after every run: per table the rows new / updated this run and the
total, the HTTP figures, dbt's models and tests, and how long each stage took.

It reads the dict that ``--summary-json`` writes (``RunSummary.as_dict()``, plus ``dbt`` and
``stage_seconds`` after ``elt run``), so the screen and the file never disagree. To fit one
screen, nested child tables are folded into their parent's row and tables the run left as they
were share one line.
"""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from extract import messages

# dbt's statuses per node type, as the summary names them
_PASSED = {"success": "passed", "pass": "passed"}
_FAILED = {"error": "failed", "fail": "failed", "runtime error": "failed"}
_OTHER = {"warn": "warned"}


def dbt_node_counts(results: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """``{"models": {"passed": n, "failed": m, ...}, "tests": {...}}`` from run_results.json
    (seeds and snapshots count as models, unit tests as tests)."""
    counts: dict[str, dict[str, int]] = {"models": {}, "tests": {}}
    for result in results:
        kind = str(result.get("unique_id", "")).split(".")[0]
        group = "tests" if kind in ("test", "unit_test") else "models"
        status = str(result.get("status"))
        status = _PASSED.get(status) or _FAILED.get(status) or _OTHER.get(status) or status
        counts[group][status] = counts[group].get(status, 0) + 1
    return counts


# tables with no rows: the extract creates them empty (extract/declared_tables.py)
NO_ROWS = "no rows (endpoint empty, forbidden, failed or not selected; table kept empty)"


def _number(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _folded(row: dict[str, Any]) -> str | None:
    """Which one-line group a table goes to instead of a row of its own, if any."""
    if not row["total"]:
        return NO_ROWS
    if row["new"] is None:  # replaced, not a first load
        return "replaced, same row count" if row["total"] == row["total_before"] else None
    return None if row["new"] or row["updated"] else "unchanged"


def tables_table(tables: dict[str, dict[str, Any]]) -> tuple[Table, dict[str, list[str]]]:
    """The tables this run changed, and ``name (total)`` of the others, per group."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("table")
    for column in ("new", "updated", "total", "child rows"):
        table.add_column(column, justify="right")
    table.add_column("")
    folded: dict[str, list[str]] = {}
    for name, row in tables.items():
        group = _folded(row)
        if group:
            folded.setdefault(group, []).append(f"{name} ({row['total']:,})")
            continue
        note = ""
        if row["replaced"] and row["new"] is None:
            delta = row["total"] - row["total_before"]
            note = f"replaced ({delta:+,} rows)" if delta else "replaced"
        elif row["replaced"]:
            note = "first load" if not row["total_before"] else "replaced"
        children = f"{row['child_rows']:,} in {row['child_tables']}" if row["child_tables"] else ""
        table.add_row(
            name, _number(row["new"]), _number(row["updated"]), f"{row['total']:,}", children, note
        )
    return table, folded


def _seconds(value: float) -> str:
    return f"{value:.1f}s" if value < 120 else f"{int(value) // 60}m{int(value) % 60:02d}s"


def durations_line(summary: dict[str, Any]) -> str:
    steps = summary.get("step_seconds") or {}
    stages = dict(summary.get("stage_seconds") or {})
    stages.setdefault("extract", summary.get("duration_seconds") or 0.0)
    inner = ", ".join(f"{step} {_seconds(s)}" for step, s in steps.items())
    parts = [
        f"{stage} {_seconds(seconds)}" + (f" ({inner})" if stage == "extract" and inner else "")
        for stage, seconds in stages.items()
    ]
    if len(stages) > 1:
        parts.append(f"total {_seconds(sum(stages.values()))}")
    return "duration: " + "; ".join(parts)


def dbt_line(counts: dict[str, dict[str, int]]) -> str:
    def shown(group: str) -> str:
        by_status = counts.get(group) or {}
        first = ("passed", "failed")
        parts = [f"{by_status.get(s, 0):,} {s}" for s in first]
        parts += [f"{n:,} {s}" for s, n in sorted(by_status.items()) if s not in first]
        return f"{group} " + ", ".join(parts)

    return f"dbt: {shown('models')}; {shown('tests')}"


def print_summary(summary: dict[str, Any], console: Console | None = None) -> None:
    console = console or messages.console()
    console.print(
        f"Run summary: Harvest {summary['api_version']} -> {summary['dest']} "
        f"dataset {summary['dataset']} (pipeline {summary['pipeline_name']})",
        highlight=False,
        markup=False,
    )
    table, folded = tables_table(summary.get("tables") or {})
    if table.row_count:
        console.print(table)
    for group, names in folded.items():
        console.print(f"{group}: {', '.join(names)}", highlight=False, markup=False)
    console.print(
        f"read {summary['total_records_extracted']:,} records in "
        f"{summary['requests']:,} HTTP requests; 429s: {summary['rate_limited_429']}; "
        f"waited for the rate limit: {summary['rate_limit_wait_seconds']}s",
        highlight=False,
    )
    if summary.get("dbt"):
        console.print(dbt_line(summary["dbt"]), highlight=False)
    console.print(durations_line(summary), highlight=False)
    for endpoint, count in summary.get("duplicates_dropped", {}).items():
        console.print(
            f"DEDUPLICATED {endpoint}: {count} duplicate id(s) in the API's pages, "
            "the last copy kept",
            highlight=False,
            markup=False,
        )
    for endpoint, reason in summary["skipped_forbidden"].items():
        console.print(f"SKIPPED {endpoint}: {reason}", highlight=False, markup=False)
