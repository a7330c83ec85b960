"""Shared fixtures: paths of the shared folder, and in-memory archives."""

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
