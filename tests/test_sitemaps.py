"""Reading sitemaps: URL sets, indexes, Google News fields, gzip, robots.txt, lastmod."""

from __future__ import annotations

import gzip
import time
from datetime import datetime, timezone

import pytest

from aggregator.sitemaps import (
    DEFAULT_SITEMAP_PATHS,
    Sitemap,
    SitemapEntry,
    SitemapError,
    is_article_sitemap,
    lastmod_datetime,
    parse_sitemap,
    robots_sitemaps,
)
from conftest import load_cases

SITE = "https://news.example.com"
CRAWL_CASES = {case["id"]: case for case in load_cases("crawl")}

URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://news.example.com/2025/02/19/harbour-reopens/</loc><lastmod>2025-02-19T10:30:00+08:00</lastmod></url>
  <url><loc>https://news.example.com/2025/02/18/bridge-vote/</loc></url>
</urlset>"""

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://news.example.com/wp-sitemap-posts-post-1.xml</loc><lastmod>2025-02-19</lastmod></sitemap>
  <sitemap><loc>https://news.example.com/wp-sitemap-taxonomies-category-1.xml</loc></sitemap>
</sitemapindex>"""

NEWS = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>https://news.example.com/2025/02/19/market-day/</loc>
    <news:news>
      <news:publication><news:name>Example Daily</news:name><news:language>zh-cn</news:language></news:publication>
      <news:publication_date>2025-02-19T10:30:00+08:00</news:publication_date>
      <news:title><![CDATA[Market day & the invented fish prices]]></news:title>
      <news:keywords>markets, fish ,, harbour</news:keywords>
    </news:news>
  </url>
