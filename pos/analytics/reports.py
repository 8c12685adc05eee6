"""Store manager figures for a day or any period (SPEC §9), headless.

Every figure is an SQL aggregate over the local store; Python only rolls up a
few pre-aggregated rows (days × hours × cashiers at most) and divides.
Money is integer fen; rates are floats computed from the integer counts that
are reported next to them (so a reader can check every division).

Time
    A period is a range of store-local business dates ``start .. end``
    (both included). Tickets (``sales`` rows) are selected by their
    ``business_date``; everything that only has a UTC timestamp (ledger
    entries, coupons, tier changes, registrations) by ``created_at`` in
    ``[start_of_day(start), start_of_day(end + 1 day))`` in the store's zone.
    Hours are store-local hours of the UTC ``created_at``.

Tickets, refunds and transactions
    * **Sales** (``sales_fen``) are net of refunds: the ``net_fen`` of the
      period's sale tickets plus that of its return tickets (negative). A
      refund counts on the day it is given, not on the day of the sale it
      refunds, so a closed day never changes. Top-ups are not sales.
    * A sale ticket is *cancelled* when every unit bought on it has come back
      (one full return, or partial returns that together take everything
      back; gift lines aside: a kept gift does not keep the visit). The return ticket that completes this is a
      *cancelling return*.
    * **Transactions** = sale tickets − cancelling returns of the period. A
      partial return leaves the visit standing; a cancelled sale is no visit.
    * **Average order value** (AOV) = sales ÷ transactions, half-up at the fen.
    * **Items per basket** = units on the period's sale and return tickets
      (return lines have negative quantities; reward/gift lines excluded) ÷
      transactions. Each ticket carries its units (``sales.units``, written
      with its lines), so this is a sum over tickets, not a join to the lines.
    * **Member / non-member**: tickets with / without a member. Non-member
      figures are reported apart; member share of sales = member sales ÷ sales,
      of transactions = member transactions ÷ transactions.

Members
    * A member's **net transactions** in a window = their sale tickets −
      their cancelling returns in it. A **buyer** of the period is a member
      with net transactions > 0 (so a member whose only sale was refunded
      in full is no buyer); a **repeat buyer** has ≥ 2.
    * **Repeat-purchase rate** = repeat buyers ÷ buyers.
    * **New members** = registrations in the period (merged duplicates not
      counted). **Registration → first-purchase conversion** = new members
      with net transactions > 0 from joining up to the period's end ÷ new members.
    * **Churn rate** (window W = the program's win-back ``after_days``, else
      90 days): of the members who were buyers in the W days before the period
      (``start − W .. start − 1``), the share who are not buyers in the W days
      ending with the period (``end − W + 1 .. end``) — members active when the
      period began and gone quiet for W days when it ended. For a W-day period
      this is "bought last quarter, not this quarter"; for one day, the members
      who crossed the W-day line that day.

Decomposition (member sales)
    member sales = traffic × conversion × repeat × AOV, where

    * traffic T = the member base: active members registered before the
      period's end (the people the store can reach; no door counter is needed);
    * conversion C = buyers B ÷ T;
    * repeat R = member transactions X ÷ B (purchase frequency, ≥ 1 when every
      buyer bought once or more; named "repeat" after SPEC, not to be confused
      with the repeat-purchase *rate* above);
    * AOV A = member sales S ÷ X.

    T·C·R·A = T·(B/T)·(X/B)·(S/X) = S holds exactly for the integers T, B, X,
    S that are reported with it. The reported C and R are rounded to 6
    decimals and A to 1/100 fen, so ``product_fen`` (their product, rounded to
    the fen) may differ from S by ``residual_fen``, which is reported; it is
    also the whole of S when a factor is undefined (T, B or X is 0). Store
    sales = member sales + non-member sales (counted apart).

Points (ledger entries of the period)
    issued = earn + bonus − taken back on returns (``reverse``); redeemed =
    redeem − points given back on returns (``refund``); expired = ``expire``;
    adjustments apart; merges move points between members and net to zero.
    **Outstanding** = the sum of all entries up to the period's end (pending
    points included, debt netted) and the **liability** = outstanding ×
    ``redemption.unit_fen`` ÷ ``redemption.points_per_unit``, half-up at the fen.

Coupons: issued by this store (by ``issued_at``), redeemed at this store (uses
by ``used_at``, with their amount), and the redemption rate = coupons the store
issued in the period that were used (anywhere) by its end ÷ coupons it issued in
the period.

Ledger and coupon *flows* are this store's (entries with its store code, or
none); balances (outstanding points, stored value) are every entry the till
holds, i.e. the balances of the members it knows.

Stored value: in = top-ups + top-up bonuses; out = payments − refunds to the
balance on returns; balance = all entries up to the period's end.

Tiers: distribution of active members at the period's end (the current tier,
or for members whose tier changed after the end, the ``from_tier`` of their
first later change), and the moves (tier changes) of the period.

Traffic by hour: sale tickets, member sale tickets and net sales (refunds at
the hour they were given) per store-local hour, 0–23.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import text

from pos.rules import phones
from pos.rules.money import yuan
from pos.rules.program import ProgramDoc
from pos.store.database import sql_ts

UTC = dt.timezone.utc
DEFAULT_CHURN_DAYS = 90
MEMBER_FIGURES = ("buyers", "repeat_buyers", "new_members", "converted", "not_converted", "churned",
                  "points_holders", "coupon_users", "stored_value_holders")


# --- SQL helpers ---------------------------------------------------------------------


def ts(when: dt.datetime) -> str:
    """A UTC instant in the text form SQLAlchemy stores on SQLite, for range filters."""
    return sql_ts(when)


def completes(a: str) -> str:
    """SQL: the return ticket `a` takes back the last units of its original sale
    (its returns up to and including `a` bring the sale's units to zero; tickets
    carry their units, so this reads two index entries, not the lines)."""
    return (
        f"((SELECT o.units FROM sales o WHERE o.id = {a}.original_sale_id)"
        f" + (SELECT COALESCE(SUM(r2.units), 0) FROM sales r2"
        f"    WHERE r2.original_sale_id = {a}.original_sale_id AND r2.kind = 'return'"
        f"      AND (r2.created_at < {a}.created_at OR (r2.created_at = {a}.created_at AND r2.rowid <= {a}.rowid)))"
        f" <= 0)"
    )


def txn_expr(a: str) -> str:
    """SQL: the ticket's contribution to transactions (+1 sale, −1 cancelling return, else 0)."""
    return f"(CASE WHEN {a}.kind = 'sale' THEN 1 WHEN {a}.kind = 'return' AND {completes(a)} THEN -1 ELSE 0 END)"


