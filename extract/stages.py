"""The stages of a run and their order: extract (dlt), then transform (dbt), each recorded in
the run history; a failure in one stops the run with its exit code and one line. ``report``
reads the marts the transform built."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from extract.dbt_runner import dbt, run_results
from extract.errors import ConfigError, ExtractError
from extract.messages import (
    checked_dest,
    describe_failure,
    find_cause,
    log,
    quiet_dlt_logs,
)
from extract.redact import remember
from extract.settings import DEFAULT_DUCKDB_PATH
from extract.signals import interrupted

# exit codes whose stage leaves no run-history row: configuration errors, interrupts
NOT_RECORDED = (2, 130, 143)


def extract_stage(
    resources: str | None = None,
    full_refresh: bool = False,
    skip_forbidden: bool = False,
    summary_json: Path | None = None,
    locks: ExitStack | None = None,
    sweep_deletes: bool = False,
    collect: dict[str, Any] | None = None,
    force: bool = False,
) -> int:
    """The extract stage: load, print the summary; every failure is one line + exit code.
    The run's lock is released at the end, or kept in ``locks`` (``elt run``: until the
    transform is done too). With ``collect`` (``elt run``) the summary is left there for the
    end of the run instead of printed."""
    from extract import history

    started = time.time()
    with ExitStack() as own_locks:
        held = own_locks if locks is None else locks
        code, error, summary = _extract(
            resources, full_refresh, skip_forbidden, summary_json, held, sweep_deletes, force
        )
    # a configuration error (2) writes nothing anywhere; after a signal: out at once
    if code not in NOT_RECORDED:
        history.record(history.stage_row("extract", started, code, error, summary))
    if summary is not None and code == 0:
        summary["stage_seconds"] = {"extract": round(time.time() - started, 2)}
        if collect is None:
            _show(summary, summary_json)
        else:
            collect.update(summary)
    return code


def _extract(
    resources: str | None,
    full_refresh: bool,
    skip_forbidden: bool,
    summary_json: Path | None,
    locks: ExitStack,
    sweep_deletes: bool = False,
    force: bool = False,
) -> tuple[int, str | None, dict[str, Any] | None]:
    """The stage's exit code, its error line and its summary (as far as it got)."""
    secrets: list[str] = []
    try:
        from extract.destinations import plan_destination
        from extract.pipeline import lock_for, run_extract
        from extract.settings import load_settings
        from extract.source import HttpContext
        from extract.sweep import sweep_if_due, sweep_only

        quiet_dlt_logs()
        if resources:  # --resources means GREENHOUSE_RESOURCES for the whole run, dbt's stage too
            os.environ["GREENHOUSE_RESOURCES"] = resources
        settings = load_settings(
            resources=resources,
            full_refresh=full_refresh,
            skip_forbidden=skip_forbidden,
            force=force,
        )
        secrets = settings.secrets
        remember(*secrets)  # from .dlt/secrets.toml too, not only the environment
        plan = plan_destination(settings)
        locks.enter_context(
            lock_for(settings.api_version, settings.dest, plan, settings.raw_schema)
        )
        log(f"extract: Greenhouse {settings.api_version} -> {settings.dest}")
        if sweep_deletes:  # the deletion sweep instead of the incremental read
            summary = sweep_only(settings)
        else:
            ctx = HttpContext.create(settings)  # one rate budget for the read and the sweep
            summary = sweep_if_due(settings, run_extract(settings, ctx=ctx).as_dict(), ctx)
    except KeyboardInterrupt as exc:
        return interrupted(exc), "interrupted", None
    except Exception as exc:  # noqa: BLE001 - every failure becomes one line + exit code
        cause = find_cause(exc)
        if (
            isinstance(cause, KeyboardInterrupt)
            or type(cause).__name__ == "SignalReceivedException"
        ):
            return interrupted(cause), "interrupted", None  # dlt wraps a step's interrupt
        message, code = describe_failure(exc, secrets)
        print(f"error: {message}", file=sys.stderr)
        partial = getattr(cause, "summary", None)  # some endpoints failed, the others loaded
        partial = partial if isinstance(partial, dict) else None
        if summary_json and partial:
            _write_json(summary_json, partial)
        return code, message, partial
    return 0, None, summary


