"""Live progress of an extract: per endpoint its state, pages, records, the seconds its requests
waited for the rate limit, and what is left where that can be known.

On a terminal a rich table is redrawn in place (``rich.live``); anywhere else (CI, a container's
log) plain lines are printed every few seconds: one headline, then one line per endpoint whose
counters moved since the last print, so a log reads as a story and not as the same table again.
The counters are the ones the resources already keep (``HttpContext.progress`` and
``HttpContext.stats``); this module only reads them.

What is left, only where it is honest:

- v1 sends ``Link: rel="last"`` on most lists: pages read of the last page number;
- otherwise an expected record count given by the pipeline (``extract/pipeline.py``): for an
  endpoint read in full, the rows its table holds in the destination; for an incremental read,
  the records the previous run of this pipeline read from it (the run history). Once the
  records read pass it, no estimate is shown rather than a wrong one.

The steps after the extract (dlt's normalize and load, counting rows) show as the phase.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass
from typing import IO, Any

from rich import box
from rich.console import Console
from rich.live import Live
from rich.table import Table

from extract.source import HttpContext

# Printed lines: a headline that says nothing new is printed at most this often.
HEARTBEAT_SECONDS = 60.0
STATES = ("waiting", "reading", "retrying", "done", "skipped", "failed")


@dataclass(frozen=True)
class Expected:
    """About how many records an endpoint returns this run, and what says so."""

    records: int
    because: str  # "in DEST", "last run"


@dataclass(frozen=True)
class EndpointProgress:
    name: str
    state: str
    pages: int
    records: int
    waited_seconds: float
    rate_limited: int
    last_page: int | None
    expected: Expected | None
    no_connection: int = 0  # attempts whose connection could not be opened (host gone away)

    def left(self) -> str:
        """What is left, as far as it is known; empty when it is not."""
        if self.state in ("done", "skipped", "failed"):
            return ""
        if self.last_page is not None:
            return f"{max(self.last_page - self.pages, 0):,} of {self.last_page:,} pages"
        if self.expected is not None and self.expected.records > self.records:
            left = self.expected.records - self.records
            return f"~{left:,} records ({self.expected.because})"
        return ""

    def pages_text(self) -> str:
        return f"{self.pages:,}/{self.last_page:,}" if self.last_page else f"{self.pages:,}"

    def counters(self) -> tuple[str, int, int, int]:
        return self.state, self.pages, self.records, self.no_connection


def _ci_log(out: IO[str]) -> bool:
    """A CI system's log (``CI`` set, as GitHub Actions, GitLab and most others do), not a
    terminal: plain lines even where ``FORCE_COLOR`` / ``TTY_COMPATIBLE`` make rich take it for
    one, which would print the whole table again at every refresh."""
    ci = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
    return ci and not out.isatty()


class LiveProgress:
    """A context manager that shows the extract's progress until it ends."""

    def __init__(
        self,
        ctx: HttpContext,
        paths: dict[str, str],
        expected: dict[str, Expected] | None = None,
        every: float = 5.0,
        console: Console | None = None,
        out: IO[str] | None = None,
    ) -> None:
        """``paths``: resource -> its request path (``/v3/applications``), as the rate
        limiter counts waits."""
        self._ctx = ctx
        self._paths = paths
        self.expected = dict(expected or {})
        self._every = every
        self._out = out or sys.stderr
        self._console = console or Console(file=self._out)
        self._live: Live | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = time.monotonic()
        self._status: tuple[Any, ...] = ()  # the counts the last headline printed said
        self._printed_at = self._started
        self._shown: dict[str, tuple[str, int, int, int]] = {}
        self._printing = threading.Lock()  # the ticker thread and a phase change
        self._phase = "preparing"  # state restored from the destination, first probes
        self._phase_started = self._started
        self._seconds: dict[str, float] = {}  # per phase, for the run summary

    @property
    def phase(self) -> str:
        return self._phase

    @phase.setter
    def phase(self, value: str) -> None:
        """A new step of the run (normalize, load, ...): said at once, not at the next tick."""
        now = time.monotonic()
        self._seconds[self._phase] = self._seconds.get(self._phase, 0.0) + now - self._phase_started
        self._phase, self._phase_started = value, now
        if self._live is None and self._thread is not None:
            self.print_lines()

    def step_seconds(self) -> dict[str, float]:
        """Seconds per phase so far (the phase under way included)."""
        seconds = dict(self._seconds)
        now = time.monotonic()
        seconds[self._phase] = seconds.get(self._phase, 0.0) + now - self._phase_started
        return {phase: round(value, 2) for phase, value in seconds.items() if value >= 0.005}

    # what is shown

    def endpoints(self) -> list[EndpointProgress]:
        p, s = self._ctx.progress, self._ctx.stats
        down = s.hosts_down()
        rows = []
        for name, path in self._paths.items():
            if name in p.failed:
                state = "failed"
            elif name in p.skipped:
                state = "skipped"
            elif name in p.done:
                state = "done"
            elif down and s.no_connection_by_path.get(path, 0):
                state = "retrying"  # its host answered earlier and now opens no connection
            elif s.waiting.get(path, 0) > 0 or not p.pages_read.get(name):
                state = "waiting"
            else:
                state = "reading"
            rows.append(
                EndpointProgress(
                    name=name,
                    state=state,
                    pages=p.pages_read.get(name, 0),
                    records=p.records.get(name, 0),
                    waited_seconds=s.waited_by_path.get(path, 0.0),
                    rate_limited=s.rate_limited_by_path.get(path, 0),
                    last_page=p.last_page.get(name),
                    expected=self.expected.get(name),
                    no_connection=s.no_connection_by_path.get(path, 0),
                )
            )
        return rows

    def headline(self) -> str:
        return f"[extract] {time.monotonic() - self._started:6.1f}s {self.status()}"

    def status(self) -> str:
        """The headline without the elapsed time: what the run is doing."""
        s = self._ctx.stats
        rows = self.endpoints()
        finished = sum(1 for r in rows if r.state in ("done", "skipped", "failed"))
        return (
            f"{self._phase}: "
            f"{finished}/{len(rows)} endpoints finished, "
            f"{sum(r.records for r in rows):,} records in {sum(r.pages for r in rows):,} pages, "
            f"{s.requests:,} requests, {s.rate_limited} x 429, "
            f"waited {s.waited_seconds:.1f}s for the rate limit"
            + "".join(
                f"; no connection to {host} for {time.monotonic() - since:.0f}s ({reason}), "
                f"giving up after {self._ctx.adapter.unreachable_seconds:g}s"
                for host, (since, reason) in sorted(s.hosts_down().items())
            )
        )

    def _moved(self) -> tuple[Any, ...]:
        """The counts of the headline: while they stay the same (seconds waited and elapsed
        are no news), a tick prints nothing."""
        s = self._ctx.stats
        return (self._phase, s.requests, s.rate_limited, tuple(sorted(s.hosts_down())))

    @staticmethod
    def line(row: EndpointProgress) -> str:
        left = row.left()
        return (
            f"[extract]   {row.name:<28} {row.state:<8} {row.pages_text():>9} pages "
            f"{row.records:>9,} records  waited {row.waited_seconds:5.1f}s"
            + (f"  {row.rate_limited} x 429" if row.rate_limited else "")
            + (f"  {row.no_connection} x no connection" if row.no_connection else "")
            + (f"  left: {left}" if left else "")
        )

    def table(self) -> Table:
        table = Table(title=self.headline(), title_justify="left", box=box.SIMPLE_HEAD)
        for column, justify in (
            ("endpoint", "left"),
            ("state", "left"),
            ("pages", "right"),
            ("records", "right"),
            ("waited", "right"),
            ("429s", "right"),
            ("left", "left"),
        ):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        style = {
            "done": "green",
            "failed": "red",
            "skipped": "yellow",
            "waiting": "dim",
            "retrying": "red",
        }
        for row in self.endpoints():
            table.add_row(
                row.name,
                f"[{style.get(row.state, 'bold')}]{row.state}[/]",
                row.pages_text(),
                f"{row.records:,}",
                f"{row.waited_seconds:.1f}s",
                str(row.rate_limited or ""),
                row.left(),
            )
        return table

    def print_lines(self, only_if_moved: bool = False) -> None:
        """The headline and the endpoints whose state, pages or records changed since the last
        print. With ``only_if_moved`` nothing at all when no endpoint and no count of the
        headline changed, except a headline every ``HEARTBEAT_SECONDS`` (a log that says the run is
        alive, not the same lines every few seconds)."""
        with self._printing:
            now = time.monotonic()
            lines = [self.headline()]
            status = self._moved()
            for row in self.endpoints():
                if self._shown.get(row.name) != row.counters():
                    self._shown[row.name] = row.counters()
                    lines.append(self.line(row))
            quiet = now - self._printed_at < HEARTBEAT_SECONDS
            if only_if_moved and len(lines) == 1 and status == self._status and quiet:
                return
            self._status, self._printed_at = status, now
            print("\n".join(lines), file=self._out, flush=True)

    # running

    def __enter__(self) -> LiveProgress:
        if self._console.is_terminal and not _ci_log(self._out):
            self._live = Live(
                get_renderable=self.table,
                console=self._console,
                refresh_per_second=2,
                transient=False,
            )
            self._live.start()
        else:
            self._thread = threading.Thread(target=self._loop, name="extract-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._live is not None:
            self._live.stop()  # draws the final state once more
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1)
        self.print_lines(only_if_moved=True)  # the last phase change printed the rest

    def _loop(self) -> None:
        while not self._stop.wait(self._every):
            self.print_lines(only_if_moved=True)
