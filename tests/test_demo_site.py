"""Tests of the bundled demo news site: its generator, its ground truth and its server."""

from __future__ import annotations

import html
import http.client
import json
import math
import re
import urllib.error
import urllib.request
from collections import Counter
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest

from aggregator.demo_site import DemoServer, DemoSite, build_demo_site

NEXT_LINK = re.compile(
    r'<(?:a|link)\b(?=[^>]*(?:\brel="next"|class="next page-numbers"))[^>]*\bhref="([^"]+)"')
CARD_LINK = re.compile(r'<h2 class="entry-title"><a href="([^"]+)"')
ARTICLE_PATH = re.compile(r"^/\d{4}/\d{2}/\d{2}/[a-z0-9-]+/$")


@pytest.fixture(scope="module")
def site() -> DemoSite:
    return build_demo_site()


@pytest.fixture(scope="module")
def server(site):
    with DemoServer(site) as running:
        yield running


def fetch(server: DemoServer, path: str) -> tuple[int, dict, str]:
    try:
        with urllib.request.urlopen(server.base_url + path, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode("utf-8")


def page(site: DemoSite, path: str) -> str:
    status, _, body = site.get(path)
    assert status == 200, path
    return body.decode("utf-8")


def clean(href: str) -> str:
    """An article link as a canonical path: entities decoded, query and fragment dropped."""
    return urlsplit(html.unescape(href)).path


def main_part(body: str) -> str:
    return body[body.index("<main"): body.index("</main>")]


def entry_meta(body: str) -> str:
    start = body.index('<div class="entry-meta">')
    return body[start: body.index("</div>", start)]


def walk(get_page, start: str) -> tuple[list[str], list[str]]:
    """Follow a section's next links from ``start``: (pages visited, article paths found)."""
    visited, articles, url = [], [], start
    while url is not None:
        assert url not in visited, f"pagination loops back to {url}"
        visited.append(url)
        body = get_page(url)
        articles += [clean(href) for href in CARD_LINK.findall(main_part(body))]
        following = {html.unescape(href) for href in NEXT_LINK.findall(body)}
        assert len(following) <= 1, following
        url = following.pop() if following else None
    return visited, articles


def expected_members(site: DemoSite, path: list[str]) -> set[str]:
    return {row["url"] for row in site.ground_truth
            if any(category[: len(path)] == path for category in row["sections"])}


# --- Generator and ground truth ---------------------------------------------------------
def test_size_spread_and_uniqueness(site):
    rows = site.ground_truth
    assert len(rows) >= 60
    assert len({row["section"][0] for row in rows}) >= 8
    assert len({tuple(row["section"]) for row in rows}) >= 8
    assert len({row["url"] for row in rows}) == len(rows)
    assert len({row["headline"] for row in rows}) == len(rows)
    assert all(ARTICLE_PATH.match(row["url"]) for row in rows)
    assert all(6 <= len(row["headline"].split()) <= 12 for row in rows)
    assert any(not row["headline"].isascii() for row in rows)
    assert any(set(row["headline"]) & set("‘’\"") for row in rows)
    assert site.timezone == "Asia/Singapore"


def test_authors_tags_and_categories(site):
    authors = Counter(row["authors"][0] for row in site.ground_truth)
    assert 5 <= len(authors) <= 7
    assert any(not name.isascii() for name in authors)
    assert all(2 <= len(row["tags"]) <= 4 for row in site.ground_truth)
    assert all(row["sections"][0] == row["section"] for row in site.ground_truth)
    multi = sum(len(row["sections"]) > 1 for row in site.ground_truth)
    assert 0.05 <= multi / len(site.ground_truth) <= 0.15
    direct = sum(len(row["section"]) == 1 for row in site.ground_truth)
    assert 0 < direct < len(site.ground_truth) / 2


def test_sections_cover_both_menus(site):
    paths = [tuple(section["path"]) for section in site.sections]
    assert len(paths) == len(set(paths))
    tops = [path for path in paths if len(path) == 1]
    assert len(tops) >= 9
    assert {"Education", "Lifestyle"} <= {path[0] for path in tops}
    for top in tops:
        assert 2 <= sum(len(path) == 2 and path[0] == top[0] for path in paths) <= 5
    children = [path[-1] for path in paths if len(path) == 2]
    assert len(children) == len(set(children)), "a child-only breadcrumb must resolve to one path"
    by_path = {tuple(s["path"]): s["url"] for s in site.sections}
    assert by_path[("World News", "Us & Canada")] == "/category/world-news/us-canada/"
    assert by_path[("Business & Finance",)] == "/category/business-finance/"
    for row in site.ground_truth:
        assert all(tuple(path) in by_path for path in row["sections"])


def test_dates(site):
    start, end = datetime(2024, 11, 1, tzinfo=timezone.utc), datetime(2026, 11, 1, tzinfo=timezone.utc)
    for row in site.ground_truth:
        local = datetime.fromisoformat(row["datePublishedLocal"])
        assert local.utcoffset() == timedelta(hours=8)
        assert local.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") == row["datePublished"]
        assert row["url"].startswith(local.strftime("/%Y/%m/%d/"))
        assert start - timedelta(days=1) <= local <= end
        if row["dateModified"] is not None:
            assert row["dateModified"] >= row["datePublished"]
    published = sorted(row["datePublished"] for row in site.ground_truth)
    assert published[-1][:7] != published[0][:7] and published[-1][:4] == "2026"


def test_variant_proportions(site):
    rows, n = site.ground_truth, len(site.ground_truth)
    dates = Counter(row["dateVariant"] for row in rows)
    assert set(dates) == {"json-ld", "time", "text"} and max(dates.values()) - min(dates.values()) <= 1
    labels = Counter(row["readingTimeSource"] for row in rows)
    assert abs(labels["label"] - labels["computed"]) <= 1
    crumbs = Counter(row["breadcrumbVariant"] for row in rows)
    assert set(crumbs) == {"home", "home-last-text", "no-home", "child-only"}
    assert 0.08 <= crumbs["child-only"] / n <= 0.22
    assert all(len(row["section"]) == 2 for row in rows if row["breadcrumbVariant"] == "child-only")
    assert 0 < sum(not row["hasCanonical"] for row in rows) < n / 4


def test_word_count_and_reading_time_rule(site):
    for row in site.ground_truth:
        body = page(site, row["url"])
        content = body[body.index('<div class="entry-content">'):]
        content = content[: content.index("</div>")]
        paragraphs = re.findall(r"<p>(.*?)</p>", content, re.S)
        assert 3 <= len(paragraphs) <= 12
        text = " ".join(html.unescape(re.sub(r"<[^>]+>", "", p)) for p in paragraphs)
        assert len(text.split()) == row["wordCount"], row["url"]
        assert 30 <= row["wordCount"] % 200 <= 170
        computed = math.ceil(row["wordCount"] / 200)
        if row["readingTimeSource"] == "label":
            assert row["readingTimeMinutes"] == computed + 1
            assert f'<span class="reading-time">Reading Time: {row["readingTimeMinutes"]} mins read</span>' \
                in entry_meta(body)
        else:
            assert row["readingTimeMinutes"] == computed
            assert "Reading Time" not in entry_meta(body)


def test_build_is_deterministic():
    first, second, other = build_demo_site(40, seed=3), build_demo_site(40, seed=3), build_demo_site(40, seed=4)
    assert first.ground_truth == second.ground_truth
    assert list(first.pages) == list(second.pages)
    for key in list(first.pages)[:: max(1, len(first.pages) // 25)]:
        assert first.pages[key] == second.pages[key]
    assert first.ground_truth != other.ground_truth


def test_large_site_builds():
    big = build_demo_site(5000)
    assert len(big.ground_truth) == 5000
    assert len({row["url"] for row in big.ground_truth}) == 5000
    assert len({row["headline"] for row in big.ground_truth}) == 5000


def test_large_site_pagination_styles():
    big = build_demo_site(5000)
    seen_path = seen_query = seen_next_only = False
    for section in big.sections:
        if len(section["path"]) != 1:
            continue
        visited, articles = walk(lambda url: page(big, url), section["url"])
        assert set(articles) == expected_members(big, section["path"])
        assert len(articles) == len(set(articles))
        seen_path |= any("/page/" in url for url in visited)
        seen_query |= any("?paged=" in url for url in visited)
        seen_next_only |= len(visited) > 1 and "page-numbers" not in page(big, visited[1])
    assert seen_path and seen_query and seen_next_only


# --- Served pages -------------------------------------------------------------------------
def test_article_pages_served(site, server):
    for row in site.ground_truth:
        status, headers, body = fetch(server, row["url"])
        assert status == 200
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert '<html lang="en-US">' in body
        assert f'<h1 class="entry-title">{html.escape(row["headline"])}</h1>' in body
        assert body.index('class="trending-ticker"') < body.index("<main")
        assert f'rel="author">{html.escape(row["authors"][0])}</a>' in body
        for tag in row["tags"]:
            assert f'rel="tag">{html.escape(tag)}</a>' in body
        assert ('<link rel="canonical"' in body) == row["hasCanonical"]
        assert f'<meta property="og:title" content="{html.escape(row["headline"])}">' in body


def test_article_date_variants(site):
    for row in site.ground_truth:
        body = page(site, row["url"])
        local = datetime.fromisoformat(row["datePublishedLocal"])
        meta = entry_meta(body)
        has_json_ld = "application/ld+json" in body
        assert has_json_ld == (row["dateVariant"] == "json-ld")
        if has_json_ld:
            data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', body).group(1))
            article = next(node for node in data["@graph"] if node["@type"] == "NewsArticle")
            assert article["headline"] == row["headline"]
            assert article["datePublished"] == row["datePublishedLocal"]
            assert article["author"]["@type"] == "Person"
            assert article["author"]["name"] == row["authors"][0]
            assert [node["@type"] for node in data["@graph"]] == ["NewsArticle", "BreadcrumbList"]
        if row["dateVariant"] == "text":
            assert "<time" not in meta
            hour = local.hour % 12 or 12
            visible = f"{local:%B} {local.day}, {local.year} {hour}:{local:%M} {'am' if local.hour < 12 else 'pm'}"
            assert f'<span class="post-date">{visible}</span>' in meta
        else:
            assert f'<time class="entry-date published" datetime="{row["datePublishedLocal"]}">' in meta
        assert ('<time class="updated"' in meta) == (row["dateVariant"] == "time" and bool(row["dateModified"]))


def test_article_breadcrumbs(site):
    for row in site.ground_truth:
        body = page(site, row["url"])
        nav = re.search(r'<nav class="breadcrumbs".*?</nav>', main_part(body), re.S).group(0)
        names = [html.unescape(n) for n in re.findall(r">([^<>]+)</(?:a|span)>", nav) if n.strip() != "›"]
        expected = {"home": ["Home", *row["section"]], "home-last-text": ["Home", *row["section"]],
                    "no-home": row["section"], "child-only": row["section"][-1:]}[row["breadcrumbVariant"]]
        assert names == expected, row["url"]
        categories = re.findall(r'rel="category tag">([^<]+)</a>', body)
        assert [html.unescape(c) for c in categories] == [path[-1] for path in row["sections"]]


def test_cards_never_show_the_articles_own_reading_time(site):
    for row in site.ground_truth:
        body = page(site, row["url"])
        start = body.index('class="trending-ticker"')
        ticker = body[start: body.index("</ul></div>", start)]
        related = body[body.index('class="related-posts"'):]
        related = related[: related.index("</section>")]
        labels = re.findall(r"Reading Time: (\d+) mins read", ticker + related)
        assert len(labels) == 7
        assert str(row["readingTimeMinutes"]) not in labels
        assert row["url"] not in ticker + related
        assert len(re.findall(r"<h3 class=\"trending-title\">", ticker)) == 4


def test_every_page_has_the_site_chrome(site):
    for path in ["/", site.ground_truth[0]["url"], site.sections[0]["url"], "/about-us/", "/tag/explainer/"]:
        body = page(site, path)
        assert '<nav id="main-nav"' in body
        assert "menu-item-has-children" in body and '<ul class="sub-menu">' in body
        assert '<ul id="mobile-menu-list" class="menu">' in body
        assert '<ul id="menu-top-menu" class="menu">' in body
        assert '<div class="widget widget_categories">' in body
        assert 'href="/category/uncategorized/">Uncategorized</a>' in body
        assert '<h3 class="widget-title">Recent News</h3>' in body
        assert "Welcome Back!" in body and 'action="/wp-login.php"' in body
        assert 'name="s"' in body and "©" in body
        head = body[: body.index("</head>")]
        assert '<link rel="alternate" type="application/rss+xml" title="The Daily Demo » Feed" href="/feed/">' in head
        assert ('<link rel="alternate" type="application/rss+xml" title="The Daily Demo » Comments Feed" '
                'href="/comments/feed/">') in head
        assert head.count('rel="alternate"') == (3 if path.startswith(("/category/", "/tag/")) else 2), path
        if path != "/":  # the home page's Featured cards may repeat a Latest News card
            ids = re.findall(r'\bid="([^"]+)"', body)
            assert len(ids) == len(set(ids)), path


def test_section_pagination_reaches_all_articles(site, server):
    for section in [*site.sections, {"path": ["Uncategorized"], "url": "/category/uncategorized/"}]:
        visited, articles = walk(lambda url: fetch(server, url)[2], section["url"])
        assert set(articles) == expected_members(site, section["path"]), section["url"]
        assert len(articles) == len(set(articles))
        title = re.search(r'<h1 class="page-title">([^<]+)</h1>', fetch(server, section["url"])[2]).group(1)
        assert html.unescape(title) == section["path"][-1]


def test_home_page(site, server):
    status, _, body = fetch(server, "/")
    assert status == 200
    newest = sorted(site.ground_truth, key=lambda row: row["datePublished"], reverse=True)[:20]
    latest = body[body.index('class="latest-posts"'):]
    assert [clean(href) for href in CARD_LINK.findall(latest)] == [row["url"] for row in newest]
    assert "Featured" in body
    assert "utm_source=home&amp;utm_medium=card" in body and "/#comments" in body
    assert 'href="/tag/' in body and 'href="/author/' in body


def test_tracking_parameters_and_trailing_slash(site, server):
    url = site.ground_truth[5]["url"]
    plain = fetch(server, url)
    assert fetch(server, url + "?utm_source=home&utm_medium=card")[2] == plain[2]
    connection = http.client.HTTPConnection(urlsplit(server.base_url).netloc, timeout=10)
    connection.request("GET", url.rstrip("/"))
    response = connection.getresponse()
    response.read()
    assert response.status == 301 and response.getheader("Location") == url
    connection.close()
    assert site.get(url.rstrip("/"))[0] == 301


def test_non_article_paths(site, server):
    articles = {row["url"] for row in site.ground_truth}
    assert {"/", "/about-us/", "/contact/", "/wp-login.php", "/category/uncategorized/"} <= set(
        site.non_article_paths)
    assert not articles & set(site.non_article_paths)
    for path in site.non_article_paths:
        assert site.get(path)[0] == 200, path
    for path in ["/about-us/", "/contact/", "/wp-login.php", "/tag/cafe-culture/", "/?s=coastal"]:
        assert fetch(server, path)[0] == 200
    search = page(site, "/?s=Caf%C3%A9")
    assert all("café" in html.unescape(t).casefold()
               for t in re.findall(r'rel="bookmark">([^<]+)<', search))


def test_unknown_paths_404_and_robots(server):
    status, headers, body = fetch(server, "/no/such/page/")
    assert status == 404 and "<h1" in body and headers["Content-Type"] == "text/html; charset=utf-8"
    assert fetch(server, "/category/politics/page/99/")[0] == 404
    status, headers, body = fetch(server, "/robots.txt")
    assert status == 200 and "User-agent: *" in body and "Disallow: /wp-admin/" in body
    assert f"\nSitemap: {server.base_url}/wp-sitemap.xml\nSitemap: {server.base_url}/news-sitemap.xml\n" in body


def test_server_logs_requests_and_stays_quiet(site, capfd):
    with DemoServer(site) as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        fetch(server, "/")
        fetch(server, "/missing/?a=1")
        assert server.requests == ["/", "/missing/?a=1"]
        assert server.responses == [("/", 200), ("/missing/?a=1", 404)]
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""
