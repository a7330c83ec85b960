"""Reading feeds: RSS 2.0, Atom, RSS 1.0/RDF entries, feed links of a page, section feeds."""

from __future__ import annotations

import pytest
from scrapy.http import Headers

from aggregator.feeds import Feed, FeedEntry, FeedError, feed_links, parse_feed, section_feed_url

SITE = "https://news.example.com"
FEED_URL = f"{SITE}/feed/"

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/">
<channel>
  <title>Example Daily</title><link>https://news.example.com/</link>
  <item>
    <title>Harbour &amp; bridge reopen</title>
    <link>/2025/02/19/harbour-reopens/</link>
    <pubDate>Wed, 19 Feb 2025 10:30:00 +0800</pubDate>
    <dcterms:modified>2025-02-20T01:00:00Z</dcterms:modified>
    <dc:creator><![CDATA[Jane Roe]]></dc:creator>
    <author>jroe@news.example.com (Jane Roe)</author>
    <category><![CDATA[World News]]></category><category> Asia </category><category>world news</category>
    <description><![CDATA[<p>The invented harbour <b>reopened</b> today.</p><p>More&nbsp;later.</p>]]></description>
  </item>
  <item>
    <title>Guid only</title>
    <guid>https://news.example.com/2025/02/18/guid-only/</guid>
    <pubDate>Tue, 18 Feb 2025 08:00:00 GMT</pubDate>
  </item>
  <item><title>Not a permalink</title><guid isPermaLink="false">news-example-4711</guid></item>
  <item><title>No link at all</title><description>Nothing to follow.</description></item>
</channel>
</rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <title type="html">Example &lt;i&gt;Atom&lt;/i&gt;</title>
  <entry>
    <title>Council backs the fish market plan</title>
    <link rel="alternate" type="text/html" href="https://news.example.com/2025/02/19/fish-market/"/>
    <link rel="enclosure" href="https://news.example.com/audio/fish.mp3"/>
    <id>tag:news.example.com,2025:4712</id>
    <published>2025-02-19T10:30:00+08:00</published>
    <updated>2025-02-19T12:00:00+08:00</updated>
    <author><name>Ann Author</name><email>ann@news.example.com</email></author>
    <author><name>Bo Writer</name></author>
    <category term="politics" label="Politics"/><category term="economy"/>
    <summary type="html">&lt;p&gt;A short &lt;em&gt;invented&lt;/em&gt; summary.&lt;/p&gt;</summary>
  </entry>
  <entry>
    <title>Related only</title>
    <link rel="related" href="https://other.example.org/elsewhere"/>
    <id>tag:news.example.com,2025:4713</id>
    <updated>2025-02-18T00:00:00Z</updated>
  </entry>
</feed>"""

RDF = b"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://news.example.com/"><title>Example RDF</title><link>https://news.example.com/</link></channel>
  <item rdf:about="https://news.example.com/2025/02/19/tide-tables/">
    <title>Tide tables revised</title>
    <link>https://news.example.com/2025/02/19/tide-tables/</link>
    <dc:date>2025-02-19T10:30:00+08:00</dc:date>
    <dc:creator>Ray Reporter</dc:creator>
    <dc:subject>Science</dc:subject>
  </item>
</rdf:RDF>"""


def test_rss2_entry():
    feed = parse_feed(RSS, FEED_URL)
    assert feed.title == "Example Daily"
    assert feed.entries[0] == FeedEntry(
        link=f"{SITE}/2025/02/19/harbour-reopens/",
        title="Harbour & bridge reopen",
        published_raw="Wed, 19 Feb 2025 10:30:00 +0800",
        updated_raw="2025-02-20T01:00:00Z",
        authors=("Jane Roe",),
        categories=("World News", "Asia"),
        summary="The invented harbour reopened today. More later.",  # &nbsp; collapsed
    )


def test_rss2_guid_only_item_and_skipped_items():
    feed = parse_feed(RSS, FEED_URL)
    assert [e.link for e in feed.entries] == [
        f"{SITE}/2025/02/19/harbour-reopens/",
        f"{SITE}/2025/02/18/guid-only/",
    ]
    guid_only = feed.entries[1]
    assert guid_only.published_raw == "Tue, 18 Feb 2025 08:00:00 GMT"
    assert guid_only.updated_raw is None  # feedparser's get("updated") would say the pubDate
    assert feed.skipped == 2


def test_atom_entry():
    feed = parse_feed(ATOM, f"{SITE}/feed/atom/")
    assert feed.title == "Example Atom"
    assert feed == Feed(
        title="Example Atom",
        entries=(
            FeedEntry(
                link=f"{SITE}/2025/02/19/fish-market/",
                title="Council backs the fish market plan",
                published_raw="2025-02-19T10:30:00+08:00",
                updated_raw="2025-02-19T12:00:00+08:00",
                authors=("Ann Author", "Bo Writer"),
                categories=("Politics", "economy"),
                summary="A short invented summary.",
            ),
        ),
        skipped=1,
    )


def test_rdf_dc_date_is_the_published_date():
    (entry,) = parse_feed(RDF, f"{SITE}/index.rdf").entries
    assert entry.link == f"{SITE}/2025/02/19/tide-tables/"
    assert entry.published_raw == "2025-02-19T10:30:00+08:00"
    assert entry.updated_raw is None
    assert entry.authors == ("Ray Reporter",)
    assert entry.categories == ("Science",)


