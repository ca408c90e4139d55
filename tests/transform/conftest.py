"""Helpers for the transform stage's tests: sandbox -> extract -> dbt build, built once per module.

dbt is slow to start on a small machine, so each destination and API version is built once
(module-scoped fixtures) and every comparison reads that one build. dbt writes its target/ and
logs/ into a temporary directory per run, so parallel runs never share state.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sandbox.data.timestamps import END_MS
from tests.fixtures.sandbox import SandboxHandle, start_sandbox

ROOT = Path(__file__).resolve().parents[2]
PROJECT_DIR = ROOT / "transform"
PROFILES_DIR = ROOT / "profiles"
BIN = Path(sys.executable).parent
SANDBOX_CANDIDATES = 200
# "now" of the marts' running durations (GREENHOUSE_AS_OF): the sandbox data set's fixed today
AS_OF = f"{datetime.fromtimestamp(END_MS // 1000, UTC):%Y-%m-%d %H:%M:%S}"

# only the raw tables the dbt project reads: keeps the extract short
RESOURCES = {
    "v3": "candidates,applications,application_stages,jobs,job_interview_stages,offers,"
    "departments,offices,sources,"
    "interviews,interviewers,scorecards,users,job_interviews,job_hiring_managers,"
    "openings,close_reasons,rejection_reasons,rejection_details",
    "v1": "candidates,applications,jobs,job_stages,offers,departments,offices,sources,"
    "scheduled_interviews,scorecards,users,close_reasons,rejection_reasons",
}

# variables a developer's shell may carry that would change what these tests build
_SCRUB = (
    "DEST",
    "DUCKDB_PATH",
    "GREENHOUSE_",
    "POSTGRES_",
    "DBT_",
    "SNOWFLAKE_",
    "BIGQUERY_",
    "REDSHIFT_",
    "DATABRICKS_",
)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUB)}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    env.update(extra)
    return env


def run_extract(
    env: dict[str, str], version: str, full_refresh: bool = True, resources: str | None = None
) -> None:
    refresh = ["--full-refresh"] if full_refresh else []
    resources = resources or RESOURCES[version]
    result = subprocess.run(
        [sys.executable, "-m", "extract", "extract", *refresh, "--resources", resources],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, (
        f"extract failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )


def elt(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`elt <args>` as a user runs it, with only `env` configuring it; dbt's target/ and logs/
    in a directory of their own unless `env` names them (tests run side by side, and dbt's
    partial-parse state in a shared target/ would mix their settings)."""
    scratch = Path(tempfile.mkdtemp(prefix="elt-dbt-"))
    own = {"DBT_TARGET_PATH": str(scratch / "target"), "DBT_LOG_PATH": str(scratch / "logs")}
    return subprocess.run(
        [sys.executable, "-m", "extract", *args],
        cwd=ROOT,
        env={**clean_env(), "ELT_ENV_FILE": "/dev/null", **own, **env},
        capture_output=True,
        text=True,
        timeout=900,
    )


@dataclass
class DbtRun:
    returncode: int
    output: str
    target_path: Path

    def results(self) -> list[dict[str, Any]]:
        data = json.loads((self.target_path / "run_results.json").read_text())
        return data["results"]


def run_dbt(
    args: list[str], env: dict[str, str], work: Path, dbt: list[str] | None = None
) -> DbtRun:
    """`dbt <args>` in the project, with its own target/ and logs/ under `work`; `dbt`: the
    command that runs dbt, when not this environment's (another environment's dbt)."""
    target_path = work / "target"
    command = [
        *(dbt or [str(BIN / "dbt")]),
        *args,
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROFILES_DIR),
        "--target-path",
        str(target_path),
        "--log-path",
        str(work / "logs"),
    ]
    result = subprocess.run(
        command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=900
    )
    return DbtRun(result.returncode, result.stdout + result.stderr, target_path)


def assert_build_passed(run: DbtRun) -> None:
    assert run.returncode == 0, f"dbt build failed:\n{run.output[-6000:]}"
    results = run.results()
    failed = [r["unique_id"] for r in results if r["status"] not in ("success", "pass")]
    assert not failed, f"dbt nodes not passing: {failed}"
    kinds = {r["unique_id"].split(".")[0] for r in results}
    assert {"model", "test", "unit_test"} <= kinds, kinds


@dataclass
class Build:
    """One extract + dbt build of the sandbox organisation."""

    version: str
    sandbox: SandboxHandle
    run: DbtRun
    connect: Any  # () -> DB-API connection to the destination


@pytest.fixture(scope="module")
def transform_sandbox() -> Iterator[SandboxHandle]:
    """One sandbox for a whole test module (the sandbox fixtures are per test)."""
    handle = start_sandbox(candidates=SANDBOX_CANDIDATES)
    yield handle
    handle.stop()


def build_duckdb(sandbox: SandboxHandle, version: str, work: Path) -> Build:
    import duckdb

    path = work / f"greenhouse_{version}.duckdb"
    env = clean_env(
        **sandbox.env(version),
        DEST="duckdb",
        DUCKDB_PATH=str(path),
        GREENHOUSE_PIPELINES_DIR=str(work / "pipelines"),
        GREENHOUSE_AS_OF=AS_OF,
    )
    run_extract(env, version)
    run = run_dbt(["build", "--target", "duckdb"], env, work)
    return Build(version, sandbox, run, lambda: duckdb.connect(str(path), read_only=True))


def fetch(connection: Any, sql: str) -> list[dict[str, Any]]:
    cursor = connection.cursor()
    cursor.execute(sql)
    columns = [d[0] for d in cursor.description]
    rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    cursor.close()
    return rows
