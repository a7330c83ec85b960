"""Canonical section paths from the menu taxonomy."""

from __future__ import annotations

import pytest

from aggregator.sections import Taxonomy, name_key

BASE = "https://news.example.com"


@pytest.fixture
def taxonomy():
    tax = Taxonomy()
    for path, url in [
        (["World News"], "/category/world-news/"),
        (["World News", "US & Canada"], "/category/world-news/us-canada/"),
        (["World News", "Asia"], "/category/world-news/asia/"),
        (["Politics"], "/category/politics/"),
        (["Politics", "Elections"], "/category/politics/elections/"),
    ]:
        tax.add(path, BASE + url)
    return tax


def crumbs(*names):
    return [{"name": n, "url": None} for n in names]


ARTICLE = BASE + "/2025/02/19/summit-ends/"


@pytest.mark.parametrize(
    "breadcrumbs, expected",
    [
        (crumbs("Home", "World News", "Asia"), ["World News", "Asia"]),
        (crumbs("World News", "Asia"), ["World News", "Asia"]),
        (crumbs("Asia"), ["World News", "Asia"]),  # the child only: the parent comes from the menu
        (crumbs("Home", "World News", "Asia", "Summit ends"), ["World News", "Asia"]),
        (crumbs("Home", "Us & Canada"), ["World News", "US & Canada"]),  # case-insensitive
        ([{"name": "Start", "url": BASE + "/"}, {"name": "Elections", "url": BASE + "/category/politics/elections/"}], ["Politics", "Elections"]),
    ],
)
def test_breadcrumbs(taxonomy, breadcrumbs, expected):
    result = taxonomy.resolve(breadcrumbs, [], None, ARTICLE, "Summit ends")
    assert (result.section, result.source, result.sections) == (expected, "breadcrumbs", [expected])


def primary(result):
    return result.section, result.source


def test_declared_section_when_no_breadcrumbs(taxonomy):
    assert primary(taxonomy.resolve([], ["Elections"], None, ARTICLE)) == (["Politics", "Elections"], "declared")


def test_listing_then_url(taxonomy):
    assert primary(taxonomy.resolve([], [], ["Politics"], ARTICLE)) == (["Politics"], "listing")
    url = BASE + "/category/world-news/asia/summit-ends/"
    assert primary(taxonomy.resolve([], [], None, url)) == (["World News", "Asia"], "url")


def test_several_categories_are_all_kept(taxonomy):
    result = taxonomy.resolve(crumbs("Home", "Asia"), ["Asia", "Elections", "Weather"], None, ARTICLE)
    assert result.section == ["World News", "Asia"]
    assert result.sections == [["World News", "Asia"], ["Politics", "Elections"], ["Weather"]]
    assert result.unmatched == ["Weather"]


def test_unknown_section_is_kept_as_given(taxonomy):
    result = taxonomy.resolve(crumbs("Home", "Opinion", "Columns"), [], None, ARTICLE)
    assert (result.section, result.source, result.unmatched) == (["Opinion", "Columns"], "unmatched", ["Columns"])
    assert primary(taxonomy.resolve([], ["Weather"], None, ARTICLE)) == (["Weather"], "unmatched")


def test_nothing_known(taxonomy):
    result = taxonomy.resolve([], [], None, BASE + "/summit-ends/")
    assert (result.section, result.source, result.sections) == (None, "none", [])


def test_empty_taxonomy_keeps_breadcrumbs():
    assert primary(Taxonomy().resolve(crumbs("Home", "World", "Asia"), [], None, ARTICLE)) == (["World", "Asia"], "unmatched")


def test_slug_and_aliases():
    tax = Taxonomy(aliases={"Intl": "World News", "Stateside": "World News/US & Canada"})
    tax.add(["World News"], BASE + "/category/world-news/")
    tax.add(["World News", "US & Canada"], BASE + "/category/world-news/us-canada/")
    assert tax.match("us-canada") == ("World News", "US & Canada")
    assert tax.match("INTL") == ("World News",)
    assert tax.match("Stateside") == ("World News", "US & Canada")
    assert primary(tax.resolve(crumbs("Home", "Intl"), [], None, ARTICLE)) == (["World News"], "breadcrumbs")


@pytest.mark.parametrize(
    "a, b",
    [("Us & Canada", "US & Canada"), ("US and Canada", "us-canada"), ("Café Culture", "cafe-culture")],
)
def test_name_key(a, b):
    assert name_key(a) == name_key(b)
