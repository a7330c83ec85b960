"""A deterministic fake WordPress news site, "The Daily Demo", and a local server for it.

``build_demo_site()`` invents a news site in the shape of a WordPress news
theme (a main menu and a top menu of two-level categories, category / tag /
author archives with pagination, date-based article permalinks, widgets,
a trending ticker, a login pop-up) together with the ground truth a crawler
should extract from it. ``DemoServer`` serves a built site over HTTP on
127.0.0.1. Everything derives from the seed: two builds with the same
arguments serve byte-identical pages (the traps' session ids excepted).
Pages are rendered on request, so a 5,000-article site builds in well under
a second.

What a crawler meets (proportions are exact up to rounding, per build):

* dates: a third each of ``json-ld`` (``NewsArticle`` in an ``@graph`` plus a
  ``<time>``), ``time`` (``<time class="entry-date published" datetime>``,
  half of them with a later ``<time class="updated">``) and ``text`` (only
  "February 19, 2025 10:30 am", Singapore time, in ``span.post-date``);
* reading time: half the articles show "Reading Time: N mins read" in the
  meta line (N = ceil(words / 200) + 1); the trending ticker (before
  ``<main>``) and the related posts (inside the article) show the same label,
  with the same ``span.reading-time`` class, for other articles and never
  with the article's own value;
* breadcrumbs: for articles in a subsection, 20 % show only the child
  ("Asia"); the rest show Home › World News › Asia (last crumb a link or
  plain text) or the path without Home;
* 10 % of articles have a second category; 15 % lack ``<link rel=canonical>``
  (``og:url`` is always there); all URLs on HTML pages are root-relative;
* archives paginate in one of three ways by category (``/page/N/`` with
  numbered links and ``<link rel=next>``; ``?paged=N`` with numbered links
  only; ``<link rel=next>`` and an "Older posts" ``<a rel=next>`` only);
* some card links carry ``?utm_source=…&utm_medium=card``; comment links end
  in ``#comments``; article pages have ``rel="next"``/``rel="prev"`` links
  to the neighbouring posts;
* what WordPress core and a news-sitemap plugin offer, with absolute URLs
  on the request's ``Host``: ``robots.txt`` names ``/wp-sitemap.xml`` and
  ``/news-sitemap.xml``; ``/wp-sitemap.xml`` is a sitemap index (each child
  with ``<lastmod>``, ``+08:00``) of ``/wp-sitemap-posts-post-N.xml`` (500
  articles each, oldest first), ``-posts-page-1``, ``-taxonomies-category-1``,
  ``-taxonomies-post_tag-1`` and ``-users-1``, every ``<url>`` with
  ``<lastmod>`` (modified, else published); ``/sitemap.xml`` redirects
  there; ``/news-sitemap.xml`` is a Google News sitemap of the 20 newest, and
  ``/news-sitemap.xml.gz`` (listed nowhere) the same bytes gzipped;
* feeds: ``/feed/`` (RSS 2.0, 10 newest, ``pubDate`` in ``+0000``, guid
  ``/?p=ID`` which redirects to the article), ``/feed/atom/``, an empty
  ``/comments/feed/``, and ``<archive>/feed/`` for every category (also
  ``/category/<parent>/<child>/feed/``), tag and author; every themed page
  links the site and comments feeds in ``<head>``, archives their own too;
* HTTP validators: every 200 has ``ETag`` (from the body) and
  ``Last-Modified`` (an article's modified, else published time; a listing,
  feed or sitemap: the newest change among the articles it shows, so a
  listing page whose articles shifted may keep its date); ``If-None-Match``,
  else ``If-Modified-Since``, gets ``304``;
* between runs (``build_demo_site(unpublished=N)``, ``site.publish(k)``,
  ``site.edit(k)``): hidden articles appear nowhere and 404 until
  published; edited articles gain a sentence and a later modified date.

With ``build_demo_site(traps=True)`` (off by default; without it nothing
above changes) the site also has what makes crawlers loop or waste requests:
a calendar widget whose « / » month links go on for ever (every month
archive ``/YYYY/MM/`` of years 1-9999 renders, day archives too); a tag cloud
of some 300 mostly near-empty tags; ``/?s=`` search links; a random ``sid``
on every archive page's links to archive pages, new on every response; a
``?replytocom=N`` link per comment; AMP (``<article>amp/``) and print
(``?print=1``, ``noindex``) twins of each article; and a category
(``DemoSite.endless_archive``) whose ``page/N/`` renders for every N, past
the end repeating its last real page, always with a next link.
``DemoSite.real_page_count`` counts the real HTML pages, to bound a crawl.

All text is invented filler; its people, places and events are fictional.
Only the standard library is used.
"""

from __future__ import annotations

import calendar
import gzip
import hashlib
import html
import json
import math
import os
import random
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, parse_qsl, quote, quote_plus, urlsplit

SITE_NAME = "The Daily Demo"
SITE_TIMEZONE = "Asia/Singapore"
PER_PAGE = 10
"""Article cards per archive page (categories, tags, authors)."""
HOME_CARDS = 20
"""Newest articles listed on the home page."""

NEWS_SITEMAP_POSTS = 20
"""Newest articles listed in the Google News sitemap."""
FEED_POSTS = 10
"""Newest articles in each RSS / Atom feed."""
SITEMAP_POSTS = 500
"""Articles per ``/wp-sitemap-posts-post-N.xml`` child sitemap."""
DEFAULT_BASE_URL = "http://demo.invalid"
"""Scheme and host put in front of paths in sitemaps, feeds and robots.txt when no server supplies one."""

HTML_TYPE = "text/html; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"
XML_TYPE = "application/xml; charset=UTF-8"
RSS_TYPE = "application/rss+xml; charset=UTF-8"
ATOM_TYPE = "application/atom+xml; charset=UTF-8"
GZIP_TYPE = "application/x-gzip"

_TZ = timezone(timedelta(hours=8))  # Singapore: UTC+08:00 all year, no DST
_END = datetime(2026, 11, 1, tzinfo=_TZ)  # articles are dated in the 730 days before
_SPAN_DAYS = 730
_PAGINATION_STYLES = ("path", "query", "next-only")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July",
           "August", "September", "October", "November", "December")

# --- Taxonomy ------------------------------------------------------------------
# Top-level section -> subsections. Subsection names are unique site-wide, so
# a breadcrumb showing only the child resolves to one menu path.
_TAXONOMY: dict[str, list[str]] = {
    "World News": ["Us & Canada", "Europe", "Asia", "Africa", "Middle East"],
    "Politics": ["Elections", "Political Parties", "Government Policies",
                 "International Relations"],
    "Business & Finance": ["Market Trends", "Stock Market", "Entrepreneurship",
                           "Corporate News"],
    "Science & Environment": ["Space Exploration", "Climate Change",
                              "Wildlife & Conservation", "Medical Research"],
    "Health": ["Public Health", "Mental Health", "Fitness & Nutrition"],
    "Sports": ["Football", "Basketball", "Tennis", "Motorsport"],
    "Entertainment": ["Movies", "Music", "TV & Streaming", "Awards & Festivals"],
    "Crime & Justice": ["Court Cases", "Cybercrime", "Policing"],
    "Technology & Startups": ["Software & Apps", "Artificial Intelligence",
                              "Cybersecurity", "Gadgets & Devices"],
    "Education": ["Higher Education", "Online Learning", "School Reforms"],
    "Lifestyle": ["Travel", "Food & Drink", "Home & Living"],
}
_MAIN_MENU = list(_TAXONOMY)[:9]
# The top bar repeats "Technology & Startups" (same URLs), as the seed theme does.
_TOP_MENU = ["Education", "Lifestyle", "Technology & Startups"]
_STATIC_PAGES = (("About us", "/about-us/", 2), ("Contact", "/contact/", 3))

# --- Invented text banks ---------------------------------------------------------
# Per top-level section: headline subjects (plural), headline objects, and the
# topical vocabulary that article bodies of the section draw from.
_TOPICS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "World News": (
        ("Coastal nations", "Regional envoys", "Border towns", "Island councils",
         "Foreign ministers", "Aid agencies", "Harbour cities", "Trade delegations"),
        ("a shared fisheries pact", "new ferry routes", "cross-border rail links",
         "a joint flood warning system", "visa-free travel for students",
         "talks on river water sharing", "a regional disaster fund",
         "the reopening of mountain passes"),
        tuple("envoy summit border treaty delegation ministry embassy accord diplomats "
              "ceasefire negotiators region neighbours corridor ferry harbour visa convoy "
              "refugees relief mandate sanctions charter consulate talks provinces "
              "coastline frontier bilateral multilateral".split()),
    ),
    "Politics": (
        ("Opposition lawmakers", "City mayors", "Party delegates", "Election officials",
         "Senate committees", "Cabinet advisers", "Young voters", "Campaign volunteers"),
        ("a draft ballot reform", "longer early voting hours",
         "new rules on campaign spending", "a cross-party housing plan",
         "the revised district map", "a public consultation on budgets",
         "a shorter parliamentary recess", "plans for digital voter cards"),
        tuple("ballot parliament caucus senator mayor legislature coalition manifesto "
              "amendment constituency referendum candidate campaign polling turnout "
              "cabinet minister debate bill committee veto motion delegates electorate "
              "governance reform quorum statute assembly".split()),
    ),
    "Business & Finance": (
        ("Regional lenders", "Small retailers", "Shipping firms", "Café owners",
         "Factory suppliers", "Bond traders", "Family businesses", "Payroll providers"),
        ("slimmer quarterly forecasts", "a new export credit line",
         "cheaper warehouse leases", "a merger of two logistics groups",
         "higher dividends for shareholders", "a four-day trading week pilot",
         "fresh rules for invoice payments", "a rebound in consumer spending"),
        tuple("revenue profit dividend shares investors earnings quarter forecast "
              "inflation lender credit market exports tariffs merger supply retailer "
              "margins valuation bonds index growth capital liquidity payroll audit "
              "ledger wholesale portfolio interest".split()),
    ),
    "Science & Environment": (
        ("Marine biologists", "Satellite teams", "Glacier researchers", "Forest rangers",
         "Soil scientists", "Observatory staff", "Wetland volunteers", "Climate modellers"),
        ("a surprising rise in coral spawning", "the first map of a deep-sea ridge",
         "new data on alpine snow cover", "a rare comet visible at dawn",
         "seed banks for native grasses", "cleaner air along river valleys",
         "a census of migrating shorebirds", "a quieter solar cycle"),
        tuple("climate species habitat satellite orbit telescope emissions carbon "
              "glacier rainfall ecosystem biodiversity wetland coral pollinators forest "
              "specimen laboratory experiment hypothesis samples temperature atmosphere "
              "drought conservation fossil sediment reef migration".split()),
    ),
    "Health": (
        ("Community clinics", "Hospital nurses", "School nutritionists",
         "Rural pharmacists", "Sleep researchers", "Physiotherapists",
         "Public health teams", "Blood donors"),
        ("longer opening hours for walk-in care", "a new guide to healthy lunches",
         "free screening days for seniors", "a pilot for text message reminders",
         "shorter waits for routine check-ups", "quiet rooms for night-shift staff",
         "a campaign on daily stretching", "mobile vaccination vans"),
        tuple("clinic patients nurses doctors treatment vaccine screening wellbeing "
              "nutrition therapy hospital symptoms diagnosis prevention recovery fitness "
              "sleep diet pharmacy immunity checkups outpatient wards caregivers "
              "counselling dosage trial infection hygiene exercise".split()),
    ),
    "Sports": (
        ("Veteran goalkeepers", "Junior tennis players", "Club coaches",
         "Marathon organisers", "Rally drivers", "Basketball rookies",
         "Stadium groundskeepers", "Swim squads"),
        ("a dramatic late comeback", "the first home win of the season",
         "a new training ground by the river", "a rain-soaked cup final",
         "fresh talent from youth academies", "a record crowd at the velodrome",
         "an extra-time thriller", "plans for a floodlit night league"),
        tuple("match season league coach striker goalkeeper tournament fixture stadium "
              "championship referee penalty playoffs squad midfield sprint lap podium "
              "relay captain transfer victory defeat draw training fans halftime "
              "scoreline rookie rally".split()),
    ),
    "Entertainment": (
        ("Indie filmmakers", "Festival curators", "Streaming studios", "Jazz quartets",
         "Theatre troupes", "Animation studios", "Comedy writers", "Session musicians"),
        ("a sold-out open-air screening", "a surprise second season",
         "a new prize for debut albums", "the return of a classic variety show",
         "a late-night concert series", "a documentary about lighthouse keepers",
         "subtitles in twelve languages", "a touring puppet opera"),
        tuple("film album premiere director actors festival studio soundtrack streaming "
              "episode series concert audience critics screenplay trailer gallery "
              "theatre musicians tour encore drama comedy animation cinema ballad "
              "playlist casting rehearsal costume".split()),
    ),
    "Crime & Justice": (
        ("Appeals judges", "Neighbourhood police", "Public defenders",
         "Fraud investigators", "Court clerks", "Jury panels", "Prison reform groups",
         "Digital forensics teams"),
        ("a backlog of small claims cases", "new rules for body cameras",
         "a scheme to return stolen bicycles", "evening hearings for minor offences",
         "a long-running forgery inquiry", "online reporting for phone scams",
         "victim support desks at courthouses", "plain-language court summaries"),
        tuple("court judge verdict trial appeal evidence witness prosecutor defence "
              "jury sentence hearing investigation police detectives warrant inquiry "
              "statute offence fraud custody probation testimony ruling tribunal "
              "magistrate forensic lawyers bail justice".split()),
    ),
    "Technology & Startups": (
        ("Young app developers", "Chip designers", "Robotics start-ups",
         "Cloud engineers", "Open-source maintainers", "Cybersecurity analysts",
         "Gadget reviewers", "Seed investors"),
        ("a faster offline translation tool", "cheaper sensors for smart farms",
         "a patch for a widespread router flaw", "the first foldable e-reader",
         "a funding round for battery recycling", "privacy labels for mobile apps",
         "a coding club for retirees", "smaller language models on laptops"),
        tuple("software startup algorithm processor cloud servers encryption developers "
              "platform prototype funding investors devices sensors battery network "
              "firmware bandwidth interface dataset automation robotics chips app "
              "update security patch users latency code".split()),
    ),
    "Education": (
        ("University lecturers", "Primary school teachers", "Scholarship boards",
         "Online course designers", "Student unions", "School librarians",
         "Exam boards", "Adult learners"),
        ("a shorter academic calendar", "free textbooks for first-year students",
         "a new apprenticeship track", "reading hours before class",
         "a revised maths curriculum", "evening classes in coding",
         "smaller class sizes", "a mentoring scheme for new teachers"),
        tuple("students teachers classroom curriculum lecture campus semester "
              "scholarship exams tuition degree graduates library literacy homework "
              "syllabus faculty enrolment seminar tutors pupils grades courses research "
              "diploma learning school academy coursework timetable".split()),
    ),
    "Lifestyle": (
        ("Weekend travellers", "Home cooks", "Balcony gardeners", "Vintage shoppers",
         "Hostel owners", "Market traders", "Interior designers", "Cycling clubs"),
        ("slow train journeys through the hills", "recipes built around winter squash",
         "small flats with clever storage", "a revival of hand-knitted jumpers",
         "quiet beaches outside the high season", "a guide to seasonal street food",
         "sharing tools between neighbours", "weekend trips to Port Élise"),
        tuple("recipe travel kitchen garden holiday flavour design furniture weekend "
              "market bakery coffee hiking itinerary fashion fabric apartment décor "
              "spices breakfast picnic journey hostel seasonal handmade cosy vintage "
              "balcony neighbourhood leisure".split()),
    ),
}
_VERBS = ("weigh", "unveil", "debate", "revisit", "welcome", "question", "back",
          "push for", "prepare for", "look into", "celebrate", "test", "map out", "rethink")
