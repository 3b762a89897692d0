"""core.knowledge: schema validation, error locations, check report, name lookup."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pydantic
import pytest

from core.checks import check_files
from core.knowledge import (
    Category,
    GType,
    Kind,
    KnowledgeError,
    Orderer,
    OrdererIndex,
    Problem,
    load_branches,
    load_faq,
    load_orderers,
    load_synonyms,
    normalize_name,
)

SRC = "saga-guide-2026"

ORDERERS_HEAD = f"""\
list_as_of: 2026-02-02
list_source: {SRC}
orderers:
"""

TOSU = f"""\
  - name: 鳥栖市
    reading: とすし
    aliases: []
    category: 市町村
    prefecture: 佐賀県
    start_date: 2026-03-01
    start_precision: day
    applies_to: 入札公告日
    coverage:
      工事: [前払金, 中間前払金, 契約]
      業務委託: [前払金, 中間前払金, 契約]
    before_start_paper: []
    excluded_guarantors: []
    department_limits: []
    submission:
      - types: [契約]
        method: 電子メール
        to: 契約検査課
        note: null
    usage:
      as_of: 2026-01-31
      advance_guarantees: 1870
      electronic: 1554
      rate_percent: 83.1
    source: {SRC}
    as_of: 2026-02-26
    verified: true
    notes: []
"""

SAGA = f"""\
  - name: 佐賀市
    reading: さがし
    category: 市町村
    prefecture: 佐賀県
    start_date: 2023-06-01
    start_precision: month
    source: {SRC}
    as_of: 2026-02-26
"""

FAQ_OK = """\
entries:
  - id: paper-contract
    questions:
      - 紙の契約でも電子保証は使えますか
      - 請負契約が書面でも電子証書にできる？
      - 契約書が紙なのですが電子保証にできますか
    answer: >-
      はい、利用できます。
    source: kumamoto-guide-2025
    as_of: 2025-02-27
    tags: [電子保証, 契約書]
"""

BRANCHES_OK = """\
source: company-flyer-2022
as_of: 2022-05-01
branches:
  - name: 熊本支店
    phone: 096-364-1155
    fax: 0120-504-178
    postal_code: 862-0976
    address: 熊本市中央区九品寺四丁目6番4号(熊本県建設会館3F)
