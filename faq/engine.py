"""The FAQ assistant: answers a caller's question from the knowledge files, or says honestly
that it has no answer.

Order of work for one question (see README, "FAQ assistant"):

1. Normalise it (:mod:`faq.normalize`): NFKC, width, kana, punctuation, fillers and polite
   endings, synonyms; Sudachi tokens and readings.
2. A branch (支店) with 電話/FAX/住所 → the branch record.
3. Rank the FAQ entries (:mod:`faq.index`): TF-IDF cosine over character n-grams of the
   surface and of the reading and over Sudachi content words, per phrasing (best and
   second-best phrasing of each entry), per entry (all phrasings and tags) and on the answer.
   Entries about another orderer than the one named are pushed down, those about it up.
4. An orderer named with an electronic-guarantee question → its record, through a Jinja2
   template for the aspect asked (運用開始日, 対象業務, 対象の証書, 提出, 旧契約, 利用率), unless
   an FAQ entry about that orderer (or a general one, without a cue for an aspect) matches
   better. A shared name asks which one; a name the documents do not list gets
   「資料に掲載なし」 with the list's date.
5. Otherwise the best FAQ entry, when its calibrated confidence (the probability that it is
   right, from its score, its lead and the question's words) reaches ``min_confidence``; else
   「該当する回答が見つかりません」 with the top candidates.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from functools import cached_property, partial
from itertools import chain, pairwise
from typing import Any, Literal, NamedTuple, TypeVar, cast

import numpy as np

from core import eligibility, knowledge
from core.dates import format_wareki, format_wareki_month
from core.knowledge import (
    LOCAL_CATEGORIES,
    BranchFile,
    FaqEntry,
    Orderer,
    OrdererFile,
    OutOfScope,
    SynonymGroup,
)
from core.orderers import published_register, shipped_paths
from faq import cache as index_cache
from faq import entities, normalize, render
from faq.cues import Cues, default_cues_path, load_cues
from faq.entities import ASPECTS, Aspect, DatedCase, DatesSaid, Mention
from faq.index import CHANNELS, Field, Occurrences, Terms, occurrences, query_features
from faq.normalize import Analysis, Token, analyse_tokens, clean, fold


def register_file() -> OrdererFile:
    """The shipped register as one orderers file: the documents' records with what the
    orderers' own pages say (data/pages/), and every other public body of the municipality
    data set (not in the lists)."""
    records, data = published_register()
    return data.model_copy(update={"orderers": tuple(records)})


NOT_FOUND = "該当する回答が見つかりません"
_T = TypeVar("_T")


@dataclass(frozen=True)
class Alternative:
    question: str
    score: float
    entry_id: str | None = None  # the FAQ entry the phrasing belongs to

    def to_json(self) -> dict[str, Any]:
        return {"question": self.question, "score": round(self.score, 3), "entry_id": self.entry_id}


@dataclass(frozen=True)
class DateCheck:
    """A date the question said, checked against one orderer's start (the 【…の案件】 line)."""

    orderer: str
    said: str  # as shown: 令和8年4月1日, 令和8年4月 (a month), 4月1日 (no year), 令和5年度
    day: str  # ISO: the day; a month's 1st; a day without its year: its last occurrence
    next_time: str | None  # a day without its year: its next occurrence
    last: str | None  # a span (去年, 今年度, 来月, 令和5年度): its last day
    month: bool
    said_as: str | None  # 契約締結日 or 入札公告日 when the question said which
    eligible: bool | None  # None: the date alone does not decide (what to confirm is said)
    reason: str


@dataclass(frozen=True, kw_only=True)
class Answer:
    """What the assistant says; ``answered`` False (the default) means nothing is asserted."""

    answered: bool = False
    answer: str
    confidence: float = 0.0
    source: str = ""
    as_of: str = ""  # ISO date, "" when nothing is answered
    matched: str = ""
    alternatives: tuple[Alternative, ...] = ()
    kind: Literal["faq", "orderer", "branch", "none"] = "none"
    entry_id: str | None = None
    orderer: str | None = None
    aspect: str | None = None
    branch: str | None = None
    field: str | None = None
    listed: bool | None = None  # orderer answers: False for a body the documents do not name
    candidates: tuple[str, ...] = ()  # the orderers a shared name may mean
    orderers: tuple[str, ...] = ()  # every orderer answered, when several are named
    out_of_scope: str | None = None  # the out-of-scope topic a declined question is about
    normalized: str = ""
    evidence: tuple[float, ...] = ()  # FAQ decisions: what the confidence was computed from
    dates: tuple[DateCheck, ...] = ()  # the dates said, checked against the orderers' starts

    @classmethod
    def none(cls, text: str, **more: Any) -> Answer:
        """Nothing asserted: 「該当なし」 or why not, with the nearest candidates."""
        return cls(answer=text, **more)

    def prefixed(self, prefix: str, **changes: Any) -> Answer:
        """The same answer with ``prefix`` before its text (and ``changes``)."""
        return replace(self, answer=prefix + self.answer, **changes)

    def to_json(self) -> dict[str, Any]:
        """The JSON contract of ``hosho ask --json`` (not ``normalized`` nor ``evidence``)."""
        out = {k: v for k, v in asdict(self).items() if k not in ("normalized", "evidence")}
        out["confidence"] = round(self.confidence, 3)
        out["alternatives"] = [a.to_json() for a in self.alternatives]
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


@dataclass(frozen=True)
class Tuning:
    """Weights and thresholds, chosen on the dev split of tests/faq_eval (never on holdout)."""

    # channel weights inside each field (surface n-grams, reading n-grams, Sudachi words)
    phrasing: tuple[float, float, float] = (1.0, 1.0, 1.0)
    entry: tuple[float, float, float] = (1.0, 1.0, 1.0)
    answer: tuple[float, float, float] = (1.0, 0.0, 0.0)
    # field weights: best phrasing (+ second * second_phrasing), the entry as a whole, answer
    w_phrasing: float = 1.0
    second_phrasing: float = 0.3
    w_entry: float = 1.0
    w_answer: float = 2.0
    # candidates: phrasings sharing the most rare features (in at most ``rare`` phrasings)
    candidates: int = 20
    rare: int = 40
    entries: int = 12  # the best entries by phrasing, scored as wholes too
    entry_candidates: int = 5  # entries added by their whole wording and answer
    # a question whose nouns the knowledge never uses is about something else
    unknown_penalty: float = 0.2
    # without a domain word, this share of unknown nouns is enough to abstain
    elsewhere_share: float = 0.5
    # orderer focus: entries about the named orderer gain, those about another one lose
    focus_bonus: float = 0.08
    other_penalty: float = 0.5
    unnamed_penalty: float = 0.75  # entries about an orderer when the question names none
    # entries about an orderer's e-contract system when the question speaks only of guarantees
    econtract_penalty: float = 0.5
    # an entry's best phrasing about another subject than the question's (e-Net, asked of 電子保証)
    subject_penalty: float = 0.8
    # entries tagged with a ``favour.<aspect>`` word gain this share when that aspect is asked
    favour_bonus: float = 0.1
    # out-of-scope topics score this share: only a question clearly about one is declined
    out_of_scope_weight: float = 0.75
    # decisions: an FAQ entry is asserted when the calibrated confidence (the probability that
    # the best entry is right, see Assistant.confidence) reaches ``min_confidence``, its score
    # clears ``threshold`` and it beats the runner-up by ``margin``
    calibration: tuple[float, ...] = (-3.95, 1.57, 0.93, 1.15, -0.66, 0.24, 0.21)
    min_confidence: float = 0.5
    threshold: float = 0.07
    margin: float = 0.002
    specific_threshold: float = 0.15  # an entry about the named orderer beats its record
    general_threshold: float = 0.55  # a general entry beats the record (no aspect cue)
    # conversations: a longer follow-up that asks an aspect of the orderer before stands
    # alone when an FAQ entry answers it by itself with this lead over the runner-up
    standalone_lead: float = 0.1


