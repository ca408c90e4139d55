"""Real accounts, end to end over HTTP: `elt run` is green on every account shape, and the marts
equal the oracles computed from the organisation as that account serves it.

- a young account (no interviews, scorecards, openings, hiring managers, rejection details yet:
  the sandbox's `young` profile), v3 on DuckDB and PostgreSQL, v1 on DuckDB;
- a token scoped to dltHub's eight endpoints (`scoped` profile: 403 elsewhere) with
  `--skip-forbidden`, on PostgreSQL;
- dltHub's eight endpoints chosen with `--resources`, on DuckDB;
- an endpoint failing on its first load: the extract fails naming it, `elt transform` still
  builds, and the next run after the fault fills it with no duplicates.

Each also asks `elt check` first: it passes, and names exactly the marts the run leaves empty.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from extract.endpoints import default_resources
from sandbox.server.profiles import DLTHUB_EIGHT, profile_faults
from tests.fixtures.postgres import fresh_database
from tests.fixtures.sandbox import SandboxHandle, start_sandbox
from tests.oracles.shapes import Shaped, entities_of

from .checks import account_mart_problems, mart_expectations
from .conftest import AS_OF, elt, fetch

pytestmark = pytest.mark.slow

ACCOUNT = "greenhouse_raw"
CANDIDATES = 80


def _duckdb(tmp_path: Path) -> tuple[dict[str, str], Callable[[], Any]]:
    import duckdb

    path = tmp_path / "account.duckdb"
    env = {"DEST": "duckdb", "DUCKDB_PATH": str(path)}
    return env, lambda: duckdb.connect(str(path), read_only=True)


def _env(sandbox: SandboxHandle, version: str, tmp_path: Path, dest: dict[str, str]) -> dict:
    return {
        **sandbox.env(version),
        **dest,
        "GREENHOUSE_PIPELINES_DIR": str(tmp_path / "pipelines"),
        "GREENHOUSE_AS_OF": AS_OF,
    }


def _empty_marts(check_output: str) -> set[str]:
    return set(re.findall(r"mart (\w+)\s+empty", check_output))


def _expected_empty(org: Any, version: str, shaped: Shaped) -> set[str]:
    """The marts with an oracle that the shape leaves without rows."""
    return {
        mart
        for mart, (rows, _) in mart_expectations(shaped, version).items()
        if not rows and mart_expectations(org, version)[mart][0]
    }


def _run_and_compare(
    sandbox: SandboxHandle,
    version: str,
    env: dict[str, str],
    connect: Callable[[], Any],
    no_rows: set[str],
    *args: str,
) -> None:
    """`elt check` then `elt run`: both green; the marts equal the oracles on the organisation
    without the entities of the endpoints in `no_rows`, and check named the empty marts."""
    shaped = Shaped(sandbox.org, entities_of(no_rows, version))
    check = elt(env, "check", *args)
    assert check.returncode == 0, check.stdout + check.stderr
    named = _empty_marts(check.stdout)
    assert _expected_empty(sandbox.org, version, shaped) <= named, check.stdout
    run = elt(env, "run", *args)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-6000:]
    connection = connect()
    try:
        problems = account_mart_problems(connection, ACCOUNT, shaped, version)
        counts = {
            mart: fetch(connection, f"select count(*) as n from greenhouse_marts.{mart}")[0]["n"]
            for mart in named
        }
    finally:
        connection.close()
    assert not problems, "\n".join(problems[:40])
    assert not any(counts.values()), f"marts elt check called empty have rows: {counts}"


@pytest.mark.parametrize("version", ["v3", "v1"])
def test_a_young_account_runs_green_on_duckdb(tmp_path: Path, version: str) -> None:
    sandbox = start_sandbox(candidates=CANDIDATES, **profile_faults("young"))
    try:
        dest, connect = _duckdb(tmp_path)
        env = _env(sandbox, version, tmp_path, dest)
        served = set(default_resources(version)) & set(profile_faults("young")["empty"])
        _run_and_compare(sandbox, version, env, connect, served)
    finally:
        sandbox.stop()


@pytest.mark.postgres
def test_a_young_account_runs_green_on_postgres(postgres_server_url: str, tmp_path: Path) -> None:
    sandbox = start_sandbox(candidates=CANDIDATES, **profile_faults("young"))
    try:
        with fresh_database(postgres_server_url) as database:
            env = _env(sandbox, "v3", tmp_path, {"DEST": "postgres", **database.env()})
            served = set(default_resources("v3")) & set(profile_faults("young")["empty"])
            _run_and_compare(sandbox, "v3", env, database.connect, served)
    finally:
        sandbox.stop()


@pytest.mark.postgres
def test_a_token_scoped_to_eight_endpoints_runs_green_with_skip_forbidden(
    postgres_server_url: str, tmp_path: Path
) -> None:
    sandbox = start_sandbox(candidates=CANDIDATES, **profile_faults("scoped"))
    try:
        with fresh_database(postgres_server_url) as database:
            env = _env(sandbox, "v3", tmp_path, {"DEST": "postgres", **database.env()})
            forbidden = set(default_resources("v3")) - set(DLTHUB_EIGHT)
            _run_and_compare(sandbox, "v3", env, database.connect, forbidden, "--skip-forbidden")
    finally:
        sandbox.stop()


def test_dlthubs_eight_endpoints_selected_run_green(tmp_path: Path) -> None:
    sandbox = start_sandbox(candidates=CANDIDATES)
    try:
        dest, connect = _duckdb(tmp_path)
        env = _env(sandbox, "v3", tmp_path, dest)
        not_selected = set(default_resources("v3")) - set(DLTHUB_EIGHT)
        _run_and_compare(
            sandbox, "v3", env, connect, not_selected, "--resources", ",".join(DLTHUB_EIGHT)
        )
    finally:
        sandbox.stop()


def test_an_endpoint_failing_on_its_first_load_leaves_a_buildable_dataset(tmp_path: Path) -> None:
    sandbox = start_sandbox(candidates=CANDIDATES, fail_endpoints=["scorecards"])
    try:
        dest, connect = _duckdb(tmp_path)
        env = _env(sandbox, "v3", tmp_path, dest)
        run = elt(env, "run")
        assert run.returncode == 1, run.stderr[-3000:]
        assert "scorecards" in run.stderr.splitlines()[-1] or "scorecards" in run.stderr
        transform = elt(env, "transform")
        assert transform.returncode == 0, transform.stderr[-6000:]
        connection = connect()
        try:
            without = Shaped(sandbox.org, {"scorecards"})
            problems = account_mart_problems(connection, ACCOUNT, without, "v3")
        finally:
            connection.close()
        assert not problems, "\n".join(problems[:40])
        # the fault gone, the next run reads scorecards completely: the marts are the full ones
        sandbox.set_faults()
        again = elt(env, "run")
        assert again.returncode == 0, again.stderr[-6000:]
        connection = connect()
        try:
            problems = account_mart_problems(connection, ACCOUNT, sandbox.org, "v3")
            scorecards = fetch(
                connection,
                "select count(*) as n, count(distinct id) as ids from greenhouse_raw.scorecards",
            )[0]
        finally:
            connection.close()
        assert not problems, "\n".join(problems[:40])
        assert scorecards["n"] == scorecards["ids"] == sandbox.org.count("scorecards")
    finally:
        sandbox.stop()
