"""証書: issuing, changing and correcting certificates, and checking 認証キー.

Every issue is a new :class:`~core.models.Certificate` row (version 1 = 新規, then one per
変更/訂正) holding a snapshot of the terms it was issued with, so every version stays
viewable. An electronic version gets a fresh 認証キー and, in the same transaction, an
:class:`~core.models.Outbox` row for the 「電子証書・認証キー登録のお知らせ」 mail: the
certificate and its notice are committed together or not at all.

The 認証キー is a secret: it leaves this module only in :class:`IssueResult` (the staff who
issued it), :func:`reveal_auth_key` and :func:`certificate_document` (for rendering the
お知らせ PDF); it is never written to the audit log, the outbox or a log line.
"""

from __future__ import annotations

import dataclasses
import hmac
import logging
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from core import dates
from core.db import Database
from core.eligibility import Verdict, submission_guidance
from core.errors import HoshoError, NotFoundError, ValidationError
from core.knowledge import Orderer as OrdererModel
from core.lifecycle import Action, ensure_allowed
from core.models import AuditEvent, Certificate, Customer, Guarantee, Orderer, Outbox, audit, now
from core.numbering import AUTH_KEY_LENGTH, is_valid_number, new_auth_key
from core.orderers import orderer_model
from core.services import (
    GuaranteeDraft,
    GuaranteeView,
    Terms,
    get_guarantee,
    json_value,
    parse_terms,
    term_warnings,
    verdict_for,
)
from core.terms import CertKind, Delivery, GType, Status

log = logging.getLogger(__name__)

NOTICE = "notice"  # Outbox.kind of the 電子証書・認証キー登録のお知らせ
NOTICE_TITLE = "電子証書・認証キー登録のお知らせ"

# verify(): after this many failures for one number within the window, each further
# attempt waits THROTTLE_BASE doubled per extra failure (at most THROTTLE_MAX).
VERIFY_WINDOW = timedelta(minutes=15)
VERIFY_FREE_FAILURES = 3
THROTTLE_BASE = timedelta(seconds=30)
THROTTLE_MAX = timedelta(minutes=15)

_MASK = "*" * AUTH_KEY_LENGTH
# Compared against when there is no key, so a wrong number costs the same as a wrong key.
_DUMMY_KEY = b"\x00" * AUTH_KEY_LENGTH


class CertificateError(HoshoError):
    """A certificate cannot be issued (with every reason)."""


class NeedsConfirmation(CertificateError):
    """The rules say 要確認: staff must check with the orderer, then issue with confirmed."""


class NotIssuedYet(CertificateError):
    """変更/訂正 of a guarantee with no certificate yet (a 訂正 then fixes the record only:
    :func:`correct_record`)."""


class MissingPaperFields(CertificateError):
    """A 保証証書 (paper) cannot be made: fields it prints are empty. ``fields`` names them
    (keys of :data:`CHANGEABLE`), so a front end can say where to fill them in."""

    def __init__(self, message: str, fields: list[str]) -> None:
        super().__init__(message)
        self.fields = fields


class VerifyThrottled(HoshoError):
    """Too many failed 認証キー checks for one number: wait before trying again. The key
    given was not checked at all: it may well be the right one."""

    def __init__(self, number: str, until: datetime, wait_seconds: int) -> None:
        self.number = number
        self.until = until
        self.wait_seconds = wait_seconds
        super().__init__(
            f"保証契約番号 {number} は照合の試行が続いたため、{_clock(until)}まで照合を止めて"
            f"います（正しい認証キーでも照合できません。{wait_seconds}秒後まで照合できません）"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "guarantee_number": self.number,
            "ok": None,  # not checked
            "version": None,
            "locked_until": self.until.isoformat(),
            "wait_seconds": self.wait_seconds,
        }


def _clock(at: datetime) -> str:
    """HH:MM (local time) by which the lock has surely ended: the minute is rounded up."""
    if at.second or at.microsecond:
        at = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return at.astimezone().strftime("%H:%M")


# --- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class IssueResult:
    """What ``certificate issue`` / ``guarantee change|correct`` did. Holds the new key."""

    certificate_id: int
    guarantee_number: str
    version: int
    kind: str  # 新規 / 変更 / 訂正
    delivery: str  # 電子 / 書面
    auth_key: str | None = field(repr=False)  # electronic only; shown once to the issuer
    notice_queued: bool
    message_id: str | None
    recipient: str | None
    issued_at: datetime
    verdict: dict[str, Any]
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    change_date: date | None = None  # 変更契約日 of a 変更

    def to_json(self) -> dict[str, Any]:
        return {
            "guarantee_number": self.guarantee_number,
            "version": self.version,
            "kind": self.kind,
            "delivery": self.delivery,
            "auth_key": self.auth_key,
            "notice_queued": self.notice_queued,
            "message_id": self.message_id,
            "recipient": self.recipient,
            "issued_at": self.issued_at.isoformat(),
            "eligible": self.verdict.get("eligible"),
            "verdict": self.verdict,
            "changes": {k: [json_value(a), json_value(b)] for k, (a, b) in self.changes.items()},
            "warnings": list(self.warnings),
            "change_date": json_value(self.change_date),
        }


