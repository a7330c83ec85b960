"""Article extraction: one fetched page in, the article's raw fields out.

``extract_article(url, body, headers)`` decodes the page (w3lib's rules: BOM,
then the HTTP header, then ``<meta charset>``), parses it once with lxml, and
reads each field in order of trust:

1. structured data (JSON-LD including ``@graph``, microdata, OpenGraph and
   ``article:*`` meta) through extruct;
2. visible markup outside the page's chrome: the first ``<h1>``,
   ``<time datetime>``, bylines, breadcrumbs, ``rel="category tag"`` and
   ``rel="tag"`` links, the reading-time label, the "Source:" line of an
   aggregator's copy (``originalPublisher``, ``isBasedOn``);
3. the main text with trafilatura.

"Chrome" is everything that is not the article itself: ``nav``, ``aside``,
``footer``, forms, ARIA navigation/complementary/contentinfo regions, site
headers outside ``<article>``/``<main>``, and elements whose class or id names
a sidebar, widget, menu, related/recent/trending/popular list, comments,
share bar, ticker, login or pop-up. Nothing in the chrome becomes the
article's headline, date, byline or reading time.

The module imports nothing from Scrapy: it works on saved pages.
"""

from __future__ import annotations

import html
import json
import logging
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterable, Mapping, Optional
from urllib.parse import urljoin, urlsplit

import htmldate
import lxml.html
import trafilatura
from extruct.jsonld import JsonLdExtractor
from extruct.opengraph import OpenGraphExtractor
from extruct.w3cmicrodata import MicrodataExtractor
from lxml import etree
from w3lib.encoding import html_to_unicode

from aggregator.urls import canonical_url

logger = logging.getLogger(__name__)

ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "BlogPosting",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "ReviewNewsArticle",
        "BackgroundNewsArticle",
        "AskPublicNewsArticle",
        "LiveBlogPosting",
        "SatiricalArticle",
        "Report",
        "TechArticle",
    }
)
ARTICLE_MIN_WORDS_UNDATED = 150
"""Words of main text that make a page with no date and no article markup an article."""
LISTING_TYPES = frozenset({"CollectionPage", "SearchResultsPage", "ProfilePage"})

_CHROME_TAGS = frozenset({"nav", "aside", "footer", "dialog", "menu"})
# What is removed before the main-text pass is narrower than what is never
# taken for a headline or date: asides and footers inside articles hold text.
_PRUNE_TAGS = frozenset({"nav", "dialog", "menu"})
_PRUNE_WORDS = re.compile(r"sidebar|related|trending|popular|most-?read|login|modal|popup|ticker", re.I)
_CHROME_ROLES = frozenset({"navigation", "complementary", "contentinfo", "dialog", "search"})
_CHROME_WORDS = re.compile(
    r"sidebar|widget|menu|navbar|navigation|related|recent|trending|popular|"
    r"most-?read|comment|share|sharing|social|ticker|login|signin|sign-in|modal|"
    r"popup|pop-up|newsletter|subscribe|cookie|footer|advert|promo|"
    r"next-post|prev-post|previous-post|post-navigation",
    re.I,
)
# Class names that describe a layout, not a widget: "has-sidebar", "no-sidebar",
# "with-sidebar", "elementor-widget-theme-post-content", "wp-block-…".
_LAYOUT_PREFIXES = ("has-", "no-", "with-", "without-", "sidebar-left", "sidebar-right", "elementor-widget", "wp-block")
# The lookahead on the alternatives' first letters only makes the search faster.
_READING_LABEL = re.compile(
    r"(?=[rmltcвo読阅閱읽RMLTCВO])(?:reading\s+time|read\s+time|min(?:ute)?s?\.?\s+read|lesezeit|lesedauer|"
    r"temps\s+de\s+lecture|tiempo\s+de\s+lectura|tempo\s+di\s+lettura|"
    r"tempo\s+de\s+leitura|leestijd|czas\s+czytania|время\s+чтения|lästid|"
    r"læsetid|lesetid|okuma\s+süresi|読了時間|阅读时间|閱讀時間|읽는\s*시간)",
    re.I,
)
# Compiled XPaths; the first two narrow by a case-stable part of the word,
# the exact, case-insensitive test is made in Python.
_CLASSED_TEXT_ELEMENTS = etree.XPath(
    "//*[self::span or self::div or self::p or self::li or self::small or self::time]"
    "[contains(@class, 'ate') or contains(@class, 'ATE') or contains(@class, 'ublish')"
    " or contains(@class, 'UBLISH') or contains(@class, 'osted') or contains(@class, 'OSTED')"
    " or contains(@class, 'eta') or contains(@class, 'ETA')]"
)
_CRUMB_CANDIDATES = etree.XPath(
    "//*[contains(@class, 'rumb') or contains(@class, 'RUMB') or contains(@id, 'rumb') or contains(@id, 'RUMB')]"
)
_BYLINE_CANDIDATES = etree.XPath(
    "//body//*[contains(@class, 'yline') or contains(@class, 'YLINE') or contains(@class, 'uthor')"
    " or contains(@class, 'UTHOR') or contains(@class, 'utor') or contains(@class, 'UTOR') or @itemprop='author']"
)
_BYLINE_CLASS = re.compile(r"byline|author|autor", re.I)
_REL_LINKS = etree.XPath("//a[@rel]")
_LABEL_CANDIDATES = etree.XPath(
    "//body//*[self::strong or self::b or self::dt or self::th or self::span or self::label"
    " or self::h4 or self::h5 or self::h6]"
)
_SOURCE_LABEL = re.compile(
    r"^(?:(?:sources?|quelle|fuente|fonte|źródło)\s*:|(?:originally\s+(?:published|appeared|posted)|"
    r"first\s+(?:published|appeared))(?:\s+(?:at|by|on|in))?\b\s*:?|via\b)",
    re.I,
)
_INLINE_TAGS = frozenset({"strong", "b", "em", "i", "span", "small", "label", "a", "u"})
_LABEL_WORDS = frozenset({
    "countdown", "aftermath", "results", "result", "winners", "losers", "picture", "story", "stories", "economy",
    "moments", "verdict", "latest", "answer", "answers", "truth", "debate", "reaction", "reactions", "review",
    "interview", "update", "updates", "explainer", "timeline", "lowdown", "rundown", "recap", "roundup", "wrap",
    "briefing", "highlights", "preview", "facts", "numbers", "basics", "details", "evidence", "end", "beginning",
})
_NOT_PUBLISHERS = frozenset({
    "live", "live updates", "latest", "latest news", "updates", "update", "analysis", "opinion", "video", "videos",
    "photos", "pictures", "in pictures", "gallery", "report", "explainer", "explained", "review", "interview",
    "podcast", "watch", "breaking", "breaking news", "exclusive", "editorial", "commentary", "feature", "q&a",
    "recap", "highlights", "preview", "obituary", "letters", "quiz", "poll", "full text", "transcript", "timeline",
    "factbox", "fact check", "news", "sport", "sports", "business", "politics", "world", "world news", "home",
    "faq", "live blog", "as it happened", "the latest", "what we know", "what you need to know",
})
_VISIBLE_TEXT = etree.XPath("//body//text()[string-length(normalize-space()) > 2]")
_UPDATED = re.compile(
    r"\b(updated?|modified|last\s+modified|aktualisiert|actualizado|mis\s+à\s+jour|aggiornato)\b",
    re.I,
)
_PUBLISHED_PREFIX = re.compile(
    r"^\s*(published|posted|publication|date|on|veröffentlicht|publicado|publié\s+le|publié)\s*(on|:)?\s*:?\s*",
    re.I,
)
_DATE_LABEL = re.compile(
    r"^\s*(date|datum|published|publication\s+date|date\s+published|veröffentlicht(\s+am)?|erschienen(\s+am)?|"
    r"publié\s+le|date\s+de\s+publication|fecha|publicado|data|pubblicato|gepubliceerd|publicerad|opublikowano)\s*:?\s*$",
    re.I,
)
_RDF_DESCRIPTION = re.compile(r"<rdf:Description\b[^>]{0,4000}>", re.I)
_XML_ATTRIBUTE = re.compile(r'([\w:]+)\s*=\s*"([^"]*)"')
_DATELINE = re.compile(
    r"\s*[^\W\d_][\w .'/-]{1,40},?\s*\(?"
    r"(\d{1,2}\.\s?\d{1,2}\.\s?\d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}\.?\s+[^\W\d_]{3,}\.?\s+\d{4}|[^\W\d_]{3,}\.?\s+\d{1,2},\s+\d{4})"
    r"\)?\s*[.:–—-]\s"
)
_DATELINE_ELEMENTS = 12
"""How many paragraphs from the top a dateline is looked for in."""
_NAMES_DAY = re.compile(r"\d{4}|\d{1,2}\s*[./-]\s*\d{1,2}\s*[./-]\s*\d{2}")
_URL_DATE = re.compile(r"/((?:19|20)\d{2})/(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])(?=/|$|[-_.])")
_BYLINE_PREFIX = re.compile(
    r"^\s*(?:(?:written|reported|posted|text)\s+by|by|von|par|por|di|door|av|af|de|autor(?:in)?(?:/autor)?|author|auteur)\s*(?:[:\s]\s*|$)",
    re.I,
)
_WRITTEN_BY = re.compile(r"\s*(written\s+by|author|autor)", re.I)
_ORGANISATION_TYPES = frozenset({"Organization", "NewsMediaOrganization", "Corporation", "WebSite"})
_AUTHOR_CLASS_SKIP = re.compile(
    r"bio|avatar|image|img|photo|pic|desc|about|social|follow|more|date|time|title|label|role|job|credit|copyright|caption", re.I
)
_AUTHOR_PATHS = frozenset({"author", "authors", "autor", "autoren", "auteur", "auteurs", "autore", "autori", "autores", "journalist", "journalisten", "reporter", "staff", "writers"})
_BREADCRUMB_SEPARATORS = {">", "›", "»", "/", "|", "→", "·", "-", "–", "—", "::", "»»", "≫", ">>"}
_SPACE = re.compile(r"\s+")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "date",
    "dc.date",
    "dc.date.issued",
    "dc.date.created",
    "dcterms.created",
    "dcterms.date",
    "dcterms.issued",
    "sailthru.date",
    "parsely-pub-date",
    "article.published",
    "published_time",
    "original-publish-date",
    "cxenseparse:recs:publishtime",
)
_MODIFIED_META = (
    "article:modified_time",
    "og:updated_time",
    "datemodified",
    "dcterms.modified",
    "last-modified",
    "article.updated",
)


