"""Japanese for the keys the UI toolkit (Textual) brings: its widgets' and screens' built-in
bindings describe themselves in English ("Cursor up", "Focus Next", "Select", …), and staff
see those descriptions in the key help (?) and in the footer.

:func:`use_japanese_keys` gives every built-in binding a Japanese description where it is
defined (the ``BINDINGS`` of DataTable, Input, Screen, …), so every subclass and every
widget created afterwards has it too. Bindings hosho defines itself are Japanese already.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from textual.binding import Binding
from textual.dom import DOMNode

# The same moves in the lists, the tables and the scrolling panes.
_PAGES = {
    "page_up": "前のページ",
    "page_down": "次のページ",
    "page_left": "左のページ",
    "page_right": "右のページ",
}
_SCROLL = {
    "scroll_up": "上へスクロール",
    "scroll_down": "下へスクロール",
    "scroll_left": "左へスクロール",
    "scroll_right": "右へスクロール",
    "scroll_home": "先頭へ",
    "scroll_end": "末尾へ",
    **_PAGES,
}
_LIST = {
    "cursor_up": "上へ",
    "cursor_down": "下へ",
    "scroll_left": "左へスクロール",
    "scroll_right": "右へスクロール",
    "first": "先頭へ",
    "last": "末尾へ",
    "select": "選択",
    **_PAGES,
}
_CLIPBOARD = {"cut": "切り取り", "copy": "コピー", "paste": "貼り付け"}

# By the Textual class that defines the binding, then its action.
WORDS: dict[str, dict[str, str]] = {
    "App": {"quit": "終了"},
    "Screen": {
        "app.focus_next": "次の欄へ",
        "app.focus_previous": "前の欄へ",
        "screen.copy_text": "選択した文字をコピー",
    },
    "ScrollableContainer": _SCROLL,
    "DataTable": {
        "cursor_up": "上の行へ",
        "cursor_down": "下の行へ",
        "cursor_left": "左の列へ",
        "cursor_right": "右の列へ",
        "scroll_home": "左端の列へ",
        "scroll_end": "右端の列へ",
        "scroll_top": "先頭の行へ",
        "scroll_bottom": "最後の行へ",
        "select_cursor": "選択（開く）",
        **_PAGES,
    },
    "OptionList": _LIST,
    "SelectOverlay": {"dismiss": "選択肢を閉じる"},
    "Select": {"show_overlay": "選択肢を開く"},
    "Button": {"press": "押す"},
    "ToggleButton": {"toggle_button": "チェックを切り替え"},
    "Input": {
        "scroll_up": "上へスクロール",
        "scroll_down": "下へスクロール",
        "cursor_left": "左へ",
        "cursor_right": "右へ（候補があれば確定）",
        "home": "先頭へ",
        "end": "末尾へ",
        "cursor_left(True)": "左へ選択",
        "cursor_right(True)": "右へ選択",
        "cursor_left_word": "前の語へ",
        "cursor_right_word": "次の語へ",
        "cursor_left_word(True)": "前の語まで選択",
        "cursor_right_word(True)": "次の語まで選択",
        "home(True)": "先頭まで選択",
        "end(True)": "末尾まで選択",
        "select_all": "すべて選択",
        "delete_left": "左の1文字を削除",
        "delete_right": "右の1文字を削除",
        "delete_left_word": "左の語を削除",
        "delete_right_word": "右の語を削除",
        "delete_left_all": "左側をすべて削除",
        "delete_right_all": "右側をすべて削除",
        "submit": "確定",
        **_CLIPBOARD,
        **_PAGES,
    },
    "TextArea": {
        "cursor_up": "上へ",
        "cursor_down": "下へ",
        "cursor_left": "左へ",
        "cursor_right": "右へ",
        "cursor_line_start": "行頭へ",
        "cursor_line_end": "行末へ",
        "cursor_page_up": "前のページ",
        "cursor_page_down": "次のページ",
        "cursor_word_left": "前の語へ",
        "cursor_word_right": "次の語へ",
        "cursor_up(True)": "上へ選択",
        "cursor_down(True)": "下へ選択",
        "cursor_left(True)": "左へ選択",
        "cursor_right(True)": "右へ選択",
        "cursor_word_left(True)": "前の語まで選択",
        "cursor_word_right(True)": "次の語まで選択",
        "cursor_line_start(True)": "行頭まで選択",
        "cursor_line_end(True)": "行末まで選択",
        "select_line": "行を選択",
        "select_all": "すべて選択",
        "delete_left": "左の1文字を削除",
        "delete_right": "右の1文字を削除",
        "delete_word_left": "左の語を削除",
        "delete_word_right": "右の語を削除",
        "delete_to_start_of_line": "行頭まで削除",
        "delete_to_end_of_line_or_delete_line": "行末まで削除",
        "delete_line": "行を削除",
        "undo": "元に戻す",
        "redo": "やり直し",
        **_CLIPBOARD,
        **_PAGES,
    },
    "CommandPalette": {
        "escape": "閉じる",
        "cursor_down": "次の候補へ",
        "command_list('cursor_up')": "前の候補へ",
        "command_list('first')": "先頭へ",
        "command_list('last')": "末尾へ",
        "command_list('page_up')": "前のページ",
        "command_list('page_down')": "次のページ",
    },
}


def _subclasses(cls: type[DOMNode]) -> list[type[DOMNode]]:
    """``cls`` and every class derived from it that is loaded."""
    found, stack = [cls], [cls]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in found:
                found.append(sub)
                stack.append(sub)
    return found


def _japanese(cls: type[DOMNode], words: dict[str, str]) -> list[Any]:
    bindings: list[Any] = []
    for b in cls.__dict__["BINDINGS"]:
        binding = b if isinstance(b, Binding) else Binding(*b)
        said = words.get(binding.action)
        bindings.append(replace(binding, description=said) if said else binding)
    return bindings


def use_japanese_keys() -> None:
    """Give Textual's built-in bindings their Japanese descriptions (once; idempotent)."""
    # Loaded here, not only when a form first shows them: a class loaded later would keep
    # its English descriptions.
    from textual.widgets import Checkbox, TextArea  # noqa: F401

    changed = [
        cls
        for cls in _subclasses(DOMNode)
        if cls.__module__.startswith("textual.")
        and cls.__name__ in WORDS
        and "BINDINGS" in cls.__dict__
    ]
    for cls in changed:
        cls.BINDINGS = _japanese(cls, WORDS[cls.__name__])
    # Each class merged its bases' bindings when it was defined: merge them again.
    for cls in {sub for base in changed for sub in _subclasses(base)}:
        cls._merged_bindings = cls._merge_bindings()
