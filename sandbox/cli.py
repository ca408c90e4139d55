"""Command line of the sandbox server: `python -m sandbox --help` (the click command `serve`)."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from typing import IO, Any

import click

from sandbox.data import Organisation
from sandbox.server import Faults, SandboxServer, Settings
from sandbox.server.limits import RATE_MODES
from sandbox.server.profiles import PROFILES, profile_faults


class CliError(click.ClickException):
    """An error the user caused, shown as one line `error: ...` with exit code 2."""

    exit_code = 2

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {self.format_message()}", file=file or sys.stderr)


class _OneLineUsageError(click.UsageError):
    def show(self, file: IO[Any] | None = None) -> None:
        hint = f" (see: {self.ctx.command_path} --help)" if self.ctx else ""
        click.echo(f"error: {self.format_message()}{hint}", file=file or sys.stderr)


class _Command(click.Command):
    """Bad options and values end in one clear line (not usage + message), exit code 2."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            raise _OneLineUsageError(exc.format_message(), exc.ctx or ctx) from None


FAULTS = "faults (all off by default)"


@click.command(
    "serve",
    cls=_Command,
    help="Harvest-compatible sandbox server (v3 + v1) with one synthetic organisation.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    envvar="SANDBOX_HOST",
    show_envvar=True,
    help="interface to bind (default 127.0.0.1; 0.0.0.0 inside containers)",
)
@click.option(
    "--port",
    type=click.IntRange(min=0),
    default=8765,
    envvar="SANDBOX_PORT",
    show_envvar=True,
    help="port (0 = any free port; default 8765)",
)
@click.option(
    "--port-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="write the bound port to this file once listening",
)
@click.option("--seed", type=int, default=42, envvar="SANDBOX_SEED", show_envvar=True)
@click.option(
    "--candidates",
    type=click.IntRange(min=1),
    default=200,
    envvar="SANDBOX_CANDIDATES",
    show_envvar=True,
    help="organisation size",
)
@click.option(
    "--rate-limit",
    type=click.IntRange(min=0),
    default=0,
    envvar="SANDBOX_RATE_LIMIT",
    show_envvar=True,
    help="requests per window (0 = unlimited, the default)",
)
@click.option(
    "--rate-window",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    envvar="SANDBOX_RATE_WINDOW",
    show_envvar=True,
    help="rate-limit window in seconds (default 10, as v1)",
)
@click.option(
    "--rate-mode",
    type=click.Choice(RATE_MODES),
    default="fixed",
    envvar="SANDBOX_RATE_MODE",
    show_envvar=True,
    help="fixed: windows that reset, X-RateLimit-Reset on every response (default); "
    "sliding: the last `window` seconds count, no reset header, Retry-After on 429s",
)
@click.option(
    "--token-lifetime",
    type=click.IntRange(min=1),
    default=3600,
    help="v3 access token lifetime in seconds (default 3600)",
)
@click.option(
    "--token-expiry",
    type=click.Choice(["expires_in", "expires_at", "both"]),
    default="expires_in",
    help="lifetime field(s) of the token response (some tenants send expires_at)",
)
@click.option(
    "--error-rate", type=click.FloatRange(0, 1), default=0.0, help="share of API requests -> 500"
)
@click.option(
    "--error-every", type=click.IntRange(min=0), default=0, help="every Nth API request -> 500"
)
@click.option(
    "--storm-429",
    type=click.IntRange(min=0),
    default=0,
    help="the first N API requests -> 429 with Retry-After",
)
@click.option(
    "--retry-after", type=click.IntRange(min=0), default=1, help="Retry-After seconds of storm 429s"
)
@click.option(
    "--slow-ms", type=click.IntRange(min=0), default=0, help="delay added to API responses (ms)"
)
@click.option(
    "--slow-every",
    type=click.IntRange(min=1),
    default=1,
    help="apply --slow-ms to every Nth API request",
)
@click.option(
    "--drop-every",
    type=click.IntRange(min=0),
    default=0,
    help="every Nth API request: close the connection without a response",
)
@click.option(
    "--truncate-every",
    type=click.IntRange(min=0),
    default=0,
    help="every Nth API response: truncated JSON body",
)
@click.option(
    "--forbidden", default="", help="comma-separated endpoints answered 403 (e.g. offers,v1/eeoc)"
)
@click.option(
    "--empty",
    default="",
    help="comma-separated endpoints answered 200 [] (nothing there yet, e.g. scorecards)",
)
@click.option(
    "--profile",
    type=click.Choice(list(PROFILES)),
    default="full",
    envvar="SANDBOX_PROFILE",
    show_envvar=True,
    help="account shape: young (no interviews, scorecards, openings...), scoped (a token that "
    "reads only dltHub's eight endpoints), no-custom-fields, no-openings, no-eeoc",
)
@click.option("--fault-seed", type=int, default=0, help="seed of --error-rate")
@click.option(
    "--bare-429",
    is_flag=True,
    help="429 responses without X-RateLimit-* headers (seen in the wild)",
)
@click.option(
    "--header-case-quirk",
    is_flag=True,
    help="spell the rate-limit headers X-Ratelimit-* (seen in the wild)",
)
def serve(
    host: str,
    port: int,
    port_file: Path | None,
    seed: int,
    candidates: int,
    rate_limit: int,
    rate_window: float,
    rate_mode: str,
    token_lifetime: int,
    token_expiry: str,
    error_rate: float,
    error_every: int,
    storm_429: int,
    retry_after: int,
    slow_ms: int,
    slow_every: int,
    drop_every: int,
    truncate_every: int,
    forbidden: str,
    empty: str,
    profile: str,
    fault_seed: int,
    bare_429: bool,
    header_case_quirk: bool,
) -> None:
    """Serve one organisation until SIGTERM or Ctrl-C."""
    faults = Faults(
        error_rate=error_rate,
        error_every=error_every,
        storm_429=storm_429,
        retry_after=retry_after,
        slow_ms=slow_ms,
        slow_every=slow_every,
        drop_every=drop_every,
        truncate_every=truncate_every,
        forbidden=[x for x in forbidden.split(",") if x],
        seed=fault_seed,
        bare_429=int(bare_429),
        header_case_quirk=int(header_case_quirk),
    )
    shape = profile_faults(profile)
    faults.update(
        {
            "empty": shape.get("empty", []) + [x for x in empty.split(",") if x],
            "forbidden": shape.get("forbidden", []) + faults.forbidden,
        }
    )
    settings = Settings(
        rate_limit=rate_limit,
        rate_window=rate_window,
        rate_mode=rate_mode,
        token_lifetime=token_lifetime,
        token_expiry=token_expiry,
        host=host,
        port=port,
        faults=faults,
    )
    t0 = time.monotonic()
    org = Organisation(seed=seed, candidates=candidates)
    try:
        server = SandboxServer(org, settings).start(background=False)
    except OSError as exc:
        raise CliError(
            f"cannot listen on {host}:{port}: {exc.strerror}; "
            "pick another --port (0 = any free port)"
        ) from None
    if port_file:
        tmp = port_file.with_name(port_file.name + ".tmp")
        tmp.write_text(str(server.port))
        tmp.replace(port_file)
    limit = f"{rate_limit}/{rate_window:g}s {rate_mode}" if rate_limit else "off"
    click.echo(
        f"sandbox: {candidates} candidates (seed {seed}) built in "
        f"{time.monotonic() - t0:.1f}s; serving v3 + v1 on {server.base_url} "
        f"(token endpoint {server.auth_url}; rate limit {limit}"
        + (f"; account profile {profile}" if profile != "full" else "")
        + ")",
        err=True,
    )
    sys.stderr.flush()

    def _terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if server.httpd is not None:
            server.httpd.server_close()
