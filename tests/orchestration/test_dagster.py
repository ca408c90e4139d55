"""The Dagster code location (orchestration/dagster/) against the sandbox, into DuckDB: it
loads, materialising every asset gives the marts the oracles compute, a failed endpoint fails
the run naming it, a Dagster run after `elt run` is incremental, and the web UI draws the
lineage from the raw `applications` table to the `applications_by_stage` mart."""

from __future__ import annotations

import re
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
import requests

from extract.endpoints import catalogue
from tests.fixtures.browser import FLAGS, browser
from tests.fixtures.sandbox import SandboxHandle, start_sandbox
from tests.transform.checks import check_marts, check_pipeline_marts
from tests.transform.conftest import RESOURCES, ROOT, elt

from .conftest import child, dagster_env, history_rows

pytestmark = pytest.mark.slow

SELECTED = RESOURCES["v3"].split(",")
RAW_KEYS = {f"greenhouse_raw/{name}" for name in SELECTED}


@pytest.fixture(scope="module")
def module_sandbox() -> Iterator[SandboxHandle]:
    handle = start_sandbox(candidates=200)
    yield handle
    handle.stop()


def upstream(graph: dict[str, list[str]], key: str) -> set[str]:
    seen: set[str] = set()
    todo = [key]
    while todo:
        for parent in graph.get(todo.pop(), []):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def validate(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "dagster"), "definitions", "validate"]
        + ["-m", "orchestration.dagster"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_definitions_validate_and_the_graph_runs_from_endpoint_to_mart(
    module_sandbox: SandboxHandle, tmp_path: Path, dbt_target: Path
) -> None:
    env = dagster_env(module_sandbox, tmp_path, dbt_target)
    validated = validate(env)
    assert validated.returncode == 0, validated.stderr[-4000:]
    output = validated.stdout + validated.stderr
    assert "Validation successful for code location orchestration.dagster" in output

    found = child(env, "graph")
    assets = found["assets"]
    # one asset per selected endpoint, with no upstream asset of its own
    raw = {key for key in found["materializable"] if key.startswith("greenhouse_raw/")}
    assert raw == RAW_KEYS
    assert all(assets[key] == [] for key in raw)
    # the dbt source's tables are the dlt assets (a child table belongs to its endpoint)
    assert assets["greenhouse_staging/stg_greenhouse__applications"] == [
        "greenhouse_raw/applications"
    ]
    assert "greenhouse_raw/applications" in upstream(
        assets, "greenhouse_marts/applications_by_stage"
    )
    assert "greenhouse_raw/application_stages" in upstream(
        assets, "greenhouse_marts/applications_by_stage"
    )
    # every mart is materialisable, and the dbt data tests are asset checks
    assert {"greenhouse_marts/applications_by_stage", "greenhouse_marts/offer_acceptance"} <= set(
        found["materializable"]
    )
    assert found["checks"] > 100
    assert found["schedules"] == {"greenhouse_elt_hourly": "0 * * * *"}
    assert "greenhouse_elt" in found["jobs"]


def test_a_missing_credential_fails_the_load_with_the_line_elt_prints(
    module_sandbox: SandboxHandle, tmp_path: Path, dbt_target: Path
) -> None:
    env = dagster_env(module_sandbox, tmp_path, dbt_target)
    del env["GREENHOUSE_CLIENT_SECRET"]
    validated = validate(env)
    assert validated.returncode != 0
    output = validated.stdout + validated.stderr
    assert "ConfigError: missing Harvest v3 credentials: set GREENHOUSE_CLIENT_SECRET" in output
    assert module_sandbox.client_id not in output


def test_materialising_every_asset_gives_the_oracle_marts_and_run_history(
    module_sandbox: SandboxHandle, tmp_path: Path, dbt_target: Path
) -> None:
    """Shape: the default sandbox organisation (seed 42, 200 candidates), Harvest v3."""
    env = dagster_env(module_sandbox, tmp_path, dbt_target)
    graph = child(env, "graph")
    run = child(env, "materialize")
    assert run["success"], run["failures"]
    assert set(run["materialized"]) == set(graph["materializable"])
    assert run["checks"] and all(check["passed"] for check in run["checks"])
    org = module_sandbox.org
    with duckdb.connect(env["DUCKDB_PATH"], read_only=True) as connection:
        check_marts(connection, org, "v3")
        check_pipeline_marts(connection, org, "v3")

    rows = [row for row in history_rows(env) if row["run_id"] == run["run_id"]]
    assert [(row["stage"], row["exit_code"]) for row in rows] == [("extract", 0), ("transform", 0)]
    extract = rows[0]
    # the pipeline `elt extract` uses for DEST=duckdb and this file: the cursors are shared
    assert extract["pipeline_name"] == "greenhouse_v3_duckdb_greenhouse"
    assert extract["records_by_endpoint"]["applications"] == org.count("applications")
    assert extract["records_by_endpoint"]["candidates"] == org.count("candidates")


def test_a_failed_endpoint_fails_the_run_naming_it(
    sandbox_factory: Callable[..., SandboxHandle], tmp_path: Path, dbt_target: Path
) -> None:
    sandbox = sandbox_factory(candidates=40, fail_endpoints=["offers"])
    env = dagster_env(
        sandbox, tmp_path, dbt_target, GREENHOUSE_MAX_ATTEMPTS="2", GREENHOUSE_BACKOFF_FACTOR="0.1"
    )
    run = child(env, "materialize")
    assert not run["success"]
    assert [failure["step"] for failure in run["failures"]] == ["greenhouse_extract"]
    description = run["failures"][0]["description"]
    assert description.startswith("extract: ") and "offers" in description
    assert "HTTP 500" in description
    # nothing built on a failed extract; the failure is in the run history
    assert not run["materialized"]
    (row,) = history_rows(env)
    assert (row["run_id"], row["stage"]) == (run["run_id"], "extract")
    assert row["exit_code"] != 0 and "offers" in row["error"]
    assert list(row["failed_endpoints"]) == ["offers"]
    with duckdb.connect(env["DUCKDB_PATH"], read_only=True) as connection:
        tables = {
            name
            for (name,) in connection.execute(
                "select table_name from information_schema.tables"
                " where table_schema = 'greenhouse_raw'"
            ).fetchall()
        }
    assert "applications" not in tables  # the extract step failed: no part of it was loaded


def test_a_dagster_run_after_elt_run_reads_only_what_changed(
    sandbox_factory: Callable[..., SandboxHandle], tmp_path: Path, dbt_target: Path
) -> None:
    """Shape: seed 11, 120 candidates, Harvest v3; 3% of it changes between the two runs."""
    sandbox = sandbox_factory(candidates=120, seed=11)
    # read up to now: the sandbox stamps its changes with the current time
    env = dagster_env(sandbox, tmp_path, dbt_target, GREENHOUSE_SETTLE_SECONDS="0")
    applications = sandbox.org.count("applications")
    cli = elt(env, "run")
    assert cli.returncode == 0, cli.stderr[-4000:]
    sandbox.advance(0.03)

    run = child(env, "materialize")
    assert run["success"], run["failures"]
    first, second = (row for row in history_rows(env) if row["stage"] == "extract")
    assert second["run_id"] == run["run_id"] and first["run_id"] != run["run_id"]
    assert first["pipeline_name"] == second["pipeline_name"]
    endpoints = catalogue("v3")
    incremental = [name for name in SELECTED if endpoints[name].kind != "reference"]
    full = {name: first["records_by_endpoint"].get(name, 0) for name in incremental}
    again = {name: second["records_by_endpoint"].get(name, 0) for name in incremental}
    org = sandbox.org
    assert full["applications"] == applications  # the CLI's first run read everything
    # the Dagster run started from the cursors the CLI stored in the destination
    assert sum(again.values()) * 5 < sum(full.values()), (again, full)
    assert again["applications"] < org.count("applications")
    # ... and still picked up the changes: the marts equal the changed organisation's figures
    with duckdb.connect(env["DUCKDB_PATH"], read_only=True) as connection:
        check_marts(connection, org, "v3")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# asset graph nodes and edges as the UI draws them (an SVG of positioned boxes and arrows)
NODE = re.compile(
    r'<foreignObject x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"'
    r"[^>]*>(?:(?!</foreignObject>).)*?assetName[^>]*>([^<]+)<",
    re.S,
)
GROUP = re.compile(
    r'<foreignObject x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"[^>]*>'
    r'(?:(?!<foreignObject).)*?data-tooltip="([^"]+)"',
    re.S,
)
EDGE = re.compile(r'<path d="M([\d.]+),([\d.]+)C[^"]*?([\d.]+),([\d.]+)"[^>]*marker-end', re.S)


def shown_as(label: str, name: str) -> bool:
    """The UI shortens long names with an ellipsis in the middle when zoomed out."""
    parts = [re.escape(part) for part in label.split("…")]
    return re.fullmatch(".*".join(parts), name) is not None


Box = tuple[float, float, float, float, str]  # x, y, width, height, label
Area = tuple[float, float, float, float]


def box(match: re.Match[str]) -> Box:
    x, y, width, height = (float(value) for value in match.groups()[:4])
    return x, y, width, height, match.group(5)


def drawn_lineage(dom: str) -> tuple[list[Box], set[tuple[int, int]]]:
    nodes = [box(m) for m in NODE.finditer(dom)]

    def at(x: float, y: float, side: str) -> int | None:
        for index, (nx, ny, width, height, _) in enumerate(nodes):
            edge_x = nx + width if side == "right" else nx
            if abs(edge_x - x) <= 12 and ny <= y <= ny + height:
                return index
        return None

    edges = set()
    for match in EDGE.finditer(dom):
        x1, y1, x2, y2 = map(float, match.groups())
        source, target = at(x1, y1, "right"), at(x2, y2, "left")
        if source is not None and target is not None:
            edges.add((source, target))
    return nodes, edges


def test_the_web_ui_draws_the_lineage_from_applications_to_applications_by_stage(
    module_sandbox: SandboxHandle, tmp_path: Path, dbt_target: Path
) -> None:
    env = dagster_env(module_sandbox, tmp_path, dbt_target)
    port = free_port()
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "dagster-webserver"), "-m", "orchestration.dagster"]
        + ["-h", "127.0.0.1", "-p", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "webserver.log").open("w"),
    )
    try:
        deadline = time.monotonic() + 300
        while True:
            assert server.poll() is None, (tmp_path / "webserver.log").read_text()[-4000:]
            try:
                if requests.get(f"http://127.0.0.1:{port}/server_info", timeout=5).ok:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the webserver did not answer within 300 s"
            time.sleep(1)
        page = (
            f"http://127.0.0.1:{port}/assets/greenhouse_marts/applications_by_stage"
            "?view=lineage&lineageScope=upstream&lineageDepth=10"
        )
        flags = [
            *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1600,1200",
            "--virtual-time-budget=30000", "--dump-dom",
        ]  # fmt: skip
        shown = subprocess.run(
            [browser(), *flags, page], capture_output=True, text=True, timeout=180
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    dom = shown.stdout
    assert shown.returncode == 0 and "data-svg-viewport" in dom, shown.stderr[-2000:]
    nodes, edges = drawn_lineage(dom)
    groups = [box(m) for m in GROUP.finditer(dom)]
    (raw_area,) = {(g[0], g[1], g[2], g[3]) for g in groups if g[4] == "greenhouse_raw"}

    def inside(node: Box, area: Area) -> bool:
        x, y, _, _, _ = node
        return area[0] <= x <= area[0] + area[2] and area[1] <= y <= area[1] + area[3]

    (raw_applications,) = [
        i for i, node in enumerate(nodes) if node[4] == "applications" and inside(node, raw_area)
    ]
    marts = [i for i, node in enumerate(nodes) if shown_as(node[4], "applications_by_stage")]
    staging = [
        i for i, node in enumerate(nodes) if shown_as(node[4], "stg_greenhouse__applications")
    ]
    assert marts and staging, [node[4] for node in nodes]
    # raw applications -> stg_greenhouse__applications -> ... -> applications_by_stage
    assert any((raw_applications, s) in edges for s in staging), edges
    reached, todo = set(), [raw_applications]
    while todo:
        current = todo.pop()
        for source, target in edges:
            if source == current and target not in reached:
                reached.add(target)
                todo.append(target)
    assert set(marts) & reached, ([nodes[i][4] for i in reached], edges)
