"""``hosho customer add|edit|show|list``."""

from __future__ import annotations

import argparse
from typing import Any

from cli.main import CTX, add_group, emit, json_flag, positive_int, print_table
from core import customers, dates, services
from core.customers import CONFIRM_HINT, CustomerView, DuplicateCustomerError
from core.money import format_yen
from core.present import customer_rows, pad

_CONFIRM_CLI = "。別の会社として登録するときは --confirmed を付けて実行し直してください"


def _print_customer(c: CustomerView) -> None:
    for label, value in customer_rows(c):
        print(f"{pad(label, 16)}{value}")


def _with_cli_hint(exc: DuplicateCustomerError) -> DuplicateCustomerError:
    items = [(f, t.replace(CONFIRM_HINT, _CONFIRM_CLI)) for f, t in exc.items]
    return DuplicateCustomerError(items, exc.duplicates)


def customer_add(a: argparse.Namespace) -> int:
    try:
        c = customers.add_customer(
            CTX.db,
            name=a.name,
            kana=a.kana or "",
            email=a.email,
            address=a.address or "",
            representative=a.representative or "",
            contact_person=a.contact or "",
            phone=a.phone or "",
            enet_id=a.enet_id,
            confirmed=a.confirmed,
            operator=CTX.settings.operator,
        )
    except DuplicateCustomerError as exc:
        raise _with_cli_hint(exc) from None
    if a.json:
        emit(c.to_json())
    else:
        print(f"受注者を登録しました: ID {c.id} {c.name}")
    return 0


def customer_edit(a: argparse.Namespace) -> int:
    changes = {
        "name": a.name,
        "kana": a.kana,
        "email": a.email,
        "enet_id": a.enet_id,
        "address": a.address,
        "representative": a.representative,
        "contact_person": a.contact,
        "phone": a.phone,
    }
    try:
        r = customers.edit_customer(
            CTX.db,
            a.customer,
            changes,
            confirmed=a.confirmed,
            operator=CTX.settings.operator,
        )
    except DuplicateCustomerError as exc:
        raise _with_cli_hint(exc) from None
    if a.json:
        emit(r.to_json())
        return 0
    c = r.customer
    if not r.changes:
        print(f"変更はありません: ID {c.id} {c.name}")
        return 0
    print(f"受注者を修正しました: ID {c.id} {c.name}")
    for name, (old, new) in r.changes.items():
        print(f"  {customers.FIELDS[name]}: {old or '（なし）'} → {new or '（なし）'}")
    if r.notices_requeued:
        print(
            f"お知らせ {r.notices_requeued}件を新しいアドレス {c.email} 宛てにして送信待ちに"
            "戻しました（hosho outbox send で送信）"
        )
    return 0


def guarantee_cells(g: Any) -> list[str]:
    return [
        g.guarantee_number,
        g.type,
        g.orderer,
        g.project_name,
        dates.format_wareki(g.contract_date),
        format_yen(g.amount),
        g.status,
    ]


GUARANTEE_COLUMNS = ["保証契約番号", "種別", "発注者", "工事名", "契約締結日", "保証金額", "状態"]


def customer_show(a: argparse.Namespace) -> int:
    d = services.show_customer(CTX.db, a.customer, limit=a.limit)
    if a.json:
        emit(d.to_json())
        return 0
    _print_customer(d.customer)
    print()
    if not d.guarantees:
        print("保証: まだありません")
        return 0
    shown = len(d.guarantees)
    more = f"、新しい{shown:,}件を表示" if shown < d.guarantee_count else ""
    print(f"保証: 全{d.guarantee_count:,}件{more}")
    print_table(GUARANTEE_COLUMNS, [guarantee_cells(g) for g in d.guarantees], right={5})
    return 0


def customer_list(a: argparse.Namespace) -> int:
    rows = customers.list_customers(CTX.db, a.query, limit=a.limit)
    if a.json:
        emit([c.to_json() for c in rows])
        return 0
    if not rows:
        print("該当する受注者はありません")
        return 0
    print_table(
        ["ID", "商号", "商号カナ", "e-Net保証ID", "メール", "電話"],
        [
            [str(c.id), c.name, c.kana or "—", c.enet_id or "—", c.email or "—", c.phone or "—"]
            for c in rows
        ],
        right={0},
    )
    return 0


def register(sub: Any) -> None:
    cust = add_group(sub, "customer", "受注者（保証契約者）の登録・修正・表示・検索")

    def fields(p: argparse.ArgumentParser, *, adding: bool) -> None:
        p.add_argument("--name", required=adding, help="商号")
        p.add_argument("--kana", help="商号カナ（カタカナ。ひらがなで入力しても可）")
        p.add_argument(
            "--email", default="" if adding else None, help="メールアドレス（お知らせの送付先）"
        )
        p.add_argument("--enet-id", help="e-Net保証のお客様ID" + ("" if adding else "（空で消去）"))
        p.add_argument("--address", help="所在地")
        p.add_argument("--phone", help="電話番号")
        p.add_argument("--representative", help="代表者")
        p.add_argument("--contact", help="担当者")
        verb = "登録" if adding else "修正"
        p.add_argument(
            "--confirmed",
            action="store_true",
            help=f"同じ商号の受注者がいても、別の会社と確認済みとして{verb}する",
        )
        json_flag(p)

    p = cust.add_parser("add", help="受注者を登録")
    fields(p, adding=True)
    p.set_defaults(handler=customer_add)

    p = cust.add_parser(
        "edit",
        help="受注者を修正（指定した項目だけ。メールを変えると未送信のお知らせも新しい宛先へ）",
    )
    p.add_argument("customer", help="受注者のID（e-Net保証IDや商号も可）")
    fields(p, adding=False)
    p.set_defaults(handler=customer_edit)

    p = cust.add_parser("show", help="受注者の登録内容と保証の一覧")
    p.add_argument("customer", help="受注者のID（e-Net保証IDや商号も可）")
    p.add_argument(
        "--limit", type=positive_int, default=500, help="表示する保証の件数（既定: 500）"
    )
    json_flag(p)
    p.set_defaults(handler=customer_show)

    p = cust.add_parser("list", help="受注者の一覧・検索")
    p.add_argument("query", nargs="?", help="商号の一部、商号カナの一部（ひらがな可）、e-Net保証ID")
    p.add_argument("--limit", type=positive_int, default=200)
    json_flag(p)
    p.set_defaults(handler=customer_list)
