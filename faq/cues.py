"""Cue words as data: ``data/cues.yaml`` loaded, validated and applied by one matcher.

Each cue is a vocabulary (words, written as staff would) with, where words cannot say it, a few
regular expressions, and exceptions (``unless``: where a word is not the cue). Words are folded
the way questions are (NFKC, lower case, katakana as hiragana; the patterns' katakana too) and a
word with kanji also matches its reading (提出 → ていしゅつ), so a cue is never typed twice.
Compiled once into one regular expression per cue (a trie of the words, then the patterns).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from core.knowledge import CueFile, CueSpec, default_cues_path, load_cue_file
from faq.normalize import any_of, fold, has_kanji, readings

__all__ = ["Cue", "CueFile", "CueSpec", "Cues", "compile_cue", "default_cues_path", "load_cues"]

_MIN_READING = 2  # a one-kana reading (課 → か) would match inside any word


def _folded(word: str) -> str:
    return fold(unicodedata.normalize("NFKC", word).lower())


@dataclass(frozen=True)
class Cue:
    """One compiled cue: ``words`` (folded, readings added) and the pattern that finds them."""

    name: str
    words: frozenset[str]
    pattern: re.Pattern[str]
    repeated: re.Pattern[str]  # the cue any number of times, for :meth:`made_of`
    reading_of: dict[str, str] = field(default_factory=dict)  # word (folded) → its reading

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> re.Match[str] | None:
        return self.pattern.search(text, pos, len(text) if endpos is None else endpos)

    def match(self, text: str, pos: int = 0) -> re.Match[str] | None:
        return self.pattern.match(text, pos)

    def sub(self, repl: str, text: str) -> str:
        return self.pattern.sub(repl, text)

    def made_of(self, text: str) -> bool:
        """``text`` is nothing but this cue's words (or empty)."""
        return self.repeated.fullmatch(text) is not None

    def in_any(self, *texts: str) -> bool:
        return any(self.pattern.search(t) for t in texts)

    def __contains__(self, word: str) -> bool:
        return word in self.words


def compile_cue(name: str, spec: CueSpec) -> Cue:
    """The cue's words and their readings as one trie; a word with exceptions (電子, unless
    入札 follows) on its own, with a negative lookahead; then the patterns."""
    said = [*spec.words, *(a for after in spec.unless.values() for a in after)]
    kanji = [w for w in dict.fromkeys(said) if has_kanji(w)] if spec.reading else []
    found = readings([unicodedata.normalize("NFKC", w) for w in kanji])
    read = {w: _folded(spec.readings.get(w, r)) for w, r in zip(kanji, found, strict=True)}
    read = {w: r for w, r in read.items() if len(r) >= _MIN_READING}

    def forms(word: str) -> list[str]:
        return [_folded(word), *([read[word]] if word in read else [])]

    plain = [f for w in spec.words if w not in spec.unless for f in forms(w)]
    alternatives = [any_of(dict.fromkeys(plain))] if plain else []
    for word, after in spec.unless.items():
        not_after = any_of(dict.fromkeys(f for a in after for f in forms(a)))
        alternatives.append(f"{any_of(dict.fromkeys(forms(word)))}(?!{not_after})")
    alternatives += map(fold, spec.patterns)  # katakana as hiragana, as the texts they meet
    body = "|".join(f"(?:{a})" for a in alternatives) if len(alternatives) > 1 else alternatives[0]
    words = frozenset(f for w in spec.words for f in forms(w))
    reading_of = {_folded(w): read[w] for w in spec.words if w in read}
    return Cue(name, words, re.compile(body), re.compile(f"(?:{body})*"), reading_of)


class Cues(dict[str, Cue]):
    """Every cue of a cue file, by name; ``family("aspect")`` the cues named ``aspect.*`` in
    the file's order (their order of precedence)."""

    def __init__(self, specs: Mapping[str, CueSpec]) -> None:
        super().__init__((name, compile_cue(name, spec)) for name, spec in specs.items())
        self._families: dict[str, list[tuple[str, Cue]]] = {}  # asked on every question

    def __missing__(self, name: str) -> Cue:
        raise KeyError(f"data/cues.yaml に {name} がありません")

    def family(self, prefix: str) -> list[tuple[str, Cue]]:
        if (found := self._families.get(prefix)) is None:
            head = prefix + "."
            found = [(n[len(head) :], c) for n, c in self.items() if n.startswith(head)]
            self._families[prefix] = found
        return found


_LOADED: dict[Path, tuple[CueFile, Cues]] = {}


def load_cues(path: Path | None = None) -> Cues:
    """The compiled cues of ``path`` (default: the shipped file), compiled once per content."""
    path = path or default_cues_path()
    spec = load_cue_file(path)
    if (hit := _LOADED.get(path)) is None or hit[0] is not spec:
        hit = _LOADED[path] = (spec, Cues(spec.cues))
    return hit[1]
