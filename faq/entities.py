"""What a question is about: an orderer (発注者), a branch (支店), and what is asked of it.

Orderers are found by their name, alias or reading anywhere in the question, and by the name
without its 市/町/村/県 ending (鳥栖, とす) when a particle or the end follows. A stem followed
by another ending (府中 + 市 when only 府中町 is listed) names a body the documents do not list;
so does a place name the analyser tags (札幌市, 下関し). Readings also catch kanji typos that
sound right (山口権 → やまぐちけん).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from itertools import islice
from typing import Literal, NamedTuple, cast

from rapidfuzz.distance import Levenshtein

from core.dates import find_dates
from core.knowledge import LOCAL_CATEGORIES, AppliesTo, Branch, Orderer, OrdererGroup
from faq.cues import Cues, load_cues
from faq.normalize import Token, any_of, clean, fold, has_kanji, is_hiragana, readings

__all__ = [
    "ASPECTS",
    "Aspect",
    "BranchField",
    "BranchFinder",
    "DatedCase",
    "DatesSaid",
    "Mention",
    "OrdererFinder",
    "asks_branch_hours",
    "asks_contact",
    "asks_for_region",
    "asks_guarantee_only",
    "asks_of",
    "asks_only_record",
    "asks_unnamed_branch",
    "detect_aspect",
    "detect_branch_field",
    "has_domain_cue",
    "has_guarantee_cue",
    "read_dates",
    "says_where_a_company_is",
]

Aspect = Literal["start", "coverage", "documents", "submission", "pre_start", "usage"]
BranchField = Literal["phone", "fax", "address"]

ASPECTS: dict[Aspect, str] = {
    "start": "運用開始日",
    "coverage": "対象業務",
    "documents": "対象の証書",
    "submission": "提出先・提出方法",
    "pre_start": "旧契約の変更等",
    "usage": "利用率",
}

# Endings of local bodies: kanji → readings.
_SUFFIXES: dict[str, tuple[str, ...]] = {
    "市": ("し",),
    "町": ("ちょう", "まち"),
    "村": ("そん", "むら"),
    "県": ("けん",),
    "府": ("ふ",),
    "都": ("と",),
    "道": ("どう",),
    "区": ("く",),
}
_READING_SUFFIX: dict[str, str] = {r: k for k, rs in _SUFFIXES.items() for r in rs}
_ALL_SUFFIXES = sorted([*_SUFFIXES, *_READING_SUFFIX], key=len, reverse=True)
_KANJI = "\u3005\u4e00-\u9fff"
_KANA = "\u3041-\u3096ー"
# What may follow a name said with its ending: a particle or the end; a bare stem (大津, とす)
# also や or a kanji, and one that is not hiragana an ASCII word too.
_PARTICLE = "$|は|の|って|で|に|が|も|へ|と|から"
_PARTICLE_AFTER_RE = re.compile(_PARTICLE)
# A hiragana name may also end before ない (熊本ない: 県内) or an ending's reading (とすし).
_KANA_NAME_END_RE = re.compile(
    f"{_PARTICLE}|や|[\u4e00-\u9fff]|ない[でのにはか]|{'|'.join(_READING_SUFFIX)}"
)
_AFTER_RE = re.compile(f"{_PARTICLE}|や|[a-z0-9\u4e00-\u9fff]")
_AREA_RE = re.compile(r"内|ない(?:で|の|に|は|か)")
# 熊本の県内: the prefecture said apart from its ending, as an area.
_PREFECTURE_AREA_RE = re.compile(r"の?(県|府|都)(?=内|ない)")
# 熊本県立大学, 北九州市立大学: a public university is a body of its own (公立大学法人), not its
# prefecture or city.
_OWN_UNIVERSITY_RE = re.compile(f"[都道府県市町村区]?立[{_KANJI}]{{0,8}}?(?:大学|医大)")
_KANJI_RUN_RE = re.compile(f"[{_KANJI}]{{2,5}}")
_KANA_RUN_END_RE = re.compile(f"[{_KANA}]{{2,10}}$")
# What a kana name before an ending starts after: the last particle (が and な, inside too many
# names, excepted).
_AFTER_PARTICLE_RE = re.compile(r"(?:.*(?:って|は|の|も|で|に|へ|と|や))?(.{2,})$")
_MIN_ALIAS_READING = 5


def _kanji_suffix(ending: str) -> str:
    """The kanji of an ending said in kana (し → 市); a kanji ending as it is."""
    return _READING_SUFFIX.get(ending, ending)


def _ends_name(ending: str, text: str, end: int) -> bool:
    """An ending (市, し) said up to ``end`` ends a name: it is a kanji, or the end or a particle
    follows (札幌市役所, さっぽろしの; not さっぽろしんぶん)."""
    return has_kanji(ending) or _PARTICLE_AFTER_RE.match(text, end) is not None


@dataclass(frozen=True)
class Mention:
    """Orderers named in a question.

    ``orderers`` holds one orderer, several (a shared stem: 大津 → 大津市・大津町) or none
    (``unlisted`` then holds the name as said: 札幌市). ``area`` is true for 佐賀県内 (the
    bodies in it, not the prefecture itself). ``exact`` is false for a stem or reading match.
    """

    said: str
    start: int
    end: int
    orderers: tuple[Orderer, ...]
    unlisted: str | None = None
    area: bool = False
    exact: bool = True
    typo: bool = False  # a listed name read into a misspelling (鳥巣市 → 鳥栖市)
    namesakes: tuple[str, ...] = ()  # unlisted bodies the bare name may mean too (府中 → 府中市)
    group: str | None = None  # said as a group (NEXCO): one mention a member, each answered


@dataclass(frozen=True)
class _Key:
    index: int
    stem: bool = False  # a name without its ending
    suffix: str = ""  # the orderer's ending (市) for stems, else ""
    group: str = ""  # the group's name, for a group's name or alias
    # A body no list names (the register's other municipalities): its stem counts only before
    # an ending (中間 + 市) or where the analyser tags a place (札幌の工事), never inside a word
    # (中間前払金, 国立大学); its reading only whole (さっぽろし).
    weak: bool = False


def _key_of(text: str) -> str:
    """A name folded the way questions are (clean + fold): 鉄道建設・運輸… → 鉄道建設運輸…."""
    return fold(clean(text))


def _local_suffix(orderer: Orderer) -> str | None:
    """The ending (市, 町, 県…) of a local body's name."""
    local = orderer.category in LOCAL_CATEGORIES and len(orderer.name) >= 2
    return orderer.name[-1] if local and orderer.name[-1] in _SUFFIXES else None