"""


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Problems show paths relative to the current directory.
    monkeypatch.chdir(tmp_path)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(load: object, path: Path) -> list[str]:
    assert callable(load)
    with pytest.raises(KnowledgeError) as info:
        load(path)
    assert isinstance(info.value, ValueError)
    assert str(info.value) == "\n".join(str(p) for p in info.value.problems)
    return [str(p) for p in info.value.problems]


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line number of the n-th line containing ``needle``."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[occurrence - 1]


# --------------------------------------------------------------------------- valid files


def test_valid_orderers_load_with_types(tmp_path: Path) -> None:
    path = write(tmp_path, "orderers.yaml", ORDERERS_HEAD + TOSU + SAGA)
    data = load_orderers(path)
    assert data.list_as_of == date(2026, 2, 2)
    tosu, saga = data.orderers
    assert tosu.category is Category.MUNICIPALITY
    assert tosu.start_date == date(2026, 3, 1)
    assert tosu.applies_to == "入札公告日"
    assert tosu.coverage is not None
    assert tosu.coverage[Kind.WORKS] == (GType.ADVANCE, GType.INTERIM, GType.CONTRACT)
    assert tosu.submission[0].types == (GType.CONTRACT,)
    assert tosu.usage is not None and tosu.usage.electronic == 1554
    # Defaults for omitted keys.
    assert saga.applies_to == "契約締結日"
    assert saga.coverage is None
    assert saga.verified is True
    assert saga.aliases == ()
    with pytest.raises(pydantic.ValidationError):
        saga.name = "変更"


def test_valid_faq_and_branches_load(tmp_path: Path) -> None:
    faq = load_faq(write(tmp_path, "faq.yaml", FAQ_OK))
    assert faq.entries[0].id == "paper-contract"
    assert faq.entries[0].answer == "はい、利用できます。"
    branches = load_branches(write(tmp_path, "branches.yaml", BRANCHES_OK))
    assert branches.branches[0].phone == "096-364-1155"
    assert branches.branches[0].postal_code == "862-0976"


# --------------------------------------------------------------------------- file-level errors


def test_invalid_yaml_reports_line_of_the_mark(tmp_path: Path) -> None:
    text = ORDERERS_HEAD + "  - name: [鳥栖市\n    reading: とすし\n"
    path = write(tmp_path, "orderers.yaml", text)
    [problem] = problems_of(load_orderers, path)
    # The line of the unclosed bracket (the parser notices it on the next line).
    assert (
        problem
        == "orderers.yaml:4: YAMLとして読めません: [ が閉じていません（] かカンマが足りません）"
    )


def test_tab_reports_first_tab_line(tmp_path: Path) -> None:
    text = ORDERERS_HEAD + "  - name: 鳥栖市\n\treading: とすし\n\tcategory: 市町村\n"
    path = write(tmp_path, "orderers.yaml", text)
    # The parser also fails on that line; only the clearer tab message is kept.
    assert problems_of(load_orderers, path) == [
        "orderers.yaml:5: 1文字目にタブがあります。字下げには空白を使ってください"
    ]


def test_tab_inside_a_value_is_reported_too(tmp_path: Path) -> None:
    text = FAQ_OK.replace("はい、利用できます。", "はい、\t利用できます。")
    path = write(tmp_path, "faq.yaml", text)
    assert problems_of(load_faq, path) == [
        f"faq.yaml:{line_of(text, 'はい')}: 10文字目にタブがあります。字下げには空白を使ってください"
    ]


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "faq.yaml", text)
    assert problems_of(load_faq, path) == ["faq.yaml: ファイルが空です"]


def test_missing_file(tmp_path: Path) -> None:
    assert problems_of(load_faq, tmp_path / "faq.yaml") == ["faq.yaml: ファイルがありません"]


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "branches.yaml", "- a\n- b\n")
    assert problems_of(load_branches, path) == [
        "branches.yaml:1: 「名前: 値」の組を書いてください（リスト）"
    ]


def test_path_as_given_when_outside_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "faq.yaml", "")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert problems_of(load_faq, path) == [f"{path}: ファイルが空です"]
    assert problems_of(load_faq, Path("../faq.yaml")) == ["../faq.yaml: ファイルが空です"]


# --------------------------------------------------------------------------- field errors


def test_duplicate_mapping_key(tmp_path: Path) -> None:
    text = ORDERERS_HEAD + TOSU.replace(
        "    verified: true\n", "    verified: true\n    as_of: 2026-02-27\n"
    )
    path = write(tmp_path, "orderers.yaml", text)
    first = line_of(text, "    as_of: 2026-02-26")
    second = line_of(text, "    as_of: 2026-02-27")
    assert problems_of(load_orderers, path) == [
        f"orderers.yaml:{second}: orderers[0].as_of: 同じ項目が2回あります（最初は{first}行目）"
    ]


def test_unknown_key(tmp_path: Path) -> None:
    text = ORDERERS_HEAD + TOSU + SAGA + "    colour: red\n"
    path = write(tmp_path, "orderers.yaml", text)
    assert problems_of(load_orderers, path) == [
        f"orderers.yaml:{line_of(text, 'colour')}: orderers[1].colour: 知らない項目です: colour"
    ]


def test_unknown_nested_key_in_submission(tmp_path: Path) -> None:
    text = ORDERERS_HEAD + TOSU.replace("        note: null\n", "        notes: null\n")
    path = write(tmp_path, "orderers.yaml", text)
    assert problems_of(load_orderers, path) == [
        f"orderers.yaml:{line_of(text, 'notes: null')}: orderers[0].submission[0].notes: "
        "知らない項目です: notes"
    ]


def test_wrong_types(tmp_path: Path) -> None:
    text = ORDERERS_HEAD + TOSU.replace("verified: true", "verified: yes please").replace(
        "advance_guarantees: 1870", "advance_guarantees: many"
    ).replace("aliases: []", "aliases: 鳥栖")
    path = write(tmp_path, "orderers.yaml", text)
    assert problems_of(load_orderers, path) == [
        f"orderers.yaml:{line_of(text, 'aliases')}: orderers[0].aliases: リスト（- で始まる行か [ ]）を書いてください（鳥栖）",
        f"orderers.yaml:{line_of(text, 'advance_guarantees')}: "
        "orderers[0].usage.advance_guarantees: 整数を書いてください（many）",
        f"orderers.yaml:{line_of(text, 'verified')}: orderers[0].verified: "
        "true か false を書いてください（yes please）",
    ]


def test_number_where_text_expected(tmp_path: Path) -> None:
    text = BRANCHES_OK.replace("name: 熊本支店", "name: 123")
    path = write(tmp_path, "branches.yaml", text)
    assert problems_of(load_branches, path) == [
        "branches.yaml:4: branches[0].name: 文字列を書いてください（123）"
    ]


def test_bad_date_is_not_a_date(tmp_path: Path) -> None:
    text = ORDERERS_HEAD + TOSU.replace("start_date: 2026-03-01", "start_date: 2025-02-30")
    path = write(tmp_path, "orderers.yaml", text)
    line = line_of(text, "start_date")
    assert problems_of(load_orderers, path) == [
        f"orderers.yaml:{line}: orderers[0].start_date: 2025-02-30 は日付ではありません（例: 2026-04-01）"
    ]


def test_unpadded_dates_are_not_dates_quoted_iso_dates_are(tmp_path: Path) -> None:
    text = FAQ_OK.replace("as_of: 2025-02-27", "as_of: 2025-2-27")
    path = write(tmp_path, "faq.yaml", text)
    assert problems_of(load_faq, path) == [
        f"faq.yaml:{line_of(text, 'as_of')}: entries[0].as_of: 2025-2-27 は日付ではありません（例: 2026-04-01）"
    ]
    text = BRANCHES_OK.replace("as_of: 2022-05-01", 'as_of: "2022-05-01"')
    path = write(tmp_path, "branches.yaml", text)
    assert load_branches(path).as_of.isoformat() == "2022-05-01"
    text = BRANCHES_OK.replace("as_of: 2022-05-01", 'as_of: "2022-02-30"')
    path = write(tmp_path, "branches.yaml", text)
    assert problems_of(load_branches, path) == [
        "branches.yaml:2: as_of: 2022-02-30 は日付ではありません（例: 2026-04-01）"
    ]


def test_missing_key_points_at_the_item(tmp_path: Path) -> None:
    text = ORDERERS_HEAD + TOSU + SAGA.replace("    category: 市町村\n", "")
    path = write(tmp_path, "orderers.yaml", text)
    assert problems_of(load_orderers, path) == [
        f"orderers.yaml:{line_of(text, 'name: 佐賀市')}: orderers[1].category: "
        "必要な項目がありません"
    ]


def test_month_precision_requires_day_one(tmp_path: Path) -> None:
    text = ORDERERS_HEAD + TOSU + SAGA.replace("2023-06-01", "2023-06-15")
    path = write(tmp_path, "orderers.yaml", text)
    assert problems_of(load_orderers, path) == [
        f"orderers.yaml:{line_of(text, '2023-06-15')}: orderers[1].start_date: "
        "2023-06-15 は月の1日にしてください（start_precision が month のため）"
    ]


def test_coverage_rules(tmp_path: Path) -> None:
    text = ORDERERS_HEAD + TOSU.replace(
        "      工事: [前払金, 中間前払金, 契約]\n      業務委託: [前払金, 中間前払金, 契約]\n",
        "      工事: [前払金, 契約保証予約]\n      業務委託: []\n      業務: [前払金]\n"
        "      地域維持: null\n",
    )
    path = write(tmp_path, "orderers.yaml", text)
    assert problems_of(load_orderers, path) == [
        f"orderers.yaml:{line_of(text, '工事:')}: orderers[0].coverage.工事: "
        "契約保証予約は電子になりません",
        f"orderers.yaml:{line_of(text, '業務委託: []')}: orderers[0].coverage.業務委託: "
        "保証の種類を1つ以上書いてください（分からないときは、この業務ごと省きます）",
        f"orderers.yaml:{line_of(text, '業務: [')}: orderers[0].coverage.業務: "
        "業務 は使えません（工事・業務委託・地域維持 のいずれか）",
    ]


def test_enum_value_in_a_list(tmp_path: Path) -> None:
    text = ORDERERS_HEAD + TOSU.replace(
        "      - types: [契約]\n", "      - types:\n          - 契約書\n"
    )
    path = write(tmp_path, "orderers.yaml", text)
    assert problems_of(load_orderers, path) == [
        f"orderers.yaml:{line_of(text, '- 契約書')}: orderers[0].submission[0].types[0]: "
        "契約書 は使えません（前払金・中間前払金・契約・契約保証予約 のいずれか）"
    ]


def test_reading_must_be_hiragana(tmp_path: Path) -> None:
    text = (
        ORDERERS_HEAD
        + TOSU.replace("reading: とすし", "reading: トスシ")
        + SAGA.replace("reading: さがし", "reading: さが し・ー")
    )
    path = write(tmp_path, "orderers.yaml", text)
    assert problems_of(load_orderers, path) == [
        f"orderers.yaml:{line_of(text, 'トスシ')}: orderers[0].reading: トスシ はひらがなではありません"
    ]


def test_local_bodies_need_a_prefecture(tmp_path: Path) -> None:
    text = ORDERERS_HEAD + SAGA
    text += SAGA.replace("name: 佐賀市", "name: 唐津市").replace("佐賀県", "佐賀")
    path = write(tmp_path, "orderers.yaml", text)
    assert problems_of(load_orderers, path) == [
        f"orderers.yaml:{line_of(text, 'prefecture: 佐賀', 2)}: orderers[1].prefecture: "
        "佐賀 は都道府県名ではありません（例: 佐賀県）",
    ]
    text = ORDERERS_HEAD + SAGA.replace("    prefecture: 佐賀県\n", "    prefecture: null\n")
    path = write(tmp_path, "orderers.yaml", text)
    assert problems_of(load_orderers, path) == [
        f"orderers.yaml:{line_of(text, 'prefecture')}: orderers[0].prefecture: "
        "区分が市町村のときは必要です"
    ]


def test_usage_rate_must_match_counts(tmp_path: Path) -> None:
    text = ORDERERS_HEAD + TOSU.replace("rate_percent: 83.1", "rate_percent: 38.1")
    path = write(tmp_path, "orderers.yaml", text)
    assert problems_of(load_orderers, path) == [
        f"orderers.yaml:{line_of(text, 'rate_percent')}: orderers[0].usage.rate_percent: "
        "38.1 が 1554/1870 = 83.1 と合いません"
    ]


def test_duplicate_orderer(tmp_path: Path) -> None:
    text = ORDERERS_HEAD + SAGA + TOSU + SAGA
    path = write(tmp_path, "orderers.yaml", text)
    assert problems_of(load_orderers, path) == [
        f"orderers.yaml:{line_of(text, '佐賀市', 2)}: orderers[2].name: "
        "佐賀市（佐賀県） が2回あります（orderers[0]と同じ）"
    ]


def test_same_name_in_other_prefecture_is_fine(tmp_path: Path) -> None:
    other = SAGA.replace("佐賀県", "広島県").replace("name: 佐賀市", "name: 府中市")
    text = ORDERERS_HEAD + other + other.replace("広島県", "東京都")
    assert len(load_orderers(write(tmp_path, "orderers.yaml", text)).orderers) == 2


def test_orderer_groups(tmp_path: Path) -> None:
    group = (
        "groups:\n  - name: 佐賀の2市\n    aliases: [さがのにし]\n    members: [佐賀市, 鳥栖市]\n"
    )
    loaded = load_orderers(write(tmp_path, "a.yaml", ORDERERS_HEAD + SAGA + TOSU + group))
    assert loaded.groups[0].members == ("佐賀市", "鳥栖市")
    bad = group.replace("members: [佐賀市, 鳥栖市]", "members: [佐賀市, 札幌市]").replace(
        "name: 佐賀の2市", "name: 鳥栖市"
    )
    text = ORDERERS_HEAD + SAGA + TOSU + bad
    assert problems_of(load_orderers, write(tmp_path, "b.yaml", text)) == [
        f"b.yaml:{line_of(text, 'name: 鳥栖市', 2)}: groups[0].name: "
        "鳥栖市 は既に発注者の名前か別名、または他のグループの名前です",
        f"b.yaml:{line_of(text, 'members')}: groups[0].members[1]: 札幌市 は一覧にない発注者です",
    ]
    one = group.replace("members: [佐賀市, 鳥栖市]", "members: [佐賀市]")
    (problem,) = problems_of(load_orderers, write(tmp_path, "c.yaml", ORDERERS_HEAD + SAGA + one))
    assert "groups[0].members" in problem


def test_duplicate_orderer_is_reported_alongside_other_errors(tmp_path: Path) -> None:
    # An invalid item makes pydantic skip the file-level check; the loader still finds it.
    text = ORDERERS_HEAD + SAGA + TOSU.replace("2026-03-01", "2025-02-30") + SAGA
    path = write(tmp_path, "orderers.yaml", text)
    assert problems_of(load_orderers, path) == [
        f"orderers.yaml:{line_of(text, '2025-02-30')}: orderers[1].start_date: "
        "2025-02-30 は日付ではありません（例: 2026-04-01）",
        f"orderers.yaml:{line_of(text, '佐賀市', 2)}: orderers[2].name: "
        "佐賀市（佐賀県） が2回あります（orderers[0]と同じ）",
    ]


def test_duplicate_faq_id_and_question(tmp_path: Path) -> None:
    second = FAQ_OK.removeprefix("entries:\n").replace(
        "      - 契約書が紙なのですが電子保証にできますか\n",
        "      - 契約書が紙なのですが 電子保証にできますか\n",
    )
    text = FAQ_OK + second
    path = write(tmp_path, "faq.yaml", text)
    problems = problems_of(load_faq, path)
    assert problems[0] == (
        f"faq.yaml:{line_of(text, 'id: paper-contract', 2)}: entries[1].id: "
        "paper-contract が2回あります（entries[0]と同じ）"
    )
    assert problems[1] == (
        f"faq.yaml:{line_of(text, '紙の契約でも', 2)}: entries[1].questions[0]: "
        "「紙の契約でも電子保証は使えますか」 が2回あります（entries[0].questions[0]と同じ）"
    )
    # Spacing differences do not make a question different.
    assert problems[3].startswith(
        f"faq.yaml:{line_of(text, 'なのですが 電子')}: entries[1].questions[2]: "
    )
    assert len(problems) == 4


def test_out_of_scope_topics_load_and_share_the_faq_uniqueness(tmp_path: Path) -> None:
    scope = """\
