"""``hosho db backup`` and ``hosho db restore`` of the embedded SQLite database."""

from __future__ import annotations

import hashlib
import sqlite3
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command

from core import certificates, crypto, paths, services
from core.db import Database, _alembic_config, open_database
from core.migrations import HEAD_REVISION
from core.settings import get_settings
from tests.helpers import cli, make_guarantee

OP = "テスト担当"


@pytest.fixture
def local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """The embedded database, selected for the command line."""
    url = f"sqlite:///{tmp_path / 'data' / 'hosho.db'}"
    monkeypatch.setenv("HOSHO_DATABASE_URL", url)
    get_settings.cache_clear()
    db = open_database(url)
    try:
        yield db
    finally:
        db.dispose()


def db_path(db: Database) -> Path:
    return Path(db.engine.url.database or "")


def issue(db: Database, name: str = "株式会社肥後建設") -> certificates.IssueResult:
    cid = services.add_customer(db, name=name, email="info@higo.example.jp", operator=OP).id
    g = make_guarantee(db, cid)
    return certificates.issue_certificate(db, g.guarantee_number, operator=OP)


def assert_key_checks(db: Database, r: certificates.IssueResult) -> None:
    """The restored database (opened anew) checks the key issued before the backup."""
    reopened = open_database(str(db.engine.url))
    try:
        assert r.auth_key
        assert certificates.verify(reopened, r.guarantee_number, r.auth_key, operator=OP).ok
    finally:
        reopened.dispose()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def query(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- backup --------------------------------------------------------------------------------------


def test_backup_is_consistent_while_another_connection_writes(
    local: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    issue(local)
    writer = open_database(str(local.engine.url))  # another hosho, busy adding customers
    stop = threading.Event()
    added: list[int] = []

    def write() -> None:
        while not stop.is_set():
            services.add_customer(
                writer, name=f"株式会社並行{len(added)}", confirmed=True, operator=OP
            )
            added.append(1)

    thread = threading.Thread(target=write)
    thread.start()
    try:
        while len(added) < 5:  # writing for sure
            stop.wait(0.01)
        target = tmp_path / "backup.db"
        out = cli(capsys, "db", "backup", str(target), "--json")
    finally:
        stop.set()
        thread.join()
        writer.dispose()
    assert out.code == 0, out.err
    report = out.json
    assert report["file"] == str(target) and report["revision"] == HEAD_REVISION
    assert report["key_id"] == crypto.keyring().current_id and report["size"] > 0
    assert mode(target) == 0o600
    assert query(target, "PRAGMA integrity_check") == [("ok",)]
    assert query(target, "PRAGMA journal_mode") == [("delete",)]  # one self-contained file
    # a snapshot: every customer with its audit event, none half-written
    (customers,), (audited,) = (
        query(target, "SELECT count(*) FROM customer")[0],
        query(target, "SELECT count(*) FROM auditevent WHERE action = 'customer.add'")[0],
    )
    assert customers == audited and 1 < customers <= 1 + len(added)


def test_backup_text_output_reminds_of_the_key_file(
    local: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    issue(local)
    out = cli(capsys, "db", "backup", str(tmp_path / "b.db"))
    assert out.code == 0, out.err
    assert out.out.startswith(f"バックアップしました: {tmp_path / 'b.db'}（")
    assert "secret.key はバックアップに含まれない" in out.out


def test_backup_refusals(
    local: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = tmp_path / "old.db"
    existing.write_bytes(b"keep me")
    out = cli(capsys, "db", "backup", str(existing))
    assert out.code == 1 and "既にあります。上書きするときは --force" in out.err
    assert existing.read_bytes() == b"keep me"
    out = cli(capsys, "db", "backup", str(existing), "--force")
    assert out.code == 0, out.err
    assert existing.read_bytes().startswith(b"SQLite format 3\x00") and mode(existing) == 0o600

    out = cli(capsys, "db", "backup", str(tmp_path))
    assert out.code == 1 and "はフォルダです" in out.err
    out = cli(capsys, "db", "backup", str(tmp_path / "nowhere" / "b.db"))
    assert out.code == 1 and "フォルダがありません" in out.err
    assert not (tmp_path / "nowhere").exists()
    out = cli(capsys, "db", "backup", str(db_path(local)), "--force")
    assert out.code == 1 and "使用中のデータベース" in out.err
    assert "予期しない" not in out.err


def test_postgres_is_pointed_at_pg_dump(
    env_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if env_db.is_sqlite:
        pytest.skip("PostgreSQL only")
    out = cli(capsys, "db", "backup", str(tmp_path / "b.db"))
    assert out.code == 1 and "pg_dump" in out.err
    out = cli(capsys, "db", "restore", str(tmp_path / "b.db"))
    assert out.code == 1 and "pg_restore" in out.err
    assert not (tmp_path / "b.db").exists()


# --- restore -------------------------------------------------------------------------------------


def test_restore_round_trip(
    local: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kept = issue(local)
    backup = tmp_path / "backup.db"
    assert cli(capsys, "db", "backup", str(backup)).code == 0
    later = issue(local, "株式会社後から")  # not in the backup
    local.dispose()  # every other hosho has ended

    out = cli(capsys, "db", "restore", str(backup))
    assert out.code == 1 and "--force" in out.err  # the database in use is not replaced unasked
    out = cli(capsys, "db", "restore", str(backup), "--force", "--json")
    assert out.code == 0, out.err
    report = out.json
    current = db_path(local)
    previous = Path(f"{current}.before-restore")
    assert report == {
        "file": str(current),
        "source": str(backup),
        "revision": HEAD_REVISION,
        "upgraded_to": HEAD_REVISION,
        "previous": str(previous),
    }
    assert mode(current) == 0o600 and mode(previous) == 0o600
    numbers = {n for (n,) in query(previous, "SELECT number FROM guarantee")}
    assert numbers == {kept.guarantee_number, later.guarantee_number}  # the replaced one, whole

    db = open_database(str(local.engine.url))
    try:
        assert kept.auth_key
        assert certificates.verify(db, kept.guarantee_number, kept.auth_key, operator=OP).ok
        with pytest.raises(Exception, match="見つかりません"):
            services.get_guarantee(db, later.guarantee_number)
    finally:
        db.dispose()
    out = cli(capsys, "db", "restore", str(backup), "--force")
    assert out.code == 0 and out.out.startswith(f"復元しました: {backup} → {current}（版 ")
    assert "置き換える前のデータベースは" in out.out


def test_restore_into_an_empty_place(
    local: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    r = issue(local)
    backup = tmp_path / "backup.db"
    assert cli(capsys, "db", "backup", str(backup)).code == 0
    local.dispose()
    current = db_path(local)
    for path in (current, Path(f"{current}-wal"), Path(f"{current}-shm")):
        path.unlink(missing_ok=True)
    out = cli(capsys, "db", "restore", str(backup), "--json")  # nothing to replace: no --force
    assert out.code == 0, out.err
    assert out.json["previous"] is None
    assert {n for (n,) in query(current, "SELECT number FROM guarantee")} == {r.guarantee_number}


def test_restore_refuses_what_it_cannot_use(
    local: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    issue(local)
    local.dispose()
    current = db_path(local)
    before = digest(current)
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a database")
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    newer = tmp_path / "newer.db"
    assert cli(capsys, "db", "backup", str(newer)).code == 0
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    cases = [
        (text_file, "SQLite のデータベースではありません"),
        (other, "hosho のデータベースではありません"),
        (newer, "版（9999）はこの hosho では使えません"),
        (tmp_path, "はフォルダです"),
        (tmp_path / "missing.db", "がありません"),
        (current, "使用中のデータベースそのもの"),
    ]
    for source, message in cases:
        out = cli(capsys, "db", "restore", str(source), "--force")
        assert out.code == 1, source
        assert message in out.err, (source, out.err)
        assert "予期しない" not in out.err
    assert digest(current) == before  # untouched
    assert not Path(f"{current}.before-restore").exists()
    assert not [p for p in current.parent.iterdir() if p.name.endswith(".tmp")]


def test_restore_refuses_a_backup_sealed_with_another_key(
    local: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    issue(local)
    backup = tmp_path / "backup.db"
    assert cli(capsys, "db", "backup", str(backup)).code == 0
    local.dispose()
    monkeypatch.setenv("HOSHO_SECRET_KEY", crypto.encode_key(crypto.new_key()))
    out = cli(capsys, "db", "restore", str(backup), "--force")
    assert out.code == 1
    assert "この端末にない鍵" in out.err and "secret.key.old として置いてから" in out.err


def test_a_backup_from_before_rotate_key_comes_back_with_its_old_key(
    local: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    r = issue(local)
    backup = tmp_path / "backup.db"
    assert cli(capsys, "db", "backup", str(backup)).code == 0
    old_key = paths.secret_key_file().read_text()
    assert cli(capsys, "db", "rotate-key").code == 0
    local.dispose()
    out = cli(capsys, "db", "restore", str(backup), "--force")
    assert out.code == 1 and "この端末にない鍵" in out.err
    # as the message says: the old key beside the new one, restore, rotate-key
    crypto.old_key_file().write_text(old_key)
    assert cli(capsys, "db", "restore", str(backup), "--force").code == 0
    out = cli(capsys, "db", "rotate-key", "--json")
    assert out.code == 0, out.err
    assert out.json["resumed"] and out.json["certificates"] == 1
    assert not crypto.old_key_file().exists()
    assert_key_checks(local, r)


def test_restore_of_an_older_schema_is_upgraded(
    local: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old_url = f"sqlite:///{tmp_path / 'old.db'}"
    old = open_database(old_url)
    r = issue(old)
    command.downgrade(_alembic_config(old.engine), "0006")  # made by hosho of 0006
    old.dispose()
    local.dispose()
    out = cli(capsys, "db", "restore", str(tmp_path / "old.db"), "--force", "--json")
    assert out.code == 0, out.err
    assert (out.json["revision"], out.json["upgraded_to"]) == ("0006", HEAD_REVISION)
    current = db_path(local)
    (sealed,) = query(current, "SELECT auth_key FROM certificate")[0]
    assert isinstance(sealed, bytes) and sealed.startswith(b"\x01")
    assert_key_checks(local, r)


def test_restore_is_refused_while_another_hosho_has_the_database_open(
    local: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    issue(local)
    backup = tmp_path / "backup.db"
    assert cli(capsys, "db", "backup", str(backup)).code == 0
    with local.reader() as s:  # a hosho still running: its connection is open
        s.connection()
        out = cli(capsys, "db", "restore", str(backup), "--force")
    assert out.code == 1 and "ほかの hosho がデータベース" in out.err
    assert not Path(f"{db_path(local)}.before-restore").exists()
