"""The sandbox server: one organisation, its tokens, counters, faults and rate limiter.

The HTTP side (routing, plumbing) is `sandbox.server.handler`; the lists are
`sandbox.server.v3_api` / `sandbox.server.v1_api`; the admin endpoints `sandbox.server.admin`.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import threading
import time
from collections import Counter
from dataclasses import asdict
from http.server import ThreadingHTTPServer
from typing import Any, TypedDict

from sandbox.data import Organisation
from sandbox.server.errors import ApiError
from sandbox.server.faults import Faults, FaultSchedule
from sandbox.server.handler import Handler
from sandbox.server.limits import RateLimiter
from sandbox.server.query import Params, basic_credentials
from sandbox.server.settings import Settings
from sandbox.server.v1_api import v1_list
from sandbox.server.v3_api import v3_list
from sandbox.v1 import V1Renderer


class _Stats(TypedDict):
    """Request accounting since the last reset (see `SandboxServer.stats` for the JSON form)."""

    total: int
    by_endpoint: Counter[str]
    by_status: Counter[int]
    rate_limited: int
    tokens_issued: int
    faults: Counter[str]
    since: float


class _HTTPServer(ThreadingHTTPServer):
    """Keeps its open connections so that ``stop`` closes them, as a stopped process does
    (otherwise keep-alive connections are served on after the listening socket closed)."""

    daemon_threads = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self.connections_lock:
            open_now, self.connections = list(self.connections), set()
        for connection in open_now:
            with contextlib.suppress(OSError):  # already closed by its client
                connection.shutdown(socket.SHUT_RDWR)


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
        self.limiter: RateLimiter = RateLimiter(
            self.settings.rate_limit, self.settings.rate_window, self.settings.rate_mode
        )
        self.faults: Faults = self.settings.faults
        self._fault_schedule = FaultSchedule(self.faults)
        self.reset_stats()
        self.httpd: _HTTPServer | None = None
        self.thread: threading.Thread | None = None

    # ---- lifecycle -----------------------------------------------------------------------------
    def start(self, background: bool = True) -> SandboxServer:
        handler = type("Handler", (Handler,), {"sandbox": self})
        self.httpd = _HTTPServer((self.settings.host, self.settings.port), handler)
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
        """Stop listening and close every open connection (a client sees the server gone)."""
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd.close_connections()
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
            self._stats: _Stats = {
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
            self._fault_schedule = FaultSchedule(self.faults)
            return asdict(self.faults)

    def set_rate_limit(
        self, limit: int, window: float | None = None, mode: str | None = None
    ) -> dict[str, Any]:
        with self.lock:
            self.limiter.configure(int(limit), float(window or self.limiter.window), mode)
            return self.rate_limit()

    def rate_limit(self) -> dict[str, Any]:
        return {
            "limit": self.limiter.limit,
            "window": self.limiter.window,
            "mode": self.limiter.mode,
        }

    def expire_tokens(self) -> int:
        with self.lock:
            n = len(self.tokens)
            self.tokens.clear()
            return n

    def reset(self) -> dict[str, Any]:
        """Back to the start: the organisation rebuilt from its seed (undoing every advance),
        faults off, rate-limit window and statistics restarted. Issued tokens stay valid."""
        with self.data_lock:
            self.org = Organisation(
                seed=self.org.seed,
                candidates=self.org.size,
                odd_custom_field_keys=self.org.odd_custom_field_keys,
            )
            self.v1 = V1Renderer(self.org)
        self.set_faults(reset=True)
        with self.lock:
            self.limiter.configure(self.limiter.limit, self.limiter.window)
        self.reset_stats()
        return {"seed": self.org.seed, "candidates": self.org.size}

    def advance(self, fraction: float = 0.01) -> dict[str, Any]:
        with self.data_lock:
            return self.org.advance(fraction=fraction)

    def delete(self, entity: str, ids: list[int]) -> dict[str, list[int]]:
        """Delete records as a Greenhouse user does (cascading: `sandbox.data.deletion`)."""
        with self.data_lock:
            return self.org.delete(entity, ids)

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
            out = self._fault_schedule.next(endpoint)
            for key in out:
                self._stats["faults"][key] += 1
            return out

    # ---- auth ---------------------------------------------------------------------------------
    def issue_token(self, authorization: str | None, form: dict[str, list[str]]) -> dict[str, Any]:
        creds = basic_credentials(authorization)
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
        if self.faults.token_expires_in:  # a token host's unusable lifetime
            body["expires_in"] = self.faults.token_expires_in
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
        creds = basic_credentials(authorization)
        if creds is None or creds != (self.settings.api_token, ""):
            raise ApiError(401, {"message": "Invalid Basic Auth credentials"})

    # ---- lists ---------------------------------------------------------------------------------
    def v3_list(
        self, endpoint: str, params: Params, overlap: int = 0
    ) -> tuple[list[dict], str | None]:
        return v3_list(self.org, endpoint, params, overlap)

    def v1_list(
        self, endpoint: str, params: Params, job_id: int | None = None, overlap: int = 0
    ) -> tuple[list[dict], dict[str, int | None]]:
        return v1_list(self.org, self.v1, endpoint, params, job_id, overlap)
