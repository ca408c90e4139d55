"""Run history in the warehouse: one row per stage of every run that got going, whether it
succeeded or failed (a configuration error writes nothing anywhere, so it leaves no row).

Rows land in ``<raw dataset>.elt_runs`` (appended, through a small dlt pipeline of its own, so
every DEST works and dlt creates the table); the dbt project reads them into the
``pipeline_runs`` mart. A row holds counts, times, the exit code and the one-line error the user
saw (already free of secrets) - never a credential or a record's content. Writing history never
fails a run: if the destination cannot take the row (it may be what failed), one line says so.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import uuid
from datetime import UTC, datetime
from typing import Any

TABLE = "elt_runs"
RUN_ID = uuid.uuid4().hex  # one id for the stages of one `elt` invocation

COLUMNS: dict[str, Any] = {
    "run_id": {"data_type": "text", "nullable": False},
    "stage": {"data_type": "text", "nullable": False},
    "started_at": {"data_type": "timestamp", "nullable": False},
    "finished_at": {"data_type": "timestamp", "nullable": False},
    "exit_code": {"data_type": "bigint", "nullable": False},
    "error": {"data_type": "text"},
    "api_version": {"data_type": "text"},
    "dest": {"data_type": "text"},
    "pipeline_name": {"data_type": "text"},
    "records_read": {"data_type": "bigint"},
    "records_by_endpoint": {"data_type": "json"},
    "requests": {"data_type": "bigint"},
    "rate_limited_429": {"data_type": "bigint"},
    "failed_endpoints": {"data_type": "json"},
    "dbt_results": {"data_type": "json"},
}


def enabled() -> bool:
    return os.environ.get("ELT_RUN_HISTORY", "true").lower() not in ("0", "false", "no")


def stage_row(
    stage: str,
    started: float,
    exit_code: int,
    error: str | None = None,
    summary: dict[str, Any] | None = None,
    dbt_results: dict[str, int] | None = None,
) -> dict[str, Any]:
    from extract.redact import redact

    summary = summary or {}
    failed = summary.get("failed_endpoints") or None
    return {
        "run_id": RUN_ID,
        "stage": stage,
        "started_at": datetime.fromtimestamp(started, UTC),
        "finished_at": datetime.now(UTC),
        "exit_code": exit_code,
        "error": None if error is None else redact(error),
        "api_version": summary.get("api_version") or os.environ.get("GREENHOUSE_API_VERSION"),
        "dest": os.environ.get("DEST"),
        "pipeline_name": summary.get("pipeline_name"),
        "records_read": summary.get("total_records_extracted"),
        "records_by_endpoint": summary.get("records_extracted"),
        "requests": summary.get("requests"),
        "rate_limited_429": summary.get("rate_limited_429"),
        "failed_endpoints": failed and {name: redact(str(why)) for name, why in failed.items()},
        "dbt_results": dbt_results,
    }


def record(row: dict[str, Any]) -> None:
    """Append one stage row to ``elt_runs`` in the raw dataset of DEST; never raises."""
    if not enabled() or os.environ.get("DEST") == "filesystem":
        return
    try:
        import dlt

        from extract.destinations import plan_for
        from extract.settings import (
            DEFAULT_DUCKDB_PATH,
            home_dataset,
            raw_dataset,
            resolve_source_config,
        )

        plan = plan_for(os.environ["DEST"], os.environ.get("DUCKDB_PATH") or DEFAULT_DUCKDB_PATH)
        config = resolve_source_config()
        # an extract (or sweep) belongs to its own account; a transform of several accounts to
        # the one that stands for them
        transform = row["stage"] == "transform"
        dataset = home_dataset(config) if transform else raw_dataset(config)
        with tempfile.TemporaryDirectory(prefix="elt-history-") as workdir:
            pipeline = dlt.pipeline(
                pipeline_name="elt_run_history",
                destination=plan.destination,
                dataset_name=dataset,
                pipelines_dir=workdir,
            )
            # a throwaway pipeline: keep its (empty) state out of the dataset's
            # _dlt_pipeline_state, which holds the extract's cursors
            pipeline.config.restore_from_destination = False
            pipeline.run(
                [row],
                table_name=TABLE,
                write_disposition="append",
                columns=[{"name": name, **hints} for name, hints in COLUMNS.items()],
            )
    except Exception as exc:  # noqa: BLE001 - history is a by-product: report, never fail
        from extract.messages import one_line

        # a load error can quote the row being copied (PostgreSQL's CONTEXT): never in a log
        text = one_line(exc, limit=200)
        print(f"warning: run history not recorded ({type(exc).__name__}: {text})", file=sys.stderr)


def last_records_by_endpoint(pipeline: Any) -> dict[str, int]:
    """Records per endpoint of the last successful extract of this pipeline (the live
    progress's estimate for an incremental read); empty without history."""
    try:
        with pipeline.sql_client() as client:
            table = client.make_qualified_table_name(TABLE)
            rows = client.execute_sql(
                f"select records_by_endpoint from {table} where stage = 'extract' "
                "and exit_code = 0 and pipeline_name = %s order by finished_at desc limit 1",
                pipeline.pipeline_name,
            )
    except Exception:  # noqa: BLE001 - no history table yet (or none wanted): no estimate
        return {}
    value = rows[0][0] if rows else None
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, dict):
        return {}
    return {str(name): int(count) for name, count in value.items() if isinstance(count, int)}


def dbt_counts(results: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in results:
        status = str(result.get("status"))
        status = "passed" if status in ("pass", "success") else status
        counts[status] = counts.get(status, 0) + 1
    return counts
