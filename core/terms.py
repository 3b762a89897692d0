"""The domain's fixed vocabularies, and parsing of what staff type for them."""

from __future__ import annotations

import unicodedata
from enum import StrEnum
from typing import TypeVar

from core.errors import ValidationError


class GType(StrEnum):
    """保証の種別."""

    ADVANCE = "前払金"
    INTERIM = "中間前払金"
    CONTRACT = "契約"
    BID = "契約保証予約"


class Kind(StrEnum):
    """契約の種類."""

    WORKS = "工事"
    SERVICES = "業務委託"  # 測量・建設コンサルタント等業務
    MAINTENANCE = "地域維持"  # 地域維持事業


class Channel(StrEnum):
    ENET = "e-Net"
    COUNTER = "窓口"


class Delivery(StrEnum):
    ELECTRONIC = "電子"
    PAPER = "書面"


class Status(StrEnum):
    """Where a guarantee is in its life (core.lifecycle): 受付 → 発行済 → 完了 or 解約;
    取消 for one entered in error."""

    RECORDED = "受付"  # recorded, no certificate yet
    ISSUED = "発行済"  # certificate issued
    CANCELLED = "取消"  # entered in error
    COMPLETED = "完了"  # the works finished or the 保証期限 passed
    TERMINATED = "解約"  # the guarantee contract ended early


class CertKind(StrEnum):
    NEW = "新規"
    CHANGE = "変更"
    CORRECTION = "訂正"


_GTYPE_WORDS = {
    GType.ADVANCE: ["前払金", "前払", "前払い", "前払金保証", "advance"],
    GType.INTERIM: ["中間前払金", "中間前払", "中間前払い", "中間前払金保証", "interim"],
    GType.CONTRACT: ["契約", "契約保証", "contract"],
    GType.BID: ["契約保証予約", "入札ボンド", "bid", "bond"],
}
_KIND_WORDS = {
    Kind.WORKS: ["工事", "建設工事", "works"],
    Kind.SERVICES: [
        "業務委託",
        "業務",
        "委託",
        "測量・建設コンサルタント等",
        "測量・建設コンサルタント等業務",
        "services",
    ],
    Kind.MAINTENANCE: ["地域維持", "地域維持事業", "maintenance"],
}
_CHANNEL_WORDS = {
    Channel.ENET: ["e-net", "enet", "e-net保証", "ネット"],
    Channel.COUNTER: ["窓口", "counter", "書面申込"],
}
_DELIVERY_WORDS = {
    Delivery.ELECTRONIC: ["電子", "電子証書", "電子交付", "electronic"],
    Delivery.PAPER: ["書面", "紙", "paper"],
}
_STATUS_WORDS = {s: [s.value] for s in Status} | {
    Status.RECORDED: ["受付", "recorded"],
    Status.ISSUED: ["発行済", "発行済み", "issued"],
    Status.CANCELLED: ["取消", "取り消し", "cancelled", "取消済", "取消済み"],
    Status.COMPLETED: ["完了", "completed", "完了済", "完了済み"],
    Status.TERMINATED: ["解約", "terminated", "解約済", "解約済み"],
}


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower()


E = TypeVar("E", bound=StrEnum)


def _parse(text: str, words: dict[E, list[str]], label: str) -> E:
    folded = _fold(text)
    for value, spellings in words.items():
        if folded in (_fold(s) for s in spellings):
            return value
    choices = "・".join(v.value for v in words)
    raise ValidationError([f"{label}「{text}」が分かりません（{choices} のいずれか）"])


def parse_gtype(text: str) -> GType:
    return _parse(text, _GTYPE_WORDS, "保証の種別")


def parse_kind(text: str) -> Kind:
    return _parse(text, _KIND_WORDS, "契約の種類")


def parse_channel(text: str) -> Channel:
    return _parse(text, _CHANNEL_WORDS, "申込経路")


def parse_delivery(text: str) -> Delivery:
    return _parse(text, _DELIVERY_WORDS, "交付方法")


_CERT_KIND_WORDS = {
    CertKind.NEW: ["新規", "new"],
    CertKind.CHANGE: ["変更", "change"],
    CertKind.CORRECTION: ["訂正", "correction"],
}


def parse_cert_kind(text: str) -> CertKind:
    return _parse(text, _CERT_KIND_WORDS, "証書の区分")


def parse_status(text: str) -> Status:
    return _parse(text, _STATUS_WORDS, "状態")
