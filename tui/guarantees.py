"""The guarantee list (first screen) and the guarantee detail view."""

from __future__ import annotations

import dataclasses
import gc
import threading
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.geometry import Region
from textual.message import Message
from textual.screen import Screen
from textual.strip import Strip
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Input, Label, Select, Static

from core import dates, present, services
from core.errors import HoshoError
from core.money import format_yen
from core.present import guarantee_rows, pad, wareki
from core.terms import GType, Status
from tui.base import HoshoScreenMixin

if TYPE_CHECKING:
    pass

PAGE = 50
COLUMNS = ("保証契約番号", "契約締結日", "種別", "受注者", "発注者", "保証金額", "状態")


def row_cells(g: services.GuaranteeView) -> tuple[Text, ...]:
    """Plain text, never markup: a 商号 may hold "[" (and the table skips parsing it)."""
    return (
        Text(g.guarantee_number),
        Text(dates.format_wareki(g.contract_date)),
        Text(g.type),
        Text(g.customer),
        Text(g.orderer),
        Text(format_yen(g.amount), justify="right"),
        Text(g.status),
    )


class GuaranteeTable(DataTable[Any]):
    """The list's table; ``when_drawn`` runs a callback once the table has next been drawn."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._when_drawn: list[Callable[[], object]] = []

    def when_drawn(self, callback: Callable[[], object]) -> None:
        self._when_drawn.append(callback)

    def render_lines(self, crop: Region) -> list[Strip]:
        lines = super().render_lines(crop)
        for callback in self._when_drawn:
            self.call_later(callback)
        self._when_drawn.clear()
        return lines


class FilterBar(Horizontal):
    """契約締結日 range, customer, orderer, amount range, type, status."""

    def compose(self) -> ComposeResult:
        yield Input(placeholder="締結日(自) R8.4.1", id="f-from", classes="date")
        yield Input(placeholder="締結日(至)", id="f-to", classes="date")
        yield Input(placeholder="受注者", id="f-customer")
        yield Input(placeholder="発注者", id="f-orderer")
        yield Input(placeholder="金額(下限)", id="f-min", classes="amount")
        yield Input(placeholder="金額(上限)", id="f-max", classes="amount")
        yield Select([(t.value, t.value) for t in GType], prompt="種別", id="f-type")
        yield Select([(s.value, s.value) for s in Status], prompt="状態", id="f-status")

    def values(self) -> dict[str, Any]:
        def text(widget_id: str) -> str:
            return self.query_one(f"#{widget_id}", Input).value

        def choice(widget_id: str) -> str | None:
            value = self.query_one(f"#{widget_id}", Select).value
            return value if isinstance(value, str) else None

        return {
            "date_from": text("f-from"),
            "date_to": text("f-to"),
            "customer": text("f-customer"),
            "orderer": text("f-orderer"),
            "min_amount": text("f-min"),
            "max_amount": text("f-max"),
            "type": choice("f-type"),
            "status": choice("f-status"),
        }


class GuaranteeListScreen(HoshoScreenMixin, Screen[None]):
    """All guarantees, newest 契約締結日 first; filters apply as you type."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "絞り込み", id="list.filter"),
        Binding("escape", "clear_filter", "解除", id="list.clear", show=False),
        Binding("f5", "reload", "再読込", id="list.reload"),
        Binding("n", "new_guarantee", "新規保証", id="list.new_guarantee"),
        Binding("u", "new_customer", "新規受注者", id="list.new_customer"),
        Binding("e", "export", "書き出し", id="list.export", show=False),
        Binding("r", "report", "集計", id="list.report", show=False),
    ]

    class Page(Message):
        def __init__(self, rows: list[services.GuaranteeView], offset: int, token: int) -> None:
            self.rows, self.offset, self.token = rows, offset, token
            super().__init__()

    class Counted(Message):
        def __init__(self, total: int, token: int) -> None:
            self.total, self.token = total, token
            super().__init__()

    class Failed(Message):
        def __init__(self, text: str, token: int) -> None:
            self.text, self.token = text, token
            super().__init__()

    def __init__(self) -> None:
        super().__init__(id="guarantees")
        self._filter = services.GuaranteeFilter(limit=PAGE)
        self._token = 0  # results of an older filter are dropped
        self._loaded = 0
        self._more = True
        self._debounce: Timer | None = None
        self._warm_timer: Timer | None = None
        self._shown = threading.Event()  # the first rows are on screen

    def compose(self) -> ComposeResult:
        yield Header()
        yield FilterBar(id="filters")
        yield Label("", id="filter-status")
        yield GuaranteeTable(id="guarantee-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(GuaranteeTable)
        for name in COLUMNS:
            table.add_column(name, key=name)
        table.focus()
        self.refresh_rows()

    # --- filtering -------------------------------------------------------------------

    @on(Input.Changed, "#filters Input")
    @on(Select.Changed, "#filters Select")
    def _filters_changed(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(0.25, self.refresh_rows)

    def refresh_rows(self) -> None:
        """Re-run the search with the filter bar's values (in a worker)."""
        try:
            self._filter = services.parse_filter(limit=PAGE, **self.query_one(FilterBar).values())
        except HoshoError as exc:
            self._say(Text("　".join(str(exc).splitlines()), style="bold red"))
            return  # the typed text stays; the table keeps its last good result
        self._token += 1
        self._loaded, self._more = 0, True
        self._say("検索中…")
        self._load_page(self._filter, 0, self._token)

    @work(thread=True, exclusive=True, group="page", exit_on_error=False)
    def _load_page(self, f: services.GuaranteeFilter, offset: int, token: int) -> None:
        try:
            db = self.hosho.database()
            rows = services.search_guarantees(db, dataclasses.replace(f, offset=offset))
        except Exception as exc:  # shown in the status line, never a traceback
            self.post_message(self.Failed(self.hosho.describe_error(exc), token))
            return
        self.post_message(self.Page(rows, offset, token))
        self._shown.wait(timeout=1)  # building it meanwhile would slow the first screen
        self.hosho.warm_orderers()  # once

    @work(thread=True, exclusive=True, group="count", exit_on_error=False)
    def _count(self, f: services.GuaranteeFilter, token: int) -> None:
        try:
            total = services.count_guarantees(self.hosho.database(), f)
        except Exception:
            return
        self.post_message(self.Counted(total, token))

    def on_guarantee_list_screen_page(self, message: Page) -> None:
        if message.token != self._token:
            return
        table = self.query_one(GuaranteeTable)
        if message.offset == 0:
            table.clear()
        for g in message.rows:
            table.add_row(*row_cells(g), key=g.guarantee_number)
        if self._warm_timer is None:  # once the list has been left alone for a second
            self._warm_timer = self.set_timer(1.0, self.hosho.warm_up)
        else:
            self._warm_timer.reset()  # no effect once it has run
        self._loaded = message.offset + len(message.rows)
        self._more = len(message.rows) == PAGE
        if message.offset == 0 and not self._more:  # the whole result is on screen
            self._show_total(self._loaded)
        elif message.offset == 0 or "件" not in str(self._status.render()):
            self._say(f"{self._loaded:,}件を表示")
        if message.offset == 0:
            table.when_drawn(partial(self._rows_drawn, message.token, self._more))

    def _rows_drawn(self, token: int, count: bool) -> None:
        """A new result is on screen. Only now count its total (meanwhile it would slow the
        rows), and collect the table's line caches for the rows they replaced: cyclic garbage
        that otherwise piles up into one long pause (40-80 ms here) in a later refresh."""
        if count and token == self._token:
            self._count(self._filter, token)
        if not self._shown.is_set():
            gc.freeze()  # the first screen stays for the session: keep the collector off it
            self._shown.set()
        gc.collect()

    def on_guarantee_list_screen_counted(self, message: Counted) -> None:
        if message.token == self._token:
            self._show_total(message.total)

    def _show_total(self, total: int) -> None:
        if total:
            self._say(f"全{total:,}件（新しい契約締結日順。下へ進むと続きを読み込みます）")
        else:
            self._say(self._empty_text())

    @property
    def _status(self) -> Label:
        return self.query_one("#filter-status", Label)

    def _say(self, content: str | Text) -> None:
        """The status line: one line of fixed size, so no layout pass is needed."""
        self._status.update(content, layout=False)

    def _empty_text(self) -> str:
        if self._filter == services.GuaranteeFilter(limit=PAGE):
            return "保証はまだ登録されていません（n で登録）"
        return "条件に合う保証はありません"

    def on_guarantee_list_screen_failed(self, message: Failed) -> None:
        if message.token == self._token:
            self._say(Text(message.text, style="bold red"))

    @on(DataTable.RowHighlighted)
    def _maybe_load_more(self, event: DataTable.RowHighlighted) -> None:
        if self._more and event.cursor_row >= self._loaded - 10:
            self._more = False  # one request at a time
            self._load_page(self._filter, self._loaded, self._token)

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.app.push_screen(GuaranteeDetailScreen(event.row_key.value))

    # --- actions ---------------------------------------------------------------------

    def action_focus_filter(self) -> None:
        self.query_one("#f-from", Input).focus()

    def action_clear_filter(self) -> None:
        for widget in self.query("#filters Input").results(Input):
            widget.value = ""
        for select in self.query("#filters Select").results(Select):
            select.clear()
        self.query_one(GuaranteeTable).focus()

    def action_reload(self) -> None:
        self.refresh_rows()

    def action_new_guarantee(self) -> None:
        self.hosho.action_new_guarantee()

    def action_new_customer(self) -> None:
        self.hosho.action_new_customer()

    def action_export(self) -> None:
        """Every row the filter bar matches, to a CSV or Excel file (asks where)."""
        from tui.reports import start_export

        try:
            f = services.parse_filter(limit=PAGE, **self.query_one(FilterBar).values())
        except HoshoError as exc:
            self.app.notify(str(exc), severity="error", markup=False)
            return
        start_export(self, f)

    def action_report(self) -> None:
        self.hosho.action_report()


class GuaranteeDetailScreen(HoshoScreenMixin, Screen[None]):
    """Every field, the eligibility verdict with its reasons, deadlines, warnings, what to do
    with a paper certificate, the certificate history, and the actions: issue, show/copy the
    認証キー, the notice, 変更 and 訂正, 取消 and 完了・解約."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "戻る", id="detail.back"),
        Binding("i", "issue", "証書発行", id="detail.issue"),
        Binding("k", "toggle_key", "認証キー表示", id="detail.reveal"),
        Binding("c", "copy_key", "キーをコピー", id="detail.copy"),
        Binding("p", "preview", "お知らせ・証書", id="detail.preview"),
        Binding("m", "send_mail", "メール送信", id="detail.send"),
        Binding("e", "change(True)", "変更", id="detail.change"),
        Binding("t", "change(False)", "訂正", id="detail.correct"),
        Binding("d", "cancel_guarantee", "取消", id="detail.cancel"),
        Binding("f", "close_guarantee", "完了・解約", id="detail.close"),
        Binding("f5", "reload", "再読込", id="detail.reload"),
    ]
    DEFAULT_CSS = """
    #history { height: auto; max-height: 10; margin-top: 1; }
    #history-title { text-style: bold; margin-top: 1; }
    """

    class Loaded(Message):
        def __init__(
            self,
            view: services.GuaranteeView | None,
            history: list[Any] | None = None,
            error: str = "",
            paper: list[str] | None = None,
        ) -> None:
            self.view, self.history, self.error = view, history or [], error
            self.paper = paper or []
            super().__init__()

    class Done(Message):
        """An action finished: a notification, and whether to reload."""

        def __init__(self, text: str, severity: str = "information", reload: bool = True) -> None:
            self.text, self.severity, self.reload = text, severity, reload
            super().__init__()

    class Ask(Message):
        def __init__(self, question: str, details: str) -> None:
            self.question, self.details = question, details
            super().__init__()

    class Show(Message):
        def __init__(self, screen: Any) -> None:
            self.screen = screen
            super().__init__()

    class Correct(Message):
        """Open the 訂正 form with ``needed`` fields marked (a 保証証書 needs them)."""

        def __init__(self, needed: list[str]) -> None:
            self.needed = needed
            super().__init__()

    def __init__(self, number: str) -> None:
        super().__init__()
        self.number = number
        self.view: services.GuaranteeView | None = None
        self.history: list[Any] = []
        self.revealed: dict[int, str] = {}  # version -> key, only while this screen is open

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="detail"):
            yield Static(id="fields")
            yield Static(id="verdict")
            yield Static(id="paper")
            yield Label("証書の履歴", id="history-title")
            yield DataTable(id="history", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"保証契約番号 {self.number}"
        self.query_one("#history", DataTable).add_columns(
            "版", "区分", "変更契約日", "交付", "認証キー", "発行日時", "発行者", "お知らせ"
        )
        self.action_reload()

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="detail-load", exit_on_error=False)
    def _load(self) -> None:
        from core import certificates

        try:
            db = self.hosho.database()
            view = services.get_guarantee(db, self.number)
            history = certificates.list_certificates(db, self.number)
            paper = certificates.paper_guidance(view, history[-1].delivery if history else None)
        except Exception as exc:
            self.post_message(self.Loaded(None, error=self.hosho.describe_error(exc)))
            return
        self.post_message(self.Loaded(view, history, paper=paper))

    def on_guarantee_detail_screen_loaded(self, message: Loaded) -> None:
        if message.view is None:
            self.query_one("#fields", Static).update(Text(message.error, style="bold red"))
            return
        self.view, self.history = message.view, message.history
        self.query_one("#fields", Static).update(fields_text(message.view))
        self.query_one("#verdict", Static).update(verdict_text(message.view))
        self.query_one("#paper", Static).update(paper_text(message.paper))
        table = self.query_one("#history", DataTable)
        table.clear()
        notice = {"pending": "送信待ち", "sending": "送信中", "sent": "送信済", "failed": "失敗"}
        for c in message.history:
            key = self.revealed.get(c.version, c.auth_key) if c.auth_key else "—"
            local = c.issued_at.astimezone()
            table.add_row(
                f"第{c.version}版",
                c.kind,
                wareki(c.change_date) if c.change_date else "—",
                c.delivery,
                key,
                f"{dates.format_wareki(local.date())} {local:%H:%M}",
                Text(c.issued_by),  # a name as set: never markup
                notice.get(c.notice_status or "", "—"),
            )
        if not message.history:
            table.add_row("—", "未発行", "", "", "", "", "", "")

    # --- actions -----------------------------------------------------------------------

    def on_guarantee_detail_screen_done(self, message: Done) -> None:
        self.app.notify(
            message.text,
            severity=message.severity,  # type: ignore[arg-type]
            timeout=6,
            markup=False,  # errors quote names as typed
        )
        if message.reload:
            self.action_reload()

    def on_guarantee_detail_screen_show(self, message: Show) -> None:
        self.app.push_screen(message.screen)

    def on_guarantee_detail_screen_ask(self, message: Ask) -> None:
        from tui.dialogs import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                self._issue(confirmed=True)

        self.app.push_screen(ConfirmScreen(message.question, message.details), answered)

    def action_issue(self) -> None:
        self._issue(confirmed=False)

    @work(thread=True, exclusive=True, group="detail-action", exit_on_error=False)
    def _issue(self, confirmed: bool) -> None:
        from core import certificates

        try:
            r = self.hosho.issue(certificates.issue_certificate, self.number, confirmed=confirmed)
        except certificates.NeedsConfirmation as exc:
            self.post_message(self.Ask("発注者に確認済みとして電子証書を発行しますか？", str(exc)))
            return
        except certificates.MissingPaperFields as exc:
            # Say which fields, and open the 訂正 of the record with them marked.
            self.post_message(self.Done(str(exc), "error", reload=False))
            self.post_message(self.Correct(exc.fields))
            return
        except Exception as exc:
            self.post_message(self.Done(self.hosho.describe_error(exc), "error", reload=False))
            return
        mail = "お知らせメールは送信待ち（m で送信）" if r.notice_queued else "お知らせメールなし"
        text = f"第{r.version}版（{r.kind}・{r.delivery}）を発行しました。{mail}"
        for w in r.warnings:
            text += f"\n{w}"
        self.post_message(self.Done(text, "warning" if r.warnings else "information"))

    def _latest_key(self) -> tuple[int, str]:
        from core import certificates

        db = self.hosho.database()
        versions = certificates.list_certificates(db, self.number)
        latest = next((c for c in reversed(versions) if c.auth_key), None)
        if latest is None:
            raise HoshoError("電子証書の認証キーはありません（未発行または書面）")
        key = certificates.reveal_auth_key(
            db, self.number, latest.version, operator=self.hosho.settings.operator
        )  # audited
        return latest.version, key

    def action_toggle_key(self) -> None:
        if self.revealed:
            self.revealed.clear()
            self.action_reload()
        else:
            self._reveal(copy=False)

    def action_copy_key(self) -> None:
        self._reveal(copy=True)

    @work(thread=True, exclusive=True, group="detail-action", exit_on_error=False)
    def _reveal(self, copy: bool) -> None:
        try:
            version, key = self._latest_key()
        except Exception as exc:
            self.post_message(self.Done(self.hosho.describe_error(exc), "error", reload=False))
            return
        if copy:
            from tui.dialogs import copy_to_system_clipboard

            self.app.call_from_thread(self.app.copy_to_clipboard, key)  # OSC 52
            also = "（システムのクリップボードにも）" if copy_to_system_clipboard(key) else ""
            self.post_message(
                self.Done(f"第{version}版の認証キーをコピーしました{also}", reload=False)
            )
            return
        self.revealed[version] = key
        self.post_message(self.Done(f"第{version}版の認証キーを表示しました（記録されます）"))

    def action_preview(self) -> None:
        self._preview()

    @work(thread=True, exclusive=True, group="detail-action", exit_on_error=False)
    def _preview(self) -> None:
        from core import certificates
        from mailer.render import render_document
        from tui.certs import NoticePreview

        try:
            doc = certificates.certificate_document(self.hosho.database(), self.number)
            text = render_document(doc, "text").decode("utf-8")
        except Exception as exc:
            self.post_message(self.Done(self.hosho.describe_error(exc), "error", reload=False))
            return
        self.post_message(self.Show(NoticePreview(self.number, text, doc.auth_key, doc.delivery)))

    def action_send_mail(self) -> None:
        self._send_mail()

    @work(thread=True, exclusive=True, group="detail-action", exit_on_error=False)
    def _send_mail(self) -> None:
        from mailer.outbox import send_pending

        try:
            report = send_pending(self.hosho.database(), self.hosho.settings)
        except Exception as exc:
            self.post_message(self.Done(self.hosho.describe_error(exc), "error", reload=False))
            return
        text = f"送信 {report.sent}件、再送予定 {report.retrying}件、失敗 {report.failed}件"
        if report.stopped:
            text += f"（{report.stopped}）"
        self.post_message(self.Done(text, "information" if report.ok else "error"))

    def action_change(self, change: bool) -> None:
        self._open_change(change)

    def on_guarantee_detail_screen_correct(self, message: Correct) -> None:
        self._open_change(False, message.needed)

    def _refused(self, action: Any) -> bool:
        """Say at once (no form) when the guarantee's state does not allow ``action``; core
        refuses it anyway."""
        from core import lifecycle

        g = self.view
        if g is None:
            return True
        try:
            status = Status(g.status)
        except ValueError:
            return False
        if action in lifecycle.ALLOWED[status]:
            return False
        error = lifecycle.refusal(g.guarantee_number, g.status, action, g.closed_on)
        self.app.notify(str(error), severity="error", timeout=8, markup=False)
        return True

    def _open_change(self, change: bool, needed: list[str] | None = None) -> None:
        from core import certificates
        from core.lifecycle import Action
        from core.terms import CertKind
        from tui.certs import ChangeForm

        g = self.view
        if g is None or self._refused(Action.CHANGE if change else Action.CORRECT):
            return
        issued = bool(self.history)
        if change and not issued:
            self.app.notify(
                "まだ証書を発行していません。変更は発行した証書について記録します"
                "（発行前の記録の誤りは t（訂正）で直せます）",
                severity="error",
                timeout=8,
            )
            return
        current = {
            "amount": f"{g.amount:,}",
            "contract_amount": f"{g.contract_amount:,}",
            "contract_date": wareki(g.contract_date),
            "period_start": wareki(g.period_start),
            "period_end": wareki(g.period_end),
            "guarantee_end": wareki(g.guarantee_end),
            "project": g.project_name,
            "bank": g.bank,
        }
        kind = CertKind.CHANGE if change else CertKind.CORRECTION

        def saved(result: Any) -> None:
            if result is None:
                return
            if isinstance(result, certificates.RecordCorrection):
                self.app.notify("記録を訂正しました（証書はまだ発行していません。i で発行）")
            else:
                self.app.notify(f"{kind.value}を記録し、第{result.version}版を発行しました")
            for w in getattr(result, "warnings", ()):
                self.app.notify(w, severity="warning", timeout=8, markup=False)
            self.action_reload()

        form = ChangeForm(self.number, kind, current, issued=issued, needed=needed)
        self.app.push_screen(form, saved)

    def action_cancel_guarantee(self) -> None:
        from core.lifecycle import Action
        from tui.lifecycle_forms import CancelForm

        if self._refused(Action.CANCEL):
            return

        def saved(result: Any) -> None:
            if result is not None:
                self.app.notify(f"保証契約番号 {self.number} を取り消しました", markup=False)
                self._changed_status()

        self.app.push_screen(CancelForm(self.number), saved)

    def action_close_guarantee(self) -> None:
        from core.lifecycle import Action
        from tui.lifecycle_forms import CloseForm

        if self._refused(Action.CLOSE):
            return

        def saved(result: Any) -> None:
            if result is not None:
                self.app.notify(
                    f"保証契約番号 {self.number} を{result.status}にしました", markup=False
                )
                self._changed_status()

        self.app.push_screen(CloseForm(self.number), saved)

    def _changed_status(self) -> None:
        self.action_reload()
        for screen in self.app.screen_stack:  # the list shows the new status too
            if isinstance(screen, GuaranteeListScreen):
                screen.refresh_rows()


def fields_text(g: services.GuaranteeView) -> Text:
    rows = guarantee_rows(g)
    text = Text()
    for label, value in rows:
        text.append(pad(label, 20), style="bold")
        text.append(f"{value}\n")
    return text


_STYLES = {"ok": "green", "no": "red", "check": "yellow"}


def paper_text(lines: list[str]) -> Text:
    """What to do with a paper certificate (core.certificates.paper_guidance)."""
    text = Text()
    if lines:
        text.append("書面の保証証書\n", style="bold")
    for line in lines:
        text.append("  ・")
        text.append(line + "\n")
    return text


def verdict_text(g: services.GuaranteeView) -> Text:
    text = Text()
    if g.eligibility:
        v = present.verdict(g.eligibility)
        text.append("\n電子証書: ", style="bold")
        text.append(v.label + "\n", style=f"bold {_STYLES[v.tone]}")
        for r in v.reasons:
            text.append(f"  {r.mark} ", style=_STYLES[r.tone])
            text.append(r.text)
            if r.source:
                text.append(r.source, style="dim")
            text.append("\n")
        text.append("提出: ", style="bold")
        text.append(v.submission + "\n")
    for d in g.deadlines:
        text.append("期限: ", style="bold magenta")
        text.append(d.label + "\n")
    for w in g.warnings:
        text.append("注意: ", style="bold yellow")
        text.append(w + "\n")
    return text
