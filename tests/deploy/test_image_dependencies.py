"""The image installs `uv sync --frozen --no-dev`: everything the runtime code imports must come
from the main dependencies in uv.lock, not from the dev group (which only the test suite has)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

from tests.deploy.helpers import ROOT

RUNTIME_CODE = ("extract", "sandbox", "deploy")
LOCAL_PACKAGES = {"extract", "sandbox", "deploy", "bench", "tests"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_closure() -> set[str]:
    """Names of the packages `uv sync --frozen --no-dev` installs (markers ignored: a superset)."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    packages: dict[str, list[dict]] = {}
    for package in lock["package"]:
        packages.setdefault(normalise(package["name"]), []).append(package)
    project = normalise(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"])
    (root,) = packages[project]
    todo = list(root.get("dependencies", []))
    seen: set[str] = set()
    while todo:
        dep = todo.pop()
        name = normalise(dep["name"])
        key = name + "[" + ",".join(sorted(dep.get("extra", []))) + "]"
        if key in seen:
            continue
        seen.add(key)
        for package in packages.get(name, []):
            todo.extend(package.get("dependencies", []))
            for extra in dep.get("extra", []):
                todo.extend(package.get("optional-dependencies", {}).get(extra, []))
    return {key.split("[")[0] for key in seen}


def runtime_imports() -> set[str]:
    files = [p for folder in RUNTIME_CODE for p in (ROOT / folder).rglob("*.py")]
    files += sorted((ROOT / "bin").glob("*.py"))
    modules: set[str] = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - LOCAL_PACKAGES - {"__future__"}


def test_runtime_code_imports_only_main_dependencies() -> None:
    closure = runtime_closure()
    # The closure stops at the main dependencies: the dev group (test tools) is not in it.
    assert not {"pytest", "ruff", "mypy"} & closure
    distributions = packages_distributions()
    imports = runtime_imports()
    assert {"dlt", "apscheduler"} <= imports
    missing = {}
    for module in sorted(imports):
        provided_by = {normalise(d) for d in distributions.get(module, [])}
        if not provided_by & closure:
            missing[module] = sorted(provided_by) or ["(not installed at all)"]
    assert not missing, f"imported at run time but not a main dependency: {missing}"
