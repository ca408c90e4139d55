"""The deletion sweep: rows of merged raw tables whose record is gone from Greenhouse get
``_greenhouse_deleted_at``; a row whose record is listed again gets it cleared.

Harvest (v3 and v1) has no deletion feed, and an incremental read only sees records that
changed, so a deleted record would stay in its merged raw table for ever. The sweep lists every
id of each incremental endpoint of the run (``per_page=500``, the maximum; neither version can
leave fields out of a list), compares them with the ids in the raw table, and marks the
difference. Rows are kept, not dropped, so
history survives; the staging models leave marked rows out (``greenhouse_not_deleted``).
Child tables of v1 parents (``applications__jobs``, ``jobs__openings``, ...) follow their
root row.

Safety: every id set is complete before anything is written (an endpoint whose listing failed
marks nothing), and all marks of a sweep are one transaction, so a sweep killed at any point
marks nothing wrongly; the next sweep does the whole job again. A listing that cannot be
trusted (``untrusted``: empty, cut off, short of v1's ``rel="last"``, or marking more than
``GREENHOUSE_SWEEP_DELETES_MAX_SHARE`` of a table) marks nothing in its table, nor does one with
an id that is no integer: a proxy or gateway that drops pages would otherwise wipe the table.

Why the destination's SQL client and not a dlt load: a dlt merge of ``(id,
_greenhouse_deleted_at)`` rows would replace each whole row with that pair (delete-insert), and
dlt's upsert rewrites every column of the table; dlt has no load that updates one column of rows
it keeps. The column is not in dlt's schema, so a record that comes back through an incremental
merge is re-inserted without it: unmarked, as it should be.

Requests go through the extract's ``HttpContext`` (dlt's RESTClient, the shared rate limiter of
``throttle.py``; after an extract in the same run, that extract's own context, which knows what
the window holds already), and are counted separately from the extract's, in the run summary.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dlt.common.schema.utils import get_nested_tables
from dlt.pipeline.pipeline import Pipeline
from rich import box
from rich.console import Console
from rich.table import Table

from extract import history, messages
from extract.destinations import plan_destination
from extract.endpoints import Endpoint, catalogue
from extract.errors import BadKeyValueError, ConfigError, SweepFailedError
from extract.history import TABLE
from extract.pagination import last_page_number
from extract.pipeline import make_pipeline, pipeline_name
from extract.settings import PER_PAGE, Settings
from extract.source import (
    ENDPOINT_FAILURES,
    HttpContext,
    as_key,
    failure_reason,
    response_checker,
)
from extract.summary import print_summary

COLUMN = "_greenhouse_deleted_at"
# One row per sweep that swept every table it listed (the every-Nth-run counter): a sweep with a
# failed or refused listing writes none, so the next run sweeps again instead of waiting N runs.
SWEEPS_TABLE = "_greenhouse_sweeps"
# dlt's own destination type for its "timestamp" data type, per DEST
TIMESTAMP_TYPE = {
    "duckdb": "timestamp with time zone",
    "postgres": "timestamp with time zone",
    "snowflake": "timestamp_tz",
    "bigquery": "timestamp",
}
ID_CHUNK = 1000  # ids per `in (...)` list of an update


@dataclass
class TableSweep:
    listed: int = 0  # ids the API lists
    in_raw: int = 0  # rows of the raw table
    marked: int = 0  # marked by this sweep
    unmarked: int = 0  # listed again: mark cleared by this sweep
    marked_total: int = 0  # rows marked after this sweep


@dataclass
class SweepResult:
    swept_at: str
    tables: dict[str, TableSweep] = field(default_factory=dict)
    child_tables: dict[str, int] = field(default_factory=dict)  # child table -> rows marked
    failed: dict[str, str] = field(default_factory=dict)
    http: dict[str, Any] = field(default_factory=dict)
    duration_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "swept_at": self.swept_at,
            "tables": {name: vars(t) for name, t in sorted(self.tables.items())},
            "child_tables_marked": dict(sorted(self.child_tables.items())),
            "failed_endpoints": dict(sorted(self.failed.items())),
            **self.http,
            "duration_seconds": round(self.duration_seconds, 2),
        }


@dataclass
class Listing:
    """The ids an endpoint lists now, and what its pages say about whether that is all."""

    ids: set[int] = field(default_factory=set)
    last_page: int = 0  # records on the last page read (the one without a next link)
    promised: int = 0  # v1: records at least, by the first page's rel="last" (0: no promise)


def untrusted(listing: Listing, live: int, gone: int, max_share: float | None) -> str | None:
    """Why a listing must not mark ``gone`` of a table's ``live`` (unmarked) rows, or None.
    ``max_share`` None (--force): no bound on the share. A listing that marks nothing can only
    unmark rows whose records it lists: always trusted."""
    if not gone:
        return None
    listed = len(listing.ids)
    if not listed:
        return f"the API listed no ids, but the raw table holds {live:,} unmarked rows"
    if listed < listing.promised:
        return (
            f"the API listed {listed:,} ids, fewer than the {listing.promised:,} at least "
            'that its rel="last" link promises: the listing is cut off'
        )
    if listing.last_page >= PER_PAGE:
        return (
            f"the listing ends with a full page ({PER_PAGE} ids) without a next link: it may "
            "be cut off"
        )
    if max_share is not None and gone > max_share * live:
        return (
            f"it would mark {gone:,} of {live:,} unmarked rows ({gone / live:.0%}), more than "
            f"GREENHOUSE_SWEEP_DELETES_MAX_SHARE={max_share:g} (--force if they were deleted)"
        )
    return None


def _listed_id(request: str, key: str, record: Any) -> int:
    """The record's id as the extract reads keys (``as_key``); a listing with a record that has
    none cannot say which rows are gone."""
    value = record.get(key) if isinstance(record, dict) else None
    found = as_key(value)
    if found is None:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "..."
        what = f"{key} {shown}, which is not an integer id" if value is not None else f"no {key}"
        raise BadKeyValueError(f"{request} listed a record with {what}; nothing marked")
    return found


def list_ids(ctx: HttpContext, endpoint: Endpoint) -> Listing:
    """Every id the endpoint lists now, ``per_page=500``. Not v1's ``skip_count=true``: it
    would drop the rel="last" link, the one count the listing can be checked against."""
    settings = ctx.settings
    check = response_checker(settings, endpoint, ctx.stats)
    request = f"GET /{settings.api_version}/{endpoint.path}"
    listing = Listing()
    for number, page in enumerate(
        ctx.rest_client().paginate(
            endpoint.path, params={"per_page": PER_PAGE}, hooks={"response": [check]}
        )
    ):
        if number == 0:
            pages = last_page_number(page.response)
            listing.promised = (pages - 1) * PER_PAGE + 1 if pages else 0
        listing.ids.update(_listed_id(request, endpoint.primary_key, r) for r in page)
        listing.last_page = len(page)
    return listing


def swept_endpoints(settings: Settings, pipeline: Pipeline) -> list[Endpoint]:
    """The run's incremental endpoints whose raw table holds data."""
    if not pipeline.default_schema_name:
        return []
    loaded = set(pipeline.default_schema.data_table_names(seen_data_only=True))
    endpoints = catalogue(settings.api_version)
    return [
        endpoints[name]
        for name in settings.resources
        if endpoints[name].kind == "incremental" and name in loaded
    ]


