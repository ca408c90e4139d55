"""The dlt source: one resource per Harvest endpoint, read page by page with dlt's RESTClient.

- Pagination: ``Link: rel="next"`` followed exactly (``SameOriginLinkPaginator``), ``per_page=500``.
- Incremental endpoints: ``dlt.sources.incremental`` on ``updated_at`` (v1 applications:
  ``last_activity_at``), merged on ``id``. Each run reads one closed window
  ``[last cursor - lookback, now - settle]``; v3 sorts by id descending, so the window — never an
  "old cursor" early stop — bounds the read. Cursor state is stored by dlt in the dataset with
  the load and restored from there at the start of every run (extract/pipeline.py), so a killed
  run is simply repeated.
- Reference endpoints: read completely, then replaced.
- One endpoint failing after all retries (a persistent 5xx, timeouts, an unexpected 404) does not
  sink the run: the resource records the failure in ``Progress.failed`` and ends; its table keeps
  its earlier rows and its cursor stays where it was (see ``_make_resource``); the other
  endpoints are read. Used alone (``pipeline.run(greenhouse())``), the resource that ends last
  then raises ``EndpointsNotExtractedError`` naming every failed endpoint, and dlt fails its
  extract step; the CLI's runner (extract/pipeline.py) turns that off, loads the others and
  reports the failed ones afterwards.
- A record listed twice in one read lands once, as its last copy (``last_copies`` for the
  reference endpoints, dlt's ``dedup_sort`` on the cursor for merged ones).
- Hostile responses (a proxy, a captive portal, a broken gateway) fail their endpoint the same
  way: a 200 that is no JSON array (retried first), a redirect or next link to another origin, a
  next link to a page already read, and a cursor value that is no timestamp or lies past the
  window end (that record is not loaded). A stored cursor of that kind is dropped when dlt
  binds it (``repair_bound_cursor``) and its endpoint read completely. A primary key or declared
  id column that holds no integer fails its endpoint too (``check_keys``): dlt would keep the
  value in a variant column and leave the key NULL; other columns of an unexpected type are
  kept in dlt's variant columns and reported after the load (extract/pipeline.py).
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

import copy
import functools
import json
import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources as package_files
from typing import Any, cast
from urllib.parse import urljoin, urlsplit

import dlt
from dlt.common.data_types import TDataType
from dlt.common.schema.typing import TTableSchemaColumns
from dlt.extract.hints import make_nested_hints
from dlt.extract.resource import DltResource
from dlt.sources.helpers.requests import Client
from dlt.sources.helpers.rest_client import RESTClient
from requests import Response, Session
from requests.exceptions import (
    ChunkedEncodingError,
    ConnectionError,
    HTTPError,
    RequestException,
    Timeout,
)

from extract.auth import build_auth
from extract.endpoints import Endpoint, catalogue
from extract.errors import (
    AuthenticationError,
    BadCursorValueError,
    BadKeyValueError,
    EndpointsNotExtractedError,
    ExtractError,
    ForbiddenEndpointError,
    ForeignLocationError,
    HostileResponseError,
    ObjectForTimestampError,
    RequestRejectedError,
    TruncatedResponseError,
    UnexpectedBodyError,
)
from extract.nul import NulReport, may_hold_nul, strip_nul
from extract.pagination import SameOriginLinkPaginator, last_page_number
from extract.settings import PER_PAGE, GreenhouseConfig, Settings, validate
from extract.throttle import RateLimiter, RequestStats, ThrottledAdapter, connect_failure

SOURCE_NAME = "greenhouse"


@dataclass
class Progress:
    """Records read per resource and endpoints skipped, shared by all extraction threads."""

    records: dict[str, int] = field(default_factory=dict)
    pages: int = 0
    skipped: dict[str, str] = field(default_factory=dict)
    windows: dict[str, dict[str, str | None]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # endpoint -> why, after all retries
    pages_read: dict[str, int] = field(default_factory=dict)  # per resource
    last_page: dict[str, int] = field(default_factory=dict)  # v1's rel="last", when sent
    done: set[str] = field(default_factory=set)  # read to the last page
    held_back: dict[str, int] = field(default_factory=dict)  # past the window end: next run
    nul: NulReport = field(default_factory=NulReport)  # NUL characters removed
    ended: set[str] = field(default_factory=set)  # resources whose generator has ended
    repaired: dict[str, str] = field(default_factory=dict)  # endpoint -> stored cursor dropped
    raised: bool = False  # the failures were raised (the source used alone)
    duplicates: dict[str, int] = field(default_factory=dict)  # copies of a repeated id left out
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, resource: str, count: int, last_page: int | None = None) -> None:
        with self._lock:
            self.records[resource] = self.records.get(resource, 0) + count
            self.pages += 1
            self.pages_read[resource] = self.pages_read.get(resource, 0) + 1
            if last_page is not None:
                self.last_page[resource] = last_page

    def finish(self, resource: str) -> None:
        with self._lock:
            self.done.add(resource)

    def hold(self, resource: str, count: int) -> None:
        with self._lock:
            self.held_back[resource] = self.held_back.get(resource, 0) + count

    def fail(self, resource: str, reason: str) -> None:
        with self._lock:
            self.failed[resource] = reason

    def count_duplicates(self, resource: str, copies: int) -> None:
        with self._lock:
            self.duplicates[resource] = self.duplicates.get(resource, 0) + copies

    def end(self, resource: str, selected: set[str]) -> dict[str, str]:
        """Record that a resource's generator ended; the failures to raise if it was the last
        of the selected ones to end (each failure is handed out once), else nothing."""
        with self._lock:
            self.ended.add(resource)
            if self.raised or not self.failed or not selected <= self.ended:
                return {}
            self.raised = True
            return dict(self.failed)


# What one endpoint can fail with on its own once dlt's retries are spent: the run carries on
# without it. Everything else (401, 403, a host that never answered) ends the run.
ENDPOINT_FAILURES = (
    RequestException,
    RequestRejectedError,
    TruncatedResponseError,
    HostileResponseError,
)


def failure_reason(exc: BaseException) -> str:
    """One line for the final report; names the request, never a credential."""
    if isinstance(exc, HTTPError) and exc.response is not None:
        response = exc.response
        code = response.status_code
        what = "rate limited (429)" if code == 429 else f"HTTP {code}"
        url = response.request.url if response.request is not None else None
        path = urlsplit(url or "").path or "?"
        return f"{what} on GET {path} persisted after all retries"
    if isinstance(exc, ExtractError):
        return str(exc)
    if isinstance(exc, Timeout):
        request = exc.request
        path = urlsplit(getattr(request, "url", None) or "").path or "?"
        return (
            f"no answer within {request_timeout():g}s on GET {path} ({type(exc).__name__}) "
            "after all retries; raise GREENHOUSE_REQUEST_TIMEOUT (seconds per request) "
            "or check the network"
        )
    if isinstance(exc, ConnectionError):
        url = getattr(exc.request, "url", None)
        host = urlsplit(url or "").netloc
        why = connect_failure(exc) or "connection lost"
        return (
            f"could not connect to {host} ({why}) after all retries"
            if host
            else (f"{type(exc).__name__} ({why}) after all retries")
        )
    return f"{type(exc).__name__} after all retries"


def request_timeout() -> float:
    """The per-request timeout in seconds, as dlt's retrying ``Client`` resolves it
    (``runtime.request_timeout``, set by GREENHOUSE_REQUEST_TIMEOUT)."""
    from dlt.common.configuration import resolve_configuration
    from dlt.common.configuration.specs import RuntimeConfiguration

    return float(resolve_configuration(RuntimeConfiguration()).request_timeout)


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
    # Used alone, the source raises on a failed endpoint once the others are read; a caller
    # that loads the others first and then reports the failures itself turns this off.
    raise_failures: bool = True
    log: Callable[[str], None] = field(default=logging.getLogger(__name__).warning)

    @classmethod
    def create(cls, settings: Settings) -> HttpContext:
        stats = RequestStats()
        limiter = RateLimiter(stats)
        client = Client(
            raise_for_status=False,
            exceptions=(
                ConnectionError,
                Timeout,
                ChunkedEncodingError,
                TruncatedResponseError,
                UnexpectedBodyError,  # an empty or HTML 200 is as transient as a cut-off one
            ),
        )
        client.configure()  # timeout and retry policy: dlt's runtime.request_* settings
        adapter = ThrottledAdapter(
            limiter,
            stats,
            unreachable_seconds=settings.unreachable_seconds,
            pool_connections=4,
            pool_maxsize=max(8, settings.extract_workers * 2),
        )
        return cls(settings, stats, limiter, client, adapter, build_auth(settings), Progress())

    def rest_client(self) -> RESTClient:
        """dlt's REST client for the API root, on this thread's throttled session; next links
        to another host are refused (``SameOriginLinkPaginator``)."""
        return RESTClient(
            base_url=f"{self.settings.base_url}/{self.settings.api_version}",
            auth=self.auth,
            session=self.session(),
            paginator=SameOriginLinkPaginator(self.settings.base_url),
            data_selector="$",
        )

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


def declared_columns(endpoint: Endpoint, version: str) -> TTableSchemaColumns:
    """The columns dlt creates for an endpoint's table, declared types first."""
    types: dict[str, str] = dict(column_types(version).get(endpoint.name, {}))
    for name in endpoint.json_columns:
        types[name] = "json"
    types[endpoint.primary_key] = "bigint"
    columns: TTableSchemaColumns = {
        name: {
            "name": name,
            "data_type": cast(TDataType, data_type),  # dlt type names, from column_types/json
            "nullable": name != endpoint.primary_key,
        }
        for name, data_type in types.items()
    }
    if endpoint.cursor:
        # A record listed twice in one read (pages shifted by a change between two requests):
        # dlt's merge keeps the copy with the latest cursor value, the fresher one.
        columns.setdefault(endpoint.cursor, {"name": endpoint.cursor})["dedup_sort"] = "desc"
    return columns


