"""The news spider's callbacks on responses built in the test (no network)."""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse, Request, Response, TextResponse
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from aggregator.items import Article, Section
from spiders.news import NewsSpider

SITE = "http://127.0.0.1:8123"
HOME = """<html><body><nav><ul class="menu">
<li><a href="/category/world/">World</a><ul class="sub-menu"><li><a href="/category/world/asia/">Asia</a></li></ul></li>
<li><a href="/category/politics/">Politics</a></li><li><a href="/category/sports/">Sports</a></li></ul></nav>
<main><h2><a href="/2025/02/19/home-only-story/?utm_source=home">A story linked from the home page</a></h2>
<a href="/tag/climate/">Climate</a> <a href="/author/jane/">Jane</a> <a href="https://elsewhere.example.org/x/">Away</a>
</main></body></html>"""


@pytest.fixture
def spider(tmp_path):
    crawler = get_crawler(NewsSpider, settings_dict={"SECTION_MAX_PAGES": 3, "ARCHIVE_PATH": str(tmp_path / "a.sqlite")})
    crawler.stats.open_spider()
    return NewsSpider.from_crawler(crawler, url=SITE + "/")


def html(url, body, content_type=b"text/html; charset=utf-8"):
    return HtmlResponse(url=url, body=body.encode(), headers={"Content-Type": content_type}, request=Request(url))


@pytest.mark.parametrize("url", [None, "", "news.example.com", "ftp://news.example.com/"])
def test_url_argument_is_required(url):
    with pytest.raises(ValueError, match="-a url="):
        NewsSpider(url=url)


def test_home_yields_taxonomy_and_section_requests(spider):
    output = list(spider.parse_home(html(SITE + "/", HOME)))
    sections = [o for o in output if isinstance(o, Section)]
    requests = [o for o in output if isinstance(o, Request) and o.callback == spider.parse_listing]
    assert [s.path for s in sections] == [["World"], ["Politics"], ["Sports"], ["World", "Asia"]]
    assert {r.url for r in requests} == {s.url for s in sections}
    # No feed declared: the WordPress location is tried.
    feeds = [o.url for o in output if isinstance(o, Request) and o.callback == spider.parse_feed]
    assert feeds == [SITE + "/feed/"]
    # Articles linked only from the home page wait until the sections are walked.
    assert set(spider.deferred) == {SITE + "/2025/02/19/home-only-story/"}


LISTING = """<html><head><link rel="next" href="/category/world/page/2/"></head><body><h1>World</h1>
<h2><a href="/2025/02/19/a/#comments">A</a></h2><h2><a href="/2025/02/18/b/?utm_medium=card">B</a></h2>
<h2><a href="/2025/02/17/c/">C</a></h2><h2><a href="/2025/02/16/d/">D</a></h2>
<a href="/category/world/asia/">Asia</a><a href="/tag/x/">x</a></body></html>"""
ARTICLE = """<html lang="en"><head><meta property="og:type" content="article">{head}</head><body><article>
<h1>Harbour bridge reopens</h1><time datetime="2025-02-19T10:30:00+08:00">Feb 19</time>
<p>""" + "Traffic returned to the harbour bridge this morning. " * 20 + "</p></article></body></html>"


def by_type(output):
    return {
        "sections": [o for o in output if isinstance(o, Section)],
        "articles": [o for o in output if isinstance(o, Article)],
        "article_requests": [o for o in output if isinstance(o, Request) and o.callback == o.callback.__self__.parse_article],
        "listing_requests": [o for o in output if isinstance(o, Request) and o.callback == o.callback.__self__.parse_listing],
    }


def test_listing_confirms_its_section_and_follows_articles_and_next_page(spider):
    list(spider.parse_home(html(SITE + "/", HOME)))
    output = by_type(list(spider.parse_listing(html(SITE + "/category/world/", LISTING), section_path=["World"], page=1)))
    assert [(s.path, s.isListing) for s in output["sections"]] == [(["World"], True)]
    # The articles wait until every listing is walked, with the listing's section as a hint.
    assert output["article_requests"] == []
    listed = {url for url, hints in spider.deferred.items() if hints}  # the home page's links wait too, without a hint
    assert listed == {SITE + f"/2025/02/{d}/" for d in ("19/a", "18/b", "17/c", "16/d")}
    assert spider.deferred[SITE + "/2025/02/19/a/"] == {"source": "listing", "listing": ["World"]}
    assert [(r.url, r.cb_kwargs["page"]) for r in output["listing_requests"]] == [(SITE + "/category/world/page/2/", 2)]


