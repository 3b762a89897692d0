"""The assistant in a conversation: a follow-up is answered as the whole question it stands for.

After 「鳥栖市はいつから電子保証？」, 「じゃあ提出先は？」 keeps the orderer and changes the
aspect, 「佐賀市は？」 keeps the aspect and changes the orderer; after 「熊本支店の電話番号」,
「FAXは？」 keeps the branch; after a question back (which 大津?), 「滋賀県の」 or 「町のほう」
picks one of the bodies offered. The turn is rewritten into the whole question
(「鳥栖市の提出先・提出方法は」), answered as usual, and the answer says how it was read
(「（鳥栖市の提出先・提出方法として回答）」).
A question that names its own orderer and aspect, or branch and field, starts afresh.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, NamedTuple

from faq import entities
from faq.cues import Cues
from faq.engine import _FIELD_LABELS, Answer, Assistant, _Call, _date_check, _without_tokens
from faq.entities import ASPECTS, DatedCase, DatesSaid, detect_branch_field, read_dates
from faq.normalize import clean, fold

_BRACKETED = re.compile(r"^(.+?)（(.+?)(?:、.*)?）$")  # 府中市（広島県、一覧に掲載なし）


@dataclass(frozen=True)
class Context:
    """What the last turn was about, carried into the next one."""

    question: str = ""  # the last question as answered (rewritten when it was a follow-up)
    orderer: str | None = None  # the orderer answered
    aspect: str | None = None
    branch: str | None = None
    field: str | None = None
    candidates: tuple[str, ...] = ()  # the bodies or branches offered when asked back
    entry: str | None = None  # the FAQ entry answered
    offered: tuple[str, ...] = ()  # bodies offered before and picked from (市は？ the other)
    dates: tuple[DatedCase, ...] = ()  # the contract or 公告 dates the call is about
    where: str | None = None  # the orderer's prefecture, when others share its name (小国町)

    def to_json(self) -> dict[str, Any]:
        said = {k: getattr(self, k) for k in ("orderer", "aspect", "branch", "field")}
        return said | {"dates": [case.day.isoformat() for case in self.dates]}


class _Reading(NamedTuple):
    """How a turn is read: the whole question, what it carried over, how it was read ("" when
    it stands alone), what the turn itself said (its orderer and aspect), and whether it is a
    follow-up only because it asks an aspect (then it may still stand alone)."""

    whole: str
    carried: Context = Context()
    how: str = ""
    said: Context = Context()
    tentative: bool = False
    alone: str = ""  # the turn as a question of its own (without じゃあ and the like)
    follows: bool = False  # short, or said as a follow-up (じゃあ, それ): may go on an FAQ topic


CANDIDATES = 5


class Conversation:
    """One caller's questions in order; :meth:`ask` answers the next one."""

    def __init__(self, assistant: Assistant, name: str = "") -> None:
        self.assistant = assistant
        self.name = name
        self.context = Context()
        self.last_carried = Context()

    def reset(self) -> None:
        self.context = Context()

    def ask(self, question: str, *, top: int = 3, today: date | None = None) -> Answer:
        """The answer to ``question`` as this turn of the conversation; what was taken from
        the turn before is :attr:`last_carried`."""
        own = tuple(read_dates(self.assistant.cues, question, today).cases)
        read, wide = self._read(question, own), max(top, CANDIDATES)  # candidates: _on_topic
        # the dates said before go on with the orderer or the aspect (じゃあ佐賀市は？ after
        # 「鳥栖市で令和8年2月1日公告の工事は？」), unless the turn says its own
        on = bool(read.carried.orderer or read.carried.aspect)
        earlier = self.context.dates if on and not own else ()
        read = read._replace(carried=replace(read.carried, dates=earlier))
        answer = None
        if read.tentative:
            # a long question that only asks an aspect stands alone when it is answered by
            # itself, unless by an entry about some other orderer
            alone = self.assistant.ask(read.alone, top=wide, today=today)
            lead = alone.evidence[1] / 10 if len(alone.evidence) > 1 else 0.0  # see evidence
            clear = lead >= self.assistant.tuning.standalone_lead
            if alone.answered and clear and not self._about_other(alone, read.carried.orderer):
                read, answer = _Reading(read.alone, said=read.said), alone
        if answer is None:
            answer = self.assistant.ask(read.whole, top=wide, today=today, earlier=earlier)
        read, answer = self._on_topic(read, answer, top, today)
        read, answer = self._same_orderer(read, answer, wide, today)
        if all(x.entry_id for x in answer.alternatives):  # FAQ candidates: as many as asked
            shown = top - 1 if answer.answered and answer.kind == "faq" else top
            answer = replace(answer, alternatives=answer.alternatives[: max(shown, 0)])
        if read.how and answer.answered:  # nothing answered is answered as anything
            answer = answer.prefixed(f"（{read.how}として回答）\n")
        self.last_carried = carried = read.carried
        said = read.said
        asked_back = not answer.answered and bool(answer.candidates)
        if _lost(answer) and read.follows and not (said.orderer or said.aspect):
            return answer  # a short turn not understood: the call is still about the same
        self.context = Context(
            question=read.whole,
            # an entry about the orderer answers for it too (鳥栖市の提出先 → an FAQ entry)
            # (not a branch's answer: 宮崎市店 is 宮崎支店 misspelt, no orderer)
            orderer=None
            if asked_back or answer.kind == "branch"
            else answer.orderer or carried.orderer or said.orderer,
            aspect=answer.aspect if answer.aspect in ASPECTS else carried.aspect or said.aspect,
            branch=answer.branch,
            field=answer.field,
            candidates=answer.candidates,
            offered=carried.offered,
            entry=answer.entry_id if answer.answered else None,
            dates=own or read.carried.dates,
            where=self._where(answer) or (carried.where if carried.orderer else None),
        )
        return answer

    def _on_topic(
        self, read: _Reading, answer: Answer, top: int, today: date | None
    ) -> tuple[_Reading, Answer]:
        """A short turn that names nothing, not answered by itself (or only by an entry about
        an orderer nobody named, or declined), asked as part of what the call is about: the
        orderer before (島根県: どこの部の発注でも使えるの？) by an entry about it, else the
        last FAQ entry's topic (それどこに出すの). Not when it has words the knowledge never
        uses (明日の天気は？)."""
        ctx, a = self.context, self.assistant
        if not (read.follows or _lost(answer)) or read.how or read.said.orderer:
            return read, answer
        if answer.answered and not self._about_other(answer, None):
            return read, answer
        if a.unknown_share(a.analyse(read.whole)) > 0:
            return read, answer
        tags = self._entry(ctx.entry)[0]  # the last FAQ entry's topic, more precise than
        if tags:  # its orderer; it picks among the entries the turn's own words suggest
            among = frozenset(e for e in _suggested(answer) if e) or None
            found = self._with_topic(read, answer, tags, among, top, today)
            if found[1] is answer and among:  # none of those: among all (紙の場合は？)
                found = self._with_topic(read, answer, tags, None, top, today)
            return found
        if ctx.orderer:
            again = a.ask(f"{ctx.orderer} {read.whole}", top=top, today=today)
            own = again.kind == "faq" and not self._about_other(again, ctx.orderer)
            if again.answered and own and self._entry(again.entry_id)[1]:
                whole, how = f"{ctx.orderer} {read.whole}", f"{ctx.orderer}のこと"
                carried = Context(orderer=ctx.orderer)
                return read._replace(whole=whole, how=how, carried=carried), again
        return read, answer

    def _same_orderer(
        self, read: _Reading, answer: Answer, top: int, today: date | None
    ) -> tuple[_Reading, Answer]:
        """After an entry about an orderer (鳥栖市's e-contract), a follow-up that names no
        orderer is first the same orderer's: among the entries it suggests, those about that
        orderer, chosen with the last entry's topic (費用は？ → 鳥栖市's e-contract costs)."""
        tags, about = self._entry(self.context.entry)
        on_it = read.follows or read.carried.orderer
        if not (on_it and about) or read.said.orderer or answer.entry_id == self.context.entry:
            return read, answer
        if answer.kind == "orderer" and read.said.aspect:
            return read, answer  # the aspect asked, from the orderer's record (契約保証も対象？)
        a = self.assistant
        if answer.out_of_scope or a.unknown_share(a.analyse(read.alone or read.whole)) > 0:
            return read, answer  # declined, or words the knowledge never uses
        same = frozenset(e for e in _suggested(answer) if e and self._entry(e)[1] & about)
        if not same or answer.entry_id in same:
            return read, answer
        return self._with_topic(read, answer, tags, same, top, today)

    def _with_topic(
        self,
        read: _Reading,
        answer: Answer,
        tags: Sequence[str],
        among: frozenset[str] | None,
        top: int,
        today: date | None,
    ) -> tuple[_Reading, Answer]:
        """The turn asked with the topic ``tags`` (認証キー・提出) before it, among ``among``:
        read so when an FAQ entry answers it, else as it was."""
        whole = f"{'・'.join(tags)} {read.whole}"
        again = self.assistant.ask(whole, top=top, today=today, among=among)
        if not (again.answered and again.kind == "faq"):
            return read, answer
        # never an entry about an orderer the call has not been about
        about, before = self._entry(again.entry_id)[1], self._entry(self.context.entry)[1]
        if about and not about & before and self._about_other(again, self.context.orderer):
            return read, answer
        return read._replace(whole=whole, how=f"{'・'.join(tags)}の話の続き"), again

    def _entry(self, entry_id: str | None) -> tuple[Sequence[str], frozenset[str]]:
        """The tags of the FAQ entry ``entry_id`` and the keys of the orderers it is about
        (nothing for no entry)."""
        a = self.assistant
        index = next((i for i, e in enumerate(a.entries) if e.id == entry_id), None)
        return (
            (a.entries[index].tags, a._entry_orderers[index])
            if index is not None
            else ((), frozenset())
        )

    def _where(self, answer: Answer) -> str | None:
        """The prefecture of the orderer answered when other bodies share its name (its
        record is shown as 小国町（熊本県）), to say it again unmistakably."""
        if answer.kind != "orderer" or len(self.assistant.bodies_named(answer.orderer)) < 2:
            return None
        shown = _BRACKETED.match(answer.matched.split("／", 1)[0])
        return shown.group(2) if shown else None

    def _after_start(self, orderer: str, where: str | None, dated: DatesSaid) -> bool:
        """Every date said is on or after the start of ``orderer`` (in ``where``, when others
        share its name): no contract before it."""
        bodies = self.assistant.bodies_named(orderer)
        body = next((o for o in bodies if where in (None, o.prefecture)), None)
        checks = [_date_check(body, case).eligible for case in dated.cases] if body else []
        return bool(checks) and all(checks)

    def _about_other(self, answer: Answer, orderer: str | None) -> bool:
        """The answer is an FAQ entry about orderers, none of them ``orderer``."""
        about = self._entry(answer.entry_id)[1]
        return bool(about) and not any(key.endswith(f"/{orderer}") for key in about)

    def _read(self, question: str, own: Sequence[DatedCase] = ()) -> _Reading:
        """The whole question a turn stands for (see :class:`_Reading`); ``own``: the dates it
        says."""
        ctx, a, cues = self.context, self.assistant, self.assistant.cues
        rest = _without_opener(question, cues["followup.opener"].pattern)  # じゃあ武雄は: 武雄は
        opened = rest != question.strip()
        # the prefecture of the orderer before (a prefecture's is itself)
        if ctx.orderer and (lead := cues["followup.prefecture"].match(rest)):
            bodies = self.assistant.bodies_named(ctx.orderer)
            if prefecture := next((o.prefecture for o in bodies if o.prefecture), None):
                rest = prefecture + rest[lead.end() :]  # 大分市 → 県は？ 県の提出先は？
        query = a.analyse(rest)
        if not query.cleaned:
            return _Reading(question)
        dated = DatesSaid(list(own), [], rest)
        call = _Call(a, rest, query, 3, dated)
        named = call.named if call.named_any else None
        asks: str | None = call.asked.aspect if call.asked.explicit else None
        if asks == "start" and not cues["followup.start"].search(call.folded):
            asks = None  # 何からすれば: から alone does not ask the start
        if asks == "documents" and cues["followup.guarantee_kind"].made_of(call.folded):
            # another kind of guarantee and nothing else (前払金のほうは？): the same question
            # of that kind, as another orderer keeps it (after a start, whether it is covered)
            asks = ctx.aspect if ctx.aspect not in (None, "start", "coverage") else asks
        said = Context(
            orderer=named.orderers[0].name if named and len(named.orderers) == 1 else None,
            aspect=asks,
        )
        if not ctx.question or cues["followup.new_topic"].search(call.folded):
            return _Reading(rest if ctx.question else question, said=said)  # ところで…
        folded, finder, topic = call.folded, a.branch_finder, _without_topic(cues, rest)
        branch = finder.find(folded) if finder else None
        # a branch's field only where a branch is spoken of (「どこに送れば」 is no address)
        about_branches = branch is not None or bool(ctx.branch or ctx.field)
        field = detect_branch_field(cues, folded) if about_branches else None
        if branch is not None:
            named = None  # 愛媛支店: the branch, not the prefecture
        elif (ctx.field or ctx.branch) and finder and not said.aspect:
            place = fold(topic)  # 長崎は？ 京都の住所は？ after a branch
            for _name, words in cues.family("branch_field"):
                place = _without_topic(cues, words.sub("", place))
            branch = finder.find(place + "支店")
            named = None if branch is not None else named
        names = named is not None or (bool(call.named_any) and branch is None)  # 熊本県内も
        refers = cues["followup.refers"].search(folded) is not None  # それより前の契約
        dates_only = bool(dated.cases) and not names and bool(ctx.orderer)
        # an aspect asked with no name of its own is asked of the orderer before (委託も対象？)
        aspect_only = bool(said.aspect) and not names and branch is None and bool(ctx.orderer)
        # another orderer with nothing else asked (南島原市の場合はどうなりますか)
        others = _without_tokens(folded, (), call.named_any)[0]
        switch = named is not None and not said.aspect and branch is None
        switch = switch and entities.asks_only_record(cues, cues["followup.switch"].sub("", others))
        # a field of the branch before (恐れ入りますが、ご住所もお願いできますか)
        field_only = bool(ctx.branch) and branch is None and field is not None and not names
        long = len(fold(clean(question))) > 14
        follows = not long or opened or refers
        if long and not (opened or refers or dates_only or aspect_only or switch or field_only):
            return _Reading(rest, said=said)  # a question of its own
        # nothing but the aspect and the domain's own words (中間前払金の証書も電子でいける？):
        # the orderer's record answers it, however long
        plain = cues["followup.plain"].sub("", others)
        tentative = long and not (refers or dates_only or entities.asks_only_record(cues, plain))

        def as_(subject: str, label: str, carried: Context, whole: str = "") -> _Reading:
            whole = whole or f"{subject}の{label}は"
            return _Reading(whole, carried, f"{subject}の{label}", said, tentative, rest)

        aspect = ASPECTS.get(ctx.aspect or "")  # type: ignore[call-overload]
        picked = _pick(cues, ctx.candidates, folded) if ctx.candidates else None
        if ctx.offered:  # one of the bodies offered, when nothing is named but its prefecture
            offered = _pick(cues, ctx.offered, folded)  # (沖縄の方も: the one in 沖縄県)
            if not call.named_any or (
                offered and all(m.said in offered[1] for m in call.named_any)
            ):
                picked = offered
        if picked is not None and aspect:  # which 大津? 滋賀県の
            name, where = picked
            whole = f"{where}の{name}の{aspect}は" if where else ""
            # the bodies offered stay on offer: 市は？ after 町のほう is the other one
            return as_(name, aspect, Context(aspect=ctx.aspect, offered=ctx.candidates), whole)
        if picked is not None and ctx.field:  # which branch? 佐賀支店
            return as_(picked[0], _FIELD_LABELS[ctx.field], Context(field=ctx.field))
        carry_orderer = said.aspect or dated.cases or refers  # 提出先は？ 令和8年4月契約なら？
        if ctx.orderer and not names and branch is None and field is None and carry_orderer:
            asked = said.aspect or ctx.aspect or call.asked.aspect
            # 提出先の次に「2024年5月の契約なら？」: whether it can be used; after an old
            # contract's question too, when the date said is no old contract's
            old = asked == "pre_start" and not self._after_start(ctx.orderer, ctx.where, dated)
            if dated.cases and not said.aspect and not old:
                asked = "start"
            label = ASPECTS[asked]  # type: ignore[index]
            subject = f"{ctx.where}の{ctx.orderer}" if ctx.where else ctx.orderer
            whole = f"{subject}の電子保証の{label}は。{rest}"
            return as_(ctx.orderer, label, Context(orderer=ctx.orderer, where=ctx.where), whole)
        # 県の担当の問い合わせ先は after 島根県: the orderer before said again, not its aspect
        same = said.orderer is not None and said.orderer == ctx.orderer
        if (
            aspect
            and named is not None
            and not said.aspect
            and branch is None
            and not (same and not switch)
        ):
            kept = ctx.aspect  # じゃあ佐賀市は？; with a date, whether it can be used
            if dated.cases and kept not in ("start", "pre_start"):
                kept, aspect = "start", ASPECTS["start"]
            whole = f"{named.said}の電子保証の{aspect}は" + (f"。{rest}" if dated.cases else "")
            return as_(named.said, aspect, Context(aspect=kept), whole)
        if ctx.branch and branch is None and field is not None and named is None:
            whole = f"{ctx.branch}の{rest}"  # FAXは？
            return as_(ctx.branch, _FIELD_LABELS[field], Context(branch=ctx.branch), whole)
        asked_field = field or ctx.field  # 京都の住所は？ after a branch; 佐賀支店は？ its field
        if (ctx.branch or ctx.field) and branch is not None and asked_field:
            carried = Context() if field else Context(field=ctx.field)
            return as_(branch.branch.name, _FIELD_LABELS[asked_field], carried)
        return _Reading(rest, said=said, follows=follows)


