"""A small news site on 127.0.0.1 that serves bad and hostile responses.

:class:`HostileSite` runs a threaded HTTP server on an ephemeral port of
127.0.0.1 (daemon threads, no output, stoppable) that serves the fictional
"Lowmere Ledger": a home page with a two-level section menu, one listing page
per section with ``<h2><a>`` cards, good article pages, and one path per bad
or hostile case (:data:`BAD`):

* ``not_found`` (404), ``server_error`` (500), ``redirect_loop`` (A → B → A),
  ``empty`` (200 with no body), ``pdf`` (``application/pdf`` bytes);
* ``gzip_bomb``: ``Content-Encoding: gzip`` whose body inflates to 1 GiB of
  zeros (about 1 MB on the wire; built once per process, streaming);
* ``huge``: a 60 MB HTML page streamed in chunks (chunked transfer encoding,
  no ``Content-Length``: the client only learns the size by reading);
* ``trickle``: an HTML page sent one byte per second for as long as the
  client keeps the connection (until the server stops);
* ``binary``: random bytes labelled ``text/html``;
* ``nested``: 100,000 nested ``<div>`` elements.

Three good articles are hard to read but must be archived (:data:`GOOD`):
broken markup, a UTF-8 page with a BOM whose header claims
``windows-1251``, and a Latin-1 page that declares its charset only in
``<meta>``.

Every request is recorded in :attr:`HostileSite.hits` (path, status, start,
end, bytes sent, whether the client went away). :attr:`HostileSite.outage`
maps paths to a failure (``"500"``, ``"503"``, ``"404"``, ``"empty"``) to
serve instead of the page, for a later crawl of the same site.

All text is fixture text written for these tests; the places and people are
made up.
"""

from __future__ import annotations

import random
import threading
import time
import zlib
from dataclasses import dataclass
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional
from urllib.parse import urlsplit

SITE_NAME = "The Lowmere Ledger"

# Sizes of the hostile responses.
GZIP_BOMB_INFLATED = 1 << 30  # 1 GiB of zeros once inflated
HUGE_PAGE_BYTES = 60 * 1000 * 1000  # 60 MB
NESTED_DEPTH = 100_000
BINARY_BYTES = 256 * 1024

# --- taxonomy -------------------------------------------------------------------
# (path in the menu, listing URL path); parents before their children.
SECTIONS: list[tuple[tuple[str, ...], str]] = [
    (("World",), "/category/world/"),
    (("World", "Asia"), "/category/world/asia/"),
    (("World", "Europe"), "/category/world/europe/"),
    (("Business",), "/category/business/"),
    (("Business", "Markets"), "/category/business/markets/"),
    (("Science",), "/category/science/"),
    (("Culture",), "/category/culture/"),
]
SECTION_URL = {path: url for path, url in SECTIONS}


@dataclass(frozen=True)
class GoodArticle:
    """An article page the crawl must archive, with its exact headline."""

    key: str
    path: str
    headline: str
    section: tuple[str, ...]
    published: str  # the <time datetime> value
    author: str
    lang: str = "en"
    paragraphs: tuple[str, ...] = ()


# --- fixture text ------------------------------------------------------------------
_SHARED_EN = (
    "Residents who spoke to the Ledger on Tuesday said the change had been discussed "
    "for years at evening meetings in the old corn exchange, where a hand-drawn map of the "
    "{topic} still hangs beside the notice board. Several of them asked that the work be "
    "finished before the summer fair brings visitors to the valley.",
    "A spokesperson for the district council said the budget for the {topic} had been set "
    "aside in the autumn and that no further charge would fall on households. The council "
    "will publish a short progress note each month and invites written comments from anyone "
    "who lives or works nearby.",
    "Local shopkeepers were cautiously pleased. One baker on Mill Lane said that anything "
    "which brings more people along the high street in the quiet months is welcome, although "
    "she hoped the noise would be kept to the mornings. A full public meeting on the {topic} "
    "is planned for the first Thursday of next month in the library hall.",
)


