"""Customers (受注者): add, edit, show, search and resolve. Inputs are what staff typed;
outputs plain data.

One validator (:func:`_clean`) serves add and edit: the same checks and the same text limits,
which are the columns' own lengths. A second customer with the same 商号 (compared without
spaces, width, case and 株式会社-type affixes) is refused unless staff confirm it is another
company; a second customer with the same e-Net保証 ID is always refused (the column is unique).
Changing a customer's email re-addresses the notices that have not gone out.

``core.services`` imports this module (and re-exports its names), so the few helpers taken from
there are imported where used.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rapidfuzz import fuzz, process
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from core import limits
from core.db import Database
from core.errors import NotFoundError, ValidationError
from core.models import (
    CUSTOMER_LABELS,
    Certificate,
    Customer,
    Guarantee,
    NoticeFile,
    Outbox,
)

if TYPE_CHECKING:
    pass

# The fields staff maintain, in the order forms and commands show them, with their labels.
FIELDS = CUSTOMER_LABELS  # the fields staff fill in, by label


# The text limits are the database's: a longer value would be refused by PostgreSQL.
LIMITS: dict[str, int] = {name: limits.max_length(Customer, name) or 0 for name in FIELDS}

# In a duplicate's message, where each front end says how to register it anyway (the command
# line: --confirmed; the terminal UI asks).
CONFIRM_HINT = "。別の会社として登録するときは、確認したうえで登録し直してください"


class DuplicateCustomerError(ValidationError):
    """The 商号 matches customers already registered (other problems may be listed too)."""

    def __init__(
        self, problems: Sequence[tuple[str | None, str]], duplicates: Sequence[CustomerView]
    ) -> None:
        super().__init__(problems)
        self.duplicates = list(duplicates)

    @property
    def only_duplicates(self) -> bool:
        """Nothing else is wrong: confirming it is another company is enough to save."""
        return len(self.items) == 1  # the duplicate is one problem


# --- views -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerView:
    id: int
    name: str
    address: str
    representative: str
    contact_person: str
    email: str
    phone: str
    enet_id: str | None
    kana: str = ""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def label(self) -> str:
        """「ID 3 株式会社肥後建設（e-Net保証ID E0012345、熊本市中央区…）」 for messages."""
        facts = [f"e-Net保証ID {self.enet_id}" if self.enet_id else "", self.address]
        said = "、".join(f for f in facts if f)
        return f"ID {self.id} {self.name}" + (f"（{said}）" if said else "")


def customer_view(c: Customer) -> CustomerView:
    assert c.id is not None
    return CustomerView(
        c.id,
        c.name,
        c.address,
        c.representative,
        c.contact_person,
        c.email,
        c.phone,
        c.enet_id,
        c.kana,
    )


@dataclass(frozen=True)
class CustomerEdit:
    """What ``edit_customer`` did: the customer as it stands, each field changed as
    ``{field: (before, after)}``, and the notices re-addressed to the new email."""

    customer: CustomerView
    changes: dict[str, tuple[Any, Any]]
    notices_requeued: int = 0

    def to_json(self) -> dict[str, Any]:
        return self.customer.to_json() | {
            "changes": {k: list(v) for k, v in self.changes.items()},
            "notices_requeued": self.notices_requeued,
        }


# --- normalising what staff type -----------------------------------------------------------

_AFFIXES = re.compile(r"株式会社|有限会社|合同会社|合資会社|合名会社|\((?:株|有|同|資|名)\)")
_SPACE = re.compile(r"\s+")
_HIRAGANA = {c: c + 0x60 for c in range(ord("ぁ"), ord("ゖ") + 1)} | {
    ord("ゝ"): ord("ヽ"),
    ord("ゞ"): ord("ヾ"),
}
_KANA_OK = re.compile(r"[ァ-ヺー・ヽヾ　]*")
_WIDE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\u3041-\u3096\u30a1-\u30fa\u30fc]+")


def is_id(text: str) -> bool:
    """Whether ``text`` can be a row's ID (digits, within what the databases store)."""
    return text.isdecimal() and len(text) <= 18


def name_key(name: str) -> str:
    """A 商号 as duplicates are compared: NFKC, no spaces, case folded, without 株式会社,
    有限会社, 合同会社, 合資会社, 合名会社 or their (株)-type abbreviations."""
    text = _SPACE.sub("", unicodedata.normalize("NFKC", name)).casefold()
    return _AFFIXES.sub("", text) or text


def to_katakana(text: str) -> str:
    """Hiragana as katakana, half-width katakana as full-width, spaces as one full-width
    space; other characters unchanged."""
    text = unicodedata.normalize("NFKC", text).translate(_HIRAGANA)
    return _SPACE.sub("　", text.strip())


