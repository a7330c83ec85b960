"""The SQLite archive, written with sqlite-utils.

Tables:

``articles``
    One row per canonical URL (primary key ``canonical_url``); columns are
    the ``Article`` item's fields in snake_case (``headline``,
    ``date_published``, ``section``, ``reading_time_minutes``…); lists
    (``authors``, ``tags``, ``section``, ``breadcrumbs``, ``article_section``)
    are JSON arrays. ``section_path`` is ``section`` joined with ``/``
    (``World News/Asia``), for prefix filters. ``first_seen`` / ``last_seen``
    are UTC ISO 8601 times of the crawls that wrote the row.
``sections``
    The sites' menu taxonomies: ``site``, ``path`` (``World News/Asia``),
    ``name``, ``slug`` (last segment of the URL), ``parent`` (``World News``,
    or null), ``depth``, ``url``, ``in_menu`` (0 once the menu no longer
    shows it; the row is kept), ``first_seen``, ``last_seen``; primary key
    ``(site, path)``.
``article_sections``
    Every section of every article (``sections``): ``canonical_url``,
    ``path``, ``position`` (0 = the primary section).
``articles_fts``
    FTS5 index over ``headline``, ``description`` and ``article_body``, kept
    in sync by triggers.

Upserts never wipe a column: a field an item lacks (None) keeps the stored
value. The database runs in WAL mode with a busy timeout, so readers are not
blocked while a crawl writes. This module imports nothing from Scrapy.
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional
from urllib.parse import urlsplit

import sqlite_utils

BUSY_TIMEOUT_MS = 5000
APPLICATION_ID = 0x4E455753
"""SQLite ``application_id`` of an archive (``NEWS`` in ASCII)."""
LIST_COLUMNS = ("authors", "tags", "section", "sections", "breadcrumbs", "article_section", "listing_section")

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
SECTION_COLUMNS: dict[str, type] = {
    "site": str,
    "path": str,
    "name": str,
    "slug": str,
    "parent": str,
    "depth": int,
    "url": str,
    "in_menu": int,
    "first_seen": str,
    "last_seen": str,
}


class ArchiveError(Exception):
    """The archive file cannot be opened or written."""


def snake_case(name: str) -> str:
    """``datePublishedRaw`` → ``date_published_raw``."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def now_iso() -> str:
    """The current UTC time, ISO 8601 with ``Z``, second precision."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def open_archive(path: str | Path, *, create: bool = True) -> sqlite_utils.Database:
    """Open (and with ``create`` set up) an archive database.

    An archive is marked with SQLite's ``application_id`` (``APPLICATION_ID``);
    a database of another application is never written to.

    :param path: file path; ``":memory:"`` for an in-memory archive.
    :param create: create the file, tables, indexes and full-text index that
        are missing; without it the archive must exist already.
    :raises ArchiveError: when the file cannot be opened, is not an SQLite
        database, is another application's database, or does not exist and
        ``create`` is False.
    """
    if not create and str(path) != ":memory:" and not Path(path).exists():
        raise ArchiveError(f"no archive at {path}: run a crawl first (scrapy crawl news -a url=… -s ARCHIVE_PATH={path})")
    conn = None
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
        db = sqlite_utils.Database(conn)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        application_id = db.execute("PRAGMA application_id").fetchone()[0]
        if application_id != APPLICATION_ID and (db.table_names() or not create):
            raise ArchiveError(
                f"{path} is not an aggregator archive (a database of another application, or empty): "
                "choose another file"
            )
        if create:
            if str(path) != ":memory:":
                db.enable_wal()
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            ensure_schema(db)
    except sqlite3.DatabaseError as exc:
        if conn is not None:
            conn.close()
        raise ArchiveError(f"cannot open archive {path}: {exc}") from exc
    except ArchiveError:
        conn.close()
        raise
    return db


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create the tables, indexes and full-text index that do not exist yet."""
    with db.conn:
        articles = db["articles"]
        if not articles.exists():
            articles.create(ARTICLE_COLUMNS, pk="canonical_url")
            articles.create_index(["date_published"])
            articles.create_index(["section_path"])
            articles.create_index(["site", "date_published"])
        sections = db["sections"]
        if not sections.exists():
            sections.create(SECTION_COLUMNS, pk=("site", "path"))
        links = db["article_sections"]
        if not links.exists():
            links.create(
                {"canonical_url": str, "path": str, "position": int},
                pk=("canonical_url", "path"),
                foreign_keys=[("canonical_url", "articles", "canonical_url")],
            )
            links.create_index(["path"])
    if not db["articles_fts"].exists():
        db["articles"].enable_fts(["headline", "description", "article_body"], create_triggers=True, tokenize="porter")


