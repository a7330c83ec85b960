"""End to end on real pages: crawl a fixed sample of the evaluation corpus, served locally.

The sample is the first ``SAMPLE_PER_SOURCE`` ids of each source in the
manifest, sorted (a rule independent of the crawler's results): 6 scrapinghub,
6 fundus and 6 htmldate pages. They are served by
:class:`bench.corpus_site.CorpusSite` on 127.0.0.1 and crawled once by the
``news`` spider with the benchmark's settings; the archive is joined back to
the manifest on its ``url`` column. ``bench/real_pages.py`` runs the same
crawl over the whole corpus and prints the scores.

The corpus is ``$AGGREGATOR_CORPUS``, else ``$AGGREGATOR_SHARED/corpus``,
else ``<repo root>/../shared/corpus``; without it the module is skipped.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.corpus_site import CorpusSite, default_corpus_path, load_manifest, select_pages  # noqa: E402
from bench.real_pages import (  # noqa: E402
    CRAWL_SETTINGS,
    archived_day,
    gold_day,
    headline_matches,
    read_rows,
    rows_by_page,
)

from crawl_runner import run_crawl  # noqa: E402

CORPUS = default_corpus_path()
if not (CORPUS / "manifest.jsonl").is_file():
    pytest.skip(
        f"evaluation corpus not found at {CORPUS} (set AGGREGATOR_CORPUS to its folder)",
        allow_module_level=True,
    )

pytestmark = pytest.mark.slow

SAMPLE_PER_SOURCE = 6
REAL_ARTICLE_SOURCES = ("fundus", "scrapinghub")
"""Sources whose pages are all news or blog articles: every one must be archived."""
FUNDUS_MIN_HEADLINES = 4
FUNDUS_MIN_DAYS = 5


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    """The sample, served and crawled once: ``site``, ``result`` (the
    :class:`crawl_runner.CrawlResult`), ``rows`` (page id → archive rows),
    ``unjoined`` (rows naming no page) and ``fetched`` (ids served with 200)."""
    records = select_pages(load_manifest(CORPUS), limit_per_source=SAMPLE_PER_SOURCE)
    archive = tmp_path_factory.mktemp("real-pages") / "archive.sqlite"
    with CorpusSite(CORPUS, records) as site:
        result = run_crawl(site.url, archive, settings=CRAWL_SETTINGS, timeout=120)
        fetched = {pid for pid, reqs in site.article_requests().items() if any(r.status == 200 for r in reqs)}
    rows, unjoined = rows_by_page(site, read_rows(archive))
    return {"site": site, "result": result, "rows": rows, "unjoined": unjoined, "fetched": fetched}


def _pages(crawl, source):
    return [p for p in crawl["site"].pages if p.source == source]


def _row(crawl, page):
    rows = crawl["rows"].get(page.id)
    return rows[0] if rows else None


def test_sample_is_fixed():
    records = select_pages(load_manifest(CORPUS), limit_per_source=SAMPLE_PER_SOURCE)
    for source in ("scrapinghub", "fundus", "htmldate"):
        ids = [r["id"] for r in records if r["source"] == source]
        assert len(ids) == SAMPLE_PER_SOURCE and ids == sorted(ids)


def test_crawl_exits_zero(crawl):
    result = crawl["result"]
    assert result.returncode == 0, result.log[-3000:]
    assert result.stat("finish_reason") == "finished"


@pytest.mark.parametrize("source", REAL_ARTICLE_SOURCES)
def test_every_real_article_is_archived(crawl, source):
    missing = {
        p.id: ("fetched, not archived" if p.id in crawl["fetched"] else f"never fetched ({p.path[:80]})")
        for p in _pages(crawl, source)
        if not crawl["rows"].get(p.id)
    }
    assert not missing, f"{len(missing)} of {SAMPLE_PER_SOURCE} {source} articles not archived: {missing}"


def test_one_archive_row_per_archived_page(crawl):
    duplicated = {pid: len(rows) for pid, rows in crawl["rows"].items() if len(rows) > 1}
    assert not duplicated
    assert not crawl["unjoined"], [row["url"] for row in crawl["unjoined"]]


def test_fundus_headlines_match_gold(crawl):
    pages = _pages(crawl, "fundus")
    misses = {
        p.id: (p.record["title"], (_row(crawl, p) or {}).get("headline"))
        for p in pages
        if not headline_matches(p.record["title"], (_row(crawl, p) or {}).get("headline"))
    }
    assert len(pages) - len(misses) >= FUNDUS_MIN_HEADLINES, misses


def test_fundus_publication_days_match_gold(crawl):
    pages = _pages(crawl, "fundus")
    misses = {
        p.id: (p.record["date_published"], archived_day(_row(crawl, p)))
        for p in pages
        if archived_day(_row(crawl, p)) != gold_day(p.record["date_published"])
    }
    assert len(pages) - len(misses) >= FUNDUS_MIN_DAYS, misses
