"""The Harvest-compatible HTTP server (stdlib `ThreadingHTTPServer`).

    core.py        SandboxServer: lifecycle, tokens, counters, admin operations
    handler.py     HTTP plumbing and the routing table
    admin.py       the /_admin/<action> table
    v3_api.py      v3 endpoints, filters, cursor pagination
    v1_api.py      v1 endpoints, filters, page numbers and Link headers
    query.py       query-parameter parsing, cursors, Basic credentials
    limits.py      the fixed-window rate limiter
    faults.py      fault switches and the per-request fault schedule
    settings.py    Settings (credentials, token style, rate limit, faults)
    errors.py      ApiError and the 422 validation error

See docs/sandbox.md for every knob and the exact error bodies.
"""

from sandbox.server.core import SandboxServer
from sandbox.server.errors import ApiError
from sandbox.server.faults import Faults
from sandbox.server.limits import RateLimiter
from sandbox.server.settings import Settings
from sandbox.server.v3_api import V3_ENDPOINTS

__all__ = ["V3_ENDPOINTS", "ApiError", "Faults", "RateLimiter", "SandboxServer", "Settings"]
