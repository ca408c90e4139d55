"""`elt check` against the sandbox: every row a user reads, and the exit code that follows."""

from __future__ import annotations

from pathlib import Path

import pytest

from extract import cli
from extract.endpoints import catalogue, default_resources
from tests.extract.test_config import environ
from tests.fixtures.postgres import PostgresDatabase

FEW = "jobs,scorecards,departments"
NAMED = ("credentials", "endpoint", "window", "destination", "dbt", "raw", "account", "mart")


def check(env: dict[str, str], capsys: pytest.CaptureFixture[str], *args: str):
    with environ({"COLUMNS": "250", **env}):
        code = cli.main(["check", *args])
    out = capsys.readouterr().out
    rows = {}
    for line in out.splitlines():
        words = line.split()
        if words[:1] == ["accounts"]:  # the one check named by one word
            rows["accounts"] = (words[1], line)
        elif len(words) >= 3 and words[0] in NAMED:
            name = " ".join(words[:2])
            result = words[2] if words[0] != "credentials" else words[3]
            rows[name] = (result, line)
    return code, rows, out


def test_everything_fine(sandbox, tmp_path: Path, capsys) -> None:
    env = {**sandbox.env("v3"), "DUCKDB_PATH": str(tmp_path / "ok.duckdb")}
    code, rows, out = check(env, capsys)
    assert code == 0, out
    for name in default_resources("v3"):
        assert rows[f"endpoint {name}"][0] == "ok", out
    assert rows["credentials (v3"][0] == "ok"
    assert rows["destination duckdb"][0] == "ok" and rows["dbt profile"][0] == "ok"
    assert rows["raw dataset"][0] == "ok" and "no variant columns" in rows["raw dataset"][1]
    incremental = [n for n in default_resources("v3") if catalogue("v3")[n].kind == "incremental"]
    for name in incremental:
        assert rows[f"window {name}"][0] == "ok", out
    assert not any(row.startswith("window") and row.split()[1] not in incremental for row in rows)
    # one request per endpoint and one more per incremental one, plus the token: no data moves
    assert sandbox.stats()["total"] <= len(default_resources("v3")) + len(incremental) + 1


@pytest.mark.parametrize("version", ["v3", "v1"])
def test_an_api_that_ignores_the_window_filter_fails_naming_the_endpoint(
    sandbox, tmp_path: Path, capsys, version: str
) -> None:
    sandbox.set_faults(ignore_window=["jobs"])
    env = {**sandbox.env(version), "DUCKDB_PATH": str(tmp_path / "ok.duckdb")}
    code, rows, out = check(env, capsys, "--resources", FEW)
    assert code == 1, out
    status, line = rows["window jobs"]
    assert status == "error", out
    assert f"GET /{version}/jobs?" in line  # the detail may fold onto the next lines
    assert "the API ignores the window" in " ".join(out.split()), out
    assert rows["endpoint jobs"][0] == "ok"  # the endpoint itself reads fine
    assert rows["window scorecards"][0] == "ok", out  # the other incremental endpoint filters
    assert "window departments" not in rows  # a reference table is read whole: no window
    assert "1 of" in out and "checks failed" in out


def test_forbidden_endpoint_names_the_scope(sandbox, tmp_path: Path, capsys) -> None:
    sandbox.set_faults(forbidden=["scorecards"])
    env = {**sandbox.env("v3"), "DUCKDB_PATH": str(tmp_path / "ok.duckdb")}
    code, rows, out = check(env, capsys, "--resources", FEW)
    assert code == 1
    result, line = rows["endpoint scorecards"]
    assert result == "forbidden" and "harvest:scorecards:list" in out
    assert rows["endpoint jobs"][0] == "ok"
    # accepted when the run would skip it
    code, rows, _ = check(env, capsys, "--resources", FEW, "--skip-forbidden")
    assert code == 0 and rows["endpoint scorecards"][0] == "skipped"


def test_wrong_secret(sandbox, tmp_path: Path, capsys) -> None:
    env = {
        **sandbox.env("v3"),
        "GREENHOUSE_CLIENT_SECRET": "s3cr3t-not-this-one",
        "DUCKDB_PATH": str(tmp_path / "ok.duckdb"),
    }
    code, rows, out = check(env, capsys, "--resources", FEW)
    assert code == 1
    assert rows["credentials (v3"][0] == "error" and "GREENHOUSE_CLIENT_SECRET" in out
    assert "s3cr3t-not-this-one" not in out


def test_v1_token_rejected_on_the_endpoints(sandbox, tmp_path: Path, capsys) -> None:
    env = {
        **sandbox.env("v1"),
        "GREENHOUSE_API_TOKEN": "nope",
        "DUCKDB_PATH": str(tmp_path / "ok.duckdb"),
    }
    code, rows, out = check(env, capsys, "--resources", "jobs,departments")
    assert code == 1
    assert rows["endpoint jobs"][0] == "error" and "401" in rows["endpoint jobs"][1]


