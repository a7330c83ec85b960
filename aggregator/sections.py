"""A site's section taxonomy, and the canonical section path of an article.

The taxonomy comes from the site's menus (``Section`` items). An article's
path is taken, in order of trust, from: its breadcrumb trail, the section
names it declares (JSON-LD ``articleSection``, ``article:section``,
``rel="category tag"`` links), the listing page it was found on, and the
segments of its URL. Names are matched to the taxonomy by URL, then
case-insensitively by name ("Us & Canada" = "US & Canada"), then by slug; a
matched name takes its full path from the taxonomy, so a page that shows only
"Asia" gets ``["World News", "Asia"]``. A per-site alias table maps the
site's other names for a section to its path. An article in several
categories keeps all of them (``sections``); names the taxonomy does not
know are kept as given, never dropped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Mapping, Optional
from urllib.parse import urlsplit

from aggregator.urls import canonical_url

HOME_NAMES = frozenset({"home", "homepage", "start", "startseite", "accueil", "inicio", "home page", "front page"})


def name_key(name: str) -> str:
    """Matching key of a section name or slug: case-, accent- and punctuation-blind
    (``"Us & Canada"``, ``"US and Canada"`` and ``"us-canada"`` give ``"us canada"``)."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"\band\b|&", " ", text)
    return " ".join(re.findall(r"[a-z0-9]+", text))


@dataclass(frozen=True)
class Resolution:
    """An article's sections.

    ``section``: the primary path (``["World News", "Asia"]``) or None;
    ``source``: where it came from (``breadcrumbs``, ``declared``, ``listing``,
    ``url``, ``unmatched`` or ``none``); ``sections``: every path of the
    article, the primary first, then each declared category (matched to the
    taxonomy, or kept as given); ``unmatched``: names kept as given because
    the taxonomy does not know them.
    """

    section: Optional[list[str]]
    source: str
    sections: list[list[str]]
    unmatched: list[str]


class Taxonomy:
    """Section paths of one site, indexed by URL, name, slug and alias.

    :param aliases: the site's own names for sections the menu names
        otherwise, as ``{"Intl": "World News", "US": "World News/US & Canada"}``
        (a path joined with ``/``); from the ``SECTION_ALIASES`` setting.
    """

    def __init__(self, aliases: Optional[Mapping[str, str]] = None) -> None:
        self.paths: list[tuple[str, ...]] = []
        self._by_url: dict[str, tuple[str, ...]] = {}
        self._by_name: dict[str, tuple[str, ...]] = {}
        self._aliases = {name_key(alias): tuple(p for p in path.split("/") if p) for alias, path in (aliases or {}).items()}

    def add(self, path: Iterable[str], url: Optional[str] = None) -> None:
        """Add one section; a deeper path for a known name or URL replaces the shallower one."""
        path = tuple(path)
        if not path:
            return
        self.paths.append(path)
        keys = [name_key(path[-1])]
        if url:
            self._by_url.setdefault(canonical_url(url), path)
            keys.append(name_key(slug_of(url)))
        for key in keys:
            known = self._by_name.get(key)
            if key and (known is None or len(path) > len(known)):
                self._by_name[key] = path

    def __len__(self) -> int:
        return len(self.paths)

    def match(self, name: Optional[str] = None, url: Optional[str] = None) -> Optional[tuple[str, ...]]:
        """The taxonomy path of a section given by URL and/or name (or slug, or
        alias), or None."""
        if url:
            path = self._by_url.get(canonical_url(url))
            if path:
                return path
        if name:
            key = name_key(name)
            alias = self._aliases.get(key)
            if alias:
                return self._by_name.get(name_key(alias[-1]), alias) if len(alias) == 1 else alias
            return self._by_name.get(key)
        return None

    def resolve(
        self,
        breadcrumbs: list[dict],
        declared: list[str],
        listing: Optional[list[str]],
        url: str,
        headline: Optional[str] = None,
    ) -> Resolution:
        """The canonical sections of an article.

        The primary section comes, in order of trust, from the breadcrumb
        trail (without "Home" and the article itself), the declared section
        names, the listing page the article was found on, and the URL's path
        segments; failing all, the trail or first declared name as given.
        """
        crumbs = [c for c in breadcrumbs if c.get("name")]
        if crumbs and (name_key(crumbs[0]["name"]) in HOME_NAMES or _is_root(crumbs[0].get("url"))):
            crumbs = crumbs[1:]
        if crumbs and (
            (headline and name_key(crumbs[-1]["name"]) == name_key(headline))
            or (crumbs[-1].get("url") and canonical_url(crumbs[-1]["url"]) == canonical_url(url))
        ):
            crumbs = crumbs[:-1]
        declared_paths = [(name, self.match(name)) for name in declared]
        primary, source = self._primary(crumbs, declared_paths, listing, url)
        unmatched = [name for name, path in declared_paths if path is None]
        if source == "unmatched":
            unmatched = _dedupe([primary[-1], *unmatched])
        sections = [primary] if primary else []
        for name, path in declared_paths:
            candidate = list(path) if path else [name]
            if candidate not in sections:
                sections.append(candidate)
        return Resolution(primary, source, sections, unmatched)

    def _primary(self, crumbs, declared_paths, listing, url) -> tuple[Optional[list[str]], str]:
        for crumb in reversed(crumbs):
            path = self.match(crumb["name"], crumb.get("url"))
            if path:
                return list(path), "breadcrumbs"
        for _name, path in declared_paths:
            if path:
                return list(path), "declared"
        if listing:
            return list(listing), "listing"
        segments = [s for s in urlsplit(url).path.split("/") if s]
        for segment in reversed(segments[:-1]):
            path = self.match(segment)
            if path:
                return list(path), "url"
        if crumbs:
            return [c["name"] for c in crumbs], "unmatched"
        if declared_paths:
            return [declared_paths[0][0]], "unmatched"
        return None, "none"


def slug_of(url: str) -> str:
    """The last path segment of a section URL (``/category/world-news/asia/`` → ``asia``)."""
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


def _dedupe(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _is_root(url: Optional[str]) -> bool:
    if not url:
        return False
    parts = urlsplit(url)
    return not parts.path.strip("/") and not parts.query
