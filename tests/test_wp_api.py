"""The WordPress REST API source: parsing its posts route, and the spider's use of it."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.utils.test import get_crawler

from aggregator.wp_api import WpApiError, api_root, parse_posts, posts_url
from spiders.news import NewsSpider

SITE = "http://127.0.0.1:8123"


def post(**overrides):
    """One item of /wp/v2/posts?_embed=author,wp:term, as WordPress writes it (invented values)."""
    item = {
        "id": 41, "link": SITE + "/2025/02/19/harbour-bridge-reopens/",
        "date": "2025-02-19T10:30:00", "date_gmt": "2025-02-19T02:30:00",
        "modified": "2025-02-20T09:00:05", "modified_gmt": "2025-02-20T01:00:05",
        "title": {"rendered": "Harbour bridge &#8220;reopens&#8221; <em>early</em>"},
        "_embedded": {
            "author": [{"id": 3, "name": "Zoë Ångström"}],
            "wp:term": [
                [{"id": 5, "name": "Asia", "taxonomy": "category"}, {"id": 6, "name": "Politics &amp; Power", "taxonomy": "category"}],
                [{"id": 9, "name": "bridges", "taxonomy": "post_tag"}],
            ],
        },
    }
    item.update(overrides)
    return item


def test_parse_posts_keeps_exact_times_with_the_site_offset():
    (entry,) = parse_posts(json.dumps([post()]).encode())
    assert entry.link == SITE + "/2025/02/19/harbour-bridge-reopens/"
    assert entry.date_published == "2025-02-19T10:30:00+08:00"
    assert entry.date_modified == "2025-02-20T09:00:05+08:00"
    assert entry.headline == "Harbour bridge \u201creopens\u201d early"
    assert (entry.authors, entry.categories, entry.tags) == (("Zoë Ångström",), ("Asia", "Politics & Power"), ("bridges",))


def test_parse_posts_negative_offsets_and_missing_parts():
    west, bare, whole = parse_posts(json.dumps([
        post(date="2025-02-18T21:30:00", date_gmt="2025-02-19T02:30:00"),
        post(date=None, modified_gmt=None, _embedded=None, title="plain"),
        post(link="javascript:void(0)"),  # left out
        post(),
    ]).encode())
    assert whole.date_published == "2025-02-19T10:30:00+08:00"
    assert west.date_published == "2025-02-18T21:30:00-05:00"
    assert (bare.date_published, bare.date_modified, bare.authors, bare.headline) == ("2025-02-19T02:30:00Z", None, (), "plain")
    assert len(parse_posts(json.dumps([post(link="javascript:void(0)"), "junk", 3]).encode())) == 0


@pytest.mark.parametrize("body", [b"<html>Not found</html>", b'{"code": "rest_no_route", "message": "No route"}', b"", b"\xff\xfe"])
def test_parse_posts_refuses_what_is_not_a_posts_page(body):
    with pytest.raises(WpApiError):
        parse_posts(body)


def test_api_root_and_posts_url():
    html = '<html><head><link rel="https://api.w.org/" href="/wp-json/"></head></html>'
    assert api_root(html, SITE + "/") == SITE + "/wp-json/"
    assert api_root("<html></html>", SITE + "/") is None
    url = posts_url(SITE + "/wp-json/", 2, datetime(2026, 11, 28, 6, 0, tzinfo=timezone.utc))
    assert url.startswith(SITE + "/wp-json/wp/v2/posts?per_page=100&page=2&")
    assert "modified_after=2026-11-27T06%3A00%3A00" in url and "_embed=author%2Cwp%3Aterm" in url
    assert posts_url(SITE + "/?rest_route=/", 1).startswith(SITE + "/?rest_route=/wp/v2/posts&per_page=100")


@pytest.fixture
def spider(tmp_path):
    crawler = get_crawler(NewsSpider, settings_dict={"ARCHIVE_PATH": str(tmp_path / "a.sqlite")})
    crawler.stats.open_spider()
    spider = NewsSpider.from_crawler(crawler, url=SITE + "/", sources="wp-api")
    spider.last_run = None
    return spider


def api_page(posts, total_pages, page=1):
    url = posts_url(SITE + "/wp-json/", page)
    return TextResponse(url=url, body=json.dumps(posts).encode(), headers={"X-WP-TotalPages": str(total_pages)},
                        request=Request(url))


def test_spider_reads_every_page_and_defers_posts_with_their_exact_dates(spider):
    home = HtmlResponse(url=SITE + "/", body=b'<html><head><link rel="https://api.w.org/" href="/wp-json/"></head><body></body></html>')
    (first,) = [r for r in spider.parse_home(home) if getattr(r, "callback", None) == spider.parse_wp_posts]
    assert first.url == posts_url(SITE + "/wp-json/", 1)
    (following,) = spider.parse_wp_posts(api_page([post()], 2), **first.cb_kwargs)
    assert following.cb_kwargs == {"root": SITE + "/wp-json/", "page": 2}
    assert list(spider.parse_wp_posts(api_page([], 2, 2), root=SITE + "/wp-json/", page=2)) == []
    hints = spider.deferred[SITE + "/2025/02/19/harbour-bridge-reopens/"]
    assert hints["dates_first"] == [{"raw": "2025-02-19T10:30:00+08:00", "source": "wp-api"}]
    assert hints["lastmod"] == "2025-02-20T09:00:05+08:00"
    page = HtmlResponse(url=SITE + "/2025/02/19/harbour-bridge-reopens/", headers={"Content-Type": "text/html"}, body=(
        '<html lang="en"><head><meta property="og:type" content="article"></head><body><article><h1>Harbour bridge reopens</h1>'
        '<time datetime="2025-02-19T10:31:00+08:00">19 Feb</time><p>' + "Traffic returned to the bridge this morning. " * 30
        + "</p></article></body></html>").encode())
    (item,) = spider.parse_article(page, hints=hints)
    assert item.datePublishedCandidates[0] == {"raw": "2025-02-19T10:30:00+08:00", "source": "wp-api"}
    assert item.dateModifiedCandidates[0]["raw"] == "2025-02-20T09:00:05+08:00"
    assert (item.authors, item.articleSection) == (["Zoë Ångström"], ["Asia", "Politics & Power"])
    assert spider.crawler.stats.get_value("aggregator/wp_api/posts") == 1


def test_spider_counts_an_api_that_is_not_there(spider):
    assert list(spider.parse_wp_posts(TextResponse(url=SITE + "/wp-json/wp/v2/posts", body=b"<html>gone</html>"), root=SITE + "/wp-json/", page=1)) == []
    assert spider.crawler.stats.get_value("aggregator/wp_api/invalid") == 1


def test_api_is_used_automatically_only_when_allowed(tmp_path):
    home = HtmlResponse(url=SITE + "/", body=b'<html><head><link rel="https://api.w.org/" href="/wp-json/"></head><body></body></html>')
    for auto, expected in ((False, 0), (True, 1)):
        crawler = get_crawler(NewsSpider, settings_dict={"ARCHIVE_PATH": str(tmp_path / "a.sqlite"), "WP_API_AUTO": auto})
        crawler.stats.open_spider()
        spider = NewsSpider.from_crawler(crawler, url=SITE + "/")
        spider.last_run = None
        requests = [r for r in spider.parse_home(home) if getattr(r, "callback", None) == spider.parse_wp_posts]
        assert len(requests) == expected
