"""One endpoint failing after all retries does not sink the run.

The other endpoints load and advance; the failed ones keep their rows and cursors; the run exits 1
naming them; the next good run catches up with no gap and no duplicates.
"""

from __future__ import annotations

from typing import Any

import dlt
import pytest

from extract.endpoints import default_resources
from extract.errors import EndpointsFailedError
from extract.messages import describe_failure
from tests.extract.conftest import duckdb_target, entity_of, org_ids
from tests.extract.test_hostile import make_first_loads
from tests.extract.test_load import assert_every_record_landed, assert_updated_at_current

SIZE = 200
FAILING = ("scorecards", "departments")  # one merged (incremental), one replaced (reference)

first_loads = pytest.fixture(scope="module", name="first_loads")(make_first_loads)


def _env(extract_env: dict[str, str], sandbox: Any, version: str) -> dict[str, str]:
    # lookback 0: a cursor that moved past unread records would show up as a gap
    return {
        **extract_env,
        **sandbox.env(version),
        "GREENHOUSE_MAX_ATTEMPTS": "2",
        "GREENHOUSE_LOOKBACK_SECONDS": "0",
    }


def _cursor(extract_env: dict[str, str], pipeline_name: str, resource: str) -> Any:
    pipeline = dlt.attach(
        pipeline_name=pipeline_name, pipelines_dir=extract_env["GREENHOUSE_PIPELINES_DIR"]
    )
    resources = pipeline.state["sources"]["greenhouse"]["resources"]
    return resources[resource]["incremental"]["updated_at"]["last_value"]


def _family(counts: dict[str, int], table: str) -> dict[str, int]:
    """A table and its child tables."""
    return {t: n for t, n in counts.items() if t == table or t.startswith(f"{table}__")}


@pytest.mark.parametrize("version", ["v3", "v1"])
def test_failed_endpoints_keep_their_rows_the_rest_loads(
    sandbox_factory, run_extract, extract_env, version
):
    sandbox = sandbox_factory(candidates=SIZE)
    env = _env(extract_env, sandbox, version)
    first = run_extract(env).check()
    target = duckdb_target(extract_env)
    before = target.counts()
    before_ids = {t: target.ids(t) for t in FAILING}
    cursor = _cursor(extract_env, first.summary["pipeline_name"], "scorecards")

    assert sandbox.advance(0.05)
    sandbox.set_faults(fail_endpoints=list(FAILING))
    failed = run_extract(env)
    assert failed.returncode == 1, failed.stderr
    assert "Traceback" not in failed.stderr
    assert len(failed.error_lines) == 1, failed.stderr
    line = failed.error_lines[0]
    assert all(name in line for name in FAILING) and "HTTP 500" in line, line
    # the summary of what did load is still written, naming what did not
    assert failed.summary is not None
    assert sorted(failed.summary["failed_endpoints"]) == sorted(FAILING)

    # the failed tables (and their child tables) hold exactly their earlier rows ...
    after = target.counts()
    for table in FAILING:
        assert target.ids(table) == before_ids[table], table
        assert _family(after, table) == _family(before, table), table
    assert _cursor(extract_env, first.summary["pipeline_name"], "scorecards") == cursor
    # ... while every other endpoint has the changed and new records
    for table in default_resources(version):
        if table not in FAILING:
            assert target.ids(table) == sorted(org_ids(sandbox.org, entity_of(version, table)))
    assert_updated_at_current(target, sandbox, version, "candidates")

    # the API recovers: the next run catches up completely, without duplicates
    sandbox.set_faults()
    run_extract(env).check()
    assert_every_record_landed(target, sandbox, version)
    assert_updated_at_current(target, sandbox, version, "scorecards")


def test_endpoint_failing_half_way_keeps_its_cursor(sandbox_factory, run_extract, extract_env):
    """application_stages: the first page (the highest ids, so the newest updated_at) is served,
    then 500s. Its cursor must stay put, or the next run would skip the unread older pages."""
    sandbox = sandbox_factory(candidates=SIZE)
    env = _env(extract_env, sandbox, "v3")
    first = run_extract(env).check()
    name = first.summary["pipeline_name"]
    cursor = _cursor(extract_env, name, "application_stages")

    assert sandbox.advance(1.0)  # enough changed stages for more than one page
    sandbox.set_faults(fail_endpoints=["application_stages"], fail_after=1)
    failed = run_extract(env)
    assert failed.returncode == 1 and len(failed.error_lines) == 1, failed.stderr
    assert "application_stages" in failed.error_lines[0]
    assert sandbox.stats()["by_endpoint"]["v3/application_stages"] >= 2  # really half-way
    assert _cursor(extract_env, name, "application_stages") == cursor

    sandbox.set_faults()
    run_extract(env).check()
    target = duckdb_target(extract_env)
    assert_every_record_landed(target, sandbox, "v3")
    assert_updated_at_current(target, sandbox, "v3", "application_stages")


def test_an_endpoint_that_times_out_names_the_timeout_variable(
    sandbox_factory, run_extract, extract_env, first_loads
):
    """A read timeout on one endpoint (a hanging gateway): that endpoint fails naming
    GREENHOUSE_REQUEST_TIMEOUT and its limit, its table keeps its rows, the rest loads."""
    from tests.extract.test_hostile import FEW, SIZE, _hostile_then_clean

    sandbox = sandbox_factory(candidates=SIZE)
    env = {**_env(extract_env, sandbox, "v3"), "GREENHOUSE_REQUEST_TIMEOUT": "1"}
    env["GREENHOUSE_RESOURCES"] = FEW
    faults = {"slow_ms": 2500, "slow_endpoints": ["departments"]}
    line = _hostile_then_clean(
        sandbox, run_extract, env, extract_env, "v3", "departments", faults,
        "no answer within 1s on GET /v3/departments", "raise GREENHOUSE_REQUEST_TIMEOUT",
        first_loads=first_loads,
    )  # fmt: skip
    assert "ReadTimeout" in line


def test_a_long_failure_line_is_cut_between_words_and_says_so() -> None:
    """Every endpoint failing makes a line longer than the error line's limit: it is cut at
    a word boundary, marked as cut, and never ends mid-word (``... scorecards: Co``)."""
    reason = "could not connect to harvest.example:443 (connection refused) after all retries"
    failures = {f"endpoint_number_{i:02d}": reason for i in range(40)}
    line, code = describe_failure(EndpointsFailedError(failures), secrets=())

    assert code == 1
    assert len(line) <= 3000
    assert line.endswith(" ... (cut)")
    kept = line.removesuffix(" ... (cut)")
    words = set(str(EndpointsFailedError(failures)).split())
    assert kept.split()[-1].rstrip(";,:") in {w.rstrip(";,:") for w in words}
    assert "harvest.example:443" in line
