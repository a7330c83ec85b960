"""Extraction on small pages written for these tests: one test per field and source."""

from __future__ import annotations

import json

import pytest

from aggregator.extraction import extract_article

from conftest import load_cases

URL = "https://news.example.com/2025/02/19/harbour-bridge-reopens/"
BODY = " ".join(
    f"Sentence number {i} tells how the harbour bridge reopened after repairs lasting many weeks." for i in range(12)
)
BODY2 = "Traffic returned slowly on the first morning, and the ferries kept their summer timetable. " * 5

CHROME_BEFORE = """
<div class="trending-ticker"><h3><a href="/2025/01/01/old-story/">An old trending story about markets</a></h3>
  <time datetime="2024-01-01T08:00:00+00:00">January 1, 2024</time><span>Reading Time: 9 mins read</span></div>
<nav class="main-menu"><ul class="menu"><li><a href="/category/world/">World</a></li></ul></nav>
"""
CHROME_AFTER = """
<div class="related-posts"><h3>Related Posts</h3>
  <article><h2><a href="/2025/01/02/other/">A related story headline here</a></h2>
  <time datetime="2024-12-30T08:00:00+00:00">Dec 30</time><span>Reading Time: 2 mins read</span></article></div>
<aside class="sidebar"><div class="widget"><h3>Recent News</h3><h1>Sidebar h1 that is not the headline</h1>
  <span class="post-date">May 19, 2025</span><a rel="author" href="/author/x/">Sidebar Author</a></div></aside>
<div class="login-popup"><h1>Welcome Back!</h1><p>Login to your account below</p></div>
<footer><p>© 2025 Example News</p></footer>
"""


def page(head: str = "", article: str = "", lang: str = "en-US") -> bytes:
    return f"""<!DOCTYPE html><html lang="{lang}"><head><title>Harbour bridge reopens | Example News</title>{head}</head>
<body>{CHROME_BEFORE}<main><article class="post">{article}</article></main>{CHROME_AFTER}</body></html>""".encode()


VISIBLE = f"""
<nav class="breadcrumbs"><a href="/">Home</a> › <a href="/category/world/">World News</a> › <a href="/category/world/asia/">Asia</a></nav>
<h1 class="entry-title">Harbour bridge reopens after repairs</h1>
<div class="entry-meta">By <a rel="author" href="/author/jane/">Jane Doe</a>
  <time class="entry-date published" datetime="2025-02-19T10:30:00+08:00">February 19, 2025</time>
  <time class="updated" datetime="2025-02-20T09:00:00+08:00">February 20, 2025</time>
  in <a rel="category tag" href="/category/world/asia/">Asia</a>
  <span class="reading-time">Reading Time: 6 mins read</span></div>
<div class="entry-content"><p>{BODY}</p><p>{BODY2.strip()}</p></div>
<div class="tags"><a rel="tag" href="/tag/bridges/">Bridges</a> <a rel="tag" href="/tag/transport/">Transport</a></div>
"""


@pytest.fixture(scope="module")
def visible():
    return extract_article(URL, page(article=VISIBLE), {"Content-Type": "text/html; charset=utf-8"})


def test_visible_page_is_an_article(visible):
    assert visible.is_article and visible.reason is None


def test_headline_from_h1_not_sidebar(visible):
    assert visible.fields["headline"] == "Harbour bridge reopens after repairs"


def test_date_from_time_element_not_ticker(visible):
    assert visible.fields["datePublishedRaw"] == "2025-02-19T10:30:00+08:00"
    assert visible.fields["datePublishedRawSource"] == "time"
    assert visible.fields["dateModifiedRaw"] == "2025-02-20T09:00:00+08:00"


def test_author_from_byline_not_sidebar(visible):
    assert visible.fields["authors"] == ["Jane Doe"]


def test_breadcrumbs(visible):
    assert [c["name"] for c in visible.fields["breadcrumbs"]] == ["Home", "World News", "Asia"]
    assert visible.fields["breadcrumbs"][2]["url"] == "https://news.example.com/category/world/asia/"


def test_sections_and_tags(visible):
    assert visible.fields["articleSection"] == ["Asia"]
    assert visible.fields["tags"] == ["Bridges", "Transport"]


def test_reading_time_label_from_article_not_cards(visible):
    assert visible.fields["readingTimeRaw"] == "Reading Time: 6 mins read"


@pytest.mark.parametrize(
    "label",
    ["6 min read", "1 minute read", "Lesezeit: 4 Min.", "Temps de lecture : 3 min", "Tiempo de lectura: 5 minutos"],
)
def test_reading_time_label_forms(label):
    article = VISIBLE.replace("Reading Time: 6 mins read", label)
    assert extract_article(URL, page(article=article)).fields["readingTimeRaw"] == label


