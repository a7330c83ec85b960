"""The WordPress REST API as an article source: ``/wp-json/wp/v2/posts``.

A WordPress site announces its API on every page with ``<link
rel="https://api.w.org/" href="…/wp-json/">`` (or ``?rest_route=/`` without
pretty permalinks). The posts route lists published posts only, newest
first, 100 per page, with exact times: ``date_gmt`` / ``modified_gmt`` (UTC)
and ``date`` / ``modified`` (the site's local time, without offset); with
``_embed`` it also gives each post's author and its category and tag terms.
:func:`parse_posts` turns one page of it into :class:`WpPost` values.

This module imports nothing from Scrapy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Optional
from urllib.parse import urlencode, urljoin

from parsel import Selector

PER_PAGE = 100
"""Posts per API page (WordPress's maximum)."""


class WpApiError(ValueError):
    """A body that is not a page of the WordPress posts route."""


@dataclass(frozen=True)
class WpPost:
    """One published post as the API gives it."""

    link: str
    """The post's permalink (absolute)."""
    date_published: Optional[str]
    """Publication time, ISO 8601 with the site's offset when ``date`` and
    ``date_gmt`` give it (``2025-02-19T10:30:00+08:00``), else UTC with ``Z``."""
    date_modified: Optional[str]
    """Last modification time, as ``date_published``."""
    headline: Optional[str]
    """``title.rendered`` as plain text."""
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    """Category names, in the API's order."""
    tags: tuple[str, ...] = ()


def api_root(html: str, base_url: str) -> Optional[str]:
    """The REST API root a page announces (``<link rel="https://api.w.org/">``), absolute; None if none."""
    href = Selector(text=html or "<html/>").xpath('//link[@rel="https://api.w.org/"]/@href').get()
    return urljoin(base_url, href.strip()) if href and href.strip() else None


def posts_url(root: str, page: int = 1, modified_after: Optional[datetime] = None) -> str:
    """The URL of one page of published posts, most recently modified first, with
    authors and terms embedded; ``modified_after`` (aware) asks only for posts
    changed since a day before it (WordPress 5.7+ reads it in the site's own
    time; older versions ignore it)."""
    params: dict[str, Any] = {
        "per_page": PER_PAGE, "page": page, "orderby": "modified", "order": "desc", "_embed": "author,wp:term",
    }
    if modified_after is not None:
        # WordPress compares it with the local post_modified: a day earlier covers any offset.
        params["modified_after"] = (modified_after - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    query = urlencode(params)
    if "rest_route=" in root:  # plain permalinks: ?rest_route=/
        return f"{root.rstrip('/')}/wp/v2/posts&{query}"
    return f"{root.rstrip('/')}/wp/v2/posts?{query}"


def _with_offset(local: Any, gmt: Any) -> Optional[str]:
    """``local`` (site time, no offset) with the offset ``local - gmt``; UTC ``Z`` from ``gmt`` alone."""
    try:
        utc = datetime.fromisoformat(str(gmt)) if gmt else None
    except ValueError:
        utc = None
    try:
        here = datetime.fromisoformat(str(local)) if local else None
    except ValueError:
        here = None
    if utc is None:
        return None
    if here is None or here.tzinfo is not None or utc.tzinfo is not None:
        return utc.replace(tzinfo=None).isoformat() + "Z"
    minutes = round((here - utc).total_seconds() / 60)
    if abs(minutes) > 14 * 60:
        return utc.isoformat() + "Z"
    sign = "+" if minutes >= 0 else "-"
    return f"{here.isoformat()}{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _text(html: Any) -> Optional[str]:
    if not isinstance(html, str) or not html.strip():
        return None
    text = " ".join(Selector(text=f"<p>{html}</p>").xpath("//text()").getall()).split()
    return " ".join(text) or None


def parse_posts(body: bytes | str) -> list[WpPost]:
    """The posts of one page of the posts route.

    Posts without an http(s) ``link`` are left out.

    :raises WpApiError: when the body is not JSON or not a list of posts
        (e.g. an HTML error page, or ``{"code": "rest_no_route"}``).
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WpApiError(f"not JSON: {exc}") from exc
    if not isinstance(data, list):
        code = data.get("code") if isinstance(data, dict) else None
        raise WpApiError(f"not a list of posts{f' ({code})' if code else ''}")
    posts = []
    for item in data:
        if not isinstance(item, dict) or not str(item.get("link", "")).startswith(("http://", "https://")):
            continue
        embedded = item.get("_embedded") if isinstance(item.get("_embedded"), dict) else {}
        authors = tuple(
            a["name"].strip() for a in embedded.get("author", []) if isinstance(a, dict) and isinstance(a.get("name"), str) and a["name"].strip()
        )
        terms = [t for group in embedded.get("wp:term", []) if isinstance(group, list) for t in group if isinstance(t, dict)]
        names = {
            taxonomy: tuple(dict.fromkeys(t["name"] for t in terms if t.get("taxonomy") == taxonomy and isinstance(t.get("name"), str)))
            for taxonomy in ("category", "post_tag")
        }
        title = item.get("title")
        posts.append(
            WpPost(
                link=item["link"],
                date_published=_with_offset(item.get("date"), item.get("date_gmt")),
                date_modified=_with_offset(item.get("modified"), item.get("modified_gmt")),
                headline=_text(title.get("rendered") if isinstance(title, dict) else title),
                authors=authors,
                categories=tuple(_text(n) or n for n in names["category"]),
                tags=tuple(_text(n) or n for n in names["post_tag"]),
            )
        )
    return posts
