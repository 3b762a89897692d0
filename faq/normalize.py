"""Text normalisation shared by the knowledge and the questions.

Both sides go through the same steps, so a question typed in hiragana, full-width, with fillers
and polite endings lands in the same space as the FAQ phrasings:

1. :func:`clean`: NFKC (full-width → half-width, ｶﾅ → カナ), lower case, a dash after kana read
   as the long-vowel mark (``キ-`` → ``キー``), punctuation and spaces removed.
2. :func:`fold`: katakana → hiragana, one character for one character (offsets are kept).
3. SudachiPy (``sudachidict-core``, mode C) splits the cleaned text into tokens with their
   ``normalized_form`` (使える → 使う) and reading (保障 → ほしょう, the same as 保証).
4. :class:`Vocabulary` strips fillers (あのー, えーと) and polite endings (教えていただけますか),
   rewrites text typed without kanji into the knowledge's own words (でんしほしょう → 電子保証),
   and every synonym variant into its term (入札ボンド → 契約保証予約), on the surface and on
   the reading; unknown kanji nouns that sound like known ones are read as those (用件 → 要件).

The Sudachi dictionary takes 0.05–0.3 s to load: it is loaded once per process, lazily
(:func:`load_sudachi` says how long that took; the benchmark reports it separately).
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from itertools import accumulate, chain
from operator import attrgetter
from typing import Any, NamedTuple

# --------------------------------------------------------------------------- characters

_DASHES = re.escape("-‐‑‒–—―−ｰ~〜～")
_HIRAGANA = "\u3041-\u3096\u30fc"  # with the long-vowel mark
_KANA = "\u3041-\u3096\u30a1-\u30fa\u30fc"
_KANJI = "\u3005\u4e00-\u9fff"
# The replaced character comes first in these patterns (the lookbehind after it): the regex
# engine then skips to where it is instead of trying the lookbehind at every position.
_DASH_AFTER_KANA_RE = re.compile(rf"[{_DASHES}](?<=[{_KANA}][{_DASHES}])")
_BAR_IN_ASCII_RE = re.compile(r"ー(?<=[0-9a-z]ー)(?=[0-9a-z])")  # Ｅーｎｅｔ → e-net
# Everything but letters, digits, kana, kanji and a hyphen inside an ASCII word (e-net) goes.
_DROP_RE = re.compile(rf"[^0-9a-z%{_KANA}{_KANJI}\-]+")  # % kept: 何%, 9割
_LONE_HYPHEN_RE = re.compile(r"-(?<![0-9a-z]-)|-(?![0-9a-z])")
_KANJI_RE = re.compile(f"[{_KANJI}]")
_HIRAGANA_ONLY_RE = re.compile(f"^[{_HIRAGANA}]+$")

_FOLD = {c: c - 0x60 for c in range(ord("ァ"), ord("ヶ") + 1)}
_FOLD |= {ord(k): ord(h) for k, h in zip("ヵヶヽヾ", "かけゝゞ", strict=True)}
_FOLDED_RE = re.compile(f"[{''.join(map(chr, sorted(_FOLD)))}]")  # what fold() changes


def clean(text: str) -> str:
    """NFKC, lower case, kana dashes as ``ー``, no punctuation (but %) or spaces (katakana is
    kept)."""
    text = _DASH_AFTER_KANA_RE.sub("ー", unicodedata.normalize("NFKC", text).lower())
    return _LONE_HYPHEN_RE.sub("", _DROP_RE.sub("", _BAR_IN_ASCII_RE.sub("-", text)))


_SPACED_RE = re.compile(r"[\s、。，．,]+")


def word_breaks(text: str) -> frozenset[int]:
    """Where ``clean(text)`` had spaces or commas between words in ``text`` (べっぷし こうじ):
    the offsets in the cleaned text at which a typed word starts."""
    pieces = [clean(piece) for piece in _SPACED_RE.split(text)]
    if len(pieces) < 2 or "".join(pieces) != clean(text):
        return frozenset()
    offsets = list(accumulate(map(len, pieces)))[:-1]
    return frozenset(o for o in offsets if o)


def fold(text: str) -> str:
    """Katakana as hiragana (ヶ/ヵ as け/か); the same length as ``text``."""
    # Most texts have no katakana, and translate() is slow on the characters it keeps.
    return text.translate(_FOLD) if _FOLDED_RE.search(text) else text


def has_kanji(text: str) -> bool:
    return _KANJI_RE.search(text) is not None


def is_hiragana(text: str) -> bool:
    return _HIRAGANA_ONLY_RE.match(text) is not None


# --------------------------------------------------------------------------- word lists

_Trie = dict[str, "_Trie"]


def any_of(words: Iterable[str]) -> str:
    """A regex matching any of ``words``, the longest where several start at one place.

    Written as a trie (保証(?:書|金)?…): the regex engine follows the next character instead
    of trying every word in turn, which for hundreds of words is several times faster."""
    trie: _Trie = {}
    for word in words:
        node = trie
        for c in word:
            node = node.setdefault(c, {})
        node[""] = {}  # a word ends here
    return _trie_pattern(trie)


def _trie_pattern(node: _Trie) -> str:
    branches = [re.escape(c) + _trie_pattern(child) for c, child in sorted(node.items()) if c]
    if branches and "" in node:  # a word ends here too: the longer ones are tried first
        return "(?:" + "|".join(branches) + ")?"
    return "".join(branches) if len(branches) < 2 else "(?:" + "|".join(branches) + ")"


class _Rewriter:
    """Every word of ``table`` in a text replaced by its value, the longest first; a word of
    ``alone`` only where no kanji comes right before it (得する, not inside 取得する)."""

    def __init__(
        self,
        table: dict[str, str],
        alone: frozenset[str] = frozenset(),
        word_ends: frozenset[str] = frozenset(),
    ) -> None:
        self.table, self.alone, self._word_ends = table, alone, word_ends
        self._pattern = re.compile(any_of(w for w in table if w) or "(?!)")  # (?!): no words
        # a word of two kana or fewer (タダ, キー) only where no kana follows but the first of
        # ``word_ends`` (ただで, キーは; not いただく, キーボード)
        self._short = frozenset(w for w in table if len(w) <= 2 and is_hiragana(w))

    def __call__(self, text: str) -> str:
        return self._pattern.sub(self._replace, text)

    def _replace(self, m: re.Match[str]) -> str:
        word, at, text = m.group(0), m.start(), m.string
        inside = word in self.alone and at > 0 and _KANJI_RE.match(text, at - 1) is not None
        after = text[m.end() : m.end() + 1]
        inside |= word in self._short and is_hiragana(after) and after not in self._word_ends
        return word if inside else self.table[word]


# --------------------------------------------------------------------------- fillers, endings


@dataclass(frozen=True)
class Courtesy:
    """Leading fillers (あのー, えーと) and trailing polite endings (教えていただけますか,
    じゃろか), each given as a regular expression of their folded forms."""

    fillers: re.Pattern[str]
    endings: re.Pattern[str]

    @classmethod
    def of(cls, fillers: str, endings: str) -> Courtesy:
        # Endings up to the end: one, then any more. (Not (?:…)+$: a pattern that starts with
        # the words themselves lets the regex engine skip to the places where one may start.)
        return cls(re.compile(f"^(?:{fillers})+"), re.compile(f"(?:{endings})(?:{endings})*$"))

    def strip(self, folded: str) -> str:
        """``folded`` without leading fillers and trailing polite endings (all of it when
        nothing else would be left)."""
        lo = filler.end() if (filler := self.fillers.match(folded)) else 0
        hi = ending.start() if (ending := self.endings.search(folded, lo)) else len(folded)
        return folded[lo:hi] if hi > lo else folded


# --------------------------------------------------------------------------- Sudachi

_LOCK = threading.Lock()
_THREAD = threading.local()  # each thread's own tokenizer


@cache
def _dictionary() -> tuple[Any, float]:
    """Sudachi's dictionary, loaded once (under ``_LOCK``), and how long loading it took."""
    started = time.perf_counter()
    from sudachipy import Dictionary

    return Dictionary(dict="core"), time.perf_counter() - started


