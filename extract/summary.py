"""The extract stage's summary on the terminal: rows per table, requests, waits."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table


def print_summary(summary: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    table = Table(
        title=(
            f"Extract finished: Harvest {summary['api_version']} -> {summary['dest']} "
            f"dataset {summary['dataset']} (pipeline {summary['pipeline_name']})"
        ),
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("table")
    table.add_column("rows in destination", justify="right")
    table.add_column("read this run", justify="right")
    extracted = summary["records_extracted"]
    for name, count in summary["rows"].items():
        read = extracted.get(name)
        table.add_row(name, f"{count:,}", "" if read is None else f"{read:,}")
    console.print(table)
    console.print(
        f"records read this run: {summary['total_records_extracted']:,}; "
        f"HTTP requests: {summary['requests']:,}; 429s: {summary['rate_limited_429']}; "
        f"waited for rate limit: {summary['rate_limit_wait_seconds']}s; "
        f"duration: {summary['duration_seconds']}s",
        highlight=False,
    )
    for endpoint, count in summary.get("duplicates_dropped", {}).items():
        console.print(
            f"DEDUPLICATED {endpoint}: {count} duplicate id(s) in the API's pages, "
            "the last copy kept",
            highlight=False,
            markup=False,
        )
    for endpoint, reason in summary["skipped_forbidden"].items():
        console.print(f"SKIPPED {endpoint}: {reason}", highlight=False, markup=False)
