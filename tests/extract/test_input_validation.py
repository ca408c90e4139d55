"""Inputs that used to be accepted silently or failed noisily: each is one clear line now."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from dlt.common.schema.typing import TWriteDisposition

from extract import cli, messages, stages
from extract.errors import ConfigError
from tests.extract.conftest import REPO, clean_environ
from tests.extract.test_config import load_settings_with

V3 = {"GREENHOUSE_CLIENT_ID": "id", "GREENHOUSE_CLIENT_SECRET": "secret"}


@pytest.mark.parametrize("value", [" , ,", ",", " ,"])
def test_resources_made_only_of_separators_is_an_error(value: str) -> None:
    with pytest.raises(ConfigError, match="lists no endpoint name"):
        load_settings_with({**V3, "GREENHOUSE_RESOURCES": value})
    with pytest.raises(ConfigError, match="lists no endpoint name"):
        load_settings_with(V3, resources=value)


def test_unset_or_blank_resources_mean_the_default_selection() -> None:
    default = load_settings_with(V3).resources
    assert load_settings_with({**V3, "GREENHOUSE_RESOURCES": "  "}).resources == default
    assert "jobs" in default


def test_zero_workers_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"GREENHOUSE_WORKERS must be >= 1 \(got 0\)"):
        load_settings_with({**V3, "GREENHOUSE_WORKERS": "0"})
    assert load_settings_with({**V3, "GREENHOUSE_WORKERS": "1"}).extract_workers == 1


def test_dest_is_case_insensitive_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """One rule: DEST is read case-insensitively and normalized once, so the extract, dbt's
    target and the filesystem shortcut of `elt run` all see the same lower-case name."""
    assert load_settings_with({**V3, "DEST": " DuckDB "}).dest == "duckdb"
    seen: list[str] = []

    def extract_stage(**_: Any) -> int:
        import os

        seen.append(os.environ["DEST"])
        return 0

    monkeypatch.setattr(stages, "extract_stage", extract_stage)
    monkeypatch.setattr(stages, "transform_stage", lambda *_: pytest.fail("transform ran"))
    from tests.extract.test_config import environ

    with environ({"DEST": "FileSystem"}):
        assert cli.main([]) == 0  # `elt` alone: the filesystem has no dbt step
    assert seen == ["filesystem"]
    with environ({"DEST": "Oracle"}), pytest.raises(ConfigError, match="unknown DEST 'Oracle'"):
        load_settings_with({**V3, "DEST": "Oracle"})


def test_timeout_names_the_variable() -> None:
    message, code = messages.describe_failure(requests.ReadTimeout("read timed out"), [])
    assert code == 1 and "GREENHOUSE_REQUEST_TIMEOUT" in message


def test_database_errors_never_quote_row_content() -> None:
    """PostgreSQL stopped mid-load: the error's CONTEXT quotes a row of the COPY file."""
    import psycopg2
    from dlt.destinations.exceptions import DatabaseTransientException

    row = '"30002520,4000123,Jane Candidate,jane@example.com"'
    pg_text = (
        "terminating connection due to administrator command\n"
        "SSL connection has been closed unexpectedly\n"
        f"CONTEXT:  COPY application_stages, line 9955: {row}\n"
    )
    try:
        try:
            try:
                raise psycopg2.OperationalError(pg_text)
            except psycopg2.OperationalError as db_error:
                raise DatabaseTransientException(db_error) from db_error
        except DatabaseTransientException as wrapped:
            raise RuntimeError(f"Job for application_stages failed: {wrapped}") from wrapped
    except RuntimeError as exc:
        message, code = messages.describe_failure(exc, [])
    assert code == 1
    assert "\n" not in message
    assert "30002520" not in message and "jane" not in message and "COPY" not in message
    assert "terminating connection" in message

    detail = "duplicate key\nDETAIL:  Key (id)=(42) already exists.\nFailing row contains (42, x)"
    assert "42" not in messages.scrub_database_text(detail)


