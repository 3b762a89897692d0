"""Nothing readable that should not be: the 認証キー and the kept notices are sealed at rest,
the files are the owner's only, the key is checked, rotated and migrated; and the 認証キー
check holds its limit under simultaneous attempts (on both backends)."""

from __future__ import annotations

import os
import stat
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from core import certificates, crypto, keys, paths, services
from core.certificates import VerifyThrottled
from core.db import Database, _alembic_config, create_db_engine, open_database
from core.migrations import HEAD_REVISION
from core.models import Meta, NoticeFile
from core.settings import get_settings
from mailer import outbox
from tests.helpers import cli, make_guarantee

OP = "テスト担当"


def issue_many(db: Database, count: int = 4) -> list[certificates.IssueResult]:
    """Electronic certificates with their notice PDF and mail kept (as at issue time)."""
    cid = services.add_customer(
        db, name="株式会社肥後建設", email="info@higo.example.jp", operator=OP
    ).id
    issued = []
    for i in range(count):
        g = make_guarantee(db, cid, project=f"県道改良工事 第{i + 1}工区")
        r = certificates.issue_certificate(
            db, g.guarantee_number, operator=OP, mail_domain="hosho.example"
        )
        assert r.auth_key and outbox.prepare_notice(db, r.certificate_id)
        issued.append(r)
    return issued


def sqlite_file(db: Database) -> Path | None:
    return Path(db.engine.url.database or "") if db.is_sqlite else None


def raw_bytes(db: Database) -> bytes:
    """What a copy of the database gives away: the SQLite file and its WAL as they are on
    disk, or every sealed column as PostgreSQL holds it (bytea, and as text)."""
    path = sqlite_file(db)
    if path is not None:
        wal = Path(f"{path}-wal")
        return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    with db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT auth_key, auth_key::text FROM certificate UNION ALL "
                "SELECT pdf, pdf::text FROM noticefile UNION ALL "
                "SELECT message, message::text FROM noticefile"
            )
        ).all()
    return b"".join(bytes(b or b"") + (t or "").encode() for b, t in rows)


