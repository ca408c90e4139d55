"""``python -m extract``: run the extract stage, print a summary, fail in one clear line.

Exit codes: 0 success · 1 the run failed (API error, destination error) · 2 bad configuration
(unknown DEST, missing credentials, unknown resource names) · 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from extract.errors import ExtractError

DEFAULT_LOG_LEVEL = "ERROR"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m extract",
        description="Extract Greenhouse Harvest (v3 or v1) into the raw dataset of DEST with dlt.",
    )
    parser.add_argument(
        "--resources",
        help="comma-separated endpoints to load (default: all but the sensitive EEOC/demographics;"
        " also GREENHOUSE_RESOURCES)",
    )
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="reload the selected tables from scratch (forget incremental cursors)",
    )
    parser.add_argument(
        "--skip-forbidden",
        action="store_true",
        help="carry on without endpoints the credentials may not read (HTTP 403)",
    )
    parser.add_argument("--summary-json", type=Path, help="also write the run summary as JSON")
    return parser.parse_args(argv)


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


def _one_line(exc: BaseException, secrets: list[str]) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text[:600]


def describe_failure(exc: BaseException, secrets: list[str]) -> tuple[str, int]:
    from requests import HTTPError
    from requests.exceptions import ConnectionError, Timeout

    cause = _find_cause(exc)
    if isinstance(cause, ExtractError):
        return _one_line(cause, secrets), cause.exit_code
    if isinstance(cause, HTTPError) and cause.response is not None:
        response = cause.response
        code = response.status_code
        what = "rate limited (429)" if code == 429 else f"HTTP {code}"
        return (
            f"{what} on GET {response.request.url if response.request else '?'} "
            "persisted after all retries; try again later or raise GREENHOUSE_MAX_ATTEMPTS",
            1,
        )
    if isinstance(cause, ConnectionError | Timeout):
        return (
            f"could not reach the API ({type(cause).__name__}) after all retries; "
            "check GREENHOUSE_BASE_URL and the network",
            1,
        )
    return f"{type(cause).__name__}: {_one_line(cause, secrets)}", 1


def print_summary(summary: dict[str, Any]) -> None:
    out = sys.stdout
    print(
        f"Extract finished: Harvest {summary['api_version']} -> {summary['dest']} "
        f"dataset {summary['dataset']}",
        file=out,
    )
    rows = summary["rows"]
    width = max((len(t) for t in rows), default=10)
    print(f"  {'table'.ljust(width)}  rows in destination", file=out)
    for table, count in rows.items():
        print(f"  {table.ljust(width)}  {count:>10}", file=out)
    print(
        f"  records read this run: {summary['total_records_extracted']}; "
        f"HTTP requests: {summary['requests']}; 429s: {summary['rate_limited_429']}; "
        f"waited for rate limit: {summary['rate_limit_wait_seconds']}s; "
        f"duration: {summary['duration_seconds']}s",
        file=out,
    )
    for endpoint, reason in summary["skipped_forbidden"].items():
        print(f"  SKIPPED {endpoint}: {reason}", file=out)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # dlt reads .dlt/config.toml from the project dir: make that this repository, whatever the cwd
    os.environ.setdefault("DLT_PROJECT_DIR", str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("RUNTIME__LOG_LEVEL", DEFAULT_LOG_LEVEL)
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    secrets: list[str] = []
    try:
        from extract.pipeline import run_extract
        from extract.settings import load_settings

        settings = load_settings(
            resources=args.resources,
            full_refresh=args.full_refresh,
            skip_forbidden=args.skip_forbidden,
        )
        secrets = settings.secrets
        summary = run_extract(settings).as_dict()
    except KeyboardInterrupt:
        print("error: interrupted; rerun to finish (loaded data and cursors stay consistent)",
              file=sys.stderr)  # fmt: skip
        return 130
    except Exception as exc:  # noqa: BLE001 - every failure becomes one line + exit code
        message, code = describe_failure(exc, secrets)
        print(f"error: {message}", file=sys.stderr)
        return code
    print_summary(summary)
    if args.summary_json:
        args.summary_json.parent.mkdir(parents=True, exist_ok=True)
        args.summary_json.write_text(json.dumps(summary, indent=2) + "\n")
    return 0
