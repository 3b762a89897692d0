"""Read-only screens: the orderers browser, the audit log, the key help."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import DataTable, Header, Input, Label, OptionList, Static

from core import dates, services
from core.knowledge import PREFECTURES
from core.orderers import (
    NATIONAL,
    history_line,
    list_orderers,
    rule_rows,
    summarize,
    summary_line,
    summary_total,
)
from core.present import audit_action, audit_detail, audit_details, audit_target
from tui.base import FittedTable, HoshoFooter, HoshoScreenMixin

if TYPE_CHECKING:
    pass

PAGE = 100  # rows put in the table at a time: measuring 2,000 rows takes most of a second
ALL = "すべて"
# label, least cells, share of the rest (FittedTable): fixed widths, so the columns do not
# jump as pages of rows arrive.
COLUMNS = (
    ("発注者", 14, 3),
    ("運用開始", 22, 0),
    ("都道府県", 8, 0),
    ("区分", 10, 1),
    ("団体コード", 10, 0),
)


def start_cell(o: dict[str, Any]) -> Text:
    """運用開始 in a table cell: the date (and 公告 when the 入札公告日 is compared), or
    「掲載なし」 for a body the lists do not name."""
    raw = o.get("start_date")
    if not raw:
        return Text("掲載なし", style="dim")
    start = dates.parse_date(raw)
    precision = o.get("start_precision") or "day"
    if precision == "by":
        text = "導入済み（開始日不明）"
    elif precision == "month":
        text = f"{dates.format_wareki(start).split('月')[0]}月〜"
    else:
        text = f"{dates.format_wareki(start)}〜"
    if o.get("applies_to") == "入札公告日":
        text += "（公告）"
    return Text(text, style="green")


LABEL_CELLS = 15  # a label of up to 7 full-width characters and a space


def _label(label: str) -> str:
    return f"{label:　<7} "


_NO_LINE_START = set("、。，．）」』】・：ー")


def _hanging(value: str, width: int | None, indent: int = LABEL_CELLS) -> str:
    """The value cut into lines that fit beside the labels, later lines indented under the
    first: a long Japanese value (no spaces to wrap at) would otherwise start on a line of
    its own below its label. No cut before a closing mark (、。）」)."""
    if not width:
        return value
    avail = max(width - indent, 12)
    lines: list[str] = []
    line, cells = "", 0
    for ch in value:
        w = cell_len(ch)
        if cells + w > avail and line:
            if ch in _NO_LINE_START and len(line) > 1:
                lines.append(line[:-1])
                line = line[-1]
                cells = cell_len(line)
            else:
                lines.append(line)
                line, cells = "", 0
        line += ch
        cells += w
    lines.append(line)
    return ("\n" + " " * indent).join(lines)


def orderer_text(o: dict[str, Any], width: int | None = None) -> Text:
    """One orderer's rules, the way staff read them out on the phone, then where they come
    from and what was changed (newest last). Never markup: names are shown as typed.
    ``width``: the pane's, to indent long values under their first line."""
    text = Text()
    name, pref = o["name"], o.get("prefecture")
    text.append(name, style="bold")
    if o.get("reading"):
        text.append(f"（{o['reading']}）")
    if pref and pref != name:
        text.append(f"・{pref}")
    if o.get("code"):
        text.append(f"　団体コード {o['code']}", style="dim")
    text.append("\n")
    for label, value in rule_rows(o):
        text.append(_label(label), style="bold")
        text.append(_hanging(value, width) + "\n")
    if o.get("aliases"):
        text.append(_label("別名"), style="bold")
        text.append(_hanging("・".join(o["aliases"]), width) + "\n")
    for note in o.get("notes") or []:
        text.append("・" + note + "\n", style="dim")
    if not o.get("verified", True):
        text.append("資料の表記に疑義あり（要確認）\n", style="bold yellow")
    if o.get("source"):
        when = dates.format_wareki(dates.parse_date(o["as_of"])) if o.get("as_of") else ""
        said = f"（{when}時点）" if when and when not in o["source"] else ""
        text.append(_label("出典"), style="bold")
        text.append(_hanging(f"{o['source']}{said}", width) + "\n", style="italic")
    standing = o.get("standing") or {}
    if standing.get("note"):
        text.append(_label("記録"), style="bold")
        text.append(_hanging(standing["note"], width) + "\n")
    history = o.get("history")
    if history:
        text.append("履歴\n", style="bold")
        for h in history:
            text.append(f"  {_hanging(history_line(h), width, 2)}\n")
    elif history is None:
        text.append("履歴を読み込み中…\n", style="dim")
    return text


