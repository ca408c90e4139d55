"""A gateway answering 400 with the request's headers in its body (``Authorization: Bearer ...``
in v3, ``Basic <base64 of the API key>`` in v1): the extract fails that endpoint in one line
with the credential masked, and neither its output, the run history (``elt_runs``) nor the
pipelines dir holds a credential. Every API version on every destination; the whole run with
dbt and the report: tests/transform/test_no_credential_leaks.py."""

from __future__ import annotations

from base64 import b64encode
from pathlib import Path

import pytest

from tests.extract.conftest import DATASET, entity_of, org_ids

RESOURCES = "jobs,departments"


@pytest.mark.parametrize("version", ["v3", "v1"])
def test_an_echoed_credential_is_masked(
    sandbox, run_extract, extract_env, target, tmp_path: Path, version: str
) -> None:
    sandbox.set_faults(echo_headers=["jobs"])
    env = {**extract_env, **target.env, **sandbox.env(version), "GREENHOUSE_RESOURCES": RESOURCES}

    run = run_extract(env)

    assert run.returncode == 1, run.stderr[-3000:]
    assert len(run.error_lines) == 1, run.stderr[-3000:]
    line = run.error_lines[0]
    assert "jobs: HTTP 400" in line and "Authorization: ***" in line, line
    assert sandbox.stats()["faults"].get("echo_headers", 0) >= 1
    # the other endpoint loads
    expected = sorted(org_ids(sandbox.org, entity_of(version, "departments")))
    assert target.ids("departments") == expected
    history = target.query(f"select error, failed_endpoints from {DATASET}.elt_runs")
    assert len(history) == 1 and "Authorization: ***" in str(history[0][0])

    credentials = [
        sandbox.client_secret,
        sandbox.api_token,
        b64encode(f"{sandbox.api_token}:".encode()).decode(),
        b64encode(f"{sandbox.client_id}:{sandbox.client_secret}".encode()).decode(),
        *sandbox.server.tokens,  # v3 access tokens issued
    ]
    files = [p.read_bytes().decode("latin-1") for p in tmp_path.rglob("*") if p.is_file()]
    left = [run.stdout, run.stderr, str(history), *files]
    assert not [(i, c[:6]) for i, text in enumerate(left) for c in credentials if c in text]
