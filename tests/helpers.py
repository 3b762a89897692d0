"""Run the command line in-process the way a user would, capturing what it prints."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from cli.main import main
from core import services
from core.db import Database
from core.settings import get_settings


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    get_settings.cache_clear()
    capsys.readouterr()
    try:
        main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return Result(code, out, err)


def make_guarantee(
    db: Database, customer_id: int, *, confirmed: bool = True, **fields: str
) -> services.GuaranteeView:
    """Record a guarantee through the service, with sensible defaults for unnamed fields.
    Look-alikes of one already recorded are confirmed (tests/test_lifecycle.py checks the
    duplicate refusal itself)."""
    values = {
        "type": "前払金",
        "orderer": "熊本県",
        "project": "県道改良工事",
        "contract_amount": "100,000,000",
        "amount": "40,000,000",
        "contract_date": "2026-04-01",
    } | fields
    draft = services.GuaranteeDraft(customer=str(customer_id), **values)
    return services.add_guarantee(
        db, draft, operator="テスト担当", number_prefix="207", confirmed=confirmed
    )
