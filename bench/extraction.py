"""Article extraction on the corpus's real pages: ours against trafilatura alone.

Usage (from the repository root)::

    python bench/extraction.py                          # every page of the manifest
    python bench/extraction.py --corpus ../shared/corpus
    python bench/extraction.py --source fundus --limit 30
    python bench/extraction.py --misses 5               # also print the worst pages per metric

Each page of ``manifest.jsonl`` is read once and given, interleaved (the
order alternates from page to page so neither tool profits from warm
caches), to

* **ours**: :func:`aggregator.extraction.extract_article`, then the dates
  pipeline (:class:`pipelines.dates.DatesPipeline`) on its date candidates,
  exactly as a crawl does, fetched at the page's crawl date when the
  manifest gives one;
* **trafilatura**: ``trafilatura.bare_extraction(body, url=url,
  with_metadata=True)`` with its default options: its own title, author,
  date (``YYYY-MM-DD``) and main text.

Per source and overall, for both, it prints:

* ``headline``: exact match with the gold title after whitespace
  normalization, on pages with a gold title;
* ``day``: the publication day (in the value's own offset) equals the gold
  day; ``minute``: on pages whose gold date has a time and an offset (not a
  bare midnight), the UTC instant is in the same minute as the gold's (a
  day-only value is wrong);
* ``authors``: set F1 of the author names, case- and whitespace-normalized,
  averaged over pages whose gold lists authors (both empty counts 1);
* ``body P/R/F1``: the article-extraction-benchmark measure: 4-gram shingles
  of ``\\w+`` tokens counted as a multiset, per page true/false positives
  and false negatives normalized to sum 1, precision and recall averaged
  over the pages where they are defined, F1 of those two means;
* ``raised`` (an exception escaped) and ``empty`` (neither a headline nor a
  body came out);
* the median and 95th percentile milliseconds per page;

and, on pages with a gold title, how many each headline candidate (JSON-LD
/ microdata, ``og:title``, the main ``<h1>``, ``twitter:title``,
``<title>``, each without the site's name) gets right, the best fixed order
of them, and the ceiling of any choice among them (some candidate is right).

Nothing touches the network; trafilatura gets the raw bytes (it decodes them
itself), ours gets them with the ``Content-Type`` a server would send.
"""

from __future__ import annotations

import argparse
import gzip
import logging
import re
import statistics
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
FETCHED = datetime(2026, 11, 1, tzinfo=timezone.utc)
"""Fetch time for pages whose manifest gives no crawl date (after every gold date)."""
TOOLS = ("ours", "trafilatura")
SHINGLE_SIZE = 4
_TOKEN = re.compile(r"\w+")


# --- scoring -------------------------------------------------------------------
def normalize_space(text: Optional[str]) -> Optional[str]:
    """Collapse runs of whitespace and strip; None stays None."""
    return " ".join(text.split()) if isinstance(text, str) else None


