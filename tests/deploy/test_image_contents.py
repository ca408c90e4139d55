"""The image carries no test code: read from the repository files, not from a built image.

The Dockerfile copies the whole build context (`COPY . /app`), so what reaches the image is every
file `.dockerignore` does not exclude. That context must hold no file under tests/, and no module
of the runtime packages (pyproject's wheel packages) may import `tests`.
"""

from __future__ import annotations

import ast
import os
import re
import tomllib
from pathlib import Path

from tests.deploy.helpers import DOCKERFILE, ROOT


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern (Go filepath.Match plus `**`) as a regex over a relative path."""
    out, i = "", 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):  # `**/` = zero or more directories
                i += 1
                out += "(?:.*/)?"
            else:
                out += ".*"
            continue
        if c == "*":
            out += "[^/]*"
        elif c == "?":
            out += "[^/]"
        elif c == "[":
            end = pattern.index("]", i)
            out += "[" + pattern[i + 1 : end].replace("!", "^", 1) + "]"
            i = end
        else:
            out += re.escape(c)
        i += 1
    return re.compile(out)


def _dockerignore() -> list[tuple[bool, re.Pattern[str], str]]:
    """(is_exception, regex, pattern) per line, in file order (the last matching one wins)."""
    rules = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = os.path.normpath(line.lstrip("!").strip()).lstrip("/")
        rules.append((negate, _pattern_regex(pattern), pattern))
    return rules


def _excluded(rel: str, rules: list[tuple[bool, re.Pattern[str], str]]) -> bool:
    """Docker's rule: a pattern matches a path or any of its parent directories."""
    parts = rel.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for negate, regex, _ in rules:
        if any(regex.fullmatch(c) for c in candidates):
            excluded = not negate
    return excluded


def build_context() -> set[str]:
    """Relative paths of the files `docker build .` sends and `COPY . /app` copies."""
    rules = _dockerignore()
    exceptions = [pattern for negate, _, pattern in rules if negate]

    def may_reinclude(rel_dir: str) -> bool:  # an exception that could match below rel_dir
        return any(p.startswith(f"{rel_dir}/") or p[:1] in "*?[" for p in exceptions)

    files: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(ROOT):
        rel_dir = Path(dirpath).relative_to(ROOT).as_posix()
        prefix = "" if rel_dir == "." else f"{rel_dir}/"
        dirnames[:] = [
            d for d in dirnames if not _excluded(prefix + d, rules) or may_reinclude(prefix + d)
        ]
        files |= {prefix + f for f in filenames if not _excluded(prefix + f, rules)}
    return files


def _runtime_packages() -> list[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]


def test_dockerfile_copies_the_whole_context() -> None:
    """The premise: the image gets the build context, as filtered by .dockerignore."""
    assert re.search(r"^COPY \. /app\s*$", DOCKERFILE.read_text(), re.MULTILINE)


def test_build_context_has_no_test_code() -> None:
    context = build_context()
    assert "extract/__init__.py" in context and "sandbox/__init__.py" in context  # not vacuous
    leaked = sorted(f for f in context if f == "tests" or f.startswith("tests/"))
    assert leaked == [], f"test files in the image's build context: {leaked[:10]}"


def test_runtime_packages_do_not_import_tests() -> None:
    offenders = []
    for package in _runtime_packages():
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                if any(name == "tests" or name.startswith("tests.") for name in names):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == [], f"runtime modules importing test code: {offenders}"
