"""Can this guarantee be issued as an electronic certificate (電子証書) for this orderer?

:func:`evaluate` applies the rules of the source documents one by one. Each rule gives a
:class:`Reason` that cites the document and the as-of date it rests on, and says whether the
rule is satisfied (True), blocks electronic issue (False) or needs checking with the orderer
(None). The :class:`Verdict` is False when any reason blocks, else None when any needs
checking, else True.

General rules (every orderer) come from the company's guides, newest first
003_fa20bb5a45307e8d.txt (2026-02-26): only 前払金 (with 中間前払金) and 契約保証 certificates
can be electronic, never 契約保証予約, and the application must come through e-Net保証.
Orderer rules come from ``data/orderers.yaml`` and cite that entry's ``source``/``as_of``.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from core.dates import format_wareki, format_wareki_month
from core.knowledge import cite
from core.terms import CertKind, Channel, GType, Kind

if TYPE_CHECKING:
    from core.knowledge import Orderer

__all__ = [
    "ENET_DISCOUNT",
    "ENET_DISCOUNT_MIN_AMOUNT",
    "GENERAL_AS_OF",
    "GENERAL_SOURCE",
    "Reason",
    "Verdict",
    "evaluate",
    "fee_discount",
    "fee_discount_reason",
    "start_check",
    "start_check_during",
    "start_check_month",
    "start_check_yearless",
    "submission_guidance",
]

# The newest general guide (佐賀支店, 令和8年2月26日); 000/001/002 say the same.
GENERAL_SOURCE = cite("saga-guide-2026")
GENERAL_AS_OF = date(2026, 2, 26)

# e-Net保証: 「前払金保証のお申込みをいただくと、お申込み毎に保証料が200円割引」,
# 「対象は、前払金額（保証金額）が300万円以上のお申込み」 (003, 2026-02-26).
ENET_DISCOUNT = 200
ENET_DISCOUNT_MIN_AMOUNT = 3_000_000

_ELECTRONIC_TYPES = (GType.ADVANCE, GType.INTERIM, GType.CONTRACT)

_WHAT_TO_SUBMIT = (
    "提出するのは保証契約番号と認証キーが載った「認証キー等のお知らせ」（PDF。e-Net保証の"
    "STEP4でダウンロード）で、STEP3で保存した電子証書の画面ではない。"
)
_HOW_UNKNOWN = (
    "提出方法は発注者に確認（電子契約システムへのアップロードまたは電子メール添付が一般的）。"
)
_EVERY_TIME = (
    "新規・変更・訂正のたびに提出が必要（認証キーの提出が保証証書の提出にあたる）。"
    "認証キーは前払金（中間前払金を含む）と契約保証で別々。"
)
_PAPER = "電子証書は使えないため、書面の保証証書を発注者へ提出。"

# Where a date falls relative to an orderer's start: after (covered), before (not covered),
# or unknown (inside the start month, before a "by" date, or no start date at all).
_Position = Literal["after", "before", "unknown"]
# Actions a before_start_paper rule can keep on paper (see data/SCHEMA.md).
_Action = Literal["変更", "訂正", "中間前払金"]


@dataclass(frozen=True)
class Reason:
    """One rule applied: ``ok`` True = satisfied, False = blocks, None = needs checking."""

    text: str
    ok: bool | None
    source: str | None
    as_of: date | None

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "ok": self.ok,
            "source": self.source,
            "as_of": self.as_of.isoformat() if self.as_of else None,
        }


@dataclass(frozen=True)
class Verdict:
    """Whether the certificate can be electronic, why, and how to submit it."""

    eligible: bool | None
    reasons: tuple[Reason, ...]
    submission: str
    orderer: str | None
    as_of: date | None
    conditions: tuple[str, ...]

    @property
    def blocking(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.ok is False)

    @property
    def open_questions(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.ok is None)

    def to_json(self) -> dict[str, Any]:
        return {
            "eligible": self.eligible,
            "reasons": [r.text for r in self.reasons],
            "reason_details": [r.to_json() for r in self.reasons],
            "submission": self.submission,
            "orderer": self.orderer,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "conditions": list(self.conditions),
        }


def _combine(reasons: Iterable[Reason]) -> bool | None:
    oks = [r.ok for r in reasons]
    if False in oks:
        return False
    if None in oks:
        return None
    return True


# --------------------------------------------------------------------------- general rules


def _type_reason(gtype: GType) -> Reason:
    if gtype is GType.BID:
        return Reason(
            "契約保証予約（入札ボンド）は電子保証の対象外（書面の保証証書）",
            False,
            GENERAL_SOURCE,
            GENERAL_AS_OF,
        )
    return Reason(
        f"{gtype.value}保証は電子証書の対象（対象は前払金・中間前払金・契約保証、契約保証予約は対象外）",
        True,
        GENERAL_SOURCE,
        GENERAL_AS_OF,
    )


def _channel_reason(channel: Channel) -> Reason:
    if channel is Channel.COUNTER:
        return Reason(
            "窓口申込は書面の保証証書（電子保証はe-Net保証からの申込が要件）",
            False,
            GENERAL_SOURCE,
            GENERAL_AS_OF,
        )
    return Reason(
        "e-Net保証からの申込（電子保証の要件を満たす）", True, GENERAL_SOURCE, GENERAL_AS_OF
    )


def not_listed_text(query_name: str | None, list_as_of: date, note: str | None = None) -> str:
    """The honest answer for a body the lists of adopted orderers do not name: never a guess,
    and never "not adopted" as a fact. ``note`` is the list's own caveat (data/orderers.yaml
    ``list_note``)."""
    name = query_name.strip() if query_name and query_name.strip() else "この発注者"
    caveat = f"（{note.rstrip('。')}）" if note else ""
    return (
        f"{name}は一覧（{format_wareki(list_as_of)}現在）に掲載なし。"
        f"未導入か、一覧から読み取れなかった可能性があります{caveat}。"
        "導入状況は発注者に確認してください"
    )


def _unlisted_reason(
    query_name: str | None, list_as_of: date, list_source: str, note: str | None
) -> Reason:
    return Reason(
        not_listed_text(query_name, list_as_of, note),
        False,
        list_source,
        list_as_of,
    )


# --------------------------------------------------------------------------- start date


def _position(d: date, orderer: Orderer) -> _Position:
    start = orderer.start_date
    if start is None:
        return "unknown"
    if orderer.start_precision == "day":
        return "after" if d >= start else "before"
    if orderer.start_precision == "month":
        if (d.year, d.month) < (start.year, start.month):
            return "before"
        if (d.year, d.month) > (start.year, start.month):
            return "after"
        return "unknown"
    # "by": adopted on start_date at the latest; the real start is somewhere before.
    return "after" if d >= start else "unknown"


def _start_text(orderer: Orderer) -> str:
    start = orderer.start_date
    assert start is not None
    if orderer.start_precision == "month":
        return format_wareki_month(start)
    return format_wareki(start)


def _start_reason(orderer: Orderer, anchor: date, label: str) -> Reason:
    """The start-date test for ``anchor`` (契約締結日, 入札公告日 or 当初契約日)."""
    name, start = orderer.name, orderer.start_date
    shown = f"{label}（{format_wareki(anchor)}）"

    def reason(text: str, ok: bool | None) -> Reason:
        return Reason(text, ok, orderer.citation, orderer.as_of)

    if start is None:
        return reason(f"{name}の運用開始日は資料に記載なし。発注者に確認", None)
    position = _position(anchor, orderer)
    started = _start_text(orderer)
    if orderer.start_precision == "by":
        if position == "after":
            return reason(
                f"{name}は{started}時点で導入済み（運用開始日は資料に記載なし）。{shown}はそれ以降",
                True,
            )
        return reason(
            f"{name}の運用開始日は資料に記載なし。{started}時点では導入済み。"
            f"それより前の契約は発注者に確認（{label}は{format_wareki(anchor)}）",
            None,
        )
    if position == "after":
        return reason(f"{shown}は{name}の運用開始（{started}）以降", True)
    if position == "before":
        return reason(f"{shown}が{name}の運用開始（{started}）より前", False)
    return reason(
        f"{shown}は{name}の運用開始の月。運用開始は{started}としか分からないため、"
        "日付は発注者に確認",
        None,
    )


def start_check(orderer: Orderer, day: date, said_as: str | None = None) -> Reason:
    """Whether a case dated ``day`` falls on or after ``orderer``'s start, for a date said in
    passing (a caller's question). ``said_as`` is what the date is, 契約締結日 or 入札公告日, when
    the caller said so; otherwise it is taken as the date the orderer decides by. A date of
    the other kind decides only one way: the announcement precedes the contract."""
    anchor = orderer.applies_to
    if said_as is None and anchor == "入札公告日" and orderer.start_date is not None:
        # Callers mostly mean their contract: the date decides only if it is the tender's.
        name, shown, started = orderer.name, format_wareki(day), _start_text(orderer)
        if _position(day, orderer) == "before":
            text = (
                f"{shown}は{name}の運用開始（{started}の入札公告分から）より前。"
                "公告日でも契約日でも対象外"
            )
            return Reason(text, False, orderer.citation, orderer.as_of)
        text = (
            f"{name}は入札公告日で判断します（{started}以降の公告分から）。{shown}が入札公告日なら"
            f"対象、契約締結日なら入札公告日を確認"
        )
        return Reason(text, None, orderer.citation, orderer.as_of)
    if said_as is None or said_as == anchor or orderer.start_date is None:
        return _start_reason(orderer, day, said_as or anchor)
    name, said = orderer.name, f"{said_as}（{format_wareki(day)}）"
    position = _position(day, orderer)
    decides = f"{name}は{anchor}で判断します（運用開始{_start_text(orderer)}）"
    if anchor == "入札公告日" and position == "before":
        text = (
            f"{said}が{name}の運用開始（{_start_text(orderer)}）より前のため、入札公告も運用開始前"
        )
        return Reason(text, False, orderer.citation, orderer.as_of)
    if anchor == "契約締結日" and position == "after":
        text = f"{said}が{name}の運用開始（{_start_text(orderer)}）以降のため、契約締結も運用開始後"
        return Reason(text, True, orderer.citation, orderer.as_of)
    text = f"{decides}。{said}だけでは決まらないため、{anchor}を発注者に確認"
    return Reason(text, None, orderer.citation, orderer.as_of)


def start_check_month(orderer: Orderer, month: date, said_as: str | None = None) -> Reason:
    """:func:`start_check` for a case said only to the month (令和8年4月に契約): decided when
    every day of the month gets the same answer, else the date must be asked."""
    last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    return start_check_during(orderer, (month, last), format_wareki_month(month), said_as)


def start_check_during(
    orderer: Orderer, days: tuple[date, date], label: str, said_as: str | None = None
) -> Reason:
    """:func:`start_check` for a case on some day from ``days[0]`` to ``days[1]``, said as
    ``label`` (令和8年4月, 去年（令和7年）): decided when every day gets the same answer, else the
    date must be asked."""
    return _start_check_span(
        orderer, days, said_as, f"{label}中のどの日でも", f"{label}の案件は日付"
    )


def start_check_yearless(
    orderer: Orderer, days: tuple[date, date], said_as: str | None = None
) -> Reason:
    """:func:`start_check` for a day said without its year (4月1日に契約), which may be either
    of ``days`` (its last and its next occurrence): decided when both get the same answer,
    else the year must be asked."""
    first, last = days
    either = f"{format_wareki(first)}でも{format_wareki(last)}でも"
    return _start_check_span(
        orderer, days, said_as, either, f"{last.month}月{last.day}日の案件は年"
    )


def _start_check_span(
    orderer: Orderer, days: tuple[date, date], said_as: str | None, every: str, varies: str
) -> Reason:
    """:func:`start_check` for a case on some day from ``days[0]`` to ``days[1]``: their answer
    when the earliest and the latest agree (``every`` says so: 「令和8年4月中のどの日でも」),
    else what to confirm (``varies``: 「令和8年4月の案件は日付」によって異なる)."""
    first_check = start_check(orderer, days[0], said_as)
    if orderer.start_date is None:
        return first_check
    last_check = start_check(orderer, days[1], said_as)
    # The answer only changes once, at the start: when the first and the last day agree, every
    # day between does (the last day's reasons for "before", the first day's otherwise).
    if first_check.ok is last_check.ok:
        check = last_check if last_check.ok is False else first_check
        return replace(check, text=f"{every}、{check.text}")
    text = (
        f"{orderer.name}の運用開始は{_start_text(orderer)}（{orderer.applies_to}で判断）。"
        f"{varies}によって異なるか資料から決まらないため、{orderer.applies_to}を確認"
    )
    return Reason(text, None, orderer.citation, orderer.as_of)


# --------------------------------------------------------------------------- coverage


def _coverage_reason(orderer: Orderer, kind: Kind, gtype: GType) -> Reason:
    name = orderer.name

    def reason(text: str, ok: bool | None) -> Reason:
        return Reason(text, ok, orderer.citation, orderer.as_of)

    coverage = orderer.coverage
    if coverage is None:
        # Every adopting orderer takes construction works; the documents just do not say more.
        if kind is Kind.WORKS:
            return reason("工事は対象（範囲の詳細は資料に記載なし）", True)
        return reason(
            f"{name}の対象の契約の種類は資料に記載なし。{kind.value}が対象かは発注者に確認", None
        )
    if kind not in coverage:
        kinds = "・".join(k.value for k in coverage)
        return reason(f"{name}の{kind.value}は電子化の対象外（対象は{kinds}）", False)
    types = coverage[kind]
    if types is None:
        return reason(f"{name}の{kind.value}が対象かは資料に記載なし。発注者に確認", None)
    if gtype not in types:
        listed = "・".join(t.value for t in types)
        return reason(f"{name}の{kind.value}は{listed}保証のみ電子化の対象", False)
    return reason(f"{name}の{kind.value}の{gtype.value}保証は電子化の対象", True)


# --------------------------------------------------------------------------- conditions


def _conditions(orderer: Orderer, kind: Kind) -> list[str]:
    """Scope conditions that do not change the verdict but must be true for it to hold."""
    out: list[str] = []
    name = orderer.name
    if orderer.department_limits:
        out.append(f"{name}は{'・'.join(orderer.department_limits)}の発注分に限る")
    if orderer.excluded_guarantors:
        out.append(
            f"{'・'.join(orderer.excluded_guarantors)}の保証証書は対象外（保証事業会社のみ）"
        )
    # Kind-specific scope limits live in the notes as 「{kind}は…に限る」 (広島県: 地域維持 of
    # the 土木建築局 only). Other notes are background, not rules.
    prefix = f"{kind.value}は"
    for note in orderer.notes:
        if note.startswith(prefix) and note.rstrip("。").endswith("に限る"):
            out.append(f"{name}の{note.rstrip('。')}")
    return out


def _doubt_reason(orderer: Orderer) -> Reason:
    detail = f"（{orderer.notes[0].rstrip('。')}）" if orderer.notes else ""
    return Reason(
        f"資料の表記に疑義あり{detail}。発注者に確認", None, orderer.citation, orderer.as_of
    )


# --------------------------------------------------------------------------- evaluate


def _actions(gtype: GType, cert_kind: CertKind) -> list[_Action]:
    """What a before_start_paper rule could concern for this certificate."""
    out: list[_Action] = []
    if cert_kind is CertKind.CHANGE:
        out.append("変更")
    elif cert_kind is CertKind.CORRECTION:
        out.append("訂正")
    if gtype is GType.INTERIM:
        out.append("中間前払金")
    return out


def _orderer_reasons(
    orderer: Orderer,
    *,
    gtype: GType,
    contract_date: date,
    kind: Kind,
    cert_kind: CertKind,
    original_contract_date: date | None,
    announcement_date: date | None,
) -> list[Reason]:
    reasons: list[Reason] = []
    name = orderer.name

    def reason(text: str, ok: bool | None) -> Reason:
        return Reason(text, ok, orderer.citation, orderer.as_of)

    actions = _actions(gtype, cert_kind)
    if orderer.applies_to == "入札公告日":
        # The announcement of the tender decides, for every certificate of the project.
        if announcement_date is None:
            reasons.append(
                reason(f"入札公告日を入力してください（{name}は入札公告日で判定）", None)
            )
        else:
            reasons.append(_start_reason(orderer, announcement_date, "入札公告日"))
    else:
        paper_actions = [a for a in actions if a in orderer.before_start_paper]
        if paper_actions:
            # Pre-start contracts keep these on paper, so the ORIGINAL contract date decides.
            # A 中間前払金 certificate's contract_date is the contract's own date; for 変更/訂正
            # without an original date we assume the same and say so.
            original = original_contract_date or contract_date
            assumed = original_contract_date is None and cert_kind is not CertKind.NEW
            joined = "・".join(paper_actions)
            note = (
                "（当初契約日の入力がないため、契約日を当初契約日とみなして判定）"
                if assumed
                else ""
            )
            position = _position(original, orderer)
            if position == "before":
                started = _start_text(orderer)
                reasons.append(
                    reason(
                        f"当初契約が運用開始前のため{joined}は書面（{name}: 当初契約日"
                        f"{format_wareki(original)}、運用開始{started}）{note}",
                        False,
                    )
                )
            else:
                reasons.append(_start_reason(orderer, original, "当初契約日"))
                if position == "after":
                    reasons.append(
                        reason(f"当初契約が運用開始後のため{joined}も電子証書にできる{note}", True)
                    )
        else:
            reasons.append(_start_reason(orderer, contract_date, "契約締結日"))
            if (
                actions
                and original_contract_date is not None
                and _position(original_contract_date, orderer) == "before"
            ):
                # The documents only say this for orderers with before_start_paper rules
                # (広島県, 島根県: paper); elsewhere they are silent, so ask.
                reasons.append(
                    reason(
                        f"当初契約日（{format_wareki(original_contract_date)}）が運用開始"
                        f"（{_start_text(orderer)}）より前。運用開始前の契約の"
                        f"{'・'.join(actions)}の扱いは資料に記載なし。発注者に確認",
                        None,
                    )
                )
    if gtype is not GType.BID:
        reasons.append(_coverage_reason(orderer, kind, gtype))
    if not orderer.verified:
        reasons.append(_doubt_reason(orderer))
    return reasons


def evaluate(
    orderer: Orderer | None,
    *,
    gtype: GType,
    contract_date: date,
    kind: Kind = Kind.WORKS,
    channel: Channel = Channel.ENET,
    cert_kind: CertKind = CertKind.NEW,
    original_contract_date: date | None = None,
    announcement_date: date | None = None,
    list_as_of: date,
    list_source: str,
    list_note: str | None = None,
    query_name: str | None = None,
) -> Verdict:
    """Apply every rule for one certificate; ``orderer`` None means not in the data.

    ``contract_date`` is the contract (or change) date of this certificate;
    ``original_contract_date`` the date of the original contract for 変更・訂正・中間前払金;
    ``announcement_date`` the tender announcement (入札公告日) for orderers that decide by it;
    ``list_as_of``/``list_source`` the orderer list the absence of an orderer is judged on.
    """
    reasons: list[Reason] = [_type_reason(gtype), _channel_reason(channel)]
    body = None  # a body of the register that no list names
    if orderer is not None and not orderer.adopted:
        pref = orderer.prefecture
        body = orderer.name
        query_name = f"{body}（{pref}）" if pref and pref != body else body
        orderer = None
    if orderer is None:
        unlisted = _unlisted_reason(query_name, list_as_of, list_source, list_note)
        reasons.append(unlisted)
        eligible = _combine(reasons)
        only_unlisted = [r for r in reasons if r.ok is False] == [unlisted]
        submission = (
            "電子保証に対応しているかを含めて発注者に確認。" + submission_guidance(None, gtype)
            if only_unlisted
            else _PAPER
        )
        return Verdict(eligible, tuple(reasons), submission, body, list_as_of, ())
    reasons.extend(
        _orderer_reasons(
            orderer,
            gtype=gtype,
            contract_date=contract_date,
            kind=kind,
            cert_kind=cert_kind,
            original_contract_date=original_contract_date,
            announcement_date=announcement_date,
        )
    )
    conditions = _conditions(orderer, kind)
    reasons.extend(Reason(f"条件: {c}", True, orderer.citation, orderer.as_of) for c in conditions)
    eligible = _combine(reasons)
    submission = _PAPER if eligible is False else submission_guidance(orderer, gtype)
    return Verdict(
        eligible, tuple(reasons), submission, orderer.name, orderer.as_of, tuple(conditions)
    )


# --------------------------------------------------------------------------- submission


def _sentence(text: str) -> str:
    return text if text.endswith("。") else text + "。"


def submission_guidance(orderer: Orderer | None, gtype: GType) -> str:
    """What to hand the orderer for this certificate, how, and where.

    The orderer's ``submission`` lines for ``gtype`` (a line with no types is for all); without
    any, the general advice to ask the orderer. 契約保証予約 is never electronic, so it gets
    the paper sentence only.
    """
    if gtype is GType.BID:
        return "契約保証予約は電子保証の対象外のため、書面の保証証書を発注者へ提出。"
    lines = (
        []
        if orderer is None
        else [s for s in orderer.submission if not s.types or gtype in s.types]
    )
    parts = [_WHAT_TO_SUBMIT]
    if orderer is None or not lines:
        parts.append(_HOW_UNKNOWN)
    else:
        for line in lines:
            if line.to:
                how = f"{line.method}で{line.to}へ"
            elif line.note:
                how = line.method
            else:
                how = f"{line.method}（提出先は発注者に確認）"
            parts.append(f"{orderer.name}への提出方法: {how}。")
            if line.note:
                parts.append(_sentence(line.note))
    parts.append(_EVERY_TIME)
    return "".join(parts)


# --------------------------------------------------------------------------- fee discount


def fee_discount(gtype: GType, channel: Channel, amount: int) -> int:
    """The e-Net保証 discount on the guarantee fee in yen (0 when none applies).

    Only 前払金保証 applied for through e-Net保証 with a 保証金額 of 3,000,000 yen or more.
    The documents name 前払金保証 only; 中間前払金保証 and 契約保証 get no discount here
    until a document says otherwise.
    """
    if gtype is GType.ADVANCE and channel is Channel.ENET and amount >= ENET_DISCOUNT_MIN_AMOUNT:
        return ENET_DISCOUNT
    return 0


def fee_discount_reason(gtype: GType, channel: Channel, amount: int) -> str | None:
    """Why the discount applies or not, for 前払金保証; None for the other types."""
    if gtype is not GType.ADVANCE:
        return None
    if channel is not Channel.ENET:
        return "窓口申込のため200円割引なし（割引はe-Net保証からの前払金保証の申込が対象）"
    if amount < ENET_DISCOUNT_MIN_AMOUNT:
        return "保証金額が300万円未満のため200円割引なし（割引は保証金額300万円以上が対象）"
    return "e-Net保証からの前払金保証の申込（保証金額300万円以上）のため保証料を200円割引"
