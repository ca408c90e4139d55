"""Rate limiting: `limit` requests per `window` seconds, counted in fixed or sliding windows.

``fixed`` (the default): the budget refills when the window that started with the first request
has passed; every response says when (``X-RateLimit-Reset``). ``sliding``: a request is allowed if
fewer than `limit` requests were accepted in the last `window` seconds; responses carry only
``X-RateLimit-Limit`` / ``-Remaining`` (all Harvest v1 documents) and a 429 says ``Retry-After``,
the seconds until the oldest counted request leaves the window.
"""

from __future__ import annotations

import math
import time
from collections import deque

RATE_MODES = ("fixed", "sliding")


class RateLimiter:
    """`limit` requests per `window` seconds in a fixed or sliding window; 0 = unlimited."""

    UNLIMITED = 1_000_000

    def __init__(self, limit: int, window: float, mode: str = "fixed"):
        self.mode = mode
        self.configure(limit, window, mode)

    def configure(self, limit: int, window: float, mode: str | None = None) -> None:
        """New limit, window and (if given) mode; the count starts afresh."""
        mode = mode or self.mode
        if limit < 0 or window <= 0:
            raise ValueError("rate limit must be >= 0 and window > 0")
        if mode not in RATE_MODES:
            raise ValueError(f"rate mode must be one of {', '.join(RATE_MODES)}")
        self.limit, self.window, self.mode = limit, window, mode
        self.start, self.used = time.monotonic(), 0
        self.accepted: deque[float] = deque()  # sliding: when the counted requests were accepted

    def _roll(self, now: float) -> None:
        if self.mode == "sliding":
            while self.accepted and now - self.accepted[0] >= self.window:
                self.accepted.popleft()
            self.used = len(self.accepted)
        elif now - self.start >= self.window:
            self.start, self.used = now, 0

    def take(self) -> tuple[bool, dict[str, str]]:
        """Consume one request; returns (allowed, headers), with ``Retry-After`` when refused."""
        now = time.monotonic()
        self._roll(now)
        allowed = self.limit == 0 or self.used < self.limit
        if allowed and self.limit:
            self.used += 1
            if self.mode == "sliding":
                self.accepted.append(now)
        headers = self._headers(now)
        if not allowed:
            headers["Retry-After"] = str(self._seconds_to_slot(now))
        return allowed, headers

    def peek(self) -> dict[str, str]:
        """The headers of the current window without consuming a request (nor rolling it)."""
        return self._headers(time.monotonic())

    def _seconds_to_slot(self, now: float) -> int:
        """Whole seconds (rounded up, at least 1) until a request would be allowed again."""
        if self.mode == "sliding" and self.accepted:
            opens = self.accepted[0] + self.window
        else:
            opens = self.start + self.window
        return max(1, math.ceil(opens - now))

    def _headers(self, now: float) -> dict[str, str]:
        if self.limit == 0:
            limit = remaining = self.UNLIMITED
        else:
            limit, remaining = self.limit, max(0, self.limit - self.used)
        headers = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining)}
        if self.mode == "fixed":
            headers["X-RateLimit-Reset"] = str(self._seconds_to_slot(now))
        return headers