@dataclass(frozen=True)
class CertificateView:
    """One version of a certificate; ``auth_key`` is masked unless revealed."""

    guarantee_number: str
    version: int
    kind: str
    delivery: str
    auth_key: str | None = field(repr=False)
    terms: dict[str, Any]
    issued_at: datetime
    issued_by: str
    notice_status: str | None  # outbox status, None when no notice was queued
    latest: bool
    change_date: date | None = None  # 変更契約日 of a 変更
    warnings: tuple[str, ...] = ()  # the limit and delivery warnings of this version's terms

    def to_json(self) -> dict[str, Any]:
        out = {k: json_value(v) for k, v in dataclasses.asdict(self).items()}
        out["warnings"] = list(self.warnings)
        return out


@dataclass(frozen=True)
class VerifyResult:
    guarantee_number: str
    ok: bool
    version: int | None  # the version the key opens (the latest electronic one)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class CertificateDocument:
    """Everything a notice or a paper certificate shows, for one version. Holds the key."""

    guarantee_number: str
    version: int
    kind: str
    delivery: str
    type: str  # 前払金 / 中間前払金 / 契約 / 契約保証予約
    auth_key: str | None = field(repr=False)
    customer_name: str
    customer_address: str
    customer_email: str
    orderer: str
    project_name: str
    contract_amount: int
    amount: int
    contract_date: date
    period_start: date | None
    period_end: date | None
    guarantee_end: date | None
    bank: str
    branch: str
    issued_at: datetime
    submission: tuple[str, ...]  # how to hand the お知らせ to this orderer
    company: str  # the surety company, as it was when the version was issued

    @property
    def category(self) -> str:
        """区分 on the お知らせ: 「前払金保証（新規）」."""
        return f"{self.type}保証（{self.kind}）"


# --- helpers -----------------------------------------------------------------------------


def _key(number: str) -> str:
    return unicodedata.normalize("NFKC", number).strip()


def _load(s: Session, number: str, *, lock: bool = False) -> tuple[Guarantee, Customer, Orderer]:
    stmt = (
        select(Guarantee, Customer, Orderer)
        .join(Customer, col(Customer.id) == col(Guarantee.customer_id))
        .join(Orderer, col(Orderer.id) == col(Guarantee.orderer_id))
        .where(col(Guarantee.number) == _key(number))
    )
    if lock:
        stmt = stmt.with_for_update(of=Guarantee)
    row = s.execute(stmt).first()
    if row is None:
        raise NotFoundError(f"保証契約番号「{number}」の保証は見つかりません")
    g, c, o = row
    return g, c, o


def _versions(s: Session, guarantee_id: int) -> list[Certificate]:
    return list(
        s.scalars(
            select(Certificate)
            .where(col(Certificate.guarantee_id) == guarantee_id)
            .order_by(col(Certificate.version))
        )
    )


def _snapshot(g: Guarantee, c: Customer, o: Orderer, branch: str) -> dict[str, Any]:
    """The terms printed on this version, kept as they were when it was issued."""
    return {
        "type": g.type,
        "customer_name": c.name,
        "customer_address": c.address,
        "orderer": o.name,
        "project_name": g.project_name,
        "contract_amount": g.contract_amount,
        "amount": g.amount,
        "contract_date": g.contract_date.isoformat(),
        "period_start": json_value(g.period_start),
        "period_end": json_value(g.period_end),
        "guarantee_end": json_value(g.guarantee_end),
        "bank": g.bank,
        "branch": branch,
        "company": _company(),
    }


def _draft_of(g: Guarantee) -> GuaranteeDraft:
    def d(value: date | None) -> str:
        return value.isoformat() if value else ""

    return GuaranteeDraft(
        type=g.type,
        project=g.project_name,
        contract_amount=str(g.contract_amount),
        amount=str(g.amount),
        contract_date=d(g.contract_date),
        period_start=d(g.period_start),
        period_end=d(g.period_end),
        guarantee_end=d(g.guarantee_end),
        kind=g.contract_kind,
        channel=g.channel,
        delivery=g.delivery,
        announcement_date=d(g.announcement_date),
        award_date=d(g.award_date),
        original_contract_date=d(g.original_contract_date),
        bank=g.bank,
    )


def _evaluate(
    s: Session,
    model: OrdererModel,
    t: Terms,
    cert_kind: CertKind,
    original_contract_date: date | None,
) -> Verdict:
    return verdict_for(s, model, t, cert_kind, original_contract_date=original_contract_date)


def header_problem(value: str) -> str | None:
    """Why ``value`` cannot go into a mail header (CR/LF or other control characters)."""
    if any(ch in value for ch in "\r\n"):
        return "改行が含まれています"
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        return "制御文字が含まれています"
    return None


def _recipient_problem(c: Customer) -> str | None:
    if not c.email.strip():
        return (
            f"受注者「{c.name}」にメールアドレスがないため、お知らせメールは送りません。"
            "認証キー等のお知らせは `hosho notice render` で作成して渡してください"
        )
    for label, value in (("メールアドレス", c.email), ("商号", c.name)):
        if (why := header_problem(value)) is not None:
            return (
                f"受注者の{label}に{why}。お知らせメールは送りません"
                "（受注者の登録内容を確認してください）"
            )
    return None