_QUALIFIERS = ("after a quiet year", "ahead of the busy season", "as costs keep rising",
               "despite mixed early results", "for the first time in a decade",
               "following a long review", "in Nørhavn", "near Port Élise",
               "under a new pilot scheme", "with help from local volunteers",
               "before the end of the quarter", "amid calls for clearer rules",
               "as residents share their views", "at a packed town hall meeting")
_QUOTES = ("‘It’s a new chapter’", "‘We are just getting started’",
           "‘Nobody saw this coming’", "‘A quiet revolution’", "‘Worth the wait’",
           "‘Small steps, big change’")
_LABELS = ("slow city", "green corridor", "open door", "second chance", "long table")
# (weight, template); {S} subject, {s} subject in lower case, {s2} a second subject.
_HEADLINE_FORMS = (
    (5, "{S} {v} {o} {q}"),
    (2, "{S} {v} {o}"),
    (2, "Why {s} {v} {o}"),
    (1, "{quote}: {S} {v} {o}"),
    (1, 'Inside the "{label}" plan: {s} {v} {o}'),
    (1, "Q&A: how {s} {v} {o}"),
    (1, "{S} and {s2} {v} {o} {q}"),
)
_FILLER = tuple(
    "the a of and to in for with on as by from at about after before during while "
    "residents officials said says plan new local year week month group people change "
    "report early public small several many next first second recent support review "
    "data team project city region community cost time work process result question "
    "answer meeting schedule budget volunteers members figures months details steps "
    "approach effort results service programme pilot council office statement proposal "
    "survey partners experts observers organisers café façade naïve neighbours’ "
    "said it was likely that more than half would also still now however because "
    "which this those these their its our other further clear careful modest steady "
    "gradual broader quieter longer".split())
_AUTHORS = ("Daniel Reyes", "Priya Natarajan", "Tom Whitfield", "Zoë Ångström",
            "Hana Kobayashi", "Marcus Bell")
_TAGS = ("Policy Watch", "Explainer", "Data Check", "Local Voices", "Weekend Read",
         "Field Notes", "Market Pulse", "Green Shift", "Night Desk", "Café Culture",
         "Year in Review", "Interview", "Analysis", "Community", "Fact Sheet", "First Look")

_NOT_FOUND_BODY = (
    '<!DOCTYPE html>\n<html lang="en-US"><head><meta charset="UTF-8">'
    f"<title>Page not found – {SITE_NAME}</title></head>"
    '<body class="error404"><h1 class="page-title">Oops! That page can’t be found.</h1>'
    '<p>It looks like nothing was found at this location. <a href="/">Back to the home page</a>.'
    "</p></body></html>\n"
).encode()
_ROBOTS_TXT = "User-agent: *\nDisallow: /wp-admin/\n\nSitemap: {base}/wp-sitemap.xml\nSitemap: {base}/news-sitemap.xml\n"
_TAGLINE = "Invented news, every day"
_LAUNCH = _END - timedelta(days=_SPAN_DAYS + 1)  # the static pages' date: before the first article
_SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
_NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
_GENERATOR = "6.6.2"  # the WordPress version the feeds claim
_ENDLESS_CATEGORY = ("World News",)  # with traps: its /page/N/ renders for every N
_TRAP_SEARCHES = ("election", "climate", "football", "café", "startup", "court")
_READERS = ("Ana P.", "Jonas", "mei_lin", "R. Okafor", "Sunny", "Old Harbour Reader")
_COMMENT_TEXTS = ("Thanks for the clear report.", "Is there a follow-up planned?",
                  "We saw the same thing in our town.", "Good to see this covered.",
                  "The figures in the third paragraph look off to me.", "Shared with my neighbours.")
_FEED_LINKS = (
    f'<link rel="alternate" type="application/rss+xml" title="{SITE_NAME} » Feed" href="/feed/">\n'
    f'<link rel="alternate" type="application/rss+xml" title="{SITE_NAME} » Comments Feed" href="/comments/feed/">\n')
_BASE_URL: ContextVar[str] = ContextVar("demo_base_url", default=DEFAULT_BASE_URL)
"""Scheme and host of the request being answered (set by ``DemoSite.respond``)."""


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


_TRANSLIT = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ß": "ss",
                           "œ": "oe", "Œ": "OE", "&": ""})


def _slug(text: str) -> str:
    """WordPress-like slug: accents dropped, quotes and '&' removed, '-' separated."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_TRANSLIT))
    ascii_text = ascii_text.encode("ascii", "ignore").decode().replace("'", "")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.replace('"', "").lower()).strip("-")


def _long_date(moment: datetime) -> str:
    return f"{_MONTHS[moment.month - 1]} {moment.day}, {moment.year}"


def _clock(moment: datetime) -> str:
    return f"{moment.hour % 12 or 12}:{moment.minute:02d} {'am' if moment.hour < 12 else 'pm'}"


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rfc822(moment: datetime) -> str:
    """RSS date as WordPress prints it: ``Sun, 02 Mar 2025 06:05:00 +0000``."""
    return format_datetime(moment.astimezone(timezone.utc))


def _http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(timezone.utc), usegmt=True)


def _xml(text: str) -> str:
    """Text for an XML element: ``&``, ``<`` and ``>`` escaped."""
    return html.escape(text, quote=False)


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:16] + '"'


def _balanced(rng: random.Random, n: int, weighted: tuple) -> list:
    """``n`` values in the exact proportions of ``weighted`` ((value, weight), ...), shuffled."""
    total = sum(weight for _, weight in weighted)
    shares = [n * weight / total for _, weight in weighted]
    counts = [int(share) for share in shares]
    by_remainder = sorted(range(len(shares)), key=lambda k: counts[k] - shares[k])
    for k in by_remainder[: n - sum(counts)]:
        counts[k] += 1
    values = [value for (value, _), count in zip(weighted, counts) for _ in range(count)]
    rng.shuffle(values)
    return values


def _page_url(base: str, page: int, style: str) -> str:
    if page == 1:
        return base
    return f"{base}?paged={page}" if style == "query" else f"{base}page/{page}/"


@dataclass(frozen=True)
class _Category:
    name: str
    path: tuple[str, ...]
    url: str
    term_id: int
    pagination: str  # one of _PAGINATION_STYLES


@dataclass
class _Post:
    post_id: int
    url: str
    headline: str
    published: datetime
    modified: datetime | None  # as shown: JSON-LD dateModified or <time class="updated">
    categories: list[_Category]  # primary first
    author: int  # index into _AUTHORS
    tags: list[int]  # indexes into _TAGS
    words: int
    has_label: bool
    minutes: int
    date_variant: str
    crumb_variant: str
    has_canonical: bool
    comments: int
    addenda: tuple[str, ...] = ()  # sentences appended to the last paragraph by DemoSite.edit()

    @property
    def word_count(self) -> int:
        """Words of the ``entry-content`` paragraphs, addenda included."""
        return self.words + sum(len(sentence.split()) for sentence in self.addenda)

    @property
    def changed(self) -> datetime:
        """Time of the last change: modified, else published."""
        return self.modified or self.published

    @property
    def image(self) -> str:
        return f"/wp-content/uploads/{self.published:%Y/%m}/{self.url.rstrip('/').rsplit('/', 1)[1]}.jpg"


@dataclass
class _Listing:
    kind: str  # category / tag / author
    base: str  # URL of the first page
    title: str  # the <h1>
    crumbs: list[tuple[str, str]]  # (name, url) below Home
    posts: list[int]  # indexes into _Renderer.posts, newest first
    pagination: str  # one of _PAGINATION_STYLES
    endless: bool = False  # a trap: every /page/N/ renders, with a next link
    month: tuple[int, int] | None = None  # (year, month) a date archive's calendar shows

    @property
    def body_class(self) -> str:
        if self.kind == "date":
            return "archive date"
        return f"archive {self.kind} {self.kind}-{self.base.rstrip('/').rsplit('/', 1)[1]}"

    @property
    def real_pages(self) -> int:
        return max(1, math.ceil(len(self.posts) / PER_PAGE))

    @property
    def feed_title(self) -> str | None:
        """Title of the archive's feed link in ``<head>`` (WordPress wording); None: no feed."""
        name = self.crumbs[-1][0]
        return {"category": f"{SITE_NAME} » {name} Category Feed", "tag": f"{SITE_NAME} » {name} Tag Feed",
                "author": f"{SITE_NAME} » Posts by {name} Feed"}.get(self.kind)


def _categories() -> list[_Category]:
    categories: list[_Category] = []
    for top, subs in _TAXONOMY.items():
        for name in [top, *subs]:
            path = (top,) if name == top else (top, name)
            url = "/category/" + "".join(_slug(part) + "/" for part in path)
            categories.append(_Category(name, path, url, len(categories) + 2,
                                        _PAGINATION_STYLES[len(categories) % 3]))
    return categories


