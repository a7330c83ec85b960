"""Scrapy extensions of the project.

:class:`Progress` shows how a crawl is going: on a terminal, one live line
rewritten about once a second; otherwise (cron, scrapyd, a log file) one INFO
log line every ``PROGRESS_INTERVAL`` seconds. Enabled in ``EXTENSIONS``;
``PROGRESS_ENABLED = False`` turns it off.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any, Mapping, Optional, TextIO

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

logger = logging.getLogger(__name__)

TTY_INTERVAL = 1.0
"""Seconds between two redraws of the live line on a terminal."""


def progress_numbers(stats: Mapping[str, Any], elapsed: float) -> dict[str, float]:
    """The numbers of a progress line, from a crawl's Scrapy stats.

    :param stats: the stats so far (``crawler.stats.get_stats()``).
    :param elapsed: seconds since the crawl opened.
    :returns: ``pages`` (responses received), ``scraped`` (article pages
        extracted, stat ``aggregator/pages/articles``; section items are not
        articles), ``new`` / ``updated`` (articles the archive wrote as new or
        changed; counted at each batch write, ``ARCHIVE_BATCH_SIZE``), ``errors`` (the sum of
        ``aggregator/requests/failed/*``) and ``pages_per_minute`` (pages over
        the whole crawl so far; 0 in its first second).
    """
    pages = stats.get("response_received_count", 0) or 0
    errors = sum(v for k, v in stats.items() if k.startswith("aggregator/requests/failed/") and isinstance(v, (int, float)))
    return {
        "pages": pages,
        "scraped": stats.get("aggregator/pages/articles", 0) or 0,
        "new": stats.get("aggregator/archive/new", 0) or 0,
        "updated": stats.get("aggregator/archive/updated", 0) or 0,
        "errors": errors,
        "pages_per_minute": pages * 60.0 / elapsed if elapsed >= 1 else 0.0,
    }


def format_progress(stats: Mapping[str, Any], elapsed: float) -> str:
    """One progress line, e.g. ``120 pages, 48 articles scraped (45 new,
    3 updated), 2 errors, 86 pages/min`` (see :func:`progress_numbers`)."""
    n = progress_numbers(stats, elapsed)
    return (
        f"{n['pages']} pages, {n['scraped']} articles scraped ({n['new']} new, {n['updated']} updated), "
        f"{n['errors']} errors, {n['pages_per_minute']:.0f} pages/min"
    )


class _ClearLine(logging.Filter):
    """Erase the live line before a log record is written to the same terminal."""

    def __init__(self, progress: "Progress"):
        super().__init__()
        self.progress = progress

    def filter(self, record: logging.LogRecord) -> bool:
        self.progress.clear()
        return True


class Progress:
    """Report a crawl's progress (:func:`format_progress`) while it runs.

    On a terminal (``stream.isatty()``, the stream being stderr), the line is
    rewritten in place with ``\\r`` every ``TTY_INTERVAL`` seconds, erased
    before each log line and ended with a newline when the spider closes.
    Elsewhere, one INFO log line ``Progress: …`` every ``interval`` seconds.

    :param stats: the crawler's stats collector.
    :param interval: seconds between two log lines (setting ``PROGRESS_INTERVAL``).
    :param stream: where the live line goes (default ``sys.stderr``).
    """

    def __init__(self, stats: Any, interval: float = 60.0, stream: Optional[TextIO] = None):
        self.stats = stats
        self.interval = interval
        self.stream = stream if stream is not None else sys.stderr
        self.tty = _isatty(self.stream)
        self.started: Optional[float] = None
        self.shown = False
        self.drawn = False
        self.task: Any = None
        self.filter = _ClearLine(self)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "Progress":
        """Built from ``PROGRESS_ENABLED`` and ``PROGRESS_INTERVAL`` (seconds, > 0).

        :raises NotConfigured: when disabled, or the interval is not a positive number.
        """
        if not crawler.settings.getbool("PROGRESS_ENABLED", True):
            raise NotConfigured("PROGRESS_ENABLED is off")
        try:
            interval = crawler.settings.getfloat("PROGRESS_INTERVAL", 60)
        except ValueError:
            raise NotConfigured(f"PROGRESS_INTERVAL is not a number: {crawler.settings.get('PROGRESS_INTERVAL')!r}")
        if interval <= 0:
            raise NotConfigured("PROGRESS_INTERVAL must be more than 0")
        extension = cls(crawler.stats, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Any = None) -> None:
        """Start the clock and the periodic report (Scrapy's looping call, as
        its ``LogStats`` uses: Twisted's or asyncio's)."""
        self.start()
        self.task = create_looping_call(self.report)
        self.task.start(TTY_INTERVAL if self.tty else self.interval, now=False)

    def start(self) -> None:
        """Start the clock; on a terminal, erase the live line before each log line."""
        self.started = time.monotonic()
        if self.tty:
            for handler in _terminal_handlers():
                handler.addFilter(self.filter)

    def line(self) -> str:
        """The current progress line."""
        elapsed = time.monotonic() - self.started if self.started is not None else 0.0
        return format_progress(self.stats.get_stats(), elapsed)

    def report(self) -> None:
        """Redraw the live line, or log one progress line."""
        if self.tty:
            self.stream.write("\r" + self.line() + "\x1b[K")
            self.stream.flush()
            self.shown = self.drawn = True
        else:
            logger.info("Progress: %s", self.line())

    def clear(self) -> None:
        """Erase the live line (before a log line is written under it)."""
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False

    def spider_closed(self, spider: Any = None, reason: str = "") -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        self.task = None
        self.stop()

    def stop(self) -> None:
        """On a terminal: stop erasing before log lines, and end the live line
        (drawn once at least) with a last update and a newline."""
        if self.tty:
            for handler in logging.getLogger().handlers:
                handler.removeFilter(self.filter)
            if self.drawn:
                self.stream.write("\r" + self.line() + "\x1b[K\n")
                self.stream.flush()
            self.shown = False


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _terminal_handlers() -> list[logging.Handler]:
    """The root logger's handlers that write to a terminal (where the live line is)."""
    return [h for h in logging.getLogger().handlers if _isatty(getattr(h, "stream", None))]
