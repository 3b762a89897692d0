"""Exports of the guarantee book (CSV, xlsx) and the monthly report, on every backend."""

from __future__ import annotations

import csv
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col

from core import export, services
from core.db import Database
from core.demo import seed
from core.errors import HoshoError
from core.models import Customer, Guarantee
from core.reports import monthly_report, parse_months
from tests.helpers import cli, make_guarantee

# --- helpers ---------------------------------------------------------------------------------


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def read_xlsx(path: Path) -> tuple[Any, list[list[Any]]]:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb.active
    return ws, [list(r) for r in ws.iter_rows()]


# What each exported column holds, as `guarantee list --json` says it.
FIELDS = {
    "保証契約番号": "guarantee_number",
    "種別": "type",
    "状態": "status",
    "受注者": "customer",
    "発注者": "orderer",
    "都道府県": "orderer_prefecture",
    "工事名・業務名": "project_name",
    "契約の種類": "contract_kind",
    "請負金額": "contract_amount",
    "保証金額": "amount",
    "契約締結日": "contract_date",
    "工期（自）": "period_start",
    "工期（至）": "period_end",
    "保証期限": "guarantee_end",
    "申込経路": "channel",
    "交付方法": "delivery",
    "入札公告日": "announcement_date",
    "前払金取扱金融機関": "bank",
    "e-Net割引": "fee_discount",
    "受注者ID": "customer_id",
}


def as_text(value: Any) -> str:
    return "" if value is None else str(value)


def list_json(capsys: pytest.CaptureFixture[str], *filters: str) -> list[dict[str, Any]]:
    r = cli(capsys, "guarantee", "list", *filters, "--limit", "100000", "--json")
    assert r.code == 0, r.err
    rows: list[dict[str, Any]] = r.json
    return rows


@pytest.fixture
def big_book(env_db: Database) -> Database:
    """130 demo guarantees (more than two pages of 50) and two of our own."""
    seed(env_db, 130, seed=3)
    c = services.add_customer(env_db, name="株式会社肥後建設", operator="t")
    make_guarantee(env_db, c.id, contract_date="R8.4.1", project="県道熊本高森線 道路改良工事")
    make_guarantee(env_db, c.id, orderer="鳥栖市", type="契約", amount="5,000,000",
                   contract_date="R8.3.18", delivery="書面", project="市道 舗装工事")  # fmt: skip
    return env_db


# --- export ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filters",
    [
        (),
        ("--from", "2024-01-01", "--to", "令和7年12月31日"),
        ("--min-amount", "1億", "--type", "前払金"),
        ("--orderer", "鳥栖市"),
    ],
)
def test_csv_export_has_every_row_the_list_has(
    big_book: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path, filters: tuple[str]
) -> None:
    out = tmp_path / "保証一覧.csv"
    r = cli(capsys, "guarantee", "list", *filters, "--format", "csv", "--output", str(out))
    assert r.code == 0, r.err
    assert r.err == ""  # no progress bar when stderr is not a terminal
    expected = list_json(capsys, *filters)
    header, rows = read_csv(out)
    assert header[:3] == ["保証契約番号", "種別", "状態"]
    assert f"保証 {len(expected):,}件" in r.out
    assert len(rows) == len(expected) and rows, filters
    for got, want in zip(rows, expected, strict=True):
        for column, key in FIELDS.items():
            assert got[column] == as_text(want[key]), (column, got, want)


