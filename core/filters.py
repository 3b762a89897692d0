"""The guarantee list's filter: what staff typed in the filter bar (or the command line's
flags), read and checked. Kept apart from the search itself (core.services) so that the
terminal UI can hold a filter before the database layer has loaded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from core import dates
from core.errors import ValidationError
from core.money import parse_yen
from core.terms import Delivery, GType, Status, parse_delivery, parse_gtype, parse_status


@dataclass(frozen=True)
class GuaranteeFilter:
    """The 電子帳簿保存法 search: 取引年月日, 取引先, 取引金額 with ranges, and more."""

    date_from: date | None = None
    date_to: date | None = None
    customer: str | None = None  # part of the 商号 or the カナ, an e-Net保証 ID or the ID
    orderer: str | None = None
    min_amount: int | None = None
    max_amount: int | None = None
    type: GType | None = None
    status: Status | None = None
    limit: int = 50
    offset: int = 0
    project: str | None = None  # part of the 工事名・業務名
    delivery: Delivery | None = None  # 電子 / 書面 (the guarantee's own, as recorded)


def parse_filter(
    *,
    date_from: str | None = None,
    date_to: str | None = None,
    customer: str | None = None,
    orderer: str | None = None,
    min_amount: str | None = None,
    max_amount: str | None = None,
    type: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
    project: str | None = None,
    delivery: str | None = None,
) -> GuaranteeFilter:
    """Build a filter from typed text, reporting every bad value at once (each tied to the
    keyword it came from)."""
    problems: list[tuple[str | None, str]] = []

    def attempt(name: str, fn: Any, raw: str | None, *args: Any) -> Any:
        if raw is None or not raw.strip():
            return None
        try:
            return fn(raw, *args)
        except ValidationError as exc:
            problems.extend((name, m) for m in exc.problems)
        except dates.DateError as exc:
            problems.append((name, str(exc)))
        return None

    f = GuaranteeFilter(
        date_from=attempt("date_from", dates.parse_date, date_from),
        date_to=attempt("date_to", dates.parse_date, date_to),
        customer=(customer or "").strip() or None,
        orderer=(orderer or "").strip() or None,
        min_amount=attempt("min_amount", parse_yen, min_amount, "下限金額"),
        max_amount=attempt("max_amount", parse_yen, max_amount, "上限金額"),
        type=attempt("type", parse_gtype, type),
        status=attempt("status", parse_status, status),
        limit=limit,
        offset=offset,
        project=(project or "").strip() or None,
        delivery=attempt("delivery", parse_delivery, delivery),
    )
    if f.date_from and f.date_to and f.date_from > f.date_to:
        problems.append(("date_to", "期間の終わりが始まりより前です"))
    if f.min_amount is not None and f.max_amount is not None and f.min_amount > f.max_amount:
        problems.append(("max_amount", "上限金額が下限金額より小さくなっています"))
    if limit < 1:
        problems.append(("limit", "表示件数は1以上にしてください"))
    if offset < 0:
        problems.append(("offset", "先頭から飛ばす件数は0以上にしてください"))
    if problems:
        raise ValidationError(problems)
    return f