def test_an_article_on_several_listings_gets_the_most_specific_whatever_the_order(spider):
    list(spider.parse_home(html(SITE + "/", HOME)))
    article = SITE + "/2025/02/19/a/"
    listings = [(["World"], "/category/world/"), (["World", "Asia"], "/category/world/asia/"), (["Sports"], "/category/sports/")]
    found = []
    for order in (listings, listings[::-1]):
        spider.state = {"menu": spider.state["menu"]}
        for path, url in order:
            list(spider.parse_listing(html(SITE + url, LISTING), section_path=path, page=1))
        found.append(spider.deferred[article]["listing"])
    assert found == [["World", "Asia"], ["World", "Asia"]]
    # Two sections as specific as each other: the first in the menu.
    spider.state = {"menu": spider.state["menu"]}
    for path, url in ((["Sports"], "/category/sports/"), (["World"], "/category/world/")):
        list(spider.parse_listing(html(SITE + url, LISTING), section_path=path, page=1))
    assert spider.deferred[article]["listing"] == ["World"]


def test_sidebar_links_on_a_listing_are_not_its_articles(spider):
    sidebar = LISTING.replace("</body>", '<aside class="sidebar"><h3>Recent News</h3><h4><a href="/2025/01/01/elsewhere/">E</a></h4></aside>'
                              '<div class="widget widget_recent_entries"><a href="/2025/01/02/other/">O</a></div></body>')
    output = by_type(list(spider.parse_listing(html(SITE + "/category/world/", sidebar), section_path=["World"], page=1)))
    assert output["article_requests"] == []
    # Sidebar links wait without a listing hint: they are not the section's articles.
    assert {url for url, hints in spider.deferred.items() if hints is None} == {SITE + "/2025/01/01/elsewhere/", SITE + "/2025/01/02/other/"}
    assert {url for url, hints in spider.deferred.items() if hints} == {SITE + f"/2025/02/{d}/" for d in ("19/a", "18/b", "17/c", "16/d")}


def test_listing_reads_its_own_links_and_its_sidebars_apart(spider):
    page = """<html><body><nav><a href="/2025/01/01/menu/">In the menu</a></nav>
<div class="news-ticker"><a href="/2025/02/18/b/">B, trending</a> <a href="/2025/01/02/ticker/">T</a></div>
<main><h1>World</h1><h2><a href="/2025/02/19/a/#comments">A</a></h2><h2><a href="/2025/02/18/b/?utm_medium=card">B</a></h2>
<div class="widgetized-grid"><h2><a href="/2025/02/17/c/">C</a></h2></div>
<nav class="pagination"><a href="/2025/01/03/pagination/">P</a></nav>
<ul class="related-posts"><li><a href="/2025/01/04/related/">R</a></li></ul><a href="/tag/x/">x</a></main>
<aside><div class="widget"><a href="/2025/01/05/recent/">Recent</a></div><nav><a href="/2025/01/06/aside-menu/">M</a></nav></aside>
<div role="complementary"><a href="/2025/02/19/a/">A again</a><a href="/2025/01/07/complementary/">X</a></div>
<footer><a href="/2025/01/08/footer/">F</a></footer><div role="navigation"><a href="/2025/01/09/role-nav/">N</a></div>
</body></html>"""
    list(spider.parse_listing(html(SITE + "/category/world/page/2/", page), section_path=["World"], page=2))
    # The listing's own articles, in page order, with its section; a link also in a sidebar is its own.
    own = [url for url, hints in spider.deferred.items() if hints]
    assert own == [SITE + "/2025/02/19/a/", SITE + "/2025/02/18/b/", SITE + "/2025/02/17/c/"]
    assert spider.deferred[SITE + "/2025/02/17/c/"] == {"source": "listing", "listing": ["World"]}
    # Sidebar, widget, ticker and related links wait without a hint, in page order; navigation and footer links not at all.
    others = [url for url, hints in spider.deferred.items() if hints is None]
    assert others == [SITE + f"/2025/01/0{n}/" for n in ("2/ticker", "4/related", "5/recent", "7/complementary")]


def test_later_listing_pages_do_not_yield_sections(spider):
    output = by_type(list(spider.parse_listing(html(SITE + "/category/world/page/2/", LISTING), section_path=["World"], page=2)))
    assert output["sections"] == [] and len(spider.deferred) == 4


