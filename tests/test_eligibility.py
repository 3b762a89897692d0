"""core.eligibility against the real data/orderers.yaml: every rule the documents state."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from core.dates import format_wareki, format_wareki_month
from core.eligibility import (
    GENERAL_AS_OF,
    GENERAL_SOURCE,
    Reason,
    Verdict,
    evaluate,
    fee_discount,
    fee_discount_reason,
    start_check,
    start_check_during,
    start_check_month,
    start_check_yearless,
    submission_guidance,
)
from core.knowledge import Orderer, OrdererFile, cite, load_orderers
from core.terms import CertKind, Channel, GType, Kind

DATA: OrdererFile = load_orderers()


def orderer(name: str, prefecture: str | None = None) -> Orderer:
    found = [
        o
        for o in DATA.orderers
        if o.name == name and (prefecture is None or o.prefecture == prefecture)
    ]
    assert len(found) == 1, f"{name}: {len(found)} entries"
    return found[0]


def check(name: str | None, **kw: Any) -> Verdict:
    """Evaluate for the orderer called ``name`` (None or unknown name: not in the data)."""
    kw.setdefault("gtype", GType.ADVANCE)
    found = [o for o in DATA.orderers if o.name == name]
    return evaluate(
        found[0] if found else None,
        list_as_of=DATA.list_as_of,
        list_source=cite(DATA.list_source),
        query_name=name,
        **kw,
    )


def texts(v: Verdict, ok: bool | None) -> list[str]:
    return [r.text for r in v.reasons if r.ok is ok]


# --------------------------------------------------------------------------- start dates

# (orderer, contract date, expected): the day before the start and the start day itself.
DAY_STARTS = [
    ("広島県", date(2024, 5, 31), False),
    ("広島県", date(2024, 6, 1), True),
    ("島根県", date(2023, 5, 31), False),
    ("島根県", date(2023, 6, 1), True),
    ("芦屋町", date(2026, 3, 31), False),
    ("芦屋町", date(2026, 4, 1), True),
    ("熊本県", date(2023, 3, 31), False),
    ("熊本県", date(2023, 4, 1), True),
    ("熊本市", date(2024, 9, 30), False),
    ("熊本市", date(2024, 10, 1), True),
    ("上天草市", date(2022, 9, 8), False),
    ("上天草市", date(2022, 9, 9), True),
    ("芦北町", date(2023, 7, 12), False),
    ("芦北町", date(2023, 7, 13), True),
    ("大津町", date(2023, 8, 20), False),
    ("大津町", date(2023, 8, 21), True),
    ("天草市", date(2023, 10, 17), False),
    ("天草市", date(2023, 10, 18), True),
    ("荒尾市", date(2024, 5, 6), False),
    ("荒尾市", date(2024, 5, 7), True),
    ("西原村", date(2025, 1, 19), False),
    ("西原村", date(2025, 1, 20), True),
    ("錦町", date(2025, 1, 31), False),
    ("錦町", date(2025, 2, 1), True),
]


@pytest.mark.parametrize(
    ("name", "contract", "expected"),
    DAY_STARTS,
    ids=[f"{n}-{d.isoformat()}" for n, d, _ in DAY_STARTS],
)
def test_exact_start_day(name: str, contract: date, expected: bool) -> None:
    v = check(name, contract_date=contract)
    assert v.eligible is expected
    start = next(r for r in v.reasons if "運用開始" in r.text)
    assert start.ok is expected
    assert start.source == orderer(name).citation
    assert start.as_of == orderer(name).as_of
    if not expected:
        assert "より前" in start.text


def test_day_start_message_names_both_dates() -> None:
    v = check("芦屋町", contract_date=date(2026, 3, 31))
    assert "契約締結日（令和8年3月31日）が芦屋町の運用開始（令和8年4月1日）より前" in texts(
        v, False
    )
    assert v.submission.startswith("電子証書は使えない")


MONTH_CASES = [
    # 佐賀県: only 令和6年5月 is known.
    ("佐賀県", date(2024, 4, 30), False),
    ("佐賀県", date(2024, 5, 1), None),
    ("佐賀県", date(2024, 5, 31), None),
    ("佐賀県", date(2024, 6, 1), True),
    # 国土交通省: 令和4年5月, no day in 000 nor 002.
    ("国土交通省", date(2022, 4, 30), False),
    ("国土交通省", date(2022, 5, 16), None),
    ("国土交通省", date(2022, 6, 1), True),
]


@pytest.mark.parametrize(
    ("name", "contract", "expected"),
    MONTH_CASES,
    ids=[f"{n}-{d.isoformat()}" for n, d, _ in MONTH_CASES],
)
def test_month_precision(name: str, contract: date, expected: bool | None) -> None:
    v = check(name, contract_date=contract)
    assert v.eligible is expected
    if expected is None:
        (question,) = texts(v, None)
        month = "令和6年5月" if name == "佐賀県" else "令和4年5月"
        assert f"運用開始は{month}としか分からないため、日付は発注者に確認" in question


BY_CASES = [
    ("農林水産省", date(2025, 2, 1), True),
    ("農林水産省", date(2030, 1, 1), True),
    ("農林水産省", date(2025, 1, 31), None),
    ("九州大学", date(2022, 4, 1), None),
    ("国際協力機構", date(2026, 2, 2), True),
    ("国際協力機構", date(2026, 2, 1), None),
]


@pytest.mark.parametrize(
    ("name", "contract", "expected"),
    BY_CASES,
    ids=[f"{n}-{d.isoformat()}" for n, d, _ in BY_CASES],
)
def test_by_precision(name: str, contract: date, expected: bool | None) -> None:
    entry = orderer(name)
    assert entry.start_precision == "by"
    v = check(name, contract_date=contract)
    assert v.eligible is expected
    assert False not in [r.ok for r in v.reasons]
    if expected is None:
        (question,) = texts(v, None)
        assert "運用開始日は資料に記載なし" in question
        assert entry.start_date is not None
        shown = f"{entry.start_date.year - 2018}年{entry.start_date.month}月"
        assert f"令和{shown}{entry.start_date.day}日時点では導入済み" in question
        assert "それより前の契約は発注者に確認" in question


def test_every_listed_orderer_takes_works_after_its_start() -> None:
    """Every verified orderer accepts an e-Net 前払金 for 工事 concluded well after its start."""
    later = date(2027, 1, 15)
    for entry in DATA.orderers:
        v = check(entry.name, contract_date=later, announcement_date=later)
        assert v.eligible is (True if entry.verified else None), entry.name


# --------------------------------------------------------------------------- general rules


@pytest.mark.parametrize(
    "name",
    ["広島県", "島根県", "鳥栖市", "芦屋町", "熊本県", "国土交通省", "農林水産省", None],
    ids=lambda n: n or "unlisted",
)
def test_bid_bond_is_never_electronic(name: str | None) -> None:
    later = date(2027, 1, 15)
    v = check(name, gtype=GType.BID, contract_date=later, announcement_date=later)
    assert v.eligible is False
    bid = next(r for r in v.reasons if "契約保証予約" in r.text and r.ok is False)
    assert (bid.source, bid.as_of) == (GENERAL_SOURCE, GENERAL_AS_OF)
    assert "書面" in v.submission


def test_bid_bond_is_blocked_at_every_orderer() -> None:
    for entry in DATA.orderers:
        v = check(entry.name, gtype=GType.BID, contract_date=date(2027, 1, 15))
        assert v.eligible is False, entry.name


@pytest.mark.parametrize("gtype", [GType.ADVANCE, GType.INTERIM, GType.CONTRACT])
def test_electronic_certificate_types(gtype: GType) -> None:
    v = check("熊本県", gtype=gtype, contract_date=date(2025, 6, 2))
    assert v.eligible is True
    first = v.reasons[0]
    assert first.ok is True
    assert first.text.startswith(f"{gtype.value}保証は電子証書の対象")
    assert (first.source, first.as_of) == (GENERAL_SOURCE, GENERAL_AS_OF)


@pytest.mark.parametrize(
    "name", ["広島県", "鳥栖市", "国土交通省", "熊本県", None], ids=lambda n: n or "unlisted"
)
def test_counter_application_is_paper(name: str | None) -> None:
    later = date(2027, 1, 15)
    v = check(name, channel=Channel.COUNTER, contract_date=later, announcement_date=later)
    assert v.eligible is False
    counter = next(r for r in v.reasons if r.ok is False and "窓口" in r.text)
    assert "窓口申込は書面の保証証書" in counter.text
    assert (counter.source, counter.as_of) == (GENERAL_SOURCE, GENERAL_AS_OF)
    assert v.submission.startswith("電子証書は使えない")


def test_unlisted_orderer() -> None:
    v = check("架空村", contract_date=date(2026, 5, 1))
    assert v.eligible is False
    assert v.orderer is None
    (blocker,) = texts(v, False)
    assert blocker.startswith(
        "架空村は一覧（令和8年2月2日現在）に掲載なし。未導入か、一覧から読み取れなかった可能性があります"
    )
    assert "未導入か、一覧から読み取れなかった可能性" in blocker
    unlisted = v.reasons[-1]
    assert (unlisted.source, unlisted.as_of) == (cite(DATA.list_source), DATA.list_as_of)
    assert v.as_of == DATA.list_as_of
    assert "発注者に確認" in v.submission
    assert "認証キー等のお知らせ" in v.submission


def test_unlisted_orderer_without_a_name() -> None:
    v = evaluate(
        None,
        gtype=GType.CONTRACT,
        contract_date=date(2026, 5, 1),
        list_as_of=date(2026, 2, 2),
        list_source="電子保証のご案内（佐賀支店、令和8年2月26日）",
    )
    assert v.eligible is False
    assert texts(v, False)[0].startswith("この発注者は一覧（令和8年2月2日現在）に掲載なし")


# --------------------------------------------------------------------------- 広島県


@pytest.mark.parametrize(
    ("kind", "gtype"),
    [(k, g) for k in Kind for g in (GType.ADVANCE, GType.INTERIM, GType.CONTRACT)],
    ids=lambda x: x.value,
)
def test_hiroshima_covers_every_kind(kind: Kind, gtype: GType) -> None:
    v = check("広島県", kind=kind, gtype=gtype, contract_date=date(2024, 6, 1))
    assert v.eligible is True


def test_hiroshima_maintenance_condition() -> None:
    v = check("広島県", kind=Kind.MAINTENANCE, contract_date=date(2024, 7, 1))
    assert v.eligible is True
    assert v.conditions == ("広島県の地域維持は土木建築局が所管する地域維持事業に限る",)
    assert "条件: 広島県の地域維持は土木建築局が所管する地域維持事業に限る" in texts(v, True)
    works = check("広島県", kind=Kind.WORKS, contract_date=date(2024, 7, 1))
    assert works.conditions == ()


HIROSHIMA_FOLLOW_UPS = [
    # (cert kind, guarantee type, original contract, date of this certificate, expected)
    (CertKind.CHANGE, GType.ADVANCE, date(2024, 5, 31), date(2024, 7, 1), False),
    (CertKind.CORRECTION, GType.CONTRACT, date(2024, 5, 31), date(2024, 7, 1), False),
    (CertKind.NEW, GType.INTERIM, date(2024, 5, 31), date(2024, 9, 2), False),
    (CertKind.CHANGE, GType.ADVANCE, date(2024, 6, 1), date(2024, 7, 1), True),
    (CertKind.CORRECTION, GType.CONTRACT, date(2024, 6, 1), date(2024, 7, 1), True),
    (CertKind.NEW, GType.INTERIM, date(2024, 6, 1), date(2024, 9, 2), True),
]


@pytest.mark.parametrize(
    ("cert_kind", "gtype", "original", "contract", "expected"),
    HIROSHIMA_FOLLOW_UPS,
    ids=[f"{c.value}-{g.value}-当初{o.isoformat()}" for c, g, o, _, _ in HIROSHIMA_FOLLOW_UPS],
)
def test_hiroshima_follow_ups_of_pre_start_contracts_stay_paper(
    cert_kind: CertKind, gtype: GType, original: date, contract: date, expected: bool
) -> None:
    v = check(
        "広島県",
        cert_kind=cert_kind,
        gtype=gtype,
        contract_date=contract,
        original_contract_date=original,
    )
    assert v.eligible is expected
    action = "中間前払金" if gtype is GType.INTERIM else cert_kind.value
    if expected:
        assert f"当初契約が運用開始後のため{action}も電子証書にできる" in texts(v, True)
    else:
        (blocker,) = texts(v, False)
        assert blocker.startswith(f"当初契約が運用開始前のため{action}は書面")
        assert "令和6年5月31日" in blocker


def test_change_without_original_date_assumes_the_contract_date() -> None:
    before = check("広島県", cert_kind=CertKind.CHANGE, contract_date=date(2024, 5, 20))
    assert before.eligible is False
    (blocker,) = texts(before, False)
    assert "当初契約が運用開始前のため変更は書面" in blocker
    assert "契約日を当初契約日とみなして判定" in blocker
    after = check("広島県", cert_kind=CertKind.CHANGE, contract_date=date(2024, 7, 1))
    assert after.eligible is True
    assert any("契約日を当初契約日とみなして判定" in t for t in texts(after, True))


def test_new_contract_needs_no_original_date() -> None:
    v = check("広島県", contract_date=date(2024, 7, 1))
    assert not any("当初契約" in r.text for r in v.reasons)


def test_hiroshima_submission() -> None:
    v = check("広島県", contract_date=date(2024, 7, 1))
    assert "広島県への提出方法: 電子メールで各契約担当課へ" in v.submission


# --------------------------------------------------------------------------- 島根県

SHIMANE_SCOPE = [
    (Kind.WORKS, GType.ADVANCE, True),
    (Kind.WORKS, GType.INTERIM, True),
    (Kind.WORKS, GType.CONTRACT, True),
    (Kind.SERVICES, GType.ADVANCE, True),
    (Kind.SERVICES, GType.INTERIM, False),
    (Kind.SERVICES, GType.CONTRACT, False),
    (Kind.MAINTENANCE, GType.ADVANCE, False),
]


@pytest.mark.parametrize(
    ("kind", "gtype", "expected"),
    SHIMANE_SCOPE,
    ids=[f"{k.value}-{g.value}" for k, g, _ in SHIMANE_SCOPE],
)
def test_shimane_scope(kind: Kind, gtype: GType, expected: bool) -> None:
    v = check(
        "島根県",
        kind=kind,
        gtype=gtype,
        contract_date=date(2023, 6, 1),
        original_contract_date=date(2023, 6, 1),
    )
    assert v.eligible is expected
    if kind is Kind.SERVICES and not expected:
        assert texts(v, False) == ["島根県の業務委託は前払金保証のみ電子化の対象"]
    if kind is Kind.MAINTENANCE:
        assert texts(v, False) == ["島根県の地域維持は電子化の対象外（対象は工事・業務委託）"]


def test_shimane_conditions() -> None:
    v = check("島根県", contract_date=date(2023, 6, 1))
    assert v.eligible is True
    assert v.conditions == (
        "島根県は総務部・防災部・農林水産部・土木部の発注分に限る",
        "銀行・保険会社の保証証書は対象外（保証事業会社のみ）",
    )
    assert [t for t in texts(v, True) if t.startswith("条件:")] == [
        f"条件: {c}" for c in v.conditions
    ]


def test_shimane_change_of_pre_start_contract_is_paper() -> None:
    v = check(
        "島根県",
        cert_kind=CertKind.CHANGE,
        contract_date=date(2023, 7, 3),
        original_contract_date=date(2023, 5, 31),
    )
    assert v.eligible is False
    assert texts(v, False)[0].startswith("当初契約が運用開始前のため変更は書面")


def test_shimane_submission_by_email() -> None:
    text = submission_guidance(orderer("島根県"), GType.ADVANCE)
    assert "島根県への提出方法: 電子メール" in text


# --------------------------------------------------------------------------- 鳥栖市

TOSU_ANNOUNCEMENTS = [
    (date(2026, 2, 28), False),
    (date(2026, 3, 1), True),
    (date(2026, 4, 15), True),
]


@pytest.mark.parametrize(
    ("announced", "expected"),
    TOSU_ANNOUNCEMENTS,
    ids=[d.isoformat() for d, _ in TOSU_ANNOUNCEMENTS],
)
def test_tosu_decides_by_announcement(announced: date, expected: bool) -> None:
    # The contract is concluded after the start either way: only the announcement counts.
    v = check("鳥栖市", contract_date=date(2026, 3, 20), announcement_date=announced)
    assert v.eligible is expected
    assert any("入札公告日" in r.text for r in v.reasons)


def test_tosu_pre_start_contract_date_does_not_matter() -> None:
    v = check("鳥栖市", contract_date=date(2026, 2, 20), announcement_date=date(2026, 3, 1))
    assert v.eligible is True


def test_tosu_without_announcement_asks_for_it() -> None:
    v = check("鳥栖市", contract_date=date(2026, 3, 20))
    assert v.eligible is None
    assert texts(v, None) == ["入札公告日を入力してください（鳥栖市は入札公告日で判定）"]


@pytest.mark.parametrize("kind", [Kind.WORKS, Kind.SERVICES], ids=lambda k: k.value)
def test_tosu_kinds(kind: Kind) -> None:
    v = check(
        "鳥栖市", kind=kind, contract_date=date(2026, 4, 1), announcement_date=date(2026, 3, 2)
    )
    assert v.eligible is True


TOSU_SUBMISSION = [
    (GType.CONTRACT, "電子メールで契約検査課へ", "各担当課"),
    (GType.ADVANCE, "電子メールで各担当課へ", "契約検査課"),
    (GType.INTERIM, "電子メールで各担当課へ", "契約検査課"),
]


@pytest.mark.parametrize(
    ("gtype", "expected", "absent"), TOSU_SUBMISSION, ids=[g.value for g, _, _ in TOSU_SUBMISSION]
)
def test_tosu_submission(gtype: GType, expected: str, absent: str) -> None:
    text = submission_guidance(orderer("鳥栖市"), gtype)
    assert f"鳥栖市への提出方法: {expected}" in text
    assert absent not in text
    v = check(
        "鳥栖市", gtype=gtype, contract_date=date(2026, 4, 1), announcement_date=date(2026, 3, 2)
    )
    assert v.submission == text


# --------------------------------------------------------------------------- 芦屋町


@pytest.mark.parametrize("kind", [Kind.WORKS, Kind.SERVICES], ids=lambda k: k.value)
@pytest.mark.parametrize("gtype", [GType.ADVANCE, GType.INTERIM, GType.CONTRACT], ids=str)
def test_ashiya_scope(kind: Kind, gtype: GType) -> None:
    v = check("芦屋町", kind=kind, gtype=gtype, contract_date=date(2026, 4, 1))
    assert v.eligible is True


def test_ashiya_submission_points_to_town_website() -> None:
    v = check("芦屋町", contract_date=date(2026, 4, 1))
    assert "芦屋町への提出方法: 電子メール" in v.submission
    assert "芦屋町HP" in v.submission


# --------------------------------------------------------------------------- 熊本県 and others


@pytest.mark.parametrize("name", ["熊本県", "熊本市", "上天草市", "錦町"])
def test_kumamoto_services_are_covered(name: str) -> None:
    v = check(name, kind=Kind.SERVICES, gtype=GType.CONTRACT, contract_date=date(2025, 4, 1))
    assert v.eligible is True


def test_follow_up_of_pre_start_contract_where_documents_are_silent() -> None:
    """熊本県 has no before_start_paper rule: the certificate's own date decides, but ask."""
    v = check(
        "熊本県",
        cert_kind=CertKind.CHANGE,
        contract_date=date(2023, 6, 1),
        original_contract_date=date(2023, 3, 1),
    )
    assert v.eligible is None
    (question,) = texts(v, None)
    assert "運用開始前の契約の変更の扱いは資料に記載なし" in question
    plain = check("熊本県", cert_kind=CertKind.CHANGE, contract_date=date(2023, 6, 1))
    assert plain.eligible is True