def test_unwritable_duckdb_path(sandbox, tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = {**sandbox.env("v3"), "DUCKDB_PATH": str(blocker / "raw.duckdb")}
    code, rows, out = check(env, capsys, "--resources", FEW)
    assert code == 1
    assert rows["destination duckdb"][0] == "error" and "DUCKDB_PATH" in out


@pytest.mark.postgres
@pytest.mark.parametrize("problem", ["wrong database", "server down"])
def test_postgres_problems(problem: str, sandbox, postgres_db: PostgresDatabase, capsys) -> None:
    pg = postgres_db.env()
    if problem == "wrong database":
        pg["POSTGRES_DB"] = "no_such_database"
    else:
        pg["POSTGRES_PORT"] = "1"  # nothing listens there
    env = {**sandbox.env("v3"), "DEST": "postgres", **pg}
    code, rows, out = check(env, capsys, "--resources", FEW)
    assert code == 1
    assert rows["destination postgres"][0] == "error"
    assert rows["dbt profile"][0] == "error"
    needle = "no_such_database" if problem == "wrong database" else "port 1"
    assert needle in rows["destination postgres"][1], out
    # and the healthy server in the same shape passes
    code, rows, out = check({**env, **postgres_db.env()}, capsys, "--resources", FEW)
    assert code == 0, out


def test_variant_columns_are_listed_per_table(sandbox, run_extract, extract_env, capsys) -> None:
    """An earlier run kept a drifted value (the sandbox's drift fault) in a variant column:
    the check lists it under its table with what it means, and still passes."""
    sandbox.set_faults(
        drift={"endpoint": "v3/applications", "column": "created_at", "value": "garbage"}
    )
    resources = "applications,jobs"
    run_extract({**extract_env, **sandbox.env("v3")}, "--resources", resources).check()
    sandbox.set_faults()
    code, rows, out = check({**extract_env, **sandbox.env("v3")}, capsys, "--resources", resources)
    assert code == 0, out
    _, line = rows["raw table"]
    assert line.split()[2:4] == ["applications", "warning"], out
    assert "created_at__v_text: values of an unexpected type kept by an earlier run" in out
    assert "the typed column is NULL for those rows" in out
    assert [name for name in rows if name.startswith("raw")] == ["raw table"]  # jobs is clean
    assert "(1 warning above)" in out


def test_several_accounts_each_listed_account_is_checked(sandbox, tmp_path: Path, capsys) -> None:
    import duckdb

    path = tmp_path / "accounts.duckdb"
    env = {
        **sandbox.env("v3"),
        "DUCKDB_PATH": str(path),
        "GREENHOUSE_RAW_SCHEMAS": "greenhouse_raw, greenhouse_raw_eu",
    }
    code, rows, out = check(env, capsys, "--resources", FEW)
    assert code == 1, out
    assert rows["account greenhouse_raw"][0] == "ok"  # this run's own: written by the run
    result, line = rows["account greenhouse_raw_eu"]
    assert result == "error" and "no raw tables in greenhouse_raw_eu" in line, out

    # the other account's extract has run (its marker table is there): every row is fine
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema greenhouse_raw_eu")
        connection.execute("create table greenhouse_raw_eu.application_stages (id bigint)")
    code, rows, out = check(env, capsys, "--resources", FEW)
    assert code == 0, out
    assert rows["account greenhouse_raw_eu"][0] == "ok"

    # this extract's account left out of the list, and a list that is not one
    code, rows, out = check({**env, "GREENHOUSE_RAW_SCHEMAS": "greenhouse_raw_eu"}, capsys)
    assert code == 1 and rows["accounts"][0] == "error"
    assert "GREENHOUSE_RAW_SCHEMA=greenhouse_raw is not one of" in rows["accounts"][1]
    code, rows, out = check({**env, "GREENHOUSE_RAW_SCHEMAS": "us,Bad-Name"}, capsys)
    assert code == 1 and rows["accounts"][0] == "error" and "'Bad-Name'" in out


def test_one_account_has_no_account_rows(sandbox, tmp_path: Path, capsys) -> None:
    env = {**sandbox.env("v3"), "DUCKDB_PATH": str(tmp_path / "one.duckdb")}
    code, rows, out = check(env, capsys, "--resources", FEW)
    assert code == 0, out
    assert not any(name.startswith("account") for name in rows)


def test_a_dataset_of_the_other_api_version_fails_as_the_run_would(
    sandbox, run_extract, extract_env, capsys
) -> None:
    """A v1 dataset and v3 settings: `elt run` refuses to mix them, so the check fails too,
    with the run's own message; it says nothing about marts it could not build."""
    run_extract({**extract_env, **sandbox.env("v1")}, "--resources", "departments").check()
    code, rows, out = check({**extract_env, **sandbox.env("v3")}, capsys, "--resources", "jobs")
    assert code == 1, out
    status, line = rows["raw dataset"]
    assert status == "error", out
    assert "holds Harvest v1 data" in out and "a v3 run would mix" in out
    assert not [name for name in rows if name.startswith("mart")], out


def test_every_mart_says_what_it_is_built_from(sandbox, tmp_path: Path, capsys) -> None:
    """A selection leaves marts empty: each says so and why, and the check still passes."""
    env = {**sandbox.env("v3"), "DUCKDB_PATH": str(tmp_path / "marts.duckdb")}
    code, rows, out = check(env, capsys, "--resources", "candidates,applications,jobs")
    assert code == 0, out
    assert rows["mart candidates"][0] == "ok" and "rows from candidates" in out
    status, line = rows["mart offers"]
    assert status == "empty" and "offers not selected (--resources)" in line, out
    assert rows["mart applications"][0] == "ok", out
    assert "marts will be empty (see above): `elt run` can start." in out
