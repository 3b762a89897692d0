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
    # The targets (95% / 90%), met overall: 96.1% (6875/7151) and 94.5% (1298/1373)
    assert r.accuracy() >= 0.95, r.line()
    assert r.abstention() >= 0.90, r.line()
    assert r.accuracy("dev") >= 0.96, r.line("dev")  # 96.6% (4420/4577)
    assert r.abstention("dev") >= 0.95, r.line("dev")  # 96.2% (864/898)


def test_targets_on_the_holdout() -> None:
    r = report()
    # The targets on the holdout: 95.4% (2455/2574) and 91.4% (434/475). First runs of the
    # newest blind sets, in pairs: 95.7% / 80.0% and 96.7% / 80.0%; 94.3% / 95.0% and 93.3% /
    # 92.5%; 93.3% / 82.5% and 94.8% / 85.0%; 94.8% / 95.0% and 95.2% / 85.0%; 92.9% / 90.0%
    # and 95.7% / 90.0%; 93.8% / 80.0% and 88.1% / 85.0%; 97.1% / 92.5% and 96.7% / 82.5% (the
    # second of each pair but the first is still holdout): the targets are not met on every
    # new set.
    assert r.accuracy("holdout") >= 0.95, r.line("holdout")
    assert r.abstention("holdout") >= 0.90, r.line("holdout")


def test_near_domain_questions_are_declined() -> None:
    # Questions that share an entry's words but ask what no answer gives (a detail, a plan,
    # another party): a hard development set of its own, kept out of the totals above.
    items = load_items(QUESTIONS / "near_domain")
    assert len(items) >= 300 and all(not i.in_domain for i in items)
    r = evaluate(Assistant.load().ask, items)
    print("FAQ eval near_domain:", r.line("dev"))
    assert r.abstention("dev") >= 0.58, r.line("dev")  # 60.2% (198/329)