def test_small_section_with_two_cards_is_a_listing(spider):
    small = '<html><body><h1>Tennis</h1><h2><a href="/2025/02/19/a/">A</a></h2><h2><a href="/2025/02/18/b/">B</a></h2></body></html>'
    output = by_type(list(spider.parse_listing(html(SITE + "/category/tennis/", small), section_path=["Tennis"], page=1)))
    assert [s.isListing for s in output["sections"]] == [True]
    assert [hints["listing"] for hints in spider.deferred.values()] == [["Tennis"], ["Tennis"]]


def test_menu_entry_that_is_a_page_is_not_a_section(spider):
    about = '<html><body class="page page-id-2"><h1>About us</h1><p>We are a newsroom.</p></body></html>'
    output = list(spider.parse_listing(html(SITE + "/about-us/", about), section_path=["About us"], page=1))
    assert [(o.path, o.isListing) for o in output] == [(["About us"], False)]
    assert spider.crawler.stats.get_value("aggregator/listings/not_listing") == 1


def test_menu_entry_that_is_an_article_is_archived(spider):
    output = by_type(list(spider.parse_listing(html(SITE + "/2025/02/19/bridge/", ARTICLE.format(head="")), section_path=["Bridge"], page=1)))
    assert [s.isListing for s in output["sections"]] == [False]
    assert [a.headline for a in output["articles"]] == ["Harbour bridge reopens"]


def test_canonical_naming_a_section_is_replaced_by_the_url(spider):
    list(spider.parse_home(html(SITE + "/", HOME)))
    page = ARTICLE.format(head=f'<link rel="canonical" href="{SITE}/category/world/">')
    (item,) = spider.parse_article(html(SITE + "/2025/02/19/bridge/", page))
    assert item.canonicalUrl == SITE + "/2025/02/19/bridge/"
    assert spider.crawler.stats.get_value("aggregator/extraction/problems/canonical_is_listing") == 1


def run_now(coroutine):
    """Run a coroutine that does not wait on anything, without a reactor."""
    try:
        coroutine.send(None)
    except StopIteration:
        pass


def test_home_page_failure_ends_the_crawl_as_unreachable(spider, monkeypatch):
    from twisted.internet.error import ConnectionRefusedError

    monkeypatch.setattr("spiders.news.deferred_from_coro", run_now)
    closed = []

    class Engine:
        async def close_spider_async(self, *, reason):
            closed.append(reason)

    spider.crawler.engine = Engine()
    failure = Failure(ConnectionRefusedError())
    failure.request = Request(SITE + "/")
    spider.on_home_error(failure)
    assert closed == ["site_unreachable"]
    assert spider.crawler.stats.get_value("aggregator/requests/failed/ConnectionRefusedError") == 1


@pytest.mark.parametrize(
    "url, content_type, reason",
    [("http://elsewhere.example.org/", b"text/html", "home_offsite"), (SITE + "/", b"application/pdf", "home_not_html")],
)
def test_home_page_that_is_not_the_site(spider, url, content_type, reason):
    from scrapy.exceptions import CloseSpider

    response = Response(url=url, body=b"%PDF", headers={"Content-Type": content_type}, request=Request(url))
    if content_type == b"text/html":
        response = html(url, HOME)
    with pytest.raises(CloseSpider) as closed:
        list(spider.parse_home(response))
    assert closed.value.reason == reason


def test_www_and_bare_domain_are_one_site():
    crawler = get_crawler(NewsSpider)
    spider = NewsSpider.from_crawler(crawler, url="https://www.news.example.com/")
    assert spider.allowed_domains == ["news.example.com"]


@pytest.mark.parametrize(
    "markup, current, expected",
    [
        ('<a class="next page-numbers" href="?paged=3">Next</a>', "/c/x/?paged=2", "/c/x/?paged=3"),
        ('<a href="/c/x/page/2/">2</a><a href="/c/x/page/3/">3</a>', "/c/x/page/2/", "/c/x/page/3/"),
        ('<a rel="next" href="/c/x/older/">Older posts</a>', "/c/x/", "/c/x/older/"),
        ('<a href="/c/x/page/1/">1</a>', "/c/x/page/2/", None),
        ('<a href="/c/x/?paged=1">1</a><a href="/c/x/?paged=3">3</a>', "/c/x/?paged=2", "/c/x/?paged=3"),
        ('<a href="?page=3&amp;utm_source=x">3</a>', "/c/x/?page=2", "/c/x/?page=3"),
        ('<a href="/c/x/pages/3/">3</a><a href="/c/x/Page/3/">3</a>', "/c/x/page/2/", None),
    ],
)
def test_next_page(spider, markup, current, expected):
    page = 2 if "2" in current else 1
    response = html(SITE + current, f"<html><body>{markup}</body></html>")
    assert spider._next_page(response, page) == (SITE + expected if expected else None)


