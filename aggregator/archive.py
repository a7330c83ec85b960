"""The SQLite archive, written with sqlite-utils.

The schema (tables, indexes, views) is created and upgraded by the recorded
migrations of :mod:`aggregator.schema`; the README documents every table.
This module opens an archive (marking it with ``APPLICATION_ID`` and
refusing another application's database), and writes to it:

- :func:`write_articles` upserts articles by ``canonical_url``: a field an
  item lacks (None) keeps the stored value; a change of headline, body or
  dates keeps the previous values in ``article_revisions``; the section,
  tag, author and site tables follow.
- :func:`write_sections` / :func:`retire_sections` keep each site's menu
  taxonomy, marking sections that left the menu instead of deleting them.
- :func:`start_run` / :func:`finish_run` record each crawl in ``crawl_runs``;
  :func:`previous_runs` reads a site's earlier runs back.
- :func:`acquire_lock` / :func:`refresh_lock` / :func:`release_lock` keep one
  ``crawl_locks`` row per site being crawled, so two runs of a site never overlap.

The database runs in WAL mode with a busy timeout, so readers are not
blocked while a crawl writes. This module imports nothing from Scrapy.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Optional
from urllib.parse import urlsplit

import sqlite_utils

from aggregator.schema import ARTICLE_COLUMNS as SCHEMA_ARTICLE_COLUMNS
from aggregator.schema import MIGRATIONS, REVISED_FIELDS, content_hash

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
APPLICATION_ID = 0x4E455753
"""SQLite ``application_id`` of an archive (``NEWS`` in ASCII)."""
LIST_COLUMNS = ("authors", "tags", "section", "sections", "breadcrumbs", "article_section", "listing_section")

ARTICLE_COLUMNS = {
    **SCHEMA_ARTICLE_COLUMNS, "content_hash": str, "status": str, "http_etag": str, "http_last_modified": str, "alternative_headline": str,
    "original_publisher": str, "is_based_on": str,
}
"""Columns of ``articles`` (the latest migration's)."""


@dataclass
class WriteResult:
    """What :func:`write_articles` did: rows ``new``, ``updated`` (a revision
    was kept) and ``unchanged``, and the URLs of the new and updated ones."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    changed_urls: list = field(default_factory=list)

    @property
    def written(self) -> int:
        return self.new + self.updated + self.unchanged


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
        marked = _check_marker(db, path, create)
        if create:
            if str(path) != ":memory:":
                db.enable_wal()
            db.execute("PRAGMA synchronous = NORMAL")
        if (create and not marked) or MIGRATIONS.pending(db):
            # One opener at a time marks the file and sets up or upgrades its schema: two
            # crawls (or a crawl and a reader) opening a new archive at once must not both
            # run the migrations. Checked again under the write lock.
            db.execute("PRAGMA foreign_keys = OFF")  # table rebuilds in migrations must not cascade
            with write_transaction(db):
                _check_marker(db, path, create)
                if create:
                    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                if MIGRATIONS.pending(db) and (create or db.table_names()):
                    MIGRATIONS.apply(db)
        db.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        if conn is not None:
            conn.close()
        raise ArchiveError(f"cannot open archive {path}: {exc}") from exc
    except ArchiveError:
        conn.close()
        raise
    return db


def _check_marker(db: sqlite_utils.Database, path, create: bool) -> bool:
    """Whether the file carries the archive's ``application_id``, read together with its
    table list in one snapshot.

    :raises ArchiveError: when it is another application's database (or, without
        ``create``, an empty one).
    """
    with db.atomic():  # one read transaction: the id and the tables of the same moment
        application_id = db.execute("PRAGMA application_id").fetchone()[0]
        tables = db.table_names()
    if application_id != APPLICATION_ID and (tables or not create):
        raise ArchiveError(
            f"{path} is not an aggregator archive (a database of another application, or empty): "
            "choose another file"
        )
    return application_id == APPLICATION_ID


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A transaction that takes the write lock when it begins (``BEGIN IMMEDIATE``),
    waiting up to the busy timeout for it.

    A deferred transaction (``db.atomic()``) that reads first and writes later fails at
    once with "database is locked" when another connection committed in between (WAL
    mode cannot upgrade a stale read snapshot, and the busy timeout does not apply), so
    two crawls writing one archive would keep refusing each other's batches. Inside a
    transaction already: a savepoint.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.rollback()
        raise
    else:
        db.execute("COMMIT")


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


def write_articles(db: sqlite_utils.Database, rows: Iterable[dict[str, Any]]) -> WriteResult:
    """Upsert article rows by ``canonical_url`` in one transaction.

    ``first_seen`` is set on insert only; ``last_seen`` on every write. When
    the headline, body or dates of a stored article change, its previous
    values are kept in ``article_revisions`` first. The ``article_sections``,
    ``article_tags`` and ``article_authors`` links and the ``sites`` row
    follow each write.

    :returns: a :class:`WriteResult`.
    """
    result = WriteResult()
    seen_at = now_iso()
    table = db["articles"]
    with write_transaction(db):
        for row in rows:
            url = row["canonical_url"]
            stored = db.execute(
                f"SELECT {', '.join(REVISED_FIELDS)}, content_hash, last_seen FROM articles WHERE canonical_url = ?", [url]
            ).fetchone()
            previous = dict(zip([*REVISED_FIELDS, "content_hash", "last_seen"], stored)) if stored else None
            merged = {name: row.get(name, previous.get(name) if previous else None) for name in REVISED_FIELDS}
            digest = content_hash(merged)
            if previous is None:
                db.execute("INSERT INTO articles (canonical_url, first_seen) VALUES (?, ?)", [url, seen_at])
                result.new += 1
                result.changed_urls.append(url)
            elif previous["content_hash"] != digest:
                db["article_revisions"].insert(
                    {
                        "canonical_url": url,
                        **{name: previous[name] for name in REVISED_FIELDS},
                        "content_hash": previous["content_hash"],
                        "seen_until": previous["last_seen"],
                        "recorded_at": seen_at,
                    }
                )
                result.updated += 1
                result.changed_urls.append(url)
            else:
                result.unchanged += 1
            table.update(url, {**row, "content_hash": digest, "status": "active", "last_seen": seen_at})
            _write_links(db, row)
            if row.get("site"):
                db.execute("INSERT OR IGNORE INTO sites (site, first_seen) VALUES (?, ?)", [row["site"], seen_at])
                db.execute("UPDATE sites SET last_seen = ? WHERE site = ?", [seen_at, row["site"]])
    return result


def _write_links(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    """Replace an article's section, tag and author links with the row's."""
    url = row["canonical_url"]
    listed = row.get("sections") or (f"[{row['section']}]" if row.get("section") else None)
    if listed:
        paths = list(dict.fromkeys("/".join(p) for p in json.loads(listed) if p))
        db.execute("DELETE FROM article_sections WHERE canonical_url = ?", [url])
        db.conn.executemany(
            "INSERT INTO article_sections (canonical_url, path, position) VALUES (?, ?, ?)",
            [(url, path, position) for position, path in enumerate(paths)],
        )
    for column, table, link, key in (("tags", "tags", "article_tags", "tag_id"), ("authors", "authors", "article_authors", "author_id")):
        if not row.get(column):
            continue
        names = list(dict.fromkeys(json.loads(row[column])))
        db.execute(f"DELETE FROM {link} WHERE canonical_url = ?", [url])
        for position, name in enumerate(names):
            db.execute(f"INSERT OR IGNORE INTO {table} (name) VALUES (?)", [name])
            (name_id,) = db.execute(f"SELECT id FROM {table} WHERE name = ?", [name]).fetchone()
            values = {"canonical_url": url, key: name_id, **({"position": position} if link == "article_authors" else {})}
            db[link].insert(values, ignore=True)


def start_run(db: sqlite_utils.Database, spider: str, site: Optional[str]) -> int:
    """Record a crawl that starts now, ``status = 'running'``.

    :returns: its ``crawl_runs.id``.
    """
    with write_transaction(db):
        return db["crawl_runs"].insert({"spider": spider, "site": site, "started": now_iso(), "status": "running"}).last_pk


RUN_STATUSES = ("running", "finished", "degraded", "skipped", "failed")
"""Values of ``crawl_runs.status``."""


def finish_run(
    db: sqlite_utils.Database,
    run_id: int,
    *,
    finish_reason: str,
    counts: Mapping[str, int],
    site_name: Optional[str] = None,
    sources: Optional[Iterable[str]] = None,
    coverage: Optional[Mapping[str, Optional[float]]] = None,
    degraded_fields: Optional[Iterable[str]] = None,
) -> str:
    """Record the end of a crawl in its ``crawl_runs`` row.

    ``status`` follows the finish reason: ``finished`` → ``finished`` (or
    ``degraded`` when ``degraded_fields`` is not empty; the finish reason is
    kept), ``already_running`` (another run of the site held its lock) →
    ``skipped``, anything else → ``failed``.

    :param counts: column values: ``pages``, ``new``, ``updated``,
        ``unchanged``, ``dropped``, ``errors``, ``requests``, ``articles``
        (any subset; all integers).
    :param site_name: the site's name in the sites file, if the run had one.
    :param sources: the sources the run used (``menu``, ``sitemap``…), stored
        as a JSON list.
    :param coverage: share of items per field, stored as a JSON object (None:
        NULL, e.g. a run without items).
    :param degraded_fields: what dropped compared with earlier runs
        (:func:`aggregator.runs.judge_run`), stored as a JSON list; None
        leaves the column NULL (the run was not judged).
    :returns: the status written.
    """
    degraded = list(degraded_fields) if degraded_fields is not None else None
    if finish_reason == "finished":
        status = "degraded" if degraded else "finished"
    elif finish_reason == "already_running":
        status = "skipped"
    else:
        status = "failed"
    values: dict[str, Any] = {"finished": now_iso(), "status": status, "finish_reason": finish_reason, **counts}
    if site_name is not None:
        values["site_name"] = site_name
    if sources is not None:
        values["sources"] = json.dumps(list(sources))
    values["coverage"] = json.dumps(dict(coverage)) if coverage is not None else None
    values["degraded_fields"] = json.dumps(degraded) if degraded is not None else None
    with write_transaction(db):
        db["crawl_runs"].update(run_id, values)
    return status


def previous_runs(db: sqlite_utils.Database, site: str, *, limit: int = 5, before: Optional[int] = None) -> list[dict[str, Any]]:
    """A site's last runs that ended normally (status ``finished`` or
    ``degraded``), newest first: what :func:`aggregator.runs.judge_run`
    compares a run with.

    :param site: the ``crawl_runs.site`` (host, with port if any).
    :param limit: at most this many runs.
    :param before: only runs with a smaller id (the current run's id).
    :returns: dicts with ``id``, ``articles`` (int or None) and ``coverage``
        (the decoded JSON object, or None when absent or unreadable).
    """
    rows = db.execute(
        "SELECT id, articles, coverage FROM crawl_runs WHERE site = ? AND status IN ('finished', 'degraded') "
        "AND id < ? ORDER BY id DESC LIMIT ?",
        [site, before if before is not None else 2**62, max(0, limit)],
    ).fetchall()
    result = []
    for run_id, articles, coverage in rows:
        try:
            decoded = json.loads(coverage) if coverage else None
        except ValueError:
            decoded = None
        result.append({"id": run_id, "articles": articles, "coverage": decoded if isinstance(decoded, dict) else None})
    return result


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (``os.kill(pid, 0)``;
    one of another user counts as alive)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _age_seconds(stamp: Optional[str], now: datetime) -> Optional[float]:
    try:
        moment = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (now - moment).total_seconds()


def acquire_lock(
    db: sqlite_utils.Database,
    site: str,
    run_id: int,
    *,
    stale_seconds: float,
    pid: Optional[int] = None,
    host: Optional[str] = None,
) -> Optional[dict[str, Any]]:
    """Take the site's crawl lock (its ``crawl_locks`` row) for a run.

    Read and written in one ``BEGIN IMMEDIATE`` transaction, so of two
    processes racing for it only one gets it. A lock is taken over, with a
    warning, when its holder is dead (same host, and ``os.kill(pid, 0)`` finds
    no such process, e.g. a run killed with SIGKILL), or was last refreshed
    more than ``stale_seconds`` ago (any host).

    :param site: the lock's key: the site's host (``crawl_runs.site``).
    :param run_id: the ``crawl_runs.id`` of the run taking it.
    :param stale_seconds: age after which a lock is taken over whoever holds
        it; 0 (or less): never.
    :param pid: the process taking it (default: this one).
    :param host: its host name (default: ``socket.gethostname()``).
    :returns: None when the lock is now this run's; else the holder's row
        (``site``, ``run_id``, ``pid``, ``host``, ``acquired_at``: UTC ISO 8601
        of its last refresh).
    :raises sqlite3.Error: when the archive stays locked past the busy timeout.
    """
    pid = os.getpid() if pid is None else pid
    host = socket.gethostname() if host is None else host
    with write_transaction(db):
        cursor = db.execute("SELECT site, run_id, pid, host, acquired_at FROM crawl_locks WHERE site = ?", [site])
        row = cursor.fetchone()
        if row is not None:
            holder = dict(zip([c[0] for c in cursor.description], row))
            age = _age_seconds(holder["acquired_at"], datetime.now(timezone.utc))
            same_host = holder["host"] == host
            if same_host and holder["pid"] == pid:
                why = "held by this same process"
            elif same_host and not process_alive(int(holder["pid"] or 0)):
                why = "its process is gone"
            elif stale_seconds > 0 and (age is None or age > stale_seconds):
                why = f"not refreshed for {age:.0f} s" if age is not None else "its time is unreadable"
            else:
                return holder
            logger.warning(
                "Taking over the crawl lock of %s from run %s (pid %s on %s since %s): %s",
                site, holder["run_id"], holder["pid"], holder["host"], holder["acquired_at"], why,
            )
        db.execute(
            "INSERT OR REPLACE INTO crawl_locks (site, run_id, pid, host, acquired_at) VALUES (?, ?, ?, ?, ?)",
            [site, run_id, pid, host, now_iso()],
        )
    return None


def refresh_lock(db: sqlite_utils.Database, site: str, run_id: int) -> bool:
    """Mark the run's lock of ``site`` as fresh (``acquired_at`` = now), so that
    a long crawl is never taken for a stale one.

    :returns: False when the run no longer holds it (another run took it over
        as stale).
    :raises sqlite3.Error: when the archive stays locked past the busy timeout.
    """
    with write_transaction(db):
        cursor = db.execute(
            "UPDATE crawl_locks SET acquired_at = ? WHERE site = ? AND run_id = ?", [now_iso(), site, run_id]
        )
    return cursor.rowcount == 1


def release_lock(db: sqlite_utils.Database, site: str, run_id: int) -> bool:
    """Release the run's lock of ``site``; a lock another run holds is left alone.

    :returns: whether the run held it.
    :raises sqlite3.Error: when the archive stays locked past the busy timeout.
    """
    with write_transaction(db):
        cursor = db.execute("DELETE FROM crawl_locks WHERE site = ? AND run_id = ?", [site, run_id])
    return cursor.rowcount == 1


def write_sections(db: sqlite_utils.Database, site: str, paths: Iterable[tuple[list[str], Optional[str]]]) -> int:
    """Upsert a site's menu sections, given as ``(path, url)`` pairs, in one
    transaction: each is marked ``in_menu`` and ``last_seen`` now;
    ``first_seen`` is set on insert only.

    :returns: the number of sections written.
    """
    seen_at = now_iso()
    count = 0
    with write_transaction(db):
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
    with write_transaction(db):
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
