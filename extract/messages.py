"""What a run says on stderr: the ``[elt HH:MM:SS]`` line, and every failure as one line that
names what is wrong and how to fix it, without secrets and without the parts of a database
error that quote row content (dlt's own log records included)."""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import types
from collections.abc import Sequence
from typing import TextIO

from rich.console import Console

from extract.errors import ConfigError, EndpointsFailedError, ExtractError

# Width of tables printed where no terminal says how wide it is (a pipe, a log file, CI): wide
# enough that a path or a table's row stays on one line for the tools that read it.
PIPED_WIDTH = 200


def console(file: TextIO | None = None) -> Console:
    """A rich Console for what a run prints: a terminal's own width, or ``COLUMNS``, or
    ``PIPED_WIDTH`` when piped (rich would wrap at 80)."""
    out = file or sys.stdout
    if out.isatty() or os.environ.get("COLUMNS"):
        return Console(file=out)
    return Console(file=out, width=PIPED_WIDTH)


def log(message: str) -> None:
    print(f"[elt {time.strftime('%H:%M:%S', time.gmtime())}] {message}", file=sys.stderr)


def find_cause(exc: BaseException) -> BaseException:
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


def one_line(exc: BaseException, secrets: Sequence[str] = (), limit: int = 600) -> str:
    """An error as one line of at most `limit` characters: no row data, no secret."""
    text = " ".join(scrub_database_text(str(exc)).split()) or type(exc).__name__
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return shortened(text, limit)


def shortened(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, saying so: a cut line
    never ends mid-word, and whoever reads it knows something was left out."""
    if len(text) <= limit:
        return text
    marker = " ... (cut)"
    head = text[: max(limit - len(marker), 0) + 1]
    cut = head.rfind(" ")
    return (head[:cut] if cut > 0 else head[:-1]).rstrip(" ;,:") + marker


class OneLineLogRecords(logging.Filter):
    """dlt's log records as one line each, without tracebacks and without the parts of a
    database error that quote row content (whatever RUNTIME__LOG_LEVEL a user chooses)."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = scrub_database_text(record.getMessage())
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            text = f"{text}: {type(error).__name__}: {one_line(error, _LOG_SECRETS)}"
        for secret in _LOG_SECRETS:
            text = text.replace(secret, "***")
        record.msg, record.args = " ".join(text.split()), None
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


# The secrets of the running extract (and the destination password), kept out of log lines.
_LOG_SECRETS: list[str] = []


def keep_out_of_logs(secrets: Sequence[str | None]) -> None:
    """The secrets dlt's log records must never show (replaces the previous run's)."""
    _LOG_SECRETS[:] = [s for s in secrets if s]


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
    log(f"{kind.__name__}: {one_line(error, _LOG_SECRETS)}")


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

    cause = find_cause(exc)
    if isinstance(cause, ExtractError):
        # a line per failed endpoint would not be one line: the list may be long, not cut
        longest = 3000 if isinstance(cause, EndpointsFailedError) else 600
        return one_line(cause, secrets, longest), cause.exit_code
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
        from urllib.parse import urlsplit

        host = urlsplit(getattr(cause.request, "url", None) or "").netloc
        return (
            f"could not reach the API{f' at {host}' if host else ''} ({type(cause).__name__}) "
            "after all retries; check GREENHOUSE_BASE_URL and the network",
            1,
        )
    return f"{type(cause).__name__}: {one_line(cause, secrets)}", 1


def checked_dest() -> str | None:
    """DEST, validated before any stage starts; None after printing the one-line error."""
    from extract.settings import resolve_dest

    try:
        return resolve_dest()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
