"""DEST -> a dlt destination, its loader file format, and an offline validation of its config.

Credentials come from the short variables shared with dbt (docs/ARCHITECTURE.md) when they are
set, otherwise from dlt's own ``DESTINATION__<NAME>__CREDENTIALS__*`` / ``.dlt/secrets.toml``.
Everything here runs before any connection is opened: a missing variable ends the run with one
line naming it, and nothing is written.

Loader formats (docs/performance.md): Parquet for duckdb and filesystem (DuckDB's default
``insert_values`` was ~30x slower and ~10x the memory on nested data); CSV (``COPY``) for
postgres, whose Parquet path needs an extra ADBC driver; JSONL for snowflake and bigquery, so
JSON columns land as JSON (see LOADER_FORMATS).

Redshift and Databricks are optional extras (pyproject.toml): their dlt destination and dbt
adapter are installed with ``uv sync --extra redshift`` / ``--extra databricks`` (make does it
for ``DEST=redshift`` / ``DEST=databricks``); without them the run stops with one line saying so.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional
from urllib.parse import quote

import dlt
from dlt.common.configuration import configspec
from dlt.common.configuration.exceptions import (
    ConfigFieldMissingException,
    ConfigurationValueError,
)
from dlt.common.destination import Destination, TLoaderFileFormat
from dlt.common.typing import TSecretStrValue
from dlt.destinations.impl.postgres.configuration import PostgresCredentials

from extract.errors import ConfigError
from extract.settings import Settings

LOADER_FORMATS: dict[str, TLoaderFileFormat] = {
    "duckdb": "parquet",
    "postgres": "csv",
    # JSONL, dlt's preferred format for Snowflake: every account has JSON columns (custom_fields
    # on six entities), which dlt writes into Parquet as text, and Snowflake's COPY of Parquet
    # text into a VARIANT column keeps it a string (dlt's Snowflake documentation), which the
    # custom-field models' get() reads as null. From a JSON file, COPY ... MATCH_BY_COLUMN_NAME
    # loads each object as an object. docs/warehouses.md says how this is verified.
    "snowflake": "jsonl",
    # JSONL, dlt's preferred format for BigQuery: every account has JSON columns (custom_fields
    # on six entities) and BigQuery cannot load a JSON column from Parquet with a declared
    # schema (dlt refuses such a package before it sends anything: UnsupportedDataType). Parquet
    # would only work with schema autodetection, which lets BigQuery guess every column's type
    # instead of using the declared ones. With JSONL dlt creates the table from the declared
    # schema (custom_fields a JSON column) and its load job (no autodetection) fills that column
    # with each object as JSON.
    "bigquery": "jsonl",
    "filesystem": "parquet",
    # the only format dlt loads into Redshift without an S3 staging bucket (COPY needs one)
    "redshift": "insert_values",
    # dlt's preferred format for Databricks, COPY INTO from a Unity Catalog volume (no bucket
    # needed); JSON columns land as STRING (dlt's mapping), which Parquet carries as text
    "databricks": "parquet",
}

# DEST -> (the optional extra, the modules it installs: dlt's client library, dbt's adapter)
EXTRAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "redshift": ("redshift", ("dbt.adapters.redshift",)),
    "databricks": ("databricks", ("databricks.sql", "databricks.sdk", "dbt.adapters.databricks")),
}


@dataclass(frozen=True)
class DestinationPlan:
    destination: Destination[Any, Any]
    loader_file_format: TLoaderFileFormat
    identity: str  # where the data goes (no secrets)

    @property
    def label(self) -> str:
        """The database part of the identity as an identifier: ``analytics``, ``greenhouse``."""
        tail = self.identity.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        stem = tail.rsplit(".", 1)[0] if tail.endswith(".duckdb") else tail
        return re.sub(r"[^a-z0-9]+", "_", stem.lower()).strip("_") or "default"


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else None


def _require(names: list[str], dest: str) -> dict[str, str]:
    values: dict[str, str] = {}
    missing: list[str] = []
    for name in names:
        value = _env(name)
        if value is None:
            missing.append(name)
        else:
            values[name] = value
    if missing:
        raise ConfigError(f"DEST={dest} needs {', '.join(missing)} (see .env.example)")
    return values


def _any_set(names: list[str]) -> bool:
    return any(_env(name) for name in names)


def _duckdb(duckdb_path: str) -> DestinationPlan:
    # dlt's own variable names the file when DUCKDB_PATH is not set
    dlt_path = _env("DESTINATION__DUCKDB__CREDENTIALS")
    if not _env("DUCKDB_PATH") and dlt_path:
        duckdb_path = dlt_path.removeprefix("duckdb:///")
    path = Path(duckdb_path).expanduser().resolve()
    if path.exists() and path.is_dir():
        raise ConfigError(f"DUCKDB_PATH={duckdb_path} is a directory; give a file path")
    path.parent.mkdir(parents=True, exist_ok=True)
    from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

    # DuckDB takes 80% of RAM and every core by default; the load (Parquet COPY, merge SQL) runs
    # fine in a bounded budget (it spills to disk) on a machine shared with extraction and
    # normalization (docs/performance.md: the peak-memory target).
    creds = DuckDbCredentials(
        str(path),
        global_config={
            "memory_limit": os.environ.get("DUCKDB_MEMORY_LIMIT") or "160MB",
            "threads": int(os.environ.get("DUCKDB_THREADS") or "2"),
        },
    )
    return DestinationPlan(
        dlt.destinations.duckdb(credentials=creds), LOADER_FORMATS["duckdb"], f"duckdb:{path}"
    )


POSTGRES_REQUIRED = ["POSTGRES_HOST", "POSTGRES_USER", "POSTGRES_DB"]
POSTGRES_VARS = [*POSTGRES_REQUIRED, "POSTGRES_PASSWORD", "POSTGRES_PORT"]


# the shape of dlt's PostgreSQL connection string, for the errors that name it
POSTGRES_URL = "postgresql://user[:password]@host:5432/database"


@configspec(init=False)
class PasswordOptionalPostgresCredentials(PostgresCredentials):
    """dlt's PostgreSQL credentials with the password optional: dlt requires one, while a
    server may authenticate without (trust, peer, ``~/.pgpass``, ``PGPASSWORD``), which libpq
    applies when the connection string has none."""

    # dlt reads the Optional: no password is then no missing field
    password: Optional[TSecretStrValue] = None  # type: ignore[assignment]  # noqa: UP045


def _postgres(duckdb_path: str) -> DestinationPlan:
    creds = PasswordOptionalPostgresCredentials()
    if _any_set(POSTGRES_VARS):
        v = _require(POSTGRES_REQUIRED, "postgres")
        port = _env("POSTGRES_PORT") or "5432"
        if not port.isdigit():
            raise ConfigError(f"POSTGRES_PORT must be a port number (got {port!r})")
        password = _env("POSTGRES_PASSWORD")
        user = quote(v["POSTGRES_USER"], safe="")
        login = f"{user}:{quote(password, safe='')}" if password else user
        creds.parse_native_representation(
            f"postgresql://{login}@{v['POSTGRES_HOST']}:{port}/{quote(v['POSTGRES_DB'], safe='')}"
        )
        creds.resolve()
    else:
        spec = dlt.destinations.postgres().spec()
        spec.credentials = creds
        config = _resolve_spec(
            dlt.destinations.postgres(), spec, "postgres", POSTGRES_REQUIRED, POSTGRES_URL
        )
        creds = config.credentials
    identity = f"postgres:{creds.host}:{creds.port}/{creds.database}"
    return DestinationPlan(
        dlt.destinations.postgres(credentials=creds), LOADER_FORMATS["postgres"], identity
    )


SNOWFLAKE_REQUIRED = [
    "SNOWFLAKE_ACCOUNT",
    "SNOWFLAKE_USER",
    "SNOWFLAKE_PRIVATE_KEY_PATH",
    "SNOWFLAKE_WAREHOUSE",
    "SNOWFLAKE_DATABASE",
]
SNOWFLAKE_VARS = [*SNOWFLAKE_REQUIRED, "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", "SNOWFLAKE_ROLE"]


def _snowflake(duckdb_path: str) -> DestinationPlan:
    if _any_set(SNOWFLAKE_VARS):
        v = _require(SNOWFLAKE_REQUIRED, "snowflake")
        key_path = Path(v["SNOWFLAKE_PRIVATE_KEY_PATH"]).expanduser()
        if not key_path.is_file():
            raise ConfigError(
                f"SNOWFLAKE_PRIVATE_KEY_PATH={key_path} does not exist or is not a file"
            )
        from dlt.destinations.impl.snowflake.configuration import SnowflakeCredentials

        creds = SnowflakeCredentials()
        creds.host = v["SNOWFLAKE_ACCOUNT"]
        creds.username = v["SNOWFLAKE_USER"]
        creds.database = v["SNOWFLAKE_DATABASE"]
        creds.warehouse = v["SNOWFLAKE_WAREHOUSE"]
        creds.role = _env("SNOWFLAKE_ROLE")
        creds.private_key_path = str(key_path)
        creds.private_key_passphrase = _env("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE")
        destination = dlt.destinations.snowflake(credentials=creds)
        identity = f"snowflake:{creds.host}/{creds.database}"
    else:
        destination = dlt.destinations.snowflake()
        config = _resolve(destination, "snowflake", SNOWFLAKE_REQUIRED)
        identity = f"snowflake:{config.credentials.host}/{config.credentials.database}"
    return DestinationPlan(destination, LOADER_FORMATS["snowflake"], identity)


BIGQUERY_VARS = ["BIGQUERY_PROJECT", "BIGQUERY_LOCATION", "BIGQUERY_KEYFILE"]


def _bigquery(duckdb_path: str) -> DestinationPlan:
    if _any_set(BIGQUERY_VARS):
        v = _require(["BIGQUERY_PROJECT"], "bigquery")
        location = _env("BIGQUERY_LOCATION") or "US"
        keyfile = _env("BIGQUERY_KEYFILE")
        from dlt.common.configuration.specs import GcpServiceAccountCredentials

        creds = GcpServiceAccountCredentials()
        if keyfile:
            path = Path(keyfile).expanduser()
            try:
                info = json.loads(path.read_text())
            except OSError:
                raise ConfigError(f"BIGQUERY_KEYFILE={path} cannot be read") from None
            except ValueError:
                raise ConfigError(f"BIGQUERY_KEYFILE={path} is not a JSON key file") from None
            missing = [k for k in ("client_email", "private_key") if not info.get(k)]
            if info.get("type") != "service_account" or missing:
                raise ConfigError(
                    f"BIGQUERY_KEYFILE={path} is not a service-account key "
                    f"(missing: {', '.join(missing) or 'type=service_account'})"
                )
            # dlt's own reading of a service-account file: every field it holds, the token
            # address (token_uri) included, which is not always Google's public one
            creds.parse_native_representation(json.dumps(info))
        # without a key file dlt falls back to Application Default Credentials at load time
        creds.project_id = v["BIGQUERY_PROJECT"]
        destination = dlt.destinations.bigquery(
            credentials=creds, location=location, project_id=v["BIGQUERY_PROJECT"]
        )
        identity = f"bigquery:{v['BIGQUERY_PROJECT']}"
    else:
        destination = dlt.destinations.bigquery()
        config = _resolve(destination, "bigquery", ["BIGQUERY_PROJECT", "BIGQUERY_KEYFILE"])
        identity = f"bigquery:{config.credentials.project_id}"
    return DestinationPlan(destination, LOADER_FORMATS["bigquery"], identity)


def require_extra(dest: str) -> None:
    """One line when DEST's optional extra is not installed (before anything connects)."""
    if dest not in EXTRAS:
        return
    extra, modules = EXTRAS[dest]
    missing = [name for name in modules if not _installed(name)]
    if missing:
        raise ConfigError(
            f"DEST={dest} needs the optional '{extra}' extra ({', '.join(missing)} not "
            f"installed): run `uv sync --extra {extra}` (make run DEST={dest} does it) or "
            f"`pip install 'greenhouse-elt[{extra}]'`"
        )


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