# The cue families whose words say what a text is about; a phrasing that says another one of
# a family than the question does loses (Tuning.subject_penalty).
_CONTRASTED = ("subject", "kind", "party")


class _Ranked(NamedTuple):
    entry: int
    score: float
    phrasing: str


class _Record(NamedTuple):
    """What one orderer's record says of the aspect asked (see Assistant._record)."""

    text: str
    source: str
    as_of: str  # ISO
    matched: str
    dates: tuple[DateCheck, ...] = ()


class _Asked(NamedTuple):
    """What a question asks of an orderer: the aspect, ``explicit`` when a cue said it."""

    aspect: Aspect
    explicit: bool


class _Call:
    """One question on its way through the routes: the orderers it names, found at once; the
    rest worked out once, when a route first asks for it."""

    def __init__(
        self,
        assistant: Assistant,
        question: str,
        query: Analysis,
        top: int,
        dates: DatesSaid,
        among: frozenset[str] | None = None,
    ) -> None:
        self.a, self.question, self.query = assistant, question, query
        self.top, self.dates, self.among = top, dates, among
        cues, finder = assistant.cues, assistant.finder
        self.folded = folded = fold(query.cleaned)
        self.domain = entities.has_domain_cue(cues, query.surface, query.reading)
        # The orderers named; not a surety company's name (北海道 in 北海道建設業信用保証) or
        # where one is (北海道の保証会社).
        breaks = normalize.word_breaks(query.original)
        found = assistant._kept(
            ("named", f"{folded}\n{sorted(breaks)}"),
            lambda: finder.find(folded, query.tokens, breaks=breaks),
        )
        for _name, other in cues.family("other_company"):
            if company := other.search(folded):
                found = [m for m in found if m.end <= company.start() or m.start >= company.end()]
        found = [m for m in found if not entities.says_where_a_company_is(cues, folded, m.end)]
        self.named_any = [m for m in found if m.orderers or m.unlisted]
        self.named = _named(cues, self.named_any, folded)  # the orderer the question is about

    @cached_property
    def background(self) -> bool:
        """The orderer named only says where the contractor is, said as a bare place (岡山の
        業者さんで…; not 鳥栖市の会社) or as where its works are (山都町の現場の業者さん), or is
        an example (ＮＥＸＣＯとか): a general entry, if sure, answers first."""
        named, cues, folded = self.named, self.a.cues, self.folded
        if named is None:
            return False
        if cues["name.example"].match(folded, named.end):
            return True
        site = cues["name.site_said"].match(folded, named.end)  # 山都町の現場の業者さん
        if site and cues["name.company_there"].match(folded, site.end()):
            return True
        bare = named.said[-1:] not in {kanji for kanji, _cue in cues.family("name.ending")}
        return bare and cues["name.company_there"].match(folded, named.end) is not None

    @cached_property
    def elsewhere(self) -> bool:
        """No word of the domain, and mostly nouns the knowledge never uses or a word of
        everyday life (ランチ, 天気): a question about something else."""
        if self.domain:
            return False
        a = self.a
        everyday = a.cues["words.everyday"].search(self.folded) is not None
        return everyday or a.unknown_share(self.masked) >= a.tuning.elsewhere_share

    @cached_property
    def focus(self) -> frozenset[str]:
        """Keys of the orderers named; 佐賀県内 names every body in 佐賀県 as well."""
        said = [o for m in self.named_any for o in m.orderers]
        areas = [o.name for m in self.named_any if m.area for o in m.orderers]
        inside = [b for area in areas for b in self.a._in_prefecture.get(area, ())]
        return frozenset(map(_key, said + inside))

    @cached_property
    def masked(self) -> Analysis:
        """The question without the orderers' names: the name picks the orderer, the other
        words pick the entry and the aspect (はまだし is not だし, 提出)."""
        if not self.named_any:
            return self.query
        query, named = self.query, self.named_any
        return self.a._kept(
            ("masked", f"{self.question}\n{query.cleaned}"),
            lambda: self.a.vocabulary.analyse(
                self.question, *_without_tokens(query.cleaned, list(query.tokens), named)
            ),
        )

    @cached_property
    def asked(self) -> _Asked:
        masked = self.masked
        cues, asks = self.a.cues, self.query.asks
        dated = bool(self.dates.cases)
        return _Asked(
            *entities.detect_aspect(cues, masked.surface, masked.reading, asks, dated=dated)
        )

    @cached_property
    def ranked(self) -> list[_Ranked]:
        ranked = self.a.rank(self.masked, self.focus, bool(self.named_any), bonus=self.domain)
        favoured = f"favour.{self.asked.aspect}"  # 認証キーはどうやって出す: entries on 提出
        if self.asked.explicit and favoured in self.a.cues:
            words, n, gain = self.a.cues[favoured].words, len(self.a.entries), self.a.tuning
            ranked = sorted(
                (
                    r._replace(score=r.score * (1 + gain.favour_bonus))
                    if r.entry < n and words.intersection(self.a.entries[r.entry].tags)
                    else r
                    for r in ranked
                ),
                key=lambda r: (-r.score, r.entry),
            )
        if self.among is None:
            return ranked
        entries = self.a.entries
        return [r for r in ranked if r.entry < len(entries) and entries[r.entry].id in self.among]

    @cached_property
    def evidence(self) -> tuple[float, ...]:
        """What the confidence is computed from, each scaled to about 0..1: the best score, its
        lead over the runner-up, the question's words the knowledge uses (up to 6), the share
        of its nouns it never uses, a domain word, and its number of content words (up to 10)."""
        a, query, ranked = self.a, self.masked, self.ranked
        best = ranked[0].score if ranked else 0.0
        runner = ranked[1].score if len(ranked) > 1 else 0.0
        return (
            best * 10,
            (best - runner) * 10,
            min(a.vocabulary.known_terms(query.terms), 6) / 3,
            a.unknown_share(query),
            float(entities.has_domain_cue(a.cues, query.surface, query.reading)),
            min(len(query.terms), 10) / 5,
        )

    @cached_property
    def alternatives(self) -> tuple[Alternative, ...]:
        """The best entries that answer something (not the out-of-scope topics)."""
        entries = self.a.entries
        answers = [r for r in self.ranked if r.entry < len(entries)][: self.top]
        return tuple(Alternative(r.phrasing, r.score, entries[r.entry].id) for r in answers)

    @cached_property
    def details(self) -> tuple[str, ...]:
        """The details the question asks (``detail.*.asked``), read once for every answer
        weighed."""
        return entities.details_asked(self.a.cues, fold(self.masked.cleaned))  # not in names

    @cached_property
    def contract_only(self) -> bool:
        """Of an orderer's contract system (電子契約) only, not of guarantees."""
        return entities.asks_contract_only(self.a.cues, self.query.surface, self.query.reading)

    @cached_property
    def about_records(self) -> bool:
        """About orderers' records: a word about guarantees, or nothing but the names and what
        a record says (大分県の業務委託は対象？)."""
        query, cues = self.query, self.a.cues
        if cues["our_service"].search(self.folded) and not (
            cues["electronic"].in_any(query.surface, query.reading)
        ):
            return False  # 北海道の現場の保証も御社でお願いできる？: our business, not a record
        if self.contract_only:
            return False  # 福岡市の電子契約はいつから: its contract system, not in its record
        if self.elsewhere:
            return False  # 奄美の黒糖焼酎でおすすめは？: mostly words the knowledge never uses
        if self.domain and entities.has_guarantee_cue(cues, query.surface, query.reading):
            return True
        if not self.named_any:
            return False
        listed = any(map(_listed, self.named_any))
        if listed and cues["record_rule"].in_any(query.surface, query.reading):
            return True  # 福津市は入札公告の日で判断するって: its record's rule
        if self.asked.explicit and self.asked.aspect != "start" and listed:
            # 委託もいける？…姫路市と契約する: an aspect asked of a listed body (not the start:
            # から alone is too weak a cue of it)
            return True
        rest = _without_tokens(self.folded, (), self.named_any)[0]
        return entities.asks_only_record(cues, rest)

    def asked_back(self, text: str, names: Sequence[str], label: str, **which: Any) -> Answer:
        """Not answered: asked back which one is meant, each offered for what was asked
        (「大津市（滋賀県）の運用開始日」, 「熊本支店の電話番号」)."""
        offered = tuple(Alternative(f"{n}の{label}", 0.5) for n in names)
        return Answer.none(
            text, confidence=0.5, alternatives=offered, candidates=tuple(names), **which
        )


