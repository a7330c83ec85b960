"""Archive pipeline: a thin adapter from items to :mod:`aggregator.archive`.

Opens ``ARCHIVE_PATH`` (resolved to an absolute path; created with its
schema if missing) when the crawl opens. ``Article`` items are upserted by
canonical URL in batches of ``ARCHIVE_BATCH_SIZE``, one transaction per
batch, and the last batch when the crawl closes; ``Section`` items are
written at once. A second crawl of the same site adds no duplicate rows.
Stats: ``aggregator/archive/articles_written``,
``aggregator/archive/sections_written``, ``aggregator/archive/write_seconds``.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from aggregator.archive import ArchiveError, article_row, open_archive, write_articles, write_sections
from aggregator.items import Article, Section

logger = logging.getLogger(__name__)


class ArchivePipeline:
    """Write ``Article`` and ``Section`` items to the SQLite archive."""

    def __init__(self, stats, path, batch_size=50):
        self.stats = stats
        self.path = Path(path).expanduser().resolve()
        self.batch_size = max(1, batch_size)
        self.pending: list[dict] = []
        self.db = None

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        return cls(crawler.stats, settings.get("ARCHIVE_PATH", "news.sqlite"), settings.getint("ARCHIVE_BATCH_SIZE", 50))

    def open_spider(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = open_archive(self.path)
        logger.info("Archive: %s", self.path)

    def close_spider(self):
        self._flush()
        if self.db is not None:
            self.db.conn.close()

    def process_item(self, item):
        if isinstance(item, Section):
            started = time.perf_counter()
            count = write_sections(self.db, item.site, [(item.path, item.url)])
            self._timed(started)
            self.stats.inc_value("aggregator/archive/sections_written", count)
            return item
        if not isinstance(item, Article):
            return item
        try:
            self.pending.append(article_row(ItemAdapter(item)))
        except ArchiveError as exc:
            self.stats.inc_value("aggregator/archive/dropped")
            raise DropItem(str(exc)) from exc
        if len(self.pending) >= self.batch_size:
            self._flush()
        return item

    def _flush(self):
        if not self.pending or self.db is None:
            return
        rows, self.pending = self.pending, []
        started = time.perf_counter()
        count = write_articles(self.db, rows)
        self._timed(started)
        self.stats.inc_value("aggregator/archive/articles_written", count)

    def _timed(self, started):
        self.stats.inc_value("aggregator/archive/write_seconds", time.perf_counter() - started)
