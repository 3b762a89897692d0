"""Use cases for customers and guarantees. Inputs are what staff typed; outputs plain data.

The rules engine, the holiday calendar and the number counter (which loads the PostgreSQL
dialect) are imported where used: the guarantee list, the first screen, needs none of them.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, or_, select, text
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from core import dates, limits
from core.customers import CustomerView as CustomerView  # customers live in core.customers
from core.customers import add_customer as add_customer
from core.customers import customer_view, is_id
from core.customers import list_customers as list_customers
from core.customers import resolve_customer as resolve_customer
from core.db import Database
from core.errors import NotFoundError, ValidationError
from core.filters import GuaranteeFilter as GuaranteeFilter  # the list's filter lives there
from core.filters import parse_filter as parse_filter
from core.models import AuditEvent, Customer, Guarantee, Orderer, audit, now
from core.money import parse_yen
from core.orderers import (
    find_orderers,
    list_info,
    orderer_model,
    resolve_orderer,
    suggest_orderers,
)
from core.terms import (
    CertKind,
    Channel,
    Delivery,
    GType,
    Kind,
    Status,
    parse_cert_kind,
    parse_channel,
    parse_delivery,
    parse_gtype,
    parse_kind,
)

if TYPE_CHECKING:
    from core.calendar import Deadline
    from core.eligibility import Verdict


def json_value(value: Any) -> Any:
    """A date or time as ISO text for JSON output; anything else unchanged."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


# --- guarantees --------------------------------------------------------------------------


@dataclass(frozen=True)
class GuaranteeView:
    guarantee_number: str
    type: str
    customer_id: int
    customer: str
    orderer: str
    orderer_prefecture: str | None
    project_name: str
    contract_kind: str
    contract_amount: int
    amount: int
    contract_date: date
    announcement_date: date | None
    award_date: date | None
    period_start: date | None
    period_end: date | None
    guarantee_end: date | None
    original_contract_date: date | None
    bank: str
    channel: str
    delivery: str
    status: str
    fee: int | None
    fee_discount: int
    created_at: datetime
    created_by: str
    eligibility: dict[str, Any] | None = None
    warnings: tuple[str, ...] = ()
    deadlines: tuple[Deadline, ...] = ()
    closed_on: date | None = None  # 完了 / 解約: the day it ended
    # the last 取消 / 完了 / 解約: {"status", "at", "by", "reason", "date"} (core.lifecycle)
    status_change: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        out = {k: json_value(v) for k, v in dataclasses.asdict(self).items()}
        out["warnings"] = list(self.warnings)
        out["deadlines"] = [d.to_json() for d in self.deadlines]
        return out


def _guarantee_view(
    g: Guarantee,
    customer: str,
    orderer: str,
    prefecture: str | None,
    warnings: tuple[str, ...] | None = None,
    deadlines: tuple[Deadline, ...] = (),
) -> GuaranteeView:
    """``warnings`` default to those stored with the guarantee's terms."""
    return GuaranteeView(
        guarantee_number=g.number,
        type=g.type,
        customer_id=g.customer_id,
        customer=customer,
        orderer=orderer,
        orderer_prefecture=prefecture,
        project_name=g.project_name,
        contract_kind=g.contract_kind,
        contract_amount=g.contract_amount,
        amount=g.amount,
        contract_date=g.contract_date,
        announcement_date=g.announcement_date,
        award_date=g.award_date,
        period_start=g.period_start,
        period_end=g.period_end,
        guarantee_end=g.guarantee_end,
        original_contract_date=g.original_contract_date,
        bank=g.bank,
        channel=g.channel,
        delivery=g.delivery,
        status=g.status,
        fee=g.fee,
        fee_discount=g.fee_discount,
        created_at=g.created_at,
        created_by=g.created_by,
        eligibility=g.eligibility,
        warnings=tuple(g.warnings or ()) if warnings is None else warnings,
        deadlines=deadlines,
        closed_on=g.closed_on,
    )


@dataclass
class GuaranteeDraft:
    """A guarantee as typed by staff (CLI flags or form fields), every value a string."""

    type: str = ""
    customer: str = ""
    orderer: str = ""
    project: str = ""
    contract_amount: str = ""
    amount: str = ""
    contract_date: str = ""
    period_start: str = ""
    period_end: str = ""
    guarantee_end: str = ""
    kind: str = "工事"
    channel: str = "e-Net"
    delivery: str = "電子"
    announcement_date: str = ""
    award_date: str = ""
    original_contract_date: str = ""
    bank: str = ""


