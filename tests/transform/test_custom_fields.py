"""Custom fields as typed columns: sandbox -> extract -> dbt build of the `<entity>_custom_fields`
marts, for v3 and v1 on DuckDB and PostgreSQL (one build each). Every column has the type of its
field's value type and every row the value `tests/oracles/custom_fields.py` computes from the
sandbox's records; the selection vars change the columns (never their names); unsafe and
colliding name keys get the documented names; a bad selection is one clear error; without the
dictionary the marts build with their keys only; the SQL compiles for Snowflake and BigQuery."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from sandbox.data import Organisation
from tests.fixtures.postgres import fresh_database
from tests.fixtures.sandbox import SandboxHandle, start_sandbox
from tests.oracles import custom_fields as oracle

from .conftest import AS_OF, RESOURCES, assert_build_passed, clean_env, fetch, run_dbt, run_extract
from .test_offline_compile import DIALECT, _credentials

pytestmark = pytest.mark.slow

MARTS = {field_type: f"{field_type}_custom_fields" for field_type in oracle.ENTITIES}
# the custom field marts and what they need, with only the tests of those
SELECT = ["--select", *(f"+{m}" for m in MARTS.values()), "--indirect-selection", "cautious"]
DICTIONARY = {"v3": ",custom_fields,custom_field_options", "v1": ",custom_fields"}
# warehouse type per column kind (information_schema.columns.data_type)
TYPES = {
    "duckdb": {
        "text": "VARCHAR",
        "list": "VARCHAR",
        "boolean": "BOOLEAN",
        "number": "DECIMAL(28,6)",
        "date": "DATE",
        "integer": "BIGINT",
        "key": "BIGINT",
        "account": "VARCHAR",
    },
    "postgres": {
        "text": "text",
        "list": "text",
        "boolean": "boolean",
        "number": "numeric(28,6)",
        "date": "date",
        "integer": "bigint",
        "key": "bigint",
        "account": "text",
    },
}


@dataclass
class Build:
    dest: str
    version: str
    env: dict[str, str]
    work: Path
    connect: Any  # () -> DB-API connection


def _build(sandbox: SandboxHandle, dest: str, version: str, work: Path, **env: str) -> Build:
    env = clean_env(
        **sandbox.env(version),
        **env,
        DEST=dest,
        GREENHOUSE_PIPELINES_DIR=str(work / "pipelines"),
        GREENHOUSE_AS_OF=AS_OF,
    )
    run_extract(env, version, resources=RESOURCES[version] + DICTIONARY[version])
    assert_build_passed(run_dbt(["build", "--target", dest, *SELECT], env, work))
    if dest == "duckdb":
        import duckdb

        path = env["DUCKDB_PATH"]
        return Build(dest, version, env, work, lambda: duckdb.connect(path, read_only=True))
    import psycopg2

    url = "postgresql://{POSTGRES_USER}:{POSTGRES_PASSWORD}@{POSTGRES_HOST}:{POSTGRES_PORT}/{POSTGRES_DB}"
    return Build(dest, version, env, work, lambda: psycopg2.connect(url.format(**env)))


@pytest.fixture(scope="module")
def builds(
    transform_sandbox: SandboxHandle,
    postgres_server_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[tuple[str, str], Build]]:
    out: dict[tuple[str, str], Build] = {}
    with fresh_database(postgres_server_url) as v3_db, fresh_database(postgres_server_url) as v1_db:
        for version, database in (("v3", v3_db), ("v1", v1_db)):
            work = tmp_path_factory.mktemp(f"duckdb_{version}")
            out["duckdb", version] = _build(
                transform_sandbox, "duckdb", version, work, DUCKDB_PATH=str(work / "gh.duckdb")
            )
            work = tmp_path_factory.mktemp(f"postgres_{version}")
            out["postgres", version] = _build(
                transform_sandbox, "postgres", version, work, **database.env()
            )
        yield out


def _column_types(connection: Any, dest: str, table: str) -> dict[str, str]:
    data_type = (
        "data_type"
        if dest == "duckdb"  # DuckDB writes DECIMAL(28,6) itself
        else "case when data_type = 'numeric' then 'numeric(' || numeric_precision || ','"
        " || numeric_scale || ')' else data_type end"
    )
    sql = (
        f"select column_name, {data_type} as data_type from information_schema.columns"
        f" where table_schema = 'greenhouse_marts' and table_name = '{table}'"
        " order by ordinal_position"
    )
    return {row["column_name"]: row["data_type"] for row in fetch(connection, sql)}


# the one account of these builds (GREENHOUSE_RAW_SCHEMA unset)
ACCOUNT = "greenhouse_raw"


def _mart(connection: Any, field_type: str) -> list[dict[str, Any]]:
    key = oracle.ENTITIES[field_type][1]
    sql = f"select * from greenhouse_marts.{MARTS[field_type]} order by source_relation, {key}"
    return fetch(connection, sql)


def _expected_rows(org: Any, field_type: str) -> list[dict[str, Any]]:
    """The oracle's rows (one organisation), as the account's: source_relation first."""
    return [{"source_relation": ACCOUNT, **row} for row in oracle.rows(org, field_type)]


def _diff(got: list[dict[str, Any]], expected: list[dict[str, Any]]) -> list[str]:
    problems = [f"{len(got)} rows, expected {len(expected)}"] if len(got) != len(expected) else []
    for g, e in zip(got, expected, strict=False):
        for column, value in e.items():
            if g.get(column) != value or type(g.get(column)) is not type(value):
                problems.append(
                    f"{column} of {next(iter(e.values()))}: {g.get(column)!r} != {value!r}"
                )
    return problems


def test_the_sandbox_has_every_value_type_on_every_entity_some_empty(
    transform_sandbox: SandboxHandle,
) -> None:
    org = transform_sandbox.org
    wanted = {"text", "number", "date", "yes_no", "single_select", "multi_select", "currency"}
    wanted.add("user")
    for field_type in oracle.ENTITIES:
        types = {
            "text" if f["value_type"] in ("short_text", "long_text") else f["value_type"]
            for f in org.records("custom_fields")
            if f["field_type"] == field_type and f["active"]
        }
        assert wanted <= types, (field_type, wanted - types)
        rows = oracle.rows(org, field_type)
        for column in oracle.columns(org, field_type):
            values = [row[column.name] for row in rows]
            assert None in values, (field_type, column.name)
            assert any(v is not None for v in values), (field_type, column.name)


@pytest.mark.parametrize("version", ["v3", "v1"])
@pytest.mark.parametrize("dest", ["duckdb", "postgres"])
def test_every_custom_column_has_its_type_and_value(
    builds: dict[tuple[str, str], Build], transform_sandbox: SandboxHandle, dest: str, version: str
) -> None:
    org = transform_sandbox.org
    with builds[dest, version].connect() as connection:
        for field_type, (_, key) in oracle.ENTITIES.items():
            columns = oracle.columns(org, field_type)
            expected_types = {
                "source_relation": TYPES[dest]["account"],
                key: TYPES[dest]["key"],
            } | {c.name: TYPES[dest][c.kind] for c in columns}
            got_types = _column_types(connection, dest, MARTS[field_type])
            assert list(got_types.items()) == list(expected_types.items())
            problems = _diff(_mart(connection, field_type), _expected_rows(org, field_type))
            assert not problems, f"{MARTS[field_type]}:\n" + "\n".join(problems[:30])


def test_unsafe_and_colliding_name_keys_get_the_documented_names(
    builds: dict[tuple[str, str], Build],
) -> None:
    with builds["duckdb", "v3"].connect() as connection:
        candidate = _column_types(connection, "duckdb", "candidate_custom_fields")
        offer = _column_types(connection, "duckdb", "offer_custom_fields")
        application = _column_types(connection, "duckdb", "application_custom_fields")
    # "LinkedIn URL" (6024) and "linkedin-url" (6025) are both custom_linkedin_url: the later id
    # takes its id; the offer text field salary_amount (6041) meets the currency salary's column
    assert {"custom_linkedin_url", "custom_linkedin_url_6025"} <= set(candidate)
    assert {"custom_salary_amount", "custom_salary_unit", "custom_salary_amount_6041"} <= set(offer)
    assert offer["custom_salary_amount"] == "DECIMAL(28,6)"
    assert offer["custom_salary_amount_6041"] == "VARCHAR"
    # a 62-character name key is cut to 32 characters
    assert "custom_how_did_you_hear_about_us_and_wh" in application


def _rerun(build: Build, work: Path, vars_: dict[str, Any] | None = None) -> Any:
    """`dbt run` of the custom field marts on a copy of the DuckDB build (the build stays)."""
    work.mkdir()
    path = work / "gh.duckdb"
    shutil.copy(build.env["DUCKDB_PATH"], path)
    env = {**build.env, "DUCKDB_PATH": str(path)}
    args = ["run", "--target", "duckdb", "--select", *MARTS.values()]
    run = run_dbt(args + (["--vars", json.dumps(vars_)] if vars_ else []), env, work)
    return run, path


def _columns_of(path: Path) -> dict[str, list[str]]:
    import duckdb

    with duckdb.connect(str(path), read_only=True) as connection:
        names = {ft: list(_column_types(connection, "duckdb", m)) for ft, m in MARTS.items()}
    for field_type, columns in names.items():  # the key first: the account, the entity's id
        assert columns[:2] == ["source_relation", oracle.ENTITIES[field_type][1]], columns
    return {field_type: columns[2:] for field_type, columns in names.items()}


def _names(org: Any, **selection: Any) -> dict[str, list[str]]:
    return {ft: [c.name for c in oracle.columns(org, ft, **selection)] for ft in MARTS}


SELECTIONS: dict[str, dict[str, Any]] = {
    "include and exclude": {
        "greenhouse_custom_fields_include": [
            "candidate.skills",
            "job.headcount_plan",
            "offer.salary",
            "offer.notes",
        ],
        "greenhouse_custom_fields_exclude": ["offer.notes"],
    },
    "exclude": {"greenhouse_custom_fields_exclude": ["candidate.LinkedIn URL", "job.budget"]},
    "off": {"greenhouse_custom_fields": False},
}


@pytest.mark.parametrize("name", list(SELECTIONS))
def test_the_selection_vars_change_the_columns_not_their_names(
    builds: dict[tuple[str, str], Build],
    transform_sandbox: SandboxHandle,
    tmp_path: Path,
    name: str,
) -> None:
    vars_ = SELECTIONS[name]
    run, path = _rerun(builds["duckdb", "v3"], tmp_path / "run", vars_)
    assert run.returncode == 0, run.output[-3000:]
    selection = {
        "include": vars_.get("greenhouse_custom_fields_include", ()),
        "exclude": vars_.get("greenhouse_custom_fields_exclude", ()),
        "enabled": vars_.get("greenhouse_custom_fields", True),
    }
    expected = _names(transform_sandbox.org, **selection)
    assert _columns_of(path) == expected
    if name == "include and exclude":  # an inactive field is taken when listed
        assert expected["job"] == ["custom_headcount_plan"]
    if name == "exclude":  # the other linkedin field keeps its name
        assert "custom_linkedin_url_6025" in expected["candidate"]
        assert "custom_linkedin_url" not in expected["candidate"]


def test_an_unknown_field_in_a_selection_is_one_clear_error(
    builds: dict[tuple[str, str], Build], tmp_path: Path
) -> None:
    vars_ = {"greenhouse_custom_fields_include": ["candidate.skils"]}
    run, _ = _rerun(builds["duckdb", "v3"], tmp_path / "run", vars_)
    assert run.returncode != 0
    assert "no custom field 'candidate.skils' in the dictionary" in run.output
    assert "candidate.skills" in run.output  # the known fields are listed


def test_without_the_dictionary_the_marts_have_their_keys_only(
    builds: dict[tuple[str, str], Build], tmp_path: Path
) -> None:
    import duckdb

    build = builds["duckdb", "v3"]
    work = tmp_path / "run"
    work.mkdir()
    path = work / "gh.duckdb"
    shutil.copy(build.env["DUCKDB_PATH"], path)
    with duckdb.connect(str(path)) as connection:
        connection.execute("drop table greenhouse_raw.custom_fields")
    env = {**build.env, "DUCKDB_PATH": str(path)}
    select = ["--select", "stg_greenhouse__custom_fields", *MARTS.values()]
    run = run_dbt(["run", "--target", "duckdb", *select], env, work)
    assert run.returncode == 0, run.output[-3000:]
    assert "does not exist (endpoint not extracted?)" in run.output
    assert _columns_of(path) == {field_type: [] for field_type in MARTS}


@pytest.mark.parametrize("target", ["snowflake", "bigquery"])
def test_custom_field_marts_compile_for_snowflake_and_bigquery(
    transform_sandbox: SandboxHandle, tmp_path: Path, target: str
) -> None:
    org = transform_sandbox.org
    dictionary = [
        {
            "custom_field_id": f["id"],
            "field_type": f["field_type"],
            "name_key": f["name_key"],
            "value_type": f["value_type"],
            "is_active": f["active"],
        }
        for f in org.records("custom_fields")
    ]
    vars_ = {"greenhouse_introspect": False, "greenhouse_custom_fields_dictionary": dictionary}
    env = clean_env(**_credentials(target, tmp_path))
    args = ["compile", "--no-populate-cache", "--no-introspect", "--target", target]
    args += ["--select", *MARTS.values(), "--vars", json.dumps(vars_)]
    run = run_dbt(args, env, tmp_path)
    assert run.returncode == 0, run.output[-4000:]
    compiled = run.target_path / "compiled" / "greenhouse" / "models" / "marts"
    for field_type, mart in MARTS.items():
        sql = (compiled / f"{mart}.sql").read_text()
        assert "::" not in sql and "->" not in sql and "json_extract" not in sql, mart
        tree = sqlglot.parse_one(sql, read=DIALECT[target])
        final = next(c for c in tree.find_all(exp.CTE) if c.alias == "final")
        names = [s.alias_or_name for s in final.this.selects]
        key = oracle.ENTITIES[field_type][1]
        assert names == ["source_relation", key, *_names(org)[field_type]], mart


def _field(
    source_relation: str | None, field_id: int, name_key: str, value_type: str, active: bool
) -> dict[str, Any]:
    field = {
        "custom_field_id": field_id,
        "field_type": "candidate",
        "name_key": name_key,
        "value_type": value_type,
        "is_active": active,
    }
    return field if source_relation is None else {**field, "source_relation": source_relation}


def _compiled_candidate_columns(
    tmp_path: Path, accounts: list[str], dictionary: list[dict[str, Any]]
) -> dict[str, exp.Expression]:
    """The final select of candidate_custom_fields compiled offline: {column: expression}."""
    tmp_path.mkdir()
    vars_ = {"greenhouse_introspect": False, "greenhouse_custom_fields_dictionary": dictionary}
    env = clean_env(**_credentials("snowflake", tmp_path))
    env["GREENHOUSE_RAW_SCHEMAS"] = ",".join(accounts)
    args = ["compile", "--no-populate-cache", "--no-introspect", "--target", "snowflake"]
    args += ["--select", MARTS["candidate"], "--vars", json.dumps(vars_)]
    run = run_dbt(args, env, tmp_path)
    assert run.returncode == 0, run.output[-4000:]
    compiled = run.target_path / "compiled" / "greenhouse" / "models" / "marts"
    tree = sqlglot.parse_one((compiled / f"{MARTS['candidate']}.sql").read_text(), read="snowflake")
    final = next(c for c in tree.find_all(exp.CTE) if c.alias == "final")
    return {s.alias_or_name: s.unalias() for s in final.this.selects}


def test_fields_of_several_accounts_follow_the_documented_rules(tmp_path: Path) -> None:
    # Two accounts whose dictionaries disagree, written from the rules of docs/transform.md
    # (custom fields over several accounts): a field is (field_type, name_key); the first
    # listed account that has it gives its type and id; active if active anywhere; naming by
    # that account, then id; an entry without source_relation is the first account's.
    us, eu = "greenhouse_raw_us", "greenhouse_raw_eu"
    dictionary = [  # listed out of order on purpose
        _field(eu, 1, "region", "short_text", True),  # only in the second account
        _field(eu, 2, "level", "number", True),  # same field, other type and id
        _field(eu, 3, "a_b", "short_text", True),  # clashes with the first account's a-b
        _field(us, 9, "a-b", "short_text", True),
        _field(us, 7, "level", "short_text", False),  # inactive here, active in eu
        _field(None, 11, "tenure", "yes_no", True),  # no source_relation: the first account
        _field(eu, 4, "retired", "number", False),  # inactive everywhere: no column
    ]
    columns = _compiled_candidate_columns(tmp_path / "two", [us, eu], dictionary)
    assert list(columns) == [
        "source_relation",
        "candidate_id",
        "custom_level",  # first account's id 7 ...
        "custom_a_b",  # ... 9 ...
        "custom_tenure",  # ... 11, then the second account's own fields by id
        "custom_region",
        "custom_a_b_3",  # its base name was taken: its own (second account's) id
    ]
    # level is text (the first account's type): the second account's numbers are not cast
    typed = ("BOOLEAN", "DECIMAL", "NUMBER", "DATE", "BIGINT")
    level = columns["custom_level"].sql("snowflake")
    assert not any(name in level for name in typed), level
    assert "BOOLEAN" in columns["custom_tenure"].sql("snowflake")

    # The first account alone: the names it had are the names it keeps with a second listed
    alone = _compiled_candidate_columns(
        tmp_path / "one", [us], [f for f in dictionary if f.get("source_relation") != eu]
    )
    assert list(alone) == ["source_relation", "candidate_id", "custom_a_b", "custom_tenure"]


@pytest.fixture(scope="module")
def odd_keys_sandbox() -> Iterator[SandboxHandle]:
    """An account whose dictionary also holds an empty name key (job 6050), a null one
    (candidate 6051) and keys without an ASCII letter (job 給与, candidate 部署, application
    2025): sandbox/data/custom_fields.py, ODD_CUSTOM_FIELDS."""
    handle = start_sandbox(org=Organisation(seed=42, candidates=60, odd_custom_field_keys=True))
    yield handle
    handle.stop()


@pytest.mark.parametrize("version", ["v3", "v1"])
@pytest.mark.parametrize("dest", ["duckdb", "postgres"])
def test_empty_missing_and_non_ascii_name_keys(
    odd_keys_sandbox: SandboxHandle,
    postgres_server_url: str,
    tmp_path: Path,
    dest: str,
    version: str,
) -> None:
    org = odd_keys_sandbox.org
    odd = {f["name_key"]: f for f in org.records("custom_fields") if f["id"] >= 6050}
    assert set(odd) == {"", None, "給与", "部署", "2025"}, odd  # the account this test is about
    env = clean_env(
        **odd_keys_sandbox.env(version),
        DEST=dest,
        GREENHOUSE_PIPELINES_DIR=str(tmp_path / "pipelines"),
        GREENHOUSE_AS_OF=AS_OF,
        DUCKDB_PATH=str(tmp_path / "gh.duckdb"),
    )
    with fresh_database(postgres_server_url) as database:
        env |= database.env() if dest == "postgres" else {}
        run_extract(env, version, resources=RESOURCES[version] + DICTIONARY[version])
        run = run_dbt(["build", "--target", dest, *SELECT], env, tmp_path)
        assert run.returncode == 0, run.output[-6000:]
        statuses = {r["unique_id"]: r["status"] for r in run.results()}
        not_passing = {u: s for u, s in statuses.items() if s not in ("success", "pass")}
        # the dictionary's not-null test on name_key warns; it no longer skips the marts
        assert list(not_passing.values()) == ["warn"], not_passing
        assert "not_null_stg_greenhouse__custom_fields_name_key" in next(iter(not_passing))
        # loaded into PostgreSQL (dlt's CSV files), the empty key arrives as NULL
        empty = "an empty name_key ''" if dest == "duckdb" else "no name_key"
        for field_id, field_type, what in (
            (odd[""]["id"], "job", empty),
            (odd[None]["id"], "candidate", "no name_key"),
        ):
            assert (
                f"custom field {field_id} ({field_type}, account {ACCOUNT}) has {what}: "
                f"it gets no column in {field_type}_custom_fields"
            ) in " ".join(run.output.split()), run.output[-4000:]

        if dest == "duckdb":
            import duckdb

            connect: Any = lambda: duckdb.connect(env["DUCKDB_PATH"], read_only=True)  # noqa: E731
        else:
            connect = database.connect
        with connect() as connection:
            for field_type, (_, key) in oracle.ENTITIES.items():
                columns = oracle.columns(org, field_type)
                expected_types = {
                    "source_relation": TYPES[dest]["account"],
                    key: TYPES[dest]["key"],
                } | {c.name: TYPES[dest][c.kind] for c in columns}
                got_types = _column_types(connection, dest, MARTS[field_type])
                assert list(got_types.items()) == list(expected_types.items())
                problems = _diff(_mart(connection, field_type), _expected_rows(org, field_type))
                assert not problems, f"{MARTS[field_type]}:\n" + "\n".join(problems[:30])
            job = _column_types(connection, dest, "job_custom_fields")
            candidate = _column_types(connection, dest, "candidate_custom_fields")
            application = _column_types(connection, dest, "application_custom_fields")
    # named after the field id, typed by the value type; nothing for the keys that are no key
    salary, department, year = (odd[k]["id"] for k in ("給与", "部署", "2025"))
    assert job[f"custom_field_{salary}_amount"] == TYPES[dest]["number"]
    assert job[f"custom_field_{salary}_unit"] == TYPES[dest]["text"]
    assert candidate[f"custom_field_{department}"] == TYPES[dest]["text"]
    assert application[f"custom_field_{year}"] == TYPES[dest]["boolean"]
    assert not [c for c in [*job, *candidate] if c in ("custom_field", "custom_")]
