"""The assistant on the multi-turn set (tests/faq_eval/multi_turn/conversations.yaml): each
conversation asked in order, the first turns and the follow-up turns scored apart (run pytest
with -s to see the figures). Every third conversation is holdout, never tuned on.

The target is 90% of follow-up turns right on the holdout. It is not met: the set's blind first
run gave 85.3% (29/34) on the holdout and 79.2% (61/77) on dev; with the follow-up rules tuned
on dev, dev is at 92.2% (71/77) and the holdout at 82.4% (28/34). Floors just under the measured
figures guard against regressions.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from faq.engine import Assistant
from faq.evaluation import Report, evaluate_dialogues, load_dialogues

CONVERSATIONS = Path(__file__).parent / "faq_eval" / "multi_turn" / "conversations.yaml"


@cache
def reports() -> tuple[Report, Report]:
    dialogues = load_dialogues(CONVERSATIONS)
    first, later = evaluate_dialogues(Assistant.load(), dialogues)
    print()
    for split in ("dev", "holdout"):
        print("FAQ conversations, first turns", first.line(split))
        print("FAQ conversations, follow-ups", later.line(split))
    return first, later


def test_the_set_is_as_described() -> None:
    dialogues = load_dialogues(CONVERSATIONS)
    assert len(dialogues) >= 60
    assert all(2 <= len(d.turns) <= 4 for d in dialogues)
    assert {d.split for d in dialogues} == {"dev", "holdout"}
    assert sum(d.split == "holdout" for d in dialogues) >= 20


def test_first_turns_are_answered_as_single_questions() -> None:
    first, _later = reports()
    assert first.accuracy() >= 0.95, first.line()  # measured 100% (80/80)


def test_follow_ups_floors() -> None:
    _first, later = reports()
    assert later.accuracy("dev") >= 0.90, later.line("dev")  # 92.2% (71/77)
    assert later.accuracy("holdout") >= 0.80, later.line("holdout")  # 82.4% (28/34)
    assert later.abstention() >= 0.9, later.line()  # 100% (5/5)
