"""After the organisation moves on (new candidates, stage moves, new offer versions,
rejections), an incremental extract (merge on id; v1 child tables replaced per parent) and a
second `dbt build` give marts that again equal the figures computed from the sandbox.
(v3's incremental windows are the extract's tests; the v3 marts are checked on full loads.)"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import dlt
import duckdb
import pytest

from sandbox.data import Organisation
from sandbox.data.timestamps import iso_to_ms
from tests.fixtures.sandbox import SandboxHandle

from .checks import check_marts
from .conftest import RESOURCES, ROOT, assert_build_passed, clean_env, run_dbt, run_extract

pytestmark = pytest.mark.slow


def test_v1_marts_follow_an_incremental_run(
    sandbox_factory: Callable[..., SandboxHandle], tmp_path: Path
) -> None:
    # v1: child tables replaced per merged parent, and a small organisation (no closed job yet)
    # whose raw tables lack columns dlt only creates once a value arrives. Offices and sources
    # are not extracted (as with credentials lacking those scopes): the extract creates their
    # raw tables empty, their staging models are empty, and the build still passes.
    version = "v1"
    resources = RESOURCES[version].replace(",offices", "").replace(",sources", "")
    sandbox = sandbox_factory(candidates=120, seed=11)
    path = tmp_path / "greenhouse.duckdb"
    env = clean_env(
        **sandbox.env(version),
        DEST="duckdb",
        DUCKDB_PATH=str(path),
        GREENHOUSE_PIPELINES_DIR=str(tmp_path / "pipelines"),
        # read up to now: the sandbox's changes are stamped with the current time and the
        # default window stops 5 minutes short of it (eventual consistency on the real API)
        GREENHOUSE_SETTLE_SECONDS="0",
    )
    run_extract(env, version, resources=resources)
    first = run_dbt(["build", "--target", "duckdb"], env, tmp_path / "first")
    assert_build_passed(first)
    with duckdb.connect(str(path), read_only=True) as connection:
        for table in ("offices", "sources"):
            raw = connection.execute(f"select count(*) from greenhouse_raw.{table}").fetchone()
            staged = connection.execute(
                f"select count(*) from greenhouse_staging.stg_greenhouse__{table}"
            ).fetchone()
            assert raw == staged == (0,), table

    changes = sandbox.advance(0.1)
    assert changes
    run_extract(env, version, full_refresh=False, resources=resources)
    assert_build_passed(run_dbt(["build", "--target", "duckdb"], env, tmp_path / "second"))
    with duckdb.connect(str(path), read_only=True) as connection:
        check_marts(connection, sandbox.org, version)
        offices = connection.execute(
            "select count(office_id), count(office_name) from greenhouse_marts.jobs"
        ).fetchone()
    assert offices is not None
    assert offices[0] > 0 and offices[1] == 0  # the jobs know their office, not its name


def test_a_v1_run_inside_the_settle_window_stays_green_and_holds_back_new_applications(
    sandbox_factory: Callable[..., SandboxHandle], tmp_path: Path
) -> None:
    # v1 applications take no upper time filter. Right after the organisation moved on (new
    # candidates with their applications, stage moves), a run with the default settle window
    # reads candidates and jobs only up to now - 5 minutes: the applications changed since
    # are held back too, so no application points at a candidate not loaded yet.
    version, seed, size = "v1", 11, 120
    sandbox = sandbox_factory(candidates=size, seed=seed)
    path = tmp_path / "greenhouse.duckdb"
    env = clean_env(
        **sandbox.env(version),
        DEST="duckdb",
        DUCKDB_PATH=str(path),
        GREENHOUSE_PIPELINES_DIR=str(tmp_path / "pipelines"),
        GREENHOUSE_RESOURCES=RESOURCES[version],
        ELT_ENV_FILE="/dev/null",
        DBT_TARGET_PATH=str(tmp_path / "target"),
        DBT_LOG_PATH=str(tmp_path / "logs"),
    )
    run_extract({**env, "GREENHOUSE_SETTLE_SECONDS": "0"}, version)
    cursor = _applications_cursor(tmp_path)
    changes = sandbox.advance(0.1)
    assert changes["new_applications"] and changes["stage_moves"], changes
    before_ms = iso_to_ms(changes["now"])
    changed = sorted(
        a["id"]
        for a in sandbox.org.records("applications")
        if iso_to_ms(a["last_activity_at"]) >= before_ms
    )

    summary_path = tmp_path / "summary.json"
    run = subprocess.run(
        [sys.executable, "-m", "extract", "run", "--summary-json", str(summary_path)],
        cwd=ROOT,
        env=env,  # GREENHOUSE_SETTLE_SECONDS unset: the default 300 s
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    summary = json.loads(summary_path.read_text())
    assert summary["held_back"] == {"applications": len(changed)}
    assert f"applications: {len(changed)} record(s) changed after the window end" in run.stderr
    # nothing past the window end moved the cursor: the next run starts where this one did
    assert _applications_cursor(tmp_path) == cursor
    unchanged = Organisation(seed=seed, candidates=size)  # the organisation before advance()
    with duckdb.connect(str(path), read_only=True) as connection:
        check_marts(connection, unchanged, version)

    # The next run (here: with the window reaching now) loads what was held back.
    run_extract({**env, "GREENHOUSE_SETTLE_SECONDS": "0"}, version, full_refresh=False)
    with duckdb.connect(str(path), read_only=True) as connection:
        loaded = dict(
            connection.execute(
                "select id, last_activity_at from greenhouse_raw.applications"
            ).fetchall()
        )
    records = {a["id"]: a for a in sandbox.org.records("applications")}
    assert sorted(loaded) == sorted(records)
    for app_id in changed:
        assert int(loaded[app_id].timestamp() * 1000) == iso_to_ms(
            records[app_id]["last_activity_at"]
        ), app_id


def _applications_cursor(work: Path) -> str:
    """The stored last_activity_at cursor of v1 applications (the one DuckDB pipeline in work)."""
    pipelines = work / "pipelines"
    (name,) = [p.name for p in pipelines.iterdir() if p.is_dir()]
    pipeline = dlt.attach(pipeline_name=name, pipelines_dir=str(pipelines))
    resources = pipeline.state["sources"]["greenhouse"]["resources"]
    return str(resources["applications"]["incremental"]["last_activity_at"]["last_value"])