class OrdererFinder:
    """Finds the orderers a question names (see the module docstring)."""

    def __init__(
        self,
        orderers: Sequence[Orderer],
        groups: Sequence[OrdererGroup] = (),
        *,
        cues: Cues | None = None,
    ) -> None:
        self.orderers = tuple(orderers)
        self._cues = cues = cues if cues is not None else load_cues()
        p = {name: cue.pattern.pattern for name, cue in cues.items()}
        # Other public bodies by their ending (広島大学, 厚労省, 国立病院機構, 厚労省発注の工事).
        self._body_re = re.compile(
            f"([{_KANJI}]{{1,10}}?)({p['body.endings']})"
            f"(?:(?![{_KANJI}])|(?={p['body.followed_by']}))"
        )
        # The same in hiragana (ながさきだいがく): an ending after at least two kana, followed
        # by a particle, the end or a non-kana.
        self._kana_ending = {r: w for w, r in cues["body.kana_endings"].reading_of.items()}
        self._kana_body_re = re.compile(
            f"(?<=[{_KANA}]{{2}})({any_of(self._kana_ending)})"
            f"(?=$|って|は|の|で|に|が|も|へ|と|や|[^{_KANA}])"
        )
        # Companies ordering works, which the documents never list: by a Latin name with a
        # region (jr九州, ntt西日本) or before 「の発注」, or by a company's ending (九州電力).
        self._company_re = re.compile(
            f"(?<![0-9a-z\\-])(?P<latin>[a-z][a-z&]{{1,9}})(?P<region>{p['company.regions']})?"
            f"|[{_KANJI}]{{1,8}}(?:{p['company.endings']})(?![{_KANJI}])"
        )
        # Words that join names said one after another (鳥栖市と札幌市, 佐賀市や小城市).
        self._join_after = cues["join"].pattern
        self._join_before = re.compile(f"(?:{self._join_after.pattern})$")

        self._keys: dict[str, list[_Key]] = {}
        self._reading_keys: dict[str, list[_Key]] = {}
        # (ending, length of the name) → orderers, for typos of one character (鳥巣市).
        self._by_shape: dict[tuple[str, int], list[int]] = {}
        index_of = {o.name: i for i, o in enumerate(self.orderers)}
        for g in groups:
            for alias in (g.name, *g.aliases):
                for member in g.members:
                    self._add(self._keys, _key_of(alias), _Key(index_of[member], group=g.name))
        for i, o in enumerate(self.orderers):
            name, reading, weak = _key_of(o.name), _key_of(o.reading), not o.adopted
            for alias in (name, *(_key_of(a) for a in o.aliases)):
                self._add(self._keys, alias, _Key(i))
            if name.endswith("大学") and len(name) > 4:  # 鹿屋体育大学 said 鹿屋体育大
                self._add(self._keys, name[:-1], _Key(i, weak=weak))
            self._add(self._reading_keys, reading, _Key(i, weak=weak))
            suffix = _local_suffix(o)
            if suffix is None:
                continue
            self._by_shape.setdefault((suffix, len(name)), []).append(i)
            stem = name[:-1]
            # A two-kana stem (いの, かみ) is too often part of another word: かみの契約.
            if len(stem) >= (3 if is_hiragana(stem) else 2):
                self._add(self._keys, stem, _Key(i, True, suffix, weak=weak))
            ending = next((e for e in _SUFFIXES[suffix] if reading.endswith(e)), "")
            if ending and not weak and len(reading) - len(ending) >= 3:  # see いの above
                self._add(self._reading_keys, reading[: -len(ending)], _Key(i, True, suffix))
        # Aliases read aloud too (くれこうせん: 呉高専), when long enough not to be a word and
        # not another orderer's reading (みなみ町, a misspelling of みなべ町, reads as 美波町).
        spelled = [(i, a) for i, o in enumerate(self.orderers) for a in o.aliases if has_kanji(a)]
        for (i, _a), reading in zip(spelled, readings([a for _i, a in spelled]), strict=True):
            own = all(k.index == i for k in self._reading_keys.get(reading, ()))
            spoken = len(reading) >= _MIN_ALIAS_READING and is_hiragana(reading)
            if self.orderers[i].adopted and spoken and own:
                self._add(self._reading_keys, reading, _Key(i))
        # The first two characters of the keys → their lengths, longest first: most positions
        # start no key at all.
        lengths: dict[str, set[int]] = {}
        for k in [*self._keys, *self._reading_keys]:
            if len(k) >= 2:
                lengths.setdefault(k[:2], set()).add(len(k))
        self._lengths = {c: sorted(v, reverse=True) for c, v in lengths.items()}
        lengths_4 = {len(k) for k in self._reading_keys if len(k) >= 4}  # for _by_reading
        self._reading_lengths = sorted(lengths_4, reverse=True)
        self.known_words: frozenset[str] = frozenset()

    @staticmethod
    def _add(table: dict[str, list[_Key]], key: str, value: _Key) -> None:
        if key:
            bucket = table.setdefault(key, [])
            if all(k.index != value.index or k.stem != value.stem for k in bucket):
                bucket.append(value)

    def _pick(self, keys: Sequence[_Key]) -> tuple[Orderer, ...]:
        return tuple(self.orderers[x] for x in dict.fromkeys(k.index for k in keys))

    def find(self, folded: str, tokens: Sequence[Token], *, thorough: bool = True) -> list[Mention]:
        """Mentions in ``folded`` (the cleaned, folded question), left to right; without
        ``thorough`` only names, aliases, readings and stems (no readings of kanji, unlisted
        bodies or typos)."""
        found: list[Mention] = []
        by_begin = {t.begin: t for t in tokens}
        after = 0  # where the last mention ends
        for i in range(len(folded) - 1):
            if i < after or folded[i : i + 2] not in self._lengths:
                continue
            if mention := self._at(folded, i, tokens, by_begin):
                # a group (NEXCO) is each of its members, named one by one
                group = mention.orderers if mention.group else ()
                found += [replace(mention, orderers=(o,)) for o in group] or [mention]
                after = max(mention.end, i + 1)
        if not thorough:
            return found
        found = [self._prefecture_meant(m, folded) for m in found]
        if not any(m.orderers or m.unlisted for m in found):
            found += self._by_reading(tokens, found)
        if not any(m.orderers or m.unlisted for m in found):
            found += [*islice(self._unlisted(folded, tokens, found), 1)]
        else:  # 鳥栖市と札幌市: a body the documents do not list, joined to a listed one
            joined = self._joined_unlisted(folded, tokens, found)
            found = sorted([*found, *joined], key=lambda m: m.start)
        return [self._typo(m, tokens) for m in found]

    def _prefecture_meant(self, mention: Mention, folded: str) -> Mention:
        """A name a prefecture shares with its city (佐賀: 佐賀県, 佐賀市) is the prefecture when
        the question speaks of the prefecture as a whole (県内の自治体ごとの件数), of its
        office (京都の府庁), of it as such (広島の県の仕事) or of the bodies in it (佐賀の市町で
        対応しているところ)."""
        prefectures = [o for o in mention.orderers if o.category.value == "都道府県"]
        if len(mention.orderers) < 2 or len(prefectures) != 1:
            return mention
        kind = prefectures[0].name[-1]  # 県, 府, 都, 道
        whole = re.search(f"{kind}(?:内|下|全体|全域)", folded)
        after = folded[mention.end :]
        said = re.match(f"の?{kind}庁|の{kind}(?:の|で|は|が|から)", after)
        # 佐賀の市町で…: its bodies; not 京都の市役所 (the city's own office)
        city = re.match(r"の?市(?:役所|庁|長|内|の|で|は|が|から)", after)
        region = asks_for_region(self._cues, after) and city is None
        if not (whole or said or region):
            return mention
        return replace(mention, orderers=(prefectures[0],), namesakes=())

    def _joined_unlisted(
        self, folded: str, tokens: Sequence[Token], found: Sequence[Mention]
    ) -> list[Mention]:
        """An unlisted body said right after 「…と」「…や」「…、」 following a listed one, or right
        before one (札幌市と鳥栖市); elsewhere in a question that names a listed body, an
        unknown place name is more often something else (鳥栖市の市役所)."""
        starts, ends = set(), set()  # where such a body may start, or end
        for m in found:
            if after := self._join_after.match(folded, m.end):
                starts.add(after.end())
            if before := self._join_before.search(folded[: m.start]):
                ends.add(before.start())
        extra = islice(self._unlisted(folded, tokens, found), 1)
        return [m for m in extra if m.start in starts or m.end in ends]

    # -- surface scan

    def _at(
        self, text: str, i: int, tokens: Sequence[Token], by_begin: dict[int, Token]
    ) -> Mention | None:
        """The mention starting at ``i`` (where a key's first two characters are): the longest
        key that is a word of its own there; ``by_begin`` holds the tokens by their start."""
        first = by_begin.get(i)
        for length in self._lengths[text[i : i + 2]]:
            end = i + length
            if end > len(text):
                continue
            key, rest = text[i:end], text[end:]
            keys = self._keys.get(key, [])
            reading_keys = self._reading_keys.get(key, []) if is_hiragana(key) else []
            if any(k.weak and k.stem for k in keys):
                # a proper name the analyser reads as a word of its own (札幌: 地名; 芦屋,
                # 伊達: 人名, as surnames are often places), or said with an ending
                place = first is not None and first.end == end and first.pos3 in ("地名", "人名")
                if not (place or any(rest.startswith(s) for s in _ALL_SUFFIXES)):
                    keys = [k for k in keys if not (k.weak and k.stem)]
            if not (keys or reading_keys) or not self._is_word(text, i, end, first):
                continue
            if branch := self._cues["branch.word"].match(rest):
                return Mention(key, i, end + branch.end(), ())
            if _OWN_UNIVERSITY_RE.match(rest):
                continue  # 熊本県立大学, and its stem 熊本 before 県立大学
            candidates = keys + reading_keys
            if full := [k for k in candidates if not k.stem]:
                area = bool(_AREA_RE.match(rest))
                group = full[0].group or None
                return Mention(
                    key, i, end, self._pick(full), area=area, exact=bool(keys), group=group
                )
            said_ending = any(  # 府中市, 下関しの
                rest.startswith(e) and _ends_name(e, text, end + len(e)) for e in _ALL_SUFFIXES
            )
            if has_kanji(key) and not said_ending and any(t.begin < end < t.end for t in tokens):
                continue  # 広島大学: the stem ends inside a word
            return self._stem_mention(text, i, end, candidates, by_begin.get(end))
        return None

    def _is_word(self, text: str, i: int, end: int, first: Token | None) -> bool:
        """``text[i:end]`` is not the inside of a longer word; ``first``: the token at ``i``."""
        key, before = text[i:end], text[i - 1 : i]
        if is_hiragana(key):
            if not _KANA_NAME_END_RE.match(text, end):
                return False
            if is_hiragana(before):
                # after a particle (…の, …は) or a verb's ending (契約するとすし) a name may start
                return before in self._cues["name.kana_starts_after"] and end - i >= 3
            # 捺印はまだ: a particle and the next word are not a name (はまだ → 浜田).
            return not (before and first and first.pos in ("助詞", "助動詞") and first.end < end)
        if key.isascii():  # UR, NEXCO…: a Latin alias is a whole word, never inside one (d-sure)
            return not any(c.isascii() and c.isalnum() for c in before + text[end : end + 1])
        # 東京都 contains 京都: a kanji name starts where a word starts.
        return not (has_kanji(key) and first is None and has_kanji(before))

    def _stem_mention(
        self, text: str, i: int, end: int, candidates: Sequence[_Key], nxt: Token | None
    ) -> Mention | None:
        """A stem with its ending said (鳥栖市, とすし; 山口権: a kanji that sounds like it),
        as an area (熊本の県内), or bare, before a particle, the end or a kanji; ``nxt``: the
        token after it."""
        key, rest = text[i:end], text[end:]
        ending = next((s for s in _ALL_SUFFIXES if rest.startswith(s)), None)
        suffix, typo = _kanji_suffix(ending or ""), False
        if ending is None:
            inside = _PREFECTURE_AREA_RE.match(rest)  # 熊本の県内
            if inside and (prefectures := [k for k in candidates if k.suffix == inside[1]]):
                said, stop = key + inside[0], end + inside.end()
                return Mention(said, i, stop, self._pick(prefectures), area=True)
            if nxt and has_kanji(nxt.surface[:1]) and nxt.reading in _ALL_SUFFIXES:
                sound = _kanji_suffix(nxt.reading)
                if any(k.suffix == sound for k in candidates):
                    ending, suffix, typo = nxt.surface, sound, True
        if ending is not None:
            same = [k for k in candidates if k.suffix == suffix]
            said, stop = key + ending, end + len(ending)
            ended = _ends_name(ending, text, stop)
            if same and (len(ending) > 1 or ended):
                area = bool(_AREA_RE.match(text, stop))
                return Mention(said, i, stop, self._pick(same), area=area, exact=False, typo=typo)
            if not same and ended:
                # 府中 + 市 when only 府中町 is listed: a body the documents do not name.
                stems = {_key_of(self.orderers[k.index].name)[:-1] for k in candidates}
                stem = stems.pop() if is_hiragana(key) and len(stems) == 1 else key
                return Mention(said, i, stop, (), unlisted=stem + suffix)
        if not _AFTER_RE.match(rest):
            return None
        return Mention(key, i, end, self._pick(candidates), exact=False)

    # -- reading scan (kanji typos that sound right)

    def _by_reading(self, tokens: Sequence[Token], found: Sequence[Mention]) -> list[Mention]:
        """A listed name of four kana or more in the readings of whole tokens (山口権)."""
        taken = [(m.start, m.end) for m in found]
        reading, starts = "", {}  # offset in the reading → the token there
        for t in tokens:
            starts[len(reading)] = t
            reading += t.reading
        # offset in the reading → the offset in the question, where a token starts or ends
        bounds = {len(reading): tokens[-1].end if tokens else 0} | {
            o: t.begin for o, t in starts.items()
        }
        for start, first in starts.items():
            if reading[start : start + 2] not in self._lengths or any(
                s <= first.begin < e for s, e in taken
            ):
                continue
            for length in self._reading_lengths:
                key, end = reading[start : start + length], bounds.get(start + length)
                keys = [k for k in self._reading_keys.get(key, []) if not k.stem and not k.weak]
                if keys and end is not None:
                    said = "".join(t.surface for t in tokens if first.begin <= t.begin < end)
                    return [
                        Mention(said, first.begin, end, self._pick(keys), exact=False, typo=True)
                    ]
        return []

    # -- bodies the documents do not name

    def _unlisted(
        self, folded: str, tokens: Sequence[Token], found: Sequence[Mention]
    ) -> Iterator[Mention]:
        """Bodies the documents do not name, outside ``found``, the surest sign first: a place
        name the analyser tags, with its ending (札幌市, 札幌 + し); a public body's ending in
        kanji (広島大学, not 国立大学) or in kana (ながさきだいがく); a local body's ending after
        a run of kanji (中間市, 下関し); a company (jr九州, 九州電力)."""
        taken = [(m.start, m.end) for m in found]

        def free(a: int, b: int) -> bool:
            return all(b <= s or a >= e for s, e in taken)

        cues = self._cues
        generic, not_a_name = cues["body.generic"], cues["name.not_a_name"]
        for t, nxt in zip(tokens, [*tokens[1:], None], strict=True):
            name = t.surface
            if t.pos3 != "地名" or not free(t.begin, t.end):
                continue
            if name[-1] in _SUFFIXES and len(name) >= 3:
                yield Mention(name, t.begin, t.end, (), unlisted=name)
            elif nxt and nxt.surface in _ALL_SUFFIXES and _ends_name(nxt.surface, folded, nxt.end):
                unlisted = name + _kanji_suffix(nxt.surface)
                yield Mention(name + nxt.surface, t.begin, nxt.end, (), unlisted=unlisted)
        for m in self._body_re.finditer(folded):
            start, end = m.span()
            place = any(t.pos3 == "地名" for t in tokens if start < t.end and t.begin < end)
            # 県の住宅供給公社: a kind of body, not one by name; so is 住宅供給公社 without a place.
            owner = folded[max(0, start - 2) : start] in cues["body.owner_of_kind"]
            kind = owner or (m[2] in cues["body.kind_endings"] and not place)
            if free(start, end) and m[1] not in generic and not kind:
                yield Mention(m[0], start, end, (), unlisted=m[0])
        for m in self._kana_body_re.finditer(folded):
            before = _KANA_RUN_END_RE.search(folded, 0, m.start())
            stem = self._kana_place(before[0]) if before else None
            start = m.start() - len(stem or "")
            if stem and free(start, m.end()) and stem not in generic:
                name = self._kanji_stem(stem) + self._kana_ending[m[1]]
                yield Mention(folded[start : m.end()], start, m.end(), (), unlisted=name)
        for m in _KANJI_RUN_RE.finditer(folded):
            run, (start, end) = m[0], m.span()
            if not free(start, end):
                continue
            if (
                run[-1] in cues["name.run_endings"]
                and len(run) >= 3
                and run[:-1] not in not_a_name
                and not _AREA_RE.match(folded, end)
                and not cues["branch.word"].match(folded, end)
            ):
                yield Mention(run, start, end, (), unlisted=run)
            said = cues["name.run_kana_endings"].match(folded, end)  # 下関し
            word = run in not_a_name or run in self.known_words
            if said and not word and _PARTICLE_AFTER_RE.match(folded, said.end()):
                unlisted = run + _kanji_suffix(said[0])
                yield Mention(run + said[0], start, said.end(), (), unlisted=unlisted)
        for m in self._company_re.finditer(folded):
            # a Latin name only before a region or 「の発注」, and not a word of the FAQ (pdf)
            latin, orders = m["latin"], cues["company.orders"].match(folded, m.end())
            if latin and (latin in self.known_words or not (m["region"] or orders)):
                continue
            if free(*m.span()):
                yield Mention(m[0], *m.span(), (), unlisted=m[0].upper())

    def _kana_place(self, run: str) -> str | None:
        """The place at the end of a hiragana run, before a body's ending: the longest
        reading of a listed name or stem (うちはながさき → ながさき), else what follows the last
        particle (うちはさっぽろ → さっぽろ)."""
        listed = (run[-n:] for n in range(len(run), 1, -1) if run[-n:] in self._reading_keys)
        found = _AFTER_PARTICLE_RE.match(run)
        return next(listed, found.group(1) if found else None)

    def _kanji_stem(self, kana: str) -> str:
        """A place said in hiragana, in the kanji of the listed bodies named after it
        (ながさき → 長崎, from 長崎県 and 長崎市); as said when they do not agree or none is."""
        stems = {
            self.orderers[k.index].name[:-1] for k in self._reading_keys.get(kana, ()) if k.stem
        }
        return stems.pop() if len(stems) == 1 else kana

    # -- one-character typos of a listed name (鳥巣市 for 鳥栖市)

    def _typo(self, mention: Mention, tokens: Sequence[Token]) -> Mention:
        name = mention.unlisted
        if name is None or len(name) < 3 or not has_kanji(name):
            return mention
        said_reading = "".join(t.reading for t in tokens if mention.start <= t.begin < mention.end)
        matches = [
            o
            for o in (self.orderers[i] for i in self._by_shape.get((name[-1], len(name)), []))
            if sum(a != b for a, b in zip(name, _key_of(o.name), strict=True)) == 1
            and Levenshtein.distance(said_reading, _key_of(o.reading)) <= 1
        ]
        if len(matches) != 1:
            return mention
        return replace(mention, orderers=(matches[0],), unlisted=None, exact=False, typo=True)


