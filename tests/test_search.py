"""The combined guarantee search (電子帳簿保存法: 取引年月日, 取引先, 取引金額 with ranges)."""

from __future__ import annotations

import itertools

import pytest

from core import services
from core.db import Database
from core.errors import ValidationError
from tests.helpers import cli, make_guarantee

ORDERERS = ["熊本県", "鳥栖市", "広島県"]
TYPES = ["前払金", "契約", "中間前払金"]


@pytest.fixture
def book(env_db: Database) -> list[services.GuaranteeView]:
    """27 guarantees: 3 customers x 3 orderers x 3 dates, amounts and types varying."""
    a = services.add_customer(env_db, name="株式会社肥後建設", enet_id="E1", operator="t")
    b = services.add_customer(env_db, name="有限会社阿蘇組", operator="t")
    c = services.add_customer(env_db, name="佐賀土木株式会社", operator="t")
    made = []
    for i, (cust, orderer, day) in enumerate(
        itertools.product([a, b, c], ORDERERS, ["2025-04-01", "2025-10-01", "2026-04-01"])
    ):
        made.append(
            make_guarantee(
                env_db,
                cust.id,
                type=TYPES[i % 3],
                orderer=orderer,
                project=f"工事{i}",
                amount=f"{(i + 1) * 1_000_000}",
                contract_date=day,
            )
        )
    return made


def numbers(rows: list[services.GuaranteeView]) -> set[str]:
    return {g.guarantee_number for g in rows}


def run(db: Database, **kw: object) -> list[services.GuaranteeView]:
    return services.search_guarantees(db, services.parse_filter(limit=100, **kw))  # type: ignore[arg-type]


def test_each_filter_alone(env_db: Database, book: list[services.GuaranteeView]) -> None:
    assert numbers(run(env_db)) == numbers(book)
    assert numbers(run(env_db, date_from="令和7年10月1日")) == {
        g.guarantee_number for g in book if g.contract_date.isoformat() >= "2025-10-01"
    }
    assert numbers(run(env_db, date_to="R7.4.1")) == {
        g.guarantee_number for g in book if g.contract_date.isoformat() <= "2025-04-01"
    }
    assert numbers(run(env_db, customer="阿蘇")) == {
        g.guarantee_number for g in book if g.customer == "有限会社阿蘇組"
    }
    assert numbers(run(env_db, customer="E1")) == {
        g.guarantee_number for g in book if g.customer == "株式会社肥後建設"
    }
    assert numbers(run(env_db, orderer="とすし")) == {
        g.guarantee_number for g in book if g.orderer == "鳥栖市"
    }
    assert numbers(run(env_db, min_amount="20百万" if False else "20,000,000")) == {
        g.guarantee_number for g in book if g.amount >= 20_000_000
    }
    assert numbers(run(env_db, max_amount="500万")) == {
        g.guarantee_number for g in book if g.amount <= 5_000_000
    }
    assert numbers(run(env_db, type="contract")) == {
        g.guarantee_number for g in book if g.type == "契約"
    }
    assert numbers(run(env_db, status="受付")) == numbers(book)
    assert run(env_db, status="発行済") == []


def test_filters_combine(env_db: Database, book: list[services.GuaranteeView]) -> None:
    got = run(
        env_db,
        date_from="2025-05-01",
        date_to="2026-12-31",
        customer="肥後",
        orderer="熊本県",
        min_amount="1,000,000",
        max_amount="3,000,000",
    )
    expected = {
        g.guarantee_number
        for g in book
        if g.contract_date.isoformat() >= "2025-05-01"
        and g.customer == "株式会社肥後建設"
        and g.orderer == "熊本県"
        and 1_000_000 <= g.amount <= 3_000_000
    }
    assert expected and numbers(got) == expected


def test_order_limit_and_offset(env_db: Database, book: list[services.GuaranteeView]) -> None:
    everything = run(env_db)
    keys = [(g.contract_date, g.guarantee_number) for g in everything]
    assert keys == sorted(keys, reverse=True)
    page1 = services.search_guarantees(env_db, services.parse_filter(limit=10))
    page2 = services.search_guarantees(env_db, services.parse_filter(limit=10, offset=10))
    assert [g.guarantee_number for g in page1 + page2] == [
        g.guarantee_number for g in everything[:20]
    ]
    assert services.count_guarantees(env_db, services.parse_filter(customer="阿蘇")) == 9


