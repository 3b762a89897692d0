"""The FAQ assistant: normalisation, synonyms, orderers and aspects, branches, abstention, the
JSON contract, templates, misses and the command line."""

from __future__ import annotations

import io
import json
import logging
import math
import re
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import create_engine

from core.db import Database
from core.knowledge import OutOfScope, cite, load_faq
from faq.cues import load_cues
from faq.engine import NOT_FOUND, Answer, Assistant, _without_tokens
from faq.entities import (
    asks_guarantee_only,
    asks_of,
    details_asked,
    details_missing,
    detect_aspect,
)
from faq.index import (
    Channel,
    Field,
    Terms,
    query_features,
    reading_occurrences,
    surface_occurrences,
    term_grams,
)
from faq.misses import is_miss, list_misses, record_miss
from faq.normalize import (
    Analysis,
    Courtesy,
    Token,
    Vocabulary,
    analyse_tokens,
    any_of,
    clean,
    fold,
    tokenize,
    tokenize_all,
    word_breaks,
)
from faq.render import TEMPLATES_DIR
from tests.helpers import cli

CUES = load_cues()

TODAY = date(2026, 11, 23)  # for a day said without its year (4月1日)


@cache
def assistant() -> Assistant:
    return Assistant.load()


def ask(question: str) -> Answer:
    return assistant().ask(question)


def mentions(question: str) -> list[tuple[str, list[str], str | None]]:
    cleaned, tokens = analyse_tokens(question)
    breaks = word_breaks(question)  # where the caller typed a space or a comma
    found = assistant().finder.find(fold(cleaned), tokens, breaks=breaks)
    return [(m.said, [o.name for o in m.orderers], m.unlisted) for m in found]


# --------------------------------------------------------------------------- normalisation


def test_clean_folds_width_case_dashes_and_punctuation() -> None:
    assert clean("Ｅ－Ｎｅｔ保証、キ-は？　ＳＴＥＰ３") == "e-net保証キーはstep3"
    assert clean("ＥーＮｅｔ") == "e-net"
    assert clean("「認証キー等のお知らせ」（PDF）") == "認証キー等のお知らせpdf"
    assert fold("カタカナとヶ") == "かたかなとけ"


def test_fillers_and_polite_endings_are_stripped_never_everything() -> None:
    strip_courtesy = assistant().vocabulary.courtesy.strip
    assert strip_courtesy("えーとですね電子保証教えていただけますでしょうか") == "電子保証"
    assert strip_courtesy("あのー認証きーってなんですか") == "認証きーってなん"
    assert strip_courtesy("ですか") == "ですか"
    # an apology before the question (folded: commas are gone)
    said = "あの初歩的なことで申し訳ないんですが認証きーって何のため"
    assert strip_courtesy(said) == "認証きーって何のため"
    assert strip_courtesy("恐れ入りますが鳥栖市は") == "鳥栖市は"
    # western dialect endings go too
    assert strip_courtesy("紙の契約でも使えると") == "紙の契約でも使える"
    assert strip_courtesy("鳥栖市はいつからやろか") == "鳥栖市はいつから"
    assert strip_courtesy("前払金も電子になるじゃろうか") == "前払金も電子になる"
    dialect, standard = (
        ask("紙の契約でも電子保証は使えると？"),
        ask("紙の契約でも電子保証は使える？"),
    )
    assert dialect.entry_id == standard.entry_id == "paper-contract"


def test_hiragana_fullwidth_and_kanji_questions_meet() -> None:
    a = assistant()
    kanji = a.analyse("電子保証は使えますか")
    kana = a.analyse("でんしほしょうはつかえますか")
    assert kanji.reading == kana.reading == "でんしほしょうはつかえ"
    assert kana.surface.startswith("電子保証")
    assert a.analyse("ＤーＳｕｒｅって何？").surface == a.analyse("D-Sureって何").surface


def test_what_a_question_asks_for() -> None:
    assert asks_of(CUES, "始まったのは何年くらい") == ("when",)
    assert asks_of(CUES, "何月から") == ("when",)
    assert asks_of(CUES, "何年からでしたっけ") == ("when",)
    for duration in ("何年間かかる", "何年前の契約", "何年もつの", "何年か前"):
        assert "when" not in asks_of(CUES, duration), duration


def test_homophone_typos_read_like_the_right_word() -> None:
    a = assistant()
    assert a.analyse("電子保障").reading == a.analyse("電子保証").reading
    assert "条件" in a.analyse("利用用件").terms  # 用件 sounds like 要件, a synonym of 条件
    assert a.analyse("電子保障の利用用件").surface == "電子保証の利用条件"  # the n-grams too
    # a synonym's variant is never read as a homophone (料率 is not 両立), nor rewritten twice
    rate = a.analyse("前払金保証の料率って何％くらい")
    assert "保証料率" in rate.terms and "両立" not in rate.terms
    assert rate.surface.count("保証料率") == 1 and "保証保証" not in rate.surface
    assert not a.ask("前払金保証の料率って何％くらい").answered
    assert a.analyse("利用条件").surface == "利用条件"  # a word the knowledge uses stays


# --------------------------------------------------------------------------- synonyms


@pytest.mark.parametrize(
    ("said", "meant"),
    [
        ("入札ボンドも電子にできる？", "契約保証予約"),
        ("にゅうさつぼんどもでんしにできる？", "契約保証予約"),
        ("紙の契約でも大丈夫？", "紙契約"),
        ("書面の請負契約でも電子保証？", "紙契約"),
        ("前払いの証書", "前払金"),
        ("中間前払いの証書", "中間前払金"),
        ("キーってどこ", "認証きー"),
        ("鳥栖市はいつから", "運用開始日"),
        ("データの証書に切り替えてる割合", "電子証書"),  # data is the electronic certificate
        ("証書をデータでもらうには", "電子交付"),
    ],
)
def test_synonyms_rewrite_questions(said: str, meant: str) -> None:
    assert meant in assistant().analyse(said).surface


def test_synonyms_apply_to_the_knowledge_too() -> None:
    a = assistant()
    # the shipped phrasing 「紙契約 電子保証」 and a caller's 「紙の契約」 share the term
    assert "紙契約" in a.analyse("紙の契約でも電子保証は使えますか").surface
    assert ask("書面契約 電子証書 可否").entry_id == "paper-contract"
    assert ask("入札ボンドってネットで申し込める？").entry_id == "bid-bond"


def test_a_one_kanji_variant_is_no_word_inside_a_compound() -> None:
    # a synthetic vocabulary: 得する (another word than its term) only where it stands alone
    synonyms = [("メリット", ["得する"]), ("申込み", ["申し込み"]), ("無料", ["タダ"])]
    vocabulary = Vocabulary(
        synonyms,
        [],
        asks=lambda _text: (),
        courtesy=Courtesy.of("(?!)", "(?!)"),
        stop=frozenset(),
        not_words=frozenset(),
        particles=frozenset({"で", "は"}),
    )

    def surface(text: str) -> str:
        return vocabulary.analyse(text, *analyse_tokens(text)).surface

    assert "めりっと" in surface("電子にすると得する？")
    assert surface("idを取得する方法") == "idを取得する方法"  # not 取めりっと
    assert "再申込み" in surface("再申し込みの方法")  # a spelling of its term: anywhere
    # a variant of two kana only as a word of its own (タダで; not いただく)
    assert "無料" in surface("e-Netってタダで使える？")
    assert surface("控えを返送していただく") == "控えを返送していただく"


def test_longer_synonym_wins_and_terms_are_not_doubled() -> None:
    surface = assistant().analyse("中間前払いと認証キー").surface
    assert surface == "中間前払金と認証きー"


# --------------------------------------------------------------------------- orderers


def test_orderer_by_name_alias_reading_and_stem() -> None:
    assert mentions("鳥栖市の工事") == [("鳥栖市", ["鳥栖市"], None)]
    assert mentions("とすしはいつから") == [("とすし", ["鳥栖市"], None)]
    assert mentions("鳥栖の工事") == [("鳥栖", ["鳥栖市"], None)]
    assert mentions("国交省の工事") == [("国交省", ["国土交通省"], None)]
    assert mentions("ＵＲ都市機構の工事")[0][1] == ["都市再生機構"]


def test_reading_toshi_answers_from_the_record() -> None:
    answer = ask("とすしってでんしほしょういつからですか")
    assert answer.answered
    assert "令和8年3月1日" in answer.answer and "入札公告" in answer.answer


def test_shared_name_asks_which_one() -> None:
    assert mentions("大津っていつから")[0][1] == ["大津市", "大津町"]
    answer = ask("大津っていつから電子保証？")
    assert not answer.answered and answer.kind == "orderer"
    assert "大津市（滋賀県）" in answer.answer and "大津町（熊本県）" in answer.answer
    listed = [a.question for a in answer.alternatives]
    assert any("大津市" in q for q in listed) and any("大津町" in q for q in listed)
    assert set(answer.candidates) == {"大津市（滋賀県）", "大津町（熊本県）"}
    kyoto = ask("きょうとはいつからでんしほしょう？")
    assert not kyoto.answered and len(kyoto.candidates) == 2


def test_a_name_an_unlisted_body_shares_asks_which_one() -> None:
    answer = ask("府中の電子保証はいつから？")  # 府中町 is listed; 府中市 (広島県, 東京都) is not
    assert not answer.answered and answer.kind == "orderer"
    assert answer.candidates[0] == "府中町（広島県）"  # the listed one first
    assert set(answer.candidates[1:]) == {"府中市（広島県）", "府中市（東京都）"}
    assert "府中市（広島県、一覧に掲載なし）" in answer.answer
    picked = ask(answer.alternatives[1].question)  # choosing a candidate answers it
    assert picked.answered and picked.listed is False
    assert f"{answer.candidates[1]}は一覧（令和8年2月2日現在）に掲載なし" in picked.answer
    both = ask("府中市の工事は電子保証？")  # no 府中市 is listed: both answered, none asked
    assert both.answered and "府中市（東京都）・府中市（広島県）は一覧" in both.answer
    assert ask("府中町の電子保証はいつから？").orderer == "府中町"  # said in full: no question
    assert ask("福岡の芦屋は電子保証いつから？").answered  # 芦屋市 is in 兵庫県, not 福岡県
    assert not ask("芦屋は電子保証いつから？").answered
    assert ask("府中市（広島県）の運用開始日").listed is False


def test_unlisted_bodies_and_typos() -> None:
    assert mentions("府中市の案件") == [("府中市", ["府中市", "府中市"], None)]  # two bodies
    assert mentions("札幌市の案件") == [("札幌市", ["札幌市"], None)]  # in the register
    assert mentions("中間前払金の保証") == []  # 中間市's stem inside a word
    assert mentions("国立大学の工事") == []  # nor 国立市's
    assert mentions("電子にしたら楽？") == []  # nor 設楽町's reading
    assert mentions("下関しの電子保証") == [("下関し", ["下関市"], None)]
    assert mentions("おかやましはでんしほしょう") == [("おかやまし", ["岡山市"], None)]
    assert mentions("東京都の工事で電子保証")[0][1] == ["東京都"]  # not 京都 inside it
    assert mentions("鳥巣市のキー")[0][1] == ["鳥栖市"]  # one kanji off, sounds close
    assert mentions("山口権はいつから")[0][1] == ["山口県"]  # 権 sounds like 県
    # a name read just as a listed one is (高地市: こうちし): that body, not asked back
    answer = ask("高地市の電子保証はいつから？")
    assert answer.answered and answer.orderer == "高知市"
    # a region before a kind of body is no long name's start (西日本高速道路)
    answer = ask("西日本の外の国立大学でも電子保証は使える？")
    assert answer.entry_id == "universities-kosen"
    assert ask("松江工業高専の工事は電子保証いつから？").orderer == "松江工業高等専門学校"
    # a body named after its town, the town said as a place; a university's short name
    assert ask("鹿屋の体育大学の工事は電子保証いける？").orderer == "鹿屋体育大学"
    assert ask("延岡の土地開発公社の工事も電子保証対応してる？").orderer == "延岡市土地開発公社"
    assert ask("鹿大の工事は電子保証対応してる？").orderer == "鹿児島大学"
    assert ask("福教大の工事は電子保証いつから？").orderer == "福岡教育大学"
    # where the caller works (…で), then the body asked of (…には)
    answer = ask("徳之島で県の工事を請けています。鹿児島県には認証キーをどう送れば？")
    assert answer.orderer == "鹿児島県"
    # an unlisted body's kana stem only with its own ending (聞いたこともなく is no 潮来都)
    assert mentions("うちは聞いたこともなくて") == []
    # what it is, asked by someone who names where they work: the entry, not the record
    answer = ask("屋久島で工事をしてる者です。そもそも電子保証ってどんなものなんですか")
    assert answer.entry_id == "electronic-guarantee-what"
    # what no record holds (契約保証予約), asked with the orderer as background
    answer = ask("ネクスコ西日本の入札に出るので契約保証予約を取りたい。これも電子でもらえる？")
    assert answer.entry_id == "bid-bond"
    # 証書、県に: a comma parts the run, no body 証書県
    assert mentions("旧案件の紙の証書、県に持っていく") == []
    # and ends a name typed before it (土床町、電子: 土床町 is a misspelt 土庄町, 庄 like 床)
    assert mentions("土床町、電子いける？")[0][1] == ["土庄町"]
    assert mentions("堺港市の工事")[0][1] == ["境港市"]
    assert mentions("ひえず村の工事")[0][1] == ["日吉津村"]  # づ typed ず (ひえづそん)
    # a kind of body mistyped as callers do (name.kind_typo): 高線, 工専 for 高専; 専問 for 専門
    assert mentions("鹿児島高線の改修工事")[0][1] == ["鹿児島工業高等専門学校"]
    assert mentions("北九州工業高等専問学校の工事")[0][1] == ["北九州工業高等専門学校"]
    assert mentions("明石高仙の工事")[0][1] == ["明石工業高等専門学校"]
    assert mentions("南島原氏の契約保証")[0][1] == ["南島原市"]  # 氏 for 市
    # a body said to be another than one named (とは別の) is the one asked about
    said = "大川村の村道工事、村に電子で証書を出せる？福岡の大川市とは別の、高知の大川村です"
    assert "大川村（高知県）は一覧" in ask(said).answer
    assert mentions("日吉律村の発注")[0][1] == ["日吉津村"]  # 律 looks like 津
    # a university misspelt by one kanji of the same reading, holding a stem of no listed body
    assert mentions("東京農耕大学の改修工事")[0][1] == ["東京農工大学"]
    assert mentions("吉野側市の工事")[0][1] == ["吉野川市"]
    assert mentions("鳴門市の工事")[0][1] == ["鳴門市"]  # a real body, never a typo
    assert mentions("都道府県は何県？市町村は200超えてる？") == []  # a run ending in a kind
    # a town's body said by the town, 「の」 and the end of the rest of its name
    assert mentions("柳井の広域水道企業団の工事")[0][1] == ["柳井地域広域水道企業団"]
    # a kana ending no body of the stem has is a word (宮崎との県境 names no 宮崎都)
    said = "宮崎との県境に近い業者さんが延岡市の工事を受注した。認証キーをどこに送れば"
    assert (ask(said).orderer, ask(said).aspect) == ("延岡市", "submission")
    # a name said partly in kana, its ending read another way (町: まち, ちょう)
    assert ask("東そのぎ町の電子保証はいつから？").orderer == "東彼杵町"
    assert mentions("宍栗市の工事")[0][1] == ["宍粟市"]  # 栗 looks like 粟 (name.lookalike_kanji)
    assert mentions("宮埼県の工事")[0][1] == ["宮崎県"]
    assert mentions("宮城県の工事")[0][1] == ["宮城県"]  # a real body is never a typo
    answer = ask("鳥巣市の契約保証のキーはどこに出せばいいの")
    # a name that is no body is asked back with the body it sounds like, never answered as it
    assert not answer.answered and answer.candidates == ("鳥栖市（佐賀県）",)
    assert answer.answer.startswith("「鳥巣市」という発注者は登録簿にありません。鳥栖市（佐賀県）")
    assert "契約検査課" in ask("鳥栖市（佐賀県）の提出先・提出方法").answer  # the offer, picked


