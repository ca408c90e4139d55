"""`make docs-serve`: the dbt catalog on 127.0.0.1, with the project's overview page."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import ROOT, Build, build_duckdb, clean_env

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_docs_serve_prints_its_address_and_serves_the_overview(
    transform_sandbox, tmp_path: Path
) -> None:
    build: Build = build_duckdb(transform_sandbox, "v3", tmp_path / "build")
    with build.connect() as connection:
        path = connection.execute(
            "select path from duckdb_databases() where database_name = current_database()"
        ).fetchone()[0]
    port = _free_port()
    env = clean_env(DEST="duckdb", DUCKDB_PATH=path, DBT_TARGET_PATH=str(tmp_path / "target"),
                    DBT_LOG_PATH=str(tmp_path / "logs"), ELT_ENV_FILE="/dev/null")  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "extract", "docs-serve", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        lines = []
        for line in server.stdout:  # the address is printed once the catalog is generated
            lines.append(line)
            if f"http://127.0.0.1:{port}/" in line:
                break
        assert any(f"http://127.0.0.1:{port}/" in line for line in lines), "".join(lines)
        manifest = None
        for _ in range(100):  # the server needs a moment after printing; not a timing assertion
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/manifest.json") as response:
                    manifest = json.loads(response.read())
                break
            except OSError:
                time.sleep(0.2)
        assert manifest is not None, "dbt docs serve never answered"
        overview = manifest["docs"]["doc.greenhouse.__overview__"]["block_contents"]
        assert "How to read the marts" in overview
    finally:
        server.terminate()
        server.wait(timeout=30)
