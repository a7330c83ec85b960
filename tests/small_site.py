"""A small news site on 127.0.0.1 for the scheduled-run tests (not a test module).

:class:`SmallSite` serves "The Quiet Quarter": a home page with a menu of
three sections, one listing page per section, and ``per_section`` article
pages per section at ``/news/<edition>/<section>-<n>/`` (no date in the
URL; bump :attr:`SmallSite.edition` to serve new articles, which an
incremental crawl fetches while it skips archived ones). Each
article has a headline, a byline, about 200 words of body and, while
:attr:`SmallSite.dates` is True, a ``<time datetime>``: set it to False to
serve the same articles with no date anywhere (an extraction that "breaks").
:attr:`SmallSite.delay` slows every answer down (seconds), e.g. to keep a
crawl running. Every request is logged in :attr:`SmallSite.hits` as
``(path, user_agent)``.

All text is fixture text written for these tests.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECTIONS = (("Harbour", "/category/harbour/"), ("Markets", "/category/markets/"), ("Schools", "/category/schools/"))
_WORDS = (
    "The council met on the quay to talk about the new ferry timetable and the cost of repairs to the old "
    "sea wall, which has stood for longer than anyone in the town can remember. Fishermen asked for more "
    "berths, shop owners asked for more parking, and the harbour master asked everyone to be patient while "
    "engineers finish their survey of the stones. A report will follow when the tide tables allow divers to "
    "inspect the lower courses, and residents are invited to send their views to the town hall by letter. "
)


def _slug(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


_OPENINGS = (
    "Early in the morning the gulls were already circling over the boats.",
    "By noon a small crowd had gathered outside the old customs house.",
    "In the evening the lamps along the promenade came on one by one.",
)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:  # clients hang up: not our business
        pass


class SmallSite:
    """Serve the small site on an ephemeral port; use as a context manager.

    :param per_section: articles per section (3 sections).
    """

    def __init__(self, per_section: int = 4):
        self.per_section = per_section
        self.dates = True
        self.edition = 1
        self.delay = 0.0
        self.hits: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/"
        self._thread: threading.Thread | None = None

    @property
    def article_paths(self) -> list[str]:
        return [f"/news/{self.edition}/{_slug(url)}-{n}/" for _, url in SECTIONS for n in range(self.per_section)]

    def requests_by(self, user_agent: str) -> list[str]:
        """Paths requested with this User-Agent."""
        with self._lock:
            return [path for path, agent in self.hits if agent == user_agent]

    # --- pages ---------------------------------------------------------------
    def _page(self, title: str, main: str, body_class: str, head: str = "") -> bytes:
        menu = "".join(f'<li class="menu-item"><a href="{url}">{name}</a></li>' for name, url in SECTIONS)
        return (
            f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>{head}</head>'
            f'<body class="{body_class}"><header class="site-header"><a href="/">The Quiet Quarter</a>'
            f'<nav class="main-navigation"><ul class="menu">{menu}</ul></nav></header>'
            f"{main}<footer class=\"site-footer\"><p>Fixture site for tests.</p></footer></body></html>\n"
        ).encode()

    def _listing(self, name: str, url: str) -> bytes:
        cards = "".join(
            f'<article class="card"><h2><a href="/news/{self.edition}/{_slug(url)}-{n}/">{name} story {n}</a></h2><p>Read more.</p></article>'
            for n in range(self.per_section)
        )
        return self._page(name, f'<main><h1 class="archive-title">{name}</h1>{cards}</main>', "archive category")

    def _article(self, name: str, n: int) -> bytes:
        headline = f"{name} story {n}: the quay, the wall and the ferry"
        date = f' · <time datetime="2025-03-{n + 1:02d}T09:30:00+00:00">March {n + 1}, 2025</time>' if self.dates else ""
        body = "".join(f"<p>{opening} {_WORDS}</p>" for opening in _OPENINGS)
        main = (
            f'<main><article><h1>{headline}</h1><p class="byline">By <span class="author-name">Ada Marsh</span>{date}</p>'
            f"{body}</article></main>"
        )
        return self._page(headline, main, "single single-post", '<meta property="og:type" content="article">')

    def _route(self, path: str) -> tuple[int, bytes]:
        if path == "/":
            cards = "".join(f'<article class="card"><h2><a href="{p}">Top story</a></h2></article>' for p in self.article_paths[:2])
            return 200, self._page("The Quiet Quarter", f"<main>{cards}</main>", "home blog")
        for name, url in SECTIONS:
            if path == url:
                return 200, self._listing(name, url)
            prefix = f"/news/{self.edition}/{_slug(url)}-"
            if path.startswith(prefix) and path.endswith("/") and path[len(prefix):-1].isdigit():
                n = int(path[len(prefix):-1])
                if n < self.per_section:
                    return 200, self._article(name, n)
        return 404, b"<!DOCTYPE html><html><body><h1>Not found</h1></body></html>"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                with site._lock:
                    site.hits.append((self.path, self.headers.get("User-Agent", "")))
                if site.delay:
                    time.sleep(site.delay)
                status, body = site._route(self.path.split("?")[0])
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args) -> None:
                pass

        return Handler

    def __enter__(self) -> "SmallSite":
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._httpd.shutdown()
        self._thread.join()
        self._httpd.server_close()
