"""Combined guarantee search over a large book: p50/p95 for a page of 50.

    .venv/bin/python bench/search.py        # 1,000,000 guarantees, SQLite and PostgreSQL
    .venv/bin/python bench/search.py --count 100000 --backend sqlite

The database is seeded once (core.demo) and reused on later runs. Target: p95 <= 20 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from core import services
from core.db import Database, open_database
from core.demo import seed
from core.models import Guarantee, Orderer

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
SCHEMA = "hosho_bench"


def postgres_url(base: str, schema: str = SCHEMA) -> str:
    admin = create_engine(make_url(base).set(drivername="postgresql+psycopg"))
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
    admin.dispose()
    url = make_url(base).set(drivername="postgresql+psycopg")
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


def ensure_seeded(db: Database, count: int) -> None:
    with db.reader() as s:
        have = s.scalar(select(func.count()).select_from(Guarantee)) or 0
    if have >= count:
        print(f"  reusing {have:,} guarantees")
        return
    started = time.perf_counter()
    seed(db, count - have, seed=have + 1)
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    print(f"  seeded {count - have:,} guarantees in {time.perf_counter() - started:.1f} s")


# 商号 parts (2-character ones are matched without the trigram index), 商号カナ typed in
# hiragana, and 工事名 parts: broad (道路改良, 河川: a tenth of the book or more) and narrow.
NAMES = ["阿蘇", "田中", "肥後", "建設", "松本組"]
KANA = ["あそ", "たなか", "ひごけん", "けんせつ", "まつもとぐみ"]
PROJECTS = ["道路改良", "橋梁", "測量業務委託", "阿蘇線", "県道阿蘇線", "河川"]


def random_filter(rng: random.Random, orderers: list[str], text: bool = True) -> dict[str, Any]:
    """One to four filters, the way staff combine them. ``text=False``: the combinations
    measured before 工事名 and カナ could be searched (the same ones for the same seed)."""
    choices: dict[str, Any] = {}
    start = rng.randrange(0, 1600)
    pool = {
        "date": lambda: {
            "date_from": f"{2022 + start // 365}-{start % 12 + 1:02d}-01",
            "date_to": f"{2022 + start // 365 + rng.choice([0, 1])}-{start % 12 + 1:02d}-28",
        },
        "customer": lambda: {"customer": rng.choice(NAMES + KANA if text else NAMES)},
        "orderer": lambda: {"orderer": rng.choice(orderers)},
        "amount": lambda: {
            "min_amount": str(rng.choice([1, 10, 50, 100]) * 1_000_000),
            "max_amount": str(rng.choice([120, 200, 400]) * 1_000_000),
        },
        "type": lambda: {"type": rng.choice(["前払金", "契約", "中間前払金"])},
        "status": lambda: {"status": rng.choice(["受付", "発行済"])},
    }
    if text:
        pool["project"] = lambda: {"project": rng.choice(PROJECTS)}
    for name in rng.sample(sorted(pool), rng.randint(1, 4)):
        choices |= pool[name]()
    return choices


def measure(db: Database, queries: int, text: bool = True) -> dict[str, float]:
    rng = random.Random(7)
    with db.reader() as s:
        orderers = list(s.scalars(select(Orderer.name).where(Orderer.listed)))  # type: ignore[arg-type]
    services.search_guarantees(db, services.parse_filter(limit=50))  # warm caches
    times = []
    empty = 0
    for _ in range(queries):
        f = services.parse_filter(limit=50, **random_filter(rng, orderers, text))
        t = time.perf_counter()
        rows = services.search_guarantees(db, f)
        times.append((time.perf_counter() - t) * 1000)
        empty += not rows
    times.sort()
    return {
        "p50": statistics.median(times),
        "p95": times[int(len(times) * 0.95) - 1],
        "max": times[-1],
        "empty": empty,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--sqlite-path", default="/tmp/hosho-bench.db")
    ap.add_argument(
        "--postgres-url", default=os.environ.get("HOSHO_BENCH_POSTGRES_URL", PG_DEFAULT)
    )
    ap.add_argument("--schema", default=SCHEMA, help="PostgreSQL schema of the seeded book")
    ap.add_argument(
        "--without-text",
        action="store_true",
        help="the earlier combinations: no 工事名, 商号 parts only (no カナ)",
    )
    a = ap.parse_args()
    backends = ["sqlite", "postgres"] if a.backend == "both" else [a.backend]
    print(f"guarantee search, page of 50, {a.queries} random filter combinations")
    for backend in backends:
        print(f"[{backend}]")
        url = (
            f"sqlite:///{a.sqlite_path}"
            if backend == "sqlite"
            else postgres_url(a.postgres_url, a.schema)
        )
        db = open_database(url, auto_upgrade=True)
        try:
            ensure_seeded(db, a.count)
            r = measure(db, a.queries, not a.without_text)
        finally:
            db.dispose()
        print(
            f"  p50 {r['p50']:.1f} ms   p95 {r['p95']:.1f} ms   max {r['max']:.1f} ms"
            f"   (empty pages: {r['empty']:.0f})"
        )


if __name__ == "__main__":
    main()
