"""``hosho ask`` and ``hosho faq misses``: the FAQ assistant on the command line."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import shutil
import sys
from datetime import date
from typing import TYPE_CHECKING, Any

from cli.main import CTX, add_group, emit, json_flag, nonneg_int, positive_int, print_table
from core import dates
from core.errors import HoshoError

if TYPE_CHECKING:
    from faq.engine import Answer, Assistant

log = logging.getLogger(__name__)


def _record(question: str, answer: Answer) -> None:
    """Keep an unanswered question for staff; never lets a database problem reach the user."""
    from faq.misses import is_miss, record_miss

    if not is_miss(answer):
        return

    try:
        db = CTX.db
        operator = str(CTX.settings.operator)
    except Exception:
        log.warning("database unavailable: unanswered question not recorded", exc_info=True)
        return
    record_miss(db, question, answer, operator=operator)


def _print_answer(answer: Answer) -> None:
    if sys.stdout.isatty():  # lines broken as the panel breaks them: none starts with 。
        from rich.text import Text

        from faq.render import fold_lines

        width = shutil.get_terminal_size().columns
        print(fold_lines(Text(answer.answer), width).plain)
    else:
        print(answer.answer)
    if not answer.answered and answer.alternatives:
        print("近い候補:")
        for i, alt in enumerate(answer.alternatives, start=1):
            print(f"  {i}. {alt.question}（{alt.score:.2f}）")
    print(f"確信度: {answer.confidence:.2f}")


def ask(a: argparse.Namespace) -> int:
    from faq.engine import Assistant

    question = " ".join(a.question).strip()
    if a.question and not question:  # hosho ask "": not batch mode
        raise HoshoError('質問が空です。質問を入れてください（例: hosho ask "鳥栖市はいつから？"）')
    today = _today(a.today)
    assistant = Assistant.load()
    if not question:
        if sys.stdin.isatty():  # a person at the terminal: a conversation
            return _chat(assistant, a.top, today, as_json=a.json)
        return _batch(assistant, a.top, today)
    answer = assistant.ask(question, top=a.top, today=today)
    if a.json:
        emit(answer.to_json())
    else:
        _print_answer(answer)
    sys.stdout.flush()  # the caller is waiting; keeping the miss can come after
    _record(question, answer)
    return 0


def _today(said: str | None) -> date | None:
    """The day ``--today`` names (西暦 or 和暦), or None for the clock's."""
    if said is None:
        return None
    try:
        return dates.parse_date(said)
    except dates.DateError as exc:
        raise HoshoError(f"--today: {exc}") from None


def _batch(assistant: Assistant, top: int, today: date | None) -> int:
    """One question a line from standard input, one JSON object a line, in order. A plain line
    is a conversation of its own; a JSON line ``{"conversation": "c1", "question": "…"}``
    continues conversation ``c1`` (its answer carries ``conversation`` and ``context``: what was
    carried over from the turn before)."""
    from faq.conversation import Conversation

    conversations: dict[str, Conversation] = {}
    code = 0
    for number, line in enumerate(sys.stdin, start=1):
        text = line.strip()
        if not text:
            continue
        if not text.startswith("{"):
            answer = assistant.ask(text, top=top, today=today)
            emit(answer.to_json())
            sys.stdout.flush()
            _record(text, answer)
            continue
        try:
            turn = json.loads(text)
            name, question = str(turn["conversation"]), str(turn["question"]).strip()
            if not question:
                raise ValueError
        except (ValueError, KeyError, TypeError):
            print(
                f"エラー: {number}行目: JSONの行は "
                '{"conversation": "c1", "question": "質問"} の形にしてください',
                file=sys.stderr,
            )
            code = 1
            continue
        conversation = conversations.setdefault(name, Conversation(assistant, name))
        answer = conversation.ask(question, top=top, today=today)
        carried = conversation.last_carried.to_json()
        emit(answer.to_json() | {"conversation": name, "context": carried})
        sys.stdout.flush()
        _record(question, answer)
    return code


