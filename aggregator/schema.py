"""The archive's schema, as recorded forward migrations (sqlite-utils ``Migrations``).

Each migration runs once per archive, in a transaction, and is recorded in
the ``_sqlite_migrations`` table; opening an archive written by an older
version applies the ones it lacks, in place. Never edit a migration that has
shipped: add a new one.
"""

from __future__ import annotations

import hashlib
import json

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATIONS = Migrations("aggregator")

ARTICLE_COLUMNS: dict[str, type] = {
    "canonical_url": str,
    "url": str,
    "site": str,
    "headline": str,
    "description": str,
    "date_published": str,
    "date_published_local": str,
    "date_published_precision": str,
    "date_published_raw": str,
    "date_published_raw_source": str,
    "date_published_timezone_source": str,
    "date_modified": str,
    "date_modified_local": str,
    "date_modified_precision": str,
    "date_modified_raw": str,
    "date_modified_raw_source": str,
    "date_downloaded": str,
    "authors": str,
    "breadcrumbs": str,
    "article_section": str,
    "listing_section": str,
    "section": str,
    "section_path": str,
    "section_source": str,
    "sections": str,
    "tags": str,
    "article_body": str,
    "main_image": str,
    "in_language": str,
    "reading_time_raw": str,
    "reading_time_minutes": int,
    "reading_time_source": str,
    "word_count": int,
    "first_seen": str,
    "last_seen": str,
}
"""Columns of the first schema; ``m002`` adds ``content_hash`` and ``status``."""

REVISED_FIELDS = ("headline", "article_body", "date_published", "date_modified")
"""A change to any of these between crawls keeps the old values as a revision."""