@dataclass
class Extraction:
    """What ``extract_article`` found on one page.

    ``fields`` holds the article's raw fields keyed by their ``Article`` item
    names (``headline``, ``datePublishedRaw``…), only those found.
    ``is_article`` is False for listings, tag/author/search/login pages and
    pages that could not be read; ``reason`` then says why (a short stat
    name: ``empty``, ``binary``, ``unparsable``, ``listing``, ``page``,
    ``no_headline``, ``short_body``, ``no_date``: no date, no article
    markup and under ``ARTICLE_MIN_WORDS_UNDATED`` words). ``problems`` lists recoverable faults met
    on the way (``jsonld_invalid``, ``body_failed``…) for the caller to count.
    """

    fields: dict[str, Any] = field(default_factory=dict)
    is_article: bool = False
    reason: Optional[str] = None
    problems: list[str] = field(default_factory=list)


def clean_text(value: Any) -> Optional[str]:
    """Collapse whitespace of a string; None for empty or non-string values."""
    if not isinstance(value, str):
        return None
    if "&" in value:
        value = html.unescape(value)
    text = _SPACE.sub(" ", value.replace("\xad", "")).strip()
    return text or None


def decode_body(body: bytes, content_type: Optional[str] = None) -> tuple[str, str]:
    """Decode page bytes with w3lib's rules (BOM, then HTTP header, then
    meta; with none, UTF-8 when the bytes are UTF-8, else windows-1252).

    :param content_type: the ``Content-Type`` header value, if any.
    :returns: ``(encoding, text)``; undecodable bytes become U+FFFD.
    """
    return html_to_unicode(content_type, body, auto_detect_fun=_utf8_or_windows_1252)


def _utf8_or_windows_1252(body: bytes) -> str:
    """For a page that declares no encoding: UTF-8 if it decodes as such,
    else windows-1252, the fallback browsers use for Western pages."""
    try:
        body[:262144].decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < 262140:  # not just a character cut at the end of the sample
            return "cp1252"
    return "utf-8"


_NOT_TEXT = re.compile("[\ufffd\x00-\x08\x0b\x0e-\x1f]")
"""Replacement characters and control characters other than tab, newline, carriage return and form feed."""


def looks_binary(text: str) -> bool:
    """True when more than 2% of the first 32 K characters are control
    characters or replacement characters: bytes that are not text."""
    sample = text[:32768]
    if not sample:
        return False
    return len(_NOT_TEXT.findall(sample)) / len(sample) > 0.02


def _header(headers: Optional[Mapping[Any, Any]], name: str) -> Optional[str]:
    if not headers:
        return None
    for key, value in headers.items():
        key = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        if key.lower() == name.lower():
            if isinstance(value, list):
                value = value[0] if value else None
            if isinstance(value, bytes):
                value = value.decode("latin-1")
            return value
    return None


def extract_article(
    url: str, body: bytes, headers: Optional[Mapping[Any, Any]] = None
) -> Extraction:
    """Extract one page's article fields.

    :param url: the URL the page was fetched from (after redirects); relative
        links are resolved against it.
    :param body: the raw response body (bytes, after transport decoding).
    :param headers: the response headers (``str`` or ``bytes`` keys and
        values; Scrapy's ``Headers`` works), used for ``Content-Type``.
    :returns: an :class:`Extraction`; never raises for bad input: an empty,
        binary or unparsable page is returned with ``is_article=False`` and a
        ``reason``.
    """
    if not body or not body.strip():
        return Extraction(reason="empty")
    _encoding, text = decode_body(body, _header(headers, "Content-Type"))
    problems = []
    if looks_binary(text) and _encoding not in ("utf-8", "utf8"):
        try:
            # A page that declares euc-kr or latin-1 but is UTF-8 (re-encoded
            # on the way): its declared charset turns it into noise.
            text = body.decode("utf-8")
            problems.append("charset_wrong")
        except UnicodeDecodeError:
            pass
    if looks_binary(text):
        return Extraction(reason="binary")
    try:
        page = _Page(url, text)
    except (etree.ParserError, ValueError) as exc:
        logger.debug("Cannot parse %s: %s", url, exc)
        return Extraction(reason="unparsable")
    except RecursionError:
        logger.debug("Structured data of %s is nested too deeply to read", url)
        return Extraction(reason="unparsable", problems=["too_deep"])
    try:
        result = page.extract()
        result.problems[:0] = problems
        return result
    except RecursionError:
        logger.debug("Markup of %s is nested too deeply to extract", url)
        return Extraction(reason="unparsable", problems=["too_deep"])


