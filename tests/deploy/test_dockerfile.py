"""No secret reaches the image: none in the Dockerfile's ENV/ARG/LABEL, none in the build context
(.dockerignore, tracked files). Read from the files, as no Docker engine is needed."""

from __future__ import annotations

import re
import subprocess

from tests.deploy.helpers import ROOT, dockerfile_instructions

CREDENTIAL = re.compile(r"SECRET|PASSWORD|TOKEN|PASSPHRASE|PRIVATE_KEY|CLIENT_ID|KEYFILE", re.I)


def test_no_credential_in_any_env_or_arg() -> None:
    for instruction in dockerfile_instructions():
        if instruction.keyword in {"ENV", "ARG", "LABEL"}:
            names = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=", instruction.args)
            names += [] if "=" in instruction.args else instruction.args.split()[:1]
            assert not any(CREDENTIAL.search(n) for n in names), instruction


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
