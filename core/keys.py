"""The database's data key: checked on opening (:func:`check_database_key`) and exchanged
for a new one with every secret sealed again (:func:`rotate_key`). The sealing itself is
:mod:`core.crypto`."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select, text, update

from core import paths
from core.crypto import (
    ID_BYTES,
    META_KEY,
    Keyring,
    SecretKeyError,
    _env_key,
    _sync_dir,
    create_keyring,
    keyring,
    load_keyring,
    missing_key,
    new_key,
    old_key_file,
    write_key_file,
    wrong_key,
)
from core.models import Certificate, Meta, NoticeFile, audit

if TYPE_CHECKING:
    from core.db import Database

_CHUNK = 200  # rows re-sealed per statement by rotate_key


# --- the database's key ------------------------------------------------------------------


def check_database_key(db: Database) -> Keyring:
    """This machine's keys open this database's secrets. A database that has no key yet is
    given this machine's (made now when there is none); one that has a key is never given
    another: a missing or different key is a :class:`SecretKeyError`."""
    from sqlalchemy.exc import IntegrityError

    # (sealed values without the row naming their key are never given a new key either)
    wanted = db.get_meta(META_KEY) or _sealed_key_id(db)
    if wanted is None:  # nothing sealed yet: this machine's key, made now if need be
        mine = create_keyring().current_id
        # (another hosho may record its key first: then that one is checked below)
        with contextlib.suppress(IntegrityError), db.session() as s:
            s.add(Meta(key=META_KEY, value=mine))
        wanted = db.get_meta(META_KEY) or mine
    ring = load_keyring()
    if ring is None:
        raise missing_key(wanted)
    if wanted not in ring.ids():
        raise wrong_key(ring, wanted)
    return ring


def _sealed_key_id(db: Database) -> str | None:
    """The key id of some sealed value stored in the database (read as stored)."""
    with db.reader() as s:
        for sql in (
            "SELECT auth_key FROM certificate WHERE auth_key IS NOT NULL",
            "SELECT pdf FROM noticefile",
        ):
            value = s.execute(text(sql + " LIMIT 1")).scalar()
            if value:
                return bytes(value)[1 : 1 + ID_BYTES].hex()
    return None


@dataclass(frozen=True)
class Rotation:
    old_key_id: str
    new_key_id: str
    certificates: int  # 認証キー sealed again
    notices: int  # kept notices sealed again
    key_file: str
    resumed: bool  # finished a rotation that had stopped half-way

    def to_json(self) -> dict[str, Any]:
        return {
            "old_key_id": self.old_key_id,
            "new_key_id": self.new_key_id,
            "certificates": self.certificates,
            "notices": self.notices,
            "key_file": self.key_file,
            "resumed": self.resumed,
        }


def rotate_key(db: Database, *, operator: str) -> Rotation:
    """Seal every secret with a new data key, in one transaction.

    Order, so that a crash at any point leaves every value readable: (1) the current key is
    copied to ``secret.key.old``; (2) the new key replaces ``secret.key`` (atomically; from
    now on every hosho of this machine seals with it and still opens old values with the
    ``.old`` key); (3) one transaction seals every value again and records the new key id;
    (4) ``secret.key.old`` is removed. Stopped before (4), the next run finishes the job.
    """
    if _env_key() is not None:
        raise SecretKeyError(
            "HOSHO_SECRET_KEY で鍵を指定しているときは rotate-key で鍵を交換できません。"
            "鍵ファイルを使う設定にしてから実行してください"
        )
    before = check_database_key(db)
    old_id = db.get_meta(META_KEY) or before.current_id
    path, old = paths.secret_key_file(), old_key_file()
    resumed = old.exists()
    if not resumed:
        write_key_file(old, before.current, replace=True)
        write_key_file(path, new_key(), replace=True)
    ring = keyring()
    try:
        certificates, notices = _reseal(db, ring, old_id, operator)
    except Exception as exc:
        raise SecretKeyError(
            f"鍵の交換を完了できませんでした（{type(exc).__name__}）。データは古い鍵でも新しい鍵"
            "でも読めます。もう一度 hosho db rotate-key を実行してください"
        ) from exc
    old.unlink(missing_ok=True)
    _sync_dir(old.parent)
    db.fold_wal()  # no old ciphertext left in the SQLite files
    return Rotation(old_id, ring.current_id, certificates, notices, str(path), resumed)


def _reseal(db: Database, ring: Keyring, old_id: str, operator: str) -> tuple[int, int]:
    cert, notice = Certificate.__table__, NoticeFile.__table__  # type: ignore[attr-defined]
    with db.session() as s:
        if db.is_sqlite:
            s.connection()  # BEGIN IMMEDIATE: other writers wait
        else:
            s.execute(text("LOCK TABLE certificate, noticefile IN SHARE ROW EXCLUSIVE MODE"))
        # Read through the column types (opened with whichever key sealed them), written back
        # through them (sealed with the new key), a chunk at a time.
        ids = list(s.scalars(select(cert.c.id).where(cert.c.auth_key.is_not(None))))
        for i in range(0, len(ids), _CHUNK):
            rows = s.execute(
                select(cert.c.id, cert.c.auth_key).where(cert.c.id.in_(ids[i : i + _CHUNK]))
            ).all()
            s.execute(
                update(cert)
                .where(cert.c.id == bindparam("row_id"))
                .values(auth_key=bindparam("value", type_=cert.c.auth_key.type)),
                [{"row_id": row_id, "value": value} for row_id, value in rows],
            )
        kept = list(s.scalars(select(notice.c.certificate_id)))
        for i in range(0, len(kept), _CHUNK):
            rows = s.execute(
                select(notice.c.certificate_id, notice.c.pdf, notice.c.message).where(
                    notice.c.certificate_id.in_(kept[i : i + _CHUNK])
                )
            ).all()
            s.execute(
                update(notice)
                .where(notice.c.certificate_id == bindparam("row_id"))
                .values(
                    pdf=bindparam("pdf", type_=notice.c.pdf.type),
                    message=bindparam("message", type_=notice.c.message.type),
                ),
                [{"row_id": r, "pdf": pdf, "message": message} for r, pdf, message in rows],
            )
        s.merge(Meta(key=META_KEY, value=ring.current_id))
        audit(
            s,
            operator,
            "db.rotate_key",
            "database",
            old_key_id=old_id,
            new_key_id=ring.current_id,
            certificates=len(ids),
            notices=len(kept),
        )
    return len(ids), len(kept)
