"""The orderer register: every public body, paper guarantees for any of them, staff's
additions and adoptions with their sources and history, amendments that survive a newer
shipped file, and the export → check → load round trip. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from core import orderers
from core.checks import check_files
from core.db import Database
from core.models import Orderer
from tests.helpers import cli

pytestmark = pytest.mark.usefixtures("env_db")


def _customer(capsys: pytest.CaptureFixture[str]) -> str:
    r = cli(
        capsys, "customer", "add", "--name", "株式会社周南建設", "--email", "a@example.jp", "--json"
    )
    assert r.code == 0, r.err
    return str(r.json["id"])


def _guarantee(capsys: pytest.CaptureFixture[str], customer: str, orderer: str, *extra: str):
    return cli(
        capsys,
        "guarantee", "add", "--type", "前払金", "--customer", customer, "--orderer", orderer,
        "--project", "市道改良工事", "--contract-amount", "1億", "--amount", "4000万",
        "--contract-date", "R8.6.1", "--period-end", "R9.3.31", "--json", *extra,
    )  # fmt: skip


def test_every_prefecture_and_municipality_is_in_the_register(db: Database) -> None:
    every = orderers.list_orderers(db)
    by_category: dict[str, int] = {}
    for o in every:
        by_category[o["category"]] = by_category.get(o["category"], 0) + 1
    assert by_category["都道府県"] == 47
    assert by_category["特別区"] == 23
    assert by_category["市町村"] + by_category["政令指定都市"] == 1718
    sapporo = orderers.show_orderer(db, "札幌市")
    assert sapporo["code"] == "011002" and sapporo["electronic"] == "not_listed"
    assert sapporo["category"] == "政令指定都市" and sapporo["reading"] == "さっぽろし"
    tosu = orderers.show_orderer(db, "とすし")
    assert tosu["code"] == "412031" and tosu["electronic"] == "adopted"
    assert tosu["source"] == "電子保証のご案内（佐賀支店、令和8年2月26日）"


@pytest.mark.parametrize("orderer", ["札幌市", "岡山市", "周南市"])
def test_paper_guarantee_for_a_body_outside_the_lists(
    capsys: pytest.CaptureFixture[str], orderer: str
) -> None:
    customer = _customer(capsys)
    r = _guarantee(capsys, customer, orderer, "--delivery", "書面")
    assert r.code == 0, r.err
    g = r.json
    assert g["orderer"] == orderer and g["delivery"] == "書面"
    verdict = g["eligibility"]
    assert verdict["eligible"] is False
    assert any("一覧（令和8年2月2日現在）に掲載なし" in text for text in verdict["reasons"])
    # Electronic delivery is refused by the rules, not by a missing orderer: a warning.
    r = _guarantee(capsys, customer, orderer, "--delivery", "電子", "--project", "橋梁補修工事")
    assert r.code == 0 and any("電子証書にできません" in w for w in r.json["warnings"])


def test_add_adopt_and_the_verdict_changes_at_the_start(capsys: pytest.CaptureFixture[str]) -> None:
    r = cli(
        capsys, "orderer", "add", "有明地区清掃施設組合", "--prefecture", "佐賀",
        "--category", "一部事務組合", "--reading", "ありあけちくせいそうしせつくみあい", "--json",
    )  # fmt: skip
    assert r.code == 0, r.err
    added = r.json
    assert added["electronic"] == "not_listed" and added["amended"] is True
    assert added["code"] is None and added["prefecture"] == "佐賀県"
    assert [h["action"] for h in added["history"]] == ["add"]
    assert added["history"][0]["by"] == "テスト担当"

    def eligible(day: str) -> bool | None:
        r = cli(
            capsys, "eligibility", "--orderer", "有明地区清掃施設組合", "--type", "前払金",
            "--contract-date", day, "--json",
        )  # fmt: skip
        assert r.code == 0, r.err
        value: bool | None = r.json["eligible"]
        return value

    assert eligible("R8.10.1") is False
    customer = _customer(capsys)
    before = _guarantee(capsys, customer, "有明地区清掃施設組合", "--contract-date", "R8.11.2")
    assert before.code == 0 and before.json["eligibility"]["eligible"] is False
    number = before.json["guarantee_number"]
    r = cli(
        capsys, "orderer", "adopt", "有明地区清掃施設組合", "--start", "令和8年10月1日",
        "--source", "電子保証の導入について https://www.example.lg.jp/denshi.html",
        "--as-of", "R8.9.1", "--kinds", "工事,業務委託", "--submission", "電子メール",
        "--submit-to", "総務課", "--json",
    )  # fmt: skip
    assert r.code == 0, r.err
    adopted = r.json
    assert adopted["electronic"] == "adopted" and adopted["start_date"] == "2026-10-01"
    assert adopted["source_ref"]["url"] == "https://www.example.lg.jp/denshi.html"
    assert "https://www.example.lg.jp/denshi.html" in adopted["source"]
    last = adopted["history"][-1]
    assert last["action"] == "adopt" and last["as_of"] == "2026-09-01"
    assert last["changes"]["start_date"] == [None, "2026-10-01"]
    assert eligible("R8.9.30") is False
    assert eligible("R8.10.1") is True
    # a guarantee recorded before, still without a certificate, follows the adoption
    after = cli(capsys, "guarantee", "show", number, "--json").json
    assert after["eligibility"]["eligible"] is True

    shown = cli(capsys, "orderer", "show", "有明地区清掃施設組合")
    assert shown.code == 0
    assert "令和8年10月1日以降の契約締結日分" in shown.out and "履歴" in shown.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["add", "某組合", "--prefecture", "熊元県", "--category", "一部事務組合"],
            "都道府県「熊元県」",
        ),
        (["add", "某組合", "--prefecture", "熊本県", "--category", "組合"], "区分「組合」"),
        (
            ["add", "某組合", "--prefecture", "熊本県", "--category", "公社", "--reading", "ボウ"],
            "ひらがな",
        ),
        (["add", "阿蘇市", "--prefecture", "熊本県", "--category", "市町村"], "すでに登録"),
        (
            ["adopt", "周南市", "--start", "R8.2.30", "--source", "x", "--as-of", "R8.1.1"],
            "存在しない日付",
        ),
        (["adopt", "周南市", "--start", "R8.4.1", "--as-of", "R8.1.1"], "出典"),
        (["adopt", "周南市", "--start", "R8.4.1", "--source", "x"], "時点"),
        (
            [
                "adopt",
                "周南市",
                "--start",
                "R8.4.1",
                "--source",
                "x",
                "--as-of",
                "R8.1.1",
                "--kinds",
                "舗装",
            ],
            "業務の種類",
        ),
        (["adopt", "熊元県", "--start", "R8.4.1", "--source", "x", "--as-of", "R8.1.1"], "熊本県"),
        (["edit", "周南市", "--submission", "電子メール"], "出典"),
    ],
)
def test_bad_input_is_refused_and_saves_nothing(
    capsys: pytest.CaptureFixture[str], db: Database, args: list[str], message: str
) -> None:
    before = _register_state(db)
    r = cli(capsys, "orderer", *args, "--json")
    assert r.code == 1
    assert message in r.err
    assert r.out == ""
    after = _register_state(db)
    assert after == before


def _register_state(db: Database) -> tuple[int, list[dict[str, object]]]:
    """How many bodies the register holds, and 周南市's record."""
    with db.reader() as s:
        rows = list(s.scalars(select(Orderer)))
        return len(rows), [o.rules for o in rows if o.name == "周南市"]