def _english(lede: str, detail: str, topic: str) -> tuple[str, ...]:
    return (lede, detail, *(p.format(topic=topic) for p in _SHARED_EN))


GOOD_ARTICLES: list[GoodArticle] = [
    GoodArticle(
        key="ferry",
        path="/2025/03/14/river-ferry-timetable-extended/",
        headline="River Ferry Timetable Extended Into the Evening",
        section=("World", "Asia"),
        published="2025-03-14T09:30:00+00:00",
        author="Priya Castellan",
        paragraphs=_english(
            "The small passenger ferry that crosses the Lowe at Harrow Point will run until nine "
            "in the evening from next week, two hours later than it does now.",
            "The ferry company said the later crossings would be tried for three months and kept "
            "if at least forty people a night use them.",
            "ferry timetable",
        ),
    ),
    GoodArticle(
        key="night_market",
        path="/2025/03/12/council-approves-night-market/",
        headline="Council Approves a Monthly Night Market on the Quay",
        section=("Business", "Markets"),
        published="2025-03-12T18:05:00+00:00",
        author="Tomas Wrenfield",
        paragraphs=_english(
            "Stallholders will be allowed to trade on Lowmere quay after dark on the last Friday "
            "of every month, the district council decided on Monday evening.",
            "Thirty pitches will be offered first to traders who already hold a licence for the "
            "Saturday market, with the rest drawn by lot.",
            "night market",
        ),
    ),
    GoodArticle(
        key="observatory",
        path="/2025/03/10/observatory-records-clearest-winter/",
        headline="Hill Observatory Records Its Clearest Winter in a Decade",
        section=("Science",),
        published="2025-03-10T07:45:00+00:00",
        author="Agnes Moorcroft",
        paragraphs=_english(
            "Volunteers at the observatory on Cobble Hill logged sixty-one clear nights between "
            "December and February, more than in any winter since their records began.",
            "The group says dry easterly winds kept cloud away for long stretches and that its "
            "new camera caught several faint comets as a result.",
            "observatory open evenings",
        ),
    ),
    GoodArticle(
        key="printmaking",
        path="/2025/03/09/library-opens-printmaking-studio/",
        headline="Library Opens a Printmaking Studio in Its Old Reading Room",
        section=("Culture",),
        published="2025-03-09T11:00:00+00:00",
        author="Jonah Pellinore",
        paragraphs=_english(
            "Two restored hand presses now stand in the former reading room of the Lowmere "
            "library, which reopened on Saturday as a studio anyone can book by the hour.",
            "Beginners can join a free introductory session on Wednesday afternoons, and paper "
            "and ink are provided at cost.",
            "printmaking studio",
        ),
    ),
    GoodArticle(
        key="orchards",
        path="/2025/03/08/orchard-growers-form-cooperative/",
        headline="Orchard Growers Form a Cooperative to Share a Cider Press",
        section=("Business",),
        published="2025-03-08T14:20:00+00:00",
        author="Maren Ashdown",
        paragraphs=_english(
            "Eleven family orchards in the upper valley have formed a cooperative to buy and "
            "share a modern cider press, ending years of hiring one from outside the county.",
            "The press will be housed in a barn at Fallow End and booked through a shared "
            "calendar during the picking season.",
            "cider press",
        ),
    ),
    GoodArticle(
        key="broken_markup",
        path="/2025/03/07/tram-depot-gets-solar-roof/",
        headline="Tram Depot Gets a Solar Roof",
        section=("World", "Europe"),
        published="2025-03-07T08:00:00+00:00",
        author="Ines Okafor",
        paragraphs=_english(
            "Workers began fixing solar panels to the roof of the Northgate tram depot this "
            "week, in a project the operator says will cover a fifth of the depot's power.",
            "The panels are mounted on light frames so that the listed brick roof underneath "
            "does not need to be altered.",
            "solar roof",
        ),
    ),
    GoodArticle(
        key="cyrillic_bom",
        path="/2025/03/06/novyi-peshekhodnyi-most/",
        headline="Новый пешеходный мост соединил оба берега Ловы",
        section=("World", "Europe"),
        published="2025-03-06T10:15:00+00:00",
        author="Мирослава Ветрова",
        lang="ru",
        paragraphs=(
            "В субботу утром в Ловмере открыли новый пешеходный мост через реку Лову. Первые "
            "прохожие перешли на другой берег ещё до того, как строители успели убрать ограждения.",
            "Мост длиной восемьдесят метров построен из стали и лиственницы. Он заменил старую "
            "деревянную переправу, которую закрыли прошлой осенью после сильного паводка.",
            "Жители соседних улиц говорят, что теперь дорога до рынка и до школы занимает "
            "десять минут вместо получаса. Особенно рады пожилые люди, которым раньше "
            "приходилось ждать автобус на остановке у вокзала.",
            "Районный совет сообщил, что работы обошлись дешевле, чем планировалось, а "
            "оставшиеся средства пойдут на освещение набережной. Фонари обещают установить "
            "до начала лета, когда в город приезжает больше гостей.",
            "Вечером на мосту играл духовой оркестр городской школы, а местная пекарня "
            "угощала всех желающих пирогами с яблоками. Следующее собрание жителей, на "
            "котором обсудят благоустройство берега, пройдёт в библиотеке в первый четверг "
            "следующего месяца.",
            "Архитекторы рассказали, что перила моста сделаны достаточно высокими, чтобы по "
            "нему могли спокойно ходить дети, а пологие спуски на обоих берегах удобны для "
            "колясок и велосипедов. Зимой настил будут очищать от снега каждое утро.",
        ),
    ),
    GoodArticle(
        key="latin1_meta",
        path="/2025/03/05/groessere-bruecke-fuer-muenchen/",
        headline="Größere Brücke für München",
        section=("World", "Europe"),
        published="2025-03-05T16:40:00+00:00",
        author="Jörg Süßmann",
        lang="de",
        paragraphs=(
            "Die Planer einer erfundenen Stadtverwaltung haben am Dienstag Entwürfe für eine "
            "größere Fußgängerbrücke vorgestellt, die zwei Ufer eines kleinen Flusses verbinden soll.",
            "Die neue Brücke wäre etwa doppelt so breit wie die alte, damit Radfahrer und "
            "Fußgänger einander nicht mehr ausweichen müssen. Außerdem sind Bänke und eine "
            "Aussichtsplattform über dem Wasser vorgesehen.",
            "Anwohner äußerten sich überwiegend zufrieden. Eine Bäckerin aus der Nachbarschaft "
            "sagte, größere Wege brächten mehr Kundschaft, solange die Bauarbeiten nicht zu "
            "lange dauerten. Einige Gärtner befürchten jedoch, dass alte Bäume am Ufer "
            "gefällt werden müssen.",
            "Die Verwaltung betonte, dass die Bäume erhalten bleiben sollen und die Brücke "
            "deshalb leicht gebogen geplant sei. Über die Kosten wird im Frühjahr im "
            "Stadtrat beraten; eine öffentliche Sitzung ist für den ersten Donnerstag des "
            "nächsten Monats angesetzt.",
            "Bis dahin können Bürgerinnen und Bürger ihre Vorschläge schriftlich einreichen "
            "oder die Modelle im Foyer der Stadtbibliothek ansehen, wo sie vier Wochen lang "
            "ausgestellt werden.",
            "Ein Sprecher der Verwaltung erklärte außerdem, dass während der Bauzeit eine "
            "Fähre für Fußgänger eingerichtet werde, damit niemand einen längeren Umweg über "
            "die Straßenbrücke im Süden nehmen müsse.",
        ),
    ),
    GoodArticle(
        key="home_only",
        path="/2025/03/04/harbour-choir-wins-regional-prize/",
        headline="Harbour Choir Wins the Regional Singing Prize",
        section=("Culture",),
        published="2025-03-04T20:10:00+00:00",
        author="Oskar Lindqvist-Hale",
        paragraphs=_english(
            "The Lowmere Harbour Choir took first place at the regional singing festival on "
            "Sunday with a programme of sea songs arranged by its own members.",
            "The prize brings a small grant that the choir plans to spend on a new set of "
            "music stands and a coach to next year's festival.",
            "choir concert",
        ),
    ),
]
GOOD: dict[str, GoodArticle] = {article.key: article for article in GOOD_ARTICLES}

