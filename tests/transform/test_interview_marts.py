"""Sandbox -> extract -> dbt build, for v3 and v1: every row of the interview marts
(`interviews`, `interviewer_activity`, `scorecard_recommendations`) equals the figures computed
from the sandbox's own records (tests/oracles/interviews.py), on DuckDB and PostgreSQL; v1 gives
every column, so both versions build the same rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.data import Organisation
from tests.fixtures.postgres import PostgresDatabase
from tests.fixtures.sandbox import SandboxHandle
from tests.oracles import interviews as expected_interviews

from .checks import _diff
from .conftest import (
    Build,
    assert_build_passed,
    build_duckdb,
    clean_env,
    fetch,
    run_dbt,
    run_extract,
)

pytestmark = pytest.mark.slow

# the one account of these builds (GREENHOUSE_RAW_SCHEMA unset): every mart row's source_relation
ACCOUNT = "greenhouse_raw"
# mart -> (oracle, key); every key starts with the account
MARTS = {
    "interviews": (
        expected_interviews.interviews,
        ("source_relation", "interview_interviewer_id"),
    ),
    "interviewer_activity": (
        expected_interviews.interviewer_activity,
        ("source_relation", "interviewer_user_id", "week_start_date"),
    ),
    "scorecard_recommendations": (
        expected_interviews.scorecard_recommendations,
        ("source_relation", "interviewer_user_id", "stage_id"),
    ),
}


def check_interview_marts(connection: Any, org: Organisation) -> None:
    for mart, (oracle, key) in MARTS.items():
        got = fetch(connection, f"select * from greenhouse_marts.{mart}")
        # the oracle knows one organisation: its rows are the account's, source_relation first
        expected = [{"source_relation": ACCOUNT, **row} for row in oracle(org)]
        assert expected, f"the sandbox organisation gives no {mart} rows"
        assert list(got[0]) == list(expected[0]), f"{mart}: columns differ"
        problems = _diff(got, expected, key)
        assert not problems, f"{mart}:\n" + "\n".join(problems[:40])


@pytest.fixture(scope="module")
def builds(
    transform_sandbox: SandboxHandle, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Build]]:
    yield {
        version: build_duckdb(transform_sandbox, version, tmp_path_factory.mktemp(version))
        for version in ("v3", "v1")
    }


@pytest.mark.parametrize("version", ["v3", "v1"])
def test_interview_marts_equal_figures_computed_from_the_sandbox(
    builds: dict[str, Build], version: str
) -> None:
    build = builds[version]
    assert_build_passed(build.run)
    with build.connect() as connection:
        check_interview_marts(connection, build.sandbox.org)


def test_v1_and_v3_build_the_same_interview_marts(builds: dict[str, Build]) -> None:
    with builds["v3"].connect() as v3, builds["v1"].connect() as v1:
        for mart, (_, key) in MARTS.items():
            order = ", ".join(key)
            sql = f"select * from greenhouse_marts.{mart} order by {order}"
            assert fetch(v3, sql) == fetch(v1, sql), mart


def test_the_sandbox_exercises_every_definition(transform_sandbox: SandboxHandle) -> None:
    """The comparison above means something only if the data has every case in it."""
    rows = expected_interviews.interviews(transform_sandbox.org)
    statuses = Counter(r["interview_status"] for r in rows)
    assert {"scheduled", "awaiting_feedback", "complete", "skipped"} <= set(statuses)
    recommendations = Counter(r["overall_recommendation"] for r in rows)
    assert set(recommendations) == {None, *expected_interviews.RECOMMENDATIONS}
    hours = [r["hours_to_scorecard"] for r in rows if r["hours_to_scorecard"] is not None]
    assert min(hours) < 1 and any(h > 24 for h in hours) and max(hours) > 24 * 7
    assert {r["is_interviewer_hiring_manager"] for r in rows} == {True, False}
    assert {r["has_candidate_advanced"] for r in rows} == {True, False}
    assert any(r["scorecard_id"] is None for r in rows if r["interview_status"] != "skipped")
    activity = expected_interviews.interviewer_activity(transform_sandbox.org)
    assert any(r["scorecards_submitted"] and r["scorecards_submitted"] % 2 == 0 for r in activity)
    assert any(r["within_24h_share"] not in (None, 0, 1) for r in activity)
    recommendations_rows = expected_interviews.scorecard_recommendations(transform_sandbox.org)
    assert any(r["positive_share"] is None for r in recommendations_rows)
    assert any(r["recommended_no_decision"] for r in recommendations_rows)


@pytest.mark.postgres
@pytest.mark.parametrize("version", ["v3", "v1"])
def test_postgres_interview_marts_equal_figures_computed_from_the_sandbox(
    transform_sandbox: SandboxHandle, postgres_db: PostgresDatabase, tmp_path: Path, version: str
) -> None:
    env = clean_env(
        **transform_sandbox.env(version),
        **postgres_db.env(),
        DEST="postgres",
        GREENHOUSE_PIPELINES_DIR=str(tmp_path / "pipelines"),
    )
    run_extract(env, version)
    run = run_dbt(["build", "--target", "postgres"], env, tmp_path)
    assert_build_passed(run)
    with postgres_db.connect() as connection:
        check_interview_marts(connection, transform_sandbox.org)
