"""What every hosho screen shares."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.widgets import DataTable, Footer
from textual.widgets.data_table import ColumnKey
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from tui.app import HoshoApp


class HoshoScreenMixin:
    """``self.hosho``: the running :class:`~tui.app.HoshoApp`, typed (Textual types ``app`` as
    any App). Put it before the Screen class: ``class X(HoshoScreenMixin, Screen[None])``."""

    @property
    def hosho(self) -> HoshoApp:
        return self.app  # type: ignore[attr-defined,no-any-return]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker of this screen that failed without saying why (the others catch their
        errors): one line for staff (HoshoApp.describe_error), the details in the log."""
        error = event.worker.error
        if event.state is WorkerState.ERROR and error is not None:
            text = self.hosho.describe_error(error)
            self.hosho.notify(text, severity="error", timeout=8, markup=False)


class LazyModule:
    """A module imported when first used: the database layer (SQLAlchemy, the models) loads
    in the first worker thread that needs it, while the first frame is drawn."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


class HoshoFooter(Footer):
    """The footer of every screen: its keys close up below COMPACT_BELOW columns, so that more
    of them fit on a small terminal (the palette key, Ctrl+P, lists them all)."""

    COMPACT_BELOW = 120

    def on_resize(self, event: events.Resize) -> None:
        self.compact = event.size.width < self.COMPACT_BELOW


def column_widths(labels: Sequence[str | Text], rows: Sequence[Sequence[str | Text]]) -> list[int]:
    """Each column as wide as its label and its widest cell in ``rows`` (work for a worker
    thread when the rows are many)."""
    return [
        max([cell_len(str(label)), *(cell_len(str(cells[i])) for cells in rows)])
        for i, label in enumerate(labels)
    ]


def set_columns(table: DataTable[Any], labels: Sequence[str | Text], widths: Sequence[int]) -> None:
    """Clears ``table`` and gives it these columns (key: the index) at these widths, usually
    :func:`column_widths` of every row, those the table will page in later included. A width
    set here is fixed: the columns do not move as rows page in, and what is drawn does not
    depend on when the table would have measured itself."""
    table.clear(columns=True)
    for i, (label, width) in enumerate(zip(labels, widths, strict=True)):
        table.add_column(label, key=str(i), width=width)


class FittedTable(DataTable[Any]):
    """A table whose columns follow its width: each column (label, least cells, share) gets
    its least, and what the table has beyond that goes to the columns with a share, in
    proportion (so a wide screen widens the names, never the codes)."""

    def __init__(self, columns: Sequence[tuple[str, int, int]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._specs = tuple(columns)
        for label, least, _share in self._specs:
            self.add_column(label, width=least, key=label)

    def on_resize(self) -> None:
        self.fit_columns()

    def fit_columns(self) -> None:
        if not self.columns or not self.size.width:
            return
        scrollbar = self.styles.scrollbar_size_vertical
        room = self.size.width - scrollbar - 2 * self.cell_padding * len(self._specs)
        room -= sum(least for _, least, _ in self._specs)
        shares = sum(share for _, _, share in self._specs) or 1
        spare, changed = max(0, room), False
        for label, least, share in self._specs:
            width = least + spare * share // shares
            column = self.columns[ColumnKey(label)]
            if column.width != width or column.auto_width:
                column.width, column.auto_width, changed = width, False, True
        if changed:
            self._update_count += 1  # the cells are cached by it: render them anew
            self._require_update_dimensions = True
            self.refresh()
