"""Moving from Harvest v1 to v3 (Greenhouse retired v1): the documented path, end to end.

A v1 account's dataset refuses a v3 run (the record shapes differ); the refusal and `elt check`
name the way forward: a raw schema of its own for v3. Following it, `elt run` is green and the
marts are v3's, equal to the oracles, while the v1 raw data stays untouched until dropped.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.sandbox import start_sandbox

from .checks import account_mart_problems
from .conftest import AS_OF, elt, fetch

pytestmark = pytest.mark.slow


def test_a_v1_dataset_moves_to_v3_in_a_raw_schema_of_its_own(tmp_path: Path) -> None:
    import duckdb

    sandbox = start_sandbox(candidates=80)
    path = tmp_path / "greenhouse.duckdb"
    base = {
        "DEST": "duckdb",
        "DUCKDB_PATH": str(path),
        "GREENHOUSE_PIPELINES_DIR": str(tmp_path / "pipelines"),
        "GREENHOUSE_AS_OF": AS_OF,
    }
    try:
        v1 = elt({**base, **sandbox.env("v1")}, "run")
        assert v1.returncode == 0, v1.stderr[-3000:]
        v3 = {**base, **sandbox.env("v3")}
        refused = elt(v3, "run")
        assert refused.returncode == 2, refused.stderr[-3000:]
        way = "GREENHOUSE_RAW_SCHEMA=greenhouse_raw_v3"
        assert way in refused.stderr and "holds Harvest v1 data" in refused.stderr
        check = elt({**v3, "COLUMNS": "250"}, "check")
        assert check.returncode == 1 and way in check.stdout.replace("\n", " "), check.stdout
        moved = elt({**v3, "GREENHOUSE_RAW_SCHEMA": "greenhouse_raw_v3"}, "run")
        assert moved.returncode == 0, moved.stderr[-6000:]
    finally:
        sandbox.stop()
    connection = duckdb.connect(str(path), read_only=True)
    try:
        problems = account_mart_problems(connection, "greenhouse_raw_v3", sandbox.org, "v3")
        accounts = fetch(connection, "select distinct source_relation from greenhouse_marts.jobs")
        v1_left = fetch(connection, "select count(*) as n from greenhouse_raw.candidates")
    finally:
        connection.close()
    assert not problems, "\n".join(problems[:40])
    assert accounts == [{"source_relation": "greenhouse_raw_v3"}]
    assert v1_left == [{"n": sandbox.org.count("candidates")}]  # the v1 data, untouched
