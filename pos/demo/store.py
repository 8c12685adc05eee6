"""Deterministic demo data at chain size: the same seed gives the same store.

Members and products go in through the DB-API in large batches (a million
members in well under a few minutes); the rows are exactly what the services
write — same id format, same timestamps format, balances equal to the
ledger's entries — and `ledger verify` holds on the result.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Iterator

from pos.store import settings as store_settings
from pos.ids import uuid7_hex_at
from pos.rules import phones
from pos.rules.barcodes import ean_check_digit
from pos.ids import CROCKFORD
from pos.loyalty.tiers import add_months
from pos.store.database import sql_ts

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉文斌宇浩凯健俊帆帅旭宁龙林欣怡梓涵子轩一诺雨桐佳琪思远博文"
CITIES = ["上海", "北京", "广州", "深圳", "杭州", "南京", "苏州", "成都", "武汉", "西安", "重庆", "天津", "长沙", "郑州", "青岛"]
STREETS = ["人民路", "中山路", "解放路", "建设路", "南京路", "和平路", "新华路", "长江路", "黄河路", "文化路"]
OCCUPATIONS = ["教师", "工程师", "医生", "学生", "公务员", "自由职业", "销售", "设计师", "退休", None]
INCOME = ["<5k", "5k-10k", "10k-20k", "20k+", None]
PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
            "155", "156", "157", "158", "159", "177", "180", "181", "182", "183", "185", "186", "187",
            "188", "189", "199"]
CATEGORIES = [  # (category, points class weights regular/special/none, price range in yuan, consumable cycle days)
    ("洗护", (80, 20, 0), (9, 89), 45),
    ("食品", (70, 25, 5), (3, 59), 14),
    ("饮料", (60, 20, 20), (2, 25), 7),
    ("家纺", (90, 10, 0), (19, 399), 0),
    ("服装", (85, 15, 0), (39, 599), 0),
    ("母婴", (80, 20, 0), (29, 299), 30),
    ("生鲜", (70, 30, 0), (5, 99), 5),
    ("日用", (85, 15, 0), (5, 79), 60),
    ("团购", (0, 100, 0), (49, 199), 0),
]
PRODUCT_WORDS = {
    "洗护": ["洗发水", "护发素", "沐浴露", "牙膏", "洗面奶", "面霜", "洗衣液"],
    "食品": ["饼干", "方便面", "坚果", "巧克力", "大米", "挂面", "酱油"],
    "饮料": ["矿泉水", "绿茶", "可乐", "果汁", "酸奶", "咖啡"],
    "家纺": ["毛巾", "枕头", "床单", "被套", "浴巾"],
    "服装": ["T恤", "衬衫", "牛仔裤", "外套", "袜子", "卫衣"],
    "母婴": ["纸尿裤", "奶粉", "湿巾", "奶瓶"],
    "生鲜": ["苹果", "香蕉", "鸡蛋", "猪肉", "西兰花"],
    "日用": ["纸巾", "垃圾袋", "电池", "保鲜膜", "牙刷"],
    "团购": ["团购礼盒", "团购套餐"],
}
BASE_TIME = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


def demo_phone(i: int, seed: int = 0) -> str:
    """The i-th demo mobile number (E.164); unique for i < 29 * 10**8."""
    prefix = PREFIXES[i % len(PREFIXES)]
    p = i % len(PREFIXES)
    body = ((i // len(PREFIXES)) * 7919 + p * 1234567 + seed * 104729) % 10**8  # 7919 is coprime to 10**8
    return f"+86{prefix}{body:08d}"


def demo_card(i: int) -> str:
    return f"9{i:09d}"


def demo_code(i: int, rng: random.Random) -> str:
    head = "".join(CROCKFORD[(i >> (5 * k)) & 31] for k in range(4, -1, -1))
    return "M" + head + "".join(rng.choice(CROCKFORD) for _ in range(6))


@dataclass
class DemoReport:
    members: int = 0
    cards: int = 0
    products: int = 0
    points_lots: int = 0
    sales: dict | None = None
    tags: dict | None = None  # segment tags written after the sales history
    daily: dict | None = None  # what today's daily jobs did after the history (nothing left to do)

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def _members(n: int, seed: int, now: dt.datetime, store: str, clock, validity_months: int, ranks: dict,
             history: bool) -> Iterator[tuple]:
    rng = random.Random(seed)
    span = (now - BASE_TIME).total_seconds()
    tiers = ["member"] * 60 + ["vip"] * 30 + ["svip"] * 10
    for i in range(n):
        joined = BASE_TIME + dt.timedelta(seconds=span * i / max(n, 1))
        phone = demo_phone(i, seed)
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        city = rng.choice(CITIES)
        birthday = dt.date(rng.randint(1950, 2006), rng.randint(1, 12), rng.randint(1, 28)) if rng.random() < 0.7 else None
        tier = rng.choice(tiers)
        consent = rng.random() < 0.6
        # a tier is valid validity_months from when it began: at joining (a history follows), or today (an import)
        since = joined if history else now
        expires = add_months(clock.local(since).date(), validity_months).isoformat() if ranks.get(tier, 0) > 0 else None
        at = sql_ts(joined)
        yield (
            uuid7_hex_at(joined, rng), demo_code(i, rng), phone, phone[-4:], name, rng.choice("MF"),
            birthday.isoformat() if birthday else None, city,
            f"{city}市{rng.choice(STREETS)}{rng.randint(1, 999)}号" if rng.random() < 0.5 else None,
            rng.choice(OCCUPATIONS), rng.choice(INCOME), None,
            rng.choice(("store", "store", "store", "online", "miniprogram", "qr")), int(consent),
            at if consent else None, tier, at if history else sql_ts(since), expires, at, store, None,
            "active", None, at, at, 0,
        )


_MEMBER_SQL = """INSERT INTO members (id, member_code, phone, phone_last4, name, gender, birthday, region,
 address, occupation, income_band, preferences, channel, marketing_consent, consent_at, tier_code, tier_since,
 tier_expires, joined_at, joined_store, referrer_id, status, merged_into, created_at, updated_at, test_clock)
 VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"""


def make_members(db, n: int, seed: int = 1, batch: int = 50_000, history: bool = False,
                 progress=None) -> DemoReport:
    """`n` members joined since BASE_TIME. With `history` (a sales history
    follows) each one's tier and opening balance date from their joining;
    without, they were imported today (tiers valid from today, balances
    granted today). Lots expire as the program says (`expiry.lot_expiry`)."""
    from pos.loyalty.expiry import lot_expiry
    from pos.store.program_store import ensure_default

    program = ensure_default(db)
    report = DemoReport()
    now = db.clock.now()
    rng = random.Random(seed * 31 + 7)
    ranks = {lv.code: program.tiers.rank(lv.code) for lv in program.tiers.levels}
    from pos.demo.sales import CACHE_MIB
    from pos.store.bulk import BulkWriter

    cur = BulkWriter(db, cache_mib=CACHE_MIB)  # rows written by a thread of their own while the next ones are made
    cur.begin()
    try:
        rows: list[tuple] = []
        members = _members(n, seed, now, db.store_code, db.clock, program.tiers.validity_months, ranks, history)
        for i, row in enumerate(members):
            rows.append(row)
            if len(rows) >= batch:
                report = _flush_members(cur, rows, i - len(rows) + 1, rng, now, report, program, db.clock, history)
                rows = []
                if progress:
                    progress(i + 1, n)
        if rows:
            report = _flush_members(cur, rows, n - len(rows), rng, now, report, program, db.clock, history)
    except BaseException:
        cur.rollback()
        raise
    cur.commit()
    return report


def _flush_members(cur, rows: list[tuple], first: int, rng: random.Random, now: dt.datetime, report: DemoReport,
                   program, clock, history: bool) -> DemoReport:
    from pos.loyalty.expiry import lot_expiry

    cur.executemany(_MEMBER_SQL, rows)
    cards, balances, lots = [], [], []
    for k, row in enumerate(rows):
        i = first + k
        mid, joined = row[0], row[18]
        if rng.random() < 0.7:
            cards.append((uuid7_hex_at(now, rng), demo_card(i), mid, "magstripe", "active", joined, 0))
        points = 0
        if rng.random() < 0.5:
            points = rng.randint(1, 60) * 50
            # carried over from the old system when the member joined (history), or today (import)
            at = dt.datetime.fromisoformat(joined).replace(tzinfo=dt.timezone.utc) if history else now
            expires = lot_expiry(program, at, clock)
            lots.append((uuid7_hex_at(at, rng), mid, "adjust", points, sql_ts(at), sql_ts(expires) if expires else None,
                         "demo opening balance", sql_ts(at)))
        balances.append((mid, points, 0, sql_ts(now)))
    cur.executemany("INSERT INTO member_cards (id, card_no, member_id, kind, status, issued_at, test_clock) VALUES (?,?,?,?,?,?,?)", cards)
    cur.executemany(
        "INSERT INTO points_entries (id, member_id, kind, points, available_at, expires_at, reason, created_at, test_clock) "
        "VALUES (?,?,?,?,?,?,?,?,0)", lots)
    cur.executemany("INSERT INTO member_balances (member_id, points, stored_value_fen, updated_at) VALUES (?,?,?,?)", balances)
    report.members += len(rows)
    report.cards += len(cards)
    report.points_lots += len(lots)
    return report


def ean13(body12: str) -> str:
    return body12 + str(ean_check_digit(body12))


def make_products(db, n: int, seed: int = 1) -> DemoReport:
    rng = random.Random(seed * 17 + 3)
    now = sql_ts(db.clock.now())
    products, barcodes = [], []
    for i in range(n):
        cat, weights, (lo, hi), _cycle = CATEGORIES[i % len(CATEGORIES)]
        points_class = rng.choices(("regular", "special", "none"), weights=weights)[0]
        price = rng.randint(lo, hi) * 100 + rng.choice((0, 50, 90))
        member_price = price * 9 // 10 if rng.random() < 0.1 and points_class == "regular" else None
        word = rng.choice(PRODUCT_WORDS[cat])
        pid = uuid7_hex_at(db.clock.now(), rng)
        code = ean13(f"690{seed % 100:02d}{i:07d}")
        products.append((pid, code, f"{word} {i % 97 + 1}号", cat, price, member_price, points_class,
                         int(cat == "团购"), 1, now, now))
        barcodes.append((code, pid))
    with db.transaction() as s:
        conn = s.connection().connection.driver_connection
        conn.executemany(
            "INSERT INTO products (id, sku, name, category, price_fen, member_price_fen, points_class, "
            "no_member_discount, active, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)", products)
        conn.executemany("INSERT INTO product_barcodes (barcode, product_id) VALUES (?,?)", barcodes)
    return DemoReport(products=n)


def build(db, members: int, products: int, seed: int = 1, sales: int = 0, progress=None) -> DemoReport:
    """Members and products on an empty store (refuses to run twice on one store).
    With `sales`, a history of that many sales with every daily job along it;
    then today's jobs run for real (they find nothing left: the store is as of
    today). `progress(stage, done, total)` is called now and then, stage one of
    "members", "products", "sales", "tags", "daily" (a plain callback: pos/
    knows no UI)."""
    from pos.store.program_store import ensure_default

    def step(stage: str, done: int, total: int) -> None:
        if progress:
            progress(stage, done, total)

    ensure_default(db)
    with db.read() as s:
        from sqlalchemy import text
        existing = s.execute(text("SELECT (SELECT count(*) FROM members), (SELECT count(*) FROM products)")).one()
    if existing[0] and members:
        raise ValueError(f"this store already has {existing[0]} members; demo data goes into an empty store")
    if existing[1] and products:
        raise ValueError(f"this store already has {existing[1]} products; demo data goes into an empty store")
    if members or products:
        store_settings.DEMO_STORE.set(db, True)  # the sign-in screen shows demo PINs only on a demo store
    step("members", 0, members)
    report = (make_members(db, members, seed, history=bool(sales), progress=lambda d, t: step("members", d, t))
              if members else DemoReport())
    step("members", members, members)
    if products:
        step("products", 0, products)
        report.products = make_products(db, products, seed).products
        step("products", products, products)
    if sales:
        from pos.services import daily
        from pos.demo.sales import make_sales
        from pos.analytics.segments import write_tags

        report.sales = make_sales(db, sales, seed, progress=lambda d, t: step("sales", d, t)).as_dict()
        step("tags", 0, 1)
        report.tags = write_tags(db)["counts"]  # so the till shows 活跃会员, 沉睡会员 … from the first scan
        step("daily", 0, 1)
        # today's jobs for real: the history ran every day's, so they post nothing and mark today done
        report.daily = daily.run_due(db, force=True)
        step("daily", 1, 1)
    return report


def check_phone(e164: str) -> bool:
    try:
        return phones.normalize(e164) == e164
    except Exception:
        return False

