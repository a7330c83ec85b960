"""Tests of the demo site's protocol documents and run-to-run behaviour.

Sitemaps, feeds and robots.txt (absolute URLs), HTTP validators and 304s,
publishing and editing between runs, the opt-in crawler traps, and that the
default build did not change. Feeds and sitemaps are parsed with the standard
library's ``xml.etree`` only.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import http.client
import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlsplit

import pytest

from aggregator.demo_site import DemoServer, DemoSite, build_demo_site

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
DC = "{http://purl.org/dc/elements/1.1/}"
BASE = "http://news.example:8080"
FEED_LINKS = re.compile(rb'<link rel="alternate" type="application/rss\+xml" [^>]*>\n')
SGT = timezone(timedelta(hours=8))


@pytest.fixture(scope="module")
def site() -> DemoSite:
    return build_demo_site()


@pytest.fixture(scope="module")
def server(site):
    with DemoServer(site) as running:
        yield running


def request(server: DemoServer, path: str, headers: dict | None = None, method: str = "GET"
            ) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(urlsplit(server.base_url).netloc, timeout=10)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def xml(site: DemoSite, path: str, content_type: str = "application/xml; charset=UTF-8") -> ET.Element:
    status, got_type, body = site.get(path, BASE)
    assert (status, got_type) == (200, content_type), path
    return ET.fromstring(body)


def changed(row: dict) -> datetime:
    """An article's last change (modified, else published) as an aware datetime."""
    return datetime.fromisoformat(row["dateModified"] or row["datePublished"])


def newest_first(rows: list[dict]) -> list[dict]:
    return list(reversed(rows))  # ground truth is oldest first


def members(site: DemoSite, path: list[str]) -> list[dict]:
    return [row for row in site.ground_truth if any(c[: len(path)] == path for c in row["sections"])]


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(timezone.utc), usegmt=True)


# --- The default build did not change ------------------------------------------------------
# sha256 (first 32 hex) of build_demo_site() pages computed with the module before sitemaps,
# feeds, validators, publishing and traps were added; themed pages are compared without the
# two (or three) feed <link>s they gained in <head>.
BEFORE = {
    "/": "86be61953411eab21f4924fd2cba7911",
    "/2025/03/02/qa-how-foreign-ministers-map-out-visa-free-travel-for-students/": "c18871be4e3b971c30fb8c2a651df272",
    "/2025/11/30/veteran-goalkeepers-welcome-a-dramatic-late-comeback-with-help-from-local-volunteers/":
        "2108061855e0fb4905553587ca328166",
    "/category/world-news/": "e2d9e115c43d851686225325c60275d4",
    "/tag/explainer/page/2/": "ed4cfe2c3886e19034675d9c19cb39fc",
    "/about-us/": "1f59f46a168cceb1d1a7f0a41fcb1c2c",
    "/?s=demo": "0157c4040b48f7fbe10591e7d3a9bd73",
    "/wp-login.php": "5eb70823057da3596e25caca0da6807a",
}
GROUND_TRUTH_BEFORE = "f31ab1d0fecf4da6c5a1c23cfe5dde75"


@pytest.mark.parametrize("path", list(BEFORE))
def test_default_build_unchanged_but_for_feed_links(site, path):
    status, _, body = site.get(path)
    assert status == 200
    links = FEED_LINKS.findall(body)
    assert len(links) == (0 if path == "/wp-login.php" else 3 if path.startswith(("/category/", "/tag/")) else 2)
    assert hashlib.sha256(FEED_LINKS.sub(b"", body)).hexdigest()[:32] == BEFORE[path]


def test_default_ground_truth_unchanged(site):
    dump = json.dumps(site.ground_truth, sort_keys=True).encode()
    assert hashlib.sha256(dump).hexdigest()[:32] == GROUND_TRUTH_BEFORE
    assert site.unpublished == 0 and site.endless_archive is None
    same = build_demo_site(72, seed=7, unpublished=0, traps=False)
    assert same.ground_truth == site.ground_truth
    for path in ["/", "/feed/", "/wp-sitemap.xml", "/news-sitemap.xml.gz", site.ground_truth[3]["url"]]:
        assert same.get(path, BASE) == site.get(path, BASE)


