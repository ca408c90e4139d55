"""Helpers for the Dagster code location's tests: its environment (the sandbox's credentials,
a DuckDB file, a Dagster home and dbt target of each test's own) and the child interpreter
that imports it (the code location reads its configuration when imported)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.fixtures.sandbox import SandboxHandle
from tests.transform.conftest import AS_OF, RESOURCES, ROOT, clean_env


@pytest.fixture(scope="module")
def dbt_target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One dbt target dir per module: the code location parses the project once (its manifest
    does not depend on the sandbox), every dbt command of a run gets a directory under it."""
    return tmp_path_factory.mktemp("dbt_target")


def dagster_env(
    sandbox: SandboxHandle, work: Path, dbt_target: Path, **extra: str
) -> dict[str, str]:
    """What a Dagster deployment of the code location sets: the variables `elt` reads."""
    (work / "dagster_home").mkdir(parents=True, exist_ok=True)
    return clean_env(
        **sandbox.env("v3"),
        DEST="duckdb",
        DUCKDB_PATH=str(work / "greenhouse.duckdb"),
        GREENHOUSE_PIPELINES_DIR=str(work / "pipelines"),
        # only the raw tables the dbt project reads: keeps the extract short
        GREENHOUSE_RESOURCES=RESOURCES["v3"],
        GREENHOUSE_AS_OF=AS_OF,
        DBT_TARGET_PATH=str(dbt_target),
        DBT_LOG_PATH=str(work / "dbt_logs"),
        DAGSTER_HOME=str(work / "dagster_home"),
        ELT_ENV_FILE="/dev/null",
        **extra,
    )


def child(env: dict[str, str], command: str) -> dict[str, Any]:
    """``tests/orchestration/dagster_child.py <command>`` in a fresh interpreter: its JSON."""
    result = subprocess.run(
        [sys.executable, "-m", "tests.orchestration.dagster_child", command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, (
        f"{command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def history_rows(env: dict[str, str]) -> list[dict[str, Any]]:
    """The run history (``greenhouse_raw.elt_runs``), oldest first."""
    with duckdb.connect(env["DUCKDB_PATH"], read_only=True) as connection:
        cursor = connection.execute(
            "select run_id, stage, exit_code, error, pipeline_name, records_read,"
            " records_by_endpoint, failed_endpoints from greenhouse_raw.elt_runs"
            " order by started_at"
        )
        columns = [d[0] for d in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        for name in ("records_by_endpoint", "failed_endpoints"):
            if isinstance(row[name], str):
                row[name] = json.loads(row[name])
    return rows