def sealed_values(db: Database) -> list[bytes]:
    """Every stored secret as it is stored (not through the column types)."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT auth_key FROM certificate WHERE auth_key IS NOT NULL UNION ALL "
                "SELECT pdf FROM noticefile UNION ALL "
                "SELECT message FROM noticefile WHERE message IS NOT NULL"
            )
        ).scalars()
        return [bytes(v) for v in rows]


def assert_nothing_in_clear(db: Database, issued: list[certificates.IssueResult]) -> None:
    data = raw_bytes(db)
    for r in issued:
        assert r.auth_key
        assert r.auth_key.encode() not in data
    assert b"%PDF-" not in data  # the お知らせ PDFs
    assert b"Message-ID: <hosho." not in data  # the notice mails


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- sealed at rest ------------------------------------------------------------------------------


def test_keys_and_notices_are_sealed_at_rest_and_read_as_before(db: Database) -> None:
    issued = issue_many(db)
    assert_nothing_in_clear(db, issued)
    ring = crypto.keyring()
    values = sealed_values(db)
    assert len(values) == 3 * len(issued)  # key, PDF, mail of each
    assert all(v[:5] == b"\x01" + bytes.fromhex(ring.current_id) for v in values)
    assert db.get_meta(crypto.META_KEY) == ring.current_id
    # the rest of the code reads them as before
    for r in issued:
        assert r.auth_key
        key = certificates.reveal_auth_key(db, r.guarantee_number, operator=OP)
        assert key == r.auth_key
        assert certificates.verify(db, r.guarantee_number, r.auth_key, operator=OP).ok
        with db.reader() as s:
            kept = s.get(NoticeFile, r.certificate_id)
            assert kept is not None and kept.pdf.startswith(b"%PDF-")
            assert kept.message is not None and b"Message-ID: <hosho." in kept.message


def test_a_value_does_not_open_in_another_column(db: Database) -> None:
    ring = crypto.keyring()
    sealed = ring.seal(b"ABCDEFGHJK", "certificate.auth_key")
    assert ring.open(sealed, "certificate.auth_key") == b"ABCDEFGHJK"
    with pytest.raises(crypto.SecretKeyError, match="書き換えられています"):
        ring.open(sealed, "noticefile.pdf")
    with pytest.raises(crypto.SecretKeyError, match="書き換えられています"):
        ring.open(sealed[:-1] + bytes([sealed[-1] ^ 1]), "certificate.auth_key")


def test_key_file_and_database_files_are_the_owners_only(db: Database) -> None:
    issue_many(db, 1)
    key_file = paths.secret_key_file()
    assert key_file.is_file() and mode(key_file) == 0o600
    path = sqlite_file(db)
    if path is None:
        return
    assert mode(path) == 0o600
    assert mode(Path(f"{path}-wal")) == 0o600


def test_an_existing_database_file_loses_group_and_other_access(tmp_path: Path) -> None:
    path = tmp_path / "hosho.db"
    path.touch()
    os.chmod(path, 0o644)
    create_db_engine(f"sqlite:///{path}").dispose()
    assert mode(path) == 0o600
    os.chmod(path, 0o400)  # stricter already: kept
    create_db_engine(f"sqlite:///{path}").dispose()
    assert mode(path) == 0o400


def test_sql_parameters_never_reach_an_error_message(db: Database) -> None:
    secret = "HIDDEN-VALUE-42"
    with pytest.raises(IntegrityError) as caught, db.session() as s:
        s.add(Meta(key=crypto.META_KEY, value=secret))  # the key id row exists already
    assert secret not in str(caught.value)
    assert "hidden" in str(caught.value)


def test_the_key_can_come_from_the_environment(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = crypto.new_key()
    monkeypatch.setenv("HOSHO_SECRET_KEY", crypto.encode_key(key))
    get_settings.cache_clear()
    db = open_database(db_url, auto_upgrade=True)
    try:
        (r,) = issue_many(db, 1)
        assert db.get_meta(crypto.META_KEY) == crypto.key_id(key).hex()
        assert not paths.secret_key_file().exists()  # no key file made
        assert certificates.reveal_auth_key(db, r.guarantee_number, operator=OP) == r.auth_key
    finally:
        db.dispose()


# --- a missing or wrong key ------------------------------------------------------------------------


def test_a_wrong_key_is_a_clear_error(
    db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (r,) = issue_many(db, 1)
    monkeypatch.setenv("HOSHO_SECRET_KEY", crypto.encode_key(crypto.new_key()))
    get_settings.cache_clear()
    with pytest.raises(crypto.SecretKeyError, match="認証キーを復号できません。HOSHO_SECRET_KEY"):
        open_database(db_url, auto_upgrade=True)
    # a hosho already running when the key changed: the same error, not a traceback
    with pytest.raises(crypto.SecretKeyError, match="このデータベースを作ったときのものと違います"):
        certificates.reveal_auth_key(db, r.guarantee_number, operator=OP)
    monkeypatch.setenv("HOSHO_DATABASE_URL", db_url)
    out = cli(capsys, "certificate", "list", r.guarantee_number, "--reveal")
    assert out.code == 1
    assert out.err.startswith("エラー: 認証キーを復号できません。HOSHO_SECRET_KEY")
    assert "予期しない" not in out.err and r.auth_key not in out.err + out.out


def test_a_missing_key_file_is_refused_and_never_replaced(db: Database, db_url: str) -> None:
    issue_many(db, 1)
    paths.secret_key_file().unlink()
    with pytest.raises(crypto.SecretKeyError, match="新しい鍵は作りません"):
        open_database(db_url, auto_upgrade=True)
    assert not paths.secret_key_file().exists()
    # even without the row naming its key, sealed values are never given a new key
    with db.session() as s:
        s.execute(text("DELETE FROM meta WHERE key = 'secret_key_id'"))
    with pytest.raises(crypto.SecretKeyError, match="新しい鍵は作りません"):
        open_database(db_url, auto_upgrade=True)
    assert not paths.secret_key_file().exists()


def test_an_unreadable_environment_key_is_named(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOSHO_SECRET_KEY", "not a key")
    get_settings.cache_clear()
    with pytest.raises(crypto.SecretKeyError, match="HOSHO_SECRET_KEY の鍵が読めません"):
        open_database(db_url, auto_upgrade=True)


# --- rotate-key ----------------------------------------------------------------------------------


def test_rotate_key_seals_everything_again_with_a_new_key(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    issued = issue_many(env_db, 3)
    old_id = crypto.keyring().current_id
    before = sealed_values(env_db)
    out = cli(capsys, "db", "rotate-key", "--json")
    assert out.code == 0, out.err
    report = out.json
    assert report["old_key_id"] == old_id != report["new_key_id"]
    assert (report["certificates"], report["notices"], report["resumed"]) == (3, 3, False)
    key_file = paths.secret_key_file()
    assert mode(key_file) == 0o600 and not crypto.old_key_file().exists()
    ring = crypto.keyring()
    assert ring.ids() == {report["new_key_id"]}  # the old key is gone
    after = sealed_values(env_db)
    assert len(after) == len(before)
    new_header = b"\x01" + bytes.fromhex(report["new_key_id"])
    assert all(v[:5] == new_header for v in after)
    data = raw_bytes(env_db)
    assert not any(v in data for v in before)  # the old ciphertexts are gone
    assert_nothing_in_clear(env_db, issued)
    assert env_db.get_meta(crypto.META_KEY) == report["new_key_id"]
    for r in issued:
        assert r.auth_key
        assert certificates.verify(env_db, r.guarantee_number, r.auth_key, operator=OP).ok
        with env_db.reader() as s:
            kept = s.get(NoticeFile, r.certificate_id)
            assert kept is not None and kept.pdf.startswith(b"%PDF-")
    out = cli(capsys, "db", "rotate-key")
    assert out.code == 0 and "鍵を交換しました" in out.out and "ほかの端末" in out.out


def test_a_rotation_stopped_half_way_loses_nothing_and_is_finished_next_time(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    (first,) = issue_many(db, 1)
    old_id = crypto.keyring().current_id

    def crash(*args: Any) -> Any:
        raise RuntimeError("power cut")

    real = keys._reseal
    monkeypatch.setattr(keys, "_reseal", crash)
    with pytest.raises(crypto.SecretKeyError, match="もう一度 hosho db rotate-key"):
        keys.rotate_key(db, operator=OP)
    # the new key seals, the old one still opens: nothing unreadable, also after a restart
    assert crypto.old_key_file().exists()
    assert db.get_meta(crypto.META_KEY) == old_id
    db.check_secret_key()
    assert first.auth_key
    assert certificates.verify(db, first.guarantee_number, first.auth_key, operator=OP).ok
    g = make_guarantee(db, services.add_customer(db, name="株式会社B", operator=OP).id)
    second = certificates.issue_certificate(db, g.guarantee_number, operator=OP)
    monkeypatch.setattr(keys, "_reseal", real)
    done = keys.rotate_key(db, operator=OP)
    assert done.resumed and done.old_key_id == old_id and done.certificates == 2
    assert not crypto.old_key_file().exists() and crypto.keyring().ids() == {done.new_key_id}
    for r in (first, second):
        assert r.auth_key
        assert certificates.reveal_auth_key(db, r.guarantee_number, operator=OP) == r.auth_key


def test_rotate_key_refuses_a_key_from_the_environment(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOSHO_SECRET_KEY", crypto.encode_key(crypto.new_key()))
    get_settings.cache_clear()
    with pytest.raises(crypto.SecretKeyError, match="HOSHO_SECRET_KEY で鍵を指定している"):
        keys.rotate_key(db, operator=OP)


# --- migration 0007 ------------------------------------------------------------------------------


def schema_objects(db: Database) -> set[tuple[str, str, str]]:
    """Every index and trigger (and table) of the SQLite schema."""
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT type, name, tbl_name FROM sqlite_master")).all()
    return {(t, n, tbl) for t, n, tbl in rows}


def test_migration_from_0006_seals_the_plain_rows(db: Database) -> None:
    issued = issue_many(db, 3)
    cfg = _alembic_config(db.engine)
    command.downgrade(cfg, "0006")  # a database of 0006 with its data: keys and PDFs plain
    with db.engine.connect() as conn:
        plain = set(conn.execute(text("SELECT auth_key FROM certificate")).scalars())
        pdfs = conn.execute(text("SELECT pdf FROM noticefile")).scalars().all()
    assert plain == {r.auth_key for r in issued}
    assert all(bytes(p).startswith(b"%PDF-") for p in pdfs)
    assert db.get_meta(crypto.META_KEY) is None
    before = schema_objects(db) if db.is_sqlite else set()

    db.upgrade()

    assert_nothing_in_clear(db, issued)  # also the old pages of the SQLite file and its WAL
    if db.is_sqlite:
        assert schema_objects(db) == before  # no trigger or index lost
        assert {n for t, n, _ in before if t == "trigger"} >= {
            "customer_fts_insert",
            "guarantee_fts_update",
        }
    assert db.get_meta(crypto.META_KEY) == crypto.keyring().current_id
    for r in issued:
        assert r.auth_key
        assert certificates.verify(db, r.guarantee_number, r.auth_key, operator=OP).ok
    with db.reader() as s:
        assert all(n.pdf.startswith(b"%PDF-") for n in s.scalars(select(NoticeFile)))
    # the text search still follows the tables (the triggers of 0006 are alive)
    rows = services.search_guarantees(db, services.GuaranteeFilter(project="第2工区"))
    assert len(rows) == 1
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            HEAD_REVISION
        )


# --- the 認証キー check ---------------------------------------------------------------------------


def test_simultaneous_wrong_keys_get_no_more_checks_than_the_limit(db: Database) -> None:
    (r,) = issue_many(db, 1)
    number = r.guarantee_number
    start = threading.Barrier(16)
    answers: list[str] = []

    def attempt() -> None:
        start.wait()
        try:
            result = certificates.verify(db, number, "WRONGKEY23", operator=OP)
            answers.append("ok" if result.ok else "checked")
        except VerifyThrottled:
            answers.append("refused")

    threads = [threading.Thread(target=attempt) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers.count("checked") == certificates.VERIFY_FREE_FAILURES
    assert answers.count("refused") == 16 - certificates.VERIFY_FREE_FAILURES
    assert certificates.failures_in_window(db, number) == certificates.VERIFY_FREE_FAILURES


def test_a_locked_out_right_key_is_told_it_may_be_right(db: Database) -> None:
    (r,) = issue_many(db, 1)
    assert r.auth_key
    for _ in range(certificates.VERIFY_FREE_FAILURES):
        certificates.verify(db, r.guarantee_number, "WRONGKEY23", operator=OP)
    with pytest.raises(VerifyThrottled) as caught:
        certificates.verify(db, r.guarantee_number, r.auth_key, operator=OP)
    message = str(caught.value)
    until = caught.value.until.replace(second=0, microsecond=0)
    assert "正しい認証キーでも照合できません" in message
    assert "照合の試行が続いたため" in message
    assert any(
        f"{(until + timedelta(minutes=m)).astimezone():%H:%M}まで照合を止めています" in message
        for m in (0, 1)
    )
    data = caught.value.to_json()
    assert data["ok"] is None and data["wait_seconds"] >= 1 and data["locked_until"]


def test_no_key_issued_is_in_the_database_file_the_log_stderr_or_the_mail_bodies(
    env_db: Database, db_url: str, smtp: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Keys issued from the command line, some refusals on the way, the notices sent: every key
    is then looked for in the raw database (file or columns), hosho.log, everything printed on
    stderr and the mails outside their PDF."""
    server = smtp()
    keys, errors = [], []
    for n in range(3):
        added = cli(capsys, "customer", "add", "--name", f"鍵探し建設{n}", "--email",
                    f"k{n}@example.jp", "--json")  # fmt: skip
        cid = str(added.json["id"])
        g = cli(capsys, "guarantee", "add", "--type", "前払金", "--customer", cid, "--orderer",
                "熊本県", "--project", f"鍵探し工事{n}", "--contract-amount", "1億", "--amount",
                "4000万", "--contract-date", "R8.4.1", "--period-end", "R9.3.31", "--delivery",
                "電子", "--json")  # fmt: skip
        number = g.json["guarantee_number"]
        issued = cli(capsys, "certificate", "issue", number, "--json")
        keys.append(issued.json["auth_key"])
        again = cli(capsys, "certificate", "issue", number)  # refused: already issued
        wrong = cli(capsys, "certificate", "verify", number, "WRONGKEY00")
        errors += [issued.err, again.err, wrong.err]
    sent = cli(capsys, "outbox", "send", "--json")
    errors.append(sent.err)
    assert sent.json["sent"] == 3 and len(server.handler.received) == 3
    assert all(k and len(k) == 10 for k in keys)

    if db_url.startswith("sqlite"):
        path = Path(env_db.engine.url.database or "")
        stored = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    else:
        with env_db.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT auth_key::text FROM certificate UNION ALL "
                "SELECT encode(pdf, 'escape') FROM noticefile UNION ALL "
                "SELECT encode(message, 'escape') FROM noticefile"
            ).all()
        stored = "\n".join(str(r[0]) for r in rows).encode()
    log = (paths.user_data_dir() / "hosho.log").read_text(encoding="utf-8")
    bodies = [
        part.get_content()
        for msg in server.handler.received
        for part in msg.walk()
        if part.get_content_maintype() == "text"
    ]
    headers = ["\n".join(f"{k}: {v}" for k, v in msg.items()) for msg in server.handler.received]
    for key in keys:
        assert key.encode() not in stored
        assert key not in log
        assert all(key not in e for e in errors)
        assert all(key not in b for b in bodies + headers)
