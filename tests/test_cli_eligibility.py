"""`hosho eligibility` and the verdict stored with each guarantee."""

from __future__ import annotations

import pytest

from core.db import Database
from tests.helpers import cli
from tests.test_cli_guarantees import add_customer, add_guarantee


def verdict(capsys: pytest.CaptureFixture[str], *args: str) -> dict:  # type: ignore[type-arg]
    r = cli(capsys, "eligibility", *args, "--json")
    assert r.code == 0, r.err
    return r.json  # type: ignore[no-any-return]


def test_json_contract(env_db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    v = verdict(capsys, "--orderer", "広島県", "--type", "前払金", "--contract-date", "R6.6.1")
    assert {"eligible", "reasons", "submission", "orderer", "as_of"} <= v.keys()
    assert v["eligible"] is True and v["orderer"] == "広島県"
    assert all(isinstance(r, str) for r in v["reasons"])
    assert "各契約担当課" in v["submission"]


@pytest.mark.parametrize(
    ("args", "eligible", "phrase"),
    [
        (["--orderer", "広島県", "--type", "前払金", "--contract-date", "R6.5.31"], False, "運用開始"),
        (["--orderer", "ひろしまけん", "--type", "中間前払金", "--contract-date", "R7.4.1",
          "--original-contract-date", "R6.5.31"], False, "書面"),
        (["--orderer", "島根県", "--type", "契約", "--kind", "業務委託", "--contract-date", "R7.4.1"],
         False, "前払金保証のみ"),
        (["--orderer", "島根県", "--type", "前払金", "--kind", "委託", "--contract-date", "R7.4.1"],
         True, "島根県"),
        (["--orderer", "鳥栖市", "--type", "契約", "--contract-date", "R8.3.20",
          "--announcement-date", "R8.2.28"], False, "入札公告日"),
        (["--orderer", "鳥栖市", "--type", "契約", "--contract-date", "R8.3.20"], None, "入札公告日"),
        (["--orderer", "芦屋町", "--type", "前払金", "--kind", "業務委託", "--contract-date", "R8.4.1"],
         True, "芦屋町"),
        (["--orderer", "熊本県", "--type", "契約保証予約", "--contract-date", "R8.4.1"], False, "対象外"),
        (["--orderer", "熊本県", "--type", "前払金", "--channel", "窓口", "--contract-date", "R8.4.1"],
         False, "窓口"),
        (["--orderer", "佐賀県", "--type", "前払金", "--contract-date", "R6.5.15"], None, "令和6年5月"),
        (["--orderer", "佐賀県", "--type", "前払金", "--contract-date", "R6.6.1"], True, "佐賀県"),
    ],
)  # fmt: skip
def test_verdicts(
    env_db: Database,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    eligible: bool | None,
    phrase: str,
) -> None:
    v = verdict(capsys, *args)
    assert v["eligible"] is eligible
    assert any(phrase in r for r in v["reasons"]), v["reasons"]


def test_unknown_orderer_is_false_with_suggestions(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    v = verdict(capsys, "--orderer", "鳥栖巿", "--type", "前払金", "--contract-date", "R8.4.1")
    assert v["eligible"] is False and v["orderer"] is None
    assert any("に掲載なし" in r and "令和8年2月2日" in r for r in v["reasons"])
    assert "鳥栖市" in v["suggestions"]
    human = cli(
        capsys,
        "eligibility",
        "--orderer",
        "鳥栖巿",
        "--type",
        "前払金",
        "--contract-date",
        "R8.4.1",
    )
    assert "近い名前" in human.out and "鳥栖市" in human.out


def test_bad_input_is_refused(env_db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    r = cli(capsys, "eligibility", "--orderer", "熊本県", "--type", "保険", "--contract-date", "R8.2.30",
            "--cert-kind", "再発行")  # fmt: skip
    assert r.code == 1
    assert len(r.err.strip().splitlines()) == 3


def test_tosu_deadlines_and_fee_note(env_db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    v = verdict(capsys, "--orderer", "鳥栖市", "--type", "前払金", "--contract-date", "R8.3.20",
                "--announcement-date", "R8.3.2", "--award-date", "R8.3.12", "--amount", "300万")  # fmt: skip
    assert v["deadlines"][0]["due"] == "2026-03-19"  # 5 business days from the day after
    assert v["fee_discount"] == 200 and "200円割引" in v["fee_note"]
    assert "各担当課" in v["submission"]


def test_guarantee_stores_verdict_discount_and_deadlines(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    cid = add_customer(capsys)
    g = add_guarantee(capsys, cid, "--orderer", "鳥栖市", "--announcement-date", "R8.3.2",
                      "--award-date", "R8.3.12", "--contract-date", "R8.3.18").json  # fmt: skip
    assert g["eligibility"]["eligible"] is True
    assert g["fee_discount"] == 200  # 前払金 via e-Net, 40,000,000円
    assert g["deadlines"][0]["due"] == "2026-03-19"
    shown = cli(capsys, "guarantee", "show", g["guarantee_number"], "--json").json
    assert shown["eligibility"] == g["eligibility"] and shown["deadlines"] == g["deadlines"]
    human = cli(capsys, "guarantee", "show", g["guarantee_number"])
    assert "電子証書: 電子証書にできます" in human.out and "期限:" in human.out
    assert "出典：電子保証のご案内（佐賀支店、令和8年2月26日）" in human.out

    paper = add_guarantee(capsys, cid, "--orderer", "広島県", "--contract-date", "R6.5.1",
                          "--channel", "窓口").json  # fmt: skip
    assert paper["eligibility"]["eligible"] is False and paper["fee_discount"] == 0
    assert any(w.startswith("電子交付の希望ですが電子証書にできません") for w in paper["warnings"])
