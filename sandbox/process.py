"""The sandbox as a process, and the environment a client of the sandbox needs.

    with SandboxProcess(candidates=50, seed=7) as sb:      # `python -m sandbox` on a free port
        subprocess.run(["elt", "extract"], env=os.environ | sb.env("v3"))

One home for the sandbox's default credentials (the server's `Settings` use them too); the
`SANDBOX_CLIENT_ID` / `SANDBOX_CLIENT_SECRET` / `SANDBOX_API_TOKEN` variables override them, for
the server and for `client_env` alike.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Self

DEFAULT_CLIENT_ID = "sandbox-client"
DEFAULT_CLIENT_SECRET = "sandbox-secret"
DEFAULT_API_TOKEN = "sandbox-token"
VERSIONS = ("v1", "v3")
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # where `-m sandbox` is importable


def _credential(value: str | None, variable: str, default: str) -> str:
    return value if value is not None else (os.environ.get(variable) or default)


def client_env(
    base_url: str,
    version: str = "v3",
    *,
    client_id: str | None = None,
    client_secret: str | None = None,
    api_token: str | None = None,
) -> dict[str, str]:
    """GREENHOUSE_API_VERSION, GREENHOUSE_BASE_URL, GREENHOUSE_AUTH_URL (base_url + '/token'),
    GREENHOUSE_CLIENT_ID, GREENHOUSE_CLIENT_SECRET, GREENHOUSE_API_TOKEN for a client of this
    sandbox; None -> the defaults (honouring the SANDBOX_* overrides)."""
    if version not in VERSIONS:
        raise ValueError(f"version must be 'v1' or 'v3' (got {version!r})")
    base_url = base_url.rstrip("/")
    return {
        "GREENHOUSE_API_VERSION": version,
        "GREENHOUSE_BASE_URL": base_url,
        "GREENHOUSE_AUTH_URL": f"{base_url}/token",
        "GREENHOUSE_CLIENT_ID": _credential(client_id, "SANDBOX_CLIENT_ID", DEFAULT_CLIENT_ID),
        "GREENHOUSE_CLIENT_SECRET": _credential(
            client_secret, "SANDBOX_CLIENT_SECRET", DEFAULT_CLIENT_SECRET
        ),
        "GREENHOUSE_API_TOKEN": _credential(api_token, "SANDBOX_API_TOKEN", DEFAULT_API_TOKEN),
    }


class SandboxStartError(RuntimeError):
    """The sandbox process exited, or never wrote its port, while starting."""


class SandboxProcess:
    """`python -m sandbox` in a subprocess on a free port; context manager.

    `args` are extra command-line options (`["--rate-limit", "100"]`); `env` adds variables to
    the inherited environment of the server; its output goes to `log_path` (a temporary file
    when not given, removed by `stop()`).
    """

    def __init__(
        self,
        *,
        candidates: int = 200,
        seed: int = 42,
        port: int = 0,
        args: Sequence[str] = (),
        log_path: Path | None = None,
        env: Mapping[str, str] | None = None,
        python: str = sys.executable,
        start_timeout: float = 60.0,
        cwd: Path | None = None,
    ) -> None:
        self.candidates = candidates
        self.seed = seed
        self.requested_port = port
        self.args = list(args)
        self.log_path = log_path
        self.extra_env = dict(env or {})
        self.python = python
        self.start_timeout = start_timeout
        self.cwd = cwd or _PACKAGE_ROOT
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.base_url = ""
        self.port_file: Path | None = None  # where the server writes its port; None: a temp dir
        self._scratch: Path | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError("sandbox process not started")
        return self.proc.pid

    def argv(self, port_file: Path) -> list[str]:
        return [
            self.python,
            "-m",
            "sandbox",
            "--port",
            str(self.requested_port),
            "--port-file",
            str(port_file),
            "--candidates",
            str(self.candidates),
            "--seed",
            str(self.seed),
            *self.args,
        ]

    def start(self) -> Self:
        """Start the server and wait until it listens (its port file is written)."""
        if self.proc is not None:
            return self
        self._scratch = Path(tempfile.mkdtemp(prefix="sandbox-"))
        port_file = self.port_file or self._scratch / "port"
        port_file.unlink(missing_ok=True)
        log_path = self.log_path or self._scratch / "sandbox.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 - kept open for the process's lifetime
        self.proc = subprocess.Popen(
            self.argv(port_file),
            cwd=self.cwd,
            env={**os.environ, **self.extra_env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C in the terminal reaches the caller, not the server
        )
        deadline = time.monotonic() + self.start_timeout
        while True:
            code = self.proc.poll()
            if code is not None:
                self._fail(f"exited with code {code} while starting")
            text = port_file.read_text().strip() if port_file.exists() else ""
            if text.isdigit():
                break
            if time.monotonic() > deadline:
                self._fail(f"did not write its port within {self.start_timeout:g} s")
            time.sleep(0.05)
        self.port = int(text)
        self.base_url = f"http://127.0.0.1:{self.port}"
        return self

    def _fail(self, what: str) -> None:
        tail = self.log_tail()
        self.stop(keep_log=True)
        detail = f"; its log ({self.log_path}) ends:\n{tail}" if tail else ""
        raise SandboxStartError(f"sandbox {what}{detail}")

    def log_tail(self, lines: int = 10) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace").strip().splitlines()
        return "\n".join(text[-lines:])

    def env(self, version: str = "v3") -> dict[str, str]:
        """The GREENHOUSE_* variables of a client of this sandbox (its credentials included)."""
        return client_env(
            self.base_url,
            version,
            client_id=self.extra_env.get("SANDBOX_CLIENT_ID"),
            client_secret=self.extra_env.get("SANDBOX_CLIENT_SECRET"),
            api_token=self.extra_env.get("SANDBOX_API_TOKEN"),
        )

    def stop(self, *, keep_log: bool = False) -> None:
        """Terminate (SIGTERM), wait, kill if it lingers; idempotent."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._scratch is not None:
            in_scratch = self.log_path is not None and self._scratch in self.log_path.parents
            if not (keep_log and in_scratch):
                shutil.rmtree(self._scratch, ignore_errors=True)
                self._scratch = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
