"""One extract run: settings -> dlt pipeline -> load -> row counts read back from DEST."""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import dlt
from dlt.pipeline.pipeline import Pipeline

from extract.declared_tables import create_declared_tables
from extract.destinations import DestinationPlan, plan_destination
from extract.endpoints import catalogue
from extract.errors import ConfigError, EndpointsFailedError
from extract.lock import destination_lock, run_lock
from extract.nul import nul_warnings
from extract.probe import probe
from extract.progress import Expected, LiveProgress
from extract.settings import GreenhouseConfig, Settings, raw_dataset
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
    duplicates_dropped: dict[str, int] = field(default_factory=dict)  # copies of a repeated id
    variant_columns: dict[str, list[str]] = field(default_factory=dict)  # table -> columns
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)  # see table_changes
    step_seconds: dict[str, float] = field(default_factory=dict)  # extract, normalize, load
    objects_as_lists: dict[str, list[str]] = field(default_factory=dict)  # table -> child tables
    scalars_as_objects: dict[str, list[str]] = field(default_factory=dict)  # table -> made of them
    created_empty: list[str] = field(default_factory=list)  # declared tables made with no rows
    held_back: dict[str, int] = field(default_factory=dict)  # records past the window end
    nul_stripped: dict[str, int] = field(default_factory=dict)  # table -> records cleaned

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
            "duplicates_dropped": self.duplicates_dropped,
            "variant_columns": self.variant_columns,
            "tables": self.tables,
            "step_seconds": self.step_seconds,
            "objects_as_lists": self.objects_as_lists,
            "scalars_as_objects": self.scalars_as_objects,
            "created_empty": self.created_empty,
            "held_back": self.held_back,
            "nul_stripped": self.nul_stripped,
        }


def pipeline_name(settings: Settings, plan: DestinationPlan) -> str:
    """``greenhouse_<version>_<dest>_<database>``, e.g. ``greenhouse_v3_postgres_analytics``:
    what ``dlt pipeline <name> info`` takes. The cursors themselves always come from the
    destination (see ``run_extract``), so two places never share state through a name."""
    return name_of(settings.api_version, settings.dest, plan, settings.raw_schema)


def name_of(api_version: str, dest: str, plan: DestinationPlan, dataset: str) -> str:
    """A raw dataset other than the default one (another Greenhouse account,
    ``GREENHOUSE_RAW_SCHEMA=greenhouse_raw_eu``) ends the name: each account then has its own
    dlt working dir (a pending load package of one account is never loaded into another's
    dataset) and its own lock, so two accounts can run side by side. The default dataset keeps
    the short name that earlier releases gave it."""
    name = f"greenhouse_{api_version}_{dest}_{plan.label}"
    if dataset != raw_dataset(GreenhouseConfig()):
        name += f"_{dataset}"
    return name


@contextmanager
def lock_for(api_version: str, dest: str, plan: DestinationPlan, dataset: str) -> Iterator[None]:
    """The locks a run holds for its whole length (``extract/lock.py``): this pipeline's
    working dir and this dataset of this destination, locally and (PostgreSQL) on the server."""
    with (
        run_lock(
            os.environ.get("GREENHOUSE_PIPELINES_DIR") or None,
            name_of(api_version, dest, plan, dataset),
            plan.identity,
            dataset,
        ),
        destination_lock(plan, dataset),
    ):
        yield


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


def remember_duckdb_file(pipeline: Pipeline, plan: DestinationPlan) -> None:
    """Keep the DuckDB file in the pipeline's local state, where dlt looks for it when the
    pipeline is attached by name alone (``dlt.pipeline(name).dataset()``, ``dlt pipeline <name>
    info``): without it dlt would open a new, empty ``./<name>.duckdb``. A file path is no
    secret; server credentials (PostgreSQL, ...) are never stored: dlt reads them from its
    config (``DESTINATION__POSTGRES__CREDENTIALS``, ``.dlt/secrets.toml``)."""
    if plan.identity.startswith("duckdb:"):
        pipeline.set_local_state_val("duckdb_database", plan.identity.removeprefix("duckdb:"))


