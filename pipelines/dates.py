"""Dates pipeline: ``datePublished`` / ``dateModified`` in ISO 8601 UTC.

The candidates the page offers (``datePublishedCandidates``, most trusted
first) are tried in order; the first that parses and is plausible (1990 or
later, at most a day after the fetch) wins, and ``datePublishedRaw`` /
``datePublishedRawSource`` are set to it; the same for ``dateModified``.
When the winner is a bare day and a later candidate gives the same local
day with a time (a feed's ``pubDate`` behind a page's "May 29, 2026"), the
later one is taken. Values that write no year ("2 hours ago", "Yesterday")
are tried after those that do. When structured data's ``datePublished``
falls on another day than the date shown under the headline and the
structured ``dateModified`` falls on the shown day, the shown date is the
publication (a shown date labelled "Updated" never is).

Time zone of a value printed without an offset: ``SITE_TIMEZONE`` (IANA
name); else the offset another date on the same page is given in (e.g. the
JSON-LD ``dateModified``); else UTC, flagged ``datePublishedTimezoneSource =
"default"``. A value given in UTC (``…Z``) gets its local day
(``datePublishedLocal``) from the page when it can: the same instant
written with an offset, a wall-clock time, or a day (URL, visible date)
within ten hours of it. Languages: ``SITE_LANGUAGES`` (dateparser codes or locales such
as ``en-GB``, whose day/month order is used); else the page's
``inLanguage``. Relative dates are anchored at the item's ``dateDownloaded``.

Stats: ``aggregator/dates/parsed``, ``aggregator/dates/unparsed`` (no
candidate parsed), ``aggregator/dates/rejected`` (a candidate that did not
parse or was implausible), ``aggregator/dates/missing/<field>``,
``aggregator/dates/timezone_<source>`` (``value``, ``site``, ``page``,
``default``: a time read as UTC because nothing gave its zone, ``none``),
``aggregator/dates/time_from_later_candidate``, ``aggregator/dates/local_from_page``,
``aggregator/dates/published_as_shown``.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from itemadapter import ItemAdapter

from aggregator.config import site_languages
from aggregator.dates import get_timezone, language_codes, names_year, normalize_date, offset_of

logger = logging.getLogger(__name__)

_UPDATE_LABEL = re.compile(r"updated?|modified|aktualisiert|geändert|actualizado|actualisé|mis\s+à\s+jour|aggiornato|bijgewerkt", re.I)
_MAX_OFFSET_HOURS = 10
"""How far from UTC a local day is looked for (from Hawaii to eastern
Australia): a URL date 11 hours off the UTC instant is the day a story was
filed, not the publication's local day."""


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

    @staticmethod
    def _utc_local_day(value, others, languages, fetched_at):
        """For a value given in UTC (``…Z``, ``+00:00``), the offset the site
        itself publishes in, when the page tells it without a local wall time:

        * another candidate gives the same instant with a non-zero offset
          (``2023-11-09T02:11:03Z`` and ``2023-11-08T21:11:03-05:00``): its offset;
        * else a candidate names only a day (the URL's ``/2019/01/01/``, a
          visible "5 November 2021") that is a calendar day this instant has
          within ``_MAX_OFFSET_HOURS`` of UTC, and no candidate names the UTC
          day: the whole-hour offset nearest to UTC that puts the instant on
          that day.

        None otherwise."""
        offset = offset_of(value)
        if offset is None or offset.utcoffset(None) != timedelta(0):
            return None
        instant = datetime.fromisoformat(value.utc.replace("Z", "+00:00"))
        days = []
        for other in others:
            parsed = normalize_date(other["raw"], languages=languages, fetched_at=fetched_at)
            if parsed is None:
                continue
            if parsed.precision == "day":
                days.append(parsed.local)
            elif parsed.utc == value.utc and parsed.timezone_source == "value":
                shift = offset_of(parsed)
                if shift is not None and shift.utcoffset(None) != timedelta(0):
                    return shift
        utc_day = instant.date().isoformat()
        if utc_day in days:
            return None  # the page agrees with the UTC day
        for day in days:
            hours = range(1, _MAX_OFFSET_HOURS + 1) if day > utc_day else range(-1, -_MAX_OFFSET_HOURS - 1, -1)
            for hour in hours:
                if (instant + timedelta(hours=hour)).date().isoformat() == day:
                    return dt_timezone(timedelta(hours=hour))
        return None

    @staticmethod
    def _shown_revision(adapter, value, candidates, zone, languages, fetched_at):
        """The date the article shows under its headline, when structured data
        says otherwise and the structured modification date agrees with it: a
        CMS that stamps ``datePublished`` when the draft was created and
        ``dateModified`` when it went out (a page showing "6 January 2020"
        with ``datePublished`` 3 January and ``dateModified`` 6 January).
        A shown date labelled as an update ("Updated March 14") is never
        taken. :returns: ``(value, candidate)`` or None."""
        if candidates[0].get("source") == "text":
            return None
        shown = next((c for c in candidates if c.get("source") == "text"), None)
        if shown is None or _UPDATE_LABEL.search(shown["raw"]):
            return None
        revised_days = set()
        for modified in adapter.get("dateModifiedCandidates") or []:
            if modified.get("source") != "text":
                revised = normalize_date(modified["raw"], timezone=zone, languages=languages, fetched_at=fetched_at)
                if revised is not None and revised.local[:10] != value.local[:10]:
                    revised_days.add(revised.local[:10])
        if not revised_days:
            return None  # (the common case, decided without reading the shown date)
        parsed = normalize_date(shown["raw"], timezone=zone, languages=languages, fetched_at=fetched_at)
        if parsed is None or parsed.local[:10] not in revised_days:
            return None
        offset = offset_of(value)
        if offset is not None and offset.utcoffset(None) == timedelta(0) and value.timezone_source == "value":
            # A UTC instant falls on the shown day somewhere near: the same date.
            instant = datetime.fromisoformat(value.utc.replace("Z", "+00:00"))
            near = {(instant + timedelta(hours=h)).date().isoformat() for h in (-_MAX_OFFSET_HOURS, _MAX_OFFSET_HOURS)}
            if parsed.local[:10] in near:
                return None
        return parsed, shown

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
            # "2 hours ago" is true of the page when it was rendered, which a
            # cache or a late crawl puts before the fetch: a written year first.
            candidates = [c for c in candidates if names_year(c["raw"])] + [
                c for c in candidates if not names_year(c["raw"])
            ]
            for candidate in candidates:
                value = normalize_date(candidate["raw"], timezone=zone, languages=languages, fetched_at=fetched_at)
                if value is not None:
                    break
                self.stats.inc_value("aggregator/dates/rejected")
                logger.debug("Unparsed or implausible %s %r on %s", name, candidate["raw"], adapter.get("url"))
            else:
                self.stats.inc_value("aggregator/dates/unparsed")
                continue
            if name == "datePublished":
                shown = self._shown_revision(adapter, value, candidates, zone, languages, fetched_at)
                if shown is not None:
                    value, candidate = shown
                    self.stats.inc_value("aggregator/dates/published_as_shown")
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
            if shift is None and not self.timezone:
                shift = self._utc_local_day(value, candidates[candidates.index(candidate) + 1 :], languages, fetched_at)
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
