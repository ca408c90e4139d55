"""`elt bench` (`make bench`): run the scenarios, print the figures, write the results table."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from bench import report
from bench.procs import BenchError, kill_all, log, repo_root
from bench.scenarios import Bench, machine, postgres_server_url
from bench.sizes import SIZES

SCENARIOS = ("full", "scale", "rate", "formats", "dbt", "enterprise")


def _names(valid: tuple[str, ...]) -> Callable[[click.Context, click.Parameter, str], list[str]]:
    """A comma-separated subset of ``valid`` (click has no list-of-choices type)."""

    def parse(ctx: click.Context, param: click.Parameter, value: str) -> list[str]:
        chosen = [v.strip() for v in value.split(",") if v.strip()]
        unknown = sorted(set(chosen) - set(valid))
        if not chosen or unknown:
            raise click.BadParameter(f"takes a comma-separated subset of {', '.join(valid)}")
        return chosen

    return parse


def _on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@click.command()
@click.option("--size", "size_name", default="default", show_default=True,
              type=click.Choice(sorted(SIZES)))  # fmt: skip
@click.option(
    "--scenarios", default=",".join(SCENARIOS), callback=_names(SCENARIOS),
    help="comma-separated subset (enterprise runs only with --size enterprise)",
)  # fmt: skip
@click.option("--versions", default="v3,v1", callback=_names(("v3", "v1")), help="API versions")
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path),
    default=repo_root() / "bench" / "results", help="where latest.md / latest.json go",
)  # fmt: skip
@click.option(
    "--workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="scratch space for databases and logs (default: <out>/tmp)",
)  # fmt: skip
@click.option("--keep", is_flag=True, help="keep the scratch databases afterwards")
def bench(
    size_name: str,
    scenarios: list[str],
    versions: list[str],
    out: Path,
    workdir: Path | None,
    keep: bool,
) -> None:
    """The benchmarks: ours vs plain dlt, against the sandbox (docs/performance.md)."""
    sys.exit(run(size_name, scenarios, versions, out, workdir, keep))


def run(
    size_name: str,
    chosen: list[str],
    versions: list[str],
    out: Path,
    workdir_arg: Path | None,
    keep: bool,
) -> int:
    size = SIZES[size_name]
    previous = previous_results(out)
    workdir = (workdir_arg or out / "tmp").resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    # Ctrl-C, kill and a closed terminal all end in KeyboardInterrupt -> kill_all(); SIGINT is
    # set explicitly because a shell starts background jobs with it ignored.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _on_sigterm)
    bench = Bench(size, workdir)
    started = time.time()
    start_perf = time.perf_counter()
    mach = machine()
    log(
        f"size {size.name}: {size.candidates:,} candidates (1x), {size.scale_factor}x for scale, "
        f"{size.rate_candidates:,} rate-limited; {mach['cpus']} cores, {mach['memory_gib']} GiB"
    )
    try:
        if "full" in chosen:
            bench.scenario_full_and_incremental(versions, do_dbt="dbt" in chosen)
        if "scale" in chosen:
            bench.scenario_scale(do_dbt="dbt" in chosen)
        if "rate" in chosen:
            bench.scenario_rate_limited(versions)
        if "formats" in chosen:
            bench.scenario_formats(postgres_server_url())
        if "enterprise" in chosen and size.enterprise_candidates:
            bench.scenario_enterprise()
    except KeyboardInterrupt:
        log("interrupted: stopping every process the harness started")
        kill_all()
        return 130
    except BenchError as exc:
        bench.failures.append(str(exc))
        log(f"FAILED: {str(exc).splitlines()[0]}")
    finally:
        kill_all()

    doc: dict[str, Any] = {
        "meta": {
            "started_at": time.strftime("%Y-%m-%d %H:%M", time.gmtime(started)),
            "finished_at": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
            "total_wall_s": round(time.perf_counter() - start_perf, 1),
            "command": "make bench" + ("" if size.name == "default" else f" SIZE={size.name}"),
            "argv": ["elt", "bench", *sys.argv[2:]] if sys.argv[1:2] == ["bench"] else sys.argv,
            "size": size.name,
            "size_note": (
                f"1x = {size.candidates:,} candidates; scale = {size.scale_factor}x "
                f"({', '.join(size.scale_versions)}); rate-limited org = {size.rate_candidates:,} "
                f"candidates at {size.rate_limit} req / {size.rate_window_s:g} s; "
                f"loader formats on "
                f"{size.formats_candidates:,} candidates"
                + (
                    f"; enterprise = {size.enterprise_candidates:,}"
                    if size.enterprise_candidates
                    else ""
                )
            ),
            "scenarios": chosen,
            "versions": versions,
            "machine": mach,
        },
        "targets": [t.as_dict() for t in report.evaluate_targets(bench.results)],
        "results": bench.results,
        "failures": bench.failures,
    }
    if previous and previous.get("meta", {}).get("size") == size.name:
        doc["meta"]["previous"] = previous["meta"].get("finished_at", "?") + " UTC"
        doc["regressions"] = report.compare_with_previous(doc["targets"], previous["targets"])
    js, md = report.write(doc, out)
    log(f"wrote {md} and {js}")
    default_out = out.resolve() == (repo_root() / "bench" / "results").resolve()
    if default_out and size.name == "default" and set(chosen) >= {"full", "scale", "rate"}:
        docs = repo_root() / "docs" / "performance.md"
        if report.update_docs(docs, md.read_text()):
            log(f"updated the results block of {docs}")
        readme = repo_root() / "README.md"
        if report.update_readme_summary(readme, md.read_text()):
            log(f"updated the benchmark summary of {readme}")
    for t in doc["targets"]:
        log(
            f"  {t['scenario']}: {t['metric']} {t['measured']} (target {t['target']}) "
            f"-> {t['status']}"
        )
    if not keep and not bench.failures:
        for child in workdir.iterdir():
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
    for t in doc.get("regressions", []):
        log(
            f"REGRESSION: {t['scenario']}: {t['metric']} {t['previous']:g} -> {t['ratio']:g}, "
            f"{t['change']:.0%} worse than the previous results"
        )
    if bench.failures:
        log(f"{len(bench.failures)} step(s) failed; see the 'Failures' section of {md}")
        return 1
    if doc.get("regressions"):
        log(
            f"{len(doc['regressions'])} ratio(s) more than {report.REGRESSION_TOLERANCE:.0%} "
            f"worse than the previous results ({doc['meta']['previous']}); see {md}"
        )
        return 1
    return 0


def previous_results(out: Path) -> dict | None:
    """The results a run is compared with: the committed ``latest.json`` of ``out`` when git
    knows it (rerunning does not make a regression the new normal), else the file as it is
    before this run overwrites it; None when there is none."""
    path = (out / "latest.json").resolve()
    try:
        shown = subprocess.run(
            ["git", "show", f"HEAD:./{path.name}"],
            cwd=path.parent,
            capture_output=True,
            text=True,
            timeout=30,
        )
        if shown.returncode == 0:
            return json.loads(shown.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        pass  # no git, or not a repository: the file on disk
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