def _listings(
    ctx: HttpContext, endpoints: list[Endpoint], result: SweepResult
) -> dict[str, Listing]:
    """Complete id sets per endpoint, read in parallel within one rate budget; an endpoint that
    fails is left out (its table is not swept) and named in ``result.failed``."""

    def one(endpoint: Endpoint) -> tuple[str, Listing | None]:
        try:
            return endpoint.name, list_ids(ctx, endpoint)
        except ENDPOINT_FAILURES as exc:
            result.failed[endpoint.name] = failure_reason(exc)
            return endpoint.name, None

    workers = max(1, min(ctx.settings.extract_workers, len(endpoints)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sweep") as pool:
        pairs = list(pool.map(one, endpoints))
    return {name: ids for name, ids in pairs if ids is not None}


def _chunks(ids: list[int]) -> Iterator[str]:
    for start in range(0, len(ids), ID_CHUNK):
        yield ", ".join(str(int(i)) for i in ids[start : start + ID_CHUNK])


def _ensure_tables(client: Any, dest: str, tables: list[str]) -> None:
    """The mark column on every swept table and the sweeps table (idempotent; before the marks'
    transaction, since some warehouses commit DDL on their own)."""
    ts = TIMESTAMP_TYPE[dest]
    column = client.escape_column_name(COLUMN)
    for table in tables:
        name = client.make_qualified_table_name(table)
        client.execute_sql(f"alter table {name} add column if not exists {column} {ts}")
    sweeps = client.make_qualified_table_name(SWEEPS_TABLE)
    client.execute_sql(
        f"create table if not exists {sweeps} (swept_at {ts} not null, api_version "
        f"{'string' if dest == 'bigquery' else 'varchar(8)'}, marked bigint)"
    )


def _mark_sql(client: Any, table: str, ids: list[int], value: str) -> list[str]:
    name = client.make_qualified_table_name(table)
    column = client.escape_column_name(COLUMN)
    return [f"update {name} set {column} = {value} where id in ({part})" for part in _chunks(ids)]


def _child_sql(client: Any, root: str, child: str, stamp: str) -> list[str]:
    """A child table follows its root row (``_dlt_root_id`` -> the root's ``_dlt_id``)."""
    column = client.escape_column_name(COLUMN)
    parent, nested = client.make_qualified_table_name(root), client.make_qualified_table_name(child)
    return [
        f"update {nested} set {column} = {stamp} where {column} is null and _dlt_root_id in "
        f"(select _dlt_id from {parent} where {column} is not null)",
        f"update {nested} set {column} = null where {column} is not null and _dlt_root_id in "
        f"(select _dlt_id from {parent} where {column} is null)",
    ]


def apply_marks(
    pipeline: Pipeline, settings: Settings, listed: dict[str, Listing], result: SweepResult
) -> None:
    """Compare, then write every mark of this sweep in one transaction; a table whose listing
    cannot be trusted (``untrusted``) is left as it is and named in ``result.failed``."""
    dest = settings.dest
    stamp = f"cast('{result.swept_at}' as {TIMESTAMP_TYPE[dest]})"
    schema = pipeline.default_schema
    children = {
        root: [str(t["name"]) for t in get_nested_tables(schema.tables, root)[1:]]
        for root in listed
    }
    with pipeline.sql_client() as client:
        _ensure_tables(client, dest, [*listed, *(c for cs in children.values() for c in cs)])
        statements: list[str] = []
        column = client.escape_column_name(COLUMN)
        max_share = None if settings.sweep_force else settings.sweep_deletes_max_share
        for table, listing in sorted(listed.items()):
            rows = client.execute_sql(
                f"select id, {column} is not null from {client.make_qualified_table_name(table)}"
            )
            raw = {int(i): bool(marked) for i, marked in rows or []}
            ids = listing.ids
            gone = sorted(i for i, marked in raw.items() if not marked and i not in ids)
            back = sorted(i for i, marked in raw.items() if marked and i in ids)
            marked_before = sum(raw.values())
            problem = untrusted(listing, len(raw) - marked_before, len(gone), max_share)
            if problem:
                result.failed[table] = problem
                continue
            statements += _mark_sql(client, table, gone, stamp)
            statements += _mark_sql(client, table, back, "null")
            for child in children[table]:
                statements += _child_sql(client, table, child, stamp)
            result.tables[table] = TableSweep(
                listed=len(ids),
                in_raw=len(raw),
                marked=len(gone),
                unmarked=len(back),
                marked_total=marked_before + len(gone) - len(back),
            )
        if not result.failed:
            total = sum(t.marked for t in result.tables.values())
            sweeps = client.make_qualified_table_name(SWEEPS_TABLE)
            statements.append(
                f"insert into {sweeps} (swept_at, api_version, marked) "
                f"values ({stamp}, '{settings.api_version}', {total})"
            )
        with client.begin_transaction():
            for statement in statements:
                client.execute_sql(statement)
        for table in result.tables:
            for child in children[table]:
                rows = client.execute_sql(
                    f"select count(*) from {client.make_qualified_table_name(child)} "
                    f"where {column} is not null"
                )
                result.child_tables[child] = int(rows[0][0]) if rows else 0


@contextmanager
def restored_pipeline(settings: Settings) -> Iterator[Pipeline]:
    """The extract's pipeline with its schema restored from the destination."""
    if settings.dest not in TIMESTAMP_TYPE:
        why = (
            "keeps raw files"
            if settings.dest == "filesystem"
            # the mark column is added with `alter table ... add column if not exists`
            else "has no `add column if not exists`"
        )
        raise ConfigError(
            f"--sweep-deletes needs a SQL destination (DEST={settings.dest} {why}); "
            f"use one of {', '.join(TIMESTAMP_TYPE)}"
        )
    pipeline = make_pipeline(settings, plan_destination(settings)).drop()
    pipeline.sync_destination()
    yield pipeline


def sweep(
    settings: Settings,
    log: Callable[[str], None] = lambda m: print(m, file=sys.stderr),
    ctx: HttpContext | None = None,
) -> SweepResult:
    """One deletion sweep of the run's incremental tables (see the module docstring). ``ctx``:
    the extract's, when the sweep follows it in the same run: its rate limiter knows what the
    extract spent of the window (a fresh one would start as if nothing had been sent)."""
    started = time.monotonic()
    result = SweepResult(swept_at=datetime.now(UTC).isoformat(timespec="milliseconds"))
    with restored_pipeline(settings) as pipeline:
        endpoints = swept_endpoints(settings, pipeline)
        log(f"[sweep] listing the ids of {', '.join(e.name for e in endpoints) or 'no table'}")
        ctx = ctx or HttpContext.create(settings)
        before = ctx.stats.as_dict()
        listed = _listings(ctx, endpoints, result)
        result.http = ctx.stats.since(before)  # a shared context: less the extract's
        if listed:
            apply_marks(pipeline, settings, listed, result)
    result.duration_seconds = time.monotonic() - started
    return result


def sweep_only(settings: Settings) -> dict[str, Any]:
    """``elt extract --sweep-deletes``: the sweep's summary (the top-level request counters are
    the sweep's, for the run history); fails like an extract when an endpoint could not be
    listed (the other tables are swept)."""
    result = sweep(settings)
    summary = {
        "api_version": settings.api_version,
        "dest": settings.dest,
        "dataset": settings.raw_schema,
        "pipeline_name": pipeline_name(settings, plan_destination(settings)),
        **result.http,
        "deletion_sweep": result.as_dict(),
    }
    if result.failed:
        show(summary)
        raise SweepFailedError(result.failed, summary, after_extract=False)
    return summary


def runs_since_last_sweep(pipeline: Pipeline, dest: str) -> int:
    """Successful extract runs of this pipeline since the last sweep, this one included: the
    run history (``elt_runs``, written after each stage) counted after the last row of
    ``_greenhouse_sweeps``."""
    with pipeline.sql_client() as client:
        runs = client.make_qualified_table_name(TABLE)
        sweeps = client.make_qualified_table_name(SWEEPS_TABLE)
        try:
            rows = client.execute_sql(f"select max(swept_at) from {sweeps}")
            last = rows[0][0] if rows else None
        except Exception:  # noqa: BLE001 - no sweep yet: the sweeps table does not exist
            last = None
        since = ""
        if last is not None:
            since = f" and started_at > cast('{last.isoformat()}' as {TIMESTAMP_TYPE[dest]})"
        try:
            rows = client.execute_sql(
                f"select count(*) from {runs} where stage = 'extract' and exit_code = 0 "
                f"and pipeline_name = '{pipeline.pipeline_name}'{since}"
            )
        except Exception:  # noqa: BLE001 - no run recorded yet: no history table
            rows = [(0,)]
        return 1 + (int(rows[0][0]) if rows else 0)


def sweep_if_due(
    settings: Settings, summary: dict[str, Any], ctx: HttpContext | None = None
) -> dict[str, Any]:
    """After an extract: sweep when ``GREENHOUSE_SWEEP_DELETES_EVERY`` is N and this is the Nth
    successful extract since the last sweep (counted in the run history in the destination,
    so a restarted scheduler, or another machine, counts the same runs)."""
    every = settings.sweep_deletes_every
    if not every or settings.dest not in TIMESTAMP_TYPE:
        return summary
    if not history.enabled():
        print(
            "warning: GREENHOUSE_SWEEP_DELETES_EVERY counts runs in the run history, which "
            "ELT_RUN_HISTORY turns off: no sweep (run elt extract --sweep-deletes instead)",
            file=sys.stderr,
        )
        return summary
    with restored_pipeline(settings) as pipeline:
        due = runs_since_last_sweep(pipeline, settings.dest) >= every
    if not due:
        return summary
    result = sweep(settings, ctx=ctx)
    summary = {**summary, "deletion_sweep": result.as_dict()}
    if result.failed:
        show(summary)
        raise SweepFailedError(result.failed, summary, after_extract=True)
    return summary


def show(summary: dict[str, Any], console: Console | None = None) -> None:
    """The extract's summary (when there was an extract), then the sweep's (when there was one)."""
    console = console or messages.console()
    if "rows" in summary:
        print_summary(summary, console)
    swept = summary.get("deletion_sweep")
    if not swept:
        return
    table = Table(
        title=f"Deletion sweep at {swept['swept_at']}", title_justify="left", box=box.SIMPLE_HEAD
    )
    for name in ("table", "listed by the API", "rows in raw", "marked now", "unmarked", "marked"):
        table.add_column(name, justify="left" if name == "table" else "right", no_wrap=True)
    for name, t in swept["tables"].items():
        table.add_row(
            name,
            *(f"{t[k]:,}" for k in ("listed", "in_raw", "marked", "unmarked", "marked_total")),
        )
    console.print(table)
    console.print(
        f"sweep: HTTP requests: {swept['requests']:,}; 429s: {swept['rate_limited_429']}; "
        f"waited for rate limit: {swept['rate_limit_wait_seconds']}s; "
        f"duration: {swept['duration_seconds']}s",
        highlight=False,
    )