def test_bad_filters_are_all_reported() -> None:
    with pytest.raises(ValidationError) as exc:
        services.parse_filter(
            date_from="2026-13-01", min_amount="たくさん", type="保険", date_to=""
        )
    assert len(exc.value.problems) == 3
    with pytest.raises(ValidationError, match="期間の終わりが始まりより前"):
        services.parse_filter(date_from="R8.4.1", date_to="R8.3.1")
    with pytest.raises(ValidationError, match="上限金額が下限金額より小さく"):
        services.parse_filter(min_amount="200万", max_amount="100万")


def test_list_command_json(
    env_db: Database, book: list[services.GuaranteeView], capsys: pytest.CaptureFixture[str]
) -> None:
    r = cli(
        capsys,
        "guarantee",
        "list",
        "--orderer",
        "広島県",
        "--type",
        "前払金",
        "--limit",
        "2",
        "--json",
    )
    assert r.code == 0, r.err
    rows = r.json
    assert len(rows) == 2
    assert all(g["orderer"] == "広島県" and g["type"] == "前払金" for g in rows)
    assert {"guarantee_number", "contract_date", "customer", "amount", "status"} <= rows[0].keys()
    human = cli(capsys, "guarantee", "list", "--customer", "存在しない会社")
    assert human.code == 0 and "条件に合う保証はありません" in human.out
    bad = cli(capsys, "guarantee", "list", "--from", "令和元年4月30日")
    assert bad.code == 1 and "令和元年4月30日" in bad.err


def test_list_command_project(
    env_db: Database, book: list[services.GuaranteeView], capsys: pytest.CaptureFixture[str]
) -> None:
    r = cli(capsys, "guarantee", "list", "--project", "工事2", "--customer", "佐賀", "--json")
    assert r.code == 0, r.err
    assert {g["guarantee_number"] for g in r.json} == {
        g.guarantee_number
        for g in book
        if "工事2" in g.project_name and g.customer == "佐賀土木株式会社"
    }
    assert all("工事2" in g["project_name"] for g in r.json)


# --- 工事名 and 商号カナ; the same substring semantics on both backends -------------------


def test_project_filter(env_db: Database, book: list[services.GuaranteeView]) -> None:
    assert numbers(run(env_db, project="工事1")) == {
        g.guarantee_number for g in book if "工事1" in g.project_name
    }
    got = run(env_db, project="工事1", customer="阿蘇", type="契約")
    expected = {
        g.guarantee_number
        for g in book
        if "工事1" in g.project_name and g.customer == "有限会社阿蘇組" and g.type == "契約"
    }
    assert expected and numbers(got) == expected
    assert run(env_db, project="存在しない工事") == []
    assert services.count_guarantees(env_db, services.parse_filter(project="工事2")) == len(
        [g for g in book if "工事2" in g.project_name]
    )


def test_customer_text_matches_the_kana(env_db: Database) -> None:
    higo = services.add_customer(
        env_db, name="株式会社肥後建設", kana="ヒゴ　ケンセツ", operator="t"
    )
    aso = services.add_customer(env_db, name="有限会社阿蘇組", kana="あそぐみ", operator="t")
    g1 = make_guarantee(env_db, higo.id).guarantee_number
    g2 = make_guarantee(env_db, aso.id).guarantee_number
    for typed, expected in [
        ("ひごけんせつ", {g1}),  # hiragana typed, katakana stored, its space ignored
        ("ヒゴケン", {g1}),
        ("ｹﾝｾﾂ", {g1}),  # half-width
        ("ひご けん", {g1}),
        ("あそ", {g2}),  # two characters: no trigram
        ("ぐ", {g2}),
        ("アソグミ", {g2}),
        ("そぐみ", {g2}),
        ("ひごあそ", set()),
        ("肥後", {g1}),  # the 商号 still
    ]:
        assert numbers(run(env_db, customer=typed)) == expected, typed


