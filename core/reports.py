"""The monthly usage report (利用実績): per month of 契約締結日 and orderer, type or customer.

Counted in one SQL ``GROUP BY`` (the same statement on SQLite and PostgreSQL; only the
month expression is spelled per dialect).

What counts: 件数, 保証金額合計 and 電子件数 count every guarantee recorded except the
cancelled ones (取消: entered in error, never a guarantee); those are reported apart in
``cancelled``. Guarantees that ended (完了・解約) were issued, so they count in 件数 and are
also shown in ``closed``. 電子利用率 = 電子件数 / 件数 (delivery 電子).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import String, and_, case, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlmodel import col

from core import dates
from core.db import Database
from core.errors import ValidationError
from core.models import Customer, Guarantee, Orderer
from core.terms import Delivery, GType, Status

GROUPINGS = {"orderer": "発注者", "type": "種別", "customer": "受注者"}
CANCELLED = Status.CANCELLED.value
CLOSED = ("完了", "解約")  # a guarantee that ended: fulfilled, or the contract was cancelled
ELECTRONIC = Delivery.ELECTRONIC.value


class month_of(FunctionElement[str]):
    """``'YYYY-MM'`` of a date column."""

    type = String()
    inherit_cache = True


@compiles(month_of)
def _month_generic(element: month_of, compiler: Any, **kw: Any) -> str:
    # SQLite keeps dates as ISO text: the first seven characters are the month.
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 7)"


@compiles(month_of, "postgresql")
def _month_postgresql(element: month_of, compiler: Any, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM')"


# --- months ----------------------------------------------------------------------------------


def add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def parse_months(
    start: str | None, end: str | None, *, today: date | None = None
) -> tuple[date, date]:
    """The first days of the first and the last month (``2026-04``, ``R8.4``, ``令和8年4月``).
    Without either: the twelve months to this one; with one: twelve months from (or to) it."""
    problems: list[tuple[str | None, str]] = []

    def month(name: str, label: str, text: str | None) -> date | None:
        if text is None or not text.strip():
            return None
        try:
            return dates.parse_year_month(text)
        except dates.DateError as exc:
            problems.append((name, f"{label}: {exc}"))
            return None

    first = month("from", "集計の始まり", start)
    last = month("to", "集計の終わり", end)
    if problems:
        raise ValidationError(problems)
    if first is None and last is None:
        last = (today or date.today()).replace(day=1)
    if first is None:
        assert last is not None
        first = add_months(last, -11)
    if last is None:
        last = add_months(first, 11)
    if first > last:
        raise ValidationError([("to", "集計の終わりが始まりより前です")])
    return first, last


def months_between(first: date, last: date) -> list[str]:
    out, m = [], first
    while m <= last:
        out.append(f"{m:%Y-%m}")
        m = add_months(m, 1)
    return out


# --- the report ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One month and one orderer (type, customer), or a total (``period`` None for all)."""

    period: str | None  # "YYYY-MM"
    label: str  # the orderer, type or customer; "" in a total
    count: int = 0  # 件数: recorded guarantees, cancelled ones excepted
    amount: int = 0  # 保証金額合計 of those
    electronic: int = 0  # of those, delivered 電子
    cancelled: int = 0  # 取消
    closed: int = 0  # 完了・解約 (included in count)

    @property
    def electronic_rate(self) -> float | None:
        return round(self.electronic / self.count, 4) if self.count else None

    def to_json(self, by: str) -> dict[str, Any]:
        return {
            "period": self.period,
            by: self.label,
            "count": self.count,
            "amount": self.amount,
            "electronic": self.electronic,
            "electronic_rate": self.electronic_rate,
            "cancelled": self.cancelled,
            "closed": self.closed,
        }


def summed(period: str | None, rows: Iterable[Row]) -> Row:
    """The total of ``rows``."""
    count = amount = electronic = cancelled = closed = 0
    for r in rows:
        count += r.count
        amount += r.amount
        electronic += r.electronic
        cancelled += r.cancelled
        closed += r.closed
    return Row(period, "", count, amount, electronic, cancelled, closed)


@dataclass(frozen=True)
class MonthlyReport:
    first: date  # first day of the first month
    last: date  # first day of the last month
    by: str  # orderer / type / customer
    rows: tuple[Row, ...]  # by month, then most guarantees first
    monthly: tuple[Row, ...] = field(default=())  # every month of the range, totalled

    @property
    def label(self) -> str:
        return GROUPINGS[self.by]

    @property
    def total(self) -> Row:
        return summed(None, self.monthly)

    def to_json(self) -> list[dict[str, Any]]:
        return [r.to_json(self.by) for r in self.rows]


def _group_key(by: str) -> Any:
    if by == "orderer":
        return col(Guarantee.orderer_id)
    if by == "customer":
        return col(Guarantee.customer_id)
    return col(Guarantee.type)


