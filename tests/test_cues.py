"""The cue matcher on small synthetic cue files (not the shipped data): words folded, readings
generated, exceptions, patterns, families in order, validation with the file's line."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from core.knowledge import CUE_ASPECTS, KnowledgeError
from faq.cues import Cues, CueSpec, compile_cue, load_cues
from faq.entities import Aspect
from tests.helpers import cli


def cue(**spec: object) -> Cues:
    return Cues({"c": CueSpec.model_validate(spec)})


def test_words_match_folded_and_by_their_reading() -> None:
    c = cue(words=["提出", "アップロード"])["c"]
    assert c.search("認証キーの提出先")
    assert c.search("ていしゅつはどこ")  # the reading of 提出, never typed
    assert c.search("あっぷろーどする")  # katakana is folded to hiragana
    assert not c.search("アップロード")  # questions are matched folded, never raw


def test_patterns_katakana_is_folded_as_the_text_they_meet() -> None:
    c = cue(patterns=["[0-9]+(?:ヶ月|ページ)"])["c"]
    assert c.search("3ぺーじ") and c.search("3け月")  # 3ページ and 3ヶ月, folded


def test_short_readings_and_reading_off() -> None:
    assert not cue(words=["課"])["c"].search("か")  # a one-kana reading would match anywhere
    off = cue(words=["提出"], reading=False)["c"]
    assert off.search("提出") and not off.search("ていしゅつ")


def test_a_reading_given_where_the_analyser_is_wrong() -> None:
    c = cue(words=["宛"], readings={"宛": "あて"})["c"]
    assert c.search("あてさき") and not c.search("ずつ")
    none = cue(words=["庁"], readings={"庁": ""})["c"]
    assert none.search("県庁") and not none.search("ちょうど")


def test_exceptions_follow_the_word_in_any_script() -> None:
    c = cue(words=["電子", "保証"], unless={"電子": ["入札", "書籍"]})["c"]
    assert c.search("電子の証書")
    for said in ("電子入札", "でんしにゅうさつ", "電子しょせき", "でんし書籍"):
        assert not c.search(said), said
    assert c.search("電子入札の保証")  # another word of the cue still counts


def test_patterns_and_made_of() -> None:
    c = cue(words=["は", "の", "工事"], patterns=[r"[0-9]+年"])["c"]
    assert c.made_of("2026年の工事は")
    assert c.made_of("")
    assert not c.made_of("2026年の委託は")


def test_families_keep_the_files_order() -> None:
    cues = Cues(
        {
            "aspect.usage": CueSpec(words=("件数",)),
            "other": CueSpec(words=("x",)),
            "aspect.start": CueSpec(words=("開始",)),
        }
    )
    assert [name for name, _c in cues.family("aspect")] == ["usage", "start"]


def test_longest_word_wins_at_one_place() -> None:
    c = compile_cue("c", CueSpec(words=("前払", "前払金")))
    found = c.search("前払金の保証")
    assert found is not None and found.group(0) == "前払金"


def test_a_missing_cue_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cues.yaml"
    path.write_text("cues:\n  a:\n    words: [x]\n", encoding="utf-8")
    with pytest.raises(KeyError, match=r"cues\.yaml"):
        load_cues(path)["b"]


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("cues:\n  a:\n    words: [x]\n  b:\n    patterns: ['(']\n", 5, "正規表現"),
        ("cues:\n  a:\n    words: [x]\n  b:\n    note: 語がない\n", 5, "words も patterns も"),
        ("cues:\n  a:\n    words: [x]\n    unless: {y: [z]}\n", 3, "words にありません"),
        ("cues:\n  a:\n    word: [x]\n", 3, ""),
        # a pair read together: a detail asked needs its answered side, a region its prefectures
        (
            "cues:\n  a:\n    words: [x]\n  detail.f.asked:\n    words: [y]\n",
            5,
            "detail.f.answered",
        ),
        ("cues:\n  region.k.said:\n    words: [九州]\n", 3, "region.k.prefectures"),
        # an aspect the records do not have: no answer could name it
        ("cues:\n  aspect.fee:\n    words: [料金]\n", 3, "観点の名前"),
        ("cues:\n  favour.submision:\n    words: [提出]\n", 3, "favour. の後は観点の名前"),
        ("cues:\n  name.lookalike_kanji:\n    words: [栗粟, 崎]\n", 3, "2字の組ではありません"),
    ],
)
def test_bad_cue_files_are_refused_with_the_line(
    tmp_path: Path, text: str, line: int, says: str
) -> None:
    path = tmp_path / "cues.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load_cues(path)
    shown = str(caught.value)
    assert says in shown
    assert any(p.line == line for p in caught.value.problems), shown


def test_the_shipped_cues_load() -> None:
    cues = load_cues()
    assert next(n for n, _c in cues.family("aspect")) == "usage"
    assert cues["domain"].search("でんしほしょう")


def test_the_aspects_a_cue_may_name_are_the_engines() -> None:
    assert set(CUE_ASPECTS) == set(get_args(Aspect))


def test_data_check_reports_a_bad_cue_file_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cues.yaml"
    path.write_text("cues:\n  a:\n    words: [x]\n  b:\n    patterns: ['(']\n", encoding="utf-8")
    out = cli(capsys, "data", "check", str(path))
    assert out.code == 1
    assert "cues.yaml:5: cues.b.patterns" in out.out and "正規表現「(」が読めません" in out.out
    good = cli(capsys, "data", "check")
    assert good.code == 0 and "手がかり語:" in good.out
