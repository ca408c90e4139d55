"""Without an optional extra, the pipeline still runs and the command that needs the extra says
which one to install, in one line (exit 2). An interpreter where numpy, psutil and marimo cannot
be imported stands for a plain install (other main dependencies bring numpy into this venv)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.extract.conftest import REPO, clean_environ

# no module of these names can be imported in the child interpreter
WITHOUT = """
import sys
for name in ("numpy", "psutil", "marimo"):
    sys.modules[name] = None
"""


def run_without_extras(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT + code],
        cwd=REPO, env=clean_environ(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_pipeline_imports_without_any_extra() -> None:
    proc = run_without_extras(
        "import extract.cli, extract.stages, extract.check, extract.report, deploy.scheduler\n"
        "from extract.cli import main\n"
        "sys.exit(main(['run', '--help']))"
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Extract (incremental) then dbt build" in proc.stdout


@pytest.mark.parametrize(
    ("command", "extra"),
    [("demo", "sandbox"), ("sandbox", "sandbox"), ("bench", "bench"), ("dashboard", "dashboard")],
)
def test_a_command_names_the_extra_it_needs(command: str, extra: str) -> None:
    proc = run_without_extras(f"from extract.cli import main\nsys.exit(main([{command!r}]))")
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"error: elt {command}") or line.startswith("error: the dashboard")
    assert f"needs the `{extra}` extra" in line and f"uv sync --extra {extra}" in line
