"""Extraction of headline, alternative headline, authors and dates from each
source, on small invented pages: one test per source and rule."""

from __future__ import annotations

import json

import pytest
from scrapy.utils.test import get_crawler

from aggregator.extraction import _split_authors, _strip_site_name, extract_article
from aggregator.items import Article
from pipelines.dates import DatesPipeline

URL = "https://www.example-gazette.test/2025/03/04/lighthouse-restored/"
PARAGRAPHS = "".join(
    f"<p>Paragraph {i} says the old lighthouse on the point was restored by volunteers over two long winters.</p>"
    for i in range(8)
)


def page(head: str = "", article: str = "", title: str = "Lighthouse restored") -> bytes:
    return f"""<!DOCTYPE html><html lang="en"><head><title>{title}</title>{head}</head>
<body><nav class="menu"><a href="/world/">World</a></nav>
<main><article>{article}<div class="entry-content">{PARAGRAPHS}</div></article></main>
<footer><p>Example Gazette</p></footer></body></html>""".encode()


def jsonld(data: dict) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def extract(head: str = "", article: str = "", title: str = "Lighthouse restored", url: str = URL):
    return extract_article(url, page(head, article, title), {"Content-Type": "text/html; charset=utf-8"}).fields


# --- headline ---------------------------------------------------------------------
def test_og_title_loses_site_name_suffix():
    head = '<meta property="og:title" content="Lighthouse restored | Example Gazette">' \
           '<meta property="og:site_name" content="Example Gazette">'
    assert extract(head)["headline"] == "Lighthouse restored"


def test_structured_headline_loses_host_name_suffix():
    head = jsonld({"@type": "NewsArticle", "headline": "Lighthouse restored - Example-Gazette.test"})
    assert extract(head)["headline"] == "Lighthouse restored"


def test_suffix_that_another_candidate_lacks_is_stripped():
    head = '<meta property="og:title" content="Lighthouse restored · Coastal Daily Pages">'
    assert extract(head, "<h1>Lighthouse restored</h1>")["headline"] == "Lighthouse restored"


def test_suffix_that_is_not_the_site_name_stays():
    head = jsonld({"@type": "NewsArticle", "headline": "Lighthouse restored - the full story"})
    assert extract(head)["headline"] == "Lighthouse restored - the full story"


def test_kicker_before_og_title_is_dropped():
    head = jsonld({"@type": "NewsArticle", "headline": "Coast: Lighthouse restored by volunteers"}) + \
        '<meta property="og:title" content="Lighthouse restored by volunteers">'
    assert extract(head)["headline"] == "Lighthouse restored by volunteers"


def test_title_inside_svg_is_not_the_page_title():
    article = '<svg><title>Share icon</title></svg>'
    assert extract(article=article, title="Lighthouse restored | Example Gazette")["headline"] == "Lighthouse restored"


def test_strip_site_name_prefix_and_two_suffixes():
    assert _strip_site_name("Example Gazette | Lighthouse restored", ["Example Gazette"]) == "Lighthouse restored"
    assert _strip_site_name("Lighthouse restored – Example Gazette", "Example Gazette") == "Lighthouse restored"
    assert _strip_site_name("Lighthouse restored", ["Example Gazette"]) == "Lighthouse restored"


# --- alternative headline ---------------------------------------------------------------
def test_alternative_headline_from_json_ld():
    head = jsonld({"@type": "NewsArticle", "headline": "Lighthouse restored",
                   "alternativeHeadline": "Volunteers finish two winters of work"})
    assert extract(head)["alternativeHeadline"] == "Volunteers finish two winters of work"


def test_alternative_headline_equal_to_headline_is_dropped():
    head = jsonld({"@type": "NewsArticle", "headline": "Lighthouse restored", "alternativeHeadline": "Lighthouse Restored"})
    assert "alternativeHeadline" not in extract(head)


def test_alternative_headline_is_an_article_field():
    assert "alternativeHeadline" in Article.__dataclass_fields__


# --- authors --------------------------------------------------------------------
def test_author_reference_resolved_in_graph():
    head = jsonld({"@graph": [
        {"@type": "NewsArticle", "headline": "Lighthouse restored", "author": [{"@id": "#p1"}]},
        {"@type": "Person", "@id": "#p1", "name": "Ada Keeper"},
    ]})
    assert extract(head)["authors"] == ["Ada Keeper"]


def test_author_given_and_family_name():
    head = jsonld({"@type": "NewsArticle", "headline": "Lighthouse restored",
                   "author": {"@type": "Person", "givenName": "Ada Mae", "familyName": "Keeper"}})
    assert extract(head)["authors"] == ["Ada Mae Keeper"]