def _tokenizer() -> Any:
    """This thread's tokenizer: a tokenizer is not thread-safe (the UI may ask two questions
    at once from worker threads); the dictionary they share is loaded once."""
    if not hasattr(_THREAD, "tokenizer"):
        from sudachipy import SplitMode

        load_sudachi()  # the dictionary, loaded under the lock
        fields = {"pos", "normalized_form", "reading_form", "synonym_group_ids"}
        _THREAD.tokenizer = _dictionary()[0].tokenizer(SplitMode.C, fields=fields)
    return _THREAD.tokenizer


def load_sudachi() -> float:
    """Load the dictionary now (idempotent); returns the load time in seconds."""
    with _LOCK:
        return _dictionary()[1]


class Token(NamedTuple):
    """One Sudachi token, folded: surface, normalized form and reading in hiragana."""

    surface: str  # folded surface
    base: str  # folded normalized form (使える → 使う, 出来る)
    reading: str  # hiragana reading; the surface itself for hiragana, ASCII and digits
    pos: str  # first level of the part of speech: 名詞, 動詞, 助詞, ...
    pos3: str  # third level: 地名, 人名, ... (or *)
    begin: int
    end: int
    groups: tuple[int, ...] = ()  # the dictionary's synonym groups (利点 = メリット: 831)

    def shifted(self, by: int) -> Token:
        """The same token ``by`` characters earlier (text before it was cut out)."""
        # tuple.__new__: Token(...) and _replace() run Python code, several times slower
        return tuple.__new__(Token, (*self[:5], self.begin - by, self.end - by, self.groups))


