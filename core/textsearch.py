"""Substring search on 商号, 商号カナ and 工事名, through text indexes (migration 0006).

SQLite: FTS5 tables with the trigram tokenizer (case-sensitive) — ``customer_fts`` holds each
customer's 商号 and its カナ without spaces, ``guarantee_fts`` indexes ``guarantee.project_name``
(external content) — kept in step by triggers. PostgreSQL: pg_trgm GIN indexes on the same
texts, and on the customers' texts by their two-character pieces (``hosho_bigrams``). This
module is the only place where the text search differs between the two.

Both backends answer the same question: does the text contain what was typed, exactly as
typed — letter case and width as they are, ``%``, ``_`` and ``\\`` literal. Trigram indexes
only find texts of three characters or more: a shorter 商号 or カナ text reads every customer
(tens of thousands, a few milliseconds) on SQLite, and on PostgreSQL when it is a single
character; a shorter 工事名 text is checked row by row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text, cast, column, func, literal_column, or_, select, table
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from core.models import Customer, Guarantee

MIN_INDEXED = 3  # a trigram index finds texts of at least three characters

# On SQLite, a 工事名 text matching up to FEW_PROJECTS guarantees is looked up by their ids,
# up to SOME_PROJECTS are checked against the set of their ids, more (道路改良 matches a
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


def _kana_of(customer: Any) -> Any:
    """The 商号カナ without its full-width spaces, as it is matched (and indexed)."""
    return func.replace(col(customer.kana), literal_column("'\u3000'"), literal_column("''"))


def customer_contains(s: Session, customer: Any, name: str, kana: str | None = None) -> Any:
    """The condition that the row ``customer`` (the model or an alias) has ``name`` in its
    商号 or ``kana`` (katakana, no spaces) in its 商号カナ, full-width spaces left out —
    checked on the row, for a few rows."""
    text_of_kana = _kana_of(customer)
    if _sqlite(s):
        match = [func.instr(col(customer.name), name) > 0]
        if kana:
            match.append(func.instr(text_of_kana, kana) > 0)
    else:
        match = [col(customer.name).like(like_pattern(name), escape="\\")]
        if kana:
            match.append(text_of_kana.like(like_pattern(kana), escape="\\"))
    return or_(*match)


def _bigram_or_like(text: Any, needle: str) -> Any:
    """PostgreSQL: ``text`` contains ``needle``, in a form an index answers — its
    two-character pieces (migration 0006) for two characters, else trigrams (LIKE)."""
    if len(needle) == 2:
        pieces = cast(postgresql.array([needle]), postgresql.ARRAY(Text))
        return func.hosho_bigrams(text).op("@>")(pieces)
    return text.like(like_pattern(needle), escape="\\")


def customers_containing(s: Session, name: str, kana: str | None = None) -> list[Any]:
    """Selects of the ids of customers whose 商号 contains ``name``, or whose 商号カナ
    (full-width spaces left out) contains ``kana`` (katakana, no spaces); their union is
    the match."""
    if not _sqlite(s):  # the indexes are on these very expressions
        match = [_bigram_or_like(col(Customer.name), name)]
        if kana:
            match.append(_bigram_or_like(_kana_of(Customer), kana))
        return [select(col(Customer.id)).where(or_(*match))]
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
    """On SQLite, the guarantees whose 工事名 contains ``needle``, when they are not too
    many to be checked by id: a list (at most FEW_PROJECTS) or a select (at most
    SOME_PROJECTS); else None, and :func:`project_contains` checks each row. On PostgreSQL
    always None: the planner weighs the trigram index itself (finding the first ids of a
    broad text would build the index's whole bitmap first)."""
    if not _sqlite(s) or len(needle) < MIN_INDEXED:  # no trigram: it would read every row
        return None
    query = select(_PROJECTS.c.rowid).where(
        _PROJECTS.c.guarantee_fts.match(_phrase("project_name", needle))
    )
    ids = list(s.connection().execute(query.limit(FEW_PROJECTS + 1)).scalars().all())
    if len(ids) <= FEW_PROJECTS:
        return ids
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


def project_walked(s: Session, needle: str, guarantee_id: Any, *, with_customer: bool) -> Any:
    """The 工事名 condition for a statement walking the date index: read by id (so only for
    the guarantees passing the other filters) — except on PostgreSQL unless a few customers
    are walked for, where the plain condition lets the planner take the trigram index
    instead when the text is rare (県道阿蘇線: one guarantee in a hundred)."""
    if _sqlite(s) or with_customer:
        return project_contains(s, needle, guarantee_id)
    return project_contains(s, needle)


def project_indexed(s: Session, needle: str) -> Any:
    """On PostgreSQL, the condition on ``guarantee.project_name`` itself: the planner may
    answer it with the trigram index, combined with the per-customer index (a bitmap AND)
    when a few customers' guarantees are read. None on SQLite (where it would read each
    row) and for a text too short for trigrams."""
    if _sqlite(s) or len(needle) < MIN_INDEXED:
        return None
    return col(Guarantee.project_name).like(like_pattern(needle), escape="\\")