def test_no_label_in_the_article_means_none_from_cards():
    article = VISIBLE.replace('<span class="reading-time">Reading Time: 6 mins read</span>', "")
    assert "readingTimeRaw" not in extract_article(URL, page(article=article)).fields


def test_body_has_paragraphs_and_no_sidebar(visible):
    body = visible.fields["articleBody"]
    assert body.split("\n\n") == [BODY, BODY2.strip()]
    assert "Related" not in body and "Welcome Back" not in body


def test_language_and_canonical(visible):
    assert visible.fields["inLanguage"] == "en-US"
    assert visible.fields["canonicalUrl"] == URL


JSONLD = {
    "@context": "https://schema.org",
    "@graph": [
        {"@type": "WebSite", "name": "Example News"},
        {
            "@type": "NewsArticle",
            "headline": "Structured headline of the bridge story",
            "datePublished": "2025-02-19T10:30:00+08:00",
            "dateModified": "2025-02-21T10:30:00+08:00",
            "author": [{"@type": "Person", "name": "Ana Pérez"}, {"@type": "Person", "name": "Li Wei"}],
            "articleSection": ["Asia"],
            "keywords": "bridges, transport",
            "image": {"@type": "ImageObject", "url": "https://news.example.com/img/bridge.jpg"},
            "description": "The bridge is open again.",
        },
        {
            "@type": "BreadcrumbList",
            "itemListElement": [
                {"@type": "ListItem", "position": 2, "name": "World News", "item": "https://news.example.com/category/world/"},
                {"@type": "ListItem", "position": 1, "name": "Home", "item": "https://news.example.com/"},
            ],
        },
    ],
}


@pytest.fixture(scope="module")
def structured():
    head = f'<script type="application/ld+json">{json.dumps(JSONLD)}</script>'
    article = f"<h1>Structured headline of the bridge story</h1><p>{BODY}</p>"
    return extract_article(URL, page(head=head, article=article))


def test_structured_data_first(structured):
    fields = structured.fields
    assert structured.is_article
    assert fields["headline"] == "Structured headline of the bridge story"
    assert (fields["datePublishedRaw"], fields["datePublishedRawSource"]) == ("2025-02-19T10:30:00+08:00", "json-ld")
    assert fields["dateModifiedRaw"] == "2025-02-21T10:30:00+08:00"
    assert fields["authors"] == ["Ana Pérez", "Li Wei"]
    assert fields["tags"] == ["bridges", "transport"]
    assert fields["mainImage"] == "https://news.example.com/img/bridge.jpg"
    assert fields["description"] == "The bridge is open again."
    assert [c["name"] for c in fields["breadcrumbs"]] == ["Home", "World News"]


def test_opengraph_meta():
    head = """<meta property="og:title" content="Harbour bridge reopens | Example News">
    <meta property="og:site_name" content="Example News">
    <meta property="article:published_time" content="2025-02-19T02:30:00Z">
    <meta property="article:section" content="Asia"><meta property="article:tag" content="Bridges">
    <meta property="og:image" content="/img/b.jpg"><meta name="author" content="Sam Lee">"""
    result = extract_article(URL, page(head=head, article=f"<p>{BODY}</p>"))
    assert result.is_article
    assert result.fields["headline"] == "Harbour bridge reopens"
    assert result.fields["datePublishedRaw"] == "2025-02-19T02:30:00Z"
    assert result.fields["articleSection"] == ["Asia"]
    assert result.fields["tags"] == ["Bridges"]
    assert result.fields["mainImage"] == "https://news.example.com/img/b.jpg"
    assert result.fields["authors"] == ["Sam Lee"]


def test_visible_text_date_when_nothing_else():
    article = f'<h1>Harbour bridge reopens</h1><span class="post-date">February 19, 2025 10:30 am</span><p>{BODY}</p>'
    result = extract_article("https://news.example.com/harbour/", page(article=article))
    assert (result.fields["datePublishedRaw"], result.fields["datePublishedRawSource"]) == (
        "February 19, 2025 10:30 am",
        "text",
    )


def test_url_date_is_the_last_resort():
    result = extract_article(URL, page(article=f"<h1>Harbour bridge reopens</h1><p>{BODY}</p>"))
    assert (result.fields["datePublishedRaw"], result.fields["datePublishedRawSource"]) == ("2025-02-19", "url")


