"""``elt``: the project's one command line (make, the container image and CI call it).

    elt run        extract (incremental) then ``dbt build`` in DEST          (the default)
    elt extract    the extract stage only (dlt -> raw dataset)
    elt transform  the dbt stage only (extra arguments go to ``dbt build``)
    elt check      credentials, every endpoint, the destination and dbt, before any data moves
    elt report     an HTML page of charts from the marts of DEST
    elt demo       sandbox -> DuckDB -> dbt build -> a readable summary; no credentials needed
    elt docs       dbt docs generate
    elt sandbox    serve the Harvest-compatible sandbox
    elt bench      the benchmarks (make bench)

Exit codes: 0 success · 1 the run failed (API, destination or dbt error) · 2 bad configuration
(unknown DEST, missing credentials, unknown resource names, bad options, another run of the same
pipeline in progress) · 130 interrupted (SIGINT) · 143 stopped (SIGTERM).
A ``.env`` file in the working directory is read first; a variable already set wins.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
import types
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import click

from extract.errors import ConfigError, ExtractError
from extract.settings import DEFAULT_DEST, DEFAULT_DUCKDB_PATH, DESTINATIONS

ROOT = Path(__file__).resolve().parents[1]
# exit codes whose stage leaves no run-history row: configuration errors, interrupts
NOT_RECORDED = (2, 130, 143)


def log(message: str) -> None:
    print(f"[elt {time.strftime('%H:%M:%S', time.gmtime())}] {message}", file=sys.stderr)


def prepare_environment() -> None:
    """Read ``.env``, then set the defaults every stage shares (dlt's and dbt's directories,
    an absolute DuckDB path so both stages open the same file whatever their working dir)."""
    from dotenv import load_dotenv

    env_file = os.environ.get("ELT_ENV_FILE") or str(Path.cwd() / ".env")
    if Path(env_file).is_file():
        load_dotenv(env_file, override=False)
    # dlt reads .dlt/config.toml from the project dir: make that this repository, whatever the cwd
    os.environ.setdefault("DLT_PROJECT_DIR", str(ROOT))
    # dlt logs every failed load job with its traceback at ERROR (hundreds of lines when the
    # database goes away mid-load); the run's own one-line error says what happened.
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "CRITICAL")
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("DBT_PROFILES_DIR", str(ROOT / "profiles"))
    os.environ.setdefault("DBT_PROJECT_DIR", str(ROOT / "transform"))
    os.environ.setdefault("DEST", DEFAULT_DEST)
    if os.environ.get("DUCKDB_PATH") or not os.environ.get("DESTINATION__DUCKDB__CREDENTIALS"):
        duckdb_path = Path(os.environ.get("DUCKDB_PATH") or ROOT / DEFAULT_DUCKDB_PATH)
        os.environ["DUCKDB_PATH"] = str(duckdb_path.expanduser().absolute())


def _find_cause(exc: BaseException) -> BaseException:
    """dlt wraps errors raised inside resources (PipelineStepFailed -> ResourceExtractionError
    -> ...): dig out ours, or the innermost one."""
    seen: set[int] = set()
    current: BaseException | None = exc
    innermost = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ExtractError):
            return current
        innermost = current
        current = current.__cause__ or current.__context__
    return innermost


# The parts of a database error that quote data: PostgreSQL's CONTEXT (``COPY t, line 9955:
# "30002520,..."``, a row of the file being loaded), DETAIL (``Failing row contains (...)``,
# ``Key (id)=(...)``), the echoed statement. A message is cut at the first of them: candidate
# data must never reach a log.
_DATA_SECTIONS = re.compile(
    r"(?:^|\s)(?:CONTEXT|DETAIL|HINT|QUERY|WHERE|LINE \d+):|Failing row contains", re.MULTILINE
)


def scrub_database_text(text: str) -> str:
    """A database error message without the sections that can quote row content."""
    match = _DATA_SECTIONS.search(text)
    return text[: match.start()].rstrip() + " (row data left out)" if match else text


def _one_line(exc: BaseException, secrets: Sequence[str]) -> str:
    text = " ".join(scrub_database_text(str(exc)).split()) or type(exc).__name__
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text[:600]


class OneLineLogRecords(logging.Filter):
    """dlt's log records as one line each, without tracebacks and without the parts of a
    database error that quote row content (whatever RUNTIME__LOG_LEVEL a user chooses)."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = scrub_database_text(record.getMessage())
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            text = f"{text}: {type(error).__name__}: {_one_line(error, _LOG_SECRETS)}"
        for secret in _LOG_SECRETS:
            text = text.replace(secret, "***")
        record.msg, record.args = " ".join(text.split()), None
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