def test_other_public_bodies_by_their_ending() -> None:
    assert mentions("岡山大学の工事") == [("岡山大学", ["岡山大学"], None)]  # listed
    assert mentions("新潟大学の電子保証") == [("新潟大学", [], "新潟大学")]  # not 新潟県
    assert mentions("環境省の発注") == [("環境省", ["環境省"], None)]
    for kinds in (
        "国立大学の工事",
        "省庁の工事",
        "官公庁の案件",
        "国立病院の工事",
        "市の土地開発公社",
        "住宅供給公社の工事",  # no place in it: a kind of body
        "紙の前払保証証書、事務所でなくした",  # the FAQ's own words before 事務所: no name
    ):
        assert all(m[2] is None for m in mentions(kinds)), kinds
    answer = ask("水産庁の工事で電子保証は使える？")
    assert answer.kind == "orderer" and answer.listed is False
    assert "水産庁は一覧（令和8年2月2日現在）に掲載なし" in answer.answer
    # typed in hiragana: the place in the kanji of the bodies named after it, listed or not
    assert mentions("ながさきだいがくってでんしほしょうどうにゅうしてる？") == [
        ("ながさきだいがく", [], "長崎大学")
    ]
    assert mentions("うちはさっぽろだいがくのしごとがおおい") == [
        ("さっぽろだいがく", [], "札幌大学")
    ]
    assert mentions("きゅうしゅうだいがくはいつから")[0][1] == ["九州大学"]  # listed
    # a municipality's stem in kana with its ending: every body of that reading, listed or not
    assert mentions("うれしの市は電子証書に対応しとる？") == [("うれしの市", ["嬉野市"], None)]
    assert len(mentions("なんぶ町の電子保証はいつから？")[0][1]) == 3  # 青森・山梨・鳥取
    assert mentions("ことしの工事") == []  # not a stem said without its ending
    assert all(m[2] is None for m in mentions("こくりつだいがくもでんしほしょうつかえる？"))


def test_nouns_the_knowledge_never_uses_count_as_unknown() -> None:
    a = assistant()
    assert a.unknown_share(a.analyse("e-Netの使い方")) == 0.0
    assert a.unknown_share(a.analyse("e-Taxの使い方")) == 0.5  # a Latin word too (not e-Net)
    assert a.unknown_share(a.analyse("観光地の使い方")) == 0.5
    assert a.unknown_share(a.analyse("IDとPDF")) == 0.0  # two letters: too short to judge


def test_a_particle_and_the_next_word_are_no_name() -> None:
    assert mentions("押印はまだ必要？") == []  # は + まだ is not 浜田
    assert mentions("はまだしはいつから")[0][1] == ["浜田市"]
    assert mentions("e-Netにはまだ親父の名前で登録してある") == []  # に, は + まだ
    assert mentions("契約するとすしの工事")[0][1] == ["鳥栖市"]  # a name after a verb's と
    # a name that starts in kana starts as a kana word does (いいの + 町 is not いの町)
    assert mentions("何がいいの？町の担当さんに勧めたい") == []
    assert mentions("和歌山のすさみ町")[-1][1] == ["すさみ町"]


def test_an_orderers_contract_system_is_not_its_guarantee_record() -> None:
    # 電子契約 without a word of guarantees: the orderer's contract system, which no record
    # holds (鳥栖市's has entries of its own)
    for question in (
        "福岡市って、電子契約はいつから始まったと？",
        "東彼杵町では電子契約も導入されていますか",
    ):
        assert not ask(question).answered, question
    assert ask("鳥栖市の電子契約はいつから？").entry_id == "tosu-econtract-scope"
    assert ask("東彼杵町の電子保証はいつから？").orderer == "東彼杵町"


def test_a_figure_the_record_does_not_hold_is_not_answered() -> None:
    # the record holds no usage figure: it says so, and that is no answer
    answer = ask("鳥栖市の電子保証の件数って、もう出てる？")
    assert not answer.answered and "資料に記載がありません" in answer.answer
    # nor is the national figure an answer for one orderer that it does not name
    assert not ask("大阪府の電子保証の利用率って、府全体で何％くらい？").answered
    assert ask("唐津市の電子保証の利用率は？").answered  # a figure its record holds
    # of other aspects the record says what holds generally: still an answer
    assert ask("大分市には認証キーどうやって出せばいい？").answered


def test_a_branchs_hours_and_surroundings_are_not_its_contact_fields() -> None:
    for question in (
        "福岡支店って、何時まで電話つながる？",
        "島根支店は昼休みも電話に出てもらえますか",
    ):
        answer = ask(question)
        assert not answer.answered and "営業時間" in answer.answer, question
    assert not ask("鹿児島支店の最寄りのバス停ってどこ？").answered
    assert not ask("島根支店まで車で行くつもりなんですが、停める場所はありますか").answered
    assert not ask("支店にメールで問い合わせたいんだけど、アドレス何？").answered
    # 支店長 is a person: the branch route does not take a question on the consent form
    answer = ask("鳥栖市の承諾書、支店長に委任しとるんやけど誰の名前とアドレスを書いたらええの？")
    assert answer.entry_id == "tosu-consent-email"
    assert ask("福岡支店の電話番号は？何時まで？").branch == "福岡支店"  # the number is asked
    # a detail the branch's record does not give (a person's name), asked with its FAX
    answer = ask("鳥取支店で電子保証の担当の方のお名前を教えて（ＦＡＸの宛名に書きたい）")
    assert not answer.answered and "担当者の名前" in answer.answer
    assert ask("岡山支店って建設会館の何階だったっけ").field == "address"  # (岡山建設会館3F)


def test_whether_we_take_a_guarantee_somewhere_is_not_the_orderers_record() -> None:
    # 御社で保証をお願いできる？ asks about our business, which the documents do not cover
    assert not ask("北海道の現場の保証も御社でお願いできますか").answered
    assert ask("北海道の工事で電子保証は使えますか").orderer == "北海道"  # its record


def test_a_reading_inside_a_polite_ending_is_no_cue() -> None:
    # ださ (出さ) inside ください is not a question of submission
    answer = ask("福津市の工事で電子保証が使えるか確認させてください")
    assert (answer.orderer, answer.aspect) == ("福津市", "start")


def test_a_prefecture_beside_its_own_body_only_says_where() -> None:
    for question in ("福岡の芦屋町は電子保証いつから？", "芦屋町（福岡県）の電子保証の開始日"):
        answer = ask(question)
        assert answer.answered, question
        assert "芦屋町" in answer.answer and "福岡市" not in answer.answer, question
    answer = ask("熊本県の山都町の電子保証は？")
    assert answer.orderer == "山都町"
    # a bare place name (a district: 遠賀郡) before a body said with its ending
    assert ask("遠賀の芦屋町の電子保証、対象になる契約は？").entry_id == "ashiya-start-scope"
    assert ask("唐津の玄海町は電子保証いつから？").orderer == "玄海町"
    # a municipality the documents do not name, said after its prefecture
    answer = ask("兵庫県の芦屋市は電子保証に対応していますか")
    assert (
        answer.listed is False
        and "芦屋市（兵庫県）は一覧（令和8年2月2日現在）に掲載なし" in answer.answer
    )
    answer = ask("兵庫県と札幌市の電子保証")  # two bodies (と, not の): each one
    assert (answer.orderer, answer.orderers) == ("兵庫県", ("兵庫県", "札幌市"))


def test_several_orderers_named_are_each_answered() -> None:
    answer = ask("鳥栖市と唐津市はいつから電子保証？")
    assert answer.answered and answer.kind == "orderer" and answer.aspect == "start"
    assert (answer.orderer, answer.orderers) == ("鳥栖市", ("鳥栖市", "唐津市"))
    tosu, karatsu = answer.answer.split("\n\n")
    assert (
        tosu.startswith("鳥栖市")
        and "令和8年3月1日" in tosu
        and "出典: 電子保証のご案内（佐賀支店" in tosu
    )
    assert (
        karatsu.startswith("唐津市")
        and "令和6年4月" in karatsu
        and "出典: 電子保証のご案内（佐賀支店" in karatsu
    )
    assert (
        answer.source == "電子保証のご案内（佐賀支店、令和8年2月26日）"
        and answer.as_of == "2026-02-02"
    )
    assert ask("福岡の芦屋町は電子保証いつから？").orderers == ()  # a place, then one body
    assert not ask("大津と鳥栖市はいつから電子保証？").answered  # which 大津 first
    # a body the documents do not list, joined to a listed one, is answered too
    answer = ask("鳥栖市と札幌市はいつから？")
    assert answer.orderers == ("鳥栖市", "札幌市")
    assert answer.answer.split("\n\n")[1].startswith(
        "札幌市（北海道）は一覧（令和8年2月2日現在）に掲載なし"
    )
    assert ask("札幌市と鳥栖市はいつから？").orderers == ("札幌市", "鳥栖市")
    assert mentions("鳥栖市の市役所") == [("鳥栖市", ["鳥栖市"], None)]


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("JR九州の工事で電子保証は使える？", "JR九州"),  # a Latin name with a region
        ("NTTの発注工事は対象ですか", "NTT"),  # one before 「の発注」
        ("九州電力の工事で電子保証は？", "九州電力"),  # a company's ending
        ("西日本鉄道の案件も電子でいける？", "西日本鉄道"),
    ],
)
def test_companies_the_documents_do_not_list(question: str, name: str) -> None:
    answer = ask(question)
    assert answer.orderer == name
    assert answer.answer.startswith(f"{name}は一覧（令和8年2月2日現在）に掲載なし")


@pytest.mark.parametrize(
    "question", ["NEXCOの工事はいつから電子？", "ネクスコの工事も電子保証いける？"]
)
def test_a_group_is_each_of_its_members(question: str) -> None:
    answer = ask(question)
    assert answer.answered and answer.aspect == "start"
    assert answer.orderers == ("西日本高速道路", "東日本高速道路", "中日本高速道路")
    assert [part.split("の電子保証")[0] for part in answer.answer.split("\n\n")] == [
        "西日本高速道路",
        "東日本高速道路",
        "中日本高速道路",
    ]
    assert ask("NEXCO西日本の工事で電子保証は使えますか").orderers == ()  # a member's own alias
    assert ask("NEXCO西日本の工事で電子保証は使えますか").orderer == "西日本高速道路"
    assert ask("ネクスコ西日本はいつから？").orderers == ()  # the member, in katakana too


def test_a_shared_name_is_the_prefecture_when_the_prefecture_as_a_whole_is_meant() -> None:
    assert mentions("佐賀の協会の会合で、県内の自治体ごとの利用率")[0][:2] == ("佐賀", ["佐賀県"])
    assert mentions("佐賀はいつから電子？")[0][1] == ["佐賀県", "佐賀市"]  # asked back


def test_an_orderers_e_contract_system_is_not_its_guarantee_record() -> None:
    assert not ask("長崎県の電子契約システムで署名ができないのですが").answered
    # of its guarantees: its record, or the entry on 鳥栖市's electronic guarantees
    answer = ask("鳥栖市の工事は電子契約だけど、電子保証も使える？")
    assert answer.orderer == "鳥栖市" or answer.entry_id == "tosu-eguarantee-scope"


def test_e_contract_entries_lose_when_only_guarantees_are_asked() -> None:
    # 電子契約's entry has a phrasing almost word for word; the caller asks of the guarantee
    question = "鳥栖市から草刈りや側溝清掃のような建設維持関連の業務も受けているんですが、こういう業務の前払金も電子保証の対象になりますか"
    assert ask(question).entry_id == "tosu-eguarantee-scope"
    question = "鳥栖市の指名で草刈りとか側溝清掃みたいな維持の仕事も受けてるんですが、ああいう業務も電子契約の対象になるんでしょうか"
    assert ask(question).entry_id == "tosu-econtract-scope"
    assert asks_guarantee_only(CUES, "前払金の証書", "") and not asks_guarantee_only(
        CUES, "契約書の保証", ""
    )


def test_a_place_before_a_company_is_not_an_orderer() -> None:
    answer = ask("保証事業会社は全部で３社？東日本と北海道の会社も電子証書ＯＫ？")
    assert answer.entry_id == "surety-companies"
    assert ask("北海道の工事は電子保証使える？").orderer == "北海道"
    assert ask("熊本県の企業局の工事は電子保証？").orderer == "熊本県"  # 企業局: a public body
    assert ask("北海道の保証会社でも電子証書は出せる？").entry_id == "surety-companies"
    assert ask("鳥栖市の会社ですが、前払金の証書は電子でいける？").orderer == "鳥栖市"


def test_a_prefectures_office_is_the_prefecture() -> None:
    assert mentions("京都の府庁の工事は電子？")[0][1] == ["京都府"]
    assert ask("佐賀の県庁の工事は電子？").orderer == "佐賀県"
    # only right after the name: 府庁 later does not make 京都 the prefecture; 「の市役所」
    # right after it says the city
    assert mentions("京都の市役所の工事、府庁と同じで電子？")[0][1] == ["京都市"]
    assert mentions("京都の工事、府庁と同じで電子？")[0][1] == ["京都府", "京都市"]


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("沖縄防衛局の工事は電子証書？", "防衛省"),  # not 沖縄 (県 or 市)
        ("九州農政局の工事は電子保証？", "農林水産省"),
        ("近畿地方整備局の工事は電子？", "国土交通省"),
    ],
)
def test_a_ministrys_regional_bureau_is_the_ministry(question: str, name: str) -> None:
    answer = ask(question)
    assert answer.orderer == name and answer.answer.startswith(f"{name}の電子保証")


def test_an_alias_read_aloud_is_found() -> None:
    assert mentions("くれこうせんのこうじは、でんしほしょうにたいおうしてる？")[0][:2] == (
        "くれこうせん",
        ["呉工業高等専門学校"],
    )
    # not when it is another orderer's reading (みなみ町 misspells みなべ町, reads as 美波町)
    assert mentions("みなみちょうの工事は電子保証の対象？")[0][1] == ["美波町"]


def test_itsukara_asks_the_start_though_a_certificate_is_named() -> None:
    question = "宮古島市の電子保証っていつから？今年の夏に契約して前払金もらう予定で"
    assert ask(question).aspect == "start"
    assert ask("宮古島市の前払金は電子？").aspect == "documents"
    assert ask("鳥栖市はいつ？").aspect == "start"  # a name and いつ: the record


def test_a_public_university_is_not_its_prefecture_or_city() -> None:
    for question, name in [
        ("熊本県立大学の工事は電子保証？", "熊本県立大学"),
        ("北九州市立大学の工事", "北九州市立大学"),
    ]:
        assert mentions(question) == [(name, [], name)], question
        assert ask(question).answer.startswith(f"{name}は一覧（令和8年2月2日現在）に掲載なし")
    assert ask("京都府立医大の工事で、電子保証って使えたっけ").orderer == "京都府公立大学法人"
    assert mentions("熊本県の工事") == [("熊本県", ["熊本県"], None)]
    assert mentions("熊本市立病院の工事") == [("熊本市", ["熊本市"], None)]  # the city's own


def test_latin_words_are_not_taken_for_companies() -> None:
    assert mentions("Excelで申込書は作れる？") == []  # no works after it
    assert mentions("e-Taxの工事") == []  # part of a longer word
    assert mentions("PDFの認証キーはどこ？") == []  # a word the knowledge uses
    kinds = (
        "JVの工事は電子保証使える？",
        "PFIの工事",
        "WTOの案件も電子？",
        "PFIの発注方式でも電子？",
    )
    for kind in kinds:  # kinds of works and ways of ordering
        assert mentions(kind) == [], kind
    assert ask("URの工事は電子保証いける？").orderer == "都市再生機構"  # a listed alias first


