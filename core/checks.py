"""``hosho data check``: every knowledge file validated by its schema (chosen by file name,
else by its first top-level key), with the file, line and field of each problem, and the
local bodies the municipality register does not hold where a file names them."""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from yaml.nodes import Node

from core.knowledge import (
    FILE_NOT_FOUND,
    LOCAL_CATEGORIES,
    PREFECTURES,
    Category,
    KnowledgeError,
    Orderer,
    Problem,
    _line_of,
    _parse,
    default_branches_path,
    default_cues_path,
    default_faq_path,
    default_municipalities_path,
    default_orderers_path,
    default_sources_path,
    default_synonyms_path,
    display_path,
    load_amendments,
    load_branches,
    load_cue_file,
    load_faq,
    load_orderers,
    load_pages,
    load_sources,
    load_synonyms,
    page_paths,
)
from core.municipalities import check_municipalities, load_municipalities

NO_PREFECTURE = "都道府県なし"


@dataclass
class CheckReport:
    """Result of :func:`check_files`: every problem, and counts of what loaded cleanly."""

    files: list[str] = dataclasses.field(default_factory=list)
    problems: list[Problem] = dataclasses.field(default_factory=list)
    orderers_by_category: dict[str, int] = dataclasses.field(default_factory=dict)
    orderers_by_prefecture: dict[str, int] = dataclasses.field(
        default_factory=dict
    )  # NO_PREFECTURE: none
    unverified_orderers: int = 0
    faq_entries: int = 0
    faq_questions: int = 0
    out_of_scope: int = 0
    branches: int = 0
    synonym_groups: int = 0
    cues: int = 0
    sources: int = 0
    municipalities: int = 0
    amendments: int = 0
    pages: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def orderers(self) -> int:
        return sum(self.orderers_by_category.values())

    def add_orderers(self, orderers: Iterable[Orderer]) -> None:
        by_category = Counter(self.orderers_by_category)
        by_prefecture = Counter(self.orderers_by_prefecture)
        for orderer in orderers:
            by_category[orderer.category.value] += 1
            by_prefecture[orderer.prefecture or NO_PREFECTURE] += 1
            if not orderer.verified:
                self.unverified_orderers += 1
        category_order = [c.value for c in Category]
        self.orderers_by_category = {
            c: by_category[c] for c in sorted(by_category, key=category_order.index)
        }
        prefecture_order = [*PREFECTURES, NO_PREFECTURE]
        self.orderers_by_prefecture = {
            p: by_prefecture[p] for p in sorted(by_prefecture, key=prefecture_order.index)
        }

    def render(self) -> str:
        lines = [f"検査したファイル: {', '.join(self.files) or 'なし'}"]
        if self.orderers_by_category:
            unverified = (
                f"（要確認 {self.unverified_orderers}件）" if self.unverified_orderers else ""
            )
            lines.append(f"発注者: {self.orderers}件{unverified}")
            lines.append("  区分別:")
            lines += [f"    {name}: {n}件" for name, n in self.orderers_by_category.items()]
            lines.append("  都道府県別:")
            lines += [f"    {name}: {n}件" for name, n in self.orderers_by_prefecture.items()]
        if self.faq_entries:
            scope = f"、対象外の話題 {self.out_of_scope}件" if self.out_of_scope else ""
            lines.append(f"FAQ: {self.faq_entries}件（質問文 {self.faq_questions}件{scope}）")
        if self.branches:
            lines.append(f"支店: {self.branches}件")
        if self.synonym_groups:
            lines.append(f"同義語: {self.synonym_groups}組")
        if self.cues:
            lines.append(f"手がかり語: {self.cues}項目")
        if self.sources:
            lines.append(f"出典: {self.sources}件")
        if self.municipalities:
            lines.append(f"地方公共団体（都道府県・市区町村）: {self.municipalities}件")
        if self.pages:
            lines.append(f"公開ページの記録: {self.pages}件")
        if self.amendments:
            lines.append(f"職員の修正: {self.amendments}件")
        if self.problems:
            lines.append(f"問題: {len(self.problems)}件")
            lines += [str(p) for p in self.problems]
        else:
            lines.append("問題はありません。")
        return "\n".join(lines)


def _check_orderers(report: CheckReport, path: Path) -> None:
    orderers = load_orderers(path).orderers
    report.add_orderers(orderers)
    report.problems.extend(_register_problems(path, orderers, "orderers"))


def _check_faq(report: CheckReport, path: Path) -> None:
    faq = load_faq(path)
    report.faq_entries += len(faq.entries)
    report.faq_questions += sum(len(e.questions) for e in faq.entries)
    report.out_of_scope += len(faq.out_of_scope)


def _check_branches(report: CheckReport, path: Path) -> None:
    report.branches += len(load_branches(path).branches)


