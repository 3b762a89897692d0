"""Dialogs every screen uses: a yes/no question with its facts, the same-name warning, and
copying to the desktop clipboard."""

from __future__ import annotations

import shutil
import subprocess
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from core.customers import CustomerView
from tui.base import HoshoScreenMixin


def copy_to_system_clipboard(text: str) -> bool:
    """Besides OSC 52 (done by the app), try the desktop clipboard tools that exist."""
    for cmd in (
        ["wl-copy"],
        ["xclip", "-selection", "clipboard"],
        ["xsel", "-b", "-i"],
        ["pbcopy"],
    ):
        if shutil.which(cmd[0]):
            try:
                subprocess.run(cmd, input=text.encode(), check=True, timeout=2)
                return True
            except (OSError, subprocess.SubprocessError):
                continue
    return False


class ConfirmScreen(HoshoScreenMixin, ModalScreen[bool]):
    """A yes/no question with the facts that prompted it."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 90; height: auto; max-height: 80%; border: thick $warning;
        background: $surface; padding: 1 2; }
    ConfirmScreen Horizontal { height: auto; align: right middle; padding-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "answer(False)", "いいえ", id="confirm.no"),
        Binding("y", "answer(True)", "はい", id="confirm.yes"),
    ]

    def __init__(self, question: str, details: str) -> None:
        super().__init__()
        self.question, self.details = question, details

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.question, style="bold"))
            yield Static(Text(self.details))  # it quotes names: never markup
            with Horizontal():
                yield Button("はい (y)", variant="warning", id="yes")
                yield Button("いいえ (n)", id="no")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class SameNameScreen(ConfirmScreen):
    """Another customer has the same 商号: save this one as another company?"""

    def __init__(self, duplicates: list[CustomerView]) -> None:
        super().__init__("同じ商号の受注者が既に登録されています。別の会社として保存しますか？", "")
        self.duplicates = duplicates

    def compose(self) -> ComposeResult:
        details = Text()
        for c in self.duplicates:
            details.append("・" + c.label + "\n")
        details.append("\n同じ会社なら「いいえ」を選び、登録済みの受注者を使ってください。")
        with Vertical():
            yield Static(Text(self.question, style="bold"))
            yield Static(details)
            with Horizontal():
                yield Button("はい (y)", variant="warning", id="yes")
                yield Button("いいえ (n)", id="no")
