"""The recent and related lists, read from the archive.

``recent`` lists articles newest first by ``date_published`` (articles with
no date last). ``related`` ranks other articles for one article by a score:

    score = text + 1.0 × (same top-level section) + 0.5 × (same full section path)

where ``text`` is the full-text match of the candidate against the
article's own terms (its headline counted five times, its description twice
and the first 200 words of its body once; the 12 most frequent words of 4+
letters that are not stop words), by SQLite FTS5's BM25, scaled so the best
other article has 1.0. Candidates are the 50 best full-text matches plus
the 20 newest articles of the same top-level section; the article itself,
any article with the same headline (a duplicate) and candidates scoring 0
are left out. Ties go to the newer article.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import Any, Iterable, Optional

import sqlite_utils

from aggregator.archive import decode_row, now_iso, write_transaction
from aggregator.urls import canonical_url

LIST_COLUMNS = (
    "canonical_url, url, headline, date_published, section, section_path, authors, tags, "
    "reading_time_minutes, description"
)
_WORD = re.compile(r"[^\W\d_]{4,}", re.U)
_NOT_DIGIT = re.compile(r"\D")
STOP_WORDS = frozenset(
    """about above after again against also among because been before being below between both
    could does doing down during each from further have having here into itself just more most
    much must only other over same should some such than that their theirs them then there these
    they this those through under until very were what when where which while whom will with
    would your yours said says year years first last many make made like well back even still""".split()
)


PRECOMPUTED = 10
"""Related posts stored per article in ``related_articles``."""
COMMON_TERM_SHARE = 0.1
COMMON_TERM_MIN_ARTICLES = 500
"""An article's term found in more than ``COMMON_TERM_SHARE`` of the archive's articles (and
in more than ``COMMON_TERM_MIN_ARTICLES``) is left out of its full-text query: BM25 gives
such a term almost no weight, yet matching and scoring every article that has it is most
of the cost of ``compute_related`` on a large archive."""


class ArticleNotFound(LookupError):
    """No article in the archive has that URL."""


def recent(
    db: sqlite_utils.Database,
    *,
    section: Optional[str] = None,
    site: Optional[str] = None,
    author: Optional[str] = None,
    tag: Optional[str] = None,
    since: Optional[str] = None,
    until: Optional[str] = None,
    limit: int = 20,
) -> list[dict[str, Any]]:
    """The newest articles.

    :param section: a section path such as ``"World News"`` or
        ``"World News/Asia"``, matched without regard to ASCII case;
        subsections are included, and so are articles filed there as a
        second category.
    :param site: a host name, e.g. ``"news.example.com"`` (any port).
    :param author: an author's name (ASCII case ignored).
    :param tag: a tag (ASCII case ignored).
    :param since: ISO 8601 date or time: published on or after it (UTC).
    :param until: ISO 8601 date or time: published before it, a bare date
        counting whole (``2025-02-19`` includes that day).
    :param limit: at most this many rows.
    :returns: rows of the ``articles`` table (the columns of ``LIST_COLUMNS``,
        lists decoded), newest ``date_published`` first, undated last.
    """
    where, params = [], {}
    if section:
        section = section.strip("/")
        # Correlated, so that the newest articles are read from the date index first and the
        # scan stops at ``limit``: article_sections' index is not NOCASE and cannot serve the filter.
        where.append(
            "EXISTS (SELECT 1 FROM article_sections s WHERE s.canonical_url = articles.canonical_url"
            " AND (s.path = :section COLLATE NOCASE"
            " OR substr(s.path, 1, length(:section) + 1) = :section || '/' COLLATE NOCASE))"
        )
        params["section"] = section
    if site:
        where.append("(site = :site COLLATE NOCASE OR substr(site, 1, length(:site) + 1) = :site || ':' COLLATE NOCASE)")
        params["site"] = site
    for param, value, table, link, key in (
        ("author", author, "authors", "article_authors", "author_id"),
        ("tag", tag, "tags", "article_tags", "tag_id"),
    ):
        if value:
            # The name first (CROSS JOIN fixes the order), then its articles.
            where.append(
                f"canonical_url IN (SELECT x.canonical_url FROM {table} CROSS JOIN {link} x"
                f" ON x.{key} = {table}.id WHERE {table}.name = :{param} COLLATE NOCASE)"
            )
            params[param] = value
    if since:
        where.append("date_published >= :since")
        params["since"] = since
    if until:
        where.append("date_published < :until")
        params["until"] = until + "T99" if len(until) == 10 else until
    # NULLs sort last in a descending order already: ordering by "date_published IS NULL"
    # first would stop SQLite from reading the date index in order (a full scan and sort).
    order = " ORDER BY date_published DESC, canonical_url"
    # The rows are picked first (from (canonical_url, date_published) when an author or tag
    # gives the candidates: no article row is read to sort them), then fetched.
    source = "articles INDEXED BY idx_articles_canonical_url_date_published" if author or tag else "articles"
    picked = f"SELECT rowid FROM {source}" + (" WHERE " + " AND ".join(where) if where else "") + order + " LIMIT :limit"
    sql = f"SELECT {LIST_COLUMNS} FROM articles WHERE rowid IN ({picked})" + order
    params["limit"] = max(0, limit)
    return [decode_row(row) for row in db.query(sql, params)]


def find_article(db: sqlite_utils.Database, url: str) -> dict[str, Any]:
    """The archived article with this canonical or fetched URL.

    :raises ArticleNotFound: when there is none.
    """
    canonical = canonical_url(url)
    other_slash = canonical[:-1] if canonical.endswith("/") else canonical + "/"
    for candidate in (url, canonical, other_slash):
        rows = list(
            db.query(
                "SELECT rowid, * FROM articles WHERE canonical_url = :u OR url = :u LIMIT 1", {"u": candidate}
            )
        )
        if rows:
            return decode_row(rows[0])
    raise ArticleNotFound(f"no archived article has the URL {url}")


def article_terms(article: dict[str, Any], count: int = 12) -> list[str]:
    """The article's own terms: most frequent words of 4+ letters, stop words left out."""
    words = Counter()
    for text, weight in (
        (article.get("headline") or "", 5),
        (article.get("description") or "", 2),
        (" ".join((article.get("article_body") or "").split()[:200]), 1),
    ):
        for word in _WORD.findall(text.lower()):
            if word not in STOP_WORDS:
                words[word] += weight
    return [word for word, _ in words.most_common(count)]


