"""The baseline: the plain dlt `rest_api` configuration the original docs describe.

For comparison in `make bench` only, never used by the pipeline. Harvest v1, HTTP Basic with
the API token as user name, the endpoints below, dlt's default paginator detection, no
`per_page` (so the API's default page size), default destination settings (DuckDB:
`insert_values`).

    GREENHOUSE_BASE_URL=http://127.0.0.1:8765 GREENHOUSE_API_TOKEN=sandbox-token \\
    DUCKDB_PATH=/tmp/baseline.duckdb python -m bench.baseline [--summary-json PATH]

`--loader-file-format` and `--dest postgres` exist only so the harness can measure the
loader-format choices on the same plain configuration; the default is the docs' setup.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ENDPOINTS = [
    "candidates",
    "jobs",
    "applications",
    "users",
    "offers",
    "job_posts",
    "departments",
    "offices",
]


def baseline_source(base_url: str, api_token: str):  # noqa: ANN201 - dlt source
    from dlt.sources.rest_api import rest_api_source

    return rest_api_source(
        {
            "client": {
                "base_url": f"{base_url.rstrip('/')}/v1/",
                "auth": {"type": "http_basic", "username": api_token, "password": ""},
            },
            "resources": list(ENDPOINTS),
        },
        name="greenhouse",
    )


def _destination(dest: str):  # noqa: ANN202 - dlt destination factory
    import dlt

    if dest == "duckdb":
        return dlt.destinations.duckdb(os.environ.get("DUCKDB_PATH", "data/baseline.duckdb"))
    if dest == "postgres":
        env = os.environ
        url = (
            f"postgresql://{env.get('POSTGRES_USER', 'postgres')}:"
            f"{env.get('POSTGRES_PASSWORD') or 'postgres'}@{env.get('POSTGRES_HOST', '127.0.0.1')}:"
            f"{env.get('POSTGRES_PORT', '5432')}/{env.get('POSTGRES_DB', 'postgres')}"
        )
        return dlt.destinations.postgres(credentials=url)
    raise SystemExit(f"error: baseline supports --dest duckdb|postgres, not '{dest}'")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline", description=__doc__)
    parser.add_argument("--dest", default="duckdb", choices=["duckdb", "postgres"])
    parser.add_argument("--loader-file-format", default=None, help="default: the destination's")
    parser.add_argument("--summary-json", type=Path, default=None)
    args = parser.parse_args(argv)

    base_url = os.environ.get("GREENHOUSE_BASE_URL")
    token = os.environ.get("GREENHOUSE_API_TOKEN")
    if not base_url or not token:
        print("error: set GREENHOUSE_BASE_URL and GREENHOUSE_API_TOKEN", file=sys.stderr)
        return 2

    import dlt

    kwargs: dict[str, Any] = {}
    if pipelines_dir := os.environ.get("GREENHOUSE_PIPELINES_DIR"):
        kwargs["pipelines_dir"] = pipelines_dir  # unset or empty: dlt's default, as before
    pipeline = dlt.pipeline(
        pipeline_name="greenhouse_baseline",
        destination=_destination(args.dest),
        dataset_name=os.environ.get("GREENHOUSE_RAW_SCHEMA", "greenhouse_raw"),
        **kwargs,
    )
    start = time.perf_counter()
    pipeline.run(
        baseline_source(base_url, token),
        loader_file_format=args.loader_file_format,
    )
    wall = time.perf_counter() - start

    rows: dict[str, int] = {}
    with pipeline.sql_client() as client:
        for table in ENDPOINTS:
            if table in pipeline.default_schema.tables:
                name = client.make_qualified_table_name(table)
                count = client.execute_sql(f"select count(*) from {name}")
                assert count is not None  # count(*) always returns one row
                rows[table] = int(count[0][0])
    summary = {
        "rows": rows,
        "wall_s": round(wall, 2),
        "loader_file_format": args.loader_file_format,
    }
    print(json.dumps(summary))
    if args.summary_json:
        args.summary_json.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
