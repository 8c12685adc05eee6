"""The monthly-spend bonus (`bonuses.monthly_spend`, SPEC §5; HDCRM: ≥ 1,000 yuan of
completed net spend in a calendar month → 200 points, ≥ 3,000 → 800 more).

The month and its spend
-----------------------
A sale belongs to the calendar month of its business date (the store's time zone).
A return counts against the month of the sale it returns, so "net = sales minus
returns" of a month only ever goes down by returning that month's goods (buying
1,000 yuan on the 31st and returning it on the 2nd takes the bonus back; it does
not lower the next month). The amount is the sale's qualifying spend (`spend_fen`:
what was paid in money for the goods, net of discounts, coupons and points).

Awards and take-backs
---------------------
Each threshold is a rule with a stable name, `monthly_spend:<min_fen>` (HDCRM:
`monthly_spend:100000`, `monthly_spend:300000`). For a member and a month, a rule
is *in force* when it was awarded more often than taken back; the rule wants to be
in force exactly when the month's net reaches its threshold (`reconcile`).

* The sale that reaches a threshold awards it: a `bonus` lot (expiry and pending
  days as an earning), reason `monthly_spend:100000@2026-12 sale <receipt>`, in the
  sale's transaction, shown as `points.bonuses: [{"rule", "points"}]` of the sale
  (`checkout --json`, the receipt, the cashier screen). The sale records what it
  awarded in `sales.detail.bonuses` (with the month and the lot's id) — that record,
  not the lot, is the fact: it travels to HQ with the `sale.committed` event.
* A return that drops the month's net below a threshold takes the award back: a
  `reverse` debit of the award's points (the award's own lot first, then the lots
  that expire first), under the program's debt policy together with the points
  earned on the returned lines (`negative`: what was already spent becomes debt;
  `deduct_refund`: its cash value is deducted from the refund). The return records
  it as a negative `points.bonuses` entry.

One award per threshold per member per month, chain-wide
---------------------------------------------------------
A till sees only its own sales. Its net for the month is a lower bound of the
chain's (each store's part of a month is ≥ 0, a return being made where its sale
was), so an award a till makes is always deserved; what a till cannot see is
another store awarding the same rule, or the chain reaching a threshold that no
store reaches alone. So on an enrolled till the award is provisional and **HQ
decides** (`sync/server/monthly_bonus.py`): after each pushed batch HQ counts, for
every member and month the batch touched, the chain's net spend (every store's
sales and returns as HQ holds them, HQ's re-priced figure where it priced a sale
otherwise) and the awards in force (the sales' and returns' records, plus HQ's own
entries), and posts the difference as HQ entries (store `HQ`) that come down to
every till: a duplicate award from the second store to cross is taken back
(`adjust`), an award the chain deserves and no store made is given (`bonus`).
HQ's member lock serialises two stores' batches for one member, so two stores
crossing together end with one award, whatever the order they arrive in.
A till counts the rows it pulled (other stores', HQ's) as in force too, so once
the award has come down it does not award it again; and it takes back on a return
only the awards it made itself (another store's or HQ's award is HQ's to take back).
"""
from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from pos.loyalty import expiry, ledger
from pos.rules.program import MonthlySpendBonus, ProgramDoc
from pos.store.models import PointsEntry, Sale

PREFIX = "monthly_spend"
HQ_STORE = "HQ"  # store code of the entries HQ posts itself (sync.server.models.HQ_STORE)
_REASON = re.compile(r"^monthly_spend:(\d{1,12})@(\d{4}-\d{2})(?: |$)")


# --- pure ------------------------------------------------------------------------------------

def rule_name(bonus: MonthlySpendBonus | int) -> str:
    return f"{PREFIX}:{bonus if isinstance(bonus, int) else bonus.min_fen}"


def rule_min(name: str) -> int | None:
    head, _, tail = name.partition(":")
    return int(tail) if head == PREFIX and tail.isdigit() else None


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """First day of the month, first day of the next."""
    first = dt.date(int(month[:4]), int(month[5:7]), 1)
    nxt = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, nxt


def reason(rule: str, month: str, what: str) -> str:
    return f"{rule}@{month} {what}"[:200]


def parse_reason(text: str | None) -> tuple[str, str] | None:
    """(rule, month) of a ledger entry made by this rule, else None."""
    m = _REASON.match(text or "")
    return (f"{PREFIX}:{int(m.group(1))}", m.group(2)) if m else None


