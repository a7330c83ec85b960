"""The ``aggregator`` command line: a veneer over :mod:`aggregator.queries`
and the bundled demo site.

Commands: ``recent``, ``related``, ``demo``, ``serve-demo``. Run
``aggregator COMMAND --help`` for each one's options and an example.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import click

from aggregator.archive import ArchiveError, open_archive
from aggregator.queries import ArticleNotFound, recent, related

ISO_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?Z?)?$")

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
        columns = list(rows[0]) if rows else ["canonical_url", "headline", "date_published"]
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


def _check_demo_archive(path: Path) -> None:
    """Refuse to replace anything but an archive of an earlier demo crawl
    (every article from the demo server on 127.0.0.1)."""
    try:
        db = open_archive(path, create=False)
        other = db.execute("SELECT count(*) FROM articles WHERE site NOT LIKE '127.0.0.1:%'").fetchone()[0]
        db.conn.close()
    except (ArchiveError, sqlite3.Error):
        other = None
    if other != 0:
        raise click.ClickException(f"{path} exists and is not a demo archive: choose another --db")


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
@click.option("--since", metavar="DATE", help="Published on or after this ISO 8601 date or time (UTC).")
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
    for name, value in (("--since", since), ("--until", until)):
        if value and not ISO_PREFIX.match(value):
            raise click.BadParameter(f"{value!r} is not an ISO 8601 date such as 2025-02-19", param_hint=name)
    rows = recent(
        _open(db_path), section=section, site=site, author=author, tag=tag, since=since, until=until, limit=limit
    )
    _print_rows(rows, as_json, as_csv=as_csv)


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
              help="The demo archive; an earlier demo archive there is replaced, any other file is left alone.")
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
    count = db["articles"].count
    click.echo(f"\nArchived {count} articles in {path}\n\nRecent:")
    rows = recent(db, limit=5)
    _print_rows(rows, False)
    if rows:
        click.echo(f"\nRelated to: {rows[0]['headline']}")
        _print_rows(related(db, rows[0]["canonical_url"], limit=3), False, extra=("score",))

