"""Rate limiting: a fixed window of `limit` requests per `window` seconds, with its headers."""

from __future__ import annotations

import math
import time


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

    def peek(self) -> dict[str, str]:
        """The headers of the current window without consuming a request (nor rolling it)."""
        now = time.monotonic()
        reset = max(1, math.ceil(self.start + self.window - now))
        if self.limit == 0:
            return {
                "X-RateLimit-Limit": str(self.UNLIMITED),
                "X-RateLimit-Remaining": str(self.UNLIMITED),
                "X-RateLimit-Reset": str(reset),
            }
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(0, self.limit - self.used)),
            "X-RateLimit-Reset": str(reset),
        }
