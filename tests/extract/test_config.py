"""Errors a user can cause: one clear line, the right exit code, nothing written.

Snowflake and BigQuery configuration is validated offline here (credentials resolve through
dlt's own config resolution; a missing variable is named); BigQuery also runs end to end on its
emulator (tests/transform/test_bigquery_end_to_end.py).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from extract.cli import main
from extract.destinations import plan_destination, resolved_configuration
from extract.errors import ConfigError
from extract.settings import load_settings
from tests.extract.conftest import Run, clean_environ

V3_CREDS = {"GREENHOUSE_CLIENT_ID": "id-x", "GREENHOUSE_CLIENT_SECRET": "secret-x"}


def _assert_one_clear_line(run, exit_code: int, *fragments: str) -> None:
    assert run.returncode == exit_code, run.stderr
    assert "Traceback" not in run.stderr
    assert len(run.error_lines) == 1, run.stderr
    for fragment in fragments:
        assert fragment in run.error_lines[0], run.error_lines[0]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """The CLI's main() in this process (no interpreter start-up) for runs that end early."""

    def run(env: dict[str, str], *args: str) -> Run:
        with environ(env):
            code = main(["extract", *args])
        out = capsys.readouterr()
        return Run(code, out.out, out.err, None)

    return run


def _nothing_written(env: dict[str, str]) -> None:
    assert not Path(env["DUCKDB_PATH"]).exists()
    assert not Path(env["GREENHOUSE_PIPELINES_DIR"]).exists()


def test_unknown_dest_names_the_valid_values(run_extract, extract_env):
    env = {**extract_env, **V3_CREDS, "DEST": "oracle"}
    run = run_extract(env)
    _assert_one_clear_line(run, 2, "oracle", "duckdb, postgres, snowflake, bigquery, filesystem")
    _nothing_written(env)
    assert run.summary is None


def test_unknown_resource_is_named(cli, extract_env):
    run = cli({**extract_env, **V3_CREDS}, "--resources", "candidates,canditates")
    _assert_one_clear_line(run, 2, "canditates", "valid names")
    _nothing_written(extract_env)


def test_sensitive_endpoints_are_opt_in():
    assert "eeoc" not in load_settings_with({**V3_CREDS}).resources
    assert "eeoc" in load_settings_with({**V3_CREDS}, resources="eeoc").resources


@contextmanager
def environ(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update({**clean_environ(), **env})
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def load_settings_with(env: dict[str, str], **kwargs):
    with environ(env):
        return load_settings(**kwargs)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"GREENHOUSE_CLIENT_SECRET": "s"}, "GREENHOUSE_CLIENT_ID"),
        ({"GREENHOUSE_CLIENT_ID": "i"}, "GREENHOUSE_CLIENT_SECRET"),
        ({"GREENHOUSE_API_VERSION": "v1"}, "GREENHOUSE_API_TOKEN"),
    ],
)
def test_missing_credentials_name_the_variable(cli, extract_env, env, variable):
    run = cli({**extract_env, **env})
    _assert_one_clear_line(run, 2, variable)
    _nothing_written(extract_env)


def test_bad_api_version(cli, extract_env):
    run = cli({**extract_env, **V3_CREDS, "GREENHOUSE_API_VERSION": "v2"})
    _assert_one_clear_line(run, 2, "GREENHOUSE_API_VERSION", "v3", "v1")


def test_plain_http_only_to_loopback(cli, extract_env):
    env = {**extract_env, **V3_CREDS, "GREENHOUSE_BASE_URL": "http://harvest.example.com"}
    _assert_one_clear_line(cli(env), 2, "GREENHOUSE_BASE_URL", "https")
    env["GREENHOUSE_BASE_URL"] = "https://harvest.example.com"
    env["GREENHOUSE_AUTH_URL"] = "http://auth.example.com/token"
    _assert_one_clear_line(cli(env), 2, "GREENHOUSE_AUTH_URL")


# (real subprocesses below: the in-process sandbox would write its own server-side noise into
# the captured stderr when the CLI drops parallel requests on the failure)
def test_rejected_credentials_401(sandbox, run_extract, extract_env):
    env = {**extract_env, **sandbox.env("v3"), "GREENHOUSE_CLIENT_SECRET": "wrong"}
    _assert_one_clear_line(run_extract(env), 1, "GREENHOUSE_CLIENT_SECRET")
    env = {**extract_env, **sandbox.env("v1"), "GREENHOUSE_API_TOKEN": "wrong"}
    _assert_one_clear_line(run_extract(env), 1, "401", "GREENHOUSE_API_TOKEN")


def test_404_names_the_request(sandbox, run_extract, extract_env):
    # demographic answers are a real v1 endpoint the sandbox does not serve: a 404
    env = {**extract_env, **sandbox.env("v1")}
    run = run_extract(env, "--resources", "demographic_answers")
    _assert_one_clear_line(run, 1, "404", "/v1/demographics/answers")


# ---- offline destination validation ---------------------------------------------------------


