"""The news spider's sitemap, feed and incremental callbacks on responses built in the test."""

from __future__ import annotations

import gzip

import pytest
from scrapy.http import HtmlResponse, Request, Response, TextResponse, XmlResponse
from scrapy.utils.test import get_crawler

from aggregator.archive import open_archive, write_articles
from aggregator.items import Article
from spiders.news import NewsSpider

SITE = "http://127.0.0.1:8123"
ARTICLE = """<html lang="en"><head><meta property="og:type" content="article"></head><body><article>
<h1>Harbour bridge reopens</h1>
<p>""" + "Traffic returned to the harbour bridge this morning. " * 20 + "</p></article></body></html>"


def make_spider(tmp_path, **arguments):
    crawler = get_crawler(NewsSpider, settings_dict={"ARCHIVE_PATH": str(tmp_path / "a.sqlite"), "SECTION_MAX_PAGES": 5})
    crawler.stats.open_spider()
    spider = NewsSpider.from_crawler(crawler, url=SITE + "/", **arguments)
    spider.last_run = None
    return spider


@pytest.fixture
def spider(tmp_path):
    return make_spider(tmp_path)


def stat(spider, key):
    return spider.crawler.stats.get_value(f"aggregator/{key}")


def xml(url, body, headers=None):
    return XmlResponse(url=url, body=body if isinstance(body, bytes) else body.encode(), headers=headers or {}, request=Request(url))


def test_sources_argument(tmp_path):
    assert make_spider(tmp_path).sources == ["menu", "sitemap", "feed"]
    assert make_spider(tmp_path, sources="sitemap, FEED").sources == ["sitemap", "feed"]
    with pytest.raises(ValueError, match="unknown source rss"):
        make_spider(tmp_path, sources="menu,rss")


def test_robots_sitemap_lines_are_followed(spider):
    robots = TextResponse(url=SITE + "/robots.txt", body=b"User-agent: *\nSitemap: /news.xml\nSitemap: https://elsewhere.example/s.xml\n",
                          request=Request(SITE + "/robots.txt"))
    requests = list(spider.parse_robots(robots))
    assert [r.url for r in requests] == [SITE + "/news.xml"]  # another site's sitemap is refused


def test_without_sitemap_lines_the_usual_locations_are_tried_in_turn(spider):
    robots = TextResponse(url=SITE + "/robots.txt", body=b"User-agent: *\nDisallow: /wp-admin/\n", request=Request(SITE + "/robots.txt"))
    first, news = spider.parse_robots(robots)
    assert (first.url, news.url) == (SITE + "/wp-sitemap.xml", SITE + "/news-sitemap.xml")
    # A guessed location that is an HTML page (a soft 404) moves on to the next guess, quietly.
    (second,) = spider.parse_sitemap(HtmlResponse(url=first.url, body=b"<html><body>Not found</body></html>", request=first),
                                     **first.cb_kwargs)
    assert second.url == SITE + "/sitemap_index.xml" and stat(spider, "sitemaps/missing") == 1
    assert stat(spider, "sitemaps/invalid") is None


INDEX = """<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>{site}/wp-sitemap-posts-post-1.xml</loc><lastmod>2025-01-01T00:00:00+00:00</lastmod></sitemap>
<sitemap><loc>{site}/wp-sitemap-posts-post-2.xml</loc><lastmod>2026-11-28T00:00:00+00:00</lastmod></sitemap>
<sitemap><loc>{site}/wp-sitemap-taxonomies-category-1.xml</loc></sitemap>
<sitemap><loc>https://elsewhere.example/sitemap.xml</loc></sitemap>
</sitemapindex>""".format(site=SITE)