COVERAGE_UNKNOWN = [
    (Kind.WORKS, True),
    (Kind.SERVICES, None),
    (Kind.MAINTENANCE, None),
]


@pytest.mark.parametrize(
    ("kind", "expected"), COVERAGE_UNKNOWN, ids=[k.value for k, _ in COVERAGE_UNKNOWN]
)
def test_mlit_scope_not_in_documents(kind: Kind, expected: bool | None) -> None:
    assert orderer("国土交通省").coverage is None
    v = check("国土交通省", kind=kind, contract_date=date(2024, 4, 1))
    assert v.eligible is expected
    if kind is Kind.WORKS:
        assert "工事は対象（範囲の詳細は資料に記載なし）" in texts(v, True)
    else:
        assert any("対象の契約の種類は資料に記載なし" in t for t in texts(v, None))


def test_mlit_submission_is_general() -> None:
    v = check("国土交通省", contract_date=date(2024, 4, 1))
    assert "提出方法は発注者に確認（電子契約システムへのアップロードまたは電子メール添付" in (
        v.submission
    )


@pytest.mark.parametrize("name", [o.name for o in DATA.orderers if not o.verified])
def test_doubtful_entries_need_checking(name: str) -> None:
    entry = orderer(name)
    assert entry.verified is False
    v = check(name, contract_date=date(2026, 1, 15))
    assert v.eligible is None
    doubt = next(r for r in v.reasons if r.text.startswith("資料の表記に疑義あり"))
    assert doubt.ok is None
    assert entry.notes[0].rstrip("。") in doubt.text
    assert doubt.text.endswith("。発注者に確認")