# The secrets of the running extract (and the destination password), kept out of log lines.
_LOG_SECRETS: list[str] = []


def quiet_dlt_logs() -> None:
    logger = logging.getLogger("dlt")
    if not any(isinstance(f, OneLineLogRecords) for f in logger.filters):
        logger.addFilter(OneLineLogRecords())
    # psycopg2 prints an error raised inside its C code (COPY cut off by a server going away)
    # through sys.excepthook, CONTEXT line with row data included: one scrubbed line instead.
    sys.excepthook = _one_line_excepthook


def _one_line_excepthook(
    kind: type[BaseException], error: BaseException, _tb: types.TracebackType | None
) -> None:
    if _raised_by_the_driver_too(error):
        return
    log(f"{kind.__name__}: {_one_line(error, _LOG_SECRETS)}")


def _raised_by_the_driver_too(error: BaseException) -> bool:
    """psycopg2's COPY, cut off by a server going away, prints a ``SystemError`` caused by
    the database error (PyErr_Print, once per load thread) and then raises that error from
    ``copy_expert``: dlt fails the job with it and the run ends in its own error line, so the
    print is a duplicate."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if type(current).__module__.split(".")[0] == "psycopg2":
            return True
        current = current.__cause__ or current.__context__
    return False


def describe_failure(exc: BaseException, secrets: Sequence[str]) -> tuple[str, int]:
    from requests import HTTPError
    from requests.exceptions import ConnectionError, Timeout

    from extract.settings import toml_problem

    cause = _find_cause(exc)
    if isinstance(cause, ExtractError):
        return _one_line(cause, secrets), cause.exit_code
    problem = toml_problem(exc)
    if problem:
        return problem, 2
    if isinstance(cause, HTTPError) and cause.response is not None:
        response = cause.response
        code = response.status_code
        what = "rate limited (429)" if code == 429 else f"HTTP {code}"
        return (
            f"{what} on GET {response.request.url if response.request else '?'} "
            "persisted after all retries; try again later or raise GREENHOUSE_MAX_ATTEMPTS",
            1,
        )
    if isinstance(cause, Timeout):
        limit = os.environ.get("GREENHOUSE_REQUEST_TIMEOUT") or os.environ.get(
            "RUNTIME__REQUEST_TIMEOUT"
        )
        return (
            f"the API did not answer in time ({type(cause).__name__}"
            + (f", limit {limit}s" if limit else "")
            + ") after all retries; raise GREENHOUSE_REQUEST_TIMEOUT (seconds per request) "
            "or check GREENHOUSE_BASE_URL and the network",
            1,
        )
    if isinstance(cause, ConnectionError):
        return (
            f"could not reach the API ({type(cause).__name__}) after all retries; "
            "check GREENHOUSE_BASE_URL and the network",
            1,
        )
    return f"{type(cause).__name__}: {_one_line(cause, secrets)}", 1


# SIGTERM (docker stop, Kubernetes, the scheduler, ``timeout``) ends a run like Ctrl-C does:
# Python raises KeyboardInterrupt for SIGINT only, so the handler below does the same for
# SIGTERM and remembers which signal it was, for the exit code (128 + signal) and the message.
# Inside dlt's normalize and load steps dlt's own handler takes over and stops at a safe point
# (SignalReceivedException carries the signal's number).
_stopped_by: list[int] = []
CHILD_GRACE_SECONDS = 30  # how long a dbt child may take to stop after the signal


def _on_sigterm(signum: int, _frame: object) -> None:
    _stopped_by.append(signum)
    raise KeyboardInterrupt


def install_signal_handlers() -> None:
    import signal

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)


def _interrupted(cause: BaseException | None = None) -> int:
    """The one line of a run stopped by a signal; its exit code (130 SIGINT, 143 SIGTERM)."""
    import signal

    number = getattr(cause, "signal_code", None) or (_stopped_by[0] if _stopped_by else None)
    number = number or signal.SIGINT
    name = signal.Signals(number).name
    what = "interrupted" if number == signal.SIGINT else f"stopped by {name}"
    print(f"error: {what}; rerun to finish (loaded data and cursors stay consistent)",
          file=sys.stderr)  # fmt: skip
    return 128 + int(number)


def _call_child(argv: Sequence[str], cwd: str, env: dict[str, str]) -> int:
    """Run a child (dbt) to its end; when this process is told to stop, pass the signal on
    and wait for the child to go (killing it after a grace period): nothing is left behind."""
    import signal

    process = subprocess.Popen(list(argv), cwd=cwd, env=env)
    try:
        return process.wait()
    except KeyboardInterrupt:
        if process.poll() is None:
            process.send_signal(_stopped_by[0] if _stopped_by else signal.SIGINT)
            try:
                process.wait(CHILD_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        raise


def extract_stage(
    resources: str | None = None,
    full_refresh: bool = False,
    skip_forbidden: bool = False,
    summary_json: Path | None = None,
    locks: ExitStack | None = None,
) -> int:
    """The extract stage: load, print the summary; every failure is one line + exit code.
    The run's lock is released at the end, or kept in ``locks`` (``elt run``: until the
    transform is done too)."""
    from extract import history

    started = time.time()
    with ExitStack() as own_locks:
        held = own_locks if locks is None else locks
        code, error, summary = _extract(resources, full_refresh, skip_forbidden, summary_json, held)
    # a configuration error (2) writes nothing anywhere; after a signal: out at once
    if code not in NOT_RECORDED:
        history.record(history.stage_row("extract", started, code, error, summary))
    return code


def _extract(
    resources: str | None,
    full_refresh: bool,
    skip_forbidden: bool,
    summary_json: Path | None,
    locks: ExitStack,
) -> tuple[int, str | None, dict[str, Any] | None]:
    """The stage's exit code, its error line and its summary (as far as it got)."""
    secrets: list[str] = []
    try:
        from extract.destinations import plan_destination
        from extract.pipeline import lock_for, run_extract
        from extract.settings import load_settings
        from extract.summary import print_summary

        quiet_dlt_logs()
        settings = load_settings(
            resources=resources, full_refresh=full_refresh, skip_forbidden=skip_forbidden
        )
        secrets = settings.secrets
        _LOG_SECRETS[:] = [s for s in (*secrets, os.environ.get("POSTGRES_PASSWORD")) if s]
        plan = plan_destination(settings)
        locks.enter_context(
            lock_for(settings.api_version, settings.dest, plan, settings.raw_schema)
        )
        log(f"extract: Greenhouse {settings.api_version} -> {settings.dest}")
        summary = run_extract(settings).as_dict()
    except KeyboardInterrupt as exc:
        return _interrupted(exc), "interrupted", None
    except Exception as exc:  # noqa: BLE001 - every failure becomes one line + exit code
        cause = _find_cause(exc)
        if (
            isinstance(cause, KeyboardInterrupt)
            or type(cause).__name__ == "SignalReceivedException"
        ):
            return _interrupted(cause), "interrupted", None  # dlt wraps a step's interrupt
        message, code = describe_failure(exc, secrets)
        print(f"error: {message}", file=sys.stderr)
        partial = getattr(cause, "summary", None)  # some endpoints failed, the others loaded
        partial = partial if isinstance(partial, dict) else None
        if summary_json and partial:
            _write_json(summary_json, partial)
        return code, message, partial
    print_summary(summary)
    if summary_json:
        _write_json(summary_json, summary)
    return 0, None, summary


