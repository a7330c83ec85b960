"""Incremental runs: which archived articles a run fetches again (no crawl)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from aggregator.archive import open_archive, write_articles
from aggregator.incremental import ArchiveIndex, KnownArticle, revisit_reason
from aggregator.sitemaps import lastmod_datetime

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)


def known(date_published=None, first_seen="2026-01-01T00:00:00Z", last_seen="2026-11-28T00:00:00Z"):
    return KnownArticle("https://n.example.com/a/", "https://n.example.com/a/", date_published, first_seen, last_seen, '"e1"', None)


@pytest.mark.parametrize(
    "article, kwargs, reason",
    [
        (None, {}, "new"),
        (known("2026-11-28T18:00:00Z"), {}, "recent"),  # 18 hours old: inside 2 days
        (known("2026-11-20T18:00:00Z"), {}, None),  # old and unchanged: skipped
        (known("2026-11-28"), {}, "recent"),  # day precision counts from midnight UTC
        (known(None, first_seen="2026-11-29T01:00:00Z"), {}, "recent"),  # no date: first seen
        (known("2026-11-28T18:00:00Z"), {"recrawl_days": 0}, None),
        (known("2020-01-01T00:00:00Z"), {"refresh": True}, "refresh"),
        (known("2020-01-01T00:00:00Z"), {"lastmod": datetime(2026, 11, 28, 6, tzinfo=timezone.utc)}, "lastmod"),
        (known("2020-01-01T00:00:00Z"), {"lastmod": datetime(2026, 11, 27, tzinfo=timezone.utc)}, None),
        (known("not a date", first_seen="garbage"), {}, None),
    ],
)
def test_revisit_reason(article, kwargs, reason):
    options = {"now": NOW, "recrawl_days": 2, **kwargs}
    assert revisit_reason(article, **options) == reason


def test_archive_timestamps_are_read_as_utc():
    # revisit_reason reads the archive's timestamps with the sitemaps' W3C datetime parser.
    assert lastmod_datetime("2025-02-19T02:30:00Z") == datetime(2025, 2, 19, 2, 30, tzinfo=timezone.utc)
    assert lastmod_datetime("2025-02-19T10:30:00+08:00") == datetime(2025, 2, 19, 2, 30, tzinfo=timezone.utc)
    assert lastmod_datetime("2025-02-19") == datetime(2025, 2, 19, tzinfo=timezone.utc)
    assert lastmod_datetime("yesterday") is None and lastmod_datetime(None) is None


def test_archive_index_finds_articles_by_url_and_canonical_url(tmp_path):
    path = tmp_path / "a.sqlite"
    assert ArchiveIndex(path).lookup("https://n.example.com/a/") is None  # no archive yet: nothing known
    db = open_archive(path)
    write_articles(db, [{
        "canonical_url": "https://n.example.com/a/", "url": "https://n.example.com/a/?from=feed", "site": "n.example.com",
        "headline": "A", "date_published": "2026-11-28T18:00:00Z", "http_etag": '"abc"',
        "http_last_modified": "Sat, 28 Nov 2026 18:00:00 GMT",
    }])
    db["crawl_runs"].insert_all([
        {"site": "n.example.com", "started": "2026-11-27T10:00:00Z", "status": "finished"},
        {"site": "n.example.com", "started": "2026-11-28T10:00:00Z", "status": "failed"},
        {"site": "other.example.com", "started": "2026-11-29T10:00:00Z", "status": "finished"},
    ])
    db.conn.close()
    index = ArchiveIndex(path)
    by_canonical = index.lookup("https://n.example.com/a/")
    by_url = index.lookup("https://n.example.com/a/?from=feed")
    assert by_canonical == by_url
    assert (by_url.http_etag, by_url.http_last_modified) == ('"abc"', "Sat, 28 Nov 2026 18:00:00 GMT")
    assert index.lookup("https://n.example.com/b/") is None
    # The last *successful* run of the site: the failed one does not count.
    assert index.last_successful_run("n.example.com") == datetime(2026, 11, 27, 10, tzinfo=timezone.utc)
    assert index.last_successful_run("x.example.com") is None
    index.close()


def test_archive_index_of_another_file_knows_nothing(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a database")
    assert ArchiveIndex(path).lookup("https://n.example.com/a/") is None
