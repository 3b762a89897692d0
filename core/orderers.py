"""The orderer register (発注者): every public body, its electronic rules where a source gives
them, the staff's amendments kept apart from the shipped data, and finding bodies by name.

Three sources make the register:

- the municipality data set (``data/municipalities.csv``): every prefecture, 市町村 and 特別区
  with its 全国地方公共団体コード and reading;
- the shipped knowledge (``data/orderers.yaml``): the bodies the documents list as adopted,
  with their rules, and the national bodies, agencies and universities they name;
- the staff's amendments (in the database): bodies they added, adoptions and edits they
  recorded with a source.

A row keeps the shipped record and the amendment apart; ``rules`` is the record that stands
(:func:`effective`): identity fields (reading, aliases, category, code) as staff set them, and
the electronic rules from whichever of the two has the newer as-of date.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pydantic
from sqlalchemy import insert, select
from sqlmodel import Session, col

from core import knowledge
from core.checks import is_amendments_file
from core.errors import ADD_HINT, NotFoundError, ValidationError
from core.models import AuditEvent, Meta, Orderer, OrdererChange

if TYPE_CHECKING:
    from core.db import Database

DIGEST_KEY = "orderers_digest"  # digest of the shipped files when they were last loaded
LOADED_KEY = "orderers_loaded"  # changes on every change: invalidates lookup caches
LIST_SOURCE_KEY = "orderers_list_source"
LIST_NOTE_KEY = "orderers_list_note"
LIST_AS_OF_KEY = "orderers_list_as_of"

SHIPPED_BY = "出荷データ"  # the "by" of history entries made by loading a shipped file
ORIGIN_REGISTER = "register"  # only in the municipality data set
ORIGIN_DOCUMENT = "document"  # named by the shipped knowledge (data/orderers.yaml)
ORIGIN_STAFF = "staff"  # added by staff
ORIGIN_PAGE = "page"  # added by a shipped page file (a body neither list names)
PAGES_BY = "公開ページ"  # the "by" of history entries made by the shipped page files

IDENTITY_FIELDS = ("reading", "aliases", "category", "code")
RECORD_FIELDS = tuple(knowledge.Orderer.model_fields)
ADOPTION_FIELDS = tuple(
    f for f in RECORD_FIELDS if f not in ("name", "prefecture", *IDENTITY_FIELDS)
)


def orderer_key(name: str, prefecture: str | None) -> str:
    return f"{prefecture or ''}/{name}"


def now() -> datetime:
    return datetime.now(UTC)


def _set_meta(s: Session, key: str, value: str) -> None:
    row = s.get(Meta, key)
    if row is None:
        s.add(Meta(key=key, value=value))
    else:
        row.value = value


def _touch(s: Session) -> None:
    """Lookups cached in any process see the change."""
    _set_meta(s, LOADED_KEY, f"{time.time_ns()}")
    _INDEX_CACHE.clear()


# --- the shipped register ----------------------------------------------------------------


def shipped_paths(path: Path | None = None) -> tuple[Path, ...]:
    return (
        path or knowledge.default_orderers_path(),
        knowledge.default_municipalities_path(),
        knowledge.default_sources_path(),
        *knowledge.page_paths(),
    )


def shipped_pages() -> dict[str, dict[str, Any]]:
    """What the shipped page files say, by orderer key: the fields each page states (with
    name, prefecture and category), the whole record for a body the lists do not hold. Where
    two files name one body, the newer page's fields stand."""
    facts: list[knowledge.PageFacts] = []
    for path in knowledge.page_paths():
        facts.extend(knowledge.load_pages(path).amendments)
    facts.sort(key=lambda f: f.as_of or date.min)
    out: dict[str, dict[str, Any]] = {}
    for item in facts:
        data = item.model_dump(mode="json", exclude={"amended", "added"})
        stated = set(item.amended) | (
            {"start_precision"} if "start_date" in item.amended else set()
        )
        fields = data if item.added else {k: data[k] for k in data if k in stated}
        key = orderer_key(item.name, item.prefecture)
        base = {"name": item.name, "prefecture": item.prefecture, "category": data["category"]}
        out[key] = {**base, **out.get(key, {}), **fields, "added": item.added}
    return out


def published_register() -> tuple[list[knowledge.Orderer], knowledge.OrdererFile]:
    """Every body of the shipped data with what the orderers' own pages say applied (as the
    database holds them before any staff amendment): for readers of the files alone."""
    records, data = shipped_register()
    pages = shipped_pages()
    out: list[knowledge.Orderer] = []
    named: set[str] = set()
    for record, _origin in records:
        key = orderer_key(record.name, record.prefecture)
        named.add(key)
        page = pages.get(key)
        if page:
            record = knowledge.Orderer.model_validate(with_page(_dumped(record), page)[0])
        out.append(record)
    out += [
        knowledge.Orderer.model_validate(with_page(None, page)[0])
        for key, page in pages.items()
        if key not in named
    ]
    return out, data


# The fields a page's facts fill in or replace (source, as_of, verified and notes follow).
_PAGE_RULES = tuple(f for f in ADOPTION_FIELDS if f not in ("source", "as_of", "verified", "notes"))