# --------------------------------------------------------------------------- branches


@dataclass(frozen=True)
class BranchHit:
    branch: Branch
    said: str


_CITY_RE = re.compile(r"^(.+?[市区])")


class BranchFinder:
    """Finds a branch by its name (熊本支店, 熊本の支店), the city it is in (神戸の支店) or the
    reading of either (ふくおかしてん, こうべの支店)."""

    def __init__(self, branches: Sequence[Branch]) -> None:
        self.branches = tuple(branches)
        keys: dict[str, int] = {}
        words: list[tuple[str, int]] = []
        for i, b in enumerate(self.branches):
            stem = _key_of(b.name.removesuffix("支店"))
            keys.setdefault(stem, i)
            words.append((stem, i))
            if city := _CITY_RE.match(b.address):
                name = _key_of(city.group(1))
                keys.setdefault(name, i)
                keys.setdefault(name[:-1], i)
                words.append((name[:-1], i))
        for (_w, i), reading in zip(words, readings([w for w, _i in words]), strict=True):
            if len(reading) >= 2:
                keys.setdefault(reading, i)
        self._keys = keys
        self._max = max(len(k) for k in keys)

    def find(self, folded: str) -> BranchHit | None:
        """The longest branch key (the first of those) in a question that says 支店."""
        if "支店" not in folded and "してん" not in folded:
            return None
        hits = []  # (-length, position, key): the longest key at each position
        for i in range(len(folded)):
            for length in range(min(self._max, len(folded) - i), 1, -1):
                if (key := folded[i : i + length]) in self._keys:
                    hits.append((-length, i, key))
                    break
        if not hits:
            return None
        said = min(hits)[2]
        return BranchHit(self.branches[self._keys[said]], said)


