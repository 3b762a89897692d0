"""What the command line and the terminal UI both show, as plain data: a guarantee's and a
customer's fields as staff read them, and the eligibility verdict with its reasons. The front
ends only lay it out (plain lines, or styled text)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from core import dates
from core.money import format_yen

if TYPE_CHECKING:
    from core.customers import CustomerView
    from core.services import GuaranteeView


def wareki(d: date | None) -> str:
    """令和8年4月1日, or — when there is no date."""
    return dates.format_wareki(d) if d else "—"


def pad(label: str, cells: int = 20) -> str:
    """Pad to a width in terminal cells (full-width characters take two)."""
    from rich.cells import cell_len

    return label + " " * max(1, cells - cell_len(label))


def orderer_label(name: str, prefecture: str | None) -> str:
    """阿蘇市（熊本県）: a body with its prefecture (a prefecture alone as itself)."""
    return f"{name}（{prefecture}）" if prefecture and prefecture != name else name


def status_text(status: str, closed_on: date | None, change: dict[str, Any] | None) -> str:
    """「完了（令和9年3月31日終了）— 山田 令和9年4月2日: 工事完成」 for staff."""
    text = status
    if closed_on is not None:
        text += f"（{dates.format_wareki(closed_on)}終了）"
    if change:
        at = dates.format_wareki(datetime.fromisoformat(change["at"]).astimezone().date())
        reason = f": {change['reason']}" if change.get("reason") else ""
        text += f" — {change['by']} {at}{reason}"
    return text


def guarantee_rows(g: GuaranteeView) -> list[tuple[str, str]]:
    """The fields of a guarantee as staff read them."""
    rows = [
        ("保証契約番号", g.guarantee_number),
        ("種別", g.type),
        ("状態", status_text(g.status, g.closed_on, g.status_change)),
        ("受注者", f"{g.customer}（ID {g.customer_id}）"),
        ("発注者", orderer_label(g.orderer, g.orderer_prefecture)),
        ("工事名・業務名", g.project_name),
        ("契約の種類", g.contract_kind),
        ("請負金額", format_yen(g.contract_amount)),
        ("保証金額", format_yen(g.amount)),
        ("契約締結日", wareki(g.contract_date)),
        ("入札公告日", wareki(g.announcement_date)),
        ("落札日", wareki(g.award_date)),
        ("工期", f"{wareki(g.period_start)} 〜 {wareki(g.period_end)}"),
        ("保証期限", wareki(g.guarantee_end)),
        ("前払金取扱金融機関", g.bank or "—"),
        ("申込経路・交付方法", f"{g.channel}・{g.delivery}"),
        ("e-Net割引", format_yen(g.fee_discount) if g.fee_discount else "なし"),
    ]
    if g.original_contract_date:
        rows.append(("当初の契約締結日", wareki(g.original_contract_date)))
    return rows


def customer_rows(c: CustomerView) -> list[tuple[str, str]]:
    """The fields of a customer as staff read them."""
    return [
        ("ID", str(c.id)),
        ("商号", c.name),
        ("商号カナ", c.kana or "—"),
        ("e-Net保証ID", c.enet_id or "—"),
        ("メールアドレス", c.email or "—"),
        ("所在地", c.address or "—"),
        ("電話番号", c.phone or "—"),
        ("代表者", c.representative or "—"),
        ("担当者", c.contact_person or "—"),
    ]


Tone = Literal["ok", "no", "check"]
_TONE: dict[bool | None, Tone] = {True: "ok", False: "no", None: "check"}
VERDICT_LABELS: dict[Tone, str] = {
    "ok": "電子証書にできます",
    "no": "電子証書にできません（書面）",
    "check": "要確認",
}
MARKS: dict[Tone, str] = {"ok": "○", "no": "×", "check": "△"}


@dataclass(frozen=True)
class Reason:
    tone: Tone
    text: str
    source: str  # （出典：…、令和8年2月26日時点）, or "" when the reason has none

    @property
    def mark(self) -> str:
        return MARKS[self.tone]


@dataclass(frozen=True)
class Verdict:
    """An eligibility verdict (its stored JSON form) as staff read it."""

    tone: Tone
    reasons: tuple[Reason, ...]
    submission: str

    @property
    def label(self) -> str:
        return VERDICT_LABELS[self.tone]


def verdict(v: dict[str, Any]) -> Verdict:
    details = v.get("reason_details") or [{"text": t, "ok": None} for t in v.get("reasons", [])]
    reasons = []
    for r in details:
        source = ""
        if r.get("source"):
            when = wareki(dates.parse_date(r["as_of"])) if r.get("as_of") else "日付不明"
            source = f"（出典：{r['source']}、{when}時点）"
        reasons.append(Reason(_TONE[r.get("ok")], r["text"], source))
    return Verdict(_TONE[v.get("eligible")], tuple(reasons), v.get("submission", ""))


# --- the audit log ------------------------------------------------------------------------

# What each audited action (AuditEvent.action) is called, as staff read it.
AUDIT_ACTIONS: dict[str, str] = {
    "guarantee.add": "保証の登録",
    "guarantee.correct": "訂正（証書の発行前）",
    "guarantee.cancel": "取消",
    "guarantee.close": "完了・解約",
    "certificate.issue": "証書の発行",
    "certificate.change": "変更（証書の発行）",
    "certificate.correct": "訂正（証書の発行）",
    "certificate.reveal": "認証キー表示",
    "certificate.copy": "認証キーのコピー",
    "certificate.render": "お知らせ・証書の作成",
    "certificate.verify": "認証キーの照合（一致）",
    "certificate.verify_failed": "認証キーの照合（不一致）",
    "certificate.verify_refused": "認証キーの照合（回数超過で受付停止）",
    "customer.add": "受注者の登録",
    "customer.edit": "受注者の修正",
    "outbox.readdress": "お知らせの宛先変更",
    "db.rotate_key": "暗号鍵の切り替え",
    "demo.seed": "デモデータの作成",
}

# The fields of a guarantee that a 変更 or 訂正 changes, by column (core.certificates); the
# others are named by core.limits, core.models.CUSTOMER_LABELS and core.orderers.FIELD_LABELS.
_GUARANTEE_LABELS = {
    "amount": "保証金額",
    "contract_amount": "請負金額",
    "contract_date": "契約締結日",
    "period_start": "工期（自）",
    "period_end": "工期（至）",
    "guarantee_end": "保証期限",
    "project_name": "工事名・業務名",
    "bank": "前払金取扱金融機関",
}
_YEN = {"amount", "contract_amount"}

# The other facts an audit event records, by key.
_DETAIL_LABELS = {
    "type": "種別",
    "amount": "保証金額",
    "kind": "区分",
    "delivery": "交付",
    "change_date": "変更契約日",
    "reason": "理由",
    "date": "日付",
    "format": "形式",
    "name": "商号",
    "category": "区分",
    "fields": "項目",
    "source": "出典",
    "message_id": "メッセージID",
    "customer_id": "受注者ID",
    "status": "送信状態",
    "attempts": "送信回数",
    "last_error": "直前のエラー",
    "open_questions": "確認事項",
    "confirmed_duplicate_of": "重複を確認済み",
}
_COUNTS = {
    "notices_withdrawn": "取り下げたお知らせ",
    "certificates": "証書",
    "notices": "お知らせ",
    "customers": "受注者",
    "guarantees": "保証",
}
_OUTBOX_STATUS = {"pending": "送信待ち", "sending": "送信中", "sent": "送信済", "failed": "失敗"}
_FLAGS = {
    "confirmed": "発注者に確認済み",
    "confirmed_duplicate": "同じ商号を確認のうえ登録",
    "bulk": "一括処理",
}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def audit_action(action: str, detail: dict[str, Any] | None = None) -> str:
    """「認証キー表示」 for certificate.reveal; 完了 or 解約 for a guarantee.close (the
    status it went to); the code itself for an action this table does not know."""
    detail = detail or {}
    if action == "guarantee.close" and detail.get("to") in ("完了", "解約"):
        return str(detail["to"])
    if action in AUDIT_ACTIONS:
        return AUDIT_ACTIONS[action]
    kind, _, what = action.partition(".")
    if kind == "orderer":
        from core.orderers import HISTORY_ACTIONS

        if what in HISTORY_ACTIONS:
            return f"発注者の{HISTORY_ACTIONS[what]}"
    return action


def audit_target(target: str) -> str:
    """保証 2070000017, 受注者 ID 12, 阿蘇市（熊本県）… for the stored ``kind:key``."""
    kind, _, key = target.partition(":")
    if kind == "guarantee":
        return f"保証 {key}"
    if kind == "customer":
        return f"受注者 ID {key}"
    if kind == "orderer":
        prefecture, _, name = key.partition("/")
        return orderer_label(name, prefecture or None)
    if kind == "outbox":
        return f"お知らせ #{key}"
    if target == "database":
        return "データベース"
    return target


def _field_label(table: str, column: str) -> str:
    if table == "guarantee" and column in _GUARANTEE_LABELS:
        return _GUARANTEE_LABELS[column]
    from core.limits import label

    return label(table, column)


def audit_value(column: str, value: Any) -> str:
    """A recorded value as staff read it: amounts in yen, dates in 和暦, （なし） for none."""
    if value is None or value == "" or value == []:
        return "（なし）"
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if column in _YEN and isinstance(value, int):
        return format_yen(value)
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return wareki(date.fromisoformat(value))
    if isinstance(value, list):
        return "・".join(audit_value(column, v) for v in value)
    if isinstance(value, dict):
        return "、".join(f"{k} {audit_value(k, v)}" for k, v in value.items())
    return str(value)


def _change(label: str, column: str, pair: Any) -> str:
    """保証金額 40,000,000円 → 50,000,000円"""
    if isinstance(pair, list | tuple) and len(pair) == 2:
        before, after = pair
        return f"{label} {audit_value(column, before)} → {audit_value(column, after)}"
    return f"{label} {audit_value(column, pair)}"


def audit_details(action: str, detail: dict[str, Any]) -> list[str]:
    """What an audit event records, one fact a line, in Japanese: changed fields as
    「保証金額 40,000,000円 → 50,000,000円」, versions as 第2版, counts in 件."""
    kind = action.partition(".")[0]
    table = {"certificate": "guarantee"}.get(kind, kind)
    lines: list[str] = []
    rest = dict(detail)
    if "from" in rest or "to" in rest:
        lines.append(_change("状態", "status", [rest.pop("from", None), rest.pop("to", None)]))
    if "old_key_id" in rest or "new_key_id" in rest:
        pair = [rest.pop("old_key_id", None), rest.pop("new_key_id", None)]
        lines.append(_change("暗号鍵", "key", pair))
    first = ("changes", "recipient")  # what changed before the bookkeeping
    for key, value in sorted(rest.items(), key=lambda kv: kv[0] not in first):
        if value is None or (key == "notices_withdrawn" and not value):
            continue  # nothing to say
        if key == "changes" and isinstance(value, dict):
            lines += [_change(_field_label(table, c), c, v) for c, v in value.items()]
        elif key == "version":
            lines.append(f"第{value}版")
        elif key == "versions" and isinstance(value, list):
            lines.append(f"第{'・'.join(str(v) for v in value)}版" if value else "版なし")
        elif key == "notice_queued":
            lines.append("お知らせメール送信待ち" if value else "お知らせメールなし")
        elif key == "recipient":
            lines.append(_change("宛先", key, value))
        elif key == "date" and detail.get("to") in ("完了", "解約"):
            lines.append(f"{detail['to']}日 {audit_value(key, value)}")
        elif key == "wait_seconds":
            lines.append(f"待ち時間 {value}秒")
        elif key == "reason" and action == "certificate.verify_failed":
            lines.append("認証キーが一致しません" if value == "mismatch" else f"理由 {value}")
        elif key == "status" and kind == "outbox":
            lines.append(f"送信状態 {_OUTBOX_STATUS.get(str(value), str(value))}")
        elif key == "format" and isinstance(value, str):
            lines.append(f"形式 {value.upper()}")
        elif key == "fields" and isinstance(value, list):
            names = "・".join(_field_label(table, str(f)) for f in value)
            lines.append(f"項目 {names or '（なし）'}")
        elif key in _FLAGS:
            if value:
                lines.append(_FLAGS[key])
        elif key in _COUNTS:
            lines.append(f"{_COUNTS[key]} {value}件")
        else:
            label = _DETAIL_LABELS.get(key) or _field_label(table, key)
            lines.append(f"{label} {audit_value(key, value)}")
    return lines


def audit_detail(action: str, detail: dict[str, Any]) -> str:
    """:func:`audit_details` on one line."""
    return "、".join(audit_details(action, detail))