def with_page(
    shipped: dict[str, Any] | None, page: dict[str, Any] | None
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The documents' record with what the body's own page says, and the fields taken from
    the page. A field the documents leave empty is filled; a start known to the month (or
    only "by" a date) becomes the page's day when the page's day agrees with it; where the
    two disagree, the one with the newer as-of date stands."""
    if not page:
        assert shipped is not None
        return shipped, ()
    page_fields = {k: v for k, v in page.items() if k in ADOPTION_FIELDS}
    if shipped is None or page.get("added"):
        record = {k: v for k, v in page.items() if k != "added"}
        return record, tuple(k for k in _PAGE_RULES if k in page_fields)
    if not shipped.get("start_date"):
        record = {**shipped, **page_fields}
        return record, tuple(k for k in _PAGE_RULES if k in page_fields)
    newer = str(page.get("as_of") or "") >= str(shipped.get("as_of") or "")
    record = dict(shipped)
    taken: list[str] = []
    if "start_date" in page_fields and (_start_agrees(shipped, page_fields) or newer):
        for key in ("start_date", "start_precision"):
            if page_fields.get(key, "day") != shipped.get(key, "day"):
                record[key] = page_fields.get(key, "day")
                taken.append(key)
    for key in _PAGE_RULES:
        if key in ("start_date", "start_precision") or key not in page_fields:
            continue
        ours, theirs = shipped.get(key), page_fields[key]
        if theirs != ours and (newer or ours in (None, [], (), {}) or _unstated(key, ours)):
            record[key] = theirs
            taken.append(key)
    added_notes = [n for n in page_fields.get("notes", ()) if n not in shipped.get("notes", ())]
    if added_notes and not taken:
        # Only notes: the record stays the documents', each added note says its source.
        said = _page_said(page)
        added_notes = [f"{n.rstrip('。')}（{said}）" for n in added_notes]
    if added_notes:  # notes add to the documents' record, never replace it
        record["notes"] = [*shipped.get("notes", ()), *added_notes]
    if taken:
        for key in ("source", "as_of", "verified"):
            if key in page_fields:
                record[key] = page_fields[key]
    return record, tuple(taken + (["notes"] if added_notes else []))


def _page_said(page: dict[str, Any]) -> str:
    """五島市の公開ページ（令和8年1月7日）: a page as a note or a sentence names it."""
    from core.dates import format_wareki

    ref = page.get("source") or {}
    who = f"{ref['issuer']}の" if ref.get("issuer") else ""
    when = f"（{format_wareki(date.fromisoformat(ref['date']))}）" if ref.get("date") else ""
    return f"{who}公開ページ{when}"


def _unstated(key: str, value: Any) -> bool:
    """Whether the documents' value is merely the default (applies_to said nowhere)."""
    return key == "applies_to" and value == "契約締結日"


def _start_agrees(shipped: dict[str, Any], page: dict[str, Any]) -> bool:
    """Whether the page's start makes the documents' start more precise: its day falls in
    the documents' month, or on or before the date the documents say it was adopted by."""
    ours, theirs = shipped.get("start_date"), page.get("start_date")
    if not ours or not theirs:
        return False
    precision = shipped.get("start_precision", "day")
    if precision == "month":
        return str(theirs)[:7] == str(ours)[:7]
    if precision == "by":
        return str(theirs) <= str(ours)
    return False


_REGISTER_CACHE: dict[tuple[Path, ...], tuple[tuple[int, ...], Any]] = {}


def shipped_register(
    path: Path | None = None,
) -> tuple[list[tuple[knowledge.Orderer, str]], knowledge.OrdererFile]:
    """Every body of the shipped data with its origin: the documents' records (with the code
    of the municipality they name), then the municipalities they do not name. Cached until
    one of the files changes."""
    paths = shipped_paths(path)
    try:
        stamp = tuple(x for p in paths for x in (p.stat().st_mtime_ns, p.stat().st_size))
    except OSError:
        return _shipped_register(path)
    hit = _REGISTER_CACHE.get(paths)
    if hit is None or hit[0] != stamp:
        hit = (stamp, _shipped_register(path))
        _REGISTER_CACHE[paths] = hit
    result: tuple[list[tuple[knowledge.Orderer, str]], knowledge.OrdererFile] = hit[1]
    return result


def _shipped_register(
    path: Path | None = None,
) -> tuple[list[tuple[knowledge.Orderer, str]], knowledge.OrdererFile]:
    from core.municipalities import load_municipalities

    data = knowledge.load_orderers(path)
    municipalities = {(m.prefecture, m.name): m for m in load_municipalities()}
    out: list[tuple[knowledge.Orderer, str]] = []
    named = set()
    for o in data.orderers:
        m = municipalities.get((o.prefecture or "", o.name))
        if m is not None:
            named.add((m.prefecture, m.name))
            update: dict[str, Any] = {}
            if o.code is None:
                update["code"] = m.code
            if not o.reading:
                update["reading"] = m.reading
            o = o.model_copy(update=update) if update else o
        out.append((o, ORIGIN_DOCUMENT))
    for key, m in municipalities.items():
        if key in named:
            continue
        body = knowledge.Orderer(
            name=m.name,
            reading=m.reading,
            category=knowledge.Category(m.category),
            prefecture=m.prefecture,
            code=m.code,
        )
        out.append((body, ORIGIN_REGISTER))
    return out, data


_DUMPS: dict[int, tuple[knowledge.Orderer, str]] = {}


def _dumped(record: knowledge.Orderer) -> dict[str, Any]:
    """The record as JSON data (each shipped record, kept by the register's cache, is dumped
    once per process)."""
    hit = _DUMPS.get(id(record))
    if hit is None or hit[0] is not record:
        hit = (record, json.dumps(record.model_dump(mode="json"), ensure_ascii=False))
        _DUMPS[id(record)] = hit
    data: dict[str, Any] = json.loads(hit[1])
    return data


def effective(
    shipped: dict[str, Any] | None,
    amendment: dict[str, Any] | None,
    page: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], str]:
    """The record that stands and which one it is (``shipped`` or ``amendment``).

    The shipped record is the documents' record with what the body's own page says
    (:func:`with_page`). Identity fields staff set always apply. Their electronic rules stand
    unless the shipped record is an adoption with a newer as-of date; a shipped body that is
    merely not in the lists never overrides an adoption staff recorded.
    """
    if page:
        shipped = with_page(shipped, page)[0]
    if not amendment:
        assert shipped is not None
        return shipped, "shipped"
    if shipped is None:
        return amendment, "amendment"
    merged = {**shipped, **{k: v for k, v in amendment.items() if k in IDENTITY_FIELDS}}
    rules = {k: v for k, v in amendment.items() if k in ADOPTION_FIELDS}
    if not rules:
        return merged, "amendment"
    if _amendment_stands(shipped, amendment):
        return {**merged, **rules}, "amendment"
    return merged, "shipped"


def _amendment_stands(shipped: dict[str, Any], amendment: dict[str, Any]) -> bool:
    if not shipped.get("start_date"):
        return True
    theirs, ours = shipped.get("as_of"), amendment.get("as_of")
    return bool(ours) and (not theirs or str(ours) >= str(theirs))


def _columns(model: knowledge.Orderer) -> dict[str, Any]:
    """The row's columns that repeat the record (for lookups and the list's filters)."""
    return {
        "reading": model.reading,
        "category": model.category.value,
        "code": model.code,
        "start_date": model.start_date,
        "start_precision": model.start_precision if model.adopted else None,
        "source": model.citation[:300],
        "as_of": model.as_of,
    }


def _apply(row: Orderer, rules: dict[str, Any], model: knowledge.Orderer | None = None) -> None:
    """Copy the record that stands into the row's columns."""
    row.rules = rules
    for key, value in _columns(model or _model(rules)).items():
        setattr(row, key, value)


@dataclass(frozen=True)
class SyncResult:
    added: int
    updated: int
    unchanged: int
    unlisted: int
    amendments: int = 0  # amendments loaded from an amendments file


def _diff(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, list[Any]]:
    before = before or {}
    return {
        k: [before.get(k), after.get(k)]
        for k in dict.fromkeys([*before, *after])
        if before.get(k) != after.get(k)
    }


