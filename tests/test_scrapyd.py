"""Deploy to a real scrapyd: build the egg with ``scrapyd-deploy``, schedule ``news``, find the articles.

A ``scrapyd`` (the same virtual environment's) runs on 127.0.0.1 in a
temporary folder with its own ``scrapyd.conf``. The project is copied to a
temporary folder first, because ``scrapyd-deploy`` writes a ``setup.py`` and
build folders where ``scrapy.cfg`` is; the copy's ``scrapy.cfg`` gets one
more target, ``[deploy:test]``, naming this scrapyd, and otherwise deploys
as the README says. The crawl of the served demo site is scheduled through
scrapyd's JSON API and checked in the archive it wrote.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from urllib.parse import urlencode, urlsplit
from urllib.request import urlopen

import pytest

from aggregator.demo_site import DemoServer, build_demo_site

pytest.importorskip("scrapyd", reason="scrapyd is not installed (it is in the test extra: pip install -e '.[test]')")
pytest.importorskip("scrapyd_client", reason="scrapyd-client is not installed (it is in the test extra)")

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PROJECT_FILES = ("scrapy.cfg", "pyproject.toml", "README.md", "aggregator", "spiders", "pipelines")
"""What a deploy needs from the repository (README.md is the package's long description)."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment() -> dict[str, str]:
    """This environment without the variables that would point a Scrapy process at the checkout."""
    drop = {"SCRAPY_SETTINGS_MODULE", "SCRAPY_PROJECT", "SCRAPYD_EGG_VERSION", "PYTHONPATH"}
    return {k: v for k, v in os.environ.items() if k not in drop}


class Scrapyd:
    """A ``scrapyd`` child process on 127.0.0.1:``port`` whose folders are all under ``home``."""

    def __init__(self, home: Path):
        self.home = home
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = home / "scrapyd.log"
        home.mkdir(parents=True, exist_ok=True)
        (home / "scrapyd.conf").write_text(
            "[scrapyd]\n"
            "bind_address = 127.0.0.1\n"
            f"http_port = {self.port}\n"
            f"eggs_dir = {home / 'eggs'}\n"
            f"logs_dir = {home / 'logs'}\n"
            "items_dir =\n"
            f"dbs_dir = {home / 'dbs'}\n"
            "max_proc = 1\n"
            "poll_interval = 0.2\n"
        )
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> None:
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "scrapyd"], cwd=self.home, env=_environment(), stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"scrapyd exited: {self.log()[-3000:]}"
            try:
                if self.get("daemonstatus.json")["status"] == "ok":
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"scrapyd did not answer in {timeout} s: {self.log()[-3000:]}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def get(self, endpoint: str, **params: str) -> dict:
        query = f"?{urlencode(params)}" if params else ""
        with urlopen(f"{self.url}{endpoint}{query}", timeout=10) as response:
            return json.loads(response.read())

    def post(self, endpoint: str, fields: list[tuple[str, str]]) -> dict:
        with urlopen(f"{self.url}{endpoint}", data=urlencode(fields).encode(), timeout=10) as response:
            return json.loads(response.read())

    def wait_finished(self, project: str, job: str, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for finished in self.get("listjobs.json", project=project)["finished"]:
                if finished["id"] == job:
                    return finished
            time.sleep(0.2)
        raise AssertionError(f"job {job} did not finish in {timeout} s: {self.log()[-3000:]}")

    def job_log(self, project: str, spider: str, job: str) -> str:
        return (self.home / "logs" / project / spider / f"{job}.log").read_text(errors="replace")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture
def scrapyd(tmp_path):
    server = Scrapyd(tmp_path / "scrapyd")
    try:
        server.start()
        yield server
    finally:
        server.stop()


def _copy_project(destination: Path, scrapyd_url: str) -> Path:
    """Copy the project to ``destination`` and add a ``[deploy:test]`` target naming ``scrapyd_url``."""
    destination.mkdir()
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, destination / name)
    with open(destination / "scrapy.cfg", "a") as cfg:
        cfg.write(f"\n[deploy:test]\nurl = {scrapyd_url}\n")  # the project name comes from [deploy]
    return destination


def _scrapyd_deploy(project_dir: Path, *args: str) -> subprocess.CompletedProcess:
    # scrapyd-deploy builds in a scrapydeploy-* folder of TMPDIR that it never removes: one of ours.
    scratch = project_dir.parent / "deploy-tmp"
    scratch.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "scrapyd_client.deploy", *args],
        cwd=project_dir, env={**_environment(), "TMPDIR": str(scratch)}, capture_output=True, text=True, timeout=120,
    )


