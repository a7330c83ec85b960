"""Scheduled runs end to end: incremental runs, each source alone, and a trap site (served demo sites)."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest

from aggregator.demo_site import DemoServer, build_demo_site
from aggregator.menus import read_menus

from crawl_runner import run_crawl

pytestmark = pytest.mark.slow

SETTINGS = {"SITE_TIMEZONE": "Asia/Singapore", "AUTOTHROTTLE_ENABLED": False}


def crawl(server, archive, settings=None, **spider_args):
    before = len(server.responses)
    result = run_crawl(f"{server.base_url}/", archive, {**SETTINGS, **(settings or {})}, spider_args=spider_args or None)
    assert result.returncode == 0, result.log[-3000:]
    result.responses = server.responses[before:]
    return result


def rows(archive: Path, sql: str, params=()):
    with sqlite3.connect(archive) as db:
        return db.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Four runs into one archive: first, nothing changed, after 3 new articles, after 2 edits."""
    site = build_demo_site(63, unpublished=3)
    archive = tmp_path_factory.mktemp("scheduled") / "runs.sqlite"
    with DemoServer(site) as server:
        first = crawl(server, archive)
        second = crawl(server, archive)
        published = [truth["url"] for truth in site.publish(3)]
        third = crawl(server, archive)
        edited = site.edit(2)
        fourth = crawl(server, archive)
    return {"site": site, "archive": archive, "first": first, "second": second, "third": third, "fourth": fourth,
            "published": published, "edited": edited}


def test_first_run_archives_every_article_once(runs):
    assert rows(runs["archive"], "SELECT new, status FROM crawl_runs ORDER BY id LIMIT 1") == [(60, "finished")]
    assert rows(runs["archive"], "SELECT count(*), count(DISTINCT url) FROM articles") == [(63, 63)]
    assert runs["first"].stat("aggregator/sitemaps/fetched") >= 2  # the index, a child, the news sitemap
    assert runs["first"].stat("aggregator/feeds/fetched") == 1


def test_second_run_with_nothing_changed_fetches_no_article(runs):
    article_paths = {truth["url"] for truth in runs["site"].ground_truth}
    fetched = [path for path, _ in runs["second"].responses if path.split("?")[0] in article_paths]
    assert fetched == []
    assert runs["second"].stat("aggregator/incremental/skipped_known") == 60
    assert runs["second"].stat("aggregator/archive/new") == 0
    # The fixed cost of a run: home, robots.txt (read once, by Scrapy), the sitemap index and news
    # sitemap, the feed, and each menu section's first page; no child sitemap (their lastmod is
    # older than the last run).
    paths = Counter(path for path, _ in runs["second"].responses)
    menu = {urlsplit(entry.url).path for entry in read_menus(runs["site"].get("/")[2].decode(), "http://demo.invalid/")}
    assert set(paths) == {"/", "/robots.txt", "/wp-sitemap.xml", "/news-sitemap.xml", "/feed/"} | menu
    assert sum(paths.values()) == len(menu) + 5
    assert runs["second"].stat("aggregator/sitemaps/unchanged") >= 1


def test_third_run_archives_exactly_the_new_articles(runs):
    (started,) = rows(runs["archive"], "SELECT started FROM crawl_runs ORDER BY id LIMIT 1 OFFSET 2")[0]
    new = {url.split(":", 2)[2].split("/", 1)[1] for (url,) in rows(
        runs["archive"], "SELECT url FROM articles WHERE first_seen >= ?", [started])}
    assert {"/" + path for path in new} == set(runs["published"])
    assert rows(runs["archive"], "SELECT new, updated, status FROM crawl_runs ORDER BY id LIMIT 1 OFFSET 2") == [(3, 0, "finished")]


def test_edited_articles_are_revisited_through_the_sitemap_lastmod(runs):
    fourth = runs["fourth"]
    assert fourth.stat("aggregator/incremental/revisit/lastmod") == 2
    assert fourth.stat("aggregator/archive/updated") == 2
    revised = {url.split("/", 3)[3] for (url,) in rows(runs["archive"], "SELECT canonical_url FROM article_revisions")}
    assert {"/" + path for path in revised} == set(runs["edited"])