def _history(
    s: Session,
    row: Orderer,
    *,
    by: str,
    action: str,
    changes: dict[str, list[Any]],
    source: str | None,
    as_of: date | None,
) -> None:
    assert row.id is not None
    s.add(
        OrdererChange(
            orderer_id=row.id,
            at=now(),
            by=by,
            action=action,
            source=source[:500] if source else None,
            as_of=as_of,
            changes=changes,
        )
    )


def sync_orderers(db: Database, path: Path | None = None) -> SyncResult:
    """Load the shipped register (or an amendments file) into the database; idempotent.

    A body that left the shipped data is kept (guarantees refer to it) but hidden from lookups,
    unless staff amended it. Staff amendments are never touched by a shipped file.
    """
    if path is not None and is_amendments_file(path):
        return import_amendments(db, path)
    records, data = shipped_register(path)
    pages = shipped_pages()
    shipped_path = knowledge.default_orderers_path()
    added = updated = unchanged = unlisted = 0
    with db.session() as s:
        existing = {o.key: o for o in s.scalars(select(Orderer))}
        seen: set[str] = set()
        new_rows: list[dict[str, Any]] = []
        paged: list[str] = []  # new rows whose page facts go into their history
        named = {orderer_key(r.name, r.prefecture) for r, _ in records}
        page_only = [
            (knowledge.Orderer.model_validate(with_page(None, page)[0]), ORIGIN_PAGE)
            for key, page in pages.items()
            if key not in named
        ]
        for record, origin in [*records, *page_only]:
            key = orderer_key(record.name, record.prefecture)
            seen.add(key)
            page = pages.get(key)
            shipped = None if origin == ORIGIN_PAGE else _dumped(record)
            row = existing.get(key)
            if row is None:
                rules = effective(shipped, None, page)[0]
                new_rows.append(
                    {
                        "key": key,
                        "name": record.name,
                        "prefecture": record.prefecture,
                        "origin": origin,
                        "rules": rules,
                        "shipped": shipped,
                        "pages": page,
                        "amendment": None,
                        "listed": True,
                        **_columns(record if rules is shipped else _model(rules)),
                    }
                )
                if page:
                    paged.append(key)
                continue
            if (
                row.shipped == shipped
                and row.pages == page
                and row.listed
                and row.origin in (origin, ORIGIN_STAFF)
            ):
                unchanged += 1
                continue
            if row.shipped is not None and shipped is not None and row.shipped != shipped:
                _history(
                    s,
                    row,
                    by=SHIPPED_BY,
                    action="load",
                    changes=_diff(row.shipped, shipped),
                    source=record.citation or None,
                    as_of=record.as_of,
                )
            if row.pages != page:
                _page_history(s, row, shipped, row.pages, page)
            if row.origin != ORIGIN_STAFF or row.amendment is None:
                row.origin = origin
            row.shipped, row.pages = shipped, page
            row.listed = True
            rules, _ = effective(shipped, row.amendment, page)
            _apply(row, rules, record if rules is shipped else None)
            updated += 1
        if new_rows:
            s.execute(insert(Orderer), new_rows)
            added = len(new_rows)
            for row in s.scalars(select(Orderer).where(col(Orderer.key).in_(paged))):
                _page_history(s, row, row.shipped, None, row.pages)
        for key, row in existing.items():
            if key not in seen and row.listed and row.amendment is None:
                row.listed = False
                unlisted += 1
        if path is None or path.resolve() == shipped_path.resolve():
            # A file loaded by hand stays until the shipped one changes (an app update).
            _set_meta(s, DIGEST_KEY, _shipped_digest())
        _set_meta(s, LIST_AS_OF_KEY, data.list_as_of.isoformat())
        _set_meta(s, LIST_SOURCE_KEY, knowledge.cite(data.list_source))
        _set_meta(s, LIST_NOTE_KEY, data.list_note or "")
        _touch(s)
    return SyncResult(added, updated, unchanged, unlisted)


