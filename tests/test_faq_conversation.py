"""The assistant in a conversation: follow-ups carry the orderer, the aspect, the branch or the
field of the turn before; clarifications pick a body offered; a question of its own resets."""

from __future__ import annotations

import io
import json
import os
from functools import cache
from itertools import pairwise
from typing import Any

import pytest
from rich.text import Text

from faq.conversation import Conversation, _pick
from faq.engine import Answer, Assistant
from faq.normalize import clean, fold
from faq.render import NO_LINE_START
from tests.helpers import cli


@cache
def assistant() -> Assistant:
    return Assistant.load()


def talk(*questions: str) -> list[Answer]:
    c = Conversation(assistant())
    return [c.ask(q) for q in questions]


def test_a_follow_up_keeps_the_orderer_or_the_aspect() -> None:
    start, where, saga = talk("鳥栖市はいつから電子保証？", "じゃあ提出先は？", "佐賀市は？")
    assert start.orderer == "鳥栖市" and start.aspect == "start"
    assert where.answer.startswith("（鳥栖市の提出先・提出方法として回答）")
    assert "契約検査課" in where.answer
    assert saga.orderer == "佐賀市" and saga.aspect == "submission"
    assert saga.answer.startswith("（佐賀市の提出先・提出方法として回答）")


def test_a_branch_answer_carries_no_orderer_and_a_decline_reads_as_nothing() -> None:
    later = "e-Netの資料送付で間違ったファイルを送っちゃったみたいで、取り消しってできます？"
    phone, undo = talk("宮崎市店の電話番号おしえてください", later)  # 市店: 支店 misspelt
    assert phone.branch == "宮崎支店" and not undo.answered
    assert "として回答" not in undo.answer
    _start, undo = talk("宮崎市の工事は電子いける？", later)  # declined: not 「…として回答」
    assert not undo.answered and "として回答" not in undo.answer


def test_a_follow_up_keeps_the_branch_or_the_field() -> None:
    phone, fax, saga = talk("熊本支店の電話番号は？", "FAXは？", "佐賀支店は？")
    assert phone.field == "phone"
    assert (fax.branch, fax.field) == ("熊本支店", "fax")
    assert (saga.branch, saga.field) == ("佐賀支店", "fax")


@pytest.mark.parametrize(
    ("reply", "meant"),
    [
        ("熊本の方です", "大津町"),
        ("滋賀県の", "大津市"),
        ("町のほう", "大津町"),
        ("九州のほう", "大津町"),  # the region its prefecture is in (region.* in cues.yaml)
        ("関西の", "大津市"),
    ],
)
def test_a_clarification_in_words_picks_the_body(reply: str, meant: str) -> None:
    which, answer = talk("大津っていつから電子保証？", reply)
    assert not which.answered and len(which.candidates) == 2
    assert answer.answered and answer.orderer == meant and answer.aspect == "start"


def test_after_a_pick_the_other_body_offered_is_one_word_away() -> None:
    *_, city = talk("四万十で電子証書使えるか聞かれてる", "町のほう", "市は")
    assert (city.orderer, city.aspect) == ("四万十市", "start")
    *_, other = talk("熊野ってもう電子保証始まってます？", "広島の熊野です", "ほんなら府中町は")
    assert other.orderer == "府中町"  # a body named is not one of those offered


def test_a_question_of_its_own_starts_afresh() -> None:
    _tosu, paper, after = talk(
        "鳥栖市はいつから電子保証？", "紙の契約でも電子保証は使えますか", "じゃあ提出先は？"
    )
    assert paper.entry_id == "paper-contract" and not paper.answer.startswith("（")
    assert not after.answer.startswith("（鳥栖市")


