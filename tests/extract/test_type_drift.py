"""Type drift (a field served as a value of another type) never turns into silent NULLs.

A key (the primary key, a declared ``id`` / ``*_id`` column) that holds no integer fails its
endpoint: one ``error:`` line naming it, the earlier rows and cursor kept, the other endpoints
loaded. Any other column keeps the value in dlt's variant column, and the run says so. Expected
ids and values come from the sandbox's own data.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.extract.conftest import DATASET, duckdb_target, entity_of, org_ids
from tests.extract.test_hostile import (
    SIZE,
    TIMEOUT,
    _all_landed,
    _clean_first_load,
    _cursor,
    _env,
    _failed_once,
    make_first_loads,
)

WARNING = (
    "warning: applications.created_at__v_text: values of an unexpected type kept in a variant "
    "column; the typed column is NULL for those rows"
)

first_loads = pytest.fixture(scope="module", name="first_loads")(make_first_loads)


def _drift(endpoint: str, column: str, value: Any) -> dict[str, Any]:
    return {"drift": {"endpoint": endpoint, "column": column, "value": value}}


@pytest.mark.parametrize(
    ("version", "table", "column"),
    [("v3", "applications", "job_id"), ("v1", "departments", "parent_id")],
)
def test_a_key_that_is_no_integer_fails_its_endpoint(
    sandbox_factory, run_extract, extract_env, first_loads, version, table, column
):
    sandbox = sandbox_factory(candidates=SIZE)
    env = _env(extract_env, sandbox, version)
    name = _clean_first_load(first_loads, extract_env, version)
    target = duckdb_target(extract_env)
    before = set(target.ids(table))
    assert before == set(org_ids(sandbox.org, entity_of(version, table)))
    cursor = _cursor(extract_env, name, table, "updated_at") if table == "applications" else None

    sandbox.advance(0.05)
    sandbox.set_faults(**_drift(f"{version}/{table}", column, "abc" * 30))
    failed = run_extract(env, timeout=TIMEOUT)
    needles = [table, f"{column} '{'abc' * 13}", "not an integer id"]
    if version == "v3":  # v3 serves ids descending: the drifted record is the newest one
        newest = max(org_ids(sandbox.org, table))
        needles.append(f"record id {newest} ")
    line = _failed_once(failed, *needles)
    assert "abc" * 14 not in line  # the value is cut to its first 40 characters
    assert list(failed.summary["failed_endpoints"]) == [table]
    landed = set(target.ids(table))
    assert before <= landed  # nothing of the earlier load is lost
    if version == "v3":
        assert newest not in landed
        assert _cursor(extract_env, name, table, "updated_at") == cursor
        served = {r["id"]: r[column] for r in sandbox.org.records(table) if r["id"] in landed}
        assert dict(target.query(f"select id, {column} from {DATASET}.{table}")) == served
    assert f"{column}__v_text" not in str(target.query(f"describe {DATASET}.{table}"))
    for other in ("candidates", "jobs", "offers"):  # the others are current
        assert target.ids(other) == sorted(org_ids(sandbox.org, entity_of(version, other)))

    sandbox.set_faults()
    run_extract(env, timeout=TIMEOUT).check()
    _all_landed(target, sandbox, version, env)


def test_a_key_served_as_an_integer_string_is_loaded_as_the_integer(
    sandbox_factory, run_extract, extract_env
):
    sandbox = sandbox_factory(candidates=SIZE)
    newest = max(org_ids(sandbox.org, "applications"))
    job_id = sandbox.org.require("applications", newest)["job_id"]
    sandbox.set_faults(**_drift("v3/applications", "job_id", str(job_id)))
    env = _env(extract_env, sandbox, "v3")
    run = run_extract(env, timeout=TIMEOUT).check()
    assert run.summary["variant_columns"] == {}
    assert "warning:" not in run.stderr
    target = duckdb_target(extract_env)
    assert target.query(f"select job_id from {DATASET}.applications where id = {newest}") == [
        (job_id,)
    ]
    _all_landed(target, sandbox, "v3", env)


def test_another_column_of_the_wrong_type_lands_in_a_variant_column_with_a_warning(
    sandbox_factory, run_extract, extract_env
):
    sandbox = sandbox_factory(candidates=SIZE)
    newest = max(org_ids(sandbox.org, "applications"))
    sandbox.set_faults(**_drift("v3/applications", "created_at", "garbage"))
    env = _env(extract_env, sandbox, "v3")
    run = run_extract(env, timeout=TIMEOUT).check()
    assert [line for line in run.stderr.splitlines() if line.startswith("warning:")] == [WARNING]
    assert run.summary["variant_columns"] == {"applications": ["created_at__v_text"]}
    target = duckdb_target(extract_env)
    rows = target.query(
        f"select id, created_at, created_at__v_text from {DATASET}.applications "
        "where created_at is null or created_at__v_text is not null"
    )
    assert rows == [(newest, None, "garbage")]  # nothing lost, and only that record
    _all_landed(target, sandbox, "v3", env)
    sandbox.set_faults()  # the clean rerun completes; the kept value stays until it changes
    again = run_extract(env, timeout=TIMEOUT).check()
    assert again.summary["variant_columns"] == {"applications": ["created_at__v_text"]}
    _all_landed(target, sandbox, "v3", env)


def test_a_record_without_an_id_fails_its_endpoint_by_name(
    sandbox_factory, run_extract, extract_env, first_loads
):
    """A record served with ``"id": null`` (dlt would fail the whole run in Arrow): its
    endpoint fails by name, keeps its rows, the others load, and the clean rerun completes."""
    from tests.extract.test_hostile import _hostile_then_clean

    sandbox = sandbox_factory(candidates=SIZE)
    env = _env(extract_env, sandbox, "v3")
    line = _hostile_then_clean(
        sandbox, run_extract, env, extract_env, "v3", "departments",
        _drift("v3/departments", "id", None), "GET /v3/departments", "has id None",
        first_loads=first_loads,
    )  # fmt: skip
    assert "not an integer id" in line and "Arrow" not in line


def test_an_object_served_as_a_list_is_kept_in_a_child_table_with_a_warning(
    sandbox_factory, run_extract, extract_env
):
    """v1 flattens objects (``source`` -> ``source__id``): served as a list, dlt keeps it in a
    new child table and leaves those columns NULL. The run says so; nothing is lost."""
    sandbox = sandbox_factory(candidates=SIZE)
    first = min(org_ids(sandbox.org, "applications"))  # v1 serves ids ascending
    served = [{"id": 5, "public_name": "Served as a list"}]
    sandbox.set_faults(**_drift("v1/applications", "source", served))
    env = _env(extract_env, sandbox, "v1")
    run = run_extract(env, timeout=TIMEOUT).check()
    warnings = [line for line in run.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: applications.source: an object served as a list, kept in child table "
        "applications__source; the object's columns are NULL for those rows"
    ]
    assert run.summary["objects_as_lists"] == {"applications": ["applications__source"]}
    target = duckdb_target(extract_env)
    kept = target.query(
        f"select a.id, a.source__id, s.id, s.public_name from {DATASET}.applications__source s "
        f"join {DATASET}.applications a on s._dlt_parent_id = a._dlt_id"
    )
    assert kept == [(first, None, 5, "Served as a list")]
    _all_landed(target, sandbox, "v1", env)
    sandbox.set_faults()
    run_extract(env, timeout=TIMEOUT).check()
    _all_landed(target, sandbox, "v1", env)


def test_a_timestamp_served_as_an_object_fails_its_endpoint_and_leaves_its_table_empty(
    sandbox_factory, run_extract, extract_env
):
    """``entered_at`` served as ``{"date_time": ...}``: dlt would flatten it into
    ``entered_at__date_time`` and leave the stage history without a single entry time, every
    dbt test green. The endpoint fails by name before anything of it is loaded; on a first
    load its table is created empty (the transform builds); the clean rerun loads it all."""
    sandbox = sandbox_factory(candidates=SIZE)
    newest = max(org_ids(sandbox.org, "application_stages"))  # v3 serves ids descending
    served = {"date_time": "2026-01-05T10:00:00Z"}
    sandbox.set_faults(**_drift("v3/application_stages", "entered_at", served))
    env = _env(extract_env, sandbox, "v3")
    env["GREENHOUSE_RESOURCES"] += ",application_stages"
    failed = run_extract(env, timeout=TIMEOUT)
    _failed_once(
        failed,
        "application_stages",
        f"record id {newest} has entered_at {served!r}",
        "an object where a timestamp is declared",
    )
    assert list(failed.summary["failed_endpoints"]) == ["application_stages"]
    target = duckdb_target(extract_env)
    assert target.ids("application_stages") == []
    columns = dict(
        (name, kind) for name, kind, *_ in target.query(f"describe {DATASET}.application_stages")
    )
    assert "TIMESTAMP" in columns["entered_at"] and "entered_at__date_time" not in columns
    for other in ("candidates", "applications", "jobs"):
        assert target.ids(other) == sorted(org_ids(sandbox.org, other))
    sandbox.set_faults()
    run_extract(env, timeout=TIMEOUT).check()
    _all_landed(target, sandbox, "v3", env)


def test_another_scalar_served_as_an_object_is_kept_with_a_warning(
    sandbox_factory, run_extract, extract_env
):
    """A scalar that is no key or timestamp (``applications.status``) served as an object:
    loaded (dlt keeps it in ``status__*``) and the run says where; nothing is lost."""
    sandbox = sandbox_factory(candidates=SIZE)
    sandbox.set_faults(**_drift("v3/applications", "status", {"name": "active"}))
    env = _env(extract_env, sandbox, "v3")
    run = run_extract(env, timeout=TIMEOUT).check()
    warnings = [line for line in run.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: applications: a scalar column served as an object or a list, kept in "
        "status__name; the declared column is NULL for those rows"
    ]
    assert run.summary["scalars_as_objects"] == {"applications": ["status__name"]}
    _all_landed(duckdb_target(extract_env), sandbox, "v3", env)
