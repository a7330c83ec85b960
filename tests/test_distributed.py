"""Distributed crawls (``DISTRIBUTED = True`` workers, ``aggregator ingest``) against a real Redis.

Redis comes from the session fixture ``redis_url`` (``tests/conftest.py``:
``AGGREGATOR_TEST_REDIS_URL``, else a private ``redis-server``; skipped
without either). Each test keeps to its own ``DISTRIBUTED_KEY_PREFIX``, so
the server is shared and never flushed.

The crawls serve the demo site on 127.0.0.1 (``DemoServer``), always on the
port of the single-process crawl they are compared with: the site's host
(``127.0.0.1:PORT``) is in every URL, and in the pages, hence in their
``ETag``. Workers run as ``crawl_runner.start_crawl`` children (the Scrapy
process itself, so SIGKILL hits the crawl), the ingester as the
``aggregator ingest`` command.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlsplit

import pytest

redis = pytest.importorskip("redis", reason="the distributed extra is not installed: pip install -e '.[test]'")
pytest.importorskip("scrapy_redis", reason="the distributed extra is not installed: pip install -e '.[test]'")

from aggregator.demo_site import DemoServer, build_demo_site  # noqa: E402
from aggregator.distributed import ITEM_TYPES, Job, decode_item, encode_item  # noqa: E402
from aggregator.items import Article, Section  # noqa: E402
from aggregator.menus import read_menus  # noqa: E402

from crawl_runner import ROOT, run_crawl, start_crawl  # noqa: E402

ARTICLES = 150
WORKER_TIMEOUT = 2
"""``DISTRIBUTED_WORKER_TIMEOUT``: a killed worker's requests are queued again this soon."""
IDLE_CLOSE = 1
"""``DISTRIBUTED_IDLE_CLOSE``: workers and the ingester end this long after the run's last work."""
RUN_TIMEOUT = 120
"""Seconds a process of a distributed run may take before the test fails."""


# --- helpers -----------------------------------------------------------------------------


@pytest.fixture
def prefix(redis_url):
    """A fresh ``DISTRIBUTED_KEY_PREFIX``; whatever a test leaves under it is deleted after."""
    value = f"aggtest-{uuid.uuid4().hex[:12]}:"
    yield value
    client = redis.Redis.from_url(redis_url)
    leftovers = list(client.scan_iter(match=value + "*", count=1000))
    if leftovers:
        client.delete(*leftovers)
    client.close()


def keys_under(client, prefix: str) -> list[str]:
    return sorted(key.decode() for key in client.scan_iter(match=prefix + "*", count=1000))


def site_settings(site) -> dict[str, Any]:
    return {"SITE_TIMEZONE": site.timezone, "AUTOTHROTTLE_ENABLED": False}


def distributed_settings(redis_url: str, prefix: str) -> dict[str, Any]:
    return {
        "REDIS_URL": redis_url,
        "DISTRIBUTED_KEY_PREFIX": prefix,
        "DISTRIBUTED_IDLE_CLOSE": IDLE_CLOSE,
        "DISTRIBUTED_WORKER_TIMEOUT": WORKER_TIMEOUT,
        "DISTRIBUTED_KEYS_TTL": 600,
    }


def aggregator_command(*args: str) -> tuple[list[str], dict[str, str]]:
    """The ``aggregator`` command line (this interpreter) and its environment."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SCRAPY_SETTINGS_MODULE", None)  # the command sets it
    return [sys.executable, "-c", "from aggregator.cli import cli; cli()", *args], env


def ingest_args(url: str, db: Path, settings: dict[str, Any]) -> list[str]:
    args = ["ingest", "--url", url, "--db", str(db)]
    for name, value in {"LOG_LEVEL": "INFO", **settings}.items():
        args += ["-s", f"{name}={value}"]
    return args


def start_ingester(url: str, db: Path, settings: dict[str, Any], log_path: Path) -> subprocess.Popen:
    command, env = aggregator_command(*ingest_args(url, db, settings))
    with open(log_path, "wb") as log:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def run_ingester(url: str, db: Path, settings: dict[str, Any], timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess:
    command, env = aggregator_command(*ingest_args(url, db, settings))
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


@dataclass
class Worker:
    """A worker process: ``news`` crawl with ``DISTRIBUTED = True``, its stats file and log."""

    name: str
    process: subprocess.Popen
    stats_path: Path
    log_path: Path

    @property
    def stats(self) -> dict[str, Any]:
        return json.loads(self.stats_path.read_text()) if self.stats_path.exists() else {}

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stat(self, key: str) -> Any:
        return self.stats.get(key, 0)


def start_worker(url: str, folder: Path, name: str, settings: dict[str, Any]) -> Worker:
    """Start one worker; ``settings`` may name its ``ARCHIVE_PATH`` (else a file that never exists)."""
    stand_in = folder / f"{name}.sqlite"  # only names the stats file, unless settings give no ARCHIVE_PATH
    process = start_crawl(url, stand_in, {**settings, "DISTRIBUTED": True}, log_path=folder / f"{name}.log")
    return Worker(name, process, stand_in.with_suffix(".stats.json"), folder / f"{name}.log")


def wait_for(condition, timeout: float, what: str, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(interval)


def wait_all(processes: list[subprocess.Popen], timeout: float = RUN_TIMEOUT) -> list[int]:
    """Wait for every process; kill the ones still running at the deadline (the test then fails)."""
    deadline = time.monotonic() + timeout
    codes = []
    for process in processes:
        try:
            codes.append(process.wait(max(0.1, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
            codes.append(f"timed out, killed ({process.args[-1][:60]}…)")
    return codes


def article_paths(site) -> set[str]:
    return {truth["url"] for truth in site.ground_truth}


def path_of(target: str) -> str:
    """A request target (or URL) as the demo site's ground truth names articles: the path alone."""
    return urlsplit(target).path


