"""``elt check``: everything ``elt run`` needs, tried before any data moves.

One row per check: the credentials (a token request), every selected endpoint (one
``per_page=1`` request each: ok, 403 with the scope to grant, 404, error), every readable
incremental endpoint's window filter (one request for a window in the future: nothing may come
back), the destination
(reachable and writable: a scratch table created and dropped in the raw schema) and the dbt
profile (``dbt debug``), the raw dataset (the other API version's data, which ``elt run``
refuses; variant columns: values of an unexpected type an earlier run kept, a warning), with
several accounts every other account's raw tables, and per mart the raw tables it is built
from or why it will be empty (an endpoint not selected, forbidden and skipped, or with no
records yet, and no rows of an earlier run: ``empty``, not a failure, as ``elt run`` builds
it). Exit 0 only if every row is fine, that is when ``elt run`` can start.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table

from extract import messages
from extract.destinations import DestinationPlan, plan_destination, sql_client
from extract.endpoints import catalogue, default_resources
from extract.errors import AuthenticationError, ExtractError
from extract.handoff import dbt_environment
from extract.messages import one_line
from extract.probe import ProbeResult, probe
from extract.settings import Settings, resolve_source_config
from extract.source import HttpContext, _utc, _window_params, response_checker

STYLE = {"ok": "green", "skipped": "yellow", "warning": "yellow", "empty": "yellow"}


@dataclass(frozen=True)
class Row:
    check: str
    # ok, skipped (allowed to fail: --skip-forbidden), warning (variant columns), empty (a mart
    # the run will build with no rows), forbidden, not found, error
    status: str
    detail: str = ""
    reads_nothing: str = ""  # an endpoint row: why the run will land no rows from it

    @property
    def fine(self) -> bool:
        return self.status in ("ok", "skipped", "warning", "empty")


def check_credentials(ctx: HttpContext) -> Row:
    settings = ctx.settings
    if settings.api_version == "v1":
        return Row("credentials (v1 API key)", "ok", "checked by the endpoint requests below")
    try:
        ctx.auth.obtain_token()
    except ExtractError as exc:
        return Row("credentials (v3 token)", "error", one_line(exc, limit=300))
    return Row("credentials (v3 token)", "ok", f"token issued by {settings.auth_url}")


def check_endpoints(ctx: HttpContext) -> list[Row]:
    settings = ctx.settings
    endpoints = catalogue(settings.api_version)

    def one(name: str) -> Row:
        try:
            result: ProbeResult = probe(ctx, endpoints[name])
        except AuthenticationError as exc:
            return Row(f"endpoint {name}", "error", one_line(exc, limit=300))
        except Exception as exc:  # noqa: BLE001 - any failure is this endpoint's row
            from extract.messages import describe_failure

            return Row(f"endpoint {name}", "error", describe_failure(exc, settings.secrets)[0])
        status = result.status.replace("_", " ")
        nothing = "with no records yet" if result.empty else ""
        if status == "forbidden" and settings.skip_forbidden:
            status, nothing = "skipped", "forbidden to the credentials"
        return Row(f"endpoint {name}", status, result.detail, nothing)

    with ThreadPoolExecutor(max_workers=settings.extract_workers) as pool:
        return list(pool.map(one, settings.resources))


# How far ahead the window of the filter check starts: past any record and any clock skew.
FUTURE_WINDOW = timedelta(days=1)


def check_window_filters(ctx: HttpContext, names: list[str]) -> list[Row]:
    """One request per incremental endpoint with a window that starts tomorrow: no record can
    lie in it, so any record that comes back means the API ignored the filter (Harvest v3
    answers 200 to a filter it does not understand). Every incremental run would then re-read
    everything and fail on records newer than the window end."""
    settings = ctx.settings
    endpoints = catalogue(settings.api_version)
    start = datetime.now(UTC) + FUTURE_WINDOW
    bounds = (_utc(start), _utc(start + FUTURE_WINDOW))

    def one(name: str) -> Row:
        endpoint = endpoints[name]
        window = _window_params(settings, endpoint, *bounds)
        shown = "&".join(f"{k}={v}" for k, v in window.items())
        request = f"GET /{settings.api_version}/{endpoint.path}?{shown}"
        try:
            response = ctx.rest_client().get(
                endpoint.path,
                params={"per_page": 1, **window},
                hooks={"response": [response_checker(settings, endpoint)]},
            )
            records = response.json()
        except Exception as exc:  # noqa: BLE001 - any failure is this endpoint's row
            from extract.messages import describe_failure

            return Row(f"window {name}", "error", describe_failure(exc, settings.secrets)[0])
        if not records:
            return Row(f"window {name}", "ok", f"{request}: nothing, as it should")
        first = records[0] if isinstance(records[0], dict) else {}
        return Row(
            f"window {name}",
            "error",
            f"{request} (a window in the future) returned record id {first.get('id')} "
            f"({endpoint.cursor} {first.get(endpoint.cursor)}): the API ignores the window "
            "filter, so every incremental run would re-read everything and fail on records "
            "newer than the window end; report it to Greenhouse support with this request",
        )

    incremental = [name for name in names if endpoints[name].kind == "incremental"]
    with ThreadPoolExecutor(max_workers=settings.extract_workers) as pool:
        return list(pool.map(one, incremental))


def check_destination(settings: Settings) -> tuple[Row, DestinationPlan | None]:
    label = f"destination {settings.dest}"
    try:
        plan = plan_destination(settings)
    except ExtractError as exc:
        return Row(label, "error", one_line(exc, limit=300)), None
    except OSError as exc:
        detail = f"cannot write DUCKDB_PATH={settings.duckdb_path} ({exc.strerror})"
        return Row(label, "error", detail), None
    if settings.dest == "filesystem":
        return Row(label, "ok", f"{plan.identity} (files: written by the extract)"), plan
    scratch_table = f"_elt_check_{uuid.uuid4().hex[:8]}"
    try:
        with sql_client(plan, settings.raw_schema) as client:
            created = not client.has_dataset()
            if created:
                client.create_dataset()
            table = client.make_qualified_table_name(scratch_table)
            client.execute_sql(f"create table {table} (id integer)")
            client.execute_sql(f"drop table {table}")
            if created:
                client.drop_dataset()
    except Exception as exc:  # noqa: BLE001 - every warehouse error is this row's detail
        return Row(label, "error", one_line(exc, limit=300)), plan
    where = plan.identity.split(":", 1)[-1]
    return Row(label, "ok", f"{where}: wrote and dropped a table in {settings.raw_schema}"), plan


VARIANT_EXPLAINED = (
    "values of an unexpected type kept by an earlier run; the typed column is NULL for those "
    "rows until a later version of the record is loaded (see docs/extract.md, Variant columns)"
)


def check_raw_dataset(
    settings: Settings, plan: DestinationPlan | None
) -> tuple[list[Row], dict[str, int]]:
    """The raw dataset as the run will find it, read through a throwaway pipeline working dir
    (the schema and state dlt stores in the dataset): the run's own working dir, which a run
    in progress may be using, is left alone. An error row if it holds the other API version's
    data (``elt run`` refuses it); one row per raw table whose variant columns
    (``<column>__v_<type>``) hold values; and the rows per raw table."""
    from extract.pipeline import (
        OBJECT_AS_LIST,
        SCALAR_AS_OBJECT,
        check_dataset_version,
        destination_row_counts,
        objects_served_as_lists,
        pipeline_name,
        scalars_served_as_objects,
        variant_columns,
    )

    label = "raw dataset"
    if plan is None:
        return [Row(label, "error", "not checked: the destination is not configured")], {}
    try:
        with tempfile.TemporaryDirectory(prefix="elt-check-") as workdir:
            import dlt

            pipeline = dlt.pipeline(
                pipeline_name=pipeline_name(settings, plan),
                destination=plan.destination,
                dataset_name=settings.raw_schema,
                pipelines_dir=workdir,
            )
            pipeline.sync_destination()
            try:
                check_dataset_version(pipeline, settings)
            except ExtractError as exc:
                return [Row(label, "error", one_line(exc, limit=600))], {}
            found = variant_columns(pipeline)
            lists = objects_served_as_lists(pipeline, settings.api_version)
            scalars = scalars_served_as_objects(pipeline, settings.api_version)
            counts = destination_row_counts(pipeline)
    except Exception as exc:  # noqa: BLE001 - every warehouse error is this row's detail
        return [Row(label, "error", one_line(exc, limit=300))], {}
    if not found and not lists and not scalars:
        return [Row(label, "ok", f"no variant columns in {settings.raw_schema}")], counts
    rows = [
        Row(f"raw table {table}", "warning", f"{', '.join(columns)}: {VARIANT_EXPLAINED}")
        for table, columns in found.items()
    ]
    rows += [
        Row(f"raw table {table}", "warning", f"{child}: {OBJECT_AS_LIST.format(child=child)}")
        for table, children in lists.items()
        for child in children
    ]
    rows += [
        Row(f"raw table {table}", "warning", SCALAR_AS_OBJECT.format(made=name))
        for table, made in scalars.items()
        for name in made
    ]
    return rows, counts


def reads_nothing(
    settings: Settings, endpoint_rows: list[Row], counts: dict[str, int]
) -> dict[str, str]:
    """Raw table -> why it will hold no rows after ``elt run``: its endpoint is not selected,
    forbidden (skipped) or lists nothing yet, and no earlier run left rows in it."""
    said = {row.check.removeprefix("endpoint "): row.reads_nothing for row in endpoint_rows}
    why = {}
    for name in dict.fromkeys([*default_resources(settings.api_version), *settings.resources]):
        if counts.get(name):
            continue  # rows of an earlier run stay
        if name not in settings.resources:
            why[name] = "not selected (--resources)"
        elif said.get(name):
            why[name] = said[name]
    return why


def mart_needs(settings: Settings, plan: DestinationPlan) -> dict[str, list[str]]:
    """Mart -> the raw tables without whose rows it is empty (the marts' ``meta.needs`` for
    this API version), as dbt lists them."""
    import json

    done = _dbt(
        settings,
        plan,
        ["ls", "--resource-type", "model", "--select", "path:models/marts", "--output", "json"]
        + ["--output-keys", "name config", "--quiet"],
    )
    if done.returncode != 0:
        lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
        raise ExtractError(f"dbt ls failed: {lines[-1] if lines else done.returncode}")
    needs = {}
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            node = json.loads(line)
            meta = node["config"].get("meta", {}).get("needs", {})
            needs[node["name"]] = list(meta.get(settings.api_version, []))
    return needs


def check_marts(settings: Settings, plan: DestinationPlan | None, why: dict[str, str]) -> list[Row]:
    """One row per mart: what it is built from, or that it will be empty and why."""
    if settings.dest == "filesystem" or plan is None:
        return []
    try:
        needs = mart_needs(settings, plan)
    except ExtractError as exc:
        return [Row("marts", "error", one_line(exc, limit=300))]
    rows = []
    for mart, tables in sorted(needs.items()):
        reasons: dict[str, list[str]] = {}
        for table in tables:
            if table in why:
                reasons.setdefault(why[table], []).append(table)
        if reasons:
            said = "; ".join(f"{', '.join(names)} {reason}" for reason, names in reasons.items())
            rows.append(Row(f"mart {mart}", "empty", f"will be empty: {said}"))
        else:
            source = ", ".join(tables) if tables else "the run history"
            rows.append(Row(f"mart {mart}", "ok", f"rows from {source}"))
    return rows


def _dbt(
    settings: Settings, plan: DestinationPlan, args: list[str]
) -> subprocess.CompletedProcess[str]:
    """``dbt <args> --target DEST`` with the run's profile, in a scratch target dir."""
    executable = Path(sys.executable).with_name("dbt")
    argv = [str(executable) if executable.exists() else "dbt", "--no-use-colors", *args]
    argv += ["--target", settings.dest]
    raw_schema = resolve_source_config().raw_schema  # dbt adds GREENHOUSE_SCHEMA_PREFIX itself
    with (
        dbt_environment(plan, settings.dest, raw_schema) as profile_env,
        tempfile.TemporaryDirectory(prefix="elt-dbt-") as scratch,
    ):
        env = {**os.environ, **profile_env, "DBT_TARGET_PATH": scratch, "DBT_LOG_PATH": scratch}
        return subprocess.run(
            argv, cwd=os.environ["DBT_PROJECT_DIR"], env=env, capture_output=True, text=True
        )


