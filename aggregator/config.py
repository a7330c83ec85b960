"""Checks of the spider's arguments and the project's settings.

Each check raises :class:`ConfigError` with a message that says what to
change; the ``crawl`` command reports it as a usage error before anything is
fetched or written.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlsplit

from aggregator.archive import ArchiveError, open_archive
from aggregator.dates import InvalidTimezone, get_timezone, unknown_languages


SCRAPY_SETTINGS = {
    "CONCURRENT_REQUESTS": "int",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "int",
    "DOWNLOAD_MAXSIZE": "int",
    "DOWNLOAD_WARNSIZE": "int",
    "DOWNLOAD_TIMEOUT": "float",
    "DOWNLOAD_DELAY": "float",
    "AUTOTHROTTLE_START_DELAY": "float",
    "AUTOTHROTTLE_MAX_DELAY": "float",
    "AUTOTHROTTLE_TARGET_CONCURRENCY": "float",
    "REDIRECT_MAX_TIMES": "int",
    "RETRY_TIMES": "int",
    "ROBOTSTXT_OBEY": "bool",
    "AUTOTHROTTLE_ENABLED": "bool",
    "RETRY_ENABLED": "bool",
}
"""Scrapy's own settings a crawl depends on, and their kinds (checked so a
typo is a usage error, not a traceback mid-crawl)."""


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
    ``READING_CPM`` and ``ARCHIVE_BATCH_SIZE`` positive integers,
    ``SECTION_ALIASES`` a JSON object of names to paths, Scrapy's settings of
    ``SCRAPY_SETTINGS`` of their kind, and ``ARCHIVE_PATH`` an archive that
    can be opened or created (:func:`check_archive_path`; nothing is written);
    with ``DISTRIBUTED``, the ``distributed`` extra installed and ``REDIS_URL``
    answering.

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
    try:
        aliases = settings.getdict("SECTION_ALIASES")
    except (ValueError, TypeError) as exc:
        raise ConfigError(f'SECTION_ALIASES must be a JSON object such as {{"Intl": "World News"}}: {exc}') from exc
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in aliases.items()):
        raise ConfigError('SECTION_ALIASES maps names to section paths, both text: {"Intl": "World News"}')
    for name, kind in SCRAPY_SETTINGS.items():
        try:
            {"int": settings.getint, "float": settings.getfloat, "bool": settings.getbool}[kind](name)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{name} must be {'a whole number' if kind == 'int' else 'a number' if kind == 'float' else 'True or False'}, got {settings.get(name)!r}") from exc
    check_run_settings(settings)
    check_archive_path(settings.get("ARCHIVE_PATH"))
    if settings.getbool("DISTRIBUTED"):
        from aggregator.distributed import check_redis  # imports this module

        check_redis(settings)


RUN_SETTINGS = {
    # name: (kind, accepted values, what to give)
    "CRAWL_LOCK_STALE_SECONDS": ("float", lambda v: v >= 0, "0 or more seconds (0: never stale)"),
    "DEGRADED_RUNS": ("int", lambda v: v >= 2, "2 or more (previous runs compared)"),
    "DEGRADED_ARTICLES_RATIO": ("float", lambda v: 0 <= v <= 1, "a share between 0 and 1, e.g. 0.5"),
    "DEGRADED_COVERAGE_DROP": ("float", lambda v: 0 <= v <= 1, "a share between 0 and 1, e.g. 0.25"),
    "DEGRADED_MIN_ITEMS": ("int", lambda v: v >= 0, "0 or more items"),
    "RECRAWL_DAYS": ("float", lambda v: v >= 0, "0 or more days (0: never revisit)"),
    "INCREMENTAL_STALE_PAGES": ("int", lambda v: v >= 0, "0 or more listing pages (0: walk every page)"),
    "WP_API_MAX_PAGES": ("int", lambda v: v >= 1, "1 or more pages of posts"),
    "WP_API_AUTO": ("bool", lambda v: True, "True or False"),
    "SITEMAP_MAX_SITEMAPS": ("int", lambda v: v >= 1, "1 or more sitemaps"),
    "PROGRESS_ENABLED": ("bool", lambda v: True, "True or False"),
    "PROGRESS_INTERVAL": ("float", lambda v: v > 0, "more than 0 seconds"),
    "DISTRIBUTED": ("bool", lambda v: True, "True or False"),
    "DISTRIBUTED_IDLE_CLOSE": ("float", lambda v: 0 <= v <= 86400, "0 to 86400 seconds"),
    "DISTRIBUTED_START_WAIT": ("float", lambda v: 0 <= v <= 86400, "0 to 86400 seconds"),
    "DISTRIBUTED_WORKER_TIMEOUT": ("float", lambda v: 1 <= v <= 86400, "1 to 86400 seconds"),
    "DISTRIBUTED_KEYS_TTL": ("float", lambda v: 60 <= v <= 365 * 86400, "60 seconds to a year"),
}
"""The scheduled-run settings and the values they accept (checked by :func:`check_run_settings`)."""


def check_run_settings(settings: Any) -> None:
    """Check the scheduled-run settings of ``RUN_SETTINGS`` (run lock,
    degraded runs, progress, incremental runs): numbers within their range; unset ones are
    left alone.

    :raises ConfigError: naming the setting, what it accepts and the value given.
    """
    for name, (kind, accepted, expected) in RUN_SETTINGS.items():
        if settings.get(name) is None:
            continue
        try:
            value = {"int": settings.getint, "float": settings.getfloat, "bool": settings.getbool}[kind](name)
        except (ValueError, TypeError):
            value = None
        if value is None or not accepted(value):
            raise ConfigError(f"{name} must be {expected}, got {settings.get(name)!r}")


def check_archive_path(value: Any) -> Path:
    """The archive path, checked without creating anything: an existing file
    must be an archive (or empty); a new one needs a writable folder.

    :raises ConfigError: for an empty path, a folder, another application's
        database, or a folder that cannot be written to.
    """
    if not value or not str(value).strip():
        raise ConfigError("ARCHIVE_PATH is empty: name the archive file, e.g. -s ARCHIVE_PATH=news.sqlite")
    path = Path(str(value)).expanduser().resolve()
    if path.is_dir():
        raise ConfigError(f"ARCHIVE_PATH: {path} is a folder; name a file in it, e.g. {path / 'news.sqlite'}")
    if path.exists() and path.stat().st_size > 0:
        try:
            open_archive(path, create=False).conn.close()
        except ArchiveError as exc:
            raise ConfigError(f"ARCHIVE_PATH: {exc}") from exc
        return path
    folder = next((p for p in path.parents if p.exists()), None)
    if folder is None or not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"ARCHIVE_PATH: cannot create {path}: {folder} is not a writable folder")
    return path


SOURCES = ("menu", "sitemap", "feed", "wp-api")
"""Where the ``news`` spider can find articles (spider argument ``sources``):
the menus, section listings and their pagination; the sitemaps; the RSS/Atom
feeds; the WordPress REST API's posts route."""

DEFAULT_SOURCES = ("menu", "sitemap", "feed")
"""The sources of a crawl that names none (``wp-api`` is added by ``WP_API_AUTO``)."""


def check_sources(value: Any) -> list[str]:
    """The spider argument ``sources`` as a list: a comma-separated string
    (``"menu,sitemap"``) or a list of names of ``SOURCES``; None or empty
    means ``DEFAULT_SOURCES``.

    :raises ConfigError: for a name that is not one of ``SOURCES``.
    """
    if value is None or value == "" or value == []:
        return list(DEFAULT_SOURCES)
    names = [part.strip().lower() for part in (value.split(",") if isinstance(value, str) else value)]
    names = [name for name in dict.fromkeys(names) if name]
    unknown = [name for name in names if name not in SOURCES]
    if unknown or not names:
        raise ConfigError(f"-a sources={value}: unknown source {', '.join(unknown) or '(none)'}; choose from {', '.join(SOURCES)}")
    return names
