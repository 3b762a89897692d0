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
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from faq.engine import _FIELD_LABELS, Answer, Assistant, _Call
from faq.entities import ASPECTS, detect_branch_field, read_dates
from faq.normalize import clean, fold

__all__ = ["Context", "Conversation"]

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

    def to_json(self) -> dict[str, Any]:
        return {
            "orderer": self.orderer,
            "aspect": self.aspect,
            "branch": self.branch,
            "field": self.field,
        }


class Conversation:
    """One caller's questions in order; :meth:`ask` answers the next one."""

    def __init__(self, assistant: Assistant, name: str = "") -> None:
        self.assistant = assistant
        self.name = name
        self.context = Context()
        self.last_carried = Context()
        self._tentative = False  # the last turn was read as a follow-up only by its aspect

    def reset(self) -> None:
        self.context = Context()

    def ask(self, question: str, *, top: int = 3, today: date | None = None) -> Answer:
        """The answer to ``question`` as this turn of the conversation; what was taken from
        the turn before is :attr:`last_carried`."""
        whole, carried, reading, said = self._whole(question)
        answer = self.assistant.ask(whole, top=top, today=today)
        if reading and self._tentative:
            # a long question that only asks an aspect: it stands alone when it is answered
            # by itself, unless by an entry about some other orderer
            alone = self.assistant.ask(question, top=top, today=today)
            if alone.answered and not self._about_other(alone, carried.orderer):
                whole, carried, reading, answer = question, Context(), "", alone
        if reading:
            answer = replace(answer, answer=f"（{reading}として回答）\n{answer.answer}")
        self.last_carried = carried
        asked_back = not answer.answered and bool(answer.candidates)
        self.context = Context(
            question=whole,
            # an entry about the orderer answers for it too (鳥栖市の提出先 → an FAQ entry)
            orderer=None if asked_back else answer.orderer or carried.orderer or said.orderer,
            aspect=answer.aspect if answer.aspect in ASPECTS else carried.aspect or said.aspect,
            branch=answer.branch,
            field=answer.field,
            candidates=answer.candidates,
        )
        return answer

    def _about_other(self, answer: Answer, orderer: str | None) -> bool:
        """The answer is an FAQ entry about orderers, none of them ``orderer``."""
        a = self.assistant
        index = next((i for i, e in enumerate(a.entries) if e.id == answer.entry_id), None)
        about = a._entry_orderers[index] if index is not None else frozenset()
        return bool(about) and not any(key.endswith(f"/{orderer}") for key in about)

    def _prefecture_of(self, name: str | None) -> str | None:
        """The prefecture of the orderer ``name`` when it is not the prefecture itself."""
        register = self.assistant.orderer_file
        for o in register.orderers if register and name else ():
            if o.name == name and o.prefecture and o.prefecture != name:
                return o.prefecture
        return None

    # -- reading a turn

    def _whole(self, question: str) -> tuple[str, Context, str, Context]:
        """The whole question a turn stands for, what it carried over, how it was read ("" when
        it stands alone), and what the turn itself said (its orderer and aspect)."""
        ctx, a = self.context, self.assistant
        self._tentative = False
        cue = a.cues["followup.opener"]
        rest = _without_opener(question, cue.pattern)  # じゃあ武雄は: 武雄は
        opened = rest != question.strip()
        query = a.analyse(rest)
        if not query.cleaned:
            return question, Context(), "", Context()
        dated = read_dates(a.cues, rest)
        call = _Call(a, rest, query, 3, dated)
        named = call.named if call.named_any else None
        said = Context(
            orderer=named.orderers[0].name if named and len(named.orderers) == 1 else None,
            aspect=call.asked.aspect if call.asked.explicit else None,
        )
        if not ctx.question:
            return question, Context(), "", said
        folded = call.folded
        finder = a.branch_finder
        branch = finder.find(folded) if finder else None
        # a branch's field only where a branch is spoken of (「どこに送れば」 is no address)
        about_branches = branch is not None or bool(ctx.branch or ctx.field)
        field = detect_branch_field(a.cues, folded) if about_branches else None
        if branch is not None:
            named = None  # 愛媛支店: the branch, not the prefecture
        elif ctx.field and finder and field is None and not said.aspect:
            branch = finder.find(_without_topic(question) + "支店")  # 長崎は？ after a branch
            named = None if branch is not None else named
        refers = a.cues["followup.refers"].search(folded) is not None  # それより前の契約
        dates_only = bool(dated.cases) and named is None and bool(ctx.orderer)
        # an aspect asked with no name of its own is asked of the orderer before (委託も対象？)
        aspect_only = bool(said.aspect) and named is None and branch is None and bool(ctx.orderer)
        long = len(fold(clean(question))) > 14
        if long and not (opened or refers or dates_only or aspect_only):
            return question, Context(), "", said  # a question of its own
        self._tentative = long and not (opened or refers or dates_only)
        picked = _pick(ctx.candidates, folded) if ctx.candidates else None
        if picked is not None and ctx.aspect:  # which 大津? 滋賀県の
            name, where = picked
            label = ASPECTS[ctx.aspect]  # type: ignore[index]
            whole = f"{where}の{name}の{label}は" if where else f"{name}の{label}は"
            return whole, Context(aspect=ctx.aspect), f"{name}の{label}", said
        if picked is not None and ctx.field:  # which branch? 佐賀支店
            label = _FIELD_LABELS[ctx.field]
            whole = f"{picked[0]}の{label}は"
            return whole, Context(field=ctx.field), f"{picked[0]}の{label}", said
        prefecture = self._prefecture_of(ctx.orderer) if named is None else None
        alone = a.cues["followup.prefecture"].match(fold(_without_topic(rest)))
        if prefecture and ctx.aspect and alone:
            label = ASPECTS[ctx.aspect]  # type: ignore[index]  # 大分市 → 県は？
            whole = f"{prefecture}の{label}は"
            return whole, Context(aspect=ctx.aspect), f"{prefecture}の{label}", said
        carry_orderer = said.aspect or dated.cases or refers  # 提出先は？ 令和8年4月契約なら？
        if ctx.orderer and named is None and branch is None and field is None and carry_orderer:
            aspect = call.asked.aspect if said.aspect else ctx.aspect or call.asked.aspect
            label = ASPECTS[aspect]  # type: ignore[index]
            whole = f"{ctx.orderer}の{label}は。{rest}"
            return whole, Context(orderer=ctx.orderer), f"{ctx.orderer}の{label}", said
        if ctx.aspect and named is not None and not said.aspect and branch is None:
            label = ASPECTS[ctx.aspect]  # type: ignore[index]  # じゃあ佐賀市は？
            whole = f"{named.said}の{label}は" + (f"。{rest}" if dated.cases else "")
            return whole, Context(aspect=ctx.aspect), f"{named.said}の{label}", said
        if ctx.branch and branch is None and field is not None and named is None:
            label = _FIELD_LABELS[field]  # FAXは？
            whole = f"{ctx.branch}の{rest}"
            return whole, Context(branch=ctx.branch), f"{ctx.branch}の{label}", said
        if ctx.field and branch is not None and field is None and named is None:
            label = _FIELD_LABELS[ctx.field]  # 佐賀支店は？
            whole = f"{branch.branch.name}の{label}は"
            return whole, Context(field=ctx.field), f"{branch.branch.name}の{label}", said
        return question, Context(), "", said


