"""``hosho guarantee cancel|close|overdue``: a guarantee's life after it is recorded."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cli.commands import _print_guarantee
from cli.mail_commands import _subcommands
from cli.main import CTX, emit, json_flag, print_table
from core import closing, dates
from core.errors import HoshoError, ValidationError
from core.money import format_yen
from core.terms import Status


def _as_of(text: str | None) -> Any:
    if not text or not text.strip():
        return None
    try:
        return dates.parse_date(text)
    except dates.DateError as exc:
        raise ValidationError([f"基準日: {exc}"]) from None


def guarantee_cancel(a: argparse.Namespace) -> int:
    g = closing.cancel_guarantee(
        CTX.db, a.number, reason=a.reason or "", operator=CTX.settings.operator
    )
    if a.json:
        emit(g.to_json())
    else:
        print(f"保証契約番号 {g.guarantee_number} を取り消しました")
        _print_guarantee(g)
    return 0


def guarantee_close(a: argparse.Namespace) -> int:
    if a.overdue:
        if a.number:
            raise ValidationError(["保証契約番号と --overdue は一緒に指定できません"])
        return _close_overdue(a)
    if not a.number:
        raise ValidationError(
            ["保証契約番号（または期限切れをまとめて閉じる --overdue）が必要です"]
        )
    if not (a.date or "").strip():
        raise ValidationError(["--date で終了日（完了・解約の日）を指定してください"])
    g = closing.close_guarantee(
        CTX.db,
        a.number,
        as_=a.as_,
        date_text=a.date,
        reason=a.reason or "",
        operator=CTX.settings.operator,
    )
    if a.json:
        emit(g.to_json())
    else:
        print(f"保証契約番号 {g.guarantee_number} を{g.status}にしました")
        _print_guarantee(g)
    return 0


def _ask(question: str) -> bool:
    """A yes/no question on the terminal (stderr, so --json output stays clean)."""
    print(f"{question} [y/N]: ", end="", file=sys.stderr, flush=True)
    try:
        answer = sys.stdin.readline()
    except (OSError, KeyboardInterrupt):
        return False
    return answer.strip().lower() in {"y", "yes", "はい"}


def _close_overdue(a: argparse.Namespace) -> int:
    if closing.parse_closing(a.as_) is not Status.COMPLETED:
        raise ValidationError(["期限切れの保証をまとめて閉じるのは完了だけです（--as 完了）"])
    as_of = _as_of(a.as_of)
    due = closing.list_overdue(CTX.db, as_of)
    if not due:
        if a.json:
            emit([])
        else:
            print("保証期限を過ぎた受付・発行済の保証はありません")
        return 0
    if not a.yes:
        if not sys.stdin.isatty():
            raise HoshoError(
                f"保証期限を過ぎた保証 {len(due)}件を完了にするには、確認のため --yes を付けて"
                "ください（hosho guarantee overdue で一覧を確認できます）"
            )
        _print_overdue(due, as_of, file=sys.stderr)
        when = f"終了日 {a.date}" if a.date else "終了日は各保証の保証期限"
        if not _ask(f"この{len(due)}件を完了にします（{when}）。よろしいですか"):
            print("中止しました（何も変更していません）", file=sys.stderr)
            return 1
    closed = closing.close_overdue(
        CTX.db,
        operator=CTX.settings.operator,
        date_text=a.date or "",
        reason=a.reason or "",
        as_of=as_of,
        numbers=[g.guarantee_number for g in due],
    )
    if a.json:
        emit([g.to_json() for g in closed])
    else:
        print(f"保証期限を過ぎた保証 {len(closed)}件を完了にしました")
    return 0


def _print_overdue(rows: list[Any], as_of: Any, file: Any = None) -> None:
    from datetime import date

    today = as_of or date.today()
    table = [
        [
            g.guarantee_number,
            dates.format_wareki(g.guarantee_end),
            f"{(today - g.guarantee_end).days:,}日",
            g.status,
            g.type,
            g.customer,
            g.orderer,
            format_yen(g.amount),
        ]
        for g in rows
    ]
    columns = ["保証契約番号", "保証期限", "経過", "状態", "種別", "受注者", "発注者", "保証金額"]
    if file is None:
        print_table(columns, table, right={2, 7})
        return
    for row in table:  # the confirmation list, on stderr
        print("  ".join(row), file=file)


def guarantee_overdue(a: argparse.Namespace) -> int:
    as_of = _as_of(a.as_of)
    rows = closing.list_overdue(CTX.db, as_of)
    if a.json:
        emit([g.to_json() for g in rows])
        return 0
    if not rows:
        print("保証期限を過ぎた受付・発行済の保証はありません")
        return 0
    _print_overdue(rows, as_of)
    print(
        f"{len(rows)}件（完了にするには hosho guarantee close --overdue --as 完了、"
        "1件ずつなら hosho guarantee close 番号 --as 完了|解約 --date 日付）"
    )
    return 0


def register(sub: Any) -> None:
    gua = _subcommands(sub, "guarantee", "保証の登録・検索・表示")
    p = gua.add_parser(
        "cancel", help="入力誤りの保証を取り消す（理由は必須。証書・お知らせも止まる）"
    )
    p.add_argument("number", help="保証契約番号（10桁）")
    p.add_argument("--reason", required=True, help="取消の理由（例: 二重登録のため）")
    json_flag(p)
    p.set_defaults(handler=guarantee_cancel)

    p = gua.add_parser("close", help="保証を完了（工事完成・保証期限の経過）または解約にする")
    p.add_argument("number", nargs="?", help="保証契約番号（10桁）")
    p.add_argument("--as", dest="as_", required=True, help="完了・解約")
    p.add_argument(
        "--date", help="終了日（契約締結日以後、今日まで。--overdue では省略時に保証期限）"
    )
    p.add_argument("--reason", help="理由・経緯（任意）")
    p.add_argument(
        "--overdue",
        action="store_true",
        help="保証期限を過ぎた受付・発行済の保証をすべて完了にする",
    )
    p.add_argument("--as-of", dest="as_of", help="--overdue の基準日（既定: 今日）")
    p.add_argument(
        "--yes", action="store_true", help="--overdue の確認を省く（端末でないときは必須）"
    )
    json_flag(p)
    p.set_defaults(handler=guarantee_close)

    p = gua.add_parser("overdue", help="保証期限を過ぎた受付・発行済の保証の一覧")
    p.add_argument("--as-of", dest="as_of", help="基準日（既定: 今日）")
    json_flag(p)
    p.set_defaults(handler=guarantee_overdue)
