"""The shared rate limiter's reading of the rate-limit headers (no network, no timing asserts)."""

from __future__ import annotations

import time

import pytest
from requests import Response
from requests.structures import CaseInsensitiveDict

from extract import throttle
from extract.throttle import RESET_SAFETY_SECONDS, RateLimiter, RequestStats


def _response(status: int = 200, **headers: str) -> Response:
    r = Response()
    r.status_code = status
    r.headers = CaseInsensitiveDict({k.replace("_", "-"): v for k, v in headers.items()})
    return r


def _limiter() -> RateLimiter:
    return RateLimiter(RequestStats())


def test_headers_are_case_insensitive():
    limiter = _limiter()
    epoch = limiter.acquire()
    limiter.release(
        _response(
            200,
            **{"x_ratelimit_limit": "50", "X_RATELIMIT_REMAINING": "7", "x_Ratelimit_Reset": "9"},
        ),
        epoch,
    )
    assert (limiter.limit, limiter.remaining) == (50, 7)
    assert limiter.reset_at is not None and limiter.reset_at - time.monotonic() > 8


def test_epoch_reset_values_are_understood():
    limiter = _limiter()
    epoch = limiter.acquire()
    limiter.release(
        _response(
            X_RateLimit_Limit="40",
            X_RateLimit_Remaining="39",
            X_RateLimit_Reset=str(int(time.time()) + 20),
        ),
        epoch,
    )
    assert limiter.reset_at is not None and 15 < limiter.reset_at - time.monotonic() <= 21


def test_lowest_remaining_of_one_window_wins_and_in_flight_counts():
    limiter = _limiter()
    epochs = [limiter.acquire() for _ in range(3)]
    assert limiter.in_flight == 3
    limiter.release(_response(X_RateLimit_Remaining="5", X_RateLimit_Reset="9"), epochs[0])
    # an older response of the same window arriving late must not raise the budget
    limiter.release(_response(X_RateLimit_Remaining="8", X_RateLimit_Reset="9"), epochs[1])
    assert limiter.remaining == 5
    assert limiter.in_flight == 1


def test_responses_from_before_a_rollover_do_not_reset_the_new_window():
    limiter = _limiter()
    epoch = limiter.acquire()
    limiter.release(
        _response(X_RateLimit_Limit="10", X_RateLimit_Remaining="10", X_RateLimit_Reset="9"), epoch
    )
    old = limiter.acquire()
    # the window ends (as if its reset time had passed) while `old` is still in flight
    limiter.reset_at = time.monotonic() - 1
    new = limiter.acquire()
    assert new == old + 1 and limiter.remaining == 10 and limiter.reset_at is None
    limiter.release(_response(X_RateLimit_Remaining="4", X_RateLimit_Reset="9"), new)
    # the stale answer (old window, remaining 0, reset long past) is only allowed to lower it
    limiter.release(_response(X_RateLimit_Remaining="0", X_RateLimit_Reset="0"), old)
    assert limiter.remaining == 0
    assert limiter.reset_at is not None and limiter.reset_at > time.monotonic()


def test_429_pauses_everyone_for_retry_after():
    stats = RequestStats()
    limiter = RateLimiter(stats)
    epoch = limiter.acquire()
    limiter.release(_response(429, Retry_After="3"), epoch)
    assert 2 < limiter.pause_until - time.monotonic() <= 3
    assert 2.9 < stats.waited_seconds <= 3


def test_429_without_retry_after_waits_for_the_reset():
    limiter = _limiter()
    epoch = limiter.acquire()
    limiter.release(_response(429, X_RateLimit_Remaining="0", X_RateLimit_Reset="4"), epoch)
    assert 3 < limiter.pause_until - time.monotonic() <= 4
    assert limiter.remaining == 0


def test_no_headers_means_no_waiting():
    limiter = _limiter()
    for _ in range(100):
        limiter.release(_response(), limiter.acquire())
    assert limiter.remaining is None and limiter.in_flight == 0