def last_copies(
    pages: list[list[dict[str, Any]]], key: str
) -> tuple[list[list[dict[str, Any]]], int]:
    """The pages of a completely read endpoint with only the last copy of each key (the API
    can list a record twice when a change shifts the pages between two requests; the later
    copy is the fresher one), and how many copies were left out."""
    last = {
        record.get(key): (p, i) for p, page in enumerate(pages) for i, record in enumerate(page)
    }
    kept = [
        [r for i, r in enumerate(page) if r.get(key) is None or last[r.get(key)] == (p, i)]
        for p, page in enumerate(pages)
    ]
    return [page for page in kept if page], sum(map(len, pages)) - sum(map(len, kept))


def key_columns(endpoint: Endpoint, version: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The columns that must hold an integer: the primary key and every column the catalogue
    declares as a bigint ``id`` / ``*_id``, each with its path in the record (``a__b`` is the
    flattened ``record["a"]["b"]``)."""
    declared = column_types(version).get(endpoint.name, {})
    names = [endpoint.primary_key] + [
        name
        for name, data_type in declared.items()
        if data_type == "bigint"
        and (name == "id" or name.endswith("_id"))
        and name != endpoint.primary_key
    ]
    return tuple((name, tuple(name.split("__"))) for name in names)


def _key_value(record: dict[str, Any], path: tuple[str, ...]) -> tuple[dict[str, Any], str] | None:
    """The dict holding the field at ``path`` and the field's name, or None if it is absent."""
    holder: Any = record
    for part in path[:-1]:
        holder = holder.get(part) if isinstance(holder, dict) else None
    return (holder, path[-1]) if isinstance(holder, dict) and path[-1] in holder else None


_INTEGER = re.compile(r"[+-]?[0-9]+")


def as_key(value: Any) -> int | None:
    """An id as an integer (an integer-valued string or float is coerced), or None if it is no
    integer (a bool is none either, although Python counts it as one)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value)
    return None


def check_keys(
    endpoint: Endpoint, keys: tuple[tuple[str, tuple[str, ...]], ...], page: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], str | None]:
    """The records of a page up to the first one with a key that holds no integer (coerced
    in place where the value is an integer-valued string), and why that record is refused."""
    primary = endpoint.primary_key
    for index, record in enumerate(page):
        for name, path in keys:
            found = _key_value(record, path)
            if found is None:
                if name != primary:
                    continue  # an absent id column is NULL, as the API sends it
                holder, field_name, value = record, primary, None
            else:
                holder, field_name = found
                value = holder[field_name]
                if value is None and name != primary:
                    continue
            key = as_key(value)
            if key is not None:
                holder[field_name] = key
                continue
            shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "..."
            return page[:index], (
                f"record id {record.get(primary)!r} has {name} {shown}, which is not an "
                "integer id; not loaded, cursor not moved"
            )
    return page, None


def timestamp_columns(endpoint: Endpoint, version: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The declared timestamp columns of an endpoint, each with its path in the record: the
    times the marts are computed from."""
    declared = column_types(version).get(endpoint.name, {})
    return tuple(
        (name, tuple(name.split("__"))) for name, kind in declared.items() if kind == "timestamp"
    )


def check_timestamps(
    endpoint: Endpoint, columns: tuple[tuple[str, tuple[str, ...]], ...], page: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], str | None]:
    """The records of a page up to the first one with a declared timestamp served as an object
    or a list (``{"date_time": ...}``), and why that record is refused. Other scalar columns
    served so are loaded and reported after the load (extract/pipeline.py)."""
    flat = [name for name, path in columns if len(path) == 1]  # the hot path: a dict lookup
    nested = [(name, path) for name, path in columns if len(path) > 1]
    for index, record in enumerate(page):
        for name in flat:
            value = record.get(name)
            if type(value) is dict or type(value) is list:
                return page[:index], _not_a_timestamp(endpoint, record, name, value)
        for name, path in nested:
            found = _key_value(record, path)
            if found is not None and isinstance(found[0][found[1]], dict | list):
                return page[:index], _not_a_timestamp(endpoint, record, name, found[0][found[1]])
    return page, None


