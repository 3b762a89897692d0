"""Tests for core.dates: 西暦/和暦 parsing, era boundaries, messages and formatting."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

import pytest

from core.dates import (
    DateError,
    find_dates,
    format_wareki,
    format_wareki_month,
    format_wareki_short,
    kana_dates,
    parse_date,
    parse_date_or_none,
    parse_year_month,
    to_wareki,
)

APRIL_1_2026 = date(2026, 4, 1)

_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


# --- parse_date: accepted forms -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 西暦, half-width
        ("2026-04-01", APRIL_1_2026),
        ("2026/4/1", APRIL_1_2026),
        ("2026.4.1", APRIL_1_2026),
        ("2026年4月1日", APRIL_1_2026),
        ("2026年04月01日", APRIL_1_2026),
        ("20260401", APRIL_1_2026),
        ("1999-12-31", date(1999, 12, 31)),
        # 西暦, full-width
        ("２０２６－０４－０１", APRIL_1_2026),
        ("２０２６／４／１", APRIL_1_2026),
        ("２０２６．４．１", APRIL_1_2026),
        ("２０２６年４月１日", APRIL_1_2026),
        ("２０２６０４０１", APRIL_1_2026),
        # 和暦, era names
        ("令和8年4月1日", APRIL_1_2026),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("令和1年5月1日", date(2019, 5, 1)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("平成元年1月8日", date(1989, 1, 8)),
        ("昭和64年1月7日", date(1989, 1, 7)),
        ("昭和元年12月25日", date(1926, 12, 25)),
        ("大正15年12月24日", date(1926, 12, 24)),
        ("大正元年7月30日", date(1912, 7, 30)),
        ("明治45年7月29日", date(1912, 7, 29)),
        ("明治元年10月23日", date(1868, 10, 23)),
        # 和暦, letters (either case) and single kanji
        ("R8.4.1", APRIL_1_2026),
        ("R8/4/1", APRIL_1_2026),
        ("R8-4-1", APRIL_1_2026),
        ("r8.4.1", APRIL_1_2026),
        ("R08.04.01", APRIL_1_2026),
        ("令8.4.1", APRIL_1_2026),
        ("令8年4月1日", APRIL_1_2026),
        ("H31.4.30", date(2019, 4, 30)),
        ("h31.4.30", date(2019, 4, 30)),
        ("平31.4.30", date(2019, 4, 30)),
        ("S64.1.7", date(1989, 1, 7)),
        ("昭64.1.7", date(1989, 1, 7)),
        ("T1.7.30", date(1912, 7, 30)),
        ("大1.7.30", date(1912, 7, 30)),
        ("M45.7.29", date(1912, 7, 29)),
        ("m45.7.29", date(1912, 7, 29)),
        ("明45.7.29", date(1912, 7, 29)),
        # 和暦, full-width
        ("令和８年４月１日", APRIL_1_2026),
        ("Ｒ８．４．１", APRIL_1_2026),
        ("ｒ８／４／１", APRIL_1_2026),
        ("Ｈ３１．４．３０", date(2019, 4, 30)),
        ("㋿8年4月1日", APRIL_1_2026),  # one-character era sign
        ("㍻31年4月30日", date(2019, 4, 30)),
        # spaces (half- and full-width) are ignored
        ("  2026-04-01  ", APRIL_1_2026),
        ("令和 8年 4月 1日", APRIL_1_2026),
        ("\u3000令和８年\u3000４月１日\u3000", APRIL_1_2026),
        ("R 8 . 4 . 1", APRIL_1_2026),
        # dash look-alikes
        ("2026−04−01", APRIL_1_2026),
        ("2026ー04ー01", APRIL_1_2026),
    ],
)
def test_parse_date_accepts(text: str, expected: date) -> None:
    assert parse_date(text, any_year=True) == expected


# --- parse_date: era boundaries and calendar validity ---------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("平成31年4月30日", date(2019, 4, 30)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("昭和64年1月7日", date(1989, 1, 7)),
        ("平成元年1月8日", date(1989, 1, 8)),
        ("2024-02-29", date(2024, 2, 29)),
        ("令和6年2月29日", date(2024, 2, 29)),
        ("2000-02-29", date(2000, 2, 29)),
    ],
)
def test_boundary_dates_accepted(text: str, expected: date) -> None:
    assert parse_date(text, any_year=True) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("令和元年4月30日", "令和は2019年5月1日から"),
        ("R1.4.30", "令和は2019年5月1日から"),
        ("平成31年5月1日", "平成は2019年4月30日まで"),
        ("H32.1.1", "平成は2019年4月30日まで"),
        ("昭和64年1月8日", "昭和は1989年1月7日まで"),
        ("平成元年1月7日", "平成は1989年1月8日から"),
        ("大正15年12月25日", "大正は1926年12月24日まで"),
        ("明治元年10月22日", "明治は1868年10月23日から"),
        ("令和0年5月1日", "元年から"),
        ("R0.5.1", "元年から"),
        ("2025-02-29", "2月は28日まで"),
        ("2025-02-30", "2月は28日まで"),
        ("2100-02-29", "2月は28日まで"),
        ("2026-04-31", "4月は30日まで"),
        ("2026-13-01", "月は1〜12"),
        ("2026-00-10", "月は1〜12"),
        ("2026-04-00", "日は1日から"),
        ("20250230", "2月は28日まで"),
        ("0000-01-01", "西暦は1年から"),
    ],
)
def test_impossible_dates_refused_with_reason(text: str, reason: str) -> None:
    with pytest.raises(DateError) as excinfo:
        parse_date(text)
    message = str(excinfo.value)
    assert reason in message
    assert f"「{text}」" in message
    assert "存在しない日付" in message


# --- parse_date: unreadable input -----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "2026",
        "2026-04",  # month only is not a date
        "令和8年4月",
        "R8",
        "令和",
        "2026-4/1",  # mixed separators
        "2026年4/1",
        "X8.4.1",  # unknown era letter
        "令和八年四月一日",  # kanji numerals are not supported
        "2026-04-01-01",
        "2026/04/01 12:00",
        "202641",
        "令和100年1月1日",
        "明日",
    ],
)
def test_garbage_refused(text: str) -> None:
    with pytest.raises(DateError):
        parse_date(text)


@pytest.mark.parametrize("text", ["26/4/1", "26-04-01", "26.4.1", "8年4月1日", "026/4/1"])
def test_two_digit_western_year_refused(text: str) -> None:
    with pytest.raises(DateError, match="西暦4桁か元号付き") as excinfo:
        parse_date(text)
    assert f"「{text}」" in str(excinfo.value)


@pytest.mark.parametrize("text", ["", "   ", "\u3000"])
def test_empty_refused(text: str) -> None:
    with pytest.raises(DateError, match="入力されていません"):
        parse_date(text)


def test_date_error_is_value_error() -> None:
    with pytest.raises(ValueError):
        parse_date("abc")


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "Ｒ８．１３．１",
        "２０２５－０２－３０",
        "令和元年4月30日",
        "平成31年5月1日",
        "26/4/1",
        "令和8年4月",
        "hello world",
    ],
)
def test_error_message_is_one_japanese_line_quoting_input(text: str) -> None:
    with pytest.raises(DateError) as excinfo:
        parse_date(text)
    message = str(excinfo.value)
    assert text.strip() in message
    assert _JAPANESE.search(message.replace(text, ""))
    assert "\n" not in message


def test_error_message_quotes_input_as_typed_without_surrounding_spaces() -> None:
    with pytest.raises(DateError) as excinfo:
        parse_date("  ２０２５／２／３０ ")
    assert str(excinfo.value).startswith("「２０２５／２／３０」")


# --- parse_date_or_none -----------------------------------------------------------


@pytest.mark.parametrize("text", [None, "", "  ", "\u3000"])
def test_parse_date_or_none_blank(text: str | None) -> None:
    assert parse_date_or_none(text) is None


def test_parse_date_or_none_parses() -> None:
    assert parse_date_or_none("R8.4.1") == APRIL_1_2026


def test_parse_date_or_none_still_refuses_garbage() -> None:
    with pytest.raises(DateError):
        parse_date_or_none("2025-02-30")


# --- parse_year_month ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("令和7年1月", date(2025, 1, 1)),
        ("R7.1", date(2025, 1, 1)),
        ("r7/1", date(2025, 1, 1)),
        ("R7-01", date(2025, 1, 1)),
        ("令7.1", date(2025, 1, 1)),
        ("2025年1月", date(2025, 1, 1)),
        ("2025-01", date(2025, 1, 1)),
        ("2025/1", date(2025, 1, 1)),
        ("2025.12", date(2025, 12, 1)),
        ("令和７年１月", date(2025, 1, 1)),
        ("Ｒ７．１", date(2025, 1, 1)),
        ("２０２５－０１", date(2025, 1, 1)),
        (" 2025 / 1 ", date(2025, 1, 1)),
        # months straddling an era change are accepted for either era
        ("令和元年5月", date(2019, 5, 1)),
        ("平成31年4月", date(2019, 4, 1)),
        ("平成元年1月", date(1989, 1, 1)),
        ("昭和64年1月", date(1989, 1, 1)),
        ("明治元年10月", date(1868, 10, 1)),
    ],
)
def test_parse_year_month_accepts(text: str, expected: date) -> None:
    assert parse_year_month(text, any_year=True) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("令和元年4月", "令和は2019年5月1日から"),
        ("平成31年5月", "平成は2019年4月30日まで"),
        ("昭和64年2月", "昭和は1989年1月7日まで"),
        ("R0.5", "元年から"),
        ("2025-13", "月は1〜12"),
        ("2025年0月", "月は1〜12"),
        ("2025-01-15", "年月だけ"),
        ("令和7年1月1日", "年月だけ"),
        ("25/1", "西暦4桁か元号付き"),
        ("abc", "年月として読み取れません"),
        ("", "入力されていません"),
    ],
)
def test_parse_year_month_refuses(text: str, reason: str) -> None:
    with pytest.raises(DateError) as excinfo:
        parse_year_month(text)
    message = str(excinfo.value)
    assert reason in message
    if text:
        assert f"「{text}」" in message


# --- formatting -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("d", "era", "year"),
    [
        (APRIL_1_2026, "令和", 8),
        (date(2019, 5, 1), "令和", 1),
        (date(2019, 4, 30), "平成", 31),
        (date(1989, 1, 8), "平成", 1),
        (date(1989, 1, 7), "昭和", 64),
        (date(1926, 12, 25), "昭和", 1),
        (date(1926, 12, 24), "大正", 15),
        (date(1912, 7, 30), "大正", 1),
        (date(1912, 7, 29), "明治", 45),
        (date(1868, 10, 23), "明治", 1),
    ],
)
def test_to_wareki(d: date, era: str, year: int) -> None:
    assert to_wareki(d) == (era, year)


def test_to_wareki_before_meiji_refused() -> None:
    with pytest.raises(DateError, match="1868年10月22日"):
        to_wareki(date(1868, 10, 22))


@pytest.mark.parametrize(
    ("d", "long", "short", "month"),
    [
        (APRIL_1_2026, "令和8年4月1日", "R8.4.1", "令和8年4月"),
        (date(2025, 1, 31), "令和7年1月31日", "R7.1.31", "令和7年1月"),
        (date(2019, 5, 1), "令和元年5月1日", "R1.5.1", "令和元年5月"),
        (date(2019, 4, 30), "平成31年4月30日", "H31.4.30", "平成31年4月"),
        (date(1989, 1, 8), "平成元年1月8日", "H1.1.8", "平成元年1月"),
        (date(1989, 1, 7), "昭和64年1月7日", "S64.1.7", "昭和64年1月"),
        (date(1926, 12, 24), "大正15年12月24日", "T15.12.24", "大正15年12月"),
        (date(1900, 1, 1), "明治33年1月1日", "M33.1.1", "明治33年1月"),
    ],
)
def test_formatting(d: date, long: str, short: str, month: str) -> None:
    assert format_wareki(d) == long
    assert format_wareki_short(d) == short
    assert format_wareki_month(d) == month


# --- round trips ----------------------------------------------------------------------


def _every_37th_day(start: date, stop: date) -> list[date]:
    days = (stop - start).days
    return [start + timedelta(days=n) for n in range(0, days + 1, 37)]


_SAMPLE_DAYS = _every_37th_day(date(1990, 1, 1), date(2030, 12, 31))

_ERA_EDGES = [
    date(1868, 10, 23),
    date(1912, 7, 29),
    date(1912, 7, 30),
    date(1926, 12, 24),
    date(1926, 12, 25),
    date(1989, 1, 7),
    date(1989, 1, 8),
    date(2019, 4, 30),
    date(2019, 5, 1),
]


def test_round_trip_sample_is_large() -> None:
    assert len(_SAMPLE_DAYS) > 390
    assert _SAMPLE_DAYS[0] == date(1990, 1, 1)
    assert _SAMPLE_DAYS[-1] > date(2030, 11, 1)


@pytest.mark.parametrize("d", _SAMPLE_DAYS + _ERA_EDGES, ids=str)
def test_round_trip(d: date) -> None:
    assert parse_date(format_wareki(d), any_year=True) == d
    assert parse_date(format_wareki_short(d), any_year=True) == d
    assert parse_date(d.isoformat(), any_year=True) == d
    assert parse_year_month(format_wareki_month(d), any_year=True) == d.replace(day=1)


# --------------------------------------------------------------------------- dates in sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("令和8年4月1日に契約する工事", [APRIL_1_2026]),
        ("r8.4.1から契約", [APRIL_1_2026]),
        ("R8年4月1日", [APRIL_1_2026]),
        ("契約は2026/4/1、公告は2026-03-02", [APRIL_1_2026, date(2026, 3, 2)]),
        ("20260401着工", [APRIL_1_2026]),
        ("令和元年5月1日", [date(2019, 5, 1)]),
        ("令和8年4月に契約", []),  # a month is not a day
        ("令和8年2月30日", []),  # no such day: skipped, not an error
        ("12026/4/1", []),  # part of a longer number
        ("8年4月1日から", []),  # a year of neither form
        ("日付はありません", []),
    ],
)
def test_find_dates_in_sentences(text: str, expected: list[date]) -> None:
    assert [d.day for d in find_dates(text).said if not d.month] == expected


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        # the last occurrence up to today, and the next one
        ("4月1日から契約", date(2026, 11, 23), (APRIL_1_2026, date(2027, 4, 1))),
        ("4月1日に公告", date(2026, 4, 1), (APRIL_1_2026, date(2027, 4, 1))),  # today is past
        ("12月31日まで", date(2026, 11, 23), (date(2025, 12, 31), date(2026, 12, 31))),
        ("2月29日", date(2026, 11, 23), (date(2024, 2, 29), date(2028, 2, 29))),  # leap days
    ],
)
def test_a_day_without_its_year_may_be_the_last_or_the_next(
    text: str, today: date, expected: tuple[date, date]
) -> None:
    (found,) = find_dates(text, today).said
    assert (found.day, found.next_time) == expected and not found.month
    assert found.start == 0 and text[found.end - 1] == "日"


@pytest.mark.parametrize(
    ("text", "today", "first", "last", "label"),
    [
        (
            "去年契約した",
            date(2026, 11, 23),
            date(2025, 1, 1),
            date(2025, 12, 31),
            "去年（令和7年）",
        ),
        (
            "おととし",
            date(2026, 11, 23),
            date(2024, 1, 1),
            date(2024, 12, 31),
            "おととし（令和6年）",
        ),
        (
            "今年度の工事",
            date(2026, 11, 23),
            APRIL_1_2026,
            date(2027, 3, 31),
            "今年度（令和8年度）",
        ),
        # January to March belong to the fiscal year begun the April before
        ("今年度", date(2026, 2, 1), date(2025, 4, 1), date(2026, 3, 31), "今年度（令和7年度）"),
        ("昨年度", date(2026, 11, 23), date(2025, 4, 1), date(2026, 3, 31), "昨年度（令和7年度）"),
        (
            "来月に公告",
            date(2026, 12, 5),
            date(2027, 1, 1),
            date(2027, 1, 31),
            "来月（令和9年1月）",
        ),
        ("先月", date(2026, 1, 10), date(2025, 12, 1), date(2025, 12, 31), "先月（令和7年12月）"),
    ],
)
def test_spans_said_relative_to_today(
    text: str, today: date, first: date, last: date, label: str
) -> None:
    (found,) = find_dates(text, today).said
    assert (found.day, found.last, found.label) == (first, last, label)


def test_a_relative_year_before_a_month_or_day_is_that_month_or_day() -> None:
    today = date(2026, 11, 23)
    (month,) = find_dates("去年の10月に契約", today).said
    assert (month.day, month.month, month.last) == (date(2025, 10, 1), True, None)
    (day,) = find_dates("今年4月1日から", today).said
    assert (day.day, day.month) == (APRIL_1_2026, False)
    (february,) = find_dates("今年度の2月", today).said  # the fiscal year's February
    assert february.day == date(2027, 2, 1)
    assert find_dates("今年の2月30日", today).errors == [
        "「今年の2月30日」は存在しない日付です（2月は28日まで）"
    ]


def test_a_year_said_apart_from_its_day_dates_it() -> None:
    today = date(2026, 11, 23)
    for text in ("令和7年の4月1日に契約", "2025年の4月1日"):
        (found,) = find_dates(text, today).said
        assert (found.day, found.next_time) == (date(2025, 4, 1), None), text
    # a day after a full date takes its year (the next one for an earlier month)
    found = find_dates("令和7年4月1日から4月30日までに契約", today).said
    assert [d.day for d in found] == [date(2025, 4, 1), date(2025, 4, 30)]
    found = find_dates("令和7年12月1日から1月31日まで", today).said
    assert [d.day for d in found] == [date(2025, 12, 1), date(2026, 1, 31)]
    # a fiscal year's month or day: January to March fall in the next calendar year
    (found,) = find_dates("令和7年度の4月1日", today).said
    assert (found.day, found.month) == (date(2025, 4, 1), False)
    (found,) = find_dates("令和7年度の2月に契約", today).said
    assert (found.day, found.month) == (date(2026, 2, 1), True)
    assert find_dates("令和7年度の2月30日", today).errors == [
        "「令和7年度の2月30日」は存在しない日付です（2月は28日まで）"
    ]


@pytest.mark.parametrize(
    ("text", "first", "last", "label"),
    [
        ("令和5年に契約", date(2023, 1, 1), date(2023, 12, 31), "令和5年"),
        ("令和5年度の工事", date(2023, 4, 1), date(2024, 3, 31), "令和5年度"),
        ("2023年度の工事", date(2023, 4, 1), date(2024, 3, 31), "2023年度（令和5年度）"),
        ("Ｒ５年度に契約", date(2023, 4, 1), date(2024, 3, 31), "R5年度（令和5年度）"),
        ("平成31年度", date(2019, 4, 1), date(2020, 3, 31), "平成31年度（令和元年度）"),
        (
            "令和元年の契約",
            date(2019, 5, 1),
            date(2019, 12, 31),
            "令和元年",
        ),  # from the era's start
        ("平成31年に", date(2019, 1, 1), date(2019, 4, 30), "平成31年"),  # to the era's end
    ],
)
def test_a_year_said_alone_is_its_span(text: str, first: date, last: date, label: str) -> None:
    (found,) = find_dates(unicodedata.normalize("NFKC", text), date(2026, 11, 23)).said
    assert (found.day, found.last, found.label) == (first, last, label)


@pytest.mark.parametrize(
    "text",
    [
        "5年前に契約",
        "3年間の工事",
        "2年目",
        "10年以上前",
        "平成35年度",
        "工期が最大3年でも",  # 大 inside 最大 is no 大正
        "2024年問題",
        "2000年代の工事",
    ],
)
def test_durations_and_impossible_years_are_not_dates(text: str) -> None:
    found = find_dates(text, date(2026, 11, 23))
    assert (found.said, found.errors) == ([], [])


def test_relative_words_are_words_of_their_own() -> None:
    today = date(2026, 11, 23)
    assert find_dates("日本年金機構の工事", today).said == []  # 本年 inside a name
    assert find_dates("紙で出すことしかできませんか", today).said == []  # こと + しか
    (found,) = find_dates("でんしほしょうはことしからつかえる", today).said
    assert found.label == "ことし（令和8年）"
    (found,) = find_dates("一昨年度に契約", today).said  # not 一昨年 + 度
    assert (found.day, found.last) == (date(2024, 4, 1), date(2025, 3, 31))


def test_a_month_word_before_a_day_is_that_day() -> None:
    today = date(2026, 11, 23)
    assert [d.day for d in find_dates("今月10日に契約、来月の5日に公告", today).said] == [
        date(2026, 11, 10),
        date(2026, 12, 5),
    ]
    assert find_dates("来月の32日", today).errors == [
        "「来月の32日」は存在しない日付です（12月は31日まで）"
    ]


def test_era_year_labels_name_the_year_as_it_is_known() -> None:
    assert find_dates("昨年度", date(2020, 6, 1)).said[0].label == "昨年度（令和元年度）"
    assert find_dates("去年", date(2020, 6, 1)).said[0].label == "去年（令和元年）"


def test_a_day_without_its_year_is_not_read_out_of_a_full_date() -> None:
    today = date(2026, 11, 23)
    (found,) = find_dates("令和8年4月1日に契約", today).said
    assert found.next_time is None
    assert find_dates("2026年4月1日", today).said[0].next_time is None
    assert find_dates("8年4月1日", today).said == []
    assert find_dates("2月30日に契約", today).errors == [
        "「2月30日」は存在しない日付です（2月は29日まで）"
    ]
    assert find_dates("13月1日", today).errors == [
        "「13月1日」は存在しない日付です（月は1〜12です）"
    ]


def test_find_dates_spans_index_the_text() -> None:
    text = "鳥栖市でR8.4.1に契約"
    (found,) = find_dates(text).said
    assert text[found.start : found.end] == "R8.4.1"


def test_impossible_dates_in_sentences_say_why() -> None:
    assert find_dates("令和8年2月30日に契約").errors == [
        "「令和8年2月30日」は存在しない日付です（2月は28日まで）"
    ]
    assert find_dates("2026/13/1と令和8年4月1日").errors == [
        "「2026/13/1」は存在しない日付です（月は1〜12です）"
    ]
    assert find_dates("金額は12345678円、令和8年4月").errors == []  # a number, a month: no date
    text = "契約は令和8年2月30日、公告は2月31日"
    assert [text[a:b] for a, b in find_dates(text).refused] == ["令和8年2月30日", "2月31日"]


def test_months_in_sentences() -> None:
    found = [d for d in find_dates("令和8年4月に契約、R8.5.1に公告、2026/6").said if d.month]
    assert [d.day for d in found] == [APRIL_1_2026, date(2026, 6, 1)]  # not the full date
    assert find_dates("令和8年13月").said == []


def test_a_fiscal_year_stays_one_before_other_words() -> None:
    today = date(2026, 11, 23)
    for text in ("令和5年度分の工事", "2023年度後半の契約"):
        (found,) = find_dates(text, today).said
        assert (found.day, found.last) == (date(2023, 4, 1), date(2024, 3, 31)), text


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("令和5年 3月1日契約", date(2023, 3, 1)),
        ("令和5年は3月1日に契約", date(2023, 3, 1)),
        ("令和5年度 2月1日", date(2024, 2, 1)),  # the fiscal year's February
        ("去年 10月5日に契約", date(2025, 10, 5)),
        ("本日令和5年4月1日に契約", date(2023, 4, 1)),  # a full era name after a kanji
    ],
)
def test_a_year_said_just_before_a_day_dates_it(text: str, day: date) -> None:
    (found,) = find_dates(text, date(2026, 11, 23)).said
    assert (found.day, found.last, found.next_time) == (day, None, None)


# --- the dates a guarantee can have -----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["9999-12-31", "令和99年1月1日", "2049-01-01", "令和31年1月1日", "1989-01-07", "S60.4.1"],
)
def test_dates_outside_the_range_are_refused_naming_it(text: str) -> None:
    with pytest.raises(DateError) as info:
        parse_date(text)
    assert str(info.value) == (
        f"「{text}」は扱える日付の範囲外です（平成元年1月8日〜令和30年12月31日）"
    )
    assert parse_date(text, any_year=True).year in range(1985, 10000)  # a real date otherwise


def test_the_range_ends_are_accepted() -> None:
    assert parse_date("平成元年1月8日") == date(1989, 1, 8)
    assert parse_date("令和30年12月31日") == date(2048, 12, 31)
    assert parse_year_month("平成元年1月") == date(1989, 1, 1)  # partly inside
    with pytest.raises(DateError, match="範囲外"):
        parse_year_month("2049-01")


@pytest.mark.parametrize(
    ("said", "written"),
    [
        ("れいわ はちねん しがつ ついたちの けいやく", "令和8年4月1日の けいやく"),
        ("れいわ8ねん4がつ1にち", "令和8年4月1日"),
        ("へいせいさんじゅういちねん", "平成31年"),
        ("れいわごねんどの はちがつ", "令和5年度の 8月"),
        ("じゅうにがつ じゅうごにち", "12月15日"),
        ("にがつ はつか", "2月20日"),
        ("れいわがんねん くがつ", "令和元年9月"),
        ("令和七年一月一日契約", "令和7年1月1日契約"),
        ("十二月二十五日", "12月25日"),
        ("一月ほどかかる", "一月ほどかかる"),  # a month's time, no date
        # no dates: a duration, a number of its own, いつか (some day) without a month
        ("さんねんまえ", "さんねんまえ"),
        ("いつかいける", "いつかいける"),
        ("なんがつ", "なんがつ"),
        # に before a kanji 日 is a particle and a name (日置市), not the 2nd
        ("今年の5月に日置市と契約", "今年の5月に日置市と契約"),
        ("れいわ8ねん4がつに日南市", "令和8年4月に日南市"),
        ("しがつににち", "4月2日"),
        ("しがつに日置市", "4月に日置市"),  # the month is still read, as しがつ alone is
    ],
)
def test_dates_said_in_hiragana_are_written_as_dates(said: str, written: str) -> None:
    assert kana_dates(said) == written