def test_default_build_has_no_traps(site):
    article = site.ground_truth[30]["url"]
    body = site.get(article)[2]
    assert b"amphtml" not in body and b"replytocom" not in body and b"print=1" not in body
    assert b"sid=" not in site.get("/category/politics/")[2] and b"wp-calendar" not in body
    assert site.get(article + "amp/")[0] == 404
    assert site.get("/2026/10/")[0] == 404 and site.get("/category/world-news/page/500/")[0] == 404
    assert site.get(article + "?print=1")[2] == body  # an unknown parameter, ignored


# --- robots.txt and sitemaps -------------------------------------------------------------
def test_robots_lists_both_sitemaps(server):
    status, headers, body = request(server, "/robots.txt")
    assert status == 200 and headers["Content-Type"] == "text/plain; charset=utf-8"
    assert body.decode() == ("User-agent: *\nDisallow: /wp-admin/\n\n"
                             f"Sitemap: {server.base_url}/wp-sitemap.xml\n"
                             f"Sitemap: {server.base_url}/news-sitemap.xml\n")
    status, _, body = request(server, "/robots.txt", {"Host": "demo.test:81"})
    assert b"Sitemap: http://demo.test:81/wp-sitemap.xml\n" in body


def test_sitemap_index(site):
    root = xml(site, "/wp-sitemap.xml")
    assert root.tag == SM + "sitemapindex"
    entries = {e.findtext(SM + "loc"): datetime.fromisoformat(e.findtext(SM + "lastmod"))
               for e in root.iter(SM + "sitemap")}
    newest = max(changed(row) for row in site.ground_truth)
    assert entries == {
        f"{BASE}/wp-sitemap-posts-post-1.xml": newest,
        f"{BASE}/wp-sitemap-posts-page-1.xml": datetime(2024, 10, 31, tzinfo=SGT),
        f"{BASE}/wp-sitemap-taxonomies-category-1.xml": newest,
        f"{BASE}/wp-sitemap-taxonomies-post_tag-1.xml": newest,
        f"{BASE}/wp-sitemap-users-1.xml": newest,
    }
    assert all(e.findtext(SM + "lastmod").endswith("+08:00") for e in root.iter(SM + "sitemap"))


def test_post_sitemaps_list_every_article_once():
    big = build_demo_site(1234, seed=5)
    index = xml(big, "/wp-sitemap.xml")
    children = [(e.findtext(SM + "loc"), datetime.fromisoformat(e.findtext(SM + "lastmod")))
                for e in index.iter(SM + "sitemap") if "-posts-post-" in e.findtext(SM + "loc")]
    assert [loc for loc, _ in children] == [f"{BASE}/wp-sitemap-posts-post-{n}.xml" for n in (1, 2, 3)]
    listed = []
    for n, (loc, lastmod) in enumerate(children):
        rows = big.ground_truth[500 * n: 500 * (n + 1)]
        urls = xml(big, urlsplit(loc).path).findall(SM + "url")
        assert len(urls) == len(rows) == min(500, 1234 - 500 * n)
        for url, row in zip(urls, rows):  # oldest first, as WordPress lists them
            assert url.findtext(SM + "loc") == BASE + row["url"]
            assert datetime.fromisoformat(url.findtext(SM + "lastmod")) == changed(row)
        listed += [url.findtext(SM + "loc") for url in urls]
        assert lastmod == max(changed(row) for row in rows)
    assert len(listed) == len(set(listed)) == 1234
    assert big.get("/wp-sitemap-posts-post-4.xml")[0] == 404


