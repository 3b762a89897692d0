"""Facts from the orderers' own pages (data/pages/): applied over the documents' records
through the register, kept apart from them and from the staff's amendments, with both sides in
the history; the coverage summary; the FAQ and the eligibility check citing the page. Each
test writes its own small page file; on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from core import checks, knowledge, orderers
from core.db import Database
from core.orderers import with_page
from tests.helpers import cli

PAGE = {
    "title": "電子保証の導入について",
    "issuer": "架空市",
    "url": "https://www.city.example.lg.jp/keiyaku/denshi.html",
    "date": "2026-03-10",
}


def _facts(name: str, prefecture: str, **fields: Any) -> dict[str, Any]:
    """One body's page facts; ``amended`` lists every field given."""
    category = fields.pop("category", "市町村")
    fields.setdefault("source", PAGE)
    fields.setdefault("as_of", PAGE["date"])
    item = {"name": name, "category": category, "prefecture": prefecture, **fields}
    item["amended"] = [k for k in fields if k not in ("added",)]
    return item


def _write(folder: Path, *items: dict[str, Any], name: str = "test.yaml") -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    data = {"checked_at": "2026-12-01", "checked_by": "試験", "amendments": list(items)}
    text = yaml.dump(data, Dumper=_NoAliases, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


class _NoAliases(yaml.SafeDumper):
    """Every value written out (the knowledge files refuse YAML aliases)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


@pytest.fixture
def pages_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty page folder in place of the shipped one."""
    folder = tmp_path / "pages"
    folder.mkdir()
    monkeypatch.setattr(knowledge, "default_pages_dir", lambda: folder)
    return folder


# --- the merge, on plain records ----------------------------------------------------------

DOC = {
    "name": "宇部市",
    "category": "市町村",
    "prefecture": "山口県",
    "start_precision": "month",
    "start_date": "2023-04-01",
    "applies_to": "契約締結日",
    "coverage": None,
    "submission": [],
    "source": "saga-guide-2026",
    "as_of": "2026-02-02",
    "notes": ["資料の備考"],
}


def test_an_older_page_day_in_the_documents_month_makes_the_start_day_precise() -> None:
    page = {"start_date": "2023-04-03", "start_precision": "day", "as_of": "2023-03-01"}
    record, taken = with_page(DOC, {**page, "source": PAGE})
    assert (record["start_date"], record["start_precision"]) == ("2023-04-03", "day")
    assert set(taken) == {"start_date", "start_precision"}
    assert record["source"] == PAGE and record["notes"] == ["資料の備考"]


def test_where_they_disagree_the_newer_stands() -> None:
    older = {"start_date": "2023-06-01", "start_precision": "day", "as_of": "2023-03-01"}
    record, taken = with_page(DOC, {**older, "source": PAGE})
    assert record == DOC and taken == ()
    newer = {**older, "as_of": "2026-06-01"}
    record, taken = with_page(DOC, {**newer, "source": PAGE})
    assert record["start_date"] == "2023-06-01" and "start_date" in taken


def test_what_the_documents_leave_empty_is_filled_and_notes_add() -> None:
    sub = [{"types": ["契約"], "method": "電子メール", "to": "契約課", "note": None}]
    page = {"submission": sub, "notes": ["ページの備考"], "as_of": "2023-03-01", "source": PAGE}
    record, taken = with_page(DOC, page)
    assert record["submission"] == sub and record["notes"] == ["資料の備考", "ページの備考"]
    assert record["start_precision"] == "month"  # the page said nothing of the start
    assert set(taken) == {"submission", "notes"}


def test_a_page_that_only_adds_notes_leaves_the_record_cited_to_the_documents() -> None:
    page = {"notes": ["銀行の保証も電子になった。"], "as_of": "2025-11-04", "source": PAGE}
    record, taken = with_page(DOC, page)
    assert taken == ("notes",) and record["source"] == "saga-guide-2026"
    assert record["as_of"] == DOC["as_of"]
    assert record["notes"] == [
        "資料の備考",
        "銀行の保証も電子になった（架空市の公開ページ（令和8年3月10日））",
    ]


# --- through the register -------------------------------------------------------------------


def test_load_keeps_the_documents_record_and_the_page_apart(db: Database, pages_dir: Path) -> None:
    sub = [{"types": [], "method": "電子メール", "to": "契約課", "note": None}]
    _write(
        pages_dir,
        _facts("宇部市", "山口県", start_precision="day", start_date="2023-04-03", submission=sub),
        _facts("周南市", "山口県", start_date="2026-04-01", notes=["紙の証書も使える。"]),
    )
    orderers.sync_orderers(db)
    ube = orderers.show_orderer(db, "宇部市")
    assert (ube["start_date"], ube["start_precision"]) == ("2023-04-03", "day")
    assert ube["submission"][0]["to"] == "契約課"
    assert "架空市" in ube["source"] and PAGE["url"] in ube["source"]
    standing = ube["standing"]
    assert standing["page"]["fields"] == ["運用開始", "認証キーの提出"]
    assert "架空市の公開ページ（令和8年3月10日）から" in standing["note"]
    assert "電子保証のご案内（佐賀支店" in standing["note"]  # the rest: the documents
    [entry] = ube["history"]
    assert entry["by"] == "公開ページ" and entry["action"] == "page"
    assert entry["changes"]["start_precision"] == ["month", "day"]  # both sides kept
    assert ube["source_kind"] == "pages"
    shunan = orderers.show_orderer(db, "周南市")
    assert shunan["electronic"] == "adopted" and shunan["start_date"] == "2026-04-01"
    assert "同梱の資料の一覧には掲載なし" in shunan["standing"]["note"]
    # Loading again changes nothing and adds no history.
    result = orderers.sync_orderers(db)
    assert result.added == 0 and result.updated == 0
    assert len(orderers.show_orderer(db, "宇部市")["history"]) == 1


def test_a_changed_or_withdrawn_page_file_is_picked_up_with_history(
    db: Database, pages_dir: Path
) -> None:
    path = _write(pages_dir, _facts("宇部市", "山口県", start_date="2023-04-03"))
    orderers.sync_orderers(db)
    assert orderers.sync_orderers_if_changed(db) is None  # nothing changed
    path.unlink()
    assert orderers.sync_orderers_if_changed(db) is not None  # the file went: loaded again
    ube = orderers.show_orderer(db, "宇部市")
    assert ube["start_precision"] == "month" and ube["source_kind"] == "documents"
    assert [h["action"] for h in ube["history"]] == ["page", "unpage"]
    assert ube["history"][-1]["changes"]["start_precision"] == ["day", "month"]


def test_a_body_no_list_names_is_added_from_its_page(db: Database, pages_dir: Path) -> None:
    _write(
        pages_dir,
        _facts(
            "架空地区広域水道企業団",
            "山口県",
            category="その他公共的団体",
            reading="かくうちくこういきすいどうきぎょうだん",
            start_date="2026-05-01",
            added=True,
        ),
    )
    orderers.sync_orderers(db)
    o = orderers.show_orderer(db, "架空地区広域水道企業団")
    assert o["origin"] == "page" and o["electronic"] == "adopted"
    assert o["source_kind"] == "pages"


def test_staff_record_newer_than_the_page_stands_and_the_page_is_kept(
    capsys: pytest.CaptureFixture[str], env_db: Database, pages_dir: Path
) -> None:
    _write(pages_dir, _facts("周南市", "山口県", start_date="2026-04-01"))
    orderers.sync_orderers(env_db)
    r = cli(
        capsys, "orderer", "adopt", "周南市", "--start", "R8.5.1", "--source", "電話で確認",
        "--as-of", "R8.9.1", "--json",
    )  # fmt: skip
    assert r.code == 0, r.err
    o = orderers.show_orderer(env_db, "周南市")
    assert o["start_date"] == "2026-05-01" and o["standing"]["stands"] == "amendment"
    assert o["source_kind"] == "staff" and o["standing"]["page"] is not None


def test_coverage_summary_counts_by_kind_of_source(
    capsys: pytest.CaptureFixture[str], env_db: Database, pages_dir: Path
) -> None:
    orderers.sync_orderers(env_db)  # the register without any page
    before = orderers.coverage_summary(env_db, "山口")[0]
    _write(
        pages_dir,
        _facts("宇部市", "山口県", start_date="2023-04-03"),  # more precise
        _facts("周南市", "山口県", start_date="2026-04-01"),  # new
    )
    orderers.sync_orderers(env_db)
    after = orderers.coverage_summary(env_db, "山口")[0]
    assert after["prefecture"] == "山口県" and after["bodies"] == before["bodies"]
    assert after["adopted"] == before["adopted"] + 1
    assert after["by_source"]["pages"] == before["by_source"]["pages"] + 2
    assert after["by_source"]["documents"] == before["by_source"]["documents"] - 1
    assert after["newest_as_of_by_source"]["pages"] == PAGE["date"]
    r = cli(capsys, "orderer", "list", "--summary", "--json")
    assert r.code == 0, r.err
    groups = {g["prefecture"]: g for g in r.json}
    assert groups["山口県"] == after and groups["北海道"]["adopted"] == 0
    r = cli(capsys, "orderer", "list", "--summary")
    assert r.code == 0 and "公開ページ" in r.out and "最新の時点" in r.out
    line = next(x for x in r.out.splitlines() if x.startswith("山口県"))
    assert str(after["adopted"]) in line.split()
    assert next(x for x in r.out.splitlines() if x.startswith("計"))


def test_eligibility_and_the_faq_use_the_page(
    capsys: pytest.CaptureFixture[str], env_db: Database, pages_dir: Path
) -> None:
    from faq.engine import Assistant

    _write(pages_dir, _facts("周南市", "山口県", start_date="2026-04-01"))
    orderers.sync_orderers(env_db)
    r = cli(capsys, "customer", "add", "--name", "株式会社周南建設", "--email", "a@example.jp")
    assert r.code == 0, r.err
    base = [
        "guarantee", "add", "--type", "前払金", "--customer", "株式会社周南建設",
        "--orderer", "周南市", "--project", "市道改良工事", "--contract-amount", "1億",
        "--amount", "4000万", "--period-end", "R9.3.31", "--delivery", "電子", "--json",
    ]  # fmt: skip
    r = cli(capsys, *base, "--contract-date", "R8.6.1")
    assert r.code == 0, r.err
    assert r.json["eligibility"]["eligible"] is True, r.json["eligibility"]
    r = cli(capsys, *base, "--contract-date", "R8.3.1")
    assert r.json["eligibility"]["eligible"] is False
    answer = Assistant.load(cache=False).ask("周南市はいつから電子保証？")
    assert answer.kind == "orderer" and answer.listed is not False
    assert "令和8年4月1日" in answer.answer and PAGE["url"] in answer.source


# --- the files ------------------------------------------------------------------------------


def test_data_check_reports_page_files_with_lines(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    good = _write(tmp_path, _facts("周南市", "山口県", start_date="2026-04-01"), name="good.yaml")
    r = cli(capsys, "data", "check", str(good))
    assert r.code == 0 and "公開ページの記録: 1件" in r.out
    document = _facts("周南市", "山口県", start_date="2026-04-01", source="saga-guide-2026")
    no_url = _facts("宇部市", "山口県", source={"title": "電子保証", "date": "2026-03-10"})
    bad = _write(tmp_path, document, no_url, name="bad.yaml")
    wrong_place = _facts("周南市", "広島県", start_date="2026-04-01")
    misplaced = _write(tmp_path, wrong_place, name="misplaced.yaml")
    r = cli(capsys, "data", "check", str(bad), str(misplaced))
    assert r.code == 1
    problems = [line for line in r.out.splitlines() if ".yaml:" in line]
    assert any("bad.yaml:8:" in p and "ページの題名" in p for p in problems)
    assert any("bad.yaml:18:" in p and "アドレスが必要" in p for p in problems)
    assert any(
        "misplaced.yaml:4:" in p and "広島県の団体ではありません（山口県にはあります）" in p
        for p in problems
    )


def test_shipped_page_files_are_valid_and_cite_pages() -> None:
    paths = knowledge.page_paths()
    report = checks.check_files(list(paths))
    assert report.ok, report.text()
    for path in paths:
        for item in knowledge.load_pages(path).amendments:
            assert isinstance(item.source, knowledge.WebSource) and item.source.url
            assert item.as_of is not None or item.start_date is None
