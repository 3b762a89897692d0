"""The ``hosho`` command line. Errors are one clear Japanese line each and exit 1."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from core import paths
from core.errors import ADD_HINT, HoshoError, explain, log_unexpected

log = logging.getLogger("hosho")

Handler = Callable[[argparse.Namespace], int]

_ARGPARSE_JA = [
    (r"the following arguments are required: (.*)", r"次の指定が必要です: \1"),
    (r"argument (\S+): invalid choice: (.*?) \(choose from (.*)\)", r"\1 に \2 は使えません（\3）"),
    (r"argument (\S+): invalid int value: (.*)", r"\1 には整数を指定してください（\2）"),
    (r"argument (\S+): expected one argument", r"\1 には値が必要です"),
    (r"unrecognized arguments: (.*)", r"分からない引数があります: \1"),
    (r"^argument (\S+): ", r"\1: "),  # the rest: a type's own (Japanese) message
]

# The largest whole number either database stores (BIGINT).
MAX_INT = 2**63 - 1


def _whole_number(text: str, least: int, most: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"整数を指定してください（{text}）") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"{least}以上の整数を指定してください（{text}）")
    if value > most:
        raise argparse.ArgumentTypeError(f"{most:,}以下の整数を指定してください（{text}）")
    return value


def nonneg_int(text: str) -> int:
    """An argparse type: 0 or more (offsets)."""
    return _whole_number(text, 0, MAX_INT)


def positive_int(text: str) -> int:
    """An argparse type: 1 or more (limits, counts, versions)."""
    return _whole_number(text, 1, MAX_INT)


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        for pattern, repl in _ARGPARSE_JA:
            message = re.sub(pattern, repl, message)
        self.exit(1, f"エラー: {message}（{self.prog} --help で使い方を表示）\n")


def emit(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=None, default=str))


def print_table(
    columns: list[str], rows: list[list[str]], *, right: set[int] | None = None
) -> None:
    import sys

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    for i, name in enumerate(columns):
        table.add_column(name, justify="right" if right and i in right else "left", no_wrap=True)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))  # data as it is, never markup
    # Piped output is never cut to a terminal width.
    Console(width=None if sys.stdout.isatty() else 400).print(table)


def json_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="JSONで出力")


def add_group(sub: Any, name: str, help: str) -> Any:
    p = sub.add_parser(name, help=help, description=help)
    return p.add_subparsers(dest="command", metavar="ACTION", parser_class=type(p))


@dataclass
class Context:
    """What every command needs; the database opens lazily, once."""

    _db: Any = None

    @property
    def settings(self) -> Any:
        from core.settings import get_settings

        return get_settings()

    @property
    def db(self) -> Any:
        if self._db is None:
            from core.db import open_database

            self._db = open_database(self.settings.effective_database_url)
        return self._db


CTX = Context()


# Command groups by the module that defines them; only the one asked for is imported (the
# guarantee commands load SQLAlchemy and the rules: `hosho ask` needs neither).
_GROUPS = {
    "cli.commands": ("guarantee", "demo", "data", "orderer", "eligibility"),
    "cli.db_commands": ("db",),
    "cli.customer_commands": ("customer",),
    "cli.mail_commands": ("certificate", "guarantee", "notice", "outbox"),
    "cli.lifecycle_commands": ("guarantee",),  # cancel, close, overdue (after the group exists)
    "cli.faq_commands": ("ask", "chat", "faq"),
    "cli.report_commands": ("report",),
}


def build_parser(command: str | None = None) -> Parser:
    """The parser for every command, or only for the module that defines ``command``."""
    parser = Parser(prog="hosho", description="電子保証の窓口端末（引数なしで画面を開きます）")
    sub = parser.add_subparsers(dest="group", parser_class=Parser, metavar="COMMAND")
    wanted = [m for m, names in _GROUPS.items() if command in names]
    if len(wanted) != 1:  # help, a mistyped command, or guarantee (in two modules): all
        wanted = list(_GROUPS)
    for module in wanted:
        __import__(module, fromlist=["register"]).register(sub)
    return parser


_HANDLER: logging.Handler | None = None  # the one this process added to the root logger


def _configure_logging() -> None:
    """hosho.log in the user data folder, readable by this user only (it may hold names)."""
    global _HANDLER
    path = paths.log_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        os.chmod(path, 0o600)  # a log made before (0644) is tightened too
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    if _HANDLER is not None:  # main() run again in this process (tests)
        root.removeHandler(_HANDLER)
        _HANDLER.close()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    _HANDLER = handler


def _database_url() -> str | None:
    """The database in use, for messages (None when even the settings cannot be read)."""
    if CTX._db is not None:
        return str(CTX._db.engine.url)
    try:
        url: str = CTX.settings.effective_database_url
    except Exception:
        return None
    return url


def _print_error(exc: HoshoError) -> None:
    for line in str(exc).splitlines() or [type(exc).__name__]:
        line = line.replace(ADD_HINT, "、hosho orderer add で登録できます")
        print(f"エラー: {line}", file=sys.stderr)


def run(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        from tui.app import run_app

        # Bad settings are refused here, before the screen is taken over.
        return run_app(CTX.settings)
    parser = build_parser(argv[0])
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.parse_args([*argv, "--help"])
        return 1
    return handler(args)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    _configure_logging()
    try:
        code = run(argv)
    except HoshoError as exc:
        _print_error(explain(exc, _database_url()) or exc)  # (more precise: a read-only database)
        code = 1
    except KeyboardInterrupt:
        print("中断しました", file=sys.stderr)
        code = 130
    except BrokenPipeError:  # output piped into `head` and the like
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    except Exception as exc:  # never a traceback on the user's screen
        known = explain(exc, _database_url())
        if known is not None:  # the database, the disk, the settings: what to do
            log.warning("refused: %s (%s)", known, type(exc).__name__)
            _print_error(known)
        else:
            log_unexpected(exc)
            print(
                f"エラー: 予期しない問題が起きました（{type(exc).__name__}）。"
                f"詳細は {paths.log_file()} に記録しました",
                file=sys.stderr,
            )
        code = 1
    finally:
        if CTX._db is not None:
            CTX._db.dispose()
            CTX._db = None
    sys.exit(code)