out_of_scope:
  - id: guarantee-fee-amount
    topic: 保証料の金額
    questions:
      - 保証料はいくらになりますか
      - 保証料の計算方法
      - 請負金額が三千万円のときの保証料
"""
    faq = load_faq(write(tmp_path, "faq.yaml", FAQ_OK + scope))
    assert [(o.id, o.topic, len(o.questions)) for o in faq.out_of_scope] == [
        ("guarantee-fee-amount", "保証料の金額", 3)
    ]
    clash = scope.replace("保証料の計算方法", "紙の契約でも電子保証は使えますか").replace(
        "guarantee-fee-amount", "paper-contract"
    )
    text = FAQ_OK + clash
    problems = problems_of(load_faq, write(tmp_path, "faq.yaml", text))
    assert problems == [
        f"faq.yaml:{line_of(text, 'id: paper-contract', 2)}: out_of_scope[0].id: "
        "paper-contract が2回あります（entries[0]と同じ）",
        f"faq.yaml:{line_of(text, '紙の契約でも', 2)}: out_of_scope[0].questions[1]: "
        "「紙の契約でも電子保証は使えますか」 が2回あります（entries[0].questions[0]と同じ）",
    ]


def test_duplicate_faq_id_alongside_other_errors(tmp_path: Path) -> None:
    second = FAQ_OK.removeprefix("entries:\n").replace("answer: >-", "answer: ''\n    unused: >-")
    text = FAQ_OK + second
    path = write(tmp_path, "faq.yaml", text)
    problems = problems_of(load_faq, path)
    assert f"faq.yaml:{line_of(text, 'id:', 2)}: entries[1].id: " in problems[0]
    assert f"faq.yaml:{line_of(text, 'answer', 2)}: entries[1].answer: 空にはできません" in (
        problems
    )
    assert (
        f"faq.yaml:{line_of(text, 'unused')}: entries[1].unused: 知らない項目です: unused"
        in problems
    )


def test_duplicate_out_of_scope_question_alongside_other_errors(tmp_path: Path) -> None:
    scope = """\
