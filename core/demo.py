"""Realistic synthetic customers and guarantees, for demos and benchmarks."""

from __future__ import annotations

import random
import time
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlmodel import Session, col

from core.db import Database
from core.errors import HoshoError, ValidationError
from core.models import Customer, Guarantee, Orderer, audit, now
from core.numbering import reserve_numbers
from core.terms import Channel, Delivery, GType, Kind, Status

_SURNAMES = [
    "田中",
    "中村",
    "山本",
    "松本",
    "井上",
    "木村",
    "林",
    "清水",
    "山口",
    "森",
    "池田",
    "橋本",
    "石川",
    "前田",
    "藤田",
    "後藤",
    "岡田",
    "村上",
    "長谷川",
    "近藤",
    "坂本",
    "遠藤",
    "青木",
    "西村",
    "福田",
    "太田",
    "三浦",
    "藤井",
    "岡本",
    "松田",
    "中川",
    "中野",
    "原田",
    "小野",
    "竹内",
]
_PLACES = [
    "肥後",
    "阿蘇",
    "天草",
    "球磨",
    "八代",
    "玉名",
    "菊池",
    "宇城",
    "佐賀",
    "唐津",
    "広島",
    "出雲",
    "松江",
    "備後",
    "筑後",
    "豊前",
]
# 商号カナ: the reading of each surname and place, and of each form's trade word (株式会社 and
# the like are left out of a 商号カナ, as e-Net does).
_READINGS = dict(
    zip(
        _SURNAMES + _PLACES,
        [
            "タナカ",
            "ナカムラ",
            "ヤマモト",
            "マツモト",
            "イノウエ",
            "キムラ",
            "ハヤシ",
            "シミズ",
            "ヤマグチ",
            "モリ",
            "イケダ",
            "ハシモト",
            "イシカワ",
            "マエダ",
            "フジタ",
            "ゴトウ",
            "オカダ",
            "ムラカミ",
            "ハセガワ",
            "コンドウ",
            "サカモト",
            "エンドウ",
            "アオキ",
            "ニシムラ",
            "フクダ",
            "オオタ",
            "ミウラ",
            "フジイ",
            "オカモト",
            "マツダ",
            "ナカガワ",
            "ナカノ",
            "ハラダ",
            "オノ",
            "タケウチ",
            "ヒゴ",
            "アソ",
            "アマクサ",
            "クマ",
            "ヤツシロ",
            "タマナ",
            "キクチ",
            "ウキ",
            "サガ",
            "カラツ",
            "ヒロシマ",
            "イズモ",
            "マツエ",
            "ビンゴ",
            "チクゴ",
            "ブゼン",
        ],
        strict=True,
    )
)
_GIVEN = ["一郎", "健二", "誠", "茂", "浩", "聡"]
_FORMS = ("株式会社{}建設", "{}土木株式会社", "有限会社{}組", "{}工業株式会社", "株式会社{}技建")
_FORM_KANA = dict(
    zip(_FORMS, ("{}ケンセツ", "{}ドボク", "{}グミ", "{}コウギョウ", "{}ギケン"), strict=True)
)
_WORKS = (
    "道路改良工事",
    "橋梁補修工事",
    "河川改修工事",
    "舗装修繕工事",
    "砂防堰堤工事",
    "下水道管渠布設工事",
    "校舎大規模改造工事",
    "護岸災害復旧工事",
    "法面保護工事",
)
_SERVICES = ("測量業務委託", "道路詳細設計業務委託", "橋梁点検業務委託", "地質調査業務委託")
_ROUTES = ("県道", "市道", "町道", "一級河川", "二級河川", "国道")
_BANKS = ("肥後銀行", "熊本銀行", "佐賀銀行", "広島銀行", "山陰合同銀行", "西日本シティ銀行")


def _customers(rng: random.Random, n: int, first: int) -> list[dict[str, Any]]:
    """``n`` customers numbered after ``first`` (their emails and e-Net保証 IDs carry the
    number: a second seeding adds new ones)."""
    stamp = now()
    rows = []
    for i in range(first, first + n):
        form, base = rng.choice(_FORMS), rng.choice(_SURNAMES + _PLACES)
        name = form.format(base)
        rows.append(
            {
                "name": f"{name}",
                "kana": _FORM_KANA[form].format(_READINGS[base]),
                "address": f"{rng.choice(_PLACES)}市中央{rng.randint(1, 9)}-{rng.randint(1, 30)}",
                "representative": f"{rng.choice(_SURNAMES)} {rng.choice(_GIVEN)}",
                "contact_person": rng.choice(_SURNAMES),
                "email": f"info{i + 1}@example.jp",
                "phone": f"096-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
                "enet_id": f"E{rng.randint(0, 99):02d}{i + 1:07d}" if rng.random() < 0.8 else None,
                "created_at": stamp,
            }
        )
    return rows


