"""Downloader middlewares of the project.

``RedirectLoopMiddleware`` turns a redirect back to a URL already met in the
same redirect chain (A → B → A) into a :class:`RedirectLoop` error, which the
request's errback counts. Without it Scrapy's duplicate filter drops the
looping request silently and nothing tells the user.
"""

from __future__ import annotations

from urllib.parse import urljoin

from scrapy.exceptions import IgnoreRequest

from aggregator.urls import canonical_url

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class RedirectLoop(IgnoreRequest):
    """A redirect leads back to a URL already met in its own redirect chain."""


class RedirectLoopMiddleware:
    """Raise :class:`RedirectLoop` on a looping redirect, before Scrapy's
    ``RedirectMiddleware`` follows it (place it after that one, e.g. at 650)."""

    def process_response(self, request, response):
        location = response.headers.get(b"Location")
        if response.status not in REDIRECT_STATUSES or not location:
            return response
        target = canonical_url(urljoin(request.url, location.decode("latin-1")))
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target in {canonical_url(url) for url in chain}:
            raise RedirectLoop(f"redirect loop: {' -> '.join([*chain, target])}")
        return response
