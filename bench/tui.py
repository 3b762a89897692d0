"""Terminal UI speed with a large book: cold start to the first screen, and filter refreshes.

    .venv/bin/python bench/tui.py [--count 100000] [--db /tmp/hosho-tui-bench.db]

Targets: first screen <= 1.5 s, a filter refresh <= 100 ms (query + table painted).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD = """
import asyncio, sys
sys.path.insert(0, {root!r})
from tui.app import make_app
from tui.guarantees import GuaranteeTable

painted = []  # the table has painted rows
render_lines = GuaranteeTable.render_lines

def spy(table, crop):
    lines = render_lines(table, crop)
    if table.row_count:
        painted.append(True)
    return lines

GuaranteeTable.render_lines = spy

async def main():
    app = make_app({url!r})
    async with app.run_test(size=(120, 36)) as pilot:
        while not painted:
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


def cold_start(url: str, runs: int) -> tuple[list[float], list[float]]:
    """Seconds until the process has exited (the figure held to the target, as before), and
    until it said the first rows were painted."""
    exited, painted = [], []
    for _ in range(runs):
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD.format(root=str(ROOT), url=url)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        ready = child.stdout.readline()
        painted.append(time.perf_counter() - started)
        _, err = child.communicate()
        exited.append(time.perf_counter() - started)
        assert child.returncode == 0 and ready.strip() == "ready", err
    return exited, painted


async def filter_refresh(url: str) -> list[float]:
    """From the call the debounce timer makes until the table has painted the new rows."""
    from textual.widgets import Input

    from tui.app import make_app
    from tui.guarantees import GuaranteeListScreen, GuaranteeTable

    painted: set[int] = set()  # filter tokens whose rows the table has painted
    render_lines = GuaranteeTable.render_lines

    def spy(table: GuaranteeTable, crop: Any) -> Any:
        lines = render_lines(table, crop)
        screen = table.screen
        if isinstance(screen, GuaranteeListScreen) and not (screen._loaded == 0 and screen._more):
            painted.add(screen._token)
        return lines

    GuaranteeTable.render_lines = spy  # type: ignore[method-assign]
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
            while screen._token == token or screen._token not in painted:
                await pilot.pause(0.001)
            times.append(time.perf_counter() - started)
            await pilot.pause(0.05)  # the total is counted once the rows are on screen
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
    starts, painted = cold_start(url, a.runs)
    refresh = asyncio.run(filter_refresh(url))
    print(f"terminal UI with {a.count:,} guarantees (SQLite)")
    print(
        f"  cold start to first screen: median {statistics.median(starts):.2f} s, "
        f"max {max(starts):.2f} s ({a.runs} runs, until the process has exited; "
        f"rows painted after median {statistics.median(painted):.2f} s, max {max(painted):.2f} s)"
    )
    refresh.sort()
    print(
        f"  filter refresh: p50 {statistics.median(refresh) * 1000:.0f} ms, "
        f"p95 {refresh[int(len(refresh) * 0.95) - 1] * 1000:.0f} ms, "
        f"max {refresh[-1] * 1000:.0f} ms ({len(refresh)} refreshes)"
    )


if __name__ == "__main__":
    main()
