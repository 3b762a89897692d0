"""Questions the assistant could not answer, kept so staff can add FAQ entries for them.

Recording never fails the caller: a database problem is logged and ``record_miss`` returns
False. Listing groups the rows by normalised question (「えーと、〇〇？」 and 「〇〇」 together),
newest group first.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlmodel import col

from core.models import FaqMiss

if TYPE_CHECKING:
    from core.db import Database
    from faq.engine import Answer

log = logging.getLogger(__name__)

_TEXT = 500


@dataclass(frozen=True)
class MissGroup:
    """All the misses of one normalised question."""

    normalized: str
    count: int
    last_at: datetime
    question: str  # the latest wording
    best_score: float  # the best score any of them reached
    candidates: list[dict[str, Any]]  # the latest top candidates

    def to_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "last_at": self.last_at.isoformat(),
            "best_score": round(self.best_score, 3),
        }


def is_miss(answer: Answer) -> bool:
    """A question staff may want an entry for: nothing answered, and not a question back (which
    of 大津市・大津町?) nor a topic the FAQ declines on purpose (out_of_scope in data/faq.yaml)."""
    return answer.kind == "none" and answer.out_of_scope is None


def record_miss(db: Database, question: str, answer: Answer, *, operator: str = "") -> bool:
    """Store a question that got no answer; False (and a log line) when the database fails."""
    try:
        with db.session() as s:
            s.add(
                FaqMiss(
                    at=datetime.now(UTC),
                    operator=operator[:100],
                    question=question.strip()[:_TEXT],
                    normalized=(answer.normalized or question.strip())[:_TEXT],
                    best_score=float(answer.confidence),
                    candidates=[a.to_json() for a in answer.alternatives],
                )
            )
    except Exception:
        log.warning("could not record an unanswered FAQ question", exc_info=True)
        return False
    return True


def list_misses(db: Database, *, limit: int = 50) -> list[MissGroup]:
    """Misses grouped by normalised question with counts, the most recent group first."""
    if limit <= 0:
        return []
    last = func.max(col(FaqMiss.at))
    with db.reader() as s:
        groups = s.execute(
            select(col(FaqMiss.normalized), func.count(), last, func.max(col(FaqMiss.best_score)))
            .group_by(col(FaqMiss.normalized))
            .order_by(last.desc(), col(FaqMiss.normalized))
            .limit(limit)
        ).all()
        named = col(FaqMiss.normalized).in_([g[0] for g in groups])
        rows = s.scalars(select(FaqMiss).where(named).order_by(col(FaqMiss.at), col(FaqMiss.id)))
        latest = {row.normalized: row for row in rows}  # each group's newest row: its last
    return [
        MissGroup(name, int(n), at, row.question, float(best or 0.0), list(row.candidates or []))
        for name, n, at, best in groups
        for row in [latest[name]]  # the group's newest row
    ]
