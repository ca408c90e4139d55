"""Configuration: every option of a run, its default and its names, in one place.

The source's options are a dlt configuration spec (``GreenhouseConfig``, section
``sources.greenhouse``), so dlt's providers resolve them: ``SOURCES__GREENHOUSE__CLIENT_ID``,
``.dlt/secrets.toml``, ``.dlt/config.toml``, then the default written here. The short names
that containers and ``.env`` files use (``GREENHOUSE_CLIENT_ID``, ``GREENHOUSE_WORKERS``, ...) are
aliases: ``apply_aliases`` copies each one that is set onto dlt's own variable name before dlt
resolves anything, so a short name wins over the same value in a toml file.

Validation happens here, before anything is written or requested, so a bad value ends in one
clear line (``ConfigError``) and exit code 2.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Optional
from urllib.parse import urlsplit

from dlt.common.configuration import configspec, resolve_configuration
from dlt.common.configuration.exceptions import ConfigurationException
from dlt.common.configuration.specs import BaseConfiguration
from dlt.common.typing import TSecretStrValue

from extract.endpoints import catalogue, default_resources
from extract.errors import ConfigError

API_VERSIONS = ("v3", "v1")
DESTINATIONS = (
    "duckdb",
    "postgres",
    "snowflake",
    "bigquery",
    "filesystem",
    "redshift",
    "databricks",
)
DEFAULT_DEST = "duckdb"
DEFAULT_DUCKDB_PATH = "data/greenhouse.duckdb"
PER_PAGE = 500  # the API maximum: fewest requests per record


@configspec
class GreenhouseConfig(BaseConfiguration):
    """The options of the Greenhouse source (``[sources.greenhouse]``) and their defaults."""

    api_version: str = "v3"
    base_url: str = "https://harvest.greenhouse.io"
    auth_url: str = "https://auth.greenhouse.io/token"
    client_id: TSecretStrValue | None = None  # v3 OAuth client
    client_secret: TSecretStrValue | None = None
    user_id: str | None = None  # v3: act as this Greenhouse user (the token's ``sub``)
    api_token: TSecretStrValue | None = None  # v1 Harvest API key
    resources: Optional[Any] = None  # noqa: UP045 - dlt needs Optional here; endpoint names (list or comma-separated); None: all but sensitive
    raw_schema: str = "greenhouse_raw"  # dataset the raw tables land in
    settle_seconds: int = 300  # read only up to now minus this (the API is eventually consistent)
    lookback_seconds: int = 3600  # each window starts this long before the last cursor seen
    # a host that answered earlier in the run and now refuses connections (or no longer
    # resolves) ends the run after this long, instead of retrying for minutes
    unreachable_seconds: int = 60
    workers: int = 4  # resources extracted in parallel, sharing one rate budget
    skip_forbidden: bool = False  # carry on without endpoints that answer 403
    sweep_deletes_every: int = 0  # also run the deletion sweep every Nth extract (0: never)
    # the sweep marks nothing in a table when it would mark more than this share of its
    # unmarked rows (--force: no bound)
    sweep_deletes_max_share: float = 0.1


SOURCE_SECTIONS = ("sources", "greenhouse")

# Short variable -> dlt's variable. The runtime.* ones feed dlt's own HTTP client settings,
# whose defaults live in .dlt/config.toml.
ALIASES: dict[str, str] = {
    **{
        f"GREENHOUSE_{name.upper()}": f"SOURCES__GREENHOUSE__{name.upper()}"
        for name in (
            "api_version",
            "base_url",
            "auth_url",
            "client_id",
            "client_secret",
            "user_id",
            "api_token",
            "resources",
            "raw_schema",
            "settle_seconds",
            "lookback_seconds",
            "unreachable_seconds",
            "workers",
            "sweep_deletes_every",
            "sweep_deletes_max_share",
        )
    },
    "GREENHOUSE_REQUEST_TIMEOUT": "RUNTIME__REQUEST_TIMEOUT",
    "GREENHOUSE_MAX_ATTEMPTS": "RUNTIME__REQUEST_MAX_ATTEMPTS",
    "GREENHOUSE_BACKOFF_FACTOR": "RUNTIME__REQUEST_BACKOFF_FACTOR",
    "GREENHOUSE_MAX_RETRY_DELAY": "RUNTIME__REQUEST_MAX_RETRY_DELAY",
}
SHORT_NAME = {dlt_name: short for short, dlt_name in ALIASES.items()}


def apply_aliases(environ: MutableMapping[str, str] | None = None) -> None:
    """Copy every short variable that is set onto dlt's name for it (the short name wins)."""
    env = os.environ if environ is None else environ
    for short, dlt_name in ALIASES.items():
        value = env.get(short)
        if value:
            env[dlt_name] = value


