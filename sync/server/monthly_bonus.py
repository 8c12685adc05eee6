"""The monthly-spend bonus chain-wide: HQ decides (`pos.loyalty.monthly_spend`).

A till awards a threshold in the sale that makes *its* view of the member's month
reach it, and takes back its own award on a return that drops it below; both are
recorded on the sale or return it pushes (`sale.points.bonuses`). A till cannot see
another store doing the same, nor the chain reaching a threshold no store reaches
alone. So after every pushed batch (`after_batch`, called by `ingest` once the
batch's sales, returns and ledger rows are in), for each member and month the
batch's sales and returns touched, HQ counts under the member's balance lock:

* the month's chain-wide net spend — every store's sales of the month (by the
  business date the till priced them on) and the returns of those sales, HQ's
  figure where it priced a sale otherwise (as tier reviews count spend);
* the awards in force per rule — the awards and take-backs the stores' sales and
  returns recorded, plus HQ's own entries of that rule and month;

and posts the difference (`monthly_spend.reconcile`) as HQ entries (store `HQ`),
which reach every till with its next pull: an award in force twice (two stores
crossing together, offline or not) is taken back once (`adjust`, the second
award's own lot first, debt where it was spent — HQ cannot deduct a refund), an
award the chain deserves that no store made is given (`bonus`), an award the
chain no longer deserves (a return elsewhere) is taken back. The sales are facts
HQ never rewrites; only HQ's corrections are added, so the sum always ends at one
award per threshold per member per month, whatever order the stores' batches come
in: the balance lock serialises two batches for one member, and each counts what
the other committed.
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select

from pos.clock import Clock
from pos.loyalty import expiry, ledger
from pos.loyalty import monthly_spend as rule

from . import alliance, sales
from .common import Ctx, as_uuid, lock_balances, resolve
from .expiry import DEFAULT_TZ, active_program
from .models import HQ_STORE, MemberBalance, PointsEntry, Sale
from .reviews import _spend

KINDS = ("sale.committed", "sale.returned")
_CLOCK = Clock(DEFAULT_TZ)  # the chain's zone, for a lot's expiry and sales without a business date


def _sale_month(document: dict | None, created_at: dt.datetime | None) -> str | None:
    """The month of a sale: its business date as the till priced it, else its time in the chain's zone."""
    sale = (document or {}).get("sale") or {}
    day = (sale.get("pricing") or {}).get("local_date") if isinstance(sale.get("pricing"), dict) else None
    if isinstance(day, str) and len(day) == 10:
        try:
            return rule.month_of(dt.date.fromisoformat(day))
        except ValueError:
            pass
    return rule.month_of(_CLOCK.local(created_at).date()) if created_at is not None else None


def _claims(document: dict | None) -> list[tuple[str, int]]:
    pts = (((document or {}).get("sale") or {}).get("points") or {})
    out = []
    for b in pts.get("bonuses") or [] if isinstance(pts, dict) else []:
        if isinstance(b, dict) and isinstance(b.get("rule"), str) and rule.rule_min(b["rule"]) is not None \
                and isinstance(b.get("points"), int) and not isinstance(b.get("points"), bool) and b["points"]:
            out.append((b["rule"], b["points"]))
    return out


def _touched(s, c: Ctx, kind: str, p: dict) -> tuple[uuid.UUID, str] | None:
    d = p.get("sale") if isinstance(p.get("sale"), dict) else {}
    mid = as_uuid((d.get("member") or {}).get("id")) if isinstance(d.get("member"), dict) else None
    if mid is None:
        return None
    if kind == "sale.returned":
        month = p.get("bonus_month")
        if not (isinstance(month, str) and len(month) == 7):
            orig = s.get(Sale, as_uuid(p.get("original_sale_id")))
            month = _sale_month(orig.document, orig.created_at) if orig is not None else None
    else:
        month = _sale_month(p, c.created_at)
    return (mid, month) if month else None