# --- the archive as comparable data ------------------------------------------------------

PER_RUN_COLUMNS = {
    "articles": {"first_seen", "last_seen", "date_downloaded"},
    "sections": {"first_seen", "last_seen"},
    "sites": {"first_seen", "last_seen"},
    "related_articles": {"computed_at"},
    "article_revisions": {"id", "recorded_at", "seen_until"},
    "crawl_runs": {"id", "started", "finished"},
    "crawl_locks": {"run_id", "pid", "host", "acquired_at"},
    "_sqlite_migrations": {"applied_at"},
}
"""Columns that record when (or in which process) a run wrote a row: left out of the comparison."""


def dump_archive(path: Path) -> dict[str, Any]:
    """Every table of an archive as ``{table: sorted rows}``, for ``==``.

    Columns of :data:`PER_RUN_COLUMNS` are left out; author and tag ids,
    which depend on the order of writes, are replaced by names. The
    full-text index (``articles_fts`` and its shadow tables, keyed by rowid)
    is checked with FTS5's ``integrity-check`` instead: ``"ok"``.
    """
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        names = {
            table: {row["id"]: row["name"] for row in conn.execute(f"SELECT id, name FROM {table}")}
            for table in ("authors", "tags")
        }
        dumped: dict[str, Any] = {}
        for table in tables:
            if table.startswith("articles_fts"):
                continue
            rows = []
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                row = {k: row[k] for k in row.keys() if k not in PER_RUN_COLUMNS.get(table, ())}
                if table in ("authors", "tags"):
                    del row["id"]
                elif table == "article_authors":
                    row["author"] = names["authors"][row.pop("author_id")]
                elif table == "article_tags":
                    row["tag"] = names["tags"][row.pop("tag_id")]
                rows.append(row)
            dumped[table] = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))
        conn.execute("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')")  # raises when corrupt
        dumped["articles_fts"] = "ok"
        return dumped
    finally:
        conn.close()


def archive_diff(got: dict[str, Any], expected: dict[str, Any], examples: int = 2) -> str:
    """A short account of how two :func:`dump_archive` results differ, for assertion messages."""
    lines = []
    for table in sorted(set(got) | set(expected)):
        a, b = got.get(table), expected.get(table)
        if a == b:
            continue
        if not isinstance(a, list) or not isinstance(b, list):
            lines.append(f"{table}: {a!r} != {b!r}")
            continue
        left = Counter(json.dumps(r, sort_keys=True) for r in a)
        right = Counter(json.dumps(r, sort_keys=True) for r in b)
        only_got, only_expected = list((left - right).elements()), list((right - left).elements())
        lines.append(f"{table}: {len(a)} rows vs {len(b)}; {len(only_got)} only in this archive, "
                     f"{len(only_expected)} only in the expected one")
        lines += [f"  got      {row[:400]}" for row in only_got[:examples]]
        lines += [f"  expected {row[:400]}" for row in only_expected[:examples]]
    return "\n".join(lines)


