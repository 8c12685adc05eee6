"""Demo sales history at chain size: repeat customers, seasonality, returns,
points redemptions, tier upgrades.

Every basket is priced by the real engine (`pricing.price`) and written as the
checkout writes it — sale, lines, payments, earn/redeem lots with their
allocations, receipt numbers, tier changes, cached balances — but in bulk
(executemany, one transaction per batch) instead of one transaction per sale.
Two knowing differences: no outbox events (a demo history is local, as if
long since synced), and tier reviews are not run (run `tiers review`).
"""
from __future__ import annotations

import bisect
import datetime as dt
import json
import random
import uuid
from dataclasses import dataclass

from . import loyalty, programs
from .demo import _ts, _uuid7_at
from .ledger import FAR_FUTURE
from .pricing import Item, MemberCtx, PriceRequest, price
from .tiers import add_months, upgrade_after_spend

DAYS = 730
MONTH_WEIGHT = {1: 1.3, 2: 1.2, 3: 0.9, 4: 0.9, 5: 1.0, 6: 1.25, 7: 0.95, 8: 0.95, 9: 1.05, 10: 1.1, 11: 1.2, 12: 1.35}
TENDERS = ["cash", "wechat", "wechat", "alipay", "alipay", "bank_card"]


@dataclass
class SalesReport:
    sales: int = 0
    member_sales: int = 0
    lines: int = 0
    returns: int = 0
    redemptions: int = 0
    tier_changes: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return self.__dict__.copy()


class _Lots:
    """A member's open lots in memory: [expiry key, lot id, remaining]."""

    __slots__ = ("lots",)

    def __init__(self):
        self.lots: list[list] = []

    def add(self, expires: dt.datetime | None, lot_id: str, points: int) -> None:
        bisect.insort(self.lots, [expires or FAR_FUTURE, lot_id, points])

    def available(self, now: dt.datetime) -> int:
        return sum(lot[2] for lot in self.lots if lot[0] > now)

    def take(self, points: int, now: dt.datetime) -> list[tuple[str, int]]:
        out = []
        for lot in self.lots:
            if points == 0:
                break
            if lot[0] <= now or lot[2] == 0:
                continue
            t = min(points, lot[2])
            lot[2] -= t
            points -= t
            out.append((lot[1], t))
        self.lots = [lot for lot in self.lots if lot[2] > 0]
        return out


