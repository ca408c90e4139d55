"""Render canonical (v3-shaped) records as Harvest v1 payloads.

v1 is the nested, older shape: applications nest `jobs[]`, `current_stage`, `source`,
`rejection_reason`; jobs nest `departments[]`, `offices[]`, `openings[]`, `hiring_team`; custom
fields come twice (`custom_fields` = {key: value}, `keyed_custom_fields` = {key: {name, type,
value}}); offers use lower-case statuses (`unresolved` for v3 `Created`) and `sent_at` /
`starts_at` dates. Everything is derived from the canonical records, so v1 and v3 describe the same
organisation.
"""

from sandbox.v1.endpoints import (
    APP_STATUS_V1,
    APP_STATUS_V3,
    OFFER_STATUS_V1,
    OFFER_STATUS_V3,
    V1_ENDPOINTS,
    plain_custom_fields,
)
from sandbox.v1.render import V1Renderer

__all__ = [
    "APP_STATUS_V1",
    "APP_STATUS_V3",
    "OFFER_STATUS_V1",
    "OFFER_STATUS_V3",
    "V1_ENDPOINTS",
    "V1Renderer",
    "plain_custom_fields",
]
