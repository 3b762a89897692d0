"""The terminal UI. ``make_app()`` is shared by the command line and the tests.

Only the first screen is imported up front; the others load when first opened.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen

from core.errors import HoshoError, explain, log_unexpected
from tui.guarantees import GuaranteeDetailScreen, GuaranteeListScreen, GuaranteeTable

if TYPE_CHECKING:
    from core.db import Database
    from core.settings import Settings

# What is loaded by now stays loaded for the whole session: moving it out of the cyclic
# garbage collector's sight saves rescanning ~100,000 objects in every full collection and
# once more at exit (here 0.1 s sooner to the first screen and 0.3 s sooner out).
gc.freeze()

log = logging.getLogger(__name__)

T = TypeVar("T")

__all__ = ["GuaranteeTable", "HoshoApp", "make_app", "run_app"]


# What the command palette offers on every screen besides the screen's own keys: name, what
# it does, the app's action (its key, where one is bound, is added from the bindings).
APP_COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("FAQアシスタント", "お客様の質問に答える", "faq"),
    ("新規保証の登録", "保証を登録する", "new_guarantee"),
    ("新規受注者の登録", "受注者を登録する", "new_customer"),
    ("保証一覧", "最初の画面に戻る", "home"),
    ("受注者一覧", "受注者の検索・表示・修正", "customers"),
    ("発注者一覧", "都道府県ごとの運用開始・対象・提出方法", "orderers"),
    ("監査ログ", "だれが何をしたか", "audit"),
    ("月次集計", "利用実績: 月別の件数・金額・電子利用率", "report"),
    ("送信待ちのお知らせ", "お知らせメールの送信・再送", "outbox"),
    ("キー一覧", "この画面で使えるキー", "help"),
    ("テーマの変更", "配色を選ぶ", "change_theme"),
    ("終了", "hosho を終了する", "quit"),
)
NO_MATCH = "該当する操作はありません"


def _bare(action: str) -> str:
    """The action without its namespace: app.pop_screen → pop_screen."""
    return action.removeprefix("app.").removeprefix("screen.")


class HoshoCommands(Provider):
    """The command palette (Ctrl+P): the current screen's actions, then every screen's, in
    Japanese and each once (:meth:`HoshoApp.get_system_commands`). The search looks at the
    names and at what they do."""

    def _commands(self) -> list[SystemCommand]:
        return list(self.app.get_system_commands(self.screen))

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.title, command.callback, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        found = False
        for command in self._commands():
            score = max(matcher.match(command.title), matcher.match(command.help))
            if score > 0:
                found = True
                yield Hit(score, matcher.highlight(command.title), command.callback, command.help)
        if not found:  # instead of the toolkit's English "No matches found"
            from rich.text import Text

            yield Hit(
                1, Text(NO_MATCH, style="dim"), _nothing, NO_MATCH, "別の言葉で探す（Esc で閉じる）"
            )


def _nothing() -> None:
    """The command of the no-match line: choosing it only closes the palette."""


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
    /* The palette key first in every footer: on the right, the keys that do not fit would run
       under it, and the toolkit then cuts its full-width characters (操作一覧 → 操  一覧). */
    Footer FooterKey.-command-palette {
        dock: left; padding: 0 1; border-left: none; border-right: vkey $foreground 20%;
    }
    """
    # Only hosho's own (the toolkit's system commands are English, and a second theme command).
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {HoshoCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "終了", id="app.quit", priority=True),
        Binding("f1", "faq", "FAQ検索", id="app.faq", priority=True),
        Binding(
            "ctrl+p",
            "command_palette",
            "操作一覧",
            id="app.palette",
            show=False,  # the footer shows it apart, first (CSS above)
            priority=True,
            tooltip="すべての操作を名前で探して実行（コマンドパレット）",
        ),
        Binding("question_mark", "help", "キー一覧", id="app.help"),
        Binding("o", "orderers", "発注者", id="app.orderers"),
        # Not in the footer (it is full on a small terminal): in the key help and Ctrl+P.
        Binding("j", "customers", "受注者一覧", id="app.customers", show=False),
        Binding("a", "audit", "監査ログ", id="app.audit"),
        Binding("x", "outbox", "送信待ち", id="app.outbox"),
    ]

    def __init__(self, db_url: str | None = None, settings: Settings | None = None) -> None:
        from tui.words import use_japanese_keys

        use_japanese_keys()  # before the app takes its bindings
        super().__init__()
        # Settings (pydantic) and the database layer (SQLAlchemy) load in a worker thread
        # while the first frame is drawn: see settings and database().
        self._settings = settings
        self._settings_lock = threading.Lock()
        self._given_url = db_url
        self._db: Database | None = None
        self._db_lock = threading.Lock()
        self._warm_lock = threading.Lock()
        self._orderers_warm = False
        self.drafts: dict[str, dict[str, str]] = {}  # unsaved forms, kept for the session
        self.assistant: Any = None  # the FAQ assistant, built on first use
        self.faq_history: list[tuple[str, Any]] = []  # this session's questions and answers
        self.faq_conversation: Any = None  # the F1 panel's conversation (faq.conversation)

    # --- services for screens ---------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The settings, read on first use (from the start-up worker, not before the first
        frame)."""
        with self._settings_lock:
            if self._settings is None:
                from core.settings import get_settings

                self._settings = get_settings()
            return self._settings

    @property
    def database_url(self) -> str:
        return self._given_url or self.settings.effective_database_url

    def database(self) -> Database:
        """The database, opened (and on SQLite migrated) on first use, from a worker thread."""
        with self._db_lock:
            if self._db is None:
                from core.db import open_database

                self._db = open_database(self.database_url)
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
        try:
            url: str | None = self.database_url
        except Exception:  # the settings themselves cannot be read
            url = None
        known = explain(exc, url)  # the database, the disk, the settings
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
        self.push_screen(GuaranteeListScreen())
        self._read_settings()

    @work(thread=True, group="settings", exit_on_error=False)
    def _read_settings(self) -> None:
        """The theme and the keymap of the settings, applied once read (the first frame is
        drawn meanwhile)."""
        try:
            settings = self.settings
        except Exception as exc:  # a bad setting: said when the database is opened too
            self.call_from_thread(
                self.notify, self.describe_error(exc), severity="error", markup=False
            )
            return
        self.call_from_thread(self._apply_settings, settings)

    def _apply_settings(self, settings: Settings) -> None:
        if settings.theme in self.available_themes:
            self.theme = settings.theme
        if settings.keys:
            self.set_keymap(settings.keys)

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

    # --- the command palette (Ctrl+P) ---------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every action of ``screen`` once, from its own keys (hosho's, which have an id), then
        the app's commands (:data:`APP_COMMANDS`), each with its key where one is bound."""
        # The keys that work here: hosho's own (with an id; the toolkit's "home" is another
        # action than the app's), and the app's priority keys (they work in a dialog too).
        bound = [a.binding for a in screen.active_bindings.values()]
        bound += [b for _, b in self._bindings if b.priority]
        keys: dict[str, str] = {}
        for binding in bound:
            if binding.id:
                keys.setdefault(_bare(binding.action), self.get_key_display(binding))
        everywhere = {action for _, _, action in APP_COMMANDS}
        seen: set[str] = set()
        # Its bindings as defined: the active ones leave out the keys a focused field takes.
        for _, binding in screen._bindings:
            action = _bare(binding.action)
            if not (binding.id and binding.description) or action in everywhere | seen:
                continue
            seen.add(action)
            key = keys.get(action) or self.get_key_display(binding)
            what = binding.tooltip or "この画面の操作"
            yield SystemCommand(
                binding.description, f"{what}（{key}）", partial(screen.run_action, binding.action)
            )
        for name, what, action in APP_COMMANDS:
            key = keys.get(action, "")
            yield SystemCommand(
                name, f"{what}（{key}）" if key else what, partial(self.run_action, action)
            )

    def action_command_palette(self) -> None:
        from textual.command import CommandPalette

        if self.use_command_palette and not isinstance(self.screen, CommandPalette):
            self.push_screen(
                CommandPalette(id="--command-palette", placeholder="操作を検索（名前の一部）…")
            )

    def search_themes(self) -> None:
        from textual.command import CommandPalette
        from textual.theme import ThemeProvider

        self.push_screen(CommandPalette(providers=[ThemeProvider], placeholder="配色を検索…"))

    def action_help_quit(self) -> None:
        """Ctrl+C outside a field (the toolkit says it in English)."""
        key = self.get_key_display(Binding("ctrl+q", "quit"))
        for active in self.active_bindings.values():
            if active.binding.action in ("quit", "app.quit"):
                key = self.get_key_display(active.binding)
                break
        self.notify(f"終了するには {key} を押してください", title="終了しますか？", markup=False)

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
        from tui.browse import HelpScreen, key_rows

        self.push_screen(HelpScreen(key_rows(self.screen)))


def make_app(db_url: str | None = None, settings: Settings | None = None) -> HoshoApp:
    return HoshoApp(db_url=db_url, settings=settings)


def run_app(settings: Settings | None = None) -> int:
    make_app(settings=settings).run()
    return 0