@dataclass
class BuildStats:
    """How long the build took: the Sudachi dictionary load (once per process, not part of
    the build), the build (or, when ``cached``, loading the last build), and its stages in
    ``extra`` (seconds)."""

    sudachi_seconds: float = 0.0
    build_seconds: float = 0.0
    phrasings: int = 0
    entries: int = 0
    extra: dict[str, float] = field(default_factory=dict)
    cached: bool = False


_FIELD_LABELS = {"phone": "電話番号", "fax": "FAX番号", "address": "住所"}


class Assistant:
    """Built once from the knowledge files; :meth:`ask` answers one question."""

    @index_cache.paused_gc()  # a build makes many small objects, none of them garbage
    def __init__(
        self,
        entries: Sequence[FaqEntry],
        *,
        out_of_scope: Sequence[OutOfScope] = (),
        orderers: OrdererFile | None = None,
        branches: BranchFile | None = None,
        synonyms: Sequence[SynonymGroup] = (),
        tuning: Tuning | None = None,
        cues: Cues | None = None,
    ) -> None:
        self.tuning = t = tuning or Tuning()
        self.cues = cues if cues is not None else load_cues()
        self.stats = BuildStats(sudachi_seconds=normalize.load_sudachi())
        started = time.perf_counter()
        self.entries, self.out_of_scope = tuple(entries), tuple(out_of_scope)
        self.orderer_file, self.branch_file = orderers, branches
        # Indexed: the entries, then the out-of-scope topics (numbers from len(self.entries) up),
        # each with its questions, tags and answer text (a topic's text is its name).
        questions = [e.questions for e in self.entries] + [o.questions for o in self.out_of_scope]
        tags = [e.tags for e in self.entries] + [() for _o in self.out_of_scope]
        texts = [e.answer for e in self.entries] + [o.topic for o in self.out_of_scope]
        laps = [time.perf_counter()]

        def lap(stage: str) -> None:  # the time a stage of the build took
            laps.append(time.perf_counter())
            self.stats.extra[stage] = laps[-1] - laps[-2]

        listed, groups = (orderers.orderers, orderers.groups) if orderers else ((), ())
        self.finder = entities.OrdererFinder(listed, groups, cues=self.cues)
        self.branch_finder = entities.BranchFinder(branches.branches) if branches else None
        lap("finders")
        self._phrasings = [q for said in questions for q in said]
        entry_of = np.array([e for e, said in enumerate(questions) for _q in said], dtype=np.int64)
        cleaned = [clean(q) for q in self._phrasings]
        tokens = normalize.tokenize_all(cleaned)
        lap("sudachi tokenize")
        # Orderer names are masked on both sides: the name picks the orderer (focus), the
        # other words pick the entry.
        masked = [self._masked(c, toks) for c, toks in zip(cleaned, tokens, strict=True)]
        self.vocabulary = normalize.Vocabulary(
            [(g.term, g.variants) for g in synonyms],
            [toks for _c, toks in masked],
            asks=partial(entities.asks_of, self.cues),
            courtesy=normalize.Courtesy.of(
                self.cues["courtesy.fillers"].pattern.pattern,
                self.cues["courtesy.endings"].pattern.pattern,
            ),
            stop=self.cues["words.no_topic"].words,
            not_words=self.cues["words.not_kana_words"].words,
            particles=self.cues["words.particles"].words,
        )
        analyse = self.vocabulary.analyse
        phrasing_docs = [analyse(q, *cut) for q, cut in zip(self._phrasings, masked, strict=True)]
        tag_docs = [self.vocabulary.analyse_words(words) for words in tags]
        self._phrasing_about = [self._about(d) for d in phrasing_docs]
        if any(w > 0 for w in t.answer[1:]):  # the answers' readings or words: Sudachi too
            answer_docs = [analyse(text, *analyse_tokens(text)) for text in texts]
        else:
            answer_docs = list(map(self.vocabulary.analyse_surface, texts))
        # Everything the knowledge says, to tell a question's unknown nouns (家賃, 観光地): the
        # entries' phrasings (before the out-of-scope topics'), tags and answers.
        answered = len(self.entries)
        known = cleaned[: sum(map(len, questions[:answered]))]
        known += [clean(tag) for tag in chain(*tags)] + [d.cleaned for d in answer_docs[:answered]]
        self._known_text = "\n".join(map(fold, known))
        lap("normalise")
        self._terms = Terms()
        phrasing_found = {name: occurrences(name, phrasing_docs, self._terms) for name in CHANNELS}
        entry_found: dict[str, Occurrences] = {}  # an entry as a whole: its tags and phrasings
        for name, (keys, docs) in phrasing_found.items():
            tag_keys, tag_of = occurrences(name, tag_docs, self._terms)
            entry_found[name] = np.r_[tag_keys, keys], np.r_[tag_of, entry_of[docs]]
        answer_found = {name: occurrences(name, answer_docs, self._terms) for name in CHANNELS}
        lap("features")
        size = len(questions)
        self._phrasing_field = Field(
            list(zip(CHANNELS, t.phrasing, strict=True)), phrasing_found, len(entry_of)
        )
        self._entry_field = Field(list(zip(CHANNELS, t.entry, strict=True)), entry_found, size)
        self._answer_field = Field(list(zip(CHANNELS, t.answer, strict=True)), answer_found, size)
        # The phrasings are in entry order (every entry has some): where each entry's run of
        # them starts, and its size.
        self._entry_of = entry_of
        _, self._runs, self._run_sizes = np.unique(entry_of, return_index=True, return_counts=True)
        lap("indexes")
        self.finder.known_words = frozenset(x.surface for _c, toks in masked for x in toks)
        adopted = [o for o in listed if o.adopted]
        by_name = {knowledge.normalize_name(o.name): o for o in adopted}
        self._entry_orderers = [_orderers_of(said, by_name) for said in tags]
        # Entries about an orderer's e-contract system (tagged 電子契約, not 電子保証).
        tagged = [{fold(clean(tag)) for tag in said} for said in tags]
        econtract, guarantee = self.cues["tags.e_contract"].words, self.cues["tags.guarantee"].words
        self._econtract = [bool(said & econtract) and not said & guarantee for said in tagged]
        # ... and the entries that speak of contract systems at all (how-to-submit: upload
        # the PDF to the orderer's 電子契約システム)
        systems = self.cues["e_contract"]
        self._of_econtract = [
            e or bool(systems.search(fold(clean(entry.answer))))
            for e, entry in zip(self._econtract[: len(self.entries)], self.entries, strict=True)
        ]
        # The entry that lists a prefecture's bodies (tagged with it and 導入発注者), by its key.
        listing = self.cues["tags.orderer_list"].words
        self._listings = {
            key: e
            for e, (said, keys) in enumerate(zip(tagged, self._entry_orderers, strict=True))
            if said & listing
            for key in keys
        }
        self._named: dict[str, list[Orderer]] = {}  # the register's bodies by name
        for o in listed:
            self._named.setdefault(o.name, []).append(o)
        prefectures = dict.fromkeys(o.prefecture for o in adopted if o.prefecture)
        self._in_prefecture = {p: [o for o in adopted if o.prefecture == p] for p in prefectures}
        self.stats.build_seconds = time.perf_counter() - started
        self.stats.phrasings, self.stats.entries = len(entry_of), len(self.entries)

    @classmethod
    def load(cls, tuning: Tuning | None = None, *, cache: bool = True) -> Assistant:
        """The assistant over the shipped knowledge files: the one built last time when
        nothing it depends on has changed (see :mod:`faq.cache`), else a new build."""
        tuning = tuning or Tuning()
        started = time.perf_counter()
        files = (
            knowledge.default_faq_path(),
            knowledge.default_branches_path(),
            knowledge.default_synonyms_path(),
            default_cues_path(),
            *shipped_paths(),  # the register's: orderers, municipalities, sources, pages
        )
        where = index_cache.cache_path(files, repr(tuning)) if cache else None
        found = index_cache.load(where) if where is not None else None
        if isinstance(found, Assistant):
            elapsed = time.perf_counter() - started
            found.stats = replace(found.stats, build_seconds=elapsed, extra={}, cached=True)
            found.stats.sudachi_seconds = normalize.load_sudachi()
            return found
        faq = knowledge.load_faq(files[0])
        built = cls(
            faq.entries,
            out_of_scope=faq.out_of_scope,
            orderers=register_file(),
            branches=knowledge.load_branches(files[1]),
            synonyms=knowledge.load_synonyms(files[2]).groups,
            tuning=tuning,
        )
        if where is not None:
            index_cache.save(where, built)
        return built

    def _masked(self, cleaned: str, tokens: list[Token]) -> tuple[str, list[Token]]:
        """The text and tokens without the orderer names in it."""
        found = self.finder.find(fold(cleaned), tokens, thorough=False)
        mentions = [m for m in found if m.orderers or m.unlisted]
        return _without_tokens(cleaned, tokens, mentions) if mentions else (cleaned, tokens)

    # ------------------------------------------------------------------ ranking

    def unknown_share(self, query: Analysis) -> float:
        """Share of the question's kanji, kana and Latin nouns the knowledge never uses (each
        noun's search of the whole text kept: a question is weighed several times)."""
        judged = self.cues["words.judged_unknown"]
        nouns = [t.surface for t in query.tokens if t.pos == "名詞" and judged.match(t.surface)]
        known = [self._kept(("known", n), partial(self._known_text.__contains__, n)) for n in nouns]
        return known.count(False) / len(nouns) if nouns else 0.0

    def _about(self, a: Analysis) -> tuple[frozenset[str], ...]:
        """What a text is about, by each family of :data:`_CONTRASTED` cues: its subject
        (電子保証, e-Net, D-Sure, …), the kind of guarantee, the party."""
        return tuple(
            frozenset(n for n, cue in self.cues.family(family) if cue.in_any(a.surface))
            for family in _CONTRASTED
        )

    def rank(
        self, query: Analysis, focus: frozenset[str], named: bool, bonus: bool
    ) -> list[_Ranked]:
        """The candidate entries, best first, scores in 0..1.

        Candidates: the phrasings that share the most rare features with the question, and
        the entries whose wording as a whole or whose answer shares the most with it (with all
        their phrasings). An entry's best candidate phrasing (plus a share of its second best)
        picks the entries that are then scored as wholes and on their answers.
        """
        t = self.tuning
        features = query_features(query, self._terms)
        hits, met = self._phrasing_field.hits(features, t.rare)
        # The candidates, in the order they are taken (their place: the first of equal scores
        # in an entry is its best): the most hits first, among equals the one met first.
        place = np.full(len(hits), len(hits), dtype=np.int64)
        top = np.lexsort((met, -hits))[: t.candidates]
        top = top[hits[top] > 0]
        place[top] = np.arange(len(top))
        taken = len(top)
        on_entry, entry_met = self._entry_field.hits(features, t.rare)
        on_answer, answer_met = self._answer_field.hits(features, t.rare)
        # Met on the wording first; those met on the answer alone after all of those.
        met = np.where(on_entry > 0, entry_met, entry_met + answer_met)
        whole = on_entry + on_answer
        seen = set(self._entry_of[top].tolist())
        for e in np.lexsort((met, -whole))[: t.entry_candidates].tolist():
            if whole[e] > 0 and e not in seen:
                start, size = self._runs[e], self._run_sizes[e]
                place[start : start + size] = np.arange(taken, taken + size)
                taken += size
        if not taken:
            return []
        phrasing = np.where(place < len(hits), self._phrasing_field.scores(features), -1.0)
        # Each entry's phrasings, best first (the first taken of equals), in its run.
        order = np.lexsort((place, -phrasing, self._entry_of))
        ranked_scores = phrasing[order]
        best = ranked_scores[self._runs]
        second = ranked_scores[np.minimum(self._runs + 1, len(order) - 1)]
        second = np.where(self._run_sizes > 1, second, 0.0).clip(0.0)
        live = np.flatnonzero(best >= 0)  # entries with a candidate phrasing
        scores = (best[live] + t.second_phrasing * second[live]).tolist()
        firsts = order[self._runs[live]].tolist()  # each entry's best phrasing
        phrased = sorted(zip(scores, live.tolist(), firsts, strict=True), reverse=True)[: t.entries]
        ent = self._entry_field.scores(features).tolist()
        ans = self._answer_field.scores(features).tolist()
        w_entry = t.w_entry if self._entry_field.kinds else 0.0
        w_answer = t.w_answer if self._answer_field.kinds else 0.0
        weight = t.w_phrasing * (1 + t.second_phrasing) + w_entry + w_answer
        guarantee_only = entities.asks_guarantee_only(self.cues, query.surface, query.reading)
        contract_only = entities.asks_contract_only(self.cues, query.surface, query.reading)
        unknown = 1.0 - t.unknown_penalty * self.unknown_share(query)
        asked = self._about(query)
        ranked = []
        for phrasing_score, e, i in phrased:
            score = t.w_phrasing * phrasing_score + w_entry * ent[e]
            if e < len(self.entries):
                score = (score + w_answer * ans[e]) / weight
            else:  # an out-of-scope topic has no answer to match, only its name
                score = score / (weight - w_answer) * t.out_of_scope_weight
            about = self._entry_orderers[e]
            if about and not named:
                score *= t.unnamed_penalty
            elif about and not about & focus:  # another orderer, or one the records do not list
                score *= t.other_penalty
            elif about and bonus:  # the bonus only when the question is about guarantees
                score += t.focus_bonus
            if (guarantee_only and self._econtract[e]) or (
                contract_only and e < len(self.entries) and not self._econtract[e]
            ):
                score *= t.econtract_penalty
            # a phrasing on another subject, kind or party than the question's (both say one
            # and none is shared): 入札ボンドも…, asked of 中間前払金
            for mine, theirs in zip(asked, self._phrasing_about[i], strict=True):
                if mine and theirs and not mine & theirs:
                    score *= t.subject_penalty
            ranked.append(_Ranked(e, min(score, 1.0) * unknown, self._phrasings[i]))
        return sorted(ranked, key=lambda r: (-r.score, r.entry))

    def _kept(self, key: tuple[str, str], make: Callable[[], _T]) -> _T:
        """``make()``, kept by ``key`` with the last few hundred others: a conversation reads
        a turn (its analysis, the orderers it names) before it asks it."""
        kept: dict[tuple[str, str], Any] = self.__dict__.setdefault("_kept_results", {})
        if (found := kept.get(key)) is None:
            if len(kept) >= 512:
                kept.clear()
            found = kept[key] = make()
        return cast(_T, found)

    def analyse(self, question: str) -> Analysis:
        """``question`` in every form the ranking uses."""
        return self._kept(
            ("analysis", question),
            lambda: self.vocabulary.analyse(question, *analyse_tokens(question)),
        )

    def ask(
        self,
        question: str,
        top: int = 3,
        *,
        today: date | None = None,
        among: frozenset[str] | None = None,
        earlier: Sequence[DatedCase] = (),
    ) -> Answer:
        """Answer one question (the first answer of the routes, tried in :attr:`ROUTES` order);
        never raises for odd input (empty, symbols, very long). ``today`` (default: the
        clock's) dates a day said without its year (4月1日) and the words relative to it (去年,
        今年度, 来月). An impossible date (令和8年2月30日) is pointed out first, whatever the
        answer. ``among`` (entry ids) limits the FAQ entries it may answer with or offer: a
        conversation lets the topic before choose among what a turn itself suggests, and gives
        the dates said ``earlier`` in the call, checked when the question says none."""
        question = question[:500]
        dates = entities.read_dates(self.cues, question, today)
        if earlier and not dates.cases:
            dates = dates._replace(cases=list(earlier))
        query = self.analyse(dates.rest if dates.cut else question)
        answer = Answer.none(NOT_FOUND)
        if query.cleaned:
            call = _Call(self, question, query, max(0, top), dates, among)
            answers = (route(self, call) for route in self.ROUTES)  # the FAQ route always answers
            answer = next(a for a in answers if a is not None)
        said = "".join(f"【日付】{error}。日付を確かめてください。\n" for error in dates.errors)
        return answer.prefixed(said, normalized=query.surface)

    # ------------------------------------------------------------------ routes

    def _route_branch(self, call: _Call) -> Answer | None:
        """A branch's phone, FAX or address (熊本支店の電話番号); which branch, when none is
        named (御社の住所); not another surety company's branch, nor the hours."""
        if self.branch_finder is None or self.branch_file is None:
            return None
        folded, tokens, cues = call.folded, call.query.tokens, self.cues
        for word, reading in cues["branch.sounds_like"].reading_of.items():  # 鹿児島視点, 支展
            if word not in folded:
                folded = entities.said_as(tokens, word, reading) or folded
        if "支店" not in folded:  # 宮崎市店
            folded = cues["branch.misspelt"].sub("支店", folded)
        # 高松にある御社の事務所: one of our offices, by the city it is in
        office = bool(cues["ours"].search(folded) and cues["branch.office"].search(folded))
        hit = self.branch_finder.find(folded, office=office)
        if hit is None:  # 高地支店: a branch's name misspelt with the same reading
            hit = self.branch_finder.find_by_sound(tokens)
        what = entities.detect_branch_field(cues, folded)
        company = next((c for c, cue in cues.family("other_company") if cue.search(folded)), None)
        if company and what is not None and cues["branch.word"].search(folded):
            text = f"{company}は当社とは別の保証事業会社で、その支店の連絡先は資料にありません。"
            return Answer.none(text)
        # The hours, when no branch's value is asked (何時まで電話つながる: not a number).
        value = what is not None and hit is not None and cues["branch.value"].search(folded)
        if entities.asks_branch_hours(cues, folded) and not value:
            text = "支店の営業時間・受付時間は資料に掲載がありません。該当する回答はありません。"
            return Answer.none(text)
        if cues["branch.word"].search(folded) and cues["branch.amenities"].search(folded):
            text = "支店の電話・FAX・住所のほか（駐車場、交通、メールアドレス、担当者の名前）は"
            text += "資料にありません。該当する回答はありません。"
            return Answer.none(text)
        if what is None:
            return None
        if hit is None:
            what = entities.asks_unnamed_branch(cues, folded)
            if what is None:
                return None
            label, names = _FIELD_LABELS[what], [b.name for b in self.branch_file.branches]
            text = render.render_branch_choice(names, label)
            return call.asked_back(text, names, label, kind="branch", field=what)
        bf, b = self.branch_file, hit.branch
        return Answer(
            answered=True,
            answer=render.render_branch(b, what, bf.source, bf.as_of),
            confidence=0.95,
            source=knowledge.cite(bf.source),
            as_of=bf.as_of.isoformat(),
            matched=f"{b.name}／{_FIELD_LABELS[what]}",
            kind="branch",
            branch=b.name,
            field=what,
        )

    def _route_region(self, call: _Call) -> Answer | None:
        """The bodies of a prefecture, when a start question names only the prefecture as an
        area (熊本県内で導入しているところ, 山口県の市町村はいつから): an entry about them when one
        fits, else the list of those the records name, earliest start first."""
        mentions, lst = call.named_any, self.orderer_file
        if lst is None or len(mentions) != 1 or len(mentions[0].orderers) != 1:
            return None
        m, place = mentions[0], mentions[0].orderers[0]
        if place.category.value != "都道府県" or not call.about_records or call.background:
            return None
        area = m.area or entities.asks_for_region(self.cues, call.folded[m.end :])
        if not area or call.asked.aspect != "start":
            return None
        region = place.prefecture or place.name
        bodies = self._in_prefecture.get(region, [])
        if place not in bodies:  # a prefecture whose record names no prefecture
            bodies = [place, *bodies]
        if not any(o.as_of for o in bodies):  # no body there in the lists: its record says so
            return self._records_answer(call, [m])
        entry = self._entry_about(call, bodies) or self._region_entry(call, place)
        answer = entry or Answer(
            answered=True,
            answer=render.render_region(region, bodies, lst.list_note),
            confidence=0.9,
            source="、".join(dict.fromkeys(o.citation for o in bodies)),
            as_of=min(o.as_of for o in bodies if o.as_of).isoformat(),
            matched=f"{region}内の発注者一覧",
            alternatives=call.alternatives,
            kind="orderer",
            orderer=place.name,
            aspect="region",  # not a record's aspect: the list of the bodies in a prefecture
            listed=True,
            orderers=tuple(o.name for o in bodies),
        )
        # a detail the list does not give (これから導入を予定している町村): not this route's
        return None if self._lacks_detail(call, answer.answer) else answer

    def _region_entry(self, call: _Call, place: Orderer) -> Answer | None:
        """The entry that lists the bodies of the prefecture ``place`` (its tags: the
        prefecture and a ``tags.orderer_list`` word), if there is one."""
        e = self._listings.get(_key(place))
        if e is None:
            return None
        said = next((r for r in call.ranked if r.entry == e), None)
        return self._entry_answer(call, said or _Ranked(e, 0.0, self.entries[e].questions[0]))

    def bodies_named(self, name: str | None) -> Sequence[Orderer]:
        """The register's bodies of this name (小国町: 熊本県's and 山形県's)."""
        return self._named.get(name or "", ())

    def _route_records(self, call: _Call) -> Answer | None:
        """The record of the orderer named (or of each one named: 鳥栖市と唐津市), its
        「一覧に掲載なし」, which one is meant for a shared name (大津), or the closest real ones
        for a name that is no body (鳥巣市); an FAQ entry about that orderer where it fits
        better."""
        named = call.named
        if named is None or self.orderer_file is None or not call.about_records:
            return None
        if len(named.orderers) == 1 and _old_contract(call, named.orderers[0]):
            call.asked = _Asked("pre_start", True)
        if call.asked.aspect == "coverage" and all(map(_silent_on_kinds, call.named_any)):
            # 岡山県の測量業務、電子でいける？ of a record that states no kinds of contract: its
            # start, with a line that the kinds are not stated
            call.asked = _Asked("start", True)
        definition = call.asked.aspect == "start" and self.cues["definition"].search(call.folded)
        if definition or call.background or self.cues["not_in_records"].search(call.folded):
            # 屋久島で…電子保証ってどんなもの？, ネクスコ西日本の入札で契約保証予約を: what no
            # record holds, asked by someone who names where they work
            general, best = self._route_faq(call), call.ranked[0] if call.ranked else None
            about = self._entry_orderers[best.entry] if best else None
            if general.answered and not about and not call.dates.cases:
                return general
        one = named.typo or (_listed(named) and len(named.orderers) == 1 and not named.namesakes)
        if call.background and not one:
            return None  # 名古屋の設備屋さんで, 山口の業者さんで: where the company is, no one body
        answer = self._records_or_entry(call, named)
        # a detail asked that the answer (an entry about the orderer, or its record) does not
        # give: not this route's to answer (広島県の請求書の様式はどこでダウンロードできる,
        # 延岡市の担当者の名前, 大津市の業務委託も対象になる予定はある)
        lacks = answer.answered and self._lacks_detail(call, answer.answer)
        return None if lacks else answer

    def _records_or_entry(self, call: _Call, named: Mention) -> Answer:
        """What :meth:`_route_records` answers for ``named`` (see there)."""
        several = _several(call.named_any, named)
        if several or not (named.typo or _listed(named)):  # each one's record, or 掲載なし
            return self._records_answer(call, several or [named])
        if not named.typo and len(named.orderers) == 1 and not named.namesakes:
            return self._entry_for_orderer(call, named)
        aspect = call.asked.aspect
        label, names = ASPECTS[aspect], [_display(o) for o in named.orderers]
        if named.typo:
            text = (
                f"「{named.said}」という発注者は登録簿にありません。"
                f"{'・'.join(names)}のことでしたら、その名前でもう一度お尋ねください。"
            )
        else:  # a shared name: 府中市（広島県、一覧に掲載なし）
            shown = [_display(o, "" if o.adopted else "一覧に掲載なし") for o in named.orderers]
            text = render.render_ambiguous(named.said, shown, label)
        return call.asked_back(
            text, names, label, kind="orderer", matched=named.said, aspect=aspect
        )

    def _route_contact(self, call: _Call) -> Answer | None:
        """An orderer's own phone or address (唐津市役所の住所): an entry about that orderer
        may hold it (島根県の問い合わせ先); otherwise the records have none, rather than a
        form's 住所 field."""
        named = call.named
        if named is None or not entities.asks_contact(self.cues, call.folded):
            return None
        answer, keys = self._route_faq(call), {_key(o) for o in named.orderers}
        if answer.answered and self._entry_orderers[call.ranked[0].entry] & keys:
            return None
        name = named.unlisted or "・".join(o.name for o in named.orderers)
        text = f"{name}の電話番号・住所などの連絡先は資料にありません。{NOT_FOUND}"
        return Answer.none(text, matched=answer.matched, alternatives=call.alternatives)

    def _route_faq(self, call: _Call) -> Answer:
        """The best FAQ entry when sure enough, an out-of-scope topic declined, or
        「該当する回答が見つかりません」 with the candidates."""
        t, ranked, evidence = self.tuning, call.ranked, call.evidence
        confidence = self.confidence(evidence) if ranked else 0.0
        if ranked:
            best, entries = ranked[0], self.entries
            # the runner-up: the next entry that could answer (not one lacking the detail asked)
            runners = (
                r.score
                for r in ranked[1:]
                if r.entry >= len(entries) or not self._lacks_detail(call, entries[r.entry].answer)
            )
            runner = next(runners, 0.0)
            sure = confidence >= t.min_confidence and best.score >= t.threshold
            # no word of the domain, and mostly nouns the knowledge never uses: something else
            elsewhere = call.elsewhere
            declined = best.entry >= len(self.entries)  # an out-of-scope topic
            # an entry that does not give the detail asked, or is about other orderers than
            # the one named (芦屋町's scope, asked of 姫路市)
            mine = self._entry_orderers[best.entry]
            # or a general entry, for a question of an orderer's contract system only
            unfit = not declined and (
                self._lacks_detail(call, self.entries[best.entry].answer)
                or bool(mine and call.focus and not mine & call.focus)
                # or about one orderer, for a question naming none and without a word of the
                # domain (地域維持の除雪は何センチで出動？ is no question on 広島県's scope)
                or bool(
                    mine
                    and not call.named_any
                    and not call.domain
                    and not self._of_econtract[best.entry]
                )
                or (call.contract_only and not self._of_econtract[best.entry])
                or _usage_elsewhere(call, self.entries[best.entry].answer)
            )
            if sure and (
                declined or (not elsewhere and not unfit and best.score - runner >= t.margin)
            ):
                answer = replace(self._entry_answer(call, best), evidence=evidence)
                # one orderer's rule, for a question that named none
                about = [key.split("/", 1)[1] for key in self._entry_orderers[best.entry]]
                if len(about) == 1 and about[0] not in self.entries[best.entry].answer:
                    answer = answer.prefixed(f"（{about[0]}の場合）")
                return answer
        return Answer.none(
            NOT_FOUND,
            matched=ranked[0].phrasing if ranked else "",
            alternatives=call.alternatives,
            confidence=confidence,
            evidence=evidence,
        )

    def _lacks_detail(self, call: _Call, answer: str) -> bool:
        """The question asks a detail (``detail.*.asked``: 何桁, スマホ, 宛名) that ``answer``
        does not give (no ``detail.*.answered`` in it): the entry is about the topic, not about
        what is asked."""
        return bool(entities.details_missing(self.cues, call.details, answer))

    ROUTES = (_route_branch, _route_region, _route_records, _route_contact, _route_faq)

    # ------------------------------------------------------------------ answers

    def confidence(self, evidence: Sequence[float]) -> float:
        """The probability that the best entry is the right answer: a logistic model over
        :attr:`_Call.evidence`, fitted on the dev split (``bench/faq.py --fit``)."""
        bias, *weights = self.tuning.calibration
        z = bias + sum(w * v for w, v in zip(weights, evidence, strict=True))
        return min(1.0 / (1.0 + math.exp(-z)), 0.99)  # never shown as 1.00

    def _entry_answer(self, call: _Call, best: _Ranked) -> Answer:
        """An FAQ entry's answer with its source and the FAQ confidence, the other candidates
        after it; for an out-of-scope topic, 「該当なし」 naming the topic (nothing asserted,
        the nearest real entries as the candidates)."""
        if best.entry >= len(self.entries):
            topic = self.out_of_scope[best.entry - len(self.entries)]
            text = f"{NOT_FOUND}（{topic.topic}のことでしたら、このFAQの対象外です）"
            return Answer.none(
                text, matched=best.phrasing, alternatives=call.alternatives, out_of_scope=topic.id
            )
        e = self.entries[best.entry]
        return Answer(
            answered=True,
            answer=f"{e.answer}\n{render.source_line(e.source, e.as_of)}",
            confidence=self.confidence(call.evidence),
            source=knowledge.cite(e.source),
            as_of=e.as_of.isoformat(),
            matched=best.phrasing,
            alternatives=call.alternatives[1:],
            kind="faq",
            entry_id=e.id,
            evidence=call.evidence,
        )

    def _entry_for_orderer(self, call: _Call, named: Mention) -> Answer:
        """An FAQ entry about the orderer named (or a general one, when no aspect was said)
        that fits well enough, with the dates said checked; else the orderer's record."""
        orderer = named.orderers[0]
        specific = self._entry_about(call, [orderer])
        # 島根県はいつから？ asks its start (いつから, or a date said), not its entry on
        # guarantors: an entry whose tags have no ``entry.start`` word does not answer it
        when = call.dates.cases or self.cues["when_started"].search(call.folded)
        aspect = call.asked.aspect
        if specific is not None and when and aspect in ("start", "pre_start"):
            tags = set(self.entries[call.ranked[0].entry].tags)
            specific = specific if tags & self.cues[f"entry.{aspect}"].words else None
        if specific is not None:  # with the dates said checked against the orderer's start
            text, checks = _dated(call, orderer, specific.answer)
            return replace(specific, answer=text, dates=checks)
        best = call.ranked[0] if call.ranked else None
        general = best and not self._entry_orderers[best.entry] and not call.asked.explicit
        if best and general and best.score >= self.tuning.general_threshold:  # no aspect said
            return self._entry_answer(call, best)  # or declined: 鳥栖市の入札参加資格
        aspect = call.asked.aspect
        if best and not call.dates.cases and _silent(orderer, aspect):
            # the record says nothing of what is asked (国交省の利用率, 熊本市の提出先): a
            # general entry that answers it with confidence, saying the record is silent
            answer = self._route_faq(call)
            # a figure (利用率) only from an entry that gives the orderer's own (国交省の約95%)
            names = (orderer.name, *orderer.aliases)
            theirs = aspect != "usage" or any(n in answer.answer for n in names)
            about_none = not self._entry_orderers[best.entry]
            if answer.answered and answer.entry_id and about_none and theirs:
                said = f"（{orderer.name}の{ASPECTS[aspect]}は資料に記載がありません。"
                return answer.prefixed(
                    f"{said}一般的なご案内です）\n", orderer=orderer.name, aspect=aspect
                )
        return self._records_answer(call, [named])

    def _entry_about(self, call: _Call, orderers: Sequence[Orderer]) -> Answer | None:
        """The best FAQ entry, when it is about one of ``orderers`` and fits well enough."""
        if not call.ranked:
            return None
        best, keys = call.ranked[0], {_key(o) for o in orderers}
        if best.score >= self.tuning.specific_threshold and self._entry_orderers[best.entry] & keys:
            return self._entry_answer(call, best)
        return None

    def _record(self, call: _Call, mention: Mention) -> _Record:
        """What the orderer's record (or the list's absence of one) says of the aspect asked,
        after the check of any dates said."""
        lst = self.orderer_file
        assert lst is not None
        if not _listed(mention):
            # A body of the register is said with its prefecture (阿蘇市（熊本県）).
            said = mention.unlisted or "・".join(map(_display, mention.orderers))
            source = knowledge.cite(lst.list_source)
            text = eligibility.not_listed_text(said, lst.list_as_of, lst.list_note)
            text += "。\n" + render.source_line(source, lst.list_as_of)
            return _Record(text, source, lst.list_as_of.isoformat(), f"{said}（一覧に掲載なし）")
        orderer, aspect = mention.orderers[0], call.asked.aspect
        masked = call.masked
        kind_said = self.cues["aspect.coverage"].in_any(masked.surface, masked.reading)
        said = render.render_orderer(self.cues, orderer, aspect, kind_said=kind_said)
        text, checks = _dated(call, orderer, said)
        matched = f"{_display(orderer)}／{ASPECTS[aspect]}"
        assert orderer.as_of is not None
        return _Record(text, orderer.citation, orderer.as_of.isoformat(), matched, checks)

    def _records_answer(self, call: _Call, mentions: Sequence[Mention]) -> Answer:
        """The records of the orderers named (one each, in the order said; an unlisted one's
        「資料に掲載なし」): confidence 0.9 when the aspect was said and every listed name
        exactly, else 0.8."""
        records = [self._record(call, m) for m in mentions]
        listed = [m for m in mentions if _listed(m)]
        exact = call.asked.explicit and bool(listed) and all(m.exact for m in listed)
        names = tuple(m.unlisted or m.orderers[0].name for m in mentions)
        # 鳥栖市の利用件数は？: a figure the record does not hold, and says so (not an answer;
        # of the other aspects it says what holds generally)
        unknown = call.asked.aspect == "usage" and len(listed) == len(mentions)
        unknown = unknown and all(_silent(m.orderers[0], "usage") for m in listed)
        return Answer(
            answered=not unknown,
            answer="\n\n".join(r.text for r in records),
            confidence=0.9 if exact else 0.8,
            source="、".join(dict.fromkeys(r.source for r in records)),
            as_of=min(r.as_of for r in records),
            matched="、".join(r.matched for r in records),
            alternatives=call.alternatives,
            kind="orderer",
            orderer=names[0],
            aspect=call.asked.aspect,
            listed=_listed(mentions[0]),
            orderers=names if len(names) > 1 else (),
            dates=tuple(chain.from_iterable(r.dates for r in records)),
        )

    def with_tuning(self, **changes: Any) -> Assistant:
        """The same indexes with other decision settings (thresholds, margin, focus, penalty,
        candidates), for evaluation. Feature weights are built into the indexes: changing
        ``phrasing``/``entry``/``answer`` needs a new Assistant."""
        clone = object.__new__(Assistant)
        clone.__dict__.update(self.__dict__)
        clone.tuning = replace(self.tuning, **changes)
        return clone


