"""Notice mails against a real SMTP server (aiosmtpd on 127.0.0.1), and the outbox."""

from __future__ import annotations

import email
import email.header
import email.policy
import io
import json
import logging
import re
import shutil
import ssl
import subprocess
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from pypdf import PdfReader
from sqlalchemy import select, update
from sqlmodel import col

from core import certificates, models, services
from core.db import Database
from core.models import NoticeFile, Outbox
from core.settings import Settings, get_settings
from mailer import outbox, render
from mailer.render import HeaderError
from tests.helpers import cli, make_guarantee
from tests.smtp_server import Server, free_port

OP = "テスト担当"


def settings() -> Settings:
    get_settings.cache_clear()
    return get_settings()


def issue_one(
    db: Database,
    *,
    email_addr: str = "info@higo.example.jp",
    name: str = "株式会社肥後建設",
    **fields: str,
) -> certificates.IssueResult:
    existing = [c for c in services.list_customers(db) if c.name == name and c.email == email_addr]
    cid = (
        existing[0].id
        if existing
        else services.add_customer(db, name=name, email=email_addr, operator=OP).id
    )
    g = make_guarantee(db, cid, **fields)
    return certificates.issue_certificate(
        db, g.guarantee_number, operator=OP, mail_domain="kumamoto.example.jp"
    )


def box(db: Database) -> list[Outbox]:
    with db.reader() as s:
        return list(s.scalars(select(Outbox).order_by(col(Outbox.id))))


def decoded(msg: EmailMessage, name: str) -> str:
    """A header as a mail program shows it: RFC 2047 words joined as the RFC says (Python's
    own address parser keeps the fold between two encoded words as a space)."""
    raw = email.message_from_bytes(msg.as_bytes(), policy=email.policy.compat32)[name]
    return str(email.header.make_header(email.header.decode_header(raw)))


def pdf_text(msg: EmailMessage) -> str:
    (part,) = list(msg.iter_attachments())
    data = part.get_content()
    assert isinstance(data, bytes)
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


# --- delivery and content ----------------------------------------------------------------------