def related(
    db: sqlite_utils.Database, url: str, *, limit: int = 5, fresh: bool = False
) -> list[dict[str, Any]]:
    """Articles related to the one at ``url``, best first (score in the module docstring).

    Read from ``related_articles`` (precomputed when the article was written:
    one indexed lookup) when it holds at least ``limit`` rows for the article;
    else, or with ``fresh``, computed now.

    :returns: rows as in :func:`recent`, each with its ``score`` (float).
    :raises ArticleNotFound: when ``url`` is not archived.
    """
    article = find_article(db, url)
    if not fresh:
        rows = [
            decode_row(row)
            for row in db.query(
                f"SELECT {', '.join('a.' + c.strip() for c in LIST_COLUMNS.split(','))}, r.score FROM related_articles r "
                "JOIN articles a ON a.canonical_url = r.related_url WHERE r.canonical_url = :url ORDER BY r.rank LIMIT :limit",
                {"url": article["canonical_url"], "limit": max(0, limit)},
            )
        ]
        if len(rows) >= limit:
            return rows
    return compute_related(db, article, limit=limit)


def store_related(db: sqlite_utils.Database, urls: Iterable[str], *, limit: int = PRECOMPUTED) -> int:
    """Compute the related posts of the articles at ``urls`` (canonical URLs)
    and store them in ``related_articles``, replacing earlier lists.

    All in one transaction, sharing one :class:`RelatedCache`: a term, or a
    section's newest articles, is looked up once for all the articles.

    :returns: the number of articles whose list was stored.
    """
    stored = 0
    computed_at = now_iso()
    with write_transaction(db):
        # Made inside the transaction: the articles it reads cannot change while it is used.
        cache = RelatedCache()
        for url in dict.fromkeys(urls):
            try:
                article = find_article(db, url)
            except ArticleNotFound:
                continue
            rows = compute_related(db, article, limit=limit, cache=cache)
            db.execute("DELETE FROM related_articles WHERE canonical_url = ?", [article["canonical_url"]])
            db.conn.executemany(
                "INSERT INTO related_articles (canonical_url, rank, related_url, score, computed_at) VALUES (?, ?, ?, ?, ?)",
                [(article["canonical_url"], rank, row["canonical_url"], row["score"], computed_at)
                 for rank, row in enumerate(rows)],
            )
            stored += 1
    return stored


