"""`scrapy crawl` of this project: usage errors, the exit status of a failed crawl, sites from the sites file, and `aggregator crawl`."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys

import pytest

from crawl_runner import ROOT


def scrapy_crawl(*args, cwd=ROOT):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SCRAPY_SETTINGS_MODULE": "aggregator.settings"}
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "news", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "the news spider needs the site's home page"),
        (["-a", "url=ftp://news.example.com/"], "the news spider needs the site's home page"),
        (["-a", "url=http://127.0.0.1:notaport/"], "the port is not a number"),
        (["-a", "url=http://127.0.0.1/", "-s", "SITE_TIMEZONE=Mars/Olympus"], "SITE_TIMEZONE: unknown time zone 'Mars/Olympus'"),
        (["-a", "url=http://127.0.0.1/", "-s", "SITE_LANGUAGES=en, xx"], "SITE_LANGUAGES: dateparser knows no language 'xx'"),
        (["-a", "url=http://127.0.0.1/", "-s", "SECTION_MAX_PAGES=0"], "SECTION_MAX_PAGES must be 1 or more"),
        (["-a", "url=http://127.0.0.1/", "-a", "sources=menu,rss"], "unknown source rss; choose from menu, sitemap, feed"),
        (["-a", "url=http://127.0.0.1/", "-s", "RECRAWL_DAYS=-1"], "RECRAWL_DAYS must be 0 or more days"),
        (["-a", "url=http://127.0.0.1/", "-s", "INCREMENTAL_STALE_PAGES=some"], "INCREMENTAL_STALE_PAGES must be 0 or more"),
        (["-a", "url=http://127.0.0.1/", "-s", "PROGRESS_ENABLED=maybe"], "PROGRESS_ENABLED must be True or False"),
    ],
)
def test_usage_errors_are_one_line(args, message, tmp_path):
    result = scrapy_crawl(*args, "-s", f"ARCHIVE_PATH={tmp_path / 'a.sqlite'}")
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "archive, message",
    [
        ("{tmp}", "is a folder"),
        ("", "ARCHIVE_PATH is empty"),
        ("{tmp}/notes.txt", "ARCHIVE_PATH: cannot open archive"),
        ("{tmp}/other.sqlite", "is not an aggregator archive"),
    ],
)
def test_bad_archive_paths_are_usage_errors_and_create_nothing(tmp_path, archive, message):
    import sqlite3

    (tmp_path / "notes.txt").write_text("not a database " * 100)
    with sqlite3.connect(tmp_path / "other.sqlite") as conn:
        conn.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY)")
    before = sorted(p.name for p in tmp_path.iterdir())
    result = scrapy_crawl("-a", "url=http://127.0.0.1/", "-s", f"ARCHIVE_PATH={archive.format(tmp=tmp_path)}", cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr, result.stderr[-500:]
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize(
    "args, message",
    [
        (["-s", "SECTION_ALIASES={bad"], "SECTION_ALIASES must be a JSON object"),
        (["-s", "DOWNLOAD_TIMEOUT=abc"], "DOWNLOAD_TIMEOUT must be a number"),
        (["-s", "ROBOTSTXT_OBEY=maybe"], "ROBOTSTXT_OBEY must be True or False"),
    ],
)
def test_bad_scrapy_settings_are_usage_errors(tmp_path, args, message):
    result = scrapy_crawl("-a", "url=http://127.0.0.1/", "-s", f"ARCHIVE_PATH={tmp_path / 'a.sqlite'}", *args)
    assert result.returncode == 2 and message in result.stderr
    assert not (tmp_path / "a.sqlite").exists()


def test_unknown_spider(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "nosuch"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 2 and "no spider 'nosuch'; the spiders are: news" in result.stderr


def test_unreachable_site_exits_non_zero(tmp_path):
    result = scrapy_crawl(
        "-a", f"url=http://127.0.0.1:{closed_port()}/",
        "-s", f"ARCHIVE_PATH={tmp_path / 'a.sqlite'}", "-s", "RETRY_TIMES=0", "-s", "ROBOTSTXT_OBEY=False",
    )
    assert result.returncode == 1
    assert "crawl failed: finish reason 'site_unreachable'" in result.stderr
    assert "Traceback" not in result.stderr


# --- sites file: `scrapy crawl news -a site=NAME` and `aggregator crawl` ------------------


def aggregator(*args, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SCRAPY_SETTINGS_MODULE", None)  # the command sets it
    return subprocess.run(
        [sys.executable, "-c", "from aggregator.cli import cli; cli()", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=180
    )


def test_unknown_site_is_a_usage_error(tmp_path):
    (tmp_path / "sites.toml").write_text('[sites.quiet]\nurl = "http://127.0.0.1:9/"\n[sites.loud]\nurl = "http://127.0.0.1:9/"\n')
    result = scrapy_crawl("-a", "site=noisy", "-s", f"SITES_FILE={tmp_path / 'sites.toml'}", "-s", f"ARCHIVE_PATH={tmp_path / 'a.sqlite'}")
    assert result.returncode == 2
    assert f"no site 'noisy' in {tmp_path / 'sites.toml'}; the sites are: quiet, loud" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args, status, message",
    [
        ([], 2, "choose the sites: --site NAME (repeatable) or --all"),
        (["--site", "nosuch"], 2, "no site 'nosuch' in"),
        (["--all", "--sites-file", "missing.toml"], 2, "missing.toml not found: create it"),
        (["--all", "--site", "demo"], 2, "choose either --site NAME or --all, not both"),
        (["--all", "-s", "LOG_LEVEL"], 2, "'LOG_LEVEL' is not NAME=VALUE"),
    ],
)
def test_aggregator_crawl_usage(tmp_path, args, status, message):
    (tmp_path / "sites.toml").write_text('[sites.quiet]\nurl = "http://127.0.0.1:9/"\n')
    result = aggregator("crawl", *args, cwd=tmp_path)
    assert result.returncode == status and message in result.stderr, result.stderr


@pytest.mark.slow
def test_aggregator_crawl_all(tmp_path):
    import json

    from aggregator.archive import open_archive

    from small_site import SmallSite

    with SmallSite() as site:
        (tmp_path / "sites.toml").write_text(
            f'[sites.quiet]\nurl = "{site.url}"\nsources = ["menu"]\narchive = "runs.sqlite"\ntimezone = "Europe/London"\n'
            f'[sites.dead]\nurl = "http://127.0.0.1:{closed_port()}/"\narchive = "runs.sqlite"\n'
            "[sites.dead.settings]\nRETRY_TIMES = 0\n"
        )
        result = aggregator("crawl", "--all", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=WARNING", cwd=tmp_path)
    assert result.returncode == 1, result.stderr[-2000:]
    summary = result.stdout.splitlines()
    assert len(summary) == 2
    assert re.fullmatch(r"quiet: finished \(finished\), \d+ pages, 12 new, 0 updated, 0 errors; exit 0 after \d+ s", summary[0])
    assert re.fullmatch(r"dead: failed \(site_unreachable\), 0 pages, 0 new, 0 updated, \d+ errors; exit 1 after \d+ s", summary[1])
    assert "crawl failed: finish reason 'site_unreachable'" in result.stderr
    db = open_archive(tmp_path / "runs.sqlite", create=False)  # the sites file's archive, beside it
    runs = list(db.query("SELECT site_name, sources, status FROM crawl_runs ORDER BY id"))
    assert [(r["site_name"], r["status"]) for r in runs] == [("quiet", "finished"), ("dead", "failed")]
    assert json.loads(runs[0]["sources"]) == ["menu"]
    assert db["articles"].count == 12
    db.conn.close()
