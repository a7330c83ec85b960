"""The ``news`` spider: a news site's home page, menus, sections, sitemaps, feeds, articles.

Usage::

    scrapy crawl news -a url=https://news.example.com/ -s ARCHIVE_PATH=news.sqlite
    scrapy crawl news -a site=NAME            # a site of the sites file (SITES_FILE)

Sources (``-a sources=menu,sitemap,feed``, default all):

- ``menu``: from the home page it reads the two-level section menu
  (:func:`aggregator.menus.read_menus`), walks every section's listing pages
  through their pagination (``rel="next"``, ``/page/N/``, ``?paged=N``; at
  most ``SECTION_MAX_PAGES`` pages a section) and fetches every article
  linked from them. Each menu entry's first page is checked: a listing
  confirms the section (a ``Section`` item with ``isListing``), an article
  is archived as one, and a page such as "About us" is left out of the
  taxonomy and not walked. Articles linked only from the home page or from
  sidebars and widgets ("Recent News", "Trending") are fetched last, so that
  an article is first met on its own section's listing (its ``listingSection``).
- ``sitemap``: the ``Sitemap:`` lines of robots.txt (as read by Scrapy's
  RobotsTxtMiddleware, not fetched twice), else ``/wp-sitemap.xml``,
  ``/sitemap_index.xml``, ``/sitemap.xml`` (the first that is a sitemap) and
  ``/news-sitemap.xml``; indexes are followed (taxonomy, author and page
  sitemaps skipped), gzip bodies decoded, a child sitemap whose ``lastmod``
  is older than the site's last successful run skipped; Google News
  ``news:publication_date`` / ``news:keywords`` are kept as date candidates
  and tags (:mod:`aggregator.sitemaps`).
- ``feed``: the RSS/Atom feeds the home page declares (``<link
  rel="alternate">``), else ``/feed/``; without the ``menu`` source, also each
  menu section's own feed (``<section>/feed/``). Entry dates are kept as date
  candidates (:mod:`aggregator.feeds`).

- ``wp-api`` (not among the defaults; ``WP_API_AUTO`` adds it when the home
  page announces the API with ``<link rel="https://api.w.org/">``): the
  WordPress REST API's ``/wp/v2/posts``, every page of it on a first run,
  then only posts modified since the last successful run; each post's exact
  ``date_gmt``/``modified_gmt`` (with the site's offset) rank before the
  page's own dates, and each post page is fetched for the body
  (:mod:`aggregator.wp_api`).

The home page's menu is read whatever the sources: it is the section taxonomy.

Incremental runs: an article URL the archive already holds is not fetched
again (stat ``incremental/skipped_known``) unless it was published (else
first seen) less than ``RECRAWL_DAYS`` ago, its sitemap ``lastmod`` is newer
than its last archiving, or the run has ``-a refresh=1``; revisits send the
stored ``ETag`` / ``Last-Modified`` back as ``If-None-Match`` /
``If-Modified-Since``, and a 304 counts as unchanged. A section's pagination
stops after ``INCREMENTAL_STALE_PAGES`` listing pages in a row that hold only
articles archived by earlier runs, and at once on a page that repeats the
previous one. Article URLs found on listings, the home page, in sidebars,
sitemaps and feeds wait in ``self.state`` (saved in ``JOBDIR``) until the
listings are walked; an article that several listings show gets the most
specific one as its ``listingSection``, whatever order they were read in.

Every page is checked for being HTML, every article page goes through
:func:`aggregator.extraction.extract_article`; pages that are not articles
yield nothing and are counted.

The crawl ends early, with a finish reason the ``crawl`` command turns into a
non-zero exit status, when the home page cannot be fetched
(``site_unreachable``), is not HTML (``home_not_html``) or redirects to
another site (``home_offsite``).

Stats (all under ``aggregator/``): ``pages/articles``,
``pages/not_article/<reason>``, ``pages/not_html``, ``listings/pages``,
``listings/max_pages_reached``, ``listings/repeated_page``,
``listings/not_listing``, ``home/no_menu``, ``articles/discovered``
(distinct article URLs met), ``articles/front`` (those linked from pages
every run reads: see :meth:`NewsSpider._front_page`), ``incremental/skipped_known`` (distinct URLs),
``incremental/revisit/<recent|lastmod|refresh>`` (distinct URLs),
``incremental/not_modified``, ``incremental/pagination_stopped``,
``incremental/archive_unreadable``, ``sitemaps/fetched``, ``sitemaps/urls``,
``sitemaps/unchanged``, ``sitemaps/missing``, ``sitemaps/invalid``,
``sitemaps/not_articles``, ``sitemaps/offsite``, ``sitemaps/too_deep``,
``sitemaps/skipped_entries``, ``sitemaps/max_reached`` (``SITEMAP_MAX_SITEMAPS``),
``feeds/fetched``, ``feeds/entries``, ``feeds/offsite``,
``feeds/invalid``, ``feeds/missing``, ``wp_api/pages``, ``wp_api/posts``,
``wp_api/invalid``, ``wp_api/missing``, ``wp_api/auto``,
``wp_api/max_pages_reached``, ``requests/failed/<error>``
(``http_<status>``, ``timeout``, ``too_large``, ``redirect_loop``,
``robots_txt``, else the exception's class name; see :func:`failure_name`),
``extraction/problems/<name>`` (``canonical_is_listing``: a canonical link
naming a section or the home page, replaced by the page's URL).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Optional
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.robotstxt import ProtegoRobotParser
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.defer import deferred_from_coro

from aggregator.distributed import Job, job_for, worker_settings
from aggregator.config import check_site_url, check_sources
from aggregator.extraction import extract_article
from aggregator.feeds import FeedError, feed_links, parse_feed, section_feed_url
from aggregator.incremental import ArchiveIndex, KnownArticle, revisit_reason
from aggregator.wp_api import WpApiError, api_root, parse_posts, posts_url
from aggregator.middlewares import RedirectLoop
from aggregator.items import Article, Section
from aggregator.menus import read_menus
from aggregator.sitemaps import (
    DEFAULT_SITEMAP_PATHS,
    SitemapError,
    is_article_sitemap,
    lastmod_datetime,
    parse_sitemap,
    robots_sitemaps,
)
from aggregator.urls import NOT_ARTICLE, PAGINATION, canonical_url, page_number, same_site

logger = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# The order in which deferred articles' hints are merged, by source (see NewsSpider._merged_hints).
_HINT_ORDER = {"wp-api": 0, "sitemap": 1, "feed": 2, "listing": 3}
SITEMAP_MAX_DEPTH = 3
"""Sitemap indexes followed this many levels deep at most (the protocol has one)."""


_NAVIGATION = "ancestor::nav or ancestor::footer or ancestor::*[@role='navigation' or @role='contentinfo']"
_SIDEBAR_BOX = (
    "self::aside or @role='complementary' or @class and not(self::body or self::html) and ("
    "contains(@class, 'widget') and (contains(concat(' ', normalize-space(@class), ' '), ' widget ')"
    " or contains(@class, 'widget_')) or contains(@class, 'sidebar') and not(contains(@class, 'no-sidebar')"
    " or contains(@class, 'has-sidebar') or contains(@class, 'with-sidebar')) or contains(@class, 'related')"
    " or contains(@class, 'trending') or contains(@class, 'popular') or contains(@class, 'ticker')"
    " or contains(@class, 'recent-posts') or contains(@class, 'most-read'))"
)
"""A sidebar, a widget, a related/trending list (an element's own test: each element is tested once)."""
_LINKS = f"//a[not({_NAVIGATION})]"
"""Links anywhere but navigation and footers (menus, legal pages)."""
_SIDEBAR_LINKS = f"//*[{_SIDEBAR_BOX}]//a[not({_NAVIGATION})]"
_OWN_LINKS = f"set:difference({_LINKS}, //*[{_SIDEBAR_BOX}]//a)"
"""A page's own links: :data:`_LINKS` but those of :data:`_SIDEBAR_LINKS`, in page order (EXSLT sets)."""
_NEXT_DECLARED = (  # each token test behind a plain substring test, which most links fail
    '//link[contains(@rel, "next")][contains(concat(" ", normalize-space(@rel), " "), " next ")]/@href'
    ' | //a[contains(@rel, "next")][contains(concat(" ", normalize-space(@rel), " "), " next ")]/@href'
    ' | //a[contains(@class, "next")][contains(concat(" ", normalize-space(@class), " "), " next ")]/@href'
)
_NEXT_NUMBERED = "//a/@href[contains(., 'page')]"
"""Links that may name a page number (``PAGINATION`` tells which do): the others are not read."""


def failure_name(failure: Any) -> str:
    """The stat name of a failed request: ``http_<status>``, ``timeout``,
    ``too_large`` (``DOWNLOAD_MAXSIZE``, also after decompression),
    ``redirect_loop``, ``robots_txt``, else the exception's class name."""
    error = failure.value
    if failure.check(HttpError):
        return f"http_{error.response.status}"
    if failure.check(RedirectLoop):
        return "redirect_loop"
    name = type(error).__name__
    if name in ("DownloadTimeoutError", "TimeoutError", "TCPTimedOutError"):
        return "timeout"
    if name == "DownloadCancelledError" or "maxsize" in str(error).lower():
        return "too_large"
    if failure.check(IgnoreRequest) and "robots.txt" in str(error):
        return "robots_txt"
    return name


class NewsSpider(scrapy.Spider):
    """Crawl one news site from its home page, its sitemaps and its feeds.

    :param url: the site's home page (spider argument ``-a url=…``); required.
    :param site_name: the site's name in the sites file (``-a site=NAME`` sets it).
    :param sources: where to find articles, comma-separated: ``menu``
        (menus, section listings, pagination, home page), ``sitemap``,
        ``feed``, ``wp-api``; default the first three.
    :param allowed_domains: other domains the crawl may follow, comma-separated
        (the site's own domain and its subdomains always are).
    :param refresh: ``1``/``true``: fetch every article again, archived or not.
    :raises aggregator.config.ConfigError: (a ``ValueError``) when ``url`` is
        missing or not an http(s) URL, or ``sources`` names an unknown source.
    """

    name = "news"

    def __init__(
        self,
        url: Optional[str] = None,
        site_name: Optional[str] = None,
        sources: Any = None,
        allowed_domains: Any = None,
        refresh: Any = None,
        *args: Any,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        url = check_site_url(url)
        parts = urlsplit(url)
        self.start_url = url
        self.site = parts.netloc.lower()
        self.site_name = site_name
        self.sources = check_sources(sources)
        self.refresh = str(refresh or "").strip().lower() in ("1", "true", "yes", "on")
        extra = allowed_domains.split(",") if isinstance(allowed_domains, str) else list(allowed_domains or [])
        # The bare domain: a www. ↔ bare redirect of the home page stays on the site.
        self.allowed_domains = [parts.hostname.removeprefix("www.")] + [d.strip().lower() for d in extra if d.strip()]
        self._section_urls: set[str] = set()
        self.shared: Optional[Job] = None  # a distributed crawl's shared state (DISTRIBUTED)
        self._shared_menu_read = False
        # Article links: anywhere but navigation and footers (legal pages, menus);
        # those in sidebars, widgets and related/trending lists are not a listing's own.
        # A listing reads each of its links once: its own, then its sidebars'.
        self.link_extractor = LinkExtractor(deny=[NOT_ARTICLE], restrict_xpaths=[_LINKS])
        self.main_link_extractor = LinkExtractor(deny=[NOT_ARTICLE], restrict_xpaths=[_OWN_LINKS])
        self.sidebar_link_extractor = LinkExtractor(deny=[NOT_ARTICLE], restrict_xpaths=[_SIDEBAR_LINKS])
        self._home_url = canonical_url(url)  # canonical
        self.run_started = datetime.now(timezone.utc)
        self.run_started_iso = self.run_started.strftime("%Y-%m-%dT%H:%M:%SZ")  # as the archive writes times
        self._discovered: set[int] = set()
        self._revisited: set[int] = set()
        self._front: set[int] = set()
        self._sitemaps_requested = 0

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.max_pages = settings.getint("SECTION_MAX_PAGES", 50)
        spider.recrawl_days = settings.getfloat("RECRAWL_DAYS", 2)
        spider.stale_pages = settings.getint("INCREMENTAL_STALE_PAGES", 1)
        spider.max_size = settings.getint("DOWNLOAD_MAXSIZE", 10 * 1024 * 1024) or 50 * 1024 * 1024
        spider.max_sitemaps = settings.getint("SITEMAP_MAX_SITEMAPS", 500)
        spider.wp_api_auto = settings.getbool("WP_API_AUTO", False)
        spider.wp_api_max_pages = settings.getint("WP_API_MAX_PAGES", 500)
        if settings.getbool("DISTRIBUTED"):
            spider.shared = job_for(crawler, spider)
        spider.archive = ArchiveIndex(Path(settings.get("ARCHIVE_PATH", "news.sqlite")).expanduser().resolve())
        # robots.txt is read once, by Scrapy's RobotsTxtMiddleware (Protego, the default
        # parser, keeps its Sitemap: lines); otherwise the spider fetches it itself.
        spider.robots_from_scrapy = settings.getbool("ROBOTSTXT_OBEY") and settings.get(
            "ROBOTSTXT_PARSER", "scrapy.robotstxt.ProtegoRobotParser"
        ) in ("scrapy.robotstxt.ProtegoRobotParser", ProtegoRobotParser)
        spider.robots_pending = False
        crawler.signals.connect(spider.on_robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.archive.close, signal=signals.spider_closed)
        return spider

    @classmethod
    def update_settings(cls, settings):
        """Scrapy's, plus a distributed crawl's worker settings when
        ``DISTRIBUTED`` is true (:func:`aggregator.distributed.worker_settings`)."""
        super().update_settings(settings)
        if settings.getbool("DISTRIBUTED"):
            worker_settings(settings)

    async def start(self):
        self.last_run = self._archive_call(lambda: self.archive.last_successful_run(self.site), None)
        # A resumed JOBDIR run drains its saved queue first: the taxonomy read
        # before the pause is given again before any article.
        for path, url in self.kept.get("menu", []):
            self.section_urls.add(url)
            yield Section(site=self.site, path=list(path), url=url)
        yield scrapy.Request(
            self.start_url, callback=self.parse_home, errback=self.on_home_error, priority=100,
            # Read again by a resumed JOBDIR run; read once per run by the workers of a distributed one.
            dont_filter=self.shared is None,
        )
        if "sitemap" in self.sources and self.robots_from_scrapy:
            self.robots_pending = True  # see on_robots_parsed, else parse_home
        elif "sitemap" in self.sources:
            # dont_filter: a resumed JOBDIR run reads the sitemaps again.
            yield scrapy.Request(
                urljoin(self.start_url, "/robots.txt"), callback=self.parse_robots, errback=self.on_robots_error,
                dont_filter=self.shared is None, priority=8,
            )

    # --- state kept across a JOBDIR pause ------------------------------------------
    @property
    def kept(self) -> dict[str, Any]:
        """``self.state``, which Scrapy's SpiderState extension saves in ``JOBDIR``
        and gives back on resume (a plain dict without ``JOBDIR``): ``menu``, the
        taxonomy as ``[(path, url)]``, and ``deferred``."""
        if getattr(self, "state", None) is None:
            self.state = {}
        return self.state

    @property
    def deferred(self) -> dict[str, Optional[dict]]:
        """Article URLs to fetch once every listing is walked (links of listings,
        the home page and sidebars, sitemap and feed entries), each with what
        the listings, sitemaps and feeds said of it merged
        (:meth:`_merged_hints`: ``{"listing": [...], "dates": [...],
        "headline": …, "lastmod": …}``), or None. Kept in ``self.state`` as
        the hints in the order they came."""
        return {url: self._merged_hints(hints) for url, hints in self.kept.get("deferred", {}).items()}

    @property
    def section_urls(self) -> set[str]:
        """URLs of the menu's sections (never articles); in a distributed crawl,
        read from the menu that the worker which read the home page shared."""
        if self.shared is not None and not self._shared_menu_read:
            menu = self.shared.menu()
            if menu is not None:
                self._shared_menu_read = True
                self._section_urls.update(url for _, url in menu)
        return self._section_urls

    def _defer(self, url: str, hints: Optional[dict] = None) -> None:
        if self.shared is not None:  # every worker's deferred URLs wait in Redis
            self.shared.defer(url, hints)
            return
        self._keep_deferred(url, hints)

    def _keep_deferred(self, url: str, hints: Optional[dict] = None) -> None:
        found = self.kept.setdefault("deferred", {}).setdefault(url, [])
        if hints and hints not in found:
            found.append(hints)

    def _merged_hints(self, found: list[dict]) -> Optional[dict]:
        """One article's hints, merged the same way whatever order the pages
        that gave them were read in (so that parallel workers archive what one
        process would): the WordPress API's first, then sitemaps', feeds' and
        listings'; date lists are joined (a feed's date beside a sitemap's
        title: both kept), the later ``lastmod`` wins, and of the listings that
        show the article the most specific section (the longest path, then the
        first in the menu) becomes ``listing``."""
        if not found:
            return None
        merged: dict[str, Any] = {}
        listings = []
        for hints in sorted(found, key=lambda h: (_HINT_ORDER.get(h.get("source"), 9), json.dumps(h, sort_keys=True))):
            for key, value in hints.items():
                if key in ("dates", "modified", "dates_first", "modified_first"):
                    merged[key] = merged.get(key, []) + value
                elif key == "lastmod" and merged.get("lastmod"):
                    # Two sitemaps list the URL (a news sitemap and the full one): the later lastmod.
                    pair = [merged["lastmod"], value]
                    merged["lastmod"] = max(pair, key=lambda v: lastmod_datetime(v) or _EPOCH)
                elif key == "listing":
                    listings.append(value)
                else:
                    merged.setdefault(key, value)
        if listings:
            order = self._menu_order()
            merged["listing"] = min(listings, key=lambda path: (-len(path), order.get(tuple(path), len(order)), path))
        return merged

    def _menu_order(self) -> dict[tuple[str, ...], int]:
        """Each menu section's position in the menu, by path."""
        menu = self.kept.get("menu") or (self.shared.menu() if self.shared is not None else None) or []
        return {tuple(path): index for index, (path, _) in enumerate(menu)}

    def _front_page(self, urls: Iterable[str]) -> None:
        """Count article URLs linked from a page that every run reads the same
        way (the home page, a section's first listing page, a URL list that
        robots.txt names, a main feed): the stat ``articles/front``, which
        incremental runs do not shrink, is what a run is compared with to
        notice a redesign (see the archive pipeline). Sitemap children and the
        WordPress API, read only in part by incremental runs, do not count.
        In a distributed crawl the URLs also go to the run's shared set, which
        the ingester counts for the run record (:meth:`Job.add_front`)."""
        urls = list(urls)
        if self.shared is not None:
            self.shared.add_front(urls)
        for url in urls:
            key = hash(url)
            if key not in self._front:
                self._front.add(key)
                self._inc("articles/front")

    # --- callbacks ------------------------------------------------------------
    def parse_home(self, response: Response) -> Iterable[Any]:
        if not self._allowed(urlsplit(response.url).hostname or ""):
            logger.error("The home page %s redirected to another site: %s; crawl that URL instead", self.start_url, response.url)
            raise CloseSpider("home_offsite")
        if not self._is_html(response):
            raise CloseSpider("home_not_html")
        sections = read_menus(response.text, response.url)
        if not sections:
            logger.warning("No section menu found on %s; following its article links only", response.url)
            self._inc("home/no_menu")
        for section in sections:
            self.section_urls.add(section.url)
        self.kept["menu"] = [(list(section.path), section.url) for section in sections]
        if self.shared is not None:  # before any listing request reaches another worker
            self.shared.publish_menu(self.kept["menu"])
        walk = "menu" in self.sources
        for section in sections:
            # The taxonomy always comes from the menu; its listings are walked for the menu source.
            yield Section(site=self.site, path=list(section.path), url=section.url)
            if walk:
                yield scrapy.Request(
                    section.url,
                    callback=self.parse_listing,
                    errback=self.on_error,
                    cb_kwargs={"section_path": list(section.path), "page": 1},
                    priority=10,
                )
        if walk:
            links = list(self._article_links(response))
            self._front_page(links)
            for url in links:
                self._defer(url)
        if self.robots_pending:  # robots.txt could not be fetched (a network error)
            self.robots_pending = False
            self._inc("sitemaps/no_robots_txt")
            yield from self._guess_sitemaps()
        root = api_root(response.text, response.url)
        if "wp-api" in self.sources or (self.wp_api_auto and root):
            if "wp-api" not in self.sources:
                self._inc("wp_api/auto")
                logger.info("The site announces the WordPress REST API at %s: reading its posts (WP_API_AUTO)", root)
            root = root or urljoin(response.url, "/wp-json/")
            yield self._wp_posts_request(root, 1)
        if "feed" in self.sources:
            declared = feed_links(response.text, response.url)
            feeds = [url for url in declared if self._allowed(urlsplit(url).hostname or "")]
            for url in sorted(set(declared) - set(feeds)):
                self._inc("feeds/offsite")
                logger.info("The home page names a feed on another site: %s (not followed)", url)
            for url in feeds or [urljoin(response.url, "/feed/")]:
                yield scrapy.Request(
                    url, callback=self.parse_feed, errback=self.on_discovery_error,
                    cb_kwargs={"main": True}, priority=8,
                )

    def parse_listing(
        self, response: Response, section_path: list[str], page: int, stale: int = 0, previous: Optional[int] = None
    ) -> Iterable[Any]:
        if not self._is_html(response):
            return
        seen = {canonical_url(response.url), self._home_url}
        links = list(self._article_links(response, self.main_link_extractor, seen))
        # Sidebar links ("Recent News") are fetched last, like the home page's: an
        # article is then first met on its own section's listing.
        for url in self._article_links(response, self.sidebar_link_extractor, seen):
            self._defer(url)
        if page == 1:
            # Is the menu entry a section? A listing, or any page that is not an
            # article and links to articles outside its sidebars (a small section
            # of two cards), yes; an article or a page such as "About us", no.
            result = extract_article(response.url, response.body, response.headers)
            is_listing = result.reason == "listing" or (
                not result.is_article and result.reason != "page" and bool(links)
            )
            yield Section(site=self.site, path=section_path, url=canonical_url(response.url), isListing=is_listing)
            if result.is_article:
                yield from self._article(response, result, None)
                return
            if not is_listing:
                self._inc("listings/not_listing")
                logger.info("Menu entry %s is not a section listing (%s)", response.url, result.reason)
                return
        self._inc("listings/pages")
        if page == 1:
            self._front_page(links)
        archived_before = 0
        for url in links:
            # Fetched once every listing is walked, as part of the most specific section showing it.
            known = self._archive_call(lambda: self.archive.lookup(url), None)
            if known is not None and (known.first_seen or "") < self.run_started_iso:
                archived_before += 1
            self._defer(url, {"source": "listing", "listing": list(section_path)})
        signature = hash(frozenset(links))
        stale = stale + 1 if links and archived_before == len(links) else 0
        next_url = self._next_page(response, page)
        if not next_url:
            return
        if links and signature == previous:
            # A listing that repeats its previous page (pagination past its end): a trap.
            self._inc("listings/repeated_page")
            logger.info("Stopping %s at page %d: it repeats page %d", response.url, page, page - 1)
        elif self.stale_pages and stale >= self.stale_pages and not self.refresh:
            self._inc("incremental/pagination_stopped")
            logger.debug("Stopping %s at page %d: only archived articles", response.url, page)
        elif page >= self.max_pages:
            self._inc("listings/max_pages_reached")
            logger.info("Stopping %s at page %d (SECTION_MAX_PAGES)", response.url, page)
        else:
            yield scrapy.Request(
                next_url,
                callback=self.parse_listing,
                errback=self.on_error,
                cb_kwargs={"section_path": section_path, "page": page + 1, "stale": stale, "previous": signature},
                priority=5,
            )

    def parse_article(
        self, response: Response, listing_section: Optional[list[str]] = None, hints: Optional[dict] = None
    ) -> Iterable[Any]:
        if response.status == 304:  # our conditional request: unchanged since the archived copy
            self._inc("incremental/not_modified")
            return
        if not self._is_html(response):
            return
        result = extract_article(response.url, response.body, response.headers)
        yield from self._article(response, result, listing_section, hints)

    def parse_robots(self, response: Response) -> Iterable[Any]:
        """robots.txt: its ``Sitemap:`` lines, else the usual sitemap locations."""
        urls = self._onsite_sitemaps(robots_sitemaps(response.body, response.url) if response.status == 200 else [])
        if urls:
            for url in urls:
                yield self._sitemap_request(url, depth=0)
        else:
            yield from self._guess_sitemaps()

    def on_robots_parsed(self, robotparser: Any, request: scrapy.Request) -> None:
        """Scrapy's RobotsTxtMiddleware read the site's robots.txt (before the
        home page is fetched): its ``Sitemap:`` lines, else the usual
        locations, are requested (``sources`` with ``sitemap`` only)."""
        if not self.robots_pending or not self._allowed(urlsplit(request.url).hostname or ""):
            return
        self.robots_pending = False
        protego = getattr(robotparser, "rp", None)
        declared = dict.fromkeys(urljoin(request.url, url.strip()) for url in getattr(protego, "sitemaps", []) if url.strip())
        urls = self._onsite_sitemaps(list(declared))
        requests = [self._sitemap_request(url, depth=0) for url in urls] if urls else list(self._guess_sitemaps())
        for sitemap_request in requests:
            self.crawler.engine.crawl(sitemap_request)

    def _onsite_sitemaps(self, urls: list[str]) -> list[str]:
        """The ``Sitemap:`` URLs on the site; the others are counted and logged."""
        onsite = [url for url in urls if self._allowed(urlsplit(url).hostname or "")]
        for url in urls:
            if url not in onsite:
                self._inc("sitemaps/offsite")
                logger.info("robots.txt names a sitemap on another site: %s (not followed)", url)
        return onsite

    def on_robots_error(self, failure: Any) -> Iterable[Any]:
        """No robots.txt: try the usual sitemap locations."""
        self._inc("sitemaps/no_robots_txt")
        yield from self._guess_sitemaps()

    def _guess_sitemaps(self) -> Iterable[scrapy.Request]:
        general = [path for path in DEFAULT_SITEMAP_PATHS if "news" not in path]
        yield self._sitemap_request(urljoin(self.start_url, general[0]), depth=0, guesses=general[1:])
        for path in DEFAULT_SITEMAP_PATHS:
            if "news" in path:
                yield self._sitemap_request(urljoin(self.start_url, path), depth=0, guesses=[])

    def _sitemap_request(self, url: str, depth: int, guesses: Optional[list[str]] = None) -> scrapy.Request:
        """A sitemap request; ``guesses`` (paths) are tried in turn while the guessed
        location fails (None: the URL was declared, not guessed)."""
        self._sitemaps_requested += 1
        return scrapy.Request(
            url, callback=self.parse_sitemap, errback=self.on_discovery_error,
            cb_kwargs={"depth": depth, "guesses": guesses}, priority=8,
        )

    def parse_sitemap(self, response: Response, depth: int, guesses: Optional[list[str]] = None) -> Iterable[Any]:
        try:
            sitemap = parse_sitemap(response.body, response.url, max_size=self.max_size)
        except SitemapError as exc:
            if guesses is None:  # declared in robots.txt or an index: worth a warning
                self._inc("sitemaps/invalid")
                logger.warning("Not a sitemap: %s (%s)", response.url, exc)
            else:
                self._inc("sitemaps/missing")
                yield from self._next_guess(guesses)
            return
        self._inc("sitemaps/fetched")
        self._inc("sitemaps/skipped_entries", sitemap.skipped)
        entries = sitemap.entries
        if sitemap.kind == "sitemapindex":  # newest first: SITEMAP_MAX_SITEMAPS keeps the recent ones
            entries = sorted(entries, key=lambda e: lastmod_datetime(e.lastmod) or _EPOCH, reverse=True)
        offsite = 0
        for entry in entries:
            host = urlsplit(entry.loc).hostname or ""
            if not self._allowed(host):
                offsite += 1
                continue
            if sitemap.kind == "sitemapindex":
                yield from self._child_sitemap(entry, depth)
                continue
            url = canonical_url(entry.loc)
            if NOT_ARTICLE.search(url) or url in self.section_urls or not urlsplit(url).path.strip("/"):
                self._inc("sitemaps/not_article_url")
                continue
            self._inc("sitemaps/urls")
            if depth == 0:
                self._front_page([url])
            hints: dict[str, Any] = {"source": "sitemap"}
            if entry.lastmod:
                hints["lastmod"] = entry.lastmod
            if entry.news_publication_date:
                hints["dates"] = [{"raw": entry.news_publication_date, "source": "sitemap"}]
            if entry.news_title:
                hints["headline"] = entry.news_title
            if entry.news_keywords:
                hints["tags"] = list(entry.news_keywords)
            self._defer(url, hints)
        if offsite:
            self._inc("sitemaps/offsite", offsite)
            logger.info("%d entries of sitemap %s are on other sites: not followed", offsite, response.url)

    def _child_sitemap(self, entry: Any, depth: int) -> Iterable[scrapy.Request]:
        if not is_article_sitemap(entry.loc):
            self._inc("sitemaps/not_articles")
            return
        if depth >= SITEMAP_MAX_DEPTH:
            self._inc("sitemaps/too_deep")
            logger.warning("Sitemap index nesting deeper than %d: %s not followed", SITEMAP_MAX_DEPTH, entry.loc)
            return
        changed = lastmod_datetime(entry.lastmod)
        if self.last_run and changed and changed < self.last_run and not self.refresh:
            self._inc("sitemaps/unchanged")
            return
        if self._sitemaps_requested >= self.max_sitemaps:
            if not self.crawler.stats.get_value("aggregator/sitemaps/max_reached"):
                logger.warning("Read %d sitemaps (SITEMAP_MAX_SITEMAPS): the older ones wait for the next run", self.max_sitemaps)
            self._inc("sitemaps/max_reached")
            return
        yield self._sitemap_request(entry.loc, depth + 1)

    def _next_guess(self, guesses: list[str]) -> Iterable[scrapy.Request]:
        if guesses:
            yield self._sitemap_request(urljoin(self.start_url, guesses[0]), depth=0, guesses=guesses[1:])

    def parse_feed(self, response: Response, main: bool = False) -> Iterable[Any]:
        try:
            feed = parse_feed(response.body, response.url, {k.decode("latin-1"): v[0].decode("latin-1") for k, v in response.headers.items() if v})
        except FeedError as exc:
            self._inc("feeds/invalid")
            logger.info("Not a feed: %s (%s)", response.url, exc)
            return
        self._inc("feeds/fetched")
        self._inc("feeds/skipped_entries", feed.skipped)
        for entry in feed.entries:
            url = canonical_url(entry.link)
            if not self._allowed(urlsplit(url).hostname or "") or NOT_ARTICLE.search(url):
                self._inc("feeds/not_article_url")
                continue
            self._inc("feeds/entries")
            if main:
                self._front_page([url])
            hints: dict[str, Any] = {"source": "feed"}
            if entry.published_raw:
                hints["dates"] = [{"raw": entry.published_raw, "source": "feed"}]
            if entry.updated_raw:
                hints["modified"] = [{"raw": entry.updated_raw, "source": "feed"}]
            # Not the entry's categories: a WordPress feed lists categories and tags alike.
            for key, value in (("headline", entry.title), ("authors", list(entry.authors))):
                if value:
                    hints[key] = value
            self._defer(url, hints)
        if main and "menu" not in self.sources:
            # Without the listings, each section's own feed (WordPress: <section>/feed/) finds its articles.
            for section_url in sorted(self.section_urls):
                yield scrapy.Request(
                    section_feed_url(section_url), callback=self.parse_feed, errback=self.on_discovery_error, priority=7
                )

    def _wp_posts_request(self, root: str, page: int) -> scrapy.Request:
        since = None if self.refresh else self.last_run
        return scrapy.Request(
            posts_url(root, page, since), callback=self.parse_wp_posts, errback=self.on_discovery_error,
            cb_kwargs={"root": root, "page": page}, priority=8,
        )

    def parse_wp_posts(self, response: Response, root: str, page: int) -> Iterable[Any]:
        """One page of the WordPress posts route: each post's exact dates, authors,
        categories and tags wait with its URL; the next page follows
        (``X-WP-TotalPages``, at most ``WP_API_MAX_PAGES``)."""
        try:
            posts = parse_posts(response.body)
        except WpApiError as exc:
            self._inc("wp_api/invalid")
            logger.warning("Not a page of WordPress posts: %s (%s)", response.url, exc)
            return
        self._inc("wp_api/pages")
        for post in posts:
            url = canonical_url(post.link)
            if not self._allowed(urlsplit(url).hostname or "") or NOT_ARTICLE.search(url):
                self._inc("wp_api/not_article_url")
                continue
            self._inc("wp_api/posts")
            hints: dict[str, Any] = {"source": "wp-api"}
            if post.date_published:
                hints["dates_first"] = [{"raw": post.date_published, "source": "wp-api"}]
            if post.date_modified:
                hints["modified_first"] = [{"raw": post.date_modified, "source": "wp-api"}]
                hints["lastmod"] = post.date_modified
            for key, value in (("headline", post.headline), ("authors", list(post.authors)),
                               ("tags", list(post.tags)), ("categories", list(post.categories))):
                if value:
                    hints[key] = value
            self._defer(url, hints)
        try:
            total = int(response.headers.get(b"X-WP-TotalPages") or b"0")
        except ValueError:
            total = 0
        if posts and page < total:
            if page >= self.wp_api_max_pages:
                self._inc("wp_api/max_pages_reached")
            else:
                yield self._wp_posts_request(root, page + 1)

    def on_discovery_error(self, failure: Any) -> Iterable[Any]:
        """A sitemap or feed that failed: counted; a guessed sitemap location
        that fails quietly moves on to the next guess."""
        name = failure_name(failure)
        guesses = failure.request.cb_kwargs.get("guesses")
        callback = failure.request.callback
        kind = "sitemaps" if callback == self.parse_sitemap else "wp_api" if callback == self.parse_wp_posts else "feeds"
        if guesses is not None or name == "http_404":
            self._inc(f"{kind}/missing")
            logger.debug("No %s at %s (%s)", kind, failure.request.url, name)
        else:
            self.on_error(failure)
        if guesses is not None:
            yield from self._next_guess(guesses)

    # --- articles -------------------------------------------------------------------
    def _article_request(
        self, url: str, listing_section: Optional[list[str]] = None, hints: Optional[dict] = None
    ) -> tuple[Optional[scrapy.Request], Optional[KnownArticle]]:
        """The request for an article URL (canonical), or None when the archive holds it
        unchanged (:func:`aggregator.incremental.revisit_reason`); with the archived article."""
        key = hash(url)
        first_time = key not in self._discovered
        if first_time:
            self._discovered.add(key)
            self._inc("articles/discovered")
        known = self._archive_call(lambda: self.archive.lookup(url), None)
        lastmod = lastmod_datetime(hints.get("lastmod")) if hints else None
        reason = revisit_reason(
            known, now=self.run_started, recrawl_days=self.recrawl_days, lastmod=lastmod, refresh=self.refresh
        )
        if reason is None:
            if first_time:  # counted once per URL, however many listings show it
                self._inc("incremental/skipped_known")
            return None, known
        headers, meta = {}, {}
        if reason != "new" and key not in self._revisited:
            # Once per URL; a URL skipped on a listing may be revisited later for its sitemap lastmod.
            self._revisited.add(key)
            self._inc(f"incremental/revisit/{reason}")
        if known is not None and reason != "refresh" and (known.http_etag or known.http_last_modified):
            if known.http_etag:
                headers["If-None-Match"] = known.http_etag
            if known.http_last_modified:
                headers["If-Modified-Since"] = known.http_last_modified
            meta["handle_httpstatus_list"] = [304]
        request = scrapy.Request(
            url, callback=self.parse_article, errback=self.on_error, headers=headers, meta=meta,
            cb_kwargs={"listing_section": listing_section, "hints": hints},
        )
        return request, known

    def _article(
        self, response: Response, result: Any, listing_section: Optional[list[str]], hints: Optional[dict] = None
    ) -> Iterable[Article]:
        for problem in result.problems:
            self._inc(f"extraction/problems/{problem}")
        if not result.is_article:
            self._inc(f"pages/not_article/{result.reason}")
            logger.debug("Not an article (%s): %s", result.reason, response.url)
            return
        fields = dict(result.fields)
        canonical = fields.get("canonicalUrl")
        if canonical and canonical_url(canonical) in self.section_urls | {canonical_url(self.start_url)}:
            # A canonical link naming a section or the home page would merge distinct articles.
            self._inc("extraction/problems/canonical_is_listing")
            fields["canonicalUrl"] = response.url
        if hints:
            # What a sitemap or feed said is trusted after the page's own data; the
            # WordPress API's exact times before it.
            for name, first, last in (("datePublished", "dates_first", "dates"), ("dateModified", "modified_first", "modified")):
                own = list(fields.get(f"{name}Candidates") or [])
                fields[f"{name}Candidates"] = hints.get(first, []) + own + hints.get(last, [])
            for key, hint in (("authors", "authors"), ("tags", "tags"), ("articleSection", "categories")):
                if not fields.get(key) and hints.get(hint):
                    fields[key] = list(hints[hint])
        self._inc("pages/articles")
        header = response.headers.get
        yield Article(
            url=response.url,
            site=self.site,
            listingSection=listing_section,
            dateDownloaded=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            httpEtag=(header(b"ETag") or b"").decode("latin-1") or None,
            httpLastModified=(header(b"Last-Modified") or b"").decode("latin-1") or None,
            **fields,
        )

    def on_error(self, failure: Any) -> None:
        """Count and log a failed request; the crawl goes on."""
        name = failure_name(failure)
        self._inc(f"requests/failed/{name}")
        logger.warning("Request failed (%s): %s", name, failure.request.url)

    def on_home_error(self, failure: Any) -> None:
        """The home page failed: count it and end the crawl as ``site_unreachable``."""
        self.on_error(failure)
        logger.error("The home page %s could not be fetched (%s)", failure.request.url, failure_name(failure))
        # Not CloseSpider: raised from an errback, Scrapy would also log the download error's traceback.
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="site_unreachable"))

    def on_idle(self) -> None:
        """Fetch the deferred articles (home page and sidebar links, sitemap and
        feed entries) once every section has been walked; the duplicate filter
        drops those already fetched, the archive those already archived. In a
        distributed crawl, once nothing is queued or in flight on any worker,
        one worker takes every worker's deferred URLs."""
        if self.shared is not None and self.shared.quiescent():
            for url, hints in self.shared.take_deferred():
                self._keep_deferred(url, hints)
        if not self.kept.get("deferred"):
            return
        pending, self.kept["deferred"] = self.deferred, {}
        scheduled = 0
        for url in sorted(pending):
            hints = pending[url]
            request, _ = self._article_request(url, listing_section=(hints or {}).get("listing"), hints=hints)
            if request is not None:
                self.crawler.engine.crawl(request)
                scheduled += 1
        if self.shared is not None:
            self.shared.deferred_scheduled()
        if scheduled:  # else every deferred article is archived already: the crawl may close now
            raise DontCloseSpider

    # --- helpers --------------------------------------------------------------
    def _archive_call(self, call: Any, default: Any) -> Any:
        """An archive lookup; an unreadable archive (locked, damaged) means "not known"."""
        try:
            return call()
        except sqlite3.Error as exc:
            self._inc("incremental/archive_unreadable")
            logger.warning("Could not read the archive (%s); fetching as if new", exc)
            return default

    def _inc(self, key: str, count: int = 1) -> None:
        if count:
            self.crawler.stats.inc_value(f"aggregator/{key}", count)

    def _allowed(self, host: str) -> bool:
        return any(same_site(domain, host) for domain in self.allowed_domains)

    def _is_html(self, response: Response) -> bool:
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        if isinstance(response, TextResponse) and ("html" in content_type or "xml" in content_type):
            return True
        if isinstance(response, TextResponse) and not content_type and response.body.lstrip()[:1] == b"<":
            return True
        self._inc("pages/not_html")
        logger.warning("Not an HTML page (%s): %s", content_type or "no Content-Type", response.url)
        return False

    def _article_links(
        self, response: TextResponse, extractor: Optional[LinkExtractor] = None, seen: Optional[set[str]] = None
    ) -> Iterable[str]:
        """The on-site article URLs (canonical) the extractor finds, each once, in page order:
        not the page itself, the home page, a section or the site root, nor one of ``seen``
        (default: the page and the home page), to which those yielded are added."""
        if seen is None:
            seen = {canonical_url(response.url), self._home_url}
        for link in (extractor or self.link_extractor).extract_links(response):
            url = canonical_url(link.url)
            parts = urlsplit(url)
            if url in seen or url in self.section_urls or not parts.path.strip("/"):
                continue
            if not self._allowed(parts.hostname or ""):
                continue
            seen.add(url)
            yield url

    def _next_page(self, response: TextResponse, page: int) -> Optional[str]:
        """The listing's next page: a ``rel="next"`` / ``class="next"`` link,
        else a link numbered ``page + 1`` (``/page/N/``, ``?paged=N``)."""
        declared = response.xpath(_NEXT_DECLARED).getall()
        numbered = [href for href in response.xpath(_NEXT_NUMBERED).getall() if PAGINATION.search(href)]
        host = urlsplit(response.url).netloc
        current = canonical_url(response.url)
        for href, must_number in [(h, False) for h in declared] + [(h, True) for h in numbered]:
            try:
                url = canonical_url(urljoin(response.url, href.strip()))
                if url == current or not same_site(host, urlsplit(url).netloc):
                    continue
            except ValueError:  # "http://[not-an-ip]/page/2/": not a page to follow
                continue
            if not must_number or page_number(url) == page + 1:
                return url
        return None
