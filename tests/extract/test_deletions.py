"""Deletions: records deleted in the sandbox stay in the merged raw tables through incremental
runs; the deletion sweep (`elt extract --sweep-deletes`) marks exactly those rows
(`_greenhouse_deleted_at`), v1 child tables with their root row, within a rate limit without a
429, and a sweep killed with SIGKILL marks nothing; the next one does the whole job.

Expected marks are the raw ids minus the ids of the organisation's canonical records
(tests/oracles/deletions.py), never the sweep's own output.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import duckdb
import psycopg2
import pytest

from extract.endpoints import catalogue
from tests.fixtures.sandbox import SandboxHandle
from tests.oracles.deletions import choose_deletions, expected_marks

from .conftest import DATASET, REPO, Run, Target, clean_environ, duckdb_target, entity_of

pytestmark = pytest.mark.slow
COLUMN = "_greenhouse_deleted_at"
# no bound on the share a sweep marks: one deleted job post of the sandbox's 8 is 12.5%, above
# the default (10% of a table), and the offers of 3 deleted candidates can be half of v1's
# offers; these tests are about what is marked, the bound is tested in test_sweep_trust.py
WIDE_BOUND = {"GREENHOUSE_SWEEP_DELETES_MAX_SHARE": "1"}


def merged_tables(version: str) -> list[str]:
    return [
        name
        for name, e in catalogue(version).items()
        if e.kind == "incremental" and not e.sensitive
    ]


def marked(target: Target, tables: list[str]) -> dict[str, set[int]]:
    """Raw ids per table that carry a deletion mark (none while the column does not exist)."""
    with_column = {
        name
        for (name,) in target.query(
            "select table_name from information_schema.columns "
            f"where table_schema = '{DATASET}' and column_name = '{COLUMN}'"
        )
    }
    swept = [t for t in tables if t in with_column]
    results = target.query_many(
        [f"select id from {DATASET}.{t} where {COLUMN} is not null" for t in swept]
    )
    found = {t: {row[0] for row in rows} for t, rows in zip(swept, results, strict=True)}
    return {t: found.get(t, set()) for t in tables}


def write(target: Target, env: dict[str, str], sql: str) -> None:
    if target.name == "duckdb":
        with duckdb.connect(env["DUCKDB_PATH"]) as connection:
            connection.execute(sql)
        return
    e = target.env
    url = (
        f"postgresql://{e['POSTGRES_USER']}:{e['POSTGRES_PASSWORD']}@{e['POSTGRES_HOST']}:"
        f"{e['POSTGRES_PORT']}/{e['POSTGRES_DB']}"
    )
    with psycopg2.connect(url) as connection, connection.cursor() as cur:
        cur.execute(sql)


def delete(sandbox: SandboxHandle, version: str) -> dict[str, list[int]]:
    chosen = choose_deletions(sandbox.org, version)
    for entity, ids in chosen.items():
        assert ids, f"the organisation has nothing to delete in {entity}"
        assert sandbox.server.delete(entity, ids)[entity] == ids
    return chosen


@pytest.mark.parametrize("version", ["v3", "v1"])
def test_the_sweep_marks_exactly_the_deleted_rows(
    version: str,
    target: Target,
    sandbox_factory: Callable[..., SandboxHandle],
    extract_env: dict[str, str],
    run_extract: Callable[..., Run],
) -> None:
    sandbox = sandbox_factory(candidates=150, seed=13)
    env = {**extract_env, **target.env, **sandbox.env(version), **WIDE_BOUND}
    tables = merged_tables(version)
    run_extract(env).check()
    chosen = delete(sandbox, version)

    # an incremental run alone sees no deletion: every row stays, none is marked
    run_extract(env).check()
    raw = target.ids_many(tables)
    assert set(chosen["candidates"]) <= set(raw["candidates"])
    assert all(not ids for ids in marked(target, tables).values())

    # the sweep, within a rate limit of 4 requests a second
    sandbox.set_rate_limit(4, 1)
    sandbox.reset_stats()
    run = run_extract(env, "--sweep-deletes").check()
    served = sandbox.stats()
    assert served["rate_limited"] == 0
    assert run.summary is not None
    swept = run.summary["deletion_sweep"]
    assert swept["rate_limited_429"] == 0
    assert swept["requests"] == served["total"]
    assert set(served["by_endpoint"]) == {f"{version}/{t}" for t in tables}

    expected = {t: expected_marks(raw[t], sandbox.org, entity_of(version, t)) for t in tables}
    assert expected["candidates"] == set(chosen["candidates"])
    assert set(chosen["offers"]) <= expected["offers"]  # and the offers of deleted candidates
    assert expected["job_posts"] == set(chosen["job_posts"])
    assert expected["applications"]
    if version == "v3":
        assert set(chosen["openings"]) == expected["openings"]
        assert expected["application_stages"]
    assert marked(target, tables) == expected
    assert {t: s["marked"] for t, s in swept["tables"].items()} == {
        t: len(ids) for t, ids in expected.items()
    }

    if version == "v1":  # a child table follows its root row
        rows = target.query(
            f"select p.id, c.{COLUMN} is not null, p.{COLUMN} is not null "
            f"from {DATASET}.applications__jobs c "
            f"join {DATASET}.applications p on c._dlt_root_id = p._dlt_id"
        )
        assert all(child == root for _, child, root in rows)
        child_marked = {i for i, is_marked, _ in rows if is_marked}
        assert child_marked and child_marked <= expected["applications"]

    # a row marked wrongly (a record listed again) is unmarked by the next sweep
    listed = min(set(raw["candidates"]) - expected["candidates"])
    write(target, env, f"update {DATASET}.candidates set {COLUMN} = now() where id = {listed}")
    again = run_extract(env, "--sweep-deletes").check()
    assert again.summary is not None
    assert again.summary["deletion_sweep"]["tables"]["candidates"]["unmarked"] == 1
    assert marked(target, tables) == expected


def test_a_sweep_killed_mid_way_marks_nothing_and_the_next_finishes(
    sandbox_factory: Callable[..., SandboxHandle],
    extract_env: dict[str, str],
    run_extract: Callable[..., Run],
) -> None:
    version = "v3"
    sandbox = sandbox_factory(candidates=100, seed=17)
    env = {**extract_env, "DEST": "duckdb", **sandbox.env(version), **WIDE_BOUND}
    run_extract(env).check()
    delete(sandbox, version)
    tables = merged_tables(version)

    sandbox.set_rate_limit(2, 1)  # a slow sweep: about 8 s of listing
    sandbox.reset_stats()
    process = subprocess.Popen(
        [sys.executable, "-m", "extract", "extract", "--sweep-deletes"],
        cwd=REPO,
        env={**clean_environ(), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while sandbox.stats()["by_status"].get("200", 0) < 3 and process.poll() is None:
            time.sleep(0.05)  # polling the sandbox's counters, not a timed assertion
        assert process.poll() is None, "the sweep ended before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(30)
    assert process.returncode == -signal.SIGKILL

    target = duckdb_target(env)
    raw = target.ids_many(tables)
    assert all(not ids for ids in marked(target, tables).values())

    sandbox.set_rate_limit(0)
    run_extract(env, "--sweep-deletes").check()
    expected = {t: expected_marks(raw[t], sandbox.org, entity_of(version, t)) for t in tables}
    assert expected["candidates"]
    assert marked(target, tables) == expected


def test_every_nth_run_also_sweeps(
    sandbox_factory: Callable[..., SandboxHandle],
    extract_env: dict[str, str],
    run_extract: Callable[..., Run],
) -> None:
    version = "v1"
    sandbox = sandbox_factory(candidates=60, seed=19)
    env = {
        **extract_env,
        "DEST": "duckdb",
        **sandbox.env(version),
        **WIDE_BOUND,
        "GREENHOUSE_SWEEP_DELETES_EVERY": "2",
        "ELT_RUN_HISTORY": "true",
    }
    runs = []
    for number in range(1, 5):
        run = run_extract(env).check()
        assert run.summary is not None
        runs.append(run.summary)
        if number == 1:
            chosen = delete(sandbox, version)
    assert ["deletion_sweep" in s for s in runs] == [False, True, False, True]
    first_sweep = runs[1]["deletion_sweep"]["tables"]
    assert first_sweep["candidates"]["marked"] == len(chosen["candidates"])
    assert runs[3]["deletion_sweep"]["tables"]["candidates"]["marked"] == 0


def test_a_refused_sweep_is_retried_by_the_next_run(
    sandbox_factory: Callable[..., SandboxHandle],
    extract_env: dict[str, str],
    run_extract: Callable[..., Run],
) -> None:
    """A sweep that refused a listing does not count as the every-Nth sweep: the next run sweeps
    again, instead of waiting N more runs with the deleted rows unmarked."""
    sandbox = sandbox_factory(candidates=60, seed=23)
    env = {
        **extract_env,
        "DEST": "duckdb",
        **sandbox.env("v3"),
        **WIDE_BOUND,
        "GREENHOUSE_SWEEP_DELETES_EVERY": "2",
        "ELT_RUN_HISTORY": "true",
    }
    assert "deletion_sweep" not in (run_extract(env).check().summary or {})
    chosen = delete(sandbox, "v3")
    sandbox.set_faults(empty_list=["candidates"])
    refused = run_extract(env)
    assert refused.returncode == 1
    assert "candidates: the API listed no ids" in refused.stderr
    sandbox.set_faults()
    again = run_extract(env).check()
    assert again.summary is not None and "deletion_sweep" in again.summary
    swept = again.summary["deletion_sweep"]["tables"]["candidates"]
    assert swept["marked_total"] == len(chosen["candidates"])


def test_bad_sweep_input_is_one_line_and_exit_2(
    sandbox: SandboxHandle, extract_env: dict[str, str], run_extract: Callable[..., Run], tmp_path
) -> None:
    files = {**extract_env, **sandbox.env("v3"), "DEST": "filesystem",
             "FILESYSTEM_BUCKET_URL": str(tmp_path / "files")}  # fmt: skip
    run = run_extract(files, "--sweep-deletes")
    assert run.returncode == 2
    assert run.error_lines == [
        "error: --sweep-deletes needs a SQL destination (DEST=filesystem keeps raw files); "
        "use one of duckdb, postgres, snowflake, bigquery"
    ]
    negative = {**extract_env, **sandbox.env("v3"), "GREENHOUSE_SWEEP_DELETES_EVERY": "-1"}
    run = run_extract(negative)
    assert run.returncode == 2
    assert run.error_lines == [
        "error: GREENHOUSE_SWEEP_DELETES_EVERY must not be negative (got -1)"
    ]


def test_a_sweep_after_the_extract_stays_within_the_same_rate_budget(
    sandbox_factory: Callable[..., SandboxHandle],
    extract_env: dict[str, str],
    run_extract: Callable[..., Run],
) -> None:
    # three requests per 10 s: the extract's three pages spend the window; the sweep that
    # follows in the same run (every run) must wait for it, not start afresh and collect 429s
    sandbox = sandbox_factory(candidates=30, seed=21, rate_limit=3, rate_window=10)
    env = {
        **extract_env,
        "DEST": "duckdb",
        **sandbox.env("v3"),
        "GREENHOUSE_SWEEP_DELETES_EVERY": "1",
        "ELT_RUN_HISTORY": "true",
    }
    run = run_extract(env, "--resources", "candidates,applications,departments").check()
    served = sandbox.stats()
    assert run.summary is not None and "deletion_sweep" in run.summary
    assert served["by_status"].get("429", 0) == 0, served["by_status"]
    swept = run.summary["deletion_sweep"]
    assert swept["rate_limited_429"] == 0 and swept["requests"] == 2  # candidates, applications
    assert run.summary["requests"] + swept["requests"] == served["total"]
