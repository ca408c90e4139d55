"""The Airflow environment's pins (orchestration/airflow/requirements.txt) follow the project's
lock: every package the project installs is pinned there, at the version uv.lock holds, so the
DAG runs the extract and dbt exactly as `elt` does. Recompile the file (its header says how)
after `uv lock` changes a runtime dependency."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from packaging.markers import Marker

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;]+)", re.MULTILINE)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _applies(dep: dict[str, Any]) -> bool:
    """A dependency of this platform and Python (the Airflow environment's: Linux, 3.11)."""
    marker = dep.get("marker")
    return not marker or Marker(marker).evaluate({"extra": ""})


def runtime_packages() -> dict[str, set[str]]:
    """Name -> versions of every package the project's runtime dependencies pull in on this
    platform (extras followed), from uv.lock."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    versions: dict[str, dict[str, dict[str, Any]]] = {}
    for package in lock["package"]:
        versions.setdefault(_normal(package["name"]), {})[package.get("version", "")] = package
    found: dict[str, set[str]] = {}
    (project,) = versions["greenhouse-elt"].values()
    todo = [(d["name"], tuple(d.get("extra", ()))) for d in project["dependencies"] if _applies(d)]
    seen: set[tuple[str, tuple[str, ...]]] = set()
    while todo:
        name, extras = todo.pop()
        if (_normal(name), extras) in seen:
            continue
        seen.add((_normal(name), extras))
        for version, package in versions[_normal(name)].items():
            found.setdefault(_normal(name), set()).add(version)
            deps = list(package.get("dependencies", []))
            for extra in extras:
                deps += package.get("optional-dependencies", {}).get(extra, [])
            todo += [(d["name"], tuple(d.get("extra", ()))) for d in deps if _applies(d)]
    return found


def test_the_airflow_environment_pins_the_locked_runtime_versions() -> None:
    pinned = {
        _normal(name): version
        for name, version in PIN.findall(
            (ROOT / "orchestration" / "airflow" / "requirements.txt").read_text()
        )
    }
    runtime = runtime_packages()
    assert {"dlt", "dbt-core", "dbt-duckdb", "duckdb", "sqlglot"} <= runtime.keys()
    missing = sorted(name for name in runtime if name not in pinned)
    assert not missing, f"in uv.lock, not in requirements.txt: {missing}"
    differ = {
        name: (pinned[name], sorted(versions))
        for name, versions in runtime.items()
        if name in pinned and pinned[name] not in versions
    }
    assert not differ, f"requirements.txt vs uv.lock: {differ}"
    assert pinned["apache-airflow"].startswith("3.") and "astronomer-cosmos" in pinned
