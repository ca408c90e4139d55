"""Fault switches and the schedule that decides, request by request, which faults apply."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, fields
from typing import Any

LIST_FAULTS = (
    "empty",
    "forbidden",
    "fail_endpoints",
    "bad_cursor",
    "future_cursor",
    "bad_body_endpoints",
    "repeat_next",
    "redirect_endpoints",
    "slow_endpoints",
    "overlap_pages",
    "empty_list",
    "cut_list",
    "bad_id_endpoints",
    "nul_text",
    "ignore_window",
    "echo_headers",
)
BAD_BODIES = ("empty", "html", "object")
# what the bad_id fault makes of the first record's id: gone, text, a fraction, a boolean
BAD_IDS: dict[str, Any] = {"missing": None, "text": "abc", "fraction": 1.5, "true": True}
BAD_CURSOR = "garbage-timestamp"
FUTURE_TIMESTAMP = "2036-01-01T00:00:00.000Z"
OVERLAP_PER_PAGE = 5


@dataclass
class Faults:
    """Fault switches; `*_every` counters count API requests (/v1, /v3) since they were set."""

    error_rate: float = 0.0  # share of API requests answered 500 (seeded RNG: reproducible)
    error_every: int = 0  # every Nth API request -> 500
    storm_429: int = 0  # the next N API requests -> 429 with Retry-After
    retry_after: int = 1  # Retry-After seconds sent with storm 429s
    slow_ms: int = 0  # delay added to API responses
    slow_every: int = 1  # ... to every Nth one
    slow_endpoints: list[str] = field(default_factory=list)  # ... of these endpoints (empty: all)
    drop_every: int = 0  # every Nth API request: close the socket without a response
    truncate_every: int = 0  # every Nth 200 response: body cut in half (invalid JSON)
    empty: list[str] = field(default_factory=list)  # endpoints answered 200 [] (nothing yet)
    forbidden: list[str] = field(
        default_factory=list
    )  # endpoints answered 403 (e.g. "offers", "v1/eeoc")
    fail_endpoints: list[str] = field(
        default_factory=list
    )  # endpoints answered 500 on every request (e.g. "scorecards", "v1/departments")
    fail_after: int = 0  # ... after serving this many requests of each of them normally
    seed: int = 0  # seed of the error_rate RNG
    bare_429: int = 0  # 1: 429 responses carry Retry-After but no X-RateLimit-* headers
    header_case_quirk: int = 0  # 1: rate-limit headers spelled X-Ratelimit-* (as seen in v1)
    # Hostile responses (as a mutating proxy or a broken gateway serves them); endpoint lists
    # take bare names (both versions) or "v1/<name>" / "v3/<name>".
    bad_cursor: list[str] = field(default_factory=list)  # first record of each page: cursor
    # field(s) (updated_at, last_activity_at) = "garbage-timestamp"
    future_cursor: list[str] = field(default_factory=list)  # ... = FUTURE_TIMESTAMP
    bad_body: str = ""  # a 200 whose body is no JSON array: "empty" | "html" | "object"
    bad_body_endpoints: list[str] = field(default_factory=list)  # ... on these (empty: all)
    bad_body_every: int = 1  # ... on every Nth request of the matching endpoints
    repeat_next: list[str] = field(default_factory=list)  # Link rel=next = the URL just served
    # an insert between two page reads (offset pagination): on these endpoints pages hold at
    # most OVERLAP_PER_PAGE records and each page after the first starts again with the last
    # record of the page before; that earlier copy is served as it was before its last change
    # (cursor fields one day earlier), the repeat as it is now
    overlap_pages: list[str] = field(default_factory=list)
    # Hostile listings, as a rewriting proxy serves them (what the deletion sweep must distrust)
    empty_list: list[str] = field(default_factory=list)  # 200 [] without a Link header
    cut_list: list[str] = field(default_factory=list)  # pages without their Link rel="next"
    # (other links, v1's rel="last", kept): the listing ends after its first page
    bad_id: str = ""  # first record of each page: its id "missing" | "text" | "fraction" | "true"
    bad_id_endpoints: list[str] = field(default_factory=list)  # ... on these (empty: all)
    # an API that answers 200 to a window filter it does not understand: these endpoints serve
    # every record, as if no updated_at / created_at (v3) or *_after / *_before (v1) was sent
    ignore_window: list[str] = field(default_factory=list)
    redirect_to: str = ""  # 302 to this origin (e.g. "http://127.0.0.1:9999"), same path/query
    redirect_endpoints: list[str] = field(default_factory=list)  # ... on these (empty: all)
    # notes pasted from other tools: every record of these endpoints carries U+0000 in the
    # middle of a text field and of a string inside its custom fields (both JSON columns on v1)
    nul_text: list[str] = field(default_factory=list)
    # Type drift: first record of each page of one endpoint, one field served as another JSON
    # value, e.g. {"endpoint": "v3/applications", "column": "job_id", "value": "abc"}
    drift: dict[str, Any] = field(default_factory=dict)
    # A broken gateway: these endpoints answered 400 with a JSON body that repeats the request
    # headers, Authorization included (Bearer token in v3, Basic API key in v1)
    echo_headers: list[str] = field(default_factory=list)
    # The v3 token response's expires_in sent as this text instead of a number (e.g. "soon")
    token_expires_in: str = ""

    def update(self, values: dict[str, Any]) -> None:
        known = {f.name: f for f in fields(self)}
        for key, value in values.items():
            if key not in known:
                raise ValueError(f"unknown fault {key!r}; known: {', '.join(sorted(known))}")
            if key in LIST_FAULTS:
                if isinstance(value, str):
                    value = [v for v in value.split(",") if v]
                if not isinstance(value, list):
                    raise ValueError(f"{key} must be a list of endpoint names")
                setattr(self, key, [str(v) for v in value])
            elif key == "bad_body":
                if value not in ("", *BAD_BODIES):
                    raise ValueError(f"bad_body must be one of {', '.join(BAD_BODIES)} (or empty)")
                setattr(self, key, str(value))
            elif key == "bad_id":
                if value not in ("", *BAD_IDS):
                    raise ValueError(f"bad_id must be one of {', '.join(BAD_IDS)} (or empty)")
                setattr(self, key, str(value))
            elif key == "drift":
                setattr(self, key, _drift(value))
            elif key == "token_expires_in":
                setattr(self, key, str(value))
            elif key == "redirect_to":
                value = str(value).rstrip("/")
                if value and not value.startswith(("http://", "https://")):
                    raise ValueError("redirect_to must be an http(s) origin, e.g. http://host:port")
                setattr(self, key, value)
            elif key == "error_rate":
                value = float(value)
                if not 0 <= value <= 1:
                    raise ValueError("error_rate must be between 0 and 1")
                setattr(self, key, value)
            else:
                value = int(value)
                if value < 0:
                    raise ValueError(f"{key} must be >= 0")
                setattr(self, key, value)


DRIFT_KEYS = ("endpoint", "column", "value")


def _drift(value: Any) -> dict[str, Any]:
    if not value:
        return {}
    if not isinstance(value, dict) or sorted(value) != sorted(DRIFT_KEYS):
        raise ValueError('drift must be {"endpoint": ..., "column": ..., "value": ...} (or empty)')
    if not (isinstance(value["endpoint"], str) and isinstance(value["column"], str)):
        raise ValueError("drift endpoint and column must be strings")
    return dict(value)


class FaultSchedule:
    """Counts API requests since the faults were set and decides the faults of each one
    (deterministic given the request order). Not thread-safe: the server holds its lock."""

    def __init__(self, faults: Faults):
        self.faults = faults
        self.counter = 0
        self.rng = random.Random(faults.seed)
        self.per_endpoint: dict[str, int] = {}  # requests seen per failing endpoint
        self.bad_body_seen = 0  # requests of the bad_body endpoints

    def next(self, endpoint: str) -> dict[str, Any]:
        f = self.faults
        self.counter += 1
        n = self.counter
        out: dict[str, Any] = {}
        if f.drop_every and n % f.drop_every == 0:
            out["drop"] = True
        name = endpoint.split("/", 1)[-1]

        def listed(names: list[str]) -> bool:
            return endpoint in names or name in names

        slow_here = not f.slow_endpoints or listed(f.slow_endpoints)
        if f.slow_ms and slow_here and n % max(f.slow_every, 1) == 0:
            out["slow"] = f.slow_ms / 1000
        if f.storm_429 > 0:
            f.storm_429 -= 1
            out["storm"] = f.retry_after
        if listed(f.empty):
            out["empty"] = True
        if endpoint in f.forbidden or name in f.forbidden:
            out["forbidden"] = True
        if endpoint in f.fail_endpoints or name in f.fail_endpoints:
            seen = self.per_endpoint[endpoint] = self.per_endpoint.get(endpoint, 0) + 1
            if seen > f.fail_after:
                out["error"] = True
        draw = self.rng.random()
        if (f.error_every and n % f.error_every == 0) or (f.error_rate and draw < f.error_rate):
            out["error"] = True
        if f.truncate_every and n % f.truncate_every == 0:
            out["truncate"] = True
        if listed(f.bad_cursor):
            out["bad_cursor"] = BAD_CURSOR
        if listed(f.future_cursor):
            out["future_cursor"] = FUTURE_TIMESTAMP
        if f.bad_body and (not f.bad_body_endpoints or listed(f.bad_body_endpoints)):
            self.bad_body_seen += 1
            if self.bad_body_seen % max(f.bad_body_every, 1) == 0:
                out["bad_body"] = f.bad_body
        if f.drift and listed([f.drift["endpoint"]]):
            out["drift"] = (f.drift["column"], f.drift["value"])
        if listed(f.nul_text):
            out["nul_text"] = True
        if listed(f.ignore_window):
            out["ignore_window"] = True
        if listed(f.overlap_pages):
            out["overlap"] = OVERLAP_PER_PAGE
        if listed(f.empty_list):
            out["empty_list"] = True
        if listed(f.cut_list):
            out["cut_list"] = True
        if f.bad_id and (not f.bad_id_endpoints or listed(f.bad_id_endpoints)):
            out["bad_id"] = f.bad_id
        if listed(f.repeat_next):
            out["repeat_next"] = True
        if listed(f.echo_headers):
            out["echo_headers"] = True
        if f.redirect_to and (not f.redirect_endpoints or listed(f.redirect_endpoints)):
            out["redirect"] = f.redirect_to
        return out