_UNCATEGORIZED = _Category("Uncategorized", ("Uncategorized",), "/category/uncategorized/", 1, "path")


def _headline(rng: random.Random, top: str, taken: set[str]) -> str:
    """A headline of 6-12 words for section ``top`` that is not in ``taken`` (and is added to it)."""
    subjects, objects, _ = _TOPICS[top]
    weights = [weight for weight, _ in _HEADLINE_FORMS]
    while True:
        template = rng.choices(_HEADLINE_FORMS, weights)[0][1]
        subject, second = rng.sample(subjects, 2)
        text = template.format(
            S=subject, s=subject[0].lower() + subject[1:], s2=second[0].lower() + second[1:],
            v=rng.choice(_VERBS), o=rng.choice(objects), q=rng.choice(_QUALIFIERS),
            quote=rng.choice(_QUOTES), label=rng.choice(_LABELS))
        if 6 <= len(text.split()) <= 12 and text not in taken:
            taken.add(text)
            return text


def _make_posts(n: int, seed: int, categories: list[_Category]) -> list[_Post]:
    rng = random.Random(seed)
    tops = [c for c in categories if len(c.path) == 1]
    subs = {top.name: [c for c in categories if c.path[0] == top.name and len(c.path) == 2]
            for top in tops}
    drafts = []
    headlines: set[str] = set()
    for top in _balanced(rng, n, tuple((top, 1) for top in tops)):
        headline = _headline(rng, top.name, headlines)
        primary = rng.choice(subs[top.name]) if rng.random() < 0.75 else top
        local = (_END - timedelta(days=rng.randrange(1, _SPAN_DAYS + 1))
                 + timedelta(hours=rng.randint(6, 22), minutes=rng.randrange(60)))
        k = rng.randrange(6)  # ceil(words / 200) == k + 1, far from any boundary
        words = rng.randint(90 if k == 0 else k * 200 + 30, k * 200 + 170)
        drafts.append((local, headline, primary, words))
    drafts.sort(key=lambda draft: draft[0])

    date_variants = _balanced(rng, n, (("json-ld", 1), ("time", 1), ("text", 1)))
    labels = _balanced(rng, n, ((True, 1), (False, 1)))
    second_category = _balanced(rng, n, ((True, 1), (False, 9)))
    canonical = _balanced(rng, n, ((True, 85), (False, 15)))
    in_sub = [i for i, draft in enumerate(drafts) if len(draft[2].path) == 2]
    crumbs = dict(zip(in_sub, _balanced(rng, len(in_sub), (
        ("home", 30), ("home-last-text", 25), ("no-home", 25), ("child-only", 20)))))
    slugs: set[str] = set()
    posts = []
    for i, (local, headline, primary, words) in enumerate(drafts):
        slug = base_slug = _slug(headline)
        suffix = 2
        while slug in slugs:  # WordPress appends -2, -3… to a taken slug
            slug, suffix = f"{base_slug}-{suffix}", suffix + 1
        slugs.add(slug)
        cats = [primary]
        if second_category[i]:
            family = primary.path[0]
            cats.append(rng.choice([c for c in categories if c.path[0] != family]))
        variant = date_variants[i]
        modified = None
        if variant == "json-ld":
            modified = local if rng.random() < 0.5 else local + timedelta(minutes=rng.randint(45, 20 * 24 * 60))
        elif variant == "time" and rng.random() < 0.5:
            modified = local + timedelta(minutes=rng.randint(45, 20 * 24 * 60))
        computed = math.ceil(words / 200)
        posts.append(_Post(
            post_id=1000 + 3 * i, url=f"/{local:%Y/%m/%d}/{slug}/", headline=headline,
            published=local, modified=modified, categories=cats, author=rng.randrange(len(_AUTHORS)),
            tags=sorted(rng.sample(range(len(_TAGS)), rng.randint(2, 4))), words=words,
            has_label=labels[i], minutes=computed + 1 if labels[i] else computed,
            date_variant=variant,
            crumb_variant=crumbs.get(i) or rng.choice(("home", "home-last-text", "no-home")),
            has_canonical=canonical[i], comments=rng.randint(0, 14)))
    return posts


