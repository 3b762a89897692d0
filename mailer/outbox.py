"""The durable outbox: notices queued with their certificate, sent later, never lost.

A row is written in the certificate's own transaction (core.certificates). Sending:

1. claim — in a short transaction, due rows move to ``sending`` with a lease
   (``next_attempt_at`` = now + 10 min) and ``attempts`` + 1;
2. build the mail with the お知らせ PDF kept when the certificate was issued (NoticeFile;
   rendered now if it is missing) and send it over one SMTP connection reused for the batch.
   The outbox row itself never holds the 認証キー;
3. mark — in another short transaction: ``sent`` (with ``sent_at``), or back to ``pending``
   with the error and the next attempt (exponential backoff with jitter) for 4xx, timeouts
   and dropped connections, or ``failed`` for 5xx (staff look, fix, ``outbox send --all``).

If the process or the SMTP server dies between 2 and 3, the row stays ``sending`` until the
lease runs out and is then sent again with the same Message-ID: the one possible duplicate
(the recipient's mail program can tell it by the Message-ID). Nothing is ever lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from core.certificates import NOTICE, CertificateDocument, document_for_certificate
from core.db import Database
from core.errors import HoshoError, ValidationError
from core.lifecycle import Action, statuses_refusing
from core.models import Certificate, Guarantee, NoticeFile, Outbox
from core.services import now
from mailer.render import build_notice_message, render_notice_pdf
from mailer.smtp import SendError, SmtpClient, SmtpConfig

log = logging.getLogger(__name__)

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
STATUSES = (PENDING, SENDING, SENT, FAILED)

LEASE = timedelta(minutes=10)  # a row stuck in `sending` this long is due again
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=6)
MAX_ATTEMPTS = 12  # then failed for staff (about two days of retries)
BATCH = 50  # rows claimed per transaction


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after ``attempts`` tries: doubling, capped, with jitter
    (between half and all of it, so many messages failing at once do not retry at once)."""
    full: timedelta = min(BACKOFF_MAX, BACKOFF_BASE * (2 ** max(0, attempts - 1)))
    return full * random.uniform(0.5, 1.0)


def _scrub(text: str, secret: str | None) -> str:
    text = text.replace("\r", " ").replace("\n", " ")
    if secret:
        text = text.replace(secret, "**********")
    return text[:500]


# --- views -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxView:
    id: int
    guarantee_number: str
    version: int
    kind: str
    message_id: str
    recipient: str
    subject: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in self.__dict__.items():
            out[k] = v.isoformat() if isinstance(v, datetime) else v
        return out


def list_outbox(db: Database, status: str | None = None, limit: int = 500) -> list[OutboxView]:
    if status is not None and status not in STATUSES:
        raise ValidationError([f"状態「{status}」は使えません（{'・'.join(STATUSES)}）"])
    with db.reader() as s:
        stmt = (
            select(Outbox, col(Guarantee.number), col(Certificate.version))
            .join(Certificate, col(Certificate.id) == col(Outbox.certificate_id))
            .join(Guarantee, col(Guarantee.id) == col(Certificate.guarantee_id))
            .order_by(col(Outbox.id).desc())
            .limit(limit)
        )
        if status:
            stmt = stmt.where(col(Outbox.status) == status)
        out = []
        for row, number, version in s.execute(stmt).all():
            assert row.id is not None
            out.append(
                OutboxView(
                    id=row.id,
                    guarantee_number=number,
                    version=version,
                    kind=row.kind,
                    message_id=row.message_id,
                    recipient=row.recipient,
                    subject=row.subject,
                    status=row.status,
                    attempts=row.attempts,
                    last_error=row.last_error,
                    next_attempt_at=row.next_attempt_at,
                    created_at=row.created_at,
                    updated_at=row.updated_at,
                    sent_at=row.sent_at,
                )
            )
        return out


# --- report ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """What happened to one message in this run."""

    message_id: str
    guarantee_number: str
    version: int
    recipient: str
    status: str  # sent / pending (will be retried) / failed
    error: str | None = None
    next_attempt_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "guarantee_number": self.guarantee_number,
            "version": self.version,
            "recipient": self.recipient,
            "status": self.status,
            "error": self.error,
            "next_attempt_at": self.next_attempt_at.isoformat() if self.next_attempt_at else None,
        }


@dataclass
class SendReport:
    attempts: list[Attempt] = field(default_factory=list)
    stopped: str | None = None  # the connection-level error that ended the run early

    @property
    def sent(self) -> int:
        return sum(a.status == SENT for a in self.attempts)

    @property
    def retrying(self) -> int:
        return sum(a.status == PENDING for a in self.attempts)

    @property
    def failed(self) -> int:
        return sum(a.status == FAILED for a in self.attempts)

    @property
    def ok(self) -> bool:
        return self.retrying == 0 and self.failed == 0 and self.stopped is None

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "sent": self.sent,
            "retrying": self.retrying,
            "failed": self.failed,
            "stopped": self.stopped,
            "messages": [a.to_json() for a in self.attempts],
        }


# --- claim and mark ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Job:
    id: int
    certificate_id: int
    message_id: str
    recipient: str
    subject: str
    attempts: int
    guarantee_number: str
    version: int


