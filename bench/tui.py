"""Terminal UI speed with a large book: cold start to the first screen, and filter refreshes.

    .venv/bin/python bench/tui.py [--count 100000] [--db /tmp/hosho-tui-bench.db]

Targets: first screen <= 1.5 s, a filter refresh <= 100 ms (query + table update).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD = """
import asyncio, sys
sys.path.insert(0, {root!r})
from tui.app import make_app
from tui.guarantees import GuaranteeTable

async def main():
    app = make_app({url!r})
    async with app.run_test(size=(120, 36)) as pilot:
        table = app.screen.query_one(GuaranteeTable)
        while table.row_count == 0:
            await pilot.pause(0.005)
        print("ready", flush=True)

asyncio.run(main())
"""

FILTERS = [
    {"f-orderer": "熊本県"},
    {"f-customer": "阿蘇"},
    {"f-from": "R7.4.1", "f-to": "R7.9.30"},
    {"f-min": "1億", "f-max": "2億"},
    {"f-orderer": "とすし", "f-min": "1000万"},
    {"f-customer": "建設", "f-from": "R8.1.1"},
]


def seed(url: str, count: int) -> None:
    from sqlalchemy import func, select

    from core.db import open_database
    from core.demo import seed as demo_seed
    from core.models import Guarantee

    db = open_database(url)
    with db.reader() as s:
        have = s.scalar(select(func.count()).select_from(Guarantee)) or 0
    if have < count:
        demo_seed(db, count - have, seed=have + 1)
    db.dispose()


def cold_start(url: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", CHILD.format(root=str(ROOT), url=url)],
            capture_output=True,
            text=True,
            check=True,
        )
        assert "ready" in out.stdout, out.stderr
        times.append(time.perf_counter() - started)
    return times


async def filter_refresh(url: str) -> list[float]:
    from textual.widgets import Input

    from tui.app import make_app
    from tui.guarantees import GuaranteeListScreen

    app = make_app(url)
    times = []
    async with app.run_test(size=(120, 36)) as pilot:
        screen = app.screen
        assert isinstance(screen, GuaranteeListScreen)
        await app.workers.wait_for_complete()
        for values in FILTERS * 3:
            for widget in screen.query("#filters Input").results(Input):
                with widget.prevent(Input.Changed):
                    widget.value = values.get(widget.id or "", "")
            token = screen._token
            started = time.perf_counter()
            screen.refresh_rows()  # what the debounce timer calls after typing stops
            while screen._token == token or (screen._loaded == 0 and screen._more):
                await pilot.pause(0.001)
            times.append(time.perf_counter() - started)
            await app.workers.wait_for_complete()
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--db", default="/tmp/hosho-tui-bench.db")
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    url = f"sqlite:///{a.db}"
    seed(url, a.count)
    starts = cold_start(url, a.runs)
    refresh = asyncio.run(filter_refresh(url))
    print(f"terminal UI with {a.count:,} guarantees (SQLite)")
    print(
        f"  cold start to first screen: median {statistics.median(starts):.2f} s, "
        f"max {max(starts):.2f} s ({a.runs} runs)"
    )
    refresh.sort()
    print(
        f"  filter refresh: p50 {statistics.median(refresh) * 1000:.0f} ms, "
        f"p95 {refresh[int(len(refresh) * 0.95) - 1] * 1000:.0f} ms, "
        f"max {refresh[-1] * 1000:.0f} ms ({len(refresh)} refreshes)"
    )


if __name__ == "__main__":
    main()
