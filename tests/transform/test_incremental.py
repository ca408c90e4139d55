"""After the organisation moves on (new candidates, stage moves, new offer versions,
rejections), an incremental extract (merge on id; v1 child tables replaced per parent) and a
second `dbt build` give marts that again equal the figures computed from the sandbox.
(v3's incremental windows are the extract's tests; the v3 marts are checked on full loads.)"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from tests.fixtures.sandbox import SandboxHandle

from .checks import check_marts
from .conftest import RESOURCES, assert_build_passed, clean_env, run_dbt, run_extract

pytestmark = pytest.mark.slow


def test_v1_marts_follow_an_incremental_run(
    sandbox_factory: Callable[..., SandboxHandle], tmp_path: Path
) -> None:
    # v1: child tables replaced per merged parent, and a small organisation (no closed job yet)
    # whose raw tables lack columns dlt only creates once a value arrives. Offices and sources
    # are not extracted (as with credentials lacking those scopes): their staging models are
    # empty, with a warning, and the build still passes.
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
    assert "stg_greenhouse__offices is empty" in first.output
    assert "stg_greenhouse__sources is empty" in first.output

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
