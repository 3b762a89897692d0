"""The assistant's routes on a small synthetic knowledge (not the shipped files): which route
answers which question, in their declared order."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

import pytest

from core.knowledge import BranchFile, FaqEntry, OrdererFile, OutOfScope, source_ids
from faq.engine import NOT_FOUND, Assistant

SOURCE = "kumamoto-guide-2025"


def _validated(model: Any, data: dict[str, Any]) -> Any:
    return model.model_validate(data, context={"sources": source_ids()})


def entry(id_: str, questions: list[str], answer: str, tags: tuple[str, ...] = ()) -> FaqEntry:
    data = {"id": id_, "questions": questions, "answer": answer, "tags": list(tags)}
    return _validated(FaqEntry, data | {"source": SOURCE, "as_of": "2025-02-27"})


# More entries, for the tests of one rule each
LISTING = entry(  # lists the bodies of 熊本県 (tags: the prefecture and 導入発注者)
    "kumamoto-list",
    ["熊本県の市町村で導入しているところ", "熊本県内の導入団体の一覧", "県内の市町村の開始日"],
    "熊本県内では甲野市が導入しています。",
    ("導入発注者", "熊本県"),
)
SUBJECTS = (
    entry(
        "enet-usage",
        ["e-Netって実際どのくらい使われてるの", "e-Netの利用者数", "e-Net保証を使う会社の割合"],
        "お申込みの約8割がe-Net保証を通じています。",
        ("e-Net保証",),
    ),
    entry(
        "usage",
        ["電子保証ってどれくらい使われてる？", "電子保証の利用率", "電子保証の普及状況"],
        "保証の半数以上が電子保証です。",
        ("利用状況",),
    ),
)


@cache
def assistant(*more: FaqEntry) -> Assistant:
    entries = [
        _validated(
            FaqEntry,
            {
                "id": "key-lost",
                "questions": [
                    "認証キーをなくしたらどうする",
                    "認証キーを紛失した場合",
                    "認証キーが分からなくなった",
                ],
                "answer": "認証キーはe-Net保証の画面でもう一度表示できます。",
                "source": SOURCE,
                "as_of": "2025-02-27",
                "tags": ["認証キー"],
            },
        ),
        _validated(
            FaqEntry,
            {
                "id": "paper-contract",
                "questions": [
                    "紙の契約書でも電子保証は使えますか",
                    "契約は紙だけど証書は電子にできる",
                    "書面契約でも電子証書にできますか",
                ],
                "answer": "契約書が紙でも、保証証書は電子にできます。",
                "source": SOURCE,
                "as_of": "2025-02-27",
            },
        ),
    ]
    topic = _validated(
        OutOfScope,
        {
            "id": "fee-calculation",
            "topic": "保証料の計算",
            "questions": ["保証料はいくら", "保証料の計算方法", "保証料率を教えて"],
        },
    )
    orderers = _validated(
        OrdererFile,
        {
            "list_as_of": "2026-02-02",
            "list_source": SOURCE,
            "orderers": [
                {
                    "name": "甲野市",
                    "reading": "こうのし",
                    "category": "市町村",
                    "prefecture": "熊本県",
                    "start_date": "2026-04-01",
                    "submission": [{"method": "電子メール", "to": "契約課"}],
                    "source": SOURCE,
                    "as_of": "2025-02-27",
                },
                {
                    "name": "乙川町",
                    "reading": "おとかわまち",
                    "category": "市町村",
                    "prefecture": "熊本県",
                },
                {"name": "熊本県", "reading": "くまもとけん", "category": "都道府県",
                 "prefecture": "熊本県", "start_date": "2025-01-01", "source": SOURCE,
                 "as_of": "2025-02-27"},
            ],
        },
    )  # fmt: skip
    branches = _validated(
        BranchFile,
        {
            "source": SOURCE,
            "as_of": "2025-02-27",
            "branches": [
                {
                    "name": "熊本支店",
                    "phone": "096-000-0000",
                    "fax": "096-000-0001",
                    "postal_code": "860-0000",
                    "address": "熊本市中央区どこか1丁目",
                }
            ],
        },
    )
    return Assistant([*entries, *more], out_of_scope=[topic], orderers=orderers, branches=branches)


def ask(question: str) -> Any:
    return assistant().ask(question, today=date(2026, 12, 6))


def test_the_routes_are_tried_in_a_declared_order() -> None:
    names = [route.__name__ for route in Assistant.ROUTES]
    assert names == ["_route_branch", "_route_region", "_route_records", "_route_contact",
                     "_route_faq"]  # fmt: skip


def test_branch_route_gives_the_field_asked() -> None:
    fax = ask("熊本支店のFAX番号は？")
    assert fax.kind == "branch" and fax.field == "fax" and "096-000-0001" in fax.answer
    which = ask("御社の電話番号を教えて")
    assert not which.answered and which.kind == "branch" and which.candidates == ("熊本支店",)


def test_records_route_answers_the_orderer_and_the_aspect() -> None:
    start = ask("甲野市はいつから電子保証が使えますか")
    assert start.kind == "orderer" and start.orderer == "甲野市" and start.aspect == "start"
    where = ask("甲野市の認証キーはどこに提出するの")
    assert where.aspect == "submission" and "契約課" in where.answer
    missing = ask("乙川町で電子保証は使える？")
    assert missing.kind == "orderer" and missing.listed is False
    assert "掲載なし" in missing.answer


def test_region_route_lists_the_bodies_of_a_prefecture() -> None:
    region = ask("熊本県内で電子保証を導入している市町村は？")
    assert region.aspect == "region" and "甲野市" in region.orderers


def test_an_entry_listing_the_bodies_of_the_prefecture_answers_for_the_list() -> None:
    listed = assistant(LISTING).ask("熊本県内で電子保証を導入している市町村は？")
    assert listed.entry_id == "kumamoto-list", listed


def test_a_phrasing_about_another_subject_loses() -> None:
    # e-Net and 電子保証 are subjects (subject.* cues): the question's is 電子保証
    a = assistant(*SUBJECTS)
    question = a.analyse("電子保証って実際どのくらい使われてるの")

    def scores(penalty: float) -> dict[str, float]:
        ranked = a.with_tuning(subject_penalty=penalty).rank(question, frozenset(), False, True)
        return {a.entries[r.entry].id: r.score for r in ranked if r.entry < len(a.entries)}

    ruled, alike = scores(0.8), scores(1.0)
    assert ruled["enet-usage"] == pytest.approx(alike["enet-usage"] * 0.8)  # about e-Net: loses
    assert ruled["usage"] == alike["usage"]  # about 電子保証 too: it keeps its score
    assert a.ask("電子保証って実際どのくらい使われてるの").entry_id == "usage"


def test_contact_route_says_the_records_hold_no_contact() -> None:
    contact = ask("甲野市役所の電話番号を教えて")
    assert not contact.answered and "連絡先は資料にありません" in contact.answer


def test_faq_route_answers_declines_or_says_not_found() -> None:
    lost = ask("認証キーを紛失してしまったんですが")
    assert lost.kind == "faq" and lost.entry_id == "key-lost"
    declined = ask("保証料の計算方法を教えてください")
    assert not declined.answered and declined.out_of_scope == "fee-calculation"
    unknown = ask("明日の天気はどうですか")
    assert not unknown.answered and unknown.answer.startswith(NOT_FOUND)
