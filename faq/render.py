"""Answers built from the orderer and branch records with the Jinja2 templates in
``faq/templates/`` (shipped inside the package)."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from core.dates import format_wareki, format_wareki_month
from core.knowledge import Branch, Kind, Orderer, cite
from core.terms import GType
from faq.cues import Cues
from faq.normalize import fold

if TYPE_CHECKING:
    from rich.text import Text

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

# 前払金 → 前払金保証; 契約保証予約 says it already
_GTYPE_LABELS = {t: str(t) if t is GType.BID else f"{t}保証" for t in GType}


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=False,  # plain text for the terminal, never HTML
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        wareki=lambda v: format_wareki(v) if isinstance(v, date) else str(v),
        wareki_month=lambda v: format_wareki_month(v) if isinstance(v, date) else str(v),
        gtype_label=lambda v: _GTYPE_LABELS.get(v, str(v)),
        trim_period=lambda v: str(v).rstrip("。"),
        # 契約締結日 → 契約を締結する, 入札公告日 → 入札公告を行う (before 案件)
        anchor_verb=lambda v: "入札公告を行う" if str(v) == "入札公告日" else "契約を締結する",
    )
    env.globals["source_line"] = source_line
    return env


def _render(name: str, **values: Any) -> str:
    """The template ``name`` filled in, without blank lines or trailing spaces."""
    lines = environment().get_template(name).render(**values).strip().splitlines()
    return "\n".join(line for line in map(str.rstrip, lines) if line)


def source_line(source: Any, as_of: date | str | None) -> str:
    """「出典: 電子保証のご案内（佐賀支店、令和8年2月26日）」, with the as-of date when the
    fact's date is not the document's own (一覧の時点)."""
    text, day = cite(source), date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
    when = "" if day is None else format_wareki(day)  # "" is in any text
    return f"出典: {text}" if when in text else f"出典: {text}（{when}時点）"


def relevant_notes(cues: Cues, orderer: Orderer, aspect: str) -> list[str]:
    """The orderer's notes that matter for this aspect (a ``note.<aspect>`` cue in them), not
    the ones about where a fact came from (``note.provenance``)."""
    if (cue := cues.get(f"note.{aspect}")) is None:
        return []
    folded = [(n, fold(n)) for n in orderer.notes]  # cues are matched on folded text
    return [n for n, f in folded if cue.search(f) and not cues["note.provenance"].match(f)]


def render_orderer(cues: Cues, orderer: Orderer, aspect: str, *, kind_said: bool = False) -> str:
    """The record's answer on ``aspect``; ``kind_said``: the question named a kind of contract
    (業務委託), so a start answer says whether the record states the kinds."""
    notes = relevant_notes(cues, orderer, aspect)
    return _render(
        f"orderer_{aspect}.j2", o=orderer, notes=notes, kinds=list(Kind), kind_said=kind_said
    )


def render_region(region: str, orderers: list[Orderer], note: str | None) -> str:
    """The bodies in one prefecture the records name, earliest start first (the prefecture
    itself first among equals), with each record's source once."""
    ordered = sorted(orderers, key=lambda o: (o.start_date or date.max, o.name != region))
    dated = sorted((o for o in ordered if o.as_of is not None), key=lambda o: o.as_of or date.min)
    sources = {o.citation: o.as_of for o in dated}.items()
    return _render("orderer_region.j2", region=region, orderers=ordered, note=note, sources=sources)


def render_ambiguous(said: str, names: list[str], aspect_label: str) -> str:
    return _render("orderer_ambiguous.j2", said=said, names=names, aspect_label=aspect_label)


def render_branch_choice(names: list[str], label: str) -> str:
    """The question back when a branch's 電話番号/FAX番号/住所 is asked without saying which."""
    return _render("branch_which.j2", names=names, label=label)


def render_branch(branch: Branch, field: str, source: str, as_of: date) -> str:
    return _render("branch.j2", b=branch, field=field, source=source, as_of=as_of)


# Characters a line never starts with in Japanese text (行頭禁則): closing brackets, punctuation,
# small kana, the long-vowel mark and the iteration marks (別々, 時々).
NO_LINE_START = frozenset(
    "、。，．,.）)」』】〕］]｝}！!？?・：:；;ー〜…ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮ々ゝゞヽヾ〻"
)


def fold_lines(text: Text, width: int) -> Text:
    """``text`` broken into lines of at most ``width`` cells, no line inside a paragraph starting
    with a character of :data:`NO_LINE_START` or inside a number (10月): the characters before it
    move down with it (追い出し). Lines are broken two cells short of ``width``, so that one
    moved down still fits (more than one may make a line wrap once more: rare, and never to a
    bad line start)."""
    if width < 8:
        return text
    from rich.console import Console  # only where answers are shown: not on every import
    from rich.text import Text

    console = Console(width=width, legacy_windows=False)
    out: list[Text] = []
    for paragraph in text.split("\n", allow_blank=True):
        lines = list(paragraph.wrap(console, width - 2)) or [Text()]
        for i in range(1, len(lines)):
            before, line = lines[i - 1].copy(), lines[i]
            before.rstrip()  # the character to move down is the last one shown
            # 「）。」: what moves down may itself be one, so move until the line starts well
            while _bad_break(before.plain, line.plain) and len(before.plain) > 1:
                before, line = before[:-1], before[-1:] + line
            lines[i - 1], lines[i] = before, line
        out += lines
    return Text("\n", no_wrap=True).join(out)  # the copy keeps the separator's no_wrap


def _bad_break(before: str, after: str) -> bool:
    first = after[:1]
    return first in NO_LINE_START or (first.isdigit() and before[-1:].isdigit())