def _ratio(num: int | None, den: int | None) -> float | None:
    if not den:
        return None
    return (num or 0) / den


def div_half_up(num: int, den: int) -> int | None:
    """num ÷ den rounded half-up (away from zero on .5), for money."""
    if not den:
        return None
    return int((Decimal(num) / Decimal(den)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def bounds(db, start: dt.date, end: dt.date) -> tuple[str, str]:
    """UTC text bounds [lo, hi) of the business dates start..end in the store's zone."""
    return ts(db.clock.start_of_day(start)), ts(db.clock.start_of_day(end + dt.timedelta(days=1)))


@contextlib.contextmanager
def report_session(db):
    """A read session whose sorter stays in memory (64 MB page cache instead of
    the default 2 MB) while the report runs; the pooled connection is given back
    with its old setting."""
    with db.read() as s:
        old = s.execute(text("PRAGMA cache_size")).scalar()
        s.execute(text("PRAGMA cache_size=-65536"))
        try:
            yield s
        finally:
            s.execute(text(f"PRAGMA cache_size={int(old)}"))


def churn_days(program: ProgramDoc | None) -> int:
    wb = program.issuance.win_back if program is not None else None
    return wb.after_days if wb else DEFAULT_CHURN_DAYS


def tier_order(program: ProgramDoc | None) -> list[str]:
    return [lv.code for lv in program.tiers.levels] if program is not None else ["member", "vip", "svip"]


@dataclass
class Table:
    """A named table for export (CSV, XLSX) and for the screen."""

    name: str
    columns: list[str]
    rows: list[list[Any]]

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, r)) for r in self.rows]


# --- the period report ---------------------------------------------------------------