# --------------------------------------------------------------------------- what is asked


def asks_contact(cues: Cues, folded: str) -> bool:
    """An orderer's own contact details (唐津市役所の住所, 鳥栖市の電話番号): not in the records."""
    return cues["contact"].search(folded) is not None


def asks_unnamed_branch(cues: Cues, folded: str) -> BranchField | None:
    """What is asked of one of our branches said without its name (支店の電話番号, 御社の住所,
    最寄りの支店の電話番号: the field said right after it), or None."""
    ours = cues["ours"].search(folded)
    if ours is None or cues["not_ours"].search(folded):
        return None
    asked = cues["our_field"].search(folded, ours.end(), ours.end() + 8)
    return detect_branch_field(cues, asked.group(0)) if asked else None


def asks_branch_hours(cues: Cues, folded: str) -> bool:
    """Opening hours of a branch or its counter (not in the branch file); not someone else's
    desk (GMOサインのサポート窓口, 市役所の窓口)."""
    return bool(
        cues["branch.hours"].search(folded)
        and cues["branch.counter"].search(folded)
        and not cues["branch.elsewhere"].search(folded)
    )


def detect_branch_field(cues: Cues, folded: str) -> BranchField | None:
    """What is asked of a branch: the first field in the cue file's order (FAX before phone:
    a FAX番号 is a number too); 「どこ」 alone asks where it is."""
    for field, cue in cues.family("branch_field"):
        if cue.search(folded):
            return cast(BranchField, field)
    return "address" if "どこ" in folded else None


