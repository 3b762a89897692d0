"""Customers (受注者): the list with its search, one customer with its guarantees, the edit
form. Names are shown as typed, never as markup."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Header, Input, Label, Static

from core import dates
from core.customers import FIELDS, CustomerEdit, CustomerView, list_customers
from core.errors import ValidationError
from core.money import format_yen
from core.present import customer_rows, pad
from core.services import CustomerDetail, show_customer
from tui.base import FittedTable, HoshoFooter, HoshoScreenMixin
from tui.forms import CustomerForm

LIMIT = 200  # customers shown at a time; the search finds the others
COLUMNS = (  # label, least cells, share of the rest (FittedTable)
    ("ID", 6, 0),
    ("商号", 16, 3),
    ("商号カナ", 12, 2),
    ("e-Net保証ID", 12, 0),
    ("メール", 16, 2),
    ("電話", 13, 0),
)
GUARANTEE_COLUMNS = (
    "保証契約番号",
    "種別",
    "発注者",
    "工事名・業務名",
    "契約締結日",
    "保証金額",
    "状態",
)


def customer_text(c: CustomerView) -> Text:
    text = Text()
    for label, value in customer_rows(c):
        text.append(pad(label, 16), style="bold")
        text.append(f"{value}\n")
    text.rstrip()
    return text


def requeued_text(edit: CustomerEdit) -> str:
    return (
        f"お知らせ {edit.notices_requeued}件を新しいアドレス {edit.customer.email} 宛てにして"
        "送信待ちに戻しました（x の送信待ちの画面で送信）"
    )


class CustomerEditForm(CustomerForm):
    """修正: the customer's fields prefilled; only those changed are saved (and audited)."""

    def __init__(self, customer: CustomerView) -> None:
        super().__init__()
        self.customer = customer
        self.TITLE_TEXT = f"受注者の修正 — ID {customer.id}（変える項目だけ書き換え）"
        self.DRAFT_KEY = f"customer-edit:{customer.id}"

    def initial(self) -> dict[str, str]:
        c = self.customer
        return {name: str(getattr(c, name) or "") for name in FIELDS}

    def on_mount(self) -> None:
        # Before FormScreen.on_mount puts back a draft: the values as the form opened.
        self.pristine = self.values()

    def action_close(self) -> None:
        values = self.values()
        if values != self.pristine:
            self.hosho.drafts[self.DRAFT_KEY] = values
            self.app.notify("入力内容は下書きとして残してあります", timeout=3)
        else:
            self.hosho.drafts.pop(self.DRAFT_KEY, None)
        self.dismiss(None)

    def save(self, values: dict[str, str], *, confirmed: bool) -> CustomerEdit:
        from core.customers import edit_customer

        start = self.initial()
        changes = {k: v for k, v in values.items() if k in FIELDS and v.strip() != start[k]}
        if not changes:
            raise ValidationError([(None, "変更した項目がありません")])
        return edit_customer(
            self.hosho.database(),
            str(self.customer.id),
            changes,
            confirmed=confirmed,
            operator=self.hosho.settings.operator,
        )


