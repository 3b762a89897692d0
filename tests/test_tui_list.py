"""The guarantee list screen (issue 21): filters that never silently lie, literal wildcards,
the 工事名 and 交付 filters, keys that land where they are typed, the status line, and the
layout from 100x30 to 200x50."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from textual import events
from textual.keys import _character_to_key
from textual.widgets import DataTable, Input, Label, Select

from core import services
from core.db import Database, open_database
from core.errors import ValidationError
from core.terms import Delivery
from tests import test_tui
from tests.helpers import make_guarantee
from tests.test_tui import _settle, wait_for, wait_rows
from tui import guarantees
from tui.app import HoshoApp, make_app
from tui.guarantees import FILTER_LABELS, GuaranteeTable

book = test_tui.book  # the fixture: three guarantees, two customers

SIZES = [(100, 30), (120, 36), (200, 50)]
SIZE_IDS = ["100x30", "120x36", "200x50"]


def status_of(app: HoshoApp) -> str:
    return str(app.screen.query_one("#filter-status", Label).render())


def numbers(table: DataTable[Any]) -> list[str]:
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


def key_event(key: str) -> events.Key:
    """The event a terminal sends for ``key``: a name (tab, enter, down, slash, backspace)
    or one character."""
    named = {"tab": "\t", "enter": "\r", "backspace": "\x7f", "slash": "/", "down": None}
    if key in named:
        return events.Key(key, named[key])
    return events.Key(key if key.isalnum() else _character_to_key(key), key)


async def burst(app: HoshoApp, pilot: Any, *keys: str) -> None:
    """Keys that arrive together, as from a quick typist or a busy screen: each is queued
    before any is acted on (Pilot's ``press`` waits for each key to settle)."""
    for key in keys:
        app.post_message(key_event(key))
    for _ in range(5):
        await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def each(text: str) -> list[str]:
    return list(text)


class Gate:
    """Holds a service call in its worker thread until released."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
        self.open = threading.Event()
        self.waiting = threading.Event()
        real: Callable[..., Any] = getattr(services, name)

        def held(*args: Any, **kwargs: Any) -> Any:
            self.waiting.set()
            self.open.wait(10)
            return real(*args, **kwargs)

        monkeypatch.setattr(services, name, held)


# --- 1. a filter that cannot be read ---------------------------------------------------------


async def test_unreadable_amount_keeps_the_rows_and_says_which_filter(
    db_url: str, book: list[services.GuaranteeView], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The count of the rows shown arrives after the bad value was typed: it must not replace
    the message (the status line said 全N件 while the box held 1億ちょっと)."""
    monkeypatch.setattr(guarantees, "PAGE", 2)  # 3 rows: a page and more, so a count
    gate = Gate(monkeypatch, "count_guarantees")
    app = make_app(db_url)
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.screen.query_one(GuaranteeTable)
        await wait_for(pilot, lambda: gate.waiting.is_set() and table.row_count == 3)
        before = numbers(table)
        app.screen.query_one("#f-min", Input).value = "1億ちょっと"
        await wait_for(pilot, lambda: "読めません" in status_of(app))
        gate.open.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        said = status_of(app)
        assert "「1億ちょっと」" in said and "全3件" not in said, said
        assert "金額(下限)を読めません" in said and "一覧は前の条件のまま" in said, said
        assert numbers(table) == before


async def test_unreadable_date_drops_a_search_still_under_way(
    db_url: str, book: list[services.GuaranteeView], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A good filter's search is still running when a bad date is typed: its rows must not
    replace the list on screen under the message."""
    app = make_app(db_url)
    async with app.run_test(size=(100, 30)) as pilot:
        table = await wait_rows(app, pilot, 3)
        before = numbers(table)
        gate = Gate(monkeypatch, "search_guarantees")
        app.screen.query_one("#f-customer", Input).value = "佐賀"
        await wait_for(pilot, gate.waiting.is_set)
        app.screen.query_one("#f-from", Input).value = "R8.2.30"
        await wait_for(pilot, lambda: "読めません" in status_of(app) or "存在" in status_of(app))
        gate.open.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        said = status_of(app)
        assert "締結日(自)を読めません" in said and "存在しない日付" in said, said
        assert numbers(table) == before  # not 佐賀's one row
        app.screen.query_one("#f-from", Input).value = "R8.1.1"  # readable again
        table = await wait_rows(app, pilot, 1)
        assert numbers(table) == [book[1].guarantee_number]
        assert "読めません" not in status_of(app)


def test_problem_text_names_each_box() -> None:
    with pytest.raises(ValidationError) as caught:
        services.parse_filter(date_to="R8.13.1", max_amount="1,00", delivery="FAX")
    said = guarantees.problem_text(caught.value).plain
    for name in ("date_to", "max_amount", "delivery"):
        assert f"{FILTER_LABELS[name]}を読めません" in said, said
    assert "上限金額" not in said  # the box is named once, as it reads on screen
    with pytest.raises(ValidationError) as caught:
        services.parse_filter(min_amount="2億", max_amount="1億")
    assert guarantees.problem_text(caught.value).plain.startswith("金額(上限): ")


# --- 2. LIKE wildcards are literal ------------------------------------------------------------


@pytest.fixture
def odd_names(db: Database) -> dict[str, str]:
    """Guarantees whose 商号 and 工事名 hold % or _ (and look-alikes): number → name."""
    made = {}
    for name in ["50%組", "500組", "a_b工務店", "axb工務店"]:
        c = services.add_customer(db, name=name, operator="t", confirmed=True)
        g = make_guarantee(db, c.id, project=f"{name}の工事", contract_date="R8.4.1")
        made[g.guarantee_number] = name
    return made


@pytest.mark.parametrize("box", ["f-customer", "f-orderer", "f-project"])
async def test_wildcards_typed_are_literal(
    db_url: str, odd_names: dict[str, str], box: str
) -> None:
    app = make_app(db_url)
    async with app.run_test(size=(120, 36)) as pilot:
        table = await wait_rows(app, pilot, 4)
        field = app.screen.query_one(f"#{box}", Input)
        for typed in ["%", "_", "0%", "a_b", "%組", "熊本%"]:
            field.value = typed
            # 発注者: every guarantee is 熊本県's, none holds % or _
            want = set() if box == "f-orderer" else {n for n, s in odd_names.items() if typed in s}
            await wait_for(
                pilot,
                lambda want=want: (
                    not app.screen.workers
                    and set(numbers(table)) == want
                    and "検索中" not in status_of(app)
                ),
                app.screen.query_one("#filter-status", Label),
            )
        if box == "f-orderer":
            field.value = "熊本"
            await wait_rows(app, pilot, 4)


# --- 3. the 工事名 and 交付 filters and the 工事名 column ----------------------------------------


async def test_project_and_delivery_filters(db: Database, db_url: str) -> None:
    c = services.add_customer(db, name="株式会社肥後建設", operator="t")
    road = make_guarantee(db, c.id, project="県道熊本高森線 道路改良工事", contract_date="R8.4.1")
    bridge = make_guarantee(db, c.id, project="白川橋 橋梁補修工事", contract_date="R8.3.1")
    paper = make_guarantee(
        db, c.id, project="市道 道路改良工事", contract_date="R8.2.1", delivery="書面"
    )
    app = make_app(db_url)
    async with app.run_test(size=(120, 36)) as pilot:
        table = await wait_rows(app, pilot, 3)
        assert [str(c) for c in table.get_row_at(0)][7] == "県道熊本高森線 道路改良工事"
        app.screen.query_one("#f-project", Input).value = "道路改良"
        await wait_for(pilot, lambda: table.row_count == 2 and not app.screen.workers)
        assert numbers(table) == [road.guarantee_number, paper.guarantee_number]
        app.screen.query_one("#f-delivery", Select).value = "書面"
        await wait_for(pilot, lambda: numbers(table) == [paper.guarantee_number])
        app.screen.query_one("#f-project", Input).value = ""
        app.screen.query_one("#f-delivery", Select).value = "電子"
        await wait_for(
            pilot,
            lambda: numbers(table) == [road.guarantee_number, bridge.guarantee_number],
        )
        assert "全2件" in status_of(app)


def test_delivery_filter_in_the_service(db: Database) -> None:
    c = services.add_customer(db, name="株式会社肥後建設", operator="t")
    make_guarantee(db, c.id, contract_date="R8.4.1")
    paper = make_guarantee(db, c.id, contract_date="R8.3.1", delivery="書面")
    f = services.parse_filter(delivery="書面")
    assert f.delivery is Delivery.PAPER
    assert [g.guarantee_number for g in services.search_guarantees(db, f)] == [
        paper.guarantee_number
    ]
    assert services.count_guarantees(db, f) == 1
    assert services.count_guarantees(db, services.parse_filter(delivery="電子")) == 1
    with pytest.raises(ValidationError) as caught:
        services.parse_filter(delivery="FAX")
    assert caught.value.for_field("delivery")


# --- 4. keys ----------------------------------------------------------------------------------


async def test_typing_right_after_slash_fills_each_box(
    db_url: str, book: list[services.GuaranteeView]
) -> None:
    """/, then the boxes filled with Tab between them, all arriving at once: each text in its
    own box (it all went into one box), a Backspace in the box it was typed in, and Enter on
    to the rows."""
    app = make_app(db_url)
    async with app.run_test(size=(100, 30)) as pilot:
        table = await wait_rows(app, pilot, 3)
        assert app.screen.focused is table
        typed = ["slash", *each("R8.1.1"), "tab", *each("R8.4.30"), "tab", *each("肥後x")]
        await burst(app, pilot, *typed, "backspace", "enter")
        box = {i.id: i.value for i in app.screen.query(Input)}
        assert box["f-from"] == "R8.1.1"
        assert box["f-to"] == "R8.4.30"
        assert box["f-customer"] == "肥後"
        assert app.screen.focused is table
        await wait_for(pilot, lambda: numbers(table) == [book[0].guarantee_number])


async def test_enter_and_down_in_any_box_go_to_the_rows(
    db_url: str, book: list[services.GuaranteeView]
) -> None:
    app = make_app(db_url)
    async with app.run_test(size=(100, 30)) as pilot:
        table = await wait_rows(app, pilot, 3)
        boxes = list(app.screen.query("#filters Input").results(Input))
        assert [b.id for b in boxes] == [
            "f-from", "f-to", "f-customer", "f-orderer", "f-project", "f-min", "f-max",
        ]  # fmt: skip
        for key in ("enter", "down"):
            for b in boxes:
                b.focus()
                await pilot.pause()
                await pilot.press(key)
                assert app.screen.focused is table, (key, b.id)
        await pilot.press("slash")  # from the rows: the first box
        assert app.screen.focused is boxes[0]
        await pilot.press("tab", "tab", "shift+tab")
        assert app.screen.focused is boxes[1]
        await pilot.press(*"2026/04/01")  # "/" in a box is typed, not a key
        assert boxes[1].value == "2026/04/01" and app.screen.focused is boxes[1]


async def test_keys_typed_after_slash_never_reach_the_list(
    db_url: str, book: list[services.GuaranteeView]
) -> None:
    """n, u, o, a… typed right behind / would open other screens."""
    app = make_app(db_url)
    async with app.run_test(size=(100, 30)) as pilot:
        list_screen = app.screen
        await wait_rows(app, pilot, 3)
        await burst(app, pilot, "slash", *each("naoux"))
        assert app.screen is list_screen
        assert list_screen.query_one("#f-from", Input).value == "naoux"


# --- 5. the status line -----------------------------------------------------------------------


async def test_one_row_is_not_told_to_scroll_for_more(db: Database, db_url: str) -> None:
    c = services.add_customer(db, name="株式会社肥後建設", operator="t")
    make_guarantee(db, c.id, contract_date="R8.4.1")
    app = make_app(db_url)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_rows(app, pilot, 1)
        await wait_for(pilot, lambda: "全1件" in status_of(app))
        assert status_of(app) == "全1件（新しい契約締結日順）"


async def test_scroll_hint_only_while_rows_are_left_to_load(
    db_url: str, book: list[services.GuaranteeView], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(guarantees, "PAGE", 2)
    app = make_app(db_url)
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.screen.query_one(GuaranteeTable)
        await wait_for(pilot, lambda: "全3件" in status_of(app) or table.row_count == 3)
        if table.row_count < 3:  # the count came first: more rows to load
            assert "下へ進むと続きを読み込みます" in status_of(app)
            table.focus()
            await pilot.press("down")
        await wait_rows(app, pilot, 3)
        await wait_for(pilot, lambda: status_of(app) == "全3件（新しい契約締結日順）")


async def test_a_guarantee_added_while_scrolling_does_not_break_the_list(
    db: Database, db_url: str, book: list[services.GuaranteeView], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next page is read after someone added a newer guarantee: it starts one row back,
    with a row already on screen (which the table refused, stopping the app)."""
    monkeypatch.setattr(guarantees, "PAGE", 2)
    held = threading.Event()
    real = services.search_guarantees

    def search(database: Database, f: Any) -> Any:
        if f.offset:
            held.wait(10)
        return real(database, f)

    monkeypatch.setattr(services, "search_guarantees", search)
    app = make_app(db_url)
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.screen.query_one(GuaranteeTable)
        await wait_for(pilot, lambda: table.row_count == 2 and bool(app.screen.workers))
        make_guarantee(db, book[0].customer_id, contract_date="R8.5.1")
        held.set()
        await wait_for(pilot, lambda: table.row_count == 3 and not app.screen.workers)
        await pilot.pause()
        assert numbers(table) == [g.guarantee_number for g in book]
        assert app.is_running


# --- 6. layout --------------------------------------------------------------------------------

LONG_CUSTOMER = "株式会社ひのくに総合建設工業所"
LONG_PROJECT = "一級河川白川水系黒川 広域河川改修（護岸・築堤）工事 その3"


def add_layout_book(db: Database) -> None:
    """Long names, a long 工事名, an amount of ten digits, the longest 種別."""
    long = services.add_customer(db, name=LONG_CUSTOMER, operator="t", confirmed=True)
    higo = services.add_customer(db, name="株式会社肥後建設", operator="t", confirmed=True)
    make_guarantee(db, long.id, project=LONG_PROJECT, contract_date="R8.11.25",
                   contract_amount="3,000,000,000", amount="1,234,567,890")  # fmt: skip
    make_guarantee(db, higo.id, orderer="南阿蘇村", type="中間前払金", contract_date="R8.4.1",
                   project="村道 舗装修繕工事", delivery="書面")  # fmt: skip
    make_guarantee(db, higo.id, orderer="鳥栖市", type="契約", amount="5,000,000",
                   contract_date="R8.3.18", announcement_date="R8.3.2", award_date="R8.3.12")  # fmt: skip


@pytest.fixture
def layout_db(tmp_path: Path) -> Iterator[str]:
    """A small book on SQLite with fixed content, for the screens that must look the same."""
    url = f"sqlite:///{tmp_path / 'layout.db'}"
    db = open_database(url)
    add_layout_book(db)
    db.dispose()
    yield url


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_layout_fits_the_width(layout_db: str, size: tuple[int, int]) -> None:
    app = make_app(layout_db)
    async with app.run_test(size=size) as pilot:
        table = await wait_rows(app, pilot, 3)
        await pilot.pause()
        width = size[0]
        bar = {w.id: w for w in app.screen.query("#filters > *")}
        for name in ("f-customer", "f-orderer", "f-project"):
            assert bar[name].outer_size.width >= 18, (name, bar[name].outer_size)
        for name in ("f-min", "f-max"):
            field = bar[name]
            assert isinstance(field, Input)
            field.value = "1億5000万"
            # the box's text area, less a cell for the cursor after it
            assert field.content_region.width - 1 >= cell_len("1億5000万"), field.size
        for widget in bar.values():
            assert widget.region.right <= width, widget.id
        rows = app.screen.query_one("#filters").size.height
        assert rows == (3 if width >= guarantees.ONE_ROW_FROM else 6)
        # every column fits; the amounts whole; the texts cut with … at their end
        columns = {str(c.label): c for c in table.columns.values()}
        assert sum(c.get_render_width(table) for c in columns.values()) <= table.size.width
        assert columns["保証金額"].width >= cell_len("1,234,567,890円")
        line = table.render_line(1).text  # the first row (after the header)
        assert "1,234,567,890円" in line
        if columns["受注者"].width < cell_len(LONG_CUSTOMER):
            assert "…" in line and LONG_CUSTOMER not in line
        if width == 200:  # the whole width: every text whole
            assert LONG_CUSTOMER in line and LONG_PROJECT in line
        # the footer's keys are all there
        footer = app.screen.query_one("Footer")
        assert footer.region.width == width
        assert "送信待ち" in "".join(str(k.render()) for k in footer.query("FooterKey"))


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_snapshot_list(snap_compare: Any, layout_db: str, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(layout_db), terminal_size=size, run_before=_settle)


def test_snapshot_list_with_a_bad_filter(snap_compare: Any, layout_db: str) -> None:
    async def bad_amount(pilot: Any) -> None:
        await _settle(pilot)
        await pilot.press("slash", "tab", "tab", "tab", "tab", "tab")
        # at once: typed a key at a time, 1億 alone might be searched for first
        pilot.app.screen.query_one("#f-min", Input).value = "1億ちょっと"
        await _settle(pilot)

    assert snap_compare(make_app(layout_db), terminal_size=(100, 30), run_before=bad_amount)
