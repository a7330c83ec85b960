"""The original publisher of an aggregator's copy of another site's article
(``originalPublisher``, ``isBasedOn``), on small invented pages: the headline
suffix, the "Source:" line, JSON-LD, and what must not be taken for one."""

from __future__ import annotations

import json

import pytest

from aggregator.archive import article_row, write_articles
from aggregator.extraction import _looks_like_publisher, extract_article

URL = "https://www.daily-roundup.test/2025/02/19/ccp-soft-power/"
PARAGRAPHS = [
    f"Paragraph {i} describes how a government uses films, games and festivals abroad to win approval at home."
    for i in range(8)
]
SITE_HEAD = '<meta property="og:site_name" content="Daily Roundup">'


def page(h1: str, before: str = "", after: str = "", head: str = SITE_HEAD, middle: str = "") -> bytes:
    paragraphs = [f"<p>{p}</p>" for p in PARAGRAPHS]
    paragraphs.insert(4, middle)
    return f"""<!DOCTYPE html><html lang="en"><head><title>{h1} – Daily Roundup</title>{head}</head>
<body><header class="site-header"><nav><a href="/world/">World</a></nav></header>
<main><article><h1>{h1}</h1><time datetime="2025-02-19T08:00:00+00:00">February 19, 2025</time>
<div class="entry-content">{before}{''.join(paragraphs)}{after}</div></article>
<aside class="sidebar"><h3>Recent News</h3><p>Source: <a href="https://other-wire.test/x">Other Wire</a></p></aside></main>
<footer><p>Daily Roundup</p></footer></body></html>""".encode()


def extract(h1: str, **kwargs) -> dict:
    result = extract_article(URL, page(h1, **kwargs), {"Content-Type": "text/html; charset=utf-8"})
    assert result.is_article, result.reason
    return result.fields


HEADLINE = "How the CCP Pursues Domestic Legitimacy Through Soft Power"


# --- the headline suffix ---------------------------------------------------------------
@pytest.mark.parametrize("separator", [" – ", " — ", " | "])
def test_publication_after_the_headline_is_the_original_publisher(separator):
    fields = extract(f"{HEADLINE}{separator}The Diplomat")
    assert fields["headline"] == HEADLINE
    assert fields["originalPublisher"] == "The Diplomat"
    assert "isBasedOn" not in fields
    assert not fields["articleBody"].startswith(HEADLINE)


@pytest.mark.parametrize(
    "name, host",
    [("CNN", "edition.cnn.test"), ("Asia Times", "asiatimes.test"), ("thediplomat.com", "thediplomat.com")],
)
def test_other_names_count_when_the_article_links_to_their_site(name, host):
    fields = extract(f"{HEADLINE} – {name}", after=f'<p>Read more <a href="https://{host}/story/1">here</a> today.</p>')
    assert (fields["headline"], fields["originalPublisher"]) == (HEADLINE, name)
    # Unconfirmed, a name that is not of the "The Diplomat" form stays in the headline.
    assert extract(f"{HEADLINE} – {name}")["headline"] == f"{HEADLINE} – {name}"


@pytest.mark.parametrize(
    "h1",
    [
        f"{HEADLINE} – Live Updates",  # a label, not a publisher
        f"{HEADLINE} – Analysis",
        f"{HEADLINE} – what we know so far",  # not a name
        f"{HEADLINE} – Page 2",
        f"{HEADLINE} – Markets Rally",  # a name-like tail with nothing that says publication
        "Storm – The Aftermath",  # too short a headline before it
        f"{HEADLINE} - The Diplomat",  # " - " needs a source line or link to agree
        f"{HEADLINE} – The Final Countdown",  # "The …" ending in a label word
        f"{HEADLINE} – The Key Moments",
        f"{HEADLINE} – Travel News",  # a segment's name, unconfirmed
        f"{HEADLINE} | NBA",
        f"{HEADLINE} – The Daily Roundup",  # the site's own name
        f"{HEADLINE} – Daily Roundup Online",
        f"{HEADLINE} - Facebook",  # a sidebar's social link confirms nothing
    ],
)
def test_tails_that_are_not_a_publisher_stay_in_the_headline(h1):
    fields = extract(h1, after='<aside class="share"><a href="https://www.facebook.com/dailyroundup">Follow us</a></aside>')
    assert fields["headline"] == h1
    assert "originalPublisher" not in fields


def test_looks_like_publisher():
    assert _looks_like_publisher("The Diplomat")
    assert _looks_like_publisher("Frankfurter Allgemeine Zeitung")
    assert _looks_like_publisher("Bank of England")  # name-like; the headline rule also wants a publication word
    assert not _looks_like_publisher("the Diplomat")
    assert not _looks_like_publisher("Live Updates")
    assert not _looks_like_publisher("Did It Work?")
    assert not _looks_like_publisher("One Two Three Four Five Six")
    assert not _looks_like_publisher("2025")


