"""Shared fixtures: every database test runs on SQLite, and on PostgreSQL when
HOSHO_TEST_POSTGRES_URL is set (set but unreachable is a failure, not a skip)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.db import Database, open_database
from core.settings import get_settings

pytest_plugins = ["tests.smtp_server"]  # the smtp fixture: a real local SMTP server

POSTGRES_URL = os.environ.get("HOSHO_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads or writes the real user folders or config."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    for key in list(os.environ):
        if key.startswith("HOSHO_") and key != "HOSHO_TEST_POSTGRES_URL":
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOSHO_OPERATOR", "テスト担当")
    get_settings.cache_clear()


def _postgres_schema_url(schema: str) -> str:
    assert POSTGRES_URL
    url = make_url(POSTGRES_URL)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL on each backend (a fresh PostgreSQL schema per test)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hosho.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_postgres_schema_url("public"))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _postgres_schema_url(schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A migrated database with the shipped orderers loaded."""
    database = open_database(db_url, auto_upgrade=True)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def env_db(db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Database:
    """The migrated database, also selected for the command line via HOSHO_DATABASE_URL."""
    monkeypatch.setenv("HOSHO_DATABASE_URL", db_url)
    get_settings.cache_clear()
    return db