class CustomersScreen(HoshoScreenMixin, Screen[None]):
    """Every customer, searched by 商号, 商号カナ (either script) or e-Net保証 ID."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "戻る", id="customers.back"),
        Binding("slash", "focus_search", "検索", id="customers.search"),
        Binding("e", "edit", "修正", id="customers.edit"),
        Binding("n", "add", "新規受注者", id="customers.add"),
        Binding("f5", "reload", "再読込", id="customers.reload"),
    ]
    DEFAULT_CSS = """
    #customer-bar { height: 3; }
    #customer-search { width: 1fr; }
    #customer-status { width: auto; max-width: 60%; padding: 1 1 0 1; color: $text-muted; }
    #customer-table { height: 1fr; }
    """

    class Loaded(Message):
        def __init__(self, rows: list[CustomerView], query: str) -> None:
            self.rows, self.query = rows, query
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[CustomerView] = []
        self._timer: Timer | None = None
        self._select: int | None = None  # the customer to put the cursor on after loading

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="customer-bar"):
            yield Input(
                placeholder="受注者を検索（商号・商号カナ・e-Net保証ID）", id="customer-search"
            )
            yield Label("読み込み中…", id="customer-status")
        yield FittedTable(COLUMNS, id="customer-table", cursor_type="row", zebra_stripes=True)
        yield HoshoFooter()

    def on_mount(self) -> None:
        self.sub_title = "受注者一覧"
        table = self.query_one(DataTable)
        table.focus()
        self._load()

    def action_reload(self) -> None:
        self._select = self._current_id()
        self._load()

    def _load(self) -> None:
        self._fetch(self.query_one("#customer-search", Input).value)

    @work(thread=True, exclusive=True, group="customers-load", exit_on_error=False)
    def _fetch(self, query: str) -> None:
        rows = self.hosho.fetch(lambda db: list_customers(db, query, limit=LIMIT))
        if rows is not None:
            self.post_message(self.Loaded(rows, query))

    def on_customers_screen_loaded(self, message: Loaded) -> None:
        if message.query != self.query_one("#customer-search", Input).value:
            return  # typed on meanwhile: a newer search is on its way
        self._rows = message.rows
        table = self.query_one(DataTable)
        table.clear()
        for c in message.rows:
            table.add_row(
                Text(str(c.id), justify="right"),
                Text(c.name),
                Text(c.kana or "—"),
                Text(c.enet_id or "—"),
                Text(c.email or "—"),
                Text(c.phone or "—"),
                key=str(c.id),
            )
        at = next((i for i, c in enumerate(message.rows) if c.id == self._select), 0)
        self._select = None
        if message.rows:
            table.move_cursor(row=at, animate=False)
        self.query_one("#customer-status", Label).update(self._status(message))

    def _status(self, message: Loaded) -> str:
        count = len(message.rows)
        if not count:
            if message.query.strip():
                return "該当する受注者はありません"
            return "受注者はまだ登録されていません（n で登録）"
        if count >= LIMIT:
            return f"先頭{count:,}件（検索で絞り込めます）"
        return f"{count:,}件" + ("（検索結果）" if message.query.strip() else "")

    @on(Input.Changed, "#customer-search")
    def _search(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(0.2, self._load)

    @on(Input.Submitted, "#customer-search")
    def _to_table(self) -> None:
        self.query_one(DataTable).focus()

    def action_focus_search(self) -> None:
        self.query_one("#customer-search", Input).focus()

    def _current_id(self) -> int | None:
        table = self.query_one(DataTable)
        if not self._rows or not 0 <= table.cursor_row < len(self._rows):
            return None
        return self._rows[table.cursor_row].id

    def _current(self) -> CustomerView | None:
        cid = self._current_id()
        found = next((c for c in self._rows if c.id == cid), None)
        if found is None:
            self.notify("受注者を選んでください", severity="warning", timeout=3)
        return found

    @on(DataTable.RowSelected, "#customer-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.app.push_screen(CustomerDetailScreen(int(event.row_key.value)))

    def action_edit(self) -> None:
        c = self._current()
        if c is not None:
            self.app.push_screen(CustomerEditForm(c), self._edited)

    def _edited(self, result: CustomerEdit | None) -> None:
        if result is None:
            return
        notify_edit(self, result)
        self._select = result.customer.id
        self._load()

    def action_add(self) -> None:
        self.app.push_screen(CustomerForm(), self._added)

    def _added(self, result: CustomerView | None) -> None:
        if result is None:
            return
        self.notify(f"受注者を登録しました: ID {result.id} {result.name}", markup=False)
        search = self.query_one("#customer-search", Input)
        with search.prevent(Input.Changed):
            search.value = ""  # the new customer is shown among all
        self._select = result.id
        self._load()


def notify_edit(screen: Screen[Any], result: CustomerEdit) -> None:
    c = result.customer
    if not result.changes:
        screen.notify(f"変更はありません: {c.name}", timeout=3, markup=False)
        return
    fields = "・".join(FIELDS[k] for k in result.changes)
    screen.notify(f"受注者を修正しました: {c.name}（{fields}）", markup=False)
    if result.notices_requeued:
        screen.notify(requeued_text(result), timeout=8, markup=False)


class CustomerDetailScreen(HoshoScreenMixin, Screen[None]):
    """One customer: its fields and its guarantees (Enter opens one)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "戻る", id="customer.back"),
        Binding("e", "edit", "修正", id="customer.edit"),
        Binding("f5", "reload", "再読込", id="customer.reload"),
    ]
    DEFAULT_CSS = """
    #customer-detail { padding: 0 1; }
    #customer-fields { height: auto; }
    #customer-guarantees-title { text-style: bold; margin-top: 1; }
    #customer-guarantees { height: auto; max-height: 20; }
    """

    class Loaded(Message):
        def __init__(self, detail: CustomerDetail | None, error: str = "") -> None:
            self.detail, self.error = detail, error
            super().__init__()

    def __init__(self, customer_id: int) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.detail: CustomerDetail | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="customer-detail"):
            yield Static(Text("読み込み中…", style="dim"), id="customer-fields")
            yield Label("保証", id="customer-guarantees-title")
            yield DataTable(id="customer-guarantees", cursor_type="row", zebra_stripes=True)
        yield HoshoFooter()

    def on_mount(self) -> None:
        self.sub_title = f"受注者 ID {self.customer_id}"
        table = self.query_one(DataTable)
        table.add_columns(*GUARANTEE_COLUMNS)
        table.focus()  # Enter opens the guarantee under the cursor
        self._load()

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="customer-load", exit_on_error=False)
    def _load(self) -> None:
        try:
            detail = show_customer(self.hosho.database(), str(self.customer_id))
        except Exception as exc:
            self.post_message(self.Loaded(None, self.hosho.describe_error(exc)))
            return
        self.post_message(self.Loaded(detail))

    def on_customer_detail_screen_loaded(self, message: Loaded) -> None:
        fields = self.query_one("#customer-fields", Static)
        if message.detail is None:
            fields.update(Text(message.error, style="bold red"))
            return
        d = self.detail = message.detail
        self.sub_title = f"受注者 ID {d.customer.id}"
        fields.update(customer_text(d.customer))
        shown = len(d.guarantees)
        title = f"保証 {d.guarantee_count:,}件"
        if shown < d.guarantee_count:
            title += f"（新しい{shown:,}件を表示）"
        if shown:
            title += "  Enter: 保証を開く"
        self.query_one("#customer-guarantees-title", Label).update(title)
        table = self.query_one(DataTable)
        table.clear()
        for g in d.guarantees:
            table.add_row(
                Text(g.guarantee_number),
                Text(g.type),
                Text(g.orderer),
                Text(g.project_name),
                Text(dates.format_wareki(g.contract_date)),
                Text(format_yen(g.amount), justify="right"),
                Text(g.status),
                key=g.guarantee_number,
            )
        if not d.guarantees:
            table.add_row(Text("保証はまだありません", style="dim"), *[""] * 6)

    @on(DataTable.RowSelected, "#customer-guarantees")
    def _open(self, event: DataTable.RowSelected) -> None:
        from tui.guarantees import GuaranteeDetailScreen

        if event.row_key.value:
            self.app.push_screen(GuaranteeDetailScreen(event.row_key.value))

    def action_edit(self) -> None:
        if self.detail is not None:
            self.app.push_screen(CustomerEditForm(self.detail.customer), self._edited)

    def _edited(self, result: CustomerEdit | None) -> None:
        if result is not None:
            notify_edit(self, result)
            self._load()
