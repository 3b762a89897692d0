"""Sub-commands of ``hosho``: each parses flags, calls a core service and prints the result."""

from __future__ import annotations

import argparse
from typing import Any

from cli.main import CTX, add_group, emit, json_flag, nonneg_int, positive_int, print_table
from core import dates, present, services
from core.errors import ValidationError
from core.money import format_yen
from core.present import guarantee_rows, orderer_label, pad, wareki

# --- guarantee ---------------------------------------------------------------------------


def _print_guarantee(g: services.GuaranteeView) -> None:
    for k, v in guarantee_rows(g):
        print(f"{pad(k)}{v}")
    if g.eligibility:
        print()
        print_verdict(g.eligibility)
    for d in g.deadlines:
        print(f"期限: {d.label}")
    for w in g.warnings:
        print(f"注意: {w}")


def print_verdict(v: dict[str, Any]) -> None:
    """A stored or fresh verdict (its JSON form): conclusion, each reason with its source."""
    shown = present.verdict(v)
    print(f"電子証書: {shown.label}")
    for r in shown.reasons:
        print(f"  {r.mark} {r.text}{r.source}")
    print(f"提出: {shown.submission}")


def guarantee_add(a: argparse.Namespace) -> int:
    draft = services.GuaranteeDraft(
        type=a.type,
        customer=a.customer,
        orderer=a.orderer,
        project=a.project,
        contract_amount=a.contract_amount,
        amount=a.amount,
        contract_date=a.contract_date,
        period_start=a.period_start or "",
        period_end=a.period_end or "",
        guarantee_end=a.guarantee_end or "",
        kind=a.kind,
        channel=a.channel,
        delivery=a.delivery,
        announcement_date=a.announcement_date or "",
        award_date=a.award_date or "",
        original_contract_date=a.original_contract_date or "",
        bank=a.bank or "",
    )
    from core.lifecycle import CONFIRM_HINT, DuplicateGuaranteeError

    try:
        g = services.add_guarantee(
            CTX.db,
            draft,
            operator=CTX.settings.operator,
            number_prefix=CTX.settings.number_prefix,
            confirmed=a.confirmed,
        )
    except DuplicateGuaranteeError as exc:
        how = (
            "。二重登録ではなく別の保証として登録するときは --confirmed を付けて実行し直して"
            "ください"
        )
        raise ValidationError([(f, m.replace(CONFIRM_HINT, how)) for f, m in exc.items]) from None
    if a.json:
        emit(g.to_json())
    else:
        print("保証を登録しました")
        _print_guarantee(g)
    return 0


def guarantee_list(a: argparse.Namespace) -> int:
    f = services.parse_filter(
        date_from=a.date_from,
        date_to=a.date_to,
        customer=a.customer,
        orderer=a.orderer,
        min_amount=a.min_amount,
        max_amount=a.max_amount,
        type=a.type,
        status=a.status,
        limit=50 if a.limit is None else a.limit,
        offset=a.offset,
        project=a.project,
    )
    if a.format or a.output:  # every matching row to a file
        from cli.report_commands import export_list

        return export_list(a, f)
    rows = services.search_guarantees(CTX.db, f)
    if a.json:
        emit([g.to_json() for g in rows])
        return 0
    if not rows:
        print("条件に合う保証はありません")
        return 0
    print_table(
        ["保証契約番号", "契約締結日", "種別", "受注者", "発注者", "保証金額", "状態"],
        [
            [
                g.guarantee_number,
                dates.format_wareki(g.contract_date),
                g.type,
                g.customer,
                g.orderer,
                format_yen(g.amount),
                g.status,
            ]
            for g in rows
        ],
        right={5},
    )
    return 0


def guarantee_show(a: argparse.Namespace) -> int:
    g = services.get_guarantee(CTX.db, a.number)
    if a.json:
        emit(g.to_json())
    else:
        _print_guarantee(g)
        _print_paper_guidance(g)
    return 0