@dataclass
class PeriodReport:
    start: dt.date
    end: dt.date
    store_code: str
    timezone: str
    summary: dict[str, Any]
    by_day: list[dict[str, Any]]
    by_hour: list[dict[str, Any]]
    cashiers: list[dict[str, Any]]
    tiers: list[dict[str, Any]]
    tier_moves: list[dict[str, Any]]
    decomposition: dict[str, Any]
    generated_at: str = ""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def as_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["start"], d["end"], d["days"] = self.start.isoformat(), self.end.isoformat(), self.days
        return d

    def tables(self) -> list[Table]:
        out = [Table("summary", ["metric", "value"], [[k, v] for k, v in self.summary.items()])]
        for name in ("by_day", "by_hour", "cashiers", "tiers", "tier_moves"):
            rows = getattr(self, name)
            cols = list(rows[0]) if rows else _EMPTY_COLUMNS[name]
            out.append(Table(name, cols, [[r[c] for c in cols] for r in rows]))
        out.append(Table("decomposition", ["factor", "value"], [[k, v] for k, v in self.decomposition.items()]))
        return out


_EMPTY_COLUMNS = {
    "by_day": ["date", "sales_fen", "transactions", "member_sales_fen", "member_transactions"],
    "by_hour": ["hour", "tickets", "member_tickets", "sales_fen"],
    "cashiers": ["cashier", "sales_fen", "refunds_fen", "transactions", "aov_fen", "member_sales_fen", "member_share_sales"],
    "tiers": ["tier", "members", "share"],
    "tier_moves": ["from_tier", "to_tier", "reason", "direction", "members"],
}


def daily(db, program: ProgramDoc | None, day: dt.date | None = None) -> PeriodReport:
    """One business day (default: today in the store's zone)."""
    day = day or db.clock.today()
    return period(db, program, day, day)


def period(db, program: ProgramDoc | None, start: dt.date, end: dt.date) -> PeriodReport:
    """Every figure of the module docstring for business dates start..end
    (included), read in one read transaction (one consistent snapshot)."""
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    lo, hi = bounds(db, start, end)
    p = {"d0": start.isoformat(), "d1": end.isoformat(), "lo": lo, "hi": hi, "store": db.store_code}
    with report_session(db) as s:
        q = lambda sql, **extra: s.execute(text(sql), p | extra).all()  # noqa: E731
        # this snapshot's high-water marks (sales and ledger entries are append-only):
        # the second connection below reads exactly the rows this one sees
        p["max_sale"], p["max_entry"] = (int(x or 0) for x in q(
            "SELECT (SELECT MAX(rowid) FROM sales), (SELECT MAX(rowid) FROM points_entries)")[0])
        days = churn_days(program)
        beside = _beside(db, p, lambda q2: _member_pass(q2, start, end, days))
        tickets = _tickets(q, db, start, end)
        m_items, all_items = tickets["member_items"], tickets["items"]
        new, converted = _conversion(q)
        pts = _points(q)
        cp = q("""SELECT (SELECT COUNT(*) FROM coupons WHERE issued_at >= :lo AND issued_at < :hi
                            AND COALESCE(issued_store, :store) = :store),
                         (SELECT COUNT(*) FROM coupons c WHERE c.issued_at >= :lo AND c.issued_at < :hi
                            AND COALESCE(c.issued_store, :store) = :store
                            AND EXISTS (SELECT 1 FROM coupon_uses u WHERE u.coupon_id = c.id AND u.used_at < :hi)),
                         (SELECT COUNT(*) FROM coupon_uses WHERE used_at >= :lo AND used_at < :hi AND store_code = :store),
                         (SELECT COALESCE(SUM(amount_fen), 0) FROM coupon_uses
                          WHERE used_at >= :lo AND used_at < :hi AND store_code = :store)""")[0]
        sv = _stored_value(q)
        tiers, base = _tier_distribution(q, program)
        moves = _tier_moves(q, program)
        n_buyers, n_repeat, churn_base, churned = beside.result()

    t = tickets
    sales, member_sales = t["sales_fen"], t["member_sales_fen"]
    txn, member_txn = t["transactions"], t["member_transactions"]
    summary: dict[str, Any] = {
        "sales_fen": sales,
        "sale_tickets_fen": t["sale_tickets_fen"],
        "refunds_fen": t["refunds_fen"],
        "transactions": txn,
        "sale_tickets": t["sale_tickets"],
        "return_tickets": t["return_tickets"],
        "cancelled_sales": t["cancelled"],
        "aov_fen": div_half_up(sales, txn),
        "items": all_items,
        "items_per_basket": _ratio(all_items, txn),
        "member_sales_fen": member_sales,
        "member_transactions": member_txn,
        "member_aov_fen": div_half_up(member_sales, member_txn),
        "member_items_per_basket": _ratio(m_items, member_txn),
        "non_member_sales_fen": sales - member_sales,
        "non_member_transactions": txn - member_txn,
        "non_member_aov_fen": div_half_up(sales - member_sales, txn - member_txn),
        "member_share_sales": _ratio(member_sales, sales),
        "member_share_transactions": _ratio(member_txn, txn),
        "members_total": base,
        "buyers": n_buyers,
        "repeat_buyers": n_repeat,
        "repeat_purchase_rate": _ratio(n_repeat, n_buyers),
        "new_members": new,
        "new_members_converted": converted,
        "conversion_rate": _ratio(converted, new),
        "churn_days": churn_days(program),
        "churn_base": churn_base,
        "churned": churned,
        "churn_rate": _ratio(churned, churn_base),
        **pts,
        "points_liability_fen": (liability := _liability_fen(pts["points_outstanding"], program)),
        "points_liability_yuan": yuan(liability),
        "coupons_issued": int(cp[0]),
        "coupons_issued_used": int(cp[1]),
        "coupon_redemption_rate": _ratio(int(cp[1]), int(cp[0])),
        "coupons_redeemed": int(cp[2]),
        "coupons_redeemed_fen": int(cp[3]),
        **sv,
    }
    return PeriodReport(
        start=start, end=end, store_code=db.store_code, timezone=str(db.clock.tz), summary=summary,
        by_day=tickets["by_day"], by_hour=tickets["by_hour"], cashiers=tickets["cashiers"], tiers=tiers,
        tier_moves=moves, decomposition=decompose(base, n_buyers, member_txn, member_sales, sales),
        generated_at=db.clock.now().isoformat(timespec="seconds"),
    )


