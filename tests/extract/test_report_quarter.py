"""`elt report --quarter`: which quarter the headline figures cover, and a bad value's one line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from extract import cli
from extract.demo import demo_quarter
from extract.report import Quarter, last_complete_quarter
from tests.extract.test_config import environ


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 12, 7), Quarter(2026, 3)),  # mid-Q4: Q3 is the last complete one
        (date(2026, 10, 1), Quarter(2026, 3)),  # the first day of a quarter
        (date(2026, 9, 30), Quarter(2026, 2)),  # Q3 not complete on its last day
        (date(2027, 2, 1), Quarter(2026, 4)),  # across the year
    ],
)
def test_default_quarter_is_the_last_complete_one(today: date, expected: Quarter) -> None:
    assert last_complete_quarter(today) == expected


def test_quarter_bounds_and_previous() -> None:
    q1 = Quarter(2026, 1)
    assert (q1.start, q1.end, q1.previous().label) == (date(2026, 1, 1), date(2026, 4, 1), "2025Q4")
    assert (Quarter(2026, 4).start, Quarter(2026, 4).end) == (date(2026, 10, 1), date(2027, 1, 1))


@pytest.mark.parametrize("value", ["2026Q5", "Q3", "last quarter"])
def test_a_bad_quarter_is_one_line(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"DEST": "duckdb", "DUCKDB_PATH": str(tmp_path / "x.duckdb"), "ELT_ENV_FILE": "/dev/null"}
    with environ(env):
        code = cli.main(["report", "--quarter", value, "--out", str(tmp_path / "r.html")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0, err
    assert "YYYYQn" in err and value in err and "Traceback" not in err
    assert not (tmp_path / "r.html").exists()


def test_the_demo_reports_the_last_complete_quarter_of_its_data() -> None:
    """The sandbox's records end on 31 Oct 2026: the demo's headline quarter is 2026Q3 whatever
    today is, unless ELT_REPORT_QUARTER chooses another."""
    with environ({}):
        assert demo_quarter() == "2026Q3"
    with environ({"ELT_REPORT_QUARTER": "2025Q1"}):
        assert demo_quarter() == "2025Q1"
