"""v3 contract: OAuth token, Bearer auth, cursor pagination rules, filters."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
import requests

from sandbox.server import V3_ENDPOINTS
from sandbox.store import iso_to_ms
from tests.fixtures.sandbox import SandboxHandle
from tests.sandbox.helpers import TIMEOUT, bearer, v3_all, v3_get


def _token(sb: SandboxHandle, user: str, password: str, **form: str) -> requests.Response:
    data = {"grant_type": "client_credentials"} | form
    return requests.post(sb.auth_url, auth=(user, password), data=data, timeout=TIMEOUT)


def test_token_endpoint(sandbox: SandboxHandle) -> None:
    r = _token(sandbox, sandbox.client_id, sandbox.client_secret, sub="100001")
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["access_token"]
    assert _token(sandbox, sandbox.client_id, "wrong").status_code == 401
    assert _token(sandbox, "someone", sandbox.client_secret).status_code == 401
    assert (
        _token(sandbox, sandbox.client_id, sandbox.client_secret, grant_type="password").status_code
        == 400
    )
    assert (
        requests.post(
            sandbox.auth_url, data={"grant_type": "client_credentials"}, timeout=TIMEOUT
        ).status_code
        == 401
    )


def test_bearer_auth_failures(sandbox: SandboxHandle) -> None:
    url = f"{sandbox.base_url}/v3/candidates"
    assert requests.get(url, timeout=TIMEOUT).status_code == 401
    assert (
        requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=TIMEOUT).status_code
        == 401
    )
    basic = requests.get(url, auth=(sandbox.api_token, ""), timeout=TIMEOUT)
    assert basic.status_code == 401


def test_expired_token_gets_401_and_a_new_token_works(sandbox_factory) -> None:
    sb = sandbox_factory(candidates=20)
    headers = bearer(sb)
    assert v3_get(sb, "jobs", headers=headers).status_code == 200
    assert sb.expire_tokens() >= 1
    assert v3_get(sb, "jobs", headers=headers).status_code == 401
    assert v3_get(sb, "jobs", headers=bearer(sb)).status_code == 200
    # the admin endpoint does the same
    headers = bearer(sb)
    assert requests.post(f"{sb.base_url}/_admin/expire-tokens", timeout=TIMEOUT).json() == {
        "expired": 2
    }
    assert v3_get(sb, "jobs", headers=headers).status_code == 401


def test_short_token_lifetime_is_honoured(sandbox_factory) -> None:
    sb = sandbox_factory(candidates=10, token_lifetime=1)
    r = _token(sb, sb.client_id, sb.client_secret)
    assert r.json()["expires_in"] == 1


@pytest.mark.parametrize("entity", V3_ENDPOINTS)
def test_full_walk_returns_every_record_id_descending(sandbox: SandboxHandle, entity: str) -> None:
    records, pages = v3_all(sandbox, entity, per_page=40)
    ids = [r["id"] for r in records]
    expected = [r["id"] for r in sandbox.org.records(entity)]
    assert ids == sorted(expected, reverse=True)
    assert pages == max(1, -(-len(expected) // 40))
    assert records == sorted(sandbox.org.records(entity), key=lambda r: -r["id"])


def test_cursor_rules(sandbox: SandboxHandle) -> None:
    headers = bearer(sandbox)
    first = v3_get(sandbox, "applications", headers=headers, per_page=10)
    assert first.status_code == 200 and len(first.json()) == 10
    link = first.links["next"]["url"]
    assert set(urlparse(link).query.split("=")[0:1]) == {"cursor"}
    # anything besides the cursor -> 422 with the documented body
    mixed = requests.get(link + "&per_page=10", headers=headers, timeout=TIMEOUT)
    assert mixed.status_code == 422
    body = mixed.json()
    assert body["message"] == "Validation error"
    assert body["errors"][0]["field"] == "cursor" and body["errors"][0]["message"]
    mixed = requests.get(
        link + "&updated_at=gte|2024-01-01T00:00:00Z", headers=headers, timeout=TIMEOUT
    )
    assert mixed.status_code == 422
    bad = requests.get(
        f"{sandbox.base_url}/v3/applications?cursor=garbage", headers=headers, timeout=TIMEOUT
    )
    assert bad.status_code == 422
    # a cursor of one endpoint is not valid on another
    cursor = link.split("cursor=")[1]
    other = requests.get(
        f"{sandbox.base_url}/v3/candidates?cursor={cursor}", headers=headers, timeout=TIMEOUT
    )
    assert other.status_code == 422
    # following the link exactly works and continues below the first page
    nxt = requests.get(link, headers=headers, timeout=TIMEOUT)
    assert nxt.status_code == 200
    assert max(r["id"] for r in nxt.json()) < min(r["id"] for r in first.json())


@pytest.mark.parametrize("per_page", ["0", "501", "-1", "ten", ""])
def test_bad_per_page_is_422(sandbox: SandboxHandle, per_page: str) -> None:
    r = v3_get(sandbox, "candidates", per_page=per_page)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "per_page"


def test_page_size_default_and_last_page_has_no_link(sandbox: SandboxHandle) -> None:
    r = v3_get(sandbox, "candidates")
    assert len(r.json()) == 100 and "next" in r.links
    r = v3_get(sandbox, "candidates", per_page=500)
    assert len(r.json()) == 200 and "Link" not in r.headers
    r = v3_get(sandbox, "sources", per_page=5)
    assert "prev" not in r.links and "last" not in r.links


def _expected(sb: SandboxHandle, entity: str, field: str, pred) -> list[int]:
    return sorted(
        (r["id"] for r in sb.org.records(entity) if pred(iso_to_ms(r[field]))), reverse=True
    )


@pytest.mark.parametrize(
    "entity", ["candidates", "applications", "application_stages", "offers", "jobs", "scorecards"]
)
def test_time_filters(sandbox: SandboxHandle, entity: str) -> None:
    stamps = sorted(iso_to_ms(r["updated_at"]) for r in sandbox.org.records(entity))
    lo, hi = stamps[len(stamps) // 4], stamps[3 * len(stamps) // 4]
    lo_s = next(
        r["updated_at"] for r in sandbox.org.records(entity) if iso_to_ms(r["updated_at"]) == lo
    )
    hi_s = next(
        r["updated_at"] for r in sandbox.org.records(entity) if iso_to_ms(r["updated_at"]) == hi
    )
    cases = {
        f"gte|{lo_s}": lambda t: t >= lo,
        f"gt|{lo_s}": lambda t: t > lo,
        f"lte|{hi_s}": lambda t: t <= hi,
        f"lt|{hi_s}": lambda t: t < hi,
        f"gte|{lo_s}|lte|{hi_s}": lambda t: lo <= t <= hi,
        f"gt|{lo_s}|lt|{hi_s}": lambda t: lo < t < hi,
    }
    for value, pred in cases.items():
        got = [r["id"] for r in v3_all(sandbox, entity, per_page=50, updated_at=value)[0]]
        assert got == _expected(sandbox, entity, "updated_at", pred), value
    created = sorted(iso_to_ms(r["created_at"]) for r in sandbox.org.records(entity))
    mid = created[len(created) // 2]
    mid_s = next(
        r["created_at"] for r in sandbox.org.records(entity) if iso_to_ms(r["created_at"]) == mid
    )
    got = [r["id"] for r in v3_all(sandbox, entity, per_page=50, created_at=f"lt|{mid_s}")[0]]
    assert got == _expected(sandbox, entity, "created_at", lambda t: t < mid)


def test_time_filter_accepts_other_iso_spellings(sandbox: SandboxHandle) -> None:
    a = [r["id"] for r in v3_all(sandbox, "candidates", updated_at="gte|2025-01-01T00:00:00Z")[0]]
    b = [
        r["id"]
        for r in v3_all(sandbox, "candidates", updated_at="gte|2025-01-01T01:00:00.000+01:00")[0]
    ]
    assert a == b and a


@pytest.mark.parametrize(
    "params",
    [
        {"updated_at": "gte|2025-01-01T00:00:00Z", "created_at": "gte|2025-01-01T00:00:00Z"},
        {"updated_at": "since|2025-01-01T00:00:00Z"},
        {"updated_at": "gte|yesterday"},
        {"updated_at": "gte|2025-01-01T00:00:00Z|gte|2025-02-01T00:00:00Z"},
        {"updated_at": "2025-01-01"},
        {"ids": "1,x"},
        {"page": "2"},
        {"status": "active"},
    ],
)
def test_invalid_filters_are_422(sandbox: SandboxHandle, params: dict) -> None:
    r = v3_get(sandbox, "applications", **params)
    assert r.status_code == 422, params
    assert r.json()["message"] == "Validation error"


def test_ids_parent_and_status_filters(sandbox: SandboxHandle) -> None:
    org = sandbox.org
    apps = list(org.records("applications"))
    some = [a["id"] for a in apps[::17]]
    got = {r["id"] for r in v3_all(sandbox, "applications", ids=",".join(map(str, some)))[0]}
    assert got == set(some)
    job_id = apps[0]["job_id"]
    got = {r["id"] for r in v3_all(sandbox, "applications", job_ids=str(job_id))[0]}
    assert got == {a["id"] for a in apps if a["job_id"] == job_id}
    cand = apps[-1]["candidate_id"]
    got = {r["id"] for r in v3_all(sandbox, "applications", candidate_ids=cand)[0]}
    assert got == {a["id"] for a in apps if a["candidate_id"] == cand}
    picked = some[:3]
    got = {
        r["id"]
        for r in v3_all(sandbox, "application_stages", application_ids=",".join(map(str, picked)))[
            0
        ]
    }
    assert got == {
        r["id"] for r in org.records("application_stages") if r["application_id"] in picked
    }
    got = {r["id"] for r in v3_all(sandbox, "applications", status="hired")[0]}
    assert got == {a["id"] for a in apps if a["status"] == "hired"} and got
    got = {r["id"] for r in v3_all(sandbox, "offers", status="Deprecated")[0]}
    assert got == {o["id"] for o in org.records("offers") if o["status"] == "Deprecated"} and got
    got = {r["id"] for r in v3_all(sandbox, "job_interview_stages", active="false")[0]}
    assert got == {s["id"] for s in org.records("job_interview_stages") if not s["active"]}


def test_filters_survive_the_cursor(sandbox: SandboxHandle) -> None:
    records, pages = v3_all(
        sandbox, "application_stages", per_page=7, updated_at="gte|2025-06-01T00:00:00Z"
    )
    want = _expected(
        sandbox,
        "application_stages",
        "updated_at",
        lambda t: t >= iso_to_ms("2025-06-01T00:00:00Z"),
    )
    assert [r["id"] for r in records] == want
    assert pages > 1


def test_unknown_endpoint_is_404(sandbox: SandboxHandle) -> None:
    assert v3_get(sandbox, "not_an_endpoint").status_code == 404
