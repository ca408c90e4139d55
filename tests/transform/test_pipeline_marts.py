"""Sandbox -> extract -> dbt build on DuckDB, v3 and v1: every row of the pipeline marts
(stage durations, hiring velocity, openings, time to fill, source effectiveness, rejections)
equals the figures tests/oracles/pipeline.py computes from the sandbox's own records."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from tests.fixtures.sandbox import SandboxHandle
from tests.oracles import pass_through as expected_pass_through
from tests.oracles import pipeline as expected

from .checks import _diff
from .conftest import AS_OF, Build, assert_build_passed, build_duckdb, fetch

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def builds(
    transform_sandbox: SandboxHandle, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Build]]:
    yield {
        version: build_duckdb(transform_sandbox, version, tmp_path_factory.mktemp(version))
        for version in ("v3", "v1")
    }


def _mart(build: Build, name: str) -> list[dict]:
    assert_build_passed(build.run)
    with build.connect() as connection:
        return fetch(connection, f"select * from greenhouse_marts.{name}")


@pytest.mark.parametrize("version", ["v3", "v1"])
def test_stage_durations(builds: dict[str, Build], version: str) -> None:
    build = builds[version]
    want = expected.stage_durations(build.sandbox.org, version)
    reasons = Counter(r["exit_reason"] for r in want)
    # the sandbox has visits of every kind (v1: no history, so no advanced visit)
    assert {"rejected", "hired", "still_there"} <= set(reasons), reasons
    assert ("advanced" in reasons) == (version == "v3")
    problems = _diff(_mart(build, "stage_durations"), want, ("stage_visit_id",))
    assert not problems, "stage_durations:\n" + "\n".join(problems[:40])


@pytest.mark.parametrize("version", ["v3", "v1"])
def test_hiring_velocity(builds: dict[str, Build], version: str) -> None:
    build = builds[version]
    want = expected.hiring_velocity(build.sandbox.org)
    assert any(r["hires"] for r in want), "the sandbox should hire"
    assert any(r["hires"] == 0 for r in want), "and resolve offers in months without hires"
    problems = _diff(_mart(build, "hiring_velocity"), want, ("job_id", "hire_month"))
    assert not problems, "hiring_velocity:\n" + "\n".join(problems[:40])


@pytest.mark.parametrize("version", ["v3", "v1"])
def test_openings(builds: dict[str, Build], version: str) -> None:
    build = builds[version]
    want = expected.openings(build.sandbox.org, AS_OF)
    assert {(r["is_open"], r["is_filled"]) for r in want} >= {(True, False), (False, True)}
    problems = _diff(_mart(build, "openings"), want, ("opening_id",))
    assert not problems, "openings:\n" + "\n".join(problems[:40])


@pytest.mark.parametrize("version", ["v3", "v1"])
def test_time_to_fill(builds: dict[str, Build], version: str) -> None:
    build = builds[version]
    want = expected.time_to_fill(build.sandbox.org)
    assert any(r["openings_filled"] for r in want), "the sandbox should fill openings"
    problems = _diff(_mart(build, "time_to_fill"), want, ("job_id", "closed_month"))
    assert not problems, "time_to_fill:\n" + "\n".join(problems[:40])


@pytest.mark.parametrize("version", ["v3", "v1"])
def test_source_effectiveness(builds: dict[str, Build], version: str) -> None:
    build = builds[version]
    want = expected.source_effectiveness(build.sandbox.org, version)
    assert sum(r["hired"] for r in want) and any(r["source_id"] is None for r in want)
    problems = _diff(_mart(build, "source_effectiveness"), want, ("source_id", "cohort_month"))
    assert not problems, "source_effectiveness:\n" + "\n".join(problems[:40])


@pytest.mark.parametrize("version", ["v3", "v1"])
def test_rejections(builds: dict[str, Build], version: str) -> None:
    build = builds[version]
    want = expected.rejections(build.sandbox.org, version)
    # reasons of every type, and v1 nests the same reason v3 has in rejection_details
    assert {r["rejection_type"] for r in want} == {"we_rejected_them", "they_rejected_us", "other"}
    other = expected.rejections(build.sandbox.org, "v1" if version == "v3" else "v3")
    assert [r["rejection_reason_id"] for r in want] == [r["rejection_reason_id"] for r in other]
    assert any(r["rejected_by_user_id"] for r in want) == (version == "v3")
    problems = _diff(_mart(build, "rejections"), want, ("application_id",))
    assert not problems, "rejections:\n" + "\n".join(problems[:40])


@pytest.mark.parametrize("version", ["v3", "v1"])
def test_stage_pass_through(builds: dict[str, Build], version: str) -> None:
    """Both of Greenhouse's conventions and the completed-only cohort, per job stage."""
    build = builds[version]
    want = expected_pass_through.stage_pass_through(build.sandbox.org, version)
    assert any(r["applications_passed"] for r in want)
    assert any(r["completed_reached"] < r["applications_reached"] for r in want)
    if version == "v3":
        # skipped stages: the implied count of a stage exceeds the applications that entered it
        assert any(r["applications_reached"] > r["applications_entered"] for r in want)
        assert any(r["applications_exited"] > r["applications_moved_on"] for r in want)
    rates = [r[k] for r in want for k in r if k.endswith("_rate") and r[k] is not None]
    assert rates and max(rates) <= 1
    problems = _diff(_mart(build, "stage_pass_through"), want, ("stage_id",))
    assert not problems, "stage_pass_through:\n" + "\n".join(problems[:40])