def detect_aspect(cues: Cues, surface: str, reading: str) -> tuple[Aspect, bool]:
    """The aspect asked and whether a cue said so (False: the default, 運用開始日).

    The first ``aspect.*`` cue in the file's order wins. 「電子で出せますか」 asks about the
    form, not where to submit; so does 「電子証書を出せますか」, and 「電子証書で提出できますか」,
    unless how the submission is made is asked as well. 「いつから」 asks the start even when a
    certificate is named."""
    texts = [cues["submission.in_form"].sub("で", t) for t in (surface, reading)]
    asks = {*asks_of(cues, texts[0]), *asks_of(cues, texts[1])}
    how = bool(asks & {"where", "how"}) or cues["submission.how"].in_any(*texts)
    if not how:
        can = ["submission.in_form_can"] if "can" in asks else []
        for name in ["submission.in_form_potential", *can]:
            texts = [cues[name].sub("で", t) for t in texts]
    for aspect, cue in cues.family("aspect"):
        if cue.in_any(*texts):
            when = cues["when_started"].in_any(*texts)
            if when and (aspect == "documents" or (aspect == "submission" and not how)):
                return "start", True
            return cast(Aspect, aspect), True
    return "start", False


def asks_of(cues: Cues, folded: str) -> tuple[str, ...]:
    """What kind of question (what, much, where, when, how, which, cost, can), from its
    interrogative words."""
    return tuple(name for name, cue in cues.family("asks") if cue.search(folded))


