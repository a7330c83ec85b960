"""Pause and resume with ``JOBDIR``: a crawl stopped by SIGINT, then resumed, archives every article once.

The demo site is served on 127.0.0.1 (``DemoServer``) and crawled by the real
``news`` spider in a child process (``crawl_runner.start_crawl``) that is the
Scrapy process itself, so the SIGINT reaches Scrapy's own shutdown handler:
it lets the requests in flight finish, closes the spider (finish reason
``shutdown``) and keeps the pending requests and the seen-request
fingerprints in the job directory for the next run.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from aggregator.archive import decode_row, open_archive
from aggregator.demo_site import DemoServer, build_demo_site

from crawl_runner import run_crawl, start_crawl

pytestmark = pytest.mark.slow

CONCURRENT_REQUESTS = 2
FIELDS = [
    ("headline", "headline"),
    ("datePublished", "date_published"),
    ("section", "section"),
    ("sections", "sections"),
    ("authors", "authors"),
    ("tags", "tags"),
    ("readingTimeMinutes", "reading_time_minutes"),
]
"""(ground-truth key, ``articles`` column) pairs checked for every article."""


def _archived_count(path: Path) -> int:
    """Articles in the archive, read on a read-only connection (0 before the crawl has made it)."""
    if not path.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        try:
            return conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:  # not created yet, or its schema not committed yet
        return 0


def _interrupt_mid_crawl(child, archive: Path, low: int, high: int, timeout: float = 60) -> int:
    """Send one SIGINT to the crawl once the archive holds at least ``low`` articles.

    :returns: the article count seen just before the signal.
    :raises AssertionError: when the crawl ended, or archived ``high`` or more, first.
    """
    deadline = time.monotonic() + timeout
    count = 0
    while time.monotonic() < deadline and child.poll() is None:
        count = _archived_count(archive)
        if count >= low:
            break
        time.sleep(0.02)
    assert child.poll() is None, f"the crawl ended before it could be interrupted ({count} articles)"
    assert low <= count < high, f"{count} articles archived: not mid-way"
    child.send_signal(signal.SIGINT)
    return count


def test_sigint_then_resume_archives_every_article_exactly_once(tmp_path):
    site = build_demo_site(300)
    truth = {a["url"]: a for a in site.ground_truth}
    total = len(truth)
    archive = tmp_path / "archive.sqlite"
    stats_path = archive.with_suffix(".stats.json")
    settings = {
        "SITE_TIMEZONE": site.timezone,
        "JOBDIR": str(tmp_path / "job"),
        "ARCHIVE_BATCH_SIZE": 10,
        "CONCURRENT_REQUESTS": CONCURRENT_REQUESTS,
        "DOWNLOAD_DELAY": 0.01,
        "AUTOTHROTTLE_ENABLED": False,
    }
    with DemoServer(site) as server:
        url = f"{server.base_url}/"
        started = time.monotonic()
        child = start_crawl(url, archive, settings, log_path=tmp_path / "interrupted.log")
        try:
            seen_at_signal = _interrupt_mid_crawl(child, archive, low=40, high=total - 60)
            signalled = time.monotonic()
            child.wait(60)
            stopped = time.monotonic()
        finally:
            if child.poll() is None:
                child.kill()
                child.wait(10)
        log = (tmp_path / "interrupted.log").read_text(errors="replace")
        fetched_before = list(server.requests)
        interrupted_stats = json.loads(stats_path.read_text())
        stats_path.unlink()
        assert child.returncode == 1, log[-3000:]  # not "finished": the runner's exit status 1
        assert interrupted_stats["finish_reason"] == "shutdown", log[-3000:]
        assert "Received SIGINT, shutting down gracefully" in log
        assert (tmp_path / "job" / "requests.seen").stat().st_size > 0
        assert any((tmp_path / "job" / "requests.queue").iterdir()), "no pending requests were kept"
        interrupted_count = _archived_count(archive)
        assert seen_at_signal <= interrupted_count < total

        resumed = run_crawl(url, archive, settings, timeout=120)
        fetched_after = server.requests[len(fetched_before):]
    assert resumed.returncode == 0, resumed.log[-3000:]
    assert resumed.stats["finish_reason"] == "finished"

    def article_fetches(targets: list[str]) -> Counter:
        return Counter(p.split("?")[0].split("#")[0] for p in targets if p.split("?")[0].split("#")[0] in truth)

    before, after = article_fetches(fetched_before), article_fetches(fetched_after)
    fetched_twice = sorted(p for p in truth if before[p] + after[p] > 1)
    never_fetched = sorted(p for p in truth if before[p] + after[p] == 0)
    print(f"interrupted at {seen_at_signal} (archive then {interrupted_count}) of {total} articles; "
          f"{sum(before.values())} article fetches in the interrupted run, {sum(after.values())} in the resumed one; "
          f"{len(fetched_twice)} fetched twice {fetched_twice[:5]}; "
          f"home page fetched {fetched_before.count('/')} + {fetched_after.count('/')} times "
          f"(request {fetched_after.index('/') + 1 if '/' in fetched_after else None} of the resumed run); "
          f"{len(fetched_after)} requests in the resumed run; seconds: {signalled - started:.1f} to the signal, "
          f"{stopped - signalled:.1f} to stop, {resumed.seconds:.1f} resumed")
    assert not never_fetched, f"{len(never_fetched)} articles never fetched, e.g. {never_fetched[:5]}"
    # The requests in flight at the signal were finished, and their articles archived before the spider closed.
    assert sum(before.values()) == interrupted_count
    assert len(fetched_twice) <= CONCURRENT_REQUESTS, fetched_twice
    # The resumed run did not start over: it fetched only what the first had left.
    assert sum(after.values()) <= total - interrupted_count + CONCURRENT_REQUESTS

    db = open_archive(archive, create=False)
    try:
        rows = {urlsplit(r["canonical_url"]).path: decode_row(r) for r in db.query("SELECT * FROM articles")}
        assert db["articles"].count == len(rows) == total
        assert set(rows) == set(truth)

        # One link per article and section, and per article and author, and no other.
        section_links = Counter(
            (urlsplit(u).path, p) for u, p in db.execute("SELECT canonical_url, path FROM article_sections").fetchall())
        author_links = Counter(
            (urlsplit(u).path, name) for u, name in db.execute(
                "SELECT l.canonical_url, a.name FROM article_authors l JOIN authors a ON a.id = l.author_id").fetchall())
        assert max(section_links.values()) == max(author_links.values()) == 1
        assert set(author_links) == {(p, name) for p, a in truth.items() for name in a["authors"]}

        runs = list(db.query("SELECT * FROM crawl_runs ORDER BY id"))
        assert [(r["status"], r["finish_reason"]) for r in runs] == [("failed", "shutdown"), ("finished", "finished")]
        assert runs[0]["finished"] is not None
        assert runs[0]["new"] == interrupted_count
        assert runs[1]["new"] == total - interrupted_count
        assert runs[1]["unchanged"] + runs[1]["updated"] == len(fetched_twice)

        # Each article as an uninterrupted crawl archives it (tests/test_demo_crawl.py).
        wrong = {}
        for field, column in FIELDS:
            bad = {p: (a[field], rows[p][column]) for p, a in truth.items() if rows[p][column] != a[field]}
            if bad:
                wrong[field] = (len(bad), list(bad.items())[:2])
        expected_links = {(p, "/".join(s)) for p, a in truth.items() for s in a["sections"]}
        if set(section_links) != expected_links:
            extra = sorted(set(section_links) - expected_links)
            wrong["article_sections"] = (len(extra), len(expected_links - set(section_links)), extra[:2])
        assert not wrong, f"wrong in the archive: {{field: (count, examples)}} = {wrong}"
    finally:
        db.conn.close()