# --------------------------------------------------------------------------- outputs


def test_reasons_cite_their_documents() -> None:
    v = check("広島県", contract_date=date(2024, 7, 1), kind=Kind.MAINTENANCE)
    general = v.reasons[:2]
    assert {(r.source, r.as_of) for r in general} == {(GENERAL_SOURCE, GENERAL_AS_OF)}
    for r in v.reasons[2:]:
        assert (r.source, r.as_of) == ("電子保証について（広島支店、令和6年5月）", date(2024, 5, 1))
    assert v.orderer == "広島県"
    assert v.as_of == date(2024, 5, 1)


def test_verdict_json() -> None:
    v = check("鳥栖市", contract_date=date(2026, 3, 20))
    out = json.loads(json.dumps(v.to_json(), ensure_ascii=False))
    assert set(out) == {
        "eligible",
        "reasons",
        "reason_details",
        "submission",
        "orderer",
        "as_of",
        "conditions",
    }
    assert out["eligible"] is None
    assert out["orderer"] == "鳥栖市"
    assert out["as_of"] == "2026-02-26"
    assert out["reasons"] == [d["text"] for d in out["reason_details"]]
    question = next(d for d in out["reason_details"] if d["ok"] is None)
    assert question == {
        "text": "入札公告日を入力してください（鳥栖市は入札公告日で判定）",
        "ok": None,
        "source": "電子保証のご案内（佐賀支店、令和8年2月26日）",
        "as_of": "2026-02-26",
    }
    assert out["conditions"] == []


