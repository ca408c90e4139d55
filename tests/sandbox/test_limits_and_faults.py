"""Rate limits, every fault switch, stats and the admin endpoints."""

from __future__ import annotations

import json
import time

import pytest
import requests

from tests.fixtures.sandbox import SandboxHandle
from tests.sandbox.helpers import TIMEOUT, bearer, v1_get, v3_get

RL = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def _admin(sb: SandboxHandle, action: str, body: dict | None = None) -> requests.Response:
    if body is None:
        return requests.get(f"{sb.base_url}/_admin/{action}", timeout=TIMEOUT)
    return requests.post(f"{sb.base_url}/_admin/{action}", data=json.dumps(body), timeout=TIMEOUT)


def test_rate_limit_headers_on_every_response(sandbox: SandboxHandle) -> None:
    responses = [
        v3_get(sandbox, "jobs"),
        v1_get(sandbox, "jobs"),
        v1_get(sandbox, "jobs", per_page=0),
        requests.get(f"{sandbox.base_url}/v1/jobs", timeout=TIMEOUT),
    ]
    assert [r.status_code for r in responses] == [200, 200, 422, 401]
    for r in responses:
        assert all(h in r.headers for h in RL), r.headers
        assert int(r.headers["X-RateLimit-Reset"]) >= 1


def test_budget_then_429_with_retry_after(sandbox_factory) -> None:
    sb = sandbox_factory(candidates=10, rate_limit=3, rate_window=60)
    headers = bearer(sb)
    headers2 = bearer(sb)  # the token endpoint does not count
    remaining = []
    for _ in range(3):
        r = v3_get(sb, "jobs", headers=headers)
        assert r.status_code == 200
        assert r.headers["X-RateLimit-Limit"] == "3"
        remaining.append(int(r.headers["X-RateLimit-Remaining"]))
    assert remaining == [2, 1, 0]
    r = v1_get(sb, "jobs")  # v1 and v3 share the budget
    assert r.status_code == 429
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert r.headers["X-RateLimit-Remaining"] == "0"
    assert v3_get(sb, "jobs", headers=headers2).status_code == 429
    stats = sb.stats()
    assert stats["rate_limited"] == 2 and stats["by_status"] == {"200": 3, "429": 2}
    assert stats["tokens_issued"] == 2
    # lifting the limit through the admin endpoint
    assert _admin(sb, "rate-limit", {"limit": 0}).json()["limit"] == 0
    assert v3_get(sb, "jobs", headers=headers).status_code == 200


def test_window_resets(monkeypatch: pytest.MonkeyPatch) -> None:
    """The budget refills when the window has passed (a fake clock: no sleeping, no flakiness)."""
    from sandbox.server import limits

    clock = [1000.0]
    monkeypatch.setattr(limits.time, "monotonic", lambda: clock[0])
    limiter = limits.RateLimiter(limit=2, window=10)
    assert [limiter.take()[0] for _ in range(3)] == [True, True, False]
    clock[0] += 4
    allowed, headers = limiter.take()
    assert not allowed and headers["X-RateLimit-Reset"] == "6"
    clock[0] += 6
    allowed, headers = limiter.take()
    assert allowed and headers["X-RateLimit-Remaining"] == "1"


