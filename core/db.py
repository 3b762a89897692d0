"""Engines, sessions and migrations. SQLite (WAL) embedded, PostgreSQL shared: same code.

Also what keeps the database to its owner and bounded in time: the SQLite file is 0600, no
SQL parameter ever reaches a log or an error message (``hide_parameters``), connecting and
each statement on PostgreSQL are bounded by ``db_connect_timeout`` / ``db_statement_timeout``,
and the errors staff can act on (server down, too slow, a missing data key) are one Japanese
line each. And the SQLite backup and restore of ``hosho db backup|restore``.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError, StatementError
from sqlmodel import Session, col

from core import paths
from core.errors import HoshoError
from core.migrations import HEAD_REVISION

log = logging.getLogger(__name__)

SQLITE_BUSY_SECONDS = 30


class DatabaseError(HoshoError):
    pass


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event below decide how transactions start.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA secure_delete=ON")  # what is deleted or replaced is overwritten
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


def _private_file(path: Path) -> None:
    """The SQLite file (its -wal and -shm take its mode) is created 0600; an existing one
    loses any group/other permission."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            mode = p.stat().st_mode & 0o777
            if mode & 0o077:
                os.chmod(p, mode & 0o600)
        except FileNotFoundError:
            pass
        except PermissionError:  # not ours: leave it to its owner
            log.warning("cannot restrict the permissions of %s", p)


def _settings() -> Any:
    from core.settings import get_settings

    return get_settings()