def _claim(db: Database, at: datetime, *, all_: bool, exclude: set[int], limit: int) -> list[_Job]:
    expired = and_(col(Outbox.status) == SENDING, col(Outbox.next_attempt_at) <= at)
    if all_:
        due = or_(col(Outbox.status).in_([PENDING, FAILED]), expired)
    else:
        due = or_(and_(col(Outbox.status) == PENDING, col(Outbox.next_attempt_at) <= at), expired)
    # A cancelled guarantee's notices are never sent, not even with --all (core.lifecycle).
    unmailable = (
        select(col(Certificate.id))
        .join(Guarantee, col(Guarantee.id) == col(Certificate.guarantee_id))
        .where(col(Guarantee.status).in_(statuses_refusing(Action.MAIL)))
    )
    with db.session() as s:
        stmt = (
            select(Outbox)
            .where(due, col(Outbox.certificate_id).not_in(unmailable))
            .order_by(col(Outbox.id))
            .limit(limit)
        )
        if exclude:
            stmt = stmt.where(col(Outbox.id).not_in(exclude))
        # PostgreSQL: concurrent senders skip each other's rows; SQLite: BEGIN IMMEDIATE
        # already serializes the writers.
        rows = list(s.scalars(stmt.with_for_update(skip_locked=True)))
        if not rows:
            return []
        facts = {
            cid: (number, version)
            for cid, number, version in s.execute(
                select(col(Certificate.id), col(Guarantee.number), col(Certificate.version))
                .join(Guarantee, col(Guarantee.id) == col(Certificate.guarantee_id))
                .where(col(Certificate.id).in_([r.certificate_id for r in rows]))
            ).all()
        }
        jobs = []
        for r in rows:
            assert r.id is not None
            r.status = SENDING
            r.attempts += 1
            r.next_attempt_at = at + LEASE
            r.updated_at = at
            jobs.append(
                _Job(
                    r.id,
                    r.certificate_id,
                    r.message_id,
                    r.recipient,
                    r.subject,
                    r.attempts,
                    *facts[r.certificate_id],
                )
            )
        return jobs


def _mark(db: Database, job: _Job, **values: Any) -> None:
    with db.session() as s:
        s.execute(
            update(Outbox)
            .where(col(Outbox.id) == job.id, col(Outbox.status) == SENDING)
            .values(updated_at=now(), **values)
        )


def _mark_sent(db: Database, job: _Job) -> None:
    at = now()
    _mark(db, job, status=SENT, sent_at=at, next_attempt_at=None, last_error=None)


def _mark_retry(db: Database, job: _Job, error: str) -> datetime | None:
    if job.attempts >= MAX_ATTEMPTS:
        _mark(db, job, status=FAILED, last_error=error, next_attempt_at=None)
        return None
    when = now() + backoff(job.attempts)
    _mark(db, job, status=PENDING, last_error=error, next_attempt_at=when)
    return when


def _mark_failed(db: Database, job: _Job, error: str) -> None:
    _mark(db, job, status=FAILED, last_error=error, next_attempt_at=None)


def _release(db: Database, job: _Job, error: str, when: datetime) -> None:
    """Put back a claimed row that was never tried (the run stopped before it)."""
    _mark(
        db, job, status=PENDING, attempts=job.attempts - 1, last_error=error, next_attempt_at=when
    )


# --- sending -----------------------------------------------------------------------------------


def _attempt(
    job: _Job, status: str, error: str | None = None, when: datetime | None = None
) -> Attempt:
    return Attempt(
        job.message_id, job.guarantee_number, job.version, job.recipient, status, error, when
    )


@dataclass(frozen=True)
class _Prepared:
    """A built message, or why it could not be built. Holds the key only to scrub errors."""

    message: Any = None
    key: str | None = field(default=None, repr=False)
    error: str | None = None
    rendered: bytes | None = field(default=None, repr=False)  # a PDF made now, to keep


def prepare_notice(db: Database, certificate_id: int, settings: Any = None) -> bool:
    """Render and keep the お知らせ PDF and the notice mail of a newly issued electronic
    certificate, so that sending later only reads them. False for a paper certificate.
    Safe to call twice."""
    with db.reader() as s:
        if s.get(NoticeFile, certificate_id) is not None:
            return True
        doc = document_for_certificate(s, certificate_id)
        row = s.scalars(
            select(Outbox).where(
                col(Outbox.certificate_id) == certificate_id, col(Outbox.kind) == NOTICE
            )
        ).first()
    if doc.auth_key is None:
        return False
    pdf = render_notice_pdf(doc)
    message = sender = None
    if row is not None:
        if settings is None:
            from core.settings import get_settings

            settings = get_settings()
        sender = SmtpConfig.from_settings(settings).mail_from
        built = build_notice_message(
            doc,
            sender=sender,
            recipient=row.recipient,
            subject=row.subject,
            message_id=row.message_id,
            pdf=pdf,
        )
        message = built.as_bytes()
    _keep(db, certificate_id, pdf, message, sender)
    return True


