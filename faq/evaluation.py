"""Scoring the assistant on the evaluation sets (tests/faq_eval/*.yaml).

Used by tests/test_faq_eval.py and bench/faq.py. An item's ``expect`` is one of ``{faq: ID}``,
``{orderer: NAME, aspect: A}``, ``{orderer_missing: NAME}``, ``{ambiguous: [NAMES], aspect: A}``,
``{branch: NAME, field: F}`` or ``none`` (abstain); ``also`` lists other accepted answers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from faq.engine import Answer, Assistant

__all__ = ["EvalItem", "Report", "evaluate", "fit_calibration", "is_correct", "load_items"]

ASKED_BACK = "登録簿にありません"  # a name that is no body, asked back with the closest
NOT_LISTED = "に掲載なし"  # 「…は一覧（令和8年2月2日現在）に掲載なし」


@dataclass(frozen=True)
class EvalItem:
    q: str
    expect: Any
    also: tuple[Any, ...]
    split: str
    style: str
    file: str = ""

    @property
    def in_domain(self) -> bool:
        return not (isinstance(self.expect, str) and self.expect == "none")

    @property
    def kind(self) -> str:
        return "none" if self.expect == "none" else next(iter(self.expect))


def load_items(path: Path) -> list[EvalItem]:
    """The items of one file, or of every ``*.yaml`` file in a folder (in name order)."""
    if path.is_dir():
        return [item for file in sorted(path.glob("*.yaml")) for item in load_items(file)]
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        EvalItem(
            q=str(item["q"]),
            expect=item["expect"],
            also=tuple(item.get("also") or ()),
            split=str(item["split"]),
            style=str(item.get("style", "")),
            file=path.name,
        )
        for item in raw
    ]


def _matches(expect: Any, answer: Answer) -> bool:
    if isinstance(expect, str):
        if expect == "none":
            return not answer.answered
        return answer.answered and answer.kind == "faq" and answer.entry_id == expect
    if not isinstance(expect, dict):
        return False
    if "faq" in expect:
        return _matches(str(expect["faq"]), answer)
    if "orderer" in expect:
        if not answer.answered and answer.candidates and ASKED_BACK in answer.answer:
            # A misspelt name (鳥巣市) asked back with the body meant as the closest one.
            return bool(answer.candidates[0].split("（")[0] == expect["orderer"])
        return (
            answer.answered
            and answer.kind == "orderer"
            and answer.orderer == expect["orderer"]
            and answer.aspect == expect.get("aspect", answer.aspect)
        )
    if "orderer_missing" in expect:
        if not answer.answered and answer.candidates and ASKED_BACK in answer.answer:
            # a misspelt name (諌早市) asked back with that body as the closest one
            return bool(answer.candidates[0].split("（")[0] == expect["orderer_missing"])
        return NOT_LISTED in answer.answer
    if "ambiguous" in expect:
        names = [str(n) for n in expect["ambiguous"]]
        listed = " ".join(a.question for a in answer.alternatives)
        return not answer.answered and all(n in listed for n in names)
    if "branch" in expect:
        return (
            answer.answered
            and answer.kind == "branch"
            and answer.branch == expect["branch"]
            and answer.field == expect.get("field", answer.field)
        )
    return False


def is_correct(item: EvalItem, answer: Answer) -> bool:
    """The answer is the expected one, or one the item also accepts."""
    return _matches(item.expect, answer) or any(_matches(a, answer) for a in item.also)


@dataclass
class Report:
    """Top-1 accuracy over in-domain items, abstention over out-of-domain ones, per split."""

    correct: dict[str, int] = field(default_factory=dict)
    in_domain: dict[str, int] = field(default_factory=dict)
    abstained: dict[str, int] = field(default_factory=dict)
    out_of_domain: dict[str, int] = field(default_factory=dict)
    failures: list[tuple[EvalItem, Answer]] = field(default_factory=list)

    def accuracy(self, split: str | None = None) -> float:
        return _ratio(self.correct, self.in_domain, split)

    def abstention(self, split: str | None = None) -> float:
        return _ratio(self.abstained, self.out_of_domain, split)

    def line(self, split: str | None = None) -> str:
        name = split or "all"
        return (
            f"{name}: accuracy {self.accuracy(split):.1%} "
            f"({_count(self.correct, split)}/{_count(self.in_domain, split)}), "
            f"abstention {self.abstention(split):.1%} "
            f"({_count(self.abstained, split)}/{_count(self.out_of_domain, split)})"
        )


def _count(table: dict[str, int], split: str | None) -> int:
    return sum(table.values()) if split is None else table.get(split, 0)


def _ratio(num: dict[str, int], den: dict[str, int], split: str | None) -> float:
    d = _count(den, split)
    return _count(num, split) / d if d else 0.0


def evaluate(
    ask: Callable[[str], Answer],
    items: Sequence[EvalItem],
    *,
    keep_failures: bool = False,
    into: Report | None = None,
) -> Report:
    """Each item asked and scored, counted into ``into`` (a new report by default)."""
    report = into if into is not None else Report()
    for item in items:
        answer = ask(item.q)
        ok = is_correct(item, answer)
        if item.in_domain:
            report.in_domain[item.split] = report.in_domain.get(item.split, 0) + 1
            report.correct[item.split] = report.correct.get(item.split, 0) + int(ok)
        else:
            report.out_of_domain[item.split] = report.out_of_domain.get(item.split, 0) + 1
            report.abstained[item.split] = report.abstained.get(item.split, 0) + int(ok)
        if keep_failures and not ok:
            report.failures.append((item, answer))
    return report


@dataclass(frozen=True)
class Dialogue:
    """One caller's conversation: its turns, each scored as the question it stands for."""

    id: str
    split: str
    turns: tuple[EvalItem, ...]


