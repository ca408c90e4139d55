"""The container image, built and run for real: `deploy/build-image.sh` (make image) builds it once
for this module, then each command runs inside it with `buildah run --isolation chroot` (the host's
network, so the sandbox and PostgreSQL on 127.0.0.1 are reachable), through the image's own entry
point and environment, as its user.

The build context is a copy of this checkout with planted secrets (.env, .dlt/secrets.toml, a key
file) whose values must reach no part of the image; the CA bundle the build trusts (PIP_CERT) is a
build secret and must not reach a layer either. Expected figures come from the sandbox's records.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from extract.endpoints import default_resources
from sandbox.data import Organisation
from tests.deploy.helpers import ROOT
from tests.deploy.test_entrypoint import compose_environment, raw_ids
from tests.fixtures.image_report import report_image_figure
from tests.fixtures.postgres import PostgresDatabase
from tests.fixtures.sandbox import SandboxHandle
from tests.oracles.landing import expected_ids
from tests.transform.checks import check_marts

pytestmark = [pytest.mark.slow, pytest.mark.image]

TAG = "localhost/greenhouse-elt:image-tests"
# Values planted in the build context where users keep secrets; .dockerignore must keep them out.
CANARIES = {
    ".env": "GREENHOUSE_CLIENT_SECRET=canary-env-9f3b1c77e2\n",
    ".dlt/secrets.toml": '[sources.greenhouse]\napi_token = "canary-toml-51d0a8e4b6"\n',
    "secrets/service-account.json": '{"private_key": "canary-key-0c6e2f94d1"}\n',
}
CANARY_VALUES = [re.search(r"canary-[a-z]+-[0-9a-f]+", text).group(0) for text in CANARIES.values()]  # type: ignore[union-attr]
BUILDAH_EXIT_LINES = re.compile(
    r"^(?:subprocess exited with status \d+|Error: exit status \d+)\n?", re.M
)
PEM = re.compile(rb"-----BEGIN CERTIFICATE-----\s+(.+?)\s+-----END CERTIFICATE-----", re.S)


@dataclass
class Image:
    tag: str
    context: Path
    ca_bundle: Path | None
    entrypoint: list[str]
    config: dict[str, Any]
    containers: list[str] = field(default_factory=list)

    def container(self) -> str:
        """A fresh working container of the image (its own /data)."""
        name = _run(["buildah", "from", "--pull-never", self.tag]).stdout.strip()
        self.containers.append(name)
        return name

    def run(
        self,
        *command: str,
        env: dict[str, str] | None = None,
        container: str | None = None,
        user: str | None = None,
        timeout: int = 900,
    ) -> subprocess.CompletedProcess[str]:
        """`docker run IMAGE command...`: the entry point, the image's ENV plus `env`, its USER."""
        argv = ["buildah", "run", "--isolation", "chroot"]
        for key, value in (env or {}).items():
            argv += ["--env", f"{key}={value}"]
        if user is not None:
            argv += ["--user", user]
        argv += [container or self.container(), "--", *self.entrypoint, *command]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        # buildah's own lines about a non-zero exit, not the command's
        result.stderr = BUILDAH_EXIT_LINES.sub("", result.stderr)
        return result

    def read_json(self, container: str, path: str) -> Any:
        """A JSON file the container wrote (/data is the image's VOLUME: buildah keeps it outside
        the container's root filesystem, so it is read from inside)."""
        result = self.run("cat", path, container=container)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def mount(self, container: str) -> Path:
        """The container's root filesystem on this machine (buildah mount)."""
        return Path(_run(["buildah", "mount", container]).stdout.strip())


def _run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, (
        f"{' '.join(argv)} failed:\n{(result.stdout + result.stderr)[-4000:]}"
    )
    return result