def _write_json(path: Path, summary: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2) + "\n")


def checked_dest() -> str | None:
    """DEST, validated before any stage starts; None after printing the one-line error."""
    from extract.settings import resolve_dest

    try:
        return resolve_dest()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def dbt(command: str, args: Sequence[str] = (), need_raw_data: bool = False) -> int:
    """``dbt <command> --target DEST`` in the dbt project, pointed at the destination the
    extract resolved (``extract/handoff.py``); its output goes to the terminal."""
    from extract.destinations import plan_for
    from extract.handoff import dbt_environment, missing_raw_data
    from extract.pipeline import lock_for
    from extract.settings import raw_dataset, resolve_source_config

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
            # the transform reads what an extract writes: not while one is running
            locks.enter_context(lock_for(version, dest, plan, raw_dataset(config)))
            problem = missing_raw_data(plan, dest, raw_dataset(config), version)
            if problem:
                raise ConfigError(problem)
        with locks, dbt_environment(plan, dest, config.raw_schema) as profile_env:
            executable = Path(sys.executable).with_name("dbt")
            argv = [str(executable) if executable.exists() else "dbt"]
            quiet = command == "build" and not verbose()
            if quiet:  # warnings, errors and failures on screen; everything in the log file
                argv += ["--log-level", "warn", "--log-level-file", "info"]
            argv += [*command.split(), "--target", dest, *args]
            env = {**os.environ, **profile_env, "GREENHOUSE_API_VERSION": version}
            started = time.monotonic()
            code = _call_child(argv, cwd=os.environ["DBT_PROJECT_DIR"], env=env)
            if quiet and code not in (130, 143):
                log(dbt_summary(time.monotonic() - started))
            return code
    except KeyboardInterrupt as exc:
        return _interrupted(exc)
    except ExtractError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 - an unreachable warehouse is one line too
        message, code = describe_failure(exc, [])
        print(f"error: cannot reach DEST={dest}: {message}", file=sys.stderr)
        return code


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


