"""Nothing answers at a configured URL: one clear line naming the host and the variable, at once.

dlt's retry policy would otherwise retry a refused connection for minutes. Each case runs the
real CLI; ``timeout`` makes a regression (back to minutes of retries) fail instead of hang.
"""

from __future__ import annotations

import pytest

from sandbox.process import client_env

REFUSED = "http://127.0.0.1:1"  # nothing listens on port 1 of the loopback interface
UNKNOWN = "https://no-such-host.invalid"  # .invalid never resolves (RFC 2606)


def _assert_one_clear_line(run, host: str, variable: str) -> None:
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    assert len(run.error_lines) == 1, run.stderr
    line = run.error_lines[0]
    assert host in line and variable in line, line


@pytest.mark.parametrize(
    ("version", "url", "host", "reason"),
    [
        ("v3", REFUSED, "127.0.0.1:1", "refused"),
        ("v1", REFUSED, "127.0.0.1:1", "refused"),
        ("v1", UNKNOWN, "no-such-host.invalid", "not found"),
    ],
)
def test_unreachable_base_url(sandbox, run_extract, extract_env, version, url, host, reason):
    # the token endpoint (v3) is the live sandbox: only the API host is wrong
    env = {**extract_env, **sandbox.env(version), "GREENHOUSE_BASE_URL": url}
    run = run_extract(env, timeout=60)
    _assert_one_clear_line(run, host, "GREENHOUSE_BASE_URL")
    assert reason in run.error_lines[0]


@pytest.mark.parametrize(
    ("url", "host"), [(f"{REFUSED}/token", "127.0.0.1:1"), (UNKNOWN, "no-such-host.invalid")]
)
def test_unreachable_auth_url(sandbox, run_extract, extract_env, url, host):
    env = {**extract_env, **sandbox.env("v3"), "GREENHOUSE_AUTH_URL": url}
    run = run_extract(env, timeout=60)
    _assert_one_clear_line(run, host, "GREENHOUSE_AUTH_URL")
    assert sandbox.stats()["total"] == 0  # no API request without a token


def test_both_urls_unreachable_names_the_token_endpoint(run_extract, extract_env):
    """Both URLs wrong: the token endpoint is the first contact, so it is the one named."""
    env = {**extract_env, **client_env(REFUSED, "v3"), "GREENHOUSE_AUTH_URL": f"{REFUSED}/t"}
    run = run_extract(env, timeout=60)
    _assert_one_clear_line(run, "127.0.0.1:1", "GREENHOUSE_AUTH_URL")