def shingles(text: Optional[str], size: int = SHINGLE_SIZE) -> Counter:
    """The multiset of ``size``-token shingles of a text (``\\w+`` tokens);
    a text shorter than ``size`` tokens is one shingle of all of them."""
    tokens = _TOKEN.findall(text or "")
    if len(tokens) < size:
        return Counter([tuple(tokens)] if tokens else [])
    return Counter(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


def body_counts(gold: Optional[str], got: Optional[str]) -> tuple[float, float, float]:
    """``(tp, fp, fn)`` over shingles, normalized to sum 1 (all 0 when both are empty)."""
    true, pred = shingles(gold), shingles(got)
    tp = sum((true & pred).values())
    fp = sum((pred - true).values())
    fn = sum((true - pred).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def body_scores(counts: list[tuple[float, float, float]]) -> Optional[tuple[float, float, float]]:
    """``(precision, recall, f1)``: precision averaged over pages that predicted
    something, recall over pages with gold text, F1 of the two means."""
    precisions = [1.0 if fp == fn == 0 else tp / (tp + fp) for tp, fp, fn in counts if tp + fp > 0]
    recalls = [1.0 if fp == fn == 0 else tp / (tp + fn) for tp, fp, fn in counts if tp + fn > 0]
    if not counts:
        return None
    precision = statistics.mean(precisions) if precisions else 0.0
    recall = statistics.mean(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def author_key(name: str) -> str:
    return " ".join(name.casefold().split())


def authors_f1(gold: list[str], got: list[str]) -> float:
    """Set F1 of two author lists, case- and whitespace-normalized."""
    true = {author_key(a) for a in gold if a and a.strip()}
    pred = {author_key(a) for a in got if a and a.strip()}
    if not true and not pred:
        return 1.0
    hits = len(true & pred)
    if not hits:
        return 0.0
    precision, recall = hits / len(pred), hits / len(true)
    return 2 * precision * recall / (precision + recall)


def gold_instant(gold: str) -> Optional[datetime]:
    """The gold date as an aware UTC datetime when it has a time and an
    offset and is not a bare midnight (a day given as a timestamp)."""
    if len(gold) <= 10 or gold[10:19] == "T00:00:00":
        return None
    try:
        value = datetime.fromisoformat(gold)
    except ValueError:
        return None
    return value.astimezone(timezone.utc) if value.tzinfo else None


def same_minute(a: Optional[datetime], b: Optional[datetime]) -> bool:
    if a is None or b is None:
        return False
    cut = lambda d: d.astimezone(timezone.utc).replace(second=0, microsecond=0)  # noqa: E731
    return cut(a) == cut(b)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


# --- the two tools -------------------------------------------------------------
@dataclass
class Output:
    """What one tool gave for one page, in the benchmark's terms."""

    headline: Optional[str] = None
    day: Optional[str] = None
    instant: Optional[datetime] = None
    authors: list[str] = field(default_factory=list)
    body: Optional[str] = None
    raised: Optional[str] = None
    ms: float = 0.0
    date_note: Optional[str] = None

    @property
    def empty(self) -> bool:
        return not self.raised and not (self.headline or self.body)


class Ours:
    """``extract_article`` and the dates pipeline, as the spider and pipeline run them."""

    name = "ours"

    def __init__(self) -> None:
        from scrapy.utils.test import get_crawler

        from aggregator.extraction import extract_article
        from aggregator.items import Article
        from pipelines.dates import DatesPipeline

        crawler = get_crawler(settings_dict={})
        crawler.stats.open_spider()
        self.pipeline = DatesPipeline.from_crawler(crawler)
        self.extract_article = extract_article
        self.article = Article
        self.names = set(Article.__dataclass_fields__)

    def run(self, record: dict, body: bytes) -> Output:
        content_type = "text/html; charset=utf-8" if record["source"] == "fundus" else "text/html"
        result = self.extract_article(record["url"] or "http://corpus.test/", body, {"Content-Type": content_type})
        fields = {k: v for k, v in result.fields.items() if k in self.names and k not in ("url", "site")}
        item = self.pipeline.process_item(
            self.article(url=record["url"] or "", site="corpus", dateDownloaded=fetched_at(record), **fields)
        )
        out = Output(headline=item.headline, authors=list(item.authors or []), body=item.articleBody)
        out.day = (item.datePublishedLocal or item.datePublished or "")[:10] or None
        out.date_note = f"{item.datePublishedRaw!r} from {item.datePublishedRawSource}"
        if item.datePublished and item.datePublishedPrecision in ("minute", "second"):
            out.instant = datetime.fromisoformat(item.datePublished.replace("Z", "+00:00"))
        return out


class Trafilatura:
    """``trafilatura.bare_extraction`` with default options and its metadata."""

    name = "trafilatura"

    def __init__(self) -> None:
        from trafilatura import bare_extraction

        self.bare_extraction = bare_extraction

    def run(self, record: dict, body: bytes) -> Output:
        doc = self.bare_extraction(body, url=record["url"], with_metadata=True)
        if doc is None:
            return Output()
        authors = [a.strip() for a in (doc.author or "").split(";") if a.strip()]
        out = Output(headline=doc.title, authors=authors, body=doc.text)
        out.day = (doc.date or "")[:10] or None
        if doc.date and len(doc.date) > 10:  # only with a non-default output format
            try:
                moment = datetime.fromisoformat(doc.date)
                out.instant = moment.astimezone(timezone.utc) if moment.tzinfo else None
            except ValueError:
                pass
        return out


def fetched_at(record: dict) -> str:
    """The page's crawl time (fundus gives one), else :data:`FETCHED`, as ISO 8601 UTC."""
    crawl_date = (record.get("extra") or {}).get("crawl_date")
    moment = FETCHED
    if crawl_date:
        try:
            moment = datetime.fromisoformat(str(crawl_date).replace(" ", "T"))
            moment = moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
        except ValueError:
            moment = FETCHED
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def timed(tool: Any, record: dict, body: bytes) -> Output:
    started = time.perf_counter()
    try:
        out = tool.run(record, body)
    except Exception as exc:  # counted, never fatal: the benchmark goes on
        out = Output(raised=f"{type(exc).__name__}: {exc}")
        logging.getLogger(__name__).debug("%s raised on %s\n%s", tool.name, record["id"], traceback.format_exc())
    out.ms = (time.perf_counter() - started) * 1000
    return out


# --- the run -------------------------------------------------------------------
def load_records(corpus: Path, sources: Optional[list[str]], limit: Optional[int]) -> list[dict]:
    """Manifest records, of the given sources, the first ``limit`` of each."""
    import json

    manifest = corpus / "manifest.jsonl"
    if not manifest.is_file():
        raise SystemExit(f"no corpus manifest at {manifest} (use --corpus)")
    records = [json.loads(line) for line in manifest.read_text(encoding="utf-8").splitlines() if line.strip()]
    if sources:
        records = [r for r in records if r["source"] in sources]
    if limit is not None:
        taken: Counter = Counter()
        kept = []
        for record in records:
            if taken[record["source"]] < limit:
                taken[record["source"]] += 1
                kept.append(record)
        records = kept
    return records


def run(corpus: Path, records: list[dict], progress: bool = True) -> list[dict]:
    """Both tools on every page; each record gains ``"out": {tool: Output}``."""
    tools = [Ours(), Trafilatura()]
    for i, record in enumerate(records):
        body = gzip.open(corpus / record["file"]).read()
        order = tools if i % 2 == 0 else tools[::-1]
        record["out"] = {tool.name: timed(tool, record, body) for tool in order}
        if progress and (i + 1) % 50 == 0:
            print(f"  {i + 1}/{len(records)} pages", file=sys.stderr, flush=True)
    return records


@dataclass
class Scores:
    pages: int = 0
    headline: list[bool] = field(default_factory=list)
    day: list[bool] = field(default_factory=list)
    minute: list[bool] = field(default_factory=list)
    authors: list[float] = field(default_factory=list)
    body: list[tuple[float, float, float]] = field(default_factory=list)
    raised: int = 0
    empty: int = 0
    ms: list[float] = field(default_factory=list)


def score(records: Iterable[dict], tool: str) -> Scores:
    s = Scores()
    for record in records:
        out: Output = record["out"][tool]
        s.pages += 1
        s.raised += bool(out.raised)
        s.empty += out.empty
        s.ms.append(out.ms)
        if record.get("title"):
            s.headline.append(normalize_space(out.headline) == normalize_space(record["title"]))
        gold = (record.get("date_published") or "").strip()
        if gold:
            s.day.append(out.day == gold[:10])
            instant = gold_instant(gold)
            if instant is not None:
                s.minute.append(same_minute(out.instant, instant))
        if record.get("authors") is not None:
            s.authors.append(authors_f1(record["authors"], out.authors))
        if record.get("body"):
            s.body.append(body_counts(record["body"], out.body))
    return s


def _share(values: list, digits: int = 3) -> str:
    return f"{sum(values) / len(values):.{digits}f}" if values else "-"


COLUMNS = (
    ("source", 12), ("tool", 12), ("pages", 6), ("headline", 9), ("day", 7), ("minute", 7),
    ("authors", 8), ("body P", 7), ("body R", 7), ("body F1", 8), ("raised", 7), ("empty", 6),
    ("med ms", 7), ("p95 ms", 7),
)


def row(source: str, tool: str, s: Scores) -> str:
    body = body_scores(s.body)
    cells = [
        source, tool, str(s.pages), _share(s.headline), _share(s.day), _share(s.minute), _share(s.authors),
        *([f"{v:.3f}" for v in body] if body else ["-", "-", "-"]),
        str(s.raised), str(s.empty),
        f"{statistics.median(s.ms):.1f}" if s.ms else "-", f"{percentile(s.ms, 0.95):.1f}" if s.ms else "-",
    ]
    return "".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, (_, w)) in enumerate(zip(cells, COLUMNS)))


def print_table(records: list[dict]) -> None:
    header = "".join(n.ljust(w) if i < 2 else n.rjust(w) for i, (n, w) in enumerate(COLUMNS))
    print(header)
    print("-" * len(header))
    groups = sorted({r["source"] for r in records})
    for source in [*groups, "overall"]:
        chosen = records if source == "overall" else [r for r in records if r["source"] == source]
        for tool in TOOLS:
            print(row(source, tool, score(chosen, tool)))
        counts = score(chosen, TOOLS[0])
        print(
            f"{'':12}{'(scored on':>12} headline {len(counts.headline)}, day {len(counts.day)},"
            f" minute {len(counts.minute)}, authors {len(counts.authors)}, body {len(counts.body)} pages)"
        )
    ours = statistics.median(score(records, "ours").ms)
    theirs = statistics.median(score(records, "trafilatura").ms)
    print(f"\nmedian time ours / trafilatura: {ours / theirs:.2f}x")


def print_misses(records: list[dict], n: int, tool: str = "ours") -> None:
    """The worst pages of ``tool`` per metric, to see what goes wrong."""
    def show(title: str, rows: list[tuple[Any, str, str]]) -> None:
        print(f"\n== {tool} {title}: {len(rows)} misses")
        for _, ident, text in sorted(rows, key=lambda r: r[0])[:n]:
            print(f"  {ident}: {text}")

    headline, day, minute, authors, body, raised = [], [], [], [], [], []
    for r in records:
        out: Output = r["out"][tool]
        if out.raised:
            raised.append((0, r["id"], out.raised))
        if r.get("title") and normalize_space(out.headline) != normalize_space(r["title"]):
            headline.append((0, r["id"], f"gold {r['title']!r} got {out.headline!r}"))
        gold = (r.get("date_published") or "").strip()
        if gold and out.day != gold[:10]:
            day.append((0, r["id"], f"gold {gold} got {out.day} ({out.date_note})"))
        if gold and gold_instant(gold) and not same_minute(out.instant, gold_instant(gold)):
            minute.append((0, r["id"], f"gold {gold} got {out.instant}"))
        if r.get("authors") is not None:
            f1 = authors_f1(r["authors"], out.authors)
            if f1 < 1:
                authors.append((f1, r["id"], f"gold {r['authors']} got {out.authors}"))
        if r.get("body"):
            tp, fp, fn = body_counts(r["body"], out.body)
            f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
            if f1 < 0.9:
                body.append((f1, r["id"], f"F1 {f1:.2f} P {tp / (tp + fp) if tp + fp else 0:.2f} R {tp / (tp + fn) if tp + fn else 0:.2f}"))
    for title, rows in (("raised", raised), ("headline", headline), ("day", day), ("minute", minute), ("authors", authors), ("body F1 < 0.9", body)):
        show(title, rows)


CANDIDATE_SOURCES = ("structured", "og", "h1", "twitter", "title")
"""Where a headline can come from (each without the site's name), as ``_Page._headline_candidates`` names them."""


def headline_candidates(corpus: Path, records: list[dict]) -> Optional[dict[str, Any]]:
    """How far a choice among the page's own headline candidates can go on
    pages with a gold title: pages where each source gives the gold title,
    the best fixed order of the sources (first non-empty wins), and the
    ceiling (some candidate is the gold title). None without gold titles."""
    from itertools import permutations

    from aggregator.extraction import _Page, decode_body

    rows = []
    for record in records:
        if not record.get("title"):
            continue
        body = gzip.open(corpus / record["file"]).read()
        content_type = "text/html; charset=utf-8" if record["source"] == "fundus" else "text/html"
        _encoding, text = decode_body(body, content_type)
        page = _Page(record["url"] or "http://corpus.test/", text)
        page._headline(page._main_h1())
        found = {key: normalize_space(value) for key, value in page.headline_candidates.items()}
        rows.append((normalize_space(record["title"]), found))
    if not rows:
        return None
    matches = {key: sum(gold == found[key] for gold, found in rows) for key in CANDIDATE_SOURCES}
    orders = []
    for order in permutations(CANDIDATE_SOURCES):
        right = sum(gold == next((found[k] for k in order if found[k]), None) for gold, found in rows)
        orders.append((right, order))
    best, best_order = max(orders)
    ceiling = sum(gold in found.values() for gold, found in rows)
    return {"pages": len(rows), "matches": matches, "best": best, "best_order": best_order, "ceiling": ceiling}


def print_headline_candidates(report: Optional[dict[str, Any]]) -> None:
    if not report:
        return
    n = report["pages"]
    print(f"\nHeadline candidates on the {n} pages with a gold title (each without the site's name):")
    print("  gives the gold title: " + ", ".join(f"{k} {v} ({v / n:.3f})" for k, v in report["matches"].items()))
    print(f"  best fixed order ({' > '.join(report['best_order'])}): {report['best']} ({report['best'] / n:.3f})")
    print(f"  ceiling, some candidate is the gold title: {report['ceiling']} ({report['ceiling'] / n:.3f})")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus folder (default: ../shared/corpus)")
    parser.add_argument("--source", action="append", choices=("scrapinghub", "fundus", "htmldate"), help="only this source (repeatable)")
    parser.add_argument("--limit", type=int, help="only the first N pages of each source")
    parser.add_argument("--misses", type=int, default=0, metavar="N", help="print our N worst pages per metric")
    parser.add_argument("--misses-tool", default="ours", choices=TOOLS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    logging.getLogger("htmldate").setLevel(logging.CRITICAL)
    records = load_records(args.corpus, args.source, args.limit)
    started = time.perf_counter()
    run(args.corpus, records)
    print(f"{len(records)} pages from {args.corpus} in {time.perf_counter() - started:.0f} s\n")
    print_table(records)
    print_headline_candidates(headline_candidates(args.corpus, records))
    if args.misses:
        print_misses(records, args.misses, args.misses_tool)
    return 0


if __name__ == "__main__":
    sys.exit(main())
