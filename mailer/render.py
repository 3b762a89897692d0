"""Documents and the notice mail, all from the Jinja2 templates in ``mailer/templates``.

The printed documents (認証キー等のお知らせ, 保証証書) are templates that call block
functions (``title``, ``row``, ``text``, ...): the same blocks are drawn as a PDF (fpdf2,
with the Japanese font embedded), as HTML and as plain text. The notice mail has its own
text and HTML templates; it never shows the 認証キー, which travels only in the attached PDF.
"""

from __future__ import annotations

import email.policy
import email.utils
from dataclasses import dataclass, field
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from functools import cache
from pathlib import Path
from typing import Any, Literal

import jinja2

from core.certificates import CertificateDocument, header_problem, paper_problem
from core.dates import format_wareki
from core.errors import HoshoError
from core.money import format_yen
from mailer import fonts

TEMPLATES = Path(__file__).resolve().parent / "templates"

Format = Literal["pdf", "html", "text"]
BlockKind = Literal["title", "lead", "row", "heading", "text", "note", "right", "space"]


class HeaderError(HoshoError):
    """A header value that would break the message (CR/LF: header injection)."""


class RenderError(HoshoError):
    pass


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    text: str = ""
    value: str = ""


@dataclass
class _Group:
    """Consecutive rows form one table; anything else stands alone."""

    block: Block | None = None
    rows: list[Block] = field(default_factory=list)


