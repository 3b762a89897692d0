"""Database tables (SQLModel). Services turn rows into plain data before they leave ``core``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, MetaData, UniqueConstraint
from sqlmodel import Field, Session, SQLModel

from core.crypto import EncryptedBytes, EncryptedText

# Stable constraint names so Alembic migrations are the same on SQLite and PostgreSQL.
SQLModel.metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class Counter(SQLModel, table=True):
    """Monotonic sequences (保証契約番号). Incremented with UPDATE ... RETURNING."""

    name: str = Field(primary_key=True, max_length=40)
    value: int = Field(sa_column=Column(BigInteger, nullable=False))


class Meta(SQLModel, table=True):
    """Small key/value facts about the database (e.g. hash of the loaded orderer file)."""

    key: str = Field(primary_key=True, max_length=60)
    value: str


# How staff call a customer's fields (forms, errors, the audit log).
CUSTOMER_LABELS: dict[str, str] = {
    "name": "商号",
    "kana": "商号カナ",
    "email": "メールアドレス",
    "enet_id": "e-Net保証ID",
    "address": "所在地",
    "representative": "代表者",
    "contact_person": "担当者",
    "phone": "電話番号",
}


class Customer(SQLModel, table=True):
    """受注者 (保証契約者)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, max_length=200)  # 商号
    kana: str = Field(default="", max_length=200)  # 商号カナ (katakana, as typed)
    address: str = Field(default="", max_length=300)  # 所在地
    representative: str = Field(default="", max_length=100)  # 代表者
    contact_person: str = Field(default="", max_length=100)  # 担当者
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=40)
    enet_id: str | None = Field(default=None, max_length=40, unique=True)  # e-Net保証 ID
    created_at: datetime
    updated_at: datetime | None = None


