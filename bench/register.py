"""The orderer register: completion per keystroke, the first open, and `hosho ask` end to end.

    .venv/bin/python bench/register.py                       # SQLite and PostgreSQL
    .venv/bin/python bench/register.py --backend sqlite
    .venv/bin/python bench/register.py --baseline ../older   # `hosho ask` of another checkout too

Rows:
  - completion: ``complete_orderers`` (what the guarantee form's orderer field runs in a
    worker) for every prefix of names staff type — kanji, kana readings, a typo — one keystroke
    at a time; p50/p99/max over the keystrokes. Target: <= 20 ms a keystroke.
  - first open: a new database migrated and the register (every prefecture and municipality,
    and the documents' orderers) loaded — what the first start on a machine pays once.
  - `hosho ask`: the command in a new process, as staff run it (the saved FAQ index warm),
    median of ``--repeat`` runs of three questions; with ``--baseline DIR`` the same command of
    the code checked out in DIR (e.g. `git worktree add ../older <commit>`), run by the same
    interpreter in the same run, for the ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from core.db import Database, open_database
from core.models import Orderer
from core.orderers import complete_orderers

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
ROOT = Path(__file__).resolve().parent.parent

# What staff type into the orderer field, one character at a time.
TYPED = [
    "鳥栖市",
    "とすし",
    "札幌市",
    "さっぽろ",
    "北九州市",
    "下関",
    "くまもとけん",
    "国土交通省",
    "日本下水道事業団",
    "府中",
    "熊元県",
    "あそし",
    "鹿児島県",
    "かごしま",
]
QUESTIONS = [
    "鳥栖市はどこに認証キーを出す？",
    "阿蘇市では電子保証は導入されていますか",
    "紙契約でも電子保証は使える？",
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def postgres_url(base: str) -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(base).set(drivername="postgresql+psycopg"))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    url = make_url(base).set(drivername="postgresql+psycopg")
    rendered = url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )
    return rendered, schema


def drop_schema(base: str, schema: str) -> None:
    admin = create_engine(make_url(base).set(drivername="postgresql+psycopg"))
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def completion(db: Database) -> list[float]:
    complete_orderers(db, "鳥")  # the lookup is built once, as the form does after start
    times = []
    for name in TYPED:
        for n in range(1, len(name) + 1):
            started = time.perf_counter()
            complete_orderers(db, name[:n])
            times.append((time.perf_counter() - started) * 1000)
    return times


def backend_row(name: str, url: str) -> list[str]:
    started = time.perf_counter()
    db = open_database(url, auto_upgrade=True)
    first_open = (time.perf_counter() - started) * 1000
    try:
        with db.reader() as s:
            count = s.scalar(select(func.count()).select_from(Orderer)) or 0
        times = completion(db)
    finally:
        db.dispose()
    return [
        name,
        f"{count:,}",
        f"{first_open:.0f}",
        f"{statistics.median(times):.1f}",
        f"{percentile(times, 99):.1f}",
        f"{max(times):.1f}",
        f"{len(times)}",
    ]


def ask_times(checkout: Path, repeat: int, env: dict[str, str]) -> list[float]:
    """`hosho ask` of ``checkout``'s code, run by this interpreter (the same packages)."""
    launcher = (
        f"import sys; sys.path.insert(0, {str(checkout)!r}); sys.argv[0] = 'hosho'; "
        "from cli.main import main; sys.exit(main())"
    )

    def run(question: str) -> None:
        command = [sys.executable, "-c", launcher, "ask", question]
        subprocess.run(command, env=env, capture_output=True, check=True, cwd=checkout)

    run(QUESTIONS[0])  # builds and saves the FAQ index
    times = []
    for _ in range(repeat):
        for question in QUESTIONS:
            started = time.perf_counter()
            run(question)
            times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--postgres-url", default=os.environ.get("HOSHO_BENCH_PG", PG_DEFAULT))
    parser.add_argument("--repeat", type=int, default=5, help="runs of each `hosho ask`")
    parser.add_argument("--baseline", type=Path, help="another checkout to time `hosho ask` in")
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        if args.backend in ("sqlite", "both"):
            rows.append(backend_row("SQLite (WAL)", f"sqlite:///{Path(folder) / 'bench.db'}"))
        if args.backend in ("postgres", "both"):
            url, schema = postgres_url(args.postgres_url)
            try:
                rows.append(backend_row("PostgreSQL 15", url))
            finally:
                drop_schema(args.postgres_url, schema)
        header = [
            "backend",
            "orderers",
            "first open ms",
            "completion p50 ms",
            "p99 ms",
            "max ms",
            "keystrokes",
        ]
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join(" --- " for _ in header) + "|")
        for r in rows:
            print("| " + " | ".join(r) + " |")

        env = {k: v for k, v in os.environ.items() if not k.startswith("HOSHO_")}
        print()
        print("| `hosho ask` (new process, saved index warm) | median ms | max ms |")
        print("| --- | --- | --- |")
        checkouts = [("this checkout", ROOT)]
        if args.baseline:
            checkouts.append((f"baseline {args.baseline}", args.baseline.resolve()))
        medians = []
        for n, (label, checkout) in enumerate(checkouts):
            own = {**env, "XDG_DATA_HOME": str(Path(folder) / f"data{n}")}  # its own database
            own["XDG_CACHE_HOME"] = str(Path(folder) / f"cache{n}")
            times = ask_times(checkout, args.repeat, own)
            medians.append(statistics.median(times))
            print(f"| {label} | {medians[-1]:.0f} | {max(times):.0f} |")
        if len(medians) == 2:
            print(f"\nratio this / baseline: {medians[0] / medians[1]:.2f}")


if __name__ == "__main__":
    main()
