"""``elt dashboard``: dlt's workspace dashboard (``dlt pipeline <name> show``) for the pipeline
that ``elt run`` with the same DEST, database and raw schema writes.

The dashboard is a marimo app shipped inside dlt; it needs dlt's hub plugin, marimo and ibis,
which the ``dashboard`` extra installs (``uv sync --extra dashboard``). ``dlt pipeline <name>
show`` starts it too, but it takes neither a port nor ``--headless``, finds ``marimo`` only on
PATH, and needs the pipeline's name and working dir spelled out; this command works them out
the way a run does (``extract/pipeline.py``: ``name_of``) and calls dlt's own dashboard runner.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from extract.errors import ConfigError
from extract.extras import require


def pipeline_location() -> tuple[str, Path]:
    """The pipeline name and pipelines dir of ``elt run`` under the current environment.
    Needs DEST's connection settings (they name the pipeline), not the Greenhouse credentials."""
    from extract.destinations import plan_for
    from extract.lock import pipelines_dir
    from extract.pipeline import name_of
    from extract.settings import (
        DEFAULT_DUCKDB_PATH,
        raw_dataset,
        resolve_dest,
        resolve_source_config,
    )

    dest = resolve_dest()
    config = resolve_source_config()
    plan = plan_for(dest, os.environ.get("DUCKDB_PATH") or DEFAULT_DUCKDB_PATH)
    name = name_of(str(config.api_version).lower(), dest, plan, raw_dataset(config))
    return name, pipelines_dir(os.environ.get("GREENHOUSE_PIPELINES_DIR") or None)


def child_environment(dest: str) -> dict[str, str]:
    """The dashboard runs in its own process and reads the destination through dlt's config:
    give it the PostgreSQL server the short ``POSTGRES_*`` variables name (dlt does not know
    them), and this interpreter's scripts dir on PATH (dlt starts ``marimo`` by name)."""
    env = dict(os.environ)
    scripts = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([scripts, env.get("PATH", "")])
    if dest == "postgres" and not env.get("DESTINATION__POSTGRES__CREDENTIALS"):
        from extract.destinations import POSTGRES_VARS, plan_for

        if any(env.get(name) for name in POSTGRES_VARS):
            credentials = plan_for("postgres", "").destination.config_params["credentials"]
            env["DESTINATION__POSTGRES__CREDENTIALS"] = credentials.to_native_representation()
    return env


def run_dashboard(port: int, host: str, headless: bool) -> int:
    """Serve the dashboard until interrupted; 2 with one line when it cannot start."""
    require("dashboard", "the dashboard")
    name, directory = pipeline_location()
    if not (directory / name).is_dir():
        found = sorted(p.name for p in directory.glob("greenhouse_*") if p.is_dir())
        listed = ", ".join(found) if found else "none"
        raise ConfigError(
            f"no pipeline {name} in {directory} (greenhouse pipelines there: {listed}); "
            "run `make run` with the same DEST and database first, or set "
            "GREENHOUSE_PIPELINES_DIR to the pipelines dir the run used"
        )
    # dlt's own command line for its dashboard (what `dlt pipeline <name> show` runs), with the
    # port, host and --headless that `show` does not pass on
    from dlt._workspace.helpers.dashboard.runner import run_dashboard_command

    command = run_dashboard_command(
        pipeline_name=name, pipelines_dir=str(directory), port=port, host=host, headless=headless
    )
    from extract.messages import log

    log(f"dashboard: pipeline {name} in {directory} on http://{host}:{port}/ (Ctrl-C stops it)")
    try:
        return subprocess.run(command, env=child_environment(os.environ["DEST"])).returncode
    except KeyboardInterrupt:
        return 0
