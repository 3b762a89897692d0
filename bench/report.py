"""The monthly report and the exports over a large book, SQLite and PostgreSQL side by side.

    .venv/bin/python bench/report.py                      # 1,000,000 guarantees, both backends
    .venv/bin/python bench/report.py --count 200000 --backend sqlite

Seeds (once, with core.demo) and reuses the databases of bench/search.py. Measures:
- ``monthly_report`` for one year (2025-04 … 2026-03), by orderer, type and customer
  (median and max of ``--runs``); target ≤ 1 s;
- exporting ``--rows`` guarantees (2025-04-01 on, newest first) to CSV (target ≤ 5 s) and
  xlsx (≤ 20 s), each in a fresh process: the most Python memory held at once (tracemalloc,
  in a second run) and the process's anonymous resident memory after the export (and its
  growth during it); the same for a tenth of the rows, to show that memory does not grow
  with the rows.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from search import PG_DEFAULT, SCHEMA, ensure_seeded, postgres_url

from core import services
from core.db import open_database
from core.reports import monthly_report

FIRST, LAST = date(2025, 4, 1), date(2026, 3, 1)
EXPORT_FROM = "2025-04-01"


def memory_mb(field: str) -> float:
    """A line of /proc/self/status in MB: VmHWM (peak resident) or RssAnon (resident memory
    that is not a mapped file: SQLite maps the database file, and those pages count in the
    resident size while being the page cache, not the export's memory)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_export(url: str, rows: int, fmt: str) -> None:
    """In its own process, so that its peak memory is the export's alone."""
    from core.export import export_guarantees

    db = open_database(url, auto_upgrade=True)  # (migrated by the parent already)
    f = services.parse_filter(date_from=EXPORT_FROM)
    with tempfile.TemporaryDirectory() as folder:
        export_guarantees(db, f, Path(folder) / f"x.{fmt}", fmt, limit=1)  # imports, warm-up
        before = memory_mb("RssAnon")
        started = time.perf_counter()
        result = export_guarantees(db, f, Path(folder) / f"book.{fmt}", fmt, limit=rows)
        seconds = time.perf_counter() - started
        after = memory_mb("RssAnon")
        size = (Path(folder) / f"book.{fmt}").stat().st_size
        # once more under tracemalloc (slower): the most Python memory held at any moment
        tracemalloc.start()
        export_guarantees(db, f, Path(folder) / f"again.{fmt}", fmt, limit=rows)
        heap = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    db.dispose()
    out = {"rows": result.rows, "seconds": seconds, "before": before, "after": after}
    print(json.dumps(out | {"bytes": size, "heap": heap}))


def export_in_child(url: str, rows: int, fmt: str) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child-export", url, str(rows), fmt]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(url: str, count: int, runs: int, rows: int) -> dict[str, str]:
    db = open_database(url, auto_upgrade=True)
    out: dict[str, str] = {}
    try:
        ensure_seeded(db, count)
        year = monthly_report(db, FIRST, LAST, "type")  # warm the caches
        out["guarantees in the year"] = f"{year.total.count + year.total.cancelled:,}"
        for by in ("orderer", "type", "customer"):
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                report = monthly_report(db, FIRST, LAST, by)
                times.append(time.perf_counter() - started)
            out[f"report by {by} ({len(report.rows):,} rows), median / max"] = (
                f"{statistics.median(times):.2f} / {max(times):.2f} s"
            )
    finally:
        db.dispose()
    for fmt in ("csv", "xlsx"):
        for n in (rows, rows // 10):
            r = export_in_child(url, n, fmt)
            growth = r["after"] - r["before"]
            out[f"export {fmt} {r['rows']:,} rows: time, file"] = (
                f"{r['seconds']:.1f} s, {r['bytes'] / 1e6:.1f} MB"
            )
            out[f"export {fmt} {r['rows']:,} rows: peak heap, anon RSS"] = (
                f"{r['heap']:.1f} MB, {r['after']:.0f} MB ({growth:+.0f})"
            )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--rows", type=int, default=100_000, help="rows to export")
    ap.add_argument("--runs", type=int, default=5, help="runs of each report")
    ap.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--sqlite-path", default="/tmp/hosho-bench.db")
    ap.add_argument(
        "--postgres-url", default=os.environ.get("HOSHO_BENCH_POSTGRES_URL", PG_DEFAULT)
    )
    ap.add_argument("--schema", default=SCHEMA, help="PostgreSQL schema of the seeded book")
    ap.add_argument("--child-export", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child_export:
        url, rows, fmt = a.child_export
        child_export(url, int(rows), fmt)
        return
    backends = ["sqlite", "postgres"] if a.backend == "both" else [a.backend]
    print(f"monthly report and export, {a.count:,} guarantees, {os.cpu_count()} cores")
    results: dict[str, dict[str, str]] = {}
    for backend in backends:
        print(f"[{backend}]")
        if backend == "sqlite":
            url = f"sqlite:///{a.sqlite_path}"
        else:
            url = postgres_url(a.postgres_url, a.schema)
        results[backend] = measure(url, a.count, a.runs, a.rows)
    names = {"sqlite": "SQLite (WAL)", "postgres": "PostgreSQL"}
    rows = list(results[backends[0]])
    width = max(len(r) for r in rows) + 2
    cells = [max(len(v) for v in results[b].values()) + 3 for b in backends]
    print()
    print(" " * width + "".join(names[b].ljust(c) for b, c in zip(backends, cells, strict=True)))
    for row in rows:
        values = [results[b].get(row, "—").ljust(c) for b, c in zip(backends, cells, strict=True)]
        print(row.ljust(width) + "".join(values))


if __name__ == "__main__":
    main()
