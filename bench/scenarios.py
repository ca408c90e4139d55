"""The benchmark scenarios (docs/performance.md), run as measured subprocesses on the sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import airbyte
from bench.baseline import ENDPOINTS as BASELINE_ENDPOINTS
from bench.procs import (
    BenchError,
    Measurement,
    SandboxProcess,
    fresh_dir,
    log,
    repo_root,
    run_measured,
)
from bench.sizes import Size
from extract.dbt_runner import production_build_env

RAW_SCHEMA = "greenhouse_raw"
PAGE_SIZE = 500
# Variables of the user's shell that must not leak into a measured run.
_SCRUBBED_PREFIXES = ("GREENHOUSE_", "SOURCES__", "DESTINATION__", "NORMALIZE__", "LOAD__")
_SCRUBBED = {"DEST", "DUCKDB_PATH", "DBT_TARGET_PATH", "DBT_LOG_PATH"}


# --------------------------------------------------------------------------- helpers


def base_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _SCRUBBED and not k.startswith(_SCRUBBED_PREFIXES)
    }
    env["PYTHONUNBUFFERED"] = "1"
    env["RUNTIME__LOG_LEVEL"] = env.get("RUNTIME__LOG_LEVEL", "WARNING")
    # the figures measure the extract itself; the run-history row (one small dlt load of its
    # own, about 1 s per stage, docs/performance.md) is not part of the comparison
    env["ELT_RUN_HISTORY"] = "false"
    env["ELT_ENV_FILE"] = os.devnull
    return env


def count_root_rows(duckdb_path: Path, schema: str = RAW_SCHEMA) -> dict[str, int]:
    """Rows per top-level table holding any (one per endpoint read; no dlt tables, no nested
    child tables)."""
    import duckdb

    if not duckdb_path.exists():
        return {}
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = ?",
                [schema],
            ).fetchall()
        ]
        rows = {}
        for t in sorted(tables):
            if t.startswith("_dlt") or "__" in t:
                continue
            count = con.execute(f'select count(*) from "{schema}"."{t}"').fetchone()
            assert count is not None  # count(*) always returns one row
            if count[0]:  # the extract creates the tables of endpoints it did not read, empty
                rows[t] = int(count[0])
        return rows
    finally:
        con.close()


def pipeline_steps(pipelines_dir: Path) -> list[tuple[str, float, float]]:
    """(step, start, end) in unix time for extract / normalize / load / run of the last run."""
    from dlt.pipeline.trace import load_trace

    traces = sorted(pipelines_dir.glob("*/trace.pickle"), key=lambda p: p.stat().st_mtime)
    if not traces:
        return []
    trace = load_trace(str(traces[-1].parent))
    if trace is None:
        return []
    return [
        (step.step, step.started_at.timestamp(), step.finished_at.timestamp())
        for step in trace.steps
        if step.started_at and step.finished_at
    ]


def pipeline_phases(pipelines_dir: Path) -> dict[str, float]:
    """Seconds per dlt step (extract / normalize / load / run) of the last run, from dlt's trace."""
    phases: dict[str, float] = {}
    for name, start, end in pipeline_steps(pipelines_dir):
        phases[name] = round(phases.get(name, 0.0) + end - start, 2)
    return phases


def phase_peaks(m: Measurement, pipelines_dir: Path) -> dict[str, float | None]:
    """Peak RSS of the process tree within each dlt step (where the memory goes)."""
    return {
        name: m.peak_rss_between_mb(start, end)
        for name, start, end in pipeline_steps(pipelines_dir)
        if name != "run"
    }


