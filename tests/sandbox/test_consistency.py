"""v1 and v3 describe the same organisation; expected.py agrees with what is served."""

from __future__ import annotations

from collections import defaultdict

import pytest

from sandbox.v1 import APP_STATUS_V1, OFFER_STATUS_V1, V1_ENDPOINTS
from tests.fixtures.sandbox import SandboxHandle
from tests.oracles.landing import expected_count, expected_ids, expected_tables
from tests.sandbox.helpers import v1_all, v3_all


def _by_id(records: list[dict], key: str = "id") -> dict[int, dict]:
    return {r[key]: r for r in records}


def test_applications_agree(sandbox: SandboxHandle) -> None:
    v1 = _by_id(v1_all(sandbox, "applications", per_page=500)[0])
    v3 = _by_id(v3_all(sandbox, "applications", per_page=500)[0])
    assert v1.keys() == v3.keys()
    for i, a3 in v3.items():
        a1 = v1[i]
        assert a1["status"] == APP_STATUS_V1[a3["status"]]
        assert a1["candidate_id"] == a3["candidate_id"]
        assert a1["applied_at"] == a3["created_at"]
        assert a1["last_activity_at"] == a3["last_activity_at"]
        assert a1["rejected_at"] == a3["rejected_at"]
        assert a1["prospect"] == a3["prospect"]
        jobs = [j["id"] for j in a1["jobs"]]
        assert jobs == ([a3["job_id"]] if a3["job_id"] else a3["prospective_job_ids"])
        assert (a1["current_stage"] or {}).get("id") == a3["stage_id"]
        assert (a1["source"] or {}).get("id") == a3["source_id"]
        assert (a1["recruiter"] or {}).get("id") == a3["recruiter_id"]
        assert a1["keyed_custom_fields"] == a3["custom_fields"]


def test_candidates_agree(sandbox: SandboxHandle) -> None:
    v1 = _by_id(v1_all(sandbox, "candidates", per_page=500)[0])
    v3 = _by_id(v3_all(sandbox, "candidates", per_page=500)[0])
    assert v1.keys() == v3.keys()
    apps_of = defaultdict(list)
    for a in sandbox.org.records("applications"):
        apps_of[a["candidate_id"]].append(a["id"])
    for i, c3 in v3.items():
        c1 = v1[i]
        for f in (
            "first_name",
            "last_name",
            "company",
            "title",
            "created_at",
            "updated_at",
            "tags",
            "email_addresses",
            "phone_numbers",
            "can_email",
        ):
            assert c1[f] == c3[f], f
        assert c1["last_activity"] == c3["last_activity_at"]
        assert c1["application_ids"] == apps_of[i]
        assert [a["id"] for a in c1["applications"]] == apps_of[i]


def test_offers_jobs_stages_agree(sandbox: SandboxHandle) -> None:
    o1 = _by_id(v1_all(sandbox, "offers", per_page=500)[0])
    o3 = _by_id(v3_all(sandbox, "offers", per_page=500)[0])
    assert o1.keys() == o3.keys()
    for i, o in o3.items():
        assert o1[i]["status"] == OFFER_STATUS_V1[o["status"]]
        assert o1[i]["sent_at"] == o["sent_on"] and o1[i]["starts_at"] == o["starts_on"]
        assert o1[i]["resolved_at"] == o["resolved_at"] and o1[i]["version"] == o["version"]
        assert (o1[i]["opening"] or {}).get("id") == o["opening_id"]
    j1 = _by_id(v1_all(sandbox, "jobs")[0])
    j3 = _by_id(v3_all(sandbox, "jobs")[0])
    assert j1.keys() == j3.keys()
    for i, j in j3.items():
        assert [d["id"] for d in j1[i]["departments"]] == (
            [j["department_id"]] if j["department_id"] else []
        )
        assert [o["id"] for o in j1[i]["offices"]] == (j["office_ids"] or [])
        assert j1[i]["status"] == j["status"] and j1[i]["name"] == j["name"]
    s1 = _by_id(v1_all(sandbox, "job_stages", per_page=500)[0])
    s3 = _by_id(v3_all(sandbox, "job_interview_stages", per_page=500)[0])
    assert s1.keys() == s3.keys()
    for i, s in s3.items():
        assert (s1[i]["priority"], s1[i]["active"], s1[i]["job_id"], s1[i]["name"]) == (
            s["sort_order"],
            s["active"],
            s["job_id"],
            s["name"],
        )


