"""The archive under real crawls: readers during writes, a crawl killed mid-write, revisions across crawls.

Each test serves the demo site on 127.0.0.1 (``DemoServer``) and crawls it
with the real ``news`` spider in a child process (``crawl_runner``).
"""

from __future__ import annotations

import dataclasses
import html
import json
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from aggregator.archive import open_archive
from aggregator.demo_site import DemoServer, build_demo_site
from aggregator.queries import recent, related

from crawl_runner import run_crawl, start_crawl

pytestmark = pytest.mark.slow


def _wait_for_archive(path: Path, timeout: float = 60) -> None:
    """Wait until the crawl has created the archive and recorded its run (schema complete)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            try:
                conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
                try:
                    if conn.execute("SELECT count(*) FROM crawl_runs").fetchone()[0]:
                        return
                finally:
                    conn.close()
            except sqlite3.Error:
                pass  # not created yet, or its schema not committed yet
        time.sleep(0.02)
    raise AssertionError(f"the crawl did not create {path} in {timeout} s")


def _article_count(path: Path) -> int:
    db = open_archive(path, create=False)
    try:
        return db.execute("SELECT count(*) FROM articles").fetchone()[0]
    finally:
        db.conn.close()


def _paths(db) -> list[str]:
    return [urlsplit(url).path for (url,) in db.execute("SELECT canonical_url FROM articles").fetchall()]


# --- Readers during a crawl -------------------------------------------------------------------

class Reader(threading.Thread):
    """Queries ``recent`` and ``related`` in a loop on its own connection, counting every exception."""

    def __init__(self, path: Path):
        super().__init__(daemon=True, name="archive-reader")
        self.path = path
        self.stop = threading.Event()
        self.reads = 0  # calls that returned
        self.reads_with_rows = 0  # ... and found articles
        self.errors: list[str] = []
        self.counts_seen: set[int] = set()

    def run(self) -> None:
        db = None
        filters = [{}, {"section": "World News"}, {"section": "politics"}, {"site": "127.0.0.1"}, {"tag": "Explainer"}]
        k = 0
        while not self.stop.is_set():
            k += 1
            try:
                if db is None:
                    db = open_archive(self.path, create=False)
                self.counts_seen.add(db.execute("SELECT count(*) FROM articles").fetchone()[0])
                rows = recent(db, limit=10, **filters[k % len(filters)])
                self.reads += 1
                if rows:
                    found = related(db, rows[k % len(rows)]["canonical_url"], limit=3, fresh=k % 2 == 0)
                    self.reads += 1
                    self.reads_with_rows += 1 + bool(found)
            except Exception as exc:  # every failure counts
                self.errors.append(f"{type(exc).__name__}: {exc}")
            time.sleep(0.005)
        if db is not None:
            db.conn.close()


def test_readers_never_fail_while_a_crawl_writes(tmp_path):
    site = build_demo_site(300)
    archive = tmp_path / "archive.sqlite"
    with DemoServer(site) as server:
        holder: dict = {}
        crawl = threading.Thread(
            target=lambda: holder.setdefault(
                "result", run_crawl(f"{server.base_url}/", archive, {"SITE_TIMEZONE": site.timezone}, timeout=120)
            )
        )
        crawl.start()
        _wait_for_archive(archive)
        reader = Reader(archive)
        reader.start()
        crawl.join()
        reads_during_crawl, counts_during_crawl = reader.reads_with_rows, set(reader.counts_seen)
        time.sleep(0.3)  # a few reads of the finished archive too
        reader.stop.set()
        reader.join(10)
    result = holder["result"]
    print(f"reader: {reader.reads} reads, {reads_during_crawl} with rows during the crawl, "
          f"article counts seen {sorted(counts_during_crawl)}, errors {len(reader.errors)}")
    assert result.returncode == 0, result.log[-3000:]
    assert _article_count(archive) == len(site.ground_truth)
    assert not reader.errors, f"{len(reader.errors)} reader errors, e.g. {reader.errors[:5]}"
    assert reads_during_crawl >= 20, f"only {reads_during_crawl} successful reads with rows during the crawl"
    # The reader saw the archive grow batch by batch, not only before and after.
    assert len({c for c in counts_during_crawl if 0 < c < len(site.ground_truth)}) >= 2, sorted(counts_during_crawl)


# --- A crawl killed mid-write -------------------------------------------------------------------

def _kill_while_writing(child, archive: Path, timeout: float = 10) -> bool:
    """SIGKILL the crawl, if possible while it holds the archive's write lock (inside a transaction).

    A probe connection tries ``BEGIN IMMEDIATE`` without waiting: "database is
    locked" means the crawl is writing right now. Gives up waiting after
    ``timeout`` seconds and kills it anyway.

    :returns: whether the kill came while the crawl was writing.
    """
    probe = sqlite3.connect(archive, timeout=0, isolation_level=None)
    deadline = time.monotonic() + timeout
    writing = False
    try:
        while time.monotonic() < deadline and child.poll() is None:
            try:
                probe.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    writing = True
                    break
                raise
            probe.execute("ROLLBACK")
            time.sleep(0.001)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        probe.close()
    return writing


def test_crawl_killed_mid_write_leaves_a_sound_archive_and_the_next_crawl_completes(tmp_path):
    site = build_demo_site(300)
    total = len(site.ground_truth)
    archive = tmp_path / "archive.sqlite"
    settings = {"SITE_TIMEZONE": site.timezone, "ARCHIVE_BATCH_SIZE": 10}
    with DemoServer(site) as server:
        child = start_crawl(f"{server.base_url}/", archive, settings, log_path=tmp_path / "killed.log")
        try:
            _wait_for_archive(archive)
            deadline = time.monotonic() + 90
            count = 0
            while count < 40 and time.monotonic() < deadline and child.poll() is None:
                count = _article_count(archive)
                time.sleep(0.01)
            mid_transaction = _kill_while_writing(child, archive)
        finally:
            if child.poll() is None:
                child.kill()
            child.wait(10)
        assert child.returncode == -signal.SIGKILL, (tmp_path / "killed.log").read_text()[-3000:]

        # Straight after the crash, before anything else opens the archive for writing.
        conn = sqlite3.connect(archive)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
            killed_count = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
            print(f"killed with {killed_count} of {total} articles archived"
                  f"{', inside a write transaction' if mid_transaction else ''}")
            assert 0 < killed_count < total, killed_count
            incomplete = conn.execute(
                "SELECT count(*) FROM articles WHERE headline IS NULL OR article_body IS NULL OR content_hash IS NULL"
                " OR last_seen IS NULL OR first_seen IS NULL OR date_published IS NULL"
            ).fetchone()[0]
            assert incomplete == 0
            # Links and the full-text index were written in the same transactions as the rows.
            unlinked = conn.execute(
                "SELECT count(*) FROM articles a WHERE NOT EXISTS"
                " (SELECT 1 FROM article_sections s WHERE s.canonical_url = a.canonical_url)"
            ).fetchone()[0]
            assert unlinked == 0
            assert conn.execute("SELECT count(*) FROM articles_fts").fetchone()[0] == killed_count
            conn.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")
            first_seen = dict(conn.execute("SELECT canonical_url, first_seen FROM articles").fetchall())
        finally:
            conn.close()

        second = run_crawl(f"{server.base_url}/", archive, settings, timeout=120)
    assert second.returncode == 0, second.log[-3000:]

    db = open_archive(archive, create=False)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        paths = _paths(db)
        assert len(paths) == len(set(paths)) == total
        assert set(paths) == {a["url"] for a in site.ground_truth}
        (distinct,) = db.execute("SELECT count(DISTINCT canonical_url) FROM articles").fetchone()
        assert distinct == total
        kept = dict(db.execute("SELECT canonical_url, first_seen FROM articles").fetchall())
        assert {url: kept[url] for url in first_seen} == first_seen
        runs = list(db.query("SELECT * FROM crawl_runs ORDER BY id"))
        assert [r["status"] for r in runs] == ["running", "finished"]
        assert runs[0]["finished"] is None
        assert runs[1]["finish_reason"] == "finished"
        # The second crawl wrote what the killed one had not (its unflushed batch was lost with it),
        # and did not fetch again what the killed one had archived.
        assert (runs[1]["new"], runs[1]["updated"], runs[1]["unchanged"]) == (total - killed_count, 0, 0)
        assert second.stats["aggregator/incremental/skipped_known"] == killed_count
    finally:
        db.conn.close()


# --- Revisions across crawls ----------------------------------------------------------------------

class RevisedPages(Mapping):
    """A demo site's pages with some articles' pages edited: ``{path: [(old, new), ...]}`` byte replacements."""

    def __init__(self, pages: Mapping[str, tuple[str, bytes]], edits: dict[str, list[tuple[str, str]]]):
        self.pages = pages
        self.edits = edits

    def __getitem__(self, key: str) -> tuple[str, bytes]:
        content_type, body = self.pages[key]
        for old, new in self.edits.get(key, []):
            assert old.encode() in body, (key, old)
            body = body.replace(old.encode(), new.encode())
        return content_type, body

    def __iter__(self) -> Iterator[str]:
        return iter(self.pages)

    def __len__(self) -> int:
        return len(self.pages)

    def __contains__(self, key: object) -> bool:
        return key in self.pages


def test_changed_articles_keep_their_old_versions_as_revisions(tmp_path):
    site = build_demo_site()
    archive = tmp_path / "archive.sqlite"
    settings = {"SITE_TIMEZONE": site.timezone}

    # Three articles, one of each date markup, whose headline reads the same in HTML and in JSON-LD.
    plain = [a for a in site.ground_truth
             if html.escape(a["headline"]) == a["headline"] == json.dumps(a["headline"], ensure_ascii=False)[1:-1]]
    chosen = [next(a for a in plain if a["dateVariant"] == variant) for variant in ("json-ld", "time", "text")]
    new_headlines = {a["url"]: "Corrigendum: " + a["headline"] for a in chosen}
    edits = {a["url"]: [(a["headline"], new_headlines[a["url"]])] for a in chosen}
    correction = "Correction: an earlier version of this story misnamed the harbour."
    edits[chosen[0]["url"]].append(('</p>\n</div>\n<footer class="entry-footer">',
                                    f'</p>\n<p>{correction}</p>\n</div>\n<footer class="entry-footer">'))
    revised = dataclasses.replace(site, pages=RevisedPages(site.pages, edits))
    assert revised.get(chosen[0]["url"])[2].count(new_headlines[chosen[0]["url"]].encode()) >= 2

    with DemoServer(site) as server:
        first = run_crawl(f"{server.base_url}/", archive, settings)
        assert first.returncode == 0, first.log[-3000:]
        db = open_archive(archive, create=False)
        before = {urlsplit(r["canonical_url"]).path: dict(r) for r in db.query("SELECT * FROM articles")}
        db.conn.close()
        server.site = revised  # the same host and port: the same canonical URLs
        # The edits move no date or validator: only a refresh run sees them.
        second = run_crawl(f"{server.base_url}/", archive, settings, spider_args={"refresh": "1"})
    assert second.returncode == 0, second.log[-3000:]

    db = open_archive(archive, create=False)
    try:
        after = {urlsplit(r["canonical_url"]).path: dict(r) for r in db.query("SELECT * FROM articles")}
        assert set(after) == set(before) == {a["url"] for a in site.ground_truth}
        revisions = list(db.query("SELECT * FROM article_revisions ORDER BY id"))
        assert len(revisions) == 3
        by_path = {urlsplit(r["canonical_url"]).path: r for r in revisions}
        assert set(by_path) == set(new_headlines)
        for path, new_headline in new_headlines.items():
            old = before[path]
            assert by_path[path]["headline"] == old["headline"] == next(
                a["headline"] for a in chosen if a["url"] == path)
            assert by_path[path]["article_body"] == old["article_body"]
            assert by_path[path]["content_hash"] == old["content_hash"] != after[path]["content_hash"]
            assert by_path[path]["seen_until"] == old["last_seen"]
            assert after[path]["headline"] == new_headline
            assert after[path]["first_seen"] == old["first_seen"]
        assert correction in after[chosen[0]["url"]]["article_body"]
        assert correction not in by_path[chosen[0]["url"]]["article_body"]
        for path in set(after) - set(new_headlines):
            assert after[path]["headline"] == before[path]["headline"]
            assert after[path]["content_hash"] == before[path]["content_hash"]
        runs = list(db.query("SELECT * FROM crawl_runs ORDER BY id"))
        assert [r["status"] for r in runs] == ["finished", "finished"]
        assert (runs[0]["new"], runs[0]["updated"]) == (len(site.ground_truth), 0)
        assert (runs[1]["new"], runs[1]["updated"], runs[1]["unchanged"]) == (0, 3, len(site.ground_truth) - 3)
        # The full-text index follows the new headlines.
        hits = {urlsplit(r["canonical_url"]).path for r in db.query(
            "SELECT a.canonical_url FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid"
            " WHERE articles_fts MATCH 'headline:corrigendum'")}
        assert hits == set(new_headlines)
    finally:
        db.conn.close()
