"""The dbt project (transform/) as Dagster assets: each model an asset, each data test an
asset check, built with dagster-dbt's ``@dbt_assets`` and ``DbtCliResource``.

dbt runs the way ``elt transform`` runs it (extract/dbt_runner.py): ``dbt build --target DEST``
with the profile variables resolved from the destination the extract loaded
(extract/handoff.py), the selected endpoints deciding the opt-in models, and dbt's unit tests
left to ``make test`` / CI. The raw tables a model reads (the ``greenhouse`` dbt source) are the
dlt assets of ``raw.py``, so the graph runs from each Harvest endpoint to the marts.
"""

import os
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetSpec, Failure
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from extract.dbt_runner import production_build_env
from extract.destinations import plan_for
from extract.errors import ConfigError
from extract.handoff import dbt_environment, missing_raw_data
from extract.history import dbt_counts
from extract.pipeline import lock_for
from extract.settings import (
    DEFAULT_DUCKDB_PATH,
    parse_resource_list,
    raw_datasets,
    resolve_dest,
    resolve_source_config,
)
from orchestration.dagster.environment import StageRecord, environ
from orchestration.dagster.raw import RESOURCES, raw_asset_key, resource_of_table

ROOT = Path(__file__).resolve().parents[2]
SOURCE_NAME = "greenhouse"  # the dbt source of the raw tables (_greenhouse__sources.yml)


@contextmanager
def dbt_profile_env() -> Iterator[dict[str, str]]:
    """The variables ``elt`` gives its dbt child, set in ``os.environ`` for the block."""
    dest = resolve_dest()
    if dest == "filesystem":
        raise ConfigError("DEST=filesystem has no dbt target; the Dagster models need a warehouse")
    config = resolve_source_config()
    plan = plan_for(dest, os.environ.get("DUCKDB_PATH") or DEFAULT_DUCKDB_PATH)
    with dbt_environment(plan, dest, config.raw_schema) as profile:
        env = {**profile, "GREENHOUSE_API_VERSION": str(config.api_version).lower()}
        env |= production_build_env(os.environ)
        selected = parse_resource_list(config.resources)
        if selected:
            env["GREENHOUSE_RESOURCES"] = ",".join(selected)
        with environ(env):
            yield env


def dbt_project() -> DbtProject:
    """transform/ with its manifest under ``DBT_TARGET_PATH`` (default ``transform/target``).
    ``dagster dev`` parses the project on every load; elsewhere it is parsed when the manifest
    is missing (a deployment parses it at build time: ``dbt parse``)."""
    project = DbtProject(
        project_dir=ROOT / "transform",
        profiles_dir=ROOT / "profiles",
        target=resolve_dest(),
        target_path=Path(os.environ.get("DBT_TARGET_PATH") or "target"),
    )
    with dbt_profile_env():
        project.prepare_if_dev()
        if not project.manifest_path.exists():
            project.preparer.prepare(project)
    return project


class ModelTranslator(DagsterDbtTranslator):
    """dagster-dbt's keys for models (the model's name), and for the raw tables of the
    ``greenhouse`` source the key of the dlt asset whose endpoint writes them (a dlt child
    table ``jobs__offices`` belongs to ``jobs``). Tables no selected endpoint writes
    (``elt_runs``, dlt's ``_dlt_loads``, the other API version's) keep dagster-dbt's own
    ``greenhouse/<table>`` key."""

    def __init__(self, resources: list[str]) -> None:
        super().__init__(DagsterDbtTranslatorSettings(enable_duplicate_source_asset_keys=True))
        self.resources = resources

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source" and props["source_name"] == SOURCE_NAME:
            resource = resource_of_table(props["name"], self.resources)
            if resource is not None:
                return spec.replace_attributes(key=raw_asset_key(resource))
        return spec


PROJECT = dbt_project()


@dbt_assets(
    manifest=PROJECT.manifest_path,
    project=PROJECT,
    name="greenhouse_models",
    dagster_dbt_translator=ModelTranslator(RESOURCES),
)
def greenhouse_models(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """``dbt build`` of the selected models and their tests, as ``elt transform``."""
    record = StageRecord("transform", context.run_id)
    with ExitStack() as held:
        try:
            env = held.enter_context(dbt_profile_env())
            config = resolve_source_config()
            dest = env["DEST"]
            plan = plan_for(dest, os.environ.get("DUCKDB_PATH") or DEFAULT_DUCKDB_PATH)
            version = str(config.api_version).lower()
            # the build reads what the extracts write: not while one runs
            for dataset in raw_datasets(config):
                held.enter_context(lock_for(version, dest, plan, dataset))
                problem = missing_raw_data(plan, dest, dataset, version)
                if problem:
                    raise ConfigError(problem)
        except Exception as exc:
            raise record.failure(exc, []) from exc
        invocation = dbt.cli(["build"], context=context, raise_on_error=False)
        yield from invocation.stream()
        results = invocation.get_artifact("run_results.json").get("results", [])
    counts = dbt_counts(results)
    if not invocation.is_successful():
        error = f"dbt build exited {invocation.process.returncode}"
        record.write(1, error, dbt_results=counts)
        failed = sorted(r["unique_id"] for r in results if r.get("status") in ("error", "fail"))
        raise_failure(record.stage, error, failed)
    record.write(0, dbt_results=counts)


def raise_failure(stage: str, error: str, failed: list[str]) -> None:
    """The failed build as one line: dbt's exit code and the nodes that failed."""
    shown = ", ".join(failed[:10]) + (f" and {len(failed) - 10} more" if len(failed) > 10 else "")
    raise Failure(description=f"{stage}: {error}" + (f"; failed: {shown}" if shown else ""))