def _num(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@dataclass
class RequestStats:
    """The sandbox's own request counters, read from `/_admin/stats` after a run."""

    total: int = 0
    by_endpoint: dict[str, int] = field(default_factory=dict)
    status_429: int = 0
    first_request_at: float | None = None
    last_request_at: float | None = None
    raw: dict = field(default_factory=dict)

    @property
    def request_window_s(self) -> float | None:
        if self.first_request_at is None or self.last_request_at is None:
            return None
        return max(self.last_request_at - self.first_request_at, 0.0)


def parse_stats(stats: dict) -> RequestStats:
    """Read the sandbox's `/_admin/stats` document: `total`, `by_endpoint` ("v3/applications":
    n), `by_status`, `rate_limited` (429s), counted since the last `reset-stats`."""
    by_endpoint: dict[str, int] = {}
    for key, value in (stats.get("by_endpoint") or {}).items():
        name = key.split("/", 1)[-1]  # "v3/applications" -> "applications"
        by_endpoint[name] = by_endpoint.get(name, 0) + _num(value)
    return RequestStats(
        total=_num(stats.get("total")),
        by_endpoint=by_endpoint,
        status_429=_num(stats.get("rate_limited")),
        raw=stats,
    )


class RequestWatcher:
    """Samples the sandbox's request counter while a run goes on: when requests start and stop."""

    def __init__(self, sandbox: SandboxProcess) -> None:
        self.sandbox = sandbox
        self.first: float | None = None
        self.last: float | None = None
        self.seen = 0

    def __call__(self) -> None:
        try:
            total = _num(self.sandbox.stats().get("total"))
        except (OSError, BenchError):
            return
        now = time.time()
        if total > 0 and self.first is None:
            self.first = now
        if total > self.seen:
            self.seen = total
            self.last = now

    def apply(self, stats: RequestStats) -> RequestStats:
        stats.first_request_at = self.first
        stats.last_request_at = self.last
        return stats


@dataclass
class Run:
    """One measured pipeline run."""

    label: str
    version: str
    measurement: Measurement
    rows: dict[str, int]
    requests: RequestStats
    summary: dict | None = None
    phases: dict[str, float] = field(default_factory=dict)
    sandbox_cpu_s: float | None = None
    phase_peak_rss_mb: dict[str, float | None] = field(default_factory=dict)

    @property
    def records(self) -> int:
        return sum(self.rows.values())

    @property
    def records_per_s(self) -> float:
        return self.records / self.measurement.wall_s if self.measurement.wall_s else 0.0

    def as_dict(self) -> dict:
        return {
            "label": self.label,
            "version": self.version,
            **self.measurement.as_dict(),
            "records": self.records,
            "records_per_s": round(self.records_per_s, 1),
            "rows": self.rows,
            "requests": self.requests.total,
            "requests_by_endpoint": self.requests.by_endpoint,
            "responses_429": self.requests.status_429,
            "request_window_s": self.requests.request_window_s,
            "dlt_phases_s": self.phases,
            "dlt_phase_peak_rss_mb": self.phase_peak_rss_mb,
            "sandbox_cpu_s": self.sandbox_cpu_s,
            "extract_summary": self.summary,
        }


class Bench:
    """Shared state of one `python -m bench` invocation."""

    def __init__(self, size: Size, workdir: Path) -> None:
        self.size = size
        self.workdir = workdir
        self.results: dict[str, Any] = {}
        self.failures: list[str] = []

    # ------------------------------------------------------------------ single runs

    def _paths(self, name: str) -> tuple[Path, Path, Path]:
        run_dir = self.workdir / name
        return run_dir / "raw.duckdb", run_dir / "pipelines", run_dir

    def run_ours(
        self,
        name: str,
        sandbox: SandboxProcess,
        version: str,
        *,
        resources: list[str] | None = None,
        fresh: bool = True,
        env_extra: dict[str, str] | None = None,
        count_rows: bool = True,
    ) -> Run:
        duckdb_path, pipelines_dir, run_dir = self._paths(name)
        if fresh:
            fresh_dir(run_dir)
        summary_path = run_dir / f"summary-{uuid.uuid4().hex[:6]}.json"
        env = base_env() | sandbox.env(version)
        env |= {
            "DEST": "duckdb",
            "DUCKDB_PATH": str(duckdb_path),
            "GREENHOUSE_PIPELINES_DIR": str(pipelines_dir),
        }
        env |= env_extra or {}
        argv = [sys.executable, "-m", "extract", "extract", "--summary-json", str(summary_path)]
        if resources:
            argv += ["--resources", ",".join(resources)]
        m, stats, sandbox_cpu = self._measure(
            name, "extract", sandbox, argv, env, run_dir / f"{name}-{summary_path.stem}.log"
        )
        summary = json.loads(summary_path.read_text()) if summary_path.exists() else None
        rows = count_root_rows(duckdb_path) if count_rows else {}
        run = Run(name, version, m, rows, stats, summary, pipeline_phases(pipelines_dir))
        run.sandbox_cpu_s = round(sandbox_cpu, 1)
        run.phase_peak_rss_mb = phase_peaks(m, pipelines_dir)
        return run

    def _measure(
        self,
        name: str,
        what: str,
        sandbox: SandboxProcess,
        argv: list[str],
        env: dict[str, str],
        log_path: Path,
    ):
        """Run one measured subprocess against the sandbox: its measurement, the sandbox's
        request stats for it, and the sandbox CPU seconds it cost."""
        sandbox.reset_stats()
        watcher = RequestWatcher(sandbox)
        cpu_before = sandbox.cpu_seconds()
        m = run_measured(
            name,
            argv,
            env=env,
            cwd=repo_root(),
            log_path=log_path,
            timeout_s=self.size.run_timeout_s,
            poll=watcher,
        )
        stats = watcher.apply(parse_stats(sandbox.stats()))
        if not m.ok:
            raise BenchError(f"{name}: {what} failed (exit {m.exit_code}):\n{m.tail()}")
        return m, stats, sandbox.cpu_seconds() - cpu_before

    def run_baseline(
        self,
        name: str,
        sandbox: SandboxProcess,
        *,
        dest: str = "duckdb",
        loader_file_format: str | None = None,
        postgres_env: dict[str, str] | None = None,
    ) -> Run:
        duckdb_path, pipelines_dir, run_dir = self._paths(name)
        fresh_dir(run_dir)
        summary_path = run_dir / "summary.json"
        env = base_env() | {
            "GREENHOUSE_BASE_URL": sandbox.base_url,
            "GREENHOUSE_API_TOKEN": sandbox.env("v1")["GREENHOUSE_API_TOKEN"],
            "DUCKDB_PATH": str(duckdb_path),
            "GREENHOUSE_PIPELINES_DIR": str(pipelines_dir),
        }
        env |= postgres_env or {}
        argv = [sys.executable, "-m", "bench.baseline", "--dest", dest]
        argv += ["--summary-json", str(summary_path)]
        if loader_file_format:
            argv += ["--loader-file-format", loader_file_format]
        m, stats, sandbox_cpu = self._measure(
            name, "baseline", sandbox, argv, env, run_dir / f"{name}.log"
        )
        summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
        rows = summary.get("rows", {})
        run = Run(name, "v1", m, rows, stats, summary, pipeline_phases(pipelines_dir))
        run.sandbox_cpu_s = round(sandbox_cpu, 1)
        run.phase_peak_rss_mb = phase_peaks(m, pipelines_dir)
        return run

    def run_airbyte(self, name: str, sandbox: SandboxProcess) -> Run:
        """Airbyte's Greenhouse source (v1) reading the baseline's endpoints into JSON lines,
        in its own environment: the catalog is written first, unmeasured, then ``read`` is
        measured."""
        _, _, run_dir = self._paths(name)
        fresh_dir(run_dir)
        python = str(airbyte.environment())
        config = run_dir / "config.json"
        config.write_text(json.dumps({"api_key": sandbox.env("v1")["GREENHOUSE_API_TOKEN"]}))
        env = {k: v for k, v in base_env().items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
        prepare = [python, str(airbyte.RUNNER), "catalog", "--config", str(config)]
        prepare += ["--out", str(run_dir), "--base-url", sandbox.base_url]
        prepare += ["--streams", ",".join(BASELINE_ENDPOINTS)]
        done = subprocess.run(
            prepare, env=env, cwd=run_dir, capture_output=True, text=True, timeout=600
        )
        if done.returncode != 0:
            raise BenchError(f"{name}: writing Airbyte's catalog failed:\n{done.stderr[-2000:]}")
        argv = [python, str(airbyte.RUNNER), "read", "--config", str(config)]
        argv += ["--out", str(run_dir)]
        messages = run_dir / "records.jsonl"  # the source's stdout: its messages, as JSON lines
        m, stats, sandbox_cpu = self._measure(name, "Airbyte read", sandbox, argv, env, messages)
        rows, errors = airbyte.record_counts(messages)
        summary = {
            "rows": rows,
            "errors": errors,
            "output_mb": round(messages.stat().st_size / 2**20, 1),
        }
        run = Run(name, "v1", m, rows, stats, summary)
        run.sandbox_cpu_s = round(sandbox_cpu, 1)
        return run

    def run_dbt(self, name: str, duckdb_path: Path, version: str) -> dict:
        transform = repo_root() / "transform"
        run_dir = self.workdir / name
        fresh_dir(run_dir)
        env = base_env() | {
            "DEST": "duckdb",
            "DUCKDB_PATH": str(duckdb_path),
            "GREENHOUSE_API_VERSION": version,
            "DBT_PROFILES_DIR": str(repo_root() / "profiles"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        env |= production_build_env(env)  # the build `elt run` runs
        dbt = str(Path(sys.executable).parent / "dbt")
        has_packages = any((transform / f).exists() for f in ("packages.yml", "dependencies.yml"))
        if has_packages and not (transform / "dbt_packages").exists():
            run_measured(
                f"{name}-deps",
                [dbt, "deps"],
                env=env,
                cwd=transform,
                log_path=run_dir / "deps.log",
                timeout_s=600,
            )
        target_path = run_dir / "target"
        argv = [dbt, "build", "--target", "duckdb", "--target-path", str(target_path)]
        argv += ["--log-path", str(run_dir / "logs")]
        m = run_measured(
            name,
            argv,
            env=env,
            cwd=transform,
            log_path=run_dir / "dbt.log",
            timeout_s=self.size.run_timeout_s,
        )
        results_file = target_path / "run_results.json"
        per_node: list[dict] = []
        if results_file.exists():
            doc = json.loads(results_file.read_text())
            for r in doc.get("results", []):
                per_node.append(
                    {
                        "node": r.get("unique_id"),
                        "status": r.get("status"),
                        "seconds": round(float(r.get("execution_time") or 0.0), 3),
                    }
                )
            dbt_elapsed = doc.get("elapsed_time")
        else:
            dbt_elapsed = None
        failed = [n["node"] for n in per_node if n["status"] in ("error", "fail")]
        return {
            "label": name,
            "version": version,
            "ok": m.ok,
            "wall_s": round(m.wall_s, 2),
            "dbt_elapsed_s": round(dbt_elapsed, 2) if dbt_elapsed else None,
            "peak_rss_mb": round(m.peak_rss_mb, 1),
            "nodes": per_node,
            "models": sorted(
                (n for n in per_node if str(n["node"]).startswith("model.")),
                key=lambda n: -n["seconds"],
            ),
            "failed_nodes": failed,
            "log": m.log_path,
            "error_tail": None if m.ok else m.tail(),
        }

    def run_report(self, name: str, duckdb_path: Path, version: str) -> dict:
        """``elt report`` on the marts ``run_dbt`` built: how long the HTML page takes."""
        run_dir = self.workdir / name
        fresh_dir(run_dir)
        out = run_dir / "report.html"
        env = base_env() | {
            "DEST": "duckdb",
            "DUCKDB_PATH": str(duckdb_path),
            "GREENHOUSE_API_VERSION": version,
        }
        m = run_measured(
            name,
            [sys.executable, "-m", "extract", "report", "--out", str(out)],
            env=env,
            cwd=repo_root(),
            log_path=run_dir / "report.log",
            timeout_s=self.size.run_timeout_s,
        )
        return {
            "label": name,
            "version": version,
            "ok": m.ok,
            "wall_s": round(m.wall_s, 2),
            "peak_rss_mb": round(m.peak_rss_mb, 1),
            "html_kb": round(out.stat().st_size / 1024, 1) if out.exists() else None,
            "log": m.log_path,
            "error_tail": None if m.ok else m.tail(),
        }

    def dbt_and_report(self, duckdb_path: Path, version: str, scale: str) -> None:
        """Scenario 5: dbt build on a landed database, then the report from its marts."""
        dbt_runs: dict[str, Any] = self.results.setdefault("scenario_5_dbt", {"runs": {}})["runs"]
        res = self._try(lambda: self.run_dbt(f"dbt-{version}-{scale}", duckdb_path, version))
        if not res:
            return
        dbt_runs[f"{version}_{scale}"] = res
        if not res["ok"]:
            return  # no marts to report on
        reports = self.results.setdefault("scenario_5_report", {"runs": {}})["runs"]
        report = self._try(
            lambda: self.run_report(f"report-{version}-{scale}", duckdb_path, version)
        )
        if report:
            reports[f"{version}_{scale}"] = report

    # ------------------------------------------------------------------ scenarios

    def scenario_full_and_incremental(self, versions: list[str], do_dbt: bool) -> None:
        """Scenarios 1 (full load vs baseline), 4 (incremental after 1% change), 5 (dbt at 1x)."""
        size = self.size
        s1: dict[str, Any] = {"candidates": size.candidates, "runs": {}}
        s4: dict[str, Any] = {"advance_fraction": size.advance_fraction, "runs": {}}
        self.results["scenario_1_full_load"] = s1
        self.results["scenario_4_incremental"] = s4
        with SandboxProcess(
            candidates=size.candidates, workdir=self.workdir, name="sandbox-1x"
        ) as sandbox:
            s1["sandbox_startup_s"] = round(sandbox.startup_s, 1)
            base = self._try(lambda: self.run_baseline("baseline-v1", sandbox))
            if base:
                s1["runs"]["baseline_v1"] = base.as_dict()
            peer = self._try(lambda: self.run_airbyte("airbyte-v1", sandbox))
            if peer:
                s1["runs"]["airbyte_v1"] = peer.as_dict()
            same = None
            if "v1" in versions:
                same = self._try(
                    lambda: self.run_ours(
                        "ours-v1-baseline-endpoints",
                        sandbox,
                        "v1",
                        resources=list(BASELINE_ENDPOINTS),
                    )
                )
                if same:
                    s1["runs"]["ours_v1_baseline_endpoints"] = same.as_dict()
            full: dict[str, Run] = {}
            for version in versions:
                run = self._try(lambda v=version: self.run_ours(f"ours-{v}-full", sandbox, v))
                if run:
                    full[version] = run
                    s1["runs"][f"ours_{version}_all"] = run.as_dict()
            if base and same:
                s1["comparison"] = compare_to_baseline(base, same)
            if peer and same:
                s1["comparison_airbyte"] = compare_to_airbyte(peer, same)
            if do_dbt:
                for version, run in full.items():
                    self.dbt_and_report(self._paths(run.label)[0], version, "1x")
            if full:
                change = self._try(lambda: sandbox.advance(size.advance_fraction))
                s4["advance_response"] = change
                for version, run in full.items():
                    inc = self._try(
                        lambda v=version: self.run_ours(
                            f"ours-{v}-full", sandbox, v, fresh=False, count_rows=False
                        )
                    )
                    if inc:
                        inc.label = f"ours-{version}-incremental"
                        s4["runs"][version] = incremental_figures(run, inc)

    def scenario_scale(self, do_dbt: bool) -> None:
        """Scenario 2: the same at scale_factor x (ours only), peak RSS vs 1x; dbt at that size."""
        size = self.size
        n = size.candidates * size.scale_factor
        s2: dict[str, Any] = {"candidates": n, "scale_factor": size.scale_factor, "runs": {}}
        self.results["scenario_2_scale"] = s2
        s1_runs = self.results.get("scenario_1_full_load", {}).get("runs", {})
        with SandboxProcess(candidates=n, workdir=self.workdir, name="sandbox-scale") as sandbox:
            s2["sandbox_startup_s"] = round(sandbox.startup_s, 1)
            for version in size.scale_versions:
                run = self._try(
                    lambda v=version: self.run_ours(f"ours-{v}-{size.scale_factor}x", sandbox, v)
                )
                if not run:
                    continue
                entry = run.as_dict()
                one_x = s1_runs.get(f"ours_{version}_all")
                if one_x:
                    entry["peak_rss_vs_1x"] = round(
                        run.measurement.peak_rss_mb / one_x["peak_rss_mb"], 2
                    )
                    entry["records_per_s_vs_1x"] = round(
                        run.records_per_s / one_x["records_per_s"], 2
                    )
                s2["runs"][version] = entry
                if do_dbt:
                    self.dbt_and_report(self._paths(run.label)[0], version, f"{size.scale_factor}x")
                # Scenario 4 again at this size: the fixed cost of a run weighs less here.
                s4 = self.results.setdefault(
                    "scenario_4_incremental",
                    {"advance_fraction": size.advance_fraction, "runs": {}},
                )
                change = self._try(lambda s=sandbox: s.advance(size.advance_fraction))
                if change is None:
                    continue
                inc = self._try(
                    lambda v=version, r=run: self.run_ours(
                        r.label, sandbox, v, fresh=False, count_rows=False
                    )
                )
                if inc:
                    inc.label = f"{run.label}-incremental"
                    s4["runs"][f"{version}_{size.scale_factor}x"] = incremental_figures(run, inc)

    def scenario_rate_limited(self, versions: list[str]) -> None:
        """Scenario 3: a rate-limited sandbox; requests/10k records, budget use, 429s, wall."""
        size = self.size
        s3: dict[str, Any] = {
            "candidates": size.rate_candidates,
            "rate_limit": size.rate_limit,
            "rate_window_s": size.rate_window_s,
            "runs": {},
        }
        self.results["scenario_3_rate_limited"] = s3
        for version in versions:
            with SandboxProcess(
                candidates=size.rate_candidates,
                workdir=self.workdir,
                name=f"sandbox-rate-{version}",
                rate_limit=size.rate_limit,
                rate_window_s=size.rate_window_s,
            ) as sandbox:
                run = self._try(lambda v=version, s=sandbox: self.run_ours(f"ours-{v}-rate", s, v))
                if run:
                    s3["runs"][version] = rate_figures(run, size.rate_limit, size.rate_window_s)

    def scenario_formats(self, postgres_url: str | None) -> None:
        """Loader formats and worker counts, measured on a smaller organisation."""
        size = self.size
        sf: dict[str, Any] = {"candidates": size.formats_candidates, "runs": {}}
        self.results["loader_formats_and_workers"] = sf
        with SandboxProcess(
            candidates=size.formats_candidates, workdir=self.workdir, name="sandbox-formats"
        ) as sandbox:
            for fmt in ("insert_values", "parquet"):
                run = self._try(
                    lambda f=fmt: self.run_baseline(
                        f"formats-duckdb-{f}", sandbox, loader_file_format=f
                    )
                )
                if run:
                    sf["runs"][f"duckdb_{fmt}"] = run.as_dict()
            if postgres_url:
                for fmt in ("insert_values", "csv"):
                    pg = _PostgresScratch(postgres_url)
                    try:
                        run = self._try(
                            lambda f=fmt, p=pg: self.run_baseline(
                                f"formats-postgres-{f}",
                                sandbox,
                                dest="postgres",
                                loader_file_format=f,
                                postgres_env=p.env(),
                            )
                        )
                    finally:
                        pg.drop()
                    if run:
                        sf["runs"][f"postgres_{fmt}"] = run.as_dict()
            else:
                sf["postgres"] = "skipped: no PostgreSQL reachable at POSTGRES_URL/127.0.0.1:5432"
            for workers in ("1", "2"):
                run = self._try(
                    lambda w=workers: self.run_ours(
                        f"workers-v3-normalize-{w}",
                        sandbox,
                        "v3",
                        env_extra={"NORMALIZE__WORKERS": w},
                    )
                )
                if run:
                    sf["runs"][f"ours_v3_normalize_workers_{workers}"] = run.as_dict()

    def scenario_enterprise(self) -> None:
        """Scenario 6: >= 1M candidates, v3, DuckDB, no rate limit."""
        n = self.size.enterprise_candidates
        if not n:
            return
        s6: dict[str, Any] = {"candidates": n, "runs": {}}
        self.results["scenario_6_enterprise"] = s6
        with SandboxProcess(
            candidates=n, workdir=self.workdir, name="sandbox-enterprise", start_timeout_s=3600
        ) as sandbox:
            s6["sandbox_startup_s"] = round(sandbox.startup_s, 1)
            run = self._try(lambda: self.run_ours("ours-v3-enterprise", sandbox, "v3"))
            if run:
                s6["runs"]["v3"] = run.as_dict()

    def _try(self, fn):  # noqa: ANN001, ANN202 - thin error boundary per measured step
        """Run one step; a failure is recorded (and reported), the other scenarios go on."""
        try:
            return fn()
        except BenchError as exc:
            first = str(exc).splitlines()[0]
            log(f"FAILED: {first}")
            self.failures.append(str(exc))
            return None


# --------------------------------------------------------------------------- figures


def compare_to_baseline(base: Run, ours: Run) -> dict:
    return {
        "records_baseline": base.records,
        "records_ours": ours.records,
        "same_records": base.records == ours.records,
        "records_per_s_ratio": round(ours.records_per_s / base.records_per_s, 2)
        if base.records_per_s
        else None,
        "peak_rss_ratio": round(ours.measurement.peak_rss_mb / base.measurement.peak_rss_mb, 3)
        if base.measurement.peak_rss_mb
        else None,
        "wall_ratio": round(ours.measurement.wall_s / base.measurement.wall_s, 3),
    }


def compare_to_airbyte(peer: Run, ours: Run) -> dict:
    """Ours (extract + normalize + load into DuckDB) against Airbyte's extract to JSON lines."""
    cpu_peer, cpu_ours = peer.measurement.cpu_s, ours.measurement.cpu_s
    return {
        "records_airbyte": peer.records,
        "records_ours": ours.records,
        "same_records": peer.records == ours.records,
        "wall_ratio": round(ours.measurement.wall_s / peer.measurement.wall_s, 3),
        "cpu_ratio": round(cpu_ours / cpu_peer, 3) if cpu_peer and cpu_ours is not None else None,
        "peak_rss_ratio": round(ours.measurement.peak_rss_mb / peer.measurement.peak_rss_mb, 3)
        if peer.measurement.peak_rss_mb
        else None,
        "peak_rss_ours_mb": round(ours.measurement.peak_rss_mb, 1),
    }


def incremental_figures(full: Run, inc: Run) -> dict:
    return {
        "full_requests": full.requests.total,
        "full_wall_s": round(full.measurement.wall_s, 2),
        "incremental_requests": inc.requests.total,
        "incremental_wall_s": round(inc.measurement.wall_s, 2),
        "incremental_peak_rss_mb": round(inc.measurement.peak_rss_mb, 1),
        "requests_share": round(inc.requests.total / full.requests.total, 4)
        if full.requests.total
        else None,
        "wall_share": round(inc.measurement.wall_s / full.measurement.wall_s, 4),
        "full_dlt_phases_s": full.phases,
        "incremental_dlt_phases_s": inc.phases,
        "incremental_requests_by_endpoint": inc.requests.by_endpoint,
        "incremental_summary": inc.summary,
    }


def rate_figures(run: Run, limit: int, window_s: float) -> dict:
    allowed_rate = limit / window_s
    paginated = {t: n for t, n in run.rows.items() if n > PAGE_SIZE}
    pag_requests = sum(run.requests.by_endpoint.get(t, 0) for t in paginated)
    pag_records = sum(paginated.values())
    theoretical_min = run.requests.total / allowed_rate
    window = run.requests.request_window_s
    # Rate over the span from the first to the last request (requests - 1 intervals); with no
    # usable span (everything inside one 0.5 s sample) fall back to the process's wall time.
    budget_basis = window if window else run.measurement.wall_s
    achieved_rate = (run.requests.total - 1) / budget_basis if budget_basis else 0.0
    return {
        **run.as_dict(),
        "paginated_endpoints": sorted(paginated),
        "paginated_requests": pag_requests,
        "paginated_records": pag_records,
        "requests_per_10k_records": round(pag_requests / pag_records * 10_000, 2)
        if pag_records
        else None,
        "allowed_rate_per_s": allowed_rate,
        "achieved_rate_per_s": round(achieved_rate, 3),
        "achieved_rate_basis": "request window" if window else "wall clock",
        "budget_share": round(achieved_rate / allowed_rate, 3),
        "theoretical_min_s": round(theoretical_min, 1),
        "wall_vs_min": round(run.measurement.wall_s / theoretical_min, 3)
        if theoretical_min
        else None,
    }


class _PostgresScratch:
    """A throwaway database on the reachable PostgreSQL server (dropped afterwards)."""

    def __init__(self, server_url: str) -> None:
        import psycopg2

        self.server_url = server_url
        self.name = f"gh_bench_{uuid.uuid4().hex[:10]}"
        admin = psycopg2.connect(server_url)
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'create database "{self.name}"')
        admin.close()

    def env(self) -> dict[str, str]:
        from urllib.parse import urlsplit

        p = urlsplit(self.server_url)
        return {
            "POSTGRES_HOST": p.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(p.port or 5432),
            "POSTGRES_USER": p.username or "postgres",
            "POSTGRES_PASSWORD": p.password or "postgres",
            "POSTGRES_DB": self.name,
        }

    def drop(self) -> None:
        import psycopg2

        admin = psycopg2.connect(self.server_url)
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{self.name}" with (force)')
        admin.close()


def postgres_server_url() -> str | None:
    """POSTGRES_URL, else the local server; None when neither answers."""
    import psycopg2

    url = os.environ.get("POSTGRES_URL") or "postgresql://postgres:postgres@127.0.0.1:5432/postgres"
    try:
        psycopg2.connect(url, connect_timeout=3).close()
        return url
    except Exception:  # noqa: BLE001 - any failure means "no server"; reported in the table
        return None


def machine() -> dict:
    import platform

    import psutil

    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
    }
