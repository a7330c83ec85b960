"""URL helpers: one canonical form per article URL, and link classes.

``canonical_url`` drops tracking parameters (``utm_*``, ``fbclid``,
``gclid``…) and the fragment, keeps every parameter that selects content
(``?SerialNo=79489``) in its order, and lower-cases scheme and host.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from w3lib.url import url_query_cleaner

TRACKING_PARAMETERS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
        "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "ref_src", "ref_url", "cmpid",
        "ito", "ocid", "smid", "sr_share", "spm", "ncid", "ref",
        "at_medium", "at_campaign", "xtor", "mkt_tok", "__twitter_impression",
        # Piwik / Matomo campaign tags (other pk_… parameters can select content)
        "pk_campaign", "pk_kwd", "pk_keyword", "pk_source", "pk_medium", "pk_content",
        "mtm_campaign", "mtm_kwd", "mtm_keyword", "mtm_source", "mtm_medium", "mtm_content",
        "mtm_cid", "mtm_group", "mtm_placement",
    }
)
TRACKING_PREFIXES = ("utm_", "hsa_")
SESSION_PARAMETERS = frozenset(
    {"phpsessid", "jsessionid", "sessionid", "session_id", "sessid", "oscsid", "zenid", "cfid", "cftoken"}
)
"""Session ids in query strings: a new value per visit makes every link new (a crawler trap)."""
SHORT_SESSION_PARAMETERS = frozenset({"sid", "s_id"})
"""Session ids only when the value looks like one (5+ letters, digits, ``-``, ``_``): ``?sid=3`` may select content."""
_SESSION_VALUE = re.compile(r"^[0-9A-Za-z_-]{5,}$")
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sid)=[^/?#]*", re.I)

PAGINATION = re.compile(r"/page/(\d+)/?$|[?&](?:paged|page)=(\d+)")
"""A listing's page number in its URL: ``/page/2/``, ``?paged=2``, ``?page=2``."""

NOT_ARTICLE = re.compile(
    r"/(?:tag|tags|author|authors|category|categories|search|topics?)/"
    r"|/(?:feed|rss|amp|print|comments|trackback|embed)/?$"
    r"|/wp-(?:login|admin|json|content|includes)"
    r"|/(?:login|logout|register|signin|signup|subscribe|account|cart|checkout)/?(?:$|\?)"
    r"|[?&](?:s|q|replytocom|share|print|amp|output|format|paged|attachment_id)="
    r"|/page/\d+/?$"
    # date archives and calendars: /2025/, /2025/02/, /2025/02/19/, ?m=202502
    r"|^[a-z]+://[^/]+/(?:\d{4}/)(?:\d{1,2}/){0,2}(?:$|\?)"
    r"|/calendar/|[?&]m=\d{4,8}(?:&|$)"
    r"|^[a-z]+://[^/]+/amp/|\.amp(?:\.html?)?$",
    re.I,
)
"""URLs that are never article pages: taxonomy, search, feeds, login, date
archives and calendars, comment replies, AMP and print twins."""


def canonical_url(url: str) -> str:
    """The URL without tracking parameters, session ids and fragment.

    Session parameters (``SESSION_PARAMETERS``) are dropped, and ``sid`` when
    its value looks like an id (5+ letters, digits, ``-`` or ``_``);
    ``;jsessionid=…`` path parameters are dropped too.

    >>> canonical_url("https://Example.com/a/?utm_source=x&id=3#top")
    'https://example.com/a/?id=3'
    """
    url = _PATH_SESSION.sub("", url.strip())
    parts = urlsplit(url)
    tracking = [
        key
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() in TRACKING_PARAMETERS
        or key.lower().startswith(TRACKING_PREFIXES)
        or key.lower() in SESSION_PARAMETERS
        or (key.lower() in SHORT_SESSION_PARAMETERS and _SESSION_VALUE.match(value))
    ]
    cleaned = urlsplit(url_query_cleaner(url.strip(), tracking, remove=True, unique=False, keep_fragments=False))
    return urlunsplit(
        (cleaned.scheme.lower(), cleaned.netloc.lower(), cleaned.path or "/", cleaned.query, "")
    )


def page_number(url: str) -> int:
    """The listing page number in a URL, 1 when it names none."""
    match = PAGINATION.search(url)
    if not match:
        return 1
    return int(match.group(1) or match.group(2))


def same_site(host: str, other: str) -> bool:
    """True when ``other`` is ``host`` or a subdomain of it, ignoring ``www.``."""
    host = host.lower().removeprefix("www.")
    other = other.lower().removeprefix("www.")
    return other == host or other.endswith("." + host)
