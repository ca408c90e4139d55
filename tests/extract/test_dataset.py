"""After a real extract, a dlt user reads the data the dlt way: ``dlt.pipeline(name).dataset()``.

The pipeline is attached by name alone (and the CLI's pipelines dir), from another working
directory, in a fresh interpreter with none of the project's variables: DuckDB's file is found
from the pipeline itself; PostgreSQL's server from dlt's own credentials variable, as dlt reads
it. Expected ids come from the sandbox's organisation.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.extract.conftest import clean_environ, org_ids

READ = """
import json, sys
import dlt
pipeline = dlt.pipeline(sys.argv[1], pipelines_dir=sys.argv[2])
frame = pipeline.dataset().candidates.df()
print(json.dumps(sorted(int(i) for i in frame["id"])))
"""


def read_candidates(
    name: str, pipelines_dir: str, cwd: Path, env: dict[str, str] | None = None
) -> list[int]:
    cwd.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [sys.executable, "-c", READ, name, pipelines_dir],
        cwd=cwd,
        env={**clean_environ(), **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_dataset_of_a_duckdb_run_reads_the_loaded_file(sandbox, run_extract, extract_env, tmp_path):
    run = run_extract({**extract_env, **sandbox.env("v3")}).check()
    name = run.summary["pipeline_name"]
    elsewhere = tmp_path / "elsewhere"

    ids = read_candidates(name, extract_env["GREENHOUSE_PIPELINES_DIR"], elsewhere)

    assert ids == sorted(org_ids(sandbox.org, "candidates"))
    assert not list(elsewhere.glob("*.duckdb")), "dlt opened a new, empty DuckDB file"


@pytest.mark.postgres
def test_dataset_of_a_postgres_run_reads_the_server(
    sandbox, run_extract, extract_env, postgres_db, tmp_path
):
    env = {**extract_env, **sandbox.env("v3"), "DEST": "postgres", **postgres_db.env()}
    run = run_extract(env).check()
    name = run.summary["pipeline_name"]

    ids = read_candidates(
        name,
        extract_env["GREENHOUSE_PIPELINES_DIR"],
        tmp_path / "elsewhere",
        {"DESTINATION__POSTGRES__CREDENTIALS": postgres_db.url},
    )

    assert ids == sorted(org_ids(sandbox.org, "candidates"))