def test_sliding_window_counts_the_last_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sliding: a slot opens when the oldest counted request is `window` old (a fake clock)."""
    from sandbox.server import limits

    clock = [1000.0]
    monkeypatch.setattr(limits.time, "monotonic", lambda: clock[0])
    limiter = limits.RateLimiter(limit=2, window=10, mode="sliding")
    allowed, headers = limiter.take()
    assert allowed and headers == {"X-RateLimit-Limit": "2", "X-RateLimit-Remaining": "1"}
    clock[0] += 4
    assert limiter.take() == (True, {"X-RateLimit-Limit": "2", "X-RateLimit-Remaining": "0"})
    clock[0] += 1.5  # t = 5.5: refused until the first request (t = 0) is 10 s old
    allowed, headers = limiter.take()
    assert not allowed and headers["Retry-After"] == "5"
    assert "X-RateLimit-Reset" not in headers
    clock[0] += 4.5  # t = 10: one slot (the refused request did not count)
    allowed, headers = limiter.take()
    assert allowed and headers["X-RateLimit-Remaining"] == "0"
    clock[0] += 1  # t = 11: the next slot opens when the request of t = 4 leaves, at 14
    allowed, headers = limiter.take()
    assert not allowed and headers["Retry-After"] == "3"
    clock[0] += 3
    assert limiter.take()[0]


def test_sliding_mode_over_http_and_admin(sandbox_factory) -> None:
    sb = sandbox_factory(candidates=10, rate_limit=2, rate_window=60, rate_mode="sliding")
    headers = bearer(sb)
    ok = [v3_get(sb, "jobs", headers=headers), v1_get(sb, "jobs")]
    assert [r.status_code for r in ok] == [200, 200]
    assert [r.headers["X-RateLimit-Remaining"] for r in ok] == ["1", "0"]
    assert all(r.headers["X-RateLimit-Limit"] == "2" for r in ok)
    assert all("X-RateLimit-Reset" not in r.headers for r in ok)
    refused = v3_get(sb, "jobs", headers=headers)
    assert refused.status_code == 429
    assert 59 <= int(refused.headers["Retry-After"]) <= 60
    assert "X-RateLimit-Reset" not in refused.headers
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert _admin(sb, "rate-limit").json() == {"limit": 2, "window": 60, "mode": "sliding"}
    # back to fixed windows through the admin endpoint (the window keeps its length)
    assert _admin(sb, "rate-limit", {"limit": 2, "mode": "fixed"}).json()["mode"] == "fixed"
    r = v3_get(sb, "jobs", headers=headers)
    assert r.status_code == 200 and "X-RateLimit-Reset" in r.headers
    bad = _admin(sb, "rate-limit", {"limit": 2, "mode": "leaky"})
    assert bad.status_code == 400 and "fixed, sliding" in bad.json()["message"]
    assert _admin(sb, "rate-limit").json()["mode"] == "fixed"


def test_rate_mode_option(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from sandbox.cli import serve

    monkeypatch.setenv("SANDBOX_RATE_MODE", "leaky")
    result = CliRunner().invoke(serve, ["--candidates", "1"])
    assert result.exit_code == 2 and "--rate-mode" in result.output
    assert "SANDBOX_RATE_MODE" in CliRunner().invoke(serve, ["--help"]).output


def test_error_every_is_deterministic(sandbox_factory) -> None:
    sb = sandbox_factory(candidates=10, error_every=3)
    codes = [v1_get(sb, "jobs").status_code for _ in range(7)]
    assert codes == [200, 200, 500, 200, 200, 500, 200]
    assert sb.stats()["faults"] == {"error": 2}


def test_error_rate_is_reproducible_with_its_seed(sandbox_factory) -> None:
    sb = sandbox_factory(candidates=10)
    runs = []
    for _ in range(2):
        sb.set_faults(error_rate=0.4, seed=5)
        runs.append([v1_get(sb, "jobs").status_code for _ in range(20)])
    assert runs[0] == runs[1]
    assert 500 in runs[0] and 200 in runs[0]
    sb.set_faults()
    assert {v1_get(sb, "jobs").status_code for _ in range(5)} == {200}


def test_429_storm(sandbox_factory) -> None:
    sb = sandbox_factory(candidates=10, storm_429=2, retry_after=7)
    first, second, third = (v1_get(sb, "jobs") for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (429, 429, 200)
    assert first.headers["Retry-After"] == "7"
    assert all(h in first.headers for h in RL)
    assert sb.stats()["rate_limited"] == 2


def test_slow_responses(sandbox_factory) -> None:
    sb = sandbox_factory(candidates=10)
    sb.set_faults(slow_ms=200, slow_every=2)
    started = time.monotonic()
    assert v1_get(sb, "jobs").status_code == 200
    assert v1_get(sb, "jobs").status_code == 200
    assert time.monotonic() - started >= 0.2  # a lower bound: sleep() guarantees it
    assert sb.stats()["faults"] == {"slow": 1}


def test_dropped_connections(sandbox_factory) -> None:
    sb = sandbox_factory(candidates=10, drop_every=2)
    assert v1_get(sb, "jobs").status_code == 200
    with pytest.raises(requests.ConnectionError):
        v1_get(sb, "jobs")
    assert v1_get(sb, "jobs").status_code == 200
    assert sb.stats()["by_status"].get("0") == 1


def test_truncated_json(sandbox_factory) -> None:
    sb = sandbox_factory(candidates=10, truncate_every=1)
    r = v3_get(sb, "jobs")
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()
    assert int(r.headers["Content-Length"]) == len(r.content)


def test_forbidden_endpoint(sandbox_factory) -> None:
    sb = sandbox_factory(candidates=10, forbidden=["offers", "v1/eeoc"])
    assert v3_get(sb, "offers").status_code == 403
    assert v1_get(sb, "offers").status_code == 403
    assert v1_get(sb, "eeoc").status_code == 403
    assert v3_get(sb, "eeoc").status_code == 200
    assert v3_get(sb, "jobs").status_code == 200
    # 401 wins over 403: bad credentials are reported as such
    r = requests.get(f"{sb.base_url}/v3/offers", timeout=TIMEOUT)
    assert r.status_code == 401


def test_faults_via_admin_endpoint(sandbox: SandboxHandle) -> None:
    r = _admin(sandbox, "faults", {"error_every": 1, "forbidden": "jobs,users"})
    assert r.status_code == 200 and r.json()["forbidden"] == ["jobs", "users"]
    assert v1_get(sandbox, "sources").status_code == 500
    assert _admin(sandbox, "faults").json()["error_every"] == 1
    assert _admin(sandbox, "faults", {"reset": True}).json()["error_every"] == 0
    assert v1_get(sandbox, "sources").status_code == 200
    bad = _admin(sandbox, "faults", {"explode": 1})
    assert bad.status_code == 400 and "unknown fault" in bad.json()["message"]
    assert _admin(sandbox, "faults", {"error_rate": 2}).status_code == 400
    assert (
        requests.post(
            f"{sandbox.base_url}/_admin/faults", data="not json", timeout=TIMEOUT
        ).status_code
        == 400
    )
    assert _admin(sandbox, "nope").status_code == 404


def test_stats_and_reset(sandbox: SandboxHandle) -> None:
    headers = bearer(sandbox)
    v3_get(sandbox, "candidates", headers=headers)
    v3_get(sandbox, "candidates", headers=headers)
    v1_get(sandbox, "jobs")
    stats = _admin(sandbox, "stats").json()
    assert stats["total"] == 3
    assert stats["by_endpoint"] == {"v3/candidates": 2, "v1/jobs": 1}
    assert stats["by_status"] == {"200": 3}
    _admin(sandbox, "reset-stats", {})
    assert _admin(sandbox, "stats").json()["total"] == 0


def test_info(sandbox: SandboxHandle) -> None:
    info = _admin(sandbox, "info").json()
    assert info["seed"] == 42 and info["candidates"] == 200
    assert info["counts"]["applications"] == sandbox.org.count("applications")


def test_bare_429_and_header_case_quirks(sandbox_factory) -> None:
    sb = sandbox_factory(candidates=10, rate_limit=1, rate_window=60, bare_429=1)
    assert v1_get(sb, "jobs").status_code == 200
    r = v1_get(sb, "jobs")
    assert r.status_code == 429 and r.headers["Retry-After"]
    assert not any(h in r.headers for h in RL)
    sb.set_faults(header_case_quirk=1)
    sb.set_rate_limit(0)
    r = v1_get(sb, "jobs")
    raw = [name for name, _ in r.raw.headers.items()]
    assert "X-Ratelimit-Limit" in raw and "X-RateLimit-Limit" not in raw


def test_token_expiry_styles(sandbox_factory) -> None:
    for style, keys in (("expires_at", {"expires_at"}), ("both", {"expires_in", "expires_at"})):
        sb = sandbox_factory(candidates=5, token_expiry=style)
        body = requests.post(
            sb.auth_url,
            auth=(sb.client_id, sb.client_secret),
            data={"grant_type": "client_credentials"},
            timeout=TIMEOUT,
        ).json()
        assert keys <= set(body) and ({"expires_in", "expires_at"} - keys).isdisjoint(body)
        if "expires_at" in body:
            assert body["expires_at"].endswith("Z")
    with pytest.raises(ValueError, match="token_expiry"):
        sandbox_factory(candidates=5, token_expiry="never")
