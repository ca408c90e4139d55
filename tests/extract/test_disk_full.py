"""A full disk ends the extract in one line that says where: ``OSError: [Errno 28]`` alone names
no file. The disk is really full: a tiny tmpfs mounted as the pipelines dir in a private mount
namespace (``unshare``), so nothing on the machine is touched, then grown for the rerun."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.extract.conftest import REPO, clean_environ, duckdb_target
from tests.extract.test_load import assert_every_record_landed

RESOURCES = ["candidates", "applications", "jobs"]
SCRIPT = """
set -u
mount -t tmpfs -o size="$SIZE" tmpfs "$FULL" || exit 99
"$PY" -m extract extract >"$OUT/first.out" 2>"$OUT/first.err"; echo $? >"$OUT/first.rc"
mount -o remount,size=64m "$FULL" || exit 99
"$PY" -m extract extract >"$OUT/again.out" 2>"$OUT/again.err"; echo $? >"$OUT/again.rc"
cp -r "$FULL/." "$OUT/disk"  # the tmpfs goes with the namespace
"""


def _namespaces() -> bool:
    """A private mount namespace to mount a tmpfs in (root, or user namespaces allowed)."""
    if not shutil.which("unshare"):
        return False
    done = subprocess.run(["unshare", "-rm", "true"], capture_output=True, timeout=30)
    return done.returncode == 0


@pytest.mark.skipif(not _namespaces(), reason="no private mount namespace (unshare -rm) here")
@pytest.mark.parametrize("full_one", ["GREENHOUSE_PIPELINES_DIR", "DUCKDB_PATH"])
def test_a_full_disk_is_one_line_naming_it(sandbox_factory, tmp_path: Path, full_one: str) -> None:
    sandbox = sandbox_factory(candidates=200)
    full, out = tmp_path / "small-disk", tmp_path / "out"
    full.mkdir()
    out.mkdir()
    on_disk = {  # the one on the small disk, the other beside the test
        "GREENHOUSE_PIPELINES_DIR": str(full / "pipelines"),
        "DUCKDB_PATH": str(full / "raw.duckdb"),
    }
    places = {
        "GREENHOUSE_PIPELINES_DIR": str(tmp_path / "pipelines"),
        "DUCKDB_PATH": str(tmp_path / "raw.duckdb"),
        full_one: on_disk[full_one],
    }
    env = {
        **clean_environ(),
        **sandbox.env("v3"),
        "DEST": "duckdb",
        **places,
        # a load package does not fit in 20 KB; the DuckDB file (~270 KB) not in 300 KB
        "SIZE": "20k" if full_one == "GREENHOUSE_PIPELINES_DIR" else "300k",
        "GREENHOUSE_RESOURCES": ",".join(RESOURCES),
        "GREENHOUSE_SETTLE_SECONDS": "0",
        "FULL": str(full),
        "OUT": str(out),
        "PY": sys.executable,
    }
    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", SCRIPT], cwd=REPO, env=env, capture_output=True,
        text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr

    first = (out / "first.err").read_text()
    assert (out / "first.rc").read_text().strip() == "1", first[-3000:]
    assert "Traceback" not in first
    errors = [line for line in first.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, first[-3000:]
    # where (the file, when the writer names it: DuckDB does), and the space left at each place
    written = (
        " writing " + re.escape(f"{places['DUCKDB_PATH']}.wal") if full_one == "DUCKDB_PATH" else ""
    )
    small = r"\((\d+ bytes|\d+\.\d KB) free\)"  # what is left of the 20 KB / 300 KB
    pipelines, duckdb_path = (
        re.escape(places[k]) for k in ("GREENHOUSE_PIPELINES_DIR", "DUCKDB_PATH")
    )
    free = {k: small if k == full_one else r"\(.+? free\)" for k in places}
    assert re.fullmatch(
        rf"error: the disk is full \(No space left on device\){written}; this run writes to "
        rf"GREENHOUSE_PIPELINES_DIR={pipelines} {free['GREENHOUSE_PIPELINES_DIR']}, "
        rf"DUCKDB_PATH={duckdb_path} {free['DUCKDB_PATH']}, TMPDIR=\S+ \(.+ free\): free space "
        r"on the full one, or point its variable at a larger disk, then rerun "
        r"\(the rerun resumes\)",
        errors[0],
    ), errors[0]
    # the rerun, with space again, loads everything once
    again = (out / "again.err").read_text()
    assert (out / "again.rc").read_text().strip() == "0", again[-3000:]
    landed = out / "disk" / "raw.duckdb" if full_one == "DUCKDB_PATH" else places["DUCKDB_PATH"]
    assert_every_record_landed(
        duckdb_target({"DUCKDB_PATH": str(landed)}), sandbox, "v3", RESOURCES
    )