def decompose(traffic: int, buyers: int, transactions: int, member_sales: int, sales: int | None = None) -> dict[str, Any]:
    """member sales = traffic × conversion × repeat × AOV (see the module docstring)."""
    conv = round(buyers / traffic, 6) if traffic else None
    rep = round(transactions / buyers, 6) if buyers else None
    aov = round(member_sales / transactions, 2) if transactions else None
    product = None
    if None not in (conv, rep, aov):
        product = int((Decimal(traffic) * Decimal(str(conv)) * Decimal(str(rep)) * Decimal(str(aov)))
                      .quantize(Decimal(1), rounding=ROUND_HALF_UP))
    d = {
        "traffic": traffic, "buyers": buyers, "transactions": transactions, "member_sales_fen": member_sales,
        "conversion": conv, "repeat": rep, "aov_fen": aov, "product_fen": product,
        "residual_fen": member_sales - (product or 0),
        "identity": "member_sales_fen = traffic x conversion x repeat x aov_fen + residual_fen",
    }
    if sales is not None:
        d["non_member_sales_fen"] = sales - member_sales
        d["sales_fen"] = sales
    return d


HOUR_SQL = "substr(created_at, 12, 2)"  # the UTC hour; the same expression as index ix_sales_day_hour


def _tickets(q, db, start: dt.date, end: dt.date) -> dict[str, Any]:
    """One pass over the period's tickets in the order of index ix_sales_day_hour,
    grouped by business date, cashier and UTC hour (member figures as conditional
    sums); the roll-ups below add those few groups up. The UTC hour of a ticket
    and its business date give its store-local hour exactly in zones whose offset
    is whole hours; other zones group by UTC minute."""
    tz = db.clock.tz
    offsets = {tz.utcoffset(dt.datetime.combine(d, dt.time(12))) for d in (start, end)}
    whole_hours = all(o is not None and o.total_seconds() % 3600 == 0 for o in offsets)
    bucket = HOUR_SQL if whole_hours else "substr(created_at, 12, 5)"
    hour = bucket.replace("created_at", "s.created_at")
    rows = q(f"""
        SELECT s.business_date, COALESCE(s.cashier, ''), {hour}, s.kind,
               COALESCE(SUM(s.net_fen), 0), COUNT(*),
               COALESCE(SUM(CASE WHEN s.member_id IS NOT NULL THEN s.net_fen END), 0), COUNT(s.member_id),
               COALESCE(SUM(s.units), 0), COALESCE(SUM(CASE WHEN s.member_id IS NOT NULL THEN s.units END), 0)
        FROM sales s WHERE s.business_date BETWEEN :d0 AND :d1 AND s.kind IN ('sale', 'return')
        GROUP BY s.business_date, s.cashier, {hour}, s.kind""")
    cancels = {(str(r[0]), r[1], r[2], bool(r[3])): int(r[4]) for r in q(f"""
        SELECT s.business_date, COALESCE(s.cashier, ''), {hour}, s.member_id IS NOT NULL, COUNT(*)
        FROM sales s WHERE s.business_date BETWEEN :d0 AND :d1 AND s.kind = 'return' AND {completes('s')}
        GROUP BY 1, 2, 3, 4""")}
    by_day = {d.isoformat(): {"date": d.isoformat(), "sales_fen": 0, "transactions": 0, "member_sales_fen": 0,
                              "member_transactions": 0}
              for d in (start + dt.timedelta(days=i) for i in range((end - start).days + 1))}
    by_hour = [{"hour": h, "tickets": 0, "member_tickets": 0, "sales_fen": 0} for h in range(24)]
    cashiers: dict[str, dict[str, int]] = {}
    tot = dict(sales_fen=0, sale_tickets_fen=0, refunds_fen=0, sale_tickets=0, return_tickets=0, transactions=0,
               cancelled=0, member_sales_fen=0, member_transactions=0, items=0, member_items=0)
    local_hour = _local_hours(tz, whole_hours)
    for bd, cashier, utc, kind, net, n, m_net, m_n, units, m_units in rows:
        bd, net, n, m_net, m_n = str(bd), int(net), int(n), int(m_net), int(m_n)
        tot["items"] += int(units)
        tot["member_items"] += int(m_units)
        sale = kind == "sale"
        m_cancel = cancels.get((bd, cashier, utc, True), 0) if not sale else 0
        cancel = m_cancel + (cancels.get((bd, cashier, utc, False), 0) if not sale else 0)
        txn, m_txn = (n, m_n) if sale else (-cancel, -m_cancel)
        tot["sales_fen"] += net
        tot["sale_tickets_fen"] += net if sale else 0
        tot["refunds_fen"] += 0 if sale else -net
        tot["sale_tickets"] += n if sale else 0
        tot["return_tickets"] += 0 if sale else n
        tot["transactions"] += txn
        tot["member_sales_fen"] += m_net
        tot["member_transactions"] += m_txn
        d = by_day[bd]
        d["sales_fen"] += net
        d["transactions"] += txn
        d["member_sales_fen"] += m_net
        d["member_transactions"] += m_txn
        c = cashiers.setdefault(cashier, {"sales_fen": 0, "refunds_fen": 0, "transactions": 0, "member_sales_fen": 0})
        c["sales_fen"] += net
        c["refunds_fen"] += 0 if sale else -net
        c["transactions"] += txn
        c["member_sales_fen"] += m_net
        h = by_hour[local_hour(bd, utc)]
        if sale:
            h["tickets"] += n
            h["member_tickets"] += m_n
        h["sales_fen"] += net
    tot["cancelled"] = tot["sale_tickets"] - tot["transactions"]
    cashier_rows = [{"cashier": k, "sales_fen": v["sales_fen"], "refunds_fen": v["refunds_fen"],
                     "transactions": v["transactions"], "aov_fen": div_half_up(v["sales_fen"], v["transactions"]),
                     "member_sales_fen": v["member_sales_fen"],
                     "member_share_sales": _ratio(v["member_sales_fen"], v["sales_fen"])}
                    for k, v in sorted(cashiers.items(), key=lambda kv: (-kv[1]["sales_fen"], kv[0]))]
    return tot | {"by_day": list(by_day.values()), "by_hour": by_hour, "cashiers": cashier_rows}


