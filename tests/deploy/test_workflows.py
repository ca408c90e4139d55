"""What the GitHub Actions workflows do, read from their YAML (schemas: test_static_checks)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from croniter import croniter

from tests.deploy.helpers import ROOT, env_example_variables

WORKFLOWS = ROOT / ".github" / "workflows"
VALID_DESTS = {"duckdb", "postgres", "snowflake", "bigquery", "filesystem"}
# Secrets that hold a key file's content; the workflow writes them to a file and sets the path.
KEY_CONTENT_SECRETS = {"SNOWFLAKE_PRIVATE_KEY", "BIGQUERY_KEYFILE_JSON"}


def workflow(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the key `on` as True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job["steps"]


def uses(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in steps(job) if str(s.get("uses", "")).startswith(action + "@")]


def runs(job: dict[str, Any]) -> str:
    return "\n".join(str(s.get("run", "")) for s in steps(job))


def test_ci_runs_on_pull_requests_and_pushes_to_main_and_cancels_superseded_runs() -> None:
    ci = workflow("ci.yml")
    assert "pull_request" in ci["on"]
    assert ci["on"]["push"]["branches"] == ["main"]
    assert ci["concurrency"]["cancel-in-progress"] is True
    assert "github.ref" in ci["concurrency"]["group"]


def test_ci_lints_tests_on_postgres_builds_the_demo_and_the_image() -> None:
    jobs = workflow("ci.yml")["jobs"]
    assert "make lint" in runs(jobs["lint"])

    test = jobs["test"]
    assert "make test" in runs(test)
    postgres = test["services"]["postgres"]
    assert postgres["image"].startswith("postgres:")
    assert "--health-cmd" in postgres["options"]
    url = test["env"]["POSTGRES_URL"]
    user, password = postgres["env"]["POSTGRES_USER"], postgres["env"]["POSTGRES_PASSWORD"]
    assert url.startswith(f"postgresql://{user}:{password}@127.0.0.1:5432/")
    assert any(p.split(":")[0] == "5432" for p in postgres["ports"])

    assert "make demo" in runs(jobs["demo"])

    image = jobs["image"]
    build = uses(image, "docker/build-push-action")
    assert build, "no docker/build-push-action step"
    assert build[0]["with"]["cache-from"] == "type=gha"
    assert build[0]["with"]["cache-to"].startswith("type=gha")
    assert build[0]["with"]["load"] is True
    tag = build[0]["with"]["tags"]
    assert f"deploy/smoke-image.sh {tag}" in runs(image)


def test_the_smoke_script_runs_the_demo_and_the_compose_stack() -> None:
    script = ROOT / "deploy" / "smoke-image.sh"
    assert script.stat().st_mode & 0o111
    text = script.read_text()
    assert '"$IMAGE" demo' in text
    assert "--exit-code-from pipeline pipeline" in text


def expand(value: str, variables: dict[str, str]) -> str:
    """Replace `${{ env.NAME }}` with the workflow-level value."""
    return re.sub(r"\$\{\{ env\.(\w+) \}\}", lambda m: variables[m.group(1)], value)


def test_every_job_uses_the_python_and_uv_the_project_pins() -> None:
    makefile_uv = re.search(r"^UV_VERSION := (\S+)", (ROOT / "Makefile").read_text(), re.M)
    assert makefile_uv
    for name in ("ci.yml", "scheduled-run.yml"):
        data = workflow(name)
        variables = data.get("env", {})
        for job_name, job in data["jobs"].items():
            for step in uses(job, "astral-sh/setup-uv"):
                settings = {
                    key: expand(str(value), variables) for key, value in step["with"].items()
                }
                assert settings["version"] == makefile_uv.group(1), (name, job_name)
                assert settings["python-version"] == "3.11", (name, job_name)


def test_scheduled_workflow_runs_on_cron_and_on_demand_for_a_chosen_destination() -> None:
    scheduled = workflow("scheduled-run.yml")
    crons = [entry["cron"] for entry in scheduled["on"]["schedule"]]
    assert crons and all(croniter.is_valid(c) for c in crons)
    dest = scheduled["on"]["workflow_dispatch"]["inputs"]["dest"]
    assert dest["type"] == "choice"
    assert set(dest["options"]) <= VALID_DESTS
    # A DuckDB file on a runner disappears with it: only destinations that outlive the job.
    assert "duckdb" not in dest["options"]
    assert dest["default"] in dest["options"]


def test_scheduled_runs_never_overlap_or_get_cancelled_half_way() -> None:
    concurrency = workflow("scheduled-run.yml")["concurrency"]
    assert concurrency["cancel-in-progress"] is False
    assert "inputs.dest" in concurrency["group"]


def test_scheduled_run_uses_production_secrets_and_runs_the_pipeline() -> None:
    job = workflow("scheduled-run.yml")["jobs"]["run"]
    assert job["environment"] == "production"
    assert job["env"]["DEST"].startswith("${{ inputs.dest")
    assert 'make run DEST="$DEST"' in runs(job)
    # Credentials come from secrets, never from plain values in the file.
    for key, value in job["env"].items():
        if re.search(r"SECRET|PASSWORD|TOKEN|PASSPHRASE", key):
            assert value == f"${{{{ secrets.{key} }}}}", key


def test_scheduled_run_sets_only_variables_the_pipeline_reads() -> None:
    job = workflow("scheduled-run.yml")["jobs"]["run"]
    unknown = set(job["env"]) - env_example_variables() - {"FULL_REFRESH"}
    assert not unknown, f"variables no part of the pipeline reads: {sorted(unknown)}"
    text = (WORKFLOWS / "scheduled-run.yml").read_text()
    secrets = set(re.findall(r"secrets\.([A-Z0-9_]+)", text))
    assert secrets - KEY_CONTENT_SECRETS <= env_example_variables()
    # Each key-content secret becomes the path variable the pipeline reads.
    assert "SNOWFLAKE_PRIVATE_KEY_PATH=" in text and "BIGQUERY_KEYFILE=" in text


def test_scheduled_run_uploads_dbt_run_results_even_when_the_run_fails() -> None:
    job = workflow("scheduled-run.yml")["jobs"]["run"]
    upload = uses(job, "actions/upload-artifact")
    assert upload
    assert upload[0]["if"] == "always()"
    assert "transform/target/run_results.json" in upload[0]["with"]["path"]


def test_readme_lists_every_secret_the_scheduled_workflow_reads() -> None:
    text = (WORKFLOWS / "scheduled-run.yml").read_text()
    doc = (ROOT / "README.md").read_text()
    for secret in set(re.findall(r"secrets\.([A-Z0-9_]+)", text)):
        assert f"`{secret}`" in doc, secret


def test_publish_workflow_pushes_to_ghcr_on_version_tags() -> None:
    publish = workflow("publish-image.yml")
    assert any(t.startswith("v") for t in publish["on"]["push"]["tags"])
    assert publish["permissions"]["packages"] == "write"
    job = publish["jobs"]["publish"]
    login = uses(job, "docker/login-action")
    assert login and login[0]["with"]["registry"] == "ghcr.io"
    meta = uses(job, "docker/metadata-action")
    assert meta and meta[0]["with"]["images"].startswith("ghcr.io/")
    pushes = [s for s in uses(job, "docker/build-push-action") if s["with"].get("push") is True]
    assert pushes and pushes[0]["with"]["tags"] == "${{ steps.meta.outputs.tags }}"
    # The candidate image is smoke-tested before anything is pushed.
    names = [s.get("name", s.get("uses", "")) for s in steps(job)]
    smoke = next(i for i, s in enumerate(steps(job)) if "smoke-image.sh" in str(s.get("run", "")))
    assert smoke < names.index(pushes[0]["name"])


def test_workflows_pin_actions_to_a_major_version() -> None:
    for path in sorted(Path(WORKFLOWS).glob("*.yml")):
        for action in re.findall(r"uses:\s*(\S+)", path.read_text()):
            assert re.search(r"@v\d+$", action), f"{path.name}: {action}"
