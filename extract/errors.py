"""Errors a user can cause or fix, each rendered as one clear line by the CLI.

Every message says what is wrong and how to fix it, and never contains a secret: messages name
variables and endpoints, not their values.
"""

from __future__ import annotations

from typing import Any

from extract.redact import redact


class ExtractError(Exception):
    """Base class: ``str(error)`` is the line the CLI prints; ``exit_code`` its exit status.
    The message is redacted when the error is made: a body a gateway echoed, quoted in it, may
    hold the request's credentials, and the error travels (dlt's trace, summaries, history)."""

    exit_code = 1

    def __init__(self, message: object = "", *args: object) -> None:
        super().__init__(redact(str(message)), *args)


class ConfigError(ExtractError):
    """Bad or missing configuration (DEST, credentials, resource names, URLs)."""

    exit_code = 2


class ApiError(ExtractError):
    """The Harvest API answered in a way retrying cannot fix."""


class AuthenticationError(ApiError):
    """401: the credentials were rejected (after one token refresh for v3)."""


class ForbiddenEndpointError(ApiError):
    """403 on one endpoint: the credentials lack the scope/permission for it."""

    def __init__(self, endpoint: str, message: str) -> None:
        super().__init__(message)
        self.endpoint = endpoint


class RequestRejectedError(ApiError):
    """404 / 422 and other 4xx: the request itself is wrong (unknown path, invalid parameters)."""


class TruncatedResponseError(ApiError):
    """A 200 response whose JSON body did not parse (cut off in transit)."""


class HostileResponseError(ApiError):
    """A response no Harvest API sends, as proxies, captive portals and broken gateways do (a body
    that is not a list, a next link that loops, a redirect elsewhere, an unusable cursor value).
    The endpoint fails on its own: its table keeps its rows and its cursor does not move."""


class UnexpectedBodyError(HostileResponseError):
    """A 200 whose body is no JSON array (empty, HTML, an object). Retried like a truncated body."""


class PaginationLoopError(HostileResponseError):
    """The next-page links repeat a page already read, or never end."""


class ForeignLocationError(HostileResponseError):
    """A next link or a redirect pointing at another origin: refused before anything is sent."""


class BadCursorValueError(HostileResponseError):
    """A record whose cursor value is no timestamp, or lies beyond the run's window end."""


class BadKeyValueError(HostileResponseError):
    """A record whose primary key or a declared id column holds no integer (type drift): loaded,
    it would land in a variant column and leave the key NULL in raw and in every mart."""


class ObjectForTimestampError(HostileResponseError):
    """A record whose declared timestamp column holds an object or a list: dlt would flatten it
    into ``<column>__*`` columns or a child table and leave the timestamp NULL in every row,
    emptying the stage history and every funnel without an error."""


class UnreachableHostError(ApiError):
    """The first connection to a host failed (refused, unknown name, TLS): nothing answers there,
    so retrying for minutes would only delay the same answer. Deliberately not a
    ``requests`` exception: dlt's retrying ``Client`` retries only the types it was given."""

    def __init__(self, host: str, variable: str, reason: str) -> None:
        super().__init__(
            f"could not connect to {host} ({reason}); check {variable} and the network"
        )
        self.host = host
        self.variable = variable


class EndpointsFailedError(ApiError):
    """Some endpoints still failed after all retries; the others were loaded."""

    def __init__(self, failures: dict[str, str], summary: dict[str, Any] | None = None) -> None:
        self.summary = summary  # what did load, for --summary-json
        listed = "; ".join(f"{name}: {reason}" for name, reason in sorted(failures.items()))
        noun = "endpoint" if len(failures) == 1 else "endpoints"
        super().__init__(
            f"{len(failures)} {noun} failed and kept the rows and cursor of the previous load "
            f"(the other endpoints were loaded; rerun to catch up): {listed}"
        )
        self.failures = dict(failures)


class SweepFailedError(EndpointsFailedError):
    """Endpoints of a deletion sweep that marked nothing: their listing failed or could not be
    trusted (``extract.sweep.untrusted``). The other tables were swept."""

    def __init__(
        self, failures: dict[str, str], summary: dict[str, Any] | None, after_extract: bool
    ) -> None:
        super().__init__(failures, summary)
        listed = "; ".join(f"{name}: {reason}" for name, reason in sorted(failures.items()))
        noun = "endpoint" if len(failures) == 1 else "endpoints"
        others = "the extract loaded, " if after_extract else ""
        self.args = (
            f"deletion sweep: {len(failures)} {noun} marked nothing ({others}the other tables "
            f"were swept): {listed}",
        )


class EndpointsNotExtractedError(ApiError):
    """The source used alone (``pipeline.run(greenhouse())``): some endpoints failed after all
    retries. Raised once the other endpoints have been read, so it names every failure; dlt
    then fails its extract step, which loads nothing of the run and moves no cursor."""

    def __init__(self, failures: dict[str, str]) -> None:
        listed = "; ".join(f"{name}: {reason}" for name, reason in sorted(failures.items()))
        noun = "endpoint" if len(failures) == 1 else "endpoints"
        super().__init__(
            f"{len(failures)} Greenhouse {noun} failed after all retries ({listed}); dlt loads "
            "nothing of this extract and moves no cursor: run again, or leave the failing "
            "endpoint out with greenhouse(resources=[...]) to load the others"
        )
        self.failures = dict(failures)