def _haystack(o: dict[str, Any]) -> tuple[str, ...]:
    from core.knowledge import normalize_name

    parts = [o["name"], o.get("reading") or "", *(o.get("aliases") or [])]
    return tuple(normalize_name(p) for p in parts if p)


def _rank(parts: tuple[str, ...], code: str, query: str) -> int | None:
    """How well a search matches: the name, reading or an alias itself (とすし → 鳥栖市)
    before one starting with it (鳥栖), before one merely containing it (もとすし); a 団体コード
    by its first digits. None: no match."""
    if query in parts:
        return 0
    if any(p.startswith(query) for p in parts) or (code and code.startswith(query)):
        return 1
    if any(query in p for p in parts):
        return 2
    return None


def _order(o: dict[str, Any]) -> tuple[int, str, int]:
    """National bodies first, then by prefecture and 団体コード (the prefecture itself, its
    cities, towns and villages); bodies staff added last in their prefecture."""
    pref = o.get("prefecture")
    rank = PREFECTURES.index(pref) + 1 if pref in PREFECTURES else 0
    return (rank, o.get("code") or "999999", o["id"])


# The register as last read, by database and the stamp every change to it sets: opening the
# browser again shows it at once (reading ~2,000 records takes 0.3 s, and up to 1 s while
# the screen is being drawn).
Register = tuple[list[dict[str, Any]], dict[int, tuple[str, ...]]]  # rows, id -> haystack
_REGISTER_CACHE: dict[str, tuple[str, Register]] = {}


def _read_orderers(db: Any) -> Register:
    """Every listed orderer in display order, with what a search looks at (from a thread)."""
    from core.orderers import LOADED_KEY

    url = str(db.engine.url)
    stamp = db.get_meta(LOADED_KEY) or ""
    cached = _REGISTER_CACHE.get(url)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    rows = sorted(list_orderers(db), key=_order)
    register = (rows, {o["id"]: _haystack(o) for o in rows})
    _REGISTER_CACHE.clear()
    _REGISTER_CACHE[url] = (stamp, register)
    return register


