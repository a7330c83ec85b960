"""The archive module: schema, upserts that never wipe, lists, and the stored text."""

from __future__ import annotations

import json

import pytest

from aggregator.archive import (
    ArchiveError,
    article_row,
    finish_run,
    open_archive,
    start_run,
    retire_sections,
    snake_case,
    write_articles,
    write_sections,
)

from conftest import load_cases

URL = "https://news.example.com/2025/02/19/summit-ends/"


def row(**fields):
    return article_row({"url": URL, "canonicalUrl": URL, "site": "news.example.com", **fields})


def test_snake_case():
    assert snake_case("datePublishedRaw") == "date_published_raw"
    assert snake_case("canonicalUrl") == "canonical_url"


def test_row_columns_and_json_lists():
    r = row(headline="Summit ends", authors=["Ana Pérez"], section=["World News", "Asia"], readingTimeMinutes=3, unknownField=1)
    assert r["canonical_url"] == URL and r["headline"] == "Summit ends"
    assert json.loads(r["authors"]) == ["Ana Pérez"]
    assert r["section_path"] == "World News/Asia"
    assert r["reading_time_minutes"] == 3
    assert "unknown_field" not in r


def test_row_needs_a_url():
    with pytest.raises(ArchiveError):
        article_row({"headline": "x"})


def test_upsert_keeps_one_row_and_first_seen(fresh_db):
    write_articles(fresh_db, [row(headline="Summit ends")])
    first = next(fresh_db.query("SELECT first_seen FROM articles"))["first_seen"]
    write_articles(fresh_db, [row(headline="Summit ends without deal")])
    rows = list(fresh_db.query("SELECT * FROM articles"))
    assert len(rows) == 1
    assert rows[0]["headline"] == "Summit ends without deal"
    assert rows[0]["first_seen"] == first


STORAGE = [c for c in load_cases("storage")]


@pytest.mark.skipif(not STORAGE, reason="shared/cases not found")
def test_partial_recrawl_never_wipes_columns(fresh_db):
    case = STORAGE[0]
    names = {"url": "url", "title": "headline", "body": "articleBody", "section": "section"}
    existing = {names[k]: ([v] if k == "section" else v) for k, v in case["input"]["existing_row"].items()}
    partial = {names[k]: v for k, v in case["input"]["recrawl_record"].items()}
    write_articles(fresh_db, [article_row({**existing, "site": "s"})])
    write_articles(fresh_db, [article_row({**partial, "articleBody": None, "section": None})])
    stored = next(fresh_db.query("SELECT url, headline, article_body, section FROM articles"))
    expected = case["expected"]["row_after"]
    assert stored["headline"] == expected["title"]
    assert stored["article_body"] == expected["body"]
    assert json.loads(stored["section"]) == [expected["section"]]


@pytest.mark.parametrize(
    "body",
    [
        "He said \"yes\"; then 'no' -- DROP TABLE articles; SELECT * FROM x WHERE 1=1",
        "nul\x00inside",
        "x" * 1_000_000,
        "Ünïcödé 新闻 ✓",
    ],
)
def test_text_round_trips_unchanged(fresh_db, body):
    write_articles(fresh_db, [row(articleBody=body, headline=body[:50])])
    stored = next(fresh_db.query("SELECT article_body, headline FROM articles"))
    assert stored["article_body"] == body
    assert stored["headline"] == body[:50]


def test_full_text_index_follows_updates(fresh_db):
    write_articles(fresh_db, [row(headline="Harbour bridge reopens", articleBody="Traffic returns.")])
    assert [r["headline"] for r in fresh_db["articles"].search("harbour")] == ["Harbour bridge reopens"]
    write_articles(fresh_db, [row(headline="Tunnel closes", articleBody="Traffic stops.")])
    assert list(fresh_db["articles"].search("harbour")) == []
    assert len(list(fresh_db["articles"].search("tunnel"))) == 1


