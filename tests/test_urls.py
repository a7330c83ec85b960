"""Canonical URLs: the shared field cases and our own."""

from __future__ import annotations

import pytest

from aggregator.extraction import extract_article
from aggregator.urls import NOT_ARTICLE, canonical_url, page_number, same_site

from conftest import load_cases

STRING_CASES = [c for c in load_cases("urls") if isinstance(c["input"], str)]
PAGE_CASES = [c for c in load_cases("urls") if isinstance(c["input"], dict)]


@pytest.mark.skipif(not STRING_CASES, reason="shared/cases not found")
@pytest.mark.parametrize("case", STRING_CASES, ids=lambda c: c["id"])
def test_shared_url_case(case):
    assert canonical_url(case["input"]) == case["expected"]["canonical_url"]


@pytest.mark.skipif(not PAGE_CASES, reason="shared/cases not found")
@pytest.mark.parametrize("case", PAGE_CASES, ids=lambda c: c["id"])
def test_shared_page_case(case):
    page = f"<html><head>{case['input']['html']}</head><body><h1>Title</h1></body></html>"
    fields = extract_article(case["input"]["url"], page.encode()).fields
    assert canonical_url(fields["canonicalUrl"]) == case["expected"]["canonical_url"]


@pytest.mark.parametrize(
    "url, expected",
    [
        ("HTTPS://News.Example.com/a/b/?utm_source=x&utm_medium=y", "https://news.example.com/a/b/"),
        ("https://news.example.com/story?id=7&gclid=abc#comments", "https://news.example.com/story?id=7"),
        ("https://news.example.com/story?b=2&a=1", "https://news.example.com/story?b=2&a=1"),
        ("https://news.example.com", "https://news.example.com/"),
    ],
)
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    "url, number",
    [("/category/world/page/3/", 3), ("/category/world/?paged=2", 2), ("/news?page=4", 4), ("/category/world/", 1)],
)
def test_page_number(url, number):
    assert page_number(url) == number


@pytest.mark.parametrize(
    "url, is_article_url",
    [
        ("https://n.example.com/2025/02/19/summit-ends/", True),
        ("https://n.example.com/tag/climate/", False),
        ("https://n.example.com/author/jane-doe/", False),
        ("https://n.example.com/?s=summit", False),
        ("https://n.example.com/wp-login.php", False),
        ("https://n.example.com/2025/02/19/summit-ends/?replytocom=12", False),
        ("https://n.example.com/2025/02/19/summit-ends/amp/", False),
        ("https://n.example.com/category/world/page/2/", False),
        # calendar traps: date archives of any depth, WordPress ?m=, calendar pages
        ("https://n.example.com/2025/", False),
        ("https://n.example.com/2025/02/", False),
        ("https://n.example.com/2025/02/19/", False),
        ("https://n.example.com/2025/02/?sid=1", False),
        ("https://n.example.com/?m=202502", False),
        ("https://n.example.com/events/calendar/", False),
        ("https://n.example.com/amp/2025/02/19/summit-ends/", False),
        ("https://n.example.com/2025/02/19/summit-ends.amp.html", False),
        ("https://n.example.com/2025/02/19/summit-ends/?print=1", False),
        ("https://n.example.com/world/2025/summit-ends", True),
        ("https://n.example.com/2025/02/19/1234567/", True),
    ],
)
def test_not_article_urls(url, is_article_url):
    assert (NOT_ARTICLE.search(url) is None) is is_article_url


def test_same_site():
    assert same_site("www.example.com", "example.com")
    assert same_site("example.com", "news.example.com")
    assert not same_site("example.com", "example.com.evil.net")


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://n.example.com/a/?sid=0123456789abcdef", "https://n.example.com/a/"),
        ("https://n.example.com/a/?PHPSESSID=9f8e7d6c5b4a&id=4", "https://n.example.com/a/?id=4"),
        ("https://n.example.com/a/;jsessionid=ABCDEF123456?id=4", "https://n.example.com/a/?id=4"),
        ("https://n.example.com/a/?sid=abc123&PHPSESSID=30", "https://n.example.com/a/"),
        # a short sid is not a session id: it may select content
        ("https://n.example.com/a/?sid=3", "https://n.example.com/a/?sid=3"),
    ],
)
def test_session_ids_are_dropped(url, expected):
    assert canonical_url(url) == expected
