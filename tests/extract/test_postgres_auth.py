"""PostgreSQL without a password in the configuration: trust, peer, ``~/.pgpass``, ``PGPASSWORD``.

Real CLI runs against the sandbox and the PostgreSQL server (locally: trust auth, so no password
is asked). The database's password, if the server has one, travels only in ``PGPASSWORD``,
which libpq reads when the connection string has none; the configuration never holds it.
"""

from __future__ import annotations

import pytest

from tests.extract.conftest import org_ids

pytestmark = pytest.mark.postgres

RESOURCES = ("--resources", "departments")


def _departments(postgres_db) -> list[int]:
    with postgres_db.connect() as conn, conn.cursor() as cur:
        cur.execute("select id from greenhouse_raw.departments")
        return sorted(r[0] for r in cur.fetchall())


def _base(extract_env, sandbox, postgres_db) -> dict[str, str]:
    return {
        **extract_env,
        **sandbox.env("v3"),
        "DEST": "postgres",
        "PGPASSWORD": postgres_db.password,  # what libpq uses; ignored by a trust server
    }


def test_short_variables_without_postgres_password(sandbox, run_extract, extract_env, postgres_db):
    env = {
        **_base(extract_env, sandbox, postgres_db),
        "POSTGRES_HOST": postgres_db.host,
        "POSTGRES_PORT": str(postgres_db.port),
        "POSTGRES_USER": postgres_db.user,
        "POSTGRES_DB": postgres_db.database,
    }
    run = run_extract(env, *RESOURCES)
    assert run.returncode == 0, run.stderr[-2000:]
    assert _departments(postgres_db) == sorted(org_ids(sandbox.org, "departments"))


def test_dlt_credentials_without_password(sandbox, run_extract, extract_env, postgres_db):
    db = postgres_db
    url = f"postgresql://{db.user}@{db.host}:{db.port}/{db.database}"
    env = {**_base(extract_env, sandbox, db), "DESTINATION__POSTGRES__CREDENTIALS": url}
    run = run_extract(env, *RESOURCES)
    assert run.returncode == 0, run.stderr[-2000:]
    assert _departments(db) == sorted(org_ids(sandbox.org, "departments"))


def test_incomplete_dlt_credentials_say_what_they_lack(sandbox, run_extract, extract_env):
    url = "postgresql://127.0.0.1:5432/greenhouse"  # no user
    env = {**extract_env, **sandbox.env("v3"), "DEST": "postgres"}
    run = run_extract({**env, "DESTINATION__POSTGRES__CREDENTIALS": url}, *RESOURCES)
    assert run.returncode == 2, run.stderr
    assert len(run.error_lines) == 1, run.stderr
    line = run.error_lines[0]
    assert "DESTINATION__POSTGRES__CREDENTIALS is set but lacks `username`" in line, line
    assert "postgresql://user[:password]@host:5432/database" in line
    assert "set POSTGRES_HOST" not in line  # not told to set what is set
