"""Date normalization: a raw date string from a page to ISO 8601 UTC.

``normalize_date(raw, timezone=..., languages=..., fetched_at=...)`` returns a
:class:`NormalizedDate` or None. ISO 8601 strings and Unix timestamps take a
fast path; everything else goes through dateparser with the site's languages
(dateparser with no ``languages`` tries all of them and is far slower),
relative dates ("2 hours ago", "Yesterday") anchored at the fetch time in the
site's time zone; a text that does not parse as a whole gives the first date
written inside it ("Written: 2023-11-07 15:03:30 /").

Time zone, in order: an offset or zone name in the value; else the site's
time zone (IANA name); else UTC, reported as ``timezone_source="default"``.

This module imports nothing from Scrapy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone as dt_timezone, tzinfo
from typing import Optional, Sequence, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dateparser
from dateparser.data import languages_info
from w3lib.html import remove_tags

EARLIEST_YEAR = 1990
"""Dates before this year are not publication dates of web news."""

_ISO = re.compile(
    r"^\s*(\d{4})-?(\d{2})-?(\d{2})"
    r"(?:[T ](\d{2}):?(\d{2})(?::?(\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?\s*$",
    re.I,
)
_BARE_TIME = re.compile(r"^\s*\d{1,2}[:.h]\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?\s*(?:[A-Z]{2,5}|[+-]\d{2}:?\d{2})?\s*$", re.I)
_DOTTED = re.compile(r"\b\d{1,2}\.\s?\d{1,2}\.\s?\d{2,4}\b")
_CLOCK = r"(?:,?\s*(?:at\s+|um\s+|-\s+)?\d{1,2}[:.h]\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?)?"
_EMBEDDED = re.compile(
    r"(?<!\d)(?:\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    rf"|\d{{1,2}}\.\s?\d{{1,2}}\.\s?\d{{4}}{_CLOCK}"
    rf"|\d{{1,2}}\.?\s+[^\W\d_]{{3,}}\.?\s+\d{{4}}{_CLOCK}"
    rf"|[^\W\d_]{{3,}}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}{_CLOCK})(?!\d)",
    re.I,
)
_TIMESTAMP = re.compile(r"^\s*(\d{10})(\d{3})?\s*$")
_HAS_SECONDS = re.compile(r"\d:\d\d:\d\d")
_TRAILING_ABBREVIATION = re.compile(r"\s(?!AM\b|PM\b)([A-Z]{2,5})\s*$")


_NAMES_YEAR = re.compile(r"\d{4}|\d{1,2}\s*[./-]\s*\d{1,2}\s*[./-]\s*\d{2}")


def names_year(raw: Optional[str]) -> bool:
    """True when a raw date writes its year (``2023-11-08``, ``8 Nov 2023``,
    ``08.11.23``, a Unix timestamp); False for values read against the fetch
    time: ``2 hours ago``, ``vor 4 Stunden``, ``Yesterday 10:00``, ``8 Nov``."""
    return bool(raw and _NAMES_YEAR.search(raw))


class InvalidTimezone(ValueError):
    """The configured site time zone is not an IANA time zone name."""


@dataclass(frozen=True)
class NormalizedDate:
    """One normalized date.

    ``utc``: ISO 8601 in UTC with ``Z`` (``2025-02-19T02:30:00Z``), or the
    bare date (``2025-02-19``) when ``precision`` is ``day``.
    ``local``: the same instant with the offset it was given in (or the
    site's), or the bare date. ``precision``: ``day``, ``minute`` or
    ``second``. ``timezone_source``: ``value`` (offset in the raw string),
    ``site`` (the ``timezone`` passed: the site's, or the page's), ``default``
    (UTC assumed) or ``none`` (a day needs no zone).
    """

    utc: str
    local: str
    precision: str
    timezone_source: str


def get_timezone(name: Union[str, tzinfo, None]):
    """The ``tzinfo`` of an IANA name (a ``tzinfo`` is returned as is), or
    None for no name.

    :raises InvalidTimezone: for an unknown name.
    """
    if not name or isinstance(name, tzinfo):
        return name or None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidTimezone(f"unknown time zone {name!r}: use an IANA name such as 'Europe/Berlin'") from exc


def language_codes(value: Optional[str]) -> Optional[list[str]]:
    """dateparser languages or locales from a BCP 47 tag: ``en-GB`` →
    ``["en-GB"]`` (a locale: day/month order follows it), ``de`` → ``["de"]``."""
    if not value:
        return None
    parts = value.strip().replace("_", "-").split("-")
    code = parts[0].lower()
    if not (code.isalpha() and 2 <= len(code) <= 3):
        return None
    if len(parts) > 1 and parts[1].isalpha() and len(parts[1]) == 2:
        return [f"{code}-{parts[1].upper()}"]
    return [code]


def unknown_languages(codes) -> list[str]:
    """The codes in ``codes`` that dateparser knows neither as a language
    (``de``) nor as a locale (``en-GB``)."""
    unknown = []
    for code in codes or ():
        language = code.split("-")[0]
        known = language in languages_info.language_order and (
            "-" not in code or code in languages_info.language_locale_dict.get(language, ())
        )
        if not known:
            unknown.append(code)
    return unknown


def offset_of(value: "NormalizedDate") -> Optional[tzinfo]:
    """The fixed UTC offset a normalized date was given in, or None for a day."""
    if value.precision == "day":
        return None
    return datetime.fromisoformat(value.local).tzinfo


def _format(moment: datetime, precision: str) -> tuple[str, str]:
    fmt = "%Y-%m-%dT%H:%M:%S"
    utc = moment.astimezone(dt_timezone.utc).strftime(fmt) + "Z"
    return utc, moment.isoformat(timespec="seconds")


def _plausible(moment: date, fetched_at: Optional[datetime]) -> bool:
    if moment.year < EARLIEST_YEAR:
        return False
    if fetched_at is not None:
        limit = fetched_at + timedelta(days=1)
        value = moment if isinstance(moment, datetime) else datetime(moment.year, moment.month, moment.day, tzinfo=dt_timezone.utc)
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt_timezone.utc)
        if value > limit:
            return False
    return True


def normalize_date(
    raw: Optional[str],
    *,
    timezone: Optional[str] = None,
    languages: Optional[Sequence[str]] = None,
    fetched_at: Optional[datetime] = None,
) -> Optional[NormalizedDate]:
    """Normalize one raw date.

    :param raw: the value as found on the page, e.g. ``"February 19, 2025"``,
        ``"2025-02-19T10:30:00+08:00"``, ``"2 hours ago"``, ``"1739932200"``.
    :param timezone: the site's IANA time zone (or a ``tzinfo``), for values
        without an offset.
    :param languages: dateparser language codes or locales, e.g. ``["de"]``,
        ``["en-GB"]`` (a locale sets the day/month order: ``03/04/2025`` is
        3 April in ``en-GB``, 4 March in ``en-US``).
    :param fetched_at: aware datetime of the fetch: the anchor of relative
        dates and the upper bound (one day later) of plausible dates.
    :returns: a :class:`NormalizedDate`, or None when the value cannot be
        parsed or is implausible (before 1990, or more than a day after the
        fetch).
    :raises InvalidTimezone: when ``timezone`` is not an IANA name.
    """
    if not raw or not raw.strip():
        return None
    if "<" in raw:
        raw = remove_tags(raw)
    zone = get_timezone(timezone)
    result = _fast_path(raw, zone)
    if result is None:
        result = _dateparser_path(raw, zone, languages, fetched_at)
    if result is None:
        result = _embedded_date(raw, zone, languages, fetched_at)
    if result is None:
        return None
    moment, precision, source = result
    if not _plausible(moment, fetched_at):
        return None
    if precision == "day":
        day = moment.date().isoformat() if isinstance(moment, datetime) else moment.isoformat()
        return NormalizedDate(day, day, "day", "none")
    utc, local = _format(moment, precision)
    return NormalizedDate(utc, local, precision, source)


def _localize(naive: datetime, zone) -> tuple[datetime, str]:
    if zone is not None:
        return naive.replace(tzinfo=zone), "site"
    return naive.replace(tzinfo=dt_timezone.utc), "default"


def _fast_path(raw: str, zone) -> Optional[tuple[date, str, str]]:
    match = _TIMESTAMP.match(raw)
    if match:
        moment = datetime.fromtimestamp(int(match.group(1)), tz=dt_timezone.utc)
        return moment, "second", "value"
    match = _ISO.match(raw)
    if not match:
        return None
    year, month, day, hour, minute, second, offset = match.groups()
    try:
        if hour is None:
            return date(int(year), int(month), int(day)), "day", "none"
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
    except ValueError:
        return None
    precision = "second" if second is not None else "minute"
    if offset:
        if offset.upper() == "Z":
            tz = dt_timezone.utc
        else:
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            tz = dt_timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0)))
        return moment.replace(tzinfo=tz), precision, "value"
    moment, source = _localize(moment, zone)
    return moment, precision, source


def _embedded_date(raw, zone, languages, fetched_at) -> Optional[tuple[date, str, str]]:
    """The first date written inside a longer text that does not parse as a
    whole: "Written: 2023-11-07 15:03:30 /", "By Jane Doe 4. 2. 2022.",
    "Jane Doe21 Jan 2020"."""
    for match in _EMBEDDED.finditer(raw[:300]):
        text = match.group(0)
        result = _fast_path(text, zone) or _dateparser_path(text, zone, languages, fetched_at)
        if result is not None:
            return result
    return None


def _parser(codes: Optional[Sequence[str]], settings: dict) -> dateparser.date.DateDataParser:
    """A dateparser parser for language codes and locales (``"en-GB"`` sets
    its day/month order); codes dateparser does not know are left out, and
    with none left dateparser detects the language itself."""
    locales, languages = [], []
    for code in codes or ():
        language = code.split("-")[0]
        if "-" in code and code in languages_info.language_locale_dict.get(language, ()):
            locales.append(code)
        elif language in languages_info.language_order:
            languages.append(language)
    if locales:
        return dateparser.date.DateDataParser(locales=locales, settings=settings)
    return dateparser.date.DateDataParser(languages=languages or None, settings=settings)


def _dateparser_path(raw, zone, languages, fetched_at) -> Optional[tuple[date, str, str]]:
    raw = raw.strip()[:200]
    if _BARE_TIME.match(raw):
        return None  # a clock time alone names no day
    settings = {"PREFER_DATES_FROM": "past", "RETURN_TIME_AS_PERIOD": True}
    if _DOTTED.search(raw):
        settings["DATE_ORDER"] = "DMY"  # 07.11.2023 is day-first wherever dots are used
    if fetched_at is not None:
        settings["RELATIVE_BASE"] = fetched_at.astimezone(zone or dt_timezone.utc).replace(tzinfo=None)
    site_abbreviation = False
    match = _TRAILING_ABBREVIATION.search(raw)
    if match and zone is not None:
        # "09:45 IST" on a site in Asia/Kolkata: an abbreviation that names the
        # site's own zone is read in that zone (abbreviations are ambiguous).
        raw, site_abbreviation = raw[: match.start()].strip(), match.group(1)
    try:
        data = _parser(languages, settings).get_date_data(raw)
        if data.date_obj is None and languages and not any(c.split("-")[0] == "en" for c in languages):
            # Machine formats ("Sun, 11 Oct 2020 07:34:36 GMT") are English on every site.
            data = _parser(["en"], settings).get_date_data(raw)
    except Exception:  # dateparser raises many kinds of errors on odd strings
        return None
    moment = data.date_obj
    if moment is None:
        return None
    period = data.period or "day"
    if period in ("month", "year", "week"):
        return None
    if period == "day":
        return moment.date(), "day", "none"
    precision = "second" if _HAS_SECONDS.search(raw) else "minute"
    if site_abbreviation:
        local = moment.replace(tzinfo=zone)
        if local.tzname() == site_abbreviation:
            return local, precision, "value"
        return _dateparser_path(f"{raw} {site_abbreviation}", None, languages, fetched_at)
    if moment.tzinfo is not None:
        return moment, precision, "value"
    moment, source = _localize(moment, zone)
    return moment, precision, source
