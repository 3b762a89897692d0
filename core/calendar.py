"""Japanese business days (開庁日) and the deadlines staff are asked about.

A business day is a weekday that is neither a national holiday (``jpholiday``) nor inside the
年末年始 closure, which by default runs from 12月29日 to 1月3日 and wraps the year end.

Procedure deadlines are data: ``deadlines`` in an orderer's record (data/orderers.yaml; 鳥栖市's
electronic contract and its GMOサイン download link), applied here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import jpholiday

from core.dates import format_wareki

if TYPE_CHECKING:
    from core.knowledge import DeadlineRule, Orderer

__all__ = [
    "DEFAULT_YEAR_END",
    "Deadline",
    "YearEnd",
    "add_business_days",
    "business_days_between",
    "deadline",
    "deadline_due",
    "deadlines_for",
    "is_business_day",
]

# ((first month, first day), (last month, last day)) of the 年末年始 closure, both inclusive.
YearEnd = tuple[tuple[int, int], tuple[int, int]]
DEFAULT_YEAR_END: YearEnd = ((12, 29), (1, 3))

# A year always has business days unless year_end closes (almost) all of it; stop searching
# after this many consecutive closed days instead of looping forever.
_MAX_CLOSED_RUN = 400


def _in_year_end(d: date, year_end: YearEnd) -> bool:
    start, end = year_end
    day = (d.month, d.day)
    if start <= end:
        return start <= day <= end
    return day >= start or day <= end  # wraps the year end: 12/29 … 1/3


def is_business_day(d: date, *, year_end: YearEnd = DEFAULT_YEAR_END) -> bool:
    """True on weekdays that are not national holidays and not in the 年末年始 closure."""
    if d.weekday() >= 5:
        return False
    if jpholiday.is_holiday(d):
        return False
    return not _in_year_end(d, year_end)


def add_business_days(d: date, n: int, *, year_end: YearEnd = DEFAULT_YEAR_END) -> date:
    """The ``n``-th business day after ``d`` (before it when ``n`` is negative).

    ``d`` itself is never counted, so ``n == 1`` is the next business day; ``n == 0`` returns
    ``d`` unchanged even when it is a closed day.
    """
    step = timedelta(days=1 if n >= 0 else -1)
    remaining = abs(n)
    current = d
    closed_run = 0
    while remaining:
        current += step
        if is_business_day(current, year_end=year_end):
            remaining -= 1
            closed_run = 0
        else:
            closed_run += 1
            if closed_run > _MAX_CLOSED_RUN:
                raise ValueError(f"no business day within {_MAX_CLOSED_RUN} days of {current}")
    return current


def business_days_between(a: date, b: date, *, year_end: YearEnd = DEFAULT_YEAR_END) -> int:
    """Business days after ``a`` up to and including ``b``; negative when ``b`` is before ``a``.

    The inverse of :func:`add_business_days` for a business day ``b``:
    ``add_business_days(a, business_days_between(a, b)) == b``.
    """
    if b < a:
        return -business_days_between(b, a, year_end=year_end)
    return sum(
        1
        for offset in range(1, (b - a).days + 1)
        if is_business_day(a + timedelta(days=offset), year_end=year_end)
    )


# --------------------------------------------------------------------------- deadlines


@dataclass(frozen=True)
class Deadline:
    """A due date with the Japanese sentence that explains it."""

    label: str
    due: date

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "due": self.due.isoformat()}


def deadline_due(rule: DeadlineRule, start: date, *, business: bool | None = None) -> date:
    """The last day of ``rule`` counted from ``start`` (the day itself not counted): business
    days or calendar days as the rule says, unless ``business`` says which."""
    if business is None:
        business = rule.count == "開庁日"
    return add_business_days(start, rule.days) if business else start + timedelta(days=rule.days)


def deadline(orderer_name: str, rule: DeadlineRule, start: date) -> Deadline:
    """「鳥栖市の電子契約の締結期限: 落札日の翌日から5日以内（閉庁日を除いて数えると令和8年3月16日
    まで…）」: where the document leaves it open whether closed days count, the later reading is
    the due date and the other one is said too."""
    due = deadline_due(rule, start)
    counted = "閉庁日を除いて数えると" if rule.count == "開庁日" else ""
    text = f"{orderer_name}の{rule.name}: {rule.said}（{counted}{format_wareki(due)}まで"
    other = deadline_due(rule, start, business=rule.count != "開庁日")
    if rule.closed_days_unclear and other != due:
        how = "含めて" if rule.count == "開庁日" else "除いて"
        text += f"。閉庁日を含めるかは資料に記載がなく、{how}数えると{format_wareki(other)}まで"
    if rule.note:
        text += f"。{rule.note}"
    return Deadline(text + "）", due)


def deadlines_for(
    orderer: Orderer | None, *, award_date: date | None = None, completed: date | None = None
) -> list[Deadline]:
    """The deadlines of ``orderer``'s rules (``deadlines`` in the orderer's record) that the
    dates known so far start (oldest first)."""
    if orderer is None:
        return []
    known = {"落札日": award_date, "署名完了通知日": completed}
    out = [
        deadline(orderer.name, rule, start)
        for rule in orderer.deadlines
        if (start := known.get(rule.after)) is not None
    ]
    return sorted(out, key=lambda d: d.due)
