"""Crawls of a real WordPress news site, checked against WordPress's own ground truth.

The site is Debian's ``wordpress`` package with the classic twentytwentyone
theme, served by PHP's built-in server and MariaDB on 127.0.0.1:
``tests/wordpress/setup.sh`` starts it and ``tests/wordpress/populate.php``
fills it (``.ci/run`` does both and sets ``WORDPRESS_URL``). Without
``WORDPRESS_URL`` the module is skipped.

The ground truth is read back from WordPress (``populate.php truth``): every
published post's permalink, title as the theme prints it, dates, categories as
paths, tags and author, and the URLs that must never be archived (drafts,
pending, private and scheduled posts, pages).

Order matters, because the incremental check changes the site: the fixture
``first_runs`` crawls with every source first, and ``second_run`` (which
depends on it) then publishes 5 posts and edits 3 with ``populate.php more``
before crawling again.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from crawl_runner import ROOT, CrawlResult, run_crawl

WORDPRESS_URL = os.environ.get("WORDPRESS_URL", "")
POPULATE = ROOT / "tests" / "wordpress" / "populate.php"
SOURCES = ["menu", "sitemap", "feed", "wp-api"]
HTML_SOURCES = ["menu", "sitemap", "feed"]
SETTINGS = {"SITE_TIMEZONE": "Asia/Singapore", "AUTOTHROTTLE_ENABLED": False, "LOG_LEVEL": "INFO"}

pytestmark = pytest.mark.skipif(
    not WORDPRESS_URL,
    reason="WORDPRESS_URL is not set: start the site with tests/wordpress/setup.sh and populate.php (see README)",
)


def _report(config: pytest.Config, line: str) -> None:
    """Print past pytest's output capture, so CI's log shows the numbers."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:  # pragma: no cover
        print(line)
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(line)


def _read_truth(path: Path, mode: str = "truth") -> dict[str, Any]:
    """Ground truth read back from WordPress by ``populate.php`` (``mode`` ``more`` changes the site first)."""
    subprocess.run(["php", str(POPULATE), mode, str(path)], check=True, capture_output=True, timeout=120)
    return json.loads(path.read_text())


def _archive(path: Path) -> dict[str, dict[str, Any]]:
    """The archive's articles by fetched URL, list columns decoded from JSON."""
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    try:
        rows = [dict(row) for row in db.execute("SELECT * FROM articles")]
    finally:
        db.close()
    for row in rows:
        for column in ("tags", "authors", "sections", "section"):
            row[column] = json.loads(row[column]) if row.get(column) else []
    return {row["url"]: row for row in rows}


def _query(path: Path, sql: str) -> list[sqlite3.Row]:
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def _feed_links(url: str) -> list[str]:
    """The item links of one RSS feed."""
    with urllib.request.urlopen(url, timeout=30) as response:
        root = ET.fromstring(response.read())
    return [item.findtext("link", "").strip() for item in root.iter("item")]


class Run:
    """One crawl: its result, its archive and its articles."""

    def __init__(self, source: str, result: CrawlResult, archive: Path):
        self.source = source
        self.result = result
        self.archive = archive
        self.articles = _archive(archive) if archive.exists() else {}

    @property
    def pages_per_second(self) -> float:
        return self.result.stat("response_received_count") / self.result.seconds if self.result.seconds else 0.0


@pytest.fixture(scope="module")
def truth(tmp_path_factory) -> dict[str, Any]:
    """The site as WordPress says it is before any crawl."""
    return _read_truth(tmp_path_factory.mktemp("wordpress") / "truth.json")


@pytest.fixture(scope="module")
def first_runs(truth, tmp_path_factory, pytestconfig) -> dict[str, Run]:
    """One crawl per source into its own archive, all before the site changes."""
    folder = tmp_path_factory.mktemp("wordpress-archives")
    setup = os.environ.get("WORDPRESS_SETUP_SECONDS")
    if setup:
        _report(pytestconfig, f"wordpress: site setup and populate took {float(setup):.1f} s")
    runs = {}
    for source in SOURCES:
        archive = folder / f"{source}.sqlite"
        result = run_crawl(WORDPRESS_URL, archive, SETTINGS, timeout=300, spider_args={"sources": source})
        runs[source] = run = Run(source, result, archive)
        _report(
            pytestconfig,
            f"wordpress: sources={source}: {result.seconds:.1f} s, "
            f"{result.stat('response_received_count')} pages ({run.pages_per_second:.1f}/s), "
            f"{len(run.articles)} articles, finish reason {result.stat('finish_reason', None)}",
        )
    return runs