class Secret(str):
    """A string that does not show itself in reprs, tracebacks of dataclasses or logs."""

    def __repr__(self) -> str:
        return "'***'"


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


# Schema names that dlt lands unchanged (its naming convention lower-cases identifiers and
# collapses double underscores) and dbt therefore finds under the same name.
SCHEMA_PREFIX_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


def schema_prefix(environ: Mapping[str, str] | None = None) -> str:
    """``GREENHOUSE_SCHEMA_PREFIX``: empty for production's plain schema names. Read from the
    environment only (not from dlt's config files) because dbt reads the same variable
    (``transform/macros/greenhouse_schema.sql``): raw, staging and marts move together."""
    value = (os.environ if environ is None else environ).get("GREENHOUSE_SCHEMA_PREFIX", "")
    if value and not SCHEMA_PREFIX_PATTERN.fullmatch(value):
        raise ConfigError(
            "GREENHOUSE_SCHEMA_PREFIX must be lower-case letters and digits joined by single "
            f"underscores, starting with a letter, e.g. dev_alice (got {value!r})"
        )
    return value


def raw_dataset(config: GreenhouseConfig, environ: Mapping[str, str] | None = None) -> str:
    """The dataset the raw tables land in: ``raw_schema``, after ``<prefix>_`` when
    ``GREENHOUSE_SCHEMA_PREFIX`` is set (``dev_alice_greenhouse_raw``)."""
    prefix = schema_prefix(environ)
    return f"{prefix}_{config.raw_schema}" if prefix else config.raw_schema


RAW_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def raw_datasets(config: GreenhouseConfig, environ: Mapping[str, str] | None = None) -> list[str]:
    """The raw datasets dbt builds on: one per Greenhouse account of ``GREENHOUSE_RAW_SCHEMAS``
    (comma-separated raw schema names, each behind the prefix as in ``raw_dataset``); unset
    or blank, the one dataset of ``raw_schema``. The same rules as dbt's
    ``greenhouse_accounts()`` (transform/macros/greenhouse_accounts.sql), checked here first
    so that ``elt transform`` / ``elt run`` stop with one line before dbt starts."""
    env = os.environ if environ is None else environ
    listed = env.get("GREENHOUSE_RAW_SCHEMAS", "")
    if not listed.strip():
        return [raw_dataset(config, env)]
    names = [name.strip() for name in listed.split(",") if name.strip()]
    if not names:
        raise ConfigError(
            f"GREENHOUSE_RAW_SCHEMAS lists no schema (got {listed!r}): give comma-separated raw "
            "schema names, e.g. greenhouse_raw_us,greenhouse_raw_eu, or leave it unset"
        )
    for name in names:
        if not RAW_SCHEMA_NAME.fullmatch(name):
            raise ConfigError(
                f"GREENHOUSE_RAW_SCHEMAS: {name!r} is not a raw schema name (lower-case letters, "
                "digits and underscores, as the extract's GREENHOUSE_RAW_SCHEMA)"
            )
        if names.count(name) > 1:
            raise ConfigError(f"GREENHOUSE_RAW_SCHEMAS lists {name!r} twice: each account once")
    prefix = schema_prefix(env)
    return [f"{prefix}_{name}" if prefix else name for name in names]


def home_dataset(config: GreenhouseConfig, environ: Mapping[str, str] | None = None) -> str:
    """The raw dataset that stands for a run over several accounts (its transform's run
    history, the report's raw-table charts): the extract's own when it is listed in
    ``GREENHOUSE_RAW_SCHEMAS``, else the first listed; with one account, that one."""
    own = raw_dataset(config, environ)
    accounts = raw_datasets(config, environ)
    return own if own in accounts else accounts[0]


