"""A guarantee's life: 受付 → 発行済 → 完了 (the works finished, the 保証期限 passed) or 解約;
取消 for one entered in error (from 受付 or 発行済).

What each state allows is decided here, in :data:`ALLOWED`, and every entry point asks
:func:`ensure_allowed` before doing anything: certificate issue, 変更 and 訂正
(core.certificates), the お知らせ and the 保証証書 (core.certificates.certificate_document),
and sending the notice mail (mailer.outbox never claims the rows of a guarantee in a state
:func:`statuses_refusing` names). Every step is audited with who, when and why.

Also here: the duplicate check of a new guarantee (same customer, orderer, type, 工事名 and
契約締結日 as one already recorded).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlmodel import Session, col

from core import dates
from core.errors import HoshoError, ValidationError
from core.models import AuditEvent, Guarantee
from core.terms import Status

if TYPE_CHECKING:
    from core.services import Terms

OPEN = (Status.RECORDED, Status.ISSUED)
CLOSED = (Status.COMPLETED, Status.TERMINATED)

CANCEL_EVENT = "guarantee.cancel"
CLOSE_EVENT = "guarantee.close"


class Action(StrEnum):
    """What staff may want to do with a guarantee; the value names it in messages."""

    ISSUE = "証書の発行"
    CHANGE = "変更"
    CORRECT = "訂正"
    NOTICE = "お知らせ・保証証書の作成"
    MAIL = "お知らせメールの送信"
    CANCEL = "取消"
    CLOSE = "完了・解約の記録"


_EVERYTHING = frozenset(Action)

# A closed guarantee stays in the book: it can be viewed, listed and reported, its documents
# printed again and a notice already queued sent, but nothing new is issued or changed.
ALLOWED: dict[Status, frozenset[Action]] = {
    Status.RECORDED: _EVERYTHING,
    Status.ISSUED: _EVERYTHING,
    Status.COMPLETED: frozenset({Action.NOTICE, Action.MAIL}),
    Status.TERMINATED: frozenset({Action.NOTICE, Action.MAIL}),
    Status.CANCELLED: frozenset(),
}


class LifecycleError(HoshoError):
    """The guarantee's state does not allow this (nothing was saved)."""


def _status(value: str) -> Status:
    try:
        return Status(value)
    except ValueError:
        return Status.RECORDED  # an unknown stored value: treat as open, never lock staff out


def statuses_refusing(action: Action) -> list[str]:
    """The stored status values under which ``action`` is refused (for SQL filters)."""
    return [s.value for s, allowed in ALLOWED.items() if action not in allowed]


def refusal(number: str, status: str, action: Action, closed_on: date | None) -> LifecycleError:
    """Why ``action`` cannot be done in this state, and what staff can do instead."""
    if status == Status.CANCELLED.value:
        return LifecycleError(
            f"保証契約番号 {number} は取消済み（入力誤りとして取り消した保証）のため、"
            f"{action.value}はできません。必要なら正しい内容で新しい保証として登録してください"
        )
    when = f"（{dates.format_wareki(closed_on)}）" if closed_on else ""
    return LifecycleError(
        f"保証契約番号 {number} は{status}済み{when}のため、{action.value}はできません。"
        "内容の表示・一覧・帳票はこれまでどおり使えます。新たに保証が要るときは新しい保証として"
        "登録してください"
    )


def ensure_allowed(g: Guarantee, action: Action) -> None:
    """Refuse ``action`` when the guarantee's state does not allow it."""
    if action not in ALLOWED[_status(g.status)]:
        raise refusal(g.number, g.status, action, g.closed_on)


# --- what the book shows ---------------------------------------------------------------------


def last_status_change(s: Session, number: str) -> dict[str, Any] | None:
    """The last 取消 / 完了 / 解約 of a guarantee, from the audit log: who, when and why."""
    event = s.scalars(
        select(AuditEvent)
        .where(
            col(AuditEvent.target) == f"guarantee:{number}",
            col(AuditEvent.action).in_([CANCEL_EVENT, CLOSE_EVENT]),
        )
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(1)
    ).first()
    if event is None:
        return None
    return {
        "status": event.detail.get("to"),
        "at": event.at.isoformat(),
        "by": event.operator,
        "reason": event.detail.get("reason") or "",
        "date": event.detail.get("date"),
    }


# --- duplicates ----------------------------------------------------------------------------

# How staff are told to go ahead; each front end says it its own way (--confirmed, a dialog).
CONFIRM_HINT = "。二重登録ではなく別の保証として登録するときは、確認したうえで登録し直してください"


@dataclass(frozen=True)
class Duplicate:
    number: str
    status: str


class DuplicateGuaranteeError(ValidationError):
    """A guarantee with the same customer, orderer, type, 工事名 and 契約締結日 exists."""

    def __init__(self, duplicates: Sequence[Duplicate], hint: str = CONFIRM_HINT) -> None:
        self.duplicates = list(duplicates)
        listed = "、".join(f"保証契約番号 {d.number}（{d.status}）" for d in self.duplicates)
        super().__init__(
            [
                (
                    None,
                    f"同じ受注者・発注者・種別・工事名・契約締結日の保証が既にあります: {listed}"
                    + hint,
                )
            ]
        )


def same_project(a: str, b: str) -> bool:
    """工事名 compared as staff mean them: full/half width and surrounding spaces ignored."""
    return unicodedata.normalize("NFKC", a).strip() == unicodedata.normalize("NFKC", b).strip()


def find_duplicates(s: Session, customer_id: int, orderer_id: int, t: Terms) -> list[Duplicate]:
    """Guarantees (not 取消) with the same customer, orderer, type, 工事名 and 契約締結日."""
    rows = s.execute(
        select(col(Guarantee.number), col(Guarantee.status), col(Guarantee.project_name))
        .where(
            col(Guarantee.customer_id) == customer_id,
            col(Guarantee.contract_date) == t.contract_date,
            col(Guarantee.orderer_id) == orderer_id,
            col(Guarantee.type) == t.type.value,
            col(Guarantee.status) != Status.CANCELLED.value,
        )
        .order_by(col(Guarantee.id))
    ).all()
    return [Duplicate(n, st) for n, st, project in rows if same_project(project, t.project)]


def check_duplicates(
    s: Session, customer_id: int, orderer_id: int, t: Terms, *, confirmed: bool
) -> list[str]:
    """Refuse a duplicate unless ``confirmed``; the numbers confirmed past (for the audit)."""
    found = find_duplicates(s, customer_id, orderer_id, t)
    if found and not confirmed:
        raise DuplicateGuaranteeError(found)
    return [d.number for d in found]
