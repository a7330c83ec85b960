"""Items of the crawl, with schema.org / Zyte ``Article`` field names.

The spider fills the raw fields (``…Raw`` and the extracted ones); the
pipelines fill the normalized ones (``datePublished``, ``section``,
``readingTimeMinutes``…). Each field's docstring gives its format, unit,
time zone and fallback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass
class Article:
    """One news article page."""

    url: str
    """URL the page was fetched from, after redirects."""

    site: str
    """Host name of the crawled site (``www.`` kept), e.g. ``news.example.com``."""

    canonicalUrl: Optional[str] = None
    """The article's canonical URL: ``<link rel=canonical>``, else ``og:url``
    (ignored when either points at the site's root), else ``url``; the URLs
    pipeline then drops tracking parameters and the fragment."""

    headline: Optional[str] = None
    """Headline as plain text: structured data's ``headline``, else
    ``og:title``, else the first ``<h1>`` outside navigation and sidebars,
    else ``twitter:title`` / ``<title>``, each without a suffix naming the
    site (" | Example News", " - example.com")."""

    description: Optional[str] = None
    """Summary from ``og:description`` / ``meta[name=description]`` / JSON-LD."""

    datePublishedRaw: Optional[str] = None
    """The publication date exactly as found on the page."""

    datePublishedRawSource: Optional[str] = None
    """Where ``datePublishedRaw`` came from: ``json-ld``, ``microdata``,
    ``meta``, ``rdf`` (a Dublin Core ``dc:date`` in RDF), ``time``, ``text``,
    ``htmldate`` or ``url`` (or a feed's or sitemap's field)."""

    datePublishedCandidates: list[dict] = field(default_factory=list)
    """Every publication date found, most trusted first, as ``[{"raw": …,
    "source": …}]``; the dates pipeline uses the first one that parses and is
    plausible, and sets ``datePublishedRaw`` to it. Not archived."""

    datePublished: Optional[str] = None
    """Publication time in UTC, ISO 8601 with ``Z`` (``2025-02-19T02:30:00Z``);
    a day-only raw value stays a date (``2025-02-19``), see
    ``datePublishedPrecision``. Filled by the dates pipeline; None when the
    raw value cannot be parsed."""

    datePublishedLocal: Optional[str] = None
    """Publication time with the offset it was given in (or the site's time zone)."""

    datePublishedPrecision: Optional[str] = None
    """``day``, ``minute`` or ``second``; a day-only date is never given a time."""

    datePublishedTimezoneSource: Optional[str] = None
    """Where the offset of ``datePublished`` came from: ``value`` (the raw
    value has one), ``site`` (``SITE_TIMEZONE``), ``page`` (another date on
    the same page has one), ``default`` (none found: UTC assumed) or ``none``
    (a day-only date)."""

    dateModifiedRaw: Optional[str] = None
    """The last-modified date as found on the page."""

    dateModifiedCandidates: list[dict] = field(default_factory=list)
    """Every modification date found, as ``datePublishedCandidates``. Not archived."""

    dateModifiedRawSource: Optional[str] = None
    """Where ``dateModifiedRaw`` came from, as ``datePublishedRawSource``."""

    dateModified: Optional[str] = None
    """Last-modified time in UTC, as ``datePublished``."""

    dateModifiedLocal: Optional[str] = None
    """Last-modified time with its offset, as ``datePublishedLocal``."""

    dateModifiedPrecision: Optional[str] = None
    """``day``, ``minute`` or ``second``."""

    dateDownloaded: Optional[str] = None
    """When the page was fetched, UTC ISO 8601 with ``Z``; the anchor of relative dates."""

    authors: list[str] = field(default_factory=list)
    """Author names, in page order, without "By" or dates."""

    breadcrumbs: list[dict] = field(default_factory=list)
    """The page's breadcrumb trail as ``[{"name": …, "url": …}]`` (``url`` may
    be None), outermost first, the "Home" link included when the page shows it."""

    articleSection: list[str] = field(default_factory=list)
    """Section names the page itself declares (``article:section``, JSON-LD
    ``articleSection``, ``rel="category tag"`` links), in page order."""

    listingSection: Optional[list[str]] = None
    """Section path of the listing page the article was found on, if any."""

    section: Optional[list[str]] = None
    """Canonical section path from the site's menu taxonomy, e.g.
    ``["World News", "Asia"]``. Filled by the sections pipeline."""

    sections: list[list[str]] = field(default_factory=list)
    """Every section path of the article, the primary ``section`` first, then
    its other categories (matched to the taxonomy, or kept as given)."""

    sectionSource: Optional[str] = None
    """Where ``section`` came from: ``breadcrumbs``, ``declared``, ``listing``,
    ``url`` or ``unmatched`` (a name not in the taxonomy, kept as given)."""

    tags: list[str] = field(default_factory=list)
    """Tag names (``article:tag``, JSON-LD ``keywords``, ``rel="tag"`` links)."""

    articleBody: Optional[str] = None
    """Main text, plain, paragraphs separated by one blank line."""

    mainImage: Optional[str] = None
    """Absolute URL of the lead image (``og:image`` or JSON-LD ``image``)."""

    inLanguage: Optional[str] = None
    """Language of the page (BCP 47, e.g. ``en-US``) from ``<html lang>`` or metadata."""

    readingTimeRaw: Optional[str] = None
    """The page's own reading-time label, e.g. ``Reading Time: 6 mins read``."""

    readingTimeMinutes: Optional[int] = None
    """Minutes: from ``readingTimeRaw`` when present, else word count /
    ``READING_WPM`` (CJK: characters / ``READING_CPM``), rounded up, at least 1."""

    readingTimeSource: Optional[str] = None
    """``label`` or ``computed``."""

    wordCount: Optional[int] = None
    """Words in ``articleBody`` (CJK characters count one each)."""

    httpEtag: Optional[str] = None
    """The response's ``ETag`` header (not schema.org): sent back as
    ``If-None-Match`` when the article is revisited."""

    httpLastModified: Optional[str] = None
    """The response's ``Last-Modified`` header, as sent (not schema.org):
    sent back as ``If-Modified-Since`` when the article is revisited."""

    alternativeHeadline: Optional[str] = None
    """A second headline as plain text: structured data's
    ``alternativeHeadline`` (a subtitle, or the site's other headline), never
    equal to ``headline``; None when the page gives none."""

    originalPublisher: Optional[str] = None
    """Who first published an article an aggregator republishes, as the page
    names it: its "Source:" line (link text, label text or the linked host),
    JSON-LD ``sourceOrganization``, or a publication's name after the
    headline ("… – The Diplomat", then left out of ``headline``). Not
    schema.org; None on a publisher's own articles."""

    isBasedOn: Optional[str] = None
    """URL of the original article (schema.org ``isBasedOn``): the
    "Source:" line's link to another site, or JSON-LD ``isBasedOn``."""


@dataclass
class Section:
    """One entry of a site's section taxonomy, read from its menus."""

    site: str
    """Host name of the site."""

    path: list[str]
    """Names from the top section down, e.g. ``["World News", "Asia"]``."""

    url: Optional[str] = None
    """Absolute URL of the section's listing page."""

    isListing: Optional[bool] = None
    """None: a menu entry, read from the home page; True: its page was
    fetched and is a listing (the section is archived); False: its page is
    an article or a page such as "About us" (it is not a section)."""
