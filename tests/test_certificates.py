"""Issuing, changing and correcting certificates; the 認証キー check (on both backends)."""

from __future__ import annotations

import hmac
import io
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from core import certificates, models, services
from core.certificates import CertificateError, VerifyThrottled
from core.db import Database
from core.errors import ValidationError
from core.models import AuditEvent, Certificate, Guarantee, Outbox
from core.terms import CertKind
from tests.helpers import cli, make_guarantee

OP = "テスト担当"


def customer(
    db: Database, email: str = "info@higo.example.jp", name: str = "株式会社肥後建設"
) -> int:
    return services.add_customer(db, name=name, email=email, operator=OP).id


def issue(db: Database, number: str, **kw: Any) -> certificates.IssueResult:
    return certificates.issue_certificate(
        db, number, operator=OP, mail_domain="hosho.example", **kw
    )


def change(
    db: Database, number: str, kind: CertKind = CertKind.CHANGE, **changes: str
) -> certificates.IssueResult:
    return certificates.change_guarantee(
        db, number, changes, kind=kind, operator=OP, mail_domain="hosho.example"
    )


def rows(db: Database, model: Any) -> list[Any]:
    with db.reader() as s:
        return list(s.scalars(select(model)))


def audit_text(db: Database) -> str:
    return json.dumps(
        [[e.action, e.target, e.detail] for e in rows(db, AuditEvent)], ensure_ascii=False
    )


# --- issue --------------------------------------------------------------------------------


def test_electronic_issue_queues_the_notice(db: Database) -> None:
    g = make_guarantee(db, customer(db))
    r = issue(db, g.guarantee_number)
    assert (r.version, r.kind, r.delivery) == (1, "新規", "電子")
    assert r.auth_key is not None and len(r.auth_key) == 10
    assert r.notice_queued and r.recipient == "info@higo.example.jp"
    assert r.to_json()["auth_key"] == r.auth_key
    assert r.auth_key not in repr(r)  # never in a repr (logs, tracebacks)
    (box,) = rows(db, Outbox)
    assert box.status == "pending" and box.attempts == 0
    assert box.message_id == f"<hosho.{g.guarantee_number}.v1@hosho.example>"
    assert "電子証書・認証キー登録のお知らせ" in box.subject
    assert r.auth_key not in json.dumps(box.model_dump(), default=str, ensure_ascii=False)
    assert services.get_guarantee(db, g.guarantee_number).status == "発行済"
    assert r.auth_key not in audit_text(db)


def test_paper_issue_has_no_key_and_no_notice(db: Database) -> None:
    g = make_guarantee(
        db, customer(db), delivery="書面", period_start="2026-04-02", period_end="2027-03-31"
    )
    r = issue(db, g.guarantee_number)
    assert (r.delivery, r.auth_key, r.notice_queued) == ("書面", None, False)
    assert rows(db, Outbox) == []


def test_blocked_electronic_issue_is_refused_with_reasons(db: Database) -> None:
    g = make_guarantee(db, customer(db), channel="窓口")
    with pytest.raises(CertificateError, match="窓口申込"):
        issue(db, g.guarantee_number)
    assert rows(db, Certificate) == [] and rows(db, Outbox) == []


def test_open_question_needs_confirmation(db: Database) -> None:
    # 山口県 started in 令和4年12月 (month only): a contract in that month needs checking.
    g = make_guarantee(db, customer(db), orderer="山口県", contract_date="2022-12-15")
    with pytest.raises(CertificateError, match="--confirmed"):
        issue(db, g.guarantee_number)
    assert rows(db, Certificate) == []
    r = issue(db, g.guarantee_number, confirmed=True)
    assert r.delivery == "電子" and r.verdict["eligible"] is None
    (event,) = [e for e in rows(db, AuditEvent) if e.action == "certificate.issue"]
    assert event.detail["confirmed"] is True and event.detail["open_questions"]


def test_second_issue_is_refused(db: Database) -> None:
    g = make_guarantee(db, customer(db))
    issue(db, g.guarantee_number)
    with pytest.raises(CertificateError, match="発行済み"):
        issue(db, g.guarantee_number)


