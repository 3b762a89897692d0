"""Each notice is delivered once whatever the timing; a configuration error keeps the queue;
the run's report says exactly what was sent (issue "Nothing sent twice")."""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, update
from sqlalchemy.engine import make_url
from sqlmodel import col

from core import certificates, models
from core.db import Database, create_db_engine, open_database
from core.models import Outbox
from mailer import outbox
from mailer.smtp import SmtpConfig, _classify_reply
from tests.smtp_server import Server
from tests.test_mailer import _self_signed, authenticator, box, issue_one, settings

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def snapshot(db: Database) -> list[tuple[Any, ...]]:
    """Every column a sending run may change."""
    return [
        (r.status, r.attempts, r.next_attempt_at, r.last_error, r.updated_at, r.sent_at)
        for r in box(db)
    ]


def issue_many(db: Database, n: int) -> list[str]:
    """``n`` notices queued; their Message-IDs."""
    ids = []
    for i in range(n):
        message_id = issue_one(db, project=f"工事{i}").message_id
        assert message_id is not None
        ids.append(message_id)
    return ids


# --- each notice delivered once --------------------------------------------------------------


def test_two_senders_and_a_server_slower_than_the_lease_deliver_each_notice_once(
    db: Database,
    db_url: str,
    smtp: Any,
) -> None:
    server: Server = smtp()
    server.handler.delay = 0.6  # every message takes longer than the whole lease
    lease = timedelta(seconds=0.4)
    ids = issue_many(db, 10)
    other = open_database(db_url)  # another desk, or a cron job: its own connections
    start = threading.Barrier(2)

    def run(database: Database) -> outbox.SendReport:
        start.wait()
        return outbox.send_pending(database, settings(), lease=lease)

    try:
        with ThreadPoolExecutor(2) as pool:
            reports = list(pool.map(run, [db, other]))
    finally:
        other.dispose()
    delivered = Counter(m["Message-ID"] for m in server.handler.received)
    assert delivered == Counter(ids)  # every notice, each exactly once
    assert [r.ok for r in reports] == [True, True]
    assert sum(r.sent for r in reports) == len(ids)
    assert all(r.sent > 0 for r in reports)  # both runs really worked at the same time
    assert {r.status for r in box(db)} == {"sent"}


