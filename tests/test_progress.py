"""The Progress extension: a live line on a terminal, a log line every PROGRESS_INTERVAL elsewhere."""

from __future__ import annotations

import io
import logging
import re
import sys

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from aggregator.extensions import Progress, format_progress, progress_numbers

from crawl_runner import run_crawl
from small_site import SmallSite

STATS = {
    "response_received_count": 120,
    "item_scraped_count": 60,  # 48 articles and 12 section items: sections are not counted
    "aggregator/pages/articles": 48,
    "aggregator/archive/new": 45,
    "aggregator/archive/updated": 3,
    "aggregator/requests/failed/http_404": 1,
    "aggregator/requests/failed/timeout": 1,
    "aggregator/requests/failed_note": "not a count",
    "finish_reason": "finished",
}


def test_format_progress():
    assert format_progress(STATS, 84) == "120 pages, 48 articles scraped (45 new, 3 updated), 2 errors, 86 pages/min"


def test_numbers_at_the_start():
    assert progress_numbers({}, 0.5) == {"pages": 0, "scraped": 0, "new": 0, "updated": 0, "errors": 0, "pages_per_minute": 0.0}


class FakeStats:
    def __init__(self, values):
        self.values = values

    def get_stats(self):
        return self.values


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_terminal_gets_a_live_line():
    stream = Terminal()
    progress = Progress(FakeStats(STATS), interval=60, stream=stream)
    assert progress.tty
    progress.started = 0.0  # elapsed is measured from the monotonic clock's zero: a low rate
    progress.report()
    progress.report()
    assert stream.getvalue().count("\r120 pages, 48 articles scraped (45 new, 3 updated), 2 errors, ") == 2
    assert "\n" not in stream.getvalue()
    progress.clear()  # before a log line
    assert stream.getvalue().endswith("\r\x1b[K")
    progress.spider_closed()
    assert stream.getvalue().endswith("\x1b[K\n")


def test_terminal_line_is_cleared_before_log_lines(monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    stream = Terminal()
    crawler = get_crawler(settings_dict={"PROGRESS_INTERVAL": 5})
    progress = Progress.from_crawler(crawler)
    assert progress.tty and progress.interval == 5
    progress.stream = stream
    handler = logging.StreamHandler(stream)
    logging.getLogger().addHandler(handler)
    try:
        progress.start()
        progress.report()
        logging.getLogger("aggregator.test").warning("a log line")
        assert stream.getvalue().split("\r\x1b[K")[-1] == "a log line\n"
    finally:
        progress.stop()
        logging.getLogger().removeHandler(handler)
    assert progress.filter not in handler.filters


def test_no_terminal_logs_lines(monkeypatch, caplog):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    progress = Progress.from_crawler(get_crawler(settings_dict={"PROGRESS_INTERVAL": 5}))
    assert not progress.tty
    progress.stats = FakeStats(STATS)
    with caplog.at_level(logging.INFO, logger="aggregator.extensions"):
        progress.report()
    assert [r.getMessage() for r in caplog.records] == [
        "Progress: 120 pages, 48 articles scraped (45 new, 3 updated), 2 errors, 0 pages/min"
    ]


@pytest.mark.parametrize("settings", [{"PROGRESS_ENABLED": False}, {"PROGRESS_INTERVAL": 0}])
def test_disabled(settings):
    with pytest.raises(NotConfigured):
        Progress.from_crawler(get_crawler(settings_dict=settings))


@pytest.mark.slow
def test_crawl_logs_progress(tmp_path):
    with SmallSite() as site:
        site.delay = 0.05
        result = run_crawl(site.url, tmp_path / "news.sqlite", {"PROGRESS_INTERVAL": 0.2, "AUTOTHROTTLE_ENABLED": False,
                                                                 "CONCURRENT_REQUESTS": 2})
    assert result.returncode == 0, result.log[-2000:]
    lines = re.findall(r"\[aggregator\.extensions\] INFO: Progress: (\d+) pages, (\d+) articles scraped \((\d+) new, (\d+) updated\), (\d+) errors, (\d+) pages/min", result.log)
    assert len(lines) >= 2
    pages = [int(line[0]) for line in lines]
    assert pages == sorted(pages) and 0 < pages[-1] <= result.stat("response_received_count")
    assert max(int(line[1]) for line in lines) <= result.stat("aggregator/pages/articles")
