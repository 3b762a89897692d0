"""The FAQ assistant (F1 from any screen) as a chat: Enter answers the question and clears the
box; the conversation (follow-ups carry the turn before: じゃあ提出先は？) scrolls above it."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from core import dates
from faq.render import fold_lines
from tui.base import HoshoScreenMixin

if TYPE_CHECKING:
    from faq.engine import Answer, Assistant
    from tui.app import HoshoApp

_LOCK = threading.Lock()


def assistant_for(app: HoshoApp) -> Assistant:
    """Built once per app, in a worker thread (the Japanese analyser takes a moment)."""
    with _LOCK:
        if app.assistant is None:
            from faq.engine import Assistant

            app.assistant = Assistant.load()
        return app.assistant  # type: ignore[no-any-return]


def source_line(a: Answer) -> str:
    """「出典: 文書（和暦時点）」 for an answer whose text does not end with it already."""
    if "出典" in a.answer:
        return ""
    when = f"（{dates.format_wareki(dates.parse_date(a.as_of))}時点）" if a.as_of else ""
    return f"出典: {a.source}{when}"


def answer_text(a: Answer) -> Text:
    text = Text()
    if a.answered:
        text.append(a.answer.rstrip() + "\n\n")
        if source := source_line(a):
            text.append(f"{source}　", style="italic")
        text.append(f"確信度 {a.confidence:.0%}", style="dim")
        if a.matched:
            text.append(f"\n近い質問: {a.matched}", style="dim")
    else:
        text.append(a.answer or "該当する回答が見つかりません", style="bold yellow")
        if a.alternatives:
            text.append("\n下の候補から選ぶと、その回答を表示します。", style="dim")
    return text


class FaqScreen(HoshoScreenMixin, ModalScreen[None]):
    """The conversation's questions and answers with source, as-of date and confidence;
    alternatives and the session's questions are selectable; one key copies the last answer;
    Ctrl+N starts a new conversation."""

    DEFAULT_CSS = """
    FaqScreen { align: center middle; }
    FaqScreen > Vertical { width: 96%; max-width: 170; height: 94%; border: thick $accent;
        background: $surface; padding: 0 1; }
    FaqScreen #faq-answer { height: 1fr; padding: 1 0; }
    FaqScreen Horizontal { height: 12; }
    FaqScreen OptionList { width: 1fr; height: 100%; }
    FaqScreen .faq-caption { text-style: bold; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "閉じる", id="faq.close"),
        Binding("ctrl+y", "copy_answer", "回答をコピー", id="faq.copy"),
        Binding("ctrl+l", "focus_question", "質問欄へ", id="faq.question"),
        Binding("ctrl+n", "new_conversation", "新しい会話", id="faq.new"),
        Binding("down", "to_candidates", "候補へ", show=False, id="faq.candidates"),
    ]

    class Answered(Message):
        def __init__(self, question: str, answer: Answer | None, error: str = "") -> None:
            self.question, self.answer, self.error = question, answer, error
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self.current: Answer | None = None
        self.talk = Text()  # the conversation so far
        self.shown: Text | None = None  # what the answer area shows, before line breaking

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(
                "FAQアシスタント — お客様の質問をそのまま入力して Enter", classes="faq-caption"
            )
            yield Input(
                placeholder="例: 紙の契約書でも電子の保証書は使えますか / とすしの認証キーの提出先",
                id="faq-input",
            )
            with VerticalScroll(id="faq-answer"):
                yield Static("", id="faq-text")
            with Horizontal():
                with Vertical():
                    yield Label("候補", classes="faq-caption")
                    yield OptionList(id="faq-alternatives", markup=False)
                with Vertical():
                    yield Label("この時間の質問", classes="faq-caption")
                    yield OptionList(id="faq-history", markup=False)  # as typed

    def on_mount(self) -> None:
        history = self.query_one("#faq-history", OptionList)
        for question, _ in self.hosho.faq_history:
            history.add_option(Option(question))
        self.query_one("#faq-input", Input).focus()
        self._warm()

    def _conversation(self) -> Any:
        """The app's conversation (kept while the panel is closed), made on first use."""
        from faq.conversation import Conversation

        app: Any = self.hosho
        if getattr(app, "faq_conversation", None) is None:
            app.faq_conversation = Conversation(assistant_for(self.hosho))
        return app.faq_conversation

    @work(thread=True, group="faq-warm", exit_on_error=False)
    def _warm(self) -> None:
        assistant_for(self.hosho)

    @on(Input.Submitted, "#faq-input")
    def _submitted(self, event: Input.Submitted) -> None:
        question = event.value.strip()
        if question:
            event.input.value = ""  # the next caller's question starts on an empty box
            waiting = self.talk.copy()
            waiting.append(f"質問: {question}\n", style="bold")
            waiting.append("回答を探しています…", style="dim")
            self._put(waiting)
            self._ask(question)

    @work(thread=True, exclusive=True, group="faq-ask", exit_on_error=False)
    def _ask(self, question: str) -> None:
        try:
            answer = self._conversation().ask(question)
        except Exception as exc:
            self.post_message(self.Answered(question, None, self.hosho.describe_error(exc)))
            return
        self.post_message(self.Answered(question, answer))
        from faq.misses import is_miss, record_miss

        if is_miss(answer):
            # record_miss logs, never raises: a miss that is not recorded hides nothing
            record_miss(
                self.hosho.database(), question, answer, operator=self.hosho.settings.operator
            )

    def on_faq_screen_answered(self, message: Answered) -> None:
        if message.answer is None:
            self._put(self.talk + Text(message.error, style="bold red"))
            return
        if self.talk:
            self.talk.append("\n\n")
        self.talk.append(f"質問: {message.question}\n", style="bold")
        self.talk.append_text(answer_text(message.answer))
        self._show(message.answer)
        self.hosho.faq_history.append((message.question, message.answer))
        self.query_one("#faq-history", OptionList).add_option(Option(message.question))

    def _put(self, text: Text) -> None:
        """Show ``text`` in the answer area, broken to its width (行頭禁則)."""
        self.shown = text
        shown = self.query_one("#faq-text", Static)
        # two cells for the scrollbar the answer area shows once it is full
        shown.update(fold_lines(text, shown.content_size.width - 2))

    def on_resize(self) -> None:
        if self.shown is not None:
            self._put(self.shown)

    def _show(self, answer: Answer, *, alone: bool = False) -> None:
        """The conversation with ``answer`` last (``alone``: a past answer, shown by itself)."""
        self.current = answer
        self._put(answer_text(answer) if alone else self.talk)
        self.query_one("#faq-answer", VerticalScroll).scroll_end(animate=False)
        alternatives = self.query_one("#faq-alternatives", OptionList)
        alternatives.clear_options()
        for alt in answer.alternatives:
            alternatives.add_option(
                Option(f"{alt.question}（一致度 {alt.score:.2f}）", id=alt.question)
            )

    @on(OptionList.OptionSelected, "#faq-alternatives")
    def _alternative(self, event: OptionList.OptionSelected) -> None:
        question = event.option.id or str(event.option.prompt)
        self.query_one("#faq-input", Input).value = question
        self._ask(question)

    @on(OptionList.OptionSelected, "#faq-history")
    def _past(self, event: OptionList.OptionSelected) -> None:
        question, answer = self.hosho.faq_history[event.option_index]
        self.query_one("#faq-input", Input).value = question
        self._show(answer, alone=True)

    def action_copy_answer(self) -> None:
        if self.current is None or not self.current.answered:
            self.app.notify("コピーする回答がありません", severity="warning")
            return
        a = self.current
        text = "\n".join(filter(None, [a.answer.rstrip(), source_line(a)]))  # 出典 once
        self.app.copy_to_clipboard(text)
        from tui.dialogs import copy_to_system_clipboard

        copy_to_system_clipboard(text)
        self.app.notify("回答をコピーしました")

    def action_focus_question(self) -> None:
        self.query_one("#faq-input", Input).focus()

    def action_new_conversation(self) -> None:
        """Ctrl+N: the next question starts afresh (the session's questions stay listed)."""
        conversation = getattr(self.hosho, "faq_conversation", None)
        if conversation is not None:
            conversation.reset()
        self.talk = Text()
        self.current = None
        self.query_one("#faq-text", Static).update(Text("新しい会話です。", style="dim"))
        self.query_one("#faq-alternatives", OptionList).clear_options()
        self.query_one("#faq-input", Input).focus()

    def action_to_candidates(self) -> None:
        """↓ from the question box: to the candidates (or the session's questions)."""
        if not isinstance(self.focused, Input):
            return
        candidates = self.query_one("#faq-alternatives", OptionList)
        target = (
            candidates if candidates.option_count else self.query_one("#faq-history", OptionList)
        )
        target.focus()
        if target.option_count and target.highlighted is None:
            target.highlighted = 0


def open_faq(app: Any) -> None:
    if not isinstance(app.screen, FaqScreen):
        app.push_screen(FaqScreen())