def test_page_taxonomy_and_user_sitemaps(site):
    pages = [u.findtext(SM + "loc") for u in xml(site, "/wp-sitemap-posts-page-1.xml").iter(SM + "url")]
    assert pages == [f"{BASE}/about-us/", f"{BASE}/contact/"]

    categories = xml(site, "/wp-sitemap-taxonomies-category-1.xml")
    listed = {urlsplit(u.findtext(SM + "loc")).path: datetime.fromisoformat(u.findtext(SM + "lastmod"))
              for u in categories.iter(SM + "url")}
    expected = {}
    for section in site.sections:
        rows = members(site, section["path"])
        if rows:
            expected[section["url"]] = max(changed(row) for row in rows)
    assert listed == expected  # empty categories (and Uncategorized) left out, as WordPress does

    tags = {u.findtext(SM + "loc") for u in xml(site, "/wp-sitemap-taxonomies-post_tag-1.xml").iter(SM + "url")}
    assert f"{BASE}/tag/cafe-culture/" in tags and len(tags) == len({t for r in site.ground_truth for t in r["tags"]})
    users = xml(site, "/wp-sitemap-users-1.xml")
    by_author = {urlsplit(u.findtext(SM + "loc")).path: u.findtext(SM + "lastmod") for u in users.iter(SM + "url")}
    assert "/author/zoe-angstrom/" in by_author
    assert len(by_author) == len({row["authors"][0] for row in site.ground_truth})


def test_sitemap_xml_redirects_to_the_core_index(server):
    status, headers, _ = request(server, "/sitemap.xml")
    assert status == 301 and headers["Location"] == f"{server.base_url}/wp-sitemap.xml"
    assert request(server, "/wp-sitemap.xml")[0] == 200


def test_news_sitemap(site):
    root = xml(site, "/news-sitemap.xml")
    newest = newest_first(site.ground_truth)[:20]
    urls = root.findall(SM + "url")
    assert len(urls) == 20
    for url, row in zip(urls, newest):
        assert url.findtext(SM + "loc") == BASE + row["url"]
        news = url.find(NEWS + "news")
        assert news.findtext(f"{NEWS}publication/{NEWS}name") == "The Daily Demo"
        assert news.findtext(f"{NEWS}publication/{NEWS}language") == "en"
        assert news.findtext(NEWS + "publication_date") == row["datePublishedLocal"]
        assert news.findtext(NEWS + "publication_date").endswith("+08:00")
        assert news.findtext(NEWS + "title") == row["headline"]
        assert news.findtext(NEWS + "keywords") == ", ".join(row["tags"])


def test_news_sitemap_gzip_variant(site, server):
    status, headers, body = request(server, "/news-sitemap.xml.gz")
    assert status == 200 and headers["Content-Type"] == "application/x-gzip"
    plain = request(server, "/news-sitemap.xml")[2]
    assert gzip.decompress(body) == plain and plain.startswith(b"<?xml")
    assert f"<loc>{server.base_url}/".encode() in plain
    assert b"news-sitemap.xml.gz" not in request(server, "/robots.txt")[2]


# --- Feeds ------------------------------------------------------------------------------------
def check_rss_items(items: list[ET.Element], rows: list[dict]) -> None:
    assert len(items) == len(rows)
    post_ids = set()
    for item, row in zip(items, rows):
        assert item.findtext("title") == row["headline"]
        assert item.findtext("link") == BASE + row["url"]
        published = parsedate_to_datetime(item.findtext("pubDate"))
        assert item.findtext("pubDate").endswith(" +0000")
        assert published == datetime.fromisoformat(row["datePublished"])
        assert item.findtext(DC + "creator") == row["authors"][0]
        assert [c.text for c in item.findall("category")] == [s[-1] for s in row["sections"]] + row["tags"]
        guid = item.find("guid")
        assert guid.get("isPermaLink") == "false" and re.fullmatch(rf"{BASE}/\?p=\d+", guid.text)
        post_ids.add(guid.text)
        assert item.findtext("description").endswith(" [&#8230;]")
        body = item.findtext(CONTENT + "encoded")
        assert body.startswith("<p>") and len(re.sub(r"<[^>]+>", " ", body).split()) == row["wordCount"]
    assert len(post_ids) == len(rows)


