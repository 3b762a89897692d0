"""The durable outbox: notices queued with their certificate, sent later, each delivered once.

A row is written in the certificate's own transaction (core.certificates). A sending run
(``send_pending``) takes the due rows one at a time, in id order, each database step a
short transaction (run one at a time in a worker thread: a busy database never stalls an
SMTP exchange):

1. claim — the next due row becomes ``sending`` with ``attempts`` + 1 and a lease
   (``next_attempt_at`` = now + 10 min). The lease expiry the run wrote is its claim token:
   its later writes are ``WHERE id = ? AND status = 'sending' AND next_attempt_at = <token>``
   (but ``sent``, see 5) and change nothing once another run has taken the row. While the
   run holds a row it renews the lease every third of it, also while the mail is on the wire;
2. build the mail: the one kept at issue time (NoticeFile) byte for byte, or built from the
   kept お知らせ PDF (rendered now if missing). The outbox row itself never holds the
   認証キー. Steps 1–2 for the next row run in worker threads while the current row's mail
   is on the wire;
3. confirm — just before sending, the lease is renewed; if that matches no row (the lease
   ran out and another run took it), this run does not send it;
4. send over one SMTP connection reused for the run;
5. mark — ``sent`` (with ``sent_at``, whoever holds the row by then: a run that took it over
   finds it sent and does not send it; retried while the database is busy, up to PATIENCE),
   or back to ``pending`` with the error and the next attempt (exponential backoff with
   jitter) for 4xx, timeouts and dropped connections, or ``failed`` for a 5xx refusing this
   message (staff look, fix, ``outbox send --all``).

A configuration problem that every message would meet (cannot connect, TLS, login, the
server refusing our sender: mailer.smtp) stops the run, and the row being tried goes back
exactly as it was (status, attempts, next_attempt_at), as do rows claimed but not yet tried.
A database error also stops the run. Either way the report lists every message sent:
accepted by the server means reported as sent, even if recording it failed.

If the process dies between 4 and 5 (or the database stays locked past PATIENCE), the row
stays ``sending`` until the lease runs out and is then sent again with the same Message-ID:
the one possible duplicate (the recipient's mail program can tell it by the Message-ID).
Nothing is ever lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlmodel import col

from core.certificates import NOTICE, CertificateDocument, document_for_certificate
from core.db import Database
from core.errors import HoshoError, ValidationError
from core.lifecycle import Action, statuses_refusing
from core.models import Certificate, Guarantee, NoticeFile, Outbox, now
from mailer.render import build_notice_message, render_notice_pdf
from mailer.smtp import SendError, SmtpClient, SmtpConfig

log = logging.getLogger(__name__)

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
STATUSES = (PENDING, SENDING, SENT, FAILED)

LEASE = timedelta(minutes=10)  # a row in `sending` not renewed this long is due again
PATIENCE = timedelta(minutes=2)  # recording an accepted message is retried this long
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=6)
MAX_ATTEMPTS = 12  # then failed for staff (about two days of retries)

P = ParamSpec("P")
T = TypeVar("T")


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


# --- claim, renew and mark -----------------------------------------------------------------------


@dataclass
class _Job:
    """A row this run claimed. ``lease`` is the lease expiry the run last wrote: its claim
    token, so every later write is ``WHERE id = ? AND status = 'sending' AND
    next_attempt_at = lease`` and does nothing once another run has taken the row."""

    id: int
    certificate_id: int
    message_id: str
    recipient: str
    subject: str
    attempts: int
    guarantee_number: str
    version: int
    lease: datetime
    before: dict[str, Any]  # the columns the claim changed, as they were: put back if not tried
    tried: bool = False  # its send started: never put back (it may have been accepted)


def _ours(job: _Job) -> tuple[Any, ...]:
    return (
        col(Outbox.id) == job.id,
        col(Outbox.status) == SENDING,
        col(Outbox.next_attempt_at) == job.lease,
    )


def _claim(db: Database, *, all_: bool, exclude: set[int], lease: timedelta) -> _Job | None:
    """The next due row, moved to ``sending`` with a lease and ``attempts`` + 1."""
    at = now()
    expired = and_(col(Outbox.status) == SENDING, col(Outbox.next_attempt_at) <= at)
    if all_:
        due = or_(col(Outbox.status).in_([PENDING, FAILED]), expired)
    else:
        due = or_(and_(col(Outbox.status) == PENDING, col(Outbox.next_attempt_at) <= at), expired)
    with db.session() as s:
        # A cancelled guarantee's notices are never sent, not even with --all (core.lifecycle).
        stmt = (
            select(Outbox, col(Guarantee.number), col(Certificate.version))
            .join(Certificate, col(Certificate.id) == col(Outbox.certificate_id))
            .join(Guarantee, col(Guarantee.id) == col(Certificate.guarantee_id))
            .where(due, col(Guarantee.status).not_in(statuses_refusing(Action.MAIL)))
            .order_by(col(Outbox.id))
            .limit(1)
        )
        if exclude:
            stmt = stmt.where(col(Outbox.id).not_in(exclude))
        # PostgreSQL: concurrent senders skip each other's rows; SQLite: BEGIN IMMEDIATE
        # already serializes the writers.
        found = s.execute(stmt.with_for_update(skip_locked=True, of=Outbox)).first()
        if found is None:
            return None
        r, number, version = found
        assert r.id is not None
        before = {
            "status": r.status,
            "attempts": r.attempts,
            "next_attempt_at": r.next_attempt_at,
            "updated_at": r.updated_at,
        }
        r.status, r.attempts, r.updated_at = SENDING, r.attempts + 1, at
        r.next_attempt_at = lease_until = at + lease
        return _Job(
            r.id,
            r.certificate_id,
            r.message_id,
            r.recipient,
            r.subject,
            r.attempts,
            number,
            version,
            lease_until,
            before,
        )


def _changed(result: Any) -> bool:
    return bool(getattr(result, "rowcount", 0))


def _renew(db: Database, job: _Job, lease: timedelta) -> bool:
    """Extend the lease if the row is still ours (False: another run has taken it)."""
    until = now() + lease
    with db.session() as s:
        mine = _changed(s.execute(update(Outbox).where(*_ours(job)).values(next_attempt_at=until)))
    if mine:
        job.lease = until
    return mine


def _mark(db: Database, job: _Job, **values: Any) -> bool:
    with db.session() as s:
        return _changed(
            s.execute(update(Outbox).where(*_ours(job)).values(updated_at=now(), **values))
        )


def _mark_sent(db: Database, job: _Job) -> None:
    # Not conditional on the lease: the server accepted it, so `sent` is the truth, and a
    # run that took the row over meanwhile then finds it sent and does not send it again.
    at = now()
    with db.session() as s:
        s.execute(
            update(Outbox)
            .where(col(Outbox.id) == job.id, col(Outbox.status) == SENDING)
            .values(status=SENT, sent_at=at, next_attempt_at=None, last_error=None, updated_at=at)
        )


def _record_sent(db: Database, job: _Job) -> str | None:
    """Mark an accepted message sent, trying again while the database is busy (for up to
    PATIENCE). None when recorded, else why not."""
    deadline = time.monotonic() + PATIENCE.total_seconds()
    pause = 0.05
    while True:
        try:
            _mark_sent(db, job)
            return None
        except OperationalError as exc:
            reason = _first_line(exc)
            if time.monotonic() + pause > deadline:
                log.error("notice %s sent but not recorded: %s", job.message_id, reason)
                return reason
            log.warning("notice %s sent, recording it again: %s", job.message_id, reason)
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


def _mark_tried(
    db: Database, job: _Job, error: str, retry: bool
) -> tuple[str, datetime | None] | None:
    """After a try that was not accepted: pending again with backoff (``retry``, until
    MAX_ATTEMPTS), else failed. None when the row is no longer ours."""
    if retry and job.attempts < MAX_ATTEMPTS:
        status, when = PENDING, now() + backoff(job.attempts)
    else:
        status, when = FAILED, None
    if not _mark(db, job, status=status, last_error=error, next_attempt_at=when):
        return None
    return status, when


def _release(db: Database, job: _Job) -> None:
    """Put back a claimed row exactly as it was (not tried, or stopped by a configuration
    problem that says nothing about this message)."""
    with db.session() as s:
        s.execute(update(Outbox).where(*_ours(job)).values(**job.before))


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


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
        try:
            _keep(db, job.certificate_id, prepared.rendered, None, None)
        except OperationalError as exc:  # only saves rendering it again next time
            log.warning("notice PDF %s not kept: %s", job.message_id, _first_line(exc))
    return prepared


async def _prepare(db: Database, job: _Job, config: SmtpConfig) -> _Prepared:
    # In a worker thread, building the next message overlaps the SMTP round trips of the
    # one before it (the event loop waits on the socket, not on the GIL).
    return await asyncio.to_thread(_prepare_now, db, job, config)


class _Run:
    """One sending run: the rows it holds, their leases kept alive, what it did."""

    def __init__(self, db: Database, config: SmtpConfig, all_: bool, lease: timedelta) -> None:
        self.db, self.config, self.all_, self.lease = db, config, all_, lease
        self.report = SendReport()
        self.held: dict[int, _Job] = {}  # claimed, outcome not yet written
        self.seen: set[int] = set()  # claimed in this run: not claimed again (--all)
        self._lock = asyncio.Lock()

    async def write(
        self, fn: Callable[Concatenate[Database, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Database writes one at a time (the lease renewals and the main work use the same
        tokens) and off the event loop (a busy database must not stall an SMTP exchange)."""
        async with self._lock:
            return await asyncio.to_thread(fn, self.db, *args, **kwargs)

    async def claim(self) -> _Job | None:
        job = await self.write(_claim, all_=self.all_, exclude=self.seen, lease=self.lease)
        if job is not None:
            self.held[job.id] = job
            self.seen.add(job.id)
        return job

    async def keep_leases(self) -> None:
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            for job in list(self.held.values()):
                try:
                    if not await self.write(_renew, job, self.lease):
                        self.held.pop(job.id, None)
                except SQLAlchemyError as exc:  # the lease still runs; try again next time
                    log.warning(
                        "lease of notice %s not renewed: %s", job.message_id, _first_line(exc)
                    )

    async def next_job(self) -> tuple[_Job, _Prepared] | None:
        """Claim the next due row and build its mail."""
        job = await self.claim()
        if job is None:
            return None
        return job, await _prepare(self.db, job, self.config)

    async def send_all(self, client: SmtpClient) -> None:
        """Each due row in turn: confirm, send, mark. The next row is claimed and built
        while the current one is on the wire."""
        following = asyncio.ensure_future(self.next_job())
        try:
            while (item := await following) is not None:
                job, prepared = item
                mine = prepared.message is None or await self.write(_renew, job, self.lease)
                following = asyncio.ensure_future(self.next_job())
                if not mine:
                    log.info("notice %s: taken over by another run, not sent here", job.message_id)
                    self.held.pop(job.id, None)
                elif not await self.send(client, job, prepared):
                    return
        finally:
            # A claim under way completes (a thread cannot be cancelled), so that the row is
            # held and put back by release_untried.
            with contextlib.suppress(Exception):
                await following

    async def send(self, client: SmtpClient, job: _Job, prepared: _Prepared) -> bool:
        """Try one claimed, confirmed row; False when the run must stop."""
        if prepared.error is not None or prepared.message is None:
            error = prepared.error or "お知らせを作成できません"
            log.warning("notice %s not built: %s", job.message_id, error)
            await self.tried(job, error, retry=False)
            return True
        job.tried = True
        try:
            await client.send(prepared.message, recipients=[job.recipient])
        except SendError as exc:
            error = _scrub(str(exc), prepared.key)
            if not exc.session:
                await self.tried(job, error, retry=exc.retry)
                return True
            # Every message would fail the same way: the row goes back as it was.
            log.warning("sending stopped: %s", error)
            self.report.stopped = error
            was = job.before
            status = FAILED if was["status"] == FAILED else PENDING
            self.report.attempts.append(_attempt(job, status, error, was["next_attempt_at"]))
            await self.write(_release, job)
            self.held.pop(job.id, None)
            return False
        log.info("notice sent: %s", job.message_id)
        problem = await self.write(_record_sent, job)
        self.held.pop(job.id, None)
        if problem is None:
            self.report.attempts.append(_attempt(job, SENT))
            return True
        note = f"送信済みですが記録できませんでした（{problem}）"
        self.report.attempts.append(_attempt(job, SENT, note))
        self.report.stopped = _stopped_by(problem)
        return False

    async def tried(self, job: _Job, error: str, *, retry: bool) -> None:
        outcome = await self.write(_mark_tried, job, error, retry)
        self.held.pop(job.id, None)
        if outcome is None:
            log.info("notice %s: taken over by another run", job.message_id)
            return
        status, when = outcome
        log.warning("notice %s not sent (%s): %s", job.message_id, status, error)
        self.report.attempts.append(_attempt(job, status, error, when))

    async def release_untried(self) -> None:
        """Rows claimed but never tried go back as they were (if the database lets us:
        otherwise their lease runs out and they are due again)."""
        for job in [j for j in self.held.values() if not j.tried]:
            try:
                await self.write(_release, job)
            except SQLAlchemyError as exc:
                log.warning("notice %s not put back: %s", job.message_id, _first_line(exc))
            self.held.pop(job.id, None)