</urlset>""".encode()


def test_urlset_with_lastmod():
    sitemap = parse_sitemap(URLSET, f"{SITE}/sitemap.xml")
    assert sitemap.kind == "urlset"
    assert sitemap.skipped == 0
    assert sitemap.entries == (
        SitemapEntry(loc=f"{SITE}/2025/02/19/harbour-reopens/", lastmod="2025-02-19T10:30:00+08:00"),
        SitemapEntry(loc=f"{SITE}/2025/02/18/bridge-vote/"),
    )


def test_sitemap_index():
    sitemap = parse_sitemap(INDEX, f"{SITE}/wp-sitemap.xml")
    assert sitemap.kind == "sitemapindex"
    assert [e.loc for e in sitemap.entries] == [
        f"{SITE}/wp-sitemap-posts-post-1.xml",
        f"{SITE}/wp-sitemap-taxonomies-category-1.xml",
    ]
    assert sitemap.entries[0].lastmod == "2025-02-19"
    assert sitemap.entries[1].lastmod is None


def test_google_news_fields_are_kept():
    (entry,) = parse_sitemap(NEWS, f"{SITE}/news-sitemap.xml").entries
    assert entry.loc == f"{SITE}/2025/02/19/market-day/"
    assert entry.news_title == "Market day & the invented fish prices"
    assert entry.news_publication_date == "2025-02-19T10:30:00+08:00"
    assert entry.news_keywords == ("markets", "fish", "harbour")
    assert entry.news_language == "zh-cn"
    assert entry.news_publication_name == "Example Daily"
    assert entry.lastmod is None


def test_gzip_once_and_twice():
    once = gzip.compress(URLSET)
    twice = gzip.compress(once)
    expected = parse_sitemap(URLSET, f"{SITE}/sitemap.xml")
    assert parse_sitemap(once, f"{SITE}/sitemap.xml.gz") == expected
    assert parse_sitemap(twice, f"{SITE}/sitemap.xml.gz") == expected


@pytest.mark.skipif("C023" not in CRAWL_CASES, reason="shared case C023 not available")
def test_c023_gz_child_already_decoded_by_transport():
    case = CRAWL_CASES["C023"]
    index = parse_sitemap(case["input"]["sitemap_index"].encode(), "https://www.example-news.com/sitemap.xml")
    (child,) = index.entries
    assert child.loc.endswith(".xml.gz") and is_article_sitemap(child.loc)
    body = case["input"]["child_body_after_transport_decoding"].encode()
    # The transport gzip was removed: the .xml.gz body is plain XML.
    for served in (body, gzip.compress(body), gzip.compress(gzip.compress(body))):
        sitemap = parse_sitemap(served, child.loc)
        assert [e.loc for e in sitemap.entries] == case["expected"]["article_urls"]


def test_missing_namespace_relative_and_spaced_locs():
    body = b"""<urlset>
      <url><loc>/2025/02/19/relative/</loc></url>
      <url><loc>
          https://news.example.com/2025/02/19/spaced/
      </loc><lastmod> 2025-02-19 </lastmod></url>
    </urlset>"""
    sitemap = parse_sitemap(body, f"{SITE}/sitemaps/posts.xml")
    assert [e.loc for e in sitemap.entries] == [
        f"{SITE}/2025/02/19/relative/",
        f"{SITE}/2025/02/19/spaced/",
    ]
    assert sitemap.entries[1].lastmod == "2025-02-19"


def test_misspelled_namespace_is_read():
    body = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/09"><url><loc>https://news.example.com/a/</loc></url></urlset>'
    assert [e.loc for e in parse_sitemap(body, f"{SITE}/sitemap.xml").entries] == [f"{SITE}/a/"]


def test_non_http_and_empty_locs_are_skipped_and_counted():
    body = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <url><loc>mailto:desk@news.example.com</loc></url>
      <url><loc>javascript:void(0)</loc></url>
      <url><loc>  </loc></url>
      <url><lastmod>2025-02-19</lastmod></url>
      <url><loc>https://news.example.com/kept/</loc></url>
    </urlset>"""
    sitemap = parse_sitemap(body, f"{SITE}/sitemap.xml")
    assert sitemap == Sitemap(kind="urlset", entries=(SitemapEntry(loc=f"{SITE}/kept/"),), skipped=4)


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><head><title>Not found</title></head><body><p>Oops</p></body></html>",
        b'{"urlset": ["https://news.example.com/"]}',
        b"",
        b"   \n",
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>',
        b"\x1f\x8b\x08\x00broken gzip",
    ],
    ids=["html", "json", "empty", "blank", "rss", "broken-gzip"],
)
def test_not_a_sitemap_raises(body):
    with pytest.raises(SitemapError):
        parse_sitemap(body, f"{SITE}/sitemap.xml")


def test_oversized_bodies_raise():
    big = URLSET.replace(b"</urlset>", b"<!--" + b"x" * 5000 + b"--></urlset>")
    with pytest.raises(SitemapError, match="larger than 1000"):
        parse_sitemap(gzip.compress(big), f"{SITE}/sitemap.xml.gz", max_size=1000)
    with pytest.raises(SitemapError, match="larger than 1000"):
        parse_sitemap(gzip.compress(gzip.compress(big)), f"{SITE}/sitemap.xml.gz", max_size=1000)
    with pytest.raises(SitemapError, match="larger than 1000"):
        parse_sitemap(big, f"{SITE}/sitemap.xml", max_size=1000)


def test_entity_expansion_does_not_blow_up():
    entities = "".join(
        f'<!ENTITY e{i} "{("&e%d;" % (i - 1)) * 10}">' for i in range(1, 10)
    )
    body = (
        '<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY e0 "lol">' + entities + "]>"
        '<urlset><url><loc>https://news.example.com/&e9;</loc></url></urlset>'
    ).encode()
    start = time.perf_counter()
    try:
        sitemap = parse_sitemap(body, f"{SITE}/sitemap.xml")
    except SitemapError:
        pass
    else:
        assert all(len(e.loc) < 200 for e in sitemap.entries)
    assert time.perf_counter() - start < 1