def _local_hours(tz, whole_hours: bool):
    """(business date, UTC "HH" or "HH:MM") -> the store-local hour: of the UTC
    instants on the day before, the day itself and the day after with that
    time, the one whose local date is the business date."""
    cache: dict[tuple[str, str], int] = {}

    def hour(bd: str, utc: str) -> int:
        key = (bd, utc)
        if key not in cache:
            day = dt.date.fromisoformat(bd)
            hh, mm = int(utc[:2]), int(utc[3:5]) if not whole_hours else 0
            cache[key] = 0
            for shift in (-1, 0, 1):
                when = dt.datetime.combine(day + dt.timedelta(days=shift), dt.time(hh, mm), UTC).astimezone(tz)
                if when.date() == day:
                    cache[key] = when.hour
                    break
        return cache[key]

    return hour


def _conversion(q) -> tuple[int, int]:
    row = q(f"""
        WITH nm AS (SELECT id FROM members WHERE joined_at >= :lo AND joined_at < :hi AND status != 'merged')
        SELECT COUNT(*),
               COALESCE(SUM((SELECT COALESCE(SUM({txn_expr('s')}), 0) FROM sales s
                             WHERE s.member_id = nm.id AND s.created_at < :hi AND s.kind IN ('sale', 'return')) > 0), 0)
        FROM nm""")[0]
    return int(row[0]), int(row[1])


