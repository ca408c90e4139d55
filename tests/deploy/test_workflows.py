"""The scheduled workflow's secrets and variables: each one is a secret, and each is documented.

(Whether the workflows are valid is the GitHub workflow schema's job: `bin/lint workflows`.)"""

from __future__ import annotations

import re
from typing import Any

from tests.deploy.helpers import ROOT, env_example_variables, yaml_documents

WORKFLOWS = ROOT / ".github" / "workflows"
# Secrets that hold a key file's content; the workflow writes them to a file and sets the path.
KEY_CONTENT_SECRETS = {"SNOWFLAKE_PRIVATE_KEY", "BIGQUERY_KEYFILE_JSON"}


def workflow(name: str) -> dict[str, Any]:
    (data,) = yaml_documents(WORKFLOWS / name)
    return dict(data)


def test_scheduled_run_takes_every_credential_from_a_secret() -> None:
    job = workflow("scheduled-run.yml")["jobs"]["run"]
    credentials = [key for key in job["env"] if re.search(r"SECRET|PASSWORD|TOKEN|PASSPHRASE", key)]
    assert credentials, "the scheduled run sets no credential at all"
    for key in credentials:
        assert job["env"][key] == f"${{{{ secrets.{key} }}}}", key


def test_scheduled_run_sets_only_variables_the_pipeline_reads() -> None:
    job = workflow("scheduled-run.yml")["jobs"]["run"]
    unknown = set(job["env"]) - env_example_variables() - {"FULL_REFRESH"}
    assert not unknown, f"variables no part of the pipeline reads: {sorted(unknown)}"
    text = (WORKFLOWS / "scheduled-run.yml").read_text()
    secrets = set(re.findall(r"secrets\.([A-Z0-9_]+)", text))
    assert secrets - KEY_CONTENT_SECRETS <= env_example_variables()
    # Each key-content secret becomes the path variable the pipeline reads.
    assert "SNOWFLAKE_PRIVATE_KEY_PATH=" in text and "BIGQUERY_KEYFILE=" in text


def test_deploy_guide_lists_every_secret_the_scheduled_workflow_reads() -> None:
    text = (WORKFLOWS / "scheduled-run.yml").read_text()
    doc = (ROOT / "docs" / "deploy.md").read_text()
    for secret in set(re.findall(r"secrets\.([A-Z0-9_]+)", text)):
        assert f"`{secret}`" in doc, secret
