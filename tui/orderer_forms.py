"""The orderer register's forms: 団体を登録 (add), 導入を記録 (adopt), 修正 (edit).

Shared by the orderers browser and the guarantee form (a body the register does not hold is
added there without leaving the guarantee). Each returns the record as ``show_orderer`` gives
it (with its history), or None when closed.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Checkbox, Input, Label, Select, TextArea

from core import dates
from core.errors import ValidationError
from core.knowledge import PREFECTURES, Category
from core.terms import Kind
from tui.form_base import Field, FormScreen

# Categories staff add first (the register already holds every prefecture and municipality).
ADD_CATEGORIES = (
    Category.PARTNERSHIP,
    Category.UNION,
    Category.ENTERPRISE,
    Category.CORPORATION,
    Category.PUBLIC_BODY,
    Category.AGENCY,
    Category.STATE,
    Category.UNIVERSITY,
    Category.KOSEN,
    Category.MUNICIPALITY,
    Category.SPECIAL_WARD,
    Category.DESIGNATED_CITY,
    Category.PREFECTURE,
)
_SPLIT = re.compile(r"[,，、・\n]")
_CLI_FLAG = re.compile(r"--[a-z][a-z-]*(?::\s*)?")


def split_list(text: str) -> list[str]:
    """「国交省、地方整備局」 / 「国交省・地方整備局」 / one per line → a list."""
    return [x.strip() for x in _SPLIT.split(text) if x.strip()]


def screen_text(text: str) -> str:
    """A core message as staff read it on this screen: the command line's names for the
    same actions and options become the screen's."""
    text = text.replace("hosho orderer adopt", "「導入を記録」（a）")
    text = text.replace("hosho orderer add", "「団体を登録」")
    return _CLI_FLAG.sub("", text).replace("（）", "").replace("（ ", "（")


def display_name(o: dict[str, Any]) -> str:
    pref = o.get("prefecture")
    return f"{o['name']}（{pref}）" if pref and pref != o["name"] else str(o["name"])