def notice_subject(number: str, kind: str) -> str:
    return f"{NOTICE_TITLE}（保証契約番号 {number}・{kind}）"


def notice_message_id(number: str, version: int, domain: str) -> str:
    """Stable per certificate version: a resend carries the same Message-ID."""
    return f"<hosho.{number}.v{version}@{domain}>"


def _mail_domain(mail_domain: str | None) -> str:
    if mail_domain:
        return mail_domain
    from core.settings import get_settings

    sender = get_settings().mail_from
    return sender.rpartition("@")[2] or "localhost"


def _queue_notice(
    s: Session, cert: Certificate, g: Guarantee, c: Customer, domain: str
) -> tuple[Outbox | None, str | None]:
    problem = _recipient_problem(c)
    if problem is not None:
        return None, problem
    assert cert.id is not None
    stamp = now()
    row = Outbox(
        certificate_id=cert.id,
        kind=NOTICE,
        message_id=notice_message_id(g.number, cert.version, domain),
        recipient=c.email.strip(),
        subject=notice_subject(g.number, cert.kind),
        status="pending",
        attempts=0,
        next_attempt_at=stamp,
        created_at=stamp,
        updated_at=stamp,
    )
    s.add(row)
    return row, None


def _refusal(verdict: Verdict, number: str) -> CertificateError:
    why = "／".join(r.text for r in verdict.blocking)
    return CertificateError(
        f"保証契約番号 {number} は電子証書にできません: {why}。"
        "書面で交付する場合は、交付方法「書面」の保証として登録してください"
    )


def _open_questions(verdict: Verdict, number: str) -> CertificateError:
    why = "／".join(r.text for r in verdict.open_questions)
    return NeedsConfirmation(
        f"保証契約番号 {number} は電子証書にできるか要確認です: {why}。"
        "発注者に確認できたら --confirmed を付けて発行してください"
    )


def _company() -> str:
    from core.settings import get_settings

    return get_settings().company


def _branch(branch: str | None) -> str:
    if branch:
        return branch
    from core.settings import get_settings

    return get_settings().branch


def _write_version(
    s: Session,
    g: Guarantee,
    c: Customer,
    o: Orderer,
    *,
    version: int,
    kind: CertKind,
    electronic: bool,
    operator: str,
    branch: str,
    mail_domain: str | None,
    stored_warnings: list[str],
    change_date: date | None = None,
) -> tuple[Certificate, Outbox | None, list[str]]:
    """The certificate row of one version, and its notice queued when electronic (the one
    place a notice is queued: every caller has checked the guarantee's state first)."""
    assert g.id is not None
    cert = Certificate(
        guarantee_id=g.id,
        version=version,
        kind=kind.value,
        delivery=(Delivery.ELECTRONIC if electronic else Delivery.PAPER).value,
        auth_key=new_auth_key() if electronic else None,
        terms=_snapshot(g, c, o, branch),
        change_date=change_date,
        warnings=list(stored_warnings),
        issued_at=now(),
        issued_by=operator,
    )
    s.add(cert)
    s.flush()
    warnings: list[str] = []
    outbox: Outbox | None = None
    if electronic:
        outbox, problem = _queue_notice(s, cert, g, c, _mail_domain(mail_domain))
        if problem:
            warnings.append(problem)
    return cert, outbox, warnings


def _result(
    g: Guarantee,
    cert: Certificate,
    outbox: Outbox | None,
    verdict: Verdict,
    warnings: list[str],
    changes: dict[str, tuple[Any, Any]] | None = None,
) -> IssueResult:
    assert cert.id is not None
    warnings = list(dict.fromkeys(warnings))  # each once
    return IssueResult(
        certificate_id=cert.id,
        guarantee_number=g.number,
        version=cert.version,
        kind=cert.kind,
        delivery=cert.delivery,
        auth_key=cert.auth_key,
        notice_queued=outbox is not None,
        message_id=outbox.message_id if outbox else None,
        recipient=outbox.recipient if outbox else None,
        issued_at=cert.issued_at,
        verdict=verdict.to_json(),
        changes=changes or {},
        warnings=tuple(warnings),
        change_date=cert.change_date,
    )


# What a 保証証書 prints that can be left empty when a guarantee is recorded.
PAPER_FIELDS = ("period_start", "period_end", "guarantee_end")


def _terms_values(t: Terms) -> dict[str, Any]:
    return {
        "period_start": t.period_start,
        "period_end": t.period_end,
        "guarantee_end": t.guarantee_end,
    }


def _labels(fields: list[str]) -> str:
    return "・".join(CHANGEABLE[f][2] for f in fields)


