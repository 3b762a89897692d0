"""Yen amounts as staff type them: 1,000,000 / 100万 / 1億2,000万円 / ￥3,000,000."""

from __future__ import annotations

import re
import unicodedata

from core.errors import ValidationError

_UNITS = {"億": 100_000_000, "万": 10_000, "千": 1_000}
_PART = re.compile(r"(\d+(?:\.\d+)?)(億|万|千)?")


def parse_yen(text: str, label: str = "金額") -> int:
    raw = text
    s = unicodedata.normalize("NFKC", text).strip()
    s = s.removeprefix("¥").removeprefix("\\").removesuffix("円").replace(",", "").replace(" ", "")
    if not s:
        raise ValidationError([f"{label}が空です"])
    if s.startswith("-"):
        raise ValidationError([f"{label}「{raw}」は負の値です。1円以上を入力してください"])
    pos, total, last_unit = 0, 0, None
    for m in _PART.finditer(s):
        if m.start() != pos:
            break
        number, unit = m.group(1), m.group(2)
        factor = _UNITS[unit] if unit else 1
        if unit is None and "." in number:
            break  # fractional yen
        if last_unit is not None and factor >= last_unit:
            break  # units must descend: 1億2000万, not 2000万1億
        total += round(float(number) * factor)
        last_unit, pos = factor, m.end()
        if unit is None:
            break
    if pos != len(s) or pos == 0:
        raise ValidationError(
            [f"{label}「{raw}」は金額として読めません（例: 12,000,000 / 1200万）"]
        )
    return total


def format_yen(amount: int) -> str:
    return f"{amount:,}円"
