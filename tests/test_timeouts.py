"""Connecting to the database and each statement are bounded in time, and when they are not
answered staff read why (one Japanese line), never a hang nor 「予期しない問題」."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text

from core.db import Database, DatabaseError, open_database
from core.settings import Settings, get_settings
from tests.helpers import cli


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()


def test_defaults() -> None:
    s = Settings()
    assert (s.db_connect_timeout, s.db_statement_timeout) == (10.0, 60.0)


def test_a_server_that_never_answers_is_given_up_on_in_time(
    silent_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOSHO_DB_CONNECT_TIMEOUT", "1")
    get_settings.cache_clear()
    url = f"postgresql://hosho:secret@127.0.0.1:{silent_server}/hosho"
    started = time.monotonic()
    with pytest.raises(DatabaseError) as caught:
        open_database(url, auto_upgrade=False)
    elapsed = time.monotonic() - started
    assert elapsed < 6  # libpq's shortest wait is 2 s
    message = str(caught.value)
    assert message.startswith("データベースに接続できません（1秒で応答がありません）: ")
    assert f"postgresql://hosho:***@127.0.0.1:{silent_server}/hosho" in message
    assert "secret" not in message


def test_cli_says_the_server_is_down(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOSHO_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    for args in (["db", "current"], ["db", "upgrade"], ["guarantee", "list"]):
        out = cli(capsys, *args)
        assert out.code == 1, args
        assert out.err.startswith("エラー: データベースに接続できません: postgresql://nobody@")
        assert "予期しない" not in out.err


def test_cli_says_the_server_does_not_answer(
    silent_server: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOSHO_DATABASE_URL", f"postgresql://nobody@127.0.0.1:{silent_server}/x")
    monkeypatch.setenv("HOSHO_DB_CONNECT_TIMEOUT", "1")
    out = cli(capsys, "db", "current", "--json")
    assert out.code == 1
    assert "データベースに接続できません（1秒で応答がありません）" in out.err


def test_a_statement_that_runs_too_long_is_stopped(
    db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if db.is_sqlite:
        pytest.skip("PostgreSQL only: SQLite waits for its lock (busy timeout), nothing else")
    monkeypatch.setenv("HOSHO_DB_STATEMENT_TIMEOUT", "0.5")
    get_settings.cache_clear()
    bounded = open_database(db_url, auto_upgrade=False)
    try:
        started = time.monotonic()
        stopped = r"データベースの処理が0\.5秒を超えたため中止しました"
        with pytest.raises(DatabaseError, match=stopped), bounded.reader() as s:
            s.execute(text("SELECT pg_sleep(5)"))
        assert time.monotonic() - started < 4
        with bounded.reader() as s:  # the connection is fine afterwards
            assert s.execute(text("SELECT 1")).scalar() == 1
    finally:
        bounded.dispose()


def test_migrations_run_without_the_statement_timeout(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL only")
    monkeypatch.setenv("HOSHO_DB_STATEMENT_TIMEOUT", "5")
    get_settings.cache_clear()
    seen: list[str] = []
    real = command.upgrade

    def spy(cfg: Any, revision: str) -> None:
        with cfg.attributes["engine"].connect() as conn:
            seen.append(conn.execute(text("SHOW statement_timeout")).scalar())
        real(cfg, revision)

    monkeypatch.setattr(command, "upgrade", spy)
    db = open_database(db_url, auto_upgrade=True)
    try:
        with db.reader() as s:
            assert s.execute(text("SHOW statement_timeout")).scalar() == "5s"
    finally:
        db.dispose()
    assert seen == ["0"]  # a long index build is not stopped half-way
