"""Dates pipeline: ``datePublished`` / ``dateModified`` in ISO 8601 UTC.

The candidates the page offers (``datePublishedCandidates``, most trusted
first) are tried in order; the first that parses and is plausible (1990 or
later, at most a day after the fetch) wins, and ``datePublishedRaw`` /
``datePublishedRawSource`` are set to it; the same for ``dateModified``.
When the winner is a bare day and a later candidate gives the same local
day with a time (a feed's ``pubDate`` behind a page's "May 29, 2026"), the
later one is taken.

Time zone of a value printed without an offset: ``SITE_TIMEZONE`` (IANA
name); else the offset another date on the same page is given in (e.g. the
JSON-LD ``dateModified``); else UTC, flagged ``datePublishedTimezoneSource =
"default"``. Languages: ``SITE_LANGUAGES`` (dateparser codes or locales such
as ``en-GB``, whose day/month order is used); else the page's
``inLanguage``. Relative dates are anchored at the item's ``dateDownloaded``.

Stats: ``aggregator/dates/parsed``, ``aggregator/dates/unparsed`` (no
candidate parsed), ``aggregator/dates/rejected`` (a candidate that did not
parse or was implausible), ``aggregator/dates/missing/<field>``,
``aggregator/dates/timezone_<source>`` (``value``, ``site``, ``page``,
``default``: a time read as UTC because nothing gave its zone, ``none``),
``aggregator/dates/time_from_later_candidate``, ``aggregator/dates/local_from_page``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from itemadapter import ItemAdapter

from aggregator.config import site_languages
from aggregator.dates import get_timezone, language_codes, normalize_date, offset_of

logger = logging.getLogger(__name__)


class DatesPipeline:
    """Normalize the raw dates of ``Article`` items with :func:`aggregator.dates.normalize_date`.

    :raises aggregator.dates.InvalidTimezone: (from ``from_crawler``) when
        ``SITE_TIMEZONE`` is not an IANA time zone name.
    """

    def __init__(self, stats, timezone=None, languages=None):
        self.stats = stats
        self.timezone = timezone
        self.languages = languages

    @classmethod
    def from_crawler(cls, crawler):
        timezone = crawler.settings.get("SITE_TIMEZONE")
        get_timezone(timezone)  # raises InvalidTimezone: the crawl does not start with a wrong zone
        return cls(crawler.stats, timezone, site_languages(crawler.settings) or None)

    def _page_offset(self, adapter, languages):
        """The UTC offset the page itself gives a date in (the first candidate
        with an explicit offset), for its dates printed without one."""
        for name in ("datePublished", "dateModified"):
            for candidate in adapter.get(f"{name}Candidates") or []:
                value = normalize_date(candidate["raw"], languages=languages)
                if value is not None and value.timezone_source == "value":
                    return offset_of(value)
        return None

    @staticmethod
    def _wall_clock_offset(value, others, languages, fetched_at):
        """For a value given in UTC (``…Z``), the site's own offset when the
        page prints the same instant in local wall time without a zone
        (``<time>2023-11-08 17:49:09</time>`` next to ``2023-11-09T01:49:09Z``):
        the difference, a whole quarter hour within ±14 h. None otherwise."""
        offset = offset_of(value)
        if offset is None or offset.utcoffset(None) != timedelta(0):
            return None
        instant = datetime.fromisoformat(value.utc.replace("Z", "+00:00")).replace(tzinfo=None)
        for other in others:
            wall = normalize_date(other["raw"], languages=languages, fetched_at=fetched_at)
            if wall is None or wall.precision == "day" or wall.timezone_source != "default":
                continue
            seconds = (datetime.fromisoformat(wall.local).replace(tzinfo=None) - instant).total_seconds()
            quarters = round(seconds / 900)
            if quarters and abs(quarters) <= 56 and abs(seconds - quarters * 900) <= 90:
                return dt_timezone(timedelta(seconds=quarters * 900))
        return None

    def process_item(self, item):
        adapter = ItemAdapter(item)
        if "datePublishedRaw" not in adapter.field_names():
            return item
        fetched = adapter.get("dateDownloaded")
        fetched_at = datetime.fromisoformat(fetched.replace("Z", "+00:00")) if fetched else None
        languages = self.languages or language_codes(adapter.get("inLanguage"))
        zone = self.timezone or self._page_offset(adapter, languages)
        for name in ("datePublished", "dateModified"):
            candidates = adapter.get(f"{name}Candidates") or []
            if not candidates and adapter.get(f"{name}Raw"):
                candidates = [{"raw": adapter[f"{name}Raw"], "source": adapter.get(f"{name}RawSource")}]
            if not candidates:
                self.stats.inc_value(f"aggregator/dates/missing/{name}")
                continue
            for candidate in candidates:
                value = normalize_date(candidate["raw"], timezone=zone, languages=languages, fetched_at=fetched_at)
                if value is not None:
                    break
                self.stats.inc_value("aggregator/dates/rejected")
                logger.debug("Unparsed or implausible %s %r on %s", name, candidate["raw"], adapter.get("url"))
            else:
                self.stats.inc_value("aggregator/dates/unparsed")
                continue
            if value.precision == "day":
                # "May 29, 2026" on the page, the same day with its time in a feed or sitemap: take the time.
                for later in candidates[candidates.index(candidate) + 1 :]:
                    timed = normalize_date(later["raw"], timezone=zone, languages=languages, fetched_at=fetched_at)
                    if timed is not None and timed.precision != "day" and timed.local[:10] == value.local[:10]:
                        value, candidate = timed, later
                        self.stats.inc_value("aggregator/dates/time_from_later_candidate")
                        break
            self.stats.inc_value("aggregator/dates/parsed")
            local = value.local
            shift = self._wall_clock_offset(value, candidates[candidates.index(candidate) + 1 :], languages, fetched_at)
            if shift is not None:
                local = datetime.fromisoformat(value.utc.replace("Z", "+00:00")).astimezone(shift).isoformat(timespec="seconds")
                self.stats.inc_value("aggregator/dates/local_from_page")
            source = value.timezone_source
            if source == "site" and not self.timezone:
                source = "page"
            self.stats.inc_value(f"aggregator/dates/timezone_{source}")
            adapter[name] = value.utc
            adapter[f"{name}Raw"] = candidate["raw"]
            adapter[f"{name}RawSource"] = candidate.get("source")
            adapter[f"{name}Local"] = local
            adapter[f"{name}Precision"] = value.precision
            if name == "datePublished":
                adapter["datePublishedTimezoneSource"] = source
        return item
