"""Read-only screens: the orderers browser, the audit log, the key help."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Header, Input, Label, ListItem, ListView, Static

from core import dates, services
from core.knowledge import PREFECTURES
from core.orderers import list_orderers, rule_rows, start_text
from tui.base import HoshoScreenMixin

if TYPE_CHECKING:
    pass

NATIONAL = "全国（国・独法・大学など）"


def orderer_text(o: dict[str, Any]) -> Text:
    """One orderer's rules, the way staff read them out on the phone."""
    text = Text()
    pref = o.get("prefecture")
    text.append(o["name"], style="bold")
    text.append(f"（{o.get('reading', '')}）{'・' + pref if pref and pref != o['name'] else ''}\n")
    for label, value in rule_rows(o):
        text.append(f"{label:　<7} ", style="bold")
        text.append(value + "\n")
    for note in o.get("notes") or []:
        text.append("・" + note + "\n", style="dim")
    if not o.get("verified", True):
        text.append("資料の表記に疑義あり（要確認）\n", style="bold yellow")
    when = dates.format_wareki(dates.parse_date(o["as_of"]))
    text.append(f"出典: {o['source']}（{when}時点）\n", style="italic")
    return text


class OrderersScreen(HoshoScreenMixin, Screen[None]):
    """By prefecture: start dates, rules and submission."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "戻る", id="orderers.back"),
        Binding("slash", "focus_search", "検索", id="orderers.search"),
    ]
    DEFAULT_CSS = """
    #pref-list { width: 26; }
    #orderer-table { width: 1fr; }
    #orderer-detail { height: 14; border-top: solid $accent; }
    """

    class Loaded(Message):
        def __init__(self, rows: list[dict[str, Any]]) -> None:
            self.rows = rows
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[dict[str, Any]] = []
        self._pref_shown = "すべて"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="発注者を検索（名前・読み・別名）", id="orderer-search")
        with Horizontal():
            yield ListView(id="pref-list")
            yield DataTable(id="orderer-table", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="orderer-detail"):
            yield Static(id="orderer-text")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "発注者一覧"
        table = self.query_one(DataTable)
        # Fixed widths: the columns do not jump while 361 rows arrive.
        for label, width in (("発注者", 30), ("都道府県", 10), ("区分", 18), ("運用開始", 52)):
            table.add_column(label, width=width)
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _load(self) -> None:
        rows = self.hosho.fetch(list_orderers)
        if rows is not None:
            self.post_message(self.Loaded(rows))

    def on_orderers_screen_loaded(self, message: Loaded) -> None:
        self._rows = message.rows
        prefs = [p for p in PREFECTURES if any(o.get("prefecture") == p for o in self._rows)]
        pref_list = self.query_one("#pref-list", ListView)
        pref_list.clear()
        for name in ["すべて", NATIONAL, *prefs]:
            pref_list.append(ListItem(Label(name), name=name))
        self._show(self._rows)

    def _show(self, rows: list[dict[str, Any]]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for i, o in enumerate(rows):
            table.add_row(
                o["name"], o.get("prefecture") or "—", o["category"], start_text(o), key=str(i)
            )
        self._shown = rows
        if rows:
            self.query_one("#orderer-text", Static).update(orderer_text(rows[0]))

    @on(ListView.Highlighted, "#pref-list")
    def _pref(self, event: ListView.Highlighted) -> None:
        name = (event.item.name if event.item else None) or "すべて"
        if name == self._pref_shown:
            return  # the first highlight after loading: already shown
        self._pref_shown = name
        if name == "すべて":
            self._show(self._rows)
        elif name == NATIONAL:
            self._show([o for o in self._rows if not o.get("prefecture")])
        else:
            self._show([o for o in self._rows if o.get("prefecture") == name])

    @on(Input.Changed, "#orderer-search")
    def _search(self, event: Input.Changed) -> None:
        from core.knowledge import normalize_name

        q = normalize_name(event.value)
        if not q:
            self._show(self._rows)
            return
        self._show(
            [
                o
                for o in self._rows
                if q in normalize_name(o["name"])
                or q in normalize_name(o.get("reading", ""))
                or any(q in normalize_name(a) for a in o.get("aliases", []))
            ]
        )

    @on(DataTable.RowHighlighted, "#orderer-table")
    def _detail(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None and self._shown:
            self.query_one("#orderer-text", Static).update(
                orderer_text(self._shown[int(event.row_key.value)])
            )

    def action_focus_search(self) -> None:
        self.query_one("#orderer-search", Input).focus()


class AuditScreen(HoshoScreenMixin, Screen[None]):
    """Who did what, newest first (never a secret in it)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "戻る", id="audit.back"),
        Binding("f5", "reload", "再読込", id="audit.reload"),
    ]

    class Loaded(Message):
        def __init__(self, rows: list[services.AuditView]) -> None:
            self.rows = rows
            super().__init__()

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="audit-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "監査ログ"
        self.query_one(DataTable).add_columns("日時", "担当", "操作", "対象", "内容")
        self.action_reload()

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _load(self) -> None:
        rows = self.hosho.fetch(lambda db: services.list_audit(db, limit=500))
        if rows is not None:
            self.post_message(self.Loaded(rows))

    def on_audit_screen_loaded(self, message: Loaded) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for r in message.rows:
            local = r.at.astimezone()
            stamp = f"{dates.format_wareki(local.date())} {local:%H:%M:%S}"
            detail = "、".join(f"{k}={v}" for k, v in r.detail.items())
            table.add_row(stamp, r.operator, r.action, r.target, detail)


class HelpScreen(ModalScreen[None]):
    """Every key of the current screen and of the app, with what it does."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark", "dismiss", "閉じる", id="help.close"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 80; max-height: 90%; border: thick $accent; background: $surface; padding: 1 2;
    }
    """

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        text = Text("キー一覧（設定ファイルの [keys] で変更できます）\n\n", style="bold")
        for key, description, binding_id in self.rows:
            text.append(f"{key:<14}", style="bold cyan")
            text.append(f"{description}")
            text.append(f"  [{binding_id}]\n", style="dim")
        with VerticalScroll():
            yield Static(text)
