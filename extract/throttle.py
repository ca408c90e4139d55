"""Proactive, shared rate limiting and request accounting for every HTTP call of a run.

Why this is written around dlt: dlt's requests ``Client`` retries 429/5xx/dropped connections and
honours ``Retry-After`` (we use that), but it has no hook that acts *before* a request on
the ``X-RateLimit-Remaining`` / ``-Reset`` / ``-Limit`` headers. Without one, parallel resources
burn the budget and collect 429s. The only place that sees every attempt (first tries, dlt's
retries and the token-refresh re-send) is the transport adapter, so the limiter lives in an
``HTTPAdapter`` subclass mounted into dlt's session. One ``RateLimiter`` is shared by all threads.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson
from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter
from requests.exceptions import ConnectionError, ConnectTimeout, SSLError
from urllib3.exceptions import NameResolutionError, NewConnectionError

from extract.errors import TruncatedResponseError, UnreachableHostError

# Start a new window this long after the advertised reset, so clock granularity on the server
# side never turns our first request of the window into a 429.
RESET_SAFETY_SECONDS = 0.25
# Epoch-looking reset values (seconds since 1970) vs. "seconds until reset".
EPOCH_THRESHOLD = 1_000_000_000
# Harvest documents its limit as "per 10 seconds" and sends no reset time on successful responses
# (a server may count a sliding window). Without an advertised reset this is the window we wait on.
RATE_WINDOW_SECONDS = 10.0


def _header_number(response: Response, name: str) -> float | None:
    # requests' headers are a CaseInsensitiveDict: X-Ratelimit-Limit == X-RateLimit-Limit.
    value = response.headers.get(name)
    if value is None:
        return None
    try:
        return float(value.strip())
    except ValueError:
        return None


@dataclass
class RequestStats:
    """Counters for the run summary; updated from every thread."""

    requests: int = 0
    rate_limited: int = 0  # 429 responses received
    retried_errors: int = 0  # 5xx, dropped connections, truncated bodies
    waited_seconds: float = 0.0  # time spent waiting for the rate limit (proactive + Retry-After)
    by_status: Counter[int] = field(default_factory=Counter)
    # per request path (``/v3/applications``), for the live progress: requests blocked by the
    # limiter right now, seconds each path's requests spent blocked (paths wait at the same
    # time, so these add up to more than ``waited_seconds``), 429s
    waiting: Counter[str] = field(default_factory=Counter)
    waited_by_path: dict[str, float] = field(default_factory=dict)
    rate_limited_by_path: Counter[str] = field(default_factory=Counter)
    # connections that could not be opened (refused, unknown host) to a host that had answered:
    # per request path, and per host since when it has not answered (cleared by an answer)
    no_connection_by_path: Counter[str] = field(default_factory=Counter)
    down_since: dict[str, tuple[float, str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **deltas: float) -> None:
        with self._lock:
            for name, delta in deltas.items():
                setattr(self, name, getattr(self, name) + delta)

    def status(self, code: int) -> None:
        with self._lock:
            self.by_status[code] += 1

    def wait_started(self, path: str) -> None:
        with self._lock:
            self.waiting[path] += 1

    def wait_ended(self, path: str, seconds: float) -> None:
        with self._lock:
            self.waiting[path] -= 1
            self.waited_by_path[path] = self.waited_by_path.get(path, 0.0) + seconds

    def limited(self, path: str) -> None:
        """A 429 on ``path``."""
        with self._lock:
            self.rate_limited += 1
            self.rate_limited_by_path[path] += 1

    def no_connection(self, host: str, path: str, reason: str) -> float:
        """A connection to ``host`` (which had answered) could not be opened; returns how long
        it has been failing: the seconds since the first such failure after its last answer."""
        with self._lock:
            now = time.monotonic()
            self.no_connection_by_path[path] += 1
            started, _ = self.down_since.get(host, (now, reason))
            self.down_since[host] = (started, reason)
            return now - started

    def hosts_down(self) -> dict[str, tuple[float, str]]:
        """host -> (since when, why) for the hosts that answered and now open no connection."""
        with self._lock:
            return dict(self.down_since)

    def answered(self, host: str) -> None:
        if host in self.down_since:
            with self._lock:
                self.down_since.pop(host, None)

    def since(self, before: dict[str, Any]) -> dict[str, Any]:
        """``as_dict`` less an earlier ``as_dict``: the requests of one part of a run."""
        now = self.as_dict()
        return {name: round(now[name] - before[name], 2) for name in now}

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "rate_limited_429": self.rate_limited,
            "retried_errors": self.retried_errors,
            "rate_limit_wait_seconds": round(self.waited_seconds, 2),
        }


class RateLimiter:
    """Budget from the server's own headers; blocks callers before the budget is exhausted.

    State is the last known ``remaining`` count and when the window resets. A caller may send when
    ``remaining - in_flight > reserve``; otherwise it sleeps until the reset. A 429 pauses every
    thread until its ``Retry-After``. With no headers seen (an unlimited server) nothing waits.

    A server that never advertises a reset (Harvest documents only ``-Limit`` and ``-Remaining``,
    and may count a sliding window) is not probed. The limiter keeps the send times of its own
    requests of the last window: an exhausted budget waits until the oldest of the last ``limit``
    of them is a window (``RATE_WINDOW_SECONDS``) old, or, when our own requests cannot explain the
    exhaustion (something else spends the budget), a window after the server said so. A 429's
    ``Retry-After`` opens a slot when it ends.
    """

    def __init__(self, stats: RequestStats, reserve: int = 0) -> None:
        self._cond = threading.Condition()
        self._stats = stats
        self._reserve = reserve
        self.window = RATE_WINDOW_SECONDS  # the window we assume when no reset is advertised
        self.limit: float | None = None
        self.remaining: float | None = None
        self.reset_at: float | None = None  # time.monotonic() of the next window
        self.resets_advertised = False  # has any response said when its window resets?
        self.pause_until = 0.0
        self.in_flight = 0
        self.epoch = 0
        self._budget_waiters = 0
        self._budget_wait_started = 0.0
        # No reset advertised: the send times of our requests of the last window (oldest first),
        # when a response last said how much is left, until when the server's window holds
        # requests that are not ours, and the end of the last 429's Retry-After.
        self.sent: deque[float] = deque()
        self.observed_at = 0.0
        self.others_until = 0.0
        self.slot_at: float | None = None
        self._sending = threading.local()  # this thread's send time, for its response

    def acquire(self) -> int:
        """Block until a request may be sent; returns the window epoch it is sent in."""
        with self._cond:
            while True:
                now = time.monotonic()
                if now < self.pause_until:
                    # a 429's Retry-After (counted where the 429 arrived)
                    self._wait(self.pause_until - now, counted=False)
                    continue
                if self.reset_at is not None and now >= self.reset_at + RESET_SAFETY_SECONDS:
                    # The window is over: assume the full budget until a response says more.
                    # Responses to requests sent before this point describe the old window
                    # and must not overwrite what the new window's responses say (epoch).
                    self.epoch += 1
                    self.remaining = self.limit
                    self.reset_at = None
                    continue
                if self.remaining is None or self.remaining - self.in_flight > self._reserve:
                    break
                if self.reset_at is not None:
                    self._wait(self.reset_at + RESET_SAFETY_SECONDS - now, counted=True)
                elif self.resets_advertised:
                    # between windows of a server that sends resets: the next response tells
                    probe = not self.in_flight
                    self._wait(1.0, counted=True)
                    if probe:
                        self.remaining = None
                elif now < (opens_at := self._next_slot(now)):
                    self._wait(opens_at - now, counted=True)  # a response may wake us earlier
                else:
                    self._open_slot(now)
            self.in_flight += 1
            self._forget_old_sends(now)
            self.sent.append(now)
            self._sending.at = now
            return self.epoch

    def _forget_old_sends(self, now: float) -> None:
        while self.sent and now - self.sent[0] >= self.window:
            self.sent.popleft()

    def _next_slot(self, now: float) -> float:
        """When a request may be sent again: budget exhausted, no reset ever advertised."""
        if self.slot_at is not None:
            return self.slot_at + RESET_SAFETY_SECONDS  # the server's word (Retry-After)
        self._forget_old_sends(now)
        if self.limit is None:
            # everything the server counted when it last spoke has left the window a window later
            return self.observed_at + self.window + RESET_SAFETY_SECONDS
        slots = max(1, int(self.limit) - self._reserve)
        # Sliding window: a slot opens when the oldest of our last `slots` requests leaves it
        # (and not before the requests of others, if any were counted, have left it).
        opens = self.others_until
        if len(self.sent) >= slots:
            opens = max(opens, self.sent[-slots] + self.window)
        return max(now, opens + RESET_SAFETY_SECONDS)

    def _open_slot(self, now: float) -> None:
        """The next slot is open: the budget is the limit less our requests still in the window.

        Like a rollover: responses to requests sent before now may only lower it (epoch)."""
        self._forget_old_sends(now)
        self.epoch += 1
        told_by_server, self.slot_at = self.slot_at is not None, None
        if self.limit is None:
            self.remaining = None  # nothing to go by but the next response
            return
        # `remaining` leaves out in-flight requests (callers subtract them); `sent` holds them
        remaining = self.limit - len(self.sent) + self.in_flight
        if told_by_server or remaining - self.in_flight <= self._reserve:
            remaining = max(remaining, self.in_flight + self._reserve + 1)
        self.remaining = remaining

    def _wait(self, seconds: float, counted: bool) -> None:
        """Sleep (lock released); waits overlapping across threads count once (wall clock)."""
        if counted:
            if self._budget_waiters == 0:
                self._budget_wait_started = time.monotonic()
            self._budget_waiters += 1
        try:
            self._cond.wait(timeout=seconds)
        finally:
            if counted:
                self._budget_waiters -= 1
                if self._budget_waiters == 0:
                    self._stats.add(waited_seconds=time.monotonic() - self._budget_wait_started)

    def release(self, response: Response | None, epoch: int, sent: bool = True) -> None:
        """``sent=False``: no connection could be opened, so the server counted nothing (and
        the budget must not shrink: that would turn a host that is down into rate-limit
        waits)."""
        with self._cond:
            self.in_flight -= 1
            if response is not None:
                self._observe(response, fresh=epoch == self.epoch)
            elif not sent:
                self._forget_send()
            elif self.remaining is not None:
                # no answer (a dropped connection): the server may have counted it, and the
                # budget left it out while it was in flight
                self.remaining -= 1
            self._cond.notify_all()

    def _observe(self, response: Response, fresh: bool = True) -> None:
        now = time.monotonic()
        limit = _header_number(response, "X-RateLimit-Limit")
        remaining = _header_number(response, "X-RateLimit-Remaining")
        reset = _header_number(response, "X-RateLimit-Reset")
        if limit is not None:
            self.limit = limit
        reset_at: float | None = None
        if reset is not None:
            seconds = reset - time.time() if reset > EPOCH_THRESHOLD else reset
            reset_at = now + max(0.0, seconds)  # an upper bound: servers round the reset up
            self.resets_advertised = True
        if response.status_code == 429:
            self._forget_send()  # refused: not counted in the server's window
        elif remaining is None and limit is None:
            self._forget_send()  # not rate limited (a token endpoint, an unlimited server)
        else:
            self._count_send_at_answer(now)
        if remaining is not None:
            if not fresh:
                # sent before our window rolled over (or a slot opened): it can only make us
                # more careful. The budget set then left it out as in flight; counted by the
                # server (not a 429), it takes one of it now that it is no longer in flight.
                if self.remaining is not None:
                    counted = 0 if response.status_code == 429 else 1
                    self.remaining = min(self.remaining - counted, remaining)
            elif (
                self.remaining is None
                or (self.reset_at is None and self.resets_advertised)
                or (
                    reset_at is not None
                    and self.reset_at is not None
                    and reset_at > self.reset_at + 1.0
                )
            ):
                # first word on this window (or the server started a new one already)
                self.remaining = remaining
                self.reset_at = reset_at
            else:
                # same window; responses arrive out of order across threads: lowest wins
                # (without resets the budget only grows as our slots open: see _open_slot)
                self.remaining = min(self.remaining, remaining)
                if reset_at is not None and self.reset_at is not None:
                    self.reset_at = min(self.reset_at, reset_at)
            self.observed_at = now
            self._note_others(now, remaining)
        if response.status_code == 429:
            self._observe_429(response, reset_at, now)

    def _note_others(self, now: float, remaining: float) -> None:
        """Does the server count more requests than we sent in the last window? (No resets.)"""
        if self.limit is None or self.resets_advertised:
            return
        self._forget_old_sends(now)
        if self.limit - remaining > len(self.sent):
            # someone else spends the budget too (or did before we started): all the server
            # counted now has left its window a window later
            self.others_until = now + self.window

    def _observe_429(self, response: Response, reset_at: float | None, now: float) -> None:
        # Retry-After rules; without it, wait for the advertised reset (or, from a server that
        # sends resets, 1 s; from one that never does, the next slot we can tell: _next_slot).
        retry_after = _header_number(response, "Retry-After")
        if retry_after is None:
            if reset_at is not None:
                retry_after = reset_at - now
                self.remaining = 0
            elif self.resets_advertised:
                retry_after, self.remaining = 1.0, None
            else:
                retry_after, self.remaining, self.observed_at = 0.0, 0, now
                self._note_others(now, 0)
        elif not self.resets_advertised:
            self.remaining = 0
            self.slot_at = max(self.slot_at or 0.0, now + max(retry_after, 0.0))
        pause = max(retry_after, 0.0)
        # Count only the extension of the shared pause, not every thread's copy of it.
        extension = max(0.0, now + pause - max(self.pause_until, now))
        self.pause_until = max(self.pause_until, now + pause)
        self._stats.add(waited_seconds=extension)

    def _count_send_at_answer(self, now: float) -> None:
        """A sliding-window server counts a request from when it arrived, which is after our
        send time by however long the request took to get there (seconds on a loaded machine)
        and before its answer: from the answer on, the request's place in our window is the
        answer's time, so a slot we compute never opens before the server's does."""
        if self._forget_send():
            self.sent.insert(bisect.bisect(self.sent, now), now)

    def _forget_send(self) -> bool:
        """Drop this thread's last send time from the window (the server did not count it, or
        it moves to the answer's time); False when it is not there (already out of it)."""
        sent_at = getattr(self._sending, "at", None)
        self._sending.at = None
        if sent_at is None or sent_at not in self.sent:
            return False
        self.sent.remove(sent_at)
        return True


