"""Time in the organisation: epoch milliseconds, their ISO-8601 renderings, and "now"."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from sandbox.store import iso_to_ms

__all__ = [
    "DAY",
    "EARLY_MS",
    "END_MS",
    "HOUR",
    "START_MS",
    "iso",
    "iso_date",
    "iso_to_ms",
    "now_ms",
    "stamps",
]

DAY = 86_400_000
HOUR = 3_600_000
START_MS = int(datetime(2023, 1, 1, tzinfo=UTC).timestamp() * 1000)
END_MS = int(datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC).timestamp() * 1000)


def _day(days: int) -> str:
    prefix = _DAYS.get(days)
    if prefix is None:
        prefix = _DAYS[days] = datetime.fromtimestamp(days * 86_400, tz=UTC).strftime("%Y-%m-%d")
    return prefix


_DAYS: dict[int, str] = {}


def iso(ms: int | None) -> str | None:
    """Epoch milliseconds -> ISO-8601 UTC with milliseconds (`2024-05-01T12:00:00.123Z`)."""
    if ms is None:
        return None
    days, rest = divmod(ms, 86_400_000)  # arithmetic: strftime per value is the slow path
    hours, rest = divmod(rest, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{_day(days)}T{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}Z"


def iso_date(ms: int | None) -> str | None:
    if ms is None:
        return None
    return _day(ms // 86_400_000)


def now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


EARLY_MS = START_MS - 400 * DAY  # reference data predates the first candidate


def stamps(r: random.Random, lo: int, hi: int) -> tuple[int, int]:
    """(created, updated) in epoch ms: created in [lo, hi], updated up to ~60 days later."""
    c = r.randint(lo, hi)
    return c, min(c + r.randint(0, 60) * DAY + r.randint(0, DAY), END_MS)