def _print_paper_guidance(g: services.GuaranteeView) -> None:
    from core import certificates

    history = certificates.list_certificates(CTX.db, g.guarantee_number)
    latest = history[-1].delivery if history else None
    for line in certificates.paper_guidance(g, latest):
        print(f"書面: {line}")


# --- demo (the db group: cli/db_commands.py) -----------------------------------------------


def demo_seed(a: argparse.Namespace) -> int:
    from core.demo import seed

    result = seed(CTX.db, a.count, seed=a.seed, prefix=CTX.settings.number_prefix)
    if a.json:
        emit(result)
    else:
        print(
            f"デモデータを作成しました: 受注者 {result['customers']:,} 件、"
            f"保証 {result['guarantees']:,} 件（{result['seconds']:.1f} 秒）"
        )
    return 0


# --- registration ------------------------------------------------------------------------


def register(sub: Any) -> None:
    def group(name: str, help: str) -> Any:
        return add_group(sub, name, help)

    gua = group("guarantee", "保証の登録・検索・表示")
    p = gua.add_parser("add", help="保証を登録")
    p.add_argument("--type", required=True, help="前払金・中間前払金・契約・契約保証予約")
    p.add_argument("--customer", required=True, help="受注者のID（e-Net保証IDや商号も可）")
    p.add_argument("--orderer", required=True, help="発注者名（別名・読みも可）")
    p.add_argument("--project", required=True, help="工事名・業務名")
    p.add_argument("--contract-amount", required=True, help="請負金額（例: 12,000,000 / 1200万）")
    p.add_argument("--amount", required=True, help="保証金額")
    p.add_argument("--contract-date", required=True, help="契約締結日（西暦・和暦）")
    p.add_argument("--period-start", help="工期の始まり")
    p.add_argument("--period-end", help="工期の終わり（保証期限の既定値）")
    p.add_argument("--guarantee-end", help="保証期限（省略時は工期の終わり）")
    p.add_argument("--kind", default="工事", help="工事・業務委託・地域維持（既定: 工事）")
    p.add_argument("--channel", default="e-Net", help="e-net・窓口（既定: e-Net）")
    p.add_argument("--delivery", default="電子", help="電子・書面（既定: 電子）")
    p.add_argument("--announcement-date", help="入札公告日（鳥栖市はこの日で判定）")
    p.add_argument("--award-date", help="落札日（鳥栖市の電子契約の期限を計算）")
    p.add_argument("--original-contract-date", help="当初の契約締結日（変更・中間前払金のとき）")
    p.add_argument("--bank", help="前払金取扱金融機関")
    p.add_argument(
        "--confirmed", action="store_true", help="同じ内容の保証があっても別の保証として登録"
    )
    json_flag(p)
    p.set_defaults(handler=guarantee_add)

    p = gua.add_parser("list", help="保証を検索（条件はすべて組み合わせ可）")
    p.add_argument("--from", dest="date_from", help="契約締結日の始まり")
    p.add_argument("--to", dest="date_to", help="契約締結日の終わり")
    p.add_argument("--customer", help="受注者（商号・商号カナの一部・ID・e-Net保証ID）")
    p.add_argument("--orderer", help="発注者（名前・別名・読み）")
    p.add_argument("--project", help="工事名・業務名の一部")
    p.add_argument("--min-amount", help="保証金額の下限")
    p.add_argument("--max-amount", help="保証金額の上限")
    p.add_argument("--type", help="種別")
    p.add_argument("--status", help="状態（受付・発行済・完了・解約・取消）")
    p.add_argument(
        "--limit", type=positive_int, help="表示件数（既定: 50。--format では既定ですべて）"
    )
    p.add_argument("--offset", type=nonneg_int, default=0, help="先頭から飛ばす件数")
    p.add_argument("--format", choices=["csv", "xlsx"], help="該当する保証をすべて書き出す")
    p.add_argument("--output", help="書き出すファイル（--format とともに）")
    json_flag(p)
    p.set_defaults(handler=guarantee_list)

    p = gua.add_parser("show", help="保証の内容を表示")
    p.add_argument("number", help="保証契約番号（10桁）")
    json_flag(p)
    p.set_defaults(handler=guarantee_show)

    demo = group("demo", "デモ・計測用のデータ")
    p = demo.add_parser("seed", help="それらしい受注者と保証を作る")
    p.add_argument("--count", type=positive_int, default=1000, help="保証の件数（1以上）")
    p.add_argument("--seed", type=int, default=1, help="乱数の種")
    json_flag(p)
    p.set_defaults(handler=demo_seed)

    register_knowledge(sub)


