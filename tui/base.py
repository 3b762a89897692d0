"""What every hosho screen shares."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.app import HoshoApp


class HoshoScreenMixin:
    """``self.hosho``: the running :class:`~tui.app.HoshoApp`, typed (Textual types ``app`` as
    any App). Put it before the Screen class: ``class X(HoshoScreenMixin, Screen[None])``."""

    @property
    def hosho(self) -> HoshoApp:
        return self.app  # type: ignore[attr-defined,no-any-return]