class _Renderer(Mapping):
    """Lazy ``path (with query) -> (content_type, body)`` mapping of one state of a built site.

    Iterating lists every canonical page, feed and sitemap; ``"/?s=<term>"``
    search pages (and, with traps, the trap pages) are also accepted by
    ``[]`` though never listed. Documents that need absolute URLs (sitemaps,
    feeds, robots.txt) take their scheme and host from ``_BASE_URL``;
    ``render()`` also gives a page's last-modified time. A renderer never
    changes: publishing or editing builds a new one.
    """

    def __init__(self, posts: list[_Post], categories: list[_Category], seed: int, traps: bool = False):
        self.posts = posts
        self.seed = seed
        self.traps = traps
        self.categories = categories
        self.by_url = {post.url: i for i, post in enumerate(posts)}
        self.by_id = {post.post_id: i for i, post in enumerate(posts)}
        rng = random.Random(f"{seed}:layout")
        self.newest = list(range(len(posts) - 1, -1, -1))
        self.trending = rng.sample(self.newest[:60], min(5, len(posts)))
        self.featured = rng.sample(self.newest, min(3, len(posts)))
        self.recent = self.newest[:4]
        self.site_newest = max(post.changed for post in posts)
        by_top: dict[str, list[int]] = {}
        for i, post in enumerate(posts):
            by_top.setdefault(post.categories[0].path[0], []).append(i)
        self.by_top = by_top
        self.top_position = {i: k for members in by_top.values() for k, i in enumerate(members)}
        self.listings = self._make_listings()
        self.listing_by_base = {listing.base: listing for listing in self.listings}
        self.listing_pages: dict[str, tuple[_Listing, int]] = {}
        for listing in self.listings:
            for page in range(1, listing.real_pages + 1):
                self.listing_pages[_page_url(listing.base, page, listing.pagination)] = (listing, page)
        self.fixed = self._fixed_documents()
        self.keys = ["/", "/robots.txt", "/wp-login.php", *(url for _, url, _ in _STATIC_PAGES),
                     *self.listing_pages, *self.by_url,
                     *(key for key in self.fixed if key not in ("/", "/robots.txt", "/wp-login.php")
                       and all(key != url for _, url, _ in _STATIC_PAGES))]
        self.by_day: dict[tuple[int, int, int], list[int]] = {}
        self.by_month: dict[tuple[int, int], list[int]] = {}
        self.extra_tags: dict[str, str] = {}
        if traps:
            for i in self.newest:
                published = posts[i].published
                self.by_day.setdefault((published.year, published.month, published.day), []).append(i)
                self.by_month.setdefault((published.year, published.month), []).append(i)
            taken = {_slug(tag) for tag in _TAGS}
            words = sorted({word for _, _, vocabulary in _TOPICS.values() for word in vocabulary})
            self.extra_tags = {_slug(word): word.capitalize() for word in words if _slug(word) not in taken}
        self.endless = self.listing_by_base.get(
            "/category/" + "".join(_slug(part) + "/" for part in _ENDLESS_CATEGORY)) if traps else None
        newest_post = posts[self.newest[0]].published
        self.default_month = (newest_post.year, newest_post.month)
        self.paragraphs = lru_cache(maxsize=4096)(self._paragraphs)
        self.chrome_top = self._top_bar() + self._header() + self._mobile_menu()
        self.chrome_end = "</div></div>\n" + self._footer() + "</div>\n" + self._login()
        self.chrome_bottom = self._sidebar(self.default_month) + self.chrome_end

    @property
    def real_page_count(self) -> int:
        """Home, every real archive page, every article and the static pages."""
        return 1 + len(self.listing_pages) + len(self.posts) + len(_STATIC_PAGES)

    # --- Mapping -------------------------------------------------------------------
    def __getitem__(self, key: str) -> tuple[str, bytes]:
        content_type, body, _ = self.render(key)
        return content_type, body

    def render(self, key: str, base_url: str | None = None) -> tuple[str, bytes, datetime]:
        """``(content_type, body, last_modified)`` of ``key``; absolute URLs start with ``base_url``.

        ``base_url`` defaults to the one of the request being answered (``_BASE_URL``).
        """
        answer = self._route(key)
        if answer is None:
            raise KeyError(key)
        return answer((base_url or _BASE_URL.get()).rstrip("/"))

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys)

    def __len__(self) -> int:
        return len(self.keys)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._route(key) is not None

    def _changed(self, indexes: list[int]) -> datetime:
        """Newest change among the posts ``indexes``; the site's newest when there are none."""
        return max((self.posts[j].changed for j in indexes), default=self.site_newest)

    def _route(self, key: str) -> Callable[[str], tuple[str, bytes, datetime]] | None:
        """How to answer ``key``: a function of the base URL giving (content type, body, last modified)."""
        if key.startswith("/?s="):
            term = parse_qs(key[2:]).get("s", [""])[0]
            return lambda base: (HTML_TYPE, self._search(term), self._changed(self._search_hits(term)))
        if key in self.by_url:
            post = self.posts[self.by_url[key]]
            return lambda base: (HTML_TYPE, self._article(self.by_url[key]), post.changed)
        if key in self.listing_pages:
            return self._listing_route(*self.listing_pages[key])
        if key in self.fixed:
            return self.fixed[key]
        if self.traps:
            return self._trap_route(key)
        return None

    def _listing_route(self, listing: _Listing, page: int) -> Callable[[str], tuple[str, bytes, datetime]]:
        shown = min(page, listing.real_pages)
        indexes = listing.posts[(shown - 1) * PER_PAGE: shown * PER_PAGE]
        return lambda base: (HTML_TYPE, self._listing(listing, page), self._changed(indexes))

    def _fixed_documents(self) -> dict[str, Callable[[str], tuple[str, bytes, datetime]]]:
        """Pages, sitemaps and feeds at fixed paths."""
        newest = self.site_newest
        documents: dict[str, Callable[[str], tuple[str, bytes, datetime]]] = {
            "/": lambda base: (HTML_TYPE, self._home(), self._changed(self.featured + self.newest[:HOME_CARDS])),
            "/robots.txt": lambda base: (TEXT_TYPE, _ROBOTS_TXT.format(base=base).encode(), newest),
            "/wp-login.php": lambda base: (HTML_TYPE, self._login_page(), newest),
        }
        for name, url, page_id in _STATIC_PAGES:
            documents[url] = lambda base, name=name, url=url, page_id=page_id: (
                HTML_TYPE, self._static_page(name, url, page_id), newest)
        children = self._sitemap_children()
        documents["/wp-sitemap.xml"] = lambda base: (
            XML_TYPE, self._sitemap_index(base, children),
            max((lastmod for _, lastmod, _ in children), default=newest))
        for path, lastmod, entries in children:
            shown = newest if path == "/wp-sitemap-posts-page-1.xml" else lastmod  # pages: no post shown
            documents[path] = lambda base, entries=entries, shown=shown: (
                XML_TYPE, self._urlset(base, entries()), shown)
        news = self.newest[:NEWS_SITEMAP_POSTS]
        documents["/news-sitemap.xml"] = lambda base: (XML_TYPE, self._news_sitemap(base, news), self._changed(news))
        documents["/news-sitemap.xml.gz"] = lambda base: (
            GZIP_TYPE, gzip.compress(self._news_sitemap(base, news), mtime=0), self._changed(news))
        latest = self.newest[:FEED_POSTS]
        documents["/feed/"] = lambda base: (RSS_TYPE, self._rss(base, "/feed/", None, latest), self._changed(latest))
        documents["/feed/atom/"] = lambda base: (ATOM_TYPE, self._atom(base, latest), self._changed(latest))
        documents["/comments/feed/"] = lambda base: (RSS_TYPE, self._comments_rss(base), newest)
        for listing in self.listings:
            items = listing.posts[:FEED_POSTS]
            documents[listing.base + "feed/"] = lambda base, listing=listing, items=items: (
                RSS_TYPE, self._rss(base, listing.base + "feed/", listing, items), self._changed(items))
        return documents

    # --- Site model --------------------------------------------------------------------
    def _make_listings(self) -> list[_Listing]:
        """Category archives (a parent lists its children's articles too), then tag and author archives."""
        by_path = {c.path: c for c in [*self.categories, _UNCATEGORIZED]}
        in_category: dict[tuple[str, ...], list[int]] = {path: [] for path in by_path}
        by_tag: list[list[int]] = [[] for _ in _TAGS]
        by_author: list[list[int]] = [[] for _ in _AUTHORS]
        for i in self.newest:
            post = self.posts[i]
            for path in dict.fromkeys(c.path[:k] for c in post.categories for k in range(1, len(c.path) + 1)):
                in_category[path].append(i)
            for t in post.tags:
                by_tag[t].append(i)
            by_author[post.author].append(i)
        listings = []
        for path, category in by_path.items():
            crumbs = [(name, by_path[path[: k + 1]].url) for k, name in enumerate(path)]
            listings.append(_Listing("category", category.url, category.name, crumbs, in_category[path],
                                     category.pagination, endless=self.traps and path == _ENDLESS_CATEGORY))
        for tag, members in zip(_TAGS, by_tag):
            url = f"/tag/{_slug(tag)}/"
            listings.append(_Listing("tag", url, f"Tag: {tag}", [(tag, url)], members, "path"))
        for author, members in zip(_AUTHORS, by_author):
            url = f"/author/{_slug(author)}/"
            listings.append(_Listing("author", url, f"Author: {author}", [(author, url)], members, "path"))
        return listings

    def related(self, i: int) -> list[int]:
        """Three other articles of the same top-level section nearest in date (fewer if the site is tiny)."""
        members = self.by_top[self.posts[i].categories[0].path[0]]
        k = self.top_position[i]
        picks = []
        for step in range(1, len(members)):
            picks += [members[j] for j in (k - step, k + step) if 0 <= j < len(members)]
            if len(picks) >= 3:
                return picks[:3]
        others = (j for j in self.newest if j != i and j not in picks)
        return picks + [j for _, j in zip(range(3 - len(picks)), others)]

    def _paragraphs(self, i: int) -> tuple[tuple[str, ...], ...]:
        """Body text of post ``i``: paragraphs of words, exactly ``post.words`` in all."""
        post = self.posts[i]
        rng = random.Random(f"{self.seed}:{post.post_id}")
        vocabulary = _TOPICS[post.categories[0].path[0]][2]
        count = max(3, min(12, round(post.words / 95)))
        weights = [rng.uniform(0.6, 1.4) for _ in range(count)]
        sizes = [int(post.words * w / sum(weights)) for w in weights]
        sizes[-1] += post.words - sum(sizes)
        paragraphs = []
        for size in sizes:
            words = [rng.choice(vocabulary) if rng.random() < 0.4 else rng.choice(_FILLER)
                     for _ in range(size)]
            start = 0
            while start < size:
                end = start + rng.randint(7, 18)
                end = size if size - end < 4 else end
                words[start] = words[start][0].upper() + words[start][1:]
                for k in range(start + 2, end - 2):
                    if rng.random() < 0.05:
                        words[k] += ","
                words[end - 1] += "."
                start = end
            paragraphs.append(tuple(words))
        if post.addenda:
            paragraphs[-1] += tuple(" ".join(post.addenda).split())
        return tuple(paragraphs)

    def _excerpt(self, i: int, words: int = 28) -> str:
        """The first ``words`` words of the body, trailing punctuation dropped."""
        first = [w for paragraph in self.paragraphs(i) for w in paragraph][:words]
        return " ".join(first).rstrip(".,")

    # --- Sitemaps and feeds ----------------------------------------------------------
    def _sitemap_children(self) -> list[tuple[str, datetime, Callable[[], list[tuple[str, datetime]]]]]:
        """``(path, lastmod, entries)`` of each child of ``/wp-sitemap.xml``, in WordPress core's order."""
        children: list[tuple[str, datetime, Callable[[], list[tuple[str, datetime]]]]] = []
        for start in range(0, len(self.posts), SITEMAP_POSTS):
            chunk = range(start, min(start + SITEMAP_POSTS, len(self.posts)))  # oldest first
            children.append((f"/wp-sitemap-posts-post-{start // SITEMAP_POSTS + 1}.xml",
                             max(self.posts[i].changed for i in chunk),
                             lambda chunk=chunk: [(self.posts[i].url, self.posts[i].changed) for i in chunk]))
        pages = [(url, _LAUNCH) for _, url, _ in _STATIC_PAGES]
        children.append(("/wp-sitemap-posts-page-1.xml", _LAUNCH, lambda: pages))
        for kind, name in (("category", "taxonomies-category"), ("tag", "taxonomies-post_tag"), ("author", "users")):
            entries = [(listing.base, self._changed(listing.posts)) for listing in self.listings
                       if listing.kind == kind and listing.posts]  # WordPress leaves out empty terms
            children.append((f"/wp-sitemap-{name}-1.xml", max(moment for _, moment in entries),
                             lambda entries=entries: entries))
        return children

    @staticmethod
    def _sitemap_index(base: str, children: list) -> bytes:
        rows = "".join(f"<sitemap><loc>{base}{path}</loc><lastmod>{lastmod.isoformat()}</lastmod></sitemap>\n"
                       for path, lastmod, _ in children)
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{_SITEMAP_NS}">\n{rows}'
                "</sitemapindex>\n").encode()

    @staticmethod
    def _urlset(base: str, entries: list[tuple[str, datetime]]) -> bytes:
        rows = "".join(f"<url><loc>{base}{path}</loc><lastmod>{moment.isoformat()}</lastmod></url>\n"
                       for path, moment in entries)
        return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{_SITEMAP_NS}">\n{rows}</urlset>\n'.encode()

    def _news_sitemap(self, base: str, indexes: list[int]) -> bytes:
        rows = []
        for j in indexes:
            post = self.posts[j]
            rows.append(f"<url>\n<loc>{base}{post.url}</loc>\n<news:news>\n<news:publication>"
                        f"<news:name>{_xml(SITE_NAME)}</news:name><news:language>en</news:language>"
                        "</news:publication>\n"
                        f"<news:publication_date>{post.published.isoformat()}</news:publication_date>\n"
                        f"<news:title>{_xml(post.headline)}</news:title>\n"
                        f"<news:keywords>{_xml(', '.join(_TAGS[t] for t in post.tags))}</news:keywords>\n"
                        "</news:news>\n</url>\n")
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{_SITEMAP_NS}" xmlns:news="{_NEWS_NS}">\n'
                + "".join(rows) + "</urlset>\n").encode()

    @staticmethod
    def _rss_document(base: str, self_path: str, title: str, link: str, built: datetime, items: str) -> bytes:
        return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"\n'
                '\txmlns:content="http://purl.org/rss/1.0/modules/content/"\n'
                '\txmlns:wfw="http://wellformedweb.org/CommentAPI/"\n'
                '\txmlns:dc="http://purl.org/dc/elements/1.1/"\n'
                '\txmlns:atom="http://www.w3.org/2005/Atom"\n'
                '\txmlns:sy="http://purl.org/rss/1.0/modules/syndication/"\n'
                '\txmlns:slash="http://purl.org/rss/1.0/modules/slash/"\n\t>\n\n<channel>\n'
                f"\t<title>{_xml(title)}</title>\n"
                f'\t<atom:link href="{base}{self_path}" rel="self" type="application/rss+xml" />\n'
                f"\t<link>{link}</link>\n\t<description>{_xml(_TAGLINE)}</description>\n"
                f"\t<lastBuildDate>{_rfc822(built)}</lastBuildDate>\n\t<language>en-US</language>\n"
                "\t<sy:updatePeriod>\n\thourly\t</sy:updatePeriod>\n\t<sy:updateFrequency>\n\t1\t</sy:updateFrequency>\n"
                f"\t<generator>https://wordpress.org/?v={_GENERATOR}</generator>\n"
                f"{items}</channel>\n</rss>\n").encode()

    def _rss(self, base: str, self_path: str, listing: _Listing | None, indexes: list[int]) -> bytes:
        """WordPress's RSS 2.0 feed of the posts ``indexes`` (the site's, or an archive's)."""
        items = []
        for j in indexes:
            post = self.posts[j]
            categories = [c.name for c in post.categories] + [_TAGS[t] for t in post.tags]
            items.append(
                "\t<item>\n"
                f"\t\t<title>{_xml(post.headline)}</title>\n"
                f"\t\t<link>{base}{post.url}</link>\n"
                f"\t\t<comments>{base}{post.url}#comments</comments>\n"
                f"\t\t<dc:creator>{_cdata(_AUTHORS[post.author])}</dc:creator>\n"
                f"\t\t<pubDate>{_rfc822(post.published)}</pubDate>\n"
                + "".join(f"\t\t<category>{_cdata(name)}</category>\n" for name in categories)
                + f'\t\t<guid isPermaLink="false">{base}/?p={post.post_id}</guid>\n'
                f"\t\t<description>{_cdata(self._excerpt(j, 55) + ' [&#8230;]')}</description>\n"
                f"\t\t<content:encoded>{_cdata(self._body(j))}</content:encoded>\n"
                f"\t\t<slash:comments>{post.comments}</slash:comments>\n"
                "\t</item>\n")
        if listing is None:
            title, link = SITE_NAME, base
        else:
            title, link = f"{listing.crumbs[-1][0]} – {SITE_NAME}", base + listing.base
        return self._rss_document(base, self_path, title, link, self._changed(indexes), "".join(items))

    def _comments_rss(self, base: str) -> bytes:
        return self._rss_document(base, "/comments/feed/", f"Comments for {SITE_NAME}", base, self.site_newest, "")

    def _atom(self, base: str, indexes: list[int]) -> bytes:
        """WordPress's Atom 1.0 feed of the posts ``indexes``."""
        entries = []
        for j in indexes:
            post = self.posts[j]
            categories = [c.name for c in post.categories] + [_TAGS[t] for t in post.tags]
            entries.append(
                "\t<entry>\n"
                f"\t\t<author>\n\t\t\t<name>{_xml(_AUTHORS[post.author])}</name>\n\t\t</author>\n"
                f'\t\t<title type="html">{_cdata(post.headline)}</title>\n'
                f'\t\t<link rel="alternate" type="text/html" href="{base}{post.url}" />\n'
                f"\t\t<id>{base}/?p={post.post_id}</id>\n"
                f"\t\t<updated>{_utc(post.changed)}</updated>\n"
                f"\t\t<published>{_utc(post.published)}</published>\n"
                + "".join(f'\t\t<category scheme="{base}" term="{_esc(name)}" />\n' for name in categories)
                + f'\t\t<summary type="html">{_cdata(self._excerpt(j, 55) + " [&#8230;]")}</summary>\n'
                f'\t\t<content type="html" xml:base="{base}{post.url}">{_cdata(self._body(j))}</content>\n'
                "\t</entry>\n")
        return ('<?xml version="1.0" encoding="UTF-8"?><feed\n  xmlns="http://www.w3.org/2005/Atom"\n'
                '  xmlns:thr="http://purl.org/syndication/thread/1.0"\n  xml:lang="en-US"\n  >\n'
                f'\t<title type="text">{_xml(SITE_NAME)}</title>\n'
                f'\t<subtitle type="text">{_xml(_TAGLINE)}</subtitle>\n\n'
                f"\t<updated>{_utc(self._changed(indexes))}</updated>\n\n"
                f'\t<link rel="alternate" type="text/html" href="{base}" />\n'
                f"\t<id>{base}/feed/atom/</id>\n"
                f'\t<link rel="self" type="application/atom+xml" href="{base}/feed/atom/" />\n\n'
                f'\t<generator uri="https://wordpress.org/" version="{_GENERATOR}">WordPress</generator>\n'
                + "".join(entries) + "</feed>\n").encode()

    # --- Traps ----------------------------------------------------------------------
    def _trap_route(self, key: str) -> Callable[[str], tuple[str, bytes, datetime]] | None:
        """Answers only a site built with traps gives: twins, date archives, extra tags, endless pages."""
        if key.endswith("?print=1") and key[:-8] in self.by_url:
            i = self.by_url[key[:-8]]
            return lambda base: (HTML_TYPE, self._print_page(i), self.posts[i].changed)
        if key.endswith("/amp/") and key[:-4] in self.by_url:
            i = self.by_url[key[:-4]]
            return lambda base: (HTML_TYPE, self._amp_page(i), self.posts[i].changed)
        match = _DATE_ARCHIVE.fullmatch(key)
        if match:
            year, month, day, page = (int(group) if group else None for group in match.groups())
            listing = self._date_listing(year, month, day)
            if listing is None or (page is not None and not 2 <= page <= listing.real_pages):
                return None
            return self._listing_route(listing, page or 1)
        if key.startswith("/tag/") and key.endswith("/"):
            slug, _, rest = key[5:].partition("/")
            if slug in self.extra_tags and rest in ("", "feed/"):
                listing = self._extra_tag_listing(slug)
                if not rest:
                    return self._listing_route(listing, 1)
                return lambda base: (RSS_TYPE, self._rss(base, key, listing, listing.posts[:FEED_POSTS]),
                                     self._changed(listing.posts[:FEED_POSTS]))
        if self.endless is not None and key.startswith(self.endless.base + "page/"):
            match = re.fullmatch(r"([1-9][0-9]*)/", key[len(self.endless.base) + 5:])
            if match and int(match[1]) > self.endless.real_pages:
                return self._listing_route(self.endless, int(match[1]))
        return None

    def _date_listing(self, year: int, month: int, day: int | None) -> _Listing | None:
        """A month (or day) archive; any month of years 1-9999 renders, even an empty one."""
        if not 1 <= year <= 9999 or not 1 <= month <= 12:
            return None
        name = f"{_MONTHS[month - 1]} {year}"
        crumbs = [(name, f"/{year:04d}/{month:02d}/")]
        if day is None:
            return _Listing("date", crumbs[0][1], f"Month: {name}", crumbs,
                            self.by_month.get((year, month), []), "path", month=(year, month))
        try:
            datetime(year, month, day)
        except ValueError:
            return None
        crumbs.append((str(day), f"/{year:04d}/{month:02d}/{day:02d}/"))
        return _Listing("date", crumbs[1][1], f"Day: {_MONTHS[month - 1]} {day}, {year}", crumbs,
                        self.by_day.get((year, month, day), []), "path", month=(year, month))

    def _extra_tag_listing(self, slug: str) -> _Listing:
        """A tag of the big tag cloud: the (at most one page of) articles whose headline has the word."""
        name = self.extra_tags[slug]
        needle = name.casefold()
        hits = [j for j in self.newest if needle in self.posts[j].headline.casefold()][:PER_PAGE]
        return _Listing("tag", f"/tag/{slug}/", f"Tag: {name}", [(name, f"/tag/{slug}/")], hits, "path")

    # --- Shared chrome ----------------------------------------------------------------
    def _menu_items(self, tops: list[str], id_base: int, li_prefix: str, with_pages: bool) -> str:
        items = []
        ident = id_base
        by_path = {c.path: c for c in self.categories}
        for top in tops:
            ident += 1
            top_ident = ident
            subs = []
            for sub in _TAXONOMY[top]:
                ident += 1
                subs.append(f'<li id="{li_prefix}{ident}" class="menu-item menu-item-type-taxonomy '
                            f'menu-item-object-category menu-item-{ident}"><a href="{by_path[(top, sub)].url}">'
                            f"{_esc(sub)}</a></li>")
            items.append(f'<li id="{li_prefix}{top_ident}" class="menu-item menu-item-type-taxonomy '
                         f'menu-item-object-category menu-item-has-children menu-item-{top_ident}">'
                         f'<a href="{by_path[(top,)].url}">{_esc(top)}</a>\n<ul class="sub-menu">\n'
                         + "\n".join(subs) + "\n</ul>\n</li>")
        if with_pages:
            for name, url, _ in _STATIC_PAGES:
                ident += 1
                items.append(f'<li id="{li_prefix}{ident}" class="menu-item menu-item-type-post_type '
                             f'menu-item-object-page menu-item-{ident}"><a href="{url}">{_esc(name)}</a></li>')
        return "\n".join(items)

    def _home_item(self, li_id: str) -> str:
        return (f'<li id="{li_id}" class="menu-item menu-item-type-custom menu-item-object-custom '
                f'menu-item-home"><a href="/">Home</a></li>\n')

    def _top_bar(self) -> str:
        return ('<div id="top-bar" class="top-bar"><nav class="top-navigation" aria-label="Top menu">\n'
                '<ul id="menu-top-menu" class="menu">\n'
                + self._menu_items(_TOP_MENU, 200, "menu-item-", True) + "\n</ul></nav></div>\n")

    def _header(self) -> str:
        return ('<header id="masthead" class="site-header">\n'
                f'<div class="site-branding"><p class="site-title"><a href="/" rel="home">{SITE_NAME}</a></p>'
                '<p class="site-description">Invented news, every day</p></div>\n'
                '<nav id="main-nav" class="main-navigation" aria-label="Main menu">\n'
                '<ul id="menu-main-menu" class="menu">\n' + self._home_item("menu-item-100")
                + self._menu_items(_MAIN_MENU, 100, "menu-item-", False) + "\n</ul></nav>\n"
                '<form role="search" method="get" class="search-form" action="/">'
                '<label><span class="screen-reader-text">Search for:</span>'
                '<input type="search" class="search-field" placeholder="Search …" value="" name="s"></label>'
                '<button type="submit" class="search-submit">Search</button></form>\n</header>\n')

    def _mobile_menu(self) -> str:
        return ('<div class="mobile-menu off-canvas" id="off-canvas" aria-hidden="true">\n'
                '<button class="off-canvas-close" type="button">Close</button>\n'
                '<ul id="mobile-menu-list" class="menu">\n' + self._home_item("mobile-menu-item-100")
                + self._menu_items(_MAIN_MENU, 100, "mobile-menu-item-", False) + "\n</ul></div>\n")

    def _card_minutes(self, j: int, current: int | None) -> int:
        """Reading time shown on a card for post ``j``: never the current article's own."""
        minutes = self.posts[j].minutes
        if current is not None and minutes == self.posts[current].minutes:
            return minutes + 4
        return minutes

    def _time(self, moment: datetime, css: str = "") -> str:
        """A WordPress ``<time>``: date as text, full local time with offset in ``datetime``."""
        attribute = f' class="{css}"' if css else ""
        return f'<time{attribute} datetime="{moment.isoformat()}">{_long_date(moment)}</time>'

    def _ticker(self, current: int | None) -> str:
        items = []
        for j in [j for j in self.trending if j != current][:4]:
            post = self.posts[j]
            items.append(f'<li class="trending-item"><h3 class="trending-title"><a href="{post.url}">'
                         f"{_esc(post.headline)}</a></h3>{self._time(post.published)} "
                         f'<span class="reading-time">Reading Time: {self._card_minutes(j, current)} '
                         "mins read</span></li>")
        return ('<div class="trending-ticker"><span class="trending-label">Trending</span>\n'
                '<ul class="trending-list">\n' + "\n".join(items) + "\n</ul></div>\n")

    def _sidebar(self, month: tuple[int, int]) -> str:
        """Recent News and the tag cloud; with traps, a bigger cloud, a calendar of ``month`` and searches."""
        recent = "\n".join(
            f'<li><h4 class="recent-title"><a href="{self.posts[j].url}">{_esc(self.posts[j].headline)}</a>'
            f'</h4><span class="recent-date">{_long_date(self.posts[j].published)}</span></li>'
            for j in self.recent)
        cloud = [(_slug(tag), tag) for tag in _TAGS] + list(self.extra_tags.items())
        tags = " ".join(f'<a href="/tag/{slug}/" class="tag-cloud-link">{_esc(tag)}</a>' for slug, tag in cloud)
        traps = ""
        if self.traps:
            searches = "\n".join(f'<li><a href="/?s={quote_plus(term)}">{_esc(term)}</a></li>'
                                 for term in _TRAP_SEARCHES)
            traps = (self._calendar(*month) + '<div class="widget widget_popular_searches">'
                     f'<h3 class="widget-title">Popular Searches</h3>\n<ul>\n{searches}\n</ul></div>\n')
        return ('<aside id="secondary" class="sidebar widget-area">\n'
                '<div class="widget widget_recent_news"><h3 class="widget-title">Recent News</h3>\n'
                f'<ul class="recent-news">\n{recent}\n</ul></div>\n'
                '<div class="widget widget_tag_cloud"><h3 class="widget-title">Tags</h3>'
                f'<div class="tagcloud">{tags}</div></div>\n{traps}</aside>\n')

    def _calendar(self, year: int, month: int) -> str:
        """WordPress's calendar widget; its « / » links are there for every month (a trap)."""
        rows = []
        for week in calendar.Calendar().monthdayscalendar(year, month):
            cells = []
            for day in week:
                if not day:
                    cells.append('<td class="pad">&nbsp;</td>')
                elif (year, month, day) in self.by_day:
                    cells.append(f'<td><a href="/{year:04d}/{month:02d}/{day:02d}/" aria-label="Posts published on '
                                 f'{_MONTHS[month - 1]} {day}, {year}">{day}</a></td>')
                else:
                    cells.append(f"<td>{day}</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        before = (year, month - 1) if month > 1 else (year - 1, 12)
        after = (year, month + 1) if month < 12 else (year + 1, 1)
        prev = (f'<a href="/{before[0]:04d}/{before[1]:02d}/">« {_MONTHS[before[1] - 1][:3]}</a>'
                if before[0] >= 1 else "")
        next_ = (f'<a href="/{after[0]:04d}/{after[1]:02d}/">{_MONTHS[after[1] - 1][:3]} »</a>'
                 if after[0] <= 9999 else "")
        days = "".join(f'<th scope="col" title="{day}">{day[0]}</th>' for day in _WEEKDAYS)
        return ('<div class="widget widget_calendar"><h3 class="widget-title">Archives</h3>'
                '<div id="calendar_wrap" class="calendar_wrap"><table id="wp-calendar" class="wp-calendar-table">\n'
                f"<caption>{_MONTHS[month - 1]} {year}</caption>\n<thead><tr>{days}</tr></thead>\n"
                "<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>"
                '<nav aria-label="Previous and next months" class="wp-calendar-nav">'
                f'<span class="wp-calendar-nav-prev">{prev}</span> <span class="pad">&nbsp;</span> '
                f'<span class="wp-calendar-nav-next">{next_}</span></nav></div></div>\n')

    def _footer(self) -> str:
        every = sorted([*self.categories, _UNCATEGORIZED], key=lambda c: c.name.casefold())
        cats = "\n".join(f'<li class="cat-item cat-item-{c.term_id}"><a href="{c.url}">{_esc(c.name)}</a></li>'
                         for c in every)
        by_path = {c.path: c for c in self.categories}
        flat = [(top, by_path[(top,)].url) for top in _TOP_MENU] + [(n, u) for n, u, _ in _STATIC_PAGES]
        menu = "\n".join(f'<li id="menu-item-{301 + k}" class="menu-item menu-item-{301 + k}">'
                         f'<a href="{url}">{_esc(name)}</a></li>' for k, (name, url) in enumerate(flat))
        return ('<footer id="colophon" class="site-footer">\n<div class="footer-widgets">\n'
                f'<div class="widget widget_text"><p>{SITE_NAME} is an invented news website made for '
                "software tests: its stories, people and places are fictional.</p></div>\n"
                '<div class="widget widget_categories"><h3 class="widget-title">Browse by Category</h3>\n'
                f"<ul>\n{cats}\n</ul></div>\n</div>\n"
                f'<nav class="footer-navigation"><ul id="menu-footer-menu" class="menu">\n{menu}\n</ul></nav>\n'
                f'<div class="site-info">© 2026 {SITE_NAME}. All rights reserved.</div>\n</footer>\n')

    def _login(self) -> str:
        return ('<div id="login-modal" class="modal login-modal" aria-hidden="true">\n'
                '<h3 class="modal-title">Welcome Back!</h3>\n<p>Login to your account below</p>\n'
                '<form name="loginform" action="/wp-login.php" method="post">'
                '<input type="text" name="log" placeholder="Username or Email">'
                '<input type="password" name="pwd" placeholder="Password">'
                '<label><input type="checkbox" name="rememberme" value="forever"> Remember Me</label>'
                '<button type="submit">Log In</button></form>\n'
                '<p><a href="/wp-login.php?action=lostpassword">Forgotten Password?</a></p>\n</div>\n')

    def _document(self, title: str, head: str, body_class: str, main: str, current: int | None,
                  feeds: str = "", month: tuple[int, int] | None = None) -> bytes:
        """A themed page; ``feeds``: more feed links for ``<head>``; ``month``: the calendar's (traps only)."""
        bottom = self.chrome_bottom if month is None or not self.traps else self._sidebar(month) + self.chrome_end
        return (f'<!DOCTYPE html>\n<html lang="en-US">\n<head>\n<meta charset="UTF-8">\n'
                '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                f"<title>{_esc(title)}</title>\n{_FEED_LINKS}{feeds}{head}</head>\n<body class=\"{body_class}\">\n"
                '<div id="page" class="site">\n' + self.chrome_top + self._ticker(current)
                + '<div id="content" class="site-content"><div class="container">\n'
                + main + bottom + "</body>\n</html>\n").encode()

    # --- Listings ---------------------------------------------------------------------
    def _card(self, j: int, heading: str = "h2", tracking: str = "") -> str:
        """An article card; ``tracking`` (a utm_source value) adds tracking parameters to its links."""
        post = self.posts[j]
        href = _esc(f"{post.url}?utm_source={tracking}&utm_medium=card") if tracking else post.url
        author = _AUTHORS[post.author]
        return (f'<article id="post-{post.post_id}" class="post-{post.post_id} post type-post status-publish '
                f'hentry category-{_slug(post.categories[0].name)}">\n'
                f'<figure class="post-thumbnail"><a href="{href}"><img src="{post.image}" alt="" '
                'loading="lazy" width="640" height="360"></a></figure>\n'
                f'<{heading} class="entry-title"><a href="{href}" rel="bookmark">{_esc(post.headline)}</a>'
                f"</{heading}>\n"
                f'<div class="entry-meta"><span class="byline">By <a href="/author/{_slug(author)}/">'
                f"{_esc(author)}</a></span> {self._time(post.published, 'entry-date published')} "
                f'<a class="comments-link" href="{post.url}#comments">{post.comments} Comments</a></div>\n'
                f'<div class="entry-summary"><p>{self._excerpt(j)} [&hellip;]</p></div>\n</article>\n')

    def _crumbs(self, trail: list[tuple[str, str]], last_as_text: bool) -> str:
        links = ['<a href="/">Home</a>']
        for k, (name, url) in enumerate(trail):
            if last_as_text and k == len(trail) - 1:
                links.append(f'<span class="breadcrumb_last" aria-current="page">{_esc(name)}</span>')
            else:
                links.append(f'<a href="{url}">{_esc(name)}</a>')
        return ('<nav class="breadcrumbs" aria-label="Breadcrumbs">'
                + ' <span class="separator">›</span> '.join(links) + "</nav>\n")

    def _pagination(self, listing: _Listing, page: int, pages: int) -> tuple[str, str]:
        """(``<head>`` links, pagination block) of one archive page."""
        def url(k: int) -> str:
            return _page_url(listing.base, k, listing.pagination)

        head = ""
        if listing.pagination != "query":
            head += f'<link rel="prev" href="{url(page - 1)}">\n' if page > 1 else ""
            head += f'<link rel="next" href="{url(page + 1)}">\n' if page < pages else ""
        if pages == 1:
            return head, ""
        if listing.pagination == "next-only":
            older = f'<div class="nav-previous"><a href="{url(page + 1)}" rel="next">Older posts</a></div>' \
                if page < pages else ""
            newer = f'<div class="nav-next"><a href="{url(page - 1)}" rel="prev">Newer posts</a></div>' \
                if page > 1 else ""
            return head, ('<nav class="navigation posts-navigation" aria-label="Posts">'
                          f'<div class="nav-links">{older}{newer}</div></nav>\n')
        links = [f'<a class="prev page-numbers" href="{url(page - 1)}">« Previous</a>'] if page > 1 else []
        previous = 0
        for k in sorted({1, page - 1, page, page + 1, pages} & set(range(1, pages + 1))):
            if k - previous > 1:
                links.append('<span class="page-numbers dots">…</span>')
            links.append(f'<span aria-current="page" class="page-numbers current">{k}</span>' if k == page
                         else f'<a class="page-numbers" href="{url(k)}">{k}</a>')
            previous = k
        if page < pages:
            links.append(f'<a class="next page-numbers" href="{url(page + 1)}">Next »</a>')
        return head, ('<nav class="navigation pagination" aria-label="Posts"><div class="nav-links">'
                      + "\n".join(links) + "</div></nav>\n")

    def _listing(self, listing: _Listing, page: int) -> bytes:
        """One archive page; past the real end of an endless archive, its last real page again."""
        real = listing.real_pages
        pages = max(real, page + 1) if listing.endless else real
        shown_page = min(page, real)
        shown = listing.posts[(shown_page - 1) * PER_PAGE: shown_page * PER_PAGE]
        head, nav = self._pagination(listing, page, pages)
        cards = "".join(self._card(j, tracking=listing.kind if k % 4 == 1 else "") for k, j in enumerate(shown)) \
            or '<p class="no-results">Nothing Found. It seems we can’t find what you’re looking for.</p>\n'
        suffix = f" – Page {page} of {pages}" if page > 1 else ""
        main = ('<main id="main" class="site-main">\n' + self._crumbs(listing.crumbs, True)
                + f'<header class="page-header"><h1 class="page-title">{_esc(listing.title)}</h1></header>\n'
                + cards + nav + "</main>\n")
        feeds = (f'<link rel="alternate" type="application/rss+xml" title="{_esc(listing.feed_title)}" '
                 f'href="{listing.base}feed/">\n') if listing.feed_title else ""
        body = self._document(f"{listing.title}{suffix} – {SITE_NAME}", head, listing.body_class, main, None,
                              feeds, listing.month)
        return _with_session_ids(body) if self.traps else body

    def _home(self) -> bytes:
        featured = "".join(self._card(j, "h3") for j in self.featured)
        latest = "".join(self._card(j, tracking="home" if k % 3 == 0 else "")
                         for k, j in enumerate(self.newest[:HOME_CARDS]))
        writers = "".join(f'<li><a href="/author/{_slug(a)}/">{_esc(a)}</a></li>' for a in _AUTHORS)
        main = ('<main id="main" class="site-main">\n'
                f'<section class="featured-posts"><h2 class="block-title">Featured</h2>\n{featured}</section>\n'
                f'<section class="latest-posts"><h2 class="block-title">Latest News</h2>\n{latest}</section>\n'
                f'<section class="our-writers"><h2 class="block-title">Our Writers</h2><ul>{writers}</ul>'
                "</section>\n</main>\n")
        return self._document(f"{SITE_NAME} – Invented news, every day", "", "home blog", main, None)

    def _search_hits(self, term: str) -> list[int]:
        needle = term.casefold().strip()
        return [j for j in self.newest if needle and needle in self.posts[j].headline.casefold()][:PER_PAGE]

    def _search(self, term: str) -> bytes:
        hits = self._search_hits(term)
        cards = "".join(self._card(j) for j in hits) or '<p class="no-results">Nothing Found.</p>\n'
        main = ('<main id="main" class="site-main">\n<header class="page-header"><h1 class="page-title">'
                f"Search Results for: {_esc(term)}</h1></header>\n{cards}</main>\n")
        return self._document(f"You searched for {term} – {SITE_NAME}",
                              '<meta name="robots" content="noindex, follow">\n', "search", main, None)

    def _static_page(self, name: str, url: str, page_id: int) -> bytes:
        if url == "/contact/":
            text = ("<p>Write to the newsroom with the form below; we read every message.</p>\n"
                    '<form class="contact-form" action="/contact/" method="post"><input type="email" '
                    'name="email" placeholder="Email"><textarea name="message"></textarea>'
                    "<button type=\"submit\">Send</button></form>\n")
        else:
            text = (f"<p>{SITE_NAME} is an invented news website. It exists so that crawlers can be "
                    "tested against a site with menus, sections and archives like a real one.</p>\n"
                    "<p>Every story, person and place on it is fictional.</p>\n")
        main = ('<main id="main" class="site-main">\n'
                f'<article id="post-{page_id}" class="post-{page_id} page type-page status-publish hentry">\n'
                f'<header class="entry-header"><h1 class="entry-title">{_esc(name)}</h1></header>\n'
                f'<div class="entry-content">\n{text}</div>\n</article>\n</main>\n')
        return self._document(f"{name} – {SITE_NAME}", f'<link rel="canonical" href="{url}">\n',
                              f"page-template-default page page-id-{page_id}", main, None)

    def _login_page(self) -> bytes:
        return ('<!DOCTYPE html>\n<html lang="en-US">\n<head><meta charset="UTF-8">'
                f"<title>Log In ‹ {SITE_NAME}</title></head>\n"
                f'<body class="login"><div id="login"><h1><a href="/">{SITE_NAME}</a></h1>\n'
                '<form name="loginform" id="loginform" action="/wp-login.php" method="post">'
                '<p><label for="user_login">Username or Email Address</label>'
                '<input type="text" name="log" id="user_login"></p>'
                '<p><label for="user_pass">Password</label><input type="password" name="pwd" id="user_pass"></p>'
                '<p class="submit"><input type="submit" name="wp-submit" value="Log In"></p></form>\n'
                '<p id="nav"><a href="/wp-login.php?action=lostpassword">Lost your password?</a></p>\n'
                '<p id="backtoblog"><a href="/">← Go to The Daily Demo</a></p></div></body>\n</html>\n').encode()

    # --- Article ----------------------------------------------------------------------
    def _article_crumbs(self, post: _Post) -> str:
        primary = post.categories[0]
        by_path = {c.path: c for c in self.categories}
        trail = [(name, by_path[primary.path[: k + 1]].url) for k, name in enumerate(primary.path)]
        if post.crumb_variant == "child-only":
            name, url = trail[-1]
            return f'<nav class="breadcrumbs" aria-label="Breadcrumbs"><a href="{url}">{_esc(name)}</a></nav>\n'
        if post.crumb_variant == "no-home":
            return ('<nav class="breadcrumbs" aria-label="Breadcrumbs">' + ' <span class="separator">›</span> '.join(
                f'<a href="{url}">{_esc(name)}</a>' for name, url in trail) + "</nav>\n")
        return self._crumbs(trail, post.crumb_variant == "home-last-text")

    def _json_ld(self, post: _Post) -> str:
        primary = post.categories[0]
        by_path = {c.path: c for c in self.categories}
        items = [("Home", "/")] + [(name, by_path[primary.path[: k + 1]].url)
                                   for k, name in enumerate(primary.path)]
        author = _AUTHORS[post.author]
        graph = [
            {"@type": "NewsArticle", "@id": post.url + "#article", "isPartOf": {"@id": post.url},
             "headline": post.headline, "datePublished": post.published.isoformat(),
             "dateModified": post.modified.isoformat(),
             "author": {"@type": "Person", "name": author, "url": f"/author/{_slug(author)}/"},
             "publisher": {"@type": "Organization", "name": SITE_NAME},
             "image": post.image, "articleSection": [c.name for c in post.categories],
             "keywords": [_TAGS[t] for t in post.tags], "inLanguage": "en-US",
             "mainEntityOfPage": {"@id": post.url}},
            {"@type": "BreadcrumbList", "@id": post.url + "#breadcrumb", "itemListElement": [
                *({"@type": "ListItem", "position": k + 1, "name": name, "item": url}
                  for k, (name, url) in enumerate(items)),
                {"@type": "ListItem", "position": len(items) + 1, "name": post.headline}]},
        ]
        data = json.dumps({"@context": "https://schema.org", "@graph": graph}, ensure_ascii=False)
        return '<script type="application/ld+json">' + data.replace("</", "<\\/") + "</script>\n"

    def _body(self, i: int) -> str:
        """The ``entry-content`` paragraphs; inline markup never splits or adds words."""
        related = self.related(i)
        out = []
        for k, paragraph in enumerate(self.paragraphs(i)):
            words = list(paragraph)
            if k == 1 and related:
                words[2] = f'<a href="{self.posts[related[0]].url}">{words[2]}</a>'
            elif k % 4 == 2:
                words[len(words) // 2] = f"<strong>{words[len(words) // 2]}</strong>"
            out.append("<p>" + " ".join(words) + "</p>")
        return "\n".join(out)

    def _comments(self, i: int) -> str:
        """The comments area: closed; with traps, the comments with a ``?replytocom=`` link each."""
        post = self.posts[i]
        title = f'<div id="comments" class="comments-area"><h2 class="comments-title">{post.comments} Comments</h2>'
        if not self.traps:
            return title + '<p class="no-comments">Comments are closed.</p></div>\n'
        rng = random.Random(f"{self.seed}:comments:{post.post_id}")
        items = []
        for k in range(post.comments):
            comment_id = post.post_id * 100 + k + 1
            items.append(
                f'<li id="comment-{comment_id}" class="comment"><article class="comment-body">'
                f'<footer class="comment-meta"><b class="fn">{_esc(rng.choice(_READERS))}</b></footer>'
                f'<div class="comment-content"><p>{_esc(rng.choice(_COMMENT_TEXTS))}</p></div>'
                f'<div class="reply"><a rel="nofollow" class="comment-reply-link" '
                f'href="{post.url}?replytocom={comment_id}#respond" data-commentid="{comment_id}">Reply</a>'
                "</div></article></li>")
        return (title + '<ol class="comment-list">\n' + "\n".join(items) + "\n</ol>\n"
                '<div id="respond" class="comment-respond"><h3 class="comment-reply-title">Leave a Reply</h3>'
                f'<form action="/wp-comments-post.php" method="post"><textarea name="comment"></textarea>'
                f'<input type="hidden" name="comment_post_ID" value="{post.post_id}">'
                '<button type="submit">Post Comment</button></form></div></div>\n')

    def _amp_page(self, i: int) -> bytes:
        """The AMP twin of an article (a trap: the same story at another URL, canonical to the article)."""
        post = self.posts[i]
        return ('<!doctype html>\n<html amp lang="en-US">\n<head><meta charset="utf-8">'
                f"<title>{_esc(post.headline)} – {SITE_NAME}</title>\n"
                f'<link rel="canonical" href="{post.url}">\n'
                '<meta name="viewport" content="width=device-width">\n'
                '<script async src="https://cdn.ampproject.org/v0.js"></script></head>\n'
                f'<body><header class="amp-header"><a href="/">{SITE_NAME}</a></header>\n'
                f'<article class="amp-post"><h1 class="amp-post-title">{_esc(post.headline)}</h1>\n'
                f'<div class="amp-post-meta">By {_esc(_AUTHORS[post.author])} '
                f"{self._time(post.published)}</div>\n"
                f'<div class="amp-post-content">\n{self._body(i)}\n</div></article>\n</body>\n</html>\n').encode()

    def _print_page(self, i: int) -> bytes:
        """The print twin of an article (a trap: the same story, no canonical link, ``noindex``)."""
        post = self.posts[i]
        return ('<!DOCTYPE html>\n<html lang="en-US">\n<head><meta charset="UTF-8">'
                f"<title>{_esc(post.headline)} – {SITE_NAME}</title>\n"
                '<meta name="robots" content="noindex, follow"></head>\n'
                f'<body class="print"><article><h1>{_esc(post.headline)}</h1>\n'
                f'<p class="print-meta">By {_esc(_AUTHORS[post.author])}, {_long_date(post.published)}</p>\n'
                f'<div class="entry-content">\n{self._body(i)}\n</div>\n'
                f'<p class="print-source">Source: <a href="{post.url}">{_esc(post.headline)}</a></p></article>'
                "</body>\n</html>\n").encode()

    def _article(self, i: int) -> bytes:
        post = self.posts[i]
        author = _AUTHORS[post.author]
        description = _esc(self._excerpt(i, 25) + "…")
        head = (f'<meta name="description" content="{description}">\n'
                '<meta property="og:locale" content="en_US">\n<meta property="og:type" content="article">\n'
                f'<meta property="og:title" content="{_esc(post.headline)}">\n'
                f'<meta property="og:description" content="{description}">\n'
                f'<meta property="og:url" content="{post.url}">\n'
                f'<meta property="og:site_name" content="{SITE_NAME}">\n'
                f'<meta property="og:image" content="{post.image}">\n'
                '<meta name="twitter:card" content="summary_large_image">\n')
        if post.has_canonical:
            head += f'<link rel="canonical" href="{post.url}">\n'
        if post.date_variant == "json-ld":
            head += self._json_ld(post)
        if self.traps:
            head += f'<link rel="amphtml" href="{post.url}amp/">\n'

        if post.date_variant == "text":
            date = f'<span class="post-date">{_long_date(post.published)} {_clock(post.published)}</span>'
        else:
            date = self._time(post.published, "entry-date published")
            if post.date_variant == "time" and post.modified:
                date += " " + self._time(post.modified, "updated")
        categories = ", ".join(f'<a href="{c.url}" rel="category tag">{_esc(c.name)}</a>'
                               for c in post.categories)
        label = (f' <span class="reading-time">Reading Time: {post.minutes} mins read</span>'
                 if post.has_label else "")
        tags = ", ".join(f'<a href="/tag/{_slug(_TAGS[t])}/" rel="tag">{_esc(_TAGS[t])}</a>' for t in post.tags)
        share = quote(post.url, safe="")
        related = "\n".join(
            f'<div class="related-post"><h3 class="related-post-title"><a href="{self.posts[j].url}">'
            f"{_esc(self.posts[j].headline)}</a></h3>{self._time(self.posts[j].published)} "
            f'<span class="reading-time">Reading Time: {self._card_minutes(j, i)} mins read</span></div>'
            for j in self.related(i))
        neighbours = ""
        if i > 0:
            neighbours += (f'<div class="nav-previous"><a href="{self.posts[i - 1].url}" rel="prev">'
                           '<span class="meta-nav">Previous Post</span> '
                           f'<span class="post-title">{_esc(self.posts[i - 1].headline)}</span></a></div>')
        if i < len(self.posts) - 1:
            neighbours += (f'<div class="nav-next"><a href="{self.posts[i + 1].url}" rel="next">'
                           '<span class="meta-nav">Next Post</span> '
                           f'<span class="post-title">{_esc(self.posts[i + 1].headline)}</span></a></div>')
        classes = " ".join([f"category-{_slug(c.name)}" for c in post.categories]
                           + [f"tag-{_slug(_TAGS[t])}" for t in post.tags])
        main = (
            '<main id="main" class="site-main">\n'
            f'<article id="post-{post.post_id}" class="post-{post.post_id} post type-post status-publish '
            f'format-standard has-post-thumbnail hentry {classes}">\n'
            + self._article_crumbs(post)
            + '<header class="entry-header">\n'
            f'<h1 class="entry-title">{_esc(post.headline)}</h1>\n'
            '<div class="entry-meta"><span class="byline">By <span class="author vcard">'
            f'<a class="url fn n" href="/author/{_slug(author)}/" rel="author">{_esc(author)}</a></span></span> '
            f'<span class="posted-on">{date}</span> <span class="cat-links">in {categories}</span>{label}</div>\n'
            "</header>\n"
            f'<figure class="post-thumbnail"><img src="{post.image}" alt="{_esc(post.headline)}" '
            'width="1200" height="675"></figure>\n'
            f'<div class="entry-content">\n{self._body(i)}\n</div>\n'
            f'<footer class="entry-footer"><span class="tags-links">Tags: {tags}</span></footer>\n'
            '<div class="share-bar">'
            f'<a class="share-facebook" href="https://www.facebook.com/sharer/sharer.php?u={share}" '
            'rel="nofollow noopener" target="_blank">Share on Facebook</a> '
            f'<a class="share-twitter" href="https://twitter.com/intent/tweet?url={share}" '
            'rel="nofollow noopener" target="_blank">Share on Twitter</a>'
            + (f' <a class="share-print" href="{post.url}?print=1" rel="nofollow">Print</a>' if self.traps else "")
            + "</div>\n"
            f'<nav class="navigation post-navigation" aria-label="Posts"><div class="nav-links">{neighbours}'
            "</div></nav>\n"
            f'<section class="related-posts"><h2 class="related-posts-title">Related Posts</h2>\n{related}\n'
            "</section>\n"
            f'<div class="comments-count"><a href="{post.url}#comments">{post.comments} Comments</a></div>\n'
            + self._comments(i) +
            "</article>\n</main>\n")
        return self._document(f"{post.headline} – {SITE_NAME}", head,
                              f"post-template-default single single-post postid-{post.post_id}", main, i)


_DATE_ARCHIVE = re.compile(r"/(\d{4})/(\d{2})/(?:(\d{2})/)?(?:page/(\d+)/)?")
_LISTING_HREF = re.compile(
    rb'href="(/(?:(?:category|tag|author)/(?:[a-z0-9-]+/)+|\d{4}/\d{2}/(?:\d{2}/)?(?:page/\d+/)?))((?:\?[^"#]*)?)"')


def _with_session_ids(body: bytes) -> bytes:
    """Add one random ``sid`` to every link to an archive page (a trap: the URLs differ on every render)."""
    sid = os.urandom(8).hex().encode()

    def add(match: re.Match) -> bytes:
        path, query = match.group(1), match.group(2)
        if path.endswith(b"/feed/"):
            return match.group(0)
        return b'href="' + path + query + (b"&amp;" if query else b"?") + b"sid=" + sid + b'"'

    return _LISTING_HREF.sub(add, body)


def _ground_truth(post: _Post) -> dict:
    return {
        "url": post.url,
        "headline": post.headline,
        "datePublished": _utc(post.published),
        "datePublishedLocal": post.published.isoformat(),
        "dateModified": _utc(post.modified) if post.modified else None,
        "section": list(post.categories[0].path),
        "sections": [list(c.path) for c in post.categories],
        "authors": [_AUTHORS[post.author]],
        "tags": [_TAGS[t] for t in post.tags],
        "readingTimeMinutes": post.minutes,
        "readingTimeSource": "label" if post.has_label else "computed",
        "wordCount": post.word_count,
        "dateVariant": post.date_variant,
        "breadcrumbVariant": post.crumb_variant,
        "hasCanonical": post.has_canonical,
    }


@dataclass
class _State:
    """What a build made, and what ``publish()`` / ``edit()`` changed since; guarded by ``lock``."""

    posts: list[_Post]  # every built post, oldest first, edits applied
    visible: int  # posts[:visible] are published
    categories: list[_Category]
    seed: int
    traps: bool
    renderer: _Renderer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def render(self) -> _Renderer:
        self.renderer = _Renderer(self.posts[: self.visible], self.categories, self.seed, self.traps)
        return self.renderer


@dataclass(frozen=True)
class DemoResponse:
    """One answer of the site: ``status``, response ``headers`` (``Content-Type``, ``Location``,
    ``Last-Modified``, ``ETag`` as they apply) and ``body`` (empty for 304)."""

    status: int
    headers: dict[str, str]
    body: bytes


_MOVED = '<!DOCTYPE html>\n<html><body><a href="{}">Moved</a></body></html>\n'


def _not_modified(request_headers: Mapping[str, str], etag: str, modified: datetime | None) -> bool:
    """Whether a conditional GET is answered 304: ``If-None-Match`` decides if present, else ``If-Modified-Since``."""
    headers = {name.lower(): value for name, value in request_headers.items()}
    match = headers.get("if-none-match")
    if match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in match.split(",")}
        return etag in tags or "*" in tags
    since = headers.get("if-modified-since")
    if since is None or modified is None:
        return False
    try:
        moment = parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError):
        return False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment >= modified.replace(microsecond=0)