def test_rss_feed(site):
    root = xml(site, "/feed/", "application/rss+xml; charset=UTF-8")
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel.findtext("title") == "The Daily Demo" and channel.findtext("link") == BASE
    assert channel.find(ATOM + "link").get("href") == f"{BASE}/feed/"
    rows = newest_first(site.ground_truth)[:10]
    check_rss_items(channel.findall("item"), rows)
    assert parsedate_to_datetime(channel.findtext("lastBuildDate")) == max(changed(row) for row in rows)


def test_guid_redirects_to_the_article(site, server):
    guid = xml(site, "/feed/", "application/rss+xml; charset=UTF-8").find("channel/item/guid").text
    status, headers, _ = request(server, urlsplit(guid).path + "?" + urlsplit(guid).query)
    assert status == 301 and headers["Location"] == server.base_url + newest_first(site.ground_truth)[0]["url"]


def test_atom_feed(site):
    root = xml(site, "/feed/atom/", "application/atom+xml; charset=UTF-8")
    assert root.tag == ATOM + "feed"
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == f"{BASE}/feed/atom/"
    entries = root.findall(ATOM + "entry")
    rows = newest_first(site.ground_truth)[:10]
    assert len(entries) == 10
    for entry, row in zip(entries, rows):
        assert entry.findtext(ATOM + "title") == row["headline"]
        assert entry.find(f"{ATOM}link[@rel='alternate']").get("href") == BASE + row["url"]
        assert entry.findtext(ATOM + "published") == row["datePublished"]
        assert entry.findtext(ATOM + "updated") == (row["dateModified"] or row["datePublished"])
        assert entry.findtext(f"{ATOM}author/{ATOM}name") == row["authors"][0]
        assert [c.get("term") for c in entry.findall(ATOM + "category")] == [s[-1] for s in row["sections"]] + row["tags"]
    assert datetime.fromisoformat(root.findtext(ATOM + "updated")) == max(changed(row) for row in rows)


@pytest.mark.parametrize("path", [["World News"], ["World News", "Asia"], ["Business & Finance"]])
def test_category_feeds(site, path):
    url = next(s["url"] for s in site.sections if s["path"] == path)
    assert url.count("/") == len(path) + 2  # /category/<parent>/<child>/ as the archive itself
    channel = xml(site, url + "feed/", "application/rss+xml; charset=UTF-8").find("channel")
    assert channel.findtext("link") == BASE + url
    assert channel.find(ATOM + "link").get("href") == f"{BASE}{url}feed/"
    check_rss_items(channel.findall("item"), newest_first(members(site, path))[:10])
    head = site.get(url)[2].decode().split("</head>")[0]
    title = html.escape(f"The Daily Demo » {path[-1]} Category Feed")
    assert f'<link rel="alternate" type="application/rss+xml" title="{title}" href="{url}feed/">' in head


def test_every_themed_page_links_its_feeds(site, server):
    for path in ["/", site.ground_truth[0]["url"], "/category/politics/", "/tag/explainer/", "/author/marcus-bell/",
                 "/about-us/", "/contact/", "/?s=demo"]:
        head = site.get(path)[2].decode().split("</head>")[0]
        assert ('<link rel="alternate" type="application/rss+xml" title="The Daily Demo » Feed" href="/feed/">\n'
                '<link rel="alternate" type="application/rss+xml" title="The Daily Demo » Comments Feed" '
                'href="/comments/feed/">\n') in head, path
        for href in re.findall(r'<link rel="alternate" type="application/rss\+xml" [^>]*href="([^"]+)"', head):
            status, headers, body = request(server, href)
            assert status == 200 and headers["Content-Type"] == "application/rss+xml; charset=UTF-8", href
            ET.fromstring(body)