def test_external_entity_is_not_read():
    body = (
        b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
        b"<urlset><url><loc>https://news.example.com/a/</loc><lastmod>&x;</lastmod></url></urlset>"
    )
    (entry,) = parse_sitemap(body, f"{SITE}/sitemap.xml").entries
    assert entry.loc == f"{SITE}/a/" and entry.lastmod is None


ROBOTS = """User-agent: *
Disallow: /wp-admin/
Sitemap: https://news.example.com/sitemap_index.xml
sitemap: /news-sitemap.xml
SITEMAP:https://news.example.com/sitemap_index.xml
Sitemap: https://cdn.example.net/sitemaps/extra.xml.gz # mirrored
Sitemap:
"""


def test_robots_sitemaps_text_and_bytes():
    expected = [
        f"{SITE}/sitemap_index.xml",
        f"{SITE}/news-sitemap.xml",
        "https://cdn.example.net/sitemaps/extra.xml.gz",
    ]
    assert robots_sitemaps(ROBOTS, f"{SITE}/robots.txt") == expected
    assert robots_sitemaps(b"\xef\xbb\xbf" + ROBOTS.encode(), f"{SITE}/robots.txt") == expected
    assert robots_sitemaps(b"User-agent: *\nDisallow:\n", f"{SITE}/robots.txt") == []


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2025-02-19", datetime(2025, 2, 19, tzinfo=timezone.utc)),
        ("2025-02-19T10:30:00+08:00", datetime(2025, 2, 19, 2, 30, tzinfo=timezone.utc)),
        ("2025-02-19T10:30Z", datetime(2025, 2, 19, 10, 30, tzinfo=timezone.utc)),
        ("2025-02-19T01:15:30.250-05:00", datetime(2025, 2, 19, 6, 15, 30, 250000, tzinfo=timezone.utc)),
        ("2025-02-19 10:30:00+0800", datetime(2025, 2, 19, 2, 30, tzinfo=timezone.utc)),
        ("2025-02-19T10:30:00", datetime(2025, 2, 19, 10, 30, tzinfo=timezone.utc)),
        (" 2025-02 ", datetime(2025, 2, 1, tzinfo=timezone.utc)),
        ("yesterday", None),
        ("2025-13-01", None),
        ("2025-02-19T25:00Z", None),
        ("2025-02-19T10:30+24:00", None),
        ("19/02/2025", None),
        ("", None),
        (None, None),
    ],
)
def test_lastmod_datetime(value, expected):
    result = lastmod_datetime(value)
    assert result == expected
    if result is not None:
        assert result.tzinfo is timezone.utc


@pytest.mark.parametrize(
    "url, expected",
    [
        (f"{SITE}/wp-sitemap-posts-post-1.xml", True),
        (f"{SITE}/wp-sitemap-posts-page-1.xml", False),
        (f"{SITE}/wp-sitemap-taxonomies-category-1.xml", False),
        (f"{SITE}/wp-sitemap-taxonomies-post_tag-2.xml", False),
        (f"{SITE}/wp-sitemap-users-1.xml", False),
        (f"{SITE}/post-sitemap.xml", True),
        (f"{SITE}/post-sitemap3.xml", True),
        (f"{SITE}/category-sitemap.xml", False),
        (f"{SITE}/post_tag-sitemap.xml", False),
        (f"{SITE}/author-sitemap.xml", False),
        (f"{SITE}/page-sitemap.xml", False),
        (f"{SITE}/page-sitemap2.xml", False),
        (f"{SITE}/news-sitemap.xml", True),
        (f"{SITE}/sitemaps/news-01.xml.gz", True),
        (f"{SITE}/sitemap-2025-02.xml", True),
    ],
)
def test_is_article_sitemap(url, expected):
    assert is_article_sitemap(url) is expected


def test_default_paths_start_with_wordpress():
    assert DEFAULT_SITEMAP_PATHS == ("/wp-sitemap.xml", "/sitemap_index.xml", "/sitemap.xml", "/news-sitemap.xml")
