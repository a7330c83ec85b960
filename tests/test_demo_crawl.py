"""End to end: crawl the bundled demo site and check the archive against its ground truth."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from aggregator.archive import decode_row, open_archive
from aggregator.demo_site import DemoServer, build_demo_site
from aggregator.queries import recent, related

from crawl_runner import run_crawl

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo site, served, crawled once, and a second time into the same archive
    with ``refresh`` (every article fetched and written again)."""
    site = build_demo_site()
    archive = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    with DemoServer(site) as server:
        settings = {"SITE_TIMEZONE": site.timezone}
        first = run_crawl(f"{server.base_url}/", archive, settings)
        fetched_once = list(server.requests)
        db = open_archive(archive, create=False)
        rows_after_first = {r["canonical_url"]: dict(r) for r in db.query("SELECT * FROM articles")}
        db.conn.close()
        second = run_crawl(f"{server.base_url}/", archive, settings, spider_args={"refresh": "1"})
    db = open_archive(archive, create=False)
    rows = {urlsplit(r["url"]).path: decode_row(r) for r in db.query("SELECT * FROM articles")}
    truth = {a["url"]: a for a in site.ground_truth}
    yield {
        "archive": archive, "site": site, "db": db, "rows": rows, "truth": truth, "first": first, "second": second,
        "rows_after_first": rows_after_first, "fetched_once": fetched_once,
    }
    db.conn.close()


def test_crawls_finish(demo):
    for result in (demo["first"], demo["second"]):
        assert result.returncode == 0, result.log[-3000:]
        assert result.stats["finish_reason"] == "finished"


def test_every_article_archived_exactly_once(demo):
    assert demo["db"]["articles"].count == len(demo["truth"]) >= 60
    assert set(demo["rows"]) == set(demo["truth"])


def test_no_article_page_fetched_twice(demo):
    article_paths = [p for p in demo["fetched_once"] if p.split("?")[0] in demo["truth"]]
    assert len(article_paths) == len(set(p.split("?")[0] for p in article_paths)) == len(demo["truth"])


def test_non_article_pages_never_archived(demo):
    non_articles = {p.split("?")[0] for p in demo["site"].non_article_paths}
    assert not non_articles & set(demo["rows"])
    not_article = {k: v for k, v in demo["first"].stats.items() if k.startswith("aggregator/pages/not_article/")}
    print(not_article)


@pytest.mark.parametrize(
    "field, column",
    [
        ("headline", "headline"),
        ("datePublished", "date_published"),
        ("section", "section"),
        ("sections", "sections"),
        ("authors", "authors"),
        ("tags", "tags"),
        ("readingTimeMinutes", "reading_time_minutes"),
        ("readingTimeSource", "reading_time_source"),
        ("wordCount", "word_count"),
    ],
)
def test_field_matches_ground_truth(demo, field, column):
    wrong = {
        path: (truth[field], demo["rows"][path][column])
        for path, truth in demo["truth"].items()
        if demo["rows"][path][column] != truth[field]
    }
    assert not wrong, f"{len(wrong)} wrong, e.g. {list(wrong.items())[:3]}"


def test_sidebars_not_taken_for_article_data(demo):
    """Ticker, related and recent widgets carry other articles' titles, dates and labels."""
    other_headlines = {t["headline"] for t in demo["truth"].values()}
    for path, row in demo["rows"].items():
        assert "Related Posts" not in row["article_body"] and "Recent News" not in row["article_body"]
        assert "Welcome Back" not in row["article_body"]
        own = demo["truth"][path]["headline"]
        assert not any(h in row["article_body"] for h in other_headlines - {own})


def test_date_source_and_precision(demo):
    for path, row in demo["rows"].items():
        expected = {"json-ld": "json-ld", "time": "time", "text": "text"}[demo["truth"][path]["dateVariant"]]
        assert row["date_published_raw_source"] == expected
        assert row["date_published_local"] == demo["truth"][path]["datePublishedLocal"]


def test_sections_taxonomy_archived(demo):
    paths = {r["path"] for r in demo["db"].query("SELECT path FROM sections")}
    expected = {"/".join(s["path"]) for s in demo["site"].sections}
    assert expected <= paths