def _without_tokens(
    text: str, tokens: Sequence[Token], mentions: Sequence[Mention]
) -> tuple[str, list[Token]]:
    """``text`` and its tokens with the mentioned names cut out (offsets shifted)."""
    spans = [(m.start, m.end) for m in mentions]
    cut = {i for start, end in spans for i in range(start, end)}
    kept = [t for t in tokens if not any(t.begin < e and t.end > s for s, e in spans)]
    shifts = [sum(e - s for s, e in spans if s < t.begin) for t in kept]  # the names before
    shifted = [t.shifted(by) if by else t for t, by in zip(kept, shifts, strict=True)]
    return "".join(c for i, c in enumerate(text) if i not in cut), shifted


# What a date check concludes, by whether an old contract's change is asked (the date then
# says whether the contract is old; what its change may be is the record's to say) and by its
# verdict (none when the date alone does not decide: its text says what to confirm).
_VERDICTS: dict[tuple[bool, bool | None], str] = {
    (False, True): "日付の上では電子保証の対象です。",
    (False, False): "日付の上では電子保証の対象外です（書面の保証証書になります）。",
    (True, True): "運用開始後の契約です（運用開始前の契約の扱いには当たりません）。",
    (True, False): "運用開始前の契約です。",
}


def _dated(call: _Call, orderer: Orderer, text: str) -> tuple[str, tuple[DateCheck, ...]]:
    """``text`` after a line for each date said (【令和8年4月1日の案件】, the check against
    ``orderer``'s start, the verdict), and the checks; ``text`` alone when no date matters."""
    # Dates matter to the start, what is covered and an old contract's change (whether the
    # contract is old at all).
    aspect = call.asked.aspect
    if aspect not in ("start", "coverage", "documents", "pre_start"):
        return text, ()
    checks = tuple(_date_check(orderer, case) for case in call.dates.cases)
    old = aspect == "pre_start"
    lines = [
        f"【{c.said}の案件】{c.reason}。{_VERDICTS.get((old, c.eligible), '')}" for c in checks
    ]
    return "\n".join([*lines, text]), checks


