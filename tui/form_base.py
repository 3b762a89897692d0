"""The form every form screen is built on: fields with their errors beside them, Ctrl+S to
save, Esc to close keeping the draft; nothing typed is lost.

As many fields as the terminal holds: one line each (label, input and, for a short input, its
hint beside it), an error line only under a field refused, two columns on a wide terminal, the
label above its input only on a narrow one. The status line and the buttons stay in sight; the
fields scroll between them."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import Resize
from textual.message import Message
from textual.screen import ModalScreen
from textual.visual import VisualType
from textual.widget import Widget
from textual.widgets import Button, Footer, Input, Label, Select, Static

from core import dates
from core.customers import CONFIRM_HINT as SAME_NAME_HINT
from core.errors import ValidationError
from core.lifecycle import CONFIRM_HINT as DUPLICATE_HINT
from core.money import parse_yen
from tui.base import HoshoFooter, HoshoScreenMixin

TWO_COLUMNS_FROM = 150  # terminal columns from which a form of many fields shows two columns
TWO_COLUMNS_FIELDS = 6  # fewer fields than this stay in one column
STACKED_BELOW = 64  # a form narrower than this puts each label above its input
AMOUNT_WIDTH = 20  # 「1億5000万」「150,000,000」 and the cursor, whole
DATE_WIDTH = 20  # 「令和8年10月31日」「2026-04-01」 and the cursor, whole

# How a form asks again; the command line says it with a flag instead.
ASK_AGAIN = "もう一度保存（Ctrl+S）して、確認で「はい(y)」を選んでください"
_SCREEN_WORDS = (
    (DUPLICATE_HINT, f"。二重登録ではなく別の保証として登録するなら、{ASK_AGAIN}"),
    (SAME_NAME_HINT, f"。別の会社として登録するなら、{ASK_AGAIN}"),
    (
        "発注者に確認できたら --confirmed を付けて発行してください",
        f"発注者に確認できたら、{ASK_AGAIN}",
    ),
)
_CLI_FLAG = re.compile(r"\s?--[a-z][a-z-]*")


def screen_words(text: str) -> str:
    """A message from core as staff read it in a form: the command line's way of going ahead
    (``--confirmed`` and the like, shared with the CLI in core) becomes the form's."""
    for cli, ui in _SCREEN_WORDS:
        text = text.replace(cli, ui)
    return _CLI_FLAG.sub("", text)


def wareki_echo(text: str) -> str | None:
    """→ 令和8年4月1日 for a date as it is typed (None until it reads as one)."""
    try:
        return f"→ {dates.format_wareki(dates.parse_date(text))}"
    except dates.DateError:
        return None


def yen_echo(text: str) -> str | None:
    """→ 150,000,000円 for an amount as it is typed (None until it reads as one)."""
    try:
        return f"→ {parse_yen(text):,}円"
    except ValidationError:
        return None


def named(title: str, text: str) -> str:
    """「保証金額: 金額を読み取れません」: a field's message naming the field (once)."""
    base = unicodedata.normalize("NFKC", title).split("(")[0]  # 工期(自) → 工期
    if unicodedata.normalize("NFKC", text).startswith(base):
        return text
    return f"{title}: {text}"


class AskFirst(ValidationError):
    """Saving needs staff's yes first (a duplicate, a 要確認): the form shows ``problems`` as
    usual, asks ``question`` with ``details`` (in the form's words: はい(y)/いいえ(n)), and on
    yes saves again with ``confirmed`` set."""

    def __init__(self, problems: list[tuple[str | None, str]], question: str, details: str) -> None:
        super().__init__(problems)
        self.question, self.details = question, details


class FieldLine(Label):
    """A field's hint or error line: plain text (never markup: it may quote what staff
    typed), and no room taken while empty, so that a form fits on a small terminal."""

    def __init__(self, text: str, *, classes: str, id: str) -> None:
        super().__init__(text, markup=False, classes=classes, id=id)
        self.display = bool(text)

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        super().update(content, layout=layout)
        self.display = bool(str(content))


