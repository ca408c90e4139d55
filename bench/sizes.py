"""Benchmark sizes: how big each scenario's organisation is.

`default` is what `make bench` runs (under 15 minutes on a 2-core machine); `enterprise` adds
scenario 6; `tiny` exists for the harness's smoke test (seconds, not a measurement).
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Size:
    name: str
    candidates: int
    """Scenario 1 (1x): the organisation the baseline and our pipeline both land."""
    scale_factor: int
    """Scenario 2: the organisation is `scale_factor` times larger (ours only)."""
    scale_versions: tuple[str, ...]
    rate_candidates: int
    """Scenario 3: a smaller organisation so the rate-limited runs take a couple of minutes."""
    rate_limit: int
    rate_window_s: float
    formats_candidates: int
    """Loader-format / worker measurements (cheap alternatives, smaller organisation)."""
    advance_fraction: float
    enterprise_candidates: int | None
    run_timeout_s: float


SIZES: dict[str, Size] = {
    "tiny": Size(
        name="tiny",
        candidates=60,
        scale_factor=3,
        scale_versions=("v3",),
        rate_candidates=60,
        rate_limit=50,
        rate_window_s=1.0,
        formats_candidates=60,
        advance_fraction=0.05,
        enterprise_candidates=None,
        run_timeout_s=300,
    ),
    "default": Size(
        name="default",
        candidates=15_000,
        scale_factor=10,
        scale_versions=("v3",),
        rate_candidates=10_000,
        rate_limit=50,
        rate_window_s=10.0,
        formats_candidates=2_000,
        advance_fraction=0.01,
        enterprise_candidates=None,
        run_timeout_s=1800,
    ),
}
# Scenario 6 on top of the default scenarios: the same sizes plus a 1M-candidate organisation.
SIZES["enterprise"] = replace(
    SIZES["default"], name="enterprise", enterprise_candidates=1_000_000, run_timeout_s=3600
)
