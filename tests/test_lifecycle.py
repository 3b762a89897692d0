"""A guarantee's life (受付 → 発行済 → 完了/解約, 取消), duplicates, stored warnings, the
変更契約日 and paper certificates — through core and the command line, on both backends."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from core import certificates, closing, services
from core.certificates import MissingPaperFields
from core.db import Database
from core.errors import ValidationError
from core.lifecycle import DuplicateGuaranteeError, LifecycleError
from core.models import AuditEvent, Certificate, Guarantee, Outbox
from core.terms import CertKind
from mailer import outbox
from tests.helpers import cli, make_guarantee
from tests.test_mailer import settings

OP = "テスト担当"
TODAY = date.today()


def customer(
    db: Database, name: str = "株式会社肥後建設", email: str = "info@higo.example.jp"
) -> int:
    return services.add_customer(db, name=name, email=email, operator=OP).id


def issue(db: Database, number: str, **kw: Any) -> certificates.IssueResult:
    return certificates.issue_certificate(
        db, number, operator=OP, mail_domain="hosho.example", **kw
    )


def change(
    db: Database,
    number: str,
    kind: CertKind = CertKind.CHANGE,
    change_date: str | None = None,
    **changes: str,
) -> certificates.IssueResult:
    return certificates.change_guarantee(
        db, number, changes, kind=kind, operator=OP, mail_domain="hosho.example",
        change_date=change_date,
    )  # fmt: skip


def status(db: Database, number: str) -> str:
    return services.get_guarantee(db, number).status


def count(db: Database, model: Any) -> int:
    with db.reader() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def events(db: Database, action: str) -> list[AuditEvent]:
    with db.reader() as s:
        return list(
            s.scalars(
                select(AuditEvent).where(col(AuditEvent.action) == action).order_by(AuditEvent.id)
            )
        )


def snapshot(db: Database) -> tuple[int, int, int, list[tuple[str, str, date | None]]]:
    """Everything a refused step must leave as it was."""
    with db.reader() as s:
        rows = [
            (g.number, g.status, g.closed_on)
            for g in s.scalars(select(Guarantee).order_by(Guarantee.id))
        ]
    return count(db, Certificate), count(db, Outbox), count(db, AuditEvent), rows


# --- transitions ---------------------------------------------------------------------------


def test_cancel_from_recorded_and_from_issued_is_audited(db: Database) -> None:
    cid = customer(db)
    recorded = make_guarantee(db, cid, project="市道1号線 改良工事")
    issued = make_guarantee(db, cid, project="市道2号線 改良工事")
    issue(db, issued.guarantee_number)

    view = closing.cancel_guarantee(
        db, recorded.guarantee_number, reason="二重登録のため", operator="山田"
    )
    assert view.status == "取消" and view.closed_on is None
    assert view.status_change is not None
    assert view.status_change["by"] == "山田" and view.status_change["reason"] == "二重登録のため"
    closing.cancel_guarantee(db, issued.guarantee_number, reason="入力誤り", operator="佐藤")
    assert status(db, issued.guarantee_number) == "取消"

    first, second = events(db, "guarantee.cancel")
    assert first.operator == "山田" and first.target == f"guarantee:{recorded.guarantee_number}"
    assert first.detail["from"] == "受付" and first.detail["to"] == "取消"
    assert first.detail["reason"] == "二重登録のため"
    assert second.detail["from"] == "発行済" and second.operator == "佐藤"


def test_cancel_needs_a_reason_and_saves_nothing_without(db: Database) -> None:
    g = make_guarantee(db, customer(db))
    before = snapshot(db)
    with pytest.raises(ValidationError, match="取消の理由") as caught:
        closing.cancel_guarantee(db, g.guarantee_number, reason="  ", operator=OP)
    assert caught.value.for_field("reason")
    assert snapshot(db) == before


def test_close_as_completed_or_terminated_on_the_day_it_ended(db: Database) -> None:
    cid = customer(db)
    done = make_guarantee(db, cid, contract_date="2024-04-01", period_end="2025-03-31")
    issue(db, done.guarantee_number)
    ended = make_guarantee(db, cid, contract_date="2024-04-01", project="橋梁補修工事")

    view = closing.close_guarantee(
        db, done.guarantee_number, as_="完了", date_text="R7.3.31", reason="工事完成", operator=OP
    )
    assert (view.status, view.closed_on) == ("完了", date(2025, 3, 31))
    assert view.status_change and view.status_change["reason"] == "工事完成"
    view = closing.close_guarantee(
        db, ended.guarantee_number, as_="解約", date_text="2024-09-30", operator=OP
    )
    assert (view.status, view.closed_on) == ("解約", date(2024, 9, 30))
    completed, terminated = events(db, "guarantee.close")
    assert completed.detail == {
        "from": "発行済", "to": "完了", "date": "2025-03-31", "reason": "工事完成"
    }  # fmt: skip
    assert terminated.detail["from"] == "受付" and terminated.detail["to"] == "解約"


@pytest.mark.parametrize(
    ("as_", "day", "field", "expected"),
    [
        ("完了", "2026-03-31", "date", "契約締結日 令和8年4月1日 より前"),
        ("完了", (TODAY + timedelta(days=1)).isoformat(), "date", "先の日付"),
        ("完了", "R8.2.30", "date", "存在しない"),
        ("完了", "", "date", "終了日"),
        ("取消", "2026-04-02", "as", "完了か解約"),
        ("満期", "2026-04-02", "as", "完了か解約"),
    ],
)
def test_close_refuses_an_impossible_day_or_kind(
    db: Database, as_: str, day: str, field: str, expected: str
) -> None:
    g = make_guarantee(db, customer(db), contract_date="2026-04-01")
    before = snapshot(db)
    with pytest.raises(ValidationError) as caught:
        closing.close_guarantee(db, g.guarantee_number, as_=as_, date_text=day, operator=OP)
    assert any(expected in m for m in caught.value.for_field(field)), caught.value.problems
    assert snapshot(db) == before


def _each_state(db: Database) -> dict[str, str]:
    """One guarantee in each final state, each with a version issued (and a notice)."""
    cid = customer(db)
    out = {}
    for name in ("取消", "完了", "解約"):
        g = make_guarantee(db, cid, project=f"{name}の工事", period_end="2027-03-31")
        issue(db, g.guarantee_number)
        if name == "取消":
            closing.cancel_guarantee(db, g.guarantee_number, reason="入力誤り", operator=OP)
        else:
            closing.close_guarantee(
                db, g.guarantee_number, as_=name, date_text="2026-05-01", operator=OP
            )
        out[name] = g.guarantee_number
    return out


def test_final_states_refuse_what_they_must(db: Database) -> None:
    numbers = _each_state(db)
    before = snapshot(db)
    for name, number in numbers.items():
        attempts = {
            "証書の発行": lambda n=number: issue(db, n),
            "変更": lambda n=number: change(db, n, amount="3000万"),
            "訂正": lambda n=number: change(db, n, CertKind.CORRECTION, project="訂正後の工事"),
            "取消": lambda n=number: closing.cancel_guarantee(db, n, reason="x", operator=OP),
            "完了・解約": lambda n=number: closing.close_guarantee(
                db, n, as_="完了", date_text="2026-05-02", operator=OP
            ),
        }
        for what, attempt in attempts.items():
            with pytest.raises(LifecycleError) as caught:
                attempt()
            text = str(caught.value)
            assert number in text and what in text and f"{name}済み" in text, text
            # the reason, and what to do instead
            assert "新しい保証として登録" in text
    assert snapshot(db) == before


def test_cancelled_guarantee_has_no_notice_but_closed_ones_print_again(db: Database) -> None:
    numbers = _each_state(db)
    with pytest.raises(LifecycleError, match="お知らせ・保証証書の作成はできません"):
        certificates.certificate_document(db, numbers["取消"], operator=OP)
    for name in ("完了", "解約"):
        doc = certificates.certificate_document(db, numbers[name], operator=OP)
        assert doc.guarantee_number == numbers[name]
        # viewed and listed as before
        assert services.get_guarantee(db, numbers[name]).status == name
        assert len(certificates.list_certificates(db, numbers[name])) == 1
        found = services.search_guarantees(db, services.parse_filter(status=name))
        assert [g.guarantee_number for g in found] == [numbers[name]]
    cancelled = services.search_guarantees(db, services.parse_filter(status="取消"))
    assert [g.guarantee_number for g in cancelled] == [numbers["取消"]]


def test_a_cancelled_guarantees_notices_are_withdrawn_and_never_sent(
    db: Database,
    smtp: Any,
) -> None:
    server = smtp()
    cid = customer(db)
    kept = make_guarantee(db, cid, project="残る工事")
    dropped = make_guarantee(db, cid, project="取り消す工事")
    issue(db, kept.guarantee_number)
    issue(db, dropped.guarantee_number)
    closing.cancel_guarantee(db, dropped.guarantee_number, reason="入力誤り", operator=OP)
    rows = {r.guarantee_number: r for r in outbox.list_outbox(db)}
    assert rows[dropped.guarantee_number].status == "failed"
    assert "取消" in (rows[dropped.guarantee_number].last_error or "")
    assert (events(db, "guarantee.cancel")[0].detail["notices_withdrawn"]) == 1

    report = outbox.send_pending(db, settings(), all_=True)  # --all retries failed rows
    assert [a.guarantee_number for a in report.attempts] == [kept.guarantee_number]
    assert len(server.handler.received) == 1
    assert kept.guarantee_number in server.handler.received[0]["Subject"]


# --- overdue --------------------------------------------------------------------------------


def _overdue_book(db: Database) -> dict[str, str]:
    cid = customer(db)
    past = (TODAY - timedelta(days=400)).isoformat()
    end_a = (TODAY - timedelta(days=30)).isoformat()
    end_b = (TODAY - timedelta(days=1)).isoformat()
    book = {
        "old": make_guarantee(db, cid, project="A", contract_date=past, period_end=end_a),
        "issued": make_guarantee(db, cid, project="B", contract_date=past, period_end=end_b),
        "today": make_guarantee(
            db, cid, project="C", contract_date=past, period_end=TODAY.isoformat()
        ),
        "future": make_guarantee(db, cid, project="D", contract_date=past, period_end="2048-03-31"),
        "no_end": make_guarantee(db, cid, project="E", contract_date=past),
        "cancelled": make_guarantee(db, cid, project="F", contract_date=past, period_end=end_a),
    }
    issue(db, book["issued"].guarantee_number)
    closing.cancel_guarantee(db, book["cancelled"].guarantee_number, reason="入力誤り", operator=OP)
    return {k: g.guarantee_number for k, g in book.items()}


def test_overdue_lists_open_guarantees_past_their_end(db: Database) -> None:
    book = _overdue_book(db)
    found = closing.list_overdue(db)
    assert [g.guarantee_number for g in found] == [book["old"], book["issued"]]
    assert [g.status for g in found] == ["受付", "発行済"]
    later = closing.list_overdue(db, TODAY + timedelta(days=1))  # its last day passed too
    assert book["today"] in [g.guarantee_number for g in later]


def test_bulk_close_is_one_transaction_audited_each(db: Database) -> None:
    book = _overdue_book(db)
    before = snapshot(db)
    with pytest.raises(ValidationError, match="より前"):  # one refused: none closed
        closing.close_overdue(db, operator=OP, date_text=(TODAY - timedelta(days=500)).isoformat())
    assert snapshot(db) == before

    closed = closing.close_overdue(db, operator="山田")
    assert [g.guarantee_number for g in closed] == [book["old"], book["issued"]]
    for g in closed:
        shown = services.get_guarantee(db, g.guarantee_number)
        assert shown.status == "完了" and shown.closed_on == shown.guarantee_end
    audited = events(db, "guarantee.close")
    assert [e.target for e in audited] == [
        f"guarantee:{book['old']}",
        f"guarantee:{book['issued']}",
    ]
    assert all(e.detail["bulk"] is True and e.operator == "山田" for e in audited)
    assert {e.detail["from"] for e in audited} == {"受付", "発行済"}
    assert closing.list_overdue(db) == []
    assert status(db, book["cancelled"]) == "取消"  # never touched


def test_cli_overdue_and_bulk_close_needs_yes(
    env_db: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    book = _overdue_book(env_db)
    r = cli(capsys, "guarantee", "overdue", "--json")
    assert r.code == 0 and [g["guarantee_number"] for g in r.json] == [book["old"], book["issued"]]
    r = cli(capsys, "guarantee", "overdue")
    assert book["old"] in r.out and "2件" in r.out and "30日" in r.out
    r = cli(capsys, "guarantee", "overdue", "--as-of", "2000-01-01", "--json")
    assert r.json == []

    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal
    before = snapshot(env_db)
    r = cli(capsys, "guarantee", "close", "--overdue", "--as", "完了")
    assert r.code == 1 and "--yes" in r.err and "2件" in r.err
    r = cli(capsys, "guarantee", "close", "--overdue", "--as", "解約", "--yes")
    assert r.code == 1 and "完了だけ" in r.err
    assert snapshot(env_db) == before

    r = cli(capsys, "guarantee", "close", "--overdue", "--as", "完了", "--yes", "--json")
    assert r.code == 0, r.err
    assert [(g["guarantee_number"], g["status"]) for g in r.json] == [
        (book["old"], "完了"),
        (book["issued"], "完了"),
    ]
    r = cli(capsys, "guarantee", "close", "--overdue", "--as", "完了", "--yes")
    assert r.code == 0 and "ありません" in r.out


def test_cli_bulk_close_asks_on_a_terminal(
    env_db: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    book = _overdue_book(env_db)

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    r = cli(capsys, "guarantee", "close", "--overdue", "--as", "完了")
    assert r.code == 1 and "よろしいですか" in r.err and "中止" in r.err
    assert status(env_db, book["old"]) == "受付"
    monkeypatch.setattr("sys.stdin", Terminal("y\n"))
    too_early = (TODAY - timedelta(days=500)).isoformat()  # before their 契約締結日
    r = cli(capsys, "guarantee", "close", "--overdue", "--as", "完了", "--date", too_early)
    assert r.code == 1 and "より前" in r.err
    assert status(env_db, book["old"]) == "受付"
    monkeypatch.setattr("sys.stdin", Terminal("y\n"))
    r = cli(capsys, "guarantee", "close", "--overdue", "--as", "完了")
    assert r.code == 0 and "2件を完了" in r.out
    assert status(env_db, book["old"]) == "完了"


# --- the command line ------------------------------------------------------------------------


def test_cli_cancel_and_close_print_the_guarantee(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    cid = customer(env_db)
    a = make_guarantee(env_db, cid, project="A工事", contract_date="R8.4.1")
    b = make_guarantee(env_db, cid, project="B工事", contract_date="R8.4.1")
    shown = cli(capsys, "guarantee", "show", a.guarantee_number, "--json").json

    r = cli(capsys, "guarantee", "cancel", a.guarantee_number)
    assert r.code == 1 and "--reason" in r.err  # required
    r = cli(capsys, "guarantee", "cancel", a.guarantee_number, "--reason", "二重登録", "--json")
    assert r.code == 0, r.err
    assert set(r.json) == set(shown)  # the JSON of guarantee show
    assert r.json["status"] == "取消" and r.json["status_change"]["reason"] == "二重登録"

    r = cli(capsys, "guarantee", "close", b.guarantee_number, "--as", "完了", "--date", "R8.5.1",
            "--reason", "工事完成", "--json")  # fmt: skip
    assert r.code == 0, r.err
    assert (r.json["status"], r.json["closed_on"]) == ("完了", "2026-05-01")
    assert r.json == cli(capsys, "guarantee", "show", b.guarantee_number, "--json").json
    human = cli(capsys, "guarantee", "show", b.guarantee_number).out
    assert "完了（令和8年5月1日終了）" in human and "工事完成" in human

    r = cli(capsys, "guarantee", "close", b.guarantee_number, "--as", "完了")
    assert r.code == 1 and "--date" in r.err
    for args in (
        ["certificate", "issue", b.guarantee_number],
        ["guarantee", "change", b.guarantee_number, "--amount", "3000万"],
        ["guarantee", "cancel", a.guarantee_number, "--reason", "もう一度"],
    ):
        r = cli(capsys, *args)
        assert r.code == 1 and r.err.startswith("エラー: 保証契約番号") and "Traceback" not in r.err
        assert len(r.err.strip().splitlines()) == 1
    r = cli(capsys, "guarantee", "list", "--status", "完了", "--json")
    assert [g["guarantee_number"] for g in r.json] == [b.guarantee_number]


# --- duplicates ------------------------------------------------------------------------------


def _draft(cid: int, **fields: str) -> services.GuaranteeDraft:
    values = {
        "type": "前払金",
        "orderer": "熊本県",
        "project": "県道熊本高森線 道路改良工事",
        "contract_amount": "100,000,000",
        "amount": "40,000,000",
        "contract_date": "2026-04-01",
    } | fields
    return services.GuaranteeDraft(customer=str(cid), **values)


def add(db: Database, draft: services.GuaranteeDraft, **kw: Any) -> services.GuaranteeView:
    return services.add_guarantee(db, draft, operator=OP, number_prefix="207", **kw)


def test_a_duplicate_is_refused_unless_confirmed(db: Database) -> None:
    cid = customer(db)
    first = add(db, _draft(cid))
    before = snapshot(db)
    # full-width letters and spaces, surrounding blanks: the same 工事名
    for project in (
        "県道熊本高森線 道路改良工事",
        " 県道熊本高森線　道路改良工事 ",
        "県道熊本高森線 道路改良工事",
    ):
        with pytest.raises(DuplicateGuaranteeError) as caught:
            add(db, _draft(cid, project=project, contract_date="R8.4.1"))
        assert first.guarantee_number in str(caught.value)
        assert [d.number for d in caught.value.duplicates] == [first.guarantee_number]
    assert snapshot(db) == before
    # any of the five differs: not a duplicate
    other = customer(db, name="有限会社阿蘇組", email="")
    for changed in (
        _draft(other),
        _draft(cid, orderer="鳥栖市"),
        _draft(cid, type="契約", amount="10,000,000"),
        _draft(cid, project="県道熊本高森線 道路改良工事（その2）"),
        _draft(cid, contract_date="2026-04-02"),
    ):
        add(db, changed)
    second = add(db, _draft(cid), confirmed=True)
    assert second.guarantee_number != first.guarantee_number
    (event,) = [
        e for e in events(db, "guarantee.add") if e.target == f"guarantee:{second.guarantee_number}"
    ]
    assert event.detail["confirmed_duplicate_of"] == [first.guarantee_number]


def test_a_cancelled_guarantee_is_no_duplicate(db: Database) -> None:
    cid = customer(db)
    first = add(db, _draft(cid))
    closing.cancel_guarantee(db, first.guarantee_number, reason="入力誤り", operator=OP)
    again = add(db, _draft(cid))
    assert again.status == "受付"


def test_cli_duplicate_then_confirmed(env_db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.test_cli_guarantees import add_guarantee

    cid = customer(env_db)
    first = add_guarantee(capsys, cid).json["guarantee_number"]
    r = add_guarantee(capsys, cid)
    assert r.code == 1 and r.out == ""
    assert f"保証契約番号 {first}（受付）" in r.err and "--confirmed" in r.err
    assert len(r.err.strip().splitlines()) == 1
    args = ["guarantee", "add", "--type", "前払金", "--customer", str(cid), "--orderer", "熊本県",
            "--project", "県道熊本高森線 道路改良工事", "--contract-amount", "1億",
            "--amount", "4000万", "--contract-date", "R8.4.1", "--confirmed", "--json"]  # fmt: skip
    r = cli(capsys, *args)
    assert r.code == 0, r.err
    assert r.json["guarantee_number"] != first


# --- warnings kept ---------------------------------------------------------------------------


def test_warnings_are_stored_at_add_and_checked_again_on_each_change(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    db = env_db
    g = make_guarantee(db, customer(db), amount="45,000,000", period_end="2027-03-31")
    number = g.guarantee_number
    over = "前払金 45,000,000円 が請負金額の10分の4（40,000,000円）を超えています（工事の通例）"
    with db.reader() as s:
        stored = s.scalars(select(Guarantee).where(col(Guarantee.number) == number)).one()
        assert stored.warnings == [over]
    shown = cli(capsys, "guarantee", "show", number, "--json").json
    assert shown["warnings"] == [over]
    assert f"注意: {over}" in cli(capsys, "guarantee", "show", number).out

    v1 = issue(db, number)
    assert over in v1.warnings
    v2 = change(db, number, amount="4000万")  # within the limit now
    assert v2.warnings == ()
    assert cli(capsys, "guarantee", "show", number, "--json").json["warnings"] == []
    v3 = change(db, number, CertKind.CORRECTION, contract_amount="8000万")  # 40M > 32M
    assert any("32,000,000円" in w for w in v3.warnings)
    shown = cli(capsys, "guarantee", "show", number, "--json").json
    assert len(shown["warnings"]) == 1 and "32,000,000円" in shown["warnings"][0]
    history = certificates.list_certificates(db, number)
    assert [list(c.warnings) for c in history] == [[over], [], shown["warnings"]]
    listed = cli(capsys, "certificate", "list", number, "--json").json
    assert listed[2]["warnings"] == shown["warnings"]


def test_delivery_warnings_are_stored_too(db: Database) -> None:
    # 山口県 started in 令和4年12月 (month only): 電子 asked for, 要確認.
    g = make_guarantee(db, customer(db), orderer="山口県", contract_date="2022-12-15")
    stored = services.get_guarantee(db, g.guarantee_number).warnings
    assert len(stored) == 1 and stored[0].startswith("電子交付の希望ですが要確認です")


# --- 変更契約日 ------------------------------------------------------------------------------


def test_change_date_is_stored_and_shown(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    g = make_guarantee(env_db, customer(env_db), contract_date="R8.4.1")
    number = g.guarantee_number
    issue(env_db, number)
    before = snapshot(env_db)
    with pytest.raises(ValidationError, match="契約締結日 令和8年4月1日 より前"):
        change(env_db, number, change_date="R8.3.31", amount="3000万")
    with pytest.raises(ValidationError, match="変更のときだけ"):
        change(env_db, number, CertKind.CORRECTION, change_date="R8.9.1", project="訂正")
    assert snapshot(env_db) == before

    r = cli(capsys, "guarantee", "change", number, "--amount", "3000万",
            "--change-date", "令和8年9月1日", "--json")  # fmt: skip
    assert r.code == 0, r.err
    assert r.json["change_date"] == "2026-09-01"
    with env_db.reader() as s:
        cert = s.scalars(select(Certificate).where(col(Certificate.version) == 2)).one()
        assert cert.change_date == date(2026, 9, 1)
    (latest,) = [c for c in certificates.list_certificates(env_db, number) if c.latest]
    assert latest.change_date == date(2026, 9, 1)
    listed = cli(capsys, "certificate", "list", number)
    assert "令和8年9月1日" in listed.out
    assert (
        cli(capsys, "certificate", "list", number, "--json").json[1]["change_date"] == "2026-09-01"
    )
    (event,) = events(env_db, "certificate.change")
    assert event.detail["change_date"] == "2026-09-01"
    r = cli(capsys, "guarantee", "correct", number, "--project", "訂正", "--change-date", "R8.9.1")
    assert r.code == 1  # 訂正 has no 変更契約日 flag


# --- paper certificates ----------------------------------------------------------------------


def test_paper_pdf_is_named_as_staff_hand_it_out(
    env_db: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    cid = customer(env_db)
    paper = make_guarantee(
        env_db, cid, delivery="書面", period_start="R8.4.2", period_end="R9.3.31"
    )
    electronic = make_guarantee(env_db, cid, project="電子の工事", period_end="R9.3.31")
    r = cli(capsys, "certificate", "issue", paper.guarantee_number)
    assert r.code == 0 and f"保証証書_{paper.guarantee_number}.pdf" in r.out
    issue(env_db, electronic.guarantee_number)
    tmp_path = tmp_path / "desk"  # where staff run the command (the database is elsewhere)
    tmp_path.mkdir()
    monkeypatch.chdir(tmp_path)
    r = cli(capsys, "notice", "render", paper.guarantee_number, "--format", "pdf", "--json")
    assert r.code == 0, r.err
    assert r.json["output"] == f"保証証書_{paper.guarantee_number}.pdf"
    assert r.json["document"] == "保証証書"
    assert (tmp_path / f"保証証書_{paper.guarantee_number}.pdf").read_bytes().startswith(b"%PDF")
    r = cli(capsys, "notice", "render", electronic.guarantee_number, "--format", "pdf")
    assert r.code == 0
    assert (tmp_path / f"認証キー等のお知らせ_{electronic.guarantee_number}.pdf").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"保証証書_{paper.guarantee_number}.pdf",
         f"認証キー等のお知らせ_{electronic.guarantee_number}.pdf"]
    )  # fmt: skip
    assert certificates.document_filename("2070000001", "書面", "text") == "保証証書_2070000001.txt"


def test_paper_guidance_only_for_paper(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    cid = customer(env_db)
    paper = make_guarantee(
        env_db, cid, delivery="書面", period_start="R8.4.2", period_end="R9.3.31"
    )
    electronic = make_guarantee(env_db, cid, project="電子の工事")
    lines = certificates.paper_guidance(
        services.get_guarantee(env_db, paper.guarantee_number), None
    )
    text = "".join(lines)
    assert f"保証証書_{paper.guarantee_number}.pdf" in text
    assert "認証キーとお知らせメールはありません" in text
    assert "出典: 電子保証のご案内（佐賀支店、令和8年2月26日）" in text
    assert (
        certificates.paper_guidance(
            services.get_guarantee(env_db, electronic.guarantee_number), None
        )
        == []
    )
    assert "書面: " in cli(capsys, "guarantee", "show", paper.guarantee_number).out
    assert "書面: " not in cli(capsys, "guarantee", "show", electronic.guarantee_number).out


def test_no_paper_certificate_with_an_empty_works_period(
    env_db: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    g = make_guarantee(env_db, customer(env_db), delivery="書面", period_end="R9.3.31")
    number = g.guarantee_number
    before = snapshot(env_db)
    with pytest.raises(MissingPaperFields) as caught:
        issue(env_db, number)
    assert caught.value.fields == ["period_start"] and "工期（自）" in str(caught.value)
    r = cli(capsys, "certificate", "issue", number)
    assert r.code == 1
    assert "工期（自）が空" in r.err and f"hosho guarantee correct {number} --period-start" in r.err
    assert snapshot(env_db) == before

    # 訂正 before the first issue fixes the record without issuing
    r = cli(capsys, "guarantee", "correct", number, "--period-start", "R8.4.2", "--json")
    assert r.code == 0, r.err
    assert r.json["certificate_issued"] is False and r.json["period_start"] == "2026-04-02"
    assert count(env_db, Certificate) == 0 and events(env_db, "guarantee.correct")
    r = cli(capsys, "guarantee", "change", number, "--amount", "3000万")
    assert r.code == 1 and "まだ証書を発行していません" in r.err
    r = cli(capsys, "certificate", "issue", number)
    assert r.code == 0, r.err
    out = tmp_path / "c.txt"
    assert (
        cli(capsys, "notice", "render", number, "--format", "text", "--output", str(out)).code == 0
    )
    text = out.read_text(encoding="utf-8")
    assert "令和8年4月2日 から 令和9年3月31日 まで" in text and "— から" not in text


def test_a_change_that_turns_paper_needs_the_works_period(db: Database) -> None:
    # 広島県: a change of a contract concluded before its start is issued on paper.
    g = make_guarantee(
        db, customer(db), orderer="広島県", contract_date="2024-07-01",
        original_contract_date="2024-05-15",
    )  # fmt: skip
    issue(db, g.guarantee_number)
    before = snapshot(db)
    with pytest.raises(MissingPaperFields, match="この変更と一緒に") as caught:
        change(db, g.guarantee_number, amount="3000万")
    assert caught.value.fields == ["period_start", "period_end", "guarantee_end"]
    assert snapshot(db) == before
    v2 = change(
        db, g.guarantee_number, amount="3000万", period_start="R6.7.2", period_end="R7.3.31"
    )
    assert v2.delivery == "書面"


def test_an_old_paper_version_without_a_works_period_is_not_printed(db: Database) -> None:
    from mailer.render import render_document

    g = make_guarantee(
        db, customer(db), delivery="書面", period_start="R8.4.2", period_end="R9.3.31"
    )
    issue(db, g.guarantee_number)
    with db.session() as s:  # as issued before the check
        cert = s.scalars(select(Certificate)).one()
        cert.terms = {**cert.terms, "period_start": None}
    doc = certificates.certificate_document(db, g.guarantee_number)
    with pytest.raises(MissingPaperFields, match="第1版の保証証書を作れません: 工期（自）が空"):
        render_document(doc, "pdf")


def test_audit_detail_is_json(db: Database) -> None:
    """Every lifecycle event stays plain JSON (dates as text)."""
    numbers = _each_state(db)
    assert numbers
    for e in events(db, "guarantee.close") + events(db, "guarantee.cancel"):
        json.dumps(e.detail, ensure_ascii=False)
