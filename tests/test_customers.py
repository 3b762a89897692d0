"""Customers (受注者) through the command line, as staff would type them: add, edit, show,
search, duplicates, resolving by text, and notices re-addressed when the email changes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from core import customers
from core.db import Database
from core.models import AuditEvent, Customer, Guarantee, NoticeFile, Outbox
from tests.helpers import Result, cli

HIGO = "株式会社肥後建設"


def add(capsys: pytest.CaptureFixture[str], name: str = HIGO, *flags: str) -> Result:
    return cli(capsys, "customer", "add", "--name", name, *flags, "--json")


def add_id(capsys: pytest.CaptureFixture[str], name: str = HIGO, *flags: str) -> int:
    r = add(capsys, name, *flags)
    assert r.code == 0, r.err
    return int(r.json["id"])


def show(capsys: pytest.CaptureFixture[str], customer: int | str) -> dict[str, Any]:
    r = cli(capsys, "customer", "show", str(customer), "--json")
    assert r.code == 0, r.err
    data: dict[str, Any] = r.json
    return data


def audits(db: Database, action: str) -> list[AuditEvent]:
    with db.reader() as s:
        return list(
            s.scalars(
                select(AuditEvent)
                .where(col(AuditEvent.action) == action)
                .order_by(col(AuditEvent.id))
            )
        )


def count_customers(db: Database) -> int:
    with db.reader() as s:
        return int(s.scalar(select(func.count()).select_from(Customer)) or 0)


def guarantee(capsys: pytest.CaptureFixture[str], customer: str, *extra: str) -> Result:
    base = {
        "--type": "前払金",
        "--customer": customer,
        "--orderer": "熊本県",
        "--project": "県道熊本高森線 道路改良工事",
        "--contract-amount": "100,000,000",
        "--amount": "40,000,000",
        "--contract-date": "令和8年4月1日",
    }
    args: list[str] = ["guarantee", "add"]
    for flag, value in (base | dict(zip(extra[::2], extra[1::2], strict=True))).items():
        args += [flag, value]
    return cli(capsys, *args, "--json")


# --- add ---------------------------------------------------------------------------------


def test_add_prints_the_customer_json_with_kana(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    r = add(capsys, HIGO, "--kana", "ひご　けんせつ", "--email", "info@higo.example.jp",
            "--enet-id", "Ｅ００１２３４５", "--address", "熊本市中央区水前寺1-1",
            "--phone", "096-000-0000", "--representative", "肥後太郎", "--contact", "肥後花子")  # fmt: skip
    assert r.code == 0, r.err
    assert r.json == {
        "id": r.json["id"],
        "name": HIGO,
        "kana": "ヒゴ　ケンセツ",  # hiragana typed, katakana stored
        "email": "info@higo.example.jp",
        "enet_id": "E0012345",  # typed in full width
        "address": "熊本市中央区水前寺1-1",
        "phone": "096-000-0000",
        "representative": "肥後太郎",
        "contact_person": "肥後花子",
    }
    assert show(capsys, r.json["id"])["kana"] == "ヒゴ　ケンセツ"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ヒゴケンセツ", "ヒゴケンセツ"),
        ("ひごけんせつ", "ヒゴケンセツ"),
        ("ﾋｺﾞｹﾝｾﾂ", "ヒゴケンセツ"),  # half-width
        ("ゔぃーなす・こうぎょう", "ヴィーナス・コウギョウ"),
    ],
)
def test_kana_is_stored_in_full_width_katakana(
    env_db: Database, capsys: pytest.CaptureFixture[str], typed: str, stored: str
) -> None:
    r = add(capsys, HIGO, "--kana", typed)
    assert r.code == 0, r.err
    assert r.json["kana"] == stored


@pytest.mark.parametrize("typed", ["肥後建設", "HIGO", "ひご建設", "ヒゴ-ケンセツ"])
def test_kana_in_another_script_is_refused(
    env_db: Database, capsys: pytest.CaptureFixture[str], typed: str
) -> None:
    r = add(capsys, HIGO, "--kana", typed)
    assert r.code == 1
    assert r.err.startswith("エラー: 商号カナはカタカナ（ひらがなも可）で入力してください")
    assert count_customers(env_db) == 0


# --- duplicates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "second",
    ["株式会社肥後建設", "（株）肥後建設", "㈱ 肥後建設", "肥後建設株式会社", "肥後　建設"],
)
def test_same_name_is_refused_unless_confirmed(
    env_db: Database, capsys: pytest.CaptureFixture[str], second: str
) -> None:
    first = add_id(capsys, HIGO, "--enet-id", "E0001")
    r = add(capsys, second)
    assert r.code == 1
    (line,) = r.err.strip().splitlines()
    assert line.startswith("エラー: 同じ商号の受注者が既に登録されています")
    assert f"ID {first} {HIGO}（e-Net保証ID E0001）" in line  # who, with its ID
    assert "その受注者を使って" in line and "--confirmed" in line  # what to do
    assert count_customers(env_db) == 1
    again = add(capsys, second, "--confirmed")
    assert again.code == 0, again.err
    assert again.json["id"] != first and count_customers(env_db) == 2
    (event,) = [
        e for e in audits(env_db, "customer.add") if e.target.endswith(f":{again.json['id']}")
    ]
    assert event.detail.get("confirmed_duplicate") is True


def test_other_companies_are_not_duplicates(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    add_id(capsys, HIGO)
    for name in ("株式会社肥後建設工業", "有限会社肥後", "肥後建"):
        assert add(capsys, name).code == 0, name


def test_same_enet_id_is_always_refused(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    first = add_id(capsys, HIGO, "--enet-id", "E0001")
    for typed in ("E0001", "Ｅ０００１", " E0001 "):
        r = add(capsys, "有限会社阿蘇組", "--enet-id", typed, "--confirmed")
        assert r.code == 1
        (line,) = r.err.strip().splitlines()
        assert f"e-Net保証ID「E0001」は既に登録されています: ID {first} {HIGO}" in line
        assert "重ねて登録できません" in line
    assert count_customers(env_db) == 1


# --- edit --------------------------------------------------------------------------------

EDITS = [
    ("--name", "name", "株式会社肥後建設工業", "株式会社肥後建設工業"),
    ("--kana", "kana", "ひごけんせつこうぎょう", "ヒゴケンセツコウギョウ"),
    ("--email", "email", "keiri@higo.example.jp", "keiri@higo.example.jp"),
    ("--address", "address", "熊本市東区1-2-3", "熊本市東区1-2-3"),
    ("--phone", "phone", "096-111-2222", "096-111-2222"),
    ("--representative", "representative", "肥後一郎", "肥後一郎"),
    ("--contact", "contact_person", "経理 田中", "経理 田中"),
    ("--enet-id", "enet_id", "E0099", "E0099"),
]


@pytest.mark.parametrize(("flag", "key", "typed", "stored"), EDITS)
def test_edit_each_field_is_saved_and_audited_with_before_and_after(
    env_db: Database,
    capsys: pytest.CaptureFixture[str],
    flag: str,
    key: str,
    typed: str,
    stored: str,
) -> None:
    cid = add_id(capsys, HIGO, "--kana", "ヒゴケンセツ", "--email", "info@higo.example.jp",
                 "--enet-id", "E0001", "--address", "熊本市中央区", "--phone", "096-000-0000",
                 "--representative", "肥後太郎", "--contact", "肥後花子")  # fmt: skip
    before = show(capsys, cid)
    r = cli(capsys, "customer", "edit", str(cid), flag, typed, "--json")
    assert r.code == 0, r.err
    assert r.json[key] == stored
    assert r.json["changes"] == {key: [before[key], stored]}
    after = show(capsys, cid)
    assert after[key] == stored
    assert {k: v for k, v in after.items() if k != key} == {
        k: v for k, v in before.items() if k != key
    }  # nothing else changed
    (event,) = audits(env_db, "customer.edit")
    assert event.target == f"customer:{cid}" and event.operator == "テスト担当"
    assert event.detail == {"changes": {key: [before[key], stored]}}
    with env_db.reader() as s:
        row = s.get(Customer, cid)
        assert row is not None and row.updated_at is not None
    human = cli(capsys, "customer", "edit", str(cid), flag, typed)
    assert human.code == 0 and "変更はありません" in human.out  # the same value again
    assert len(audits(env_db, "customer.edit")) == 1


def test_edit_several_fields_prints_each_change(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    cid = add_id(capsys, HIGO, "--enet-id", "E0001", "--phone", "096-000-0000")
    r = cli(capsys, "customer", "edit", "E0001", "--kana", "ひご", "--phone", "096-999-9999",
            "--enet-id", "")  # fmt: skip
    assert r.code == 0, r.err
    assert f"受注者を修正しました: ID {cid} {HIGO}" in r.out
    assert "商号カナ: （なし） → ヒゴ" in r.out
    assert "電話番号: 096-000-0000 → 096-999-9999" in r.out
    assert "e-Net保証ID: E0001 → （なし）" in r.out
    assert show(capsys, cid)["enet_id"] is None
    (event,) = audits(env_db, "customer.edit")
    assert event.detail["changes"] == {
        "kana": ["", "ヒゴ"],
        "phone": ["096-000-0000", "096-999-9999"],
        "enet_id": ["E0001", None],
    }


BAD = [
    (("--name", "  "), "商号を入力してください"),
    (("--name", "株" * 201), "商号は200文字以内にしてください（201文字）"),
    (("--kana", "漢字"), "商号カナはカタカナ"),
    (("--email", "not-an-address"), "メールアドレス「not-an-address」の形式が正しくありません"),
    (("--address", "熊" * 301), "所在地は300文字以内にしてください（301文字）"),
    (("--phone", "0" * 41), "電話番号は40文字以内にしてください（41文字）"),
    (("--representative", "代" * 101), "代表者は100文字以内"),
    (("--contact", "担" * 101), "担当者は100文字以内"),
    (("--enet-id", "E 1"), "e-Net保証ID「E 1」に空白は使えません"),
    (("--enet-id", "E" * 41), "e-Net保証IDは40文字以内"),
    (("--email", "a" * 250 + "@x.jp"), "メールアドレスは254文字以内"),
    (("--name", "肥後\r\nBcc: x@example.jp"), "商号に改行や制御文字は使えません"),
]


@pytest.mark.parametrize(("flags", "message"), BAD)
def test_bad_input_is_refused_alike_by_add_and_edit_and_nothing_is_saved(
    env_db: Database, capsys: pytest.CaptureFixture[str], flags: tuple[str, str], message: str
) -> None:
    cid = add_id(capsys, HIGO, "--email", "info@higo.example.jp")
    before = show(capsys, cid)
    edit = cli(capsys, "customer", "edit", str(cid), *flags)
    assert edit.code == 1
    (line,) = edit.err.strip().splitlines()
    assert line.startswith("エラー: ") and message in line
    assert show(capsys, cid) == before
    assert audits(env_db, "customer.edit") == []
    name = flags[1] if flags[0] == "--name" else "有限会社阿蘇組"
    extra = [] if flags[0] == "--name" else list(flags)
    added = cli(capsys, "customer", "add", "--name", name, *extra)
    assert added.code == 1
    assert message in added.err  # the same check, the same words
    assert count_customers(env_db) == 1


def test_edit_reports_every_problem_at_once(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    cid = add_id(capsys)
    other = add_id(capsys, "有限会社阿蘇組", "--enet-id", "E0002")
    r = cli(capsys, "customer", "edit", str(cid), "--email", "x", "--kana", "X", "--enet-id",
            "E0002")  # fmt: skip
    assert r.code == 1
    lines = r.err.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith("エラー: ") for line in lines)
    assert any(f"ID {other} 有限会社阿蘇組" in line for line in lines)


def test_edit_to_another_customers_name_needs_confirmation(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    first = add_id(capsys, HIGO)
    second = add_id(capsys, "有限会社阿蘇組")
    r = cli(capsys, "customer", "edit", str(second), "--name", "肥後建設株式会社")
    assert r.code == 1 and f"ID {first} {HIGO}" in r.err and "--confirmed" in r.err
    assert show(capsys, second)["name"] == "有限会社阿蘇組"
    ok = cli(capsys, "customer", "edit", str(second), "--name", "肥後建設株式会社", "--confirmed")
    assert ok.code == 0, ok.err
    # its own name in another form is no duplicate of itself
    solo = add_id(capsys, "合同会社球磨")
    assert cli(capsys, "customer", "edit", str(solo), "--name", "球磨合同会社").code == 0


def test_edit_needs_a_customer_and_a_field(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    add_id(capsys)
    nothing = cli(capsys, "customer", "edit", "1")
    assert nothing.code == 1 and "変更する項目を指定してください" in nothing.err
    missing = cli(capsys, "customer", "edit", "99", "--phone", "1")
    assert missing.code == 1 and "受注者「99」が見つかりません" in missing.err


# --- resolving a customer by text ---------------------------------------------------------


def test_ambiguous_customer_is_refused_with_every_candidate(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    first = add_id(capsys, HIGO, "--address", "熊本市中央区")
    second = add_id(capsys, "（株）肥後建設", "--enet-id", "E0002", "--confirmed")
    for typed in (HIGO, "肥後建設", "（株）肥後建設"):
        r = guarantee(capsys, typed)
        assert r.code == 1
        (line,) = r.err.strip().splitlines()
        assert "2件あります" in line and "IDで指定してください" in line
        assert f"ID {first} {HIGO}（熊本市中央区）" in line
        assert f"ID {second} （株）肥後建設（e-Net保証ID E0002）" in line
    with env_db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Guarantee)) == 0
    shown = cli(capsys, "customer", "show", "肥後建設")
    assert shown.code == 1 and "2件あります" in shown.err
    # by ID or e-Net保証 ID it is one
    assert guarantee(capsys, str(first)).json["customer_id"] == first
    by_enet = guarantee(capsys, "E0002", "--project", "別の工事")
    assert by_enet.code == 0, by_enet.err
    assert by_enet.json["customer_id"] == second


def test_one_customer_is_found_without_its_affix(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    cid = add_id(capsys, HIGO)
    r = guarantee(capsys, "肥後建設")
    assert r.code == 0, r.err
    assert r.json["customer_id"] == cid
    unknown = guarantee(capsys, "肥後建")
    assert unknown.code == 1 and "見つかりません" in unknown.err and HIGO in unknown.err


# --- show --------------------------------------------------------------------------------


def test_show_lists_the_customers_guarantees(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    cid = add_id(capsys, HIGO, "--kana", "ひごけんせつ", "--enet-id", "E0001")
    other = add_id(capsys, "有限会社阿蘇組")
    older = guarantee(capsys, str(cid), "--contract-date", "R7.6.2", "--project", "市道舗装工事")
    newer = guarantee(capsys, str(cid), "--orderer", "鳥栖市", "--type", "契約", "--amount",
                      "12,000,000", "--contract-date", "R8.5.7")  # fmt: skip
    assert guarantee(capsys, str(other)).code == 0  # not this customer's
    data = show(capsys, cid)
    assert data["kana"] == "ヒゴケンセツ" and data["guarantee_count"] == 2
    numbers = [g["guarantee_number"] for g in data["guarantees"]]
    assert numbers == [newer.json["guarantee_number"], older.json["guarantee_number"]]
    listed = cli(capsys, "guarantee", "list", "--customer", "E0001", "--json").json
    assert data["guarantees"] == listed  # the rows of `guarantee list --json`
    human = cli(capsys, "customer", "show", "E0001")
    assert human.code == 0
    for text in (HIGO, "ヒゴケンセツ", "保証: 全2件", newer.json["guarantee_number"], "契約",
                 "鳥栖市", "令和8年5月7日", "12,000,000円", "市道舗装工事", "令和7年6月2日",
                 "受付"):  # fmt: skip
        assert text in human.out, text
    empty = cli(capsys, "customer", "show", str(other), "--limit", "5", "--json").json
    assert empty["guarantee_count"] == 1 and len(empty["guarantees"]) == 1
    few = cli(capsys, "customer", "show", str(cid), "--limit", "1", "--json").json
    assert few["guarantee_count"] == 2 and len(few["guarantees"]) == 1


# --- list and search ---------------------------------------------------------------------


def test_list_searches_name_kana_in_either_script_and_enet_id(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    higo = add_id(capsys, HIGO, "--kana", "ヒゴケンセツ", "--enet-id", "E0012345")
    aso = add_id(capsys, "有限会社阿蘇組", "--kana", "あそぐみ")
    add_id(capsys, "佐賀土木株式会社", "--kana", "サガドボク")

    def ids(query: str) -> list[int]:
        r = cli(capsys, "customer", "list", query, "--json")
        assert r.code == 0, r.err
        return [c["id"] for c in r.json]

    assert ids("肥後") == [higo]
    assert ids("ひご") == [higo]  # kana typed in hiragana
    assert ids("ケンセツ") == [higo]
    assert ids("ｹﾝｾﾂ") == [higo]  # half-width
    assert ids("アソ") == [aso] and ids("そぐ") == [aso]
    assert (
        ids("E0012345") == [higo]
        and ids("e0012345") == [higo]
        and ids("Ｅ００１２３４５") == [higo]
    )
    assert ids("E001") == []  # an e-Net保証 ID is matched whole
    assert ids("組") == [aso]
    assert ids("100%") == [] and ids("_") == []  # LIKE wildcards are text
    assert len(ids("")) == 3
    human = cli(capsys, "customer", "list", "ひご")
    assert "ヒゴケンセツ" in human.out and "E0012345" in human.out
    assert "該当する受注者はありません" in cli(capsys, "customer", "list", "熊野").out


# --- a new email re-addresses the notices that failed --------------------------------------


UNKNOWN_USER = "550 5.1.1 Recipient address rejected: User unknown"


def outbox_rows(db: Database) -> list[Outbox]:
    with db.reader() as s:
        return list(s.scalars(select(Outbox).order_by(col(Outbox.id))))


def test_new_email_resends_the_failed_notice_to_it(
    env_db: Database, capsys: pytest.CaptureFixture[str], smtp: Any
) -> None:
    old, new = "info@higo.example.jp", "keiri@higo.example.jp"
    server = smtp()
    server.handler.refuse[old] = UNKNOWN_USER
    cid = add_id(capsys, HIGO, "--email", old)
    g = guarantee(capsys, str(cid))
    number = g.json["guarantee_number"]
    issued = cli(capsys, "certificate", "issue", number, "--json")
    assert issued.code == 0, issued.err
    sent = cli(capsys, "outbox", "send", "--json")
    assert sent.code == 1 and sent.json["failed"] == 1  # 550: the address is wrong
    (row,) = outbox_rows(env_db)
    assert (row.status, row.recipient) == ("failed", old) and "550" in (row.last_error or "")
    with env_db.reader() as s:
        kept = s.get(NoticeFile, row.certificate_id)
        assert kept is not None and kept.message is not None  # the mail kept at issue time
        assert old.encode() in kept.message  # ... with the old address in its To header

    r = cli(capsys, "customer", "edit", str(cid), "--email", new)
    assert r.code == 0, r.err
    assert f"お知らせ 1件を新しいアドレス {new} 宛てにして送信待ちに戻しました" in r.out
    (row,) = outbox_rows(env_db)
    assert (row.status, row.recipient, row.attempts, row.last_error) == ("pending", new, 0, None)
    assert row.next_attempt_at is not None
    (event,) = audits(env_db, "outbox.readdress")
    assert event.target == f"outbox:{row.id}"
    assert event.detail["recipient"] == [old, new] and event.detail["status"] == "failed"
    assert "550" in event.detail["last_error"]
    (edit,) = audits(env_db, "customer.edit")
    assert edit.detail == {"changes": {"email": [old, new]}}

    again = cli(capsys, "outbox", "send", "--json")  # due now, no --all needed
    assert again.code == 0, again.err
    assert again.json["sent"] == 1
    (envelope, msg), = zip(server.handler.envelopes, server.handler.received, strict=True)  # fmt: skip
    assert envelope == [new]  # the envelope ...
    to = str(msg["To"])
    assert new in to and old not in to  # ... and the header: the new address
    assert msg["Message-ID"] == f"<hosho.{number}.v1@kumamoto.example.jp>"  # the same notice
    assert msg.get_body(("plain",)) is not None and list(msg.iter_attachments())
    (row,) = outbox_rows(env_db)
    assert row.status == "sent"


def test_email_edit_leaves_sent_notices_and_other_customers_alone(
    env_db: Database, capsys: pytest.CaptureFixture[str], smtp: Any
) -> None:
    cid = add_id(capsys, HIGO, "--email", "info@higo.example.jp")
    other = add_id(capsys, "有限会社阿蘇組", "--email", "bad@aso.example.jp")
    smtp().handler.refuse["bad@aso.example.jp"] = UNKNOWN_USER
    first = guarantee(capsys, str(cid)).json["guarantee_number"]
    theirs = guarantee(capsys, str(other)).json["guarantee_number"]
    for number in (first, theirs):
        assert cli(capsys, "certificate", "issue", number).code == 0
    cli(capsys, "outbox", "send")
    statuses = {r.recipient: r.status for r in outbox_rows(env_db)}
    assert statuses == {"info@higo.example.jp": "sent", "bad@aso.example.jp": "failed"}
    r = cli(capsys, "customer", "edit", str(cid), "--email", "new@higo.example.jp", "--json")
    assert r.code == 0 and r.json["notices_requeued"] == 0
    statuses = {r.recipient: r.status for r in outbox_rows(env_db)}
    assert statuses == {"info@higo.example.jp": "sent", "bad@aso.example.jp": "failed"}
    assert audits(env_db, "outbox.readdress") == []
    # an edit of another field re-queues nothing either
    assert cli(capsys, "customer", "edit", str(other), "--phone", "0967-00-0000").code == 0
    assert {r.status for r in outbox_rows(env_db) if r.recipient.endswith("aso.example.jp")} == {
        "failed"
    }


# --- the service, for other front ends ------------------------------------------------------


def test_services_keeps_the_old_names(db: Database) -> None:
    from core import services

    assert services.add_customer is customers.add_customer
    assert services.list_customers is customers.list_customers
    assert services.resolve_customer is customers.resolve_customer
    c = services.add_customer(db, name=HIGO, operator="t")
    with pytest.raises(customers.DuplicateCustomerError) as caught:
        services.add_customer(db, name="肥後建設", operator="t")
    assert caught.value.only_duplicates and [d.id for d in caught.value.duplicates] == [c.id]
    assert customers.CONFIRM_HINT in str(caught.value)  # each front end says how to go on


def test_email_edit_readdresses_waiting_notices_but_not_one_being_sent(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    cid = add_id(capsys, HIGO, "--email", "info@higo.example.jp")
    for project in ("一件目の工事", "二件目の工事"):
        number = guarantee(capsys, str(cid), "--project", project).json["guarantee_number"]
        assert cli(capsys, "certificate", "issue", number).code == 0
    waiting, claimed = outbox_rows(env_db)
    with env_db.session() as s:  # another desk's sender has just claimed the second
        row = s.get(Outbox, claimed.id)
        assert row is not None
        row.status = "sending"
    r = cli(capsys, "customer", "edit", str(cid), "--email", "keiri@higo.example.jp", "--json")
    assert r.code == 0 and r.json["notices_requeued"] == 1
    after = {row.id: (row.status, row.recipient) for row in outbox_rows(env_db)}
    assert after == {
        waiting.id: ("pending", "keiri@higo.example.jp"),
        claimed.id: ("sending", "info@higo.example.jp"),
    }
