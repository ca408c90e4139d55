"""Run the pipeline on a cron schedule: the compose `scheduler` service (`entrypoint schedule`).

    python -m deploy.scheduler [--schedule "0 * * * *"] [--timezone UTC] [--run-on-start]
                               [--max-runs N] [-- command ...]

The schedule comes from `SCHEDULE` (standard 5-field crontab, `@hourly`-style macros, or 6 fields
whose last one is seconds). Each run executes `elt run` (or the given command) as a child
process; its exit status is logged. Runs never overlap: a firing that comes while the previous run
is still going is skipped and logged, and firings missed while busy are coalesced into one. A run
that finds another one (not started by this scheduler) holding the pipeline's lock exits 2 with
"error: another run (PID ...) is in progress since ..."; it is logged as skipped, not failed.

Established parts only, no hand-written loop: APScheduler's BackgroundScheduler does the timing,
the no-overlap rule (max_instances=1) and coalescing; croniter parses the cron expression. croniter
rather than APScheduler 3's own CronTrigger.from_crontab because the latter numbers weekdays from
Monday=0, so `0 9 * * 1` would fire on Tuesdays; croniter keeps crontab's Sunday=0 semantics.
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from datetime import datetime, tzinfo
from pathlib import Path
from typing import NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from croniter import croniter  # type: ignore[import-untyped]  # types-croniter is not locked

from extract.lock import LOCK_BUSY_PREFIX

DEFAULT_COMMAND = [str(Path(sys.executable).with_name("elt")), "run"]
DEFAULT_SCHEDULE = "0 * * * *"
JOB_ID = "pipeline"
# Seconds a child gets to finish after SIGTERM when the scheduler is stopped.
STOP_GRACE_SECONDS = 60
STOP_POLL_SECONDS = 0.2  # how soon the main thread notices a signal

log = logging.getLogger("scheduler")


class ScheduleError(ValueError):
    """A SCHEDULE or timezone the scheduler cannot use."""


class CrontabTrigger(BaseTrigger):
    """An APScheduler trigger that fires on a crontab expression, evaluated by croniter."""

    def __init__(self, expression: str, timezone: tzinfo) -> None:
        expression = " ".join(expression.split())
        if not expression:
            raise ScheduleError("SCHEDULE is empty; set a cron expression such as '0 * * * *'")
        if not croniter.is_valid(expression):
            raise ScheduleError(
                f"SCHEDULE '{expression}' is not a valid cron expression; expected 5 fields "
                "'minute hour day-of-month month day-of-week' (e.g. '0 * * * *' = hourly), "
                "an @hourly/@daily macro, or a 6th field for seconds"
            )
        self.expression = expression
        self.timezone = timezone

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        start = previous_fire_time or now
        return croniter(self.expression, start.astimezone(self.timezone)).get_next(datetime)

    def __str__(self) -> str:
        return f"cron[{self.expression}]"


def parse_timezone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(
            f"unknown time zone '{name}' in SCHEDULE_TIMEZONE; use an IANA name such as UTC "
            "or Europe/Berlin"
        ) from None


EXIT_CONFIG = 2  # elt's exit code for configuration problems, a run already in progress included
LOCK_BUSY_LINE = b"error: " + LOCK_BUSY_PREFIX.encode()


def _copy_stderr(process: subprocess.Popen[bytes], busy: list[str]) -> None:
    """Copy the child's stderr to ours; note a line saying another run holds the lock."""
    assert process.stderr is not None
    out = sys.stderr.buffer
    for line in process.stderr:
        out.write(line)
        out.flush()
        if line.startswith(LOCK_BUSY_LINE):
            busy.append(line.decode(errors="replace").strip())


class PipelineRunner:
    """Runs the command once per firing and logs how each run ended."""

    def __init__(self, command: Sequence[str], max_runs: int = 0) -> None:
        self.command = list(command)
        self.max_runs = max_runs
        self.runs = 0
        self.failures = 0
        self.done = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = False
        self._lock = threading.Lock()

    def __call__(self) -> int:
        began = time.monotonic()
        with self._lock:
            if self._stopping:
                return 0
            self.runs += 1
            number = self.runs
            try:
                # stdout is inherited; stderr is copied through line by line (the pipeline's
                # own log lines stay in the log) and watched for the "another run" line.
                process = self._process = subprocess.Popen(self.command, stderr=subprocess.PIPE)
            except OSError as exc:
                self.failures += 1
                log.error("run %d FAILED: cannot start %s: %s", number, self.command[0], exc)
                self._finish(number)
                return 127
        log.info("run %d started (pid %d): %s", number, process.pid, shlex.join(self.command))
        busy: list[str] = []
        copier = threading.Thread(target=_copy_stderr, args=(process, busy), daemon=True)
        copier.start()
        code = process.wait()
        copier.join(timeout=5)
        with self._lock:
            self._process = None
        took = time.monotonic() - began
        if code == EXIT_CONFIG and busy:
            # Another run (started by hand, or by a second scheduler) holds the pipeline's lock.
            log.warning("run %d skipped: %s", number, busy[0].removeprefix("error: "))
        elif code == 0:
            log.info("run %d finished: exit 0 (succeeded) after %.1fs", number, took)
        elif code < 0 or code - 128 in (signal.SIGTERM, signal.SIGINT):
            # killed by a signal, or elt stopped cleanly on one (exit 128 + signal number)
            self.failures += 1
            name = signal.Signals(-code if code < 0 else code - 128).name
            log.error("run %d FAILED: stopped by %s after %.1fs", number, name, took)
        else:
            self.failures += 1
            log.error("run %d FAILED: exit %d after %.1fs", number, code, took)
        self._finish(number)
        return code

    def _finish(self, number: int) -> None:
        if self.max_runs and number >= self.max_runs:
            self.done.set()

    def stop(self) -> None:
        """No new runs; ask a running child to stop (SIGTERM), kill it after the grace period."""
        with self._lock:
            self._stopping = True
            process = self._process
        if process is None or process.poll() is not None:
            return
        log.info("stopping the running pipeline (SIGTERM, %ds grace)", STOP_GRACE_SECONDS)
        process.terminate()
        try:
            process.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()


