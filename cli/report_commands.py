"""``hosho report monthly`` and the export of ``hosho guarantee list --format csv|xlsx``."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Any

from cli.main import CTX, add_group, emit, json_flag
from core import services

BIG_EXPORT = 5_000  # rows from which a terminal gets a progress bar


# --- guarantee list --format ---------------------------------------------------------------


def export_list(a: argparse.Namespace, f: services.GuaranteeFilter) -> int:
    """``guarantee list`` with ``--format``/``--output``: every matching row to a file."""
    from core.errors import HoshoError
    from core.export import export_guarantees, format_for
    from core.files import check_output

    if not a.output:
        raise HoshoError("--format には --output（書き出すファイル）も指定してください")
    check_output(a.output)  # before counting: a bad path is said at once
    fmt = format_for(a.output, a.format)
    if not sys.stderr.isatty():
        result = export_guarantees(CTX.db, f, a.output, fmt, limit=a.limit)
    else:
        result = _with_progress_bar(f, a.output, fmt, a.limit)
    if a.json:
        emit(result.to_json())
    else:
        print(f"保証 {result.rows:,}件を {result.path} に書き出しました（{fmt}）")
    return 0


def _with_progress_bar(
    f: services.GuaranteeFilter, output: str, fmt: str, limit: int | None
) -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from core.export import export_guarantees

    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task: Any = None

    def progress(done: int, total: int) -> None:
        nonlocal task
        if total < BIG_EXPORT:
            return
        if task is None:
            bar.start()
            task = bar.add_task("書き出し中", total=total)
        bar.update(task, completed=done, total=total)

    try:
        return export_guarantees(CTX.db, f, output, fmt, limit=limit, progress=progress)
    finally:
        bar.stop()


# --- report monthly --------------------------------------------------------------------------


def report_monthly(a: argparse.Namespace) -> int:
    from core.errors import HoshoError
    from core.export import format_for
    from core.files import atomic_file, check_output
    from core.reports import monthly_report, parse_months

    first, last = parse_months(a.date_from, a.date_to)
    target = check_output(a.output) if a.output else None
    fmt = a.format or (format_for(a.output, None) if a.output else "table")
    if a.json and fmt == "table":
        fmt = "json"
    if fmt in ("table", "json"):
        if a.output:
            raise HoshoError(
                f"--output は csv・xlsx のときに指定します（{fmt} は画面に出力します）"
            )
    elif target is None:
        raise HoshoError(f"--format {fmt} には --output（書き出すファイル）も指定してください")
    report = monthly_report(CTX.db, first, last, a.by)
    if fmt == "json":
        emit(report.to_json())
        return 0
    if fmt == "table":
        _print_report(report)
        return 0
    assert target is not None
    with atomic_file(target) as temp:
        (_report_csv if fmt == "csv" else _report_xlsx)(report, temp)
    if a.json:
        emit({"output": str(target), "format": fmt, "rows": len(report.rows)})
    else:
        print(f"月次集計（{len(report.rows):,}行）を {target} に書き出しました（{fmt}）")
    return 0


def _print_report(report: Any) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from core.reports import headers, period_text, table_rows

    print(
        f"保証の利用実績 {period_text(f'{report.first:%Y-%m}')}〜"
        f"{period_text(f'{report.last:%Y-%m}')}（契約締結日の月・{report.label}別。"
        "件数・金額・電子件数は取消を除く）"
    )
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    for i, name in enumerate(headers(report.by)):
        table.add_column(name, justify="right" if i >= 2 else "left", no_wrap=True)
    for kind, cells, style in table_rows(report):
        row = (Text(cell) for cell in cells)  # names as they are, never markup
        table.add_row(*row, style=style or None, end_section=kind == "subtotal")
    Console(width=None if sys.stdout.isatty() else 400).print(table)


def _report_rows(report: Any) -> list[list[Any]]:
    return [
        [
            r.period,
            r.label,
            r.count,
            r.amount,
            r.electronic,
            r.electronic_rate,
            r.cancelled,
            r.closed,
        ]
        for r in report.rows
    ]


def _report_csv(report: Any, path: Path) -> None:
    from core.reports import headers

    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(headers(report.by))
        writer.writerows([["" if v is None else v for v in row] for row in _report_rows(report)])


def _report_xlsx(report: Any, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from core.reports import headers

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("月次集計")
    ws.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGH", (10, 30, 10, 18, 10, 10, 8, 10), strict=True):
        ws.column_dimensions[letter].width = width
    bold = Font(bold=True)

    def styled(value: Any, number_format: str | None = None, font: Any = None) -> Any:
        cell = WriteOnlyCell(ws, value=value)
        if number_format:
            cell.number_format = number_format
        if font is not None:
            cell.font = font
        return cell

    ws.append([styled(h, font=bold) for h in headers(report.by)])
    formats = [None, None, "#,##0", "#,##0", "#,##0", "0.0%", "#,##0", "#,##0"]

    def line(values: list[Any], font: Any = None) -> list[Any]:
        return [styled(v, fmt, font) for v, fmt in zip(values, formats, strict=True)]

    for row in _report_rows(report):
        ws.append(line(row))
    t = report.total
    ws.append(
        line(
            ["合計", "", t.count, t.amount, t.electronic, t.electronic_rate, t.cancelled, t.closed],
            bold,
        )
    )
    wb.save(path)


def register(sub: Any) -> None:
    from core.reports import GROUPINGS

    rep = add_group(sub, "report", "集計（利用実績）")
    p = rep.add_parser(
        "monthly",
        help="契約締結日の月ごとの件数・保証金額・電子利用率（発注者・種別・受注者別）",
        description="契約締結日の月ごとに、件数・保証金額合計・電子件数・電子利用率・取消・"
        "完了・解約を集計します。件数・金額・電子件数は取消を除きます。",
    )
    p.add_argument(
        "--from",
        dest="date_from",
        metavar="MONTH",
        help="最初の月（例: 2026-04 / R8.4 / 令和8年4月）",
    )
    p.add_argument(
        "--to",
        dest="date_to",
        metavar="MONTH",
        help="最後の月（省略時は --from から12か月。両方省略で今月までの12か月）",
    )
    p.add_argument(
        "--by",
        choices=list(GROUPINGS),
        default="orderer",
        help="集計の単位: orderer（発注者）・type（種別）・customer（受注者）",
    )
    p.add_argument(
        "--format",
        choices=["table", "csv", "xlsx", "json"],
        help="table（画面、既定）・csv・xlsx・json（--output の拡張子からも判断）",
    )
    p.add_argument("--output", help="書き出すファイル（csv・xlsx のとき）")
    json_flag(p)
    p.set_defaults(handler=report_monthly)