def test_sitemap_index_skips_taxonomies_other_sites_and_unchanged_children(spider):
    from datetime import datetime, timezone

    spider.last_run = datetime(2026, 6, 1, tzinfo=timezone.utc)
    requests = list(spider.parse_sitemap(xml(SITE + "/wp-sitemap.xml", INDEX), depth=0))
    assert [r.url for r in requests] == [SITE + "/wp-sitemap-posts-post-2.xml"]
    assert (stat(spider, "sitemaps/unchanged"), stat(spider, "sitemaps/not_articles"), stat(spider, "sitemaps/offsite")) == (1, 1, 1)
    # A first run (no successful run yet) reads every child.
    spider.last_run = None
    assert len(list(spider.parse_sitemap(xml(SITE + "/wp-sitemap.xml", INDEX), depth=0))) == 2
    # Nesting is bounded.
    assert list(spider.parse_sitemap(xml(SITE + "/wp-sitemap.xml", INDEX), depth=3)) == []
    assert stat(spider, "sitemaps/too_deep") == 2


NEWS = """<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
 xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>{site}/2026/11/28/harbour-bridge/?utm_source=sitemap</loc><lastmod>2026-11-28T12:00:00+08:00</lastmod>
<news:news><news:publication><news:name>Demo</news:name><news:language>en</news:language></news:publication>
<news:publication_date>2026-11-28T10:30:00+08:00</news:publication_date><news:title>Harbour bridge reopens</news:title>
<news:keywords>bridges, traffic</news:keywords></news:news></url>
<url><loc>{site}/category/world/</loc></url>
<url><loc>{site}/tag/bridges/</loc></url>
</urlset>""".format(site=SITE)


def test_news_sitemap_entries_wait_with_their_news_tags(spider):
    compressed = gzip.compress(NEWS.encode())
    assert list(spider.parse_sitemap(xml(SITE + "/news-sitemap.xml.gz", compressed), depth=0)) == []
    url = SITE + "/2026/11/28/harbour-bridge/"
    assert list(spider.deferred) == [url]
    hints = spider.deferred[url]
    assert hints["dates"] == [{"raw": "2026-11-28T10:30:00+08:00", "source": "sitemap"}]
    assert (hints["headline"], hints["tags"], hints["lastmod"]) == ("Harbour bridge reopens", ["bridges", "traffic"], "2026-11-28T12:00:00+08:00")
    assert stat(spider, "sitemaps/urls") == 1 and stat(spider, "sitemaps/not_article_url") == 2


def test_sitemap_that_is_not_a_sitemap_is_counted(spider):
    assert list(spider.parse_sitemap(xml(SITE + "/sitemap.xml", b'{"not": "xml"}'), depth=0)) == []
    assert stat(spider, "sitemaps/invalid") == 1


FEED = """<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Demo</title>
<item><title>Harbour bridge reopens</title><link>{site}/2026/11/28/harbour-bridge/</link>
<pubDate>Sat, 28 Nov 2026 02:30:00 +0000</pubDate><dc:creator>Ana Lima</dc:creator><category>World</category></item>
<item><title>No link</title></item>
</channel></rss>""".format(site=SITE)


def test_feed_entries_wait_with_their_dates_and_authors(spider):
    assert list(spider.parse_feed(xml(SITE + "/feed/", FEED), main=True)) == []
    hints = spider.deferred[SITE + "/2026/11/28/harbour-bridge/"]
    assert hints["dates"] == [{"raw": "Sat, 28 Nov 2026 02:30:00 +0000", "source": "feed"}]
    # A feed's <category> may be a category or a tag (WordPress lists both): not taken as tags.
    assert hints["authors"] == ["Ana Lima"] and "tags" not in hints
    assert (stat(spider, "feeds/entries"), stat(spider, "feeds/skipped_entries")) == (1, 1)


def test_without_the_menu_source_each_section_feed_is_read(tmp_path):
    spider = make_spider(tmp_path, sources="feed")
    spider.section_urls.update({SITE + "/category/world/", SITE + "/category/world/asia/"})
    requests = list(spider.parse_feed(xml(SITE + "/feed/", FEED), main=True))
    assert [r.url for r in requests] == [SITE + "/category/world/feed/", SITE + "/category/world/asia/feed/"]
    assert list(spider.parse_feed(HtmlResponse(url=SITE + "/feed/", body=b"<html><body>Moved</body></html>"))) == []
    assert stat(spider, "feeds/invalid") == 1


