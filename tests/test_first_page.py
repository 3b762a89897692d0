"""The first page of the guarantee list read with the standard library (core.first_page): the
same rows as the service with no filter, and None wherever the database layer must answer."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest

from core import services
from core.db import Database
from core.demo import seed
from core.first_page import ListRow, first_page, sqlite_path


def test_same_rows_as_the_service(db: Database, db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        assert first_page(db_url, 50) is None  # PostgreSQL: the database layer answers
        return
    seed(db, 120, seed=7)
    for limit in (1, 50, 200):
        fast = first_page(db_url, limit)
        assert fast is not None and len(fast) == min(limit, 120)
        views = services.search_guarantees(db, services.GuaranteeFilter(limit=limit))
        names = [f.name for f in dataclasses.fields(ListRow)]
        assert [dataclasses.asdict(r) for r in fast] == [
            {name: getattr(v, name) for name in names} for v in views
        ]


def test_none_where_the_database_layer_must_answer(
    tmp_path: Path, db: Database, db_url: str
) -> None:
    assert first_page(f"sqlite:///{tmp_path / 'missing.db'}", 50) is None
    assert first_page("sqlite://", 50) is None and sqlite_path("sqlite:///:memory:") is None
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database" * 100)
    assert first_page(f"sqlite:///{garbage}", 50) is None
    if not db_url.startswith("sqlite"):
        return
    path = sqlite_path(db_url)
    assert path is not None
    db.dispose()
    with sqlite3.connect(path) as conn:  # a file from an older hosho, before its upgrade
        conn.execute("UPDATE alembic_version SET version_num = '0007'")
    assert first_page(db_url, 50) is None


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:////var/lib/hosho/hosho.db", "/var/lib/hosho/hosho.db"),
        ("sqlite:///hosho.db", "hosho.db"),
        ("sqlite:////tmp/a%20b.db?timeout=5", "/tmp/a b.db"),
        ("postgresql://postgres@127.0.0.1/test", None),
    ],
)
def test_sqlite_path(url: str, path: str | None) -> None:
    assert sqlite_path(url) == (Path(path) if path else None)
