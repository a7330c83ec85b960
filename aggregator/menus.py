"""Read a news site's section taxonomy from the menus of its home page.

A menu is a ``<ul>`` of links inside ``<nav>``, a header or footer, an ARIA
navigation region, or a list whose class or id names a menu, nav or category
list (WordPress's ``menu``, ``sub-menu``, ``cat-item`` among them). Each of its
items is a section; a nested ``<ul>`` in an item holds its subsections
(two levels: "World News > Asia"). Sites repeat their menu (desktop header,
mobile drawer, footer, a flat category widget): the copies are merged by URL,
and an entry that any copy nests under a parent keeps that parent.

Links that are not sections are left out: other sites, the home page,
fragments, feeds, tag/author/search/login pages, dated article URLs, and
link texts longer than a section name (over 40 characters or 6 words). A
list counts as a menu only when at least 3 of its links are kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from aggregator.extraction import clean_text
from aggregator.urls import canonical_url, same_site

_MENU_NAMES = re.compile(r"menu|nav|categor|cat-item|sections", re.I)
_DATED = re.compile(r"/(?:19|20)\d{2}/\d{1,2}/")
_NOT_SECTION = re.compile(r"/(?:tag|author|search|feed|wp-login|wp-admin|login|register)\b|[?&]s=", re.I)


@dataclass(frozen=True)
class MenuSection:
    """One section of the taxonomy: ``path`` from the top (``("World News", "Asia")``)
    and the absolute ``url`` of its listing page."""

    path: tuple[str, ...]
    url: str


def _is_menu_list(ul: Any) -> bool:
    for node in [ul, *ul.iterancestors()]:
        if node.tag in ("nav", "header", "footer"):
            return True
        if (node.get("role") or "").lower() == "navigation":
            return True
        if _MENU_NAMES.search(f"{node.get('class') or ''} {node.get('id') or ''}"):
            return True
    return False


def _entry(li: Any, base_url: str, host: str) -> Optional[tuple[str, str]]:
    links = li.xpath("./a[@href] | ./*[not(self::ul)]/a[@href]")
    if not links:
        return None
    link = links[0]
    name = clean_text(link.text_content())
    try:
        href = urljoin(base_url, link.get("href").strip())
        parts = urlsplit(href)
        parts.port  # noqa: B018  # raises for a port out of range
    except ValueError:  # "http://[not-an-ip]/": not a link to follow
        return None
    if not name or len(name) > 40 or len(name.split()) > 6:
        return None
    if parts.scheme not in ("http", "https") or not same_site(host, parts.netloc):
        return None
    if not parts.path.strip("/") and not parts.query:
        return None  # the home page
    if _DATED.search(parts.path) or _NOT_SECTION.search(href):
        return None
    return name, canonical_url(href)


def read_menus(html: str | bytes, base_url: str) -> list[MenuSection]:
    """Read the section taxonomy from a home page.

    :param html: the home page (text, or bytes in UTF-8 or with a meta charset).
    :param base_url: the page's URL, for relative links and the site's host.
    :returns: sections in menu order, parents before their children, one per
        URL; empty for a page with no menus, an empty or unparsable page.
    """
    try:
        root = lxml.html.document_fromstring(html, base_url=base_url)
    except (etree.ParserError, ValueError):  # an empty or unparsable page has no menus
        return []
    host = urlsplit(base_url).netloc
    # url -> path; a nested copy of an entry wins over a flat one.
    paths: dict[str, tuple[str, ...]] = {}
    order: list[str] = []
    for ul in root.xpath("//ul[not(ancestor::li)]"):
        if not _is_menu_list(ul):
            continue
        entries: list[tuple[tuple[str, ...], str]] = []
        for li in ul.xpath("./li"):
            top = _entry(li, base_url, host)
            if top:
                entries.append(((top[0],), top[1]))
            for sub_li in li.xpath("./ul/li | ./div/ul/li"):
                sub = _entry(sub_li, base_url, host)
                if sub and top:
                    entries.append(((top[0], sub[0]), sub[1]))
                elif sub:
                    entries.append(((sub[0],), sub[1]))
        if len(entries) < 3:
            continue
        for path, url in entries:
            known = paths.get(url)
            if known is None:
                order.append(url)
                paths[url] = path
            elif len(path) > len(known):
                paths[url] = path
    sections = [MenuSection(paths[url], url) for url in order]
    # Parents before children, otherwise menu order.
    return sorted(sections, key=lambda s: len(s.path))
