"""A NUL character (U+0000) in a text value or inside a custom field value (notes pasted from
other tools): PostgreSQL's text and jsonb refuse it, and one such value used to fail the load of
every table. The extract removes it before the load: every record lands with the value as it
was without the NUL, and a warning names the table, the record's id and the column."""

from __future__ import annotations

import re
from typing import Any

import orjson
import pytest

from extract.nul import NulReport, may_hold_nul, nul_warnings, strip_nul
from sandbox.server.handler import NUL_TEXT_FIELDS
from sandbox.v1 import plain_custom_fields
from tests.extract.conftest import Target
from tests.extract.test_load import assert_every_record_landed

TABLES = ["candidates", "jobs"]
# the text field that gets the NUL, per table (the first of NUL_TEXT_FIELDS a record has)
TEXT = {"candidates": ("title", "first_name"), "jobs": ("notes", "name")}
JSON = {"v3": ("custom_fields",), "v1": ("custom_fields", "keyed_custom_fields")}


def _served_json(version: str, column: str, record: dict[str, Any]) -> Any:
    """A custom field column as the sandbox serves it, from its canonical (v3) record."""
    if version == "v1" and column == "custom_fields":
        return plain_custom_fields(record["custom_fields"])
    return record["custom_fields"]


@pytest.mark.parametrize("version", ["v3", "v1"])
def test_nul_characters_are_removed_and_reported(
    sandbox_factory: Any,
    run_extract: Any,
    extract_env: dict[str, str],
    target: Target,
    version: str,
) -> None:
    sandbox = sandbox_factory(candidates=40, nul_text=TABLES)
    env = {
        **extract_env,
        **target.env,
        **sandbox.env(version),
        "GREENHOUSE_RESOURCES": ",".join(TABLES),
    }
    run = run_extract(env).check()
    assert "Traceback" not in run.stderr

    assert_every_record_landed(target, sandbox, version, TABLES)
    org = sandbox.org
    for table in TABLES:
        records = {r["id"]: r for r in org.records(table)}
        columns = [c for c in NUL_TEXT_FIELDS if c in TEXT[table]]
        rows = target.query(f"select id, {', '.join(columns)} from greenhouse_raw.{table}")
        for row in rows:  # the text as it was without the NUL
            assert list(row[1:]) == [records[row[0]][c] for c in columns], row
        for column in JSON[version]:
            landed = target.json_column(table, column)
            compared = 0
            for record_id, record in records.items():
                served = _served_json(version, column, record)
                if served:
                    assert landed[record_id] == served, (table, column, record_id)
                    compared += 1
            assert compared, (table, column)

    # one warning per record shown (the first five of each table), then a count
    assert run.summary is not None
    assert run.summary["nul_stripped"] == {t: org.count(t) for t in TABLES}
    for table in TABLES:
        pattern = rf"^warning: {table} id (\d+): NUL character\(s\) removed from (.+) \(PostgreSQL"
        shown = [m for line in run.stderr.splitlines() if (m := re.match(pattern, line))]
        assert len(shown) == 5, run.stderr[-3000:]
        for match in shown:
            record = next(r for r in org.records(table) if r["id"] == int(match[1]))
            text = next(c for c in NUL_TEXT_FIELDS if isinstance(record.get(c), str) and record[c])
            named = match[2].split(", ")
            assert text in named, match[0]
            if record["custom_fields"]:  # a key inside a JSON column, e.g. custom_fields.band
                assert any(c.startswith(f"{j}.") for j in JSON[version] for c in named), match[0]
        more = f"warning: {table}: NUL characters removed from {org.count(table) - 5} more"
        assert more in run.stderr


def test_a_nul_in_a_key_or_a_nested_list_is_removed_and_named() -> None:
    body = orjson.dumps(
        [
            {"id": 1, "notes": "a\x00b", "custom_fields": {"bu\x00dget": {"value": "x\x00"}}},
            {"id": 2, "notes": "a \\u0000 written out", "tags": ["ok"]},
            {"id": 3, "applications": [{"jobs": [{"name": "\x00"}]}]},
        ]
    )
    assert may_hold_nul(body)
    records = orjson.loads(body)
    report = NulReport()
    strip_nul("candidates", "id", records, report)
    assert records == [
        {"id": 1, "notes": "ab", "custom_fields": {"budget": {"value": "x"}}},
        {"id": 2, "notes": "a \\u0000 written out", "tags": ["ok"]},  # text, not a NUL
        {"id": 3, "applications": [{"jobs": [{"name": ""}]}]},
    ]
    assert nul_warnings(report) == [
        "warning: candidates id 1: NUL character(s) removed from notes, custom_fields.budget "
        "(its key), custom_fields.budget.value (PostgreSQL text and jsonb cannot hold them)",
        "warning: candidates id 3: NUL character(s) removed from applications[0].jobs[0].name "
        "(PostgreSQL text and jsonb cannot hold them)",
    ]
    assert not may_hold_nul(orjson.dumps([{"id": 4, "notes": "plain"}]))
    assert not may_hold_nul(orjson.dumps([{"id": 2, "notes": "a \\u0000 \\\n written out"}]))
    escapes = orjson.dumps([{"id": 5, "notes": "\n" * 3000 + "\x00"}])  # past the count
    assert may_hold_nul(escapes) and not may_hold_nul(escapes.replace(b"\\u0000", b""))
