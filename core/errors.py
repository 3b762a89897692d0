"""User-facing errors: one clear Japanese line each, never a traceback."""

from __future__ import annotations

from collections.abc import Sequence

# How a body missing from the register is added, in words each front end replaces with its own
# way (the command, the form's key).
ADD_HINT = "、発注者の追加で登録できます"


class HoshoError(Exception):
    """An error the user can act on. ``str()`` is the message shown to staff."""


class ValidationError(HoshoError):
    """Problems with what the user typed: every one of them, each tied to its field."""

    def __init__(self, problems: Sequence[str | tuple[str | None, str]]) -> None:
        self.items: list[tuple[str | None, str]] = [
            p if isinstance(p, tuple) else (None, p) for p in problems
        ]
        super().__init__("\n".join(message for _, message in self.items))

    @property
    def problems(self) -> list[str]:
        return [message for _, message in self.items]

    def for_field(self, field: str) -> list[str]:
        return [message for f, message in self.items if f == field]


class NotFoundError(HoshoError):
    pass
