"""What a run says on stderr: the ``[elt HH:MM:SS]`` line, and every failure as one line that
names what is wrong and how to fix it, without secrets and without the parts of a database
error that quote row content (dlt's own log records included)."""

from __future__ import annotations

import errno
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
from extract.redact import redact, remember

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
    print(f"[elt {time.strftime('%H:%M:%S', time.gmtime())}] {redact(message)}", file=sys.stderr)


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
    remember(*secrets)
    text = " ".join(redact(scrub_database_text(str(exc))).split()) or type(exc).__name__
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
            text = f"{text}: {type(error).__name__}: {one_line(error)}"
        record.msg, record.args = " ".join(redact(text).split()), None
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


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
    log(f"{kind.__name__}: {one_line(error)}")


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
    full = disk_full(exc)
    if full:
        return redact(full), 1
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


# DuckDB names the file it could not write: 'Could not write file "/data/raw.duckdb.wal": ...'
_FILE_IN_TEXT = re.compile(r'(?:file|path) "([^"]+)"')


def disk_full(exc: BaseException) -> str | None:
    """A full disk as one line naming where: ``OSError: [Errno 28]`` names no file when dlt
    writes its load packages, so the line lists the places this run writes, each with the
    space left there now."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = str(current)
        if getattr(current, "errno", None) == errno.ENOSPC or "No space left on device" in text:
            break
        current = current.__cause__ or current.__context__
    else:
        return None
    named = getattr(current, "filename", None)
    match = _FILE_IN_TEXT.search(text)
    named = named or (match.group(1) if match else None)
    places = ", ".join(f"{variable}={path} ({_free(path)})" for variable, path in _written())
    return (
        "the disk is full (No space left on device)"
        + (f" writing {named}" if named else "")
        + f"; this run writes to {places}: free space on the full one, or point its variable "
        "at a larger disk, then rerun (the rerun resumes)"
    )


def _written() -> list[tuple[str, str]]:
    """Where an extract writes: dlt's pipelines dir, the DuckDB file, the temporary dir."""
    import tempfile

    from dlt.common.pipeline import get_dlt_pipelines_dir

    pipelines = os.environ.get("GREENHOUSE_PIPELINES_DIR") or get_dlt_pipelines_dir()
    places = [("GREENHOUSE_PIPELINES_DIR", pipelines)]
    if os.environ.get("DEST") == "duckdb" and os.environ.get("DUCKDB_PATH"):
        places.append(("DUCKDB_PATH", os.environ["DUCKDB_PATH"]))
    places.append(("TMPDIR", tempfile.gettempdir()))
    return places


def _free(path: str) -> str:
    """The space left on the disk holding ``path`` (its nearest existing parent)."""
    import shutil
    from pathlib import Path

    where = Path(path).absolute()
    while not where.exists() and where != where.parent:
        where = where.parent
    try:
        left: float = shutil.disk_usage(where).free
    except OSError:
        return "free space unknown"
    for unit in ("bytes", "KB", "MB", "GB"):
        if left < 1024 or unit == "GB":
            break
        left /= 1024
    return f"{left:.0f} {unit} free" if unit == "bytes" else f"{left:.1f} {unit} free"


def checked_dest() -> str | None:
    """DEST, validated before any stage starts; None after printing the one-line error."""
    from extract.settings import resolve_dest

    try:
        return resolve_dest()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