def make_sales(db, n: int, seed: int = 1, batch: int = 20_000) -> SalesReport:
    import time

    started = time.perf_counter()
    program = programs.active(db)
    rng = random.Random(seed * 101 + 5)
    now = db.clock.now()
    conn = db.raw()
    cur = conn.cursor()
    products = cur.execute(
        "SELECT p.id, b.barcode, p.name, p.category, p.price_fen, p.member_price_fen, p.points_class, p.no_member_discount "
        "FROM products p JOIN product_barcodes b ON b.product_id = p.id WHERE p.active = 1 ORDER BY b.barcode").fetchall()
    if not products:
        raise ValueError("the store has no products: run demo with --products first")
    by_cat: dict[str, list[tuple]] = {}
    for p in products:
        by_cat.setdefault(p[3], []).append(p)
    cats = sorted(by_cat)
    members = cur.execute("SELECT id, joined_at, tier_code, birthday FROM members WHERE status = 'active' ORDER BY joined_at").fetchall()
    member_join = [dt.datetime.fromisoformat(m[1]).replace(tzinfo=dt.timezone.utc) for m in members]
    tier = {m[0]: m[2] for m in members}
    tier_since = {m[0]: member_join[i] for i, m in enumerate(members)}
    birthday = {m[0]: dt.date.fromisoformat(m[3]) if m[3] else None for m in members}
    spend: dict[str, int] = {}
    lots: dict[str, _Lots] = {}
    for mid, lot_id, pts, exp in cur.execute(
            "SELECT member_id, id, points, expires_at FROM points_entries WHERE points > 0 AND kind = 'adjust'"):
        lots.setdefault(mid, _Lots()).add(
            dt.datetime.fromisoformat(exp).replace(tzinfo=dt.timezone.utc) if exp else None, lot_id, pts)
    counters: dict[tuple[str, dt.date], int] = {}
    store, register = db.store_code, db.settings["register_no"]

    # seasonality: weekends and festive months sell more
    # local midnight DAYS days ago: sales fall in opening hours (09:00–21:00 store time), all before today
    start = db.clock.start_of_day(db.clock.local(now).date() - dt.timedelta(days=DAYS))
    day_weights = []
    for d in range(DAYS):
        day = (start + dt.timedelta(days=d)).astimezone(db.clock.tz).date()
        day_weights.append(MONTH_WEIGHT[day.month] * (1.4 if day.weekday() >= 5 else 1.0))
    days = sorted(rng.choices(range(DAYS), weights=day_weights, k=n))
    report = SalesReport()
    points_delta: dict[str, int] = {}
    rows = _Rows()
    cur.execute("BEGIN IMMEDIATE")
    try:
        for i, d in enumerate(days):
            when = start + dt.timedelta(days=d, seconds=rng.randint(9 * 3600, 21 * 3600))
            _one_sale(rng, db, program, when, members, member_join, by_cat, cats, tier, tier_since, birthday,
                      spend, lots, counters, store, register, rows, report, points_delta)
            if len(rows.sales) >= batch:
                rows.flush(cur)
        rows.flush(cur)
        cur.executemany("INSERT INTO receipt_counters (store_code, register_no, business_date, last_seq) VALUES (?,?,?,?) "
                        "ON CONFLICT DO UPDATE SET last_seq = max(last_seq, excluded.last_seq)",
                        [(store, register, day.isoformat(), seq) for (_, day), seq in counters.items()])
        cur.executemany("UPDATE member_balances SET points = points + ?, updated_at = ? WHERE member_id = ?",
                        [(delta, _ts(now), mid) for mid, delta in points_delta.items() if delta])
        changed = [(t, _ts(tier_since[mid]), add_months(db.clock.local(tier_since[mid]).date(), program.tiers.validity_months).isoformat()
                    if program.tiers.rank(t) > 0 else None, mid) for mid, t in tier.items()]
        cur.executemany("UPDATE members SET tier_code = ?, tier_since = ?, tier_expires = ? WHERE id = ?", changed)
        cur.execute("COMMIT")
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.close()
    report.seconds = round(time.perf_counter() - started, 1)
    return report