def _with_names(agg: Any, by: str) -> Any:
    """The counts with the name of each group (joined after counting) and what tells two of
    the same name apart: the orderer's prefecture, the customer's ID."""
    if by == "orderer":
        return select(agg, col(Orderer.name), col(Orderer.prefecture)).join(
            Orderer, col(Orderer.id) == agg.c.key
        )
    if by == "customer":
        return select(agg, col(Customer.name), agg.c.key).join(
            Customer, col(Customer.id) == agg.c.key
        )
    return select(agg, agg.c.key, literal(None))


def _labels(by: str, names: dict[Any, tuple[str, Any]]) -> dict[Any, str]:
    """A group's name; a name two groups share gets its prefecture (or the customer's ID)."""
    seen: dict[str, int] = {}
    for name, _ in names.values():
        seen[name] = seen.get(name, 0) + 1
    extra = "（ID {}）" if by == "customer" else "（{}）"
    return {
        k: name if seen[name] == 1 else name + extra.format(other or "国")
        for k, (name, other) in names.items()
    }


_TYPE_ORDER = {t.value: i for i, t in enumerate(GType)}


def monthly_report(db: Database, first: date, last: date, by: str = "orderer") -> MonthlyReport:
    """Guarantees by month of 契約締結日 (``first`` to ``last``, both months included) and
    ``by``: orderer, type or customer."""
    if by not in GROUPINGS:
        choices = "・".join(GROUPINGS)
        raise ValidationError([("by", f"集計の単位「{by}」は使えません（{choices}）")])
    g = Guarantee
    live = col(g.status) != CANCELLED
    month = month_of(col(g.contract_date))
    key = _group_key(by)

    def n(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    agg = (
        select(
            month.label("period"),
            key.label("key"),
            n(live).label("count"),
            func.sum(case((live, col(g.amount)), else_=0)).label("amount"),
            n(and_(live, col(g.delivery) == ELECTRONIC)).label("electronic"),
            n(col(g.status) == CANCELLED).label("cancelled"),
            n(col(g.status).in_(CLOSED)).label("closed"),
        )
        .where(
            col(g.contract_date) >= first.replace(day=1),
            col(g.contract_date) <= month_end(last),
        )
        .group_by(month, key)
        .subquery()
    )
    with db.reader() as s:
        found = s.connection().execute(_with_names(agg, by)).all()
    labels = _labels(by, {r[1]: (r[7], r[8]) for r in found})
    rows = [
        Row(r[0], labels[r[1]], int(r[2]), int(r[3]), int(r[4]), int(r[5]), int(r[6]))
        for r in found
    ]
    if by == "type":
        rows.sort(key=lambda r: (r.period or "", _TYPE_ORDER.get(r.label, 99), r.label))
    else:
        rows.sort(key=lambda r: (r.period or "", -r.count, -r.cancelled, r.label))
    per_month: dict[str | None, list[Row]] = {p: [] for p in months_between(first, last)}
    for r in rows:
        per_month[r.period].append(r)
    monthly = tuple(summed(p, group) for p, group in per_month.items())
    return MonthlyReport(first, last, by, tuple(rows), monthly)


# --- as staff read it ----------------------------------------------------------------------


def period_text(period: str | None) -> str:
    """``2026-04`` → ``令和8年4月``."""
    if period is None:
        return ""
    year, month = period.split("-")
    return dates.format_wareki_month(date(int(year), int(month), 1))


def rate_text(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def headers(by: str) -> list[str]:
    return [
        "年月",
        GROUPINGS[by],
        "件数",
        "保証金額合計",
        "電子件数",
        "電子利用率",
        "取消",
        "完了・解約",
    ]


def table_rows(report: MonthlyReport) -> list[tuple[str, list[str], str]]:
    """The table as text: (kind, cells, style) with kind row / subtotal / total. A month with
    more than one row gets a 小計; the range ends with the 合計."""

    def cells(period: str, label: str, r: Row) -> list[str]:
        return [
            period,
            label,
            f"{r.count:,}",
            f"{r.amount:,}",
            f"{r.electronic:,}",
            rate_text(r.electronic_rate),
            f"{r.cancelled:,}",
            f"{r.closed:,}",
        ]

    out: list[tuple[str, list[str], str]] = []
    by_month: dict[str, list[Row]] = {}
    for r in report.rows:
        by_month.setdefault(r.period or "", []).append(r)
    for m in report.monthly:
        assert m.period is not None
        group = by_month.get(m.period, [])
        for i, r in enumerate(group):
            out.append(("row", cells(period_text(m.period) if i == 0 else "", r.label, r), ""))
        if not group:
            out.append(("row", cells(period_text(m.period), "（なし）", m), "dim"))
        elif len(group) > 1:
            out.append(("subtotal", cells("", "小計", m), "dim"))
    out.append(("total", cells("合計", "", report.total), "bold"))
    return out
