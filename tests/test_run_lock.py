"""The run lock: one crawl of a site at a time (crawl_locks), taken over from dead or stale holders."""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from aggregator.archive import ArchiveError, acquire_lock, open_archive, refresh_lock, release_lock

from crawl_runner import ROOT, start_crawl
from small_site import SmallSite

HOST = socket.gethostname()


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.fixture
def db(tmp_path):
    db = open_archive(tmp_path / "a.sqlite")
    yield db
    db.conn.close()


def lock_row(db, site="s"):
    rows = list(db.query("SELECT site, run_id, pid, host FROM crawl_locks WHERE site = ?", [site]))
    return rows[0] if rows else None


def test_acquire_free_lock(db):
    assert acquire_lock(db, "s", 1, stale_seconds=60) is None
    assert lock_row(db) == {"site": "s", "run_id": 1, "pid": os.getpid(), "host": HOST}


def test_live_holder_keeps_it(db):
    assert acquire_lock(db, "s", 1, stale_seconds=60, pid=os.getppid()) is None  # a live process
    holder = acquire_lock(db, "s", 2, stale_seconds=60)
    assert holder["run_id"] == 1 and holder["pid"] == os.getppid() and holder["host"] == HOST
    assert holder["acquired_at"].endswith("Z")
    assert lock_row(db)["run_id"] == 1


def test_dead_holder_on_this_host_is_taken_over(db, caplog):
    acquire_lock(db, "s", 1, stale_seconds=0, pid=dead_pid())
    assert acquire_lock(db, "s", 2, stale_seconds=0) is None
    assert lock_row(db)["run_id"] == 2
    assert "Taking over the crawl lock of s from run 1" in caplog.text and "its process is gone" in caplog.text


def test_other_host_kept_until_stale(db):
    acquire_lock(db, "s", 1, stale_seconds=60, pid=dead_pid(), host="elsewhere")  # its pid means nothing here
    assert acquire_lock(db, "s", 2, stale_seconds=60)["host"] == "elsewhere"
    db.execute("UPDATE crawl_locks SET acquired_at = '2020-01-01T00:00:00Z'")
    assert acquire_lock(db, "s", 2, stale_seconds=0)["run_id"] == 1  # 0: never stale
    assert acquire_lock(db, "s", 2, stale_seconds=60) is None
    assert lock_row(db)["run_id"] == 2


def test_refresh_and_release(db):
    acquire_lock(db, "s", 1, stale_seconds=60)
    db.execute("UPDATE crawl_locks SET acquired_at = '2020-01-01T00:00:00Z'")
    assert refresh_lock(db, "s", 1) is True
    assert next(db.query("SELECT acquired_at FROM crawl_locks"))["acquired_at"] > "2025"
    assert refresh_lock(db, "s", 2) is False
    assert release_lock(db, "s", 2) is False  # not its lock
    assert lock_row(db) is not None
    assert release_lock(db, "s", 1) is True
    assert lock_row(db) is None


def _race(path, run_id, barrier, results):
    db = open_archive(path)
    barrier.wait()
    results.put((run_id, acquire_lock(db, "s", run_id, stale_seconds=60) is None))
    db.conn.close()
    time.sleep(0.5)  # stay alive while the other one looks at the holder


def test_two_processes_racing_cannot_both_acquire(tmp_path):
    path = tmp_path / "race.sqlite"
    open_archive(path).conn.close()
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(2), context.Queue()
    processes = [context.Process(target=_race, args=(path, n, barrier, results)) for n in (1, 2)]
    for process in processes:
        process.start()
    outcomes = dict(results.get(timeout=20) for _ in processes)
    for process in processes:
        process.join(20)
    assert sorted(outcomes.values()) == [False, True]


# --- end to end: a crawl holding the lock, a second one started meanwhile --------------


def scrapy_crawl(*args, timeout=120):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SCRAPY_SETTINGS_MODULE": "aggregator.settings"}
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "news", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )



