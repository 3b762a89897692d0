"""The knowledge files in ``data/``: models, loading with exact error locations, checks, lookup.

``data/SCHEMA.md`` is the contract. Every problem found in a file is reported as
``path:line: field: message`` (1-based line of the offending value), all of them at once.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import pydantic
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Strict,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)
from rapidfuzz import fuzz, process
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from core.errors import HoshoError
from core.paths import data_dir
from core.terms import GType, Kind

__all__ = [
    "PREFECTURES",
    "Branch",
    "BranchFile",
    "Category",
    "FaqEntry",
    "FaqFile",
    "GType",
    "Kind",
    "KnowledgeError",
    "Orderer",
    "OrdererFile",
    "OrdererGroup",
    "OrdererIndex",
    "OutOfScope",
    "Problem",
    "Submission",
    "SynonymFile",
    "SynonymGroup",
    "Usage",
    "default_branches_path",
    "default_faq_path",
    "default_orderers_path",
    "default_synonyms_path",
    "load_branches",
    "load_faq",
    "load_orderers",
    "load_synonyms",
    "normalize_name",
]


# --------------------------------------------------------------------------- vocabularies


class Category(StrEnum):
    """発注者の区分."""

    STATE = "国"
    AGENCY = "独立行政法人等"
    UNIVERSITY = "国立大学法人"
    KOSEN = "国立高等専門学校機構"
    PUBLIC_BODY = "その他公共的団体"
    PREFECTURE = "都道府県"
    DESIGNATED_CITY = "政令指定都市"
    MUNICIPALITY = "市町村"
    SPECIAL_WARD = "特別区"
    # Bodies staff add to the register (not in the municipality data set).
    PARTNERSHIP = "一部事務組合"
    UNION = "広域連合"
    ENTERPRISE = "企業団"
    CORPORATION = "公社"


# Local public bodies: named after a place, with 市/町/村/区/県 readings.
LOCAL_CATEGORIES = frozenset(
    {Category.PREFECTURE, Category.DESIGNATED_CITY, Category.MUNICIPALITY, Category.SPECIAL_WARD}
)
# Categories that belong to one prefecture (it is required).
REGIONAL_CATEGORIES = LOCAL_CATEGORIES | {
    Category.PARTNERSHIP,
    Category.UNION,
    Category.ENTERPRISE,
    Category.CORPORATION,
}

# day: exact date; month: only 令和X年Y月 known (stored as the 1st);
# by: no start date given, adopted by this date at the latest (the list's as-of date).
StartPrecision = Literal["day", "month", "by"]
AppliesTo = Literal["契約締結日", "入札公告日"]
PaperAfterStart = Literal["変更", "訂正", "中間前払金"]

# JIS X 0401 order.
PREFECTURES: tuple[str, ...] = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県",
    "茨城県", "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県",
    "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県", "岐阜県",
    "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県",
    "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県",
    "徳島県", "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県",
    "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
)  # fmt: skip

_URL_RE = re.compile(r"^https?://[^\s]+$")
_CODE_RE = re.compile(r"^\d{6}$")
_HIRAGANA_RE = re.compile(r"^[\u3041-\u3096\u309d\u309eー・ 　]+$")
_FAQ_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_PHONE_RE = re.compile(r"^0\d{1,4}-\d{1,4}-\d{3,4}$")
_POSTAL_RE = re.compile(r"^\d{3}-\d{4}$")


# --------------------------------------------------------------------------- messages

# What is said about knowledge files (core.municipalities says the same of its CSV).
EMPTY_VALUE = "空にはできません"
FILE_NOT_FOUND = "ファイルがありません"
NOT_UTF8 = "UTF-8 のテキストではありません"
EMPTY_FILE = "ファイルが空です"


def cannot_read(exc: OSError) -> str:
    return f"読めません（{exc.strerror or type(exc).__name__}）"


def spaces_around(value: str) -> str:
    return f"「{value}」の前後に空白があります"


def not_hiragana(value: str) -> str:
    return f"{value} はひらがなではありません"


def not_a_prefecture(value: str) -> str:
    return f"{value} は都道府県名ではありません（例: 佐賀県）"


def twice(what: str, first: str) -> str:
    return f"{what} が2回あります（{first}と同じ）"


def one_of(expected: str) -> str:
    """「工事・業務委託・地域維持」 from pydantic's 「'工事', '業務委託' or '地域維持'」."""
    return "・".join(re.split(r", | or ", expected.replace("'", "")))


# --------------------------------------------------------------------------- field checks

Loc = tuple[str | int, ...]


class _FieldIssues(ValueError):
    """Raised by model validators to blame specific fields (``loc`` relative to the model)."""

    def __init__(self, issues: list[tuple[Loc, str]]) -> None:
        self.issues = issues
        super().__init__("; ".join(f"{_field_path(loc)}: {message}" for loc, message in issues))


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError(EMPTY_VALUE)
    if value != value.strip():
        raise ValueError(spaces_around(value))
    return value


def _source_id(value: str, info: ValidationInfo) -> str:
    known = (info.context or {}).get("sources")
    if known is not None and value not in known:
        raise ValueError(f"{value} は sources.yaml にない出典です（例: saga-guide-2026）")
    return _faq_id(value)


def _url(value: str) -> str:
    if not _URL_RE.fullmatch(value):
        raise ValueError(
            f"{value} はWebのアドレスではありません（例: https://www.city.example.jp/...）"
        )
    return value


def check_digit(code5: str) -> str:
    """Check digit of a 全国地方公共団体コード (the first five digits of ``code5`` are read):
    weights 6, 5, 4, 3, 2; 11 - (sum mod 11), its last digit (鳥栖市 41203 -> 1)."""
    o = ord  # digits as code points: 48 * (6 + 5 + 4 + 3 + 2) = 960 too many
    total = 6 * o(code5[0]) + 5 * o(code5[1]) + 4 * o(code5[2]) + 3 * o(code5[3]) + 2 * o(code5[4])
    return "10987654321"[(total - 960) % 11]


def _code(value: str) -> str:
    if not _CODE_RE.fullmatch(value) or check_digit(value[:5]) != value[5]:
        raise ValueError(f"{value} は全国地方公共団体コード（6桁）ではありません（例: 412031）")
    return value


def _reading(value: str) -> str:
    if not _HIRAGANA_RE.fullmatch(value) or value != value.strip():
        raise ValueError(not_hiragana(value))
    return value