@dataclass(frozen=True)
class Terms:
    """A validated draft."""

    type: GType
    kind: Kind
    channel: Channel
    delivery: Delivery
    project: str
    contract_amount: int
    amount: int
    contract_date: date
    period_start: date | None
    period_end: date | None
    guarantee_end: date | None
    announcement_date: date | None
    award_date: date | None
    original_contract_date: date | None
    bank: str


# Usual limits, as fractions of 請負金額. Orderers set their own, so these only warn.
ADVANCE_LIMIT = {Kind.WORKS: (4, 10), Kind.SERVICES: (3, 10), Kind.MAINTENANCE: (4, 10)}
INTERIM_LIMIT = (2, 10)
ADVANCE_PLUS_INTERIM_LIMIT = (6, 10)
CONTRACT_MINIMUM = (1, 10)


def parse_terms(d: GuaranteeDraft) -> Terms:
    """Parse and check every field; raise one ValidationError listing all problems."""
    problems: list[tuple[str | None, str]] = []

    def field(name: str, parse: Any, raw: str, *args: Any) -> Any:
        try:
            return parse(raw, *args)
        except ValidationError as exc:
            problems.extend((name, m) for m in exc.problems)
        except dates.DateError as exc:
            problems.append((name, f"{_DATE_LABELS[name]}: {exc}"))
        return None

    def opt_date(name: str, raw: str) -> date | None:
        return field(name, dates.parse_date, raw) if raw.strip() else None

    gtype = field("type", parse_gtype, d.type) if d.type.strip() else None
    if not d.type.strip():
        problems.append(
            ("type", "保証の種別を入力してください（前払金・中間前払金・契約・契約保証予約）")
        )
    kind = field("kind", parse_kind, d.kind or "工事")
    channel = field("channel", parse_channel, d.channel or "e-Net")
    delivery = field("delivery", parse_delivery, d.delivery or "電子")
    project = d.project.strip()
    if not project:
        problems.append(("project", "工事名・業務名を入力してください"))
    contract_amount = amount = None
    if d.contract_amount.strip():
        contract_amount = field("contract_amount", parse_yen, d.contract_amount, "請負金額")
    else:
        problems.append(("contract_amount", "請負金額を入力してください"))
    if d.amount.strip():
        amount = field("amount", parse_yen, d.amount, "保証金額")
    else:
        problems.append(("amount", "保証金額を入力してください"))
    contract_date = opt_date("contract_date", d.contract_date)
    if not d.contract_date.strip():
        problems.append(("contract_date", "契約締結日を入力してください"))
    period_start = opt_date("period_start", d.period_start)
    period_end = opt_date("period_end", d.period_end)
    guarantee_end = opt_date("guarantee_end", d.guarantee_end) or period_end
    announcement = opt_date("announcement_date", d.announcement_date)
    original = opt_date("original_contract_date", d.original_contract_date)
    award = opt_date("award_date", d.award_date)

    if contract_amount is not None and contract_amount <= 0:
        problems.append(("contract_amount", "請負金額は1円以上にしてください"))
    if amount is not None and amount <= 0:
        problems.append(("amount", "保証金額は1円以上にしてください"))
    if contract_amount and amount and amount > contract_amount:
        problems.append(
            ("amount", f"保証金額 {amount:,}円 が請負金額 {contract_amount:,}円 を超えています")
        )
    if contract_date and guarantee_end and guarantee_end < contract_date:
        problems.append(
            (
                "guarantee_end",
                f"保証期限 {dates.format_wareki(guarantee_end)} が契約締結日 "
                f"{dates.format_wareki(contract_date)} より前です",
            )
        )
    if period_start and period_end and period_end < period_start:
        problems.append(("period_end", "工期の終わりが始まりより前です"))
    if announcement and contract_date and announcement > contract_date:
        problems.append(("announcement_date", "入札公告日が契約締結日より後です"))
    if award and contract_date and award > contract_date:
        problems.append(("award_date", "落札日が契約締結日より後です"))
    if original and contract_date and original > contract_date:
        problems.append(("original_contract_date", "当初の契約締結日が今回の契約締結日より後です"))
    problems += limits.check(Guarantee, "project_name", project, "project")
    problems += limits.check(Guarantee, "bank", d.bank.strip())
    if problems:
        raise ValidationError(problems)
    assert gtype and contract_amount and amount and contract_date  # no problems: all parsed
    return Terms(
        type=gtype,
        kind=kind,
        channel=channel,
        delivery=delivery,
        project=project,
        contract_amount=contract_amount,
        amount=amount,
        contract_date=contract_date,
        period_start=period_start,
        period_end=period_end,
        guarantee_end=guarantee_end,
        announcement_date=announcement,
        award_date=award,
        original_contract_date=original,
        bank=d.bank.strip(),
    )


