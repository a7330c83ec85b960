"""Each pipeline on its own, built the way Scrapy builds it."""

from __future__ import annotations

import json

import pytest
from scrapy.utils.test import get_crawler

from aggregator.archive import open_archive
from aggregator.dates import InvalidTimezone
from aggregator.items import Article, Section
from pipelines.archive import ArchivePipeline
from pipelines.dates import DatesPipeline
from pipelines.reading_time import ReadingTimePipeline
from pipelines.sections import SectionsPipeline
from pipelines.urls import CanonicalUrlPipeline

URL = "https://news.example.com/2025/02/19/summit-ends/"


def build(cls, **settings):
    crawler = get_crawler(settings_dict=settings)
    crawler.stats.open_spider()
    return (cls.from_crawler(crawler) if hasattr(cls, "from_crawler") else cls()), crawler.stats


def article(**fields):
    return Article(url=URL, site="news.example.com", dateDownloaded="2025-05-19T12:00:00Z", **fields)


def test_dates_with_site_zone_and_raw_kept():
    pipeline, stats = build(DatesPipeline, SITE_TIMEZONE="Asia/Singapore")
    item = pipeline.process_item(article(datePublishedRaw="February 19, 2025 10:30 am", dateModifiedRaw="2025-02-20T01:00:00Z", inLanguage="en-US"))
    assert (item.datePublished, item.datePublishedLocal, item.datePublishedPrecision) == (
        "2025-02-19T02:30:00Z", "2025-02-19T10:30:00+08:00", "minute")
    assert item.datePublishedRaw == "February 19, 2025 10:30 am"
    assert item.dateModified == "2025-02-20T01:00:00Z"
    assert stats.get_value("aggregator/dates/parsed") == 2


def test_dates_relative_to_fetch_time():
    pipeline, _ = build(DatesPipeline)
    item = pipeline.process_item(article(datePublishedRaw="2 hours ago", inLanguage="en"))
    assert item.datePublished == "2025-05-19T10:00:00Z"


def test_unparsable_date_is_null_and_counted():
    pipeline, stats = build(DatesPipeline)
    item = pipeline.process_item(article(datePublishedRaw="sometime soon"))
    assert item.datePublished is None and item.datePublishedRaw == "sometime soon"
    assert stats.get_value("aggregator/dates/unparsed") == 1


def test_wrong_site_time_zone_stops_the_crawl_clearly():
    with pytest.raises(InvalidTimezone, match="Mars/Olympus"):
        build(DatesPipeline, SITE_TIMEZONE="Mars/Olympus")


def test_reading_time_label_then_computed():
    pipeline, stats = build(ReadingTimePipeline, READING_WPM=100)
    labelled = pipeline.process_item(article(readingTimeRaw="Reading Time: 6 mins read", articleBody="word " * 250))
    assert (labelled.readingTimeMinutes, labelled.readingTimeSource, labelled.wordCount) == (6, "label", 250)
    computed = pipeline.process_item(article(articleBody="word " * 250))
    assert (computed.readingTimeMinutes, computed.readingTimeSource) == (3, "computed")
    empty = pipeline.process_item(article())
    assert empty.readingTimeMinutes is None and stats.get_value("aggregator/reading_time/none") == 1


def test_sections_from_taxonomy_items():
    pipeline, stats = build(SectionsPipeline)
    pipeline.process_item(Section(site="news.example.com", path=["World News"], url="https://news.example.com/c/world/"))
    pipeline.process_item(Section(site="news.example.com", path=["World News", "Asia"], url="https://news.example.com/c/world/asia/"))
    item = pipeline.process_item(article(breadcrumbs=[{"name": "Asia", "url": None}], articleSection=["Asia", "Opinion"]))
    assert (item.section, item.sectionSource) == (["World News", "Asia"], "breadcrumbs")
    assert item.sections == [["World News", "Asia"], ["Opinion"]]
    unknown = pipeline.process_item(article(articleSection=["Weather"]))
    assert unknown.section == ["Weather"] and stats.get_value("aggregator/sections/unmatched") == 1
    assert stats.get_value("aggregator/sections/unmatched_names") == 2


def test_section_aliases_setting_from_the_command_line():
    pipeline, _ = build(SectionsPipeline, SECTION_ALIASES='{"Intl": "World News"}')
    pipeline.process_item(Section(site="news.example.com", path=["World News"], url="https://news.example.com/c/world/"))
    item = pipeline.process_item(article(articleSection=["Intl"]))
    assert (item.section, item.sectionSource) == (["World News"], "declared")