def test_hints_fill_what_the_page_lacks_and_rank_after_its_own_dates(spider):
    hints = {"dates": [{"raw": "2026-11-28T10:30:00+08:00", "source": "sitemap"}], "authors": ["Ana Lima"], "tags": ["bridges"]}
    page = HtmlResponse(url=SITE + "/2026/11/28/harbour-bridge/", body=ARTICLE.replace(
        "<h1>", '<time datetime="2026-11-28T10:35:00+08:00">28 Nov</time><h1>').encode(),
        headers={"Content-Type": "text/html", "ETag": '"v1"', "Last-Modified": "Sat, 28 Nov 2026 02:35:00 GMT"})
    (item,) = spider.parse_article(page, hints=hints)
    assert isinstance(item, Article)
    assert [c["source"] for c in item.datePublishedCandidates][-1] == "sitemap"
    assert item.datePublishedCandidates[0]["raw"] == "2026-11-28T10:35:00+08:00"
    assert (item.authors, item.tags) == (["Ana Lima"], ["bridges"])
    assert (item.httpEtag, item.httpLastModified) == ('"v1"', "Sat, 28 Nov 2026 02:35:00 GMT")


def archive_one(spider, url, published, etag=None):
    db = open_archive(spider.archive.path)
    write_articles(db, [{"canonical_url": url, "url": url, "site": "127.0.0.1:8123", "headline": "A",
                         "date_published": published, "http_etag": etag}])
    db.conn.close()


