"""The greenhouse ELT as an Airflow DAG: one extract task per Harvest endpoint, then one dbt task
per model (the model and its tests), each model waiting for the endpoints whose tables it reads.

- Extract: dlt's ``PipelineTasksGroup`` over the project's own source (``extract.source``),
  decomposed with ``serialize``: one task per endpoint, one after another, all in the pipeline
  the CLI uses (same name, dataset and destination), so the incremental cursors that dlt keeps
  in the destination are shared with ``elt run``. Configuration is the CLI's: ``.dlt/`` of the
  project, the ``GREENHOUSE_*`` / ``DEST`` variables, the destination's variables.
- A failed endpoint fails its own task (the source raises when used alone); the next endpoint
  still runs (``all_done``), as ``elt run`` loads the others, and the models that read the
  failed endpoint's tables are not built (``upstream_failed``), so the run ends failed.
- Transform: astronomer-cosmos ``DbtTaskGroup`` over ``transform/`` with
  ``profiles/profiles.yml``, target DEST, ``dbt build`` per model (``TestBehavior.BUILD``).

Runs in an Airflow environment with this project installed (orchestration/airflow/
requirements.txt, then ``pip install --no-deps -e .``); docs/orchestrators.md says how.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dlt
import pendulum
from airflow.sdk import DAG
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import InvocationMode, LoadMode, TestBehavior
from dlt.common.configuration.container import Container
from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext
from dlt.common.known_env import DLT_PROJECT_DIR
from dlt.helpers.airflow_helper import PipelineTasksGroup

from extract.dbt_runner import production_build_env
from extract.destinations import plan_destination
from extract.pipeline import pipeline_name
from extract.settings import DEFAULT_DUCKDB_PATH, load_settings
from extract.source import greenhouse

# The project checkout (its .dlt/, transform/, profiles/): the one this file sits in, or
# GREENHOUSE_PROJECT_DIR when the DAG file is copied into another dags folder.
PROJECT_DIR = Path(
    os.environ.get("GREENHOUSE_PROJECT_DIR") or Path(__file__).resolve().parents[3]
).resolve()

# dbt of this environment (as `elt` finds it), whether or not its bin/ is on PATH
DBT = Path(sys.executable).with_name("dbt")

# The models are read from dbt's manifest, not from `dbt ls` at every parse of this file
# (dbt ls takes longer than Airflow's 30 s import timeout on a small machine). `dbt parse` in
# transform/ writes it (every `elt` run too); GREENHOUSE_DBT_MANIFEST names another one.
MANIFEST = Path(
    os.environ.get("GREENHOUSE_DBT_MANIFEST")
    or PROJECT_DIR / "transform" / "target" / "manifest.json"
)
if not MANIFEST.is_file():
    raise FileNotFoundError(
        f"no dbt manifest at {MANIFEST}: run `dbt parse --project-dir transform --profiles-dir "
        "profiles` in the project (or set GREENHOUSE_DBT_MANIFEST)"
    )


def use_project_config() -> None:
    """Resolve dlt's configuration from the project's .dlt/, as the CLI does."""
    os.environ[DLT_PROJECT_DIR] = str(PROJECT_DIR)
    if PluggableRunContext in Container():
        Container()[PluggableRunContext].reload_providers()


use_project_config()
# the CLI's default DuckDB file is relative to the project, not to a worker's directory
os.environ.setdefault("DUCKDB_PATH", str(PROJECT_DIR / DEFAULT_DUCKDB_PATH))
settings = load_settings()
plan = plan_destination(settings)
# dlt runs the source's parallelized resources in its extract pool, sized as `elt` sizes it
os.environ["EXTRACT__WORKERS"] = str(settings.extract_workers)

# the dbt variables `elt` sets for dbt (extract/dbt_runner.py), none of them a secret; the
# destination's own variables (POSTGRES_PASSWORD, ...) come from the worker's environment
dbt_env = {
    "DEST": settings.dest,
    "GREENHOUSE_API_VERSION": settings.api_version,
    "GREENHOUSE_RAW_SCHEMA": settings.raw_schema,
    "GREENHOUSE_RESOURCES": ",".join(settings.resources),
    **production_build_env(os.environ),
}
if settings.dest == "duckdb":
    dbt_env["DUCKDB_PATH"] = str(Path(settings.duckdb_path).resolve())

with DAG(
    dag_id="greenhouse",
    description="Greenhouse Harvest -> dlt -> dbt staging, intermediate and marts",
    schedule="@hourly",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    # two runs at once would read the same cursors and write the same tables
    max_active_runs=1,
    # DuckDB is one file that one process writes at a time: its tasks run one by one
    max_active_tasks=1 if settings.dest == "duckdb" else 16,
    tags=["greenhouse", "dlt", "dbt"],
) as dag:
    # PipelineTasksGroup points dlt's project dir at Airflow's dags folder (it looks for .dlt/
    # there) and gives each run a fresh working dir; the CLI reads the project's own .dlt/, so
    # the project dir is set back once the group is made (dlt's helper has no argument for it).
    # The pipeline must be made after the group, in its working dir.
    extract = PipelineTasksGroup(
        "extract", use_data_folder=False, wipe_local_data=True, use_task_logger=True
    )
    use_project_config()
    pipeline = dlt.pipeline(
        pipeline_name=pipeline_name(settings, plan),
        destination=plan.destination,
        dataset_name=settings.raw_schema,
    )
    source = greenhouse()
    extract_tasks = extract.add_run(
        pipeline,
        source,
        decompose="serialize",
        trigger_rule="all_done",
        retries=0,
    )
    # serialize makes one task per connected part of the source, in its order: here one
    # endpoint (resource) each
    task_of_table = {
        name: task
        for task, part in zip(extract_tasks, source.decompose("scc"), strict=True)
        for name in part.resources.selected
    }

    transform = DbtTaskGroup(
        group_id="transform",
        project_config=ProjectConfig(
            PROJECT_DIR / "transform", manifest_path=MANIFEST, env_vars=dbt_env
        ),
        profile_config=ProfileConfig(
            profile_name="greenhouse",
            target_name=settings.dest,
            profiles_yml_filepath=PROJECT_DIR / "profiles" / "profiles.yml",
        ),
        execution_config=ExecutionConfig(
            dbt_executable_path=DBT, invocation_mode=InvocationMode.DBT_RUNNER
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.BUILD,
            # a test of two models (relationships) runs once both are built, as a task of its own
            should_detach_multiple_parents_tests=True,
        ),
        operator_args={"append_env": True, "install_deps": False},
    )

    # each model waits for the extract tasks of the raw tables it reads (a nested table such
    # as applications__jobs comes with its endpoint's task); the run history table (elt_runs)
    # is written by `elt`, not by an extract task
    for node in transform.dbt_graph.filtered_nodes.values():
        model_task = transform.tasks_map.get(node.unique_id)
        if model_task is None:
            continue
        for upstream in node.depends_on:
            if upstream.startswith("source."):
                table = upstream.rsplit(".", 1)[1].split("__", 1)[0]
                if table in task_of_table:
                    task_of_table[table] >> model_task
