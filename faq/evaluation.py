"""Scoring the assistant on the evaluation sets (tests/faq_eval/*.yaml).

Used by tests/test_faq_eval.py and bench/faq.py. An item's ``expect`` is one of ``{faq: ID}``,
``{orderer: NAME, aspect: A}``, ``{orderer_missing: NAME}``, ``{ambiguous: [NAMES], aspect: A}``,
``{branch: NAME, field: F}`` or ``none`` (abstain); ``also`` lists other accepted answers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from faq.engine import Answer, Assistant

ASKED_BACK = "登録簿にありません"  # a name that is no body, asked back with the closest
NOT_LISTED = "に掲載なし"  # 「…は一覧（令和8年2月2日現在）に掲載なし」
# An answer's kind → the Answer attribute holding the expected name (the other keys of the
# expectation, such as aspect and field, are Answer attributes as they are).
_NAMED = {"faq": "entry_id", "orderer": "orderer", "branch": "branch"}


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


def _item(raw: dict[str, Any], file: str) -> EvalItem:
    also, style = tuple(raw.get("also") or ()), str(raw.get("style", ""))
    return EvalItem(str(raw["q"]), raw["expect"], also, str(raw["split"]), style, file)


def load_items(path: Path) -> list[EvalItem]:
    """The items of one file, or of every ``*.yaml`` file in a folder (in name order)."""
    if path.is_dir():
        return [item for file in sorted(path.glob("*.yaml")) for item in load_items(file)]
    return [_item(item, path.name) for item in yaml.safe_load(path.read_text(encoding="utf-8"))]


def _asked_back(answer: Answer) -> str | None:
    """The body named closest when a misspelt name (鳥巣市, 諌早市) is asked back."""
    asked = not answer.answered and answer.candidates and ASKED_BACK in answer.answer
    return answer.candidates[0].split("（")[0] if asked else None


def _matches(expect: Any, answer: Answer) -> bool:
    if expect == "none":
        return not answer.answered
    if isinstance(expect, str):
        expect = {"faq": expect}
    if not isinstance(expect, dict):
        return False
    closest = _asked_back(answer)
    if closest is not None and ("orderer" in expect or "orderer_missing" in expect):
        return closest == expect.get("orderer", expect.get("orderer_missing"))
    if "orderer_missing" in expect:
        return NOT_LISTED in answer.answer
    if "ambiguous" in expect:
        listed = " ".join(a.question for a in answer.alternatives)
        return not answer.answered and all(str(n) in listed for n in expect["ambiguous"])
    kind = next((k for k in _NAMED if k in expect), None)
    if kind is None or not answer.answered or answer.kind != kind:
        return False
    return all(getattr(answer, _NAMED.get(k, str(k))) == v for k, v in expect.items())


def is_correct(item: EvalItem, answer: Answer) -> bool:
    """The answer is the expected one, or one the item also accepts."""
    return _matches(item.expect, answer) or any(_matches(a, answer) for a in item.also)


def _ratio(right: int, asked: int) -> float:
    return right / asked if asked else 0.0


@dataclass
class Report:
    """Top-1 accuracy over in-domain items, abstention over out-of-domain ones, per split."""

    asked: Counter[tuple[str, bool]] = field(default_factory=Counter)  # (split, in domain) → n
    right: Counter[tuple[str, bool]] = field(default_factory=Counter)  # answered or abstained

    def counts(self, in_domain: bool, split: str | None = None) -> tuple[int, int]:
        """How many items in (or out of) the domain were answered right, of how many."""
        keys = [k for k in self.asked if k[1] == in_domain and split in (None, k[0])]
        return sum(self.right[k] for k in keys), sum(self.asked[k] for k in keys)

    def accuracy(self, split: str | None = None) -> float:
        return _ratio(*self.counts(True, split))

    def abstention(self, split: str | None = None) -> float:
        return _ratio(*self.counts(False, split))

    def line(self, split: str | None = None) -> str:
        accuracy, abstention = (_share(*self.counts(d, split)) for d in (True, False))
        return f"{split or 'all'}: accuracy {accuracy}, abstention {abstention}"


def _share(right: int, asked: int) -> str:
    return f"{_ratio(right, asked):.1%} ({right}/{asked})"


def evaluate(
    ask: Callable[[str], Answer], items: Sequence[EvalItem], *, into: Report | None = None
) -> Report:
    """Each item asked and scored, counted into ``into`` (a new report by default)."""
    report = into if into is not None else Report()
    for item in items:
        report.asked[item.split, item.in_domain] += 1
        report.right[item.split, item.in_domain] += is_correct(item, ask(item.q))
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
    turns = [tuple(_item(t | {"split": d["split"]}, path.name) for t in d["turns"]) for d in raw]
    return [Dialogue(str(d["id"]), str(d["split"]), t) for d, t in zip(raw, turns, strict=True)]


def evaluate_dialogues(
    assistant: Assistant, dialogues: Sequence[Dialogue]
) -> tuple[Report, Report]:
    """The first turns and the follow-up turns scored apart, each conversation asked in order
    through one :class:`faq.conversation.Conversation`."""
    from faq.conversation import Conversation

    first, later = Report(), Report()
    for d in dialogues:
        talk = Conversation(assistant, d.id)
        for i, turn in enumerate(d.turns):
            evaluate(talk.ask, [turn], into=later if i else first)
    return first, later


def fit_calibration(
    assistant: Assistant, items: Sequence[EvalItem], *, steps: int = 3000, l2: float = 0.01
) -> tuple[float, ...]:
    """Fit the confidence model (``Tuning.calibration``: bias, then one weight per
    ``Assistant.evidence`` value) to ``items``: logistic regression by gradient descent, the
    label being "the best FAQ entry is the expected answer". Out-of-domain items are negatives;
    questions the orderer and branch rules answer are left out (no FAQ decision)."""
    anything = assistant.with_tuning(min_confidence=0.0, threshold=0.0, margin=0.0)
    asked = [(item, anything.ask(item.q)) for item in items]
    rows = [(i, a) for i, a in asked if a.kind in ("faq", "none") and a.evidence]
    if not rows:
        raise ValueError("no FAQ decisions to fit on")
    x = np.array([(1.0, *a.evidence) for _i, a in rows])  # 1.0: the bias's input
    y = np.array([float(is_correct(i, a)) for i, a in rows])
    decay = np.r_[0.0, np.full(x.shape[1] - 1, l2)]  # the bias is not regularised
    coefficients = np.zeros(x.shape[1])
    for _step in range(steps):
        error = 1.0 / (1.0 + np.exp(-(x @ coefficients))) - y
        coefficients -= 0.1 * (error @ x / len(rows) + decay * coefficients)
    return tuple(round(float(c), 2) for c in coefficients)
