"""Distributed crawls: several workers share one Redis through scrapy-redis.

Turned on by the setting ``DISTRIBUTED = True`` (and the extra
``pip install .[distributed]``), a ``news`` crawl becomes a *worker*:

- scrapy-redis's scheduler and duplicate filter hold the request queue and the
  seen-set in Redis, shared by every worker of the same site
  (:class:`Scheduler`, a subclass of :class:`scrapy_redis.scheduler.Scheduler`);
- items are not normalized or archived by the worker: scrapy-redis's item
  pipeline pushes them, as tagged JSON (:func:`encode_item`), to a Redis list
  read by one ``aggregator ingest`` process (:class:`IngestSpider`), which
  runs the project's usual pipelines and is the archive's single writer.

Redis keys, for the spider ``news`` and the site ``news.example.com``
(``DISTRIBUTED_KEY_PREFIX`` first, default ``aggregator:``):

===================================  ===================================================
``…news:news.example.com:requests``  the shared request queue (a sorted set, scrapy-redis)
``…:dupefilter``                     the run's seen-set (request fingerprints, scrapy-redis)
``…:items``                          items waiting for the ingester (a list)
``…:inflight:<worker>``              requests a worker took and has not finished
``…:worker:<worker>``                a worker's heartbeat (expires after ``DISTRIBUTED_WORKER_TIMEOUT``)
``…:workers``                        the run's workers (where recovery looks for dead ones' entries)
``…:deferred``                       article URLs every worker defers until the listings are walked
``…:menu``                           the site's menu taxonomy, read from the home page by one worker
``…:stats``                          the workers' numeric stats, summed (for the run record)
``…:front``                          article URLs linked from the pages every run reads (``articles`` of the run record)
``…:items:invalid``                  entries that were not this site's items, or failed in the pipelines (never expires)
``…:deferred-taken:<worker>``        deferred URLs a worker is scheduling (put back if it dies)
``…:sections``                       ``Section`` items the ingester has read this run
``…:ingester``                       the single ingester's lock
===================================  ===================================================

A run is the time from the first worker's start until the last worker ends
and the ingester has archived every item. The seen-set, the deferred URLs and
the menu belong to one run: the last worker to finish deletes them, and so
does the ingester when it ends, so the next run starts afresh; every worker
heartbeat also sets them to expire ``DISTRIBUTED_KEYS_TTL`` seconds after the
last activity, so a run whose processes were all killed does not leave them
behind for long.

A worker killed (even with SIGKILL) loses nothing: the requests it had taken
stay in its ``inflight`` hash until their responses are fully handled (their
items pushed, their new requests queued), and another worker puts them back in
the queue once the dead worker's heartbeat has expired. Those pages are then
fetched again; the archive, upserted by canonical URL, stays free of
duplicates. The ingester likewise removes items from its list only after the
archive has committed them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
import uuid
import weakref
from dataclasses import asdict, fields
from typing import Any, Iterable, Optional
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider, NotConfigured

from aggregator.config import ConfigError, check_site_url, check_sources
from aggregator.items import Article, Section

try:  # the optional extra "distributed"
    import redis
    from scrapy_redis.dupefilter import RFPDupeFilter
    from scrapy_redis.pipelines import RedisPipeline
    from scrapy_redis.scheduler import Scheduler as RedisScheduler
except ImportError:  # pragma: no cover - exercised only without the extra
    redis = None
    RFPDupeFilter = RedisPipeline = RedisScheduler = object

logger = logging.getLogger(__name__)

ITEM_TYPES = {"Article": Article, "Section": Section}
"""Item classes that travel through Redis, by the tag :func:`encode_item` writes."""

# Worker stats not summed into the run record: the ingester counts its own items,
# and times, memory and log lines are per process.
_UNSUMMED_STATS = ("item_", "log_count/", "memusage/", "elapsed_time", "start_time", "finish_", "scheduler/")

# Take the queue's first request (lowest score = highest priority) and record it
# in the worker's in-flight hash in one atomic step: a worker killed between the
# two cannot lose it. The hash value is "<score>\n<payload>", for recovery. The
# worker joins the run's registry of workers (KEYS[3]), where recovery looks.
_POP_SCRIPT = """
local found = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if not found[1] then return nil end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
local field = redis.sha1hex(found[1])
redis.call('HSET', KEYS[2], field, found[2] .. '\\n' .. found[1])
redis.call('SADD', KEYS[3], ARGV[1])
return {field, found[1]}
"""

# Put some of this worker's own in-flight requests back in the queue (ARGV: their fields).
_REQUEUE_OWN_SCRIPT = """
local moved = 0
for _, field in ipairs(ARGV) do
  local entry = redis.call('HGET', KEYS[2], field)
  if entry then
    local cut = string.find(entry, '\\n', 1, true)
    redis.call('ZADD', KEYS[1], tonumber(string.sub(entry, 1, cut - 1)), string.sub(entry, cut + 1))
    redis.call('HDEL', KEYS[2], field)
    moved = moved + 1
  end
