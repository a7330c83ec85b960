"""A site's section taxonomy, and the canonical section path of an article.

The taxonomy comes from the site's menus (``Section`` items). An article's
path is taken, in order of trust, from: its breadcrumb trail, the section
names it declares (JSON-LD ``articleSection``, ``article:section``,
``rel="category tag"`` links), the listing page it was found on, and the
segments of its URL. Names are matched to the taxonomy by URL, then
case-insensitively by name ("Us & Canada" = "US & Canada"), then by slug; a
matched name takes its full path from the taxonomy, so a page that shows only
"Asia" gets ``["World News", "Asia"]``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable, Optional
from urllib.parse import urlsplit

from aggregator.urls import canonical_url

HOME_NAMES = frozenset({"home", "homepage", "start", "startseite", "accueil", "inicio", "home page", "front page"})


def name_key(name: str) -> str:
    """Matching key of a section name or slug: case-, accent- and punctuation-blind
    (``"Us & Canada"``, ``"US and Canada"`` and ``"us-canada"`` give ``"us canada"``)."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"\band\b|&", " ", text)
    return " ".join(re.findall(r"[a-z0-9]+", text))


class Taxonomy:
    """Section paths of one site, indexed by URL and by name."""

    def __init__(self) -> None:
        self.paths: list[tuple[str, ...]] = []
        self._by_url: dict[str, tuple[str, ...]] = {}
        self._by_name: dict[str, tuple[str, ...]] = {}

    def add(self, path: Iterable[str], url: Optional[str] = None) -> None:
        """Add one section; a deeper path for a known name or URL replaces the shallower one."""
        path = tuple(path)
        if not path:
            return
        self.paths.append(path)
        keys = [name_key(path[-1])]
        if url:
            self._by_url.setdefault(canonical_url(url), path)
            slug = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
            keys.append(name_key(slug))
        for key in keys:
            known = self._by_name.get(key)
            if key and (known is None or len(path) > len(known)):
                self._by_name[key] = path

    def __len__(self) -> int:
        return len(self.paths)

    def match(self, name: Optional[str] = None, url: Optional[str] = None) -> Optional[tuple[str, ...]]:
        """The taxonomy path of a section given by URL and/or name, or None."""
        if url:
            path = self._by_url.get(canonical_url(url))
            if path:
                return path
        if name:
            return self._by_name.get(name_key(name))
        return None

    def resolve(
        self,
        breadcrumbs: list[dict],
        declared: list[str],
        listing: Optional[list[str]],
        url: str,
        headline: Optional[str] = None,
    ) -> tuple[Optional[list[str]], str]:
        """The canonical section path of an article and where it came from.

        :returns: ``(path, source)``; source is ``breadcrumbs``, ``declared``,
            ``listing``, ``url``, ``unmatched`` (a name the taxonomy does not
            know, kept as given) or ``none`` (path None).
        """
        crumbs = [c for c in breadcrumbs if c.get("name")]
        if crumbs and (name_key(crumbs[0]["name"]) in HOME_NAMES or _is_root(crumbs[0].get("url"))):
            crumbs = crumbs[1:]
        if crumbs and (
            (headline and name_key(crumbs[-1]["name"]) == name_key(headline))
            or (crumbs[-1].get("url") and canonical_url(crumbs[-1]["url"]) == canonical_url(url))
        ):
            crumbs = crumbs[:-1]
        for crumb in reversed(crumbs):
            path = self.match(crumb["name"], crumb.get("url"))
            if path:
                return list(path), "breadcrumbs"
        for name in declared:
            path = self.match(name)
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
        if declared:
            return [declared[0]], "unmatched"
        return None, "none"


def _is_root(url: Optional[str]) -> bool:
    if not url:
        return False
    parts = urlsplit(url)
    return not parts.path.strip("/") and not parts.query
