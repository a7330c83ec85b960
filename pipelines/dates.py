"""Dates pipeline: ``datePublished`` / ``dateModified`` in ISO 8601 UTC.

Reads ``SITE_TIMEZONE`` (IANA name, for values without an offset) and
``SITE_LANGUAGES`` (dateparser codes; else the page's ``inLanguage``).
Relative dates are anchored at the item's ``dateDownloaded``. Raw values are
kept. Stats: ``aggregator/dates/parsed``, ``aggregator/dates/unparsed``,
``aggregator/dates/missing``, ``aggregator/dates/timezone_default`` (a time
without offset read as UTC because no site time zone is set).
"""

from __future__ import annotations

import logging
from datetime import datetime

from itemadapter import ItemAdapter

from aggregator.dates import get_timezone, language_codes, normalize_date

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
        return cls(crawler.stats, timezone, crawler.settings.getlist("SITE_LANGUAGES") or None)

    def process_item(self, item):
        adapter = ItemAdapter(item)
        if "datePublishedRaw" not in adapter.field_names():
            return item
        fetched = adapter.get("dateDownloaded")
        fetched_at = datetime.fromisoformat(fetched.replace("Z", "+00:00")) if fetched else None
        languages = self.languages or language_codes(adapter.get("inLanguage"))
        for raw_field, field, local_field, precision_field in (
            ("datePublishedRaw", "datePublished", "datePublishedLocal", "datePublishedPrecision"),
            ("dateModifiedRaw", "dateModified", None, None),
        ):
            raw = adapter.get(raw_field)
            if not raw:
                self.stats.inc_value(f"aggregator/dates/missing/{field}")
                continue
            value = normalize_date(raw, timezone=self.timezone, languages=languages, fetched_at=fetched_at)
            if value is None:
                self.stats.inc_value("aggregator/dates/unparsed")
                logger.debug("Unparsed %s %r on %s", raw_field, raw, adapter.get("url"))
                continue
            self.stats.inc_value("aggregator/dates/parsed")
            if value.timezone_source == "default":
                self.stats.inc_value("aggregator/dates/timezone_default")
            adapter[field] = value.utc
            if local_field:
                adapter[local_field] = value.local
                adapter[precision_field] = value.precision
        return item