def _check_paper(number: str, values: dict[str, Any], kind: CertKind | None) -> None:
    """A 保証証書 is never made with an empty 工期 (it would print 「— から — まで」): refuse,
    naming the fields to fill. ``kind``: the 変更/訂正 being recorded (they can be given with
    it), None for the 新規 issue (the record is corrected first)."""
    missing = [f for f in PAPER_FIELDS if not values.get(f)]
    if not missing:
        return
    labels = _labels(missing)
    if kind is None:
        todo = f"訂正で{labels}を入力してから発行してください"
    else:
        todo = f"この{kind.value}と一緒に{labels}も指定してください"
    raise MissingPaperFields(
        f"保証契約番号 {number} の保証証書（書面）を作れません: {labels}が空です"
        f"（保証証書に記載する項目）。{todo}",
        missing,
    )


def paper_problem(doc: CertificateDocument) -> MissingPaperFields | None:
    """Why this version's 保証証書 cannot be printed (a version issued before the check, with
    an empty 工期), or None."""
    values = {f: getattr(doc, f) for f in PAPER_FIELDS}
    missing = [f for f in PAPER_FIELDS if not values[f]]
    if not missing:
        return None
    labels = _labels(missing)
    return MissingPaperFields(
        f"保証契約番号 {doc.guarantee_number} 第{doc.version}版の保証証書を作れません: "
        f"{labels}が空です（保証証書に記載する項目）。訂正で{labels}を入力すると、"
        "記載した次の版を発行できます",
        missing,
    )


def _conflict(number: str) -> HoshoError:
    return HoshoError(
        f"保証契約番号 {number} の証書は別の操作で同時に発行されました。"
        "内容を確認してやり直してください"
    )


# --- issue -------------------------------------------------------------------------------


def issue_certificate(
    db: Database,
    number: str,
    *,
    operator: str,
    confirmed: bool = False,
    branch: str | None = None,
    mail_domain: str | None = None,
) -> IssueResult:
    """Issue the 新規 certificate: electronic when delivery is 電子 and the rules allow it.

    A blocking verdict refuses with every reason; a 要確認 verdict refuses with the open
    questions unless ``confirmed`` (staff checked with the orderer). 書面 gives paper.
    """
    try:
        with db.session() as s:
            g, c, o = _load(s, number, lock=True)
            assert g.id is not None
            ensure_allowed(g, Action.ISSUE)
            if _versions(s, g.id):
                raise CertificateError(
                    f"保証契約番号 {g.number} の証書は発行済みです"
                    "（変更・訂正は hosho guarantee change / correct）"
                )
            terms = parse_terms(_draft_of(g))
            verdict = _evaluate(
                s, orderer_model(o), terms, CertKind.NEW, terms.original_contract_date
            )
            electronic = g.delivery == Delivery.ELECTRONIC.value
            if electronic and verdict.eligible is False:
                raise _refusal(verdict, g.number)
            if electronic and verdict.eligible is None and not confirmed:
                raise _open_questions(verdict, g.number)
            if not electronic:
                _check_paper(g.number, _terms_values(terms), None)
            stored = term_warnings(s, g.customer_id, g.orderer_id, terms, verdict)
            cert, outbox, warnings = _write_version(
                s,
                g,
                c,
                o,
                version=1,
                kind=CertKind.NEW,
                electronic=electronic,
                operator=operator,
                branch=_branch(branch),
                mail_domain=mail_domain,
                stored_warnings=stored,
            )
            g.status = Status.ISSUED.value
            g.warnings = stored
            g.eligibility = verdict.to_json()
            g.updated_at = cert.issued_at
            detail: dict[str, Any] = {
                "version": 1,
                "kind": cert.kind,
                "delivery": cert.delivery,
                "notice_queued": outbox is not None,
            }
            if electronic and verdict.eligible is None:
                detail["confirmed"] = True
                detail["open_questions"] = [r.text for r in verdict.open_questions]
            audit(s, operator, "certificate.issue", f"guarantee:{g.number}", **detail)
            result = _result(g, cert, outbox, verdict, stored + warnings)
    except IntegrityError as exc:
        raise _conflict(number) from exc
    log.info("certificate issued: %s v1 %s", result.guarantee_number, result.delivery)
    return result


# --- change / correct --------------------------------------------------------------------

# Flag name → (GuaranteeDraft field, Guarantee column, label)
CHANGEABLE: dict[str, tuple[str, str, str]] = {
    "amount": ("amount", "amount", "保証金額"),
    "contract_amount": ("contract_amount", "contract_amount", "請負金額"),
    "contract_date": ("contract_date", "contract_date", "契約締結日"),
    "period_start": ("period_start", "period_start", "工期（自）"),
    "period_end": ("period_end", "period_end", "工期（至）"),
    "guarantee_end": ("guarantee_end", "guarantee_end", "保証期限"),
    "project": ("project", "project_name", "工事名"),
    "bank": ("bank", "bank", "前払金取扱金融機関"),
}


def _given(kind: CertKind, changes: dict[str, str]) -> dict[str, str]:
    """The fields typed, checked to be ones a 変更/訂正 can change."""
    given = {k: v for k, v in changes.items() if v is not None and str(v).strip()}
    unknown = sorted(set(given) - set(CHANGEABLE))
    if unknown:
        raise ValidationError([f"変更できない項目です: {'・'.join(unknown)}"])
    if not given:
        labels = "・".join(label for _, _, label in CHANGEABLE.values())
        raise ValidationError([f"{kind.value}する項目を指定してください（{labels}）"])
    return given


