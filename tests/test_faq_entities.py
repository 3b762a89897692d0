"""What a question names, on a small synthetic register (not the shipped files): names,
stems, readings, shared names, bodies the lists do not name, public bodies by their ending,
companies, groups, typos."""

from __future__ import annotations

from functools import cache
from typing import Any

from core.knowledge import Orderer, OrdererGroup, load_cue_file, source_ids
from faq.cues import Cues, CueSpec, default_cues_path, load_cues
from faq.entities import OrdererFinder
from faq.normalize import analyse_tokens, fold

SOURCE = "kumamoto-guide-2025"


def body(name: str, reading: str, prefecture: str | None, *, adopted: bool, **more: Any) -> Orderer:
    data: dict[str, Any] = {
        "name": name,
        "reading": reading,
        "category": more.pop("category", "市町村"),
        "prefecture": prefecture,
    } | more
    if adopted:
        data |= {"start_date": "2025-04-01", "source": SOURCE, "as_of": "2025-02-27"}
    return Orderer.model_validate(data, context={"sources": source_ids()})


@cache
def finder() -> OrdererFinder:
    bodies = [
        body("甲野市", "こうのし", "熊本県", adopted=True),
        body("大津市", "おおつし", "滋賀県", adopted=True),
        body("大津町", "おおづまち", "熊本県", adopted=True),
        body("札幌市", "さっぽろし", "北海道", adopted=False),
        body("中間市", "なかまし", "福岡県", adopted=False),
        body("熊本県", "くまもとけん", "熊本県", adopted=True, category="都道府県"),
        body("熊本市", "くまもとし", "熊本県", adopted=True),
        body("鳥栖市", "とすし", "佐賀県", adopted=True),
        body("米子市", "よなごし", "鳥取県", adopted=True),
        body("米子工業高等専門学校", "よなごこうぎょうこうとうせんもんがっこう", None, adopted=True,
             category="国立高等専門学校機構", aliases=["米子高専"]),
        body("東日本高速道路", "ひがしにほんこうそくどうろ", None, adopted=True, category="その他公共的団体"),
        body("西日本高速道路", "にしにほんこうそくどうろ", None, adopted=True, category="その他公共的団体"),
        body("鹿屋体育大学", "かのやたいいくだいがく", None, adopted=True, category="国立大学法人"),
        body("熊本大学", "くまもとだいがく", None, adopted=True, category="国立大学法人"),
        body("瀬戸内市", "せとうちし", "岡山県", adopted=True),
        body("鳥取県", "とっとりけん", "鳥取県", adopted=True, category="都道府県"),
        body("鳥取市", "とっとりし", "鳥取県", adopted=False),
        body("鳥取県住宅供給公社", "とっとりけんじゅうたくきょうきゅうこうしゃ", "鳥取県",
             adopted=True, category="公社"),
        body(
            "鳥取県東部広域行政管理組合", "とっとりけんとうぶこういきぎょうせいかんりくみあい",
            "鳥取県", adopted=True, category="一部事務組合",
        ),
        body("日本下水道事業団", "にほんげすいどうじぎょうだん", None, adopted=True,
             category="その他公共的団体", aliases=["下水道事業団"]),
        body("瀬戸内町", "せとうちちょう", "鹿児島県", adopted=False),
        body(
            "東海国立大学機構", "とうかいこくりつだいがくきこう", None, adopted=True,
            category="国立大学法人", aliases=["名古屋大学"],
        ),
    ]  # fmt: skip
    groups = [
        OrdererGroup(
            name="NEXCO", aliases=("ネクスコ",), members=("東日本高速道路", "西日本高速道路")
        )
    ]
    return OrdererFinder(bodies, groups, cues=load_cues())


def names(question: str) -> list[tuple[list[str], str | None]]:
    cleaned, tokens = analyse_tokens(question)
    return [
        ([o.name for o in m.orderers], m.unlisted) for m in finder().find(fold(cleaned), tokens)
    ]


def test_a_name_its_stem_and_its_reading() -> None:
    assert names("甲野市の工事") == [(["甲野市"], None)]
    assert names("甲野は電子保証いつから") == [(["甲野市"], None)]
    assert names("こうのしはいつから") == [(["甲野市"], None)]


def test_a_listed_stem_names_its_unlisted_namesakes_too() -> None:
    found = names("瀬戸内の案件は電子保証？")
    assert found and sorted(found[0][0]) == ["瀬戸内市", "瀬戸内町"]


def test_a_stem_two_bodies_share_names_both() -> None:
    assert names("大津はいつから") == [(["大津市", "大津町"], None)]
    assert names("大津市はいつから") == [(["大津市"], None)]


def test_a_prefecture_and_its_city_share_a_name_unless_the_prefecture_is_meant() -> None:
    assert names("熊本の工事") == [(["熊本県", "熊本市"], None)]
    assert names("熊本の県庁の工事") == [(["熊本県"], None)]
    assert names("熊本の市町で使えるところ") == [(["熊本県"], None)]
    assert names("熊本の市役所の工事") == [(["熊本市"], None)]  # 「の市役所」: the city


def test_the_ending_said_after_a_shared_name_picks_its_bodies() -> None:
    assert names("大津の市発注の工事") == [(["大津市"], None)]
    assert names("大津の町役場の工事") == [(["大津町"], None)]
    # a pattern a maintainer adds that says no ending leaves the name shared, not broken
    specs = dict(load_cue_file().cues) | {"name.ending_said": CueSpec(patterns=("の発注",))}
    odd = OrdererFinder(finder().orderers, cues=Cues(specs))
    cleaned, tokens = analyse_tokens("大津の発注の工事")
    found = odd.find(fold(cleaned), tokens)
    assert [sorted(o.name for o in m.orderers) for m in found] == [["大津市", "大津町"]]