def _stopped_by(reason: str) -> str:
    return (
        f"データベースに書き込めないため送信を中断しました（{reason}）。"
        "しばらくしてから hosho outbox send を実行し直してください"
    )


async def send_pending_async(
    db: Database, settings: Any, all_: bool = False, *, lease: timedelta | None = None
) -> SendReport:
    """Send every due notice (``all_``: every unsent one now, ignoring the backoff).

    The report lists every message this run tried, and every message sent, also when the
    run stops early (``stopped``: why).
    """
    run = _Run(db, SmtpConfig.from_settings(settings), all_, lease or LEASE)
    keeper = asyncio.ensure_future(run.keep_leases())
    try:
        async with SmtpClient(run.config) as client:
            await run.send_all(client)
    except SQLAlchemyError as exc:
        log.error("sending stopped: %s", _first_line(exc))
        run.report.stopped = run.report.stopped or _stopped_by(_first_line(exc))
    except Exception as exc:  # a bug: what was sent must still be reported
        log.exception("sending stopped")
        run.report.stopped = run.report.stopped or f"送信を中断しました（{type(exc).__name__}）"
    finally:
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper
    await run.release_untried()
    return run.report


def send_pending(
    db: Database, settings: Any, all_: bool = False, *, lease: timedelta | None = None
) -> SendReport:
    """Synchronous entry point for the command line."""
    return asyncio.run(send_pending_async(db, settings, all_, lease=lease))
