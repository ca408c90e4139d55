"""`python -m sandbox`: starts, reports its port, serves both versions, fails clearly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from sandbox.process import SandboxProcess, SandboxStartError

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sandbox", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_serves_on_a_free_port_and_stops_on_sigterm(tmp_path: Path) -> None:
    sb = SandboxProcess(
        candidates=30,
        seed=3,
        args=["--rate-limit", "100", "--rate-window", "5"],
        log_path=tmp_path / "sandbox.log",
    ).start()
    try:
        base = sb.base_url
        r = requests.get(f"{base}/v1/candidates", auth=("sandbox-token", ""), timeout=10)
        assert r.status_code == 200 and len(r.json()) == 30
        assert r.headers["X-RateLimit-Limit"] == "100"
        tok = requests.post(
            f"{base}/token",
            auth=("sandbox-client", "sandbox-secret"),
            data={"grant_type": "client_credentials"},
            timeout=10,
        ).json()
        r = requests.get(
            f"{base}/v3/candidates",
            timeout=10,
            headers={"Authorization": f"Bearer {tok['access_token']}"},
        )
        assert r.status_code == 200 and len(r.json()) == 30
        info = requests.get(f"{base}/_admin/info", timeout=10).json()
        assert info["seed"] == 3 and info["candidates"] == 30
    finally:
        assert sb.proc is not None
        proc = sb.proc
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        sb.stop()
    assert "serving v3 + v1" in (tmp_path / "sandbox.log").read_text()


def test_credentials_from_environment() -> None:
    # no --candidates: the size comes from SANDBOX_CANDIDATES
    sb = SandboxProcess(env={"SANDBOX_API_TOKEN": "abc", "SANDBOX_CANDIDATES": "5"})
    sb.argv = lambda port_file: [  # type: ignore[method-assign]  # stand-in command line
        sys.executable,
        "-m",
        "sandbox",
        "--port",
        "0",
        "--port-file",
        str(port_file),
    ]
    with sb:
        base = sb.base_url
        assert sb.env("v1")["GREENHOUSE_API_TOKEN"] == "abc"
        assert requests.get(f"{base}/v1/jobs", auth=("abc", ""), timeout=10).status_code == 200
        assert (
            requests.get(f"{base}/v1/jobs", auth=("sandbox-token", ""), timeout=10).status_code
            == 401
        )
        assert len(requests.get(f"{base}/v1/candidates", auth=("abc", ""), timeout=10).json()) == 5


def test_a_process_that_cannot_start_is_one_clear_error() -> None:
    with pytest.raises(SandboxStartError, match=r"exited with code 2.*\n.*--candidates"):
        SandboxProcess(args=["--candidates", "0"]).start()


@pytest.mark.parametrize(
    "args,env,needle",
    [
        (["--port", "abc"], {}, "--port"),
        (["--candidates", "0"], {}, "--candidates"),
        (["--error-rate", "1.5"], {}, "--error-rate"),
        (["--bogus"], {}, "No such option '--bogus'"),
        ([], {"SANDBOX_PORT": "eighty"}, "SANDBOX_PORT"),
    ],
)
def test_bad_input_is_one_clear_line(args: list[str], env: dict, needle: str) -> None:
    result = _run(*args, env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0]
    assert "Traceback" not in result.stderr


def test_port_in_use_is_one_clear_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = _run("--port", str(busy.getsockname()[1]), "--candidates", "5")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: cannot listen on 127.0.0.1:")
    assert "Traceback" not in result.stderr