def has_domain_cue(cues: Cues, surface: str, reading: str) -> bool:
    """A word that puts the question in the electronic-guarantee domain."""
    return cues["domain"].in_any(surface, reading)


def says_where_a_company_is(cues: Cues, folded: str, end: int) -> bool:
    """The name ending at ``end`` says where a surety company is (北海道の保証会社; 東日本と
    北海道の会社 in a question about the surety companies), not an orderer."""
    company = cues["surety_company"]
    # other places joined on before 「の」 (北海道とか東日本の保証会社)
    joined = re.match(f"(?:(?:{cues['join'].pattern.pattern})[{_KANJI}]{{1,6}})*", folded[end:])
    end += joined.end() if joined else 0
    if company.match(folded, end + 1) and folded.startswith("の", end):
        return True
    return folded.startswith("の会社", end) and company.search(folded) is not None


def asks_guarantee_only(cues: Cues, surface: str, reading: str) -> bool:
    """The question speaks of guarantees (保証, 証書, 前払金) and not of an e-contract system
    (電子契約, 契約書, 署名): 鳥栖市の建コン業務、前払いの証書を電子でもらえる？"""
    return (
        cues["guarantee"].in_any(surface, reading)
        and not cues["e_contract"].in_any(surface, reading)
        and not cues["contract_system"].in_any(surface, reading)
    )


