"""The dbt project is lint-clean under transform/.sqlfluff (dbt Labs' style, dbt templater on the
duckdb target): the whole project as rendered for v3, and the models that switch SQL on the API
version again as rendered for v1."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .conftest import BIN, PROJECT_DIR, clean_env

# the models whose SQL switches on the API version, linted again as rendered for v1
VERSIONED = [
    "models/staging/greenhouse/stg_greenhouse__applications.sql",
    "models/staging/greenhouse/stg_greenhouse__application_stages.sql",
    "models/staging/greenhouse/stg_greenhouse__job_interview_stages.sql",
    "models/staging/greenhouse/stg_greenhouse__offers.sql",
    "models/staging/greenhouse/stg_greenhouse__jobs.sql",
    "models/staging/greenhouse/stg_greenhouse__candidates.sql",
    "models/staging/greenhouse/stg_greenhouse__interviews.sql",
    "models/staging/greenhouse/stg_greenhouse__interviewers.sql",
    "models/staging/greenhouse/stg_greenhouse__scorecards.sql",
    "models/staging/greenhouse/stg_greenhouse__users.sql",
    "models/staging/greenhouse/stg_greenhouse__job_hiring_managers.sql",
    "models/staging/greenhouse/stg_greenhouse__job_interviews.sql",
    "models/staging/greenhouse/stg_greenhouse__openings.sql",
    "models/staging/greenhouse/stg_greenhouse__rejection_reasons.sql",
    "models/staging/greenhouse/stg_greenhouse__rejection_details.sql",
    "models/marts/applications_by_stage.sql",
    "models/intermediate/int_stage_visits_entered.sql",
    "models/marts/source_effectiveness.sql",
    "models/marts/stage_pass_through.sql",
    "models/staging/greenhouse/stg_greenhouse__eeoc.sql",
    "models/marts/diversity_funnel.sql",
]


def test_versioned_models_are_listed() -> None:
    switching = {
        str(p.relative_to(PROJECT_DIR))
        for p in (PROJECT_DIR / "models").rglob("*.sql")
        if "greenhouse_api_version()" in p.read_text()
    }
    assert switching == set(VERSIONED)


@pytest.mark.parametrize(("version", "paths"), [("v3", ["."]), ("v1", VERSIONED)])
def test_dbt_project_is_sqlfluff_clean(version: str, paths: list[str], tmp_path: Path) -> None:
    env = clean_env(
        DEST="duckdb",
        DUCKDB_PATH=str(tmp_path / "lint.duckdb"),
        GREENHOUSE_API_VERSION=version,
        # render the SQL that reads the raw tables (there are none here to introspect)
        GREENHOUSE_INTROSPECT="false",
        # the opt-in EEOC models too
        GREENHOUSE_RESOURCES="eeoc",
    )
    result = subprocess.run(
        [str(BIN / "sqlfluff"), "lint", *paths],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert "All Finished" in result.stdout