out_of_scope:
  - id: paper-contract
    topic: ''
    questions:
      - 紙の契約でも電子保証は使えますか
      - 保証料の計算方法
      - 保証料率は何パーセント
"""
    text = FAQ_OK + scope
    problems = problems_of(load_faq, write(tmp_path, "faq.yaml", text))
    assert (
        f"faq.yaml:{line_of(text, 'id: paper-contract', 2)}: out_of_scope[0].id: " in (problems[0])
    )
    assert any(
        p.startswith(f"faq.yaml:{line_of(text, '紙の契約でも', 2)}: out_of_scope[0].questions[0]: ")
        for p in problems
    )
    assert f"faq.yaml:{line_of(text, 'topic')}: out_of_scope[0].topic: 空にはできません" in (
        problems
    )


def test_faq_entry_rules(tmp_path: Path) -> None:
    text = (
        FAQ_OK.replace("id: paper-contract", "id: Paper_Contract")
        .replace("      - 契約書が紙なのですが電子保証にできますか\n", "")
        .replace("kumamoto-guide-2025", "000.txt")
    )
    path = write(tmp_path, "faq.yaml", text)
    assert problems_of(load_faq, path) == [
        "faq.yaml:2: entries[0].id: Paper_Contract はIDになりません"
        "（半角英小文字・数字をハイフンでつなぐ。例: paper-contract）",
        "faq.yaml:4: entries[0].questions: 3件以上必要です",
        f"faq.yaml:{line_of(text, 'source')}: entries[0].source: 000.txt は sources.yaml "
        "にない出典です（例: saga-guide-2026）",
    ]


def test_branch_rules(tmp_path: Path) -> None:
    text = BRANCHES_OK.replace("096-364-1155", "0963641155").replace("862-0976", "862-097")
    text += text.removeprefix(BRANCHES_OK.split("  - ")[0])
    path = write(tmp_path, "branches.yaml", text)
    assert problems_of(load_branches, path) == [
        "branches.yaml:5: branches[0].phone: 0963641155 は電話番号ではありません（例: 096-364-1155）",
        "branches.yaml:7: branches[0].postal_code: 862-097 は郵便番号ではありません（例: 862-0976）",
        "branches.yaml:9: branches[1].name: 熊本支店 が2回あります（branches[0]と同じ）",
        "branches.yaml:10: branches[1].phone: 0963641155 は電話番号ではありません（例: 096-364-1155）",
        "branches.yaml:12: branches[1].postal_code: 862-097 は郵便番号ではありません（例: 862-0976）",
    ]


def test_all_problems_are_collected_in_line_order(tmp_path: Path) -> None:
    text = (
        ORDERERS_HEAD
        + TOSU.replace("2026-03-01", "2025-02-30").replace("category: 市町村", "category: 市")
        + SAGA.replace("    as_of: 2026-02-26\n", "    as_of: 2026-02-26\n    extra: 1\n")
    )
    path = write(tmp_path, "orderers.yaml", text)
    problems = problems_of(load_orderers, path)
    lines = [int(p.split(":")[1]) for p in problems]
    assert lines == sorted(lines)
    assert [p.split(": ")[1] for p in problems] == [
        "orderers[0].category",
        "orderers[0].start_date",
        "orderers[1].extra",
    ]


def test_problem_str_formats() -> None:
    assert str(Problem("data/x.yaml", 3, "a.b", "bad")) == "data/x.yaml:3: a.b: bad"
    assert (
        str(Problem("data/x.yaml", None, "", "ファイルがありません"))
        == "data/x.yaml: ファイルがありません"
    )


def test_models_validate_when_built_directly() -> None:
    with pytest.raises(pydantic.ValidationError):
        Orderer(
            name="佐賀市",
            reading="さがし",
            category=Category.MUNICIPALITY,
            prefecture="佐賀県",
            start_date=date(2023, 6, 2),
            start_precision="month",
            source=SRC,
            as_of=date(2026, 2, 26),
        )


# --------------------------------------------------------------------------- check_files


def test_check_files_counts_and_render(tmp_path: Path) -> None:
    tokyo_fuchu = SAGA.replace("佐賀県", "東京都").replace("name: 佐賀市", "name: 府中市")
    mlit = f"""\
  - name: 国土交通省
    reading: こくどこうつうしょう
    category: 国
    source: {SRC}
    as_of: 2026-02-26
    verified: false
