"""The guarantee's life on the detail screen: 取消 (asks the reason) and 完了・解約 (asks which,
the day it ended and why). Both are forms: errors beside their fields, values kept."""

from __future__ import annotations

from textual.widgets import Input, Select

from core import closing, services
from tui.form_base import DATE_WIDTH, Field, FormScreen, wareki_echo


class CancelForm(FormScreen):
    """受付・発行済 → 取消: a guarantee entered in error. The reason is required."""

    def __init__(self, number: str) -> None:
        super().__init__()
        self.number = number
        self.TITLE_TEXT = (
            f"保証の取消（保証契約番号 {number}）— 入力誤りの保証を取り消します。"
            "取り消すと証書の発行・変更・訂正・お知らせはできず、未送信のお知らせメールも送りません"
        )
        self.DRAFT_KEY = f"取消:{number}"

    def fields(self) -> list[Field]:
        return [
            Field(
                "reason",
                "取消の理由 *",
                Input(id="input-reason", placeholder="例: 二重登録のため"),
                "記録に残ります（だれが・いつ・なぜ）",
            )
        ]

    def submit(self, values: dict[str, str]) -> services.GuaranteeView:
        return closing.cancel_guarantee(
            self.hosho.database(),
            self.number,
            reason=values["reason"],
            operator=self.hosho.settings.operator,
        )


class CloseForm(FormScreen):
    """受付・発行済 → 完了 or 解約, on the day it ended."""

    def __init__(self, number: str) -> None:
        super().__init__()
        self.number = number
        self.TITLE_TEXT = (
            f"完了・解約の記録（保証契約番号 {number}）— 記録すると証書の発行・変更・訂正は"
            "できなくなります（表示・一覧・帳票はそのまま）"
        )
        self.DRAFT_KEY = f"完了:{number}"

    def fields(self) -> list[Field]:
        return [
            Field(
                "as",
                "完了・解約 *",
                Select(
                    [("完了（工事完成・保証期限の経過）", "完了"), ("解約", "解約")],
                    value="完了",
                    allow_blank=False,
                    id="input-as",
                ),
            ),
            Field(
                "date",
                "終了日 *",
                Input(id="input-date", placeholder="例: R9.3.31"),
                "契約締結日から今日までの日付",
                width=DATE_WIDTH,
                echo=wareki_echo,
            ),
            Field("reason", "理由・経緯", Input(id="input-reason", placeholder="例: 工事完成")),
        ]

    def submit(self, values: dict[str, str]) -> services.GuaranteeView:
        return closing.close_guarantee(
            self.hosho.database(),
            self.number,
            as_=values["as"],
            date_text=values["date"],
            reason=values["reason"],
            operator=self.hosho.settings.operator,
        )