def _adopt_shimonoseki(capsys: pytest.CaptureFixture[str], as_of: str = "R8.9.15") -> None:
    r = cli(
        capsys, "orderer", "adopt", "周南市", "--start", "R8.10.1", "--source",
        "電子保証について", "--url", "https://www.city.example.lg.jp/d.html", "--as-of", as_of,
    )  # fmt: skip
    assert r.code == 0, r.err


def _newer_shipped_file(tmp_path: Path, *, shimonoseki_as_of: str | None) -> Path:
    """The shipped orderers file with a newer list and, optionally, 周南市 adopted in it."""
    from core.knowledge import default_orderers_path

    data = yaml.safe_load(default_orderers_path().read_text(encoding="utf-8"))
    data["list_as_of"] = "2026-11-01"
    if shimonoseki_as_of:
        data["orderers"].append(
            {
                "name": "周南市",
                "reading": "しゅうなんし",
                "category": "市町村",
                "prefecture": "山口県",
                "start_date": "2026-11-01",
                "source": "saga-guide-2026",
                "as_of": shimonoseki_as_of,
            }
        )
    path = tmp_path / "orderers.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_an_amendment_survives_a_newer_shipped_file(
    capsys: pytest.CaptureFixture[str], db: Database, tmp_path: Path
) -> None:
    _adopt_shimonoseki(capsys)
    # A newer shipped file that does not list 周南市: the staff's adoption stands.
    assert (
        cli(capsys, "data", "load", str(_newer_shipped_file(tmp_path, shimonoseki_as_of=None))).code
        == 0
    )
    o = orderers.show_orderer(db, "周南市")
    assert o["start_date"] == "2026-10-01" and o["standing"]["stands"] == "amendment"
    # A shipped record older than the staff's: theirs still stands, and show says both exist.
    older = _newer_shipped_file(tmp_path, shimonoseki_as_of="2026-02-02")
    assert cli(capsys, "data", "load", str(older)).code == 0
    o = orderers.show_orderer(db, "周南市")
    assert o["start_date"] == "2026-10-01" and o["amended"]
    assert "同梱データの記録" in o["standing"]["note"]
    # A newer shipped record stands; the amendment is kept and said to exist.
    newer = _newer_shipped_file(tmp_path, shimonoseki_as_of="2026-11-01")
    assert cli(capsys, "data", "load", str(newer)).code == 0
    o = orderers.show_orderer(db, "周南市")
    assert o["start_date"] == "2026-11-01" and o["standing"]["stands"] == "shipped"
    assert o["amended"] and "職員の記録" in o["standing"]["note"]
    assert [h["action"] for h in o["history"]][-1] == "load"


