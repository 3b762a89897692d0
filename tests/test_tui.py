"""The terminal UI opens on the guarantee list and shows what the database holds."""

from __future__ import annotations

import pytest

from core import services
from core.db import Database
from tests.helpers import make_guarantee
from tui.app import GuaranteeTable, make_app


@pytest.fixture(autouse=True)
def _no_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEXTUAL_CURSOR_BLINK", "0")


async def test_first_screen_lists_guarantees(db: Database, db_url: str) -> None:
    customer = services.add_customer(db, name="株式会社肥後建設", operator="t")
    g = make_guarantee(db, customer.id, contract_date="R8.4.1")
    app = make_app(db_url)
    async with app.run_test(size=(120, 36)) as pilot:
        table = app.query_one(GuaranteeTable)
        for _ in range(50):
            await pilot.pause(0.05)
            if table.row_count:
                break
        assert table.row_count == 1
        row = table.get_row(g.guarantee_number)
        assert row[0] == g.guarantee_number
        assert row[1] == "令和8年4月1日"
        assert row[5] == "40,000,000円"
        await pilot.press("ctrl+q")
