"""The assistant on the multi-turn sets (tests/faq_eval/multi_turn/*.yaml): each conversation
asked in order, the first turns and the follow-up turns scored apart (run pytest with -s to see
the figures, per split and per file).

conversations.yaml holds dev and holdout conversations (every third is holdout); a file named
dev_* or holdout_* holds that split only. Every set was written blind and run once before its
misses were looked at; a holdout_* file has never been looked at (its first-run figures are in
its header), a dev_* file has been studied since. The target is 90% of follow-up turns right on
the holdout; where it is not met, floors just under the measured figures guard against
regressions.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from faq.engine import Assistant
from faq.evaluation import Dialogue, Report, evaluate_dialogues, load_dialogues

SETS = Path(__file__).parent / "faq_eval" / "multi_turn"


def dialogues() -> list[Dialogue]:
    return [d for f in sorted(SETS.glob("*.yaml")) for d in load_dialogues(f)]


@cache
def reports() -> tuple[Report, Report]:
    assistant = Assistant.load()
    first, later = evaluate_dialogues(assistant, dialogues())
    print()
    for split in ("dev", "holdout"):
        print("FAQ conversations, first turns", first.line(split))
        print("FAQ conversations, follow-ups", later.line(split))
    for f in sorted(SETS.glob("*.yaml")):
        _first, mine = evaluate_dialogues(assistant, load_dialogues(f))
        print(f"FAQ conversations {f.name}, follow-ups", mine.line())
    return first, later


def test_the_sets_are_as_described() -> None:
    found = dialogues()
    assert len(found) >= 60
    assert all(2 <= len(d.turns) <= 4 for d in found)
    assert {d.split for d in found} == {"dev", "holdout"}
    assert sum(d.split == "holdout" for d in found) >= 20
    for f in SETS.glob("*_*.yaml"):  # dev_blind.yaml: dev only
        assert {d.split for d in load_dialogues(f)} == {f.name.split("_", 1)[0]}, f.name


def test_first_turns_are_answered_as_single_questions() -> None:
    first, _later = reports()
    assert first.accuracy() >= 0.95, first.line()


def test_follow_ups_target_and_floors() -> None:
    _first, later = reports()
    # The target, 90% of follow-ups on the holdout: 91.9% (733/798); the newest blind set's
    # first run was 92.8% (129/139). Abstentions are a floor just under: 92.1% (105/114).
    assert later.accuracy("holdout") >= 0.90, later.line("holdout")
    assert later.accuracy("dev") >= 0.955, later.line("dev")  # 96.0% (802/835)
    assert later.abstention() >= 0.86, later.line()