@dataclass
class DemoSite:
    """A built demo site and what a crawler should extract from it.

    ``pages``: lazy mapping of path with query string (``"/"``,
    ``"/category/world-news/page/2/"``, ``"/category/politics/?paged=2"``,
    ``"/2025/02/19/<slug>/"``, ``"/feed/"``, ``"/wp-sitemap.xml"``,
    ``"/?s=term"``) to ``(content_type, body_bytes)``; only canonical keys
    exist (no tracking parameters, trailing ``/`` kept). Sitemaps, feeds and
    robots.txt read through it carry ``http://demo.invalid`` absolute URLs;
    ``get()`` / ``respond()`` take the real base URL.

    ``ground_truth``: one dict per published article, oldest first, with keys
    ``url`` (path), ``headline``, ``datePublished`` (UTC, ``...Z``, minute
    precision), ``datePublishedLocal`` (``+08:00``), ``dateModified`` (UTC,
    or None when the page shows no modification date), ``section`` (menu
    path of the primary category), ``sections`` (all category paths, primary
    first), ``authors``, ``tags``, ``readingTimeMinutes`` (int minutes),
    ``readingTimeSource`` (``label``/``computed``), ``wordCount`` (words of
    the ``entry-content`` paragraphs), ``dateVariant``
    (``json-ld``/``time``/``text``), ``breadcrumbVariant``
    (``home``/``home-last-text``/``no-home``/``child-only``) and
    ``hasCanonical`` (whether ``<link rel="canonical">`` is present). The
    list object stays the same; ``publish()`` and ``edit()`` update it in place.

    ``sections``: ``{"path": [names], "url": path}`` for every menu category
    of both menus, each once, top-level before its children.

    ``non_article_paths``: paths that must never become articles (home,
    archives and their pages, static pages, login, robots.txt, feeds,
    sitemaps, a search); updated in place by ``publish()``.

    ``endless_archive``: with traps, the category whose ``page/N/`` never
    ends (``"/category/world-news/"``); else None.
    """

    pages: Mapping[str, tuple[str, bytes]] = field(repr=False)
    ground_truth: list[dict] = field(repr=False)
    sections: list[dict] = field(repr=False)
    non_article_paths: list[str] = field(repr=False)
    timezone: str = SITE_TIMEZONE
    name: str = SITE_NAME
    endless_archive: str | None = None
    _state: _State | None = field(default=None, repr=False, compare=False)

    # --- Publishing -----------------------------------------------------------------
    @property
    def unpublished(self) -> int:
        """How many built articles are still hidden."""
        return len(self._state.posts) - self._state.visible if self._state else 0

    @property
    def real_page_count(self) -> int:
        """Distinct real pages: home, archive pages (category, tag, author), articles, static pages.

        Feeds, sitemaps, robots.txt, login, searches and trap pages are not
        counted: a crawler that avoids the traps fetches about this many HTML pages.
        """
        pages = self.pages if isinstance(self.pages, _Renderer) else self._require_state().renderer
        return pages.real_page_count

    def publish(self, k: int = 1) -> list[dict]:
        """Make the next ``k`` hidden articles (oldest hidden first) visible everywhere at once.

        :param k: how many; fewer are published when fewer are hidden.
        :return: the ground-truth dicts of the articles just published.
        """
        state = self._require_state()
        with state.lock:
            start = state.visible
            state.visible = min(len(state.posts), start + max(0, k))
            self._install(state.render())
            return [_ground_truth(post) for post in state.posts[start: state.visible]]

    def edit(self, k: int = 1) -> list[str]:
        """Revise ``k`` published articles: one sentence added to the body and a new modified time.

        The articles are chosen deterministically: those with a visible
        modification date (``json-ld`` and ``time`` date variants), least
        edited first, nearest the middle of the archive first. The new
        modified time is an hour after the newest publication or
        modification on the site, or the current time if that is later (a
        minute apart within one call), so
        their ``Last-Modified`` and ``ETag`` change, and their ground truth
        (``dateModified``, ``wordCount``, ``readingTimeMinutes``) is updated.

        :return: the URL paths of the edited articles, oldest first.
        """
        state = self._require_state()
        with state.lock:
            visible = state.posts[: state.visible]
            middle = (len(visible) - 1) / 2
            chosen = sorted(sorted((i for i, post in enumerate(visible) if post.date_variant != "text"),
                                   key=lambda i: (len(visible[i].addenda), abs(i - middle), i))[: max(0, k)])
            # Not before the real clock: a crawler compares sitemap lastmods with its own last run.
            now = datetime.now(_TZ).replace(second=0, microsecond=0) + timedelta(minutes=1)
            after = max(max(post.changed for post in visible) + timedelta(hours=1), now)
            for n, i in enumerate(chosen):
                post = state.posts[i]
                modified = after + timedelta(minutes=n)
                addenda = (*post.addenda, f"Updated on {_long_date(modified)} with new details from the newsroom.")
                computed = math.ceil((post.words + sum(len(a.split()) for a in addenda)) / 200)
                state.posts[i] = replace(post, modified=modified, addenda=addenda,
                                         minutes=computed + 1 if post.has_label else computed)
            self._install(state.render())
            return [state.posts[i].url for i in chosen]

    def _require_state(self) -> _State:
        if self._state is None:
            raise RuntimeError("this DemoSite was not made by build_demo_site()")
        return self._state

    def _install(self, renderer: _Renderer) -> None:
        """Serve ``renderer`` from now on; ground truth and non-article paths follow, in place."""
        self.pages = renderer
        self.ground_truth[:] = [_ground_truth(post) for post in renderer.posts]
        self.non_article_paths[:] = [key for key in renderer.keys if key not in renderer.by_url] + ["/?s=demo"]

    # --- Answering requests ----------------------------------------------------------
    def get(self, path_with_query: str, base_url: str = DEFAULT_BASE_URL) -> tuple[int, str, bytes]:
        """Answer one request target as the site would: ``(status, content_type, body)``.

        200 for a page (unknown query parameters such as ``utm_*`` are ignored,
        ``paged=N`` selects an archive page only where the site paginates that
        way, ``s`` on ``/`` searches); 301 for a path lacking only its trailing
        ``/`` (its ``Location`` is that path plus ``/``), for ``/sitemap.xml``
        (to ``/wp-sitemap.xml``) and for ``/?p=<post id>`` (to the article),
        those two with absolute ``Location``; 404 with a small HTML page
        otherwise. The fragment, if any, is ignored. ``base_url`` (scheme and
        host) prefixes the absolute URLs of sitemaps, feeds and robots.txt.
        """
        response = self.respond(path_with_query, base_url)
        return response.status, response.headers["Content-Type"], response.body

    def respond(self, target: str, base_url: str = DEFAULT_BASE_URL,
                headers: Mapping[str, str] | None = None) -> DemoResponse:
        """Answer a GET of ``target`` with request ``headers``, as ``get()`` but with response headers.

        A 200 carries ``ETag`` (quoted, from the body bytes) and ``Last-Modified``
        (an article: its modified, else published time; a listing, feed or
        sitemap: the newest change among the posts it shows; anything else, or
        a listing that shows none: the newest change on the site). It becomes
        a bodiless 304 when ``If-None-Match`` names the ETag (or is ``*``), or,
        without ``If-None-Match``, when ``If-Modified-Since`` is not before
        ``Last-Modified``. When ``pages`` was replaced by a mapping that is not
        the site's own, responses carry only the ``ETag``.
        """
        base = base_url.rstrip("/")
        pages = self.pages  # one state for the whole answer, even if publish() runs meanwhile
        token = _BASE_URL.set(base)
        try:
            status, content_type, body, location, modified = self._lookup(pages, target, base)
        finally:
            _BASE_URL.reset(token)
        if status != 200:
            return DemoResponse(status, {"Content-Type": content_type, **({"Location": location} if location else {})},
                                body)
        validators = {"Last-Modified": _http_date(modified)} if modified else {}
        validators["ETag"] = _etag(body)
        if headers is not None and _not_modified(headers, validators["ETag"], modified):
            return DemoResponse(304, validators, b"")
        return DemoResponse(200, {"Content-Type": content_type, **validators}, body)

    def _lookup(self, pages: Mapping[str, tuple[str, bytes]], target: str, base: str
                ) -> tuple[int, str, bytes, str | None, datetime | None]:
        parts = urlsplit(target)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        path = parts.path or "/"
        location = None
        if path == "/sitemap.xml":
            location = base + "/wp-sitemap.xml"
        elif path == "/" and params.get("p", "").isdigit() and "s" not in params and isinstance(pages, _Renderer):
            i = pages.by_id.get(int(params["p"]))
            location = base + pages.posts[i].url if i is not None else None
        if location:
            return 301, HTML_TYPE, _MOVED.format(_esc(location)).encode(), location, None
        key = self._key(pages, path, params)
        if isinstance(pages, _Renderer):
            answer = pages._route(key)
            if answer is not None:
                content_type, body, modified = answer(base)
                return 200, content_type, body, None, modified
        elif key in pages:
            content_type, body = pages[key]
            return 200, content_type, body, None, None
        if not path.endswith("/") and self._key(pages, path + "/", params) in pages:
            location = path + "/" + (f"?{parts.query}" if parts.query else "")
            return 301, HTML_TYPE, _MOVED.format(_esc(location)).encode(), location, None
        return 404, HTML_TYPE, _NOT_FOUND_BODY, None, None

    @staticmethod
    def _key(pages: Mapping[str, tuple[str, bytes]], path: str, params: dict[str, str]) -> str:
        if path == "/" and "s" in params:
            return "/?s=" + quote_plus(params["s"])
        if params.get("print") == "1" and getattr(pages, "traps", False):
            return path + "?print=1"
        paged = params.get("paged", "1")
        return f"{path}?paged={paged}" if paged != "1" else path


