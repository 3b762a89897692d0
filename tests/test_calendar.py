"""core.calendar: 開庁日, 年末年始, and deadlines from orderers' records (鳥栖市 / GMOサイン in
the shipped data; the rule forms on synthetic rules)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.calendar import (
    Deadline,
    add_business_days,
    business_days_between,
    deadline,
    deadline_due,
    deadlines_for,
    is_business_day,
)
from core.knowledge import DeadlineRule, Orderer, load_orderers


def orderer(name: str) -> Orderer:
    (found,) = [o for o in load_orderers().orderers if o.name == name]
    return found


def rule(name: str) -> DeadlineRule:
    (found,) = [r for r in orderer("鳥栖市").deadlines if r.name == name]
    return found


def tosu_contract_deadline(award: date) -> date:
    return deadline_due(rule("電子契約の締結期限"), award)


def tosu_contract_deadline_label(award: date) -> str:
    return deadline("鳥栖市", rule("電子契約の締結期限"), award).label.split(": ", 1)[1]


def gmo_download_deadline(completed: date) -> date:
    return deadline_due(rule("GMOサインの締結済み契約書のダウンロード期限"), completed)


def gmo_download_deadline_label(completed: date) -> str:
    return deadline("鳥栖市", rule("GMOサインの締結済み契約書のダウンロード期限"), completed).label


BUSINESS_DAYS = [
    # Golden Week 2026: 5/3 (Sun) 憲法記念日, 5/4, 5/5, 5/6 振替休日.
    (date(2026, 5, 1), True),
    (date(2026, 5, 2), False),
    (date(2026, 5, 3), False),
    (date(2026, 5, 4), False),
    (date(2026, 5, 5), False),
    (date(2026, 5, 6), False),
    (date(2026, 5, 7), True),
    (date(2026, 4, 29), False),  # 昭和の日 (Wed)
    (date(2026, 9, 22), False),  # 国民の休日 between 敬老の日 and 秋分の日
    (date(2026, 3, 20), False),  # 春分の日 (Fri)
    # plain weeks
    (date(2026, 3, 13), True),  # Fri
    (date(2026, 3, 14), False),  # Sat
    (date(2026, 3, 15), False),  # Sun
    (date(2026, 3, 16), True),  # Mon
    # 年末年始 wraps the year
    (date(2026, 12, 28), True),
    (date(2026, 12, 29), False),
    (date(2026, 12, 30), False),
    (date(2026, 12, 31), False),
    (date(2027, 1, 1), False),
    (date(2027, 1, 2), False),
    (date(2027, 1, 3), False),
    (date(2027, 1, 4), True),
    (date(2027, 1, 11), False),  # 成人の日
]


@pytest.mark.parametrize(
    ("day", "expected"), BUSINESS_DAYS, ids=[d.isoformat() for d, _ in BUSINESS_DAYS]
)
def test_is_business_day(day: date, expected: bool) -> None:
    assert is_business_day(day) is expected


def test_year_end_closure_is_configurable() -> None:
    longer = ((12, 28), (1, 4))
    assert is_business_day(date(2026, 12, 28), year_end=longer) is False
    assert is_business_day(date(2027, 1, 4), year_end=longer) is False
    assert is_business_day(date(2027, 1, 5), year_end=longer) is True
    # A range inside one year (お盆) does not wrap.
    obon = ((8, 13), (8, 14))
    assert is_business_day(date(2026, 8, 12), year_end=obon) is True
    assert is_business_day(date(2026, 8, 13), year_end=obon) is False
    assert is_business_day(date(2026, 8, 14), year_end=obon) is False
    assert is_business_day(date(2026, 12, 29), year_end=obon) is True


ADD_CASES = [
    (date(2026, 3, 13), 1, date(2026, 3, 16)),  # Fri → Mon
    (date(2026, 3, 14), 1, date(2026, 3, 16)),  # from a Saturday
    (date(2026, 3, 16), 0, date(2026, 3, 16)),
    (date(2026, 3, 14), 0, date(2026, 3, 14)),  # n == 0 keeps even a closed day
    (date(2026, 5, 1), 1, date(2026, 5, 7)),  # over Golden Week
    (date(2026, 12, 28), 1, date(2027, 1, 4)),  # over 年末年始
    (date(2026, 3, 16), -1, date(2026, 3, 13)),
    (date(2027, 1, 4), -1, date(2026, 12, 28)),
]


@pytest.mark.parametrize(
    ("start", "n", "expected"), ADD_CASES, ids=[f"{s.isoformat()}{n:+d}" for s, n, _ in ADD_CASES]
)
def test_add_business_days(start: date, n: int, expected: date) -> None:
    assert add_business_days(start, n) == expected


BETWEEN_CASES = [
    (date(2026, 3, 13), date(2026, 3, 16), 1),
    (date(2026, 3, 16), date(2026, 3, 16), 0),
    (date(2026, 4, 30), date(2026, 5, 7), 2),  # 5/1 and 5/7
    (date(2026, 12, 25), date(2027, 1, 8), 6),  # 12/28, then 1/4–1/8
    (date(2026, 3, 16), date(2026, 3, 13), -1),
]


@pytest.mark.parametrize(
    ("a", "b", "expected"), BETWEEN_CASES, ids=[f"{a}..{b}" for a, b, _ in BETWEEN_CASES]
)
def test_business_days_between(a: date, b: date, expected: int) -> None:
    assert business_days_between(a, b) == expected


def test_between_inverts_add() -> None:
    start = date(2026, 4, 24)
    for n in range(-15, 16):
        assert business_days_between(start, add_business_days(start, n)) == n


def test_no_business_day_at_all_is_an_error() -> None:
    with pytest.raises(ValueError):
        add_business_days(date(2026, 3, 2), 1, year_end=((1, 1), (12, 31)))


# --------------------------------------------------------------------------- deadlines

TOSU_CASES = [
    (date(2026, 3, 9), date(2026, 3, 16)),  # Mon award: 10,11,12,13,(weekend),16
    (date(2026, 3, 12), date(2026, 3, 19)),  # over a weekend
    (date(2026, 3, 16), date(2026, 3, 24)),  # over 春分の日 (3/20) and a weekend
    (date(2026, 4, 28), date(2026, 5, 11)),  # 4/29 and Golden Week 5/2–5/6
    (date(2026, 12, 25), date(2027, 1, 7)),  # 年末年始
]


@pytest.mark.parametrize(("award", "due"), TOSU_CASES, ids=[a.isoformat() for a, _ in TOSU_CASES])
def test_tosu_contract_deadline(award: date, due: date) -> None:
    assert tosu_contract_deadline(award) == due
    assert business_days_between(award, due) == 5
    assert is_business_day(due)


def test_tosu_label_explains_the_count() -> None:
    label = tosu_contract_deadline_label(date(2026, 3, 9))
    assert label.startswith("落札日の翌日から5日以内（閉庁日を除いて数えると令和8年3月16日まで")
    # the calendar-day reading (3/10–3/14) is given too, since the document does not decide
    assert "含めて数えると令和8年3月14日まで" in label


def test_tosu_label_without_closed_days_gives_one_date() -> None:
    open_week = date(2026, 6, 7)  # Sun award: 6/8–6/12 are Mon–Fri without holidays
    label = tosu_contract_deadline_label(open_week)
    assert label == "落札日の翌日から5日以内（閉庁日を除いて数えると令和8年6月12日まで）"


GMO_CASES = [
    (date(2026, 3, 20), date(2026, 4, 3)),
    (date(2026, 12, 25), date(2027, 1, 8)),  # calendar days: closed days count
]


@pytest.mark.parametrize(("completed", "due"), GMO_CASES, ids=[c.isoformat() for c, _ in GMO_CASES])
def test_gmo_download_deadline(completed: date, due: date) -> None:
    assert gmo_download_deadline(completed) == due
    assert due - completed == timedelta(days=14)
    label = gmo_download_deadline_label(completed)
    assert "2週間" in label
    assert "電子署名完了のお知らせ" in label


def test_deadlines_for_tosu() -> None:
    tosu = orderer("鳥栖市")
    both = deadlines_for(tosu, award_date=date(2026, 4, 28), completed=date(2026, 5, 20))
    assert [d.due for d in both] == [date(2026, 5, 11), date(2026, 6, 3)]
    assert both[0].label.startswith("鳥栖市の電子契約の締結期限: 落札日の翌日から5日以内")
    assert "GMOサイン" in both[1].label
    assert both[0].to_json() == {"label": both[0].label, "due": "2026-05-11"}
    only_award = deadlines_for(tosu, award_date=date(2026, 3, 9))
    assert [d.due for d in only_award] == [date(2026, 3, 16)]
    assert deadlines_for(tosu) == []


@pytest.mark.parametrize("name", ["広島県", "芦屋町", None], ids=lambda n: n or "none")
def test_no_deadlines_where_the_record_has_none(name: str | None) -> None:
    found = orderer(name) if name else None
    assert deadlines_for(found, award_date=date(2026, 3, 9), completed=date(2026, 3, 20)) == []


def test_deadline_is_a_value() -> None:
    assert Deadline("x", date(2026, 1, 5)) == Deadline("x", date(2026, 1, 5))


def test_a_calendar_day_rule_whose_closed_days_are_unclear_gives_both_readings() -> None:
    synthetic = DeadlineRule(
        name="書類の提出期限",
        after="落札日",
        days=3,
        closed_days_unclear=True,
        said="落札日の翌日から3日以内",
    )
    friday = date(2026, 3, 13)
    d = deadline("甲市", synthetic, friday)
    assert d.due == date(2026, 3, 16)  # calendar days: 14, 15, 16
    assert d.label == (
        "甲市の書類の提出期限: 落札日の翌日から3日以内（令和8年3月16日まで。閉庁日を含めるかは"
        "資料に記載がなく、除いて数えると令和8年3月18日まで）"
    )
