"""The deterministic synthetic organisation: `Organisation(seed, candidates)`.

See `sandbox.data.organisation` for how it is built and which module holds which part.
"""

from sandbox.data.custom_fields import CUSTOM_FIELDS, OPTIONS
from sandbox.data.ids import ENTITIES, FIRST_ID
from sandbox.data.organisation import Organisation
from sandbox.data.rng import FastRandom
from sandbox.data.timestamps import DAY, END_MS, HOUR, START_MS, iso, iso_date, now_ms

__all__ = [
    "CUSTOM_FIELDS",
    "DAY",
    "END_MS",
    "ENTITIES",
    "FIRST_ID",
    "HOUR",
    "OPTIONS",
    "START_MS",
    "FastRandom",
    "Organisation",
    "iso",
    "iso_date",
    "now_ms",
]