_CONTENT_POS = frozenset({"名詞", "動詞", "形容詞", "形状詞", "副詞", "接頭辞", "代名詞"})

# What a token is made of but its offsets, by the word Sudachi found: texts repeat the same few
# thousand words, and folding them again (or even asking Sudachi for each field) costs more than
# Sudachi's own analysis. Cleared when full. A dictionary word is looked up by its word id and
# surface (the entry fixes the rest). Sudachi's word ids carry the dictionary's number in their
# top 4 bits; 15 marks the words it made up (unknown words, joined numbers), whose id says only
# the part of speech and whose reading depends on the context (一 reads イチ, 一つ's 一 reads
# ヒト): those are looked up by everything Sudachi says of them.
_Word = tuple[tuple[str, str, str, str, str], tuple[int, ...]]
_WORDS: dict[tuple[Any, ...], _Word] = {}
_MAX_WORDS = 100_000
_MADE_UP_WORD_ID = 0xF000_0000


@cache
def _pos(pos_id: int) -> tuple[str, str]:
    full = _dictionary()[0].pos_of(pos_id)
    return full[0], full[2]


def _tokens(morphemes: Any) -> list[Token]:
    out: list[Token] = []
    for m in morphemes:
        if surface := m.surface():
            fields, groups = _word(m, surface)
            begin = m.begin()  # the surface is the text from begin to end
            # tuple.__new__: Token(...) goes through a Python-level __new__, several times slower
            out.append(tuple.__new__(Token, (*fields, begin, begin + len(surface), groups)))
    return out


def _word(m: Any, surface: str) -> _Word:
    """A morpheme's folded surface, base, reading and parts of speech, and its synonym groups
    (remembered: see ``_WORDS``)."""
    word_id = m.word_id()
    made_up = word_id >= _MADE_UP_WORD_ID
    key: tuple[Any, ...] = (word_id, surface)
    if made_up:
        key = (surface, m.part_of_speech_id(), m.reading_form(), m.normalized_form())
    word = _WORDS.get(key)
    if word is None:
        if len(_WORDS) >= _MAX_WORDS:
            _WORDS.clear()
        folded, reading, base = fold(surface), m.reading_form(), m.normalized_form()
        # ASCII, digits and symbols keep their surface (pdf, e-net; 記号 reads キゴウ).
        if surface.isascii() or not reading or reading == "キゴウ":
            reading = folded
        base = folded if base == surface else fold(base.lower())
        fields = (folded, base, fold(reading), *_pos(m.part_of_speech_id()))
        word = _WORDS[key] = fields, tuple(m.synonym_group_ids())
    # a made-up word's synonym groups are not fixed by the key: asked each time (rare words)
    return (word[0], tuple(m.synonym_group_ids())) if made_up else word


def tokenize(text: str) -> list[Token]:
    """Sudachi tokens of already :func:`clean`-ed text."""
    return _tokens(_tokenizer().tokenize(text))


def tokenize_all(texts: Sequence[str]) -> list[list[Token]]:
    """:func:`tokenize` of each text. Sudachi analyses the second half of them in another
    thread meanwhile (it lets go of the GIL while it works); the tokens are made here, once
    both halves are analysed. (Making them while the other thread still analysed was measured
    no faster: that thread needs the GIL back after every text.)"""
    half = len(texts) // 2
    with ThreadPoolExecutor(1) as pool:
        second = pool.submit(_analysed, texts[half:])
        analysed = _analysed(texts[:half]) + second.result()
    return list(map(_tokens, analysed))


