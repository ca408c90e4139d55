"""The shared rate limiter's reading of the rate-limit headers (no network, no timing asserts)."""

from __future__ import annotations

import time

from requests import Response
from requests.structures import CaseInsensitiveDict

from extract.throttle import RateLimiter, RequestStats


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