def _reading_or_empty(value: str) -> str:
    """A reading, or "" for a body staff added without one."""
    return value if value == "" else _reading(value)


def _prefecture(value: str) -> str:
    if value not in PREFECTURES:
        raise ValueError(not_a_prefecture(value))
    return value


def _faq_id(value: str) -> str:
    if not _FAQ_ID_RE.fullmatch(value):
        raise ValueError(
            f"{value} はIDになりません（半角英小文字・数字をハイフンでつなぐ。例: paper-contract）"
        )
    return value


def _phone(value: str) -> str:
    if not _PHONE_RE.fullmatch(value):
        raise ValueError(f"{value} は電話番号ではありません（例: 096-364-1155）")
    return value


def _postal_code(value: str) -> str:
    if not _POSTAL_RE.fullmatch(value):
        raise ValueError(f"{value} は郵便番号ではありません（例: 862-0976）")
    return value


H = TypeVar("H", bound=Hashable)


def _unique(values: Sequence[H]) -> Sequence[H]:
    seen: set[H] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{value} が2回書かれています")
        seen.add(value)
    return values


def _coverage_types(values: tuple[GType, ...]) -> tuple[GType, ...]:
    if not values:
        raise ValueError(
            "保証の種類を1つ以上書いてください（分からないときは、この業務ごと省きます）"
        )
    if GType.BID in values:
        raise ValueError(f"{GType.BID}は電子になりません")
    return values


Text = Annotated[str, AfterValidator(_text)]
SourceId = Annotated[str, AfterValidator(_source_id)]
Url = Annotated[str, AfterValidator(_url)]
Code = Annotated[str, AfterValidator(_code)]
Reading = Annotated[str, AfterValidator(_reading)]
Prefecture = Annotated[str, AfterValidator(_prefecture)]
FaqId = Annotated[str, AfterValidator(_faq_id)]
Phone = Annotated[str, AfterValidator(_phone)]
PostalCode = Annotated[str, AfterValidator(_postal_code)]


def _iso_date(value: Any) -> Any:
    """A YAML date, or the same written in quotes ("2026-04-01"); nothing looser."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value  # reported as "is not a date"
    return value


YamlDate = Annotated[date, BeforeValidator(_iso_date), Strict()]
Count = Annotated[int, Strict(), Field(ge=0)]
GTypes = Annotated[tuple[GType, ...], AfterValidator(_unique)]
CoveredGTypes = Annotated[
    tuple[GType, ...], AfterValidator(_unique), AfterValidator(_coverage_types)
]
Texts = Annotated[tuple[Text, ...], AfterValidator(_unique)]

_MODEL_CONFIG = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- models


class SourceDoc(BaseModel):
    """A document or page the knowledge rests on (data/sources.yaml)."""

    model_config = _MODEL_CONFIG

    id: FaqId
    title: Text
    issuer: Text
    cite: Text | None = None  # shorter issuer for citations (佐賀支店)
    date: YamlDate
    date_precision: Literal["day", "month", "year"] = "day"
    url: Url | None = None
    note: Text | None = None

    def citation(self) -> str:
        """「電子保証のご案内（佐賀支店、令和8年2月26日）」."""
        from core.dates import format_wareki, format_wareki_month

        if self.date_precision == "month":
            when = format_wareki_month(self.date)
        elif self.date_precision == "year":
            when = format_wareki(self.date).split("年")[0] + "年"
        else:
            when = format_wareki(self.date)
        where = "、".join(x for x in (self.cite or self.issuer, self.url) if x)
        return f"{self.title}（{where}、{when}）"


class SourceFile(BaseModel):
    """data/sources.yaml."""

    model_config = _MODEL_CONFIG

    sources: Annotated[tuple[SourceDoc, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_ids(self) -> SourceFile:
        issues: list[tuple[Loc, str]] = [
            (("sources", index, "id"), twice(key, f"sources[{first}]"))
            for index, first, key in _duplicates([d.id for d in self.sources])
        ]
        if issues:
            raise _FieldIssues(issues)
        return self


class WebSource(BaseModel):
    """A source staff recorded with a fact: an orderer's page, a notice, a flyer."""

    model_config = _MODEL_CONFIG

    title: Text
    issuer: Text | None = None
    url: Url | None = None
    date: YamlDate | None = None

    def citation(self) -> str:
        from core.dates import format_wareki

        when = format_wareki(self.date) if self.date else None
        where = "、".join(x for x in (self.issuer, self.url, when) if x)
        return f"{self.title}（{where}）" if where else self.title


def _source_kind(value: Any) -> str:
    return "page" if isinstance(value, dict | WebSource) else "document"


# A document of data/sources.yaml by its id, or a page staff recorded (title, url, date).
SourceRef = Annotated[
    Annotated[SourceId, Tag("document")] | Annotated[WebSource, Tag("page")],
    Discriminator(_source_kind),
]


class DeadlineRule(BaseModel):
    """A procedure deadline an orderer's documents state, counted from a day staff know
    (鳥栖市: the electronic contract within 5 days after the award)."""

    model_config = _MODEL_CONFIG

    name: Text  # 電子契約の締結期限
    after: Literal[
        "落札日", "署名完了通知日"
    ]  # the day it counts from (award, 電子署名完了のお知らせ)
    days: Annotated[int, Field(ge=1, le=366)]
    count: Literal["開庁日", "暦日"] = (
        "暦日"  # business days (土日祝・年末年始 excluded) or every day
    )
    # the document does not say whether closed days count: both readings are given
    closed_days_unclear: Annotated[bool, Strict()] = False
    said: Text  # as the document says it: 落札日の翌日から5日以内
    note: Text | None = None  # advice said with it


class Submission(BaseModel):
    """How and where the 認証キー等のお知らせ PDF is submitted."""

    model_config = _MODEL_CONFIG

    types: GTypes = ()  # () = all guarantee types
    method: Text  # 電子メール | 電子契約システムへのアップロード | ...
    to: Text | None = None
    note: Text | None = None


class Usage(BaseModel):
    """Usage statistics of electronic guarantees for one orderer."""

    model_config = _MODEL_CONFIG

    as_of: YamlDate
    advance_guarantees: Count
    electronic: Count
    rate_percent: Annotated[float, Field(ge=0, le=100)]

    @model_validator(mode="after")
    def _consistent(self) -> Usage:
        issues: list[tuple[Loc, str]] = []
        if self.electronic > self.advance_guarantees:
            issues.append(
                (
                    ("electronic",),
                    f"{self.electronic} が advance_guarantees の {self.advance_guarantees} を"
                    "超えています",
                )
            )
        elif self.advance_guarantees:
            rate = 100 * self.electronic / self.advance_guarantees
            if abs(rate - self.rate_percent) > 0.1:
                issues.append(
                    (
                        ("rate_percent",),
                        f"{self.rate_percent} が {self.electronic}/"
                        f"{self.advance_guarantees} = {rate:.1f} と合いません",
                    )
                )
        if issues:
            raise _FieldIssues(issues)
        return self


