"""A wrong API version is a dbt compilation error that names the setting, not a SQL failure."""

from __future__ import annotations

from pathlib import Path

from .conftest import clean_env, run_dbt


def test_unknown_api_version_fails_with_a_clear_message(tmp_path: Path) -> None:
    env = clean_env(
        DEST="duckdb", DUCKDB_PATH=str(tmp_path / "x.duckdb"), GREENHOUSE_API_VERSION="v2"
    )
    run = run_dbt(["parse"], env, tmp_path)
    assert run.returncode != 0
    assert "greenhouse_api_version must be 'v1' or 'v3', got 'v2'" in run.output
    assert "GREENHOUSE_API_VERSION" in run.output
