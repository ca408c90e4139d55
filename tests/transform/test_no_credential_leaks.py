"""A gateway that answers 400 by repeating the request's headers (``Authorization: Bearer ...``
in v3, ``Basic <base64 of the API key>`` in v1) must not put a credential anywhere a run leaves
things: its output, the warehouse (``elt_runs``, the ``pipeline_runs`` mart, every table), the
report, dbt's target/ and logs, dlt's pipelines dir.

Each case runs what a user runs: ``elt run`` through the echoing gateway (fails on one endpoint),
``elt run`` again once it behaves (the transform builds ``pipeline_runs`` with the failed row),
``elt report``; then every byte left behind is searched for every credential of the run."""

from __future__ import annotations

import re
from base64 import b64encode
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.fixtures.postgres import PostgresDatabase
from tests.fixtures.sandbox import SandboxHandle, start_sandbox

from .conftest import RESOURCES, elt

pytestmark = pytest.mark.slow

# shaped like a credential whatever its value: what the gateway echoed, unredacted
SHAPED = re.compile(r"(Bearer|Basic)\s+(?!\*\*\*)[A-Za-z0-9._~+/-]{8,}", re.IGNORECASE)
DB_PASSWORD = "pg-Pa55-n3ver-shown"  # trust auth: the server accepts any password


def _warehouse_text(dest: str, env: dict[str, str], db: PostgresDatabase | None) -> str:
    """Every row of every table the run wrote, as text."""
    if dest == "duckdb":
        con: Any = duckdb.connect(env["DUCKDB_PATH"], read_only=True)
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_schema not in ('information_schema', 'pg_catalog')"
        ).fetchall()
        text = [str(con.execute(f'select * from "{s}"."{t}"').fetchall()) for s, t in tables]
        con.close()
        return "\n".join(text)
    assert db is not None
    with db.connect() as con, con.cursor() as cur:
        cur.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_schema not in ('information_schema', 'pg_catalog')"
        )
        text = []
        for schema, table in cur.fetchall():
            cur.execute(f'select * from "{schema}"."{table}"')
            text.append(str(cur.fetchall()))
    return "\n".join(text)


def _files_text(root: Path) -> str:
    """Every file under ``root`` (pipelines dir, dbt target/ and logs, report, DuckDB file)."""
    return "\n".join(
        path.read_bytes().decode("latin-1") for path in root.rglob("*") if path.is_file()
    )


@pytest.mark.parametrize(
    ("version", "dest"),
    [("v3", "duckdb"), pytest.param("v1", "postgres", marks=pytest.mark.postgres)],
)
def test_an_echoing_gateway_leaks_no_credential(
    version: str, dest: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    sandbox: SandboxHandle = start_sandbox(candidates=60)
    request.addfinalizer(sandbox.stop)
    db: PostgresDatabase | None = None
    env = {
        **sandbox.env(version),
        "DEST": dest,
        "GREENHOUSE_RESOURCES": RESOURCES[version],
        "GREENHOUSE_PIPELINES_DIR": str(tmp_path / "pipelines"),
        "GREENHOUSE_SETTLE_SECONDS": "0",
        "GREENHOUSE_MAX_ATTEMPTS": "2",
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        "ELT_REPORT_PATH": str(tmp_path / "report.html"),
    }
    if dest == "duckdb":
        env["DUCKDB_PATH"] = str(tmp_path / "warehouse.duckdb")
    else:  # dlt's own variable: the password is only in the URL
        db = request.getfixturevalue("postgres_db")
        url = f"postgresql://{db.user}:{DB_PASSWORD}@{db.host}:{db.port}/{db.database}"
        env["DESTINATION__POSTGRES__CREDENTIALS"] = url

    sandbox.set_faults(echo_headers=["jobs"])
    echoed = elt(env, "run")
    sandbox.set_faults()
    clean = elt(env, "run")
    report = elt(env, "report")

    assert echoed.returncode == 1, echoed.stderr[-3000:]
    errors = [line for line in echoed.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "HTTP 400" in errors[0] and "jobs" in errors[0], errors
    assert "Authorization: ***" in errors[0]  # the gateway's echo, its credential masked
    assert clean.returncode == 0, clean.stderr[-3000:]
    assert report.returncode == 0, report.stderr[-3000:]
    warehouse = _warehouse_text(dest, env, db)
    assert "Authorization: ***" in warehouse  # the failed run is in elt_runs and pipeline_runs
    assert "Authorization: ***" in (tmp_path / "report.html").read_text()  # ... "Last runs"

    credentials = {
        "client secret": sandbox.client_secret,
        "API key": sandbox.api_token,
        "API key (Basic)": b64encode(f"{sandbox.api_token}:".encode()).decode(),
        "client (Basic)": b64encode(
            f"{sandbox.client_id}:{sandbox.client_secret}".encode()
        ).decode(),
        **{f"access token {i}": token for i, token in enumerate(sandbox.server.tokens)},
    }
    if dest == "postgres":
        credentials["database password"] = DB_PASSWORD
    assert version == "v1" or any(k.startswith("access token") for k in credentials)
    left = {
        "output": "\n".join(p.stdout + p.stderr for p in (echoed, clean, report)),
        "warehouse": warehouse,
        "files": _files_text(tmp_path),  # pipelines dir, target/, logs/, report, DuckDB file
    }
    for where, text in left.items():
        for what, value in credentials.items():
            assert value not in text, f"the {what} is in the {where}"
        assert not SHAPED.search(text), (where, SHAPED.search(text))
