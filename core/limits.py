"""The same text limits on SQLite and PostgreSQL: each text column's length (the models'
``max_length``), checked before anything is saved.

PostgreSQL refuses a value longer than its column; SQLite would store it, and a record saved
there could then never be copied, exported to the other database or turned into a notice.
:func:`problems` says what is too long in Japanese, field by field; a ``before_flush`` listener
on every session (registered when this module is imported: core.customers and core.services
import it) refuses new and changed rows with any value too long, so nothing too long reaches
either database whatever path it took. Forms check the same limits per field before saving.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlmodel import Session, SQLModel

from core.errors import ValidationError

# Labels of the columns that no front end names already (core.models.CUSTOMER_LABELS and the
# orderer fields of core.orderers are looked up too), by column name or "table.column".
_LABELS = {
    "project_name": "工事名・業務名",
    "bank": "前払金取扱金融機関",
    "operator": "担当者名（HOSHO_OPERATOR）",
    "created_by": "担当者名（HOSHO_OPERATOR）",
    "issued_by": "担当者名（HOSHO_OPERATOR）",
    "by": "担当者名（HOSHO_OPERATOR）",
    "recipient": "宛先のメールアドレス",
    "sender": "差出人のメールアドレス（HOSHO_MAIL_FROM）",
    "question": "質問",
    "target": "記録の対象",
    "orderer.source": "出典",
    "ordererchange.source": "出典",
}


def label(table: str, column: str) -> str:
    """How staff call a column (its name when nothing better is known)."""
    from core.models import CUSTOMER_LABELS as FIELDS
    from core.orderers import FIELD_LABELS as ORDERER_LABELS

    found = _LABELS.get(f"{table}.{column}") or _LABELS.get(column)
    if found:
        return found
    if table == "customer" and column in FIELDS:
        return FIELDS[column]
    if table == "orderer" and column in ORDERER_LABELS:
        return ORDERER_LABELS[column]
    return column


def max_length(model: type[SQLModel], column: str) -> int | None:
    """The most characters ``model``'s text column holds (None: no limit)."""
    length = getattr(model.__table__.c[column].type, "length", None)  # type: ignore[attr-defined]
    return length if isinstance(length, int) else None


def too_long(text: str, limit: int, what: str) -> str:
    return f"{what}は{limit:,}文字以内にしてください（{len(text):,}文字）"


def check(
    model: type[SQLModel], column: str, value: str | None, field: str | None = None
) -> list[tuple[str | None, str]]:
    """The problem with ``value`` for ``model``'s ``column`` (tied to the form's ``field``,
    the column's name by default), as a list to extend others with; [] when it fits."""
    limit = max_length(model, column)
    if value is None or limit is None or len(value) <= limit:
        return []
    what = label(model.__tablename__, column)  # type: ignore[arg-type]
    return [(field or column, too_long(value, limit, what))]


def problems(row: Any) -> list[tuple[str | None, str]]:
    """Every text value of an ORM row that its column cannot hold."""
    table = getattr(row, "__table__", None)
    if table is None:
        return []
    found: list[tuple[str | None, str]] = []
    for column in table.columns:
        limit = getattr(column.type, "length", None)  # (sqlmodel's AutoString has one too)
        value = getattr(row, column.key, None)
        if isinstance(limit, int) and isinstance(value, str) and len(value) > limit:
            found.append((column.key, too_long(value, limit, label(table.name, column.key))))
    return found


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    found = [p for row in (*session.new, *session.dirty) for p in problems(row)]
    if found:
        raise ValidationError(list(dict.fromkeys(found)))


if not event.contains(Session, "before_flush", _before_flush):
    event.listen(Session, "before_flush", _before_flush)
