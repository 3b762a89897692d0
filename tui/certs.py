"""Certificates in the terminal: confirmations, 変更/訂正 forms, the notice preview, the outbox."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Header, Input, Label, Static

from core import certificates
from core.errors import ValidationError
from core.terms import CertKind
from tui.base import HoshoFooter, HoshoScreenMixin
from tui.form_base import (
    AMOUNT_WIDTH,
    ASK_AGAIN,
    DATE_WIDTH,
    AskFirst,
    Field,
    FormScreen,
    wareki_echo,
    yen_echo,
)

if TYPE_CHECKING:
    pass


class ChangeForm(FormScreen):
    """変更 or 訂正: only the fields typed are changed; the next version gets a new key.

    Before the first issue (``issued`` False) a 訂正 fixes the record only. ``needed`` names
    fields a paper 保証証書 needs that are empty: they are marked when the form opens."""

    def __init__(
        self,
        number: str,
        kind: CertKind,
        current: dict[str, str],
        *,
        issued: bool = True,
        needed: list[str] | None = None,
    ) -> None:
        super().__init__()
        self.number, self.kind, self.current = number, kind, current
        self.issued, self.needed = issued, needed or []
        if issued:
            self.TITLE_TEXT = f"{kind.value}の記録（保証契約番号 {number}）— 変える項目だけ入力"
        else:
            self.TITLE_TEXT = (
                f"記録の訂正（保証契約番号 {number}・証書の発行前）— 直す項目だけ入力。"
                "証書はまだ発行しません"
            )
        self.DRAFT_KEY = f"{kind.value}:{number}"

    def fields(self) -> list[Field]:
        out = []
        if self.kind is CertKind.CHANGE:
            out.append(
                Field(
                    "change_date",
                    "変更契約日",
                    Input(id="input-change_date", placeholder="例: R8.10.1"),
                    "変更契約を結んだ日（契約締結日以後）",
                    width=DATE_WIDTH,
                    echo=wareki_echo,
                )
            )
        for name, (_, _, label) in certificates.CHANGEABLE.items():
            widget = Input(id=f"input-{name}", placeholder=self.current.get(name, ""))
            if name.endswith("amount"):
                out.append(Field(name, label, widget, width=AMOUNT_WIDTH, echo=yen_echo))
            elif name in ("project", "bank"):
                out.append(Field(name, label, widget))
            else:
                out.append(Field(name, label, widget, width=DATE_WIDTH, echo=wareki_echo))
        return out

    def on_mount(self) -> None:
        # (FormScreen.on_mount runs after this one and focuses the first field; the first
        # field needed is focused once both have run.)
        for name in self.needed:
            self.show_error(name, "保証証書に記載するため入力してください")
        if self.needed:
            self.call_after_refresh(self.query_one(f"#input-{self.needed[0]}", Input).focus)

    def submit(self, values: dict[str, str]) -> Any:
        typed = {k: v for k, v in values.items() if v.strip()}
        change_date = typed.pop("change_date", None)
        try:
            if not self.issued:
                return certificates.correct_record(
                    self.hosho.database(),
                    self.number,
                    typed,
                    operator=self.hosho.settings.operator,
                )
            return self.hosho.issue(
                certificates.change_guarantee,
                self.number,
                typed,
                kind=self.kind,
                confirmed=self.confirmed,
                change_date=change_date,
            )
        except certificates.NeedsConfirmation as exc:
            # Asked here (はい/いいえ), not the command line's way in the message.
            facts = str(exc).split("。発注者に確認できたら")[0]
            raise AskFirst(
                [(None, f"{facts}。発注者に確認できたら、{ASK_AGAIN}")],
                "発注者に確認済みとして電子証書を発行しますか？",
                f"{facts}。\n\nはい(y)で、発注者に確認済みとして{self.kind.value}を記録し発行します。"
                "いいえ(n)で入力に戻ります（記録しません）",
            ) from None
        except certificates.MissingPaperFields as exc:
            # Beside the fields to fill, and the whole sentence below.
            items: list[tuple[str | None, str]] = [
                (name, "保証証書に記載するため入力してください") for name in exc.fields
            ]
            raise ValidationError([*items, (None, str(exc))]) from None


class NoticePreview(HoshoScreenMixin, ModalScreen[None]):
    """The 認証キー等のお知らせ (or the paper 保証証書) as text, key masked, and saving its PDF
    under the name staff hand it out with."""

    DEFAULT_CSS = """
    NoticePreview { align: center middle; }
    NoticePreview > Vertical { width: 100; max-height: 90%; border: thick $accent;
        background: $surface; padding: 0 1; }
    NoticePreview VerticalScroll { height: auto; max-height: 24; }
    NoticePreview Horizontal { height: auto; }
    NoticePreview Input { width: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "閉じる", id="preview.close"),
        Binding("ctrl+s", "save", "PDFを保存", id="preview.save"),
    ]

    class Saved(Message):
        def __init__(self, text: str, ok: bool) -> None:
            self.text, self.ok = text, ok
            super().__init__()

    def __init__(self, number: str, text: str, key: str | None, delivery: str = "電子") -> None:
        super().__init__()
        self.number, self.delivery = number, delivery
        self.preview = text.replace(key, "＊" * len(key)) if key else text

    def compose(self) -> ComposeResult:
        default = Path.home() / certificates.document_filename(self.number, self.delivery)
        with Vertical():
            with VerticalScroll():
                yield Static(Text(self.preview))
            with Horizontal():
                yield Input(str(default), id="save-path")
                yield Button("PDFを保存 (Ctrl+S)", variant="primary", id="save")
            yield Label("", id="save-status")

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        self._save(self.query_one("#save-path", Input).value)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _save(self, path_text: str) -> None:
        from core.files import check_output, write_file
        from mailer.render import render_document

        try:
            check_output(path_text)  # before the document is made
            doc = certificates.certificate_document(
                self.hosho.database(),
                self.number,
                operator=self.hosho.settings.operator,
                purpose="pdf",
            )
            path = write_file(path_text, render_document(doc, "pdf"), private=True)  # the key
        except Exception as exc:
            self.post_message(self.Saved(self.hosho.describe_error(exc), False))
            return
        self.post_message(self.Saved(f"保存しました: {path}", True))

    def on_notice_preview_saved(self, message: Saved) -> None:
        style = "green" if message.ok else "bold red"
        self.query_one("#save-status", Label).update(Text(message.text, style=style))