def test_notice_is_delivered_with_its_content_and_the_key_only_in_the_pdf(
    db: Database, smtp: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # aiosmtpd logs each line of DATA at DEBUG: captured, a 45 KB mail takes seconds under load
    # and the client times out. Its log is not ours; the key must not be in ours.
    caplog.set_level(logging.INFO, logger="mail.log")
    server = smtp()
    r = issue_one(db, project="県道熊本高森線 道路改良工事")
    assert r.auth_key
    report = outbox.send_pending(db, settings())
    assert report.ok and report.sent == 1
    (msg,) = server.handler.received
    assert (
        msg["Subject"]
        == f"電子証書・認証キー登録のお知らせ（保証契約番号 {r.guarantee_number}・新規）"
    )
    assert decoded(msg, "To") == "株式会社肥後建設 <info@higo.example.jp>"
    assert decoded(msg, "From") == "西日本建設業保証株式会社 熊本支店 <hosho@kumamoto.example.jp>"
    assert msg["Message-ID"] == f"<hosho.{r.guarantee_number}.v1@kumamoto.example.jp>"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for body in (text, html):
        for expected in (
            r.guarantee_number,
            "前払金保証（新規）",
            "県道熊本高森線 道路改良工事",
            "熊本県",
            "発注者へ提出",
        ):
            assert expected in body
        assert r.auth_key not in body
    raw = msg.as_string()
    headers = "\n".join(f"{k}: {v}" for k, v in msg.items())
    assert r.auth_key not in headers
    assert "=?utf-8?" in raw.split("\n\n", 1)[0]  # Japanese headers are encoded
    (part,) = list(msg.iter_attachments())
    assert part.get_filename() == f"認証キー等のお知らせ_{r.guarantee_number}.pdf"
    assert re.search(r"filename\*(0\*)?=utf-8''", raw)  # RFC 2231
    extracted = pdf_text(msg)
    assert r.auth_key in extracted and r.guarantee_number in extracted
    assert "県道熊本高森線 道路改良工事" in extracted and "保証確認サービス（D-Sure）" in extracted
    (row,) = box(db)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
    assert row.sent_at is not None
    assert r.auth_key not in caplog.text
    # sent once: a second run finds nothing to do
    assert outbox.send_pending(db, settings()).attempts == []
    assert len(server.handler.received) == 1


def test_one_connection_for_a_batch(db: Database, smtp: Any) -> None:
    server = smtp()
    for i in range(3):
        issue_one(db, project=f"工事{i}")
    report = outbox.send_pending(db, settings())
    assert report.sent == 3
    assert len(server.handler.received) == 3
    assert len(set(server.handler.peers)) == 1  # one SMTP session reused


def test_pdf_kept_at_issue_is_the_one_sent(db: Database, smtp: Any) -> None:
    server = smtp()
    first = issue_one(db, project="保存済みの工事")
    assert outbox.prepare_notice(db, first.certificate_id) is True
    assert outbox.prepare_notice(db, first.certificate_id) is True  # twice is harmless
    second = issue_one(db, project="保存していない工事")  # the sender renders this one
    with db.reader() as s:
        kept = s.get(NoticeFile, first.certificate_id)
        assert kept is not None and s.get(NoticeFile, second.certificate_id) is None
        kept_pdf = kept.pdf
    assert outbox.send_pending(db, settings()).sent == 2
    sent = {m["Message-ID"]: m for m in server.handler.received}
    (attachment,) = list(sent[first.message_id].iter_attachments())
    assert attachment.get_content() == kept_pdf
    assert first.auth_key is not None and first.auth_key in pdf_text(sent[first.message_id])
    with db.reader() as s:
        assert s.get(NoticeFile, second.certificate_id) is not None  # kept once rendered


def test_paper_certificates_have_no_notice_file(db: Database) -> None:
    paper = issue_one(db, delivery="書面", period_start="2026-04-02", period_end="2027-03-31")
    assert paper.auth_key is None and outbox.prepare_notice(db, paper.certificate_id) is False


def test_pdf_embeds_its_font() -> None:
    doc = certificates.CertificateDocument(
        guarantee_number="2070000001", version=1, kind="新規", delivery="電子", type="前払金",
        auth_key="ABCDEFGH23", customer_name="株式会社肥後建設", customer_address="",
        customer_email="a@b.jp", orderer="熊本県", project_name="𠮷野川護岸工事", contract_amount=1,
        amount=1, contract_date=datetime(2026, 4, 1).date(), period_start=None, period_end=None,
        guarantee_end=None, bank="", branch="熊本支店", company="西日本建設業保証株式会社",
        issued_at=datetime(2026, 4, 1, 9, 0).astimezone(),
        submission=(),
    )  # fmt: skip
    data = render.render_notice_pdf(doc)
    reader = PdfReader(io.BytesIO(data))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    (font,) = [f.get_object() for f in fonts.values()]
    descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
    assert "/FontFile2" in descriptor  # embedded, not a reference to a machine font
    assert len(data) < 60_000  # a subset, not the whole font
    assert "𠮷野川護岸工事" in reader.pages[0].extract_text()


# --- AUTH and TLS ------------------------------------------------------------------------------


def authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"hosho",
        b"s3cret",
    )
    # A failing authenticator must say handled=False, or the client waits for its timeout.
    return AuthResult(success=True) if ok else AuthResult(success=False, handled=False)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_auth_with_the_right_password(
    db: Database, smtp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = smtp(authenticator=authenticator, auth_required=True, auth_require_tls=False)
    monkeypatch.setenv("HOSHO_SMTP_USERNAME", "hosho")
    monkeypatch.setenv("HOSHO_SMTP_PASSWORD", "s3cret")
    issue_one(db)
    assert outbox.send_pending(db, settings()).ok
    assert len(server.handler.received) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_auth_with_a_wrong_password_keeps_the_notice(
    db: Database, smtp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = smtp(authenticator=authenticator, auth_required=True, auth_require_tls=False)
    monkeypatch.setenv("HOSHO_SMTP_USERNAME", "hosho")
    monkeypatch.setenv("HOSHO_SMTP_PASSWORD", "wrong-password")
    issue_one(db)
    issue_one(db, project="二件目")
    before = [(r.status, r.attempts, r.next_attempt_at, r.last_error) for r in box(db)]
    report = outbox.send_pending(db, settings())
    assert not report.ok and report.stopped and "認証に失敗" in report.stopped
    assert report.sent == 0
    assert "wrong-password" not in json.dumps(report.to_json(), ensure_ascii=False)
    assert server.handler.received == []
    # a configuration problem uses nothing up: both rows as they were, due at the next run
    assert [(r.status, r.attempts, r.next_attempt_at, r.last_error) for r in box(db)] == before


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    try:
        from cryptography import x509  # type: ignore[import-not-found, unused-ignore]
        from cryptography.hazmat.primitives import hashes, serialization  # type: ignore[import-not-found, unused-ignore]
        from cryptography.hazmat.primitives.asymmetric import rsa  # type: ignore[import-not-found, unused-ignore]
        from cryptography.x509.oid import NameOID  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        if shutil.which("openssl") is None:
            pytest.skip("neither cryptography nor openssl to make a test certificate")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
            check=True, capture_output=True,
        )  # fmt: skip
        return cert, key
    import ipaddress

    pkey = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now().astimezone()
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(pkey.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(pkey, hashes.SHA256())
    )  # fmt: skip
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        pkey.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return cert, key


@pytest.fixture
def tls_server(smtp: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Server, Path]:
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = smtp(
        tls_context=context, require_starttls=True, authenticator=authenticator, auth_required=True
    )
    monkeypatch.setenv("HOSHO_SMTP_SECURITY", "starttls")
    monkeypatch.setenv("HOSHO_SMTP_USERNAME", "hosho")
    monkeypatch.setenv("HOSHO_SMTP_PASSWORD", "s3cret")
    return server, cert


def test_starttls_with_a_trusted_self_signed_certificate(
    db: Database, tls_server: tuple[Server, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, cert = tls_server
    monkeypatch.setenv("HOSHO_SMTP_CA_FILE", str(cert))
    issue_one(db)
    report = outbox.send_pending(db, settings())
    assert report.ok, report.to_json()
    assert len(server.handler.received) == 1


def test_starttls_refuses_an_untrusted_certificate(
    db: Database, tls_server: tuple[Server, Path]
) -> None:
    server, _ = tls_server
    issue_one(db)
    report = outbox.send_pending(db, settings())
    assert report.stopped and "TLS" in report.stopped
    assert server.handler.received == []
    (row,) = box(db)
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, None)


# --- failures ------------------------------------------------------------------------------------


def test_server_down_stops_the_run_and_keeps_the_notice_as_it_was(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOSHO_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("HOSHO_SMTP_PORT", str(free_port()))  # nobody listens
    issue_one(db)
    (before,) = box(db)
    report = outbox.send_pending(db, settings())
    assert not report.ok and "接続できません" in (report.stopped or "") and report.sent == 0
    (row,) = box(db)
    assert (row.status, row.attempts, row.next_attempt_at, row.last_error) == (
        "pending",
        0,
        before.next_attempt_at,
        None,
    )
    # still due: the next run tries it again, and again uses nothing up
    report = outbox.send_pending(db, settings())
    assert [a.status for a in report.attempts] == ["pending"] and report.stopped
    assert box(db)[0].attempts == 0


def test_4xx_is_retried_with_backoff(db: Database, smtp: Any) -> None:
    server = smtp()
    server.handler.replies = ["451 4.3.0 Try again later"]
    issue_one(db)
    report = outbox.send_pending(db, settings())
    assert report.retrying == 1 and not report.ok
    (row,) = box(db)
    assert row.status == "pending" and row.attempts == 1 and "451" in (row.last_error or "")
    assert row.next_attempt_at and row.next_attempt_at > models.now()
    report = outbox.send_pending(db, settings(), all_=True)  # --all ignores the backoff
    assert report.ok and len(server.handler.received) == 1
    assert box(db)[0].status == "sent" and box(db)[0].attempts == 2


def test_5xx_is_marked_failed_for_staff(
    db: Database, smtp: Any, env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    server = smtp()
    server.handler.replies = ["550 5.1.1 No such user"]
    issue_one(db)
    r = cli(capsys, "outbox", "send")
    assert r.code == 1 and "送信失敗（要対応）" in r.err and "550" in r.err
    (row,) = box(db)
    assert (row.status, row.next_attempt_at) == ("failed", None)
    assert cli(capsys, "outbox", "send", "--json").json["messages"] == []  # not retried by itself
    r = cli(capsys, "outbox", "list", "--status", "failed", "--json")
    assert [m["status"] for m in r.json] == ["failed"] and "550" in r.json[0]["last_error"]
    r = cli(capsys, "outbox", "send", "--all", "--json")  # staff fixed it: send again now
    assert r.code == 0 and r.json["sent"] == 1
    assert len(server.handler.received) == 1


def test_disconnect_during_data_is_retried_and_the_batch_goes_on(db: Database, smtp: Any) -> None:
    server = smtp()
    server.handler.replies = ["drop"]
    first = issue_one(db, project="一件目")
    second = issue_one(db, project="二件目")
    report = outbox.send_pending(db, settings())
    statuses = {a.guarantee_number: a.status for a in report.attempts}
    assert statuses == {first.guarantee_number: "pending", second.guarantee_number: "sent"}
    assert "接続が切れました" in (report.attempts[0].error or "")
    assert [m["Message-ID"] for m in server.handler.received] == [
        f"<hosho.{second.guarantee_number}.v1@kumamoto.example.jp>"
    ]
    outbox.send_pending(db, settings(), all_=True)
    assert [r.status for r in box(db)] == ["sent", "sent"]


def test_crash_between_send_and_commit_resends_with_the_same_message_id(
    db: Database, smtp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = smtp()
    r = issue_one(db)

    def crash(*args: Any) -> None:
        raise SystemExit("power cut")  # after the server accepted, before we recorded it

    mark_sent = outbox._mark_sent
    monkeypatch.setattr(outbox, "_mark_sent", crash)
    with pytest.raises(SystemExit):
        outbox.send_pending(db, settings())
    monkeypatch.setattr(outbox, "_mark_sent", mark_sent)  # the app starts again
    (row,) = box(db)
    assert row.status == "sending" and len(server.handler.received) == 1
    # Another run before the lease ends leaves it alone (it may still be in flight)...
    s = settings()
    assert outbox.send_pending(db, s).attempts == []
    # ...after the lease it is sent again: the documented duplicate, same Message-ID.
    later = models.now() + outbox.LEASE + timedelta(seconds=1)
    monkeypatch.setattr(outbox, "now", lambda: later)
    report = outbox.send_pending(db, s)
    assert report.ok and report.sent == 1
    ids = [m["Message-ID"] for m in server.handler.received]
    assert ids == [f"<hosho.{r.guarantee_number}.v1@kumamoto.example.jp>"] * 2
    (row,) = box(db)
    assert (row.status, row.attempts) == ("sent", 2)


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    for attempts, full in ((1, 60), (2, 120), (3, 240), (20, 6 * 3600)):
        for _ in range(20):
            delay = outbox.backoff(attempts).total_seconds()
            assert full / 2 <= delay <= full


# --- headers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field_name", "value"),
    [
        ("recipient_name", "株式会社肥後建設\r\nBcc: evil@example.com"),
        ("recipient", "info@higo.example.jp\nBcc: evil@example.com"),
        ("subject", "お知らせ\r\nBcc: evil@example.com"),
        ("sender_name", "西日本建設業保証\n"),
    ],
)
def test_crlf_in_a_header_value_is_refused(field_name: str, value: str) -> None:
    values: dict[str, Any] = {
        "sender": "hosho@kumamoto.example.jp",
        "sender_name": "西日本建設業保証株式会社 熊本支店",
        "recipient": "info@higo.example.jp",
        "recipient_name": "株式会社肥後建設",
        "subject": "電子証書・認証キー登録のお知らせ",
        "message_id": "<hosho.2070000001.v1@kumamoto.example.jp>",
        "text": "本文",
        "html": "<p>本文</p>",
        "attachment": b"%PDF-1.4",
        "filename": "認証キー等のお知らせ_2070000001.pdf",
    }
    values[field_name] = value
    with pytest.raises(HeaderError, match="改行"):
        render.build_message(**values)


def test_a_queued_recipient_with_crlf_is_failed_not_sent(db: Database, smtp: Any) -> None:
    server = smtp()
    issue_one(db)
    with db.session() as s:  # e.g. edited in the database by hand
        s.execute(update(Outbox).values(recipient="info@higo.example.jp\r\nBcc: evil@example.com"))
    report = outbox.send_pending(db, settings())
    assert report.failed == 1 and "改行" in (report.attempts[0].error or "")
    assert server.handler.received == []
    assert box(db)[0].status == "failed"


def test_japanese_headers_round_trip() -> None:
    msg = render.build_message(
        sender="hosho@kumamoto.example.jp",
        sender_name="西日本建設業保証株式会社 熊本支店",
        recipient="info@higo.example.jp",
        recipient_name="株式会社肥後建設（代表 髙橋）",
        subject="電子証書・認証キー登録のお知らせ（保証契約番号 2070000001・変更）",
        message_id="<hosho.2070000001.v2@kumamoto.example.jp>",
        text="本文",
        html="<p>本文</p>",
        attachment=b"%PDF-1.4",
        filename="認証キー等のお知らせ_2070000001.pdf",
    )
    raw = msg.as_bytes()
    assert raw.isascii()  # every header encoded, bodies base64
    back = email.message_from_bytes(raw, policy=email.policy.default)
    assert back["Subject"] == "電子証書・認証キー登録のお知らせ（保証契約番号 2070000001・変更）"
    assert decoded(back, "To") == "株式会社肥後建設（代表 髙橋） <info@higo.example.jp>"
    (part,) = list(back.iter_attachments())
    assert part.get_filename() == "認証キー等のお知らせ_2070000001.pdf"


def test_outbox_list_and_send_from_the_command_line(
    env_db: Database, smtp: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    server = smtp()
    r = issue_one(env_db)
    out = cli(capsys, "outbox", "list")
    assert out.code == 0 and "送信待ち" in out.out and r.guarantee_number in out.out
    out = cli(capsys, "outbox", "send")
    assert out.code == 0 and "送信しました" in out.out
    assert len(server.handler.received) == 1
    out = cli(capsys, "outbox", "list", "--json")
    assert out.json[0]["status"] == "sent" and out.json[0]["sent_at"]
    assert r.auth_key and r.auth_key not in out.out