def _lost(answer: Answer) -> bool:
    """Not answered, not asked back, not declined: the turn was not understood."""
    return not (answer.answered or answer.candidates or answer.out_of_scope)


def _suggested(answer: Answer) -> tuple[str | None, ...]:
    """The FAQ entries an answer gives or offers (None where it is no entry)."""
    return (answer.entry_id, *(x.entry_id for x in answer.alternatives))


def _without_opener(question: str, opener: re.Pattern[str]) -> str:
    """The question without 「じゃあ」「では」 and the like at its start."""
    text = question.strip()
    folded = fold(text)
    found = opener.match(folded)
    return text[found.end() :].lstrip("、, 　") if found else text


def _without_topic(cues: Cues, text: str) -> str:
    """「佐賀市は？」 → 「佐賀市」: the name of the new topic without its particle and mark."""
    return cues["followup.topic_end"].sub("", text.strip())


def _pick(cues: Cues, candidates: tuple[str, ...], folded: str) -> tuple[str, str] | None:
    """The one candidate a clarification says most of (滋賀県の, 熊本の方, 九州のほう, 町のほう,
    佐賀支店, 和歌山県の日高町): its whole name and its prefecture count twice; its stem, its
    ending or the region it is in (``region.*``) once. ``(name, prefecture)``, or None when it
    says none or ties."""
    chosen, which = [], cues["followup.which_end"]
    regions = {
        prefecture
        for name, said in cues.family("region")
        if name.endswith(".said") and said.search(folded)
        for prefecture in cues[f"region.{name.removesuffix('.said')}.prefectures"].words
    }
    for shown in candidates:
        bracketed = _BRACKETED.match(shown)
        name, where = (bracketed.group(1), bracketed.group(2)) if bracketed else (shown, "")
        place = re.sub("[県府都]$", "", where)
        stem = re.sub("(?:支店|[市町村都道府県])$", "", name)
        ending = name[-1] if name[-1] in "市町村都道府県" else ""
        score = 2 * (fold(name) in folded) + 2 * bool(place and place in folded)
        score += where in regions
        said_ending = any(which.match(folded, i + 1) for i, c in enumerate(folded) if c == ending)
        if (ending and said_ending) or (
            len(stem) >= 2 and stem in folded and (not ending or ending in folded)
        ):
            score += 1
        if score:
            chosen.append((score, name, where))  # 和歌山県の日高町: name and prefecture
    best = [(name, where) for score, name, where in chosen if score == max(c[0] for c in chosen)]
    return best[0] if len(best) == 1 else None
