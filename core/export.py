"""Export of the guarantee book (every row a filter matches) to CSV or Excel.

Rows are read with one streaming query (``yield_per``: a server-side cursor on PostgreSQL,
SQLite's own row-by-row cursor) and written as they come, so memory stays bounded whatever
the size of the book; the whole export reads one consistent snapshot. The file appears
only when complete: it is written to a temporary file in the target folder and renamed over
the target (an existing file is replaced atomically, never left half-written).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from core.db import Database
from core.errors import HoshoError
from core.files import atomic_file as atomic_file
from core.files import check_output as check_output
from core.models import Customer, Guarantee, Orderer
from core.services import GuaranteeFilter, _filtered

FORMATS = ("csv", "xlsx")
CHUNK = 2_000  # rows fetched from the database at a time

Progress = Callable[[int, int], None]  # (rows written, rows in all)
Step = Callable[[int], None]  # rows written so far


class ExportError(HoshoError):
    """The export cannot be written where staff asked (one Japanese line)."""


@dataclass(frozen=True)
class Column:
    header: str
    expr: Any  # a guarantee column, or "customer" / "orderer" / "prefecture" (looked up)
    kind: str = "text"  # text / int (yen) / date
    width: int = 12  # column width in Excel (characters)


# The book's columns, in the order staff read a guarantee (``hosho guarantee show``).
COLUMNS: tuple[Column, ...] = (
    Column("保証契約番号", col(Guarantee.number), width=13),
    Column("種別", col(Guarantee.type), width=12),
    Column("状態", col(Guarantee.status), width=8),
    Column("受注者", "customer", width=28),
    Column("発注者", "orderer", width=20),
    Column("都道府県", "prefecture", width=10),
    Column("工事名・業務名", col(Guarantee.project_name), width=40),
    Column("契約の種類", col(Guarantee.contract_kind), width=10),
    Column("請負金額", col(Guarantee.contract_amount), "int", 15),
    Column("保証金額", col(Guarantee.amount), "int", 15),
    Column("契約締結日", col(Guarantee.contract_date), "date"),
    Column("工期（自）", col(Guarantee.period_start), "date"),
    Column("工期（至）", col(Guarantee.period_end), "date"),
    Column("保証期限", col(Guarantee.guarantee_end), "date"),
    Column("申込経路", col(Guarantee.channel), width=9),
    Column("交付方法", col(Guarantee.delivery), width=9),
    Column("入札公告日", col(Guarantee.announcement_date), "date"),
    Column("落札日", col(Guarantee.award_date), "date"),
    Column("当初の契約締結日", col(Guarantee.original_contract_date), "date", 16),
    Column("前払金取扱金融機関", col(Guarantee.bank), width=18),
    Column("e-Net割引", col(Guarantee.fee_discount), "int", 10),
    Column("完了・解約日", col(Guarantee.closed_on), "date", 13),
    Column("受注者ID", col(Guarantee.customer_id), width=9),
)
HEADERS = tuple(c.header for c in COLUMNS)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: str
    rows: int

    def to_json(self) -> dict[str, Any]:
        return {"output": str(self.path), "format": self.format, "rows": self.rows}


# --- where to write ------------------------------------------------------------------------


def format_for(path: str | Path, fmt: str | None) -> str:
    """The format asked for, or the one the file name says (``.csv``, ``.xlsx``)."""
    if fmt:
        folded = fmt.strip().lower().lstrip(".")
        if folded not in FORMATS:
            raise ExportError(f"形式「{fmt}」は使えません（csv・xlsx のいずれか）")
        return folded
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    raise ExportError(
        f"「{path}」の形式が分かりません。--format csv か --format xlsx を指定してください"
    )


# check_output and atomic_file: core.files (the same checks for every file hosho writes).


# --- reading ---------------------------------------------------------------------------------


# The query reads the guarantee table alone, walking (契約締結日, id) in the list's order, so
# rows stream from the first one on: joined to the customers and orderers, SQLite would
# rather sort the whole result first (in memory). Names are looked up per chunk instead.
_DERIVED = ("customer", "orderer", "prefecture")
_SELECTED = [col(Guarantee.customer_id), col(Guarantee.orderer_id)] + [
    c.expr for c in COLUMNS if not isinstance(c.expr, str)
]


def _plan() -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """The columns in order, from a selected row with the looked-up names appended."""
    plan, position = [], 2
    for c in COLUMNS:
        if isinstance(c.expr, str):
            plan.append(len(_SELECTED) + _DERIVED.index(c.expr))
        else:
            plan.append(position)
            position += 1
    return itemgetter(*plan)


_IN_ORDER = _plan()


def _statement(s: Any, f: GuaranteeFilter, limit: int | None) -> Any:
    stmt = _filtered(s, select(*_SELECTED), f)
    stmt = stmt.order_by(col(Guarantee.contract_date).desc(), col(Guarantee.id).desc())
    if f.offset:
        stmt = stmt.offset(f.offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return stmt.execution_options(yield_per=CHUNK)


def count_rows(db: Database, f: GuaranteeFilter, limit: int | None = None) -> int:
    with db.reader() as s:
        total = int(s.scalar(_filtered(s, select(func.count()).select_from(Guarantee), f)) or 0)
    total = max(0, total - f.offset)
    return total if limit is None else min(total, limit)


def iter_chunks(
    db: Database, f: GuaranteeFilter, limit: int | None = None
) -> Iterator[list[tuple[Any, ...]]]:
    """Every matching row, newest 契約締結日 first (the list's order), ``CHUNK`` at a time, in
    the order of :data:`COLUMNS`. ``f.offset`` is honoured; ``f.limit`` (the page size) is not:
    ``limit`` None means every row."""
    with db.reader() as s:
        conn = s.connection()
        orderers = {
            i: (name, prefecture)
            for i, name, prefecture in conn.execute(
                select(col(Orderer.id), col(Orderer.name), col(Orderer.prefecture))
            )
        }  # the register: a couple of thousand bodies
        result = conn.execute(_statement(s, f, limit))
        for part in result.partitions():
            ids = {row[0] for row in part}
            names = {
                i: name
                for i, name in conn.execute(
                    select(col(Customer.id), col(Customer.name)).where(col(Customer.id).in_(ids))
                )
            }
            yield [
                _IN_ORDER((*row, names.get(row[0], ""), *orderers.get(row[1], ("", None))))
                for row in part
            ]


# --- writing ---------------------------------------------------------------------------------


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return value


def _write_csv(path: Path, chunks: Iterator[list[tuple[Any, ...]]], step: Step) -> int:
    written = 0
    # UTF-8 with a BOM: Excel opens it as UTF-8 (without, it guesses Shift_JIS); CRLF lines.
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        for chunk in chunks:
            writer.writerows([[_csv_value(v) for v in row] for row in chunk])
            written += len(chunk)
            step(written)
    return written


YEN_FORMAT = "#,##0"
DATE_FORMAT = "yyyy/mm/dd"


def _write_xlsx(path: Path, chunks: Iterator[list[tuple[Any, ...]]], step: Step) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)  # rows go to a temporary file as they are appended
    ws = wb.create_sheet("保証一覧")
    ws.freeze_panes = "A2"
    for i, c in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = c.width
    bold = Font(bold=True)
    header = []
    for name in HEADERS:
        title = WriteOnlyCell(ws, value=name)
        title.font = bold
        header.append(title)
    ws.append(header)

    # One styled cell per amount or date column, given each row's value in turn: a row is
    # written out before the next is built, and a new cell per value would cost a third more.
    styled: list[Any] = []
    for c in COLUMNS:
        if c.kind == "text":
            styled.append(None)
            continue
        template = WriteOnlyCell(ws)
        template.number_format = YEN_FORMAT if c.kind == "int" else DATE_FORMAT
        styled.append(template)

    def value_cell(value: Any, template: Any) -> Any:
        if isinstance(value, str):  # control characters cannot be in a worksheet
            return ILLEGAL_CHARACTERS_RE.sub("", value) or None
        if value is None or template is None:
            return value
        template.value = value
        return template

    fast = FAST_XLSX and _write_rows_directly(ws, styled)
    written = 0
    for chunk in chunks:
        for row in chunk:
            ws.append(row if fast else [value_cell(v, t) for v, t in zip(row, styled, strict=True)])
        written += len(chunk)
        step(written)
    wb.save(path)
    return written


# openpyxl makes a cell object per value and checks its type and style again for every one:
# 100,000 rows of 23 columns take about 25 s that way. Where openpyxl writes with lxml (the
# usual case), the rows after the header are serialised here instead, straight into
# openpyxl's own streaming writer, with the style ids openpyxl gave the template cells. The
# cells are the ones openpyxl would write (inline strings, numbers, dates as serial numbers);
# without lxml, or should openpyxl's internals differ, the rows go through openpyxl.
FAST_XLSX = True
_EXCEL_EPOCH = date(1899, 12, 30).toordinal()


def _write_rows_directly(ws: Any, styled: list[Any]) -> bool:
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.utils import get_column_letter

    writer = getattr(ws, "_writer", None)
    if not openpyxl.LXML or writer is None or not hasattr(writer, "write_row"):
        return False
    if not hasattr(ws, "_values_to_row"):
        return False
    from lxml.etree import Element, SubElement

    columns = [
        (get_column_letter(i), c.kind, str(t.style_id) if t is not None else None)
        for i, (c, t) in enumerate(zip(COLUMNS, styled, strict=True), start=1)
    ]

    def write_row(xf: Any, values: tuple[Any, ...], row_idx: int) -> None:
        r = str(row_idx)
        row = Element("row", r=r)
        for (letter, kind, style), value in zip(columns, values, strict=True):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                cell = SubElement(row, "c", r=letter + r, t="inlineStr")
                text = ILLEGAL_CHARACTERS_RE.sub("", value)
                if text != text.strip():
                    t = SubElement(SubElement(cell, "is"), "t")
                    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
                    t.text = text
                else:
                    SubElement(SubElement(cell, "is"), "t").text = text
                continue
            if kind == "date":
                value = value.toordinal() - _EXCEL_EPOCH
            if style is None:
                cell = SubElement(row, "c", r=letter + r, t="n")
            else:
                cell = SubElement(row, "c", r=letter + r, s=style, t="n")
            SubElement(cell, "v").text = str(value)
        xf.write(row)

    ws._values_to_row = lambda values, row_idx: values
    writer.write_row = write_row
    return True


def export_guarantees(
    db: Database,
    f: GuaranteeFilter,
    output: str | Path,
    fmt: str | None = None,
    *,
    limit: int | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Write every guarantee ``f`` matches (or the first ``limit`` after ``f.offset``) to
    ``output`` as CSV (UTF-8 with BOM) or xlsx. ``progress(done, total)`` is called after each
    chunk; the total is counted first only when ``progress`` is given."""
    target = check_output(output)
    kind = format_for(output, fmt)
    total = count_rows(db, f, limit) if progress is not None else 0

    def step(done: int) -> None:
        if progress is not None:
            progress(done, max(total, done))

    write = _write_csv if kind == "csv" else _write_xlsx
    with atomic_file(target) as temp:  # a disk full, a folder removed meanwhile: said there
        rows = write(temp, iter_chunks(db, f, limit), step)
    return ExportResult(target, kind, rows)