def _apply(g: Guarantee, given: dict[str, str]) -> tuple[Terms, dict[str, tuple[Any, Any]]]:
    """The guarantee's terms with ``given`` applied, checked like a new guarantee, and what
    changes (column → (before, after)); nothing is written to ``g`` yet."""
    draft = _draft_of(g)
    # A 保証期限 that simply followed the 工期 keeps following it.
    if "period_end" in given and "guarantee_end" not in given and g.guarantee_end == g.period_end:
        draft.guarantee_end = ""
    for flag, value in given.items():
        setattr(draft, CHANGEABLE[flag][0], value)
    terms = parse_terms(draft)
    new_values = {
        "amount": terms.amount,
        "contract_amount": terms.contract_amount,
        "contract_date": terms.contract_date,
        "period_start": terms.period_start,
        "period_end": terms.period_end,
        "guarantee_end": terms.guarantee_end,
        "project_name": terms.project,
        "bank": terms.bank,
    }
    diff = {
        column: (getattr(g, column), value)
        for column, value in new_values.items()
        if getattr(g, column) != value
    }
    if not diff:
        raise ValidationError(["指定の内容は現在の内容と同じです（変わる項目がありません）"])
    return terms, diff


def _change_date(kind: CertKind, text: str | None, contract_date: date) -> date | None:
    """変更契約日: only for a 変更, not before the 契約締結日 of the original contract."""
    if text is None or not text.strip():
        return None
    if kind is not CertKind.CHANGE:
        raise ValidationError([("change_date", "変更契約日は変更のときだけ指定できます")])
    try:
        day = dates.parse_date(text)
    except dates.DateError as exc:
        raise ValidationError([("change_date", f"変更契約日: {exc}")]) from None
    if day < contract_date:
        raise ValidationError(
            [
                (
                    "change_date",
                    f"変更契約日 {dates.format_wareki(day)} が契約締結日 "
                    f"{dates.format_wareki(contract_date)} より前です",
                )
            ]
        )
    return day


def change_guarantee(
    db: Database,
    number: str,
    changes: dict[str, str],
    *,
    kind: CertKind,
    operator: str,
    confirmed: bool = False,
    branch: str | None = None,
    mail_domain: str | None = None,
    change_date: str | None = None,
) -> IssueResult:
    """Record a 変更 or 訂正 and issue the next version (a new key when electronic).

    ``changes`` maps the keys of :data:`CHANGEABLE` to what staff typed; every value is
    checked like a new guarantee (services.parse_terms). The new version's eligibility is
    judged with ``cert_kind`` = 変更/訂正 and the guarantee's original contract date, so a
    change to a contract concluded before the orderer's start stays paper where the rules
    say so (広島県, 島根県). Older versions keep their terms in their snapshots. A 変更 records
    its 変更契約日 (``change_date``); the limit and delivery warnings are checked again and
    stored with the version and the guarantee.
    """
    if kind is CertKind.NEW:
        raise ValidationError(["変更または訂正を指定してください"])
    given = _given(kind, changes)
    try:
        with db.session() as s:
            g, c, o = _load(s, number, lock=True)
            assert g.id is not None
            ensure_allowed(g, Action.CHANGE if kind is CertKind.CHANGE else Action.CORRECT)
            versions = _versions(s, g.id)
            if not versions:
                raise NotIssuedYet(
                    f"保証契約番号 {g.number} はまだ証書を発行していません"
                    "（発行は hosho certificate issue。発行前の記録の誤りは訂正で直せます）"
                )
            day = _change_date(kind, change_date, g.original_contract_date or g.contract_date)
            terms, diff = _apply(g, given)
            original = g.original_contract_date or g.contract_date
            verdict = _evaluate(s, orderer_model(o), terms, kind, original)
            wants_electronic = g.delivery == Delivery.ELECTRONIC.value
            if wants_electronic and verdict.eligible is None and not confirmed:
                raise _open_questions(verdict, g.number)
            electronic = wants_electronic and verdict.eligible is not False
            if not electronic:
                _check_paper(g.number, _terms_values(terms), kind)
            warnings: list[str] = []
            if wants_electronic and not electronic:
                why = "／".join(r.text for r in verdict.blocking)
                warnings.append(f"この{kind.value}は書面の保証証書になります: {why}")
            stored = term_warnings(s, g.customer_id, g.orderer_id, terms, verdict)
            for column, (_old, new) in diff.items():
                setattr(g, column, new)
            cert, outbox, more = _write_version(
                s,
                g,
                c,
                o,
                version=versions[-1].version + 1,
                kind=kind,
                electronic=electronic,
                operator=operator,
                branch=_branch(branch),
                mail_domain=mail_domain,
                stored_warnings=stored,
                change_date=day,
            )
            warnings.extend(more)
            g.eligibility = verdict.to_json()
            g.warnings = stored
            g.updated_at = cert.issued_at
            action = "certificate.change" if kind is CertKind.CHANGE else "certificate.correct"
            extra: dict[str, Any] = {"change_date": day.isoformat()} if day else {}
            audit(
                s,
                operator,
                action,
                f"guarantee:{g.number}",
                version=cert.version,
                delivery=cert.delivery,
                notice_queued=outbox is not None,
                changes={k: [json_value(a), json_value(b)] for k, (a, b) in diff.items()},
                **extra,
            )
            result = _result(g, cert, outbox, verdict, stored + warnings, diff)
    except IntegrityError as exc:
        raise _conflict(number) from exc
    log.info(
        "certificate %s: %s v%d %s",
        kind.value,
        result.guarantee_number,
        result.version,
        result.delivery,
    )
    return result


