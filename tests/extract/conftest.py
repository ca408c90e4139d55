"""Helpers for the extract tests: run the real CLI against the sandbox, read what landed.

Expected values always come from the sandbox's own organisation (``sandbox.org``), never from the
pipeline's output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from sandbox.v1 import V1_ENDPOINTS

REPO = Path(__file__).resolve().parents[2]
DATASET = "greenhouse_raw"
# Variables of the user's shell that must not leak into a test run.
_SCRUB_PREFIXES = (
    "GREENHOUSE_",
    "POSTGRES_",
    "SNOWFLAKE_",
    "BIGQUERY_",
    "FILESYSTEM_",
    "SOURCES__",
    "DESTINATION__",
    "DEST",
    "DUCKDB_PATH",
)


# Each CLI run is a fresh interpreter. Where PYTHONDONTWRITEBYTECODE is set (as on the shared
# build machine) every run would recompile dlt, pyarrow, pandas... (~4 s CPU): keep bytecode in a
# cache outside the repository and the venv instead.
PYCACHE = Path(tempfile.gettempdir()) / "greenhouse-elt-test-pycache"


def clean_environ() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUB_PREFIXES)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["ELT_ENV_FILE"] = os.devnull  # a developer's ./.env must not reach a test run
    env.setdefault("PYTHONPYCACHEPREFIX", str(PYCACHE))
    return env


def entity_of(version: str, table: str) -> str:
    """The sandbox entity (canonical v3 name) behind a raw table of the given API version."""
    return table if version == "v3" else V1_ENDPOINTS[table]


def org_ids(org: Any, entity: str) -> list[int]:
    return [r["id"] for r in org.records(entity)]


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    summary: dict[str, Any] | None

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("error:")]

    def check(self) -> Run:
        assert self.returncode == 0, f"extract failed ({self.returncode}):\n{self.stderr[-3000:]}"
        return self


class Target:
    """The destination under test: its environment and a way to read the raw tables back."""

    def __init__(self, name: str, env: dict[str, str], connect: Callable[[], Any]) -> None:
        self.name = name
        self.env = env
        self._connect = connect

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return self.query_many([sql])[0]

    def query_many(self, sqls: list[str]) -> list[list[tuple[Any, ...]]]:
        """Several queries on one connection (opening a DuckDB file is not free)."""
        conn = self._connect()
        try:
            if self.name == "duckdb":
                return [conn.execute(sql).fetchall() for sql in sqls]
            out = []
            with conn.cursor() as cur:
                for sql in sqls:
                    cur.execute(sql)
                    out.append(cur.fetchall())
            return out
        finally:
            conn.close()

    def tables(self) -> set[str]:
        rows = self.query(
            f"select table_name from information_schema.tables where table_schema = '{DATASET}'"
        )
        return {r[0] for r in rows}

    def ids(self, table: str) -> list[int]:
        return self.ids_many([table])[table]

    def ids_many(self, tables: list[str]) -> dict[str, list[int]]:
        results = self.query_many([f"select id from {DATASET}.{t} order by id" for t in tables])
        return {t: [r[0] for r in rows] for t, rows in zip(tables, results, strict=True)}

    def count(self, table: str) -> int:
        return int(self.query(f"select count(*) from {DATASET}.{table}")[0][0])

    def counts(self) -> dict[str, int]:
        """Rows per raw data table (dlt's own tables and the run history left out)."""
        tables = sorted(t for t in self.tables() if not t.startswith("_dlt") and t != "elt_runs")
        sql = " union all ".join(f"select '{t}', count(*) from {DATASET}.{t}" for t in tables)
        return {name: int(n) for name, n in self.query(sql)}

    def json_column(self, table: str, column: str) -> dict[int, Any]:
        rows = self.query(f"select id, {column} from {DATASET}.{table}")
        return {i: (json.loads(v) if isinstance(v, str) else v) for i, v in rows}


@pytest.fixture
def extract_env(tmp_path: Path) -> dict[str, str]:
    """Isolated state and a fast retry policy for one test."""
    return {
        "DUCKDB_PATH": str(tmp_path / "raw.duckdb"),
        "GREENHOUSE_PIPELINES_DIR": str(tmp_path / "pipelines"),
        "GREENHOUSE_SETTLE_SECONDS": "0",
        "GREENHOUSE_BACKOFF_FACTOR": "0.05",
        "GREENHOUSE_MAX_RETRY_DELAY": "2",
        "GREENHOUSE_MAX_ATTEMPTS": "10",
    }


@pytest.fixture
def run_extract(tmp_path: Path) -> Callable[..., Run]:
    counter = iter(range(1000))

    def run(env: dict[str, str], *args: str, timeout: float = 300) -> Run:
        summary_path = tmp_path / f"summary-{next(counter)}.json"
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "extract",
                "extract",
                *args,
                "--summary-json",
                str(summary_path),
            ],
            cwd=REPO,
            env={**clean_environ(), **env},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        summary = json.loads(summary_path.read_text()) if summary_path.exists() else None
        return Run(proc.returncode, proc.stdout, proc.stderr, summary)

    return run


def duckdb_target(env: dict[str, str]) -> Target:
    path = env["DUCKDB_PATH"]
    return Target("duckdb", {"DEST": "duckdb"}, lambda: duckdb.connect(path, read_only=True))


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, extract_env: dict[str, str]) -> Iterator[Target]:
    """The same tests run against DuckDB and the PostgreSQL server."""
    if request.param == "duckdb":
        yield duckdb_target(extract_env)
        return
    db = request.getfixturevalue("postgres_db")
    yield Target("postgres", {"DEST": "postgres", **db.env()}, db.connect)


def normalized_package(name: str, resources: str, pipelines_dir: Path) -> tuple[Any, Any]:
    """The run's source (``resources``, configured from the environment) extracted and normalized
    by a dlt pipeline ``name`` into DEST's loader file format, not loaded: the pipeline and its
    one load package, for a test of what dlt would send the warehouse."""
    import dlt

    from extract.destinations import plan_destination
    from extract.pipeline import source_args
    from extract.settings import load_settings
    from extract.source import HttpContext, greenhouse

    settings = load_settings(resources=resources)
    plan = plan_destination(settings)
    ctx = HttpContext.create(settings)
    pipeline = dlt.pipeline(
        pipeline_name=name,
        destination=plan.destination,
        dataset_name=settings.raw_schema,
        pipelines_dir=str(pipelines_dir),
    )
    source = greenhouse(**source_args(settings, ctx), http=ctx)
    pipeline.extract(source, loader_file_format=plan.loader_file_format)
    pipeline.normalize()
    (load_id,) = pipeline.list_normalized_load_packages()
    return pipeline, pipeline.get_load_package_info(load_id)