def _old_contract(call: _Call, orderer: Orderer) -> bool:
    """The question says a contract made before ``orderer``'s start and asks one of the things
    its record keeps on paper for such a contract (島根県、R5.5契約の中間前払金): what is
    asked is the old contract's, not which certificates are covered."""
    if call.asked.aspect not in ("start", "documents") or not call.dates.cases:
        return False
    said = (call.folded, call.query.surface)  # 中間前払 is 中間前払金 after the synonyms
    if not any(fold(word) in text for word in orderer.before_start_paper for text in said):
        return False
    return all(_date_check(orderer, case).eligible is False for case in call.dates.cases)


def _date_check(orderer: Orderer, case: DatedCase) -> DateCheck:
    """One date said, checked against ``orderer``'s start."""
    day, said_as = case.day, case.said_as
    if case.month:
        check = eligibility.start_check_month(orderer, day, said_as)
        shown = format_wareki_month(day)
    elif case.next_time is not None:
        check = eligibility.start_check_yearless(orderer, (day, case.next_time), said_as)
        shown = f"{day.month}月{day.day}日"
    elif case.last is not None:
        check = eligibility.start_check_during(orderer, (day, case.last), case.label, said_as)
        shown = case.label
    else:
        check = eligibility.start_check(orderer, day, said_as)
        shown = format_wareki(day)
    next_time, last = (d.isoformat() if d else None for d in (case.next_time, case.last))
    return DateCheck(orderer.name, shown, day.isoformat(), next_time, last, case.month, said_as,
                     check.ok, check.text)  # fmt: skip