class _Rows:
    def __init__(self):
        self.sales, self.lines, self.payments, self.entries, self.allocs, self.tiers = [], [], [], [], [], []

    def flush(self, cur) -> None:
        units: dict = {}  # items per ticket (gift lines excluded), as checkout and returns write it
        for ln in self.lines:
            if ln[14] is None:
                units[ln[1]] = units.get(ln[1], 0) + ln[8]
        cur.executemany(
            "INSERT INTO sales (id, receipt_no, kind, store_code, register_no, business_date, created_at, cashier, member_id, "
            "tier_before, tier_after, program_version, channel, original_sale_id, gross_fen, discount_fen, net_fen, paid_fen, "
            "change_fen, spend_fen, points_earned, points_redeemed, points_value_fen, member_saved_fen, provisional, detail, "
            "test_clock, units) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [(*row, units.get(row[0], 0)) for row in self.sales])
        cur.executemany(
            "INSERT INTO sale_lines (id, sale_id, line_no, code, product_id, name, category, points_class, qty, unit_fen, "
            "gross_fen, net_fen, points, points_value_fen, reward, discounts, returns_line_id) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", self.lines)
        cur.executemany("INSERT INTO payments (id, sale_id, tender, amount_fen, reference) VALUES (?,?,?,?,NULL)", self.payments)
        cur.executemany(
            "INSERT INTO points_entries (id, member_id, kind, points, available_at, expires_at, reverses_id, source_lot_id, "
            "sale_id, store_code, program_version, reason, created_at, test_clock) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,0)",
            self.entries)
        cur.executemany("INSERT INTO points_allocations (id, debit_id, lot_id, points) VALUES (?,?,?,?)", self.allocs)
        cur.executemany("INSERT INTO tier_changes (id, member_id, from_tier, to_tier, reason, spend_fen, sale_id, at, test_clock) "
                        "VALUES (?,?,?,?,?,?,?,?,0)", self.tiers)
        self.__init__()


def _one_sale(rng, db, program, when, members, member_join, by_cat, cats, tier, tier_since, birthday,
              spend, lots, counters, store, register, rows: _Rows, report: SalesReport, points_delta) -> None:
    clock = db.clock
    mid = None
    if members and rng.random() < 0.7:
        hi = bisect.bisect_right(member_join, when)
        if hi:
            mid = members[int(hi * rng.random() ** 1.6)][0]  # old members buy most often
    fav = cats[int(mid[-6:], 16) % len(cats)] if mid else None  # stable across runs
    items = []
    for _ in range(rng.choice((1, 1, 2, 2, 3, 3, 4, 5, 6))):
        cat = fav if fav and rng.random() < 0.6 else rng.choice(cats)
        p = rng.choice(by_cat[cat])
        items.append(Item(p[1], p[2], p[3], rng.choice((1, 1, 1, 2, 3)), p[4], p[5], p[6], bool(p[7])))
    ctx = None
    redeem = 0
    if mid:
        have = lots[mid].available(when) if mid in lots else 0
        ctx = MemberCtx(mid, tier[mid], have, birthday.get(mid))
        if have >= 1000 and rng.random() < 0.15:
            redeem = min(have, 500) // 100 * 100
    q = price(PriceRequest(tuple(items), ctx, redeem_points=redeem, store=store, now=when,
                           local_date=clock.local(when).date()), program)
    day = clock.local(when).date()
    counters[(store, day)] = counters.get((store, day), 0) + 1
    receipt = f"{store}-{register}-{day:%Y%m%d}-{counters[(store, day)]:04d}"
    sale_id = _uuid7_at(when, rng)
    tier_before = tier.get(mid)
    tender = rng.choice(TENDERS)
    paid = q.net_fen if tender != "cash" else -(-q.net_fen // 1000) * 1000
    entries_redeem = None
    if q.points_redeemed:
        entries_redeem = _uuid7_at(when, rng)
        took = lots[mid].take(q.points_redeemed, when)
        rows.entries.append((entries_redeem, mid, "redeem", -q.points_redeemed, _ts(when), None, None, None, sale_id,
                             store, program.version, f"sale {receipt}", _ts(when)))
        rows.allocs += [(_uuid7_at(when, rng), entries_redeem, lot_id, t) for lot_id, t in took]
        points_delta[mid] = points_delta.get(mid, 0) - q.points_redeemed
        report.redemptions += 1
    earn_id = None
    if mid and q.points_earned:
        earn_id = _uuid7_at(when, rng)
        expires = loyalty.lot_expiry(program, when, clock)
        rows.entries.append((earn_id, mid, "earn", q.points_earned, _ts(loyalty.available_at(program, when)),
                             _ts(expires) if expires else None, None, None, sale_id, store, program.version,
                             f"sale {receipt}", _ts(when)))
        lots.setdefault(mid, _Lots()).add(expires, earn_id, q.points_earned)
        points_delta[mid] = points_delta.get(mid, 0) + q.points_earned
    tier_after = tier_before
    if mid:
        spend[mid] = spend.get(mid, 0) + q.net_fen
        to = upgrade_after_spend(program.tiers, tier[mid], spend[mid])
        if to:
            rows.tiers.append((_uuid7_at(when, rng), mid, tier[mid], to, "upgrade_spend", spend[mid], sale_id, _ts(when)))
            tier[mid], tier_since[mid], spend[mid] = to, when, 0
            tier_after = to
            report.tier_changes += 1
    detail = json.dumps({"promotions": q.promotions, "coupons": [], "gifts": [], "refusals": [],
                         "tendered": [{"type": tender, "amount_fen": paid}]})
    rows.sales.append((sale_id, receipt, "sale", store, register, day.isoformat(), _ts(when), "demo", mid, tier_before,
                       tier_after, program.version, "store", None, q.gross_fen, q.discount_fen, q.net_fen, paid,
                       paid - q.net_fen, q.net_fen if mid else 0, q.points_earned, q.points_redeemed,
                       q.points_value_fen, q.member_saved_fen, 0, detail, 0))
    line_ids = []
    for ln in q.lines:
        lid = _uuid7_at(when, rng)
        line_ids.append((lid, ln))
        rows.lines.append((lid, sale_id, ln.index + 1, ln.item.code, None, ln.item.name, ln.item.category,
                           ln.item.points_class, ln.item.qty, ln.item.unit_fen, ln.gross_fen, ln.net_fen, ln.points,
                           ln.discounted_by("points"), None,
                           json.dumps([{"kind": d.kind, "code": d.code, "amount_fen": d.amount_fen} for d in ln.discounts]),
                           None))
    if q.net_fen:
        rows.payments.append((_uuid7_at(when, rng), sale_id, tender, q.net_fen))
    report.sales += 1
    report.lines += len(q.lines)
    report.member_sales += bool(mid)
    # about 2 % come back in full within ten days (not the ones that spent points or lifted a tier)
    if mid and not q.points_redeemed and tier_after == tier_before and rng.random() < 0.02:
        _full_return(rng, db, program, when + dt.timedelta(days=rng.randint(1, 10)), sale_id, receipt, mid, q,
                     line_ids, earn_id, tender, store, register, counters, rows, lots, spend, points_delta, report, tier)


def _full_return(rng, db, program, when, sale_id, receipt, mid, q, line_ids, earn_id, tender, store, register,
                 counters, rows, lots, spend, points_delta, report, tier) -> None:
    now = db.clock.now()
    if when >= now:
        return
    day = db.clock.local(when).date()
    counters[(store, day)] = counters.get((store, day), 0) + 1
    ret_receipt = f"{store}-{register}-{day:%Y%m%d}-{counters[(store, day)]:04d}"
    ret_id = _uuid7_at(when, rng)
    rows.sales.append((ret_id, ret_receipt, "return", store, register, day.isoformat(), _ts(when), "demo", mid, tier[mid],
                       tier[mid], program.version, "store", sale_id, -q.gross_fen, -q.discount_fen, -q.net_fen, -q.net_fen,
                       0, -q.net_fen, -q.points_earned, 0, 0, 0, 0, json.dumps({"plan": {"full": True}}), 0))
    for i, (lid, ln) in enumerate(line_ids, 1):
        rows.lines.append((_uuid7_at(when, rng), ret_id, i, ln.item.code, None, ln.item.name, "", "", -ln.item.qty,
                           ln.item.unit_fen, -ln.gross_fen, -ln.net_fen, -ln.points, 0, None, None, lid))
    if q.net_fen:
        rows.payments.append((_uuid7_at(when, rng), ret_id, tender, -q.net_fen))
    if earn_id and q.points_earned:
        rev = _uuid7_at(when, rng)
        own = lots[mid]
        lot = next((x for x in own.lots if x[1] == earn_id), None)
        take = min(lot[2], q.points_earned) if lot else 0
        rows.entries.append((rev, mid, "reverse", -q.points_earned, _ts(when), None, earn_id, None, ret_id, store,
                             program.version, f"return {ret_receipt}", _ts(when)))
        if take:
            lot[2] -= take
            rows.allocs.append((_uuid7_at(when, rng), rev, earn_id, take))
        rest = q.points_earned - take
        if rest:  # the member spent them meanwhile: take from other lots, as the engine would
            for lot_id, t in own.take(rest, when):
                rows.allocs.append((_uuid7_at(when, rng), rev, lot_id, t))
                rest -= t
        if rest:  # still short: the reversal stays partly unpaid (debt), as the engine's "negative" policy
            pass
        own.lots = [x for x in own.lots if x[2] > 0]
        points_delta[mid] = points_delta.get(mid, 0) - q.points_earned
    spend[mid] = spend.get(mid, 0) - q.net_fen
    report.returns += 1
