"""After records are deleted in the sandbox and the extract's deletion sweep has marked them, the
marts leave them out and equal the figures computed from the organisation's post-deletion
canonical records; `greenhouse_keep_deleted` keeps the marked rows in staging."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.fixtures.sandbox import SandboxHandle
from tests.oracles.deletions import choose_deletions

from .checks import check_marts
from .conftest import AS_OF, RESOURCES, ROOT, assert_build_passed, clean_env, fetch, run_dbt
from .conftest import run_extract as extract

pytestmark = pytest.mark.slow


def sweep(env: dict[str, str], version: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "extract", "extract", "--sweep-deletes"],
        cwd=ROOT,
        # no bound: one deleted job post of 8 is above the default (10% of a table)
        env={
            **env,
            "GREENHOUSE_RESOURCES": RESOURCES[version],
            "GREENHOUSE_SWEEP_DELETES_MAX_SHARE": "1",
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"sweep failed:\n{result.stderr[-3000:]}"


@pytest.mark.parametrize("version", ["v3", "v1"])
@pytest.mark.parametrize("dest", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_marts_leave_deleted_records_out(
    dest: str,
    version: str,
    sandbox_factory: Callable[..., SandboxHandle],
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    sandbox = sandbox_factory(candidates=100, seed=23)
    connect: Callable[[], Any]
    if dest == "duckdb":
        path = str(tmp_path / "greenhouse.duckdb")
        target_env = {"DUCKDB_PATH": path}
        connect = lambda: duckdb.connect(path, read_only=True)  # noqa: E731
    else:
        db = request.getfixturevalue("postgres_db")
        target_env, connect = db.env(), db.connect
    env = clean_env(
        **sandbox.env(version),
        **target_env,
        DEST=dest,
        GREENHOUSE_PIPELINES_DIR=str(tmp_path / "pipelines"),
        GREENHOUSE_SETTLE_SECONDS="0",
        GREENHOUSE_AS_OF=AS_OF,
    )
    extract(env, version)
    chosen = choose_deletions(sandbox.org, version)
    for entity, ids in chosen.items():
        sandbox.server.delete(entity, ids)
    extract(env, version, full_refresh=False)
    sweep(env, version)

    # the marts compared below, with everything upstream of them and their dbt tests
    marts = [
        "+applications_by_stage",
        "+offer_acceptance",
        "+offers",
        "+applications",
        "+candidates",
    ]
    build = run_dbt(
        ["build", "--target", dest, "--indirect-selection", "cautious", "--select", *marts],
        env,
        tmp_path / "build",
    )
    assert_build_passed(build)
    with connect() as connection:
        check_marts(connection, sandbox.org, version)
        rows = fetch(connection, "select candidate_id from greenhouse_marts.candidates")
    candidates = {r["candidate_id"] for r in rows}
    assert candidates == {c["id"] for c in sandbox.org.records("candidates")}
    assert not candidates & set(chosen["candidates"])

    keep = run_dbt(
        ["run", "--target", dest, "--select", "stg_greenhouse__candidates", "--vars",
         "{greenhouse_keep_deleted: true}"],
        env,
        tmp_path / "keep",
    )  # fmt: skip
    assert keep.returncode == 0, keep.output[-3000:]
    with connect() as connection:
        staged = {
            r["candidate_id"]
            for r in fetch(
                connection, "select candidate_id from greenhouse_staging.stg_greenhouse__candidates"
            )
        }
    assert set(chosen["candidates"]) <= staged
    assert staged - set(chosen["candidates"]) == candidates
