"""Scheduled runs, measured: how cheap a run is when little changed, and traps.

Usage (from the repository root)::

    python bench/scheduled_runs.py                 # 1,000 articles, as the issue asks
    python bench/scheduled_runs.py --articles 300  # quicker

On one served demo site (:func:`aggregator.demo_site.build_demo_site`, on
127.0.0.1, with its sitemaps, feeds and HTTP validators), into one archive,
with the project's default sources (menu, sitemap, feed):

1. a first run on an empty archive;
2. a second run with nothing changed: its requests as a share of the first
   run's (target: at most 5 %);
3. ten new articles published, then a third run: the articles it archives
   as new must be exactly those ten;
4. three articles edited (new body and modification time) and a run with
   ``RECRAWL_DAYS`` wide enough to revisit them: conditional requests, the
   304s, and the revisions recorded.

Then a trap site (the demo site with a calendar whose "next month" never
ends, per-response session ids in links, tag clouds, search links, reply
links, AMP and print twins, and a section whose pagination never ends) is
crawled on an empty archive: the crawl must end on its own, with its
requests a small multiple of the site's real pages.

Requests are counted by the fixture server (robots.txt included); every
crawl runs in its own child process (``tests/crawl_runner.run_crawl``).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any, Optional, Sequence

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from aggregator.demo_site import DemoServer, build_demo_site  # noqa: E402
from tests.crawl_runner import run_crawl  # noqa: E402

SETTINGS = {"AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 16}


def crawl(server: DemoServer, archive: Path, settings: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """One crawl of the served site: requests and statuses seen by the server, the run's row."""
    before = len(server.responses)
    result = run_crawl(f"{server.base_url}/", archive, {**SETTINGS, "SITE_TIMEZONE": "Asia/Singapore", **(settings or {})}, timeout=900)
    if result.returncode != 0:
        print(result.log[-3000:], file=sys.stderr)
        raise SystemExit(f"crawl failed with exit status {result.returncode}")
    responses = server.responses[before:]
    with sqlite3.connect(archive) as db:
        db.row_factory = sqlite3.Row
        run = dict(db.execute("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone())
        new_urls = {row[0] for row in db.execute("SELECT url FROM articles WHERE first_seen >= ?", [run["started"]])}
        revisions = db.execute("SELECT count(*) FROM article_revisions").fetchone()[0]
    return {
        "requests": len(responses),
        "statuses": Counter(status for _, status in responses),
        "run": run,
        "new_urls": new_urls,
        "revisions": revisions,
        "seconds": result.seconds,
        "stats": result.stats,
    }


def line(name: str, outcome: dict[str, Any], first: Optional[dict[str, Any]] = None) -> str:
    run = outcome["run"]
    share = f"{outcome['requests'] / first['requests']:7.1%}" if first else "      -"
    return (
        f"{name:<34} {outcome['requests']:>8} {share} {run['new'] or 0:>6} {run['updated'] or 0:>8} "
        f"{outcome['statuses'].get(304, 0):>6} {outcome['seconds']:>7.1f}"
    )


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000, help="published articles on the first run (default 1000)")
    parser.add_argument("--new", type=int, default=10, help="articles published before the third run (default 10)")
    parser.add_argument("--trap-articles", type=int, default=300, help="articles of the trap site (default 300)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        archive = Path(folder) / "incremental.sqlite"
        site = build_demo_site(args.articles + args.new, unpublished=args.new)
        with DemoServer(site) as server:
            first = crawl(server, archive)
            second = crawl(server, archive)
            published = {server.base_url + truth["url"] for truth in site.publish(args.new)}
            third = crawl(server, archive)
            edited = set(site.edit(3))
            fourth = crawl(server, archive, {"RECRAWL_DAYS": 10_000})

        trap_site = build_demo_site(args.trap_articles, traps=True)
        with DemoServer(trap_site) as server:
            trap = crawl(server, Path(folder) / "trap.sqlite")
        plain_site = build_demo_site(args.trap_articles)
        with DemoServer(plain_site) as server:
            plain = crawl(server, Path(folder) / "plain.sqlite")

    print(f"Demo site, {args.articles} articles, then {args.new} published, then 3 edited (sources: menu, sitemap, feed)\n")
    print(f"{'run':<34} {'requests':>8} {'vs 1st':>7} {'new':>6} {'updated':>8} {'304s':>6} {'seconds':>7}")
    print(line("1. empty archive", first))
    print(line("2. nothing changed", second, first))
    print(line(f"3. after {args.new} new articles", third, first))
    print(line("4. 3 edited, RECRAWL_DAYS=10000", fourth, first))
    print()
    ratio = second["requests"] / first["requests"]
    exact = third["new_urls"] == published and third["run"]["new"] == args.new
    print(f"second run / first run requests: {ratio:.3f}  (target <= 0.05: {'ok' if ratio <= 0.05 else 'MISSED'})")
    print(f"third run archived exactly the {args.new} new articles: {exact}  "
          f"(new {third['run']['new']}, updated {third['run']['updated']}, extra {sorted(third['new_urls'] - published)[:3]}, "
          f"missing {sorted(published - third['new_urls'])[:3]})")
    print(f"edited articles updated by the revisit run: {fourth['run']['updated']} of {len(edited)}; "
          f"revisions recorded: {fourth['revisions']}; 304 answers: {fourth['statuses'].get(304, 0)}")
    print()
    real = trap_site.real_page_count
    print(f"Trap site ({args.trap_articles} articles, {real} real pages): finish reason {trap['stats'].get('finish_reason')}, "
          f"{trap['requests']} requests = {trap['requests'] / real:.2f} x real pages "
          f"(the same site without traps: {plain['requests']} requests = {plain['requests'] / real:.2f} x); "
          f"articles archived {trap['run']['new']} (without traps {plain['run']['new']})")
    return 0 if ratio <= 0.05 and exact else 1


if __name__ == "__main__":
    sys.exit(main())
