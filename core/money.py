"""Yen amounts as staff type them: 1,000,000 / 100万 / 1億2,000万円 / ￥3,000,000."""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_EVEN, Decimal

from core.errors import ValidationError

_UNITS = {"億": 100_000_000, "万": 10_000, "千": 1_000}
# A number with its commas every three digits (1,234,567) or none, then maybe a unit.
_PART = re.compile(r"(\d{1,3}(?:,\d{3})+(?![\d,])|\d+(?![\d,]))(\.\d+)?(億|万|千)?")

# The most an amount may be: under 1兆円, far above any contract, so that the monthly sums stay
# exact in either database (SQLite's SUM stops at 2**63 - 1).
MAX_YEN = 999_999_999_999


def parse_yen(text: str, label: str = "金額") -> int:
    raw = text
    s = unicodedata.normalize("NFKC", text).strip()
    s = s.removeprefix("¥").removeprefix("\\").removesuffix("円").replace(" ", "")
    if not s:
        raise ValidationError([f"{label}が空です"])
    if s.startswith("-"):
        raise ValidationError([f"{label}「{raw}」は負の値です。1円以上を入力してください"])
    pos, total, last_unit = 0, Decimal(0), None
    for m in _PART.finditer(s):
        if m.start() != pos:
            break
        digits, fraction, unit = m.group(1).replace(",", ""), m.group(2) or "", m.group(3)
        factor = _UNITS[unit] if unit else 1
        if unit is None and fraction:
            break  # fractional yen
        if last_unit is not None and factor >= last_unit:
            break  # units must descend: 1億2000万, not 2000万1億
        total += Decimal(digits + fraction) * factor
        last_unit, pos = factor, m.end()
        if unit is None:
            break
    if pos != len(s) or pos == 0:
        if "," in s:
            raise ValidationError(
                [
                    f"{label}「{raw}」のカンマの位置が正しくありません。"
                    "カンマは3桁ごとに入れてください（例: 1,234,567 / 1億5,000万）"
                ]
            )
        raise ValidationError(
            [f"{label}「{raw}」は金額として読めません（例: 12,000,000 / 1200万）"]
        )
    if total > MAX_YEN:
        raise ValidationError([f"{label}が大きすぎます（上限 {MAX_YEN:,}円）"])
    return int(total.to_integral_value(ROUND_HALF_EVEN))


def format_yen(amount: int) -> str:
    return f"{amount:,}円"
