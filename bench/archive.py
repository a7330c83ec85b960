"""The archive: write throughput, recent/related latency, related quality.

Usage (from the repository root)::

    python bench/archive.py                      # 100,000 articles
    python bench/archive.py --articles 20000 --per-row 2000
    python bench/archive.py --explain            # also print the query plans

Everything runs in one process, side by side, in a fresh temporary folder
(``--dir`` to choose where; the archives are deleted at the end unless
``--keep``):

1. **Ingest.** ``--articles`` synthetic articles are generated
   deterministically (``--seed``): headlines of 6-12 words and bodies of
   150-600 words drawn from a word bank: function words, general news
   words, topical vocabulary per section and per subsection (10 top-level
   sections x 4 subsections; each article focuses on a few of its section's
   words) and invented names per section (2-4 per article, one in the
   headline), all Zipf-weighted, so that full-text search is meaningful and
   document frequencies are spread as in news text; 1-3 authors of 200, 2-4
   tags of 300, ``datePublished`` spread over three years (0.5 % undated,
   2.5 % day-only), five sites. They go through :func:`aggregator.archive.article_row` and
   :func:`aggregator.archive.write_articles` into two fresh archives:
   in batches of ``ARCHIVE_BATCH_SIZE`` (50, the pipeline's way: one
   transaction per batch), all of them; and one row per transaction (one
   ``write_articles`` call per row), the first ``--per-row`` of the same
   rows. Only the ``write_articles`` calls are timed (generating rows is
   not). The ratio compares rates over the same first ``--per-row`` rows;
   the batched rate over all rows is printed too.
2. **Queries** on the full batched archive: ``recent`` p50/p95 over
   ``--queries`` calls with varied filters; ``store_related`` for
   ``--related-sample`` articles, then ``related()`` reading those
   precomputed lists (p95); ``related(..., fresh=True)`` computed on demand
   (p95). Each is printed against its target, PASS or FAIL.
3. **Related quality on the demo site.** The bundled demo site
   (``build_demo_site()``) is served by ``DemoServer`` on 127.0.0.1 and
   crawled by the real ``news`` spider (``tests/crawl_runner.run_crawl``,
   ``SITE_TIMEZONE`` from the site); then for every archived article the
   share of its top-3 related posts in the same top-level section.

Nothing touches the internet.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from aggregator.archive import article_row, open_archive, write_articles  # noqa: E402
from aggregator.queries import recent, related, store_related  # noqa: E402
from aggregator.settings import ARCHIVE_BATCH_SIZE  # noqa: E402

TARGETS = {
    "recent p95": 5.0,
    "related (precomputed) p95": 5.0,
    "related (on demand) p95": 50.0,
}
"""Latency targets, milliseconds."""
QUALITY_TARGET = 0.9
"""Share of the demo site's top-3 related posts in the article's own top-level section."""

# --- Word bank ------------------------------------------------------------------------------
# Top-level section -> (topical vocabulary, {subsection: its own vocabulary}).
TAXONOMY: dict[str, tuple[str, dict[str, str]]] = {
    "World": (
        "embassy envoy summit border treaty delegation ministry accord diplomats ceasefire negotiators "
        "region neighbours corridor refugees sanctions charter consulate provinces frontier bilateral "
        "multilateral humanitarian alliance sovereignty territory migrants peacekeepers blockade "
        "coalition insurgents armistice capital nations foreign",
        {
            "Europe": "brussels eurozone schengen commission baltic danube alpine mediterranean parliamentarians rhine",
            "Asia": "mekong himalayan archipelago monsoon pacific peninsula strait yangtze dynasty steppe",
            "Africa": "sahel savanna nile delta kenyan nigerian sahara rift ethiopian ghanaian",
            "Americas": "andes amazon caribbean patagonia mexican brazilian canadian chilean panama argentine",
        },
    ),
    "Politics": (
        "ballot parliament caucus senator mayor legislature coalition manifesto amendment constituency "
        "referendum candidate campaign polling turnout cabinet minister debate committee veto motion "
        "delegates electorate governance reform quorum statute assembly lawmakers opposition incumbent "
        "bipartisan lobbying scandal resignation speaker",
        {
            "Elections": "voters runoff precinct recount canvass primaries ballots pollsters swing landslide",
            "Parliament": "chamber backbench whips filibuster hansard readings plenary bill speaker recess",
            "Policy": "subsidy welfare pension housing zoning levy regulation watchdog consultation framework",
            "Diplomacy": "ambassador communique sanctions summitry envoys protocol detente accords talks visas",
        },
    ),
    "Business": (
        "revenue profit dividend shares investors earnings quarter forecast inflation lender credit "
        "market exports tariffs merger supply retailer margins valuation bonds growth capital liquidity "
        "payroll audit wholesale portfolio interest shareholders executives acquisition startup "
        "consumers factory",
        {
            "Markets": "stocks index traders rally selloff futures commodities yields currency volatility",
            "Companies": "chief executive boardroom layoffs takeover conglomerate subsidiary brand franchise restructuring",
            "Economy": "recession unemployment wages productivity deficit stimulus central bank gdp",
            "Personal Finance": "mortgage savings pension budget rent loans insurance taxes credit cards",
        },
    ),
    "Technology": (
        "software algorithm processor cloud servers encryption developers platform prototype devices "
        "sensors battery network firmware bandwidth interface dataset automation robotics chips app "
        "update security patch users latency code silicon digital internet browser smartphone "
        "computing",
        {
            "AI": "neural model training chatbot inference transformer machine learning benchmark generative",
            "Cybersecurity": "hackers ransomware breach malware phishing vulnerability exploit botnet passwords",
            "Gadgets": "headphones laptop tablet camera wearable charger display smartwatch console speaker",
            "Startups": "founders seed venture accelerator unicorn pitch incubator funding valuation runway",
        },
    ),
    "Science": (
        "researchers laboratory experiment hypothesis samples scientists study journal physics chemistry "
        "biology telescope microscope particles molecules genome evolution species fossils discovery "
        "observations measurements theory peer reviewed data specimen university institute findings",
        {
            "Space": "orbit satellite astronauts rocket lunar mars galaxy asteroid comet launch",
            "Climate": "emissions carbon glacier warming drought rainfall heatwave methane sea ice",
            "Biology": "cells proteins bacteria enzymes organisms ecosystem habitat pollinators coral dna",
            "Physics": "quantum neutrino collider photons gravity magnetism lasers superconductors atoms",
        },
    ),
    "Health": (
        "clinic patients nurses doctors treatment vaccine screening wellbeing nutrition therapy hospital "
        "symptoms diagnosis prevention recovery surgery pharmacy immunity outpatient wards caregivers "
        "dosage trial infection hygiene disease medicine chronic prescription health",
        {
            "Medicine": "oncology cardiology surgeons transplant antibiotics dosage clinical trials tumour",
            "Mental Health": "anxiety depression counselling therapists loneliness stress burnout psychiatry",
            "Nutrition": "diet protein vitamins sugar calories vegetables fibre obesity breakfast",
            "Public Health": "outbreak epidemic vaccination influenza measles sanitation mortality quarantine",
        },
    ),
    "Sports": (
        "match season league coach striker goalkeeper tournament fixture stadium championship referee "
        "penalty playoffs squad midfield sprint podium relay captain transfer victory defeat draw "
        "training fans halftime scoreline rookie athletes medal olympic",
        {
            "Football": "goals pitch offside corner dribble premiership cup derby freekick",
            "Tennis": "serve baseline volley wimbledon grand slam tiebreak racket doubles",
            "Basketball": "dunk rebound courtside layup point guard buzzer three pointer draft",
            "Motorsport": "grid qualifying pitstop circuit lap chicane podium formula constructors",
        },
    ),
    "Culture": (
        "film album premiere director actors festival studio soundtrack streaming episode series concert "
        "audience critics screenplay trailer gallery theatre musicians tour drama comedy animation "
        "cinema playlist casting rehearsal novel author artists exhibition",
        {
            "Film": "box office blockbuster directorial sequel screenwriter cinematography oscars indie",
            "Music": "singer songwriter band guitar chart vinyl orchestra hiphop festival lyrics",
            "Books": "novelist publisher memoir poetry bestseller fiction literary bookshop manuscript",
            "Television": "sitcom showrunner broadcaster finale ratings miniseries presenter primetime",
        },
    ),
    "Crime": (
        "court judge verdict trial appeal evidence witness prosecutor defence jury sentence hearing "
        "investigation police detectives warrant inquiry offence custody probation testimony ruling "
        "tribunal magistrate forensic lawyers bail justice arrest suspects charges",
        {
            "Courts": "supreme appellate acquittal conviction plaintiff litigation injunction damages",
            "Policing": "officers patrol constable precinct bodycam stop search response units",
            "Fraud": "scam embezzlement laundering counterfeit ponzi bribery forgery accounts",
            "Prisons": "inmates parole cells overcrowding rehabilitation warden jail release",
        },
    ),
    "Education": (
        "students teachers classroom curriculum lecture campus semester scholarship exams tuition degree "
        "graduates library literacy homework syllabus faculty enrolment seminar tutors pupils grades "
        "courses diploma learning school academy coursework timetable",
        {
            "Schools": "primary secondary headteacher playground uniforms classrooms reading phonics",
            "Universities": "undergraduates postgraduate dissertation professors tenure admissions dean",
            "Exams": "results marking grading invigilators papers resits coursework assessments",
            "Teachers": "staffing strikes salaries training workload recruitment unions classroom",
        },
    ),
}
FUNCTION_WORDS = (
    "the the the the the a a a of of of and and and to to in in for with on as by from at it it was is "
    "are has had have its that that this these those than more most also been were will would could should "
    "after about over into while when which their there they said said says not but or an be all some new"
).split()
"""Short and stop words: about half of a body; never among an article's related-posts terms."""
GENERAL = (
    "people officials government plans local public report week month group change support review data "
    "team project city community cost time work process result question meeting schedule budget members "
    "figures details steps approach effort results service programme pilot council office statement "
    "proposal survey partners experts observers organisers residents morning evening today yesterday "
    "spokesperson according announced expected likely early recent several many number percent million "
    "billion country national state regional international president director chief leader former "
    "senior official agency authority company organisation department commission board union families "
    "children women young older workers staff members volunteers groups hundreds thousands dozens "
    "increase decrease rise fall growth decline pressure concerns warning response impact effect issue "
    "problem crisis challenge opportunity decision agreement deal talks meeting event conference visit "
    "trip journey return record history future period season round stage phase level range series "
    "system network centre site area region district neighbourhood street building road bridge river "
    "island coast north south east west central"
).split()
"""General news vocabulary shared by every section (Zipf-weighted: a few words are in most articles)."""
HEADLINE_GLUE = "in for after as with over amid on to at".split()
HEADLINE_VERBS = "weigh unveil debate revisit welcome question back test rethink face win lose plan warn".split()
FIRST_NAMES = (
    "Amelia Ben Chloe Daniel Elena Farid Grace Hugo Ines Jonas Keiko Liam Maya Nikhil Olga Pedro Quinn Rosa "
    "Samir Tara"
).split()
LAST_NAMES = "Adams Brennan Castillo Dubois Eriksen Fischer Gupta Haddad Ivanova Jensen".split()
AUTHORS = [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES]  # 200
TAG_ADJECTIVES = "Local Global Weekly Daily Breaking Deep Quick Long Green Open Future Hidden Public Smart Rural".split()
TAG_NOUNS = (
    "Voices Watch Read Explainer Data Notes Pulse Shift Desk Check Brief Review Story Angle Lens Report "
    "Focus Insight Debate Picture"
).split()
TAGS = [f"{adj} {noun}" for adj in TAG_ADJECTIVES for noun in TAG_NOUNS]  # 300
SITES = ["news.example.com", "www.dailyherald.example", "metro.example.net", "globe.example.org", "127.0.0.1:8050"]
START = datetime(2023, 1, 1, tzinfo=timezone.utc)
SPAN_SECONDS = 3 * 365 * 24 * 3600


