"""Orderers (発注者): the YAML knowledge loaded into the database, and finding them by name."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlmodel import Session, col

from core import knowledge
from core.errors import NotFoundError
from core.models import Meta, Orderer

if TYPE_CHECKING:
    from core.db import Database

DIGEST_KEY = "orderers_digest"  # digest of the shipped file when it was last loaded
LOADED_KEY = "orderers_loaded"  # changes on every load: invalidates lookup caches
LIST_SOURCE_KEY = "orderers_list_source"
LIST_NOTE_KEY = "orderers_list_note"
LIST_AS_OF_KEY = "orderers_list_as_of"


def orderer_key(name: str, prefecture: str | None) -> str:
    return f"{prefecture or ''}/{name}"


@dataclass(frozen=True)
class SyncResult:
    added: int
    updated: int
    unchanged: int
    unlisted: int


def _set_meta(s: Session, key: str, value: str) -> None:
    row = s.get(Meta, key)
    if row is None:
        s.add(Meta(key=key, value=value))
    else:
        row.value = value


def sync_orderers(db: Database, path: Path | None = None) -> SyncResult:
    """Upsert every orderer of the YAML file by (prefecture, name); idempotent.

    Entries that left the file are kept (guarantees refer to them) but marked unlisted.
    """
    from core.db import file_digest

    shipped = knowledge.default_orderers_path()
    path = path or shipped
    data = knowledge.load_orderers(path)
    added = updated = unchanged = unlisted = 0
    with db.session() as s:
        existing = {o.key: o for o in s.scalars(select(Orderer))}
        seen: set[str] = set()
        for entry in data.orderers:
            key = orderer_key(entry.name, entry.prefecture)
            seen.add(key)
            values: dict[str, Any] = {
                "name": entry.name,
                "reading": entry.reading,
                "prefecture": entry.prefecture,
                "category": str(entry.category),
                "start_date": entry.start_date,
                "start_precision": str(entry.start_precision),
                "rules": entry.model_dump(mode="json"),
                "source": entry.source,
                "as_of": entry.as_of,
                "listed": True,
            }
            row = existing.get(key)
            if row is None:
                s.add(Orderer(key=key, **values))
                added += 1
            elif any(getattr(row, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(row, k, v)
                updated += 1
            else:
                unchanged += 1
        for key, row in existing.items():
            if key not in seen and row.listed:
                row.listed = False
                unlisted += 1
        digest = file_digest(path)
        if path.resolve() == shipped.resolve():
            # A file loaded by hand stays until the shipped one changes (an app update).
            _set_meta(s, DIGEST_KEY, digest)
        _set_meta(s, LOADED_KEY, f"{digest}:{time.time_ns()}")
        _set_meta(s, LIST_AS_OF_KEY, data.list_as_of.isoformat())
        _set_meta(s, LIST_SOURCE_KEY, data.list_source)
        _set_meta(s, LIST_NOTE_KEY, data.list_note or "")
    _INDEX_CACHE.clear()
    return SyncResult(added, updated, unchanged, unlisted)


def sync_orderers_if_changed(db: Database) -> SyncResult | None:
    from core.db import file_digest

    path = knowledge.default_orderers_path()
    if not path.exists():
        return None
    if db.get_meta(DIGEST_KEY) == file_digest(path):
        return None
    return sync_orderers(db, path)


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
    """The validated knowledge record behind a database row (for the rules engine)."""
    return _model(row.rules)


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
    return ListInfo(shipped.list_as_of, shipped.list_source, shipped.list_note)


def not_found_message(s: Session, text: str) -> str:
    from core.eligibility import not_listed_text

    info = list_info(s)
    message = not_listed_text(f"発注者「{text}」", info.as_of, info.note)
    return message + suggestion_text(s, text)


def suggest_orderers(s: Session, text: str) -> list[str]:
    return _index(s)[0].suggest(text)


def suggestion_text(s: Session, text: str) -> str:
    close = suggest_orderers(s, text)
    return f"。近い名前: {'、'.join(close)}" if close else ""


def find_orderers(s: Session, text: str) -> list[Orderer]:
    index, ids = _index(s)
    found = index.find(text)
    return [o for e in found if (o := s.get(Orderer, ids[orderer_key(e.name, e.prefecture)]))]


def resolve_orderer(s: Session, text: str) -> Orderer:
    """Exactly one orderer for ``text`` (name, alias or reading), or a clear error."""
    found = find_orderers(s, text)
    if not found:
        raise NotFoundError(not_found_message(s, text))
    if len(found) > 1:
        names = "・".join(f"{o.name}（{o.prefecture or '全国'}）" for o in found)
        raise NotFoundError(f"発注者「{text}」は複数あります: {names}。都道府県名も付けてください")
    return found[0]


def search_orderer_ids(s: Session, text: str) -> list[int]:
    """Ids for a search filter: index matches, else a substring match on the name."""
    index, ids = _index(s)
    found = index.find(text)
    if found:
        return [ids[orderer_key(e.name, e.prefecture)] for e in found]
    return list(s.scalars(select(col(Orderer.id)).where(col(Orderer.name).contains(text.strip()))))


# --- views -------------------------------------------------------------------------------


def orderer_json(row: Orderer) -> dict[str, Any]:
    """The whole record as plain JSON data (the validated YAML entry plus its database id)."""
    data = dict(row.rules)
    data["id"] = row.id
    data["listed"] = row.listed
    return data


def start_text(rules: dict[str, Any]) -> str:
    """運用開始 as staff say it, with what the date is compared against."""
    from core.dates import format_wareki, format_wareki_month

    raw = rules.get("start_date")
    if not raw:
        return "資料に記載なし"
    start = date.fromisoformat(raw)
    anchor = rules.get("applies_to", "契約締結日")
    precision = rules.get("start_precision", "day")
    if precision == "month":
        return f"{format_wareki_month(start)}（日は資料に記載なし）以降の{anchor}分"
    if precision == "by":
        return f"開始日は資料に記載なし（{format_wareki(start)}時点で導入済み）"
    return f"{format_wareki(start)}以降の{anchor}分"


def rule_rows(rules: dict[str, Any]) -> list[tuple[str, str]]:
    """One orderer's rules as (label, text) rows, the way staff read them out on the phone;
    shared by ``hosho orderer show`` and the orderers browser."""
    from core.dates import format_wareki, parse_date

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
        ("namesakes", "同名の団体", "（一覧に掲載なし）"),
        ("before_start_paper", "開始前の契約", "は書面"),
        ("department_limits", "対象部局", ""),
        ("excluded_guarantors", "対象外の保証", ""),
    )
    rows += [(label, "・".join(rules[key]) + tail) for key, label, tail in lists if rules.get(key)]
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


def show_orderer(db: Database, text: str) -> dict[str, Any]:
    with db.reader() as s:
        return orderer_json(resolve_orderer(s, text))


def list_orderers(
    db: Database, *, prefecture: str | None = None, category: str | None = None
) -> list[dict[str, Any]]:
    from core.errors import ValidationError

    problems = []
    if category and category not in {c.value for c in knowledge.Category}:
        choices = "・".join(c.value for c in knowledge.Category)
        problems.append(f"区分「{category}」は使えません（{choices}）")
    pref = prefecture
    if prefecture:
        matches = [p for p in knowledge.PREFECTURES if p == prefecture or p[:-1] == prefecture]
        if not matches:
            problems.append(f"都道府県「{prefecture}」が分かりません")
        else:
            pref = matches[0]
    if problems:
        raise ValidationError(problems)
    with db.reader() as s:
        stmt = select(Orderer).where(col(Orderer.listed)).order_by(col(Orderer.id))
        if pref:
            stmt = stmt.where(col(Orderer.prefecture) == pref)
        if category:
            stmt = stmt.where(col(Orderer.category) == category)
        return [orderer_json(o) for o in s.scalars(stmt)]


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
