"""SIGTERM (docker stop, Kubernetes, the scheduler, ``timeout``) ends a run like Ctrl-C: one line,
exit 143, no process left behind, and the rerun lands everything exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests.extract.conftest import REPO, clean_environ, duckdb_target
from tests.extract.test_load import assert_every_record_landed

VENV_BIN = Path(sys.executable).parent
STOPPED = "error: stopped by SIGTERM; rerun to finish (loaded data and cursors stay consistent)"


def _marked(env: dict[str, str]) -> tuple[dict[str, str], bytes]:
    """The environment plus a marker that every process of the run inherits."""
    marker = f"ELT_TEST_RUN={uuid.uuid4().hex}"
    name, value = marker.split("=")
    return {**env, name: value}, marker.encode()


def _processes_with(marker: bytes) -> list[str]:
    """Command lines of the live processes whose environment holds the marker."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if marker in (proc / "environ").read_bytes().split(b"\0"):
                found.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue
    return found


def _wait_for_line(process: subprocess.Popen[str], text: str) -> list[str]:
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if text in line:
            return seen
    raise AssertionError(f"the run ended before printing {text!r}:\n{''.join(seen)}")


def _finish(process: subprocess.Popen[str], seen: list[str]) -> tuple[int, str]:
    assert process.stderr is not None
    rest = process.stderr.read()
    return process.wait(timeout=120), "".join(seen) + rest


def _assert_nothing_left(marker: bytes) -> None:
    deadline = time.monotonic() + 10  # a process the run killed may take a moment to be reaped
    while (left := _processes_with(marker)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, f"processes left behind: {left}"


def _error_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if line.startswith("error:")]


def test_sigterm_through_the_entrypoint_stops_the_extract_and_the_rerun_completes(
    sandbox_factory, extract_env, run_extract
) -> None:
    """The container's entry point execs elt, so `docker stop`'s SIGTERM reaches it."""
    sandbox = sandbox_factory(candidates=60, slow_ms=200)
    env, marker = _marked(
        {
            **clean_environ(),
            **extract_env,
            **sandbox.env("v3"),
            "GREENHOUSE_WORKERS": "1",
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
            "PYTHON": sys.executable,
        }
    )
    process = subprocess.Popen(
        [str(REPO / "bin" / "entrypoint"), "run"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = _wait_for_line(process, "first load of")
    process.send_signal(signal.SIGTERM)  # to the entry point's PID: elt, if it exec'd
    code, log = _finish(process, seen)
    assert code == 143, log
    assert _error_lines(log) == [STOPPED], log
    assert "Traceback" not in log
    _assert_nothing_left(marker)
    sandbox.set_faults()
    run_extract({**extract_env, **sandbox.env("v3")}).check()
    assert_every_record_landed(duckdb_target(extract_env), sandbox, "v3")


def test_sigterm_during_dbt_stops_dbt_too(sandbox_factory, extract_env) -> None:
    sandbox = sandbox_factory(candidates=30)
    env, marker = _marked({**clean_environ(), **extract_env, **sandbox.env("v3")})
    process = subprocess.Popen(
        [sys.executable, "-m", "extract", "run"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = _wait_for_line(process, "transform: dbt build")
    deadline = time.monotonic() + 120
    while not any("dbt" in c and "build" in c for c in _processes_with(marker)):
        assert process.poll() is None and time.monotonic() < deadline, "".join(seen)
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)  # elt only: it must pass the signal on to dbt
    code, log = _finish(process, seen)
    assert code == 143, log
    assert _error_lines(log) == [STOPPED], log
    _assert_nothing_left(marker)


def test_timeout_leaves_no_process_behind(sandbox_factory, extract_env) -> None:
    """`timeout ... elt run`: timeout passes its SIGTERM on; the run stops with nothing left."""
    sandbox = sandbox_factory(candidates=60, slow_ms=200)
    env, marker = _marked(
        {**clean_environ(), **extract_env, **sandbox.env("v3"), "GREENHOUSE_WORKERS": "1"}
    )
    process = subprocess.Popen(
        ["timeout", "600", sys.executable, "-m", "extract", "run"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = _wait_for_line(process, "first load of")
    process.send_signal(signal.SIGTERM)  # what timeout itself sends when the time is up
    code, log = _finish(process, seen)
    assert code == 143, log
    assert _error_lines(log) == [STOPPED], log
    _assert_nothing_left(marker)