class OrderersScreen(HoshoScreenMixin, Screen[None]):
    """By prefecture: start dates, rules and submission; recording adoptions and edits."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "戻る", id="orderers.back"),
        Binding("slash", "focus_search", "検索", id="orderers.search"),
        Binding("f", "toggle_adopted", "導入済みのみ/全件", id="orderers.adopted_only"),
        Binding("a", "adopt", "導入を記録", id="orderers.adopt"),
        Binding("e", "edit", "修正", id="orderers.edit"),
        Binding("n", "add", "団体を登録", id="orderers.add"),
        Binding("f5", "reload", "再読込", id="orderers.reload"),
    ]
    DEFAULT_CSS = """
    #orderer-bar { height: 3; }
    #orderer-search { width: 1fr; }
    #orderer-status { width: auto; max-width: 60%; padding: 1 1 0 1; color: $text-muted; }
    #pref-list { width: 20; border: none; padding: 0; }
    #orderer-table { width: 1fr; }
    #orderer-coverage { width: 1fr; height: 1; padding: 0 1; color: $text-muted; }
    #orderer-detail { height: 40%; border-top: solid $accent; scrollbar-gutter: stable; }
    """

    class Loaded(Message):
        def __init__(self, register: Register) -> None:
            self.rows, self.hay = register
            super().__init__()

    class Detail(Message):
        def __init__(self, record: dict[str, Any]) -> None:
            self.record = record
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[dict[str, Any]] = []  # every listed orderer, in _order
        self._hay: dict[int, tuple[str, ...]] = {}  # id -> folded name, reading and aliases
        self._full: dict[int, dict[str, Any]] = {}  # id -> record with its history
        self._shown: list[dict[str, Any]] = []  # the rows the filters let through
        self._loaded = 0  # how many of them are in the table
        self._pref = ALL
        self._adopted_only = False
        self._select: int | None = None  # the orderer to put the cursor on after loading
        self._current: int | None = None  # the orderer in the detail pane
        self._search_timer: Timer | None = None
        self._detail_timer: Timer | None = None
        self._detail_record: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="orderer-bar"):
            yield Input(
                placeholder="発注者を検索（名前・読み・別名・団体コード）", id="orderer-search"
            )
            yield Label("読み込み中…", id="orderer-status")
        with Horizontal():
            # One widget, not 49 list items: opening the screen stays quick.
            yield OptionList(ALL, NATIONAL, *PREFECTURES, id="pref-list")
            yield FittedTable(COLUMNS, id="orderer-table", cursor_type="row", zebra_stripes=True)
        yield Label("", id="orderer-coverage")
        with VerticalScroll(id="orderer-detail"):
            yield Static(id="orderer-text")
        yield HoshoFooter()

    def on_mount(self) -> None:
        self.sub_title = "発注者一覧"
        table = self.query_one(DataTable)
        self.watch(table, "scroll_y", self._scrolled, init=False)
        self.query_one("#pref-list", OptionList).highlighted = 0
        table.focus()  # a/e/n/f act on the row; / or a click goes to the search
        self._load()

    # --- loading -----------------------------------------------------------------------

    def action_reload(self) -> None:
        self._select = self._current
        self._load()

    @work(thread=True, exclusive=True, group="orderers-load", exit_on_error=False)
    def _load(self) -> None:
        register = self.hosho.fetch(_read_orderers)
        if register is not None:
            self.post_message(self.Loaded(register))

    def on_orderers_screen_loaded(self, message: Loaded) -> None:
        self._rows, self._hay = message.rows, message.hay
        self._full = {k: v for k, v in self._full.items() if k == self._select}
        self._apply_filters()

    # --- filters -----------------------------------------------------------------------

    def _filtered(self) -> list[dict[str, Any]]:
        from core.knowledge import normalize_name

        query = normalize_name(self.query_one("#orderer-search", Input).value)
        rows = self._rows
        if query:  # a search looks in every prefecture, best matches first
            ranked = [
                (rank, i, o)
                for i, o in enumerate(rows)
                if (rank := _rank(self._hay[o["id"]], o.get("code") or "", query)) is not None
            ]
            rows = [o for _, _, o in sorted(ranked, key=lambda r: (r[0], r[1]))]
        elif self._pref == NATIONAL:
            rows = [o for o in rows if not o.get("prefecture")]
        elif self._pref != ALL:
            rows = [o for o in rows if o.get("prefecture") == self._pref]
        if self._adopted_only:
            rows = [o for o in rows if o.get("electronic") == "adopted"]
        return rows

    def _apply_filters(self) -> None:
        rows = self._filtered()
        if self._select is not None:
            at = next((i for i, o in enumerate(rows) if o["id"] == self._select), None)
            # The orderer just saved is not among them, or far down the whole list (putting
            # a thousand rows in the table takes a second): show its prefecture, unfiltered.
            if at is None or at >= PAGE:
                target = next((o for o in self._rows if o["id"] == self._select), None)
                if target is not None:
                    self._reset_filters(target)
                    rows = self._filtered()
        self._show(rows)

    def _reset_filters(self, target: dict[str, Any]) -> None:
        search = self.query_one("#orderer-search", Input)
        with search.prevent(Input.Changed):
            search.value = ""
        self._adopted_only = False
        self._pref = target.get("prefecture") or NATIONAL
        pref_list = self.query_one("#pref-list", OptionList)
        names = [ALL, NATIONAL, *PREFECTURES]
        if self._pref in names:
            with pref_list.prevent(OptionList.OptionHighlighted):
                pref_list.highlighted = names.index(self._pref)

    def _show(self, rows: list[dict[str, Any]]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        self._shown, self._loaded = rows, 0
        at = 0
        if self._select is not None:
            at = next((i for i, o in enumerate(rows) if o["id"] == self._select), 0)
            self._select = None
        self._load_more(upto=at + 1)
        if rows:
            table.move_cursor(row=at, animate=False, scroll=True)
            self._show_detail(rows[at])
        else:
            self._current = None
            self.query_one("#orderer-text", Static).update(self._empty_text())
        self._say()

    def _load_more(self, upto: int = 0) -> None:
        """Put the next page of rows in the table (at least ``upto`` rows in all)."""
        table = self.query_one(DataTable)
        end = min(len(self._shown), max(self._loaded + PAGE, upto))
        if end <= self._loaded:
            return
        table.add_rows(
            [
                (
                    Text(o["name"]),
                    start_cell(o),
                    Text(o.get("prefecture") or "—"),
                    Text(o["category"]),
                    Text(o.get("code") or "—"),
                )
                for o in self._shown[self._loaded : end]
            ],
        )
        # add_rows gives its own keys; rows map to self._shown by index.
        self._loaded = end

    def _say(self) -> None:
        where = {ALL: "全国", NATIONAL: "国・独法・大学等"}.get(self._pref, self._pref)
        if self.query_one("#orderer-search", Input).value.strip():
            where = "検索結果（全国）"
        only = "・導入済みのみ" if self._adopted_only else ""
        total = len(self._shown)
        text = f"{where}{only} {total:,}件"
        if self._loaded < total:
            text += f"（先頭{self._loaded:,}件）"
        self.query_one("#orderer-status", Label).update(text)
        self.query_one("#orderer-coverage", Label).update(self._coverage())

    def _coverage(self) -> str:
        """How many bodies of the prefecture shown are adopted, from which kind of source,
        and how fresh: 導入 12団体（資料 10・公開ページ 2）／24団体中、最新の時点 …"""
        if self._pref == ALL:
            rows = self._rows
        elif self._pref == NATIONAL:
            rows = [o for o in self._rows if not o.get("prefecture")]
        else:
            rows = [o for o in self._rows if o.get("prefecture") == self._pref]
        if not rows:
            return ""
        groups = summarize(rows)
        if len(groups) == 1:
            return summary_line(groups[0])
        return summary_line(summary_total(groups, "全国"))

    def _empty_text(self) -> Text:
        if not self._rows:
            return Text("読み込み中…", style="dim")
        text = Text("該当する発注者はありません。")
        if self._adopted_only:
            text.append("f で全件を表示。")
        text.append("登録簿にない団体は n で登録できます")
        return text

    @on(OptionList.OptionHighlighted, "#pref-list")
    def _pref_chosen(self, event: OptionList.OptionHighlighted) -> None:
        name = str(event.option.prompt)
        if name == self._pref:
            return  # the first highlight after mounting: already shown
        self._pref = name
        search = self.query_one("#orderer-search", Input)
        if search.value:
            with search.prevent(Input.Changed):
                search.value = ""  # choosing a prefecture ends the search
        self._apply_filters()

    @on(Input.Changed, "#orderer-search")
    def _search(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(0.15, self._apply_filters)

    @on(Input.Submitted, "#orderer-search")
    def _to_table(self) -> None:
        self.query_one(DataTable).focus()

    def action_focus_search(self) -> None:
        self.query_one("#orderer-search", Input).focus()

    def action_toggle_adopted(self) -> None:
        self._adopted_only = not self._adopted_only
        self._select = self._current  # the cursor stays on it if it is still shown
        self._show(self._filtered())
        self.notify("導入済みの発注者だけを表示" if self._adopted_only else "全件を表示", timeout=2)

    # --- paging and the detail ---------------------------------------------------------

    def _scrolled(self, value: float) -> None:
        table = self.query_one(DataTable)
        if self._loaded < len(self._shown) and value >= table.max_scroll_y - 5:
            self._load_more()
            self._say()

    @on(DataTable.RowHighlighted, "#orderer-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        row = event.cursor_row
        if self._loaded < len(self._shown) and row >= self._loaded - 10:
            self._load_more()
            self._say()
        if 0 <= row < len(self._shown):
            self._show_detail(self._shown[row])

    def _show_detail(self, o: dict[str, Any]) -> None:
        """The row at once; its history (one query) when the cursor rests."""
        self._current = o["id"]
        full = self._full.get(o["id"])
        self._render_detail(full or o)
        if full is None:
            if self._detail_timer is not None:
                self._detail_timer.stop()
            self._detail_timer = self.set_timer(0.2, lambda: self._fetch_detail(o))

    @work(thread=True, exclusive=True, group="orderer-detail", exit_on_error=False)
    def _fetch_detail(self, o: dict[str, Any]) -> None:
        from core.orderers import show_orderer

        try:
            record = show_orderer(self.hosho.database(), o["name"], o.get("prefecture"))
        except Exception:  # the list's row stays shown, without its history
            record = {**o, "history": []}
        self.post_message(self.Detail(record))

    def on_orderers_screen_detail(self, message: Detail) -> None:
        record = message.record
        self._full[record["id"]] = record
        if record["id"] == self._current:
            self._render_detail(record)

    def _render_detail(self, o: dict[str, Any]) -> None:
        self._detail_record = o
        pane = self.query_one("#orderer-detail", VerticalScroll)
        width = pane.scrollable_content_region.width or None
        self.query_one("#orderer-text", Static).update(orderer_text(o, width))

    def on_resize(self) -> None:
        if self._detail_record is not None:
            self.call_after_refresh(self._render_detail, self._detail_record)

    def _selected(self) -> dict[str, Any] | None:
        if self._current is None:
            self.notify("発注者を選んでください", severity="warning", timeout=3)
            return None
        return self._full.get(self._current) or next(
            (o for o in self._rows if o["id"] == self._current), None
        )

    # --- recording ---------------------------------------------------------------------

    def action_adopt(self) -> None:
        from tui.orderer_forms import AdoptOrdererForm

        o = self._selected()
        if o is not None:
            self.app.push_screen(AdoptOrdererForm(o), partial(self._saved, "の導入を記録しました"))

    def action_edit(self) -> None:
        from tui.orderer_forms import EditOrdererForm

        o = self._selected()
        if o is not None:
            self.app.push_screen(EditOrdererForm(o), partial(self._saved, "の記録を修正しました"))

    def action_add(self) -> None:
        from tui.orderer_forms import AddOrdererForm

        search = self.query_one("#orderer-search", Input).value.strip()
        name = search if search and not self._shown else ""
        pref = self._pref if self._pref in PREFECTURES else None
        self.app.push_screen(AddOrdererForm(name, pref), partial(self._saved, "を登録しました"))

    def _saved(self, what: str, record: dict[str, Any] | None) -> None:
        from tui.orderer_forms import display_name

        if record is None:
            return
        self.notify(f"{display_name(record)}{what}", markup=False)
        self._full[record["id"]] = record
        self._select = record["id"]
        self._load()


class AuditScreen(HoshoScreenMixin, Screen[None]):
    """Who did what, newest first (never a secret in it), in staff's words: the action
    (「認証キー表示」), its target, and what changed (「保証金額 4,000万円 → 5,000万円」). The
    row under the cursor in full below the table."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "戻る", id="audit.back"),
        Binding("f5", "reload", "再読込", id="audit.reload"),
    ]
    DEFAULT_CSS = """
    #audit-table { height: 1fr; }
    #audit-detail { height: auto; max-height: 40%; border-top: solid $accent; padding: 0 1; }
    """

    class Loaded(Message):
        def __init__(self, rows: list[services.AuditView]) -> None:
            self.rows = rows
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[services.AuditView] = []
        self._cells: list[tuple[str, str, str, str, str]] = []  # the rows as shown, uncut

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="audit-table", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="audit-detail"):
            yield Static(Text("読み込み中…", style="dim"), id="audit-text")
        yield HoshoFooter()

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
        self._rows = message.rows
        self._cells = [
            (
                _stamp(r),
                r.operator,
                audit_action(r.action, r.detail),
                audit_target(r.target),
                audit_detail(r.action, r.detail),
            )
            for r in message.rows
        ]
        self._fill()
        if not message.rows:
            self.query_one("#audit-text", Static).update(Text("記録はまだありません"))

    def _fill(self) -> None:
        """The rows, 内容 cut to the width left (the pane below shows it all)."""
        table = self.query_one(DataTable)
        row = table.cursor_row
        headers = [cell_len(str(c.label)) for c in table.columns.values()]
        widths = [
            max([headers[i], *(cell_len(cells[i]) for cells in self._cells)]) for i in range(4)
        ]
        # each column has a cell of padding either side; and the scroll bar
        room = max(table.size.width - sum(w + 2 for w in widths) - 4, 12)
        table.clear()
        for stamp, operator, action, target, detail in self._cells:
            # names and reasons as typed (the detail quotes them): never markup
            table.add_row(
                stamp, Text(operator), Text(action), Text(target), Text(_cut(detail, room))
            )
        if self._cells:
            table.move_cursor(row=min(row, len(self._cells) - 1), animate=False)
            self._show(table.cursor_row)

    def on_resize(self) -> None:
        if self._cells:
            self.call_after_refresh(self._fill)

    @on(DataTable.RowHighlighted, "#audit-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show(event.cursor_row)

    def _show(self, row: int) -> None:
        if 0 <= row < len(self._rows):
            self.query_one("#audit-text", Static).update(audit_text(self._rows[row]))


def _stamp(r: services.AuditView) -> str:
    local = r.at.astimezone()
    return f"{dates.format_wareki(local.date())} {local:%H:%M:%S}"


def _cut(text: str, cells: int) -> str:
    if cell_len(text) <= cells:
        return text
    out = ""
    for ch in text:
        if cell_len(out + ch) > cells - 1:
            break
        out += ch
    return out + "…"


def audit_text(r: services.AuditView) -> Text:
    """One audit event in full: when, who, what, on what, then each fact on its line."""
    text = Text()
    text.append(f"{_stamp(r)}  ")
    text.append(r.operator)
    text.append("  ")
    text.append(audit_action(r.action, r.detail), style="bold")
    text.append(f"  {audit_target(r.target)}")
    for line in audit_details(r.action, r.detail) or ["（記録された内容はありません）"]:
        text.append(f"\n  {line}")
    return text


class KeyRow(NamedTuple):
    """A line of the key help: the keys (several when they do the same), what they do, the
    binding's id to change the key with ("" for the toolkit's own), and where it applies."""

    keys: str
    description: str
    id: str
    section: str
    note: str = ""


SECTIONS = ("この画面", "どの画面でも", "基本の操作（一覧・入力欄）")


def key_rows(screen: Screen[Any]) -> list[KeyRow]:
    """Every key of ``screen`` that does something, each binding once with all its keys:
    hosho's own (they have an id) of the screen, then of the app (every screen), then the
    toolkit's of the focused list or field and of every screen (in Japanese: tui.words)."""
    app = screen.app
    groups: dict[tuple[str, str, str], list[Binding]] = {}
    for active in screen.active_bindings.values():
        b = active.binding
        if not b.description:
            continue
        if not b.id:
            section = SECTIONS[2]
        elif active.node is app:
            section = SECTIONS[1]
        else:
            section = SECTIONS[0]
        groups.setdefault((section, b.id or b.action, b.description), []).append(b)
    rows = [
        KeyRow(
            "・".join(dict.fromkeys(app.get_key_display(b) for b in bindings)),
            description,
            bindings[0].id or "",
            section,
            bindings[0].tooltip,
        )
        for (section, _, description), bindings in groups.items()
    ]
    return sorted(rows, key=lambda row: SECTIONS.index(row.section))


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

    def __init__(self, rows: list[KeyRow]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        text = Text("キー一覧", style="bold")
        text.append(
            "（キーは設定ファイルの [keys] で変更できます。[ ] 内がその名前）\n", style="dim"
        )
        width = min(max((cell_len(row.keys) for row in self.rows), default=8) + 2, 24)
        section = ""
        for row in self.rows:
            if row.section != section:
                section = row.section
                text.append(f"\n{section}\n", style="bold underline")
            text.append(row.keys + " " * max(1, width - cell_len(row.keys)), style="bold cyan")
            text.append(row.description)
            if row.id:
                text.append(f"  [{row.id}]", style="dim")
            text.append("\n")
            if row.note:  # under the description
                text.append(" " * width + row.note + "\n", style="dim")
        with VerticalScroll():
            yield Static(text)
