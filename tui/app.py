"""The terminal UI. ``make_app()`` is shared by the command line and the tests."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, ClassVar, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen

from core.db import Database, describe_url, open_database
from core.errors import HoshoError
from core.settings import Settings, get_settings
from tui.browse import AuditScreen, HelpScreen, OrderersScreen
from tui.certs import OutboxScreen
from tui.faq_panel import open_faq
from tui.forms import CustomerForm, GuaranteeForm
from tui.guarantees import GuaranteeDetailScreen, GuaranteeListScreen, GuaranteeTable

log = logging.getLogger(__name__)

T = TypeVar("T")

__all__ = ["GuaranteeTable", "HoshoApp", "make_app", "run_app"]


class HoshoCommands(Provider):
    """Every action of the app in the command palette (Ctrl+P)."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        app: HoshoApp = self.app  # type: ignore[assignment]
        return [
            ("FAQアシスタント", "お客様の質問に答える（F1）", app.action_faq),
            ("新規保証の登録", "保証を登録する（n）", app.action_new_guarantee),
            ("新規受注者の登録", "受注者を登録する（u）", app.action_new_customer),
            ("保証一覧", "最初の画面に戻る", app.action_home),
            ("発注者一覧", "都道府県ごとの運用開始・対象・提出方法（o）", app.action_orderers),
            ("監査ログ", "だれが何をしたか（a）", app.action_audit),
            ("送信待ちのお知らせ", "お知らせメールの送信・再送（x）", app.action_outbox),
            ("キー一覧", "この画面で使えるキー（?）", app.action_help),
            ("テーマの変更", "配色を選ぶ", app.action_change_theme),
        ]

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = max(matcher.match(name), matcher.match(help_text))
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


