"""Credentials in ``.dlt/secrets.toml``, in this project's layout and in dltHub's.

Real CLI runs against the sandbox, with a project dir (``DLT_PROJECT_DIR``) holding the toml
file and no credential in the environment. Expected ids come from the sandbox's organisation.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb

from tests.extract.conftest import REPO, Run, clean_environ, entity_of, org_ids

# what the toml file holds instead (and the API version: the default unless a test sets it)
LEFT_OUT = (
    "GREENHOUSE_CLIENT_ID",
    "GREENHOUSE_CLIENT_SECRET",
    "GREENHOUSE_API_TOKEN",
    "GREENHOUSE_API_VERSION",
)


def run_with_secrets(tmp_path: Path, sandbox: Any, secrets_toml: str, **env: str) -> Run:
    project = tmp_path / "project"
    (project / ".dlt").mkdir(parents=True, exist_ok=True)
    (project / ".dlt" / "config.toml").write_text((REPO / ".dlt" / "config.toml").read_text())
    (project / ".dlt" / "secrets.toml").write_text(secrets_toml)
    sandbox_env = {k: v for k, v in sandbox.env().items() if k not in LEFT_OUT}
    proc = subprocess.run(
        [sys.executable, "-m", "extract", "extract", "--resources", "departments"],
        cwd=REPO,
        env={
            **clean_environ(),
            **sandbox_env,
            "DLT_PROJECT_DIR": str(project),
            "GREENHOUSE_PIPELINES_DIR": str(tmp_path / "pipelines"),
            "DUCKDB_PATH": str(tmp_path / "raw.duckdb"),
            "GREENHOUSE_SETTLE_SECONDS": "0",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr, None)


def _departments(tmp_path: Path) -> list[int]:
    conn = duckdb.connect(str(tmp_path / "raw.duckdb"), read_only=True)
    try:
        rows = conn.execute("select id from greenhouse_raw.departments").fetchall()
    finally:
        conn.close()
    return sorted(r[0] for r in rows)


def test_this_projects_layout_sources_greenhouse(sandbox, tmp_path):
    toml = (
        "[sources.greenhouse]\n"
        f'client_id = "{sandbox.client_id}"\n'
        f'client_secret = "{sandbox.client_secret}"\n'
    )
    run = run_with_secrets(tmp_path, sandbox, toml)
    assert run.returncode == 0, run.stderr[-2000:]
    assert _departments(tmp_path) == sorted(org_ids(sandbox.org, "departments"))


def test_dlthubs_layout_is_read_and_a_v1_key_says_how_to_use_it(sandbox, tmp_path):
    toml = f'[sources.greenhouse_harvest_source]\napi_token = "{sandbox.api_token}"\n'

    # the default API version is v3: the v1 key found is named, with the switch to use it
    refused = run_with_secrets(tmp_path, sandbox, toml)
    assert refused.returncode == 2, refused.stderr
    assert "Traceback" not in refused.stderr
    assert len(refused.error_lines) == 1, refused.stderr
    line = refused.error_lines[0]
    assert "missing Harvest v3 credentials: set GREENHOUSE_CLIENT_ID" in line
    assert "client_id under [sources.greenhouse] in .dlt/secrets.toml" in line
    assert "found [sources.greenhouse_harvest_source] api_token, a Harvest v1 API key" in line
    assert "GREENHOUSE_API_VERSION=v1" in line
    assert sandbox.api_token not in refused.stderr

    loaded = run_with_secrets(tmp_path, sandbox, toml, GREENHOUSE_API_VERSION="v1")
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    expected = sorted(org_ids(sandbox.org, entity_of("v1", "departments")))
    assert _departments(tmp_path) == expected


def test_dlts_nested_section_variant_is_read(sandbox, tmp_path):
    toml = (
        "[sources.greenhouse.greenhouse_harvest_source]\n"
        f'client_id = "{sandbox.client_id}"\n'
        f'client_secret = "{sandbox.client_secret}"\n'
    )
    run = run_with_secrets(tmp_path, sandbox, toml)
    assert run.returncode == 0, run.stderr[-2000:]
    assert _departments(tmp_path) == sorted(org_ids(sandbox.org, "departments"))


def test_no_credentials_anywhere_names_every_place_read(sandbox, tmp_path):
    run = run_with_secrets(tmp_path, sandbox, "", GREENHOUSE_API_VERSION="v1")
    assert run.returncode == 2, run.stderr
    assert len(run.error_lines) == 1, run.stderr
    line = run.error_lines[0]
    for place in (
        "GREENHOUSE_API_TOKEN",
        "SOURCES__GREENHOUSE__API_TOKEN",
        "api_token under [sources.greenhouse] in .dlt/secrets.toml",
        "[sources.greenhouse_harvest_source]",
    ):
        assert place in line, line