@dataclass(frozen=True)
class RecordCorrection:
    """A 訂正 of a guarantee with no certificate yet: the record is fixed, nothing issued."""

    guarantee: GuaranteeView
    changes: dict[str, tuple[Any, Any]]

    def to_json(self) -> dict[str, Any]:
        return self.guarantee.to_json() | {
            "changes": {k: [json_value(a), json_value(b)] for k, (a, b) in self.changes.items()},
            "certificate_issued": False,
        }


def correct_record(
    db: Database, number: str, changes: dict[str, str], *, operator: str
) -> RecordCorrection:
    """訂正 before the first issue (受付): the terms are fixed on the record, checked like a new
    guarantee, and the warnings checked again; no certificate is issued (the 新規 issue
    later prints the corrected terms). Audited as guarantee.correct."""
    given = _given(CertKind.CORRECTION, changes)
    with db.session() as s:
        g, _c, o = _load(s, number, lock=True)
        assert g.id is not None
        ensure_allowed(g, Action.CORRECT)
        if _versions(s, g.id):
            raise CertificateError(
                f"保証契約番号 {g.number} の証書は発行済みです。訂正は次の版の証書として発行します"
                "（内容を確認してやり直してください）"
            )
        terms, diff = _apply(g, given)
        verdict = _evaluate(s, orderer_model(o), terms, CertKind.NEW, terms.original_contract_date)
        for column, (_old, new) in diff.items():
            setattr(g, column, new)
        g.warnings = term_warnings(s, g.customer_id, g.orderer_id, terms, verdict)
        g.eligibility = verdict.to_json()
        g.updated_at = now()
        audit(
            s,
            operator,
            "guarantee.correct",
            f"guarantee:{g.number}",
            changes={k: [json_value(a), json_value(b)] for k, (a, b) in diff.items()},
        )
        number = g.number
    return RecordCorrection(get_guarantee(db, number), diff)


# --- history and the key -----------------------------------------------------------------


KEY_REVEAL = "certificate.reveal"  # staff had a 認証キー shown
KEY_COPY = "certificate.copy"  # staff copied a 認証キー to the clipboard (not shown)


def list_certificates(
    db: Database, number: str, *, reveal: bool = False, operator: str = ""
) -> list[CertificateView]:
    """Every version, oldest first. Keys are masked unless ``reveal`` (which is audited)."""
    with db.session() if reveal else db.reader() as s:
        g, _, _ = _load(s, number)
        assert g.id is not None
        certs = _versions(s, g.id)
        ids = [c.id for c in certs]
        statuses = dict(
            s.execute(
                select(col(Outbox.certificate_id), col(Outbox.status)).where(
                    col(Outbox.certificate_id).in_(ids), col(Outbox.kind) == NOTICE
                )
            ).all()
        )
        if reveal:
            audit(
                s,
                operator,
                KEY_REVEAL,
                f"guarantee:{g.number}",
                versions=[c.version for c in certs if c.auth_key],
            )
        last = certs[-1].version if certs else 0
        return [
            CertificateView(
                guarantee_number=g.number,
                version=c.version,
                kind=c.kind,
                delivery=c.delivery,
                auth_key=(c.auth_key if reveal else _MASK) if c.auth_key else None,
                terms=dict(c.terms),
                issued_at=c.issued_at,
                issued_by=c.issued_by,
                notice_status=statuses.get(c.id),
                latest=c.version == last,
                change_date=c.change_date,
                warnings=tuple(c.warnings or ()),
            )
            for c in certs
        ]


def _certificate(s: Session, g: Guarantee, version: int | None) -> Certificate:
    assert g.id is not None
    stmt = select(Certificate).where(col(Certificate.guarantee_id) == g.id)
    if version is None:
        stmt = stmt.order_by(col(Certificate.version).desc())
    else:
        stmt = stmt.where(col(Certificate.version) == version)
    cert = s.scalars(stmt.limit(1)).first()
    if cert is None:
        if version is None:
            raise NotFoundError(f"保証契約番号 {g.number} の証書はまだ発行されていません")
        raise NotFoundError(f"保証契約番号 {g.number} に第{version}版の証書はありません")
    return cert


def reveal_auth_key(
    db: Database, number: str, version: int | None = None, *, operator: str, copy: bool = False
) -> str:
    """The 認証キー of one version (default: latest); audited, never logged. ``copy``: staff
    copy it to the clipboard rather than have it shown, audited as such (certificate.copy)."""
    with db.session() as s:
        g, _, _ = _load(s, number)
        cert = _certificate(s, g, version)
        if cert.auth_key is None:
            raise NotFoundError(
                f"保証契約番号 {g.number} 第{cert.version}版は書面の証書です"
                "（認証キーはありません）"
            )
        action = KEY_COPY if copy else KEY_REVEAL
        audit(s, operator, action, f"guarantee:{g.number}", versions=[cert.version])
        return cert.auth_key