def test_deploy_schedule_and_archive(scrapyd, tmp_path):
    project_dir = _copy_project(tmp_path / "project", scrapyd.url)

    # The egg, built as `scrapyd-deploy` builds it, must tell scrapyd where the settings are.
    egg = tmp_path / "aggregator.egg"
    built = _scrapyd_deploy(project_dir, "--build-egg", str(egg))
    assert built.returncode == 0, built.stderr[-3000:]
    with zipfile.ZipFile(egg) as archive:
        names = set(archive.namelist())
        entry_points = archive.read("EGG-INFO/entry_points.txt").decode() if "EGG-INFO/entry_points.txt" in names else ""
    assert {"aggregator/settings.py", "aggregator/commands/crawl.py", "aggregator/datasette-metadata.json",
            "spiders/news.py", "pipelines/archive.py"} <= names
    assert not any(name.startswith("tests/") for name in names)
    assert re.search(r"^\[scrapy\]\s*\nsettings\s*=\s*aggregator\.settings\s*$", entry_points, re.M), (
        "the egg has no `scrapy` entry point `settings`, so scrapyd cannot find the settings "
        "(scrapy.cfg's [settings] is not in the egg, and setuptools ignores the entry point of the setup.py "
        "that scrapyd-deploy writes because pyproject.toml has a [project] table): add "
        '[project.entry-points.scrapy] settings = "aggregator.settings" to pyproject.toml. '
        f"entry_points.txt: {entry_points!r}"
    )

    deployed = _scrapyd_deploy(project_dir, "test", "--egg", str(egg), "--version", "r1")
    assert deployed.returncode == 0, deployed.stderr[-3000:] + deployed.stdout[-3000:]
    answer = json.loads(deployed.stdout)
    assert (answer["status"], answer["project"], answer["version"], answer["spiders"]) == ("ok", "aggregator", "r1", 1)
    assert scrapyd.get("listspiders.json", project="aggregator")["spiders"] == ["news"]

    site = build_demo_site()
    archive = tmp_path / "archive" / "news.sqlite"
    with DemoServer(site) as server:
        scheduled = scrapyd.post("schedule.json", [
            ("project", "aggregator"),
            ("spider", "news"),
            ("url", f"{server.base_url}/"),
            ("setting", f"ARCHIVE_PATH={archive}"),
            ("setting", f"SITE_TIMEZONE={site.timezone}"),
            ("setting", "AUTOTHROTTLE_ENABLED=False"),
        ])
        assert scheduled["status"] == "ok", scheduled
        job = scheduled["jobid"]
        # Our `crawl` command checks the settings under scrapyd too: a usage error, exit status 2.
        refused = scrapyd.post("schedule.json", [
            ("project", "aggregator"), ("spider", "news"), ("url", f"{server.base_url}/"),
            ("setting", f"ARCHIVE_PATH={tmp_path / 'refused.sqlite'}"), ("setting", "SITE_TIMEZONE=Mars/Olympus"),
        ])["jobid"]
        finished = scrapyd.wait_finished("aggregator", job)
        scrapyd.wait_finished("aggregator", refused, timeout=60)
        fetched = list(server.requests)

    log = scrapyd.job_log("aggregator", "news", job)
    assert finished["spider"] == "news" and finished["log_url"].endswith(f"/news/{job}.log")
    assert "Spider closed (finished)" in log, log[-3000:]
    assert f"Archive: {archive}" in log
    daemon_log = scrapyd.log()
    assert re.search(rf"Process finished:.*job='{job}'", daemon_log), daemon_log[-3000:]
    assert re.search(rf"Process died: exitstatus=2 .*job='{refused}'", daemon_log), daemon_log[-3000:]
    assert "SITE_TIMEZONE: unknown time zone 'Mars/Olympus'" in daemon_log
    assert not (tmp_path / "refused.sqlite").exists()
    assert "/" in fetched and fetched.count("/") == 1

    truth = {a["url"]: a for a in site.ground_truth}
    conn = sqlite3.connect(f"file:{archive}?mode=ro", uri=True)
    try:
        headlines = {urlsplit(url).path: headline for url, headline in conn.execute(
            "SELECT canonical_url, headline FROM articles")}
        assert set(headlines) == set(truth)
        for article in site.ground_truth[:: len(site.ground_truth) // 5]:
            assert headlines[article["url"]] == article["headline"]
        runs = conn.execute("SELECT spider, site, status, finish_reason, new, finished FROM crawl_runs").fetchall()
        assert len(runs) == 1
        spider, run_site, status, reason, new, ended = runs[0]
        assert (spider, run_site, status, reason, new) == (
            "news", urlsplit(server.base_url).netloc, "finished", "finished", len(truth))
        assert ended is not None
    finally:
        conn.close()
