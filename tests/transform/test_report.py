"""`elt report`: the HTML page a person opens, rendered in a real headless Chromium.

The page is built from the marts of a real build (DuckDB, and PostgreSQL for the content), opened
from disk with the network off, and checked the way a person would see it: the charts are drawn
(SVG with data points), the page logs no console error, and the screenshot is not blank. The
figures on it come from the marts, which the end-to-end tests compare with the sandbox.
"""

from __future__ import annotations

import html
import re
import shutil
import statistics
import struct
import subprocess
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from extract import cli
from tests.extract.test_config import environ
from tests.fixtures.browser import FLAGS, browser
from tests.fixtures.postgres import PostgresDatabase
from tests.fixtures.sandbox import SandboxHandle
from tests.oracles import interviews as expected_interviews
from tests.oracles import pipeline as expected_pipeline
from tests.oracles.pass_through import stage_pass_through
from tests.oracles.report import InDepartment, departments, funnel, headline

from .conftest import (
    AS_OF,
    Build,
    assert_build_passed,
    build_duckdb,
    clean_env,
    elt,
    run_dbt,
    run_extract,
)

pytestmark = pytest.mark.slow
# funnel, offer acceptance, days to hire, source effectiveness, interviewer load, raw rows
CHARTS = 6


def chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    flags = [
        *FLAGS, "--disable-quic", f"--user-data-dir={profile}", "--hide-scrollbars",
        "--virtual-time-budget=15000", "--enable-logging=stderr", "--v=0",
    ]  # fmt: skip
    return subprocess.run(
        [browser(), *flags, *args, page.as_uri()], capture_output=True, text=True, timeout=120
    )


