"""``redact``: the one function every printed or stored message passes through."""

from __future__ import annotations

import os
import sys
from base64 import b64encode

import pytest

from extract import redact as redaction
from extract.errors import RequestRejectedError
from extract.messages import one_line


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redaction, "_KNOWN", set())


def test_a_known_credential_is_masked_wherever_it_stands() -> None:
    redaction.remember("k3y-0f-the-run")
    redaction.remember_basic("k3y-0f-the-run")
    basic = b64encode(b"k3y-0f-the-run:").decode()
    text = f"gateway said: key=k3y-0f-the-run; x-api-key {basic}"
    assert redaction.redact(text) == "gateway said: key=***; x-api-key ***"


def test_credential_shapes_are_masked_without_knowing_them() -> None:
    text = (
        'headers {"Authorization": "Bearer abc.def-ghi_jkl"}, Proxy-Authorization: Basic '
        "dXNlcjpwYXNz, token Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig at "
        "postgresql://loader:hunter2%40x@db:5432/analytics"
    )
    assert redaction.redact(text) == (
        'headers {"Authorization": "***"}, Proxy-Authorization: ***, token Bearer *** at '
        "postgresql://loader:***@db:5432/analytics"
    )


def test_words_that_only_look_alike_are_left_alone() -> None:
    # a trust-auth password named after its destination, and a password that is part of a
    # schema name, would otherwise blank every line naming them
    redaction.remember("postgres", "greenhouse")
    text = "DEST=postgres: no raw tables in greenhouse_raw; Basic authentication, bearer tokens"
    assert redaction.redact(text) == text
    assert redaction.redact("password greenhouse rejected") == "password *** rejected"


def test_errors_are_redacted_when_made_and_when_shown() -> None:
    error = RequestRejectedError("HTTP 400 (Authorization: Basic c2FuZGJveC10b2tlbjo=)")
    assert str(error) == "HTTP 400 (Authorization: ***)"
    assert error.args == ("HTTP 400 (Authorization: ***)",)  # what dlt's trace pickles
    later = ValueError("echo: s3cret-issued-later")
    redaction.remember("s3cret-issued-later")
    assert one_line(later) == "echo: ***"


def test_environment_credentials_are_known_by_their_names(monkeypatch) -> None:
    monkeypatch.setenv("DESTINATION__SNOWFLAKE__CREDENTIALS__PASSWORD", "sn0w-pass")
    monkeypatch.setenv("SOURCES__GREENHOUSE__CLIENT_SECRET", "cl1ent-secret")
    monkeypatch.setenv("GREENHOUSE_CLIENT_ID", "public-client-id")
    redaction.remember_environment()
    assert (
        redaction.redact("sn0w-pass cl1ent-secret public-client-id") == "*** *** public-client-id"
    )


def test_a_dbt_childs_output_is_redacted_line_by_line(capsys) -> None:
    """What dbt prints (an adapter's error repeating a password, a URL with one) passes through
    the same redaction as the run's own lines, on stdout and on stderr."""
    from extract.redact import remember
    from extract.signals import call_child

    remember("s3cr3t-w4rehouse")
    script = (
        "import sys\n"
        "print('connecting with password s3cr3t-w4rehouse', flush=True)\n"
        "print('url postgresql://loader:hunter22@db:5432/x', file=sys.stderr)\n"
        "sys.exit(3)\n"
    )
    code = call_child([sys.executable, "-c", script], cwd=".", env=dict(os.environ))
    out, err = capsys.readouterr()
    assert code == 3
    assert out == "connecting with password ***\n"
    assert err == "url postgresql://loader:***@db:5432/x\n"
