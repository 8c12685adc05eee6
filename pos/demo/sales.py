"""Demo sales history at chain size: repeat customers, seasonality, returns,
points redemptions, tier upgrades — and every daily job along it.

Every basket is priced by the real engine (`pricing.price`) and written as the
checkout writes it — sale, lines, payments, earn/redeem lots with their
allocations, receipt numbers, tier changes, cached balances — but in bulk
(executemany, one transaction per batch) instead of one transaction per sale.

The history is played in time order: sales, the returns that come back days
later, and each business day's jobs before the store opens (08:30 local) —
points expiry under the program's model (`expiry.run_expiry`) and the tier
review at the end of validity, or the window recheck (`tiers.review_due`) —
held in memory and written as those jobs write them. Only days where something
falls due cost anything: the due dates sit in buckets by date. So the store
ends as a till that ran every day's jobs would be today (`pos.demo.store.build` then
runs today's jobs for real, which find nothing left to do).

One knowing difference: no outbox events (a demo history is local, as if long
since synced).
"""
from __future__ import annotations

import bisect
import datetime as dt
import functools
import heapq
import json
import random
from dataclasses import dataclass

from pos.store import settings as store_settings
from pos.ids import uuid7_hex_at
from pos.loyalty import expiry
from pos.store import program_store
from pos.store.bulk import BulkWriter
from pos.store.database import sql_ts
from pos.loyalty.ledger import FAR_FUTURE
from pos.rules.pricing import Item, MemberCtx, PriceRequest, price
from pos.loyalty.tiers import add_months, review, tier_for_window, upgrade_after_spend

DAYS = 730
MONTH_WEIGHT = {1: 1.3, 2: 1.2, 3: 0.9, 4: 0.9, 5: 1.0, 6: 1.25, 7: 0.95, 8: 0.95, 9: 1.05, 10: 1.1, 11: 1.2, 12: 1.35}
TENDERS = ["cash", "wechat", "wechat", "alipay", "alipay", "bank_card"]
JOBS_AT = dt.timedelta(hours=8, minutes=30)  # the daily jobs run when the till starts, before the 09:00 opening
ONE_DAY = dt.timedelta(days=1)
CACHE_MIB = 1536  # the bulk connection's page cache (see make_sales)


@dataclass
class SalesReport:
    sales: int = 0
    member_sales: int = 0
    lines: int = 0
    returns: int = 0
    redemptions: int = 0
    tier_changes: int = 0
    seconds: float = 0.0
    expired_lots: int = 0  # posted by the daily expiry job along the history
    expired_points: int = 0
    tier_reviews: int = 0  # end-of-validity reviews / window rechecks along the history
    job_days: int = 0  # business days whose daily jobs ran

    def as_dict(self) -> dict:
        return self.__dict__.copy()


class _Lots:
    """A member's open lots in memory, [expiry key, lot id, remaining], and the
    debits a lot did not cover yet (debts), [debit id, unpaid]."""

    __slots__ = ("lots", "debts")

    def __init__(self):
        self.lots: list[list] = []
        self.debts: list[list] = []

    def add(self, expires: dt.datetime | None, lot_id: str, points: int) -> list:
        lot = [expires or FAR_FUTURE, lot_id, points]
        bisect.insort(self.lots, lot)
        return lot

    def available(self, now: dt.datetime) -> int:
        return sum(lot[2] for lot in self.lots if lot[0] > now) - sum(d[1] for d in self.debts)

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

    def settle(self, lot: list) -> list[tuple[str, int]]:
        """A new lot pays outstanding debt first, oldest first (as `ledger.credit`)."""
        out = []
        for d in self.debts:
            if lot[2] == 0:
                break
            t = min(lot[2], d[1])
            d[1] -= t
            lot[2] -= t
            out.append((d[0], t))
        self.debts = [d for d in self.debts if d[1] > 0]
        return out


@functools.lru_cache(maxsize=4096)
def first_day_reaching(day: dt.date, months: int) -> dt.date:
    """The first business date D with add_months(D, -months) >= day: when the
    jobs' "not since `months` before D" tests first hold for something dated `day`."""
    d = add_months(day, months)
    while add_months(d - ONE_DAY, -months) >= day:
        d -= ONE_DAY
    while add_months(d, -months) < day:
        d += ONE_DAY
    return d


