"""``scrapy crawl`` for this project: checks first, an honest exit status after.

Before the crawl starts, the spider's ``url`` argument and the project's
settings are checked (:func:`aggregator.config.check_settings`); a mistake
is a one-line usage error (exit status 2), not a traceback. After the crawl,
the exit status is 1 when the crawl did not finish normally (e.g. the home
page was unreachable: finish reason ``site_unreachable``) or when articles
could not be written to the archive; else 0.
"""

from __future__ import annotations

import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from aggregator.config import ConfigError, check_settings, check_site_url

FAILED_STATS = ("aggregator/archive/unwritten",)


class Command(ScrapyCrawlCommand):
    """Scrapy's ``crawl`` with checked arguments and a meaningful exit status."""

    def run(self, args, opts):
        if len(args) != 1:
            raise UsageError("give one spider name, e.g. scrapy crawl news -a url=https://news.example.com/")
        spiders = self.crawler_process.spider_loader.list()
        if args[0] not in spiders:
            raise UsageError(f"no spider {args[0]!r}; the spiders are: {', '.join(sorted(spiders))}", print_help=False)
        try:
            if args[0] == "news":
                check_site_url(opts.spargs.get("url"))
            check_settings(self.settings)
        except ConfigError as exc:
            raise UsageError(str(exc), print_help=False) from exc
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        reason = crawler.stats.get_value("finish_reason")
        failed = [key for key in FAILED_STATS if crawler.stats.get_value(key)]
        if self.crawler_process.bootstrap_failed or reason != "finished" or failed:
            print(f"crawl failed: finish reason {reason!r}{'; ' + ', '.join(failed) if failed else ''}", file=sys.stderr)
            self.exitcode = 1