def account_left_out(
    config: GreenhouseConfig, environ: Mapping[str, str] | None = None
) -> str | None:
    """Why ``elt run`` would extract an account its own transform leaves out, or None: with
    ``GREENHOUSE_RAW_SCHEMAS`` (several accounts) the extract's ``GREENHOUSE_RAW_SCHEMA`` must
    be one of them. Raises ``ConfigError`` for a list that is not one (``raw_datasets``)."""
    env = os.environ if environ is None else environ
    if raw_dataset(config, env) in raw_datasets(config, env):
        return None
    return (
        f"GREENHOUSE_RAW_SCHEMA={config.raw_schema} is not one of GREENHOUSE_RAW_SCHEMAS "
        f"({env.get('GREENHOUSE_RAW_SCHEMAS', '')}): this run would extract an account "
        "its transform leaves out. Add it to GREENHOUSE_RAW_SCHEMAS, or extract each account "
        "with 'elt extract' and then run 'elt transform' once"
    )


def parse_resource_list(raw: Any) -> list[str] | None:
    """Endpoint names from a comma-separated string or a list; None (unset or blank) means
    the default selection. A value made only of separators (``' , ,'``) is a mistake, not
    "all": it is refused rather than silently loading every endpoint."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    items = raw.split(",") if isinstance(raw, str) else [str(item) for item in raw]
    names = [name.strip() for name in items if name.strip()]
    if not names:
        raise ConfigError(
            f"GREENHOUSE_RESOURCES / --resources lists no endpoint name (got {str(raw)!r}); "
            "give comma-separated names, or leave it unset for the default selection"
        )
    return names


@dataclass(frozen=True)
class Settings:
    """One run, resolved and validated. Defaults live in ``GreenhouseConfig`` and above."""

    api_version: str
    base_url: str
    auth_url: str
    resources: tuple[str, ...]
    dest: str
    raw_schema: str
    duckdb_path: str
    pipelines_dir: str | None
    settle_seconds: int
    lookback_seconds: int
    extract_workers: int
    full_refresh: bool
    skip_forbidden: bool
    sweep_deletes_every: int = 0
    sweep_deletes_max_share: float = 0.1
    unreachable_seconds: int = 60
    sweep_force: bool = False  # --force: no bound on the share one sweep may mark
    client_id: Secret | None = field(default=None, repr=False)
    client_secret: Secret | None = field(default=None, repr=False)
    user_id: str | None = None
    api_token: Secret | None = field(default=None, repr=False)

    @property
    def secrets(self) -> list[str]:
        """Every secret value of this run, for redaction and for tests that grep artifacts."""
        return [s for s in (self.client_secret, self.api_token) if s]

    def source_args(self) -> dict[str, Any]:
        """The arguments of ``extract.source.greenhouse`` for this run."""
        return {
            "api_version": self.api_version,
            "base_url": self.base_url,
            "auth_url": self.auth_url,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "user_id": self.user_id,
            "api_token": self.api_token,
            "resources": list(self.resources),
            "settle_seconds": self.settle_seconds,
            "lookback_seconds": self.lookback_seconds,
            "skip_forbidden": self.skip_forbidden,
        }


def resolve_dest() -> str:
    """DEST, case-insensitively (``DuckDB`` is ``duckdb``): the one rule for every stage. The
    normalized name is written back so dbt's target, the profile and the logs all see it."""
    raw = os.environ.get("DEST") or DEFAULT_DEST
    dest = raw.strip().lower()
    if dest not in DESTINATIONS:
        raise ConfigError(f"unknown DEST {raw!r}; valid values: {', '.join(DESTINATIONS)}")
    os.environ["DEST"] = dest
    return dest


def _variable(name: str) -> str:
    """The name a user sets for a field of GreenhouseConfig (the short one)."""
    dlt_name = "SOURCES__GREENHOUSE__" + name.upper()
    return SHORT_NAME.get(dlt_name, dlt_name)