def _orderers_of(tags: Sequence[str], by_name: dict[str, Orderer]) -> frozenset[str]:
    """Keys of the orderers an entry is about (from its tags); a prefecture tagged along
    with one of its own bodies (芦屋町, 福岡県) stands for the body only."""
    tagged = [by_name[n] for n in map(knowledge.normalize_name, tags) if n in by_name]
    with_body = {o.prefecture for o in tagged if o.category.value != "都道府県"}
    return frozenset(
        _key(o) for o in tagged if o.category.value != "都道府県" or o.prefecture not in with_body
    )


def _listed(mention: Mention) -> bool:
    """Whether the body named is in the lists of adopted orderers (a shared name counts as
    listed when one of its bodies is: it is asked back, with the others marked; when none is,
    each is answered as not listed)."""
    return mention.unlisted is None and any(o.adopted for o in mention.orderers)


def _several(mentions: Sequence[Mention], named: Mention) -> list[Mention]:
    """The orderers of a question that names two or more one by one (鳥栖市と唐津市, 佐賀市や
    小城市): each is answered. Not when a prefecture only says where (福岡の芦屋町: ``named``
    is then the body alone) or a name is shared (大津: asked back)."""
    bodies = [m for m in mentions if not m.area]
    shared = any(len(m.orderers) > 1 or m.namesakes for m in bodies)
    if len(bodies) < 2 or named is not bodies[0] or shared:
        return []
    keys = [m.unlisted or _key(m.orderers[0]) for m in bodies]
    return bodies if len(set(keys)) == len(keys) else []


