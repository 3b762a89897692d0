"""The built FAQ assistant is kept on disk and reused only while nothing it depends on changed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from core import paths
from core.knowledge import (
    default_branches_path,
    default_faq_path,
    default_orderers_path,
    default_synonyms_path,
)
from faq import cache
from faq.engine import Assistant, Tuning

QUESTIONS = ("紙の契約でも電子保証は使える？", "とすしはどこに認証キーを出す", "今日の天気は？")


def _files() -> list[Path]:
    return [
        default_faq_path(),
        default_orderers_path(),
        default_branches_path(),
        default_synonyms_path(),
    ]


def _cached_files() -> list[Path]:
    folder = paths.user_cache_dir()
    return sorted(folder.glob("faq-index-*.pickle")) if folder.is_dir() else []


def test_second_load_reuses_the_build_and_answers_the_same() -> None:
    first = Assistant.load()
    assert not first.stats.cached
    assert len(_cached_files()) == 1
    second = Assistant.load()
    assert second.stats.cached
    assert second.stats.phrasings == first.stats.phrasings > 0
    for q in QUESTIONS:
        assert second.ask(q).to_json() == first.ask(q).to_json()


def test_without_cache_nothing_is_written() -> None:
    Assistant.load(cache=False)
    assert _cached_files() == []


def test_another_tuning_is_another_index() -> None:
    Assistant.load()
    other = Assistant.load(Tuning(threshold=0.5))
    assert not other.stats.cached
    assert other.tuning.threshold == 0.5
    assert len(_cached_files()) == 1  # the older index was removed


def test_the_name_follows_the_knowledge_files(tmp_path: Path) -> None:
    copies = []
    for f in _files():
        shutil.copy(f, tmp_path / f.name)
        copies.append(tmp_path / f.name)
    before = cache.cache_path(copies, "t")
    assert before == cache.cache_path(copies, "t")
    assert before != cache.cache_path(copies, "u")
    with copies[0].open("a", encoding="utf-8") as fh:
        fh.write("\n# edited\n")
    assert cache.cache_path(copies, "t") not in (before, None)
    copies[1].unlink()
    assert cache.cache_path(copies, "t") is None


def test_a_damaged_cache_is_rebuilt() -> None:
    Assistant.load()
    (path,) = _cached_files()
    path.write_bytes(b"\x80\x05not a pickle")
    again = Assistant.load()
    assert not again.stats.cached
    assert again.ask(QUESTIONS[0]).answered
    assert Assistant.load().stats.cached  # written afresh


def test_an_unwritable_cache_folder_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assistant = Assistant.load()
    assert assistant.ask(QUESTIONS[0]).answered
    assert not Assistant.load().stats.cached
    assert os.path.isfile(blocker)