def has_guarantee_cue(cues: Cues, surface: str, reading: str) -> bool:
    """:func:`has_domain_cue`, 電子契約 aside (an orderer's contract system, not its
    guarantees): the question is about guarantees."""
    e_contract = cues["e_contract"]
    return has_domain_cue(cues, e_contract.sub("", surface), e_contract.sub("", reading))


def asks_only_record(cues: Cues, rest: str) -> bool:
    """``rest``, a folded question without the orderers' names, asks nothing but what their
    records say (大分県の業務委託は対象？): aspect cues, and nothing else but the words of
    ``record_only`` (particles, words for the case, dates, endings)."""
    for _aspect, cue in cues.family("aspect"):
        rest = cue.sub("", rest)
    return cues["record_only"].made_of(rest)


def asks_for_region(cues: Cues, after: str) -> bool:
    """``after``, the folded question after a prefecture's name, asks which bodies in it
    (its municipalities, agencies, …) use electronic guarantees: 宮崎県の市町村, 熊本県内で
    導入しているのはどこ."""
    if cues["region.right_after"].match(after) or cues["region"].search(after):
        return True
    can = cues["region.can"].search(after)
    return can is not None and "どこ" in after[can.end() :]


# --------------------------------------------------------------------------- dates


class DatedCase(NamedTuple):
    """A date a question says and what it is (None: not said)."""

    day: date  # the 1st for a month
    said_as: AppliesTo | None
    month: bool = False  # said to the month only (令和8年4月に契約)
    next_time: date | None = None  # said without its year (4月1日): day is the last occurrence
    last: date | None = None  # a span (去年, 令和5年度): day is its first day
    label: str = ""  # such a span as said, with what it means today: 去年（令和7年）