def build_demo_site(n_articles: int = 72, seed: int = 7, unpublished: int = 0, traps: bool = False) -> DemoSite:
    """Build the demo site with ``n_articles`` articles (>= 1), deterministically from ``seed``.

    Articles are dated over the 730 days before 2026-11-01 (Singapore time)
    and spread evenly over the 11 top-level sections. Building is cheap
    (pages render on request): 5,000 articles take well under a second.

    :param unpublished: how many of the newest articles start hidden (0 to
        ``n_articles - 1``): they appear nowhere and their URLs 404 until
        ``DemoSite.publish()``. The articles themselves do not depend on it.
    :param traps: add crawler traps (see the module docstring); off by
        default, and without them the pages do not change.
    """
    if n_articles < 1:
        raise ValueError("n_articles must be at least 1")
    if not 0 <= unpublished < n_articles:
        raise ValueError("unpublished must be between 0 and n_articles - 1")
    categories = _categories()
    state = _State(_make_posts(n_articles, seed, categories), n_articles - unpublished, categories, seed, traps)
    renderer = state.render()
    by_path = {c.path: c for c in categories}
    menu_paths = [c.path for c in categories if c.path[0] in _MAIN_MENU]
    menu_paths += [c.path for c in categories if c.path[0] in _TOP_MENU and c.path[0] not in _MAIN_MENU]
    site = DemoSite(
        pages=renderer,
        ground_truth=[],
        sections=[{"path": list(path), "url": by_path[path].url} for path in menu_paths],
        non_article_paths=[],
        endless_archive=renderer.endless.base if renderer.endless else None,
        _state=state,
    )
    site._install(renderer)
    return site


