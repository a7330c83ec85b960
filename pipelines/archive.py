"""Archive pipeline: a thin adapter from items to :mod:`aggregator.archive`.

Opens ``ARCHIVE_PATH`` (resolved to an absolute path; created with its
schema if missing) when the crawl opens. ``Article`` items are upserted by
canonical URL in batches of ``ARCHIVE_BATCH_SIZE``, one transaction per
batch, and the last batch when the crawl closes. ``Section`` items whose
page proved to be a listing are written at once; when the crawl closes, the
site's sections that its menu no longer shows (or whose page is no longer a
listing) are marked ``in_menu = 0`` (kept). A second crawl of the same site adds no duplicate rows.
A batch the database refuses (an ``sqlite3.Error``, e.g. locked by another
writer past the busy timeout, or a full disk) is kept and retried at the
next flush (sections too); if the last one still fails, its rows are saved to
``<ARCHIVE_PATH>.unwritten-<time>.jsonl`` beside the archive.
Each crawl is a ``crawl_runs`` row: ``running`` from the start, then
``finished`` or ``failed`` with its finish reason and counts. When the crawl
closes, the related posts of every new or changed article, and of any
article of the site that has none yet, are computed into ``related_articles``.
Stats: ``aggregator/archive/articles_written``, ``aggregator/archive/new``,
``aggregator/archive/updated``, ``aggregator/archive/unchanged``,
``aggregator/archive/related_computed``, ``aggregator/archive/related_seconds``, ``aggregator/archive/write_errors``,
``aggregator/archive/unwritten``,
``aggregator/archive/sections_written``, ``aggregator/archive/sections_retired``,
``aggregator/archive/write_seconds``.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from pathlib import Path

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import DropItem

from aggregator.archive import (
    ArchiveError,
    article_row,
    finish_run,
    open_archive,
    retire_sections,
    start_run,
    write_articles,
    write_sections,
)
from aggregator.queries import store_related
from aggregator.items import Article, Section

logger = logging.getLogger(__name__)


class ArchivePipeline:
    """Write ``Article`` and ``Section`` items to the SQLite archive."""

    def __init__(self, stats, path, batch_size=50, crawler=None):
        self.stats = stats
        self.crawler = crawler
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

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        pipeline = cls(
            crawler.stats, settings.get("ARCHIVE_PATH", "news.sqlite"), settings.getint("ARCHIVE_BATCH_SIZE", 50), crawler
        )
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = open_archive(self.path)
        spider = getattr(self.crawler, "spider", None)
        self.run_id = start_run(self.db, getattr(spider, "name", None), getattr(spider, "site", None))
        logger.info("Archive: %s (crawl run %d)", self.path, self.run_id)

    def close_spider(self):
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
        """Record the crawl run (its finish reason is known only now) and close the archive."""
        if self.db is None:
            return
        get = self.stats.get_value
        finish_run(
            self.db,
            self.run_id,
            finish_reason=reason,
            counts={
                "pages": get("response_received_count", 0),
                "new": get("aggregator/archive/new", 0),
                "updated": get("aggregator/archive/updated", 0),
                "unchanged": get("aggregator/archive/unchanged", 0),
                "dropped": get("item_dropped_count", 0) + get("aggregator/archive/unwritten", 0),
                "errors": get("log_count/ERROR", 0),
            },
        )
        self.db.conn.close()
        self.db = None

    def process_item(self, item):
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
        try:
            self.pending.append(article_row(ItemAdapter(item)))
            self.sites_written.add(item.site)
        except ArchiveError as exc:
            self.stats.inc_value("aggregator/archive/dropped")
            raise DropItem(str(exc)) from exc
        if len(self.pending) >= self.batch_size:
            self._flush()
        return item

    def _flush_sections(self):
        """Write the pending sections; a refused write keeps them for the next try."""
        if not self.pending_sections or self.db is None:
            return
        started = time.perf_counter()
        try:
            count = 0
            for site, path, url in self.pending_sections:
                count += write_sections(self.db, site, [(path, url)])
        except sqlite3.Error as exc:
            self.stats.inc_value("aggregator/archive/write_errors")
            logger.error("Archive write failed (%s); %d sections kept for a retry", exc, len(self.pending_sections))
            return
        finally:
            self._timed(started)
        self.pending_sections = []
        self.stats.inc_value("aggregator/archive/sections_written", count)

    def _flush(self, final=False):
        self._flush_sections()
        if not self.pending or self.db is None:
            return
        started = time.perf_counter()
        try:
            result = write_articles(self.db, self.pending)
        except sqlite3.Error as exc:
            # The transaction rolled back: keep the batch for the next flush.
            self.stats.inc_value("aggregator/archive/write_errors")
            logger.error("Archive write failed (%s); %d articles kept for a retry", exc, len(self.pending))
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

    def _save_unwritten(self, exc):
        """Last resort when the archive refuses the final batch: the rows go to
        a JSON Lines file beside it, so no article is lost."""
        path = self.path.with_name(f"{self.path.name}.unwritten-{int(time.time())}.jsonl")
        with path.open("w", encoding="utf-8") as handle:
            for row in self.pending:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        self.stats.set_value("aggregator/archive/unwritten", len(self.pending))
        logger.error("%d articles could not be archived (%s); saved to %s", len(self.pending), exc, path)
        self.pending = []

    def _timed(self, started):
        self.stats.inc_value("aggregator/archive/write_seconds", time.perf_counter() - started)
