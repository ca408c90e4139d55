"""The raw tables as Dagster assets: one asset per resource of the project's dlt source
(``extract.source.greenhouse``), loaded by dagster-dlt's ``@dlt_assets``.

The same source, pipeline and dataset as ``elt extract``: the pipeline is named and placed by
``extract.pipeline.make_pipeline`` and its cursors live in the destination, so a Dagster run
continues where the last ``elt run`` (container, CronJob) stopped, and the other way round.

Used this way the source keeps its own guarantee: an endpoint that fails after all retries
fails the step, naming the endpoint (the other endpoints are read first; nothing of this run is
loaded, and the next run reads the same window again). ``elt`` instead loads the endpoints that
were read and fails afterwards.
"""

import os
from collections.abc import Iterator
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetSpec
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from extract.declared_tables import create_declared_tables
from extract.destinations import plan_destination
from extract.endpoints import catalogue
from extract.pipeline import check_dataset_version, lock_for, make_pipeline, remember_duckdb_file
from extract.redact import remember
from extract.settings import load_settings
from extract.source import HttpContext, greenhouse
from orchestration.dagster.environment import StageRecord

RAW_GROUP = "greenhouse_raw"


def raw_asset_key(resource: str) -> AssetKey:
    """``greenhouse_raw/<endpoint>``: apart from the marts' keys (a mart is named
    ``applications`` too)."""
    return AssetKey([RAW_GROUP, resource])


def resource_of_table(table: str, resources: list[str]) -> str | None:
    """The resource that writes a raw table: itself, or the parent of a dlt child table
    (``applications__jobs`` -> ``applications``); None for tables no resource writes."""
    candidates = [r for r in resources if table == r or table.startswith(f"{r}__")]
    return max(candidates, key=len) if candidates else None


class RawTableTranslator(DagsterDltTranslator):
    """One asset per endpoint, keyed ``greenhouse_raw/<endpoint>``, with no upstream asset
    (dagster-dlt's default adds an external ``<source>_<resource>`` one for the API)."""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        spec = super().get_asset_spec(data)
        assert data.resource is not None  # dagster-dlt passes each resource of the source
        return spec.replace_attributes(
            key=raw_asset_key(data.resource.name), deps=[], group_name=RAW_GROUP
        )


def _definition() -> tuple[Any, Any, list[str]]:
    """The source and pipeline the asset definitions are made from (their resources, the
    pipeline's name and destination), resolved as ``elt`` resolves them; no request is sent.
    Each run builds its own (``greenhouse_raw_tables``): counters and the rate budget are per
    run, and so is the configuration read."""
    settings = load_settings()
    source = greenhouse(**settings.source_args())
    return source, make_pipeline(settings, plan_destination(settings)), list(settings.resources)


DEFINITION_SOURCE, DEFINITION_PIPELINE, RESOURCES = _definition()


@dlt_assets(
    dlt_source=DEFINITION_SOURCE,
    dlt_pipeline=DEFINITION_PIPELINE,
    name="greenhouse_extract",
    dagster_dlt_translator=RawTableTranslator(),
)
def greenhouse_raw_tables(context: AssetExecutionContext, dlt: DagsterDltResource) -> Iterator[Any]:
    """Extract the selected endpoints into the raw dataset (incremental, as ``elt extract``)."""
    record = StageRecord("extract", context.run_id)
    settings = load_settings()
    remember(*settings.secrets)  # never in a log line or the run history
    os.environ["EXTRACT__WORKERS"] = str(settings.extract_workers)  # as extract.pipeline does
    plan = plan_destination(settings)
    ctx = HttpContext.create(settings)  # raise_failures: a failed endpoint fails the step
    pipeline = make_pipeline(settings, plan)
    summary: dict[str, Any] = {
        "api_version": settings.api_version,
        "pipeline_name": pipeline.pipeline_name,
    }
    try:
        with lock_for(settings.api_version, settings.dest, plan, settings.raw_schema):
            check_dataset_version(pipeline, settings)
            source = greenhouse(**settings.source_args(), http=ctx)
            # dagster-dlt drops the local working state first; dlt then restores the cursors
            # from the destination, where every complete load stored them
            yield from dlt.run(
                context,
                dlt_source=source,
                dlt_pipeline=pipeline,
                loader_file_format=plan.loader_file_format,
            )
            remember_duckdb_file(pipeline, plan)
            # an endpoint with no records still gets its table: dbt reads every default one
            endpoints = catalogue(settings.api_version)
            create_declared_tables(
                pipeline,
                settings.api_version,
                [r for r in settings.resources if r in endpoints],
                loader_file_format=plan.loader_file_format,
            )
    except Exception as exc:
        summary.update(_counts(ctx))
        raise record.failure(exc, settings.secrets, summary) from exc
    summary.update(_counts(ctx))
    record.write(0, summary=summary)


def _counts(ctx: HttpContext) -> dict[str, Any]:
    """The run history's figures, as ``elt``'s summary names them."""
    records = dict(sorted(ctx.progress.records.items()))
    return {
        "records_extracted": records,
        "total_records_extracted": sum(records.values()),
        "failed_endpoints": dict(sorted(ctx.progress.failed.items())),
        **ctx.stats.as_dict(),
    }