class OrdererForm(FormScreen):
    """Errors named as core names them land beside the fields; dates show in 和暦 as typed."""

    # core's field name -> this form's field
    ALIASES: ClassVar[dict[str, str]] = {}
    DATE_FIELDS: ClassVar[tuple[str, ...]] = ("start", "as_of")

    def on_mount(self) -> None:
        # Runs before FormScreen.on_mount restores the draft: these are the values as opened.
        self.pristine = self.values()
        self.restore(self.hosho.drafts.get(self.DRAFT_KEY, {}))

    def restore(self, draft: dict[str, str]) -> None:
        """Put back what FormScreen does not (check boxes, text areas)."""

    def action_close(self) -> None:
        # Values as the form opened (prefilled or defaults) are not a draft.
        values = self.values()
        if values != self.pristine:
            self.hosho.drafts[self.DRAFT_KEY] = values
            self.app.notify("入力内容は下書きとして残してあります", timeout=3)
        else:
            self.hosho.drafts.pop(self.DRAFT_KEY, None)
        self.dismiss(None)

    def refused(self, exc: ValidationError) -> ValidationError:
        return ValidationError(
            [(self.ALIASES.get(name or "", name), screen_text(text)) for name, text in exc.items]
        )

    @on(Input.Changed)
    def _date_hint(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("input-")
        if name not in self.DATE_FIELDS:
            return
        self.query_one(f"#hint-{name}", Label).update(self.hint_for(name, event.value))

    def hint_for(self, name: str, value: str) -> str:
        """→ 令和8年4月1日 under a date as it is typed, else the field's own hint."""
        try:
            return f"→ {dates.format_wareki(dates.parse_date(value))}"
        except dates.DateError:
            return self.default_hint(name)

    def default_hint(self, name: str) -> str:
        return ""


def _input(name: str, value: str = "", placeholder: str = "", disabled: bool = False) -> Input:
    return Input(value, placeholder=placeholder, id=f"input-{name}", disabled=disabled)


class AddOrdererForm(OrdererForm):
    """団体を登録: a body the register does not hold (一部事務組合, 企業団, 公社…)."""

    TITLE_TEXT = "団体を登録（登録簿にない一部事務組合・広域連合・企業団・公社など）"

    def __init__(self, name: str = "", prefecture: str | None = None) -> None:
        super().__init__()
        self.initial_name, self.initial_prefecture = name.strip(), prefecture
        # A name brought from elsewhere (the guarantee form) has its own draft.
        self.DRAFT_KEY = f"orderer-add:{self.initial_name}" if self.initial_name else "orderer-add"

    def fields(self) -> list[Field]:
        prefectures = Select(
            [(p, p) for p in PREFECTURES],
            prompt="（なし: 国・独法など）",
            value=self.initial_prefecture or Select.NULL,
            id="input-prefecture",
        )
        category = Select(
            [(c.value, c.value) for c in ADD_CATEGORIES],
            value=Category.PARTNERSHIP.value,
            allow_blank=False,
            id="input-category",
        )
        return [
            Field("name", "名称 *", _input("name", self.initial_name), "正式名称"),
            Field("prefecture", "都道府県", prefectures, "一部事務組合・企業団・公社などは必須"),
            Field("category", "区分 *", category),
            Field("reading", "読み", _input("reading", placeholder="ひらがな")),
            Field("aliases", "別名", _input("aliases"), "略称など（、区切り）"),
        ]

    def submit(self, values: dict[str, str]) -> dict[str, Any]:
        from core.orderers import add_orderer

        try:
            return add_orderer(
                self.hosho.database(),
                name=values["name"],
                prefecture=values["prefecture"] or None,
                category=values["category"],
                reading=values["reading"],
                aliases=split_list(values["aliases"]),
                operator=self.hosho.settings.operator,
            )
        except ValidationError as exc:
            raise self.refused(exc) from None


class KindBoxes(Horizontal):
    """対象業務: 工事・業務委託・地域維持 (none ticked: as the source says nothing)."""

    DEFAULT_CSS = "KindBoxes { height: auto; } KindBoxes Checkbox { margin-right: 1; }"

    def __init__(self, ticked: set[str]) -> None:
        super().__init__(id="input-kinds")
        self.ticked = ticked

    def compose(self) -> ComposeResult:
        for kind in Kind:
            yield Checkbox(kind.value, kind.value in self.ticked, name=kind.value)

    @property
    def value(self) -> str:
        return "・".join(str(b.name) for b in self.query(Checkbox).results(Checkbox) if b.value)

    @value.setter
    def value(self, text: str) -> None:
        chosen = set(split_list(text))
        for box in self.query(Checkbox).results(Checkbox):
            box.value = box.name in chosen


def _year_month(text: str) -> date | None:
    """The 1st of the month for a year and month without a day, else None."""
    try:
        return dates.parse_year_month(text)
    except dates.DateError:
        return None


class AdoptOrdererForm(OrdererForm):
    """導入を記録: the body accepts electronic certificates from a date, with its source."""

    ALIASES: ClassVar[dict[str, str]] = {"start_date": "start", "start_precision": "precision"}

    def __init__(self, orderer: dict[str, Any]) -> None:
        super().__init__()
        self.orderer = orderer
        self.TITLE_TEXT = f"導入を記録 — {display_name(orderer)}"
        self.DRAFT_KEY = f"orderer-adopt:{orderer.get('id')}"
        self.applies_to = str(orderer.get("applies_to") or "契約締結日")
        self.kinds = set(orderer.get("coverage") or {})

    def fields(self) -> list[Field]:
        precision = Select(
            [("日まで分かる", "day"), ("月まで（日は資料に記載なし）", "month")],
            value="day",
            allow_blank=False,
            id="input-precision",
        )
        applies = Select(
            [("契約締結日", "契約締結日"), ("入札公告日", "入札公告日")],
            value=self.applies_to,
            allow_blank=False,
            id="input-applies_to",
        )
        return [
            Field(
                "start",
                "運用開始日 *",
                _input("start", placeholder="例: 令和8年4月1日 / R8.4.1 / 2026-04-01"),
                self.default_hint("start"),
            ),
            Field("precision", "精度", precision),
            Field("applies_to", "判定日", applies, "運用開始日と比べる日"),
            Field("kinds", "対象業務", KindBoxes(self.kinds), "資料に記載がなければ空のまま"),
            Field("submission", "提出方法", _input("submission", placeholder="例: 電子メール")),
            Field("submit_to", "提出先", _input("submit_to", placeholder="例: 契約検査課")),
            Field(
                "source",
                "出典（題名） *",
                _input("source", placeholder="発注者のページの題名・通知の名前"),
            ),
            Field("url", "URL", _input("url", placeholder="https://…")),
            Field(
                "as_of",
                "時点 *",
                _input("as_of", placeholder="ページの更新日・掲載日"),
                self.default_hint("as_of"),
            ),
        ]

    def hint_for(self, name: str, value: str) -> str:
        month = _year_month(value) if name == "start" else None
        if month is not None:  # R7.10, 令和7年10月: a start known to the month
            return f"→ {dates.format_wareki_month(month)}（月まで。精度は「月まで」で記録）"
        return super().hint_for(name, value)

    def default_hint(self, name: str) -> str:
        from core.orderers import start_text

        if name == "as_of":
            return "出典の日付（新しい方の記録が採用されます）"
        if name == "start" and self.orderer.get("start_date"):
            return f"現在: {start_text(self.orderer)}"
        return ""

    def restore(self, draft: dict[str, str]) -> None:
        if "kinds" in draft:
            self.query_one(KindBoxes).value = draft["kinds"]

    def values(self) -> dict[str, str]:
        return {**super().values(), "kinds": self.query_one(KindBoxes).value}

    def submit(self, values: dict[str, str]) -> dict[str, Any]:
        from core.orderers import Adoption, adopt_orderer

        kinds = split_list(values["kinds"])
        month = _year_month(values["start"])
        adoption = Adoption(
            start=month.isoformat() if month else values["start"],
            source=values["source"],
            as_of=values["as_of"],
            precision="month" if month else values["precision"] or "day",
            # Only what staff changed: the rest of the record stays as it is.
            applies_to=values["applies_to"] if values["applies_to"] != self.applies_to else None,
            kinds=kinds if set(kinds) != self.kinds else None,
            submission=values["submission"].strip() or None,
            submit_to=values["submit_to"].strip() or None,
            url=values["url"].strip() or None,
        )
        try:
            return adopt_orderer(
                self.hosho.database(),
                self.orderer["name"],
                adoption,
                prefecture=self.orderer.get("prefecture"),
                operator=self.hosho.settings.operator,
            )
        except ValidationError as exc:
            raise self.refused(exc) from None


class EditOrdererForm(OrdererForm):
    """修正: reading and aliases freely; submission and notes (the electronic rules) with a
    source and its date. Only the fields staff change are sent."""

    DEFAULT_CSS = "#input-notes { height: 5; }"
    DATE_FIELDS: ClassVar[tuple[str, ...]] = ("as_of",)

    def __init__(self, orderer: dict[str, Any]) -> None:
        super().__init__()
        self.orderer = orderer
        self.TITLE_TEXT = f"修正 — {display_name(orderer)}（変える項目だけ書き換え）"
        self.DRAFT_KEY = f"orderer-edit:{orderer.get('id')}"
        first = (orderer.get("submission") or [{}])[0]
        self.initial = {
            "reading": str(orderer.get("reading") or ""),
            "aliases": "、".join(orderer.get("aliases") or []),
            "submission": str(first.get("method") or ""),
            "submit_to": str(first.get("to") or ""),
            "notes": "\n".join(orderer.get("notes") or []),
        }
        self.adopted = bool(orderer.get("start_date"))

    def fields(self) -> list[Field]:
        i = self.initial
        locked = not self.adopted
        rules_hint = (
            "一覧に掲載なしの団体は、先に「導入を記録」（a）"
            if locked
            else "変えるときは出典と時点が必要"
        )
        subs = self.orderer.get("submission") or []
        sub_hint = rules_hint
        if len(subs) > 1:
            sub_hint += f"（いまは{len(subs)}件の記載。書き換えると1件に）"
        return [
            Field("reading", "読み", _input("reading", i["reading"], "ひらがな")),
            Field("aliases", "別名", _input("aliases", i["aliases"]), "、区切り（消すと別名なし）"),
            Field(
                "submission",
                "提出方法",
                _input("submission", i["submission"], "例: 電子メール", locked),
                sub_hint,
            ),
            Field("submit_to", "提出先", _input("submit_to", i["submit_to"], "", locked)),
            Field(
                "notes",
                "備考",
                TextArea(i["notes"], id="input-notes", disabled=locked, soft_wrap=True),
                "1行に1つ",
            ),
            Field("source", "出典（題名）", _input("source", "", "", locked), rules_hint),
            Field("url", "URL", _input("url", "", "https://…", locked)),
            Field("as_of", "時点", _input("as_of", "", "ページの更新日・掲載日", locked)),
        ]

    def restore(self, draft: dict[str, str]) -> None:
        if "notes" in draft:
            self.query_one("#input-notes", TextArea).text = draft["notes"]

    def values(self) -> dict[str, str]:
        return {**super().values(), "notes": self.query_one("#input-notes", TextArea).text}

    def changes(self, values: dict[str, str]) -> dict[str, Any]:
        i = self.initial
        out: dict[str, Any] = {}
        if values["reading"].strip() != i["reading"]:
            out["reading"] = values["reading"].strip()
        if split_list(values["aliases"]) != split_list(i["aliases"]):
            out["aliases"] = split_list(values["aliases"])
        if (values["submission"].strip(), values["submit_to"].strip()) != (
            i["submission"],
            i["submit_to"],
        ):
            out["submission"] = values["submission"].strip() or None
            out["submit_to"] = values["submit_to"].strip() or None
        notes = [x.strip() for x in values["notes"].splitlines() if x.strip()]
        if notes != [x for x in i["notes"].splitlines() if x.strip()]:
            out["notes"] = notes
        return out

    def submit(self, values: dict[str, str]) -> dict[str, Any]:
        from core.orderers import edit_orderer

        changes = self.changes(values)
        if not changes:
            raise ValidationError([(None, "変更した項目がありません")])
        try:
            return edit_orderer(
                self.hosho.database(),
                self.orderer["name"],
                changes,
                source=values["source"].strip() or None,
                as_of=values["as_of"].strip() or None,
                url=values["url"].strip() or None,
                prefecture=self.orderer.get("prefecture"),
                operator=self.hosho.settings.operator,
            )
        except ValidationError as exc:
            raise self.refused(exc) from None