def test_a_date_said_is_checked_against_the_orderers_start() -> None:
    answer = ask("令和8年4月1日に契約する芦屋町の工事は電子保証の対象？")
    assert answer.answered  # the entry about 芦屋町's start, after the check
    first, rest = answer.answer.split("\n", 1)
    assert first.startswith("【令和8年4月1日の案件】契約締結日（令和8年4月1日）は芦屋町の運用開始")
    assert first.endswith("日付の上では電子保証の対象です。") and "芦屋町" in rest
    answer = ask("芦屋町で２０２６／３／３１契約の工事は電子保証？")  # full-width, the day before
    assert "日付の上では電子保証の対象外です" in answer.answer
    # 鳥栖市 decides by the tender announcement: a contract date alone leaves it open
    answer = ask("R8.4.1から契約の鳥栖市の工事は？")  # no domain word: names, a date, a case
    assert answer.answered and answer.orderer == "鳥栖市"
    assert "鳥栖市は入札公告日で判断します" in answer.answer and "日付の上" not in answer.answer
    answer = ask("鳥栖市で令和8年2月20日に入札公告、4月に契約の工事は電子保証？")
    assert "入札公告日（令和8年2月20日）が鳥栖市の運用開始" in answer.answer
    assert "日付の上では電子保証の対象外です" in answer.answer
    # an entry about the orderer answers, after the check; several orderers: one check each
    answer = ask("れいわ8ねん4がつ1にちにけいやくするとすしのこうじはでんしほしょうつかえる？")
    assert answer.answer.startswith("【令和8年4月1日の案件】鳥栖市は入札公告日で判断します")
    answer = ask("令和７年１０月１日に契約した島根県の工事は電子にできる？")
    assert answer.answer.startswith("【令和7年10月1日の案件】契約締結日（令和7年10月1日）は島根県")
    answer = ask("令和8年4月1日に契約する鳥栖市と芦屋町の工事は対象？")
    assert answer.orderers == ("鳥栖市", "芦屋町")
    assert [part.startswith("【令和8年4月1日の案件】") for part in answer.answer.split("\n\n")] == [
        True,
        True,
    ]
    answer = ask("令和6年4月に契約した福岡県の工事は電子保証いける？")  # a month alone
    assert answer.answer.startswith("【令和6年4月の案件】令和6年4月中のどの日でも、")
    assert "日付の上では電子保証の対象外です" in answer.answer
    # a day without its year: the last or the next one, answered when both agree
    answer = assistant().ask("唐津市で12月1日に契約予定の工事は電子でいける？", today=TODAY)
    assert answer.answer.startswith(
        "【12月1日の案件】令和7年12月1日でも令和8年12月1日でも、契約締結日（令和7年12月1日）は唐津市"
    )
    assert "日付の上では電子保証の対象です" in answer.answer
    answer = assistant().ask("芦屋町で3月15日に契約した工事は電子保証の対象？", today=TODAY)
    assert "3月15日の案件は年によって異なるか" in answer.answer.split("\n")[0]
    answer = ask("伊万里市で令和7年の4月1日に契約した工事は電子保証の対象？")  # year said apart
    assert answer.answer.startswith("【令和7年4月1日の案件】") and "対象外" in answer.answer
    # years, fiscal years and months said relative to today
    answer = assistant().ask("去年契約した鳥栖市の工事は電子？", today=TODAY)
    assert answer.answer.startswith("【去年（令和7年）の案件】去年（令和7年）中のどの日でも、")
    assert "日付の上では電子保証の対象外です" in answer.answer.split("\n")[0]
    answer = assistant().ask("昨年度に契約した広島県の業務委託は電子？", today=TODAY)
    assert answer.dates[0].last == "2026-03-31" and answer.dates[0].eligible is True
    answer = ask("鳥栖市 令和8年2月30日 契約")
    assert answer.answer.startswith(
        "【日付】「令和8年2月30日」は存在しない日付です（2月は28日まで）"
    )
    # an impossible date is pointed out whatever the answer, and does not pull entries that
    # quote a date of that month
    answer = ask("令和8年2月30日に認証キーを出した")
    assert answer.answer.startswith("【日付】「令和8年2月30日」は存在しない日付です")

    def entry(a: Answer) -> str | None:
        return a.entry_id or (a.alternatives[0].entry_id if a.alternatives else None)

    assert entry(answer) == entry(ask("認証キーを出した"))
    # not for what a date does not decide: where to submit (and the date does not pull
    # 芦屋町's start entry, which says 令和8年4月1日, ahead of its submission entry)
    answer = ask("令和8年4月1日に契約した芦屋町の工事、認証キーはどこに出す？")
    assert answer.answer.startswith("芦屋町へは電子メールなどで提出します")


def test_a_year_or_fiscal_year_said_is_checked_as_a_span() -> None:
    answer = ask("2023年度に福岡県と契約した工事、電子証書は使えますか")
    first = answer.answer.split("\n")[0]
    assert first.startswith("【2023年度（令和5年度）の案件】2023年度（令和5年度）中のどの日でも")
    assert first.endswith("日付の上では電子保証の対象外です（書面の保証証書になります）。")
    assert (answer.dates[0].day, answer.dates[0].last) == ("2023-04-01", "2024-03-31")
    answer = ask("令和7年度の鳥栖市の工事は電子保証いける？")  # undecided: by 入札公告日
    assert answer.answer.startswith(
        "【令和7年度の案件】鳥栖市の運用開始は令和8年3月1日（入札公告日"
    )
    assert answer.dates[0].eligible is None
    assert ask("5年前に契約した佐賀県の工事の変更は？").dates == ()  # a duration, not a year


def test_with_a_contract_date_whether_it_can_be_submitted_asks_the_start() -> None:
    # 電子で提出できる？ with a date: may that contract have an electronic certificate
    answer = ask("福岡県 令和3年5月契約 電子で提出できる？")
    assert (answer.orderer, answer.aspect) == ("福岡県", "start")
    assert answer.answer.startswith("【令和3年5月の案件】") and "対象外" in answer.answer
    answer = ask("鳥栖市で令和4年3月に契約した工事は電子証書を出せますか")
    assert answer.answer.startswith("【令和4年3月の案件】") and answer.dates[0].eligible is False
    # where, how, to whom or in what form to submit stays a submission question, with no
    # date checked for it
    for question in (
        "福岡県で令和7年5月に契約したけど、どこに提出すればいい？",
        "熊本県、令和8年4月1日契約の工事。証書は郵送で出せる？",
        "大分県の工事、電子で提出するにはどうする？",
        "大分県の工事、電子で提出するのは誰宛て？",
        "熊本県の証書の提出先、何年から変わった？",
    ):
        answer = ask(question)
        assert (answer.aspect, answer.dates) == ("submission", ()), question
    # an old contract's change: the date says whether the contract is old at all
    answer = ask("佐賀県で令和5年に契約した工事の変更は電子にできる？")
    assert answer.aspect == "pre_start" and answer.dates[0].eligible is False
    # the date says whether the contract is old; what its change may be is the record's
    first, rest = answer.answer.split("\n", 1)
    assert first.startswith("【令和5年の案件】") and first.endswith("運用開始前の契約です。")
    assert "運用開始前に契約した案件" in rest
    answer = ask("熊本県で令和5年3月1日契約の変更は電子証書でいける？")  # the contract's date
    assert answer.aspect == "pre_start" and [d.said for d in answer.dates] == ["令和5年3月1日"]


def test_a_question_of_names_and_record_words_needs_no_domain_word() -> None:
    answer = ask("五島市の業務委託は対象？")
    assert answer.answered and (answer.orderer, answer.aspect) == ("五島市", "coverage")
    answer = ask("福岡県で使える？")
    assert answer.answered and (answer.orderer, answer.aspect) == ("福岡県", "start")
    assert not ask("大分県のランチ").answered
    assert not ask("鳥栖市の人口は？").answered


def test_a_kind_of_contract_asked_of_a_record_without_kinds_gets_its_start() -> None:
    # 大分県's record states no kinds of contract: its start, and that the kinds are not stated
    answer = ask("大分県の業務委託は対象？")
    assert answer.answered and (answer.orderer, answer.aspect) == ("大分県", "start")
    assert "対象とする契約の種類は資料に記載がありません" in answer.answer
    answer = ask("大分県の電子保証はいつから？")  # no kind said: no such line
    assert answer.aspect == "start" and "契約の種類" not in answer.answer
    answer = ask("下関市の設計委託、電子保証は何日以降の契約から？")  # 何日以降: when it starts
    assert (answer.orderer, answer.aspect) == ("下関市", "start")


def test_an_entry_about_one_orderer_needs_a_domain_word_when_none_is_named() -> None:
    # 広島県's entry on 地域維持 is no answer to a question on snow clearing in general
    assert not ask("地域維持の除雪業務って、何センチ積もったら出動するんですか").answered
    answer = ask("地域維持の業務も電子保証の対象？")  # with a domain word: 広島県's, by name
    assert answer.entry_id == "hiroshima-scope" and "広島県" in answer.answer


def test_a_prefectures_office_named_after_a_town_is_the_prefecture() -> None:
    for question, name in [
        ("長崎県の五島振興局の発注工事は、電子保証できますか", "長崎県"),
        ("熊本県の天草広域本部が出す設計の業務委託、電子の対象？", "熊本県"),
    ]:
        answer = ask(question)
        assert answer.orderer == name, question
        assert answer.aspect != "submission", question  # 出す業務: the work it puts out
    assert ask("長崎県の五島市の工事、電子保証できますか").orderer == "五島市"


def test_words_heard_inside_others_ask_no_aspect() -> None:
    # 島しょ (とうしょ) is no 当初, nor is 黒糖焼酎; a question mostly of words the
    # knowledge never uses, naming a place, is no question on its record
    answer = ask("広島県発注の島しょ部の工事、電子はいつから使えるようになった？")
    assert answer.entry_id == "hiroshima-start" or answer.aspect == "start"
    assert not ask("奄美の黒糖焼酎でおすすめの銘柄ある？").answered


def test_a_word_of_everyday_life_without_a_word_of_the_domain_is_something_else() -> None:
    # おすすめ alone is no question on the e-Net's recommended works
    assert not ask("この辺でおすすめのランチの店ある？").answered
    assert ask("e-Netのおすすめの保証申込みって何？").entry_id == "enet-recommended-projects"


def test_an_old_contracts_interim_advance_said_short_is_its_record() -> None:
    answer = ask("島根県、元の契約が2023年5月31日の工事で中間前払の保証をとる。これって紙のまま？")
    assert (answer.orderer, answer.aspect) == ("島根県", "pre_start")
    answer = ask("東彼杵町には認証キーの情報を紙で持っていってもいいですか")
    assert (answer.orderer, answer.aspect) == ("東彼杵町", "submission")
    answer = ask("姫路市の工事、保証の番号とキーってどうやって市に知らせればええの？")
    assert (answer.orderer, answer.aspect) == ("姫路市", "submission")
    answer = ask("下関市の工事、どこの保証会社の証書なら電子で受けてくれる？")
    assert (answer.orderer, answer.aspect) == ("下関市", "documents")
    answer = ask("北広島町が発注する工事で、紙の証書じゃなくネットのやつを出しても受けてもらえる？")
    assert answer.aspect == "start"  # the form (ネットのやつ), not where to submit


def test_names_said_in_kana_or_cut_by_a_comma_or_with_the_kind_after() -> None:
    # a detail's reading inside a name in kana (あ|なんこ|うせん: 何個) asks no detail
    answer = ask("あなんこうせんの こうじ でんしの ほしょう だいじょうぶ？")
    assert answer.orderer == "阿南工業高等専門学校"
    # a long name said with its prefecture as a place, then a comma
    answer = ask("鳥取の東部広域行政管理組合、測量の業務も電子いける？")
    assert (answer.orderer, answer.aspect) == ("鳥取県東部広域行政管理組合", "coverage")
    # 神戸 is 神戸市 and 神戸町; 「の市発注」 says which
    assert ask("神戸の市発注で、2022年の11月に契約したやつって電子やった？").orderer == "神戸市"
    # where the site is, then the body asked of
    answer = ask("松江の現場の件で、島根県の場合は番号とキーがどう回って、県はどこで見るんか")
    assert answer.orderer == "島根県" or answer.entry_id == "shimane-flow"
    # keywords: works and services side by side ask the kinds of contract
    assert ask("由良町 電子保証 対象 工事 業務").aspect == "coverage"


def test_where_the_works_are_says_where_not_whom() -> None:
    # a town's site after its prefecture: the prefecture's contract
    said = "島根県の松江の現場で、令和5年4月に県と契約した工事の変更契約も電子でいい？"
    assert ask(said).orderer == "島根県"
    # a town's site and the contractor there: a sure general entry answers first
    said = "山都町の現場の業者さんから、発注する役所の側には電子証書にして何かいいことがあるのかと"
    assert ask(said).entry_id == "merits-orderer"


def test_an_entry_on_another_kind_of_guarantee_gives_way() -> None:
    # 入札ボンドも電子でもらえる？ is bid-bond's own phrasing, not a question on 中間前払金
    said = "中間前払金保証の証書も、ｅ－Ｎｅｔから電子でもらえますか？"
    assert ask(said).entry_id == "covered-certificates"
    assert ask("入札ボンドも電子でもらえる？").entry_id == "bid-bond"


def test_an_entry_on_the_other_party_gives_way() -> None:
    said = "社長が電子にする意味あるのかって…受注者側にとって何か得することってあるんですかね"
    assert ask(said).entry_id == "merits-contractor"
    said = "町役場の担当さんから、電子にしたら役所側に何か得はあるのかと聞かれました"
    assert ask(said).entry_id == "merits-orderer"


def test_how_a_document_is_handed_over_asks_the_submission() -> None:
    for said in (
        "伊丹市の場合、認証キー等のお知らせはどのような形で市へお渡しすればよろしいですか",
        "淡路市ってキーのPDFどこに送んの？",
    ):
        assert ask(said).aspect == "submission", said
    # 電子の形で出せる: the form, so which certificates is asked
    said = "北九州市では、契約の保証も電子の形で出せますか。それとも前払いの分だけですか"
    assert ask(said).aspect == "documents"


def test_what_was_done_before_is_no_aspect_asked() -> None:
    said = (
        "前の現場では紙の証書を持参したので今回もそうするつもりだった。倉敷市はいつから電子対応？"
    )
    assert (ask(said).orderer, ask(said).aspect) == ("倉敷市", "start")
    assert detect_aspect(CUES, "電子でもう出せるんでしたっけ", "") == ("start", False)
    said = "前回は紙の証書を持って行ったんですけど、今回は電子で。瀬戸内市は対応してますか"
    assert (ask(said).orderer, ask(said).aspect) == ("瀬戸内市", "start")
    said = fold(clean("福津市の委託業務って、あの、電子の証書で、えっと、出せるんでしたっけ"))
    assert detect_aspect(CUES, said, "")[0] == "coverage"  # a filler inside: still the form
    # the form said by what it is not; 紙じゃないとダメ says no form
    said = fold(clean("熊本市の地域維持の仕事でも、紙じゃない証書で出せる？"))
    assert detect_aspect(CUES, said, "")[0] == "coverage"
    said = fold(clean("鳴門教育大学の工事、電子の証書って、お出ししても受け取ってもらえる？"))
    assert detect_aspect(CUES, said, "")[0] == "start"  # an honorific お出しする: the form too
    said = "下水道事業団の処理場の工事で、紙じゃない保証書を出しても受け付けてもらえますか"
    assert (ask(said).orderer, ask(said).aspect) == ("日本下水道事業団", "start")
    said = "兵庫県住宅供給公社の発注分、紙じゃない保証の証書で出しても受け取ってもらえます？"
    assert (ask(said).orderer, ask(said).aspect) == ("兵庫県住宅供給公社", "start")
    said = "本四高速さんの案件なんですが…電子の方で出して大丈夫なのかどうか"
    assert ask(said).aspect == "start"
    said = fold(clean("紙じゃないとダメなら、どこに出せばいい？"))
    assert detect_aspect(CUES, said, "")[0] == "submission"


def test_how_far_use_has_come_asks_the_usage_not_its_trend() -> None:
    assert ask("電子保証の利用率は、いまどの程度まで上がっているのでしょうか").entry_id == (
        "usage-statistics"
    )
    assert detect_aspect(CUES, "国交省はどの程度利用されてる", "")[0] == "usage"
    assert detect_aspect(CUES, "手間はどの程度減る", "")[0] != "usage"


def test_how_the_caller_wants_it_told_is_a_courtesy() -> None:
    said = "でんしほしょうって なんですか かんたんに おしえてください"
    assert ask(said).entry_id == "electronic-guarantee-what"


def test_a_prefectures_bodies_asked_in_kana() -> None:
    assert (
        ask("さがけんの なかで でんしほしょう やってる しまちは どこ？").entry_id == "saga-orderers"
    )
    assert ask("前払金の保証をやってる会社って、全国で何社あるの？").entry_id == "surety-companies"


def test_the_callers_own_work_growing_is_no_trend_asked() -> None:
    said = "菊陽町のほうで仕事が増えてきてて、町の道路工事も取れたんです。菊陽町って電子保証に対応してる？"
    assert "菊陽町（熊本県）は一覧" in ask(said).answer
    assert "trend" in details_asked(CUES, fold(clean("電子を使う業者は増えてきてますか")))


def test_how_often_something_is_chosen_asks_the_usage_not_the_criteria() -> None:
    said = "唐津市では、紙でなくデータの証書がどのくらい選ばれているか、数字で教えてもらえます？"
    assert (ask(said).orderer, ask(said).aspect) == ("唐津市", "usage")
    assert "criteria" in details_asked(CUES, fold(clean("選ばれる基準はありますか")))


def test_a_share_asked_with_the_percent_sign_asks_the_usage() -> None:
    assert ask("今、全体の何％くらいが電子になってるんですか？").entry_id == "usage-statistics"
    assert detect_aspect(CUES, fold(clean("国交省は何％？")), "")[0] == "usage"
    # how much work is saved, or how long it takes, is no share
    for said in ("手間がどれくらい減るの", "どのくらいかかる？", "どれくらいで届く？"):
        assert detect_aspect(CUES, said, "")[0] != "usage", said
    assert detect_aspect(CUES, "鳥栖市はどれくらい電子になってる？", "")[0] == "usage"
    assert ask("伊万里市はどがんくらい電子で出とっと？").aspect == "usage"  # 佐賀の言い方


