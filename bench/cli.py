"""`python -m bench`: run the scenarios, print what is measured, write the results table."""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import time
from pathlib import Path

from bench import report
from bench.procs import BenchError, kill_all, log, repo_root
from bench.scenarios import Bench, machine, postgres_server_url
from bench.sizes import SIZES

SCENARIOS = ("full", "scale", "rate", "formats", "dbt", "enterprise")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmarks of issue 6: ours vs plain dlt, against the sandbox.",
    )
    p.add_argument("--size", default="default", choices=sorted(SIZES), help="default: %(default)s")
    p.add_argument(
        "--scenarios",
        default="full,scale,rate,formats,dbt,enterprise",
        help="comma-separated subset of: " + ",".join(SCENARIOS) + " (enterprise runs only with "
        "--size enterprise)",
    )
    p.add_argument("--versions", default="v3,v1", help="API versions to run (default: v3,v1)")
    p.add_argument(
        "--out",
        type=Path,
        default=repo_root() / "bench" / "results",
        help="where latest.md / latest.json go (default: bench/results)",
    )
    p.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="scratch space for databases and logs (default: <out>/tmp)",
    )
    p.add_argument("--keep", action="store_true", help="keep the scratch databases afterwards")
    args = p.parse_args(argv)
    chosen = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SCENARIOS))
    if unknown:
        p.error(f"unknown scenario(s) {', '.join(unknown)}; valid: {', '.join(SCENARIOS)}")
    versions = [v.strip() for v in args.versions.split(",") if v.strip()]
    if not versions or set(versions) - {"v1", "v3"}:
        p.error("--versions takes v3 and/or v1")
    args.scenario_list = chosen
    args.version_list = versions
    return args


def _on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    size = SIZES[args.size]
    workdir = (args.workdir or args.out / "tmp").resolve()
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
    chosen = args.scenario_list
    try:
        if "full" in chosen:
            bench.scenario_full_and_incremental(args.version_list, do_dbt="dbt" in chosen)
        if "scale" in chosen:
            bench.scenario_scale(do_dbt="dbt" in chosen)
        if "rate" in chosen:
            bench.scenario_rate_limited(args.version_list)
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

    doc = {
        "meta": {
            "started_at": time.strftime("%Y-%m-%d %H:%M", time.gmtime(started)),
            "finished_at": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
            "total_wall_s": round(time.perf_counter() - start_perf, 1),
            "command": "make bench" + ("" if size.name == "default" else f" SIZE={size.name}"),
            "argv": ["python", "-m", "bench", *(argv if argv is not None else sys.argv[1:])],
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
            "versions": args.version_list,
            "machine": mach,
        },
        "targets": [t.as_dict() for t in report.evaluate_targets(bench.results)],
        "results": bench.results,
        "failures": bench.failures,
    }
    js, md = report.write(doc, args.out)
    log(f"wrote {md} and {js}")
    default_out = args.out.resolve() == (repo_root() / "bench" / "results").resolve()
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
    if not args.keep and not bench.failures:
        for child in workdir.iterdir():
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
    if bench.failures:
        log(f"{len(bench.failures)} step(s) failed; see the 'Failures' section of {md}")
        return 1
    return 0