def load_dialogues(path: Path) -> list[Dialogue]:
    """The conversations of one file: ``- id, split, turns: [{q, expect, also}]``."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for d in raw:
        split = str(d["split"])
        turns = tuple(
            EvalItem(
                q=str(t["q"]),
                expect=t["expect"],
                also=tuple(t.get("also") or ()),
                split=split,
                style=str(t.get("style", "")),
                file=path.name,
            )
            for t in d["turns"]
        )
        out.append(Dialogue(str(d["id"]), split, turns))
    return out


def evaluate_dialogues(
    assistant: Assistant, dialogues: Sequence[Dialogue], *, keep_failures: bool = False
) -> tuple[Report, Report]:
    """The first turns and the follow-up turns scored apart, each conversation asked in order
    through one :class:`faq.conversation.Conversation`."""
    from faq.conversation import Conversation

    first, later = Report(), Report()
    for d in dialogues:
        talk = Conversation(assistant, d.id)
        for i, turn in enumerate(d.turns):
            report = first if i == 0 else later
            evaluate(talk.ask, [turn], keep_failures=keep_failures, into=report)
    return first, later


def fit_calibration(
    assistant: Assistant, items: Sequence[EvalItem], *, steps: int = 3000, l2: float = 0.01
) -> tuple[float, ...]:
    """Fit the confidence model (``Tuning.calibration``: bias, then one weight per
    ``Assistant.evidence`` value) to ``items``: logistic regression by gradient descent, the
    label being "the best FAQ entry is the expected answer". Out-of-domain items are negatives;
    questions the orderer and branch rules answer are left out (no FAQ decision)."""
    anything = assistant.with_tuning(min_confidence=0.0, threshold=0.0, margin=0.0)
    rows: list[tuple[tuple[float, ...], float]] = []
    for item in items:
        answer = anything.ask(item.q)
        if answer.kind in ("faq", "none") and answer.evidence:
            rows.append((answer.evidence, 1.0 if is_correct(item, answer) else 0.0))
    if not rows:
        raise ValueError("no FAQ decisions to fit on")
    x = np.array([(1.0, *evidence) for evidence, _y in rows])  # 1.0: the bias's input
    y = np.array([label for _x, label in rows])
    decay = np.full(x.shape[1], l2)
    decay[0] = 0.0  # the bias is not regularised
    coefficients = np.zeros(x.shape[1])
    for _step in range(steps):
        error = 1.0 / (1.0 + np.exp(-(x @ coefficients))) - y
        coefficients -= 0.1 * (error @ x / len(rows) + decay * coefficients)
    return tuple(round(float(c), 2) for c in coefficients)
