"""v1 contract: Basic auth, page/per_page + Link headers, filters, payload shapes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import requests

from sandbox.store import iso_to_ms
from sandbox.v1 import V1_ENDPOINTS
from tests.fixtures.sandbox import SandboxHandle
from tests.sandbox.helpers import TIMEOUT, v1_all, v1_get

V1_KEYS = json.loads((Path(__file__).parent / "data" / "v1_example_keys.json").read_text())


def test_basic_auth(sandbox: SandboxHandle) -> None:
    url = f"{sandbox.base_url}/v1/candidates"
    assert requests.get(url, auth=(sandbox.api_token, ""), timeout=TIMEOUT).status_code == 200
    assert requests.get(url, timeout=TIMEOUT).status_code == 401
    assert requests.get(url, auth=("wrong", ""), timeout=TIMEOUT).status_code == 401
    assert requests.get(url, auth=(sandbox.api_token, "x"), timeout=TIMEOUT).status_code == 401
    bearer = {"Authorization": f"Bearer {sandbox.token()}"}
    assert requests.get(url, headers=bearer, timeout=TIMEOUT).status_code == 401
    garbage = {"Authorization": "Basic !!!not-base64"}
    assert requests.get(url, headers=garbage, timeout=TIMEOUT).status_code == 401


def test_custom_credentials_from_settings(sandbox_factory) -> None:
    sb = sandbox_factory(candidates=5, api_token="t0k3n", client_id="me", client_secret="s3")
    assert v1_get(sb, "jobs").status_code == 200
    assert sb.env("v1")["GREENHOUSE_API_TOKEN"] == "t0k3n"
    assert sb.env("v3")["GREENHOUSE_CLIENT_SECRET"] == "s3"
    assert sb.token()


def _page(url: str) -> int:
    match = re.search(r"[?&]page=(\d+)", url)
    assert match is not None, url
    return int(match.group(1))


def _links(r: requests.Response) -> dict[str, int]:
    return {rel: _page(v["url"]) for rel, v in r.links.items()}


def test_link_header_next_prev_last(sandbox: SandboxHandle) -> None:
    total = sandbox.org.count("candidates")  # 200
    last = -(-total // 30)
    r = v1_get(sandbox, "candidates", per_page=30)
    assert _links(r) == {"next": 2, "last": last}
    r = v1_get(sandbox, "candidates", per_page=30, page=3)
    assert _links(r) == {"next": 4, "prev": 2, "last": last}
    r = v1_get(sandbox, "candidates", per_page=30, page=last)
    assert _links(r) == {"prev": last - 1, "last": last}
    assert len(r.json()) == total - 30 * (last - 1)
    r = v1_get(sandbox, "candidates", per_page=30, page=3, skip_count="true")
    assert _links(r) == {"next": 4, "prev": 2}
    # links keep the other parameters
    assert "per_page=30" in r.links["next"]["url"] and "skip_count=true" in r.links["next"]["url"]
    # beyond the end: empty page
    r = v1_get(sandbox, "candidates", per_page=30, page=last + 5)
    assert r.status_code == 200 and r.json() == []


@pytest.mark.parametrize("endpoint", ["eeoc", "custom_fields", "openings"])
def test_small_endpoints_link_only_forward(sandbox: SandboxHandle, endpoint: str) -> None:
    r = v1_get(sandbox, endpoint, per_page=5, page=2)
    assert _links(r) == {"next": 3}
    records, pages = v1_all(sandbox, endpoint, per_page=5)
    assert pages == -(-sandbox.org.count(V1_ENDPOINTS[endpoint]) // 5)


def test_single_page_has_no_link_and_default_per_page_is_100(sandbox: SandboxHandle) -> None:
    r = v1_get(sandbox, "sources")
    assert r.status_code == 200 and "Link" not in r.headers
    r = v1_get(sandbox, "candidates")
    assert len(r.json()) == 100


@pytest.mark.parametrize(
    "params", [{"per_page": 0}, {"per_page": 501}, {"page": 0}, {"page": "x"}, {"bogus": 1}]
)
def test_bad_paging_parameters_are_422(sandbox: SandboxHandle, params: dict) -> None:
    r = v1_get(sandbox, "candidates", **params)
    assert r.status_code == 422
    assert r.json()["message"] == "Validation error"


@pytest.mark.parametrize("endpoint", list(V1_ENDPOINTS))
def test_every_endpoint_pages_through_all_records_ascending(
    sandbox: SandboxHandle, endpoint: str
) -> None:
    records, _ = v1_all(sandbox, endpoint, per_page=45)
    entity = V1_ENDPOINTS[endpoint]
    key = "application_id" if endpoint == "eeoc" else "id"
    assert [r[key] for r in records] == [r[key] for r in sandbox.org.records(entity)]


@pytest.mark.parametrize("endpoint", sorted(V1_KEYS))
def test_shapes_have_the_documented_keys(sandbox: SandboxHandle, endpoint: str) -> None:
    records, _ = v1_all(sandbox, endpoint, per_page=500)
    for rec in records:
        assert set(V1_KEYS[endpoint]) <= set(rec), set(V1_KEYS[endpoint]) - set(rec)


def test_application_shape_details(sandbox: SandboxHandle) -> None:
    apps, _ = v1_all(sandbox, "applications", per_page=500)
    assert {a["status"] for a in apps} == {"active", "rejected", "hired", "converted"}
    assert "created_at" not in apps[0] and "updated_at" not in apps[0]
    for a in apps:
        if a["prospect"]:
            assert a["current_stage"] is None
        else:
            assert len(a["jobs"]) == 1 and set(a["current_stage"]) == {"id", "name"}
        if a["status"] == "rejected":
            assert set(a["rejection_reason"]) == {"id", "name", "type"}
        assert set(a["keyed_custom_fields"]) == set(a["custom_fields"])
    prospects = [a for a in apps if a["prospect"]]
    assert {len(a["jobs"]) for a in prospects} >= {0, 2}


def test_offer_shape_details(sandbox: SandboxHandle) -> None:
    offers, _ = v1_all(sandbox, "offers", per_page=500)
    assert {o["status"] for o in offers} == {"unresolved", "accepted", "rejected", "deprecated"}
    for o in offers:
        for f in ("sent_at", "starts_at"):
            assert o[f] is None or re.fullmatch(r"\d{4}-\d\d-\d\d", o[f])
    assert any(o["sent_at"] is None for o in offers if o["status"] == "unresolved")
    assert any(o["opening"] for o in offers if o["status"] == "accepted")


def test_job_shape_details(sandbox: SandboxHandle) -> None:
    jobs, _ = v1_all(sandbox, "jobs")
    assert any(j["departments"] == [] for j in jobs)
    assert any(len(j["offices"]) >= 2 for j in jobs)
    opening_ids = {o["id"] for j in jobs for o in j["openings"]}
    assert opening_ids == {o["id"] for o in sandbox.org.records("openings")}
    job = jobs[0]
    r = v1_get(sandbox, f"jobs/{job['id']}/openings")
    assert [o["id"] for o in r.json()] == [o["id"] for o in job["openings"]]
    stages, _ = v1_all(sandbox, "job_stages", job_id=job["id"])
    assert [s["priority"] for s in stages] == list(range(len(stages)))


def _mid(sb: SandboxHandle, entity: str, field: str) -> tuple[str, int]:
    values = sorted(r[field] for r in sb.org.records(entity))
    value = values[len(values) // 2]
    return value, iso_to_ms(value)


@pytest.mark.parametrize(
    "endpoint",
    [
        "candidates",
        "jobs",
        "offers",
        "job_stages",
        "scheduled_interviews",
        "scorecards",
        "users",
        "job_posts",
    ],
)
def test_created_and_updated_filters(sandbox: SandboxHandle, endpoint: str) -> None:
    entity = V1_ENDPOINTS[endpoint]
    for param, field, pred in (
        ("updated_after", "updated_at", lambda t, m: t >= m),
        ("updated_before", "updated_at", lambda t, m: t < m),
        ("created_after", "created_at", lambda t, m: t >= m),
        ("created_before", "created_at", lambda t, m: t < m),
    ):
        value, ms = _mid(sandbox, entity, field)
        got = [r["id"] for r in v1_all(sandbox, endpoint, per_page=50, **{param: value})[0]]
        want = [r["id"] for r in sandbox.org.records(entity) if pred(iso_to_ms(r[field]), ms)]
        assert got == want, (endpoint, param)


def test_application_filters(sandbox: SandboxHandle) -> None:
    org = sandbox.org
    value, ms = _mid(sandbox, "applications", "last_activity_at")
    got = [r["id"] for r in v1_all(sandbox, "applications", last_activity_after=value)[0]]
    assert got == [
        a["id"] for a in org.records("applications") if iso_to_ms(a["last_activity_at"]) >= ms
    ]
    value, ms = _mid(sandbox, "applications", "created_at")
    got = [r["id"] for r in v1_all(sandbox, "applications", created_after=value)[0]]
    assert got == [a["id"] for a in org.records("applications") if iso_to_ms(a["created_at"]) >= ms]
    r = v1_get(sandbox, "applications", updated_after="2025-01-01T00:00:00Z")
    assert r.status_code == 422 and "last_activity_after" in r.json()["errors"][0]["message"]
    got = [r["id"] for r in v1_all(sandbox, "applications", status="active")[0]]
    assert got == [a["id"] for a in org.records("applications") if a["status"] == "in_process"]
    job_id = next(org.records("jobs"))["id"]
    got = [r["id"] for r in v1_all(sandbox, "applications", job_id=job_id)[0]]
    assert got == [a["id"] for a in org.records("applications") if a["job_id"] == job_id]
    assert v1_get(sandbox, "applications", status="in_process").status_code == 422


def test_status_filters_on_offers_jobs_openings(sandbox: SandboxHandle) -> None:
    org = sandbox.org
    got = [r["id"] for r in v1_all(sandbox, "offers", status="unresolved")[0]]
    assert got == [o["id"] for o in org.records("offers") if o["status"] == "Created"]
    got = [r["id"] for r in v1_all(sandbox, "jobs", status="closed")[0]]
    assert got == [j["id"] for j in org.records("jobs") if j["status"] == "closed"]
    got = [r["id"] for r in v1_all(sandbox, "openings", status="open")[0]]
    assert got == [o["id"] for o in org.records("openings") if o["open"]]


def test_unknown_endpoint_is_404(sandbox: SandboxHandle) -> None:
    assert v1_get(sandbox, "application_stages").status_code == 404
