"""Crawl the evaluation corpus's real pages, served locally, and score the archive.

Usage (from the repository root)::

    python bench/real_pages.py                          # all 718 dev pages
    python bench/real_pages.py --limit-per-source 20    # the first 20 ids of each source
    python bench/real_pages.py --corpus ../shared/corpus --keep-archive real.sqlite
    python bench/real_pages.py --via-proxy              # as http://corpus-news.test/ (no port)

The corpus folder is ``--corpus``, else ``$AGGREGATOR_CORPUS``, else
``$AGGREGATOR_SHARED/corpus``, else ``<repo root>/../shared/corpus``. The pages are served by
:class:`bench.corpus_site.CorpusSite` on 127.0.0.1 (nothing touches the
internet) and crawled by the ``news`` spider through
``tests/crawl_runner.run_crawl``: by default at
``http://127.0.0.1:<port>/``; with ``--via-proxy`` at
``http://corpus-news.test/``, the same server acting as the crawl's HTTP
proxy (``http_proxy`` in the crawl's environment), so the crawler sees a host
without a port as on a real site. The ``articles`` table is then joined to the
manifest on its ``url`` column (the URL fetched), and the script prints, per
source and overall:

* pages in the site, article pages fetched (HTTP 200), articles archived and
  the share of pages archived;
* headline: exact match with the gold title after whitespace normalization
  (pages with a gold title);
* day: the gold date's calendar day (as written, in its own offset) against
  the archived ``date_published_local`` day, else ``date_published``;
* minute: on pages whose gold date has a time and an offset, the archived
  ``date_published`` (UTC) against the gold converted to UTC, both cut to the
  minute; an archived day-precision value counts as wrong;

(an unarchived page counts as a miss of every field it has gold for), the
crawl's wall time and article pages per second, its ``aggregator/`` stats
(why pages were not archived), the reason each fetched page was not archived
(the spider's own :func:`aggregator.extraction.extract_article` run again on
it), and examples of misses per field. There are no per-publisher rules.
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence
from urllib.parse import urljoin

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.corpus_site import (  # noqa: E402
    SOURCES,
    CorpusError,
    CorpusPage,
    CorpusSite,
    default_corpus_path,
    load_manifest,
    proxy_environment,
    select_pages,
)

CRAWL_SETTINGS: dict[str, Any] = {
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "SECTION_MAX_PAGES": 1000,
}
"""Settings overrides of the benchmark crawl (a local site needs no politeness)."""

VIRTUAL_HOST = "corpus-news.test"
"""Host name of the site with ``--via-proxy`` (``.test`` is reserved: never a real host)."""

EXAMPLES_PER_FIELD = 4
"""Misses printed per field and source."""


# --- comparisons --------------------------------------------------------------
def normalize_space(text: Optional[str]) -> Optional[str]:
    """Collapse runs of whitespace to one space and strip; None stays None."""
    return " ".join(text.split()) if isinstance(text, str) else None


def headline_matches(gold: Optional[str], got: Optional[str]) -> bool:
    """True when the archived headline equals the gold title, whitespace-normalized."""
    return gold is not None and normalize_space(gold) == normalize_space(got)


def gold_day(gold: str) -> str:
    """The calendar day of a gold date as written (``YYYY-MM-DD``): day-only
    values, midnight values and timestamps alike, in their own offset."""
    return gold.strip()[:10]


def gold_instant(gold: Optional[str]) -> Optional[datetime]:
    """The gold date as an aware UTC datetime when it has a time and an
    offset (``2024-05-03T15:47:42.389+00:00``); None for day-only values and
    times without offset (not comparable to the minute)."""
    if not gold or len(gold.strip()) <= 10:
        return None
    try:
        value = datetime.fromisoformat(gold.strip())
    except ValueError:
        return None
    if value.tzinfo is None:
        return None
    return value.astimezone(timezone.utc)


def archived_day(row: Optional[dict[str, Any]]) -> Optional[str]:
    """The archived publication day: ``date_published_local``'s day, else
    ``date_published``'s; None when the row has neither."""
    if not row:
        return None
    value = row.get("date_published_local") or row.get("date_published")
    return value[:10] if value else None


def archived_instant(row: Optional[dict[str, Any]]) -> Optional[datetime]:
    """The archived ``date_published`` as an aware UTC datetime; None when
    missing or of day precision."""
    if not row:
        return None
    value = row.get("date_published")
    if not value or row.get("date_published_precision") == "day" or len(value) <= 10:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def same_minute(a: Optional[datetime], b: Optional[datetime]) -> bool:
    """True when two aware datetimes fall in the same UTC minute."""
    if a is None or b is None:
        return False
    cut = lambda d: d.astimezone(timezone.utc).replace(second=0, microsecond=0)  # noqa: E731
    return cut(a) == cut(b)


