"""The full crawl against bare Scrapy on one served site: pages per second, CPU, memory, stages.

Usage (from the repository root)::

    python bench/crawl.py                 # 5,000 articles, 2 rounds (about 10 minutes on 2 cores)
    python bench/crawl.py --quick         # 1,000 articles, 1 round
    python bench/crawl.py --articles 2000 --rounds 3

The demo site (:func:`aggregator.demo_site.build_demo_site`) is served on
127.0.0.1 with every HTML page padded to a realistic 60-120 KB (uniform,
fixed per URL): inline styles and scripts in ``<head>``, an SVG icon sprite
at the top of ``<body>`` and tag-manager scripts at its end, as WordPress
news themes ship them. The padding holds no text, links or dates, so
extraction gives the same fields (checked on a sample of pages first).

The server is a small asyncio HTTP/1.1 server in its own process that
answers from pre-rendered responses, so that it is not the bottleneck; the
run also crawls the same site once behind the demo site's own
``DemoServer`` (a ``ThreadingHTTPServer`` rendering each page on request)
to show what the server costs.

In one invocation, alternating ``--rounds`` times, each crawl in its own
child process:

1. ``bare``: :class:`BareSpider`, plain Scrapy (default settings but
   robots.txt, concurrency, AutoThrottle and User-Agent as the full crawl's)
   that follows the links the ``news`` spider follows (home page, menu
   entries, section listings and their pagination, articles, the sitemaps
   robots.txt names and the home page's feed) and yields nothing;
2. ``full``: the project's ``news`` crawl with its settings and default
   sources (extraction, every pipeline, a fresh SQLite archive).

For each it prints pages per second (responses downloaded / wall seconds of
the child process), CPU seconds per page (the child's user + system time),
the share of a core the crawler and the server used, and peak RSS (the
child's ``VmHWM``); then the ratio full / bare, the URLs fetched by one but
not the other, a per-stage CPU profile of one more full crawl, sampled
(:class:`StageSampler`: extraction, dates, sections, reading time, archive
writes, the spider's own routing, and the rest: download and Scrapy), dateparser calls
against ISO 8601 raw dates in that run, and the peak RSS of full crawls of
1,000 and ``--articles`` articles. Last, the floor the libraries set: on a
sample of the same padded article pages, in a fresh process, milliseconds a
page for ``trafilatura.bare_extraction`` alone (the main-text library the
project uses, with its default options), for
:func:`aggregator.extraction.extract_article`, and for lxml's parse alone,
against the CPU a page the 0.7 target leaves the whole crawl.

Targets (issue 9): full >= 0.7 x bare pages per second; peak RSS within
20 % from 1,000 to 5,000 articles; no dateparser call for an ISO 8601 value;
the dates stage under 10 % of the per-page CPU. Exits 1 if one is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import multiprocessing
import os
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Optional, Sequence
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from w3lib.url import url_query_cleaner

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from aggregator.demo_site import DemoResponse, DemoServer, build_demo_site  # noqa: E402

# What both crawls share: no AutoThrottle, the same concurrency, robots.txt obeyed.
SHARED_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "ROBOTSTXT_OBEY": True,
    "LOG_LEVEL": "INFO",
}
FULL_SETTINGS = {**SHARED_SETTINGS, "SITE_TIMEZONE": "Asia/Singapore"}
CHILD_TIMEOUT = 1800  # seconds before a crawl is killed

PAGE_MIN_BYTES = 60 * 1024
PAGE_SPREAD_BYTES = 60 * 1024
"""HTML pages are padded to PAGE_MIN_BYTES + (0 to PAGE_SPREAD_BYTES), fixed per URL."""

_ISO_8601 = re.compile(
    r"^\s*\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?\s*$", re.I
)


# --- Padding: realistic page weight without text, links or dates ---------------------
@lru_cache(maxsize=None)
def _pools() -> dict[str, tuple[str, ...]]:
    """Units of theme CSS, tag-manager and ad-slot scripts, and SVG icons."""
    colors = ("black", "cyan-bluish-gray", "white", "pale-pink", "vivid-red", "luminous-vivid-orange",
              "luminous-vivid-amber", "light-green-cyan", "vivid-green-cyan", "pale-cyan-blue", "vivid-cyan-blue")
    css = tuple(
        f".wp-block-group-{n} .has-{c}-color{{color:var(--wp--preset--color--{c})!important;"
        f"margin-block-start:{n % 7 * 0.25:.2f}rem;padding:{n % 5}px {n % 9}px}}"
        f"@media (min-width:{480 + n % 6 * 160}px){{.site-header .menu-item-{n}>a{{font-size:{12 + n % 8}px;"
        f"letter-spacing:.0{n % 4}em;transition:color .{n % 3 + 1}s ease-in-out}}}}\n"
        for n in range(4000) for c in (colors[n % len(colors)],)
    )
    js = tuple(
        f"googletag.cmd.push(function(){{googletag.defineSlot('/21{n:05d}/news/slot_{n}',"
        f"[[300,250],[336,280],[728,90]],'div-gpt-ad-{n}').setTargeting('pos',['{n % 4}'])"
        f".addService(googletag.pubads());}});window.dataLayer=window.dataLayer||[];"
        f"dataLayer.push({{'event':'slot_{n}','cb':{n * 7919 % 100003},'ab':'{'ab'[n % 2]}'}});\n"
        for n in range(4000)
    )
    svg = tuple(
        f'<symbol id="icon-{n}" viewBox="0 0 24 24"><path d="M{n % 24} {n * 3 % 24}h{n % 11 + 2}'
        f"v{n % 13 + 1}l{n % 5}.{n % 9} {n % 7}.{n % 3}c1.{n % 8} 0 2.{n % 6} 1.{n % 4} 2.{n % 5} 2.{n % 9}"
        f'z"/><circle cx="{n % 24}" cy="{n * 7 % 24}" r="{n % 4 + 1}"/></symbol>\n'
        for n in range(4000)
    )
    return {"css": css, "js": js, "svg": svg}


def _fill(pool: tuple[str, ...], start: int, size: int) -> str:
    parts, total, i = [], 0, start
    while total < size:
        unit = pool[i % len(pool)]
        parts.append(unit)
        total += len(unit)
        i += 1
    return "".join(parts)


def pad_page(target: str, body: bytes) -> bytes:
    """``body`` (an HTML page) padded to 60-120 KB, the size fixed by ``target``;
    a page already that big, or without ``</head>``/``<body``/``</body>``, is kept."""
    digest = int.from_bytes(hashlib.blake2b(target.encode(), digest_size=8).digest(), "big")
    missing = PAGE_MIN_BYTES + digest % (PAGE_SPREAD_BYTES + 1) - len(body)
    head_end, body_end = body.find(b"</head>"), body.rfind(b"</body>")
    body_start = body.find(b">", body.find(b"<body", head_end)) + 1
    if missing <= 0 or head_end < 0 or body_end < 0 or body_start <= head_end:
        return body
    pools, start = _pools(), digest % 3000
    head = (
        f'<style id="theme-inline-css">\n{_fill(pools["css"], start, missing * 40 // 100)}</style>\n'
        f'<script id="gpt-slots">\nwindow.googletag=window.googletag||{{cmd:[]}};\n'
        f'{_fill(pools["js"], start, missing * 20 // 100)}</script>\n'
    ).encode()
    sprite = (
        '<svg xmlns="http://www.w3.org/2000/svg" style="display:none" aria-hidden="true">\n'
        f'{_fill(pools["svg"], start, missing * 15 // 100)}</svg>\n'
    ).encode()
    tail = (
        f'<!-- tag manager -->\n<script id="tag-manager">\n{_fill(pools["js"], start + 500, missing * 25 // 100)}'
        "</script>\n"
    ).encode()
    return body[:head_end] + head + body[head_end:body_start] + sprite + body[body_start:body_end] + tail + body[body_end:]


def padded(target: str, response: DemoResponse) -> DemoResponse:
    if response.status != 200 or "html" not in response.headers.get("Content-Type", ""):
        return response
    return DemoResponse(response.status, response.headers, pad_page(target, response.body))


class PaddedSite:
    """A ``DemoSite`` whose HTML pages are padded, as ``DemoServer`` serves it
    (``respond()``); with ``cache``, each target is rendered once."""

    def __init__(self, site: Any, cache: bool = False):
        self.site = site
        self.cache: Optional[dict[str, DemoResponse]] = {} if cache else None

    def respond(self, target: str, base_url: str, headers: Any = None) -> DemoResponse:
        if self.cache is not None and target in self.cache:
            return self.cache[target]
        response = padded(target, self.site.respond(target, base_url, headers))
        if self.cache is not None and response.status != 304:
            self.cache[target] = response
        return response


def crawled_targets(site: Any, base_url: str) -> list[str]:
    """Every target a crawl of ``site`` may fetch (all but tag and author archives)."""
    keys = [key for key in site.pages if not key.startswith(("/tag/", "/author/"))]
    fixed = ["/robots.txt", "/wp-sitemap.xml", "/news-sitemap.xml", "/feed/"]
    sitemaps = re.findall(r"<loc>([^<]+)</loc>", site.respond("/wp-sitemap.xml", base_url).body.decode())
    return list(dict.fromkeys(fixed + [urlsplit(url).path for url in sitemaps] + keys))


# --- The fast server: pre-rendered responses, asyncio, its own process ----------------
def _wire(response: DemoResponse) -> bytes:
    reason = {200: "OK", 301: "Moved Permanently", 304: "Not Modified", 404: "Not Found"}.get(response.status, "OK")
    headers = "".join(f"{name}: {value}\r\n" for name, value in response.headers.items())
    length = f"Content-Length: {len(response.body)}\r\n" if response.status != 304 else ""
    return f"HTTP/1.1 {response.status} {reason}\r\nServer: bench\r\n{headers}{length}\r\n".encode() + response.body


def _serve(sock: socket.socket, articles: int, control: Any) -> None:
    """The server process: pre-render, report ready, answer until told to stop."""
    started = time.monotonic()
    host, port = sock.getsockname()[:2]
    base = f"http://{host}:{port}"
    site = build_demo_site(articles)
    padded_site = PaddedSite(site)
    wire = {target: _wire(padded_site.respond(target, base)) for target in crawled_targets(site, base)}
    log: list[str] = []
    misses: list[str] = []
    control.send(("ready", len(wire), sum(map(len, wire.values())), time.monotonic() - started))

    class Http(asyncio.Protocol):
        def connection_made(self, transport: Any) -> None:
            self.transport, self.buffer = transport, b""

        def data_received(self, data: bytes) -> None:
            self.buffer += data
            while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
                head, self.buffer = self.buffer[:end], self.buffer[end + 4:]
                target = head.split(b" ", 2)[1].decode("latin-1")
                log.append(target)
                answer = wire.get(target)
                if answer is None:  # rendered on the fly, kept
                    misses.append(target)
                    answer = wire[target] = _wire(padded_site.respond(target, base))
                self.transport.write(answer)

    loop = asyncio.new_event_loop()

    def on_command() -> None:
        command = control.recv()
        if command == "stop":
            loop.stop()
            return
        usage = resource.getrusage(resource.RUSAGE_SELF)
        control.send((list(log), list(misses), usage.ru_utime + usage.ru_stime))
        log.clear()
        misses.clear()

    loop.add_reader(control.fileno(), on_command)
    loop.run_until_complete(loop.create_server(Http, sock=sock, backlog=128))
    loop.run_forever()


class FastServer:
    """The demo site of ``articles`` articles, padded, from pre-rendered responses in a child process."""

    def __init__(self, articles: int):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.base_url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        context = multiprocessing.get_context("fork")
        self.control, child_end = context.Pipe()
        self.process = context.Process(target=_serve, args=(self.sock, articles, child_end), daemon=True)
        self.cpu = 0.0

    def __enter__(self) -> "FastServer":
        self.process.start()
        _, self.pages, self.bytes, self.render_seconds = self.control.recv()
        self.take()
        return self

    def take(self) -> tuple[list[str], list[str], float]:
        """Targets requested and rendered on the fly since the last call, and the server's CPU seconds meanwhile."""
        self.control.send("log")
        targets, misses, cpu = self.control.recv()
        cpu, self.cpu = cpu - self.cpu, cpu
        return targets, misses, cpu

    def __exit__(self, *exc_info: Any) -> None:
        self.control.send("stop")
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
        self.sock.close()


