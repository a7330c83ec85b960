"""Reading-time pipeline: ``readingTimeMinutes``, ``readingTimeSource``, ``wordCount``.

Minutes come from the page's label (``readingTimeRaw``) when it states a
number, else from ``articleBody``: words / ``READING_WPM`` (default 200
words per minute), CJK characters / ``READING_CPM`` (default 500 per
minute), rounded up, at least 1. Stats: ``aggregator/reading_time/label``,
``aggregator/reading_time/computed``, ``aggregator/reading_time/none``.
"""

from __future__ import annotations

from itemadapter import ItemAdapter

from aggregator.reading_time import computed_minutes, minutes_from_label, word_count


class ReadingTimePipeline:
    """Fill the reading-time fields of ``Article`` items."""

    def __init__(self, stats, words_per_minute=200, chars_per_minute=500):
        if words_per_minute <= 0 or chars_per_minute <= 0:
            raise ValueError("READING_WPM and READING_CPM must be positive")
        self.stats = stats
        self.words_per_minute = words_per_minute
        self.chars_per_minute = chars_per_minute

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        return cls(crawler.stats, settings.getint("READING_WPM", 200), settings.getint("READING_CPM", 500))

    def process_item(self, item):
        adapter = ItemAdapter(item)
        if "readingTimeMinutes" not in adapter.field_names():
            return item
        body = adapter.get("articleBody")
        adapter["wordCount"] = word_count(body)
        minutes = minutes_from_label(adapter.get("readingTimeRaw"))
        source = "label"
        if minutes is None:
            minutes = computed_minutes(body, self.words_per_minute, self.chars_per_minute)
            source = "computed"
        if minutes is None:
            self.stats.inc_value("aggregator/reading_time/none")
            return item
        adapter["readingTimeMinutes"] = minutes
        adapter["readingTimeSource"] = source
        self.stats.inc_value(f"aggregator/reading_time/{source}")
        return item
