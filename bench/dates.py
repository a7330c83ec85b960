"""Date normalization: speed against plain dateparser, and accuracy on real pages.

Usage::

    python bench/dates.py [--corpus ../shared/corpus] [--repeat 3]

1. Extracts every page of the corpus once and collects every raw date
   candidate (published and modified) with the page's language.
2. Normalizes all of them with ``aggregator.dates.normalize_date`` (the
   page's language, ISO 8601 fast path) and with ``dateparser.parse(raw)``
   with default settings, alternating, ``--repeat`` times, and prints dates
   per second for each and the ratio.
3. Runs the dates pipeline on each page's candidates, as a crawl does, and
   prints per source the share of pages whose ``datePublished`` has the gold
   day, and the share right to the minute where the gold value has a time
   and an offset.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import dateparser

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scrapy.utils.test import get_crawler  # noqa: E402

from aggregator.dates import language_codes, normalize_date  # noqa: E402
from aggregator.extraction import extract_article  # noqa: E402
from aggregator.items import Article  # noqa: E402
from pipelines.dates import DatesPipeline  # noqa: E402

FETCHED = datetime(2026, 11, 1, tzinfo=timezone.utc)


def load_pages(corpus: Path) -> list[dict]:
    """Manifest records with the extraction of each page under ``"extraction"``."""
    records = [json.loads(line) for line in (corpus / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    for record in records:
        body = gzip.open(corpus / record["file"]).read()
        content_type = "text/html; charset=utf-8" if record["source"] == "fundus" else "text/html"
        record["extraction"] = extract_article(record["url"] or "http://corpus.test/", body, {"Content-Type": content_type})
    return records


def candidates(records: list[dict]) -> list[tuple[str, list[str] | None]]:
    """Every raw date candidate of every page, with the page's dateparser languages."""
    found = []
    for record in records:
        fields = record["extraction"].fields
        languages = language_codes(fields.get("inLanguage"))
        for key in ("datePublishedCandidates", "dateModifiedCandidates"):
            found.extend((c["raw"], languages) for c in fields.get(key, []))
    return found


def time_runs(raws: list[tuple[str, list[str] | None]], repeat: int) -> tuple[list[float], list[float]]:
    """Seconds per pass over all raw values: ours and plain dateparser, alternating."""
    ours, plain = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        for raw, languages in raws:
            normalize_date(raw, languages=languages, fetched_at=FETCHED)
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        for raw, _languages in raws:
            try:
                dateparser.parse(raw)
            except Exception:  # dateparser's own failures count as a parse
                pass
        plain.append(time.perf_counter() - started)
    return ours, plain


def accuracy(records: list[dict]) -> dict[str, dict[str, list[int]]]:
    """Per source: ``day`` and ``minute`` as ``[right, total]``."""
    crawler = get_crawler(settings_dict={})
    crawler.stats.open_spider()
    pipeline = DatesPipeline.from_crawler(crawler)
    scores: dict[str, dict[str, list[int]]] = {}
    for record in records:
        gold = record.get("date_published")
        if not gold:
            continue
        fields = {k: v for k, v in record["extraction"].fields.items() if k in Article.__dataclass_fields__}
        item = pipeline.process_item(
            Article(url=record["url"] or "", site="corpus", dateDownloaded=FETCHED.strftime("%Y-%m-%dT%H:%M:%SZ"), **fields)
        )
        score = scores.setdefault(record["source"], {"day": [0, 0], "minute": [0, 0]})
        gold_moment = datetime.fromisoformat(gold)
        day = (item.datePublishedLocal or item.datePublished or "")[:10]
        score["day"][0] += day == gold[:10]
        score["day"][1] += 1
        if gold_moment.tzinfo is not None and "T" in gold and not gold.endswith("T00:00:00"):
            score["minute"][1] += 1
            if item.datePublishedPrecision in ("minute", "second"):
                got = datetime.fromisoformat(item.datePublished.replace("Z", "+00:00"))
                score["minute"][0] += abs((got - gold_moment).total_seconds()) < 60
    return scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not (args.corpus / "manifest.jsonl").exists():
        parser.error(f"no corpus at {args.corpus}")
    records = load_pages(args.corpus)
    raws = candidates(records)
    ours, plain = time_runs(raws, args.repeat)
    ours_rate = len(raws) / statistics.median(ours)
    plain_rate = len(raws) / statistics.median(plain)
    iso = sum(1 for raw, _ in raws if normalize_date(raw) is not None and raw.strip()[:4].isdigit() and "-" in raw)
    print(f"raw dates: {len(raws)} from {len(records)} pages ({iso} ISO 8601-like)")
    print(f"{'':<28}{'dates/s':>10}")
    print(f"{'aggregator normalize_date':<28}{ours_rate:>10.0f}")
    print(f"{'dateparser.parse (default)':<28}{plain_rate:>10.0f}")
    print(f"ratio ours/dateparser: {ours_rate / plain_rate:.1f}x  (median of {args.repeat} alternating passes)")
    print()
    print(f"{'source':<12}{'day':>18}{'minute+offset':>20}")
    for source, score in sorted(accuracy(records).items()):
        cells = []
        for key in ("day", "minute"):
            right, total = score[key]
            cells.append(f"{right}/{total} {right / total:.1%}" if total else "-")
        print(f"{source:<12}{cells[0]:>18}{cells[1]:>20}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
