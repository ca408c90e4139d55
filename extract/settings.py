"""Run settings: the short environment names containers use, falling back to dlt's own config.

Precedence for every value: the short variable (``GREENHOUSE_CLIENT_ID``, ``DEST``, ...) if set,
then dlt's providers (``SOURCES__GREENHOUSE__CLIENT_ID``, ``.dlt/secrets.toml``,
``.dlt/config.toml``), then the default. Validation happens here, before anything is written, so a
bad value ends in one clear line (``ConfigError``) and exit code 2.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import dlt

from extract.endpoints import catalogue, default_resources
from extract.errors import ConfigError

API_VERSIONS = ("v3", "v1")
VALID_DESTS = ("duckdb", "postgres", "snowflake", "bigquery", "filesystem")
DEFAULT_BASE_URL = "https://harvest.greenhouse.io"
DEFAULT_AUTH_URL = "https://auth.greenhouse.io/token"
DEFAULT_DUCKDB_PATH = "data/greenhouse.duckdb"
DEFAULT_RAW_SCHEMA = "greenhouse_raw"
PER_PAGE = 500  # the API maximum: fewest requests per record (issue 6: <= 21 requests / 10k rows)


class Secret(str):
    """A string that does not show itself in reprs, tracebacks of dataclasses or logs."""

    def __repr__(self) -> str:
        return "'***'"


def _lookup(env_name: str | None, dlt_key: str | None, *, secret: bool = False) -> str | None:
    if env_name:
        value = os.environ.get(env_name)
        if value not in (None, ""):
            return value
    if dlt_key:
        provider = dlt.secrets if secret else dlt.config
        try:
            value = provider.get(dlt_key)
        except Exception:  # noqa: BLE001 - a malformed toml must not hide the real problem
            value = None
        if value not in (None, ""):
            return str(value)
    return None


def _int(env_name: str, dlt_key: str, default: int) -> int:
    raw = _lookup(env_name, dlt_key)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{env_name} must be a whole number (got {raw!r})") from None
    if value < 0:
        raise ConfigError(f"{env_name} must not be negative (got {value})")
    return value


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(variable: str, url: str) -> str:
    """Only https, except plain http to a loopback host (the local sandbox)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{variable} must be an http(s) URL (got {url!r})")
    if parts.username or parts.password:
        raise ConfigError(f"{variable} must not contain credentials; use the credential variables")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigError(
            f"{variable} uses plain http:// to {parts.hostname}; credentials would travel "
            "unencrypted. Use https:// (plain http is only allowed for a loopback sandbox)"
        )
    return url.rstrip("/")


def parse_resource_list(raw: str | None) -> list[str] | None:
    if raw is None:
        return None
    names = [name.strip() for name in raw.split(",") if name.strip()]
    return names or None


@dataclass(frozen=True)
class Settings:
    api_version: str
    base_url: str
    auth_url: str
    resources: tuple[str, ...]
    dest: str
    raw_schema: str
    duckdb_path: str
    pipelines_dir: str | None
    client_id: Secret | None = field(default=None, repr=False)
    client_secret: Secret | None = field(default=None, repr=False)
    user_id: str | None = None
    api_token: Secret | None = field(default=None, repr=False)
    settle_seconds: int = 300
    lookback_seconds: int = 3600
    extract_workers: int = 4
    full_refresh: bool = False
    skip_forbidden: bool = False
    request_timeout: int = 60
    max_attempts: int = 8
    backoff_factor: float = 0.5
    max_retry_delay: int = 120

    @property
    def secrets(self) -> list[str]:
        """Every secret value of this run, for redaction and for tests that grep artifacts."""
        return [s for s in (self.client_secret, self.api_token) if s]


