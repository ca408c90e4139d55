"""Run in a fresh interpreter by the Dagster tests (the code location reads its configuration
from the environment when imported): ``python -m tests.orchestration.dagster_child <command>``
prints one JSON object on its last line.

- ``graph``: every asset key and the keys each depends on, and the job and schedule names.
- ``materialize``: the hourly job executed once in-process (Dagster's in-process executor, an
  ephemeral instance); what was materialized, the asset checks and the failures.
"""

import json
import sys
from typing import Any

from dagster import DagsterEventType, DagsterInstance


def graph() -> dict[str, Any]:
    from orchestration.dagster import defs

    repository = defs.get_repository_def()
    graph = repository.asset_graph
    return {
        "assets": {
            key.to_user_string(): sorted(d.to_user_string() for d in graph.get(key).parent_keys)
            for key in graph.get_all_asset_keys()
        },
        "materializable": sorted(key.to_user_string() for key in graph.materializable_asset_keys),
        "checks": len(list(graph.asset_check_keys)),
        "jobs": sorted(job.name for job in repository.get_all_jobs()),
        "schedules": {s.name: s.cron_schedule for s in repository.schedule_defs},
    }


def materialize() -> dict[str, Any]:
    from orchestration.dagster import defs

    job = defs.resolve_job_def("greenhouse_elt")
    result = job.execute_in_process(instance=DagsterInstance.ephemeral(), raise_on_error=False)
    failures = []
    for event in result.all_events:
        if event.event_type == DagsterEventType.STEP_FAILURE:
            data = event.step_failure_data
            failures.append(
                {
                    "step": event.step_key,
                    "description": data.user_failure_data.description
                    if data.user_failure_data
                    else None,
                    "error": data.error.message if data.error else None,
                }
            )
    checks = [
        {
            "check": e.asset_check_evaluation_data.check_name,
            "passed": e.asset_check_evaluation_data.passed,
        }
        for e in result.all_events
        if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
    ]
    return {
        "success": result.success,
        "run_id": result.run_id,
        "materialized": sorted(
            e.asset_key.to_user_string()
            for e in result.get_asset_materialization_events()
            if e.asset_key is not None
        ),
        "checks": checks,
        "failures": failures,
    }


if __name__ == "__main__":
    output = {"graph": graph, "materialize": materialize}[sys.argv[1]]()
    print(json.dumps(output, default=str))