def _without_opener(question: str, opener: re.Pattern[str]) -> str:
    """The question without 「じゃあ」「では」 and the like at its start."""
    text = question.strip()
    folded = fold(text)
    found = opener.match(folded)
    return text[found.end() :].lstrip("、, 　") if found else text


def _without_topic(text: str) -> str:
    """「佐賀市は？」 → 「佐賀市」: the name of the new topic without its particle and mark."""
    return re.sub(r"(?:って|は|の|も|だと|なら|では)?[？?。!！\s]*$", "", text.strip())


def _pick(candidates: tuple[str, ...], folded: str) -> tuple[str, str] | None:
    """The one candidate a clarification says most of (滋賀県の, 熊本の方, 町のほう, 佐賀支店,
    和歌山県の日高町): its whole name and its prefecture count twice, its stem or ending once;
    ``(name, prefecture)``, or None when it says none or ties."""
    chosen = []
    for shown in candidates:
        bracketed = _BRACKETED.match(shown)
        name, where = (bracketed.group(1), bracketed.group(2)) if bracketed else (shown, "")
        place = re.sub("[県府都]$", "", where)
        stem = re.sub("(?:支店|[市町村都道府県])$", "", name)
        ending = name[-1] if name[-1] in "市町村都道府県" else ""
        score = 2 * (fold(name) in folded) + 2 * bool(place and place in folded)
        if (ending and re.search(f"{ending}(?:の?ほう|の?方|です|$)", folded)) or (
            len(stem) >= 2 and stem in folded and (not ending or ending in folded)
        ):
            score += 1
        if score:
            chosen.append((score, name, where))  # 和歌山県の日高町: name and prefecture
    best = [(name, where) for score, name, where in chosen if score == max(c[0] for c in chosen)]
    return best[0] if len(best) == 1 else None
