"""Read XML sitemaps: ``robots.txt`` ``Sitemap:`` lines, sitemap indexes, URL sets.

``parse_sitemap`` takes a sitemap body as fetched (plain XML, or gzip once or
twice over: a ``.xml.gz`` file sent with ``Content-Encoding: gzip`` may or may
not have been decoded by the transport) and returns its entries with their
``<lastmod>`` and Google News fields (``news:title``, ``news:publication_date``,
``news:keywords``…), which Scrapy's own ``scrapy.utils.sitemap.Sitemap`` drops.
Element names are matched by local name, so sitemaps that omit or misspell the
``http://www.sitemaps.org/schemas/sitemap/0.9`` namespace are read too.

The XML parser never resolves entities, never touches the network and keeps
libxml2's size limits (``huge_tree`` off), so a hostile body costs little.
"""

from __future__ import annotations

import logging
import re
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Optional
from urllib.parse import urljoin, urlsplit

from lxml import etree
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import sitemap_urls_from_robots

logger = logging.getLogger(__name__)

DEFAULT_SITEMAP_PATHS: tuple[str, ...] = (
    "/wp-sitemap.xml",
    "/sitemap_index.xml",
    "/sitemap.xml",
    "/news-sitemap.xml",
)
"""Paths to try, in order, on a site whose ``robots.txt`` names no sitemap."""

GOOGLE_NEWS_NAMESPACE = "http://www.google.com/schemas/sitemap-news/0.9"
"""The namespace of ``<news:news>`` (matched by local name all the same)."""

_GZIP_MAGIC = b"\x1f\x8b"
_MAX_GUNZIPS = 2

_W3C_DATETIME = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?)?)?)?"
)

_NOT_ARTICLE_SITEMAP = re.compile(
    r"^wp-sitemap-(?:taxonomies-|users-|posts-page-)"
    r"|^(?:category|post_tag|author|page)-sitemap\d*\.xml(?:\.gz)?$",
    re.I,
)


class SitemapError(ValueError):
    """A sitemap body that is not a sitemap (not XML, wrong root, too large once decompressed)."""


@dataclass(frozen=True)
class SitemapEntry:
    """One ``<url>`` of a URL set or one ``<sitemap>`` of a sitemap index.

    ``loc`` is absolute (joined against the sitemap's URL when relative,
    whitespace stripped) and http(s). Every other field is the raw text as the
    sitemap gives it, stripped, or ``None`` / ``()`` when absent or empty; the
    ``news_*`` fields come from the ``<news:news>`` child of a Google News
    sitemap and are empty elsewhere.
    """

    loc: str
    lastmod: Optional[str] = None
    """Raw ``<lastmod>`` text, a W3C datetime (``2025-02-19T10:30:00+08:00``); see ``lastmod_datetime``."""
    news_title: Optional[str] = None
    """``<news:news><news:title>``."""
    news_publication_date: Optional[str] = None
    """``<news:publication_date>``, raw (W3C datetime)."""
    news_keywords: tuple[str, ...] = ()
    """``<news:keywords>`` split on commas, each stripped, empty ones dropped."""
    news_language: Optional[str] = None
    """``<news:publication><news:language>``, an ISO 639 code such as ``en`` or ``zh-cn``."""
    news_publication_name: Optional[str] = None
    """``<news:publication><news:name>``."""


@dataclass(frozen=True)
class Sitemap:
    """A parsed sitemap: ``kind`` is ``"urlset"`` (entries are pages) or
    ``"sitemapindex"`` (entries are child sitemaps); ``skipped`` counts the
    entries left out for an empty, missing or non-http(s) ``<loc>``."""

    kind: str
    entries: tuple[SitemapEntry, ...]
    skipped: int = 0


