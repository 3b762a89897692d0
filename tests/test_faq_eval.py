"""The FAQ assistant on the evaluation set (tests/faq_eval/*.yaml).

Top-1 accuracy over the in-domain questions (the expected FAQ entry, orderer fact, 「資料に掲載
なし」, a question back for a shared name, or branch field) and abstention over the out-of-domain
ones, printed for the dev and the holdout split (run pytest with -s to see them). The engine is
tuned on dev only; holdout is never looked at to tune.

The target is 95% accuracy and 90% abstention over both splits. Accuracy ended below it (README,
"FAQ assistant"): the overall accuracy assertion is marked as an expected failure with the
measured figures, and floors just under them guard against regressions.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from faq.engine import Assistant
from faq.evaluation import Report, evaluate, load_items

QUESTIONS = Path(__file__).parent / "faq_eval"  # questions.yaml, questions_more.yaml


@cache
def report() -> Report:
    items = load_items(QUESTIONS)
    ask = Assistant.load().ask
    result = evaluate(ask, items)
    print()
    for split in ("dev", "holdout", None):
        print("FAQ eval", result.line(split))
    for name in sorted({i.file for i in items}):
        part = evaluate(ask, [i for i in items if i.file == name])
        print(f"FAQ eval {name}:", part.line("dev"), "|", part.line("holdout"))
    return result


def test_questions_file_is_as_described() -> None:
    items = load_items(QUESTIONS)
    assert {i.file for i in items} == {"questions.yaml", "questions_more.yaml"}
    assert len(items) >= 600
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


def test_abstention_and_dev_accuracy() -> None:
    r = report()
    assert r.abstention() >= 0.90, r.line()
    # regression floors, just under the measured figures (dev 95.6%, all 93.7%, holdout 89.8%)
    assert r.accuracy("dev") >= 0.95, r.line("dev")
    assert r.accuracy() >= 0.93, r.line()
    assert r.accuracy("holdout") >= 0.88, r.line("holdout")


@pytest.mark.xfail(
    reason="accuracy 93.7% (holdout 89.8%) is below the 95% target; see README",
    strict=True,  # reaching the target turns this into a failure: then drop the marker
)
def test_accuracy_target() -> None:
    r = report()
    assert r.accuracy() >= 0.95, r.line()
