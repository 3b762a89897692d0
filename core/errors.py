"""User-facing errors: one clear Japanese line each, never a traceback."""

from __future__ import annotations

import re
import tomllib
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


# --- failures from outside hosho, in words staff can act on ----------------------------------

# What SQLite, PostgreSQL and their drivers say (lower case), and PostgreSQL's SQLSTATE codes.
_READ_ONLY = ("attempt to write a readonly database", "read-only transaction", "25006")
_DISK_FULL = ("database or disk is full", "no space left on device", "53100")
_LOCKED = ("database is locked",)
_TOO_BIG = ("too large to convert to sqlite integer", "out of range", "22003")
_TOO_LONG = ("value too long", "22001")
_UNREACHABLE = ("unable to open database file", "connection", "could not connect", "timeout")

# What each setting takes, by its name in config.toml (environment: HOSHO_ and upper case);
# else what its type takes.
_SETTING_RULES = {
    "number_prefix": "数字1〜4桁（例: 207）",
    "smtp_port": "ポート番号（整数。例: 25、587）",
    "smtp_security": "none・starttls・tls のいずれか",
    "smtp_timeout": "秒数（例: 10）",
    "keys": "キー割り当ての表（[keys] の下に 'app.faq' = 'f2' の形）",
}
_SETTING_TYPES = {
    "int": "整数",
    "float": "数値",
    "bool": "true か false",
    "string": "文字列（設定ファイルでは引用符で囲みます）",
    "dict": "表（[見出し] の下に 名前 = 値 の形）",
}


def where_database(url: str | None) -> str:
    """The database as staff recognise it: a SQLite database's file, else its URL without the
    password."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if not url:
        return "データベース"
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "データベース"
    if parsed.get_backend_name() == "sqlite":
        return (parsed.database or ":memory:").removeprefix("file:")
    return parsed.render_as_string(hide_password=True)


def _from_driver(exc: BaseException) -> bool:
    return type(exc).__module__.startswith(("sqlite3", "psycopg"))


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception, the driver's error it wraps, and those it was raised from or during."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo and len(seen) < 10:
        item = todo.pop(0)
        if item is not None and all(item is not s for s in seen):
            seen.append(item)
            todo += [getattr(item, "orig", None), item.__cause__, item.__context__]
    return seen


def _database_problem(exc: BaseException, url: str | None, reach: bool = True) -> HoshoError | None:
    """What the database refused, in words staff can act on; with ``reach``, also that it cannot
    be reached."""
    said = " ".join(  # the drivers' own words (not the SQL around them, which quotes data)
        f"{getattr(e, 'sqlstate', None) or ''} {e.args[0] if e.args else ''}"
        for e in _chain(exc)
        if _from_driver(e) or (isinstance(e, OverflowError) and "sqlite" in str(e).lower())
    ).lower()
    where = where_database(url)
    if any(text in said for text in _READ_ONLY):
        sqlite = (url or "").startswith("sqlite")
        check = "ファイルとフォルダの権限" if sqlite else "接続先の設定と権限"
        return HoshoError(f"データベースが読み取り専用です（{where}）。{check}を確認してください")
    if any(text in said for text in _DISK_FULL):
        return HoshoError(
            f"ディスクの空きがありません（{where}）。空きを作ってから、もう一度実行してください"
            "（この操作の内容は保存されていません）"
        )
    if any(text in said for text in _LOCKED):
        return HoshoError(
            f"データベースが他の処理で使われています（{where}）。しばらく待ってから、"
            "もう一度実行してください"
        )
    if any(text in said for text in _TOO_LONG):
        return HoshoError("文字数が上限を超える項目があり、保存できませんでした")
    if any(text in said for text in _TOO_BIG):
        return HoshoError("数値が大きすぎて扱えません。入力した数値を確認してください")
    if reach and type(exc).__name__ == "OperationalError" and any(t in said for t in _UNREACHABLE):
        return HoshoError(
            f"データベースに接続できません（{where}）。接続先（HOSHO_DATABASE_URL）と"
            "ネットワークを確認してください"
        )
    return None


def _settings_problem(exc: BaseException) -> HoshoError | None:
    """Settings refused: each named in its HOSHO_ form with what it takes, never with the value
    (it may be a password)."""
    errors = getattr(exc, "errors", None)
    if getattr(exc, "title", None) != "Settings" or not callable(errors):
        return None
    lines = []
    for error in errors(include_url=False, include_input=False, include_context=False):
        name = str(error["loc"][0]) if error["loc"] else ""
        kind = str(error["type"]).split("_")[0]
        allowed = _SETTING_RULES.get(name) or _SETTING_TYPES.get(kind, "正しい形式の値")
        lines.append(
            f"設定 HOSHO_{name.upper()}（設定ファイルでは {name}）には{allowed}を指定してください"
        )
    return HoshoError("\n".join(dict.fromkeys(lines))) if lines else None


def explain(exc: BaseException, database_url: str | None = None) -> HoshoError | None:
    """A failure from outside hosho that staff can act on (the database read-only, full or
    unreachable, a disk full, a setting or the config file wrong) as a :class:`HoshoError`
    saying what to do; None for the truly unexpected. ``database_url`` names the database."""
    if isinstance(exc, HoshoError):  # said already; more precisely when the database refused
        cause = exc.__cause__
        found = _database_problem(cause, database_url, reach=False) if cause else None
        return found or exc
    if isinstance(exc, tomllib.TOMLDecodeError):
        from core.paths import config_file

        at = re.search(r"line (\d+)", str(exc))
        return HoshoError(
            f"設定ファイル {config_file()} がTOMLとして読めません"
            f"（{at.group(1) + '行目' if at else '形式の誤り'}）。"
            '名前 = "値" の形になっているか確認してください'
        )
    if (found := _settings_problem(exc)) is not None:
        return found
    if (found := _database_problem(exc, database_url)) is not None:
        return found
    if isinstance(exc, OSError) and exc.errno == 28:  # ENOSPC, outside the database
        return HoshoError("ディスクの空きがありません。空きを作ってから、もう一度実行してください")
    return None


def log_unexpected(exc: BaseException) -> None:
    """The whole traceback of an unexpected error, to the log file only; the SQL parameters are
    left out (they may hold a 認証キー or a customer's details)."""
    import logging

    for item in _chain(exc):
        if hasattr(item, "hide_parameters"):
            item.hide_parameters = True
    logging.getLogger("hosho").error("unexpected error", exc_info=exc)