class _Page:
    """One parsed page; each ``_<field>`` method reads one field."""

    def __init__(self, url: str, text: str):
        self.url = url
        # lxml refuses text that still declares its encoding: it is decoded already.
        self.text = _XML_DECLARATION.sub("", text, count=1)
        self.root = self._parse()
        self.problems: list[str] = []
        self._chrome_cache: dict[Any, bool] = {}
        self.jsonld = self._jsonld_nodes()
        self.jsonld_ids = {n["@id"]: n for n in self.jsonld if isinstance(n.get("@id"), str) and len(n) > 1}
        self.article_node = self._article_node()
        self.og = self._opengraph()
        self.meta = self._meta_names()
        self.microdata = self._microdata_article()

    # --- structured data ----------------------------------------------------
    def _jsonld_nodes(self) -> list[dict]:
        extractor = JsonLdExtractor()
        try:
            items = extractor.extract_items(self.root, base_url=self.url)
        except Exception:  # extruct raises on the first script that does not parse
            self.problems.append("jsonld_invalid")
            items = []
            for script in self.root.xpath('//script[@type="application/ld+json"]'):
                try:
                    data = json.loads(script.text_content(), strict=False)
                except ValueError:
                    continue
                items.extend(data if isinstance(data, list) else [data])
        nodes: list[dict] = []

        def walk(value: Any, depth: int = 0) -> None:
            if depth > 5:
                return
            if isinstance(value, list):
                for entry in value:
                    walk(entry, depth + 1)
            elif isinstance(value, dict):
                nodes.append(value)
                for key in ("@graph", "mainEntity"):
                    if isinstance(value.get(key), (dict, list)):
                        walk(value[key], depth + 1)

        walk(items)
        return nodes

    @staticmethod
    def _types(node: dict) -> set[str]:
        value = node.get("@type")
        values = value if isinstance(value, list) else [value]
        return {str(v).rsplit("/", 1)[-1] for v in values if v}

    def _article_node(self) -> Optional[dict]:
        candidates = [n for n in self.jsonld if self._types(n) & ARTICLE_TYPES]
        if not candidates:
            return None
        with_headline = [n for n in candidates if n.get("headline") or n.get("name")]
        return (with_headline or candidates)[0]

    def _opengraph(self) -> dict[str, list[str]]:
        props: dict[str, list[str]] = {}
        try:
            for entry in OpenGraphExtractor().extract_items(self.root):
                for key, value in entry["properties"]:
                    props.setdefault(key.lower(), []).append(value)
        except Exception:
            self.problems.append("opengraph_invalid")
        return props

    def _meta_names(self) -> dict[str, list[str]]:
        metas: dict[str, list[str]] = {}
        for el in self.root.xpath("//meta[@content]"):
            key = el.get("name") or el.get("itemprop") or el.get("property") or el.get("http-equiv")
            if key:
                metas.setdefault(key.strip().lower(), []).append(el.get("content"))
        return metas

    def _microdata_article(self) -> dict:
        if not self.root.xpath("//*[@itemscope][contains(@itemtype, 'Article') or contains(@itemtype, 'BlogPosting')]"):
            return {}
        try:
            items = MicrodataExtractor().extract_items(self.root, self.url)
        except Exception:
            self.problems.append("microdata_invalid")
            return {}
        for item in items:
            types = item.get("type")
            types = types if isinstance(types, list) else [types]
            if any(str(t).rsplit("/", 1)[-1] in ARTICLE_TYPES for t in types if t):
                return item.get("properties", {})
        return {}

    def _first(self, mapping: dict[str, list[str]], *keys: str) -> Optional[str]:
        for key in keys:
            for value in mapping.get(key, []):
                text = clean_text(value)
                if text:
                    return text
        return None

    # --- chrome ---------------------------------------------------------------
    def _is_chrome_element(self, el: Any) -> bool:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in ("header", "footer") and any(a.tag in ("article", "main") for a in el.iterancestors()):
            return False  # the article's own header (headline, byline) and footer (tags)
        if tag in _CHROME_TAGS:
            return True
        if tag == "header":
            return not el.xpath(".//h1")
        if (el.get("role") or "").lower() in _CHROME_ROLES:
            return True
        if tag in ("html", "body", "main"):
            return False  # "has-sidebar", "no-sidebar" on the page itself describe its layout
        names = f"{el.get('class') or ''} {el.get('id') or ''}"
        if names.strip():
            for token in names.split():
                if token.lower().startswith(_LAYOUT_PREFIXES):
                    continue
                if _CHROME_WORDS.search(token):
                    return True
        return False

    def in_chrome(self, el: Any) -> bool:
        """True when the element or one of its ancestors is page chrome."""
        chain = []
        node = el
        while node is not None:
            cached = self._chrome_cache.get(node)
            if cached is not None:
                result = cached
                break
            chain.append(node)
            if self._is_chrome_element(node):
                result = True
                break
            node = node.getparent()
        else:
            result = False
        for visited in chain:
            self._chrome_cache[visited] = result
        return result

    def _content(self, xpath: str) -> list[Any]:
        return [el for el in self.root.xpath(xpath) if not self.in_chrome(el)]

    def _rel_links(self, token: str) -> list[Any]:
        """Links outside the chrome whose ``rel`` holds ``token`` (``rel="category tag"``)."""
        return [el for el in _REL_LINKS(self.root) if token in el.get("rel").split() and not self.in_chrome(el)]

    # --- fields ---------------------------------------------------------------
    def extract(self) -> Extraction:
        fields: dict[str, Any] = {}
        h1 = self._main_h1()
        shown = fields["headline"] = self._headline(h1)
        fields["headline"], fields["originalPublisher"], fields["isBasedOn"] = self._original_publisher(fields["headline"])
        fields["alternativeHeadline"] = self._alternative_headline(fields["headline"])
        fields["description"] = self._description()
        fields["canonicalUrl"] = self._canonical_url()
        published, modified = self._dates(h1)
        if published:
            fields["datePublishedRaw"], fields["datePublishedRawSource"] = published[0]
            fields["datePublishedCandidates"] = [{"raw": raw, "source": source} for raw, source in published]
        if modified:
            fields["dateModifiedRaw"], fields["dateModifiedRawSource"] = modified[0]
            fields["dateModifiedCandidates"] = [{"raw": raw, "source": source} for raw, source in modified]
        fields["authors"] = self._authors()
        fields["breadcrumbs"] = self._breadcrumbs()
        fields["articleSection"] = self._article_sections()
        fields["tags"] = self._tags()
        fields["mainImage"] = self._main_image()
        fields["inLanguage"] = self._language()
        fields["readingTimeRaw"] = self._reading_time_label()
        kind = self._page_kind()
        # trafilatura prunes the tree it is given: it runs last.
        fields["articleBody"] = self._body(h1, {fields["headline"], shown})
        fields = {k: v for k, v in fields.items() if v not in (None, [], "")}
        result = Extraction(fields=fields, problems=self.problems)
        body = fields.get("articleBody") or ""
        if kind in ("listing", "page"):
            result.reason = kind
        elif not fields.get("headline"):
            result.reason = "no_headline"
        elif len(body.split()) < 30 and len(body) < 200:
            result.reason = "short_body"
        elif not fields.get("datePublishedRaw") and kind != "article" and len(body.split()) < ARTICLE_MIN_WORDS_UNDATED:
            result.reason = "no_date"
        else:
            result.is_article = True
        return result

    def _main_h1(self) -> Optional[Any]:
        for el in self._content("//h1"):
            if clean_text(el.text_content()):
                return el
        return None

    @cached_property
    def site_names(self) -> list[str]:
        """Names the site goes by: ``og:site_name``, ``application-name``, the
        JSON-LD publisher and ``WebSite``/``Organization`` names, and the host
        name without ``www.`` (``golem.de``) and its first label (``golem``)."""
        names = list(self.og.get("og:site_name", [])) + self.meta.get("application-name", [])
        publisher = (self.article_node or {}).get("publisher")
        for entry in _as_list(publisher):
            if isinstance(entry, dict):
                ref = entry.get("@id")
                entry = self.jsonld_ids.get(ref, entry) if "name" not in entry and isinstance(ref, str) else entry
                names.append(entry.get("name"))
        sources = {  # the organisation an aggregated article comes from is not the site
            ref.get("@id") for ref in _as_list((self.article_node or {}).get("sourceOrganization"))
            if isinstance(ref, dict) and isinstance(ref.get("@id"), str)
        }
        for node in self.jsonld:
            if self._types(node) & {"WebSite", "Organization", "NewsMediaOrganization"} and (
                not isinstance(node.get("@id"), str) or node["@id"] not in sources
            ):
                names.append(node.get("name"))
        host = _host(self.url) or ""
        if host:
            names.extend([host, host.split(".")[0]])
        return _unique(clean_text(n) if isinstance(n, str) else None for n in names)

    def _headline_candidates(self, h1: Any) -> dict[str, Optional[str]]:
        structured = None
        if self.article_node:
            structured = clean_text(self.article_node.get("headline") or self.article_node.get("name"))
        head_title = self.root.xpath("(//head/title)[1]") or self.root.xpath("(//title)[1]")
        return {
            "structured": structured or self._microdata_value("headline"),
            "h1": clean_text(h1.text_content()) if h1 is not None else None,
            "og": self._first(self.og, "og:title"),
            "twitter": self._first(self.meta, "twitter:title"),
            "title": clean_text(head_title[0].text_content()) if head_title else None,
        }

    def _headline(self, h1: Any) -> Optional[str]:
        """The headline: structured data's, else ``og:title``, else the first
        main ``<h1>``, else ``twitter:title``, else ``<title>``; each without a
        suffix naming the site (" | Example News", " - example.com"). A
        structured headline cut short is replaced by the ``<h1>`` it starts;
        one that is ``og:title`` behind a kicker ("Kicker: Headline") gives
        way to ``og:title``."""
        names = self.site_names
        found = {k: _strip_site_name(v, names) for k, v in self._headline_candidates(h1).items()}
        # "Headline | Börsen-Zeitung" next to a bare "Headline": the tail is the site's.
        for key, value in found.items():
            for other in found.values():
                if value and other and len(other) < len(value) and value.startswith(other):
                    tail = value[len(other) :]
                    if tail.startswith(_TITLE_SEPARATORS) and _looks_like_name(tail.lstrip(" |-–—:·―｜»/")):
                        found[key] = value = other
        self.headline_candidates = found
        structured, h1_text, og = found["structured"], found["h1"], found["og"]
        if structured:
            # A structured headline cut at 110 characters: the visible one is whole.
            if h1_text and len(h1_text) > len(structured) and h1_text.startswith(structured.rstrip(".… ")):
                return h1_text
            if og and len(og) < len(structured) and structured.endswith(og):
                kicker = structured[: -len(og)].rstrip()
                if kicker.endswith(":") and len(kicker.split()) <= 6:
                    return og
            return structured
        return og or h1_text or found["twitter"] or found["title"]

    def _original_publisher(self, headline: Optional[str]) -> tuple[Optional[str], Optional[str], Optional[str]]:
        """Who first published an article that an aggregator republishes.

        From, in this order: a "Source:" line (also "Originally published
        by", "Via", "Quelle:", …) before or after the article's paragraphs,
        with or without a link to another site; JSON-LD ``isBasedOn`` /
        ``sourceOrganization``; a headline suffix after " – ", " — " or
        " | " that reads as a publication's name (Title Case, at most five
        words, not a label such as "Live Updates", not the site's own name),
        taken when it matches the source line or the host of a link in the
        article to another site, or, unconfirmed, when it is of the form
        "The Diplomat" (two to four words, not ending in a label word such
        as "Countdown"). A " - " suffix is taken only when confirmed.

        :returns: ``(headline, originalPublisher, isBasedOn)``: the headline
            without the publisher's suffix, the publisher's name, and the
            URL of the original article (a link to another site, without
            tracking parameters or fragment) or None.
        """
        headline, publisher, based_on = self._original_publisher_raw(headline)
        return headline, publisher, canonical_url(based_on) if based_on else None

    def _original_publisher_raw(self, headline: Optional[str]) -> tuple[Optional[str], Optional[str], Optional[str]]:
        source_name, based_on = self._source_line()
        node = self.article_node or {}
        for value in _as_list(node.get("isBasedOn")) + _as_list(node.get("isBasedOnUrl")):
            url = value.get("url") or value.get("@id") if isinstance(value, dict) else value
            url = _join(self.url, url.strip()) if isinstance(url, str) else None
            if not based_on and url and self._is_other_site(url):
                based_on = url
        for organisation in _as_list(node.get("sourceOrganization")):
            if isinstance(organisation, dict) and isinstance(organisation.get("@id"), str) and "name" not in organisation:
                organisation = self.jsonld_ids.get(organisation["@id"], organisation)
            name = organisation.get("name") if isinstance(organisation, dict) else organisation
            if not source_name and isinstance(name, str):
                source_name = clean_text(name)
        site_names = self.site_names
        if source_name and _is_own_name(source_name, site_names):
            source_name = None  # "Source: Example News" on Example News
        if not headline:
            return headline, source_name, based_on
        hosts = self._other_hosts(based_on)
        for sep in (" – ", " — ", " | ", " - "):
            head, found, tail = headline.rpartition(sep)
            tail = tail.strip()
            if not found or len(head.split()) < 3 or not _looks_like_publisher(tail) or _is_own_name(tail, site_names):
                continue
            key = _name_key(tail)
            matches = bool(key) and (
                (source_name is not None and key == _name_key(source_name))
                or any(key in (_name_key(host), _name_key(host.split(".")[0]), _name_key(_domain(host).split(".")[0]))
                       for host in hosts)
            )
            # Unconfirmed, only "The Diplomat"-like names count: "– The Final Countdown" ends in a label word.
            words = tail.split()
            publication = words[0] == "The" and 2 <= len(words) <= 4 and words[-1].casefold() not in _LABEL_WORDS
            if matches or (sep != " - " and publication):
                # A name taken from a link's host ("thediplomat.com") gives way to the one in the headline.
                named = source_name if source_name and "." not in source_name else None
                return head.strip(), named or tail, based_on
        return headline, source_name, based_on

    def _is_other_site(self, url: str) -> bool:
        """True for an http(s) URL on another site than the page's: another
        registered domain (``m.example.com`` is ``www.example.com``'s)."""
        host = _host(url)
        own = _host(self.url)
        return bool(host) and url.lower().startswith(("http://", "https://")) and _domain(host) != _domain(own or "")

    def _other_hosts(self, based_on: Optional[str]) -> set[str]:
        """Hosts (without ``www.``) other than the page's that the article
        links to or takes its image or canonical URL from."""
        urls = [based_on, *self.og.get("og:url", []), *self.og.get("og:image", [])]
        urls += self.root.xpath("//link[@rel='canonical']/@href")
        urls += [el.get("href") for el in self._content("//body//a[@href]")]
        hosts = set()
        for url in urls:
            if isinstance(url, str) and url.strip():
                absolute = _join(self.url, url.strip())
                if absolute and self._is_other_site(absolute) and not _is_reference(absolute):
                    hosts.add(_host(absolute))
        return hosts

    def _source_line(self) -> tuple[Optional[str], Optional[str]]:
        """The article's "Source:" line, before its first or after its last
        paragraph (a chart's source between paragraphs or an image credit
        is not the article's).

        :returns: ``(name, url)``: the publisher's name (the link text when
            it reads as a name, else the text after the label, else the
            linked host) and the link's URL when it leads to another site;
            ``(None, None)`` when there is no such line.
        """
        blocks = []
        for el in _labelled_elements(self.root, _SOURCE_LABEL):
            if _is_credit(el):
                continue
            while el is not None and el.tag in _INLINE_TAGS and el.getparent() is not None:
                el = el.getparent()
            if el is None or el in blocks or _is_credit(el):
                continue
            text = clean_text(el.text_content()) or ""
            if len(text) <= 300 and _SOURCE_LABEL.match(text) and not self.in_chrome(el):
                blocks.append(el)
        if not blocks:
            return None, None
        order = {el: i for i, el in enumerate(self.root.iter())}
        paragraphs = [order[p] for p in self._content("//body//p") if len(p.text_content().strip()) >= 80]
        for el in blocks:
            if paragraphs and min(paragraphs) < order[el] < max(paragraphs) and not el.xpath(".//p"):
                continue
            text = clean_text(el.text_content()) or ""
            rest = _SOURCE_LABEL.sub("", text, count=1).strip(" :–—-.")
            url = name = None
            for link in el.iter("a"):
                href = _join(self.url, (link.get("href") or "").strip())
                if href and self._is_other_site(href) and not _is_reference(href):
                    url = href
                    link_text = clean_text(link.text_content()) or ""
                    name = link_text if link_text and _looks_like_name(link_text) and "." not in link_text else None
                    break
            else:
                link_text = ""
            if len(rest) - len(link_text) > 20:
                continue  # a sentence ("Sources told Reuters the vote may slip"), not a source line
            if url is None and list(el.iter("a")):
                continue  # a link to the site itself (a print view's "Source: <own URL>"), a paper, a social post
            if name is None and rest and _looks_like_name(rest) and "/" not in rest and len(rest) <= 60:
                name = rest
            if name and _is_own_name(name, self.site_names):
                name = None
            if name is None and url is not None:
                name = _host(url)
            if name:
                return name, url
        return None, None

    def _alternative_headline(self, headline: Optional[str]) -> Optional[str]:
        """JSON-LD / microdata ``alternativeHeadline`` (a subtitle or the
        other of the site's two headlines), unless it repeats the headline."""
        value = clean_text((self.article_node or {}).get("alternativeHeadline")) or self._microdata_value(
            "alternativeHeadline"
        )
        if value and headline and _name_key(value) == _name_key(headline):
            return None
        return value

    def _microdata_value(self, name: str) -> Optional[str]:
        value = self.microdata.get(name)
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, dict):
            value = value.get("properties", {}).get("name") or value.get("value")
        return clean_text(value)

    def _description(self) -> Optional[str]:
        value = self._first(self.og, "og:description")
        if not value and self.article_node:
            value = clean_text(self.article_node.get("description"))
        return value or self._first(self.meta, "description", "twitter:description")

    def _canonical_url(self) -> Optional[str]:
        candidates = self.root.xpath('//link[contains(concat(" ", normalize-space(@rel), " "), " canonical ")]/@href')
        candidates += self.og.get("og:url", [])
        page_path = urlsplit(self.url).path.strip("/")
        for href in candidates:
            href = (href or "").strip()
            if not href:
                continue
            absolute = _join(self.url, href)
            if absolute is None or _host(absolute) is None:
                self.problems.append("url_invalid")
                continue
            parts = urlsplit(absolute)
            if parts.scheme not in ("http", "https"):
                continue
            if page_path and not parts.path.strip("/") and not parts.query:
                # A canonical pointing at the site's root on a non-root page lies.
                self.problems.append("canonical_is_root")
                continue
            return absolute
        return self.url

    def _dates(self, h1: Any) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """Published and modified date candidates as ``(raw, source)``, most
        trusted first: structured data, meta, ``<time>``, text near the
        headline, htmldate (only when there is no structured or ``<time>``
        date), the URL."""
        published: list[tuple[str, str]] = []
        modified: list[tuple[str, str]] = []
        node = self.article_node or {}
        for key, target in (("datePublished", published), ("dateCreated", published), ("dateModified", modified)):
            value = clean_text(node.get(key))
            if value:
                target.append((value, "json-ld"))
        for key, target in (("datePublished", published), ("dateModified", modified)):
            value = self._microdata_value(key)
            if value:
                target.append((value, "microdata"))
        value = self._first(self.og, "article:published_time") or self._first(self.meta, *_PUBLISHED_META)
        if value:
            published.append((value, "meta"))
        value = self._first(self.og, "article:modified_time", "og:updated_time") or self._first(self.meta, *_MODIFIED_META)
        if value:
            modified.append((value, "meta"))
        value = self._rdf_date()
        if value:
            published.append((value, "rdf"))
        for el in self._content("//time"):
            text = clean_text(el.text_content()) or ""
            value = clean_text(el.get("datetime")) or _PUBLISHED_PREFIX.sub("", text)
            if not value:
                continue
            names = f"{el.get('class') or ''} {el.get('itemprop') or ''}"
            marker = _UPDATED.search(text)
            if marker and _PUBLISHED_PREFIX.sub("", text[: marker.start()]).strip(" |·•-–,"):
                # "14/03/2024 08:05 | Updated 14/03/2024 21:40": the first date is the publication.
                published.append((_PUBLISHED_PREFIX.sub("", text[: marker.start()]).strip(" |·•-–,"), "text"))
                modified.append((value, "time"))
            elif re.search(r"\bpublished\b", names, re.I):
                # WordPress themes print the publication as "entry-date published updated"
                # even for an edited post: it is the publication, and says nothing of edits.
                published.append((value, "time"))
            elif _UPDATED.search(names) or "modified" in names.lower():
                modified.append((value, "time"))
            else:
                published.append((value, "time"))
        # A clock time alone ("9:05 PM" in a blog's microdata) names no day.
        structured = any(_NAMES_DAY.search(raw) for raw, _ in published)
        text, updated = self._visible_date(h1)
        if text:
            published.append((text, "text"))
        if updated:
            modified.append((updated, "text"))
        if not structured and not text:
            labelled = self._labelled_date() or self._dateline_date()
            if labelled:
                published.append((labelled, "text"))
        if not structured:
            found = self._htmldate(h1)
            if found:
                published.append((found, "htmldate"))
        match = _URL_DATE.search(urlsplit(self.url).path)
        if match:
            year, month, day = match.groups()
            published.append((f"{year}-{int(month):02d}-{int(day):02d}", "url"))
        return _unique_pairs(published), _unique_pairs(modified)

    def _rdf_date(self) -> Optional[str]:
        """The Dublin Core ``dc:date`` of an RDF block that describes this
        page (``rdf:about`` or ``dc:identifier`` is its URL): the trackback
        metadata blog platforms put in the page, often inside a comment."""
        if "rdf:Description" not in self.text:
            return None
        own = _url_key(self.url)
        for match in _RDF_DESCRIPTION.finditer(self.text):
            attributes = dict(_XML_ATTRIBUTE.findall(match.group(0)))
            about = attributes.get("rdf:about") or attributes.get("dc:identifier")
            if about and _url_key(html.unescape(about)) == own and attributes.get("dc:date"):
                return clean_text(attributes["dc:date"])
        return None

    def _dateline_date(self) -> Optional[str]:
        """The date of a dateline that opens the article's text: "Karlsruhe,
        (12.11.2021). The …", "BERLIN, 4 March 2025 – The …" (press releases)."""
        seen = 0
        for el in self.root.xpath("//body//*[self::p or self::strong or self::b]"):
            if self.in_chrome(el):
                continue
            match = _DATELINE.match(el.text_content() or "")
            if match:
                return match.group(1)
            seen += 1
            if seen >= _DATELINE_ELEMENTS:
                break
        return None

    def _labelled_date(self) -> Optional[str]:
        """A date after a label of its own outside the chrome:
        ``<strong>Date</strong> 28.04.2023``, ``<dt>Published</dt><dd>…</dd>``,
        ``<h5>Datum:</h5> 03.02.2022``."""
        for el in _LABEL_CANDIDATES(self.root):
            if not _DATE_LABEL.match(el.text_content() or "") or self.in_chrome(el):
                continue
            following = el.getnext()
            value = clean_text(el.tail) or (clean_text(following.text_content()) if following is not None else None)
            if value and len(value) <= 40 and re.search(r"\d", value):
                return value
        return None

    def _htmldate(self, h1: Any) -> Optional[str]:
        """htmldate's guess at the original publication day (``YYYY-MM-DD``):
        its date patterns, header, abbr and text heuristics, for pages that
        give no structured or ``<time>`` date. It reads a copy of the page
        without its sidebars, related/trending lists, menus and pop-ups
        (they date other articles), but with its header and footer (removing
        all of the chrome, as for headlines, scored worse), and not the URL
        (the URL date is a candidate of its own)."""
        h1_path = h1.getroottree().getpath(h1) if h1 is not None else None
        root = self._parse()
        found = root.getroottree().xpath(h1_path) if h1_path else []
        self._prune_chrome(root, found[0] if found else None)
        try:
            return _find_date(root)
        except Exception as exc:  # htmldate has its own failure modes on odd pages
            logger.debug("htmldate failed on %s: %s", self.url, exc)
            self.problems.append("htmldate_failed")
            return None

    def _visible_date(self, h1: Any) -> tuple[Optional[str], Optional[str]]:
        """Dates printed as text in the article's header: the first element
        near the headline whose class names a date, outside the chrome.

        :returns: ``(published, updated)`` raw texts, split at an "Updated"
            marker ("Published: May 18 · Updated: May 19"); either may be None.
        """
        dated, meta = [], []
        for el in _CLASSED_TEXT_ELEMENTS(self.root):
            names = el.get("class").lower()
            if "date" in names or "publish" in names or "posted" in names:
                dated.append(el)
            elif "meta" in names:
                meta.append(el)
        dated = [el for el in dated if not self.in_chrome(el)]
        # Innermost first: a "post-date" span before the "posted-on" span around it.
        found = set(dated)
        inner = [el for el in dated if not any(other in found for other in el.iterdescendants())]
        elements = inner + [el for el in dated if el not in set(inner)]
        elements += [el for el in meta if not self.in_chrome(el)]
        if h1 is not None:
            near = {h1.getparent(), *h1.itersiblings()}
            # Prefer elements in the headline's own block.
            elements.sort(key=lambda el: 0 if (el in near or el.getparent() in near) else 1)
        for el in elements:
            text = clean_text(el.text_content())
            if not text or len(text) > 120 or not re.search(r"\d", text):
                continue
            marker = _UPDATED.search(text)
            updated = text[marker.end() :].strip(" :|·•-–,") if marker else None
            text = text[: marker.start()] if marker else text
            text = _PUBLISHED_PREFIX.sub("", text.strip(" |·•-–,")).strip()
            published = text if re.search(r"\d", text) else None
            updated = updated if updated and re.search(r"\d", updated) else None
            if published or updated:
                return published, updated
        return None, None

    def _authors(self) -> list[str]:
        """Author names: structured data's people; else the visible byline
        (``rel="author"``, byline/author classes, links to author pages);
        else ``meta`` authors; else structured data's organisations. A name
        that is the site's own ("Example News", "example.com") is used only
        when nothing else names anyone."""
        site_names = self.site_names
        people, organisations = [], []
        for name, is_org in self._structured_authors():
            for part in _split_authors(name):
                is_org = is_org or _is_site_name(part, site_names) or "www." in part
                (organisations if is_org else people).append(part)
        if people:
            return _unique(people)
        fallback: list[str] = []
        for names in (self._byline_authors(), self._meta_authors()):
            cleaned = _unique(part for name in names for part in _split_authors(name))
            persons = [n for n in cleaned if not (_is_site_name(n, site_names) or "www." in n)]
            if persons:
                return persons
            fallback = fallback or cleaned
        return _unique(organisations) or fallback

    def _structured_authors(self) -> list[tuple[str, bool]]:
        """``(name, is_organisation)`` of the JSON-LD (``@id`` references
        resolved; ``name``, else ``givenName familyName``, else ``byline``)
        or microdata authors."""
        found: list[tuple[str, bool]] = []
        node = self.article_node or {}
        for author in _as_list(node.get("author")) + _as_list(node.get("creator")):
            if isinstance(author, dict):
                if set(author) <= {"@id", "@type"} and isinstance(author.get("@id"), str) and author["@id"] in self.jsonld_ids:
                    author = self.jsonld_ids[author["@id"]]
                name = author.get("name")
                if isinstance(name, list):
                    name = next((n for n in name if isinstance(n, str)), None)
                if not isinstance(name, str) or not name.strip():
                    given, family = author.get("givenName"), author.get("familyName")
                    name = " ".join(v for v in (given, family) if isinstance(v, str)) or author.get("byline")
                is_org = bool(self._types(author) & _ORGANISATION_TYPES)
                if isinstance(name, str) and name.strip():
                    found.append((name, is_org))
            elif isinstance(author, str) and not author.startswith("http"):
                found.append((author, False))
            if len(found) >= 20:
                break
        if not found:
            for author in _as_list(self.microdata.get("author")):
                if isinstance(author, dict):
                    name = clean_text(author.get("properties", {}).get("name"))
                    is_org = any("Organization" in str(t) for t in _as_list(author.get("type")))
                    if name:
                        found.append((name, is_org))
                elif isinstance(author, str):
                    found.append((author, False))
        return found

    def _byline_authors(self) -> list[str]:
        """Names in the visible byline, outside the chrome: ``rel="author"``
        links, then the innermost short elements whose class names a byline
        or an author, then links to author pages (``/author/jane-doe/``)."""
        names = [el.text_content() for el in self._rel_links("author")]
        if names:
            return names
        elements = [
            el for el in _BYLINE_CANDIDATES(self.root)
            if (el.get("itemprop") == "author" or _BYLINE_CLASS.search(el.get("class") or "")) and not self.in_chrome(el)
        ]
        chosen = set(elements)
        for el in elements:
            if any(d in chosen for d in el.iterdescendants()) or el.tag in ("img", "script", "style", "figure", "picture"):
                continue
            if _AUTHOR_CLASS_SKIP.search(el.get("class") or ""):
                continue
            text = clean_text(el.text_content())
            if text and len(text) <= 100 and not _PUBLISHED_PREFIX.match(text):
                names.append(text)
            if len(names) >= 8:
                break
        if names:
            return names
        for el in self.root.iter("a"):
            href = _join(self.url, el.get("href") or "")
            path = urlsplit(href).path.lower().strip("/").split("/") if href and _host(href) else []
            if (len(path) >= 2 and path[-2] in _AUTHOR_PATHS or len(path) >= 3 and path[-3] in _AUTHOR_PATHS) and not self.in_chrome(el):
                names.append(el.text_content())
                if len(names) >= 8:
                    break
        return names

    def _meta_authors(self) -> list[str]:
        names = []
        for key in ("author", "article:author", "articleauthor", "byl", "dc.creator", "parsely-author", "sailthru.author"):
            names.extend(v for v in self.meta.get(key, []) + self.og.get(key, []) if v and not v.strip().startswith("http"))
            if names:
                return names
        for key, values in self.meta.items():  # Twitter's "Written by" label
            if key.startswith("twitter:label") and any(_WRITTEN_BY.match(v or "") for v in values):
                names.extend(self.meta.get(key.replace("label", "data"), []))
            elif key.startswith("twitter:misc:") and _WRITTEN_BY.match(key[len("twitter:misc:") :]):
                names.extend(values)
        return names

    def _breadcrumbs(self) -> list[dict]:
        for node in self.jsonld:
            if "BreadcrumbList" in self._types(node):
                crumbs = []
                elements = [e for e in _as_list(node.get("itemListElement")) if isinstance(e, dict)]
                elements.sort(key=lambda e: _as_int(e.get("position")))
                for element in elements:
                    item = element.get("item")
                    name = element.get("name") or (item.get("name") if isinstance(item, dict) else None)
                    href = item.get("@id") or item.get("url") if isinstance(item, dict) else item
                    name = clean_text(name)
                    if name:
                        crumbs.append({"name": name, "url": _join(self.url, href) if isinstance(href, str) else None})
                if crumbs:
                    return crumbs
        containers = [
            el for el in _CRUMB_CANDIDATES(self.root)
            if "breadcrumb" in f"{el.get('class') or ''} {el.get('id') or ''}".lower()
        ]
        for container in containers:
            if any(a in containers for a in container.iterancestors()):
                continue
            if any(_CHROME_WORDS.search(f"{a.get('class') or ''}") and a.tag not in ("nav",) for a in container.iterancestors()):
                continue
            crumbs = []
            for piece in container.xpath(".//text()"):
                name = clean_text(piece)
                if not name or name in _BREADCRUMB_SEPARATORS:
                    continue
                parent = piece.getparent()
                link = parent if parent.tag == "a" else next((a for a in parent.iterancestors("a")), None)
                href = link.get("href") if link is not None else None
                crumbs.append({"name": name, "url": _join(self.url, href) if href else None})
            if crumbs:
                return crumbs
        return []

    def _article_sections(self) -> list[str]:
        names: list[str] = []
        node = self.article_node or {}
        names.extend(s for s in _as_list(node.get("articleSection")) if isinstance(s, str))
        names.extend(self.og.get("article:section", []))
        for el in self._rel_links("category"):
            names.append(el.text_content())
        return _unique(clean_text(n) for n in names)

    def _tags(self) -> list[str]:
        names: list[str] = list(self.og.get("article:tag", []))
        keywords = (self.article_node or {}).get("keywords")
        if isinstance(keywords, str):
            names.extend(keywords.split(","))
        elif isinstance(keywords, list):
            names.extend(k for k in keywords if isinstance(k, str))
        for el in self._rel_links("tag"):
            if "category" not in (el.get("rel") or ""):
                names.append(el.text_content())
        return _unique(clean_text(n) for n in names)

    def _main_image(self) -> Optional[str]:
        value = self._first(self.og, "og:image", "og:image:url", "og:image:secure_url")
        if not value and self.article_node:
            for image in _as_list(self.article_node.get("image")):
                value = image.get("url") if isinstance(image, dict) else image
                if isinstance(value, str):
                    break
        value = value or self._first(self.meta, "twitter:image")
        return _join(self.url, value.strip()) if isinstance(value, str) and value.strip() else None

    def _language(self) -> Optional[str]:
        lang = clean_text(self.root.get("lang") or self.root.get("{http://www.w3.org/XML/1998/namespace}lang"))
        if not lang and self.article_node:
            lang = clean_text(self.article_node.get("inLanguage"))
        if not lang:
            lang = self._first(self.og, "og:locale") or self._first(self.meta, "content-language", "language")
        return lang.replace("_", "-") if lang else None

    def _reading_time_label(self) -> Optional[str]:
        for text_node in _VISIBLE_TEXT(self.root):
            if not _READING_LABEL.search(text_node):
                continue
            parent = text_node.getparent()
            if parent is None or parent.tag in ("script", "style") or self.in_chrome(parent):
                continue
            label = clean_text(parent.text_content())
            if label and len(label) <= 60 and re.search(r"\d", label):
                return label
        return None

    def _page_kind(self) -> Optional[str]:
        """What the page says it is: ``article`` (structured data or
        ``og:type`` name an article), ``listing`` (a collection, search or
        profile page, a WordPress archive, or several headline cards and no
        article markup), ``page`` (a WordPress page, an about or contact
        page), or None when it does not say."""
        types = set().union(*(self._types(n) for n in self.jsonld)) if self.jsonld else set()
        body_class = set(" ".join(self.root.xpath("//body/@class")).split())
        if types & LISTING_TYPES or {"archive", "category", "tag", "author", "search", "search-results", "blog", "error404"} & body_class:
            return "listing"
        if self.article_node or self.microdata:
            return "article"
        if types & {"AboutPage", "ContactPage"} or ("page" in body_class and "single" not in body_class):
            return "page"
        og_type = (self._first(self.og, "og:type") or "").lower()
        if og_type == "article" or self._first(self.og, "article:published_time"):
            return "article"
        # Several headlines that link elsewhere on the site: cards of a listing.
        host = urlsplit(self.url).netloc
        targets = set()
        for link in self._content("//*[self::h2 or self::h3 or self::h4]//a[@href]"):
            href = (_join(self.url, link.get("href")) or "").split("#")[0]
            if href and _host(href) is not None and urlsplit(href).netloc == host and href != self.url:
                targets.add(href)
        return "listing" if len(targets) >= 4 else None

    def _parse(self) -> Any:
        parser = lxml.html.HTMLParser(huge_tree=False, remove_comments=True)
        return lxml.html.document_fromstring(self.text, parser=parser, base_url=self.url)

    def _is_prunable(self, el: Any) -> bool:
        if el.tag in _PRUNE_TAGS or (el.get("role") or "").lower() in _CHROME_ROLES:
            return True
        names = f"{el.get('class') or ''} {el.get('id') or ''}"
        if not _PRUNE_WORDS.search(names):
            return False
        # A BEM element ("podcast-description__sidebar") belongs to its block.
        return any(
            _PRUNE_WORDS.search(token.split("__")[0]) and not token.lower().startswith(_LAYOUT_PREFIXES)
            for token in names.split()
        )

    def _prune_chrome(self, root: Any, h1: Any, broad: bool = False) -> None:
        """Remove navigation, sidebars, related/trending lists and pop-ups from
        the tree before the main-text pass (``broad``: all of the page's
        chrome, as for headlines and dates), except an element that holds the
        headline or most of the page's paragraph text (a class name such as
        "has-related" on the article's own wrapper)."""
        paragraphs = root.xpath("//p")
        total = sum(len(p.text_content()) for p in paragraphs) or 1
        outermost = []
        stack = [root]
        is_chrome = self._is_chrome_element if broad else self._is_prunable
        while stack:
            el = stack.pop()
            if el.tag not in ("html", "body") and is_chrome(el):
                outermost.append(el)  # its subtree goes with it
            else:
                stack.extend(child for child in el if isinstance(child.tag, str))
        for el in outermost:
            if h1 is not None and (el is h1 or h1 in el.iterdescendants()):
                continue
            if sum(len(p.text_content()) for p in el.iter("p")) > total / 2:
                continue
            el.drop_tree()

    def _main_text(self, root: Any, favor_recall: bool = False) -> Optional[str]:
        try:
            # bare_extraction keeps the page's own characters (extract() would
            # NFC-normalize them and so split words written with combining marks).
            document = trafilatura.bare_extraction(
                root,
                url=self.url,
                include_comments=False,
                include_tables=True,
                deduplicate=False,
                favor_recall=favor_recall,
            )
            return document.text if document is not None else None
        except Exception as exc:  # trafilatura has many failure modes on broken markup
            logger.debug("trafilatura failed on %s: %s", self.url, exc)
            self.problems.append("body_failed")
            return None

    def _body(self, h1: Any, headlines: set[Optional[str]]) -> Optional[str]:
        """Main text: trafilatura on the page without its chrome. When that
        keeps under 60% of the words in the paragraphs of the headline's
        ``<article>``/``<main>`` (stray closing tags cut the article short),
        a second pass on a fresh parse favours recall and the longer text wins.
        A first paragraph that repeats one of ``headlines`` (the headline
        with and without a publisher's suffix) is left out."""
        container = next((a for a in h1.iterancestors("article", "main")), None) if h1 is not None else None
        expected = sum(len(p.text_content().split()) for p in container.iter("p")) if container is not None else 0
        h1_path = h1.getroottree().getpath(h1) if h1 is not None else None
        self._prune_chrome(self.root, h1)
        text = self._main_text(self.root)
        if expected and len((text or "").split()) < 0.6 * expected:
            self.problems.append("body_recall_pass")
            root = self._parse()
            found = root.getroottree().xpath(h1_path) if h1_path else []
            self._prune_chrome(root, found[0] if found else None)
            second = self._main_text(root, favor_recall=True)
            if len((second or "").split()) > len((text or "").split()):
                text = second
        if text:
            paragraphs = [p.strip() for p in text.splitlines() if p.strip()]
            if paragraphs and clean_text(paragraphs[0]) in headlines - {None}:
                paragraphs = paragraphs[1:]
            return "\n\n".join(paragraphs) or None
        return clean_text((self.article_node or {}).get("articleBody"))


