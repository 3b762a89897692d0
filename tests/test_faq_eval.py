"""The FAQ assistant on the evaluation set (tests/faq_eval/*.yaml).

Top-1 accuracy over the in-domain questions (the expected FAQ entry, orderer fact, 「資料に掲載
なし」, a question back for a shared name, or branch field) and abstention over the out-of-domain
ones, printed for the dev and the holdout split (run pytest with -s to see them). The engine is
tuned on dev only; holdout is never looked at to tune. The holdout of sessions 1-3 was opened in
session 4 and is dev since; the holdout is now questions_fresh.yaml, written blind then.
questions_s6.yaml, questions_s7.yaml and questions_s8.yaml (dev) were written blind in sessions
6, 7 and 8; their first runs are in their headers.

The target is 95% accuracy and 90% abstention, on the holdout as well as overall. In session 7
both were reached on the holdout too (95.2% and 90.3%, one question above each target), having
been missed since session 4; floors just under the measured dev figures guard against
regressions.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from faq.engine import Assistant
from faq.evaluation import Report, evaluate, load_items

QUESTIONS = Path(__file__).parent / "faq_eval"  # questions*.yaml


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


def test_questions_file_is_as_described() -> None:
    items = load_items(QUESTIONS)
    assert {i.file for i in items} == {
        "questions.yaml",
        "questions_more.yaml",
        "questions_fresh.yaml",
        "questions_s6.yaml",
        "questions_s7.yaml",
        "questions_s8.yaml",
    }
    assert len(items) >= 1100
    assert {i.split for i in items if i.file == "questions_fresh.yaml"} == {"holdout"}
    assert sum(1 for i in items if not i.in_domain) >= 50
    assert {i.split for i in items} == {"dev", "holdout"}
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
    assert r.abstention() >= 0.90, r.line()  # the target; measured 96.4% (267/277)
    assert r.accuracy() >= 0.95, r.line()  # the target; measured 95.2% (1252/1315)
    # regression floors, just under the measured figures
    assert r.accuracy("dev") >= 0.95, r.line("dev")  # 95.2% (1054/1107)
    assert r.abstention("dev") >= 0.96, r.line("dev")  # 97.2% (239/246)


def test_targets_on_the_holdout() -> None:
    r = report()
    assert r.accuracy("holdout") >= 0.95, r.line("holdout")  # measured 95.2% (198/208)
    assert r.abstention("holdout") >= 0.90, r.line("holdout")  # measured 90.3% (28/31)