_CHAT_HELP = "質問を入力して Enter。/new で新しい会話、/json でJSON表示の切り替え、終わりは Ctrl+D"


def chat(a: argparse.Namespace) -> int:
    from faq.engine import Assistant

    return _chat(Assistant.load(), a.top, _today(a.today), as_json=a.json)


def _chat(assistant: Assistant, top: int, today: date | None, *, as_json: bool) -> int:
    """A conversation at the terminal: each line a turn (follow-ups carry the turn before),
    with line editing and history where the terminal has them."""
    from faq.conversation import Conversation

    with contextlib.suppress(ImportError):  # not on every platform
        import readline  # noqa: F401  (line editing and history for input())
    conversation = Conversation(assistant)
    if sys.stdin.isatty():
        print(_CHAT_HELP, file=sys.stderr)
    while True:
        try:
            line = input("質問> " if sys.stdin.isatty() else "").strip()
        except EOFError:
            break
        if not line:
            continue
        if line in ("/new", "／new"):
            conversation.reset()
            print("新しい会話を始めます")
            continue
        if line in ("/json", "／json"):
            as_json = not as_json
            print("JSONで表示します" if as_json else "文章で表示します")
            continue
        answer = conversation.ask(line, top=top, today=today)
        if as_json:
            emit(answer.to_json() | {"context": conversation.last_carried.to_json()})
        else:
            _print_answer(answer)
            print()
        sys.stdout.flush()
        _record(line, answer)
    return 0


def misses(a: argparse.Namespace) -> int:
    from faq.misses import list_misses

    groups = list_misses(CTX.db, limit=a.limit)
    if a.json:
        emit([g.to_json() for g in groups])
        return 0
    if not groups:
        print("答えられなかった質問はありません")
        return 0
    rows: list[list[str]] = []
    for g in groups:
        best = "—"
        if g.candidates:  # where a phrasing for this question would go
            first = g.candidates[0]
            best = f"{first.get('entry_id') or '?'}: {first['question']}"
        rows.append(
            [
                str(g.count),
                _when(g.last_at),
                g.question,
                f"{g.best_score:.2f}",
                str(best),
            ]
        )
    print_table(
        ["件数", "最後", "質問（最新の言い方）", "最高点", "最も近いFAQ（id: 言い方）"],
        rows,
        right={0, 3},
    )
    return 0


def _when(value: Any) -> str:
    return f"{dates.format_wareki(value.date())} {value:%H:%M}"


def register(sub: Any) -> None:
    p = sub.add_parser(
        "ask",
        help="質問に回答（FAQ・発注者・支店）",
        description="電話の質問に資料から回答します。質問を省略すると標準入力から1行1問を読み、"
        "1行1件のJSONで答えます。",
    )
    p.add_argument("question", nargs="*", help="質問（例: とすしはいつから電子保証？）")
    p.add_argument("--top", type=nonneg_int, default=3, help="候補の数（既定: 3）")
    p.add_argument(
        "--today",
        help="この日を今日として答える（西暦・和暦。去年・来月や年のない日付の基準。既定: 今日）",
    )
    json_flag(p)
    p.set_defaults(handler=ask)

    p = sub.add_parser(
        "chat",
        help="会話で質問（続けて「じゃあ提出先は？」のように聞ける）",
        description="1行ずつ質問に答えます。前の質問の続き（じゃあ佐賀市は？、FAXは？）は前の話題を"
        "引き継ぎます。/new で新しい会話、/json でJSON表示、終わりは Ctrl+D。",
    )
    p.add_argument("--top", type=nonneg_int, default=3, help="候補の数（既定: 3）")
    p.add_argument("--today", help="この日を今日として答える（西暦・和暦。既定: 今日）")
    json_flag(p)
    p.set_defaults(handler=chat)

    faq = add_group(sub, "faq", "FAQアシスタント")
    p = faq.add_parser("misses", help="答えられなかった質問（同じ質問をまとめ、新しい順）")
    p.add_argument("--limit", type=positive_int, default=50, help="表示する件数（既定: 50）")
    json_flag(p)
    p.set_defaults(handler=misses)
