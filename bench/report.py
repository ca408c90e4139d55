"""Turn the harness's results into `latest.json` and the markdown table the README shows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Target:
    scenario: str
    metric: str
    target: str
    measured: Any
    met: bool | None  # None: not measured in this run
    note: str = ""
    ratio: float | None = None
    """The measured figure as a plain number when it is a ratio (the regression guard compares
    these with the previous run's); None for absolute figures (seconds, MB, counts)."""
    better: str = "lower"  # "higher" or "lower": which way the ratio improves

    def as_dict(self) -> dict:
        return {
            "scenario": self.scenario,
            "metric": self.metric,
            "target": self.target,
            "measured": self.measured,
            "status": status_word(self.met),
            "note": self.note,
            "ratio": self.ratio,
            "better": self.better,
        }


def status_word(met: bool | None) -> str:
    return "not measured" if met is None else ("met" if met else "MISSED")


def _check(value: Any, ok) -> bool | None:  # noqa: ANN001 - predicate
    return None if value is None else bool(ok(value))


def evaluate_targets(results: dict) -> list[Target]:
    targets: list[Target] = []
    if "scenario_1_full_load" in results:
        s1 = results["scenario_1_full_load"]
        name = "1 full load (v1, baseline endpoints)"
        cmp_ = s1.get("comparison") or {}
        rps = cmp_.get("records_per_s_ratio")
        rss = cmp_.get("peak_rss_ratio")
        same = "" if cmp_.get("same_records", True) else "record counts differ from the baseline's"
        targets.append(
            Target(
                name,
                "records/s vs baseline",
                ">= 6x",
                f"{rps}x" if rps is not None else None,
                _check(rps, lambda v: v >= 6),
                same,
                rps,
                "higher",
            )
        )
        targets.append(
            Target(
                name,
                "peak RSS vs baseline",
                "<= 0.10x",
                f"{rss}x" if rss is not None else None,
                _check(rss, lambda v: v <= 0.10),
                same,
                rss,
            )
        )
        peer = s1.get("comparison_airbyte") or {}
        wall = peer.get("wall_ratio")
        note = "" if peer.get("same_records", True) else "record counts differ from Airbyte's"
        targets.append(
            Target(
                name,
                "wall time vs Airbyte (extract to JSON lines only)",
                "<= 0.8x",
                f"{wall}x" if wall is not None else None,
                _check(wall, lambda v: v <= 0.8),
                note or "ours includes normalize + load into DuckDB",
                wall,
            )
        )
        ours = (s1.get("runs") or {}).get("ours_v1_baseline_endpoints") or {}
        peak = ours.get("peak_rss_mb")
        targets.append(
            Target(
                name,
                "peak RSS (ours)",
                "<= 250 MB",
                f"{peak:.0f} MB" if peak is not None else None,
                _check(peak, lambda v: v <= 250),
            )
        )
    for version, run in (results.get("scenario_2_scale", {}).get("runs") or {}).items():
        ratio = run.get("peak_rss_vs_1x")
        targets.append(
            Target(
                f"2 scale {results['scenario_2_scale']['scale_factor']}x ({version})",
                "peak RSS vs 1x",
                "<= 1.5x",
                f"{ratio}x" if ratio is not None else None,
                _check(ratio, lambda v: v <= 1.5),
                ratio=ratio,
                better="lower",
            )
        )
    for version, run in (results.get("scenario_3_rate_limited", {}).get("runs") or {}).items():
        name = f"3 rate-limited ({version})"
        r10k = run.get("requests_per_10k_records")
        targets.append(
            Target(
                name,
                "requests per 10k records (paginated endpoints)",
                "<= 21",
                r10k,
                _check(r10k, lambda v: v <= 21),
                ratio=r10k,
                better="lower",
            )
        )
        share = run.get("budget_share")
        targets.append(
            Target(
                name,
                "request budget used",
                ">= 90%",
                f"{share:.0%}" if share is not None else None,
                _check(share, lambda v: v >= 0.9),
                f"basis: {run.get('achieved_rate_basis')}",
                ratio=share,
                better="higher",
            )
        )
        n429 = run.get("responses_429")
        targets.append(Target(name, "429 responses", "0", n429, _check(n429, lambda v: v == 0)))
        wvm = run.get("wall_vs_min")
        targets.append(
            Target(
                name,
                "wall time vs theoretical minimum",
                "<= 1.15x",
                f"{wvm}x" if wvm is not None else None,
                _check(wvm, lambda v: v <= 1.15),
                f"min = {run.get('requests')} requests / {run.get('allowed_rate_per_s')} req/s",
                ratio=wvm,
                better="lower",
            )
        )
    for version, run in (results.get("scenario_4_incremental", {}).get("runs") or {}).items():
        name = f"4 incremental ({version})"
        rs = run.get("requests_share")
        targets.append(
            Target(
                name,
                "requests vs full run",
                "<= 5%",
                f"{rs:.1%}" if rs is not None else None,
                _check(rs, lambda v: v <= 0.05),
                f"{run.get('incremental_requests')} of {run.get('full_requests')}",
                ratio=rs,
                better="lower",
            )
        )
        ws = run.get("wall_share")
        targets.append(
            Target(
                name,
                "wall time vs full run",
                "<= 10%",
                f"{ws:.1%}" if ws is not None else None,
                _check(ws, lambda v: v <= 0.10),
                f"{run.get('incremental_wall_s')} s of {run.get('full_wall_s')} s",
                ratio=ws,
                better="lower",
            )
        )
    # the report builds in < 10 s at 1x and < 30 s at 10x (elt report on the marts of DuckDB)
    for key, run in ((results.get("scenario_5_report") or {}).get("runs") or {}).items():
        limit = 10.0 if key.endswith("_1x") else 30.0
        wall = run.get("wall_s") if run.get("ok") else None
        targets.append(
            Target(
                f"5 report ({key.replace('_', ' ')})",
                "elt report wall time",
                f"< {limit:g} s",
                wall,
                _check(wall, lambda v, limit=limit: v < limit),
                "" if run.get("ok") else "the report failed",
            )
        )
    s6 = results.get("scenario_6_enterprise")
    if s6 is not None:
        run = (s6.get("runs") or {}).get("v3") or {}
        wall = run.get("wall_s")
        rss_mb = run.get("peak_rss_mb")
        targets.append(
            Target(
                "6 enterprise (v3)",
                "wall time",
                "< 30 min",
                f"{wall / 60:.1f} min" if wall is not None else None,
                _check(wall, lambda v: v < 1800),
            )
        )
        targets.append(
            Target(
                "6 enterprise (v3)",
                "peak RSS",
                "< 2 GB",
                f"{rss_mb:.0f} MB" if rss_mb is not None else None,
                _check(rss_mb, lambda v: v < 2048),
            )
        )
    return targets


# A ratio more than this much worse than in the previous results is flagged (table, exit status).
REGRESSION_TOLERANCE = 0.15


def ratio_of(target: dict) -> float | None:
    """A target's ratio as a number: its ``ratio``, or for results written before that field
    existed, its ``measured`` text ("4.33x", "5.1%", 20.4). None for an absolute figure."""
    if "ratio" in target:
        value = target["ratio"]
        return float(value) if isinstance(value, int | float) else None
    measured = target.get("measured")
    if isinstance(measured, int | float) and not isinstance(measured, bool):
        return float(measured)
    if not isinstance(measured, str):
        return None
    text = measured.strip()
    try:
        if text.endswith("x"):
            return float(text[:-1])
        if text.endswith("%"):
            return float(text[:-1]) / 100
    except ValueError:
        return None
    return None


def compare_with_previous(
    targets: list[dict], previous: list[dict], tolerance: float = REGRESSION_TOLERANCE
) -> list[dict]:
    """Every ratio of ``targets`` next to the same (scenario, metric) of the previous results:
    each such target gets ``previous``, ``change`` (the relative change, positive = worse, in
    the direction the ratio improves) and ``regressed`` (worse by more than ``tolerance``).
    Returns the regressed ones. Figures that are no ratio, or new, are left alone."""
    before = {(t["scenario"], t["metric"]): ratio_of(t) for t in previous}
    regressed = []
    for target in targets:
        now = target.get("ratio")
        was = before.get((target["scenario"], target["metric"]))
        if now is None or was is None:
            continue
        if was == 0:
            worse = 0.0 if now == 0 else (1.0 if target["better"] == "lower" else -1.0)
        elif target["better"] == "higher":
            worse = (was - now) / was
        else:
            worse = (now - was) / was
        target["previous"] = was
        target["change"] = round(worse, 4)
        target["regressed"] = worse > tolerance
        if target["regressed"]:
            regressed.append(target)
    return regressed


def _change(t: dict) -> str:
    if "change" not in t:
        return "—"
    word = "worse" if t["change"] > 0 else "better"
    text = f"{abs(t['change']):.0%} {word}" if t["change"] else "same"
    return f"**{text}**" if t.get("regressed") else text


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _phases(r: dict, key: str = "dlt_phases_s", digits: int = 1) -> str:
    ph = r.get(key) or {}
    if not ph:
        return "—"
    return " / ".join(_fmt(ph.get(k), digits) for k in ("extract", "normalize", "load"))


def _runs_table(runs: dict[str, dict]) -> list[str]:
    lines = [
        "| run | API | records | wall s | CPU s | records/s | peak RSS MB | requests | 429s "
        "| dlt extract / normalize / load s | peak RSS MB per step | sandbox CPU s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key, r in runs.items():
        lines.append(
            f"| {key} | {r.get('version', '')} | {_fmt(r.get('records'))} "
            f"| {_fmt(r.get('wall_s'))} | {_fmt(r.get('cpu_s'))} "
            f"| {_fmt(r.get('records_per_s'), 0)} | {_fmt(r.get('peak_rss_mb'), 0)} "
            f"| {_fmt(r.get('requests'))} | {_fmt(r.get('responses_429'))} "
            f"| {_phases(r)} | {_phases(r, 'dlt_phase_peak_rss_mb', 0)} "
            f"| {_fmt(r.get('sandbox_cpu_s'))} |"
        )
    return lines


def render_markdown(doc: dict) -> str:
    meta = doc["meta"]
    res = doc["results"]
    m = meta["machine"]
    out = [
        "# Benchmark results",
        "",
        f"- **Date:** {meta['finished_at']} (UTC)",
        f"- **Machine:** {m['cpus']} CPU cores, {m['memory_gib']} GiB RAM, Python {m['python']}; "
        f"load average at start {m['load_avg_at_start']} (the machine is shared, numbers drift "
        "between runs: every target is a ratio measured within one run)",
        f"- **Command:** `{meta['command']}` (size `{meta['size']}`), "
        f"total {meta['total_wall_s'] / 60:.1f} min",
        f"- **Sizes:** {meta['size_note']}",
        "",
        "## Targets",
        "",
    ]
    prev = meta.get("previous")
    if prev:
        out += [
            f"Each ratio beside the previous results' ({prev}); one more than "
            f"{REGRESSION_TOLERANCE:.0%} worse is a regression: bold here, and `make bench` "
            "exits non-zero.",
            "",
        ]
    out += [
        "| scenario | metric | target | measured | status | previous | change | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t in doc["targets"]:
        previous = _fmt(t.get("previous"), 3) if "previous" in t else "—"
        out.append(
            f"| {t['scenario']} | {t['metric']} | {t['target']} | {_fmt(t['measured'])} "
            f"| **{t['status']}** | {previous} | {_change(t)} | {t['note']} |"
        )
    if doc.get("regressions"):
        out += [
            "",
            f"**{len(doc['regressions'])} ratio(s) regressed** against the previous results:",
        ]
        out += [
            f"- {t['scenario']}: {t['metric']} {t['previous']:g} -> {t['ratio']:g} "
            f"({t['change']:.0%} worse)"
            for t in doc["regressions"]
        ]
    s1 = res.get("scenario_1_full_load")
    if s1:
        out += ["", f"## 1. Full load, no rate limit ({s1['candidates']:,} candidates)", ""]
        out += _runs_table(s1.get("runs", {}))
        c = s1.get("comparison")
        if c:
            out += [
                "",
                f"Ours (v1, the baseline's 8 endpoints) vs the baseline: "
                f"**{c['records_per_s_ratio']}x** records/s, **{c['peak_rss_ratio']}x** peak RSS "
                f"({c['records_ours']:,} vs {c['records_baseline']:,} records).",
            ]
        a = s1.get("comparison_airbyte")
        if a:
            cpu = f"**{a['cpu_ratio']}x** its CPU time, " if a.get("cpu_ratio") is not None else ""
            out += [
                "",
                "Ours (the same 8 endpoints, extract + normalize + load into DuckDB) vs Airbyte's "
                f"source (`airbyte-source-greenhouse`, extract to JSON lines only): "
                f"**{a['wall_ratio']}x** its wall time, {cpu}"
                f"**{a['peak_rss_ratio']}x** its peak RSS "
                f"({a['records_ours']:,} vs {a['records_airbyte']:,} records).",
            ]
    s2 = res.get("scenario_2_scale")
    if s2:
        out += ["", f"## 2. Same at {s2['scale_factor']}x ({s2['candidates']:,} candidates)", ""]
        out += _runs_table({f"ours_{k}_{s2['scale_factor']}x": v for k, v in s2["runs"].items()})
        for k, v in s2["runs"].items():
            out.append("")
            out.append(
                f"{k}: peak RSS {_fmt(v.get('peak_rss_vs_1x'), 2)}x the 1x run, "
                f"records/s {_fmt(v.get('records_per_s_vs_1x'), 2)}x the 1x run."
            )
    s3 = res.get("scenario_3_rate_limited")
    if s3:
        out += [
            "",
            f"## 3. Rate-limited sandbox ({s3['rate_limit']} requests / {s3['rate_window_s']:g} s, "
            f"{s3['candidates']:,} candidates)",
            "",
            "| API | records | requests | req/10k records (paginated) | request span s "
            "| achieved req/s | budget used | 429s | wall s | theoretical min s | wall/min "
            "| dlt extract / normalize / load s |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for k, r in s3["runs"].items():
            out.append(
                f"| {k} | {_fmt(r['records'])} | {_fmt(r['requests'])} "
                f"| {_fmt(r['requests_per_10k_records'], 2)} | {_fmt(r.get('request_window_s'))} "
                f"| {_fmt(r['achieved_rate_per_s'], 2)} "
                f"| {r['budget_share']:.0%} | {_fmt(r['responses_429'])} | {_fmt(r['wall_s'])} "
                f"| {_fmt(r['theoretical_min_s'])} | {_fmt(r['wall_vs_min'], 2)} | {_phases(r)} |"
            )
        out += [
            "",
            "Request span: first to last request as the sandbox counted them (sampled every "
            "0.5 s). With fixed windows the first and the last window's requests need no wait, "
            "so a short run can exceed 100% of the nominal rate.",
        ]
    s4 = res.get("scenario_4_incremental")
    if s4 and s4.get("runs"):
        out += [
            "",
            f"## 4. Incremental run after the sandbox changed {s4['advance_fraction']:.0%} "
            "of records",
            "",
            "| API | full requests | incremental requests | share | full wall s "
            "| incremental wall s "
            "| share | incremental dlt extract / normalize / load s |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for k, r in s4["runs"].items():
            out.append(
                f"| {k} | {_fmt(r['full_requests'])} | {_fmt(r['incremental_requests'])} "
                f"| {_pct(r['requests_share'])} "
                f"| {_fmt(r['full_wall_s'])} | {_fmt(r['incremental_wall_s'])} "
                f"| {_pct(r['wall_share'])} "
                f"| {_phases({'dlt_phases_s': r.get('incremental_dlt_phases_s')})} |"
            )
    s5 = res.get("scenario_5_dbt")
    if s5 and s5.get("runs"):
        out += [
            "",
            "## 5. dbt build on DuckDB",
            "",
            "| run | ok | wall s | dbt elapsed s | peak RSS MB | nodes | failed |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for k, r in s5["runs"].items():
            out.append(
                f"| {k} | {'yes' if r['ok'] else 'NO'} | {_fmt(r['wall_s'])} "
                f"| {_fmt(r['dbt_elapsed_s'])} | {_fmt(r['peak_rss_mb'], 0)} | {len(r['nodes'])} "
                f"| {len(r['failed_nodes'])} |"
            )
        for k, r in s5["runs"].items():
            models = r.get("models", [])[:8]
            if not models:
                continue
            out += [
                "",
                f"Slowest models, {k}: "
                + ", ".join(
                    f"`{mm['node'].split('.')[-1]}` {mm['seconds']:.2f} s" for mm in models
                ),
            ]
    s5r = res.get("scenario_5_report")
    if s5r and s5r.get("runs"):
        out += [
            "",
            "## 5. The HTML report (`elt report`) from those marts",
            "",
            "| run | ok | wall s | peak RSS MB | HTML KB |",
            "|---|---|---:|---:|---:|",
        ]
        for k, r in s5r["runs"].items():
            out.append(
                f"| {k} | {'yes' if r['ok'] else 'NO'} | {_fmt(r['wall_s'])} "
                f"| {_fmt(r['peak_rss_mb'], 0)} | {_fmt(r['html_kb'])} |"
            )
    sf = res.get("loader_formats_and_workers")
    if sf:
        out += [
            "",
            f"## Loader formats and workers ({sf['candidates']:,} candidates)",
            "",
            "Formats measured on the baseline configuration (same data, only the loader format "
            "differs); workers measured on our pipeline (v3) via `NORMALIZE__WORKERS`.",
            "",
        ]
        out += _runs_table(sf.get("runs", {}))
        if sf.get("postgres"):
            out += ["", sf["postgres"]]
    s6 = res.get("scenario_6_enterprise")
    if s6:
        out += ["", f"## 6. Enterprise ({s6['candidates']:,} candidates, v3, DuckDB)", ""]
        out += _runs_table(s6.get("runs", {}))
    if doc.get("failures"):
        out += ["", "## Failures in this run", ""]
        for f in doc["failures"]:
            first, *rest = f.splitlines()
            out.append(f"- {first}")
            if rest:
                out += ["", "  ```", *[f"  {line}" for line in rest[-8:]], "  ```"]
    out.append("")
    return "\n".join(out)


def write(doc: dict, out_dir: Path, stem: str = "latest") -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    js = out_dir / f"{stem}.json"
    md = out_dir / f"{stem}.md"
    js.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    md.write_text(render_markdown(doc))
    return js, md


RESULTS_START = "<!-- bench:results:start (written by `make bench`) -->"
RESULTS_END = "<!-- bench:results:end -->"


def update_docs(doc_path: Path, markdown: str) -> bool:
    """Replace the results block of docs/performance.md with the latest table (if it has one)."""
    if not doc_path.exists():
        return False
    text = doc_path.read_text()
    if RESULTS_START not in text or RESULTS_END not in text:
        return False
    head, rest = text.split(RESULTS_START, 1)
    _, tail = rest.split(RESULTS_END, 1)
    body = markdown.replace("\n## ", "\n### ")
    body = body.replace("# Benchmark results", "## Latest results", 1)
    doc_path.write_text(f"{head}{RESULTS_START}\n{body.strip()}\n{RESULTS_END}{tail}")
    return True


SUMMARY_START = "<!-- bench:summary:start (written by `make bench`) -->"
SUMMARY_END = "<!-- bench:summary:end -->"


def update_readme_summary(readme_path: Path, markdown: str) -> bool:
    """Replace the README's benchmark block with the latest run's header (date, machine,
    command, sizes) and its targets table; the per-scenario tables stay in docs/performance.md."""
    if not readme_path.exists():
        return False
    text = readme_path.read_text()
    if SUMMARY_START not in text or SUMMARY_END not in text:
        return False
    lines = markdown.strip().splitlines()
    kept: list[str] = []
    in_targets = False
    for line in lines[1:]:  # drop the "# Benchmark results" title
        if line.startswith("## "):
            if in_targets:
                break
            in_targets = line.strip() == "## Targets"
            kept.append(
                "Performance targets (docs/performance.md), as measured:" if in_targets else line
            )
            continue
        kept.append(line)
    head, rest = text.split(SUMMARY_START, 1)
    _, tail = rest.split(SUMMARY_END, 1)
    body = "\n".join(kept).strip()
    readme_path.write_text(f"{head}{SUMMARY_START}\n{body}\n{SUMMARY_END}{tail}")
    return True