class _History:
    """The store's state while its history is played: what the member rows, the
    lots and the jobs' inputs would hold at that moment."""

    def __init__(self, db, program, members, rows, report):
        self.db, self.clock, self.program, self.rows, self.report = db, db.clock, program, rows, report
        self.now = db.clock.now()
        self.today = db.clock.local(self.now).date()
        t = program.tiers
        self.tiers, self.base = t, t.levels[0].code
        self.window = t.qualification == "window"
        self.expiry = program.expiry
        self.store = db.store_code
        self.tier: dict[str, str] = {}
        self.tier_since: dict[str, dt.datetime] = {}
        self.tier_expires: dict[str, dt.date | None] = {}
        self.spend: dict[str, int] = {}  # cumulative mode: qualifying spend since the last change
        self.history: dict[str, list] = {}  # window mode: [(when, spend_fen)] in time order
        self.last_recheck: dict[str, dt.date] = {}
        self.lots: dict[str, _Lots] = {}
        self.balance: dict[str, int] = {}
        self.points_delta: dict[str, int] = {}
        self.last_activity: dict[str, dt.datetime] = {}  # rolling model: last sale, else first lot
        self.expire_on: dict[dt.date, list] = {}  # date -> [(member, lot)] (dated lots) or [member] (rolling)
        self.review_on: dict[dt.date, list] = {}  # date -> [member]
        self.rolling_due: dict[str, dt.date] = {}
        self.review_due: dict[str, dt.date] = {}
        self.returns: list = []  # heap of (when, seq, args)
        self._seq = 0
        for mid, joined, tier, since, expires in members:
            self.tier[mid] = tier
            self.tier_since[mid] = since or joined
            self.tier_expires[mid] = expires
            self._schedule_review(mid, db.clock.local(joined).date() + ONE_DAY)
        self.next_job = None  # the next business date whose jobs have not run (set by make_sales)
        self._job_time: tuple = (None, None)

    # --- scheduling ------------------------------------------------------------

    def _bucket(self, buckets: dict, day: dt.date, item) -> None:
        buckets.setdefault(max(day, self.next_job or day), []).append(item)

    def _schedule_review(self, mid: str, earliest: dt.date) -> None:
        """When the job next looks at this member's tier: the end of validity
        (cumulative), or the next monthly recheck (window; at once if never)."""
        if self.tiers.rank(self.tier[mid]) <= 0:
            self.review_due.pop(mid, None)
            return
        if self.window:
            last = self.last_recheck.get(mid)
            day = first_day_reaching(last, self.tiers.recheck_months) if last else earliest
        else:
            day = self.tier_expires[mid]
            if day is None:
                return
        day = max(day, earliest)
        self.review_due[mid] = day
        self.review_on.setdefault(day, []).append(mid)

    def add_lot(self, mid: str, when: dt.datetime, expires: dt.datetime | None, lot_id: str, points: int) -> None:
        own = self.lots.setdefault(mid, _Lots())
        lot = own.add(expires, lot_id, points)
        self.rows.allocs += [(uuid7_hex_at(when, self.rng), debit, lot_id, t) for debit, t in own.settle(lot)]
        self.balance[mid] = self.balance.get(mid, 0) + points
        if expires is not None:
            self._bucket(self.expire_on, self.clock.local(expires).date(), (mid, lot))
        elif self.expiry.model == "rolling" and mid not in self.last_activity:
            self.touch(mid, when)

    def touch(self, mid: str, when: dt.datetime) -> None:
        """A purchase (or the first lot): the rolling model's clock starts again."""
        self.last_activity[mid] = when
        if self.expiry.model != "rolling":
            return
        day = first_day_reaching(self.clock.local(when).date(), self.expiry.months)
        if self.next_job and day < self.next_job:
            day = self.next_job
        if self.rolling_due.get(mid) != day:
            self.rolling_due[mid] = day
            self.expire_on.setdefault(day, []).append(mid)

    def change_tier(self, mid: str, to: str, reason: str, spend: int, when: dt.datetime, sale_id: str | None) -> None:
        self.rows.tiers.append((uuid7_hex_at(when, self.rng), mid, self.tier[mid], to, reason, spend, sale_id, sql_ts(when)))
        self.tier[mid], self.tier_since[mid], self.spend[mid] = to, when, 0
        self.tier_expires[mid] = (add_months(self.clock.local(when).date(), self.tiers.validity_months)
                                  if self.tiers.rank(to) > 0 else None)
        if reason == "window_recheck":
            self.last_recheck[mid] = self.clock.local(when).date()
        self._schedule_review(mid, self.next_job)

    def window_spend(self, mid: str, start: dt.datetime, end: dt.datetime | None = None) -> int:
        return sum(v for w, v in self.history.get(mid, ()) if w >= start and (end is None or w < end))

    # --- the daily jobs --------------------------------------------------------

    def job_time(self, day: dt.date) -> dt.datetime:
        if self._job_time[0] != day:  # asked before every sale: one zone conversion per day
            when = self.clock.start_of_day(day) + JOBS_AT
            self._job_time = (day, min(when, self.now) if day == self.today else when)
        return self._job_time[1]

    def run_jobs(self, day: dt.date) -> None:
        """One business day's `expiry.run_expiry` and `tiers.review_due`, in that order."""
        when = self.job_time(day)
        self.report.job_days += 1
        self.next_job = day + ONE_DAY
        rolling = self.expiry.model == "rolling"
        reason = f"expired {day.isoformat()}"
        for item in self.expire_on.pop(day, ()):
            if rolling:
                mid = item
                if self.rolling_due.get(mid) != day or self.balance.get(mid, 0) <= 0:
                    continue
                self.rolling_due.pop(mid)
                lots = [lot for lot in self.lots[mid].lots if lot[2] > 0]
            else:
                mid, lot = item
                if lot[2] <= 0:
                    continue
                lots = [lot]
            for lot in lots:
                self._expire(mid, lot, when, reason)
            self.lots[mid].lots = [lot for lot in self.lots[mid].lots if lot[2] > 0]
        for mid in self.review_on.pop(day, ()):
            if self.review_due.get(mid) != day:
                continue
            del self.review_due[mid]
            self.report.tier_reviews += 1
            t = self.tier[mid]
            if self.window:
                start = self.clock.start_of_day(add_months(day, -self.tiers.window_months))
                spend = self.window_spend(mid, start, self.clock.start_of_day(day + ONE_DAY))
                self.change_tier(mid, tier_for_window(self.tiers, spend), "window_recheck", spend, when, None)
            else:
                spend = self.spend.get(mid, 0)
                to = review(self.tiers, t, spend)
                rank_from, rank_to = self.tiers.rank(t), self.tiers.rank(to)
                why = "review_keep" if to == t else ("review_up" if rank_to > rank_from else "review_down")
                self.change_tier(mid, to, why, spend, when, None)
            if self.tier[mid] != t:
                self.report.tier_changes += 1

    def _expire(self, mid: str, lot: list, when: dt.datetime, reason: str) -> None:
        entry = uuid7_hex_at(when, self.rng)
        points = lot[2]
        self.rows.entries.append((entry, mid, "expire", -points, sql_ts(when), None, None, lot[1], None, self.store,
                                  self.program.version, reason, sql_ts(when)))
        self.rows.allocs.append((uuid7_hex_at(when, self.rng), entry, lot[1], points))
        lot[2] = 0
        self.balance[mid] -= points
        self.points_delta[mid] = self.points_delta.get(mid, 0) - points
        self.report.expired_lots += 1
        self.report.expired_points += points

    def advance(self, until: dt.datetime) -> None:
        """Everything that happens before `until`: due returns and daily jobs, in time order."""
        while True:
            job = self.job_time(self.next_job) if self.next_job <= self.today else None
            ret = self.returns[0][0] if self.returns else None
            if ret is not None and ret < until and (job is None or ret < job):
                _when, _seq, args = heapq.heappop(self.returns)
                _full_return(self, *args)
            elif job is not None and job < until:
                self.run_jobs(self.next_job)
            else:
                return

    def later(self, when: dt.datetime, args: tuple) -> None:
        self._seq += 1
        heapq.heappush(self.returns, (when, self._seq, args))


