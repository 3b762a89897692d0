"""The guarantee list (first screen) and the guarantee detail view."""

from __future__ import annotations

import dataclasses
import gc
import threading
from collections.abc import Callable, Sequence
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from rich.cells import cell_len, get_character_cell_size
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text
from textual import events, on, work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, VerticalScroll
from textual.geometry import Region
from textual.message import Message
from textual.screen import Screen
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import DataTable, Header, Input, Label, Select, Static
from textual.widgets.data_table import ColumnKey

from core import dates, filters, present
from core.errors import HoshoError, ValidationError
from core.first_page import ListRow, first_page
from core.money import format_yen
from core.present import guarantee_rows, pad, wareki
from core.terms import Delivery, GType, Status
from tui.base import HoshoFooter, HoshoScreenMixin, LazyModule, column_widths, set_columns

if TYPE_CHECKING:
    from core import services
else:
    services = LazyModule("core.services")  # loaded by the first worker that searches

PAGE = 50
# 工事名 last: the longest text, cut at the table's right edge.
HISTORY_COLUMNS = ("版", "区分", "変更契約日", "交付", "認証キー", "発行日時", "発行者", "お知らせ")
COLUMNS = ("保証契約番号", "契約締結日", "種別", "受注者", "発注者", "保証金額", "状態", "工事名")
DATE_COLUMN = "契約締結日"
# The texts that share the width the other columns leave, each cut with … when short of room
# (the other columns are always as wide as their widest cell: an amount is never cut). In
# order of importance, with the cells each needs to be read, mostly: when they would be left
# less, the 契約締結日 goes short (R8.4.1).
FLEXIBLE = {"受注者": 16, "発注者": 10, "工事名": 16}
FLEXIBLE_MIN = 6  # cells: a text cut shorter than this says nothing
ONE_ROW_FROM = 176  # terminal columns from which the filter bar fits on one row (20 a name)

# The filter boxes as staff see them, by filters.parse_filter's keywords.
FILTER_LABELS = {
    "date_from": "締結日(自)",
    "date_to": "締結日(至)",
    "customer": "受注者",
    "orderer": "発注者",
    "project": "工事名",
    "min_amount": "金額(下限)",
    "max_amount": "金額(上限)",
    "type": "種別",
    "status": "状態",
    "delivery": "交付",
}
# How filters.parse_filter's messages name an amount box (left out after the box's name).
_AMOUNT_WORDS = {"min_amount": "下限金額", "max_amount": "上限金額"}


def clip(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells: cut with … at its end when longer."""
    if cell_len(text) <= width:
        return text
    kept, used = [], 0
    for char in text:
        size = get_character_cell_size(char)
        if used + size > width - 1:
            break
        kept.append(char)
        used += size
    return "".join(kept) + "…" if width > 0 else ""


class Clipped:
    """A cell's text cut to its column with … at the end (Rich's own ellipsis leaves a gap
    before … where it cuts a full-width character). ``str()`` is the whole text."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Text(clip(self.text, options.max_width), no_wrap=True, end="")

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        width = cell_len(self.text)
        return Measurement(width, width)


class ContractDate:
    """令和8年4月1日 — or R8.4.1 in a column too narrow for it. ``str()`` is the long form."""

    __slots__ = ("long", "short")

    def __init__(self, day: date) -> None:
        self.long, self.short = dates.format_wareki(day), dates.format_wareki_short(day)

    def __str__(self) -> str:
        return self.long

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        fits = cell_len(self.long) <= options.max_width
        yield Text(self.long if fits else self.short, no_wrap=True, end="")

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(cell_len(self.short), cell_len(self.long))


def row_cells(g: ListRow | services.GuaranteeView) -> tuple[Any, ...]:
    """Plain text, never markup: a 商号 may hold "[" (and the table skips parsing it)."""
    return (
        Text(g.guarantee_number),
        ContractDate(g.contract_date),
        Text(g.type),
        Clipped(g.customer),
        Clipped(g.orderer),
        Text(format_yen(g.amount), justify="right"),
        Text(g.status),
        Clipped(g.project_name),
    )


