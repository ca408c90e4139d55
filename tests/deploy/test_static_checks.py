"""The offline validators `make lint` runs: they pass on our files and catch real mistakes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.helpers import (
    COMPOSE_FILE,
    DOCKERFILE,
    K8S_MANIFESTS,
    ROOT,
    WORKFLOWS,
    tool,
)


def run(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_dockerfile_is_hadolint_clean() -> None:
    result = run(tool("hadolint"), DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_file_matches_the_compose_specification() -> None:
    result = run(tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", COMPOSE_FILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_exist() -> None:
    names = {path.name for path in WORKFLOWS}
    assert {"ci.yml", "scheduled-run.yml", "publish-image.yml"} <= names


@pytest.mark.parametrize(
    "schema", ["vendor.github-workflows", "custom.github-workflows-require-timeout"]
)
def test_workflows_match_the_github_workflow_schema(schema: str) -> None:
    result = run(tool("check-jsonschema"), "--builtin-schema", schema, *WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_kubernetes_manifests_match_the_api_schema_strictly() -> None:
    assert K8S_MANIFESTS, "no manifest under deploy/kubernetes/"
    result = run(tool("kubernetes-validate"), "--strict", *K8S_MANIFESTS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "cronjob/greenhouse-elt" in result.stdout + result.stderr


def test_shell_scripts_pass_shellcheck() -> None:
    scripts = [
        ROOT / "bin" / "entrypoint",
        ROOT / "bin" / "lint",
        ROOT / "deploy" / "smoke-image.sh",
    ]
    result = run(tool("shellcheck"), "--severity=warning", *scripts)
    assert result.returncode == 0, result.stdout + result.stderr


# --- the validators really catch mistakes (so a green lint means something) -----------------------


def test_hadolint_rejects_a_root_image_with_unpinned_apt(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:3.11-slim\nRUN apt-get update && apt-get install -y curl\n")
    result = run(tool("hadolint"), bad)
    assert result.returncode != 0
    assert "DL3008" in result.stdout  # unpinned apt package


def test_compose_schema_rejects_an_unknown_depends_on_condition(tmp_path: Path) -> None:
    text = COMPOSE_FILE.read_text().replace(
        "condition: service_healthy", "condition: service_happy", 1
    )
    bad = tmp_path / "docker-compose.yml"
    bad.write_text(text)
    result = run(tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", bad)
    assert result.returncode != 0


def test_workflow_schema_rejects_a_misspelt_job_key(tmp_path: Path) -> None:
    scheduled = ROOT / ".github" / "workflows" / "scheduled-run.yml"
    bad = tmp_path / "scheduled-run.yml"
    bad.write_text(scheduled.read_text().replace("    runs-on:", "    run-on:", 1))
    result = run(tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", bad)
    assert result.returncode != 0


def test_kubernetes_validation_rejects_a_misspelt_field(tmp_path: Path) -> None:
    manifest = next(p for p in K8S_MANIFESTS if "CronJob" in p.read_text())
    bad = tmp_path / "cronjob.yaml"
    bad.write_text(manifest.read_text().replace("  concurrencyPolicy:", "  concurrencyPolicyy:", 1))
    result = run(tool("kubernetes-validate"), "--strict", bad)
    assert result.returncode != 0
    assert "concurrencyPolicyy" in result.stdout + result.stderr


# --- bin/lint itself ----------


def test_bin_lint_passes_the_deployment_checks() -> None:
    # (shellcheck over every script is `make lint`'s job; this suite checks ours, above.)
    result = run(ROOT / "bin" / "lint", "hadolint", "compose", "workflows", "kubernetes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "lint passed" in result.stdout


def test_bin_lint_fails_and_names_the_failed_check(tmp_path: Path) -> None:
    # A copy of the project's deployment files with a broken Dockerfile: bin/lint resolves its
    # files relative to its own location, so it lints the copy.
    (tmp_path / "bin").mkdir()
    shutil.copy2(ROOT / "bin" / "lint", tmp_path / "bin" / "lint")
    shutil.copy2(COMPOSE_FILE, tmp_path / "docker-compose.yml")
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    (tmp_path / "Dockerfile").write_text("FROM python\nUSER root\n")
    result = run(tmp_path / "bin" / "lint", "compose", "hadolint", cwd=tmp_path)
    assert result.returncode == 1
    assert "lint FAILED: hadolint" in result.stderr
    assert "-- compose: ok" in result.stdout


def test_bin_lint_rejects_an_unknown_check() -> None:
    result = run(ROOT / "bin" / "lint", "spelling")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: unknown check 'spelling'; valid: ruff ruff-format sqlfluff hadolint compose "
        "workflows kubernetes shellcheck"
    ]