NAMES = [
    "ＡＢＣ建設",
    "abc建設",
    "ABC土木",
    "50%組",
    "a_b工務店",
    "axb工務店",
    'x"y組',
    "c\\d組",
    "組",
]
NEEDLES = [
    "組",
    "建設",
    "50",
    "%",
    "_",
    "\\",
    '"',
    "%組",
    "50%",
    "a_b",
    "x_b",
    "abc",
    "ABC",
    "ＡＢＣ",
    "c\\d",
    'x"y',
    "BC土",
    "工務店",
    "ab",
    "a%",
]


@pytest.fixture
def odd_book(env_db: Database) -> dict[str, str]:
    """A guarantee per odd name, its 工事名 the same text: number → text."""
    made = {}
    for name in NAMES:
        c = services.add_customer(env_db, name=name, operator="t", confirmed=True)
        g = make_guarantee(env_db, c.id, project=f"{name}の工事")
        made[g.guarantee_number] = name
    return made


@pytest.mark.parametrize("needle", NEEDLES)
def test_text_is_matched_as_typed(env_db: Database, odd_book: dict[str, str], needle: str) -> None:
    """Exactly Python's ``in`` on both backends, however short the text (trigram indexes
    need three characters): letter case and width as typed, %, _, \\ and " literal."""
    expected = {n for n, text in odd_book.items() if needle in text}
    assert numbers(run(env_db, customer=needle)) == expected
    assert numbers(run(env_db, project=needle)) == expected
    f = services.parse_filter(project=needle, customer=needle)
    assert services.count_guarantees(env_db, f) == len(expected)


def test_text_indexes_follow_edits(env_db: Database) -> None:
    """The FTS5 tables (SQLite, kept by triggers) and the trigram indexes follow a customer
    edit and a 工事名 corrected before the first issue."""
    from core.certificates import correct_record
    from core.customers import edit_customer

    c = services.add_customer(env_db, name="株式会社球磨技建", kana="クマギケン", operator="t")
    g = make_guarantee(env_db, c.id, project="球磨川護岸災害復旧工事").guarantee_number
    assert numbers(run(env_db, customer="球磨技建")) == {g}
    edit_customer(
        env_db, str(c.id), {"name": "株式会社人吉技建", "kana": "ひとよし　ぎけん"}, operator="t"
    )
    assert run(env_db, customer="球磨技建") == [] and run(env_db, customer="くまぎけん") == []
    assert numbers(run(env_db, customer="人吉技建")) == {g}
    assert numbers(run(env_db, customer="ひとよしぎ")) == {g}
    assert numbers(run(env_db, project="護岸災害")) == {g}
    correct_record(env_db, g, {"project": "人吉市道 舗装修繕工事"}, operator="t")
    assert run(env_db, project="護岸災害") == [] and run(env_db, project="球磨川") == []
    assert numbers(run(env_db, project="舗装修繕")) == {g}
    assert numbers(run(env_db, project="人吉市道 舗装", customer="人吉")) == {g}


def test_text_search_tables_stay_in_step(env_db: Database) -> None:
    """Rows written or removed by SQL (a data fix, a delete) are found or forgotten too."""
    from sqlalchemy import delete, update

    from core.models import Customer, Guarantee

    c = services.add_customer(
        env_db, name="株式会社八代建設", kana="ヤツシロケンセツ", operator="t"
    )
    g = make_guarantee(env_db, c.id, project="八代港臨港道路工事").guarantee_number
    with env_db.session() as s:
        s.execute(update(Customer).where(Customer.id == c.id).values(name="株式会社氷川建設"))
        s.execute(update(Guarantee).where(Guarantee.number == g).values(project_name="氷川堤防"))
    assert numbers(run(env_db, customer="氷川建")) == {g} and run(env_db, customer="八代建") == []
    assert numbers(run(env_db, project="氷川堤")) == {g} and run(env_db, project="臨港道") == []
    assert numbers(run(env_db, customer="やつしろけん")) == {g}
    with env_db.session() as s:
        s.execute(delete(Guarantee).where(Guarantee.number == g))
        s.execute(delete(Customer).where(Customer.id == c.id))
    assert run(env_db, project="氷川堤") == [] and run(env_db, customer="氷川建") == []
    assert run(env_db, customer="やつしろけん") == []