def _not_a_timestamp(endpoint: Endpoint, record: dict[str, Any], name: str, value: Any) -> str:
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "..."
    what = "an object" if isinstance(value, dict) else "a list"
    return (
        f"record id {record.get(endpoint.primary_key)!r} has {name} {shown}, "
        f"{what} where a timestamp is declared; not loaded, cursor not moved"
    )


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


def response_checker(
    settings: Settings, endpoint: Endpoint, stats: RequestStats | None = None
) -> Callable[..., None]:
    """Turn the errors a user can fix into one-line exceptions; let dlt retry the rest."""
    version = settings.api_version

    origin = _origin(settings.base_url)

    def check(response: Response, *args: Any, **kwargs: Any) -> None:
        code = response.status_code
        request = f"GET /{version}/{endpoint.path}"
        if response.is_redirect:
            # requests follows redirects inside Session.send, after this hook: refuse one to
            # another origin here, like a foreign next link (it would load a foreign body).
            location = urljoin(response.url, response.headers.get("Location", ""))
            if _origin(location) != origin:
                raise ForeignLocationError(
                    f"{request} was redirected (HTTP {code}) to another host "
                    f"({urlsplit(location).netloc or '?'}); refusing to follow"
                )
            return
        if code == 200:
            problem = _not_a_list(response)
            if problem:
                if stats is not None:
                    stats.add(retried_errors=1)  # dlt's Client retries it, as a truncated body
                raise UnexpectedBodyError(f"{request} answered 200 with {problem}")
            return
        if code < 400:
            return
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


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


