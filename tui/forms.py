"""Forms: new customer, new guarantee. Errors appear beside their fields; nothing typed is
lost — an error keeps every value, and a form closed with Esc keeps its draft."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import events, on, work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Select

from core import services
from core.errors import ADD_HINT, ValidationError
from core.orderers import complete_orderers
from tui.dialogs import SameNameScreen
from tui.form_base import (
    AMOUNT_WIDTH,
    ASK_AGAIN,
    DATE_WIDTH,
    AskFirst,
    Field,
    FormScreen,
    wareki_echo,
    yen_echo,
)


class CustomerForm(FormScreen):
    """受注者の登録. A 商号 already registered is asked about: saved as another company only
    when staff say so. The edit form (tui.customers) is this one, prefilled."""

    TITLE_TEXT = "受注者（保証契約者）の登録"
    DRAFT_KEY = "customer"
    HINTS: ClassVar[dict[str, str]] = {
        "kana": "カタカナ（ひらがなで入力してもカタカナで登録）",
        "email": "電子証書・認証キー登録のお知らせの送付先",
    }

    def initial(self) -> dict[str, str]:
        """The values the form opens with."""
        return {}

    def fields(self) -> list[Field]:
        from core.customers import LIMITS, to_katakana

        start = self.initial()

        def katakana(text: str) -> str | None:
            """→ ヒゴケンセツ under the 商号カナ as hiragana is typed."""
            shown = to_katakana(text)
            return f"→ {shown}" if shown != text.strip() else None

        def field(name: str, label: str, width: int | None = None) -> Field:
            widget = Input(start.get(name, ""), id=f"input-{name}")
            widget.tooltip = f"{LIMITS[name]}文字まで"
            echo = katakana if name == "kana" else None
            return Field(name, label, widget, self.HINTS.get(name, ""), width=width, echo=echo)

        return [
            field("name", "商号 *"),
            field("kana", "商号カナ"),
            field("email", "メール"),
            field("enet_id", "e-Net保証ID", width=20),
            field("address", "所在地"),
            field("representative", "代表者"),
            field("contact_person", "担当者"),
            field("phone", "電話", width=20),
        ]

    def submit(self, values: dict[str, str]) -> Any:
        return self.save(values, confirmed=self.confirmed)

    def save(self, values: dict[str, str], *, confirmed: bool) -> Any:
        return services.add_customer(
            self.hosho.database(),
            name=values["name"],
            kana=values["kana"],
            email=values["email"],
            enet_id=values["enet_id"] or None,
            address=values["address"],
            representative=values["representative"],
            contact_person=values["contact_person"],
            phone=values["phone"],
            confirmed=confirmed,
            operator=self.hosho.settings.operator,
        )

    def ask(self, error: ValidationError | None) -> ModalScreen[bool] | None:
        """The same 商号 and nothing else wrong: another company of that name?"""
        from core.customers import DuplicateCustomerError

        if isinstance(error, DuplicateCustomerError) and error.only_duplicates:
            return SameNameScreen(error.duplicates)
        return super().ask(error)


class OrdererInput(Input):
    """An orderer name with completion by name, alias or reading (とすし → 鳥栖市): ↓ or
    Enter goes into the suggestions."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "screen.enter_suggestions", "候補を選ぶ", show=False),
    ]


