"""DEST=snowflake: a JSON column lands in its VARIANT as an object, which the models' get() reads.

What no emulator can show: Snowflake loads a JSON value into a VARIANT as the JSON it is only
from a JSON file. From a Parquet file dlt writes a JSON column as text, and Snowflake's COPY
keeps that text a VARIANT *string* (dlt's Snowflake documentation says so; ``get(v, 'key')`` of a
string is null), so every custom field would read as null on Snowflake. fakesnow parses such
text into JSON (tests/fixtures/emulators/gaps.py, "text into a VARIANT"), so its end-to-end run
cannot tell the two apart. This test runs the real source against the sandbox through extract
and normalize with the destination plan of DEST=snowflake, then runs dlt's own Snowflake load
job for each file with a recording SQL client in place of the connection, and checks the three
facts the object rests on: the column's DDL type is VARIANT, the file is JSONL holding each
custom_fields value as an object, and the COPY reads it as JSON matched by column name.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from dlt.destinations.impl.snowflake.snowflake import SnowflakeClient, SnowflakeLoadJob

from tests.extract.conftest import normalized_package
from tests.extract.test_config import environ

RESOURCES = "candidates,applications,departments"


def _private_key(path: Path) -> Path:
    key = subprocess.run(
        ["openssl", "genrsa", "2048"], capture_output=True, text=True, check=True
    ).stdout
    path.write_text(key)
    return path


def _lines(path: Path) -> list[str]:
    import gzip

    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode().splitlines()


class RecordingSqlClient:
    """Stands in for dlt's Snowflake SQL client inside a load job: keeps each statement."""

    def __init__(self, real: Any) -> None:
        self.capabilities = real.capabilities
        self.make_qualified_table_name = real.make_qualified_table_name
        self.statements: list[str] = []

    @contextmanager
    def begin_transaction(self) -> Iterator[None]:
        yield

    def execute_sql(self, sql: str, *args: Any, **kwargs: Any) -> None:
        self.statements.append(sql)


def test_snowflake_loads_json_columns_as_json(sandbox, tmp_path: Path) -> None:
    env = {
        **sandbox.env("v3"),
        "DEST": "snowflake",
        "SNOWFLAKE_ACCOUNT": "example-account",
        "SNOWFLAKE_USER": "loader",
        "SNOWFLAKE_PRIVATE_KEY_PATH": str(_private_key(tmp_path / "key.pem")),
        "SNOWFLAKE_WAREHOUSE": "loading",
        "SNOWFLAKE_DATABASE": "analytics",
    }
    with environ(env):
        pipeline, package = normalized_package(
            "snowflake_format", RESOURCES, tmp_path / "pipelines"
        )
        # opens no connection until a statement runs
        client = cast(SnowflakeClient, pipeline.destination_client())
        recording = RecordingSqlClient(client.sql_client)
        client.sql_client = cast(Any, recording)
        copies: dict[str, str] = {}
        for job_info in package.jobs["new_jobs"]:
            table_name = job_info.job_file_info.table_name
            table = client.prepare_load_table(table_name)
            job = cast(
                SnowflakeLoadJob, client.create_load_job(table, job_info.file_path, package.load_id)
            )
            # what dlt's load step sets before it runs a job (run_managed, without its threads)
            job.set_run_vars(package.load_id, client.schema, table)
            job._job_client = client
            job.run()
            copies[table_name] = recording.statements[-1]
        variant = client.type_mapper.to_destination_type(
            client.prepare_load_table("candidates")["columns"]["custom_fields"],
            client.prepare_load_table("candidates"),
        )
    # the DDL's type: a VARIANT, what the custom-field models' get() reads
    assert variant == "VARIANT"
    # each load file is JSONL, custom_fields an object on its line
    assert {job.job_file_info.file_format for job in package.jobs["new_jobs"]} == {"jsonl"}
    candidates = [
        json.loads(line)
        for job in package.jobs["new_jobs"]
        if job.job_file_info.table_name == "candidates"
        for line in _lines(Path(job.file_path))
    ]
    with_fields = {r["id"]: r["custom_fields"] for r in sandbox.org.records("candidates")}
    assert {c["id"]: c.get("custom_fields") for c in candidates} == {
        i: fields or None for i, fields in with_fields.items()
    }
    assert any(isinstance(c.get("custom_fields"), dict) for c in candidates)
    # the COPY of every table reads the staged file as JSON, each key into the column of its
    # name: Snowflake then stores an object value in a VARIANT column as that object
    copy = " ".join(copies["candidates"].split())
    assert re.search(r"FILE_FORMAT = \(TYPE = 'JSON'", copy), copy
    assert "MATCH_BY_COLUMN_NAME='CASE_INSENSITIVE'" in copy, copy
    assert re.search(r'FROM \'@"GREENHOUSE_RAW"\."%CANDIDATES"/', copy), copy
    assert all("TYPE = 'JSON'" in sql for sql in copies.values()), copies