@pytest.mark.slow
def test_second_run_exits_at_once_and_killed_holder_is_taken_over(tmp_path):
    archive = tmp_path / "news.sqlite"
    with SmallSite() as site:
        site.delay = 1.0  # the holder would take ~20 s, one request at a time: it is killed long before
        holder = start_crawl(
            site.url, archive,
            {"USER_AGENT": "holder", "CONCURRENT_REQUESTS": 1, "AUTOTHROTTLE_ENABLED": False},
            log_path=tmp_path / "holder.log",
        )
        try:
            deadline = time.monotonic() + 60
            row = None
            while time.monotonic() < deadline and not row:
                time.sleep(0.2)
                try:
                    db = open_archive(archive, create=False)
                except ArchiveError:  # not there yet, or being set up by the holder
                    continue
                row = lock_row(db, site.url.split("/")[2])
                db.conn.close()
            assert row and row["pid"] == holder.pid, (tmp_path / "holder.log").read_text()[-2000:]

            started = time.monotonic()
            second = scrapy_crawl("-a", f"url={site.url}", "-s", f"ARCHIVE_PATH={archive}", "-s", "USER_AGENT=second")
            seconds = time.monotonic() - started
            assert holder.poll() is None, "the holder ended before the second run was checked"
            assert second.returncode == 1, second.stderr[-2000:]
            message = [line for line in second.stderr.splitlines() if line.startswith("another run of")]
            assert len(message) == 1
            assert message[0].startswith(f"another run of {site.url.split('/')[2]} is in progress (pid {holder.pid} on {HOST} since 20")
            assert message[0].endswith("); not starting")
            assert "Traceback" not in second.stderr
            assert site.requests_by("second") == []  # nothing fetched, not even robots.txt
            assert seconds < 30
        finally:
            holder.send_signal(signal.SIGKILL)
            holder.wait()

        db = open_archive(archive, create=False)
        runs = list(db.query("SELECT status, finish_reason FROM crawl_runs ORDER BY id"))
        assert runs == [{"status": "running", "finish_reason": None}, {"status": "skipped", "finish_reason": "already_running"}]
        assert lock_row(db, site.url.split("/")[2])["pid"] == holder.pid  # left behind by the killed run
        db.conn.close()

        site.delay = 0
        third = scrapy_crawl("-a", f"url={site.url}", "-s", f"ARCHIVE_PATH={archive}", "-s", "AUTOTHROTTLE_ENABLED=False")
        assert third.returncode == 0, third.stderr[-2000:]
        assert f"Taking over the crawl lock of {site.url.split('/')[2]}" in third.stderr
    db = open_archive(archive, create=False)
    assert next(db.query("SELECT status FROM crawl_runs ORDER BY id DESC LIMIT 1"))["status"] == "finished"
    assert db["crawl_locks"].count == 0  # released at the end
    db.conn.close()


# --- the archive pipeline's side, in process ---------------------------------------------


def pipeline_for(archive, **settings):
    from types import SimpleNamespace

    from scrapy.utils.test import get_crawler

    from pipelines.archive import ArchivePipeline

    crawler = get_crawler(settings_dict={"ARCHIVE_PATH": str(archive), **settings})
    crawler.stats.open_spider()
    crawler.spider = SimpleNamespace(name="news", site="news.example.com", site_name="example", sources=["menu"])
    return ArchivePipeline.from_crawler(crawler), crawler


def test_pipeline_takes_refreshes_and_releases_the_lock(tmp_path, monkeypatch):
    from scrapy.exceptions import CloseSpider

    import pipelines.archive
    from aggregator.items import Article

    archive = tmp_path / "news.sqlite"
    first, first_crawler = pipeline_for(archive)
    first.open_spider()
    db = open_archive(archive, create=False)
    db.execute("UPDATE crawl_locks SET pid = ?", [os.getppid()])  # as if another live process held it
    db.conn.commit()
    second, second_crawler = pipeline_for(archive)
    with pytest.raises(CloseSpider) as caught:
        second.open_spider()
    assert caught.value.reason == "already_running"
    assert second_crawler.stats.get_value("aggregator/lock/holder_pid") == os.getppid()
    second.close_spider()
    second.spider_closed(second_crawler.spider, "already_running")

    db.execute("UPDATE crawl_locks SET acquired_at = '2020-01-01T00:00:00Z'")
    db.conn.commit()
    monkeypatch.setattr(pipelines.archive, "LOCK_REFRESH_SECONDS", 0)
    first.process_item(Article(url="https://news.example.com/a/", site="news.example.com", headline="A"))
    first_crawler.stats.set_value("aggregator/articles/front", 1)  # the spider's count of front-page article links
    assert next(db.query("SELECT acquired_at FROM crawl_locks"))["acquired_at"] > "2025"
    first.close_spider()
    first.spider_closed(first_crawler.spider, "finished")
    runs = list(db.query("SELECT status, finish_reason, site_name, sources, articles, coverage FROM crawl_runs ORDER BY id"))
    assert [(r["status"], r["finish_reason"]) for r in runs] == [("finished", "finished"), ("skipped", "already_running")]
    assert (runs[0]["site_name"], runs[0]["sources"], runs[0]["articles"]) == ("example", '["menu"]', 1)
    assert '"headline": 1.0' in runs[0]["coverage"] and '"datePublished": 0.0' in runs[0]["coverage"]
    assert db["crawl_locks"].count == 0
    db.conn.close()
