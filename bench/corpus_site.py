"""Serve the pages of the evaluation corpus as one local news site.

The corpus (``<repo root>/../shared/corpus`` by default, see
:func:`default_corpus_path`) holds real article pages with gold values; its
``README.md`` describes ``manifest.jsonl`` and ``pages/<id>.html.gz``. This
module turns a selection of its pages into a small site on
``http://127.0.0.1:<ephemeral port>/`` that the ``news`` spider can crawl:

``/``
    home page with a two-level menu in ``<nav><ul class="menu">``: one top
    section per source (``Fundus``), one subsection per fundus country group
    or htmldate subset (``Fundus > DE``, ``Htmldate > MediaCloud``).
``/section/<source>/`` and ``/section/<source>/<group>/``
    listing pages: 20 article cards (``<h2><a href>``) a page, paginated with
    ``/page/N/``, ``<link rel="next">`` and ``<a class="next page-numbers">``.
    A source's listing holds all its pages, a group's listing its group's.
``/<n>/<original path>?<original query>``
    one article: the page's raw (gunzipped) bytes. ``n`` is the page's
    1-based line number in ``manifest.jsonl``, so a page keeps its URL in any
    selection. ``Content-Type: text/html`` without charset, so that the
    crawler decodes by BOM and ``<meta charset>`` as a browser would; fundus
    pages get ``charset=utf-8`` (the corpus README: fundus saved every page as
    UTF-8, whatever it declares). A request may drop some of the original
    query parameters (a crawler strips tracking parameters); the page is
    still served, and the dropped parameters are logged.
``/robots.txt``
    allows everything. Anything else is a 404.

With ``virtual_host`` set (e.g. ``corpus-news.test``), the site is also
answerable as ``http://corpus-news.test/`` through the server used as an HTTP
proxy (absolute-form request targets, see :func:`proxy_environment`): the
crawler then sees a site without a port number, as a real news site is. The
server forwards nothing: a request for any other host is a 404, and CONNECT
(HTTPS tunnels) is refused.

The server is quiet (nothing on stderr per request) and keeps a request log
(:attr:`CorpusSite.requests`). Only the standard library is used; the pages
are read from the corpus folder and never copied.

Example::

    pages = select_pages(load_manifest(default_corpus_path()), limit_per_source=6)
    with CorpusSite(default_corpus_path(), pages) as site:
        print(site.url)              # http://127.0.0.1:40123/
        ...crawl site.url...
        site.page_for_url(url).id    # the manifest id of a fetched article URL
"""

from __future__ import annotations

import gzip
import html
import json
import os
import random
import threading
import time
from contextlib import contextmanager
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Sequence
from urllib.parse import parse_qsl, quote, unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
"""The repository root (``bench/`` is one of its folders)."""

CORPUS_ENV = "AGGREGATOR_CORPUS"
"""Environment variable naming the corpus folder, overriding the default."""

SOURCES = ("scrapinghub", "fundus", "htmldate")
"""The corpus sources, in menu order."""

SOURCE_NAMES = {"scrapinghub": "Scrapinghub", "fundus": "Fundus", "htmldate": "Htmldate"}
HTMLDATE_SUBSET_NAMES = {"default": "Default", "mediacloud2020": "MediaCloud"}

PER_PAGE = 20
"""Article cards per listing page."""

_PATH_SAFE = "/:@!$&'()*+,;=~%-._"
_QUERY_SAFE = _PATH_SAFE + "?[]"


class CorpusError(Exception):
    """The corpus folder or its manifest cannot be read."""


def default_corpus_path() -> Path:
    """The corpus folder: ``$AGGREGATOR_CORPUS`` when set, else
    ``$AGGREGATOR_SHARED/corpus`` (the shared folder ``tests/conftest.py``
    reads), else ``<repo root>/../shared/corpus`` (``shared/`` is the
    clone's sibling). The folder may not exist."""
    value = os.environ.get(CORPUS_ENV)
    if value:
        return Path(value).expanduser().resolve()
    shared = os.environ.get("AGGREGATOR_SHARED")
    if shared:
        return (Path(shared).expanduser() / "corpus").resolve()
    return (ROOT.parent / "shared" / "corpus").resolve()


