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

# How many guarantees a 工事名 text may match to be looked up by their ids; on SQLite, up to
# SOME_PROJECTS are checked against the set of their ids; more (道路改良 matches a tenth of
# the book) are checked row by row while the page is walked.
FEW_PROJECTS = 1000
SOME_PROJECTS = 20_000

_FTS = table("customer_fts", column("rowid"), column("kana"), column("customer_fts"))
_PROJECTS = table("guarantee_fts", column("rowid"), column("guarantee_fts"))
_NO_SPACE_KANA = func.replace(col(Customer.kana), literal_column("'\u3000'"), literal_column("''"))


def like_pattern(needle: str) -> str:
    """A LIKE pattern (escape character ``\\``) matching ``needle`` anywhere, literally."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _phrase(column: str, needle: str) -> str:
    """An FTS5 query: ``needle`` as one phrase in ``column`` (a substring, with trigrams)."""
    return f'{column} : "{needle.replace(chr(34), chr(34) * 2)}"'


def _sqlite(s: Session) -> bool:
    return s.get_bind().dialect.name == "sqlite"


def customers_containing(s: Session, name: str, kana: str | None = None) -> list[Any]:
    """Selects of the ids of customers whose 商号 contains ``name``, or whose 商号カナ
    (full-width spaces left out) contains ``kana`` (katakana, no spaces); their union is
    the match."""
    if not _sqlite(s):
        match = [col(Customer.name).like(like_pattern(name), escape="\\")]
        if kana:
            match.append(_NO_SPACE_KANA.like(like_pattern(kana), escape="\\"))
        return [select(col(Customer.id)).where(or_(*match))]
    phrases = [_phrase("name", name)] if len(name) >= MIN_INDEXED else []
    if kana and len(kana) >= MIN_INDEXED:
        phrases.append(_phrase("kana", kana))
    parts = []
    if phrases:
        parts.append(select(_FTS.c.rowid).where(_FTS.c.customer_fts.match(" OR ".join(phrases))))
    if len(name) < MIN_INDEXED:  # read through the index on 商号 (narrower than the rows)
        parts.append(select(col(Customer.id)).where(func.instr(col(Customer.name), name) > 0))
    if kana and len(kana) < MIN_INDEXED:  # customer_fts holds the カナ without spaces
        parts.append(select(_FTS.c.rowid).where(func.instr(_FTS.c.kana, kana) > 0))
    return parts


def project_condition(s: Session, needle: str) -> Any:
    """The condition on ``guarantee`` that its 工事名 contains ``needle``: the matching ids
    when there are few; else a check of each guarantee that passes the other conditions
    (the 工事名 is read by id, so walking an index that holds the other columns reads no row
    it rejects), or on SQLite, for a text matching some thousands, the set of their ids."""
    mine = aliased(Guarantee, name="project_of")
    text_of = select(col(mine.project_name)).where(col(mine.id) == col(Guarantee.id))
    if _sqlite(s):
        per_row = func.instr(text_of.scalar_subquery(), needle) > 0
        if len(needle) < MIN_INDEXED:
            return per_row
        fts = select(_PROJECTS.c.rowid).where(
            _PROJECTS.c.guarantee_fts.match(_phrase("project_name", needle))
        )
        ids = list(s.scalars(fts.limit(FEW_PROJECTS + 1)))
        if len(ids) <= FEW_PROJECTS:
            return col(Guarantee.id).in_(ids)
        some = s.scalar(select(func.count()).select_from(fts.limit(SOME_PROJECTS + 1).subquery()))
        if some is not None and some <= SOME_PROJECTS:  # "+ 0": checked, not walked
            return (col(Guarantee.id) + 0).in_(fts)
        return per_row
    pattern = like_pattern(needle)
    per_row = text_of.scalar_subquery().like(pattern, escape="\\")
    if len(needle) < MIN_INDEXED:  # no trigram: finding even a few would read every row
        return per_row
    ids = list(
        s.scalars(
            select(col(Guarantee.id))
            .where(col(Guarantee.project_name).like(pattern, escape="\\"))
            .limit(FEW_PROJECTS + 1)
        )
    )
    return col(Guarantee.id).in_(ids) if len(ids) <= FEW_PROJECTS else per_row
