"""Customers and guarantees through the command line, as staff would type them."""

from __future__ import annotations

import pytest

from core.db import Database
from tests.helpers import Result, cli


def add_customer(
    capsys: pytest.CaptureFixture[str], name: str = "株式会社肥後建設", **kw: str
) -> int:
    args = ["customer", "add", "--name", name, "--email", kw.get("email", "info@higo.example.jp")]
    if "enet_id" in kw:
        args += ["--enet-id", kw["enet_id"]]
    r = cli(capsys, *args, "--json")
    assert r.code == 0, r.err
    return int(r.json["id"])


def add_guarantee(capsys: pytest.CaptureFixture[str], customer: int, *extra: str) -> Result:
    base = {
        "--type": "前払金",
        "--customer": str(customer),
        "--orderer": "熊本県",
        "--project": "県道熊本高森線 道路改良工事",
        "--contract-amount": "100,000,000",
        "--amount": "40,000,000",
        "--contract-date": "令和8年4月1日",
    }
    args: list[str] = ["guarantee", "add"]
    overrides = dict(zip(extra[::2], extra[1::2], strict=True))
    for flag, value in (base | overrides).items():
        args += [flag, value]
    return cli(capsys, *args, "--json")


def test_customer_add_and_list(env_db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    first = add_customer(capsys, enet_id="E0001")
    second = add_customer(capsys, "有限会社阿蘇組", email="aso@example.jp")
    assert second > first
    listed = cli(capsys, "customer", "list", "--json").json
    assert [c["name"] for c in listed] == ["株式会社肥後建設", "有限会社阿蘇組"]
    assert listed[0]["enet_id"] == "E0001" and listed[1]["enet_id"] is None
    human = cli(capsys, "customer", "list")
    assert "株式会社肥後建設" in human.out and "E0001" in human.out


def test_customer_errors_are_one_line_each(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    add_customer(capsys, enet_id="E0001")
    r = cli(
        capsys, "customer", "add", "--name", "  ", "--email", "not-an-address", "--enet-id", "E0001"
    )
    assert r.code == 1
    lines = r.err.strip().splitlines()
    assert len(lines) == 3
    assert all(line.startswith("エラー: ") for line in lines)
    assert any("商号" in line for line in lines)
    assert any("not-an-address" in line for line in lines)
    assert any("E0001" in line and "既に登録" in line for line in lines)
    assert "Traceback" not in r.err


def test_guarantee_add_returns_the_record(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    cid = add_customer(capsys)
    r = add_guarantee(capsys, cid, "--type", "advance", "--period-end", "R9.3.31")
    assert r.code == 0, r.err
    g = r.json
    assert len(g["guarantee_number"]) == 10 and g["guarantee_number"].isdigit()
    assert g["type"] == "前払金"
    assert g["contract_date"] == "2026-04-01"
    assert g["guarantee_end"] == "2027-03-31"  # defaults to the end of the works period
    assert g["orderer"] == "熊本県" and g["customer_id"] == cid
    assert g["contract_amount"] == 100_000_000 and g["amount"] == 40_000_000
    assert g["channel"] == "e-Net" and g["delivery"] == "電子" and g["status"] == "受付"
    assert g["warnings"] == []
    shown = cli(capsys, "guarantee", "show", g["guarantee_number"], "--json").json
    assert shown["guarantee_number"] == g["guarantee_number"]
    human = cli(capsys, "guarantee", "show", g["guarantee_number"])
    assert "令和8年4月1日" in human.out and "40,000,000円" in human.out


def test_numbers_are_unique_and_increasing(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    cid = add_customer(capsys)
    numbers = [
        add_guarantee(capsys, cid, "--project", f"工事{i}").json["guarantee_number"]
        for i in range(5)
    ]
    assert numbers == sorted(numbers) and len(set(numbers)) == 5


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (
            ("--amount", "120,000,000"),
            "保証金額 120,000,000円 が請負金額 100,000,000円 を超えています",
        ),
        (("--amount", "0"), "保証金額は1円以上"),
        (("--contract-amount", "-5"), "負の値"),
        (("--contract-date", "2025-02-30"), "2025-02-30"),
        (("--contract-date", "令和元年4月30日"), "令和元年4月30日"),
        (
            ("--guarantee-end", "R8.3.31"),
            "保証期限 令和8年3月31日 が契約締結日 令和8年4月1日 より前です",
        ),
        (("--type", "保険"), "保証の種別「保険」"),
        (("--kind", "物品"), "契約の種類「物品」"),
        (("--orderer", "熊本けん"), "熊本県"),  # suggestion for a near miss
        (("--orderer", "存在しない村役場"), "「存在しない村役場」は登録簿にありません"),
        (("--customer", "9999"), "受注者「9999」が見つかりません"),
    ],
)
def test_guarantee_add_refuses_bad_input(
    env_db: Database, capsys: pytest.CaptureFixture[str], flags: tuple[str, str], expected: str
) -> None:
    cid = add_customer(capsys)
    r = add_guarantee(capsys, cid, *flags)
    assert r.code == 1
    assert expected in r.err
    assert r.out == "" and "Traceback" not in r.err
    assert cli(capsys, "guarantee", "list", "--json").json == []  # nothing half-written


def test_all_problems_are_reported_together(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    cid = add_customer(capsys)
    r = add_guarantee(
        capsys, cid, "--amount", "abc", "--contract-date", "R8.2.30", "--orderer", "ないない市"
    )
    assert r.code == 1
    lines = r.err.strip().splitlines()
    assert len(lines) == 3, lines
    assert "abc" in lines[0] or any("abc" in line for line in lines)


def test_usual_limits_are_warnings(env_db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    cid = add_customer(capsys)
    over = add_guarantee(capsys, cid, "--amount", "45,000,000")
    assert over.code == 0
    assert over.json["warnings"] == [
        "前払金 45,000,000円 が請負金額の10分の4（40,000,000円）を超えています（工事の通例）"
    ]
    services = add_guarantee(
        capsys, cid, "--kind", "業務委託", "--amount", "35,000,000", "--project", "測量業務"
    )
    assert "10分の3" in services.json["warnings"][0]
    interim = add_guarantee(capsys, cid, "--type", "中間前払金", "--amount", "25,000,000")
    assert any("中間前払金 25,000,000円" in w for w in interim.json["warnings"])
    assert any("合計 70,000,000円" in w for w in interim.json["warnings"])  # 45M advance + 25M
    contract = add_guarantee(capsys, cid, "--type", "契約", "--amount", "5,000,000")
    assert "10分の1" in contract.json["warnings"][0]


def test_missing_flag_is_a_clear_error(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    r = cli(capsys, "guarantee", "add", "--type", "前払金")
    assert r.code == 1
    assert r.err.startswith("エラー: 次の指定が必要です")
    assert len(r.err.strip().splitlines()) == 1