def test_customer_without_email_gets_the_certificate_but_no_notice(db: Database) -> None:
    g = make_guarantee(db, customer(db, email=""))
    r = issue(db, g.guarantee_number)
    assert r.auth_key and not r.notice_queued
    assert any("メールアドレスがない" in w for w in r.warnings)
    assert rows(db, Outbox) == []


@pytest.mark.parametrize(
    ("name", "email"),
    [
        ("株式会社肥後建設\r\nBcc: evil@example.com", "info@higo.example.jp"),
        ("株式会社肥後建設", "info@higo.example.jp\nBcc: evil@example.com"),
    ],
)
def test_crlf_in_customer_data_is_never_queued(db: Database, name: str, email: str) -> None:
    with db.session() as s:  # add_customer would refuse the address; old data may hold anything
        from core.models import Customer

        c = Customer(name=name, email=email, created_at=models.now())
        s.add(c)
        s.flush()
        cid = c.id
    assert cid is not None
    g = make_guarantee(db, cid)
    r = issue(db, g.guarantee_number)
    assert not r.notice_queued and any("改行" in w for w in r.warnings)


def test_certificate_and_notice_commit_together(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    g = make_guarantee(db, customer(db))

    def broken_audit(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(certificates, "audit", broken_audit)
    with pytest.raises(RuntimeError):
        issue(db, g.guarantee_number)
    assert rows(db, Certificate) == [] and rows(db, Outbox) == []
    assert services.get_guarantee(db, g.guarantee_number).status == "受付"


def test_notice_is_not_queued_when_the_certificate_insert_fails(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    g = make_guarantee(db, customer(db))
    original = certificates._write_version

    def failing(*args: Any, **kwargs: Any) -> Any:
        original(*args, **kwargs)  # certificate and outbox row added...
        raise ValueError("insert failed")  # ...then the transaction fails

    monkeypatch.setattr(certificates, "_write_version", failing)
    with pytest.raises(ValueError):
        issue(db, g.guarantee_number)
    assert rows(db, Certificate) == [] and rows(db, Outbox) == []


# --- change / correct ------------------------------------------------------------------------


def test_change_and_correct_issue_new_versions_and_keep_history(db: Database) -> None:
    g = make_guarantee(db, customer(db), period_end="2027-03-31")
    number = g.guarantee_number
    v1 = issue(db, number)
    v2 = change(db, number, amount="3500万", period_end="R9.6.30")
    assert (v2.version, v2.kind, v2.delivery) == (2, "変更", "電子")
    assert v2.auth_key and v2.auth_key != v1.auth_key
    assert v2.changes["amount"] == (40_000_000, 35_000_000)
    assert "guarantee_end" in v2.changes  # followed the 工期
    v3 = change(db, number, CertKind.CORRECTION, project="県道改良工事（その1）")
    assert (v3.version, v3.kind) == (3, "訂正")
    assert len({v1.auth_key, v2.auth_key, v3.auth_key}) == 3

    now = services.get_guarantee(db, number)
    assert now.amount == 35_000_000 and now.project_name == "県道改良工事（その1）"
    history = certificates.list_certificates(db, number)
    assert [c.version for c in history] == [1, 2, 3]
    assert [c.kind for c in history] == ["新規", "変更", "訂正"]
    assert all(c.auth_key == "**********" for c in history)
    assert (
        history[0].terms["amount"] == 40_000_000
        and history[0].terms["project_name"] == "県道改良工事"
    )
    assert history[1].terms["amount"] == 35_000_000
    assert history[2].latest and not history[0].latest
    # every version viewable, the key of each only on request (audited)
    revealed = certificates.list_certificates(db, number, reveal=True, operator=OP)
    assert [c.auth_key for c in revealed] == [v1.auth_key, v2.auth_key, v3.auth_key]
    assert certificates.reveal_auth_key(db, number, 1, operator=OP) == v1.auth_key
    assert certificates.certificate_document(db, number, 1).project_name == "県道改良工事"
    assert {b.message_id for b in rows(db, Outbox)} == {
        f"<hosho.{number}.v{n}@hosho.example>" for n in (1, 2, 3)
    }
    text = audit_text(db)
    assert (
        "certificate.change" in text
        and "certificate.correct" in text
        and "certificate.reveal" in text
    )
    for key in (v1.auth_key, v2.auth_key, v3.auth_key):
        assert key is not None and key not in text


def test_change_is_checked_like_a_new_guarantee(db: Database) -> None:
    g = make_guarantee(db, customer(db))
    number = g.guarantee_number
    with pytest.raises(CertificateError, match="まだ証書を発行していません"):
        change(db, number, amount="3000万")
    issue(db, number)
    with pytest.raises(ValidationError, match="項目を指定"):
        change(db, number)
    with pytest.raises(ValidationError, match="同じ"):
        change(db, number, amount="4000万")
    with pytest.raises(ValidationError, match="保証金額"):
        change(db, number, amount="2億")
    with pytest.raises(ValidationError):
        change(db, number, contract_date="2026-02-30")
    assert len(certificates.list_certificates(db, number)) == 1


def test_hiroshima_change_of_a_pre_start_contract_stays_paper(db: Database) -> None:
    # 広島県: 令和6年6月1日 start; changes of contracts concluded before it stay on paper.
    cid = customer(db)
    g = make_guarantee(
        db,
        cid,
        orderer="広島県",
        contract_date="2024-07-01",
        original_contract_date="2024-05-15",
        period_start="2024-07-02",
        period_end="2025-03-31",
    )
    v1 = issue(db, g.guarantee_number)
    assert v1.delivery == "電子"
    v2 = change(db, g.guarantee_number, amount="3000万")
    assert (v2.kind, v2.delivery, v2.auth_key, v2.notice_queued) == ("変更", "書面", None, False)
    assert v2.verdict["eligible"] is False
    assert any("当初契約が運用開始前" in w for w in v2.warnings)
    assert len(rows(db, Outbox)) == 1  # only the 新規 notice

    paper = make_guarantee(
        db,
        cid,
        orderer="広島県",
        contract_date="2024-05-15",
        delivery="書面",
        period_start="2024-05-16",
        period_end="2025-03-31",
    )
    issue(db, paper.guarantee_number)
    p2 = change(db, paper.guarantee_number, CertKind.CORRECTION, bank="広島銀行 本店")
    assert p2.delivery == "書面" and p2.verdict["eligible"] is False


def test_hiroshima_change_after_start_stays_electronic(db: Database) -> None:
    g = make_guarantee(db, customer(db), orderer="広島県", contract_date="2024-07-01")
    issue(db, g.guarantee_number)
    v2 = change(db, g.guarantee_number, amount="3000万")
    assert v2.delivery == "電子" and v2.auth_key and v2.notice_queued


# --- verify ------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at

    def tick(self, **kw: float) -> None:
        self.at += timedelta(**kw)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(certificates, "now", c)
    monkeypatch.setattr(services, "now", c)
    monkeypatch.setattr(models, "now", c)  # the audit records' times
    return c


def test_verify_matches_only_the_latest_key(db: Database) -> None:
    g = make_guarantee(db, customer(db))
    v1 = issue(db, g.guarantee_number)
    assert v1.auth_key
    ok = certificates.verify(db, g.guarantee_number, v1.auth_key.lower(), operator=OP)
    assert ok.ok and ok.version == 1
    assert not certificates.verify(db, g.guarantee_number, "ZZZZZZZZZZ", operator=OP).ok
    v2 = change(db, g.guarantee_number, amount="3000万")
    assert not certificates.verify(db, g.guarantee_number, v1.auth_key, operator=OP).ok
    assert v2.auth_key and certificates.verify(db, g.guarantee_number, v2.auth_key, operator=OP).ok


def test_verify_compares_in_constant_time_also_for_unknown_numbers(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    g = make_guarantee(db, customer(db))
    issue(db, g.guarantee_number)
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert not certificates.verify(db, g.guarantee_number, "ABCDEFGHJK", operator=OP).ok
    assert not certificates.verify(db, "2079999999", "ABCDEFGHJK", operator=OP).ok
    paper = make_guarantee(
        db,
        customer(db, email="b@example.jp", name="株式会社B"),
        delivery="書面",
        period_start="2026-04-02",
        period_end="2027-03-31",
    )
    issue(db, paper.guarantee_number)
    assert not certificates.verify(db, paper.guarantee_number, "ABCDEFGHJK", operator=OP).ok
    assert len(calls) == 3  # the same comparison on every path
    with pytest.raises(ValidationError, match="10桁"):
        certificates.verify(db, "x" * 300, "ABCDEFGHJK", operator=OP)
    assert all(len(b) == 10 for _, b in calls)


def test_failures_are_throttled_and_audited_without_the_key(db: Database, clock: Clock) -> None:
    g = make_guarantee(db, customer(db))
    r = issue(db, g.guarantee_number)
    assert r.auth_key
    number, wrong = g.guarantee_number, "WRONGKEY23"
    for _ in range(3):
        assert not certificates.verify(db, number, wrong, operator=OP).ok
        clock.tick(seconds=1)
    with pytest.raises(VerifyThrottled, match="秒後まで照合できません"):
        certificates.verify(db, number, r.auth_key, operator=OP)  # even the right key waits
    clock.tick(seconds=31)
    assert not certificates.verify(db, number, wrong, operator=OP).ok  # 4th failure
    clock.tick(seconds=31)
    with pytest.raises(VerifyThrottled):  # the wait has doubled to 60 s
        certificates.verify(db, number, wrong, operator=OP)
    clock.tick(seconds=30)
    assert certificates.verify(db, number, r.auth_key, operator=OP).ok
    assert not certificates.verify(db, number, wrong, operator=OP).ok  # a success resets
    assert certificates.failures_in_window(db, number) >= 5
    clock.tick(minutes=16)
    assert certificates.failures_in_window(db, number) == 0

    events = [e for e in rows(db, AuditEvent) if e.target == f"guarantee:{number}"]
    actions = [e.action for e in events]
    assert actions.count("certificate.verify_failed") == 5
    assert actions.count("certificate.verify_refused") == 2
    assert actions.count("certificate.verify") == 1
    text = audit_text(db)
    assert r.auth_key not in text and wrong not in text


def test_the_key_never_reaches_a_log_line(db: Database, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    g = make_guarantee(db, customer(db))
    v1 = issue(db, g.guarantee_number)
    v2 = change(db, g.guarantee_number, amount="3000万")
    assert v1.auth_key and v2.auth_key
    certificates.verify(db, g.guarantee_number, v2.auth_key, operator=OP)
    certificates.verify(db, g.guarantee_number, "WRONGKEY23", operator=OP)
    certificates.reveal_auth_key(db, g.guarantee_number, operator=OP)
    certificates.list_certificates(db, g.guarantee_number, reveal=True, operator=OP)
    assert caplog.records  # something was logged...
    for key in (v1.auth_key, v2.auth_key):
        assert key not in caplog.text  # ...but never a key
        assert key not in audit_text(db)


# --- command line -------------------------------------------------------------------------------


def test_cli_issue_change_list_verify_render(
    env_db: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    g = make_guarantee(env_db, customer(env_db))
    number = g.guarantee_number
    r = cli(capsys, "certificate", "issue", number, "--json")
    assert r.code == 0, r.err
    data = r.json
    assert {"guarantee_number", "kind", "auth_key", "notice_queued"} <= set(data)
    assert (data["guarantee_number"], data["kind"], data["notice_queued"]) == (number, "新規", True)
    key = data["auth_key"]

    r = cli(capsys, "certificate", "verify", number, key)
    assert r.code == 0 and "一致しました" in r.out
    r = cli(capsys, "certificate", "verify", number, "ZZZZZZZZZZ", "--json")
    assert r.code == 1 and r.json["ok"] is False

    r = cli(capsys, "guarantee", "change", number, "--amount", "3000万", "--json")
    assert r.code == 0, r.err
    assert r.json["kind"] == "変更" and r.json["auth_key"] != key
    r = cli(capsys, "guarantee", "correct", number, "--project", "県道改良工事（訂正）")
    assert r.code == 0 and "訂正" in r.out and "認証キー:" in r.out
    r = cli(capsys, "guarantee", "correct", number)
    assert (
        r.code == 1
        and "エラー: 訂正する項目を指定してください" in r.err
        and "Traceback" not in r.err
    )

    r = cli(capsys, "certificate", "list", number, "--json")
    assert [c["version"] for c in r.json] == [1, 2, 3]
    assert all(c["auth_key"] == "**********" for c in r.json)
    r = cli(capsys, "certificate", "list", number)
    assert "訂正" in r.out and key not in r.out

    out = tmp_path / "notice.pdf"
    r = cli(
        capsys,
        "notice",
        "render",
        number,
        "--version",
        "1",
        "--format",
        "pdf",
        "--output",
        str(out),
    )
    assert r.code == 0, r.err
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(out.read_bytes())).pages[0].extract_text()
    assert key in text and number in text and "「認証キー」等のお知らせ" in text
    assert out.stat().st_mode & 0o077 == 0  # holds the key: owner only
    for fmt in ("html", "text"):
        r = cli(
            capsys,
            "notice",
            "render",
            number,
            "--format",
            fmt,
            "--output",
            str(tmp_path / f"n.{fmt}"),
        )
        assert r.code == 0
        assert "県道改良工事（訂正）" in (tmp_path / f"n.{fmt}").read_text(encoding="utf-8")

    r = cli(capsys, "outbox", "list", "--json")
    assert [(m["guarantee_number"], m["version"], m["status"]) for m in r.json] == [
        (number, 3, "pending"),
        (number, 2, "pending"),
        (number, 1, "pending"),
    ]
    r = cli(capsys, "certificate", "issue", "2079999999")
    assert r.code == 1 and "見つかりません" in r.err


def test_cli_paper_certificate_renders_the_paper_document(
    env_db: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    g = make_guarantee(
        env_db,
        customer(env_db),
        delivery="書面",
        bank="肥後銀行 本店",
        period_start="2026-04-02",
        period_end="2027-03-31",
    )
    r = cli(capsys, "certificate", "issue", g.guarantee_number)
    assert r.code == 0 and "書面" in r.out
    out = tmp_path / "cert.pdf"
    r = cli(capsys, "notice", "render", g.guarantee_number, "--format", "pdf", "--output", str(out))
    assert r.code == 0 and "保証証書" in r.out
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(out.read_bytes())).pages[0].extract_text()
    for expected in (
        "保証証書",
        "保証契約者",
        "株式会社肥後建設",
        "被保証者",
        "熊本県",
        "40,000,000円",
        "保証期限",
        "令和9年3月31日",
        "工期",
        "令和8年4月2日",
        "請負金額",
        "100,000,000円",
        "前払金取扱金融機関",
        "肥後銀行 本店",
        "熊本支店",
    ):
        assert expected in text, expected


def test_guarantee_group_still_has_its_own_commands(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    r = cli(capsys, "guarantee", "--help")
    for action in ("add", "list", "show", "change", "correct"):
        assert action in r.out


def test_certificate_rows_reference_the_guarantee(db: Database) -> None:
    g = make_guarantee(db, customer(db))
    issue(db, g.guarantee_number)
    with db.reader() as s:
        gid = s.scalar(select(col(Guarantee.id)).where(col(Guarantee.number) == g.guarantee_number))
        (cert,) = s.scalars(select(Certificate))
    assert cert.guarantee_id == gid and cert.terms["customer_name"] == "株式会社肥後建設"


def test_the_company_name_is_a_setting_kept_with_each_version(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.settings import get_settings

    monkeypatch.setenv("HOSHO_COMPANY", "東西建設業保証株式会社")
    get_settings.cache_clear()
    g = make_guarantee(db, customer(db))
    first = issue(db, g.guarantee_number)
    doc = certificates.certificate_document(db, first.guarantee_number)
    assert doc.company == "東西建設業保証株式会社"
    monkeypatch.setenv("HOSHO_COMPANY", "別の名前株式会社")
    get_settings.cache_clear()  # an issued version keeps the name it was issued under
    assert certificates.certificate_document(db, first.guarantee_number).company == (
        "東西建設業保証株式会社"
    )