def test_sections_upserted_by_site_and_path(fresh_db):
    write_sections(fresh_db, "s", [(["World News"], "https://s/category/world/"), (["World News", "Asia"], "u2")])
    write_sections(fresh_db, "s", [(["World News", "Asia"], "https://s/category/world/asia/")])
    rows = {r["path"]: r for r in fresh_db.query("SELECT * FROM sections")}
    assert set(rows) == {"World News", "World News/Asia"}
    asia = rows["World News/Asia"]
    assert (asia["parent"], asia["url"], asia["slug"], asia["depth"], asia["in_menu"]) == (
        "World News", "https://s/category/world/asia/", "asia", 2, 1)
    assert rows["World News"]["parent"] is None and rows["World News"]["slug"] == "world"


def test_sections_gone_from_the_menu_are_kept_and_marked(fresh_db):
    write_sections(fresh_db, "s", [(["World News"], None), (["Opinion"], None)])
    write_sections(fresh_db, "other", [(["Opinion"], None)])
    assert retire_sections(fresh_db, "s", ["World News"]) == 1
    rows = {(r["site"], r["path"]): r["in_menu"] for r in fresh_db.query("SELECT * FROM sections")}
    assert rows == {("s", "World News"): 1, ("s", "Opinion"): 0, ("other", "Opinion"): 1}
    write_sections(fresh_db, "s", [(["Opinion"], None)])  # back in the menu
    assert next(fresh_db.query("SELECT in_menu FROM sections WHERE site='s' AND path='Opinion'"))["in_menu"] == 1


def test_article_sections_follow_the_article(fresh_db):
    write_articles(fresh_db, [row(section=["World News", "Asia"], sections=[["World News", "Asia"], ["Politics"]])])
    links = [(r["path"], r["position"]) for r in fresh_db.query("SELECT * FROM article_sections ORDER BY position")]
    assert links == [("World News/Asia", 0), ("Politics", 1)]
    write_articles(fresh_db, [row(section=["Politics"], sections=[["Politics"]])])
    assert [r["path"] for r in fresh_db.query("SELECT path FROM article_sections")] == ["Politics"]


def test_file_archive_is_wal_and_reopens(tmp_path):
    path = tmp_path / "a.sqlite"
    db = open_archive(path)
    write_articles(db, [row(headline="x")])
    assert db.journal_mode == "wal"
    db.conn.close()
    assert open_archive(path, create=False)["articles"].count == 1


def test_missing_archive_is_a_clear_error(tmp_path):
    with pytest.raises(ArchiveError, match="no archive"):
        open_archive(tmp_path / "missing.sqlite", create=False)


def test_not_a_database_is_a_clear_error(tmp_path):
    path = tmp_path / "junk.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ArchiveError, match="cannot open"):
        open_archive(path)


def test_another_applications_database_is_refused_and_untouched(tmp_path):
    import sqlite3

    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY, title TEXT)")
        conn.execute("INSERT INTO articles (title) VALUES ('mine')")
    before = path.read_bytes()
    for create in (True, False):
        with pytest.raises(ArchiveError, match="not an aggregator archive"):
            open_archive(path, create=create)
    assert path.read_bytes() == before
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO articles (title) VALUES ('still works')")
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal"


def test_empty_file_is_not_an_archive_to_read(tmp_path):
    path = tmp_path / "empty.sqlite"
    path.touch()
    with pytest.raises(ArchiveError, match="not an aggregator archive"):
        open_archive(path, create=False)
    assert open_archive(path)["articles"].count == 0  # a crawl may start one there


def test_changes_keep_revisions_and_unchanged_writes_do_not(fresh_db):
    first = write_articles(fresh_db, [row(headline="Summit ends", articleBody="Day one.", datePublished="2025-02-19")])
    again = write_articles(fresh_db, [row(headline="Summit ends", articleBody="Day one.", datePublished="2025-02-19")])
    changed = write_articles(fresh_db, [row(headline="Summit ends without deal")])  # partial: body kept
    assert (first.new, again.unchanged, changed.updated) == (1, 1, 1)
    assert changed.changed_urls == [URL]
    (revision,) = fresh_db.query("SELECT * FROM article_revisions")
    assert (revision["headline"], revision["article_body"], revision["date_published"]) == ("Summit ends", "Day one.", "2025-02-19")
    stored = next(fresh_db.query("SELECT headline, article_body, status FROM articles"))
    assert stored == {"headline": "Summit ends without deal", "article_body": "Day one.", "status": "active"}