def _analysed(texts: Sequence[str]) -> list[Any]:
    """Sudachi's analysis of each text, by a tokenizer of this thread's own."""
    return list(map(_tokenizer().tokenize, texts))


def analyse_tokens(text: str) -> tuple[str, list[Token]]:
    """Clean ``text`` and tokenize it: the first half of an :class:`Analysis`."""
    cleaned = clean(text)
    return cleaned, tokenize(cleaned) if cleaned else []


_READINGS: dict[str, str] = {}


def readings(words: Sequence[str]) -> list[str]:
    """Hiragana readings of cleaned words (tokenized in one call, remembered)."""
    missing = [w for w in dict.fromkeys(words) if w and "。" not in w and w not in _READINGS]
    if missing:  # 。 reads as itself: the readings come out as the words went in, between 。
        said = "".join(t.reading for t in tokenize("。".join(missing))).split("。")
        _READINGS.update(zip(missing, said, strict=True))
    return [_READINGS.get(w, "") for w in words]


# --------------------------------------------------------------------------- vocabulary


@dataclass(frozen=True, slots=True)
class Analysis:
    """A text in every form the ranking uses."""

    original: str
    cleaned: str  # clean(original), katakana kept (what Sudachi saw)
    surface: str  # folded, courtesy stripped, kana rewritten to kanji, synonyms applied
    reading: str  # hiragana reading, synonyms applied, courtesy stripped
    terms: tuple[str, ...]  # content words (normalized forms, synonyms applied)
    tokens: tuple[Token, ...]
    asks: tuple[str, ...] = ()  # what kind of question: what, where, when, how, can, cost, ...
    groups: tuple[int, ...] = ()  # Sudachi synonym groups of the content words


_MIN_KANA_WORD = 3  # shorter readings (かみ, きー) are too ambiguous to rewrite
_MIN_SYNONYM_READING = 4
_MAX_KANJI_SHARE_FOR_KANA = 0.1  # more, and the text was typed with kanji (IME-converted)
_WORD_FIELDS = attrgetter("pos", "surface", "reading", "base")  # what Vocabulary needs of a token
_READING = attrgetter("reading")
_GROUPS = attrgetter("groups")


