"""What carrying a conversation's context costs a turn, beside answering the same question alone.

    .venv/bin/python bench/conversation.py            # every multi-turn set, 5 passes
    .venv/bin/python bench/conversation.py --repeat 9

For every conversation of tests/faq_eval/multi_turn/*.yaml, each turn is timed two ways in the
same run, interleaved: (a) through ``faq.conversation.Conversation.ask`` (reading the turn
against the context, rewriting it into the whole question, answering it), and (b) the
assistant alone on the whole question that turn was rewritten into (``Assistant.ask``). The
difference is what the context costs. Each call starts with no question analysed (the
assistant keeps its last analyses, which a conversation uses for the turn it has just read).
Each figure is the median over ``--repeat`` passes of
each turn, then p50 / p95 / mean over the turns; follow-up turns are reported apart, and
those split by whether the turn put one question to the assistant or also a second reading of
itself (the turn alone, or with the last entry's topic: one more engine question). Target: the
context costs at most 0.5 ms a turn.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # before bench/faq.py

from faq.conversation import Conversation
from faq.engine import Assistant
from faq.evaluation import load_dialogues

SETS = Path(__file__).resolve().parent.parent / "tests" / "faq_eval" / "multi_turn"
TODAY = date(2026, 12, 6)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def cold(assistant: Assistant) -> None:
    """Forget the questions analysed so far: each timed call starts from nothing."""
    assistant.__dict__.pop("_kept_results", None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="passes over every conversation")
    args = parser.parse_args()
    assistant = Assistant.load()
    dialogues = [d for f in sorted(SETS.glob("*.yaml")) for d in load_dialogues(f)]
    talk: dict[tuple[str, int], list[float]] = {}
    alone: dict[tuple[str, int], list[float]] = {}
    asks: dict[tuple[str, int], int] = {}  # how many questions the turn put to the assistant
    counted = [0]
    engine_ask = assistant.ask

    def counting_ask(*args: Any, **kwargs: Any) -> Any:
        counted[0] += 1
        return engine_ask(*args, **kwargs)

    for _pass in range(args.repeat):
        for d in dialogues:
            conversation = Conversation(assistant, d.id)
            for i, turn in enumerate(d.turns):
                cold(assistant)
                assistant.ask, counted[0] = counting_ask, 0  # type: ignore[method-assign]
                started = time.perf_counter()
                conversation.ask(turn.q, today=TODAY)
                talk.setdefault((d.id, i), []).append(time.perf_counter() - started)
                assistant.ask, asks[d.id, i] = engine_ask, counted[0]  # type: ignore[method-assign]
                whole = conversation.context.question
                cold(assistant)
                started = time.perf_counter()
                assistant.ask(whole, today=TODAY)
                alone.setdefault((d.id, i), []).append(time.perf_counter() - started)
    print(f"{len(dialogues)} conversations, {len(talk)} turns, {args.repeat} passes")
    print("| turns | conversation p50 | alone p50 | context p50 | context p95 | context mean |")
    print("| --- | --- | --- | --- | --- | --- |")
    rows: tuple[tuple[str, Callable[[tuple[str, int]], bool]], ...] = (
        ("all", lambda k: True),
        ("follow-ups", lambda k: k[1] > 0),
        ("follow-ups asked once (no second reading)", lambda k: k[1] > 0 and asks[k] == 1),
        ("follow-ups asked again (alone, with the topic)", lambda k: k[1] > 0 and asks[k] > 1),
    )
    for name, keep in rows:
        keys = [k for k in talk if keep(k)]
        with_ctx = [statistics.median(talk[k]) * 1000 for k in keys]
        without = [statistics.median(alone[k]) * 1000 for k in keys]
        cost = [a - b for a, b in zip(with_ctx, without, strict=True)]
        print(
            f"| {name} ({len(keys)}) | {percentile(with_ctx, 50):.2f} ms "
            f"| {percentile(without, 50):.2f} ms | {percentile(cost, 50):.2f} ms "
            f"| {percentile(cost, 95):.2f} ms | {statistics.mean(cost):.2f} ms |"
        )


if __name__ == "__main__":
    main()