_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ", " ― ", " ｜ ", "｜", " » ", " / ")


def _name_key(text: str) -> str:
    """A name reduced to its letters and digits, lower case: ``"Golem.de"`` → ``"golemde"``."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _url_key(url: str) -> str:
    """A URL without its scheme, ``www.``, fragment and trailing slash, to compare two."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").removeprefix("www.")
    except ValueError:
        return url.strip()
    return f"{host}{parts.path.rstrip('/')}{'?' + parts.query if parts.query else ''}"


def _find_date(root: Any) -> Optional[str]:
    """htmldate's original publication day of a tree, or None (a bare year,
    "© 2025", that htmldate turned into 1 January is None too)."""
    found = htmldate.find_date(root, url="", original_date=True, extensive_search=True)
    if found and found.endswith("-01-01") and not _spells_new_year(root.text_content(), found[:4]):
        return None
    return found


def _spells_new_year(text: str, year: str) -> bool:
    """True when a page's text writes 1 January of ``year`` as a date."""
    return any(
        form in text
        for form in (f"{year}-01-01", f"{year}/01/01", f"01.01.{year}", f"1.1.{year}", f"01/01/{year}", f"January 1, {year}", f"1 January {year}")
    )


def _looks_like_name(text: str) -> bool:
    """True for a short name-like tail ("Börsen-Zeitung", "DW | 28.04.2023"):
    at most five words, none starting with a lower-case letter."""
    words = text.replace("|", " ").split()
    return 0 < len(words) <= 5 and not any(w[0].islower() for w in words)