def reconcile(rules: Iterable[MonthlySpendBonus], net_fen: int, have: dict[str, int]) -> dict[str, int]:
    """Rule name -> awards to make (> 0) or take back (< 0) so that each rule is in force
    exactly once when the month's net reaches its threshold, else not at all. `have`:
    rule -> awards in force (awarded minus taken back). A rule no longer in the program
    is never awarded anew, only taken back when the net is below it."""
    rules = [b for b in rules if b.points > 0]
    names = {rule_name(b) for b in rules}
    out = {}
    for name in sorted(names | set(have), key=lambda n: rule_min(n) or 0):
        low = rule_min(name)
        if low is None:
            continue
        got = have.get(name, 0)
        want = (1 if name in names else min(1, max(got, 0))) if net_fen >= low else 0
        if want != got:
            out[name] = want - got
    return out


# --- the till's view ---------------------------------------------------------------------------

@dataclass
class Claim:
    """One award (points > 0) or take-back (< 0) recorded by a local sale or return."""
    rule: str
    points: int
    sale_id: uuid.UUID
    entry: str | None = None  # the award's lot; on a take-back, the lot it took back
    created_at: dt.datetime | None = None


@dataclass
class View:
    """A member's month as this till has it."""
    month: str
    net_fen: int = 0
    own: list[Claim] = field(default_factory=list)  # this till's sales' and returns' records
    pulled: dict[str, int] = field(default_factory=dict)  # rule -> awards in force by other stores and HQ
    reversed: set[str] = field(default_factory=set)  # lots of awards that pulled rows (HQ's) took back

    def have(self) -> dict[str, int]:
        out = dict(self.pulled)
        for c in self.own:
            out[c.rule] = out.get(c.rule, 0) + (1 if c.points > 0 else -1)
        return out

    def own_in_force(self, rule: str) -> list[Claim]:
        """This till's awards of `rule` not taken back here, latest first."""
        taken = {c.entry for c in self.own if c.rule == rule and c.points < 0} | self.reversed
        given = [c for c in self.own if c.rule == rule and c.points > 0 and c.entry not in taken]
        return sorted(given, key=lambda c: (c.created_at or dt.datetime.min.replace(tzinfo=dt.timezone.utc)),
                      reverse=True)


