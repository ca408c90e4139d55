"""The admin endpoints (`/_admin/<action>`): a table of (method, action) -> operation.

Every operation is a method of `SandboxServer` (the test fixture calls them directly); this table
only parses the request. A POST body, when there is one, must be a JSON object.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from sandbox.server.errors import ApiError
from sandbox.server.query import Params
from sandbox.server.v3_api import V3_ENDPOINTS

if TYPE_CHECKING:
    from sandbox.server.core import SandboxServer

Body = dict[str, Any]
AdminAction = Callable[["SandboxServer", Body, Params], Any]


def _reset_stats(sb: SandboxServer, body: Body, params: Params) -> Any:
    sb.reset_stats()
    return sb.stats()


def _advance(sb: SandboxServer, body: Body, params: Params) -> Any:
    fraction = float(body.get("fraction", params.get("fraction", ["0.01"])[0]))
    if not 0 < fraction <= 1:
        raise ValueError("fraction must be in (0, 1]")
    return sb.advance(fraction)


def _delete(sb: SandboxServer, body: Body, params: Params) -> Any:
    """{"entity": "candidates", "ids": [...]} -> {"deleted": {entity: [ids], ...}}."""
    entity, ids = body.get("entity"), body.get("ids")
    if not isinstance(entity, str) or not isinstance(ids, list):
        raise ValueError('delete needs {"entity": "<name>", "ids": [<id>, ...]}')
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise ValueError("ids must be integers")
    return {"deleted": sb.delete(entity, ids)}


def _set_faults(sb: SandboxServer, body: Body, params: Params) -> Any:
    reset = bool(body.pop("reset", False))
    return sb.set_faults(reset=reset, **body)


def _info(sb: SandboxServer, body: Body, params: Params) -> Any:
    org = sb.org
    return {
        "seed": org.seed,
        "candidates": org.size,
        "advances": org.advances,
        "counts": {e: org.count(e) for e in V3_ENDPOINTS},
    }


ADMIN_ACTIONS: dict[tuple[str, str], AdminAction] = {
    ("GET", "stats"): lambda sb, body, params: sb.stats(),
    ("POST", "reset"): lambda sb, body, params: sb.reset(),
    ("POST", "reset-stats"): _reset_stats,
    ("POST", "advance"): _advance,
    ("POST", "delete"): _delete,
    ("GET", "faults"): lambda sb, body, params: asdict(sb.faults),
    ("POST", "faults"): _set_faults,
    ("GET", "rate-limit"): lambda sb, body, params: sb.rate_limit(),
    ("POST", "rate-limit"): lambda sb, body, params: sb.set_rate_limit(
        int(body.get("limit", 0)), body.get("window"), body.get("mode")
    ),
    ("POST", "expire-tokens"): lambda sb, body, params: {"expired": sb.expire_tokens()},
    ("GET", "info"): _info,
}


def _json_object(raw: bytes) -> Body:
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except json.JSONDecodeError:
        raise ApiError(400, {"message": "admin body must be JSON"}) from None
    if not isinstance(body, dict):
        raise ApiError(400, {"message": "admin body must be a JSON object"})
    return body


def run_admin(
    sb: SandboxServer, method: str, action: str, raw_body: bytes, params: Params
) -> tuple[int, Any]:
    """(status, JSON body) of one admin request; a bad value is a 400 with its message."""
    body = _json_object(raw_body) if method == "POST" else {}
    operation = ADMIN_ACTIONS.get((method, action))
    if operation is None:
        return 404, {"message": f"Unknown admin action: {method} /_admin/{action}"}
    try:
        return 200, operation(sb, body, params)
    except (TypeError, ValueError) as exc:
        raise ApiError(400, {"message": str(exc)}) from None