def _looks_like_publisher(text: str) -> bool:
    """True for a tail that reads as a publication's name ("The Diplomat",
    "CNN", "Asia Times", "thediplomat.com"): one to five words, each
    capitalized except joining words, no sentence punctuation, not a label
    ("Live Updates", "Analysis") and not a page number."""
    words = text.split()
    if not 0 < len(words) <= 5 or text.casefold() in _NOT_PUBLISHERS or text[-1] in "?!.:,;\"'”’»)":
        return False
    if "." in text and " " not in text:
        return bool(re.fullmatch(r"[\w-]+(?:\.[\w-]+)+", text))  # a domain name
    if any(ch.isdigit() for ch in text) and not re.search(r"[^\W\d_]", text):
        return False
    if not words[0][0].isupper() or re.search(r"\bpage\s+\d", text, re.I):
        return False
    return all(w[0].isupper() or w[0].isdigit() or w.casefold() in _JOINING_WORDS or w == "&" for w in words)


def _labelled_elements(root: Any, label: re.Pattern) -> Iterable[Any]:
    """Elements whose own text, or a child's tail, opens with ``label``
    (an anchored match, so a page of any size costs one short test per
    text; scripts and styles left out)."""
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.text and el.tag not in ("script", "style") and label.match(el.text.lstrip()[:60]):
            yield el
        if el.tail and label.match(el.tail.lstrip()[:60]):
            parent = el.getparent()
            if parent is not None:
                yield parent  # "<br>Source: …" is the tail of the <br>


