"""Reading the section taxonomy from a home page's menus."""

from __future__ import annotations

from aggregator.menus import read_menus

BASE = "https://news.example.com/"

HOME = """<html><body>
<header><nav id="site-nav"><ul class="menu">
  <li><a href="/">Home</a></li>
  <li class="menu-item-has-children"><a href="/category/world-news/">World News</a>
    <ul class="sub-menu"><li><a href="/category/world-news/us-canada/">Us &amp; Canada</a></li>
      <li><a href="/category/world-news/asia/">Asia</a></li></ul></li>
  <li class="menu-item-has-children"><a href="/category/politics/">Politics</a>
    <ul class="sub-menu"><li><a href="/category/politics/elections/">Elections</a></li></ul></li>
  <li><a href="https://other.example.org/category/x/">Elsewhere</a></li>
</ul></nav></header>
<div class="mobile-drawer"><ul id="mobile-menu" class="menu">
  <li><a href="/category/world-news/">World News</a><ul><li><a href="/category/world-news/asia/">Asia</a></li>
  <li><a href="/category/world-news/europe/">Europe</a></li></ul></li>
  <li><a href="/category/politics/">Politics</a></li><li><a href="/category/sports/">Sports</a></li>
</ul></div>
<main><h2>Latest</h2><ul class="latest-posts">
  <li><a href="/2025/02/19/summit-ends/">Summit ends without a deal after two long days of talks</a></li>
  <li><a href="/2025/02/18/rates/">Rates</a></li><li><a href="/2025/02/17/vote/">Vote</a></li></ul></main>
<footer><div class="widget widget_categories"><h3>Browse by Category</h3><ul>
  <li class="cat-item"><a href="/category/world-news/asia/">Asia</a></li>
  <li class="cat-item"><a href="/category/politics/elections/">Elections</a></li>
  <li class="cat-item"><a href="/category/uncategorized/">Uncategorized</a></li>
  <li class="cat-item"><a href="/tag/climate/">Climate</a></li></ul></div></footer>
</body></html>"""


def sections():
    return {s.path: s.url for s in read_menus(HOME, BASE)}


def test_two_levels_from_the_header_menu():
    found = sections()
    assert found[("World News",)] == "https://news.example.com/category/world-news/"
    assert found[("World News", "Us & Canada")] == "https://news.example.com/category/world-news/us-canada/"
    assert found[("Politics", "Elections")] == "https://news.example.com/category/politics/elections/"


def test_copies_are_merged_and_nesting_wins_over_flat_lists():
    found = sections()
    # Europe and Sports only in the mobile copy; Uncategorized only in the flat footer widget.
    assert ("World News", "Europe") in found and ("Sports",) in found and ("Uncategorized",) in found
    # The footer lists Asia flat: it keeps its parent from the header.
    assert ("Asia",) not in found
    assert len([p for p in found if p[-1] == "Asia"]) == 1


def test_home_other_sites_tags_and_articles_are_not_sections():
    names = {p[-1] for p in sections()}
    assert not names & {"Home", "Elsewhere", "Climate", "Rates", "Vote"}
    assert all("/2025/" not in url for url in sections().values())


def test_parents_come_before_children():
    paths = [s.path for s in read_menus(HOME, BASE)]
    assert paths.index(("World News",)) < paths.index(("World News", "Asia"))


def test_page_without_menus():
    assert read_menus("<html><body><p>Nothing here</p></body></html>", BASE) == []
    assert read_menus(b"", BASE) == []
    assert read_menus("\x00\x01\x02", BASE) == []
