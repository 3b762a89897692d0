"""What the command line and the terminal UI both show, as plain data: a guarantee's and a
customer's fields as staff read them, and the eligibility verdict with its reasons. The front
ends only lay it out (plain lines, or styled text)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from core import dates
from core.lifecycle import status_text
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
    source: str  # （出典: …、令和8年2月26日時点）, or "" when the reason has none

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
            source = f"（出典: {r['source']}、{when}時点）"
        reasons.append(Reason(_TONE[r.get("ok")], r["text"], source))
    return Verdict(_TONE[v.get("eligible")], tuple(reasons), v.get("submission", ""))