def _host(url: str | None) -> str:
    parts = urlsplit(url or "")
    host = parts.hostname or "?"
    return f"{host}:{parts.port}" if parts.port else host


def connect_failure(exc: ConnectionError) -> str | None:
    """Why a connection could not be opened at all, or None for other connection errors (a
    connection dropped while waiting for the response is the server's doing, not the URL's)."""
    if isinstance(exc, SSLError):
        return "TLS handshake failed"
    if isinstance(exc, ConnectTimeout):
        return "connection timed out"
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(reason, NameResolutionError):
        return "host name not found"
    if isinstance(reason, NewConnectionError):
        return "connection refused" if "refused" in str(reason).lower() else "no connection"
    return None


class FirstContactAdapter(HTTPAdapter):
    """Fails fast when a host has never answered: a refused connection, an unknown host name or
    a failed TLS handshake on the first contact raise ``UnreachableHostError`` (not retried by
    dlt's ``Client``) naming the host and ``variable``, the setting that points there. Once the
    host has answered, the same errors are plain ``ConnectionError``s that dlt retries (a server
    restarting mid-run) for up to ``unreachable_seconds``; a host still refusing after that
    raises ``UnreachableHostError`` too. An adapter because it is the one place that sees every
    attempt."""

    def __init__(
        self,
        variable: str = "GREENHOUSE_BASE_URL",
        unreachable_seconds: float = 60.0,
        stats: RequestStats | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.variable = variable
        self.unreachable_seconds = unreachable_seconds
        self.stats = stats or RequestStats()
        self.answered: set[str] = set()  # hosts that sent a response (set.add is thread-safe)

    def send(self, request: PreparedRequest, *args: Any, **kwargs: Any) -> Response:
        host = _host(request.url)
        try:
            response = super().send(request, *args, **kwargs)
        except ConnectionError as exc:
            reason = connect_failure(exc)
            if reason is not None:
                if host not in self.answered:
                    raise UnreachableHostError(host, self.variable, reason) from None
                path = urlsplit(request.url or "").path
                down = self.stats.no_connection(host, path, reason)
                if down >= self.unreachable_seconds:
                    raise UnreachableHostError(
                        host, self.variable, f"{reason} for {down:.0f}s after it had answered"
                    ) from None
            raise
        self.answered.add(host)
        self.stats.answered(host)
        return response


class ThrottledAdapter(FirstContactAdapter):
    """Throttles, counts and checks every attempt (see module docstring for why an adapter)."""

    def __init__(self, limiter: RateLimiter, stats: RequestStats, **kwargs: Any) -> None:
        super().__init__(stats=stats, **kwargs)
        self.limiter = limiter

    def send(self, request: PreparedRequest, *args: Any, **kwargs: Any) -> Response:
        path = urlsplit(request.url or "").path
        self.stats.wait_started(path)
        started = time.monotonic()
        try:
            epoch = self.limiter.acquire()
        finally:
            self.stats.wait_ended(path, time.monotonic() - started)
        try:
            response = super().send(request, *args, **kwargs)
        except Exception as exc:
            # a connection never opened reached no server: not counted against the budget
            opened = not (isinstance(exc, ConnectionError) and connect_failure(exc))
            opened = opened and not isinstance(exc, UnreachableHostError)
            self.limiter.release(None, epoch, sent=opened)
            self.stats.add(requests=1, retried_errors=1)
            raise
        self.limiter.release(response, epoch)
        self.stats.add(requests=1)
        self.stats.status(response.status_code)
        if response.status_code == 429:
            self.stats.limited(path)
        elif response.status_code >= 500:
            self.stats.add(retried_errors=1)
        elif response.status_code == 200 and "json" in response.headers.get("Content-Type", "json"):
            _parse_once(response, self.stats)
        return response


def _parse_once(response: Response, stats: RequestStats) -> None:
    """Parse the body here so a truncated JSON body becomes a retryable error, not a crash.

    The parsed value is cached on the response so ``response.json()`` (called by dlt's
    RESTClient and paginators) does not parse the same body twice.
    """
    try:
        body = response.content  # may raise ChunkedEncodingError on a dropped connection: retried
        parsed = orjson.loads(body) if body else None  # orjson: a dlt dependency, ~3x json
    except ValueError:  # orjson.JSONDecodeError is a ValueError
        stats.add(retried_errors=1)
        raise TruncatedResponseError(
            f"truncated JSON body from {response.request.method} "
            f"{_redacted_url(response.request.url)}"
        ) from None
    response.json = lambda **_: parsed  # type: ignore[method-assign]  # reuse the parsed body


def _redacted_url(url: str | None) -> str:
    # Harvest URLs carry no secrets (credentials travel in headers), but cut long cursors.
    url = url or ""
    return url if len(url) < 200 else url[:200] + "..."
