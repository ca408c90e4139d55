"""The scheduled runner (compose `scheduler`): cron semantics, exit status in the log, no overlap.

The CLI tests use a 6-field expression (last field = seconds) so a run fires within a second, and a
stand-in command instead of the pipeline: what is under test is the scheduling, not the pipeline.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import IO

import pytest

from deploy.scheduler import CrontabTrigger, ScheduleError, parse_timezone
from tests.deploy.helpers import ROOT

EVERY_SECOND = "* * * * * *"


def schedule(*args: str, env: dict[str, str] | None = None, timeout: int = 60):
    return subprocess.run(
        [sys.executable, "-m", "deploy.scheduler", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def fire_times(expression: str, start: datetime, count: int, tz: str = "UTC") -> list[datetime]:
    trigger = CrontabTrigger(expression, parse_timezone(tz))
    times: list[datetime] = []
    previous = None
    for _ in range(count):
        previous = trigger.get_next_fire_time(previous, start)
        assert previous is not None, "the schedule stopped firing"
        times.append(previous)
    return times


def test_hourly_schedule_fires_on_the_hour() -> None:
    start = datetime(2026, 3, 1, 10, 17, tzinfo=UTC)
    times = fire_times("0 * * * *", start, 3)
    assert times == [start.replace(minute=0) + timedelta(hours=h) for h in (1, 2, 3)]


@pytest.mark.parametrize(("field", "weekday"), [("0", 6), ("7", 6), ("1", 0), ("5", 4)])
def test_day_of_week_follows_crontab_sunday_zero(field: str, weekday: int) -> None:
    # crontab: 0 and 7 = Sunday, 1 = Monday; Python's weekday(): Monday = 0 ... Sunday = 6.
    times = fire_times(f"30 6 * * {field}", datetime(2026, 3, 1, tzinfo=UTC), 4)
    assert all(t.weekday() == weekday and (t.hour, t.minute) == (6, 30) for t in times)
    assert all(b - a == timedelta(days=7) for a, b in zip(times, times[1:], strict=False))


def test_schedule_in_a_time_zone_keeps_local_wall_clock_time_across_dst() -> None:
    # Europe/Berlin leaves summer time on 2026-10-25: 02:00 local stays 02:00 local.
    times = fire_times("0 2 * * *", datetime(2026, 10, 23, 12, tzinfo=UTC), 4, "Europe/Berlin")
    assert [t.hour for t in times] == [2, 2, 2, 2]
    assert [t.utcoffset() for t in times] == [timedelta(hours=2)] * 2 + [timedelta(hours=1)] * 2


@pytest.mark.parametrize("bad", ["", "bogus", "61 * * * *", "* * *"])
def test_invalid_expressions_are_rejected(bad: str) -> None:
    with pytest.raises(ScheduleError):
        CrontabTrigger(bad, parse_timezone("UTC"))


def test_invalid_schedule_gives_one_clear_line_and_exit_2() -> None:
    result = schedule(env={"SCHEDULE": "every hour"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: SCHEDULE 'every hour' is not a valid cron expression")
    assert "Traceback" not in result.stderr


def test_unknown_time_zone_gives_one_clear_line_and_exit_2() -> None:
    result = schedule(env={"SCHEDULE": "0 * * * *", "SCHEDULE_TIMEZONE": "Mars/Olympus"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: unknown time zone 'Mars/Olympus' in SCHEDULE_TIMEZONE; use an IANA name such as "
        "UTC or Europe/Berlin"
    ]


def test_each_run_logs_its_exit_status() -> None:
    # A command that fails on its first run and succeeds on its second.
    marker = f"/tmp/gh-scheduler-{os.getpid()}-{time.monotonic_ns()}"
    command = f"if [ -e {marker} ]; then rm {marker}; exit 0; else touch {marker}; exit 3; fi"
    result = schedule("--max-runs", "2", "--", "sh", "-c", command, env={"SCHEDULE": EVERY_SECOND})
    log = result.stderr
    assert re.search(r"run 1 FAILED: exit 3 after [\d.]+s", log), log
    assert re.search(r"run 2 finished: exit 0 \(succeeded\) after [\d.]+s", log), log
    assert "stopped after 2 run(s), 1 failed" in log
    assert result.returncode == 1  # with --max-runs the exit status reports the failures


def test_runs_never_overlap_and_busy_firings_are_logged_as_skipped() -> None:
    # Each run takes ~2.5 s while the schedule fires every second.
    result = schedule(
        "--max-runs", "2", "--", "sleep", "2.5", env={"SCHEDULE": EVERY_SECOND}, timeout=90
    )
    log = result.stderr
    assert result.returncode == 0, log
    events = re.findall(r"run (\d+) (started|finished)", log)
    assert events == [("1", "started"), ("1", "finished"), ("2", "started"), ("2", "finished")]
    assert "run skipped at" in log and "previous run is still in progress" in log


def _in_a_long_first_run() -> tuple[subprocess.Popen[str], IO[str], list[str]]:
    """A scheduler whose first run (a 120 s sleep) has started, its log, its lines so far."""
    process = subprocess.Popen(
        [sys.executable, "-m", "deploy.scheduler", "--run-on-start", "--", "sleep", "120"],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SCHEDULE": "0 0 1 1 *"},
    )
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if "run 1 started" in line:
            break
    return process, process.stderr, seen


def test_sigterm_stops_the_running_pipeline_and_the_scheduler() -> None:
    process, stderr, seen = _in_a_long_first_run()
    process.send_signal(signal.SIGTERM)
    rest = stderr.read()
    assert process.wait(timeout=60) == 0
    log = "".join(seen) + rest
    assert "received SIGTERM: stopping" in log
    assert "run 1 FAILED: stopped by SIGTERM" in log
    assert "stopped after 1 run(s), 1 failed" in log


def test_a_burst_of_signals_still_stops_the_scheduler() -> None:
    # Hundreds of SIGTERMs: one lands while the main thread is inside its wait. A handler that
    # took a lock there (Event.set) would hang the scheduler forever; it must still stop.
    process, stderr, _ = _in_a_long_first_run()
    for _ in range(300):
        if process.poll() is not None:
            break
        os.kill(process.pid, signal.SIGTERM)
    try:
        code = process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise AssertionError("the scheduler hung after a burst of SIGTERMs") from None
    rest = stderr.read()
    assert code == 0, rest
    assert "stopped after 1 run(s), 1 failed" in rest


def test_started_line_names_the_schedule_and_the_next_run() -> None:
    result = schedule(
        "--max-runs", "1", "--", "true", env={"SCHEDULE": EVERY_SECOND, "SCHEDULE_TIMEZONE": "UTC"}
    )
    assert result.returncode == 0
    assert re.search(
        r"started: SCHEDULE='\* \* \* \* \* \*' \(UTC\), next run at \S+", result.stderr
    )


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        ((), {"SCHEDULE_MAX_RUNS": "many"}, "error: argument --max-runs: must be a whole number"),
        (("--max-runs", "-1"), {}, "error: argument --max-runs: must be a whole number"),
        (("--every", "5"), {}, "error: unrecognized arguments: --every"),
    ],
)
def test_bad_options_give_one_clear_line_and_exit_2(
    args: tuple[str, ...], env: dict[str, str], expected: str
) -> None:
    result = schedule(*args, env={"SCHEDULE": "0 * * * *", **env})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected), result.stderr