SYLLABLES = "ka lo mer vin da tor ble sa ri an es tel mo ru quin zel por ha ven li dor na gra fen".split()
SECTIONS = [(top, sub) for top, (_, subs) in TAXONOMY.items() for sub in subs]
SHARES = {"function": 0.53, "general": 0.12, "focus": 0.17, "topical": 0.06, "sub": 0.06, "names": 0.04, "other": 0.02}
"""Share of a body's words by kind. ``focus``: the few topical words an article is about (each
article picks 6-10 of its section's); ``names``: the 2-4 people, places and organisations it names."""


def _zipf(words: list[str], exponent: float = 1.0) -> tuple[list[str], list[float]]:
    """``words`` with cumulative Zipf weights, for ``random.choices(..., cum_weights=...)``."""
    total, cumulative = 0.0, []
    for rank in range(len(words)):
        total += 1 / (rank + 1) ** exponent
        cumulative.append(total)
    return words, cumulative


def _names(top: str, count: int = 150) -> list[str]:
    """``count`` invented proper names for a section (people, places, organisations), deterministic."""
    rng = random.Random(f"names:{top}")
    names: list[str] = []
    while len(names) < count:
        name = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
        if len(name) >= 5 and name not in names:
            names.append(name)
    return names


VOCAB = {
    top: {
        "topical": _zipf(topical.split(), 0.7),
        "subs": {sub: _zipf(words.split(), 0.7) for sub, words in subs.items()},
        "names": _names(top),
    }
    for top, (topical, subs) in TAXONOMY.items()
}
GENERAL_Z = _zipf(GENERAL, 0.5)