def kana_query(text: str) -> str | None:
    """What staff typed, when it is kana (hiragana, katakana, half-width), as full-width
    katakana without spaces: what to look for in the 商号カナ, its spaces ignored. None when
    it is not kana."""
    kana = to_katakana(text)
    bare = kana.replace("\u3000", "")
    return bare if bare and _KANA_OK.fullmatch(kana) else None


def _kana_problem(kana: str) -> str | None:
    if _KANA_OK.fullmatch(kana):
        return None
    bad = "".join(dict.fromkeys(c for c in kana if not _KANA_OK.fullmatch(c)))
    return f"商号カナはカタカナ（ひらがなも可）で入力してください（使えない文字: {bad}）"


# One address, local@domain: the local part in the characters mail systems accept without
# quoting, dots only between them; the domain in labels of letters, digits and hyphens.
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}")
EMAIL_LIMIT = 254  # the most an address can be (RFC 5321), also the column's length
_LOCAL_LIMIT = 64


def _check_email(email: str) -> str | None:
    """Why ``email`` is not one address of the form local@domain (None when it is)."""
    if not email:
        return None
    said = f"メールアドレス「{email}」"
    example = "（例: info@example.co.jp）"
    local, _, domain = email.rpartition("@")
    if email.count("@") > 1 or any(c in email for c in ",;、") or " " in email.strip():
        return f"{said}: アドレスは一つだけ、空白を入れずに入力してください{example}"
    if any(c in email for c in '<>"()'):
        return f"{said}: 名前や < > を付けず、アドレスだけを入力してください{example}"
    if not local or not domain:
        return f"{said}の形式が正しくありません。@の前後を入力してください{example}"
    if len(email) > EMAIL_LIMIT:
        return f"メールアドレスは{EMAIL_LIMIT}文字以内にしてください（{len(email)}文字）"
    if len(local) > _LOCAL_LIMIT:
        return f"{said}: @より前は{_LOCAL_LIMIT}文字以内にしてください（{len(local)}文字）"
    if not _LOCAL.fullmatch(local):
        return f"{said}: @より前に使えない文字があるか、点（.）の位置が正しくありません{example}"
    if not _DOMAIN.fullmatch(domain):
        return f"{said}: @より後のドメインが正しくありません{example}"
    return None


def _control_problem(label: str, value: str) -> str | None:
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        return f"{label}に改行や制御文字は使えません"
    return None


def _enet_format_problem(enet_id: str) -> str | None:
    return f"e-Net保証ID「{enet_id}」に空白は使えません" if " " in enet_id else None


_CHECKS = {"email": _check_email, "kana": _kana_problem, "enet_id": _enet_format_problem}


def _clean(
    values: Mapping[str, str | None],
) -> tuple[dict[str, str | None], list[tuple[str | None, str]]]:
    """The given fields as they are stored, and every problem with them (same for add and
    edit). A field given as None is left out; e-Net保証 ID "" becomes None (none)."""
    out: dict[str, str | None] = {}
    problems: list[tuple[str | None, str]] = []
    for name, raw in values.items():
        if raw is None:
            continue
        label = FIELDS[name]
        value = raw.strip()
        if name == "kana":
            value = to_katakana(value)
        elif name in ("email", "enet_id"):  # typed in full width with the IME on
            value = unicodedata.normalize("NFKC", value)
        if name == "name" and not value:
            problems.append(("name", "商号を入力してください"))
        why = _control_problem(label, value)
        if why is None and name in _CHECKS:
            why = _CHECKS[name](value)
        if why is not None:
            problems.append((name, why))
        if name != "email":  # (the address's own check says it)
            problems += limits.check(Customer, name, value)
        out[name] = (value or None) if name == "enet_id" else value
    return out, problems


def _enet_problem(s: Session, enet_id: str, exclude: int | None = None) -> str | None:
    stmt = select(Customer).where(col(Customer.enet_id) == enet_id)
    if exclude is not None:
        stmt = stmt.where(col(Customer.id) != exclude)
    other = s.scalars(stmt).first()
    if other is None:
        return None
    return (
        f"e-Net保証ID「{enet_id}」は既に登録されています: {customer_view(other).label}。"
        "e-Net保証IDは受注者ごとに一つで、重ねて登録できません。同じ会社ならその受注者"
        f"（ID {other.id}）を使ってください"
    )