@pytest.fixture(scope="module")
def expected(truth) -> dict[str, dict[str, dict[str, Any]]]:
    """Per source, the published posts it must archive, by URL."""
    posts = {post["url"]: post for post in truth["posts"]}
    in_feeds: set[str] = set(_feed_links(truth["home"] + "feed/"))
    for section in truth["sections"]:
        in_feeds.update(_feed_links(section["url"] + "feed/"))
    return {
        "menu": posts,
        "sitemap": posts,
        "feed": {url: post for url, post in posts.items() if url in in_feeds},
        "wp-api": posts,
    }


def _check(run: Run, expected_posts: dict[str, dict[str, Any]], field: str, check) -> None:
    """Assert ``check(article, post)`` for every expected post; report every miss."""
    assert run.articles, f"sources={run.source} archived nothing (exit {run.result.returncode}):\n{run.result.log[-3000:]}"
    misses = []
    for url, post in expected_posts.items():
        article = run.articles.get(url)
        if article is None:
            continue  # counted by test_every_post_archived_once
        problem = check(article, post)
        if problem:
            misses.append(f"{url}: {problem}")
    assert not misses, f"sources={run.source}: {field} wrong on {len(misses)} of {len(expected_posts)} posts:\n" + "\n".join(
        misses[:10]
    )


@pytest.mark.parametrize("source", SOURCES)
def test_crawl_finishes(first_runs, source):
    run = first_runs[source]
    assert run.result.returncode == 0, run.result.log[-3000:]
    assert run.result.stat("finish_reason", None) == "finished"


@pytest.mark.parametrize("source", SOURCES)
def test_every_post_archived_once(first_runs, expected, source):
    run = first_runs[source]
    want = set(expected[source])
    got = set(run.articles)
    assert len(want) >= (10 if source == "feed" else 150)
    assert not want - got, f"sources={source}: {len(want - got)} posts not archived, e.g. {sorted(want - got)[:5]}"
    assert not got - want, f"sources={source}: archived what is not a post to expect: {sorted(got - want)[:5]}"
    canonical = [article["canonical_url"] for article in run.articles.values()]
    assert len(canonical) == len(set(canonical)) == len(want)


@pytest.mark.parametrize("source", SOURCES)
def test_nothing_unpublished_or_page_archived(first_runs, truth, source):
    run = first_runs[source]
    never = {entry["url"]: entry["status"] for entry in truth["never_archive"]}
    assert {"draft", "pending", "private", "future", "page"} <= set(never.values())
    archived = set(run.articles) | {article["canonical_url"] for article in run.articles.values()}
    leaked = {url: status for url, status in never.items() if url in archived}
    assert not leaked, f"sources={source} archived {leaked}"


@pytest.mark.parametrize("source", HTML_SOURCES)
def test_headline(first_runs, expected, source):
    _check(
        first_runs[source],
        expected[source],
        "headline",
        lambda a, p: a["headline"] != p["headline"] and f"{a['headline']!r} != {p['headline']!r}",
    )


@pytest.mark.parametrize("source", HTML_SOURCES)
def test_date_modified_never_wrong(first_runs, expected, source):
    # The theme prints only the publication (class "entry-date published updated"): the HTML
    # crawls have no modification time to give, and must not pass the publication off as one.
    def check(article, post):
        got = article["date_modified"]
        if got is not None and not (post["modified"] and got[:16] == post["date_modified"][:16]):
            return f"date_modified {got!r} (from {article['date_modified_raw_source']}) but WordPress says {post['date_modified']!r}"

    _check(first_runs[source], expected[source], "date_modified", check)


@pytest.mark.parametrize("source", HTML_SOURCES)
def test_date_published_utc_to_the_minute(first_runs, expected, source):
    def check(article, post):
        got, want = article["date_published"] or "", post["date_published"]
        if not (got.endswith("Z") and got[:16] == want[:16]):
            return f"{got!r} (from {article['date_published_raw_source']}) != {want!r}"

    _check(first_runs[source], expected[source], "date_published", check)


@pytest.mark.parametrize("source", HTML_SOURCES)
def test_date_published_local_has_site_offset(first_runs, expected, source):
    def check(article, post):
        got, want = article["date_published_local"] or "", post["date_published_local"]
        if not (got.endswith("+08:00") and got[:16] == want[:16]):
            return f"{got!r} != {want!r}"

    _check(first_runs[source], expected[source], "date_published_local", check)


def _paths(post: dict[str, Any]) -> list[str]:
    return ["/".join(path) for path in post["categories"]]


@pytest.mark.parametrize("source", HTML_SOURCES)
def test_section_path_includes_menu_parent(first_runs, expected, source):
    """Posts show only their own categories (often just the child, "Asia");
    the path must carry the parent from the menu ("World News/Asia")."""

    def check(article, post):
        if article["section_path"] not in _paths(post):
            return f"section_path {article['section_path']!r} not in {_paths(post)}"
        got = sorted("/".join(path) for path in article["sections"])
        if got != sorted(_paths(post)):
            return f"sections {got} != {sorted(_paths(post))}"

    _check(first_runs[source], expected[source], "section", check)


