"""``hosho certificate|notice|outbox`` and ``hosho guarantee change|correct``."""

from __future__ import annotations

import argparse
import logging
from datetime import datetime
from typing import Any

from cli.main import CTX, add_group, emit, json_flag, positive_int, print_table
from core import certificates
from core.errors import HoshoError
from core.money import format_yen
from core.present import wareki
from core.terms import CertKind

log = logging.getLogger(__name__)


def _when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else "—"


def _mail_domain() -> str:
    return str(CTX.settings.mail_from).rpartition("@")[2] or "localhost"


def _print_issue(r: certificates.IssueResult, verb: str) -> None:
    print(
        f"{verb}: 保証契約番号 {r.guarantee_number} 第{r.version}版"
        f"（{r.kind}・{'電子証書' if r.delivery == '電子' else '書面'}）"
    )
    for column, (old, new) in r.changes.items():
        label = next((x[2] for x in certificates.CHANGEABLE.values() if x[1] == column), column)
        if column in {"project_name", "bank"}:
            shown = [str(old or "—"), str(new or "—")]
        else:
            shown = [format_yen(v) if isinstance(v, int) else wareki(v) for v in (old, new)]
        print(f"  {label}: {shown[0]} → {shown[1]}")
    if r.auth_key:
        print(f"認証キー: {r.auth_key}（受注者には「認証キー等のお知らせ」のPDFで届きます）")
    if r.delivery == "電子":
        if r.notice_queued:
            print(f"お知らせメール: {r.recipient} 宛に送信待ち（hosho outbox send で送信）")
        else:
            print("お知らせメール: 送りません（下の注意を参照）")
    else:
        name = certificates.document_filename(r.guarantee_number, r.delivery)
        print(
            f"保証証書を印刷して交付してください（hosho notice render {r.guarantee_number}"
            f" --format pdf で {name} を作成）"
        )
    for w in r.warnings:
        print(f"注意: {w}")


# --- certificate ---------------------------------------------------------------------------


def _paper_hint(exc: certificates.MissingPaperFields, number: str, with_change: bool) -> str:
    """The command line's way to fill what a 保証証書 needs."""
    flags = " ".join(f"--{f.replace('_', '-')} 日付" for f in exc.fields)
    if with_change:
        return f"{exc}（{flags} を付けて実行し直してください）"
    return f"{exc}（hosho guarantee correct {number} {flags}）"


def certificate_issue(a: argparse.Namespace) -> int:
    try:
        r = certificates.issue_certificate(
            CTX.db,
            a.number,
            operator=CTX.settings.operator,
            confirmed=a.confirmed,
            branch=CTX.settings.branch,
            mail_domain=_mail_domain(),
        )
    except certificates.MissingPaperFields as exc:
        raise HoshoError(_paper_hint(exc, a.number, with_change=False)) from None
    return _issued(a, r, "証書を発行しました")


def _issued(a: argparse.Namespace, r: certificates.IssueResult, verb: str) -> int:
    """After an issue, 変更 or 訂正: the notice rendered, then the result told."""
    _prepare_notice(r)
    if a.json:
        emit(r.to_json())
    else:
        _print_issue(r, verb)
    return 0


def _prepare_notice(r: certificates.IssueResult) -> None:
    """Render the お知らせ PDF now, while staff wait anyway; sending then only reads it.
    If this fails, the notice is still queued and the sender renders it."""
    if r.notice_queued:
        from mailer.outbox import prepare_notice

        try:
            prepare_notice(CTX.db, r.certificate_id, CTX.settings)
        except Exception as exc:  # never lose the issued certificate over a rendering problem
            log.warning("notice PDF not prepared: %s", type(exc).__name__)


def certificate_list(a: argparse.Namespace) -> int:
    rows = certificates.list_certificates(
        CTX.db, a.number, reveal=a.reveal, operator=CTX.settings.operator
    )
    if a.json:
        emit([c.to_json() for c in rows])
        return 0
    if not rows:
        print(f"保証契約番号 {a.number} の証書はまだ発行されていません")
        return 0
    print_table(
        [
            "版",
            "区分",
            "変更契約日",
            "交付",
            "認証キー",
            "保証金額",
            "工事名",
            "発行",
            "発行者",
            "お知らせ",
        ],
        [
            [
                str(c.version) + ("（最新）" if c.latest else ""),
                c.kind,
                wareki(c.change_date) if c.change_date else "—",
                c.delivery,
                c.auth_key or "—",
                format_yen(int(c.terms.get("amount", 0))),
                str(c.terms.get("project_name", "")),
                _when(c.issued_at),
                c.issued_by,
                _STATUS_JA.get(c.notice_status or "", "—"),
            ]
            for c in rows
        ],
        right={5},
    )
    for c in rows:
        for w in c.warnings:
            print(f"第{c.version}版の注意: {w}")
    return 0


