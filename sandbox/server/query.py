"""Query parsing: validated parameters, v3 time windows, cursors and Basic credentials.

Every malformed value ends in a 422 `validation_error` naming the parameter, as Harvest does.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from sandbox.server.errors import validation_error
from sandbox.store import Filters, iso_to_ms

MAX_PER_PAGE = 500
Params = dict[str, list[str]]


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization.startswith("Basic "):
        return None
    try:
        raw = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = raw.partition(":")
    return (user, password) if sep else None


def parse_per_page(params: Params) -> int:
    value = parse_positive_int(params, "per_page", 100)
    if value > MAX_PER_PAGE:
        raise validation_error(f"per_page must be between 1 and {MAX_PER_PAGE}", "per_page")
    return value


def parse_positive_int(params: Params, name: str, default: int) -> int:
    if name not in params:
        return default
    raw = params[name][0]
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise validation_error(f"{name} must be a positive integer (got {raw!r})", name)
    return value


def parse_int_list(params: Params, name: str) -> list[int]:
    out = []
    for raw in ",".join(params[name]).split(","):
        if raw.strip():
            try:
                out.append(int(raw))
            except ValueError:
                raise validation_error(
                    f"{name} must be a comma-separated list of integers", name
                ) from None
    return out


def parse_bool(params: Params, name: str) -> bool:
    raw = params[name][0].lower()
    if raw not in ("true", "false"):
        raise validation_error(f"{name} must be true or false", name)
    return raw == "true"


def parse_ts(raw: str, name: str) -> int:
    try:
        return iso_to_ms(raw)
    except ValueError:
        raise validation_error(
            f"{name} must be an ISO-8601 timestamp (got {raw!r})", name
        ) from None


def parse_v3_window(fname: str, raw: str) -> list[tuple[str, str, int]]:
    parts = raw.split("|")
    if len(parts) not in (2, 4):
        raise validation_error(
            f"{fname} must look like gte|<timestamp> or gte|<from>|lte|<to>", fname
        )
    out = []
    for op, value in zip(parts[::2], parts[1::2], strict=True):
        if op not in ("gte", "gt", "lte", "lt"):
            raise validation_error(f"{fname} operator must be one of gte, gt, lte, lt", fname)
        out.append((fname, op, parse_ts(value, fname)))
    if len(out) == 2 and {out[0][1][0], out[1][1][0]} != {"g", "l"}:
        raise validation_error(
            f"a two-sided {fname} window needs one lower and one upper bound", fname
        )
    return out


def filters_to_json(flt: Filters) -> dict[str, Any]:
    return {
        "t": [list(t) for t in flt.time],
        "i": sorted(flt.ids) if flt.ids is not None else None,
        "p": [[f, sorted(v)] for f, v in flt.parents],
        "q": [list(e) for e in flt.equals],
    }


def filters_from_json(data: dict[str, Any]) -> Filters:
    return Filters(
        time=tuple(tuple(t) for t in data["t"]),
        ids=frozenset(data["i"]) if data["i"] is not None else None,
        parents=tuple((f, frozenset(v)) for f, v in data["p"]),
        equals=tuple(tuple(e) for e in data["q"]),
    )


def encode_cursor(state: dict[str, Any]) -> str:
    raw = json.dumps(state, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(raw: str, endpoint: str) -> dict[str, Any]:
    try:
        state = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        assert state["e"] == endpoint and isinstance(state["pp"], int)
        filters_from_json(state["f"])
        int(state["b"])
    except Exception:  # noqa: BLE001 - any malformed cursor is the client's error
        raise validation_error(
            "cursor is invalid or belongs to another endpoint", "cursor"
        ) from None
    return state