def test_second_crawl_adds_no_duplicates_and_loses_nothing(demo):
    before = demo["rows_after_first"]
    after = {r["canonical_url"]: dict(r) for r in demo["db"].query("SELECT * FROM articles")}
    assert set(after) == set(before)
    for url, row in before.items():
        assert after[url]["first_seen"] == row["first_seen"]
        assert after[url]["headline"] == row["headline"]


def test_recent_lists_newest_first(demo):
    ordered = sorted(demo["truth"].values(), key=lambda a: a["datePublished"], reverse=True)
    rows = recent(demo["db"], limit=5)
    assert [urlsplit(r["url"]).path for r in rows] == [a["url"] for a in ordered[:5]]


def test_recent_by_section_includes_subsections(demo):
    rows = recent(demo["db"], section="World News", limit=1000)
    expected = {p for p, a in demo["truth"].items() if any(s[0] == "World News" for s in a["sections"])}
    assert any(a["section"][0] != "World News" for p, a in demo["truth"].items() if p in expected)
    assert {urlsplit(r["url"]).path for r in rows} == expected
    assert any(len(r["section"]) == 2 for r in rows)


def test_related_share_the_top_level_section(demo):
    same = total = 0
    for path, row in demo["rows"].items():
        for other in related(demo["db"], row["canonical_url"], limit=3):
            assert other["canonical_url"] != row["canonical_url"]
            total += 1
            same += other["section"][0] == row["section"][0]
    assert total >= 3 * len(demo["rows"]) - 3
    assert same / total >= 0.9


def readme_sqlite_utils_commands():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    return [line for line in readme.splitlines() if line.startswith("sqlite-utils ")]


@pytest.mark.parametrize("command", readme_sqlite_utils_commands())
def test_readme_example_queries_run(demo, command):
    """Every sqlite-utils example in the README runs on a crawled archive and prints rows."""
    args = shlex.split(command)[1:]
    args = [str(demo["archive"]) if a == "demo.sqlite" else a for a in args]
    result = subprocess.run([sys.executable, "-m", "sqlite_utils", *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip().splitlines()) >= 3, result.stdout


METADATA = Path(__file__).resolve().parents[1] / "aggregator" / "datasette-metadata.json"


@pytest.mark.parametrize("query", ["recent", "related", "crawl_runs"])
def test_datasette_canned_queries(demo, query):
    """The shipped Datasette metadata serves each canned query on the crawled archive."""
    from urllib.parse import urlencode

    newest = recent(demo["db"], limit=1)[0]["canonical_url"]
    params = {"recent": {"section": "World News", "site": ""}, "related": {"url": newest}, "crawl_runs": {}}[query]
    path = f"/demo/{query}.json?" + urlencode({**params, "_shape": "array"})
    result = subprocess.run(
        [sys.executable, "-m", "datasette", str(demo["archive"]), "-m", str(METADATA), "--get", path],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    rows = json.loads(result.stdout)
    if query == "recent":
        assert rows and any(r["section_path"] == "World News/Asia" for r in rows)
        assert [r["canonical_url"] for r in rows] == [r["canonical_url"] for r in recent(demo["db"], section="World News", limit=50)]
    elif query == "related":
        assert [r["canonical_url"] for r in rows][:3] == [r["canonical_url"] for r in related(demo["db"], newest, limit=3)]
    else:
        assert [(r["status"], r["new"]) for r in rows] == [("finished", 0), ("finished", len(demo["truth"]))]


def test_crawl_runs_record_both_crawls(demo):
    runs = list(demo["db"].query("SELECT * FROM crawl_runs ORDER BY id"))
    assert [(r["status"], r["finish_reason"], r["new"], r["unchanged"], r["updated"]) for r in runs] == [
        ("finished", "finished", len(demo["truth"]), 0, 0),
        ("finished", "finished", 0, len(demo["truth"]), 0),
    ]
    assert all(r["pages"] > len(demo["truth"]) for r in runs)


def test_related_lists_are_precomputed_for_every_article(demo):
    counts = {r["canonical_url"]: r["n"] for r in demo["db"].query(
        "SELECT canonical_url, count(*) n FROM related_articles GROUP BY canonical_url")}
    assert len(counts) == len(demo["truth"]) and min(counts.values()) >= 3