class RelatedCache:
    """The lookups of :func:`compute_related` that do not depend on the article:
    the archive's article count, each term's document count and each
    top-level section's newest articles, kept once read.

    Share one across calls that read the same state of the archive (as
    :func:`store_related` does, in one transaction): it is stale as soon as
    articles are written. It grows with the terms and sections seen (a few
    integers each), not with the article count.
    """

    def __init__(self) -> None:
        self.articles: Optional[int] = None
        self.term_counts: dict[str, int] = {}
        self.section_newest: dict[str, tuple[int, ...]] = {}

    def article_count(self, db: sqlite_utils.Database) -> int:
        """About the number of articles (the highest rowid; 0 when empty)."""
        if self.articles is None:
            (articles,) = db.execute("SELECT max(rowid) FROM articles").fetchone()
            self.articles = articles or 0
        return self.articles

    def term_count(self, db: sqlite_utils.Database, term: str) -> int:
        """The number of articles whose full text has ``term``."""
        count = self.term_counts.get(term)
        if count is None:
            (count,) = db.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", [f'"{term}"']).fetchone()
            self.term_counts[term] = count
        return count

    def newest_in_section(self, db: sqlite_utils.Database, top: str) -> tuple[int, ...]:
        """The rowids of the 20 newest articles of the top-level section ``top`` (subsections included)."""
        rowids = self.section_newest.get(top)
        if rowids is None:
            rowids = tuple(
                row[0]
                for row in db.execute(
                    "SELECT rowid FROM articles WHERE section_path = :top OR substr(section_path, 1, length(:top) + 1) = :top || '/' "
                    "ORDER BY date_published DESC, canonical_url LIMIT 20",
                    {"top": top},
                )
            )
            self.section_newest[top] = rowids
        return rowids


def compute_related(
    db: sqlite_utils.Database, article: dict[str, Any], *, limit: int = 5, cache: Optional[RelatedCache] = None
) -> list[dict[str, Any]]:
    """Score and rank the related posts of an archived article (a row of
    :func:`find_article`) now, from the full-text index and the sections.

    :param cache: lookups shared with other calls on the same, unchanged,
        archive (see :class:`RelatedCache`); default: none shared. The
        result is the same with or without it.
    :returns: rows as in :func:`recent`, each with its ``score`` (float).
    """
    if cache is None:
        cache = RelatedCache()
    terms = article_terms(article)
    if terms:
        common = max(COMMON_TERM_MIN_ARTICLES, COMMON_TERM_SHARE * cache.article_count(db))
        terms = [term for term in terms if cache.term_count(db, term) <= common]
    text_scores: dict[int, float] = {}
    if terms:
        match = " OR ".join(f'"{term}"' for term in terms)
        for rowid, rank in db.execute(
            "SELECT rowid, bm25(articles_fts) AS rank FROM articles_fts WHERE articles_fts MATCH :match "
            "ORDER BY rank LIMIT 51",
            {"match": match},
        ):
            text_scores[rowid] = -rank
    own_path = article.get("section_path") or ""
    own_top = own_path.split("/")[0]
    same_section = cache.newest_in_section(db, own_top) if own_path else ()
    text_scores.pop(article["rowid"], None)
    candidates = (set(text_scores) | set(same_section)) - {article["rowid"]}
    if not candidates:
        return []
    best = max(text_scores.values(), default=0.0) or 1.0
    # Scored on the few columns the score needs; the listed columns are read for the best ones only.
    rows = db.execute(
        "SELECT rowid, canonical_url, headline, date_published, section_path FROM articles "
        f"WHERE rowid IN ({','.join('?' * len(candidates))})",
        list(candidates),
    )
    own_headline = (article.get("headline") or "").casefold()
    scored = []
    for rowid, url, headline, published, path in rows:
        if own_headline and (headline or "").casefold() == own_headline:
            continue
        path = path or ""
        score = max(text_scores.get(rowid, 0.0), 0.0) / best
        if own_top and path.split("/")[0] == own_top:
            score += 1.0
        if own_path and path == own_path:
            score += 0.5
        score = round(score, 4)
        if score <= 0:
            continue  # no shared word, no shared section (or a trace of one): not related
        scored.append((score, published, url, rowid))
    # Ties by URL: the same archive gives the same lists whatever order its rows were written in.
    scored.sort(key=lambda r: (-r[0], -_sortable(r[1]), r[2]))
    best_rows = scored[: max(0, limit)]
    if not best_rows:
        return []
    listed = {
        row["rowid"]: row
        for row in db.query(
            f"SELECT rowid, {LIST_COLUMNS} FROM articles WHERE rowid IN ({','.join('?' * len(best_rows))})",
            [rowid for *_, rowid in best_rows],
        )
    }
    result = []
    for score, _, _, rowid in best_rows:
        if rowid in listed:
            row = decode_row(listed[rowid])
            del row["rowid"]
            row["score"] = score
            result.append(row)
    return result


@lru_cache(maxsize=1 << 16)  # called for every candidate of every article: the same dates come back
def _sortable(value: Optional[str]) -> float:
    digits = _NOT_DIGIT.sub("", value or "")[:14]
    return float(digits.ljust(14, "0")) if digits else 0.0
