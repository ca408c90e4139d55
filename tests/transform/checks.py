"""Comparisons of built marts with the figures computed independently by tests/oracles/marts."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sandbox.data import Organisation
from tests.oracles import interviews as expected_interviews
from tests.oracles import marts as expected_marts
from tests.oracles import pass_through as expected_pass_through
from tests.oracles import pipeline as expected_pipeline

from .conftest import AS_OF, fetch

Row = dict[str, Any]


def _same(have: Any, want: Any, tolerance: Decimal | None) -> bool:
    if tolerance is not None and isinstance(have, Decimal) and isinstance(want, Decimal):
        return abs(have - want) <= tolerance
    if isinstance(have, datetime) and have.tzinfo is not None and isinstance(want, datetime):
        # BigQuery's TIMESTAMP comes back as an aware UTC datetime; the oracles' are naive UTC
        have = have.astimezone(UTC).replace(tzinfo=None)
    return bool(have == want)


def _diff(
    got: list[Row], expected: list[Row], key: tuple[str, ...], tolerance: Decimal | None = None
) -> list[str]:
    """Human-readable differences between two row lists keyed on `key` (empty = equal);
    `tolerance`: how far a decimal may be from the expected one (an emulator's known gap)."""
    got_by = {tuple(r[k] for k in key): r for r in got}
    exp_by = {tuple(r[k] for k in key): r for r in expected}
    assert len(got_by) == len(got), f"duplicate {key} in the mart"
    problems = [f"missing row {k}" for k in exp_by.keys() - got_by.keys()]
    problems += [f"unexpected row {k}" for k in got_by.keys() - exp_by.keys()]
    for k in exp_by.keys() & got_by.keys():
        for column, want in exp_by[k].items():
            have = got_by[k][column]
            if not _same(have, want, tolerance):
                problems.append(f"{k} {column}: mart {have!r} != expected {want!r}")
    return sorted(problems)


def application_facts(org: Any) -> list[Row]:
    """The columns of the `applications` mart that come straight from each application."""
    return [
        {
            "application_id": a["id"],
            "candidate_id": a["candidate_id"],
            "job_id": None if a["prospect"] else a["job_id"],
            "current_stage_id": a["stage_id"],
            "status": a["status"],
            "is_prospect": a["prospect"],
        }
        for a in org.records("applications")
    ]


def check_marts(
    connection: Any, org: Organisation, version: str, decimal_tolerance: Decimal | None = None
) -> None:
    """Every row of the two reporting marts, plus the current offers and the application fact."""
    by_stage = fetch(connection, "select * from greenhouse_marts.applications_by_stage")
    expected = expected_marts.applications_by_stage(org, version)
    assert expected, "the sandbox organisation has no job stages"
    problems = _diff(by_stage, expected, ("stage_id",), decimal_tolerance)
    assert not problems, "applications_by_stage:\n" + "\n".join(problems[:40])

    acceptance = fetch(connection, "select * from greenhouse_marts.offer_acceptance")
    expected = expected_marts.offer_acceptance(org)
    assert expected, "the sandbox organisation has no offers"
    problems = _diff(acceptance, expected, ("job_id", "cohort_month"), decimal_tolerance)
    assert not problems, "offer_acceptance:\n" + "\n".join(problems[:40])

    offers = fetch(
        connection, "select application_id, offer_id, status from greenhouse_marts.offers"
    )
    current = expected_marts.current_offers(org)
    assert {r["application_id"]: (r["offer_id"], r["status"]) for r in offers} == {
        app: (o["id"], o["status"].lower()) for app, o in current.items()
    }

    applications = fetch(
        connection,
        "select application_id, candidate_id, job_id, current_stage_id, status, is_prospect"
        " from greenhouse_marts.applications",
    )
    assert {r["application_id"]: r for r in applications} == {
        r["application_id"]: r for r in application_facts(org)
    }
    statuses = Counter(r["status"] for r in applications)
    assert statuses["in_process"] and statuses["rejected"] and statuses["hired"], statuses


def check_versions_agree(v3: Any, v1: Any, org: Organisation) -> None:
    """v1 and v3 give identical marts, except applications_reached / reach_rate_from_previous
    where the v3 stage history is richer than v1's order rule (skipped stages)."""
    sql = "select * from greenhouse_marts.offer_acceptance order by job_id, cohort_month"
    assert fetch(v3, sql) == fetch(v1, sql)

    sql = "select * from greenhouse_marts.applications_by_stage order by stage_id"
    rows3, rows1 = fetch(v3, sql), fetch(v1, sql)
    assert [r["stage_id"] for r in rows3] == [r["stage_id"] for r in rows1]
    history = expected_marts.history_vs_order(org)
    reached_differs = set()
    for r3, r1 in zip(rows3, rows1, strict=True):
        same = {k for k in r3 if k not in ("applications_reached", "reach_rate_from_previous")}
        assert {k: r3[k] for k in same} == {k: r1[k] for k in same}, r3["stage_id"]
        # why they differ: v1 counts the applications that skipped the stage, and not the ones
        # that entered it after their current stage
        skipped, beyond = history.get(r3["stage_id"], (0, 0))
        assert r1["applications_reached"] - r3["applications_reached"] == skipped - beyond, r3
        if r1["applications_reached"] != r3["applications_reached"]:
            reached_differs.add(r3["stage_id"])
    assert reached_differs, "the sandbox should contain skipped stages; nothing to compare"
    assert reached_differs == set(expected_marts.reached_differences(org))
    # a rate differs only where its own stage's or the previous stage's reached count differs
    previous_stage: dict[int, int] = {}
    by_job: dict[int, int] = {}
    for r in sorted(rows3, key=lambda r: (r["job_id"], r["stage_order"], r["stage_id"])):
        if r["job_id"] in by_job:
            previous_stage[r["stage_id"]] = by_job[r["job_id"]]
        by_job[r["job_id"]] = r["stage_id"]
    for r3, r1 in zip(rows3, rows1, strict=True):
        if r3["reach_rate_from_previous"] != r1["reach_rate_from_previous"]:
            assert {r3["stage_id"], previous_stage.get(r3["stage_id"])} & reached_differs, r3


def pipeline_marts_expected(org: Organisation, version: str) -> dict[str, tuple[list[Row], tuple]]:
    """Mart name -> (expected rows, key) of the pipeline marts (tests/oracles/pipeline.py)."""
    return {
        "stage_durations": (expected_pipeline.stage_durations(org, version), ("stage_visit_id",)),
        "hiring_velocity": (expected_pipeline.hiring_velocity(org), ("job_id", "hire_month")),
        "openings": (expected_pipeline.openings(org, AS_OF), ("opening_id",)),
        "time_to_fill": (expected_pipeline.time_to_fill(org), ("job_id", "closed_month")),
        "source_effectiveness": (
            expected_pipeline.source_effectiveness(org, version),
            ("source_id", "cohort_month"),
        ),
        "rejections": (expected_pipeline.rejections(org, version), ("application_id",)),
        "stage_pass_through": (
            expected_pass_through.stage_pass_through(org, version),
            ("stage_id",),
        ),
    }


def check_pipeline_marts(
    connection: Any, org: Organisation, version: str, decimal_tolerance: Decimal | None = None
) -> None:
    """Every row of the pipeline marts (a build with GREENHOUSE_AS_OF = conftest.AS_OF)."""
    for name, (expected, key) in pipeline_marts_expected(org, version).items():
        assert expected, f"the sandbox organisation gives no {name} rows"
        got = fetch(connection, f"select * from greenhouse_marts.{name}")
        problems = _diff(got, expected, key, decimal_tolerance)
        assert not problems, f"{name}:\n" + "\n".join(problems[:40])


def mart_expectations(org: Any, version: str) -> dict[str, tuple[list[Row], tuple[str, ...]]]:
    """Mart name -> (expected rows, key), for every mart with an oracle: the reporting,
    pipeline and interview marts, and the application and current-offer facts (their columns
    the oracles compute)."""
    current = expected_marts.current_offers(org)
    return {
        "applications_by_stage": (
            expected_marts.applications_by_stage(org, version),
            ("stage_id",),
        ),
        "offer_acceptance": (expected_marts.offer_acceptance(org), ("job_id", "cohort_month")),
        "offers": (
            [
                {"application_id": app, "offer_id": o["id"], "status": o["status"].lower()}
                for app, o in current.items()
            ],
            ("application_id",),
        ),
        "applications": (application_facts(org), ("application_id",)),
        **pipeline_marts_expected(org, version),
        "interviews": (expected_interviews.interviews(org), ("interview_interviewer_id",)),
        "interviewer_activity": (
            expected_interviews.interviewer_activity(org),
            ("interviewer_user_id", "week_start_date"),
        ),
        "scorecard_recommendations": (
            expected_interviews.scorecard_recommendations(org),
            ("interviewer_user_id", "stage_id"),
        ),
    }


def account_mart_problems(connection: Any, account: str, org: Any, version: str) -> list[str]:
    """Differences between one account's rows (``source_relation``) of every mart with an
    oracle and the oracle's figures for that account's organisation."""
    problems = []
    for mart, (expected, key) in mart_expectations(org, version).items():
        got = fetch(
            connection,
            f"select * from greenhouse_marts.{mart} where source_relation = '{account}'",
        )
        problems += [f"{mart}: {p}" for p in _diff(got, expected, key)]
    return problems