def test_canonical_url_pipeline():
    pipeline, _ = build(CanonicalUrlPipeline)
    assert pipeline.process_item(article(canonicalUrl=URL + "?utm_source=x#top")).canonicalUrl == URL
    assert pipeline.process_item(article()).canonicalUrl == URL


def test_archive_pipeline_batches_and_flushes_on_close(tmp_path):
    path = tmp_path / "sub" / "news.sqlite"
    pipeline, stats = build(ArchivePipeline, ARCHIVE_PATH=str(path), ARCHIVE_BATCH_SIZE=2)
    pipeline.open_spider()
    for path_ in (["World News"], ["About us"], ["Not visited"]):
        pipeline.process_item(Section(site="news.example.com", path=path_, url="u"))  # the home page's menu
    pipeline.process_item(Section(site="news.example.com", path=["World News"], url="u", isListing=True))
    pipeline.process_item(Section(site="news.example.com", path=["About us"], url="u", isListing=False))
    sections = open_archive(path, create=False)["sections"]
    sections.insert_all([{"site": "news.example.com", "path": p, "in_menu": 1} for p in ("Old", "About us", "Not visited")])
    for n in range(3):
        pipeline.process_item(article(canonicalUrl=f"{URL}{n}/", headline=f"Story {n}", authors=["A"]))
    reader = open_archive(path, create=False)
    assert reader["articles"].count == 2  # one batch written, one item pending
    pipeline.close_spider()
    assert reader["articles"].count == 3
    # Gone from the menu, or no longer a listing: kept, marked; in the menu but not visited: untouched.
    assert {r["path"]: r["in_menu"] for r in reader.query("SELECT * FROM sections")} == {
        "World News": 1, "Old": 0, "About us": 0, "Not visited": 1}
    assert stats.get_value("aggregator/archive/articles_written") == 3


