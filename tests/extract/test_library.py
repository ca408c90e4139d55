"""The source used alone, the way docs/extract.md shows it: a dlt user's own pipeline.

The snippet is read from the docs and run as a script in a fresh interpreter (a user's working
directory, dlt's default DuckDB file there, credentials in dlt's ``SOURCES__GREENHOUSE__*``
variables), against the sandbox. Expected rows come from the sandbox's own organisation.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb

from extract.settings import ALIASES
from tests.extract.conftest import REPO, clean_environ, duckdb_target, entity_of, org_ids
from tests.extract.test_hostile import _poison_stored_cursor
from tests.extract.test_load import assert_updated_at_current

DOCS = REPO / "docs" / "extract.md"
SNIPPET_INTRO = "The source can be used in a pipeline of your own"


def documented_snippet() -> str:
    """The first Python block after the sentence that introduces it in docs/extract.md."""
    text = DOCS.read_text()
    start = text.index(SNIPPET_INTRO)
    match = re.search(r"```python\n(.*?)```", text[start:], re.S)
    assert match, "docs/extract.md lost its library snippet"
    return match.group(1)


def _user_env(sandbox: Any, home: Path) -> dict[str, str]:
    env = clean_environ()
    # dlt's own names, as a dlt user sets them (the short GREENHOUSE_* ones are the CLI's)
    env.update({ALIASES.get(k, k): v for k, v in sandbox.env("v3").items()})
    env["RUNTIME__REQUEST_MAX_ATTEMPTS"] = "2"
    env["RUNTIME__REQUEST_BACKOFF_FACTOR"] = "0.1"
    env["DLT_DATA_DIR"] = str(home / ".dlt")  # dlt's default pipelines dir, kept in the test
    env["PYTHONPATH"] = str(REPO)
    return env


def run_snippet(
    sandbox: Any, cwd: Path, code: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The docs' snippet (or ``code``) as a script in ``cwd``, in a fresh interpreter."""
    script = cwd / "load.py"
    script.write_text(documented_snippet() if code is None else code)
    return subprocess.run(
        [sys.executable, str(script)],
        cwd=cwd,
        env=_user_env(sandbox, cwd),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _snippet_resources() -> list[str]:
    match = re.search(r"resources=\[([^\]]*)\]", documented_snippet())
    assert match
    return re.findall(r'"(\w+)"', match.group(1))


def _ids(cwd: Path, table: str) -> list[int] | None:
    """The ids in a raw table of the snippet's DuckDB file, or None if there is no such table."""
    path = cwd / "greenhouse.duckdb"
    if not path.exists():
        return None
    conn = duckdb.connect(str(path), read_only=True)
    try:
        found = conn.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'greenhouse_raw' and table_name = ?",
            [table],
        ).fetchone()
        if not found or not found[0]:
            return None
        return sorted(
            r[0] for r in conn.execute(f"select id from greenhouse_raw.{table}").fetchall()
        )
    finally:
        conn.close()


def _assert_all_loaded(sandbox: Any, cwd: Path) -> None:
    for table in _snippet_resources():
        assert _ids(cwd, table) == sorted(org_ids(sandbox.org, entity_of("v3", table))), table