def test_article_in_main_entity_is_found():
    head = jsonld({"@type": "WebPage", "mainEntity": {"@type": "NewsArticle", "headline": "Lighthouse restored",
                                                        "author": [{"@type": "Person", "name": "Ada Keeper"}]}})
    assert extract(head)["authors"] == ["Ada Keeper"]


def test_organisation_author_gives_way_to_byline_person():
    head = jsonld({"@type": "NewsArticle", "headline": "Lighthouse restored",
                   "author": {"@type": "Organization", "name": "Example Gazette"}})
    article = '<p class="article-byline">By <span>Ada Keeper</span></p>'
    assert extract(head, article)["authors"] == ["Ada Keeper"]


def test_site_named_meta_author_gives_way_to_author_page_link():
    head = '<meta name="author" content="Example Gazette"><meta property="og:site_name" content="Example Gazette">'
    article = '<h1>Lighthouse restored</h1><p>Text: <a href="/authors/ada-keeper/">Ada Keeper</a></p>'
    assert extract(head, article)["authors"] == ["Ada Keeper"]


def test_organisation_kept_when_no_person_is_named():
    head = jsonld({"@type": "NewsArticle", "headline": "Lighthouse restored",
                   "author": {"@type": "Organization", "name": "Coast Wire Agency"}})
    assert extract(head)["authors"] == ["Coast Wire Agency"]


def test_twitter_written_by_label():
    head = '<meta name="twitter:label1" content="Written by"><meta name="twitter:data1" content="Ada Keeper">'
    assert extract(head, "<h1>Lighthouse restored</h1>")["authors"] == ["Ada Keeper"]


@pytest.mark.parametrize(
    "byline, names",
    [
        ("By Ada Keeper, Bo Lamp and Cy Wick", ["Ada Keeper", "Bo Lamp", "Cy Wick"]),
        ("Von Ada Keeper und Bo Lamp", ["Ada Keeper", "Bo Lamp"]),
        ("Keeper, Ada", ["Keeper, Ada"]),
        ("Coast Wire, PORTVILLE", ["Coast Wire, PORTVILLE"]),
        ("Ada Keeper; @adakeeper", ["Ada Keeper"]),
        ("ada.keeper@example-gazette.test", []),
        ("Ada Keeper | 4 March 2025", ["Ada Keeper"]),
        ("Twitter", []),
        ("Photo: Bo Lamp/Coast Wire", []),
        ("Von", []),
    ],
)
def test_byline_cleanup(byline, names):
    assert _split_authors(byline) == names


# --- dates ----------------------------------------------------------------------
def test_labelled_date_without_markup():
    article = '<h1>Lighthouse restored</h1><ul><li><strong>Date</strong> 04.03.2025</li></ul>'
    candidates = extract(article=article, url="https://www.example-gazette.test/lighthouse")["datePublishedCandidates"]
    assert candidates[0] == {"raw": "04.03.2025", "source": "text"}


@pytest.mark.parametrize("classes", ["entry-date published updated", "published updated", "entry-date published"])
def test_time_marked_published_and_updated_is_the_publication(classes):
    # WordPress themes mark a post that was never edited "entry-date published updated".
    article = (f'<h1>Lighthouse restored</h1><span class="posted-on">Published <time class="{classes}" '
               'datetime="2025-03-04T22:00:45+08:00">March 4, 2025</time></span>')
    fields = extract(article=article, url="https://www.example-gazette.test/lighthouse")
    assert fields["datePublishedCandidates"][0] == {"raw": "2025-03-04T22:00:45+08:00", "source": "time"}
    # twentytwentyone prints it so even for an edited post: it is no modification date.
    assert not fields.get("dateModifiedCandidates")


def test_time_marked_updated_only_is_the_modification():
    article = ('<h1>Lighthouse restored</h1><time class="entry-date published" datetime="2025-03-04T22:00:45+08:00">4 March</time>'
               '<time class="updated" datetime="2025-03-05T08:00:00+08:00">5 March</time>')
    fields = extract(article=article, url="https://www.example-gazette.test/lighthouse")
    assert fields["datePublishedCandidates"][0]["raw"] == "2025-03-04T22:00:45+08:00"
    assert [c["raw"] for c in fields["dateModifiedCandidates"]][0] == "2025-03-05T08:00:00+08:00"


def test_published_on_prefix_of_time_text_dropped():
    article = '<h1>Lighthouse restored</h1><time>Published on March 4, 2025</time>'
    fields = extract(article=article, url="https://www.example-gazette.test/lighthouse")
    assert fields["datePublishedRaw"] == "March 4, 2025"


def test_date_after_a_heading_label():
    article = '<h1>Lighthouse restored</h1><div class="info"><h5 class="title">Datum: </h5>04.03.2025</div>'
    candidates = extract(article=article, url="https://www.example-gazette.test/lighthouse")["datePublishedCandidates"]
    assert candidates[0] == {"raw": "04.03.2025", "source": "text"}