end
return moved
"""

# Renew or release a lock only while this process holds it.
_RENEW_LOCK_SCRIPT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""
_RELEASE_LOCK_SCRIPT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
"""

# Take the whole deferred list under the worker's own key, atomically.
_TAKE_DEFERRED_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('SADD', KEYS[3], ARGV[1])
return redis.call('LRANGE', KEYS[2], 0, -1)
"""

# Put a dead worker's in-flight requests back into the queue, and the deferred
# URLs it was scheduling back into the deferred list, atomically.
_REQUEUE_SCRIPT = """
local entries = redis.call('HVALS', KEYS[2])
for _, entry in ipairs(entries) do
  local cut = string.find(entry, '\\n', 1, true)
  redis.call('ZADD', KEYS[1], tonumber(string.sub(entry, 1, cut - 1)), string.sub(entry, cut + 1))
end
local deferred = redis.call('LRANGE', KEYS[3], 0, -1)
for _, entry in ipairs(deferred) do
  redis.call('RPUSH', KEYS[4], entry)
end
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('SREM', KEYS[5], ARGV[1])
return #entries + #deferred
"""


def require_redis() -> None:
    """Raise :class:`~aggregator.config.ConfigError` when the ``distributed`` extra is missing."""
    if redis is None:
        raise ConfigError(
            "DISTRIBUTED needs the extra: pip install '.[distributed]' from the repository, "
            "or 'news-aggregator-crawler[distributed]' (scrapy-redis, redis)"
        )


def check_redis(settings: Any) -> None:
    """Check that a distributed crawl can start: the extra is installed and
    ``REDIS_URL`` answers.

    :raises ConfigError: naming what is missing.
    """
    require_redis()
    url = settings.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    parts = urlsplit(url)
    if parts.password:  # never print a password
        url = url.replace(f":{parts.password}@", ":***@", 1)
    try:
        redis_client(settings).ping()
    except (redis.RedisError, ValueError) as exc:
        reason = str(exc).replace(parts.password, "***") if parts.password else str(exc)
        raise ConfigError(f"REDIS_URL: cannot reach Redis at {url}: {reason}") from exc


def worker_settings(settings: Any) -> None:
    """Turn a ``news`` crawl into a worker (called by the spider's
    ``update_settings`` when ``DISTRIBUTED`` is true): scrapy-redis's
    scheduler and duplicate filter, the Redis item pipeline instead of the
    project's pipelines, and the :class:`Worker` extension. Set at priority
    ``spider``; ``-s`` on the command line still wins.

    :raises ConfigError: without the ``distributed`` extra.
    """
    require_redis()
    settings.set("SCHEDULER", "aggregator.distributed.Scheduler", priority="spider")
    settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", priority="spider")
    settings.set("SCHEDULER_PERSIST", True, priority="spider")  # the run's end clears the keys, not each worker
    settings.set("ITEM_PIPELINES", {"aggregator.distributed.RedisItemPipeline": 100}, priority="spider")
    spider_middlewares = dict(settings.getdict("SPIDER_MIDDLEWARES"))
    spider_middlewares["aggregator.distributed.LeaseMiddleware"] = 10
    settings.set("SPIDER_MIDDLEWARES", spider_middlewares, priority="spider")
    extensions = dict(settings.getdict("EXTENSIONS"))
    extensions["aggregator.distributed.Worker"] = 100
    settings.set("EXTENSIONS", extensions, priority="spider")
    settings.set("JOBDIR", None, priority="spider")  # the queue lives in Redis, not on disk


def redis_client(settings: Any) -> "redis.Redis":
    """A Redis client for ``REDIS_URL`` (scrapy-redis's own setting, default
    ``redis://127.0.0.1:6379/0``), with bytes replies."""
    require_redis()
    return redis.Redis.from_url(settings.get("REDIS_URL") or "redis://127.0.0.1:6379/0", socket_timeout=30)


class Job:
    """The Redis keys and shared state of one site's distributed crawl.

    :param server: a ``redis.Redis`` client.
    :param spider_name: the crawling spider's name (``news``).
    :param site: the site's host (the spider's ``site``), e.g. ``news.example.com``.
    :param prefix: ``DISTRIBUTED_KEY_PREFIX``.
    :param worker_timeout: seconds after a worker's last heartbeat when it counts as dead.
    :param keys_ttl: seconds the run's keys live after the last heartbeat.
    """

    def __init__(self, server, spider_name: str, site: str, prefix: str = "aggregator:",
                 worker_timeout: float = 30, keys_ttl: float = 7 * 86400):
        self.server = server
        self.base = f"{prefix}{spider_name}:{site}"
        self.worker_id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.worker_timeout = max(1.0, float(worker_timeout))
        self.keys_ttl = max(60, int(keys_ttl))
        self.requeued = 0  # entries of dead workers this Job put back (recover), for the worker's stats
        self._pop = server.register_script(_POP_SCRIPT)
        self._requeue = server.register_script(_REQUEUE_SCRIPT)
        self._take_deferred = server.register_script(_TAKE_DEFERRED_SCRIPT)
        self._requeue_own = server.register_script(_REQUEUE_OWN_SCRIPT)
        self._renew_lock = server.register_script(_RENEW_LOCK_SCRIPT)
        self._release_lock = server.register_script(_RELEASE_LOCK_SCRIPT)
        self.write_failures = 0  # Redis writes of this worker that failed (items, requests)
        self.poisoned: set[str] = set()  # in-flight entries whose items or requests did not reach Redis

    @classmethod
    def from_settings(cls, settings: Any, spider_name: str, site: str) -> "Job":
        return cls(
            redis_client(settings), spider_name, site,
            prefix=settings.get("DISTRIBUTED_KEY_PREFIX", "aggregator:"),
            worker_timeout=settings.getfloat("DISTRIBUTED_WORKER_TIMEOUT", 30),
            keys_ttl=settings.getfloat("DISTRIBUTED_KEYS_TTL", 7 * 86400),
        )

    def key(self, name: str) -> str:
        """The Redis key ``<prefix><spider>:<site>:<name>``."""
        return f"{self.base}:{name}"

    # --- workers ---------------------------------------------------------------------
    @property
    def inflight_key(self) -> str:
        return self.key(f"inflight:{self.worker_id}")

    def heartbeat(self) -> None:
        """Mark this worker alive for ``worker_timeout`` seconds, register it in
        the run's set of workers, and keep the run's keys alive."""
        pipe = self.server.pipeline()
        pipe.set(self.key(f"worker:{self.worker_id}"), str(time.time()), px=int(self.worker_timeout * 1000))
        pipe.sadd(self.key("workers"), self.worker_id)
        for name in ("requests", "dupefilter", "deferred", "menu", "stats", "front", "items", "sections", "workers",
                     f"inflight:{self.worker_id}", f"deferred-taken:{self.worker_id}"):
            pipe.expire(self.key(name), self.keys_ttl)
        pipe.execute()

    def workers(self) -> list[str]:
        """The run's registered workers, alive or not (the set ``…:workers``)."""
        return sorted(w.decode() for w in self.server.smembers(self.key("workers")))

    def live_workers(self) -> set[str]:
        """Ids of the registered workers whose heartbeat has not expired."""
        workers = self.workers()
        pipe = self.server.pipeline(transaction=False)
        for worker in workers:
            pipe.exists(self.key(f"worker:{worker}"))
        return {worker for worker, alive in zip(workers, pipe.execute()) if alive}

    def _holdings(self) -> dict[str, tuple[int, int]]:
        """Per registered worker holding any: ``(in-flight requests, deferred URLs being scheduled)``."""
        workers = self.workers()
        pipe = self.server.pipeline(transaction=False)
        for worker in workers:
            pipe.hlen(self.key(f"inflight:{worker}"))
            pipe.llen(self.key(f"deferred-taken:{worker}"))
        counts = pipe.execute()
        return {
            worker: (counts[2 * i], counts[2 * i + 1])
            for i, worker in enumerate(workers) if counts[2 * i] or counts[2 * i + 1]
        }

    def inflight(self) -> dict[str, int]:
        """Requests taken and not finished, per worker id (workers holding none left out)."""
        return {worker: held[0] for worker, held in self._holdings().items() if held[0]}

    def _holders(self) -> set[str]:
        """Ids of the workers holding in-flight requests or deferred URLs being scheduled."""
        return set(self._holdings())

    def recover(self) -> int:
        """Put the requests of dead workers (heartbeat expired) back in the queue,
        and the deferred URLs they were scheduling back in the deferred list,
        and drop the dead from the run's set of workers; returns how many
        entries moved. Looks only at the run's registered workers (no scan of
        the Redis key space)."""
        alive = self.live_workers() | {self.worker_id}
        moved = 0
        for worker in self.workers():
            if worker not in alive:
                count = self._requeue(keys=[
                    self.key("requests"), self.key(f"inflight:{worker}"),
                    self.key(f"deferred-taken:{worker}"), self.key("deferred"), self.key("workers"),
                ], args=[worker])
                if count:
                    logger.warning("Worker %s stopped without finishing %d requests; they are queued again", worker, count)
                moved += count
        self.requeued += moved
        return moved

    def pop(self) -> Optional[tuple[str, bytes]]:
        """Take the queue's first request into this worker's in-flight hash:
        ``(lease, payload)``, or None when the queue is empty."""
        found = self._pop(keys=[self.key("requests"), self.inflight_key, self.key("workers")], args=[self.worker_id])
        if not found:
            return None
        return found[0].decode(), found[1]

    def finish(self, lease: str) -> None:
        """Drop a finished request from this worker's in-flight hash."""
        self.server.hdel(self.inflight_key, lease)

    def release_own(self) -> None:
        """This worker's engine is idle, so whatever it took is handled: put the
        requests whose items or new requests did not reach Redis back in the
        queue, and drop the rest of its in-flight hash."""
        if self.poisoned:
            moved = self._requeue_own(keys=[self.key("requests"), self.inflight_key], args=sorted(self.poisoned))
            logger.warning("%d requests whose output did not reach Redis are queued again", moved)
            self.poisoned.clear()
        self.server.delete(self.inflight_key)

    def quiescent(self) -> bool:
        """True when no request is queued or in flight anywhere (this worker's
        own in-flight hash is released first: call only while its engine is idle).

        :raises redis.RedisError: when Redis cannot be reached.
        """
        self.release_own()
        if self.server.zcard(self.key("requests")):
            return False
        if self.recover():
            return False
        return not self._holders()

    def leave(self) -> bool:
        """This worker stops: drop its heartbeat and in-flight hash. The last
        worker of a finished run (no live worker, nothing queued) also deletes
        the run's seen-set, deferred URLs and menu; returns True then."""
        self.release_own()
        self.server.delete(self.key(f"worker:{self.worker_id}"))
        self.server.srem(self.key("workers"), self.worker_id)
        if self.live_workers() or self.server.zcard(self.key("requests")) or self._holders():
            return False
        self.end_run()
        return True

    def end_run(self) -> None:
        """Delete the run's seen-set, deferred URLs and menu (the next run starts afresh)."""
        self.server.delete(
            self.key("dupefilter"), self.key("deferred"), self.key("menu"), self.key("requests"), self.key("workers")
        )

    def push_stats(self, deltas: dict[str, int]) -> None:
        """Add a worker's numeric stat increments to the run's summed stats."""
        if not deltas:
            return
        pipe = self.server.pipeline()
        for name, value in deltas.items():
            pipe.hincrby(self.key("stats"), name, value)
        pipe.execute()

    def add_front(self, urls: Iterable[str]) -> None:
        """Add article URLs linked from the pages every run reads to the run's
        set: the run record's ``articles`` counts each once, whichever workers
        read it (their own ``aggregator/articles/front`` counts overlap)."""
        urls = list(urls)
        if urls:
            self.server.sadd(self.key("front"), *urls)

    # --- state the spider shares ----------------------------------------------------
    def defer(self, url: str, hints: Optional[dict]) -> None:
        """Add an article URL (and what a sitemap or feed said of it) to the shared deferred list."""
        self.server.rpush(self.key("deferred"), json.dumps([url, hints]))

    def take_deferred(self) -> list[tuple[str, Optional[dict]]]:
        """Take the whole deferred list (only one worker gets each entry), in the
        order the URLs were deferred. The entries stay under this worker's
        ``deferred-taken`` key, put back if it dies, until
        :meth:`deferred_scheduled`."""
        entries = self._take_deferred(
            keys=[self.key("deferred"), self.key(f"deferred-taken:{self.worker_id}"), self.key("workers")],
            args=[self.worker_id],
        )
        return [tuple(json.loads(entry)) for entry in entries]

    def deferred_scheduled(self) -> None:
        """The taken deferred URLs are queued (or known to the archive): forget them."""
        self.server.delete(self.key(f"deferred-taken:{self.worker_id}"))

    def has_deferred(self) -> bool:
        return bool(self.server.llen(self.key("deferred")))

    def publish_menu(self, menu: list[tuple[list[str], str]]) -> None:
        """Share the menu taxonomy read from the home page, ``[(path, url)]``."""
        self.server.set(self.key("menu"), json.dumps(menu))

    def menu(self) -> Optional[list[tuple[list[str], str]]]:
        """The shared menu taxonomy, or None before a worker has read the home page."""
        raw = self.server.get(self.key("menu"))
        return [tuple(entry) for entry in json.loads(raw)] if raw else None


_jobs: "weakref.WeakKeyDictionary[Any, Job]" = weakref.WeakKeyDictionary()


def job_for(crawler: Any, spider: Any = None) -> Job:
    """The :class:`Job` of a worker's crawl (one per crawler, shared by the
    scheduler, the extension, the middleware and the spider)."""
    job = _jobs.get(crawler)
    if job is None:
        spider = spider or crawler.spider
        job = _jobs[crawler] = Job.from_settings(crawler.settings, spider.name, spider.site)
    return job


class Scheduler(RedisScheduler):
    """scrapy-redis's scheduler with the site's keys and a crash-safe pop.

    The queue (scrapy-redis's priority queue) and the duplicate filter
    (scrapy-redis's ``RFPDupeFilter``) use the keys of :class:`Job`, so that
    two sites crawled at once do not mix. :meth:`next_request` moves a request
    from the queue into the worker's in-flight hash in one step
    (:meth:`Job.pop`); :class:`LeaseMiddleware` and :class:`Worker` remove it
    when it is done.
    """

    @classmethod
    def from_crawler(cls, crawler):
        scheduler = super().from_crawler(crawler)
        scheduler.crawler = crawler
        return scheduler

    def open(self, spider):
        self.job = job_for(self.crawler, spider)
        self.queue_key = self.job.key("requests")
        self.df = RFPDupeFilter(self.server, key=self.job.key("dupefilter"),
                                debug=self.crawler.settings.getbool("DUPEFILTER_DEBUG"))
        return super().open(spider)

    def next_request(self):
        try:
            found = self.job.pop()
        except redis.RedisError as exc:  # the Worker extension closes the spider if it lasts
            self.stats.inc_value("aggregator/distributed/redis_errors")
            logger.warning("Redis did not give the next request: %s", exc)
            return None
        if found is None:
            return None
        lease, payload = found
        request = self.queue._decode_request(payload)
        request.meta[LEASE_META] = lease
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def enqueue_request(self, request):
        request.meta.pop(LEASE_META, None)  # a retry or redirect is a new queue entry
        try:
            return super().enqueue_request(request)
        except redis.RedisError as exc:
            # The request that led here stays in flight and is fetched again (LeaseMiddleware).
            self.job.write_failures += 1
            self.stats.inc_value("aggregator/distributed/redis_errors")
            logger.error("Could not queue %s in Redis: %s", request.url, exc)
            return False

    def has_pending_requests(self):
        try:
            return super().has_pending_requests()
        except redis.RedisError as exc:  # idle then: the Worker extension waits, or closes the spider
            self.stats.inc_value("aggregator/distributed/redis_errors")
            logger.warning("Redis did not say whether requests are queued: %s", exc)
            return False


LEASE_META = "aggregator_lease"
"""``Request.meta`` key: the request's entry in its worker's in-flight hash."""


class LeaseMiddleware:
    """Spider middleware of a worker: finish a request's in-flight entry once
    its response is fully handled, i.e. the callback's output is exhausted (its
    new requests are queued) and each of its items has left the item pipeline
    (pushed to Redis, or dropped). A request during whose handling a write to
    Redis failed (an item push, a new request) is not finished but queued
    again when the worker is next idle (:meth:`Job.release_own`). Requests
    that end without a callback (failed downloads, redirects) stay in flight
    until the worker is next idle."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.open_items: dict[str, int] = {}
        self.done_output: set[str] = set()
        self.failures_at_start: dict[str, int] = {}
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(self.item_left, signal=signal)

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("DISTRIBUTED"):
            raise NotConfigured
        return cls(crawler)

    def _lease(self, response):
        lease = response.request.meta.get(LEASE_META) if response.request is not None else None
        if lease:
            self.failures_at_start.setdefault(lease, job_for(self.crawler).write_failures)
        return lease

    async def process_spider_output_async(self, response, result):
        lease = self._lease(response)
        try:
            async for output in result:
                if lease and not isinstance(output, scrapy.Request):
                    self.open_items[lease] = self.open_items.get(lease, 0) + 1
                yield output
        finally:
            self._output_done(lease)

    def process_spider_output(self, response, result):
        lease = self._lease(response)
        try:
            for output in result:
                if lease and not isinstance(output, scrapy.Request):
                    self.open_items[lease] = self.open_items.get(lease, 0) + 1
                yield output
        finally:
            self._output_done(lease)

    def _output_done(self, lease):
        if lease:
            self.done_output.add(lease)
            self._maybe_finish(lease)

    def item_left(self, item, response=None, **kwargs):
        request = getattr(response, "request", None)
        lease = request.meta.get(LEASE_META) if request is not None else None
        if lease and lease in self.open_items:
            self.open_items[lease] -= 1
            self._maybe_finish(lease)

    def _maybe_finish(self, lease):
        if lease in self.done_output and self.open_items.get(lease, 0) <= 0:
            self.done_output.discard(lease)
            self.open_items.pop(lease, None)
            job = job_for(self.crawler)
            if job.write_failures > self.failures_at_start.pop(lease, job.write_failures):
                job.poisoned.add(lease)  # something of its output may be missing: fetch it again
                return
            try:
                job.finish(lease)
            except redis.RedisError:  # the entry stays; released when the worker is idle
                self.crawler.stats.inc_value("aggregator/distributed/redis_errors")


class RedisItemPipeline(RedisPipeline):
    """scrapy-redis's item pipeline, writing to the site's ``items`` list
    synchronously (so an item is in Redis before its request counts as done)
    and as tagged JSON (:func:`encode_item`)."""

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls(redis_client(crawler.settings), serialize_func=encode_item)
        pipeline.crawler = crawler
        return pipeline

    def process_item(self, item, spider=None):
        try:
            return self._process_item(item, spider)
        except redis.RedisError:
            job_for(self.crawler).write_failures += 1  # its request is fetched again (LeaseMiddleware)
            raise

    def item_key(self, item, spider):
        return job_for(self.crawler).key("items")


def encode_item(item: Any) -> str:
    """An item as JSON tagged with its class: ``{"type": "Article", "item": {…}}``.

    :raises TypeError: for an item class not in :data:`ITEM_TYPES`.
    """
    name = type(item).__name__
    if ITEM_TYPES.get(name) is not type(item):
        raise TypeError(f"cannot send a {name} item through Redis")
    return json.dumps({"type": name, "item": asdict(item)}, ensure_ascii=False)


def decode_item(data: bytes | str) -> Any:
    """The item :func:`encode_item` wrote.

    :raises ValueError: for data that is not such JSON (unknown type, unknown fields).
    """
    try:
        payload = json.loads(data)
        cls = ITEM_TYPES[payload["type"]]
        known = {f.name for f in fields(cls)}
        values = payload["item"]
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown {payload['type']} fields: {', '.join(sorted(unknown))}")
        for f in fields(cls):
            if f.name in values and not _has_type(values[f.name], f.type):
                raise ValueError(f"{payload['type']} field {f.name} is not {f.type}: {values[f.name]!r:.80}")
        return cls(**values)
    except (KeyError, TypeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"not an item: {exc}") from exc


def _has_type(value: Any, annotation: str) -> bool:
    """Whether a JSON value fits a field annotation of :mod:`aggregator.items`
    (``Optional[str]``, ``list[dict]``, ``list[list[str]]``, ``Optional[int]``…),
    list elements included."""
    if annotation.startswith("Optional["):
        return value is None or _has_type(value, annotation[len("Optional["):-1])
    if annotation.startswith("list["):
        return isinstance(value, list) and all(_has_type(v, annotation[len("list["):-1]) for v in value)
    kinds = {"str": str, "int": int, "bool": bool, "dict": dict}
    if annotation not in kinds:
        return True
    return isinstance(value, kinds[annotation]) and (annotation != "int" or not isinstance(value, bool))


class Worker:
    """Extension of a worker: heartbeat, stats and closing when the run is done.

    Every ``DISTRIBUTED_WORKER_TIMEOUT / 3`` seconds it renews the worker's
    heartbeat, adds the worker's new stat counts to the run's summed stats and
    puts dead workers' in-flight requests back in the queue. When the engine is
    idle it keeps the spider open, polling the shared queue twice a second,
    until nothing has been queued or in flight anywhere for
    ``DISTRIBUTED_IDLE_CLOSE`` seconds; then the worker closes (finish reason
    ``finished``). When Redis stays unreachable for
    ``DISTRIBUTED_WORKER_TIMEOUT`` seconds the worker closes with the reason
    ``redis_unavailable`` (exit status 1). Stats:
    ``aggregator/distributed/requeued`` (a dead worker's entries put back),
    ``aggregator/distributed/redis_errors``.
    """

    POLL_SECONDS = 0.5

    def __init__(self, crawler):
        self.crawler = crawler
        self.idle_close = crawler.settings.getfloat("DISTRIBUTED_IDLE_CLOSE", 10)
        self.quiet_since: Optional[float] = None
        self.redis_down_since: Optional[float] = None
        self.pushed: dict[str, int] = {}
        self.beat = None
        self.poke = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("DISTRIBUTED"):
            raise NotConfigured
        return cls(crawler)

    def spider_opened(self, spider):
        from twisted.internet import task

        job = job_for(self.crawler, spider)
        job.heartbeat()
        logger.info("Distributed worker %s on %s (queue %s)", job.worker_id, job.base, job.key("requests"))
        self.beat = task.LoopingCall(self._tick)
        self.beat.start(job.worker_timeout / 3, now=False)

    def _tick(self):
        job = job_for(self.crawler)
        try:
            job.heartbeat()
            self._push_stats()
            if job.recover():
                self._wake()
        except redis.RedisError as exc:
            logger.warning("Redis heartbeat failed: %s", exc)

    def _push_stats(self):
        requeued = job_for(self.crawler).requeued  # by the ticks, and by the idle checks (Job.quiescent)
        if requeued:
            self.crawler.stats.set_value("aggregator/distributed/requeued", requeued)
        deltas = {}
        for name, value in self.crawler.stats.get_stats().items():
            if isinstance(value, bool) or not isinstance(value, int) or name.startswith(_UNSUMMED_STATS):
                continue
            if value != self.pushed.get(name, 0):
                deltas[name] = value - self.pushed.get(name, 0)
                self.pushed[name] = value
        job_for(self.crawler).push_stats(deltas)

    def _wake(self):
        # Scrapy's engine looks at its scheduler only every 5 s when nothing
        # happens; another worker's new requests should not wait that long.
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None:
            slot.nextcall.schedule()

    def spider_idle(self, spider):
        job = job_for(self.crawler)
        try:
            busy = not job.quiescent() or job.has_deferred()
            self.redis_down_since = None
        except redis.RedisError as exc:
            self.crawler.stats.inc_value("aggregator/distributed/redis_errors")
            if self.redis_down_since is None:
                self.redis_down_since = time.monotonic()
                logger.error("Redis is unreachable: %s", exc)
            if time.monotonic() - self.redis_down_since > job.worker_timeout:
                raise CloseSpider("redis_unavailable")
            busy = True
        if busy:
            self.quiet_since = None
        elif self.quiet_since is None:
            self.quiet_since = time.monotonic()
        elif time.monotonic() - self.quiet_since >= self.idle_close:
            return  # the run is done: let the spider close
        from twisted.internet import reactor

        if self.poke is None or not self.poke.active():
            self.poke = reactor.callLater(self.POLL_SECONDS, self._wake)
        raise DontCloseSpider

    def spider_closed(self, spider, reason):
        if self.beat is not None and self.beat.running:
            self.beat.stop()
        if self.poke is not None and self.poke.active():
            self.poke.cancel()
        job = job_for(self.crawler)
        try:
            self._push_stats()
            if job.leave():
                logger.info("Last worker of the run: its seen-set and deferred URLs are cleared")
        except redis.RedisError as exc:
            logger.error("Could not leave the distributed run cleanly: %s", exc)


class IngestSpider(scrapy.Spider):
    """The single writer of a distributed crawl: reads the workers' items from
    Redis and passes them through the project's pipelines into the archive.

    Run by ``aggregator ingest``. It holds the site's archive lock and records
    one ``crawl_runs`` row for the run, with the workers' summed stats
    (requests, pages, errors) and the run's front-page articles, each
    counted once (:meth:`Job.add_front`). It ends when the items
    list is empty and no worker has been alive for ``DISTRIBUTED_IDLE_CLOSE``
    seconds; then it clears the run's keys. When by then requests are still
    queued (the workers were all killed), it puts dead workers' in-flight
    requests back in the queue, keeps the keys for the next workers and ends
    with the finish reason ``workers_gone`` (exit status 1). Started before
    the workers, it waits ``DISTRIBUTED_START_WAIT`` seconds for the first one
    (or an item), else ends with the finish reason ``no_workers`` (exit
    status 1).

    Items leave the Redis list only after the archive committed them (signal
    :data:`aggregator.signals.archive_committed`), so a killed ingester
    loses nothing: the next one reads them again (upserts, no duplicates), the
    ``Section`` items read so far (the taxonomy) first. An entry that is not an
    item is moved to ``…:items:invalid`` and counted
    (``aggregator/ingest/invalid``), not lost.

    :param url: the site's home page, as given to the workers.
    :param site_name: the site's name in the sites file (for the run record).
    :param sources: the workers' sources (for the run record).
    :param worker_spider: the workers' spider name, part of the Redis keys.
    :raises ConfigError: for a missing or bad ``url``, or an unknown source.
    """

    name = "ingest"
    BATCH = 200
    POLL_SECONDS = 0.2

    def __init__(self, url: Optional[str] = None, site_name: Optional[str] = None, sources: Any = None,
                 worker_spider: str = "news", **kwargs):
        # Recorded in crawl_runs as a run of the workers' spider, as a single-process crawl is.
        super().__init__(name=worker_spider, **kwargs)
        self.worker_spider = worker_spider
        url = check_site_url(url)
        self.start_url = url
        self.site = urlsplit(url).netloc.lower()
        self.site_name = site_name
        self.sources = check_sources(sources)  # as the workers' spider reads them, defaults included
        self.read = 0  # entries read from the list and not yet trimmed
        self.sequence: dict[int, int] = {}  # id(item) -> its position among those entries
        self.done: set[int] = set()
        self.entries: dict[int, bytes] = {}  # id(item) -> its list entry, until it leaves the pipelines
        self.holds_lock = False

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        require_redis()
        spider.job = Job.from_settings(crawler.settings, spider.worker_spider, spider.site)
        spider.idle_close = crawler.settings.getfloat("DISTRIBUTED_IDLE_CLOSE", 10)
        spider.start_wait = crawler.settings.getfloat("DISTRIBUTED_START_WAIT", 60)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(spider.item_left, signal=signal)
        from aggregator.signals import archive_committed

        crawler.signals.connect(spider.committed, signal=archive_committed)
        return spider

    async def start(self):
        job = self.job
        lock = job.key("ingester")
        # A killed ingester's lock expires after DISTRIBUTED_WORKER_TIMEOUT: wait that long for it.
        deadline = time.monotonic() + job.worker_timeout * 1.5
        while not job.server.set(lock, job.worker_id, nx=True, px=int(job.worker_timeout * 1000)):
            if time.monotonic() > deadline:
                logger.error("Another ingester of %s is running (%s); not starting", job.base, job.server.get(lock))
                raise CloseSpider("already_running")
            await asyncio.sleep(self.POLL_SECONDS)
        self.holds_lock = True
        # The taxonomy read before a restart comes first, as in a single-process crawl.
        for entry in job.server.lrange(job.key("sections"), 0, -1):
            yield decode_item(entry)
        quiet_since = time.monotonic()
        last_beat = 0.0
        started = False  # a live worker or an item has been seen
        down_since = None
        while True:
            try:
                if time.monotonic() - last_beat > job.worker_timeout / 3:
                    if not job._renew_lock(keys=[lock], args=[job.worker_id, int(job.worker_timeout * 1000)]):
                        logger.error("The ingester lock of %s was taken over; stopping", job.base)
                        self.holds_lock = False
                        raise CloseSpider("lock_lost")
                    last_beat = time.monotonic()
                entries = job.server.lrange(job.key("items"), self.read, self.read + self.BATCH - 1)
                alive = bool(entries) or bool(job.live_workers())
                if not alive:
                    job.recover()  # a dead worker's requests go back to the queue for the next workers
                    queued = job.server.zcard(job.key("requests"))
                    deferred = job.has_deferred()
                down_since = None
            except redis.RedisError as exc:
                self.crawler.stats.inc_value("aggregator/distributed/redis_errors")
                down_since = down_since or time.monotonic()
                if time.monotonic() - down_since > job.worker_timeout:
                    logger.error("Redis is unreachable: %s", exc)
                    raise CloseSpider("redis_unavailable")
                await asyncio.sleep(self.POLL_SECONDS)
                continue
            for entry in entries:
                item = self._item(entry)
                if item is not None:
                    yield item
            if alive:
                started = True
                quiet_since = time.monotonic()
                if not entries:
                    await asyncio.sleep(self.POLL_SECONDS)
                continue
            # Before the first worker, wait DISTRIBUTED_START_WAIT for one; after the last, DISTRIBUTED_IDLE_CLOSE.
            if time.monotonic() - quiet_since < (self.idle_close if started else self.start_wait):
                await asyncio.sleep(self.POLL_SECONDS)
                continue
            if queued or deferred:
                logger.error(
                    "No worker of %s is left and the run is unfinished (%d requests queued%s); "
                    "its Redis keys are kept: start workers and an ingester to finish it",
                    job.base, queued, ", article URLs deferred" if deferred else "",
                )
                raise CloseSpider("workers_gone")
            if not started:
                logger.error(
                    "No worker of %s showed up within DISTRIBUTED_START_WAIT (%.0f s) and no item is waiting",
                    job.base, self.start_wait,
                )
                raise CloseSpider("no_workers")
            return

    def _item(self, entry: bytes) -> Optional[Any]:
        """The item of a list entry, or None when it is not one of this site's
        items (then moved to ``…:items:invalid`` and counted)."""
        position = self.read
        self.read += 1
        try:
            item = decode_item(entry)
            if item.site != self.site:
                raise ValueError(f"an item of the site {item.site!r}, not {self.site!r}")
        except ValueError as exc:
            self._set_aside(entry, exc)
            self.done.add(position)
            return None
        if isinstance(item, Section):
            self.job.server.rpush(self.job.key("sections"), entry)
        self.sequence[id(item)] = position
        self.entries[id(item)] = entry
        self.crawler.stats.inc_value("aggregator/ingest/items")
        return item

    def _set_aside(self, entry: bytes, reason: Any) -> None:
        self.crawler.stats.inc_value("aggregator/ingest/invalid")
        logger.error("Not an item for the archive in %s (moved to items:invalid): %s", self.job.key("items"), reason)
        self.job.server.rpush(self.job.key("items:invalid"), entry)

    def item_left(self, item, failure=None, **kwargs):
        """An item left the pipelines (archived, dropped, or failed); one that
        failed with an error is set aside in ``…:items:invalid``, not lost."""
        position = self.sequence.pop(id(item), None)
        entry = self.entries.pop(id(item), None)
        if failure is not None and entry is not None:
            self._set_aside(entry, failure.getErrorMessage())
        if position is not None:
            self.done.add(position)

    def committed(self, **kwargs):
        """The archive committed every item it was given: trim the list's
        prefix of items that have left the pipelines."""
        count = 0
        while count in self.done:
            count += 1
        if not count:
            return
        self.job.server.ltrim(self.job.key("items"), count, -1)
        self.read -= count
        self.done = {p - count for p in self.done if p >= count}
        self.sequence = {k: p - count for k, p in self.sequence.items()}

    def closed(self, reason):
        """Add the workers' summed stats to this run's record (the archive
        pipeline writes it next; they are then reset, so that a run finished
        by a later ingester does not count them twice), then, if the run is
        over, clear its keys and release the ingester lock."""
        if not self.holds_lock:  # stopped before taking it: another ingester's run
            return
        job = self.job
        stats = self.crawler.stats
        try:
            pipe = job.server.pipeline()
            pipe.hgetall(job.key("stats"))
            pipe.delete(job.key("stats"))
            counts, _ = pipe.execute()
            for name, value in counts.items():
                stats.inc_value(name.decode(), int(value))
            front = job.server.scard(job.key("front"))
            if front:  # not the sum of the workers' counts, which overlap
                stats.set_value("aggregator/articles/front", front)
            if reason == "finished" and not job.live_workers():
                job.server.delete(job.key("sections"), job.key("front"))
                job.end_run()
            job._release_lock(keys=[job.key("ingester")], args=[job.worker_id])
        except redis.RedisError as exc:
            logger.error("Could not close the distributed run cleanly: %s", exc)
