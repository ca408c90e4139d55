"""The dlt source: one resource per Harvest endpoint, read page by page with dlt's RESTClient.

- Pagination: ``Link: rel="next"`` followed exactly (``SameOriginLinkPaginator``), ``per_page=500``.
- Incremental endpoints: ``dlt.sources.incremental`` on ``updated_at`` (v1 applications:
  ``last_activity_at``), merged on ``id``. Each run reads one closed window
  ``[last cursor - lookback, now - settle]``; v3 sorts by id descending, so the window — never an
  "old cursor" early stop — bounds the read. Cursor state is stored by dlt in the dataset with
  the load and restored from there at the start of every run (extract/pipeline.py), so a killed
  run is simply repeated.
- Reference endpoints: replaced on every run.
- Every request goes through one shared, thread-safe ``RateLimiter`` (see ``throttle.py``);
  resources are extracted in parallel (``parallelized=True``) within that budget.

Why resources are written here rather than declared with dlt's ``rest_api`` source: its
incremental support sends the window as separate start/end parameters, while v3 takes one
combined ``updated_at=gte|<start>|lte|<end>`` value, and a fixed ``end_value`` (now - settle)
turns a dlt incremental into a backfill that never stores its cursor. The 403 rules (skip an
endpoint only before its first page, name the scope to grant) need a response hook per endpoint
too. Everything below the resource functions is dlt's: ``RESTClient``, its Link paginator,
``dlt.sources.incremental``, the OAuth2 client-credentials auth and the retrying ``Client``.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources as package_files
from typing import Any, Literal, cast

import dlt
from dlt.common.data_types import TDataType
from dlt.common.schema.typing import TTableSchemaColumns
from dlt.extract.hints import make_nested_hints
from dlt.extract.resource import DltResource
from dlt.sources.helpers.requests import Client
from dlt.sources.helpers.rest_client import RESTClient
from requests import Response, Session
from requests.exceptions import ChunkedEncodingError, ConnectionError, Timeout

from extract.auth import build_auth
from extract.endpoints import Endpoint, catalogue
from extract.errors import (
    AuthenticationError,
    ForbiddenEndpointError,
    RequestRejectedError,
    TruncatedResponseError,
)
from extract.pagination import SameOriginLinkPaginator
from extract.settings import PER_PAGE, GreenhouseConfig, Settings, validate
from extract.throttle import RateLimiter, RequestStats, ThrottledAdapter

SOURCE_NAME = "greenhouse"


@dataclass
class Progress:
    """Records read per resource and endpoints skipped, shared by all extraction threads."""

    records: dict[str, int] = field(default_factory=dict)
    pages: int = 0
    skipped: dict[str, str] = field(default_factory=dict)
    windows: dict[str, dict[str, str | None]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, resource: str, count: int) -> None:
        with self._lock:
            self.records[resource] = self.records.get(resource, 0) + count
            self.pages += 1


@dataclass
class HttpContext:
    """Everything the resources share: one retrying client, one limiter, one auth, counters."""

    settings: Settings
    stats: RequestStats
    limiter: RateLimiter
    client: Client
    adapter: ThrottledAdapter
    auth: Any
    progress: Progress

    @classmethod
    def create(cls, settings: Settings) -> HttpContext:
        stats = RequestStats()
        limiter = RateLimiter(stats)
        client = Client(
            raise_for_status=False,
            exceptions=(ConnectionError, Timeout, ChunkedEncodingError, TruncatedResponseError),
        )
        client.configure()  # timeout and retry policy: dlt's runtime.request_* settings
        adapter = ThrottledAdapter(
            limiter, stats, pool_connections=4, pool_maxsize=max(8, settings.extract_workers * 2)
        )
        return cls(settings, stats, limiter, client, adapter, build_auth(settings), Progress())

    def session(self) -> Session:
        """This thread's retrying session (dlt's Client keeps one per thread), throttled."""
        session = self.client.session
        session.mount("https://", self.adapter)
        session.mount("http://", self.adapter)
        return session


@functools.cache
def column_types(version: str) -> dict[str, dict[str, str]]:
    """Declared column types per table (extract/v3_columns.json, extract/v1_columns.json)."""
    text = package_files.files("extract").joinpath(f"{version}_columns.json").read_text()
    return json.loads(text)["tables"]


def _columns(endpoint: Endpoint, version: str) -> TTableSchemaColumns:
    types: dict[str, str] = dict(column_types(version).get(endpoint.name, {}))
    for name in endpoint.json_columns:
        types[name] = "json"
    types[endpoint.primary_key] = "bigint"
    return {
        name: {
            "name": name,
            "data_type": cast(TDataType, data_type),  # dlt type names, from column_types/json
            "nullable": name != endpoint.primary_key,
        }
        for name, data_type in types.items()
    }


def _nested_hints(endpoint: Endpoint) -> Any:
    if not endpoint.nested_json:
        return None
    return {
        path: make_nested_hints(columns={c: {"name": c, "data_type": "json"} for c in columns})
        for path, columns in endpoint.nested_json
    }


def _api_message(response: Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        parts = [str(body.get("message", ""))]
        for error in body.get("errors") or []:
            if isinstance(error, dict):
                parts.append(f"{error.get('field', '')}: {error.get('message', '')}".strip(": "))
        text = "; ".join(p for p in parts if p)
        return f" ({text[:300]})" if text else ""
    return ""


def response_checker(settings: Settings, endpoint: Endpoint) -> Callable[..., None]:
    """Turn the errors a user can fix into one-line exceptions; let dlt retry the rest."""
    version = settings.api_version

    def check(response: Response, *args: Any, **kwargs: Any) -> None:
        code = response.status_code
        if code < 400:
            return
        request = f"GET /{version}/{endpoint.path}"
        if code == 401:
            variables = (
                "GREENHOUSE_CLIENT_ID / GREENHOUSE_CLIENT_SECRET"
                if version == "v3"
                else "GREENHOUSE_API_TOKEN"
            )
            raise AuthenticationError(
                f"HTTP 401 on {request}: the credentials were rejected; check {variables}"
            )
        if code == 403:
            if version == "v3":
                fix = f"grant the scope harvest:{endpoint.path}:list to the API credentials"
            else:
                fix = f"allow GET {endpoint.path} on the API key (Dev Center > API Credentials)"
            raise ForbiddenEndpointError(
                endpoint.name,
                f"HTTP 403 on {request}: no permission for endpoint '{endpoint.name}'; {fix}, "
                "or rerun with --skip-forbidden to load the other endpoints",
            )
        if code == 429 or code >= 500:
            response.raise_for_status()  # HTTPError: dlt's retry policy waits and tries again
        url = response.request.url or request
        raise RequestRejectedError(
            f"HTTP {code} on GET {url}{_api_message(response)}: "
            + ("check GREENHOUSE_BASE_URL" if code == 404 else "the API refused this request")
        )

    return check


def _utc(dt: datetime) -> str:
    """ISO-8601 UTC with milliseconds, the API's own precision (whole seconds would cut off
    records changed in the current second from a window ending now)."""
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _window_params(
    settings: Settings, endpoint: Endpoint, start: str | None, end: str
) -> dict[str, Any]:
    if settings.api_version == "v3":
        bound = f"gte|{start}|lte|{end}" if start else f"lte|{end}"
        return {"updated_at": bound}
    params: dict[str, Any] = {}
    if start and endpoint.after_param:
        params[endpoint.after_param] = start
    if endpoint.before_param:
        params[endpoint.before_param] = end
    return params


def _pages(
    ctx: HttpContext, endpoint: Endpoint, params: dict[str, Any]
) -> Iterator[list[dict[str, Any]]]:
    """Every page of one endpoint, streamed; ``per_page=500`` on the first request only."""
    settings = ctx.settings
    rest = RESTClient(
        base_url=f"{settings.base_url}/{settings.api_version}",
        auth=ctx.auth,
        session=ctx.session(),
        paginator=SameOriginLinkPaginator(settings.base_url),
        data_selector="$",
    )
    check = response_checker(settings, endpoint)
    yielded = False
    try:
        for page in rest.paginate(
            endpoint.path, params={"per_page": PER_PAGE, **params}, hooks={"response": [check]}
        ):
            ctx.progress.add(endpoint.name, len(page))
            yielded = True
            yield list(page)
    except ForbiddenEndpointError as exc:
        # Skipping is only safe before any page landed: a half-read endpoint is a failure. A
        # reference table is never skipped here: "replace" with no rows would empty its table,
        # so the pipeline probes those endpoints first and leaves forbidden ones out.
        if settings.skip_forbidden and not yielded and endpoint.kind == "incremental":
            ctx.progress.skipped[endpoint.name] = str(exc).split(", or rerun")[0]
            return
        raise


def _make_resource(ctx: HttpContext, endpoint: Endpoint) -> DltResource:
    settings = ctx.settings

    if endpoint.kind == "reference":

        def reference() -> Iterator[list[dict[str, Any]]]:
            yield from _pages(ctx, endpoint, {})

        func: Callable[..., Iterator[Any]] = reference
        disposition: Literal["replace", "merge"] = "replace"
    else:
        assert endpoint.cursor is not None  # every incremental endpoint names its cursor
        cursor_field: str = endpoint.cursor

        def incremental(
            cursor: dlt.sources.incremental[str] = dlt.sources.incremental(  # noqa: B008
                cursor_field,
                lag=settings.lookback_seconds or None,
                on_cursor_value_missing="include",
                range_start="closed",
            ),
        ) -> Iterator[list[dict[str, Any]]]:
            end = _utc(datetime.now(UTC) - timedelta(seconds=settings.settle_seconds))
            start = cursor.start_value
            if isinstance(start, datetime):
                start = _utc(start)
            ctx.progress.windows[endpoint.name] = {"from": start, "to": end}
            yield from _pages(ctx, endpoint, _window_params(settings, endpoint, start, end))

        func = incremental
        disposition = "merge"

    return dlt.resource(
        func,
        name=endpoint.name,
        table_name=endpoint.name,
        write_disposition=disposition,
        primary_key=endpoint.primary_key,
        columns=_columns(endpoint, settings.api_version),
        nested_hints=_nested_hints(endpoint),
        parallelized=True,
    )


@dlt.source(name=SOURCE_NAME, root_key=True, spec=GreenhouseConfig)
def greenhouse(
    api_version: str = dlt.config.value,
    base_url: str = dlt.config.value,
    auth_url: str = dlt.config.value,
    client_id: str | None = dlt.secrets.value,
    client_secret: str | None = dlt.secrets.value,
    user_id: str | None = dlt.config.value,
    api_token: str | None = dlt.secrets.value,
    resources: Sequence[str] | str | None = dlt.config.value,
    settle_seconds: int = dlt.config.value,
    lookback_seconds: int = dlt.config.value,
    skip_forbidden: bool = dlt.config.value,
    http: HttpContext | None = None,
) -> Iterator[DltResource]:
    """Greenhouse Harvest (v3 or v1): one resource per endpoint of the catalogue.

    Every argument comes from dlt's configuration when not given (``[sources.greenhouse]``,
    ``SOURCES__GREENHOUSE__*``, or the short ``GREENHOUSE_*`` names; defaults in
    ``extract.settings.GreenhouseConfig``). Building the source sends no request: each resource
    reads its endpoint when dlt extracts it. ``http`` shares one client, rate budget and set of
    counters with the caller (the CLI reads them for its summary); by default the source makes
    its own.

    ``root_key``: nested tables always carry ``_dlt_root_id``, so a first load written with
    "replace" (extract/pipeline.py) and later "merge" runs share one table layout.
    """
    values = validate(
        GreenhouseConfig(
            api_version=api_version,
            base_url=base_url,
            auth_url=auth_url,
            client_id=client_id,
            client_secret=client_secret,
            user_id=user_id,
            api_token=api_token,
            resources=resources,
            settle_seconds=settle_seconds,
            lookback_seconds=lookback_seconds,
            skip_forbidden=skip_forbidden,
        )
    )
    ctx = http or HttpContext.create(
        Settings(
            dest="",
            duckdb_path="",
            pipelines_dir=None,
            full_refresh=False,
            **values,
        )
    )
    endpoints = catalogue(values["api_version"])
    for name in values["resources"]:
        yield _make_resource(ctx, endpoints[name])
