"""HTTP plumbing of the sandbox (stdlib `BaseHTTPRequestHandler`) and its routing table.

Routes (one port), matched in order against the request path without trailing slashes:

    POST     /token                   v3 OAuth client-credentials token endpoint
    GET|POST /_admin/<action>         the admin table of `sandbox.server.admin`
    GET      /v1|v3/<endpoint>        API lists (v1 also: /v1/jobs/<id>/openings)

Faults stay possible because the handler owns the socket: a dropped connection closes it without
a response, a truncated body sends half the JSON with the full Content-Length.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

try:  # optional speed-up; the stdlib encoder produces the same JSON
    import orjson
except ImportError:  # pragma: no cover - orjson ships with dlt
    orjson = None  # type: ignore[assignment]  # None marks the stdlib fallback

from sandbox.server.admin import run_admin
from sandbox.server.errors import ApiError
from sandbox.server.faults import BAD_IDS
from sandbox.server.query import Params
from sandbox.server.v1_api import v1_link

if TYPE_CHECKING:
    from sandbox.server.core import SandboxServer

_V1_JOB_OPENINGS = re.compile(r"jobs/(?P<job>[^/]*)/openings")


def _dumps(body: Any) -> bytes:
    """Compact UTF-8 JSON; orjson (installed with dlt) when present: ~5x faster on big pages."""
    if orjson is not None:
        return orjson.dumps(body)
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


class Handler(BaseHTTPRequestHandler):
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
        self._send_raw(status, payload, headers)

    def _send_raw(
        self,
        status: int,
        payload: bytes,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json; charset=utf-8",
    ) -> None:
        headers = dict(headers or {})
        faults = self.sandbox.faults
        if status == 429 and faults.bare_429:  # seen in the wild: 429 without X-RateLimit-*
            headers = {k: v for k, v in headers.items() if not k.startswith("X-RateLimit-")}
        if faults.header_case_quirk:  # seen in the wild: X-Ratelimit-Limit
            headers = {k.replace("X-RateLimit-", "X-Ratelimit-"): v for k, v in headers.items()}
        self.send_response(status)
        self.send_header("Content-Type", content_type)
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

    def _base(self) -> str:
        host = self.headers.get("Host") or f"{self.sandbox.settings.host}:{self.sandbox.port}"
        return f"http://{host}"

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        path = url.path.rstrip("/")
        params = parse_qs(url.query, keep_blank_values=True)
        try:
            for route_method, pattern, route in ROUTES:
                match = pattern.fullmatch(path)
                if route_method == method and match is not None:
                    route(self, match, params)
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

    # -- routes --
    def token(self, match: re.Match[str], params: Params) -> None:
        form = parse_qs(self._read_body().decode(errors="replace"))
        body = self.sandbox.issue_token(self.headers.get("Authorization"), form)
        self._send(200, body, {"Cache-Control": "no-store"})

    def admin(self, match: re.Match[str], params: Params) -> None:
        method = self.command
        body = self._read_body() if method == "POST" else b""
        status, payload = run_admin(self.sandbox, method, match["action"], body, params)
        self._send(status, payload)

    def api(self, match: re.Match[str], params: Params) -> None:
        """An API list, through the faults and the rate limiter first, then auth."""
        sb = self.sandbox
        version, endpoint = match["version"], match["endpoint"]
        path = f"{version}/{endpoint}"
        job_id = None
        openings = _V1_JOB_OPENINGS.fullmatch(endpoint) if version == "v1" else None
        if openings is not None:
            endpoint = "openings"
            try:
                job_id = int(openings["job"])
            except ValueError:
                job_id = -1
        label = f"{version}/{endpoint}"
        fault = sb.next_fault(label)
        if fault.get("drop"):
            sb.record(label, 0)
            self._drop()
            return
        if fault.get("slow"):
            time.sleep(fault["slow"])
        if "storm" in fault:
            headers = {"Retry-After": str(fault["storm"])} | sb.limiter.peek()
            sb.record(label, 429)
            self._send(429, {"message": "Too Many Requests (sandbox 429 storm)"}, headers)
            return
        with sb.lock:
            allowed, rl_headers = sb.limiter.take()
        if not allowed:
            sb.record(label, 429)
            self._send(429, {"message": "Too Many Requests"}, rl_headers)  # with Retry-After
            return
        if fault.get("echo_headers"):  # a gateway repeating the request in its error body
            sb.record(label, 400)
            echoed = "; ".join(f"{name}: {value}" for name, value in self.headers.items())
            body = {"message": f"Bad Request: {self.command} {self.path} ({echoed})"}
            self._send(400, body, rl_headers)
            return
        if "redirect" in fault:  # a proxy sending the client elsewhere, before any auth
            sb.record(label, 302)
            location = f"{fault['redirect']}{self.path}"
            self._send(302, {"message": "Found"}, rl_headers | {"Location": location})
            return
        try:
            if version == "v3":
                sb.check_v3_auth(self.headers.get("Authorization"))
            else:
                sb.check_v1_auth(self.headers.get("Authorization"))
            if fault.get("forbidden"):
                raise ApiError(403, {"message": f"Forbidden: no permission for {label}"})
            if fault.get("error"):
                raise ApiError(500, {"message": "Internal Server Error (sandbox fault)"})
            if fault.get("empty"):  # an account with nothing there yet: one empty page
                sb.record(label, 200)
                self._send(200, [], dict(rl_headers))
                return
            headers = dict(rl_headers)
            if fault.get("ignore_window"):  # as if the time-window filter had not been sent
                params = {k: v for k, v in params.items() if not _window_param(k)}
            overlap = int(fault.get("overlap", 0))
            if version == "v3":
                with sb.data_lock:  # advance() may be changing the organisation concurrently
                    records, cursor = sb.v3_list(endpoint, params, overlap)
                if cursor is not None:
                    headers["Link"] = f'<{self._base()}/v3/{endpoint}?cursor={cursor}>; rel="next"'
                more = cursor is not None
            else:
                with sb.data_lock:
                    records, info = sb.v1_list(endpoint, params, job_id, overlap)
                link = v1_link(self._base(), path, params, info)
                if link:
                    headers["Link"] = link
                more = int(info["page"] or 1) < int(info["last"] or 1)
            if overlap and more and records:  # served again, as it is now, on the next page
                records = [*records[:-1], _as_before_its_last_change(records[-1])]
            records = _hostile_records(records, fault)
            if fault.get("empty_list"):  # a listing with nothing in it, and nothing after it
                records = []
                headers.pop("Link", None)
            if fault.get("cut_list"):  # the listing ends here: no rel="next" (others kept)
                _drop_next_link(headers)
            if fault.get("nul_text"):
                records = [with_nul(record) for record in records]
            if fault.get("repeat_next"):  # a next link back to the page just served
                headers["Link"] = f'<{self._base()}{self.path}>; rel="next"'
            sb.record(label, 200)
            if "bad_body" in fault:
                payload, content_type = _bad_body(fault["bad_body"], records)
                self._send_raw(200, payload, headers, content_type)
                return
            self._send(200, records, headers, truncate=bool(fault.get("truncate")))
        except ApiError as exc:
            sb.record(label, exc.status)
            self._send(exc.status, exc.body, rl_headers | exc.headers)


def _hostile_records(records: list[dict], fault: dict[str, Any]) -> list[dict]:
    """The page with its first record's cursor fields replaced (bad_cursor / future_cursor) and
    one of its fields served as a value of another type (drift), or its id removed or served as
    no integer (bad_id)."""
    value = fault.get("bad_cursor") or fault.get("future_cursor")
    if (value is None and "drift" not in fault and "bad_id" not in fault) or not records:
        return records
    first = dict(records[0])  # a copy: the organisation's own record stays as it is
    if value is not None:
        for name in ("updated_at", "last_activity_at"):
            if name in first:
                first[name] = value
    if "drift" in fault:
        column, drifted = fault["drift"]
        first[column] = drifted
    if fault.get("bad_id") == "missing":
        first.pop("id", None)
    elif "bad_id" in fault:
        first["id"] = BAD_IDS[fault["bad_id"]]
    return [first, *records[1:]]


def _drop_next_link(headers: dict[str, str]) -> None:
    links = [part for part in headers.get("Link", "").split(",") if 'rel="next"' not in part]
    if any(links):
        headers["Link"] = ",".join(links)
    else:
        headers.pop("Link", None)


# the text fields a NUL goes into (the first one a record has with a non-empty value)
NUL_TEXT_FIELDS = ("notes", "name", "title", "first_name", "body", "subject")


def _nul_in_first_string(value: Any) -> tuple[Any, bool]:
    """A copy of a JSON value with U+0000 in the middle of its first non-empty string."""
    if isinstance(value, str) and value:
        middle = len(value) // 2
        return value[:middle] + "\x00" + value[middle:], True
    if isinstance(value, dict):
        for key in sorted(value):
            changed, done = _nul_in_first_string(value[key])
            if done:
                return {**value, key: changed}, True
    if isinstance(value, list):
        for index, item in enumerate(value):
            changed, done = _nul_in_first_string(item)
            if done:
                return [*value[:index], changed, *value[index + 1 :]], True
    return value, False


def with_nul(record: dict) -> dict:
    """A copy of the record with U+0000 inside one text field and one custom field value
    (removing every NUL gives the record back as it was)."""
    out = dict(record)
    for name in NUL_TEXT_FIELDS:
        if isinstance(out.get(name), str) and out[name]:
            out[name], _ = _nul_in_first_string(out[name])
            break
    for name in ("custom_fields", "keyed_custom_fields"):
        if out.get(name):
            out[name], _ = _nul_in_first_string(out[name])
    return out


def _as_before_its_last_change(record: dict) -> dict:
    """A copy of the record with its cursor fields one day earlier (a stale read of it)."""
    stale = dict(record)
    for name in ("updated_at", "last_activity_at"):
        value = stale.get(name)
        if isinstance(value, str):
            earlier = datetime.fromisoformat(value) - timedelta(days=1)
            text = earlier.astimezone(UTC).isoformat(timespec="milliseconds")
            stale[name] = text.replace("+00:00", "Z")
    return stale


def _bad_body(kind: str, records: list[dict]) -> tuple[bytes, str]:
    """A 200 body that is not a JSON array: what captive portals, proxies and gateways send."""
    if kind == "empty":
        return b"", "application/json; charset=utf-8"
    if kind == "html":
        page = b"<!DOCTYPE html><html><head><title>Sign in to the network</title></head>"
        return page + b"<body><form>...</form></body></html>", "text/html; charset=utf-8"
    return _dumps({"status": "ok", "data": records}), "application/json; charset=utf-8"


Route = Callable[[Handler, re.Match[str], Params], None]
# (method, path pattern) -> handler; the first full match wins
ROUTES: tuple[tuple[str, re.Pattern[str], Route], ...] = (
    ("POST", re.compile(r"/token"), Handler.token),
    ("GET", re.compile(r"/_admin/(?P<action>.+)"), Handler.admin),
    ("POST", re.compile(r"/_admin/(?P<action>.+)"), Handler.admin),
    ("GET", re.compile(r"/*(?P<version>v1|v3)/(?P<endpoint>.+)"), Handler.api),
)


def _window_param(name: str) -> bool:
    """A time-window filter: v3 ``updated_at`` / ``created_at``, v1 ``*_after`` / ``*_before``."""
    return name in ("updated_at", "created_at") or name.endswith(("_after", "_before"))
