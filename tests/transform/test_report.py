"""`elt report`: the HTML page a person opens, rendered in a real headless Chromium.

The page is built from the marts of a real build (DuckDB, and PostgreSQL for the content), opened
from disk with the network off, and checked the way a person would see it: the charts are drawn
(SVG with data points), the page logs no console error, and the screenshot is not blank. The
figures on it come from the marts, which the end-to-end tests compare with the sandbox.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from extract import cli
from tests.extract.test_config import environ
from tests.fixtures.postgres import PostgresDatabase
from tests.fixtures.sandbox import SandboxHandle

from .conftest import Build, assert_build_passed, build_duckdb, clean_env, run_dbt, run_extract

pytestmark = pytest.mark.slow
# funnel, offer acceptance, days to hire, source effectiveness, interviewer load, raw rows
CHARTS = 6


def browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("no Chromium: `make test` installs Debian's chromium (bin/ensure-chromium)")


def chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", "--hide-scrollbars", "--virtual-time-budget=15000",
        "--enable-logging=stderr", "--v=0",
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


def duckdb_file(build: Build) -> str:
    with build.connect() as connection:
        return str(
            connection.execute(
                "select path from duckdb_databases() where database_name = current_database()"
            ).fetchone()[0]
        )


def make_report(env: dict[str, str], out: Path, capsys: pytest.CaptureFixture[str]) -> int:
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
    for title in ("Funnel of the", "Offer acceptance rate", "Median days to hire",
                  "Source effectiveness", "Interviewer load"):  # fmt: skip
        assert title in dom.stdout, title
    assert "accounts together" not in page  # one account: nothing is added up across accounts

    shot = tmp_path / "report.png"
    taken = chromium(out, tmp_path / "profile2", "--window-size=1400,2400", f"--screenshot={shot}")
    assert taken.returncode == 0 and shot.is_file(), taken.stderr[-2000:]
    pixels = png_pixels(shot)
    assert len(set(pixels[::97])) > 20  # many distinct values: drawn, not one blank colour


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
    # the busiest job of the funnel is the one the mart says
    with postgres_db.connect() as connection, connection.cursor() as cursor:
        cursor.execute(
            "select job_name from greenhouse_marts.applications_by_stage where stage_order ="
            " (select min(stage_order) from greenhouse_marts.applications_by_stage)"
            " order by applications_reached desc, job_id limit 1"
        )
        (busiest,) = cursor.fetchone()
    assert busiest in page