def find_same_name(s: Session, name: str, exclude: int | None = None) -> list[CustomerView]:
    """Customers whose 商号 is the same as ``name`` by :func:`name_key`."""
    key = name_key(name)
    if not key:
        return []
    stmt = select(col(Customer.id), col(Customer.name))
    # Narrowed in SQL by the longest run of kanji and kana of the key (the same in every
    # width) in the 商号 without spaces; the comparison itself is name_key's.
    runs = sorted(_WIDE.findall(key), key=len, reverse=True)
    if runs:
        bare = func.replace(func.replace(col(Customer.name), " ", ""), "\u3000", "")
        stmt = stmt.where(bare.contains(runs[0], autoescape=True))
    if exclude is not None:
        stmt = stmt.where(col(Customer.id) != exclude)
    ids = [i for i, n in s.execute(stmt) if name_key(n) == key]
    if not ids:
        return []
    rows = s.scalars(select(Customer).where(col(Customer.id).in_(ids)).order_by(col(Customer.id)))
    return [customer_view(c) for c in rows]


def _duplicate_problem(found: Sequence[CustomerView]) -> str:
    names = "、".join(c.label for c in found)
    return (
        f"同じ商号の受注者が既に登録されています: {names}。"
        f"同じ会社なら新たに登録せず、その受注者を使ってください{CONFIRM_HINT}"
    )


# --- add, edit ---------------------------------------------------------------------------


def add_customer(
    db: Database,
    *,
    name: str,
    email: str = "",
    address: str = "",
    representative: str = "",
    contact_person: str = "",
    phone: str = "",
    enet_id: str | None = None,
    kana: str = "",
    confirmed: bool = False,
    operator: str,
) -> CustomerView:
    """Register a customer. Every problem is reported at once and nothing is saved; a 商号
    already registered is refused unless ``confirmed`` (staff checked it is another company)."""
    from core.models import audit, now

    values, problems = _clean(
        {
            "name": name,
            "kana": kana,
            "email": email,
            "enet_id": enet_id or "",
            "address": address,
            "representative": representative,
            "contact_person": contact_person,
            "phone": phone,
        }
    )
    with db.session() as s:
        duplicates: list[CustomerView] = []
        if values["enet_id"] and (why := _enet_problem(s, values["enet_id"])):
            problems.append(("enet_id", why))
        if values["name"] and not confirmed:
            duplicates = find_same_name(s, values["name"])
            if duplicates:
                problems.append(("name", _duplicate_problem(duplicates)))
        if duplicates:
            raise DuplicateCustomerError(problems, duplicates)
        if problems:
            raise ValidationError(problems)
        c = Customer(**values, created_at=now())  # type: ignore[arg-type]
        s.add(c)
        _flush(s, c)
        detail: dict[str, Any] = {"name": c.name}
        if confirmed and find_same_name(s, c.name, exclude=c.id):
            detail["confirmed_duplicate"] = True
        audit(s, operator, "customer.add", f"customer:{c.id}", **detail)
        return customer_view(c)


def _flush(s: Session, c: Customer) -> None:
    """Flush, turning a concurrent registration of the same e-Net保証 ID into its message."""
    try:
        s.flush()
    except IntegrityError:
        raise ValidationError(
            [("enet_id", f"e-Net保証ID「{c.enet_id}」は同時に別の受注者に登録されました")]
        ) from None


def edit_customer(
    db: Database,
    customer: str,
    changes: Mapping[str, str | None],
    *,
    confirmed: bool = False,
    operator: str,
) -> CustomerEdit:
    """Change any of the fields (None: leave it). Checked like :func:`add_customer`; every
    change audited with its before and after. A new email re-addresses this customer's notices
    that failed or wait to be sent, due now."""
    from core.models import audit, now

    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise ValidationError([f"変更できない項目です: {'・'.join(unknown)}"])
    values, problems = _clean(changes)
    if not values and not problems:
        raise ValidationError(["変更する項目を指定してください"])
    with db.session() as s:
        c = resolve_customer(s, customer, lock=True)
        assert c.id is not None
        diff = {k: (getattr(c, k), v) for k, v in values.items() if getattr(c, k) != v}
        duplicates: list[CustomerView] = []
        enet_id = values.get("enet_id") if "enet_id" in diff else None
        if enet_id and (why := _enet_problem(s, enet_id, exclude=c.id)) is not None:
            problems.append(("enet_id", why))
        if "name" in diff and values["name"] and not confirmed:
            if name_key(values["name"]) != name_key(c.name):
                duplicates = find_same_name(s, values["name"], exclude=c.id)
            if duplicates:
                problems.append(("name", _duplicate_problem(duplicates)))
        if duplicates:
            raise DuplicateCustomerError(problems, duplicates)
        if problems:
            raise ValidationError(problems)
        if not diff:
            return CustomerEdit(customer_view(c), {})
        for k, (_, new) in diff.items():
            setattr(c, k, new)
        c.updated_at = now()
        _flush(s, c)
        audit(
            s,
            operator,
            "customer.edit",
            f"customer:{c.id}",
            changes={k: list(v) for k, v in diff.items()},
        )
        requeued = 0
        if "email" in diff and c.email:
            requeued = _readdress_notices(s, c, operator)
        return CustomerEdit(customer_view(c), diff, requeued)