class Vocabulary:
    """The words of the knowledge: synonyms, and kanji spellings of hiragana runs.

    ``synonyms`` maps each term to its variants; ``texts`` are the knowledge's own tokens:
    each kanji noun in them with a reading of three kana or more becomes a rewrite of that
    reading, so a caller's でんしほしょう and the knowledge's 電子保証 meet.
    """

    def __init__(
        self,
        synonyms: Sequence[tuple[str, Sequence[str]]],
        texts: Iterable[Sequence[Token]],
        *,
        asks: Callable[[str], tuple[str, ...]],
        courtesy: Courtesy,
        stop: frozenset[str],
        not_words: frozenset[str],
        particles: frozenset[str] = frozenset(),
    ) -> None:
        """``asks`` tells what kind of question a folded text is (faq.entities.asks_of);
        ``stop``: content words that carry no topic; ``not_words``: readings that spoken
        endings are made of (している is not 指定る), never rewritten to a word;
        ``particles``: what may follow a whole word (ただで), so that a short kana variant is
        not read inside another word (いただく)."""
        self._asks, self.courtesy, self._stop = asks, courtesy, stop
        to_term = {
            fold(clean(word)): fold(clean(term))
            for term, variants in synonyms
            for word in (term, *variants)
        }
        # Readings of terms and variants: hiragana callers and homophone typos meet them.
        kana: Counter[tuple[str, str]] = Counter()
        reading_to_term: dict[str, str] = {}
        said, meant = readings(list(to_term)), readings(list(to_term.values()))
        for (word, term), reading, term_reading in zip(to_term.items(), said, meant, strict=True):
            if len(reading) >= _MIN_SYNONYM_READING and reading not in to_term:
                reading_to_term.setdefault(reading, term_reading or term)
                if not is_hiragana(word):
                    kana[(reading, term)] += 100

        # Each distinct word once, with how often it occurs (in the order first seen, so the
        # counters below fill in the same order as token by token).
        words = Counter(map(_WORD_FIELDS, chain.from_iterable(texts)))
        self._known = frozenset(b for p, _s, _r, b in words if p in _CONTENT_POS and b not in stop)
        sounds: Counter[tuple[str, str]] = Counter()
        for (pos, surface, reading, base), n in words.items():
            if pos not in ("名詞", "接頭辞", "接尾辞") or not has_kanji(surface):
                continue
            if pos == "名詞" and len(reading) >= 2:
                sounds[(reading, base)] += n
            if len(reading) >= _MIN_KANA_WORD and is_hiragana(reading):
                kana[(reading, surface)] += n
        self._homophones = _most_common(sounds)
        # Only hiragana is rewritten into kanji words (a synonym's reading may hold ASCII).
        hiragana = {r: w for r, w in _most_common(kana).items() if is_hiragana(r)}
        self._kana = _Rewriter({r: w for r, w in hiragana.items() if r not in not_words})
        self._to_term = to_term
        # A variant with one kanji, another word than its term's (得する for メリット), is the
        # tail of a compound right after a kanji (取得する, 見落とす): rewritten only alone.
        alone = frozenset(
            w
            for w, term in to_term.items()
            if len(kanji := _KANJI_RE.findall(w)) == 1
            and w.startswith(kanji[0])
            and kanji[0] not in term
        )
        self._synonyms = _Rewriter(to_term, alone, frozenset(p[:1] for p in particles))
        self._reading_synonyms = _Rewriter(reading_to_term)

    def known_terms(self, terms: Iterable[str]) -> int:
        """How many of ``terms`` (content words) the knowledge itself uses."""
        return sum(1 for t in terms if t in self._known)

    def analyse(self, text: str, cleaned: str, tokens: Sequence[Token]) -> Analysis:
        """``text`` in every form, from its cleaned text and Sudachi's tokens of it."""
        folded = fold(cleaned)
        kept = self.courtesy.strip(folded)
        # Only text typed (almost) without kanji is rewritten: in mixed text the hiragana runs
        # are endings and particles (いない must not become 以内).
        kana = len(_KANJI_RE.findall(folded)) <= len(folded) * _MAX_KANJI_SHARE_FOR_KANA
        surface = self._synonyms(self._kana(kept) if kana else kept)
        reading = self.courtesy.strip(self._reading_synonyms("".join(map(_READING, tokens))))
        # Sudachi splits unbroken hiragana badly: take the words of the rewritten text.
        content = tokenize(surface) if kana and surface else tokens
        words = [t for t in content if t.pos in _CONTENT_POS and t.base not in self._stop]
        asks = self._asks(self._kana(folded) if kana else folded)
        groups = tuple(chain.from_iterable(map(_GROUPS, words)))
        known, to_term = self._known, self._to_term
        terms: list[str] = []  # the content words' terms (synonyms applied)
        for t in words:
            base = t.base
            unknown = base not in known and base not in to_term
            if unknown and t.pos == "名詞" and len(_KANJI_RE.findall(t.surface)) == len(t.surface):
                # An unknown kanji noun that sounds like a known one (保障 → 保証, 用件 → 要件) is
                # read as that one, on the surface too (its n-grams); not one partly in kana
                # (島しょ is no 当初).
                base = self._homophones.get(t.reading, base)
                if base != t.base:
                    surface = surface.replace(t.surface, to_term.get(base, base))
            terms.append(to_term.get(base, base))
        return Analysis(text, cleaned, surface, reading, tuple(terms), tuple(tokens), asks, groups)

    def analyse_words(self, words: Sequence[str]) -> Analysis:
        """Single words such as tags: each is a term as it stands (no Sudachi per word; the
        readings come from one batched call)."""
        cleaned = [c for c in map(clean, words) if c]
        kept = [fold(c) for c in cleaned]
        surface = " ".join(map(self._synonyms, kept))
        reading = " ".join(map(self._reading_synonyms, readings(cleaned)))
        terms = tuple(self._to_term.get(w, w) for w in kept)
        return Analysis(" ".join(words), " ".join(kept), surface, reading, terms, ())

    def analyse_surface(self, text: str) -> Analysis:
        """The surface form only (no Sudachi): for long, kanji-rich text such as answers."""
        cleaned = clean(text)
        surface = self._synonyms(self.courtesy.strip(fold(cleaned)))
        return Analysis(text, cleaned, surface, "", (), ())


def _most_common(counts: Counter[tuple[str, str]]) -> dict[str, str]:
    """key → the value seen most often with it (the first seen among equals)."""
    # most_common() is a stable sort (ties keep their order); reversed, the first seen wins
    return {key: value for (key, value), _n in reversed(counts.most_common())}
