"""Deletions through the admin API: gone from v3 and v1 lists and from the canonical records,
cascading from a candidate to their applications and what hangs off them; nothing else moves."""

from __future__ import annotations

import json

import requests

from sandbox.data import Organisation
from sandbox.data.deletion import APPLICATION_CHILDREN
from tests.fixtures.sandbox import SandboxHandle
from tests.sandbox.helpers import TIMEOUT, v1_all, v3_all


def _snapshot(org: Organisation, entity: str) -> dict[int, str]:
    return {r["id"]: json.dumps(r, sort_keys=True) for r in org.records(entity)}


def test_deleting_a_candidate_over_http_cascades_and_changes_nothing_else(
    sandbox: SandboxHandle,
) -> None:
    org = sandbox.org
    entities = ("candidates", "applications", "jobs", "openings", *APPLICATION_CHILDREN)
    before = {e: _snapshot(org, e) for e in entities}
    candidate = next(c for c in org.records("candidates") if org.applications_of_candidate(c["id"]))
    apps = set(org.applications_of_candidate(candidate["id"]))
    hanging = {
        e: {i for i, r in before[e].items() if json.loads(r).get("application_id") in apps}
        for e in APPLICATION_CHILDREN
        if e != "interviewers"
    }
    hanging["interviewers"] = {  # an interviewer row belongs to its interview
        i
        for i, r in before["interviewers"].items()
        if json.loads(r)["interview_id"] in hanging["interviews"]
    }

    response = requests.post(
        f"{sandbox.base_url}/_admin/delete",
        json={"entity": "candidates", "ids": [candidate["id"], 1]},  # 1 does not exist
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text
    deleted = {e: set(ids) for e, ids in response.json()["deleted"].items()}
    assert deleted == {
        "candidates": {candidate["id"]},
        "applications": apps,
        **{e: ids for e, ids in hanging.items() if ids},
    }
    for e in entities:
        gone = deleted.get(e, set())
        after = _snapshot(org, e)
        assert after == {i: r for i, r in before[e].items() if i not in gone}, e
        assert org.count(e) == len(after)

    v3_ids = {r["id"] for r in v3_all(sandbox, "candidates", per_page=7)[0]}
    v1_ids = {r["id"] for r in v1_all(sandbox, "candidates", per_page=7)[0]}
    assert v3_ids == v1_ids == set(before["candidates"]) - {candidate["id"]}
    v1_apps = {r["id"] for r in v1_all(sandbox, "applications", per_page=50)[0]}
    assert v1_apps == set(before["applications"]) - apps


def test_openings_offers_and_job_posts_are_deleted_alone(sandbox: SandboxHandle) -> None:
    org = sandbox.org
    for entity in ("openings", "offers", "job_posts"):
        first = next(iter(org.records(entity)))["id"]
        assert sandbox.server.delete(entity, [first]) == {entity: [first]}
        assert first not in {r["id"] for r in v3_all(sandbox, entity)[0]}
        assert sandbox.server.delete(entity, [first]) == {}  # deleted before: nothing to do
    job = next(iter(org.records("jobs")))
    v1_job = next(j for j in v1_all(sandbox, "jobs")[0] if j["id"] == job["id"])
    assert {o["id"] for o in v1_job["openings"]} == {
        o["id"] for o in org.records("openings") if o["job_id"] == job["id"]
    }


def test_only_deletable_entities_are_accepted(sandbox: SandboxHandle) -> None:
    response = requests.post(
        f"{sandbox.base_url}/_admin/delete", json={"entity": "jobs", "ids": [1]}, timeout=TIMEOUT
    )
    assert response.status_code == 400
    assert "deletable: candidates, applications, openings, offers, job_posts" in response.text


def test_advance_after_deletions_leaves_deleted_records_alone() -> None:
    org = Organisation(seed=5, candidates=80)
    gone = org.delete("candidates", [r["id"] for r in org.records("candidates")][::4])
    org.advance(0.2)
    for entity, ids in gone.items():
        assert not set(ids) & {r["id"] for r in org.records(entity)}, entity