# What an error message may quote of a body it could not use: enough to recognise a portal's
# login page or a gateway's JSON, never a record.
BODY_EXCERPT_BYTES = 60
_JSON_TYPES = {dict: "object", str: "string", int: "number", float: "number", bool: "boolean"}


def _not_a_list(response: Response) -> str | None:
    """Why a 200 body is no JSON array (every Harvest list is one), or None if it is one.

    An empty body, a proxy's HTML page or a JSON object would otherwise read as "no records",
    and a reference table replaced with that is emptied."""
    try:
        body = response.json()  # parsed once by ThrottledAdapter when the type says JSON
    except ValueError:
        body = ValueError
    if isinstance(body, list):
        return None
    content = response.content or b""
    if not content.strip():
        return "an empty body, not a JSON array"
    content_type = response.headers.get("Content-Type", "?").split(";")[0].strip()
    if body is ValueError:
        what = f"a {content_type} body"
    else:
        what = f"a JSON {_JSON_TYPES.get(type(body), 'value')}"
    excerpt = " ".join(content[:BODY_EXCERPT_BYTES].decode("utf-8", "replace").split())
    more = "..." if len(content) > BODY_EXCERPT_BYTES else ""
    return f"{what}, not a JSON array ({len(content)} bytes: {excerpt!r}{more})"


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
    rest = ctx.rest_client()
    check = response_checker(settings, endpoint, ctx.stats)
    keys = key_columns(endpoint, settings.api_version)
    stamps = timestamp_columns(endpoint, settings.api_version)
    yielded = False
    try:
        for page in rest.paginate(
            endpoint.path, params={"per_page": PER_PAGE, **params}, hooks={"response": [check]}
        ):
            ctx.progress.add(endpoint.name, len(page), last_page_number(page.response))
            yielded = True
            if may_hold_nul(page.response.content):  # PostgreSQL would refuse the whole load
                strip_nul(endpoint.name, endpoint.primary_key, page, ctx.progress.nul)
            good, problem = check_keys(endpoint, keys, list(page))
            error: type[HostileResponseError] = BadKeyValueError
            if not problem:
                good, problem = check_timestamps(endpoint, stamps, good)
                error = ObjectForTimestampError
            if good:
                yield good
            if problem:
                raise error(f"GET /{settings.api_version}/{endpoint.path}: {problem}")
        ctx.progress.finish(endpoint.name)
    except ForbiddenEndpointError as exc:
        # Skipping is only safe before any page landed: a half-read endpoint is a failure. A
        # reference table is never skipped here: "replace" with no rows would empty its table,
        # so the pipeline probes those endpoints first and leaves forbidden ones out.
        if settings.skip_forbidden and not yielded and endpoint.kind == "incremental":
            ctx.progress.skipped[endpoint.name] = str(exc).split(", or rerun")[0]
            return
        raise