# --- knowledge files and orderers -------------------------------------------------------


def data_check(a: argparse.Namespace) -> int:
    from pathlib import Path

    from core.checks import check_files

    report = check_files([Path(p) for p in a.paths] or None)
    if a.json:
        emit(
            {
                "ok": report.ok,
                "files": report.files,
                "problems": [str(p) for p in report.problems],
                "orderers_by_category": report.orderers_by_category,
                "orderers_by_prefecture": report.orderers_by_prefecture,
                "unverified_orderers": report.unverified_orderers,
                "faq_entries": report.faq_entries,
                "faq_questions": report.faq_questions,
                "out_of_scope": report.out_of_scope,
                "branches": report.branches,
            }
        )
    else:
        print(report.render())
    return 0 if report.ok else 1


def data_load(a: argparse.Namespace) -> int:
    from pathlib import Path

    from core.orderers import sync_orderers

    r = sync_orderers(CTX.db, Path(a.path) if a.path else None)
    if a.json:
        emit(
            {
                "added": r.added,
                "updated": r.updated,
                "unchanged": r.unchanged,
                "unlisted": r.unlisted,
                "amendments": r.amendments,
            }
        )
    elif r.amendments:
        print(
            f"職員の修正を読み込みました: {r.amendments}件（新しい団体 {r.added}件、"
            f"更新 {r.updated}件、変更なし {r.unchanged}件）"
        )
    else:
        print(
            f"発注者を読み込みました: 追加 {r.added}件、更新 {r.updated}件、"
            f"変更なし {r.unchanged}件、一覧から外れた {r.unlisted}件"
            "（保証が参照するため削除はしません。職員の修正はそのまま）"
        )
    return 0


def _orderer_label(o: dict[str, Any]) -> str:
    return orderer_label(o["name"], o.get("prefecture"))


def _orderer_lines(o: dict[str, Any]) -> list[tuple[str, str]]:
    from core.orderers import history_line, rule_rows

    lines = [("発注者", _orderer_label(o)), ("読み", o.get("reading") or "—")]
    if o.get("code"):
        lines.append(("団体コード", o["code"]))
    lines += rule_rows(o)
    if o.get("aliases"):
        lines.append(("別名", "・".join(o["aliases"])))
    lines += [("備考", note) for note in o.get("notes") or []]
    if not o.get("verified", True):
        lines.append(("注意", "資料の表記に疑義あり（要確認）"))
    if o.get("source"):
        as_of = wareki(dates.parse_date(o["as_of"])) if o.get("as_of") else ""
        when = f"（{as_of}時点）" if as_of and as_of not in o["source"] else ""
        lines.append(("出典", f"{o['source']}{when}"))
    standing = o.get("standing") or {}
    if standing.get("note"):
        lines.append(("記録", standing["note"]))
    lines += [("履歴", history_line(h)) for h in o.get("history") or []]
    return lines


def _print_orderer(o: dict[str, Any]) -> None:
    for k, v in _orderer_lines(o):
        print(f"{pad(k, 16)}{v}")


def orderer_show(a: argparse.Namespace) -> int:
    from core.orderers import show_orderer

    o = show_orderer(CTX.db, a.name, a.prefecture)
    if a.json:
        emit(o)
        return 0
    _print_orderer(o)
    return 0