def claims_of(detail: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [b for b in (detail or {}).get("bonuses") or []
            if isinstance(b, dict) and rule_min(str(b.get("rule", ""))) is not None]


def view(s: Session, member_id: uuid.UUID, month: str, tz_margin_days: int = 2) -> View:
    """The month's net spend of the member at this till (its sales of the month, less the
    returns of those sales), the awards its own sales and returns recorded, and the
    awards in force by rows pulled from other stores and HQ."""
    first, nxt = month_bounds(month)
    lo = dt.datetime.combine(first - dt.timedelta(days=tz_margin_days), dt.time(0), dt.timezone.utc)
    rows = s.execute(select(Sale.id, Sale.kind, Sale.business_date, Sale.original_sale_id, Sale.spend_fen,
                            Sale.detail, Sale.created_at)
                     .where(Sale.member_id == member_id, Sale.created_at >= lo, Sale.kind.in_(("sale", "return")))).all()
    v = View(month)
    in_month = {r.id for r in rows if r.kind == "sale" and first <= r.business_date < nxt}
    local = {r.id for r in rows}
    for r in rows:
        if r.id in in_month or (r.kind == "return" and r.original_sale_id in in_month):
            v.net_fen += int(r.spend_fen or 0)
            for b in claims_of(r.detail):
                if b.get("month") == month:
                    v.own.append(Claim(str(b["rule"]), int(b["points"]), r.id, b.get("entry"), r.created_at))
    for pts, why, sale_id, store, reverses in s.execute(
            select(PointsEntry.points, PointsEntry.reason, PointsEntry.sale_id, PointsEntry.store_code,
                   PointsEntry.reverses_id)
            .where(PointsEntry.member_id == member_id, PointsEntry.reason.like(f"{PREFIX}:%@{month}%"))):
        key = parse_reason(why)
        if key is None or key[1] != month or (sale_id in local and store != HQ_STORE):
            continue  # this till's own rows are counted by its sales' records
        v.pulled[key[0]] = v.pulled.get(key[0], 0) + (1 if pts > 0 else -1)
        if pts < 0 and reverses is not None:
            v.reversed.add(str(reverses))  # e.g. HQ took this till's award back as the second of the month
    return v


# --- in the sale's transaction ---------------------------------------------------------------

def after_sale(s: Session, db, program: ProgramDoc, member_id: uuid.UUID, sale: Sale, now: dt.datetime,
               channel: str = "store") -> list[dict[str, Any]]:
    """Award the thresholds this sale makes the month reach (the sale is written and
    flushed). Returns [{"rule", "points"}] and records them on the sale."""
    rules = [b for b in program.bonuses.monthly_spend if b.points > 0]
    if not rules or sale.kind != "sale" or not sale.spend_fen:
        return []
    month = month_of(sale.business_date)
    v = view(s, member_id, month)
    delta = reconcile(rules, v.net_fen, v.have())
    made = []
    for b in sorted(rules, key=lambda b: b.min_fen):
        name = rule_name(b)
        if delta.get(name, 0) <= 0:
            continue  # a duplicate the till sees is HQ's to settle; a sale never takes back
        lot = ledger.credit(s, member_id, "bonus", b.points, now=now, expires_at=expiry.lot_expiry(program, now, db.clock),
                            available_at=expiry.available_at(program, now, channel), test_clock=db.test_clock,
                            store_code=db.store_code, sale_id=sale.id, program_version=program.version,
                            reason=reason(name, month, f"sale {sale.receipt_no}"))
        made.append({"rule": name, "points": b.points, "month": month, "entry": str(lot.id)})
    if made:
        detail = dict(sale.detail or {})
        detail["bonuses"] = [*(detail.get("bonuses") or []), *made]
        sale.detail = detail
    return [{"rule": m["rule"], "points": m["points"]} for m in made]


# --- returns ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class TakeBack:
    rule: str
    points: int  # > 0: what the award gave
    entry: str | None  # the award's lot
    month: str


def to_take_back(s: Session, member_id: uuid.UUID | None, sale: Sale, refund_fen: int) -> list[TakeBack]:
    """The awards of this till a return of `refund_fen` (of `sale`) takes back: those whose
    threshold the month's net falls below. Read-only (the returns preview uses it)."""
    if member_id is None or sale.kind != "sale" or refund_fen <= 0:
        return []
    month = month_of(sale.business_date)
    v = view(s, member_id, month)
    if not v.own:
        return []
    after = v.net_fen - refund_fen
    out = []
    for rule in sorted({c.rule for c in v.own}, key=lambda n: rule_min(n) or 0):
        low = rule_min(rule)
        if low is None or after >= low:
            continue
        out += [TakeBack(rule, c.points, c.entry, month) for c in v.own_in_force(rule)]
    return out


def take_back(s: Session, db, program: ProgramDoc, member_id: uuid.UUID, ret: Sale, backs: list[TakeBack],
              now: dt.datetime, cash_paid: int = 0) -> list[dict[str, Any]]:
    """Post the take-backs of a return (in its transaction). `cash_paid`: points of them the
    refund deduction paid instead (debt policy `deduct_refund`); the rest is debited, as
    debt where the member spent it. Records them on the return."""
    if not backs:
        return []
    made = []
    left_cash = cash_paid
    for b in backs:
        paid = min(left_cash, b.points)
        left_cash -= paid
        take = b.points - paid
        if take > 0:
            lots = ledger.open_lots(s, member_id)
            lots = sorted(lots, key=lambda lot: str(lot.id) != b.entry)  # stable: the award's own lot first
            ledger.debit(s, member_id, "reverse", take, now=now, lots=lots, allow_debt=True,
                         test_clock=db.test_clock, store_code=db.store_code, sale_id=ret.id,
                         program_version=program.version,
                         reverses_id=uuid.UUID(b.entry) if b.entry else None,
                         reason=reason(b.rule, b.month, f"return {ret.receipt_no}"))
        made.append({"rule": b.rule, "points": -b.points, "month": b.month, "entry": b.entry})
    detail = dict(ret.detail or {})
    detail["bonuses"] = [*(detail.get("bonuses") or []), *made]
    ret.detail = detail
    return [{"rule": m["rule"], "points": m["points"]} for m in made]


def shown(detail: dict[str, Any] | None) -> list[dict[str, Any]]:
    """`points.bonuses` of a sale or return as the public interface has it: [{"rule", "points"}]."""
    return [{"rule": str(b["rule"]), "points": int(b["points"])} for b in (detail or {}).get("bonuses") or []
            if isinstance(b, dict) and "rule" in b and isinstance(b.get("points"), int)]
