"""Terminal UI speed with a large book: start-up to the first rows painted, side by side with a
bare Textual app (Header, a DataTable of 50 rows, Footer) in the same run, headless and in a
real terminal (a pseudo-terminal, as a person would start it); then filter refreshes.

    .venv/bin/python bench/tui.py [--count 100000] [--db /tmp/hosho-tui-bench.db] [--runs 7]

Targets: first rows within 2x the bare app's, a filter refresh <= 100 ms (query + table painted).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import os
import pty
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import termios
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

# The baseline: the least a Textual app with rows on screen costs here.
BARE = """
import asyncio, sys
from textual.app import App
from textual.widgets import DataTable, Footer, Header

HEADLESS = {headless!r}
painted = []
render_lines = DataTable.render_lines

def spy(table, crop):
    lines = render_lines(table, crop)
    if table.row_count:
        painted.append(True)
    return lines

DataTable.render_lines = spy

class Bare(App):
    def compose(self):
        yield Header()
        yield DataTable()
        yield Footer()

    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("保証契約番号", "契約締結日", "種別", "受注者", "発注者", "金額", "状態")
        row = ("令和8年4月1日", "前払金", "株式会社阿蘇建設", "熊本県", "12,345,678円", "発行済")
        table.add_rows((f"{{i:010d}}", *row) for i in range(50))

async def main():
    async with Bare().run_test(size=(120, 36)) as pilot:
        while not painted:
            await pilot.pause(0.005)
        print("ready", flush=True)

if HEADLESS:
    asyncio.run(main())
else:
    Bare().run()
"""

HOSHO_TERMINAL = """
import sys
sys.path.insert(0, {root!r})
from cli.main import main
main([])
"""

ROW = re.compile(rb"\d{10}")  # a 保証契約番号 on screen: the first rows are painted


def in_terminal(code: str, env: dict[str, str]) -> float:
    """Seconds from starting ``code`` in a 120x36 pseudo-terminal until a 10-digit number
    (a row) has been written to the screen; then the app is stopped."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: a real terminal of its own
        os.execve(sys.executable, [sys.executable, "-c", code], env)
    started = time.perf_counter()
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
    seen = b""
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], 30)
            if not ready:
                raise RuntimeError("no rows on screen within 30 s")
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RuntimeError("the app ended before rows appeared")
            seen = seen[-64:] + chunk
            if ROW.search(seen):
                return time.perf_counter() - started
    finally:
        os.kill(pid, signal.SIGTERM)
        with contextlib.suppress(OSError):
            while os.read(fd, 65536):
                pass
        os.waitpid(pid, 0)
        os.close(fd)


def side_by_side(url: str, runs: int) -> dict[str, list[float]]:
    """Headless and real-terminal start-up of the bare app and of hosho, interleaved run by
    run so that both see the same machine."""
    env = {**os.environ, "TERM": "xterm-256color", "HOSHO_DATABASE_URL": url}
    times: dict[str, list[float]] = {k: [] for k in ("bare", "hosho", "bare_tty", "hosho_tty")}
    for _ in range(runs):
        times["bare"].append(_headless(BARE.format(headless=True)))
        times["hosho"].append(_headless(CHILD.format(root=str(ROOT), url=url)))
        times["bare_tty"].append(in_terminal(BARE.format(headless=False), env))
        times["hosho_tty"].append(in_terminal(HOSHO_TERMINAL.format(root=str(ROOT)), env))
    return times


def _headless(code: str) -> float:
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    ready = child.stdout.readline()
    painted = time.perf_counter() - started
    _, err = child.communicate()
    assert child.returncode == 0 and ready.strip() == "ready", err
    return painted


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
    ap.add_argument("--runs", type=int, default=7)
    a = ap.parse_args()
    url = f"sqlite:///{a.db}"
    seed(url, a.count)
    times = side_by_side(url, a.runs)
    refresh = asyncio.run(filter_refresh(url))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"terminal UI with {a.count:,} guarantees (SQLite), median of {a.runs} runs")
    print("| start-up to the first rows painted | bare Textual app | hosho | ratio |")
    print("| --- | --- | --- | --- |")
    for label, bare, ours in (
        ("headless (Pilot)", "bare", "hosho"),
        ("real terminal (pty 120x36)", "bare_tty", "hosho_tty"),
    ):
        print(
            f"| {label} | {med[bare]:.2f} s | {med[ours]:.2f} s "
            f"(max {max(times[ours]):.2f}) | {med[ours] / med[bare]:.2f} |"
        )
    refresh.sort()
    print(
        f"filter refresh: p50 {statistics.median(refresh) * 1000:.0f} ms, "
        f"p95 {refresh[int(len(refresh) * 0.95) - 1] * 1000:.0f} ms, "
        f"max {refresh[-1] * 1000:.0f} ms ({len(refresh)} refreshes)"
    )


if __name__ == "__main__":
    main()