def test_other_bodies_and_companies_asked_beside_one_named() -> None:
    said = "国の省庁で電子保証を入れてるのはどこどこ？国交省以外にもある？"
    assert ask(said).entry_id == "national-bodies"
    said = "電子証書を出してるのって西日本さんだけ？ほかの保証会社でもできるの？"
    assert ask(said).entry_id == "surety-companies"
    # a misspelt town right after its prefecture is asked back with the real one
    assert ask("広島県の北広嶋町は電子保証いつから？").candidates == ("北広島町（広島県）",)


def test_since_long_ago_asks_the_start_and_how_much_asks_the_usage() -> None:
    said = "近畿地整の工事って、電子保証はもうだいぶ前から使えるんだっけ"
    assert (ask(said).orderer, ask(said).aspect) == ("国土交通省", "start")
    said = "佐賀市って、前払の保証のうちどれだけ電子になってるか数字ありますか"
    assert (ask(said).orderer, ask(said).aspect) == ("佐賀市", "usage")
    assert ask("沖縄支店のファツクス番号").field == "fax"  # ツ typed for ッ
    assert ask("高知支店に書類を送るときの番号、電話じゃないほうのやつは？").field == "fax"


def test_a_body_said_not_to_be_meant_is_not_answered() -> None:
    said = "福岡の芦屋町じゃなくて兵庫県の芦屋市の下水道工事なんやけど、電子保証使えるんやろか"
    answer = ask(said)
    assert answer.orderer == "芦屋市" and not answer.listed


def test_issued_works_and_slow_post_ask_no_submission() -> None:
    assert ask("中国四国防衛局が出しとる工事でも、電子の証書でいけるんかのう").aspect == "start"
    said = "与論町の業者さんで、証書を船便で送ると日数がかかるので電子にできないかという相談です"
    assert (ask(said).orderer, ask(said).aspect) == ("与論町", "start")


def test_what_the_caller_did_before_is_no_detail_asked() -> None:
    said = "前に国東市の工事で電子を使ったことがあるから、業務委託でも電子でいけるのか確認したい"
    assert (ask(said).orderer, ask(said).aspect) == ("国東市", "coverage")
    assert ask("島根県の役所側が電子証書を見るまで").aspect != "region"  # the prefecture itself


def test_the_bodies_of_a_prefecture_are_asked_only_as_users() -> None:
    said = "鹿児島県の工事で今から申し込むところなんですが電子でいける？"
    assert (ask(said).orderer, ask(said).aspect) == ("鹿児島県", "start")
    assert ask("鹿児島県で電子保証が使えるところはどこ？").aspect == "region"


def test_kinds_of_body_listed_in_kana_are_no_name() -> None:
    said = "こくりつだいがくや こうせんでも でんしほしょうは つかえますか"
    assert ask(said).entry_id == "universities-kosen"


def test_where_the_contractor_is_gives_way_to_a_sure_general_entry() -> None:
    # 岡山の業者さん: where the company is; the general entry answers when it is sure
    answer = ask(
        "岡山の業者さんで今回初めて電子でやるそうです。申し込んでから役所が証書を見るまでの流れを一通り教えて"
    )
    assert answer.entry_id == "electronic-guarantee-flow"
    # and the record still answers when no entry is sure (the place may be the orderer)
    answer = ask(
        "五島の業者さんなんですが、市の工事を2025年12月26日に契約しました。電子証書で出せるんですか"
    )
    assert answer.orderer == "五島市"
    # an orderer named in full after where the company is: the question is about it
    answer = ask("つくばの業者さんで、筑波大学の設備工事を取りました。電子証書で出せますか")
    assert answer.orderer == "筑波大学"
    answer = ask("うち岡山の業者なんですけど、東京で取った工事の保証も岡山支店でお願いできます？")
    assert not answer.answered  # 東京で: another place, said bare
    # a trade between (の設備屋さん, の農業土木の会社さん, のほうの業者さん), or the site
    said = "高知の農業土木の会社さんで、中国四国農政局の工事を取りました。電子保証は使えますか"
    assert ask(said).orderer == "農林水産省"
    said = "波佐見のほうの業者さんで、東彼杵町の工事を取りました。認証キーはどう出せばいい？"
    assert (ask(said).orderer, ask(said).aspect) == ("東彼杵町", "submission")
    said = (
        "松江の現場を持ってる業者さんで、島根県の仕事は初めて。認証キーは県へどうやって出せばいい？"
    )
    assert ask(said).entry_id == "shimane-submission" or ask(said).orderer == "島根県"
    # where a company is that no list names is not answered 「掲載なし」
    said = "名古屋の設備屋さんで、電子にしたら業者の側は何が楽になるのか、手間がどれくらい減るのか"
    assert ask(said).orderer is None
    # nor is a name several bodies share asked back when it only says where the company is
    said = "山口の業者さんで、窓口に書類を持ってきて申し込んでる会社なんですけど、証書だけ電子にできる？"
    assert not ask(said).candidates


def test_names_given_as_examples_give_way_to_a_sure_general_entry() -> None:
    answer = ask(
        "ＮＥＸＣＯとか都市機構とか、独法や高速道路会社で電子証書に対応してるところを教えて"
    )
    assert answer.entry_id == "agencies"
    # とかも asks of the body itself; トカラ列島 holds no example
    answer = ask("鳥栖市とかも電子保証いける？")  # its record or its own entry
    assert answer.orderer == "鳥栖市" or answer.entry_id == "tosu-eguarantee-scope"
    assert ask("十島村（トカラ列島）の工事って電子で出せる？").orderer == "十島村"


def test_a_seal_pressed_on_a_paper_contract_is_not_one_shown_on_a_certificate() -> None:
    cues = assistant().cues
    pressed = "契約書は製本して判子ついて交わすタイプやけど、前払の保証は電子で出してよかと？"
    assert "imprint" not in details_asked(cues, pressed)
    assert "imprint" in details_asked(cues, "電子証書に会社の判子はついてますか")


def test_a_holiday_said_as_when_something_happened_asks_no_days_off() -> None:
    cues = assistant().cues
    said = "完了メールを年末年始のあいだ放っておいたら、ダウンロードが期限切れって出た"
    assert "holidays" not in details_asked(cues, said)
    assert "holidays" in details_asked(cues, "e-netは年末年始も使えますか")
    assert "holidays" in details_asked(cues, "土日に届いた郵便も受け取ってくれる？")


def test_words_joined_across_a_comma_and_our_company_said_with_san() -> None:
    # 災害復旧、契約が… is no 旧契約 once the comma is gone
    answer = ask("人吉市の災害復旧、契約が令和5年5月やったばってん、あれは電子で出せたとやろか")
    assert (answer.orderer, answer.aspect) == ("人吉市", "start")
    # 西日本さん以外: the surety companies, not NEXCO 西日本
    assert ask("保証事業会社って、西日本さん以外にどこがあるの？").entry_id == "surety-companies"
    # よろしいですか asks whether the form may be used, not where to submit
    answer = ask("那覇港管理組合の岸壁の補修工事、電子証書で提出してもよろしいですか")
    assert (answer.orderer, answer.aspect) == ("那覇港管理組合", "start")
    assert not ask("沖縄支店って土曜日も電話つながりますか").answered  # a branch's days open


def test_where_the_contractor_is_said_with_a_word_of_its_trade() -> None:
    answer = ask(
        "うちは大分の小さな土木屋で、発注者から電子保証にしてくれって言われて。そもそも電子保証ってどういうもんなん？"
    )
    assert answer.entry_id == "electronic-guarantee-what"


def test_a_word_with_a_kana_ending_like_shi_is_no_unlisted_city() -> None:
    answer = ask(
        "工事が完成して引渡しも済んだんですが、保証のほうで何か届け出る手続きってあります？"
    )
    assert answer.orderer is None
    assert ask("下関しの電子保証はいつから？").orderer == "下関市"


def test_an_orderers_contact_details_are_not_in_the_records() -> None:
    asked = [
        ("唐津市役所の住所", "唐津市"),
        ("札幌市の電話番号", "札幌市"),
        # a phone number asked apart from 電話, in a question on electronic guarantees
        ("芦屋町の電子保証の担当に電話したいんだけど、番号わかる？", "芦屋町"),
    ]
    for question, name in asked:
        answer = ask(question)
        assert not answer.answered, question
        assert answer.answer == f"{name}の電話番号・住所などの連絡先は資料にありません。{NOT_FOUND}"
    # an entry about that orderer holds them; submitting by FAX is not a contact question
    assert ask("島根県の問い合わせ先").entry_id == "shimane-contact"
    assert ask("鳥栖市へはFAXで提出できる？").aspect == "submission"


def test_an_entry_about_one_orderer_says_whose_rule_it_is() -> None:
    # the entry's answer does not name 鳥栖市: said first, as the question named no orderer
    answer = ask("GMOサインの操作がわからない")
    assert answer.entry_id == "tosu-gmo-support"
    assert answer.answer.startswith("（鳥栖市の場合）まずGMOサインのヘルプセンター")
    # a general entry is left as it is
    assert not ask("電子保証を使うのにお金はかかる？").answer.startswith("（")


def test_the_bodies_of_a_prefecture_are_listed() -> None:
    answer = ask("山口県内で電子保証を導入しているところは？")
    assert answer.answered and answer.kind == "orderer" and answer.orderer == "山口県"
    assert answer.aspect == "region" and answer.matched == "山口県内の発注者一覧"
    data = assistant().orderer_file
    assert data is not None
    in_yamaguchi = [o for o in data.orderers if o.prefecture == "山口県" and o.adopted]
    assert set(answer.orderers) == {o.name for o in in_yamaguchi} and len(in_yamaguchi) > 5
    lines = answer.answer.splitlines()
    assert lines[0].startswith(
        f"山口県内で電子保証を導入している発注者は、資料では次の{len(in_yamaguchi)}件"
    )
    assert lines[1] == "・山口県: 令和4年12月から（日は資料に記載なし）"  # the earliest first
    assert "導入済みでも載っていない場合があります" in answer.answer
    assert lines[-1] == "出典: 電子保証のご案内（佐賀支店、令和8年2月26日）（令和8年2月2日時点）"
    for question in (
        "宮崎県の市町村で電子保証使えるところ",
        "大分県で電子保証が使える発注者を教えて",
    ):
        assert ask(question).answer.split("内で", 1)[0] in ("宮崎県", "大分県"), question
    # an entry written for the prefecture's bodies wins (佐賀県, 熊本県), however it is asked
    assert ask("佐賀県内で電子保証が使えるのはどこ？").entry_id == "saga-orderers"
    assert ask("熊本県で電子保証が使える発注者を教えて").entry_id == "kumamoto-orderers"
    assert ask("くまもとけんないで でんしほしょうを つかえる ちょうそんは").entry_id == (
        "kumamoto-orderers"
    )
    for question in (
        "長崎の県内の発注者",
        "鹿児島県の自治体",
        "福岡県で電子保証が使えるのはどこ？",
    ):
        assert ask(question).aspect == "region", question
    # the prefecture itself, or anything else in it, is not a list
    assert ask("島根県はどこ？").aspect != "region"
    assert ask("福岡県はどこに認証キーを出す？").aspect == "submission"
    assert not ask("島根県の入札情報ってどこで見れる？").answered
    assert "発注者は、資料では" not in ask("広島県のおすすめの観光地ってどこ？").answer


def test_the_aspect_is_read_without_the_name() -> None:
    answer = ask("はまだしはいつから電子保証？")  # だし in はまだし is not 出し (提出)
    assert (answer.orderer, answer.aspect) == ("浜田市", "start")


def test_orderer_the_documents_do_not_name() -> None:
    answer = ask("札幌市の工事って電子保証使える？")
    assert answer.answered and answer.kind == "orderer" and answer.listed is False
    assert "札幌市（北海道）は一覧（令和8年2月2日現在）に掲載なし" in answer.answer
    assert (answer.source, answer.as_of) == (
        "電子保証のご案内（佐賀支店、令和8年2月26日）",
        "2026-02-02",
    )


def test_area_is_not_the_prefecture_itself() -> None:
    answer = ask("佐賀県内で電子保証を導入済みの自治体と開始時期をご教示いただけますか")
    assert answer.entry_id == "saga-orderers"
    cleaned, tokens = analyse_tokens("くまもとけんないのまちはいつから")
    (found,) = assistant().finder.find(fold(cleaned), tokens)
    assert found.area and [o.name for o in found.orderers] == ["熊本県"]
    cleaned, tokens = analyse_tokens("熊本の県内で電子保証の市町村はいくつ")
    (found,) = assistant().finder.find(fold(cleaned), tokens)  # not 熊本県 or 熊本市?
    assert found.area and [o.name for o in found.orderers] == ["熊本県"]
    assert "指定" not in ask("さがけんないでどうにゅうしているところをしりたい").normalized


def test_an_entry_about_another_orderer_loses_without_a_domain_word_too() -> None:
    # 令和8年4月1日 is 芦屋町's start date; the question names 鳥栖市 (and no 保証 or 電子)
    answer = ask("令和8年4月1日に契約する鳥栖市の工事は対象？")
    assert "鳥栖市" in answer.answer and "芦屋町" not in answer.answer


def test_orderer_name_without_a_domain_word_is_not_enough() -> None:
    for question in ("鳥栖市のごみ収集日を教えていただけますか", "芦屋町の花火大会っていつ？"):
        assert not ask(question).answered, question
    assert ask("東広島市は令和７年４月から？").orderer == "東広島市"  # a start question still


# --------------------------------------------------------------------------- aspects


@pytest.mark.parametrize(
    ("question", "aspect"),
    [
        ("熊本市はいつから電子保証？", "start"),
        ("人吉市の業務委託も電子保証の対象？", "coverage"),
        ("人吉市の工事は中間前払金も電子の対象？", "documents"),
        ("熊本市発注の設計業務も電子保証の対象になる？", "coverage"),
        ("益城町の委託の前払金って電子でいけるの？", "coverage"),  # each kind's certificates
        ("最高裁の改修工事ですが、保証証書は電子で出せますか", "start"),  # the form, not where
        ("延岡市には認証キーをどこに出すの？", "submission"),
        ("熊本県で前からの契約の変更は電子証書でいい？", "pre_start"),
        ("唐津市の電子保証の利用率ってどのくらい？", "usage"),
        ("させぼしはでんしほしょうつかえますか", "start"),
    ],
)
def test_aspect_detection(question: str, aspect: str) -> None:
    answer = ask(question)
    assert answer.kind == "orderer" and answer.aspect == aspect, answer


def test_which_date_decides_is_asked_of_the_record_without_a_domain_word() -> None:
    said = ask("北九州市って公告の日で判断するんでしたっけ")  # record_rule: no 電子保証 said
    assert (said.orderer, said.aspect) == ("北九州市", "start"), said
    assert "入札公告日で判断" in said.answer
    assert not ask("北九州市の公園の開園日").answered  # the name alone is not enough


def test_a_contract_before_the_start_asks_what_its_record_keeps_on_paper() -> None:
    # 中間前払金 is one of 島根県's before_start_paper words; the date is before its start
    old = ask("島根県、令和5年5月契約の工事の中間前払金は電子でいける？")
    assert (old.orderer, old.aspect) == ("島根県", "pre_start"), old
    assert "運用開始前の契約" in old.answer
    # after the start it is which certificates are covered, as without a date
    new = ask("島根県、令和5年7月契約の工事の中間前払金は電子でいける？")
    assert new.aspect != "pre_start", new


