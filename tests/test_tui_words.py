"""Japanese wherever staff look: the key help (?) and the footer on every screen, the command
palette (Ctrl+P), the audit log (actions and what changed), and a copied 認証キー logged as a
copy."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from textual.dom import DOMNode
from textual.widgets import DataTable, Footer, Input, OptionList, Select, Static
from textual.widgets._footer import FooterKey

from core import certificates, services
from core.db import Database, open_database
from core.present import AUDIT_ACTIONS, audit_action, audit_detail, audit_details, audit_target
from core.terms import CertKind
from tests.helpers import make_guarantee
from tests.test_tui import SIZE, open_orderers, search_orderers, wait_for, wait_rows
from tui.app import APP_COMMANDS, NO_MATCH, HoshoApp, make_app
from tui.browse import SECTIONS, AuditScreen, HelpScreen, KeyRow, key_rows
from tui.dialogs import ConfirmScreen
from tui.guarantees import GuaranteeDetailScreen

ROOT = Path(__file__).resolve().parent.parent
OP = "テスト担当"  # conftest's HOSHO_OPERATOR
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")  # kana, kanji, full-width


def japanese(text: str) -> bool:
    return bool(JAPANESE.search(text))


@pytest.fixture
def desk(db: Database) -> list[services.GuaranteeView]:
    """Two guarantees of one customer; the first with an electronic certificate issued."""
    c = services.add_customer(
        db, name="株式会社肥後建設", email="info@higo.example.jp", operator="t"
    )
    first = make_guarantee(db, c.id, contract_date="R8.4.1", project="県道熊本高森線 道路改良工事")
    second = make_guarantee(db, c.id, orderer="鳥栖市", type="契約", amount="5,000,000",
                            contract_date="R8.3.18", announcement_date="R8.3.2",
                            award_date="R8.3.12")  # fmt: skip
    certificates.issue_certificate(db, first.guarantee_number, operator=OP)
    return [first, second]


def events(db_url: str) -> list[services.AuditView]:
    db = open_database(db_url)
    try:
        return services.list_audit(db)
    finally:
        db.dispose()


# --- key help and footer ---------------------------------------------------------------------


def every_binding(app: HoshoApp) -> list[tuple[str, Any]]:
    """The bindings of the app, the screen and every widget on it (whichever is focused)."""
    nodes: list[DOMNode] = [app, app.screen, *app.screen.query("*")]
    return [
        (type(node).__name__, binding)
        for node in nodes
        for _, binding in node._bindings
        if binding.description
    ]


async def check_keys(app: HoshoApp, pilot: Any, where: str) -> list[KeyRow]:
    """On the current screen: every binding any of its widgets could show is described in
    Japanese; the key help lists each active binding exactly once, in Japanese; so does the
    footer."""
    english = [
        (cls, b.key, b.description) for cls, b in every_binding(app) if not japanese(b.description)
    ]
    assert english == [], where
    rows = key_rows(app.screen)
    assert rows, where
    assert [r for r in rows if not japanese(r.description)] == [], where
    assert all(r.section in SECTIONS for r in rows)
    # each once: no description twice in a section, and every active binding in one row
    listed = [(r.section, r.description) for r in rows]
    assert len(listed) == len(set(listed)), where
    for key, active in app.screen.active_bindings.items():
        b = active.binding
        if b.description:
            shown = app.get_key_display(b)
            holding = [
                r for r in rows if r.description == b.description and shown in r.keys.split("・")
            ]
            assert len(holding) == 1, (where, key, b.description, holding)
    if app.screen.query(Footer):  # (a dialog has none: the screen's below shows)
        await wait_for(pilot, lambda: bool(app.screen.query(FooterKey)))
        footer = [k.description for k in app.screen.query(FooterKey) if k.description]
        assert footer and [d for d in footer if not japanese(d)] == [], (where, footer)
    return rows


async def open_help(app: HoshoApp, pilot: Any) -> HelpScreen:
    app.action_help()
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, HelpScreen)
    text = re.sub(r"\[[a-z_.]+\]", "", str(screen.query_one(Static).render()))  # not the ids
    for english in ("Cursor", "Focus", "Quit", "palette", "Select", "Page", "Scroll", "[]"):
        assert english not in text
    return screen


async def test_key_help_and_footer_are_japanese_on_every_screen(
    db_url: str, desk: list[services.GuaranteeView]
) -> None:
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, 2)
        rows = await check_keys(app, pilot, "list")
        assert {"list.new_guarantee", "app.quit", "app.palette"} <= {r.id for r in rows}
        assert any(r.description == "操作一覧" and r.keys == "^p" for r in rows)
        help_screen = await open_help(app, pilot)
        await check_keys(app, pilot, "help")
        assert [r.id for r in help_screen.rows].count("app.palette") == 1
        await pilot.press("escape")

        app.screen.query_one("#f-customer", Input).focus()  # a filter field: its editing keys
        await pilot.pause()
        rows = await check_keys(app, pilot, "list, in a filter")
        assert any(r.description == "左の1文字を削除" for r in rows)  # Input's backspace
        app.screen.query_one("#f-type", Select).focus()
        await pilot.pause()
        await check_keys(app, pilot, "list, on a choice")

        await app.push_screen(GuaranteeDetailScreen(desk[0].guarantee_number))
        await wait_for(pilot, lambda: app.screen.query_one("#history", DataTable).row_count == 1)
        rows = await check_keys(app, pilot, "detail")
        assert {"証書発行", "認証キー表示", "取消", "完了・解約"} <= {r.description for r in rows}
        app.screen.query_one("#history", DataTable).focus()
        await pilot.pause()
        rows = await check_keys(app, pilot, "detail, on the history")
        assert any(r.description == "上の行へ" and r.section == SECTIONS[2] for r in rows)

        app.push_screen(ConfirmScreen("発行しますか？", "理由"))
        await pilot.pause()
        rows = await check_keys(app, pilot, "a question")
        (no,) = [r for r in rows if r.id == "confirm.no"]
        assert no.keys == "esc・n" and no.description == "いいえ"  # both keys, one line
        await pilot.press("n")

        for key, where in (("o", "orderers"), ("a", "audit"), ("x", "outbox"), ("j", "customers")):
            await pilot.press("escape")
            await pilot.press(key)
            await pilot.pause(0.3)
            await check_keys(app, pilot, where)
        await pilot.press("escape", "escape")
        await wait_rows(app, pilot, 2)

        await pilot.press("o")
        await wait_for(pilot, lambda: app.screen.query_one(DataTable).row_count > 0)
        app.screen.query_one("#pref-list", OptionList).focus()
        await pilot.pause()
        await check_keys(app, pilot, "orderers, the prefectures")
        await pilot.press("escape")

        for key, where in (("n", "new guarantee"), ("u", "new customer"), ("f1", "FAQ")):
            await pilot.press(key)
            await pilot.pause(0.3)
            await check_keys(app, pilot, where)
            await pilot.press("escape")
            await pilot.pause()


async def test_the_orderer_forms_keys_are_japanese_too(
    db_url: str, desk: list[services.GuaranteeView]
) -> None:
    """The 修正 form has a text area (notes) and the 導入 form check boxes: their keys too."""
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, 2)
        screen = await open_orderers(app, pilot)
        await search_orderers(pilot, screen, "あそし", "阿蘇市")
        screen.query_one(DataTable).focus()
        for key, where in (("e", "edit"), ("a", "adopt")):
            await pilot.press(key)
            await pilot.pause(0.3)
            await check_keys(app, pilot, where)
            names = {type(n).__name__ for n in app.screen.query("*")}
            assert {"edit": "TextArea", "adopt": "Checkbox"}[where] in names
            await pilot.press("escape")
            await pilot.pause()


# --- the command palette --------------------------------------------------------------------


def commands(app: HoshoApp) -> list[str]:
    return [c.title for c in app.get_system_commands(app.screen)]


async def palette_items(app: HoshoApp, pilot: Any) -> list[str]:
    from textual.command import CommandList, CommandPalette

    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
    listing = app.screen.query_one(CommandList)
    await wait_for(pilot, lambda: listing.option_count >= len(APP_COMMANDS))
    await pilot.pause(0.3)  # every provider has answered
    return [
        str(listing.get_option_at_index(i).prompt).split("\n")[0]
        for i in range(listing.option_count)
    ]


async def test_palette_offers_japanese_commands_once_with_the_screens_actions(
    db_url: str, desk: list[services.GuaranteeView]
) -> None:
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, 2)
        expected = commands(app)
        shown = await palette_items(app, pilot)
        assert shown == expected
        assert all(japanese(title) for title in shown), shown
        assert len(shown) == len(set(shown)), shown  # each once
        assert shown.count("テーマの変更") == 1 and "終了" in shown
        for english in ("Theme", "Quit", "Keys", "Screenshot", "Maximize"):
            assert english not in shown
        assert "書き出し" in shown  # the list's own action
        await pilot.press("escape")

        await pilot.press("n")  # a form: its own actions, and the keys that work in it
        await pilot.pause(0.3)
        helps = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert helps["保存"].endswith("（^s）") and helps["FAQアシスタント"].endswith("（f1）")
        assert helps["保証一覧"] == "最初の画面に戻る"  # not the text field's "home" key
        assert helps["監査ログ"] == "だれが何をしたか"  # the a key types in the form
        await pilot.press("escape")
        await pilot.pause()

        await app.push_screen(GuaranteeDetailScreen(desk[0].guarantee_number))
        await pilot.pause()
        own = [
            b.description
            for _, b in app.screen._bindings
            if b.id and b.id.startswith("detail.") and b.description
        ]
        assert {
            "証書発行",
            "変更",
            "訂正",
            "取消",
            "完了・解約",
            "認証キー表示",
            "キーをコピー",
            "メール送信",
        } <= set(own)
        shown = await palette_items(app, pilot)
        for title in dict.fromkeys(own):
            assert shown.count(title) == 1, (title, shown)
        assert shown[: len(set(own))] == list(dict.fromkeys(own))  # the screen's own first
        assert all(japanese(title) for title in shown)

        # choosing one runs it on the screen: the key copied, and logged as a copy
        await pilot.press(*["down"] * shown.index("キーをコピー"), "enter")
        await wait_for(pilot, lambda: any(e.action == "certificate.copy" for e in events(db_url)))
        assert isinstance(app.screen, GuaranteeDetailScreen)


async def test_palette_says_no_match_in_japanese(
    db_url: str, desk: list[services.GuaranteeView]
) -> None:
    from textual.command import CommandInput, CommandList

    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, 2)
        await palette_items(app, pilot)
        assert japanese(app.screen.query_one(CommandInput).placeholder)
        await pilot.press(*"zzzq")
        listing = app.screen.query_one(CommandList)
        await wait_for(pilot, lambda: listing.option_count == 1)
        await pilot.pause(1.0)  # past the toolkit's wait before "No matches found"
        prompts = [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]
        assert len(prompts) == 1 and NO_MATCH in prompts[0] and "No matches" not in prompts[0]
        await pilot.press("enter")  # closes the palette, nothing else
        await pilot.pause()
        assert app.screen is app._list_screen()


# --- the audit log ---------------------------------------------------------------------------


async def test_copy_is_logged_as_copy_and_reveal_as_reveal(
    db_url: str, desk: list[services.GuaranteeView]
) -> None:
    number = desk[0].guarantee_number
    app = make_app(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_rows(app, pilot, 2)
        await app.push_screen(GuaranteeDetailScreen(number))
        history = app.screen.query_one("#history", DataTable)
        await wait_for(pilot, lambda: history.row_count == 1)
        await pilot.press("c")
        await wait_for(pilot, lambda: any(e.action == "certificate.copy" for e in events(db_url)))
        assert "*" in str(history.get_row_at(0)[4])  # copied, not shown
        assert not any(e.action == "certificate.reveal" for e in events(db_url))
        await pilot.press("k")
        await wait_for(pilot, lambda: any(e.action == "certificate.reveal" for e in events(db_url)))
    (copy,) = [e for e in events(db_url) if e.action == "certificate.copy"]
    assert copy.target == f"guarantee:{number}" and copy.detail == {"versions": [1]}
    assert copy.operator == OP


async def test_audit_screen_shows_actions_and_changes_in_japanese(
    db: Database, db_url: str, desk: list[services.GuaranteeView]
) -> None:
    number = desk[0].guarantee_number
    certificates.reveal_auth_key(db, number, operator=OP)
    certificates.reveal_auth_key(db, number, operator=OP, copy=True)
    certificates.change_guarantee(
        db,
        number,
        {"amount": "50,000,000"},
        kind=CertKind.CHANGE,
        operator=OP,
        change_date="R8.6.1",
    )
    app = make_app(db_url)
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_rows(app, pilot, 2)
        await pilot.press("a")
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        table = screen.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count >= 6)
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        actions = [row[2] for row in rows]
        assert actions[:4] == [
            "変更（証書の発行）",
            "認証キーのコピー",
            "認証キー表示",
            "証書の発行",
        ]
        assert actions.count("保証の登録") == 2 and "受注者の登録" in actions
        assert rows[0][3] == f"保証 {number}"
        assert "保証金額 40,000,000円 → 50,000,000円" in rows[0][4]
        assert rows[1][4] == "第1版"
        for row in rows:  # no code, no raw detail
            assert not re.search(r"[a-z]+\.[a-z_]+|changes=|\{|'", " ".join(row[2:])), row
        pane = screen.query_one("#audit-text", Static)
        assert "保証金額 40,000,000円 → 50,000,000円" in str(pane.render())
        table.move_cursor(row=2)
        await wait_for(pilot, lambda: "認証キー表示" in str(pane.render()))
        assert "第1版" in str(pane.render())


async def test_audit_detail_is_cut_to_the_table_and_whole_below(
    db: Database, db_url: str, desk: list[services.GuaranteeView]
) -> None:
    number = desk[1].guarantee_number
    certificates.correct_record(
        db, number, {"project": "県道改良工事（その2）", "amount": "6,000,000"}, operator=OP
    )
    app = make_app(db_url)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_rows(app, pilot, 2)
        await pilot.press("a")
        table = app.screen.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count >= 4)
        first = str(table.get_row_at(0)[4])
        assert first.endswith("…")  # cut to what is left of 100 columns
        whole = str(app.screen.query_one("#audit-text", Static).render())
        assert "工事名・業務名 県道改良工事 → 県道改良工事（その2）" in whole
        assert "保証金額 5,000,000円 → 6,000,000円" in whole


def test_audit_words() -> None:
    assert audit_action("certificate.reveal") == "認証キー表示"
    assert audit_action("certificate.copy") == "認証キーのコピー"
    assert audit_action("guarantee.cancel") == "取消"
    assert audit_action("guarantee.close", {"to": "解約"}) == "解約"
    assert audit_action("orderer.adopt") == "発注者の導入を記録"
    assert audit_action("something.new") == "something.new"  # unknown: as recorded
    assert audit_target("orderer:熊本県/阿蘇市") == "阿蘇市（熊本県）"
    assert audit_target("orderer:/国土交通省") == "国土交通省"
    assert audit_target("customer:12") == "受注者 ID 12"
    assert (
        audit_detail(
            "customer.edit",
            {"changes": {"email": ["a@example.jp", "b@example.jp"], "phone": ["", "096"]}},
        )
        == "メールアドレス a@example.jp → b@example.jp、電話番号 （なし） → 096"
    )
    assert audit_details(
        "guarantee.close",
        {"from": "発行済", "to": "完了", "date": "2026-09-30", "reason": "工事完了"},
    ) == ["状態 発行済 → 完了", "完了日 令和8年9月30日", "理由 工事完了"]
    assert (
        audit_detail("certificate.verify_failed", {"reason": "mismatch"})
        == "認証キーが一致しません"
    )
    assert audit_detail("certificate.reveal", {"versions": [1, 2]}) == "第1・2版"
    assert audit_detail(
        "db.rotate_key", {"old_key_id": "k1", "new_key_id": "k2", "certificates": 3}
    ) == ("暗号鍵 k1 → k2、証書 3件")


def audited_actions() -> set[str]:
    """Every action code the code base passes to audit() (or orderers' _audit): string
    constants, names holding them (in the module, or imported from another), and
    f"orderer.{action}" with every action= that module passes."""
    code = re.compile(r"[a-z]+\.[a-z_]+")
    modules: dict[str, ast.Module] = {}
    for package in ("core", "mailer", "faq", "cli", "tui"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                modules[".".join(path.relative_to(ROOT).with_suffix("").parts)] = ast.parse(
                    path.read_text(encoding="utf-8")
                )

    def leaves(expr: ast.AST) -> list[ast.Constant | ast.Name]:
        return [n for n in ast.walk(expr) if isinstance(n, ast.Constant | ast.Name)]

    def resolve(module: str, name: str, seen: set[tuple[str, str]]) -> set[str]:
        if (module, name) in seen:
            return set()
        seen.add((module, name))
        out: set[str] = set()
        for node in ast.walk(modules[module]):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets
            ):
                for leaf in leaves(node.value):
                    if isinstance(leaf, ast.Name):
                        out |= resolve(module, leaf.id, seen)
                    elif isinstance(leaf.value, str) and code.fullmatch(leaf.value):
                        out.add(leaf.value)
            elif isinstance(node, ast.ImportFrom) and node.module in modules:
                for alias in node.names:
                    if (alias.asname or alias.name) == name:
                        out |= resolve(node.module, alias.name, seen)
        return out

    found: set[str] = set()
    for module, tree in modules.items():
        passed = {
            leaf.value
            for node in ast.walk(tree)
            if isinstance(node, ast.keyword) and node.arg == "action"
            for leaf in leaves(node.value)
            if isinstance(leaf, ast.Constant) and isinstance(leaf.value, str)
        }
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("audit", "_audit")
                and len(node.args) >= 3
            ):
                continue
            arg = node.args[2]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add(arg.value)
            elif isinstance(arg, ast.Name):
                found |= resolve(module, arg.id, set())
            elif isinstance(arg, ast.JoinedStr):
                prefix = "".join(str(v.value) for v in arg.values if isinstance(v, ast.Constant))
                found |= {prefix + action for action in passed}
            else:
                raise AssertionError(f"{module}: an audit action this test cannot read")
    return found


def test_every_audited_action_has_a_japanese_name() -> None:
    found = audited_actions()
    # the scan itself finds them: literals, constants across modules, the orderers' f-string
    assert {"customer.add", "certificate.copy", "guarantee.cancel", "orderer.adopt"} <= found
    unnamed = sorted(a for a in found if audit_action(a) == a or not japanese(audit_action(a)))
    assert unnamed == []
    assert all(japanese(label) for label in AUDIT_ACTIONS.values())