class Orderer(SQLModel, table=True):
    """発注者: one body of the register. ``shipped`` is its record as the shipped data gives it
    (the municipality data set and data/orderers.yaml), ``pages`` what the body's own public
    page says (data/pages/), ``amendment`` the fields staff set, ``rules`` the record that
    stands (see core.orderers.effective)."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=120, unique=True)  # "<prefecture>/<name>", "/<name>" for national
    name: str = Field(index=True, max_length=120)
    reading: str = Field(default="", max_length=120)
    prefecture: str | None = Field(default=None, max_length=10)
    category: str = Field(max_length=20)
    code: str | None = Field(default=None, max_length=6, index=True)  # 全国地方公共団体コード
    origin: str = Field(default="document", max_length=10)  # register / document / staff
    start_date: date | None = None
    start_precision: str | None = Field(default=None, max_length=10)
    rules: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    shipped: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    amendment: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # what an orderer's own public page says (data/pages/): the fields it states, its source
    pages: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    source: str = Field(default="", max_length=300)  # citation of the record that stands
    as_of: date | None = None
    listed: bool = True  # false when the entry left the shipped data but guarantees refer to it


class OrdererChange(SQLModel, table=True):
    """One change to an orderer's record: by staff (add, adopt, edit, import) or by a newer
    shipped file (load). ``changes`` maps each field to [before, after]."""

    id: int | None = Field(default=None, primary_key=True)
    orderer_id: int = Field(foreign_key="orderer.id", index=True)
    at: datetime
    by: str = Field(max_length=100)
    action: str = Field(max_length=20)
    source: str | None = Field(default=None, max_length=500)
    as_of: date | None = None
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Guarantee(SQLModel, table=True):
    """保証: one guarantee contract, with its current terms."""

    __table_args__ = (
        # Pages are ordered by (contract_date, id); every other filtered column rides along
        # so that filters are checked inside the index while walking it in date order (type
        # and status need no index of their own), or while reading a few customers'
        # guarantees (core.services._page_ids). The text indexes on 工事名 are outside the
        # models (core.textsearch, migration 0006).
        Index(
            "ix_guarantee_date_cover",
            *("contract_date", "id", "customer_id", "orderer_id", "amount", "type", "status"),
        ),
        Index(
            "ix_guarantee_customer_cover",
            *("customer_id", "contract_date", "id", "orderer_id", "amount", "type", "status"),
        ),
        Index("ix_guarantee_orderer_date", "orderer_id", "contract_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=10, unique=True)  # 保証契約番号
    type: str = Field(max_length=10)  # 前払金 / 中間前払金 / 契約 / 契約保証予約
    customer_id: int = Field(foreign_key="customer.id")
    orderer_id: int = Field(foreign_key="orderer.id")
    project_name: str = Field(max_length=300)  # 工事名・業務名
    contract_kind: str = Field(max_length=10)  # 工事 / 業務委託 / 地域維持
    contract_amount: int = Field(sa_column=Column(BigInteger, nullable=False))  # 請負金額
    amount: int = Field(sa_column=Column(BigInteger, nullable=False))  # 保証金額
    contract_date: date  # 契約締結日
    announcement_date: date | None = None  # 入札公告日
    award_date: date | None = None  # 落札日 (deadlines such as 鳥栖市's electronic contract)
    period_start: date | None = None  # 工期 (自)
    period_end: date | None = None  # 工期 (至)
    guarantee_end: date | None = None  # 保証期限
    bank: str = Field(default="", max_length=120)  # 前払金取扱金融機関
    channel: str = Field(max_length=10)  # e-Net / 窓口
    delivery: str = Field(max_length=4)  # 電子 / 書面
    status: str = Field(max_length=10)
    fee: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))  # 保証料
    fee_discount: int = 0
    original_contract_date: date | None = None  # for 変更/訂正/中間前払金 of an older contract
    eligibility: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # the limit and delivery warnings of the terms as they stand (checked again on each change)
    warnings: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    closed_on: date | None = None  # 完了 / 解約: the day it ended
    created_at: datetime
    created_by: str = Field(max_length=100)
    updated_at: datetime


class Certificate(SQLModel, table=True):
    """証書: one row per issue (新規 / 変更 / 訂正). ``auth_key`` is a secret."""

    __table_args__ = (UniqueConstraint("guarantee_id", "version", name="uq_certificate_version"),)

    id: int | None = Field(default=None, primary_key=True)
    guarantee_id: int = Field(foreign_key="guarantee.id", index=True)
    version: int  # 1 = 新規, then each 変更/訂正
    kind: str = Field(max_length=4)  # 新規 / 変更 / 訂正
    delivery: str = Field(max_length=4)  # 電子 / 書面
    # sealed at rest (core.crypto); read and written as plain text
    auth_key: str | None = Field(
        default=None, sa_column=Column(EncryptedText("certificate.auth_key")), repr=False
    )
    terms: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    change_date: date | None = None  # 変更契約日, for a 変更
    warnings: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    issued_at: datetime
    issued_by: str = Field(max_length=100)


class AuditEvent(SQLModel, table=True):
    """Who did what, when. Never holds a secret."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    operator: str = Field(max_length=100)
    action: str = Field(max_length=40)
    target: str = Field(max_length=120)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class FaqMiss(SQLModel, table=True):
    """A caller's question the assistant could not answer confidently (for adding entries)."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    operator: str = Field(max_length=100)
    question: str = Field(max_length=500)
    normalized: str = Field(max_length=500, index=True)
    best_score: float = 0.0
    candidates: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )


class Outbox(SQLModel, table=True):
    """A notice email to send, written in the same transaction as its certificate.

    ``status``: pending (due at ``next_attempt_at``) → sending (claimed until
    ``next_attempt_at``, the lease) → sent; or failed (refused for good, left for staff).
    Never holds the 認証キー: the attachment is rendered from the certificate when sending.
    """

    __table_args__ = (
        UniqueConstraint("certificate_id", "kind", name="uq_outbox_certificate_kind"),
        Index("ix_outbox_status_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    certificate_id: int = Field(foreign_key="certificate.id")
    kind: str = Field(max_length=20)  # "notice": 電子証書・認証キー登録のお知らせ
    message_id: str = Field(max_length=200, unique=True)  # stable: resent with the same id
    recipient: str = Field(max_length=254)
    subject: str = Field(max_length=200)
    status: str = Field(max_length=10)  # pending / sending / sent / failed
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    next_attempt_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None = None


class NoticeFile(SQLModel, table=True):
    """The rendered 認証キー等のお知らせ PDF of one certificate version and its notice mail,
    made when the certificate is issued so that sending only reads them. They contain the
    認証キー, like ``Certificate.auth_key`` (the outbox row never does): both are sealed at
    rest (core.crypto)."""

    certificate_id: int = Field(foreign_key="certificate.id", primary_key=True)
    pdf: bytes = Field(
        sa_column=Column(EncryptedBytes("noticefile.pdf"), nullable=False), repr=False
    )
    message: bytes | None = Field(
        default=None, sa_column=Column(EncryptedBytes("noticefile.message")), repr=False
    )
    sender: str | None = Field(default=None, max_length=254)  # the From the mail was built with
    created_at: datetime


def now() -> datetime:
    """The time of a record (UTC)."""
    return datetime.now(UTC)


def audit(session: Session, operator: str, action: str, target: str, **detail: Any) -> None:
    """Record who did what. Callers pass no secrets; ``detail`` must be JSON-safe."""
    session.add(
        AuditEvent(at=now(), operator=operator, action=action, target=target, detail=detail)
    )
