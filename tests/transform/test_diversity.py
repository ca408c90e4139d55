"""The opt-in diversity reporting: with EEOC extracted (GREENHOUSE_RESOURCES naming `eeoc`),
every row of `diversity_funnel` - suppressed cells, complementary suppression and the
`suppressed` rows included - equals tests/oracles/diversity.py's computation from the sandbox's
records, for v3 and v1, on DuckDB and PostgreSQL; without EEOC the EEOC models are not built and
the build passes; the models compile for Snowflake and BigQuery."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot

from tests.fixtures.postgres import PostgresDatabase
from tests.fixtures.sandbox import SandboxHandle, start_sandbox
from tests.oracles.diversity import diversity_funnel, suppression_kinds

from .conftest import (
    AS_OF,
    RESOURCES,
    DbtRun,
    assert_build_passed,
    clean_env,
    fetch,
    run_dbt,
    run_extract,
)
from .test_offline_compile import DIALECT, _credentials

pytestmark = pytest.mark.slow

# enough applications that each job has cells above and below the minimum in every category
CANDIDATES = 300
EEOC_MODELS = {"stg_greenhouse__eeoc", "diversity_funnel"}
# the mart, what it reads, and the tests on them: a lean build for the other cases
DIVERSITY_SELECTION = [
    "--select",
    "+diversity_funnel stg_greenhouse__candidates",
    "--indirect-selection",
    "cautious",
]


@pytest.fixture(scope="module")
def eeoc_sandbox() -> Iterator[SandboxHandle]:
    handle = start_sandbox(candidates=CANDIDATES)
    yield handle
    handle.stop()


def _extract_and_build(
    sandbox: SandboxHandle,
    version: str,
    destination: dict[str, str],
    work: Path,
    resources: str,
    build_args: list[str],
) -> DbtRun:
    env = clean_env(
        **sandbox.env(version),
        **destination,
        GREENHOUSE_PIPELINES_DIR=str(work / "pipelines"),
        GREENHOUSE_AS_OF=AS_OF,
        GREENHOUSE_RESOURCES=resources,
    )
    run_extract(env, version, resources=resources)
    return run_dbt(["build", "--target", destination["DEST"], *build_args], env, work)


def _nodes(run: DbtRun) -> dict[str, str]:
    """Node name -> status of a dbt run."""
    return {r["unique_id"].split(".")[-1]: r["status"] for r in run.results()}


def _assert_eeoc_built(run: DbtRun) -> None:
    """The EEOC models and every other selected node built and passed."""
    assert run.returncode == 0, run.output[-6000:]
    nodes = _nodes(run)
    assert nodes.keys() >= EEOC_MODELS
    assert all(status in ("success", "pass") for status in nodes.values()), nodes


def _assert_funnel_matches(connect: Callable[[], Any], org: Any, version: str) -> None:
    with connect() as connection:
        rows = fetch(connection, "select * from greenhouse_marts.diversity_funnel")
    got = {row["diversity_funnel_id"]: row for row in rows}
    assert len(got) == len(rows)
    # the one account of the build (GREENHOUSE_RAW_SCHEMA unset), first column of every row
    expected = {
        row["diversity_funnel_id"]: {"source_relation": "greenhouse_raw", **row}
        for row in diversity_funnel(org, version)
    }
    assert all(next(iter(row)) == "source_relation" for row in rows)
    assert got.keys() == expected.keys()
    wrong = [key for key in expected if got[key] != expected[key]]
    assert not wrong, [(got[k], expected[k]) for k in wrong[:3]]


def test_the_sandbox_data_exercises_every_suppression_case(eeoc_sandbox: SandboxHandle) -> None:
    for version in ("v3", "v1"):
        kinds = suppression_kinds(eeoc_sandbox.org, version)
        for level in ("job", "department"):
            for kind in ("visible", "primary", "complementary"):
                assert kinds[f"{level} {kind}"] > 0, (version, level, kind, kinds)


def test_without_eeoc_nothing_diversity_is_built_and_the_build_passes(
    eeoc_sandbox: SandboxHandle, tmp_path: Path
) -> None:
    path = tmp_path / "greenhouse.duckdb"
    destination = {"DEST": "duckdb", "DUCKDB_PATH": str(path)}
    run = _extract_and_build(eeoc_sandbox, "v3", destination, tmp_path, RESOURCES["v3"], [])
    assert_build_passed(run)
    built = " ".join(_nodes(run))
    assert not [name for name in EEOC_MODELS if name in built], built
    with duckdb.connect(str(path), read_only=True) as connection:
        tables = {
            r[0]
            for r in connection.sql("select table_name from information_schema.tables").fetchall()
        }
    assert "applications_by_stage" in tables
    assert not tables & (EEOC_MODELS | {"eeoc"}), tables


@pytest.mark.parametrize("version", ["v3", "v1"])
def test_duckdb_diversity_funnel_equals_the_sandbox_computation(
    eeoc_sandbox: SandboxHandle, tmp_path: Path, version: str
) -> None:
    path = tmp_path / "greenhouse.duckdb"
    destination = {"DEST": "duckdb", "DUCKDB_PATH": str(path)}
    # v3 builds the whole project with EEOC on; v1 only what the mart needs
    args = [] if version == "v3" else DIVERSITY_SELECTION
    resources = f"{RESOURCES[version]},eeoc"
    run = _extract_and_build(eeoc_sandbox, version, destination, tmp_path, resources, args)
    if version == "v3":
        assert_build_passed(run)
    _assert_eeoc_built(run)
    _assert_funnel_matches(
        lambda: duckdb.connect(str(path), read_only=True), eeoc_sandbox.org, version
    )


@pytest.mark.postgres
@pytest.mark.parametrize("version", ["v3", "v1"])
def test_postgres_diversity_funnel_equals_the_sandbox_computation(
    eeoc_sandbox: SandboxHandle, postgres_db: PostgresDatabase, tmp_path: Path, version: str
) -> None:
    destination = {"DEST": "postgres", **postgres_db.env()}
    resources = f"{RESOURCES[version]},eeoc"
    run = _extract_and_build(
        eeoc_sandbox, version, destination, tmp_path, resources, DIVERSITY_SELECTION
    )
    _assert_eeoc_built(run)
    _assert_funnel_matches(postgres_db.connect, eeoc_sandbox.org, version)


@pytest.mark.parametrize("version", ["v3", "v1"])
@pytest.mark.parametrize("target", ["snowflake", "bigquery"])
def test_diversity_models_compile_offline_to_valid_warehouse_sql(
    target: str, version: str, tmp_path: Path
) -> None:
    env = clean_env(
        **_credentials(target, tmp_path),
        GREENHOUSE_API_VERSION=version,
        GREENHOUSE_RESOURCES="eeoc",
    )
    args = ["compile", "--no-populate-cache", "--no-introspect", "--target", target]
    args += ["--vars", "{greenhouse_introspect: false}", "--select", "+diversity_funnel"]
    run = run_dbt(args, env, tmp_path)
    assert run.returncode == 0, run.output[-4000:]
    manifest = json.loads((run.target_path / "manifest.json").read_text())
    mart = manifest["nodes"]["model.greenhouse.diversity_funnel"]
    assert mart["config"]["contract"]["enforced"]
    compiled = run.target_path / "compiled" / "greenhouse" / "models"
    for name in ("marts/diversity_funnel.sql", "staging/greenhouse/stg_greenhouse__eeoc.sql"):
        sql = (compiled / name).read_text()
        sqlglot.parse_one(sql, read=DIALECT[target])
        assert "::" not in sql, name


def test_a_bad_minimum_cell_size_is_one_clear_error(tmp_path: Path) -> None:
    env = clean_env(**_credentials("snowflake", tmp_path), GREENHOUSE_RESOURCES="eeoc")
    args = ["compile", "--no-populate-cache", "--no-introspect", "--target", "snowflake"]
    args += ["--vars", "{greenhouse_introspect: false, greenhouse_diversity_min_cell: few}"]
    run = run_dbt([*args, "--select", "diversity_funnel"], env, tmp_path)
    assert run.returncode != 0
    assert "greenhouse_diversity_min_cell must be a whole number of at least 1, got 'few'" in (
        run.output
    )


def test_eeoc_enabled_without_the_raw_table_is_one_clear_error(tmp_path: Path) -> None:
    env = clean_env(
        DEST="duckdb", DUCKDB_PATH=str(tmp_path / "empty.duckdb"), GREENHOUSE_RESOURCES="eeoc"
    )
    run = run_dbt(
        ["build", "--target", "duckdb", "--select", "stg_greenhouse__eeoc"], env, tmp_path
    )
    assert run.returncode != 0
    assert "EEOC is enabled" in run.output
    assert '"greenhouse_raw"."eeoc" does not exist: extract it first' in run.output
