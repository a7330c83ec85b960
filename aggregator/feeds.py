"""Read RSS and Atom feeds: a site's feed links, a section's feed, and the entries of a feed.

``parse_feed`` hands the fetched bytes to feedparser (RSS 0.9x, 1.0/RDF and
2.0, Atom 0.3 and 1.0; lenient with broken XML) and returns each entry's page
URL with its title, raw date texts, author names, categories and a plain-text
summary. Dates stay raw, as the feed wrote them (``Wed, 19 Feb 2025 10:30:00
+0800``); parsing them is the job of ``aggregator.dates``.

Two feedparser habits are worked around here:

- it takes a ``bytes`` argument that names an existing file as a path and
  reads that file, and a ``str`` URL as something to fetch: the body is always
  handed over wrapped in ``io.BytesIO``, so nothing is read from disk or the
  network;
- it files ``dc:date`` (the usual date of RSS 1.0/RDF items) under
  ``updated``, like ``dcterms:modified``: when an entry has no ``published``,
  the feed is read once more with lxml to tell the two apart;
- ``entry.get("updated")`` falls back to ``published`` when the entry has no
  updated date: the raw dates are read with ``dict.get``.

External entities are never resolved: feedparser strips every DOCTYPE entity
that is not a plain string and turns off expat's external entities; the lxml
pass resolves none.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional
from html import unescape
from urllib.parse import urljoin, urlsplit, urlunsplit

import feedparser
import lxml.html
from lxml import etree
from w3lib.html import remove_tags

logger = logging.getLogger(__name__)

FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml"})
"""``<link rel="alternate">`` types that ``feed_links`` reports (JSON Feed is not read)."""

_DC = "http://purl.org/dc/elements/1.1/"
_DCTERMS = "http://purl.org/dc/terms/"
_ATOM = "http://www.w3.org/2005/Atom"
_ENTRY_NAMES = ("item", "entry")
_MODIFIED = {(_DCTERMS, "modified"), (_ATOM, "updated")}

_SPACE = re.compile(r"\s+")
_BLOCK_TAG = re.compile(
    r"<\s*/?\s*(?:p|div|br|hr|li|ul|ol|dl|dt|dd|h[1-6]|blockquote|pre|table|tr|td|th"
    r"|figure|figcaption|section|article|header|footer|aside)\b[^>]*>",
    re.I,
)
_EMAIL = re.compile(r"<?[\w.+-]+@[\w-]+(?:\.[\w-]+)+>?")


class FeedError(ValueError):
    """A body that is not an RSS or Atom feed."""


@dataclass(frozen=True)
class FeedEntry:
    """One item of an RSS feed or entry of an Atom feed."""

    link: str
    """Absolute http(s) URL of the entry's page: the entry's link, else its
    ``rel="alternate"`` link, else its guid when that is a permalink."""
    title: Optional[str] = None
    """Plain text, whitespace collapsed."""
    published_raw: Optional[str] = None
    """Publication date as written: RSS ``pubDate``, Atom ``published``
    (``issued`` in Atom 0.3), ``dc:date``, ``dcterms:issued``. No time zone added."""
    updated_raw: Optional[str] = None
    """Last modification date as written: Atom ``updated``, ``dcterms:modified``."""
    authors: tuple[str, ...] = ()
    """Author names (``dc:creator``, ``<author><name>``, RSS ``<author>``), in
    feed order, each once; e-mail addresses and their ``(name)`` wrapper removed."""
    categories: tuple[str, ...] = ()
    """``<category>`` texts (Atom: ``label``, else ``term``) and ``dc:subject``,
    stripped, each once (case-insensitively), in feed order."""
    summary: Optional[str] = None
    """``description`` / ``summary`` as plain text (tags removed, entities decoded)."""


@dataclass(frozen=True)
class Feed:
    """A parsed feed: its ``title`` (plain text) and entries in feed order;
    ``skipped`` counts the entries left out for want of an http(s) link."""

    title: Optional[str]
    entries: tuple[FeedEntry, ...]
    skipped: int = 0


def _plain(value: Any, detail: Any = None) -> Optional[str]:
    """Plain text of a feedparser value; HTML is stripped unless ``detail`` says text/plain."""
    if not isinstance(value, str):
        return None
    kind = (detail or {}).get("type") or "text/html"
    if kind != "text/plain":
        value = remove_tags(_BLOCK_TAG.sub(" ", value))
        value = unescape(value)
    text = _SPACE.sub(" ", value).strip()
    return text or None


def _header_dict(headers: Optional[Mapping[Any, Any]]) -> dict[str, str]:
    """Headers as feedparser wants them: lower-case ``str`` keys and values.

    Accepts a plain mapping or Scrapy's ``Headers`` (bytes, lists of values).
    """
    result: dict[str, str] = {}
    for key, value in (headers or {}).items():
        if isinstance(value, (list, tuple)):
            value = value[0] if value else ""
        if isinstance(key, bytes):
            key = key.decode("latin-1")
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        result[str(key).lower()] = str(value)
    return result


def _author_name(value: Any) -> Optional[str]:
    if not isinstance(value, str):
        return None
    value = _EMAIL.sub(" ", value).strip()
    if value.startswith("(") and value.endswith(")"):
        value = value[1:-1]
    value = _SPACE.sub(" ", value).strip(" ,;()")
    return value or None


def _authors(entry: Any) -> tuple[str, ...]:
    names: list[str] = []
    candidates = [a.get("name") for a in entry.get("authors") or []] or [entry.get("author")]
    for candidate in candidates:
        name = _author_name(candidate)
        if name and name not in names:
            names.append(name)
    return tuple(names)


def _categories(entry: Any) -> tuple[str, ...]:
    found: dict[str, str] = {}
    for tag in entry.get("tags") or []:
        text = _plain(tag.get("label") or tag.get("term"), {"type": "text/plain"})
        if text and text.lower() not in found:
            found[text.lower()] = text
    return tuple(found.values())


def _summary(entry: Any) -> Optional[str]:
    if entry.get("summary"):
        return _plain(entry.get("summary"), entry.get("summary_detail"))
    for content in entry.get("content") or []:
        text = _plain(content.get("value"), content)
        if text:
            return text
    return None


def _link(entry: Any, base: str) -> Optional[str]:
    candidates = [entry.get("link")]
    candidates += [
        link.get("href") for link in entry.get("links") or [] if link.get("rel", "alternate") == "alternate"
    ]
    if entry.get("guidislink"):
        candidates.append(entry.get("id"))
    for candidate in candidates:
        if not isinstance(candidate, str) or not candidate.strip():
            continue
        absolute = urljoin(base, candidate.strip())
        if urlsplit(absolute).scheme in ("http", "https"):
            return absolute
    return None


def _raw_dates(body: bytes) -> Optional[list[tuple[Optional[str], Optional[str]]]]:
    """``(dc:date, dcterms:modified or atom:updated)`` texts of each item/entry in
    document order, read with lxml; ``None`` when the body does not parse."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, recover=True, huge_tree=False, load_dtd=False
    )
    try:
        root = etree.fromstring(body, parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root is None:
        return None
    found = []
    for element in root.iter(etree.Element):
        if etree.QName(element).localname not in _ENTRY_NAMES:
            continue
        dc_date = modified = None
        for child in element.iterchildren(etree.Element):
            name = etree.QName(child)
            text = (child.text or "").strip() or None
            if (name.namespace, name.localname) == (_DC, "date") and dc_date is None:
                dc_date = text
            elif (name.namespace, name.localname) in _MODIFIED and modified is None:
                modified = text
        found.append((dc_date, modified))
    return found


def parse_feed(body: bytes, url: str, headers: Optional[Mapping[str, str]] = None) -> Feed:
    """Read an RSS or Atom feed.

    :param body: the feed bytes as fetched (transport encoding already removed);
        the character set comes from ``headers``' Content-Type, the XML
        declaration or a BOM.
    :param url: the feed's URL, base for relative links (an HTTP
        ``Content-Location`` header, when given, is joined to it and used instead).
    :param headers: the HTTP response headers, a mapping or Scrapy ``Headers``.
    :returns: the feed's title and entries; a feed that is malformed but yields
        entries is returned as read; entries without an http(s) link are
        counted in ``skipped``.
    :raises FeedError: for an empty body, or one that is no feed at all (an
        HTML page, JSON, a sitemap, garbage).
    """
    if isinstance(body, str):
        body = body.encode("utf-8")
    if not body or not body.strip():
        raise FeedError("empty feed body")
    response_headers = _header_dict(headers)
    base = urljoin(url, response_headers.get("content-location", "").strip())
    response_headers["content-location"] = base
    parsed = feedparser.parse(io.BytesIO(body), response_headers=response_headers)
    if not parsed.get("version") and not parsed.entries:
        raise FeedError(f"not an RSS or Atom feed: {parsed.get('bozo_exception') or 'no feed element'}")
    if parsed.get("bozo"):
        logger.debug("Malformed feed %s read leniently: %s", url, parsed.get("bozo_exception"))

    raw_dates: Optional[list] = None
    if any(not dict.get(e, "published") for e in parsed.entries) and _DC.encode() in body:
        raw_dates = _raw_dates(body)
        if raw_dates is not None and len(raw_dates) != len(parsed.entries):
            logger.debug("Feed %s: lxml and feedparser disagree on entries; dc:date not read", url)
            raw_dates = None

    entries: list[FeedEntry] = []
    skipped = 0
    for index, entry in enumerate(parsed.entries):
        link = _link(entry, base)
        if link is None:
            skipped += 1
            continue
        # dict.get: FeedParserDict.get("updated") falls back to "published".
        published, updated = dict.get(entry, "published"), dict.get(entry, "updated")
        if raw_dates is not None and raw_dates[index][0] is not None:
            dc_date, modified = raw_dates[index]
            published, updated = published or dc_date, modified  # feedparser's "updated" may be dc:date
        entries.append(
            FeedEntry(
                link=link,
                title=_plain(entry.get("title"), entry.get("title_detail")),
                published_raw=(published or "").strip() or None,
                updated_raw=(updated or "").strip() or None,
                authors=_authors(entry),
                categories=_categories(entry),
                summary=_summary(entry),
            )
        )
    if skipped:
        logger.debug("Skipped %d feed entries without an http(s) link in %s", skipped, url)
    feed = parsed.get("feed") or {}
    return Feed(title=_plain(feed.get("title"), feed.get("title_detail")), entries=tuple(entries), skipped=skipped)


def feed_links(html: str | bytes, base_url: str) -> list[str]:
    """The RSS and Atom feeds a page announces with ``<link rel="alternate">``.

    :param html: the page (text, or bytes in UTF-8 or with a meta charset).
    :param base_url: the page's URL (a ``<base href>`` in the page is honoured).
    :returns: absolute http(s) feed URLs in page order, each once; comment
        feeds (title or URL containing "comments") and JSON feeds are left out;
        empty for an empty or unparsable page.
    """
    if not isinstance(html, (str, bytes)) or not html.strip():
        return []
    if isinstance(html, str) and html.lstrip().startswith("<?xml"):
        html = html.encode("utf-8")  # lxml refuses str with an encoding declaration
    try:
        document = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return []
    base = base_url
    for href in document.xpath("//base/@href"):
        base = urljoin(base_url, href.strip())
        break
    found: list[str] = []
    for link in document.xpath("//link[@href]"):
        rels = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";")[0].strip().lower()
        if "alternate" not in rels or kind not in FEED_TYPES:
            continue
        try:
            href = urljoin(base, link.get("href").strip())
            scheme = urlsplit(href).scheme
        except ValueError:  # "http://[not-an-ip]/feed/": not a feed to read
            continue
        if "comments" in href.lower() or "comments" in (link.get("title") or "").lower():
            continue
        if scheme in ("http", "https") and href not in found:
            found.append(href)
    return found


def section_feed_url(section_url: str) -> str:
    """The feed of a section listing, by the WordPress convention of appending ``feed/``.

    ``https://news.example.com/category/world/?ref=nav`` →
    ``https://news.example.com/category/world/feed/``. The query and fragment
    are dropped and the path gets a trailing slash first; a URL already
    ending in ``/feed/`` is returned as it is (without query and fragment).
    """
    parts = urlsplit(section_url.strip())
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    if not path.endswith("/feed/"):
        path += "feed/"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))