def check_dbt(settings: Settings, plan: DestinationPlan | None) -> Row:
    if settings.dest == "filesystem":
        return Row("dbt profile", "ok", "DEST=filesystem has no dbt step")
    if plan is None:
        return Row("dbt profile", "error", "not checked: the destination is not configured")
    done = _dbt(settings, plan, ["debug"])
    if done.returncode == 0:
        return Row("dbt profile", "ok", f"dbt debug --target {settings.dest}: all checks passed")
    # dbt debug ends with "N check(s) failed:" and the reasons below it
    lines = [line.strip() for line in done.stdout.splitlines() if line.strip()]
    starts = [i for i, line in enumerate(lines) if line.endswith("failed:")]
    after = lines[starts[-1] + 1 :] if starts else lines[-1:]
    # the database's own message follows dbt's ">Database Error"-style header when there is one
    marked = [i for i, line in enumerate(after) if line.startswith(">")]
    reason = after[marked[0] : marked[0] + 2] if marked else after[:1]
    detail = " ".join(reason).lstrip(">") or "dbt debug failed"
    for secret in settings.secrets:
        detail = detail.replace(secret, "***")
    return Row("dbt profile", "error", detail[-300:])


def check_accounts(settings: Settings, plan: DestinationPlan | None) -> list[Row]:
    """With several accounts (``GREENHOUSE_RAW_SCHEMAS``): the list itself, this extract's
    account in it, and every other account's raw tables, which ``elt transform`` needs and
    another extract (that account's own credentials) writes. Nothing with one account."""
    from extract.handoff import missing_raw_data
    from extract.settings import account_left_out, raw_datasets

    if not os.environ.get("GREENHOUSE_RAW_SCHEMAS", "").strip():
        return []
    config = resolve_source_config()
    try:
        datasets = raw_datasets(config)
        left_out = account_left_out(config)
    except ExtractError as exc:
        return [Row("accounts", "error", one_line(exc, limit=300))]
    rows = [Row("accounts", "error", left_out)] if left_out else []
    for dataset in datasets:
        label = f"account {dataset}"
        if dataset == settings.raw_schema:
            rows.append(Row(label, "ok", "this extract's account (its raw tables: this run)"))
        elif settings.dest == "filesystem":
            rows.append(Row(label, "ok", "DEST=filesystem has no dbt step"))
        elif plan is None:
            rows.append(Row(label, "error", "not checked: the destination is not configured"))
        else:
            try:
                problem = missing_raw_data(plan, settings.dest, dataset, settings.api_version)
            except Exception as exc:  # noqa: BLE001 - every warehouse error is this row's detail
                problem = one_line(exc, limit=300)
            detail = f"raw tables for API {settings.api_version} (extracted on their own)"
            rows.append(Row(label, "error", problem) if problem else Row(label, "ok", detail))
    return rows


