"""Nothing answers at a configured URL: one clear line naming the host and the variable, at once.

dlt's retry policy would otherwise retry a refused connection for minutes. Each case runs the
real CLI; ``timeout`` makes a regression (back to minutes of retries) fail instead of hang.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from sandbox.process import client_env
from tests.extract.conftest import REPO, clean_environ, duckdb_target
from tests.extract.test_load import assert_every_record_landed

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


def test_host_gone_mid_extract_ends_within_the_bound_naming_it(
    sandbox_factory, run_extract, extract_env
):
    """The API stops answering once the first pages are read (its process stopped: the port
    refuses connections). The progress says so (not as rate-limit waits), the run gives up
    after GREENHOUSE_UNREACHABLE_SECONDS with one whole line naming host:port, and the rerun,
    once the API is back on the same port, loads every record once."""
    bound = 5
    sandbox = sandbox_factory(candidates=1000, rate_limit=2, rate_window=1)  # a slow extract
    env = {
        **extract_env,
        **sandbox.env("v3"),
        "CI": "true",
        "ELT_PROGRESS_SECONDS": "0.5",
        "GREENHOUSE_UNREACHABLE_SECONDS": str(bound),
        # without the bound the retries alone would last for many minutes
        "GREENHOUSE_MAX_ATTEMPTS": "1000",
    }
    host = f"127.0.0.1:{sandbox.port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "extract", "extract"],
        cwd=REPO,
        env={**clean_environ(), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # stop the API once a progress line shows pages read
            lines.append(line.rstrip("\n"))
            if re.search(r"\s[1-9][0-9,]* pages\s", line):
                break
        sandbox.stop()
        _, rest = proc.communicate(timeout=bound + 90)  # generous slack: a loaded machine
    finally:
        if proc.poll() is None:
            proc.kill()
    lines += rest.splitlines()

    assert proc.returncode == 1, "\n".join(lines[-20:])
    assert not any("Traceback" in line for line in lines)
    errors = [line for line in lines if line.startswith("error:")]
    assert errors == [
        f"error: could not connect to {host} (connection refused for {_seconds(errors)}s "
        "after it had answered); check GREENHOUSE_BASE_URL and the network"
    ], "\n".join(lines[-20:])
    assert int(_seconds(errors)) >= bound
    # the progress showed the host going away while the run retried, and no rate-limit waits
    # grew from it
    down = [line for line in lines if f"no connection to {host} for" in line]
    assert down and all(f"giving up after {bound}s" in line for line in down)
    assert any(re.match(r"\[extract\]\s+\w+\s+retrying\s", line) for line in lines)
    # (a wait for the rate limit under way when the API stopped may still end: one window)
    waits = [float(re.findall(r"waited ([0-9.]+)s for the rate limit", line)[0]) for line in down]
    assert max(waits) - min(waits) <= 2.0, waits

    sandbox.start_again()
    run_extract({**extract_env, **sandbox.env("v3")}).check()
    assert_every_record_landed(duckdb_target(extract_env), sandbox, "v3")


def _seconds(errors: list[str]) -> str:
    match = re.search(r"connection refused for (\d+)s", errors[0]) if errors else None
    return match[1] if match else "?"