def _plan(env: dict[str, str]):
    with environ({**V3_CREDS, **env}):
        return plan_destination(load_settings())


def test_postgres_missing_variables_are_named():
    with pytest.raises(ConfigError, match="needs POSTGRES_DB "):
        _plan({"DEST": "postgres", "POSTGRES_HOST": "db", "POSTGRES_USER": "u"})


def test_snowflake_config_resolves_offline(tmp_path):
    with pytest.raises(ConfigError, match="SNOWFLAKE_"):
        _plan({"DEST": "snowflake"})
    with pytest.raises(ConfigError, match="SNOWFLAKE_WAREHOUSE"):
        _plan({"DEST": "snowflake", "SNOWFLAKE_ACCOUNT": "acct", "SNOWFLAKE_USER": "u"})
    key = tmp_path / "rsa_key.p8"
    key.write_text("-----BEGIN PRIVATE KEY-----\nnot-checked-offline\n-----END PRIVATE KEY-----\n")
    env = {
        "DEST": "snowflake",
        "SNOWFLAKE_ACCOUNT": "kgiotue-wn98412",
        "SNOWFLAKE_USER": "loader",
        "SNOWFLAKE_PRIVATE_KEY_PATH": str(tmp_path / "missing.p8"),
        "SNOWFLAKE_WAREHOUSE": "wh",
        "SNOWFLAKE_DATABASE": "analytics",
        "SNOWFLAKE_ROLE": "loader_role",
    }
    with pytest.raises(ConfigError, match="SNOWFLAKE_PRIVATE_KEY_PATH"):
        _plan(env)
    plan = _plan({**env, "SNOWFLAKE_PRIVATE_KEY_PATH": str(key)})
    assert (
        plan.loader_file_format == "jsonl"
    )  # Snowflake loads JSON columns as objects from JSON only
    config = resolved_configuration(plan.destination, "greenhouse_raw")
    creds = config.credentials
    assert (creds.host, creds.username, creds.database, creds.warehouse, creds.role) == (
        "kgiotue-wn98412",
        "loader",
        "analytics",
        "wh",
        "loader_role",
    )
    assert creds.private_key_path == str(key)


def test_snowflake_via_dlt_variables():
    plan = _plan(
        {
            "DEST": "snowflake",
            "DESTINATION__SNOWFLAKE__CREDENTIALS__HOST": "acct",
            "DESTINATION__SNOWFLAKE__CREDENTIALS__DATABASE": "db",
            "DESTINATION__SNOWFLAKE__CREDENTIALS__USERNAME": "u",
            "DESTINATION__SNOWFLAKE__CREDENTIALS__PASSWORD": "p",
        }
    )
    assert plan.identity == "snowflake:acct/db"


def _service_account(tmp_path: Path) -> Path:
    key = subprocess.run(
        ["openssl", "genrsa", "2048"], capture_output=True, text=True, check=True
    ).stdout
    path = tmp_path / "sa.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "gh-project",
                "private_key_id": "abc",
                "private_key": key,
                "client_email": "loader@gh-project.iam.gserviceaccount.com",
            }
        )
    )
    return path


def test_bigquery_config_resolves_offline(tmp_path):
    with pytest.raises(ConfigError, match="BIGQUERY_PROJECT"):
        _plan({"DEST": "bigquery"})
    with pytest.raises(ConfigError, match="BIGQUERY_KEYFILE"):
        _plan(
            {
                "DEST": "bigquery",
                "BIGQUERY_PROJECT": "p",
                "BIGQUERY_KEYFILE": str(tmp_path / "nope.json"),
            }
        )
    keyfile = _service_account(tmp_path)
    plan = _plan(
        {
            "DEST": "bigquery",
            "BIGQUERY_PROJECT": "gh-project",
            "BIGQUERY_LOCATION": "EU",
            "BIGQUERY_KEYFILE": str(keyfile),
        }
    )
    config = resolved_configuration(plan.destination, "greenhouse_raw")
    assert config.location == "EU"
    assert config.credentials.client_email == "loader@gh-project.iam.gserviceaccount.com"
    assert config.credentials.project_id == "gh-project"
    assert plan.loader_file_format == "jsonl"  # BigQuery loads JSON columns from JSONL only


def test_filesystem_lands_parquet(sandbox, run_extract, extract_env, tmp_path):
    bucket = tmp_path / "bucket"
    env = {
        **extract_env,
        **sandbox.env("v3"),
        "DEST": "filesystem",
        "FILESYSTEM_BUCKET_URL": str(bucket),
    }
    run = run_extract(env, "--resources", "candidates,departments").check()
    assert run.summary["rows"]["candidates"] == sandbox.org.count("candidates")
    assert run.summary["rows"]["departments"] == sandbox.org.count("departments")
    assert list(bucket.rglob("*.parquet"))


def test_filesystem_needs_a_bucket(cli, extract_env):
    run = cli({**extract_env, **V3_CREDS, "DEST": "filesystem"})
    _assert_one_clear_line(run, 2, "FILESYSTEM_BUCKET_URL")