def test_archive_pipeline_keeps_a_refused_batch(tmp_path):
    path = tmp_path / "news.sqlite"
    pipeline, stats = build(ArchivePipeline, ARCHIVE_PATH=str(path), ARCHIVE_BATCH_SIZE=1)
    pipeline.open_spider()
    pipeline.db.execute("CREATE TRIGGER refuse BEFORE INSERT ON articles BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
    pipeline.process_item(article(headline="Kept"))
    assert stats.get_value("aggregator/archive/write_errors") == 1 and len(pipeline.pending) == 1
    pipeline.close_spider()
    (saved,) = tmp_path.glob("news.sqlite.unwritten-*.jsonl")
    assert json.loads(saved.read_text())["headline"] == "Kept"
    assert stats.get_value("aggregator/archive/unwritten") == 1


def test_page_offset_used_for_dates_printed_without_one():
    pipeline, stats = build(DatesPipeline)
    item = pipeline.process_item(article(
        datePublishedCandidates=[{"raw": "February 19, 2025 10:30 am", "source": "text"}],
        dateModifiedCandidates=[{"raw": "2025-02-20T09:00:00+08:00", "source": "json-ld"}],
        inLanguage="en",
    ))
    assert (item.datePublished, item.datePublishedTimezoneSource) == ("2025-02-19T02:30:00Z", "page")
    assert (item.dateModifiedLocal, item.dateModifiedPrecision, item.dateModifiedRawSource) == (
        "2025-02-20T09:00:00+08:00", "second", "json-ld")


def test_no_zone_anywhere_is_flagged_default():
    pipeline, stats = build(DatesPipeline)
    item = pipeline.process_item(article(datePublishedRaw="February 19, 2025 10:30 am", inLanguage="en"))
    assert (item.datePublished, item.datePublishedTimezoneSource) == ("2025-02-19T10:30:00Z", "default")
    assert stats.get_value("aggregator/dates/timezone_default") == 1


@pytest.mark.parametrize("lang, expected", [("en-GB", "2025-04-03"), ("en-US", "2025-03-04"), ("de-DE", "2025-04-03")])
def test_day_month_order_follows_the_locale(lang, expected):
    pipeline, _ = build(DatesPipeline)
    assert pipeline.process_item(article(datePublishedRaw="03/04/2025", inLanguage=lang)).datePublished == expected


def test_site_languages_setting_wins_over_the_page():
    pipeline, _ = build(DatesPipeline, SITE_LANGUAGES="en-GB")
    assert pipeline.process_item(article(datePublishedRaw="03/04/2025", inLanguage="en-US")).datePublished == "2025-04-03"


def test_a_bad_first_candidate_falls_back_to_the_next():
    pipeline, stats = build(DatesPipeline)
    item = pipeline.process_item(article(datePublishedCandidates=[
        {"raw": "2031-01-01T00:00:00Z", "source": "json-ld"},  # after the fetch: rejected
        {"raw": "31/31/2025", "source": "time"},  # no such day: rejected (a value naming no year would go last)
        {"raw": "2025-02-19", "source": "url"},
    ]))
    assert (item.datePublished, item.datePublishedRaw, item.datePublishedRawSource) == ("2025-02-19", "2025-02-19", "url")
    assert stats.get_value("aggregator/dates/rejected") == 2


def test_unwritten_articles_go_to_the_temporary_folder_when_beside_fails(tmp_path, monkeypatch):
    pipeline, stats = build(ArchivePipeline, ARCHIVE_PATH=str(tmp_path / "news.sqlite"), ARCHIVE_BATCH_SIZE=5)
    pipeline.open_spider()
    pipeline.db.execute("CREATE TRIGGER refuse BEFORE INSERT ON articles BEGIN SELECT RAISE(ABORT, 'disk is full'); END")
    pipeline.process_item(article(headline="Kept"))
    pipeline.path = tmp_path / "gone" / "news.sqlite"  # its folder cannot be written to
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr("tempfile.gettempdir", lambda: str(tmp_path / "tmp"))
    pipeline.close_spider()
    (saved,) = (tmp_path / "tmp").glob("news.sqlite.unwritten-*.jsonl")
    assert json.loads(saved.read_text())["headline"] == "Kept"
    assert stats.get_value("aggregator/archive/unwritten") == 1
    pipeline.spider_closed(None, "finished")
    run = next(open_archive(tmp_path / "news.sqlite", create=False).query("SELECT * FROM crawl_runs"))
    assert (run["status"], run["finish_reason"], run["dropped"], run["errors"]) == ("failed", "archive_write_failed", 1, 1)


def test_a_refused_write_waits_before_the_next_try(tmp_path):
    pipeline, stats = build(ArchivePipeline, ARCHIVE_PATH=str(tmp_path / "news.sqlite"), ARCHIVE_BATCH_SIZE=1)
    pipeline.open_spider()
    pipeline.db.execute("CREATE TRIGGER refuse BEFORE INSERT ON articles BEGIN SELECT RAISE(ABORT, 'locked'); END")
    for n in range(3):
        pipeline.process_item(article(canonicalUrl=f"{URL}{n}/", headline=f"Story {n}"))
    assert stats.get_value("aggregator/archive/write_errors") == 1  # not one blocked try per item
    pipeline.db.execute("DROP TRIGGER refuse")
    pipeline.close_spider()  # the final flush always tries
    assert stats.get_value("aggregator/archive/articles_written") == 3


def test_a_later_candidate_gives_its_time_to_a_bare_day():
    pipeline, stats = build(DatesPipeline, SITE_TIMEZONE="Asia/Singapore")
    item = pipeline.process_item(article(datePublishedCandidates=[
        {"raw": "February 19, 2025", "source": "text"},
        {"raw": "Wed, 19 Feb 2025 02:30:00 +0000", "source": "feed"},  # 10:30 in Singapore: the same day
    ]))
    assert (item.datePublished, item.datePublishedPrecision, item.datePublishedRawSource) == ("2025-02-19T02:30:00Z", "second", "feed")
    assert stats.get_value("aggregator/dates/time_from_later_candidate") == 1
    # Another day is not the same date: the page's own day stays.
    item = pipeline.process_item(article(datePublishedCandidates=[
        {"raw": "February 19, 2025", "source": "text"},
        {"raw": "Thu, 20 Feb 2025 02:30:00 +0000", "source": "feed"},
    ]))
    assert (item.datePublished, item.datePublishedPrecision) == ("2025-02-19", "day")


def test_a_written_year_goes_before_a_relative_date():
    # "26 minutes ago" was true when the page was rendered, not when a cache served it.
    pipeline, _ = build(DatesPipeline)
    item = pipeline.process_item(article(inLanguage="en", datePublishedCandidates=[
        {"raw": "26 minutes ago", "source": "text"},
        {"raw": "2025-03-04", "source": "htmldate"},
    ]))
    assert (item.datePublished, item.datePublishedRawSource) == ("2025-03-04", "htmldate")


def test_url_day_decides_the_local_day_of_a_utc_value():
    pipeline, stats = build(DatesPipeline)
    item = pipeline.process_item(article(datePublishedCandidates=[
        {"raw": "2025-03-05T01:49:09Z", "source": "json-ld"},
        {"raw": "2025-03-04", "source": "url"},
    ]))
    assert item.datePublished == "2025-03-05T01:49:09Z"  # the instant is kept
    assert item.datePublishedLocal == "2025-03-04T23:49:09-02:00"  # the nearest offset that gives the URL's day
    assert stats.get_value("aggregator/dates/local_from_page") == 1


def test_visible_day_decides_the_local_day_of_a_utc_value():
    pipeline, _ = build(DatesPipeline)
    item = pipeline.process_item(article(inLanguage="de", datePublishedCandidates=[
        {"raw": "2025-03-04T23:00Z", "source": "meta"},
        {"raw": "5. März 2025", "source": "text"},
    ]))
    assert item.datePublishedLocal == "2025-03-05T00:00:00+01:00"


def test_a_day_too_far_from_the_utc_instant_does_not_move_it():
    # 10:04 UTC is on the URL's previous day only 11 hours west: the day a story was filed.
    pipeline, _ = build(DatesPipeline)
    item = pipeline.process_item(article(datePublishedCandidates=[
        {"raw": "2025-03-05T10:04:04Z", "source": "json-ld"},
        {"raw": "2025-03-04", "source": "url"},
    ]))
    assert item.datePublishedLocal == "2025-03-05T10:04:04+00:00"


def test_a_page_naming_the_utc_day_keeps_it():
    # A header's "today" (the 6th) does not move a value the URL confirms.
    pipeline, _ = build(DatesPipeline)
    item = pipeline.process_item(article(inLanguage="en", datePublishedCandidates=[
        {"raw": "2025-03-05T15:27:17+00:00", "source": "json-ld"},
        {"raw": "Thursday, March 6, 2025", "source": "text"},
        {"raw": "2025-03-05", "source": "url"},
    ]))
    assert item.datePublishedLocal == "2025-03-05T15:27:17+00:00"


def test_same_instant_with_an_offset_gives_the_local_time():
    pipeline, _ = build(DatesPipeline)
    item = pipeline.process_item(article(datePublishedCandidates=[
        {"raw": "2025-03-05T02:11:03+00:00", "source": "json-ld"},
        {"raw": "2025-03-04T21:11:03-05:00", "source": "microdata"},
    ]))
    assert (item.datePublished, item.datePublishedLocal) == ("2025-03-05T02:11:03Z", "2025-03-04T21:11:03-05:00")


def test_site_time_zone_is_not_second_guessed():
    pipeline, _ = build(DatesPipeline, SITE_TIMEZONE="UTC")
    item = pipeline.process_item(article(datePublishedCandidates=[
        {"raw": "2025-03-05T01:49:09Z", "source": "json-ld"},
        {"raw": "2025-03-04", "source": "url"},
    ]))
    assert item.datePublishedLocal == "2025-03-05T01:49:09+00:00"


def shown_item(shown: str, modified: str = "2025-03-05T10:00:00+01:00"):
    return article(inLanguage="en", datePublishedCandidates=[
        {"raw": "2025-03-01T09:00:00+01:00", "source": "json-ld"},
        {"raw": shown, "source": "text"},
    ], dateModifiedCandidates=[{"raw": modified, "source": "json-ld"}])


def test_shown_date_that_the_modification_confirms_is_the_publication():
    # A CMS that stamped datePublished at the draft and dateModified when it went out.
    pipeline, stats = build(DatesPipeline)
    item = pipeline.process_item(shown_item("Wednesday, 5 March 2025"))
    assert (item.datePublished, item.datePublishedRawSource) == ("2025-03-05", "text")
    assert item.dateModified == "2025-03-05T09:00:00Z"
    assert stats.get_value("aggregator/dates/published_as_shown") == 1


@pytest.mark.parametrize("shown, modified", [
    ("Updated 5 March 2025", "2025-03-05T10:00:00+01:00"),  # labelled as an update
    ("Wednesday, 5 March 2025", "2025-03-07T10:00:00+01:00"),  # the modification says another day
])
def test_shown_date_without_that_confirmation_does_not_win(shown, modified):
    pipeline, _ = build(DatesPipeline)
    item = pipeline.process_item(shown_item(shown, modified))
    assert (item.datePublished, item.datePublishedRawSource) == ("2025-03-01T08:00:00Z", "json-ld")
