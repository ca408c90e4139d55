"""The Airflow DAG (orchestration/airflow/dags/greenhouse.py), loaded and run by Airflow 3 in its
pinned environment: it imports without errors; one extract task per endpoint, each dbt model
after the extract tasks of the raw tables it reads; one `dag.test()` run against the sandbox
into DuckDB builds every model, the marts equal the figures computed from the sandbox's records,
and `elt extract` afterwards carries on from the cursors the DAG stored; a failed endpoint fails
its own task and the run; a DAG with no credentials is a broken DAG that names what to set.

Runs on the account shape of the default sandbox: 200 candidates, every default v3 endpoint.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from extract.endpoints import default_resources
from tests.fixtures.airflow import Airflow
from tests.fixtures.sandbox import SandboxHandle, start_sandbox
from tests.transform.checks import check_marts
from tests.transform.conftest import AS_OF, ROOT, clean_env

# one run is ~100 Airflow tasks (22 endpoints, 48 models, 33 tests of two models), each dbt
# task a dbt invocation of its own: minutes on 2 busy cores, past the suite's default timeout
pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]

STAGING = ROOT / "transform" / "models" / "staging" / "greenhouse"
RESOURCES = default_resources("v3")


@dataclass
class Dag:
    """What Airflow's DagBag found in the dags folder."""

    found: dict[str, Any]

    @property
    def tasks(self) -> dict[str, dict[str, Any]]:
        return dict(self.found["tasks"])

    def ancestors(self, task_id: str) -> set[str]:
        seen: set[str] = set()
        todo = list(self.tasks[task_id]["upstream"])
        while todo:
            task = todo.pop()
            if task not in seen:
                seen.add(task)
                todo += self.tasks[task]["upstream"]
        return seen


@dataclass
class DagRun(Dag):
    log: str
    sandbox: SandboxHandle
    env: dict[str, str]  # what configured the DAG: the sandbox, DEST and the DuckDB file
    database: Path


@pytest.fixture(scope="module")
def dag(airflow: Airflow, tmp_path_factory: pytest.TempPathFactory) -> Dag:
    """The DAG as parsed with credentials set (parsing sends no request)."""
    env = {
        "GREENHOUSE_CLIENT_ID": "client-id",
        "GREENHOUSE_CLIENT_SECRET": "client-secret",
        "DEST": "duckdb",
        "DUCKDB_PATH": str(tmp_path_factory.mktemp("dag") / "greenhouse.duckdb"),
    }
    found, _ = airflow.probe(tmp_path_factory.mktemp("dag-parse"), env)
    return Dag(found)


@pytest.fixture(scope="module")
def dag_run(airflow: Airflow, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DagRun]:
    sandbox = start_sandbox(candidates=200)
    work = tmp_path_factory.mktemp("dag-run")
    database = work / "greenhouse.duckdb"
    env = {
        **sandbox.env("v3"),
        "DEST": "duckdb",
        "DUCKDB_PATH": str(database),
        "GREENHOUSE_AS_OF": AS_OF,
    }
    found, log = airflow.probe(work, env, run=True)
    yield DagRun(found, log, sandbox, env, database)
    sandbox.stop()


def test_the_dag_imports_without_errors(dag: Dag) -> None:
    assert dag.found["import_errors"] == {}
    assert dag.found["dags"] == ["greenhouse"]
    assert dag.found["schedule"] == "@hourly"
    assert dag.found["max_active_runs"] == 1
    # DuckDB is one file written by one process at a time
    assert dag.found["max_active_tasks"] == 1


def test_one_extract_task_per_endpoint_one_after_another(dag: Dag) -> None:
    extract = [t for t in dag.tasks if t.startswith("extract.")]
    assert extract == [f"extract.greenhouse_{name}" for name in RESOURCES]
    for before, task in zip(extract, extract[1:], strict=False):
        assert dag.tasks[task]["upstream"] == [before]
        # a failed endpoint does not stop the next one (as `elt run` loads the others)
        assert dag.tasks[task]["trigger_rule"] == "TriggerRule.ALL_DONE"


def _endpoints_named(model: str) -> set[str]:
    """The default endpoints whose tables a staging model's SQL names ('<table>' literals, a
    nested '<table>__<child>' counting as its endpoint): those of both API versions' branches,
    so a superset of what the v3 build reads."""
    sql = (STAGING / f"{model}.sql").read_text()
    return {name.split("__")[0] for name in re.findall(r"'([a-z_]+)'", sql)} & set(RESOURCES)