def _named(cues: Cues, mentions: Sequence[Mention], folded: str) -> Mention | None:
    """The orderer the question is about: the first one named, except that a prefecture said
    next to one of its own bodies only says where (福岡の芦屋町, 芦屋町（福岡）), as it does
    before a municipality the documents do not name (佐賀県の嬉野町); so does a bare place name
    before a body said with its ending (遠賀の芦屋町)."""
    named, municipal = [m for m in mentions if not m.area], cues["name.municipal"]
    # 福岡の芦屋町じゃなくて兵庫県の芦屋市: the one said not to be meant is left out
    meant = [m for m in named if not cues["name.negated"].match(folded, m.end)]
    named = meant or named
    endings = {kanji for kanji, _cue in cues.family("name.ending")}
    for place, body in pairwise(named):  # 遠賀の芦屋町: a bare place name says where
        bare = place.said[-1] not in endings and body.said[-1] in endings
        if bare and not place.exact and folded[place.end : body.start] == "の":
            return body
        # 徳之島で県の工事を請けています。鹿児島県には…: where the caller works, then whom
        # the question is about
        works_there = cues["name.where_said"].match(folded, place.end)
        if works_there and cues["name.asked_of"].match(folded, body.end):
            return body
        # つくばの業者さんで、筑波大学の工事を…: where the company is, then the orderer said
        # by its full name (not 東京で取った工事, another place)
        company = place.said[-1] not in endings and (
            cues["name.company_there"].match(folded, place.end)
            or cues["name.site_said"].match(folded, place.end)  # 松江の現場を持ってる業者さんで
        )
        local = any(o.category in LOCAL_CATEGORIES for o in body.orderers)
        full = body.said[-1] in endings or not local
        if company and full:
            return body
    for place in named:
        where = {o.prefecture for o in place.orderers if o.category.value == "都道府県"}
        for body in named if where else ():
            between = folded[place.end : body.start]
            if body.unlisted and body.unlisted[-1] in municipal and between in ("", "の"):
                return body
            inside = [o for o in body.orderers if o.prefecture in where and o not in place.orderers]
            if inside and cues["name.office_of"].match(folded, body.end) and between == "の":
                return place  # 長崎県の五島振興局: the prefecture's office named after a town
            site = body.said[-1] not in endings and cues["name.site_said"].match(folded, body.end)
            if inside and site and between == "の":
                return place  # 島根県の松江の現場で: where the works are, for the prefecture
            if body is not place and inside:
                return replace(body, orderers=tuple(inside))
    return named[0] if named else None


