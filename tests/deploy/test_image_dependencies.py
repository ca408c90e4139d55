"""The image installs `uv sync --frozen --no-dev --extra sandbox`: everything the code it runs
imports must come from the main dependencies in uv.lock plus that extra, not from the dev group
(which only the test suite has). The pipeline itself (extract/ but the demo, deploy/) needs no
extra at all: `elt run` must not depend on the sandbox, the test double behind `elt demo`."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from tests.deploy.helpers import DOCKERFILE, ROOT

RUNTIME_CODE = ("extract", "sandbox", "deploy")
LOCAL_PACKAGES = {"extract", "sandbox", "deploy", "bench", "tests"}
# the one module of the pipeline's packages that runs the sandbox (with the `sandbox` extra)
DEMO = ROOT / "extract" / "demo.py"


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def image_extras() -> list[str]:
    extras = sorted(set(re.findall(r"--extra[ =](\S+)", DOCKERFILE.read_text())))
    assert extras == ["sandbox"], extras  # the demo's; not bench's psutil, not the dashboard
    return extras


def runtime_closure(extras: list[str] | None = None) -> set[str]:
    """Names of the packages `uv sync --frozen --no-dev [--extra ...]` installs (markers ignored:
    a superset)."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    packages: dict[str, list[dict]] = {}
    for package in lock["package"]:
        packages.setdefault(normalise(package["name"]), []).append(package)
    project = normalise(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"])
    (root,) = packages[project]
    todo = list(root.get("dependencies", []))
    for extra in extras or []:
        todo.extend(root["optional-dependencies"][extra])
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


def imports_of(files: list[Path]) -> set[str]:
    modules: set[str] = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules - {"__future__"}


def runtime_imports() -> set[str]:
    files = [p for folder in RUNTIME_CODE for p in (ROOT / folder).rglob("*.py")]
    files += sorted((ROOT / "bin").glob("*.py"))
    return imports_of(files) - set(sys.stdlib_module_names) - LOCAL_PACKAGES


def test_runtime_code_imports_only_main_dependencies_and_the_image_extras() -> None:
    closure = runtime_closure(image_extras())
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


def test_the_pipeline_needs_no_extra_and_not_the_sandbox() -> None:
    """extract/ (but the demo) and deploy/ import neither the sandbox nor the benchmarks, nor
    anything outside the main dependencies' closure; the sandbox's numpy and the benchmarks'
    psutil are extras, not main dependencies (other main dependencies still bring both, e.g.
    dbt-bigquery's pandas: the image holds them either way)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    direct = {normalise(re.split(r"[\[<>=!~ ;]", d)[0]) for d in pyproject["dependencies"]}
    assert not {"numpy", "psutil"} & direct
    assert "numpy" in str(pyproject["optional-dependencies"]["sandbox"])
    closure = runtime_closure()
    files = [p for folder in ("extract", "deploy") for p in (ROOT / folder).rglob("*.py")]
    pipeline = [p for p in files if p != DEMO]
    imports = imports_of(pipeline)
    assert not {"sandbox", "bench", "tests"} & imports
    assert "sandbox" in imports_of([DEMO])  # not vacuous: the demo does run it
    distributions = packages_distributions()
    outside = {
        module
        for module in imports - set(sys.stdlib_module_names) - LOCAL_PACKAGES
        if not {normalise(d) for d in distributions.get(module, [])} & closure
    }
    assert outside == set(), f"the pipeline imports packages of an extra: {sorted(outside)}"