def make_sales(db, n: int, seed: int = 1, batch: int = 20_000, progress=None) -> SalesReport:
    """`n` sales over the last DAYS days, with every daily job along the way.
    `progress(done, total)` is called now and then (a plain callback: no UI here)."""
    import time

    started = time.perf_counter()
    program = program_store.active(db)
    rng = random.Random(seed * 101 + 5)
    now = db.clock.now()
    conn = db.raw()
    cur = conn.cursor()
    products = cur.execute(
        "SELECT p.id, b.barcode, p.name, p.category, p.price_fen, p.member_price_fen, p.points_class, p.no_member_discount "
        "FROM products p JOIN product_barcodes b ON b.product_id = p.id WHERE p.active = 1 ORDER BY b.barcode").fetchall()
    if n and not products:
        raise ValueError("the store has no products: run demo with --products first")
    by_cat: dict[str, list[tuple]] = {}
    for p in products:
        by_cat.setdefault(p[3], []).append(p)
    cats = sorted(by_cat)
    members = cur.execute("SELECT id, joined_at, tier_code, birthday, tier_since, tier_expires FROM members "
                          "WHERE status = 'active' ORDER BY joined_at").fetchall()
    utc = dt.timezone.utc
    member_join = [dt.datetime.fromisoformat(m[1]).replace(tzinfo=utc) for m in members]
    birthday = {m[0]: dt.date.fromisoformat(m[3]) if m[3] else None for m in members}
    report = SalesReport()
    rows = _Rows()
    h = _History(db, program, [(m[0], member_join[i], m[2],
                                dt.datetime.fromisoformat(m[4]).replace(tzinfo=utc) if m[4] else None,
                                dt.date.fromisoformat(m[5]) if m[5] else None) for i, m in enumerate(members)],
                 rows, report)
    h.rng = rng
    counters: dict[tuple[str, dt.date], int] = {}
    store, register = db.store_code, store_settings.REGISTER_NO.get(db)

    # seasonality: weekends and festive months sell more
    # local midnight DAYS days ago: sales fall in opening hours (09:00–21:00 store time), all before today
    start = db.clock.start_of_day(db.clock.local(now).date() - dt.timedelta(days=DAYS))
    day_weights = []
    for d in range(DAYS):
        day = (start + dt.timedelta(days=d)).astimezone(db.clock.tz).date()
        day_weights.append(MONTH_WEIGHT[day.month] * (1.4 if day.weekday() >= 5 else 1.0))
    days = rng.choices(range(DAYS), weights=day_weights, k=n)
    whens = sorted(start + dt.timedelta(days=d, seconds=rng.randint(9 * 3600, 21 * 3600)) for d in days)
    first = db.clock.local(min([start, *member_join[:1]])).date()
    h.next_job = first
    opening = cur.execute("SELECT member_id, id, points, expires_at, created_at FROM points_entries "
                          "WHERE points > 0 AND kind = 'adjust' ORDER BY created_at").fetchall()
    conn.close()  # the reads are done; the rows go through a writer thread (both cores busy)
    # one transaction for the whole history: a page cache big enough for the member indexes it
    # touches at random, or SQLite spills the same pages to the WAL again and again (a 1M-member
    # store grew a 5 GB WAL with 256 MiB); the cache is only reserved as pages are used
    cur = BulkWriter(db, cache_mib=CACHE_MIB)
    cur.begin()
    try:
        for mid, lot_id, pts, exp, created in opening:  # the opening balances, in the jobs' view
            h.add_lot(mid, dt.datetime.fromisoformat(created).replace(tzinfo=utc),
                      dt.datetime.fromisoformat(exp).replace(tzinfo=utc) if exp else None, lot_id, pts)
            h.points_delta[mid] = h.points_delta.get(mid, 0)  # the balance row already holds these
        step = max(1, n // 50)
        for i, when in enumerate(whens):
            h.advance(when)
            _one_sale(rng, db, program, when, members, member_join, by_cat, cats, h, birthday,
                      counters, store, register, rows, report)
            if len(rows.sales) >= batch:
                rows.flush(cur)
            if progress and i % step == 0:
                progress(i, n)
        h.advance(FAR_FUTURE)  # the returns still to come before now, and every day's jobs through today
        rows.flush(cur)
        cur.executemany("INSERT INTO receipt_counters (store_code, register_no, business_date, last_seq) VALUES (?,?,?,?) "
                        "ON CONFLICT DO UPDATE SET last_seq = max(last_seq, excluded.last_seq)",
                        [(store, register, day.isoformat(), seq) for (_, day), seq in counters.items()])
        cur.executemany("UPDATE member_balances SET points = points + ?, updated_at = ? WHERE member_id = ?",
                        [(delta, sql_ts(now), mid) for mid, delta in h.points_delta.items() if delta])
        changed = [(t, sql_ts(h.tier_since[mid]), h.tier_expires[mid].isoformat() if h.tier_expires[mid] else None, mid)
                   for mid, t in h.tier.items()]
        cur.executemany("UPDATE members SET tier_code = ?, tier_since = ?, tier_expires = ? WHERE id = ?", changed)
    except BaseException:
        cur.rollback()
        raise
    cur.commit()
    if progress:
        progress(n, n)
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


@functools.lru_cache(maxsize=8192)
def _receipt_day(store: str, register: str, day: dt.date) -> str:
    return f"{store}-{register}-{day:%Y%m%d}"


def _one_sale(rng, db, program, when, members, member_join, by_cat, cats, h: _History, birthday,
              counters, store, register, rows: _Rows, report: SalesReport) -> None:
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
        have = max(0, h.lots[mid].available(when)) if mid in h.lots else 0
        ctx = MemberCtx(mid, h.tier[mid], have, birthday.get(mid))
        if have >= 1000 and rng.random() < 0.15:
            redeem = min(have, 500) // 100 * 100
    day = clock.local(when).date()
    q = price(PriceRequest(tuple(items), ctx, redeem_points=redeem, store=store, now=when, local_date=day), program)
    seq = counters[(store, day)] = counters.get((store, day), 0) + 1
    receipt = f"{_receipt_day(store, register, day)}-{seq:04d}"
    ts = sql_ts(when)
    sale_id = uuid7_hex_at(when, rng)
    tier_before = h.tier.get(mid)
    tender = rng.choice(TENDERS)
    paid = q.net_fen if tender != "cash" else -(-q.net_fen // 1000) * 1000
    if q.points_redeemed:
        entries_redeem = uuid7_hex_at(when, rng)
        took = h.lots[mid].take(q.points_redeemed, when)
        rows.entries.append((entries_redeem, mid, "redeem", -q.points_redeemed, ts, None, None, None, sale_id,
                             store, program.version, f"sale {receipt}", ts))
        rows.allocs += [(uuid7_hex_at(when, rng), entries_redeem, lot_id, t) for lot_id, t in took]
        h.points_delta[mid] = h.points_delta.get(mid, 0) - q.points_redeemed
        h.balance[mid] = h.balance.get(mid, 0) - q.points_redeemed
        report.redemptions += 1
    earn_id = None
    if mid:
        h.touch(mid, when)  # a purchase renews a rolling balance
    if mid and q.points_earned:
        earn_id = uuid7_hex_at(when, rng)
        expires = expiry.lot_expiry(program, when, clock)
        rows.entries.append((earn_id, mid, "earn", q.points_earned, sql_ts(expiry.available_at(program, when)),
                             sql_ts(expires) if expires else None, None, None, sale_id, store, program.version,
                             f"sale {receipt}", ts))
        h.add_lot(mid, when, expires, earn_id, q.points_earned)
        h.points_delta[mid] = h.points_delta.get(mid, 0) + q.points_earned
    tier_after = tier_before
    if mid:
        _tier_after_sale(h, mid, q.net_fen, when, sale_id)
        if h.tier[mid] != tier_before:
            tier_after = h.tier[mid]
            report.tier_changes += 1
    # json.dumps of {"promotions": …, "coupons": [], "gifts": [], "refusals": [], "tendered": [{type, amount}]},
    # the same text (tender names are plain ASCII) without encoding the fixed parts each time
    detail = (f'{{"promotions": {json.dumps(q.promotions) if q.promotions else "[]"}, "coupons": [], "gifts": [], '
              f'"refusals": [], "tendered": [{{"type": "{tender}", "amount_fen": {paid}}}]}}')
    rows.sales.append((sale_id, receipt, "sale", store, register, day.isoformat(), ts, "demo", mid, tier_before,
                       tier_after, program.version, "store", None, q.gross_fen, q.discount_fen, q.net_fen, paid,
                       paid - q.net_fen, q.net_fen if mid else 0, q.points_earned, q.points_redeemed,
                       q.points_value_fen, q.member_saved_fen, 0, detail, 0))
    line_ids = []
    for ln in q.lines:
        lid = uuid7_hex_at(when, rng)
        line_ids.append((lid, ln))
        rows.lines.append((lid, sale_id, ln.index + 1, ln.item.code, None, ln.item.name, ln.item.category,
                           ln.item.points_class, ln.item.qty, ln.item.unit_fen, ln.gross_fen, ln.net_fen, ln.points,
                           ln.discounted_by("points"), None,
                           json.dumps([{"kind": d.kind, "code": d.code, "amount_fen": d.amount_fen} for d in ln.discounts])
                           if ln.discounts else "[]",
                           None))
    if q.net_fen:
        rows.payments.append((uuid7_hex_at(when, rng), sale_id, tender, q.net_fen))
    report.sales += 1
    report.lines += len(q.lines)
    report.member_sales += bool(mid)
    # about 2 % come back in full within ten days (not the ones that spent points or lifted a tier)
    if mid and not q.points_redeemed and tier_after == tier_before and rng.random() < 0.02:
        back = when + dt.timedelta(days=rng.randint(1, 10))
        if back < h.now:
            h.later(back, (back, sale_id, mid, q, line_ids, earn_id, tender, store, register, counters, rng))


def _tier_after_sale(h: _History, mid: str, spend_fen: int, when: dt.datetime, sale_id: str) -> None:
    """`tiers.after_sale`: the immediate upgrade, cumulative or by window spend."""
    if h.window:
        h.history.setdefault(mid, []).append((when, spend_fen))
        start = h.clock.start_of_day(add_months(h.clock.local(when).date(), -h.tiers.window_months))
        spend = h.window_spend(mid, start)
        to = tier_for_window(h.tiers, spend)
        if h.tiers.rank(to) > h.tiers.rank(h.tier[mid]):
            h.change_tier(mid, to, "window_upgrade", spend, when, sale_id)
        return
    h.spend[mid] = h.spend.get(mid, 0) + spend_fen
    to = upgrade_after_spend(h.tiers, h.tier[mid], h.spend[mid])
    if to:
        h.change_tier(mid, to, "upgrade_spend", h.spend[mid], when, sale_id)


def _full_return(h: _History, when, sale_id, mid, q, line_ids, earn_id, tender, store, register, counters, rng) -> None:
    """The whole sale comes back, at its own moment in the history."""
    rows, program = h.rows, h.program
    day = h.clock.local(when).date()
    counters[(store, day)] = counters.get((store, day), 0) + 1
    ret_receipt = f"{store}-{register}-{day:%Y%m%d}-{counters[(store, day)]:04d}"
    ret_id = uuid7_hex_at(when, rng)
    tier = h.tier[mid]
    rows.sales.append((ret_id, ret_receipt, "return", store, register, day.isoformat(), sql_ts(when), "demo", mid, tier,
                       tier, program.version, "store", sale_id, -q.gross_fen, -q.discount_fen, -q.net_fen, -q.net_fen,
                       0, -q.net_fen, -q.points_earned, 0, 0, 0, 0, json.dumps({"plan": {"full": True}}), 0))
    for i, (lid, ln) in enumerate(line_ids, 1):
        rows.lines.append((uuid7_hex_at(when, rng), ret_id, i, ln.item.code, None, ln.item.name, "", "", -ln.item.qty,
                           ln.item.unit_fen, -ln.gross_fen, -ln.net_fen, -ln.points, 0, None, None, lid))
    if q.net_fen:
        rows.payments.append((uuid7_hex_at(when, rng), ret_id, tender, -q.net_fen))
    if earn_id and q.points_earned:
        rev = uuid7_hex_at(when, rng)
        own = h.lots[mid]
        lot = next((x for x in own.lots if x[1] == earn_id), None)
        take = min(lot[2], q.points_earned) if lot else 0
        rows.entries.append((rev, mid, "reverse", -q.points_earned, sql_ts(when), None, earn_id, None, ret_id, store,
                             program.version, f"return {ret_receipt}", sql_ts(when)))
        if take:
            lot[2] -= take
            rows.allocs.append((uuid7_hex_at(when, rng), rev, earn_id, take))
        rest = q.points_earned - take
        if rest:  # the member spent or lost them meanwhile: take from other lots, as the engine would
            for lot_id, t in own.take(rest, when):
                rows.allocs.append((uuid7_hex_at(when, rng), rev, lot_id, t))
                rest -= t
        if rest:  # still short: the reversal stays partly unpaid (debt, the "negative" policy); new lots pay it
            own.debts.append([rev, rest])
        own.lots = [x for x in own.lots if x[2] > 0]
        h.points_delta[mid] = h.points_delta.get(mid, 0) - q.points_earned
        h.balance[mid] = h.balance.get(mid, 0) - q.points_earned
    if h.window:
        h.history.setdefault(mid, []).append((when, -q.net_fen))
    else:
        h.spend[mid] = h.spend.get(mid, 0) - q.net_fen
    h.report.returns += 1