class ThreadedServer:
    """The demo site, padded, behind the demo site's own ``DemoServer`` (in this process)."""

    def __init__(self, site: Any, cache: bool):
        self.padded = PaddedSite(site, cache=cache)
        self.server = DemoServer(self.padded)  # type: ignore[arg-type]  # it only calls respond()
        self.base_url = self.server.base_url
        if cache:
            for target in crawled_targets(site, self.base_url):
                self.padded.respond(target, self.base_url)

    def __enter__(self) -> "ThreadedServer":
        self.server.start()
        self.take()
        return self

    def take(self) -> tuple[list[str], list[str], float]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu, self._cpu = usage.ru_utime + usage.ru_stime - getattr(self, "_cpu", 0.0), usage.ru_utime + usage.ru_stime
        targets, self.server.requests[:] = list(self.server.requests), []
        self.server.responses.clear()
        return targets, [], cpu

    def __exit__(self, *exc_info: Any) -> None:
        self.server.stop()


# --- The bare spider ---------------------------------------------------------------
_ARTICLE_PATH = re.compile(r"^/\d{4}/\d{2}/\d{2}/[^/]+/$")
_LISTING_PAGE = re.compile(r"/page/(\d+)/$|[?&]paged=(\d+)$")
_NOT_FOLLOWED = re.compile(r"/(?:tag|author|feed|comments)/|wp-login|^/$")


