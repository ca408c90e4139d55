"""Sandbox -> extract -> dbt build on the local PostgreSQL, for v3 and v1: every mart row equals
the figures computed from the sandbox's own records and all dbt tests pass. Also checks the
index the staging pre-hooks put on the v1 child tables' _dlt_parent_id."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.postgres import PostgresDatabase
from tests.fixtures.sandbox import SandboxHandle

from .checks import check_marts, check_pipeline_marts
from .conftest import AS_OF, assert_build_passed, clean_env, run_dbt, run_extract

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.mark.parametrize("version", ["v3", "v1"])
def test_postgres_marts_equal_figures_computed_from_the_sandbox(
    transform_sandbox: SandboxHandle, postgres_db: PostgresDatabase, tmp_path: Path, version: str
) -> None:
    env = clean_env(
        **transform_sandbox.env(version),
        **postgres_db.env(),
        DEST="postgres",
        GREENHOUSE_PIPELINES_DIR=str(tmp_path / "pipelines"),
        GREENHOUSE_AS_OF=AS_OF,
    )
    run_extract(env, version)
    run = run_dbt(["build", "--target", "postgres"], env, tmp_path)
    assert_build_passed(run)

    with postgres_db.connect() as connection:
        check_marts(connection, transform_sandbox.org, version)
        check_pipeline_marts(connection, transform_sandbox.org, version)
        with connection.cursor() as cursor:
            cursor.execute(
                "select tablename from pg_indexes where schemaname = 'greenhouse_raw'"
                " and indexdef like '%(_dlt_parent_id)%'"
            )
            indexed = {row[0] for row in cursor.fetchall()}
    expected = (
        {
            "applications__jobs",
            "jobs__departments",
            "jobs__offices",
            "jobs__openings",
            "scheduled_interviews__interviewers",
            "job_stages__interviews",
            "jobs__hiring_team__hiring_managers",
        }
        if version == "v1"
        else {"jobs__office_ids"}
    )
    assert indexed == expected
