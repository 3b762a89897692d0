"""The terminal UI, driven as staff would: Pilot for workflows, snapshots for the screens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input, Label, OptionList, Select, Static

from core import services
from core.db import Database, open_database
from core.settings import Settings
from tests.helpers import make_guarantee
from tui.app import HoshoApp, make_app
from tui.browse import HelpScreen, OrderersScreen
from tui.forms import CustomerForm, GuaranteeForm
from tui.guarantees import GuaranteeDetailScreen, GuaranteeListScreen, GuaranteeTable

SIZE = (120, 36)
SIZES = [(100, 30), (120, 36), (200, 50)]  # the smallest, the usual, a wide screen


@pytest.fixture
def book(db: Database) -> list[services.GuaranteeView]:
    higo = services.add_customer(
        db, name="株式会社肥後建設", email="info@higo.example.jp", operator="t"
    )
    saga = services.add_customer(db, name="佐賀土木株式会社", operator="t")
    return [
        make_guarantee(db, higo.id, contract_date="R8.4.1", project="県道熊本高森線 道路改良工事"),
        make_guarantee(db, saga.id, orderer="鳥栖市", type="契約", amount="5,000,000",
                       contract_date="R8.3.18", announcement_date="R8.3.2", award_date="R8.3.12"),
        make_guarantee(db, higo.id, orderer="広島県", contract_date="R6.5.31", amount="30,000,000"),
    ]  # fmt: skip


async def wait_rows(app: HoshoApp, pilot: Any, count: int) -> DataTable[Any]:
    table = app.screen.query_one(GuaranteeTable)
    for _ in range(500):
        await pilot.pause(0.02)
        if table.row_count == count and not app.screen.workers:
            break
    return table


async def wait_for(pilot: Any, condition: Any, shown: Any = None) -> None:
    for _ in range(500):  # up to 10 s: CI machines can be slow
        await pilot.pause(0.02)
        if condition():
            return
    raise AssertionError(f"condition not met; shown: {shown.render() if shown else '-'}")


async def test_list_shows_guarantees_in_wareki(
    db_url: str, book: list[services.GuaranteeView]
) -> None:
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        table = await wait_rows(app, pilot, 3)
        first = [str(cell) for cell in table.get_row_at(0)]
        assert first[0] == book[0].guarantee_number and first[1] == "令和8年4月1日"
        assert first[5] == "40,000,000円"
        assert "全3件" in str(app.screen.query_one("#filter-status", Label).render())


async def test_names_are_shown_as_typed_never_as_markup(db: Database, db_url: str) -> None:
    odd = services.add_customer(db, name="[/]株式会社[b]角[/b]建設", operator="t")
    make_guarantee(db, odd.id, contract_date="R8.4.1")
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        table = await wait_rows(app, pilot, 1)
        assert str(table.get_row_at(0)[3]) == "[/]株式会社[b]角[/b]建設"
        await pilot.pause()  # painted without a markup error


async def test_filter_by_reading_and_bad_date(
    db_url: str, book: list[services.GuaranteeView]
) -> None:
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, 3)
        app.screen.query_one("#f-orderer", Input).focus()
        await pilot.press(*"とすし")
        table = await wait_rows(app, pilot, 1)
        assert str(table.get_row_at(0)[0]) == book[1].guarantee_number
        date_from = app.screen.query_one("#f-from", Input)
        date_from.focus()
        await pilot.press(*"R8.2.30")
        await wait_for(
            pilot,
            lambda: "存在しない" in str(app.screen.query_one("#filter-status", Label).render()),
        )
        assert date_from.value == "R8.2.30"  # the typed text stays
        assert table.row_count == 1  # and the last good result too


async def test_detail_shows_verdict_and_deadline(
    db_url: str, book: list[services.GuaranteeView]
) -> None:
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, 3)
        await app.push_screen(GuaranteeDetailScreen(book[1].guarantee_number))
        await pilot.pause()
        verdict = app.screen.query_one("#verdict", Static)
        await wait_for(pilot, lambda: "電子証書" in str(verdict.render()))
        text = str(verdict.render())
        assert "電子証書にできます" in text and "契約検査課" in text
        assert "令和8年3月19日" in text  # 鳥栖市's 5-day deadline after the award
        await pilot.press("escape")
        assert isinstance(app.screen, GuaranteeListScreen)


async def test_new_guarantee_form_keeps_input_and_saves(
    db_url: str, book: list[services.GuaranteeView]
) -> None:
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, 3)
        await pilot.press("n")
        assert isinstance(app.screen, GuaranteeForm)
        form = app.screen

        def fill(name: str, value: str) -> None:
            form.query_one(f"#input-{name}", Input).value = value

        fill("customer", "株式会社肥後建設")
        fill("orderer", "くまもとけん")
        fill("project", "市道改良工事")
        fill("contract_amount", "1億")
        fill("amount", "2億")  # above 請負金額
        fill("contract_date", "R8.2.30")  # no such day
        await pilot.press("ctrl+s")
        error_amount = form.query_one("#error-amount", Label)
        await wait_for(pilot, lambda: "超えています" in str(error_amount.render()))
        assert "存在しない" in str(form.query_one("#error-contract_date", Label).render())
        assert form.query_one("#input-amount", Input).value == "2億"  # nothing typed is lost
        fill("amount", "4000万")
        fill("contract_date", "R8.4.10")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, GuaranteeDetailScreen))
        await pilot.press("escape")
        await wait_rows(app, pilot, 4)
    db = open_database(db_url)
    rows = services.search_guarantees(db, services.parse_filter(customer="肥後"))
    db.dispose()
    assert any(g.project_name == "市道改良工事" and g.orderer == "熊本県" for g in rows)


async def test_orderer_field_completes_by_reading(
    db_url: str, book: list[services.GuaranteeView]
) -> None:
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, 3)
        await pilot.press("n")
        orderer = app.screen.query_one("#input-orderer", Input)
        orderer.focus()
        await pilot.press(*"とすし")
        options = app.screen.query_one("#orderer-options", OptionList)
        await wait_for(pilot, lambda: options.option_count > 0)
        assert str(options.get_option_at_index(0).prompt) == "鳥栖市"
        await pilot.press("enter", "enter")
        assert orderer.value == "鳥栖市"


async def test_guarantee_form_adds_a_missing_orderer_and_keeps_every_field(
    db_url: str, book: list[services.GuaranteeView]
) -> None:
    from tui.orderer_forms import AddOrdererForm

    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, 3)
        await pilot.press("n")
        form = app.screen
        assert isinstance(form, GuaranteeForm)
        typed = {
            "customer": "株式会社肥後建設",
            "orderer": "有明広域行政事務組合",
            "project": "ごみ処理施設改修工事",
            "contract_amount": "1億",
            "amount": "4000万",
            "contract_date": "R8.4.10",
            "bank": "肥後銀行",
        }
        for name, value in typed.items():
            form.query_one(f"#input-{name}", Input).value = value
        form.query_one("#input-delivery", Select).value = "書面"
        await pilot.press("ctrl+s")
        error = form.query_one("#error-orderer", Label)
        await wait_for(pilot, lambda: "登録簿にありません" in str(error.render()), error)
        assert "「団体を登録」（Ctrl+O）" in str(error.render())
        assert "hosho orderer add" not in str(error.render())
        await pilot.press("ctrl+o")
        add = app.screen
        assert isinstance(add, AddOrdererForm)
        assert add.query_one("#input-name", Input).value == "有明広域行政事務組合"
        add.query_one("#input-prefecture", Select).value = "熊本県"
        await pilot.press("ctrl+s")
        orderer = form.query_one("#input-orderer", Input)
        await wait_for(pilot, lambda: app.screen is form and not str(error.render()))
        assert orderer.value == "有明広域行政事務組合"
        for name, value in typed.items():
            assert form.query_one(f"#input-{name}", Input).value == value, name
        assert form.query_one("#input-delivery", Select).value == "書面"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, GuaranteeDetailScreen))
    db = open_database(db_url)
    rows = services.search_guarantees(db, services.parse_filter(customer="肥後"))
    db.dispose()
    saved = [g for g in rows if g.project_name == "ごみ処理施設改修工事"]
    assert saved and saved[0].orderer == "有明広域行政事務組合"
    assert saved[0].orderer_prefecture == "熊本県"


async def test_paper_guarantee_for_a_body_not_in_the_lists_saves(
    db_url: str, book: list[services.GuaranteeView]
) -> None:
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, 3)
        await pilot.press("n")
        form = app.screen
        for name, value in {
            "customer": "佐賀土木株式会社",
            "orderer": "札幌市",
            "project": "市道改良工事",
            "contract_amount": "2000万",
            "amount": "800万",
            "contract_date": "R8.4.1",
        }.items():
            form.query_one(f"#input-{name}", Input).value = value
        form.query_one("#input-delivery", Select).value = "書面"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, GuaranteeDetailScreen))
        verdict = app.screen.query_one("#verdict", Static)
        await wait_for(pilot, lambda: "掲載なし" in str(verdict.render()))
    db = open_database(db_url)
    rows = services.search_guarantees(db, services.parse_filter(orderer="札幌市"))
    db.dispose()
    assert [(g.orderer, g.delivery) for g in rows] == [("札幌市", "書面")]


async def test_closed_form_keeps_its_draft(db_url: str, book: list[services.GuaranteeView]) -> None:
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, 3)
        await pilot.press("u")
        assert isinstance(app.screen, CustomerForm)
        await pilot.press(*"有限会社阿蘇組")
        await pilot.press("escape")
        assert isinstance(app.screen, GuaranteeListScreen)
        await pilot.press("u")
        await pilot.pause()
        assert app.screen.query_one("#input-name", Input).value == "有限会社阿蘇組"


async def open_orderers(app: HoshoApp, pilot: Any) -> OrderersScreen:
    """The orderers browser with its first page of rows on screen."""
    await pilot.press("o")
    screen = app.screen
    assert isinstance(screen, OrderersScreen)
    status = screen.query_one("#orderer-status", Label)
    await wait_for(pilot, lambda: "全国 " in str(status.render()), status)
    return screen


def detail_text(screen: OrderersScreen) -> str:
    return str(screen.query_one("#orderer-text", Static).render())


async def search_orderers(pilot: Any, screen: OrderersScreen, text: str, expect: str) -> None:
    search = screen.query_one("#orderer-search", Input)
    search.focus()
    search.value = ""
    await pilot.press(*text)
    await wait_for(pilot, lambda: expect in detail_text(screen), screen.query_one("#orderer-text"))


async def test_orderers_browser_and_help(db_url: str, book: list[services.GuaranteeView]) -> None:
    from tui.browse import PAGE

    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, 3)
        screen = await open_orderers(app, pilot)
        table = screen.query_one(DataTable)
        status = str(screen.query_one("#orderer-status", Label).render())
        total = int(status.split("全国 ")[1].split("件")[0].replace(",", ""))
        assert total > 1700  # every prefecture, municipality and special ward
        assert table.row_count == PAGE  # one page in the table, the rest as the cursor nears
        table.focus()
        await pilot.press("ctrl+end")
        await wait_for(pilot, lambda: table.row_count >= 2 * PAGE)
        await search_orderers(pilot, screen, "とすし", "鳥栖市")
        assert "入札公告日" in detail_text(screen) and "契約検査課" in detail_text(screen)
        assert "出典" in detail_text(screen)
        await search_orderers(pilot, screen, "府中", "府中")
        names = {
            (str(table.get_row_at(i)[0]), str(table.get_row_at(i)[2]))
            for i in range(table.row_count)
        }
        assert {("府中市", "東京都"), ("府中市", "広島県"), ("府中町", "広島県")} <= names
        await search_orderers(pilot, screen, "さっぽろし", "札幌市")
        text = detail_text(screen)
        assert "011002" in text and "一覧（令和8年2月2日現在）に掲載なし" in text
        assert str(table.get_row_at(0)[1]) == "掲載なし"
        table.focus()
        await pilot.press("f")  # 導入済みのみ
        await wait_for(pilot, lambda: table.row_count == 0)
        assert "f で全件" in detail_text(screen)
        screen.query_one("#orderer-search", Input).value = ""
        await wait_for(pilot, lambda: table.row_count > 50)
        assert all(str(table.get_row_at(i)[1]) != "掲載なし" for i in range(table.row_count))
        await pilot.press("f")  # 全件
        await wait_for(pilot, lambda: str(table.get_row_at(table.row_count - 1)[1]) == "掲載なし")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        ids = {row[2] for row in app.screen.rows}
        assert {"orderers.adopt", "orderers.edit", "orderers.add", "orderers.adopted_only"} <= ids
        await pilot.press("escape", "escape")
        await pilot.press("question_mark")
        assert any(row[2] == "list.new_guarantee" for row in app.screen.rows)


async def test_orderers_browser_states_coverage_per_prefecture(
    db_url: str, book: list[services.GuaranteeView]
) -> None:
    """The line under the list: adopted bodies of the prefecture shown, from which kind of
    source, and the newest as-of — the same figures as ``hosho orderer list --summary``."""
    from core.knowledge import PREFECTURES
    from core.orderers import coverage_summary, summary_line

    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, 3)
        screen = await open_orderers(app, pilot)
        coverage = screen.query_one("#orderer-coverage", Label)
        assert str(coverage.render()).startswith("全国: 導入 ")
        pref_list = screen.query_one("#pref-list", OptionList)
        pref_list.highlighted = 2 + PREFECTURES.index("長崎県")
        expected = summary_line(coverage_summary(app.database(), "長崎県")[0])
        await wait_for(pilot, lambda: str(coverage.render()) == expected, coverage)
        assert "公開ページ" in expected and "最新の時点" in expected


async def test_adopt_from_the_browser(db_url: str, book: list[services.GuaranteeView]) -> None:
    from core.orderers import show_orderer
    from tui.orderer_forms import AdoptOrdererForm

    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, 3)
        screen = await open_orderers(app, pilot)
        await search_orderers(pilot, screen, "あそし", "阿蘇市")
        assert "掲載なし" in detail_text(screen)
        await pilot.press("enter", "a")  # from the search to the table, then 導入を記録
        form = app.screen
        assert isinstance(form, AdoptOrdererForm)
        await pilot.press(*"R8.4.1")
        form.query_one("#input-submission", Input).value = "電子メール"
        form.query_one("#input-submit_to", Input).value = "契約管理課"
        form.query_one("#input-url", Input).value = "https://www.city.aso.example/denshi"
        await pilot.press("ctrl+s")  # no source, no date: refused beside the fields
        error = form.query_one("#error-source", Label)
        await wait_for(pilot, lambda: "出典" in str(error.render()), error)
        assert "時点" in str(form.query_one("#error-as_of", Label).render())
        assert form.query_one("#input-start", Input).value == "R8.4.1"  # nothing typed is lost
        assert form.query_one("#input-submit_to", Input).value == "契約管理課"
        form.query_one("#input-source", Input).value = "電子契約・電子保証の導入について [お知らせ]"
        form.query_one("#input-as_of", Input).value = "R8.3.15"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen and "導入を記録" in detail_text(screen))
        text = detail_text(screen)
        assert "令和8年4月1日以降の契約締結日分" in text
        assert "電子メール → 契約管理課" in text
        assert "電子契約・電子保証の導入について [お知らせ]" in text  # as typed, not markup
        assert "テスト担当 導入を記録: 運用開始日" in text
        table = screen.query_one(DataTable)
        assert str(table.get_row_at(table.cursor_row)[1]) == "令和8年4月1日〜"
    db = open_database(db_url)
    record = show_orderer(db, "阿蘇市")
    db.dispose()
    assert record["electronic"] == "adopted" and record["history"][-1]["by"] == "テスト担当"


async def test_adopt_known_to_the_month(db_url: str, book: list[services.GuaranteeView]) -> None:
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, 3)
        screen = await open_orderers(app, pilot)
        await search_orderers(pilot, screen, "あそし", "阿蘇市")
        await pilot.press("enter", "a", *"R7.10")  # no day: the month is what is known
        form = app.screen
        assert "令和7年10月（月まで" in str(form.query_one("#hint-start", Label).render())
        form.query_one("#input-source", Input).value = "電子入札・電子契約のお知らせ"
        form.query_one("#input-as_of", Input).value = "令和8年3月15日"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen and "導入を記録" in detail_text(screen))
        assert "令和7年10月（日は資料に記載なし）以降の契約締結日分" in detail_text(screen)


async def test_edit_from_the_browser(db_url: str, book: list[services.GuaranteeView]) -> None:
    from tui.orderer_forms import EditOrdererForm

    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, 3)
        screen = await open_orderers(app, pilot)
        await search_orderers(pilot, screen, "とすし", "鳥栖市")
        await pilot.press("enter", "e")
        form = app.screen
        assert isinstance(form, EditOrdererForm)
        assert form.query_one("#input-reading", Input).value == "とすし"  # the record as it is
        form.query_one("#input-aliases", Input).value = "鳥栖市役所"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen and "修正" in detail_text(screen))
        assert "鳥栖市役所" in detail_text(screen)
        assert "テスト担当 修正: 別名" in detail_text(screen)


async def test_add_from_the_browser(db_url: str, book: list[services.GuaranteeView]) -> None:
    from tui.orderer_forms import AddOrdererForm

    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, 3)
        screen = await open_orderers(app, pilot)
        await pilot.press("n")
        form = app.screen
        assert isinstance(form, AddOrdererForm)
        await pilot.press(*"[b]有明[/b]環境組合")
        await pilot.press("ctrl+s")  # no prefecture for an 一部事務組合
        error = form.query_one("#error-prefecture", Label)
        await wait_for(pilot, lambda: "都道府県" in str(error.render()), error)
        form.query_one("#input-prefecture", Select).value = "熊本県"
        form.query_one("#input-reading", Input).value = "ありあけかんきょうくみあい"
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: app.screen is screen and "[b]有明[/b]環境組合" in detail_text(screen)
        )
        table = screen.query_one(DataTable)
        row = table.get_row_at(table.cursor_row)
        assert [str(c) for c in row[:4]] == [
            "[b]有明[/b]環境組合",
            "掲載なし",
            "熊本県",
            "一部事務組合",
        ]
        assert "職員が登録した団体" in detail_text(screen)
        assert "テスト担当 登録" in detail_text(screen)
        await pilot.pause()  # painted without a markup error


async def test_keys_can_be_remapped_from_settings(
    db_url: str, book: list[services.GuaranteeView]
) -> None:
    app = make_app(db_url, settings=Settings(keys={"list.new_guarantee": "f2"}))
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, 3)
        await pilot.press("f2")
        assert isinstance(app.screen, GuaranteeForm)


# --- snapshots -------------------------------------------------------------------------


@pytest.fixture
def snapshot_db(tmp_path: Path) -> Iterator[str]:
    """A small book on SQLite with fixed content, for screens that must look the same."""
    url = f"sqlite:///{tmp_path / 'snap.db'}"
    db = open_database(url)
    c = services.add_customer(
        db, name="株式会社肥後建設", email="info@higo.example.jp", operator="t"
    )
    make_guarantee(db, c.id, contract_date="R8.4.1", project="県道熊本高森線 道路改良工事")
    make_guarantee(db, c.id, orderer="鳥栖市", type="契約", amount="5,000,000",
                   contract_date="R8.3.18", announcement_date="R8.3.2", award_date="R8.3.12")  # fmt: skip
    db.dispose()
    yield url


async def _settle(pilot: Any) -> None:
    # Workers start one another (rows, then the count; a loaded machine is slow to start them):
    # wait until a pause starts none.
    for _ in range(3):
        await pilot.pause(0.3)
        await pilot.app.workers.wait_for_complete()
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False  # a blinking cursor would make the picture random
    await pilot.pause(0.1)


def test_snapshot_guarantee_list(snap_compare: Any, snapshot_db: str) -> None:
    assert snap_compare(make_app(snapshot_db), terminal_size=SIZE, run_before=_settle)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_detail(snap_compare: Any, size: tuple[int, int], snapshot_db: str) -> None:
    async def open_detail(pilot: Any) -> None:
        await _settle(pilot)
        await pilot.press("down", "enter")
        verdict = lambda: str(pilot.app.screen.query_one("#verdict", Static).render())  # noqa: E731
        await wait_for(pilot, lambda: "電子証書" in verdict())  # loaded by a worker
        await _settle(pilot)

    assert snap_compare(make_app(snapshot_db), terminal_size=size, run_before=open_detail)


def test_snapshot_guarantee_form(snap_compare: Any, snapshot_db: str) -> None:
    async def open_form(pilot: Any) -> None:
        await _settle(pilot)
        await pilot.press("n")
        await _settle(pilot)

    assert snap_compare(make_app(snapshot_db), terminal_size=SIZE, run_before=open_form)


@pytest.mark.parametrize("size", [(100, 30), (200, 50)], ids=["100x30", "200x50"])
def test_snapshot_faq_conversation(
    snap_compare: Any, snapshot_db: str, size: tuple[int, int]
) -> None:
    """The F1 panel after a question and its follow-up: it fits at 100 columns and uses the
    width at 200."""

    async def converse(pilot: Any) -> None:
        await _settle(pilot)
        await pilot.press("f1")
        await pilot.press(*"鳥栖市はいつから電子保証？", "enter")
        await wait_for(pilot, lambda: "令和8年3月1日" in said(pilot.app))
        await pilot.press(*"じゃあ提出先は？", "enter")
        await wait_for(pilot, lambda: "として回答" in said(pilot.app))
        await _settle(pilot)

    assert snap_compare(make_app(snapshot_db), terminal_size=size, run_before=converse)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_orderers(snap_compare: Any, size: tuple[int, int], snapshot_db: str) -> None:
    async def open_orderers(pilot: Any) -> None:
        await _settle(pilot)
        await pilot.press("o")
        status = pilot.app.screen.query_one("#orderer-status", Label)
        await wait_for(pilot, lambda: "全国 " in str(status.render()))
        await _settle(pilot)

    assert snap_compare(make_app(snapshot_db), terminal_size=size, run_before=open_orderers)


def test_snapshot_orderers_search_small(snap_compare: Any, snapshot_db: str) -> None:
    """At 80x24: a body not in the lists, found by its reading, with its 団体コード."""

    async def search(pilot: Any) -> None:
        await _settle(pilot)
        await pilot.press("o")
        screen = pilot.app.screen
        status = screen.query_one("#orderer-status", Label)
        await wait_for(pilot, lambda: "全国 " in str(status.render()))
        await pilot.press("slash", *"さっぽろし", "enter")
        await wait_for(pilot, lambda: "札幌市" in detail_text(screen))
        await _settle(pilot)

    assert snap_compare(make_app(snapshot_db), terminal_size=(80, 24), run_before=search)


def test_snapshot_orderer_adopt_form(snap_compare: Any, snapshot_db: str) -> None:
    """The 導入を記録 form refused without a source: errors beside their fields."""

    async def adopt(pilot: Any) -> None:
        await _settle(pilot)
        await pilot.press("o")
        screen = pilot.app.screen
        status = screen.query_one("#orderer-status", Label)
        await wait_for(pilot, lambda: "全国 " in str(status.render()))
        await pilot.press("slash", *"あそし", "enter")
        await wait_for(pilot, lambda: "阿蘇市" in detail_text(screen))  # the search's rows
        await _settle(pilot)
        await pilot.press("a")
        await pilot.press(*"R8.4.1", "ctrl+s")
        form = pilot.app.screen
        await wait_for(pilot, lambda: "出典" in str(form.query_one("#error-source").render()))
        await _settle(pilot)

    assert snap_compare(make_app(snapshot_db), terminal_size=SIZE, run_before=adopt)


# --- certificates -----------------------------------------------------------------------


async def test_issue_certificate_queues_the_notice(
    db_url: str, book: list[services.GuaranteeView]
) -> None:
    from mailer.outbox import list_outbox
    from tui.certs import OutboxScreen

    app = make_app(db_url)
    number = book[0].guarantee_number
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, 3)
        await app.push_screen(GuaranteeDetailScreen(number))
        history = app.screen.query_one("#history", DataTable)
        await wait_for(pilot, lambda: history.row_count == 1)
        await pilot.press("i")
        await wait_for(
            pilot, lambda: history.row_count == 1 and history.get_row_at(0)[0] == "第1版"
        )
        row = history.get_row_at(0)
        assert row[1] == "新規" and row[2] == "—"  # no 変更契約日 for a 新規
        assert row[3] == "電子" and "*" in row[4]  # masked until revealed
        await pilot.press("k")
        await wait_for(pilot, lambda: "*" not in str(history.get_row_at(0)[4]))
        revealed = str(history.get_row_at(0)[4])
        assert len(revealed) == 10
        await pilot.press("escape", "x")
        assert isinstance(app.screen, OutboxScreen)
        table = app.screen.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count == 1)
        assert table.get_row_at(0)[1] == number
    db = open_database(db_url)
    rows = list_outbox(db)
    audit = services.list_audit(db)
    db.dispose()
    assert [r.status for r in rows] == ["pending"]
    assert any(a.action == "certificate.reveal" for a in audit)
    assert all(revealed not in str(a.detail) for a in audit)  # the key is never in the log


async def test_needs_confirmation_asks_first(
    db_url: str, book: list[services.GuaranteeView]
) -> None:
    from tui.dialogs import ConfirmScreen

    db = open_database(db_url)
    customer = services.add_customer(  # another company of the same name, with an email
        db, name="佐賀土木株式会社", email="saga@example.jp", confirmed=True, operator="t"
    )
    g = make_guarantee(
        db, customer.id, orderer="佐賀県", contract_date="R6.5.15"
    )  # month only: 要確認
    db.dispose()
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, 4)
        await app.push_screen(GuaranteeDetailScreen(g.guarantee_number))
        await pilot.pause()
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "要確認" in str(app.screen.details)
        await pilot.press("y")
        history = app.screen.query_one("#history", DataTable)
        await wait_for(pilot, lambda: history.get_row_at(0)[0] == "第1版")


# --- FAQ assistant ----------------------------------------------------------------------


def said(app: Any) -> str:
    """What the FAQ panel shows, before it is broken into lines."""
    shown = getattr(app.screen, "shown", None)
    return shown.plain if shown is not None else ""


async def test_f1_answers_from_any_screen_and_keeps_history(
    db_url: str, book: list[services.GuaranteeView]
) -> None:
    from tui.faq_panel import FaqScreen

    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, 3)
        await pilot.press("n")  # F1 works even inside a form
        await pilot.press("f1")
        assert isinstance(app.screen, FaqScreen)
        await pilot.press(*"とすしの認証キーはどこに出せばいい？", "enter")
        await wait_for(pilot, lambda: "鳥栖市" in said(app))
        assert "契約検査課" in said(app) and "出典" in said(app)
        await pilot.press("ctrl+y")  # the answer as shown, its source line once
        assert app.clipboard.startswith("鳥栖市へは") and app.clipboard.count("出典") == 1
        app.screen.query_one("#faq-input", Input).value = ""
        await pilot.press(*"明日の天気は？", "enter")
        await wait_for(pilot, lambda: "見つかりません" in said(app))
        history = app.screen.query_one("#faq-history", OptionList)
        assert history.option_count == 2
        await pilot.press("escape")
        await pilot.press("f1")
        assert app.screen.query_one("#faq-history", OptionList).option_count == 2  # kept


async def test_faq_panel_shows_date_checks_and_asks_which_branch(db_url: str) -> None:
    from tui.faq_panel import FaqScreen

    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, FaqScreen)
        await pilot.press(*"令和8年4月1日に契約する芦屋町の工事は電子保証の対象？", "enter")
        await wait_for(pilot, lambda: "【令和8年4月1日の案件】" in said(app))
        assert "日付の上では電子保証の対象です" in said(app)
        app.screen.query_one("#faq-input", Input).value = ""
        await pilot.press(*"支店の電話番号は？", "enter")
        await wait_for(pilot, lambda: "どちらの支店" in said(app))
        choices = app.screen.query_one("#faq-alternatives", OptionList)
        assert choices.option_count == 25
        kumamoto = next(
            i for i in range(25) if choices.get_option_at_index(i).id == "熊本支店の電話番号"
        )
        choices.focus()
        choices.highlighted = kumamoto
        await pilot.press("enter")  # the branch picked is asked
        await wait_for(pilot, lambda: "096-364-1155" in said(app))


async def test_empty_database_and_unreachable_server_are_said_plainly(
    db: Database, db_url: str
) -> None:
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        status = app.screen.query_one("#filter-status", Label)
        await wait_for(pilot, lambda: "まだ登録されていません" in str(status.render()), status)
        app.screen.query_one("#f-customer", Input).value = "阿蘇"
        await wait_for(pilot, lambda: "条件に合う保証はありません" in str(status.render()))
    down = make_app("postgresql://nobody@127.0.0.1:1/none")
    async with down.run_test(size=SIZE) as pilot:
        status = down.screen.query_one("#filter-status", Label)
        await wait_for(pilot, lambda: "接続できません" in str(status.render()))
        assert "Traceback" not in str(status.render())


async def test_faq_panel_is_a_conversation(db_url: str) -> None:
    from tui.faq_panel import FaqScreen

    app = make_app(db_url)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, FaqScreen)
        box = app.screen.query_one("#faq-input", Input)
        shown = app.screen.query_one("#faq-text", Static)
        await pilot.press(*"鳥栖市はいつから電子保証？", "enter")
        assert box.value == ""  # the box is cleared for the next question
        await wait_for(pilot, lambda: "令和8年3月1日" in said(app))
        await pilot.press(*"じゃあ提出先は？", "enter")
        await wait_for(pilot, lambda: "（鳥栖市の提出先・提出方法として回答）" in said(app))
        assert "令和8年3月1日" in said(app)  # the first answer stays above
        await pilot.press("ctrl+n")
        assert "新しい会話" in str(shown.render())
        await pilot.press(*"じゃあ提出先は？", "enter")  # nothing to follow any more
        await wait_for(pilot, lambda: "見つかりません" in said(app))
        await pilot.press("down")  # from the box to the candidates
        assert app.screen.focused is app.screen.query_one("#faq-alternatives", OptionList)


def test_no_line_of_an_answer_starts_with_punctuation() -> None:
    from itertools import pairwise

    from rich.console import Console
    from rich.text import Text

    from faq.render import NO_LINE_START, fold_lines

    text = Text(
        "鳥栖市の電子保証は、令和8年3月1日以降に入札公告を行う案件から別々に利用できます。" * 6
    )
    naive = [
        line
        for width in range(20, 61)
        for line in Text("\n").join(text.wrap(Console(width=width), width)).plain.splitlines()
    ]
    assert any(line[:1] in NO_LINE_START for line in naive)  # what plain wrapping does
    for width in range(20, 61):
        lines = fold_lines(text, width).plain.splitlines()
        assert not any(line[:1] in NO_LINE_START for line in lines), width
        assert not any(a[-1:].isdigit() and b[:1].isdigit() for a, b in pairwise(lines)), width
        assert all(Text(line).cell_len <= width for line in lines)
        assert "".join(lines) == text.plain
    # a paragraph's first character stays where it is (・ opens a line of a list)
    english = fold_lines(Text("鳥栖市Q&A）。" * 12), 30).plain.splitlines()
    assert not any(line.lstrip()[:1] in NO_LINE_START for line in english)
    listed = fold_lines(Text("（公告日で判断）。\n・電子保証の対象は工事"), 40).plain
    assert listed.splitlines() == ["（公告日で判断）。", "・電子保証の対象は工事"]