class DatesSaid(NamedTuple):
    """The dates a question says, why any impossible one is refused, and the question without
    its dates (NFKC): a date is the caller's case, checked against the records, not words to
    match entries on."""

    cases: list[DatedCase]
    errors: list[str]
    rest: str
    cut: bool = False  # whether any date was cut out of ``rest`` (one not checked too)


_CLAUSE_RE = re.compile(r"[、,。.;；]")
# A date typed in hiragana: れいわ8ねん4がつ1にち.
_KANA_DATE_RE = re.compile(r"(れいわ|へいせい)?([0-9]{1,4}|元)ねん([0-9]{1,2})がつ([0-9]{1,2})にち")
_KANA_ERAS = {"れいわ": "令和", "へいせい": "平成"}


def _role(cues: Cues, text: str) -> AppliesTo | None:
    """What a date is (入札公告日, 契約締結日) by the first ``date_role.*`` cue in ``text``."""
    found = [(m.start(), role) for role, cue in cues.family("date_role") if (m := cue.search(text))]
    return cast(AppliesTo, min(found)[1]) if found else None


def read_dates(cues: Cues, question: str, today: date | None = None) -> DatesSaid:
    """The dates a question says (令和8年4月1日, R8.4.1, ２０２６/４/１, れいわ8ねん4がつ1にち; a
    month alone: 令和8年4月; a day without its year, as of ``today``: 4月1日), each with what it
    is when the words right after it, or else right before it, say so."""
    text = _KANA_DATE_RE.sub(
        lambda m: f"{_KANA_ERAS.get(m[1] or '', '')}{m[2]}年{m[3]}月{m[4]}日",
        unicodedata.normalize("NFKC", question),
    )
    dates, errors, refused = find_dates(text, today)
    cases: list[DatedCase] = []
    last = 0
    for i, d in enumerate(dates):
        after = text[d.end : dates[i + 1].start if i + 1 < len(dates) else len(text)]
        before = text[last : d.start]
        # the same clause only: up to the next comma, from the last one
        after, before = _CLAUSE_RE.split(after[:12])[0], _CLAUSE_RE.split(before[-8:])[-1]
        last = d.end
        if cues["date.change"].match(after):  # 令和7年の変更契約: a change's date, not checked
            continue
        role = _role(cues, after) or _role(cues, before)
        cases.append(DatedCase(d.day, role, d.month, d.next_time, d.last, d.label))
    # The question without its dates, impossible ones too.
    kept, last = [], 0
    for start, end in sorted([*((d.start, d.end) for d in dates), *refused]):
        kept.append(text[last:start])
        last = end
    return DatesSaid(cases, errors, "".join([*kept, text[last:]]), bool(dates or refused))
