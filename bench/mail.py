"""Notices per second: the outbox (claim + build + send + record) vs a bare aiosmtplib loop.

    .venv/bin/python bench/mail.py [--count 500] [--url postgresql://...]

Both send the same messages over one reused connection to a local aiosmtpd running in its
own process. As with `hosho certificate issue`, each お知らせ PDF is rendered when its
certificate is issued (timed separately below); the outbox claims each due row, reads the
kept PDF, builds the mail, sends it and records it as sent in its own transaction; the bare
loop sends messages built beforehand. Target: outbox >= 0.8 x bare.
It also times the work done at issue time (rendering the PDF and building the mail).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiosmtplib

from core import certificates, services
from core.db import Database, open_database
from core.models import Outbox
from core.settings import Settings
from mailer import outbox, render

SERVER = """
import sys, time
from aiosmtpd.controller import Controller

class Count:
    n = 0
    async def handle_DATA(self, server, session, envelope):
        Count.n += 1
        return "250 OK"

c = Controller(Count(), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
print("ready", flush=True)
sys.stdin.read()  # until the bench closes our stdin
c.stop()
"""

PROJECTS = [
    "県道熊本高森線 道路改良工事",
    "一級河川白川 護岸改修工事（その2）",
    "国道57号 舗装補修工事",
    "熊本市立小学校 校舎耐震補強工事",
    "阿蘇地区 砂防えん堤工事",
]
CUSTOMERS = ["株式会社肥後建設", "阿蘇土木株式会社", "有限会社天草工務店", "球磨川建設株式会社"]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def seed(db: Database, count: int, settings: Settings) -> None:
    ids = [
        services.add_customer(db, name=n, email=f"c{i}@example.jp", operator="bench").id
        for i, n in enumerate(CUSTOMERS)
    ]
    for i in range(count):
        draft = services.GuaranteeDraft(
            type="前払金",
            customer=str(ids[i % len(ids)]),
            orderer="熊本県",
            project=PROJECTS[i % len(PROJECTS)],
            contract_amount="100,000,000",
            amount="40,000,000",
            contract_date="2026-04-01",
            period_end="2027-03-31",
        )
        g = services.add_guarantee(
            db,
            draft,
            operator="bench",
            number_prefix="207",
            confirmed=True,  # look-alikes
        )
        r = certificates.issue_certificate(
            db, g.guarantee_number, operator="bench", branch="熊本支店", mail_domain="bench.example"
        )
        outbox.prepare_notice(db, r.certificate_id, settings)  # as `certificate issue` does


def documents(db: Database) -> list[tuple[certificates.CertificateDocument, Outbox]]:
    from sqlalchemy import select

    with db.reader() as s:
        rows = list(s.scalars(select(Outbox).order_by(Outbox.id)))  # type: ignore[arg-type]
        return [(certificates.document_for_certificate(s, r.certificate_id), r) for r in rows]


async def bare(messages: list[object], port: int) -> float:
    """EmailMessage objects (serialized on each send) or their bytes (sent as they are)."""
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
    await smtp.connect()
    started = time.perf_counter()
    for m in messages:
        if isinstance(m, bytes):
            await smtp.sendmail("hosho@bench.example", ["c@example.jp"], m)
        else:
            await smtp.send_message(m)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    await smtp.quit()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--url", help="database URL (default: a new SQLite file)")
    args = ap.parse_args()
    n = args.count

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stdout.readline().strip() == "ready"
    tmp = tempfile.mkdtemp(prefix="hosho-bench-mail-")
    db = open_database(args.url or f"sqlite:///{tmp}/bench.db", auto_upgrade=True)
    try:
        print(f"seeding {n} electronic certificates (notices queued) ...", flush=True)
        settings = Settings(
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_security="none",
            mail_from="hosho@bench.example",
            database_url=args.url or f"sqlite:///{tmp}/bench.db",
        )
        t = time.perf_counter()
        seed(db, n, settings)
        issue_s = time.perf_counter() - t
        # warm the font (first load of the OpenType file and glyph outlines) like a
        # long-running sender would be; the bare loop gets pre-built messages anyway
        docs = documents(db)
        render.render_notice_pdf(docs[0][0])

        started = time.perf_counter()
        report = asyncio.run(outbox.send_pending_async(db, settings))
        box_s = time.perf_counter() - started
        assert report.sent == n, report.to_json()

        messages = [
            render.build_notice_message(
                d,
                sender=settings.mail_from,
                recipient=row.recipient,
                subject=row.subject,
                message_id=row.message_id,
            )
            for d, row in docs
        ]
        bare_s = asyncio.run(bare(messages, port))
        bare_bytes_s = asyncio.run(bare([m.as_bytes() for m in messages], port))  # type: ignore[attr-defined]

        # where the outbox's time goes, each part alone
        t = time.perf_counter()
        pdfs = [render.render_notice_pdf(d) for d, _ in docs]
        pdf_s = time.perf_counter() - t
        t = time.perf_counter()
        for (d, row), pdf in zip(docs, pdfs, strict=True):
            render.build_notice_message(
                d,
                sender=settings.mail_from,
                recipient=row.recipient,
                subject=row.subject,
                message_id=row.message_id,
                pdf=pdf,
            )
        build_s = time.perf_counter() - t
        size = sum(len(m.as_bytes()) for m in messages[:20]) / 20  # type: ignore[attr-defined]
    finally:
        db.dispose()
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=10)

    box_rate, bare_rate, bytes_rate = n / box_s, n / bare_s, n / bare_bytes_s
    print(
        f"\n{n} notices, one connection, aiosmtpd in its own process, mail ≈ {size / 1024:.0f} KB"
    )
    for label, secs, rate in (
        ("outbox (claim + send + record):", box_s, box_rate),
        ("bare aiosmtplib loop:", bare_s, bare_rate),
        ("bare loop, same bytes (sendmail):", bare_bytes_s, bytes_rate),
    ):
        print(f"  {label:<33}{rate:8.1f} msgs/s  ({secs * 1000 / n:6.2f} ms each)")
    print(f"  ratio outbox / bare:             {box_rate / bare_rate:8.2f}   (target >= 0.80)")
    print(f"  ratio outbox / bare bytes:       {box_rate / bytes_rate:8.2f}")
    print("\nat issue time, before the outbox (ms per notice, measured alone):")
    for label, secs in (
        ("issue + render + build, as staff wait", issue_s),
        ("  of which PDF rendering (fpdf2)", pdf_s),
        ("  of which mail text/HTML + MIME", build_s),
    ):
        print(f"  {label:<38}{secs * 1000 / n:7.2f}")
    os.environ.pop("HOSHO_DATABASE_URL", None)


if __name__ == "__main__":
    main()