def content_hash(row: dict) -> str:
    """SHA-256 (hex) of an article's revised fields (``REVISED_FIELDS``)."""
    payload = json.dumps([row.get(name) for name in REVISED_FIELDS], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@MIGRATIONS(name="m001_articles_and_sections")
def m001_articles_and_sections(db: Database) -> None:
    """Articles, the sites' section taxonomies, article sections, full-text index."""
    articles = db["articles"]
    articles.create(ARTICLE_COLUMNS, pk="canonical_url")
    articles.create_index(["date_published"])
    articles.create_index(["section_path"])
    articles.create_index(["site", "date_published"])
    db["sections"].create(
        {
            "site": str, "path": str, "name": str, "slug": str, "parent": str, "depth": int,
            "url": str, "in_menu": int, "first_seen": str, "last_seen": str,
        },
        pk=("site", "path"),
    )
    db["article_sections"].create(
        {"canonical_url": str, "path": str, "position": int},
        pk=("canonical_url", "path"),
        foreign_keys=[("canonical_url", "articles", "canonical_url")],
    )
    db["article_sections"].create_index(["path"])
    articles.enable_fts(["headline", "description", "article_body"], create_triggers=True, tokenize="porter")


@MIGRATIONS(name="m002_revisions_runs_and_lists")
def m002_revisions_runs_and_lists(db: Database) -> None:
    """Revisions, tags, authors, sites, crawl runs, precomputed related posts,
    the analysts' views; ``content_hash`` and ``status`` on articles, filled
    for the rows already there."""
    articles = db["articles"]
    articles.add_column("content_hash", str)
    articles.add_column("status", str)
    for row in db.query(f"SELECT canonical_url, {', '.join(REVISED_FIELDS)} FROM articles"):
        db.execute(
            "UPDATE articles SET content_hash = ?, status = 'active' WHERE canonical_url = ?",
            [content_hash(row), row["canonical_url"]],
        )
    db["article_revisions"].create(
        {
            "id": int, "canonical_url": str, "headline": str, "article_body": str,
            "date_published": str, "date_modified": str, "content_hash": str,
            "seen_until": str, "recorded_at": str,
        },
        pk="id",
        foreign_keys=[("canonical_url", "articles", "canonical_url")],
    )
    db["article_revisions"].create_index(["canonical_url"])
    db["tags"].create({"id": int, "name": str}, pk="id")
    db["tags"].create_index(["name"], unique=True)
    db["article_tags"].create(
        {"canonical_url": str, "tag_id": int},
        pk=("canonical_url", "tag_id"),
        foreign_keys=[("canonical_url", "articles", "canonical_url"), ("tag_id", "tags", "id")],
    )
    db["article_tags"].create_index(["tag_id"])
    db["authors"].create({"id": int, "name": str}, pk="id")
    db["authors"].create_index(["name"], unique=True)
    db["article_authors"].create(
        {"canonical_url": str, "author_id": int, "position": int},
        pk=("canonical_url", "author_id"),
        foreign_keys=[("canonical_url", "articles", "canonical_url"), ("author_id", "authors", "id")],
    )
    db["article_authors"].create_index(["author_id"])
    for table, link, key in (("tags", "article_tags", "tag_id"), ("authors", "article_authors", "author_id")):
        column = table  # the JSON list column of the same name on articles
        db.execute(f"INSERT OR IGNORE INTO {table} (name) SELECT DISTINCT value FROM articles, json_each(articles.{column})")
        position = ", json_each.key" if link == "article_authors" else ""
        db.execute(
            f"INSERT OR IGNORE INTO {link} (canonical_url, {key}{', position' if position else ''}) "
            f"SELECT articles.canonical_url, {table}.id{position} FROM articles, json_each(articles.{column}) "
            f"JOIN {table} ON {table}.name = json_each.value"
        )
    db["sites"].create({"site": str, "first_seen": str, "last_seen": str}, pk="site")
    db.execute(
        "INSERT OR IGNORE INTO sites (site, first_seen, last_seen) "
        "SELECT site, min(first_seen), max(last_seen) FROM articles WHERE site IS NOT NULL GROUP BY site"
    )
    db["crawl_runs"].create(
        {
            "id": int, "spider": str, "site": str, "started": str, "finished": str, "status": str,
            "finish_reason": str, "pages": int, "new": int, "updated": int, "unchanged": int,
            "dropped": int, "errors": int,
        },
        pk="id",
    )
    db["crawl_runs"].create_index(["site", "started"])
    db["related_articles"].create(
        {"canonical_url": str, "rank": int, "related_url": str, "score": float, "computed_at": str},
        pk=("canonical_url", "rank"),
        foreign_keys=[("canonical_url", "articles", "canonical_url")],
    )
    db.create_view(
        "recent_articles",
        "SELECT canonical_url, site, headline, date_published, section_path, authors, tags, "
        "reading_time_minutes, description FROM articles "
        "ORDER BY date_published IS NULL, date_published DESC",
    )
    db.create_view(
        "articles_by_section",
        "SELECT s.site, s.path AS section, a.canonical_url, a.headline, a.date_published, "
        "x.path AS article_section_path, x.position = 0 AS is_primary "
        "FROM sections s JOIN article_sections x "
        "ON x.path = s.path OR substr(x.path, 1, length(s.path) + 1) = s.path || '/' "
        "JOIN articles a ON a.canonical_url = x.canonical_url AND a.site = s.site",
    )
    db.create_view(
        "daily_counts",
        "SELECT site, substr(date_published, 1, 10) AS day, count(*) AS articles FROM articles "
        "WHERE date_published IS NOT NULL GROUP BY site, day",
    )


@MIGRATIONS(name="m003_lookup_indexes")
def m003_lookup_indexes(db: Database) -> None:
    """Indexes for the read paths: an article by its fetched ``url`` (``find_article``, which
    every ``related`` call runs), and ``(canonical_url, date_published)`` so that ``recent``
    by author or tag orders the author's or tag's articles from the index alone."""
    db["articles"].create_index(["url"], if_not_exists=True)
    db["articles"].create_index(["canonical_url", "date_published"], if_not_exists=True)


@MIGRATIONS(name="m004_incremental_runs")
def m004_incremental_runs(db: Database) -> None:
    """Scheduled runs: the HTTP validators of each article's last fetch
    (``http_etag``, ``http_last_modified``, sent back as conditional
    requests), what each crawl run covered (``site_name`` from the sites
    file, ``sources``, ``requests``, ``articles``, ``coverage`` as JSON
    shares, ``degraded_fields`` as a JSON list), and one ``crawl_locks`` row
    per site being crawled, so that two runs of a site never overlap."""
    articles = db["articles"]
    articles.add_column("http_etag", str)
    articles.add_column("http_last_modified", str)
    runs = db["crawl_runs"]
    for name, kind in (
        ("site_name", str), ("sources", str), ("requests", int), ("articles", int),
        ("coverage", str), ("degraded_fields", str),
    ):
        runs.add_column(name, kind)
    db["crawl_locks"].create(
        {"site": str, "run_id": int, "pid": int, "host": str, "acquired_at": str}, pk="site"
    )


@MIGRATIONS(name="m005_alternative_headline")
def m005_alternative_headline(db: Database) -> None:
    """``alternative_headline``: the article's second headline (structured
    data's ``alternativeHeadline``), kept beside ``headline``."""
    db["articles"].add_column("alternative_headline", str)


@MIGRATIONS(name="m006_original_publisher")
def m006_original_publisher(db: Database) -> None:
    """``original_publisher`` and ``is_based_on``: who first published an
    article an aggregator republishes, and the original article's URL."""
    db["articles"].add_column("original_publisher", str)
    db["articles"].add_column("is_based_on", str)
