"""What an incremental run needs to know about earlier runs, read from the archive.

The seen-set of a scheduled crawl is the archive itself: an article URL met
on a listing, in a sitemap or in a feed is looked up by its fetched ``url``
and by ``canonical_url`` (both indexed), and :func:`revisit_reason` decides
whether to fetch it again. Nothing is kept in memory or in a side file, so a
run started from cron, scrapyd or a resumed ``JOBDIR`` sees the same set.

This module imports nothing from Scrapy.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Optional

from aggregator.archive import ArchiveError, open_archive
from aggregator.sitemaps import lastmod_datetime  # W3C / ISO 8601 timestamps, to aware UTC


@dataclass(frozen=True)
class KnownArticle:
    """An article already in the archive (the columns of ``articles`` a run needs)."""

    canonical_url: str
    url: Optional[str]
    date_published: Optional[str]
    """UTC ISO 8601 (``…Z``), or a bare date (day precision), or None."""
    first_seen: Optional[str]
    """When the archive first stored it, UTC ISO 8601."""
    last_seen: Optional[str]
    """When a crawl last stored it, UTC ISO 8601."""
    http_etag: Optional[str]
    http_last_modified: Optional[str]


def revisit_reason(
    known: Optional[KnownArticle],
    *,
    now: datetime,
    recrawl_days: float,
    lastmod: Optional[datetime] = None,
    refresh: bool = False,
) -> Optional[str]:
    """Whether to fetch an article URL, and why.

    :param known: the archived article, None when the URL is new.
    :param now: the run's clock (aware).
    :param recrawl_days: articles published (else first seen) less than this
        many days before ``now`` are fetched again to catch updates
        (``RECRAWL_DAYS``; 0 turns revisits off).
    :param lastmod: a sitemap's ``<lastmod>`` for the URL (aware), if any.
    :param refresh: the run asks for every article again.
    :returns: ``"new"``, ``"refresh"``, ``"recent"`` (inside the recrawl
        window), ``"lastmod"`` (the sitemap says it changed since it was last
        stored), or None: skip it, it is archived and unchanged.
    """
    if known is None:
        return "new"
    if refresh:
        return "refresh"
    if recrawl_days > 0:
        age_from = lastmod_datetime(known.date_published) or lastmod_datetime(known.first_seen)
        if age_from is not None and now - age_from < timedelta(days=recrawl_days):
            return "recent"
    last_seen = lastmod_datetime(known.last_seen)
    if lastmod is not None and last_seen is not None and lastmod > last_seen:
        return "lastmod"
    return None


class ArchiveIndex:
    """Read-only lookups of one archive for a running crawl.

    Opened lazily; an archive that does not exist yet simply knows nothing.

    :param path: the archive file (``ARCHIVE_PATH``).
    """

    _COLUMNS = "canonical_url, url, date_published, first_seen, last_seen, http_etag, http_last_modified"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._db = None

    def _database(self):
        if self._db is None:
            if not self.path.exists():
                return None
            try:
                self._db = open_archive(self.path, create=False)
            except ArchiveError:
                return None
        return self._db

    def lookup(self, url: str) -> Optional[KnownArticle]:
        """The archived article fetched from, or canonical at, ``url`` (an
        already canonicalized URL); None when there is none.

        :raises sqlite3.Error: when the archive cannot be read (e.g. locked past the busy timeout).
        """
        db = self._database()
        if db is None:
            return None
        row = db.execute(
            f"SELECT {self._COLUMNS} FROM articles WHERE canonical_url = ? "
            f"UNION ALL SELECT {self._COLUMNS} FROM articles WHERE url = ? LIMIT 1",
            [url, url],
        ).fetchone()
        return KnownArticle(*row) if row else None

    def last_successful_run(self, site: str) -> Optional[datetime]:
        """When the site's newest finished (or degraded) crawl run started, UTC; None if none."""
        db = self._database()
        if db is None:
            return None
        row = db.execute(
            "SELECT max(started) FROM crawl_runs WHERE site = ? AND status IN ('finished', 'degraded')", [site]
        ).fetchone()
        return lastmod_datetime(row[0]) if row else None

    def close(self) -> None:
        """Close the connection, if one was opened."""
        if self._db is not None:
            try:
                self._db.conn.close()
            except sqlite3.Error:
                pass
            self._db = None
