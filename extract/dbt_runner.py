"""dbt as a child process: ``dbt <command> --target DEST`` against the destination the extract
resolved (``extract/handoff.py``), quiet by default (warnings, failures and one summary line on
screen, the full log in its file), and the results it leaves in ``run_results.json``."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from extract.errors import ConfigError, ExtractError
from extract.messages import checked_dest, describe_failure, log
from extract.settings import DEFAULT_DUCKDB_PATH
from extract.signals import call_child, interrupted


def dbt(command: str, args: Sequence[str] = (), need_raw_data: bool = False) -> int:
    """``dbt <command> --target DEST`` in the dbt project, pointed at the destination the
    extract resolved (``extract/handoff.py``); its output goes to the terminal."""
    from extract.destinations import plan_for
    from extract.handoff import dbt_environment, missing_raw_data
    from extract.pipeline import lock_for
    from extract.settings import parse_resource_list, raw_datasets, resolve_source_config

    dest = checked_dest()
    if dest is None:
        return 2
    if dest == "filesystem":
        print(
            "error: DEST=filesystem has no dbt target; the raw Parquet files are the output "
            "(run 'elt extract')",
            file=sys.stderr,
        )
        return 2
    try:
        config = resolve_source_config()
        plan = plan_for(dest, os.environ.get("DUCKDB_PATH") or DEFAULT_DUCKDB_PATH)
        version = str(config.api_version).lower()
        locks = ExitStack()
        if need_raw_data:
            # the transform reads what the extracts write (one per account): not while one runs
            for dataset in raw_datasets(config):
                locks.enter_context(lock_for(version, dest, plan, dataset))
                problem = missing_raw_data(plan, dest, dataset, version)
                if problem:
                    raise ConfigError(problem)
        with locks, dbt_environment(plan, dest, config.raw_schema) as profile_env:
            executable = Path(sys.executable).with_name("dbt")
            argv = [str(executable) if executable.exists() else "dbt"]
            if not sys.stdout.isatty():  # a log file or CI: lines without colour codes
                argv.append("--no-use-colors")
            quiet = command == "build" and not verbose()
            if quiet:  # warnings, errors and failures on screen; everything in the log file
                argv += ["--log-level", "warn", "--log-level-file", "info"]
            argv += [*command.split(), "--target", dest, *args]
            env = {**os.environ, **profile_env, "GREENHOUSE_API_VERSION": version}
            env |= production_build_env(os.environ) if command == "build" else {}
            # the endpoints the extract reads (environment, .dlt/config.toml or --resources)
            # decide the opt-in EEOC models (transform/dbt_project.yml, var greenhouse_eeoc)
            selected = parse_resource_list(config.resources)
            if selected:
                env["GREENHOUSE_RESOURCES"] = ",".join(selected)
            started = time.monotonic()
            code = call_child(argv, cwd=os.environ["DBT_PROJECT_DIR"], env=env)
            if quiet and code not in (130, 143):
                log(dbt_summary(time.monotonic() - started))
            return code
    except KeyboardInterrupt as exc:
        return interrupted(exc)
    except ExtractError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 - an unreachable warehouse is one line too
        message, code = describe_failure(exc, [])
        print(f"error: cannot reach DEST={dest}: {message}", file=sys.stderr)
        return code


def production_build_env(environ: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    """What a pipeline run's ``dbt build`` leaves out: the dbt unit tests. Their inputs are
    fixed rows, not the warehouse's data, so they prove the SQL (``make test`` and CI run them,
    calling dbt directly) and would only spend warehouse time on every scheduled run, as dbt's
    documentation advises against. ``ELT_DBT_UNIT_TESTS=true`` runs them too; a
    ``DBT_EXCLUDE_RESOURCE_TYPES`` of the user's own wins."""
    if "DBT_EXCLUDE_RESOURCE_TYPES" in environ:
        return {}
    if (environ.get("ELT_DBT_UNIT_TESTS") or "").strip().lower() in ("1", "true", "yes"):
        return {}
    return {"DBT_EXCLUDE_RESOURCE_TYPES": "unit_test"}


def verbose() -> bool:
    """``ELT_VERBOSE=1``: dbt's whole stream on screen instead of warnings and a summary."""
    return os.environ.get("ELT_VERBOSE", "").lower() in ("1", "true", "yes")


def _dbt_paths() -> tuple[Path, Path]:
    project = Path(os.environ["DBT_PROJECT_DIR"])
    target = Path(os.environ.get("DBT_TARGET_PATH") or project / "target")
    log_file = Path(os.environ.get("DBT_LOG_PATH") or project / "logs") / "dbt.log"
    return target, log_file


def run_results(since: float = 0.0) -> list[dict[str, Any]] | None:
    """The results of the last dbt command (its run_results.json), if written after ``since``."""
    path = _dbt_paths()[0] / "run_results.json"
    try:
        if path.stat().st_mtime < since:
            return None
        return list(json.loads(path.read_text())["results"])
    except (OSError, ValueError, KeyError):
        return None


def dbt_summary(seconds: float) -> str:
    """One line from dbt's run_results.json, and where the full log is."""
    from extract.history import dbt_counts

    log_file = _dbt_paths()[1]
    results = run_results()
    if results is None:
        return f"dbt finished in {seconds:.1f}s (no run_results.json); full log: {log_file}"
    models = sum(1 for r in results if str(r.get("unique_id", "")).startswith("model."))
    shown = ", ".join(f"{n} {status}" for status, n in sorted(dbt_counts(results).items()))
    return (
        f"dbt build: {len(results)} nodes ({models} models): {shown} in {seconds:.1f}s; "
        f"full log: {log_file} (ELT_VERBOSE=1 shows it all)"
    )