_DATE_LABELS = {
    "contract_date": "契約締結日",
    "period_start": "工期（自）",
    "period_end": "工期（至）",
    "guarantee_end": "保証期限",
    "announcement_date": "入札公告日",
    "award_date": "落札日",
    "original_contract_date": "当初の契約締結日",
}


def _ratio_text(fraction: tuple[int, int]) -> str:
    return f"{fraction[1]}分の{fraction[0]}"


def limit_warnings(t: Terms, existing_advance: int | None = None) -> list[str]:
    """The usual limits; each orderer sets its own, so these are warnings, not errors."""
    out: list[str] = []
    ca = t.contract_amount
    if t.type is GType.ADVANCE:
        num, den = ADVANCE_LIMIT[t.kind]
        if t.amount * den > ca * num:
            out.append(
                f"前払金 {t.amount:,}円 が請負金額の{_ratio_text((num, den))}"
                f"（{ca * num // den:,}円）を超えています（{t.kind}の通例）"
            )
    elif t.type is GType.INTERIM:
        num, den = INTERIM_LIMIT
        if t.amount * den > ca * num:
            out.append(
                f"中間前払金 {t.amount:,}円 が請負金額の{_ratio_text(INTERIM_LIMIT)}"
                f"（{ca * num // den:,}円）を超えています"
            )
        if existing_advance is not None:
            num, den = ADVANCE_PLUS_INTERIM_LIMIT
            if (existing_advance + t.amount) * den > ca * num:
                out.append(
                    f"前払金と中間前払金の合計 {existing_advance + t.amount:,}円 が請負金額の"
                    f"{_ratio_text(ADVANCE_PLUS_INTERIM_LIMIT)}"
                    f"（{ca * num // den:,}円）を超えています"
                )
    elif t.type is GType.CONTRACT:
        num, den = CONTRACT_MINIMUM
        if t.amount * den < ca * num:
            out.append(
                f"契約保証 {t.amount:,}円 が請負金額の{_ratio_text(CONTRACT_MINIMUM)}"
                f"（{ca * num // den:,}円）に届いていません"
            )
    return out


def term_warnings(
    s: Session, customer_id: int, orderer_id: int, t: Terms, verdict: Verdict
) -> list[str]:
    """The limit and delivery warnings of these terms, as stored with the guarantee (on add
    and on each 変更/訂正)."""
    existing_advance = None
    if t.type is GType.INTERIM:
        existing_advance = s.scalar(
            select(func.max(col(Guarantee.amount))).where(
                col(Guarantee.customer_id) == customer_id,
                col(Guarantee.orderer_id) == orderer_id,
                col(Guarantee.project_name) == t.project,
                col(Guarantee.type) == GType.ADVANCE.value,
                col(Guarantee.status) != Status.CANCELLED.value,
            )
        )
    return limit_warnings(t, existing_advance) + _delivery_warnings(t, verdict)


