"""No warehouse-specific SQL: the project parses and compiles for Snowflake and BigQuery with
dummy credentials and no network (`dbt compile --no-populate-cache --no-introspect`; compiling
parses the project first), for both API versions, and every compiled model and test parses with
sqlglot in that warehouse's dialect."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sqlglot
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .conftest import clean_env, run_dbt

DIALECT = {"snowflake": "snowflake", "bigquery": "bigquery"}
# contract types dbt will cast null to on the warehouse: names that exist there
CONTRACT_TYPES = {
    "snowflake": {"bigint", "text", "boolean", "date", "timestamp", "numeric(28,6)"},
    "bigquery": {"bigint", "string", "boolean", "date", "timestamp", "numeric(28,6)"},
}


def _private_key_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _credentials(target: str, work: Path) -> dict[str, str]:
    """Dummy credentials: a locally generated key, never a real account."""
    pem = _private_key_pem()
    if target == "snowflake":
        key = work / "snowflake_key.p8"
        key.write_bytes(pem)
        return {
            "SNOWFLAKE_ACCOUNT": "dummy-account",
            "SNOWFLAKE_USER": "dummy",
            "SNOWFLAKE_PRIVATE_KEY_PATH": str(key),
            "SNOWFLAKE_ROLE": "transformer",
            "SNOWFLAKE_WAREHOUSE": "transforming",
            "SNOWFLAKE_DATABASE": "analytics",
        }
    keyfile = work / "service_account.json"
    keyfile.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "dummy-project",
                "private_key_id": "0" * 40,
                "private_key": pem.decode(),
                "client_email": "dbt@dummy-project.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        )
    )
    return {"BIGQUERY_PROJECT": "dummy-project", "BIGQUERY_KEYFILE": str(keyfile)}


@pytest.mark.parametrize(
    ("version", "accounts"),
    [("v3", ""), ("v1", ""), ("v3", "greenhouse_raw_us,greenhouse_raw_eu")],
    ids=["v3", "v1", "v3-two-accounts"],
)
@pytest.mark.parametrize("target", ["snowflake", "bigquery"])
def test_project_compiles_offline_to_valid_warehouse_sql(
    target: str, version: str, accounts: str, tmp_path: Path
) -> None:
    env = clean_env(**_credentials(target, tmp_path), GREENHOUSE_API_VERSION=version)
    if accounts:  # several accounts: each staging model a union over the raw schemas
        env["GREENHOUSE_RAW_SCHEMAS"] = accounts
    # greenhouse_introspect=false: assume every optional raw column exists (no connection)
    args = ["compile", "--no-populate-cache", "--no-introspect", "--target", target]
    args += ["--vars", "{greenhouse_introspect: false}"]
    run = run_dbt(args, env, tmp_path)
    assert run.returncode == 0, run.output[-4000:]

    manifest = json.loads((run.target_path / "manifest.json").read_text())
    contracted = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["contract"]["enforced"]
    ]
    assert {n["name"] for n in contracted} >= {"applications_by_stage", "offer_acceptance"}
    for node in contracted:
        for column in node["columns"].values():
            assert column["data_type"] in CONTRACT_TYPES[target], (node["name"], column)

    compiled = sorted((run.target_path / "compiled" / "greenhouse").rglob("*.sql"))
    models = {p.stem for p in compiled if p.parent.name in ("marts", "greenhouse")}
    assert {"applications_by_stage", "offer_acceptance", "stg_greenhouse__applications"} <= models
    staging = next(p for p in compiled if p.stem == "stg_greenhouse__applications").read_text()
    for account in accounts.split(",") if accounts else ["greenhouse_raw"]:
        assert f"'{account}' as " in staging, account  # its source_relation
        assert re.search(rf"\b{account}\b\W+applications\b", staging, re.I), account
    for path in compiled:
        sql = path.read_text()
        try:
            sqlglot.parse_one(sql, read=DIALECT[target])
        except sqlglot.errors.ParseError as exc:
            pytest.fail(f"{path.relative_to(run.target_path)} is not valid {target} SQL: {exc}")
        # the per-adapter macros must not leak another warehouse's syntax
        assert "::" not in sql, path
        assert "at time zone" not in sql.lower(), path
        assert not re.search(r"(?<![a-z_])timezone\(", sql.lower()), path
