"""What a question is about: an orderer (発注者), a branch (支店), and what is asked of it.

Orderers are found by their name, alias or reading anywhere in the question, and by the name
without its 市/町/村/県 ending (鳥栖, とす) when a particle or the end follows. A stem followed
by another ending (府中 + 市 when only 府中町 is listed) names a body the documents do not list;
so does a place name the analyser tags (札幌市, 下関し). Readings also catch kanji typos that
sound right (山口権 → やまぐちけん). The words these rules look for are cues of data/cues.yaml
(``name.*``, ``body.*``, ``company.*``, ``prefecture.*``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from itertools import accumulate, chain, groupby, pairwise, product
from typing import Literal, NamedTuple, cast

from rapidfuzz.distance import Hamming, Levenshtein

from core.dates import find_dates, kana_dates
from core.knowledge import LOCAL_CATEGORIES, AppliesTo, Branch, Orderer, OrdererGroup
from faq.cues import Cues
from faq.normalize import Token, any_of, clean, fold, has_kanji, is_hiragana, readings

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

_KANJI = "\u3005\u4e00-\u9fff"
_KANA = "\u3041-\u3096ー"
_KANJI_RUN_RE = re.compile(f"[{_KANJI}]{{2,5}}")
_KANJI_RUN_ANY_RE = re.compile(f"[{_KANJI}]{{3,}}")
_KANJI_RUNS_OF_RE = re.compile(f"[{_KANJI}]{{2,}}の[{_KANJI}]{{2,}}")  # 鳥取の東部広域
_KANJI_START_RE = re.compile(f"[{_KANJI}]+")
# a stem that starts in kana and ends in kanji (いちき串木野): its kanji part is said alone
_KANA_THEN_KANJI_RE = re.compile(f"[{_KANA}]+([{_KANJI}]{{2,}})")
_MIN_SHORT_FORM = 3  # kanji: 中日本 (中日本高速道路)
_KANA_RUN_END_RE = re.compile(f"[{_KANA}]{{2,10}}$")


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
    suffix: str = ""  # for a stem (a name without its ending): the orderer's ending (市)
    group: str | None = None  # the group's name, for a group's name or alias
    # A body no list names (the register's other municipalities): its stem counts only before
    # an ending (中間 + 市) or where the analyser tags a place (札幌の工事), never inside a word
    # (中間前払金, 国立大学); its reading only whole (さっぽろし).
    weak: bool = False


_TYPED_KANA = str.maketrans("づぢ", "ずじ")


def _key_of(text: str) -> str:
    """A name folded the way questions are (clean + fold): 鉄道建設・運輸… → 鉄道建設運輸…."""
    return fold(clean(text))


def _unlisted_body(said: str, start: int, end: int, name: str | None = None) -> Mention:
    """A body no list names, said as ``said`` (its name ``name``, else as said)."""
    return Mention(said, start, end, (), unlisted=name or said)


def _within_mention(inner: Mention, outer: Mention) -> bool:
    inside = outer.start <= inner.start and inner.end <= outer.end
    return inside and inner.end - inner.start < outer.end - outer.start


def _holding(unlisted: Sequence[Mention], found: Sequence[Mention]) -> Mention | None:
    """Of the ``unlisted`` bodies, the first that holds the stem of bodies no list names
    either, and no other name ``found`` (東京 in 東京農耕大学, a misspelt 東京農工大学)."""
    unnamed = [m for m in found if not any(o.adopted for o in m.orderers) and not m.unlisted]
    named = [m for m in found if m not in unnamed]
    return next(
        (
            m
            for m in unlisted
            if any(_within_mention(x, m) for x in unnamed)
            and not any(_within_mention(x, m) for x in named)
        ),
        None,
    )


def _also_under(table: defaultdict[str, list[_Key]], key: str, keys: Iterable[_Key]) -> None:
    """``keys`` found under ``key`` too (another spelling of a name), each once."""
    table[key] += [k for k in keys if k not in table[key]]


def _overlaps(mention: Mention, others: Sequence[Mention]) -> bool:
    return any(mention.start < m.end and m.start < mention.end for m in others)


class OrdererFinder:
    """Finds the orderers a question names (see the module docstring)."""

    def __init__(
        self, orderers: Sequence[Orderer], groups: Sequence[OrdererGroup] = (), *, cues: Cues
    ) -> None:
        self.orderers = tuple(orderers)
        self._cues = cues
        # a name may start right after its prefecture's, run together (兵庫県三木市)
        prefectures = {o.name for o in self.orderers if o.category.value == "都道府県"}
        self._prefecture_end = re.compile(f"(?:{any_of(prefectures)})$")
        p = {name: cue.pattern.pattern for name, cue in cues.items()}
        # Endings of local bodies (市 → its cue, with the readings し) and any of them said →
        # its kanji (し → 市).
        self._endings = endings = dict(cues.family("name.ending"))
        self._kanji_of = {word: kanji for kanji, cue in endings.items() for word in cue.words}
        self._ending = re.compile(any_of(self._kanji_of))
        # Other public bodies by their ending (広島大学, 厚労省, 国立病院機構, 厚労省発注の工事).
        self._body_re = re.compile(
            f"([{_KANJI}]{{1,10}}?)({p['body.endings']})"
            f"(?:(?![{_KANJI}])|(?={p['body.followed_by']}))"
        )
        # The same in hiragana (ながさきだいがく): an ending after at least two kana.
        self._kana_ending = {r: w for w, r in cues["body.kana_endings"].reading_of.items()}
        self._kana_body_re = re.compile(
            f"(?<=[{_KANA}]{{2}})({any_of(self._kana_ending)})(?={p['body.kana_followed_by']})"
        )
        # what precedes the place before such an ending: up to the last particle (うちは|さっぽろ)
        self._kana_start_re = re.compile(f".*(?:{p['name.kana_start']})(?=..)")
        # Companies ordering works, which the documents never list: by a Latin name with a
        # region (jr九州, ntt西日本) or before 「の発注」, or by a company's ending (九州電力).
        self._company_re = re.compile(
            f"(?<![0-9a-z\\-])(?P<latin>[a-z][a-z&]{{1,9}})(?P<region>{p['company.regions']})?"
            f"|[{_KANJI}]{{1,8}}(?:{p['company.endings']})(?![{_KANJI}])"
        )

        # names, aliases and stems, and their readings → the orderers they name
        self._keys: defaultdict[str, list[_Key]] = defaultdict(list)
        self._reading_keys: defaultdict[str, list[_Key]] = defaultdict(list)
        # (ending, length of the name) → orderers, for typos of one character (鳥巣市).
        self._by_shape: defaultdict[tuple[str, int], list[Orderer]] = defaultdict(list)
        index_of = {o.name: i for i, o in enumerate(self.orderers)}
        for g in groups:
            for alias, member in product((g.name, *g.aliases), g.members):
                self._keys[_key_of(alias)].append(_Key(index_of[member], group=g.name))
        for i, o in enumerate(self.orderers):
            name, reading, weak = _key_of(o.name), _key_of(o.reading), not o.adopted
            for alias in (name, *(_key_of(a) for a in o.aliases)):
                self._keys[alias].append(_Key(i))
                if alias.endswith("大学") and len(alias) >= 4:  # 熊本大学 said 熊本大
                    self._keys[alias[:-1]].append(_Key(i, weak=weak))
                if alias.endswith("高等専門学校"):  # 阿南工業高等専門学校 said 阿南工業高専
                    self._keys[alias[:-6] + "高専"].append(_Key(i, weak=weak))
            self._reading_keys[reading].append(_Key(i, weak=weak))
            if o.adopted and o.category not in LOCAL_CATEGORIES and len(name) >= 4:
                self._by_shape[name[-1], len(name)].append(o)  # 東京農耕大学 for 東京農工大学
            if o.category not in LOCAL_CATEGORIES or len(o.name) < 2 or o.name[-1] not in endings:
                continue
            suffix, stem = o.name[-1], name[:-1]
            self._by_shape[suffix, len(name)].append(o)
            # A two-kana stem (いの, かみ) is too often part of another word: かみの契約.
            if len(stem) >= (3 if is_hiragana(stem) else 2):
                self._keys[stem].append(_Key(i, suffix, weak=weak))
            if tail := _KANA_THEN_KANJI_RE.fullmatch(stem):  # 串木野 for いちき串木野市
                self._keys[tail[1]].append(_Key(i, suffix, weak=weak))
                self._keys[tail[1] + suffix].append(_Key(i, weak=weak))
            ending = next((e for e in endings[suffix].words if reading.endswith(e)), "")
            if ending and len(reading) - len(ending) >= 3:  # see いの above
                self._reading_keys[reading[: -len(ending)]].append(_Key(i, suffix, weak=weak))
                for other in endings[suffix].words - {ending}:  # ひがしそのぎまち (町: ちょう)
                    if is_hiragana(other) and not weak:
                        self._reading_keys[reading[: -len(ending)] + other].append(_Key(i))
        # Aliases read aloud too (くれこうせん: 呉高専), when long enough (five kana) not to be
        # a word and not another orderer's reading (みなみ町, a misspelling of みなべ町, reads
        # as 美波町).
        spelled = [(i, a) for i, o in enumerate(self.orderers) for a in o.aliases if has_kanji(a)]
        for (i, _a), reading in zip(spelled, readings([a for _i, a in spelled]), strict=True):
            own = all(k.index == i for k in self._reading_keys.get(reading, ()))
            spoken = len(reading) >= 5 and is_hiragana(reading)
            if self.orderers[i].adopted and spoken and own:
                self._reading_keys[reading].append(_Key(i))
        # づ and ぢ are often typed ず and じ (ひえず村 for 日吉津村, ひえづそん)
        for reading, keys in list(self._reading_keys.items()):
            if (typed := reading.translate(_TYPED_KANA)) != reading:
                _also_under(self._reading_keys, typed, keys)
        # The start of a listed body's long name said for the whole (鳥取県東部広域, 中日本):
        # three kanji or more that begin the name (or an alias) of that body only, and no key
        # of their own (鳥取県).
        # Also with its prefecture said as a place (鳥取の東部広域, 鳥取東部広域).
        starts: defaultdict[str, set[int]] = defaultdict(set)
        local_stems = {  # the stems of the cities, towns and villages → their ending
            o.name[:-1]: o.name[-1]
            for o in self.orderers
            if o.category in LOCAL_CATEGORIES and o.name[-1:] in "市町村" and len(o.name) >= 3
        }
        for i, o in enumerate(self.orderers):
            for alias in (o.name, *o.aliases) if o.adopted else ():
                run = _KANJI_START_RE.match(_key_of(alias))
                place = next((p for p in prefectures if alias.startswith(p) and p != alias), "")
                for n in range(_MIN_SHORT_FORM, len(run[0]) if run else 0):
                    if run and len(alias) - n >= 2:
                        starts[alias[:n]].add(i)
                        if place and n > len(place):
                            rest = alias[len(place) : n]
                            starts[f"{place[:-1]}の{rest}"].add(i)
                            starts[f"{place[:-1]}{rest}"].add(i)
                if place and run and run[0] == _key_of(alias):  # 鳥取の東部広域行政管理組合
                    starts[f"{place[:-1]}の{alias[len(place) :]}"].add(i)
                    starts[f"{place[:-1]}{alias[len(place) :]}"].add(i)  # 佐賀東部水道企業団
                # a body named after its town, with the town said as a place (鹿屋の体育大学,
                # 延岡の土地開発公社, 延岡市の土地開発公社)
                for n in range(2, 5):
                    town = local_stems.get(alias[:n])
                    rest = alias[n + (alias[n : n + 1] == town) :] if town else ""
                    if len(rest) >= 3 and has_kanji(rest):
                        starts[f"{alias[:n]}の{rest}"].add(i)
                        starts[f"{alias[:n]}{town}の{rest}"].add(i)
                    # or with the end of the rest only (柳井の広域水道企業団)
                    for end in range(4, len(rest)):
                        starts[f"{alias[:n]}の{rest[-end:]}"].add(i)
        self._short_forms = {
            w: i.pop() for w, i in starts.items() if len(i) == 1 and w not in self._keys
        }
        # A kind of body mistyped as callers do (鹿児島高線, 北九州工業高等専問学校): the names
        # with the kind so typed name the same bodies.
        for kind, typos in cues.family("name.kind_typo"):
            for key, found in [(k, v) for k, v in self._keys.items() if kind in k]:
                for typo in typos.words:
                    _also_under(self._keys, key.replace(kind, typo), found)
        # The first two characters of the keys → their lengths, longest first: most positions
        # start no key at all. (Sorted, the keys that start alike are side by side.)
        by_start = groupby(sorted({*self._keys, *self._reading_keys}), key=lambda k: k[:2])
        self._lengths = {c: sorted({len(k) for k in keys}, reverse=True) for c, keys in by_start}
        self.known_words: frozenset[str] = frozenset()

    def _pick(self, keys: Sequence[_Key]) -> tuple[Orderer, ...]:
        return tuple(self.orderers[x] for x in dict.fromkeys(k.index for k in keys))

    def _ends_name(self, ending: str, text: str, end: int) -> bool:
        """An ending (市, し) said up to ``end`` ends a name: it is a kanji, or the end or a
        particle follows (札幌市役所, さっぽろしの; not さっぽろしんぶん)."""
        return has_kanji(ending) or self._cues["name.end"].match(text, end) is not None

    def find(
        self,
        folded: str,
        tokens: Sequence[Token],
        *,
        thorough: bool = True,
        breaks: frozenset[int] = frozenset(),
    ) -> list[Mention]:
        """Mentions in ``folded`` (the cleaned, folded question), left to right; without
        ``thorough`` only names, aliases, readings and stems (no readings of kanji, unlisted
        bodies or typos). ``breaks``: where the caller typed a space between words (a name in
        kana may end there: べっぷし こうじ)."""
        found: list[Mention] = []
        by_begin = {t.begin: t for t in tokens}
        after = 0  # where the last mention ends
        for i in range(len(folded) - 1):
            if i >= after and (mention := self._at(folded, i, by_begin, breaks)):
                # a group (NEXCO) is each of its members, named one by one
                group = mention.orderers if mention.group else ()
                found += [replace(mention, orderers=(o,)) for o in group] or [mention]
                after = mention.end
        if not thorough:
            return found
        found = [self._ending_meant(self._prefecture_meant(m, folded), folded) for m in found]
        found = self._with_short_forms(folded, tokens, found, breaks)
        found = self._with_bodies_of(folded, found)
        named = any(m.orderers or m.unlisted for m in found)
        if not named and (typo := self._by_reading(tokens, found)):
            found, named = [*found, typo], True
        # the first unlisted body outside the names found; when there is none, every one was
        # read and overlaps a name found, and one of them may hold it (東京農耕大学)
        overlapping: list[Mention] = []
        for extra in self._unlisted(folded, tokens, breaks):
            if not _overlaps(extra, found):
                break
            overlapping.append(extra)
        else:
            extra = None
            if holding := _holding(overlapping, found):
                found = [*(m for m in found if not _within_mention(m, holding)), holding]
        # 鳥栖市と札幌市: a body the documents do not list, joined to a listed one; or said
        # right after its prefecture (広島県の北広嶋町)
        if extra and (
            not named or self._joined(extra, folded, found) or self._within(extra, folded, found)
        ):
            found.append(extra)
        return sorted((self._typo(m, tokens) for m in found), key=lambda m: m.start)

    def _with_short_forms(
        self,
        folded: str,
        tokens: Sequence[Token],
        found: list[Mention],
        breaks: frozenset[int] = frozenset(),
    ) -> list[Mention]:
        """A run of kanji that starts one listed body's long name, is no key itself and has a
        place name in it (鳥取県東部広域 for 鳥取県東部広域行政管理組合, 中日本; not 下水道 or
        空港周辺, words of their own): that body, in place of the names found inside it. A run
        ends where the caller typed a break (鳥取の東部広域行政管理組合、測量の業務)."""
        runs = chain(_KANJI_RUN_ANY_RE.finditer(folded), _KANJI_RUNS_OF_RE.finditer(folded))
        for run in runs:
            start = run.start()
            end = min((b for b in breaks if start < b < run.end()), default=run.end())
            index = self._short_forms.get(folded[start:end])
            if index is None or self._cues["name.region_of_kind"].match(folded, end):
                continue  # 西日本の国立大学: a region the bodies of a kind are in
            within = (t for t in tokens if start <= t.begin < end)
            if not any(t.pos3 == "地名" for t in within):
                continue
            inside = [m for m in found if start <= m.start and m.end <= end]
            if len(inside) == sum(start < m.end and m.start < end for m in found):
                short = Mention(folded[start:end], start, end, (self.orderers[index],))
                found = [m for m in found if m not in inside] + [replace(short, exact=False)]
        return sorted(found, key=lambda m: m.start)

    def _with_bodies_of(self, folded: str, found: list[Mention]) -> list[Mention]:
        """A name, 「の」 and the rest of another body's name that starts with it (兵庫県の住宅
        供給公社, 佐賀の道路公社, 鹿児島の高専: 兵庫県住宅供給公社, 佐賀県道路公社,
        鹿児島高専): that body, in place of the names found inside it."""
        for m in [m for m in found if m.orderers and folded.startswith("の", m.end)]:
            whole = self._body_of(m, folded)
            if whole and whole.orderers != m.orderers:
                inside = [x for x in found if whole.start <= x.start and x.end <= whole.end]
                kept = [x for x in found if x not in inside]
                found = sorted([*kept, whole], key=lambda x: x.start)
        return found

    def _body_of(self, m: Mention, folded: str) -> Mention | None:
        """The body whose name is ``m``'s (as said, or one of its bodies' names) followed by
        what comes after its 「の」: two characters at least, up to the end of a run of kanji."""
        rest = folded[m.end + 1 :]
        for name in dict.fromkeys((m.said, *(o.name for o in m.orderers))):
            joined = name + rest
            for n in self._lengths.get(joined[:2], ()):
                keys = [k for k in self._keys.get(joined[:n], ()) if not k.suffix]
                tail = n - len(name)  # what is said after 「の」
                if tail >= 2 and keys and not _KANJI_START_RE.match(joined, n):
                    return Mention(joined[:n], m.start, m.end + 1 + tail, self._pick(keys))
        return None

    def _prefecture_meant(self, mention: Mention, folded: str) -> Mention:
        """A name a prefecture shares with its city (佐賀: 佐賀県, 佐賀市) is the prefecture when
        the question speaks of the prefecture as a whole (県内の自治体ごとの件数), of its
        office (京都の府庁), of it as such (広島の県の仕事) or of the bodies in it (佐賀の市町で
        対応しているところ; not 京都の市役所, the city's own office)."""
        prefectures = [o for o in mention.orderers if o.category.value == "都道府県"]
        if len(mention.orderers) < 2 or len(prefectures) != 1:
            return mention
        cues, kind, after = self._cues, prefectures[0].name[-1], folded[mention.end :]
        whole = re.search(f"{kind}(?:{cues['prefecture.whole'].pattern.pattern})", folded)
        said = cues["prefecture.said"].match(after)
        region = asks_for_region(cues, after) and not cues["prefecture.city_said"].match(after)
        meant = whole or (said and kind in said[0]) or region
        return replace(mention, orderers=(prefectures[0],)) if meant else mention

    def _ending_meant(self, mention: Mention, folded: str) -> Mention:
        """A name several bodies share, said with the ending of one kind of them after it (神戸の
        市発注: 神戸市, not 神戸町): those of that ending."""
        if len(mention.orderers) < 2 or not (
            said := self._cues["name.ending_said"].match(folded, mention.end)
        ):
            return mention
        ending = next((c for c in said[0] if c in "市町村"), None)  # a pattern may say none
        meant = tuple(o for o in mention.orderers if ending and o.name.endswith(ending))
        return replace(mention, orderers=meant) if meant else mention

    @staticmethod
    def _within(extra: Mention, folded: str, found: Sequence[Mention]) -> bool:
        """A body the documents do not list, said right after a prefecture named (広島県の
        北広嶋町, 佐賀県嬉野町)."""
        return any(
            folded[m.end : extra.start] in ("", "の")
            and any(o.category.value == "都道府県" for o in m.orderers)
            for m in found
        )

    def _joined(self, extra: Mention, folded: str, found: Sequence[Mention]) -> bool:
        """An unlisted body joined to a listed one by nothing but 「と」「や」「、」… between them
        (鳥栖市と札幌市, 札幌市と鳥栖市); elsewhere in a question that names a listed body, an
        unknown place name is more often something else (鳥栖市の市役所)."""
        join = self._cues["join"].pattern
        between = [(extra.end, m.start) for m in found] + [(m.end, extra.start) for m in found]
        return any(join.fullmatch(folded, start, end) for start, end in between)

    # -- surface scan

    def _at(
        self, text: str, i: int, by_begin: dict[int, Token], breaks: frozenset[int] = frozenset()
    ) -> Mention | None:
        """The mention starting at ``i``: the longest key that is a word of its own there;
        ``by_begin`` holds the tokens (which cover ``text``) by their start."""
        first, cues = by_begin.get(i), self._cues
        for end in (i + n for n in self._lengths.get(text[i : i + 2], ()) if i + n <= len(text)):
            key = text[i:end]
            keys = self._keys.get(key, [])
            reading_keys = self._reading_keys.get(key, []) if is_hiragana(key) else []
            # a weak stem only as a proper name the analyser reads as a word of its own (札幌:
            # 地名; 芦屋, 伊達: 人名, as surnames are often places), or said with an ending
            # (or a listed body's stem: then the others of that stem are its namesakes, 瀬戸内)
            place = first is not None and first.end == end and first.pos3 in ("地名", "人名")
            listed = any(k.suffix and not k.weak for k in keys)
            ending = self._ending.match(text, end)  # 府中市, 下関しの
            if not (place or listed or ending):
                keys = [k for k in keys if not (k.weak and k.suffix)]
            # うれしの市: an unlisted body's stem, said with its own ending (not いたこ + と)
            own = self._kanji_of.get(ending[0], "") if ending else ""
            # (but where a listed body has that stem, the others are its namesakes: おかやま)
            if not any(k.suffix and not k.weak for k in reading_keys):
                reading_keys = [k for k in reading_keys if not (k.weak and k.suffix != own)]
            if not (keys or reading_keys) or not self._is_word(text, i, end, first, breaks):
                continue
            if branch := cues["branch.word"].match(text, end):
                return Mention(key, i, branch.end(), ())
            if cues["name.own_university"].match(text, end):
                continue  # 熊本県立大学, and its stem 熊本 before 県立大学
            candidates = keys + reading_keys
            # e-netにはまだ親父: a particle and a word after it, not a bare stem (浜田)
            particle = first is not None and first.pos == "助詞" and first.end < end
            bare = not ending and all(k.suffix for k in candidates)
            if particle and bare and is_hiragana(text[i - 1 : i]):
                continue
            if full := [k for k in candidates if not k.suffix]:
                area, found = bool(cues["name.area"].match(text, end)), self._pick(full)
                return Mention(key, i, end, found, area=area, exact=bool(keys), group=full[0].group)
            said = ending is not None and self._ends_name(ending[0], text, ending.end())
            if has_kanji(key) and not said and end not in by_begin and end < len(text):
                continue  # 広島大学: the stem ends inside a word
            return self._stem_mention(text, i, end, candidates, by_begin.get(end))
        return None

    def _is_word(
        self, text: str, i: int, end: int, first: Token | None, breaks: frozenset[int]
    ) -> bool:
        """``text[i:end]`` is not the inside of a longer word; ``first``: the token at ``i``;
        ``breaks``: where the caller typed a space."""
        key, before, cues = text[i:end], text[i - 1 : i], self._cues
        starts = cues["name.kana_starts_after"]
        if is_hiragana(key[:1]) and is_hiragana(before) and not is_hiragana(key):
            # 何がいいの町 is not いの町: a name that starts in kana starts as a kana word does
            return i in breaks or before in starts
        if is_hiragana(key):
            ends = cues["name.end"], cues["name.end_of_kana"], self._ending  # くまもとの, とすし
            if not (end in breaks or any(e.match(text, end) for e in ends)):
                return False
            if i in breaks:
                return True  # a word typed on its own (…こうじ とすし)
            if is_hiragana(before):
                # after a particle (…の, …は) or a verb's ending (契約するとすし) a name may start
                return before in starts and end - i >= 3
            # 捺印はまだ: a particle and the next word are not a name (はまだ → 浜田).
            return not (before and first and first.pos in ("助詞", "助動詞") and first.end < end)
        if key.isascii():  # UR, NEXCO…: a Latin alias is a whole word, never inside one (d-sure)
            return not any(c.isascii() and c.isalnum() for c in before + text[end : end + 1])
        # 東京都 contains 京都: a kanji name starts where a word starts (or its prefecture ends).
        inside = has_kanji(key) and first is None and has_kanji(before)
        return not inside or bool(self._prefecture_end.search(text, 0, i))

    def _stem_mention(
        self, text: str, i: int, end: int, candidates: Sequence[_Key], nxt: Token | None
    ) -> Mention | None:
        """A stem with its ending said (鳥栖市, とすし; 山口権: a kanji that sounds like it),
        as an area (熊本の県内), or bare, before a particle, the end or a kanji; ``nxt``: the
        token after it."""
        key, cues = text[i:end], self._cues
        ending = found[0] if (found := self._ending.match(text, end)) else None
        suffix, typo = self._kanji_of.get(ending or "", ""), False
        if ending is None:
            inside = cues["name.prefecture_area"].match(text, end)  # 熊本の県内
            if inside and (prefectures := [k for k in candidates if k.suffix == inside[0][-1]]):
                return Mention(key + inside[0], i, inside.end(), self._pick(prefectures), area=True)
            sound = self._kanji_of.get(nxt.reading) if nxt and has_kanji(nxt.surface[:1]) else None
            if nxt and sound and any(k.suffix == sound for k in candidates):  # 山口権
                ending, suffix = nxt.surface, sound  # one body only: no need to ask back
        if ending is not None:
            same = [k for k in candidates if k.suffix == suffix]
            said, stop = key + ending, end + len(ending)
            ended = self._ends_name(ending, text, stop)
            if same and (len(ending) > 1 or ended):
                area = bool(cues["name.area"].match(text, stop))
                return Mention(said, i, stop, self._pick(same), area=area, exact=False, typo=typo)
            if not same and ended and (has_kanji(ending) or len(ending) > 1):
                # 府中 + 市 when only 府中町 is listed: a body the documents do not name (a
                # one-kana ending no body of the stem has is a word: 宮崎との県境, no 宮崎都).
                return _unlisted_body(said, i, stop, self._kanji_stem(key, candidates) + suffix)
        bare = cues["name.end"].match(text, end) or cues["name.end_of_stem"].match(text, end)
        return Mention(key, i, end, self._pick(candidates), exact=False) if bare else None

    # -- reading scan (kanji typos that sound right)

    def _by_reading(self, tokens: Sequence[Token], found: Sequence[Mention]) -> Mention | None:
        """A listed name of four kana or more in the readings of whole tokens (山口権, 高地市:
        a kanji mis-converted, read just as the name is; answered for that body)."""
        for j, first in enumerate(tokens):
            if any(m.start <= first.begin < m.end for m in found):
                continue
            # the readings from this token to each later one's end, longest first
            spans = [*zip(accumulate(t.reading for t in tokens[j:]), tokens[j:], strict=True)]
            for reading, last in reversed(spans):
                keys = [k for k in self._reading_keys.get(reading, []) if not (k.suffix or k.weak)]
                if len(reading) >= 4 and keys:
                    start, end = first.begin, last.end
                    said = "".join(t.surface for t in tokens if start <= t.begin < end)
                    return Mention(said, start, end, self._pick(keys), exact=False)
        return None

    # -- bodies the documents do not name

    def _unlisted(
        self, folded: str, tokens: Sequence[Token], breaks: frozenset[int] = frozenset()
    ) -> Iterator[Mention]:
        """Bodies the documents do not name, the surest sign first: a place name the analyser
        tags, with its ending (札幌市, 札幌 + し); a public body's ending in kanji (広島大学, not
        国立大学) or in kana (ながさきだいがく); a local body's ending after a run of kanji
        (中間市, 下関し); a company (jr九州, 九州電力)."""
        cues, body = self._cues, _unlisted_body
        generic, not_a_name = cues["body.generic"], cues["name.not_a_name"]
        for t, nxt in zip(tokens, [*tokens[1:], None], strict=True):
            name, ending = t.surface, nxt.surface if nxt else ""
            if t.pos3 != "地名":
                continue
            if name[-1] in self._endings and len(name) >= 3:
                yield body(name, t.begin, t.end)
            elif nxt and ending in self._kanji_of and self._ends_name(ending, folded, nxt.end):
                yield body(name + ending, t.begin, nxt.end, name + self._kanji_of[ending])
        for m in self._body_re.finditer(folded):
            start, end = m.span()
            place = any(t.pos3 == "地名" for t in tokens if start < t.end and t.begin < end)
            # 県の住宅供給公社: a kind of body, not one by name; so is 住宅供給公社 without a place.
            owner = folded[max(0, start - 2) : start] in cues["body.owner_of_kind"]
            kind = owner or (m[2] in cues["body.kind_endings"] and not place)
            # no place, and nothing but the FAQ's own words (前払保証証書・事務所): no name
            words = [t.surface for t in tokens if start <= t.begin and t.end <= start + len(m[1])]
            own = not place and bool(words) and all(w in self.known_words for w in words)
            if m[1] not in generic and not kind and not own:
                yield body(m[0], start, end)
        for m in self._kana_body_re.finditer(folded):
            # the place before the ending: the longest reading of a listed name or stem at the
            # end of the kana before it (うちはながさき → ながさき), else what follows the last
            # particle (うちはさっぽろ → さっぽろ)
            run = found[0] if (found := _KANA_RUN_END_RE.search(folded, 0, m.start())) else ""
            listed = (run[-n:] for n in range(len(run), 1, -1) if run[-n:] in self._reading_keys)
            stem = next(listed, self._kana_start_re.sub("", run, count=1))
            # だいがくとか こうせん: a list of kinds (とか, なんか), not a place before the ending
            if stem and stem not in generic and not cues["name.listed_with"].search(stem):
                start, keys = m.start() - len(stem), self._reading_keys.get(stem, ())
                name = self._kanji_stem(stem, keys) + self._kana_ending[m[1]]
                # よなごこうせん → 米子高専: a listed body's own name or alias, read aloud
                if named := [k for k in self._keys.get(name, ()) if not (k.suffix or k.weak)]:
                    yield Mention(folded[start : m.end()], start, m.end(), self._pick(named))
                else:
                    yield body(folded[start : m.end()], start, m.end(), name)
        for m in _KANJI_RUN_RE.finditer(folded):
            # a comma or space typed inside the run ends it (土床町、電子; 証書、県に)
            start = m.start()
            end = min((b for b in breaks if start < b < m.end()), default=m.end())
            run = folded[start:end]
            local = run[-1] in cues["name.run_endings"] and run[:-1] not in not_a_name  # 中間市
            # nor a run that ends with a kind of body (何県市町村, 県内市町村)
            local = local and not any(run[n:] in not_a_name for n in range(1, len(run) - 2))
            # not 県内 (an area) nor 中間支店 (a branch)
            after = cues["name.area"].match(folded, end) or cues["branch.word"].match(folded, end)
            if local and len(run) >= 3 and not after:
                yield body(run, start, end)
            said = cues["name.run_kana_endings"].match(folded, end)  # 下関し
            word = run in not_a_name or run in self.known_words
            # a place's name (not 引渡し, a word whose kana ending reads like 市)
            place = any(t.pos3 == "地名" for t in tokens if start <= t.begin < end)
            if said and place and not word and cues["name.end"].match(folded, said.end()):
                kanji = self._kanji_of.get(said[0], said[0])
                yield body(run + said[0], start, said.end(), run + kanji)
        for m in self._company_re.finditer(folded):
            # a Latin name only before a region or 「の発注」, and not a word of the FAQ (pdf)
            latin, orders = m["latin"], cues["company.orders"].match(folded, m.end())
            if not latin or (latin not in self.known_words and (m["region"] or orders)):
                yield body(m[0], *m.span(), m[0].upper())

    def _kanji_stem(self, said: str, keys: Iterable[_Key]) -> str:
        """A stem said in hiragana, in the kanji of the listed bodies ``keys`` name after it
        (ながさき → 長崎, from 長崎県 and 長崎市); as said when they do not agree or none is."""
        stems = {self.orderers[k.index].name[:-1] for k in keys if k.suffix}
        return stems.pop() if is_hiragana(said) and len(stems) == 1 else said

    # -- one-character typos of a listed name (鳥巣市 for 鳥栖市)

    def _typo(self, mention: Mention, tokens: Sequence[Token]) -> Mention:
        """The one listed body an unlisted name misspells by one kanji, said with a reading
        one kana off at most (鳥巣市 → 鳥栖市) or with a kanji of like shape (宍栗市 → 宍粟市,
        ``name.lookalike_kanji``); else the mention as it is."""
        name = mention.unlisted
        if name is None or len(name) < 3 or not has_kanji(name):
            return mention
        said = "".join(t.reading for t in tokens if mention.start <= t.begin < mention.end)
        shaped = self._by_shape.get((name[-1], len(name)), [])
        near = [o for o in shaped if Hamming.distance(name, _key_of(o.name)) == 1]
        alike = self._cues["name.lookalike_kanji"].words

        def like(o: Orderer) -> bool:  # the one kanji that differs is of like shape
            pairs = [x + y for x, y in zip(name, _key_of(o.name), strict=True) if x != y]
            return pairs[0] in alike or pairs[0][::-1] in alike

        close = [o for o in near if Levenshtein.distance(said, _key_of(o.reading)) <= 1]
        matches = close or [o for o in near if like(o)]
        if len(matches) != 1:
            return mention
        # 高地市: read just as 高知市 is, a kanji mis-converted; nothing to ask back
        typo = said != _key_of(matches[0].reading)
        return replace(mention, orderers=(matches[0],), unlisted=None, exact=False, typo=typo)


# --------------------------------------------------------------------------- branches


class BranchHit(NamedTuple):
    branch: Branch
    said: str


class BranchFinder:
    """Finds a branch by its name (熊本支店, 熊本の支店), the city it is in (神戸の支店) or the
    reading of either (ふくおかしてん, こうべの支店)."""

    def __init__(self, branches: Sequence[Branch]) -> None:
        self.branches = tuple(branches)
        keys: dict[str, int] = {}  # the first branch of a name wins
        spoken: list[tuple[str, int]] = []  # names read aloud too
        for i, b in enumerate(self.branches):
            stem = _key_of(b.name.removesuffix("支店"))
            city = _key_of(found[1]) if (found := re.match(r"(.+?[市区])", b.address)) else ""
            for key in (stem, city, city[:-1]):
                keys.setdefault(key, i)
            spoken += [(stem, i), (city[:-1], i)]
        for (_w, i), reading in zip(spoken, readings([w for w, _i in spoken]), strict=True):
            keys.setdefault(reading, i)
        self._keys = {k: i for k, i in keys.items() if len(k) >= 2}
        self._key_re = re.compile(any_of(self._keys))  # the longest key at a place

    def find(self, folded: str, *, office: bool = False) -> BranchHit | None:
        """The longest branch key (the first of those) in a question that says 支店 (or, with
        ``office``, speaks of one of our offices otherwise: 御社の事務所)."""
        if not (office or "支店" in folded or "してん" in folded):
            return None
        hits = (m[0] for i in range(len(folded)) if (m := self._key_re.match(folded, i)))
        said = max(hits, key=len, default=None)
        return BranchHit(self.branches[self._keys[said]], said) if said else None

    def find_by_sound(self, tokens: Sequence[Token]) -> BranchHit | None:
        """The branch whose name sounds like the one to three tokens right before 支店
        (高地支店 → 高知支店), or None."""
        at = next((i for i, t in enumerate(tokens) if t.reading == "してん"), 0)
        for n in (1, 2, 3) if at else ():
            said = "".join(t.reading for t in tokens[max(0, at - n) : at])
            if (i := self._keys.get(said)) is not None:
                return BranchHit(self.branches[i], said)
        return None


def said_as(tokens: Sequence[Token], word: str, reading: str) -> str | None:
    """The tokens' text with ``word`` in place of one token, or two side by side, read as
    ``reading`` (鹿児島視点 → 鹿児島支店, 山口支展 → 山口支店), or None where none is."""
    out: list[str] = []
    i, found = 0, False
    while i < len(tokens):
        n = next((n for n in (1, 2) if "".join(t.reading for t in tokens[i : i + n]) == reading), 0)
        out.append(word if n else tokens[i].surface)
        i, found = i + (n or 1), found or bool(n)
    return "".join(out) if found else None


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
    hours = cues["branch.hours"].search(folded) and cues["branch.counter"].search(folded)
    return bool(hours) and not cues["branch.elsewhere"].search(folded)


def detect_branch_field(cues: Cues, folded: str) -> BranchField | None:
    """What is asked of a branch: the first field in the cue file's order (FAX before phone:
    a FAX番号 is a number too); 「どこ」 alone asks where it is."""
    found = (field for field, cue in cues.family("branch_field") if cue.search(folded))
    return cast(BranchField | None, next(found, "address" if "どこ" in folded else None))


def detect_aspect(
    cues: Cues, surface: str, reading: str, asked: tuple[str, ...] = (), *, dated: bool = False
) -> tuple[Aspect, bool]:
    """The aspect asked and whether a cue said so (False: the default, 運用開始日).

    The first ``aspect.*`` cue in the file's order wins. 「電子で出せますか」 asks about the
    form, not where to submit; so does 「電子証書を出せますか」, and 「電子証書で提出できますか」,
    unless how the submission is made is asked as well. 「いつから」 asks the start even when a
    certificate or a kind of contract is named. ``asked``: what kind of question the whole
    question is (its polite ending, which ``surface`` no longer has, may say it: 提出できますか
    is can). ``dated``: a
    date was said (令和6年1月に契約した工事、電子で出してよかった？ asks the start, unless
    where or how to submit is asked)."""
    texts = [cues["submission.in_form"].sub("で", t) for t in (surface, reading)]
    asks = {*asks_of(cues, texts[0]), *asks_of(cues, texts[1]), *asked}
    how = bool(asks & {"where", "how"}) or cues["submission.how"].in_any(*texts)
    if not how:
        can = ["submission.in_form_can"] if "can" in asks else []
        for name in ["submission.in_form_potential", *can]:
            texts = [cues[name].sub("で", t) for t in texts]
    if texts[0] != surface and texts[1] == reading:
        texts[1] = texts[0]  # the form said in kanji, read wrongly (分紙: ぶんし): the kanji say it
    for name, cue in cues.family("aspect"):
        if cue.in_any(*texts):
            aspect = name.split(".")[0]  # aspect.documents.guarantor is documents too
            when = cues["when_started"].in_any(*texts)
            if (when or dated) and aspect == "submission" and not how:
                return "start", True
            if when and aspect in ("documents", "coverage"):
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
    joined = re.compile(f"(?:(?:{cues['join'].pattern.pattern})[{_KANJI}]{{1,6}})*")
    end = found.end() if (found := joined.match(folded, end)) else end
    said = folded.startswith("の", end) and company.match(folded, end + 1) is not None
    return said or (folded.startswith("の会社", end) and company.search(folded) is not None)


def asks_guarantee_only(cues: Cues, surface: str, reading: str) -> bool:
    """The question speaks of guarantees (保証, 証書, 前払金) and not of an e-contract system
    (電子契約, 契約書, 署名): 鳥栖市の建コン業務、前払いの証書を電子でもらえる？"""
    other = (cues[n].in_any(surface, reading) for n in ("e_contract", "contract_system"))
    return cues["guarantee"].in_any(surface, reading) and not any(other)


def details_asked(cues: Cues, folded: str) -> tuple[str, ...]:
    """The details a question asks, by name (``detail.<name>.asked``: 何桁, スマホ, 宛名)."""
    asked = cues.family("detail")
    return tuple(
        n.removesuffix(".asked") for n, c in asked if n.endswith(".asked") and c.search(folded)
    )


def details_missing(cues: Cues, details: Sequence[str], answer: str) -> tuple[str, ...]:
    """Those of ``details`` that ``answer`` does not give (no ``detail.<name>.answered`` in it)."""
    if not details:
        return ()
    text = fold(unicodedata.normalize("NFKC", answer).lower())
    return tuple(d for d in details if not cues[f"detail.{d}.answered"].search(text))


def asks_contract_only(cues: Cues, surface: str, reading: str) -> bool:
    """The question speaks of an orderer's e-contract system (電子契約) and not of guarantees:
    福岡市の電子契約はいつから."""
    return cues["e_contract"].in_any(surface, reading) and not cues["guarantee"].in_any(
        surface, reading
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
    said = cues["region.right_after"].match(after) or cues["region"].search(after)
    can = cues["region.can"].search(after)  # 導入しているのはどこ
    return bool(said) or (can is not None and "どこ" in after[can.end() :])


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


def _role(cues: Cues, text: str) -> AppliesTo | None:
    """What a date is (入札公告日, 契約締結日) by the first ``date_role.*`` cue in ``text``."""
    found = [(m.start(), role) for role, cue in cues.family("date_role") if (m := cue.search(text))]
    return cast(AppliesTo, min(found)[1]) if found else None


def read_dates(cues: Cues, question: str, today: date | None = None) -> DatesSaid:
    """The dates a question says (令和8年4月1日, R8.4.1, ２０２６/４/１, れいわ8ねん4がつ1にち; a
    month alone: 令和8年4月; a day without its year, as of ``today``: 4月1日), each with what it
    is when the words right after it, or else right before it, say so (in the same clause)."""
    text = kana_dates(unicodedata.normalize("NFKC", question))
    dates, errors, refused = find_dates(text, today)
    clause = cues["date.clause"].pattern
    cases: list[DatedCase] = []
    for i, d in enumerate(dates):
        after = text[d.end : dates[i + 1].start if i + 1 < len(dates) else len(text)]
        before = text[dates[i - 1].end if i else 0 : d.start]
        after, before = clause.split(after[:12])[0], clause.split(before[-8:])[-1]
        if not cues["date.change"].match(after):  # 令和7年の変更契約: a change's date, not checked
            role = _role(cues, after) or _role(cues, before)
            cases.append(DatedCase(d.day, role, d.month, d.next_time, d.last, d.label))
    # The question without its dates, impossible ones too: what lies between two cuts.
    cuts = [(0, 0), *sorted([*((d.start, d.end) for d in dates), *refused]), (len(text), 0)]
    rest = "".join(text[a:b] for (_start, a), (b, _end) in pairwise(cuts))
    return DatesSaid(cases, errors, rest, bool(dates or refused))
