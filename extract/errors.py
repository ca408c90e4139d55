"""Errors a user can cause or fix, each rendered as one clear line by the CLI.

Every message says what is wrong and how to fix it, and never contains a secret: messages name
variables and endpoints, not their values.
"""

from __future__ import annotations


class ExtractError(Exception):
    """Base class: ``str(error)`` is the line the CLI prints; ``exit_code`` its exit status."""

    exit_code = 1


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
