"""Substring search on 商号, 商号カナ and 工事名, through text indexes (migration 0006).

SQLite: FTS5 tables with the trigram tokenizer (case-sensitive) — ``customer_fts`` holds each
customer's 商号 and its カナ without spaces, ``guarantee_fts`` indexes ``guarantee.project_name``
(external content) — kept in step by triggers. PostgreSQL: pg_trgm GIN indexes on the same
texts. This module is the only place where the SQL differs.

Both backends answer the same question: does the text contain what was typed, exactly as
typed — letter case and width as they are, ``%``, ``_`` and ``\\`` literal. Trigram indexes
only find texts of three characters or more; one or two characters are matched by reading
every customer (tens of thousands, a few milliseconds) or, for 工事名, checked row by row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import column, func, literal_column, or_, select, table
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from core.models import Customer, Guarantee

MIN_INDEXED = 3  # a trigram index finds texts of at least three characters

# A 工事名 text matching up to FEW_PROJECTS guarantees is looked up by their ids; on SQLite,
# up to SOME_PROJECTS are checked against the set of their ids; more (道路改良 matches a
# tenth of the book) are checked row by row.
FEW_PROJECTS = 1000
SOME_PROJECTS = 20_000

_CUSTOMERS = table("customer_fts", column("rowid"), column("customer_fts"))
# customer_fts's own copy of the texts (FTS5 keeps a table's content in "<name>_content",
# columns c0, c1, …): the narrowest rows to read through for a text too short for trigrams
_CUSTOMER_TEXTS = table("customer_fts_content", column("id"), column("c0"), column("c1"))
_PROJECTS = table("guarantee_fts", column("rowid"), column("guarantee_fts"))


def like_pattern(needle: str) -> str:
    """A LIKE pattern (escape character ``\\``) matching ``needle`` anywhere, literally."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _phrase(column: str, needle: str) -> str:
    """An FTS5 query: ``needle`` as one phrase in ``column`` (a substring, with trigrams)."""
    return f'{column} : "{needle.replace(chr(34), chr(34) * 2)}"'


def _sqlite(s: Session) -> bool:
    return s.get_bind().dialect.name == "sqlite"


def customer_contains(s: Session, customer: Any, name: str, kana: str | None = None) -> Any:
    """The condition that the row ``customer`` (the model or an alias) has ``name`` in its
    商号 or ``kana`` (katakana, no spaces) in its 商号カナ, full-width spaces left out —
    checked on the row, for a few rows."""
    text_of_kana = func.replace(
        col(customer.kana), literal_column("'\u3000'"), literal_column("''")
    )
    if _sqlite(s):
        match = [func.instr(col(customer.name), name) > 0]
        if kana:
            match.append(func.instr(text_of_kana, kana) > 0)
    else:
        match = [col(customer.name).like(like_pattern(name), escape="\\")]
        if kana:
            match.append(text_of_kana.like(like_pattern(kana), escape="\\"))
    return or_(*match)


def customers_containing(s: Session, name: str, kana: str | None = None) -> list[Any]:
    """Selects of the ids of customers whose 商号 contains ``name``, or whose 商号カナ
    (full-width spaces left out) contains ``kana`` (katakana, no spaces); their union is
    the match."""
    if not _sqlite(s):  # the trigram indexes are on these very expressions
        return [select(col(Customer.id)).where(customer_contains(s, Customer, name, kana))]
    texts = {"name": name, "kana": kana or ""}
    phrases = [_phrase(c, t) for c, t in texts.items() if len(t) >= MIN_INDEXED]
    short = [
        func.instr(_CUSTOMER_TEXTS.c[c], t) > 0
        for c, t in zip(("c0", "c1"), texts.values(), strict=True)
        if 0 < len(t) < MIN_INDEXED
    ]
    parts = []
    if phrases:
        found = _CUSTOMERS.c.customer_fts.match(" OR ".join(phrases))
        parts.append(select(_CUSTOMERS.c.rowid).where(found))
    if short:
        parts.append(select(_CUSTOMER_TEXTS.c.id).where(or_(*short)))
    return parts


def project_ids(s: Session, needle: str) -> Any:
    """The guarantees whose 工事名 contains ``needle``, when they are not too many to be
    checked by id: a list (at most FEW_PROJECTS), on SQLite a select (at most
    SOME_PROJECTS), or None — then :func:`project_contains` checks each row."""
    if len(needle) < MIN_INDEXED:  # no trigram: finding even a few would read every row
        return None
    if _sqlite(s):
        query = select(_PROJECTS.c.rowid).where(
            _PROJECTS.c.guarantee_fts.match(_phrase("project_name", needle))
        )
    else:
        query = select(col(Guarantee.id)).where(
            col(Guarantee.project_name).like(like_pattern(needle), escape="\\")
        )
    ids = list(s.connection().execute(query.limit(FEW_PROJECTS + 1)).scalars().all())
    if len(ids) <= FEW_PROJECTS:
        return ids
    if _sqlite(s):
        some = select(func.count()).select_from(query.limit(SOME_PROJECTS + 1).subquery())
        if (s.connection().scalar(some) or 0) <= SOME_PROJECTS:
            return query
    return None


def project_contains(s: Session, needle: str, guarantee_id: Any = None) -> Any:
    """The condition that the 工事名 contains ``needle``: of the row itself, or with
    ``guarantee_id`` (a column), of that guarantee read by id — then a statement walking an
    index that holds the other filtered columns reads the row only for the guarantees that
    passed them."""
    text: Any = col(Guarantee.project_name)
    if guarantee_id is not None:
        mine = aliased(Guarantee, name="project_of")
        text = select(col(mine.project_name)).where(col(mine.id) == guarantee_id)
        text = text.scalar_subquery()
    if _sqlite(s):
        return func.instr(text, needle) > 0
    return text.like(like_pattern(needle), escape="\\")


def project_indexed(s: Session, needle: str) -> Any:
    """On PostgreSQL, the condition on ``guarantee.project_name`` itself: the planner may
    answer it with the trigram index, combined with the per-customer index (a bitmap AND)
    when a few customers' guarantees are read. None on SQLite (where it would read each
    row) and for a text too short for trigrams."""
    if _sqlite(s) or len(needle) < MIN_INDEXED:
        return None
    return col(Guarantee.project_name).like(like_pattern(needle), escape="\\")
