"""Checks of the spider's arguments and the project's settings.

Each check raises :class:`ConfigError` with a message that says what to
change; the ``crawl`` command reports it as a usage error before anything is
fetched or written.
"""

from __future__ import annotations

from typing import Any, Optional
from urllib.parse import urlsplit

from aggregator.archive import ArchiveError, open_archive
from aggregator.dates import InvalidTimezone, get_timezone, unknown_languages


class ConfigError(ValueError):
    """A spider argument or setting is missing or wrong."""


def check_site_url(url: Optional[str]) -> str:
    """The site's home page URL, checked.

    :raises ConfigError: when it is missing, not http(s), has no host or a bad port.
    """
    parts = urlsplit((url or "").strip())
    try:
        parts.port  # raises ValueError for a port that is not a number
    except ValueError as exc:
        raise ConfigError(f"-a url={url}: the port is not a number") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"the news spider needs the site's home page: -a url=https://…, got {url!r}")
    return url.strip()


def site_languages(settings: Any) -> list[str]:
    """``SITE_LANGUAGES`` as a list of codes, spaces stripped (``"en, de"`` → ``["en", "de"]``)."""
    return [code.strip() for code in settings.getlist("SITE_LANGUAGES") if code.strip()]


def check_settings(settings: Any) -> None:
    """Check the project settings a crawl depends on.

    ``SITE_TIMEZONE`` must be an IANA name, ``SITE_LANGUAGES`` languages or
    locales dateparser knows, ``SECTION_MAX_PAGES``, ``READING_WPM``,
    ``READING_CPM`` and ``ARCHIVE_BATCH_SIZE`` positive integers, and
    ``ARCHIVE_PATH`` an archive that can be opened (or created).

    :raises ConfigError: naming the setting and what is wrong with it.
    """
    try:
        get_timezone(settings.get("SITE_TIMEZONE"))
    except InvalidTimezone as exc:
        raise ConfigError(f"SITE_TIMEZONE: {exc}") from exc
    unknown = unknown_languages(site_languages(settings))
    if unknown:
        raise ConfigError(f"SITE_LANGUAGES: dateparser knows no language {', '.join(map(repr, unknown))} (e.g. 'de', 'en-GB')")
    for name in ("SECTION_MAX_PAGES", "READING_WPM", "READING_CPM", "ARCHIVE_BATCH_SIZE"):
        try:
            value = settings.getint(name, 1)
        except ValueError as exc:
            raise ConfigError(f"{name} must be a whole number, got {settings.get(name)!r}") from exc
        if value < 1:
            raise ConfigError(f"{name} must be 1 or more, got {value}")
    path = settings.get("ARCHIVE_PATH") or "news.sqlite"
    try:
        open_archive(path).conn.close()
    except ArchiveError as exc:
        raise ConfigError(f"ARCHIVE_PATH: {exc}") from exc