def _show(summary: dict[str, Any], summary_json: Path | None) -> None:
    """The one-screen summary on stdout, and the same figures as JSON if asked."""
    from extract.sweep import show

    if not summary:
        return  # no extract summary to show (the stage was replaced, as in a test)
    show(summary)
    if summary_json:
        _write_json(summary_json, summary)


def _write_json(path: Path, summary: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2) + "\n")


def transform_stage(args: Sequence[str] = (), collect: dict[str, Any] | None = None) -> int:
    """dbt build, recorded in the run history; its model and test counts and its duration
    go to ``collect`` (``elt run``'s summary)."""
    from extract import history
    from extract.settings import resolve_source_config
    from extract.summary import dbt_node_counts

    if checked_dest() is None:
        return 2
    try:
        resolve_source_config()  # a bad setting is one line, not announced as a dbt build
    except ExtractError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    log(f"transform: dbt build (target {os.environ['DEST']})")
    started = time.time()
    code = dbt("build", args, need_raw_data=True)
    if code not in NOT_RECORDED:
        results = run_results(since=started)
        error = None if code == 0 else f"dbt build exited {code}"
        counts = history.dbt_counts(results) if results is not None else None
        history.record(history.stage_row("transform", started, code, error, dbt_results=counts))
        if collect is not None and results is not None:
            collect["dbt"] = dbt_node_counts(results)
    if collect is not None:
        collect.setdefault("stage_seconds", {})["transform"] = round(time.time() - started, 2)
    return code


def run_pipeline(summary_json: Path | None = None, **extract_options: Any) -> int:
    """``elt run``: extract, then transform; one summary of both at the end."""
    if checked_dest() is None:
        return 2
    problem = _account_left_out()
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    collected: dict[str, Any] = {}
    with ExitStack() as locks:  # one lock from the extract to the end of the transform
        code = extract_stage(
            **extract_options, summary_json=summary_json, locks=locks, collect=collected
        )
        if code:
            log(f"FAILED in stage 'extract' (exit {code}); nothing was transformed")
            return code
        if os.environ["DEST"] == "filesystem":
            _show(collected, summary_json)
            log("DEST=filesystem: extract only, done")
            return 0
        code = transform_stage(collect=collected)
    _show(collected, summary_json)
    if code:
        log(f"FAILED in stage 'transform' (exit {code}); raw data is loaded, rerun 'transform'")
        return code
    log("run finished: extract + transform succeeded")
    return 0


def _account_left_out() -> str | None:
    from extract.settings import account_left_out, resolve_source_config

    try:
        return account_left_out(resolve_source_config())
    except ExtractError as exc:
        return str(exc)


def report_stage(out: Path, quarter: str | None = None) -> int:
    from extract.destinations import plan_for
    from extract.handoff import missing_raw_data
    from extract.report import parse_quarter, write_report
    from extract.settings import home_dataset, resolve_source_config, schema_prefix

    dest = checked_dest()
    if dest is None:
        return 2
    try:
        period = parse_quarter(quarter) if quarter else None
        if dest == "filesystem":
            raise ConfigError("DEST=filesystem has no marts to report on")
        config = resolve_source_config()
        plan = plan_for(dest, os.environ.get("DUCKDB_PATH") or DEFAULT_DUCKDB_PATH)
        raw = home_dataset(config)  # the raw-table charts: one account's raw schema
        prefix = schema_prefix()
        marts = f"{prefix}_greenhouse_marts" if prefix else "greenhouse_marts"
        if missing_raw_data(plan, dest, raw, str(config.api_version).lower()):
            raise ConfigError(f"no marts in {marts}: run `make run` (elt run) first")
        write_report(plan, dest, marts, raw, out, period)
    except ExtractError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 - an unreachable warehouse is one line too
        print(f"error: cannot read DEST={dest}: {describe_failure(exc, [])[0]}", file=sys.stderr)
        return 1
    return 0