def orderer_list(a: argparse.Namespace) -> int:
    from core.orderers import list_orderers, start_text

    if a.summary:
        return _orderer_summary(a)
    rows = list_orderers(
        CTX.db, prefecture=a.prefecture, category=a.category, electronic=a.electronic
    )
    if a.json:
        emit(rows)
        return 0
    if not rows:
        print("該当する発注者はありません")
        return 0
    print_table(
        ["発注者", "都道府県", "区分", "団体コード", "運用開始"],
        [
            [
                o["name"],
                o.get("prefecture") or "—",
                o["category"],
                o.get("code") or "—",
                start_text(o),
            ]
            for o in rows
        ],
    )
    return 0


def _orderer_summary(a: argparse.Namespace) -> int:
    from core.orderers import SOURCE_KINDS, coverage_summary, summary_total

    groups = coverage_summary(CTX.db, a.prefecture)
    if a.json:
        emit(groups)
        return 0

    def when(raw: str | None) -> str:
        return wareki(dates.parse_date(raw)) if raw else "—"

    total = summary_total(groups)
    print_table(
        ["都道府県", "団体", "導入", *SOURCE_KINDS.values(), "最新の時点"],
        [
            [
                g["prefecture"],
                f"{g['bodies']:,}",
                f"{g['adopted']:,}",
                *(f"{g['by_source'][k]:,}" for k in SOURCE_KINDS),
                when(g["newest_as_of"]),
            ]
            for g in ([*groups, total] if len(groups) > 1 else groups)
        ],
    )
    return 0


