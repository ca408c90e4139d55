"""Run inside the Airflow environment (tests/orchestration/test_airflow_dag.py): load the dags
folder the way Airflow's DAG processor does and write what it found as JSON, and with ``run``
also run the greenhouse DAG once with ``dag.test()``.

    python airflow_probe.py <dags folder> <output.json> [run [<task ids to mark success>]]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def describe(dags_folder: str) -> tuple[Any, dict[str, Any]]:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=dags_folder)
    found: dict[str, Any] = {
        "import_errors": {str(k): str(v) for k, v in bag.import_errors.items()},
        "dags": sorted(bag.dag_ids),
    }
    dag = bag.dags.get("greenhouse")
    if dag is not None:
        found["schedule"] = str(dag.schedule)
        found["max_active_runs"] = dag.max_active_runs
        found["max_active_tasks"] = dag.max_active_tasks
        found["tasks"] = {
            task.task_id: {
                "operator": type(task).__name__,
                "upstream": sorted(task.upstream_task_ids),
                "trigger_rule": str(task.trigger_rule),
            }
            for task in dag.tasks
        }
    return dag, found


def main() -> int:
    dags_folder, output = sys.argv[1], Path(sys.argv[2])
    dag, found = describe(dags_folder)
    output.write_text(json.dumps(found, indent=2))
    if len(sys.argv) > 3 and sys.argv[3] == "run" and dag is not None:
        from airflow.models.taskinstance import TaskInstance
        from airflow.utils.session import create_session

        pattern = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else None
        run = dag.test(mark_success_pattern=pattern)
        with create_session() as session:
            states = {
                ti.task_id: str(ti.state)
                for ti in session.query(TaskInstance).filter(TaskInstance.run_id == run.run_id)
            }
        found["run"] = {"state": str(run.state), "tasks": states}
        output.write_text(json.dumps(found, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
