"""The register of Japan's local public bodies, ``data/municipalities.csv``.

47 都道府県, the 市町村 (政令指定都市 as themselves, not their wards) and Tokyo's 23 特別区,
generated from Japan Post's postal data by ``scripts/build_municipalities.py``. Columns:
``code,prefecture,name,reading,category,district``; lines starting with ``#`` are comments.
Problems are reported like the knowledge files' (``path:line: field: message``), all at once.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from core.knowledge import (
    EMPTY_FILE,
    EMPTY_VALUE,
    FILE_NOT_FOUND,
    NOT_UTF8,
    PREFECTURES,
    KnowledgeError,
    Problem,
    cannot_read,
    check_digit,
    default_municipalities_path,
    display_path,
    not_a_prefecture,
    not_hiragana,
    spaces_around,
    twice,
)

__all__ = [
    "CATEGORIES",
    "HEADER",
    "Municipality",
    "check_digit",
    "check_municipalities",
    "default_municipalities_path",
    "load_municipalities",
]

HEADER = ("code", "prefecture", "name", "reading", "category", "district")
CATEGORIES = ("都道府県", "政令指定都市", "市町村", "特別区")

_CODE_RE = re.compile(r"[0-9]{6}")  # not \d: that takes ４１２０３１ too
_HIRAGANA_RE = re.compile(r"[\u3041-\u3096\u309d\u309eー・]+")
_PREFECTURE_CODES = {name: f"{number:02d}" for number, name in enumerate(PREFECTURES, start=1)}
# A line that surely has no problem of its own, the fast path for the shipped file (the rest
# of the checks and the exact messages are _row_problems').
_PLAIN_ROW_RE = re.compile(
    r"[0-9]{6},[^\s,\"]+,[^\s,\"]+,[\u3041-\u3096\u309d\u309eー・]+,"
    r"(?:都道府県|政令指定都市|市町村|特別区),(?:[^\s,\"]+郡)?"
)


@dataclass(frozen=True)
class Municipality:
    """One local public body."""

    code: str  # 全国地方公共団体コード, 6 digits with the check digit (鳥栖市 412031)
    prefecture: str  # 佐賀県
    name: str  # without its 郡 (当別町)
    reading: str  # hiragana, of the name only (とうべつちょう)
    category: str  # one of CATEGORIES
    district: str  # the 郡 of a town or village (石狩郡), else ""


def _shown(value: str) -> str:
    return value or '""'


def _row_problems(fields: list[str]) -> list[tuple[str, str]]:
    """(field, message) for each problem of one data row, duplicates aside."""
    code, prefecture, name, reading, category, district = fields
    found: list[tuple[str, str]] = []
    if not _CODE_RE.fullmatch(code):
        found.append(("code", f"{_shown(code)} は6桁のコードではありません（例: 412031）"))
    elif check_digit(code[:5]) != code[5]:
        expected = code[:5] + check_digit(code[:5])
        found.append(("code", f"{code} の検査数字が違います（正しくは {expected}）"))
    if prefecture not in _PREFECTURE_CODES:
        found.append(("prefecture", not_a_prefecture(_shown(prefecture))))
    elif _CODE_RE.fullmatch(code) and code[:2] != _PREFECTURE_CODES[prefecture]:
        prefix = _PREFECTURE_CODES[prefecture]
        found.append(
            ("code", f"{code} は{prefecture}のコードではありません（{prefix}で始まります）")
        )
    if not name.strip():
        found.append(("name", EMPTY_VALUE))
    elif name != name.strip():
        found.append(("name", spaces_around(name)))
    elif category == "都道府県" and name != prefecture:
        found.append(("name", f"{name} が都道府県の名前 {prefecture} と違います"))
    if not reading:
        found.append(("reading", EMPTY_VALUE))
    elif not _HIRAGANA_RE.fullmatch(reading):
        found.append(("reading", not_hiragana(reading)))
    if category not in CATEGORIES:
        expected = "・".join(CATEGORIES)
        found.append(("category", f"{_shown(category)} は使えません（{expected} のいずれか）"))
    if district and not district.endswith("郡"):
        found.append(("district", f"{district} は郡の名前ではありません（例: 石狩郡）"))
    return found


def _read(path: Path) -> tuple[tuple[Municipality, ...], list[Problem]]:
    """The rows that are fine, and every problem of the file."""
    display = display_path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return (), [Problem(display, None, "", FILE_NOT_FOUND)]
    except UnicodeDecodeError:
        return (), [Problem(display, None, "", NOT_UTF8)]
    except OSError as exc:
        return (), [Problem(display, None, "", cannot_read(exc))]

    numbered = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.startswith("#")
    ]
    reader = csv.reader(line for _, line in numbered)
    rows: list[Municipality] = []
    problems: list[Problem] = []
    header_seen = False
    first_code: dict[str, int] = {}
    first_name: dict[tuple[str, str], int] = {}
    for fields in reader:
        number = numbered[reader.line_num - 1][0]  # a row's last line
        if not header_seen:
            header_seen = True
            if tuple(fields) != HEADER:
                message = f"見出しの行が {','.join(fields)} です（正しくは {','.join(HEADER)}）"
                problems.append(Problem(display, number, "", message))
            continue
        if len(fields) != len(HEADER):
            message = f"列が{len(fields)}個あります（{len(HEADER)}個にしてください）"
            problems.append(Problem(display, number, "", message))
            continue
        code, prefecture, name = fields[0], fields[1], fields[2]
        plain = (
            _PLAIN_ROW_RE.fullmatch(numbered[reader.line_num - 1][1])
            and _PREFECTURE_CODES.get(prefecture) == code[:2]
            and check_digit(code) == code[5]
            and (name == prefecture or fields[4] != "都道府県")
        )
        found = [] if plain else [Problem(display, number, f, m) for f, m in _row_problems(fields)]
        first = first_code.setdefault(code, number)
        if first != number:
            message = twice(code, f"{first}行目")
            found.append(Problem(display, number, "code", message))
        first = first_name.setdefault((prefecture, name), number)
        if first != number:
            message = twice(f"{name}（{prefecture}）", f"{first}行目")
            found.append(Problem(display, number, "name", message))
        if found:
            problems.extend(found)
        else:
            rows.append(Municipality(*fields))
    if not header_seen:
        problems.append(Problem(display, None, "", EMPTY_FILE))
    return tuple(rows), problems


def check_municipalities(path: Path) -> list[Problem]:
    """Every problem of a municipalities CSV (empty when it is fine)."""
    return _read(path)[1]


_CACHE: dict[Path, tuple[tuple[int, int], tuple[Municipality, ...]]] = {}


def load_municipalities(path: Path | None = None) -> tuple[Municipality, ...]:
    """Load and validate ``data/municipalities.csv``, rows in file order (the shipped file is
    sorted by code); raises :class:`KnowledgeError`. Cached until the file changes."""
    path = path or default_municipalities_path()
    try:
        stat = path.stat()
    except OSError:
        stat = None
    key = path.resolve()
    hit = _CACHE.get(key)
    if stat is not None and hit is not None and hit[0] == (stat.st_mtime_ns, stat.st_size):
        return hit[1]
    rows, problems = _read(path)
    if problems:
        raise KnowledgeError(problems)
    if stat is not None:
        _CACHE[key] = ((stat.st_mtime_ns, stat.st_size), rows)
    return rows
