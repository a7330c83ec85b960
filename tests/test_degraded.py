"""Degraded runs: a run compared with the site's previous runs (aggregator.runs), recorded in crawl_runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from aggregator.archive import finish_run, previous_runs, start_run
from aggregator.runs import COVERAGE_FIELDS, coverage_shares, judge_run

from crawl_runner import ROOT
from small_site import SmallSite

FULL = dict.fromkeys(COVERAGE_FIELDS, 1.0)


def run(articles, **shares):
    return {"articles": articles, "coverage": {**FULL, **shares}}


def test_coverage_shares():
    assert coverage_shares({"datePublished": 2, "headline": 3, "authors": 0}, 3) == {
        "datePublished": 0.667, "section": 0.0, "articleBody": 0.0, "headline": 1.0, "authors": 0.0,
    }
    assert coverage_shares({}, 0) is None


def test_normal_run_is_fine():
    verdict = judge_run(60, {**FULL, "datePublished": 0.9}, 60, [run(60), run(58), run(62)])
    assert verdict.fields == [] and not verdict.degraded and verdict.describe() == ""


def test_coverage_drop_is_degraded():
    verdict = judge_run(60, {**FULL, "datePublished": 0.1}, 60, [run(60, datePublished=0.96), run(60, datePublished=0.95), run(60, datePublished=0.97)])
    assert verdict.fields == ["datePublished"]
    assert verdict.describe() == "datePublished coverage 0.96 → 0.10"


def test_drop_of_exactly_the_limit_is_fine():
    assert judge_run(60, {**FULL, "authors": 0.5}, 60, [run(60, authors=0.75), run(60, authors=0.75)]).fields == []


def test_fewer_articles_is_degraded():
    verdict = judge_run(12, FULL, 12, [run(60), run(50), run(70), run(None)])
    assert verdict.fields == ["articles"]
    assert verdict.describe() == "articles 60 → 12"


def test_articles_and_fields_together():
    verdict = judge_run(12, {**FULL, "section": 0.0, "headline": 0.5}, 12, [run(60), run(60)])
    assert verdict.fields == ["articles", "section", "headline"]
    assert verdict.describe() == "articles 60 → 12; section coverage 1.00 → 0.00; headline coverage 1.00 → 0.50"


def test_needs_two_previous_runs():
    assert judge_run(1, {**FULL, "datePublished": 0.0}, 50, [run(60)]).fields == []


def test_coverage_needs_min_items():
    previous = [run(9, datePublished=1.0), run(9, datePublished=1.0)]
    assert judge_run(9, {**FULL, "datePublished": 0.0}, 9, previous).fields == []
    assert judge_run(9, {**FULL, "datePublished": 0.0}, 9, previous, min_items=5).fields == ["datePublished"]


def test_previous_runs_without_coverage_are_left_out():
    previous = [{"articles": 60, "coverage": None}, run(60), {"articles": 60, "coverage": None}]
    assert judge_run(60, {**FULL, "datePublished": 0.0}, 60, previous).fields == []


def test_finish_run_and_previous_runs(fresh_db):
    ids = [start_run(fresh_db, "news", "a.example") for _ in range(4)]
    other = start_run(fresh_db, "news", "b.example")
    counts = {"pages": 3, "requests": 4, "articles": 2}
    assert finish_run(fresh_db, ids[0], finish_reason="finished", counts=counts, coverage=FULL, degraded_fields=[]) == "finished"
    assert finish_run(fresh_db, ids[1], finish_reason="site_unreachable", counts=counts) == "failed"
    assert finish_run(fresh_db, ids[2], finish_reason="finished", counts=counts, site_name="a", sources=["menu"],
                      coverage={**FULL, "authors": 0.0}, degraded_fields=["authors"]) == "degraded"
    assert finish_run(fresh_db, ids[3], finish_reason="already_running", counts={}) == "skipped"
    finish_run(fresh_db, other, finish_reason="finished", counts=counts)
    row = next(fresh_db.query("SELECT * FROM crawl_runs WHERE id = ?", [ids[2]]))
    assert (row["status"], row["finish_reason"], row["site_name"], row["requests"], row["articles"]) == ("degraded", "finished", "a", 4, 2)
    assert json.loads(row["sources"]) == ["menu"] and json.loads(row["degraded_fields"]) == ["authors"]
    assert json.loads(row["coverage"])["authors"] == 0.0
    previous = previous_runs(fresh_db, "a.example", limit=5, before=ids[3])
    assert [p["id"] for p in previous] == [ids[2], ids[0]]  # newest first; failed and other sites left out
    assert previous[1] == {"id": ids[0], "articles": 2, "coverage": FULL}
    assert [p["id"] for p in previous_runs(fresh_db, "a.example", limit=1)] == [ids[2]]


def scrapy_crawl(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SCRAPY_SETTINGS_MODULE": "aggregator.settings"}
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "news", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
def test_run_whose_dates_break_is_degraded(tmp_path):
    import sqlite3

    archive = tmp_path / "news.sqlite"
    results = []
    with SmallSite() as site:
        for dates in (True, True, False):
            site.dates = dates
            site.edition += 1  # new articles each time: an incremental crawl fetches them
            results.append(scrapy_crawl("-a", f"url={site.url}", "-s", f"ARCHIVE_PATH={archive}", "-s", "AUTOTHROTTLE_ENABLED=False"))
    for result in results:
        assert result.returncode == 0, result.stderr[-2000:]
    assert "run degraded" not in results[0].stderr + results[1].stderr
    assert "run degraded: datePublished coverage 1.00 → 0.00" in results[2].stderr.splitlines()
    assert "Run degraded (datePublished) compared with the last 2 runs of 127.0.0.1:" in results[2].stderr
    with sqlite3.connect(archive) as conn:
        conn.row_factory = sqlite3.Row
        rows = [dict(r) for r in conn.execute("SELECT * FROM crawl_runs ORDER BY id")]
    assert [r["status"] for r in rows] == ["finished", "finished", "degraded"]
    assert [r["finish_reason"] for r in rows] == ["finished"] * 3
    assert [json.loads(r["degraded_fields"]) for r in rows] == [[], [], ["datePublished"]]
    assert [r["articles"] for r in rows] == [12, 12, 12]
    assert all(r["requests"] >= 16 for r in rows)  # home, 3 listings, 12 articles (and robots.txt…)
    assert json.loads(rows[0]["coverage"]) == FULL
    assert json.loads(rows[2]["coverage"]) == {**FULL, "datePublished": 0.0}


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("DEGRADED_ARTICLES_RATIO", "2", "DEGRADED_ARTICLES_RATIO must be a share between 0 and 1, e.g. 0.5, got '2'"),
        ("DEGRADED_RUNS", "1", "DEGRADED_RUNS must be 2 or more (previous runs compared), got '1'"),
        ("CRAWL_LOCK_STALE_SECONDS", "soon", "CRAWL_LOCK_STALE_SECONDS must be 0 or more seconds (0: never stale), got 'soon'"),
        ("PROGRESS_INTERVAL", "0", "PROGRESS_INTERVAL must be more than 0 seconds, got '0'"),
    ],
)
def test_run_settings_are_checked(name, value, message):
    from scrapy.settings import Settings

    from aggregator.config import ConfigError, check_run_settings

    check_run_settings(Settings({"DEGRADED_RUNS": 5, "PROGRESS_INTERVAL": 60}))
    with pytest.raises(ConfigError) as caught:
        check_run_settings(Settings({name: value}))
    assert str(caught.value) == message
