"""Recent and related lists, through the library and the command line."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from aggregator.archive import article_row, open_archive, write_articles
from aggregator.cli import cli
from aggregator.queries import ArticleNotFound, recent, related

BASE = "https://news.example.com"
ARTICLES = [
    ("/a1/", "Harbour bridge reopens after long repairs", ["World News", "Asia"], "2025-02-19T02:30:00Z",
     "The harbour bridge reopened to traffic after repairs. Engineers checked the harbour cables."),
    ("/a2/", "Harbour ferries keep summer timetable", ["World News", "Asia"], "2025-02-18T02:30:00Z",
     "Ferries across the harbour keep their timetable while the bridge cables are checked."),
    ("/a3/", "Election campaign opens in the capital", ["Politics", "Elections"], "2025-02-20T02:30:00Z",
     "Candidates opened the election campaign with rallies in the capital."),
    ("/a4/", "European harbour cities compare bridge repairs", ["World News", "Europe"], "2025-01-01",
     "Several harbour cities compare notes on bridge repairs and cables."),
    ("/a5/", "Undated opinion on parks", ["Opinion"], None, "Parks matter to everyone in the city."),
    ("/a6/", "Harbour bridge reopens after long repairs", ["World News", "Asia"], "2025-02-19T03:00:00Z",
     "A copy of the bridge story under another URL, with harbour cables."),
]


def _fill(db):
    write_articles(
        db,
        [
            article_row({
                "url": BASE + path, "site": "news.example.com", "headline": headline, "section": section,
                "datePublished": date, "articleBody": body, "authors": ["Ana Pérez"],
            })
            for path, headline, section, date, body in ARTICLES
        ],
    )


@pytest.fixture
def db(fresh_db):
    _fill(fresh_db)
    return fresh_db


@pytest.fixture
def db_file(tmp_path):
    path = tmp_path / "news.sqlite"
    database = open_archive(path)
    _fill(database)
    database.conn.close()
    return path


def paths(rows):
    return [r["url"].removeprefix(BASE) for r in rows]


def test_recent_newest_first_undated_last(db):
    assert paths(recent(db)) == ["/a3/", "/a6/", "/a1/", "/a2/", "/a4/", "/a5/"]
    assert paths(recent(db, limit=2)) == ["/a3/", "/a6/"]


def test_recent_by_section_includes_subsections(db):
    assert paths(recent(db, section="World News")) == ["/a6/", "/a1/", "/a2/", "/a4/"]
    assert paths(recent(db, section="World News/Asia")) == ["/a6/", "/a1/", "/a2/"]
    assert paths(recent(db, section="World")) == []  # a prefix of a name is not a parent
    assert paths(recent(db, section="world news/asia")) == ["/a6/", "/a1/", "/a2/"]
    assert recent(db, section="World News")[0]["section"] == ["World News", "Asia"]


def test_related_prefers_shared_words_and_section(db):
    rows = related(db, BASE + "/a1/")
    assert paths(rows)[:2] == ["/a2/", "/a4/"]
    assert "/a1/" not in paths(rows)
    assert "/a6/" not in paths(rows)  # same headline: a duplicate, not a related post
    assert rows[0]["score"] > rows[1]["score"] > 0


def test_related_leaves_out_unrelated_articles(db):
    assert "/a5/" not in paths(related(db, BASE + "/a1/", limit=10))  # no shared word or section


def test_related_finds_the_article_without_its_trailing_slash(db):
    assert paths(related(db, BASE + "/a1"))[0] == "/a2/"


def test_recent_by_site_with_or_without_port(fresh_db):
    write_articles(fresh_db, [article_row({"url": "http://127.0.0.1:8000/x/", "site": "127.0.0.1:8000", "headline": "x"})])
    assert len(recent(fresh_db, site="127.0.0.1")) == len(recent(fresh_db, site="127.0.0.1:8000")) == 1
    assert recent(fresh_db, site="127.0.0.2") == []


def test_related_unknown_url(db):
    with pytest.raises(ArticleNotFound):
        related(db, BASE + "/nope/")


def test_cli_recent_json(db_file):
    result = CliRunner().invoke(cli, ["recent", "--db", str(db_file), "--section", "World News/Asia", "--json"])
    assert result.exit_code == 0, result.output
    assert [r["headline"] for r in json.loads(result.output)] == [
        "Harbour bridge reopens after long repairs", "Harbour bridge reopens after long repairs",
        "Harbour ferries keep summer timetable",
    ]


def test_cli_recent_text(db_file):
    result = CliRunner().invoke(cli, ["recent", "--db", str(db_file), "--limit", "1"])
    assert result.exit_code == 0
    assert "Election campaign opens in the capital" in result.output
    assert "Politics/Elections" in result.output


def test_cli_related(db_file):
    result = CliRunner().invoke(cli, ["related", BASE + "/a1/?utm_source=x", "--db", str(db_file), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["url"] == BASE + "/a2/"


@pytest.mark.parametrize(
    "args, message",
    [
        (["recent", "--db", "missing.sqlite"], "no archive at missing.sqlite"),
        (["related", BASE + "/nope/"], "no archived article"),
        (["recent", "--limit", "0"], "Invalid value"),
    ],
)
def test_cli_errors_are_clear(db_file, args, message):
    if "--db" not in args:
        args = [*args, "--db", str(db_file)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_every_command_has_an_example():
    for name, command in cli.commands.items():
        assert "Example:" in (command.help or ""), name


def test_demo_never_replaces_a_file_that_is_not_a_demo_archive(tmp_path, db_file):
    precious = tmp_path / "thesis.txt"
    precious.write_text("years of work")
    local = tmp_path / "local.sqlite"  # a real crawl of a site on 127.0.0.1
    db = open_archive(local)
    write_articles(db, [article_row({"url": "http://127.0.0.1:8000/a/", "site": "127.0.0.1:8000", "headline": "mine"})])
    db.conn.close()
    for target in (precious, db_file, local):
        before = target.read_bytes()
        result = CliRunner().invoke(cli, ["demo", "--db", str(target)])
        assert result.exit_code == 1 and "is not an archive made by aggregator demo" in result.output
        assert target.read_bytes() == before


def test_serve_demo_on_a_busy_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        result = CliRunner().invoke(cli, ["serve-demo", "--port", str(sock.getsockname()[1])])
    assert result.exit_code == 1 and "cannot serve on 127.0.0.1" in result.output


def test_cli_on_another_applications_database(tmp_path):
    import sqlite3

    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY)")
    for args in (["recent"], ["related", BASE + "/a1/"]):
        result = CliRunner().invoke(cli, [*args, "--db", str(path)])
        assert result.exit_code == 1 and "not an aggregator archive" in result.output


def test_recent_filters_by_author_tag_and_dates(fresh_db):
    write_articles(fresh_db, [
        article_row({"url": BASE + "/x1/", "site": "s", "headline": "x1", "datePublished": "2025-02-18T23:00:00Z", "authors": ["Ana Pérez"], "tags": ["Bridges"]}),
        article_row({"url": BASE + "/x2/", "site": "s", "headline": "x2", "datePublished": "2025-02-19T08:00:00Z", "authors": ["Li Wei"], "tags": ["bridges", "Ports"]}),
        article_row({"url": BASE + "/x3/", "site": "s", "headline": "x3", "datePublished": "2025-02-20", "authors": ["Li Wei"]}),
    ])
    heads = lambda **kw: [r["headline"] for r in recent(fresh_db, **kw)]  # noqa: E731
    assert heads(author="li wei") == ["x3", "x2"]
    assert heads(tag="BRIDGES") == ["x2", "x1"]
    assert heads(since="2025-02-19") == ["x3", "x2"]
    assert heads(until="2025-02-19") == ["x2", "x1"]  # a bare date counts whole
    assert heads(since="2025-02-19", until="2025-02-19") == ["x2"]


def test_related_reads_the_precomputed_list(db):
    from aggregator.queries import store_related

    assert store_related(db, [BASE + "/a1/"]) == 1
    stored = [r["related_url"] for r in db.query("SELECT related_url FROM related_articles ORDER BY rank")]
    assert stored[:2] == [BASE + "/a2/", BASE + "/a4/"]
    db.execute("UPDATE related_articles SET score = 99 WHERE rank = 0")  # prove the list is read, not recomputed
    assert related(db, BASE + "/a1/", limit=2)[0]["score"] == 99
    assert related(db, BASE + "/a1/", limit=2, fresh=True)[0]["score"] < 99


def test_store_related_counts_each_term_once_and_stores_the_unshared_lists(db):
    from collections import Counter

    from aggregator.queries import article_terms, compute_related, find_article, store_related

    urls = [BASE + path for path, *_ in ARTICLES]
    unshared = {
        url: [(row["canonical_url"], row["score"]) for row in compute_related(db, find_article(db, url), limit=10)]
        for url in urls
    }
    counted = []  # the statements, parameters bound: one per term counted
    db.conn.set_trace_callback(lambda sql: counted.append(sql) if "SELECT count(*) FROM articles_fts" in sql else None)
    try:
        assert store_related(db, urls) == 6
    finally:
        db.conn.set_trace_callback(None)
    stored = {
        url: [(row["related_url"], row["score"]) for row in db.query(
            "SELECT related_url, score FROM related_articles WHERE canonical_url = ? ORDER BY rank", [url])]
        for url in urls
    }
    assert stored == unshared
    assert [url for url, _ in stored[BASE + "/a1/"][:2]] == [BASE + "/a2/", BASE + "/a4/"]
    assert stored[BASE + "/a5/"] == [(BASE + "/a4/", 1.0)]  # its one shared word: "city" stems as "cities"
    terms = {term for url in urls for term in article_terms(find_article(db, url))}
    assert "harbour" in terms and len(terms) > 12
    assert len(counted) == len(terms)
    assert max(Counter(counted).values()) == 1


def test_cli_recent_csv_and_bad_dates(db_file):
    import csv as csv_module
    import io

    result = CliRunner().invoke(cli, ["recent", "--db", str(db_file), "--csv", "--section", "Politics"])
    assert result.exit_code == 0, result.output
    rows = list(csv_module.DictReader(io.StringIO(result.output)))
    assert [r["headline"] for r in rows] == ["Election campaign opens in the capital"]
    assert json.loads(rows[0]["section"]) == ["Politics", "Elections"]
    for value in ("last week", "2026-13-01"):
        bad = CliRunner().invoke(cli, ["recent", "--db", str(db_file), "--since", value])
        assert bad.exit_code == 2 and "not an ISO 8601 date" in bad.output
    both = CliRunner().invoke(cli, ["recent", "--db", str(db_file), "--csv", "--json"])
    assert both.exit_code == 2 and "choose one of --json and --csv" in both.output
    empty = CliRunner().invoke(cli, ["recent", "--db", str(db_file), "--csv", "--section", "Nowhere"])
    assert empty.output.splitlines()[0].startswith("canonical_url,url,headline,date_published")


@pytest.mark.parametrize(
    "since, until, expected",
    [
        ("2025-02-19 02:40", None, ["/a3/", "/a6/"]),  # no offset: UTC
        ("2025-02-19T10:40:00+08:00", None, ["/a3/", "/a6/"]),  # converted to 02:40Z
        (None, "2025-02-19T03:00:00Z", ["/a1/", "/a2/", "/a4/"]),
    ],
)
def test_cli_since_until_are_compared_in_utc(db_file, since, until, expected):
    args = ["recent", "--db", str(db_file), "--json"]
    args += ["--since", since] if since else []
    args += ["--until", until] if until else []
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert [r["url"].removeprefix(BASE) for r in json.loads(result.output)] == expected


def test_site_filter_has_no_wildcards(db):
    assert recent(db, site="%") == [] and recent(db, site="news.example.com%") == []
