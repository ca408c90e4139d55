"""Every raw table the transform reads exists after an extract, empty where nothing came.

dlt creates a table only once a resource yields rows. A real account often has none to give:
a young tenant has no scorecards or openings yet, a scoped token answers 403 on endpoints it
may not read (``--skip-forbidden``), an endpoint failed on its first load, or the user left it
out of ``--resources``. The staging models would then select from a table that does not exist
and the whole transform fails. So after the load, each endpoint of the catalogue whose table
the destination does not have yet is created empty, with its declared columns, through dlt
itself (``dlt.mark.materialize_table_schema``): same column types, same dlt bookkeeping
columns, same schema as a table that had rows. The next run that reads rows into it merges
(or, with no cursor yet, replaces) as usual.
"""

from __future__ import annotations

from typing import Any

import dlt
from dlt.pipeline.pipeline import Pipeline

from extract.endpoints import catalogue, default_resources
from extract.source import SOURCE_NAME, declared_columns


def missing_tables(pipeline: Pipeline, api_version: str, selected: list[str]) -> list[str]:
    """The tables of the default endpoints (and of any selected one) that the dataset lacks."""
    schema = pipeline.default_schema if pipeline.default_schema_name else None
    existing: set[str] = set(schema.data_table_names(seen_data_only=True)) if schema else set()
    wanted = dict.fromkeys([*default_resources(api_version), *selected])
    return [name for name in wanted if name not in existing]


def create_declared_tables(
    pipeline: Pipeline, api_version: str, selected: list[str], **run_args: Any
) -> list[str]:
    """Create the missing tables empty (one load, nothing when none is missing); returns them.
    No cursor is stored for them: they carry no incremental, so their next read is a full one."""
    missing = missing_tables(pipeline, api_version, selected)
    if not missing:
        return []
    endpoints = catalogue(api_version)
    resources = [
        dlt.resource(
            [dlt.mark.materialize_table_schema()],
            name=f"{name}_declared",
            table_name=name,
            write_disposition="append",  # no rows: only the table's existence is written
            primary_key=endpoints[name].primary_key,
            columns=declared_columns(endpoints[name], api_version),
        )
        for name in missing
    ]
    schema = pipeline.default_schema if pipeline.default_schema_name else dlt.Schema(SOURCE_NAME)
    pipeline.run(resources, schema=schema, **run_args)
    return missing