def _page_history(
    s: Session,
    row: Orderer,
    shipped: dict[str, Any] | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """A history entry for what a page changed of the documents' record (both stay: the
    before side is the documents' record, or the page as it was before)."""
    base = shipped or {}
    old = with_page(shipped, before)[0] if before else base
    new = with_page(shipped, after)[0] if after else base
    changes = _diff(old, new)
    if not changes:
        return
    page = after or before or {}
    _history(
        s,
        row,
        by=PAGES_BY,
        action="page" if after else "unpage",
        changes=changes,
        source=knowledge.cite(page.get("source")) or None,
        as_of=date.fromisoformat(page["as_of"]) if page.get("as_of") else None,
    )


def _shipped_digest() -> str:
    """The shipped files as they are now (a change reloads the register)."""
    return ":".join(hashlib.sha256(p.read_bytes()).hexdigest() for p in shipped_paths())


def sync_orderers_if_changed(db: Database) -> SyncResult | None:
    if not all(p.exists() for p in shipped_paths()):
        return None
    if db.get_meta(DIGEST_KEY) == _shipped_digest():
        return None
    return sync_orderers(db)


# --- lookup ------------------------------------------------------------------------------

_INDEX_CACHE: dict[str, tuple[knowledge.OrdererIndex, dict[str, int]]] = {}


def _index(s: Session) -> tuple[knowledge.OrdererIndex, dict[str, int]]:
    digest = s.scalar(select(col(Meta.value)).where(col(Meta.key) == LOADED_KEY)) or ""
    bind_key = f"{s.get_bind().engine.url}|{digest}"
    cached = _INDEX_CACHE.get(bind_key)
    if cached is None:
        rows = s.execute(
            select(col(Orderer.id), col(Orderer.rules)).where(col(Orderer.listed))
        ).all()
        entries = [_model(rules) for _, rules in rows]
        ids = {
            orderer_key(e.name, e.prefecture): row_id
            for e, (row_id, _) in zip(entries, rows, strict=True)
        }
        cached = (knowledge.OrdererIndex(entries), ids)
        _INDEX_CACHE.clear()
        _INDEX_CACHE[bind_key] = cached
    return cached


def _model(rules: dict[str, Any]) -> knowledge.Orderer:
    return knowledge.Orderer.model_validate_json(json.dumps(rules))


def orderer_model(row: Orderer) -> knowledge.Orderer:
    """The validated record behind a database row (for the rules engine)."""
    return _model(row.rules)


def display_name(row: Orderer | knowledge.Orderer) -> str:
    """阿蘇市（熊本県）: the name with its prefecture, as the lists and answers say it."""
    pref = row.prefecture
    return f"{row.name}（{pref}）" if pref and pref != row.name else row.name


@dataclass(frozen=True)
class ListInfo:
    """The orderer list an absent orderer is judged against."""

    as_of: date
    source: str
    note: str | None = None


def list_info(s: Session) -> ListInfo:
    rows = dict(
        s.execute(
            select(col(Meta.key), col(Meta.value)).where(
                col(Meta.key).in_([LIST_AS_OF_KEY, LIST_SOURCE_KEY, LIST_NOTE_KEY])
            )
        ).all()
    )
    if LIST_AS_OF_KEY in rows:
        return ListInfo(
            date.fromisoformat(rows[LIST_AS_OF_KEY]),
            rows.get(LIST_SOURCE_KEY, ""),
            rows.get(LIST_NOTE_KEY) or None,
        )
    shipped = knowledge.load_orderers()
    return ListInfo(shipped.list_as_of, knowledge.cite(shipped.list_source), shipped.list_note)


def not_found_message(s: Session, text: str) -> str:
    close = suggest_orderers(s, text)
    hint = f"。近い名前: {'、'.join(close)}" if close else ""
    return (
        f"発注者「{text}」は登録簿にありません{hint}。"
        f"一部事務組合・企業団・公社など登録簿にない団体は{ADD_HINT}"
    )


def suggest_orderers(s: Session, text: str) -> list[str]:
    return _index(s)[0].suggest(text)


def find_orderers(s: Session, text: str) -> list[Orderer]:
    index, ids = _index(s)
    found = index.find(text)
    return [o for e in found if (o := s.get(Orderer, ids[orderer_key(e.name, e.prefecture)]))]


def resolve_orderer(s: Session, text: str, prefecture: str | None = None) -> Orderer:
    """Exactly one orderer for ``text`` (name, alias or reading), or a clear error."""
    found = find_orderers(s, text)
    if prefecture:
        found = [o for o in found if o.prefecture == prefecture]
    if not found:
        raise NotFoundError(not_found_message(s, text))
    if len(found) > 1:
        names = "・".join(display_name(o) for o in found)
        raise NotFoundError(f"発注者「{text}」は複数あります: {names}。都道府県名も付けてください")
    return found[0]


def search_orderer_ids(s: Session, text: str) -> list[int]:
    """Ids for a search filter: index matches, else a substring match on the name."""
    index, ids = _index(s)
    found = index.find(text)
    if found:
        return [ids[orderer_key(e.name, e.prefecture)] for e in found]
    part = col(Orderer.name).contains(text.strip(), autoescape=True)  # % and _ as typed
    return list(s.scalars(select(col(Orderer.id)).where(part)))


# --- views -------------------------------------------------------------------------------


def orderer_json(
    row: Orderer,
    history: Sequence[OrdererChange] | None = None,
    list_as_of: date | None = None,
) -> dict[str, Any]:
    """The record that stands as plain JSON data, with what the register knows of it
    (``list_as_of``: the date of the lists a body not in them is judged on)."""
    data = dict(row.rules)
    data["source_ref"] = data.get("source")
    data["source"] = row.source or None
    data["id"] = row.id
    data["listed"] = row.listed
    data["code"] = row.code
    data["electronic"] = "adopted" if row.start_date is not None else "not_listed"
    data["amended"] = bool(row.amendment)
    data["origin"] = row.origin
    data["standing"] = precedence(row)
    data["source_kind"] = source_kind(row) if row.start_date is not None else None
    if list_as_of is not None and row.start_date is None:
        data["list_as_of"] = list_as_of.isoformat()
    if history is not None:
        data["history"] = [history_json(h) for h in history]
    return data


def history_json(h: OrdererChange) -> dict[str, Any]:
    return {
        "at": h.at.isoformat(),
        "by": h.by,
        "action": h.action,
        "source": h.source,
        "as_of": h.as_of.isoformat() if h.as_of else None,
        "changes": h.changes,
    }


# How staff name a record's fields (history, errors, which ones a page gave).
FIELD_LABELS = {
    "name": "名称",
    "prefecture": "都道府県",
    "reading": "読み",
    "aliases": "別名",
    "category": "区分",
    "code": "団体コード",
    "start_date": "運用開始日",
    "start_precision": "精度",
    "applies_to": "判定日",
    "coverage": "対象",
    "before_start_paper": "開始前の契約",
    "excluded_guarantors": "対象外の保証",
    "department_limits": "対象部局",
    "submission": "認証キーの提出",
    "usage": "利用実績",
    "deadlines": "手続きの期限",
    "source": "出典",
    "as_of": "時点",
    "verified": "確認",
    "notes": "備考",
}
RULE_LABELS = {**FIELD_LABELS, "start_date": "運用開始", "start_precision": "運用開始"}
# What a history entry records (OrdererChange.action), as staff read it.
HISTORY_ACTIONS = {
    "add": "登録",
    "adopt": "導入を記録",
    "edit": "修正",
    "load": "同梱データの更新",
    "import": "取込",
    "page": "公開ページの記録",
    "unpage": "公開ページの記録の取り下げ",
}


def history_line(h: dict[str, Any]) -> str:
    """令和8年5月1日 10:12 田中 導入を記録: 運用開始日・出典・時点（出典: …）"""
    from core.dates import format_wareki

    at = datetime.fromisoformat(h["at"]).astimezone()
    fields = "・".join(FIELD_LABELS.get(k, k) for k in h.get("changes") or {}) or "—"
    source = f"（出典: {h['source']}）" if h.get("source") else ""
    action = HISTORY_ACTIONS.get(h["action"], h["action"])
    return f"{format_wareki(at.date())} {at:%H:%M} {h['by']} {action}: {fields}{source}"


def page_facts(row: Orderer) -> dict[str, Any] | None:
    """What the body's own page gave the shipped record: the fields (as staff name them)
    taken from it, and the page."""
    if not row.pages:
        return None
    _, taken = with_page(row.shipped, row.pages)
    return {
        "fields": list(dict.fromkeys(RULE_LABELS.get(k, k) for k in taken)),
        "source": knowledge.cite(row.pages.get("source")) or None,
        "as_of": row.pages.get("as_of"),
        "said": _page_said(row.pages),  # 五島市の公開ページ（令和8年1月7日）
    }


def precedence(row: Orderer) -> dict[str, Any]:
    """Which record stands, and a sentence saying so when there are two (or three: the
    documents, the body's own page and the staff's record)."""
    from core.dates import format_wareki

    def when(raw: Any) -> str:
        return f"（{format_wareki(date.fromisoformat(raw))}時点）" if raw else ""

    shipped = with_page(row.shipped, row.pages)[0] if row.pages else row.shipped
    _, stands = (
        effective(row.shipped, row.amendment, row.pages) if row.amendment else (None, "shipped")
    )
    both = bool(shipped) and bool(row.amendment)
    note = None
    page = page_facts(row)
    if both and row.amendment and any(k in ADOPTION_FIELDS for k in row.amendment):
        shipped_as_of = (shipped or {}).get("as_of")
        ours = row.amendment.get("as_of")
        if not (shipped or {}).get("start_date"):
            note = f"職員の記録{when(ours)}。同梱の一覧には掲載なし"
        elif stands == "amendment":
            note = f"職員の記録{when(ours)}を採用。同梱データの記録{when(shipped_as_of)}もあります"
        else:
            note = (
                f"同梱データ{when(shipped_as_of)}の方が新しいため採用。"
                f"職員の記録{when(ours)}も残っています"
            )
    elif page is not None:
        doc = (row.shipped or {}) if row.origin != ORIGIN_PAGE else {}
        if not page["fields"]:
            note = (
                f"{page['said']}の記録もありますが、"
                f"資料の記録{when(doc.get('as_of'))}の方が新しいため採用"
            )
        elif not doc.get("start_date"):
            note = f"{page['said']}による記録。同梱の資料の一覧には掲載なし"
        else:
            fields = "・".join(page["fields"])
            note = (
                f"{fields}は{page['said']}から。"
                f"ほかは資料（{knowledge.cite(doc.get('source'))}）から"
            )
    elif row.origin == ORIGIN_STAFF:
        note = "職員が登録した団体"
    return {"stands": stands, "note": note, "page": page}


def start_text(rules: dict[str, Any]) -> str:
    """運用開始 as staff say it, with what the date is compared against."""
    from core.dates import format_wareki, format_wareki_month

    raw = rules.get("start_date")
    if not raw:
        return "一覧に掲載なし"
    start = date.fromisoformat(raw)
    anchor = rules.get("applies_to", "契約締結日")
    precision = rules.get("start_precision", "day")
    if precision == "month":
        return f"{format_wareki_month(start)}（日は資料に記載なし）以降の{anchor}分"
    if precision == "by":
        return f"開始日は資料に記載なし（{format_wareki(start)}時点で導入済み）"
    return f"{format_wareki(start)}以降の{anchor}分"


def rule_rows(rules: dict[str, Any], list_as_of: date | None = None) -> list[tuple[str, str]]:
    """One orderer's rules as (label, text) rows, the way staff read them out on the phone;
    shared by ``hosho orderer show`` and the orderers browser."""
    from core.dates import format_wareki, parse_date
    from core.eligibility import not_listed_text

    if not rules.get("start_date"):
        raw = rules.get("list_as_of")
        when = list_as_of or (
            date.fromisoformat(raw) if raw else knowledge.load_orderers().list_as_of
        )
        name, pref = rules["name"], rules.get("prefecture")
        said = f"{name}（{pref}）" if pref and pref != name else name
        return [
            ("区分", str(rules["category"])),
            ("電子保証", not_listed_text(said, when)),
        ]
    coverage = rules.get("coverage")
    if coverage:
        cov = "、".join(f"{k}（{'・'.join(v) if v else '要確認'}）" for k, v in coverage.items())
    else:
        cov = "資料に記載なし（工事は対象）"
    subs = []
    for sub in rules.get("submission") or []:
        who = "・".join(sub["types"]) if sub.get("types") else "全種別"
        where = f" → {sub['to']}" if sub.get("to") else ""
        note = f"（{sub['note']}）" if sub.get("note") else ""
        subs.append(f"{who}: {sub['method']}{where}{note}")
    rows = [
        ("区分", str(rules["category"])),
        ("運用開始", start_text(rules)),
        ("対象", cov),
        ("認証キーの提出", " / ".join(subs) or "資料に記載なし（発注者に確認）"),
    ]
    lists = (
        ("before_start_paper", "開始前の契約", "は書面"),
        ("department_limits", "対象部局", ""),
        ("excluded_guarantors", "対象外の保証", ""),
    )
    rows += [(label, "・".join(rules[key]) + tail) for key, label, tail in lists if rules.get(key)]
    if rules.get("deadlines"):
        said = [f"{d['name']}（{d['said']}）" for d in rules["deadlines"]]
        rows.append(("手続きの期限", "・".join(said)))
    if rules.get("usage"):
        u = rules["usage"]
        rows.append(
            (
                "利用実績",
                f"前払金保証 {u['advance_guarantees']:,}件中 電子 {u['electronic']:,}件"
                f"（{u['rate_percent']}%、{format_wareki(parse_date(u['as_of']))}現在）",
            )
        )
    return rows


def _history_rows(s: Session, row: Orderer) -> list[OrdererChange]:
    return list(
        s.scalars(
            select(OrdererChange)
            .where(col(OrdererChange.orderer_id) == row.id)
            .order_by(col(OrdererChange.at), col(OrdererChange.id))
        )
    )


def show_orderer(db: Database, text: str, prefecture: str | None = None) -> dict[str, Any]:
    with db.reader() as s:
        row = resolve_orderer(s, text, _prefecture(prefecture))
        return orderer_json(row, _history_rows(s, row), list_info(s).as_of)


def _prefecture(text: str | None) -> str | None:
    if not text or not text.strip():
        return None
    text = text.strip()
    matches = [p for p in knowledge.PREFECTURES if text in (p, p[:-1])]
    if not matches:
        raise ValidationError([("prefecture", f"都道府県「{text}」が分かりません（例: 佐賀県）")])
    return matches[0]


def list_orderers(
    db: Database,
    *,
    prefecture: str | None = None,
    category: str | None = None,
    electronic: str | None = None,
) -> list[dict[str, Any]]:
    problems = []
    if category and category not in {c.value for c in knowledge.Category}:
        choices = "・".join(c.value for c in knowledge.Category)
        problems.append(f"区分「{category}」は使えません（{choices}）")
    if electronic and electronic not in ("adopted", "not_listed"):
        problems.append(f"電子保証「{electronic}」は使えません（adopted・not_listed）")
    pref = None
    try:
        pref = _prefecture(prefecture)
    except ValidationError as exc:
        problems += exc.problems
    if problems:
        raise ValidationError(problems)
    with db.reader() as s:
        stmt = select(Orderer).where(col(Orderer.listed)).order_by(col(Orderer.id))
        if pref:
            stmt = stmt.where(col(Orderer.prefecture) == pref)
        if category:
            stmt = stmt.where(col(Orderer.category) == category)
        if electronic == "adopted":
            stmt = stmt.where(col(Orderer.start_date).is_not(None))
        elif electronic == "not_listed":
            stmt = stmt.where(col(Orderer.start_date).is_(None))
        as_of = list_info(s).as_of
        return [orderer_json(o, list_as_of=as_of) for o in s.scalars(stmt)]


NATIONAL = "国・独法・大学等"  # the bodies without a prefecture
SOURCE_KINDS = {"documents": "資料", "pages": "公開ページ", "staff": "職員の記録"}


def source_kind(row: Orderer) -> str:
    """Where an adopted body's record that stands comes from: ``documents`` (the shipped
    documents), ``pages`` (an orderer's own page or another public record gave at least one
    of its rules) or ``staff`` (an amendment staff recorded)."""
    amended = row.amendment and any(k in ADOPTION_FIELDS for k in row.amendment)
    if amended and effective(row.shipped, row.amendment, row.pages)[1] == "amendment":
        return "staff"
    if row.pages and (row.shipped is None or set(with_page(row.shipped, row.pages)[1]) - {"notes"}):
        return "pages"
    return "documents"


def coverage_summary(db: Database, prefecture: str | None = None) -> list[dict[str, Any]]:
    """Per prefecture (national bodies first): how many bodies the register holds, how many
    are adopted and from which kind of source, and the newest as-of date of each kind."""
    pref = _prefecture(prefecture)
    with db.reader() as s:
        stmt = select(Orderer).where(col(Orderer.listed))
        if pref:
            stmt = stmt.where(col(Orderer.prefecture) == pref)
        return summarize([orderer_json(row) for row in s.scalars(stmt)])


def summarize(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """:func:`coverage_summary` of records as :func:`orderer_json` gives them."""
    groups: dict[str, dict[str, Any]] = {}
    for o in records:
        name = o.get("prefecture") or NATIONAL
        group = groups.setdefault(
            name,
            {
                "prefecture": name,
                "bodies": 0,
                "adopted": 0,
                "by_source": dict.fromkeys(SOURCE_KINDS, 0),
                "newest_as_of": None,
                "newest_as_of_by_source": dict.fromkeys(SOURCE_KINDS),
            },
        )
        group["bodies"] += 1
        kind = o.get("source_kind")
        if o.get("electronic") != "adopted" or kind is None:
            continue
        group["adopted"] += 1
        group["by_source"][kind] += 1
        as_of = o.get("as_of")
        if as_of:
            newest = group["newest_as_of_by_source"]
            newest[kind] = max(newest[kind] or as_of, as_of)
            group["newest_as_of"] = max(group["newest_as_of"] or as_of, as_of)
    order = [NATIONAL, *knowledge.PREFECTURES]
    return sorted(groups.values(), key=lambda g: order.index(g["prefecture"]))


def summary_total(groups: Sequence[dict[str, Any]], name: str = "計") -> dict[str, Any]:
    """The groups of :func:`summarize` added up into one."""
    newest = [g["newest_as_of"] for g in groups if g["newest_as_of"]]
    return {
        "prefecture": name,
        "bodies": sum(g["bodies"] for g in groups),
        "adopted": sum(g["adopted"] for g in groups),
        "by_source": {k: sum(g["by_source"][k] for g in groups) for k in SOURCE_KINDS},
        "newest_as_of": max(newest, default=None),
    }


def summary_line(group: dict[str, Any]) -> str:
    """佐賀県: 導入 12団体（資料 12）／24団体中、最新の時点 令和8年2月26日 — one group of
    :func:`coverage_summary` as staff read it."""
    from core.dates import format_wareki

    kinds = "・".join(
        f"{label} {group['by_source'][kind]}"
        for kind, label in SOURCE_KINDS.items()
        if group["by_source"][kind]
    )
    newest = group["newest_as_of"]
    when = f"、最新の時点 {format_wareki(date.fromisoformat(newest))}" if newest else ""
    said = f"（{kinds}）" if kinds else ""
    adopted, bodies = group["adopted"], group["bodies"]
    return f"{group['prefecture']}: 導入 {adopted:,}団体{said}／{bodies:,}団体中{when}"


def complete_orderers(db: Database, text: str, limit: int = 8) -> list[str]:
    """Display names for an orderer field as staff type: exact hits first, then close ones."""
    if not text.strip():
        return []
    with db.reader() as s:
        index, _ = _index(s)
        names = [index.display_name(o) for o in index.find(text)]
        for name in index.suggest(text, limit=limit):
            if name not in names:
                names.append(name)
        return names[:limit]


# --- staff changes -------------------------------------------------------------------------


def _audit(s: Session, operator: str, action: str, row: Orderer, **detail: Any) -> None:
    s.add(
        AuditEvent(
            at=now(), operator=operator, action=action, target=f"orderer:{row.key}", detail=detail
        )
    )


def _validated(record: dict[str, Any]) -> knowledge.Orderer:
    """The record as the knowledge model checks it, or the problems in Japanese."""
    try:
        return knowledge.Orderer.model_validate(record, context={"sources": None})
    except pydantic.ValidationError as exc:
        raise ValidationError(
            [(str(e["loc"][0]) if e["loc"] else None, _problem_text(e)) for e in exc.errors()]
        ) from None


def _problem_text(error: Any) -> str:
    field = str(error["loc"][0]) if error["loc"] else ""
    label = FIELD_LABELS.get(field, field)
    value = error.get("input")
    if field == "reading":
        return f"読み「{value}」はひらがなで入力してください"
    if field == "category":
        choices = "・".join(c.value for c in knowledge.Category)
        return f"区分「{value}」は使えません（{choices}）"
    if field == "code":
        return f"団体コード「{value}」は全国地方公共団体コード（6桁）ではありません"
    if field == "source":
        return "出典（ページの題名・URLなど）を入力してください"
    detail = error.get("ctx", {}).get("error")
    return f"{label}: {detail or error['msg']}"


@dataclass(frozen=True)
class Adoption:
    """What staff record when an orderer adopts electronic certificates."""

    start: str
    source: str
    as_of: str
    precision: str = "day"
    applies_to: str | None = None
    kinds: Sequence[str] | None = None
    types: Sequence[str] | None = None
    submission: str | None = None
    submit_to: str | None = None
    url: str | None = None
    issuer: str | None = None


def _web_source(title: str, url: str | None, issuer: str | None, as_of: date) -> dict[str, Any]:
    """A source as staff typed it; an address inside the title is taken out as the URL."""
    import re

    title = title.strip()
    found = re.search(r"https?://\S+", title)
    if found and not url:
        url = found.group(0).rstrip("）)」、。")
        title = (title[: found.start()] + title[found.end() :]).strip(" 　（）()、")
    record: dict[str, Any] = {"title": title or (url or "")}
    if issuer and issuer.strip():
        record["issuer"] = issuer.strip()
    if url and url.strip():
        record["url"] = url.strip()
    record["date"] = as_of.isoformat()
    return record


def add_orderer(
    db: Database,
    *,
    name: str,
    prefecture: str | None,
    category: str,
    reading: str | None = None,
    aliases: Sequence[str] = (),
    operator: str,
) -> dict[str, Any]:
    """Add a body the register does not hold (一部事務組合, 企業団, 公社, 広域連合…)."""
    problems: list[tuple[str | None, str]] = []
    name = name.strip()
    if not name:
        problems.append(("name", "名称を入力してください"))
    elif len(name) > 120:
        problems.append(("name", "名称は120文字以内で入力してください"))
    pref = None
    try:
        pref = _prefecture(prefecture)
    except ValidationError as exc:
        problems += exc.items
    category = category.strip()
    if category not in {c.value for c in knowledge.Category}:
        choices = "・".join(c.value for c in knowledge.Category)
        problems.append(("category", f"区分「{category}」は使えません（{choices}）"))
    elif pref is None and knowledge.Category(category) in knowledge.REGIONAL_CATEGORIES:
        problems.append(("prefecture", f"区分「{category}」には都道府県が必要です"))
    if problems:
        raise ValidationError(problems)
    record = {
        "name": name,
        "prefecture": pref,
        "category": category,
        "reading": (reading or "").strip(),
        "aliases": [a.strip() for a in aliases if a.strip()],
    }
    _validated(record)
    with db.session() as s:
        key = orderer_key(name, pref)
        row = s.scalar(select(Orderer).where(col(Orderer.key) == key))
        if row is not None and row.listed:
            raise ValidationError([("name", f"{display_name(row)}はすでに登録されています")])
        clean = _validated(record).model_dump(mode="json")
        if row is None:
            row = Orderer(
                key=key, name=name, prefecture=pref, category=category, origin=ORIGIN_STAFF
            )
            s.add(row)
        row.listed, row.amendment = True, clean
        _apply(row, effective(row.shipped, clean, row.pages)[0])
        s.flush()
        _history(
            s,
            row,
            by=operator,
            action="add",
            changes=_diff(None, {k: v for k, v in record.items() if v not in (None, [], "")}),
            source=None,
            as_of=date.today(),
        )
        _audit(s, operator, "orderer.add", row, category=category)
        _touch(s)
        s.flush()
        return orderer_json(row, _history_rows(s, row), list_info(s).as_of)


def adopt_orderer(
    db: Database, name: str, adoption: Adoption, *, prefecture: str | None = None, operator: str
) -> dict[str, Any]:
    """Record that an orderer accepts electronic certificates from a date, with its source."""
    from core.dates import parse_date
    from core.terms import GType, Kind

    a = adoption
    problems: list[tuple[str | None, str]] = []
    start = as_of = None
    try:
        start = parse_date(a.start)
    except ValueError as exc:
        problems.append(("start", f"運用開始日: {exc}"))
    if not a.source or not a.source.strip():
        problems.append(("source", "出典（発注者のページの題名・URL、通知の名前など）が必要です"))
    elif len(a.source) > 300:
        problems.append(("source", "出典は300文字以内で入力してください"))
    try:
        as_of = parse_date(a.as_of) if a.as_of and a.as_of.strip() else None
        if as_of is None:
            problems.append(("as_of", "時点（ページの更新日・掲載日など）が必要です"))
    except ValueError as exc:
        problems.append(("as_of", f"時点: {exc}"))
    if a.precision not in ("day", "month"):
        problems.append(("precision", f"精度「{a.precision}」は使えません（day・month）"))
    if a.applies_to and a.applies_to not in ("契約締結日", "入札公告日"):
        problems.append(
            ("applies_to", f"判定日「{a.applies_to}」は使えません（契約締結日・入札公告日）")
        )
    kinds = [k.strip() for k in a.kinds or [] if k.strip()]
    bad = [k for k in kinds if k not in {x.value for x in Kind}]
    if bad:
        problems.append(
            ("kinds", f"業務の種類「{'、'.join(bad)}」は使えません（工事・業務委託・地域維持）")
        )
    types = [t.strip() for t in a.types or [] if t.strip()]
    electronic = [g.value for g in GType if g is not GType.BID]
    bad = [t for t in types if t not in electronic]
    if bad:
        problems.append(
            ("types", f"保証の種類「{'、'.join(bad)}」は使えません（{'・'.join(electronic)}）")
        )
    if start and as_of is not None and a.precision == "month":
        start = start.replace(day=1)
    if problems:
        raise ValidationError(problems)
    assert start is not None and as_of is not None
    fields: dict[str, Any] = {
        "start_date": start.isoformat(),
        "start_precision": a.precision,
        "source": _web_source(a.source, a.url, a.issuer, as_of),
        "as_of": as_of.isoformat(),
        "verified": True,
    }
    if a.applies_to:
        fields["applies_to"] = a.applies_to
    if kinds:
        fields["coverage"] = {k: types or electronic for k in kinds}
    if a.submission or a.submit_to:
        line: dict[str, Any] = {"types": [], "method": (a.submission or "発注者に確認").strip()}
        if a.submit_to:
            line["to"] = a.submit_to.strip()
        fields["submission"] = [line]
    return _amend(db, name, fields, prefecture=prefecture, operator=operator, action="adopt")


EDITABLE = (
    "reading",
    "aliases",
    "category",
    "applies_to",
    "kinds",
    "submission",
    "submit_to",
    "notes",
    "departments",
    "excluded",
)


def edit_orderer(
    db: Database,
    name: str,
    changes: dict[str, Any],
    *,
    source: str | None = None,
    as_of: str | None = None,
    url: str | None = None,
    prefecture: str | None = None,
    operator: str,
) -> dict[str, Any]:
    """Change other fields of an orderer's record. Identity fields (reading, aliases,
    category) need no source; a change to the electronic rules needs --source and --as-of."""
    from core.dates import parse_date

    problems: list[tuple[str | None, str]] = []
    fields: dict[str, Any] = {}
    for key in ("reading", "category"):
        if changes.get(key) is not None:
            fields[key] = str(changes[key]).strip()
    if changes.get("aliases") is not None:
        fields["aliases"] = [x.strip() for x in changes["aliases"] if x.strip()]
    rules: dict[str, Any] = {}
    if changes.get("applies_to"):
        rules["applies_to"] = changes["applies_to"]
    if changes.get("notes") is not None:
        rules["notes"] = [x.strip() for x in changes["notes"] if x.strip()]
    if changes.get("departments") is not None:
        rules["department_limits"] = [x.strip() for x in changes["departments"] if x.strip()]
    if changes.get("excluded") is not None:
        rules["excluded_guarantors"] = [x.strip() for x in changes["excluded"] if x.strip()]
    if changes.get("kinds") is not None:
        kinds = [k.strip() for k in changes["kinds"] if k.strip()]
        rules["coverage"] = {k: ["前払金", "中間前払金", "契約"] for k in kinds} or None
    if changes.get("submission") or changes.get("submit_to"):
        line: dict[str, Any] = {
            "types": [],
            "method": (changes.get("submission") or "発注者に確認").strip(),
        }
        if changes.get("submit_to"):
            line["to"] = changes["submit_to"].strip()
        rules["submission"] = [line]
    if not fields and not rules:
        problems.append((None, "変更する項目を指定してください（読み・提出先など）"))
    when = None
    if rules:
        if not source or not source.strip():
            problems.append(("source", "電子保証の規則を変えるには出典が必要です"))
        try:
            when = parse_date(as_of) if as_of and as_of.strip() else None
            if when is None:
                problems.append(
                    (
                        "as_of",
                        "電子保証の規則を変えるには時点（ページの更新日・掲載日など）が必要です",
                    )
                )
        except ValueError as exc:
            problems.append(("as_of", f"時点: {exc}"))
    if problems:
        raise ValidationError(problems)
    if rules:
        assert when is not None and source is not None
        rules["source"] = _web_source(source, url, None, when)
        rules["as_of"] = when.isoformat()
    return _amend(
        db, name, {**fields, **rules}, prefecture=prefecture, operator=operator, action="edit"
    )


def _amend(
    db: Database,
    name: str,
    fields: dict[str, Any],
    *,
    prefecture: str | None,
    operator: str,
    action: str,
) -> dict[str, Any]:
    with db.session() as s:
        row = resolve_orderer(s, name, _prefecture(prefecture))
        rules_without_start = (
            any(k in ADOPTION_FIELDS for k in fields) and "start_date" not in fields
        )
        if rules_without_start and not row.rules.get("start_date"):
            raise ValidationError(
                [
                    (
                        None,
                        f"{display_name(row)}は一覧に掲載なしのため、先に運用開始（導入）を記録してください",
                    )
                ]
            )
        amendment = {**(row.amendment or {}), **fields}
        if row.shipped is None:  # a body staff added: the amendment is the whole record
            amendment = {**row.rules, **fields}
        before = dict(row.rules)
        rules, _ = effective(row.shipped, amendment, row.pages)
        clean = _validated(rules).model_dump(mode="json")
        row.amendment = amendment
        _apply(row, clean)
        changes = _diff(before, clean)
        source = knowledge.cite(fields.get("source")) if fields.get("source") else None
        when = date.fromisoformat(fields["as_of"]) if fields.get("as_of") else None
        _history(
            s,
            row,
            by=operator,
            action=action,
            changes=changes or _diff(before, {**before, **fields}),
            source=source,
            as_of=when,
        )
        _audit(s, operator, f"orderer.{action}", row, fields=sorted(fields), source=source)
        _touch(s)
        s.flush()
        return orderer_json(row, _history_rows(s, row), list_info(s).as_of)


# --- export and import of amendments ------------------------------------------------------


def _yaml_dump(data: Any) -> str:
    import yaml

    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def export_orderers(db: Database, *, amendments_only: bool, operator: str) -> tuple[str, int]:
    """YAML that ``hosho data check`` accepts: the amendments (to hand to another branch), or
    every record beyond the bare municipality data set, as an orderers file."""
    with db.reader() as s:
        rows = list(s.scalars(select(Orderer).where(col(Orderer.listed)).order_by(col(Orderer.id))))
        if amendments_only:
            records = []
            for row in rows:
                if not row.amendment:
                    continue
                record = dict(row.rules)
                if row.shipped is not None:
                    # The amended fields over the shipped record as it is here.
                    record = {**row.shipped, **row.amendment}
                record = _validated(record).model_dump(mode="json", exclude_defaults=True)
                record["amended"] = [
                    k
                    for k in RECORD_FIELDS
                    if k in row.amendment and k not in ("name", "prefecture")
                ]
                if row.origin == ORIGIN_STAFF:
                    record["added"] = True
                records.append(record)
            if not records:
                raise ValidationError(["書き出す職員の修正がありません"])
            header = {"exported_at": date.today().isoformat(), "exported_by": operator}
            return _yaml_dump({**header, "amendments": records}), len(records)
        info = list_info(s)
        shipped = knowledge.load_orderers()
        records = [
            _validated(row.rules).model_dump(mode="json", exclude_defaults=True)
            for row in rows
            if row.origin != ORIGIN_REGISTER or row.amendment
        ]
        head = {
            "list_as_of": info.as_of.isoformat(),
            "list_source": shipped.list_source,
            "list_note": info.note,
        }
        groups = [g.model_dump(mode="json") for g in shipped.groups]
        return _yaml_dump({**head, "orderers": records, "groups": groups}), len(records)


def import_amendments(db: Database, path: Path) -> SyncResult:
    """Staff amendments from another branch's export: each is applied as an amendment (the
    newer as-of stands against the shipped record, as for amendments made here)."""
    data = knowledge.load_amendments(path)
    operator = f"{data.exported_by or '他の支店'}（{path.name}から取込）"
    added = updated = unchanged = 0
    with db.session() as s:
        for item in data.amendments:
            key = orderer_key(item.name, item.prefecture)
            row = s.scalar(select(Orderer).where(col(Orderer.key) == key))
            record = item.model_dump(mode="json", exclude={"amended", "added"})
            if row is None or (item.added and row.shipped is None):
                fields = record
            else:
                fields = {k: record[k] for k in item.amended}
            if row is None:
                row = Orderer(
                    key=key, name=item.name, prefecture=item.prefecture, category=item.category
                )
                row.origin = ORIGIN_STAFF
                s.add(row)
                added += 1
            amendment = {**(row.amendment or {}), **fields}
            if row.amendment == amendment and row.listed:
                unchanged += 1
                continue
            if row.id is not None:
                updated += 1
            before = dict(row.rules)
            row.amendment, row.listed = amendment, True
            _apply(
                row,
                _validated(effective(row.shipped, amendment, row.pages)[0]).model_dump(mode="json"),
            )
            s.flush()
            _history(
                s,
                row,
                by=operator,
                action="import",
                changes=_diff(before or None, row.rules),
                source=knowledge.cite(fields.get("source")) if fields.get("source") else None,
                as_of=date.fromisoformat(fields["as_of"]) if fields.get("as_of") else None,
            )
        _touch(s)
    return SyncResult(added, updated, unchanged, 0, amendments=len(data.amendments))
