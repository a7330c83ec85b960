"""The news spider's callbacks on responses built in the test (no network)."""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse, Request, Response, TextResponse
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from aggregator.items import Article, Section
from spiders.news import NewsSpider

SITE = "http://127.0.0.1:8123"
HOME = f"""<html><body><nav><ul class="menu">
<li><a href="/category/world/">World</a><ul class="sub-menu"><li><a href="/category/world/asia/">Asia</a></li></ul></li>
<li><a href="/category/politics/">Politics</a></li><li><a href="/category/sports/">Sports</a></li></ul></nav>
<main><h2><a href="/2025/02/19/home-only-story/?utm_source=home">A story linked from the home page</a></h2>
<a href="/tag/climate/">Climate</a> <a href="/author/jane/">Jane</a> <a href="https://elsewhere.example.org/x/">Away</a>
</main></body></html>"""


@pytest.fixture
def spider():
    crawler = get_crawler(NewsSpider, settings_dict={"SECTION_MAX_PAGES": 3})
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
    requests = [o for o in output if isinstance(o, Request)]
    assert [s.path for s in sections] == [["World"], ["Politics"], ["Sports"], ["World", "Asia"]]
    assert {r.url for r in requests} == {s.url for s in sections}
    assert all(r.callback == spider.parse_listing for r in requests)
    # Articles linked only from the home page wait until the sections are walked.
    assert spider.home_links == [SITE + "/2025/02/19/home-only-story/"]


def test_listing_follows_articles_and_next_page(spider):
    list(spider.parse_home(html(SITE + "/", HOME)))
    listing = """<html><head><link rel="next" href="/category/world/page/2/"></head><body>
    <h2><a href="/2025/02/19/a/#comments">A</a></h2><h2><a href="/2025/02/18/b/?utm_medium=card">B</a></h2>
    <a href="/category/world/asia/">Asia</a><a href="/tag/x/">x</a></body></html>"""
    output = list(spider.parse_listing(html(SITE + "/category/world/", listing), section_path=["World"], page=1))
    articles = [r for r in output if r.callback == spider.parse_article]
    pages = [r for r in output if r.callback == spider.parse_listing]
    assert [r.url for r in articles] == [SITE + "/2025/02/19/a/", SITE + "/2025/02/18/b/"]
    assert articles[0].cb_kwargs == {"listing_section": ["World"]}
    assert [(r.url, r.cb_kwargs["page"]) for r in pages] == [(SITE + "/category/world/page/2/", 2)]


@pytest.mark.parametrize(
    "markup, current, expected",
    [
        ('<a class="next page-numbers" href="?paged=3">Next</a>', "/c/x/?paged=2", "/c/x/?paged=3"),
        ('<a href="/c/x/page/2/">2</a><a href="/c/x/page/3/">3</a>', "/c/x/page/2/", "/c/x/page/3/"),
        ('<a rel="next" href="/c/x/older/">Older posts</a>', "/c/x/", "/c/x/older/"),
        ('<a href="/c/x/page/1/">1</a>', "/c/x/page/2/", None),
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
    body = """<html lang="en"><head><meta property="og:type" content="article"></head><body><article>
    <h1>Harbour bridge reopens</h1><time datetime="2025-02-19T10:30:00+08:00">Feb 19</time>
    <p>""" + "Traffic returned to the harbour bridge this morning. " * 20 + "</p></article></body></html>"
    (item,) = spider.parse_article(html(SITE + "/2025/02/19/bridge/", body), listing_section=["World"])
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