def _is_credit(el: Any) -> bool:
    """True inside a figure, a table or an image caption or credit
    (``wp-caption-text``, ``credit``): a photo's or a chart's source."""
    for node in (el, *el.iterancestors()):
        if node.tag in ("figure", "figcaption", "table"):
            return True
        names = (node.get("class") or "").lower()
        if "caption" in names or "credit" in names:
            return True
    return False


def _domain(host: str) -> str:
    """The registered domain of a host name, roughly: its last two labels,
    or three under a short second level (``bbc.co.uk``)."""
    labels = host.split(".")
    take = 3 if len(labels) >= 3 and len(labels[-2]) <= 3 and len(labels[-1]) == 2 else 2
    return ".".join(labels[-take:])


def _is_own_name(name: str, site_names: Iterable[str]) -> bool:
    """True for the site's own name, with or without "The" or a longer tail
    ("The Harbour Post", "Harbour Post Newsroom" on Harbour Post)."""
    if _is_site_name(name, site_names) or _is_site_name(re.sub(r"^the\s+", "", name, flags=re.I), site_names):
        return True
    key = _name_key(re.sub(r"^the\s+", "", name, flags=re.I))
    return any(len(k) >= 6 and key.startswith(k) for k in (_name_key(n) for n in site_names))


def _host(url: str) -> Optional[str]:
    """The URL's host name, lower case, without ``www.``; None when it has
    none or does not parse (``http://[not-an-ip]/``)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018  # raises for a port out of range
    except ValueError:
        return None
    return host.removeprefix("www.") if host else None


def _join(base: str, url: str) -> Optional[str]:
    """``url`` made absolute against ``base``; None when it does not parse."""
    try:
        return urljoin(base, url)
    except ValueError:
        return None


def _is_reference(url: str) -> bool:
    """True for a link a "Source:" line cites that is not a publisher's
    article: a document file, a DOI, a social network post."""
    host = (_host(url) or "").removeprefix("m.")
    return (
        urlsplit(url).path.lower().endswith(_DOCUMENT_SUFFIXES)
        or host == "doi.org" or host.endswith(".doi.org")
        or any(host == social or host.endswith("." + social) for social in _SOCIAL_HOSTS)
    )


_DOCUMENT_SUFFIXES = (".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".csv", ".zip", ".odt")
_SOCIAL_HOSTS = frozenset({
    "facebook.com", "twitter.com", "x.com", "instagram.com", "youtube.com", "youtu.be", "t.me", "tiktok.com",
    "linkedin.com", "threads.net", "bsky.app", "reddit.com", "t.co",
})
_JOINING_WORDS = frozenset({"of", "the", "and", "de", "des", "du", "la", "le", "der", "die", "das", "di", "del", "el", "y", "on", "for", "at", "in", "am"})


def _is_site_name(text: str, site_names: Iterable[str]) -> bool:
    key = _name_key(text)
    if not key:
        return False
    for name in site_names:
        other = _name_key(name)
        if other and (key == other or (len(other) >= 4 and key.startswith(other) and len(key) <= len(other) + 4)):
            return True
    return False


def _strip_site_name(title: Optional[str], site_names: Any = None) -> Optional[str]:
    """Drop a ``" | Site"`` / ``" - Site"`` suffix (or ``"Site | "`` prefix)
    naming the site: ``og:site_name``, the publisher or the host name
    (``"Title - Golem.de"``). With no site name known, a tail of at most
    three words after ``" | "`` goes.

    :param site_names: a name or a list of names the site goes by.
    """
    if not title:
        return title
    names = [site_names] if isinstance(site_names, str) else list(site_names or [])
    for _ in range(2):  # "Headline | Section | Site"
        for sep in _TITLE_SEPARATORS:
            head, found, tail = title.rpartition(sep)
            if found and head.strip() and _is_site_name(tail, names):
                title = head.strip()
                break
            lead, found, rest = title.partition(sep)
            if found and rest.strip() and _is_site_name(lead, names):
                title = rest.strip()
                break
        else:
            break
    if not names:
        head, found, tail = title.rpartition(" | ")
        if found and head.strip() and len(tail.split()) <= 3:
            return head.strip()
    return title


_AUTHOR_SPLIT = re.compile(r"\s*(?:;|\||\s(?:and|und|et|y|e|i|og|och|en|und|&|ve|и)\s)\s*", re.I)
_SOCIAL_NAMES = frozenset({"twitter", "facebook", "instagram", "linkedin", "x", "youtube", "tiktok", "email", "e-mail", "mail", "whatsapp", "threads", "bluesky", "rss"})


def _split_authors(value: Optional[str]) -> list[str]:
    """One byline as clean names: "By A, B and C" → ``["A", "B", "C"]``.
    A comma splits only a list with a conjunction or two commas ("Doe,
    Jane" and "AFP, Manila" stay whole). Handles, e-mail addresses, URLs,
    social network names and dates are dropped."""
    text = clean_text(value)
    if not text:
        return []
    text = _BYLINE_PREFIX.sub("", text).strip(" ,;:|")
    parts = _AUTHOR_SPLIT.split(text)
    if len(parts) > 1 or text.count(",") >= 2:
        parts = [piece for part in parts for piece in part.split(",")]
    names = []
    for part in parts:
        name = _clean_author(part)
        if name:
            names.append(name)
    return names


def _clean_author(name: Optional[str]) -> Optional[str]:
    name = clean_text(name)
    if not name:
        return None
    name = _BYLINE_PREFIX.sub("", name).strip(" ,;:|·•-–")
    if not name or name.startswith(("@", "http", "www.")) or len(name) > 80:
        return None
    if re.fullmatch(r"\S+@\S+\.\S+", name) or name.casefold() in _SOCIAL_NAMES or re.search(r"[:/©]", name):
        return None  # an e-mail address, a share link, a photo credit
    if re.search(r"\d", name):
        # "Jane Doe 12 May 2024", "Jane Doe | 14:05": the date goes.
        name = re.split(r"\s*[|,·•–-]?\s*\S*\d", name, maxsplit=1)[0].strip(" ,;:|·•-–")
        if len(name) < 2:
            return None
    return name


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _as_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _unique_pairs(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: set[str] = set()
    return [(raw, source) for raw, source in pairs if not (raw in seen or seen.add(raw))]


def _unique(values: Iterable[Optional[str]]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        if value and value.casefold() not in seen:
            seen[value.casefold()] = value
    return list(seen.values())
