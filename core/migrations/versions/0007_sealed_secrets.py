"""the 認証キー and the kept notices sealed at rest

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-13 10:00:00.000000

certificate.auth_key (VARCHAR(10), plain) becomes a sealed BLOB / bytea, and the PDFs and
mails of noticefile are sealed in place (core.crypto: AES-GCM with the key of this machine,
whose id is recorded in meta.secret_key_id).

The column is changed by ADD, DROP and RENAME COLUMN, on SQLite too: no "move and copy"
rebuild of certificate, so its indexes, the rows of outbox and noticefile that refer to it,
and the text search triggers of 0006 (on customer and guarantee) are all left alone.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from alembic import op

from core import crypto


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHUNK = 200


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def _swap_auth_key(new_type: sa.types.TypeEngine, convert) -> None:  # type: ignore[no-untyped-def]
    """certificate.auth_key rewritten through ``convert`` into a column of ``new_type``."""
    conn = op.get_bind()
    op.add_column("certificate", sa.Column("auth_key_new", new_type, nullable=True))
    rows = conn.execute(
        sa.text("SELECT id, auth_key FROM certificate WHERE auth_key IS NOT NULL")
    ).all()
    if rows:
        conn.execute(
            sa.text("UPDATE certificate SET auth_key_new = :value WHERE id = :id"),
            [{"id": row_id, "value": convert(value)} for row_id, value in rows],
        )
    op.execute("ALTER TABLE certificate DROP COLUMN auth_key")
    op.execute("ALTER TABLE certificate RENAME COLUMN auth_key_new TO auth_key")


def _rewrite_notices(convert) -> None:  # type: ignore[no-untyped-def]
    conn = op.get_bind()
    ids = list(conn.execute(sa.text("SELECT certificate_id FROM noticefile")).scalars())
    for chunk in _chunks(ids):
        rows = conn.execute(
            sa.text(
                "SELECT certificate_id, pdf, message FROM noticefile "
                "WHERE certificate_id IN :ids"
            ).bindparams(sa.bindparam("ids", expanding=True)),
            {"ids": chunk},
        ).all()
        conn.execute(
            sa.text("UPDATE noticefile SET pdf = :pdf, message = :message WHERE certificate_id = :id"),
            [
                {
                    "id": row_id,
                    "pdf": convert(bytes(pdf), "noticefile.pdf"),
                    "message": None if message is None else convert(bytes(message), "noticefile.message"),
                }
                for row_id, pdf, message in rows
            ],
        )


def upgrade() -> None:
    ring = crypto.create_keyring()
    _swap_auth_key(
        sa.LargeBinary(), lambda key: ring.seal(key.encode("utf-8"), "certificate.auth_key")
    )
    _rewrite_notices(ring.seal)
    op.execute(sa.text("DELETE FROM meta WHERE key = :key").bindparams(key=crypto.META_KEY))
    op.execute(
        sa.text("INSERT INTO meta (key, value) VALUES (:key, :value)").bindparams(
            key=crypto.META_KEY, value=ring.current_id
        )
    )


def downgrade() -> None:
    def ring() -> crypto.Keyring:  # only when there is something to open
        return crypto.keyring()

    _swap_auth_key(
        sa.String(length=10),
        lambda sealed: ring().open(bytes(sealed), "certificate.auth_key").decode("utf-8"),
    )
    _rewrite_notices(lambda sealed, column: ring().open(sealed, column))
    op.execute(sa.text("DELETE FROM meta WHERE key = :key").bindparams(key=crypto.META_KEY))
