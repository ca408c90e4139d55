"""Subprocesses the harness measures or depends on: measured commands and the sandbox server.

Peak memory is taken two ways and the larger one is reported:
- `/usr/bin/time -v` (when installed): the kernel's max RSS of the largest single process;
- psutil polling of the whole process tree every 0.2 s: the sum of RSS over the tree at
  one instant (catches dlt worker processes; may miss a spike shorter than the interval).

Every process started here runs in its own session and is registered, so `kill_all()`
(called on exit, error and Ctrl-C) ends the whole tree and nothing is left running.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import psutil

from sandbox import process as sandbox_process

GNU_TIME = "/usr/bin/time"
POLL_INTERVAL_S = 0.2
POLL_CALLBACK_S = 0.5
PROGRESS_EVERY_S = 15.0

_live: set[subprocess.Popen] = set()


class BenchError(RuntimeError):
    """A failure the harness reports in one line (a scenario failed, the sandbox did not start)."""


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S', time.gmtime())}] {message}", flush=True)


def kill_all() -> None:
    """End every process tree this harness started (SIGTERM, then SIGKILL)."""
    for proc in list(_live):
        _kill_tree(proc)
    _live.clear()


def _kill_tree(proc: subprocess.Popen) -> None:
    """SIGTERM the process group, wait for every process of the tree, SIGKILL what is left.

    Waiting only for the direct child is not enough: `/usr/bin/time` exits at once on SIGTERM
    while the pipeline under it (dlt finishes its current step on SIGTERM) would live on.
    """
    if proc.poll() is not None:
        _live.discard(proc)
        return
    try:
        tree = [psutil.Process(proc.pid)]
        tree += tree[0].children(recursive=True)
    except psutil.NoSuchProcess:
        tree = []
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    _, alive = psutil.wait_procs(tree, timeout=10)
    if alive:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        for p in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.kill()
        psutil.wait_procs(alive, timeout=5)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)
    _live.discard(proc)


def _tree_rss(root: psutil.Process) -> int:
    total = 0
    try:
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


@dataclass
class Measurement:
    label: str
    argv: list[str]
    exit_code: int
    wall_s: float
    peak_rss_mb: float
    peak_rss_tree_sampled_mb: float
    peak_rss_largest_process_mb: float | None
    log_path: str
    cpu_s: float | None = None
    """user + system CPU seconds of the whole process tree (every process it waited for)"""
    extra: dict = field(default_factory=dict)
    rss_samples: list[tuple[float, int]] = field(default_factory=list, repr=False)
    """(unix time, tree RSS bytes) every POLL_INTERVAL_S; kept out of the JSON."""

    def peak_rss_between_mb(self, start: float, end: float) -> float | None:
        inside = [rss for t, rss in self.rss_samples if start <= t <= end]
        return round(max(inside) / 2**20, 1) if inside else None

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def tail(self, lines: int = 15) -> str:
        try:
            text = Path(self.log_path).read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(text[-lines:])

    def as_dict(self) -> dict:
        return {
            "label": self.label,
            "argv": self.argv,
            "exit_code": self.exit_code,
            "wall_s": round(self.wall_s, 2),
            "cpu_s": round(self.cpu_s, 2) if self.cpu_s is not None else None,
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "peak_rss_tree_sampled_mb": round(self.peak_rss_tree_sampled_mb, 1),
            "peak_rss_largest_process_mb": (
                round(self.peak_rss_largest_process_mb, 1)
                if self.peak_rss_largest_process_mb is not None
                else None
            ),
            "log": self.log_path,
            **self.extra,
        }


def run_measured(
    label: str,
    argv: list[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    log_path: Path,
    timeout_s: float,
    poll: Callable[[], None] | None = None,
) -> Measurement:
    """Run `argv` to completion, printing progress; return wall time and peak RSS.

    `poll` (if given) is called about every POLL_CALLBACK_S while the command runs, e.g. to
    sample the sandbox's request counters.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    time_file = log_path.with_suffix(".time")
    use_time = Path(GNU_TIME).exists()
    cmd = [GNU_TIME, "-v", "-o", str(time_file), *argv] if use_time else list(argv)
    log(f"{label}: start")
    # CPU of the reaped children: the measured tree only (one command at a time; the sandbox,
    # also a child, is reaped only when it stops)
    cpu_before = _children_cpu_s()
    with open(log_path, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            env=dict(env),
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        _live.add(proc)
        root = psutil.Process(proc.pid)
        peak = 0
        samples: list[tuple[float, int]] = []
        next_progress = start + PROGRESS_EVERY_S
        next_callback = start
        try:
            while proc.poll() is None:
                rss = _tree_rss(root)
                peak = max(peak, rss)
                samples.append((time.time(), rss))
                now = time.perf_counter()
                if poll is not None and now >= next_callback:
                    poll()
                    next_callback = now + POLL_CALLBACK_S
                if now >= next_progress:
                    log(
                        f"{label}: {now - start:.0f} s, RSS now {rss / 2**20:.0f} MB, "
                        f"peak {peak / 2**20:.0f} MB"
                    )
                    next_progress = now + PROGRESS_EVERY_S
                if now - start > timeout_s:
                    _kill_tree(proc)
                    raise BenchError(f"{label}: timed out after {timeout_s:.0f} s (see {log_path})")
                time.sleep(POLL_INTERVAL_S)
        finally:
            if proc.poll() is None:
                _kill_tree(proc)
            _live.discard(proc)
        wall = time.perf_counter() - start
    cpu = _children_cpu_s() - cpu_before
    largest = _parse_time_maxrss_mb(time_file) if use_time else None
    peak_mb = max(peak / 2**20, largest or 0.0)
    m = Measurement(
        label=label,
        argv=list(argv),
        exit_code=proc.returncode,
        wall_s=wall,
        peak_rss_mb=peak_mb,
        peak_rss_tree_sampled_mb=peak / 2**20,
        peak_rss_largest_process_mb=largest,
        log_path=str(log_path),
        cpu_s=cpu,
        rss_samples=samples,
    )
    status = "ok" if m.ok else f"FAILED (exit {m.exit_code})"
    log(f"{label}: {status} in {wall:.1f} s, CPU {cpu:.1f} s, peak RSS {peak_mb:.0f} MB")
    return m


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _parse_time_maxrss_mb(path: Path) -> float | None:
    try:
        text = path.read_text()
    except OSError:
        return None
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    return int(match.group(1)) / 1024 if match else None


class SandboxProcess(sandbox_process.SandboxProcess):
    """`python -m sandbox` on a free port (see `sandbox.process`), registered so `kill_all()`
    ends it, with its admin endpoints and CPU-time sampling."""

    def __init__(
        self,
        *,
        candidates: int,
        workdir: Path,
        name: str,
        rate_limit: int | None = None,
        rate_window_s: float | None = None,
        start_timeout_s: float = 900,
    ) -> None:
        args: list[str] = []
        if rate_limit:
            args += ["--rate-limit", str(rate_limit)]
            if rate_window_s:
                args += ["--rate-window", f"{rate_window_s:g}"]
        super().__init__(
            candidates=candidates,
            args=args,
            log_path=workdir / f"{name}.log",
            start_timeout=start_timeout_s,
            cwd=repo_root(),
        )
        self.rate_limit = rate_limit
        self.rate_window_s = rate_window_s
        self.workdir = workdir
        self.name = name
        self.startup_s = 0.0
        self.port_file = workdir / f"{name}.port"  # beside its log: the harness's tests look there

    def start(self) -> Self:
        self.workdir.mkdir(parents=True, exist_ok=True)
        limit = f", {self.rate_limit} req / {self.rate_window_s:g} s" if self.rate_limit else ""
        log(f"sandbox {self.name}: starting with {self.candidates:,} candidates{limit}")
        start = time.perf_counter()
        try:
            super().start()
        except sandbox_process.SandboxStartError as exc:
            raise BenchError(f"sandbox {self.name}: {exc}") from None
        assert self.proc is not None
        _live.add(self.proc)
        self._wait_ready()
        self.startup_s = time.perf_counter() - start
        log(f"sandbox {self.name}: ready on {self.base_url} after {self.startup_s:.1f} s")
        return self

    def _wait_ready(self) -> None:
        for _ in range(300):
            try:
                self.stats()
                return
            except (OSError, BenchError):
                time.sleep(0.1)
        raise BenchError(f"sandbox {self.name}: {self.base_url}/_admin/stats never answered")

    def stop(self, *, keep_log: bool = False) -> None:
        if self.proc is not None:
            _kill_tree(self.proc)  # the whole process group, as for every measured command
        super().stop(keep_log=keep_log)

    def cpu_seconds(self) -> float:
        """CPU time the sandbox has used so far (to see whether it, not the pipeline, is busy)."""
        if self.proc is None:
            return 0.0
        try:
            t = psutil.Process(self.proc.pid).cpu_times()
        except psutil.NoSuchProcess:
            return 0.0
        return t.user + t.system

    def _admin(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            f"{self.base_url}/_admin/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"} if data else {},
        )
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                payload = resp.read()
        except urllib.error.HTTPError as exc:
            raise BenchError(f"sandbox admin {method} /_admin/{path}: HTTP {exc.code}") from exc
        return json.loads(payload) if payload.strip() else {}

    def stats(self) -> dict:
        return self._admin("GET", "stats")

    def reset_stats(self) -> None:
        self._admin("POST", "reset-stats", {})

    def advance(self, fraction: float) -> dict:
        return self._admin("POST", "advance", {"fraction": fraction})


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def fresh_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    return path