def _wareki(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    return format_wareki(value.date() if isinstance(value, datetime) else value)


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "html.j2"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["wareki"] = _wareki
    env.filters["yen"] = format_yen
    return env


def contact_line(branch: str) -> str:
    """「熊本支店（TEL 096-… FAX …）」 from data/branches.yaml, or just the name."""
    try:
        from core.knowledge import load_branches

        found = next((b for b in load_branches().branches if b.name == branch), None)
    except HoshoError:
        found = None
    if found is None:
        return branch
    fax = f" FAX {found.fax}" if found.fax else ""
    return f"{branch}（TEL {found.phone}{fax}）"


def _context(doc: CertificateDocument) -> dict[str, Any]:
    return {"doc": doc, "contact": contact_line(doc.branch)}


def document_blocks(doc: CertificateDocument) -> tuple[str, list[Block]]:
    """The blocks of this version's document: the お知らせ (電子) or the 保証証書 (書面)."""
    blocks: list[Block] = []

    def adder(kind: BlockKind) -> Any:
        def add(text: Any = "", value: Any = "") -> str:
            blocks.append(Block(kind, "" if text is None else str(text), str(value or "")))
            return ""

        return add

    if doc.delivery == "電子":
        if doc.auth_key is None:
            raise RenderError(f"保証契約番号 {doc.guarantee_number} の認証キーがありません")
        name, title = "notice.j2", "認証キー等のお知らせ"
    else:
        if (problem := paper_problem(doc)) is not None:
            raise problem  # never a 保証証書 reading 「— から — まで」
        name, title = "certificate.j2", "保証証書"
    kinds: tuple[BlockKind, ...] = (
        "title",
        "lead",
        "row",
        "heading",
        "text",
        "note",
        "right",
        "space",
    )
    environment().get_template(name).render(**_context(doc), **{k: adder(k) for k in kinds})
    return title, blocks


def _groups(blocks: list[Block]) -> list[_Group]:
    groups: list[_Group] = []
    for b in blocks:
        if b.kind == "row":
            if not groups or not groups[-1].rows:
                groups.append(_Group())
            groups[-1].rows.append(b)
        else:
            groups.append(_Group(block=b))
    return groups


# --- PDF -----------------------------------------------------------------------------------

_MARGIN = 20.0
_LABEL_WIDTH = 45.0


def _pdf(title: str, blocks: list[Block], doc: CertificateDocument) -> bytes:
    from fpdf import FPDF

    path = fonts.font_for("".join(b.text + b.value for b in blocks) + title + doc.company)
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(True, margin=_MARGIN)
    pdf.add_font(fonts.FAMILY, fname=str(path))
    fonts.fast_embedding(pdf, fonts.FAMILY, path)
    pdf.set_title(f"{title} {doc.guarantee_number}")
    pdf.set_author(doc.company)
    pdf.set_creator("hosho")
    pdf.set_creation_date(doc.issued_at)
    pdf.add_page()
    width = pdf.w - 2 * _MARGIN
    for group in _groups(blocks):
        if group.rows:
            pdf.set_font(fonts.FAMILY, size=11)
            with pdf.table(
                col_widths=(_LABEL_WIDTH, width - _LABEL_WIDTH),
                width=width,
                first_row_as_headings=False,
                text_align="LEFT",
                line_height=7,
                padding=(1.5, 2),
                wrapmode="CHAR",
            ) as table:
                for r in group.rows:
                    row = table.row()
                    row.cell(r.text)
                    row.cell(r.value)
            pdf.ln(4)
            continue
        b = group.block
        assert b is not None
        if b.kind == "title":
            pdf.set_font(fonts.FAMILY, size=16)
            pdf.multi_cell(width, 10, b.text, align="C", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(4)
        elif b.kind == "heading":
            pdf.set_font(fonts.FAMILY, size=12)
            pdf.ln(2)
            pdf.multi_cell(width, 7, b.text, new_x="LMARGIN", new_y="NEXT")
        elif b.kind == "right":
            pdf.set_font(fonts.FAMILY, size=10)
            pdf.multi_cell(width, 6, b.text, align="R", new_x="LMARGIN", new_y="NEXT")
        elif b.kind == "note":
            pdf.set_font(fonts.FAMILY, size=9)
            pdf.multi_cell(width, 5.5, b.text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif b.kind == "space":
            pdf.ln(6)
        else:  # lead, text
            pdf.set_font(fonts.FAMILY, size=10.5)
            pdf.multi_cell(width, 6.5, b.text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
    return bytes(pdf.output())


def _html(title: str, blocks: list[Block]) -> str:
    return (
        environment().get_template("document.html.j2").render(title=title, groups=_groups(blocks))
    )


def _text(blocks: list[Block]) -> str:
    rows = [b for b in blocks if b.kind == "row"]
    width = max((len(b.text) for b in rows), default=0)
    out = (
        environment()
        .get_template("document.txt.j2")
        .render(groups=_groups(blocks), label_width=width)
    )
    return out.strip() + "\n"


def render_document(doc: CertificateDocument, fmt: Format) -> bytes:
    """The document of one version as PDF, HTML or text (UTF-8 bytes)."""
    title, blocks = document_blocks(doc)
    if fmt == "pdf":
        return _pdf(title, blocks, doc)
    if fmt == "html":
        return _html(title, blocks).encode("utf-8")
    if fmt == "text":
        return _text(blocks).encode("utf-8")
    raise RenderError(f"形式「{fmt}」は使えません（pdf・html・text）")


def _notice(doc: CertificateDocument) -> CertificateDocument:
    if doc.delivery != "電子":
        raise RenderError(
            f"保証契約番号 {doc.guarantee_number} 第{doc.version}版は書面の証書です"
            "（認証キー等のお知らせはありません）"
        )
    return doc


def render_notice_pdf(doc: CertificateDocument) -> bytes:
    return render_document(_notice(doc), "pdf")


def render_notice_html(doc: CertificateDocument) -> str:
    return render_document(_notice(doc), "html").decode("utf-8")


def render_notice_text(doc: CertificateDocument) -> str:
    return render_document(_notice(doc), "text").decode("utf-8")


def render_paper_certificate(doc: CertificateDocument) -> bytes:
    """The 保証証書 as PDF (書面 delivery; an electronic version prints the same terms)."""
    from dataclasses import replace

    title, blocks = document_blocks(replace(doc, delivery="書面"))
    return _pdf(title, blocks, doc)


# --- the notice mail -------------------------------------------------------------------------


def notice_filename(number: str) -> str:
    return f"認証キー等のお知らせ_{number}.pdf"


def render_email(doc: CertificateDocument, subject: str) -> tuple[str, str]:
    """(text, html) bodies of the notice mail. Refuses to produce one showing the key."""
    ctx = _context(doc) | {"subject": subject}
    env = environment()
    text = env.get_template("email.txt.j2").render(**ctx)
    html = env.get_template("email.html.j2").render(**ctx)
    if doc.auth_key and (doc.auth_key in text or doc.auth_key in html):
        raise RenderError("お知らせメールの本文に認証キーが入っています（テンプレートを確認）")
    return text, html


def _check_header(label: str, value: str) -> str:
    why = header_problem(value)
    if why is not None:
        raise HeaderError(f"メールの{label}に{why}。送信できません")
    return value


def _address(label: str, name: str, addr: str) -> Address:
    _check_header(label, name)
    _check_header(label, addr)
    local, at, domain = addr.strip().rpartition("@")
    if not at or not local or not domain or " " in addr.strip():
        raise HeaderError(f"メールの{label}「{addr}」はメールアドレスではありません")
    try:
        return Address(display_name=name.strip(), username=local, domain=domain)
    except (ValueError, IndexError) as exc:
        raise HeaderError(f"メールの{label}「{addr}」はメールアドレスではありません") from exc


def build_message(
    *,
    sender: str,
    sender_name: str,
    recipient: str,
    recipient_name: str,
    subject: str,
    message_id: str,
    text: str,
    html: str,
    attachment: bytes,
    filename: str,
    date: datetime | None = None,
) -> EmailMessage:
    """A MIME message: text + HTML alternatives and the PDF. Japanese headers are encoded
    (RFC 2047, RFC 2231 for the file name); CR/LF in any header value is refused."""
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = _address("差出人", sender_name, sender)
    msg["To"] = _address("宛先", recipient_name, recipient)
    msg["Subject"] = _check_header("件名", subject)
    msg["Message-ID"] = _check_header("Message-ID", message_id)
    msg["Date"] = email.utils.format_datetime(date or datetime.now().astimezone())
    # base64 keeps every line 7-bit: no reliance on the server's 8BITMIME
    msg.set_content(text, subtype="plain", charset="utf-8", cte="base64")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="base64")
    msg.add_attachment(
        attachment,
        maintype="application",
        subtype="pdf",
        filename=_check_header("添付ファイル名", filename),
    )
    return msg


def build_notice_message(
    doc: CertificateDocument,
    *,
    sender: str,
    recipient: str,
    subject: str,
    message_id: str,
    pdf: bytes | None = None,
) -> EmailMessage:
    """The 「電子証書・認証キー登録のお知らせ」 mail for one electronic version."""
    text, html = render_email(doc, subject)
    return build_message(
        sender=sender,
        sender_name=f"{doc.company} {doc.branch}",
        recipient=recipient,
        recipient_name=doc.customer_name,
        subject=subject,
        message_id=message_id,
        text=text,
        html=html,
        attachment=pdf if pdf is not None else render_notice_pdf(doc),
        filename=notice_filename(doc.guarantee_number),
    )