def _submission_lines(model: OrdererModel, gtype: GType) -> tuple[str, ...]:
    lines = [x for x in model.submission if not x.types or gtype in x.types]
    out = []
    for line in lines:
        where = f"（提出先: {line.to}）" if line.to else ""
        out.append(f"{model.name}へは{line.method}で提出してください{where}。")
    return tuple(out)


def _document(
    s: Session, g: Guarantee, c: Customer, o: Orderer, cert: Certificate
) -> CertificateDocument:
    t = cert.terms

    def d(name: str) -> date | None:
        value = t.get(name)
        return date.fromisoformat(value) if value else None

    gtype = GType(t.get("type", g.type))
    contract_date = d("contract_date") or g.contract_date
    return CertificateDocument(
        guarantee_number=g.number,
        version=cert.version,
        kind=cert.kind,
        delivery=cert.delivery,
        type=gtype.value,
        auth_key=cert.auth_key,
        customer_name=t.get("customer_name", c.name),
        customer_address=t.get("customer_address", c.address),
        customer_email=c.email,
        orderer=t.get("orderer", o.name),
        project_name=t.get("project_name", g.project_name),
        contract_amount=int(t.get("contract_amount", g.contract_amount)),
        amount=int(t.get("amount", g.amount)),
        contract_date=contract_date,
        period_start=d("period_start"),
        period_end=d("period_end"),
        guarantee_end=d("guarantee_end"),
        bank=t.get("bank", g.bank),
        branch=t.get("branch") or _branch(None),
        company=t.get("company") or _company(),
        issued_at=cert.issued_at,
        submission=_submission_lines(orderer_model(o), gtype),
    )


def certificate_document(
    db: Database,
    number: str,
    version: int | None = None,
    *,
    operator: str | None = None,
    purpose: str = "",
) -> CertificateDocument:
    """The data of one version (default: latest) for rendering. Contains the 認証キー;
    with ``operator`` the access is audited (staff rendering the お知らせ by hand). Refused
    for a cancelled guarantee (core.lifecycle)."""
    with db.session() if operator else db.reader() as s:
        g, c, o = _load(s, number)
        ensure_allowed(g, Action.NOTICE)
        cert = _certificate(s, g, version)
        if operator:
            audit(
                s,
                operator,
                "certificate.render",
                f"guarantee:{g.number}",
                version=cert.version,
                delivery=cert.delivery,
                format=purpose,
            )
        return _document(s, g, c, o, cert)


def document_for_certificate(s: Session, certificate_id: int) -> CertificateDocument:
    """Like :func:`certificate_document`, by certificate id (the outbox sender's way in)."""
    row = s.execute(
        select(Certificate, Guarantee, Customer, Orderer)
        .join(Guarantee, col(Guarantee.id) == col(Certificate.guarantee_id))
        .join(Customer, col(Customer.id) == col(Guarantee.customer_id))
        .join(Orderer, col(Orderer.id) == col(Guarantee.orderer_id))
        .where(col(Certificate.id) == certificate_id)
    ).first()
    if row is None:
        raise NotFoundError(f"証書（id {certificate_id}）が見つかりません")
    cert, g, c, o = row
    return _document(s, g, c, o, cert)


def document_title(delivery: str) -> str:
    """What a version's document is: the お知らせ (電子) or the paper 保証証書 (書面)."""
    return "認証キー等のお知らせ" if delivery == Delivery.ELECTRONIC.value else "保証証書"


def document_filename(number: str, delivery: str, fmt: str = "pdf") -> str:
    """The file staff hand out: 「保証証書_2070000001.pdf」 or 「認証キー等のお知らせ_….pdf」."""
    ext = {"text": "txt"}.get(fmt, fmt)
    return f"{document_title(delivery)}_{number}.{ext}"


# The FAQ entry on what electronic delivery spares the contractor (merits-contractor) says what
# a paper certificate asks of them; this is its source.
_PAPER_SOURCE = "saga-guide-2026"


def paper_guidance(g: GuaranteeView, latest_delivery: str | None) -> list[str]:
    """What staff do with a paper 保証証書, for a guarantee delivered on paper (書面, or whose
    latest version was issued on paper); empty for an electronic one."""
    paper = Delivery.PAPER.value
    if g.delivery != paper and latest_delivery != paper:
        return []
    from core.knowledge import KnowledgeError, cite

    try:
        source = cite(_PAPER_SOURCE)
    except KnowledgeError:
        source = ""
    name = document_filename(g.guarantee_number, paper)
    lines = [
        "書面の保証証書で交付します（認証キーとお知らせメールはありません）。",
        f"証書の発行後、保証証書のPDF（{name}）を作成して印刷し、受注者様に交付します。",
        "受注者様は保証証書を郵送か来店で受け取り、発注者様へ郵送または持参して提出します。"
        "提出まで証書を保管していただくので、紛失のないようお伝えください"
        + (f"（出典: {source}）。" if source else "。"),
        "変更・訂正のたびに次の版の保証証書を交付します。新しい版はそれまでの版に代わるもの"
        "です（証書に記載）。",
    ]
    if g.status not in (Status.RECORDED.value, Status.ISSUED.value):
        lines = [f"この保証は{g.status}済みのため、保証証書の新たな発行はありません。"]
    return lines