# How far past the local clock a cursor value may lie on an endpoint the window does not bound
# from above (v1 applications: no last_activity_before), for a server clock a little ahead.
CLOCK_SKEW = timedelta(hours=1)


def parse_cursor(value: Any) -> datetime | None:
    """A cursor value as an aware datetime (naive ones are UTC), or None if it is no timestamp."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def cursor_problem(value: Any, limit: datetime, bound: str = "the window end") -> str | None:
    """Why a cursor value must not be used (not a timestamp, after ``limit``), or None."""
    parsed = parse_cursor(value)
    if parsed is None:
        return "is not a timestamp"
    if parsed > limit:
        return f"lies after {bound} {_utc(limit)}"
    return None


def _checked_page(
    endpoint: Endpoint, page: list[dict[str, Any]], limit: datetime, bound: str
) -> tuple[list[dict[str, Any]], str | None]:
    """The records of a page whose cursor values may move the cursor, and why the others
    may not (a bad value stored as the cursor would break or silently empty every later run)."""
    field_name = endpoint.cursor
    assert field_name is not None
    good, bad = [], []
    for record in page:
        value = record.get(field_name)
        problem = None if value is None else cursor_problem(value, limit, bound)
        if problem is None:
            good.append(record)
        else:
            bad.append((record.get(endpoint.primary_key), value, problem))
    if not bad:
        return good, None
    record_id, value, problem = bad[0]
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "..."
    others = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
    return good, (
        f"record id {record_id} has {field_name} {shown}, which {problem}{others}; "
        "not loaded, cursor not moved"
    )


def _hold_back(
    progress: Progress, endpoint: Endpoint, page: list[dict[str, Any]], window_end: datetime
) -> list[dict[str, Any]]:
    """The records of a page whose cursor value is inside the window, for an endpoint the API
    cannot bound from above (v1 applications). The others changed after the window end: the
    records they refer to (a new candidate, a job) are not read yet, so they are left for the
    next run, which reads them from the cursor on; not yielded, they cannot move the cursor."""
    field_name = endpoint.cursor
    assert field_name is not None
    kept = []
    for record in page:
        value = record.get(field_name)
        parsed = None if value is None else parse_cursor(value)
        if parsed is None or parsed <= window_end:
            kept.append(record)
    if len(kept) < len(page):
        progress.hold(endpoint.name, len(page) - len(kept))
    return kept


def _stored_cursor_problem(name: str, cursor_path: str, value: Any) -> str | None:
    """The log line for a stored cursor that must be dropped, or None if it can stay."""
    limit = datetime.now(UTC) + CLOCK_SKEW
    problem = None if value is None else cursor_problem(value, limit, "an hour from now,")
    if problem is None:
        return None
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "..."
    return (
        f"[extract] {name}: the stored cursor {cursor_path} {shown} {problem}; "
        f"it is dropped and {name} is read completely this run"
    )


def repair_stored_cursors(
    pipeline: Any, resources: Sequence[str], log: Callable[[str], None]
) -> list[str]:
    """Drop stored cursors that are no timestamp or lie in the future (a run of an older
    version, a hostile proxy): dlt would fail on every run (``could not convert string to
    float``) or read an empty, inverted window forever. Such an endpoint is read completely
    this run, which is also what repairs it. Returns the repaired resources. The source does
    the same for itself when dlt binds each cursor (``repair_bound_cursor``); this is for a
    caller that wants to know before the run (which endpoints have a usable cursor)."""
    repaired = []
    with pipeline.managed_state() as state:
        stored = state.get("sources", {}).get(SOURCE_NAME, {}).get("resources", {})
        for name in resources:
            for cursor_path, incremental in (stored.get(name, {}).get("incremental") or {}).items():
                value = incremental.get("last_value") if isinstance(incremental, dict) else None
                line = _stored_cursor_problem(name, cursor_path, value)
                if line is None:
                    continue
                log(line)
                del stored[name]["incremental"]
                repaired.append(name)
                break
    return repaired


def repair_bound_cursor(resource: str, cursor_path: str) -> str | None:
    """Drop the stored cursor of a resource that dlt is binding when it is no timestamp or lies
    in the future (see ``repair_stored_cursors``); the log line, or None if it was kept. dlt
    reads the stored value when it binds the cursor, before the resource runs, and fails there
    on such a value, so the check belongs to binding (``_repairing_incremental``). The drop is
    written to the run's state like any cursor change."""
    state = dlt.sources.incremental._get_state(resource, cursor_path)
    line = _stored_cursor_problem(resource, cursor_path, state.get("last_value"))
    if line is not None:
        # dlt writes a fresh state (initial value, no hashes) on bind
        cast(dict[str, Any], state).clear()
    return line