class Field(Vertical):
    """Label and input on a line; a short input (``width`` cells: amounts, dates) has its
    hint beside it, a long one below it; the error line, below, only while there is an error.

    ``echo`` turns what is typed into the hint shown (→ 令和8年4月1日); None keeps ``hint``.
    (Not a Grid: a grid sizes a row spanning both columns by the first column's width, so a
    long error message pushed the next line far down.)"""

    DEFAULT_CSS = """
    Field { height: auto; }
    Field > .field-row { height: auto; }
    Field .field-label { width: 20; height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    Field .field-widget { width: 1fr; }
    Field .field-note { width: 1fr; height: auto; padding-left: 1; color: $text-muted; }
    Field > .field-below { width: 1fr; height: auto; }
    Field > .field-hint { color: $text-muted; }
    Field > .field-error { color: $error; }
    Field.-error .field-label { color: $error; text-style: bold; }
    Field.-error Input, Field.-error SelectCurrent { background-tint: $error 25%; }
    """

    def __init__(
        self,
        name: str,
        label: str,
        widget: Any,
        hint: str = "",
        *,
        width: int | None = None,
        echo: Callable[[str], str | None] | None = None,
    ) -> None:
        super().__init__(id=f"field-{name}")
        self.field_name, self.label, self.widget, self.hint = name, label, widget, hint
        self.width, self.echo = width, echo

    @property
    def title(self) -> str:
        """The label as a message names the field: 「保証金額」, without its 「 *」."""
        return self.label.removesuffix("*").strip()

    def compose(self) -> ComposeResult:
        self.widget.add_class("field-widget")
        if self.width is not None:
            self.widget.styles.width = self.width
        hint = FieldLine(self.hint, classes="field-hint", id=f"hint-{self.field_name}")
        with Horizontal(classes="field-row"):
            yield Label(self.label, classes="field-label", markup=False)
            yield self.widget
            if self.width is not None:
                yield hint.add_class("field-note")
        if self.width is None:
            yield hint.add_class("field-below")
        yield FieldLine("", classes="field-error field-below", id=f"error-{self.field_name}")

    @property
    def error_line(self) -> FieldLine:
        return self.query_one(".field-error", FieldLine)

    @property
    def error_text(self) -> str:
        return str(self.error_line.render())

    def add_error(self, text: str) -> None:
        self.error_line.update(f"{self.error_text}\n{text}".strip())
        self.add_class("-error")

    def clear_error(self) -> None:
        self.error_line.update("")
        self.remove_class("-error")

    def show_echo(self, value: str) -> None:
        """The hint for what is typed now (the field's own hint when empty or unreadable)."""
        if self.echo is None:
            return
        shown = self.echo(value) if value.strip() else None
        self.query_one(f"#hint-{self.field_name}", FieldLine).update(shown or self.hint)

    def focus_target(self) -> Widget | None:
        """Where the cursor goes for this field: the input (or its first part)."""
        widget = self.widget
        return next((w for w in [widget, *widget.query("*")] if w.focusable), None)


class _Body(VerticalScroll):
    """The fields, scrolling: when it gets smaller (the status line grew, the terminal
    shrank), the field with the cursor stays in sight."""

    def on_resize(self) -> None:
        self.call_after_refresh(self.show_focused)

    def show_focused(self) -> None:
        focused = self.screen.focused
        if focused is None or self not in focused.ancestors:
            return
        field = next((w for w in focused.ancestors if isinstance(w, Field)), focused)
        self.scroll_to_widget(field, animate=False)


class _Fitted(Horizontal):
    """The form's foot (status line and buttons): when its height changes (a longer
    message), the fields give way, so that it stays in sight."""

    def on_resize(self) -> None:
        screen = self.screen
        if isinstance(screen, FormScreen):
            screen.call_after_refresh(screen._fit)