def resolve_source_config(**explicit: Any) -> GreenhouseConfig:
    """Resolve ``GreenhouseConfig`` through dlt's providers; explicit values win."""
    apply_aliases()
    try:
        config = resolve_configuration(
            GreenhouseConfig(),
            sections=SOURCE_SECTIONS,
            explicit_value={k: v for k, v in explicit.items() if v is not None},
        )
    except ConfigurationException as exc:
        # a value that does not coerce to its type (e.g. GREENHOUSE_WORKERS=many)
        field_name = getattr(exc, "field_name", None)
        hint = getattr(exc, "hint", None)
        if field_name:
            kind = f"of type {getattr(hint, '__name__', hint)}"
            if hint in (int, float):
                kind = "a whole number" if hint is int else "a number"
            raise ConfigError(f"{_variable(field_name)} must be {kind}") from None
        raise ConfigError(
            toml_problem(exc) or f"invalid configuration: {' '.join(str(exc).split())[:300]}"
        ) from None
    # pasted into SQL by every stage (and normalised by dlt: "Raw-Data's" would load into
    # raw_data_s, then fail the next statement): the rule of GREENHOUSE_RAW_SCHEMAS
    if not RAW_SCHEMA_NAME.fullmatch(str(config.raw_schema)):
        raise ConfigError(
            f"{_variable('raw_schema')} must be a schema name of lower-case letters, digits "
            "and underscores, not starting with a digit, e.g. greenhouse_raw "
            f"(got {config.raw_schema!r})"
        )
    return config


def toml_problem(exc: BaseException) -> str | None:
    """A dlt toml file that does not parse, as one line naming the file and the line. dlt's
    own message lists every candidate path of that file (project and global dir) and is easy
    to read as a missing value; the file is re-read here to say which one is broken."""
    from dlt.common.configuration.providers.toml import TomlProviderReadException

    current: BaseException | None = exc
    while current is not None and not isinstance(current, TomlProviderReadException):
        current = current.__cause__ or current.__context__
    if current is None:
        return None
    import tomllib

    for path in current.full_paths:
        try:
            with open(path, "rb") as handle:
                tomllib.load(handle)
        except OSError:
            continue
        except tomllib.TOMLDecodeError as err:
            return f"{path} is not valid TOML: {err}; fix that line (or move the file away)"
    return f"{current.file_name} is not valid TOML ({', '.join(current.full_paths)})"


def _non_negative(name: str, value: int) -> int:
    if value < 0:
        raise ConfigError(f"{_variable(name)} must not be negative (got {value})")
    return value


def _at_least_one(name: str, value: int) -> int:
    if value < 1:
        raise ConfigError(f"{_variable(name)} must be >= 1 (got {value})")
    return value


def _share(name: str, value: float) -> float:
    if not 0 < value <= 1:
        raise ConfigError(
            f"{_variable(name)} must be a share above 0 and at most 1, e.g. 0.1 for 10% "
            f"(got {value:g})"
        )
    return value


# Where else dlt users keep the source's credentials: dltHub's Greenhouse page writes
# ``[sources.greenhouse_harvest_source]``; dlt's own lookup for a source named so, or for this
# project's source by module and name, nests it under ``sources.greenhouse``. dlt itself
# resolves ``[sources.greenhouse]`` and ``[sources]`` (``SOURCES__GREENHOUSE__*`` and the short
# ``GREENHOUSE_*`` names); these sections are read after those, credential by credential.
CREDENTIAL_FIELDS = ("client_id", "client_secret", "user_id", "api_token")
OTHER_CREDENTIAL_SECTIONS = (
    "sources.greenhouse_harvest_source",
    "sources.greenhouse.greenhouse_harvest_source",
    "sources.greenhouse.greenhouse",
)


def credentials_elsewhere(config: GreenhouseConfig) -> dict[str, tuple[str, str]]:
    """Credential field -> (value, where it was found), for the fields ``config`` lacks and one
    of ``OTHER_CREDENTIAL_SECTIONS`` holds (any of dlt's providers: ``.dlt/secrets.toml``,
    ``SOURCES__GREENHOUSE_HARVEST_SOURCE__API_TOKEN``, ...)."""
    import dlt

    found: dict[str, tuple[str, str]] = {}
    for name in CREDENTIAL_FIELDS:
        if getattr(config, name):
            continue
        for section in OTHER_CREDENTIAL_SECTIONS:
            value: Any = dlt.secrets.get(f"{section}.{name}")
            if value not in (None, ""):
                found[name] = (str(value), f"[{section}] {name}")
                break
    return found