def test_malformed_secrets_toml_names_the_file_and_line(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / ".dlt").mkdir(parents=True)
    (project / ".dlt" / "config.toml").write_text((REPO / ".dlt" / "config.toml").read_text())
    secrets = project / ".dlt" / "secrets.toml"
    secrets.write_text('[sources.greenhouse]\nclient_id = abc\nclient_secret = "x"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "extract", "extract"],
        cwd=REPO,
        env={**clean_environ(), "DLT_PROJECT_DIR": str(project),
             "GREENHOUSE_PIPELINES_DIR": str(tmp_path / "pipelines"),
             "DUCKDB_PATH": str(tmp_path / "raw.duckdb")},
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    assert str(secrets) in errors[0] and "line 2" in errors[0]
    assert "missing" not in errors[0]


def test_switching_api_version_on_a_dataset_is_refused(
    sandbox, run_extract, extract_env, target
) -> None:
    """A v1 run, then a v3 run into the same raw dataset: refused before anything is written;
    the v1 data stays; another prefix (a separate dataset) is the way out."""
    extract_env = {**extract_env, **target.env}
    resources = ["--resources", "departments,offices"]
    run_extract({**extract_env, **sandbox.env("v1")}, *resources).check()
    before = target.counts()
    assert before["departments"] > 0

    refused = run_extract({**extract_env, **sandbox.env("v3")}, *resources)
    assert refused.returncode == 2, refused.stderr
    assert len(refused.error_lines) == 1, refused.stderr
    line = refused.error_lines[0]
    assert "holds Harvest v1 data" in line and "a v3 run would mix" in line
    assert "GREENHOUSE_API_VERSION=v1" in line and "GREENHOUSE_SCHEMA_PREFIX" in line
    assert target.counts() == before
    also_refused = run_extract({**extract_env, **sandbox.env("v3")}, *resources, "--full-refresh")
    assert also_refused.returncode == 2, also_refused.stderr
    assert target.counts() == before

    elsewhere = {**extract_env, **sandbox.env("v3"), "GREENHOUSE_SCHEMA_PREFIX": "v3test"}
    run_extract(elsewhere, *resources).check()
    assert target.counts() == before
    rows = target.query("select count(*) from v3test_greenhouse_raw.departments")
    assert rows[0][0] > 0
    run_extract({**extract_env, **sandbox.env("v1")}, *resources).check()  # v1 carries on


@pytest.mark.parametrize("disposition", ["replace", "merge"])
def test_duplicate_ids_keep_the_last_copy(tmp_path: Path, disposition: TWriteDisposition) -> None:
    """The API lists a record twice, on one page or on two: the load writes it once, the
    last copy seen winning, and says how many copies it left out."""
    import dlt
    import duckdb

    from extract.pipeline import Deduplication

    pages = [
        [{"id": 1, "name": "old"}, {"id": 2, "name": "b"}, {"id": 1, "name": "new"}],
        [{"id": 2, "name": "b again", "tags": ["x"]}, {"id": 3, "name": "c"}],
    ]

    @dlt.source(name="dupes", root_key=True)
    def source():
        @dlt.resource(name="jobs", primary_key="id", write_disposition=disposition)
        def jobs():
            yield from pages

        return jobs

    dedup = Deduplication()
    src = source()
    dedup.attach(src, {"jobs": "id"})
    path = tmp_path / "dupes.duckdb"
    pipeline = dlt.pipeline(
        "dupes", destination=dlt.destinations.duckdb(str(path)), dataset_name="raw",
        pipelines_dir=str(tmp_path / "pipelines"),
    )  # fmt: skip
    pipeline.run(src)
    assert len(dedup.load_later_copies(pipeline, src)) == 1
    with duckdb.connect(str(path), read_only=True) as conn:
        rows = conn.execute("select id, name from raw.jobs order by id").fetchall()
        tags = conn.execute(
            "select j.id, t.value from raw.jobs__tags t "
            "join raw.jobs j on t._dlt_root_id = j._dlt_id"
        ).fetchall()
    assert rows == [(1, "new"), (2, "b again"), (3, "c")]
    assert tags == [(2, "x")]
    assert dedup.dropped == {"jobs": 2}


def test_the_summary_says_how_many_duplicates_were_dropped() -> None:
    from rich.console import Console

    from extract.pipeline import RunSummary
    from extract.summary import print_summary

    summary = RunSummary("v3", "duckdb", "greenhouse_raw", ["jobs"], False, rows={"jobs": 2})
    summary.duplicates_dropped = {"jobs": 2}
    summary.http = {"requests": 1, "rate_limited_429": 0, "rate_limit_wait_seconds": 0}
    console = Console(record=True, width=200)
    print_summary(summary.as_dict(), console=console)
    assert "DEDUPLICATED jobs: 2 duplicate id(s)" in console.export_text()
    assert summary.as_dict()["duplicates_dropped"] == {"jobs": 2}


def test_dlt_log_records_are_one_line_without_row_content(capsys) -> None:
    """A load job failing as the database goes away: dlt logs it with a traceback; the CLI's
    filter leaves one line per record and never the COPY row that PostgreSQL quotes."""
    import logging

    import psycopg2

    row = '"30002520,4000123,Jane Candidate"'
    try:
        raise psycopg2.OperationalError(
            "terminating connection due to administrator command\n"
            f"CONTEXT:  COPY application_stages, line 9955: {row}\n"
        )
    except psycopg2.OperationalError:
        record = logging.LogRecord(
            "dlt", logging.ERROR, "load.py", 293, "Transient exception in job %s", ("a.csv",),
            sys.exc_info(),
        )  # fmt: skip
        error = sys.exc_info()[1]
    assert messages.OneLineLogRecords().filter(record)
    text = logging.Formatter().format(record)
    assert "\n" not in text and "30002520" not in text and "Traceback" not in text
    assert "Transient exception in job a.csv" in text and "terminating connection" in text

    # psycopg2 prints a SystemError caused by it from its C code, then raises it to dlt: the
    # run's own error line reports it, so the print is left out
    assert error is not None
    try:
        raise SystemError("<function decode> returned a result with an exception set") from error
    except SystemError as printed:
        messages._one_line_excepthook(SystemError, printed, printed.__traceback__)
    assert capsys.readouterr().err == ""
    # any other error reaching the hook is one scrubbed line
    try:
        raise ValueError(f"bad value\nCONTEXT:  COPY application_stages, line 9955: {row}")
    except ValueError as other:
        messages._one_line_excepthook(ValueError, other, other.__traceback__)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "30002520" not in err and "ValueError: bad value" in err


def test_dlt_log_records_never_show_a_secret_of_the_run(monkeypatch) -> None:
    import logging

    from extract import redact

    monkeypatch.setattr(redact, "_KNOWN", {"s3cr3t-value"})
    record = logging.LogRecord(
        "dlt", logging.ERROR, "x.py", 1, "connecting with %s", ("s3cr3t-value",), None
    )
    assert messages.OneLineLogRecords().filter(record)
    assert "s3cr3t-value" not in logging.Formatter().format(record)


def test_a_run_history_failure_never_quotes_row_data(monkeypatch, capsys, tmp_path) -> None:
    """The run history is a by-product: when its load fails, one warning line, and the part of
    a database error that quotes the row being copied is left out."""
    import dlt

    from extract import history

    row = '"30002520,Ada,Lovelace"'

    def failing_pipeline(**_: Any) -> Any:
        raise RuntimeError(
            f"COPY failed: server closed the connection\nCONTEXT:  COPY elt_runs, {row}"
        )

    monkeypatch.setenv("DEST", "duckdb")
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "h.duckdb"))
    monkeypatch.setenv("ELT_RUN_HISTORY", "true")
    monkeypatch.setattr(dlt, "pipeline", failing_pipeline)
    history.record({"stage": "extract"})
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("warning: run history not recorded"), err
    assert "server closed the connection" in err and "30002520" not in err


