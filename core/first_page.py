"""The newest guarantees of an embedded (SQLite) database, read with the standard library alone.

The terminal UI shows them while the database layer (SQLAlchemy, the models, the rules) is still
loading in the background, so the first screen has its rows about as soon as Textual can draw
them. The same rows as ``core.services.search_guarantees`` with no filter (a test holds the two
together); anything else — PostgreSQL, a file not yet at this version's schema, a file that
cannot be read — answers None and the UI waits for the database layer as before.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import unquote

from core.migrations import HEAD_REVISION

_QUERY = """
SELECT g.number, g.contract_date, g.type, c.name, o.name, o.prefecture, g.project_name,
       g.amount, g.status, g.delivery
FROM guarantee AS g
JOIN customer AS c ON c.id = g.customer_id
JOIN orderer AS o ON o.id = g.orderer_id
ORDER BY g.contract_date DESC, g.id DESC
LIMIT ?
"""


@dataclass(frozen=True)
class ListRow:
    """What a row of the guarantee list shows (core.services.GuaranteeView has the same
    attributes, and more)."""

    guarantee_number: str
    contract_date: date
    type: str
    customer: str
    orderer: str
    orderer_prefecture: str | None
    project_name: str
    amount: int
    status: str
    delivery: str


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///…`` URL (None for anything else or an in-memory database)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return None
    path = unquote(url[len(prefix) :].split("?", 1)[0])
    return Path(path) if path and path != ":memory:" else None


def first_page(url: str, limit: int) -> list[ListRow] | None:
    """The newest ``limit`` guarantees, or None when the database layer must answer."""
    path = sqlite_path(url)
    if path is None or not path.is_file():
        return None
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)) as conn:
            version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            if version is None or version[0] != HEAD_REVISION:
                return None
            rows = conn.execute(_QUERY, (limit,)).fetchall()
    except sqlite3.Error:
        return None
    return [
        ListRow(
            guarantee_number=number,
            contract_date=date.fromisoformat(contract_date),
            type=kind,
            customer=customer,
            orderer=orderer,
            orderer_prefecture=prefecture,
            project_name=project,
            amount=int(amount),
            status=status,
            delivery=delivery,
        )
        for (
            number,
            contract_date,
            kind,
            customer,
            orderer,
            prefecture,
            project,
            amount,
            status,
            delivery,
        ) in rows
    ]