def test_revisits_are_conditional_and_304_counts_as_unchanged(tmp_path):
    site = build_demo_site(30)
    archive = tmp_path / "a.sqlite"
    with DemoServer(site) as server:
        crawl(server, archive)
        again = crawl(server, archive, {"RECRAWL_DAYS": 100_000})  # every article is "recent"
    statuses = Counter(status for _, status in again.responses)
    assert statuses[304] == again.stat("aggregator/incremental/not_modified") > 0
    assert again.stat("aggregator/incremental/revisit/recent") == 30
    assert rows(archive, "SELECT new, updated, unchanged FROM crawl_runs ORDER BY id DESC LIMIT 1") == [
        (0, 0, 30)]


@pytest.mark.parametrize("sources, expected", [("sitemap", 40), ("feed", None)])
def test_each_source_alone(tmp_path, sources, expected):
    site = build_demo_site(40)
    archive = tmp_path / "a.sqlite"
    with DemoServer(site) as server:
        result = crawl(server, archive, sources=sources)
    listing_fetches = [p for p, _ in result.responses if p.startswith("/category/") and not p.rstrip("/").endswith("feed")]
    assert listing_fetches == []  # no menu walk
    archived = {urlsplit(row[0]).path for row in rows(archive, "SELECT url FROM articles")}
    if expected:
        assert len(archived) == expected
    else:  # the site feed and every menu section's feed: the 10 newest of each
        menu = {urlsplit(entry.url).path for entry in read_menus(site.get("/")[2].decode(), "http://demo.invalid/")}
        feeds = ["/feed/"] + sorted(path + "feed/" for path in menu)
        listed = set()
        for feed in feeds:
            status, _, body = site.get(feed)
            if status == 200:
                listed |= {urlsplit(item.findtext("link")).path for item in ElementTree.fromstring(body).iter("item")}
        assert archived == listed
        assert sorted(p for p, _ in result.responses if p.endswith("/feed/")) == sorted(feeds)
    # The section path still comes from the menu taxonomy, with the parent.
    sections = {row[0] for row in rows(archive, "SELECT section_path FROM articles")}
    assert "World News/Asia" in sections or any("/" in s for s in sections)
    # Dates are right to the minute.
    by_path = {"/" + url.split("/", 3)[3]: published for url, published in rows(archive, "SELECT url, date_published FROM articles")}
    expected_dates = {a["url"]: a["datePublished"] for a in site.ground_truth}
    assert all(by_path[path] == expected_dates[path] for path in by_path)


def test_trap_site_ends_on_its_own_with_bounded_requests(tmp_path):
    site = build_demo_site(60, traps=True)
    archive = tmp_path / "a.sqlite"
    with DemoServer(site) as server:
        result = crawl(server, archive)
    assert result.stats["finish_reason"] == "finished"
    assert len(result.responses) <= 1.5 * site.real_page_count
    paths = [p for p, _ in result.responses]
    assert not [p for p in paths if "sid=" in p or "replytocom" in p or "print=" in p or p.endswith("/amp/") or "?s=" in p]
    assert rows(archive, "SELECT count(*) FROM articles") == [(60,)]
    assert result.stat("aggregator/listings/repeated_page") == 1


def test_incremental_runs_are_not_mistaken_for_degraded_ones(runs):
    # Runs 3 and 4 are compared with the earlier ones: skipping archived articles is not a drop.
    rows_ = rows(runs["archive"], "SELECT status, articles, degraded_fields FROM crawl_runs ORDER BY id")
    assert [status for status, _, _ in rows_] == ["finished"] * 4
    assert [fields for _, _, fields in rows_][2:] == ["[]", "[]"]  # judged, and fine
    articles = [count for _, count, _ in rows_]
    assert min(articles) >= 0.5 * max(articles) > 0
