"""Hostile responses the sandbox can serve on request, and the sandbox's own consistency."""

from __future__ import annotations

import json

import pytest
import requests

from sandbox.data import Organisation
from sandbox.server.faults import FUTURE_TIMESTAMP
from tests.extract.conftest import org_ids
from tests.fixtures.sandbox import SandboxHandle
from tests.sandbox.helpers import TIMEOUT, bearer, v1_get, v3_all, v3_get


def test_offers_keep_their_dates_after_advance_whatever_the_cache_holds() -> None:
    """A record is a function of its id and the changes made to it, never of what was read before:
    the stage timeline behind an application's offers is cached, and advance() moves the
    application's last activity. Reading a large second organisation in between (which evicts
    any shared cache) must not change a single offer."""
    org = Organisation(seed=42, candidates=3000)
    org.advance(0.05)
    first = {r["id"]: r for r in org.records("offers")}
    other = Organisation(seed=7, candidates=10000)
    assert sum(1 for _ in other.records("application_stages")) > 8192
    second = {r["id"]: r for r in org.records("offers")}
    changed = sorted(i for i in first if first[i] != second[i])
    assert changed == [], f"{len(changed)} of {len(first)} offers changed between two reads"


def test_bad_and_future_cursor_values_on_the_first_record_of_a_page(
    sandbox: SandboxHandle,
) -> None:
    sandbox.set_faults(bad_cursor=["v3/offers"], future_cursor=["v1/applications"])
    served = v3_get(sandbox, "offers", per_page=5).json()
    own = sorted(org_ids(sandbox.org, "offers"), reverse=True)[:5]
    assert [r["id"] for r in served] == own
    assert served[0]["updated_at"] == "garbage-timestamp"
    assert all(r["updated_at"] == sandbox.org.require("offers", r["id"])["updated_at"]
               for r in served[1:])  # fmt: skip
    assert sandbox.org.require("offers", own[0])["updated_at"] != "garbage-timestamp"
    apps = v1_get(sandbox, "applications", per_page=3).json()
    assert apps[0]["last_activity_at"] == FUTURE_TIMESTAMP
    assert apps[1]["last_activity_at"] != FUTURE_TIMESTAMP
    # other endpoints (and the other version) are untouched
    jobs = v3_get(sandbox, "jobs", per_page=1).json()
    assert jobs[0]["updated_at"] == sandbox.org.require("jobs", jobs[0]["id"])["updated_at"]
    assert v1_get(sandbox, "offers", per_page=1).json()[0]["updated_at"] != "garbage-timestamp"


@pytest.mark.parametrize("kind", ["empty", "html", "object"])
def test_bad_body_is_a_200_that_is_no_json_array(sandbox: SandboxHandle, kind: str) -> None:
    sandbox.set_faults(bad_body=kind, bad_body_endpoints=["departments"])
    r = v3_get(sandbox, "departments")
    assert r.status_code == 200
    if kind == "empty":
        assert r.content == b""
    elif kind == "html":
        assert r.headers["Content-Type"].startswith("text/html")
        assert r.text.startswith("<!DOCTYPE html>")
    else:
        body = r.json()
        assert isinstance(body, dict)
        assert [d["id"] for d in body["data"]] == sorted(
            org_ids(sandbox.org, "departments"), reverse=True
        )
    assert isinstance(v3_get(sandbox, "offices").json(), list)
    assert isinstance(v1_get(sandbox, "offices").json(), list)
    assert sandbox.stats()["faults"] == {"bad_body": 1}


def test_bad_body_every_nth_request(sandbox: SandboxHandle) -> None:
    sandbox.set_faults(bad_body="empty", bad_body_every=3)
    sizes = [len(v1_get(sandbox, "offices").content) for _ in range(6)]
    assert [s == 0 for s in sizes] == [False, False, True, False, False, True]


def test_repeat_next_links_back_to_the_page_just_served(sandbox: SandboxHandle) -> None:
    sandbox.set_faults(repeat_next=["offers", "v1/departments"])
    headers = bearer(sandbox)
    r = v3_get(sandbox, "offers", headers=headers, per_page=10)
    again = requests.get(r.links["next"]["url"], headers=headers, timeout=TIMEOUT)
    assert r.links["next"]["url"] == r.url == again.url
    assert again.json() == r.json()
    # a single-page endpoint gets a next link too
    d = v1_get(sandbox, "departments")
    assert d.links["next"]["url"] == d.url
    assert "next" not in v1_get(sandbox, "offices").links


def test_redirect_to_another_origin(sandbox_factory) -> None:
    other = sandbox_factory(candidates=10)
    sb = sandbox_factory(candidates=10, redirect_to=other.base_url, redirect_endpoints=["jobs"])
    r = requests.get(
        f"{sb.base_url}/v1/jobs?per_page=2",
        auth=(sb.api_token, ""),
        timeout=TIMEOUT,
        allow_redirects=False,
    )
    assert r.status_code == 302
    assert r.headers["Location"] == f"{other.base_url}/v1/jobs?per_page=2"
    assert v1_get(sb, "offices").status_code == 200
    assert other.stats()["total"] == 0
    assert sb.stats()["by_status"] == {"302": 1, "200": 1}


def test_hostile_fault_switches_are_validated(sandbox: SandboxHandle) -> None:
    with pytest.raises(ValueError, match="bad_body"):
        sandbox.set_faults(bad_body="xml")
    with pytest.raises(ValueError, match="redirect_to"):
        sandbox.set_faults(redirect_to="127.0.0.1:1")
    with pytest.raises(ValueError, match="repeat_next"):
        sandbox.set_faults(repeat_next=3)
    assert sandbox.set_faults(repeat_next="offers,jobs")["repeat_next"] == ["offers", "jobs"]


