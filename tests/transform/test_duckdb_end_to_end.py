"""Sandbox -> extract -> dbt build on DuckDB, for v3 and v1: every mart row equals the figures
computed from the sandbox's own records, all dbt tests pass, and the two versions agree."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from extract.demo import print_summary
from tests.fixtures.sandbox import SandboxHandle
from tests.oracles import marts as expected_marts

from .checks import check_marts, check_versions_agree
from .conftest import Build, assert_build_passed, build_duckdb

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def builds(
    transform_sandbox: SandboxHandle, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Build]]:
    yield {
        version: build_duckdb(transform_sandbox, version, tmp_path_factory.mktemp(version))
        for version in ("v3", "v1")
    }


@pytest.mark.parametrize("version", ["v3", "v1"])
def test_dbt_build_passes_every_model_and_test(builds: dict[str, Build], version: str) -> None:
    assert_build_passed(builds[version].run)


@pytest.mark.parametrize("version", ["v3", "v1"])
def test_marts_equal_figures_computed_from_the_sandbox(
    builds: dict[str, Build], version: str
) -> None:
    build = builds[version]
    assert_build_passed(build.run)
    with build.connect() as connection:
        check_marts(connection, build.sandbox.org, version)


def test_v1_and_v3_agree_except_where_history_is_richer(builds: dict[str, Build]) -> None:
    for build in builds.values():
        assert_build_passed(build.run)
    with builds["v3"].connect() as v3, builds["v1"].connect() as v1:
        check_versions_agree(v3, v1, builds["v3"].sandbox.org)


def test_models_land_in_the_exact_schemas(builds: dict[str, Build]) -> None:
    with builds["v3"].connect() as connection:
        rows = connection.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_schema like 'greenhouse%'"
        ).fetchall()
    # greenhouse_raw_staging is dlt's own scratch dataset for merges
    schemas = {schema for schema, _ in rows} - {"greenhouse_raw_staging"}
    assert schemas == {"greenhouse_raw", "greenhouse_staging", "greenhouse_marts"}
    marts = {name for schema, name in rows if schema == "greenhouse_marts"}
    assert {"applications_by_stage", "offer_acceptance", "applications", "offers"} <= marts


def test_demo_summary_prints_the_built_figures(builds: dict[str, Build]) -> None:
    build = builds["v3"]
    with build.connect() as connection:
        path = connection.execute(
            "select path from duckdb_databases() where database_name = current_database()"
        ).fetchone()[0]
    console = Console(file=io.StringIO(), width=160, color_system=None)
    assert print_summary(Path(path), months=0, console=console) == 0
    stdout = console.file.getvalue()  # type: ignore[attr-defined]  # the StringIO given above
    lines = stdout.splitlines()
    org = build.sandbox.org
    landed = {
        line.split()[0]: int(line.split()[1].replace(",", ""))
        for line in lines
        if len(line.split()) == 2 and line.split()[1].replace(",", "").isdigit()
    }
    assert landed["applications"] == org.count("applications")
    assert landed["offers"] == org.count("offers")
    # the funnel is the job with the most candidate applications at its first stage
    by_stage = expected_marts.applications_by_stage(org, "v3")
    first = [
        r
        for r in by_stage
        if r["stage_order"] == min(s["stage_order"] for s in by_stage if s["job_id"] == r["job_id"])
    ]
    busiest = sorted(first, key=lambda r: (-r["applications_reached"], r["job_id"]))[0]
    assert f'Funnel of job {busiest["job_id"]} "{busiest["job_name"]}"' in stdout
    # one line per cohort month, with the month's offers over all jobs
    months: dict[str, int] = {}
    for row in expected_marts.offer_acceptance(org):
        key = f"{row['cohort_month']:%Y-%m}"
        months[key] = months.get(key, 0) + row["offers_total"]
    acceptance = stdout.split("Offer acceptance by month")[1].split("Days to hire")[0]
    printed = {
        line.split()[0]: int(line.split()[1])
        for line in acceptance.splitlines()
        if len(line.split()) >= 2 and line.split()[0][:2] == "20" and "-" in line.split()[0]
    }
    assert printed == months
    # the recruiting sections: hires per month of hire, the busiest interviewer first
    assert "Days to hire" in stdout and "Busiest interviewers" in stdout


def test_demo_summary_fails_in_one_line_without_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert print_summary(tmp_path / "missing.duckdb") == 1
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0 and "make demo" in err