def png_pixels(path: Path) -> bytes:
    """The decompressed image data of a PNG (enough to tell a blank page from a drawn one)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, offset = [], 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        if kind == b"IDAT":
            chunks.append(data[offset + 8 : offset + 8 + length])
        offset += 12 + length
    return zlib.decompress(b"".join(chunks))


@pytest.fixture(scope="module")
def build(transform_sandbox: SandboxHandle, tmp_path_factory: pytest.TempPathFactory) -> Build:
    return build_duckdb(transform_sandbox, "v3", tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def build_v1(transform_sandbox: SandboxHandle, tmp_path_factory: pytest.TempPathFactory) -> Build:
    return build_duckdb(transform_sandbox, "v1", tmp_path_factory.mktemp("report_v1"))


def duckdb_file(build: Build) -> str:
    with build.connect() as connection:
        return str(
            connection.execute(
                "select path from duckdb_databases() where database_name = current_database()"
            ).fetchone()[0]
        )


# the sandbox's data ends on 31 Oct 2026 (its last complete quarter: 2026Q3)
QUARTER = "2026Q3"


def make_report(env: dict[str, str], out: Path, capsys: pytest.CaptureFixture[str]) -> int:
    env = {"ELT_REPORT_QUARTER": QUARTER, **env}
    with environ({**env, "ELT_ENV_FILE": "/dev/null"}):
        code = cli.main(["report", "--out", str(out)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code


def test_report_renders_in_a_browser(
    build: Build, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_build_passed(build.run)
    out = tmp_path / "report.html"
    assert make_report({"DEST": "duckdb", "DUCKDB_PATH": duckdb_file(build)}, out, capsys) == 0
    page = out.read_text()
    assert not re.search(r'<script[^>]+src="https?://', page)

    dom = chromium(out, tmp_path / "profile", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    console = [line for line in dom.stderr.splitlines() if ":CONSOLE" in line]
    assert not console, console
    assert dom.stdout.count('class="plot-container plotly"') == CHARTS, dom.stdout[:2000]
    # every chart drew data: bars/points in its SVG
    assert dom.stdout.count('class="point"') >= 10
    for title in ("Funnel per job", "Offer acceptance rate", "Median days to hire",
                  "Source effectiveness", "Interviewer load"):  # fmt: skip
        assert title in dom.stdout, title
    for section in ("Pass-through by stage", "Time in stage and candidate drop-out",
                    "Source of hire by quality", "Interviewer calibration",
                    "By department, 2026Q3"):  # fmt: skip
        assert f"<h2>{section}</h2>" in dom.stdout, section
    assert "accounts together" not in page  # one account: nothing is added up across accounts
    # a title for a person; where the data was read is an operations detail, further down
    assert "<h1>Recruiting report, 2026Q3</h1>" in page and "Greenhouse ELT report" not in page
    subtitle = re.search(r'<p class="subtitle">([^<]*)</p>', page)
    assert subtitle and "2026Q3 (01 Jul - 30 Sep 2026), beside 2026Q2" in subtitle[1]
    assert "duckdb" not in subtitle[1].lower() and "Data last loaded" in subtitle[1]
    assert page.index("<h2>Operations</h2>") > page.index("Headline figures")
    assert 'class="warning"' not in page  # no transform failed

    # the funnel: each busiest job's stages by name as visible text (not only on hover), the
    # applications that reached each, and shares of the previous stage never above 100%
    for job in funnel(build.sandbox.org):
        assert f"{job['job_name']} ({job['applications']} applications)" in dom.stdout
        previous = None
        for name, reached in job["stages"]:
            assert f">{name}</text>" in dom.stdout, name
            label = str(reached) if not previous else f"{reached} ({reached / previous:.0%})"
            assert f">{label}</text>" in dom.stdout, (job["job_name"], name, label)
            previous = reached
    shares = [int(p) for p in re.findall(r">\d+ \((\d+)%\)</text>", dom.stdout)]
    assert shares and max(shares) <= 100
    assert "may skip stages" in page
    # offer acceptance by quarter extended, with its counts: the headline's definition
    for label in (QUARTER, "2026Q2"):
        figures = headline(build.sandbox.org, label)
        assert f">{figures['offers_accepted']} of {figures['offers_extended']}</text>" in dom.stdout

    shot = tmp_path / "report.png"
    taken = chromium(out, tmp_path / "profile2", "--window-size=1400,2400", f"--screenshot={shot}")
    assert taken.returncode == 0 and shot.is_file(), taken.stderr[-2000:]
    pixels = png_pixels(shot)
    assert len(set(pixels[::97])) > 20  # many distinct values: drawn, not one blank colour


def plural(count: Any, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def shown(figures: dict[str, object], key: str) -> str:
    """How the page writes one headline figure (a count, a rate with its counts, a median)."""
    value = figures[key]
    if value is None:
        return {"acceptance_rate": "no offers", "median_days_to_offer": "no offers resolved",
                "median_time_to_fill": "no openings filled",
                "qualified_per_opening": "no openings open"}[key]  # fmt: skip
    if key == "qualified_per_opening":
        return (f"{value:.1f} ({figures['qualified']} qualified /"
                f" {plural(figures['openings_in_quarter'], 'opening')})")  # fmt: skip
    if key == "acceptance_rate":
        return f"{value:.0%} ({figures['offers_accepted']} of {figures['offers_extended']})"
    if key == "median_days_to_offer":
        return f"{value:g} days ({plural(figures['offers_resolved'], 'offer')})"
    if key == "median_time_to_fill":
        return f"{value:g} days ({plural(figures['openings_filled'], 'opening')})"
    return str(value)


def headline_cells(page: str) -> dict[str, list[str]]:
    rows = re.findall(
        r'<tr data-figure="(\w+)"><th>[^<]*</th><td>([^<]*)</td><td>([^<]*)</td>', page
    )
    return {key: [this, previous] for key, this, previous in rows}


def test_headline_figures_follow_the_records(
    build: Build, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Hires, offers and acceptance, days to offer, time to fill, open jobs and openings for the
    chosen quarter and the one before it, as the sandbox's own records give them: for the
    default quarter's and for the busiest quarter (the one with most hires, and openings filled)."""
    assert_build_passed(build.run)
    org = build.sandbox.org
    labels = [f"{year}Q{n}" for year in range(2023, 2027) for n in range(1, 5)][:-1]
    busiest = max(labels, key=lambda q: (headline(org, q)["openings_filled"] > 0,
                                         headline(org, q)["hires"]))  # fmt: skip
    for quarter in dict.fromkeys((QUARTER, busiest)):
        check_headline(build, org, quarter, tmp_path / quarter, capsys)
    assert headline(org, busiest)["hires"] > 1 and headline(org, busiest)["openings_filled"] > 0