def submission_text(db: Database, number: str) -> str:
    """The staff-facing submission guidance for this guarantee's orderer and type."""
    with db.reader() as s:
        g, _, o = _load(s, number)
        return submission_guidance(orderer_model(o), GType(g.type))


# --- verify ------------------------------------------------------------------------------

VERIFY_OK = "certificate.verify"
VERIFY_FAILED = "certificate.verify_failed"
VERIFY_REFUSED = "certificate.verify_refused"
_VERIFY_LOCK_SPACE = 20260813  # first key of the advisory locks of verify (PostgreSQL)


def _normalize_key(key: str) -> bytes:
    text = unicodedata.normalize("NFKC", key).strip().upper()
    return text.replace(" ", "").replace("-", "").encode("utf-8", "replace")


def _one_at_a_time(s: Session, target: str) -> None:
    """Checks of one number run one after the other, each seeing the failures recorded before
    it (else simultaneous wrong keys all pass the throttle). SQLite: the write lock of BEGIN
    IMMEDIATE; PostgreSQL: a transaction lock on the number (it may name no guarantee)."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(select(func.pg_advisory_xact_lock(_VERIFY_LOCK_SPACE, func.hashtext(target))))
    else:
        s.connection()  # begins the transaction: BEGIN IMMEDIATE


def _wait(s: Session, target: str, at: datetime) -> timedelta | None:
    """How long this number is locked out after repeated failures (None: not locked)."""
    rows = s.execute(
        select(col(AuditEvent.at), col(AuditEvent.action))
        .where(
            col(AuditEvent.target) == target,
            col(AuditEvent.action).in_([VERIFY_OK, VERIFY_FAILED]),
            col(AuditEvent.at) >= at - VERIFY_WINDOW,
        )
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    ).all()
    failures: list[datetime] = []
    for when, action in rows:
        failures = [] if action == VERIFY_OK else [*failures, when]
    if len(failures) < VERIFY_FREE_FAILURES:
        return None
    extra = len(failures) - VERIFY_FREE_FAILURES
    delay = min(THROTTLE_BASE * (2**extra), THROTTLE_MAX)
    until = failures[-1] + delay
    return until - at if until > at else None


def verify(db: Database, number: str, key: str, *, operator: str) -> VerifyResult:
    """Do this 保証契約番号 and 認証キー belong together (the orderer's D-Sure check)?

    The key is compared in constant time against the latest electronic version; a wrong
    number walks the same path against a dummy key. Failures are counted per number in
    the audit log: after three within 15 minutes each further attempt is refused for a
    growing delay (and audited) without being checked, so the refusal says that even the
    right key waits, and until when. Checks of one number run one at a time (on PostgreSQL
    too), so simultaneous attempts cannot slip past the limit. The key itself is never
    logged nor audited.
    """
    number = _key(number)
    if not is_valid_number(number):
        raise ValidationError([f"保証契約番号「{number[:20]}」は10桁の数字ではありません"])
    target = f"guarantee:{number}"
    given = _normalize_key(key)
    with db.session() as s:
        _one_at_a_time(s, target)
        stamp = now()
        wait = _wait(s, target, stamp)
        if wait is not None:
            seconds = max(1, int(wait.total_seconds() + 0.999))
            audit(s, operator, VERIFY_REFUSED, target, wait_seconds=seconds)
            refused: VerifyThrottled | None = VerifyThrottled(number, stamp + wait, seconds)
        else:
            refused = None
            stored: bytes | None = None
            version: int | None = None
            g = s.scalars(select(Guarantee).where(col(Guarantee.number) == number)).first()
            if g is not None:
                cert = s.scalars(
                    select(Certificate)
                    .where(
                        col(Certificate.guarantee_id) == g.id,
                        col(Certificate.auth_key).is_not(None),
                    )
                    .order_by(col(Certificate.version).desc())
                    .limit(1)
                ).first()
                if cert is not None and cert.auth_key is not None:
                    stored, version = cert.auth_key.encode("ascii"), cert.version
            match = hmac.compare_digest(given, stored if stored is not None else _DUMMY_KEY)
            ok = match and stored is not None
            if ok:
                audit(s, operator, VERIFY_OK, target, version=version)
            else:
                audit(s, operator, VERIFY_FAILED, target, reason="mismatch")
            result = VerifyResult(number, ok, version if ok else None)
    if refused is not None:
        raise refused
    return result


def failures_in_window(db: Database, number: str) -> int:
    """Failed checks for ``number`` in the current window (for staff screens and tests)."""
    with db.reader() as s:
        since = now() - VERIFY_WINDOW
        count = s.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                col(AuditEvent.target) == f"guarantee:{_key(number)}",
                col(AuditEvent.action) == VERIFY_FAILED,
                col(AuditEvent.at) >= since,
            )
        )
        return int(count or 0)