def test_every_way_of_finding_a_page_gives_the_same_rows(
    env_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page is looked for in several ways, chosen by how many rows the texts match
    (core.services._page_ids, core.textsearch); with the thresholds made tiny, a small demo
    book goes through all of them. Each page, and each count, is what filtering every row
    in Python gives."""
    import random

    from sqlalchemy import select

    from core import textsearch
    from core.customers import kana_query
    from core.demo import seed
    from core.models import Customer, Guarantee, Orderer
    from core.orderers import search_orderer_ids

    seed(env_db, 600, seed=3)
    for name, value in [
        ("_FEW_CUSTOMERS", 6),
        ("_WALK_BUDGET", 60),
        ("_WALK_MAX", 150),
        ("_PLAN_CAP", 25),
        ("_FEW_ORDERERS", 2),
    ]:
        monkeypatch.setattr(services, name, value)
    monkeypatch.setattr(textsearch, "FEW_PROJECTS", 3)
    monkeypatch.setattr(textsearch, "SOME_PROJECTS", 40)
    with env_db.reader() as s:
        customers = {c.id: c for c in s.scalars(select(Customer))}
        rows = list(s.scalars(select(Guarantee)))
        orderer_names = sorted(
            set(s.scalars(select(Orderer.name).where(Orderer.id.in_({g.orderer_id for g in rows}))))
        )

    def expected(f: services.GuaranteeFilter) -> list[str]:
        with env_db.reader() as s:
            orderers = set(search_orderer_ids(s, f.orderer)) if f.orderer else set()

        def customer_ok(c: Customer) -> bool:
            text = f.customer or ""
            kana = kana_query(text)
            return (
                text in c.name
                or (kana is not None and kana in c.kana.replace("\u3000", ""))
                or c.enet_id == text
                or (text.isdigit() and c.id == int(text))
            )

        found = [
            g
            for g in rows
            if (not f.date_from or g.contract_date >= f.date_from)
            and (not f.date_to or g.contract_date <= f.date_to)
            and (f.min_amount is None or g.amount >= f.min_amount)
            and (f.max_amount is None or g.amount <= f.max_amount)
            and (not f.type or g.type == f.type.value)
            and (not f.status or g.status == f.status.value)
            and (not f.orderer or g.orderer_id in orderers)
            and (not f.customer or customer_ok(customers[g.customer_id]))
            and (not f.project or f.project in g.project_name)
        ]
        found.sort(key=lambda g: (g.contract_date, g.id), reverse=True)
        return [g.number for g in found]

    rng = random.Random(11)
    some = sorted(customers.values(), key=lambda c: c.id or 0)[::4]
    names = ["阿蘇", "田中", "建設", "株式会社", "あそ", "けんせつ", "組", "E", "7"]
    projects = ["道路", "工事", "道路改良", "阿蘇線", "県道阿蘇線 ", "業務委託", "橋梁補修工事"]
    pool = {
        "customer": names + [c.name[-5:] for c in some] + [c.kana[:4] for c in some],
        "project": projects + [g.project_name[2:9] for g in rows[::97]],
        "orderer": orderer_names[:5],
        "type": ["前払金", "契約", "中間前払金"],
        "status": ["受付", "発行済"],
        "date_from": ["2023-01-01", "2025-06-01", "2026-11-01"],
        "min_amount": ["1000000", "100000000"],
    }
    dense = [  # a page among the newest; all of a few customers' guarantees, too many
        ({"customer": "土木株式会社"}, 3, 0),
        ({"customer": "ドボク"}, 3, 3),
        ({"customer": "土木株式会社", "project": "測量業務委託"}, 5, 0),
        ({"customer": "ドボク", "project": "業務委託", "type": "前払金"}, 5, 0),
    ]
    for _ in range(200):
        kw = {k: rng.choice(pool[k]) for k in rng.sample(sorted(pool), rng.randint(1, 4))}
        limit, offset = rng.choice([3, 5, 50]), rng.choice([0, 0, 3, 40])
        if dense:
            kw, limit, offset = dense.pop()
        f = services.parse_filter(limit=limit, offset=offset, **kw)
        want = expected(f)
        got = [g.guarantee_number for g in services.search_guarantees(env_db, f)]
        assert got == want[f.offset : f.offset + f.limit], kw
        assert services.count_guarantees(env_db, f) == len(want), kw