def missing_credential(
    version: str,
    name: str,
    what: str,
    config: GreenhouseConfig,
    found: dict[str, tuple[str, str]],
) -> str:
    """One line: the credential Harvest ``version`` needs, every place it is read from, and
    the other version's credential where one was found instead."""
    short = _variable(name)
    others = ", ".join(f"[{section}]" for section in OTHER_CREDENTIAL_SECTIONS)
    places = (
        f"{short} (or SOURCES__GREENHOUSE__{name.upper()}), or {name} under [sources.greenhouse] "
        f"in .dlt/secrets.toml (also read: {others})"
    )
    line = f"missing Harvest {version} credentials: set {places} ({what})"
    if version == "v3" and config.api_token:
        where = found["api_token"][1] if "api_token" in found else "api_token"
        line += (
            f"; found {where}, a Harvest v1 API key: to use it, set GREENHOUSE_API_VERSION=v1 "
            '(or api_version = "v1" in the same section)'
        )
    elif version == "v1" and config.client_id:
        line += (
            "; found a v3 OAuth client id: for v3 set GREENHOUSE_API_VERSION=v3 "
            "(or leave it unset) with the client secret"
        )
    return line


def validate(config: GreenhouseConfig) -> dict[str, Any]:
    """Check a resolved config; return the source's validated values (names as in Settings)."""
    version = str(config.api_version).lower()
    if version not in API_VERSIONS:
        raise ConfigError(f"GREENHOUSE_API_VERSION must be one of v3, v1 (got {version!r})")
    selected = parse_resource_list(config.resources) or default_resources(version)
    known = catalogue(version)
    unknown = [name for name in selected if name not in known]
    if unknown:
        raise ConfigError(
            f"unknown resource(s) for Harvest {version}: {', '.join(unknown)}; "
            f"valid names: {', '.join(sorted(known))}"
        )
    values: dict[str, Any] = {
        "api_version": version,
        "base_url": check_url("GREENHOUSE_BASE_URL", config.base_url),
        "auth_url": check_url("GREENHOUSE_AUTH_URL", config.auth_url),
        "resources": tuple(dict.fromkeys(selected)),
        "raw_schema": raw_dataset(config),
        "settle_seconds": _non_negative("settle_seconds", config.settle_seconds),
        "lookback_seconds": _non_negative("lookback_seconds", config.lookback_seconds),
        "unreachable_seconds": _non_negative("unreachable_seconds", config.unreachable_seconds),
        "extract_workers": _at_least_one("workers", config.workers),
        "skip_forbidden": bool(config.skip_forbidden),
        "sweep_deletes_every": _non_negative("sweep_deletes_every", config.sweep_deletes_every),
        "sweep_deletes_max_share": _share(
            "sweep_deletes_max_share", float(config.sweep_deletes_max_share)
        ),
    }
    found = credentials_elsewhere(config)
    for name, (value, _where) in found.items():
        setattr(config, name, value)
    if version == "v3":
        for name, what in (("client_id", "OAuth client id"), ("client_secret", "OAuth secret")):
            if not getattr(config, name):
                raise ConfigError(missing_credential(version, name, what, config, found))
        values.update(
            client_id=Secret(config.client_id),
            client_secret=Secret(config.client_secret),
            user_id=config.user_id or None,
        )
    else:
        if not config.api_token:
            raise ConfigError(missing_credential(version, "api_token", "API key", config, found))
        values["api_token"] = Secret(config.api_token)
    return values


def load_settings(
    *,
    resources: str | None = None,
    full_refresh: bool = False,
    skip_forbidden: bool = False,
    force: bool = False,
) -> Settings:
    """Resolve and validate everything a run needs; raise ``ConfigError`` on the first problem."""
    dest = resolve_dest()
    config = resolve_source_config(
        resources=parse_resource_list(resources), skip_forbidden=skip_forbidden or None
    )
    return Settings(
        dest=dest,
        duckdb_path=os.environ.get("DUCKDB_PATH") or DEFAULT_DUCKDB_PATH,
        pipelines_dir=os.environ.get("GREENHOUSE_PIPELINES_DIR") or None,
        full_refresh=full_refresh,
        sweep_force=force,
        **validate(config),
    )
