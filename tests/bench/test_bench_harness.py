"""The benchmark harness keeps working: a tiny run end to end, plus its measuring parts.

No timed assertions here: performance figures belong to `make bench`. These tests check that
the harness measures what it says (peak memory of a process tree, records landed, the
sandbox's request counters) and writes its table.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from bench import report
from bench.procs import run_measured
from bench.sizes import SIZES

REPO = Path(__file__).resolve().parents[2]


def test_peak_rss_includes_child_processes(tmp_path: Path) -> None:
    # A parent that starts a child holding ~200 MB: the tree's peak must see the child.
    child = "import time; b = b'x' * (200 * 2**20); time.sleep(1)"
    parent = (
        f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}], check=True)"
    )
    m = run_measured(
        "rss-probe",
        [sys.executable, "-c", parent],
        env={"PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        log_path=tmp_path / "probe.log",
        timeout_s=60,
    )
    assert m.ok
    assert m.peak_rss_mb >= 190
    assert m.wall_s > 0


def test_failed_command_is_reported_not_raised(tmp_path: Path) -> None:
    m = run_measured(
        "failing",
        [sys.executable, "-c", "import sys; print('boom'); sys.exit(3)"],
        env={"PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        log_path=tmp_path / "fail.log",
        timeout_s=60,
    )
    assert m.exit_code == 3
    assert "boom" in m.tail()


def test_targets_follow_the_measured_ratios() -> None:
    results = {
        "scenario_1_full_load": {
            "comparison": {"records_per_s_ratio": 6.0, "peak_rss_ratio": 0.2, "same_records": True}
        },
        "scenario_4_incremental": {
            "runs": {
                "v3": {
                    "requests_share": 0.01,
                    "wall_share": 0.5,
                    "incremental_requests": 3,
                    "full_requests": 300,
                    "incremental_wall_s": 5.0,
                    "full_wall_s": 10.0,
                }
            }
        },
    }
    status = {(t.scenario, t.metric): t.met for t in report.evaluate_targets(results)}
    assert status[("1 full load (v1, baseline endpoints)", "records/s vs baseline")] is True
    assert status[("1 full load (v1, baseline endpoints)", "peak RSS vs baseline")] is False
    assert status[("4 incremental (v3)", "requests vs full run")] is True
    assert status[("4 incremental (v3)", "wall time vs full run")] is False


def test_report_build_time_is_a_target_per_size() -> None:
    """`elt report` wall time: < 10 s on the 1x marts, < 30 s at the scale size."""
    results = {
        "scenario_5_report": {
            "runs": {
                "v3_1x": {"ok": True, "wall_s": 12.0, "peak_rss_mb": 190.0, "html_kb": 4.0},
                "v3_10x": {"ok": True, "wall_s": 12.0, "peak_rss_mb": 200.0, "html_kb": 4.0},
                "v1_10x": {"ok": False, "wall_s": 1.0, "peak_rss_mb": 90.0, "html_kb": None},
            }
        }
    }
    status = {t.scenario: t.met for t in report.evaluate_targets(results)}
    assert status == {
        "5 report (v3 1x)": False,  # over 10 s
        "5 report (v3 10x)": True,
        "5 report (v1 10x)": None,  # the report failed: nothing measured
    }


def test_bad_arguments_give_one_line_and_exit_2() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--size", "huge"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    error = proc.stderr.strip()
    assert error.count("\n") == 0 and error.startswith("error:"), proc.stderr
    assert "'huge'" in error and "default" in error


@pytest.mark.slow
def test_tiny_run_end_to_end(tmp_path: Path) -> None:
    """Both baselines and ours against a tiny sandbox: same records, the sandbox's counters, a
    table."""
    from bench.baseline import ENDPOINTS
    from sandbox.data import Organisation
    from tests.oracles.landing import expected_count

    out = tmp_path / "results"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--size",
            "tiny",
            "--scenarios",
            "full",
            "--versions",
            "v1",
            "--out",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    doc = json.loads((out / "latest.json").read_text())
    assert "## Targets" in (out / "latest.md").read_text()

    org = Organisation(candidates=SIZES["tiny"].candidates)
    counts = {e: expected_count(org, e, "v1") for e in ENDPOINTS}
    runs = doc["results"]["scenario_1_full_load"]["runs"]
    assert runs["baseline_v1"]["rows"] == counts
    assert runs["ours_v1_baseline_endpoints"]["rows"] == counts
    # Airbyte's source, from its own environment, read the same records from the same sandbox
    assert runs["airbyte_v1"]["rows"] == counts
    assert runs["airbyte_v1"]["extract_summary"]["errors"] == []
    assert doc["results"]["scenario_1_full_load"]["comparison_airbyte"]["same_records"] is True
    # The baseline sends no per_page: Harvest's default page of 100 records, one request per page.
    assert runs["baseline_v1"]["requests"] == sum(max(1, -(-n // 100)) for n in counts.values())
    assert runs["ours_v1_baseline_endpoints"]["requests"] > 0
    assert doc["results"]["scenario_1_full_load"]["comparison"]["same_records"] is True

    inc = doc["results"]["scenario_4_incremental"]["runs"]["v1"]
    assert inc["incremental_requests"] > 0
    assert inc["requests_share"] == round(inc["incremental_requests"] / inc["full_requests"], 4)
    assert {t["status"] for t in doc["targets"]} <= {"met", "MISSED", "not measured"}
    assert not doc["failures"]
    # nothing left running: the sandbox and every measured process were stopped
    leftovers = [
        p.info["pid"]
        for p in psutil.process_iter(["pid", "cmdline"])
        if any(str(out) in arg for arg in (p.info["cmdline"] or []))
    ]
    assert leftovers == []


@pytest.mark.slow
def test_interrupt_stops_every_process(tmp_path: Path) -> None:
    """Ctrl-C in the middle of a run: exit 130 and no sandbox or pipeline left running."""
    out = tmp_path / "results"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench",
            "--size",
            "tiny",
            "--scenarios",
            "full",
            "--versions",
            "v3",
            "--out",
            str(out),
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    port_file = out / "tmp" / "sandbox-1x.port"
    deadline = time.monotonic() + 120
    while not (port_file.exists() and port_file.read_text().strip()):
        assert proc.poll() is None and time.monotonic() < deadline, (
            "harness never started a sandbox"
        )
        time.sleep(0.2)
    time.sleep(1)  # let the first measured run start
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    leftovers = [
        p.info["pid"]
        for p in psutil.process_iter(["pid", "cmdline"])
        if any(str(out) in arg for arg in (p.info["cmdline"] or []))
    ]
    assert leftovers == []


def test_results_block_of_the_docs_is_replaced_and_the_rest_kept(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text(
        f"# Performance\n\nintro\n\n{report.RESULTS_START}\nold table\n{report.RESULTS_END}\n\n"
        "## Choices\n\nkept\n"
    )
    latest = "# Benchmark results\n\n- **Date:** today\n\n## Targets\n\n| a |\n"
    assert report.update_docs(doc, latest)
    text = doc.read_text()
    assert "old table" not in text
    assert "## Latest results" in text and "### Targets" in text
    assert text.startswith("# Performance\n\nintro\n") and text.endswith("## Choices\n\nkept\n")
    assert not report.update_docs(tmp_path / "missing.md", latest)


def test_readme_summary_keeps_the_header_and_the_targets_table_only(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        f"## Performance\n\nintro\n\n{report.SUMMARY_START}\nold\n{report.SUMMARY_END}\n\n"
        "## Testing\n"
    )
    latest = (
        "# Benchmark results\n\n- **Date:** today\n\n## Targets\n\n| a |\n|---|\n| 1 |\n\n"
        "## 1. Full load\n\n| big table |\n"
    )
    assert report.update_readme_summary(readme, latest)
    text = readme.read_text()
    assert "old" not in text and "big table" not in text and "# Benchmark results" not in text
    assert "- **Date:** today" in text and "| 1 |" in text
    assert text.startswith("## Performance\n\nintro\n") and text.endswith("## Testing\n")
    assert not report.update_readme_summary(tmp_path / "missing.md", latest)