REDSHIFT_REQUIRED = ["REDSHIFT_HOST", "REDSHIFT_USER", "REDSHIFT_PASSWORD", "REDSHIFT_DB"]
REDSHIFT_VARS = [*REDSHIFT_REQUIRED, "REDSHIFT_PORT"]
REDSHIFT_URL = "redshift://user:password@cluster.region.redshift.amazonaws.com:5439/database"


def _redshift(duckdb_path: str) -> DestinationPlan:
    from dlt.destinations.impl.redshift.configuration import RedshiftCredentials

    if _any_set(REDSHIFT_VARS):
        v = _require(REDSHIFT_REQUIRED, "redshift")
        if "://" in v["REDSHIFT_HOST"] or "/" in v["REDSHIFT_HOST"]:
            raise ConfigError(
                "REDSHIFT_HOST must be the cluster's (or workgroup's) host name alone, e.g. "
                "examplecluster.abc123.us-east-1.redshift.amazonaws.com "
                f"(got {v['REDSHIFT_HOST']!r})"
            )
        port = _env("REDSHIFT_PORT") or "5439"
        if not port.isdigit():
            raise ConfigError(f"REDSHIFT_PORT must be a port number (got {port!r})")
        creds = RedshiftCredentials()
        creds.host = v["REDSHIFT_HOST"]
        creds.port = int(port)
        creds.username = v["REDSHIFT_USER"]
        creds.password = v["REDSHIFT_PASSWORD"]
        creds.database = v["REDSHIFT_DB"]
        creds.resolve()
        destination = dlt.destinations.redshift(credentials=creds)
    else:
        destination = dlt.destinations.redshift()
        spec = destination.spec()
        creds = _resolve_spec(destination, spec, "redshift", REDSHIFT_REQUIRED, REDSHIFT_URL)
        creds = creds.credentials
    require_extra("redshift")
    identity = f"redshift:{creds.host}:{creds.port}/{creds.database}"
    return DestinationPlan(destination, LOADER_FORMATS["redshift"], identity)