# --- archive ------------------------------------------------------------------
ROW_COLUMNS = ("canonical_url", "url", "headline", "date_published", "date_published_local", "date_published_precision", "date_published_raw", "date_published_raw_source")


def read_rows(archive: Path) -> list[dict[str, Any]]:
    """The ``articles`` rows of an archive (only the columns scored here);
    [] when the archive or its table does not exist."""
    if not archive.exists():
        return []
    conn = sqlite3.connect(f"file:{archive}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(f"SELECT {', '.join(ROW_COLUMNS)} FROM articles")]
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


def rows_by_page(site: CorpusSite, rows: Iterable[dict[str, Any]]) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """Join archive rows to pages on the fetched ``url``.

    :returns: ``({page id: [rows]}, [rows whose url names no page])``.
    """
    joined: dict[str, list[dict[str, Any]]] = defaultdict(list)
    unmatched = []
    for row in rows:
        page = site.page_for_url(row.get("url") or "")
        if page is None:
            unmatched.append(row)
        else:
            joined[page.id].append(row)
    return dict(joined), unmatched


# --- scoring ------------------------------------------------------------------
@dataclass
class Score:
    """Counts of one source (or all): pages, fetched, archived, and per
    field ``(hits, scored pages)``; ``misses`` per field as ``(id, gold, got)``."""

    pages: int = 0
    fetched: int = 0
    archived: int = 0
    duplicated: int = 0
    headline: list[int] = field(default_factory=lambda: [0, 0])
    day: list[int] = field(default_factory=lambda: [0, 0])
    minute: list[int] = field(default_factory=lambda: [0, 0])
    misses: dict[str, list[tuple[str, str, str]]] = field(default_factory=lambda: defaultdict(list))

    def add(self, other: "Score") -> None:
        """Add another score's counts (not its misses)."""
        self.pages += other.pages
        self.fetched += other.fetched
        self.archived += other.archived
        self.duplicated += other.duplicated
        for name in ("headline", "day", "minute"):
            mine, theirs = getattr(self, name), getattr(other, name)
            mine[0] += theirs[0]
            mine[1] += theirs[1]


def score_page(page: CorpusPage, rows: Sequence[dict[str, Any]], fetched: bool, score: Score) -> None:
    """Add one page's results to ``score``.

    :param rows: the archive rows joined to the page (0, 1, or more: duplicates).
    :param fetched: whether the site served the page (HTTP 200).
    """
    gold = page.record
    row = rows[0] if rows else None
    score.pages += 1
    score.fetched += int(fetched)
    score.archived += int(bool(rows))
    score.duplicated += int(len(rows) > 1)
    got_missing = "(not archived)" if row is None else None
    if gold.get("title"):
        ok = headline_matches(gold["title"], row.get("headline") if row else None)
        score.headline[0] += ok
        score.headline[1] += 1
        if not ok:
            score.misses["headline"].append((page.id, gold["title"], got_missing or repr(row.get("headline"))))
    if gold.get("date_published"):
        day = archived_day(row)
        ok = day == gold_day(gold["date_published"])
        score.day[0] += ok
        score.day[1] += 1
        instant = gold_instant(gold["date_published"])
        if not ok:
            got = got_missing or _date_got(row)
            if instant is not None and same_minute(instant, archived_instant(row)):
                got += "  [same instant, other offset]"
            score.misses["day"].append((page.id, gold["date_published"], got))
        if instant is not None:
            ok = same_minute(instant, archived_instant(row))
            score.minute[0] += ok
            score.minute[1] += 1
            if not ok:
                score.misses["minute"].append((page.id, gold["date_published"], got_missing or _date_got(row)))


def _date_got(row: dict[str, Any]) -> str:
    return (
        f"{row.get('date_published')} (local {row.get('date_published_local')}, "
        f"raw {row.get('date_published_raw')!r} from {row.get('date_published_raw_source')})"
    )


def not_archived_reasons(pages: Iterable[CorpusPage], fetched_urls: dict[str, str], base_url: str) -> dict[str, str]:
    """Why each page has no archive row: ``not fetched`` (the crawler never
    requested it), else the reason :func:`aggregator.extraction.extract_article`
    gives on the page as served (``no_date``, ``listing``…), or ``extracted as
    an article`` (the row was lost later, e.g. merged with another page's
    canonical URL).

    :param fetched_urls: page id → absolute URL it was fetched at.
    :param base_url: the site's home page URL, for the URLs of unfetched pages.
    :returns: page id → reason.
    """
    from aggregator.extraction import extract_article
    from aggregator.urls import NOT_ARTICLE

    reasons = {}
    for page in pages:
        url = fetched_urls.get(page.id)
        if url is None:
            denied = NOT_ARTICLE.search(urljoin(base_url, page.path))
            reasons[page.id] = "not fetched" + (f" (link matches NOT_ARTICLE: {denied.group(0)!r})" if denied else "")
            continue
        result = extract_article(url, page.read(), {"Content-Type": page.content_type})
        reasons[page.id] = result.reason if not result.is_article else (
            f"extracted as an article (canonical {result.fields.get('canonicalUrl')})"
        )
    return reasons


# --- report -------------------------------------------------------------------
def _ratio(pair: Sequence[int]) -> str:
    hits, total = pair
    return f"{hits}/{total} {100 * hits / total:5.1f}%" if total else "-"


def _short(text: Any, width: int = 90) -> str:
    text = normalize_space(str(text)) or ""
    return text if len(text) <= width else text[: width - 1] + "…"


def format_table(scores: dict[str, Score]) -> list[str]:
    """The results table, one line per source and one for all."""
    head = f"{'source':<12} {'pages':>5} {'fetched':>7} {'archived':>14} {'dup':>3}  {'headline':<17} {'day':<17} {'minute+offset':<17}"
    lines = [head, "-" * len(head)]
    for name, s in scores.items():
        archived = f"{s.archived} {100 * s.archived / s.pages:5.1f}%" if s.pages else "-"
        lines.append(
            f"{name:<12} {s.pages:>5} {s.fetched:>7} {archived:>14} {s.duplicated:>3}  "
            f"{_ratio(s.headline):<17} {_ratio(s.day):<17} {_ratio(s.minute):<17}"
        )
    return lines


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the benchmark; prints the report on stdout.

    :returns: the exit status: 0, or 2 when the corpus is missing, 3 when
        the crawl timed out, or the crawl's own non-zero status.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=None, help="corpus folder (default: $AGGREGATOR_CORPUS, else $AGGREGATOR_SHARED/corpus, else <repo>/../shared/corpus)")
    parser.add_argument("--limit-per-source", type=int, default=None, metavar="N", help="serve only the first N ids of each source")
    parser.add_argument("--keep-archive", type=Path, default=None, metavar="PATH", help="write the archive here and keep it (an existing file is replaced)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds before the crawl is killed (default 900)")
    parser.add_argument("--examples", type=int, default=EXAMPLES_PER_FIELD, help="misses printed per field and source")
    parser.add_argument("--via-proxy", action="store_true", help=f"crawl http://{VIRTUAL_HOST}/ through the local server as HTTP proxy")
    parser.add_argument("--no-explain", action="store_true", help="skip re-extracting unarchived pages to tell why")
    args = parser.parse_args(argv)

    corpus = (args.corpus or default_corpus_path()).resolve()
    try:
        records = select_pages(load_manifest(corpus), limit_per_source=args.limit_per_source)
    except CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from tests.crawl_runner import run_crawl

    with tempfile.TemporaryDirectory(prefix="real-pages-") as tmp:
        archive = Path(tmp) / "archive.sqlite"
        if args.keep_archive:
            archive = args.keep_archive.expanduser().resolve()
            archive.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{archive}{suffix}").unlink(missing_ok=True)
        with CorpusSite(corpus, records, virtual_host=VIRTUAL_HOST if args.via_proxy else None) as site:
            via = f" via proxy {site.proxy_url}" if args.via_proxy else ""
            print(f"corpus: {corpus} ({len(site.pages)} pages)  site: {site.url}{via}", flush=True)
            try:
                if args.via_proxy:
                    with proxy_environment(site):
                        settings = {**CRAWL_SETTINGS, "HTTPPROXY_ENABLED": True}
                        result = run_crawl(site.url, archive, settings=settings, timeout=args.timeout)
                else:
                    result = run_crawl(site.url, archive, settings=CRAWL_SETTINGS, timeout=args.timeout)
            except subprocess.TimeoutExpired:
                print(f"error: the crawl did not finish in {args.timeout:.0f} s (--timeout)", file=sys.stderr)
                return 3
            rows = read_rows(archive)
            requests = site.article_requests()
            base = site.url
        joined, unmatched = rows_by_page(site, rows)
        fetched_urls = {
            pid: urljoin(base, next(r.path for r in reqs if r.status == 200))
            for pid, reqs in requests.items()
            if any(r.status == 200 for r in reqs)
        }
        missing = [p for p in site.pages if p.id not in joined]
        started = time.monotonic()
        reasons = {} if args.no_explain else not_archived_reasons(missing, fetched_urls, base)
        explain_seconds = time.monotonic() - started

    scores: dict[str, Score] = {}
    for source in SOURCES:
        pages = [p for p in site.pages if p.source == source]
        if not pages:
            continue
        score = Score()
        for page in pages:
            score_page(page, joined.get(page.id, []), page.id in fetched_urls, score)
        scores[source] = score
    total = Score()
    for score in scores.values():
        total.add(score)
    scores["all"] = total

    out: list[str] = [""]
    out += format_table(scores)
    out.append("(fetched: article pages the crawler requested and the site served; archived: % of pages in the site;")
    out.append(" dup: pages with more than one row; fields are scored on pages with gold,")
    out.append(" an unarchived page is a miss; day: gold day as written vs archived local day; minute+offset: gold with time and offset, UTC minute)")
    elapsed = float(result.stat("elapsed_time_seconds", 0) or 0)
    fetched = sum(s.fetched for name, s in scores.items() if name != "all")
    out.append("")
    out.append(
        f"crawl: exit {result.returncode}, finish_reason {result.stat('finish_reason', '?')}, "
        f"wall {result.seconds:.1f} s (child process), crawl {elapsed:.1f} s, "
        f"{fetched / elapsed if elapsed else 0:.1f} article pages/s, peak RSS {result.peak_rss_mib:.0f} MiB"
    )
    stats = sorted((k, v) for k, v in result.stats.items() if k.startswith("aggregator/") and not k.endswith("_seconds"))
    out.append("stats: " + ", ".join(f"{k.removeprefix('aggregator/')}={v}" for k, v in stats))
    not_article = [(k, v) for k, v in stats if k.startswith("aggregator/pages/not_article/")]
    out.append("not archived per crawl stats: " + (", ".join(f"{k.rsplit('/', 1)[1]}={v}" for k, v in not_article) or "none"))
    statuses = {k.rsplit("/", 1)[1]: v for k, v in result.stats.items() if k.startswith("downloader/response_status_count/")}
    out.append(f"responses by status: {dict(sorted(statuses.items()))}; other requests to the site: "
               f"{sum(1 for r in site.requests if not r.page_id)}; archive rows: {len(rows)}, not joined to a page: {len(unmatched)}")
    for row in unmatched[:args.examples]:
        out.append(f"  unjoined row: url={_short(row.get('url'), 80)} canonical={_short(row.get('canonical_url'), 60)}")
    dropped = sorted({(pid, r.dropped) for pid, reqs in requests.items() for r in reqs if r.dropped})
    if dropped:
        out.append("query parameters the crawler dropped from article URLs: " + "; ".join(f"{pid}: {','.join(d)}" for pid, d in dropped))
    if reasons:
        out.append(f"why pages were not archived (re-extracted, {explain_seconds:.1f} s):")
        for source in SOURCES:
            counts = Counter(
                r.split(" (")[0]
                for pid, r in reasons.items() if site.by_id[pid].source == source
            )
            if counts:
                out.append(f"  {source:<12} " + ", ".join(f"{k}={v}" for k, v in counts.most_common()))
    if not fetched:
        out.append("warning: the crawler requested no article page (its log tail follows)")
    if result.returncode != 0 or not fetched:
        out.append("crawl log tail:")
        out += ["  " + line for line in result.log.splitlines()[-20:]]

    out.append("")
    out.append("examples of misses (id | gold | got):")
    for source, score in scores.items():
        if source == "all":
            continue
        unarchived = [p.id for p in site.pages if p.source == source and p.id not in joined]
        if unarchived:
            out.append(f"  [{source}] not archived ({len(unarchived)}):")
            for pid in unarchived[: args.examples]:
                out.append(f"    {pid} | {_short(site.by_id[pid].original_url, 70)} | {reasons.get(pid, '?')}")
        for name in ("headline", "day", "minute"):
            misses = score.misses.get(name, [])
            if not misses:
                continue
            out.append(f"  [{source}] {name} ({len(misses)} misses):")
            for pid, gold, got in misses[: args.examples]:
                out.append(f"    {pid} | {_short(gold, 70)} | {_short(got, 110)}")
    print("\n".join(out))
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
