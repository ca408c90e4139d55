"""The Harvest-compatible HTTP server (stdlib `ThreadingHTTPServer`).

Routes (one port):
  POST /token                      v3 OAuth client-credentials token endpoint
  GET  /v3/<endpoint>              v3 lists: Bearer auth, cursor pagination, id-descending
  GET  /v1/<endpoint>              v1 lists: Basic auth (token + empty password), page numbers
  GET  /v1/jobs/<id>/openings      v1 openings of one job
  GET|POST /_admin/...             stats, reset-stats, advance, faults, rate-limit, expire-tokens

See docs/sandbox.md for every knob and the exact error bodies.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import math
import os
import random
import secrets
import socket
import threading
import time
import traceback
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

try:  # optional speed-up; the stdlib encoder produces the same JSON
    import orjson
except ImportError:  # pragma: no cover - orjson ships with dlt
    orjson = None  # type: ignore[assignment]

from sandbox.data import Organisation
from sandbox.store import Filters, iso_to_ms
from sandbox.v1 import APP_STATUS_V3, OFFER_STATUS_V3, V1_ENDPOINTS, V1Renderer

V3_ENDPOINTS = (
    "candidates",
    "applications",
    "application_stages",
    "jobs",
    "job_interview_stages",
    "offers",
    "users",
    "departments",
    "offices",
    "job_posts",
    "sources",
    "rejection_reasons",
    "close_reasons",
    "openings",
    "interviews",
    "scorecards",
    "custom_fields",
    "custom_field_options",
    "eeoc",
    "demographic_question_sets",
    "demographic_questions",
    "demographic_answer_options",
    "demographic_answers",
)
# v3 parent-id filters: query parameter -> record field
V3_PARENT_FILTERS = {
    "candidates": {},
    "applications": {"candidate_ids": "candidate_id", "job_ids": "job_id"},
    "application_stages": {"application_ids": "application_id"},
    "jobs": {"department_ids": "department_id"},
    "job_interview_stages": {"job_ids": "job_id"},
    "offers": {
        "application_ids": "application_id",
        "job_ids": "job_id",
        "candidate_ids": "candidate_id",
    },
    "job_posts": {"job_ids": "job_id"},
    "openings": {"job_ids": "job_id"},
    "interviews": {"application_ids": "application_id", "job_ids": "job_id"},
    "scorecards": {"application_ids": "application_id"},
    "custom_field_options": {"custom_field_ids": "custom_field_id"},
    "eeoc": {"application_ids": "application_id", "candidate_ids": "candidate_id"},
    "departments": {"parent_ids": "parent_id"},
    "demographic_questions": {"demographic_question_set_ids": "demographic_question_set_id"},
    "demographic_answer_options": {"demographic_question_ids": "demographic_question_id"},
    "demographic_answers": {
        "application_ids": "application_id",
        "demographic_question_ids": "demographic_question_id",
    },
    "offices": {"parent_ids": "parent_id"},
}
V3_STATUS = {
    "applications": ("in_process", "rejected", "hired", "converted"),
    "jobs": ("open", "closed", "draft"),
    "offers": ("Created", "Accepted", "Rejected", "Deprecated"),
    "interviews": (
        "to_be_scheduled",
        "scheduled",
        "awaiting_feedback",
        "complete",
        "skipped",
        "collect_feedback",
        "to_be_sent",
        "sent",
        "received",
    ),
    "scorecards": ("draft", "complete"),
}
V3_BOOL_FILTERS = {
    "job_interview_stages": ("active",),
    "job_posts": ("active", "live"),
    "users": ("deactivated",),
    "custom_fields": ("active",),
    "openings": ("open",),
}
# v1 filters: which endpoints take created_/updated_ filters, and their status filters
V1_UPDATED = {
    "candidates",
    "jobs",
    "offers",
    "users",
    "job_posts",
    "job_stages",
    "scheduled_interviews",
    "scorecards",
}
V1_CREATED = V1_UPDATED | {"applications"}
V1_STATUS: dict[str, dict[str, Any]] = {  # v1 status value -> canonical value
    "applications": APP_STATUS_V3,
    "jobs": {"open": "open", "closed": "closed", "draft": "draft"},
    "offers": OFFER_STATUS_V3,
    "openings": {"open": True, "closed": False},
}
# v1 endpoints whose Link header has only rel="next" (Greenhouse: EEOC, custom fields, openings)
V1_NEXT_ONLY = frozenset({"eeoc", "custom_fields", "openings"})
MAX_PER_PAGE = 500


def env_default(name: str, default: str) -> str:
    return os.environ.get(name) or default


@dataclass
class Faults:
    """Fault switches; `*_every` counters count API requests (/v1, /v3) since they were set."""

    error_rate: float = 0.0  # share of API requests answered 500 (seeded RNG: reproducible)
    error_every: int = 0  # every Nth API request -> 500
    storm_429: int = 0  # the next N API requests -> 429 with Retry-After
    retry_after: int = 1  # Retry-After seconds sent with storm 429s
    slow_ms: int = 0  # delay added to API responses
    slow_every: int = 1  # ... to every Nth one
    drop_every: int = 0  # every Nth API request: close the socket without a response
    truncate_every: int = 0  # every Nth 200 response: body cut in half (invalid JSON)
    forbidden: list[str] = field(
        default_factory=list
    )  # endpoints answered 403 (e.g. "offers", "v1/eeoc")
    seed: int = 0  # seed of the error_rate RNG
    bare_429: int = 0  # 1: 429 responses carry Retry-After but no X-RateLimit-* headers
    header_case_quirk: int = 0  # 1: rate-limit headers spelled X-Ratelimit-* (as seen in v1)

    def update(self, values: dict[str, Any]) -> None:
        known = {f.name: f for f in fields(self)}
        for key, value in values.items():
            if key not in known:
                raise ValueError(f"unknown fault {key!r}; known: {', '.join(sorted(known))}")
            if key == "forbidden":
                if isinstance(value, str):
                    value = [v for v in value.split(",") if v]
                if not isinstance(value, list):
                    raise ValueError("forbidden must be a list of endpoint names")
                setattr(self, key, [str(v) for v in value])
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


@dataclass
class Settings:
    api_token: str = field(
        default_factory=lambda: env_default("SANDBOX_API_TOKEN", "sandbox-token")
    )
    client_id: str = field(
        default_factory=lambda: env_default("SANDBOX_CLIENT_ID", "sandbox-client")
    )
    client_secret: str = field(
        default_factory=lambda: env_default("SANDBOX_CLIENT_SECRET", "sandbox-secret")
    )
    token_lifetime: int = 3600  # seconds
    token_expiry: str = "expires_in"  # token response: expires_in | expires_at | both
    rate_limit: int = 0  # requests per window; 0 = unlimited
    rate_window: float = 10.0  # seconds
    host: str = "127.0.0.1"
    port: int = 0
    faults: Faults = field(default_factory=Faults)


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(body.get("message", ""))
        self.status, self.body, self.headers = status, body, headers or {}


def validation_error(message: str, field_name: str) -> ApiError:
    return ApiError(
        422, {"message": "Validation error", "errors": [{"message": message, "field": field_name}]}
    )


class RateLimiter:
    """Fixed window: `limit` requests per `window` seconds; 0 = unlimited."""

    UNLIMITED = 1_000_000

    def __init__(self, limit: int, window: float):
        self.limit, self.window = limit, window
        self.start = time.monotonic()
        self.used = 0

    def configure(self, limit: int, window: float) -> None:
        if limit < 0 or window <= 0:
            raise ValueError("rate limit must be >= 0 and window > 0")
        self.limit, self.window = limit, window
        self.start, self.used = time.monotonic(), 0

    def _roll(self, now: float) -> None:
        if now - self.start >= self.window:
            self.start, self.used = now, 0

    def take(self) -> tuple[bool, dict[str, str]]:
        """Consume one request; returns (allowed, headers)."""
        now = time.monotonic()
        self._roll(now)
        reset = max(1, math.ceil(self.start + self.window - now))
        if self.limit == 0:
            return True, {
                "X-RateLimit-Limit": str(self.UNLIMITED),
                "X-RateLimit-Remaining": str(self.UNLIMITED),
                "X-RateLimit-Reset": str(reset),
            }
        allowed = self.used < self.limit
        if allowed:
            self.used += 1
        return allowed, {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(0, self.limit - self.used)),
            "X-RateLimit-Reset": str(reset),
        }


class SandboxServer:
    """One organisation served over HTTP; thread-safe for concurrent clients."""

    def __init__(self, org: Organisation, settings: Settings | None = None):
        self.org = org
        self.settings = settings or Settings()
        if self.settings.token_expiry not in ("expires_in", "expires_at", "both"):
            raise ValueError("token_expiry must be expires_in, expires_at or both")
        self.v1 = V1Renderer(org)
        self.lock = threading.RLock()  # counters, tokens, faults, rate limiter
        self.data_lock = threading.RLock()  # the organisation (queries vs advance)
        self.tokens: dict[str, float] = {}  # access token -> expiry (time.time())
        self.limiter = RateLimiter(self.settings.rate_limit, self.settings.rate_window)
        self.faults = self.settings.faults
        self._fault_counter = 0
        self._fault_rng = random.Random(self.faults.seed)
        self.reset_stats()
        self.httpd: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    # ---- lifecycle -----------------------------------------------------------------------------
    def start(self, background: bool = True) -> SandboxServer:
        handler = type("Handler", (_Handler,), {"sandbox": self})
        self.httpd = ThreadingHTTPServer((self.settings.host, self.settings.port), handler)
        self.httpd.daemon_threads = True
        if background:
            # a short poll interval makes stop() (fixture teardown) return quickly
            self.thread = threading.Thread(
                target=self.httpd.serve_forever, args=(0.05,), daemon=True, name="sandbox-http"
            )
            self.thread.start()
        return self

    def serve_forever(self) -> None:
        assert self.httpd is not None
        self.httpd.serve_forever()

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    @property
    def port(self) -> int:
        assert self.httpd is not None, "server not started"
        return self.httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{self.settings.host}:{self.port}"

    @property
    def auth_url(self) -> str:
        return f"{self.base_url}/token"

    # ---- admin operations (also used by the fixture) -------------------------------------------
    def reset_stats(self) -> None:
        with self.lock:
            self._stats = {
                "total": 0,
                "by_endpoint": Counter(),
                "by_status": Counter(),
                "rate_limited": 0,
                "tokens_issued": 0,
                "faults": Counter(),
                "since": time.time(),
            }

    def stats(self) -> dict[str, Any]:
        with self.lock:
            s = self._stats
            return {
                "total": s["total"],
                "by_endpoint": dict(s["by_endpoint"]),
                "by_status": {str(k): v for k, v in s["by_status"].items()},
                "rate_limited": s["rate_limited"],
                "tokens_issued": s["tokens_issued"],
                "faults": dict(s["faults"]),
                "since": s["since"],
            }

    def set_faults(self, reset: bool = False, **values: Any) -> dict[str, Any]:
        with self.lock:
            if reset:
                self.faults = Faults()
            self.faults.update(values)
            self._fault_counter = 0
            self._fault_rng = random.Random(self.faults.seed)
            return asdict(self.faults)

    def set_rate_limit(self, limit: int, window: float | None = None) -> dict[str, Any]:
        with self.lock:
            self.limiter.configure(int(limit), float(window or self.limiter.window))
            return {"limit": self.limiter.limit, "window": self.limiter.window}

    def expire_tokens(self) -> int:
        with self.lock:
            n = len(self.tokens)
            self.tokens.clear()
            return n

    def reset(self) -> dict[str, Any]:
        """Back to the start: the organisation rebuilt from its seed (undoing every advance),
        faults off, rate-limit window and statistics restarted. Issued tokens stay valid."""
        with self.data_lock:
            self.org = Organisation(seed=self.org.seed, candidates=self.org.size)
            self.v1 = V1Renderer(self.org)
        self.set_faults(reset=True)
        with self.lock:
            self.limiter.configure(self.limiter.limit, self.limiter.window)
        self.reset_stats()
        return {"seed": self.org.seed, "candidates": self.org.size}

    def advance(self, fraction: float = 0.01) -> dict[str, Any]:
        with self.data_lock:
            return self.org.advance(fraction=fraction)

    # ---- request accounting --------------------------------------------------------------------
    def record(self, endpoint: str, status: int) -> None:
        with self.lock:
            s = self._stats
            s["total"] += 1
            s["by_endpoint"][endpoint] += 1
            s["by_status"][status] += 1
            if status == 429:
                s["rate_limited"] += 1

    def next_fault(self, endpoint: str) -> dict[str, Any]:
        """Decide the faults of one API request (deterministic given the request order)."""
        with self.lock:
            f = self.faults
            self._fault_counter += 1
            n = self._fault_counter
            out: dict[str, Any] = {}
            if f.drop_every and n % f.drop_every == 0:
                out["drop"] = True
            if f.slow_ms and n % max(f.slow_every, 1) == 0:
                out["slow"] = f.slow_ms / 1000
            if f.storm_429 > 0:
                f.storm_429 -= 1
                out["storm"] = f.retry_after
            name = endpoint.split("/", 1)[-1]
            if endpoint in f.forbidden or name in f.forbidden:
                out["forbidden"] = True
            draw = self._fault_rng.random()
            if (f.error_every and n % f.error_every == 0) or (f.error_rate and draw < f.error_rate):
                out["error"] = True
            if f.truncate_every and n % f.truncate_every == 0:
                out["truncate"] = True
            for key in out:
                self._stats["faults"][key] += 1
            return out

    # ---- auth ---------------------------------------------------------------------------------
    def issue_token(self, authorization: str | None, form: dict[str, list[str]]) -> dict[str, Any]:
        creds = _basic(authorization)
        if creds != (self.settings.client_id, self.settings.client_secret):
            raise ApiError(
                401,
                {"error": "invalid_client", "error_description": "Client authentication failed"},
            )
        grant = form.get("grant_type", [""])[0]
        if grant != "client_credentials":
            raise ApiError(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": "grant_type must be client_credentials",
                },
            )
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = time.time() + self.settings.token_lifetime
            self._stats["tokens_issued"] += 1
        body: dict[str, Any] = {"access_token": token, "token_type": "Bearer"}
        style = self.settings.token_expiry
        if style in ("expires_in", "both"):
            body["expires_in"] = self.settings.token_lifetime
        if style in ("expires_at", "both"):
            expires = time.time() + self.settings.token_lifetime
            body["expires_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires))
        return body

    def check_v3_auth(self, authorization: str | None) -> None:
        if not authorization or not authorization.startswith("Bearer "):
            raise ApiError(401, {"message": "Missing Bearer access token"})
        token = authorization[len("Bearer ") :].strip()
        with self.lock:
            expiry = self.tokens.get(token)
        if expiry is None:
            raise ApiError(401, {"message": "Invalid or expired access token"})
        if expiry <= time.time():
            raise ApiError(401, {"message": "Invalid or expired access token"})

    def check_v1_auth(self, authorization: str | None) -> None:
        creds = _basic(authorization)
        if creds is None or creds != (self.settings.api_token, ""):
            raise ApiError(401, {"message": "Invalid Basic Auth credentials"})

    # ---- v3 ------------------------------------------------------------------------------------
    def v3_list(self, endpoint: str, params: dict[str, list[str]]) -> tuple[list[dict], str | None]:
        if endpoint not in V3_ENDPOINTS:
            raise ApiError(404, {"message": f"Unknown endpoint /v3/{endpoint}"})
        if "cursor" in params:
            extra = sorted(k for k in params if k != "cursor")
            if extra:
                raise validation_error(
                    f"cursor cannot be combined with other parameters ({', '.join(extra)})",
                    "cursor",
                )
            state = _decode_cursor(params["cursor"][0], endpoint)
            flt, per_page, before = _filters_from_json(state["f"]), state["pp"], state["b"]
        else:
            per_page = _per_page(params)
            flt = self._v3_filters(endpoint, params)
            before = None
        ids = self.org.query(endpoint, flt)
        stop = len(ids) if before is None else ids.position(before)
        start = max(0, stop - per_page)
        page_ids = ids.slice(start, stop)
        page_ids.reverse()
        records = self.org.get_many(endpoint, page_ids)
        next_cursor = None
        if start > 0 and page_ids:
            next_cursor = _encode_cursor(
                {"e": endpoint, "f": _filters_to_json(flt), "pp": per_page, "b": page_ids[-1]}
            )
        return records, next_cursor

    def _v3_filters(self, endpoint: str, params: dict[str, list[str]]) -> Filters:
        allowed = {"per_page", "updated_at", "created_at", "ids"}
        parents = V3_PARENT_FILTERS.get(endpoint, {})
        allowed |= set(parents)
        if endpoint in V3_STATUS:
            allowed.add("status")
        allowed |= set(V3_BOOL_FILTERS.get(endpoint, ()))
        unknown = sorted(set(params) - allowed)
        if unknown:
            raise validation_error(
                f"unknown parameter(s) for /v3/{endpoint}: {', '.join(unknown)}", unknown[0]
            )
        if "updated_at" in params and "created_at" in params:
            raise validation_error(
                "filter on either updated_at or created_at, not both", "updated_at"
            )
        time_filters: list[tuple[str, str, int]] = []
        for fname in ("updated_at", "created_at"):
            if fname in params:
                time_filters.extend(_parse_v3_window(fname, params[fname][0]))
        ids = _int_list(params, "ids") if "ids" in params else None
        parent_filters = tuple(
            (parents[p], frozenset(_int_list(params, p))) for p in sorted(parents) if p in params
        )
        equals: list[tuple[str, Any]] = []
        if "status" in params:
            value = params["status"][0]
            if value not in V3_STATUS[endpoint]:
                raise validation_error(
                    f"status must be one of {', '.join(V3_STATUS[endpoint])}", "status"
                )
            equals.append(("status", value))
        for b in V3_BOOL_FILTERS.get(endpoint, ()):
            if b in params:
                equals.append((b, _bool(params, b)))
        return Filters(
            time=tuple(time_filters),
            ids=frozenset(ids) if ids is not None else None,
            parents=parent_filters,
            equals=tuple(equals),
        )

    # ---- v1 ------------------------------------------------------------------------------------
    def v1_list(
        self, endpoint: str, params: dict[str, list[str]], job_id: int | None = None
    ) -> tuple[list[dict], dict[str, int | None]]:
        if endpoint not in V1_ENDPOINTS:
            raise ApiError(404, {"message": f"Unknown endpoint /v1/{endpoint}"})
        entity = V1_ENDPOINTS[endpoint]
        per_page = _per_page(params)
        page = _positive_int(params, "page", 1)
        flt = self._v1_filters(endpoint, params, job_id)
        ids = self.org.query(entity, flt)
        total = len(ids)
        page_ids = ids.slice((page - 1) * per_page, page * per_page)
        render = getattr(self.v1, endpoint)
        records = [render(r) for r in self.org.get_many(entity, page_ids)]
        last_page = max(1, math.ceil(total / per_page))
        return records, {"page": page, "last": last_page, "per_page": per_page, "total": total}

    def _v1_filters(
        self, endpoint: str, params: dict[str, list[str]], job_id: int | None
    ) -> Filters:
        allowed = {"per_page", "page", "skip_count"}
        time_filters: list[tuple[str, str, int]] = []
        mapping: dict[str, tuple[str, str]] = {}
        if endpoint in V1_CREATED:
            mapping |= {
                "created_after": ("created_at", "gte"),
                "created_before": ("created_at", "lt"),
            }
        if endpoint in V1_UPDATED:
            mapping |= {
                "updated_after": ("updated_at", "gte"),
                "updated_before": ("updated_at", "lt"),
            }
        if endpoint == "applications":
            mapping |= {"last_activity_after": ("last_activity_at", "gte")}
        if endpoint == "eeoc":
            mapping |= {
                "submitted_after": ("submitted_at", "gte"),
                "submitted_before": ("submitted_at", "lt"),
            }
        allowed |= set(mapping)
        parents: list[tuple[str, frozenset[int]]] = []
        equals: list[tuple[str, Any]] = []
        if endpoint in ("applications", "job_stages", "offers", "job_posts", "openings"):
            allowed.add("job_id")
        if endpoint in ("offers", "scorecards", "scheduled_interviews"):
            allowed.add("application_id")
        if endpoint in V1_STATUS:
            allowed.add("status")
        if endpoint in ("job_posts",):
            allowed |= {"active", "live"}
        if endpoint == "jobs":
            allowed |= {"department_id", "office_id"}
        unknown = sorted(set(params) - allowed)
        if endpoint == "applications" and "updated_after" in unknown:
            raise validation_error(
                "applications have no updated_after filter; use last_activity_after",
                "updated_after",
            )
        if unknown:
            raise validation_error(
                f"unknown parameter(s) for /v1/{endpoint}: {', '.join(unknown)}", unknown[0]
            )
        for name, (fname, op) in mapping.items():
            if name in params:
                time_filters.append((fname, op, _parse_ts(params[name][0], name)))
        if job_id is not None:
            parents.append(("job_id", frozenset([job_id])))
        for name, fname in (
            ("job_id", "job_id"),
            ("application_id", "application_id"),
            ("department_id", "department_id"),
            ("office_id", "office_ids"),
        ):
            if name in params:
                parents.append((fname, frozenset(_int_list(params, name))))
        if "status" in params:
            values = V1_STATUS[endpoint]
            value = params["status"][0]
            if value not in values:
                raise validation_error(f"status must be one of {', '.join(values)}", "status")
            equals.append(("open" if endpoint == "openings" else "status", values[value]))
        for b in ("active", "live"):
            if b in params:
                equals.append((b, _bool(params, b)))
        return Filters(time=tuple(time_filters), parents=tuple(parents), equals=tuple(equals))


def _dumps(body: Any) -> bytes:
    """Compact UTF-8 JSON; orjson (installed with dlt) when present: ~5x faster on big pages."""
    if orjson is not None:
        return orjson.dumps(body)
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


# ---- helpers ----------------------------------------------------------------------------------
def _basic(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization.startswith("Basic "):
        return None
    try:
        raw = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = raw.partition(":")
    return (user, password) if sep else None


def _per_page(params: dict[str, list[str]]) -> int:
    value = _positive_int(params, "per_page", 100)
    if value > MAX_PER_PAGE:
        raise validation_error(f"per_page must be between 1 and {MAX_PER_PAGE}", "per_page")
    return value


def _positive_int(params: dict[str, list[str]], name: str, default: int) -> int:
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


def _int_list(params: dict[str, list[str]], name: str) -> list[int]:
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


def _bool(params: dict[str, list[str]], name: str) -> bool:
    raw = params[name][0].lower()
    if raw not in ("true", "false"):
        raise validation_error(f"{name} must be true or false", name)
    return raw == "true"


def _parse_ts(raw: str, name: str) -> int:
    try:
        return iso_to_ms(raw)
    except ValueError:
        raise validation_error(
            f"{name} must be an ISO-8601 timestamp (got {raw!r})", name
        ) from None


def _parse_v3_window(fname: str, raw: str) -> list[tuple[str, str, int]]:
    parts = raw.split("|")
    if len(parts) not in (2, 4):
        raise validation_error(
            f"{fname} must look like gte|<timestamp> or gte|<from>|lte|<to>", fname
        )
    out = []
    for op, value in zip(parts[::2], parts[1::2], strict=True):
        if op not in ("gte", "gt", "lte", "lt"):
            raise validation_error(f"{fname} operator must be one of gte, gt, lte, lt", fname)
        out.append((fname, op, _parse_ts(value, fname)))
    if len(out) == 2 and {out[0][1][0], out[1][1][0]} != {"g", "l"}:
        raise validation_error(
            f"a two-sided {fname} window needs one lower and one upper bound", fname
        )
    return out


def _filters_to_json(flt: Filters) -> dict[str, Any]:
    return {
        "t": [list(t) for t in flt.time],
        "i": sorted(flt.ids) if flt.ids is not None else None,
        "p": [[f, sorted(v)] for f, v in flt.parents],
        "q": [list(e) for e in flt.equals],
    }


def _filters_from_json(data: dict[str, Any]) -> Filters:
    return Filters(
        time=tuple(tuple(t) for t in data["t"]),  # type: ignore[misc]
        ids=frozenset(data["i"]) if data["i"] is not None else None,
        parents=tuple((f, frozenset(v)) for f, v in data["p"]),
        equals=tuple(tuple(e) for e in data["q"]),
    )  # type: ignore[misc]


def _encode_cursor(state: dict[str, Any]) -> str:
    raw = json.dumps(state, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(raw: str, endpoint: str) -> dict[str, Any]:
    try:
        state = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        assert state["e"] == endpoint and isinstance(state["pp"], int)
        _filters_from_json(state["f"])
        int(state["b"])
    except Exception:  # noqa: BLE001 - any malformed cursor is the client's error
        raise validation_error(
            "cursor is invalid or belongs to another endpoint", "cursor"
        ) from None
    return state


class _Handler(BaseHTTPRequestHandler):
    sandbox: SandboxServer
    protocol_version = "HTTP/1.1"
    server_version = "HarvestSandbox/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if os.environ.get("SANDBOX_ACCESS_LOG"):
            super().log_message(format, *args)

    # -- plumbing --
    def _send(
        self, status: int, body: Any, headers: dict[str, str] | None = None, truncate: bool = False
    ) -> None:
        payload = _dumps(body)
        if truncate:
            payload = payload[: max(1, len(payload) // 2)]
        headers = dict(headers or {})
        faults = self.sandbox.faults
        if status == 429 and faults.bare_429:  # seen in the wild: 429 without X-RateLimit-*
            headers = {k: v for k, v in headers.items() if not k.startswith("X-RateLimit-")}
        if faults.header_case_quirk:  # seen in the wild: X-Ratelimit-Limit
            headers = {k.replace("X-RateLimit-", "X-Ratelimit-"): v for k, v in headers.items()}
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(payload)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        path = url.path.rstrip("/")
        params = parse_qs(url.query, keep_blank_values=True)
        sb = self.sandbox
        try:
            if path == "/token" and method == "POST":
                form = parse_qs(self._read_body().decode(errors="replace"))
                body = sb.issue_token(self.headers.get("Authorization"), form)
                self._send(200, body, {"Cache-Control": "no-store"})
                return
            if path.startswith("/_admin/"):
                self._admin(method, path[len("/_admin/") :], params)
                return
            parts = path.strip("/").split("/")
            if method == "GET" and len(parts) >= 2 and parts[0] in ("v1", "v3"):
                self._api(parts, params)
                return
            self._send(404, {"message": f"Not found: {method} {url.path}"})
        except ApiError as exc:
            self._send(exc.status, exc.body, exc.headers)
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as exc:  # noqa: BLE001 - a sandbox bug must not look like a network fault
            traceback.print_exc()
            with contextlib.suppress(OSError):
                self._send(500, {"message": f"sandbox bug: {type(exc).__name__}: {exc}"})

    def _api(self, parts: list[str], params: dict[str, list[str]]) -> None:
        sb = self.sandbox
        version = parts[0]
        job_id = None
        if version == "v1" and len(parts) == 4 and parts[1] == "jobs" and parts[3] == "openings":
            endpoint = "openings"
            try:
                job_id = int(parts[2])
            except ValueError:
                job_id = -1
        elif len(parts) == 2:
            endpoint = parts[1]
        else:
            endpoint = "/".join(parts[1:])
        label = f"{version}/{endpoint}"
        fault = sb.next_fault(label)
        if fault.get("drop"):
            sb.record(label, 0)
            self._drop()
            return
        if fault.get("slow"):
            time.sleep(fault["slow"])
        if "storm" in fault:
            headers = {"Retry-After": str(fault["storm"])} | self._limit_headers_peek()
            sb.record(label, 429)
            self._send(429, {"message": "Too Many Requests (sandbox 429 storm)"}, headers)
            return
        with sb.lock:
            allowed, rl_headers = sb.limiter.take()
        if not allowed:
            headers = rl_headers | {"Retry-After": rl_headers["X-RateLimit-Reset"]}
            sb.record(label, 429)
            self._send(429, {"message": "Too Many Requests"}, headers)
            return
        status = 200
        try:
            if version == "v3":
                sb.check_v3_auth(self.headers.get("Authorization"))
            else:
                sb.check_v1_auth(self.headers.get("Authorization"))
            if fault.get("forbidden"):
                raise ApiError(403, {"message": f"Forbidden: no permission for {label}"})
            if fault.get("error"):
                raise ApiError(500, {"message": "Internal Server Error (sandbox fault)"})
            if version == "v3":
                with sb.data_lock:  # advance() may be changing the organisation concurrently
                    records, cursor = sb.v3_list(endpoint, params)
                headers = dict(rl_headers)
                if cursor is not None:
                    headers["Link"] = f'<{self._base()}/v3/{endpoint}?cursor={cursor}>; rel="next"'
            else:
                with sb.data_lock:
                    records, info = sb.v1_list(endpoint, params, job_id)
                headers = dict(rl_headers)
                link = self._v1_link(parts, params, info)
                if link:
                    headers["Link"] = link
            sb.record(label, status)
            self._send(status, records, headers, truncate=bool(fault.get("truncate")))
        except ApiError as exc:
            sb.record(label, exc.status)
            self._send(exc.status, exc.body, rl_headers | exc.headers)

    def _limit_headers_peek(self) -> dict[str, str]:
        lim = self.sandbox.limiter
        now = time.monotonic()
        reset = max(1, math.ceil(lim.start + lim.window - now))
        if lim.limit == 0:
            return {
                "X-RateLimit-Limit": str(lim.UNLIMITED),
                "X-RateLimit-Remaining": str(lim.UNLIMITED),
                "X-RateLimit-Reset": str(reset),
            }
        return {
            "X-RateLimit-Limit": str(lim.limit),
            "X-RateLimit-Remaining": str(max(0, lim.limit - lim.used)),
            "X-RateLimit-Reset": str(reset),
        }

    def _base(self) -> str:
        host = self.headers.get("Host") or f"{self.sandbox.settings.host}:{self.sandbox.port}"
        return f"http://{host}"

    def _v1_link(
        self, parts: list[str], params: dict[str, list[str]], info: dict[str, int | None]
    ) -> str | None:
        page, last = int(info["page"] or 1), int(info["last"] or 1)
        skip_count = params.get("skip_count", ["false"])[0].lower() == "true"
        base = f"{self._base()}/{'/'.join(parts)}"
        keep = [(k, v) for k, vs in params.items() if k != "page" for v in vs]

        def url(p: int) -> str:
            return f"{base}?{urlencode([('page', p), *keep])}"

        links = []
        if page < last:
            links.append(f'<{url(page + 1)}>; rel="next"')
        if parts[-1] in V1_NEXT_ONLY:  # as Greenhouse: these small endpoints only link forward
            return ",".join(links) or None
        if page > 1:
            links.append(f'<{url(min(page - 1, last))}>; rel="prev"')
        if links and not skip_count:
            links.append(f'<{url(last)}>; rel="last"')
        return ",".join(links) or None

    def _admin(self, method: str, action: str, params: dict[str, list[str]]) -> None:
        sb = self.sandbox
        body: dict[str, Any] = {}
        if method == "POST":
            raw = self._read_body()
            if raw.strip():
                try:
                    body = json.loads(raw)
                except json.JSONDecodeError:
                    raise ApiError(400, {"message": "admin body must be JSON"}) from None
                if not isinstance(body, dict):
                    raise ApiError(400, {"message": "admin body must be a JSON object"})
        try:
            if action == "stats" and method == "GET":
                self._send(200, sb.stats())
            elif action == "reset" and method == "POST":
                self._send(200, sb.reset())
            elif action == "reset-stats" and method == "POST":
                sb.reset_stats()
                self._send(200, sb.stats())
            elif action == "advance" and method == "POST":
                fraction = float(body.get("fraction", params.get("fraction", ["0.01"])[0]))
                if not 0 < fraction <= 1:
                    raise ValueError("fraction must be in (0, 1]")
                self._send(200, sb.advance(fraction))
            elif action == "faults" and method == "GET":
                self._send(200, asdict(sb.faults))
            elif action == "faults" and method == "POST":
                reset = bool(body.pop("reset", False))
                self._send(200, sb.set_faults(reset=reset, **body))
            elif action == "rate-limit" and method == "GET":
                self._send(200, {"limit": sb.limiter.limit, "window": sb.limiter.window})
            elif action == "rate-limit" and method == "POST":
                self._send(200, sb.set_rate_limit(int(body.get("limit", 0)), body.get("window")))
            elif action == "expire-tokens" and method == "POST":
                self._send(200, {"expired": sb.expire_tokens()})
            elif action == "info" and method == "GET":
                org = sb.org
                self._send(
                    200,
                    {
                        "seed": org.seed,
                        "candidates": org.size,
                        "advances": org.advances,
                        "counts": {e: org.count(e) for e in V3_ENDPOINTS},
                    },
                )
            else:
                self._send(404, {"message": f"Unknown admin action: {method} /_admin/{action}"})
        except (TypeError, ValueError) as exc:
            raise ApiError(400, {"message": str(exc)}) from None