class OutboxScreen(HoshoScreenMixin, Screen[None]):
    """Notices waiting, sent and failed; send now or retry everything."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "戻る", id="outbox.back"),
        Binding("f5", "reload", "再読込", id="outbox.reload"),
        Binding("s", "send(False)", "送信", id="outbox.send"),
        Binding("r", "send(True)", "すべて再送", id="outbox.retry_all"),
    ]

    class Loaded(Message):
        def __init__(self, rows: list[Any]) -> None:
            self.rows = rows
            super().__init__()

    class Sent(Message):
        def __init__(self, text: str, ok: bool) -> None:
            self.text, self.ok = text, ok
            super().__init__()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("", id="outbox-status")
        yield DataTable(id="outbox-table", cursor_type="row", zebra_stripes=True)
        yield HoshoFooter()

    def on_mount(self) -> None:
        self.sub_title = "送信待ちのお知らせ"
        self.query_one(DataTable).add_columns(
            "状態", "保証契約番号", "版", "宛先", "試行", "次回", "最後のエラー"
        )
        self.action_reload()

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="outbox-load", exit_on_error=False)
    def _load(self) -> None:
        from mailer.outbox import list_outbox

        rows = self.hosho.fetch(list_outbox)
        if rows is not None:
            self.post_message(self.Loaded(rows))

    def on_outbox_screen_loaded(self, message: Loaded) -> None:
        table = self.query_one(DataTable)
        table.clear()
        labels = {"pending": "送信待ち", "sending": "送信中", "sent": "送信済", "failed": "失敗"}
        for r in message.rows:
            nxt = (
                r.next_attempt_at.astimezone().strftime("%m/%d %H:%M") if r.next_attempt_at else "—"
            )
            style = {"failed": "bold red", "sent": "green"}.get(r.status, "yellow")
            table.add_row(
                Text(labels.get(r.status, r.status), style=style),
                r.guarantee_number,
                str(r.version),
                Text(r.recipient),  # as typed, and the server's words: never markup
                str(r.attempts),
                nxt,
                Text(r.last_error or ""),
            )
        waiting = sum(r.status in ("pending", "failed") for r in message.rows)
        self.query_one("#outbox-status", Label).update(
            f"{len(message.rows)}件（未送信 {waiting}件）"
            "  s: 期限の来たものを送信  r: すべて今すぐ再送"
        )

    def action_send(self, all_: bool) -> None:
        self.query_one("#outbox-status", Label).update("送信中…")
        self._send(all_)

    @work(thread=True, exclusive=True, group="outbox-send", exit_on_error=False)
    def _send(self, all_: bool) -> None:
        from mailer.outbox import send_pending

        try:
            report = send_pending(self.hosho.database(), self.hosho.settings, all_)
        except Exception as exc:
            self.post_message(self.Sent(self.hosho.describe_error(exc), False))
            return
        text = f"送信 {report.sent}件、再送予定 {report.retrying}件、失敗 {report.failed}件"
        if report.stopped:
            text += f"（{report.stopped}）"
        self.post_message(self.Sent(text, report.ok))

    def on_outbox_screen_sent(self, message: Sent) -> None:
        self.app.notify(
            message.text, severity="information" if message.ok else "error", markup=False
        )
        self.action_reload()