def _local(element: Any) -> str:
    """The local name of an element (``{ns}url`` → ``url``); ``""`` for comments and entities."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def _child(element: Any, name: str) -> Any:
    for child in element:
        if _local(child) == name:
            return child
    return None


def _text(element: Any) -> Optional[str]:
    if element is None:
        return None
    text = element.xpath("string()").strip()  # unlike itertext(), leaves unresolved entities out
    return text or None


def _decompress(body: bytes, max_size: int) -> bytes:
    for _ in range(_MAX_GUNZIPS):
        if not body.startswith(_GZIP_MAGIC):
            break
        try:
            body = gunzip(body, max_size=max_size)
        except (OSError, EOFError, zlib.error) as error:
            raise SitemapError(f"broken gzip data: {error}") from error
        except ValueError as error:  # scrapy's decompression size guard
            raise SitemapError(f"sitemap larger than {max_size} bytes once decompressed") from error
    if len(body) > max_size:
        raise SitemapError(f"sitemap larger than {max_size} bytes")
    return body


def _news(url_element: Any) -> dict[str, Any]:
    news = _child(url_element, "news")
    if news is None:
        return {}
    publication = _child(news, "publication")
    keywords = _text(_child(news, "keywords")) or ""
    return {
        "news_title": _text(_child(news, "title")),
        "news_publication_date": _text(_child(news, "publication_date")),
        "news_keywords": tuple(k.strip() for k in keywords.split(",") if k.strip()),
        "news_language": _text(_child(publication, "language")) if publication is not None else None,
        "news_publication_name": _text(_child(publication, "name")) if publication is not None else None,
    }


def parse_sitemap(body: bytes, url: str, *, max_size: int = 50 * 1024 * 1024) -> Sitemap:
    """Read a sitemap index or URL set.

    :param body: the body as fetched: XML bytes, or gzip of them (gunzipped
        when it starts with the gzip magic bytes, up to twice).
    :param url: the sitemap's URL, to make relative ``<loc>`` absolute.
    :param max_size: the largest body accepted, in bytes, once decompressed
        (the sitemap protocol's limit is 50 MiB).
    :returns: the entries in document order; ``<url>`` children of a
        ``<urlset>``, ``<sitemap>`` children of a ``<sitemapindex>``.
    :raises SitemapError: for broken gzip, a body over ``max_size``, and a
        body that is not XML with a ``urlset`` or ``sitemapindex`` root
        (HTML, JSON, empty).
    """
    if isinstance(body, str):
        body = body.encode("utf-8")
    body = _decompress(body, max_size).lstrip()
    if not body:
        raise SitemapError("empty sitemap body")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        recover=True,
        huge_tree=False,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
    try:
        root = etree.fromstring(body, parser)
    except (etree.XMLSyntaxError, ValueError) as error:
        raise SitemapError(f"not XML: {error}") from error
    kind = _local(root) if root is not None else ""
    if kind not in ("urlset", "sitemapindex"):
        raise SitemapError(f"not a sitemap: root element {kind or 'missing'!r}")
    item_name = "url" if kind == "urlset" else "sitemap"

    entries: list[SitemapEntry] = []
    skipped = 0
    for element in root:
        if _local(element) != item_name:
            continue
        loc = _text(_child(element, "loc"))
        absolute = urljoin(url, loc) if loc else ""
        if urlsplit(absolute).scheme not in ("http", "https"):
            skipped += 1
            continue
        entries.append(
            SitemapEntry(loc=absolute, lastmod=_text(_child(element, "lastmod")), **_news(element))
        )
    if skipped:
        logger.debug("Skipped %d entries without an http(s) <loc> in %s", skipped, url)
    return Sitemap(kind=kind, entries=tuple(entries), skipped=skipped)


def robots_sitemaps(robots_txt: str | bytes, base_url: str) -> list[str]:
    """The sitemap URLs named by ``Sitemap:`` lines of a ``robots.txt``.

    :param robots_txt: the ``robots.txt`` body (bytes are read as UTF-8; lines
        that do not decode are skipped).
    :param base_url: the ``robots.txt`` URL, to make relative lines absolute.
    :returns: absolute http(s) URLs in file order, each once; a trailing
        ``# comment`` on a line is dropped, and an empty line is ignored.
    """
    if isinstance(robots_txt, str):
        robots_txt = robots_txt.encode("utf-8")
    robots_txt = robots_txt.removeprefix(b"\xef\xbb\xbf")
    found: list[str] = []
    for url in sitemap_urls_from_robots(robots_txt, base_url=base_url):
        url = url.split(None, 1)[0] if url.strip() else ""
        if url == base_url or urlsplit(url).scheme not in ("http", "https"):
            continue  # an empty "Sitemap:" line joins to the robots.txt URL itself
        if url not in found:
            found.append(url)
    return found


def lastmod_datetime(value: Optional[str]) -> Optional[datetime]:
    """A ``<lastmod>`` (or ``news:publication_date``) as an aware UTC datetime.

    Accepts the W3C datetime profile of ISO 8601 (``2025``, ``2025-02``,
    ``2025-02-19``, ``2025-02-19T10:30Z``, ``2025-02-19T10:30:00.5+08:00``),
    plus a space for ``T`` and offsets written ``+0800`` or ``+08``. A date
    alone is midnight UTC; a time without offset is taken as UTC.

    :returns: the datetime in UTC, or ``None`` when ``value`` is missing,
        empty or not such a datetime (``2025-13-01``, ``yesterday``).
    """
    if not value or not isinstance(value, str):
        return None
    match = _W3C_DATETIME.fullmatch(value.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=timezone.utc,
        )
        if offset and offset not in ("Z", "z"):
            digits = offset[1:].replace(":", "")
            shift = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
            if shift >= timedelta(hours=24) or int(digits[2:] or 0) >= 60:
                return None
            moment -= shift if offset[0] == "+" else -shift
    except (ValueError, OverflowError):
        return None
    return moment


def is_article_sitemap(url: str) -> bool:
    """False for a child sitemap that lists no articles, True otherwise.

    WordPress core's taxonomy, user and page sitemaps
    (``wp-sitemap-taxonomies-category-1.xml``, ``wp-sitemap-users-1.xml``,
    ``wp-sitemap-posts-page-1.xml``) and Yoast's ``category-sitemap.xml``,
    ``post_tag-sitemap.xml``, ``author-sitemap.xml``, ``page-sitemap.xml``
    (and their numbered pages) are not article sitemaps; post, news and
    unknown sitemaps are.
    """
    name = urlsplit(url.strip()).path.rstrip("/").rpartition("/")[2]
    return not _NOT_ARTICLE_SITEMAP.search(name)