def test_pagination_stops_at_the_cap(spider):
    listing = '<html><body><a rel="next" href="/c/x/page/4/">next</a></body></html>'
    output = list(spider.parse_listing(html(SITE + "/c/x/page/3/", listing), section_path=["X"], page=3))
    assert output == []
    assert spider.crawler.stats.get_value("aggregator/listings/max_pages_reached") == 1


def test_article_page_yields_an_item(spider):
    (item,) = spider.parse_article(html(SITE + "/2025/02/19/bridge/", ARTICLE.format(head="")), listing_section=["World"])
    assert isinstance(item, Article)
    assert (item.headline, item.datePublishedRaw, item.listingSection, item.site) == (
        "Harbour bridge reopens", "2025-02-19T10:30:00+08:00", ["World"], "127.0.0.1:8123")
    assert item.dateDownloaded.endswith("Z")
    assert spider.crawler.stats.get_value("aggregator/pages/articles") == 1


def test_non_article_and_non_html_are_counted(spider):
    assert list(spider.parse_article(html(SITE + "/about/", "<html><body><h1>About</h1></body></html>"))) == []
    assert spider.crawler.stats.get_value("aggregator/pages/not_article/short_body") == 1
    pdf = Response(url=SITE + "/file", body=b"%PDF-1.4", headers={"Content-Type": "application/pdf"})
    assert list(spider.parse_article(pdf)) == []
    json_page = TextResponse(url=SITE + "/api", body=b'{"a": 1}', headers={"Content-Type": "application/json"})
    assert list(spider.parse_listing(json_page, section_path=["X"], page=1)) == []
    assert spider.crawler.stats.get_value("aggregator/pages/not_html") == 2


def test_errors_are_counted_by_kind(spider):
    from scrapy.spidermiddlewares.httperror import HttpError
    from twisted.internet.error import TimeoutError

    request = Request(SITE + "/x")
    failure = Failure(HttpError(Response(SITE + "/x", status=503, request=request)))
    failure.request = request
    spider.on_error(failure)
    timeout = Failure(TimeoutError())
    timeout.request = request
    spider.on_error(timeout)
    stats = spider.crawler.stats
    assert stats.get_value("aggregator/requests/failed/http_503") == 1
    assert stats.get_value("aggregator/requests/failed/timeout") == 1


def test_a_body_class_naming_its_layout_is_not_a_sidebar(spider):
    page = """<html><body class="archive category ast-no-sidebar"><div id="page" class="site has-sidebar">
<main><h2><a href="/2025/02/19/a/">A</a></h2><h2><a href="/2025/02/18/b/">B</a></h2></main>
<div class="sidebar-main widget-area"><a href="/2025/01/05/recent/">Recent</a></div></div></body></html>"""
    list(spider.parse_listing(html(SITE + "/category/world/page/2/", page), section_path=["World"], page=2))
    assert [url for url, hints in spider.deferred.items() if hints] == [SITE + "/2025/02/19/a/", SITE + "/2025/02/18/b/"]
    assert [url for url, hints in spider.deferred.items() if hints is None] == [SITE + "/2025/01/05/recent/"]


def test_unparsable_links_are_skipped_by_menus_feeds_and_pagination(spider):
    from aggregator.feeds import feed_links
    from aggregator.menus import read_menus

    home = """<html><head><link rel="alternate" type="application/rss+xml" href="http://[x]/feed/">
<link rel="alternate" type="application/rss+xml" href="/feed/"></head><body><nav><ul>
<li><a href="http://[x]/promo/">Promo</a></li><li><a href="/world/">World</a></li><li><a href="/sport/">Sport</a></li>
<li><a href="/business/">Business</a></li><li><a href="/culture/">Culture</a></li></ul></nav></body></html>"""
    assert [s.path for s in read_menus(home, SITE + "/")] == [("World",), ("Sport",), ("Business",), ("Culture",)]
    assert feed_links(home, SITE + "/") == [SITE + "/feed/"]
    listing = html(SITE + "/category/world/", '<a href="http://[x]/page/2/">2</a><a href="/category/world/page/2/">2</a>')
    assert spider._next_page(listing, 1) == SITE + "/category/world/page/2/"
