"""The terminal UI. ``make_app()`` is shared by the command line and the tests."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Footer, Header

from core import dates, services
from core.money import format_yen


class GuaranteeTable(DataTable[str]):
    pass


class HoshoApp(App[None]):
    TITLE = "hosho — 電子保証の窓口"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "終了", id="app.quit"),
        Binding("f5", "reload", "再読込", id="app.reload"),
    ]

    class Loaded(Message):
        def __init__(self, rows: list[services.GuaranteeView]) -> None:
            self.rows = rows
            super().__init__()

    def __init__(self, db_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._db_url = db_url
        self._db: Any = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield GuaranteeTable(id="guarantees", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(GuaranteeTable)
        table.add_columns(
            "保証契約番号", "契約締結日", "種別", "受注者", "発注者", "保証金額", "状態"
        )
        table.loading = True
        self.action_reload()

    def action_reload(self) -> None:
        self.load_guarantees()

    @work(exclusive=True, exit_on_error=False, thread=True)
    def load_guarantees(self) -> None:
        from core.db import open_database
        from core.settings import get_settings

        if self._db is None:
            self._db = open_database(self._db_url or get_settings().effective_database_url)
        rows = services.search_guarantees(self._db, services.GuaranteeFilter(limit=100))
        self.post_message(self.Loaded(rows))

    def on_hosho_app_loaded(self, message: Loaded) -> None:
        table = self.query_one(GuaranteeTable)
        table.clear()
        for g in message.rows:
            table.add_row(
                g.guarantee_number,
                dates.format_wareki(g.contract_date),
                g.type,
                g.customer,
                g.orderer,
                format_yen(g.amount),
                g.status,
                key=g.guarantee_number,
            )
        table.loading = False

    def on_unmount(self) -> None:
        if self._db is not None:
            self._db.dispose()


def make_app(db_url: str | None = None) -> HoshoApp:
    return HoshoApp(db_url=db_url)


def run_app() -> int:
    make_app().run()
    return 0