def test_unlisted_json_has_null_orderer() -> None:
    out = check("架空町", contract_date=date(2026, 5, 1)).to_json()
    assert out["orderer"] is None
    assert out["eligible"] is False
    assert out["as_of"] == "2026-02-02"


def test_reason_json_without_source() -> None:
    assert Reason("x", None, None, None).to_json() == {
        "text": "x",
        "ok": None,
        "source": None,
        "as_of": None,
    }


# --------------------------------------------------------------------------- submission


@pytest.mark.parametrize(
    "name", ["広島県", "鳥栖市", "芦屋町", "熊本県", None], ids=lambda n: n or "unlisted"
)
@pytest.mark.parametrize("gtype", [GType.ADVANCE, GType.INTERIM, GType.CONTRACT], ids=str)
def test_submission_always_names_the_pdf_and_the_repeat_rule(
    name: str | None, gtype: GType
) -> None:
    text = submission_guidance(orderer(name) if name else None, gtype)
    assert "「認証キー等のお知らせ」" in text
    assert "STEP3で保存した電子証書の画面ではない" in text
    assert text.endswith(
        "新規・変更・訂正のたびに提出が必要（認証キーの提出が保証証書の提出にあたる）。"
        "認証キーは前払金（中間前払金を含む）と契約保証で別々。"
    )


