"""Rate budget, kill -9 mid-run, full refresh and secrets left behind by a run."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.extract.conftest import REPO, clean_environ, duckdb_target
from tests.extract.test_load import assert_every_record_landed


@pytest.mark.parametrize("version", ["v3", "v1"])
def test_rate_budget_is_respected_without_429s(sandbox_factory, run_extract, extract_env, version):
    # 6 requests per 1.5 s: a full run needs several windows
    sandbox = sandbox_factory(candidates=200, rate_limit=6, rate_window=1.5)
    run = run_extract({**extract_env, **sandbox.env(version)}).check()
    stats = sandbox.stats()
    assert stats["total"] > 12, "the run should span several rate windows"
    assert stats["rate_limited"] == 0, stats["by_status"]
    assert run.summary["rate_limited_429"] == 0
    assert run.summary["rate_limit_wait_seconds"] > 0
    assert_every_record_landed(duckdb_target(extract_env), sandbox, version)


def _start_cli(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "extract", "extract"],
        cwd=REPO,
        env={**clean_environ(), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _wait_for(condition, timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def _has_load_package(pipelines_dir: Path) -> bool:
    # dlt moves a package to load/normalized once it is normalized, before loading it
    return any(p.is_dir() for p in pipelines_dir.glob("*/load/normalized/*"))


@pytest.mark.parametrize("moment", ["extracting", "loading"])
def test_kill_9_then_rerun_has_no_duplicates_and_no_gaps(
    sandbox_factory, run_extract, extract_env, moment
):
    sandbox = sandbox_factory(candidates=200, slow_ms=40)
    env = {**extract_env, **sandbox.env("v3")}
    # a first complete load, then changes, so the killed run is an incremental one
    run_extract(env).check()
    sandbox.advance(0.05)
    sandbox.reset_stats()

    proc = _start_cli(env)
    try:
        if moment == "extracting":
            _wait_for(lambda: sandbox.stats()["total"] >= 8 or proc.poll() is not None)
        else:
            _wait_for(
                lambda: (
                    _has_load_package(Path(env["GREENHOUSE_PIPELINES_DIR"]))
                    or proc.poll() is not None
                )
            )
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL, "the run ended before it was killed"
    finally:
        if proc.poll() is None:
            proc.kill()

    sandbox.set_faults()  # full speed again
    run_extract(env).check()
    assert_every_record_landed(duckdb_target(extract_env), sandbox, "v3")


def test_full_refresh_reloads_everything(sandbox, run_extract, extract_env):
    env = {**extract_env, **sandbox.env("v3")}
    first = run_extract(env).check()
    target = duckdb_target(extract_env)
    counts = target.counts()
    sandbox.reset_stats()
    again = run_extract(env, "--full-refresh").check()
    # every record read again (same requests as the first full load), nothing doubled
    assert again.summary["total_records_extracted"] == first.summary["total_records_extracted"]
    assert sandbox.stats()["total"] == first.summary["requests"]
    assert target.counts() == counts
    assert_every_record_landed(target, sandbox, "v3")


@pytest.mark.parametrize("version", ["v3", "v1"])
def test_no_secret_in_anything_a_run_leaves(sandbox_factory, run_extract, extract_env, tmp_path,
                                            version):  # fmt: skip
    secret = f"cs-{uuid.uuid4().hex}"
    token = f"tok-{uuid.uuid4().hex}"
    sandbox = sandbox_factory(candidates=50, client_secret=secret, api_token=token)
    env = {**extract_env, **sandbox.env(version)}
    runs = [run_extract(env).check()]
    issued = set(sandbox.server.tokens)
    # a failing run too: its error text must not carry the credentials either
    sandbox.set_faults(forbidden=["candidates"])
    runs.append(run_extract(env))
    assert runs[-1].returncode == 1
    sandbox.set_faults()
    issued |= set(sandbox.server.tokens)
    if version == "v3":  # a token renewed mid-way
        sandbox.expire_tokens()
        runs.append(run_extract(env, "--full-refresh").check())
        issued |= set(sandbox.server.tokens)
        assert issued

    needles = [secret, token]
    needles.append(base64.b64encode(f"{token}:".encode()).decode())  # v1 Basic header
    needles.append(base64.b64encode(f"{sandbox.client_id}:{secret}".encode()).decode())
    needles.extend(issued)  # v3 access tokens issued during the runs
    haystacks = {f"run {i} output": r.stdout + r.stderr for i, r in enumerate(runs)}
    for path in tmp_path.rglob("*"):
        if path.is_file():
            haystacks[str(path)] = path.read_bytes().decode("latin-1")
    leaks = [(name, n[:8]) for name, text in haystacks.items() for n in needles if n in text]
    assert not leaks, leaks


@pytest.mark.postgres
def test_no_database_password_in_artifacts(sandbox_factory, run_extract, extract_env, tmp_path,
                                           postgres_db):  # fmt: skip
    # the local server trusts local connections, so any password works: make it recognisable
    password = f"pw-{uuid.uuid4().hex}"
    sandbox = sandbox_factory(candidates=30)
    env = {
        **extract_env,
        **sandbox.env("v3"),
        "DEST": "postgres",
        **postgres_db.env(),
        "POSTGRES_PASSWORD": password,
    }
    runs = [run_extract(env, "--resources", "candidates,departments").check()]
    env["POSTGRES_HOST"] = "127.0.0.2"  # unreachable: the error line must not carry it either
    env["POSTGRES_PORT"] = "1"
    runs.append(run_extract(env, "--resources", "departments"))
    assert runs[-1].returncode == 1 and len(runs[-1].error_lines) == 1, runs[-1].stderr
    texts = [r.stdout + r.stderr for r in runs]
    texts += [p.read_bytes().decode("latin-1") for p in tmp_path.rglob("*") if p.is_file()]
    assert not [t for t in texts if password in t]