def _keep(
    db: Database, certificate_id: int, pdf: bytes, message: bytes | None, sender: str | None
) -> None:
    try:
        with db.session() as s:
            s.add(
                NoticeFile(
                    certificate_id=certificate_id,
                    pdf=pdf,
                    message=message,
                    sender=sender,
                    created_at=now(),
                )
            )
    except IntegrityError:
        pass  # another sender kept the same document first


def _build(doc: CertificateDocument, job: _Job, config: SmtpConfig, pdf: bytes | None) -> _Prepared:
    """Build the mail, rendering the お知らせ PDF if it was not kept at issue time (CPU only,
    no database: runs in a thread)."""
    rendered = None
    try:
        if pdf is None:
            pdf = rendered = render_notice_pdf(doc)
        message = build_notice_message(
            doc,
            sender=config.mail_from,
            recipient=job.recipient,
            subject=job.subject,
            message_id=job.message_id,
            pdf=pdf,
        )
    except HoshoError as exc:
        return _Prepared(key=doc.auth_key, error=_scrub(str(exc), doc.auth_key))
    except Exception as exc:  # a bug or a broken font: keep the row for staff, go on
        log.error("notice %s not built: %s", job.message_id, type(exc).__name__)
        error = f"お知らせを作成できません（{type(exc).__name__}）"
        return _Prepared(key=doc.auth_key, error=error)
    return _Prepared(message, doc.auth_key, rendered=rendered)


def _prepare_now(db: Database, job: _Job, config: SmtpConfig) -> _Prepared:
    with db.reader() as s:
        kept = s.get(NoticeFile, job.certificate_id)
        if kept is not None and kept.message is not None and kept.sender == config.mail_from:
            # The mail built at issue time: byte for byte what every retry sends.
            key = s.scalar(
                select(col(Certificate.auth_key)).where(col(Certificate.id) == job.certificate_id)
            )
            return _Prepared(kept.message, key)
        pdf = kept.pdf if kept is not None else None
        try:
            doc = document_for_certificate(s, job.certificate_id)
        except HoshoError as exc:
            return _Prepared(error=_scrub(str(exc), None))
    prepared = _build(doc, job, config, pdf)
    if prepared.rendered is not None:
        _keep(db, job.certificate_id, prepared.rendered, None, None)
    return prepared


async def _prepare(db: Database, job: _Job, config: SmtpConfig) -> _Prepared:
    # In a worker thread, building the next message overlaps the SMTP round trips of the
    # one before it (the event loop waits on the socket, not on the GIL).
    return await asyncio.to_thread(_prepare_now, db, job, config)


async def _send_one(
    db: Database, client: SmtpClient, job: _Job, prepared: _Prepared
) -> tuple[Attempt, bool]:
    """Send one claimed row; returns what happened and whether the run must stop."""
    if prepared.error is not None or prepared.message is None:
        error = prepared.error or "お知らせを作成できません"
        _mark_failed(db, job, error)
        log.warning("notice %s not built: %s", job.message_id, error)
        return _attempt(job, FAILED, error), False
    try:
        await client.send(prepared.message, recipients=[job.recipient])
    except SendError as exc:
        error = _scrub(str(exc), prepared.key)
        if exc.retry:
            when = _mark_retry(db, job, error)
            status = PENDING if when else FAILED
        else:
            _mark_failed(db, job, error)
            when, status = None, FAILED
        log.warning("notice %s not sent (%s): %s", job.message_id, status, error)
        return _attempt(job, status, error, when), exc.session
    _mark_sent(db, job)
    log.info("notice sent: %s", job.message_id)
    return _attempt(job, SENT), False


async def send_pending_async(
    db: Database, settings: Any, all_: bool = False, *, batch: int = BATCH
) -> SendReport:
    """Send every due notice (``all_``: every unsent one now, ignoring the backoff).

    One message is rendered ahead while the current one is on the wire.
    """
    config = SmtpConfig.from_settings(settings)
    report = SendReport()
    tried: set[int] = set()
    async with SmtpClient(config) as client:
        while True:
            jobs = _claim(db, now(), all_=all_, exclude=tried, limit=batch)
            if not jobs:
                break
            tried.update(j.id for j in jobs)
            ahead = asyncio.ensure_future(_prepare(db, jobs[0], config))
            try:
                for i, job in enumerate(jobs):
                    prepared = await ahead
                    if i + 1 < len(jobs):
                        ahead = asyncio.ensure_future(_prepare(db, jobs[i + 1], config))
                    attempt, stop = await _send_one(db, client, job, prepared)
                    report.attempts.append(attempt)
                    if stop:
                        report.stopped = attempt.error
                        when = attempt.next_attempt_at or now() + backoff(1)
                        for rest in jobs[i + 1 :]:
                            _release(db, rest, attempt.error or "", when)
                            report.attempts.append(_attempt(rest, PENDING, attempt.error, when))
                        return report
            finally:
                if not ahead.done():
                    ahead.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await ahead
    return report


def send_pending(db: Database, settings: Any, all_: bool = False) -> SendReport:
    """Synchronous entry point for the command line."""
    return asyncio.run(send_pending_async(db, settings, all_))
