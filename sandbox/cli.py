"""Command line of the sandbox server: `python -m sandbox --help`."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from typing import NoReturn

from sandbox.data import Organisation
from sandbox.server import Faults, SandboxServer, Settings


def _number(text: str, kind: type) -> float:
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number (got {text!r})") from None


def _non_negative_int(text: str) -> int:
    value = int(_number(text, int))
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0 (got {text})")
    return value


def _positive_int(text: str) -> int:
    value = int(_number(text, int))
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1 (got {text})")
    return value


def _rate(text: str) -> float:
    value = _number(text, float)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (got {text})")
    return value


def _positive_float(text: str) -> float:
    value = _number(text, float)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0 (got {text})")
    return value


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One clear line instead of usage + message."""
        self.exit(2, f"error: {message} (see: python -m sandbox --help)\n")


def _env_int(name: str, default: int) -> int:
    return int(_env_number(name, default, int))


def _env_number(name: str, default: float, kind: type) -> float:
    raw = os.environ.get(name) or str(default)
    try:
        return kind(raw)
    except ValueError:
        print(f"error: {name} must be a number (got {raw!r})", file=sys.stderr)
        raise SystemExit(2) from None


def build_parser() -> argparse.ArgumentParser:
    env = os.environ.get
    p = _Parser(
        prog="python -m sandbox",
        description="Harvest-compatible sandbox server (v3 + v1) with one synthetic organisation.",
    )
    p.add_argument(
        "--host",
        default=env("SANDBOX_HOST", "127.0.0.1"),
        help="interface to bind (default 127.0.0.1; 0.0.0.0 inside containers)",
    )
    p.add_argument(
        "--port",
        type=_non_negative_int,
        default=_env_int("SANDBOX_PORT", 8765),
        help="port (0 = any free port; default $SANDBOX_PORT or 8765)",
    )
    p.add_argument(
        "--port-file", type=Path, help="write the bound port to this file once listening"
    )
    p.add_argument("--seed", type=int, default=_env_int("SANDBOX_SEED", 42))
    p.add_argument(
        "--candidates",
        type=_positive_int,
        default=_env_int("SANDBOX_CANDIDATES", 200),
        help="organisation size",
    )
    p.add_argument(
        "--rate-limit",
        type=_non_negative_int,
        default=_env_int("SANDBOX_RATE_LIMIT", 0),
        help="requests per window (0 = unlimited, the default)",
    )
    p.add_argument(
        "--rate-window",
        type=_positive_float,
        default=_env_number("SANDBOX_RATE_WINDOW", 10.0, float),
        help="rate-limit window in seconds (default 10, as v1)",
    )
    p.add_argument(
        "--token-lifetime",
        type=_positive_int,
        default=3600,
        help="v3 access token lifetime in seconds (default 3600)",
    )
    p.add_argument(
        "--token-expiry",
        choices=("expires_in", "expires_at", "both"),
        default="expires_in",
        help="lifetime field(s) of the token response (some tenants send expires_at)",
    )
    f = p.add_argument_group("faults (all off by default)")
    f.add_argument("--error-rate", type=_rate, default=0.0, help="share of API requests -> 500")
    f.add_argument(
        "--error-every", type=_non_negative_int, default=0, help="every Nth API request -> 500"
    )
    f.add_argument(
        "--storm-429",
        type=_non_negative_int,
        default=0,
        help="the first N API requests -> 429 with Retry-After",
    )
    f.add_argument(
        "--retry-after", type=_non_negative_int, default=1, help="Retry-After seconds of storm 429s"
    )
    f.add_argument(
        "--slow-ms", type=_non_negative_int, default=0, help="delay added to API responses (ms)"
    )
    f.add_argument(
        "--slow-every",
        type=_positive_int,
        default=1,
        help="apply --slow-ms to every Nth API request",
    )
    f.add_argument(
        "--drop-every",
        type=_non_negative_int,
        default=0,
        help="every Nth API request: close the connection without a response",
    )
    f.add_argument(
        "--truncate-every",
        type=_non_negative_int,
        default=0,
        help="every Nth API response: truncated JSON body",
    )
    f.add_argument(
        "--forbidden",
        default="",
        help="comma-separated endpoints answered 403 (e.g. offers,v1/eeoc)",
    )
    f.add_argument("--fault-seed", type=int, default=0, help="seed of --error-rate")
    f.add_argument(
        "--bare-429",
        action="store_true",
        help="429 responses without X-RateLimit-* headers (seen in the wild)",
    )
    f.add_argument(
        "--header-case-quirk",
        action="store_true",
        help="spell the rate-limit headers X-Ratelimit-* (seen in the wild)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    faults = Faults(
        error_rate=args.error_rate,
        error_every=args.error_every,
        storm_429=args.storm_429,
        retry_after=args.retry_after,
        slow_ms=args.slow_ms,
        slow_every=args.slow_every,
        drop_every=args.drop_every,
        truncate_every=args.truncate_every,
        forbidden=[x for x in args.forbidden.split(",") if x],
        seed=args.fault_seed,
        bare_429=int(args.bare_429),
        header_case_quirk=int(args.header_case_quirk),
    )
    settings = Settings(
        rate_limit=args.rate_limit,
        rate_window=args.rate_window,
        token_lifetime=args.token_lifetime,
        token_expiry=args.token_expiry,
        host=args.host,
        port=args.port,
        faults=faults,
    )
    t0 = time.monotonic()
    org = Organisation(seed=args.seed, candidates=args.candidates)
    try:
        server = SandboxServer(org, settings).start(background=False)
    except OSError as exc:
        print(
            f"error: cannot listen on {args.host}:{args.port}: {exc.strerror}; "
            "pick another --port (0 = any free port)",
            file=sys.stderr,
        )
        return 2
    if args.port_file:
        tmp = args.port_file.with_name(args.port_file.name + ".tmp")
        tmp.write_text(str(server.port))
        tmp.replace(args.port_file)
    print(
        f"sandbox: {args.candidates} candidates (seed {args.seed}) built in "
        f"{time.monotonic() - t0:.1f}s; serving v3 + v1 on {server.base_url} "
        f"(token endpoint {server.auth_url}; rate limit "
        f"{args.rate_limit or 'off'}{f'/{args.rate_window:g}s' if args.rate_limit else ''})",
        file=sys.stderr,
        flush=True,
    )

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
    return 0
