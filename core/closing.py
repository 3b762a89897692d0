"""Cancelling (取消) and closing (完了・解約) guarantees, one at a time or every one whose
保証期限 has passed. What each state allows is :mod:`core.lifecycle`'s; every step is
audited with who, when and why, and a cancelled guarantee's unsent notices are withdrawn."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from core import dates
from core.db import Database
from core.errors import NotFoundError, ValidationError
from core.lifecycle import (
    CANCEL_EVENT,
    CLOSE_EVENT,
    CLOSED,
    OPEN,
    Action,
    ensure_allowed,
)
from core.models import Certificate, Customer, Guarantee, Orderer, Outbox, audit, now
from core.services import GuaranteeView, _guarantee_view, get_guarantee
from core.terms import Status, parse_status


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
