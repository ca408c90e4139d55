"""Run history: every stage of every `elt run`, success or failure, lands in the warehouse
(`elt_runs` in the raw dataset) and in the `pipeline_runs` mart, with no secret in it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.fixtures.sandbox import SandboxHandle

from .conftest import RESOURCES, elt

pytestmark = pytest.mark.slow


def test_runs_and_failures_are_recorded(transform_sandbox: SandboxHandle, tmp_path: Path) -> None:
    path = tmp_path / "history.duckdb"
    env = {
        **transform_sandbox.env("v3"),
        "DEST": "duckdb",
        "DUCKDB_PATH": str(path),
        "GREENHOUSE_PIPELINES_DIR": str(tmp_path / "pipelines"),
        "GREENHOUSE_RESOURCES": RESOURCES["v3"],
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
    }
    first = elt(env, "run")
    assert first.returncode == 0, first.stderr[-3000:]
    secret = "n0t-the-right-s3cret"
    failed = elt({**env, "GREENHOUSE_CLIENT_SECRET": secret}, "run")
    assert failed.returncode == 1
    second = elt(env, "run")
    assert second.returncode == 0, second.stderr[-3000:]

    with duckdb.connect(str(path), read_only=True) as con:
        raw = con.execute(
            "select stage, exit_code, error, records_read from greenhouse_raw.elt_runs"
            " order by started_at"
        ).fetchall()
        mart = con.execute(
            "select pipeline_stage, exit_code, is_success, error_message"
            " from greenhouse_marts.pipeline_runs"
            " order by started_at"
        ).fetchall()
        everything = con.execute("select * from greenhouse_raw.elt_runs").fetchall()
        dumped = " ".join(str(row) for row in everything)
    # run 1: extract + transform; run 2: the failed extract only; run 3: extract + transform
    assert [(stage, code) for stage, code, _, _ in raw] == [
        ("extract", 0), ("transform", 0), ("extract", 1), ("extract", 0), ("transform", 0),
    ]  # fmt: skip
    assert raw[0][3] == sum(
        transform_sandbox.org.count(entity) for entity in RESOURCES["v3"].split(",")
    )
    assert "401" in raw[2][2] and "GREENHOUSE_CLIENT_SECRET" in raw[2][2]
    assert secret not in dumped and transform_sandbox.client_secret not in dumped
    # the mart is rebuilt by each transform: the last build saw everything but its own row
    assert [(stage, code, ok) for stage, code, ok, _ in mart] == [
        ("extract", 0, True), ("transform", 0, True), ("extract", 1, False), ("extract", 0, True),
    ]  # fmt: skip
