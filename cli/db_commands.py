"""``hosho db``: the schema version and its upgrade, backup and restore of the embedded
SQLite database, and the exchange of the data key that seals the 認証キー."""

from __future__ import annotations

import argparse
from typing import Any

from cli.main import CTX, add_group, emit, json_flag


def _url() -> str:
    url: str = CTX.settings.effective_database_url
    return url


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    size = n / 1024
    for unit in ("KB", "MB"):
        if size < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def db_upgrade(a: argparse.Namespace) -> int:
    from core.db import Database, create_db_engine, current_revision

    db = Database(create_db_engine(_url()))
    try:
        before = current_revision(db.engine)
        db.upgrade()
        after = current_revision(db.engine)
    finally:
        db.dispose()
    if a.json:
        emit({"from": before, "to": after})
    else:
        print(f"データベースを更新しました: {before or '未作成'} → {after}")
    return 0


def db_current(a: argparse.Namespace) -> int:
    from core.db import create_db_engine, current_revision, describe_url, head_revision

    engine = create_db_engine(_url())
    try:
        current, head = current_revision(engine), head_revision(engine)
    finally:
        engine.dispose()
    url = describe_url(_url())
    if a.json:
        emit({"url": url, "current": current, "head": head, "up_to_date": current == head})
    else:
        state = "最新です" if current == head else "更新が必要です（hosho db upgrade）"
        print(f"{url}: 版 {current or '未作成'}（最新 {head}）— {state}")
    return 0


def db_backup(a: argparse.Namespace) -> int:
    from core import paths
    from core.db import backup_database

    r = backup_database(_url(), a.file, force=a.force)
    if a.json:
        emit(r.to_json())
        return 0
    print(f"バックアップしました: {r.file}（{_size(r.size)}、版 {r.revision}、{r.seconds:.1f}秒）")
    if r.key_id:
        print(
            f"注意: 認証キーとお知らせは鍵 ID {r.key_id} の鍵で暗号化されています。"
            f"鍵ファイル {paths.secret_key_file()} はバックアップに含まれないので、"
            "別に保管してください"
        )
    return 0


def db_restore(a: argparse.Namespace) -> int:
    from core.db import restore_database

    r = restore_database(_url(), a.file, force=a.force)
    if a.json:
        emit(r.to_json())
        return 0
    upgraded = f" → {r.upgraded_to} に更新" if r.upgraded_to != r.revision else ""
    print(f"復元しました: {r.source} → {r.file}（版 {r.revision}{upgraded}）")
    if r.previous:
        print(f"置き換える前のデータベースは {r.previous} に残しました")
    return 0


def db_rotate_key(a: argparse.Namespace) -> int:
    from core.keys import rotate_key

    r = rotate_key(CTX.db, operator=CTX.settings.operator)
    if a.json:
        emit(r.to_json())
        return 0
    again = "（中断していた交換を完了しました）" if r.resumed else ""
    print(
        f"鍵を交換しました{again}: 鍵 ID {r.old_key_id} → {r.new_key_id}、"
        f"認証キー {r.certificates:,}件とお知らせ {r.notices:,}件を新しい鍵で暗号化し直しました"
    )
    print(
        f"新しい鍵ファイル: {r.key_file}。このデータベースを使うほかの端末の鍵ファイルも"
        "これに置き換えてください（古い鍵では開けなくなりました）"
    )
    return 0


def register(sub: Any) -> None:
    dbg = add_group(sub, "db", "データベースの管理")
    p = dbg.add_parser("upgrade", help="スキーマを最新にする（共有のPostgreSQLでは必須）")
    json_flag(p)
    p.set_defaults(handler=db_upgrade)
    p = dbg.add_parser("current", help="スキーマの版を表示")
    json_flag(p)
    p.set_defaults(handler=db_current)

    p = dbg.add_parser(
        "backup", help="SQLiteのデータベースをファイルに写す（使用中でも可。PostgreSQLは pg_dump）"
    )
    p.add_argument("file", metavar="FILE", help="書き出すファイル")
    p.add_argument("--force", action="store_true", help="FILE があれば上書きする")
    json_flag(p)
    p.set_defaults(handler=db_backup)

    p = dbg.add_parser(
        "restore", help="バックアップからSQLiteのデータベースを戻す（ほかの hosho は終了しておく）"
    )
    p.add_argument("file", metavar="FILE", help="hosho db backup で作ったファイル")
    p.add_argument(
        "--force",
        action="store_true",
        help="いまのデータベースを置き換える（いまのものは .before-restore として残す）",
    )
    json_flag(p)
    p.set_defaults(handler=db_restore)

    p = dbg.add_parser("rotate-key", help="認証キーを暗号化する鍵を新しくし、すべて暗号化し直す")
    json_flag(p)
    p.set_defaults(handler=db_rotate_key)