def test_archived_articles_are_skipped_and_recent_ones_revisited_conditionally(spider):
    from datetime import datetime, timedelta, timezone

    old, recent = SITE + "/2020/01/01/old/", SITE + "/2026/11/28/recent/"
    archive_one(spider, old, "2020-01-01T00:00:00Z")
    archive_one(spider, recent, (datetime.now(timezone.utc) - timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:%SZ"), etag='"r1"')
    request, known = spider._article_request(old)
    assert request is None and known.canonical_url == old
    request, _ = spider._article_request(recent)
    assert request.headers["If-None-Match"] == b'"r1"' and request.meta["handle_httpstatus_list"] == [304]
    request, _ = spider._article_request(SITE + "/2026/11/29/new/")
    assert request is not None and "If-None-Match" not in request.headers
    assert (stat(spider, "incremental/skipped_known"), stat(spider, "incremental/revisit/recent")) == (1, 1)
    assert stat(spider, "articles/discovered") == 3
    # A 304 answer is "unchanged": no item.
    not_modified = Response(url=recent, status=304, request=request)
    assert list(spider.parse_article(not_modified)) == []
    assert stat(spider, "incremental/not_modified") == 1


def test_refresh_fetches_archived_articles_without_validators(tmp_path):
    spider = make_spider(tmp_path, refresh="1")
    url = SITE + "/2020/01/01/old/"
    archive_one(spider, url, "2020-01-01T00:00:00Z", etag='"o1"')
    request, _ = spider._article_request(url)
    assert request is not None and "If-None-Match" not in request.headers


LISTING = """<html><head><link rel="next" href="/category/world/page/{next}/"></head><body><h1>World</h1>
<h2><a href="/2020/01/01/a/">A</a></h2><h2><a href="/2020/01/02/b/">B</a></h2></body></html>"""


def test_pagination_stops_on_a_page_of_archived_articles(spider):
    for slug in ("a", "b"):
        archive_one(spider, SITE + f"/2020/01/0{1 if slug == 'a' else 2}/{slug}/", "2020-01-01T00:00:00Z")
    spider.run_started_iso = spider.run_started.replace(year=spider.run_started.year + 1).strftime("%Y-%m-%dT%H:%M:%SZ")  # archived before this run
    page = HtmlResponse(url=SITE + "/category/world/page/2/", body=LISTING.format(next=3).encode(), headers={"Content-Type": "text/html"})
    output = list(spider.parse_listing(page, section_path=["World"], page=2))
    assert output == [] and stat(spider, "incremental/pagination_stopped") == 1


def test_pagination_stops_on_a_page_repeating_the_previous_one(spider):
    first = HtmlResponse(url=SITE + "/category/world/page/2/", body=LISTING.format(next=3).encode(), headers={"Content-Type": "text/html"})
    (following,) = spider.parse_listing(first, section_path=["World"], page=2)
    assert len(spider.deferred) == 2 and following.url == SITE + "/category/world/page/3/"
    again = HtmlResponse(url=following.url, body=LISTING.format(next=4).encode(), headers={"Content-Type": "text/html"})
    output = [o for o in spider.parse_listing(again, **following.cb_kwargs) if o.callback == spider.parse_listing]
    assert output == [] and stat(spider, "listings/repeated_page") == 1


class Engine:
    def __init__(self):
        self.requests = []

    def crawl(self, request):
        self.requests.append(request)


def test_sitemap_lines_come_from_scrapys_own_robots_txt_parser(tmp_path):
    from scrapy.robotstxt import ProtegoRobotParser

    crawler = get_crawler(NewsSpider, settings_dict={"ARCHIVE_PATH": str(tmp_path / "a.sqlite"), "ROBOTSTXT_OBEY": True})
    crawler.stats.open_spider()
    spider = NewsSpider.from_crawler(crawler, url=SITE + "/")
    crawler.engine = Engine()
    assert spider.robots_from_scrapy
    spider.robots_pending = True
    robots = ProtegoRobotParser(b"User-agent: *\nDisallow: /x/\nSitemap: /news.xml\nSitemap: https://elsewhere.example/s.xml\n", spider)
    spider.on_robots_parsed(robots, Request(SITE + "/"))
    assert [r.url for r in crawler.engine.requests] == [SITE + "/news.xml"]
    spider.on_robots_parsed(robots, Request(SITE + "/"))  # once only
    assert len(crawler.engine.requests) == 1
    # robots.txt without Sitemap: lines: the usual locations.
    spider.robots_pending = True
    spider.on_robots_parsed(ProtegoRobotParser(b"User-agent: *\n", spider), Request(SITE + "/"))
    assert [r.url for r in crawler.engine.requests[1:]] == [SITE + "/wp-sitemap.xml", SITE + "/news-sitemap.xml"]


def test_sitemap_reading_is_capped_newest_children_first(tmp_path):
    crawler = get_crawler(NewsSpider, settings_dict={"ARCHIVE_PATH": str(tmp_path / "a.sqlite"), "SITEMAP_MAX_SITEMAPS": 3})
    crawler.stats.open_spider()
    spider = NewsSpider.from_crawler(crawler, url=SITE + "/")
    spider.last_run = None
    spider._sitemaps_requested = 1  # the index itself
    children = "".join(
        f"<sitemap><loc>{SITE}/posts-{day:02d}.xml</loc><lastmod>2026-11-{day:02d}</lastmod></sitemap>" for day in range(1, 21)
    )
    index = f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{children}</sitemapindex>'
    requests = list(spider.parse_sitemap(xml(SITE + "/sitemap_index.xml", index), depth=0))
    assert [r.url for r in requests] == [SITE + "/posts-20.xml", SITE + "/posts-19.xml"]
    assert crawler.stats.get_value("aggregator/sitemaps/max_reached") == 18


def test_feeds_and_sitemaps_on_other_sites_are_counted_not_followed(spider):
    home = HtmlResponse(url=SITE + "/", body=(
        '<html><head><link rel="alternate" type="application/rss+xml" href="https://elsewhere.example/feed/">'
        '</head><body></body></html>').encode())
    feeds = [r.url for r in spider.parse_home(home) if getattr(r, "callback", None) == spider.parse_feed]
    assert feeds == [SITE + "/feed/"] and stat(spider, "feeds/offsite") == 1
    robots = TextResponse(url=SITE + "/robots.txt", body=b"Sitemap: https://elsewhere.example/s.xml\n", request=Request(SITE + "/robots.txt"))
    assert [r.url for r in spider.parse_robots(robots)] == [SITE + "/wp-sitemap.xml", SITE + "/news-sitemap.xml"]
    assert stat(spider, "sitemaps/offsite") == 1