# Bad and hostile cases, each on its own path.
BAD: dict[str, str] = {
    "not_found": "/news/missing-story/",
    "server_error": "/news/server-error/",
    "redirect_loop": "/news/loop-a/",
    "empty": "/news/empty-page/",
    "pdf": "/news/annual-report-download/",
    "gzip_bomb": "/news/compressed-story/",
    "huge": "/news/very-long-story/",
    "trickle": "/news/slow-story/",
    "binary": "/news/garbled-story/",
    "nested": "/news/deep-story/",
}
REDIRECT_LOOP_B = "/news/loop-b/"

# Which cards each listing page shows (keys of GOOD or BAD); some links repeat
# across listings, as on real sites.
LISTINGS: dict[str, list[str]] = {
    "/category/world/": ["ferry", "redirect_loop", "not_found"],
    "/category/world/asia/": ["ferry", "binary", "nested"],
    "/category/world/europe/": ["broken_markup", "cyrillic_bom", "latin1_meta", "empty"],
    "/category/business/": ["orchards", "server_error", "pdf"],
    "/category/business/markets/": ["night_market", "gzip_bomb"],
    "/category/science/": ["observatory", "huge", "trickle"],
    "/category/culture/": ["printmaking", "cyrillic_bom"],
}
# Home page "top stories": one article also in a section, one only here.
HOME_CARDS = ["ferry", "home_only", "not_found"]