def _status(rows: list[Row]) -> set[tuple[str, str]]:
    return {(row.check, row.status) for row in rows}


def run_check(settings: Settings, console: Console | None = None) -> int:
    console = console or messages.console()
    ctx = HttpContext.create(settings)
    rows = [check_credentials(ctx)]
    rows += check_endpoints(ctx) if rows[0].fine else [
        Row(f"endpoint {name}", "error", "not checked: the credentials were rejected")
        for name in settings.resources
    ]  # fmt: skip
    readable = [n for n in settings.resources if (f"endpoint {n}", "ok") in _status(rows)]
    rows += check_window_filters(ctx, readable)
    destination, plan = check_destination(settings)
    dbt = check_dbt(settings, plan)
    rows += [destination, dbt]
    raw, counts = check_raw_dataset(settings, plan if destination.fine else None)
    rows += raw
    rows += check_accounts(settings, plan if destination.fine else None)
    if dbt.fine and all(row.fine for row in raw):
        rows += check_marts(settings, plan, reads_nothing(settings, rows, counts))

    where = f"Harvest {settings.api_version} at {settings.base_url} -> {settings.dest}"
    table = Table(
        title=f"elt check: {where}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    for column in ("check", "result", "detail"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row.check, f"[{STYLE.get(row.status, 'red')}]{row.status}[/]", row.detail)
    console.print(table)
    failed = [row for row in rows if not row.fine]
    if failed:
        console.print(f"{len(failed)} of {len(rows)} checks failed: fix them before `elt run`.")
        return 1
    warned = sum(row.status == "warning" for row in rows)
    also = f" ({warned} warning{'s' if warned > 1 else ''} above)" if warned else ""
    empty = sum(row.status == "empty" for row in rows)
    if empty:
        also += f"; {empty} mart{'s' if empty > 1 else ''} will be empty (see above)"
    console.print(f"all {len(rows)} checks passed{also}: `elt run` can start.")
    return 0