def test_export_check_load_round_trip(
    capsys: pytest.CaptureFixture[str], db: Database, tmp_path: Path, db_url: str
) -> None:
    _adopt_shimonoseki(capsys)
    r = cli(
        capsys, "orderer", "add", "天草広域連合", "--prefecture", "熊本県", "--category", "広域連合"
    )
    assert r.code == 0, r.err
    out = tmp_path / "saga-amendments.yaml"
    r = cli(capsys, "orderer", "export", "--amendments", "--output", str(out), "--json")
    assert r.code == 0, r.err and r.json["orderers"] == 2
    report = check_files([out])
    assert report.ok, report.render()
    assert report.amendments == 2
    full = tmp_path / "everything.yaml"
    assert cli(capsys, "orderer", "export", "--output", str(full)).code == 0
    assert check_files([full]).ok

    # Another branch's database: the amendments arrive with their sources.
    from core.db import open_database

    other_url = db_url.replace("hosho.db", "other.db") if db_url.startswith("sqlite") else None
    if other_url is None:
        pytest.skip("a second PostgreSQL schema shares the amendments already")
    other = open_database(other_url, auto_upgrade=True)
    try:
        result = orderers.sync_orderers(other, out)
        assert result.amendments == 2 and result.added == 1
        o = orderers.show_orderer(other, "周南市")
        assert o["start_date"] == "2026-10-01" and o["history"][-1]["action"] == "import"
        assert "https://www.city.example.lg.jp/d.html" in o["source"]
        assert orderers.show_orderer(other, "天草広域連合")["category"] == "広域連合"
        again = orderers.sync_orderers(other, out)
        assert again.unchanged == 2
    finally:
        other.dispose()


def test_a_broken_amendments_file_is_reported_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "amend.yaml"
    bad.write_text(
        "exported_at: 2026-12-01\namendments:\n  - name: 周南市\n    category: 市町村\n"
        "    prefecture: 山口県\n    start_date: 2026-02-30\n    source: {title: x}\n"
        "    as_of: 2026-01-01\n",
        encoding="utf-8",
    )
    report = check_files([bad])
    assert not report.ok
    assert any(p.line == 6 and "start_date" in p.field for p in report.problems)


def test_a_local_body_must_exist_in_its_prefecture(tmp_path: Path) -> None:
    from core.knowledge import default_orderers_path

    text = default_orderers_path().read_text(encoding="utf-8")
    bad = tmp_path / "orderers.yaml"
    bad.write_text(text.replace("  - name: 鳥栖市\n", "  - name: 天来市\n", 1), encoding="utf-8")
    report = check_files([bad])
    assert any(
        "天来市 は地方公共団体の一覧で佐賀県の団体ではありません" in p.message
        for p in report.problems
    )


def test_a_wildcard_typed_is_searched_as_typed(db: Database) -> None:
    """「%」 or 「_」 in an orderer search finds only names holding that character."""
    with db.reader() as s:
        assert orderers.search_orderer_ids(s, "%") == []
        assert orderers.search_orderer_ids(s, "_") == []
        assert orderers.search_orderer_ids(s, "鳥栖") != []
