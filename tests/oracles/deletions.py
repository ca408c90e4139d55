"""What the deletion tests delete, and which raw rows must then be marked, from the canonical
records of the organisation (independent of the extract's sweep).

- `choose_deletions(org, version)`: three candidates (with their applications) that hold no
  hire and fill no opening, an offer of another candidate's application that is not hired, a
  job post, and on v3 an opening that is still open (v1 nests openings in their job, which a
  deletion does not change: see docs/extract.md).
- `expected_marks(raw_ids, org, entity)`: the raw ids the organisation no longer holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

CANDIDATES = 3
STRIDE = 7  # every 7th eligible candidate: spread over the id range, not only the oldest


def choose_deletions(org: Any, version: str) -> dict[str, list[int]]:
    apps = list(org.records("applications"))
    openings = list(org.records("openings"))
    filled = {o["application_id"] for o in openings if o["application_id"] is not None}
    blocked = {a["candidate_id"] for a in apps if a["status"] == "hired" or a["id"] in filled}
    with_apps = {a["candidate_id"] for a in apps}
    eligible = [
        c["id"]
        for c in org.records("candidates")
        if c["id"] in with_apps and c["id"] not in blocked
    ]
    candidates = eligible[::STRIDE][:CANDIDATES]
    hired = {a["id"] for a in apps if a["status"] == "hired"}
    offers = [
        o["id"]
        for o in org.records("offers")
        if o["application_id"] not in hired and o["candidate_id"] not in candidates
    ][:1]
    chosen = {
        "candidates": candidates,
        "offers": offers,
        "job_posts": [next(iter(org.records("job_posts")))["id"]],
    }
    if version == "v3":
        chosen["openings"] = [o["id"] for o in openings if o["open"]][:1]
    return chosen


def expected_marks(raw_ids: Iterable[int], org: Any, entity: str) -> set[int]:
    return set(raw_ids) - {record["id"] for record in org.records(entity)}