DATABRICKS_REQUIRED = [
    "DATABRICKS_HOST",
    "DATABRICKS_HTTP_PATH",
    "DATABRICKS_TOKEN",
    "DATABRICKS_CATALOG",
]


def _databricks(duckdb_path: str) -> DestinationPlan:
    if _any_set(DATABRICKS_REQUIRED):
        v = _require(DATABRICKS_REQUIRED, "databricks")
        host = v["DATABRICKS_HOST"]
        if "://" in host or "/" in host:
            raise ConfigError(
                f"DATABRICKS_HOST must be the workspace's host name alone, e.g. "
                f"dbc-1234.cloud.databricks.com (got {host!r})"
            )
        if not v["DATABRICKS_HTTP_PATH"].startswith("/"):
            raise ConfigError(
                "DATABRICKS_HTTP_PATH must be the SQL warehouse's HTTP path, e.g. "
                f"/sql/1.0/warehouses/abc123 (got {v['DATABRICKS_HTTP_PATH']!r})"
            )
        require_extra("databricks")
        from dlt.destinations.impl.databricks.configuration import DatabricksCredentials

        creds = DatabricksCredentials()
        creds.server_hostname = host
        creds.http_path = v["DATABRICKS_HTTP_PATH"]
        creds.access_token = v["DATABRICKS_TOKEN"]
        creds.catalog = v["DATABRICKS_CATALOG"]
        destination = dlt.destinations.databricks(credentials=creds)
        identity = f"databricks:{host}/{creds.catalog}"
    else:
        # dlt's own resolution asks the Databricks SDK for defaults: the extra comes first
        require_extra("databricks")
        destination = dlt.destinations.databricks()
        config = _resolve(destination, "databricks", DATABRICKS_REQUIRED)
        identity = f"databricks:{config.credentials.server_hostname}/{config.credentials.catalog}"
    return DestinationPlan(destination, LOADER_FORMATS["databricks"], identity)