def _copy_checkout(target: Path) -> None:
    """The files git knows in this checkout (tracked, or untracked and not ignored), as they are."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for rel in filter(None, (name.decode() for name in listed)):
        source = ROOT / rel
        if source.is_file():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / rel)


@pytest.fixture(scope="module")
def image(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Image]:
    _run([str(ROOT / "bin" / "ensure-podman")], timeout=900)
    context = tmp_path_factory.mktemp("image-context")
    _copy_checkout(context)
    for rel, text in CANARIES.items():
        (context / rel).parent.mkdir(parents=True, exist_ok=True)
        (context / rel).write_text(text)
    started = time.monotonic()
    build = subprocess.run(
        [str(context / "deploy" / "build-image.sh"), TAG],
        env={**os.environ, "IMAGE_ENGINE": "podman"},
        capture_output=True,
        text=True,
        timeout=3600,
    )
    seconds = time.monotonic() - started
    assert build.returncode == 0, f"make image failed:\n{(build.stdout + build.stderr)[-6000:]}"
    (inspect,) = json.loads(_run(["podman", "image", "inspect", TAG]).stdout)
    handle = Image(TAG, context, _ca_bundle(), inspect["Config"]["Entrypoint"], inspect)
    report_image_figure(
        request.config,
        f"{TAG}: built in {seconds:.0f} s (deploy/build-image.sh),"
        f" size {inspect['Size'] / 1e6:.0f} MB",
    )
    yield handle
    for name in handle.containers:
        subprocess.run(["buildah", "rm", name], capture_output=True)


def _ca_bundle() -> Path | None:
    value = os.environ.get("CA_BUNDLE") or os.environ.get("PIP_CERT")
    return Path(value) if value else None


# --- the entry point ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "command", "message"),
    [
        ({"DEST": "nowhere"}, "run", "unknown DEST 'nowhere'"),
        ({"DEST": "duckdb"}, "run", "missing Harvest v3 credentials"),
        ({"GREENHOUSE_WORKERS": "0"}, "extract", "GREENHOUSE_WORKERS"),
    ],
    ids=["unknown-dest", "no-credentials", "bad-workers"],
)
def test_entry_point_refuses_bad_input_in_one_line_with_exit_code_2(
    image: Image, env: dict[str, str], command: str, message: str
) -> None:
    result = image.run(command, env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1 and message in errors[0], result.stderr
    # beside it, at most the run's own log line naming the failed stage
    assert all(line in errors or line.startswith("[elt ") for line in lines), result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_a_data_volume_the_user_cannot_write_is_one_line_and_exit_code_2(image: Image) -> None:
    container = image.container()
    _run(
        [
            "buildah",
            "run",
            "--isolation",
            "chroot",
            "--user",
            "0",
            container,
            "chown",
            "0:0",
            "/data",
        ]
    )
    result = image.run("run", container=container)  # DEST=duckdb: the file goes to /data
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip() == (
        "error: cannot write to /data as uid 10001; mount a volume writable by that user at /data"
        " (e.g. docker run -v greenhouse-data:/data ...) or point the variable for it elsewhere"
    )


def test_the_process_runs_as_a_non_root_user_with_a_writable_home(image: Image) -> None:
    container = image.container()
    result = image.run(
        "sh", "-c", 'id -u; id -un; test -w "$HOME" && echo home-writable', container=container
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["10001", "elt", "home-writable"]
    # the code and the virtual environment are not the pipeline's to change
    result = image.run("sh", "-c", "touch /app/x || echo app-read-only", container=container)
    assert "app-read-only" in result.stdout


# --- the pipeline inside the image ----------------------------------------------------------------


def test_demo_runs_end_to_end_inside_the_image(image: Image) -> None:
    container = image.container()
    result = image.run("demo", env={"DEMO_CANDIDATES": "200"}, container=container)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-6000:]
    # the summary counts what the demo's sandbox (seed 42) serves
    org = Organisation(seed=42, candidates=200)
    landed = {
        parts[0]: int(parts[1].replace(",", ""))
        for parts in (line.split() for line in result.stdout.splitlines())
        if len(parts) == 2 and parts[1].replace(",", "").isdigit()
    }
    assert landed["applications"] == org.count("applications")
    assert landed["offers"] == org.count("offers")
    results = image.read_json(container, "/data/dbt/target/run_results.json")["results"]
    assert results and all(r["status"] in ("success", "pass") for r in results)
    assert image.run("test", "-s", "/data/report.html", container=container).returncode == 0


@pytest.mark.postgres
def test_run_inside_the_image_lands_the_sandbox_in_postgres_and_builds_the_marts(
    image: Image, sandbox: SandboxHandle, postgres_db: PostgresDatabase
) -> None:
    env = compose_environment("pipeline", sandbox, postgres_db)
    assert env["DEST"] == "postgres" and env["POSTGRES_HOST"] == "127.0.0.1"
    container = image.container()
    result = image.run("run", env=env, container=container)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-6000:]
    assert "run finished: extract + transform succeeded" in result.stderr
    for entity in default_resources("v3"):
        assert raw_ids(postgres_db, entity) == expected_ids(sandbox.org, entity, "v3"), entity
    with postgres_db.connect() as connection:
        check_marts(connection, sandbox.org, "v3")
    results = image.read_json(container, "/data/dbt/target/run_results.json")["results"]
    assert results and all(r["status"] in ("success", "pass") for r in results)


# --- what the image holds -------------------------------------------------------------------------


def _certificates(pem: bytes) -> set[bytes]:
    return {b"".join(body.split()) for body in PEM.findall(pem)}


def test_no_credential_in_the_image_config_history_or_layers(image: Image, tmp_path: Path) -> None:
    # config: no credential variable, no planted value
    env = image.config["Config"].get("Env") or []
    named = [
        v
        for v in env
        if re.match(r"^[A-Z_]*(SECRET|PASSWORD|TOKEN|PASSPHRASE|PRIVATE_KEY)[A-Z_]*=", v)
    ]
    assert named == []
    config_text = json.dumps(image.config)
    history = _run(["podman", "history", "--no-trunc", "--format", "json", image.tag]).stdout
    for value in CANARY_VALUES:
        assert value not in config_text and value not in history, value

    # The CA certificates the build trusted beyond the base image's own (this machine's proxy CA):
    # a build secret, so in no layer.
    extra: set[bytes] = set()
    if image.ca_bundle is not None:
        base = image.container()
        image_bundle = image.mount(base) / "etc" / "ssl" / "certs" / "ca-certificates.crt"
        extra = _certificates(image.ca_bundle.read_bytes()) - _certificates(
            image_bundle.read_bytes()
        )
    needles = [value.encode() for value in CANARY_VALUES] + sorted(extra)

    archive = tmp_path / "image.tar"
    _run(
        ["podman", "save", "--format", "docker-archive", "-o", str(archive), image.tag], timeout=900
    )
    found: list[str] = []
    names: list[str] = []
    layers = 0
    with tarfile.open(archive) as outer:
        for member in outer:
            if not member.name.endswith(".tar"):
                continue
            layers += 1
            layer = outer.extractfile(member)
            assert layer is not None
            with tarfile.open(fileobj=layer, mode="r|") as inner:
                for entry in inner:
                    names.append(entry.name)
                    if not entry.isfile():
                        continue
                    body = inner.extractfile(entry)
                    data = body.read() if body is not None else b""
                    found += [f"{entry.name}: {n[:20]!r}" for n in needles if n in data]
    assert layers > 0 and any(name.endswith("app/bin/entrypoint") for name in names)
    assert found == []
    planted = {f"app/{rel}" for rel in CANARIES}
    assert planted.isdisjoint(name.lstrip("./") for name in names)


# --- deploy/smoke-image.sh ------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_smoke_script_passes_on_the_image_built_here(
    image: Image, postgres_db: PostgresDatabase
) -> None:
    env = {
        **_clean_environ(),
        **postgres_db.env(),
        "SMOKE_CANDIDATES": "50",
    }
    result = subprocess.run(
        [str(ROOT / "deploy" / "smoke-image.sh"), image.tag],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-6000:]
    assert "== smoke: all checks passed" in result.stdout
    assert "compose step skipped" not in result.stdout
    # the pipeline step reached the database: the marts are there, with the sandbox's applications
    org = Organisation(seed=42, candidates=50)
    with postgres_db.connect() as connection, connection.cursor() as cursor:
        cursor.execute("select count(*) from greenhouse_marts.applications")
        assert cursor.fetchone()[0] == org.count("applications")


def test_the_smoke_script_fails_an_image_that_runs_as_root(image: Image) -> None:
    container = image.container()
    _run(["buildah", "config", "--user", "0:0", container])
    root_tag = f"{image.tag}-root"
    _run(["buildah", "commit", "--quiet", container, root_tag])
    try:
        result = subprocess.run(
            [str(ROOT / "deploy" / "smoke-image.sh"), root_tag],
            env=_clean_environ(),
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        subprocess.run(["podman", "rmi", root_tag], capture_output=True)
    assert result.returncode == 1
    assert "smoke: FAILED: the image runs as root" in result.stderr


def _clean_environ() -> dict[str, str]:
    scrub = ("POSTGRES_", "GREENHOUSE_", "DEST", "DUCKDB_", "DBT_", "SMOKE_")
    return {k: v for k, v in os.environ.items() if not k.startswith(scrub)} | {
        "SMOKE_ENGINE": "buildah"
    }
