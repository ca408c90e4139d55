"""Readers for the deployment files: the image's command and environment (Dockerfile) and what
compose gives a service, so tests can run the entry point as the image and compose would."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # types-PyYAML is not locked

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
K8S_MANIFESTS = sorted((ROOT / "deploy" / "kubernetes").glob("*.yaml"))
VENV_BIN = ROOT / ".venv" / "bin"

# ${NAME}, ${NAME:-default}, ${NAME-default}; the default may itself hold ${...}.
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)((?:[^{}]|\{[^{}]*\})*))?\}")


def tool(name: str) -> str:
    """A lint tool from the project's virtual environment."""
    path = VENV_BIN / name
    return str(path) if path.exists() else name


def yaml_documents(path: Path) -> list[Any]:
    """Every document of a YAML file (the deployment files are read with this one loader)."""
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


# --- docker-compose.yml ---------------------------------------------------------------------------


def load_compose() -> dict[str, Any]:
    (compose,) = yaml_documents(COMPOSE_FILE)
    return dict(compose)


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose-style variable substitution (the subset the compose file uses), innermost first."""
    value = value.replace("$$", "\0")  # escaped dollars are not variables
    previous = None
    while previous != value:
        previous = value

        def repl(match: re.Match[str]) -> str:
            name, op, default = match.group(1), match.group(2), match.group(3) or ""
            current = env.get(name)
            if op == ":-":
                return current if current else default
            if op == "-":
                return current if current is not None else default
            return current or ""

        value = _VAR.sub(repl, value)
    return value.replace("\0", "$")


def compose_variables() -> set[str]:
    """Every variable the compose file reads from .env / the shell (not $$-escaped ones)."""
    return set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)", COMPOSE_FILE.read_text()))


def service_environment(service: str, env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment compose gives a service, interpolated with `env` (default: empty)."""
    spec = load_compose()["services"][service]
    raw = spec.get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) for item in raw)
    return {key: interpolate(str(value), env or {}) for key, value in raw.items()}


# --- Dockerfile -----------------------------------------------------------------------------------


@dataclass
class Instruction:
    keyword: str
    args: str


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [i.args for i in self.instructions if i.keyword == keyword]

    def env(self) -> dict[str, str]:
        """ENV key=value pairs of this stage (the form the Dockerfile uses)."""
        out: dict[str, str] = {}
        for args in self.all("ENV"):
            for key, value in re.findall(r'([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)', args):
                out[key] = value.strip('"')
        return out


def dockerfile_instructions() -> list[Instruction]:
    text = DOCKERFILE.read_text()
    logical: list[str] = []
    buffer = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not buffer and (not stripped or stripped.startswith("#")):
            continue
        if buffer and stripped.startswith("#"):
            continue  # comment inside a continued instruction
        if stripped.endswith("\\"):
            buffer += stripped[:-1] + " "
            continue
        logical.append(buffer + stripped)
        buffer = ""
    result = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        result.append(Instruction(keyword.upper(), args.strip()))
    return result


def dockerfile_stages() -> list[Stage]:
    stages: list[Stage] = []
    for instruction in dockerfile_instructions():
        if instruction.keyword == "FROM":
            parts = instruction.args.split()
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(base=parts[0], name=name))
        elif stages:
            stages[-1].instructions.append(instruction)
    return stages


def exec_form(args: str) -> list[str]:
    """ENTRYPOINT/CMD in JSON (exec) form."""
    return json.loads(args)


# --- .env.example ---------------------------------------------------------------------------------


def env_example_variables() -> set[str]:
    """Variables .env.example documents (set or commented out as `#NAME=`)."""
    return set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), flags=re.M))