def test_hostile_faults_through_the_admin_endpoint(sandbox: SandboxHandle) -> None:
    body = {"bad_body": "object", "bad_body_endpoints": ["jobs"], "repeat_next": ["v3/offices"]}
    r = requests.post(f"{sandbox.base_url}/_admin/faults", data=json.dumps(body), timeout=TIMEOUT)
    assert r.status_code == 200
    shown = requests.get(f"{sandbox.base_url}/_admin/faults", timeout=TIMEOUT).json()
    assert {k: shown[k] for k in body} == body
    assert isinstance(v1_get(sandbox, "jobs").json(), dict)
    offices = v3_get(sandbox, "offices")
    assert offices.links["next"]["url"] == offices.url
    requests.post(f"{sandbox.base_url}/_admin/reset", timeout=TIMEOUT)
    assert isinstance(v1_get(sandbox, "jobs").json(), list)


def test_type_drift_on_the_first_record_of_a_page(sandbox: SandboxHandle) -> None:
    sandbox.set_faults(drift={"endpoint": "v3/applications", "column": "job_id", "value": "abc"})
    served = v3_get(sandbox, "applications", per_page=3).json()
    own = sorted(org_ids(sandbox.org, "applications"), reverse=True)[:3]
    assert [r["id"] for r in served] == own
    assert served[0]["job_id"] == "abc"
    assert all(r["job_id"] == sandbox.org.require("applications", r["id"])["job_id"]
               for r in served[1:])  # fmt: skip
    assert sandbox.org.require("applications", own[0])["job_id"] != "abc"
    # the other version and other endpoints are untouched
    assert isinstance(v1_get(sandbox, "applications", per_page=1).json()[0]["candidate_id"], int)
    assert isinstance(v3_get(sandbox, "offers", per_page=1).json()[0]["job_id"], int)
    assert sandbox.stats()["faults"]["drift"] == 1


def test_type_drift_is_validated(sandbox: SandboxHandle) -> None:
    with pytest.raises(ValueError, match="drift must be"):
        sandbox.set_faults(drift={"endpoint": "applications", "column": "job_id"})
    sandbox.set_faults(drift={})  # switched off
    assert v3_get(sandbox, "applications", per_page=1).json()[0]["job_id"] != "abc"


def test_empty_and_cut_listings(sandbox: SandboxHandle) -> None:
    sandbox.set_faults(empty_list=["v3/candidates"], cut_list=["applications"])
    empty = v3_get(sandbox, "candidates", per_page=5)
    assert empty.status_code == 200 and empty.json() == [] and "Link" not in empty.headers
    assert len(v1_get(sandbox, "candidates", per_page=5).json()) == 5  # v1 untouched
    own = org_ids(sandbox.org, "applications")
    cut, pages = v3_all(sandbox, "applications", per_page=7)
    assert pages == 1 and [r["id"] for r in cut] == sorted(own, reverse=True)[:7]
    first = v1_get(sandbox, "applications", per_page=7)  # v1 keeps its other links
    assert "next" not in first.links
    assert first.links["last"]["url"].endswith(f"page={-(-len(own) // 7)}&per_page=7")
    assert [r["id"] for r in first.json()] == sorted(own)[:7]
    assert sandbox.stats()["faults"] == {"empty_list": 1, "cut_list": 2}


@pytest.mark.parametrize(("kind", "value"), [("text", "abc"), ("fraction", 1.5), ("true", True)])
def test_bad_ids_on_the_first_record_of_a_page(
    sandbox: SandboxHandle, kind: str, value: object
) -> None:
    sandbox.set_faults(bad_id=kind, bad_id_endpoints=["v1/offers"])
    served = v1_get(sandbox, "offers", per_page=3).json()
    assert served[0]["id"] == value and type(served[0]["id"]) is type(value)
    assert [r["id"] for r in served[1:]] == sorted(org_ids(sandbox.org, "offers"))[1:3]
    assert isinstance(v3_get(sandbox, "offers", per_page=1).json()[0]["id"], int)


def test_a_missing_id_and_the_bad_id_switch_validated(sandbox: SandboxHandle) -> None:
    sandbox.set_faults(bad_id="missing")  # every endpoint
    for served in (v3_get(sandbox, "jobs", per_page=2).json(), v1_get(sandbox, "jobs").json()):
        assert "id" not in served[0] and served[0]["name"] and isinstance(served[1]["id"], int)
    assert all("id" in r for r in sandbox.org.records("jobs"))
    with pytest.raises(ValueError, match="bad_id must be one of missing, text, fraction, true"):
        sandbox.set_faults(bad_id="null")


def _without_nul(value: object) -> object:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    if isinstance(value, dict):
        return {k: _without_nul(v) for k, v in value.items()}
    return value


def test_nul_text_puts_a_nul_in_a_text_field_and_a_custom_field_of_every_record(
    sandbox: SandboxHandle,
) -> None:
    sandbox.set_faults(nul_text=["v3/jobs"])
    raw = v3_get(sandbox, "jobs", per_page=4)
    assert b"\\u0000" in raw.content  # escaped, as JSON spells it
    for job in raw.json():
        own = sandbox.org.require("jobs", job["id"])
        assert _without_nul(job) == own  # nothing else changed
        text = "notes" if own["notes"] else "name"
        assert "\x00" in job[text] and "\x00" not in own[text]
        assert _without_nul(job["custom_fields"]) != job["custom_fields"]  # one holds a NUL
    assert "\\u0000" not in v1_get(sandbox, "jobs", per_page=4).text  # v3 only, as listed