class FormScreen(HoshoScreenMixin, ModalScreen[Any]):
    """A form whose values survive errors and Esc (kept as a draft in the app)."""

    DEFAULT_CSS = """
    FormScreen { align: center middle; }
    FormScreen > #form-frame { width: 1fr; max-width: 130; height: auto; max-height: 100%;
        margin: 0 2; border: thick $accent; padding: 0 1; background: $surface; }
    FormScreen.-two-columns > #form-frame { max-width: 100%; }
    FormScreen .form-title { text-style: bold; }
    FormScreen #form-body { height: auto; scrollbar-size-vertical: 1; }
    FormScreen #form-columns { height: auto; layout: vertical; }
    FormScreen .form-column { height: auto; width: 1fr; }
    FormScreen.-two-columns #form-columns { layout: horizontal; }
    FormScreen.-two-columns #form-column-2 { margin-left: 3; }
    FormScreen #form-foot { height: auto; margin-top: 1; }
    FormScreen #form-error { width: 1fr; height: auto; max-height: 4; }
    FormScreen.-stacked #form-foot { layout: vertical; }
    FormScreen.-stacked .form-buttons { margin-top: 1; }
    FormScreen .form-buttons { width: auto; height: 1; }
    FormScreen .form-buttons Button { margin-left: 2; }
    FormScreen Input.-textual-compact { background: $surface-lighten-1; }
    FormScreen Select.-textual-compact > SelectCurrent { background: $surface-lighten-1; }
    /* every other field a shade lighter: boxes on adjacent lines stay apart */
    FormScreen Field:even Input.-textual-compact { background: $surface-lighten-2; }
    FormScreen Field:even Select.-textual-compact > SelectCurrent {
        background: $surface-lighten-2; }
    FormScreen Input.-textual-compact:focus { background: $primary 30%; }
    FormScreen Select.-textual-compact:focus > SelectCurrent { background: $primary 30%; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "閉じる（下書きを保持）", id="form.close"),
        Binding("ctrl+s", "save", "保存", id="form.save"),
    ]
    TITLE_TEXT = ""
    DRAFT_KEY = ""
    # The field that starts the second column on a wide terminal (else half of them).
    SECOND_COLUMN: ClassVar[str] = ""
    confirmed = False  # staff answered yes to the form's question (AskFirst); for one save

    class Saved(Message):
        def __init__(self, result: Any) -> None:
            self.result = result
            super().__init__()

    class Refused(Message):
        def __init__(self, error: ValidationError | None, text: str = "") -> None:
            self.error, self.text = error, text
            super().__init__()

    def fields(self) -> list[Field]:
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        fields = self.fields()
        self._label_width = min(24, max(8, *(cell_len(f.label) + 1 for f in fields)))
        self._many = len(fields) >= TWO_COLUMNS_FIELDS
        names = [f.field_name for f in fields]
        split = (
            names.index(self.SECOND_COLUMN)
            if self.SECOND_COLUMN in names
            else math.ceil(len(fields) / 2)
        )
        if not self._many:
            split = len(fields)
        with Vertical(id="form-frame"):
            yield Static(Text(self.TITLE_TEXT), classes="form-title")  # may hold a name
            with _Body(id="form-body"), Horizontal(id="form-columns"):
                with Vertical(classes="form-column", id="form-column-1"):
                    yield from fields[:split]
                with Vertical(classes="form-column", id="form-column-2"):
                    yield from fields[split:]
            with _Fitted(id="form-foot"):
                yield Label("", id="form-error", markup=False)
                with Horizontal(classes="form-buttons"):
                    yield Button("保存 (Ctrl+S)", variant="primary", id="save", compact=True)
                    yield Button("閉じる (Esc)", id="close", compact=True)
        yield HoshoFooter()  # this form's keys (not those of the screen behind it)

    def on_mount(self) -> None:
        self.query_one("#form-body").can_focus = False  # Tab goes from field to field
        for widget in self.query("Input, Select, Checkbox, TextArea"):
            widget.compact = True  # type: ignore[attr-defined]  # one line each
        self._arrange()
        draft = self.hosho.drafts.get(self.DRAFT_KEY, {})
        for name, value in draft.items():
            for widget in self.query(f"#input-{name}"):
                if isinstance(widget, Input) or (isinstance(widget, Select) and value):
                    widget.value = value
        if draft:
            self.set_status("下書きを復元しました")
        first = self.query(Input).first()
        first.focus()

    # --- layout: as many fields as fit -------------------------------------------------

    def on_resize(self, event: Resize) -> None:
        self._arrange()

    def _arrange(self) -> None:
        """Two columns on a wide terminal, labels above inputs on a narrow one; the labels
        as wide as the longest, whole."""
        width = self.size.width
        self.set_class(width >= TWO_COLUMNS_FROM and self._many, "-two-columns")
        stacked = width - 8 < STACKED_BELOW
        self.set_class(stacked, "-stacked")
        label = self._label_width
        for field in self.query(Field).results(Field):
            field.query_one(".field-row").styles.layout = "vertical" if stacked else "horizontal"
            field.query_one(".field-label").styles.width = "1fr" if stacked else label
            for line in field.query(".field-below"):
                line.styles.margin = (0, 0, 0, 0 if stacked else label)
        self.call_after_refresh(self._fit)

    def _fit(self) -> None:
        """The fields scroll; the title, the status line and the buttons stay in sight."""
        frame = self.query_one("#form-frame")
        body = self.query_one("#form-body")
        chrome = frame.styles.gutter.height + sum(
            w.outer_size.height + w.styles.margin.height
            for w in frame.children
            if w is not body and w.display
        )
        room = self.size.height - sum(f.outer_size.height for f in self.query(Footer))
        body.styles.max_height = max(3, room - chrome)

    def set_status(self, text: str | Text) -> None:
        """The line beside the buttons: what happened, what is wrong."""
        self.query_one("#form-error", Label).update(text)
        self.call_after_refresh(self._fit)

    # --- values, drafts ----------------------------------------------------------------

    def values(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for widget in self.query(Input).results(Input):
            if widget.id and widget.id.startswith("input-"):
                out[widget.id.removeprefix("input-")] = widget.value
        for select in self.query(Select).results(Select):
            if select.id and select.id.startswith("input-"):
                value = select.value
                out[select.id.removeprefix("input-")] = value if isinstance(value, str) else ""
        return out

    @on(Input.Changed)
    def _echo(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("input-")
        for field in self.query(f"#field-{name}").results(Field):
            field.show_echo(event.value)

    def action_close(self) -> None:
        values = self.values()
        if any(v.strip() for v in values.values()):
            self.hosho.drafts[self.DRAFT_KEY] = values
            self.app.notify("入力内容は下書きとして残してあります", timeout=3)
        self.dismiss(None)

    @on(Button.Pressed, "#close")
    def _close_button(self) -> None:
        self.action_close()

    @on(Button.Pressed, "#save")
    def _save_button(self) -> None:
        self.action_save()

    # --- saving ------------------------------------------------------------------------

    def action_save(self) -> None:
        for field in self.query(Field).results(Field):
            field.clear_error()
        self.set_status("保存中…")
        self._save(self.values())

    def submit(self, values: dict[str, str]) -> Any:
        raise NotImplementedError

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _save(self, values: dict[str, str]) -> None:
        try:
            result = self.submit(values)
        except ValidationError as exc:
            self.post_message(self.Refused(exc))
            return
        except Exception as exc:
            self.post_message(self.Refused(None, self.hosho.describe_error(exc)))
            return
        self.post_message(self.Saved(result))

    def screen_text(self, text: str) -> str:
        """A message as this form says it (subclasses add their own words)."""
        return screen_words(text)

    def show_error(self, name: str | None, text: str) -> bool:
        """``text`` under field ``name``; False when the form has no such field."""
        for field in self.query(Field).results(Field):
            if name and field.field_name == name:
                field.add_error(self.screen_text(text))
                return True
        return False

    def on_form_screen_refused(self, message: Refused) -> None:
        self.confirmed = False
        general: list[str] = [self.screen_text(message.text)] if message.text else []
        error = message.error
        if error is not None:
            general += [self.screen_text(t) for n, t in error.items if not self.show_error(n, t)]
        bad = [f for f in self.query(Field).results(Field) if f.has_class("-error")]
        lines = [*general]
        if bad:
            first = named(bad[0].title, bad[0].error_text.splitlines()[0])
            if len(bad) > 1:
                first += f"。ほか{len(bad) - 1}項目も確認してください"
            lines.insert(0, first)
        self.set_status(Text("\n".join(lines), style="bold red"))
        dialog = self.ask(error)
        if dialog is not None:

            def answered(yes: bool | None) -> None:
                if yes:
                    self.confirmed = True
                    self.action_save()

            self.app.push_screen(dialog, answered)
        elif bad:
            self._show_field(bad[0])

    def ask(self, error: ValidationError | None) -> ModalScreen[bool] | None:
        """The question to ask before saving again, if the refusal is one (AskFirst)."""
        from tui.dialogs import ConfirmScreen

        if isinstance(error, AskFirst):
            return ConfirmScreen(error.question, error.details)
        return None

    def _show_field(self, field: Field) -> None:
        """The cursor to a field, scrolled into sight (on a small terminal it may not be)."""
        target = field.focus_target()
        if target is not None:
            target.focus(scroll_visible=False)
        self.call_after_refresh(self.query_one(_Body).show_focused)

    def on_form_screen_saved(self, message: Saved) -> None:
        self.confirmed = False
        self.hosho.drafts.pop(self.DRAFT_KEY, None)
        self.dismiss(message.result)
