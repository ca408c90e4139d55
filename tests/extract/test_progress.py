"""Live progress as a user sees it: per endpoint its state and, where one is honest, what is
left (v1: pages of the ``rel="last"`` page; a v3 rerun: the previous run's records), as plain
lines when stderr is no terminal and as a rich table redrawn in place when it is one.

Expected figures come from the sandbox's organisation (tests/oracles), never from the output."""

from __future__ import annotations

import math
import re

from extract.endpoints import default_resources
from extract.settings import PER_PAGE
from tests.oracles.landing import expected_count


def _endpoint_lines(stderr: str, name: str) -> list[str]:
    return [line for line in stderr.splitlines() if re.match(rf"\[extract\]\s+{name}\s", line)]


def test_v1_lines_count_down_to_the_last_page(sandbox_factory, run_extract, extract_env):
    """Rate limited to one request per window: between the pages of applications the plain
    lines say it is waiting, how many of its pages are left (from rel="last"), then done."""
    sandbox = sandbox_factory(candidates=450, rate_limit=1, rate_window=1.5)
    pages = math.ceil(expected_count(sandbox.org, "applications", "v1") / PER_PAGE)
    assert pages >= 2  # the organisation is big enough for the countdown to show
    env = {**extract_env, **sandbox.env("v1"), "ELT_PROGRESS_SECONDS": "0.2"}

    run = run_extract(env, "--resources", "applications,departments").check()

    lines = _endpoint_lines(run.stderr, "applications")
    left = [line for line in lines if f"left: {pages - 1} of {pages} pages" in line]
    # (the first such line may still be "reading": the page's records are being handed on)
    assert any(" waiting " in line for line in left), "\n".join(lines)
    assert re.search(rf"\sdone\s+{pages}/{pages} pages\s+", lines[-1]), lines[-1]
    assert "departments" in run.stderr
    # normalize and load are steps of their own, not silence
    headlines = [line for line in run.stderr.splitlines() if "endpoints finished" in line]
    assert any(" normalize: " in line for line in headlines)
    assert any(" load: " in line for line in headlines)


def test_v3_rerun_estimates_from_the_previous_run(sandbox, run_extract, extract_env, target):
    """The second v3 run expects about what the first one read from each incremental
    endpoint (the run history) and, for a table it replaces, the rows the table holds."""
    env = {**extract_env, **target.env, **sandbox.env("v3"), "ELT_PROGRESS_SECONDS": "600"}
    resources = ("--resources", "candidates,departments")
    run_extract(env, *resources).check()

    second = run_extract(env, *resources).check()

    candidates = expected_count(sandbox.org, "candidates")
    departments = expected_count(sandbox.org, "departments")
    first_lines = {
        name: _endpoint_lines(second.stderr, name)[0] for name in ("candidates", "departments")
    }
    assert " waiting " in first_lines["candidates"]
    assert f"left: ~{candidates:,} records (last run)" in first_lines["candidates"]
    assert f"left: ~{departments:,} records (in {target.name})" in first_lines["departments"]
    assert re.search(r"\sdone\s", _endpoint_lines(second.stderr, "candidates")[-1])


def test_terminal_mode_draws_the_table(sandbox, run_extract, extract_env):
    """stderr taken for a terminal (rich's TTY_COMPATIBLE): a table redrawn in place (the
    cursor moves up over the previous frame), no plain lines; the last frame is the end."""
    # (CI left empty: the suite's own CI run must not turn this terminal into a CI log)
    env = {**extract_env, **sandbox.env("v3"), "TTY_COMPATIBLE": "1", "CI": ""}

    run = run_extract(env, "--resources", "departments,offices").check()

    assert "\x1b[1A" in run.stderr  # redrawn over the previous frame
    last_frame = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", run.stderr).split("endpoint")[-1]
    for name in ("departments", "offices"):
        count = expected_count(sandbox.org, name)
        assert re.search(rf"{name}\s+done\s+1\s+{count}\s", last_frame), last_frame
    assert not _endpoint_lines(run.stderr, "departments")


def test_bad_progress_interval_is_one_line(sandbox, run_extract, extract_env):
    env = {**extract_env, **sandbox.env("v3"), "ELT_PROGRESS_SECONDS": "soon"}
    run = run_extract(env, "--resources", "departments")
    assert run.returncode == 2
    assert len(run.error_lines) == 1 and "ELT_PROGRESS_SECONDS='soon'" in run.error_lines[0]
    assert "Traceback" not in run.stderr


def test_ci_log_prints_only_what_changed(sandbox_factory, run_extract, extract_env):
    """CI=true (and a colour variable that makes rich take the log for a terminal): plain
    lines, an endpoint's line only when its state, pages or records changed since it was last
    printed, and a headline only when what it says changed (not one every tick)."""
    sandbox = sandbox_factory(candidates=600, rate_limit=2, rate_window=1)  # ~20 s of reading
    env = {
        **extract_env,
        **sandbox.env("v3"),
        "CI": "true",
        "TTY_COMPATIBLE": "1",
        "ELT_PROGRESS_SECONDS": "0.2",
    }

    run = run_extract(env).check()

    assert "\x1b[" not in run.stderr  # no table redrawn into the log
    headlines = [line for line in run.stderr.splitlines() if "endpoints finished" in line]
    # a headline alone (no endpoint line after it) says something the one before did not,
    # or comes a minute (the heartbeat) after it
    blocks = re.split(r"^(?=\[extract\]\s+[0-9.]+s )", run.stderr, flags=re.MULTILINE)
    blocks = [b.splitlines() for b in blocks if "endpoints finished" in b.split("\n", 1)[0]]
    counts = [re.sub(r"^\[extract\]\s+[0-9.]+s |, waited .*", "", b[0]) for b in blocks]
    at = [float(re.findall(r"^\[extract\]\s+([0-9.]+)s ", b[0])[0]) for b in blocks]
    alone = [
        n
        for n in range(1, len(blocks))
        if len(blocks[n]) == 1 and counts[n] == counts[n - 1] and at[n] - at[n - 1] < 59
    ]
    assert not alone, [blocks[n][0] for n in alone]
    names = default_resources("v3")
    for name in names:
        lines = [re.sub(r"\s+waited .*", "", line) for line in _endpoint_lines(run.stderr, name)]
        # never the same row twice in a row (a row may come back to a state: a 429 retried)
        assert all(a != b for a, b in zip(lines, lines[1:], strict=False)), "\n".join(lines)
        assert re.search(r"\sdone\s", lines[-1]), lines[-1]
    # far fewer lines than the whole table at every tick
    ticks = len(headlines)
    assert ticks > 5
    printed = sum(len(_endpoint_lines(run.stderr, name)) for name in names)
    assert printed < ticks * len(names) / 2, (printed, ticks)