def test_invalid_jsonld_is_counted_and_the_rest_still_read():
    head = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": </script>'
    result = extract_article(URL, page(head=head, article=VISIBLE))
    assert "jsonld_invalid" in result.problems
    assert result.fields["headline"] == "Harbour bridge reopens after repairs"


def test_og_url_pointing_home_is_not_the_canonical_url():
    head = '<meta property="og:url" content="https://news.example.com/">'
    result = extract_article(URL, page(head=head, article=VISIBLE))
    assert result.fields["canonicalUrl"] == URL
    assert "canonical_is_root" in result.problems


def test_listing_page_is_not_an_article():
    cards = "".join(
        f'<div class="card"><h2><a href="/2025/02/{d:02d}/story-{d}/">Story number {d} of the day</a></h2>'
        f'<time datetime="2025-02-{d:02d}T08:00:00Z">Feb {d}</time><p>{BODY[:200]}</p></div>'
        for d in range(1, 11)
    )
    result = extract_article("https://news.example.com/category/world/", page(article=f"<h1>World</h1>{cards}"))
    assert (result.is_article, result.reason) == (False, "listing")


@pytest.mark.parametrize(
    "article, body_class, reason",
    [
        ("<h1>About us</h1><p>We are a small newsroom.</p>", "", "short_body"),
        ('<h1>Login</h1><form><input name="user"></form>', "", "short_body"),
        (f"<h1>About us</h1><p>{BODY[:600]}</p>", "", "no_date"),
        (f"<h1>About us</h1><p>{BODY}</p><time datetime='2025-02-19'>x</time>", "page page-id-2", "page"),
        (f"<h1>Jane Doe</h1><p>{BODY}</p><time datetime='2025-02-19'>x</time>", "archive author", "listing"),
        ("<p>No headline anywhere on this page at all.</p>", "", "no_headline"),
    ],
)
def test_pages_that_are_not_articles(article, body_class, reason):
    html = page(article=article).replace(b"<title>Harbour bridge reopens | Example News</title>", b"")
    html = html.replace(b"<body>", f'<body class="{body_class}">'.encode())
    result = extract_article("https://news.example.com/about-us/", html)
    assert (result.is_article, result.reason) == (False, reason)


def test_long_text_without_a_date_is_an_article():
    result = extract_article("https://news.example.com/story/", page(article=f"<h1>Bridge</h1><p>{BODY}</p><p>{BODY2}</p>"))
    assert result.is_article and "datePublishedRaw" not in result.fields


def test_article_markup_without_a_date_is_an_article():
    head = '<meta property="og:type" content="article">'
    result = extract_article("https://news.example.com/about-us/", page(head=head, article=f"<h1>Bridge</h1><p>{BODY}</p>"))
    assert result.is_article and "datePublishedRaw" not in result.fields


@pytest.mark.parametrize(
    "body, reason",
    [(b"", "empty"), (b"   \n ", "empty"), (bytes(range(256)) * 200, "binary")],
)
def test_unreadable_bodies(body, reason):
    result = extract_article(URL, body, {"Content-Type": "text/html"})
    assert (result.is_article, result.reason) == (False, reason)


def test_deeply_nested_markup_does_not_raise():
    nested = "<div>" * 100_000 + "deep" + "</div>" * 100_000
    result = extract_article(URL, page(article=VISIBLE + nested))
    assert result.is_article is False or result.fields["headline"] == "Harbour bridge reopens after repairs"


def test_broken_markup_is_still_read():
    broken = VISIBLE.replace("</h1>", "").replace("</div>", "", 2) + "</div></div></span><p>unclosed"
    result = extract_article(URL, page(article=broken))
    assert result.is_article
    assert result.fields["headline"].startswith("Harbour bridge reopens after repairs")


ENCODING_CASES = load_cases("encoding")


def test_bom_beats_header_charset():
    body = "\ufeff<!DOCTYPE html><html><head><title>Новости дня</title></head><body><h1>Новости дня</h1></body></html>"
    result = extract_article(URL, body.encode("utf-8"), {"Content-Type": "text/html; charset=windows-1251"})
    assert result.fields["headline"] == "Новости дня"


def test_meta_charset_used_without_header_charset():
    html = '<html><head><meta charset="iso-8859-1"></head><body><h1>Größere Brücke für München</h1></body></html>'
    result = extract_article(URL, html.encode("iso-8859-1"), {"Content-Type": "text/html"})
    assert result.fields["headline"] == "Größere Brücke für München"


@pytest.mark.skipif(not ENCODING_CASES, reason="shared/cases not found")
def test_shared_encoding_cases_are_the_ones_above():
    assert {c["id"] for c in ENCODING_CASES} == {"C019", "C020"}