def test_submission_without_orderer_rules() -> None:
    text = submission_guidance(orderer("熊本県"), GType.ADVANCE)
    assert "提出方法は発注者に確認" in text
    assert "熊本県への提出方法" not in text


def test_submission_for_bid_bond_is_paper() -> None:
    text = submission_guidance(orderer("広島県"), GType.BID)
    assert "書面の保証証書" in text
    assert "認証キー" not in text


# --------------------------------------------------------------------------- fee discount

DISCOUNTS = [
    (GType.ADVANCE, Channel.ENET, 2_999_999, 0),
    (GType.ADVANCE, Channel.ENET, 3_000_000, 200),
    (GType.ADVANCE, Channel.ENET, 150_000_000, 200),
    (GType.ADVANCE, Channel.COUNTER, 3_000_000, 0),
    (GType.ADVANCE, Channel.COUNTER, 2_999_999, 0),
    (GType.INTERIM, Channel.ENET, 3_000_000, 0),
    (GType.CONTRACT, Channel.ENET, 3_000_000, 0),
    (GType.BID, Channel.ENET, 3_000_000, 0),
]


@pytest.mark.parametrize(
    ("gtype", "channel", "amount", "expected"),
    DISCOUNTS,
    ids=[f"{g.value}-{c.value}-{a}" for g, c, a, _ in DISCOUNTS],
)
def test_fee_discount(gtype: GType, channel: Channel, amount: int, expected: int) -> None:
    assert fee_discount(gtype, channel, amount) == expected
    reason = fee_discount_reason(gtype, channel, amount)
    if gtype is not GType.ADVANCE:
        assert reason is None
        return
    assert reason is not None
    if expected:
        assert "200円割引" in reason
        assert "なし" not in reason
    else:
        assert "割引なし" in reason
        assert ("窓口" in reason) is (channel is Channel.COUNTER)


