"""Dates as branch staff type them: 西暦 (2026-04-01) and 和暦 (令和8年4月1日, R8.4.1).

Input goes through NFKC first, so full-width digits, letters and punctuation
(``Ｒ８．４．１``) and the one-character era signs (``㋿``) work like their
plain forms. Every rejection raises :class:`DateError`, whose text is a
one-line Japanese message that quotes what the user typed.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date, timedelta
from typing import NamedTuple, NoReturn

__all__ = [
    "EARLIEST",
    "LATEST",
    "DateError",
    "DateMention",
    "DatesFound",
    "find_dates",
    "format_wareki",
    "format_wareki_month",
    "format_wareki_short",
    "parse_date",
    "parse_date_or_none",
    "parse_year_month",
    "to_wareki",
]


class DateError(ValueError):
    """A date that cannot be accepted; ``str(error)`` is ready to show to the user."""


class _Era(NamedTuple):
    name: str  # 令和
    letter: str  # R
    start: date  # first day
    end: date  # last day (inclusive)


# Official start of each era (明治 from the day of the era-change edict).
_ERA_STARTS: tuple[tuple[str, str, date], ...] = (
    ("明治", "M", date(1868, 10, 23)),
    ("大正", "T", date(1912, 7, 30)),
    ("昭和", "S", date(1926, 12, 25)),
    ("平成", "H", date(1989, 1, 8)),
    ("令和", "R", date(2019, 5, 1)),
)


def _build_eras() -> tuple[_Era, ...]:
    ends = [start - timedelta(days=1) for _, _, start in _ERA_STARTS[1:]] + [date.max]
    return tuple(
        _Era(name, letter, start, end)
        for (name, letter, start), end in zip(_ERA_STARTS, ends, strict=True)
    )


_ERAS = _build_eras()

# 令和 / 令 / R all name the same era (lower-case letters are upper-cased first).
_ERA_BY_ALIAS = {alias: era for era in _ERAS for alias in (era.name, era.name[0], era.letter)}

_ERA_ALTERNATIVES = "|".join(sorted(_ERA_BY_ALIAS, key=len, reverse=True))

# One pattern for both full dates and year-months; the day part is optional.
_DATE_RE = re.compile(
    rf"""
    (?:
        (?:(?P<era>{_ERA_ALTERNATIVES})(?P<era_year>元|[0-9]{{1,2}})|(?P<year>[0-9]{{4}}))
        (?:
            年の?(?P<kanji_month>[0-9]{{1,2}})月(?:(?P<kanji_day>[0-9]{{1,2}})日?)?
          | (?P<sep>[-/.])(?P<sep_month>[0-9]{{1,2}})(?:(?P=sep)(?P<sep_day>[0-9]{{1,2}}))?
        )
      | (?P<compact_year>[0-9]{{4}})(?P<compact_month>[0-9]{{2}})(?P<compact_day>[0-9]{{2}})
    )
    """,
    re.VERBOSE,
)

# "26/4/1", "8年4月1日": a year that is neither four-digit western nor era-prefixed.
_SHORT_YEAR_RE = re.compile(r"[0-9]{1,3}[-/.年]")

# Dash look-alikes that NFKC leaves alone but people type (or IMEs produce).
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−ー", "-"))

_DATE_EXAMPLES = "例: 2026-04-01、令和8年4月1日、R8.4.1"

# The dates a guarantee can have: from the first day of 平成 to the end of 令和30年. A date
# outside is a typing slip (9999-12-31, 令和80年); refused by parse_date and parse_year_month
# unless asked with any_year (the era arithmetic itself reaches back to 明治).
EARLIEST = date(1989, 1, 8)
LATEST = date(2048, 12, 31)
_RANGE_TEXT = "平成元年1月8日〜令和30年12月31日"
_MONTH_EXAMPLES = "例: 2025-01、令和7年1月、R7.1"


class _Parts(NamedTuple):
    shown: str  # the user's text, for messages
    era: _Era | None
    year: int  # era year when ``era`` is set, else western year
    month: int
    day: int | None


def _normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).translate(_DASHES)
    return "".join(folded.split()).upper()


def _split(text: str, noun: str, examples: str) -> _Parts:
    shown = text.strip()
    if not shown:
        raise DateError(f"{noun}が入力されていません")
    normalised = _normalise(text)
    match = _DATE_RE.fullmatch(normalised)
    if match is None:
        if _SHORT_YEAR_RE.match(normalised):
            raise DateError(f"「{shown}」の年は西暦4桁か元号付きで入力してください（{examples}）")
        raise DateError(f"「{shown}」は{noun}として読み取れません（{examples}）")
    groups = {key: value for key, value in match.groupdict().items() if value is not None}
    era = _ERA_BY_ALIAS[groups["era"]] if "era" in groups else None
    if era is not None:
        year = 1 if groups["era_year"] == "元" else int(groups["era_year"])
    else:
        year = int(groups.get("year") or groups["compact_year"])
    month = int(groups.get("kanji_month") or groups.get("sep_month") or groups["compact_month"])
    day_text = groups.get("kanji_day") or groups.get("sep_day") or groups.get("compact_day")
    return _Parts(shown, era, year, month, int(day_text) if day_text else None)


def _first_of_month(parts: _Parts, noun: str) -> date:
    """Western date of the 1st of the parsed month; checks year and month only."""
    impossible = f"「{parts.shown}」は存在しない{noun}です"
    year = parts.year
    if parts.era is not None:
        if year < 1:
            raise DateError(f"{impossible}（和暦の年は元年から）")
        year += parts.era.start.year - 1
    if year < 1:
        raise DateError(f"{impossible}（西暦は1年から）")
    if not 1 <= parts.month <= 12:
        raise DateError(f"{impossible}（月は1〜12です）")
    return date(year, parts.month, 1)


def _check_era(parts: _Parts, noun: str, first: date, last: date) -> None:
    """Refuse when the span ``first``..``last`` lies wholly outside the typed era."""
    era = parts.era
    if era is None:
        return
    impossible = f"「{parts.shown}」は存在しない{noun}です"
    if last < era.start:
        raise DateError(f"{impossible}（{era.name}は{_kanji_date(era.start)}から）")
    if first > era.end:
        raise DateError(f"{impossible}（{era.name}は{_kanji_date(era.end)}まで）")


def _kanji_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _check_range(shown: str, noun: str, first: date, last: date) -> None:
    if last < EARLIEST or first > LATEST:
        raise DateError(f"「{shown}」は扱える{noun}の範囲外です（{_RANGE_TEXT}）")


def parse_date(text: str, *, any_year: bool = False) -> date:
    """Parse a full date in 西暦 or 和暦, between :data:`EARLIEST` and :data:`LATEST` unless
    ``any_year``; raise :class:`DateError` otherwise."""
    parts = _split(text, "日付", _DATE_EXAMPLES)
    if parts.day is None:
        raise DateError(f"「{parts.shown}」は日まで入力してください（{_DATE_EXAMPLES}）")
    first = _first_of_month(parts, "日付")
    last_day = calendar.monthrange(first.year, first.month)[1]
    if parts.day < 1:
        raise DateError(f"「{parts.shown}」は存在しない日付です（日は1日から）")
    if parts.day > last_day:
        raise DateError(
            f"「{parts.shown}」は存在しない日付です（{first.month}月は{last_day}日まで）"
        )
    result = first.replace(day=parts.day)
    _check_era(parts, "日付", result, result)
    if not any_year:
        _check_range(parts.shown, "日付", result, result)
    return result


class DateMention(NamedTuple):
    """A date said inside a sentence; ``start``/``end`` index the text searched."""

    day: date  # the 1st for a month said without a day
    start: int
    end: int
    month: bool = False  # a year and month only (令和8年4月に契約)
    # A month and day said without a year (4月1日に契約): ``day`` is its last occurrence up to
    # today and ``next_time`` the one after; the caller may mean either.
    next_time: date | None = None
    # A span: a year, fiscal year or month said relative to today (去年, 今年度, 来月) or a year
    # or fiscal year said alone (令和5年度): ``day`` is its first day, ``last`` its last and
    # ``label`` the words said with what they mean: 去年（令和7年）, 2023年度（令和5年度）.
    last: date | None = None
    label: str = ""
    year_only: bool = False  # a year or fiscal year said alone: it dates a day said next


class DatesFound(NamedTuple):
    """The dates a sentence says, full dates and months in order, and why each impossible full
    date is refused."""

    said: list[DateMention]
    errors: list[str]
    refused: list[tuple[int, int]]  # where each impossible date is, as start and end


# Years, fiscal years (April to March) and months said relative to today, and how far from it.
_RELATIVE = {
    **dict.fromkeys(("一昨年", "おととし"), ("year", -2)),
    **dict.fromkeys(("去年", "昨年", "きょねん", "さくねん"), ("year", -1)),
    **dict.fromkeys(("今年", "本年", "ことし"), ("year", 0)),
    **dict.fromkeys(("来年", "らいねん"), ("year", 1)),
    **dict.fromkeys(("一昨年度",), ("fiscal", -2)),
    **dict.fromkeys(("昨年度", "前年度", "去年度", "さくねんど"), ("fiscal", -1)),
    **dict.fromkeys(("今年度", "本年度", "こんねんど"), ("fiscal", 0)),
    **dict.fromkeys(("来年度", "次年度", "らいねんど"), ("fiscal", 1)),
    **dict.fromkeys(("先月", "せんげつ"), ("month", -1)),
    **dict.fromkeys(("今月", "こんげつ"), ("month", 0)),
    **dict.fromkeys(("来月", "らいげつ"), ("month", 1)),
}
_RELATIVE_WORDS = "|".join(sorted(_RELATIVE, key=len, reverse=True))

# An era said by its one kanji (令8年) counts only where no kanji comes before it: 最大3年 is not
# 大正3年.
_NOT_INSIDE_A_WORD = r"(?:(?<![\u3005\u4e00-\u9fff])|(?=令和|平成|昭和|大正|明治|[0-9a-z]))"

# The same forms inside a sentence: not part of a longer number, era letters in either case;
# a month and day without a year (4月1日), not after a year or a fiscal year (8年4月1日,
# 令和7年度の4月1日) or a number; the relative words as words of their own (not 日本年金,
# することしか), alone or before a month or day (去年の10月, 今年度の4月1日, 来月の5日); and a
# year or fiscal year said alone, with its era or in four digits (令和5年度, 2023年; not 5年前,
# 3年間, 2000年代, 2024年問題), or a fiscal year's month or day (令和7年度の2月, 令和7年度の4月1日).
_DATE_IN_TEXT_RE = re.compile(
    rf"(?<![0-9]){_NOT_INSIDE_A_WORD}(?:{_DATE_RE.pattern})(?![0-9])"
    r"|(?<![0-9年度./-])(?<!年の)(?<!度の)(?P<md_month>[0-9]{1,2})月(?P<md_day>[0-9]{1,2})日"
    r"|(?<![\u3005\u4e00-\u9fff])(?:(?<![\u3041-\u3096])|(?<=[はのもにでがをとや]))"
    rf"(?P<relative>{_RELATIVE_WORDS})(?!か(?!ら))"
    r"(?:の?(?P<rel_month>[0-9]{1,2})月(?:(?P<rel_day>[0-9]{1,2})日)?|の?(?P<rel_mday>[0-9]{1,2})日)?"
    rf"|(?<![0-9a-z]){_NOT_INSIDE_A_WORD}(?P<year_said>(?P<y_era>{_ERA_ALTERNATIVES})"
    r"(?P<y_era_year>元|[0-9]{1,2})|(?P<y_year>(?:19|20)[0-9]{2}))年"
    r"(?:(?P<fiscal>度)(?:の?(?P<fy_month>[0-9]{1,2})月(?:(?P<fy_day>[0-9]{1,2})日)?)?(?![0-9])"
    r"|(?![0-9度]|前|間|後|目|以上|以内|ぶり|半|分|越し|ごと|毎|代|問題))",
    re.VERBOSE | re.I,
)
# What may stand between a year said alone and the day it dates (令和5年 3月1日, 令和5年は3月1日).
_YEAR_THEN_DAY_RE = re.compile(r"\s*(?:は|の|、|,)?\s*")


# Dates said in hiragana (れいわ はちねん しがつ ついたち → 令和8年4月1日): numbers up to 99 in
# kana or digits, the eras, and the days with names of their own (only after a month: いつか and
# ようか are words too).
_KANA_DIGITS = {
    "いち": 1, "に": 2, "さん": 3, "よん": 4, "し": 4, "ご": 5, "ろく": 6,
    "なな": 7, "しち": 7, "はち": 8, "きゅう": 9, "く": 9,
}  # fmt: skip
_KANA_DAYS = {
    "ついたち": 1, "ふつか": 2, "みっか": 3, "よっか": 4, "いつか": 5, "むいか": 6, "なのか": 7,
    "ようか": 8, "ここのか": 9, "とおか": 10, "じゅうよっか": 14, "はつか": 20,
    "にじゅうよっか": 24,
}  # fmt: skip
_KANA_DIGITS |= dict(zip("一二三四五六七八九", range(1, 10), strict=True))  # 令和七年一月
_KANA_ERAS = {"れいわ": "令和", "へいせい": "平成", "しょうわ": "昭和"}
_DIGIT = "|".join(sorted(_KANA_DIGITS, key=len, reverse=True))
_FIRSTS = "".join({w[0] for w in _KANA_DIGITS})
_TEN = "(?:じゅう|十)"
_NUMBER = rf"[0-9]{{1,4}}|(?=[{_FIRSTS}じ十])(?:(?:{_DIGIT})?{_TEN})?(?:{_DIGIT})?"
_NAMED_DAY = "|".join(sorted(_KANA_DAYS, key=len, reverse=True))
_KANA_DATE_RE = re.compile(
    rf"(?:(?P<era>{'|'.join(_KANA_ERAS)}|{_ERA_ALTERNATIVES})?\s*"
    rf"(?P<year>{_NUMBER}|がん|元)(?:ねん|年)(?P<fiscal>ど|度)?\s*)?"
    rf"(?:(?P<month>{_NUMBER})(?:がつ|月)\s*"
    rf"(?:(?P<day>{_NUMBER})(?:にち|日)|(?P<named>{_NAMED_DAY}))?)?"
)


def _kana_number(said: str) -> int:
    if said.isdigit():
        return int(said)
    tens, ten_said, ones = (
        re.split(f"({_TEN})", said, maxsplit=1) if re.search(_TEN, said) else ("", "", said)
    )
    return (_KANA_DIGITS.get(tens, 1) * 10 if ten_said else 0) + _KANA_DIGITS.get(ones, 0)


def kana_dates(text: str) -> str:
    """``text`` with the dates said in hiragana or kanji numerals written as dates are (れいわ
    はちねん しがつ ついたち → 令和8年4月1日; れいわごねんど → 令和5年度; しがつついたち →
    4月1日; 令和七年一月一日 → 令和7年1月1日)."""

    def written(m: re.Match[str]) -> str:
        said, day, rest = m[0], m["day"], ""
        if day and re.fullmatch("[ぁ-ゖ]+", day) and said.endswith("日"):
            # 5月に日置市: a kana numeral before the kanji 日 is a particle and a name, no day
            cut = m.start("day") - m.start()
            said, day, rest = said[:cut], None, said[cut:]
        if not (m["year"] and (m["era"] or m["month"])) and not m["month"]:
            return m[0]  # a number and ねん alone is no date (さんねん: three years)
        if m["month"] and not (m["year"] or day or m["named"]) and "月" in said:
            return m[0]  # 一月ほど is a month's time; 4月 stays as it is
        if said.isascii() or not re.search(f"[{_FIRSTS}十がねにん元]", said):
            return m[0]  # written in digits already
        out = ""
        if m["year"]:
            era = _KANA_ERAS.get(m["era"] or "", m["era"] or "")
            year = "元" if m["year"] in ("がん", "元") else str(_kana_number(m["year"]))
            out = f"{era}{year}年{'度' if m['fiscal'] else ''}"
        if m["month"]:
            out += f"{_kana_number(m['month'])}月"
            number = _kana_number(day) if day else _KANA_DAYS.get(m["named"] or "")
            out += f"{number}日" if number else ""
        return out + rest

    return _KANA_DATE_RE.sub(lambda m: written(m) if m[0].strip() else m[0], text)


def find_dates(text: str, today: date | None = None) -> DatesFound:
    """The dates said in ``text``, in one pass: full dates (令和8年4月1日に契約, R8.4.1から,
    2026/4/1, 令和7年の4月1日), years with a month (令和8年4月, as its 1st), days without a year
    (4月1日: in the year of a full date said before it, 令和7年4月1日から4月30日まで, or of a
    year said just before it, 令和5年 3月1日; else its last occurrence up to ``today`` or the
    next one), years and fiscal years said alone (令和5年, 令和5年度, 2023年度; 令和7年度の2月)
    and years, fiscal years and months said relative to ``today`` (去年, 今年度, 来月; 去年の10月,
    来月の5日). An impossible date gives its
    error instead (「令和8年2月30日」は存在しない日付です（2月は28日まで）), except a bare
    8-digit number, which may be anything; an impossible month is skipped. Pass NFKC text for
    full-width digits (the spans index the text as given)."""
    said: list[DateMention] = []
    errors: list[str] = []
    refused: list[tuple[int, int]] = []
    today = today or date.today()
    dated: date | None = None  # the last full date said: it dates a later day without a year
    for match in _DATE_IN_TEXT_RE.finditer(text.translate(_DASHES)):
        try:
            if match["relative"]:
                said.append(_relative(match, today))
            elif match["year_said"]:
                said.append(_year(match))
                if match["fy_day"]:
                    dated = said[-1].day
            elif match["md_month"]:
                month, day = int(match["md_month"]), int(match["md_day"])
                year = said[-1] if said and said[-1].year_only else None
                if year and _YEAR_THEN_DAY_RE.fullmatch(text, year.end, match.start()):
                    # the year said just before dates the day: one date, from the year on
                    in_year = year.day.year + (year.day.month == 4 and month < 4)
                    shown = text[year.start : match.end()]
                    said[-1] = DateMention(
                        _checked(in_year, month, day, shown), year.start, match.end()
                    )
                    dated = said[-1].day
                    continue
                said.append(_without_year(match, month, day, dated, today))
            else:
                month_only = not (match["kanji_day"] or match["sep_day"] or match["compact_day"])
                if month_only:
                    said.append(DateMention(parse_year_month(match[0]), *match.span(), True))
                    continue
                said.append(DateMention(parse_date(match[0]), *match.span()))
                dated = said[-1].day
        except DateError as error:
            full = (
                match["relative"]
                or match["md_month"]
                or match["kanji_day"]
                or match["sep_day"]
                or match["fy_day"]
            )
            if not full:  # a year, a month or a bare 8-digit number: maybe not a date at all
                continue
            errors.append(str(error))
            refused.append(match.span())
    return DatesFound(said, errors, refused)


def _relative(match: re.Match[str], today: date) -> DateMention:
    """The span a relative word says (去年: the whole of last year; 今年度: April to March), or
    the month or day in it when one follows (去年の10月, 今年度の2月 → next January's year,
    来月の5日)."""
    word = match["relative"]
    kind, offset = _RELATIVE[word]
    if kind == "month":
        index = today.year * 12 + today.month - 1 + offset
        first = date(index // 12, index % 12 + 1, 1)
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        label = f"{word}（{format_wareki_month(first)}）"
    else:
        fiscal = kind == "fiscal"
        year = today.year + offset - (fiscal and today.month < 4)  # Jan-Mar: last April's
        first = date(year, 4, 1) if fiscal else date(year, 1, 1)
        last = date(year + 1, 3, 31) if fiscal else date(year, 12, 31)
        # 令和元年度 (not 平成31年度), 令和元年: the era the year is known by
        name, era_year = to_wareki(date(year, 5, 1) if fiscal else last)
        label = f"{word}（{name}{_era_year_text(era_year)}年{'度' if fiscal else ''}）"
    month_said, day_said = match["rel_month"], match["rel_day"] or match["rel_mday"]
    if month_said is None and (day_said is None or kind != "month"):
        return DateMention(first, *match.span(), last=last, label=label, year_only=kind != "month")
    month = int(month_said) if month_said else first.month
    year = first.year + (month < first.month)  # the year the month falls in, in the span
    if day_said is None:
        return DateMention(_checked(year, month, 1, match[0]), *match.span(), True)
    return DateMention(_checked(year, month, int(day_said), match[0]), *match.span())


def _year(match: re.Match[str]) -> DateMention:
    """The span a year or fiscal year says (令和5年: January to December, from the era's first
    day or to its last; 令和5年度, 2023年度: April to March), or the month or day of the fiscal
    year said after it (令和7年度の2月 is February 2026)."""
    fiscal, month = bool(match["fiscal"]), match["fy_month"]
    era = _ERA_BY_ALIAS[match["y_era"].upper()] if match["y_era"] else None
    said_year = match["y_era_year"] or match["y_year"]
    parts = _Parts(
        f"{match['year_said'].upper()}年{'度' if fiscal else ''}",
        era,
        1 if said_year == "元" else int(said_year),
        1,
        None,
    )
    year = _first_of_month(parts, "年").year
    first, last = date(year, 4 if fiscal else 1, 1), date(year + fiscal, 3 if fiscal else 12, 31)
    _check_era(parts, "年", first, last)
    if era is not None and not fiscal:  # 令和元年: from May 1st; 平成31年: to April 30th
        first, last = max(first, era.start), min(last, era.end)
    if month is not None:  # a fiscal year's month: January to March are in the next year
        in_year = year + (int(month) < 4)
        day = match["fy_day"]
        return DateMention(
            _checked(in_year, int(month), int(day or 1), match[0]), *match.span(), day is None
        )
    # the era the year is known by (令和元年度, not 平成31年度), after the year as said
    name, era_year = to_wareki(date(year, 5, 1) if fiscal else last)
    label = f"{name}{_era_year_text(era_year)}年{'度' if fiscal else ''}"
    shown = parts.shown
    return DateMention(
        first,
        *match.span(),
        last=last,
        label=shown if label == shown else f"{shown}（{label}）",
        year_only=True,
    )


def _without_year(
    match: re.Match[str], month: int, day: int, dated: date | None, today: date
) -> DateMention:
    """A month and day said without a year: in the year of the full date said before it (the
    next year when the month comes earlier: 令和7年12月1日から1月31日まで), else its last
    occurrence up to ``today`` or the next one (2月29日 skips the years without one)."""
    said = match[0]
    if dated is not None:
        year = dated.year + (month < dated.month)
        return DateMention(_checked(year, month, day, said), *match.span())
    _checked(2000, month, day, said)  # a leap year: 2月29日 exists
    days = [
        date(year, month, day)
        for year in range(today.year - 8, today.year + 9)
        if day <= calendar.monthrange(year, month)[1]
    ]
    last = max(d for d in days if d <= today)
    return DateMention(last, *match.span(), next_time=min(d for d in days if d > today))


def _checked(year: int, month: int, day: int, said: str) -> date:
    """The date, or the reason it does not exist, quoting ``said`` as typed."""
    if not 1 <= month <= 12:
        _bad_month(said)
    longest = calendar.monthrange(year, month)[1]
    if not 1 <= day <= longest:
        raise DateError(f"「{said}」は存在しない日付です（{month}月は{longest}日まで）")
    return date(year, month, day)


def _bad_month(said: str) -> NoReturn:
    raise DateError(f"「{said}」は存在しない日付です（月は1〜12です）")


def parse_year_month(text: str, *, any_year: bool = False) -> date:
    """Parse a year and month (``令和7年1月``, ``2025-01``) into the 1st of that month, a month
    within :data:`EARLIEST` .. :data:`LATEST` unless ``any_year``.

    An era month that is only partly inside the era (令和元年5月) is accepted.
    """
    parts = _split(text, "年月", _MONTH_EXAMPLES)
    if parts.day is not None:
        raise DateError(f"「{parts.shown}」は年月だけを入力してください（{_MONTH_EXAMPLES}）")
    first = _first_of_month(parts, "年月")
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    _check_era(parts, "年月", first, last)
    if not any_year:
        _check_range(parts.shown, "年月", first, last)
    return first


def parse_date_or_none(text: str | None) -> date | None:
    """Like :func:`parse_date`, but ``None`` or blank text gives ``None``."""
    if text is None or not text.strip():
        return None
    return parse_date(text)


def _era_of(d: date) -> _Era:
    for era in reversed(_ERAS):
        if d >= era.start:
            return era
    raise DateError(f"{_kanji_date(d)}は明治より前なので和暦で表せません")


def to_wareki(d: date) -> tuple[str, int]:
    """Era name and era year of ``d``: ``date(2026, 4, 1)`` → ``("令和", 8)``."""
    era = _era_of(d)
    return era.name, d.year - era.start.year + 1


def _era_year_text(year: int) -> str:
    return "元" if year == 1 else str(year)


def format_wareki(d: date) -> str:
    """``令和8年4月1日``; the first year of an era is written ``元年``."""
    name, year = to_wareki(d)
    return f"{name}{_era_year_text(year)}年{d.month}月{d.day}日"


def format_wareki_short(d: date) -> str:
    """``R8.4.1`` (first year ``R1.5.1``)."""
    era = _era_of(d)
    return f"{era.letter}{d.year - era.start.year + 1}.{d.month}.{d.day}"


def format_wareki_month(d: date) -> str:
    """``令和7年1月``: the era of ``d`` itself, with the day dropped."""
    name, year = to_wareki(d)
    return f"{name}{_era_year_text(year)}年{d.month}月"
