"""Each sandbox fault ends in a complete load or in one clear failure that loses no data."""

from __future__ import annotations

import pytest

from extract.endpoints import default_resources
from extract.settings import load_settings
from extract.source import HttpContext, _pages
from tests.extract.conftest import duckdb_target, entity_of, org_ids
from tests.extract.test_config import environ
from tests.extract.test_load import assert_every_record_landed

# Small but multi-page: application_stages and interviews need several 500-record pages.
SIZE = 200


@pytest.mark.parametrize("version", ["v3", "v1"])
def test_transient_faults_are_retried(sandbox_factory, run_extract, extract_env, version):
    # 500s, dropped connections and truncated JSON bodies, all in one run
    sandbox = sandbox_factory(candidates=SIZE, error_every=4, drop_every=7, truncate_every=5)
    run = run_extract({**extract_env, **sandbox.env(version)}).check()
    fired = sandbox.stats()["faults"]
    assert {"error", "drop", "truncate"} <= set(fired), fired
    assert run.summary["retried_errors"] >= max(fired.values())
    assert_every_record_landed(duckdb_target(extract_env), sandbox, version)


def test_429_storm_waits_retry_after(sandbox_factory, run_extract, extract_env):
    sandbox = sandbox_factory(candidates=SIZE, storm_429=6, retry_after=1)
    run = run_extract({**extract_env, **sandbox.env("v3")}).check()
    assert run.summary["rate_limited_429"] == sandbox.stats()["rate_limited"] == 6
    assert run.summary["rate_limit_wait_seconds"] >= 1
    assert_every_record_landed(duckdb_target(extract_env), sandbox, "v3")


def test_persistent_500_fails_clearly_and_keeps_loaded_data(
    sandbox_factory, run_extract, extract_env
):
    sandbox = sandbox_factory(candidates=SIZE)
    env = {**extract_env, **sandbox.env("v3"), "GREENHOUSE_MAX_ATTEMPTS": "3"}
    run_extract(env).check()
    target = duckdb_target(extract_env)
    before = target.counts()
    sandbox.advance(0.05)
    sandbox.set_faults(error_rate=1.0)
    run = run_extract(env)
    assert run.returncode == 1
    assert len(run.error_lines) == 1 and "HTTP 500" in run.error_lines[0], run.stderr
    assert "Traceback" not in run.stderr
    assert target.counts() == before  # nothing half-loaded
    # once the API recovers, the next run catches up completely
    sandbox.set_faults()
    run_extract(env).check()
    assert_every_record_landed(target, sandbox, "v3")


def test_403_on_one_endpoint(sandbox_factory, run_extract, extract_env):
    version = "v3"
    sandbox = sandbox_factory(candidates=SIZE)
    env = {**extract_env, **sandbox.env(version)}
    run_extract(env).check()
    target = duckdb_target(extract_env)
    before = target.counts()

    sandbox.advance(0.05)
    sandbox.set_faults(forbidden=["offers", "departments"])
    failed = run_extract(env)
    assert failed.returncode == 1
    assert len(failed.error_lines) == 1, failed.stderr
    line = failed.error_lines[0]
    assert "403" in line and "--skip-forbidden" in line
    assert ("departments" in line) or ("offers" in line)
    assert "harvest:departments:list" in line or "harvest:offers:list" in line
    assert target.counts() == before

    skipped = run_extract(env, "--skip-forbidden").check()
    assert set(skipped.summary["skipped_forbidden"]) == {"offers", "departments"}
    # the forbidden tables keep what they had (the replace table is not emptied) ...
    assert target.count("departments") == before["departments"]
    assert target.count("offers") == before["offers"]
    # ... and every other endpoint is complete and current
    for table in default_resources(version):
        if table in ("offers", "departments"):
            continue
        expected = sorted(org_ids(sandbox.org, entity_of(version, table)))
        assert target.ids(table) == expected, table

    # permission granted again: the next run loads the offers it missed
    sandbox.set_faults()
    run_extract(env).check()
    assert_every_record_landed(target, sandbox, version)


def test_v1_403_fails_clearly_or_is_skipped(sandbox_factory, run_extract, extract_env):
    sandbox = sandbox_factory(candidates=SIZE, forbidden=["v1/scorecards"])
    env = {**extract_env, **sandbox.env("v1")}
    failed = run_extract(env)
    assert failed.returncode == 1 and len(failed.error_lines) == 1, failed.stderr
    assert "403" in failed.error_lines[0] and "scorecards" in failed.error_lines[0]
    assert "--skip-forbidden" in failed.error_lines[0]
    skipped = run_extract(env, "--skip-forbidden").check()
    assert list(skipped.summary["skipped_forbidden"]) == ["scorecards"]
    target = duckdb_target(extract_env)
    # the forbidden endpoint's table exists, empty, so that the transform builds
    assert "scorecards" in target.tables() and target.ids("scorecards") == []
    for table in ("candidates", "applications", "departments"):
        assert target.ids(table) == sorted(org_ids(sandbox.org, entity_of("v1", table)))


def test_expired_token_is_refreshed_once(sandbox):
    """A 401 mid-run (token revoked/expired early): one new token, the request is re-sent."""
    with environ(sandbox.env("v3")):
        settings = load_settings(resources="departments")
    ctx = HttpContext.create(settings)
    endpoint = __import__("extract.endpoints", fromlist=["V3"]).V3["departments"]
    first = [r["id"] for page in _pages(ctx, endpoint, {}) for r in page]
    assert sandbox.stats()["tokens_issued"] == 1
    assert sandbox.expire_tokens() == 1
    second = [r["id"] for page in _pages(ctx, endpoint, {}) for r in page]
    assert first == second == sorted(org_ids(sandbox.org, "departments"), reverse=True)
    stats = sandbox.stats()
    assert stats["tokens_issued"] == 2
    assert stats["by_status"].get("401") == 1


def test_token_expiry_during_a_run(sandbox_factory, run_extract, extract_env):
    # Tokens live 1 s and every response takes 150 ms; with one worker the >= 18 requests of a
    # run take >= 2.7 s whatever the machine's speed, so the run always outlives its first token.
    sandbox = sandbox_factory(candidates=SIZE, token_lifetime=1, slow_ms=150)
    run = run_extract({**extract_env, **sandbox.env("v3"), "GREENHOUSE_WORKERS": "1"}).check()
    assert run.summary["requests"] >= 18
    assert sandbox.stats()["tokens_issued"] >= 2
    assert run.summary["requests"] > 0
    assert_every_record_landed(duckdb_target(extract_env), sandbox, "v3")


def test_token_lifetime_that_is_no_number(sandbox_factory, run_extract, extract_env):
    # a token endpoint answering expires_in "soon": the token is used for the default lifetime
    # (renewed sooner on a 401), with one warning line; it used to end the run in a ValueError
    sandbox = sandbox_factory(candidates=SIZE, token_expires_in="soon")
    env = {**extract_env, **sandbox.env("v3"), "GREENHOUSE_RESOURCES": "candidates,jobs"}
    run = run_extract(env).check()
    warnings = [line for line in run.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        f"warning: the v3 token endpoint {sandbox.auth_url} sent expires_in='soon', not a number "
        "of seconds; the token is renewed after 3600s, or sooner when the API answers 401"
    ], run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    assert sandbox.stats()["tokens_issued"] == 1
    assert_every_record_landed(duckdb_target(extract_env), sandbox, "v3", ["candidates", "jobs"])
