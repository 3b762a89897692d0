"""Several processes issuing guarantees at once: no duplicate number, no lost record."""

from __future__ import annotations

import multiprocessing as mp

import pytest
from sqlalchemy import func, select

from core import services
from core.db import Database, open_database
from core.models import Guarantee

WORKERS = 4
EACH = 40


def _issue(url: str, customer_id: int, worker: int) -> list[str]:
    db = open_database(url, auto_upgrade=False)
    try:
        out = []
        for i in range(EACH):
            draft = services.GuaranteeDraft(
                type="前払金",
                customer=str(customer_id),
                orderer="熊本県",
                project=f"並行 {worker}-{i}",
                contract_amount="10,000,000",
                amount="4,000,000",
                contract_date="2026-04-01",
            )
            g = services.add_guarantee(db, draft, operator=f"w{worker}", number_prefix="207")
            out.append(g.guarantee_number)
        return out
    finally:
        db.dispose()


@pytest.mark.slow
def test_parallel_issuers_never_share_a_number(db: Database, db_url: str) -> None:
    customer = services.add_customer(db, name="並行建設株式会社", operator="t")
    ctx = mp.get_context("spawn")
    with ctx.Pool(WORKERS) as pool:
        results = pool.starmap(_issue, [(db_url, customer.id, w) for w in range(WORKERS)])
    issued = [n for batch in results for n in batch]
    assert len(issued) == WORKERS * EACH
    assert len(set(issued)) == len(issued)
    with db.reader() as s:
        stored = list(s.scalars(select(Guarantee.number)))
        assert s.scalar(select(func.count()).select_from(Guarantee)) == WORKERS * EACH
    assert sorted(stored) == sorted(issued)
    # numbers are consecutive: none skipped, none reused
    values = sorted(int(n) for n in issued)
    assert values == list(range(values[0], values[0] + len(values)))
