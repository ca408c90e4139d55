"""Change over time: advance() adds and changes records that incremental clients can find."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import requests

from sandbox.data import Organisation
from sandbox.store import iso_to_ms
from tests.fixtures.sandbox import SandboxHandle
from tests.sandbox.helpers import TIMEOUT, v1_all, v3_all


def _snapshot(org: Organisation, entity: str) -> dict[int, str]:
    return {r["id"]: json.dumps(r, sort_keys=True) for r in org.records(entity)}


def test_advance_adds_and_changes_records(sandbox: SandboxHandle) -> None:
    org = sandbox.org
    entities = ("candidates", "applications", "application_stages", "offers", "jobs")
    before = {e: _snapshot(org, e) for e in entities}
    started = datetime.now(UTC) - timedelta(seconds=1)
    since = started.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    summary = sandbox.advance(0.05)
    assert summary["new_candidates"] == 10 and summary["stage_moves"] > 0
    after = {e: _snapshot(org, e) for e in entities}
    for e in entities:
        changed = {i for i, rec in after[e].items() if before[e].get(i) != rec}
        new = set(after[e]) - set(before[e])
        assert set(before[e]) <= set(after[e]), f"{e}: records disappeared"
        assert not new or min(new) > max(before[e]), f"{e}: new ids must be above old ones"
        # every changed or new record is stamped now, and the v3 incremental window finds them all
        for i in changed:
            assert iso_to_ms(json.loads(after[e][i])["updated_at"]) >= iso_to_ms(since)
        got = {r["id"] for r in v3_all(sandbox, e, per_page=100, updated_at=f"gte|{since}")[0]}
        assert got == changed, e
    assert len(after["candidates"]) == len(before["candidates"]) + 10
    # v1 sees the same changes through its own filters
    got = {r["id"] for r in v1_all(sandbox, "candidates", updated_after=since)[0]}
    assert got == {i for i, r in after["candidates"].items() if before["candidates"].get(i) != r}
    moved = {r["id"] for r in v1_all(sandbox, "applications", last_activity_after=since)[0]}
    assert moved == {
        i for i, r in after["applications"].items() if before["applications"].get(i) != r
    }


def test_stage_history_stays_consistent_after_advances() -> None:
    org = Organisation(seed=3, candidates=120)
    for _ in range(4):
        org.advance(0.1)
    stage_of = {a["id"]: a["stage_id"] for a in org.records("applications")}
    current = defaultdict(list)
    for row in org.records("application_stages"):
        if row["current"]:
            current[row["application_id"]].append(row["job_interview_stage_id"])
    for app_id, stage_id in stage_of.items():
        if stage_id is None:
            assert app_id not in current
        else:
            assert current[app_id] == [stage_id], app_id
    # the latest offer of each application is the only one not Deprecated
    latest: dict[int, int] = {}
    offers = list(org.records("offers"))
    for o in offers:
        latest[o["application_id"]] = max(latest.get(o["application_id"], 0), o["version"])
    for o in offers:
        assert (o["status"] == "Deprecated") == (o["version"] < latest[o["application_id"]])
    hired = {a["id"] for a in org.records("applications") if a["status"] == "hired"}
    accepted = {o["application_id"] for o in offers if o["status"] == "Accepted"}
    assert accepted <= hired


def test_advance_is_seeded() -> None:
    a, b = Organisation(seed=9, candidates=80), Organisation(seed=9, candidates=80)
    sa, sb = a.advance(0.1), b.advance(0.1)
    sa.pop("now"), sb.pop("now")
    assert sa == sb
    strip = (
        "updated_at",
        "last_activity_at",
        "created_at",
        "entered_at",
        "exited_at",
        "rejected_at",
        "resolved_at",
        "sent_on",
        "days_in_stage",
    )
    for entity in ("candidates", "applications", "application_stages", "offers"):
        ra = [{k: v for k, v in r.items() if k not in strip} for r in a.records(entity)]
        rb = [{k: v for k, v in r.items() if k not in strip} for r in b.records(entity)]
        assert ra == rb, entity


def test_advance_over_http(sandbox: SandboxHandle) -> None:
    n = sandbox.org.count("candidates")
    r = requests.post(
        f"{sandbox.base_url}/_admin/advance", data=json.dumps({"fraction": 0.02}), timeout=TIMEOUT
    )
    assert r.status_code == 200 and r.json()["new_candidates"] == 4
    assert sandbox.org.count("candidates") == n + 4
    new_ids = {c["id"] for c in v3_all(sandbox, "candidates", per_page=500)[0]}
    assert len(new_ids) == n + 4
    v1 = v1_all(sandbox, "candidates", per_page=500)[0]
    newest = v1[-1]
    assert newest["application_ids"] and newest["applications"][0]["status"] == "active"
    bad = requests.post(
        f"{sandbox.base_url}/_admin/advance", data='{"fraction": 5}', timeout=TIMEOUT
    )
    assert bad.status_code == 400


def test_concurrent_clients_during_advance(sandbox: SandboxHandle) -> None:
    """Parallel walks while the organisation changes: no errors, no duplicates within a walk."""
    from concurrent.futures import ThreadPoolExecutor

    def walk(entity: str) -> list[int]:
        return [r["id"] for r in v3_all(sandbox, entity, per_page=25)[0]]

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [
            pool.submit(walk, e)
            for e in ("applications", "application_stages", "candidates", "offers") * 2
        ]
        for _ in range(3):
            r = requests.post(
                f"{sandbox.base_url}/_admin/advance", data='{"fraction": 0.05}', timeout=TIMEOUT
            )
            assert r.status_code == 200
        for f in futures:
            ids = f.result()
            assert len(ids) == len(set(ids)) and ids == sorted(ids, reverse=True)
    assert set(sandbox.stats()["by_status"]) == {"200"}


def test_reset_restores_the_initial_organisation(sandbox_factory) -> None:
    sb = sandbox_factory(candidates=40, seed=5)
    before = {e: _snapshot(sb.org, e) for e in ("candidates", "applications", "offers")}
    sb.advance(0.2)
    sb.set_faults(error_every=1)
    assert v1_get_status(sb) == 500
    r = requests.post(f"{sb.base_url}/_admin/reset", timeout=TIMEOUT)
    assert r.status_code == 200 and r.json() == {"seed": 5, "candidates": 40}
    assert {e: _snapshot(sb.org, e) for e in before} == before
    assert sb.stats()["total"] == 0
    assert v1_get_status(sb) == 200
    assert len(v3_all(sb, "candidates", per_page=500)[0]) == 40


def v1_get_status(sb: SandboxHandle) -> int:
    return requests.get(
        f"{sb.base_url}/v1/jobs", auth=(sb.api_token, ""), timeout=TIMEOUT
    ).status_code
