"""The dbt project is lint-clean under transform/.sqlfluff (dbt Labs' style, dbt templater on the
duckdb target), rendered for each API version since the staging models switch SQL on it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .conftest import BIN, PROJECT_DIR, clean_env


@pytest.mark.parametrize("version", ["v3", "v1"])
def test_dbt_project_is_sqlfluff_clean(version: str, tmp_path: Path) -> None:
    env = clean_env(
        DEST="duckdb", DUCKDB_PATH=str(tmp_path / "lint.duckdb"), GREENHOUSE_API_VERSION=version
    )
    result = subprocess.run(
        [str(BIN / "sqlfluff"), "lint", "."],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert "All Finished" in result.stdout