def check_headline(
    build: Build,
    org: Any,
    quarter: str,
    out_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The page's headline rows for `quarter` and the one before, against the records."""
    out = out_dir / "report.html"
    env = {
        "DEST": "duckdb",
        "DUCKDB_PATH": duckdb_file(build),
        "ELT_REPORT_QUARTER": quarter,
        "GREENHOUSE_API_VERSION": build.version,
    }
    assert make_report(env, out, capsys) == 0
    page = out.read_text()
    cells = headline_cells(page)
    year, number = int(quarter[:4]), int(quarter[-1])
    previous_label = f"{year - 1}Q4" if number == 1 else f"{year}Q{number - 1}"
    this = headline(org, quarter, build.version)
    previous = headline(org, previous_label, build.version)
    keys = ("hires", "offers_extended", "acceptance_rate", "median_days_to_offer",
            "median_time_to_fill", "open_jobs", "open_openings",
            "qualified_per_opening")  # fmt: skip
    assert this["qualified"] and this["openings_in_quarter"], "nothing to divide"
    assert set(cells) == set(keys)
    for key in keys:
        assert cells[key] == [shown(this, key), shown(previous, key)], key
    assert f"Headline figures, {quarter}" in page and f"{previous_label} (previous)" in page
    # the same figures per department, for the quarter
    department_rows = re.findall(
        r'<tr data-department="([^"]*)"><th>[^<]*</th>((?:<td>[^<]*</td>)+)', page
    )
    by_department = {html.unescape(name): re.findall(r"<td>([^<]*)</td>", texts)
                     for name, texts in department_rows}  # fmt: skip
    assert list(by_department) == departments(org) and len(by_department) > 1
    for name, texts in by_department.items():
        mine = headline(InDepartment(org, name), quarter, build.version)
        assert texts == [shown(mine, key) for key in ("hires", "offers_extended",
                         "acceptance_rate", "qualified_per_opening", "open_jobs",
                         "open_openings")], name  # fmt: skip
    assert sum(int(texts[0]) for texts in by_department.values()) == this["hires"]
    assert "Offers accepted / offers extended, both counted in the quarter" in page


def test_headline_figures_v1(
    build_v1: Build, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """v1 serves the same offers, applications, jobs and (the jobs') openings: the same figures."""
    assert_build_passed(build_v1.run)
    org = build_v1.sandbox.org
    labels = [f"{year}Q{n}" for year in range(2023, 2027) for n in range(1, 5)][:-1]
    busiest = max(labels, key=lambda q: headline(org, q)["hires"])
    assert headline(org, busiest)["hires"] > 1
    check_headline(build_v1, org, busiest, tmp_path, capsys)
    # no stage history in v1: the pass-through table says so instead of an actual rate
    page = (tmp_path / "report.html").read_text()
    assert page.count("no stage history") >= len(funnel(org)), "one per stage of each job"


def test_headline_without_openings(
    build: Build, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An account with no openings (the openings mart empty): the openings rows say none were
    loaded instead of showing 0 open; the other figures stay."""
    import duckdb

    path = tmp_path / "no_openings.duckdb"
    shutil.copy(duckdb_file(build), path)
    with duckdb.connect(str(path)) as connection:
        connection.execute("delete from greenhouse_marts.openings")
    out = tmp_path / "report.html"
    assert make_report({"DEST": "duckdb", "DUCKDB_PATH": str(path)}, out, capsys) == 0
    cells = headline_cells(out.read_text())
    assert (
        cells["open_openings"] == cells["median_time_to_fill"] == cells["qualified_per_opening"]
        == ["no openings loaded"] * 2
    )  # fmt: skip
    org = build.sandbox.org
    assert cells["hires"] == [
        str(headline(org, QUARTER)["hires"]),
        str(headline(org, "2026Q2")["hires"]),
    ]


def test_report_after_a_failed_transform(
    build: Build, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A transform that fails (a duplicate application landed, so dbt's tests stop the build)
    leaves the marts of the last successful build: the page says so at the top, with when that
    build finished, and "Last runs" starts with the failed run (from the raw run history)."""
    import duckdb

    path = tmp_path / "copy.duckdb"
    shutil.copy(duckdb_file(build), path)
    env = {
        "DEST": "duckdb",
        "DUCKDB_PATH": str(path),
        "GREENHOUSE_AS_OF": AS_OF,
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
    }
    assert elt(env, "transform").returncode == 0
    with duckdb.connect(str(path)) as connection:
        connection.execute(
            "insert into greenhouse_raw.applications"
            " select * from greenhouse_raw.applications limit 1"
        )
    assert elt(env, "transform").returncode == 1
    with duckdb.connect(str(path), read_only=True) as connection:
        runs = connection.execute(
            "select started_at, finished_at, exit_code from greenhouse_raw.elt_runs"
            " where stage = 'transform' order by started_at"
        ).fetchall()
    assert [code for _, _, code in runs] == [0, 1]

    out = tmp_path / "report.html"
    assert make_report({"DEST": "duckdb", "DUCKDB_PATH": str(path)}, out, capsys) == 0
    page = out.read_text()
    warning = re.search(r'<p class="warning"[^>]*>(.*?)</p>', page)
    assert warning and page.index(warning[0]) < page.index("Headline figures")
    text = re.sub(r"<[^>]+>", "", warning[1])
    assert "The last transform failed" in text
    assert f"started {runs[1][0]:%Y-%m-%d %H:%M:%S} UTC" in text
    assert f"last successful build, finished {runs[0][1]:%Y-%m-%d %H:%M:%S} UTC" in text
    first_run = re.search(r"<h2>Last runs</h2><table><tr>.*?</tr><tr>(.*?)</tr>", page)
    assert first_run, page[-3000:]
    cells = re.findall(r"<td>([^<]*)</td>", first_run[1])
    assert cells[:3] == [f"{runs[1][0]:%Y-%m-%d %H:%M:%S}", "transform", "1"], cells


def test_report_without_marts_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"DEST": "duckdb", "DUCKDB_PATH": str(tmp_path / "empty.duckdb")}
    with environ({**env, "ELT_ENV_FILE": "/dev/null"}):
        code = cli.main(["report", "--out", str(tmp_path / "r.html")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0 and "make run" in err, err
    assert not (tmp_path / "r.html").exists()


@pytest.mark.postgres
def test_report_from_postgres(
    transform_sandbox: SandboxHandle,
    postgres_db: PostgresDatabase,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = clean_env(
        **transform_sandbox.env("v3"),
        **postgres_db.env(),
        DEST="postgres",
        GREENHOUSE_PIPELINES_DIR=str(tmp_path / "pipelines"),
    )
    run_extract(env, "v3")
    assert_build_passed(run_dbt(["build", "--target", "postgres"], env, tmp_path))
    out = tmp_path / "report.html"
    assert make_report({"DEST": "postgres", **postgres_db.env()}, out, capsys) == 0
    page = out.read_text()
    assert page.count('class="plotly-graph-div"') == CHARTS
    # the funnel's jobs and their stages, and the headline figures, as the records give them
    for job in funnel(transform_sandbox.org):
        assert f"{job['job_name']} ({job['applications']} applications)" in page
    cells = headline_cells(page)
    this, previous = (
        headline(transform_sandbox.org, QUARTER),
        headline(transform_sandbox.org, "2026Q2"),
    )
    for key, shown_cells in cells.items():
        assert shown_cells == [shown(this, key), shown(previous, key)], key


SMALL = 10  # the page greys a rate over fewer cases


def rate(numerator: int | None, denominator: int | None) -> tuple[str, bool]:
    """How the page writes a rate cell, and whether it is greyed."""
    if numerator is None or denominator is None:
        return "no stage history", False
    if not denominator:
        return "-", False
    return f"{numerator / denominator:.0%} ({numerator} of {denominator})", denominator < SMALL


def table(page: str, opening: str) -> list[list[tuple[str, bool]]]:
    """The body rows of the table that starts with `opening`: each cell's text and whether it
    is greyed (class small)."""
    found = re.search(re.escape(opening) + r"(.*?)</table>", page, re.S)
    assert found, opening
    rows = re.findall(r"<tr>(.*?)</tr>", found[1], re.S)[1:]  # the header row left out
    return [
        [(html.unescape(text), 'class="small"' in attrs)
         for attrs, text in re.findall(r"<t[hd]([^>]*)>([^<]*)</t[hd]>", row)]
        for row in rows
    ]  # fmt: skip


def test_quality_tables_follow_the_records(
    build: Build, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Pass-through per busiest job by stage name (implied, actual, completed only), source of
    hire by quality and the top interviewers' calibration, as the sandbox's records give them;
    a rate over fewer than 10 cases is greyed, none exceeds 100%."""
    assert_build_passed(build.run)
    org = build.sandbox.org
    out = tmp_path / "report.html"
    assert make_report({"DEST": "duckdb", "DUCKDB_PATH": duckdb_file(build)}, out, capsys) == 0
    page = out.read_text()

    passes = {r["stage_id"]: r for r in stage_pass_through(org, "v3")}
    for job in funnel(org):
        want = [
            [
                (r["stage_name"], False),
                (str(r["applications_reached"]), False),
                rate(r["applications_passed"], r["applications_reached"]),
                rate(r["applications_moved_on"], r["applications_exited"]),
                rate(r["completed_passed"], r["completed_reached"]),
            ]
            for r in passes.values()
            if r["job_id"] == job["job_id"]
        ]
        assert [name for name, _ in job["stages"]] == [row[0][0] for row in want]
        assert table(page, f'<table class="rates" data-job="{job["job_id"]}">') == want
    shares = [int(p) for p in re.findall(r">(\d+)% \(\d+ of \d+\)<", page)]
    assert shares and max(shares) <= 100
    assert 'class="small"' in page and "never above 100%" in page

    sources: dict[str, list[int]] = {}
    for r in expected_pipeline.source_effectiveness(org, "v3"):
        totals = sources.setdefault(r["source_name"] or "(no source)", [0, 0, 0, 0])
        for i, key in enumerate(("applications", "reached_interview", "got_offer", "hired")):
            totals[i] += r[key]
    shown_sources = table(page, '<table class="rates" id="source-quality">')
    assert {row[0][0]: row[1:] for row in shown_sources} == {
        name: [(str(n), False), *(rate(k, n) for k in counts)]
        for name, (n, *counts) in sources.items()
    }
    volumes = [int(row[1][0]) for row in shown_sources]
    assert volumes == sorted(volumes, reverse=True)

    counted: dict[int, Counter[str]] = {}
    user_names: dict[int, str] = {}
    for r in expected_interviews.scorecard_recommendations(org):
        user_names[r["interviewer_user_id"]] = r["interviewer_name"]
        total = counted.setdefault(r["interviewer_user_id"], Counter())
        for key in ("scorecards_submitted", *(f"recommended_{v}" for v in RECOMMENDED)):
            total[key] += r[key]
    hours: dict[int, list[float]] = {}
    for r in expected_interviews.interviews(org):
        if r["scorecard_submitted_at"] is not None and r["hours_to_scorecard"] is not None:
            hours.setdefault(r["interviewer_user_id"], []).append(float(r["hours_to_scorecard"]))
    top = sorted(counted, key=lambda u: (-counted[u]["scorecards_submitted"], user_names[u], u))[
        :10
    ]
    names = [user_names[u] for u in top]
    want_calibration = []
    for u in top:
        counts = [counted[u][f"recommended_{v}"] for v in RECOMMENDED]
        label = user_names[u] + (f" (user {u})" if names.count(user_names[u]) > 1 else "")
        median = statistics.median(hours[u]) if hours.get(u) else None
        want_calibration.append(
            [
                (label, False),
                (str(counted[u]["scorecards_submitted"]), False),
                *((str(c), False) for c in counts),
                rate(counts[0] + counts[1], sum(counts[:4])),
                ("" if median is None else f"{median:.1f}", False),
            ]
        )
    assert table(page, '<table class="rates" id="calibration">') == want_calibration

    # time in stage (visits that ended) and candidate drop-out, per stage name
    days: dict[str, list[float]] = {}
    for r in expected_pipeline.stage_durations(org, "v3"):
        if r["days_in_stage"] is not None and r["stage_name"] is not None:
            days.setdefault(r["stage_name"], []).append(float(r["days_in_stage"]))
    rejected: dict[str, Counter[str]] = {}
    for r in expected_pipeline.rejections(org, "v3"):
        if not r["is_prospect"] and r["rejected_stage_name"] is not None:
            rejected.setdefault(r["rejected_stage_name"], Counter())[r["rejection_type"]] += 1
    want_turns = {}
    for name in days.keys() | rejected.keys():
        spent, reasons = days.get(name, []), rejected.get(name, Counter())
        quartiles = statistics.quantiles(spent, n=4, method="inclusive") if len(spent) > 1 else []
        spread = (
            [(f"{statistics.median(spent):.1f}", len(spent) < SMALL),
             (f"{quartiles[2] if quartiles else spent[0]:.1f}", len(spent) < SMALL)]
            if spent else [("-", False)] * 2
        )  # fmt: skip
        rejected_here = sum(reasons.values())
        want_turns[name] = [
            (str(len(spent)), False),
            *spread,
            (str(rejected_here), False),
            rate(reasons["they_rejected_us"], rejected_here),
        ]
    turns = table(page, '<table class="rates" id="stage-turns">')
    assert {row[0][0]: row[1:] for row in turns} == want_turns
    assert len(turns) == len(want_turns) and any(c["they_rejected_us"] for c in rejected.values())


# the calibration table's columns, in its order
RECOMMENDED = ("strong_yes", "yes", "no", "definitely_not", "no_decision")