CARD_TITLES = {
    "not_found": "Ferry Fares Frozen for Another Year",
    "server_error": "Quarterly Figures from the Valley Bank",
    "redirect_loop": "Road Closures This Weekend",
    "empty": "Letters to the Editor",
    "pdf": "Read the Council's Annual Report",
    "gzip_bomb": "Market Prices at a Glance",
    "huge": "The Complete Minutes of the Harbour Board",
    "trickle": "Live: Weather Station Readings",
    "binary": "Photo Gallery: Spring Lambs",
    "nested": "Interactive: The Valley in Maps",
}


# --- pages -----------------------------------------------------------------------
def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def menu_html() -> str:
    """The site's two-level menu, WordPress-style."""
    items = []
    for path, url in SECTIONS:
        if len(path) != 1:
            continue
        children = [(p, u) for p, u in SECTIONS if len(p) == 2 and p[0] == path[0]]
        if children:
            subs = "".join(f'<li class="menu-item"><a href="{u}">{_esc(p[1])}</a></li>' for p, u in children)
            items.append(
                f'<li class="menu-item menu-item-has-children"><a href="{url}">{_esc(path[0])}</a>'
                f'<ul class="sub-menu">{subs}</ul></li>'
            )
        else:
            items.append(f'<li class="menu-item"><a href="{url}">{_esc(path[0])}</a></li>')
    return f'<nav class="main-navigation" aria-label="Sections"><ul class="menu">{"".join(items)}</ul></nav>'


def _page(title: str, body: str, body_class: str, lang: str = "en", head: str = '<meta charset="utf-8">') -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>{head}<title>{_esc(title)}</title></head>\n'
        f'<body class="{body_class}">\n<header class="site-header"><a class="logo" href="/">{SITE_NAME}</a>\n'
        f"{menu_html()}</header>\n{body}\n"
        f'<footer class="site-footer"><p>&copy; 2025 {SITE_NAME}. Fixture site for tests.</p></footer>\n'
        "</body>\n</html>\n"
    )


def _card(key: str) -> str:
    if key in GOOD:
        href, title = GOOD[key].path, GOOD[key].headline
    else:
        href, title = BAD[key], CARD_TITLES[key]
    return f'<article class="card"><h2 class="card-title"><a href="{href}">{_esc(title)}</a></h2><p>Read more.</p></article>'