def certificate_verify(a: argparse.Namespace) -> int:
    r = certificates.verify(CTX.db, a.number, a.key, operator=CTX.settings.operator)
    if a.json:
        emit(r.to_json())
    elif r.ok:
        print(f"一致しました: 保証契約番号 {r.guarantee_number} 第{r.version}版の電子証書です")
    else:
        print(f"一致しません: 保証契約番号 {r.guarantee_number} と認証キーの組み合わせが違います")
    return 0 if r.ok else 1


# --- guarantee change / correct --------------------------------------------------------------


def _change(kind: CertKind) -> Any:
    def handler(a: argparse.Namespace) -> int:
        changes = {flag: getattr(a, flag) for flag in certificates.CHANGEABLE}
        given = {k: v for k, v in changes.items() if v is not None}
        try:
            r = certificates.change_guarantee(
                CTX.db,
                a.number,
                given,
                kind=kind,
                operator=CTX.settings.operator,
                confirmed=a.confirmed,
                branch=CTX.settings.branch,
                mail_domain=_mail_domain(),
                change_date=getattr(a, "change_date", None),
            )
        except certificates.NotIssuedYet:
            if kind is not CertKind.CORRECTION:
                raise
            return _corrected(a, certificates.correct_record(
                CTX.db, a.number, given, operator=CTX.settings.operator
            ))  # fmt: skip
        except certificates.MissingPaperFields as exc:
            raise HoshoError(_paper_hint(exc, a.number, with_change=True)) from None
        return _issued(a, r, f"{kind.value}を記録し、証書を発行しました")

    return handler


def _corrected(a: argparse.Namespace, r: certificates.RecordCorrection) -> int:
    """A 訂正 before the first issue: the record is fixed, no certificate yet."""
    if a.json:
        emit(r.to_json())
        return 0
    print(
        f"保証契約番号 {r.guarantee.guarantee_number} の記録を訂正しました"
        "（証書はまだ発行していません）"
    )
    for column, (old, new) in r.changes.items():
        label = next((x[2] for x in certificates.CHANGEABLE.values() if x[1] == column), column)
        if column in {"project_name", "bank"}:
            shown = [str(old or "—"), str(new or "—")]
        else:
            shown = [format_yen(v) if isinstance(v, int) else wareki(v) for v in (old, new)]
        print(f"  {label}: {shown[0]} → {shown[1]}")
    for w in r.guarantee.warnings:
        print(f"注意: {w}")
    print(f"発行は hosho certificate issue {r.guarantee.guarantee_number}")
    return 0


def _change_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("number", help="保証契約番号（10桁）")
    p.add_argument("--amount", help="保証金額")
    p.add_argument("--contract-amount", help="請負金額")
    p.add_argument("--contract-date", help="契約締結日")
    p.add_argument("--period-start", help="工期の始まり")
    p.add_argument("--period-end", help="工期の終わり")
    p.add_argument("--guarantee-end", help="保証期限")
    p.add_argument("--project", help="工事名・業務名")
    p.add_argument("--bank", help="前払金取扱金融機関")
    p.add_argument("--confirmed", action="store_true", help="要確認の点を発注者に確認済み")
    json_flag(p)


# --- notice ------------------------------------------------------------------------------------


def notice_render(a: argparse.Namespace) -> int:
    from core.files import check_output, write_file
    from mailer.render import render_document

    if a.output:
        check_output(a.output)  # before the document is made (and its reading audited)

    doc = certificates.certificate_document(
        CTX.db, a.number, a.version, operator=CTX.settings.operator, purpose=a.format
    )
    data = render_document(doc, a.format)
    name = certificates.document_filename(doc.guarantee_number, doc.delivery, a.format)
    # The お知らせ holds the 認証キー: readable by the staff member only.
    out = write_file(a.output or name, data, private=True)
    what = certificates.document_title(doc.delivery)
    if a.json:
        emit(
            {
                "guarantee_number": doc.guarantee_number,
                "version": doc.version,
                "document": what,
                "format": a.format,
                "output": str(out),
                "bytes": len(data),
            }
        )
    else:
        print(f"{what}（第{doc.version}版・{a.format}）を作成しました: {out}")
    return 0


# --- outbox ------------------------------------------------------------------------------------

_STATUS_JA = {"pending": "送信待ち", "sending": "送信中", "sent": "送信済", "failed": "失敗"}


def outbox_list(a: argparse.Namespace) -> int:
    from mailer.outbox import list_outbox

    rows = list_outbox(CTX.db, a.status)
    if a.json:
        emit([r.to_json() for r in rows])
        return 0
    if not rows:
        print("送信箱は空です")
        return 0
    print_table(
        [
            "ID",
            "保証契約番号",
            "版",
            "宛先",
            "状態",
            "試行",
            "次の送信",
            "送信日時",
            "最後のエラー",
        ],
        [
            [
                str(r.id),
                r.guarantee_number,
                str(r.version),
                r.recipient,
                _STATUS_JA.get(r.status, r.status),
                str(r.attempts),
                _when(r.next_attempt_at) if r.status in {"pending", "sending"} else "—",
                _when(r.sent_at),
                r.last_error or "",
            ]
            for r in rows
        ],
        right={0, 2, 5},
    )
    return 0


