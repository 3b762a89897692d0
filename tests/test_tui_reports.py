"""The export key of the guarantee list and the monthly report screen, driven as staff would."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col
from textual.widgets import DataTable, Input, Label, Select, Static

from core import services
from core.db import Database, open_database
from core.models import Guarantee
from tests.helpers import make_guarantee
from tests.test_tui import SIZE, SIZES, _settle, wait_for, wait_rows
from tui.app import make_app
from tui.guarantees import GuaranteeListScreen
from tui.reports import ExportDialog, ReportScreen

# customer, orderer, 契約締結日, 保証金額, delivery, status set afterwards
BOOK = [
    ("肥後", "熊本県", "2026-01-10", "40,000,000", "電子", None),
    ("肥後", "熊本県", "2026-01-20", "10,000,000", "書面", None),
    ("佐賀", "鳥栖市", "2026-01-25", "5,000,000", "電子", None),
    ("佐賀", "熊本県", "2026-02-03", "30,000,000", "電子", "取消"),
    ("肥後", "熊本県", "2026-02-14", "20,000,000", "書面", None),
    ("佐賀", "広島県", "2026-03-02", "12,000,000", "電子", None),
    ("肥後", "鳥栖市", "2026-03-20", "8,000,000", "電子", None),
]


def make_book(db: Database) -> None:
    customers = {
        "肥後": services.add_customer(db, name="株式会社肥後建設", operator="t").id,
        "佐賀": services.add_customer(db, name="佐賀土木株式会社", operator="t").id,
    }
    for i, (who, orderer, day, amount, delivery, status) in enumerate(BOOK):
        g = make_guarantee(
            db,
            customers[who],
            orderer=orderer,
            contract_date=day,
            amount=amount,
            delivery=delivery,
            project=f"県道改良工事（その{i + 1}）",
        )
        if status:
            with db.session() as s:
                s.execute(
                    update(Guarantee)
                    .where(col(Guarantee.number) == g.guarantee_number)
                    .values(status=status)
                )


@pytest.fixture
def book(db: Database) -> None:
    make_book(db)


def table_text(table: DataTable[Any]) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_export_key_writes_every_filtered_row(
    db_url: str, book: None, tmp_path: Path
) -> None:
    app = make_app(db_url)
    target = tmp_path / "out" / "熊本県.csv"
    target.parent.mkdir()
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, len(BOOK))
        app.screen.query_one("#f-orderer", Input).value = "熊本県"
        await wait_rows(app, pilot, 4)
        app.screen.query_one(DataTable).focus()
        await pilot.press("e")
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        path = dialog.query_one("#export-path", Input)
        assert path.value.endswith(".csv")
        dialog.query_one("#export-format", Select).value = "xlsx"
        await pilot.pause()
        assert path.value.endswith(".xlsx")  # the extension follows the format
        dialog.query_one("#export-format", Select).value = "csv"
        path.value = str(target)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, GuaranteeListScreen))
        await wait_for(pilot, target.exists)
        await app.workers.wait_for_complete()
        await wait_for(
            pilot, lambda: any("書き出しました" in n.message for n in app._notifications)
        )
    with open(target, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert sorted(r["契約締結日"] for r in rows) == sorted(b[2] for b in BOOK if b[1] == "熊本県")
    assert {r["発注者"] for r in rows} == {"熊本県"}


async def test_export_dialog_says_what_is_wrong_and_keeps_the_path(
    db_url: str, book: None, tmp_path: Path
) -> None:
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, len(BOOK))
        await pilot.press("e")
        dialog = app.screen
        path = dialog.query_one("#export-path", Input)
        error = dialog.query_one("#export-error", Label)
        for typed, message in [
            (str(tmp_path), "フォルダです"),
            (str(tmp_path / "ない" / "a.csv"), "ありません"),
        ]:
            path.value = typed
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda m=message: m in str(error.render()), error)
            assert app.screen is dialog and path.value == typed
        await pilot.press("escape")
        assert isinstance(app.screen, GuaranteeListScreen)
    assert not list(tmp_path.glob("*.csv"))


async def open_report(app: Any, pilot: Any, start: str, end: str, shown: str) -> ReportScreen:
    await wait_rows(app, pilot, len(BOOK))
    await pilot.press("r")
    screen = app.screen
    assert isinstance(screen, ReportScreen)
    screen.query_one("#r-from", Input).value = start
    screen.query_one("#r-to", Input).value = end
    status = screen.query_one("#report-status", Label)
    await wait_for(pilot, lambda: shown in str(status.render()) and "行" in str(status.render()), status)  # fmt: skip
    return screen


async def test_report_screen_table_totals_and_grouping(db_url: str, book: None) -> None:
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_report(app, pilot, "R8.1", "R8.3", "令和8年1月〜令和8年3月")
        rows = table_text(screen.query_one(DataTable))
        assert rows[0][:6] == ["令和8年1月", "熊本県", "2", "50,000,000", "1", "50.0%"]
        assert rows[1][:3] == ["", "鳥栖市", "1"]
        assert rows[2][1] == "小計" and rows[2][2] == "3"
        february = next(r for r in rows if r[0] == "令和8年2月")
        assert february[1:7] == ["熊本県", "1", "20,000,000", "0", "0.0%", "1"]  # 取消 apart
        total = str(screen.query_one("#report-total", Static).render())
        assert "6件" in total and "95,000,000円" in total and "取消 1件" in total
        screen.query_one("#r-by", Select).value = "type"
        status = screen.query_one("#report-status", Label)
        await wait_for(pilot, lambda: "種別別" in str(status.render()), status)
        rows = table_text(screen.query_one(DataTable))
        assert rows[0][:3] == ["令和8年1月", "前払金", "3"]
        assert screen.query_one(DataTable).columns  # headers follow the grouping
        headers = [str(c.label) for c in screen.query_one(DataTable).columns.values()]
        assert headers[1] == "種別"
        await pilot.press("escape")
        assert isinstance(app.screen, GuaranteeListScreen)


async def test_report_screen_bad_month_keeps_the_last_result(db_url: str, book: None) -> None:
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_report(app, pilot, "R8.1", "R8.3", "令和8年1月〜令和8年3月")
        before = table_text(screen.query_one(DataTable))
        screen.query_one("#r-to", Input).value = "R8.13"
        status = screen.query_one("#report-status", Label)
        await wait_for(pilot, lambda: "存在しない" in str(status.render()), status)
        assert table_text(screen.query_one(DataTable)) == before
        assert screen.query_one("#r-to", Input).value == "R8.13"


async def test_report_chart_shows_the_monthly_electronic_share(db_url: str, book: None) -> None:
    from textual_plotext import PlotextPlot

    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_report(app, pilot, "R8.1", "R8.3", "令和8年1月〜令和8年3月")
        await pilot.pause()
        # January 2 of 3 electronic, February 0 of 1 (the cancelled one left out), March 2 of 2
        assert screen.shares == [("R8.1", 66.7), ("R8.2", 0.0), ("R8.3", 100.0)]
        text = str(screen.query_one(PlotextPlot).render())
        for label in ("R8.1", "R8.2", "R8.3", "100"):
            assert label in text


# --- snapshot --------------------------------------------------------------------------------


@pytest.fixture
def report_db(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'report.db'}"
    db = open_database(url)
    make_book(db)
    db.dispose()
    yield url


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_report(snap_compare: Any, size: tuple[int, int], report_db: str) -> None:
    async def open_it(pilot: Any) -> None:
        await _settle(pilot)
        await pilot.press("r")
        screen = pilot.app.screen
        screen.query_one("#r-from", Input).value = "R8.1"
        screen.query_one("#r-to", Input).value = "R8.3"
        status = screen.query_one("#report-status", Label)
        await wait_for(pilot, lambda: "令和8年1月〜令和8年3月" in str(status.render()), status)
        await wait_for(pilot, lambda: len(screen.shares) == 3)
        table = screen.query_one(DataTable)
        # the month column has grown to its rows (not the width of its header alone)
        await wait_for(pilot, lambda: table.ordered_columns[0].get_render_width(table) >= 12)
        await _settle(pilot)

    assert snap_compare(make_app(report_db), terminal_size=size, run_before=open_it)
