"""The sites file: the sites a scheduled job crawls, each under a name.

A TOML file (setting ``SITES_FILE``, default ``sites.toml`` in the current
directory) with one table per site::

    [sites.demo]
    url = "http://127.0.0.1:8000/"          # required: the home page
    timezone = "Asia/Singapore"            # → SITE_TIMEZONE
    languages = ["en"]                     # → SITE_LANGUAGES
    allowed_domains = ["cdn.example.com"]  # extra domains the crawl may follow
    section_aliases = { Intl = "World News" }   # → SECTION_ALIASES
    sources = ["menu", "sitemap", "feed"]  # default: all of them
    archive = "news.sqlite"                # → ARCHIVE_PATH (relative: to this file's folder)
    [sites.demo.settings]                  # any other Scrapy or project setting
    DOWNLOAD_DELAY = 1

``scrapy crawl news -a site=demo`` and ``aggregator crawl --site demo`` read
it through :func:`load_site`. Every mistake raises
:class:`aggregator.config.ConfigError` naming the file, the site and the key,
and saying what to change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from aggregator.config import SOURCES, ConfigError, check_site_url
from aggregator.dates import InvalidTimezone, get_timezone, unknown_languages

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10 with the tomli backport
    try:
        import tomli as tomllib  # type: ignore[no-redef]
    except ModuleNotFoundError:
        tomllib = None  # type: ignore[assignment]


SITE_KEYS = ("url", "timezone", "languages", "allowed_domains", "section_aliases", "sources", "archive", "settings")
"""Keys of a ``[sites.NAME]`` table."""

_DEDICATED = {"SITE_TIMEZONE": "timezone", "SITE_LANGUAGES": "languages", "SECTION_ALIASES": "section_aliases", "ARCHIVE_PATH": "archive"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_SETTING = re.compile(r"^[A-Z][A-Z0-9_]*$")
_HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$")


@dataclass(frozen=True)
class SiteConfig:
    """One site of the sites file, checked.

    ``name``: the table's name (``[sites.NAME]``); ``url``: the home page;
    ``timezone``: IANA name or None; ``languages``: dateparser codes (empty:
    unset); ``allowed_domains``: extra host names (empty: none);
    ``section_aliases``: site names → section paths; ``sources``: source
    names (empty: the spider's default, all); ``archive``: absolute path of
    the archive or None; ``extra_settings``: the ``[sites.NAME.settings]``
    table as given.
    """

    name: str
    url: str
    timezone: Optional[str] = None
    languages: tuple[str, ...] = ()
    allowed_domains: tuple[str, ...] = ()
    section_aliases: dict[str, str] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    archive: Optional[str] = None
    extra_settings: dict[str, Any] = field(default_factory=dict)

    def spider_arguments(self) -> dict[str, str]:
        """The ``news`` spider's arguments for this site, as ``-a`` would give
        them (strings): ``url``, ``site_name``, and when given ``sources`` and
        ``allowed_domains`` (comma-joined)."""
        arguments = {"url": self.url, "site_name": self.name}
        if self.sources:
            arguments["sources"] = ",".join(self.sources)
        if self.allowed_domains:
            arguments["allowed_domains"] = ",".join(self.allowed_domains)
        return arguments

    def settings(self) -> dict[str, Any]:
        """The settings this site sets: ``SITE_TIMEZONE``, ``SITE_LANGUAGES``
        (a list), ``SECTION_ALIASES`` (a dict), ``ARCHIVE_PATH`` (absolute)
        when given, then everything of its ``settings`` table."""
        values: dict[str, Any] = {}
        if self.timezone:
            values["SITE_TIMEZONE"] = self.timezone
        if self.languages:
            values["SITE_LANGUAGES"] = list(self.languages)
        if self.section_aliases:
            values["SECTION_ALIASES"] = dict(self.section_aliases)
        if self.archive:
            values["ARCHIVE_PATH"] = self.archive
        values.update(self.extra_settings)
        return values


def load_sites(path: str | Path) -> dict[str, SiteConfig]:
    """Read and check a sites file.

    :param path: the TOML file; relative paths are resolved from the current
        directory.
    :returns: the sites by name, in the file's order.
    :raises ConfigError: when the file is missing or unreadable, is not valid
        TOML (the message gives the line), has no site, an unknown key, a
        value of the wrong type, a bad URL, time zone, language, domain or
        source name.
    """
    path = Path(path).expanduser()
    if tomllib is None:  # pragma: no cover
        raise ConfigError("reading a sites file needs Python 3.11+ (tomllib) or the tomli package: pip install tomli")
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"sites file {path} not found: create it with a [sites.NAME] table per site "
            "(see the README, Scheduled runs), or name another one with -s SITES_FILE=… / --sites-file"
        ) from None
    except IsADirectoryError:
        raise ConfigError(f"sites file {path} is a folder: name the TOML file in it, e.g. {path / 'sites.toml'}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read sites file {path}: {exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    unknown = [key for key in data if key != "sites"]
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key {unknown[0]!r}; put each site under [sites.NAME]")
    sites = data.get("sites")
    if not isinstance(sites, dict) or not sites:
        raise ConfigError(f'{path}: no site defined; add one, e.g. [sites.example] with url = "https://news.example.com/"')
    folder = path.resolve().parent
    return {name: _site(path, folder, name, table) for name, table in sites.items()}


def load_site(path: str | Path, name: str) -> SiteConfig:
    """One site of a sites file, by name.

    :raises ConfigError: for any mistake in the file (:func:`load_sites`), or
        when it has no site of that name (the message lists the known ones).
    """
    sites = load_sites(path)
    if name not in sites:
        raise ConfigError(f"no site {name!r} in {path}; the sites are: {', '.join(sites)}")
    return sites[name]


def _site(path: Path, folder: Path, name: str, table: Any) -> SiteConfig:
    where = f"{path}: [sites.{name}]"
    if not _NAME.match(name):
        raise ConfigError(f"{where}: a site name is letters, digits, '_', '.' and '-' (it is typed as -a site=NAME)")
    if not isinstance(table, dict):
        raise ConfigError(f'{where} must be a table, e.g. [sites.{name}] with url = "https://…/"')
    unknown = [key for key in table if key not in SITE_KEYS]
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}; the keys are: {', '.join(SITE_KEYS)} (other settings go under [sites.{name}.settings])")
    if "url" not in table:
        raise ConfigError(f'{where}: url is missing; give the home page, e.g. url = "https://news.example.com/"')
    url = _typed(where, "url", table["url"], str, "a string")
    try:
        url = check_site_url(url)
    except ConfigError:
        raise ConfigError(f"{where}: url must be the site's home page, http(s)://host/…, got {url!r}") from None

    timezone = table.get("timezone")
    if timezone is not None:
        timezone = _typed(where, "timezone", timezone, str, 'a string such as "Asia/Singapore"')
        try:
            get_timezone(timezone)
        except InvalidTimezone as exc:
            raise ConfigError(f"{where}: timezone: {exc}") from exc

    languages = tuple(_strings(where, "languages", table.get("languages", []), 'e.g. ["en"]'))
    bad = unknown_languages(list(languages))
    if bad:
        raise ConfigError(f"{where}: languages: dateparser knows no language {', '.join(map(repr, bad))} (e.g. 'de', 'en-GB')")

    domains = tuple(d.lower() for d in _strings(where, "allowed_domains", table.get("allowed_domains", []), 'e.g. ["cdn.example.com"]'))
    for domain in domains:
        if not _HOST.match(domain):
            raise ConfigError(f"{where}: allowed_domains: {domain!r} is not a host name; give names such as cdn.example.com, not URLs")

    aliases = table.get("section_aliases", {})
    if not isinstance(aliases, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in aliases.items()):
        raise ConfigError(f'{where}: section_aliases maps names to section paths, both strings: {{ Intl = "World News" }}')

    sources = _strings(where, "sources", table.get("sources", []), 'e.g. ["menu", "feed"]')
    if "sources" in table and not sources:
        raise ConfigError(f"{where}: sources is empty; leave it out to use all of them ({', '.join(SOURCES)})")
    for source in sources:
        if source not in SOURCES:
            raise ConfigError(f"{where}: sources: unknown source {source!r}; the sources are: {', '.join(SOURCES)}")
    if len(set(sources)) != len(sources):
        raise ConfigError(f"{where}: sources lists a source twice")

    archive = table.get("archive")
    if archive is not None:
        archive = _typed(where, "archive", archive, str, 'a file name such as "news.sqlite"')
        if not archive.strip():
            raise ConfigError(f'{where}: archive is empty; name the file, e.g. archive = "news.sqlite"')
        archive = str(folder / Path(archive.strip()).expanduser())

    extra = table.get("settings", {})
    if not isinstance(extra, dict):
        raise ConfigError(f"{where}: settings must be a table: [sites.{name}.settings] with NAME = value lines")
    for key in extra:
        if key in _DEDICATED:
            raise ConfigError(f"{where}: settings.{key}: give it as the site's {_DEDICATED[key]} key instead")
        if not _SETTING.match(key):
            raise ConfigError(f"{where}: settings.{key}: setting names are UPPER_CASE, e.g. DOWNLOAD_DELAY")
    return SiteConfig(
        name=name, url=url, timezone=timezone, languages=languages, allowed_domains=domains,
        section_aliases=dict(aliases), sources=tuple(sources), archive=archive, extra_settings=dict(extra),
    )


def _typed(where: str, key: str, value: Any, kind: type, expected: str) -> Any:
    if not isinstance(value, kind):
        raise ConfigError(f"{where}: {key} must be {expected}, got {value!r}")
    return value


def _strings(where: str, key: str, value: Any, example: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where}: {key} must be a list of strings, {example}; got {value!r}")
    return [v.strip() for v in value]