def test_relative_links_use_content_location_and_scrapy_headers():
    body = RSS.replace(b"<link>/2025/02/19/harbour-reopens/</link>", b"<link>harbour/</link>")
    headers = Headers({"Content-Type": "application/rss+xml; charset=utf-8", "Content-Location": "/world/feed/"})
    feed = parse_feed(body, FEED_URL, headers)
    assert feed.entries[0].link == f"{SITE}/world/feed/harbour/"
    assert parse_feed(body, FEED_URL, {"Content-Type": "text/xml"}).entries[0].link == f"{SITE}/feed/harbour/"


def test_declared_charset_is_used():
    body = (
        '<?xml version="1.0" encoding="windows-1252"?><rss version="2.0"><channel><title>Caf\xe9</title>'
        "<item><title>Cr\xe8me</title><link>https://news.example.com/a/</link></item></channel></rss>"
    ).encode("windows-1252")
    feed = parse_feed(body, FEED_URL)
    assert (feed.title, feed.entries[0].title) == ("Caf\xe9", "Cr\xe8me")


def test_malformed_feed_with_entries_is_returned():
    body = (
        b'<rss version="2.0"><channel><title>Broken & co</title>'
        b"<item><title>One</title><link>https://news.example.com/one/</link></item>"
        b"<item><title>Two<link>https://news.example.com/two/</link></item>"
    )
    feed = parse_feed(body, FEED_URL)
    assert feed.entries[0].link == f"{SITE}/one/"
    assert feed.title == "Broken & co"


def test_empty_feed_is_not_an_error():
    feed = parse_feed(b'<rss version="2.0"><channel><title>Quiet</title></channel></rss>', FEED_URL)
    assert feed == Feed(title="Quiet", entries=(), skipped=0)


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><head><title>Home</title></head><body><p>Welcome</p></body></html>",
        b'{"version": "https://jsonfeed.org/version/1.1", "items": []}',
        b"",
        b"  \n ",
        b"\x00\x13garbage\xff\xfe",
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://x.example/</loc></url></urlset>',
        b"/etc/hostname",  # feedparser would open a bytes file name: must be read as a body
    ],
    ids=["html", "json", "empty", "blank", "garbage", "sitemap", "file-name"],
)
def test_not_a_feed_raises(body):
    with pytest.raises(FeedError):
        parse_feed(body, FEED_URL)


def test_external_entities_are_not_resolved():
    body = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
        b'<rss version="2.0"><channel><title>T&x;</title>'
        b"<item><title>A&x;</title><link>https://news.example.com/a/</link></item></channel></rss>"
    )
    feed = parse_feed(body, FEED_URL)
    assert feed.title == "T"
    assert [(e.title, e.link) for e in feed.entries] == [("A", f"{SITE}/a/")]


PAGE = """<!DOCTYPE html><html><head>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="Example Daily &raquo; Feed" href="https://news.example.com/feed/">
<link rel="alternate" type="application/rss+xml" title="Example Daily &raquo; Comments Feed" href="https://news.example.com/comments/feed/">
<link rel="alternate" type="application/rss+xml" title="Harbour story" href="/2025/02/19/harbour-reopens/feed/?withcomments=1">
<link rel="alternate" type="application/atom+xml" title="Atom" href="/feed/atom/">
<link rel="alternate" type="application/feed+json" title="JSON" href="/feed/json/">
<link rel="alternate" type="application/rss+xml" title="Again" href="https://news.example.com/feed/">
<link rel="alternate" hreflang="fr" href="https://news.example.com/fr/">
<link rel="alternate" type="application/rss+xml" title="Comments on: Harbour" href="/2025/02/19/harbour-reopens/feed/">
</head><body><a rel="alternate" type="application/rss+xml" href="/not-a-head-link/">x</a></body></html>"""


def test_feed_links():
    # Comment feeds go by title ("Comments Feed", "Comments on: …") or URL ("?withcomments=1");
    # JSON feeds, other alternates and <a> links are not feeds; the repeated feed is listed once.
    expected = [f"{SITE}/feed/", f"{SITE}/feed/atom/"]
    assert feed_links(PAGE, f"{SITE}/") == expected
    assert feed_links(PAGE.encode(), f"{SITE}/") == expected


def test_feed_links_base_and_empty_pages():
    page = '<html><head><base href="https://news.example.com/world/"><link rel="Alternate" type="application/atom+xml; charset=utf-8" href="feed/"></head></html>'
    assert feed_links(page, "https://mirror.example.org/") == [f"{SITE}/world/feed/"]
    assert feed_links("", f"{SITE}/") == []
    assert feed_links(b"   ", f"{SITE}/") == []


@pytest.mark.parametrize(
    "section, expected",
    [
        (f"{SITE}/category/world/", f"{SITE}/category/world/feed/"),
        (f"{SITE}/category/world", f"{SITE}/category/world/feed/"),
        (f"{SITE}/category/world/?ref=nav#top", f"{SITE}/category/world/feed/"),
        (f"{SITE}/category/world/asia/", f"{SITE}/category/world/asia/feed/"),
        (f"{SITE}/category/world/feed/", f"{SITE}/category/world/feed/"),
        (SITE, f"{SITE}/feed/"),
    ],
)
def test_section_feed_url(section, expected):
    assert section_feed_url(section) == expected
