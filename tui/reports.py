"""Exporting the guarantee list to a file, and the monthly report screen (利用実績)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import Button, DataTable, Header, Input, Label, Select, Static

from core import dates, services
from core.errors import HoshoError
from tui.base import HoshoFooter, HoshoScreenMixin, column_widths, set_columns

if TYPE_CHECKING:
    from core.reports import MonthlyReport

FORMAT_CHOICES = [("CSV（UTF-8、Excelで開けます）", "csv"), ("Excel（xlsx）", "xlsx")]


def default_export_path(fmt: str = "csv", today: date | None = None) -> Path:
    return Path.home() / f"保証一覧_{(today or date.today()):%Y%m%d}.{fmt}"


# --- export ---------------------------------------------------------------------------------


class ExportDialog(HoshoScreenMixin, ModalScreen[tuple[str, str] | None]):
    """Where to write the list and in which format; returns (path, format) or None."""

    DEFAULT_CSS = """
    ExportDialog { align: center middle; }
    ExportDialog > Vertical { width: 90; height: auto; border: thick $accent;
        background: $surface; padding: 1 2; }
    ExportDialog Input { width: 1fr; }
    ExportDialog Select { width: 40; }
    ExportDialog Horizontal { height: auto; }
    ExportDialog #export-buttons { align: right middle; padding-top: 1; }
    ExportDialog #export-error { color: $error; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "やめる", id="export.cancel"),
        Binding("ctrl+s", "confirm", "書き出す", id="export.confirm"),
    ]

    def __init__(self, description: str) -> None:
        super().__init__()
        self.description = description

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("保証一覧の書き出し", style="bold"))
            yield Static(Text(self.description))
            with Horizontal():
                yield Input(str(default_export_path()), id="export-path")
                yield Select(FORMAT_CHOICES, value="csv", allow_blank=False, id="export-format")
            yield Label("", id="export-error")
            with Horizontal(id="export-buttons"):
                yield Button("書き出す (Ctrl+S)", variant="primary", id="export-ok")
                yield Button("やめる (Esc)", id="export-cancel")

    def on_mount(self) -> None:
        path = self.query_one("#export-path", Input)
        path.focus()
        path.cursor_position = len(path.value)

    @on(Select.Changed, "#export-format")
    def _format_changed(self, event: Select.Changed) -> None:
        """Keep the file name's extension in step with the format."""
        path = self.query_one("#export-path", Input)
        current = Path(path.value)
        if current.suffix.lower() in (".csv", ".xlsx") and isinstance(event.value, str):
            path.value = str(current.with_suffix(f".{event.value}"))

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export-ok")
    def action_confirm(self) -> None:
        from core.export import format_for
        from core.files import check_output

        text = self.query_one("#export-path", Input).value
        chosen = self.query_one("#export-format", Select).value
        try:
            fmt = format_for(text, chosen if isinstance(chosen, str) else None)
            target = check_output(text)
        except HoshoError as exc:
            self.query_one("#export-error", Label).update(Text(str(exc)))
            return
        self.dismiss((str(target), fmt))

    @on(Button.Pressed, "#export-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


def start_export(screen: Any, f: services.GuaranteeFilter) -> None:
    """Ask where to write, then write every row ``f`` matches in a worker thread of ``screen``
    (the list); staff are told when it is done."""
    app = screen.hosho
    description = (
        "一覧の絞り込み条件に合う保証をすべて（表示中の行だけでなく）、"
        "新しい契約締結日順に書き出します。"
    )

    def chosen(answer: tuple[str, str] | None) -> None:
        if answer is None:
            return
        path, fmt = answer
        app.notify(f"書き出しています… {path}", markup=False)
        screen.run_worker(
            lambda: _export(app, f, path, fmt),
            thread=True,
            group="export",
            exit_on_error=False,
        )

    app.push_screen(ExportDialog(description), chosen)


def _export(app: Any, f: services.GuaranteeFilter, path: str, fmt: str) -> None:
    from core.export import export_guarantees

    try:
        result = export_guarantees(app.database(), f, path, fmt)
    except Exception as exc:
        app.call_from_thread(app.notify, app.describe_error(exc), severity="error", markup=False)
        return
    app.call_from_thread(
        app.notify,
        f"保証 {result.rows:,}件を書き出しました: {result.path}",
        timeout=8,
        markup=False,
    )


# --- the monthly report ---------------------------------------------------------------------

BY_CHOICES = [("発注者別", "orderer"), ("種別別", "type"), ("受注者別", "customer")]
PAGE = 200  # table rows added at a time (a year by orderer can be thousands)


def month_label(period: str) -> str:
    """``2026-04`` → ``R8.4`` (ASCII, for the chart's axis)."""
    year, month = period.split("-")
    short = dates.format_wareki_short(date(int(year), int(month), 1))
    return short.rsplit(".", 1)[0]


class ReportScreen(HoshoScreenMixin, Screen[None]):
    """利用実績: guarantees per month of 契約締結日 by orderer, type or customer, with the
    electronic share month by month as a chart."""

    DEFAULT_CSS = """
    #report-filters { height: auto; }
    #report-filters Input { width: 20; }
    #report-filters Select { width: 20; }
    #report-status { width: 1fr; height: 1; padding: 0 1; color: $text-muted; }
    #report-total { height: auto; padding: 0 1; }
    #report-table { height: 1fr; }
    #report-chart-title { padding: 0 1; text-style: bold; }
    #report-chart { height: 12; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "戻る", id="report.back"),
        Binding("f5", "reload", "再集計", id="report.reload"),
        Binding("slash", "focus_range", "期間", id="report.range"),
    ]

    class Ready(Message):
        def __init__(
            self,
            report: MonthlyReport | None,
            error: str,
            token: int,
            rows: list[tuple[str, list[str], str]] | None = None,
            widths: Sequence[int] = (),
        ) -> None:
            self.report, self.error, self.token = report, error, token
            self.rows, self.widths = rows or [], widths  # the table's rows and column widths
            super().__init__()

    def __init__(self, first: str | None = None, last: str | None = None) -> None:
        super().__init__(id="report")
        from core.reports import parse_months

        start, end = parse_months(first, last)
        self._initial = (dates.format_wareki_month(start), dates.format_wareki_month(end))
        self._token = 0
        self._debounce: Timer | None = None
        self._pending: list[tuple[str, list[str], str]] = []
        self.shares: list[tuple[str, float]] = []  # the chart: (month, electronic %)

    def compose(self) -> ComposeResult:
        from textual_plotext import PlotextPlot

        yield Header()
        with Horizontal(id="report-filters"):
            yield Input(self._initial[0], placeholder="最初の月 R8.4", id="r-from")
            yield Input(self._initial[1], placeholder="最後の月", id="r-to")
            yield Select(BY_CHOICES, value="orderer", allow_blank=False, id="r-by")
            yield Label("", id="report-status")
        yield Static("", id="report-total")
        yield DataTable(id="report-table", cursor_type="row", zebra_stripes=True)
        yield Label("電子利用率（月別、%）", id="report-chart-title")
        yield PlotextPlot(id="report-chart")
        yield HoshoFooter()

    def on_mount(self) -> None:
        self.sub_title = "利用実績（契約締結日の月別）"
        self.query_one(DataTable).focus()
        self.action_reload()

    @on(Input.Changed, "#report-filters Input")
    @on(Select.Changed, "#r-by")
    def _changed(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(0.3, self.action_reload)

    def action_focus_range(self) -> None:
        self.query_one("#r-from", Input).focus()

    def action_reload(self) -> None:
        from core.reports import parse_months

        by = self.query_one("#r-by", Select).value
        try:
            first, last = parse_months(
                self.query_one("#r-from", Input).value, self.query_one("#r-to", Input).value
            )
        except HoshoError as exc:
            self._say(Text("　".join(str(exc).splitlines()), style="bold red"))
            return  # the typed text stays; the table keeps its last good result
        self._token += 1
        self._say("集計中…")
        self._compute(first, last, str(by), self._token)

    @work(thread=True, exclusive=True, group="report", exit_on_error=False)
    def _compute(self, first: date, last: date, by: str, token: int) -> None:
        from core.reports import headers, monthly_report, table_rows

        try:
            report = monthly_report(self.hosho.database(), first, last, by)
        except Exception as exc:
            self.post_message(self.Ready(None, self.hosho.describe_error(exc), token))
            return
        # the rows as text and the columns' widths here, off the screen's thread: a year by
        # orderer can be tens of thousands of rows
        rows = [r for r in table_rows(report) if r[0] != "total"]
        widths = column_widths(headers(report.by), [cells for _kind, cells, _style in rows])
        self.post_message(self.Ready(report, "", token, rows, widths))

    def on_report_screen_ready(self, message: Ready) -> None:
        if message.token != self._token:
            return
        report = message.report
        if report is None:
            self._say(Text(message.error, style="bold red"))
            return
        from core.reports import headers, period_text, rate_text

        labels = [
            Text(h, justify="right" if i >= 2 else "left") for i, h in enumerate(headers(report.by))
        ]
        set_columns(self.query_one(DataTable), labels, message.widths)
        self._pending = message.rows
        self._add_rows()
        t = report.total
        total = Text()
        total.append("合計 ", style="bold")
        total.append(
            f"{t.count:,}件　保証金額 {t.amount:,}円　電子 {t.electronic:,}件"
            f"（{rate_text(t.electronic_rate)}）　取消 {t.cancelled:,}件　完了・解約 {t.closed:,}件"
        )
        total.append("（件数・金額・電子は取消を除く）", style="dim")
        self.query_one("#report-total", Static).update(total)
        span = f"{period_text(f'{report.first:%Y-%m}')}〜{period_text(f'{report.last:%Y-%m}')}"
        self._say(f"{span}・{report.label}別 {len(report.rows):,}行")
        self._chart(report)

    def _add_rows(self) -> None:
        table = self.query_one(DataTable)
        batch, self._pending = self._pending[:PAGE], self._pending[PAGE:]
        for _kind, cells, style in batch:
            table.add_row(
                *(
                    Text(c, style=style, justify="right" if i >= 2 else "left")
                    for i, c in enumerate(cells)
                )
            )

    @on(DataTable.RowHighlighted)
    def _maybe_more(self, event: DataTable.RowHighlighted) -> None:
        if self._pending and event.cursor_row >= event.data_table.row_count - 20:
            self._add_rows()

    def _chart(self, report: MonthlyReport) -> None:
        from textual_plotext import PlotextPlot

        chart = self.query_one(PlotextPlot)
        plt = chart.plt
        plt.clear_data()
        self.shares = [
            (month_label(m.period or ""), round((m.electronic_rate or 0) * 100, 1))
            for m in report.monthly
        ]
        plt.bar([m for m, _ in self.shares], [v for _, v in self.shares], width=0.6)
        plt.ylim(0, 100)
        plt.yticks([0, 25, 50, 75, 100])
        chart.refresh()

    def _say(self, content: str | Text) -> None:
        self.query_one("#report-status", Label).update(content)