def add_guarantee(
    db: Database,
    draft: GuaranteeDraft,
    *,
    operator: str,
    number_prefix: str,
    confirmed: bool = False,
) -> GuaranteeView:
    """Record a guarantee. One with the same customer, orderer, type, 工事名 and 契約締結日 as
    one already recorded (not 取消) is refused unless ``confirmed`` (core.lifecycle)."""
    from core.calendar import deadlines_for
    from core.eligibility import fee_discount
    from core.lifecycle import check_duplicates
    from core.numbering import reserve_numbers

    problems: list[tuple[str | None, str]] = []
    terms: Terms | None = None
    try:
        terms = parse_terms(draft)
    except ValidationError as exc:
        problems.extend(exc.items)
    with db.session() as s:
        customer = orderer = None
        try:
            customer = resolve_customer(s, draft.customer) if draft.customer.strip() else None
            if customer is None:
                problems.append(("customer", "受注者を指定してください（ID・e-Net保証ID・商号）"))
        except NotFoundError as exc:
            problems.append(("customer", str(exc)))
        try:
            if draft.orderer.strip():
                orderer = resolve_orderer(s, draft.orderer)
            else:
                problems.append(("orderer", "発注者を入力してください"))
        except NotFoundError as exc:
            problems.append(("orderer", str(exc)))
        if problems or terms is None or customer is None or orderer is None:
            raise ValidationError(problems)
        assert customer.id is not None and orderer.id is not None
        duplicates = check_duplicates(s, customer.id, orderer.id, terms, confirmed=confirmed)
        model = orderer_model(orderer)
        verdict = verdict_for(s, model, terms, CertKind.NEW)
        discount = fee_discount(terms.type, terms.channel, terms.amount)
        warnings = tuple(term_warnings(s, customer.id, orderer.id, terms, verdict))
        (number,) = reserve_numbers(s, number_prefix)
        stamp = now()
        g = Guarantee(
            number=number,
            type=terms.type.value,
            customer_id=customer.id,
            orderer_id=orderer.id,
            project_name=terms.project,
            contract_kind=terms.kind.value,
            contract_amount=terms.contract_amount,
            amount=terms.amount,
            contract_date=terms.contract_date,
            announcement_date=terms.announcement_date,
            award_date=terms.award_date,
            period_start=terms.period_start,
            period_end=terms.period_end,
            guarantee_end=terms.guarantee_end,
            original_contract_date=terms.original_contract_date,
            bank=terms.bank,
            channel=terms.channel.value,
            delivery=terms.delivery.value,
            status=Status.RECORDED.value,
            fee=None,
            fee_discount=discount,
            eligibility=verdict.to_json(),
            warnings=list(warnings),
            created_at=stamp,
            created_by=operator,
            updated_at=stamp,
        )
        s.add(g)
        s.flush()
        extra: dict[str, Any] = {"confirmed_duplicate_of": duplicates} if duplicates else {}
        audit(
            s,
            operator,
            "guarantee.add",
            f"guarantee:{number}",
            type=g.type,
            amount=g.amount,
            **extra,
        )
        deadlines = tuple(deadlines_for(model, award_date=g.award_date))
        return _guarantee_view(
            g, customer.name, orderer.name, orderer.prefecture, warnings, deadlines
        )


def verdict_for(
    s: Session,
    model: Any,
    t: Terms,
    cert_kind: CertKind,
    *,
    original_contract_date: date | None = None,
    query_name: str | None = None,
) -> Verdict:
    """The rules engine on validated terms, judged against the orderer list in the database;
    ``model`` None means an orderer the list does not name (``query_name`` as typed)."""
    from core.eligibility import evaluate

    info = list_info(s)
    return evaluate(
        model,
        gtype=t.type,
        contract_date=t.contract_date,
        kind=t.kind,
        channel=t.channel,
        cert_kind=cert_kind,
        original_contract_date=original_contract_date or t.original_contract_date,
        announcement_date=t.announcement_date,
        list_as_of=info.as_of,
        list_source=info.source,
        list_note=info.note,
        query_name=query_name,
    )


def _delivery_warnings(t: Terms, verdict: Verdict) -> list[str]:
    if t.delivery is not Delivery.ELECTRONIC or verdict.eligible is True:
        return []
    why = "／".join(r.text for r in verdict.reasons if r.ok is (verdict.eligible))
    if verdict.eligible is False:
        return [f"電子交付の希望ですが電子証書にできません: {why}"]
    return [f"電子交付の希望ですが要確認です: {why}"]


@dataclass(frozen=True)
class EligibilityCheck:
    """``hosho eligibility``: the verdict for a case, before anything is recorded."""

    verdict: Verdict
    deadlines: tuple[Deadline, ...]
    suggestions: tuple[str, ...]
    fee_discount: int
    fee_note: str | None

    def to_json(self) -> dict[str, Any]:
        return self.verdict.to_json() | {
            "deadlines": [d.to_json() for d in self.deadlines],
            "suggestions": list(self.suggestions),
            "fee_discount": self.fee_discount,
            "fee_note": self.fee_note,
        }


