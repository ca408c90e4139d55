"""Hostile responses (a mutating proxy, a captive portal, a broken gateway) never cost data.

Each one ends in one clear ``error:`` line that names the endpoint, the earlier rows and cursor
of that endpoint stay as they were, the other endpoints load, and once the network behaves a
clean rerun lands everything with no duplicates. Expected ids come from the sandbox's own data.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest
from dlt.common.versioned_state import compress_state, decompress_state
from dlt.sources.helpers.rest_client import RESTClient
from requests.auth import HTTPBasicAuth

from extract.errors import PaginationLoopError
from extract.pagination import MAX_PAGES, SameOriginLinkPaginator
from tests.extract.conftest import (
    DATASET,
    REPO,
    Run,
    clean_environ,
    duckdb_target,
    entity_of,
    org_ids,
)
from tests.extract.test_load import assert_every_record_landed, assert_updated_at_current
from tests.fixtures.sandbox import start_sandbox

SIZE = 100
TIMEOUT = 120  # a pagination loop must fail the test, not hang it


# The endpoints these tests read: each hostile case hits one of them, the others show that the
# rest of the run loads (a fifth of the default selection's requests and tables).
FEW = "candidates,applications,jobs,offers,departments"


def _env(extract_env: dict[str, str], sandbox: Any, version: str) -> dict[str, str]:
    return {
        **extract_env,
        **sandbox.env(version),
        "GREENHOUSE_MAX_ATTEMPTS": "2",
        "GREENHOUSE_RESOURCES": FEW,
    }


def _all_landed(target: Any, sandbox: Any, version: str, env: dict[str, str]) -> None:
    """Every record of the endpoints the run read (``GREENHOUSE_RESOURCES``), once."""
    selected = env.get("GREENHOUSE_RESOURCES")
    assert_every_record_landed(target, sandbox, version, selected.split(",") if selected else None)


def _failed_once(run: Run, *needles: str) -> str:
    assert run.returncode == 1, run.stderr[-3000:]
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert len(run.error_lines) == 1, run.stderr[-3000:]
    line = run.error_lines[0]
    for needle in needles:
        assert needle in line, line
    return line


def make_first_loads(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[str], tuple[Path, str]]:
    """A clean first load of the unchanged SIZE organisation (seed 42) per API version, made
    once per module: the DuckDB file, the pipelines dir and the pipeline's name. A sandbox of
    the same seed and size serves the same records, so a copy of it is what that test's own
    first run would have left (``_clean_first_load``)."""
    made: dict[str, tuple[Path, str]] = {}

    def load(version: str) -> tuple[Path, str]:
        if version not in made:
            where = tmp_path_factory.mktemp(f"first-load-{version}")
            sandbox = start_sandbox(candidates=SIZE)
            env = {
                "DUCKDB_PATH": str(where / "raw.duckdb"),
                "GREENHOUSE_PIPELINES_DIR": str(where / "pipelines"),
                "GREENHOUSE_SETTLE_SECONDS": "0",
                "GREENHOUSE_RESOURCES": FEW,
                **sandbox.env(version),
            }
            try:
                done = subprocess.run(
                    [sys.executable, "-m", "extract", "extract", "--summary-json",
                     str(where / "summary.json")],
                    cwd=REPO, env={**clean_environ(), **env}, capture_output=True, text=True,
                    timeout=TIMEOUT,
                )  # fmt: skip
            finally:
                sandbox.stop()
            assert done.returncode == 0, done.stderr[-3000:]
            name = json.loads((where / "summary.json").read_text())["pipeline_name"]
            made[version] = (where, name)
        return made[version]

    return load


# a module's fixture: other test modules declare theirs the same way
first_loads = pytest.fixture(scope="module", name="first_loads")(make_first_loads)


def _clean_first_load(
    first_loads: Callable[[str], tuple[Path, str]], extract_env: dict[str, str], version: str
) -> str:
    """Start this test's destination and pipeline dir from the module's clean first load (the
    test's sandbox: SIZE candidates, seed 42, not yet changed); the pipeline's name."""
    where, name = first_loads(version)
    shutil.copy(where / "raw.duckdb", extract_env["DUCKDB_PATH"])
    shutil.copytree(where / "pipelines", extract_env["GREENHOUSE_PIPELINES_DIR"])
    return name


def _cursor(extract_env: dict[str, str], pipeline_name: str, resource: str, field: str) -> Any:
    pipeline = dlt.attach(
        pipeline_name=pipeline_name, pipelines_dir=extract_env["GREENHOUSE_PIPELINES_DIR"]
    )
    resources = pipeline.state["sources"]["greenhouse"]["resources"]
    return resources[resource]["incremental"][field]["last_value"]


def _hostile_then_clean(
    sandbox: Any,
    run_extract: Any,
    env: dict[str, str],
    extract_env: dict[str, str],
    version: str,
    table: str,
    faults: dict[str, Any],
    *needles: str,
    first_loads: Callable[[str], tuple[Path, str]],
) -> str:
    """A clean load, a change, a hostile run failing on `table` only, then a clean rerun."""
    _clean_first_load(first_loads, extract_env, version)
    target = duckdb_target(extract_env)
    before = set(target.ids(table))
    assert before == set(org_ids(sandbox.org, entity_of(version, table)))
    sandbox.advance(0.05)
    sandbox.set_faults(**faults)
    failed = run_extract(env, timeout=TIMEOUT)
    line = _failed_once(failed, table, *needles)
    assert list(failed.summary["failed_endpoints"]) == [table]
    assert before <= set(target.ids(table))  # nothing of the earlier load is lost
    for other in ("candidates", "jobs", "departments"):  # the others are current
        if other != table:
            assert target.ids(other) == sorted(org_ids(sandbox.org, entity_of(version, other)))
    sandbox.set_faults()
    run_extract(env, timeout=TIMEOUT).check()
    _all_landed(target, sandbox, version, env)
    return line


@pytest.mark.parametrize("kind", ["empty", "html", "object"])
def test_a_200_that_is_no_json_array_never_replaces_a_reference_table(
    sandbox_factory, run_extract, extract_env, first_loads, kind
):
    sandbox = sandbox_factory(candidates=SIZE)
    env = _env(extract_env, sandbox, "v3")
    _clean_first_load(first_loads, extract_env, "v3")
    target = duckdb_target(extract_env)
    departments = target.ids("departments")
    assert departments == sorted(org_ids(sandbox.org, "departments"))

    sandbox.set_faults(bad_body=kind, bad_body_endpoints=["departments"])
    failed = run_extract(env, timeout=TIMEOUT)
    line = _failed_once(failed, "departments", "GET /v3/departments", "not a JSON array")
    assert target.ids("departments") == departments  # not emptied, not replaced
    assert sandbox.stats()["faults"]["bad_body"] == 2  # retried like a truncated body
    if kind == "html":
        assert "text/html" in line and "<!DOCTYPE html>" in line
    if kind == "object":
        # the first bytes of what came back, never the records behind them
        assert '{"status":"ok","data":[' in line
        quoted = line.split("bytes: ", 1)[1]
        assert len(quoted.split("'")[1]) <= 80
        names = [d["name"] for d in sandbox.org.records("departments")]
        assert not [n for n in names if n in line]

    sandbox.set_faults()
    run_extract(env, timeout=TIMEOUT).check()
    _all_landed(target, sandbox, "v3", env)


def test_an_occasional_bad_body_is_retried(sandbox_factory, run_extract, extract_env):
    sandbox = sandbox_factory(candidates=SIZE, bad_body="html", bad_body_every=4)
    run = run_extract({**extract_env, **sandbox.env("v1")}, timeout=TIMEOUT).check()
    assert sandbox.stats()["faults"]["bad_body"] >= 3
    assert run.summary["retried_errors"] >= sandbox.stats()["faults"]["bad_body"]
    assert_every_record_landed(duckdb_target(extract_env), sandbox, "v1")


@pytest.mark.parametrize(("version", "table"), [("v3", "offers"), ("v1", "departments")])
def test_a_next_link_back_to_a_page_already_read_stops_the_endpoint(
    sandbox_factory, run_extract, extract_env, first_loads, version, table
):
    sandbox = sandbox_factory(candidates=SIZE)
    env = _env(extract_env, sandbox, version)
    _hostile_then_clean(
        sandbox,
        run_extract,
        env,
        extract_env,
        version,
        table,
        {"repeat_next": [f"{version}/{table}"]},
        "repeats a page already read",
        first_loads=first_loads,
    )


def test_pages_per_endpoint_are_capped(sandbox):
    """A chain of distinct next links that never ends (a generous cap in production)."""
    rest = RESTClient(
        base_url=f"{sandbox.base_url}/v1",
        auth=HTTPBasicAuth(sandbox.api_token, ""),
        paginator=SameOriginLinkPaginator(sandbox.base_url, max_pages=3),
        data_selector="$",
    )
    pages = []
    with pytest.raises(PaginationLoopError, match="still had a next page after 3 pages"):
        for page in rest.paginate("candidates", params={"per_page": 10}):
            pages.append([r["id"] for r in page])
    # the third page was read; its next link is refused before dlt hands the page on
    assert sum(pages, []) == sorted(org_ids(sandbox.org, "candidates"))[:20]
    assert MAX_PAGES * 500 >= 10_000_000  # production: ten million records per endpoint


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_a_redirect_to_another_origin_is_refused(
    sandbox_factory, run_extract, extract_env, first_loads, version
):
    # The other origin is a second sandbox that would answer (v1: the same default API key).
    elsewhere = sandbox_factory(candidates=SIZE, seed=7)
    sandbox = sandbox_factory(candidates=SIZE)
    env = _env(extract_env, sandbox, version)
    faults = {"redirect_to": elsewhere.base_url, "redirect_endpoints": ["jobs"]}
    line = _hostile_then_clean(
        sandbox, run_extract, env, extract_env, version, "jobs", faults, "redirected",
        first_loads=first_loads,
    )  # fmt: skip
    assert f"127.0.0.1:{elsewhere.port}" in line
    assert elsewhere.stats()["total"] == 0  # nothing was sent there


@pytest.mark.parametrize(
    ("fault", "value", "problem"),
    [
        ("bad_cursor", "garbage-timestamp", "is not a timestamp"),
        ("future_cursor", "2036-01-01T00:00:00.000Z", "after the window end"),
    ],
)
def test_a_bad_cursor_value_never_becomes_the_cursor(
    sandbox_factory, run_extract, extract_env, first_loads, fault, value, problem
):
    sandbox = sandbox_factory(candidates=SIZE)
    env = _env(extract_env, sandbox, "v3")
    name = _clean_first_load(first_loads, extract_env, "v3")
    cursor = _cursor(extract_env, name, "candidates", "updated_at")
    target = duckdb_target(extract_env)
    before = set(target.ids("candidates"))

    changed = sandbox.advance(0.05)
    assert changed["new_candidates"] > 0
    newest = max(org_ids(sandbox.org, "candidates"))  # v3 serves ids descending: the first record
    sandbox.set_faults(**{fault: ["v3/candidates"]})
    failed = run_extract(env, timeout=TIMEOUT)
    _failed_once(failed, "candidates", f"record id {newest}", repr(value), problem)
    assert _cursor(extract_env, name, "candidates", "updated_at") == cursor
    landed = set(target.ids("candidates"))
    assert before <= landed and newest not in landed
    assert not target.query(
        f"select id from {DATASET}.candidates where cast(updated_at as varchar) like '2036%'"
    )

    sandbox.set_faults()
    run_extract(env, timeout=TIMEOUT).check()
    _all_landed(target, sandbox, "v3", env)
    assert_updated_at_current(target, sandbox, "v3", "candidates")


def test_a_future_cursor_value_on_an_endpoint_without_an_upper_bound(
    sandbox_factory, run_extract, extract_env, first_loads
):
    """v1 applications take no last_activity_before: the extract holds back values past the
    window end (for the next run) and refuses values past the clock (an hour of skew allowed)."""
    sandbox = sandbox_factory(candidates=SIZE)
    env = _env(extract_env, sandbox, "v1")
    name = _clean_first_load(first_loads, extract_env, "v1")
    cursor = _cursor(extract_env, name, "applications", "last_activity_at")
    sandbox.advance(0.05)
    sandbox.set_faults(future_cursor=["v1/applications"])
    failed = run_extract(env, timeout=TIMEOUT)
    _failed_once(failed, "applications", "last_activity_at '2036-01-01T00:00:00.000Z'", "hour")
    assert _cursor(extract_env, name, "applications", "last_activity_at") == cursor
    sandbox.set_faults()
    run_extract(env, timeout=TIMEOUT).check()
    _all_landed(duckdb_target(extract_env), sandbox, "v1", env)


def _poison_stored_cursor(duckdb_path: str, resource: str, value: str) -> None:
    """Write a bad cursor into the state dlt stores in the dataset (as an older version of this
    pipeline, without the cursor checks, stored it): every run restores its state from there."""
    conn = duckdb.connect(duckdb_path)
    try:
        row = conn.execute(
            f"select _dlt_load_id, state from {DATASET}._dlt_pipeline_state "
            "order by _dlt_load_id desc limit 1"
        ).fetchone()
        assert row is not None, "no state stored yet"
        load_id, blob = row
        state = decompress_state(blob)
        resources = state["sources"]["greenhouse"]["resources"]
        resources[resource]["incremental"]["updated_at"]["last_value"] = value
        conn.execute(
            f"update {DATASET}._dlt_pipeline_state set state = ? where _dlt_load_id = ?",
            [compress_state(state), load_id],  # type: ignore[arg-type]
        )
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("value", "args"),
    [
        ("garbage-timestamp", ()),
        ("garbage-timestamp", ("--full-refresh",)),
        ("2036-01-01T00:00:00.000Z", ()),
    ],
)
def test_a_stored_bad_cursor_is_repaired(
    sandbox_factory, run_extract, extract_env, first_loads, value, args
):
    sandbox = sandbox_factory(candidates=SIZE)
    env = _env(extract_env, sandbox, "v3")
    name = _clean_first_load(first_loads, extract_env, "v3")
    _poison_stored_cursor(extract_env["DUCKDB_PATH"], "offers", value)
    sandbox.advance(0.05)

    repaired = run_extract(env, *args, timeout=TIMEOUT).check()
    assert "offers: the stored cursor updated_at" in repaired.stderr
    assert repaired.summary["windows"]["offers"]["from"] is None  # read completely
    target = duckdb_target(extract_env)
    _all_landed(target, sandbox, "v3", env)
    assert_updated_at_current(target, sandbox, "v3", "offers")
    cursor = _cursor(extract_env, name, "offers", "updated_at")
    assert cursor == max(r["updated_at"] for r in sandbox.org.records("offers"))
    # and the run after that is an ordinary incremental one
    again = run_extract(env, timeout=TIMEOUT).check()
    assert "stored cursor" not in again.stderr
    assert again.summary["windows"]["offers"]["from"] is not None


OVERLAPPING = ("candidates", "departments")  # merged on id (incremental), replaced (reference)


def _assert_one_current_copy_each(target: Any, sandbox: Any, run: Run) -> None:
    """No id twice, every row as the sandbox holds it now (the repeat, not the stale copy),
    child rows of the repeated records neither lost nor doubled, and the duplicates counted:
    each page after the first repeated one record."""
    assert_every_record_landed(target, sandbox, "v3", FEW.split(","))
    for table in OVERLAPPING:
        assert_updated_at_current(target, sandbox, "v3", table)
    emails = Counter(
        parent
        for (parent,) in target.query(
            f"select p.id from {DATASET}.candidates__email_addresses c "
            f"join {DATASET}.candidates p on c._dlt_parent_id = p._dlt_id"
        )
    )
    assert target.count("candidates__email_addresses") == sum(emails.values())
    expected = {r["id"]: len(r["email_addresses"]) for r in sandbox.org.records("candidates")}
    assert {i: n for i, n in expected.items() if n} == dict(emails)
    pages = sandbox.stats()["by_endpoint"]
    assert run.summary is not None
    assert run.summary["duplicates_dropped"] == {t: pages[f"v3/{t}"] - 1 for t in OVERLAPPING}


def test_a_record_listed_on_two_pages_keeps_its_last_copy(
    sandbox_factory, run_extract, extract_env
):
    """Offsets shifted between two page reads: a record ends one page (read before its last
    change) and starts the next (as it is now). The last copy seen is the one kept, on a first
    load (written directly) and on a later one (merged), for merged and replaced tables."""
    sandbox = sandbox_factory(candidates=SIZE, overlap_pages=list(OVERLAPPING))
    env = _env(extract_env, sandbox, "v3")
    target = duckdb_target(extract_env)
    first = run_extract(env, timeout=TIMEOUT).check()
    _assert_one_current_copy_each(target, sandbox, first)

    assert sandbox.advance(0.2)["new_candidates"] > 0
    sandbox.reset_stats()
    later = run_extract(env, timeout=TIMEOUT).check()
    assert later.summary["duplicates_dropped"]["candidates"] > 0  # the window spans pages
    _assert_one_current_copy_each(target, sandbox, later)

    sandbox.set_faults()
    run_extract(env, timeout=TIMEOUT).check()
    _all_landed(target, sandbox, "v3", env)