class Suggestions(OptionList):
    """The orderer field's suggestions: Enter chooses one (one press); ↑ from the first goes
    back to what was typed, Esc puts them away."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "screen.leave_suggestions", "候補を閉じる", show=False),
        Binding("up", "up_or_leave", show=False),
    ]

    def action_up_or_leave(self) -> None:
        if not self.highlighted:
            self.screen.query_one("#input-orderer", Input).focus()
        else:
            self.action_cursor_up()


class GuaranteeForm(FormScreen):
    TITLE_TEXT = "保証の登録"
    DRAFT_KEY = "guarantee"
    SECOND_COLUMN = "period_start"
    DEFAULT_CSS = """
    #orderer-options { height: auto; max-height: 8; display: none; border: none;
        padding: 0; background: $boost; }
    #orderer-options.visible { display: block; }
    #orderer-row { height: auto; }
    #orderer-row OrdererInput { width: 1fr; }
    #add-orderer { margin-left: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+o", "add_orderer", "団体を登録", id="form.add_orderer"),
    ]

    def fields(self) -> list[Field]:
        def field(name: str, label: str, hint: str = "", placeholder: str = "") -> Field:
            return Field(name, label, Input(id=f"input-{name}", placeholder=placeholder), hint)

        def date(name: str, label: str, hint: str = "") -> Field:
            widget = Input(id=f"input-{name}", placeholder="例: R8.4.1")
            return Field(name, label, widget, hint, width=DATE_WIDTH, echo=wareki_echo)

        def amount(name: str, label: str, hint: str = "", example: str = "") -> Field:
            widget = Input(id=f"input-{name}", placeholder=f"例: {example}")
            return Field(name, label, widget, hint, width=AMOUNT_WIDTH, echo=yen_echo)

        def choice(name: str, label: str, options: list[str], default: str) -> Field:
            widget = Select(
                [(o, o) for o in options], value=default, allow_blank=False, id=f"input-{name}"
            )
            return Field(name, label, widget, width=DATE_WIDTH)

        return [
            choice("type", "種別 *", ["前払金", "中間前払金", "契約", "契約保証予約"], "前払金"),
            field("customer", "受注者 *", placeholder="ID・e-Net保証ID・商号"),
            Field(
                "orderer",
                "発注者 *",
                Horizontal(
                    OrdererInput(id="input-orderer", placeholder="名前・読み（例: とすし）"),
                    Button("団体を登録 (Ctrl+O)", id="add-orderer", compact=True),
                    id="orderer-row",
                ),
                "候補は↓で選んでEnter。一部事務組合など登録簿にない団体は「団体を登録」",
            ),
            field("project", "工事名・業務名 *"),
            choice("kind", "契約の種類", ["工事", "業務委託", "地域維持"], "工事"),
            amount(
                "contract_amount", "請負金額 *", "1億2000万・120,000,000 のどちらでも", "1億2000万"
            ),
            amount("amount", "保証金額 *", example="4000万"),
            date("contract_date", "契約締結日 *", "令和8年4月1日・R8.4.1・2026-04-01 のどれでも"),
            date("period_start", "工期(自)"),
            date("period_end", "工期(至)", "保証期限を空けるとこの日"),
            date("guarantee_end", "保証期限"),
            date("announcement_date", "入札公告日", "鳥栖市はこの日で判定"),
            date("award_date", "落札日", "鳥栖市の電子契約の期限を計算"),
            choice("channel", "申込経路", ["e-Net", "窓口"], "e-Net"),
            choice("delivery", "交付方法", ["電子", "書面"], "電子"),
            field("bank", "前払金取扱金融機関"),
        ]

    def on_mount(self) -> None:
        # (FormScreen.on_mount runs after this one: Textual calls both.)
        field = self.query_one("#field-orderer", Field)
        options = Suggestions(id="orderer-options", markup=False, classes="field-below")
        field.mount(options, after=field.query_one(".field-row"))  # (names as typed)

    def screen_text(self, text: str) -> str:
        # The command line's way to add a body becomes this form's.
        return super().screen_text(
            text.replace(ADD_HINT, "、「団体を登録」（Ctrl+O）で登録できます")
        )

    # --- a body the register does not hold ------------------------------------------

    @on(Button.Pressed, "#add-orderer")
    def _add_orderer_button(self) -> None:
        self.action_add_orderer()

    def action_add_orderer(self) -> None:
        """団体を登録 with the name typed; the form keeps every value meanwhile."""
        from tui.orderer_forms import AddOrdererForm

        typed = self.query_one("#input-orderer", Input).value
        self.app.push_screen(AddOrdererForm(typed), self._orderer_added)

    def _orderer_added(self, record: dict[str, Any] | None) -> None:
        if record is None:
            return
        self._name_for(record)

    @work(thread=True, exclusive=True, group="complete", exit_on_error=False)
    def _name_for(self, record: dict[str, Any]) -> None:
        """The new body's name, with its prefecture when another body has the same name."""
        name, pref = record["name"], record.get("prefecture")
        text = name
        if pref and pref != name:
            qualified = f"{name}（{pref}）"
            try:
                if qualified in complete_orderers(self.hosho.database(), name):
                    text = qualified
            except Exception:
                text = qualified
        self.app.call_from_thread(self._take_orderer, text)

    def _take_orderer(self, text: str) -> None:
        orderer = self.query_one("#input-orderer", Input)
        with orderer.prevent(Input.Changed):
            orderer.value = text
        self.query_one("#orderer-options", OptionList).remove_class("visible")
        self.query_one("#field-orderer", Field).clear_error()
        if not any(f.has_class("-error") for f in self.query(Field).results(Field)):
            self.set_status("")
        self.app.notify(
            f"発注者「{text}」を登録しました。保証の入力を続けてください", timeout=4, markup=False
        )
        self.query_one("#input-project", Input).focus()

    # --- completion ------------------------------------------------------------------

    @on(Input.Changed, "#input-orderer")
    def _typed_orderer(self, event: Input.Changed) -> None:
        self._complete(event.value)

    @work(thread=True, exclusive=True, group="complete", exit_on_error=False)
    def _complete(self, text: str) -> None:
        names = complete_orderers(self.hosho.database(), text)
        self.app.call_from_thread(self._show_options, text, names)

    def _show_options(self, text: str, names: list[str]) -> None:
        options = self.query_one("#orderer-options", OptionList)
        options.clear_options()
        typing = self.focused in (options, self.query_one("#input-orderer"))
        if names and names != [text] and typing:
            options.add_options(names)
            options.add_class("visible")
        else:
            options.remove_class("visible")

    @on(Input.Submitted, "#input-orderer")
    def action_enter_suggestions(self) -> None:
        """↓ (or Enter) from the orderer field: to its first suggestion."""
        options = self.query_one("#orderer-options", OptionList)
        if options.has_class("visible") and options.option_count:
            options.highlighted = 0
            options.focus()

    def action_leave_suggestions(self) -> None:
        """Back to the orderer field as typed, the suggestions put away."""
        self.query_one("#orderer-options", OptionList).remove_class("visible")
        self.query_one("#input-orderer", Input).focus()

    @on(OptionList.OptionSelected, "#orderer-options")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        orderer = self.query_one("#input-orderer", Input)
        with orderer.prevent(Input.Changed):
            orderer.value = str(event.option.prompt)
        event.option_list.remove_class("visible")
        self.query_one("#input-project", Input).focus()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Suggestions go away once the cursor leaves the orderer field for another."""
        if event.widget.id not in ("input-orderer", "orderer-options", "add-orderer"):
            self.query_one("#orderer-options", OptionList).remove_class("visible")

    # --- saving ------------------------------------------------------------------------

    def submit(self, values: dict[str, str]) -> services.GuaranteeView:
        from core.lifecycle import DuplicateGuaranteeError

        draft = services.GuaranteeDraft(**values)
        try:
            return services.add_guarantee(
                self.hosho.database(),
                draft,
                operator=self.hosho.settings.operator,
                number_prefix=self.hosho.settings.number_prefix,
                confirmed=self.confirmed,
            )
        except DuplicateGuaranteeError as exc:
            facts = str(DuplicateGuaranteeError(exc.duplicates, ""))  # without the CLI's way
            raise AskFirst(
                [(None, f"{facts}。別の保証として登録するなら、{ASK_AGAIN}")],
                "二重登録ではなく、別の保証として登録しますか？",
                f"{facts}\n\nはい(y)で別の保証として登録します。"
                "いいえ(n)で入力に戻ります（登録しません）",
            ) from None