# --------------------------------------------------------------------------- a date said in passing


@pytest.mark.parametrize(
    ("name", "day", "said_as", "expected"),
    [
        ("広島県", date(2024, 6, 1), None, True),  # taken as the date the orderer decides by
        ("広島県", date(2024, 5, 31), "契約締結日", False),
        # a contract decides by 入札公告日 only one way: before the start, so was the tender
        ("鳥栖市", date(2026, 2, 27), "契約締結日", False),
        ("鳥栖市", date(2026, 4, 1), "契約締結日", None),
        ("鳥栖市", date(2026, 3, 1), "入札公告日", True),
        # not said which: open for 鳥栖市 unless before its start either way
        ("鳥栖市", date(2026, 4, 1), None, None),
        ("鳥栖市", date(2026, 2, 1), None, False),
        # an announcement decides 契約締結日 only one way: after the start, so is the contract
        ("広島県", date(2024, 6, 3), "入札公告日", True),
        ("広島県", date(2024, 5, 20), "入札公告日", None),
        ("福岡県", date(2025, 1, 15), None, None),  # inside the start month
    ],
)
def test_start_check(name: str, day: date, said_as: str | None, expected: bool | None) -> None:
    reason = start_check(orderer(name), day, said_as)
    assert reason.ok is expected
    assert reason.source == orderer(name).citation