def row_key(g: ListRow | services.GuaranteeView) -> tuple[Any, ...]:
    """What a row shows, to tell whether a page holds the rows already on screen."""
    return (
        g.guarantee_number,
        g.contract_date,
        g.type,
        g.customer,
        g.orderer,
        g.amount,
        g.status,
        g.project_name,
    )


def problem_text(exc: HoshoError) -> Text:
    """Which filter boxes could not be read and why, and that the rows are those shown before."""
    items = exc.items if isinstance(exc, ValidationError) else [(None, str(exc))]
    parts = []
    for name, message in items:
        label = FILTER_LABELS.get(name or "")
        if label is None:
            parts.append(message)
            continue
        message = message.removeprefix(_AMOUNT_WORDS.get(name or "", "\0"))
        if "「" in message:  # it quotes what was typed: the box could not be read
            parts.append(f"{label}を読めません: {message}")
        else:  # read, but at odds with another box
            parts.append(f"{label}: {message}")
    return Text("　".join(parts) + "　（一覧は前の条件のままです）", style="bold red")


class GuaranteeTable(DataTable[Any]):
    """The list's table. Its columns fit the table's width: each as wide as its widest cell,
    except the texts of FLEXIBLE, which share what the others leave (the 契約締結日 goes short
    when they would be left too little). ``when_drawn`` runs a callback once the table has
    next been drawn."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._when_drawn: list[Callable[[], object]] = []
        self._widest = {name: cell_len(name) for name in COLUMNS}
        self._widest_short_date = cell_len(DATE_COLUMN)

    def when_drawn(self, callback: Callable[[], object]) -> None:
        self._when_drawn.append(callback)

    def render_lines(self, crop: Region) -> list[Strip]:
        lines = super().render_lines(crop)
        for callback in self._when_drawn:
            self.call_later(callback)
        self._when_drawn.clear()
        return lines

    def add_guarantees(
        self, rows: Sequence[ListRow | services.GuaranteeView], *, fresh: bool
    ) -> None:
        """Add ``rows`` (replacing those shown when ``fresh``) and fit the columns to them."""
        if fresh:
            self.clear()
            self._widest = {name: cell_len(name) for name in COLUMNS}
            self._widest_short_date = cell_len(DATE_COLUMN)
        widest = self._widest
        for g in rows:
            if g.guarantee_number in self.rows:
                continue  # a page read after a guarantee was added shifts by one: seen
            cells = row_cells(g)
            self.add_row(*cells, key=g.guarantee_number)
            for name, cell in zip(COLUMNS, cells, strict=True):
                widest[name] = max(widest[name], cell_len(str(cell)))
            short = cell_len(cells[1].short)
            self._widest_short_date = max(self._widest_short_date, short)
        self.fit_columns()

    def on_resize(self) -> None:
        self.fit_columns()

    def fit_columns(self) -> None:
        """Size the columns for the rows held and the width the table has."""
        if not self.columns or not self.size.width:
            return
        rows = self.row_count + (1 if self.show_header else 0)
        scrollbar = self.styles.scrollbar_size_vertical if rows > self.size.height else 0
        room = self.size.width - scrollbar - 2 * self.cell_padding * len(self.columns)
        widest = self._widest
        widths = {name: width for name, width in widest.items() if name not in FLEXIBLE}
        room -= sum(widths.values())
        if room < sum(min(widest[name], wanted) for name, wanted in FLEXIBLE.items()):
            room += widths[DATE_COLUMN] - self._widest_short_date  # R8.4.1
            widths[DATE_COLUMN] = self._widest_short_date
        widths.update(dict.fromkeys(FLEXIBLE, FLEXIBLE_MIN))
        room -= FLEXIBLE_MIN * len(FLEXIBLE)
        # in order of importance: first what each needs to be read, then its widest text
        for cap in (FLEXIBLE, widest):
            for name in FLEXIBLE:
                more = max(0, min(widest[name], cap[name]) - widths[name])
                more = min(more, max(0, room))
                widths[name] += more
                room -= more
        if room > 0:
            widths[COLUMNS[-1]] += room  # the rows span the whole width
        changed = False
        for name, width in widths.items():
            column = self.columns[ColumnKey(name)]
            if column.width != width or column.auto_width:
                column.width, column.auto_width = width, False
                changed = True
        if changed:
            self._update_count += 1  # the cells are cached by it: render them anew
            self._require_update_dimensions = True
            self.refresh()


class FilterInput(Input):
    """A filter box that acts on its own keys (Backspace, the arrows, …) as it takes them in
    turn. Textual acts on a widget's bindings only once the key has bubbled up to the app, and
    by then a Tab or Enter typed right behind it (acted on as it arrives: the list screen's
    priority bindings) may have moved the focus — Backspace would delete in the next box."""

    async def _on_key(self, event: events.Key) -> None:
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            if await self.app.run_action(binding.action, self):
                event.stop()
                event.prevent_default()  # not Input's own handler as well
                return


class FilterBar(Container):
    """契約締結日 range, 受注者, 発注者, 工事名, amount range, type, status and delivery: one row
    on a wide terminal, else two (the screen's CSS)."""

    def compose(self) -> ComposeResult:
        day = "例: R8.4.1 / 令和8年4月1日 / 2026-04-01"
        yield FilterInput(placeholder="締結日(自)", id="f-from", classes="date", tooltip=day)
        yield FilterInput(placeholder="締結日(至)", id="f-to", classes="date", tooltip=day)
        yield FilterInput(placeholder="受注者", id="f-customer")
        yield FilterInput(placeholder="発注者", id="f-orderer")
        yield FilterInput(placeholder="工事名", id="f-project")
        yen = "例: 1億5000万 / 150,000,000"
        yield FilterInput(placeholder="金額(下限)", id="f-min", classes="amount", tooltip=yen)
        yield FilterInput(placeholder="金額(上限)", id="f-max", classes="amount", tooltip=yen)
        yield Select([(t.value, t.value) for t in GType], prompt="種別", id="f-type")
        yield Select([(s.value, s.value) for s in Status], prompt="状態", id="f-status")
        yield Select([(d.value, d.value) for d in Delivery], prompt="交付", id="f-delivery")

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width >= ONE_ROW_FROM, "-one-row")

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
            "project": text("f-project"),
            "min_amount": text("f-min"),
            "max_amount": text("f-max"),
            "type": choice("f-type"),
            "status": choice("f-status"),
            "delivery": choice("f-delivery"),
        }