# --- the source line -------------------------------------------------------------------
def test_source_link_after_the_article_gives_publisher_and_url():
    after = '<p><strong>Source:</strong> <a href="https://thediplomat.test/2025/02/ccp-soft-power/">The Diplomat</a></p>'
    fields = extract(f"{HEADLINE} - The Diplomat", after=after)
    assert fields["headline"] == HEADLINE  # the " - " suffix agrees with the source line
    assert fields["originalPublisher"] == "The Diplomat"
    assert fields["isBasedOn"] == "https://thediplomat.test/2025/02/ccp-soft-power/"


def test_originally_published_line_before_the_article():
    before = ('<p><em>This article was originally published by <a href="https://theconversation.test/a-1">'
              'The Conversation</a>.</em></p>')
    # The label has to open the line: this one does not.
    assert "originalPublisher" not in extract(HEADLINE, before=before)
    before = '<p><em>Originally published by <a href="https://theconversation.test/a-1">The Conversation</a>.</em></p>'
    fields = extract(HEADLINE, before=before)
    assert (fields["originalPublisher"], fields["isBasedOn"]) == ("The Conversation", "https://theconversation.test/a-1")
    assert fields["headline"] == HEADLINE


def test_source_link_whose_text_is_a_headline_names_the_host():
    after = '<p>Source: <a href="https://www.asia-wire.test/news/1">How the CCP pursues legitimacy at home and abroad</a></p>'
    fields = extract(HEADLINE, after=after)
    assert fields["originalPublisher"] == "asia-wire.test"
    assert fields["isBasedOn"] == "https://www.asia-wire.test/news/1"


def test_host_name_from_a_link_gives_way_to_the_headline_suffix():
    after = '<p>Source: <a href="https://thediplomat.test/2025/02/x/">https://thediplomat.test/2025/02/x/</a></p>'
    fields = extract(f"{HEADLINE} - The Diplomat", after=after)
    assert (fields["headline"], fields["originalPublisher"]) == (HEADLINE, "The Diplomat")


@pytest.mark.parametrize("label", ["Source: Reuters", "Quelle: Reuters", "FUENTE: Reuters", "Via Reuters", "Źródło: Reuters"])
def test_source_label_without_a_link(label):
    fields = extract(HEADLINE, after=f"<p>{label}</p>")
    assert fields["originalPublisher"] == "Reuters"
    assert "isBasedOn" not in fields


@pytest.mark.parametrize(
    "kwargs",
    [
        # A link back to the site itself (a print view's "Source: <this article>").
        {"after": f'<p>Source: <a href="{URL}">{HEADLINE}</a></p>'},
        # The site's own name.
        {"after": "<p>Source: Daily Roundup</p>"},
        # A chart's source between paragraphs is not the article's.
        {"middle": "<p>Source: Eurostat</p>"},
        # An image credit.
        {"after": "<figure><img src='/a.jpg'><figcaption>Source: Reuters</figcaption></figure>"},
        # A paper, a document, a social network post.
        {"after": '<p>Quelle: <a href="https://dx.doi.org/10.1000/xyz">dx.doi.org/10.1000/xyz</a></p>'},
        {"after": '<p>Source: <a href="https://parliament.test/report.pdf">Report</a></p>'},
        {"after": '<p>Source: Page of <a href="https://www.facebook.com/story.php?id=1">Friends</a></p>'},
        # A sidebar's source line.
        {},
        # Sentences that open with a label word.
        {"after": '<p>Sources told <a href="https://www.wire.test/x">Reuters</a> the vote may slip.</p>'},
        {"after": '<p>First published in 1998, the guide by <a href="https://books.test/g">Harbour Books</a> sold out.</p>'},
        {"after": '<p>Via Rail said on Monday that trains would run again, <a href="https://viarail.test/n">its site</a> says.</p>'},
        {"after": "<p>Source code for the app is on GitLab Ferry.</p>"},
        # Image captions and credits outside <figure>.
        {"before": '<div class="wp-caption"><img src="/a.jpg"><p class="wp-caption-text">Source: Getty Images</p></div>'},
        {"after": '<p><img src="/b.jpg"><br><span class="credit">Source: Xinhua</span></p>'},
        # The site itself, on another of its hosts, or named with a longer tail.
        {"after": '<p>Source: <a href="https://m.daily-roundup.test/2025/02/19/x/">Daily Roundup</a></p>'},
        {"after": "<p>Source: The Daily Roundup Newsroom</p>"},
    ],
)
def test_what_is_not_an_original_publisher(kwargs):
    fields = extract(HEADLINE, **kwargs)
    assert "originalPublisher" not in fields and "isBasedOn" not in fields
    assert fields["headline"] == HEADLINE