class HoshoApp(App[None]):
    TITLE = "hosho — 電子保証の窓口"
    CSS = """
    #filters { height: auto; }
    #filters Input { width: 1fr; }
    #filters Input.date { width: 16; }
    #filters Input.amount { width: 14; }
    #filters Select { width: 16; }
    #filter-status { height: 1; padding: 0 1; color: $text-muted; }
    #detail { padding: 0 1; }
    """
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {
        *App.COMMANDS,
        HoshoCommands,
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "終了", id="app.quit", priority=True),
        Binding("f1", "faq", "FAQ", id="app.faq", priority=True),
        Binding("question_mark", "help", "キー一覧", id="app.help"),
        Binding("o", "orderers", "発注者", id="app.orderers"),
        Binding("a", "audit", "監査ログ", id="app.audit"),
        Binding("x", "outbox", "送信待ち", id="app.outbox"),
    ]

    def __init__(self, db_url: str | None = None, settings: Settings | None = None) -> None:
        super().__init__()
        self.settings = settings or get_settings()
        self._db_url = db_url or self.settings.effective_database_url
        self._db: Database | None = None
        self._db_lock = threading.Lock()
        self.drafts: dict[str, dict[str, str]] = {}  # unsaved forms, kept for the session
        self.assistant: Any = None  # the FAQ assistant, built on first use
        self.faq_history: list[tuple[str, Any]] = []  # this session's questions and answers

    # --- services for screens ---------------------------------------------------------

    def database(self) -> Database:
        """The database, opened (and on SQLite migrated) on first use, from a worker thread."""
        with self._db_lock:
            if self._db is None:
                self._db = open_database(self._db_url)
            return self._db

    def issue(self, fn: Callable[..., Any], number: str, *args: Any, **kwargs: Any) -> Any:
        """Issue (or change/correct) a certificate and render its お知らせ PDF right away, so
        that sending only reads it. Runs in a worker thread."""
        result = fn(
            self.database(),
            number,
            *args,
            operator=self.settings.operator,
            branch=self.settings.branch,
            **kwargs,
        )
        if result.notice_queued:
            from mailer.outbox import prepare_notice

            try:
                prepare_notice(self.database(), result.certificate_id, self.settings)
            except Exception as exc:  # the notice stays queued; the sender renders it
                log.warning("notice PDF not prepared: %s", type(exc).__name__)
        return result

    def fetch(self, read: Callable[[Database], T]) -> T | None:
        """Run ``read`` on the database from a worker thread; on failure tell staff in one
        line (a notification) and return None."""
        try:
            return read(self.database())
        except Exception as exc:
            self.call_from_thread(self.notify, self.describe_error(exc), severity="error")
            return None

    def describe_error(self, exc: BaseException) -> str:
        """One Japanese line for the status bar; details only in the log."""
        if isinstance(exc, HoshoError):
            return str(exc).replace("\n", "　")
        if isinstance(exc, SQLAlchemyError):
            log.error("database error", exc_info=exc)
            return f"データベースに接続できません（{describe_url(self._db_url)}）"
        log.error("unexpected error", exc_info=exc)
        return f"予期しない問題が起きました（{type(exc).__name__}）。詳細はログに記録しました"

    # --- lifecycle ----------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        if self.settings.keys:
            self.set_keymap(self.settings.keys)
        self.push_screen(GuaranteeListScreen())

    @work(thread=True, group="warm-up", exit_on_error=False)
    def warm_up(self) -> None:
        """After the first screen shows: build the orderer lookup and the FAQ index, so the
        first orderer filter and the first F1 question do not wait for them."""
        from core.orderers import complete_orderers
        from tui.faq_panel import assistant_for

        complete_orderers(self.database(), "熊本")
        assistant_for(self)

    def on_unmount(self) -> None:
        if self._db is not None:
            self._db.dispose()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)

    # --- actions ------------------------------------------------------------------------

    def _list_screen(self) -> GuaranteeListScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, GuaranteeListScreen):
                return screen
        return None

    def _after_save(self, what: str, result: Any) -> None:
        if result is None:
            return
        self.notify(what)
        for warning in getattr(result, "warnings", ()):
            self.notify(warning, severity="warning", timeout=8)
        if (screen := self._list_screen()) is not None:
            screen.refresh_rows()
        number = getattr(result, "guarantee_number", None)
        if number:
            self.push_screen(GuaranteeDetailScreen(number))

    def action_new_guarantee(self) -> None:
        self.push_screen(GuaranteeForm(), partial(self._saved_guarantee))

    def _saved_guarantee(self, result: Any) -> None:
        if result is not None:
            self._after_save(f"保証を登録しました: {result.guarantee_number}", result)

    def action_new_customer(self) -> None:
        self.push_screen(CustomerForm(), self._saved_customer)

    def _saved_customer(self, result: Any) -> None:
        if result is not None:
            self._after_save(f"受注者を登録しました: ID {result.id} {result.name}", result)

    def action_home(self) -> None:
        while len(self.screen_stack) > 2:
            self.pop_screen()

    def action_orderers(self) -> None:
        self.push_screen(OrderersScreen())

    def action_audit(self) -> None:
        self.push_screen(AuditScreen())

    def action_outbox(self) -> None:
        self.push_screen(OutboxScreen())

    def action_faq(self) -> None:
        open_faq(self)

    def action_help(self) -> None:
        rows: list[tuple[str, str, str]] = []
        seen: set[str] = set()
        for key, active in self.screen.active_bindings.items():
            b = active.binding
            if b.description and (b.id or key) not in seen:
                seen.add(b.id or key)
                rows.append((self.get_key_display(b), b.description, b.id or ""))
        rows.append(("Ctrl+P", "コマンドパレット（すべての操作）", "-"))
        self.push_screen(HelpScreen(rows))


def make_app(db_url: str | None = None, settings: Settings | None = None) -> HoshoApp:
    return HoshoApp(db_url=db_url, settings=settings)


def run_app() -> int:
    make_app().run()
    return 0