def check_eligibility(
    db: Database,
    *,
    orderer: str,
    type: str,
    contract_date: str,
    kind: str = "工事",
    channel: str = "e-Net",
    cert_kind: str = "新規",
    original_contract_date: str = "",
    announcement_date: str = "",
    award_date: str = "",
    amount: str = "",
) -> EligibilityCheck:
    """Whether a guarantee for ``orderer`` can be electronic, with every reason."""
    from core.calendar import deadlines_for
    from core.eligibility import fee_discount, fee_discount_reason

    problems: list[tuple[str | None, str]] = []
    kind_value: CertKind | None = None
    try:
        kind_value = parse_cert_kind(cert_kind)
    except ValidationError as exc:
        problems.extend(exc.items)
    draft = GuaranteeDraft(
        type=type,
        project="(照会)",
        contract_amount=amount or "1",
        amount=amount or "1",
        contract_date=contract_date,
        kind=kind,
        channel=channel,
        announcement_date=announcement_date,
        award_date=award_date,
        original_contract_date=original_contract_date,
    )
    terms: Terms | None = None
    try:
        terms = parse_terms(draft)
    except ValidationError as exc:
        problems.extend(exc.items)
    with db.reader() as s:
        found = find_orderers(s, orderer) if orderer.strip() else []
        if not orderer.strip():
            problems.append(("orderer", "発注者を入力してください"))
        if len(found) > 1:
            names = "・".join(f"{o.name}（{o.prefecture or '全国'}）" for o in found)
            problems.append(("orderer", f"発注者「{orderer}」は複数あります: {names}"))
        if problems or terms is None or kind_value is None:
            raise ValidationError(problems)
        model = orderer_model(found[0]) if found else None
        verdict = verdict_for(s, model, terms, kind_value, query_name=orderer.strip())
        suggestions = tuple(suggest_orderers(s, orderer)) if model is None else ()
    return EligibilityCheck(
        verdict=verdict,
        deadlines=tuple(deadlines_for(model, award_date=terms.award_date)),
        suggestions=suggestions,
        fee_discount=fee_discount(terms.type, terms.channel, terms.amount) if amount else 0,
        fee_note=fee_discount_reason(terms.type, terms.channel, terms.amount) if amount else None,
    )


# A page is found in two steps: the ids, from the guarantee table alone (its covering
# indexes hold every filtered column, so no row is read to reject one), then those rows with
# their names. Without a customer text, the ids are found walking an index in date order
# (the date index, or the orderer's), checking the other filters on the way. Planners
# cannot tell how many guarantees a customer text matches, so with one (measured with
# bench/search.py):
# 0. an orderer filter naming up to _FEW_ORDERERS bodies: their (orderer, date) index;
# 1. else walk the newest _WALK_BUDGET guarantees of the date range: a page found among
#    them is the page (a 商号 text often matches densely: "阿蘇", "建設");
# 2. else, when the text matches many customers (over _FEW_CUSTOMERS), or matches were
#    found there and at that rate a page lies within _WALK_MAX, walk on;
# 3. else read all the guarantees of those few customers through (customer_id,
#    contract_date, …) and sort those that pass — exact unless more than _PLAN_CAP do;
#    else walk on.
# "+ 0" keeps the planners off the per-customer index while walking; many customers are
# checked on each guarantee's customer row for a few rows, else against the set of them
# ("IS TRUE" has PostgreSQL hash the set once, as SQLite does, instead of joining it in a
# nested loop).
_FEW_CUSTOMERS = 2000
_FEW_ORDERERS = 20
_WALK_BUDGET = 5000
_WALK_MAX = 100_000
_PLAN_CAP = 20_000


@dataclass(frozen=True)
class _Matches:
    """The text filters resolved once (core.textsearch): the matching customers (``query``
    selects them all; ``ids`` lists them when few, else None) and the guarantees whose
    工事名 matches (``projects``: a list or a select of their ids; None: check each row)."""

    query: Any = None
    ids: list[int] | None = None
    projects: Any = None
    orderers: list[int] | None = None


def _ids(ids: list[int]) -> Any:
    """A list of ids for ``in_``, written into the statement: a thousand bound parameters
    cost PostgreSQL several milliseconds to receive."""
    return bindparam("ids", ids, expanding=True, literal_execute=True, unique=True)


def _orderer_ids(s: Session, typed: str) -> list[int]:
    """The orderers an 発注者 filter names: by name, alias or reading (the register's index),
    else every one whose name contains the text as typed — ``%``, ``_`` and ``\\`` literal."""
    from core.textsearch import like_pattern

    found = find_orderers(s, typed)
    if found:
        return [o.id for o in found if o.id is not None]
    contains = col(Orderer.name).like(like_pattern(typed.strip()), escape="\\")
    return list(s.scalars(select(col(Orderer.id)).where(contains)))