_SIDE: ThreadPoolExecutor | None = None


def _beside(db, p: dict[str, Any], fn) -> Future:
    """Run fn(q) on a second read connection at the same time as the caller's
    queries: SQLite runs two connections' queries on two cores (measured: the
    90-day report goes from 1.35 s to ~0.7 s on 2 cores, with `sales.units`); the caller bounds what
    it reads by the high-water marks in p (the member pass, ≈ 0.55 s at chain
    size, against everything else, ≈ 0.6 s)."""
    global _SIDE
    if _SIDE is None:
        _SIDE = ThreadPoolExecutor(max_workers=2, thread_name_prefix="report")

    def run():
        with report_session(db) as s:
            return fn(lambda sql, **extra: s.execute(text(sql), p | extra).all())

    return _SIDE.submit(run)


def _member_pass(q, start: dt.date, end: dt.date, days: int) -> tuple[int, int, int, int]:
    """(buyers, repeat buyers, churn base, churned) in one grouping by member over
    the sale tickets (+1) and cancelling returns (−1) of start − W .. end; each row
    carries 0/±1 flags for the three windows (now = the period, before = the W days
    before it, after = the W days ending with it) so the sorter moves small rows."""
    b0, b1 = start - dt.timedelta(days=days), start - dt.timedelta(days=1)
    a0 = end - dt.timedelta(days=days - 1)
    row = q(f"""
        WITH t AS (SELECT member_id, (business_date >= :d0) AS i_now, (business_date <= :b1) AS i_before,
                          (business_date >= :a0) AS i_after
                   FROM sales WHERE business_date BETWEEN :b0 AND :d1 AND kind = 'sale' AND member_id IS NOT NULL
                     AND rowid <= :max_sale
                   UNION ALL
                   SELECT s.member_id, -(s.business_date >= :d0), -(s.business_date <= :b1), -(s.business_date >= :a0)
                   FROM sales s
                   WHERE s.business_date BETWEEN :b0 AND :d1 AND s.kind = 'return' AND s.member_id IS NOT NULL
                     AND s.rowid <= :max_sale AND {completes('s')}),
             per AS (SELECT SUM(i_now) AS now_n, SUM(i_before) AS before_n, SUM(i_after) AS after_n
                     FROM t GROUP BY member_id)
        SELECT COALESCE(SUM(now_n > 0), 0), COALESCE(SUM(now_n >= 2), 0),
               COALESCE(SUM(before_n > 0), 0), COALESCE(SUM(before_n > 0 AND after_n <= 0), 0)
        FROM per""", b0=b0.isoformat(), b1=b1.isoformat(), a0=a0.isoformat())[0]
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


def _points(q) -> dict[str, int]:
    names = ("earn", "bonus", "reverse", "redeem", "refund", "expire", "adjust")
    sums = q(f"""
        SELECT {', '.join(f"SUM(CASE WHEN kind = '{k}' THEN points END)" for k in names)} FROM points_entries
        WHERE created_at >= :lo AND created_at < :hi AND COALESCE(store_code, :store) = :store
          AND rowid <= :max_entry""")[0]
    kinds = {k: int(v or 0) for k, v in zip(names, sums)}
    outstanding = int(q("SELECT COALESCE(SUM(points), 0) FROM points_entries WHERE created_at < :hi "
                        "AND rowid <= :max_entry")[0][0])
    earned, bonus, back = kinds.get("earn", 0), kinds.get("bonus", 0), -kinds.get("reverse", 0)
    redeemed, refunded = -kinds.get("redeem", 0), kinds.get("refund", 0)
    return {
        "points_earned": earned, "points_bonus": bonus, "points_taken_back": back,
        "points_issued": earned + bonus - back,
        "points_redeemed_gross": redeemed, "points_refunded": refunded, "points_redeemed": redeemed - refunded,
        "points_expired": -kinds.get("expire", 0), "points_adjusted": kinds.get("adjust", 0),
        "points_outstanding": outstanding,
    }