def _filesystem(duckdb_path: str) -> DestinationPlan:
    url = _env("FILESYSTEM_BUCKET_URL")
    if url is None:
        destination = dlt.destinations.filesystem()
        config = _resolve(destination, "filesystem", ["FILESYSTEM_BUCKET_URL"])
        url = str(config.bucket_url)
    elif "://" not in url:
        path = Path(url).expanduser().resolve()
        path.mkdir(parents=True, exist_ok=True)
        url = str(path)
    destination = dlt.destinations.filesystem(bucket_url=url)
    return DestinationPlan(destination, LOADER_FORMATS["filesystem"], f"filesystem:{url}")


@contextmanager
def sql_client(plan: DestinationPlan, dataset: str) -> Iterator[Any]:
    """dlt's SQL client on ``dataset`` of the destination, through a throwaway pipeline whose
    working directory is temporary (checks, the report and "is there raw data" need no state)."""
    with tempfile.TemporaryDirectory(prefix="elt-sql-") as workdir:
        pipeline = dlt.pipeline(
            pipeline_name="elt_sql",
            destination=plan.destination,
            dataset_name=dataset,
            pipelines_dir=workdir,
        )
        with pipeline.sql_client() as client:
            yield client


def resolved_configuration(destination: Destination[Any, Any], dataset: str) -> Any:
    """dlt's resolved config of a destination (offline: nothing connects)."""
    spec = destination.spec()
    spec.dataset_name = dataset  # a plain field of the spec, so only the credentials resolve
    return destination.configuration(spec)