class Orderer(BaseModel):
    """発注者: one public body of the register and, once adopted, its electronic rules.

    A body without ``start_date`` is not in the lists of adopted orderers: nothing is known
    of its electronic certificates (``electronic`` is ``not_listed``, never "not adopted").
    """

    model_config = _MODEL_CONFIG

    name: Text
    reading: Annotated[str, AfterValidator(_reading_or_empty)] = ""
    aliases: Texts = ()
    category: Category
    prefecture: Prefecture | None = None
    code: Code | None = None  # 全国地方公共団体コード (six digits), for local public bodies
    # start_precision comes first so the start_date check can see it.
    start_precision: StartPrecision = "day"
    start_date: YamlDate | None = None
    applies_to: AppliesTo = "契約締結日"
    coverage: dict[Kind, CoveredGTypes | None] | None = None
    before_start_paper: Annotated[tuple[PaperAfterStart, ...], AfterValidator(_unique)] = ()
    excluded_guarantors: Texts = ()
    department_limits: Texts = ()
    submission: tuple[Submission, ...] = ()
    usage: Usage | None = None
    deadlines: tuple[DeadlineRule, ...] = ()
    source: SourceRef | None = None
    as_of: YamlDate | None = None
    verified: Annotated[bool, Strict()] = True
    notes: tuple[Text, ...] = ()

    @field_validator("start_date")
    @classmethod
    def _month_starts_on_day_one(cls, value: date | None, info: ValidationInfo) -> date | None:
        if value is not None and value.day != 1 and info.data.get("start_precision") == "month":
            raise ValueError(f"{value} は月の1日にしてください（start_precision が month のため）")
        return value

    @model_validator(mode="after")
    def _rules(self) -> Orderer:
        issues: list[tuple[Loc, str]] = []
        if self.name in self.aliases:
            index = self.aliases.index(self.name)
            issues.append((("aliases", index), f"{self.name} は名前そのものです"))
        if self.category in REGIONAL_CATEGORIES and self.prefecture is None:
            issues.append((("prefecture",), f"区分が{self.category}のときは必要です"))
        if (
            self.category is Category.PREFECTURE
            and self.prefecture is not None
            and self.name != self.prefecture
        ):
            issues.append((("prefecture",), f"{self.prefecture} が名前の{self.name}と違います"))
        if self.start_date is not None:
            if self.source is None:
                issues.append((("source",), "start_date を書くときは必要です"))
            if self.as_of is None:
                issues.append((("as_of",), "start_date を書くときは必要です"))
        if issues:
            raise _FieldIssues(issues)
        return self

    @property
    def key(self) -> tuple[str, str | None]:
        """Identity within the file: (name, prefecture)."""
        return (self.name, self.prefecture)

    @property
    def adopted(self) -> bool:
        """Whether a source says this body accepts electronic certificates."""
        return self.start_date is not None

    @property
    def electronic(self) -> Literal["adopted", "not_listed"]:
        return "adopted" if self.adopted else "not_listed"

    @property
    def citation(self) -> str:
        """The source as staff recognise it (title, issuer, date), or "" when none."""
        return cite(self.source)


class OrdererGroup(BaseModel):
    """Listed orderers callers name together (NEXCO: the three expressway companies); said,
    the name stands for each of them."""

    model_config = _MODEL_CONFIG

    name: Text
    aliases: Texts = ()
    members: Annotated[Texts, Field(min_length=2)]  # names of listed orderers


class OrdererFile(BaseModel):
    """data/orderers.yaml."""

    model_config = _MODEL_CONFIG

    list_as_of: YamlDate
    list_source: SourceId
    list_note: Text | None = None  # a caveat about the list itself, said with every absence
    orderers: Annotated[tuple[Orderer, ...], Field(min_length=1)]
    groups: tuple[OrdererGroup, ...] = ()

    @model_validator(mode="after")
    def _unique_orderers(self) -> OrdererFile:
        issues = _orderer_duplicates([(o.name, o.prefecture) for o in self.orderers])
        issues += _group_issues(self.orderers, self.groups)
        if issues:
            raise _FieldIssues(issues)
        return self


AmendableField = Literal[
    "reading",
    "aliases",
    "category",
    "code",
    "start_precision",
    "start_date",
    "applies_to",
    "coverage",
    "before_start_paper",
    "excluded_guarantors",
    "department_limits",
    "submission",
    "usage",
    "deadlines",
    "source",
    "as_of",
    "verified",
    "notes",
]


class AmendedOrderer(Orderer):
    """An orderer as staff amended it: the whole record, and which fields staff set
    (``added``: staff added the body itself to the register)."""

    amended: Annotated[tuple[AmendableField, ...], AfterValidator(_unique)] = ()
    added: Annotated[bool, Strict()] = False


def _unique_amendments(amendments: Sequence[Orderer]) -> None:
    """One record per body (name and prefecture) in an amendments or page file."""
    issues = [
        (("amendments", *loc[1:]), message)
        for loc, message in _orderer_duplicates([(o.name, o.prefecture) for o in amendments])
    ]
    if issues:
        raise _FieldIssues(issues)


