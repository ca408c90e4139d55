"""Link-header pagination that follows ``rel="next"`` exactly (v3's cursor-only rule).

dlt's ``HeaderLinkPaginator`` already replaces the request URL with the next link and drops the
first request's parameters (v3 answers 422 if anything but the cursor is sent again). The subclass
adds the guards a hostile network needs: a next link pointing at another origin is refused
(the request carries the Harvest credentials); a next link to a page already read in this read
(a loop: it would never end) stops the endpoint, and so does a chain longer than ``MAX_PAGES``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from dlt.sources.helpers.rest_client.paginators import HeaderLinkPaginator
from requests import PreparedRequest, Response

from extract.errors import ForeignLocationError, PaginationLoopError

# Pages per endpoint and read: 10 million records at 500 per page, far beyond any organisation.
MAX_PAGES = 20_000


def last_page_number(response: Response | None) -> int | None:
    """The page number of the ``Link: rel="last"`` URL (v1 sends it on most lists; v3 never),
    or None: what the progress display counts down to."""
    if response is None:
        return None
    url = response.links.get("last", {}).get("url")
    pages = parse_qs(urlsplit(url).query).get("page") if url else None
    try:
        return int(pages[0]) if pages else None
    except ValueError:
        return None


def prepared_url(url: str) -> str:
    """The URL as requests will send it (quoting normalised), so repeats compare equal."""
    request = PreparedRequest()
    request.prepare_url(url, None)
    return request.url or url


class SameOriginLinkPaginator(HeaderLinkPaginator):
    def __init__(self, base_url: str, max_pages: int = MAX_PAGES) -> None:
        super().__init__(links_next_key="next")
        origin = urlsplit(base_url)
        self._origin = (origin.scheme, origin.netloc)
        self._max_pages = max_pages
        self._seen: set[str] = set()  # every URL fetched in this read
        self._pages = 0

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        self._pages += 1
        self._seen.add(prepared_url(response.url))
        self._seen.update(prepared_url(r.url) for r in response.history)  # redirected from
        super().update_state(response, data)
        if self._next_reference:
            absolute = urljoin(response.url, self._next_reference)
            parts = urlsplit(absolute)
            if (parts.scheme, parts.netloc) != self._origin:
                raise ForeignLocationError(
                    f"the API's next-page link points to another host ({parts.netloc}); "
                    "refusing to send credentials there"
                )
            path = urlsplit(response.url).path
            if prepared_url(absolute) in self._seen:
                raise PaginationLoopError(
                    f"the next-page link of GET {path} repeats a page already read "
                    f"(after {self._pages} pages): a loop, stopped"
                )
            if self._pages >= self._max_pages:
                raise PaginationLoopError(
                    f"GET {path} still had a next page after {self._max_pages} pages; stopped"
                )
            self._next_reference = absolute
