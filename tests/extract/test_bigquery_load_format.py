"""DEST=bigquery: the files the extract writes are ones BigQuery can load, JSON columns included.

Every account has JSON columns (``custom_fields`` on candidates, applications, jobs, ...). dlt
checks, before it sends anything, that each column's type can be loaded from the file format of
its load job; this test runs the real source against the sandbox through extract and normalize
with the destination plan of DEST=bigquery and then asks dlt's BigQuery client to verify the
load package exactly as its load step does first, and to build the load job of each file
(no connection is opened: a recording client stands in for google-cloud-bigquery's).

What this shows and an emulator cannot (docs/warehouses.md): the table is created with
custom_fields typed JSON, and each file is loaded as newline-delimited JSON into that declared
schema (no autodetection), holding custom_fields as an object; BigQuery loads a JSON object
into a JSON column as that object.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
from pathlib import Path
from typing import Any, cast

from dlt.destinations.impl.bigquery.bigquery import BigQueryClient

from tests.extract.conftest import normalized_package
from tests.extract.test_config import environ

RESOURCES = "candidates,applications,departments"


class RecordingBigQueryClient:
    """Stands in for google-cloud-bigquery's client in dlt's load job: keeps each load."""

    def __init__(self) -> None:
        self.loads: list[tuple[str, Any]] = []

    def load_table_from_file(self, file: Any, table: str, **kwargs: Any) -> str:
        self.loads.append((table, kwargs["job_config"]))
        return "recorded"


def _service_account(path: Path) -> Path:
    key = subprocess.run(
        ["openssl", "genrsa", "2048"], capture_output=True, text=True, check=True
    ).stdout
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "gh-project",
                "private_key_id": "abc",
                "private_key": key,
                "client_email": "loader@gh-project.iam.gserviceaccount.com",
            }
        )
    )
    return path


def _lines(path: Path) -> list[str]:
    """A load file's lines (dlt gzips them unless compression is switched off)."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode().splitlines()


def test_bigquery_load_package_passes_dlts_type_check(sandbox, tmp_path: Path) -> None:
    env = {
        **sandbox.env("v3"),
        "DEST": "bigquery",
        "BIGQUERY_PROJECT": "gh-project",
        "BIGQUERY_KEYFILE": str(_service_account(tmp_path / "sa.json")),
    }
    with environ(env):
        pipeline, package = normalized_package("bigquery_format", RESOURCES, tmp_path / "pipelines")
        jobs = [job.job_file_info for job in package.jobs["new_jobs"]]
        client = cast(BigQueryClient, pipeline.destination_client())
        # what dlt's load step runs before it creates the dataset; raises UnsupportedDataType
        # when a column cannot be loaded from its job's file format
        prepared = client.verify_schema(only_tables={job.table_name for job in jobs}, new_jobs=jobs)
        type_mapper = client.capabilities.get_type_mapper()  # the DDL's column types
        bigquery_types = {
            (table["name"], name): type_mapper.to_destination_type(column, table)
            for table in prepared
            for name, column in table["columns"].items()
        }
        recording = RecordingBigQueryClient()
        client.sql_client._client = cast(Any, recording)  # what open_connection() would make
        for job in package.jobs["new_jobs"]:
            load_table = client.prepare_load_table(job.job_file_info.table_name)
            assert load_table is not None
            client._create_load_job(load_table, job.file_path)  # what the load job runs first
    assert os.environ.get("DEST") != "bigquery"  # the environment is restored
    for table in ("candidates", "applications"):
        # a JSON column, not a string holding JSON
        assert bigquery_types[(table, "custom_fields")] == "JSON"
    # JSONL (dlt's preferred format for BigQuery) for every table
    assert {job.file_format for job in jobs} == {"jsonl"}
    # the rows are all there, each custom_fields an object the JSON column takes as it is
    candidates = [
        json.loads(line)
        for job in package.jobs["new_jobs"]
        if job.job_file_info.table_name == "candidates"
        for line in _lines(Path(job.file_path))
    ]
    assert sorted(c["id"] for c in candidates) == sorted(
        r["id"] for r in sandbox.org.records("candidates")
    )
    assert all(isinstance(c.get("custom_fields", {}), dict) for c in candidates)
    # each file's load job: newline-delimited JSON into the table dlt created (the declared
    # schema, custom_fields JSON), no autodetection
    from google.cloud import bigquery

    configs = dict(recording.loads)
    assert {table.rsplit(".", 1)[-1] for table in configs} >= {"candidates", "applications"}
    for config in configs.values():
        assert config.source_format == bigquery.SourceFormat.NEWLINE_DELIMITED_JSON
        assert config.autodetect is False
        assert config.create_disposition == bigquery.CreateDisposition.CREATE_NEVER
        assert config.schema is None  # the table's own schema, from dlt's DDL