def test_saying_the_form_is_not_asking_where_to_submit() -> None:
    for said in ("紙の証書で出したい", "でんしでだせますか", "書面で出しても"):
        assert detect_aspect(CUES, said, "") == ("start", False), said
    assert detect_aspect(CUES, "認証キーはどこに出せば", "")[0] == "submission"
    assert detect_aspect(CUES, "電子で出した認証キーの宛先", "")[0] == "submission"
    assert detect_aspect(CUES, "メールアドレスは誰のを書けば", "")[0] != "submission"
    assert detect_aspect(CUES, "市にどういう形で渡す決まり？", "")[0] == "submission"
    # 出す before a noun describes the certificate: which ones may be electronic
    assert detect_aspect(CUES, "市に出す契約保証の証書も電子で", "")[0] == "documents"
    # 電子証書で提出 is the form too, unless where, how or by when is asked
    assert detect_aspect(CUES, "電子証書で提出することは可能", "") == ("start", False)
    assert detect_aspect(CUES, "電子証書でどうやって提出", "")[0] == "submission"
    assert detect_aspect(CUES, "電子証書を出しても大丈夫", "") == ("start", False)
    # the polite ending that said "can" is gone from the surface: the whole question's kind
    assert detect_aspect(CUES, "電子証書で提出でき", "", ("can",))[0] == "start"
    assert detect_aspect(CUES, fold("保証証書をデータで出せ"), "") == ("start", False)
    assert (
        detect_aspect(CUES, fold("認証キーは電子で提出できる"), "")[0] == "submission"
    )  # how it is sent
    # a date said: whether it could be given electronically then, not where it goes
    assert detect_aspect(CUES, "あの工事の認証キー、出してよかった", "", dated=True) == (
        "start",
        True,
    )
    assert detect_aspect(CUES, "認証キーはどこに出せば", "", dated=True)[0] == "submission"
    # the form said in kana too (でんしでほしょうしょうしょをだせ), and 工事だけど is not "works only"
    said = fold("コンサルの業務でも電子で保証証書を出せ")
    assert detect_aspect(CUES, said, "こんさるのぎょうむでもでんしでほしょうしょうしょをだせ") == (
        "coverage",
        True,
    )
    assert detect_aspect(CUES, "工事だけど電子の証書はもう使え", "") == ("start", True)
    # a kind of contract said with a kind of guarantee asks the kinds of contract; 中間前払金
    # asks the certificates; いつから asks the start whatever is named
    assert detect_aspect(CUES, "業務委託の前払金保証も電子にできますか", "")[0] == "coverage"
    assert detect_aspect(CUES, "業務委託で中間前払金の証書は電子でいける", "")[0] == "documents"
    assert detect_aspect(CUES, "前払金保証も電子にできますか", "")[0] == "documents"
    assert detect_aspect(CUES, "契約保証の証書のほうも電子で大丈夫", "")[0] == "documents"
    said = fold("前払いの保証契約の保証のうちどれをデータで出せ")
    assert detect_aspect(CUES, said, "")[0] == "documents"
    assert detect_aspect(CUES, "工事と業務どっちも電子でいける", "")[0] == "coverage"
    assert detect_aspect(CUES, "業務委託はいつから電子保証の対象", "") == ("start", True)
    assert detect_aspect(CUES, "番号とキーをどのような形で伝えれば", "")[0] == "submission"
    assert detect_aspect(CUES, "どんくらい使われとる", "")[0] == "usage"
    assert detect_aspect(CUES, "電子化が始まる前に結んだ契約の中間前払金", "")[0] == "pre_start"
    assert detect_aspect(CUES, "履行保証保険つこうたら電子扱いになる", "")[0] == "documents"
    # いつから with 出せる asks the start
    assert detect_aspect(CUES, "証書をネットで出せるようになったのはいつ頃から", "") == (
        "start",
        True,
    )


def test_orderer_templates_by_precision_and_aspect() -> None:
    day = ask("島根県はいつから電子証書使える？ 開始日教えて")
    assert "令和5年6月1日以降に契約を締結する案件から" in day.answer or day.kind == "faq"
    month = ask("新上五島町っていつから電子？")
    assert "令和7年3月（日は資料に記載なし）" in month.answer
    by = ask("農水省の発注も電子保証になる？")
    assert "開始日は資料に記載なし、令和7年2月1日時点で導入済み" in by.answer
    usage = ask("唐津市の電子保証の利用率ってどのくらい？")
    assert "373件のうち電子証書287件" in usage.answer and "76.9%" in usage.answer
    assert "令和8年1月31日現在" in usage.answer
    for answer in (month, by, usage):
        assert "出典: 電子保証のご案内（" in answer.answer


def test_orderer_template_details() -> None:
    from core.knowledge import load_orderers
    from faq.render import render_orderer

    by_name = {o.name: o for o in load_orderers().orderers}
    tosu = render_orderer(CUES, by_name["鳥栖市"], "submission")
    assert "契約保証: 電子メールで契約検査課へ" in tosu
    assert "前払金保証・中間前払金保証: 電子メールで各担当課へ" in tosu
    start = render_orderer(CUES, by_name["鳥栖市"], "start")
    assert "令和8年3月1日以降に入札公告を行う案件から" in start
    shimane = render_orderer(CUES, by_name["島根県"], "pre_start")
    assert "令和5年6月1日" in shimane and "変更・訂正・中間前払金の保証証書も書面" in shimane
    coverage = render_orderer(CUES, by_name["島根県"], "coverage")
    assert "業務委託: 対象（前払金保証）" in coverage and "地域維持: 対象外" in coverage
    documents = render_orderer(CUES, by_name["島根県"], "documents")
    assert "銀行・保険会社が発行する保証証書は対象外" in documents
    kumamoto = render_orderer(CUES, by_name["熊本県"], "coverage")
    assert "地域維持: 資料に記載なし" in kumamoto
    unknown = render_orderer(CUES, by_name["大阪府"], "submission")
    assert "資料に記載がありません" in unknown
    doubtful = render_orderer(
        CUES, by_name["鳥栖市"].model_copy(update={"verified": False}), "start"
    )
    assert "疑義" in doubtful
    for text in (tosu, start, shimane, coverage, documents):
        assert text.splitlines()[-1].startswith("出典: ")


def test_templates_ship_inside_the_package() -> None:
    assert TEMPLATES_DIR.parent == Path(__file__).resolve().parents[1] / "faq"
    names = {p.name for p in TEMPLATES_DIR.glob("*.j2")}
    assert {"orderer_start.j2", "orderer_usage.j2", "branch.j2"} <= names


# --------------------------------------------------------------------------- branches


@pytest.mark.parametrize(
    ("question", "branch", "field", "value"),
    [
        ("熊本支店のFAX何番だっけ？", "熊本支店", "fax", "0120-504-178"),
        ("ふくおかしてんのでんわばんごうおしえて", "福岡支店", "phone", None),
        ("神戸にある支店の電話番号って何番？", "兵庫支店", "phone", None),
        ("山口支店 住所", "山口支店", "address", "山口市中央四丁目5番16号"),
        ("東京支店の電話", "東京支店", "phone", "03-6848-5671"),
        ("長崎視点の電話番号", "長崎支店", "phone", None),  # 視点 sounds like 支店
        ("大分支店の入ってるビルは？", "大分支店", "address", None),
        ("高知支店ってどこ？", "高知支店", "address", None),
        ("宮崎支展のファックス番号", "宮崎支店", "fax", None),  # 支展: two tokens read してん
        ("高地支店の電話番号", "高知支店", "phone", None),  # 高地 reads as 高知
        ("高松にある御社の事務所の所在地", "香川支店", "address", None),  # an office, by city
        ("宮崎市店の電話番号おしえてください", "宮崎支店", "phone", None),  # 市店 for 支店
        ("大阪の支店あてに書類を郵便で送りたいんだけど、宛先を教えて", "大阪支店", "address", None),
        # a FAX said not to be meant; papers sent down the phone line are a FAX
        (
            "FAXじゃなくて直接持って行こうと思うんですけど、滋賀支店ってどこに",
            "滋賀支店",
            "address",
            None,
        ),
        ("滋賀支店に紙の書類を電話回線で送りたい、受信の番号は？", "滋賀支店", "fax", None),
        ("沖縄の支店に申込書を紙で送りたいんだけど、送信先の番号は？", "沖縄支店", "fax", None),
        ("高知支店の所材地を教えてください", "高知支店", "address", None),  # 所在地 mistyped
        ("愛媛にあるおたくの事務所って、どこのビルに入ってるんですか", "愛媛支店", "address", None),
        (
            "熊本支店に書類を持参したいのですが、どちらに伺えばよいですか",
            "熊本支店",
            "address",
            None,
        ),
    ],
)
def test_branch_answers(question: str, branch: str, field: str, value: str | None) -> None:
    answer = ask(question)
    assert answer.answered and answer.kind == "branch"
    assert (answer.branch, answer.field) == (branch, field)
    if value:
        assert value in answer.answer
    assert (
        answer.source == "電子保証のご案内（令和4年5月運用開始）（西日本建設業保証、令和4年5月）"
        and answer.as_of == "2022-05-01"
    )


def test_a_branch_by_sound_is_the_words_right_before_it() -> None:
    # 高地支店 sounds like 高知支店; しが inside 話が出て is no 滋賀支店
    assert ask("高地支店の住所は？").branch == "高知支店"
    question = "毎回支店まで証書を取りに行ってたんですが、電子にする話が出て。どこに送るんですか"
    assert ask(question).kind != "branch"


def test_another_surety_companys_branch_is_not_ours() -> None:
    answer = ask("北海道建設業信用保証の札幌支店の電話番号")
    assert not answer.answered and "別の保証事業会社" in answer.answer
    answer = ask("ひがしにほんけんせつぎょうほしょうのとうきょうしてんのじゅうしょ")
    assert not answer.answered and answer.kind == "none"
    assert ask("東京支店の電話").answered  # ours
    assert ask("北海道建設業信用保証でも電子保証はできる？").entry_id == "surety-companies"


@pytest.mark.parametrize(
    ("question", "label"),
    [("支店の電話番号は？", "電話番号"), ("御社の住所を教えてください", "住所")],
)
def test_a_branch_not_named_is_asked_back(question: str, label: str) -> None:
    answer = ask(question)
    assert not answer.answered and answer.kind == "branch"
    assert answer.answer.startswith(
        f"どちらの支店の{label}をお答えしますか。当社の支店（25）: 東京支店"
    )
    assert len(answer.candidates) == 25 and "熊本支店" in answer.candidates
    assert answer.alternatives[0].question == f"東京支店の{label}"  # to pick one (the UI asks it)
    assert ask(f"熊本支店の{label}").answered
    assert ask("申込書の住所の欄は会社の住所でいい？").kind == "faq"  # the form's field, not ours
    # what is asked must follow: not 御社の一覧 … どこにも
    assert ask("御社の発注者一覧を見たけど、村の名前がどこにも見当たらない").kind != "branch"


@pytest.mark.parametrize(
    "question",
    [
        "札幌支店の電話番号は？",  # a named branch that is not ours
        "みずほ銀行の支店の電話番号は？",  # a bank's
        "貴社の口座番号を教えて",  # a number, not the phone's
        "支店に電話したけどつながらない",  # a call, not a number asked
    ],
)
def test_not_every_branch_word_asks_which_branch(question: str) -> None:
    answer = ask(question)
    assert not answer.answered and "どちらの支店" not in answer.answer


def test_branch_ask_back_takes_the_field_said_after_the_branch() -> None:
    assert ask("最寄りの支店の電話番号").answer.startswith("どちらの支店の電話番号")
    hours = ask("支店の電話受付は何時まで？")
    assert not hours.answered and "営業時間・受付時間は資料に掲載がありません" in hours.answer


def test_branch_without_a_field_is_not_a_branch_answer() -> None:
    assert not ask("佐賀支店って駐車場ある？").answered


def test_a_branchs_lift_is_not_in_its_record() -> None:
    said = "岡山支店の入ってる建物って、エレベーターありましたっけ…足を悪くしてて"
    assert not ask(said).answered


def test_branch_hours_are_not_in_the_data() -> None:
    for question in ("支店の窓口って何時から何時まで開いてます？", "福岡支店は土曜も開いてる？"):
        answer = ask(question)
        assert not answer.answered and "営業時間" in answer.answer, question
    assert ask("e-Netって何時まで使える？").entry_id == "enet-hours"  # e-Net's hours are known
    # someone else's desk is not a branch: GMOサイン's support hours are in an entry
    gmo = ask("ＧＭＯサインのサポート窓口は平日何時まで電話つながる？")
    assert gmo.entry_id == "tosu-gmo-support"
    assert "営業時間" not in ask("市役所の窓口は何時まで開いてる？").answer