def _split(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [x for x in text.replace("、", ",").replace("・", ",").split(",") if x.strip()]


def _done(a: argparse.Namespace, o: dict[str, Any], message: str) -> int:
    if a.json:
        emit(o)
    else:
        print(message)
        _print_orderer(o)
    return 0


def orderer_add(a: argparse.Namespace) -> int:
    from core.orderers import add_orderer

    o = add_orderer(
        CTX.db,
        name=a.name,
        prefecture=a.prefecture,
        category=a.category,
        reading=a.reading,
        aliases=_split(a.aliases) or [],
        operator=CTX.settings.operator,
    )
    return _done(a, o, f"発注者を登録しました: {_orderer_label(o)}")


def orderer_adopt(a: argparse.Namespace) -> int:
    from core.orderers import Adoption, adopt_orderer

    adoption = Adoption(
        start=a.start,
        source=a.source or "",
        as_of=a.as_of or "",
        precision=a.precision,
        applies_to=a.applies_to,
        kinds=_split(a.kinds),
        types=_split(a.types),
        submission=a.submission,
        submit_to=a.submit_to,
        url=a.url,
        issuer=a.issuer,
    )
    o = adopt_orderer(
        CTX.db, a.name, adoption, prefecture=a.prefecture, operator=CTX.settings.operator
    )
    return _done(a, o, f"電子保証の導入を記録しました: {_orderer_label(o)}")


def orderer_edit(a: argparse.Namespace) -> int:
    from core.orderers import edit_orderer

    changes = {
        "reading": a.reading,
        "aliases": _split(a.aliases),
        "category": a.category,
        "applies_to": a.applies_to,
        "kinds": _split(a.kinds),
        "submission": a.submission,
        "submit_to": a.submit_to,
        "notes": [a.note] if a.note else None,
        "departments": _split(a.departments),
        "excluded": _split(a.excluded),
    }
    o = edit_orderer(
        CTX.db,
        a.name,
        changes,
        source=a.source,
        as_of=a.as_of,
        url=a.url,
        prefecture=a.prefecture,
        operator=CTX.settings.operator,
    )
    return _done(a, o, f"発注者の記録を修正しました: {_orderer_label(o)}")


def orderer_export(a: argparse.Namespace) -> int:
    from core.files import check_output, write_file
    from core.orderers import export_orderers

    check_output(a.output)  # before the export is read and audited
    text, count = export_orderers(
        CTX.db, amendments_only=a.amendments, operator=CTX.settings.operator
    )
    write_file(a.output, text)
    if a.json:
        emit({"output": a.output, "amendments": a.amendments, "orderers": count})
    else:
        what = "職員の修正" if a.amendments else "発注者"
        print(f"{what} {count}件を {a.output} に書き出しました（hosho data check で検査できます）")
    return 0


def eligibility(a: argparse.Namespace) -> int:
    result = services.check_eligibility(
        CTX.db,
        orderer=a.orderer,
        type=a.type,
        contract_date=a.contract_date,
        kind=a.kind,
        channel=a.channel,
        cert_kind=a.cert_kind,
        original_contract_date=a.original_contract_date or "",
        announcement_date=a.announcement_date or "",
        award_date=a.award_date or "",
        amount=a.amount or "",
    )
    if a.json:
        emit(result.to_json())
        return 0
    v = result.to_json()
    print(f"発注者: {v['orderer'] or a.orderer + '（資料に掲載なし）'}")
    print_verdict(v)
    if result.suggestions:
        print(f"近い名前: {'、'.join(result.suggestions)}")
    if result.fee_note:
        print(f"保証料: {result.fee_note}")
    for d in result.deadlines:
        print(f"期限: {d.label}")
    return 0


def register_knowledge(sub: Any) -> None:
    p = sub.add_parser(
        "eligibility",
        help="この案件は電子証書にできるか（理由と出典つき）",
        description="発注者・種別・日付から、電子証書にできるかを理由と出典つきで判定します",
    )
    p.add_argument("--orderer", required=True, help="発注者（名前・別名・読み）")
    p.add_argument("--type", required=True, help="前払金・中間前払金・契約・契約保証予約")
    p.add_argument("--contract-date", required=True, help="契約締結日（変更・訂正ならその日）")
    p.add_argument("--kind", default="工事", help="工事・業務委託・地域維持（既定: 工事）")
    p.add_argument("--channel", default="e-Net", help="e-net・窓口（既定: e-Net）")
    p.add_argument("--cert-kind", default="新規", help="新規・変更・訂正（既定: 新規）")
    p.add_argument("--original-contract-date", help="当初の契約締結日（変更・訂正・中間前払金）")
    p.add_argument("--announcement-date", help="入札公告日（鳥栖市はこの日で判定）")
    p.add_argument("--award-date", help="落札日（鳥栖市の電子契約の期限）")
    p.add_argument("--amount", help="保証金額（e-Net割引の判定）")
    json_flag(p)
    p.set_defaults(handler=eligibility)

    data = add_group(sub, "data", "知識ファイル（data/*.yaml）の検査と読み込み")
    p = data.add_parser("check", help="知識ファイルを検査して件数を表示（問題があれば終了コード1）")
    p.add_argument("paths", nargs="*", help="検査するファイル（省略時は同梱の知識ファイルすべて）")
    json_flag(p)
    p.set_defaults(handler=data_check)
    p = data.add_parser("load", help="発注者をデータベースへ読み込む（何度実行しても同じ結果）")
    p.add_argument(
        "path", nargs="?", help="orderers.yaml か職員の修正のファイル（省略時は同梱のもの）"
    )
    json_flag(p)
    p.set_defaults(handler=data_load)

    orderer = add_group(sub, "orderer", "発注者の登録簿と電子保証ルール")
    p = orderer.add_parser("show", help="発注者を名前・別名・読みで探して表示（履歴つき）")
    p.add_argument("name", help="例: 鳥栖市 / とすし / 国交省")
    p.add_argument("--prefecture", help="同名の団体があるとき都道府県で絞る")
    json_flag(p)
    p.set_defaults(handler=orderer_show)
    p = orderer.add_parser("list", help="発注者の一覧")
    p.add_argument("--prefecture", help="都道府県（例: 佐賀県・佐賀）")
    p.add_argument("--category", help="区分（国・都道府県・市町村 など）")
    p.add_argument("--electronic", help="adopted（一覧に掲載あり）・not_listed（掲載なし）で絞る")
    p.add_argument(
        "--summary",
        action="store_true",
        help="都道府県ごとの導入団体数と出典の種類・最新の時点（情報の新しさの確認に）",
    )
    json_flag(p)
    p.set_defaults(handler=orderer_list)

    p = orderer.add_parser(
        "add", help="登録簿にない団体（一部事務組合・企業団・公社・広域連合など）を登録"
    )
    p.add_argument("name", help="正式名称")
    p.add_argument("--prefecture", required=True, help="都道府県（例: 佐賀県）")
    p.add_argument(
        "--category", required=True, help="区分（一部事務組合・広域連合・企業団・公社 など）"
    )
    p.add_argument("--reading", help="読み（ひらがな）")
    p.add_argument("--aliases", help="別名（カンマ区切り）")
    json_flag(p)
    p.set_defaults(handler=orderer_add)

    p = orderer.add_parser("adopt", help="発注者の電子保証の導入を出典つきで記録")
    p.add_argument("name", help="発注者（名前・別名・読み）")
    p.add_argument("--prefecture", help="同名の団体があるとき都道府県で絞る")
    p.add_argument("--start", required=True, help="運用開始日（西暦・和暦）")
    p.add_argument("--precision", default="day", help="day（日まで分かる）・month（月まで）")
    p.add_argument("--source", help="出典（ページの題名・通知の名前。URLを含めてもよい）")
    p.add_argument("--url", help="出典のURL")
    p.add_argument("--issuer", help="出典の発行元（例: 鳥栖市 契約検査課）")
    p.add_argument("--as-of", dest="as_of", help="出典の時点（ページの更新日・掲載日）")
    p.add_argument("--applies-to", dest="applies_to", help="判定日: 契約締結日・入札公告日")
    p.add_argument("--kinds", help="対象業務（工事,業務委託,地域維持）")
    p.add_argument("--types", help="対象の保証（前払金,中間前払金,契約。既定はすべて）")
    p.add_argument("--submission", help="認証キーの提出方法（例: 電子メール）")
    p.add_argument("--submit-to", dest="submit_to", help="認証キーの提出先（例: 契約検査課）")
    json_flag(p)
    p.set_defaults(handler=orderer_adopt)

    p = orderer.add_parser("edit", help="発注者の記録のその他の項目を修正（規則の変更は出典つき）")
    p.add_argument("name", help="発注者（名前・別名・読み）")
    p.add_argument("--prefecture", help="同名の団体があるとき都道府県で絞る")
    p.add_argument("--reading", help="読み（ひらがな）")
    p.add_argument("--aliases", help="別名（カンマ区切り。空文字で消去）")
    p.add_argument("--category", help="区分")
    p.add_argument("--applies-to", dest="applies_to", help="判定日: 契約締結日・入札公告日")
    p.add_argument("--kinds", help="対象業務（工事,業務委託,地域維持）")
    p.add_argument("--submission", help="認証キーの提出方法")
    p.add_argument("--submit-to", dest="submit_to", help="認証キーの提出先")
    p.add_argument("--departments", help="対象の部局（カンマ区切り）")
    p.add_argument("--excluded", help="受け付けない保証（例: 銀行,保険会社）")
    p.add_argument("--note", help="備考（1文）")
    p.add_argument("--source", help="出典（規則を変えるときは必須）")
    p.add_argument("--url", help="出典のURL")
    p.add_argument("--as-of", dest="as_of", help="出典の時点（規則を変えるときは必須）")
    json_flag(p)
    p.set_defaults(handler=orderer_edit)

    p = orderer.add_parser(
        "export", help="発注者の記録をYAMLに書き出す（--amendments で職員の修正だけ）"
    )
    p.add_argument("--amendments", action="store_true", help="職員の修正だけ（他の支店へ渡す）")
    p.add_argument("--output", required=True, help="書き出すファイル")
    json_flag(p)
    p.set_defaults(handler=orderer_export)
