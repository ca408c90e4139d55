"""``elt``: the project's one command line (make, the container image and CI call it).

    elt run        extract (incremental) then ``dbt build`` in DEST          (the default)
    elt extract    the extract stage only (dlt -> raw dataset)
    elt transform  the dbt stage only (extra arguments go to ``dbt build``)
    elt check      credentials, every endpoint, the destination and dbt, before any data moves
    elt report     an HTML page of charts from the marts of DEST
    elt demo       sandbox -> DuckDB -> dbt build -> a readable summary; no credentials needed
    elt docs       dbt docs generate
    elt dashboard  dlt's pipeline dashboard for the pipeline of DEST (the ``dashboard`` extra)
    elt sandbox    serve the Harvest-compatible sandbox
    elt bench      the benchmarks (make bench)

Exit codes: 0 success · 1 the run failed (API, destination or dbt error) · 2 bad configuration
(unknown DEST, missing credentials, unknown resource names, bad options, another run of the same
pipeline in progress) · 130 interrupted (SIGINT) · 143 stopped (SIGTERM).
A ``.env`` file in the working directory is read first; a variable already set wins.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from extract import stages
from extract.dbt_runner import dbt
from extract.errors import ConfigError, ExtractError
from extract.messages import log
from extract.redact import remember_environment
from extract.settings import DEFAULT_DEST, DEFAULT_DUCKDB_PATH, DESTINATIONS
from extract.signals import install_signal_handlers, interrupted

ROOT = Path(__file__).resolve().parents[1]


def prepare_environment() -> None:
    """Read ``.env``, then set the defaults every stage shares (dlt's and dbt's directories,
    an absolute DuckDB path so both stages open the same file whatever their working dir)."""
    from dotenv import load_dotenv

    env_file = os.environ.get("ELT_ENV_FILE") or str(Path.cwd() / ".env")
    if Path(env_file).is_file():
        load_dotenv(env_file, override=False)
    remember_environment()  # every credential variable is kept out of what a run prints
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
            "--sweep-deletes",
            is_flag=True,
            help="instead of the incremental read, mark raw rows whose record Greenhouse no "
            "longer lists (_greenhouse_deleted_at)",
        ),
        click.option(
            "--force",
            is_flag=True,
            help="let the deletion sweep mark more than GREENHOUSE_SWEEP_DELETES_MAX_SHARE "
            "(default 0.1) of a table's rows, for records really deleted in bulk",
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
            from extract.extras import require

            require(cmd_name, f"elt {cmd_name}")  # the extra of the same name
            module, attr = self.lazy[cmd_name].split(":")
            try:
                command: click.Command = getattr(importlib.import_module(module), attr)
            except ModuleNotFoundError as exc:
                if exc.name != module.split(".")[0]:
                    raise
                # the wheel leaves the benchmark harness out: it runs from a checkout
                raise ConfigError(
                    f"elt {cmd_name} runs from a checkout of the project ({exc.name}/ is not "
                    "installed)"
                ) from None
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
        ctx.exit(stages.run_pipeline())


# The pipeline's stages. Their options: ``extract_options`` above; what they do: stages.py.


@cli.command()
@extract_options
def run(**options: Any) -> None:
    """Extract (incremental) then dbt build into DEST."""
    sys.exit(stages.run_pipeline(**options))


@cli.command()
@extract_options
def extract(**options: Any) -> None:
    """Extract stage only: Harvest -> the raw dataset in DEST."""
    sys.exit(stages.extract_stage(**options))


@cli.command(context_settings={"ignore_unknown_options": True})
@click.option("--dest", envvar="DEST", callback=_set_dest, expose_value=False)
@click.argument("dbt_args", nargs=-1, type=click.UNPROCESSED)
def transform(dbt_args: tuple[str, ...]) -> None:
    """Transform stage only: dbt build in DEST (extra arguments go to dbt build)."""
    sys.exit(stages.transform_stage(dbt_args))


# Around the pipeline: the dbt docs, the demo, the pre-flight check, the report.


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
@click.option(
    "--quarter", envvar="ELT_REPORT_QUARTER", metavar="YYYYQn",
    help="the quarter of the headline figures (default: the last complete quarter)",
)  # fmt: skip
def report(out: Path, quarter: str | None) -> None:
    """An HTML page of charts from the marts of DEST (opens offline)."""
    sys.exit(stages.report_stage(out, quarter))


@cli.command()
@click.option("--dest", envvar="DEST", callback=_set_dest, expose_value=False)
@click.option("--port", type=click.IntRange(1, 65535), default=2718, envvar="DLT_DASHBOARD_PORT",
              show_default=True)  # fmt: skip
@click.option("--host", default="127.0.0.1", show_default=True, help="the address to serve on")
@click.option("--headless", is_flag=True, help="do not open a browser")
def dashboard(port: int, host: str, headless: bool) -> None:
    """dlt's pipeline dashboard (dlt pipeline <name> show) for the pipeline of DEST."""
    from extract.dashboard import run_dashboard

    sys.exit(run_dashboard(port, host, headless))


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
        return interrupted(exc.__cause__)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
