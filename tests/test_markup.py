"""Names are data, never markup: a 商号 or 工事名 with square brackets is shown as typed by the
command line (Rich tables) and the terminal UI (Textual widgets), never styled or refused."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static

from core import services
from core.db import Database
from tests.helpers import cli, make_guarantee
from tests.test_tui import SIZE, wait_for, wait_rows
from tui.app import make_app
from tui.browse import AuditScreen
from tui.customers import CustomerDetailScreen
from tui.dialogs import ConfirmScreen
from tui.guarantees import GuaranteeDetailScreen

RED = "[red]赤字建設[/red]"
CLOSER = "[/]工務店"
PROJECT = "[bold]県道[/bold]改良工事 [link=x]"


@pytest.fixture
def odd(db: Database) -> dict[str, str]:
    """Two customers whose 商号 look like markup, each with a guarantee."""
    red = services.add_customer(db, name=RED, operator="t")
    closer = services.add_customer(db, name=CLOSER, operator="t")
    g1 = make_guarantee(db, red.id, contract_date="R8.4.1", project=PROJECT)
    g2 = make_guarantee(db, closer.id, contract_date="R8.3.1")
    return {"red": str(red.id), "closer": str(closer.id), "g1": g1.guarantee_number,
            "g2": g2.guarantee_number}  # fmt: skip


def test_the_command_line_prints_names_as_they_are(
    env_db: Database, odd: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    for args in (
        ("customer", "list"),
        ("guarantee", "list"),
        ("report", "monthly", "--from", "R8.3", "--to", "R8.4", "--by", "customer"),
    ):
        r = cli(capsys, *args)
        assert r.code == 0, (args, r.err)
        assert RED in r.out and CLOSER in r.out, args
        assert "予期しない" not in r.err
    found = cli(capsys, "guarantee", "list", "--customer", "[/]")  # searched for as typed
    assert found.code == 0 and CLOSER in found.out and RED not in found.out
    shown = cli(capsys, "customer", "show", odd["red"])
    assert shown.code == 0 and RED in shown.out and PROJECT in shown.out
    shown = cli(capsys, "guarantee", "show", odd["g1"])
    assert shown.code == 0 and RED in shown.out and PROJECT in shown.out


async def test_the_terminal_ui_shows_names_as_they_are(db_url: str, odd: dict[str, str]) -> None:
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        table = await wait_rows(app, pilot, 2)
        assert {str(table.get_row_at(i)[3]) for i in range(2)} == {RED, CLOSER}
        await pilot.pause()  # painted without a markup error

        await app.push_screen(GuaranteeDetailScreen(odd["g1"]))
        fields = app.screen.query_one("#fields", Static)
        await wait_for(pilot, lambda: RED in str(fields.render()), fields)
        assert PROJECT in str(fields.render())
        app.pop_screen()

        await app.push_screen(CustomerDetailScreen(int(odd["closer"])))
        fields = app.screen.query_one("#customer-fields", Static)
        await wait_for(pilot, lambda: CLOSER in str(fields.render()), fields)
        app.pop_screen()

        await pilot.press("j")  # the customers list
        customers = app.screen.query_one("#customer-table", DataTable)
        await wait_for(pilot, lambda: customers.row_count == 2 and not app.screen.workers)
        assert [str(customers.get_row_at(i)[1]) for i in range(2)] == [RED, CLOSER]
        app.pop_screen()

        await app.push_screen(AuditScreen())  # the audit detail quotes the names
        audit = app.screen.query_one(DataTable)
        await wait_for(pilot, lambda: audit.row_count >= 4)
        details = [str(audit.get_row_at(i)[4]) for i in range(audit.row_count)]
        assert f"商号 {RED}" in details and f"商号 {CLOSER}" in details
        app.pop_screen()

        # A question quoting what staff typed (the duplicate guarantee's, the same name's).
        await app.push_screen(
            ConfirmScreen("登録しますか？", f"受注者「{CLOSER}」の保証があります")
        )
        await pilot.pause()
        details_line = list(app.screen.query(Static).results(Static))[1]
        assert str(details_line.render()) == f"受注者「{CLOSER}」の保証があります"
        app.notify(f"受注者を登録しました: {CLOSER}", markup=False)
        await pilot.pause()
