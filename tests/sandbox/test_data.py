"""The synthetic organisation: v3 record shapes, determinism, the nasty cases it must hold."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from sandbox.data import END_MS, FIRST_ID, Organisation
from sandbox.server import V3_ENDPOINTS
from sandbox.store import iso_to_ms

V3_FIELDS = json.loads((Path(__file__).parent / "data" / "v3_fields.json").read_text())
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
DATE_RE = re.compile(r"^\d{4}-\d\d-\d\d$")
JSON_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "object": dict,
    "array": list,
}


@pytest.fixture(scope="module")
def org() -> Organisation:
    return Organisation(seed=42, candidates=200)


def _type_ok(value, types: list[str]) -> bool:
    if value is None:
        return "null" in types
    if isinstance(value, bool):
        return "boolean" in types
    return any(isinstance(value, JSON_TYPES[t]) for t in types if t != "null")


def _digest(org: Organisation) -> str:
    h = hashlib.sha256()
    for entity in V3_ENDPOINTS:
        for rec in org.records(entity):
            h.update(json.dumps(rec, sort_keys=True).encode())
    return h.hexdigest()


@pytest.mark.parametrize("entity", V3_ENDPOINTS)
def test_records_have_the_exact_v3_fields_and_types(org: Organisation, entity: str) -> None:
    spec = V3_FIELDS[entity]
    records = list(org.records(entity))
    assert records, f"{entity} is empty"
    for rec in records:
        assert set(rec) == set(spec), (entity, set(rec) ^ set(spec))
        for name, value in rec.items():
            s = spec[name]
            assert _type_ok(value, s["types"]), (entity, name, value)
            if value is not None and s.get("format") == "date-time":
                assert TS_RE.match(value), (entity, name, value)
                assert iso_to_ms(value) <= END_MS, (entity, name, value)
            if value is not None and s.get("format") == "date":
                assert DATE_RE.match(value), (entity, name, value)
            if value is not None and "enum" in s:
                assert value in s["enum"], (entity, name, value)


@pytest.mark.parametrize("entity", V3_ENDPOINTS)
def test_ids_ascend_are_unique_and_counts_match(org: Organisation, entity: str) -> None:
    ids = [r["id"] for r in org.records(entity)]
    assert ids == sorted(set(ids))
    assert org.count(entity) == len(ids)


def test_same_seed_same_data_other_seed_other_data() -> None:
    a, b = Organisation(seed=7, candidates=60), Organisation(seed=7, candidates=60)
    c = Organisation(seed=8, candidates=60)
    assert _digest(a) == _digest(b)
    assert _digest(a) != _digest(c)


def test_foreign_keys_resolve(org: Organisation) -> None:
    ids = {e: {r["id"] for r in org.records(e)} for e in V3_ENDPOINTS}
    checks = [
        ("applications", "candidate_id", "candidates"),
        ("applications", "job_id", "jobs"),
        ("applications", "stage_id", "job_interview_stages"),
        ("applications", "source_id", "sources"),
        ("applications", "recruiter_id", "users"),
        ("applications", "job_post_id", "job_posts"),
        ("application_stages", "application_id", "applications"),
        ("application_stages", "job_interview_stage_id", "job_interview_stages"),
        ("offers", "application_id", "applications"),
        ("offers", "opening_id", "openings"),
        ("offers", "candidate_id", "candidates"),
        ("offers", "job_id", "jobs"),
        ("job_interview_stages", "job_id", "jobs"),
        ("job_posts", "job_id", "jobs"),
        ("openings", "job_id", "jobs"),
        ("openings", "application_id", "applications"),
        ("openings", "close_reason_id", "close_reasons"),
        ("jobs", "department_id", "departments"),
        ("departments", "parent_id", "departments"),
        ("offices", "parent_id", "offices"),
        ("interviews", "application_id", "applications"),
        ("interviews", "job_id", "jobs"),
        ("scorecards", "application_id", "applications"),
        ("scorecards", "interviewer_id", "users"),
        ("eeoc", "application_id", "applications"),
        ("eeoc", "candidate_id", "candidates"),
        ("custom_field_options", "custom_field_id", "custom_fields"),
    ]
    for entity, column, target in checks:
        for rec in org.records(entity):
            if rec[column] is not None:
                assert rec[column] in ids[target], (entity, column, rec[column])


def test_stage_history_rows(org: Organisation) -> None:
    """One row per (application, stage of its job); exactly one current row = the app's stage."""
    stages = {s["id"]: s for s in org.records("job_interview_stages")}
    stages_of_job = defaultdict(set)
    for s in stages.values():
        stages_of_job[s["job_id"]].add(s["id"])
    rows = defaultdict(list)
    for r in org.records("application_stages"):
        rows[r["application_id"]].append(r)
    skipped = 0
    for app in org.records("applications"):
        mine = rows.get(app["id"], [])
        if app["prospect"]:
            assert mine == [] and app["stage_id"] is None
            continue
        assert {r["job_interview_stage_id"] for r in mine} == stages_of_job[app["job_id"]]
        current = [r for r in mine if r["current"]]
        assert len(current) == 1
        assert current[0]["job_interview_stage_id"] == app["stage_id"]
        assert current[0]["exited_at"] is None and current[0]["entered_at"] is not None
        assert stages[app["stage_id"]]["active"]
        entered = sorted(
            (stages[r["job_interview_stage_id"]]["sort_order"], r)
            for r in mine
            if r["entered_at"] is not None
        )
        for (_, a), (_, b) in zip(entered, entered[1:], strict=False):
            assert a["exited_at"] == b["entered_at"]
        for r in mine:
            if r["entered_at"] is None:
                assert r["exited_at"] is None and r["days_in_stage"] == 0
        cur_order = stages[app["stage_id"]]["sort_order"]
        if sum(1 for o, _ in entered if o <= cur_order) < cur_order + 1:
            skipped += 1
    assert skipped > 0, "no application skips a stage"


