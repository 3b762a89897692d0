"""The guarantee list (first screen) and the guarantee detail view."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Input, Label, Select, Static

from core import dates, services
from core.errors import HoshoError
from core.money import format_yen
from core.terms import GType, Status

if TYPE_CHECKING:
    from tui.app import HoshoApp

PAGE = 100
COLUMNS = ("保証契約番号", "契約締結日", "種別", "受注者", "発注者", "保証金額", "状態")


def row_cells(g: services.GuaranteeView) -> tuple[str | Text, ...]:
    return (
        g.guarantee_number,
        dates.format_wareki(g.contract_date),
        g.type,
        g.customer,
        g.orderer,
        Text(format_yen(g.amount), justify="right"),
        g.status,
    )


class GuaranteeTable(DataTable[Any]):
    pass


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


class GuaranteeListScreen(Screen[None]):
    """All guarantees, newest 契約締結日 first; filters apply as you type."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "絞り込み", id="list.filter"),
        Binding("escape", "clear_filter", "解除", id="list.clear", show=False),
        Binding("f5", "reload", "再読込", id="list.reload"),
        Binding("n", "new_guarantee", "新規保証", id="list.new_guarantee"),
        Binding("u", "new_customer", "新規受注者", id="list.new_customer"),
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

    @property
    def hosho(self) -> HoshoApp:
        return self.app  # type: ignore[return-value]

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
        status = self.query_one("#filter-status", Label)
        try:
            self._filter = services.parse_filter(limit=PAGE, **self.query_one(FilterBar).values())
        except HoshoError as exc:
            status.update(Text("　".join(str(exc).splitlines()), style="bold red"))
            return  # the typed text stays; the table keeps its last good result
        self._token += 1
        self._loaded, self._more = 0, True
        status.update("検索中…")
        self._load_page(self._filter, 0, self._token)
        self._count(self._filter, self._token)

    @work(thread=True, exclusive=True, group="page", exit_on_error=False)
    def _load_page(self, f: services.GuaranteeFilter, offset: int, token: int) -> None:
        db = self.hosho.database()
        try:
            rows = services.search_guarantees(db, dataclasses.replace(f, offset=offset))
        except Exception as exc:  # shown in the status line, never a traceback
            self.post_message(self.Failed(self.hosho.describe_error(exc), token))
            return
        self.post_message(self.Page(rows, offset, token))

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
        self._loaded = message.offset + len(message.rows)
        self._more = len(message.rows) == PAGE
        status = self.query_one("#filter-status", Label)
        if message.offset == 0 and not message.rows:
            status.update("条件に合う保証はありません")
        elif "件" not in str(status.render()):
            status.update(f"{self._loaded:,}件を表示")

    def on_guarantee_list_screen_counted(self, message: Counted) -> None:
        if message.token == self._token:
            self.query_one("#filter-status", Label).update(
                f"全{message.total:,}件（新しい契約締結日順。下へ進むと続きを読み込みます）"
            )

    def on_guarantee_list_screen_failed(self, message: Failed) -> None:
        if message.token == self._token:
            self.query_one("#filter-status", Label).update(Text(message.text, style="bold red"))

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


class GuaranteeDetailScreen(Screen[None]):
    """Every field, the eligibility verdict with its reasons, deadlines and warnings."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "戻る", id="detail.back"),
        Binding("f5", "reload", "再読込", id="detail.reload"),
    ]

    class Loaded(Message):
        def __init__(self, view: services.GuaranteeView | None, error: str = "") -> None:
            self.view, self.error = view, error
            super().__init__()

    def __init__(self, number: str) -> None:
        super().__init__()
        self.number = number

    @property
    def hosho(self) -> HoshoApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="detail"):
            yield Static(id="fields")
            yield Static(id="verdict")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"保証契約番号 {self.number}"
        self.action_reload()

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _load(self) -> None:
        try:
            view = services.get_guarantee(self.hosho.database(), self.number)
        except Exception as exc:
            self.post_message(self.Loaded(None, self.hosho.describe_error(exc)))
            return
        self.post_message(self.Loaded(view))

    def on_guarantee_detail_screen_loaded(self, message: Loaded) -> None:
        if message.view is None:
            self.query_one("#fields", Static).update(Text(message.error, style="bold red"))
            return
        self.query_one("#fields", Static).update(fields_text(message.view))
        self.query_one("#verdict", Static).update(verdict_text(message.view))


def _wareki(d: Any) -> str:
    return dates.format_wareki(d) if d else "—"


def fields_text(g: services.GuaranteeView) -> Text:
    rows = [
        ("保証契約番号", g.guarantee_number),
        ("種別", g.type),
        ("状態", g.status),
        ("受注者", f"{g.customer}（ID {g.customer_id}）"),
        ("発注者", g.orderer + (f"（{g.orderer_prefecture}）" if g.orderer_prefecture else "")),
        ("工事名・業務名", g.project_name),
        ("契約の種類", g.contract_kind),
        ("請負金額", format_yen(g.contract_amount)),
        ("保証金額", format_yen(g.amount)),
        ("契約締結日", _wareki(g.contract_date)),
        ("入札公告日", _wareki(g.announcement_date)),
        ("落札日", _wareki(g.award_date)),
        ("工期", f"{_wareki(g.period_start)} 〜 {_wareki(g.period_end)}"),
        ("保証期限", _wareki(g.guarantee_end)),
        ("前払金取扱金融機関", g.bank or "—"),
        ("申込経路・交付方法", f"{g.channel}・{g.delivery}"),
        ("e-Net割引", format_yen(g.fee_discount) if g.fee_discount else "なし"),
    ]
    if g.original_contract_date:
        rows.append(("当初の契約締結日", _wareki(g.original_contract_date)))
    text = Text()
    for label, value in rows:
        text.append(pad(label, 20), style="bold")
        text.append(f"{value}\n")
    return text


def pad(label: str, cells: int) -> str:
    """Pad to a width in terminal cells (full-width characters take two)."""
    return label + " " * max(1, cells - cell_len(label))


_VERDICT = {True: ("電子証書にできます", "green"), False: ("電子証書にできません（書面）", "red")}
_MARK = {True: ("○", "green"), False: ("×", "red"), None: ("△", "yellow")}


def verdict_text(g: services.GuaranteeView) -> Text:
    text = Text()
    v = g.eligibility
    if v:
        label, style = _VERDICT.get(v["eligible"], ("要確認", "yellow"))
        text.append("\n電子証書: ", style="bold")
        text.append(label + "\n", style=f"bold {style}")
        for r in v.get("reason_details", []):
            mark, mark_style = _MARK[r["ok"]]
            text.append(f"  {mark} ", style=mark_style)
            text.append(r["text"])
            if r.get("source"):
                when = _wareki(dates.parse_date(r["as_of"])) if r.get("as_of") else ""
                text.append(f"（出典: {r['source']} {when}時点）", style="dim")
            text.append("\n")
        text.append("提出: ", style="bold")
        text.append(v["submission"] + "\n")
    for d in g.deadlines:
        text.append("期限: ", style="bold magenta")
        text.append(d.label + "\n")
    for w in g.warnings:
        text.append("注意: ", style="bold yellow")
        text.append(w + "\n")
    return text