def _liability_fen(points: int, program: ProgramDoc | None) -> int:
    r = program.redemption if program is not None else None
    per, unit = (r.points_per_unit, r.unit_fen) if r else (100, 200)
    return div_half_up(points * unit, per) or 0


def _stored_value(q) -> dict[str, int]:
    kinds = {k: int(v or 0) for k, v in q("""
        SELECT kind, SUM(amount_fen) FROM stored_value_entries
        WHERE created_at >= :lo AND created_at < :hi AND COALESCE(store_code, :store) = :store GROUP BY kind""")}
    balance = int(q("SELECT COALESCE(SUM(amount_fen), 0) FROM stored_value_entries WHERE created_at < :hi")[0][0])
    topup, bonus, spent, refunded = kinds.get("topup", 0), kinds.get("bonus", 0), -kinds.get("pay", 0), kinds.get("refund", 0)
    other = sum(v for k, v in kinds.items() if k not in ("topup", "bonus", "pay", "refund"))
    return {"sv_topup_fen": topup, "sv_bonus_fen": bonus, "sv_in_fen": topup + bonus, "sv_spent_fen": spent,
            "sv_refunded_fen": refunded, "sv_out_fen": spent - refunded, "sv_other_fen": other, "sv_balance_fen": balance}


def _tier_distribution(q, program: ProgramDoc | None) -> tuple[list[dict[str, Any]], int]:
    counts: dict[str, int] = {k: int(v) for k, v in q("""
        SELECT tier_code, COUNT(*) FROM members WHERE status = 'active' AND joined_at < :hi GROUP BY tier_code""")}
    for now_tier, then_tier, n in q("""
            SELECT m.tier_code, f.from_tier, COUNT(*)
            FROM (SELECT member_id, from_tier, MIN(at) FROM tier_changes WHERE at >= :hi GROUP BY +member_id) f
            JOIN members m ON m.id = f.member_id
            WHERE m.status = 'active' AND m.joined_at < :hi AND m.tier_code != f.from_tier
            GROUP BY 1, 2"""):
        counts[now_tier] = counts.get(now_tier, 0) - int(n)
        counts[then_tier] = counts.get(then_tier, 0) + int(n)
    order = tier_order(program)
    codes = order + sorted(k for k in counts if k not in order)
    total = sum(counts.values())
    return [{"tier": c, "members": counts.get(c, 0), "share": _ratio(counts.get(c, 0), total)} for c in codes], total


def _tier_moves(q, program: ProgramDoc | None) -> list[dict[str, Any]]:
    order = tier_order(program)
    rank = {c: i for i, c in enumerate(order)}
    out = []
    for f, t, reason, n in q("""
            SELECT from_tier, to_tier, reason, COUNT(*) FROM tier_changes WHERE at >= :lo AND at < :hi
            GROUP BY 1, 2, 3 ORDER BY 4 DESC, 1, 2, 3"""):
        rf, rt = rank.get(f, -1), rank.get(t, -1)
        out.append({"from_tier": f, "to_tier": t, "reason": reason,
                    "direction": "up" if rt > rf else ("down" if rt < rf else "same"), "members": int(n)})
    return out


# --- drill-down: the members behind a figure -----------------------------------------


def member_rows(s, ids_sql: str, params: dict[str, Any], limit: int, order: str = "m.joined_at DESC") -> list[dict[str, Any]]:
    """Members whose ids the SQL selects, with what a manager needs to call on them
    (phone masked), at most `limit`."""
    rows = s.execute(text(f"""
        SELECT m.id, m.member_code, m.name, COALESCE(m.phone_masked, m.phone), m.tier_code, m.joined_at, m.status,
               COALESCE(b.points, 0), COALESCE(b.stored_value_fen, 0)
        FROM members m LEFT JOIN member_balances b ON b.member_id = m.id
        WHERE m.id IN ({ids_sql}) ORDER BY {order} LIMIT :limit"""), params | {"limit": limit}).all()
    return [{"id": str(uuid.UUID(str(r[0]))), "member_code": r[1], "name": r[2] or "", "phone_masked": phones.mask(r[3]),
             "tier": r[4], "joined": str(r[5])[:10], "status": r[6], "points": int(r[7]), "stored_value_fen": int(r[8])}
            for r in rows]


