"""Knowledge files and orderers through the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from core import services
from core.db import Database
from core.knowledge import default_orderers_path
from tests.helpers import cli, make_guarantee


def test_orderer_show_by_reading_alias_and_name(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    tosu = cli(capsys, "orderer", "show", "とすし", "--json")
    assert tosu.code == 0, tosu.err
    o = tosu.json
    for key in ("name", "reading", "category", "prefecture", "start_date", "start_precision",
                "applies_to", "coverage", "submission", "source", "as_of"):  # fmt: skip
        assert key in o
    assert o["name"] == "鳥栖市" and o["prefecture"] == "佐賀県"
    assert o["applies_to"] == "入札公告日" and o["start_date"] == "2026-03-01"
    assert o["start_precision"] == "day"
    places = {s["to"] for s in o["submission"]}
    assert {"契約検査課", "各担当課"} <= places
    assert cli(capsys, "orderer", "show", "国交省", "--json").json["name"] == "国土交通省"
    assert cli(capsys, "orderer", "show", "ひろしまけん", "--json").json["name"] == "広島県"
    human = cli(capsys, "orderer", "show", "島根県")
    assert "令和5年6月1日" in human.out and "業務委託（前払金）" in human.out
    assert "総務部・防災部・農林水産部・土木部" in human.out
    fuchu = cli(capsys, "orderer", "show", "府中")  # three bodies: each named, none picked
    assert fuchu.code == 1 and fuchu.out == ""
    for name in ("府中町（広島県）", "府中市（広島県）", "府中市（東京都）"):
        assert name in fuchu.err
    picked = cli(capsys, "orderer", "show", "府中市（広島県）", "--json").json
    assert (picked["name"], picked["prefecture"], picked["code"]) == ("府中市", "広島県", "342084")
    assert picked["electronic"] == "not_listed"


def test_orderer_show_unknown_suggests(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    r = cli(capsys, "orderer", "show", "鳥巣市")
    assert r.code == 1
    assert "「鳥巣市」は登録簿にありません" in r.err  # no such body: never answered as another
    assert "近い名前:" in r.err and "鳥栖市" in r.err and "orderer add" in r.err
    assert "Traceback" not in r.err


def test_orderer_list_filters(env_db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    saga = cli(capsys, "orderer", "list", "--prefecture", "佐賀", "--json").json
    names = {o["name"] for o in saga}
    assert {"佐賀県", "佐賀市", "鳥栖市", "唐津市"} <= names
    assert all(o["prefecture"] == "佐賀県" for o in saga)
    cities = cli(
        capsys, "orderer", "list", "--prefecture", "佐賀県", "--category", "市町村", "--json"
    )
    assert {o["category"] for o in cities.json} == {"市町村"}
    national = cli(capsys, "orderer", "list", "--category", "国", "--json").json
    assert "国土交通省" in {o["name"] for o in national}
    bad = cli(capsys, "orderer", "list", "--prefecture", "ハワイ", "--category", "会社")
    assert bad.code == 1 and len(bad.err.strip().splitlines()) == 2


def test_data_check_shipped_files(capsys: pytest.CaptureFixture[str]) -> None:
    r = cli(capsys, "data", "check", "--json")
    assert r.code == 0, r.out
    report = r.json
    assert report["ok"] and report["problems"] == []
    assert report["orderers_by_category"]["都道府県"] >= 20
    assert report["orderers_by_prefecture"]["熊本県"] >= 19  # the prefecture and its 18+ towns
    assert report["faq_entries"] >= 50 and report["branches"] >= 25
    assert report["faq_questions"] > report["faq_entries"] and report["out_of_scope"] >= 20


def test_data_check_reports_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "orderers.yaml"
    text = default_orderers_path().read_text(encoding="utf-8")
    lines = text.splitlines()
    target = next(i for i, line in enumerate(lines) if "start_date: 2026-03-01" in line)
    lines[target] = lines[target].replace("2026-03-01", "2025-02-30")
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = cli(capsys, "data", "check", str(bad))
    assert r.code == 1
    assert f"orderers.yaml:{target + 1}: orderers[" in r.out
    assert "start_date: 2025-02-30 は日付ではありません" in r.out


def _orderer_file(tmp_path: Path, mutate: object) -> Path:
    data = yaml.safe_load(default_orderers_path().read_text(encoding="utf-8"))
    mutate(data)  # type: ignore[operator]
    path = tmp_path / "orderers.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_data_load_is_idempotent_and_never_orphans(
    env_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    again = cli(capsys, "data", "load", "--json")
    assert again.code == 0 and again.json["added"] == 0 and again.json["updated"] == 0
    customer = services.add_customer(env_db, name="株式会社鳥栖建設", operator="t")
    g = make_guarantee(env_db, customer.id, type="契約", orderer="鳥栖市", amount="5,000,000")

    def move_start(data: dict) -> None:  # type: ignore[type-arg]
        for o in data["orderers"]:
            if o["name"] == "鳥栖市":
                o["start_date"] = "2026-04-01"

    edited = cli(capsys, "data", "load", str(_orderer_file(tmp_path, move_start)), "--json").json
    assert edited["updated"] == 1 and edited["added"] == 0
    assert cli(capsys, "orderer", "show", "鳥栖市", "--json").json["start_date"] == "2026-04-01"

    def drop(data: dict) -> None:  # type: ignore[type-arg]
        gone = {"鳥栖市", "日本下水道事業団"}
        data["orderers"] = [o for o in data["orderers"] if o["name"] not in gone]

    agency = make_guarantee(env_db, customer.id, type="契約", orderer="日本下水道事業団")
    dropped = cli(capsys, "data", "load", str(_orderer_file(tmp_path, drop)), "--json").json
    # 鳥栖市 stays in the register (every municipality is), no longer adopted; the agency,
    # which only the lists name, is kept for its guarantees but no longer offered
    assert (dropped["unlisted"], dropped["updated"]) == (1, 1)
    tosu = cli(capsys, "orderer", "show", "鳥栖市", "--json").json
    assert tosu["electronic"] == "not_listed" and tosu["start_date"] is None
    shown = cli(capsys, "guarantee", "show", agency.guarantee_number, "--json").json
    assert shown["orderer"] == "日本下水道事業団"  # the guarantee keeps its orderer
    assert cli(capsys, "orderer", "show", "日本下水道事業団").code == 1
    assert (
        cli(capsys, "guarantee", "show", g.guarantee_number, "--json").json["orderer"] == "鳥栖市"
    )
    restored = cli(capsys, "data", "load", "--json").json
    assert restored["updated"] == 2 and restored["added"] == 0  # same rows, listed again


def test_malformed_yaml_on_load_is_a_clear_error(
    env_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "orderers.yaml"
    bad.write_text("list_as_of: 2026-02-02\norderers:\n\t- name: x\n", encoding="utf-8")
    r = cli(capsys, "data", "load", str(bad))
    assert r.code == 1
    assert "orderers.yaml:3" in r.err and "タブ" in r.err
    assert "Traceback" not in r.err