_HOST = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:  # a client hung up: not our business
        pass


class DemoServer:
    """Serve a ``DemoSite`` on ``host:port`` (port 0: an ephemeral port) from a background thread.

    Use as a context manager, or call ``start()`` / ``stop()``. The socket is
    bound on construction, so ``base_url`` (``"http://127.0.0.1:PORT"``) is
    known at once. ``requests`` logs every request target (path with query)
    in arrival order, ``responses`` every ``(target, status)`` once answered
    (count the 304s there). Absolute URLs in sitemaps, feeds and robots.txt
    use the request's ``Host`` (else ``base_url``). Answers GET and HEAD over
    HTTP/1.1 with keep-alive, conditional requests with 304, writes nothing
    to stderr. ``site.publish()`` / ``site.edit()`` show at once; ``site``
    may be replaced while serving. A stopped server cannot be restarted.
    """

    def __init__(self, site: DemoSite, host: str = "127.0.0.1", port: int = 0):
        self.site = site
        self.requests: list[str] = []
        self.responses: list[tuple[str, int]] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._httpd = _QuietServer((host, port), self._handler_class())
        bound_host, bound_port = self._httpd.server_address[:2]
        self.base_url = f"http://{bound_host}:{bound_port}"

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "DemoPress/1.0"

            def do_GET(self) -> None:
                self._answer(send_body=True)

            def do_HEAD(self) -> None:
                self._answer(send_body=False)

            def _answer(self, send_body: bool) -> None:
                with server._lock:
                    server.requests.append(self.path)
                host = self.headers.get("Host", "")
                base = f"http://{host}" if _HOST.fullmatch(host) else server.base_url
                response = server.site.respond(self.path, base, self.headers)
                with server._lock:
                    server.responses.append((self.path, response.status))
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                if response.status != 304:
                    self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                if send_body and response.body:
                    self.wfile.write(response.body)

            def log_message(self, format: str, *args) -> None:
                pass

        return Handler

    def start(self) -> DemoServer:
        """Start serving in a daemon thread; returns ``self``."""
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="demo-site", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