def load_settings(
    *,
    resources: str | None = None,
    full_refresh: bool = False,
    skip_forbidden: bool = False,
) -> Settings:
    """Resolve and validate everything a run needs; raise ``ConfigError`` on the first problem."""
    dest = (_lookup("DEST", "destination_name") or "duckdb").strip().lower()
    if dest not in VALID_DESTS:
        raise ConfigError(f"unknown DEST {dest!r}; valid values: {', '.join(VALID_DESTS)}")

    version = (_lookup("GREENHOUSE_API_VERSION", "sources.greenhouse.api_version") or "v3").lower()
    if version not in API_VERSIONS:
        raise ConfigError(f"GREENHOUSE_API_VERSION must be one of v3, v1 (got {version!r})")

    base_url = check_url(
        "GREENHOUSE_BASE_URL",
        _lookup("GREENHOUSE_BASE_URL", "sources.greenhouse.base_url") or DEFAULT_BASE_URL,
    )
    auth_url = check_url(
        "GREENHOUSE_AUTH_URL",
        _lookup("GREENHOUSE_AUTH_URL", "sources.greenhouse.auth_url") or DEFAULT_AUTH_URL,
    )

    selected = parse_resource_list(resources) or parse_resource_list(
        _lookup("GREENHOUSE_RESOURCES", "sources.greenhouse.resources")
    )
    known = catalogue(version)
    if selected is None:
        selected = default_resources(version)
    unknown = [name for name in selected if name not in known]
    if unknown:
        raise ConfigError(
            f"unknown resource(s) for Harvest {version}: {', '.join(unknown)}; "
            f"valid names: {', '.join(sorted(known))}"
        )

    kwargs: dict[str, Any] = {}
    if version == "v3":
        client_id = _lookup("GREENHOUSE_CLIENT_ID", "sources.greenhouse.client_id", secret=True)
        client_secret = _lookup(
            "GREENHOUSE_CLIENT_SECRET", "sources.greenhouse.client_secret", secret=True
        )
        if not client_id:
            raise ConfigError(
                "missing v3 credentials: set GREENHOUSE_CLIENT_ID (Harvest v3 OAuth client id)"
            )
        if not client_secret:
            raise ConfigError(
                "missing v3 credentials: set GREENHOUSE_CLIENT_SECRET (Harvest v3 OAuth secret)"
            )
        kwargs.update(
            client_id=Secret(client_id),
            client_secret=Secret(client_secret),
            user_id=_lookup("GREENHOUSE_USER_ID", "sources.greenhouse.user_id"),
        )
    else:
        token = _lookup("GREENHOUSE_API_TOKEN", "sources.greenhouse.api_token", secret=True)
        if not token:
            raise ConfigError("missing v1 credentials: set GREENHOUSE_API_TOKEN (Harvest API key)")
        kwargs["api_token"] = Secret(token)

    return Settings(
        api_version=version,
        base_url=base_url,
        auth_url=auth_url,
        resources=tuple(dict.fromkeys(selected)),
        dest=dest,
        raw_schema=_lookup("GREENHOUSE_RAW_SCHEMA", "sources.greenhouse.raw_schema")
        or DEFAULT_RAW_SCHEMA,
        duckdb_path=_lookup("DUCKDB_PATH", None) or DEFAULT_DUCKDB_PATH,
        pipelines_dir=_lookup("GREENHOUSE_PIPELINES_DIR", None),
        settle_seconds=_int("GREENHOUSE_SETTLE_SECONDS", "sources.greenhouse.settle_seconds", 300),
        lookback_seconds=_int(
            "GREENHOUSE_LOOKBACK_SECONDS", "sources.greenhouse.lookback_seconds", 3600
        ),
        extract_workers=max(1, _int("GREENHOUSE_WORKERS", "sources.greenhouse.workers", 4)),
        full_refresh=full_refresh,
        skip_forbidden=skip_forbidden,
        request_timeout=_int("GREENHOUSE_REQUEST_TIMEOUT", "runtime.request_timeout", 60),
        max_attempts=max(1, _int("GREENHOUSE_MAX_ATTEMPTS", "runtime.request_max_attempts", 8)),
        backoff_factor=float(
            _lookup("GREENHOUSE_BACKOFF_FACTOR", "runtime.request_backoff_factor") or 0.5
        ),
        max_retry_delay=_int("GREENHOUSE_MAX_RETRY_DELAY", "runtime.request_max_retry_delay", 120),
        **kwargs,
    )
