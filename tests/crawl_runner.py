"""Run one ``news`` crawl in a child process and collect what it did.

The child runs Scrapy's ``CrawlerProcess`` with the project settings plus the
given overrides, then writes the crawl's final stats as JSON; the parent reads
them back with the child's exit status and peak resident memory. A child
process keeps each crawl's Twisted reactor apart, as ``scrapy crawl`` would.

Run as a script by :func:`run_crawl` (which waits for the crawl) and
:func:`start_crawl` (which returns the running child, e.g. to kill it); not a
test module.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class CrawlResult:
    """Exit status, final Scrapy stats, peak RSS (MiB), wall seconds and log of one crawl."""

    returncode: int
    stats: dict[str, Any]
    peak_rss_mib: float
    seconds: float
    log: str

    def stat(self, key: str, default: Any = 0) -> Any:
        return self.stats.get(key, default)


def _command(
    url: str, archive: Path, settings: Optional[dict[str, Any]], spider_args: Optional[dict[str, str]]
) -> tuple[list[str], dict[str, str], Path]:
    """The child's command line, environment and stats file for one crawl."""
    stats_path = archive.with_suffix(".stats.json")
    config = {
        "settings": {"ARCHIVE_PATH": str(archive), "LOG_LEVEL": "INFO", **(settings or {})},
        "spider_args": {"url": url, **(spider_args or {})},
        "stats_path": str(stats_path),
    }
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "aggregator.settings", "PYTHONPATH": str(ROOT)}
    return [sys.executable, __file__, json.dumps(config)], env, stats_path


def run_crawl(
    url: str,
    archive: Path,
    settings: Optional[dict[str, Any]] = None,
    timeout: float = 240,
    spider_args: Optional[dict[str, str]] = None,
) -> CrawlResult:
    """Crawl ``url`` with the ``news`` spider into ``archive`` in a child process.

    :param settings: Scrapy settings overriding the project's.
    :param timeout: seconds before the child is killed (the test then fails).
    """
    command, env, stats_path = _command(url, archive, settings, spider_args)
    started = time.monotonic()
    process = subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    seconds = time.monotonic() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    stats = json.loads(stats_path.read_text()) if stats_path.exists() else {}
    return CrawlResult(process.returncode, stats, peak_kib / 1024, seconds, process.stderr)


def start_crawl(
    url: str,
    archive: Path,
    settings: Optional[dict[str, Any]] = None,
    spider_args: Optional[dict[str, str]] = None,
    log_path: Optional[Path] = None,
) -> subprocess.Popen:
    """Start the same crawl as :func:`run_crawl` in a child process and return at once.

    The caller waits for, or kills, the returned ``Popen`` (e.g. with SIGKILL to
    test a crash). The child's output goes to ``log_path`` (default: discarded,
    so a full pipe never blocks it); its stats, if it ends normally, to
    ``archive.with_suffix(".stats.json")``.
    """
    command, env, _ = _command(url, archive, settings, spider_args)
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL
    try:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    finally:
        if log_path:
            log.close()


def _child(config: dict[str, Any]) -> int:
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.setdict(config["settings"], priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler("news")
    process.crawl(crawler, **config["spider_args"])
    process.start()
    stats = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in crawler.stats.get_stats().items()}
    Path(config["stats_path"]).write_text(json.dumps(stats))
    return 0 if stats.get("finish_reason") == "finished" else 1


if __name__ == "__main__":
    sys.exit(_child(json.loads(sys.argv[1])))