def article_row(item: Mapping[str, Any]) -> dict[str, Any]:
    """The ``articles`` row of an ``Article`` item (a mapping of its fields).

    Keys become snake_case, lists JSON; None and unknown fields are left out,
    so an upsert keeps what the archive already holds for them.

    :raises ArchiveError: when the item has neither ``canonicalUrl`` nor ``url``.
    """
    row: dict[str, Any] = {}
    for key, value in item.items():
        column = snake_case(key)
        if column not in ARTICLE_COLUMNS or value is None:
            continue
        if column in LIST_COLUMNS:
            value = json.dumps(list(value), ensure_ascii=False)
        row[column] = value
    if not row.get("canonical_url"):
        if not row.get("url"):
            raise ArchiveError("an article needs a canonicalUrl or url")
        row["canonical_url"] = row["url"]
    if item.get("section"):
        row["section_path"] = "/".join(item["section"])
    return row


def write_articles(db: sqlite_utils.Database, rows: Iterable[dict[str, Any]]) -> int:
    """Upsert article rows by ``canonical_url`` in one transaction.

    ``first_seen`` is set on insert only; ``last_seen`` on every write.

    :returns: the number of rows written.
    """
    count = 0
    seen_at = now_iso()
    table = db["articles"]
    with db.conn:
        for row in rows:
            row = {**row, "last_seen": seen_at}
            db.execute(
                "INSERT OR IGNORE INTO articles (canonical_url, first_seen) VALUES (?, ?)",
                [row["canonical_url"], seen_at],
            )
            table.update(row["canonical_url"], row)
            listed = row.get("sections") or (f"[{row['section']}]" if row.get("section") else None)
            if listed:
                paths = list(dict.fromkeys("/".join(p) for p in json.loads(listed) if p))
                db.execute("DELETE FROM article_sections WHERE canonical_url = ?", [row["canonical_url"]])
                db.conn.executemany(
                    "INSERT INTO article_sections (canonical_url, path, position) VALUES (?, ?, ?)",
                    [(row["canonical_url"], path, position) for position, path in enumerate(paths)],
                )
            count += 1
    return count


def write_sections(db: sqlite_utils.Database, site: str, paths: Iterable[tuple[list[str], Optional[str]]]) -> int:
    """Upsert a site's menu sections, given as ``(path, url)`` pairs, in one
    transaction: each is marked ``in_menu`` and ``last_seen`` now;
    ``first_seen`` is set on insert only.

    :returns: the number of sections written.
    """
    seen_at = now_iso()
    count = 0
    with db.conn:
        for path, url in paths:
            if not path:
                continue
            key = "/".join(path)
            db.execute(
                "INSERT OR IGNORE INTO sections (site, path, first_seen) VALUES (?, ?, ?)", [site, key, seen_at]
            )
            db["sections"].update(
                (site, key),
                {
                    "name": path[-1],
                    "slug": urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1] if url else None,
                    "parent": "/".join(path[:-1]) or None,
                    "depth": len(path),
                    "url": url,
                    "in_menu": 1,
                    "last_seen": seen_at,
                },
            )
            count += 1
    return count


def retire_sections(db: sqlite_utils.Database, site: str, current: Iterable[str]) -> int:
    """Mark a site's sections that its menu no longer shows: ``in_menu = 0``.
    The rows are kept, as are their articles.

    :param current: the paths (``World News/Asia``) the menu shows now.
    :returns: the number of sections newly marked.
    """
    current = list(current)
    marks = ",".join("?" * len(current)) or "NULL"
    with db.conn:
        cursor = db.execute(
            f"UPDATE sections SET in_menu = 0 WHERE site = ? AND in_menu = 1 AND path NOT IN ({marks})",
            [site, *current],
        )
    return cursor.rowcount


def decode_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """An ``articles`` row with its JSON list columns decoded."""
    result = dict(row)
    for column in LIST_COLUMNS:
        if isinstance(result.get(column), str):
            try:
                result[column] = json.loads(result[column])
            except ValueError:
                pass
    return result
