"""The form every form screen is built on: fields with their errors beside them, Ctrl+S to
save, Esc to close keeping the draft; nothing typed is lost."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.visual import VisualType
from textual.widgets import Button, Input, Label, Select, Static

from core.errors import ValidationError
from tui.base import HoshoScreenMixin

if TYPE_CHECKING:
    pass


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
    """Label and input on a row, then the lines for its hint and its error message.

    (Not a Grid: a grid sizes a row spanning both columns by the first column's width, so
    a long error message pushed the next line far down.)"""

    DEFAULT_CSS = """
    Field { height: auto; }
    Field > .field-row { height: auto; }
    Field > .field-row > .field-label { width: 20; padding: 1 1 0 0; }
    Field > .field-row > .field-widget { width: 1fr; }
    Field > .field-error { color: $error; width: 100%; height: auto; padding-left: 21; }
    Field > .field-hint { color: $text-muted; width: 100%; height: auto; padding-left: 21; }
    """

    def __init__(self, name: str, label: str, widget: Any, hint: str = "") -> None:
        super().__init__(id=f"field-{name}")
        self.field_name, self.label, self.widget, self.hint = name, label, widget, hint

    def compose(self) -> ComposeResult:
        self.widget.add_class("field-widget")
        with Horizontal(classes="field-row"):
            yield Label(self.label, classes="field-label")
            yield self.widget
        yield FieldLine(self.hint, classes="field-hint", id=f"hint-{self.field_name}")
        yield FieldLine("", classes="field-error", id=f"error-{self.field_name}")


class FormScreen(HoshoScreenMixin, ModalScreen[Any]):
    """A form whose values survive errors and Esc (kept as a draft in the app)."""

    DEFAULT_CSS = """
    FormScreen { align: center middle; }
    FormScreen > VerticalScroll { width: 96; max-width: 100%; height: auto; max-height: 90%;
        border: thick $accent; padding: 0 1; background: $surface; }
    FormScreen .form-title { text-style: bold; padding: 1 0 0 0; }
    FormScreen .form-buttons { height: auto; align: right middle; padding: 1 0; }
    FormScreen #form-error { color: $error; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "閉じる（下書きを保持）", id="form.close"),
        Binding("ctrl+s", "save", "保存", id="form.save"),
    ]
    TITLE_TEXT = ""
    DRAFT_KEY = ""

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
        with VerticalScroll():
            yield Static(Text(self.TITLE_TEXT), classes="form-title")  # may hold a name
            yield from self.fields()
            yield Label("", id="form-error")
            with Horizontal(classes="form-buttons"):
                yield Button("保存 (Ctrl+S)", variant="primary", id="save")
                yield Button("閉じる (Esc)", id="close")

    def on_mount(self) -> None:
        draft = self.hosho.drafts.get(self.DRAFT_KEY, {})
        for name, value in draft.items():
            for widget in self.query(f"#input-{name}"):
                if isinstance(widget, Input) or (isinstance(widget, Select) and value):
                    widget.value = value
        if draft:
            self.query_one("#form-error", Label).update("下書きを復元しました")
        first = self.query(Input).first()
        first.focus()

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

    def action_save(self) -> None:
        for label in self.query(".field-error").results(Label):
            label.update("")
        self.query_one("#form-error", Label).update("保存中…")
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

    def on_form_screen_refused(self, message: Refused) -> None:
        general: list[str] = [message.text] if message.text else []
        if message.error is not None:
            for name, text in message.error.items:
                targets = list(self.query(f"#error-{name}").results(Label)) if name else []
                if targets:
                    current = str(targets[0].render())
                    targets[0].update(f"{current}\n{text}".strip())
                else:
                    general.append(text)
        summary = "入力を確認してください" if message.error else ""
        self.query_one("#form-error", Label).update(
            Text("\n".join([summary, *general]).strip(), style="bold red")
        )
        self._show_first_error()

    def _show_first_error(self) -> None:
        """Go to the first field refused (on a small terminal it may be scrolled away)."""
        for field in self.query(Field).results(Field):
            if str(field.query_one(".field-error", Label).render()):
                widget = field.widget
                focusable = [widget, *widget.query("*")]
                target = next((w for w in focusable if w.focusable), None)
                if target is not None:
                    target.focus(scroll_visible=False)
                self.call_after_refresh(field.scroll_visible, animate=False)
                return
        self.query_one("#form-error", Label).scroll_visible(animate=False)

    def on_form_screen_saved(self, message: Saved) -> None:
        self.hosho.drafts.pop(self.DRAFT_KEY, None)
        self.dismiss(message.result)
