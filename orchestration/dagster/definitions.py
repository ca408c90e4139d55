"""The Dagster code location: the raw-table assets, the model assets, an hourly job.

    dagster dev -m orchestration.dagster              # the UI on http://127.0.0.1:3000
    dagster definitions validate -m orchestration.dagster

Configuration is ``elt``'s (docs/orchestrators.md): the same variables and ``.dlt/`` files.
"""

from __future__ import annotations

from dagster import AssetSelection, Definitions, ScheduleDefinition, define_asset_job
from dagster_dbt import DbtCliResource
from dagster_dlt import DagsterDltResource

from orchestration.dagster.models import PROJECT, ROOT, greenhouse_models
from orchestration.dagster.raw import greenhouse_raw_tables

# every endpoint, then every model and test: what `elt run` does
elt_job = define_asset_job(
    "greenhouse_elt",
    selection=AssetSelection.assets(greenhouse_raw_tables, greenhouse_models),
    description="Extract every selected Harvest endpoint (incremental), then dbt build",
)

hourly = ScheduleDefinition(
    name="greenhouse_elt_hourly",
    job=elt_job,
    cron_schedule="0 * * * *",  # the container scheduler's default SCHEDULE
    execution_timezone="UTC",
)

defs = Definitions(
    assets=[greenhouse_raw_tables, greenhouse_models],
    jobs=[elt_job],
    schedules=[hourly],
    resources={
        "dlt": DagsterDltResource(),
        "dbt": DbtCliResource(
            project_dir=PROJECT, profiles_dir=str(ROOT / "profiles"), target=PROJECT.target
        ),
    },
)
