"""One request per endpoint (``per_page=1``): may these credentials read it?

Used before a run with ``--skip-forbidden`` (a replace-each-run table whose endpoint answers 403
must be left out of the run, or dlt would empty it) and by ``elt check``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from extract.endpoints import Endpoint
from extract.errors import ExtractError, ForbiddenEndpointError, RequestRejectedError
from extract.source import HttpContext, response_checker

Status = Literal["ok", "forbidden", "not_found", "error"]


@dataclass(frozen=True)
class ProbeResult:
    endpoint: str
    status: Status
    detail: str = ""
    empty: bool = False  # readable, and it lists nothing yet


def probe(ctx: HttpContext, endpoint: Endpoint) -> ProbeResult:
    settings = ctx.settings
    rest = ctx.rest_client()
    hooks = {"response": [response_checker(settings, endpoint)]}
    try:
        response = rest.get(endpoint.path, params={"per_page": 1}, hooks=hooks)
    except ForbiddenEndpointError as exc:
        return ProbeResult(endpoint.name, "forbidden", str(exc).split(", or rerun")[0])
    except RequestRejectedError as exc:
        status: Status = "not_found" if "HTTP 404" in str(exc) else "error"
        return ProbeResult(endpoint.name, status, str(exc))
    except ExtractError:
        raise  # rejected credentials, truncated answers: the whole run is concerned
    if response.json() == []:  # the checker let only a JSON array through
        return ProbeResult(endpoint.name, "ok", "readable; lists no records yet", empty=True)
    return ProbeResult(endpoint.name, "ok")