def load_manifest(corpus: str | Path) -> list[dict[str, Any]]:
    """Read ``manifest.jsonl``: one dict per page, in file order (sorted by id).

    Each record gets ``_n``, its 1-based line number, which names its URL on
    the site (``/<n>/…``).

    :raises CorpusError: when the folder or its manifest is missing.
    """
    manifest = Path(corpus) / "manifest.jsonl"
    if not manifest.is_file():
        raise CorpusError(f"no corpus manifest at {manifest} (set --corpus or ${CORPUS_ENV})")
    records = []
    with manifest.open(encoding="utf-8") as lines:
        for n, line in enumerate(lines, 1):
            if line.strip():
                records.append({**json.loads(line), "_n": n})
    return records


def select_pages(
    records: Sequence[dict[str, Any]],
    *,
    ids: Optional[Iterable[str]] = None,
    limit_per_source: Optional[int] = None,
    sample_per_source: Optional[int] = None,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """A subset of manifest records, in manifest order.

    :param ids: keep only these ids (unknown ids raise ``KeyError``).
    :param limit_per_source: keep the first N records of each source, by id.
    :param sample_per_source: keep N records of each source drawn with
        ``random.Random(seed)``; deterministic for a given seed.
    :returns: the selected records (all of them when no filter is given).
    """
    selected = list(records)
    if ids is not None:
        wanted = list(ids)
        known = {r["id"] for r in selected}
        missing = [i for i in wanted if i not in known]
        if missing:
            raise KeyError(f"ids not in the manifest: {missing[:5]}")
        wanted_set = set(wanted)
        selected = [r for r in selected if r["id"] in wanted_set]
    if limit_per_source is not None or sample_per_source is not None:
        by_source: dict[str, list[dict[str, Any]]] = OrderedDict()
        for record in sorted(selected, key=lambda r: r["id"]):
            by_source.setdefault(record["source"], []).append(record)
        keep: set[str] = set()
        rng = random.Random(seed)
        for source in sorted(by_source):
            group = by_source[source]
            if limit_per_source is not None:
                group = group[: max(0, limit_per_source)]
            if sample_per_source is not None:
                group = rng.sample(group, min(len(group), max(0, sample_per_source)))
            keep.update(r["id"] for r in group)
        selected = [r for r in selected if r["id"] in keep]
    return selected


def group_of(record: dict[str, Any]) -> Optional[str]:
    """The record's subsection slug: the fundus country group (``de``), the
    htmldate subset (``mediacloud2020``), or None (scrapinghub)."""
    extra = record.get("extra") or {}
    if record["source"] == "fundus":
        return extra.get("group")
    if record["source"] == "htmldate":
        return extra.get("subset")
    return None


def group_name(source: str, group: str) -> str:
    """The short menu name of a subsection: ``DE``, ``MediaCloud``…"""
    if source == "htmldate":
        return HTMLDATE_SUBSET_NAMES.get(group, group.title())
    return group.upper()


@dataclass(frozen=True)
class CorpusPage:
    """One article page of the site.

    ``path``: its URL path and query on the site, percent-encoded
    (``/17/2024/05/03/some-story/?ref=rss``). ``file``: the gzip file in the
    corpus. ``record``: the full manifest record (gold values).
    """

    id: str
    source: str
    group: Optional[str]
    n: int
    original_url: str
    path: str
    file: Path
    content_type: str
    record: dict[str, Any] = field(repr=False, compare=False, hash=False)

    def read(self) -> bytes:
        """The page's raw HTML bytes (gunzipped, otherwise as stored)."""
        return gzip.decompress(self.file.read_bytes())


@dataclass(frozen=True)
class Listing:
    """One section of the site: ``name_path`` as in the menu (``("Fundus", "DE")``),
    ``base`` its listing URL path (``/section/fundus/de/``), ``pages`` its articles."""

    name_path: tuple[str, ...]
    base: str
    pages: tuple[CorpusPage, ...]

    def page_count(self) -> int:
        """Number of listing pages (at least 1)."""
        return max(1, -(-len(self.pages) // PER_PAGE))

    def page_url(self, number: int) -> str:
        """URL path of listing page ``number`` (1-based)."""
        return self.base if number == 1 else f"{self.base}page/{number}/"


@dataclass(frozen=True)
class RequestRecord:
    """One request the site answered: ``path`` as requested (path and query;
    the full URL for a proxy request), HTTP ``status``,
    the manifest ``page_id`` for article pages, the original query parameters
    the request ``dropped`` (names), and ``at`` (``time.monotonic()`` seconds)."""

    method: str
    path: str
    status: int
    page_id: Optional[str]
    dropped: tuple[str, ...]
    at: float


def _site_path(n: int, url: str) -> str:
    parts = urlsplit(url)
    path = quote(parts.path or "/", safe=_PATH_SAFE)
    query = quote(parts.query, safe=_QUERY_SAFE)
    return f"/{n}{path}" + (f"?{query}" if query else "")


def _page(corpus: Path, record: dict[str, Any]) -> CorpusPage:
    if not record.get("url"):
        raise CorpusError(f"{record['id']}: no URL in the manifest")
    content_type = "text/html; charset=utf-8" if record["source"] == "fundus" else "text/html"
    return CorpusPage(
        id=record["id"],
        source=record["source"],
        group=group_of(record),
        n=int(record["_n"]),
        original_url=record["url"],
        path=_site_path(int(record["_n"]), record["url"]),
        file=corpus / record["file"],
        content_type=content_type,
        record=record,
    )


class CorpusSite:
    """The local site serving a selection of corpus pages.

    :param corpus: the corpus folder.
    :param records: manifest records (from :func:`load_manifest` /
        :func:`select_pages`; each needs ``_n``).
    :param host: address to bind; keep ``127.0.0.1``.
    :param virtual_host: a host name (``corpus-news.test``; keep it under the
        reserved ``.test`` TLD) the site answers to when used as an HTTP
        proxy; :attr:`url` then names it instead of ``127.0.0.1:<port>``.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self,
        corpus: str | Path,
        records: Sequence[dict[str, Any]],
        host: str = "127.0.0.1",
        virtual_host: Optional[str] = None,
    ):
        self.corpus = Path(corpus)
        self.host = host
        self.virtual_host = virtual_host.lower() if virtual_host else None
        self.pages: list[CorpusPage] = [_page(self.corpus, r) for r in records]
        self.by_n: dict[int, CorpusPage] = {p.n: p for p in self.pages}
        self.by_id: dict[str, CorpusPage] = {p.id: p for p in self.pages}
        self.listings: list[Listing] = self._listings()
        self._listing_by_base = {listing.base: listing for listing in self.listings}
        self.requests: list[RequestRecord] = []
        self._lock = threading.Lock()
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    # --- lifecycle --------------------------------------------------------------
    def start(self) -> "CorpusSite":
        """Bind an ephemeral port and serve in a daemon thread."""
        site = self

        class Handler(_Handler):
            corpus_site = site

        self._server = ThreadingHTTPServer((self.host, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="corpus-site", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "CorpusSite":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def local_url(self) -> str:
        """The server's own home page URL, ``http://127.0.0.1:<port>/``."""
        if self._server is None:
            raise RuntimeError("the site is not started")
        return f"http://{self.host}:{self._server.server_address[1]}/"

    @property
    def url(self) -> str:
        """The home page URL to crawl: ``http://<virtual_host>/`` when a
        virtual host is set (reach it through :attr:`proxy_url`), else
        :attr:`local_url`."""
        return f"http://{self.virtual_host}/" if self.virtual_host else self.local_url

    @property
    def proxy_url(self) -> str:
        """The server as an HTTP proxy, ``http://127.0.0.1:<port>``."""
        return self.local_url.rstrip("/")

    def split_target(self, target: str) -> Optional[str]:
        """The path and query of a request target; an absolute-form target
        (proxy request) must name this site's virtual host or its own address.

        :returns: ``/path?query``, or None for a target naming another host.
        """
        if not target.lower().startswith(("http://", "https://")):
            return target
        parts = urlsplit(target)
        own = {self.urlsplit_netloc(self.local_url)}
        if self.virtual_host:
            own |= {self.virtual_host, f"{self.virtual_host}:80"}
        if parts.scheme != "http" or parts.netloc.lower() not in own:
            return None
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    @staticmethod
    def urlsplit_netloc(url: str) -> str:
        """The lower-cased ``host:port`` of a URL."""
        return urlsplit(url).netloc.lower()

    # --- mapping ----------------------------------------------------------------
    def match(self, path_and_query: str) -> tuple[Optional[CorpusPage], tuple[str, ...]]:
        """The article page a request path names, and the names of original
        query parameters the request left out.

        :param path_and_query: the request target, e.g. ``/17/a/b?x=1``
            (percent-encoded or not).
        :returns: ``(page, dropped)``; ``(None, ())`` when no page matches:
            another path, or a query parameter the original URL lacks.
        """
        parts = urlsplit(path_and_query)
        head, _, rest = parts.path.lstrip("/").partition("/")
        if not head.isdigit():
            return None, ()
        page = self.by_n.get(int(head))
        if page is None:
            return None, ()
        expected = urlsplit(page.path)
        if unquote("/" + rest) != unquote(expected.path[len(f"/{page.n}"):]):
            return None, ()
        wanted = Counter(parse_qsl(expected.query, keep_blank_values=True))
        got = Counter(parse_qsl(parts.query, keep_blank_values=True))
        if got - wanted:
            return None, ()
        dropped = tuple(name for name, _ in (wanted - got).elements())
        return page, dropped

    def page_for_url(self, url: str) -> Optional[CorpusPage]:
        """The page a fetched URL (absolute, on this site) names, or None."""
        parts = urlsplit(url)
        return self.match(parts.path + (f"?{parts.query}" if parts.query else ""))[0]

    def article_requests(self) -> dict[str, list[RequestRecord]]:
        """Requests answered with an article page, by page id."""
        result: dict[str, list[RequestRecord]] = {}
        with self._lock:
            for record in self.requests:
                if record.page_id:
                    result.setdefault(record.page_id, []).append(record)
        return result

    # --- pages ------------------------------------------------------------------
    def _listings(self) -> list[Listing]:
        listings = []
        for source in SOURCES:
            pages = [p for p in self.pages if p.source == source]
            if not pages:
                continue
            listings.append(Listing((SOURCE_NAMES[source],), f"/section/{source}/", tuple(pages)))
            groups = sorted({p.group for p in pages if p.group})
            for group in groups:
                listings.append(
                    Listing(
                        (SOURCE_NAMES[source], group_name(source, group)),
                        f"/section/{source}/{quote(group, safe='')}/",
                        tuple(p for p in pages if p.group == group),
                    )
                )
        return listings

    def _menu(self) -> str:
        items = []
        for top in (lst for lst in self.listings if len(lst.name_path) == 1):
            children = [lst for lst in self.listings if len(lst.name_path) == 2 and lst.name_path[0] == top.name_path[0]]
            link = f'<a href="{html.escape(top.base)}">{html.escape(top.name_path[0])}</a>'
            if children:
                sub = "".join(
                    f'<li class="menu-item"><a href="{html.escape(c.base)}">{html.escape(c.name_path[1])}</a></li>'
                    for c in children
                )
                items.append(f'<li class="menu-item menu-item-has-children">{link}<ul class="sub-menu">{sub}</ul></li>')
            else:
                items.append(f'<li class="menu-item">{link}</li>')
        return f'<nav class="main-navigation"><ul class="menu">{"".join(items)}</ul></nav>'

    def _document(self, title: str, body: str, head: str = "") -> bytes:
        return (
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)} | Corpus News</title>{head}</head>"
            f"<body><header class=\"site-header\"><p class=\"site-title\"><a href=\"/\">Corpus News</a></p>"
            f"{self._menu()}</header><main>{body}</main></body></html>\n"
        ).encode("utf-8")

    def home_page(self) -> bytes:
        """The home page: the menu and a short introduction."""
        body = (
            "<h1>Corpus News</h1><p>Real news pages from the evaluation corpus, served locally. "
            "Pick a section in the menu.</p>"
        )
        return self._document("Home", body)

    def listing_page(self, listing: Listing, number: int) -> Optional[bytes]:
        """Listing page ``number`` of a section, or None past its last page."""
        if number < 1 or number > listing.page_count():
            return None
        chunk = listing.pages[(number - 1) * PER_PAGE : number * PER_PAGE]
        cards = "".join(
            f'<article class="post"><h2 class="entry-title"><a href="{html.escape(p.path)}">Article {p.n}</a></h2>'
            f"<p>From the {html.escape(SOURCE_NAMES[p.source])} corpus.</p></article>"
            for p in chunk
        )
        head, nav = "", []
        if number > 1:
            prev = listing.page_url(number - 1)
            head += f'<link rel="prev" href="{html.escape(prev)}">'
            nav.append(f'<a class="prev page-numbers" href="{html.escape(prev)}">Previous</a>')
        if number < listing.page_count():
            nxt = listing.page_url(number + 1)
            head += f'<link rel="next" href="{html.escape(nxt)}">'
            nav.append(f'<a class="next page-numbers" href="{html.escape(nxt)}">Next</a>')
        title = " > ".join(listing.name_path)
        body = (
            f'<h1 class="page-title">{html.escape(title)}</h1>{cards}'
            f'<div class="pagination">{"".join(nav)}</div>'
        )
        return self._document(f"{title} – page {number}", body, head)

    def respond(self, target: str) -> tuple[int, str, bytes, Optional[CorpusPage], tuple[str, ...]]:
        """The response to a GET of ``target`` (path and query).

        :returns: ``(status, content_type, body, page, dropped)``; ``page`` is
            the article page served, if any.
        """
        parts = urlsplit(target)
        path = parts.path
        if path == "/" and not parts.query:
            return 200, "text/html; charset=utf-8", self.home_page(), None, ()
        if path == "/robots.txt":
            return 200, "text/plain; charset=utf-8", b"User-agent: *\nDisallow:\n", None, ()
        if path.startswith("/section/") and not parts.query:
            number = 1
            base = path
            head, marker, tail = path.rpartition("/page/")
            if marker and tail.rstrip("/").isdigit():
                base, number = head + "/", int(tail.rstrip("/"))
            listing = self._listing_by_base.get(base)
            body = self.listing_page(listing, number) if listing else None
            if body is not None:
                return 200, "text/html; charset=utf-8", body, None, ()
        page, dropped = self.match(target)
        if page is not None:
            return 200, page.content_type, page.read(), page, dropped
        return 404, "text/html; charset=utf-8", b"<!DOCTYPE html><title>Not found</title><h1>Not found</h1>", None, ()

    def _log(self, record: RequestRecord) -> None:
        with self._lock:
            self.requests.append(record)


class _Handler(BaseHTTPRequestHandler):
    corpus_site: CorpusSite
    protocol_version = "HTTP/1.1"
    server_version = "CorpusSite/1.0"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._answer(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(send_body=False)

    def do_CONNECT(self) -> None:  # noqa: N802: no tunnels, nothing leaves 127.0.0.1
        self.corpus_site._log(RequestRecord(self.command, self.path, 405, None, (), time.monotonic()))
        self.send_response(405)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _answer(self, send_body: bool) -> None:
        site = self.corpus_site
        target = site.split_target(self.path)
        try:
            if target is None:
                status, content_type, body, page, dropped = 404, "text/plain", b"unknown host", None, ()
            else:
                status, content_type, body, page, dropped = site.respond(target)
        except Exception:  # a broken page file: answer 500, keep serving
            status, content_type, body, page, dropped = 500, "text/plain", b"server error", None, ()
        site._log(RequestRecord(self.command, self.path, status, page.id if page else None, dropped, time.monotonic()))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the request log is the record
        pass


@contextmanager
def proxy_environment(site: CorpusSite) -> Iterator[dict[str, str]]:
    """Route plain-HTTP requests of child processes through ``site``.

    Sets ``http_proxy`` to :attr:`CorpusSite.proxy_url` in ``os.environ``
    (Scrapy's ``HttpProxyMiddleware`` reads it when a crawl starts) and
    removes ``HTTP_PROXY``, ``https_proxy`` and ``no_proxy`` in either case,
    restoring everything on exit. HTTPS requests would get no proxy and fail
    to resolve ``*.test``; the site links only to ``http://`` URLs.

    :yields: the variables set.
    """
    names = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY")
    saved = {name: os.environ.get(name) for name in names}
    try:
        for name in names:
            os.environ.pop(name, None)
        os.environ["http_proxy"] = site.proxy_url
        yield {"http_proxy": site.proxy_url}
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