def _matches(s: Session, f: GuaranteeFilter) -> _Matches:
    from core import textsearch
    from core.customers import kana_query

    m = _Matches()
    if f.orderer:
        m = dataclasses.replace(m, orderers=_orderer_ids(s, f.orderer))
    if f.project:
        m = dataclasses.replace(m, projects=textsearch.project_ids(s, f.project))
    if f.customer:
        typed = f.customer
        parts = textsearch.customers_containing(s, typed, kana_query(typed))
        parts.append(select(col(Customer.id)).where(col(Customer.enet_id) == typed))
        if is_id(typed):
            parts.append(select(col(Customer.id)).where(col(Customer.id) == int(typed)))
        found = (parts[0] if len(parts) == 1 else parts[0].union_all(*parts[1:])).subquery()
        query = select(found.c[0])
        listed = s.connection().execute(query.limit(_FEW_CUSTOMERS + 1)).scalars().all()
        ids = list(dict.fromkeys(listed))
        m = dataclasses.replace(m, query=query, ids=ids if len(ids) <= _FEW_CUSTOMERS else None)
    return m


def _filtered(
    s: Session,
    stmt: Any,
    f: GuaranteeFilter,
    matches: _Matches | None = None,
    *,
    walk: bool = False,
    by_row: bool = False,
    rows: bool = True,
) -> Any:
    """``stmt`` with every filter applied; conditions touch only the guarantee table. A few
    matching customers are looked up by the per-customer index unless ``walk``; many are
    checked against the set of them, or with ``by_row`` on each guarantee's customer (for
    a few rows). ``rows`` False leaves out a 工事名 check that reads each row (the caller
    makes it)."""
    if f.date_from:
        stmt = stmt.where(col(Guarantee.contract_date) >= f.date_from)
    if f.date_to:
        stmt = stmt.where(col(Guarantee.contract_date) <= f.date_to)
    if f.min_amount is not None:
        stmt = stmt.where(col(Guarantee.amount) >= f.min_amount)
    if f.max_amount is not None:
        stmt = stmt.where(col(Guarantee.amount) <= f.max_amount)
    if f.type:
        stmt = stmt.where(col(Guarantee.type) == f.type.value)
    if f.status:
        stmt = stmt.where(col(Guarantee.status) == f.status.value)
    if f.delivery:  # not in the covering indexes: read on the row
        stmt = stmt.where(col(Guarantee.delivery) == f.delivery.value)
    if f.orderer or f.customer or f.project:
        m = matches or _matches(s, f)
    if f.orderer:
        stmt = stmt.where(col(Guarantee.orderer_id).in_(m.orderers or []))
    if f.customer or f.project:
        customer = col(Guarantee.customer_id)
        if f.customer and m.ids is not None:
            column = customer + 0 if walk else customer
            stmt = stmt.where(column.in_(_ids(m.ids)))
        elif f.customer and by_row:
            stmt = stmt.where(_customer_of_row(s, f.customer))
        elif f.customer:
            stmt = stmt.where((customer + 0).in_(m.query).is_(True))
        if f.project and isinstance(m.projects, list):
            stmt = stmt.where(col(Guarantee.id).in_(_ids(m.projects)))
        elif f.project and m.projects is not None:  # walking, "+ 0": a set to check
            guarantee = col(Guarantee.id) + 0 if walk else col(Guarantee.id)
            stmt = stmt.where(guarantee.in_(m.projects))
        elif f.project and rows:  # last: it reads the row
            from core import textsearch

            if walk:
                stmt = stmt.where(
                    textsearch.project_walked(
                        s, f.project, col(Guarantee.id), with_customer=m.ids is not None
                    )
                )
            else:
                stmt = stmt.where(textsearch.project_contains(s, f.project))
    return stmt


def _customer_of_row(s: Session, typed: str) -> Any:
    """The condition that the guarantee's customer matches ``typed``, read by id."""
    from core import textsearch
    from core.customers import kana_query

    c = aliased(Customer, name="customer_of")
    match = [textsearch.customer_contains(s, c, typed, kana_query(typed))]
    match.append(col(c.enet_id) == typed)
    if is_id(typed):
        match.append(col(c.id) == int(typed))
    row = select(or_(*match)).where(col(c.id) == col(Guarantee.customer_id))
    return row.scalar_subquery().is_(True)


