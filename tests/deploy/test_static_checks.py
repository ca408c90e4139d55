"""The offline validators `make lint` runs: they pass on our files and catch real mistakes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.deploy.helpers import (
    COMPOSE_FILE,
    K8S_MANIFESTS,
    ROOT,
    tool,
)


def run(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


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


# --- bin/lint itself ------------------------------------------------------------------------------


def lint_copy(tmp_path: Path, files: dict[str, str]) -> Path:
    """A git repository holding bin/lint and `files`: bin/lint lints the tree it sits in."""
    (tmp_path / "bin").mkdir()
    shutil.copy2(ROOT / "bin" / "lint", tmp_path / "bin" / "lint")
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    (tmp_path / ".gitignore").write_text(".venv\n")
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    return tmp_path / "bin" / "lint"


def test_bin_lint_passes_the_deployment_checks() -> None:
    result = run(
        ROOT / "bin" / "lint", "hadolint", "compose", "workflows", "kubernetes", "shellcheck"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "lint passed" in result.stdout
    # shellcheck saw the scripts bin/lint found by their shebang, this one among them.
    assert "bin/entrypoint" in result.stdout and "deploy/smoke-image.sh" in result.stdout


def test_bin_lint_fails_and_names_the_failed_check(tmp_path: Path) -> None:
    lint = lint_copy(
        tmp_path,
        {"docker-compose.yml": COMPOSE_FILE.read_text(), "Dockerfile": "FROM python\nUSER root\n"},
    )
    result = run(lint, "compose", "hadolint", cwd=tmp_path)
    assert result.returncode == 1
    assert "lint FAILED: hadolint" in result.stderr
    assert "-- compose: ok" in result.stdout


def test_bin_lint_shellchecks_a_new_script_found_by_its_shebang(tmp_path: Path) -> None:
    # Listed nowhere and not even committed: found because its first line says it is a sh script.
    broken = '#!/bin/sh\ncd somewhere\nrm -rf "$PREFIX"/\n'
    lint = lint_copy(tmp_path, {"scripts/cleanup": broken, "notes.py": "#!/usr/bin/env python3\n"})
    result = run(lint, "shellcheck", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "scripts/cleanup" in result.stdout and "SC2164" in result.stdout  # cd without || exit
    assert "notes.py" not in result.stdout
    assert "lint FAILED: shellcheck" in result.stderr


def test_bin_lint_rejects_an_unknown_check() -> None:
    result = run(ROOT / "bin" / "lint", "spelling")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: unknown check 'spelling'; valid: ruff ruff-format mypy sqlfluff hadolint compose "
        "workflows kubernetes shellcheck"
    ]
