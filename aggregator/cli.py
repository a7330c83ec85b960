"""The ``aggregator`` command line: a veneer over :mod:`aggregator.queries`
and the bundled demo site.

Commands: ``recent``, ``related``, ``demo``, ``serve-demo``. Run
``aggregator COMMAND --help`` for each one's options and an example.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
from datetime import datetime, timezone
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import click

from aggregator.archive import ArchiveError, open_archive
from aggregator.queries import LIST_COLUMNS, ArticleNotFound, recent, related

DB_OPTION = click.option(
    "--db",
    "db_path",
    default="news.sqlite",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The archive file written by a crawl (ARCHIVE_PATH).",
)


def _open(db_path: str):
    try:
        return open_archive(db_path, create=False)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc


def _print_rows(rows: list[dict[str, Any]], as_json: bool, extra: tuple[str, ...] = (), as_csv: bool = False) -> None:
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if as_csv:
        columns = list(rows[0]) if rows else [c.strip() for c in LIST_COLUMNS.split(",")] + list(extra)
        writer = csv.DictWriter(sys.stdout, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v for k, v in row.items()})
        return
    if not rows:
        click.echo("(no articles)")
        return
    for row in rows:
        date = (row.get("date_published") or "-")[:16]
        section = row.get("section_path") or "-"
        prefix = "".join(f"{row[key]:>6}  " for key in extra)
        click.echo(f"{prefix}{date:<16}  {section:<40.40}  {row.get('headline') or '(no headline)'}")
        click.echo(f"{' ' * len(prefix)}{'':<16}  {row.get('canonical_url')}")


DEMO_MARK = 0x44454D4F
"""SQLite ``user_version`` that ``aggregator demo`` sets on the archive it made (``DEMO``)."""


def _check_demo_archive(path: Path) -> None:
    """Refuse to replace anything but an archive ``aggregator demo`` made (marked ``DEMO_MARK``)."""
    try:
        db = open_archive(path, create=False)
        mark = db.execute("PRAGMA user_version").fetchone()[0]
        db.conn.close()
    except (ArchiveError, sqlite3.Error):
        mark = None
    if mark != DEMO_MARK:
        raise click.ClickException(f"{path} exists and is not an archive made by aggregator demo: choose another --db")


@click.group()
@click.version_option(package_name="news-aggregator-crawler")
def cli() -> None:
    """Query the news archive, and run the bundled demo."""


@cli.command("recent")
@DB_OPTION
@click.option("--section", help='A section path, e.g. "World News" or "World News/Asia"; subsections included.')
@click.option("--site", help="Only this site (host name).")
@click.option("--author", help="Only articles by this author.")
@click.option("--tag", help="Only articles with this tag.")
@click.option("--since", metavar="DATE", help="Published on or after this ISO 8601 date or time (no offset: UTC).")
@click.option("--until", metavar="DATE", help="Published before this ISO 8601 time; a bare date counts whole.")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV with a header row.")
def recent_command(
    db_path: str, section: str | None, site: str | None, author: str | None, tag: str | None,
    since: str | None, until: str | None, limit: int, as_json: bool, as_csv: bool,
) -> None:
    """List the newest articles by datePublished (undated last).

    Example:

        aggregator recent --db news.sqlite --section "World News" --since 2025-01-01 --limit 5
    """
    if as_json and as_csv:
        raise click.UsageError("choose one of --json and --csv")
    since, until = _utc_bound(since, "--since"), _utc_bound(until, "--until")
    rows = recent(
        _open(db_path), section=section, site=site, author=author, tag=tag, since=since, until=until, limit=limit
    )
    _print_rows(rows, as_json, as_csv=as_csv)


def _utc_bound(value: str | None, name: str) -> str | None:
    """A --since/--until value as the archive stores dates: a bare date as
    given, a time converted to UTC (``2025-02-19T02:30:00Z``; no offset: UTC)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date or time such as 2025-02-19", param_hint=name) from None
    if len(value.strip()) == 10:
        return moment.date().isoformat()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@cli.command("related")
@click.argument("url")
@DB_OPTION
@click.option("--limit", default=5, show_default=True, type=click.IntRange(min=1))
@click.option("--fresh", is_flag=True, help="Compute the list now instead of reading the precomputed one.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV with a header row.")
def related_command(url: str, db_path: str, limit: int, fresh: bool, as_json: bool, as_csv: bool) -> None:
    """List articles related to the archived article at URL, best first.

    The score adds full-text similarity (BM25, best = 1.0), 1.0 for the same
    top-level section and 0.5 for the same full section path. Lists are
    precomputed when a crawl writes an article; others are computed now.

    Example:

        aggregator related https://news.example.com/2025/02/19/summit-ends/ --db news.sqlite
    """
    if as_json and as_csv:
        raise click.UsageError("choose one of --json and --csv")
    try:
        rows = related(_open(db_path), url, limit=limit, fresh=fresh)
    except ArticleNotFound as exc:
        raise click.ClickException(str(exc)) from exc
    _print_rows(rows, as_json, extra=("score",), as_csv=as_csv)


@cli.command("serve-demo")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--articles", default=72, show_default=True, type=click.IntRange(min=1))
def serve_demo_command(port: int, articles: int) -> None:
    """Serve the bundled demo news site on 127.0.0.1 until interrupted.

    Example:

        aggregator serve-demo --port 8000
    """
    from aggregator.demo_site import DemoServer, build_demo_site

    try:
        server = DemoServer(build_demo_site(articles), port=port)
    except OSError as exc:
        raise click.ClickException(f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}") from exc
    with server:
        click.echo(f"Demo site at {server.base_url}/ (Ctrl-C to stop)")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


@cli.command("demo")
@click.option("--db", "db_path", default="demo.sqlite", show_default=True, type=click.Path(dir_okay=False),
              help="The demo archive; one made by an earlier `aggregator demo` is replaced, any other file is refused.")
@click.option("--articles", default=72, show_default=True, type=click.IntRange(min=1))
def demo_command(db_path: str, articles: int) -> None:
    """Serve the demo site, crawl it into the archive, print recent and related.

    The crawl is ``scrapy crawl news`` with the demo site's time zone. An
    earlier demo archive at the same path is replaced; any other file there
    is an error, never overwritten.

    Example:

        aggregator demo --db demo.sqlite
    """
    from aggregator.demo_site import DemoServer, build_demo_site

    path = Path(db_path).resolve()
    if path.exists():
        _check_demo_archive(path)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    site = build_demo_site(articles)
    with DemoServer(site) as server:
        click.echo(f"Serving the demo site at {server.base_url}/ and crawling it into {path} …")
        env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "aggregator.settings"}
        command = [
            sys.executable, "-m", "scrapy", "crawl", "news",
            "-a", f"url={server.base_url}/",
            "-s", f"ARCHIVE_PATH={path}",
            "-s", f"SITE_TIMEZONE={site.timezone}",
            "-s", "LOG_LEVEL=WARNING",
        ]
        result = subprocess.run(command, env=env)
    if result.returncode != 0:
        raise click.ClickException(f"the crawl failed (exit status {result.returncode})")
    db = _open(str(path))
    db.execute(f"PRAGMA user_version = {DEMO_MARK}")
    count = db["articles"].count
    click.echo(f"\nArchived {count} articles in {path}\n\nRecent:")
    rows = recent(db, limit=5)
    _print_rows(rows, False)
    if rows:
        click.echo(f"\nRelated to: {rows[0]['headline']}")
        _print_rows(related(db, rows[0]["canonical_url"], limit=3), False, extra=("score",))