def test_comments_feed_is_empty(site):
    channel = xml(site, "/comments/feed/", "application/rss+xml; charset=UTF-8").find("channel")
    assert channel.findtext("title") == "Comments for The Daily Demo" and channel.findall("item") == []


# --- HTTP validators ------------------------------------------------------------------------
def test_validators_on_every_kind_of_200(site, server):
    newest = max(changed(row) for row in site.ground_truth)
    article = site.ground_truth[40]
    politics = newest_first(members(site, ["Politics"]))[:10]
    expected = {
        article["url"]: changed(article),
        "/category/politics/": max(changed(row) for row in politics),
        "/feed/": max(changed(row) for row in newest_first(site.ground_truth)[:10]),
        "/wp-sitemap-posts-post-1.xml": newest,
        "/about-us/": newest,
        "/robots.txt": newest,
    }
    for path, moment in expected.items():
        status, headers, body = request(server, path)
        assert status == 200
        assert headers["Last-Modified"] == http_date(moment), path
        assert headers["ETag"] == '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
    status, headers, _ = request(server, "/no/such/page/")
    assert status == 404 and "ETag" not in headers and "Last-Modified" not in headers


def test_conditional_requests(site):
    path = site.ground_truth[12]["url"]
    with DemoServer(site) as server:
        status, headers, body = request(server, path)
        etag, last_modified = headers["ETag"], headers["Last-Modified"]
        assert status == 200 and body
        earlier = http_date(parsedate_to_datetime(last_modified) - timedelta(seconds=1))
        cases = [
            ({"If-None-Match": etag}, 304),
            ({"If-None-Match": f'"0000", W/{etag}'}, 304),
            ({"If-None-Match": '"0123456789abcdef"'}, 200),
            ({"If-Modified-Since": last_modified}, 304),
            ({"If-Modified-Since": http_date(datetime(2030, 1, 1, tzinfo=timezone.utc))}, 304),
            ({"If-Modified-Since": earlier}, 200),
            ({"If-Modified-Since": "not a date"}, 200),
            ({"If-None-Match": '"0123456789abcdef"', "If-Modified-Since": last_modified}, 200),
            ({}, 200),
        ]
        for headers_sent, expected in cases:
            status, headers, body = request(server, path, headers_sent)
            assert status == expected, headers_sent
            if status == 304:
                assert body == b"" and headers["ETag"] == etag and headers["Last-Modified"] == last_modified
            else:
                assert len(body) == int(headers["Content-Length"]) > 0
        assert request(server, path, {"If-None-Match": etag}, method="HEAD")[0] == 304
        assert request(server, "/feed/", {"If-None-Match": request(server, "/feed/")[1]["ETag"]})[0] == 304
        statuses = [status for target, status in server.responses if target == path]
        assert statuses.count(304) == 5 and len(statuses) == len(cases) + 2
    assert site.respond(path, headers={"If-None-Match": etag}).status == 304
    assert site.respond(path).status == 200


# --- Publishing and editing between runs --------------------------------------------------------
def listed_urls(site: DemoSite) -> dict[str, set[str]]:
    """Article paths each channel of the site shows (home, sitemaps, feeds, a category walk)."""
    home = {html.unescape(h).split("?")[0]
            for h in re.findall(r'class="entry-title"><a href="([^"]+)"', site.get("/")[2].decode())}
    sitemap = {urlsplit(loc.text).path for loc in xml(site, "/wp-sitemap-posts-post-1.xml").iter(SM + "loc")}
    news = {urlsplit(loc.text).path for loc in xml(site, "/news-sitemap.xml").iter(SM + "loc")}
    feed = {urlsplit(link.text).path
            for link in xml(site, "/feed/", "application/rss+xml; charset=UTF-8").iter("link")} - {""}
    return {"home": home, "sitemap": sitemap, "news": news, "feed": feed}


