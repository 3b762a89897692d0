"""Japanese business days (開庁日) and the deadlines staff are asked about.

A business day is a weekday that is neither a national holiday (``jpholiday``) nor inside the
年末年始 closure, which by default runs from 12月29日 to 1月3日 and wraps the year end.

The only orderer with dated procedure deadlines in the documents is 鳥栖市 (its GMOサイン
electronic contracts, 003_fa20bb5a45307e8d.txt as of 2026-02-26).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import jpholiday

from core.dates import format_wareki

if TYPE_CHECKING:
    from core.knowledge import Orderer

__all__ = [
    "DEFAULT_YEAR_END",
    "GMO_DOWNLOAD_DAYS",
    "TOSU_CONTRACT_DAYS",
    "Deadline",
    "YearEnd",
    "add_business_days",
    "business_days_between",
    "deadlines_for",
    "gmo_download_deadline",
    "gmo_download_deadline_label",
    "is_business_day",
    "tosu_contract_deadline",
    "tosu_contract_deadline_label",
]

# ((first month, first day), (last month, last day)) of the 年末年始 closure, both inclusive.
YearEnd = tuple[tuple[int, int], tuple[int, int]]
DEFAULT_YEAR_END: YearEnd = ((12, 29), (1, 3))

TOSU_NAME = "鳥栖市"
# 鳥栖市: 「落札から5日以内に契約を締結する。（落札日の翌日から5日以内）」
TOSU_CONTRACT_DAYS = 5
# GMOサイン: the download link is valid for 2 weeks after the 「電子署名完了のお知らせ」 email.
GMO_DOWNLOAD_DAYS = 14

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


def tosu_contract_deadline(award: date) -> date:
    """Last day to conclude a 鳥栖市 electronic contract for a tender awarded on ``award``.

    The document says 「落札から5日以内（落札日の翌日から5日以内）」 but not whether closed days
    (土日・祝日・年末年始) count. We count 5 *business* days starting the day after the award,
    which is the later of the two readings; :func:`tosu_contract_deadline_label` says so and
    gives the calendar-day date too when it differs.
    """
    return add_business_days(award, TOSU_CONTRACT_DAYS)


def tosu_contract_deadline_label(award: date) -> str:
    """「落札日の翌日から5日以内（閉庁日を除いて数えると令和8年3月16日まで…）」."""
    due = tosu_contract_deadline(award)
    calendar_due = award + timedelta(days=TOSU_CONTRACT_DAYS)
    days = TOSU_CONTRACT_DAYS
    text = f"落札日の翌日から{days}日以内（閉庁日を除いて数えると{format_wareki(due)}まで"
    if calendar_due != due:
        text += (
            f"。閉庁日を含めるかは資料に記載がなく、含めて数えると{format_wareki(calendar_due)}まで"
        )
    return text + "）"


def gmo_download_deadline(completed: date) -> date:
    """Last day to download the signed contract from GMOサイン.

    ``completed`` is the day the 「電子署名完了のお知らせ」 email arrived; the link is valid for
    2 weeks from then (the document gives no time of day, so the 14th day is the last one).
    """
    return completed + timedelta(days=GMO_DOWNLOAD_DAYS)


def gmo_download_deadline_label(completed: date) -> str:
    due = gmo_download_deadline(completed)
    return (
        "GMOサインの締結済み契約書のダウンロード期限（「電子署名完了のお知らせ」メールの到着から"
        f"2週間、{format_wareki(due)}まで。期限後はダウンロードできないため早めに保存を）"
    )


def deadlines_for(
    orderer: Orderer | None, *, award_date: date | None = None, completed: date | None = None
) -> list[Deadline]:
    """The deadlines that apply for ``orderer`` given the dates known so far (oldest first)."""
    if orderer is None or orderer.name != TOSU_NAME:
        return []
    out: list[Deadline] = []
    if award_date is not None:
        out.append(
            Deadline(
                f"鳥栖市の電子契約の締結期限: {tosu_contract_deadline_label(award_date)}",
                tosu_contract_deadline(award_date),
            )
        )
    if completed is not None:
        out.append(
            Deadline(gmo_download_deadline_label(completed), gmo_download_deadline(completed))
        )
    return sorted(out, key=lambda d: d.due)
