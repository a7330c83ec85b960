"""Archive pipeline: a thin adapter from items to :mod:`aggregator.archive`.

Opens ``ARCHIVE_PATH`` (resolved to an absolute path; created with its
schema if missing) when the crawl opens. ``Article`` items are upserted by
canonical URL in batches of ``ARCHIVE_BATCH_SIZE``, one transaction per
batch, and the last batch when the crawl closes. ``Section`` items whose
page proved to be a listing are written at once; when the crawl closes, the
site's sections that its menu no longer shows (or whose page is no longer a
listing) are marked ``in_menu = 0`` (kept). A second crawl of the same
site adds no duplicate rows.
A batch the database refuses (an ``sqlite3.Error``, e.g. locked by another
writer past the busy timeout, or a full disk) is kept and retried at the
next flush at least ``RETRY_SECONDS`` later (sections too); if the last one still fails,
its rows are saved to ``<ARCHIVE_PATH>.unwritten-<time>.jsonl`` beside the
archive (else in the temporary folder) and the run is recorded as failed.
Each crawl is a ``crawl_runs`` row: ``running`` from the start, then
``finished``, ``degraded``, ``skipped`` or ``failed`` with its finish reason
and counts.

Run lock: when the crawl opens, the site's lock (``crawl_locks``) is taken
for this run (:func:`aggregator.archive.acquire_lock`; a dead or stale
holder is taken over, ``CRAWL_LOCK_STALE_SECONDS``). When another live run
holds it, :meth:`open_spider` raises ``CloseSpider("already_running")``:
Scrapy then closes the spider before its start requests are read, so
nothing is fetched (not even robots.txt), and the run is recorded as
``skipped``. The lock is refreshed (at most once a minute, as items arrive and
batches are written) and released when
the spider closes, whatever the reason.

Degraded runs: the run's ``requests``, ``articles`` (stat
``aggregator/articles/front``: the article URLs linked from the pages every
run reads, home page, first listing pages, the sitemaps robots.txt names,
main feeds, so that an incremental run that skips archived articles
compares like with like; NULL, and not judged, when the run read no such
page, e.g. with only a sitemap index or the WordPress API) and ``coverage`` (share of items with
each field of :data:`aggregator.runs.COVERAGE_FIELDS`) are recorded, and a
run that finished is compared with the site's previous ones
(:func:`aggregator.runs.judge_run`, settings ``DEGRADED_*``): a degraded run
gets ``status = 'degraded'``, its ``degraded_fields``, a warning and the stat
``aggregator/run/degraded`` (with ``aggregator/run/degraded_summary``, e.g.
``datePublished coverage 0.96 → 0.10``). When the crawl
closes, the related posts of every new or changed article, and of any
article of the site that has none yet, are computed into ``related_articles``.
Stats: ``aggregator/archive/articles_written``, ``aggregator/archive/new``,
``aggregator/archive/updated``, ``aggregator/archive/unchanged``,
``aggregator/archive/related_computed``, ``aggregator/archive/related_seconds``, ``aggregator/archive/write_errors``,
``aggregator/archive/unwritten``,
``aggregator/archive/sections_written``, ``aggregator/archive/sections_retired``,
``aggregator/archive/write_seconds``, ``aggregator/run/degraded``,
``aggregator/run/degraded_summary``, ``aggregator/lock/holder_pid``,
``aggregator/lock/holder_host``, ``aggregator/lock/holder_since``,
``aggregator/lock/refresh_errors``.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import tempfile
import time
from pathlib import Path

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import CloseSpider, DropItem

from aggregator.archive import (
    ArchiveError,
    acquire_lock,
    article_row,
    finish_run,
    open_archive,
    previous_runs,
    refresh_lock,
    release_lock,
    retire_sections,
    start_run,
    write_articles,
    write_sections,
)
from aggregator.queries import store_related
from aggregator.config import check_archive_path
from aggregator.items import Article, Section
from aggregator.runs import COVERAGE_FIELDS, coverage_shares, judge_run
from aggregator.signals import archive_committed

logger = logging.getLogger(__name__)

RETRY_SECONDS = 30
"""Seconds to wait after a refused archive write before trying again (the final flush always tries)."""
LOCK_REFRESH_SECONDS = 60
"""At most one refresh of the run lock per this many seconds (as items arrive and at batch flushes)."""


class ArchivePipeline:
    """Write ``Article`` and ``Section`` items to the SQLite archive."""

    def __init__(self, stats, path, batch_size=50, crawler=None):
        self.stats = stats
        self.crawler = crawler
        self.stale_seconds = 6 * 3600.0
        self.degraded_options = {"articles_ratio": 0.5, "coverage_drop": 0.25, "min_items": 10}
        self.degraded_runs = 5
        self.lock_site = None
        self.lock_refreshed = 0.0
        self.skipped = False
        self.items = 0
        self.field_counts = dict.fromkeys(COVERAGE_FIELDS, 0)
        self.path = Path(path).expanduser().resolve()
        self.batch_size = max(1, batch_size)
        self.pending: list[dict] = []
        self.pending_sections: list[tuple] = []
        self.changed_urls: list[str] = []
        self.sites_written: set[str] = set()
        self.menu_paths: dict[str, set[str]] = {}
        self.not_listings: set[tuple[str, str]] = set()
        self.db = None
        self.run_id = None
        self.retry_after = 0.0

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        pipeline = cls(
            crawler.stats, settings.get("ARCHIVE_PATH", "news.sqlite"), settings.getint("ARCHIVE_BATCH_SIZE", 50), crawler
        )
        pipeline.stale_seconds = settings.getfloat("CRAWL_LOCK_STALE_SECONDS", 6 * 3600)
        pipeline.degraded_options = {
            "articles_ratio": settings.getfloat("DEGRADED_ARTICLES_RATIO", 0.5),
            "coverage_drop": settings.getfloat("DEGRADED_COVERAGE_DROP", 0.25),
            "min_items": settings.getint("DEGRADED_MIN_ITEMS", 10),
        }
        pipeline.degraded_runs = settings.getint("DEGRADED_RUNS", 5)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self):
        check_archive_path(self.path)  # raises ConfigError: a folder, another app's database…
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = open_archive(self.path)
        spider = getattr(self.crawler, "spider", None)
        site = getattr(spider, "site", None)
        self.run_id = start_run(self.db, getattr(spider, "name", None), site)
        logger.info("Archive: %s (crawl run %d)", self.path, self.run_id)
        if site:
            self._lock(site)

    def _lock(self, site):
        """Take the site's run lock, or end the crawl before anything is fetched."""
        try:
            holder = acquire_lock(self.db, site, self.run_id, stale_seconds=self.stale_seconds)
        except sqlite3.Error as exc:
            logger.error("Cannot take the crawl lock of %s (%s); not starting", site, exc)
            raise CloseSpider("lock_unavailable") from exc
        if holder is None:
            self.lock_site = site
            self.lock_refreshed = time.monotonic()
            return
        self.skipped = True
        self.stats.set_value("aggregator/lock/holder_pid", holder["pid"])
        self.stats.set_value("aggregator/lock/holder_host", holder["host"])
        self.stats.set_value("aggregator/lock/holder_since", holder["acquired_at"])
        logger.error(
            "Another run of %s is in progress (crawl run %s, pid %s on %s since %s); not starting",
            site, holder["run_id"], holder["pid"], holder["host"], holder["acquired_at"],
        )
        # Scrapy (2.18+) closes the spider before reading its start requests: nothing is fetched.
        raise CloseSpider("already_running")

    def _refresh_lock(self, final=False):
        """Refresh the run lock (at batch flushes and items), at most every ``LOCK_REFRESH_SECONDS``."""
        if self.lock_site is None or self.db is None or final:
            return
        if time.monotonic() - self.lock_refreshed < LOCK_REFRESH_SECONDS:
            return
        self.lock_refreshed = time.monotonic()
        try:
            if not refresh_lock(self.db, self.lock_site, self.run_id):
                logger.warning("The crawl lock of %s was taken over by another run", self.lock_site)
        except sqlite3.Error as exc:
            self.stats.inc_value("aggregator/lock/refresh_errors")
            logger.warning("Could not refresh the crawl lock of %s: %s", self.lock_site, exc)

    def close_spider(self):
        if self.skipped:
            return
        self._flush(final=True)
        if self.db is None:
            return
        for site, paths in self.menu_paths.items():
            retired = retire_sections(self.db, site, {p for p in paths if (site, p) not in self.not_listings})
            self.stats.set_value("aggregator/archive/sections_retired", retired)
        started = time.perf_counter()
        # New and changed articles, and any of the site's without a list (a crawl killed before it computed them).
        missing = [
            row["canonical_url"]
            for site in self.sites_written
            for row in self.db.query(
                "SELECT canonical_url FROM articles a WHERE site = ? AND NOT EXISTS "
                "(SELECT 1 FROM related_articles r WHERE r.canonical_url = a.canonical_url)",
                [site],
            )
        ]
        stored = store_related(self.db, [*self.changed_urls, *missing])
        self.stats.set_value("aggregator/archive/related_computed", stored)
        self.stats.set_value("aggregator/archive/related_seconds", time.perf_counter() - started)

    def spider_closed(self, spider, reason):
        """Record the crawl run (its finish reason is known only now), judge
        whether it is degraded, release the run lock and close the archive.

        ``errors`` counts failed requests, archive write errors and spider
        exceptions; a crawl that lost articles is recorded as failed.
        """
        if self.db is None:
            return
        get = self.stats.get_value
        stats = self.stats.get_stats()
        failed_requests = sum(v for k, v in stats.items() if k.startswith("aggregator/requests/failed/"))
        if get("aggregator/archive/unwritten") and reason == "finished":
            reason = "archive_write_failed"
        # None (not judged) when the run read no page whose article links every run reads alike,
        # e.g. a sitemap index alone or the WordPress API alone.
        articles = get("aggregator/articles/front")
        coverage = coverage_shares(self.field_counts, self.items)
        degraded_fields = None
        try:
            if reason == "finished":
                degraded_fields = self._judge(getattr(spider, "site", None), articles, coverage)
            finish_run(
                self.db,
                self.run_id,
                finish_reason=reason,
                counts={
                    "pages": get("response_received_count", 0),
                    "new": get("aggregator/archive/new", 0),
                    "updated": get("aggregator/archive/updated", 0),
                    # a 304 answer to a revisit is an unchanged article too
                    "unchanged": get("aggregator/archive/unchanged", 0) + get("aggregator/incremental/not_modified", 0),
                    "dropped": get("item_dropped_count", 0) + get("aggregator/archive/unwritten", 0),
                    "errors": failed_requests + get("aggregator/archive/write_errors", 0) + get("spider_exceptions/count", 0),
                    "requests": get("downloader/request_count", 0),
                    "articles": articles,
                },
                site_name=getattr(spider, "site_name", None),
                sources=_sources(getattr(spider, "sources", None)),
                coverage=coverage,
                degraded_fields=degraded_fields,
            )
        except sqlite3.Error as exc:
            logger.error("Could not record the end of crawl run %s: %s", self.run_id, exc)
        if self.lock_site is not None:
            try:
                release_lock(self.db, self.lock_site, self.run_id)
            except sqlite3.Error as exc:
                logger.error("Could not release the crawl lock of %s (the next run takes it over): %s", self.lock_site, exc)
            self.lock_site = None
        self.db.conn.close()
        self.db = None

    def _judge(self, site, articles, coverage):
        """Compare this run with the site's previous ones; returns the
        ``degraded_fields`` to record (a list, empty when the run is fine)."""
        previous = previous_runs(self.db, site, limit=self.degraded_runs, before=self.run_id) if site else []
        verdict = judge_run(articles, coverage, self.items, previous, **self.degraded_options)
        if verdict.degraded:
            summary = verdict.describe()
            self.stats.set_value("aggregator/run/degraded", 1)
            self.stats.set_value("aggregator/run/degraded_summary", summary)
            logger.warning(
                "Run degraded (%s) compared with the last %d runs of %s: %s",
                ", ".join(verdict.fields), len(previous), site, summary,
            )
        return verdict.fields

    def process_item(self, item):
        self._refresh_lock()  # at most once a minute, so that a run writing little stays fresh too
        if isinstance(item, Section):
            if item.isListing:  # a menu entry whose page is a listing
                self.pending_sections.append((item.site, item.path, item.url))
                self._flush_sections()
            path = "/".join(item.path)
            if item.isListing is None:  # read from the home page's menu
                self.menu_paths.setdefault(item.site, set()).add(path)
            elif not item.isListing:
                self.not_listings.add((item.site, path))
            return item
        if not isinstance(item, Article):
            return item
        self._count_coverage(item)
        try:
            self.pending.append(article_row(ItemAdapter(item)))
            self.sites_written.add(item.site)
        except ArchiveError as exc:
            self.stats.inc_value("aggregator/archive/dropped")
            raise DropItem(str(exc)) from exc
        if len(self.pending) >= self.batch_size:
            self._flush()
        return item

    def _count_coverage(self, item):
        self.items += 1
        for name in COVERAGE_FIELDS:
            if getattr(item, name, None) not in (None, "", [], {}):
                self.field_counts[name] += 1

    def _waiting(self, final):
        """After a refused write, wait ``RETRY_SECONDS`` before the next try
        (each try may block for the busy timeout), except at the end."""
        return not final and time.monotonic() < self.retry_after

    def _refused(self, exc, what, count):
        self.stats.inc_value("aggregator/archive/write_errors")
        self.retry_after = time.monotonic() + RETRY_SECONDS
        logger.error("Archive write failed (%s); %d %s kept for a retry", exc, count, what)

    def _flush_sections(self, final=False):
        """Write the pending sections; a refused write keeps them for the next try."""
        if not self.pending_sections or self.db is None or self._waiting(final):
            return
        started = time.perf_counter()
        try:
            count = 0
            for site, path, url in self.pending_sections:
                count += write_sections(self.db, site, [(path, url)])
        except sqlite3.Error as exc:
            self._refused(exc, "sections", len(self.pending_sections))
            return
        finally:
            self._timed(started)
        self.pending_sections = []
        self.stats.inc_value("aggregator/archive/sections_written", count)

    def _flush(self, final=False):
        self._refresh_lock(final)
        self._flush_sections(final)
        if self.db is None:
            return
        if not self.pending:
            self._committed()
            return
        if self._waiting(final):
            return
        started = time.perf_counter()
        try:
            result = write_articles(self.db, self.pending)
        except sqlite3.Error as exc:
            # The transaction rolled back: keep the batch for the next flush.
            self._refused(exc, "articles", len(self.pending))
            if final:
                self._save_unwritten(exc)
            return
        finally:
            self._timed(started)
        self.pending = []
        self.changed_urls.extend(result.changed_urls)
        self.stats.inc_value("aggregator/archive/articles_written", result.written)
        for name in ("new", "updated", "unchanged"):
            self.stats.inc_value(f"aggregator/archive/{name}", getattr(result, name))
        self._committed()

    def _committed(self):
        """Signal :data:`aggregator.signals.archive_committed` when nothing is left pending."""
        if not self.pending and not self.pending_sections and self.crawler is not None:
            self.crawler.signals.send_catch_log(archive_committed)

    def _save_unwritten(self, exc):
        """Last resort when the archive refuses the final batch: the rows go to
        a JSON Lines file beside it (or, when that fails too, e.g. on a full
        disk, in the system's temporary folder), so no article is lost
        silently; the crawl then exits with status 1."""
        self.stats.set_value("aggregator/archive/unwritten", len(self.pending))
        name = f"{self.path.name}.unwritten-{int(time.time())}.jsonl"
        for folder in (self.path.parent, Path(tempfile.gettempdir())):
            path = folder / name
            try:
                with path.open("w", encoding="utf-8") as handle:
                    for row in self.pending:
                        handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            except OSError as error:
                logger.error("Cannot save unwritten articles to %s: %s", path, error)
                path.unlink(missing_ok=True)
                continue
            logger.error("%d articles could not be archived (%s); saved to %s", len(self.pending), exc, path)
            break
        else:
            logger.critical("%d articles could not be archived nor saved (%s): they are lost", len(self.pending), exc)
        self.pending = []

    def _timed(self, started):
        self.stats.inc_value("aggregator/archive/write_seconds", time.perf_counter() - started)


def _sources(value):
    """The spider's ``sources`` as a list (the spider keeps a list; a bare
    ``-a sources=menu,feed`` string is split), or None when it has none."""
    if value is None:
        return None
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(part) for part in value]