def members_behind(db, program: ProgramDoc | None, start: dt.date, end: dt.date, figure: str,
                   limit: int = 1000) -> list[dict[str, Any]]:
    """Drill-down: the members a figure of `period(start, end)` counts.

    figure: buyers, repeat_buyers, new_members, converted, not_converted, churned;
    points_holders (the liability: points outstanding at the period's end, most
    first), coupon_users (redeemed a coupon at this store in the period),
    stored_value_holders (a balance at the period's end, biggest first). The
    points and balance shown are today's."""
    if figure not in MEMBER_FIGURES:
        raise ValueError(f"no member list behind {figure!r}; one of {', '.join(MEMBER_FIGURES)}")
    lo, hi = bounds(db, start, end)
    p = {"d0": start.isoformat(), "d1": end.isoformat(), "lo": lo, "hi": hi, "store": db.store_code}
    order = "m.joined_at DESC"
    if figure == "points_holders":
        ids = "SELECT member_id FROM points_entries WHERE created_at < :hi GROUP BY member_id HAVING SUM(points) > 0"
        order = "COALESCE(b.points, 0) DESC, m.member_code"
    elif figure == "stored_value_holders":
        ids = ("SELECT member_id FROM stored_value_entries WHERE created_at < :hi "
               "GROUP BY member_id HAVING SUM(amount_fen) > 0")
        order = "COALESCE(b.stored_value_fen, 0) DESC, m.member_code"
    elif figure == "coupon_users":
        ids = """SELECT c.member_id FROM coupon_uses u JOIN coupons c ON c.id = u.coupon_id
                 WHERE u.used_at >= :lo AND u.used_at < :hi AND u.store_code = :store AND c.member_id IS NOT NULL"""
    elif figure in ("buyers", "repeat_buyers"):
        ids = f"""SELECT s.member_id FROM sales s
                  WHERE s.business_date BETWEEN :d0 AND :d1 AND s.kind IN ('sale', 'return') AND s.member_id IS NOT NULL
                  GROUP BY s.member_id HAVING SUM({txn_expr('s')}) >= {2 if figure == 'repeat_buyers' else 1}"""
    elif figure in ("new_members", "converted", "not_converted"):
        cond = {"new_members": "", "converted": "AND conv > 0", "not_converted": "AND conv <= 0"}[figure]
        ids = f"""SELECT id FROM (SELECT nm.id, (SELECT COALESCE(SUM({txn_expr('s')}), 0) FROM sales s
                                          WHERE s.member_id = nm.id AND s.created_at < :hi
                                            AND s.kind IN ('sale', 'return')) AS conv
                                  FROM members nm WHERE nm.joined_at >= :lo AND nm.joined_at < :hi
                                    AND nm.status != 'merged') WHERE 1 {cond}"""
    else:  # churned
        days = churn_days(program)
        p |= {"b0": (start - dt.timedelta(days=days)).isoformat(), "b1": (start - dt.timedelta(days=1)).isoformat(),
              "a0": (end - dt.timedelta(days=days - 1)).isoformat()}
        ids = f"""SELECT member_id FROM (
                    SELECT s.member_id,
                           SUM(CASE WHEN s.business_date BETWEEN :b0 AND :b1 THEN {txn_expr('s')} ELSE 0 END) AS before_n,
                           SUM(CASE WHEN s.business_date BETWEEN :a0 AND :d1 THEN {txn_expr('s')} ELSE 0 END) AS after_n
                    FROM sales s WHERE s.member_id IS NOT NULL AND s.kind IN ('sale', 'return')
                      AND (s.business_date BETWEEN :b0 AND :b1 OR s.business_date BETWEEN :a0 AND :d1)
                    GROUP BY s.member_id) WHERE before_n > 0 AND after_n <= 0"""
    with db.read() as s:
        return member_rows(s, ids, p, limit, order)