def outbox_send(a: argparse.Namespace) -> int:
    from mailer.outbox import send_pending

    report = send_pending(CTX.db, CTX.settings, all_=a.all)
    if a.json:
        emit(report.to_json())
        return 0 if report.ok else 1
    import sys

    for m in report.attempts:
        who = f"{m.guarantee_number} 第{m.version}版 → {m.recipient}"
        if m.status == "sent":
            print(f"送信しました: {who}")
        elif m.status == "pending" and m.error == report.stopped:
            continue  # the run stopped on it: said once, below
        elif m.status == "pending":
            print(
                f"送信できません（{_when(m.next_attempt_at)} に再送）: {who}: {m.error}",
                file=sys.stderr,
            )
        else:
            print(f"送信失敗（要対応）: {who}: {m.error}", file=sys.stderr)
    if not report.attempts and report.stopped is None:
        print("送信するお知らせはありません")
    elif report.attempts:
        print(f"送信 {report.sent}件、再送待ち {report.retrying}件、失敗 {report.failed}件")
    if report.stopped:
        print(f"送信を止めました: {report.stopped}", file=sys.stderr)
    if report.failed:
        print(
            "失敗したお知らせは宛先などを確認のうえ hosho outbox send --all で再送できます",
            file=sys.stderr,
        )
    return 0 if report.ok else 1


# --- registration ----------------------------------------------------------------------------


def _subcommands(sub: Any, name: str, help: str) -> Any:
    """The ACTION subparsers of an existing group (``guarantee``), or a new group."""
    parser = sub.choices.get(name)
    if parser is not None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                return action
    return add_group(sub, name, help)


def register(sub: Any) -> None:
    cert = add_group(sub, "certificate", "証書の発行・履歴・認証キーの照合")
    p = cert.add_parser("issue", help="新規の証書を発行（電子なら認証キーとお知らせメール）")
    p.add_argument("number", help="保証契約番号（10桁）")
    p.add_argument("--confirmed", action="store_true", help="要確認の点を発注者に確認済み")
    json_flag(p)
    p.set_defaults(handler=certificate_issue)
    p = cert.add_parser("list", help="証書のすべての版（認証キーは伏せ字）")
    p.add_argument("number", help="保証契約番号（10桁）")
    p.add_argument("--reveal", action="store_true", help="認証キーを表示（記録に残ります）")
    json_flag(p)
    p.set_defaults(handler=certificate_list)
    p = cert.add_parser(
        "verify", help="保証契約番号と認証キーの組み合わせを照合（一致しなければ終了コード1）"
    )
    p.add_argument("number", help="保証契約番号（10桁）")
    p.add_argument("key", help="認証キー（10文字）")
    json_flag(p)
    p.set_defaults(handler=certificate_verify)

    gua = _subcommands(sub, "guarantee", "保証の登録・検索・表示")
    p = gua.add_parser("change", help="変更を記録して次の版の証書を発行")
    _change_flags(p)
    p.add_argument("--change-date", help="変更契約日（契約締結日以後）")
    p.set_defaults(handler=_change(CertKind.CHANGE))
    p = gua.add_parser(
        "correct", help="訂正を記録して次の版の証書を発行（発行前なら記録だけを訂正）"
    )
    _change_flags(p)
    p.set_defaults(handler=_change(CertKind.CORRECTION))

    notice = add_group(sub, "notice", "認証キー等のお知らせ・保証証書の作成")
    p = notice.add_parser("render", help="お知らせ（電子）または保証証書（書面）をファイルに出力")
    p.add_argument("number", help="保証契約番号（10桁）")
    p.add_argument("--format", required=True, choices=["pdf", "html", "text"], help="出力形式")
    p.add_argument(
        "--output",
        help="出力ファイル（省略時は 保証証書_番号.pdf または 認証キー等のお知らせ_番号.pdf）",
    )
    p.add_argument("--version", type=positive_int, help="版（省略時は最新）")
    json_flag(p)
    p.set_defaults(handler=notice_render)

    box = add_group(sub, "outbox", "お知らせメールの送信箱")
    p = box.add_parser("list", help="送信箱の一覧")
    p.add_argument(
        "--status", choices=["pending", "sending", "sent", "failed"], help="状態で絞り込み"
    )
    json_flag(p)
    p.set_defaults(handler=outbox_list)
    p = box.add_parser("send", help="送信時刻の来たお知らせを送る（失敗があれば終了コード1）")
    p.add_argument(
        "--all", action="store_true", help="未送信をすべて今すぐ送る（再送待ち・失敗も）"
    )
    json_flag(p)
    p.set_defaults(handler=outbox_send)