@pytest.mark.parametrize("source", HTML_SOURCES)
def test_tags(first_runs, expected, source):
    _check(
        first_runs[source],
        expected[source],
        "tags",
        lambda a, p: sorted(a["tags"]) != sorted(p["tags"]) and f"{a['tags']} != {p['tags']}",
    )


@pytest.mark.parametrize("source", HTML_SOURCES)
def test_author(first_runs, expected, source):
    _check(
        first_runs[source],
        expected[source],
        "authors",
        lambda a, p: a["authors"] != [p["author"]] and f"{a['authors']} != {[p['author']]}",
    )


@pytest.mark.parametrize("source", HTML_SOURCES)
def test_reading_time_computed_from_body(first_runs, expected, source):
    def check(article, post):
        if article["reading_time_source"] != "computed" or not article["reading_time_minutes"]:
            return f"reading time {article['reading_time_minutes']!r} ({article['reading_time_source']!r})"
        if post["first_paragraph"][:80] not in (article["article_body"] or ""):
            return "article_body lacks the post's first paragraph"
        if abs((article["word_count"] or 0) - post["words"]) > max(10, post["words"] // 10):
            return f"word_count {article['word_count']} far from {post['words']}"

    _check(first_runs[source], expected[source], "reading time", check)


WP_API_FIELDS = ["headline", "section_path", "sections", "tags", "authors", "word_count"]


def test_wp_api_matches_html_crawl(first_runs, expected):
    """The REST API source archives what the HTML crawl does, with the API's
    exact dates (``date_gmt``, ``modified_gmt``): the HTML crawl's dates are
    checked against the truth by the tests above."""
    api, html = first_runs["wp-api"], first_runs["menu"]
    assert api.result.stat("aggregator/wp_api/posts") >= len(expected["wp-api"]), (
        f"the wp-api source enumerated {api.result.stat('aggregator/wp_api/posts')} posts"
    )
    misses = []
    for url, post in expected["wp-api"].items():
        a, h = api.articles.get(url), html.articles.get(url)
        if a is None:
            misses.append(f"{url}: not archived")
            continue
        if not ((a["date_published"] or "").endswith("Z") and a["date_published"][:16] == post["date_published"][:16]):
            misses.append(f"{url}: date_published {a['date_published']!r} != {post['date_published']!r}")
        if not (a["date_published_local"] or "").endswith("+08:00"):
            misses.append(f"{url}: date_published_local {a['date_published_local']!r} has not the site's offset")
        if post["modified"] and (a["date_modified"] or "")[:16] != post["date_modified"][:16]:
            misses.append(f"{url}: date_modified {a['date_modified']!r} != {post['date_modified']!r}")
        for field in WP_API_FIELDS if h is not None else []:
            if a[field] != h[field]:
                misses.append(f"{url}: {field} {a[field]!r} (wp-api) != {h[field]!r} (menu)")
    assert not misses, f"{len(misses)} differences:\n" + "\n".join(misses[:15])


@pytest.fixture(scope="module")
def second_run(first_runs, truth, tmp_path_factory, pytestconfig) -> tuple[Run, dict[str, Any]]:
    """The site changes (5 new posts, 3 edited), then an hourly run on the menu archive."""
    folder = tmp_path_factory.mktemp("wordpress-second")
    changed = _read_truth(folder / "truth-more.json", "more")
    archive = folder / "incremental.sqlite"
    shutil.copy(first_runs["menu"].archive, archive)
    result = run_crawl(WORDPRESS_URL, archive, SETTINGS, timeout=300)
    run = Run("menu,sitemap,feed", result, archive)
    _report(
        pytestconfig,
        f"wordpress: second run (default sources, incremental): {result.seconds:.1f} s, "
        f"{result.stat('response_received_count')} pages ({run.pages_per_second:.1f}/s)",
    )
    return run, changed


def test_second_run_archives_exactly_the_new_posts(second_run, first_runs):
    run, changed = second_run
    new = set(changed["last_change"]["new"])
    assert len(new) == 5
    assert new <= set(run.articles)
    latest = _query(run.archive, "SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]
    assert latest["new"] == 5, dict(latest)
    added = set(run.articles) - set(first_runs["menu"].articles)
    assert added == new


def test_second_run_records_revisions_of_edited_posts(second_run):
    run, changed = second_run
    edited = set(changed["last_change"]["edited"])
    assert len(edited) == 3
    revised = {row["canonical_url"] for row in _query(run.archive, "SELECT canonical_url FROM article_revisions")}
    assert revised == edited
    for url in edited:
        post = next(p for p in changed["posts"] if p["url"] == url)
        assert "Update:" in (run.articles[url]["article_body"] or ""), url
        assert post["modified"]
