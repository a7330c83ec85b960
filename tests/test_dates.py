"""Date normalization: the shared field cases, and our own."""

from __future__ import annotations

from datetime import datetime

import pytest

from aggregator.dates import InvalidTimezone, names_year, normalize_date
from aggregator.extraction import extract_article

from conftest import load_cases

CASES = [c for c in load_cases("dates") if isinstance(c["input"], str)]
HTML_CASES = [c for c in load_cases("dates") if not isinstance(c["input"], str)]


def _context(case):
    context = case["context"]
    fetched = context.get("crawl_time")
    lang = context.get("page_language")
    return {
        "timezone": context.get("site_timezone"),
        "languages": [lang.split("-")[0]] if lang else None,
        "fetched_at": datetime.fromisoformat(fetched) if fetched else None,
    }


def _check(value, expected, key):
    assert value is not None
    if key in expected:
        assert datetime.fromisoformat(value.local) == datetime.fromisoformat(expected[key])
        assert value.local == datetime.fromisoformat(expected[key]).isoformat()
    if f"{key}_utc" in expected:
        assert value.utc == datetime.fromisoformat(expected[f"{key}_utc"]).strftime("%Y-%m-%dT%H:%M:%SZ")
    if f"{key}_date" in expected:
        assert value.utc == expected[f"{key}_date"]
        assert value.precision == expected["precision"]


@pytest.mark.skipif(not CASES, reason="shared/cases not found")
@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_shared_string_case(case):
    raw = case["input"]
    if raw.lstrip().startswith("<") and "modified" in case["expected"]:
        # A snippet of an article page: extraction separates published from modified.
        page = f"<html><body><article><h1>A headline</h1>{raw}</article></body></html>"
        fields = extract_article("https://news.example.org/a/", page.encode()).fields
        _check(normalize_date(fields.get("dateModifiedRaw"), **_context(case)), case["expected"], "modified")
        raw = fields.get("datePublishedRaw")
    _check(normalize_date(raw, **_context(case)), case["expected"], "published")


@pytest.mark.parametrize(
    "raw, kwargs, utc, local, precision",
    [
        ("2025-02-19T10:30:00+08:00", {}, "2025-02-19T02:30:00Z", "2025-02-19T10:30:00+08:00", "second"),
        ("2025-02-19T10:30Z", {}, "2025-02-19T10:30:00Z", "2025-02-19T10:30:00+00:00", "minute"),
        ("2025-02-19 10:30", {"timezone": "Asia/Singapore"}, "2025-02-19T02:30:00Z", "2025-02-19T10:30:00+08:00", "minute"),
        ("2025-02-19", {"timezone": "Asia/Singapore"}, "2025-02-19", "2025-02-19", "day"),
        ("1739932200", {}, "2025-02-19T02:30:00Z", "2025-02-19T02:30:00+00:00", "second"),
        ("February 19, 2025 10:30 am", {"timezone": "Asia/Singapore", "languages": ["en"]}, "2025-02-19T02:30:00Z", "2025-02-19T10:30:00+08:00", "minute"),
        ("2 hours ago", {"fetched_at": datetime.fromisoformat("2025-03-10T12:00:00+00:00")}, "2025-03-10T10:00:00Z", "2025-03-10T10:00:00+00:00", "minute"),
        ("Fri Apr 28 19:20:36 CEST 2023", {"languages": ["de"]}, "2023-04-28T17:20:36Z", "2023-04-28T19:20:36+02:00", "second"),
        ("20200924T15:04:34Z", {}, "2020-09-24T15:04:34Z", "2020-09-24T15:04:34+00:00", "second"),
        # Summer time in Berlin is UTC+2.
        ("14. Juli 2024, 18:05", {"timezone": "Europe/Berlin", "languages": ["de"]}, "2024-07-14T16:05:00Z", "2024-07-14T18:05:00+02:00", "minute"),
    ],
)
def test_normalize(raw, kwargs, utc, local, precision):
    value = normalize_date(raw, **kwargs)
    assert (value.utc, value.local, value.precision) == (utc, local, precision)


def test_no_zone_falls_back_to_utc_and_says_so():
    value = normalize_date("2025-02-19 10:30")
    assert value.utc == "2025-02-19T10:30:00Z"
    assert value.timezone_source == "default"


@pytest.mark.parametrize("raw", ["", "   ", None, "no date here", "31/31/2025", "1970-01-01", "1850-05-05"])
def test_unparsable_or_implausible_is_none(raw):
    assert normalize_date(raw, languages=["en"]) is None


def test_date_after_fetch_time_is_rejected():
    fetched = datetime.fromisoformat("2025-05-19T12:00:00+00:00")
    assert normalize_date("2025-05-21T12:00:00Z", fetched_at=fetched) is None
    assert normalize_date("2025-05-20T06:00:00Z", fetched_at=fetched).utc == "2025-05-20T06:00:00Z"


def test_unknown_time_zone_is_a_clear_error():
    with pytest.raises(InvalidTimezone, match="IANA"):
        normalize_date("2025-02-19 10:30", timezone="Mars/Olympus")


@pytest.mark.skipif(not HTML_CASES, reason="shared/cases not found")
@pytest.mark.parametrize("case", [c for c in HTML_CASES if isinstance(c["input"], dict)], ids=lambda c: c["id"])
def test_shared_page_case(case):
    """Cases whose input is a page: extraction picks the candidate, the dates module normalizes it."""
    page = f"<html><head>{case['input']['html']}</head><body><h1>A headline</h1></body></html>"
    result = extract_article(case["input"]["url"], page.encode(), {"Content-Type": "text/html; charset=utf-8"})
    value = normalize_date(result.fields.get("datePublishedRaw"), **_context(case))
    _check(value, case["expected"], "published")
    assert value.utc[:10] != case["expected"].get("must_not_be")


def test_iso_values_never_call_dateparser(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("dateparser called for an ISO 8601 value")

    monkeypatch.setattr("dateparser.date.DateDataParser", refuse)
    for raw in ("2025-02-19T10:30:00+08:00", "2025-02-19", "2025-02-19 10:30", "1739932200"):
        assert normalize_date(raw, timezone="Asia/Singapore") is not None


@pytest.mark.parametrize(
    "raw, utc, precision",
    [
        ("Written: 2025-03-04 15:03:30 /", "2025-03-04T15:03:30Z", "second"),
        ("By Example Desk 4. 3. 2025.", "2025-03-04", "day"),
        ("Jane Roe4 Mar 2025", "2025-03-04", "day"),
        ('{"publishedDate":"2025-03-04T20:37:27Z","updatedDate":null}', "2025-03-04T20:37:27Z", "second"),
    ],
)
def test_date_inside_a_longer_text(raw, utc, precision):
    value = normalize_date(raw, languages=["en"])
    assert (value.utc, value.precision) == (utc, precision)


@pytest.mark.parametrize(
    "raw, expected",
    [("2025-03-04", True), ("4 March 2025", True), ("04.03.25", True), ("1739932200", True),
     ("2 hours ago", False), ("vor 4 Stunden", False), ("Yesterday 10:00", False), ("4 March", False), (None, False)],
)
def test_names_year(raw, expected):
    assert names_year(raw) is expected
