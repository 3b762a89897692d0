"""Bad input, and a database or disk that refuses: one clear Japanese message naming what to do,
exit code 1, nothing written. 「予期しない問題」 is kept for the truly unexpected."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from textual.widgets import Input, Label

import core.db
from core import models, paths, services
from core.db import Database
from core.errors import ValidationError, explain
from core.files import write_file
from core.models import AuditEvent, Customer, Guarantee
from tests.helpers import Result, cli, make_guarantee
from tests.test_tui import SIZE, wait_for, wait_rows
from tui.app import make_app
from tui.forms import CustomerForm, GuaranteeForm

HIGO = "株式会社肥後建設"
UNEXPECTED = "予期しない問題"


def refused(r: Result, *messages: str) -> None:
    """Exit code 1, every message said, each line an 「エラー: 」 line, never the unexpected."""
    assert r.code == 1, (r.out, r.err)
    for message in messages:
        assert message in r.err, (message, r.err)
    assert UNEXPECTED not in r.err and "Traceback" not in r.err, r.err
    assert all(line.startswith("エラー: ") for line in r.err.strip().splitlines()), r.err


def counts(db: Database) -> tuple[int, int, int]:
    """Customers, guarantees and audit events: nothing refused may add to them."""
    with db.reader() as s:
        return tuple(  # type: ignore[return-value]
            int(s.scalar(select(func.count()).select_from(m)) or 0)
            for m in (Customer, Guarantee, AuditEvent)
        )


def add_customer(capsys: pytest.CaptureFixture[str], name: str = HIGO, *extra: str) -> int:
    r = cli(capsys, "customer", "add", "--name", name, *extra, "--json")
    assert r.code == 0, r.err
    return int(r.json["id"])


GUARANTEE = {
    "--type": "前払金",
    "--orderer": "熊本県",
    "--project": "県道熊本高森線 道路改良工事",
    "--contract-amount": "100,000,000",
    "--amount": "40,000,000",
    "--contract-date": "令和8年4月1日",
}


def add_guarantee(capsys: pytest.CaptureFixture[str], customer: int, **flags: str) -> Result:
    args = ["guarantee", "add", "--customer", str(customer)]
    for flag, value in (GUARANTEE | flags).items():
        args += [flag, value]
    return cli(capsys, *args, "--json")


# --- the database refuses ---------------------------------------------------------------------


def read_only_url(db_url: str) -> str:
    """The same database, opened so that every write is refused. (core.db makes the folder of a
    SQLite URI's "file:..." below the current folder: tests using it chdir to tmp_path.)"""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///file:{url.database}?mode=ro&uri=true"
    options = f"{url.query.get('options', '')} -cdefault_transaction_read_only=on".strip()
    return url.update_query_dict({"options": options}).render_as_string(hide_password=False)


def test_a_read_only_database_is_said_and_nothing_is_lost(
    env_db: Database,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    cid = add_customer(capsys)
    before = counts(env_db)
    monkeypatch.setenv("HOSHO_DATABASE_URL", read_only_url(db_url))
    r = cli(capsys, "customer", "add", "--name", "有限会社阿蘇組")
    refused(r, "データベースが読み取り専用です", "権限を確認してください")
    if env_db.is_sqlite:
        assert str(make_url(db_url).database) in r.err  # which file
    refused(add_guarantee(capsys, cid), "データベースが読み取り専用です")
    listed = cli(capsys, "customer", "list")  # reading still works
    assert listed.code == 0 and HIGO in listed.out
    assert counts(env_db) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to a file whatever its mode")
def test_a_database_file_without_write_permission(
    env_db: Database, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if not env_db.is_sqlite:
        pytest.skip("a file's mode: SQLite")
    path = Path(str(make_url(db_url).database))
    env_db.dispose()
    path.chmod(0o444)
    try:
        r = cli(capsys, "customer", "add", "--name", HIGO)
        refused(r, "データベースが読み取り専用です", str(path))
    finally:
        path.chmod(0o644)


def test_a_full_disk_is_said_and_nothing_is_half_written(
    env_db: Database,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = counts(env_db)
    if env_db.is_sqlite:  # the database may not grow by a single page
        pragmas = core.db._sqlite_pragmas

        def full(connection: object, record: object) -> None:
            pragmas(connection, record)
            cur = connection.cursor()  # type: ignore[attr-defined]
            pages = cur.execute("PRAGMA page_count").fetchone()[0]
            cur.execute(f"PRAGMA max_page_count = {pages}")
            cur.close()

        monkeypatch.setattr(core.db, "_sqlite_pragmas", full)
        r = cli(capsys, "demo", "seed", "--count", "2000")
    else:  # what psycopg raises when PostgreSQL cannot extend a file
        import psycopg.errors

        disk = psycopg.errors.DiskFull('could not extend file "base/1/2": No space left on device')

        def no_space(*args: object, **kwargs: object) -> None:
            raise OperationalError("INSERT INTO customer ...", {}, disk)

        monkeypatch.setattr("core.customers.add_customer", no_space)
        r = cli(capsys, "customer", "add", "--name", HIGO)
    refused(r, "ディスクの空きがありません", "空きを作ってから")
    assert counts(env_db) == before


def test_the_drivers_words_are_mapped_in_one_place() -> None:
    import psycopg.errors

    url = "postgresql+psycopg://hosho:secret@db.example.jp/hosho"
    full = OperationalError("INSERT", {}, psycopg.errors.DiskFull("No space left on device"))
    said = explain(full, url)
    assert said is not None and "ディスクの空きがありません" in str(said)
    assert "secret" not in str(said) and "db.example.jp" in str(said)
    read_only = OperationalError(
        "INSERT", {}, psycopg.errors.ReadOnlySqlTransaction("cannot execute INSERT in a read-only")
    )
    assert "読み取り専用" in str(explain(read_only, url))
    too_big = OverflowError("Python int too large to convert to SQLite INTEGER")
    assert "大きすぎ" in str(explain(too_big, "sqlite:///x.db"))
    assert explain(KeyError("x")) is None and explain(OverflowError("math range error")) is None


async def test_the_ui_says_the_database_is_read_only(
    db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    before = counts(db)
    app = make_app(read_only_url(db_url))
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, 0)
        await pilot.press("u")
        form = app.screen
        assert isinstance(form, CustomerForm)
        form.query_one("#input-name", Input).value = HIGO
        await pilot.press("ctrl+s")
        error = form.query_one("#form-error", Label)
        await wait_for(pilot, lambda: "読み取り専用" in str(error.render()), error)
        assert UNEXPECTED not in str(error.render())
        assert form.query_one("#input-name", Input).value == HIGO  # kept
    assert counts(db) == before


# --- settings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "value", "messages"),
    [
        ("HOSHO_SMTP_PORT", "abc", ["HOSHO_SMTP_PORT", "ポート番号（整数"]),
        ("HOSHO_NUMBER_PREFIX", "12345", ["HOSHO_NUMBER_PREFIX", "数字1〜4桁"]),
        ("HOSHO_SMTP_SECURITY", "ssl", ["HOSHO_SMTP_SECURITY", "none・starttls・tls"]),
    ],
)
def test_a_bad_setting_is_named_with_what_it_takes_never_its_value(
    env_db: Database,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    env: str,
    value: str,
    messages: list[str],
) -> None:
    monkeypatch.setenv(env, value)
    r = cli(capsys, "customer", "list")
    refused(r, *messages)
    assert value not in r.err


def test_a_numeric_password_in_the_config_file_is_never_echoed_or_logged(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    config = paths.config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('operator = "山田"\nsmtp_password = 98765432\n', encoding="utf-8")
    for args in (("customer", "list"), ()):  # () opens the UI: refused before it starts
        r = cli(capsys, *args)
        refused(r, "HOSHO_SMTP_PASSWORD", "smtp_password", "文字列")
        assert "98765432" not in r.err
    log = paths.user_data_dir() / "hosho.log"
    assert "98765432" not in log.read_text(encoding="utf-8")


def test_a_config_file_that_is_not_toml(capsys: pytest.CaptureFixture[str]) -> None:
    config = paths.config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('operator = "山田"\nbranch = \n', encoding="utf-8")
    r = cli(capsys, "customer", "list")
    refused(r, f"設定ファイル {config} がTOMLとして読めません（2行目）")


# --- files --------------------------------------------------------------------------------------


def test_output_to_a_folder_or_a_missing_folder(
    env_db: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cid = add_customer(capsys, HIGO, "--email", "info@higo.example.jp")
    number = add_guarantee(capsys, cid).json["guarantee_number"]
    assert cli(capsys, "certificate", "issue", number).code == 0
    out = tmp_path / "out"
    out.mkdir()
    missing = tmp_path / "ない" / "x"
    commands = [
        ("guarantee", "list", "--format", "csv", "--output"),
        ("report", "monthly", "--format", "xlsx", "--output"),
        ("notice", "render", number, "--format", "pdf", "--output"),
        ("orderer", "export", "--output"),
    ]
    for command in commands:
        refused(
            cli(capsys, *command, str(out)), f"{out} はフォルダです。ファイル名を指定してください"
        )
        refused(
            cli(capsys, *command, f"{missing}.csv"),
            f"保存先のフォルダがありません: {missing.parent}",
        )
    assert list(out.iterdir()) == [] and not missing.parent.exists()


def test_a_file_holding_the_key_is_the_owners_only_even_when_replacing_one(
    env_db: Database, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cid = add_customer(capsys, HIGO, "--email", "info@higo.example.jp")
    number = add_guarantee(capsys, cid).json["guarantee_number"]
    assert cli(capsys, "certificate", "issue", number).code == 0
    folder = tmp_path / "out"
    folder.mkdir()
    notice = folder / "notice.pdf"
    notice.write_text("前の内容")
    notice.chmod(0o644)
    r = cli(capsys, "notice", "render", number, "--format", "pdf", "--output", str(notice))
    assert r.code == 0, r.err
    assert stat.S_IMODE(notice.stat().st_mode) == 0o600
    assert notice.read_bytes().startswith(b"%PDF")
    assert [p.name for p in folder.iterdir()] == ["notice.pdf"]  # no temporary file left


def test_write_file_whole_or_not_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = tmp_path / "a.txt"
    plain.write_text("前")
    plain.chmod(0o640)
    write_file(plain, "後")
    assert plain.read_text(encoding="utf-8") == "後" and stat.S_IMODE(plain.stat().st_mode) == 0o640
    private = write_file(tmp_path / "key.txt", b"KEY", private=True)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600

    def denied(*args: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", denied)
    with pytest.raises(Exception, match=r"a.txt に書き込めません（権限）"):
        write_file(plain, "壊れた")
    assert plain.read_text(encoding="utf-8") == "後"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "key.txt"]


def test_the_log_is_the_users_only_and_holds_the_unexpected(
    env_db: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    log = paths.user_data_dir() / "hosho.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("")
    log.chmod(0o644)  # a log made before: tightened

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("core.customers.list_customers", broken)
    r = cli(capsys, "customer", "list")
    assert r.code == 1 and f"{UNEXPECTED}が起きました（RuntimeError）" in r.err
    assert str(log) in r.err and "Traceback" not in r.err and "boom" not in r.err
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    text = log.read_text(encoding="utf-8")
    assert "Traceback" in text and "RuntimeError: boom" in text


# --- amounts, dates, counts -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "messages"),
    [
        (
            {"--amount": "99999999999999999999億"},
            ["保証金額が大きすぎます（上限 999,999,999,999円）"],
        ),
        ({"--contract-amount": "1" + "0" * 30}, ["請負金額が大きすぎます（上限"]),
        ({"--amount": "1,2,3"}, ["保証金額「1,2,3」のカンマの位置が正しくありません", "3桁ごと"]),
        ({"--amount": "1億5,0000万"}, ["カンマの位置が正しくありません"]),
        (
            {"--contract-date": "9999-12-31"},
            ["「9999-12-31」は扱える日付の範囲外です（平成元年1月8日〜令和30年12月31日）"],
        ),
        (
            {"--period-end": "令和99年3月31日"},
            ["工期（至）: 「令和99年3月31日」は扱える日付の範囲外です"],
        ),
        (
            {"--project": "工" * 100_000},
            ["工事名・業務名は300文字以内にしてください（100,000文字）"],
        ),
        ({"--bank": "銀" * 121}, ["前払金取扱金融機関は120文字以内にしてください（121文字）"]),
    ],
)
def test_bad_guarantee_values_are_refused_before_anything_is_saved(
    env_db: Database,
    capsys: pytest.CaptureFixture[str],
    flags: dict[str, str],
    messages: list[str],
) -> None:
    cid = add_customer(capsys)
    before = counts(env_db)
    refused(add_guarantee(capsys, cid, **flags), *messages)
    assert counts(env_db) == before


def test_grouped_amounts_in_threes_are_read(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    cid = add_customer(capsys)
    r = add_guarantee(capsys, cid, **{"--contract-amount": "1億5,000万", "--amount": "1,234,567"})
    assert r.code == 0, r.err
    assert (r.json["contract_amount"], r.json["amount"]) == (150_000_000, 1_234_567)


def test_a_change_is_checked_like_a_new_guarantee(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    cid = add_customer(capsys)
    number = add_guarantee(capsys, cid).json["guarantee_number"]
    before = counts(env_db)
    refused(
        cli(capsys, "guarantee", "correct", number, "--project", "工" * 301),
        "工事名・業務名は300文字以内にしてください（301文字）",
    )
    refused(cli(capsys, "guarantee", "correct", number, "--amount", "1,2,3"), "カンマの位置")
    assert counts(env_db) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("guarantee", "list", "--offset", "-5"), "--offset: 0以上の整数を指定してください（-5）"),
        (("guarantee", "list", "--limit", "-1"), "--limit: 1以上の整数を指定してください（-1）"),
        (("guarantee", "list", "--limit", "9" * 30), "--limit: 9,223,372,036,854,775,807以下"),
        (("customer", "list", "--limit", "-1"), "--limit: 1以上の整数"),
        (("demo", "seed", "--count", "-5"), "--count: 1以上の整数を指定してください（-5）"),
        (("demo", "seed", "--count", "0"), "--count: 1以上の整数"),
        (("guarantee", "list", "--min-amount", "9" * 25), "下限金額が大きすぎます"),
        (("guarantee", "list", "--from", "0001-01-01"), "範囲外"),
        (
            ("report", "monthly", "--from", "2049-01"),
            "集計の始まり: 「2049-01」は扱える年月の範囲外です",
        ),
    ],
)
def test_bad_flags_are_refused(
    env_db: Database, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    before = counts(env_db)
    refused(cli(capsys, *args), message)
    assert counts(env_db) == before


def test_an_id_too_long_for_the_database_is_simply_not_found(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    huge = "9" * 25
    refused(cli(capsys, "customer", "show", huge), f"受注者「{huge}」が見つかりません")
    found = cli(capsys, "guarantee", "list", "--customer", huge)
    assert found.code == 0 and "条件に合う保証はありません" in found.out


def test_seeding_again_with_the_same_seed_adds_as_many_again(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(2):
        r = cli(capsys, "demo", "seed", "--count", "40", "--seed", "7", "--json")
        assert r.code == 0, r.err
        assert (r.json["customers"], r.json["guarantees"]) == (2, 40)
    customers, guarantees, _ = counts(env_db)
    assert (customers, guarantees) == (4, 80)
    with env_db.reader() as s:
        ids = [i for i in s.scalars(select(Customer.enet_id)) if i]
    assert len(ids) == len(set(ids))


# --- text limits, the same on both databases ------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("a@b@c.example", "アドレスは一つだけ"),
        ("x@example.jp,y@example.jp", "アドレスは一つだけ"),
        ("<x@example.jp>", "名前や < > を付けず"),
        ("山田 <x@example.jp>", "アドレスは一つだけ"),
        ("x y@example.jp", "アドレスは一つだけ"),
        ("x@localhost", "@より後のドメインが正しくありません"),
        ("a" * 65 + "@example.jp", "@より前は64文字以内にしてください（65文字）"),
        ("x@" + "a" * 300 + ".jp", "メールアドレスは254文字以内にしてください（305文字）"),
        ("x..y@example.jp", "点（.）の位置"),
    ],
)
def test_an_email_is_one_real_address(
    env_db: Database, capsys: pytest.CaptureFixture[str], email: str, message: str
) -> None:
    before = counts(env_db)
    refused(cli(capsys, "customer", "add", "--name", HIGO, "--email", email), message)
    assert counts(env_db) == before


def test_a_full_width_email_is_still_read(
    env_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    r = cli(
        capsys,
        "customer",
        "add",
        "--name",
        HIGO,
        "--email",
        "ｉｎｆｏ＠ｈｉｇｏ．ｅｘａｍｐｌｅ．ｊｐ",
        "--json",
    )
    assert r.code == 0 and r.json["email"] == "info@higo.example.jp"


def test_nothing_too_long_reaches_either_database(db: Database) -> None:
    """Whatever path a row takes, the session refuses a value its column cannot hold."""
    with pytest.raises(ValidationError) as info, db.session() as s:
        s.add(Customer(name="商" * 100_000, email="x" * 300, created_at=models.now()))
    assert info.value.problems == [
        "商号は200文字以内にしてください（100,000文字）",
        "メールアドレスは254文字以内にしてください（300文字）",
    ]
    c = services.add_customer(db, name=HIGO, operator="t")
    g = make_guarantee(db, c.id)
    with pytest.raises(ValidationError, match="工事名・業務名は300文字以内"), db.session() as s:
        row = s.scalars(select(Guarantee).where(Guarantee.number == g.guarantee_number)).one()
        row.project_name = "工" * 301
    with db.reader() as s:
        assert s.scalars(select(Customer.name)).all() == [HIGO]
        assert s.scalars(select(Guarantee.project_name)).all() == ["県道改良工事"]


def test_an_operator_name_too_long_is_named_by_its_setting(
    env_db: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = counts(env_db)
    monkeypatch.setenv("HOSHO_OPERATOR", "担" * 101)
    refused(
        cli(capsys, "customer", "add", "--name", HIGO),
        "担当者名（HOSHO_OPERATOR）は100文字以内にしてください（101文字）",
    )
    assert counts(env_db) == before


async def test_the_forms_say_what_is_too_long_beside_the_field(db: Database, db_url: str) -> None:
    higo = services.add_customer(db, name=HIGO, operator="t")
    make_guarantee(db, higo.id)
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, 1)
        await pilot.press("u")
        form = app.screen
        assert isinstance(form, CustomerForm)
        form.query_one("#input-name", Input).value = "商" * 201
        form.query_one("#input-email", Input).value = "x@example.jp,y@example.jp"
        await pilot.press("ctrl+s")
        name_error = form.query_one("#error-name", Label)
        await wait_for(pilot, lambda: "200文字以内" in str(name_error.render()), name_error)
        assert "アドレスは一つだけ" in str(form.query_one("#error-email", Label).render())
        await pilot.press("escape")

        await pilot.press("n")
        form = app.screen
        assert isinstance(form, GuaranteeForm)
        for name, value in {
            "customer": HIGO,
            "orderer": "熊本県",
            "project": "工" * 301,
            "contract_amount": "1,2,3",
            "amount": "4000万",
            "contract_date": "9999-12-31",
        }.items():
            form.query_one(f"#input-{name}", Input).value = value
        await pilot.press("ctrl+s")
        project = form.query_one("#error-project", Label)
        await wait_for(pilot, lambda: "300文字以内" in str(project.render()), project)
        assert "カンマの位置" in str(form.query_one("#error-contract_amount", Label).render())
        assert "範囲外" in str(form.query_one("#error-contract_date", Label).render())
    assert counts(db)[:2] == (1, 1)


# --- knowledge files ------------------------------------------------------------------------------


def test_a_yaml_alias_bomb_is_refused_at_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{','.join([f'*{prev}'] * 9)}]")
    bomb = tmp_path / "faq.yaml"
    bomb.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert len(bomb.read_bytes()) < 500
    started = time.perf_counter()
    r = cli(capsys, "data", "check", str(bomb))
    assert time.perf_counter() - started < 2
    assert r.code == 1
    assert f"{bomb}:1: アンカー（&）と別名（*）は使えません" in r.out


def test_an_unclosed_bracket_is_reported_on_its_own_line_in_japanese(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lines = ["list_as_of: 2026-03-01", "list_source: saga-guide-2026", "orderers:"]
    lines += [f"  # {i}" for i in range(4, 15)]
    lines += ["  - aliases: [とす, とすし", "    name: 鳥栖市", "    category: 市町村"]
    path = tmp_path / "orderers.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert lines[15 - 1].endswith("[とす, とすし")  # line 15; the parser notices it on line 16
    r = cli(capsys, "data", "check", str(path))
    assert r.code == 1
    problems = [line for line in r.out.splitlines() if line.startswith(str(path))]
    assert problems == [
        f"{path}:15: YAMLとして読めません: [ が閉じていません（] かカンマが足りません）"
    ]


def test_knowledge_problems_are_in_japanese(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "branches.yaml"
    path.write_text(
        "source: kumamoto-guide-2025\nas_of: 2022-05-01\ncolour: red\nbranches: []\n",
        encoding="utf-8",
    )
    r = cli(capsys, "data", "check", str(path))
    assert r.code == 1
    assert f"{path}:3: colour: 知らない項目です: colour" in r.out
    assert f"{path}:4: branches: 1件以上必要です" in r.out
    missing = cli(capsys, "data", "check", str(tmp_path / "faq.yaml"))
    assert f"{tmp_path / 'faq.yaml'}: ファイルがありません" in missing.out