"""
    orderers = write(tmp_path, "orderers.yaml", ORDERERS_HEAD + TOSU + SAGA + tokyo_fuchu + mlit)
    faq = write(tmp_path, "faq-extra.yaml", FAQ_OK)
    branches = write(tmp_path, "branches.yaml", BRANCHES_OK)
    report = check_files([orderers, faq, branches])
    assert report.ok
    assert report.files == ["orderers.yaml", "faq-extra.yaml", "branches.yaml"]
    assert report.orderers == 4
    assert report.orderers_by_category == {"国": 1, "市町村": 3}
    assert report.orderers_by_prefecture == {"東京都": 1, "佐賀県": 2, "都道府県なし": 1}
    assert report.unverified_orderers == 1
    assert (report.faq_entries, report.faq_questions, report.branches) == (1, 3, 1)
    text = report.render()
    assert "発注者: 4件（要確認 1件）" in text
    assert "    市町村: 3件" in text
    assert "    佐賀県: 2件" in text
    assert "FAQ: 1件（質問文 3件）" in text
    assert "支店: 1件" in text
    assert text.endswith("問題はありません。")


def test_check_files_reports_problems_and_unknown_names(tmp_path: Path) -> None:
    bad_faq = write(tmp_path, "faq.yaml", FAQ_OK.replace("2025-02-27", "2025-02-30"))
    other = write(tmp_path, "notes.yaml", "a: 1\n")
    branches = write(tmp_path, "branches.yaml", BRANCHES_OK)
    report = check_files([bad_faq, other, branches])
    assert not report.ok
    assert [str(p) for p in report.problems] == [
        f"faq.yaml:{line_of(FAQ_OK, 'as_of')}: entries[0].as_of: 2025-02-30 は日付ではありません（例: 2026-04-01）",
        "notes.yaml: 知識ファイルの種類が分かりません（orderers*.yaml・faq*.yaml・branches*.yaml・"
        "synonyms*.yaml・cues*.yaml・sources*.yaml・municipalities*.csv か職員の修正・公開ページのファイル）",
    ]
    assert report.branches == 1
    text = report.render()
    assert "問題: 2件" in text
    assert text.splitlines()[-2:] == [str(p) for p in report.problems]


# --------------------------------------------------------------------------- synonyms

SYNONYMS_OK = """\
groups:
  - term: 紙契約
    variants: [書面の請負契約, 紙の契約]
  - term: 認証キー
    variants: [キー]
    note: 「キー」だけでも認証キーのこと