class _FakeClock:
    """time.monotonic() of the throttle module, advanced by the limiter's own waits."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, limiter: RateLimiter) -> None:
        self.now = 1000.0
        self.waits: list[float] = []
        monkeypatch.setattr(throttle.time, "monotonic", lambda: self.now)

        def wait(seconds: float, counted: bool) -> None:
            self.waits.append(round(seconds, 2))
            self.now += seconds

        monkeypatch.setattr(limiter, "_wait", wait)


def _sliding(status: int = 200, remaining: int = 0, **headers: str) -> Response:
    """A response of a server that never says when its window resets."""
    return _response(status, X_RateLimit_Limit="5", X_RateLimit_Remaining=str(remaining), **headers)


def _send(limiter: RateLimiter, clock: _FakeClock, response: Response) -> float:
    """One request: returns (relative to the start) when it was sent."""
    epoch = limiter.acquire()
    sent = clock.now
    limiter.release(response, epoch)
    return round(sent - 1000.0, 2)


def test_no_reset_waits_until_our_oldest_request_leaves_the_window(monkeypatch):
    limiter = _limiter()
    clock = _FakeClock(monkeypatch, limiter)
    sent = []
    for remaining in (4, 3, 2, 1, 0):
        sent.append(_send(limiter, clock, _sliding(remaining=remaining)))
        clock.now += 1
    assert sent == [0, 1, 2, 3, 4]
    # exhausted at t = 5: the slot of the request of t = 0 opens at 10 (+ the safety margin)
    assert _send(limiter, clock, _sliding(remaining=0)) == 10 + RESET_SAFETY_SECONDS
    # and the next one when the request of t = 1 is 10 s old: one wait each, never a probe
    assert _send(limiter, clock, _sliding(remaining=0)) == 11 + RESET_SAFETY_SECONDS
    assert len(clock.waits) == 2


def test_no_reset_and_a_budget_spent_by_others_waits_a_window(monkeypatch):
    limiter = _limiter()
    clock = _FakeClock(monkeypatch, limiter)
    _send(limiter, clock, _sliding(remaining=0))  # our first request took the last slot
    clock.now += 2
    # our own single request cannot explain the exhaustion: a whole window after the server said so
    assert _send(limiter, clock, _sliding(remaining=0)) == 10 + RESET_SAFETY_SECONDS


def test_retry_after_without_reset_opens_one_slot(monkeypatch):
    limiter = _limiter()
    clock = _FakeClock(monkeypatch, limiter)
    _send(limiter, clock, _sliding(remaining=1))
    _send(limiter, clock, _sliding(429, remaining=0, Retry_After="3"))
    assert _send(limiter, clock, _sliding(remaining=0)) == 3 + RESET_SAFETY_SECONDS


def test_a_request_in_flight_when_a_slot_opens_takes_its_place_when_it_returns(monkeypatch):
    # A slot opens (budget = limit - our requests in the window) while one request is still in
    # flight; when it returns with its older, higher count, the budget must shrink by it
    limiter = _limiter()
    clock = _FakeClock(monkeypatch, limiter)
    early = limiter.acquire()  # t = 0, answered late
    clock.now += 1
    for remaining in (3, 2, 1):  # t = 1, 2, 3
        _send(limiter, clock, _sliding(remaining=remaining))
        clock.now += 1
    fresh = limiter.acquire()  # t = 4: the fifth request of the window (a slot opened for it)
    assert fresh == early + 1 and clock.waits == []
    clock.now += 1
    limiter.release(_sliding(remaining=4), early)  # counted first by the server, answered last
    # five requests in the window: the sixth waits for the oldest (t = 1 at the latest) to leave
    assert _send(limiter, clock, _sliding(remaining=0)) >= 10 + RESET_SAFETY_SECONDS
    limiter.release(_sliding(remaining=0), fresh)


def test_a_request_without_an_answer_is_counted_as_spent():
    limiter = _limiter()
    first, second = limiter.acquire(), limiter.acquire()
    limiter.release(_response(X_RateLimit_Remaining="3", X_RateLimit_Reset="9"), first)
    limiter.release(None, second)  # the connection dropped: the server may have counted it
    assert limiter.remaining == 2 and limiter.in_flight == 0


def test_a_connection_never_opened_spends_nothing():
    """A host that refuses connections counted none of them: its retries must not exhaust
    the budget and turn into waits for the rate limit."""
    limiter = _limiter()
    first, second = limiter.acquire(), limiter.acquire()
    limiter.release(_response(X_RateLimit_Remaining="1", X_RateLimit_Reset="9"), first)
    limiter.release(None, second, sent=False)
    for _ in range(5):  # refused again and again: never blocked, the budget unchanged
        limiter.release(None, limiter.acquire(), sent=False)
    assert limiter.remaining == 1 and limiter.in_flight == 0
    assert limiter._stats.waited_seconds == 0