@pytest.mark.parametrize(
    ("question", "plain", "entry"),
    [
        # a detail (data/cues.yaml, detail.*) the entry on the topic does not give
        ("お知らせのPDFのファイル名って変えて出しても問題ない？", "", ""),
        (
            "e-Net保証の割引、去年申し込んだ分にも遡って適用される？",
            "e-Net保証の割引はいくら？",
            "enet-discount",
        ),
        ("D-Sureのアカウントは誰が発行するの？", "D-Sureって何？", "d-sure-what"),
        ("電子証書の英文のものは出せますか", "", ""),
        # by the kind of question: how long it takes (the entry gives no duration)
        (
            "e-Netの操作マニュアル動画は全部で何分くらい？",
            "操作マニュアルの動画はある？",
            "enet-manual-video",
        ),
        # a fault to fix, a printed copy's colour, score points
        ("e-Net保証の画面が真っ白になって進めない", "", ""),
        ("電子証書の画面の印刷はカラーじゃないとだめ？", "", ""),
        ("宮崎県の工事で電子保証を使うと加点される？", "宮崎県の電子保証はいつから？", ""),
        # the number of characters, a section's name, an address itself, which seal
        ("認証キーって何文字の英数字？", "認証キーって何？", "authentication-key-what"),
        (
            "芦屋町で電子保証を担当しとる課の名前は？",
            "芦屋町の電子保証はいつから？",
            "ashiya-start-scope",
        ),
        (
            "広島県の契約担当課のメールアドレスを教えて",
            "広島県には認証キーをどう出す？",
            "hiroshima-submission",
        ),
        (
            "e-Netの利用申込書のハンコは実印じゃないとダメ？",
            "e-Netで申し込むたびにハンコはいる？",
            "enet-no-seal",
        ),
        # an address itself, a name of the person in charge, removing what the site shows
        ("西日本建設業保証の本社の住所はどこ？", "", ""),
        ("佐賀支店の担当の人の名前わかる？", "", ""),
        ("e-Netの画面に勝手に出てくる工事、あれ消せないの？", "", ""),
        # a plan, which is more, a limit, a reply
        ("e-Netの利用手数料が無料なのは今後も続く予定ですか", "e-Netの利用手数料は？", "enet-fees"),
        ("保証事業会社の3社で、一番シェアが大きいのはどこ？", "", ""),
        ("鳥栖市の変更契約って、GMOサインで何回まで変更できる？", "", ""),
        ("広島県へメールで提出した後、県から受領確認の返信はありますか", "", ""),
        # a page's address itself, who may apply, when a service began, a call back
        ("D-Sure ログイン URL", "D-Sureって何？", "d-sure-what"),
        ("e-Net保証って個人事業主でも登録できる？", "e-Net保証って何？", "enet-what"),
        ("e-Net保証というサービスは、何年から始まったものですか", "", ""),
        ("e-Netで申し込んだあと、支店から確認の電話がかかってくる？", "", ""),
        ("福岡県って前払金の請求書もメールで出せる？", "", ""),  # an invoice, not the key
        # where a company's head office is, which body uses it most, how use has grown
        ("東日本建設業保証の本社はどこにあるの？", "", ""),
        ("熊本県内の市町村で電子保証の利用率が一番高いのはどこ？", "", ""),
        (
            "佐賀県内の電子保証の利用率、去年の同じ頃と比べて上がってる？",
            "佐賀県内の電子保証の利用率は？",
            "saga-usage-statistics",
        ),
        # a seal shown on the certificate, the screen's text size, subtitles, a sample itself
        ("D-Sureで見る電子証書には社印が押されてるの？", "D-Sureって何？", "d-sure-what"),
        ("e-Net保証の画面の字が小さいけど大きく表示できる？", "", ""),
        (
            "操作マニュアルの動画に字幕はありますか",
            "操作マニュアルの動画はある？",
            "enet-manual-video",
        ),
        ("電子証書の見本ってもらえますか", "", ""),
        # which floor, original or copy, giving back, a trial period, a plan
        ("鳥栖市の契約検査課は市役所の何階？", "", ""),
        ("発注者が印刷した電子証書は原本扱いになりますか", "", ""),
        ("契約保証予約の証書は落札できなかったら返却するの？", "", ""),
        ("電子保証の開始前に試験運用の期間はありましたか", "", ""),
        ("熊本県内でこれから導入を予定している町村はありますか", "", ""),
        # how the certificate looks, the company itself, a draft, another document, lending
        ("保証会社ごとに電子証書の見た目は違うの？", "", ""),
        (
            "西日本建設業保証は何年に設立された会社ですか",
            "保証事業会社はどこ？",
            "surety-companies",
        ),
        ("e-Netの申込み画面は一時保存できますか", "", ""),
        ("中間前払金の認定調書も電子で出せますか", "", ""),
        ("支店で申込み用のパソコンを貸してもらえますか", "", ""),
        # a usage figure of a place the answer does not name (not the country's figure)
        (
            "長崎県内の電子保証の利用率はどのくらい？",
            "電子保証の利用率は全国でどのくらい？",
            "usage-statistics",
        ),
        # a law, a printed copy by post, a subsidy, a seal on the PDF, a QR code on it
        (
            "保証事業会社は何という法律に基づいているの？",
            "保証事業会社はどこ？",
            "surety-companies",
        ),
        ("導入発注者の一覧を紙に刷って郵送してもらえる？", "", ""),
        ("電子保証を使うと国から補助金は出ますか", "", ""),
        ("認証キー等のお知らせのPDFに会社の印鑑を押してから出すべき？", "", ""),
        ("電子証書にQRコードがついてて、読めば見られるの？", "", ""),
        # withdrawn, moved between companies, a form's field, another procedure, time passed
        ("電子保証を入れたけどやめた役所ってある？", "", ""),
        ("ほかの保証会社から途中の工事ごと乗り換えできる？", "", ""),
        ("e-Netの工事場所の欄は番地まで入れるの？", "", ""),
        ("指名願いの出し方を教えて", "", ""),
        ("渡した番号とキーは半年くらい経っても開けるの？", "", ""),
        ("紙の証書はそのうち全部なくなって電子だけになるの？", "", ""),
        # a head office's address said as keywords, which date a certificate bears, deleting
        ("保証事業会社 本社 所在地", "保証事業会社 何社", "surety-companies"),
        ("電子証書に載る発行の日付は申し込んだ日？", "", ""),
        ("おすすめの保証申込みに出てくる工事、自分で消したりできる？", "", ""),
        # trouble heard of, a precedent, an orderer's own form, ties between companies, plans
        ("島根県で電子にしたら何か不具合が出たって話はある？", "", ""),
        ("北海道建設業信用保証の電子証書は島根県で使われたことある？", "", ""),
        ("URの工事で電子保証を使うとき、UR独自の様式は要る？", "", ""),
        ("日本電子認証と当社はどういう契約関係ですか", "", ""),
        ("有明高専の入札の予定は分かる？", "", ""),
        ("紙で持っていくのと郵送とどっちが早い？", "", ""),
        # flyers by post, a copy sent back, larger text
        ("電子保証のチラシを何十枚か送ってもらえますか", "", ""),
        ("利用申込書の控えのコピーは返送してもらえますか", "", ""),
        ("e-Net保証の画面の文字をもう少し大きくできますか", "", ""),
        # a code printed on the certificate, said in katakana (matched folded, in hiragana)
        ("電子証書そのものに二次元コードが付いていて、読み取れば見られるの？", "", ""),
        # a person's name asked in dialect, a form to make a schedule in
        ("岡山支店で電子保証を担当しとる人の名前を教えてもらえる？", "", ""),
        ("鳥栖市の電子契約で、契約書と一緒に出す工程表はどんな形式で作ればいいですか", "", ""),
        # the days off (an answer with hours does not say them; a holiday said as when
        # something happened asks none), how many use something, a change heard of
        (
            "e-Net保証のご利用時間は、年末年始も同じでしょうか",
            "e-Net保証の利用時間は？",
            "enet-hours",
        ),
        ("D-Sureって発注者のほうは土日や夜も見られるの？", "", ""),
        ("来年度から紙の保証証書はもう出せなくなるって噂、ほんと？", "", ""),
        ("島根県で銀行の保証を使う会社って、どのくらいいる？", "", ""),
        (
            "ネットで保証を申し込めるあのサービス、名前が変わるとかリニューアルするとかいう話って出てます？",
            "",
            "",
        ),
        # another company's phone number or start, head offices, undoing a document sent
        ("北海道建設業信用保証のＴＥＬ番号ってわかる？", "", ""),
        ("東日本建設業保証のほうは電子保証をいつから始めたんですか", "", ""),
        (
            "保証事業会社3社の本社ってそれぞれどこにあるの？",
            "保証事業会社って何社ある？",
            "surety-companies",
        ),
        ("資料送付で間違ったPDFを送っちゃったんですけど、取り消しとか削除ってできます？", "", ""),
        # another surety company's own system, which the entries do not describe
        (
            "東日本建設業保証さんにも、e-Net保証のようなインターネット申込みのシステムはある？",
            "",
            "",
        ),
        # a works bureau of the orderer, a comparison of figures, who did it, which section
        ("福岡市の水道局が発注する工事も、福岡市と同様に電子保証の対象に含まれますか", "", ""),
        ("でんしほしょうのりようりつって、きゅうしゅうときんきだとどっちがたかいですか", "", ""),
        ("名護市で電子保証の担当をしている職員の方はどなたですか", "", ""),
        ("福岡の芦屋町の工事、町のどこの課が電子保証の担当なのか知りたい", "", ""),
        # why an orderer decided as it did, which no record says
        (
            "島根県の委託で契約保証が電子の対象外なのって、なんで？",
            "島根県の委託で契約保証は電子の対象？",
            "shimane-covered",
        ),
        # a medium to send the videos on, a check that a faxed form arrived, a fax number
        ("操作マニュアルの動画、DVDに焼いて送ってもらえない？", "", ""),
        (
            "昨日e-Net保証の利用申込書をFAXしたんだけど、ちゃんと届いてるか確認してもらえる？",
            "",
            "",
        ),
        ("島根県の土木総務課にFAXで問い合わせたいので、番号を教えてほしいって", "", ""),
        # a request to have one's works listed, which no entry says how to make
        (
            "おすすめの保証申込みに、うちが取った工事も載せてほしいんだけど、どう頼めばいい？",
            "おすすめの保証申込みって何？",
            "enet-recommended-projects",
        ),
        # the key in another form than the PDF the entries describe
        (
            "認証キーを、PDFじゃなくてQRコードにして発注者に渡すことってできます？",
            "認証キーのPDFはどこからダウンロードする？",
            "step4-get-key",
        ),
        # a usage figure asked of a prefecture's bodies, answered by no list without figures
        ("熊本県内の市町村の電子保証の利用率ってわかる？", "", ""),
        # a breakdown of a figure, by office or by kind of guarantee, that no answer gives
        ("国土交通省の約95％という数字、地方整備局ごとの内訳は出ていますか", "", ""),
        ("登録のお知らせを、メールではなく携帯のショートメッセージで受け取れる？", "", ""),
        ("e-Net保証のパスワードを何回か間違えたら入れなくなった、どうすれば", "", ""),
        ("e-Netで作った使途内訳明細書は、そちらから役所へ自動的に送られますか", "", ""),
        ("e-Net保証の使い方を教わる講習の会みたいなのってやってないんですか", "", ""),
        ("利用申込書はPDF版とエクセル版、どっちで出したほうが早く処理してもらえる？", "", ""),
        ("e-Netの使い方を書いた紙の手引きを、会社に郵便で送ってもらえる？", "", ""),
        ("認証キーを、QRコードみたいな形で発注者に渡すことってできますか", "", ""),
        ("電子保証が始まってから、御社でこれまでに電子証書を何件発行しましたか？累計で", "", ""),
        ("e-Net保証で入力途中の申込みをいちじ保存ってできますか", "", ""),
        ("操作マニュアルの動画、全部見るとどれくらい時間がかかるものなんでしょう", "", ""),
        ("佐賀県内で、契約保証のほうだけで見ると、電子になってる割合はどれぐらい？", "", ""),
        ("e-Net保証の画面の字がちっちゃくて見えんがね、大きくできる設定はあるの？", "", ""),
        (
            "佐賀県内で、契約保証のほうの電子の割合って出てますか",
            "佐賀県内の市町ごとの利用率は？",
            "saga-usage-statistics",
        ),
        # another person signing for the one entitled, a count of companies (not a share), a rank
        (
            "鳥栖市の電子契約で、社長が出張中のため総務部長が代わりに署名することはできますか",
            "",
            "",
        ),
        ("電子保証を使ってる業者さんって、全国で何社くらいあるんですかね", "", ""),
        ("佐賀県の電子保証の利用率って、全国で何番目ぐらいなんでしょうか", "", ""),
        ("芦屋町の電子保証の担当の方…お名前とか分かったりします？", "", ""),  # a person's name
        # a list of the companies that use it, undoing a sending, encrypting, copies of a contract
        ("電子保証を使ってる建設会社の一覧って見せてもらえたりします？", "", ""),
        ("e-Netの資料送付で間違ったファイルを送っちゃったみたいで、取り消しってできます？", "", ""),
        ("認証キーのPDFをメールで送るとき、念のため暗号化とかしておいた方がいいんですかね", "", ""),
        ("鳥栖市の電子契約って、契約書は何通作る扱いになるの？", "", ""),
        # the number of companies that use it (not the surety companies), a joint venture, the
        # screen's colours, a draft mistyped 一次保存
        ("データでの保証を使っている建設会社さんって、全部で何社くらいあるんですか", "", ""),
        ("何社かで組んで一緒に受けた工事でも、証書をデータでもらえる？", "", ""),
        ("いーねっとほしょうの がめんの はいけいしょくを かえる せっていって ありますか", "", ""),
        ("e-Net保証の申込み画面って、入力の途中で一次保存できますか", "", ""),
        ("あのー、電子保証の案内のチラシ、えっと、何枚か支店でもらえたりします？", "", ""),
        # whether the orderer opened it, a share of the contract sum, a rank, how many videos,
        # a seal on a PDF, an ID of one's own choosing
        (
            "認証キーを送ったけど、向こうが実際に証書を開いて見てくれたのか、こちらで分かる？",
            "",
            "",
        ),
        ("前払って契約金額のどれくらいまで受け取れるだか？", "", ""),
        ("国の役所で最初に始めたのは国交省だと思うんですが、二番目はどこだったんでしょう", "", ""),
        ("えーと、操作マニュアルの動画って、全部で何本くらいあるんでしたっけ", "", ""),
        ("広島県の前払金請求書なんですけど…PDFにする場合でも押印って要るんでしょうか", "", ""),
        ("ネット申込みのログイン用の番号って、自分の好きな文字に決められますか", "", ""),
        ("さがけんの でんしほしょうの りようりつは きゅうしゅうで なんばんめ", "", ""),
        (
            "佐賀県の電子保証の利用率、去年の今頃はどのくらいだったか比べられる数字ってある？",
            "",
            "",
        ),
        # 和暦 or 西暦, a seal to press on a document, a limit on how many
        ("ｅ－Ｎｅｔ保証の工期の入力、和暦と西暦どっち？", "", ""),
        ("認証キー等のお知らせに会社の判ば押さんといかんですか", "", ""),
        ("e-Net保証で一度にたくさん申し込むと…何か件数の制限に引っかかったりしますか", "", ""),
        # applying for several at once, which seal of two, the order of a list, a field to type in
        ("e-Net 複数工事 一括申込み 可否", "", ""),
        ("e-Net保証利用申込書に押す判子は、代表者印と角印のどっちなんでしょう", "", ""),
        ("保証工事一覧の並び順を、工期の順に変えられますか", "", ""),
        ("前払の申込みの画面で、えっと、工期を入れる欄が見当たらないんですけど", "", ""),
        # a seal shown on the certificate, asked in kana (an answer that no seal is pressed on
        # the application does not say)
        ("でんししょうしょに かいしゃの はんこの いんえいは のりますか", "", ""),
        ("でんししょうしょに かいしゃの はんこを おす らんは ありますか", "", ""),
        # a figure worked out for a sum, a paper certificate swapped for an electronic one
        ("前払の保証料、請負額が３０００万円だとだいたいいくらになる？", "", ""),
        ("窓口で受け取った紙の保証証書を、今から電子のほうに取り替えてもらえない？", "", ""),
        # what else a company named in an answer does
        (
            "D-Sureをやってる会社って、ほかにどんな事業をしてるところ？",
            "D-Sureって何？",
            "d-sure-what",
        ),
        # how to operate, asked of an entry that describes a mail, not what to press
        (
            "鳥栖市の署名依頼メールが来たけど、そこから先どう操作すればいい？",
            "鳥栖市の署名依頼メールってどんな件名で来る？",
            "tosu-signature-request-email",
        ),
    ],
)
def test_a_detail_the_answer_does_not_give_is_not_answered(
    question: str, plain: str, entry: str
) -> None:
    assert not ask(question).answered, question
    if plain:  # the same topic without the detail is answered
        answered = ask(plain)
        assert answered.answered and answered.entry_id == (entry or None), plain


def test_no_entry_is_declined_for_a_detail_on_its_own_phrasings() -> None:
    # Each phrasing of an entry is a question its answer answers: a detail cue that one of
    # them asks (detail.*.asked) must be given by that answer (detail.*.answered), or the
    # cue declines questions the knowledge itself says are answered.
    a = assistant()
    found = [
        f"{entry.id}: {question} ({', '.join(missing)})"
        for entry in a.entries
        for question in entry.questions
        if (
            missing := details_missing(
                a.cues, details_asked(a.cues, fold(clean(question))), entry.answer
            )
        )
    ]
    assert found == []


def test_a_detail_the_entry_gives_is_answered() -> None:
    # detail.stamp: the entry on 鳥栖市's e-contracts says that no revenue stamp is needed
    assert ask("鳥栖市の電子契約で契約書の印紙はいる？").entry_id == "tosu-econtract-overview"
    # detail.email_address: the entry says where the address is published
    assert ask("芦屋町に認証キーを送るメールアドレスを教えて").entry_id == "ashiya-submission"
    # detail.address: where to write the address is not the address itself
    assert ask("利用申込書の会社の住所はどこに書くの？").entry_id == "enet-application-form"
    # detail.criteria: 公告日基準 is the rule the entry gives, not a question of criteria
    assert ask("鳥栖市の電子保証は公告日基準ですか").entry_id == "tosu-eguarantee-scope"


def test_kinds_listed_in_kana_are_no_body_and_a_numeral_typed_out_is_the_name() -> None:
    # だいがくとか こうせん lists kinds of bodies (name.listed_with): no body named だいがくとか
    answer = ask("だいがくとか こうせんの はっちゅうでも でんしで だいじょうぶ？")
    assert answer.entry_id == "universities-kosen"
    assert ask("二十日市市の工事、電子保証はいつから？").orderer == "廿日市市"  # its alias
    # a body run together with its prefecture (兵庫県三木市: one word to the analyser)
    assert "三木市（兵庫県）は一覧" in ask("兵庫県三木市の工事で電子証書は使えますか").answer
    assert ask("佐賀県鳥栖市の電子保証はいつから？").orderer == "鳥栖市"
    # 何日から, だよね: nothing but what a record holds
    assert ask("上天草市って令和四年九月からだよね、何日から？").orderer == "上天草市"
    assert (
        ask("宍粟市は令和七年四月一日以降の契約から、ということでよろしいですか").orderer
        == "宍粟市"
    )
    assert ask("人吉市は何月何日からやったかね").orderer == "人吉市"
    assert ask("益城町は令和６年４月からやったろか？").orderer == "益城町"
    assert ask("佐賀市は令和5年の何月から始まったと？").orderer == "佐賀市"
    assert ask("玄海町の電子保証の実績って、どんなもんですか").aspect == "usage"
    said = "姫路市に電子保証の番号を伝えるのって、どういうやり方でしたっけ"
    assert ask(said).aspect == "submission"
    said = "南小国町なんですけど…小国町は確か対応してたと思うんですが、南小国町のほうはどうなんでしょう"
    assert "南小国町（熊本県）は一覧" in ask(said).answer
    said = "福岡県の仕事で、工事の途中で追加でもらう前払いの保証もデータにできる？"
    assert (ask(said).orderer, ask(said).aspect) == ("福岡県", "documents")  # 中間前払金
    said = "あのー、小豆島町って、土庄町は入ってたと思うんですけど、小豆島町の方は…"
    assert "小豆島町（香川県）は一覧（令和8年2月2日現在）に掲載なし" in ask(said).answer
    # the start of a long name with its prefecture said as a place
    answer = ask("鳥取の東部広域の工事、認証キーはどこにメールすればいい？")
    assert answer.orderer == "鳥取県東部広域行政管理組合"
    assert ask("鳥取の東部広域行政管理組合はいつから？").orderer == "鳥取県東部広域行政管理組合"
    assert ask("佐賀東部水道企業団の工事は電子保証いける？").orderer == "佐賀県東部水道企業団"
    assert ask("西日本さんの保証は東京でも使える？").orderer != "西日本高速道路"  # us, not NEXCO
    said = "愛知の業者なんやけど、九州の現場の保証も西日本さんで引き受けてもらえるんやろか"
    assert ask(said).orderer != "西日本高速道路"
    assert ask("東京の現場の保証も名古屋支店で受けてもらえるんかね").orderer is None  # ours
    # our own business, with 保証 mistyped 保障: not 北海道's record
    assert ask("北海道の現場なんですけど、御社で保障してもらえますか").orderer is None
    # which certificates, of a record that names the guarantors it refuses
    assert ask("尾道市の契約保証を銀行の保証書で出す場合も電子？").aspect == "documents"
    assert ask("江田島市はどの種類の契約が電子保証の対象ですか").aspect == "coverage"
    # the kanji part of a name that starts in kana (串木野 for いちき串木野市)
    assert ask("串木野の工事は電子保証いつから？").orderer == "いちき串木野市"
    # 広島の県発注: the prefecture, not 広島市
    answer = ask("広島の県発注の工事は電子保証いつから？")
    assert answer.answered and answer.answer.startswith("広島県")
    # 嶋 for 島 (name.lookalike_kanji): asked back with the body meant
    assert ask("江田嶋市って電子保証はいつから？").candidates[0].startswith("江田島市")