def test_the_nasty_cases_exist(org: Organisation) -> None:
    apps = list(org.records("applications"))
    statuses = Counter(a["status"] for a in apps)
    assert set(statuses) == {"in_process", "rejected", "hired", "converted"}
    prospects = [a for a in apps if a["prospect"]]
    assert any(not a["prospective_job_ids"] for a in prospects)
    assert any(len(a["prospective_job_ids"]) >= 2 for a in prospects)
    assert all(a["job_id"] is None for a in prospects)
    jobs = list(org.records("jobs"))
    assert any(j["department_id"] is None for j in jobs)
    assert any(len(j["office_ids"] or []) >= 2 for j in jobs)
    assert {j["status"] for j in jobs} == {"open", "closed", "draft"}
    assert any(not s["active"] for s in org.records("job_interview_stages"))
    assert any(not p["active"] for p in org.records("job_posts"))
    depts = {d["id"]: d for d in org.records("departments")}
    depth = max(_depth(depts, d) for d in depts)
    assert depth >= 3
    offers = list(org.records("offers"))
    assert {o["status"] for o in offers} == {"Created", "Accepted", "Rejected", "Deprecated"}
    assert any(o["sent_on"] is None and o["status"] == "Created" for o in offers)
    per_app = Counter(o["application_id"] for o in offers)
    assert set(per_app.values()) >= {1, 2}
    latest: dict[int, int] = {}
    for o in offers:
        latest[o["application_id"]] = max(latest.get(o["application_id"], 0), o["version"])
    for o in offers:  # only the latest version of an application's offer is not Deprecated
        assert (o["status"] == "Deprecated") == (o["version"] < latest[o["application_id"]])
    names = [c["first_name"] + (c["last_name"] or "") for c in org.records("candidates")]
    assert any(not n.isascii() for n in names)
    assert any(c["last_name"] is None for c in org.records("candidates")) or len(names) < 100


def _depth(depts: dict, dept_id: int) -> int:
    depth = 1
    while depts[dept_id]["parent_id"] is not None:
        dept_id = depts[dept_id]["parent_id"]
        depth += 1
    return depth


def test_custom_fields_cover_every_value_type(org: Organisation) -> None:
    seen: set[str] = set()
    for entity in ("candidates", "applications", "jobs", "offers", "openings"):
        for rec in org.records(entity):
            for key, cf in (rec["custom_fields"] or {}).items():
                assert set(cf) == {"name", "type", "value"}, key
                v = cf["value"]
                if v is None:
                    continue
                if isinstance(v, bool):
                    seen.add("bool")
                elif isinstance(v, (int, float)):
                    seen.add("number")
                elif isinstance(v, str):
                    seen.add("string")
                elif isinstance(v, list):
                    assert all(isinstance(x, str) for x in v)
                    seen.add("list")
                elif set(v) == {"min_value", "max_value", "unit"}:
                    seen.add("range")
                elif set(v) == {"value", "currency"}:
                    seen.add("currency")
                elif {"id", "name", "email"} <= set(v):
                    seen.add("user")
    assert seen == {"bool", "number", "string", "list", "range", "currency", "user"}


def test_application_and_candidate_timestamps_are_consistent(org: Organisation) -> None:
    apps_of = defaultdict(list)
    for a in org.records("applications"):
        assert iso_to_ms(a["created_at"]) <= iso_to_ms(a["last_activity_at"])
        assert iso_to_ms(a["last_activity_at"]) <= iso_to_ms(a["updated_at"])
        if a["status"] == "rejected":
            assert a["rejected_at"] is not None
        apps_of[a["candidate_id"]].append(a)
    for c in org.records("candidates"):
        assert c["last_activity_at"] == max(a["last_activity_at"] for a in apps_of[c["id"]])
    assert FIRST_ID["candidates"] in apps_of


def test_unknown_entity_is_a_clear_error(org: Organisation) -> None:
    with pytest.raises(KeyError, match="unknown entity 'nope'"):
        org.count("nope")


def test_demographic_answers(org: Organisation) -> None:
    questions = {q["id"]: q for q in org.records("demographic_questions")}
    options = {o["id"]: o for o in org.records("demographic_answer_options")}
    assert any(not q["active"] for q in questions.values())
    per_app: dict[int, list[dict]] = defaultdict(list)
    for a in org.records("demographic_answers"):
        per_app[a["application_id"]].append(a)
    assert per_app, "nobody answered"
    prospects = {a["id"] for a in org.records("applications") if a["prospect"]}
    assert not prospects & set(per_app)
    multi_answers = 0
    for answers in per_app.values():
        by_q = Counter(a["demographic_question_id"] for a in answers)
        assert set(by_q) == {q for q, v in questions.items() if v["active"]}
        for a in answers:
            opt = options[a["demographic_answer_option_id"]]
            assert opt["demographic_question_id"] == a["demographic_question_id"]
            assert (a["free_form_text"] is not None) == opt["free_form"]
        for q, n in by_q.items():
            if n > 1:
                assert questions[q]["answer_type"] == "multi_value_multi_select"
                chosen = [
                    a["demographic_answer_option_id"]
                    for a in answers
                    if a["demographic_question_id"] == q
                ]
                assert len(set(chosen)) == n
                multi_answers += 1
    assert multi_answers > 0
