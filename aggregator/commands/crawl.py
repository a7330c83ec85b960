"""``scrapy crawl`` for this project: checks first, an honest exit status after.

``-a site=NAME`` takes the site from the sites file (setting ``SITES_FILE``,
:mod:`aggregator.sites`): its settings are applied at priority ``spider``
(so ``-s NAME=VALUE`` still wins) and its spider arguments (``url``,
``site_name``, ``sources``, ``allowed_domains``) are merged under the
explicit ``-a`` ones. This works wherever Scrapy's command line runs, e.g.
under scrapyd.

Before the crawl starts, the spider's ``url`` and ``sources`` arguments and the project's
settings are checked (:func:`aggregator.config.check_settings`); a mistake
is a one-line usage error (exit status 2), not a traceback. After the crawl,
the exit status is 1 when the crawl did not finish normally (e.g. the home
page was unreachable: finish reason ``site_unreachable``; another run of the
site holds its lock: ``already_running``) or when articles could not be
written to the archive; else 0. A degraded run (see
:mod:`aggregator.runs`) exits with 0 but prints ``run degraded: …`` on
stderr.
"""

from __future__ import annotations

import sys
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from aggregator.config import ConfigError, check_settings, check_site_url, check_sources
from aggregator.sites import load_site

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
                opts.spargs = apply_site(self.settings, opts.spargs)
                check_site_url(opts.spargs.get("url"))
                check_sources(opts.spargs.get("sources"))
            check_settings(self.settings)
        except ConfigError as exc:
            raise UsageError(str(exc), print_help=False) from exc
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        get = crawler.stats.get_value
        reason = get("finish_reason")
        failed = [key for key in FAILED_STATS if get(key)]
        if reason == "already_running":
            spider = crawler.spider
            site = getattr(spider, "site_name", None) or getattr(spider, "site", None) or opts.spargs.get("url")
            print(
                f"another run of {site} is in progress (pid {get('aggregator/lock/holder_pid')} on "
                f"{get('aggregator/lock/holder_host')} since {get('aggregator/lock/holder_since')}); not starting",
                file=sys.stderr,
            )
            self.exitcode = 1
        elif self.crawler_process.bootstrap_failed or reason != "finished" or failed:
            print(f"crawl failed: finish reason {reason!r}{'; ' + ', '.join(failed) if failed else ''}", file=sys.stderr)
            self.exitcode = 1
        elif get("aggregator/run/degraded"):
            print(f"run degraded: {get('aggregator/run/degraded_summary')}", file=sys.stderr)


def apply_site(settings: Any, spargs: dict[str, str]) -> dict[str, str]:
    """Apply ``-a site=NAME``: the site's settings go into ``settings`` at
    priority ``spider`` (``-s`` on the command line, priority ``cmdline``,
    still wins), and the spider arguments are returned merged, the explicit
    ones winning (``-a url=`` over the site's url), ``site`` replaced by
    ``site_name``. Without ``site`` the arguments are returned unchanged.

    :param settings: the command's (mutable) Scrapy settings; ``SITES_FILE``
        names the sites file.
    :param spargs: the ``-a`` arguments.
    :raises ConfigError: for an empty name, or any mistake in the sites file
        (:func:`aggregator.sites.load_site`).
    """
    if "site" not in spargs:
        return spargs
    explicit = dict(spargs)
    name = (explicit.pop("site") or "").strip()
    if not name:
        raise ConfigError("-a site= needs the name of a site of the sites file, e.g. -a site=demo")
    site = load_site(settings.get("SITES_FILE") or "sites.toml", name)
    for key, value in site.settings().items():
        settings.set(key, value, priority="spider")
    return {**site.spider_arguments(), **explicit}