def seed(db: Database, count: int, *, seed: int = 1, prefix: str = "207") -> dict[str, Any]:
    """Add ``count`` guarantees (and about count/20 customers) in large batches. Seeding again,
    with the same ``seed`` too, adds as many again: new customers (their e-Net保証 IDs and
    emails numbered after those there) and new 保証契約番号."""
    if count < 1:
        raise ValidationError([("count", f"保証の件数は1以上にしてください（{count}）")])
    started = time.perf_counter()
    rng = random.Random(seed)
    n_customers = max(1, count // 20)
    with db.session() as s:
        orderer_ids = list(s.scalars(select(col(Orderer.id)).where(col(Orderer.listed))))
        if not orderer_ids:
            raise HoshoError(
                "発注者が読み込まれていません。先に hosho data load を実行してください"
            )
        first = s.scalar(select(func.count()).select_from(Customer)) or 0
        rows = _customers(rng, n_customers, first)
        taken = _enet_ids_taken(s, [r["enet_id"] for r in rows if r["enet_id"]])
        for row in rows:
            if row["enet_id"] in taken:  # staff registered that ID: leave the demo one without
                row["enet_id"] = None
        customer_ids = list(
            s.scalars(
                insert(Customer).returning(col(Customer.id), sort_by_parameter_order=True), rows
            )
        )
        audit(s, "demo", "demo.seed", "database", customers=n_customers, guarantees=count)
    start_day, span = date(2022, 5, 1), (date(2026, 11, 30) - date(2022, 5, 1)).days
    batch = 20_000
    types = [GType.ADVANCE] * 6 + [GType.CONTRACT] * 3 + [GType.INTERIM]
    for offset in range(0, count, batch):
        size = min(batch, count - offset)
        with db.session() as s:
            numbers = reserve_numbers(s, prefix, size)
            stamp = now()
            rows = []
            for number in numbers:
                gtype = rng.choice(types)
                kind = Kind.SERVICES if rng.random() < 0.2 else Kind.WORKS
                contract = rng.randrange(3, 800) * 1_000_000 + rng.randrange(0, 100) * 10_000
                share = {GType.ADVANCE: 0.4, GType.INTERIM: 0.2, GType.CONTRACT: 0.1}[gtype]
                amount = int(contract * share) // 1000 * 1000
                signed = start_day + timedelta(days=rng.randrange(span))
                end = signed + timedelta(days=rng.randrange(60, 540))
                work = _SERVICES if kind is Kind.SERVICES else _WORKS
                enet = rng.random() < 0.8
                rows.append(
                    {
                        "number": number,
                        "type": gtype.value,
                        "customer_id": rng.choice(customer_ids),
                        "orderer_id": rng.choice(orderer_ids),
                        "project_name": (
                            f"{rng.choice(_ROUTES)}{rng.choice(_PLACES)}線 {rng.choice(work)}"
                        ),
                        "contract_kind": kind.value,
                        "contract_amount": contract,
                        "amount": amount,
                        "contract_date": signed,
                        "announcement_date": signed - timedelta(days=rng.randrange(20, 50)),
                        "period_start": signed,
                        "period_end": end,
                        "guarantee_end": end,
                        "original_contract_date": None,
                        "bank": rng.choice(_BANKS) if gtype is not GType.CONTRACT else "",
                        "channel": (Channel.ENET if enet else Channel.COUNTER).value,
                        "delivery": (Delivery.ELECTRONIC if enet else Delivery.PAPER).value,
                        "status": (Status.ISSUED if rng.random() < 0.9 else Status.RECORDED).value,
                        "fee": None,
                        "fee_discount": 0,
                        "eligibility": None,
                        "created_at": stamp,
                        "created_by": "demo",
                        "updated_at": stamp,
                    }
                )
            s.execute(insert(Guarantee), rows)
    return {
        "customers": n_customers,
        "guarantees": count,
        "seconds": round(time.perf_counter() - started, 2),
    }


def _enet_ids_taken(s: Session, ids: list[str]) -> set[str]:
    taken: set[str] = set()
    for start in range(0, len(ids), 5_000):
        part = ids[start : start + 5_000]
        taken.update(
            s.scalars(select(col(Customer.enet_id)).where(col(Customer.enet_id).in_(part)))
        )
    return taken