def test_a_row_taken_over_by_another_run_is_not_sent(
    db: Database,
    smtp: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server: Server = smtp()
    issue_many(db, 1)
    prepare = outbox._prepare_now

    def slow_then_taken(db_: Database, job: Any, config: SmtpConfig) -> Any:
        # While this run builds the mail, its lease runs out and another run claims the row.
        with db_.session() as s:
            s.execute(
                update(Outbox)
                .where(col(Outbox.id) == job.id)
                .values(
                    attempts=col(Outbox.attempts) + 1,
                    next_attempt_at=models.now() + timedelta(minutes=5),
                )
            )
        return prepare(db_, job, config)

    monkeypatch.setattr(outbox, "_prepare_now", slow_then_taken)
    report = outbox.send_pending(db, settings())
    assert report.attempts == [] and report.ok
    assert server.handler.received == []
    (row,) = box(db)
    assert (row.status, row.attempts) == ("sending", 2)  # left to the run that holds it


# --- a busy database after the server accepted -------------------------------------------------


def impatient(db_url: str) -> Database:
    """The same SQLite database, waiting 50 ms (not 30 s) for another writer's lock."""
    engine = create_db_engine(db_url)

    @event.listens_for(engine, "connect")
    def _short_busy_timeout(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=50")

    return Database(engine)


def lock_after_first_accept(db_url: str, seconds: float) -> tuple[Any, threading.Event]:
    """An ``on_accept`` hook: someone else takes the write lock as the first mail is
    accepted, and keeps it ``seconds``. The event is set once it is released."""
    path = make_url(db_url).database
    assert path
    released = threading.Event()
    taken: list[bool] = []

    def hook() -> None:
        if taken:
            return
        taken.append(True)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("BEGIN IMMEDIATE")

        def release() -> None:
            conn.execute("ROLLBACK")
            conn.close()
            released.set()

        threading.Timer(seconds, release).start()

    return hook, released


def test_a_busy_database_after_the_server_accepted_is_waited_for(
    db: Database,
    db_url: str,
    smtp: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if not db.is_sqlite:
        pytest.skip("SQLite's single write lock")
    server: Server = smtp()
    ids = issue_many(db, 2)
    server.handler.on_accept, released = lock_after_first_accept(db_url, 1.0)
    sender = impatient(db_url)
    try:
        report = outbox.send_pending(sender, settings(), all_=True)
    finally:
        released.wait(5)
        sender.dispose()
    assert "recording it again" in caplog.text  # the lock did get in the way
    assert report.ok and report.sent == 2
    assert [m["Message-ID"] for m in server.handler.received] == ids
    assert [r.status for r in box(db)] == ["sent", "sent"]
    assert outbox.send_pending(db, settings(), all_=True).attempts == []  # nothing again


def test_a_sent_message_is_reported_even_when_it_cannot_be_recorded(
    db: Database,
    db_url: str,
    smtp: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if not db.is_sqlite:
        pytest.skip("SQLite's single write lock")
    server: Server = smtp()
    (message_id,) = issue_many(db, 1)
    server.handler.on_accept, released = lock_after_first_accept(db_url, 1.5)
    monkeypatch.setattr(outbox, "PATIENCE", timedelta(seconds=0.3))
    sender = impatient(db_url)
    try:
        report = outbox.send_pending(sender, settings(), all_=True)
    finally:
        released.wait(5)
        sender.dispose()
    assert [m["Message-ID"] for m in server.handler.received] == [message_id]
    assert report.sent == 1 and report.to_json()["sent"] == 1
    (attempt,) = report.attempts
    assert attempt.status == "sent" and "記録できません" in (attempt.error or "")
    assert report.stopped and "データベース" in report.stopped and not report.ok
    assert f"notice {message_id} sent but not recorded" in caplog.text
    # Not recorded: the row stays `sending` and its lease keeps other runs away (after the
    # lease it is the documented duplicate, like a crash).
    (row,) = box(db)
    assert row.status == "sending"
    assert outbox.send_pending(db, settings(), all_=True).attempts == []
    assert len(server.handler.received) == 1


# --- a configuration error keeps the queue -------------------------------------------------------


def requires_login(start: Any, tmp_path: Path) -> Server:
    server: Server = start(authenticator=authenticator, auth_required=True, auth_require_tls=False)
    return server


def requires_starttls(start: Any, tmp_path: Path) -> Server:
    import ssl

    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server: Server = start(tls_context=context, require_starttls=True)
    return server


def refuses_the_sender(start: Any, tmp_path: Path) -> Server:
    server: Server = start()
    server.handler.mail_replies = ["553 5.1.8 Sender address rejected: Domain not found"] * 5
    return server


@pytest.mark.parametrize(
    ("make_server", "expected"),
    [
        (requires_login, ["ログインを求めています", "530", "HOSHO_SMTP_USERNAME"]),
        (requires_starttls, ["STARTTLSを求めています", "530", "HOSHO_SMTP_SECURITY=starttls"]),
        (refuses_the_sender, ["差出人 hosho@kumamoto.example.jp", "553", "HOSHO_MAIL_FROM"]),
    ],
)
def test_a_configuration_error_stops_the_run_and_keeps_every_notice_as_it_was(
    db: Database,
    smtp: Any,
    tmp_path: Path,
    make_server: Any,
    expected: list[str],
) -> None:
    server = make_server(smtp, tmp_path)
    issue_many(db, 3)
    with db.session() as s:  # one row already tried twice, due again
        s.execute(
            update(Outbox)
            .where(col(Outbox.id) == box(db)[1].id)
            .values(
                attempts=2,
                last_error="SMTPサーバーの一時エラー 451",
                next_attempt_at=models.now() - timedelta(minutes=1),
            )
        )
    before = snapshot(db)
    report = outbox.send_pending(db, settings())
    assert report.stopped and all(word in report.stopped for word in expected), report.stopped
    assert (report.sent, report.failed, report.ok) == (0, 0, False)
    assert server.handler.received == []
    assert snapshot(db) == before  # pending, attempts and next attempt untouched
    # The report names the one message that met the problem (not as failed), nothing more.
    assert [(a.status, a.error) for a in report.attempts] == [("pending", report.stopped)]
    # Nothing was used up: the next run meets the same problem and changes nothing either.
    assert outbox.send_pending(db, settings()).stopped == report.stopped
    assert snapshot(db) == before


def test_a_run_stopped_midway_reports_what_went_out_and_puts_back_the_rest(
    db: Database,
    smtp: Any,
) -> None:
    server: Server = smtp()
    ids = issue_many(db, 4)
    before = snapshot(db)
    # e.g. the server's login session expires: the third MAIL FROM needs a login again
    server.handler.mail_replies = ["250 OK", "250 OK", "530 5.7.0 Authentication required"]
    report = outbox.send_pending(db, settings())
    assert [m["Message-ID"] for m in server.handler.received] == ids[:2]
    out = report.to_json()
    assert (out["sent"], out["retrying"], out["failed"], out["ok"]) == (2, 1, 0, False)
    assert "ログインを求めています" in out["stopped"]
    assert [(m["message_id"], m["status"]) for m in out["messages"]] == [
        (ids[0], "sent"),
        (ids[1], "sent"),
        (ids[2], "pending"),
    ]
    after = snapshot(db)
    assert [row[0] for row in after[:2]] == ["sent", "sent"]
    # the one that met the problem, and the one claimed ahead but never tried: as they were
    assert after[2:] == before[2:]


def test_an_unexpected_error_still_reports_what_went_out(
    db: Database,
    smtp: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server: Server = smtp()
    ids = issue_many(db, 3)
    before = snapshot(db)
    document = certificates.document_for_certificate
    calls: list[int] = []

    def broken_second_time(session: Any, certificate_id: int) -> Any:
        calls.append(certificate_id)
        if len(calls) == 2:
            raise RuntimeError("a bug")
        return document(session, certificate_id)

    monkeypatch.setattr(outbox, "document_for_certificate", broken_second_time)
    report = outbox.send_pending(db, settings())
    assert [m["Message-ID"] for m in server.handler.received] == ids[:1]
    assert report.sent == 1 and [a.message_id for a in report.attempts] == ids[:1]
    assert report.stopped and "RuntimeError" in report.stopped and not report.ok
    after = snapshot(db)
    assert after[0][0] == "sent"
    assert after[1:] == before[1:]  # claimed (the second), or never claimed: as they were


def test_a_recipient_refused_fails_only_its_own_notice(
    db: Database,
    smtp: Any,
) -> None:
    server: Server = smtp()
    kept = issue_one(db, project="一件目")
    refused = issue_one(db, project="二件目", email_addr="nobody@higo.example.jp", name="無人建設")
    last = issue_one(db, project="三件目")
    server.handler.refuse = {"nobody@higo.example.jp": "550 5.1.1 No such user"}
    report = outbox.send_pending(db, settings())
    assert report.stopped is None and (report.sent, report.failed) == (2, 1)
    assert [m["Message-ID"] for m in server.handler.received] == [
        kept.message_id,
        last.message_id,
    ]
    rows = {r.message_id: (r.status, r.last_error or "") for r in box(db)}
    assert rows[refused.message_id or ""][0] == "failed"
    assert "550" in rows[refused.message_id or ""][1]
    assert rows[kept.message_id or ""] == rows[last.message_id or ""] == ("sent", "")


CONFIG = SmtpConfig("127.0.0.1", 25, None, None, "none", 5, "hosho@kumamoto.example.jp")


@pytest.mark.parametrize(
    ("code", "text", "what", "sender", "outcome"),
    [
        (530, "5.7.0 Authentication required", "差出人", True, "stop"),
        (530, "5.7.0 Must issue a STARTTLS command first", "差出人", True, "stop"),
        (535, "5.7.8 Authentication credentials invalid", "差出人", True, "stop"),
        (538, "5.7.11 Encryption required", "差出人", True, "stop"),
        (554, "5.7.1 Relay access denied", "差出人", True, "stop"),
        (550, "5.1.8 Bad sender address", "差出人", True, "stop"),
        (553, "sender address not owned by user", "差出人", True, "stop"),
        (530, "5.7.0 Authentication required", "宛先", False, "stop"),
        (552, "5.3.4 Message size exceeds fixed limit", "差出人", True, "failed"),
        (550, "5.1.1 No such user", "宛先", False, "failed"),
        (554, "5.7.1 Rejected by content filter", "本文", False, "failed"),
        (451, "4.3.0 Try again later", "差出人", True, "retry"),
        (452, "4.2.2 Mailbox full", "宛先", False, "retry"),
    ],
)
def test_replies_are_classified(
    code: int, text: str, what: str, sender: bool, outcome: str
) -> None:
    error = _classify_reply(CONFIG, code, text, what, sender=sender)
    got = "stop" if error.session else "retry" if error.retry else "failed"
    assert got == outcome, str(error)
    if outcome == "stop":
        assert "HOSHO_" in str(error)  # names the setting to fix
