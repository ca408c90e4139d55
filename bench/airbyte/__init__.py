"""Airbyte's Greenhouse source as a second baseline: its pinned environment and its records.

``airbyte-source-greenhouse`` (Harvest v1, on PyPI) pins an airbyte-cdk whose dependencies clash
with the project's lock, so it runs from an environment of its own, installed from
``requirements.txt`` beside this module (compiled from ``requirements.in``) under
``.tools/bench/airbyte-<hash of the file>/`` by the first `make bench` that needs it (uv when
there is one, else venv + pip), and rebuilt when the file changes. ``run_source.py`` is what
runs in it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from bench.procs import BenchError, log, repo_root

HERE = Path(__file__).resolve().parent
RUNNER = HERE / "run_source.py"
REQUIREMENTS = HERE / "requirements.txt"


def _uv() -> str | None:
    found = shutil.which("uv")
    if found:
        return found
    bootstrapped = repo_root() / ".tools" / "bin" / "uv"  # the Makefile's own copy
    return str(bootstrapped) if bootstrapped.exists() else None


def environment() -> Path:
    """The Python of the pinned Airbyte environment, installed on first use."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]
    root = repo_root() / ".tools" / "bench"
    env_dir = root / f"airbyte-{digest}"
    python = env_dir / "bin" / "python"
    done = env_dir / ".installed"
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "airbyte.lock", "w") as lock:  # two benches at once: one installs
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists():
            return python
        log(f"installing airbyte-source-greenhouse into {env_dir} (once)")
        shutil.rmtree(env_dir, ignore_errors=True)
        uv = _uv()
        if uv:
            steps = [
                [uv, "venv", "--quiet", "--python", sys.executable, str(env_dir)],
                [uv, "pip", "install", "--quiet", "--python", str(python), "-r", str(REQUIREMENTS)],
            ]
        else:
            steps = [
                [sys.executable, "-m", "venv", str(env_dir)],
                [str(python), "-m", "pip", "install", "--quiet", "-r", str(REQUIREMENTS)],
            ]
        for step in steps:
            result = subprocess.run(step, capture_output=True, text=True, timeout=900)
            if result.returncode != 0:
                raise BenchError(
                    f"installing Airbyte's source ({' '.join(step[:3])}) failed: "
                    + (result.stderr.strip().splitlines() or ["no message"])[-1]
                )
        done.touch()
    return python


def record_counts(messages: Path) -> tuple[dict[str, int], list[str]]:
    """Records per stream in the source's output (Airbyte messages, one JSON line each), and
    the source's error lines (a stream it could not read ends its sync without failing it)."""
    rows: Counter[str] = Counter()
    errors: list[str] = []
    with messages.open("rb") as lines:
        for line in lines:
            if not line.startswith(b"{"):
                continue
            try:
                message = json.loads(line)
            except ValueError:
                continue
            kind = message.get("type")
            if kind == "RECORD":
                rows[message["record"]["stream"]] += 1
            elif kind == "LOG" and message["log"].get("level") in ("ERROR", "FATAL"):
                errors.append(str(message["log"].get("message", ""))[:300])
            elif kind == "TRACE" and (message["trace"].get("error") or {}).get("message"):
                errors.append(str(message["trace"]["error"]["message"])[:300])
    return dict(rows), errors
