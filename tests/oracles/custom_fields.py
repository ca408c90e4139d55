"""The `<entity>_custom_fields` marts, computed from the organisation's canonical records.

Plain Python over `Organisation.records(...)`, sharing nothing with the dbt project, written from
the definitions in docs/transform.md ("Custom fields"):

- The dictionary (`custom_fields` records) decides the columns of each entity (`field_type`):
  every active field by default; an include list takes only the fields it names (active or
  not); an exclude list drops fields; switched off, no custom column at all.
- A field whose name key is null or empty has no column (its values cannot be addressed).
- Names: `custom_` + the name key in lower case with every run of characters other than
  a-z and 0-9 made one `_`, stripped of `_` at both ends, cut to 32 characters (then stripped
  again); a name key without an ASCII letter gives `custom_field_<custom_field_id>`. Per value
  type the columns are that base name (text, url, single select, yes/no, number, date, multi
  select, user) or the base name with
  suffixes: currency `_amount`, `_unit`; currency range `_min_amount`, `_max_amount`, `_unit`;
  number range `_min`, `_max`. Over the entity's whole dictionary in id order, a field one of
  whose columns is already taken (by a field of lower id, or the key column) appends
  `_<custom_field_id>` to its base name.
- Values (from `{name_key: {name, type, value}}`): text as is, '' is null; yes/no a boolean;
  numbers and amounts as numeric(28,6); a date; multi select the options joined by '; ' in
  their order; currency amount from `amount` (else `value`) and unit from `unit` (else
  `currency`); a user its `user_id` (else `id`).
- Rows: every row of the entity's mart: all candidates, applications, jobs and openings, and
  the current offer of each application (`tests.oracles.marts.current_offers`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from tests.oracles.marts import RecordSource, current_offers

Row = dict[str, Any]
SCALE = Decimal("0.000001")
# field_type -> (records of the mart's rows, key column)
ENTITIES = {
    "application": ("applications", "application_id"),
    "candidate": ("candidates", "candidate_id"),
    "job": ("jobs", "job_id"),
    "offer": ("offers", "offer_id"),
    "opening": ("openings", "opening_id"),
}
# value type -> [(suffix, keys below `value` tried in turn, kind)]
AMOUNT, UNIT = ("amount", "value"), ("unit", "currency")
SHAPES: dict[str, list[tuple[str, tuple[str, ...], str]]] = {
    "yes_no": [("", (), "boolean")],
    "number": [("", (), "number")],
    "date": [("", (), "date")],
    "multi_select": [("", (), "list")],
    "user": [("", ("user_id", "id"), "integer")],
    "currency": [("_amount", AMOUNT, "number"), ("_unit", UNIT, "text")],
    "currency_range": [
        ("_min_amount", ("min_value",), "number"),
        ("_max_amount", ("max_value",), "number"),
        ("_unit", UNIT, "text"),
    ],
    "number_range": [("_min", ("min_value",), "number"), ("_max", ("max_value",), "number")],
}
TEXT_SHAPE = [("", (), "text")]


@dataclass(frozen=True)
class Column:
    name: str
    name_key: str
    keys: tuple[str, ...]
    kind: str  # text, boolean, number, date, list, integer


def base_name(name_key: str, field_id: int) -> str:
    if not any("a" <= c <= "z" for c in name_key.lower()):
        return f"custom_field_{field_id}"
    safe = re.sub(r"[^a-z0-9]+", "_", name_key.lower()).strip("_")
    return "custom_" + safe[:32].strip("_")


def columns(
    org: RecordSource,
    field_type: str,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    enabled: bool = True,
) -> list[Column]:
    """The custom columns of one entity's mart, in order."""
    include, exclude = set(include), set(exclude)
    if not enabled:
        return []
    key_column = ENTITIES[field_type][1]
    fields = sorted(
        (
            f
            for f in org.records("custom_fields")
            if f["field_type"] == field_type and f["name_key"]  # null or '': no column
        ),
        key=lambda f: f["id"],
    )
    taken = {key_column}
    out: list[Column] = []
    for field in fields:
        shape = SHAPES.get(field["value_type"], TEXT_SHAPE)
        base = base_name(field["name_key"], field["id"])
        if any(base + suffix in taken for suffix, _, _ in shape):
            base = f"{base}_{field['id']}"
        taken.update(base + suffix for suffix, _, _ in shape)
        entry = f"{field_type}.{field['name_key']}"
        selected = (entry in include) if include else field["active"]
        if selected and entry not in exclude:
            out.extend(Column(base + s, field["name_key"], keys, kind) for s, keys, kind in shape)
    return out


def _typed(value: Any, column: Column) -> Any:
    if column.kind == "list":
        return "; ".join(value) if value else None
    if column.keys:
        value = next((value[k] for k in column.keys if value and value.get(k) is not None), None)
    if value is None or value == "":
        return None
    if column.kind == "number":
        return Decimal(str(value)).quantize(SCALE)
    if column.kind == "date":
        return date.fromisoformat(value)
    if column.kind == "integer":
        return int(value)
    return value  # text and boolean as they are


def mart_records(org: RecordSource, field_type: str) -> list[Row]:
    if field_type == "offer":
        return sorted(current_offers(org).values(), key=lambda o: o["id"])
    return list(org.records(ENTITIES[field_type][0]))


def rows(org: RecordSource, field_type: str, **selection: Any) -> list[Row]:
    """Expected rows of `<field_type>_custom_fields`, ordered by the key."""
    key_column = ENTITIES[field_type][1]
    cols = columns(org, field_type, **selection)
    out = []
    for record in mart_records(org, field_type):
        values = record["custom_fields"] or {}
        row: Row = {key_column: record["id"]}
        for column in cols:
            value = (values.get(column.name_key) or {}).get("value")
            row[column.name] = _typed(value, column)
        out.append(row)
    return sorted(out, key=lambda r: r[key_column])
