"""`make bench` compares every ratio with the previous results and flags one >15% worse.

The comparison is pure bookkeeping on two result documents; these tests feed it figures chosen
on both sides of the tolerance, in both directions a ratio can improve, and results written
before ratios were stored as numbers (the committed `bench/results/latest.json` of that time).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import report
from bench.cli import previous_results

S1 = "1 full load (v1, baseline endpoints)"


def _target(metric: str, ratio: float | None, better: str = "lower", measured: str = "") -> dict:
    return {
        "scenario": S1,
        "metric": metric,
        "target": "",
        "measured": measured or (f"{ratio}x" if ratio is not None else "12 MB"),
        "status": "met",
        "note": "",
        "ratio": ratio,
        "better": better,
    }


def test_a_higher_is_better_ratio_that_dropped_more_than_15_percent_regressed() -> None:
    previous = [_target("records/s vs baseline", 6.0, "higher")]
    slower = [_target("records/s vs baseline", 5.0, "higher")]  # (6 - 5) / 6 = 16.7% worse
    regressed = report.compare_with_previous(slower, previous)
    assert [t["metric"] for t in regressed] == ["records/s vs baseline"]
    assert slower[0]["change"] == round(1 / 6, 4)
    assert slower[0]["previous"] == 6.0

    within = [_target("records/s vs baseline", 5.2, "higher")]  # 13.3% worse: tolerated
    assert report.compare_with_previous(within, previous) == []
    assert within[0]["regressed"] is False


def test_a_lower_is_better_ratio_that_rose_more_than_15_percent_regressed() -> None:
    previous = [_target("wall time vs Airbyte", 0.70)]  # 0.82: 17% worse; 0.80 would be 14%
    assert report.compare_with_previous([_target("wall time vs Airbyte", 0.82)], previous)
    assert not report.compare_with_previous([_target("wall time vs Airbyte", 0.82)], previous, 0.2)
    assert not report.compare_with_previous([_target("wall time vs Airbyte", 0.82)], [])
    better = [_target("wall time vs Airbyte", 0.35)]
    assert report.compare_with_previous(better, previous) == []
    assert better[0]["change"] == -0.5  # negative: better


def test_absolute_figures_and_new_ratios_are_not_compared() -> None:
    previous = [_target("peak RSS (ours)", None, measured="200 MB")]
    now = [
        _target("peak RSS (ours)", None, measured="400 MB"),  # no ratio: not compared
        _target("wall time vs Airbyte", 9.0),  # not in the previous results
    ]
    assert report.compare_with_previous(now, previous) == []
    assert all("change" not in t for t in now)


def test_results_written_before_ratios_were_numbers_are_read_from_their_text() -> None:
    old: list[dict[str, Any]] = [
        {"scenario": S1, "metric": "records/s vs baseline", "measured": "4.33x"},
        {"scenario": "4 incremental (v3)", "metric": "requests vs full run", "measured": "5.1%"},
        {"scenario": "3 rate-limited (v3)", "metric": "requests per 10k", "measured": 20.4},
        {"scenario": "5 report (v3 1x)", "metric": "elt report wall time", "measured": None},
    ]
    assert [report.ratio_of(t) for t in old] == [4.33, 0.051, 20.4, None]
    now = [
        _target("records/s vs baseline", 3.5, "higher"),  # 19% worse than 4.33
        {**_target("requests vs full run", 0.06), "scenario": "4 incremental (v3)"},  # 17.6%
    ]
    regressed = report.compare_with_previous(now, old)
    assert [t["metric"] for t in regressed] == ["records/s vs baseline", "requests vs full run"]


def test_the_table_marks_a_regression_and_lists_it() -> None:
    previous = [_target("records/s vs baseline", 6.0, "higher"), _target("wall vs Airbyte", 0.7)]
    targets = [_target("records/s vs baseline", 4.8, "higher"), _target("wall vs Airbyte", 0.69)]
    doc = {
        "meta": {
            "finished_at": "2026-12-08 01:00",
            "previous": "2026-12-02 03:17 UTC",
            "machine": {"cpus": 2, "memory_gib": 8, "python": "3.11", "load_avg_at_start": []},
            "command": "make bench",
            "size": "default",
            "total_wall_s": 60.0,
            "size_note": "",
        },
        "targets": targets,
        "regressions": report.compare_with_previous(targets, previous),
        "results": {},
    }
    text = report.render_markdown(doc)
    rows = {line.split(" | ")[1]: line for line in text.splitlines() if line.startswith(f"| {S1}")}
    assert "| **20% worse** |" in rows["records/s vs baseline"]
    assert "| 1% better |" in rows["wall vs Airbyte"]
    assert "**1 ratio(s) regressed**" in text
    assert f"- {S1}: records/s vs baseline 6 -> 4.8 (20% worse)" in text


def test_previous_results_come_from_the_file_outside_a_repository(tmp_path: Path) -> None:
    assert previous_results(tmp_path) is None
    (tmp_path / "latest.json").write_text(json.dumps({"meta": {"size": "tiny"}, "targets": []}))
    assert previous_results(tmp_path) == {"meta": {"size": "tiny"}, "targets": []}