def _readdress_notices(s: Session, c: Customer, operator: str) -> int:
    """This customer's notices that failed or wait to be sent go to the new address, due now.

    The mail kept at issue time carries the old address in its To header, so it is dropped:
    the sender builds the mail again (for the row's recipient) from the kept お知らせ PDF.
    A notice being sent right now (``sending``), and one of a guarantee whose notices are
    never sent (取消: core.lifecycle), are left alone."""
    from core.lifecycle import Action, statuses_refusing
    from core.models import audit, now

    rows = list(
        s.scalars(
            select(Outbox)
            .join(Certificate, col(Certificate.id) == col(Outbox.certificate_id))
            .join(Guarantee, col(Guarantee.id) == col(Certificate.guarantee_id))
            .where(
                col(Guarantee.customer_id) == c.id,
                col(Outbox.status).in_(["failed", "pending"]),
                col(Guarantee.status).not_in(statuses_refusing(Action.MAIL)),
            )
            .order_by(col(Outbox.id))
            .with_for_update(of=Outbox)
        )
    )
    if not rows:
        return 0
    stamp = now()
    for row in rows:
        audit(
            s,
            operator,
            "outbox.readdress",
            f"outbox:{row.id}",
            message_id=row.message_id,
            customer_id=c.id,
            status=row.status,
            attempts=row.attempts,
            last_error=row.last_error,
            recipient=[row.recipient, c.email],
        )
        row.recipient = c.email
        row.status = "pending"
        row.attempts = 0
        row.last_error = None
        row.next_attempt_at = stamp
        row.updated_at = stamp
    s.execute(
        update(NoticeFile)
        .where(col(NoticeFile.certificate_id).in_([r.certificate_id for r in rows]))
        .values(message=None, sender=None)
    )
    return len(rows)


# --- find, show ----------------------------------------------------------------------------


def get_customer(db: Database, customer: str) -> CustomerView:
    with db.reader() as s:
        return customer_view(resolve_customer(s, customer))


def list_customers(db: Database, query: str | None = None, limit: int = 200) -> list[CustomerView]:
    """By 商号 (part of it), 商号カナ (part, in hiragana or katakana) or e-Net保証 ID."""
    with db.reader() as s:
        stmt = select(Customer).order_by(col(Customer.id))
        text = (query or "").strip()
        if text:
            folded = unicodedata.normalize("NFKC", text)
            match = [
                col(Customer.name).contains(text, autoescape=True),
                col(Customer.name).contains(folded, autoescape=True),
                func.upper(col(Customer.enet_id)) == folded.upper(),
            ]
            bare = kana_query(text)
            if bare:  # kana in either script, spaces ignored
                stored = func.replace(col(Customer.kana), "\u3000", "")
                match.append(stored.contains(bare, autoescape=True))
            stmt = stmt.where(or_(*match))
        return [customer_view(c) for c in s.scalars(stmt.limit(limit))]


def resolve_customer(s: Session, text: str, *, lock: bool = False) -> Customer:
    """One customer by ID, e-Net保証 ID or 商号 (compared by :func:`name_key`, so 株式会社
    may be left off). Several with that 商号 (even if one is spelt exactly as typed): refused
    with each and its ID, since staff cannot tell which company is meant; none: the closest
    names."""
    key = unicodedata.normalize("NFKC", text).strip()
    if not key:
        raise NotFoundError("受注者を指定してください（ID・e-Net保証ID・商号）")

    def one(stmt: Any) -> Customer | None:
        return s.scalars(stmt.with_for_update() if lock else stmt).first()

    found: Customer | None = None
    if is_id(key):
        found = one(select(Customer).where(col(Customer.id) == int(key)))
    if found is None:
        found = one(select(Customer).where(col(Customer.enet_id) == key))
    if found is not None:
        return found
    named = find_same_name(s, key)
    if len(named) > 1:
        listed = "、".join(v.label for v in named)
        raise NotFoundError(
            f"受注者「{text.strip()}」に当たる受注者が{len(named)}件あります: {listed}。"
            "IDで指定してください"
        )
    if named and (found := one(select(Customer).where(col(Customer.id) == named[0].id))):
        return found
    names = list(s.scalars(select(col(Customer.name)).limit(50_000)))
    close = [
        m[0] for m in process.extract(key, names, scorer=fuzz.WRatio, limit=3, score_cutoff=50)
    ]
    hint = f"（近い名前: {'、'.join(dict.fromkeys(close))}）" if close else ""
    raise NotFoundError(f"受注者「{text.strip()}」が見つかりません{hint}")
