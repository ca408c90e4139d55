"""Authentication: OAuth2 client credentials for v3, HTTP Basic (token as user name) for v1.

Both are dlt's auth classes. The v3 subclass adds what Greenhouse needs and dlt lacks: the client
credentials go in a Basic header (not the form body), the optional ``sub`` (act as a user),
``expires_at`` as well as ``expires_in``, a lock so parallel resources fetch one token, and one
token refresh + re-send when the API answers 401 mid-run (a token revoked or expired early).
"""

from __future__ import annotations

import math
import sys
import threading
import time
from base64 import b64encode
from datetime import datetime
from typing import Any

import pendulum
from dlt.sources.helpers.requests import Client
from dlt.sources.helpers.rest_client.auth import HttpBasicAuth, OAuth2ClientCredentials
from requests import PreparedRequest, Response
from requests.exceptions import RequestException

from extract.errors import AuthenticationError
from extract.redact import redact, remember, remember_basic
from extract.settings import Settings
from extract.throttle import FirstContactAdapter

# Refresh this long before the advertised expiry so a request never leaves with a dying token.
EXPIRY_MARGIN_SECONDS = 60


class GreenhouseClientCredentials(OAuth2ClientCredentials):
    """dlt's OAuth2 client-credentials flow, adapted to Greenhouse Harvest v3."""

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        user_id: str | None = None,
        session: Any = None,
    ) -> None:
        super().__init__(
            access_token_url=token_url,
            client_id=client_id,
            client_secret=client_secret,
            access_token_request_data={"sub": user_id} if user_id else {},
            # A session of its own (the token host has its own limits); 5xx are retried.
            session=session if session is not None else token_session(),
        )
        self._lock = threading.Lock()
        self.token_requests = 0

    def __repr__(self) -> str:
        return f"GreenhouseClientCredentials(token_url={self.access_token_url!r})"

    __str__ = __repr__

    def build_access_token_request(self) -> dict[str, Any]:
        basic = b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        return {
            "headers": {
                "Authorization": f"Basic {basic}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            "data": {"grant_type": "client_credentials", **self.access_token_request_data},
        }

    def obtain_token(self) -> None:
        self.token_requests += 1
        try:
            response = self.session.post(self.access_token_url, **self.build_access_token_request())
        except RequestException as exc:
            raise AuthenticationError(
                f"could not reach the v3 token endpoint GREENHOUSE_AUTH_URL={self.access_token_url}"
                f" ({type(exc).__name__})"
            ) from None
        if response.status_code in (400, 401, 403):
            raise AuthenticationError(
                f"the v3 token endpoint rejected the credentials (HTTP {response.status_code}): "
                "check GREENHOUSE_CLIENT_ID and GREENHOUSE_CLIENT_SECRET"
                + (" and GREENHOUSE_USER_ID" if self.access_token_request_data else "")
            )
        if response.status_code != 200:
            raise AuthenticationError(
                f"the v3 token endpoint {self.access_token_url} answered HTTP "
                f"{response.status_code}; try again later"
            )
        try:
            payload = response.json()
            token = payload["access_token"]
        except (ValueError, KeyError, TypeError):
            raise AuthenticationError(
                f"the v3 token endpoint {self.access_token_url} returned no access_token"
            ) from None
        remember(str(token))  # an echoing gateway would show it in an error body
        self.access_token = token
        seconds = self.parse_expiration_in_seconds(payload)
        margin = min(EXPIRY_MARGIN_SECONDS, seconds / 10)  # short-lived tokens: 10% of the life
        self.token_expiry = pendulum.now().add(seconds=max(0.0, seconds - margin))

    def parse_expiration_in_seconds(self, response_json: Any) -> int:
        expires_in = response_json.get("expires_in")
        if expires_in is not None:
            try:
                seconds = float(expires_in)  # 3600, "3600", 3600.0
                if math.isfinite(seconds) and not isinstance(expires_in, bool):
                    return int(seconds)
            except (TypeError, ValueError):
                pass
            # dlt's own parser ends the run with a bare ValueError here: the token works, only
            # its lifetime is unknown, and a token that dies early is renewed on its first 401
            shown = redact(repr(expires_in))[:40]
            print(
                f"warning: the v3 token endpoint {self.access_token_url} sent expires_in={shown}, "
                f"not a number of seconds; the token is renewed after "
                f"{self.default_token_expiration}s, or sooner when the API answers 401",
                file=sys.stderr,
            )
            return self.default_token_expiration
        expires_at = response_json.get("expires_at")
        if expires_at is not None:
            try:
                at = float(expires_at)
            except (TypeError, ValueError):
                try:
                    at = datetime.fromisoformat(str(expires_at).replace("Z", "+00:00")).timestamp()
                except ValueError:
                    return self.default_token_expiration
            return int(at - time.time())
        return self.default_token_expiration

    def _token(self, stale: str | None = None) -> str:
        with self._lock:
            if (
                self.access_token is None
                or self.is_token_expired()
                or (stale is not None and self.access_token == stale)
            ):
                self.obtain_token()
            return str(self.access_token)

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token()}"
        request.register_hook("response", self._refresh_on_401)
        return request

    def _refresh_on_401(self, response: Response, **kwargs: Any) -> Response:
        """On 401, fetch a new token once and re-send (the pattern of requests' digest auth)."""
        if response.status_code != 401 or getattr(response.request, "_gh_refreshed", False):
            return response
        used = (response.request.headers.get("Authorization") or "").removeprefix("Bearer ")
        response.content  # noqa: B018 - drain so the connection can be reused
        response.close()
        retry = response.request.copy()
        retry.headers["Authorization"] = f"Bearer {self._token(stale=used)}"
        retry._gh_refreshed = True  # type: ignore[attr-defined]  # our marker, read via getattr
        new_response = response.connection.send(retry, **kwargs)
        new_response.history.append(response)
        new_response.request = retry
        return new_response


class GreenhouseBasicAuth(HttpBasicAuth):
    """dlt's HTTP Basic auth; its repr hides the token (it is the user name here)."""

    def __repr__(self) -> str:
        return "GreenhouseBasicAuth(username='***')"

    __str__ = __repr__


def token_session() -> Any:
    """A retrying session for the token endpoint, with dlt's runtime HTTP settings; a token
    host that never answered fails at once (``UnreachableHostError``) instead of being retried."""
    client = Client(raise_for_status=False)
    client.configure()  # runtime.request_timeout / _max_attempts / ... from dlt's config
    session = client.session
    adapter = FirstContactAdapter(variable="GREENHOUSE_AUTH_URL")
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def build_auth(settings: Settings) -> OAuth2ClientCredentials | HttpBasicAuth:
    if settings.api_version == "v3":
        remember(settings.client_secret)
        remember_basic(settings.client_id, settings.client_secret)  # the token request's header
        return GreenhouseClientCredentials(
            token_url=settings.auth_url,
            client_id=str(settings.client_id),
            client_secret=str(settings.client_secret),
            user_id=settings.user_id,
        )
    # v1: the API token is the user name, the password is empty.
    remember(settings.api_token)
    remember_basic(settings.api_token)
    return GreenhouseBasicAuth(username=str(settings.api_token), password="")