def _page_ids(s: Session, f: GuaranteeFilter) -> list[int]:
    """The ids of the page, newest 契約締結日 first."""
    conn = s.connection()  # plain rows: the ORM's loading costs more than these statements

    def ids_of(stmt: Any) -> list[int]:
        return list(conn.execute(stmt.limit(f.limit).offset(f.offset)).scalars().all())

    m = _matches(s, f)
    newest = (col(Guarantee.contract_date).desc(), col(Guarantee.id).desc())
    walked = _filtered(s, select(col(Guarantee.id)), f, m, walk=True).order_by(*newest)
    if not f.customer:
        return ids_of(walked)
    if m.orderers is not None and len(m.orderers) <= _FEW_ORDERERS:  # (orderer, date) index
        by_orderer = _filtered(s, select(col(Guarantee.id)), f, m, by_row=True)
        return ids_of(by_orderer.order_by(*newest))
    # 1. the newest guarantees of the date range, up to the day of the _WALK_BUDGET-th
    dates_only = GuaranteeFilter(date_from=f.date_from, date_to=f.date_to)
    edge = conn.scalar(
        _filtered(s, select(col(Guarantee.contract_date)), dates_only)
        .order_by(*newest)
        .offset(_WALK_BUDGET - 1)
        .limit(1)
    )
    window = dataclasses.replace(f, date_from=edge or f.date_from)  # one bound: the range
    near = _filtered(s, select(col(Guarantee.id)), window, m, walk=True, by_row=True)
    ids = ids_of(near.order_by(*newest))
    if len(ids) == f.limit or edge is None:  # a page, or the range held no more
        return ids
    if m.ids is None:  # many customers: walk on, against the set of them
        return ids_of(walked)
    # 2. walk on when, at the rate found, a page is near
    if ids and _WALK_BUDGET * (f.offset + f.limit) <= _WALK_MAX * (f.offset + len(ids)):
        return ids_of(walked)
    # 3. all the guarantees of a few customers, sorted; a 工事名 to check row by row is
    # checked on them in that order (the rows come out of the sorted subquery in order),
    # until the page is full
    if f.offset + f.limit <= _PLAN_CAP:
        from core.textsearch import project_contains, project_indexed

        keys = select(col(Guarantee.id), col(Guarantee.contract_date))
        theirs = _filtered(s, keys, f, m, rows=False)
        per_row = bool(f.project) and m.projects is None
        indexed = project_indexed(s, f.project) if f.project and per_row else None
        if indexed is not None:
            theirs, per_row = theirs.where(indexed), False
        capped = theirs.limit(_PLAN_CAP + 1).subquery()
        ordered = (
            select(capped, func.count().over().label("n"))
            .order_by(capped.c.contract_date.desc(), capped.c.id.desc())
            .limit(_PLAN_CAP + 1)
            .subquery()
        )
        page = select(ordered.c.id, ordered.c.n)
        if f.project and per_row:
            page = page.where(project_contains(s, f.project, ordered.c.id))
        found = conn.execute(page.limit(f.limit).offset(f.offset)).all()
        # how many candidates there were (counted again only when none is on the page)
        n = found[0].n if found else conn.scalar(select(func.count()).select_from(capped))
        if (n or 0) <= _PLAN_CAP:  # every candidate was read: the page is exact
            return [r.id for r in found]
    return ids_of(walked)


