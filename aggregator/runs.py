"""Is a crawl run degraded? A run compared with the site's previous runs.

A scheduled crawl that "works" can still bring back much less than usual: a
site redesign breaks the date markup, a menu disappears, a feed empties. The
crawl finishes normally, so its exit status cannot tell. This module compares
one run's numbers with the median of the site's previous runs
(:func:`judge_run`); the archive pipeline records the verdict in
``crawl_runs`` (``status = 'degraded'``, ``degraded_fields``).

Pure functions over plain values: no Scrapy, no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import median
from typing import Any, Mapping, Optional, Sequence

COVERAGE_FIELDS = ("datePublished", "section", "articleBody", "headline", "authors")
"""The ``Article`` fields whose share of items a run records in ``crawl_runs.coverage``."""


@dataclass
class Verdict:
    """What :func:`judge_run` found.

    ``fields``: what dropped, in the order checked: ``articles`` first, then
    coverage fields of :data:`COVERAGE_FIELDS` (empty: the run is fine, or
    could not be judged). ``changes``: ``(name, usual, now)`` for each of
    them, ``usual`` being the median of the previous runs.
    """

    fields: list[str] = field(default_factory=list)
    changes: list[tuple[str, float, float]] = field(default_factory=list)

    @property
    def degraded(self) -> bool:
        return bool(self.fields)

    def describe(self) -> str:
        """One line, e.g. ``datePublished coverage 0.96 → 0.10; articles 60 → 12``
        (empty when the run is not degraded)."""
        parts = []
        for name, usual, now in self.changes:
            if name == "articles":
                parts.append(f"articles {usual:g} → {now:g}")
            else:
                parts.append(f"{name} coverage {usual:.2f} → {now:.2f}")
        return "; ".join(parts)


def coverage_shares(counts: Mapping[str, int], items: int) -> Optional[dict[str, float]]:
    """The share of items that had each field of :data:`COVERAGE_FIELDS`.

    :param counts: items that had a non-empty value, by field name (a missing
        name counts 0).
    :param items: the number of ``Article`` items of the run.
    :returns: ``{field: share}`` with shares in [0, 1] rounded to 3 decimals;
        None when there were no items.
    """
    if items <= 0:
        return None
    return {name: round(min(counts.get(name, 0), items) / items, 3) for name in COVERAGE_FIELDS}


def judge_run(
    articles: Optional[int],
    coverage: Optional[Mapping[str, Optional[float]]],
    items: int,
    previous: Sequence[Mapping[str, Any]],
    *,
    articles_ratio: float = 0.5,
    coverage_drop: float = 0.25,
    min_items: int = 10,
) -> Verdict:
    """Compare one run with the site's previous runs.

    The run is degraded when ``articles`` is below ``articles_ratio`` × the
    median of the previous runs' ``articles``, or when a field's coverage
    share is more than ``coverage_drop`` (absolute) below the median of the
    previous shares. Each check needs at least 2 previous values (older runs
    without numbers are left out); coverage is judged only when this run had
    at least ``min_items`` items.

    :param articles: article URLs the run discovered (None: unknown).
    :param coverage: this run's shares (:func:`coverage_shares`), or None.
    :param items: this run's ``Article`` items.
    :param previous: earlier runs of the site, newest first, each a mapping
        with ``articles`` (int or None) and ``coverage`` (mapping or None), as
        :func:`aggregator.archive.previous_runs` returns them.
    :returns: a :class:`Verdict`.
    """
    verdict = Verdict()
    usual_articles = [p["articles"] for p in previous if isinstance(p.get("articles"), (int, float))]
    if articles is not None and len(usual_articles) >= 2:
        usual = median(usual_articles)
        if articles < articles_ratio * usual:
            verdict.fields.append("articles")
            verdict.changes.append(("articles", usual, articles))
    if coverage and items >= min_items:
        for name in COVERAGE_FIELDS:
            share = coverage.get(name)
            shares = [
                p["coverage"][name] for p in previous
                if isinstance(p.get("coverage"), Mapping) and isinstance(p["coverage"].get(name), (int, float))
            ]
            if share is None or len(shares) < 2:
                continue
            usual = median(shares)
            if usual - share > coverage_drop + 1e-9:
                verdict.fields.append(name)
                verdict.changes.append((name, usual, share))
    return verdict
