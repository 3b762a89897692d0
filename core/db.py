"""Engines, sessions and migrations. SQLite (WAL) embedded, PostgreSQL shared: same code."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlmodel import Session, col

from core import paths
from core.errors import HoshoError
from core.migrations import HEAD_REVISION

log = logging.getLogger(__name__)


class DatabaseError(HoshoError):
    pass


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event below decide how transactions start.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA cache_size=-65536")  # 64 MiB of page cache per connection
    cur.execute("PRAGMA mmap_size=1073741824")  # read through the OS page cache
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # A plain BEGIN that reads then writes fails at once with "database is locked" under
    # concurrency; writers take the lock up front. Read-only work asks for a deferred BEGIN.
    if conn.get_execution_options().get("hosho_readonly"):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(f"データベースURLが読めません: {url!r}") from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.drivername == "postgresql":  # plain URL: use psycopg 3, which we install
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(paths.migrations_dir()))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision(engine: Engine) -> str | None:
    from alembic.script import ScriptDirectory

    head: str | None = ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()
    return head


def current_revision(engine: Engine) -> str | None:
    """The schema version stored in the database (None when it has no schema yet)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


class Database:
    """One database: an engine plus session helpers."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._readonly = engine.execution_options(hosho_readonly=True)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read-write unit of work: committed on success, rolled back on error."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def reader(self) -> Iterator[Session]:
        with Session(self._readonly) as session:
            yield session

    def upgrade(self) -> None:
        if current_revision(self.engine) != HEAD_REVISION:
            from alembic import command

            command.upgrade(_alembic_config(self.engine), "head")
        from core.orderers import sync_orderers_if_changed

        sync_orderers_if_changed(self)

    def check_schema(self) -> None:
        """Refuse to work on a schema older or newer than this code."""
        current, head = current_revision(self.engine), HEAD_REVISION
        if current != head:
            raise DatabaseError(
                "データベースの版が合っていません"
                f"（現在: {current or '未作成'} / 必要: {head}）。"
                "`hosho db upgrade` を実行してください。"
            )

    def get_meta(self, key: str) -> str | None:
        from core.models import Meta

        with self.reader() as s:
            value: str | None = s.scalar(select(col(Meta.value)).where(col(Meta.key) == key))
            return value

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str, *, auto_upgrade: bool | None = None) -> Database:
    """Open a database; the embedded SQLite one is migrated automatically on start."""
    db = Database(create_db_engine(url))
    upgrade = db.is_sqlite if auto_upgrade is None else auto_upgrade
    try:
        if upgrade:
            db.upgrade()
        else:
            db.check_schema()
    except OperationalError as exc:
        db.dispose()
        raise DatabaseError(
            f"データベースに接続できません: {describe_url(url)}（{_first_line(exc)}）"
        ) from exc
    return db


def describe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(不正なURL)"


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