def test_clock_time_alone_does_not_stop_the_date_search():
    # A blog's microdata gives only "9:05 PM": htmldate still reads the page's day.
    article = ('<h1>Lighthouse restored</h1><h2 class="date-header"><span>Wednesday, March 4, 2025</span></h2>'
               '<span itemscope itemtype="https://schema.org/BlogPosting"><meta itemprop="datePublished" content="9:05 PM"></span>')
    candidates = extract(article=article, url="https://www.example-gazette.test/lighthouse")["datePublishedCandidates"]
    assert {"raw": "2025-03-04", "source": "htmldate"} in candidates


def test_a_bem_element_named_sidebar_is_part_of_its_block():
    # "episode__sidebar" is the episode's own side column, not the page's sidebar.
    article = ('<h1>Lighthouse restored</h1><div class="episode"><div class="episode__sidebar">'
               '<p>Broadcast on 2025-03-04</p></div></div>')
    candidates = extract(article=article, url="https://www.example-gazette.test/lighthouse")["datePublishedCandidates"]
    assert candidates == [{"raw": "2025-03-04", "source": "htmldate"}]


def test_a_page_sidebar_still_dates_nothing():
    article = '<h1>Lighthouse restored</h1><div class="sidebar"><p>Other story, 2025-01-09</p></div>'
    fields = extract(article=article, url="https://www.example-gazette.test/lighthouse")
    assert "datePublishedCandidates" not in fields


@pytest.mark.parametrize("opening", ["Harbourtown, (04.03.2025). Volunteers", "HARBOURTOWN, 4 March 2025 – Volunteers"])
def test_dateline_opening_the_text(opening):
    article = f"<h1>Lighthouse restored</h1><p><strong>{opening} finished the work.</strong></p>"
    candidates = extract(article=article, url="https://www.example-gazette.test/lighthouse")["datePublishedCandidates"]
    assert candidates[0]["source"] == "text" and candidates[0]["raw"] in ("04.03.2025", "4 March 2025")


def rdf_block(about: str, day: str) -> str:
    return (f'<!-- <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f'<rdf:Description rdf:about="{about}" dc:title="Lighthouse restored" dc:date="{day}" /></rdf:RDF> -->')


def test_rdf_trackback_dc_date_of_this_page():
    fields = extract(head=rdf_block("https://example-gazette.test/2025/03/04/lighthouse-restored", "2025-03-04T22:00:00+09:00"),
                     article="<h1>Lighthouse restored</h1>")
    assert fields["datePublishedCandidates"][0] == {"raw": "2025-03-04T22:00:00+09:00", "source": "rdf"}


def test_rdf_block_about_another_page_is_ignored():
    fields = extract(head=rdf_block("https://www.example-gazette.test/2024/01/01/other/", "2024-01-01T10:00:00+09:00"),
                     article="<h1>Lighthouse restored</h1>")
    assert all(c["source"] != "rdf" for c in fields["datePublishedCandidates"])


def test_wrong_declared_charset_of_a_utf8_page():
    body = page(head='<meta charset="euc-kr">', article="<h1>등대 복원 완료</h1><p>" + "자원봉사자들이 등대를 고쳤다. " * 30 + "</p>")
    result = extract_article(URL, body, {"Content-Type": "text/html"})
    assert result.fields["headline"] == "등대 복원 완료"
    assert "charset_wrong" in result.problems


def test_utc_value_local_day_from_wall_clock_time_on_page():
    crawler = get_crawler(settings_dict={})
    crawler.stats.open_spider()
    pipeline = DatesPipeline.from_crawler(crawler)
    item = Article(
        url=URL, site="example-gazette.test", dateDownloaded="2025-03-06T00:00:00Z",
        datePublishedCandidates=[
            {"raw": "2025-03-05T01:49:09Z", "source": "json-ld"},
            {"raw": "2025-03-04 17:49:09", "source": "time"},
        ],
    )
    item = pipeline.process_item(item)
    assert item.datePublished == "2025-03-05T01:49:09Z"
    assert item.datePublishedLocal == "2025-03-04T17:49:09-08:00"


def test_utc_value_without_wall_clock_time_stays_utc():
    crawler = get_crawler(settings_dict={})
    crawler.stats.open_spider()
    pipeline = DatesPipeline.from_crawler(crawler)
    item = Article(
        url=URL, site="example-gazette.test", dateDownloaded="2025-03-06T00:00:00Z",
        datePublishedCandidates=[{"raw": "2025-03-05T01:49:09Z", "source": "json-ld"}, {"raw": "2025-03-05", "source": "url"}],
    )
    assert pipeline.process_item(item).datePublishedLocal == "2025-03-05T01:49:09+00:00"