def test_unpublished_articles_appear_nowhere_until_published():
    full = build_demo_site()
    site = build_demo_site(unpublished=5)
    hidden = full.ground_truth[-5:]
    assert site.ground_truth == full.ground_truth[:-5] and site.unpublished == 5
    with DemoServer(site) as server:
        for row in hidden:
            assert request(server, row["url"])[0] == 404
        seen = listed_urls(site)
        everything = b"".join(site.get(p)[2] for p in ["/", "/wp-sitemap-taxonomies-category-1.xml", "/feed/atom/",
                                                      site.ground_truth[-1]["url"], *site.non_article_paths[:80]])
        for row in hidden:
            assert all(row["url"] not in urls for urls in seen.values())
            assert row["url"].encode() not in everything  # not in widgets, related posts or neighbours either
        truth = site.ground_truth
        published = site.publish(2)
        assert published == hidden[:2] and truth is site.ground_truth and truth == full.ground_truth[:-3]
        assert [request(server, row["url"])[0] for row in hidden] == [200, 200, 404, 404, 404]
        seen = listed_urls(site)
        for row in hidden[:2]:
            assert all(row["url"] in urls for urls in seen.values())
        assert [r["url"] for r in site.publish(10)] == [r["url"] for r in hidden[2:]] and site.unpublished == 0
        assert site.ground_truth == full.ground_truth
        assert request(server, "/")[2] == full.get("/")[2]  # fully published: the same as a plain build


def test_edit_changes_body_dates_and_validators():
    site = build_demo_site()
    before = {row["url"]: dict(row) for row in site.ground_truth}
    newest = max(changed(row) for row in site.ground_truth)
    with DemoServer(site) as server:
        old = {url: request(server, url)[1] for url in before}
        edited = site.edit(3)
        assert len(edited) == 3 and len(set(edited)) == 3
        positions = [list(before).index(url) for url in edited]
        assert positions == sorted(positions) and all(24 <= k < 48 for k in positions)  # the middle of 72
        for url in edited:
            row = next(r for r in site.ground_truth if r["url"] == url)
            assert row["dateVariant"] in ("json-ld", "time")
            moment = changed(row)
            assert moment > newest and row["dateModified"] != before[url]["dateModified"]
            assert row["wordCount"] > before[url]["wordCount"]
            status, headers, body = request(server, url)
            assert headers["Last-Modified"] == http_date(moment) != old[url]["Last-Modified"]
            assert headers["ETag"] != old[url]["ETag"]
            assert request(server, url, {"If-None-Match": old[url]["ETag"]})[0] == 200
            text = body.decode()
            local = moment.astimezone(SGT).isoformat()
            if row["dateVariant"] == "time":
                assert f'<time class="updated" datetime="{local}">' in text
            else:
                assert f'"dateModified": "{local}"' in text
            content = text[text.index('<div class="entry-content">'): text.index('<footer class="entry-footer">')]
            words = html.unescape(re.sub(r"<[^>]+>", " ", content)).split()
            assert len(words) == row["wordCount"] and "Updated on" in content
        for url in [url for url in before if url not in edited][:10]:
            assert request(server, url, {"If-None-Match": old[url]["ETag"]})[0] == 304
    lastmods = {urlsplit(u.findtext(SM + "loc")).path: u.findtext(SM + "lastmod")
                for u in xml(site, "/wp-sitemap-posts-post-1.xml").iter(SM + "url")}
    for url in edited:
        row = next(r for r in site.ground_truth if r["url"] == url)
        assert datetime.fromisoformat(lastmods[url]) == changed(row)
    again = site.edit(3)
    assert not set(again) & set(edited)  # the least edited first


# --- Traps ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def trapped() -> DemoSite:
    return build_demo_site(traps=True)


def drop_sid(href: str) -> str:
    return re.sub(r"[?&]sid=[0-9a-f]+$", "", html.unescape(href))


