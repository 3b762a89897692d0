"""The guarantee's life in the terminal UI, driven as staff would (Pilot): 取消, 完了・解約,
refusals, the duplicate question and a paper certificate's missing 工期."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import DataTable, Input, Label, Select, Static

from core import certificates, services
from core.db import Database, open_database
from tests.helpers import make_guarantee
from tests.test_tui import SIZE, wait_for, wait_rows
from tui.app import make_app
from tui.certs import ChangeForm
from tui.dialogs import ConfirmScreen
from tui.forms import GuaranteeForm
from tui.guarantees import GuaranteeDetailScreen
from tui.lifecycle_forms import CancelForm, CloseForm


@pytest.fixture
def two(db: Database) -> list[services.GuaranteeView]:
    c = services.add_customer(
        db, name="株式会社肥後建設", email="info@higo.example.jp", operator="t"
    )
    return [
        make_guarantee(db, c.id, contract_date="R8.4.1", project="県道熊本高森線 道路改良工事"),
        make_guarantee(db, c.id, contract_date="R8.4.1", project="市道改良工事", delivery="書面",
                       period_end="R9.3.31"),
    ]  # fmt: skip


def text_of(app: Any, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def open_detail(app: Any, pilot: Any, number: str) -> GuaranteeDetailScreen:
    await wait_rows(app, pilot, 2)
    await app.push_screen(GuaranteeDetailScreen(number))
    screen = app.screen
    assert isinstance(screen, GuaranteeDetailScreen)
    await wait_for(pilot, lambda: screen.view is not None)
    return screen


def stored(db_url: str, number: str) -> tuple[services.GuaranteeView, list[services.AuditView]]:
    db = open_database(db_url)
    try:
        return services.get_guarantee(db, number), services.list_audit(db)
    finally:
        db.dispose()


async def test_cancel_asks_the_reason(db_url: str, two: list[services.GuaranteeView]) -> None:
    number = two[0].guarantee_number
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        detail = await open_detail(app, pilot, number)
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, CancelForm))
        form = app.screen
        await pilot.press("ctrl+s")  # no reason
        error = form.query_one("#error-reason", Label)
        await wait_for(pilot, lambda: "取消の理由" in str(error.render()))
        assert isinstance(app.screen, CancelForm)  # still asking; nothing saved
        form.query_one("#input-reason", Input).value = "二重登録のため"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is detail)
        fields = detail.query_one("#fields", Static)
        await wait_for(pilot, lambda: "二重登録のため" in str(fields.render()))
        assert "取消 — " in str(fields.render())
        # a cancelled guarantee: no certificate, said at once, no form opened
        await pilot.press("e")
        await pilot.pause(0.1)
        assert app.screen is detail
        assert any("取消済み" in n.message for n in app._notifications)
    view, audit = stored(db_url, number)
    assert view.status == "取消"
    (event,) = [a for a in audit if a.action == "guarantee.cancel"]
    assert event.detail["reason"] == "二重登録のため" and event.target == f"guarantee:{number}"


async def test_close_asks_which_when_and_why(
    db_url: str, two: list[services.GuaranteeView]
) -> None:
    number = two[0].guarantee_number
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        detail = await open_detail(app, pilot, number)
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, CloseForm))
        form = app.screen
        form.query_one("#input-as", Select).value = "解約"
        form.query_one("#input-date", Input).value = "R8.3.31"  # before the 契約締結日
        await pilot.press("ctrl+s")
        error = form.query_one("#error-date", Label)
        await wait_for(pilot, lambda: "より前" in str(error.render()))
        form.query_one("#input-date", Input).value = "R8.6.30"
        hint = form.query_one("#hint-date", Label)
        await wait_for(pilot, lambda: "→ 令和8年6月30日" in str(hint.render()))
        form.query_one("#input-reason", Input).value = "発注者の都合で契約解除"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is detail)
        fields = detail.query_one("#fields", Static)
        await wait_for(pilot, lambda: "解約（令和8年6月30日終了）" in str(fields.render()))
        await pilot.press("escape")  # the list shows the new status, and can filter by it
        await wait_rows(app, pilot, 2)
        select = app.screen.query_one("#f-status", Select)
        options = [str(prompt) for prompt, _ in select._options]
        assert "完了" in options and "解約" in options
        select.value = "解約"
        table = await wait_rows(app, pilot, 1)
        assert str(table.get_row_at(0)[0]) == number and str(table.get_row_at(0)[6]) == "解約"
    view, audit = stored(db_url, number)
    assert (view.status, str(view.closed_on)) == ("解約", "2026-06-30")
    (event,) = [a for a in audit if a.action == "guarantee.close"]
    assert event.detail["reason"] == "発注者の都合で契約解除"


async def test_a_duplicate_is_asked_about_then_saved(
    db_url: str, two: list[services.GuaranteeView]
) -> None:
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, 2)
        await pilot.press("n")
        form = app.screen
        assert isinstance(form, GuaranteeForm)
        for name, value in {
            "customer": "株式会社肥後建設",
            "orderer": "熊本県",
            "project": "県道熊本高森線　道路改良工事",  # full-width space: the same 工事名
            "contract_amount": "1億",
            "amount": "4000万",
            "contract_date": "2026-04-01",
        }.items():
            form.query_one(f"#input-{name}", Input).value = value
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert two[0].guarantee_number in str(app.screen.details)
        await pilot.press("n")  # not another one: nothing saved, the form stays
        await wait_for(pilot, lambda: app.screen is form)
        assert two[0].guarantee_number in str(form.query_one("#form-error", Label).render())
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, GuaranteeDetailScreen))
    db = open_database(db_url)
    found = services.search_guarantees(db, services.parse_filter())
    db.dispose()
    assert len(found) == 3


async def test_paper_without_works_period_says_which_field(
    db_url: str, two: list[services.GuaranteeView]
) -> None:
    number = two[1].guarantee_number
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        detail = await open_detail(app, pilot, number)
        paper = detail.query_one("#paper", Static)
        await wait_for(pilot, lambda: f"保証証書_{number}.pdf" in str(paper.render()))
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, ChangeForm))
        form = app.screen
        assert "保証証書に記載" in str(form.query_one("#error-period_start", Label).render())
        assert str(form.query_one("#error-period_end", Label).render()) == ""  # it is filled
        assert any("工期（自）が空" in n.message for n in app._notifications)
        form.query_one("#input-period_start", Input).value = "R8.4.2"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is detail)
        fields = detail.query_one("#fields", Static)
        await wait_for(pilot, lambda: "令和8年4月2日 〜" in str(fields.render()))
        await pilot.press("i")
        history = detail.query_one("#history", DataTable)
        await wait_for(pilot, lambda: history.get_row_at(0)[0] == "第1版")
        assert history.get_row_at(0)[3] == "書面"
    db = open_database(db_url)
    (cert,) = certificates.list_certificates(db, number)
    db.dispose()
    assert cert.terms["period_start"] == "2026-04-02"