def home_page() -> str:
    cards = "".join(_card(key) for key in HOME_CARDS)
    return _page(SITE_NAME, f'<main><h1 class="screen-reader-text">Top stories</h1>{cards}</main>', "home blog")


def listing_page(path: str) -> str:
    section = next(p for p, u in SECTIONS if u == path)
    cards = "".join(_card(key) for key in LISTINGS[path])
    body = f'<main><h1 class="archive-title">{_esc(section[-1])}</h1>{cards}</main>'
    return _page(f"{section[-1]} | {SITE_NAME}", body, "archive category")


def _breadcrumbs(article: GoodArticle) -> str:
    links = ['<a href="/">Home</a>']
    for depth in range(1, len(article.section) + 1):
        links.append(f'<a href="{SECTION_URL[article.section[:depth]]}">{_esc(article.section[depth - 1])}</a>')
    return '<nav class="breadcrumb" aria-label="Breadcrumb">' + " › ".join(links) + "</nav>"


def article_page(article: GoodArticle, head: str = '<meta charset="utf-8">') -> str:
    paragraphs = "\n".join(f"<p>{_esc(p)}</p>" for p in article.paragraphs)
    body = (
        f"<main>{_breadcrumbs(article)}\n<article>\n<h1>{_esc(article.headline)}</h1>\n"
        f'<p class="byline">By <span class="author-name">{_esc(article.author)}</span> · '
        f'<time datetime="{article.published}">{article.published[:10]}</time></p>\n'
        f"{paragraphs}\n</article></main>"
    )
    return _page(f"{article.headline} | {SITE_NAME}", body, "single single-post", lang=article.lang, head=head)


def broken_markup_page(article: GoodArticle) -> str:
    """An article with unclosed tags, stray end tags and unquoted attributes,
    still readable by a browser."""
    p = [_esc(x) for x in article.paragraphs]
    crumbs = " › ".join(
        ['<a href=/>Home'] + [f"<a href={SECTION_URL[article.section[:d]]}>{_esc(article.section[d - 1])}" for d in range(1, len(article.section) + 1)]
    )
    return (
        "<html><head><title>" + _esc(article.headline) + " | " + SITE_NAME + "</title>\n"  # no </head>
        "<body class=single>\n"
        "</div></div></span>\n"
        f'<div class="wrapper"><header class=site-header><a class=logo href=/>{SITE_NAME}</a>{menu_html()}</header>\n'
        "</section></div>\n"
        f"<main><nav class=breadcrumb>{crumbs}</nav>\n"
        "<article><div class=entry>\n"
        f"<h1>{_esc(article.headline)}</h1>\n"
        f'<p class=byline>By <span class=author-name>{_esc(article.author)}</span> · <time datetime="{article.published}">{article.published[:10]}</time>\n'
        f"<p>{p[0]} <b>Work started on Monday.\n"
        f"<p>{p[1]}\n</div></div></div>\n"
        f"<p><i>{p[2]}\n"
        f"<p>{p[3]}</em></strong>\n"
        f"<div><div><p>{p[4]}\n"
        "</article>\n</td></tr></table>\n"
        '<footer class=site-footer><p>&copy; 2025 ' + SITE_NAME + "\n"
    )


def nested_page(depth: int = NESTED_DEPTH) -> bytes:
    """``depth`` nested ``<div>`` elements around one short sentence; no headline."""
    return (
        b"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>"
        + b"<div>" * depth
        + b"Map tiles are loading."
        + b"</div>" * depth
        + b"</body></html>\n"
    )


def binary_body(size: int = BINARY_BYTES) -> bytes:
    """Random bytes (fixed seed), with no byte-order mark at the start."""
    data = random.Random(20250314).randbytes(size)
    return b"\x00" + data[1:] if data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[:3] == b"\xef\xbb\xbf" else data


