"""What every hosho screen shares."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
