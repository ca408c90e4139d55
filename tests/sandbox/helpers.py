"""HTTP helpers for the sandbox contract tests (plain `requests`, as a client would)."""

from __future__ import annotations

from typing import Any

import requests

from tests.fixtures.sandbox import SandboxHandle

TIMEOUT = 10


def bearer(sb: SandboxHandle) -> dict[str, str]:
    return {"Authorization": f"Bearer {sb.token()}"}


def v3_get(
    sb: SandboxHandle, endpoint: str, headers: dict[str, str] | None = None, **params: Any
) -> requests.Response:
    return requests.get(
        f"{sb.base_url}/v3/{endpoint}",
        params=params,
        headers=headers or bearer(sb),
        timeout=TIMEOUT,
    )


def v3_all(sb: SandboxHandle, endpoint: str, **params: Any) -> tuple[list[dict], int]:
    """Follow the Link rel=next chain; returns (records, pages)."""
    headers = bearer(sb)
    r = v3_get(sb, endpoint, headers=headers, **params)
    out, pages = [], 0
    while True:
        assert r.status_code == 200, (endpoint, r.status_code, r.text)
        out.extend(r.json())
        pages += 1
        nxt = r.links.get("next", {}).get("url")
        if not nxt:
            return out, pages
        r = requests.get(nxt, headers=headers, timeout=TIMEOUT)


def v1_get(sb: SandboxHandle, endpoint: str, **params: Any) -> requests.Response:
    return requests.get(
        f"{sb.base_url}/v1/{endpoint}", params=params, auth=(sb.api_token, ""), timeout=TIMEOUT
    )


def v1_all(sb: SandboxHandle, endpoint: str, **params: Any) -> tuple[list[dict], int]:
    r = v1_get(sb, endpoint, **params)
    out, pages = [], 0
    while True:
        assert r.status_code == 200, (endpoint, r.status_code, r.text)
        out.extend(r.json())
        pages += 1
        nxt = r.links.get("next", {}).get("url")
        if not nxt:
            return out, pages
        r = requests.get(nxt, auth=(sb.api_token, ""), timeout=TIMEOUT)