def test_tags_authors_and_sites_tables(fresh_db):
    write_articles(fresh_db, [row(tags=["Bridges", "Transport"], authors=["Ana Pérez", "Li Wei"])])
    write_articles(fresh_db, [row(tags=["Transport"], authors=["Li Wei"])])
    links = list(fresh_db.query(
        "SELECT t.name FROM article_tags x JOIN tags t ON t.id = x.tag_id WHERE x.canonical_url = ?", [URL]))
    assert [r["name"] for r in links] == ["Transport"]
    assert {r["name"] for r in fresh_db.query("SELECT name FROM tags")} == {"Bridges", "Transport"}
    assert [r["name"] for r in fresh_db.query(
        "SELECT a.name FROM article_authors x JOIN authors a ON a.id = x.author_id ORDER BY position")] == ["Li Wei"]
    assert [r["site"] for r in fresh_db.query("SELECT site FROM sites")] == ["news.example.com"]


def test_crawl_runs(fresh_db):
    run = start_run(fresh_db, "news", "news.example.com")
    assert next(fresh_db.query("SELECT status FROM crawl_runs"))["status"] == "running"
    finish_run(fresh_db, run, finish_reason="site_unreachable", counts={"pages": 1, "new": 0, "errors": 1})
    stored = next(fresh_db.query("SELECT * FROM crawl_runs"))
    assert (stored["status"], stored["finish_reason"], stored["pages"], stored["errors"]) == ("failed", "site_unreachable", 1, 1)
    assert stored["finished"] >= stored["started"]


def test_views(fresh_db):
    write_sections(fresh_db, "news.example.com", [(["World News"], None), (["World News", "Asia"], None)])
    write_articles(fresh_db, [
        row(headline="A", datePublished="2025-02-19T01:00:00Z", section=["World News", "Asia"]),
        article_row({"url": URL + "b/", "site": "news.example.com", "headline": "B", "datePublished": "2025-02-19T02:00:00Z", "section": ["World News"]}),
        article_row({"url": URL + "c/", "site": "news.example.com", "headline": "C"}),
    ])
    assert [r["headline"] for r in fresh_db.query("SELECT headline FROM recent_articles")] == ["B", "A", "C"]
    by_section = {(r["section"], r["headline"]) for r in fresh_db.query("SELECT section, headline FROM articles_by_section")}
    assert by_section == {("World News", "A"), ("World News", "B"), ("World News/Asia", "A")}
    assert list(fresh_db.query("SELECT * FROM daily_counts")) == [{"site": "news.example.com", "day": "2025-02-19", "articles": 2}]


def test_old_archive_is_upgraded_in_place(tmp_path):
    """An archive written by the first schema opens, is migrated, and keeps its data."""
    from aggregator.archive import APPLICATION_ID
    from aggregator.schema import MIGRATIONS
    import sqlite_utils

    path = tmp_path / "old.sqlite"
    db = sqlite_utils.Database(path)
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    MIGRATIONS.apply(db, stop_before="m002_revisions_runs_and_lists")
    db["articles"].insert({"canonical_url": URL, "url": URL, "site": "s", "headline": "Old row",
                           "tags": '["Bridges"]', "authors": '["Ana Pérez"]', "first_seen": "2025-01-01T00:00:00Z"})
    db.conn.commit()
    db.conn.close()
    upgraded = open_archive(path, create=False)
    assert [m.name for m in MIGRATIONS.pending(upgraded)] == []
    stored = next(upgraded.query("SELECT headline, content_hash, status FROM articles"))
    assert stored["headline"] == "Old row" and len(stored["content_hash"]) == 64 and stored["status"] == "active"
    assert [r["name"] for r in upgraded.query("SELECT name FROM tags")] == ["Bridges"]
    assert [r["name"] for r in upgraded.query("SELECT a.name FROM article_authors x JOIN authors a ON a.id = x.author_id")] == ["Ana Pérez"]
    assert upgraded.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert upgraded.execute("PRAGMA foreign_key_check").fetchall() == []