def _no_jit(s: Session) -> None:
    """PostgreSQL compiles a statement it expects to be costly (JIT) before running it: 50 to
    100 ms, more than a page takes; these statements stop at a page, long before."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SET LOCAL jit = off"))


def search_guarantees(db: Database, f: GuaranteeFilter) -> list[GuaranteeView]:
    with db.reader() as s:
        _no_jit(s)
        ids = _page_ids(s, f)
        if not ids:
            return []
        rows = s.execute(
            select(Guarantee, col(Customer.name), col(Orderer.name), col(Orderer.prefecture))
            .join(Customer, col(Customer.id) == col(Guarantee.customer_id))
            .join(Orderer, col(Orderer.id) == col(Guarantee.orderer_id))
            .where(col(Guarantee.id).in_(ids))
            .order_by(col(Guarantee.contract_date).desc(), col(Guarantee.id).desc())
        ).all()
        return [_guarantee_view(g, c, o, p) for g, c, o, p in rows]


def count_guarantees(db: Database, f: GuaranteeFilter) -> int:
    with db.reader() as s:
        _no_jit(s)
        stmt = _filtered(s, select(func.count()).select_from(Guarantee), f)
        return int(s.scalar(stmt) or 0)


def get_guarantee(db: Database, number: str) -> GuaranteeView:
    from core.calendar import deadlines_for

    key = unicodedata.normalize("NFKC", number).strip()
    with db.reader() as s:
        row = s.execute(
            select(Guarantee, col(Customer.name), Orderer)
            .join(Customer, col(Customer.id) == col(Guarantee.customer_id))
            .join(Orderer, col(Orderer.id) == col(Guarantee.orderer_id))
            .where(col(Guarantee.number) == key)
        ).first()
        if row is None:
            raise NotFoundError(f"保証契約番号「{number}」の保証は見つかりません")
        g, customer, orderer = row
        model = orderer_model(orderer)
        view = _guarantee_view(
            g,
            customer,
            orderer.name,
            orderer.prefecture,
            deadlines=tuple(deadlines_for(model, award_date=g.award_date)),
        )
        # Until a certificate is issued the verdict follows the register (an adoption recorded
        # since counts); an issued guarantee keeps the verdict it was issued under. Imported or
        # demo rows have none stored.
        if view.eligibility is None or g.status == Status.RECORDED.value:
            verdict = verdict_for(s, model, _terms_of(g), CertKind.NEW)
            view = dataclasses.replace(view, eligibility=verdict.to_json())
        if g.status not in (Status.RECORDED.value, Status.ISSUED.value):
            from core.lifecycle import last_status_change

            view = dataclasses.replace(view, status_change=last_status_change(s, g.number))
        return view


def _terms_of(g: Guarantee) -> Terms:
    """The stored terms of a guarantee, as the rules engine takes them."""
    return Terms(
        type=GType(g.type),
        kind=Kind(g.contract_kind),
        channel=Channel(g.channel),
        delivery=Delivery(g.delivery),
        project=g.project_name,
        contract_amount=g.contract_amount,
        amount=g.amount,
        contract_date=g.contract_date,
        period_start=g.period_start,
        period_end=g.period_end,
        guarantee_end=g.guarantee_end,
        announcement_date=g.announcement_date,
        award_date=g.award_date,
        original_contract_date=g.original_contract_date,
        bank=g.bank,
    )


# --- audit log ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditView:
    at: datetime
    operator: str
    action: str
    target: str
    detail: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {k: json_value(v) for k, v in dataclasses.asdict(self).items()}


def list_audit(db: Database, *, limit: int = 200, offset: int = 0) -> list[AuditView]:
    """Newest first."""
    with db.reader() as s:
        rows = s.scalars(
            select(AuditEvent)
            .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
            .limit(limit)
            .offset(offset)
        )
        return [AuditView(r.at, r.operator, r.action, r.target, dict(r.detail)) for r in rows]


# --- a customer with its guarantees -----------------------------------------------------


@dataclass(frozen=True)
class CustomerDetail:
    """A customer with its guarantees (newest 契約締結日 first)."""

    customer: CustomerView
    guarantees: list[GuaranteeView] = field(default_factory=list)
    guarantee_count: int = 0  # all of them; ``guarantees`` may hold fewer

    def to_json(self) -> dict[str, Any]:
        return self.customer.to_json() | {
            "guarantees": [g.to_json() for g in self.guarantees],
            "guarantee_count": self.guarantee_count,
        }


def show_customer(db: Database, customer: str, *, limit: int = 500) -> CustomerDetail:
    """The customer (by ID, e-Net保証 ID or 商号) and its newest ``limit`` guarantees."""
    with db.reader() as s:
        c = resolve_customer(s, customer)
        rows = s.execute(
            select(Guarantee, col(Orderer.name), col(Orderer.prefecture))
            .join(Orderer, col(Orderer.id) == col(Guarantee.orderer_id))
            .where(col(Guarantee.customer_id) == c.id)
            .order_by(col(Guarantee.contract_date).desc(), col(Guarantee.id).desc())
            .limit(limit)
        ).all()
        total = len(rows)
        if total == limit:
            total = int(
                s.scalar(
                    select(func.count())
                    .select_from(Guarantee)
                    .where(col(Guarantee.customer_id) == c.id)
                )
                or 0
            )
        guarantees = [_guarantee_view(g, c.name, o, p) for g, o, p in rows]
        return CustomerDetail(customer_view(c), guarantees, total)
