"""Facts about the image, read from the Dockerfile and .dockerignore (no Docker engine needed)."""

from __future__ import annotations

import re
import subprocess

from tests.deploy.helpers import (
    ROOT,
    dockerfile_instructions,
    dockerfile_stages,
    exec_form,
    interpolate,
)

CREDENTIAL = re.compile(r"SECRET|PASSWORD|TOKEN|PASSPHRASE|PRIVATE_KEY|CLIENT_ID|KEYFILE", re.I)


def _runtime():
    return dockerfile_stages()[-1]


def _resolve_base(base: str) -> str:
    """FROM ${ARG} -> its default value from the global ARGs."""
    args: dict[str, str] = {}
    for instruction in dockerfile_instructions():
        if instruction.keyword == "FROM":
            break
        if instruction.keyword == "ARG" and "=" in instruction.args:
            key, value = instruction.args.split("=", 1)
            args[key] = value
    return interpolate(base, args)


def test_multi_stage_build_with_a_slim_python_311_runtime() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2
    runtime = _runtime()
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", _resolve_base(runtime.base))
    builder = next(s for s in stages if s.name == "builder")
    # Same Python in both stages, so the copied virtual environment's paths stay valid.
    assert _resolve_base(builder.base) == _resolve_base(runtime.base)


def test_dependencies_come_from_the_lock_file_with_uv_and_a_cache_mount() -> None:
    builder = next(s for s in dockerfile_stages() if s.name == "builder")
    runs = " ".join(builder.all("RUN"))
    assert "uv sync --frozen --no-dev" in runs
    assert "--mount=type=cache,target=/root/.cache/uv" in runs
    assert "source=uv.lock" in runs


def test_uv_in_the_image_is_the_version_the_makefile_pins() -> None:
    makefile_version = re.search(r"^UV_VERSION := (\S+)", (ROOT / "Makefile").read_text(), re.M)
    assert makefile_version
    text = (ROOT / "Dockerfile").read_text()
    assert f"ghcr.io/astral-sh/uv:{makefile_version.group(1)}" in text


def test_runtime_stage_has_no_build_tools_and_no_uv() -> None:
    runtime = _runtime()
    runs = " ".join(runtime.all("RUN"))
    assert not re.search(r"apt-get|apk add|pip install|gcc|build-essential", runs)
    copies = " ".join(runtime.all("COPY"))
    assert "--from=builder /app /app" in copies
    assert "/uv" not in copies


def test_runs_as_a_non_root_user_with_a_home_directory() -> None:
    runtime = _runtime()
    users = runtime.all("USER")
    assert users, "no USER in the final stage"
    uid = users[-1].split(":")[0]
    assert uid not in {"0", "root"}
    runs = " ".join(runtime.all("RUN"))
    assert re.search(rf"useradd .*--uid {uid}\b.*--create-home --home-dir (\S+)", runs)
    home = re.search(r"--home-dir (\S+)", runs).group(1)
    assert runtime.env()["HOME"] == home


def test_environment_unbuffered_python_and_writable_paths_on_the_data_volume() -> None:
    env = _runtime().env()
    assert env["PYTHONUNBUFFERED"] == "1"
    for key in ("DUCKDB_PATH", "GREENHOUSE_PIPELINES_DIR", "DBT_TARGET_PATH", "DBT_LOG_PATH"):
        assert env[key].startswith("/data/"), key
    assert env["PATH"].startswith("/app/.venv/bin:")
    runs = " ".join(_runtime().all("RUN"))
    assert "chown elt:elt /data" in runs


def test_no_credential_in_any_env_or_arg() -> None:
    for instruction in dockerfile_instructions():
        if instruction.keyword in {"ENV", "ARG", "LABEL"}:
            names = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=", instruction.args)
            names += [] if "=" in instruction.args else instruction.args.split()[:1]
            assert not any(CREDENTIAL.search(n) for n in names), instruction


def test_entry_point_runs_the_pipeline_by_default() -> None:
    runtime = _runtime()
    assert exec_form(runtime.all("ENTRYPOINT")[-1]) == ["/app/bin/entrypoint"]
    assert exec_form(runtime.all("CMD")[-1]) == ["run"]
    assert (ROOT / "bin" / "entrypoint").stat().st_mode & 0o111


def test_dbt_deps_runs_at_build_time_when_the_project_declares_packages() -> None:
    runs = " ".join(s for stage in dockerfile_stages() for s in stage.all("RUN"))
    assert "dbt deps" in runs
    assert "transform/packages.yml" in runs and "transform/dependencies.yml" in runs


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_context() -> None:
    patterns = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for required in (".env", ".dlt/secrets.toml", ".venv/", "data/", ".git/", "**/*.duckdb"):
        assert required in patterns, required


def test_no_tracked_secret_file_would_enter_the_build_context() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    suspicious = [
        path
        for path in tracked
        if re.search(r"(^|/)\.env$|secrets\.toml$|\.p8$|\.pem$|service-account.*\.json$", path)
    ]
    assert not suspicious