def _usage_elsewhere(call: _Call, answer: str) -> bool:
    """A usage figure asked of the places named (長崎県内の利用率) that ``answer`` does not
    give for them: a figure of elsewhere (the whole country's) is not theirs, and a list of
    their bodies without figures (熊本県内の市町村) is no figure."""
    if call.asked.aspect != "usage" or not call.named_any:
        return False
    names = [n for m in call.named_any for n in (m.unlisted, *(o.name for o in m.orderers)) if n]
    figures = call.a.cues["usage_figure"].search(answer)
    return not (figures and any(n in answer for n in names))


def _display(orderer: Orderer, note: str = "") -> str:
    """The orderer's name, with its prefecture (阿蘇市（熊本県）) and ``note`` in brackets."""
    where = orderer.prefecture if orderer.prefecture != orderer.name else None
    said = "、".join(x for x in (where, note) if x)
    return f"{orderer.name}（{said}）" if said else orderer.name


def _silent(orderer: Orderer, aspect: str) -> bool:
    """The record says nothing of ``aspect`` (its start it always says)."""
    held = {
        "usage": orderer.usage is not None,
        "pre_start": bool(orderer.before_start_paper),
        "submission": bool(orderer.submission),
        "coverage": orderer.coverage is not None,
        "documents": orderer.coverage is not None or bool(orderer.excluded_guarantors),
    }
    return not held.get(aspect, True)


def _silent_on_kinds(mention: Mention) -> bool:
    """A listed body named whose record states no kinds of contract (its coverage)."""
    return bool(mention.orderers) and all(_silent(o, "coverage") for o in mention.orderers)


def _key(orderer: Orderer) -> str:
    return f"{orderer.prefecture or ''}/{orderer.name}"