@pytest.mark.parametrize("command", ["run", "extract", "transform", "report"])
def test_raw_schema_that_is_no_schema_name_stops_before_any_request(
    sandbox, tmp_path: Path, command: str
) -> None:
    """``GREENHOUSE_RAW_SCHEMA`` is pasted into SQL: ``Raw-Data's`` used to load into a
    normalised ``raw_data_s`` and then fail with a parser error. Now: one line, exit 2, no
    request sent and nothing written."""
    warehouse = tmp_path / "w.duckdb"
    env = {
        **clean_environ(),
        **sandbox.env("v3"),
        "DEST": "duckdb",
        "DUCKDB_PATH": str(warehouse),
        "GREENHOUSE_PIPELINES_DIR": str(tmp_path / "pipelines"),
        "GREENHOUSE_RAW_SCHEMA": "Raw-Data's",
    }
    done = subprocess.run(
        [sys.executable, "-m", "extract", command], cwd=REPO, env=env, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if line.strip()]
    assert errors == [
        "error: GREENHOUSE_RAW_SCHEMA must be a schema name of lower-case letters, digits and "
        'underscores, not starting with a digit, e.g. greenhouse_raw (got "Raw-Data\'s")'
    ], done.stderr
    stats = sandbox.stats()
    assert stats["total"] == 0 and stats["tokens_issued"] == 0
    assert not warehouse.exists()
