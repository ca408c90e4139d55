"""Link-header pagination that follows ``rel="next"`` exactly (v3's cursor-only rule).

dlt's ``HeaderLinkPaginator`` already replaces the request URL with the next link and drops the
first request's parameters (v3 answers 422 if anything but the cursor is sent again). The subclass
adds one guard: a next link pointing at another origin is refused, because the request carries the
Harvest credentials.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

from dlt.sources.helpers.rest_client.paginators import HeaderLinkPaginator
from requests import Response

from extract.errors import ApiError


class SameOriginLinkPaginator(HeaderLinkPaginator):
    def __init__(self, base_url: str) -> None:
        super().__init__(links_next_key="next")
        origin = urlsplit(base_url)
        self._origin = (origin.scheme, origin.netloc)

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        super().update_state(response, data)
        if self._next_reference:
            absolute = urljoin(response.url, self._next_reference)
            parts = urlsplit(absolute)
            if (parts.scheme, parts.netloc) != self._origin:
                raise ApiError(
                    f"the API's next-page link points to another host ({parts.netloc}); "
                    "refusing to send credentials there"
                )
            self._next_reference = absolute