@pytest.mark.parametrize(
    ("question", "aspect"),
    [
        ("福岡県の工事で、銀行の契約保証を電子で出せる？", "documents"),  # whose certificate
        ("松山市に出せる電子証書は、どこが発行したものならいい？", "documents"),
        ("伊万里市ってもう結構使われてるの？", "usage"),  # how much it is used
        # a bank's or an insurer's certificate, even said with how it is sent
        ("由良町で、損害保険会社の契約保証をPDFの証券で出すのは大丈夫？", "documents"),
        ("福岡県の工事で、銀行や信用金庫の保証の書類もデータで提出できる？", "documents"),
    ],
)
def test_the_aspect_is_read_from_whose_certificate_and_how_much_it_is_used(
    question: str, aspect: str
) -> None:
    assert ask(question).aspect == aspect, question


def test_who_submits_is_not_asked_as_who_issues() -> None:
    # 出す is to submit here: the detail of who issues (detail.issuer) is not read in it
    assert ask("認証キー等のお知らせはどこが出すの？").entry_id == "how-to-submit"


def test_an_aspect_asked_of_a_listed_body_is_its_record_whatever_else_is_said() -> None:
    # no word of guarantees, and an entry about 芦屋町's scope shares the words: the record
    answer = ask("委託の仕事もいけるんかな、今度姫路市と測量の契約をするんだけど")
    assert (answer.orderer, answer.aspect) == ("姫路市", "coverage")


# --------------------------------------------------------------------------- FAQ, abstention


def test_faq_answer_carries_source_date_and_confidence() -> None:
    answer = ask("入札ボンドも電子でもらえる？")
    assert answer.answered and answer.kind == "faq" and answer.entry_id == "bid-bond"
    entry = next(e for e in load_faq().entries if e.id == "bid-bond")
    assert answer.source == cite(entry.source) and answer.as_of == entry.as_of.isoformat()
    assert answer.answer.startswith(entry.answer)
    assert answer.answer.endswith("出典: 電子保証のご案内（佐賀支店、令和8年2月26日）")
    assert 0 < answer.confidence <= 1


@pytest.mark.parametrize(
    "question",
    [
        "明日って雨降るかな？",
        "この辺でランチできるお店ってありますか",
        "自動車保険の等級ってどうやって上がるの？",
        "生命保険の見直しをしたい",
        "こんにちは",
        "",
        "？？？",
        "a" * 2000,
    ],
)
def test_out_of_domain_is_not_answered(question: str) -> None:
    answer = ask(question)
    assert not answer.answered and answer.kind == "none"
    assert answer.answer == NOT_FOUND and answer.source == "" and answer.as_of == ""


def test_an_answer_can_be_chosen_among_given_entries() -> None:
    a = Assistant.load()
    free = a.ask("電子保証の費用はかかりますか", top=5)
    assert free.answered
    others = frozenset(x.entry_id for x in free.alternatives if x.entry_id)
    assert others and free.entry_id not in others
    chosen = a.ask("電子保証の費用はかかりますか", top=5, among=others)
    assert chosen.entry_id in others or not chosen.answered
    assert {x.entry_id for x in chosen.alternatives} <= others
    assert not a.ask("電子保証の費用はかかりますか", among=frozenset({"no-such-entry"})).answered


def test_not_answered_lists_the_top_candidates() -> None:
    answer = assistant().ask("保証料の振込先の口座ってどこ？", top=3)
    assert not answer.answered
    assert 1 <= len(answer.alternatives) <= 3
    scores = [a.score for a in answer.alternatives]
    assert scores == sorted(scores, reverse=True)


def test_confidence_is_a_calibrated_probability() -> None:
    a = assistant()
    sure = ask("電子保証って紙の契約でも使えますか")
    assert sure.answered and 0.5 <= sure.confidence <= 1.0
    assert sure.confidence == pytest.approx(a.confidence(sure.evidence))
    lost = ask("明日の天気はどうですか")
    assert not lost.answered and lost.confidence < 0.5
    # more evidence, more confidence: a higher best score, a wider lead, more known words
    base = [1.5, 0.3, 1.0, 0.0, 1.0, 0.6]
    for i, step in ((0, 0.5), (1, 0.5), (2, 0.5)):
        higher = list(base)
        higher[i] += step
        assert a.confidence(higher) > a.confidence(base)
    unknown = [*base[:3], 0.5, *base[4:]]
    assert a.confidence(unknown) < a.confidence(base)


def test_calibration_fit_separates_right_from_wrong() -> None:
    from faq.evaluation import EvalItem, fit_calibration

    def item(q: str, expect: object) -> EvalItem:
        return EvalItem(q=q, expect=expect, also=(), split="dev", style="")

    items = [
        item("紙の契約書でも電子保証はできますか", {"faq": "paper-contract"}),
        item("認証キーってなに？", {"faq": "authentication-key-what"}),
        item("e-Netの利用料はかかりますか", {"faq": "enet-fees"}),
        item("今日のランチどこにしよう", "none"),
        item("車の保険の等級を上げたい", "none"),
        item("プリンターが動かない", "none"),
    ]
    fitted = fit_calibration(assistant(), items, steps=400)
    assert len(fitted) == len(assistant().tuning.calibration)
    tuned = assistant().with_tuning(calibration=fitted, min_confidence=0.0)
    right = [tuned.ask(i.q).confidence for i in items[:3]]
    wrong = [tuned.ask(i.q).confidence for i in items[3:]]
    assert min(right) > max(wrong)


def test_close_candidates_abstain() -> None:
    a = assistant().with_tuning(margin=1.0)  # nothing can beat its runner-up by 1.0
    assert not a.ask("入札ボンドも電子でもらえる？").answered


def test_json_contract() -> None:
    data = ask("入札ボンドも電子でもらえる？").to_json()
    contract = {
        "answered": bool,
        "answer": str,
        "confidence": float,
        "source": str,
        "as_of": str,
        "matched": str,
        "alternatives": list,
    }
    for key, kind in contract.items():
        assert isinstance(data[key], kind), key
    for alt in data["alternatives"]:
        assert set(alt) == {"question", "score", "entry_id"}  # entry_id added to the contract
        assert isinstance(alt["question"], str) and isinstance(alt["score"], float)
        entry = next(e for e in load_faq().entries if e.id == alt["entry_id"])
        assert alt["question"] in entry.questions
    assert data["kind"] in ("faq", "orderer", "branch", "none")
    json.dumps(data, ensure_ascii=False)