# --- structured data -------------------------------------------------------------------
def test_json_ld_is_based_on_and_source_organization():
    data = {"@type": "NewsArticle", "headline": HEADLINE, "isBasedOn": {"@type": "NewsArticle", "url": "https://thediplomat.test/a"},
            "sourceOrganization": {"@type": "NewsMediaOrganization", "name": "The Diplomat"}}
    head = SITE_HEAD + f'<script type="application/ld+json">{json.dumps(data)}</script>'
    fields = extract(HEADLINE, head=head)
    assert (fields["originalPublisher"], fields["isBasedOn"]) == ("The Diplomat", "https://thediplomat.test/a")


def test_json_ld_is_based_on_this_site_is_not_an_original():
    data = {"@type": "NewsArticle", "headline": HEADLINE, "isBasedOn": "/2025/01/earlier-story/"}
    head = SITE_HEAD + f'<script type="application/ld+json">{json.dumps(data)}</script>'
    assert "isBasedOn" not in extract(HEADLINE, head=head)


def test_json_ld_source_organization_as_a_list_or_reference():
    data = {"@graph": [
        {"@type": "NewsArticle", "headline": HEADLINE, "sourceOrganization": [{"@id": "#wire"}]},
        {"@id": "#wire", "@type": "NewsMediaOrganization", "name": "Harbour Wire"},
    ]}
    head = SITE_HEAD + f'<script type="application/ld+json">{json.dumps(data)}</script>'
    assert extract(HEADLINE, head=head)["originalPublisher"] == "Harbour Wire"


def test_words_that_only_contain_a_label_are_not_looked_at():
    from lxml import html

    from aggregator.extraction import _SOURCE_LABEL, _labelled_elements

    lines = "".join(f"Item {i}: notes on aviation and resources, see contents.<br>" for i in range(2000))
    root = html.fromstring(f"<div>{lines}<p>Source: <a href='https://x.test/'>X Wire</a></p></div>")
    assert [el.tag for el in _labelled_elements(root, _SOURCE_LABEL)] == ["p"]


# --- bad input -------------------------------------------------------------------------
def test_json_ld_references_of_the_wrong_type_do_not_raise():
    data = {"@type": "NewsArticle", "headline": HEADLINE, "publisher": {"@id": [1]}, "author": {"@id": {"a": 1}},
            "sourceOrganization": {"@id": ["x"]}}
    head = SITE_HEAD + f'<script type="application/ld+json">{json.dumps(data)}</script>'
    assert extract(HEADLINE, head=head)["headline"] == HEADLINE


def test_json_ld_nested_too_deeply_is_a_skip():
    head = '<script type="application/ld+json">' + "[" * 5000 + "]" * 5000 + "</script>"
    result = extract_article(URL, page(HEADLINE, head=head), {"Content-Type": "text/html; charset=utf-8"})
    assert result.reason in (None, "unparsable")

def test_unparsable_links_are_skipped_not_raised():
    after = ('<p>Source: <a href="http://[not-an-ip]/story">Broken Wire</a></p>'
             '<p class="byline"><a href="//[bad]/author/x/">Ana</a></p>')
    head = SITE_HEAD + '<link rel="canonical" href="http://[not-an-ip]/x"><meta property="og:image" content="http://[x]/i.jpg">'
    result = extract_article(URL, page(f"{HEADLINE} - Broken Wire", after=after, head=head),
                             {"Content-Type": "text/html; charset=utf-8"})
    assert result.is_article
    assert "url_invalid" in result.problems
    assert result.fields["canonicalUrl"] == URL
    # A source line whose link does not parse is no evidence: the " - " suffix stays.
    assert result.fields["headline"] == f"{HEADLINE} - Broken Wire"
    assert "originalPublisher" not in result.fields and "isBasedOn" not in result.fields


# --- archive ---------------------------------------------------------------------------
def test_archived_in_its_own_columns(fresh_db):
    fields = extract(f"{HEADLINE} – The Diplomat",
                     after='<p>Source: <a href="https://thediplomat.test/2025/02/x/">The Diplomat</a></p>')
    write_articles(fresh_db, [article_row({"url": URL, "site": "www.daily-roundup.test", **fields})])
    stored = next(fresh_db.query("SELECT headline, original_publisher, is_based_on FROM articles"))
    assert stored == {"headline": HEADLINE, "original_publisher": "The Diplomat",
                      "is_based_on": "https://thediplomat.test/2025/02/x/"}