def test_a_listed_stem_read_aloud_names_its_unlisted_namesakes_too() -> None:
    # 鳥取市 (no list names it) shares the stem of 鳥取県, in kanji and read aloud alike
    assert names("鳥取の工事") == [(["鳥取県", "鳥取市"], None)]
    assert names("とっとりの工事") == [(["鳥取県", "鳥取市"], None)]
    assert names("とっとりしの工事") == [(["鳥取市"], None)]


def test_a_listed_body_read_aloud_by_its_stem_and_kind_is_that_body() -> None:
    # (the analyser reads 米子高専 よなここうせん: the alias's own reading is no help)
    assert names("よなごこうせんはいつから") == [(["米子工業高等専門学校"], None)]
    assert names("米子工業高専の工事") == [(["米子工業高等専門学校"], None)]  # 高等専門学校 short
    assert names("おつこうせんはいつから") == [([], "おつ高専")]  # no body of that name


def test_a_name_and_the_rest_of_a_longer_name_after_no_is_that_body() -> None:
    assert names("鳥取県の住宅供給公社の工事") == [(["鳥取県住宅供給公社"], None)]
    assert names("鳥取の住宅供給公社は電子？") == [(["鳥取県住宅供給公社"], None)]
    assert names("鳥取県の住宅の工事") == [(["鳥取県"], None)]  # no body's name goes on so
    # a shared name too (熊本: 熊本県・熊本市), by any of its bodies' names
    assert names("熊本の大学の工事") == [(["熊本大学"], None)]


def test_a_body_the_lists_do_not_name_only_by_its_whole_name_or_a_place() -> None:
    assert names("札幌市の工事") == [(["札幌市"], None)]
    assert names("中間前払金は電子？") == []  # 中間 inside a word is no body


def test_a_body_no_list_holds_is_said_as_unlisted() -> None:
    assert names("下関市の工事") == [([], "下関市")]
    assert names("新潟大学の工事") == [([], "新潟大学")]
    assert names("国立大学の工事") == []  # a kind, not a body


def test_companies_are_not_orderers_of_the_lists() -> None:
    assert names("九州電力の工事") == [([], "九州電力")]
    assert names("jr九州の工事") == [([], "JR九州")]
    assert names("pdfの工事") == []


def test_a_group_names_each_member_and_a_university_its_short_form() -> None:
    assert names("ネクスコの工事") == [(["東日本高速道路"], None), (["西日本高速道路"], None)]
    assert names("鹿屋体育大の工事") == [(["鹿屋体育大学"], None)]
    assert names("熊本大の工事") == [(["熊本大学"], None)]  # not 熊本 (県 or 市)
    assert names("名古屋大の工事") == [(["東海国立大学機構"], None)]  # an alias's short form


def test_a_misspelt_name_is_read_as_the_body_it_sounds_like() -> None:
    cleaned, tokens = analyse_tokens("鳥巣市の工事")
    (m,) = finder().find(fold(cleaned), tokens)
    assert [o.name for o in m.orderers] == ["鳥栖市"] and m.typo
    # only the ending mis-converted (件 for 県): that body, nothing to ask back
    cleaned, tokens = analyse_tokens("熊本件の工事")
    (m,) = finder().find(fold(cleaned), tokens)
    assert [o.name for o in m.orderers] == ["熊本県"] and not m.typo


def test_the_start_of_a_long_name_with_a_place_in_it_is_that_body() -> None:
    assert names("鳥取県東部広域の工事") == [(["鳥取県東部広域行政管理組合"], None)]
    assert names("鳥取県の工事") == [(["鳥取県"], None)]  # a name of its own: not the longer one
    assert names("東日本のほうは") == [(["東日本高速道路"], None)]
    assert names("日本下水道の工事") == [(["日本下水道事業団"], None)]
    assert names("下水道の工事") == []  # a word of its own (no place in it), not 下水道事業団
    assert names("日本の工事") == []  # too short to be anything's start


def test_endings_areas_and_bodies_of_their_own_follow_the_cue_file() -> None:
    assert names("とすしの工事") == [(["鳥栖市"], None)]  # name.ending.市: し
    assert names("甲野しんぶん") == []  # name.end: an ending ends the name only before a particle
    assert names("熊本県立大学の工事") == [([], "熊本県立大学")]  # name.own_university
    assert names("鳥栖市と下関市の工事") == [(["鳥栖市"], None), ([], "下関市")]  # join
    assert names("下関市と鳥栖市の工事") == [([], "下関市"), (["鳥栖市"], None)]  # either side
    assert names("鳥栖市の下関市役所") == [(["鳥栖市"], None)]  # not joined: something else
    assert names("こうのまちの工事") == [([], "甲野町")]  # a listed stem, another ending: unlisted
    assert names("鳥栖市の市役所の工事") == [(["鳥栖市"], None)]
    cleaned, tokens = analyse_tokens("熊本の県内の工事")
    (m,) = finder().find(fold(cleaned), tokens)
    assert [o.name for o in m.orderers] == ["熊本県"] and m.area  # name.prefecture_area


def test_a_word_added_to_the_cue_file_takes_effect() -> None:
    specs = dict(load_cue_file(default_cues_path()).cues)
    join = specs["join"]
    specs["join"] = join.model_copy(update={"words": (*join.words, "ならびに")})
    custom = OrdererFinder(finder().orderers, cues=Cues(specs))
    cleaned, tokens = analyse_tokens("鳥栖市ならびに下関市の工事")
    assert names("鳥栖市ならびに下関市の工事") == [(["鳥栖市"], None)]
    assert [m.unlisted for m in custom.find(fold(cleaned), tokens)] == [None, "下関市"]