def query(path: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def crawl_run(path: Path, offset: int = 0) -> dict[str, Any]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return dict(conn.execute("SELECT * FROM crawl_runs ORDER BY id LIMIT 1 OFFSET ?", [offset]).fetchone())
    finally:
        conn.close()


# --- the single-process crawl every distributed one is compared with -------------------


@dataclass
class Single:
    site: Any
    port: int
    archive: Path
    dump: dict[str, Any]
    requests: list[str]
    result: Any

    def serve(self) -> DemoServer:
        """A fresh server (empty request log) of the same site on the same port."""
        return DemoServer(self.site, port=self.port)


@pytest.fixture(scope="module")
def single(tmp_path_factory) -> Single:
    site = build_demo_site(ARTICLES)
    archive = tmp_path_factory.mktemp("single") / "single.sqlite"
    with DemoServer(site) as server:
        result = run_crawl(f"{server.base_url}/", archive, site_settings(site))
        port = int(server.base_url.rsplit(":", 1)[1])
        requests = list(server.requests)
    assert result.returncode == 0, result.log[-3000:]
    assert query(archive, "SELECT count(*) FROM articles") == [(ARTICLES,)]
    return Single(site, port, archive, dump_archive(archive), requests, result)


# --- a whole distributed run ------------------------------------------------------------


@dataclass
class DistributedRun:
    prefix: str
    base: str
    """The run's Redis key base, ``<prefix>news:<site>``."""
    archive: Path
    workers: list[Worker]
    ingester: subprocess.Popen
    ingester_log: Path
    codes: list[Any] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    keys_left: list[str] = field(default_factory=list)

    def logs(self) -> str:
        text = [f"--- ingester (exit {self.ingester.returncode}) ---\n{self.ingester_log.read_text(errors='replace')[-3000:]}"]
        text += [f"--- {w.name} (exit {w.process.returncode}) ---\n{w.log[-3000:]}" for w in self.workers]
        return "\n".join(text)


def start_run(single: Single, server: DemoServer, client, redis_url: str, prefix: str, folder: Path,
              archive: Path, workers: int = 2, worker_archive: Optional[Path] = None) -> DistributedRun:
    """Start ``workers`` workers, then, once one of them is alive in Redis, the ingester.

    :param worker_archive: the workers' ``ARCHIVE_PATH`` (the ingester's archive
        when they share the machine); default: a file that does not exist, as
        for workers on other machines.
    """
    url = f"{server.base_url}/"
    settings = {**site_settings(single.site), **distributed_settings(redis_url, prefix)}
    if worker_archive is not None:
        settings["ARCHIVE_PATH"] = str(worker_archive)
    started = [start_worker(url, folder, f"worker{i}", settings) for i in range(workers)]
    base = f"{prefix}news:{urlsplit(url).netloc}"
    # The ingester ends once no worker has been alive for IDLE_CLOSE seconds: start it when one is.
    wait_for(lambda: any(client.scan_iter(match=f"{base}:worker:*")) or all(w.process.poll() is not None for w in started),
             60, "a worker's heartbeat")
    log = folder / "ingester.log"
    ingester = start_ingester(url, archive, {k: v for k, v in settings.items() if k != "ARCHIVE_PATH"}, log)
    return DistributedRun(prefix, base, archive, started, ingester, log)


def finish_run(run: DistributedRun, server: DemoServer, client) -> DistributedRun:
    """Wait for every process of the run; then note what the site served and what is left in Redis."""
    run.codes = wait_all([w.process for w in run.workers] + [run.ingester])
    run.requests = list(server.requests)
    run.keys_left = keys_under(client, run.prefix)
    return run


@pytest.fixture(scope="module")
def first_run(single, redis_url, tmp_path_factory):
    """One distributed run of the site: two workers (on "other machines": no archive) and the ingester."""
    folder = tmp_path_factory.mktemp("distributed")
    prefix = f"aggtest-{uuid.uuid4().hex[:12]}:"
    client = redis.Redis.from_url(redis_url)
    try:
        with single.serve() as server:
            run = start_run(single, server, client, redis_url, prefix, folder, folder / "dist.sqlite")
            finish_run(run, server, client)
        yield run
    finally:
        leftovers = list(client.scan_iter(match=prefix + "*", count=1000))
        if leftovers:
            client.delete(*leftovers)
        client.close()


# --- 1. items through Redis --------------------------------------------------------------


def sample_article() -> Article:
    return Article(
        url="https://news.example.com/2025/02/19/summit-ends/?utm_source=x",
        site="news.example.com",
        canonicalUrl="https://news.example.com/2025/02/19/summit-ends/",
        headline="Summit ends — “late” deal, 北京",
        datePublishedCandidates=[{"raw": "2025-02-19T10:30:00+08:00", "source": "json-ld"}],
        datePublished="2025-02-19T02:30:00Z",
        authors=["Zoë Ångström", "Marcus Bell"],
        breadcrumbs=[{"name": "World News", "url": "https://news.example.com/world/"}],
        listingSection=["World News", "Asia"],
        sections=[["World News", "Asia"], ["Business"]],
        tags=["Policy", "Trade"],
        articleBody="First paragraph.\n\nSecond one.",
        readingTimeMinutes=3,
        wordCount=412,
        httpEtag='"abc"',
    )


@pytest.mark.parametrize("item", [
    sample_article(),
    Article(url="https://news.example.com/a/", site="news.example.com"),
    Section(site="news.example.com", path=["World News", "Asia"], url="https://news.example.com/world/asia/"),
    Section(site="news.example.com", path=["About"], isListing=False),
], ids=["full article", "bare article", "section", "not a listing"])
def test_items_round_trip_through_their_json(item):
    encoded = encode_item(item)
    assert json.loads(encoded)["type"] == type(item).__name__
    for data in (encoded, encoded.encode("utf-8")):  # Redis gives bytes back
        decoded = decode_item(data)
        assert type(decoded) is type(item)
        assert decoded == item
    assert set(ITEM_TYPES) == {"Article", "Section"}


@pytest.mark.parametrize("data, message", [
    (b"not json", "not an item"),
    (b"", "not an item"),
    (b'["Article", {}]', "not an item"),
    (b'{"item": {"site": "a", "path": []}}', "not an item"),
    (b'{"type": "Spider", "item": {}}', "not an item"),
    (b'{"type": ["Article"], "item": {}}', "not an item"),
    (b'{"type": "Section", "item": {"site": "a", "path": [], "colour": "red"}}', "unknown Section fields: colour"),
    (b'{"type": "Article", "item": {"url": "https://a/", "site": "a", "x": 1, "y": 2}}', "unknown Article fields: x, y"),
    (b'{"type": "Article", "item": {"site": "a"}}', "not an item"),  # a required field missing
    (b'{"type": "Section", "item": null}', "not an item"),
    ('{"type": "Section", "item": {"site": "café", "path": []}}'.encode("latin-1"), "not an item"),
    (b"\xff\xfe\x00\xd8garbage", "not an item"),
    # Well-formed JSON of the wrong types would fail later, in a pipeline, and be lost.
    (b'{"type": "Article", "item": {"url": 42, "site": "a"}}', "Article field url is not str"),
    (b'{"type": "Article", "item": {"url": "https://a/", "site": "a", "authors": "Ana"}}', "field authors is not list"),
    (b'{"type": "Article", "item": {"url": "https://a/", "site": "a", "wordCount": "12"}}', "field wordCount"),
    (b'{"type": "Article", "item": {"url": "https://a/", "site": null}}', "field site is not str"),
    (b'{"type": "Section", "item": {"site": "a", "path": [], "isListing": 1}}', "field isListing"),
    # List elements are checked too: a bad author would fail in the archive, with its whole batch.
    (b'{"type": "Article", "item": {"url": "https://a/", "site": "a", "authors": [1, {"x": 2}]}}', "field authors"),
    (b'{"type": "Article", "item": {"url": "https://a/", "site": "a", "breadcrumbs": ["Home"]}}', "field breadcrumbs"),
    (b'{"type": "Article", "item": {"url": "https://a/", "site": "a", "sections": [["A", 2]]}}', "field sections"),
    (b'{"type": "Section", "item": {"site": "a", "path": [1, 2]}}', "field path"),
])
def test_bad_entries_are_value_errors(data, message):
    with pytest.raises(ValueError, match=message):
        decode_item(data)


@pytest.mark.parametrize("item", [
    {"url": "https://a/", "site": "a"},
    type("Article", (), {})(),  # a namesake that is not the project's Article
    type("NewsArticle", (Article,), {})(url="https://a/", site="a"),  # a subclass: decoded, it would lose its class
    "text",
])
def test_only_project_items_can_be_encoded(item):
    with pytest.raises(TypeError, match="cannot send a"):
        encode_item(item)


# --- 2. the shared queue, in-flight requests and recovery (Job) -----------------------------


@pytest.fixture
def client(redis_url):
    connection = redis.Redis.from_url(redis_url)
    yield connection
    connection.close()


def job(client, prefix: str, worker_timeout: float = WORKER_TIMEOUT, keys_ttl: float = 60) -> Job:
    return Job(client, "news", "news.example.com", prefix=prefix, worker_timeout=worker_timeout, keys_ttl=keys_ttl)


def test_pop_moves_the_first_request_into_the_workers_in_flight_hash(client, prefix):
    worker = job(client, prefix)
    queue = worker.key("requests")
    assert queue == f"{prefix}news:news.example.com:requests"
    client.zadd(queue, {b"home": -100, b"listing": -10, b"article\n2": 0})
    lease, payload = worker.pop()
    assert payload == b"home"
    # It is in flight, out of the queue, with its score for recovery.
    assert client.hkeys(worker.inflight_key) == [lease.encode()]
    assert client.hget(worker.inflight_key, lease) == b"-100\nhome"
    assert client.zrange(queue, 0, -1, withscores=True) == [(b"listing", -10.0), (b"article\n2", 0.0)]

    lease2, payload = worker.pop()
    assert payload == b"listing"
    assert client.hlen(worker.inflight_key) == 2
    worker.finish(lease2)
    assert client.hkeys(worker.inflight_key) == [lease.encode()]
    worker.finish(lease)
    assert not client.exists(worker.inflight_key)

    assert worker.pop()[1] == b"article\n2"  # a payload may hold newlines
    assert worker.pop() is None
    assert not client.exists(queue)
    assert worker.inflight() == {worker.worker_id: 1}


def test_requests_whose_output_missed_redis_are_queued_again_when_idle(client, prefix):
    worker = job(client, prefix)
    client.zadd(worker.key("requests"), {b"listing": -10, b"article": 0})
    lease, _ = worker.pop()
    other, _ = worker.pop()
    worker.poisoned.add(lease)  # e.g. an item push failed while its response was handled
    assert worker.quiescent() is False  # its request is queued again: not quiescent
    assert client.zrange(worker.key("requests"), 0, -1, withscores=True) == [(b"listing", -10.0)]
    assert not client.exists(worker.inflight_key) and worker.poisoned == set()


def test_recover_requeues_a_dead_workers_requests_with_their_scores(client, prefix):
    alive, dead, other = job(client, prefix), job(client, prefix), job(client, prefix)
    queue = alive.key("requests")
    entries = {b"p-100": -100, b"p-10\nwith newline": -10, b"p0": 0, b"p5": 5, b"p7.5": 7.5}
    client.zadd(queue, entries)
    alive.heartbeat()
    other.heartbeat()
    assert dead.pop()[1] == b"p-100"
    assert dead.pop()[1] == b"p-10\nwith newline"
    assert other.pop()[1] == b"p0"  # a live worker's requests stay where they are
    assert alive.live_workers() == {alive.worker_id, other.worker_id}  # the dead one never beat
    assert alive.inflight() == {dead.worker_id: 2, other.worker_id: 1}
    assert not alive.quiescent()  # requests queued, and some in flight

    assert alive.recover() == 2
    assert alive.requeued == 2  # the worker's stat aggregator/distributed/requeued
    assert client.zrange(queue, 0, -1, withscores=True) == [
        (b"p-100", -100.0), (b"p-10\nwith newline", -10.0), (b"p5", 5.0), (b"p7.5", 7.5)]
    assert not client.exists(dead.inflight_key)
    assert alive.inflight() == {other.worker_id: 1}
    assert alive.recover() == 0  # nothing more to move
    # Priority order is kept: the next pop is the dead worker's first request again.
    assert alive.pop()[1] == b"p-100"


def test_recover_waits_for_the_heartbeat_to_expire(client, prefix):
    alive = job(client, prefix)
    mortal = job(client, prefix, worker_timeout=1)
    client.zadd(alive.key("requests"), {b"a": 1})
    mortal.heartbeat()
    assert 0 < client.pttl(mortal.key(f"worker:{mortal.worker_id}")) <= 1000
    mortal.pop()
    assert alive.recover() == 0  # still alive
    time.sleep(1.2)
    assert mortal.worker_id not in alive.live_workers()
    assert alive.recover() == 1
    assert client.zrange(alive.key("requests"), 0, -1, withscores=True) == [(b"a", 1.0)]


def test_a_dead_workers_taken_deferred_urls_go_back_to_the_deferred_list(client, prefix):
    alive, taker = job(client, prefix), job(client, prefix)
    alive.heartbeat()
    taker.heartbeat()
    taker.defer("https://news.example.com/a/", {"source": "listing", "listing": ["World"]})
    alive.defer("https://news.example.com/b/", None)
    taken = taker.take_deferred()
    assert taken == [("https://news.example.com/a/", {"source": "listing", "listing": ["World"]}),
                     ("https://news.example.com/b/", None)]
    assert not alive.has_deferred() and alive.take_deferred() == []  # only one worker gets them
    assert client.llen(taker.key(f"deferred-taken:{taker.worker_id}")) == 2
    assert not alive.quiescent()  # a live worker holds deferred URLs it is scheduling
    assert alive.recover() == 0

    client.delete(taker.key(f"worker:{taker.worker_id}"))  # its heartbeat expires: it died
    assert alive.recover() == 2
    assert not client.exists(taker.key(f"deferred-taken:{taker.worker_id}"))
    assert alive.take_deferred() == taken  # same entries, same order
    alive.deferred_scheduled()
    assert alive.quiescent()


def test_heartbeat_keeps_the_runs_keys_for_the_keys_ttl(client, prefix):
    worker = job(client, prefix, keys_ttl=60)
    names = ("requests", "dupefilter", "deferred", "menu", "stats", "front", "items", "sections")
    client.zadd(worker.key("requests"), {b"r": 0})
    client.sadd(worker.key("dupefilter"), "fingerprint")
    worker.defer("https://news.example.com/a/", None)
    worker.publish_menu([(["World News"], "https://news.example.com/world/")])
    worker.push_stats({"downloader/request_count": 3})
    worker.add_front(["https://news.example.com/a/", "https://news.example.com/b/"])
    worker.add_front(["https://news.example.com/a/"])  # counted once per run, whichever worker saw it
    assert client.scard(worker.key("front")) == 2
    client.rpush(worker.key("items"), b"{}")
    client.rpush(worker.key("sections"), b"{}")
    assert all(client.ttl(worker.key(name)) == -1 for name in names)  # no expiry yet
    worker.heartbeat()
    ttls = {name: client.ttl(worker.key(name)) for name in names}
    assert all(55 <= ttl <= 60 for ttl in ttls.values()), ttls
    assert 0 < client.pttl(worker.key(f"worker:{worker.worker_id}")) <= WORKER_TIMEOUT * 1000
    assert worker.menu() == [(["World News"], "https://news.example.com/world/")]
    worker.push_stats({"downloader/request_count": 2})
    assert client.hget(worker.key("stats"), "downloader/request_count") == b"5"
    assert job(client, prefix, keys_ttl=1).keys_ttl == 60  # never shorter than a minute


def test_the_last_worker_to_leave_clears_the_runs_seen_set(client, prefix):
    first, last = job(client, prefix), job(client, prefix)
    first.heartbeat()
    last.heartbeat()
    client.sadd(first.key("dupefilter"), "fingerprint")
    first.defer("https://news.example.com/a/", None)
    first.publish_menu([])
    client.rpush(first.key("items"), b"{}")
    assert first.leave() is False  # another worker is alive: the run goes on
    assert client.exists(first.key("dupefilter"), first.key("deferred"), first.key("menu")) == 3
    assert last.leave() is True
    assert client.exists(first.key("dupefilter"), first.key("deferred"), first.key("menu"), first.key("requests")) == 0
    assert client.llen(first.key("items")) == 1  # the ingester's, not the workers'
    assert last.live_workers() == set()


# --- 3. end to end: two workers and the ingester archive what one process archives ---------


@pytest.mark.slow
def test_workers_and_ingester_exit_zero(first_run):
    assert first_run.codes == [0, 0, 0], first_run.logs()


@pytest.mark.slow
def test_no_url_is_fetched_twice_but_robots_txt_once_per_worker(first_run, single):
    fetched = Counter(first_run.requests)
    assert fetched["/robots.txt"] == 2
    assert {path: n for path, n in fetched.items() if n > 1 and path != "/robots.txt"} == {}
    # The two workers together fetched exactly what one process fetches, plus the second robots.txt.
    assert fetched == Counter(single.requests) + Counter({"/robots.txt": 1})
    assert [w.stat("robotstxt/request_count") for w in first_run.workers] == [1, 1]
    # Both workers did part of the work, and each article page was parsed once.
    pages = [w.stat("aggregator/pages/articles") for w in first_run.workers]
    assert sum(pages) == ARTICLES and min(pages) > 0, pages


@pytest.mark.slow
def test_every_article_archived_exactly_once(first_run, single):
    assert query(first_run.archive, "SELECT count(*), count(DISTINCT url) FROM articles") == [(ARTICLES, ARTICLES)]
    archived = {path_of(url) for (url,) in query(first_run.archive, "SELECT canonical_url FROM articles")}
    assert archived == article_paths(single.site)
    run = crawl_run(first_run.archive)
    # Each article reached the archive once: a second copy would count as unchanged.
    assert (run["new"], run["updated"], run["unchanged"], run["dropped"]) == (ARTICLES, 0, 0, 0)


@pytest.mark.slow
def test_distributed_archive_equals_the_single_process_one(first_run, single):
    summed = {key: sum(w.stat(key) for w in first_run.workers)
              for key in ("downloader/request_count", "response_received_count")}
    expected = json.loads(json.dumps(single.dump))
    (single_run,) = expected["crawl_runs"]
    # The run record differs in what the two workers did differently: one robots.txt each.
    assert summed["downloader/request_count"] == single_run["requests"] + 1
    assert summed["response_received_count"] == single_run["pages"] + 1
    expected["crawl_runs"] = [{
        **single_run,
        "requests": summed["downloader/request_count"], "pages": summed["response_received_count"],
    }]
    got = dump_archive(first_run.archive)
    assert got == expected, archive_diff(got, expected)


@pytest.mark.slow
def test_one_finished_run_record_with_the_workers_requests(first_run):
    rows = query(first_run.archive, "SELECT status, finish_reason, requests FROM crawl_runs")
    requests = sum(w.stat("downloader/request_count") for w in first_run.workers)
    assert rows == [("finished", "finished", requests)]
    assert requests == len(first_run.requests)  # every request the site saw, counted once
    assert query(first_run.archive, "SELECT count(*) FROM crawl_locks") == [(0,)]


@pytest.mark.slow
def test_the_run_leaves_nothing_in_redis(first_run, redis_url):
    client = redis.Redis.from_url(redis_url)
    try:
        base = first_run.base
        assert client.exists(f"{base}:dupefilter", f"{base}:deferred", f"{base}:menu", f"{base}:requests") == 0
        assert client.llen(f"{base}:items") == 0
    finally:
        client.close()
    assert first_run.keys_left == []  # no seen-set, queue, items, stats, heartbeat or lock either


# --- 4. a worker killed with SIGKILL loses nothing ---------------------------------------------


@pytest.mark.slow
def test_sigkilled_worker_is_replaced_and_the_archive_is_complete(single, redis_url, prefix, tmp_path):
    client = redis.Redis.from_url(redis_url)
    articles = article_paths(single.site)
    try:
        with single.serve() as server:
            run = start_run(single, server, client, redis_url, prefix, tmp_path, tmp_path / "dist.sqlite")
            victim = run.workers[0]
            pattern = f"{run.base}:inflight:*-{victim.process.pid}-*"

            def mid_crawl_with_requests_in_flight():
                assert victim.process.poll() is None, "the worker ended before it could be killed"
                fetched = sum(1 for path in server.requests if path_of(path) in articles)
                return fetched >= 30 and any(client.hlen(key) for key in client.scan_iter(match=pattern))

            wait_for(mid_crawl_with_requests_in_flight, 60, "30 articles fetched and requests in flight", 0.005)
            victim.process.kill()
            victim.process.wait(10)
            fetched_at_kill = sum(1 for path in server.requests if path_of(path) in articles)
            held = list(client.scan_iter(match=pattern))
            assert held, "the killed worker had no request in flight"
            victim_id = held[0].decode().rsplit(":", 1)[1]
            in_flight = client.hvals(held[0])
            in_flight_paths = {path_of(pickle.loads(value.split(b"\n", 1)[1])["url"]) for value in in_flight}
            # The dead worker's heartbeat is held until the replacement is up, as a longer
            # DISTRIBUTED_WORKER_TIMEOUT would: else the survivor may finish the run (and clear its
            # seen-set) before the replacement has started, which would then start a run of its own.
            heartbeat = f"{run.base}:worker:{victim_id}"
            assert client.persist(heartbeat), "the killed worker's heartbeat had already expired"

            settings = {**site_settings(single.site), **distributed_settings(redis_url, prefix)}
            replacement = start_worker(f"{server.base_url}/", tmp_path, "replacement", settings)
            wait_for(lambda: any(client.scan_iter(match=f"{run.base}:worker:*-{replacement.process.pid}-*"))
                     or replacement.process.poll() is not None, 60, "the replacement's heartbeat")
            client.delete(heartbeat)  # as if it had expired now
            run.workers.append(replacement)
            finish_run(run, server, client)
    finally:
        client.close()

    survivor = run.workers[1]
    assert run.codes[0] == -signal.SIGKILL
    assert run.codes[1:] == [0, 0, 0], run.logs()  # survivor, replacement, ingester
    assert fetched_at_kill < len(articles)
    fetched = Counter(run.requests)
    # robots.txt once per worker that fetched anything (the replacement may have found nothing left to
    # fetch); pages fetched twice are only those the killed worker held.
    replacement_fetched = replacement.stat("downloader/request_count") > 0
    assert (survivor.stat("robotstxt/request_count"), replacement.stat("robotstxt/request_count")) == (1, replacement_fetched)
    assert fetched["/robots.txt"] == 2 + replacement_fetched
    twice = {path for path, n in fetched.items() if n > 1 and path != "/robots.txt"}
    assert twice <= in_flight_paths, (twice, in_flight_paths)
    assert max(fetched[path] for path in twice | {"/"}) <= 2

    # The survivor or the replacement put the killed worker's requests back in the queue, and counted them.
    logs = survivor.log + replacement.log
    moved = [int(line.split(" stopped without finishing ")[1].split()[0])
             for line in logs.splitlines() if f"Worker {victim_id} stopped without finishing" in line]
    assert len(moved) == 1 and moved[0] >= len(in_flight), (moved, len(in_flight))
    assert survivor.stat("aggregator/distributed/requeued") + replacement.stat("aggregator/distributed/requeued") == moved[0]

    assert query(run.archive, "SELECT count(*), count(DISTINCT url) FROM articles") == [(ARTICLES, ARTICLES)]
    assert {path_of(url) for (url,) in query(run.archive, "SELECT canonical_url FROM articles")} == articles
    got, expected = dump_archive(run.archive), json.loads(json.dumps(single.dump))
    del got["crawl_runs"], expected["crawl_runs"]  # the killed worker's last counts are lost
    assert got == expected, archive_diff(got, expected)
    record = crawl_run(run.archive)
    assert (record["status"], record["finish_reason"], record["new"], record["updated"], record["errors"]) == (
        "finished", "finished", ARTICLES, 0, 0)
    # Front-page articles are counted in Redis, once each: the killed worker's count is not lost.
    assert record["articles"] == single.dump["crawl_runs"][0]["articles"]
    assert run.keys_left == []


# --- 5. the seen-set belongs to one run ---------------------------------------------------


@pytest.mark.slow
def test_a_second_run_starts_afresh_and_fetches_only_what_changed(first_run, single, redis_url, tmp_path):
    """Workers on the ingester's machine read its archive: the second run is incremental."""
    archive = tmp_path / "second.sqlite"
    shutil.copyfile(first_run.archive, archive)
    client = redis.Redis.from_url(redis_url)
    try:
        with single.serve() as server:
            # The first run's key prefix: its seen-set would be found, were it left.
            run = start_run(single, server, client, redis_url, first_run.prefix, tmp_path, archive,
                            worker_archive=archive)
            finish_run(run, server, client)
    finally:
        client.close()
    assert run.codes == [0, 0, 0], run.logs()
    fetched = Counter(run.requests)
    # The seen-set of the first run was cleared: the home page is read again, once.
    assert fetched["/"] == 1
    # robots.txt once per worker that fetched anything (with ~60 requests, one worker may get them all).
    busy = [w for w in run.workers if w.stat("downloader/request_count")]
    assert [w.stat("robotstxt/request_count") for w in busy] == [1] * len(busy)
    assert fetched["/robots.txt"] == len(busy) >= 1
    assert [path for path in run.requests if path_of(path) in article_paths(single.site)] == []
    # What a single-process second run fetches (tests/test_scheduled_runs.py): home, robots.txt, the
    # sitemap index and news sitemap, the feed, each menu section's first page; nothing else.
    menu = {urlsplit(entry.url).path for entry in read_menus(single.site.get("/")[2].decode(), "http://demo.invalid/")}
    assert set(fetched) == {"/", "/robots.txt", "/wp-sitemap.xml", "/news-sitemap.xml", "/feed/"} | menu
    first, second = crawl_run(archive, 0), crawl_run(archive, 1)
    assert (second["status"], second["new"], second["updated"]) == ("finished", 0, 0)
    assert second["articles"] == first["articles"]  # runs compare like with like (degraded runs)
    assert second["requests"] == len(run.requests) < first["requests"] / 3
    assert query(archive, "SELECT count(*) FROM articles") == [(ARTICLES,)]
    assert run.keys_left == []


# --- 6. bad input and configuration -------------------------------------------------------------


def test_unreachable_redis_is_a_one_line_usage_error(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SCRAPY_SETTINGS_MODULE": "aggregator.settings"}
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "news", "-a", "url=http://127.0.0.1:9/",
         "-s", "DISTRIBUTED=True", "-s", "REDIS_URL=redis://127.0.0.1:1/0", "-s", f"ARCHIVE_PATH={tmp_path / 'a.sqlite'}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "REDIS_URL" in line]
    assert len(errors) == 1 and "redis://127.0.0.1:1/0" in errors[0], result.stderr[-2000:]
    assert not (tmp_path / "a.sqlite").exists()


@pytest.mark.parametrize("args, message", [
    ([], "give the site: --url URL or --site NAME"),
    (["--url", "http://127.0.0.1:9/", "--site", "demo"], "give the site: --url URL or --site NAME"),
    (["--url", "ftp://127.0.0.1/"], "the news spider needs the site's home page"),
    (["--url", "http://127.0.0.1:9/", "-s", "DISTRIBUTED_WORKER_TIMEOUT=0.5"], "DISTRIBUTED_WORKER_TIMEOUT"),
])
def test_ingest_usage_errors(tmp_path, args, message):
    command, env = aggregator_command("ingest", *args, "--db", str(tmp_path / "a.sqlite"))
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr[-2000:]
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "a.sqlite").exists()


def test_ingest_without_redis_is_a_usage_error(tmp_path):
    command, env = aggregator_command("ingest", "--url", "http://127.0.0.1:9/", "--db", str(tmp_path / "a.sqlite"),
                                      "-s", "REDIS_URL=redis://127.0.0.1:1/0")
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "REDIS_URL: cannot reach Redis at redis://127.0.0.1:1/0" in result.stderr
    assert "Traceback" not in result.stderr


def test_garbage_in_the_items_list_is_set_aside_and_the_rest_archived(client, redis_url, prefix, tmp_path):
    site = "127.0.0.1:9"
    items = Job(client, "news", site, prefix=prefix).key("items")
    section = Section(site=site, path=["World News"], url=f"http://{site}/category/world/", isListing=True)
    article = Article(
        url=f"http://{site}/2025/02/19/summit-ends/", site=site, headline="Summit ends",
        datePublishedCandidates=[{"raw": "2025-02-19T10:30:00+08:00", "source": "json-ld"}],
        authors=["Marcus Bell"], tags=["Policy"], listingSection=["World News"],
        articleBody="The summit ended with a deal. " * 40,
    )
    foreign = encode_item(Article(url="javascript:alert(1)", site="evil.example", headline="Not ours")).encode()
    garbage = [b"\x80\x81 not json", b'{"type": "Spider", "item": {}}', foreign]
    client.rpush(items, encode_item(section), garbage[0], encode_item(article), garbage[1], garbage[2])
    archive = tmp_path / "ingested.sqlite"
    result = run_ingester(f"http://{site}/", archive, distributed_settings(redis_url, prefix), timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    assert client.lrange(items + ":invalid", 0, -1) == garbage
    assert not client.exists(items)
    assert "'aggregator/ingest/invalid': 3" in result.stderr
    assert "an item of the site 'evil.example'" in result.stderr
    assert "'aggregator/ingest/items': 2" in result.stderr
    assert query(archive, "SELECT url, headline, date_published, section_path, authors, tags FROM articles") == [
        (article.url, "Summit ends", "2025-02-19T02:30:00Z", "World News", '["Marcus Bell"]', '["Policy"]')]
    assert query(archive, "SELECT site, path, url FROM sections") == [(site, "World News", section.url)]
    assert query(archive, "SELECT status, new FROM crawl_runs") == [("finished", 1)]
    assert keys_under(client, prefix) == [items + ":invalid"]


def test_an_ingester_left_without_workers_keeps_the_unfinished_run(client, redis_url, prefix, tmp_path):
    site = "127.0.0.1:9"
    dead = Job(client, "news", site, prefix=prefix)  # never sent a heartbeat: dead
    client.zadd(dead.key("requests"), {b"queued": 0, b"in flight": -10})
    assert dead.pop()[1] == b"in flight"
    client.sadd(dead.key("dupefilter"), "fingerprint")
    archive = tmp_path / "ingested.sqlite"
    # Started first, it waits DISTRIBUTED_START_WAIT for workers to finish the run, then gives up.
    settings = {**distributed_settings(redis_url, prefix), "DISTRIBUTED_START_WAIT": 2}
    started = time.monotonic()
    result = run_ingester(f"http://{site}/", archive, settings, timeout=60)
    assert time.monotonic() - started >= 2
    assert result.returncode == 1, result.stderr[-3000:]
    assert "ingest failed: finish reason 'workers_gone'" in result.stderr
    assert "run is unfinished (2 requests queued)" in result.stderr
    # The dead worker's request is queued again, with its score; the seen-set is kept for the next workers.
    assert client.zrange(dead.key("requests"), 0, -1, withscores=True) == [(b"in flight", -10.0), (b"queued", 0.0)]
    assert not client.exists(dead.inflight_key)
    assert client.smembers(dead.key("dupefilter")) == {b"fingerprint"}
    assert query(archive, "SELECT status, finish_reason FROM crawl_runs") == [("failed", "workers_gone")]


def test_an_ingester_that_never_sees_a_worker_ends_with_no_workers(redis_url, prefix, tmp_path):
    archive = tmp_path / "ingested.sqlite"
    settings = {**distributed_settings(redis_url, prefix), "DISTRIBUTED_START_WAIT": 1}
    started = time.monotonic()
    result = run_ingester("http://127.0.0.1:9/", archive, settings, timeout=60)
    assert result.returncode == 1, result.stderr[-3000:]
    assert "ingest failed: finish reason 'no_workers'" in result.stderr
    assert "No worker of" in result.stderr and "DISTRIBUTED_START_WAIT" in result.stderr
    assert time.monotonic() - started < 30
    assert query(archive, "SELECT status, finish_reason, new FROM crawl_runs") == [("failed", "no_workers", 0)]


def test_a_second_ingester_of_the_site_exits_1(client, redis_url, prefix, tmp_path):
    url = "http://127.0.0.1:9/"
    lock = Job(client, "news", "127.0.0.1:9", prefix=prefix).key("ingester")
    settings = {**distributed_settings(redis_url, prefix), "DISTRIBUTED_IDLE_CLOSE": 60}
    first = start_ingester(url, tmp_path / "first.sqlite", settings, tmp_path / "first.log")
    try:
        wait_for(lambda: client.exists(lock) or first.poll() is not None, 60, "the first ingester's lock")
        holder = client.get(lock)
        assert holder is not None, (tmp_path / "first.log").read_text()[-3000:]
        # Another archive (as on another machine), so that only the Redis lock can stop it.
        second = run_ingester(url, tmp_path / "second.sqlite", {**settings, "DISTRIBUTED_WORKER_TIMEOUT": 1}, timeout=60)
        assert first.poll() is None
        assert client.get(lock) == holder  # the second did not touch the first's lock
    finally:
        first.terminate()
        try:
            first.wait(20)
        except subprocess.TimeoutExpired:
            first.kill()
            first.wait(10)
    assert second.returncode == 1, second.stderr[-3000:]
    assert "ingest failed: finish reason 'already_running'" in second.stderr
    assert f"Another ingester of {prefix}news:127.0.0.1:9 is running" in second.stderr
    assert "Traceback" not in second.stderr
    assert query(tmp_path / "second.sqlite", "SELECT status, finish_reason FROM crawl_runs") == [
        ("skipped", "already_running")]
