"""保証契約番号 and 認証キー.

Numbers come from a counter row incremented with ``UPDATE ... RETURNING`` inside the caller's
transaction: the row lock (PostgreSQL) or the write lock taken by ``BEGIN IMMEDIATE`` (SQLite)
makes concurrent issuers wait for each other, so a number is never handed out twice, and a
rolled-back transaction gives its number back without it ever having been used.
"""

from __future__ import annotations

import secrets

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from core.errors import HoshoError
from core.models import Counter

NUMBER_LENGTH = 10
# No look-alikes: 0/O, 1/I/l are left out (and lower case entirely).
AUTH_KEY_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
AUTH_KEY_LENGTH = 10


def _counter_name(prefix: str) -> str:
    return f"guarantee_number:{prefix}"


def reserve_numbers(session: Session, prefix: str, count: int = 1) -> list[str]:
    """Reserve ``count`` consecutive 保証契約番号 starting with ``prefix``."""
    if count < 1:
        raise ValueError("count must be positive")
    name = _counter_name(prefix)
    stmt = (
        update(Counter)
        .where(col(Counter.name) == name)
        .values(value=col(Counter.value) + count)
        .returning(col(Counter.value))
    )
    last = session.execute(stmt).scalar_one_or_none()
    if last is None:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(insert(Counter).values(name=name, value=0).on_conflict_do_nothing())
        last = session.execute(stmt).scalar_one()
    width = NUMBER_LENGTH - len(prefix)
    if last >= 10**width:
        raise HoshoError(
            f"保証契約番号（先頭 {prefix}）の空きがありません。"
            "HOSHO_NUMBER_PREFIX を見直してください。"
        )
    return [f"{prefix}{n:0{width}d}" for n in range(last - count + 1, last + 1)]


def new_auth_key() -> str:
    return "".join(secrets.choice(AUTH_KEY_ALPHABET) for _ in range(AUTH_KEY_LENGTH))


def is_valid_number(text: str) -> bool:
    return len(text) == NUMBER_LENGTH and text.isascii() and text.isdigit()