def create_db_engine(
    url: str,
    *,
    connect_timeout: float | None = None,
    statement_timeout: float | None = None,
    **kwargs: Any,
) -> Engine:
    """An engine for ``url``; the timeouts (seconds) default to the settings. Statement
    parameters never appear in logs or error messages."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(f"データベースURLが読めません: {url!r}") from exc
    if parsed.get_backend_name() == "sqlite":
        uri = str(parsed.query.get("uri", "")).lower() in ("true", "1")  # file:…?mode=ro
        if parsed.database and parsed.database != ":memory:" and not uri:
            _private_file(Path(parsed.database))
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_SECONDS}, hide_parameters=True, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        engine.update_execution_options(hosho_url=describe_url(url))
        return engine
    if connect_timeout is None:
        connect_timeout = float(_settings().db_connect_timeout)
    if statement_timeout is None:
        statement_timeout = float(_settings().db_statement_timeout)
    if parsed.drivername == "postgresql":  # plain URL: use psycopg 3, which we install
        parsed = parsed.set(drivername="postgresql+psycopg")
    connect_args: dict[str, Any] = {"connect_timeout": max(1, math.ceil(connect_timeout))}
    if parsed.get_backend_name() == "postgresql":
        options = parsed.query.get("options", "")
        options = " ".join(options) if isinstance(options, tuple) else options
        if "statement_timeout" not in options:  # one given in the URL wins
            ms = round(statement_timeout * 1000)
            options = f"{options} -c statement_timeout={ms}".strip()
        connect_args["options"] = options
    engine = create_engine(
        parsed.render_as_string(hide_password=False),
        pool_pre_ping=True,
        hide_parameters=True,
        connect_args=connect_args | kwargs.pop("connect_args", {}),
        **kwargs,
    )
    engine.update_execution_options(
        hosho_url=describe_url(url),
        hosho_connect_timeout=connect_timeout,
        hosho_statement_timeout=statement_timeout,
    )
    return engine


# --- errors staff can act on -------------------------------------------------------------


def _seconds(value: Any) -> str:
    return f"{float(value):g}" if value is not None else "?"


def friendly_error(exc: BaseException, engine: Engine) -> HoshoError | None:
    """The Japanese error for ``exc`` when it is one staff can act on, else None: a
    :class:`HoshoError` raised while a value was sealed or opened, a statement stopped by
    ``db_statement_timeout``, a PostgreSQL server that cannot be reached."""
    if isinstance(exc, StatementError) and isinstance(exc.orig, HoshoError):
        return exc.orig
    if not isinstance(exc, DBAPIError):
        return None
    options = engine.get_execution_options()
    url = options.get("hosho_url") or describe_url(str(engine.url))
    state = getattr(exc.orig, "sqlstate", None)
    if state == "57014":  # query_canceled: the statement timeout
        seconds = _seconds(options.get("hosho_statement_timeout"))
        return DatabaseError(f"データベースの処理が{seconds}秒を超えたため中止しました（{url}）")
    if engine.dialect.name == "sqlite" or not isinstance(exc, OperationalError):
        return None
    if state is None or state.startswith("08") or state in ("57P01", "57P02", "57P03"):
        if "timeout expired" in str(exc.orig):
            seconds = _seconds(options.get("hosho_connect_timeout"))
            return DatabaseError(
                f"データベースに接続できません（{seconds}秒で応答がありません）: {url}"
            )
        return DatabaseError(f"データベースに接続できません: {url}（{_first_line(exc)}）")
    return None


@contextmanager
def friendly_errors(engine: Engine) -> Iterator[None]:
    """Re-raise the errors of :func:`friendly_error` as that error."""
    try:
        yield
    except (StatementError, DBAPIError) as exc:
        error = friendly_error(exc, engine)
        if error is None:
            raise
        raise error from exc


# --- schema ------------------------------------------------------------------------------


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


def known_revisions() -> set[str]:
    """Every schema version the migrations of this code know (for a restored file)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(paths.migrations_dir()))
    return {s.revision for s in ScriptDirectory.from_config(cfg).walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    """The schema version stored in the database (None when it has no schema yet)."""
    with friendly_errors(engine), engine.connect() as conn:
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
        with (
            friendly_errors(self.engine),
            Session(self.engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    @contextmanager
    def reader(self) -> Iterator[Session]:
        with friendly_errors(self.engine), Session(self._readonly) as session:
            yield session

    def upgrade(self) -> None:
        before = current_revision(self.engine)
        if before != HEAD_REVISION:
            from alembic import command

            # Migrations may take longer than the statement timeout of daily work.
            engine = self.engine
            if not self.is_sqlite:
                engine = create_db_engine(
                    self.engine.url.render_as_string(hide_password=False), statement_timeout=0
                )
            try:
                with friendly_errors(engine):
                    command.upgrade(_alembic_config(engine), "head")
            finally:
                if engine is not self.engine:
                    engine.dispose()
            if self.is_sqlite and before is not None and before < "0007":
                self.fold_wal()  # the plain 認証キー replaced by 0007 leave the files now
        from core.orderers import sync_orderers_if_changed

        sync_orderers_if_changed(self)
        self.check_secret_key()

    def fold_wal(self) -> None:
        """SQLite: copy the WAL into the database file and empty it, so that what was
        replaced (overwritten in place: ``secure_delete``) is nowhere on disk any more."""
        if not self.is_sqlite:
            return
        with closing(self.engine.raw_connection()) as raw:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def check_schema(self) -> None:
        """Refuse to work on a schema older or newer than this code."""
        current, head = current_revision(self.engine), HEAD_REVISION
        if current != head:
            raise DatabaseError(
                "データベースの版が合っていません"
                f"（現在: {current or '未作成'} / 必要: {head}）。"
                "`hosho db upgrade` を実行してください。"
            )

    def check_secret_key(self) -> None:
        """This machine's data key opens this database's secrets (core.crypto)."""
        from core.keys import check_database_key

        check_database_key(self)

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
            db.check_secret_key()
    except OperationalError as exc:
        db.dispose()
        raise friendly_error(exc, db.engine) or DatabaseError(
            f"データベースに接続できません: {describe_url(url)}（{_first_line(exc)}）"
        ) from exc
    except BaseException:
        db.dispose()
        raise
    return db


def describe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(不正なURL)"


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# --- backup and restore (SQLite) ---------------------------------------------------------


@dataclass(frozen=True)
class Backup:
    file: str
    size: int  # bytes
    revision: str | None  # schema version in the file
    key_id: str | None  # the data key its secrets are sealed with (not in the file)
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Restore:
    file: str  # the database now in use
    source: str
    revision: str | None  # schema version of the restored file
    upgraded_to: str | None  # after the upgrade (equal when it was current)
    previous: str | None  # the copy of the replaced database

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def sqlite_file(url: str, purpose: str) -> Path:
    """The file of a SQLite URL; PostgreSQL is pointed at its own tools."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(f"データベースURLが読めません: {url!r}") from exc
    if parsed.get_backend_name() != "sqlite":
        tool = "pg_dump" if purpose == "バックアップ" else "pg_restore"
        raise DatabaseError(
            f"PostgreSQL のデータベース（{describe_url(url)}）の{purpose}には {tool} を使って"
            "ください（例: pg_dump --format=custom --file=hosho.dump と pg_restore）"
        )
    if not parsed.database or parsed.database == ":memory:":
        raise DatabaseError(f"メモリ上のデータベースは{purpose}できません")
    return Path(parsed.database)


def _temp_beside(path: Path) -> Path:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return tmp


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_only(path: Path) -> sqlite3.Connection:
    uri = path.resolve().as_uri() + "?mode=ro"
    return sqlite3.connect(uri, uri=True, timeout=SQLITE_BUSY_SECONDS)


def _copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of ``source`` (even while others write to it: the online backup
    copies one snapshot in one step) as a single file (rollback journal, no -wal)."""
    with closing(_read_only(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
    _fsync(target)


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _inspect(path: Path) -> tuple[str | None, str | None]:
    """(schema version, data key id) of a hosho database file; refuses anything else."""
    try:
        with closing(_read_only(path)) as conn:
            if conn.execute("PRAGMA quick_check").fetchone() != ("ok",):
                raise DatabaseError(f"{path} のデータベースは壊れています")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if not {"alembic_version", "meta", "guarantee"} <= tables:
                raise DatabaseError(f"{path} は hosho のデータベースではありません")
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            key = conn.execute("SELECT value FROM meta WHERE key = 'secret_key_id'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} を読めません（{exc}）") from exc
    return (revision[0] if revision else None), (key[0] if key else None)


def backup_database(url: str, file: str | Path, *, force: bool = False) -> Backup:
    """Copy the SQLite database to ``file`` (0600) while others may go on writing."""
    from core.files import atomic_file, check_output

    started = time.monotonic()
    source = sqlite_file(url, "バックアップ")
    if not source.is_file():
        raise DatabaseError(f"データベース {source} がありません")
    target = check_output(file)
    if target.exists() and not force:
        raise DatabaseError(f"{target} は既にあります。上書きするときは --force を付けてください")
    if target.resolve() in {source.resolve(), Path(f"{source}-wal").resolve()}:
        raise DatabaseError("使用中のデータベースそのものには書き出せません")
    try:
        with atomic_file(target, private=True) as tmp:
            _copy_sqlite(source, tmp)
            revision, key_id = _inspect(tmp)
    except sqlite3.Error as exc:
        raise DatabaseError(f"バックアップできませんでした（{exc}）") from exc
    return Backup(str(target), target.stat().st_size, revision, key_id, time.monotonic() - started)


def _check_restorable(path: Path) -> str | None:
    from core import crypto

    revision, key_id = _inspect(path)
    if revision not in known_revisions():
        raise DatabaseError(
            f"{path} のデータベースの版（{revision or '不明'}）はこの hosho では使えません"
            f"（使える版は {HEAD_REVISION} まで。新しい hosho で作られたものかもしれません）"
        )
    ring = crypto.load_keyring()
    if key_id is not None and (ring is None or key_id not in ring.ids()):
        raise crypto.SecretKeyError(
            f"このバックアップの認証キーは、この端末にない鍵（鍵 ID {key_id}）で暗号化されて"
            "います。バックアップを作ったときの鍵ファイルを "
            f"{crypto.old_key_file()} として置いてから復元し、続けて hosho db rotate-key "
            "を実行してください"
        )
    return revision


def _take_over(path: Path) -> sqlite3.Connection:
    """An exclusive lock on the database in use, its WAL folded into the file: refused
    while another hosho has it open."""
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
        if mode != "delete":
            raise sqlite3.OperationalError(mode)
        conn.execute("BEGIN EXCLUSIVE")
    except sqlite3.OperationalError:
        conn.close()
        raise DatabaseError(  # (not "wait and retry": the others must end first)
            f"ほかの hosho がデータベース {path} を使っています。すべて終了してから復元してください"
        ) from None
    return conn


def restore_database(url: str, file: str | Path, *, force: bool = False) -> Restore:
    """Replace the SQLite database by the backup ``source``: checked first (a hosho
    database of a version this code knows, sealed with a key this machine has), then put in
    place atomically (0600), the replaced one kept as ``<name>.before-restore``, and an older
    schema upgraded."""
    target = sqlite_file(url, "復元")
    source = Path(file).expanduser()
    if source.is_dir():
        raise DatabaseError(f"{source} はフォルダです。バックアップのファイルを指定してください")
    if not source.is_file():
        raise DatabaseError(f"{source} がありません")
    if not _is_sqlite(source):
        raise DatabaseError(f"{source} は SQLite のデータベースではありません")
    if target.exists() and source.resolve() == target.resolve():
        raise DatabaseError("使用中のデータベースそのものは復元に使えません")
    if target.exists() and not force:
        raise DatabaseError(
            f"いまのデータベース {target} を {source} で置き換えます。"
            "よければ --force を付けて実行してください"
            "（いまのものは .before-restore として残します）"
        )
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = _temp_beside(target)
    keep = target.with_name(target.name + ".before-restore")
    keep_tmp: Path | None = None
    try:
        _copy_sqlite(source, tmp)
        revision = _check_restorable(tmp)
        if target.exists():
            keep_tmp = _temp_beside(keep)
            with closing(_take_over(target)):
                shutil.copyfile(target, keep_tmp)
                _fsync(keep_tmp)
                os.replace(keep_tmp, keep)
                os.replace(tmp, target)
        else:
            for stale in (Path(f"{target}-wal"), Path(f"{target}-shm")):
                stale.unlink(missing_ok=True)  # a WAL left without its database
            os.replace(tmp, target)
    except sqlite3.Error as exc:
        raise DatabaseError(f"復元できませんでした（{exc}）") from exc
    finally:
        tmp.unlink(missing_ok=True)
        if keep_tmp is not None:
            keep_tmp.unlink(missing_ok=True)
    db = open_database(url, auto_upgrade=True)
    try:
        upgraded = current_revision(db.engine)
    finally:
        db.dispose()
    return Restore(
        str(target), str(source), revision, upgraded, str(keep) if keep_tmp is not None else None
    )
