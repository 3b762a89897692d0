"""The forms as staff use them: as many fields as the terminal holds, Ctrl+S going to the first
field refused and naming it, the orderer's suggestions by keyboard, questions asked in the
screen's own words (never a command-line flag). Pilot for the behaviour, snapshots for the
look at three terminal sizes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rich.cells import cell_len
from textual import events
from textual.widgets import Input, Label, OptionList

from core import certificates, services
from core.customers import CONFIRM_HINT as SAME_NAME_HINT
from core.db import Database
from core.lifecycle import CONFIRM_HINT as DUPLICATE_HINT
from core.terms import CertKind
from tests import test_tui
from tests.helpers import make_guarantee
from tests.test_tui import _settle, wait_for
from tui.app import HoshoApp
from tui.certs import ChangeForm
from tui.dialogs import ConfirmScreen, SameNameScreen
from tui.form_base import Field, FormScreen, screen_words
from tui.forms import CustomerForm, GuaranteeForm

book = test_tui.book  # the fixture: three guarantees, two customers
snapshot_db = test_tui.snapshot_db  # the fixture: a small fixed book on SQLite

SIZES = [(100, 30), (120, 36), (200, 50)]
SIZE_IDS = ["100x30", "120x36", "200x50"]


class FormApp(HoshoApp):
    """hosho with one form open over an empty screen: what the form shows and does, whatever
    the screen behind it shows. What the form returns is kept in ``results``."""

    def __init__(self, db_url: str, form: Callable[[], FormScreen]) -> None:
        super().__init__(db_url)
        self.make_form = form
        self.results: list[Any] = []

    def on_mount(self, event: events.Mount) -> None:
        event.prevent_default()  # not HoshoApp's list of guarantees
        self.push_screen(self.make_form(), self.results.append)


def form_of(app: FormApp) -> FormScreen:
    screen = app.screen
    assert isinstance(screen, FormScreen)
    return screen


def status(form: FormScreen) -> str:
    return str(form.query_one("#form-error", Label).render())


def fill(form: FormScreen, values: dict[str, str]) -> None:
    for name, value in values.items():
        form.query_one(f"#input-{name}", Input).value = value


GOOD = {
    "customer": "株式会社肥後建設",
    "orderer": "熊本県",
    "project": "市道改良工事",
    "contract_amount": "1億5000万",
    "amount": "6000万",
    "contract_date": "R8.4.10",
}


def shows(body: Any, widget: Any) -> bool:
    """``widget`` is on screen inside the scrolling ``body`` (not scrolled away)."""
    region = widget.region
    return region.height > 0 and body.region.contains_region(region)


# --- as many fields as fit ---------------------------------------------------------------


async def test_every_guarantee_field_fits_at_100x30_and_two_columns_when_wide(
    db: Database, db_url: str
) -> None:
    app = FormApp(db_url, GuaranteeForm)
    async with app.run_test(size=(100, 30)) as pilot:
        form = form_of(app)
        await pilot.pause()
        body = form.query_one("#form-body")
        fields = list(form.query(Field).results(Field))
        assert len(fields) == 16
        assert all(shows(body, f) for f in fields), [f.field_name for f in fields]
        for f in fields:  # labels whole, on one line
            label = f.query_one(".field-label", Label)
            assert label.size.width >= cell_len(f.label) and label.size.height == 1
        amount = form.query_one("#input-amount", Input)
        amount.value = "1億5000万"
        await pilot.pause()
        assert amount.content_size.width > cell_len("1億5000万")  # whole, and the cursor
        assert not form.has_class("-two-columns")
        await pilot.resize_terminal(200, 50)
        await pilot.pause()
        assert form.has_class("-two-columns")
        assert form.query_one("#form-frame").size.width > 150  # the form follows the screen
        left = form.query_one("#field-type").region
        right = form.query_one("#field-period_start").region
        assert right.x > left.x + 60 and right.y == left.y


# --- Ctrl+S with errors ---------------------------------------------------------------------


async def test_save_goes_to_the_first_field_refused_and_names_it(db: Database, db_url: str) -> None:
    services.add_customer(db, name="株式会社肥後建設", operator="t")
    app = FormApp(db_url, GuaranteeForm)
    async with app.run_test(size=(100, 18)) as pilot:  # small: the fields scroll
        form = form_of(app)
        await pilot.pause()
        fill(form, GOOD | {"guarantee_end": "R9.2.30", "award_date": "あいう"})
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "保証期限" in status(form), form.query_one("#form-error"))
        bad = form.query_one("#input-guarantee_end", Input)
        assert app.focused is bad  # the cursor went to it
        body = form.query_one("#form-body")
        await wait_for(pilot, lambda: shows(body, bad))  # scrolled into sight
        text = status(form)
        assert text.startswith("保証期限") and "存在しない" in text and "ほか1項目" in text
        assert "入力を確認してください" not in text
        assert "存在しない" in str(form.query_one("#error-guarantee_end", Label).render())
        assert "あいう" in str(form.query_one("#error-award_date", Label).render())
        assert form.query_one("#input-award_date", Input).value == "あいう"  # all kept
        assert form.query_one("#input-project", Input).value == "市道改良工事"


async def test_an_unreadable_amount_is_named_in_the_status_line(db: Database, db_url: str) -> None:
    services.add_customer(db, name="株式会社肥後建設", operator="t")
    app = FormApp(db_url, GuaranteeForm)
    async with app.run_test(size=(100, 30)) as pilot:
        form = form_of(app)
        await pilot.pause()
        fill(form, GOOD | {"amount": "abc"})
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "abc" in status(form), form.query_one("#form-error"))
        assert status(form).startswith("保証金額「abc」は金額として読めません")
        assert app.focused is form.query_one("#input-amount", Input)


# --- the orderer's suggestions ------------------------------------------------------------


async def test_orderer_suggestions_by_keyboard(db: Database, db_url: str) -> None:
    app = FormApp(db_url, GuaranteeForm)
    async with app.run_test(size=(100, 30)) as pilot:
        form = form_of(app)
        orderer = form.query_one("#input-orderer", Input)
        options = form.query_one("#orderer-options", OptionList)
        orderer.focus()
        await pilot.press(*"とすし")
        await wait_for(pilot, lambda: options.display and options.option_count > 0)
        await pilot.press("down")  # into the suggestions, on the first
        assert app.focused is options and options.highlighted == 0
        assert str(options.get_option_at_index(0).prompt) == "鳥栖市"
        await pilot.press("enter")  # chosen in one press
        assert orderer.value == "鳥栖市"
        assert not options.display
        assert app.focused is form.query_one("#input-project", Input)
        # ↑ from the first suggestion goes back to what was typed; Esc puts them away
        orderer.focus()
        orderer.value = ""
        await pilot.press(*"くまもと")
        await wait_for(pilot, lambda: options.display and options.option_count > 1)
        await pilot.press("down", "down")
        assert options.highlighted == 1
        await pilot.press("up", "up")
        assert app.focused is orderer and orderer.value == "くまもと"
        await pilot.press("down", "escape")
        assert app.focused is orderer and not options.display
        assert app.screen is form  # Esc in the suggestions does not close the form


# --- questions in the screen's words ------------------------------------------------------


def test_core_hints_become_the_forms_words() -> None:
    for hint in (DUPLICATE_HINT, SAME_NAME_HINT):
        said = screen_words(f"既にあります{hint}")
        assert "もう一度保存（Ctrl+S）" in said and "確認したうえで" not in said
    said = screen_words(
        "要確認です: 理由。発注者に確認できたら --confirmed を付けて発行してください"
    )
    assert "--" not in said and "もう一度保存（Ctrl+S）" in said


async def test_a_duplicate_guarantee_is_asked_in_the_forms_words(
    db_url: str, book: list[services.GuaranteeView]
) -> None:
    app = FormApp(db_url, GuaranteeForm)
    async with app.run_test(size=(100, 30)) as pilot:
        form = form_of(app)
        await pilot.pause()
        fill(
            form,
            {
                "customer": "株式会社肥後建設",
                "orderer": "熊本県",
                "project": "県道熊本高森線 道路改良工事",
                "contract_amount": "1億",
                "amount": "4000万",
                "contract_date": "R8.4.1",
            },
        )
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        assert book[0].guarantee_number in dialog.details
        assert "はい(y)で別の保証として登録します" in dialog.details
        for text in (dialog.question, dialog.details, status(form)):
            assert "--" not in text and "確認したうえで登録し直して" not in text
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is form)
        assert book[0].guarantee_number in status(form)
        assert "もう一度保存（Ctrl+S）" in status(form)
        assert app.results == []  # nothing saved
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: len(app.results) == 1)
        assert app.results[0].project_name == "県道熊本高森線 道路改良工事"


async def test_the_same_company_name_is_asked_in_the_forms_words(db: Database, db_url: str) -> None:
    services.add_customer(db, name="株式会社肥後建設", operator="t")
    app = FormApp(db_url, CustomerForm)
    async with app.run_test(size=(100, 30)) as pilot:
        form = form_of(app)
        await pilot.pause()
        fill(form, {"name": "肥後建設株式会社"})
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, SameNameScreen))
        error = str(form.query_one("#error-name", Label).render())
        for text in (error, status(form)):
            assert "同じ商号" in text
            assert "--" not in text and "確認したうえで登録し直して" not in text
        assert "もう一度保存（Ctrl+S）" in error
        await pilot.press("y")
        await wait_for(pilot, lambda: len(app.results) == 1)
        assert app.results[0].name == "肥後建設株式会社"


async def test_a_change_to_check_with_the_orderer_is_asked_not_flagged(
    db: Database, db_url: str
) -> None:
    customer = services.add_customer(
        db, name="佐賀土木株式会社", email="s@example.jp", operator="t"
    )
    g = make_guarantee(db, customer.id, orderer="佐賀県", contract_date="R6.5.15")  # 要確認
    certificates.issue_certificate(db, g.guarantee_number, operator="t", confirmed=True)
    number = g.guarantee_number
    app = FormApp(db_url, lambda: ChangeForm(number, CertKind.CHANGE, {}, issued=True))
    async with app.run_test(size=(100, 30)) as pilot:
        form = form_of(app)
        await pilot.pause()
        fill(form, {"change_date": "R6.9.1", "amount": "3000万"})
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        assert "要確認" in dialog.details and "はい(y)で" in dialog.details
        for text in (dialog.question, dialog.details, status(form)):
            assert "--confirmed" not in text and "--" not in text
        await pilot.press("y")
        await wait_for(pilot, lambda: len(app.results) == 1)
        assert app.results[0].version == 2
    versions = certificates.list_certificates(db, number)
    assert [c.kind for c in versions] == ["新規", "変更"]


# --- snapshots ----------------------------------------------------------------------------


def _open(form: Callable[[], FormScreen], values: dict[str, str] | None = None) -> Any:
    async def run_before(pilot: Any) -> None:
        await _settle(pilot)
        if values is not None:
            fill(form_of(pilot.app), values)
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: bool(pilot.app.screen.query(".-error")))
        await _settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_snapshot_guarantee_form(
    snap_compare: Any, snapshot_db: str, size: tuple[int, int]
) -> None:
    app = FormApp(snapshot_db, GuaranteeForm)
    assert snap_compare(app, terminal_size=size, run_before=_open(GuaranteeForm))


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_snapshot_guarantee_form_refused(
    snap_compare: Any, snapshot_db: str, size: tuple[int, int]
) -> None:
    """After Ctrl+S: each error beside its field, the first named in the status line."""
    typed = {
        "customer": "株式会社肥後建設",
        "orderer": "熊本県",
        "contract_amount": "1億5000万",
        "amount": "2億",  # above the 請負金額
        "contract_date": "R8.2.30",  # no such day
    }
    app = FormApp(snapshot_db, GuaranteeForm)
    assert snap_compare(app, terminal_size=size, run_before=_open(GuaranteeForm, typed))


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_snapshot_customer_form(snap_compare: Any, snapshot_db: str, size: tuple[int, int]) -> None:
    app = FormApp(snapshot_db, CustomerForm)
    assert snap_compare(app, terminal_size=size, run_before=_open(CustomerForm))