def test_each_staging_model_waits_for_the_endpoints_it_reads(dag: Dag) -> None:
    upstream: dict[str, set[str]] = {}
    for path in sorted(STAGING.glob("stg_greenhouse__*.sql")):
        task = f"transform.{path.stem}_model_build"
        if task not in dag.tasks:
            assert path.stem == "stg_greenhouse__eeoc"  # opt-in endpoint: not in a default run
            continue
        upstream[path.stem] = {
            t.removeprefix("extract.greenhouse_")
            for t in dag.tasks[task]["upstream"]
            if t.startswith("extract.")
        }
        named = _endpoints_named(path.stem)
        assert upstream[path.stem] <= named, path.stem
        # the run history is written by `elt`; every other staging model reads an endpoint
        assert upstream[path.stem] or not named, path.stem
        if len(named) == 1:
            assert upstream[path.stem] == named, path.stem
    assert len(upstream) == 22
    assert upstream["stg_greenhouse__applications"] == {"applications"}
    assert upstream["stg_greenhouse__custom_field_values"] == {
        "candidates",
        "applications",
        "jobs",
        "offers",
        "openings",
    }
    assert upstream["stg_greenhouse__elt_runs"] == set()


def test_the_funnel_mart_comes_after_the_endpoints_of_its_lineage(dag: Dag) -> None:
    ancestors = dag.ancestors("transform.applications_by_stage_model_build")
    for endpoint in ("applications", "application_stages", "jobs", "job_interview_stages"):
        assert f"extract.greenhouse_{endpoint}" in ancestors
    assert "transform.stg_greenhouse__applications_model_build" in ancestors
    # a test of two models runs once both are built
    detached = [t for t in dag.tasks if t.startswith("transform.relationships_")]
    assert detached
    for task in detached:
        assert all(u.startswith("transform.") for u in dag.tasks[task]["upstream"])
        assert len(dag.tasks[task]["upstream"]) >= 2


def test_one_run_builds_every_model_and_the_marts_equal_the_oracles(dag_run: DagRun) -> None:
    run = dag_run.found["run"]
    failed = {task: state for task, state in run["tasks"].items() if state != "success"}
    assert not failed, f"{failed}\n{dag_run.log[-5000:]}"
    assert set(run["tasks"]) == set(dag_run.tasks)
    assert run["state"] == "success"
    with duckdb.connect(str(dag_run.database), read_only=True) as connection:
        check_marts(connection, dag_run.sandbox.org, "v3")


def test_the_cli_carries_on_from_the_cursors_the_dag_stored(
    dag_run: DagRun, tmp_path: Path
) -> None:
    assert dag_run.found["run"]["state"] == "success"
    summary_file = tmp_path / "summary.json"
    result = subprocess.run(
        [sys.executable, "-m", "extract", "extract", "--summary-json", str(summary_file)],
        cwd=ROOT,
        env={
            **clean_env(),
            "ELT_ENV_FILE": "/dev/null",
            "GREENHOUSE_PIPELINES_DIR": str(tmp_path / "pipelines"),
            **dag_run.env,
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(summary_file.read_text())
    # the same pipeline, found in the destination: each incremental read starts at the cursor
    # the DAG's run stored, nothing is read whole or replaced
    assert summary["windows"]["applications"]["from"] is not None
    assert summary["windows"]["candidates"]["from"] is not None
    assert summary["tables"]["applications"]["replaced"] is False
    assert summary["tables"]["applications"]["total"] == dag_run.sandbox.org.count("applications")
    assert summary["records_extracted"].get("candidates", 0) < dag_run.sandbox.org.count(
        "candidates"
    )


def test_a_failed_endpoint_fails_its_task_and_the_run(airflow: Airflow, tmp_path: Path) -> None:
    sandbox = start_sandbox(candidates=50, fail_endpoints=["offers"])
    try:
        env = {
            **sandbox.env("v3"),
            "DEST": "duckdb",
            "DUCKDB_PATH": str(tmp_path / "greenhouse.duckdb"),
            "GREENHOUSE_RESOURCES": "jobs,offers,departments",
            "GREENHOUSE_MAX_ATTEMPTS": "2",
        }
        # the dbt tasks are marked done without running: this is about the extract
        found, log = airflow.probe(tmp_path, env, run=True, mark_success=r"transform\..*")
    finally:
        sandbox.stop()
    states = found["run"]["tasks"]
    assert states["extract.greenhouse_offers"] == "failed"
    assert states["extract.greenhouse_jobs"] == "success"
    assert states["extract.greenhouse_departments"] == "success"  # runs after the failed one
    assert states["transform.stg_greenhouse__offers_model_build"] == "upstream_failed"
    assert found["run"]["state"] == "failed"
    assert "1 Greenhouse endpoint failed after all retries (offers:" in log


def test_a_dag_without_credentials_is_a_broken_dag_naming_what_to_set(
    airflow: Airflow, tmp_path: Path
) -> None:
    found, _ = airflow.probe(tmp_path, {"DEST": "duckdb"})
    assert found["dags"] == []
    (error,) = found["import_errors"].values()
    assert "GREENHOUSE_CLIENT_ID" in error