def _replace_when_read(item: Any) -> str:
    """The write disposition of a reference table, given as a function of the item on purpose:
    dlt truncates a "replace" table whose resource yielded nothing (it writes an empty file for
    it) unless the disposition is dynamic. A reference endpoint that failed yields nothing, so
    its table keeps the rows of the last load; one that was read is replaced as usual."""
    return "replace"


def _table_of(name: str, item: Any) -> str:
    return name


def _restore(state: dict[str, Any], saved: dict[str, Any]) -> None:
    state.clear()
    state.update(copy.deepcopy(saved))


def _repairing_incremental(ctx: HttpContext) -> type[dlt.sources.incremental[str]]:
    """dlt's incremental, which repairs the stored cursor when bound and tells ``ctx`` so. A
    class per context, not an attribute: dlt copies an incremental by its class; and derived
    from ``incremental[str]`` directly: dlt reads the cursor type from the first base."""

    class Repairing(dlt.sources.incremental[str]):
        def bind(self, pipe: Any) -> Any:
            line = repair_bound_cursor(pipe.name, self.cursor_path)
            if line is not None:
                ctx.progress.repaired[pipe.name] = line
                ctx.log(line)
            return super().bind(pipe)

    return Repairing


def _selected_resources(fallback: set[str]) -> set[str]:
    """The names of the resources dlt extracts now (a caller may have narrowed the source with
    ``with_resources``); ``fallback`` where dlt cannot say."""
    try:
        return set(dlt.current.source().resources.selected)
    except Exception:  # noqa: BLE001 - no source being extracted: the resources we made
        return fallback


def _ending(
    ctx: HttpContext, name: str, func: Callable[..., Iterator[Any]]
) -> Callable[..., Iterator[Any]]:
    """``func``, which after its last page records that this endpoint ended; the resource that
    ends last raises the failures of every endpoint (the source used alone), so one failing
    endpoint neither stops the others mid-read nor passes in silence."""

    @functools.wraps(func)  # dlt reads the incremental argument from the signature
    def ending(*args: Any, **kwargs: Any) -> Iterator[Any]:
        yield from func(*args, **kwargs)
        if not ctx.raise_failures:
            return
        failed = ctx.progress.end(name, _selected_resources(set(ctx.settings.resources)))
        if failed:
            raise EndpointsNotExtractedError(failed)

    return ending


