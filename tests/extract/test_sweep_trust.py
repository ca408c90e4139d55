"""The deletion sweep never marks on a listing it cannot trust: an empty listing of a non-empty
table, a listing cut off (a full last page without a next link, fewer ids than v1's
rel="last" promises), a listing with an id that is no integer, or one that would mark more
than GREENHOUSE_SWEEP_DELETES_MAX_SHARE of a table (--force lifts that bound) marks nothing in
that table, names it with the reason in one error line and exits 1; the other tables of the
same sweep are swept.

The hostile listings are the sandbox's fault switches (empty_list, cut_list, bad_id), served
over HTTP. Expected marks are the raw ids minus the organisation's canonical records
(tests/oracles/deletions.py), never the sweep's own output.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest

from extract.settings import PER_PAGE
from tests.fixtures.sandbox import SandboxHandle
from tests.oracles.deletions import expected_marks

from .conftest import DATASET, REPO, Run, Target, clean_environ, entity_of
from .test_deletions import COLUMN, WIDE_BOUND, delete, marked, merged_tables, write

pytestmark = pytest.mark.slow


def refused(run: Run, reasons: dict[str, str], after_extract: bool = False) -> None:
    """Exit 1 and one error line naming each refused table with its reason."""
    assert run.returncode == 1, run.stderr[-3000:]
    noun = "endpoint" if len(reasons) == 1 else "endpoints"
    listed = "; ".join(f"{table}: {reason}" for table, reason in sorted(reasons.items()))
    others = "the extract loaded, " if after_extract else ""
    assert run.error_lines == [
        f"error: deletion sweep: {len(reasons)} {noun} marked nothing ({others}the other "
        f"tables were swept): {listed}"
    ]
    assert "Traceback" not in run.stderr


def unmark_all(target: Target, env: dict[str, str], tables: list[str]) -> None:
    """Clear every mark, so that the next sweep has to mark again."""
    for table in tables:
        write(target, env, f"update {DATASET}.{table} set {COLUMN} = null")


def check_marks(
    target: Target, tables: list[str], expected: dict[str, set[int]], untouched: set[str]
) -> None:
    """Every table carries exactly its expected marks, the refused ones none."""
    assert marked(target, tables) == {t: set() if t in untouched else expected[t] for t in tables}


def test_empty_cut_and_bad_listings_mark_nothing_in_their_table_only(
    target: Target,
    sandbox_factory: Callable[..., SandboxHandle],
    extract_env: dict[str, str],
    run_extract: Callable[..., Run],
) -> None:
    version = "v3"
    sandbox = sandbox_factory(candidates=120, seed=13)
    env = {**extract_env, **target.env, **sandbox.env(version), **WIDE_BOUND}
    tables = merged_tables(version)
    run_extract(env).check()
    delete(sandbox, version)
    raw = target.ids_many(tables)
    expected = {t: expected_marks(raw[t], sandbox.org, entity_of(version, t)) for t in tables}
    assert all(expected[t] for t in ("candidates", "applications", "application_stages"))
    assert len(raw["application_stages"]) > PER_PAGE  # a cut after the first page loses ids

    # the listing answers 200 [] (a proxy, a gateway): every candidate would be marked
    sandbox.set_faults(empty_list=["candidates"])
    run = run_extract(env, "--sweep-deletes")
    refused(run, {"candidates": f"the API listed no ids, but the raw table holds "
                                f"{len(raw['candidates'])} unmarked rows"})  # fmt: skip
    check_marks(target, tables, expected, untouched={"candidates"})
    assert run.summary is not None  # the tables that were swept, in the summary
    assert run.summary["deletion_sweep"]["tables"]["applications"]["marked"] == len(
        expected["applications"]
    )

    # the first page without its next link: the listing ends on a full page
    unmark_all(target, env, tables)
    sandbox.set_faults(cut_list=["application_stages"])
    refused(
        run_extract(env, "--sweep-deletes"),
        {"application_stages": f"the listing ends with a full page ({PER_PAGE} ids) without "
                               "a next link: it may be cut off"},
    )  # fmt: skip
    check_marks(target, tables, expected, untouched={"application_stages"})

    # a record whose id is missing or no integer: that endpoint fails, the others sweep
    for kind, shown in [("missing", "no id"), ("text", "id 'abc', which is not an integer id"),
                        ("fraction", "id 1.5, which is not an integer id"),
                        ("true", "id True, which is not an integer id")]:  # fmt: skip
        unmark_all(target, env, tables)
        sandbox.set_faults(bad_id=kind, bad_id_endpoints=["applications"])
        refused(
            run_extract(env, "--sweep-deletes"),
            {"applications": f"GET /v3/applications listed a record with {shown}; "
                             "nothing marked"},
        )  # fmt: skip
        check_marks(target, tables, expected, untouched={"applications"})

    # the same sweep over honest listings marks every table
    sandbox.set_faults()
    run_extract(env, "--sweep-deletes").check()
    check_marks(target, tables, expected, untouched=set())


def test_a_v1_listing_short_of_its_last_link_marks_nothing_even_forced_and_stops_the_run(
    target: Target,
    sandbox_factory: Callable[..., SandboxHandle],
    extract_env: dict[str, str],
    run_extract: Callable[..., Run],
) -> None:
    version = "v1"
    sandbox = sandbox_factory(candidates=450, seed=13)
    env = {**extract_env, **target.env, **sandbox.env(version), **WIDE_BOUND}
    tables = merged_tables(version)
    run_extract(env).check()
    delete(sandbox, version)
    raw = target.ids_many(tables)
    expected = {t: expected_marks(raw[t], sandbox.org, entity_of(version, t)) for t in tables}
    applications = len(raw["applications"]) - len(expected["applications"])  # listed now
    assert PER_PAGE < applications <= 2 * PER_PAGE and expected["applications"]

    # the first page without its next link, its rel="last" kept: 500 ids listed, more promised
    sandbox.set_faults(cut_list=["applications"])
    for forced in ((), ("--force",)):  # --force lifts the share bound only
        refused(
            run_extract(env, "--sweep-deletes", *forced),
            {"applications": f"the API listed {PER_PAGE} ids, fewer than the {PER_PAGE + 1} "
                             "at least that its rel=\"last\" link promises: the listing is "
                             "cut off"},
        )  # fmt: skip
        check_marks(target, tables, expected, untouched={"applications"})
        unmark_all(target, env, tables)

    # the every-Nth sweep of `elt run`: the extract loads, the sweep refuses, nothing is
    # transformed (dbt would build marts without the candidates)
    sandbox.set_faults(empty_list=["candidates"])
    every = {**env, "GREENHOUSE_SWEEP_DELETES_EVERY": "1", "ELT_RUN_HISTORY": "true"}
    proc = subprocess.run(
        [sys.executable, "-m", "extract", "run"],
        cwd=REPO,
        env={**clean_environ(), **every},
        capture_output=True,
        text=True,
        timeout=300,
    )
    run = Run(proc.returncode, proc.stdout, proc.stderr, None)
    live = len(raw["candidates"])
    refused(
        run,
        {"candidates": f"the API listed no ids, but the raw table holds {live} unmarked rows"},
        after_extract=True,
    )
    assert "FAILED in stage 'extract' (exit 1); nothing was transformed" in run.stderr
    check_marks(target, tables, expected, untouched={"candidates"})


def test_a_sweep_marking_more_than_its_share_needs_force(
    target: Target,
    sandbox_factory: Callable[..., SandboxHandle],
    extract_env: dict[str, str],
    run_extract: Callable[..., Run],
) -> None:
    version = "v3"
    sandbox = sandbox_factory(candidates=40, seed=13)
    env = {**extract_env, **target.env, **sandbox.env(version)}
    tables = merged_tables(version)
    run_extract(env).check()
    gone = [r["id"] for r in sandbox.org.records("candidates")][::4]  # a quarter of them
    sandbox.server.delete("candidates", gone)
    raw = target.ids_many(tables)
    expected = {t: expected_marks(raw[t], sandbox.org, entity_of(version, t)) for t in tables}
    assert len(expected["candidates"]) == len(gone) == 10

    def over(bound: float) -> dict[str, str]:
        """The tables whose marks exceed ``bound`` of their rows, with the refusal."""
        return {
            t: f"it would mark {len(expected[t])} of {len(raw[t])} unmarked rows "
            f"({len(expected[t]) / len(raw[t]):.0%}), more than "
            f"GREENHOUSE_SWEEP_DELETES_MAX_SHARE={bound:g} (--force if they were deleted)"
            for t in tables
            if len(expected[t]) > bound * len(raw[t])
        }

    assert "candidates" in over(0.1) and "applications" in over(0.1)
    refused(run_extract(env, "--sweep-deletes"), over(0.1))  # the default bound: 10%
    check_marks(target, tables, expected, untouched=set(over(0.1)))

    wider = {**env, "GREENHOUSE_SWEEP_DELETES_MAX_SHARE": "0.3"}
    assert over(0.3) != over(0.1)
    run = run_extract(wider, "--sweep-deletes")
    if over(0.3):
        refused(run, over(0.3))
    else:
        run.check()
    check_marks(target, tables, expected, untouched=set(over(0.3)))

    forced = run_extract(env, "--sweep-deletes", "--force").check()
    check_marks(target, tables, expected, untouched=set())
    assert forced.summary is not None
    assert forced.summary["deletion_sweep"]["tables"]["candidates"]["marked_total"] == 10

    for value in ("0", "1.5", "lots"):
        bad = run_extract({**env, "GREENHOUSE_SWEEP_DELETES_MAX_SHARE": value})
        assert bad.returncode == 2
        assert bad.error_lines == [
            "error: GREENHOUSE_SWEEP_DELETES_MAX_SHARE must be a number"
            if value == "lots"
            else "error: GREENHOUSE_SWEEP_DELETES_MAX_SHARE must be a share above 0 and at "
            f"most 1, e.g. 0.1 for 10% (got {value})"
        ]