def _resolve(
    destination: Destination[Any, Any],
    dest: str,
    short_names: list[str],
    dataset: str = "greenhouse_raw",
) -> Any:
    """Resolve dlt's own destination config offline; name the variables when it is incomplete."""
    return _resolve_spec(destination, destination.spec(), dest, short_names, None, dataset)


def _resolve_spec(
    destination: Destination[Any, Any],
    spec: Any,
    dest: str,
    short_names: list[str],
    example: str | None,
    dataset: str = "greenhouse_raw",
) -> Any:
    """``_resolve`` for a spec the caller prepared. dlt's credentials variable, when it is set
    but incomplete, is named as such (not as a variable to set) with what it lacks and the
    shape of a complete value (``example``)."""
    spec.dataset_name = dataset  # a plain field of the spec, so only the credentials resolve
    try:
        return destination.configuration(spec)
    except ConfigFieldMissingException as exc:
        missing = _missing_fields(exc)
        variable = f"DESTINATION__{dest.upper()}__CREDENTIALS"
        if _env(variable):
            shape = f": {example}" if example else ""
            raise ConfigError(
                f"DEST={dest}: {variable} is set but lacks {missing}; complete it{shape}"
            ) from None
        raise ConfigError(
            f"DEST={dest} is not configured ({missing} missing): set "
            f"{', '.join(short_names)} or {variable}" + (f"={example}" if example else "")
        ) from None
    except ConfigurationValueError as exc:  # a destination's own check (Databricks: no auth)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(
            f"DEST={dest} is not configured ({first}): set {', '.join(short_names)}"
        ) from None


def _missing_fields(exc: ConfigFieldMissingException) -> str:
    text = str(exc).splitlines()
    return text[1].split("missing field(s):")[-1].strip() if len(text) > 1 else "credentials"


BUILDERS = {
    "duckdb": _duckdb,
    "postgres": _postgres,
    "snowflake": _snowflake,
    "bigquery": _bigquery,
    "filesystem": _filesystem,
    "redshift": _redshift,
    "databricks": _databricks,
}


def plan_destination(settings: Settings) -> DestinationPlan:
    return plan_for(settings.dest, settings.duckdb_path)


def plan_for(dest: str, duckdb_path: str) -> DestinationPlan:
    """The destination of DEST, resolved once (short variables, then dlt's own config)."""
    return BUILDERS[dest](duckdb_path)
