"""A warehouse's end-to-end build on its emulator: the sandbox extracted with `elt extract` into
the emulator, then `dbt build --target <warehouse>`; and the check that dbt's results differ
from a clean build only by the emulator's listed gaps (tests/fixtures/emulators/gaps.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from tests.fixtures.emulators.gaps import Gap
from tests.fixtures.sandbox import SandboxHandle

from .conftest import AS_OF, DbtRun, clean_env, run_dbt, run_extract


class Emulator(Protocol):
    def env(self) -> dict[str, str]: ...


E = TypeVar("E", bound=Emulator)


@dataclass
class EmulatedBuild(Generic[E]):
    sandbox: SandboxHandle
    emulator: E
    run: DbtRun
    extract_seconds: float
    dbt_seconds: float


def build_on(
    emulator: E, target: str, sandbox: SandboxHandle, work: Path, version: str, resources: str
) -> EmulatedBuild[E]:
    """Extract ``resources`` of the sandbox into the emulator, then ``dbt build`` there."""
    env = clean_env(
        **sandbox.env(version),
        **emulator.env(),
        GREENHOUSE_PIPELINES_DIR=str(work / "pipelines"),
        GREENHOUSE_AS_OF=AS_OF,
    )
    started = time.monotonic()
    run_extract(env, version, resources=resources)
    extracted = time.monotonic()
    run = run_dbt(["build", "--target", target], env, work)
    return EmulatedBuild(sandbox, emulator, run, extracted - started, time.monotonic() - extracted)


def assert_only_gaps_fail(run: DbtRun, gaps: Iterable[Gap]) -> None:
    """Every node failing is one a listed gap breaks, each gap still breaks one, the nodes dbt
    skipped lie below a failure, and every other node passed."""
    gaps = list(gaps)
    results = {r["unique_id"]: r["status"] for r in run.results()}
    assert len(results) > 300, run.output[-3000:]
    failed = {node for node, status in results.items() if status in ("error", "fail")}
    expected = {node for gap in gaps for node in gap.fails}
    assert failed <= expected, run.output[-6000:]
    for gap in gaps:
        if gap.fails:  # dbt skips the other unit tests of a model once one fails
            assert failed & set(gap.fails), f"{gap.name}: none of {gap.fails} failed"
            assert {results[node] for node in gap.fails} <= {"error", "fail", "skipped"}
    # what dbt skipped depends on a failed node; everything else passed
    manifest = json.loads((run.target_path / "manifest.json").read_text())
    # a failed unit test stops the model it tests: that model and all below it are skipped
    tested = [
        model
        for node in failed
        if node.startswith("unit_test.")
        for model in manifest["unit_tests"][node]["depends_on"]["nodes"]
    ]
    downstream: set[str] = set(tested)
    todo = [*failed, *tested]
    while todo:
        for child in manifest["child_map"].get(todo.pop(), []):
            if child not in downstream:
                downstream.add(child)
                todo.append(child)
    skipped = {node for node, status in results.items() if status == "skipped"}
    assert skipped <= downstream, sorted(skipped - downstream)
    others = set(results) - failed - skipped
    assert {results[node] for node in others} <= {"success", "pass"}
