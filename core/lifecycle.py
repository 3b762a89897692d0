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
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from core import dates
from core.db import Database
from core.errors import HoshoError, NotFoundError, ValidationError
from core.models import AuditEvent, Certificate, Customer, Guarantee, Orderer, Outbox
from core.terms import Status, parse_status

if TYPE_CHECKING:
    from core.services import GuaranteeView, Terms

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


# --- transitions ---------------------------------------------------------------------------


def today() -> date:
    """The staff's calendar day (the machine's local date)."""
    return date.today()


def _key(number: str) -> str:
    return unicodedata.normalize("NFKC", number).strip()


def _locked(s: Session, number: str) -> Guarantee:
    g = s.scalars(
        select(Guarantee).where(col(Guarantee.number) == _key(number)).with_for_update()
    ).first()
    if g is None:
        raise NotFoundError(f"保証契約番号「{number}」の保証は見つかりません")
    return g


def _withdraw_notices(s: Session, g: Guarantee) -> int:
    """Notices of a cancelled guarantee not yet sent are never sent: marked failed with the
    reason (the sender skips a cancelled guarantee's rows, also with ``--all``)."""
    from core.services import now

    certificate_ids = select(col(Certificate.id)).where(col(Certificate.guarantee_id) == g.id)
    stamp = now()
    result = s.execute(
        update(Outbox)
        .where(
            col(Outbox.certificate_id).in_(certificate_ids),
            (col(Outbox.status).in_(["pending", "failed"]))
            | ((col(Outbox.status) == "sending") & (col(Outbox.next_attempt_at) <= stamp)),
        )
        .values(
            status="failed",
            last_error="保証の取消により送信しません",
            next_attempt_at=None,
            updated_at=stamp,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def cancel_guarantee(db: Database, number: str, *, reason: str, operator: str) -> GuaranteeView:
    """受付 or 発行済 → 取消 (entered in error). The reason is required; notices not yet sent
    are withdrawn in the same transaction."""
    from core.services import audit, get_guarantee, now

    why = reason.strip()
    if not why:
        raise ValidationError([("reason", "取消の理由を入力してください（例: 二重登録のため）")])
    with db.session() as s:
        g = _locked(s, number)
        ensure_allowed(g, Action.CANCEL)
        before = g.status
        g.status = Status.CANCELLED.value
        g.updated_at = now()
        withdrawn = _withdraw_notices(s, g)
        audit(
            s,
            operator,
            CANCEL_EVENT,
            f"guarantee:{g.number}",
            **{"from": before, "to": g.status, "reason": why, "notices_withdrawn": withdrawn},
        )
        number = g.number
    return get_guarantee(db, number)


def parse_closing(as_: str) -> Status:
    """完了 or 解約 as typed."""
    try:
        status = parse_status(as_)
    except ValidationError:
        status = None
    if status not in CLOSED:
        raise ValidationError([("as", f"「{as_}」ではなく、完了か解約を指定してください")])
    assert status is not None
    return status


def _parse_day(text: str, field: str = "date") -> date:
    try:
        return dates.parse_date(text)
    except dates.DateError as exc:
        raise ValidationError([(field, f"終了日: {exc}")]) from None


def _day_problem(g: Guarantee, day: date, now_day: date) -> str | None:
    if day < g.contract_date:
        return (
            f"保証契約番号 {g.number} の終了日 {dates.format_wareki(day)} が契約締結日 "
            f"{dates.format_wareki(g.contract_date)} より前です"
        )
    if day > now_day:
        return (
            f"保証契約番号 {g.number} の終了日 {dates.format_wareki(day)} は先の日付です"
            "（終わった日を入力してください）"
        )
    return None


def _close(
    s: Session,
    g: Guarantee,
    status: Status,
    day: date,
    reason: str,
    operator: str,
    **detail: Any,
) -> None:
    from core.services import audit, now

    before = g.status
    g.status = status.value
    g.closed_on = day
    g.updated_at = now()
    audit(
        s,
        operator,
        CLOSE_EVENT,
        f"guarantee:{g.number}",
        **{"from": before, "to": g.status, "date": day.isoformat(), "reason": reason},
        **detail,
    )


def close_guarantee(
    db: Database,
    number: str,
    *,
    as_: str,
    date_text: str,
    reason: str = "",
    operator: str,
    current_day: date | None = None,
) -> GuaranteeView:
    """受付 or 発行済 → 完了 or 解約, on the day it ended: not before the 契約締結日 and not
    after today (``current_day``, for tests)."""
    from core.services import get_guarantee

    problems: list[tuple[str | None, str]] = []
    status: Status | None = None
    day: date | None = None
    try:
        status = parse_closing(as_)
    except ValidationError as exc:
        problems.extend(exc.items)
    if not date_text.strip():
        problems.append(("date", "終了日（完了・解約の日）を入力してください"))
    else:
        try:
            day = _parse_day(date_text)
        except ValidationError as exc:
            problems.extend(exc.items)
    with db.session() as s:
        g = _locked(s, number)
        ensure_allowed(g, Action.CLOSE)
        if day is not None and (why := _day_problem(g, day, current_day or today())):
            problems.append(("date", why))
        if problems or status is None or day is None:
            raise ValidationError(problems)
        _close(s, g, status, day, reason.strip(), operator)
        number = g.number
    return get_guarantee(db, number)


# --- overdue -------------------------------------------------------------------------------


def _overdue_statement(as_of: date) -> Any:
    return (
        select(Guarantee, col(Customer.name), col(Orderer.name), col(Orderer.prefecture))
        .join(Customer, col(Customer.id) == col(Guarantee.customer_id))
        .join(Orderer, col(Orderer.id) == col(Guarantee.orderer_id))
        .where(
            col(Guarantee.status).in_([s.value for s in OPEN]),
            col(Guarantee.guarantee_end) < as_of,
        )
        .order_by(col(Guarantee.guarantee_end), col(Guarantee.id))
    )


def list_overdue(db: Database, as_of: date | None = None) -> list[GuaranteeView]:
    """Open guarantees (受付・発行済) whose 保証期限 has passed by ``as_of`` (default today),
    the longest overdue first."""
    from core.services import _guarantee_view

    with db.reader() as s:
        rows = s.execute(_overdue_statement(as_of or today())).all()
        return [_guarantee_view(g, c, o, p) for g, c, o, p in rows]


def close_overdue(
    db: Database,
    *,
    operator: str,
    date_text: str = "",
    reason: str = "",
    as_of: date | None = None,
    numbers: Sequence[str] | None = None,
    current_day: date | None = None,
) -> list[GuaranteeView]:
    """Every guarantee overdue on ``as_of`` (default today) → 完了, in one transaction, each
    audited. The day it ended is ``date_text`` for all, or else each one's 保証期限; never
    after today (``current_day``, for tests). ``numbers``: only these (the list staff
    confirmed); any one refused refuses them all, and nothing is saved."""
    from core.services import _guarantee_view

    now_day = current_day or today()
    day = _parse_day(date_text) if date_text.strip() else None
    why = reason.strip() or "保証期限の経過"
    with db.session() as s:
        stmt = _overdue_statement(as_of or now_day).with_for_update(of=Guarantee)
        if numbers is not None:
            stmt = stmt.where(col(Guarantee.number).in_([_key(n) for n in numbers]))
        rows = s.execute(stmt).all()
        problems = []
        for g, *_ in rows:
            ended = day or g.guarantee_end
            assert ended is not None  # overdue: it has a 保証期限
            if (problem := _day_problem(g, ended, now_day)) is not None:
                problems.append(("date", problem))
        if problems:
            raise ValidationError(problems)
        for g, *_ in rows:
            _close(s, g, Status.COMPLETED, day or g.guarantee_end, why, operator, bulk=True)
        s.flush()
        return [_guarantee_view(g, c, o, p) for g, c, o, p in rows]


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


def status_text(status: str, closed_on: date | None, change: dict[str, Any] | None) -> str:
    """「完了（令和9年3月31日終了）— 山田 令和9年4月2日: 工事完成」 for staff."""
    text = status
    if closed_on is not None:
        text += f"（{dates.format_wareki(closed_on)}終了）"
    if change:
        at = dates.format_wareki(datetime.fromisoformat(change["at"]).astimezone().date())
        reason = f": {change['reason']}" if change.get("reason") else ""
        text += f" — {change['by']} {at}{reason}"
    return text


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