class BareSpider(scrapy.Spider):
    """Follow the links the ``news`` spider follows on the demo site and yield nothing.

    The home page's menus and category widget give the listings; a listing's
    pagination links (``/page/N/``, ``?paged=N``) and article links
    (``/YYYY/MM/DD/slug/``) are followed, as are the home page's article
    links and its feed; the sitemaps robots.txt names (read by Scrapy's
    robots.txt middleware) are fetched, their ``<loc>`` followed. Listing
    pages past ``max_pages`` (the project's ``SECTION_MAX_PAGES``) are not. Query
    strings but ``paged`` are dropped, as are fragments. Article pages are
    not parsed.
    """

    name = "bare"

    def __init__(self, url: str, max_pages: int = 50, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.start_url = url
        self.max_pages = int(max_pages)
        self.allowed_domains = [urlsplit(url).hostname]

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> "BareSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.robots_parsed, signal=signals.robots_parsed)
        return spider

    async def start(self):
        yield scrapy.Request(self.start_url, callback=self.parse_home, priority=100)

    def robots_parsed(self, robotparser: Any, request: Any) -> None:
        for url in getattr(getattr(robotparser, "rp", None), "sitemaps", []):
            self.crawler.engine.crawl(scrapy.Request(urljoin(request.url, url), callback=self.parse_sitemap, priority=8))

    def _clean(self, response: Any, href: str) -> tuple[str, str]:
        url = url_query_cleaner(urljoin(response.url, href.strip()), ["paged"]).split("#")[0]
        return url, urlsplit(url).path + (f"?{urlsplit(url).query}" if urlsplit(url).query else "")

    def parse_home(self, response: Any):
        for href in response.css("nav a::attr(href), .widget_categories a::attr(href)").getall():
            url, target = self._clean(response, href)
            if not _NOT_FOLLOWED.search(target) and not _ARTICLE_PATH.match(target):
                yield scrapy.Request(url, callback=self.parse_listing, priority=10)
        for href in response.css('link[rel=alternate][type="application/rss+xml"]::attr(href)').getall():
            if "comments" not in href:
                yield scrapy.Request(urljoin(response.url, href), callback=self.parse_nothing, priority=8)
        yield from self._articles(response)

    def parse_listing(self, response: Any):
        for href in response.css("a::attr(href), link[rel=next]::attr(href)").getall():
            url, target = self._clean(response, href)
            page = _LISTING_PAGE.search(target)
            if page and int(page.group(1) or page.group(2)) <= self.max_pages and not _NOT_FOLLOWED.search(target):
                yield scrapy.Request(url, callback=self.parse_listing, priority=5)
        yield from self._articles(response)

    def _articles(self, response: Any):
        for href in response.css("a::attr(href)").getall():
            url, target = self._clean(response, href)
            if _ARTICLE_PATH.match(target):
                yield scrapy.Request(url, callback=self.parse_nothing)

    def parse_sitemap(self, response: Any):
        index = b"<sitemapindex" in response.body[:2000]
        for url in re.findall(r"<loc>([^<]+)</loc>", response.text):
            if index and "-posts-post-" in url:
                yield scrapy.Request(url, callback=self.parse_sitemap, priority=8)
            elif not index:
                yield scrapy.Request(url, callback=self.parse_nothing)

    def parse_nothing(self, response: Any) -> None:
        return None


# --- Crawls in child processes ---------------------------------------------------------
@dataclass
class Crawl:
    """One crawl: what it fetched, how fast, at what cost."""

    kind: str
    label: str
    pages: int
    seconds: float
    cpu: float
    peak_rss_mib: float
    server_cpu: float
    targets: list[str] = field(repr=False)
    misses: list[str] = field(repr=False)
    stats: dict[str, Any] = field(repr=False)
    dates: dict[str, int] = field(default_factory=dict)
    profile: dict[str, Any] = field(default_factory=dict)

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds

    @property
    def cpu_per_page(self) -> float:
        return self.cpu / self.pages


def crawl(kind: str, label: str, server: Any, folder: Path, profile: bool = False) -> Crawl:
    """Run one crawl (``bare`` or ``full``) of ``server``'s site in a child process and wait for it."""
    name = f"{label.replace(' ', '-')}-{time.monotonic_ns()}"
    result_path = folder / f"{name}.json"
    config = {
        "kind": kind,
        "url": f"{server.base_url}/",
        "settings": {**FULL_SETTINGS, "ARCHIVE_PATH": str(folder / f"{name}.sqlite")} if kind == "full" else SHARED_SETTINGS,
        "result": str(result_path),
        "profile": profile,
    }
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "aggregator.settings", "PYTHONPATH": str(ROOT)}
    server.take()
    with open(folder / f"{name}.log", "wb") as log:
        child = subprocess.Popen([sys.executable, __file__, "--child", json.dumps(config)],
                                 cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    killer = threading.Timer(CHILD_TIMEOUT, child.kill)
    killer.start()
    started = time.monotonic()
    _, status, usage = os.wait4(child.pid, 0)  # the child's own CPU time, not its siblings'
    seconds = time.monotonic() - started
    killer.cancel()
    child.returncode = os.waitstatus_to_exitcode(status)
    targets, misses, server_cpu = server.take()
    if child.returncode != 0 or not result_path.exists():
        print((folder / f"{name}.log").read_text(errors="replace")[-3000:], file=sys.stderr)
        raise SystemExit(f"{label}: the crawl failed with exit status {child.returncode}")
    result = json.loads(result_path.read_text())
    stats = result["stats"]
    return Crawl(
        kind, label, int(stats.get("downloader/response_count", 0)), seconds,
        usage.ru_utime + usage.ru_stime, result["peak_rss_kib"] / 1024, server_cpu, targets, misses, stats,
        result.get("dates") or {}, result.get("profile") or {},
    )


def _count_dates() -> dict[str, int]:
    """Count normalize_date calls with an ISO 8601 value and dateparser calls (with an ISO 8601 value)."""
    import dateparser.date

    import pipelines.dates

    counts = {"normalize_date": 0, "normalize_date_iso": 0, "dateparser": 0, "dateparser_iso": 0}
    normalize = pipelines.dates.normalize_date
    get_date_data = dateparser.date.DateDataParser.get_date_data

    def counted_normalize(raw: Any, **kwargs: Any) -> Any:
        counts["normalize_date"] += 1
        counts["normalize_date_iso"] += bool(isinstance(raw, str) and _ISO_8601.match(raw))
        return normalize(raw, **kwargs)

    def counted_get_date_data(self: Any, date_string: Any, *args: Any, **kwargs: Any) -> Any:
        counts["dateparser"] += 1
        counts["dateparser_iso"] += bool(isinstance(date_string, str) and _ISO_8601.match(date_string))
        return get_date_data(self, date_string, *args, **kwargs)

    pipelines.dates.normalize_date = counted_normalize
    dateparser.date.DateDataParser.get_date_data = counted_get_date_data
    return counts


def _peak_rss_kib() -> int:
    """This process's peak resident set (``VmHWM``), which, unlike ``ru_maxrss``, starts afresh at exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _child(config: dict[str, Any]) -> int:
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings
    from scrapy.utils.project import get_project_settings

    if config["kind"] == "bare":
        settings = Settings()
        settings.setdict({**config["settings"], "TELNETCONSOLE_ENABLED": False,
                          "USER_AGENT": get_project_settings().get("USER_AGENT")}, priority="cmdline")
        spider: Any = BareSpider
        arguments = {"max_pages": get_project_settings().getint("SECTION_MAX_PAGES")}
    else:
        settings = get_project_settings()
        settings.setdict(config["settings"], priority="cmdline")
        spider, arguments = "news", {}
    counts = _count_dates() if config["profile"] else {}
    if config["profile"]:  # imported before sampling: module imports are start-up, not stages
        import pipelines.archive, pipelines.reading_time, pipelines.sections, pipelines.urls, spiders.news  # noqa: F401,E401
    sampler = StageSampler() if config["profile"] else None
    if sampler:
        sampler.start()
    process = CrawlerProcess(settings, install_root_handler=True)
    crawler = process.create_crawler(spider)
    process.crawl(crawler, url=config["url"], **arguments)
    process.start()
    profile = sampler.stop() if sampler else {}
    stats = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in crawler.stats.get_stats().items()}
    Path(config["result"]).write_text(json.dumps(
        {"stats": stats, "peak_rss_kib": _peak_rss_kib(), "dates": counts, "profile": profile}))
    return 0 if stats.get("finish_reason") == "finished" else 1


# --- The profile, by stage ------------------------------------------------------------
STAGES = (
    ("extraction (extract_article)", ("aggregator/extraction.py",)),
    ("dates (pipelines.dates, aggregator.dates)", ("pipelines/dates.py",)),
    ("sections (pipelines.sections)", ("pipelines/sections.py",)),
    ("reading time (pipelines.reading_time)", ("pipelines/reading_time.py",)),
    ("canonical URL (pipelines.urls)", ("pipelines/urls.py",)),
    ("archive writes, per item", ("pipelines/archive.py",)),
    ("archive at close (last batch, related posts)", ()),
    ("spider routing (links, archive lookups, items)", ("spiders/news.py",)),
)
REST = "rest: download, Scrapy engine, HTTP, responses"
_ARCHIVE, _ARCHIVE_CLOSE = 5, 6


class StageSampler:
    """A sampling profiler of CPU time by stage (``SIGPROF`` every ``interval`` CPU seconds).

    Each sample is the process CPU time since the previous one (signals
    that arrive during one long C call, an lxml parse or an SQLite write,
    are delivered once, after it, in the frame that made it), and goes to
    the innermost stage module on the main thread's
    stack (the spider calls ``extract_article``: extraction; the dates
    pipeline calls ``aggregator.dates`` and dateparser: dates), else to the
    rest; archive samples under ``close_spider``/``spider_closed`` go to
    "archive at close". Unlike cProfile, which multiplies the time of code
    made of many small Python calls (extraction) several times over, it
    costs about 1 %.
    """

    def __init__(self, interval: float = 0.002):
        self.interval = interval
        self.seconds = [0.0] * (len(STAGES) + 1)
        self.samples = 0
        self._codes: dict[Any, int] = {}
        self._last = 0.0

    def _stage_of(self, code: Any) -> int:
        stage = self._codes.get(code)
        if stage is None:
            path = code.co_filename.replace(os.sep, "/")
            stage = next((i for i, (_, files) in enumerate(STAGES) if files and path.endswith(files)), -1)
            self._codes[code] = stage
        return stage

    def _sample(self, signum: int, frame: Any) -> None:
        now = time.process_time()
        elapsed, self._last = now - self._last, now
        stage = len(STAGES)
        while frame is not None:
            found = self._stage_of(frame.f_code)
            if found == _ARCHIVE:  # the outermost archive frame says per item or at close
                outer = frame
                while frame is not None:
                    if self._stage_of(frame.f_code) == _ARCHIVE:
                        outer = frame
                    frame = frame.f_back
                stage = _ARCHIVE_CLOSE if outer.f_code.co_name in ("close_spider", "spider_closed") else _ARCHIVE
                break
            if found >= 0:
                stage = found
                break
            frame = frame.f_back
        self.seconds[stage] += elapsed
        self.samples += 1

    def start(self) -> None:
        self._last = time.process_time()
        signal.signal(signal.SIGPROF, self._sample)
        signal.setitimer(signal.ITIMER_PROF, self.interval, self.interval)

    def stop(self) -> dict[str, Any]:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, signal.SIG_DFL)
        return {"seconds": self.seconds, "samples": self.samples}


# --- The benchmark -------------------------------------------------------------------------
def check_padding(articles: int, sample: int = 20) -> tuple[int, int, float, float]:
    """Extraction on padded against plain pages: (identical, sample size, mean KB plain, mean KB padded)."""
    from aggregator.extraction import extract_article

    site = build_demo_site(articles)
    step = max(1, len(site.ground_truth) // sample)
    same, plain_sizes, padded_sizes = 0, [], []
    for truth in site.ground_truth[::step][:sample]:
        response = site.respond(truth["url"], "http://127.0.0.1:8000")
        body = pad_page(truth["url"], response.body)
        url = "http://127.0.0.1:8000" + truth["url"]
        plain = extract_article(url, response.body, response.headers)
        fat = extract_article(url, body, response.headers)
        same += plain.fields == fat.fields and plain.is_article == fat.is_article
        plain_sizes.append(len(response.body) / 1024)
        padded_sizes.append(len(body) / 1024)
    return same, len(plain_sizes), statistics.mean(plain_sizes), statistics.mean(padded_sizes)


FLOOR_SAMPLE = 200
"""Padded article pages the extraction floor is measured on."""


def extraction_floor(articles: int, sample: int = FLOOR_SAMPLE) -> dict[str, float]:
    """Milliseconds a page (median of 3 passes over ``sample`` padded article
    pages of the demo site) for lxml's parse, trafilatura alone and our
    extraction; one warm-up pass first."""
    import lxml.html
    import trafilatura

    from aggregator.extraction import extract_article

    site = build_demo_site(articles)
    base = "http://127.0.0.1:8000"
    step = max(1, len(site.ground_truth) // sample)
    pages = []
    for truth in site.ground_truth[::step][:sample]:
        response = site.respond(truth["url"], base)
        pages.append((base + truth["url"], pad_page(truth["url"], response.body), response.headers))
    runs: dict[str, Callable[[str, bytes, Any], Any]] = {
        "lxml parse": lambda url, body, headers: lxml.html.document_fromstring(body),
        "trafilatura alone": lambda url, body, headers: trafilatura.bare_extraction(body, url=url, with_metadata=True),
        "extract_article": lambda url, body, headers: extract_article(url, body, headers),
    }
    result = {}
    for name, run in runs.items():
        for url, body, headers in pages[:20]:
            run(url, body, headers)
        passes = []
        for _ in range(3):
            started = time.process_time()
            for url, body, headers in pages:
                run(url, body, headers)
            passes.append((time.process_time() - started) / len(pages) * 1000)
        result[name] = statistics.median(passes)
    return result


def row(crawl: Crawl) -> str:
    return (
        f"{crawl.label:<22} {crawl.pages:>6} {crawl.seconds:>8.1f} {crawl.pages_per_second:>8.1f} "
        f"{crawl.cpu_per_page * 1000:>9.2f} {crawl.cpu / crawl.seconds:>9.0%} {crawl.server_cpu / crawl.seconds:>9.0%} "
        f"{crawl.peak_rss_mib:>9.0f}"
    )


HEADER = (
    f"{'crawl':<22} {'pages':>6} {'seconds':>8} {'pages/s':>8} {'CPU ms/pg':>9} {'crawler':>9} {'server':>9} "
    f"{'peak RSS':>9}\n{'':<22} {'':>6} {'':>8} {'':>8} {'':>9} {'core use':>9} {'core use':>9} {'MiB':>9}"
)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=5000, help="articles of the served site (default 5000)")
    parser.add_argument("--rounds", type=int, default=2, help="bare/full pairs, alternating (default 2)")
    parser.add_argument("--quick", action="store_true", help="1,000 articles, 1 round")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(json.loads(args.child))
    if args.quick:
        args.articles, args.rounds = 1000, 1
    small = 1000 if args.articles > 1000 else max(100, args.articles // 5)
    began = time.monotonic()

    same, sampled, plain_kb, padded_kb = check_padding(args.articles)
    with tempfile.TemporaryDirectory(prefix="bench-crawl-") as tmp:
        folder = Path(tmp)
        crawls: list[Crawl] = []
        with FastServer(args.articles) as server:
            print(f"Demo site, {args.articles} articles, on 127.0.0.1: {server.pages} responses pre-rendered "
                  f"({server.bytes / 2**20:.0f} MiB, HTML pages padded to 60-120 KB) in {server.render_seconds:.1f} s; "
                  f"article pages {plain_kb:.0f} KB plain, {padded_kb:.0f} KB padded (mean of {sampled}); "
                  f"extraction identical on {same} of {sampled} padded pages")
            print(f"Settings of both crawls: {SHARED_SETTINGS}; Python {sys.version.split()[0]}, "
                  f"Scrapy {scrapy.__version__}, {os.cpu_count()} CPUs\n")
            print(HEADER)
            for n in range(1, args.rounds + 1):
                for kind in ("bare", "full"):
                    crawls.append(crawl(kind, f"{kind} {n}", server, folder))
                    print(row(crawls[-1]), flush=True)
            profiled = crawl("full", "full, sampled", server, folder, profile=True)
            print(row(profiled), flush=True)
        with ThreadedServer(build_demo_site(args.articles), cache=False) as threaded:
            demo_server = crawl("bare", "bare, DemoServer", threaded, folder)
            print(row(demo_server), flush=True)
        with ThreadedServer(build_demo_site(args.articles), cache=True) as threaded:
            demo_cached = crawl("bare", "bare, DemoServer+cache", threaded, folder)
            print(row(demo_cached), flush=True)
        with FastServer(small) as server:
            small_full = crawl("full", f"full, {small} articles", server, folder)
            print(row(small_full), flush=True)

    bare = [c for c in crawls if c.kind == "bare"]
    full = [c for c in crawls if c.kind == "full"]
    bare_rate = statistics.median(c.pages_per_second for c in bare)
    full_rate = statistics.median(c.pages_per_second for c in full)
    ratio = full_rate / bare_rate
    per_round = ", ".join(f"{f.pages_per_second / b.pages_per_second:.2f}" for b, f in zip(bare, full))
    print("\nPages per second, median of rounds: bare %.1f, full %.1f; full / bare = %.2f (rounds: %s); target >= 0.70: %s"
          % (bare_rate, full_rate, ratio, per_round, "ok" if ratio >= 0.7 else f"MISSED (by {0.7 - ratio:.2f}, "
             f"full would need {0.7 * bare_rate:.0f} pages/s, {1 / (0.7 * bare_rate) * 1000:.1f} ms a page)"))
    print("CPU ms per page, median: bare %.2f, full %.2f (%.1f x)" % (
        statistics.median(c.cpu_per_page for c in bare) * 1000, statistics.median(c.cpu_per_page for c in full) * 1000,
        statistics.median(c.cpu_per_page for c in full) / statistics.median(c.cpu_per_page for c in bare)))
    bare_urls, full_urls = set(bare[0].targets), set(full[0].targets)
    print(f"URLs fetched: bare {len(bare_urls)}, full {len(full_urls)}; only by bare {len(bare_urls - full_urls)} "
          f"{sorted(bare_urls - full_urls)[:3]}, only by full {len(full_urls - bare_urls)} {sorted(full_urls - bare_urls)[:3]}; "
          f"rendered on the fly: {len(set().union(*(c.misses for c in crawls)))}")
    print(f"Server: bare crawl at {statistics.median(c.pages_per_second for c in bare):.0f} pages/s with the fast server, "
          f"{demo_cached.pages_per_second:.0f} with DemoServer serving pre-rendered pages, "
          f"{demo_server.pages_per_second:.0f} with DemoServer rendering each page")

    full_rss = max(c.peak_rss_mib for c in full)
    growth = full_rss / small_full.peak_rss_mib
    print(f"\nPeak RSS of the full crawl: {small_full.peak_rss_mib:.0f} MiB at {small} articles, "
          f"{full_rss:.0f} MiB at {args.articles} (highest of rounds): x {growth:.2f}; target <= 1.20: "
          f"{'ok' if growth <= 1.2 else 'MISSED'}")

    pages, stage_seconds = profiled.pages, profiled.profile["seconds"]
    overhead = profiled.cpu_per_page / statistics.median(c.cpu_per_page for c in full) - 1
    print(f"\nStages of the full crawl, CPU time (one more full crawl, sampled every 2 ms of CPU: "
          f"{profiled.profile['samples']} samples; its CPU a page {overhead:+.0%} against the unsampled full crawls)")
    print(f"{'stage':<48} {'CPU s':>7} {'share':>7} {'ms/page':>8}")
    rows = list(zip([name for name, _ in STAGES] + [REST], stage_seconds))
    rows.append(("interpreter start-up, imports, exit (unsampled)", profiled.cpu - sum(stage_seconds)))
    for name, seconds in rows:
        print(f"{name:<48} {seconds:>7.1f} {seconds / profiled.cpu:>7.1%} {seconds / pages * 1000:>8.2f}")
    print(f"{'total (the child process, user + system)':<48} {profiled.cpu:>7.1f} {1:>7.1%} {profiled.cpu_per_page * 1000:>8.2f}")
    dates_share = stage_seconds[1] / profiled.cpu
    counts = profiled.dates
    print(f"dates stage share {dates_share:.1%}; target < 10 %: {'ok' if dates_share < 0.1 else 'MISSED'}")
    print(f"Dates: {counts.get('normalize_date', 0)} normalize_date calls, {counts.get('normalize_date_iso', 0)} of them "
          f"with an ISO 8601 value; {counts.get('dateparser', 0)} dateparser calls (DateDataParser.get_date_data, what "
          f"dateparser.parse runs), {counts.get('dateparser_iso', 0)} of them with an ISO 8601 value; target 0: "
          f"{'ok' if counts.get('dateparser_iso', 0) == 0 else 'MISSED'}")
    with multiprocessing.get_context("spawn").Pool(1) as pool:  # a fresh process: no servers, sites or crawls in memory
        floor = pool.apply(extraction_floor, (args.articles,))
    budget = 1000 / (0.7 * bare_rate)
    print(f"\nFloor set by the libraries (CPU ms a page, {FLOOR_SAMPLE} padded article pages, a fresh process): "
          + ", ".join(f"{name} {ms:.2f}" for name, ms in floor.items())
          + f"; the 0.7 target leaves the whole crawl {budget:.2f} ms a page on one core, so trafilatura alone is "
          f"{floor['trafilatura alone'] / budget:.1f} x that budget")
    print(f"\nWhole run: {time.monotonic() - began:.0f} s")
    met = ratio >= 0.7 and growth <= 1.2 and dates_share < 0.1 and counts.get("dateparser_iso", 0) == 0
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