def pdf_body() -> bytes:
    """A few KB shaped like a PDF: header, binary comment, a compressed stream."""
    stream = zlib.compress(b"BT /F1 12 Tf 72 712 Td (Annual report of a made-up council) Tj ET\n" * 40)
    return (
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"4 0 obj\n<< /Length " + str(len(stream)).encode() + b" /Filter /FlateDecode >>\nstream\n"
        + stream + b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


@lru_cache(maxsize=1)
def gzip_bomb() -> bytes:
    """gzip of :data:`GZIP_BOMB_INFLATED` zero bytes, compressed in 1 MiB
    steps (low memory); about 1 MB. Built once per process."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: gzip container
    zeros = bytes(1 << 20)
    parts = [compressor.compress(zeros) for _ in range(GZIP_BOMB_INFLATED // len(zeros))]
    parts.append(compressor.flush())
    return b"".join(parts)


def page_bytes(key: str) -> tuple[bytes, str]:
    """Body and Content-Type of the good article ``key`` as the site serves it."""
    article = GOOD[key]
    if key == "broken_markup":
        return broken_markup_page(article).encode("utf-8"), "text/html; charset=utf-8"
    if key == "cyrillic_bom":
        # UTF-8 with a BOM, no <meta charset>; the header lies.
        return b"\xef\xbb\xbf" + article_page(article, head="").encode("utf-8"), "text/html; charset=windows-1251"
    if key == "latin1_meta":
        # Latin-1, declared only in <meta>; the header names no charset.
        return article_page(article, head='<meta charset="iso-8859-1">').encode("iso-8859-1", "xmlcharrefreplace"), "text/html"
    return article_page(article).encode("utf-8"), "text/html; charset=utf-8"


# --- server ------------------------------------------------------------------------
@dataclass
class Hit:
    """One request the site answered (or was answering when the client left)."""

    path: str
    method: str
    started: float
    status: Optional[int] = None
    ended: Optional[float] = None
    bytes_sent: int = 0
    client_left: bool = False

    @property
    def seconds(self) -> Optional[float]:
        return None if self.ended is None else self.ended - self.started


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    site: "HostileSite"

    def handle_error(self, request, client_address):  # quiet: clients hang up on purpose
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 60  # a socket operation blocked this long ends the connection

    def log_message(self, format, *args):  # quiet
        pass

    def do_HEAD(self):
        self._serve(head=True)

    def do_GET(self):
        self._serve(head=False)

    # --- plumbing -------------------------------------------------------------------
    def _serve(self, head: bool) -> None:
        site = self.server.site
        path = urlsplit(self.path).path
        hit = Hit(path=path, method=self.command, started=time.monotonic())
        site._record(hit)
        self.close_connection = True
        try:
            self._route(path, hit, head)
        except OSError:  # the client went away (BrokenPipe, ConnectionReset, timeout)
            hit.client_left = True
        finally:
            hit.ended = time.monotonic()

    def _start(self, hit: Hit, status: int, headers: dict[str, str]) -> None:
        hit.status = status
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()

    def _send(self, hit: Hit, status: int, body: bytes, content_type: str = "text/html; charset=utf-8", head: bool = False, **headers: str) -> None:
        headers = {"Content-Type": content_type, "Content-Length": str(len(body)), **headers}
        self._start(hit, status, headers)
        if not head:
            self.wfile.write(body)
            hit.bytes_sent += len(body)

    def _route(self, path: str, hit: Hit, head: bool) -> None:
        site = self.server.site
        outage = site.outage.get(path)
        if outage == "empty":
            return self._send(hit, 200, b"", head=head)
        if outage:
            return self._send(hit, int(outage), f"<html><body><h1>Error {outage}</h1></body></html>".encode(), head=head)
        if path == "/robots.txt":
            return self._send(hit, 200, b"User-agent: *\nAllow: /\n", "text/plain; charset=utf-8", head=head)
        if path == "/":
            return self._send(hit, 200, home_page().encode("utf-8"), head=head)
        if path in LISTINGS:
            return self._send(hit, 200, listing_page(path).encode("utf-8"), head=head)
        for article in GOOD_ARTICLES:
            if path == article.path:
                body, content_type = page_bytes(article.key)
                return self._send(hit, 200, body, content_type, head=head)
        if path == BAD["not_found"]:
            return self._send(hit, 404, b"<html><body><h1>Page not found</h1></body></html>", head=head)
        if path == BAD["server_error"]:
            return self._send(hit, 500, b"<html><body><h1>Internal Server Error</h1></body></html>", head=head)
        if path == BAD["redirect_loop"]:
            return self._send(hit, 302, b"", head=head, Location=REDIRECT_LOOP_B)
        if path == REDIRECT_LOOP_B:
            return self._send(hit, 302, b"", head=head, Location=BAD["redirect_loop"])
        if path == BAD["empty"]:
            return self._send(hit, 200, b"", head=head)
        if path == BAD["pdf"]:
            return self._send(hit, 200, pdf_body(), "application/pdf", head=head)
        if path == BAD["binary"]:
            return self._send(hit, 200, binary_body(), "text/html", head=head)
        if path == BAD["nested"]:
            return self._send(hit, 200, nested_page(), head=head)
        if path == BAD["gzip_bomb"]:
            return self._send(hit, 200, gzip_bomb(), head=head, **{"Content-Encoding": "gzip"})
        if path == BAD["huge"]:
            return self._huge(hit, head)
        if path == BAD["trickle"]:
            return self._trickle(hit, head)
        return self._send(hit, 404, b"<html><body><h1>Page not found</h1></body></html>", head=head)

    def _huge(self, hit: Hit, head: bool) -> None:
        """:data:`HUGE_PAGE_BYTES` of HTML in 64 KiB chunks, chunked transfer encoding."""
        self._start(hit, 200, {"Content-Type": "text/html; charset=utf-8", "Transfer-Encoding": "chunked"})
        if head:
            return
        stop = self.server.site._stopping
        opening = b"<!DOCTYPE html><html><body><h1>The Complete Minutes of the Harbour Board</h1>\n"
        filler = (b"<p>The board noted the minutes of the previous meeting and agreed them as a true record.</p>\n" * 800)[: 64 * 1024]
        sent = 0
        piece = opening
        while sent < HUGE_PAGE_BYTES and not stop.is_set():
            piece = piece[: HUGE_PAGE_BYTES - sent]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            sent += len(piece)
            hit.bytes_sent = sent
            piece = filler
        self.wfile.write(b"0\r\n\r\n")

    def _trickle(self, hit: Hit, head: bool) -> None:
        """An HTML page one byte a second, until the client leaves or the site stops."""
        self._start(hit, 200, {"Content-Type": "text/html; charset=utf-8"})  # no length: ends at close
        if head:
            return
        stop = self.server.site._stopping
        text = b"<!DOCTYPE html><html><body><h1>Live: Weather Station Readings</h1><p>Wind: light. " * 1000
        index = 0
        while not stop.is_set():
            self.wfile.write(text[index % len(text) : index % len(text) + 1])
            index += 1
            hit.bytes_sent = index
            stop.wait(1.0)


class HostileSite:
    """The fixture site, served on 127.0.0.1 from daemon threads.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    :attr:`url` is the home page; :attr:`hits` the request log.
    """

    def __init__(self, prebuild: bool = True):
        self.hits: list[Hit] = []
        self.outage: dict[str, str] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None
        self.prebuild = prebuild

    @property
    def url(self) -> str:
        assert self._server is not None, "the site is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> "HostileSite":
        if self.prebuild:
            gzip_bomb()  # a few seconds once; not during the crawl
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.site = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True, name="hostile-site")
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; trickling and streaming responses end within a second."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "HostileSite":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _record(self, hit: Hit) -> None:
        with self._lock:
            self.hits.append(hit)

    # --- request log ------------------------------------------------------------
    def hits_for(self, path: str) -> list[Hit]:
        with self._lock:
            return [hit for hit in self.hits if hit.path == path]

    def count(self, path: str) -> int:
        return len(self.hits_for(path))

    def clear_log(self) -> None:
        with self._lock:
            self.hits.clear()


if __name__ == "__main__":  # serve by hand: python tests/hostile_site.py
    with HostileSite() as site:
        print("Serving", site.url, "(Ctrl-C to stop)")
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
