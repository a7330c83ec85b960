"""`scrapy crawl` of this project: usage errors, and the exit status of a failed crawl."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from crawl_runner import ROOT


def scrapy_crawl(*args, cwd=ROOT):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
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
    ],
)
def test_usage_errors_are_one_line(args, message, tmp_path):
    result = scrapy_crawl(*args, "-s", f"ARCHIVE_PATH={tmp_path / 'a.sqlite'}")
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_archive_path_that_is_a_directory(tmp_path):
    result = scrapy_crawl("-a", "url=http://127.0.0.1/", "-s", f"ARCHIVE_PATH={tmp_path}")
    assert result.returncode == 2 and "ARCHIVE_PATH: cannot open archive" in result.stderr


def test_unreachable_site_exits_non_zero(tmp_path):
    result = scrapy_crawl(
        "-a", f"url=http://127.0.0.1:{closed_port()}/",
        "-s", f"ARCHIVE_PATH={tmp_path / 'a.sqlite'}", "-s", "RETRY_TIMES=0", "-s", "ROBOTSTXT_OBEY=False",
    )
    assert result.returncode == 1
    assert "crawl failed: finish reason 'site_unreachable'" in result.stderr
    assert "Traceback" not in result.stderr