VERSION_IN_PIPELINE_NAME = re.compile(r"^greenhouse_(v\d+)_")


def versions_in_dataset(pipeline: Pipeline) -> dict[str, str]:
    """API version -> pipeline name, of the greenhouse pipelines whose state the dataset holds
    (dlt commits each pipeline's state to ``_dlt_pipeline_state`` together with its data; the
    version is part of the name, see ``pipeline_name``). Empty for a new dataset."""
    from dlt.common.schema import Schema

    try:
        with pipeline.sql_client() as client:
            state_table = Schema(pipeline.pipeline_name).state_table_name
            table = client.make_qualified_table_name(state_table)
            rows = client.execute_sql(f"select distinct pipeline_name from {table}") or []
    except Exception:  # noqa: BLE001 - no state table yet (a new dataset): nothing to compare
        return {}
    found: dict[str, str] = {}
    for (name,) in rows:
        match = VERSION_IN_PIPELINE_NAME.match(str(name))
        if match:
            found.setdefault(match.group(1), str(name))
    return found


def check_dataset_version(pipeline: Pipeline, settings: Settings) -> None:
    """Refuse to load one API version into a dataset that holds the other: v1 and v3 records
    have different shapes (and partly different tables), so the raw tables would mix both and
    dbt would read one of them wrong. ``--full-refresh`` is no way out: it reloads only this
    version's tables and leaves the other version's tables and state in the dataset."""
    others = {v: n for v, n in versions_in_dataset(pipeline).items() if v != settings.api_version}
    if not others:
        return
    held = ", ".join(sorted(others))
    shapes = (
        f"dataset {settings.raw_schema} in DEST={settings.dest} holds Harvest {held} data "
        f"(pipeline {', '.join(sorted(others.values()))}); a {settings.api_version} run would mix "
        "both record shapes. "
    )
    if settings.api_version == "v3":  # Greenhouse retired v1: the way forward, named first
        raise ConfigError(
            shapes + f"To move to v3, give it a raw schema of its own: "
            f"GREENHOUSE_RAW_SCHEMA={settings.raw_schema}_v3 (a full v3 load; the staging models "
            f"and marts are rebuilt from it; drop {settings.raw_schema} once satisfied), or "
            "another GREENHOUSE_SCHEMA_PREFIX; or keep GREENHOUSE_API_VERSION=v1. "
            "--full-refresh does not separate them"
        )
    raise ConfigError(
        shapes + f"Either keep GREENHOUSE_API_VERSION={sorted(others)[0]}, or load "
        f"{settings.api_version} into another dataset with GREENHOUSE_SCHEMA_PREFIX (raw, staging "
        "and marts move together) or GREENHOUSE_RAW_SCHEMA; --full-refresh does not separate them"
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


def table_changes(
    pipeline: Pipeline,
    before: dict[str, int],
    after: dict[str, int],
    load_ids: list[str],
    replaced: set[str],
) -> dict[str, dict[str, Any]]:
    """Per top-level table: rows ``new`` and ``updated`` by this run, ``total`` after it, its
    ``child_rows`` (the nested tables under it, folded in) and whether it was ``replaced``.

    Counted in the destination: dlt stamps every top-level row with the ``_dlt_load_id`` of the
    load that wrote it. A merged table never loses rows, so ``new`` is its growth and
    ``updated`` the other rows this run wrote (re-read records of the lookback window
    included: the API cannot say they are unchanged). A replaced table (reference tables; any
    table on its first load or with --full-refresh) is rewritten whole: its rows are all new
    on a first load, otherwise only the change in its row count is known."""
    schema = pipeline.default_schema if pipeline.default_schema_name else None
    if schema is None or not after:
        return {}
    tops = [t for t in after if not schema.tables.get(t, {}).get("parent")]
    written: dict[str, int] = {}
    if load_ids and tops:
        ids = ", ".join(f"'{load_id}'" for load_id in load_ids)  # dlt's own ids: digits, dots
        with pipeline.sql_client() as client:
            selects = [
                f"select '{t}' as t, count(*) as n from {client.make_qualified_table_name(t)} "
                f"where _dlt_load_id in ({ids})"
                for t in tops
            ]
            for name, count in client.execute_sql(" union all ".join(selects)) or []:
                written[str(name)] = int(count)
    changes: dict[str, dict[str, Any]] = {}
    for table in sorted(tops):
        total, was = after[table], before.get(table, 0)
        children = [t for t in after if t.startswith(f"{table}__") and t not in tops]
        if table in replaced and was:
            new, updated = None, None  # rewritten whole: which rows are new is not known
        else:
            new = total - was
            updated = max(written.get(table, 0) - new, 0)
        changes[table] = {
            "new": new,
            "updated": updated,
            "total": total,
            "total_before": was,
            "replaced": table in replaced,
            "child_tables": len(children),
            "child_rows": sum(after[t] for t in children),
        }
    return changes


def variant_columns(pipeline: Pipeline) -> dict[str, list[str]]:
    """Table -> the variant columns dlt made in it (``<column>__v_<type>``) that hold values: a
    value whose type did not fit the declared one is kept there and its typed column is NULL for
    that row. Found in the schema; a variant column stays there once made, so the destination
    is asked (only then) whether any row still holds a value in it."""
    schema = pipeline.default_schema if pipeline.default_schema_name else None
    if schema is None:
        return {}
    made = [
        (table, name)
        for table in sorted(schema.data_table_names(seen_data_only=True))
        for name, column in schema.get_table_columns(table).items()
        if column.get("variant")
    ]
    return _holding_values(pipeline, made)


def objects_served_as_lists(pipeline: Pipeline, version: str) -> dict[str, list[str]]:
    """Table -> its child tables that stand for a field declared as an object (flattened into
    ``<field>__*`` columns, extract/v1_columns.json) and that hold rows: the field was served
    as a list, dlt kept it in ``<table>__<field>`` and the declared columns are NULL there."""
    from extract.source import column_types

    schema = pipeline.default_schema if pipeline.default_schema_name else None
    if schema is None:
        return {}
    tables = set(schema.data_table_names(seen_data_only=True))
    made = []
    for table, declared in sorted(column_types(version).items()):
        objects = {name.split("__", 1)[0] for name in declared if "__" in name}
        made += [(f"{table}__{field}", "*") for field in sorted(objects)]
    out: dict[str, list[str]] = {}
    for child in _holding_values(pipeline, [(t, c) for t, c in made if t in tables]):
        out.setdefault(child.split("__", 1)[0], []).append(child)
    return out


def scalars_served_as_objects(pipeline: Pipeline, version: str) -> dict[str, list[str]]:
    """Table -> what dlt made of a declared scalar column served as an object (``<column>__*``
    columns) or a list (child table ``<table>__<column>``), where that holds values: the
    declared column is NULL for those rows. (Declared timestamps never get here: such a record
    fails its endpoint before the load, ``source.check_timestamps``.)"""
    from extract.source import column_types

    schema = pipeline.default_schema if pipeline.default_schema_name else None
    if schema is None:
        return {}
    tables = set(schema.data_table_names(seen_data_only=True))
    made: list[tuple[str, str]] = []
    for table, declared in sorted(column_types(version).items()):
        if table not in tables:
            continue
        columns = schema.get_table_columns(table)
        for name, kind in declared.items():
            if kind == "json" or "__" in name:
                continue
            made += [
                (table, column)
                for column, hints in columns.items()
                if column.startswith(f"{name}__")
                and column not in declared
                and not hints.get("variant")
            ]
            if f"{table}__{name}" in tables:
                made.append((f"{table}__{name}", "*"))
    found = _holding_values(pipeline, made)
    out: dict[str, list[str]] = {}
    for table, columns in found.items():
        parent = table.split("__", 1)[0]
        out.setdefault(parent, []).extend(table if c == "*" else c for c in columns)
    return {table: sorted(found) for table, found in sorted(out.items())}


SCALAR_AS_OBJECT = (
    "a scalar column served as an object or a list, kept in {made}; the declared column is "
    "NULL for those rows"
)


OBJECT_AS_LIST = (
    "an object served as a list, kept in child table {child}; the object's columns are NULL "
    "for those rows"
)


def _holding_values(pipeline: Pipeline, columns: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Table -> those of the given (table, column) pairs that hold a value in some row
    (``*``: the table has rows), in one query."""
    if not columns:
        return {}
    found: dict[str, list[str]] = {}
    with pipeline.sql_client() as client:
        selects = [
            f"select '{table}' as t, '{name}' as c, "
            f"count({'*' if name == '*' else client.escape_column_name(name)}) "
            f"as n from {client.make_qualified_table_name(table)}"
            for table, name in columns
        ]
        for table, name, count in client.execute_sql(" union all ".join(selects)) or []:
            if int(count):
                found.setdefault(str(table), []).append(str(name))
    return {table: sorted(names) for table, names in sorted(found.items())}


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


class KeepLastCopy:
    """A step of every resource: the last copy of each primary key seen in this run wins. The
    API can list a record twice (a record inserted or changed between two page reads shifts
    the pages), the later copy being the fresher one. Within a page the earlier copies are
    dropped; a key already written from an earlier page is not written again in this load
    (that page is in the load package already, and neither "replace" nor dlt's merge, which
    keeps an arbitrary copy of a key, would pick the later one): its later copy is kept aside
    and merged right after the load (``Deduplication.load_later_copies``). Only the keys and
    the repeated records are kept in memory."""

    def __init__(self, resource: str, key: str, dedup: Deduplication) -> None:
        self.resource = resource
        self.key = key
        self.dedup = dedup
        self.seen: set[Any] = set()

    def __call__(self, items: Any, meta: Any = None) -> Any:
        page = items if isinstance(items, list) else [items]
        keys = [item.get(self.key) if isinstance(item, dict) else None for item in page]
        last = {key: index for index, key in enumerate(keys) if key is not None}
        kept = []
        for index, (item, key) in enumerate(zip(page, keys, strict=True)):
            if key is None:
                kept.append(item)
            elif last[key] != index:
                continue  # a later copy follows on this page
            elif key in self.seen:
                self.dedup.later_copy(self.resource, key, item)
            else:
                self.seen.add(key)
                kept.append(item)
        if len(kept) < len(page):
            self.dedup.count(self.resource, len(page) - len(kept))
        return kept if kept else None


@dataclass
class Deduplication:
    """The duplicate ids of one run: how many copies were left out (resource -> count) and the
    later copies of keys already written (resource -> key -> record)."""

    dropped: dict[str, int] = field(default_factory=dict)
    later: dict[str, dict[Any, Any]] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def attach(self, source: Any, keys: dict[str, str]) -> None:
        """Add ``KeepLastCopy`` to the source's resources (name -> primary key)."""
        self.keys.update(keys)
        for name, key in keys.items():
            source.resources[name].add_step(KeepLastCopy(name, key, self))

    def count(self, resource: str, copies: int) -> None:
        with self._lock:  # resources are extracted in parallel
            self.dropped[resource] = self.dropped.get(resource, 0) + copies

    def later_copy(self, resource: str, key: Any, item: Any) -> None:
        with self._lock:
            self.later.setdefault(resource, {})[key] = item

    def load_later_copies(self, pipeline: Pipeline, source: Any, **run_args: Any) -> list[str]:
        """Merge the later copies into their tables (child tables follow their root row), in a
        second load of this run; nothing is loaded when no key repeated across pages. The
        resources carry their table and column hints, not their cursors: the load's cursors
        are already stored with the first load. Returns the load ids."""
        if not self.later:
            return []
        resources = []
        for name, copies in sorted(self.later.items()):
            original = source.resources[name]
            resources.append(
                dlt.resource(
                    list(copies.values()),
                    name=f"{name}_later_copies",
                    table_name=original.table_name,
                    write_disposition="merge",
                    primary_key=self.keys[name],
                    columns=original.columns,
                    nested_hints=original.nested_hints,
                )
            )
        info = pipeline.run(resources, schema=pipeline.default_schema, **run_args)
        return list(info.loads_ids)


def expected_records(
    pipeline: Pipeline, settings: Settings, full_reads: list[str], held: dict[str, int]
) -> dict[str, Expected]:
    """What the live progress counts down to, where a number is honest: an endpoint read in
    full returns about the rows its table holds; an incremental read about what the previous
    run read (the run history, which dlt's state does not keep: it holds cursors, not counts)."""
    from extract.history import last_records_by_endpoint

    expected: dict[str, Expected] = {}
    last = last_records_by_endpoint(pipeline)
    for name in settings.resources:
        if name in full_reads and held.get(name):
            expected[name] = Expected(held[name], f"in {settings.dest}")
        elif name not in full_reads and last.get(name):
            expected[name] = Expected(last[name], "last run")
    return expected


def progress_interval() -> float:
    """``ELT_PROGRESS_SECONDS``: seconds between plain progress lines (default 5)."""
    text = os.environ.get("ELT_PROGRESS_SECONDS") or "5"
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise ConfigError(
            f"ELT_PROGRESS_SECONDS={text!r} is no positive number of seconds; "
            "set it to e.g. 5, or leave it unset"
        )
    return seconds


def request_paths(settings: Settings) -> dict[str, str]:
    """Resource -> the path its requests go to, as the rate limiter counts waits."""
    root = urlsplit(settings.base_url).path.rstrip("/")
    endpoints = catalogue(settings.api_version)
    version = settings.api_version
    return {name: f"{root}/{version}/{endpoints[name].path}" for name in settings.resources}


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
    settings: Settings,
    log: Callable[[str], None] = lambda m: print(m, file=sys.stderr),
    ctx: HttpContext | None = None,
) -> RunSummary:
    """The incremental read of every selected endpoint, normalized and loaded. ``ctx``: the
    run's HTTP context when something else (the deletion sweep) sends requests after this in
    the same rate budget."""
    started = time.monotonic()
    # dlt runs parallelized resources in its extract thread pool; size it from our setting.
    os.environ["EXTRACT__WORKERS"] = str(settings.extract_workers)
    plan = plan_destination(settings)
    ctx = ctx or HttpContext.create(settings)
    pipeline = make_pipeline(settings, plan)
    check_dataset_version(pipeline, settings)
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
    with LiveProgress(ctx, request_paths(settings), every=progress_interval()) as progress:
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
        remember_duckdb_file(pipeline, plan)
        # The source drops a bad stored cursor itself when dlt binds it; doing it here first
        # lets such an endpoint be written directly, like a first load (_load_all_at_once).
        repair_stored_cursors(pipeline, settings.resources, log)
        # This runner loads the endpoints that were read and then raises for the failed ones
        # (EndpointsFailedError below), instead of the source failing dlt's extract step.
        ctx.raise_failures = False
        ctx.log = log
        source = greenhouse(**source_args(settings, ctx), http=ctx)
        initial = _load_all_at_once(pipeline, source, settings.full_refresh)
        if initial:
            log(f"[extract] first load of {', '.join(initial)}: written directly (no merge)")
        endpoints = catalogue(settings.api_version)
        replaced = {
            name: endpoints[name].primary_key
            for name in source.resources
            if name in initial or endpoints[name].kind == "reference"
        }
        dedup = Deduplication()
        dedup.attach(source, {name: endpoints[name].primary_key for name in source.resources})
        before = destination_row_counts(pipeline)
        progress.expected = expected_records(pipeline, settings, list(replaced), before)
        # dlt's three steps one by one (what pipeline.run does once state is synced), so that
        # normalize and load show as steps of their own
        progress.phase = "extract"
        refresh: Any = "drop_data" if settings.full_refresh else None
        pipeline.extract(source, loader_file_format=plan.loader_file_format, refresh=refresh)
        progress.phase = "normalize"
        pipeline.normalize()
        progress.phase = "load"
        info = pipeline.load()
        summary.load_ids.extend(info.loads_ids)
        summary.load_ids.extend(
            dedup.load_later_copies(pipeline, source, loader_file_format=plan.loader_file_format)
        )
        dropped = dict(dedup.dropped)  # by the runner's step, and by the source itself
        for name, copies in ctx.progress.duplicates.items():
            dropped[name] = dropped.get(name, 0) + copies
        summary.duplicates_dropped = dict(sorted(dropped.items()))
        summary.created_empty = create_declared_tables(
            pipeline,
            settings.api_version,
            list(settings.resources),
            loader_file_format=plan.loader_file_format,
        )
        progress.phase = "counting rows"
        summary.rows = destination_row_counts(pipeline)
        replaced_now = set(replaced) - set(ctx.progress.failed)
        summary.tables = table_changes(
            pipeline, before, summary.rows, summary.load_ids, replaced_now
        )
        summary.variant_columns = variant_columns(pipeline)
        summary.objects_as_lists = objects_served_as_lists(pipeline, settings.api_version)
        summary.scalars_as_objects = scalars_served_as_objects(pipeline, settings.api_version)
    summary.step_seconds = progress.step_seconds()
    summary.extracted = dict(sorted(ctx.progress.records.items()))
    summary.skipped = dict(ctx.progress.skipped)
    summary.failed = dict(sorted(ctx.progress.failed.items()))
    summary.windows = dict(sorted(ctx.progress.windows.items()))
    summary.held_back = dict(sorted(ctx.progress.held_back.items()))
    summary.nul_stripped = {t: f.records for t, f in sorted(ctx.progress.nul.tables.items())}
    summary.http = ctx.stats.as_dict()
    summary.duration_seconds = time.monotonic() - started
    for name, count in sorted(summary.duplicates_dropped.items()):
        log(f"[extract] {name}: {count} duplicate id(s) in the API's pages, the last copy kept")
    for name, count in summary.held_back.items():
        log(
            f"[extract] {name}: {count} record(s) changed after the window end "
            f"{summary.windows.get(name, {}).get('to')} (now - GREENHOUSE_SETTLE_SECONDS) "
            "are left for the next run"
        )
    for line in nul_warnings(ctx.progress.nul):
        log(line)
    for table, columns in summary.variant_columns.items():
        log(
            f"warning: {', '.join(f'{table}.{c}' for c in columns)}: values of an unexpected type "
            "kept in a variant column; the typed column is NULL for those rows"
        )
    for table, children in summary.objects_as_lists.items():
        for child in children:
            log(f"warning: {table}.{child.split('__', 1)[1]}: {OBJECT_AS_LIST.format(child=child)}")
    for table, made in summary.scalars_as_objects.items():
        for name in made:
            log(f"warning: {table}: {SCALAR_AS_OBJECT.format(made=name)}")
    if summary.failed:
        # The other endpoints are loaded (and their cursors stored): show what landed, then
        # fail the run naming every endpoint that did not (they kept their rows and cursors).
        print_summary(summary.as_dict())
        raise EndpointsFailedError(summary.failed, summary.as_dict())
    return summary
