"""The customers screen, driven as staff would: search, open, edit; and its snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col
from textual.widgets import DataTable, Input, Label, Static

from core import customers, services
from core.db import Database, open_database
from core.models import AuditEvent
from tests.helpers import make_guarantee
from tests.test_tui import SIZE, SIZES, _settle, wait_for, wait_rows
from tui.app import HoshoApp, make_app
from tui.customers import CustomerDetailScreen, CustomerEditForm, CustomersScreen
from tui.dialogs import SameNameScreen
from tui.forms import CustomerForm
from tui.guarantees import GuaranteeDetailScreen


@pytest.fixture
def people(db: Database) -> dict[str, int]:
    higo = customers.add_customer(
        db, name="株式会社肥後建設", kana="ひごけんせつ", email="info@higo.example.jp",
        enet_id="E0012345", address="熊本市中央区水前寺1-1", operator="t",
    )  # fmt: skip
    aso = customers.add_customer(db, name="有限会社阿蘇組", kana="アソグミ", operator="t")
    odd = customers.add_customer(db, name="[b]角[/b]建設", operator="t")
    make_guarantee(db, higo.id, contract_date="R8.4.1", project="県道熊本高森線 道路改良工事")
    make_guarantee(db, higo.id, orderer="鳥栖市", type="契約", amount="5,000,000",
                   contract_date="R8.3.18", announcement_date="R8.3.2", award_date="R8.3.12")  # fmt: skip
    return {"higo": higo.id, "aso": aso.id, "odd": odd.id}


async def open_customers(app: HoshoApp, pilot: Any, rows: int) -> DataTable[Any]:
    await wait_rows(app, pilot, 2)
    await pilot.press("j")
    assert isinstance(app.screen, CustomersScreen)
    table = app.screen.query_one("#customer-table", DataTable)
    await wait_for(pilot, lambda: table.row_count == rows and not app.screen.workers)
    return table


def column(table: DataTable[Any], index: int) -> list[str]:
    return [str(table.get_row_at(i)[index]) for i in range(table.row_count)]


async def test_list_search_and_open(db_url: str, people: dict[str, int]) -> None:
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        table = await open_customers(app, pilot, 3)
        assert column(table, 1) == ["株式会社肥後建設", "有限会社阿蘇組", "[b]角[/b]建設"]
        assert column(table, 2)[:2] == ["ヒゴケンセツ", "アソグミ"]
        status = app.screen.query_one("#customer-status", Label)
        assert str(status.render()) == "3件"
        await pilot.press("slash", *"あそ")  # kana, typed in hiragana
        await wait_for(pilot, lambda: column(table, 1) == ["有限会社阿蘇組"], status)
        search = app.screen.query_one("#customer-search", Input)
        search.value = "e0012345"  # e-Net保証 ID
        await wait_for(pilot, lambda: column(table, 1) == ["株式会社肥後建設"], status)
        search.value = "熊野"
        await wait_for(pilot, lambda: "該当する受注者はありません" in str(status.render()))
        search.value = "肥後"
        await wait_for(pilot, lambda: table.row_count == 1)
        await pilot.press("enter", "enter")  # to the table, then open the row
        await wait_for(pilot, lambda: isinstance(app.screen, CustomerDetailScreen))
        screen = app.screen
        fields = screen.query_one("#customer-fields", Static)
        await wait_for(pilot, lambda: "E0012345" in str(fields.render()), fields)
        text = str(fields.render())
        for expected in ("株式会社肥後建設", "ヒゴケンセツ", "info@higo.example.jp", "水前寺"):
            assert expected in text
        guarantees = screen.query_one("#customer-guarantees", DataTable)
        assert guarantees.row_count == 2
        assert [str(c) for c in guarantees.get_row_at(0)][1:] == [
            "前払金", "熊本県", "県道熊本高森線 道路改良工事", "令和8年4月1日", "40,000,000円", "受付",
        ]  # fmt: skip
        title = str(screen.query_one("#customer-guarantees-title", Label).render())
        assert "保証 2件" in title
        guarantees.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, GuaranteeDetailScreen))
        await pilot.press("escape")
        assert app.screen is screen
        await pilot.press("escape")
        assert isinstance(app.screen, CustomersScreen)


async def test_names_are_shown_as_typed(db_url: str, people: dict[str, int]) -> None:
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        table = await open_customers(app, pilot, 3)
        assert str(table.get_row_at(2)[1]) == "[b]角[/b]建設"
        await app.push_screen(CustomerDetailScreen(people["odd"]))
        fields = app.screen.query_one("#customer-fields", Static)
        await wait_for(pilot, lambda: "[b]角[/b]建設" in str(fields.render()), fields)
        empty = app.screen.query_one("#customer-guarantees", DataTable)
        assert "保証はまだありません" in str(empty.get_row_at(0)[0])


async def test_edit_shows_errors_beside_fields_then_saves(
    db: Database, db_url: str, people: dict[str, int]
) -> None:
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await open_customers(app, pilot, 3)
        await pilot.press("e")  # the first row: 株式会社肥後建設
        assert isinstance(app.screen, CustomerEditForm)
        form = app.screen

        def field(name: str) -> Input:
            return form.query_one(f"#input-{name}", Input)

        assert field("name").value == "株式会社肥後建設"  # prefilled
        assert field("kana").value == "ヒゴケンセツ" and field("enet_id").value == "E0012345"
        field("email").value = "keiri@"
        field("kana").value = "肥後"
        field("phone").value = "096-111-2222"
        await pilot.press("ctrl+s")
        error_email = form.query_one("#error-email", Label)
        await wait_for(pilot, lambda: "形式が正しくありません" in str(error_email.render()))
        assert "カタカナ" in str(form.query_one("#error-kana", Label).render())
        assert str(form.query_one("#error-phone", Label).render()) == ""
        assert field("phone").value == "096-111-2222"  # nothing typed is lost
        assert customers.get_customer(db, str(people["higo"])).phone == ""  # nor saved
        field("email").value = "keiri@higo.example.jp"
        field("kana").value = "ひごけんせつ"
        hint = form.query_one("#hint-kana", Label)
        await wait_for(pilot, lambda: "→ ヒゴケンセツ" in str(hint.render()))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, CustomersScreen))
        saved = customers.get_customer(db, str(people["higo"]))
        assert (saved.email, saved.phone, saved.kana) == (
            "keiri@higo.example.jp", "096-111-2222", "ヒゴケンセツ",
        )  # fmt: skip
        table = app.screen.query_one("#customer-table", DataTable)
        await wait_for(pilot, lambda: str(table.get_row_at(0)[4]) == "keiri@higo.example.jp")
    with db.reader() as s:
        (event,) = s.scalars(
            select(AuditEvent).where(col(AuditEvent.action) == "customer.edit")
        ).all()
    assert event.detail["changes"] == {
        "email": ["info@higo.example.jp", "keiri@higo.example.jp"],
        "phone": ["", "096-111-2222"],
    }  # only what was changed (the kana typed in hiragana is the same)


async def test_edit_from_the_detail_and_nothing_changed(
    db_url: str, people: dict[str, int]
) -> None:
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, 2)
        await app.push_screen(CustomerDetailScreen(people["aso"]))
        fields = app.screen.query_one("#customer-fields", Static)
        await wait_for(pilot, lambda: "アソグミ" in str(fields.render()))
        await pilot.press("e")
        assert isinstance(app.screen, CustomerEditForm)
        form = app.screen
        await pilot.press("ctrl+s")
        general = form.query_one("#form-error", Label)
        await wait_for(pilot, lambda: "変更した項目がありません" in str(general.render()))
        form.query_one("#input-address", Input).value = "阿蘇市一の宮町"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, CustomerDetailScreen))
        await wait_for(pilot, lambda: "阿蘇市一の宮町" in str(fields.render()))


async def test_same_name_is_asked_before_saving(
    db: Database, db_url: str, people: dict[str, int]
) -> None:
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        table = await open_customers(app, pilot, 3)
        await pilot.press("n")
        assert isinstance(app.screen, CustomerForm)
        form = app.screen
        form.query_one("#input-name", Input).value = "肥後建設株式会社"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, SameNameScreen))
        asked = app.screen
        assert isinstance(asked, SameNameScreen)
        assert [c.id for c in asked.duplicates] == [people["higo"]]
        assert "同じ商号" in str(form.query_one("#error-name", Label).render())
        await pilot.press("n")  # the same company: not saved
        assert app.screen is form
        assert len(customers.list_customers(db)) == 3
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, SameNameScreen))
        await pilot.press("y")  # another company of the same name
        await wait_for(pilot, lambda: isinstance(app.screen, CustomersScreen))
        await wait_for(pilot, lambda: table.row_count == 4)
        assert column(table, 1)[-1] == "肥後建設株式会社"
        assert table.cursor_row == 3  # on the new one


async def test_ambiguous_customer_in_the_guarantee_form(
    db: Database, db_url: str, people: dict[str, int]
) -> None:
    from tui.forms import GuaranteeForm

    services.add_customer(db, name="（株）肥後建設", confirmed=True, operator="t")
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, 2)
        await pilot.press("n")
        assert isinstance(app.screen, GuaranteeForm)
        form = app.screen
        form.query_one("#input-customer", Input).value = "肥後建設"
        await pilot.press("ctrl+s")
        error = form.query_one("#error-customer", Label)
        await wait_for(pilot, lambda: "2件あります" in str(error.render()), error)
        assert f"ID {people['higo']} 株式会社肥後建設" in str(error.render())


# --- snapshot ----------------------------------------------------------------------------


@pytest.fixture
def snapshot_db(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'snap.db'}"
    db = open_database(url)
    c = customers.add_customer(db, name="株式会社肥後建設", kana="ひごけんせつ",
                               email="info@higo.example.jp", enet_id="E0012345", operator="t")  # fmt: skip
    customers.add_customer(db, name="有限会社阿蘇組", kana="アソグミ", phone="0967-00-0000",
                           operator="t")  # fmt: skip
    customers.add_customer(db, name="佐賀土木株式会社", kana="サガドボク", enet_id="E0020001",
                           email="saga@example.jp", operator="t")  # fmt: skip
    make_guarantee(db, c.id, contract_date="R8.4.1", project="県道熊本高森線 道路改良工事")
    db.dispose()
    yield url


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_customers(snap_compare: Any, size: tuple[int, int], snapshot_db: str) -> None:
    async def open_screen(pilot: Any) -> None:
        await _settle(pilot)
        await pilot.press("j")
        status = pilot.app.screen.query_one("#customer-status", Label)
        await wait_for(pilot, lambda: str(status.render()) == "3件")
        await _settle(pilot)

    assert snap_compare(make_app(snapshot_db), terminal_size=size, run_before=open_screen)


async def test_new_email_says_how_many_notices_go_to_it(
    db: Database, db_url: str, people: dict[str, int]
) -> None:
    from core import certificates

    number = services.show_customer(db, str(people["higo"])).guarantees[0].guarantee_number
    issued = certificates.issue_certificate(db, number, operator="t", mail_domain="example.jp")
    assert issued.notice_queued
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, 2)
        await app.push_screen(CustomerDetailScreen(people["higo"]))
        fields = app.screen.query_one("#customer-fields", Static)
        await wait_for(pilot, lambda: "E0012345" in str(fields.render()))
        await pilot.press("e")
        app.screen.query_one("#input-email", Input).value = "keiri@higo.example.jp"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "keiri@higo.example.jp" in str(fields.render()), fields)
        said = [n.message for n in app._notifications]
        assert any("お知らせ 1件を新しいアドレス keiri@higo.example.jp 宛てに" in m for m in said)