def test_snippet_raises_naming_the_failed_endpoint_and_the_rerun_loads_everything(
    sandbox_factory, tmp_path
):
    resources = _snippet_resources()
    assert len(resources) >= 2
    failing, other = resources[1], resources[0]
    sandbox = sandbox_factory(candidates=50)
    sandbox.set_faults(fail_endpoints=[failing])

    failed = run_snippet(sandbox, tmp_path)

    assert failed.returncode != 0
    assert "PipelineStepFailed" in failed.stderr  # dlt's wrapper around the source's error
    assert "1 Greenhouse endpoint failed after all retries" in failed.stderr
    assert f"({failing}: HTTP 500 on GET /v3/{failing} persisted" in failed.stderr
    # dlt, whose extract step failed, loaded nothing of that run
    assert _ids(tmp_path, other) is None

    sandbox.set_faults()
    again = run_snippet(sandbox, tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    _assert_all_loaded(sandbox, tmp_path)  # no duplicate, nothing missing


def test_a_source_narrowed_with_with_resources_still_raises(sandbox_factory, tmp_path):
    """Resources left out with dlt's ``with_resources`` never run: the failure is raised when
    the selected ones have ended, not waited for them."""
    sandbox = sandbox_factory(candidates=50)
    sandbox.set_faults(fail_endpoints=["departments"])
    code = documented_snippet().replace(
        'greenhouse(resources=["jobs", "departments"])',
        'greenhouse(resources=["jobs", "departments", "offices"])'
        '.with_resources("jobs", "departments")',
    )
    assert "with_resources" in code, "the docs' snippet changed: adapt this test"

    failed = run_snippet(sandbox, tmp_path, code)

    assert failed.returncode != 0
    assert "1 Greenhouse endpoint failed after all retries (departments: HTTP 500" in failed.stderr
    assert sandbox.stats()["by_endpoint"].get("v3/offices", 0) == 0  # left out, never read


def test_snippet_raises_when_every_request_fails(sandbox_factory, tmp_path):
    sandbox = sandbox_factory(candidates=50)
    sandbox.set_faults(error_rate=1.0)

    failed = run_snippet(sandbox, tmp_path)

    assert failed.returncode != 0
    resources = _snippet_resources()
    assert f"{len(resources)} Greenhouse endpoints failed after all retries" in failed.stderr
    for name in resources:
        assert f"{name}: HTTP 500 on GET /v3/{name} persisted" in failed.stderr
    for name in resources:
        assert _ids(tmp_path, name) is None


def test_snippet_repairs_a_stored_cursor_that_is_no_timestamp(sandbox_factory, tmp_path):
    sandbox = sandbox_factory(candidates=50)
    first = run_snippet(sandbox, tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    incremental = _snippet_resources()[0]  # jobs: merged on id by updated_at
    _poison_stored_cursor(str(tmp_path / "greenhouse.duckdb"), incremental, "garbage-timestamp")
    shutil.rmtree(tmp_path / ".dlt")  # a new machine: dlt restores the state from the dataset
    sandbox.advance(0.05)

    repaired = run_snippet(sandbox, tmp_path)

    assert repaired.returncode == 0, repaired.stderr[-2000:]
    assert (
        f"{incremental}: the stored cursor updated_at 'garbage-timestamp' is not a timestamp; "
        f"it is dropped and {incremental} is read completely this run"
    ) in repaired.stderr
    _assert_all_loaded(sandbox, tmp_path)


def test_snippet_keeps_the_last_copy_of_a_record_listed_on_two_pages(sandbox_factory, tmp_path):
    """Pages shifted between two reads: a record ends one page as it was before its last change
    and starts the next as it is now. The snippet's tables hold each id once, as it is now,
    and the child rows of the kept copies only."""
    resources = _snippet_resources()
    merged = resources[0]  # jobs: incremental, merged on id (the other is replaced)
    sandbox = sandbox_factory(candidates=50, overlap_pages=resources)
    target = duckdb_target({"DUCKDB_PATH": str(tmp_path / "greenhouse.duckdb")})
    for _ in range(2):  # the first load, then another over the same records
        run = run_snippet(sandbox, tmp_path)
        assert run.returncode == 0, run.stderr[-2000:]
        _assert_all_loaded(sandbox, tmp_path)  # each id once
        assert_updated_at_current(target, sandbox, "v3", merged)
        for child in sorted(t for t in target.tables() if t.startswith(f"{merged}__")):
            parent = child.rsplit("__", 1)[0]
            orphans = target.query(
                f"select count(*) from greenhouse_raw.{child} c where not exists (select 1 "
                f"from greenhouse_raw.{parent} p where p._dlt_id = c._dlt_parent_id)"
            )
            assert orphans == [(0,)], child
    pages = sandbox.stats()["by_endpoint"]
    assert all(pages[f"v3/{name}"] > 1 for name in resources), pages  # copies were served
