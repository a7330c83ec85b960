"""The ``aggregator`` command line: a veneer over :mod:`aggregator.queries`,
the sites file (:mod:`aggregator.sites`) and the bundled demo site.

Commands: ``recent``, ``related``, ``crawl``, ``demo``, ``serve-demo``. Run
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
from typing import Any, Optional

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


def _run_summary(archive: Path, name: str, after: int) -> Optional[dict[str, Any]]:
    """The ``crawl_runs`` row a child crawl of site ``name`` wrote (id above ``after``), if any."""
    if not archive.exists():
        return None
    try:
        db = open_archive(archive, create=False)
        try:
            rows = list(db.query(
                "SELECT * FROM crawl_runs WHERE id > ? AND site_name = ? ORDER BY id DESC LIMIT 1", [after, name]
            ))
        finally:
            db.conn.close()
    except (ArchiveError, sqlite3.Error):
        return None
    return rows[0] if rows else None


def _last_run_id(archive: Path) -> int:
    if not archive.exists():
        return 0
    try:
        db = open_archive(archive, create=False)
        try:
            return db.execute("SELECT coalesce(max(id), 0) FROM crawl_runs").fetchone()[0]
        finally:
            db.conn.close()
    except (ArchiveError, sqlite3.Error):
        return 0


def _summary_line(name: str, code: int, seconds: float, run: Optional[dict[str, Any]]) -> str:
    if run is None:
        return f"{name}: exit {code} after {seconds:.0f} s; no run recorded (see the messages above)"
    line = (
        f"{name}: {run['status']} ({run['finish_reason']}), {run['pages'] or 0} pages, {run['new'] or 0} new, "
        f"{run['updated'] or 0} updated, {run['errors'] or 0} errors"
    )
    degraded = json.loads(run["degraded_fields"]) if run.get("degraded_fields") else []
    if degraded:
        line += f", degraded: {', '.join(degraded)}"
    return f"{line}; exit {code} after {seconds:.0f} s"


@cli.command("crawl")
@click.option("--site", "names", multiple=True, metavar="NAME", help="A site of the sites file; repeat for several.")
@click.option("--all", "all_sites", is_flag=True, help="Every site of the sites file, in its order.")
@click.option("--sites-file", type=click.Path(dir_okay=False), default=None,
              help="The sites file (TOML). Default: the SITES_FILE setting, sites.toml in the current folder.")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="A Scrapy or project setting for every crawl, as scrapy crawl -s; repeatable.")
def crawl_command(names: tuple[str, ...], all_sites: bool, sites_file: Optional[str], overrides: tuple[str, ...]) -> None:
    """Crawl sites of the sites file, one after the other, for a scheduled job.

    Each site runs as its own `scrapy crawl news -a site=NAME` in a child
    process, whose output is shown as it comes, followed by one summary line
    (status, finish reason, pages, new, updated and errors, from crawl_runs). The exit status is the highest of the crawls': 0 when
    all finished (degraded runs included), 1 when one failed or was skipped
    because another run of the site was in progress, 2 for a usage error.

    Example:

        aggregator crawl --all --sites-file sites.toml -s LOG_LEVEL=WARNING
    """
    from scrapy.utils.project import get_project_settings

    from aggregator.config import ConfigError
    from aggregator.sites import load_sites

    if not names and not all_sites:
        raise click.UsageError("choose the sites: --site NAME (repeatable) or --all")
    for override in overrides:
        if "=" not in override or not override.split("=", 1)[0].strip():
            raise click.BadParameter(f"{override!r} is not NAME=VALUE", param_hint="-s")
    given = dict(o.split("=", 1) for o in overrides)
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "aggregator.settings")
    project = get_project_settings()
    path = Path(sites_file or given.get("SITES_FILE") or project.get("SITES_FILE") or "sites.toml").expanduser().resolve()
    if names and all_sites:
        raise click.UsageError("choose either --site NAME or --all, not both")
    try:
        sites = load_sites(path)
    except ConfigError as exc:  # a usage error, like the crawl's own: exit status 2
        raise click.UsageError(str(exc)) from exc
    unknown = [name for name in names if name not in sites]
    if unknown:
        raise click.UsageError(f"no site {unknown[0]!r} in {path}; the sites are: {', '.join(sites)}")
    chosen = list(sites) if all_sites else list(dict.fromkeys(names))
    env = {**os.environ}
    worst = 0
    for name in chosen:
        archive = Path(given.get("ARCHIVE_PATH") or sites[name].archive or project.get("ARCHIVE_PATH") or "news.sqlite")
        archive = archive.expanduser().resolve()
        before = _last_run_id(archive)
        command = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"site={name}", "-s", f"SITES_FILE={path}"]
        for override in overrides:
            command += ["-s", override]
        click.echo(f"Crawling {name} ({sites[name].url}) …", err=True)
        started = time.monotonic()
        try:
            code = subprocess.run(command, env=env).returncode
        except KeyboardInterrupt:  # Ctrl-C reached the crawl too, which stopped cleanly (its lock released)
            click.echo(f"{name}: interrupted; the remaining sites were not crawled", err=True)
            sys.exit(130)
        if code < 0:  # killed by a signal, as a shell reports it
            code = 128 - code
        click.echo(_summary_line(name, code, time.monotonic() - started, _run_summary(archive, name, before)))
        worst = max(worst, code)
    sys.exit(worst)


@cli.command("ingest")
@click.option("--url", help="The site's home page, as given to the workers (-a url=).")
@click.option("--site", "name", metavar="NAME", help="A site of the sites file instead of --url (its url, name and settings).")
@click.option("--sites-file", type=click.Path(dir_okay=False), default=None,
              help="The sites file (TOML). Default: the SITES_FILE setting, sites.toml in the current folder.")
@click.option("--db", "db_path", default=None, type=click.Path(dir_okay=False),
              help="The archive. Default: the ARCHIVE_PATH setting.")
@click.option("--sources", default=None, help="The workers' -a sources=, for the run record (default: menu,sitemap,feed).")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="A Scrapy or project setting, as scrapy crawl -s (e.g. REDIS_URL=redis://host:6379/0); repeatable.")
def ingest_command(url: Optional[str], name: Optional[str], sites_file: Optional[str], db_path: Optional[str],
                   sources: Optional[str], overrides: tuple[str, ...]) -> None:
    """Archive the items of a distributed crawl: the single writer.

    Workers (`scrapy crawl news -a url=URL -s DISTRIBUTED=True`, on any
    machine) push their items to Redis; this reads them for the same site,
    runs the project's pipelines and writes the archive, with one crawl_runs
    row for the whole run. The normalization settings (SITE_TIMEZONE,
    SITE_LANGUAGES, SECTION_ALIASES, READING_WPM, READING_CPM) apply here, not
    on the workers: give them to this command (or use --site). It ends when no item is waiting and no worker has
    been alive for DISTRIBUTED_IDLE_CLOSE seconds. Exit status 0 when the run
    finished, 1 when it did not (another ingester of the site is running, the
    archive refused items), 2 for a usage error.

    Example:

        aggregator ingest --url https://news.example.com/ --db news.sqlite -s REDIS_URL=redis://10.0.0.5:6379/0
    """
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from aggregator.commands.crawl import FAILED_STATS, apply_site
    from aggregator.config import ConfigError, check_settings, check_site_url, check_sources
    from aggregator.distributed import IngestSpider

    if bool(url) == bool(name):
        raise click.UsageError("give the site: --url URL or --site NAME")
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "aggregator.settings")
    settings = get_project_settings()
    for override in overrides:
        key, sep, value = override.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{override!r} is not NAME=VALUE", param_hint="-s")
        settings.set(key.strip(), value, priority="cmdline")
    if sites_file:
        settings.set("SITES_FILE", sites_file, priority="cmdline")
    if db_path:
        settings.set("ARCHIVE_PATH", db_path, priority="cmdline")
    settings.set("DISTRIBUTED", True, priority="cmdline")  # checks Redis below
    try:
        spargs = apply_site(settings, {"site": name} if name else {"url": url})
        if sources is not None:
            spargs["sources"] = sources
        check_site_url(spargs.get("url"))
        check_sources(spargs.get("sources"))
        check_settings(settings)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(IngestSpider)
    process.crawl(crawler, **{k: v for k, v in spargs.items() if k in ("url", "site_name", "sources")})
    process.start()
    get = crawler.stats.get_value
    reason = get("finish_reason")
    failed = [key for key in FAILED_STATS if get(key)]
    if process.bootstrap_failed or reason != "finished" or failed:
        click.echo(f"ingest failed: finish reason {reason!r}{'; ' + ', '.join(failed) if failed else ''}", err=True)
        sys.exit(1)


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


if __name__ == "__main__":  # python -m aggregator.cli
    cli()