def test_start_check_says_what_decides_when_the_date_cannot() -> None:
    reason = start_check(orderer("鳥栖市"), date(2026, 4, 1), "契約締結日")
    assert "鳥栖市は入札公告日で判断します" in reason.text
    assert "契約締結日（令和8年4月1日）" in reason.text


@pytest.mark.parametrize(
    ("name", "month", "expected"),
    [
        ("島根県", date(2025, 10, 1), True),  # every day of the month after the start
        ("広島県", date(2024, 6, 1), True),  # starts on the 1st
        ("広島県", date(2024, 5, 1), False),  # every day before
        ("熊本市", date(2024, 9, 1), False),
        ("芦北町", date(2023, 7, 1), None),  # starts on the 13th
        ("福岡県", date(2025, 1, 1), None),  # the start month itself, known to the month
        ("鳥栖市", date(2026, 4, 1), None),  # decides by the announcement
    ],
)
def test_start_check_month(name: str, month: date, expected: bool | None) -> None:
    reason = start_check_month(orderer(name), month)
    assert reason.ok is expected
    if expected is not None:
        assert reason.text.startswith(f"{format_wareki_month(month)}中のどの日でも、")


@pytest.mark.parametrize(
    ("name", "days", "said_as", "expected"),
    [
        ("島根県", (date(2025, 12, 1), date(2026, 12, 1)), None, True),  # both after the start
        ("広島県", (date(2023, 5, 1), date(2024, 5, 1)), None, False),  # both before
        ("芦屋町", (date(2026, 3, 15), date(2027, 3, 15)), None, None),  # the year decides
        ("鳥栖市", (date(2026, 4, 1), date(2027, 4, 1)), "契約締結日", None),  # the kind decides
    ],
)
def test_start_check_yearless(
    name: str, days: tuple[date, date], said_as: str | None, expected: bool | None
) -> None:
    reason = start_check_yearless(orderer(name), days, said_as)
    assert reason.ok is expected
    first, last = days
    if name == "芦屋町":  # the answer changes between the two: ask for the year
        assert f"{last.month}月{last.day}日の案件は年によって異なる" in reason.text
        assert reason.text.endswith("契約締結日を確認")
    else:  # the same answer either way, with its reason
        assert reason.text.startswith(f"{format_wareki(first)}でも{format_wareki(last)}でも、")
    if name == "鳥栖市":
        assert "鳥栖市は入札公告日で判断します" in reason.text


def test_start_check_during_a_span() -> None:
    last_year = (date(2025, 1, 1), date(2025, 12, 31))
    reason = start_check_during(orderer("鳥栖市"), last_year, "去年（令和7年）", "契約締結日")
    assert reason.ok is False  # a contract in 2025: its announcement was before 鳥栖市's start
    assert reason.text.startswith("去年（令和7年）中のどの日でも、")
    reason = start_check_during(
        orderer("熊本市"), (date(2024, 1, 1), date(2024, 12, 31)), "おととし"
    )
    assert reason.ok is None and "おととしの案件は日付によって異なる" in reason.text