def test_departments_tree_agrees(sandbox: SandboxHandle) -> None:
    d1 = _by_id(v1_all(sandbox, "departments")[0])
    d3 = _by_id(v3_all(sandbox, "departments")[0])
    assert d1.keys() == d3.keys()
    for i, d in d3.items():
        assert d1[i]["parent_id"] == d["parent_id"]
        assert d1[i]["child_ids"] == sorted(k for k, x in d3.items() if x["parent_id"] == i)


@pytest.mark.parametrize("endpoint", list(V1_ENDPOINTS))
def test_both_versions_serve_the_same_ids(sandbox: SandboxHandle, endpoint: str) -> None:
    entity = V1_ENDPOINTS[endpoint]
    key = "application_id" if endpoint == "eeoc" else "id"
    v1 = {r[key] for r in v1_all(sandbox, endpoint, per_page=500)[0]}
    v3 = {r[key] for r in v3_all(sandbox, entity, per_page=500)[0]}
    assert v1 == v3
    assert v1 == expected_ids(sandbox.org, endpoint, "v1")
    assert len(v1) == expected_count(sandbox.org, endpoint, "v1")


def test_expected_tables_counts_child_rows(sandbox: SandboxHandle) -> None:
    tables = expected_tables(sandbox.org, "v1", ["applications", "jobs"])
    apps = v1_all(sandbox, "applications", per_page=500)[0]
    assert tables["applications"] == len(apps)
    assert tables["applications__jobs"] == sum(len(a["jobs"]) for a in apps)
    assert tables["applications__answers"] == sum(len(a["answers"]) for a in apps)
    jobs = v1_all(sandbox, "jobs")[0]
    assert tables["jobs__openings"] == sum(len(j["openings"]) for j in jobs)
    assert tables["jobs__hiring_team__recruiters"] == sum(
        len(j["hiring_team"]["recruiters"]) for j in jobs
    )
    assert not any("custom_fields" in t for t in tables)
    v3 = expected_tables(sandbox.org, "v3", ["jobs", "application_stages"])
    assert v3["application_stages"] == sandbox.org.count("application_stages")
    assert v3["jobs__office_ids"] == sum(
        len(j["office_ids"] or []) for j in sandbox.org.records("jobs")
    )


def test_expected_rejects_unknown_names(sandbox: SandboxHandle) -> None:
    with pytest.raises(ValueError, match="unknown v1 endpoint"):
        expected_count(sandbox.org, "application_stages", "v1")
    with pytest.raises(ValueError, match="unknown API version"):
        expected_count(sandbox.org, "jobs", "v2")


def test_interviews_point_at_their_scorecards(sandbox: SandboxHandle) -> None:
    interviews = v1_all(sandbox, "scheduled_interviews", per_page=500)[0]
    cards = _by_id(v3_all(sandbox, "scorecards", per_page=500)[0])
    panel = v3_all(sandbox, "interviewers", per_page=500)[0]
    members = [(iv, m) for iv in interviews for m in iv["interviewers"]]
    assert all(1 <= len(iv["interviewers"]) <= 4 for iv in interviews)
    assert len(members) == len(panel)
    linked = [m["scorecard_id"] for _, m in members if m["scorecard_id"]]
    assert sorted(linked) == sorted(cards)
    assert sorted(linked) == sorted(p["scorecard_id"] for p in panel if p["scorecard_id"])
    for iv, m in members:
        if iv["status"] == "complete":  # every scorecard in
            assert m["scorecard_id"] in cards
        if iv["status"] in ("scheduled", "skipped"):
            assert m["scorecard_id"] is None
        if m["scorecard_id"]:
            card = cards[m["scorecard_id"]]
            assert card["application_id"] == iv["application_id"]
            assert card["interviewer_id"] == m["id"]
    assert {iv["status"] for iv in interviews} >= {"complete", "awaiting_feedback", "skipped"}


def test_hiring_managers_are_the_v1_hiring_team(sandbox: SandboxHandle) -> None:
    jobs = v1_all(sandbox, "jobs", per_page=500)[0]
    managers = v3_all(sandbox, "job_hiring_managers", per_page=500)[0]
    v1 = {(m["id"], j["id"]) for j in jobs for m in j["hiring_team"]["hiring_managers"]}
    assert v1 == {(m["user_id"], m["job_id"]) for m in managers}
