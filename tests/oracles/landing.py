"""What a full extract of a sandbox organisation must land, computed straight from its data.

Tests compare the pipeline's output against these numbers, never against the pipeline itself:

    expected_ids(org, "applications", "v3")  -> set of ids a full v3 extract lands
    expected_count(org, "job_stages", "v1")  -> row count of the v1 raw table
    expected_tables(org, "v1")               -> {raw table: rows}, including the child tables dlt
                                                creates for nested lists (`applications__jobs`, ...)

Entity names are the endpoint names of the chosen version (v3: `job_interview_stages`,
`interviews`; v1: `job_stages`, `scheduled_interviews`). v1 `eeoc` rows have no `id`; their key is
`application_id`, which is what `expected_ids` returns for them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from sandbox.data import Organisation
from sandbox.server import V3_ENDPOINTS
from sandbox.v1 import V1_ENDPOINTS, V1Renderer

VERSIONS = ("v3", "v1")
# landed as JSON columns (see docs/ARCHITECTURE.md), so they never become child tables
JSON_COLUMNS = frozenset({"custom_fields", "keyed_custom_fields"})


def endpoints(version: str) -> tuple[str, ...]:
    if version == "v3":
        return V3_ENDPOINTS
    if version == "v1":
        return tuple(V1_ENDPOINTS)
    raise ValueError(f"unknown API version {version!r}; expected one of {', '.join(VERSIONS)}")


def canonical_entity(entity: str, version: str) -> str:
    """The canonical (v3) entity behind an endpoint of `version`."""
    if entity not in endpoints(version):
        raise ValueError(
            f"unknown {version} endpoint {entity!r}; known: {', '.join(endpoints(version))}"
        )
    return V1_ENDPOINTS[entity] if version == "v1" else entity


def records(org: Organisation, entity: str, version: str = "v3") -> Iterator[dict[str, Any]]:
    """The records of an endpoint exactly as the sandbox serves them (v1 rendered, v3 canonical)."""
    canonical = canonical_entity(entity, version)
    if version == "v3":
        yield from org.records(canonical)
        return
    render = getattr(V1Renderer(org), entity)
    for rec in org.records(canonical):
        yield render(rec)


def expected_ids(org: Organisation, entity: str, version: str = "v3") -> set[int]:
    canonical = canonical_entity(entity, version)
    if version == "v1" and entity == "eeoc":
        return {r["application_id"] for r in org.records(canonical)}
    return {r["id"] for r in org.records(canonical)}


def expected_count(org: Organisation, entity: str, version: str = "v3") -> int:
    return org.count(canonical_entity(entity, version))


def child_table_rows(table: str, rows: Iterable[dict[str, Any]]) -> Counter[str]:
    """Rows per dlt child table for nested lists, following dlt's default naming.

    Dicts are flattened into their parent (`a__b` columns); a list becomes the child table
    `<parent table>__<path>` with one row per element (lists of lists nest further). Keys in
    JSON_COLUMNS are skipped (they land as JSON).
    """
    counts: Counter[str] = Counter()

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if k not in JSON_COLUMNS:
                    walk(v, f"{path}__{k}")
        elif isinstance(value, list):
            counts[path] += len(value)
            for item in value:
                walk_row(item, path)

    def walk_row(row: Any, table_name: str) -> None:
        if isinstance(row, dict):
            for k, v in row.items():
                if k not in JSON_COLUMNS:
                    walk(v, f"{table_name}__{k}")
        elif isinstance(row, list):
            counts[f"{table_name}__list"] += len(row)

    for row in rows:
        walk_row(row, table)
    return +counts


def expected_tables(
    org: Organisation, version: str = "v3", entities: Iterable[str] | None = None
) -> dict[str, int]:
    """{raw table: row count} for a full extract, including dlt child tables of nested lists."""
    out: dict[str, int] = {}
    for entity in entities or endpoints(version):
        rows = list(records(org, entity, version))
        out[entity] = len(rows)
        out.update(child_table_rows(entity, rows))
    return out
