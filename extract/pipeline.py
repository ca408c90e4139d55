"""One extract run: settings -> dlt pipeline -> load -> row counts read back from DEST."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dlt
from dlt.pipeline.pipeline import Pipeline

from extract.destinations import DestinationPlan, plan_destination
from extract.endpoints import catalogue
from extract.errors import EndpointsFailedError
from extract.probe import probe
from extract.settings import Settings
from extract.source import HttpContext, greenhouse, repair_stored_cursors
from extract.summary import print_summary


@dataclass
class RunSummary:
    api_version: str
    dest: str
    dataset: str
    resources: list[str]
    full_refresh: bool
    rows: dict[str, int] = field(default_factory=dict)  # counted in the destination
    extracted: dict[str, int] = field(default_factory=dict)  # records read from the API this run
    skipped: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # endpoint -> why, after all retries
    windows: dict[str, dict[str, str | None]] = field(default_factory=dict)
    http: dict[str, Any] = field(default_factory=dict)
    duration_seconds: float = 0.0
    load_ids: list[str] = field(default_factory=list)
    pipeline_name: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "api_version": self.api_version,
            "dest": self.dest,
            "dataset": self.dataset,
            "pipeline_name": self.pipeline_name,
            "resources": self.resources,
            "full_refresh": self.full_refresh,
            "rows": self.rows,
            "total_rows": sum(self.rows.values()),
            "records_extracted": self.extracted,
            "total_records_extracted": sum(self.extracted.values()),
            "skipped_forbidden": self.skipped,
            "failed_endpoints": self.failed,
            "windows": self.windows,
            **self.http,
            "duration_seconds": round(self.duration_seconds, 2),
            "load_ids": self.load_ids,
        }


def pipeline_name(settings: Settings, plan: DestinationPlan) -> str:
    """``greenhouse_<version>_<dest>_<database>``, e.g. ``greenhouse_v3_postgres_analytics``:
    what ``dlt pipeline <name> info`` takes. The cursors themselves always come from the
    destination (see ``run_extract``), so two places never share state through a name."""
    return f"greenhouse_{settings.api_version}_{settings.dest}_{plan.label}"


def make_pipeline(settings: Settings, plan: DestinationPlan) -> Pipeline:
    kwargs: dict[str, Any] = {}
    if settings.pipelines_dir:
        kwargs["pipelines_dir"] = settings.pipelines_dir
    return dlt.pipeline(
        pipeline_name=pipeline_name(settings, plan),
        destination=plan.destination,
        dataset_name=settings.raw_schema,
        **kwargs,
    )


def destination_row_counts(pipeline: Pipeline) -> dict[str, int]:
    """Rows per raw table (child tables included) as the destination reports them."""
    schema = pipeline.default_schema if pipeline.default_schema_name else None
    if schema is None:
        return {}
    tables = sorted(schema.data_table_names(seen_data_only=True))
    if not tables:
        return {}
    # One UNION ALL query through dlt's SQL client (works for every DEST, filesystem included).
    counts: dict[str, int] = {}
    with pipeline.sql_client() as client:
        selects = [
            f"select '{table}' as t, count(*) as n from {client.make_qualified_table_name(table)}"
            for table in tables
        ]
        for name, count in client.execute_sql(" union all ".join(selects)) or []:
            counts[str(name)] = int(count)
    return {table: counts.get(table, 0) for table in tables}


def _load_all_at_once(pipeline: Pipeline, source: Any, full_refresh: bool) -> list[str]:
    """Merge-on-id endpoints that have no cursor yet (first load, or --full-refresh) are read
    completely this run: write them with "replace" instead of "merge", which skips dlt's staging
    copy and the delete/insert SQL of every table and child table. The cursor is still tracked,
    so the next run merges as usual. (A killed first load has no cursor either: it is replaced
    again.)"""
    resources_state = pipeline.state.get("sources", {}).get(source.name, {}).get("resources", {})
    initial = []
    for name, resource in source.resources.items():
        if resource.write_disposition != "merge":
            continue
        if full_refresh or not resources_state.get(name, {}).get("incremental"):
            resource.apply_hints(write_disposition="replace")
            initial.append(name)
    return initial


class ProgressPrinter:
    """Prints a progress line to stderr every few seconds while the run is going."""

    def __init__(self, ctx: HttpContext, every: float = 5.0, out: Any = None) -> None:
        self._ctx = ctx
        self._every = every
        self._out = out or sys.stderr
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="extract-progress", daemon=True)
        self._started = time.monotonic()
        self.phase = "extract"

    def __enter__(self) -> ProgressPrinter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=1)

    def line(self) -> str:
        p, s = self._ctx.progress, self._ctx.stats
        records = sum(p.records.values())
        return (
            f"[extract] {time.monotonic() - self._started:6.1f}s {self.phase}: "
            f"{records} records in {p.pages} pages, {s.requests} requests, "
            f"{s.rate_limited} x 429, waited {s.waited_seconds:.1f}s for the rate limit"
        )

    def _loop(self) -> None:
        while not self._stop.wait(self._every):
            print(self.line(), file=self._out, flush=True)


def source_args(settings: Settings, ctx: HttpContext) -> dict[str, Any]:
    """The source's arguments; with --skip-forbidden, the reference endpoints that answer 403
    are probed first and left out (a "replace" table with no rows would be emptied)."""
    args = settings.source_args()
    if settings.skip_forbidden:
        endpoints = catalogue(settings.api_version)
        for name in settings.resources:
            if endpoints[name].kind != "reference":
                continue
            result = probe(ctx, endpoints[name])
            if result.status == "forbidden":
                ctx.progress.skipped[name] = result.detail
        args["resources"] = [r for r in settings.resources if r not in ctx.progress.skipped]
    return args


def run_extract(
    settings: Settings, log: Callable[[str], None] = lambda m: print(m, file=sys.stderr)
) -> RunSummary:
    started = time.monotonic()
    # dlt runs parallelized resources in its extract thread pool; size it from our setting.
    os.environ["EXTRACT__WORKERS"] = str(settings.extract_workers)
    plan = plan_destination(settings)
    ctx = HttpContext.create(settings)
    pipeline = make_pipeline(settings, plan)
    summary = RunSummary(
        api_version=settings.api_version,
        dest=settings.dest,
        dataset=settings.raw_schema,
        resources=list(settings.resources),
        full_refresh=settings.full_refresh,
        pipeline_name=pipeline.pipeline_name,
    )
    log(
        f"[extract] Harvest {settings.api_version} at {settings.base_url} -> {settings.dest} "
        f"dataset {settings.raw_schema}, pipeline {pipeline.pipeline_name}: "
        f"{', '.join(settings.resources)}" + (" (full refresh)" if settings.full_refresh else "")
    )
    with ProgressPrinter(ctx) as progress:
        if pipeline.has_pending_data:
            # A previous run stopped after extracting: finish loading what it extracted.
            log("[extract] loading the pending data of an interrupted earlier run first")
            progress.phase = "pending load"
            try:
                info = pipeline.run()
                if info is not None:
                    summary.load_ids.extend(info.loads_ids)
            except Exception as exc:  # noqa: BLE001 - a package cut off by kill -9
                log(
                    "[extract] the interrupted run left an unusable package "
                    f"({type(exc).__name__}); discarding it: this run re-reads its window"
                )
        # The destination is the single source of truth for cursors: every run starts from the
        # state committed together with the last *complete* load (dlt stores it in the dataset
        # and restores it when the local working dir is gone). A run killed at any point can
        # leave local state ahead of the data; it is never used.
        pipeline = pipeline.drop()
        pipeline.sync_destination()
        repair_stored_cursors(pipeline, settings.resources, log)
        source = greenhouse(**source_args(settings, ctx), http=ctx)
        initial = _load_all_at_once(pipeline, source, settings.full_refresh)
        if initial:
            log(f"[extract] first load of {', '.join(initial)}: written directly (no merge)")
        progress.phase = "extract/normalize/load"
        if settings.full_refresh:
            info = pipeline.run(
                source, loader_file_format=plan.loader_file_format, refresh="drop_data"
            )
        else:
            info = pipeline.run(source, loader_file_format=plan.loader_file_format)
        summary.load_ids.extend(info.loads_ids)
        progress.phase = "counting rows"
        summary.rows = destination_row_counts(pipeline)
    summary.extracted = dict(sorted(ctx.progress.records.items()))
    summary.skipped = dict(ctx.progress.skipped)
    summary.failed = dict(sorted(ctx.progress.failed.items()))
    summary.windows = dict(sorted(ctx.progress.windows.items()))
    summary.http = ctx.stats.as_dict()
    summary.duration_seconds = time.monotonic() - started
    if summary.failed:
        # The other endpoints are loaded (and their cursors stored): show what landed, then
        # fail the run naming every endpoint that did not (they kept their rows and cursors).
        print_summary(summary.as_dict())
        raise EndpointsFailedError(summary.failed, summary.as_dict())
    return summary
