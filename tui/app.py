"""The terminal UI. ``make_app()`` is shared by the command line and the tests.

Only the first screen is imported up front; the others load when first opened.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, ClassVar, TypeVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen

from core.db import Database, open_database
from core.errors import HoshoError, explain, log_unexpected
from core.settings import Settings, get_settings
from tui.guarantees import GuaranteeDetailScreen, GuaranteeListScreen, GuaranteeTable

# What is loaded by now stays loaded for the whole session: moving it out of the cyclic
# garbage collector's sight saves rescanning ~100,000 objects in every full collection and
# once more at exit (here 0.1 s sooner to the first screen and 0.3 s sooner out).
gc.freeze()

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
            ("受注者一覧", "受注者の検索・表示・修正（j）", app.action_customers),
            ("保証一覧", "最初の画面に戻る", app.action_home),
            ("発注者一覧", "都道府県ごとの運用開始・対象・提出方法（o）", app.action_orderers),
            ("監査ログ", "だれが何をしたか（a）", app.action_audit),
            ("月次集計", "利用実績: 月別の件数・金額・電子利用率（一覧で r）", app.action_report),
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
    #filter-status { width: 1fr; height: 1; padding: 0 1; color: $text-muted; }
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
        # Not in the footer (it is full on a small terminal): in the key help and Ctrl+P.
        Binding("j", "customers", "受注者一覧", id="app.customers", show=False),
        Binding("a", "audit", "監査ログ", id="app.audit"),
        Binding("x", "outbox", "送信待ち", id="app.outbox"),
    ]

    def __init__(self, db_url: str | None = None, settings: Settings | None = None) -> None:
        super().__init__()
        self.settings = settings or get_settings()
        self._db_url = db_url or self.settings.effective_database_url
        self._db: Database | None = None
        self._db_lock = threading.Lock()
        self._warm_lock = threading.Lock()
        self._orderers_warm = False
        self.drafts: dict[str, dict[str, str]] = {}  # unsaved forms, kept for the session
        self.assistant: Any = None  # the FAQ assistant, built on first use
        self.faq_history: list[tuple[str, Any]] = []  # this session's questions and answers
        self.faq_conversation: Any = None  # the F1 panel's conversation (faq.conversation)

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
            self.call_from_thread(
                self.notify, self.describe_error(exc), severity="error", markup=False
            )
            return None

    def describe_error(self, exc: BaseException) -> str:
        """One Japanese line for the status bar (plain text: it may quote names); the details
        of the unexpected only in the log."""
        known = explain(exc, self._db_url)  # the database, the disk, the settings
        if known is not None:
            if not isinstance(exc, HoshoError):
                log.warning("refused: %s (%s)", known, type(exc).__name__)
            return str(known).replace("\n", "　")
        log_unexpected(exc)
        from core.paths import log_file

        return (
            f"予期しない問題が起きました（{type(exc).__name__}）。"
            f"詳細は {log_file()} に記録しました"
        )

    # --- lifecycle ----------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        if self.settings.keys:
            self.set_keymap(self.settings.keys)
        self.push_screen(GuaranteeListScreen())

    def warm_orderers(self) -> None:
        """Build the orderer lookup once, so the first orderer filter does not wait for it.
        From a worker thread: the list calls it right after posting its first rows."""
        with self._warm_lock:
            if not self._orderers_warm:
                from core.orderers import complete_orderers

                self._orderers_warm = True  # tried once; a failure shows where it matters
                complete_orderers(self.database(), "熊本")

    @work(thread=True, group="warm-up", exit_on_error=False)
    def warm_up(self) -> None:
        """Build the FAQ index, so the first F1 question does not wait for it. The list asks
        for it once staff have left it alone for a second: it would slow their filtering."""
        from tui.faq_panel import assistant_for

        assistant_for(self)
        gc.freeze()  # the index stays for the session too

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
        self.notify(what, markup=False)  # names as typed
        for warning in getattr(result, "warnings", ()):
            self.notify(warning, severity="warning", timeout=8, markup=False)
        if (screen := self._list_screen()) is not None:
            screen.refresh_rows()
        number = getattr(result, "guarantee_number", None)
        if number:
            self.push_screen(GuaranteeDetailScreen(number))

    def action_new_guarantee(self) -> None:
        from tui.forms import GuaranteeForm

        self.push_screen(GuaranteeForm(), partial(self._saved_guarantee))

    def _saved_guarantee(self, result: Any) -> None:
        if result is not None:
            self._after_save(f"保証を登録しました: {result.guarantee_number}", result)

    def action_new_customer(self) -> None:
        from tui.forms import CustomerForm

        self.push_screen(CustomerForm(), self._saved_customer)

    def _saved_customer(self, result: Any) -> None:
        if result is not None:
            self._after_save(f"受注者を登録しました: ID {result.id} {result.name}", result)

    def action_home(self) -> None:
        while len(self.screen_stack) > 2:
            self.pop_screen()

    def action_orderers(self) -> None:
        from tui.browse import OrderersScreen

        if not isinstance(self.screen, OrderersScreen):  # o again: stay on it
            self.push_screen(OrderersScreen())

    def action_customers(self) -> None:
        from tui.customers import CustomersScreen

        if not isinstance(self.screen, CustomersScreen):  # j again: stay on it
            self.push_screen(CustomersScreen())

    def action_report(self) -> None:
        from tui.reports import ReportScreen

        if not isinstance(self.screen, ReportScreen):
            self.push_screen(ReportScreen())

    def action_audit(self) -> None:
        from tui.browse import AuditScreen

        self.push_screen(AuditScreen())

    def action_outbox(self) -> None:
        from tui.certs import OutboxScreen

        self.push_screen(OutboxScreen())

    def action_faq(self) -> None:
        from tui.faq_panel import open_faq

        open_faq(self)

    def action_help(self) -> None:
        from tui.browse import HelpScreen

        rows: list[tuple[str, str, str]] = []
        seen: set[str] = set()
        for key, active in self.screen.active_bindings.items():
            b = active.binding
            if b.description and (b.id or key) not in seen:
                seen.add(b.id or key)
                rows.append((self.get_key_display(b), b.description, b.id or ""))
        rows.sort(key=lambda row: not row[2])  # the app's own keys first, then the toolkit's
        rows.append(("Ctrl+P", "コマンドパレット（すべての操作）", "-"))
        self.push_screen(HelpScreen(rows))


def make_app(db_url: str | None = None, settings: Settings | None = None) -> HoshoApp:
    return HoshoApp(db_url=db_url, settings=settings)


def run_app() -> int:
    make_app().run()
    return 0
