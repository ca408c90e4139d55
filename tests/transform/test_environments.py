"""Environments in one warehouse: GREENHOUSE_SCHEMA_PREFIX moves the raw dataset, staging and
marts together (`dev_greenhouse_raw`, `dev_greenhouse_staging`, `dev_greenhouse_marts`), while
no prefix keeps production's plain names. A dev and a prod environment built into one
PostgreSQL database never touch each other's tables; a bad prefix stops both stages early."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from extract.errors import ConfigError
from extract.settings import GreenhouseConfig, raw_dataset
from tests.fixtures.postgres import PostgresDatabase
from tests.fixtures.sandbox import SandboxHandle, start_sandbox

from .conftest import ROOT, DbtRun, clean_env, fetch, run_dbt, run_extract

VERSION = "v3"
# what the `applications` mart reads (jobs, departments, offices: its `jobs` parent)
RESOURCES = "applications,jobs,job_interview_stages,departments,offices,sources"
# the mart, its parents and the tests whose parents are all built: no more than needed
BUILD = ["build", "--target", "postgres", "--select", "+applications"]
BUILD += ["--indirect-selection", "cautious"]
LAYERS = ("raw", "staging", "marts")


def _config(raw_schema: str = "greenhouse_raw") -> GreenhouseConfig:
    config = GreenhouseConfig()
    config.raw_schema = raw_schema
    return config


def test_the_prefix_goes_in_front_of_the_raw_dataset() -> None:
    assert raw_dataset(_config(), {}) == "greenhouse_raw"
    assert raw_dataset(_config(), {"GREENHOUSE_SCHEMA_PREFIX": ""}) == "greenhouse_raw"
    prefixed = {"GREENHOUSE_SCHEMA_PREFIX": "dev_alice"}
    assert raw_dataset(_config(), prefixed) == "dev_alice_greenhouse_raw"
    assert raw_dataset(_config("hr_raw"), prefixed) == "dev_alice_hr_raw"


@pytest.mark.parametrize("prefix", ["dev-alice", "Dev", "1dev", "dev_", "dev__alice", "a b"])
def test_a_prefix_dlt_would_rename_is_refused(prefix: str) -> None:
    with pytest.raises(ConfigError, match="GREENHOUSE_SCHEMA_PREFIX"):
        raw_dataset(_config(), {"GREENHOUSE_SCHEMA_PREFIX": prefix})


def test_a_bad_prefix_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    env = clean_env(
        DEST="duckdb",
        DUCKDB_PATH=str(tmp_path / "x.duckdb"),
        GREENHOUSE_PIPELINES_DIR=str(tmp_path / "pipelines"),
        GREENHOUSE_CLIENT_ID="id-x",
        GREENHOUSE_CLIENT_SECRET="secret-x",
        GREENHOUSE_SCHEMA_PREFIX="dev-alice",
    )
    result = subprocess.run(
        [sys.executable, "-m", "extract", "extract"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "GREENHOUSE_SCHEMA_PREFIX" in errors[0] and "'dev-alice'" in errors[0]
    assert not (tmp_path / "x.duckdb").exists()


def test_dbt_refuses_a_bad_prefix_naming_the_variable(tmp_path: Path) -> None:
    env = clean_env(
        DEST="duckdb", DUCKDB_PATH=str(tmp_path / "x.duckdb"), GREENHOUSE_SCHEMA_PREFIX="Dev"
    )
    run = run_dbt(["parse"], env, tmp_path)
    assert run.returncode != 0
    assert "GREENHOUSE_SCHEMA_PREFIX must be lower-case" in run.output
    assert "(got 'Dev')" in run.output


def _assert_built(run: DbtRun) -> None:
    assert run.returncode == 0, f"dbt build failed:\n{run.output[-6000:]}"
    results = run.results()
    failed = [r["unique_id"] for r in results if r["status"] not in ("success", "pass")]
    assert not failed, f"dbt nodes not passing: {failed}"
    assert "model.greenhouse.applications" in {r["unique_id"] for r in results}


@pytest.mark.postgres
@pytest.mark.slow
def test_dev_and_prod_in_one_database_keep_apart(
    postgres_db: PostgresDatabase, tmp_path: Path
) -> None:
    sandbox: SandboxHandle = start_sandbox(candidates=40, seed=5)
    try:
        common = {
            **sandbox.env(VERSION),
            **postgres_db.env(),
            "DEST": "postgres",
            # one working directory for both, as on one machine (the state lives in each dataset)
            "GREENHOUSE_PIPELINES_DIR": str(tmp_path / "pipelines"),
            # read up to now: the sandbox stamps its changes with the current time
            "GREENHOUSE_SETTLE_SECONDS": "0",
        }
        dev = clean_env(**common, GREENHOUSE_SCHEMA_PREFIX="dev")
        prod = clean_env(**common)

        for name, env in (("dev", dev), ("prod", prod)):
            run_extract(env, VERSION, resources=RESOURCES)
            _assert_built(run_dbt(BUILD, env, tmp_path / f"{name}-first"))

        mart = "select * from {}.applications order by application_id"
        loads = "select load_id from {}._dlt_loads order by load_id"
        with postgres_db.connect() as connection:
            schemas = {
                row["schema_name"]
                for row in fetch(connection, "select schema_name from information_schema.schemata")
            }
            prod_before = fetch(connection, mart.format("greenhouse_marts"))
            prod_loads_before = fetch(connection, loads.format("greenhouse_raw"))
        for layer in LAYERS:
            assert {f"greenhouse_{layer}", f"dev_greenhouse_{layer}"} <= schemas, schemas
        assert len(prod_before) == sandbox.org.count("applications")

        changes = sandbox.advance(0.25)
        assert changes["new_applications"] > 0, changes
        run_extract(dev, VERSION, full_refresh=False, resources=RESOURCES)
        _assert_built(run_dbt(BUILD, dev, tmp_path / "dev-second"))

        with postgres_db.connect() as connection:
            dev_after = fetch(connection, mart.format("dev_greenhouse_marts"))
            prod_after = fetch(connection, mart.format("greenhouse_marts"))
            prod_loads_after = fetch(connection, loads.format("greenhouse_raw"))
    finally:
        sandbox.stop()

    assert len(dev_after) == sandbox.org.count("applications") > len(prod_before)
    assert prod_after == prod_before
    assert prod_loads_after == prod_loads_before