def after_batch(s, items: list[tuple[Ctx, str, dict]]) -> None:
    """(ctx, kind, payload) of the batch's applied events: settle each member's month they touched."""
    todo: dict[tuple[uuid.UUID, str], tuple[Ctx, dict]] = {}
    for c, kind, p in items:
        if kind not in KINDS:
            continue
        try:
            key = _touched(s, c, kind, p)
        except (ValueError, TypeError, AttributeError):
            continue  # the event was applied; its bonus is whatever the sale's own rows say
        if key is not None:
            todo[key] = (c, p)  # the latest event of the batch for that month triggers
    for (mid, month), (c, p) in sorted(todo.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        if not _counts(s, p):
            continue  # what settle() would find first, without a savepoint per member (ingest speed)
        sp = s.begin_nested()
        mark = len(s.info.get("changes", []))
        try:
            settle(s, c, mid, month, p)
            s.flush()
            sp.commit()
        except (ValueError, TypeError, KeyError, AttributeError):  # what a malformed stored sale carries: skip it
            sp.rollback()
            del s.info.setdefault("changes", [])[mark:]


def _counts(s, p: dict[str, Any]) -> bool:
    """Whether `settle` has anything to count for this sale: its program has the bonus, or it claims one."""
    try:
        d = p.get("sale") or {}
        doc = sales.program_version(s, d.get("program_version")) or active_program(s)
        return any(b.points > 0 for b in doc.bonuses.monthly_spend) or bool(_claims(p))
    except (ValueError, TypeError, KeyError, AttributeError):
        return True  # settle() decides (and skips what it cannot read)


def settle(s, c: Ctx, member_id: uuid.UUID, month: str, p: dict[str, Any]) -> dict[str, int]:
    """Bring the member's month to one award per threshold reached; returns what HQ posted
    (rule -> count, + awarded / − taken back)."""
    d = p.get("sale") or {}
    doc = sales.program_version(s, d.get("program_version")) or active_program(s)
    rules = [b for b in doc.bonuses.monthly_spend if b.points > 0]
    if not rules and not _claims(p):
        return {}  # a program without the bonus, and a sale that claims none: nothing to count
    member = resolve(s, member_id)
    if member is None:
        return {}
    lock_balances(s, [member.id])  # two stores' batches for this member: one after the other
    ids = list({member_id, member.id})
    first, _nxt = rule.month_bounds(month)
    lo = dt.datetime.combine(first - dt.timedelta(days=2), dt.time(0), dt.timezone.utc)
    rows = s.execute(select(Sale.id, Sale.kind, Sale.document, Sale.repriced, Sale.hq_net_fen, Sale.created_at)
                     .where(Sale.member_id.in_(ids), Sale.created_at >= lo, Sale.kind.in_(("sale", "return")))).all()
    months = {r.id: _sale_month(r.document, r.created_at) for r in rows if r.kind == "sale"}
    net, have, award_pts = 0, {}, {}
    for r in rows:
        if r.kind == "sale":
            m = months[r.id]
        else:
            doc_ = r.document or {}
            m = doc_.get("bonus_month") if isinstance(doc_.get("bonus_month"), str) else \
                months.get(as_uuid(doc_.get("original_sale_id")))
        if m != month:
            continue
        net += _spend(r.document, r.repriced, r.hq_net_fen)
        for name, pts in _claims(r.document):
            have[name] = have.get(name, 0) + (1 if pts > 0 else -1)
            if pts > 0:
                award_pts[name] = pts
    for pts, why in s.execute(select(PointsEntry.points, PointsEntry.reason).where(
            PointsEntry.member_id.in_(ids), PointsEntry.store_code == HQ_STORE,
            PointsEntry.reason.like(f"{rule.PREFIX}:%@{month}%")).order_by(PointsEntry.created_at)):
        key = rule.parse_reason(why)
        if key is None or key[1] != month:
            continue
        have[key[0]] = have.get(key[0], 0) + (1 if pts > 0 else -1)
        if pts > 0:
            award_pts[key[0]] = pts
    delta = rule.reconcile(rules, net, have)
    if not delta:
        return {}
    s.flush()
    cached = s.get(MemberBalance, member.id)
    if cached is not None:
        s.refresh(cached)  # moved by a bulk UPDATE of this batch (ledger_rows)
    sale_id = as_uuid(d.get("sale_id"))
    common = dict(now=c.now, store_code=HQ_STORE, sale_id=sale_id, test_clock=c.test_clock,
                  **alliance.ledger_fields(s, c.store))  # the selling store's merchant's points (issue 17)
    points_of = {rule.rule_name(b): b.points for b in rules}
    for name, n in delta.items():
        if n > 0:
            for _ in range(n):
                ledger.credit(s, member.id, "bonus", points_of[name], expires_at=expiry.lot_expiry(doc, c.now, _CLOCK),
                              program_version=doc.version, reason=rule.reason(
                                  name, month, f"HQ: the chain's net spend of the month is {net / 100:.2f}"), **common)
            continue
        pts = award_pts.get(name) or points_of.get(name)
        if not pts:
            continue
        why = ("awarded by more than one store" if net >= (rule.rule_min(name) or 0)
               else f"the chain's net spend of the month is {net / 100:.2f}")
        key = PointsEntry.reason.like(f"{name}@{month}%")
        taken = set(s.scalars(select(PointsEntry.reverses_id).where(
            PointsEntry.member_id.in_(ids), PointsEntry.points < 0, PointsEntry.reverses_id.is_not(None), key)))
        # the awards not taken back yet, latest first (the second store's): each take-back names the one it takes
        awards = [i for i in s.scalars(select(PointsEntry.id).where(
            PointsEntry.member_id.in_(ids), PointsEntry.kind == "bonus", PointsEntry.points > 0, key)
            .order_by(PointsEntry.created_at.desc(), PointsEntry.id.desc())) if i not in taken]
        for _ in range(-n):
            target = awards.pop(0) if awards else None  # None: the award's rows have not arrived yet
            lots = ledger.open_lots(s, member.id, common.get("scope"))
            lots = sorted(lots, key=lambda lot: lot.id != target)  # its own lot first, then the lots that expire first
            ledger.debit(s, member.id, "adjust", pts, lots=lots, allow_debt=True, reverses_id=target,
                         reason=rule.reason(name, month, f"HQ: taken back, {why}"), **common)
    return delta
