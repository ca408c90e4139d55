"""What dbt needs to read and write the same place the extract loaded: the profile's variables.

The destination is resolved once, by dlt (short variables or dlt's own
``DESTINATION__<DEST>__CREDENTIALS[__*]`` / ``.dlt/secrets.toml``), and this module turns the
resolved credentials into the variables ``profiles/profiles.yml`` reads. So however a user
configures the warehouse, both stages talk to the same database, schema and account.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from extract.destinations import DestinationPlan, resolved_configuration, sql_client


def _text(value: Any) -> str:
    return "" if value is None else str(value)


@contextmanager
def dbt_environment(plan: DestinationPlan, dest: str, raw_schema: str) -> Iterator[dict[str, str]]:
    """The profile variables for ``dest`` (``raw_schema`` before any GREENHOUSE_SCHEMA_PREFIX,
    which dbt applies itself); key material that dlt holds only in memory (a
    Snowflake private key, a BigQuery service account given field by field) is written to a
    private temporary file for the duration of the dbt run."""
    config = resolved_configuration(plan.destination, raw_schema)
    creds = config.credentials
    env = {"DEST": dest, "GREENHOUSE_RAW_SCHEMA": raw_schema}
    with tempfile.TemporaryDirectory(prefix="elt-dbt-") as scratch:
        if dest == "duckdb":
            env["DUCKDB_PATH"] = _text(creds.database)
        elif dest == "postgres":
            env.update(
                POSTGRES_HOST=_text(creds.host),
                POSTGRES_PORT=_text(creds.port or 5432),
                POSTGRES_USER=_text(creds.username),
                # none: the server needs none, or libpq finds it (~/.pgpass, PGPASSWORD,
                # which an explicit empty password in dbt's profile would hide)
                POSTGRES_PASSWORD=_text(creds.password or os.environ.get("PGPASSWORD")),
                POSTGRES_DB=_text(creds.database),
            )
        elif dest == "snowflake":
            key_path = creds.private_key_path
            if not key_path and creds.private_key:
                key_path = _private_file(Path(scratch) / "snowflake.p8", creds.private_key)
            env.update(
                SNOWFLAKE_ACCOUNT=_text(creds.host),
                SNOWFLAKE_USER=_text(creds.username),
                SNOWFLAKE_PRIVATE_KEY_PATH=_text(key_path),
                SNOWFLAKE_PRIVATE_KEY_PASSPHRASE=_text(creds.private_key_passphrase),
                SNOWFLAKE_ROLE=_text(creds.role),
                SNOWFLAKE_WAREHOUSE=_text(creds.warehouse),
                SNOWFLAKE_DATABASE=_text(creds.database),
            )
        elif dest == "redshift":
            env.update(
                REDSHIFT_HOST=_text(creds.host),
                REDSHIFT_PORT=_text(creds.port or 5439),
                REDSHIFT_USER=_text(creds.username),
                REDSHIFT_PASSWORD=_text(creds.password),
                REDSHIFT_DB=_text(creds.database),
            )
        elif dest == "databricks":
            env.update(
                DATABRICKS_HOST=_text(creds.server_hostname),
                DATABRICKS_HTTP_PATH=_text(creds.http_path),
                DATABRICKS_TOKEN=_text(creds.access_token),
                DATABRICKS_CATALOG=_text(creds.catalog),
            )
        elif dest == "bigquery":
            keyfile = os.environ.get("BIGQUERY_KEYFILE") or ""
            if not keyfile and getattr(creds, "private_key", None):
                info = {
                    "type": "service_account",
                    "project_id": creds.project_id,
                    "client_email": creds.client_email,
                    "private_key": creds.private_key,
                    "private_key_id": getattr(creds, "private_key_id", None),
                    # where google-auth trades the key for a token: dlt's default is Google's
                    # public address; a key file given to dlt as JSON may name another
                    "token_uri": creds.token_uri,
                }
                keyfile = _private_file(Path(scratch) / "bigquery.json", json.dumps(info))
            env.update(
                BIGQUERY_PROJECT=_text(config.project_id or creds.project_id),
                BIGQUERY_LOCATION=_text(config.location),
                BIGQUERY_KEYFILE=keyfile,
            )
        yield env


def _private_file(path: Path, content: str) -> str:
    path.touch(mode=0o600)
    path.write_text(content)
    return str(path)


# a table every build reads, per API version: present once an extract of that version has run
MARKER_TABLES = {"v3": "application_stages", "v1": "job_stages"}


def missing_raw_data(plan: DestinationPlan, dest: str, raw_schema: str, version: str) -> str | None:
    """Why dbt cannot build yet (no raw dataset, or none for this API version), or None."""
    hint = f"run `make extract` (elt extract) first, or check GREENHOUSE_API_VERSION={version}"
    if dest == "duckdb":
        path = Path(plan.identity.removeprefix("duckdb:"))
        if not path.is_file():
            return (
                f"no raw tables in {raw_schema} for API {version} ({path} does not exist): {hint}"
            )
    with sql_client(plan, raw_schema) as client:
        if not client.has_dataset():
            return f"no raw tables in {raw_schema} for API {version}: {hint}"
        table = client.make_qualified_table_name(MARKER_TABLES[version])
        try:
            client.execute_sql(f"select 1 from {table} where 1 = 0")
        except Exception:  # noqa: BLE001 - any "relation does not exist" of any warehouse
            return f"no raw tables in {raw_schema} for API {version}: {hint}"
    return None