def test_export_is_every_row_not_one_page(
    big_book: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    page = cli(capsys, "guarantee", "list", "--json").json
    assert len(page) == 50  # the list shows a page
    out = tmp_path / "all.csv"
    r = cli(capsys, "guarantee", "list", "--output", str(out), "--json")  # format from the name
    assert r.code == 0, r.err
    assert r.json == {"output": str(out), "format": "csv", "rows": 132}
    _, rows = read_csv(out)
    assert len(rows) == 132
    assert len({row["保証契約番号"] for row in rows}) == 132
    assert [row["保証契約番号"] for row in rows[:50]] == [g["guarantee_number"] for g in page]
    # --limit and --offset still work when asked for
    r = cli(capsys, "guarantee", "list", "--format", "csv", "--output", str(out),
            "--offset", "10", "--limit", "60")  # fmt: skip
    _, some = read_csv(out)
    assert [row["保証契約番号"] for row in some] == [row["保証契約番号"] for row in rows[10:70]]


def test_xlsx_export_types_and_layout(
    big_book: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "book.xlsx"
    r = cli(capsys, "guarantee", "list", "--from", "R6.1.1", "--format", "xlsx", "--output",
            str(out))  # fmt: skip
    assert r.code == 0, r.err
    expected = list_json(capsys, "--from", "R6.1.1")
    ws, cells = read_xlsx(out)
    assert ws.freeze_panes == "A2"
    header = [c.value for c in cells[0]]
    assert header == list(export.HEADERS)
    assert all(c.font.b for c in cells[0])
    assert len(cells) - 1 == len(expected) > 50
    index = {name: i for i, name in enumerate(header)}
    for row, want in zip(cells[1:], expected, strict=True):
        amount = row[index["保証金額"]]
        assert amount.value == want["amount"] and isinstance(amount.value, int)
        assert amount.number_format == "#,##0"
        assert row[index["請負金額"]].value == want["contract_amount"]
        signed = row[index["契約締結日"]]
        assert isinstance(signed.value, datetime) and signed.is_date
        assert signed.value.date().isoformat() == want["contract_date"]
        for column, key in FIELDS.items():
            value = row[index[column]].value
            if isinstance(value, datetime):
                value = value.date().isoformat()
            assert as_text(value) == as_text(want[key]), column


def test_export_reads_in_bounded_chunks(
    big_book: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "CHUNK", 7)
    chunks = list(export.iter_chunks(big_book, services.parse_filter()))
    assert [len(c) for c in chunks[:-1]] == [7] * (len(chunks) - 1)
    assert sum(len(c) for c in chunks) == 132


def test_export_progress_counts_to_the_total(big_book: Database, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    result = export.export_guarantees(
        big_book,
        services.parse_filter(),
        tmp_path / "x.csv",
        progress=lambda done, total: seen.append((done, total)),
    )
    assert result.rows == 132
    assert seen[-1] == (132, 132)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_existing_file_is_replaced_whole_or_not_at_all(
    big_book: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "book.csv"
    target.write_text("前の内容", encoding="utf-8")

    def broken(*args: Any, **kwargs: Any) -> Any:
        yield [("2070000001",) + ("x",) * (len(export.COLUMNS) - 1)]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "iter_chunks", broken)
    with pytest.raises(HoshoError, match="書き込めません"):
        export.export_guarantees(big_book, services.parse_filter(), target)
    assert target.read_text(encoding="utf-8") == "前の内容"  # untouched
    assert sorted(p.name for p in folder.iterdir()) == ["book.csv"]  # no temporary file left
    monkeypatch.undo()
    export.export_guarantees(big_book, services.parse_filter(), target)
    assert len(read_csv(target)[1]) == 132
    assert sorted(p.name for p in folder.iterdir()) == ["book.csv"]


def test_bad_output_paths_are_one_japanese_line(
    big_book: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    a_file = folder / "memo.txt"
    a_file.write_text("x")
    cases = [
        (str(folder), "はフォルダです"),
        (str(folder / "ない" / "book.csv"), "がありません"),
        (str(a_file / "book.csv"), "はフォルダではありません"),
        (str(folder / "book.pdf"), "形式が分かりません"),
        ("/proc/hosho-book.csv", "書き込"),  # even root cannot create a file there
    ]
    for output, message in cases:
        r = cli(capsys, "guarantee", "list", "--output", output)
        assert r.code == 1, output
        assert r.err.startswith("エラー: ") and message in r.err, (output, r.err)
        assert len(r.err.strip().splitlines()) == 1 and "Traceback" not in r.err
    r = cli(capsys, "guarantee", "list", "--format", "csv")
    assert r.code == 1 and "--output" in r.err
    assert sorted(p.name for p in folder.iterdir()) == ["memo.txt"]  # nothing written


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_unwritable_folder_is_refused(
    big_book: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        r = cli(capsys, "guarantee", "list", "--output", str(locked / "book.csv"))
    finally:
        locked.chmod(0o755)
    assert r.code == 1 and "権限がありません" in r.err


def test_list_without_format_is_unchanged(
    big_book: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    assert len(cli(capsys, "guarantee", "list", "--json").json) == 50
    assert len(cli(capsys, "guarantee", "list", "--limit", "5", "--json").json) == 5
    human = cli(capsys, "guarantee", "list")
    assert human.code == 0 and human.out.splitlines()[0].split()[0] == "保証契約番号"
    assert len(human.out.splitlines()) == 51  # the header and a page


# --- the monthly report ----------------------------------------------------------------------

# customer, orderer, 契約締結日, 保証金額, delivery, type, status set afterwards
SMALL_BOOK = [
    ("A", "熊本県", "2026-01-10", 40_000_000, "電子", "前払金", None),
    ("A", "熊本県", "2026-01-20", 10_000_000, "書面", "契約", None),
    ("B", "鳥栖市", "2026-01-25", 5_000_000, "電子", "契約", None),
    ("B", "熊本県", "2026-02-03", 30_000_000, "電子", "前払金", "取消"),
    ("A", "熊本県", "2026-02-14", 20_000_000, "書面", "前払金", None),
    ("B", "広島県", "2026-02-28", 12_000_000, "電子", "前払金", "完了"),
    ("A", "鳥栖市", "2026-03-01", 8_000_000, "電子", "前払金", "解約"),
    ("A", "広島県", "2026-03-31", 6_000_000, "書面", "契約", None),
    ("B", "熊本県", "2025-12-31", 7_000_000, "電子", "前払金", None),  # before the range
    ("B", "熊本県", "2026-04-01", 9_000_000, "電子", "前払金", None),  # after it
]


@pytest.fixture
def small_book(env_db: Database) -> Database:
    customers = {
        "A": services.add_customer(env_db, name="株式会社肥後建設", operator="t").id,
        "B": services.add_customer(env_db, name="佐賀土木株式会社", operator="t").id,
    }
    for i, (who, orderer, day, amount, delivery, gtype, status) in enumerate(SMALL_BOOK):
        g = make_guarantee(
            env_db,
            customers[who],
            orderer=orderer,
            contract_date=day,
            amount=f"{amount:,}",
            delivery=delivery,
            type=gtype,
            project=f"工事その{i + 1}",
        )
        if status:  # as the lifecycle commands would leave it
            with env_db.session() as s:
                s.execute(
                    update(Guarantee)
                    .where(col(Guarantee.number) == g.guarantee_number)
                    .values(status=status, closed_on=None if status == "取消" else date(2026, 5, 1))
                )
    return env_db


def keyed(rows: list[dict[str, Any]], by: str) -> dict[tuple[str, str], tuple[Any, ...]]:
    return {
        (r["period"], r[by]): (
            r["count"], r["amount"], r["electronic"], r["electronic_rate"], r["cancelled"], r["closed"]
        )
        for r in rows
    }  # fmt: skip


def test_report_by_orderer_as_counted_by_hand(
    small_book: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    r = cli(capsys, "report", "monthly", "--from", "2026-01", "--to", "2026-03", "--format", "json")
    assert r.code == 0, r.err
    rows = r.json
    assert set(rows[0]) == {"period", "orderer", "count", "amount", "electronic",
                            "electronic_rate", "cancelled", "closed"}  # fmt: skip
    assert keyed(rows, "orderer") == {
        ("2026-01", "熊本県"): (2, 50_000_000, 1, 0.5, 0, 0),
        ("2026-01", "鳥栖市"): (1, 5_000_000, 1, 1.0, 0, 0),
        # the cancelled one is not in count, amount or electronic
        ("2026-02", "熊本県"): (1, 20_000_000, 0, 0.0, 1, 0),
        ("2026-02", "広島県"): (1, 12_000_000, 1, 1.0, 0, 1),
        ("2026-03", "鳥栖市"): (1, 8_000_000, 1, 1.0, 0, 1),
        ("2026-03", "広島県"): (1, 6_000_000, 0, 0.0, 0, 0),
    }
    assert [row["period"] for row in rows] == sorted(row["period"] for row in rows)
    assert [row["orderer"] for row in rows if row["period"] == "2026-01"] == ["熊本県", "鳥栖市"]
    # the same months typed in 和暦, and --json as a synonym of --format json
    for start, end in [("R8.1", "R8.3"), ("令和8年1月", "令和8年3月")]:
        again = cli(capsys, "report", "monthly", "--from", start, "--to", end, "--json")
        assert again.json == rows


def test_report_by_type_and_customer(
    small_book: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["report", "monthly", "--from", "R8.1", "--to", "R8.3", "--json"]
    by_type = cli(capsys, *args, "--by", "type").json
    assert "orderer" not in by_type[0] and "type" in by_type[0]
    assert keyed(by_type, "type") == {
        ("2026-01", "前払金"): (1, 40_000_000, 1, 1.0, 0, 0),
        ("2026-01", "契約"): (2, 15_000_000, 1, 0.5, 0, 0),
        ("2026-02", "前払金"): (2, 32_000_000, 1, 0.5, 1, 1),
        ("2026-03", "前払金"): (1, 8_000_000, 1, 1.0, 0, 1),
        ("2026-03", "契約"): (1, 6_000_000, 0, 0.0, 0, 0),
    }
    by_customer = cli(capsys, *args, "--by", "customer").json
    assert keyed(by_customer, "customer") == {
        ("2026-01", "株式会社肥後建設"): (2, 50_000_000, 1, 0.5, 0, 0),
        ("2026-01", "佐賀土木株式会社"): (1, 5_000_000, 1, 1.0, 0, 0),
        ("2026-02", "株式会社肥後建設"): (1, 20_000_000, 0, 0.0, 0, 0),
        ("2026-02", "佐賀土木株式会社"): (1, 12_000_000, 1, 1.0, 1, 1),
        ("2026-03", "株式会社肥後建設"): (2, 14_000_000, 1, 0.5, 0, 1),
    }


def test_report_totals_and_table(small_book: Database, capsys: pytest.CaptureFixture[str]) -> None:
    report = monthly_report(small_book, date(2026, 1, 1), date(2026, 3, 1))
    t = report.total
    assert (t.count, t.amount, t.electronic, t.cancelled, t.closed) == (7, 101_000_000, 4, 1, 2)
    assert t.electronic_rate == round(4 / 7, 4)
    assert [(m.period, m.count, m.cancelled) for m in report.monthly] == [
        ("2026-01", 3, 0), ("2026-02", 2, 1), ("2026-03", 2, 0),
    ]  # fmt: skip
    r = cli(capsys, "report", "monthly", "--from", "R8.1", "--to", "R8.3")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert "年月" in lines[1] and "電子利用率" in lines[1] and "完了・解約" in lines[1]
    total = next(line for line in lines if line.startswith("合計"))
    assert total.split() == ["合計", "7", "101,000,000", "4", "57.1%", "1", "2"]
    january = [line for line in lines if line.startswith("令和8年1月")]
    assert january and "熊本県" in january[0] and "50,000,000" in january[0]
    assert sum(1 for line in lines if "小計" in line) == 3
    # a month with nothing recorded is still shown
    empty = cli(capsys, "report", "monthly", "--from", "R7.11", "--to", "R7.11")
    assert any(
        line.startswith("令和7年11月") and "（なし）" in line for line in empty.out.splitlines()
    )


def test_report_files(
    small_book: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = ["report", "monthly", "--from", "2026-01", "--to", "2026-03"]
    out = tmp_path / "report.csv"
    assert cli(capsys, *args, "--format", "csv", "--output", str(out)).code == 0
    header, rows = read_csv(out)
    assert header == ["年月", "発注者", "件数", "保証金額合計", "電子件数", "電子利用率", "取消",
                      "完了・解約"]  # fmt: skip
    assert {(r["年月"], r["発注者"]): (r["件数"], r["保証金額合計"], r["取消"]) for r in rows}[
        ("2026-02", "熊本県")
    ] == ("1", "20000000", "1")
    xlsx = tmp_path / "report.xlsx"
    r = cli(capsys, *args, "--by", "type", "--output", str(xlsx), "--json")
    assert r.json == {"output": str(xlsx), "format": "xlsx", "rows": 5}
    ws, cells = read_xlsx(xlsx)
    assert ws.freeze_panes == "A2"
    assert [c.value for c in cells[-1]][:5] == ["合計", None, 7, 101_000_000, 4]
    assert cells[1][3].number_format == "#,##0" and cells[1][5].number_format == "0.0%"
    bad = cli(capsys, *args, "--output", str(tmp_path))
    assert bad.code == 1 and "フォルダです" in bad.err


def test_report_months_are_checked(env_db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    for args, message in [
        (("--from", "R8.13"), "存在しない"),
        (("--from", "2026-04", "--to", "2026-01"), "前です"),
        (("--from", "2026-04-01"), "年月だけ"),
        (("--format", "csv"), "--output"),
        (("--output", "x.csv", "--format", "table"), "--output"),
    ]:
        r = cli(capsys, "report", "monthly", *args)
        assert r.code == 1 and r.err.startswith("エラー: ") and message in r.err, (args, r.err)


def test_default_range_is_twelve_months() -> None:
    today = date(2026, 3, 15)
    assert parse_months(None, None, today=today) == (date(2025, 4, 1), date(2026, 3, 1))
    assert parse_months("R8.4", None, today=today) == (date(2026, 4, 1), date(2027, 3, 1))
    assert parse_months(None, "2026-03", today=today) == (date(2025, 4, 1), date(2026, 3, 1))
    assert parse_months("令和8年4月", "R8.4") == (date(2026, 4, 1), date(2026, 4, 1))


def test_same_names_are_told_apart(env_db: Database) -> None:
    """Two customers of one name are two rows, each with its ID."""
    ids = []
    for _ in range(2):  # staff confirmed they are two companies (written directly here)
        with env_db.session() as s:
            c = Customer(name="株式会社同名建設", created_at=datetime.now(UTC))
            s.add(c)
            s.flush()
            ids.append(c.id)
    for i, customer in enumerate(ids):
        make_guarantee(env_db, customer, contract_date="2026-01-05", project=f"工事{i}")
    report = monthly_report(env_db, date(2026, 1, 1), date(2026, 1, 1), "customer")
    assert sorted(r.label for r in report.rows) == [f"株式会社同名建設（ID {i}）" for i in ids]


def test_export_and_reports_do_not_load_the_ui_or_excel_up_front() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import core.export, core.reports; "
        "print('textual' in sys.modules, 'openpyxl' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_xlsx_rows_written_directly_are_what_openpyxl_writes(
    big_book: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast row writer gives the same cells, formats and types as openpyxl's own."""
    with big_book.session() as s:  # text that needs care: spaces kept, a control character
        s.execute(
            update(Guarantee)
            .where(col(Guarantee.project_name) == "市道 舗装工事")
            .values(project_name=" 市道\x01 <舗装> & 工事 ", bank="")
        )
    f = services.parse_filter()
    export.export_guarantees(big_book, f, tmp_path / "fast.xlsx")
    monkeypatch.setattr(export, "FAST_XLSX", False)
    export.export_guarantees(big_book, f, tmp_path / "plain.xlsx")

    def cells(path: Path) -> list[list[tuple[Any, ...]]]:
        _, rows = read_xlsx(path)
        return [[(c.value, c.number_format, c.data_type, c.font.b) for c in r] for r in rows]

    fast, plain = cells(tmp_path / "fast.xlsx"), cells(tmp_path / "plain.xlsx")
    assert fast == plain and len(fast) == 133
    assert any(row[6][0] == " 市道 <舗装> & 工事 " for row in fast)