def transform_stage(args: Sequence[str] = ()) -> int:
    from extract import history

    if checked_dest() is None:
        return 2
    log(f"transform: dbt build (target {os.environ['DEST']})")
    started = time.time()
    code = dbt("build", args, need_raw_data=True)
    if code not in NOT_RECORDED:
        results = run_results(since=started)
        error = None if code == 0 else f"dbt build exited {code}"
        counts = history.dbt_counts(results) if results is not None else None
        history.record(history.stage_row("transform", started, code, error, dbt_results=counts))
    return code


def run_pipeline(**extract_options: Any) -> int:
    if checked_dest() is None:
        return 2
    with ExitStack() as locks:  # one lock from the extract to the end of the transform
        code = extract_stage(**extract_options, locks=locks)
        if code:
            log(f"FAILED in stage 'extract' (exit {code}); nothing was transformed")
            return code
        if os.environ["DEST"] == "filesystem":
            log("DEST=filesystem: extract only, done")
            return 0
        code = transform_stage()
    if code:
        log(f"FAILED in stage 'transform' (exit {code}); raw data is loaded, rerun 'transform'")
        return code
    log("run finished: extract + transform succeeded")
    return 0


def _set_dest(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value:
        os.environ["DEST"] = value.strip().lower()
    return value


def extract_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options of the extract stage, shared by ``run`` and ``extract``."""
    options = [
        click.option(
            "--dest",
            envvar="DEST",
            callback=_set_dest,
            expose_value=False,
            help=f"where to load: {', '.join(DESTINATIONS)} (default {DEFAULT_DEST})",
        ),
        click.option(
            "--resources",
            envvar="GREENHOUSE_RESOURCES",
            help="comma-separated endpoints to load (default: all but the sensitive "
            "EEOC/demographics)",
        ),
        click.option(
            "--full-refresh",
            is_flag=True,
            envvar="GREENHOUSE_FULL_REFRESH",
            help="reload the selected tables from scratch (forget incremental cursors)",
        ),
        click.option(
            "--skip-forbidden",
            is_flag=True,
            envvar="GREENHOUSE_SKIP_FORBIDDEN",
            help="carry on without endpoints the credentials may not read (HTTP 403)",
        ),
        click.option(
            "--summary-json",
            type=click.Path(dir_okay=False, path_type=Path),
            help="also write the extract summary as JSON",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


class LazyGroup(click.Group):
    """Subcommands that live in other packages, imported only when used (``elt extract`` does
    not load the sandbox or the benchmark harness)."""

    lazy = {"sandbox": "sandbox.cli:serve", "bench": "bench.cli:bench"}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List every command without importing the lazy ones (their help is one line here)."""
        rows = [(name, cmd.get_short_help_str(70)) for name, cmd in self.commands.items()]
        rows += [(name, f"see elt {name} --help") for name in self.lazy]
        with formatter.section("Commands"):
            formatter.write_dl(sorted(rows))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module, attr = self.lazy[cmd_name].split(":")
            command: click.Command = getattr(importlib.import_module(module), attr)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Greenhouse ELT: dlt extract + dbt transform. Without a command: elt run.

    Exit codes: 0 success, 1 the run failed, 2 bad configuration or another run in progress,
    130 interrupted, 143 stopped by SIGTERM.
    """
    prepare_environment()
    if ctx.invoked_subcommand is None:
        ctx.exit(run_pipeline())


@cli.command()
@extract_options
def run(**options: Any) -> None:
    """Extract (incremental) then dbt build into DEST."""
    sys.exit(run_pipeline(**options))


@cli.command()
@extract_options
def extract(**options: Any) -> None:
    """Extract stage only: Harvest -> the raw dataset in DEST."""
    sys.exit(extract_stage(**options))


@cli.command(context_settings={"ignore_unknown_options": True})
@click.option("--dest", envvar="DEST", callback=_set_dest, expose_value=False)
@click.argument("dbt_args", nargs=-1, type=click.UNPROCESSED)
def transform(dbt_args: tuple[str, ...]) -> None:
    """Transform stage only: dbt build in DEST (extra arguments go to dbt build)."""
    sys.exit(transform_stage(dbt_args))


@cli.command(context_settings={"ignore_unknown_options": True})
@click.option("--dest", envvar="DEST", callback=_set_dest, expose_value=False)
@click.argument("dbt_args", nargs=-1, type=click.UNPROCESSED)
def docs(dbt_args: tuple[str, ...]) -> None:
    """dbt docs generate for DEST."""
    sys.exit(dbt("docs generate", dbt_args))


@cli.command("docs-serve")
@click.option("--dest", envvar="DEST", callback=_set_dest, expose_value=False)
@click.option("--port", type=click.IntRange(1, 65535), default=8080, envvar="DBT_DOCS_PORT",
              show_default=True)  # fmt: skip
def docs_serve(port: int) -> None:
    """dbt docs generate, then serve the catalog on 127.0.0.1 (the address is printed)."""
    code = dbt("docs generate")
    if code:
        sys.exit(code)
    log(f"dbt docs: http://127.0.0.1:{port}/ (Ctrl-C stops it)")
    sys.exit(dbt("docs serve", ("--host", "127.0.0.1", "--port", str(port), "--no-browser")))


@cli.command()
@click.option(
    "--candidates", type=click.IntRange(min=1), default=2000, envvar="DEMO_CANDIDATES",
    show_default=True, help="size of the sandbox organisation",
)  # fmt: skip
@click.option(
    "--path", "duckdb_path", type=click.Path(dir_okay=False, path_type=Path),
    envvar="DEMO_DUCKDB_PATH", default=ROOT / "data" / "demo.duckdb", show_default=True,
    help="the DuckDB file the demo builds (replaced)",
)  # fmt: skip
def demo(candidates: int, duckdb_path: Path) -> None:
    """Sandbox -> DuckDB -> dbt build -> a readable summary; no credentials needed."""
    from extract.demo import run_demo

    sys.exit(run_demo(candidates=candidates, duckdb_path=duckdb_path))


@cli.command()
@click.option("--dest", envvar="DEST", callback=_set_dest, expose_value=False)
@click.option("--resources", envvar="GREENHOUSE_RESOURCES", help="endpoints to probe")
@click.option("--skip-forbidden", is_flag=True, envvar="GREENHOUSE_SKIP_FORBIDDEN",
              help="a 403 is acceptable (the run would skip that endpoint)")  # fmt: skip
def check(resources: str | None, skip_forbidden: bool) -> None:
    """Try credentials, every endpoint, the destination and dbt before any data moves."""
    from extract.check import run_check
    from extract.settings import load_settings

    try:
        settings = load_settings(resources=resources, skip_forbidden=skip_forbidden)
    except ExtractError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    sys.exit(run_check(settings))


@cli.command()
@click.option("--dest", envvar="DEST", callback=_set_dest, expose_value=False)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), envvar="ELT_REPORT_PATH",
    default=ROOT / "data" / "report.html", show_default=True, help="the HTML file to write",
)  # fmt: skip
def report(out: Path) -> None:
    """An HTML page of charts from the marts of DEST (opens offline)."""
    sys.exit(report_stage(out))


def report_stage(out: Path) -> int:
    from extract.destinations import plan_for
    from extract.handoff import missing_raw_data
    from extract.report import write_report
    from extract.settings import raw_dataset, resolve_source_config, schema_prefix

    dest = checked_dest()
    if dest is None:
        return 2
    try:
        if dest == "filesystem":
            raise ConfigError("DEST=filesystem has no marts to report on")
        config = resolve_source_config()
        plan = plan_for(dest, os.environ.get("DUCKDB_PATH") or DEFAULT_DUCKDB_PATH)
        raw = raw_dataset(config)
        prefix = schema_prefix()
        marts = f"{prefix}_greenhouse_marts" if prefix else "greenhouse_marts"
        if missing_raw_data(plan, dest, raw, str(config.api_version).lower()):
            raise ConfigError(f"no marts in {marts}: run `make run` (elt run) first")
        write_report(plan, dest, marts, raw, out)
    except ExtractError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 - an unreachable warehouse is one line too
        print(f"error: cannot read DEST={dest}: {describe_failure(exc, [])[0]}", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``elt``; usage errors become one ``error:`` line and exit code 2."""
    install_signal_handlers()
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="elt",
                 standalone_mode=False)  # fmt: skip
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except click.UsageError as exc:
        where = f"elt {exc.ctx.info_name} --help" if exc.ctx and exc.ctx.parent else "elt --help"
        print(f"error: {exc.format_message()} (see: {where})", file=sys.stderr)
        return 2
    except click.ClickException as exc:
        print(f"error: {exc.format_message()}", file=sys.stderr)
        return exc.exit_code
    except click.exceptions.Abort as exc:  # an interrupt between stages
        return _interrupted(exc.__cause__)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