def test_batch_json_lines_are_conversations(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [
        {"conversation": "c1", "question": "鳥栖市はいつから電子保証？"},
        {"conversation": "c2", "question": "熊本支店の電話番号は？"},
        {"conversation": "c1", "question": "じゃあ提出先は？"},
        {"conversation": "c2", "question": "FAXは？"},
    ]
    text = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\nじゃあ提出先は？\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    out = cli(capsys, "ask")
    assert out.code == 0, out.err
    answers: list[dict[str, Any]] = [json.loads(x) for x in out.out.splitlines()]
    assert [a.get("conversation") for a in answers] == ["c1", "c2", "c1", "c2", None]
    carried = {"orderer": "鳥栖市", "aspect": None, "branch": None, "field": None, "dates": []}
    assert answers[2]["context"] == carried
    assert answers[3]["context"]["branch"] == "熊本支店" and answers[3]["field"] == "fax"
    assert not answers[4]["answered"]  # a plain line is a conversation of its own


def test_a_bad_json_line_is_named_and_the_rest_answered(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO('{"question": 1}\n熊本支店のFAXは？\n'))
    out = cli(capsys, "ask")
    assert out.code == 1 and "1行目" in out.err
    assert json.loads(out.out)["field"] == "fax"


def test_chat_carries_the_conversation_and_starts_again_on_new(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    said = "鳥栖市はいつから電子保証？\nじゃあ提出先は？\n/new\nじゃあ提出先は？\n/json\n熊本支店のFAX\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(said))
    out = cli(capsys, "chat")
    assert out.code == 0, out.err
    assert "（鳥栖市の提出先・提出方法として回答）" in out.out
    after_new = out.out.split("新しい会話を始めます", 1)[1]
    assert "該当する回答が見つかりません" in after_new.split("JSONで表示します")[0]
    last = json.loads(out.out.strip().splitlines()[-1])
    assert last["field"] == "fax" and "context" in last


@pytest.mark.parametrize(
    ("shown", "reply", "meant"),
    [
        (
            ("日高町（和歌山県）", "日高町（北海道）"),
            "和歌山県の日高町です",
            ("日高町", "和歌山県"),
        ),
        (("熊本県", "熊本市（熊本県）"), "熊本県のほうです", ("熊本県", "")),
        (("熊本県", "熊本市（熊本県）"), "市の方", ("熊本市", "熊本県")),
        (("大津市（滋賀県）", "大津町（熊本県）"), "どちらでも", None),
    ],
)
def test_a_clarification_is_the_body_it_says_most_of(
    shown: tuple[str, ...], reply: str, meant: tuple[str, str] | None
) -> None:
    assert _pick(assistant().cues, shown, fold(clean(reply))) == meant


def test_a_prefecture_alone_after_a_body_is_its_prefecture() -> None:
    _city, prefecture = talk("大分市はいつから電子保証？", "県は？")
    assert prefecture.orderer == "大分県" and prefecture.aspect == "start"
    assert prefecture.answer.startswith("（大分県の運用開始日として回答）")


def test_a_long_question_of_an_aspect_only_is_asked_of_the_orderer_before() -> None:
    _start, scope, paper = talk(
        "熊本市はいつから電子保証？",
        "設計や測量の業務委託も電子証書の対象になりますか",
        "紙の契約書でも電子保証は使えるんでしょうか",
    )
    assert (scope.orderer, scope.aspect) == ("熊本市", "coverage")
    assert paper.entry_id == "paper-contract" and not paper.answer.startswith("（")


def test_an_opener_before_a_name_is_no_part_of_it() -> None:
    _tosu, takeo = talk("鳥栖市はいつから電子保証？", "じゃあ 武雄は")
    assert (takeo.orderer, takeo.aspect) == ("武雄市", "start")


def test_a_long_follow_up_stands_alone_when_an_entry_answers_it_clearly() -> None:
    _start, hours = talk(
        "長崎県はいつから電子保証？", "あと、e-Net保証は夜は何時まで使えるんでしょうか"
    )
    assert hours.entry_id == "enet-hours" and not hours.answer.startswith("（")
    # no entry answers this one clearly by itself: it is asked of 長崎県
    _start, where = talk("長崎県はいつから電子保証？", "それから認証キーはどこに送ればいいですか")
    assert (where.orderer, where.aspect) == ("長崎県", "submission")


def test_a_weak_word_of_the_start_does_not_carry_the_orderer() -> None:
    _start, then = talk("大分県は電子保証いつから？", "じゃあ何から始めればいいですか")
    assert not then.answer.startswith("（大分県")


def test_a_short_follow_up_after_an_faq_answer_goes_on_with_its_topic() -> None:
    _what, more, weather = talk(
        "電子証書・認証キー登録のお知らせメールはいつ来ますか", "来たらその次は？", "明日の天気は？"
    )
    assert more.answered and more.entry_id != "notification-email"
    assert more.answer.startswith("（") and "の話の続きとして回答）" in more.answer
    assert not weather.answered  # nothing of the domain: not answered through the topic


def test_the_topic_before_chooses_among_the_entries_the_turn_itself_suggests() -> None:
    # 費用 is the turn's own subject: the topic (電子保証の概要) only picks among the entries
    # about a cost, it does not bring back the entry before
    _what, cost = talk("電子保証ってそもそも何なんですか", "それって費用かかる？")
    assert cost.answered and cost.entry_id != "electronic-guarantee-what"
    alone = assistant().ask("それって費用かかる？", top=5)
    suggested = {alone.entry_id, *(x.entry_id for x in alone.alternatives)}
    assert cost.entry_id in suggested


def test_after_an_entry_about_an_orderer_a_follow_up_stays_with_that_orderer() -> None:
    _what, cost = talk("鳥栖市の電子契約って何使うの", "費用は？")
    assert cost.entry_id == "tosu-econtract-cost"  # not the general cost of guarantees
    _consent, again = talk("鳥栖市の電子契約利用承諾書ってなに？", "変更契約のときもまた出すの？")
    assert again.entry_id == "tosu-consent-form-change"
    for first in ("鳥栖市の電子契約って何使うの", "とすしの認証キーはどこに出せばいい？"):
        _first, weather = talk(first, "明日の天気は？")
        assert not weather.answered, first  # words the knowledge never uses


def test_a_guarantor_asked_after_an_orderer_is_whose_certificates_it_takes() -> None:
    _start, bank = talk(
        "下関市の上下水道局の工事、電子保証できます？", "銀行の保証はダメなんだっけ"
    )
    assert (bank.orderer, bank.aspect) == ("下関市", "documents")
    alone = assistant().ask("銀行の保証はダメなんだっけ")  # with no orderer: not answered
    assert not alone.answered


def test_the_topic_before_brings_an_entry_not_a_record_read_another_way() -> None:
    # the record answers the start as itself, not as "the topic of submission, continued"
    *_, start = talk("鳥栖市の電子保証の対象ってどの契約？", "提出先は？", "始まるのいつからだっけ")
    assert (start.orderer, start.aspect) == ("鳥栖市", "start")
    assert start.answer.startswith("（鳥栖市の運用開始日として回答）")


def test_the_orderer_said_again_with_another_question_is_not_its_last_aspect() -> None:
    _guarantors, contact = talk(
        "島根県って保険会社の保証も電子で出せる？", "県の担当窓口の連絡先は？"
    )
    assert contact.entry_id == "shimane-contact"  # not 島根県's certificates again


def test_a_follow_up_lost_among_its_own_candidates_is_asked_with_the_topic() -> None:
    # 紙の場合は alone suggests nothing on costs: asked with the topic before, it is the cost
    _cost, paper = talk("電子保証って費用いるの？", "紙の場合はどう？")
    assert not assistant().ask("紙の場合はどう？").answered
    assert paper.entry_id == "cost" and paper.answer.startswith("（費用")


def test_a_turn_shows_as_many_candidates_as_asked() -> None:
    c = Conversation(assistant())
    for top in (1, 2, 3):
        answer = c.ask("電子保証ってそもそも何なんですか", top=top)
        alone = assistant().ask("電子保証ってそもそも何なんですか", top=top)
        assert answer.alternatives == alone.alternatives and len(answer.alternatives) == top - 1
    unknown = c.ask("それって大丈夫？", top=2)
    assert len(unknown.alternatives) <= 2


def test_the_prefecture_of_the_body_before_is_said_as_ken() -> None:
    _city, where = talk("鹿児島市の認証キーはどこに出す？", "けんの ていしゅつさきは")
    assert (where.orderer, where.aspect) == ("鹿児島県", "submission")


def test_another_orderer_said_at_length_keeps_the_question() -> None:
    _first, other = talk("五島市の電子保証はいつから？", "ちなみに南島原市の場合はどうなりますか")
    assert (other.orderer, other.aspect) == ("南島原市", "start")


def test_another_orderer_as_the_one_ordering_keeps_the_question() -> None:
    _first, other = talk("佐賀市の電子保証はいつから？", "小城市の案件だったら？")
    assert (other.orderer, other.aspect) == ("小城市", "start")


def test_a_body_picked_among_namesakes_is_said_with_its_prefecture_again() -> None:
    _which, picked, entrusted = talk("小国町は電子いけますか", "熊本のほうです", "委託は？")
    assert (picked.orderer, entrusted.orderer, entrusted.aspect) == ("小国町", "小国町", "coverage")
    assert entrusted.answered, entrusted  # not asked back which 小国町 again
    # the other one offered, by its prefecture alone
    _which, _kumamoto, okinawa = talk(
        "西原は委託も電子保証の対象？", "熊本の村です", "沖縄の方も一応"
    )
    assert okinawa.orderer == "西原町" and "掲載なし" in okinawa.answer, okinawa


def test_another_kind_of_guarantee_alone_keeps_the_question() -> None:
    _where, advance = talk("鳥栖市へ契約保証の認証キーはどこに出すんですか", "前払金のほうは？")
    assert advance.answer.startswith("（鳥栖市の提出先・提出方法として回答）"), advance
    # after the start, the kind said is whether it is covered
    _start, kind = talk("宮崎県の電子保証はいつから？", "契約保証も？")
    assert (kind.orderer, kind.aspect) == ("宮崎県", "documents"), kind
    # after an answer from the record, an aspect asked stays the record's (no entry's topic)
    _first, _start, covered = talk(
        "熊本県の電子保証って業務委託にも使えますか", "開始日は", "契約保証も対象？"
    )
    assert (covered.orderer, covered.aspect) == ("熊本県", "documents"), covered


def test_the_date_said_goes_on_with_the_call() -> None:
    c = Conversation(assistant())
    c.ask("鳥栖市で令和8年2月1日公告の工事は電子保証使える？")
    saga = c.ask("じゃあ佐賀市は？")  # the same case, for another orderer
    assert saga.orderer == "佐賀市" and [d.day for d in saga.dates] == ["2026-02-01"]
    assert c.last_carried.to_json()["dates"] == ["2026-02-01"]
    own = c.ask("唐津市で令和5年1月10日契約なら？")  # a date of its own replaces it
    assert [d.day for d in own.dates] == ["2023-01-10"]
    c.ask("電子証書ってそもそも何？")  # another topic: nothing carried
    assert c.ask("武雄市はいつから？").dates == ()
    # the old contract said before, asked of its intermediate advance
    _old, later = talk(
        "広島県、契約日がR6.5.28の工事の変更契約は電子でいける？", "中間前払金の方は？"
    )
    assert later.aspect == "pre_start" or later.entry_id == "hiroshima-pre-start", later
    assert "【令和6年5月28日の案件】" in later.answer


def test_a_later_date_after_an_old_contract_asks_whether_it_can_be_used() -> None:
    first = "島根県で令和5年5月31日に契約した工事の変更は電子でいける？"
    old, later = talk(first, "令和5年6月2日契約なら")
    assert old.aspect == "pre_start" or old.entry_id == "shimane-pre-start", old
    assert later.answer.startswith("（島根県の運用開始日として回答）"), later
    _old, same = talk(first, "令和5年5月20日契約なら")  # still an old contract
    assert same.aspect == "pre_start" or same.entry_id == "shimane-pre-start", same


def test_a_date_after_another_aspect_asks_whether_it_can_be_used() -> None:
    _where, dated = talk("広島県には認証キーをどう出す？", "契約が2024年5月だったら？")
    start = dated.entry_id == "hiroshima-start" or (dated.orderer, dated.aspect) == (
        "広島県",
        "start",
    )
    assert start and dated.dates and not dated.dates[0].eligible  # before 令和6年6月1日
    # so with another orderer: its start, not the scope asked of the first
    _scope, other = talk("熊本市の業務委託は電子保証の対象？", "錦町で令和7年2月3日契約は")
    assert (other.orderer, other.aspect) == ("錦町", "start") and other.dates


def test_a_place_and_a_field_after_a_branch_is_that_branch() -> None:
    _phone, address = talk("大阪支店の電話", "京都の住所は")
    assert (address.branch, address.field) == ("京都支店", "address")


def test_a_prefecture_spoken_of_as_an_area_is_no_follow_up_of_the_last_body() -> None:
    _shimane, region = talk("島根県はいつから？", "話は変わりますが熊本県内で導入してる市町村は？")
    assert not region.answer.startswith("（島根県")


def test_a_long_follow_up_of_the_aspect_alone_is_the_orderers() -> None:
    _start, documents = talk("長崎県はいつから電子保証？", "中間前払金の証書も電子でいけるんですか")
    assert (documents.orderer, documents.aspect) == ("長崎県", "documents")


def test_a_short_turn_not_understood_keeps_the_call_on_its_orderer() -> None:
    _start, lost, dated = talk("福岡県はいつから電子保証？", "ほげほげは？", "令和七年一月一日契約")
    assert not lost.answered
    assert dated.orderer == "福岡県" and [d.said for d in dated.dates] == ["令和7年1月1日"]


def test_a_short_turn_is_asked_of_the_orderer_the_call_is_about() -> None:
    _start, departments = talk("島根県は電子保証いつから？", "どこの部の発注でも使えるの？")
    assert departments.entry_id == "shimane-departments"
    assert departments.answer.startswith("（島根県のこととして回答）")


def test_a_new_topic_said_so_carries_nothing() -> None:
    _start, rate = talk("鳥栖市はいつから電子保証？", "ところで利用率って何パーセント？")
    assert not rate.answer.startswith("（鳥栖市")


def test_chat_on_a_terminal_breaks_lines_as_the_panel_does(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("熊本県はいつから電子保証？\n"))
    monkeypatch.setattr("shutil.get_terminal_size", lambda *_a, **_k: os.terminal_size((40, 24)))
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    out = cli(capsys, "chat")
    assert out.code == 0, out.err
    lines = [line for line in out.out.splitlines() if line]
    assert len(lines) > 5 and all(Text(line).cell_len <= 40 for line in lines)
    assert not any(line[0] in NO_LINE_START for line in lines)
    assert not any(a[-1].isdigit() and b[0].isdigit() for a, b in pairwise(lines))
