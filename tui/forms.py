"""Forms: new customer, new guarantee. Errors appear beside their fields; nothing typed is
lost — an error keeps every value, and a form closed with Esc keeps its draft."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label, OptionList, Select

from core import dates, services
from core.errors import ADD_HINT, ValidationError
from core.money import parse_yen
from core.orderers import complete_orderers
from tui.dialogs import ConfirmScreen, SameNameScreen
from tui.form_base import Field, FormScreen

if TYPE_CHECKING:
    pass


class CustomerForm(FormScreen):
    """受注者の登録. A 商号 already registered is asked about: saved as another company only
    when staff say so. The edit form (tui.customers) is this one, prefilled."""

    TITLE_TEXT = "受注者（保証契約者）の登録"
    DRAFT_KEY = "customer"
    HINTS: ClassVar[dict[str, str]] = {
        "kana": "カタカナ（ひらがなで入力してもカタカナで登録）",
        "email": "電子証書・認証キー登録のお知らせの送付先",
    }
    confirmed = False  # staff said the same 商号 is another company

    def initial(self) -> dict[str, str]:
        """The values the form opens with."""
        return {}

    def fields(self) -> list[Field]:
        from core.customers import LIMITS

        start = self.initial()

        def field(name: str, label: str) -> Field:
            widget = Input(start.get(name, ""), id=f"input-{name}")
            widget.tooltip = f"{LIMITS[name]}文字まで"
            return Field(name, label, widget, self.HINTS.get(name, ""))

        return [
            field("name", "商号 *"),
            field("kana", "商号カナ"),
            field("email", "メール"),
            field("enet_id", "e-Net保証ID"),
            field("address", "所在地"),
            field("representative", "代表者"),
            field("contact_person", "担当者"),
            field("phone", "電話"),
        ]

    @on(Input.Changed, "#input-kana")
    def _kana_hint(self, event: Input.Changed) -> None:
        """→ ヒゴケンセツ under the 商号カナ as hiragana is typed."""
        from core.customers import to_katakana

        shown = to_katakana(event.value)
        text = f"→ {shown}" if shown != event.value.strip() else self.HINTS["kana"]
        self.query_one("#hint-kana", Label).update(text)

    def submit(self, values: dict[str, str]) -> Any:
        from core.customers import CONFIRM_HINT, DuplicateCustomerError

        try:
            return self.save(values, confirmed=self.confirmed)
        except DuplicateCustomerError as exc:
            hint = "。別の会社なら、確認の画面で「はい」を選ぶと保存できます"
            items = [(f, t.replace(CONFIRM_HINT, hint)) for f, t in exc.items]
            raise DuplicateCustomerError(items, exc.duplicates) from None
        finally:
            self.confirmed = False

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

    def on_form_screen_refused(self, message: FormScreen.Refused) -> None:
        # (FormScreen's handler runs after this one and shows the errors beside the fields.)
        from core.customers import DuplicateCustomerError

        error = message.error
        if isinstance(error, DuplicateCustomerError) and error.only_duplicates:

            def answered(yes: bool | None) -> None:
                if yes:
                    self.confirmed = True
                    self.action_save()

            self.app.push_screen(SameNameScreen(error.duplicates), answered)


class OrdererInput(Input):
    """An orderer name with completion by name, alias or reading (とすし → 鳥栖市)."""


class GuaranteeForm(FormScreen):
    TITLE_TEXT = "保証の登録"
    DRAFT_KEY = "guarantee"
    DEFAULT_CSS = """
    #orderer-options { height: auto; max-height: 8; margin-left: 21; display: none; }
    #orderer-options.visible { display: block; }
    #orderer-row { height: auto; }
    #orderer-row OrdererInput { width: 1fr; }
    #add-orderer { min-width: 14; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+o", "add_orderer", "団体を登録", id="form.add_orderer"),
    ]

    def fields(self) -> list[Field]:
        def field(name: str, label: str, hint: str = "", placeholder: str = "") -> Field:
            return Field(name, label, Input(id=f"input-{name}", placeholder=placeholder), hint)

        def choice(name: str, label: str, options: list[str], default: str) -> Field:
            widget = Select(
                [(o, o) for o in options], value=default, allow_blank=False, id=f"input-{name}"
            )
            return Field(name, label, widget)

        return [
            choice("type", "種別 *", ["前払金", "中間前払金", "契約", "契約保証予約"], "前払金"),
            field("customer", "受注者 *", "ID・e-Net保証ID・商号"),
            Field(
                "orderer",
                "発注者 *",
                Horizontal(
                    OrdererInput(id="input-orderer", placeholder="名前・読み（例: とすし）"),
                    Button("団体を登録", id="add-orderer"),
                    id="orderer-row",
                ),
                "登録簿にない団体（一部事務組合など）は「団体を登録」（Ctrl+O）",
            ),
            field("project", "工事名・業務名 *"),
            choice("kind", "契約の種類", ["工事", "業務委託", "地域維持"], "工事"),
            field("contract_amount", "請負金額 *", "", "例: 1億2000万 / 120,000,000"),
            field("amount", "保証金額 *"),
            field("contract_date", "契約締結日 *", "", "例: 令和8年4月1日 / R8.4.1 / 2026-04-01"),
            field("period_start", "工期(自)"),
            field("period_end", "工期(至)", "保証期限を空けるとこの日"),
            field("guarantee_end", "保証期限"),
            field("announcement_date", "入札公告日", "鳥栖市はこの日で判定"),
            field("award_date", "落札日", "鳥栖市の電子契約の期限を計算"),
            choice("channel", "申込経路", ["e-Net", "窓口"], "e-Net"),
            choice("delivery", "交付方法", ["電子", "書面"], "電子"),
            field("bank", "前払金取扱金融機関"),
        ]

    def on_mount(self) -> None:
        # (FormScreen.on_mount runs after this one: Textual calls both.)
        field = self.query_one("#field-orderer", Field)
        options = OptionList(id="orderer-options", markup=False)  # names as typed
        field.mount(options, after=field.query_one(".field-row"))

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
        self.query_one("#error-orderer", Label).update("")
        if not any(str(e.render()) for e in self.query(".field-error").results(Label)):
            self.query_one("#form-error", Label).update("")
        self.app.notify(
            f"発注者「{text}」を登録しました。保証の入力を続けてください", timeout=4, markup=False
        )
        self.query_one("#input-project", Input).focus()

    @on(Input.Changed)
    def _hint(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("input-")
        if name == "orderer":
            self._complete(event.value)
            return
        hints = self.query(f"#hint-{name}").results(Label)
        hint = next(iter(hints), None)
        if hint is None or not event.value.strip():
            return
        if name.endswith("date") or name.startswith("period") or name == "guarantee_end":
            try:
                hint.update(f"→ {dates.format_wareki(dates.parse_date(event.value))}")
            except dates.DateError:
                hint.update("")
        elif name.endswith("amount"):
            try:
                hint.update(f"→ {parse_yen(event.value):,}円")
            except ValidationError:
                hint.update("")

    @work(thread=True, exclusive=True, group="complete", exit_on_error=False)
    def _complete(self, text: str) -> None:
        names = complete_orderers(self.hosho.database(), text)
        self.app.call_from_thread(self._show_options, text, names)

    def _show_options(self, text: str, names: list[str]) -> None:
        options = self.query_one("#orderer-options", OptionList)
        options.clear_options()
        if names and names != [text]:
            options.add_options(names)
            options.add_class("visible")
        else:
            options.remove_class("visible")

    @on(Input.Submitted, "#input-orderer")
    def _take_first(self) -> None:
        options = self.query_one("#orderer-options", OptionList)
        if options.has_class("visible") and options.option_count:
            options.focus()
            options.highlighted = 0

    @on(OptionList.OptionSelected, "#orderer-options")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        orderer = self.query_one("#input-orderer", Input)
        with orderer.prevent(Input.Changed):
            orderer.value = str(event.option.prompt)
        event.option_list.remove_class("visible")
        self.query_one("#input-project", Input).focus()

    confirmed = False  # staff said it is another guarantee than the one it looks like

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
            hint = "。別の保証なら、確認の画面で「はい」を選ぶと登録できます"
            raise DuplicateGuaranteeError(exc.duplicates, hint) from None
        except ValidationError as exc:
            # The command line's way to add a body becomes this form's.
            raise ValidationError(
                [
                    (name, text.replace(ADD_HINT, "、「団体を登録」（Ctrl+O）で登録できます"))
                    for name, text in exc.items
                ]
            ) from None
        finally:
            self.confirmed = False

    def on_form_screen_refused(self, message: FormScreen.Refused) -> None:
        # (FormScreen's handler runs after this one and shows the message in the form.)
        from core.lifecycle import DuplicateGuaranteeError

        error = message.error
        if isinstance(error, DuplicateGuaranteeError):

            def answered(yes: bool | None) -> None:
                if yes:
                    self.confirmed = True
                    self.action_save()

            self.app.push_screen(
                ConfirmScreen("二重登録ではなく、別の保証として登録しますか？", str(error)),
                answered,
            )