def test_json_dates_give_each_check(env_db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    question = "令和8年4月1日に契約する鳥栖市と芦屋町の工事は対象？"
    result = cli(capsys, "ask", "--json", question)
    assert result.code == 0
    dates = result.json["dates"]
    assert [(d["orderer"], d["day"], d["said_as"], d["eligible"]) for d in dates] == [
        ("鳥栖市", "2026-04-01", "契約締結日", None),  # decides by the announcement
        ("芦屋町", "2026-04-01", "契約締結日", True),
    ]
    assert (
        dates[1]["reason"] == "契約締結日（令和8年4月1日）は芦屋町の運用開始（令和8年4月1日）以降"
    )
    assert dates[0]["said"] == "令和8年4月1日" and dates[0]["next_time"] is None
    data = assistant().ask("唐津市で12月1日に契約予定の工事は電子でいける？", today=TODAY).to_json()
    (check,) = data["dates"]
    assert (check["said"], check["day"], check["next_time"]) == (
        "12月1日",
        "2025-12-01",
        "2026-12-01",
    )
    assert check["eligible"] is True
    assert ask("鳥栖市の認証キーはどこに出す？").to_json()["dates"] == []  # none said


def test_assistant_from_given_entries_only() -> None:
    entries = [e for e in load_faq().entries if e.id in ("bid-bond", "cost")]
    small = Assistant(entries)
    assert small.ask("入札ボンドも電子でもらえる？").entry_id == "bid-bond"
    assert not small.ask("鳥栖市はいつから？").answered


def test_entries_tagged_for_the_aspect_asked_are_favoured() -> None:
    # two entries with the same phrasing: the one tagged 提出 (favour.submission) wins when
    # how to submit is asked, and only then
    base = next(e for e in load_faq().entries if e.id == "step4-get-key")
    said = ("認証キーのお知らせはどうやって出すの？", "認証キーのお知らせはどこで見るの？")
    plain = base.model_copy(update={"id": "plain", "questions": said, "tags": ("認証キー",)})
    sent = base.model_copy(update={"id": "sent", "questions": said, "tags": ("提出",)})
    small = Assistant([plain, sent])
    assert small.ask("認証キーのお知らせはどうやって出すの？").entry_id == "sent"
    assert small.ask("認証キーのお知らせはどこで見るの？").entry_id != "sent"


def test_out_of_scope_topic_declines_with_its_name() -> None:
    entries = [e for e in load_faq().entries if e.id in ("cost", "bid-bond", "enet-fees")]
    reissue = OutOfScope(
        id="reissue-fee",
        topic="紙の保証証書の再発行",
        questions=(
            "保証証書をなくしたので再発行してほしい",
            "紙の証書の再発行手数料はいくらですか",
            "証書を紛失したときの再発行の手続き",
        ),
    )
    question = "保証証書をなくしたときの手数料っていくら？"
    assert Assistant(entries).ask(question).entry_id == "enet-fees"  # shares 手数料
    small = Assistant(entries, out_of_scope=[reissue])
    answer = small.ask(question)
    assert not answer.answered and answer.kind == "none"
    assert (
        answer.answer
        == "該当する回答が見つかりません（紙の保証証書の再発行のことでしたら、このFAQの対象外です）"
    )
    assert answer.alternatives and all(a.entry_id != "reissue-fee" for a in answer.alternatives)
    assert answer.confidence == 0.0  # nothing is asserted
    assert (
        answer.out_of_scope == "reissue-fee" and answer.to_json()["out_of_scope"] == "reissue-fee"
    )
    assert not is_miss(answer)  # declined on purpose: not listed for staff to add an entry
    assert is_miss(small.ask("明日の天気は？"))
    assert not is_miss(ask("大津はいつから電子保証？"))  # a question back
    assert small.ask("電子保証にしたら費用はかかる？").entry_id == "cost"  # still answered
    # a topic is scored without the answer field (it has only a name): a fee's amount is
    # declined, though an entry's answer speaks of 保証料 and 円
    answer = ask("前払金１０００万円だと保証料っていくらになるの？")
    assert not answer.answered and answer.out_of_scope == "guarantee-fee-amount"
    # the shipped topics, also when an orderer is named
    answer = ask("鳥栖市の入札参加資格の申請はどうすれば")
    assert (
        not answer.answered
        and "入札参加資格の申請のことでしたら、このFAQの対象外です" in answer.answer
    )


# --------------------------------------------------------------------------- misses


def test_record_miss_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    broken = Database(create_engine("sqlite:////nonexistent/dir/hosho.db"))
    with caplog.at_level(logging.WARNING):
        assert record_miss(broken, "天気は？", ask("明日って雨降るかな？")) is False
    assert "could not record" in caplog.text


def test_no_misses_yet(env_db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "faq", "misses").out.strip() == "答えられなかった質問はありません"
    assert cli(capsys, "faq", "misses", "--json").json == []


def test_misses_recorded_and_listed(env_db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    for question in ("明日って雨降るかな？", "えーと、明日って雨降るかな", "こんにちは、元気？"):
        r = cli(capsys, "ask", question)
        assert r.code == 0, r.err
        assert NOT_FOUND in r.out
    assert cli(capsys, "ask", "入札ボンドも電子でもらえる？").code == 0  # answered: not kept
    declined = cli(capsys, "ask", "電子入札のICカードの有効期限が切れたんですが")
    assert "このFAQの対象外です" in declined.out  # out of scope on purpose: not kept either
    assert "大津市" in cli(capsys, "ask", "大津はいつから電子保証？").out  # asked back: not kept
    r = cli(capsys, "faq", "misses", "--json")
    assert r.code == 0, r.err
    groups = r.json
    assert [g["count"] for g in groups] == [1, 2]  # newest group first
    assert groups[1]["question"] == "えーと、明日って雨降るかな"
    assert groups[0]["question"] == "こんにちは、元気？"
    assert {"normalized", "count", "last_at", "best_score", "candidates"} <= set(groups[0])
    human = cli(capsys, "faq", "misses", "--limit", "1")
    assert "こんにちは、元気？" in human.out and "明日" not in human.out
    nearest = groups[0]["candidates"][0]
    assert f"{nearest['entry_id']}: {nearest['question']}" in human.out  # where to add a phrasing
    assert len(list_misses(env_db, limit=10)) == 2


def test_ask_works_without_a_usable_database(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOSHO_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    r = cli(capsys, "ask", "明日って雨降るかな？")
    assert r.code == 0 and NOT_FOUND in r.out
    r = cli(capsys, "ask", "入札ボンドも電子でもらえる？", "--json")
    assert r.code == 0 and r.json["entry_id"] == "bid-bond"


# --------------------------------------------------------------------------- command line


def test_ask_human_output(env_db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    r = cli(capsys, "ask", "入札ボンドも電子でもらえる？")
    assert r.code == 0
    lines = r.out.splitlines()
    assert lines[-2] == "出典: 電子保証のご案内（佐賀支店、令和8年2月26日）"
    assert lines[-1].startswith("確信度: ")
    r = cli(capsys, "ask", "保証料の振込先の口座ってどこ？", "--top", "2")
    assert r.code == 0
    assert "近い候補:" in r.out and "  2. " in r.out and "  3. " not in r.out


def test_ask_an_empty_question_is_an_error(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    for blank in ("", "   "):
        r = cli(capsys, "ask", blank)  # not batch mode, which would wait for standard input
        assert r.code == 1 and r.out == ""
        assert r.err.startswith("エラー: 質問が空です")


def test_ask_today_sets_the_day_dates_are_read_from(
    env_db: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    r = cli(capsys, "ask", "去年契約した鳥栖市の工事は電子？", "--today", "R7.5.1", "--json")
    assert r.json["dates"][0]["said"] == "去年（令和6年）"
    monkeypatch.setattr(sys, "stdin", io.StringIO("来月の鳥栖市の契約は電子？\n"))
    r = cli(capsys, "ask", "--today", "２０２６年２月１０日")  # batch mode too, any width
    assert json.loads(r.out)["dates"][0]["last"] == "2026-03-31"
    r = cli(capsys, "ask", "去年の鳥栖市", "--today", "令和8年2月30日")
    assert r.code == 1 and r.out == ""
    assert r.err.startswith("エラー: --today: 「令和8年2月30日」は存在しない日付です")


def test_ask_words_are_joined(env_db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    r = cli(capsys, "ask", "書面契約", "電子証書", "可否", "--json")
    assert r.json["entry_id"] == "paper-contract"


def test_batch_mode_keeps_order_and_skips_blank_lines(
    env_db: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    questions = ["入札ボンドも電子でもらえる？", "", "  ", "熊本支店のFAX", "明日って雨降る？"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(questions) + "\n"))
    r = cli(capsys, "ask")
    assert r.code == 0, r.err
    rows = [json.loads(line) for line in r.out.splitlines()]
    assert [row["kind"] for row in rows] == ["faq", "branch", "none"]
    assert rows[0]["entry_id"] == "bid-bond" and rows[1]["branch"] == "熊本支店"
    assert len(list_misses(env_db)) == 1


def test_faq_engine_does_not_load_textual() -> None:
    code = "import sys; import faq.engine, faq.misses; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_ask_loads_only_its_own_commands() -> None:
    """`hosho ask` registers the FAQ commands alone: no SQLAlchemy or rules engine to import
    before the question is answered (its misses open the database only when needed)."""
    code = (
        "import sys; from cli.main import build_parser; build_parser('ask'); "
        "print(sorted(m for m in ('sqlalchemy', 'core.services', 'cli.commands') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_command_is_registered_by_the_module_named_for_it() -> None:
    import argparse

    from cli.main import _GROUPS, build_parser

    def names(parser: argparse.ArgumentParser) -> set[str]:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        return set(sub.choices)

    assert names(build_parser()) == {n for group in _GROUPS.values() for n in group}
    assert names(build_parser("ask")) == {"ask", "chat", "faq"}
    assert names(build_parser("nonsense")) == names(build_parser())


# --------------------------------------------------------------------------- build helpers


def test_word_list_pattern_takes_the_longest_word_at_each_place() -> None:
    pattern = re.compile(any_of(["保証", "保証書", "保証金", "書", "e-net", "a.b"]))
    assert pattern.findall("保証書と保証金と保証と書") == ["保証書", "保証金", "保証", "書"]
    assert pattern.findall("e-netとaxbとa.b") == ["e-net", "a.b"]  # metacharacters are literal
    assert any_of([]) == ""


def test_cutting_a_name_shifts_the_tokens_after_it() -> None:
    cleaned, tokens = analyse_tokens("鳥栖市の認証キーの提出先")
    mentions = Assistant.load().finder.find(fold(cleaned), tokens)
    text, kept = _without_tokens(cleaned, tokens, mentions)
    assert text == "の認証キーの提出先"
    assert [fold(text[t.begin : t.end]) for t in kept] == [t.surface for t in kept]
    assert "鳥栖" not in "".join(t.surface for t in kept)


def _grams(text: str, sizes: tuple[int, ...]) -> list[str]:
    """Character n-grams the plain way: every size in turn, none across a space."""
    return [
        text[i : i + n]
        for n in sizes
        for i in range(len(text) - n + 1)
        if " " not in text[i : i + n]
    ]


def _decode(key: int) -> str:
    """The characters an n-gram key packs (21 bits each)."""
    chars = []
    while key:
        chars.append(chr(key & 0x1FFFFF))
        key >>= 21
    return "".join(reversed(chars))


@pytest.mark.parametrize(
    ("surface", "reading"),
    [
        ("電子保証の認証キー", "でんしほしょうのにんしょうきー"),
        ("契約保証 入札ボンド", "けいやくほしょう にゅうさつぼんど"),  # tags: words side by side
        ("紙", "かみ"),
        ("々", ""),
        ("", ""),
    ],
)
def test_features_are_the_ngrams_and_words(surface: str, reading: str) -> None:
    words = ("電子", "保証", "使う")
    a = Analysis("", "", surface, reading, words, (), ("can",), (831, 5))
    kanji = [c for c in surface if c == "々" or "\u4e00" <= c <= "\u9fff"]
    # Each text alone, and as the second of three documents (no n-gram across documents).
    for texts, doc in (([surface], 0), (["保証書", surface, "電子"], 1)):
        keys, docs = surface_occurrences(texts)
        mine = [_decode(int(k)) for k, d in zip(keys, docs, strict=True) if d == doc]
        assert Counter(mine) == Counter(_grams(surface, (2, 3)) + kanji)
        keys, docs = reading_occurrences([r for r in (reading,) * len(texts)])
        mine = [_decode(int(k)) for k, d in zip(keys, docs, strict=True) if d == doc]
        assert Counter(mine) == Counter(_grams(reading, (2,)))
    assert term_grams(a) == ["電子", "保証", "使う", "電子|保証", "保証|使う", "?can", "@831", "@5"]


def test_channel_vectors_are_unit_tfidf() -> None:
    # Three documents: ab ab bc / bc cd / nothing.
    ab, bc, cd = 1, 2, 3
    keys = np.array([ab, bc, ab, bc, cd], dtype=np.int64)
    docs = np.array([0, 0, 0, 1, 1], dtype=np.int64)
    channel = Channel((keys, docs), 3)
    idf = {ab: math.log(4 / 2) + 1, bc: math.log(4 / 3) + 1, cd: math.log(4 / 2) + 1}
    assert channel.keys.tolist() == [ab, bc, cd]
    assert channel.idf.tolist() == pytest.approx([idf[ab], idf[bc], idf[cd]])
    first = {ab: (1 + math.log(2)) * idf[ab], bc: idf[bc]}
    second = {bc: idf[bc], cd: idf[cd]}
    unit = [{k: w / math.hypot(*v.values()) for k, w in v.items()} for v in (first, second)]
    # Posting lists: each key's documents, with their weights in the unit vectors.
    postings = {
        int(k): {
            int(channel.docs[j]): float(channel.weights[j])
            for j in range(channel.starts[i], channel.starts[i + 1])
        }
        for i, k in enumerate(channel.keys)
    }
    assert postings == {
        ab: {0: pytest.approx(unit[0][ab])},
        bc: {0: pytest.approx(unit[0][bc]), 1: pytest.approx(unit[1][bc])},
        cd: {1: pytest.approx(unit[1][cd])},
    }
    # The question "ab ab, and a feature no document has": the unknown one keeps the largest
    # IDF in the question's norm, so the cosine is lower than for "ab ab" alone.
    unknown = 99
    rows, weights = channel.vector(
        (np.array([ab, unknown], dtype=np.int64), np.array([2, 1], dtype=np.int64))
    )
    q_ab, q_unknown = (1 + math.log(2)) * idf[ab], math.log(4) + 1
    assert rows.tolist() == [0]
    assert weights.tolist() == pytest.approx([q_ab / math.hypot(q_ab, q_unknown)])
    scores = channel.scores(rows, weights)
    assert scores.tolist() == pytest.approx([unit[0][ab] * weights[0], 0.0, 0.0])
    alone = channel.scores(*channel.vector((np.array([ab]), np.array([1]))))
    assert alone[0] == pytest.approx(unit[0][ab]) and alone[0] > scores[0]
    nothing = channel.vector((np.array([unknown]), np.array([1])))
    assert channel.scores(*nothing).tolist() == [0.0, 0.0, 0.0]


def test_field_score_is_the_weighted_mean_of_its_kinds_cosines() -> None:
    terms = Terms()
    docs = [
        Analysis("", "", "電子保証", "でんしほしょう", ("電子", "保証"), ()),
        Analysis("", "", "紙の証書", "かみのしょうしょ", ("紙", "証書"), ()),
    ]
    found = {
        "surface": surface_occurrences([d.surface for d in docs]),
        "terms": terms.occurrences(docs),
    }
    field = Field([("surface", 3.0), ("reading", 0.0), ("terms", 1.0)], found, 2)
    assert [(name, share) for name, share, _c in field.kinds] == [
        ("surface", 0.75),
        ("terms", 0.25),
    ]
    question = Analysis("", "", "電子証書", "でんししょうしょ", ("電子", "証書"), ())
    features = query_features(question, terms)

    def cosine(a: Counter[str], b: Counter[str], n: int, df: Counter[str]) -> float:
        """The cosine the plain way (log tf, smoothed idf; unknown features in the norm)."""

        def vector(c: Counter[str]) -> dict[str, float]:
            return {
                g: (1 + math.log(tf)) * (math.log((n + 1) / (df[g] + 1)) + 1) for g, tf in c.items()
            }

        va, vb = vector(a), vector(b)
        dot = sum(w * vb.get(g, 0.0) for g, w in va.items())
        return dot / (math.hypot(*va.values()) * math.hypot(*vb.values()))

    surfaces = [Counter(_grams(d.surface, (2, 3)) + re.findall("[一-鿿]", d.surface)) for d in docs]
    words = [Counter([*d.terms, "|".join(d.terms)]) for d in docs]
    q_surface = Counter(_grams("電子証書", (2, 3)) + list("電子証書"))
    q_words = Counter(["電子", "証書", "電子|証書"])
    df_surface = Counter(g for c in surfaces for g in c)
    df_words = Counter(g for c in words for g in c)
    expected = [
        0.75 * cosine(q_surface, surfaces[i], 2, df_surface)
        + 0.25 * cosine(q_words, words[i], 2, df_words)
        for i in range(2)
    ]
    assert field.scores(features).tolist() == pytest.approx(expected)
    # Both share 電子 or 証書 in each kind; neither is a perfect match.
    assert all(0 < s < 1 for s in field.scores(features))
    same = query_features(docs[0], terms)
    assert field.scores(same)[0] == pytest.approx(1.0)


def test_tokenizing_many_texts_in_two_threads_gives_each_texts_tokens() -> None:
    texts = [clean(q) for e in load_faq().entries[:40] for q in e.questions] + ["", "一つ", "一"]
    assert tokenize_all(texts) == [tokenize(t) for t in texts]


def test_tokens_of_made_up_words_keep_their_own_reading() -> None:
    # Sudachi joins numbers into words of its own; 一 reads いち alone and ひと in 一つ.
    assert [t.reading for t in tokenize("一")] == ["いち"]
    assert tokenize("一つ")[0].reading == "ひと"
    assert [t.reading for t in tokenize("一")] == ["いち"]  # after 一つ: not remembered wrong
    tokens = tokenize("保証書を使える")
    assert [(t.surface, t.begin, t.end) for t in tokens] == [
        ("保証書", 0, 3),
        ("を", 3, 4),
        ("使える", 4, 7),
    ]
    assert tokens[2].base == "使う" and tokens[2].groups  # the dictionary's synonym group
    assert all(type(t) is Token for t in tokens)
    assert tokens[2].shifted(4) == tokens[2]._replace(begin=0, end=3)


def test_questions_asked_from_several_threads_at_once() -> None:
    # The UI asks from worker threads; a Sudachi tokenizer is not thread-safe.
    questions = [
        "鳥栖市はどこに認証キーを出す？",
        "紙契約でも電子証書は使える？",
        "熊本支店のFAX",
    ] * 20
    expected = [ask(q).answer for q in questions]
    with ThreadPoolExecutor(4) as pool:
        found = list(pool.map(lambda q: ask(q).answer, questions))
    assert found == expected


def test_field_hits_count_rare_features_in_the_order_met() -> None:
    # Surface keys 1..4 and word keys 10..11 over four documents; rare: in at most 2 of them.
    surface = (np.array([1, 1, 2, 3, 3, 3, 4], dtype=np.int64), np.array([0, 1, 2, 0, 2, 3, 3]))
    words = (np.array([10, 11, 11], dtype=np.int64), np.array([3, 1, 2]))
    field = Field([("surface", 1.0), ("terms", 1.0)], {"surface": surface, "terms": words}, 4)

    def query(keys: list[int]) -> tuple[np.ndarray, np.ndarray]:
        return np.array(keys, dtype=np.int64), np.ones(len(keys), dtype=np.int64)

    # 3 (in three documents) is not rare; 2 then 1 are met, then the words 11 and 10.
    hits, first = field.hits({"surface": query([3, 2, 1]), "terms": query([11, 10, 99])}, 2)
    assert hits.tolist() == [1, 2, 2, 1]
    # met in order: 2 → doc 2; 1 → docs 0, 1; 11 → docs 1, 2; 10 → doc 3
    assert first.tolist() == [1, 2, 0, 5]
    # No rare feature: every shared one counts.
    hits, _first = field.hits({"surface": query([3]), "terms": query([])}, 2)
    assert hits.tolist() == [1, 0, 1, 1]


def test_a_kind_no_document_has_scores_nothing() -> None:
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    field = Field([("surface", 1.0)], {"surface": empty}, 2)
    question = Analysis("", "", "保証", "ほしょう", ("保証",), ())
    assert field.scores(query_features(question, Terms())).tolist() == [0.0, 0.0]
    # A knowledge with no content word at all: a question with one is still ranked.
    entry = (
        load_faq()
        .entries[0]
        .model_copy(update={"questions": ("ああ", "ええ"), "tags": (), "answer": "ああ"})
    )
    answer = Assistant([entry]).ask("ああ保証")  # no word of the question is known
    assert not answer.answered and answer.alternatives[0].question == "ああ"


def test_a_body_right_before_its_orders_is_named() -> None:
    # 厚生労働省発注: the ending is followed by 発注, not by the rest of a longer word.
    answer = ask("厚生労働省発注の工事について、電子証書での提出は可能でしょうか")
    assert answer.listed is False and answer.matched == "厚生労働省（一覧に掲載なし）"
    assert ask("九州大学発注の工事は電子？").orderer == "九州大学"
    assert ask("県庁舎の工事は電子？").orderer is None  # 庁舎 is a building


def test_a_prefecture_with_no_body_in_the_lists_claims_none() -> None:
    for question in ("東京都内で導入しているところ", "東京都の市町村はいつから"):
        answer = ask(question)
        assert not answer.answered or answer.listed is False, question
        assert "令和" not in answer.answer.split("一覧")[0], question


def test_a_record_silent_on_the_aspect_gives_way_to_a_general_entry() -> None:
    silent = ask("国土交通省の電子保証の利用率はどれくらい？")  # its record has no usage
    assert (silent.kind, silent.entry_id) == ("faq", "usage-statistics")
    held = ask("唐津市の電子保証の利用率はどれくらい？")  # its record has
    assert (held.kind, held.orderer, held.aspect) == ("orderer", "唐津市", "usage")


def test_when_asked_the_start_is_the_record_unless_an_entry_is_about_the_start() -> None:
    # 島根県 has entries on its guarantors and on its start (tagged 開始時期)
    answer = ask("島根県っていつから電子証書を受け付けてくれるの？")
    assert answer.entry_id == "shimane-start" or (answer.orderer, answer.aspect) == (
        "島根県",
        "start",
    )
    dated = ask("広島県で令和6年5月28日に契約した工事は電子にできる？")
    assert dated.entry_id in (None, "hiroshima-start") and dated.dates
    assert "運用開始" in dated.answer


def test_a_date_said_in_hiragana_is_checked() -> None:
    answer = ask(
        "とすしで れいわ ろくねん しがつ ついたちに けいやくした こうじは でんしほしょう？"
    )
    assert answer.orderer == "鳥栖市" and [d.said for d in answer.dates] == ["令和6年4月1日"]


def test_an_entry_that_does_not_give_the_detail_asked_does_not_answer() -> None:
    # the entries on the key say what it is, not how many digits it has; the number's does
    assert not ask("認証キーは何桁ですか").answered
    assert "10桁" in ask("保証契約番号は何桁ですか").answer
    assert not ask("e-Net保証はスマホで使えますか").answered  # no entry speaks of phones
    assert ask("e-Net保証の利用料はいくら？").entry_id == "enet-fees"
    # a contact, a rate, the meaning of a number, the hours: only where the answer gives them
    assert not ask("D-Sureの運営会社の問い合わせ窓口はどこ？").answered
    assert ask("GMOサインの問い合わせ窓口は？").entry_id == "tosu-gmo-support"
    assert not ask("保証契約番号の頭の3桁に意味はありますか").answered
    assert not ask("電子保証にすると保証料率は何パーセントになりますか").answered
    assert ask("GMOサインのサポートの受付時間は？").entry_id == "tosu-gmo-support"  # 10:00〜18:00
    assert ask("e-Net保証は何時まで使えますか").entry_id == "enet-hours"
    assert ask("電子保証はいつから始まったの").entry_id == "service-start"  # 何時 is not いつ


def test_a_certificate_named_with_a_kind_of_contract_asks_the_certificates() -> None:
    # the certificates' answer gives each kind of contract its certificates too
    answer = ask("熊本市の業務委託で中間前払金の証書も電子になりますか")
    assert (answer.orderer, answer.aspect) == ("熊本市", "documents")
    assert "業務委託" in answer.answer


def test_the_net_as_the_form_of_a_certificate() -> None:
    said = "熊本市のコンサルの委託でも、証書をネット経由で出せるの？"
    assert (ask(said).orderer, ask(said).aspect) == ("熊本市", "coverage")
    said = "防衛省の基地の工事、保証の証書を紙じゃなくネットのやつで出して大丈夫？"
    assert (ask(said).orderer, ask(said).aspect) == ("防衛省", "start")
    assert ask("入札ボントも電子で出せますか").entry_id == "bid-bond"  # ボンド mistyped


def test_a_contract_made_on_the_net_is_the_orderers_e_contract() -> None:
    said = "鳥栖市のネットでの契約のやり方、うちが使うのにお金は何かかかりますか"
    assert ask(said).entry_id == "tosu-econtract-cost"
    said = "鳥栖市とネット上で契約書を交わすとき、前もって出しておく書類はあるのか"
    assert ask(said).entry_id == "tosu-consent-form"


def test_certificate_mistyped_as_callers_do() -> None:
    assert ask("美馬市の工事は電子証所で出せますか").orderer == "美馬市"
    assert ask("中間前払金保障も電子書証にできますか").entry_id == "covered-certificates"


def test_digital_is_a_word_for_electronic() -> None:
    assert (
        ask("このデジタルの保証の仕組み自体は、いつごろ始まったもの？").entry_id == "service-start"
    )
    said = "業者の側からすると、紙をやめてデジタルに切り替える得って具体的に何があります？"
    assert ask(said).entry_id == "merits-contractor"


def test_becoming_unable_to_do_something_is_no_plan_asked() -> None:
    # 分からなくなっちゃって is what happened to the caller; 紙がなくなっちゃう is a plan asked
    said = "鳥栖市の案件でGMOサインの操作が分からなくなっちゃって…どこに聞いたらいいんでしょうかね"
    assert ask(said).entry_id == "tosu-gmo-support"
    assert not ask("電子になったら、支店の窓口って、もう、なくなっちゃうんですか").answered