def generate(n: int, seed: int) -> Iterator[dict]:
    """``n`` article items (``Article`` field names), deterministic for ``seed``."""
    rng = random.Random(seed)
    tops = list(TAXONOMY)
    for i in range(n):
        top, sub = SECTIONS[rng.randrange(len(SECTIONS))]
        vocab = VOCAB[top]
        topical_words, topical_cum = vocab["topical"]
        focus = rng.sample(topical_words, rng.randint(6, 10))
        names = [name.capitalize() for name in rng.sample(vocab["names"], rng.randint(2, 4))]
        other_top = tops[rng.randrange(len(tops))]
        length = rng.randint(150, 600)
        counts = {kind: max(1, round(share * length)) for kind, share in SHARES.items() if kind != "function"}
        counts["function"] = length - sum(counts.values())
        words = (
            rng.choices(FUNCTION_WORDS, k=counts["function"])
            + rng.choices(GENERAL_Z[0], cum_weights=GENERAL_Z[1], k=counts["general"])
            + rng.choices(focus, k=counts["focus"])
            + rng.choices(topical_words, cum_weights=topical_cum, k=counts["topical"])
            + rng.choices(vocab["subs"][sub][0], cum_weights=vocab["subs"][sub][1], k=counts["sub"])
            + rng.choices(names, weights=[3, 2, 1, 1][: len(names)], k=counts["names"])
            + rng.choices(VOCAB[other_top]["topical"][0], k=counts["other"])
        )
        rng.shuffle(words)
        sentences, start = [], 0
        while start < len(words):
            end = min(len(words), start + rng.randint(8, 20))
            sentence = words[start:end]
            sentences.append(sentence[0][:1].upper() + sentence[0][1:] + " " + " ".join(sentence[1:]) + ".")
            start = end
        paragraphs = [" ".join(sentences[k:k + 5]) for k in range(0, len(sentences), 5)]
        body = "\n\n".join(paragraphs)
        size = rng.randint(6, 12)
        head = [names[0], rng.choice(focus), rng.choice(HEADLINE_VERBS), rng.choice(focus)]
        while len(head) < size:
            roll = rng.random()
            head.append(rng.choice(HEADLINE_GLUE) if roll < 0.3 else rng.choice(focus) if roll < 0.7
                        else rng.choice(vocab["subs"][sub][0]) if roll < 0.85 else rng.choice(GENERAL))
        headline = " ".join(head)
        moment = START + timedelta(seconds=rng.randrange(SPAN_SECONDS))
        site = SITES[rng.randrange(len(SITES))]
        slug = "-".join(head[:6]).lower()
        url = f"https://{site}/{moment:%Y/%m/%d}/{slug}-{i}/"
        sections = [[top, sub]]
        if rng.random() < 0.1:
            other = SECTIONS[rng.randrange(len(SECTIONS))]
            if other[0] != top:
                sections.append(list(other))
        dated = rng.random()
        if dated < 0.005:
            published, precision = None, None
        elif dated < 0.03:
            published, precision = moment.strftime("%Y-%m-%d"), "day"
        else:
            published, precision = moment.strftime("%Y-%m-%dT%H:%M:%SZ"), "second"
        word_count = len(words)
        yield {
            "url": url,
            "canonicalUrl": url,
            "site": site,
            "headline": headline,
            "description": " ".join(words[:25]) + "…",
            "datePublished": published,
            "datePublishedLocal": moment.isoformat() if published else None,
            "datePublishedPrecision": precision,
            "datePublishedRaw": moment.isoformat() if published else None,
            "datePublishedRawSource": "json-ld" if published else None,
            "dateDownloaded": (moment + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "authors": rng.sample(AUTHORS, rng.randint(1, 3)),
            "tags": rng.sample(TAGS, rng.randint(2, 4)),
            "section": [top, sub],
            "sectionSource": "breadcrumbs",
            "sections": sections,
            "articleSection": [sub],
            "articleBody": body,
            "inLanguage": "en",
            "wordCount": word_count,
            "readingTimeMinutes": max(1, -(-word_count // 200)),
            "readingTimeSource": "computed",
        }


# --- Measuring ------------------------------------------------------------------------------
def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1): p95 of 200 values is the 190th smallest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def timed_ms(calls: list[Callable[[], object]]) -> list[float]:
    times = []
    for call in calls:
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def ingest(path: Path, n: int, seed: int, batch_size: int, checkpoint: int) -> tuple[float, float]:
    """Write ``n`` rows in batches of ``batch_size`` (one ``write_articles`` call each).

    :returns: seconds spent in ``write_articles`` for all rows, and for the first ``checkpoint`` rows.
    """
    db = open_archive(path)
    spent = at_checkpoint = 0.0
    written = 0
    batch: list[dict] = []
    for item in generate(n, seed):
        batch.append(article_row(item))
        if len(batch) == batch_size:
            started = time.perf_counter()
            write_articles(db, batch)
            spent += time.perf_counter() - started
            written += len(batch)
            batch = []
            if written == checkpoint:
                at_checkpoint = spent
    if batch:
        started = time.perf_counter()
        write_articles(db, batch)
        spent += time.perf_counter() - started
        written += len(batch)
    if not at_checkpoint:
        at_checkpoint = spent
    db.conn.close()
    return spent, at_checkpoint


def verdict(value: float, target: float, higher_is_better: bool = False) -> str:
    ok = value >= target if higher_is_better else value <= target
    return "PASS" if ok else "FAIL"


def recent_cases(rng: random.Random, count: int) -> list[tuple[str, dict]]:
    """``count`` (kind, keyword arguments) for ``recent``, varied filters."""
    tops = list(TAXONOMY)
    kinds = ["none", "section", "subsection", "site", "author", "tag", "since", "until", "since+until", "section+site"]
    cases = []
    for k in range(count):
        kind = kinds[k % len(kinds)]
        day = START + timedelta(days=rng.randrange(3 * 365 - 30))
        args: dict = {}
        if kind == "section":
            args["section"] = rng.choice(tops)
        elif kind == "subsection":
            top, sub = rng.choice(SECTIONS)
            args["section"] = f"{top}/{sub}"
        elif kind == "site":
            args["site"] = rng.choice(SITES).split(":")[0]
        elif kind == "author":
            args["author"] = rng.choice(AUTHORS)
        elif kind == "tag":
            args["tag"] = rng.choice(TAGS)
        elif kind == "since":
            args["since"] = day.strftime("%Y-%m-%d")
        elif kind == "until":
            args["until"] = day.strftime("%Y-%m-%d")
        elif kind == "since+until":
            args["since"] = day.strftime("%Y-%m-%d")
            args["until"] = (day + timedelta(days=30)).strftime("%Y-%m-%d")
        elif kind == "section+site":
            args["section"] = rng.choice(tops)
            args["site"] = rng.choice(SITES)
        cases.append((kind, args))
    return cases


def explain(db, sql: str, params) -> list[str]:
    return [row[-1] for row in db.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()]


def print_plans(db, sample_url: str) -> None:
    """The query plans behind ``recent`` and ``compute_related`` (traced from the real calls)."""
    seen: dict[str, tuple] = {}

    def tracer(sql, params):
        if sql.lstrip().upper().startswith("SELECT") and "sqlite_master" not in sql and "pragma" not in sql.lower():
            seen.setdefault(sql, params)

    for args in ({}, {"section": "Politics"}, {"site": "metro.example.net"}, {"author": AUTHORS[0]},
                 {"tag": TAGS[0]}, {"since": "2024-06-01", "until": "2024-07-01"}):
        with db.tracer(tracer):
            recent(db, **args)
    with db.tracer(tracer):
        related(db, sample_url, fresh=True)
    for sql, params in seen.items():
        print(f"  {' '.join(sql.split())[:200]}")
        for line in explain(db, sql, params or []):
            print(f"      {line}")


def demo_quality(workdir: Path) -> dict:
    """Crawl the demo site into a fresh archive and score its related posts."""
    from aggregator.demo_site import DemoServer, build_demo_site
    from crawl_runner import run_crawl

    site = build_demo_site()
    archive = workdir / "demo.sqlite"
    with DemoServer(site) as server:
        result = run_crawl(f"{server.base_url}/", archive, {"SITE_TIMEZONE": site.timezone, "LOG_LEVEL": "WARNING"})
    if result.returncode != 0:
        raise SystemExit(f"demo crawl failed ({result.returncode}):\n{result.log[-3000:]}")
    db = open_archive(archive, create=False)
    out = {"articles": db["articles"].count, "crawl_seconds": result.seconds}
    for mode, fresh in (("precomputed", False), ("on demand", True)):
        same = total = short = 0
        for row in db.query("SELECT canonical_url, section FROM articles"):
            own_top = json.loads(row["section"])[0]
            found = related(db, row["canonical_url"], limit=3, fresh=fresh)
            short += len(found) < 3
            for other in found:
                total += 1
                same += (other["section"] or [None])[0] == own_top
        out[mode] = (same, total, short)
    db.conn.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000, help="articles in the archive (default 100,000)")
    parser.add_argument("--per-row", type=int, default=10_000,
                        help="rows written one per transaction, for the ratio (default 10,000)")
    parser.add_argument("--queries", type=int, default=200, help="recent calls, and on-demand related calls")
    parser.add_argument("--related-sample", type=int, default=500, help="articles whose related posts are stored")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", type=Path, default=None, help="folder for the archives (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the archives")
    parser.add_argument("--explain", action="store_true", help="print the query plans of recent and related")
    parser.add_argument("--skip-demo", action="store_true", help="skip the demo-site crawl")
    args = parser.parse_args()
    per_row = min(args.per_row, args.articles)
    began = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="bench-archive-", dir=args.dir))
    batch_size = ARCHIVE_BATCH_SIZE
    results: list[tuple[str, str]] = []
    try:
        print(f"archive bench: {args.articles:,} synthetic articles (seed {args.seed}), in {workdir}")
        print(f"  {len(TAXONOMY)} top sections x 4 subsections, {len(AUTHORS)} authors, {len(TAGS)} tags, "
              f"{len(SITES)} sites, dates {START:%Y-%m-%d} + 3 years")
        started = time.perf_counter()
        sample = list(generate(min(2000, args.articles), args.seed))
        gen_rate = len(sample) / (time.perf_counter() - started)
        words = statistics.mean(item["wordCount"] for item in sample)
        print(f"  generation (not timed below): {gen_rate:,.0f} items/s; mean body {words:.0f} words")
        print()

        # 1. Ingest ---------------------------------------------------------------------------
        print("1. ingest through write_articles (generation excluded from the timings)")
        batched_path, per_row_path = workdir / "batched.sqlite", workdir / "per-row.sqlite"
        per_row_seconds, _ = ingest(per_row_path, per_row, args.seed, 1, per_row)
        all_seconds, first_seconds = ingest(batched_path, args.articles, args.seed, batch_size, per_row)
        per_row_rate = per_row / per_row_seconds
        first_rate = per_row / first_seconds
        all_rate = args.articles / all_seconds
        print(f"  {'batches of ' + str(batch_size) + ' (ARCHIVE_BATCH_SIZE), first ' + format(per_row, ',') + ' rows':<52}"
              f"{first_rate:>9,.0f} items/s")
        print(f"  {'one row per transaction, the same ' + format(per_row, ',') + ' rows':<52}{per_row_rate:>9,.0f} items/s")
        print(f"  ratio batched / one-per-transaction (same rows):        {first_rate / per_row_rate:>5.2f}x")
        print(f"  batched, all {args.articles:,} rows: {all_rate:,.0f} items/s ({all_seconds:.1f} s in write_articles)")
        if per_row < args.articles:
            print(f"  (one row per transaction was run on the first {per_row:,} rows only, to keep the run short;"
                  " the ratio compares rates over those same rows)")
        size = sum(p.stat().st_size for p in workdir.glob("batched.sqlite*"))
        print(f"  archive size: {size / 2**20:,.0f} MiB (with WAL)")
        print()

        # 2. Queries on the full archive ---------------------------------------------------------
        print(f"2. queries on the {args.articles:,}-article archive")
        db = open_archive(batched_path, create=False)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        rng = random.Random(args.seed + 1)
        urls = [row[0] for row in db.execute("SELECT canonical_url FROM articles ORDER BY rowid").fetchall()]
        cases = recent_cases(rng, args.queries)
        recent(db)  # warm the page cache once
        by_kind: dict[str, list[float]] = defaultdict(list)
        all_times = []
        for kind, kwargs in cases:
            (ms,) = timed_ms([lambda: recent(db, **kwargs)])
            by_kind[kind].append(ms)
            all_times.append(ms)
        p50, p95 = percentile(all_times, 0.5), percentile(all_times, 0.95)
        target = TARGETS["recent p95"]
        print(f"  recent ({len(all_times)} calls, limit 20): p50 {p50:.2f} ms, p95 {p95:.2f} ms"
              f"  target p95 <= {target:g} ms  {verdict(p95, target)}")
        results.append(("recent p95", verdict(p95, target)))
        for kind, times in by_kind.items():
            print(f"      {kind:<14} n={len(times):<3} p50 {percentile(times, 0.5):7.2f} ms"
                  f"  p95 {percentile(times, 0.95):7.2f} ms  max {max(times):7.2f} ms")

        sample_urls = rng.sample(urls, min(args.related_sample, len(urls)))
        started = time.perf_counter()
        stored = store_related(db, sample_urls)
        store_seconds = time.perf_counter() - started
        print(f"  store_related for {stored} articles: {store_seconds:.1f} s "
              f"({store_seconds / max(1, stored) * 1000:.1f} ms per article)")
        pre_times = timed_ms([lambda url=url: related(db, url) for url in sample_urls])
        p50, p95 = percentile(pre_times, 0.5), percentile(pre_times, 0.95)
        target = TARGETS["related (precomputed) p95"]
        print(f"  related, precomputed ({len(pre_times)} calls, limit 5): p50 {p50:.2f} ms, p95 {p95:.2f} ms"
              f"  target p95 <= {target:g} ms  {verdict(p95, target)}")
        results.append(("related (precomputed) p95", verdict(p95, target)))

        fresh_urls = rng.sample(urls, min(args.queries, len(urls)))
        fresh_times = timed_ms([lambda url=url: related(db, url, fresh=True) for url in fresh_urls])
        p50, p95 = percentile(fresh_times, 0.5), percentile(fresh_times, 0.95)
        target = TARGETS["related (on demand) p95"]
        print(f"  related, on demand ({len(fresh_times)} calls, fresh=True, limit 5): p50 {p50:.2f} ms, "
              f"p95 {p95:.2f} ms  target p95 <= {target:g} ms  {verdict(p95, target)}")
        results.append(("related (on demand) p95", verdict(p95, target)))
        if args.explain:
            print()
            print("  query plans:")
            print_plans(db, fresh_urls[0])
        db.conn.close()
        print()

        # 3. Related quality on the demo site ---------------------------------------------------
        if not args.skip_demo:
            print("3. related quality on the demo site (real crawl of build_demo_site() on 127.0.0.1)")
            quality = demo_quality(workdir)
            print(f"  crawled {quality['articles']} articles in {quality['crawl_seconds']:.1f} s")
            for mode in ("precomputed", "on demand"):
                same, total, short = quality[mode]
                share = same / total if total else 0.0
                print(f"  top-3 related in the same top-level section, {mode}: {same}/{total} = {share:.3f}"
                      f"  target >= {QUALITY_TARGET}  {verdict(share, QUALITY_TARGET, True)}"
                      + (f"  ({short} articles with fewer than 3)" if short else ""))
                results.append((f"related quality ({mode})", verdict(share, QUALITY_TARGET, True)))
            print()
    finally:
        if args.keep:
            print(f"archives kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    failed = [name for name, outcome in results if outcome == "FAIL"]
    print(f"summary: {len(results) - len(failed)}/{len(results)} targets met"
          + (f"; FAIL: {', '.join(failed)}" if failed else ""))
    print(f"total run time: {time.perf_counter() - began:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
