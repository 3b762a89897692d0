"""The FAQ assistant on the evaluation sets (tests/faq_eval/*.yaml).

Top-1 accuracy over the in-domain questions (the expected FAQ entry, orderer fact, 「資料に掲載
なし」, a question back for a shared name, or branch field) and abstention over the out-of-domain
ones, printed for the dev and the holdout split and per file (run pytest with -s to see them).
The engine is tuned on dev only; a holdout file is never looked at to tune (a set written blind
is run once first, its figures kept in its header; when its failures are studied it becomes
dev). The target is 95% accuracy and 90% abstention, on the holdout as well as overall; where it
is not met, floors just under the measured figures guard against regressions.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from faq.engine import Assistant
from faq.evaluation import Report, evaluate, load_items

QUESTIONS = Path(__file__).parent / "faq_eval"  # dev_*.yaml, holdout_*.yaml


@cache
def report() -> Report:
    items = load_items(QUESTIONS)
    ask = Assistant.load().ask
    result = evaluate(ask, items)
    print()
    for split in ("dev", "holdout", None):
        print("FAQ eval", result.line(split))
    for name in sorted({i.file for i in items}):
        mine = [i for i in items if i.file == name]
        part = evaluate(ask, mine)
        splits = sorted({i.split for i in mine})
        print(f"FAQ eval {name}:", " | ".join(part.line(split) for split in splits))
    return result


def test_the_sets_are_as_described() -> None:
    items = load_items(QUESTIONS)
    files = {i.file for i in items}
    assert len(files) >= 2 and len(items) >= 1100
    for name in files:  # every file holds one split, the one its name says
        splits = {i.split for i in items if i.file == name}
        assert splits == {name.split("_", 1)[0]}, name
    assert {i.split for i in items} == {"dev", "holdout"}
    assert sum(1 for i in items if i.split == "holdout") >= 200
    assert sum(1 for i in items if not i.in_domain) >= 50
    assert {i.kind for i in items} == {
        "faq",
        "orderer",
        "orderer_missing",
        "ambiguous",
        "branch",
        "none",
    }


def test_overall_targets_and_floors() -> None:
    r = report()
    # The targets (95% / 90%), met overall: 97.0% (30973/31931) and 94.5% (5758/6093)
    assert r.accuracy() >= 0.95, r.line()
    assert r.abstention() >= 0.90, r.line()
    assert r.accuracy("dev") >= 0.965, r.line("dev")  # 97.4% (16525/16967)
    assert r.abstention("dev") >= 0.96, r.line("dev")  # 96.4% (3141/3258)


def test_targets_on_the_holdout() -> None:
    r = report()
    # The targets on the holdout: 96.6% (14448/14964) and 92.3% (2617/2835). First runs of the
    # newest blind sets, in pairs (the first of each studied since, the second still holdout),
    # from the newest: 96.7% / 95.0% and 99.0% / 87.5%; 96.2% / 92.5% and 95.7% / 92.5%;
    # 95.2% / 82.5% and 97.1% / 85.0%; 95.7% / 97.5% and 95.2% / 95.0%; 96.2% / 97.5% and
    # 95.7% / 87.5%; 98.1% / 97.5% and 97.1% / 85.0%: seven of the last twelve sets meet both
    # targets, all twelve reach 95% accuracy and seven 90% abstention, so they are not met on
    # every new set.
    assert r.accuracy("holdout") >= 0.95, r.line("holdout")
    assert r.abstention("holdout") >= 0.90, r.line("holdout")


def test_near_domain_questions_are_declined() -> None:
    # Questions that share an entry's words but ask what no answer gives (a detail, a plan,
    # another party): hard development sets of their own, kept out of the totals above. The
    # second was written without the cue file (42.5% declined when first run).
    items = load_items(QUESTIONS / "near_domain")
    assert len(items) >= 480 and all(not i.in_domain for i in items)
    r = evaluate(Assistant.load().ask, items)
    print("FAQ eval near_domain:", r.line("dev"))
    assert r.abstention("dev") >= 0.65, r.line("dev")  # 68.7% (336/489)
