"""Credentials out of every line a run prints or stores.

A gateway that answers an error by repeating the request puts the ``Authorization`` header into
the error body, and from there into the error line, the run history and the report. Every
message passes through ``redact`` (errors when they are made, ``one_line``, ``log``, dlt's log
records, the run-history row), which replaces each credential the run knows - the v3 client
secret and access tokens, the v1 API key and its Basic form, database passwords - and anything
shaped like one (an ``Authorization`` value, a password in a URL) with ``***``.
"""

from __future__ import annotations

import os
import re
from base64 import b64encode

MASK = "***"
_KNOWN: set[str] = set()
# Words every message uses: a password that is the name of its destination (``postgres`` under
# trust auth) protects nothing, and masking it would blank ``DEST=postgres`` in every line.
_NOT_SECRET = {
    "duckdb",
    "postgres",
    "snowflake",
    "bigquery",
    "redshift",
    "databricks",
    "filesystem",
}

# Variables whose value is a credential, whatever the destination: POSTGRES_PASSWORD,
# GREENHOUSE_CLIENT_SECRET, SOURCES__GREENHOUSE__API_TOKEN, DESTINATION__*__PASSWORD, ...
_SECRET_VARIABLE = re.compile(r"(PASSWORD|SECRET|TOKEN|PASSPHRASE|PRIVATE_KEY)$")

_SHAPES = (
    # a header value: "Authorization: Bearer abc", '"authorization": "Basic YWJj"', ...
    (
        re.compile(
            r"""((?:proxy-)?authorization["']?\s*[:=]\s*["']?)"""
            r"""(?:(?:bearer|basic|token|digest)\s+)?[^\s"',;)}\]]+""",
            re.IGNORECASE,
        ),
        rf"\1{MASK}",
    ),
    # a scheme and its credential anywhere else: "Bearer eyJhbGci...", "Basic c2FuZGJveDo="
    # (a credential has a digit or a symbol: "basic authentication" is left alone)
    (
        re.compile(
            r"\b(Bearer|Basic)\s+(?=[A-Za-z]*[0-9._~+/=-])[A-Za-z0-9._~+/-]{8,}=*", re.IGNORECASE
        ),
        rf"\1 {MASK}",
    ),
    # a password in a URL: postgresql://user:pass@host
    # (not a template's "user[:password]@": brackets are no part of a user name)
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@\[\]]*:)[^@\s/]+@", re.IGNORECASE), rf"\1{MASK}@"),
)


def remember(*values: str | None) -> None:
    """Credentials of this run that no message may show (an access token once it is issued)."""
    _KNOWN.update(str(v) for v in values if v and str(v).lower() not in _NOT_SECRET)


def remember_basic(user: str | None, password: str | None = "") -> None:
    """A user and password as they travel in a Basic header (v1: the API key is the user)."""
    if user:
        remember(b64encode(f"{user}:{password or ''}".encode()).decode())


def remember_environment() -> None:
    """Every variable of the environment that holds a credential, by its name."""
    remember(*(v for k, v in os.environ.items() if _SECRET_VARIABLE.search(k.upper())))


def redact(text: str) -> str:
    """``text`` with every known credential, and anything shaped like one, replaced by ***."""
    if _KNOWN:  # whole values only: a password "greenhouse" leaves "greenhouse_raw" alone
        known = "|".join(re.escape(s) for s in sorted(_KNOWN, key=len, reverse=True))
        text = re.sub(rf"(?<![A-Za-z0-9_])(?:{known})(?![A-Za-z0-9_])", MASK, text)
    for pattern, replacement in _SHAPES:
        text = pattern.sub(replacement, text)
    return text