def _make_resource(ctx: HttpContext, endpoint: Endpoint) -> DltResource:
    settings = ctx.settings
    # the incremental state of this run and a copy of it as it was before the first page
    cursor_state: dict[str, dict[str, Any]] = {}

    if endpoint.kind == "reference":

        def reference() -> Iterator[list[dict[str, Any]]]:
            # Read completely before yielding (reference endpoints are small): a failure after
            # some pages must not replace the table with a partial copy.
            try:
                pages = list(_pages(ctx, endpoint, {}))
            except ENDPOINT_FAILURES as exc:
                ctx.progress.fail(endpoint.name, failure_reason(exc))
                return
            pages, dropped = last_copies(pages, endpoint.primary_key)
            if dropped:
                ctx.progress.count_duplicates(endpoint.name, dropped)
            yield from pages

        func: Callable[..., Iterator[Any]] = reference
        disposition: Any = _replace_when_read
        table_name: Any = functools.partial(_table_of, endpoint.name)  # dlt: both dynamic
    else:
        assert endpoint.cursor is not None  # every incremental endpoint names its cursor
        cursor_field: str = endpoint.cursor
        repairing = _repairing_incremental(ctx)

        def incremental(
            cursor: dlt.sources.incremental[str] = repairing(  # noqa: B008
                cursor_field,
                lag=settings.lookback_seconds or None,
                on_cursor_value_missing="include",
                range_start="closed",
            ),
        ) -> Iterator[list[dict[str, Any]]]:
            state = cast(dict[str, Any], cursor.get_state())  # the live dict dlt will store
            cursor_state["live"], cursor_state["saved"] = state, copy.deepcopy(dict(state))
            end = _utc(datetime.now(UTC) - timedelta(seconds=settings.settle_seconds))
            # Cursor values past the window end (as sent: milliseconds) cannot come from the
            # API when it filters by it. v1 applications have no upper filter: the window end
            # is applied here (records past it wait for the next run, see _hold_back) and only
            # values past the clock are refused.
            window_end = datetime.fromisoformat(end)
            bounded = settings.api_version == "v3" or endpoint.before_param is not None
            request = f"GET /{settings.api_version}/{endpoint.path}"
            start = cursor.start_value
            if isinstance(start, datetime):
                start = _utc(start)
            ctx.progress.windows[endpoint.name] = {"from": start, "to": end}
            try:
                for page in _pages(ctx, endpoint, _window_params(settings, endpoint, start, end)):
                    if bounded:
                        good, problem = _checked_page(endpoint, page, window_end, "the window end")
                    else:
                        limit = datetime.now(UTC) + CLOCK_SKEW
                        good, problem = _checked_page(endpoint, page, limit, "an hour from now,")
                        good = _hold_back(ctx.progress, endpoint, good, window_end)
                    if good:
                        yield good
                    if problem:
                        raise BadCursorValueError(f"{request}: {problem}")
            except ENDPOINT_FAILURES as exc:
                # Stopped half-way: the pages read so far are merged (they are current), but
                # the cursor must not move: v3 pages come in id order, not updated_at order, so
                # the highest updated_at seen may be past records that were never read.
                ctx.progress.fail(endpoint.name, failure_reason(exc))
                _restore(state, cursor_state["saved"])

        func = incremental
        disposition = "merge"
        table_name = endpoint.name

    resource = dlt.resource(
        _ending(ctx, endpoint.name, func),
        name=endpoint.name,
        table_name=table_name,
        write_disposition=disposition,
        primary_key=endpoint.primary_key,
        columns=declared_columns(endpoint, settings.api_version),
        nested_hints=_nested_hints(endpoint),
        parallelized=True,
    )
    if endpoint.kind != "reference":

        def keep_cursor(items: Any, meta: Any = None) -> Any:
            """After the incremental step: a page that dlt processes only after the failure
            was recorded (parallel extraction) must not move the cursor either."""
            if endpoint.name in ctx.progress.failed and cursor_state:
                _restore(cursor_state["live"], cursor_state["saved"])
            return items

        resource.add_step(keep_cursor)
    return resource


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
