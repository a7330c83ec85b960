"""The sites file (aggregator.sites) and how `scrapy crawl news -a site=NAME` applies it."""

from __future__ import annotations

import pytest
from scrapy.settings import Settings

from aggregator.commands.crawl import apply_site
from aggregator.config import ConfigError
from aggregator.sites import load_site, load_sites

GOOD = """
[sites.demo]
url = "http://127.0.0.1:8000/"
timezone = "Asia/Singapore"
languages = ["en"]
allowed_domains = ["cdn.example.com"]
section_aliases = { Intl = "World News" }
sources = ["menu", "feed"]
archive = "data/news.sqlite"
[sites.demo.settings]
DOWNLOAD_DELAY = 1.5
ROBOTSTXT_OBEY = false

[sites.plain]
url = "https://plain.example.com/"
"""


@pytest.fixture
def sites_file(tmp_path):
    path = tmp_path / "sites.toml"
    path.write_text(GOOD)
    return path


def test_sites_in_file_order(sites_file):
    assert list(load_sites(sites_file)) == ["demo", "plain"]


def test_spider_arguments(sites_file):
    sites = load_sites(sites_file)
    assert sites["demo"].spider_arguments() == {
        "url": "http://127.0.0.1:8000/", "site_name": "demo", "sources": "menu,feed", "allowed_domains": "cdn.example.com",
    }
    assert sites["plain"].spider_arguments() == {"url": "https://plain.example.com/", "site_name": "plain"}


def test_settings(sites_file, tmp_path):
    assert load_sites(sites_file)["demo"].settings() == {
        "SITE_TIMEZONE": "Asia/Singapore",
        "SITE_LANGUAGES": ["en"],
        "SECTION_ALIASES": {"Intl": "World News"},
        "ARCHIVE_PATH": str(tmp_path.resolve() / "data" / "news.sqlite"),  # relative to the sites file
        "DOWNLOAD_DELAY": 1.5,
        "ROBOTSTXT_OBEY": False,
    }
    assert load_sites(sites_file)["plain"].settings() == {}


def _error(tmp_path, text):
    path = tmp_path / "sites.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_sites(path)
    return str(caught.value)


@pytest.mark.parametrize(
    "text, message",
    [
        ('[sites.a]\nurl = "http://x/"\nurl2 = \n', "is not valid TOML: Invalid value (at line 3, column 8)"),
        ('[sites.a]\nurl = "http://x/"\ntimezon = "UTC"\n', "[sites.a]: unknown key 'timezon'; the keys are: url, timezone,"),
        ('[sites.a]\ntimezone = "UTC"\n', "[sites.a]: url is missing"),
        ('[sites.a]\nurl = 5\n', "[sites.a]: url must be a string, got 5"),
        ('[sites.a]\nurl = "ftp://x/"\n', "[sites.a]: url must be the site's home page, http(s)://host/…, got 'ftp://x/'"),
        ('[sites.a]\nurl = "http://x/"\nsources = ["menu", "rss"]\n', "unknown source 'rss'; the sources are: menu, sitemap, feed, wp-api"),
        ('[sites.a]\nurl = "http://x/"\nsources = "menu"\n', "sources must be a list of strings"),
        ('[sites.a]\nurl = "http://x/"\nsources = []\n', "sources is empty; leave it out"),
        ('[sites.a]\nurl = "http://x/"\ntimezone = "Mars/Olympus"\n', "timezone: unknown time zone 'Mars/Olympus'"),
        ('[sites.a]\nurl = "http://x/"\nlanguages = ["en", "xx"]\n', "languages: dateparser knows no language 'xx'"),
        ('[sites.a]\nurl = "http://x/"\nallowed_domains = ["https://cdn.x/"]\n', "'https://cdn.x/' is not a host name"),
        ('[sites.a]\nurl = "http://x/"\nsection_aliases = { Intl = 3 }\n', "section_aliases maps names to section paths"),
        ('[sites.a]\nurl = "http://x/"\n[sites.a.settings]\nSITE_TIMEZONE = "UTC"\n', "settings.SITE_TIMEZONE: give it as the site's timezone key"),
        ('[sites.a]\nurl = "http://x/"\n[sites.a.settings]\ndownload_delay = 1\n', "setting names are UPPER_CASE"),
        ('[sites.a]\nurl = "http://x/"\n[other]\nx = 1\n', "unknown top-level key 'other'"),
        ('title = "x"\n', "unknown top-level key 'title'"),
        ("", "no site defined"),
        ('[sites."my site"]\nurl = "http://x/"\n', "a site name is letters, digits"),
    ],
)
def test_mistakes_say_what_to_change(tmp_path, text, message):
    assert message in _error(tmp_path, text)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="sites file .*nowhere.toml not found: create it"):
        load_sites(tmp_path / "nowhere.toml")


def test_unknown_site_lists_the_known_ones(sites_file):
    with pytest.raises(ConfigError, match="no site 'dmeo' in .*; the sites are: demo, plain"):
        load_site(sites_file, "dmeo")


def test_apply_site_sets_spider_priority_settings_and_merges_arguments(sites_file):
    settings = Settings({"SITES_FILE": str(sites_file)})
    settings.set("DOWNLOAD_DELAY", 0.25, priority="cmdline")  # -s on the command line wins
    spargs = apply_site(settings, {"site": "demo", "sources": "menu"})
    assert spargs == {
        "url": "http://127.0.0.1:8000/", "site_name": "demo", "sources": "menu", "allowed_domains": "cdn.example.com",
    }
    assert settings.getfloat("DOWNLOAD_DELAY") == 0.25
    assert settings.get("SITE_TIMEZONE") == "Asia/Singapore"
    assert settings.getpriority("SITE_TIMEZONE") == settings.getpriority("DOWNLOAD_DELAY") - 10  # spider < cmdline
    assert settings.getbool("ROBOTSTXT_OBEY") is False


def test_apply_site_explicit_url_wins(sites_file):
    settings = Settings({"SITES_FILE": str(sites_file)})
    assert apply_site(settings, {"site": "plain", "url": "http://127.0.0.1:9/"}) == {
        "url": "http://127.0.0.1:9/", "site_name": "plain",
    }


def test_apply_site_without_site_changes_nothing():
    settings = Settings({"SITES_FILE": "/nonexistent/sites.toml"})
    assert apply_site(settings, {"url": "http://x/"}) == {"url": "http://x/"}


def test_apply_site_empty_name():
    with pytest.raises(ConfigError, match="-a site= needs the name of a site"):
        apply_site(Settings(), {"site": " "})