"""


def test_valid_synonyms_load(tmp_path: Path) -> None:
    data = load_synonyms(write(tmp_path, "synonyms.yaml", SYNONYMS_OK))
    assert [g.term for g in data.groups] == ["紙契約", "認証キー"]
    assert data.groups[0].variants == ("書面の請負契約", "紙の契約")
    assert data.groups[1].note == "「キー」だけでも認証キーのこと"


def test_synonyms_unknown_key_and_empty_variants(tmp_path: Path) -> None:
    text = SYNONYMS_OK.replace("    note:", "    notes:").replace("[キー]", "[]")
    problems = problems_of(load_synonyms, write(tmp_path, "synonyms.yaml", text))
    assert problems == [
        f"synonyms.yaml:{line_of(text, '[]')}: groups[1].variants: 1件以上必要です",
        f"synonyms.yaml:{line_of(text, 'notes:')}: groups[1].notes: 知らない項目です: notes",
    ]


def test_synonym_words_belong_to_one_group(tmp_path: Path) -> None:
    # a term among its own variants; キー again in another group (folded: きー = キー)
    text = SYNONYMS_OK.replace("[書面の請負契約, 紙の契約]", "[書面の請負契約, 紙契約]")
    problems = problems_of(load_synonyms, write(tmp_path, "synonyms.yaml", text))
    line = line_of(text, "紙契約]")
    assert problems == [f"synonyms.yaml:{line}: groups[0].variants[1]: 紙契約 は term そのものです"]
    text = SYNONYMS_OK.replace("[書面の請負契約, 紙の契約]", "[書面の請負契約, きー]")
    problems = problems_of(load_synonyms, write(tmp_path, "synonyms.yaml", text))
    assert problems == [
        f"synonyms.yaml:{line_of(text, '[キー]')}: groups[1].variants[0]: "
        "キー は既に書かれています（groups[0].variants[1]）"
    ]


def test_synonym_duplicates_are_reported_alongside_other_errors(tmp_path: Path) -> None:
    text = SYNONYMS_OK.replace("[キー]", "[キー, 紙の契約, 3]")
    problems = problems_of(load_synonyms, write(tmp_path, "synonyms.yaml", text))
    line = line_of(text, "[キー, 紙の契約, 3]")
    assert problems == [
        f"synonyms.yaml:{line}: groups[1].variants[2]: 文字列を書いてください（3）",
        f"synonyms.yaml:{line}: groups[1].variants[1]: "
        "紙の契約 は既に書かれています（groups[0].variants[1]）",
    ]


def test_check_files_recognises_synonyms(tmp_path: Path) -> None:
    report = check_files([write(tmp_path, "synonyms-extra.yaml", SYNONYMS_OK)])
    assert report.ok and report.synonym_groups == 2
    assert "同義語: 2組" in report.render()


# --------------------------------------------------------------------------- lookup


def make(name: str, reading: str, prefecture: str | None, **extra: object) -> Orderer:
    category = extra.pop("category", Category.MUNICIPALITY)
    return Orderer.model_validate(
        {
            "name": name,
            "reading": reading,
            "category": category,
            "prefecture": prefecture,
            "source": SRC,
            "as_of": date(2026, 2, 26),
            **extra,
        }
    )


@pytest.fixture
def index() -> OrdererIndex:
    return OrdererIndex(
        [
            make("鳥栖市", "とすし", "佐賀県"),
            make("姶良市", "あいらし", "鹿児島県", aliases=["始良市"]),
            make("府中市", "ふちゅうし", "東京都"),
            make("府中市", "ふちゅうし", "広島県"),
            make("佐賀県", "さがけん", "佐賀県", category=Category.PREFECTURE),
            make("佐賀市", "さがし", "佐賀県"),
            make("鶴ヶ島市", "つるがしまし", "埼玉県"),
            make("芦北町", "あしきたまち", "熊本県"),
            make("国土交通省", "こくどこうつうしょう", None, category=Category.STATE),
        ]
    )


def names(orderers: list[Orderer]) -> list[tuple[str, str | None]]:
    return [(o.name, o.prefecture) for o in orderers]


def test_normalize_name() -> None:
    assert normalize_name(" トス シ ") == "とすし"
    assert normalize_name("ﾄｽｼ") == "とすし"
    assert normalize_name("ＡＢＣ　市") == "abc市"
    assert normalize_name("鶴ケ島市") == normalize_name("鶴ヶ島市")


def test_find_by_name_reading_and_alias(index: OrdererIndex) -> None:
    assert names(index.find("鳥栖市")) == [("鳥栖市", "佐賀県")]
    assert names(index.find("とすし")) == [("鳥栖市", "佐賀県")]
    assert names(index.find("トスシ")) == [("鳥栖市", "佐賀県")]
    assert names(index.find("始良市")) == [("姶良市", "鹿児島県")]
    assert names(index.find("鶴ケ島市")) == [("鶴ヶ島市", "埼玉県")]
    assert names(index.find("国土交通省")) == [("国土交通省", None)]


def test_find_without_suffix(index: OrdererIndex) -> None:
    assert names(index.find("鳥栖")) == [("鳥栖市", "佐賀県")]
    assert names(index.find("とす")) == [("鳥栖市", "佐賀県")]
    assert names(index.find("あしきた")) == [("芦北町", "熊本県")]
    # 佐賀 is both 佐賀県 and 佐賀市.
    assert names(index.find("佐賀")) == [("佐賀県", "佐賀県"), ("佐賀市", "佐賀県")]
    # No stems for national bodies.
    assert index.find("国土交通") == []


def test_find_ambiguous_and_qualified(index: OrdererIndex) -> None:
    assert names(index.find("府中")) == [("府中市", "東京都"), ("府中市", "広島県")]
    assert names(index.find("府中市")) == [("府中市", "東京都"), ("府中市", "広島県")]
    assert names(index.find("府中市(広島県)")) == [("府中市", "広島県")]
    assert names(index.find("府中市（東京都）")) == [("府中市", "東京都")]
    assert names(index.find("東京都府中市")) == [("府中市", "東京都")]
    assert index.find("府中市(佐賀県)") == []
    assert index.find("熊本市") == []
    assert index.find("  ") == []


def test_display_names(index: OrdererIndex) -> None:
    assert [index.display_name(o) for o in index.find("府中")] == [
        "府中市（東京都）",
        "府中市（広島県）",
    ]
    assert [index.display_name(o) for o in index.find("鳥栖")] == ["鳥栖市"]


def test_suggest_for_typos(index: OrdererIndex) -> None:
    assert index.suggest("鳥巣市")[0] == "鳥栖市"
    assert index.suggest("とうすし")[0] == "鳥栖市"
    assert index.suggest("ふちゅ") == ["府中市（東京都）", "府中市（広島県）"]
    assert index.suggest("府中", limit=1) == ["府中市（東京都）"]
    assert len(index.suggest("さ", limit=3)) <= 3
    assert index.suggest("xyzzy") == []
    assert index.suggest("") == []


# --------------------------------------------------------------------------- shipped files


def test_shipped_files_validate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    orderers = load_orderers()
    faq = load_faq()
    branches = load_branches()
    assert orderers.orderers
    assert faq.entries
    assert branches.branches
    assert load_synonyms().groups
    report = check_files(None)
    assert report.ok, report.render()
    assert report.synonym_groups > 0
    index = OrdererIndex(orderers.orderers)
    for orderer in orderers.orderers:
        assert orderer in index.find(orderer.name)
        assert orderer in index.find(orderer.reading)


def test_shipped_text_names_documents_not_their_file_numbers() -> None:
    """Notes and answers are shown to staff: a document is named (佐賀支店の案内), never by the
    number of the file it was read from (003)."""
    file_number = re.compile(r"(?<![0-9-])00[0-4](?![0-9])")
    shown = [n for o in load_orderers().orderers for n in o.notes]
    shown += [e.answer for e in load_faq().entries]
    assert len(shown) > 300
    assert [text for text in shown if file_number.search(text)] == []