def test_month_archive_next_chain_never_ends(trapped):
    url, seen = "/2026/10/", []
    for _ in range(50):
        status, _, body = trapped.get(url)
        assert status == 200, url
        text = body.decode()
        assert f"<caption>{datetime.strptime(url, '/%Y/%m/'):%B %Y}</caption>" in text
        seen.append(url)
        url = drop_sid(re.search(r'wp-calendar-nav-next"><a href="([^"]+)"', text).group(1))
    assert seen[-1] == "/2030/11/" and len(set(seen)) == 50
    day = drop_sid(re.search(r'<td><a href="(/2026/10/\d\d/[^"]*)"', trapped.get("/2026/10/")[2].decode()).group(1))
    assert re.fullmatch(r"/2026/10/\d\d/", day) and trapped.get(day)[0] == 200 and trapped.get("/2026/02/30/")[0] == 404


def test_listing_links_carry_a_new_session_id_per_response(trapped):
    first, second = (trapped.get("/category/politics/")[2].decode() for _ in range(2))
    sids = [set(re.findall(r"[?&;]sid=([0-9a-f]{16})", body)) for body in (first, second)]
    assert len(sids[0]) == len(sids[1]) == 1 and sids[0] != sids[1]
    links = re.findall(r'href="(/(?:category|tag|author)/[^"]*)"', first)
    assert links and all("sid=" in link or link.endswith("/feed/") for link in links)
    assert not re.search(r'href="/\d{4}/\d\d/\d\d/[a-z0-9-]+/[^"]*sid=', first)  # articles keep their URLs
    assert all(trapped.get(html.unescape(link))[0] == 200 for link in links[:20])


def test_endless_category_pagination(trapped):
    assert trapped.endless_archive == "/category/world-news/"
    status, _, body = trapped.get("/category/world-news/page/500/")
    assert status == 200
    text = body.decode()
    assert drop_sid(re.search(r'<link rel="next" href="([^"]+)"', text).group(1)) == "/category/world-news/page/501/"
    real = trapped.get("/category/world-news/")[2].decode()
    cards = re.compile(r'<h2 class="entry-title"><a href="([^"]+)"')
    assert [drop_sid(h).split("?")[0] for h in cards.findall(text)] == \
           [drop_sid(h).split("?")[0] for h in cards.findall(real)]
    assert trapped.get("/category/politics/page/500/")[0] == 404


def test_article_twins_and_reply_links(trapped):
    row = trapped.ground_truth[30]
    body = trapped.get(row["url"])[2].decode()
    assert f'<link rel="amphtml" href="{row["url"]}amp/">' in body
    amp = trapped.get(row["url"] + "amp/")[2].decode()
    assert f'<link rel="canonical" href="{row["url"]}">' in amp and html.escape(row["headline"]) in amp
    printed = trapped.get(row["url"] + "?print=1&utm_source=x")[2].decode()
    assert 'content="noindex, follow"' in printed and html.escape(row["headline"]) in printed
    assert f'href="{row["url"]}?print=1"' in body
    replies = re.findall(r'href="([^"]*\?replytocom=\d+#respond)"', body)
    comments = int(re.search(r"(\d+) Comments</h2>", body).group(1))
    assert len(replies) == len(set(replies)) == comments > 0
    assert trapped.get(replies[0].split("#")[0])[2].decode() == body


def test_sidebar_traps_and_real_page_count(trapped, site):
    body = trapped.get("/")[2].decode()
    assert body.count('class="tag-cloud-link"') > 200
    extra = re.findall(r'href="(/tag/[a-z0-9-]+/)" class="tag-cloud-link"', body)[-1]
    assert trapped.get(extra)[0] == 200 and trapped.get(extra + "feed/")[0] == 200
    searches = re.findall(r'<li><a href="(/\?s=[^"]+)">', body)
    assert len(searches) >= 5 and all(trapped.get(s)[0] == 200 for s in searches)
    real = 1 + 2 + len(site.ground_truth) + len([p for p in site.non_article_paths if p.startswith(
        ("/category/", "/tag/", "/author/")) and not p.endswith("/feed/")])
    assert trapped.real_page_count == site.real_page_count == real
    assert trapped.ground_truth == site.ground_truth
