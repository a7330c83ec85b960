"""Shared fixtures: paths of the shared folder, in-memory archives, and a real Redis."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("AGGREGATOR_SHARED", ROOT.parent / "shared"))


def load_cases(name: str) -> list[dict]:
    """The cases of ``shared/cases/<name>.jsonl`` (empty when the folder is absent)."""
    path = SHARED / "cases" / f"{name}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture
def fresh_db():
    """An empty in-memory archive with the full schema."""
    from aggregator.archive import open_archive

    db = open_archive(":memory:")
    yield db
    db.conn.close()


@pytest.fixture(scope="session")
def redis_url():
    """The URL of a real Redis server for the whole session
    (``AGGREGATOR_TEST_REDIS_URL``, else a private ``redis-server``; see
    ``tests/redis_server.py``); the tests that use it are skipped without one.
    Give each test its own ``DISTRIBUTED_KEY_PREFIX``: the server is shared
    and never flushed."""
    from redis_server import RedisUnavailable, redis_server

    try:
        context = redis_server()
        url = context.__enter__()
    except RedisUnavailable as exc:
        pytest.skip(str(exc))
    try:
        yield url
    finally:
        context.__exit__(None, None, None)
