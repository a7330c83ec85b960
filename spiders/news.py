"""The ``news`` spider: a news site's home page, menus, sections, articles.

Usage::

    scrapy crawl news -a url=https://news.example.com/ -s ARCHIVE_PATH=news.sqlite

From the home page it reads the two-level section menu
(:func:`aggregator.menus.read_menus`) and yields one :class:`Section` item
per menu entry; it then walks every section's listing pages through their
pagination (``rel="next"``, ``/page/N/``, ``?paged=N``; at most
``SECTION_MAX_PAGES`` pages a section) and fetches every article linked from
them. Articles linked only from the home page or from sidebars and widgets
("Recent News", "Trending") are fetched last, so that an article is first
met on its own section's listing, which gives its ``listingSection``. Each article page goes through
:func:`aggregator.extraction.extract_article`; pages that are not articles
yield nothing and are counted.

Each menu entry's first page is checked: a listing confirms the section (a
``Section`` item with ``isListing``), an article is archived as one, and a
page such as "About us" is left out of the taxonomy and not walked.

The crawl ends early, with a finish reason the ``crawl`` command turns into a
non-zero exit status, when the home page cannot be fetched
(``site_unreachable``), is not HTML (``home_not_html``) or redirects to
another site (``home_offsite``).

Stats (all under ``aggregator/``): ``pages/articles``,
``pages/not_article/<reason>``, ``pages/not_html``, ``listings/pages``,
``listings/max_pages_reached``, ``listings/not_listing``, ``home/no_menu``,
``requests/failed/<error>`` (``http_<status>``,
``timeout``, ``too_large``, ``redirect_loop``, ``robots_txt``, else the
exception's class name; see :func:`failure_name`),
``extraction/problems/<name>`` (``canonical_is_listing``: a canonical link
naming a section or the home page, replaced by the page's URL).
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Iterable, Optional
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.defer import deferred_from_coro

from aggregator.config import check_site_url
from aggregator.extraction import extract_article
from aggregator.middlewares import RedirectLoop
from aggregator.items import Article, Section
from aggregator.menus import read_menus
from aggregator.urls import NOT_ARTICLE, PAGINATION, canonical_url, page_number, same_site

logger = logging.getLogger(__name__)


_NAVIGATION = "ancestor::nav or ancestor::footer or ancestor::*[@role='navigation' or @role='contentinfo']"
_SIDEBAR = (
    "ancestor::aside or ancestor::*[@role='complementary']"
    " or ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' widget ')"
    " or contains(@class, 'widget_') or contains(@class, 'sidebar') or contains(@class, 'related')"
    " or contains(@class, 'trending') or contains(@class, 'popular') or contains(@class, 'ticker')"
    " or contains(@class, 'recent-posts') or contains(@class, 'most-read')]"
)


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
    """Crawl one news site from its home page.

    :param url: the site's home page (spider argument ``-a url=…``); required.
    :raises aggregator.config.ConfigError: (a ``ValueError``) when ``url`` is
        missing or not an http(s) URL.
    """

    name = "news"

    def __init__(self, url: Optional[str] = None, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        url = check_site_url(url)
        parts = urlsplit(url)
        self.start_url = url
        self.site = parts.netloc.lower()
        # The bare domain: a www. ↔ bare redirect of the home page stays on the site.
        self.allowed_domains = [parts.hostname.removeprefix("www.")]
        self.section_urls: set[str] = set()
        # Article links: anywhere but navigation and footers (legal pages, menus);
        # those in sidebars, widgets and related/trending lists are not a listing's own.
        self.link_extractor = LinkExtractor(deny=[NOT_ARTICLE], restrict_xpaths=[f"//a[not({_NAVIGATION})]"])
        self.main_link_extractor = LinkExtractor(
            deny=[NOT_ARTICLE], restrict_xpaths=[f"//a[not({_NAVIGATION} or {_SIDEBAR})]"]
        )
        self.home_links: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.max_pages = crawler.settings.getint("SECTION_MAX_PAGES", 50)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        return spider

    async def start(self):
        yield scrapy.Request(self.start_url, callback=self.parse_home, errback=self.on_home_error, dont_filter=True)

    # --- callbacks ------------------------------------------------------------
    def parse_home(self, response: Response) -> Iterable[Any]:
        if not same_site(self.allowed_domains[0], urlsplit(response.url).hostname or ""):
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
        for section in sections:
            yield Section(site=self.site, path=list(section.path), url=section.url)
            yield scrapy.Request(
                section.url,
                callback=self.parse_listing,
                errback=self.on_error,
                cb_kwargs={"section_path": list(section.path), "page": 1},
                priority=10,
            )
        self.home_links.update(self._article_links(response))

    def parse_listing(self, response: Response, section_path: list[str], page: int) -> Iterable[Any]:
        if not self._is_html(response):
            return
        links = list(self._article_links(response, self.main_link_extractor))
        # Sidebar links ("Recent News") are fetched last, like the home page's: an
        # article is then first met on its own section's listing.
        self.home_links.update(set(self._article_links(response)) - set(links))
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
        for url in links:
            yield scrapy.Request(
                url,
                callback=self.parse_article,
                errback=self.on_error,
                cb_kwargs={"listing_section": section_path},
            )
        next_url = self._next_page(response, page)
        if next_url and page >= self.max_pages:
            self._inc("listings/max_pages_reached")
            logger.info("Stopping %s at page %d (SECTION_MAX_PAGES)", response.url, page)
        elif next_url:
            yield scrapy.Request(
                next_url,
                callback=self.parse_listing,
                errback=self.on_error,
                cb_kwargs={"section_path": section_path, "page": page + 1},
                priority=5,
            )

    def parse_article(self, response: Response, listing_section: Optional[list[str]] = None) -> Iterable[Any]:
        if not self._is_html(response):
            return
        yield from self._article(response, extract_article(response.url, response.body, response.headers), listing_section)

    def _article(self, response: Response, result: Any, listing_section: Optional[list[str]]) -> Iterable[Article]:
        for problem in result.problems:
            self._inc(f"extraction/problems/{problem}")
        if not result.is_article:
            self._inc(f"pages/not_article/{result.reason}")
            logger.debug("Not an article (%s): %s", result.reason, response.url)
            return
        fields = result.fields
        canonical = fields.get("canonicalUrl")
        if canonical and canonical_url(canonical) in self.section_urls | {canonical_url(self.start_url)}:
            # A canonical link naming a section or the home page would merge distinct articles.
            self._inc("extraction/problems/canonical_is_listing")
            fields = {**fields, "canonicalUrl": response.url}
        self._inc("pages/articles")
        yield Article(
            url=response.url,
            site=self.site,
            listingSection=listing_section,
            dateDownloaded=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
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
        """Fetch the articles linked only from the home page or from sidebars,
        once every section has been walked (the duplicate filter drops those
        already fetched)."""
        if not self.home_links:
            return
        links, self.home_links = sorted(self.home_links), set()
        for url in links:
            self.crawler.engine.crawl(
                scrapy.Request(url, callback=self.parse_article, errback=self.on_error)
            )
        raise DontCloseSpider

    # --- helpers --------------------------------------------------------------
    def _inc(self, key: str) -> None:
        self.crawler.stats.inc_value(f"aggregator/{key}")

    def _is_html(self, response: Response) -> bool:
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        if isinstance(response, TextResponse) and ("html" in content_type or "xml" in content_type):
            return True
        if isinstance(response, TextResponse) and not content_type and response.body.lstrip()[:1] == b"<":
            return True
        self._inc("pages/not_html")
        logger.warning("Not an HTML page (%s): %s", content_type or "no Content-Type", response.url)
        return False

    def _article_links(self, response: TextResponse, extractor: Optional[LinkExtractor] = None) -> Iterable[str]:
        seen = {canonical_url(response.url), canonical_url(self.start_url)}
        for link in (extractor or self.link_extractor).extract_links(response):
            url = canonical_url(link.url)
            parts = urlsplit(url)
            if url in seen or url in self.section_urls or not parts.path.strip("/"):
                continue
            if not same_site(self.allowed_domains[0], parts.hostname or ""):
                continue
            seen.add(url)
            yield url

    def _next_page(self, response: TextResponse, page: int) -> Optional[str]:
        """The listing's next page: a ``rel="next"`` / ``class="next"`` link,
        else a link numbered ``page + 1`` (``/page/N/``, ``?paged=N``)."""
        declared = response.xpath(
            '//link[contains(concat(" ", normalize-space(@rel), " "), " next ")]/@href'
            ' | //a[contains(concat(" ", normalize-space(@rel), " "), " next ")]/@href'
            ' | //a[contains(concat(" ", normalize-space(@class), " "), " next ")]/@href'
        ).getall()
        numbered = [href for href in response.xpath("//a/@href").getall() if PAGINATION.search(href)]
        host = urlsplit(response.url).netloc
        current = canonical_url(response.url)
        for href, must_number in [(h, False) for h in declared] + [(h, True) for h in numbered]:
            url = canonical_url(urljoin(response.url, href.strip()))
            if url == current or not same_site(host, urlsplit(url).netloc):
                continue
            if not must_number or page_number(url) == page + 1:
                return url
        return None