def build_scheduler(trigger: BaseTrigger, runner: PipelineRunner) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=getattr(trigger, "timezone", None) or "UTC")
    scheduler.add_job(
        runner,
        trigger,
        id=JOB_ID,
        name="pipeline run",
        max_instances=1,  # never two runs at once: they would write the same dlt state
        coalesce=True,  # firings missed while busy collapse into one
        misfire_grace_time=None,  # a late firing still runs (once), however late
    )

    def on_skipped(event: JobSubmissionEvent) -> None:
        log.warning(
            "run skipped at %s: the previous run is still in progress (runs never overlap)",
            event.scheduled_run_times[0].isoformat() if event.scheduled_run_times else "now",
        )

    scheduler.add_listener(on_skipped, EVENT_JOB_MAX_INSTANCES)
    return scheduler


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One clear line instead of usage + message."""
        self.exit(2, f"error: {message} (see: schedule --help)\n")


def _run_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(
            f"must be a whole number >= 0 (got {text!r}; also read from SCHEDULE_MAX_RUNS)"
        )
    return value


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="schedule",
        description="Run the pipeline on a cron schedule (APScheduler + croniter).",
    )
    parser.add_argument(
        "--schedule",
        default=os.environ.get("SCHEDULE", DEFAULT_SCHEDULE),
        help="cron expression (default: $SCHEDULE, else '0 * * * *')",
    )
    parser.add_argument(
        "--timezone",
        default=os.environ.get("SCHEDULE_TIMEZONE") or "UTC",
        help="IANA time zone the expression is read in (default: $SCHEDULE_TIMEZONE, else UTC)",
    )
    parser.add_argument(
        "--run-on-start",
        action="store_true",
        default=os.environ.get("SCHEDULE_RUN_ON_START", "").lower() in {"1", "true", "yes"},
        help="also run once right away (default: $SCHEDULE_RUN_ON_START)",
    )
    parser.add_argument(
        "--max-runs",
        type=_run_count,
        # A string default goes through `type` too: a bad SCHEDULE_MAX_RUNS gets the same message.
        default=os.environ.get("SCHEDULE_MAX_RUNS") or "0",
        help="exit after this many runs; 0 = run until stopped (default: $SCHEDULE_MAX_RUNS or 0)",
    )
    parser.add_argument(
        "command",
        nargs=argparse.REMAINDER,
        help="command to run (after --); default: elt run",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO,
        format="[scheduler %(asctime)s] %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S%z",
        stream=sys.stderr,
    )
    # APScheduler's own job messages repeat what the runner and on_skipped log.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    args = _parser().parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    command = command or DEFAULT_COMMAND
    try:
        trigger = CrontabTrigger(args.schedule, parse_timezone(args.timezone))
    except ScheduleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    runner = PipelineRunner(command, max_runs=args.max_runs)
    scheduler = build_scheduler(trigger, runner)
    received: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        # Only a note: the handler runs in the main thread between two bytecodes, possibly
        # while that thread holds the lock inside runner.done.wait(); setting the Event here
        # would take that (non-reentrant) lock again and hang the scheduler for good.
        received.append(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    # APScheduler keeps time in its own thread; the main thread waits for a signal or --max-runs.
    scheduler.start()
    job = scheduler.get_job(JOB_ID)
    if args.run_on_start:
        job.modify(next_run_time=datetime.now(trigger.timezone))
    log.info(
        "started: SCHEDULE='%s' (%s), next run at %s; runs never overlap",
        trigger.expression,
        args.timezone,
        job.next_run_time.isoformat(),
    )

    while not received and not runner.done.wait(STOP_POLL_SECONDS):
        pass
    if received:
        log.info("received %s: stopping", signal.Signals(received[0]).name)
    scheduler.pause()
    runner.stop()
    scheduler.shutdown(wait=True)
    log.info("stopped after %d run(s), %d failed", runner.runs, runner.failures)
    # With --max-runs the exit status tells whether every run succeeded (useful for smoke tests).
    if args.max_runs and not received:
        return 0 if runner.failures == 0 else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