class GuaranteeListScreen(HoshoScreenMixin, Screen[None]):
    """All guarantees, newest 契約締結日 first; filters apply as you type.

    The keys that move the focus (/, and Tab, Shift+Tab, Enter and ↓ in the filter bar) are
    priority bindings, acted on as the key arrives. A key routed the usual way goes to the
    focused widget first and reaches the screen's bindings only after bubbling up, so the keys
    typed right behind it (a quick typist, a busy screen) went to the box being left: after
    ``/`` to the table, after Tab into the same box — every filter in one box."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "絞り込み", id="list.filter", priority=True),
        Binding("tab", "next_filter(1)", show=False, priority=True),
        Binding("shift+tab", "next_filter(-1)", show=False, priority=True),
        Binding("enter,down", "to_rows", show=False, priority=True),
        Binding("escape", "clear_filter", "解除", id="list.clear", show=False),
        Binding("n", "new_guarantee", "新規保証", id="list.new_guarantee"),
        # Not in the footer (full on a small terminal): in the key help and Ctrl+P.
        Binding("f5", "reload", "再読込", id="list.reload", show=False),
        Binding("u", "new_customer", "新規受注者", id="list.new_customer", show=False),
        Binding("e", "export", "書き出し", id="list.export", show=False),
        Binding("r", "report", "集計", id="list.report", show=False),
    ]
    # Scoped to this screen, which also makes these rules outweigh the app's (tui/app.py).
    CSS = """
    #filters {
        layout: grid; grid-size: 5; grid-columns: 18 18 1fr 1fr 1fr; grid-rows: 3;
        height: auto;
    }
    #filters.-one-row { grid-size: 10; grid-columns: 18 18 1fr 1fr 1fr 16 16 20 14 14; }
    #filters Input, #filters Input.date, #filters Input.amount, #filters Select { width: 100%; }
    #filter-status { height: auto; max-height: 3; }
    #guarantee-table { height: 1fr; }
    """

    class Page(Message):
        def __init__(
            self, rows: Sequence[ListRow | services.GuaranteeView], offset: int, token: int
        ) -> None:
            self.rows, self.offset, self.token = rows, offset, token
            super().__init__()

    class Counted(Message):
        def __init__(self, total: int, token: int) -> None:
            self.total, self.token = total, token
            super().__init__()

    class Failed(Message):
        def __init__(self, text: str, offset: int, token: int) -> None:
            self.text, self.offset, self.token = text, offset, token
            super().__init__()

    def __init__(self) -> None:
        super().__init__(id="guarantees")
        self._filter = filters.GuaranteeFilter(limit=PAGE)  # the search asked for last
        self._token = 0  # of that search: results of any other are dropped
        # the search whose rows the table holds, and how many of them
        self._shown_filter = self._filter
        self._shown_token = -1
        self._rows_id = 0  # the rows on screen: pages read for others are dropped
        self._loaded = 0
        self._more = False  # a full page came: there may be more
        self._loading = False  # the next page is being read
        self._total: int | None = None
        self._problem: Text | None = None  # a filter not read (or a failure): rows as before
        self._tall = False  # the status line shows more than one line
        self._dirty = False  # a filter changed since the last search
        self._debounce: Timer | None = None
        self._warm_timer: Timer | None = None
        self._shown = threading.Event()  # the first rows are on screen
        self._shown_rows: list[tuple[Any, ...]] = []  # what the first page shows (row_key)

    def compose(self) -> ComposeResult:
        yield Header()
        yield FilterBar(id="filters")
        yield Label("", id="filter-status")
        yield GuaranteeTable(id="guarantee-table", cursor_type="row", zebra_stripes=True)
        yield HoshoFooter()

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
        self._dirty = True
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(0.25, self.refresh_rows)

    def refresh_rows(self) -> None:
        """Re-run the search with the filter bar's values (in a worker). A value that cannot
        be read leaves the rows as they are, and the status line says which and why."""
        self._dirty = False
        if self._debounce is not None:
            self._debounce.stop()
        try:
            f = filters.parse_filter(limit=PAGE, **self.query_one(FilterBar).values())
        except HoshoError as exc:
            self._token += 1  # a search still under way would replace the rows: drop it
            self._problem = problem_text(exc)
            self._show_status()
            return
        self._problem = None
        self._filter = f
        self._token += 1
        self._say("検索中…")
        self._load_first(f, self._token)

    def _fetch(self, f: filters.GuaranteeFilter, offset: int, token: int) -> None:
        if offset == 0 and not self._shown.is_set() and f == filters.GuaranteeFilter(limit=PAGE):
            # The first screen: the newest rows straight from an embedded database, while the
            # database layer loads (the same rows; core.first_page).
            try:
                quick = first_page(self.hosho.database_url, PAGE)
            except Exception:  # the settings: said when the database is opened below
                quick = None
            if quick:
                self.post_message(self.Page(quick, 0, token))
                # Loading the database layer now would slow the drawing of those rows.
                self._shown.wait(timeout=1)
        try:
            db = self.hosho.database()
            rows = services.search_guarantees(db, dataclasses.replace(f, offset=offset))
        except Exception as exc:  # shown in the status line, never a traceback
            self.post_message(self.Failed(self.hosho.describe_error(exc), offset, token))
            return
        self.post_message(self.Page(rows, offset, token))
        self._shown.wait(timeout=1)  # building it meanwhile would slow the first screen
        self.hosho.warm_orderers()  # once

    @work(thread=True, exclusive=True, group="page", exit_on_error=False)
    def _load_first(self, f: filters.GuaranteeFilter, token: int) -> None:
        self._fetch(f, 0, token)

    @work(thread=True, exclusive=True, group="more", exit_on_error=False)
    def _load_more(self, f: filters.GuaranteeFilter, offset: int, token: int) -> None:
        self._fetch(f, offset, token)

    @work(thread=True, exclusive=True, group="count", exit_on_error=False)
    def _count(self, f: filters.GuaranteeFilter, token: int) -> None:
        try:
            total = services.count_guarantees(self.hosho.database(), f)
        except Exception:
            return
        self.post_message(self.Counted(total, token))

    def on_guarantee_list_screen_page(self, message: Page) -> None:
        first = message.offset == 0
        if message.token != (self._token if first else self._rows_id):
            return
        shown = [row_key(g) for g in message.rows] if first else []
        if first and message.token == self._shown_token and shown == self._shown_rows:
            return  # the same rows once more (core.first_page's, then the search's)
        if first:
            self._shown_filter, self._shown_token = self._filter, message.token
            self._shown_rows, self._total = shown, None
            self._rows_id += 1
        table = self.query_one(GuaranteeTable)
        table.add_guarantees(message.rows, fresh=first)
        if self._warm_timer is None:  # once the list has been left alone for a second
            self._warm_timer = self.set_timer(1.0, self.hosho.warm_up)
        else:
            self._warm_timer.reset()  # no effect once it has run
        self._loaded = message.offset + len(message.rows)
        self._more, self._loading = len(message.rows) == PAGE, False
        if not self._more:  # the whole result is on screen
            self._total = self._loaded
        self._show_status()
        if first:
            table.when_drawn(partial(self._rows_drawn, message.token, self._more))

    def _rows_drawn(self, token: int, count: bool) -> None:
        """A new result is on screen. Only now count its total (meanwhile it would slow the
        rows), and collect the table's line caches for the rows they replaced: cyclic garbage
        that otherwise piles up into one long pause (40-80 ms here) in a later refresh."""
        if count and token == self._shown_token:
            self._count(self._shown_filter, token)
        if not self._shown.is_set():
            gc.freeze()  # the first screen stays for the session: keep the collector off it
            self._shown.set()
        gc.collect()

    def on_guarantee_list_screen_counted(self, message: Counted) -> None:
        if message.token == self._shown_token:
            self._total = message.total
            self._show_status()

    def on_guarantee_list_screen_failed(self, message: Failed) -> None:
        if message.token == (self._rows_id if message.offset else self._token):
            self._loading = False
            self._problem = Text(message.text, style="bold red")
            self._show_status()

    def _show_status(self) -> None:
        """What the table holds — or, first, a filter that could not be read."""
        if self._problem is not None:
            self._say(self._problem, tall=True)
            return
        if self._token != self._shown_token:
            return  # a search is under way: "検索中…" stays
        loaded, total = self._loaded, self._total
        if not loaded:
            self._say(self._empty_text())
        elif total is None:
            self._say(f"{loaded:,}件を表示（新しい契約締結日順。下へ進むと続きを読み込みます）")
        elif loaded < total:
            self._say(f"全{total:,}件（新しい契約締結日順。下へ進むと続きを読み込みます）")
        else:
            self._say(f"全{total:,}件（新しい契約締結日順）")

    @property
    def _status(self) -> Label:
        return self.query_one("#filter-status", Label)

    def _say(self, content: str | Text, *, tall: bool = False) -> None:
        """The status line: one line, so no layout pass is needed — except for a problem,
        which may take up to three."""
        self._status.update(content, layout=tall or self._tall)
        self._tall = tall

    def _empty_text(self) -> str:
        if self._shown_filter == filters.GuaranteeFilter(limit=PAGE):
            return "保証はまだ登録されていません（n で登録）"
        return "条件に合う保証はありません"

    @on(DataTable.RowHighlighted)
    def _maybe_load_more(self, event: DataTable.RowHighlighted) -> None:
        if self._more and not self._loading and event.cursor_row >= self._loaded - 10:
            self._loading = True  # one request at a time
            self._load_more(self._shown_filter, self._loaded, self._rows_id)

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.app.push_screen(GuaranteeDetailScreen(event.row_key.value))

    # --- actions ---------------------------------------------------------------------

    def _in_bar(self, widget: Widget | None) -> bool:
        """``widget`` is one of the filter bar's boxes (not a Select's open list)."""
        return widget is not None and widget.parent is self.query_one(FilterBar)

    def action_focus_filter(self) -> None:
        focused = self.focused
        if isinstance(focused, Input) or (
            focused is not None and isinstance(focused.parent, Select)
        ):
            raise SkipAction  # "/" typed into a box (2026/04/01), or a Select's open list
        self.set_focus(self.query_one("#f-from", Input))

    def action_next_filter(self, step: int) -> None:
        if not self._in_bar(self.focused):
            raise SkipAction  # the usual Tab
        if step > 0:
            self.focus_next()
        else:
            self.focus_previous()

    def action_to_rows(self) -> None:
        """Enter or ↓ in a filter box: to the rows (searching at once for what was typed)."""
        if not (isinstance(self.focused, Input) and self._in_bar(self.focused)):
            raise SkipAction  # the table's, a Select's own
        if self._dirty:
            self.refresh_rows()
        self.set_focus(self.query_one(GuaranteeTable))

    def action_clear_filter(self) -> None:
        for widget in self.query("#filters Input").results(Input):
            widget.value = ""
        for select in self.query("#filters Select").results(Select):
            select.clear()
        self.set_focus(self.query_one(GuaranteeTable))

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
            f = filters.parse_filter(limit=PAGE, **self.query_one(FilterBar).values())
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
        yield HoshoFooter()

    def on_mount(self) -> None:
        self.sub_title = f"保証契約番号 {self.number}"
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
        notice = {"pending": "送信待ち", "sending": "送信中", "sent": "送信済", "failed": "失敗"}
        rows: list[tuple[str | Text, ...]] = []
        for c in message.history:
            key = self.revealed.get(c.version, c.auth_key) if c.auth_key else "—"
            local = c.issued_at.astimezone()
            rows.append(
                (
                    f"第{c.version}版",
                    c.kind,
                    wareki(c.change_date) if c.change_date else "—",
                    c.delivery,
                    key,
                    f"{dates.format_wareki(local.date())} {local:%H:%M}",
                    Text(c.issued_by),  # a name as set: never markup
                    notice.get(c.notice_status or "", "—"),
                )
            )
        if not message.history:
            rows.append(("—", "未発行", "", "", "", "", "", ""))
        table = self.query_one("#history", DataTable)
        set_columns(table, HISTORY_COLUMNS, column_widths(HISTORY_COLUMNS, rows))
        for cells in rows:
            table.add_row(*cells)

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
        from tui.form_base import screen_words

        try:
            r = self.hosho.issue(certificates.issue_certificate, self.number, confirmed=confirmed)
        except certificates.NeedsConfirmation as exc:
            # In the dialog's terms, not the command line's (--confirmed).
            details = screen_words(
                str(exc).replace(
                    "発注者に確認できたら --confirmed を付けて発行してください",
                    "発注者に確認できていれば「はい(y)」で発行します",
                )
            )
            self.post_message(self.Ask("発注者に確認済みとして電子証書を発行しますか？", details))
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

    def _latest_key(self, copy: bool = False) -> tuple[int, str]:
        from core import certificates

        db = self.hosho.database()
        versions = certificates.list_certificates(db, self.number)
        latest = next((c for c in reversed(versions) if c.auth_key), None)
        if latest is None:
            raise HoshoError("電子証書の認証キーはありません（未発行または書面）")
        key = certificates.reveal_auth_key(
            db, self.number, latest.version, operator=self.hosho.settings.operator, copy=copy
        )  # audited: as shown, or as copied
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
            version, key = self._latest_key(copy)
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
            # No space after the mark: Japanese has none to break at, and Rich would move the
            # whole reason to the next line, leaving the mark alone.
            text.append(f"  {r.mark}", style=_STYLES[r.tone])
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