def _check_synonyms(report: CheckReport, path: Path) -> None:
    report.synonym_groups += len(load_synonyms(path).groups)


def _check_cues(report: CheckReport, path: Path) -> None:
    report.cues += len(load_cue_file(path).cues)


def _check_sources(report: CheckReport, path: Path) -> None:
    report.sources += len(load_sources(path).sources)


def _check_amendments(report: CheckReport, path: Path) -> None:
    amendments = load_amendments(path).amendments
    report.amendments += len(amendments)
    report.problems.extend(_register_problems(path, amendments, "amendments"))


def _check_pages(report: CheckReport, path: Path) -> None:
    pages = load_pages(path).amendments
    report.pages += len(pages)
    report.problems.extend(_register_problems(path, pages, "amendments"))


def _check_municipalities(report: CheckReport, path: Path) -> None:

    problems = check_municipalities(path)
    if problems:
        raise KnowledgeError(problems)

    report.municipalities += len(load_municipalities(path))


def _register_problems(path: Path, orderers: Sequence[Orderer], section: str) -> list[Problem]:
    """Local bodies that the municipality register does not hold under that prefecture (a
    misread name, a body put in the wrong prefecture's row)."""

    try:
        known = {(m.prefecture, m.name): m for m in load_municipalities()}
    except KnowledgeError:
        return []  # reported for the register file itself
    places = {m.name: m.prefecture for m in known.values()}
    display = display_path(path)
    root: Node | None = None
    problems = []
    for index, o in enumerate(orderers):
        if o.category not in LOCAL_CATEGORIES or (o.prefecture, o.name) in known:
            continue
        if root is None:
            root = _parse(path, display)[0]
        line = _line_of(root, (section, index, "name"), at_key=False) if root else None
        elsewhere = f"（{places[o.name]}にはあります）" if o.name in places else ""
        problems.append(
            Problem(
                display,
                line,
                f"{section}[{index}].name",
                f"{o.name} は地方公共団体の一覧で{o.prefecture}の団体ではありません{elsewhere}",
            )
        )
    return problems


_SCHEMAS: tuple[tuple[str, Callable[[CheckReport, Path], None]], ...] = (
    ("orderers*.yaml", _check_orderers),
    ("faq*.yaml", _check_faq),
    ("branches*.yaml", _check_branches),
    ("synonyms*.yaml", _check_synonyms),
    ("cues*.yaml", _check_cues),
    ("sources*.yaml", _check_sources),
    ("municipalities*.csv", _check_municipalities),
)
# A file of another name is recognised by its first top-level key.
_SCHEMAS_BY_KEY: dict[str, Callable[[CheckReport, Path], None]] = {
    "amendments": _check_amendments,
    "exported_at": _check_amendments,
    "checked_at": _check_pages,
    "list_as_of": _check_orderers,
    "orderers": _check_orderers,
    "entries": _check_faq,
    "branches": _check_branches,
    "sources": _check_sources,
    "cues": _check_cues,
}


def _schema_of(path: Path) -> Callable[[CheckReport, Path], None] | None:
    for pattern, check in _SCHEMAS:
        if fnmatch.fnmatch(path.name, pattern):
            return check
    if path.suffix not in (".yaml", ".yml"):
        return None
    try:
        with path.open(encoding="utf-8-sig") as f:
            for line in f:
                match = re.match(r"^([A-Za-z_]+):", line)
                if match:
                    return _SCHEMAS_BY_KEY.get(match.group(1))
    except (OSError, UnicodeDecodeError):
        return None
    return None


def is_amendments_file(path: Path) -> bool:
    """Whether ``path`` holds staff amendments (an export of ``hosho orderer export
    --amendments``) rather than a shipped orderers file."""
    return _schema_of(path) is _check_amendments


def check_files(paths: Sequence[Path] | None = None) -> CheckReport:
    """Validate the given knowledge files (schema chosen by file name, else by its first
    top-level key), or the shipped ones."""
    if paths is None:
        paths = [
            default_sources_path(),
            default_municipalities_path(),
            default_orderers_path(),
            default_faq_path(),
            default_branches_path(),
            default_synonyms_path(),
            default_cues_path(),
            *page_paths(),
        ]
    report = CheckReport()
    for path in paths:
        display = display_path(path)
        report.files.append(display)
        check = _schema_of(path)
        if check is None:
            message = (
                FILE_NOT_FOUND
                if not path.exists()
                else "知識ファイルの種類が分かりません（orderers*.yaml・faq*.yaml・"
                "branches*.yaml・synonyms*.yaml・cues*.yaml・sources*.yaml・municipalities*.csv"
                " か職員の修正・公開ページのファイル）"
            )
            report.problems.append(Problem(display, None, "", message))
            continue
        try:
            check(report, path)
        except KnowledgeError as exc:
            report.problems.extend(exc.problems)
    return report