class AmendmentFile(BaseModel):
    """Staff amendments to the orderer register, exported by ``hosho orderer export
    --amendments`` and loaded by ``hosho data load`` at another branch."""

    model_config = _MODEL_CONFIG

    exported_at: YamlDate
    exported_by: Text | None = None
    amendments: Annotated[tuple[AmendedOrderer, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_orderers(self) -> AmendmentFile:
        _unique_amendments(self.amendments)
        return self


class PageFacts(AmendedOrderer):
    """What one orderer's own public page (its 契約・入札 page) or a press report says of its
    electronic certificates: the fields it states (``amended``), cited to the page."""

    @model_validator(mode="after")
    def _cited_to_a_page(self) -> PageFacts:
        issues: list[tuple[Loc, str]] = []
        if not isinstance(self.source, WebSource):
            issues.append((("source",), "ページの題名・発行元・アドレス・日付で書いてください"))
        elif self.source.url is None:
            issues.append((("source", "url"), "ページのアドレスが必要です"))
        if not self.amended:
            issues.append((("amended",), "ページが述べている項目を並べてください"))
        elif "source" not in self.amended:
            issues.append((("amended",), "source を含めてください"))
        if issues:
            raise _FieldIssues(issues)
        return self


class PageFile(BaseModel):
    """data/pages/*.yaml: facts from the orderers' own pages and other public records, applied
    over the documents' records (the documents themselves stay as they are)."""

    model_config = _MODEL_CONFIG

    checked_at: YamlDate  # when the pages were read
    checked_by: Text | None = None
    amendments: Annotated[tuple[PageFacts, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_orderers(self) -> PageFile:
        _unique_amendments(self.amendments)
        return self


class FaqEntry(BaseModel):
    """One FAQ answer with the ways callers ask for it."""

    model_config = _MODEL_CONFIG

    id: FaqId
    questions: Annotated[tuple[Text, ...], Field(min_length=3)]
    answer: Text
    source: SourceId
    as_of: YamlDate
    tags: Texts = ()


class OutOfScope(BaseModel):
    """Something callers ask near the domain that the knowledge does not answer (保証料の計算,
    電子入札のICカード): a question closest to its wording gets 「該当なし」, not the entry that
    happens to share its words."""

    model_config = _MODEL_CONFIG

    id: FaqId
    topic: Text  # 「{topic}のことでしたら、このFAQの対象外です」
    questions: Annotated[tuple[Text, ...], Field(min_length=3)]


class FaqFile(BaseModel):
    """data/faq.yaml."""

    model_config = _MODEL_CONFIG

    entries: Annotated[tuple[FaqEntry, ...], Field(min_length=1)]
    out_of_scope: tuple[OutOfScope, ...] = ()

    @model_validator(mode="after")
    def _unique_entries(self) -> FaqFile:
        issues = _faq_duplicates(
            [("entries", e.id, list(e.questions)) for e in self.entries]
            + [("out_of_scope", o.id, list(o.questions)) for o in self.out_of_scope]
        )
        if issues:
            raise _FieldIssues(issues)
        return self


class Branch(BaseModel):
    """支店."""

    model_config = _MODEL_CONFIG

    name: Text
    phone: Phone
    fax: Phone | None = None
    postal_code: PostalCode
    address: Text


class BranchFile(BaseModel):
    """data/branches.yaml."""

    model_config = _MODEL_CONFIG

    source: SourceId
    as_of: YamlDate
    branches: Annotated[tuple[Branch, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_branches(self) -> BranchFile:
        issues = _branch_duplicates([b.name for b in self.branches])
        if issues:
            raise _FieldIssues(issues)
        return self


class SynonymGroup(BaseModel):
    """One term and the other ways callers say it (our own list, not from the documents)."""

    model_config = _MODEL_CONFIG

    term: Text  # the form both the questions and the knowledge are rewritten to
    variants: Annotated[tuple[Text, ...], Field(min_length=1), AfterValidator(_unique)]
    note: Text | None = None

    @model_validator(mode="after")
    def _term_is_not_a_variant(self) -> SynonymGroup:
        folded = normalize_name(self.term)
        issues: list[tuple[Loc, str]] = [
            (("variants", index), f"{variant} は term そのものです")
            for index, variant in enumerate(self.variants)
            if normalize_name(variant) == folded
        ]
        if issues:
            raise _FieldIssues(issues)
        return self


class SynonymFile(BaseModel):
    """data/synonyms.yaml."""

    model_config = _MODEL_CONFIG

    groups: Annotated[tuple[SynonymGroup, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_words(self) -> SynonymFile:
        issues = _synonym_duplicates([(g.term, list(g.variants)) for g in self.groups])
        if issues:
            raise _FieldIssues(issues)
        return self


# --------------------------------------------------------------------------- duplicates


class CueSpec(BaseModel):
    """One entry of ``data/cues.yaml``: words (readings are added where they are used, by
    faq.cues), regular expressions where words cannot say it, exceptions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    note: str = ""
    words: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    unless: dict[str, tuple[str, ...]] = {}  # word → what, right after it, makes it no cue
    reading: bool = True
    readings: dict[str, str] = {}  # a word's reading where the analyser's is wrong; "": none

    @field_validator("words")
    @classmethod
    def _words(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for word in value:
            if not word.strip():
                raise ValueError("空の語があります")
        return value

    @model_validator(mode="after")
    def _exceptions_of_words(self) -> CueSpec:
        if not self.words and not self.patterns:
            raise ValueError("words も patterns もありません")
        for word, after in self.unless.items():
            if word not in self.words:
                raise ValueError(f"unless の「{word}」が words にありません")
            if not after or not all(a.strip() for a in after):
                raise ValueError(f"unless の「{word}」に空の語があります")
        return self

    @field_validator("patterns")
    @classmethod
    def _patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"正規表現「{pattern}」が読めません（{exc}）") from None
        return value


# Cue families read in pairs (``detail.<name>.asked`` needs ``detail.<name>.answered``).
_CUE_PAIRS = {"detail": ("asked", "answered"), "region": ("said", "prefectures")}
# The aspects of an orderer's record a cue may name (``aspect.<aspect>``, or several cues of
# one aspect: ``aspect.documents.guarantor``); faq.entities.Aspect, checked by a test.
CUE_ASPECTS = ("start", "coverage", "documents", "submission", "pre_start", "usage")


class CueFile(BaseModel):
    """``data/cues.yaml``: cue name → its words."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cues: dict[str, CueSpec]

    @model_validator(mode="after")
    def _pairs_and_kanji_pairs(self) -> CueFile:
        issues: list[tuple[Loc, str]] = []
        for name in self.cues:
            family, _, rest = name.partition(".")
            stem, _, part = rest.rpartition(".")
            pair = _CUE_PAIRS.get(family, ())
            other = f"{family}.{stem}.{pair[1 - pair.index(part)]}" if part in pair else name
            if other not in self.cues:
                issues.append((("cues", name), f"対になる {other} がありません"))
            # aspect.<aspect>[.<which>]; favour.<aspect> (a name no aspect has never applies)
            named = rest.split(".")[0] if family == "aspect" else rest
            if family in ("aspect", "favour") and named not in CUE_ASPECTS:
                said = "・".join(CUE_ASPECTS)
                issues.append((("cues", name), f"{family}. の後は観点の名前（{said}）です"))
        lookalike = self.cues.get("name.lookalike_kanji")
        for i, word in enumerate(lookalike.words if lookalike else ()):
            if len(word) != 2 or word[0] == word[1]:
                loc: Loc = ("cues", "name.lookalike_kanji", "words", i)
                issues.append((loc, f"「{word}」は形の似た漢字2字の組ではありません"))
        if issues:
            raise _FieldIssues(issues)
        return self


def _duplicates(keys: Sequence[H | None]) -> Iterator[tuple[int, int, H]]:
    """(index, index of the first occurrence, key) for each repeated key; None keys are skipped."""
    first: dict[H, int] = {}
    for index, key in enumerate(keys):
        if key is None:
            continue
        if key in first:
            yield index, first[key], key
        else:
            first[key] = index


def _orderer_duplicates(keys: Sequence[tuple[str, str | None] | None]) -> list[tuple[Loc, str]]:
    issues: list[tuple[Loc, str]] = []
    for index, first, (name, prefecture) in _duplicates(keys):
        where = f"{name}（{prefecture}）" if prefecture else name
        issues.append((("orderers", index, "name"), twice(where, f"orderers[{first}]")))
    return issues


def _group_issues(
    orderers: Sequence[Orderer], groups: Sequence[OrdererGroup]
) -> list[tuple[Loc, str]]:
    """A group's members must each be one listed orderer; its names must not be an orderer's
    name or alias, nor another group's."""
    issues: list[tuple[Loc, str]] = []
    counts = Counter(o.name for o in orderers)
    taken = {_fold_question(x) for o in orderers for x in (o.name, *o.aliases)}
    for index, group in enumerate(groups):
        for k, member in enumerate(group.members):
            if counts[member] != 1:
                problem = (
                    "は一覧にない発注者です" if not counts[member] else "は複数の発注者に当たります"
                )
                issues.append((("groups", index, "members", k), f"{member} {problem}"))
        for k, name in enumerate((group.name, *group.aliases)):
            where: Loc = (
                ("groups", index, "name") if k == 0 else ("groups", index, "aliases", k - 1)
            )
            if _fold_question(name) in taken:
                issues.append(
                    (where, f"{name} は既に発注者の名前か別名、または他のグループの名前です")
                )
            taken.add(_fold_question(name))
    return issues


def _branch_duplicates(names: Sequence[str | None]) -> list[tuple[Loc, str]]:
    return [
        (("branches", index, "name"), twice(name, f"branches[{first}]"))
        for index, first, name in _duplicates(names)
    ]


def _fold_question(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def _faq_duplicates(
    entries: Sequence[tuple[str, str | None, Sequence[str | None]]],
) -> list[tuple[Loc, str]]:
    """Ids and questions used twice: ``entries`` are (section, id, questions), the sections
    (entries, out_of_scope) numbered on their own; ids and questions are unique across them."""
    issues: list[tuple[Loc, str]] = []
    places: list[tuple[str, int]] = []
    counts: dict[str, int] = {}
    for section, _id, _q in entries:
        places.append((section, counts.get(section, 0)))
        counts[section] = counts.get(section, 0) + 1
    for index, first, entry_id in _duplicates([entry_id for _s, entry_id, _q in entries]):
        section, at = places[index]
        was = "{}[{}]".format(*places[first])
        issues.append(((section, at, "id"), twice(entry_id, was)))
    seen: dict[str, tuple[int, int]] = {}
    for index, (_s, _id, questions) in enumerate(entries):
        section, at = places[index]
        for q_index, question in enumerate(questions):
            if question is None:
                continue
            folded = _fold_question(question)
            if folded in seen:
                e, q = seen[folded]
                was = "{}[{}]".format(*places[e])
                issues.append(
                    (
                        (section, at, "questions", q_index),
                        twice(f"「{question}」", f"{was}.questions[{q}]"),
                    )
                )
            else:
                seen[folded] = (index, q_index)
    return issues


def _synonym_duplicates(
    groups: Sequence[tuple[str | None, list[str | None]]],
) -> list[tuple[Loc, str]]:
    """A word (term or variant, folded like names) may belong to one group only."""
    issues: list[tuple[Loc, str]] = []
    seen: dict[str, str] = {}
    for index, (term, variants) in enumerate(groups):
        words: list[tuple[Loc, str | None]] = [(("groups", index, "term"), term)]
        words += [(("groups", index, "variants", v), w) for v, w in enumerate(variants)]
        own = normalize_name(term) if term is not None else None
        for loc, word in words:
            if word is None or (loc[2] == "variants" and normalize_name(word) == own):
                continue  # a variant that is the term itself: reported by the group
            folded = normalize_name(word)
            if folded in seen:
                issues.append((loc, f"{word} は既に書かれています（{seen[folded]}）"))
            else:
                seen[folded] = _field_path(loc)
    return issues


def _raw_file_issues(model: type[BaseModel], data: Any) -> list[tuple[Loc, str]]:
    """File-level uniqueness checks on raw YAML data, for files whose items did not validate
    (pydantic skips the file-level validators then)."""
    if not isinstance(data, dict):
        return []
    if model is OrdererFile:
        items = data.get("orderers")
        if not isinstance(items, list):
            return []
        keys: list[tuple[str, str | None] | None] = []
        for item in items:
            name = item.get("name") if isinstance(item, dict) else None
            prefecture = item.get("prefecture") if isinstance(item, dict) else None
            if isinstance(name, str) and (prefecture is None or isinstance(prefecture, str)):
                keys.append((name, prefecture))
            else:
                keys.append(None)
        return _orderer_duplicates(keys)
    if model is FaqFile:
        rows: list[tuple[str, str | None, list[str | None]]] = []
        for section in ("entries", "out_of_scope"):
            items = data.get(section)
            for item in items if isinstance(items, list) else ():
                entry_id = item.get("id") if isinstance(item, dict) else None
                questions = item.get("questions") if isinstance(item, dict) else None
                rows.append(
                    (
                        section,
                        entry_id if isinstance(entry_id, str) else None,
                        [q if isinstance(q, str) else None for q in questions]
                        if isinstance(questions, list)
                        else [],
                    )
                )
        return _faq_duplicates(rows)
    if model is BranchFile:
        branches = data.get("branches")
        if not isinstance(branches, list):
            return []
        names = [
            b.get("name") if isinstance(b, dict) and isinstance(b.get("name"), str) else None
            for b in branches
        ]
        return _branch_duplicates(names)
    if model is SynonymFile:
        groups = data.get("groups")
        if not isinstance(groups, list):
            return []
        words: list[tuple[str | None, list[str | None]]] = []
        for group in groups:
            term = group.get("term") if isinstance(group, dict) else None
            variants = group.get("variants") if isinstance(group, dict) else None
            words.append(
                (
                    term if isinstance(term, str) else None,
                    [v if isinstance(v, str) else None for v in variants]
                    if isinstance(variants, list)
                    else [],
                )
            )
        return _synonym_duplicates(words)
    return []


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a knowledge file."""

    path: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        if self.field:
            return f"{where}: {self.field}: {self.message}"
        return f"{where}: {self.message}"


class KnowledgeError(HoshoError, ValueError):
    """A knowledge file could not be loaded; ``problems`` lists everything wrong with it."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def display_path(path: Path) -> str:
    """The path as given, or relative to the current directory when it lies below it."""
    if path.is_absolute():
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return str(path)
    return str(path)


def _field_path(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value if value else '""'
    if isinstance(value, list | tuple):
        return "リスト"
    if isinstance(value, dict):
        return "項目の組"
    return str(value)


def _message(error: Any) -> str | None:
    """A short Japanese message for one pydantic error (``error`` is an ``ErrorDetails``), or
    None for an error that only echoes others."""
    kind: str = error["type"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    value = _show(error.get("input"))
    if kind == "missing":
        return "必要な項目がありません"
    if kind == "extra_forbidden":
        return f"知らない項目です: {error['loc'][-1] if error['loc'] else value}"
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"{value} は日付ではありません（例: 2026-04-01）"
    if kind in ("enum", "literal_error"):
        return f"{value} は使えません（{one_of(str(ctx.get('expected', '')))} のいずれか）"
    if kind == "string_type":
        return f"文字列を書いてください（{value}）"
    if kind.startswith("int_"):
        return f"整数を書いてください（{value}）"
    if kind.startswith("float_"):
        return f"数値を書いてください（{value}）"
    if kind.startswith("bool_"):
        return f"true か false を書いてください（{value}）"
    if kind in ("list_type", "tuple_type"):
        return f"リスト（- で始まる行か [ ]）を書いてください（{value}）"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"「名前: 値」の組を書いてください（{value}）"
    if kind == "too_short":
        # pydantic also reports tuples whose items failed as too short (length 0): skip those.
        if isinstance(error.get("input"), list | tuple) and len(error["input"]) >= int(
            ctx.get("min_length", 0)
        ):
            return None
        return f"{ctx.get('min_length')}件以上必要です"
    if kind == "greater_than_equal":
        return f"{value} は {ctx.get('ge')} 以上にしてください"
    if kind == "less_than_equal":
        return f"{value} は {ctx.get('le')} 以下にしてください"
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    return f"値が正しくありません（{error['msg']}）"


def _line_of(root: Node, loc: Loc, *, at_key: bool) -> int:
    """1-based line of the node ``loc`` points at, or of the deepest existing ancestor.

    With ``at_key``, the line of the mapping key rather than its value (unknown keys, bad keys).
    """
    node = root
    line = root.start_mark.line + 1
    for step, part in enumerate(loc):
        last = step == len(loc) - 1
        if isinstance(node, MappingNode):
            found: tuple[Node, Node] | None = None
            for key_node, value_node in node.value:  # last one wins, as in PyYAML
                if isinstance(key_node, ScalarNode) and key_node.value == str(part):
                    found = (key_node, value_node)
            if found is None:
                break
            key_node, node = found
            line = (key_node if at_key and last else node).start_mark.line + 1
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _validation_problems(
    error: pydantic.ValidationError, root: Node, display: str
) -> tuple[list[Problem], bool]:
    """Problems for each pydantic error, and whether the file-level validator already ran."""
    problems: list[Problem] = []
    file_level = False
    for detail in error.errors(include_url=False):
        loc: Loc = tuple(detail["loc"])
        ctx = detail.get("ctx") or {}
        issue = ctx.get("error")
        if detail["type"] == "value_error" and isinstance(issue, _FieldIssues):
            file_level = file_level or loc == ()
            for sub_loc, sub_message in issue.issues:
                full = loc + sub_loc
                line = _line_of(root, full, at_key=False)
                problems.append(Problem(display, line, _field_path(full), sub_message))
            continue
        at_key = detail["type"] == "extra_forbidden"
        # The tag of a union branch (source: a document id or a page) is not a field.
        loc = tuple(part for part in loc if part not in ("document", "page"))
        if loc and loc[-1] == "[key]":
            loc = loc[:-1]
            at_key = True
        message = _message(detail)
        if message is None:
            continue
        line = _line_of(root, loc, at_key=at_key)
        problems.append(Problem(display, line, _field_path(loc), message))
    return problems, file_level


# --------------------------------------------------------------------------- YAML reading


_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ~20x faster


class _Loader(_BaseLoader):  # type: ignore[misc]
    """SafeLoader that keeps impossible dates (2025-02-30) as strings instead of crashing."""


def _lenient_timestamp(loader: yaml.SafeLoader, node: Node) -> object:
    assert isinstance(node, ScalarNode)
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _lenient_timestamp)


def _duplicate_keys(node: Node, loc: Loc, display: str) -> Iterator[Problem]:
    if isinstance(node, MappingNode):
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode):
                line = key_node.start_mark.line + 1
                if key_node.value in first:
                    yield Problem(
                        display,
                        line,
                        _field_path((*loc, key_node.value)),
                        f"同じ項目が2回あります（最初は{first[key_node.value]}行目）",
                    )
                else:
                    first[key_node.value] = line
                yield from _duplicate_keys(value_node, (*loc, key_node.value), display)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicate_keys(item, (*loc, index), display)


# An anchor (&a) or an alias (*a) where a node starts: a quick look before the exact one (the
# parser's events). The knowledge files need neither, and aliases nested in aliases make a
# file of a few hundred bytes stand for billions of values.
_MAYBE_ALIAS = re.compile(r"(?:^|[\s\[{,])[&*][^\s,\[\]{}]", re.MULTILINE)
NO_ALIASES = "アンカー（&）と別名（*）は使えません。値をそのまま書いてください"


def _alias_line(text: str) -> int | None:
    """The line of the first anchor or alias, or None."""
    if not _MAYBE_ALIAS.search(text):
        return None
    try:
        for event in yaml.parse(text, Loader=_BaseLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                mark = event.start_mark
                return mark.line + 1 if mark is not None else 1
    except yaml.YAMLError:
        return None  # reported by the reading itself
    return None


# What the YAML parser says (libyaml's words, else PyYAML's), in Japanese.
_YAML_PROBLEMS = (
    ("while parsing a flow sequence", "[ が閉じていません（] かカンマが足りません）"),
    ("while parsing a flow mapping", "{ が閉じていません（} かカンマが足りません）"),
    ("while scanning a quoted scalar", "引用符（\" か '）が閉じていません"),
    (
        "mapping values are not allowed",
        "ここには「:」を書けません（値に「: 」を含めるなら引用符で囲みます）",
    ),
    ("did not find expected key", "字下げ（行頭の空白）が揃っていません"),
    ("expected <block end>", "字下げ（行頭の空白）が揃っていません"),
    ("did not find expected '-' indicator", "字下げ（行頭の空白）が揃っていません"),
    ("cannot start any token", "値の先頭に使えない文字があります（値を引用符で囲みます）"),
    ("expected a single document", "文書は一つにしてください（--- で区切りません）"),
    ("found undefined alias", NO_ALIASES),
)
# Where the problem is: where an unclosed bracket or quote opened (the parser notices it a line
# or more later), else where the parser stopped.
_OPENED = ("while parsing a flow", "while scanning a quoted scalar")


def _yaml_problem(exc: yaml.YAMLError) -> tuple[int | None, str]:
    """The line and the Japanese message of a YAML syntax error."""
    if not isinstance(exc, yaml.MarkedYAMLError):
        return None, "YAMLとして読めません"
    said = f"{exc.context or ''} {exc.problem or ''}"
    opened = any(exc.context and exc.context.startswith(o) for o in _OPENED)
    mark = (exc.context_mark if opened else None) or exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else None
    why = next((ja for en, ja in _YAML_PROBLEMS if en in said), None)
    return (
        line,
        f"YAMLとして読めません: {why}" if why else f"YAMLとして読めません（{said.strip()}）",
    )


def _parse(path: Path, display: str) -> tuple[Node | None, Any, list[Problem]]:
    """The node tree, the plain data and the problems found before validation."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return None, None, [Problem(display, None, "", FILE_NOT_FOUND)]
    except UnicodeDecodeError:
        return None, None, [Problem(display, None, "", NOT_UTF8)]
    except OSError as exc:
        return None, None, [Problem(display, None, "", cannot_read(exc))]

    problems: list[Problem] = []
    tab_line: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if "\t" in line:
            tab_line = number
            column = line.index("\t") + 1
            problems.append(
                Problem(
                    display,
                    number,
                    "",
                    f"{column}文字目にタブがあります。字下げには空白を使ってください",
                )
            )
            break

    alias = _alias_line(text)
    if alias is not None:
        problems.append(Problem(display, alias, "", NO_ALIASES))
        return None, None, problems
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        line_no, message = _yaml_problem(exc)
        if line_no is None or line_no != tab_line:
            problems.append(Problem(display, line_no, "", message))
        return None, None, problems
    finally:
        loader.dispose()

    if root is None:
        problems.append(Problem(display, None, "", EMPTY_FILE))
        return None, None, problems
    problems.extend(_duplicate_keys(root, (), display))
    return root, data, problems


M = TypeVar("M", bound=BaseModel)


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.line is None, p.line or 0))


_CACHE: dict[tuple[type[BaseModel], Path], tuple[tuple[int, int], BaseModel]] = {}


def _load(model: type[M], path: Path) -> M:
    """Validated file contents; cached until the file changes (models are frozen)."""
    try:
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        return _load_uncached(model, path)
    key = (model, path)  # as given: resolving it costs more than the rest of a cached load
    hit = _CACHE.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]  # type: ignore[return-value]
    result = _load_uncached(model, path)
    _CACHE[key] = (stamp, result)
    return result


def _load_uncached(model: type[M], path: Path) -> M:
    display = display_path(path)
    root, data, problems = _parse(path, display)
    if root is None:
        raise KnowledgeError(_sorted(problems))
    # Files that cite sources are checked against data/sources.yaml.
    context = None if model is SourceFile else {"sources": source_ids()}
    try:
        result = model.model_validate(data, context=context)
    except pydantic.ValidationError as exc:
        found, file_level = _validation_problems(exc, root, display)
        problems.extend(found)
        if not file_level:
            for loc, message in _raw_file_issues(model, data):
                problems.append(
                    Problem(display, _line_of(root, loc, at_key=False), _field_path(loc), message)
                )
        raise KnowledgeError(_sorted(problems)) from None
    if problems:
        raise KnowledgeError(_sorted(problems))
    return result


def default_sources_path() -> Path:
    return data_dir() / "sources.yaml"


def default_municipalities_path() -> Path:
    return data_dir() / "municipalities.csv"


def default_orderers_path() -> Path:
    return data_dir() / "orderers.yaml"


def default_faq_path() -> Path:
    return data_dir() / "faq.yaml"


def default_branches_path() -> Path:
    return data_dir() / "branches.yaml"


def default_cues_path() -> Path:
    return data_dir() / "cues.yaml"


def default_synonyms_path() -> Path:
    return data_dir() / "synonyms.yaml"


def load_sources(path: Path | None = None) -> SourceFile:
    """Load and validate ``data/sources.yaml``; raises :class:`KnowledgeError`."""
    return _load(SourceFile, path or default_sources_path())


def source_ids() -> frozenset[str]:
    return frozenset(d.id for d in load_sources().sources)


def source_doc(source_id: str) -> SourceDoc | None:
    return next((d for d in load_sources().sources if d.id == source_id), None)


def cite(source: SourceRef | dict[str, Any] | None) -> str:
    """How staff recognise a source: 「電子保証のご案内（佐賀支店、令和8年2月26日）」 for a
    document of data/sources.yaml, 「題名（発行元、URL、日付）」 for a page staff recorded."""
    if source is None:
        return ""
    if isinstance(source, dict):
        source = WebSource.model_validate(source)
    if isinstance(source, WebSource):
        return source.citation()
    doc = source_doc(source)
    return doc.citation() if doc is not None else source


def load_amendments(path: Path) -> AmendmentFile:
    """Load and validate an amendments file (``hosho orderer export --amendments``)."""
    return _load(AmendmentFile, path)


def default_pages_dir() -> Path:
    return data_dir() / "pages"


def page_paths(folder: Path | None = None) -> tuple[Path, ...]:
    """The shipped page files, in name order."""
    folder = folder or default_pages_dir()
    return tuple(sorted(folder.glob("*.yaml"))) if folder.is_dir() else ()


def load_pages(path: Path) -> PageFile:
    """Load and validate one page file (data/pages/*.yaml)."""
    return _load(PageFile, path)


def load_orderers(path: Path | None = None) -> OrdererFile:
    """Load and validate ``data/orderers.yaml``; raises :class:`KnowledgeError`."""
    return _load(OrdererFile, path or default_orderers_path())


def load_faq(path: Path | None = None) -> FaqFile:
    """Load and validate ``data/faq.yaml``; raises :class:`KnowledgeError`."""
    return _load(FaqFile, path or default_faq_path())


def load_branches(path: Path | None = None) -> BranchFile:
    """Load and validate ``data/branches.yaml``; raises :class:`KnowledgeError`."""
    return _load(BranchFile, path or default_branches_path())


def load_cue_file(path: Path | None = None) -> CueFile:
    """Load and validate ``data/cues.yaml``; raises :class:`KnowledgeError`."""
    return _load(CueFile, path or default_cues_path())


def load_synonyms(path: Path | None = None) -> SynonymFile:
    """Load and validate ``data/synonyms.yaml``; raises :class:`KnowledgeError`."""
    return _load(SynonymFile, path or default_synonyms_path())


# --------------------------------------------------------------------------- name lookup


_SMALL_KE = str.maketrans({"ヵ": "か", "ヶ": "け", "ゕ": "か", "ゖ": "け"})


def normalize_name(text: str) -> str:
    """Fold a name for lookup: NFKC, no spaces, katakana as hiragana, lower case.

    The small ヶ/ヵ of place names (鶴ヶ島) fold to け/か, so 鶴ケ島 and 鶴ヶ島 match.
    """
    folded = "".join(unicodedata.normalize("NFKC", text).split()).translate(_SMALL_KE)
    chars = [chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" or c in "ヽヾ" else c for c in folded]
    return "".join(chars).lower()


# Suffix of a local body's name -> readings of that suffix.
_SUFFIX_READINGS: dict[str, tuple[str, ...]] = {
    "市": ("し",),
    "町": ("ちょう", "まち"),
    "村": ("そん", "むら"),
    "区": ("く",),
    "県": ("けん",),
    "府": ("ふ",),
    "都": ("と",),
    "道": ("どう",),
}
_QUALIFIED_RE = re.compile(r"^(.+)\((.+)\)$")
_SUGGEST_CUTOFF = 50.0


class OrdererIndex:
    """Find orderers by what a caller says: name, reading, alias, or name without 市/町/村/県."""

    def __init__(self, orderers: Sequence[Orderer]) -> None:
        self._orderers: tuple[Orderer, ...] = tuple(orderers)
        self._exact: dict[str, list[int]] = {}
        self._stem: dict[str, list[int]] = {}
        names = Counter(o.name for o in self._orderers)
        self._shared_names = {name for name, n in names.items() if n > 1}
        for index, orderer in enumerate(self._orderers):
            name = normalize_name(orderer.name)
            reading = normalize_name(orderer.reading)
            for key in (name, reading, *(normalize_name(a) for a in orderer.aliases)):
                self._add(self._exact, key, index)
            if orderer.category in LOCAL_CATEGORIES:
                for key in _stems(name, reading):
                    self._add(self._stem, key, index)
        self._choices: list[str] = list(dict.fromkeys([*self._exact, *self._stem]))

    @staticmethod
    def _add(table: dict[str, list[int]], key: str, index: int) -> None:
        if not key:
            return
        bucket = table.setdefault(key, [])
        if index not in bucket:
            bucket.append(index)

    @property
    def orderers(self) -> tuple[Orderer, ...]:
        return self._orderers

    def __len__(self) -> int:
        return len(self._orderers)

    def display_name(self, orderer: Orderer) -> str:
        """The name, plus （prefecture） when another orderer has the same name."""
        if orderer.name in self._shared_names and orderer.prefecture:
            return f"{orderer.name}（{orderer.prefecture}）"
        return orderer.name

    def find(self, query: str) -> list[Orderer]:
        """Every orderer the query names; several when it is ambiguous (府中), none if unknown.

        Exact name, reading or alias matches win over matches of the name without its
        suffix (鳥栖, とす). ``府中市（東京都）`` and ``東京都府中市`` narrow by prefecture.
        """
        key = normalize_name(query)
        if not key:
            return []
        indices = self._lookup(key)
        if not indices:
            indices = self._qualified(key)
        return [self._orderers[i] for i in indices]

    def _lookup(self, key: str) -> list[int]:
        return list(self._exact.get(key) or self._stem.get(key) or [])

    def _qualified(self, key: str) -> list[int]:
        match = _QUALIFIED_RE.fullmatch(key)
        if match:
            name, prefecture = match.groups()
            return self._in_prefecture(self._lookup(name), prefecture)
        for prefecture in PREFECTURES:
            folded = normalize_name(prefecture)
            if key.startswith(folded) and len(key) > len(folded):
                found = self._in_prefecture(self._lookup(key[len(folded) :]), folded)
                if found:
                    return found
        return []

    def _in_prefecture(self, indices: list[int], prefecture: str) -> list[int]:
        return [
            i for i in indices if normalize_name(self._orderers[i].prefecture or "") == prefecture
        ]

    def suggest(self, query: str, limit: int = 3) -> list[str]:
        """Display names closest to the query, best first, for "did you mean" messages."""
        key = normalize_name(query)
        if not key or limit <= 0:
            return []
        matches = process.extract(
            key, self._choices, scorer=fuzz.ratio, limit=None, score_cutoff=_SUGGEST_CUTOFF
        )
        out: list[str] = []
        for choice, _score, _position in matches:
            for index in self._exact.get(choice, []) + self._stem.get(choice, []):
                name = self.display_name(self._orderers[index])
                if name not in out:
                    out.append(name)
            if len(out) >= limit:
                break
        return out[:limit]


def _stems(name: str, reading: str) -> list[str]:
    """Name and reading without the 市/町/村/県/府/都/道 suffix (鳥栖市 → 鳥栖, とすし → とす)."""
    suffix = name[-1:]
    if suffix not in _SUFFIX_READINGS or len(name) < 2:
        return []
    stems = [name[:-1]]
    for ending in _SUFFIX_READINGS[suffix]:
        if reading.endswith(ending) and len(reading) > len(ending):
            stems.append(reading[: -len(ending)])
            break
    return stems
