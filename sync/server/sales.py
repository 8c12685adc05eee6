"""Sales, returns and top-ups at HQ; every sale priced again; coupons issued and used.

HQ re-prices every sale
-----------------------
A till's `sale.committed` carries what its pricing engine was given
(`pos.services.sale_event`). HQ prices it again with the same code
(`pos.rules.pricing.price`) and the program version the sale names, as HQ holds
it (published at HQ, or a shipped preset of that version), and compares totals
(gross, discount, net) and points (earned, redeemed) with what the till claimed:

* equal: the sale is accepted as it is (`sales.repriced = 'equal'`);
* different: accepted too — a paid sale is never refused — but flagged: a
  `reprice_mismatch` exception (`hq exceptions`) with each difference (till / HQ),
  `sales.repriced = 'mismatch'` and what HQ computed (`hq_net_fen`,
  `hq_points_earned`). A till cannot mint points: when the sale's `earn` rows
  arrive (`ledger_rows`) and exceed what HQ computed, HQ posts an `adjust`
  entry (store `HQ`, the sale's id) taking the excess back — from the sale's own
  lot, as debt if it was spent — which comes down to every till with the next
  pull. Fewer points than HQ computed are not topped up: the exception says so
  and a person decides;
* not re-priceable (an older till's event without pricing inputs, unreadable
  inputs, or a program version HQ does not hold): accepted and flagged
  `not_repriced` with the reason.

Returns and top-ups are not priced by the engine and are stored as sent.

A store's own sales come back to it
-----------------------------------
Each sale's event payload is its `document`, and carries the till's rows as
written (`record`, pos.store.sale_record). A `sale` change (origin: the store)
is logged with it; `changes.pull_page` serves it only on that store's own
re-sync after a restore (`own`), never to another store or on a normal pull,
and the till puts back a sale it lacks from the record.

One implementation for a batch and for one event (`apply_sales` takes a list):
a batch's sales without coupons go in a few statements; a sale with coupons goes
one by one in its savepoint (a coupon used twice is an exception, not a failure).
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from pos.loyalty import ledger
from pos.rules import program as pos_program
from pos.services import sale_event

from . import changes
from .common import UNKNOWN_MEMBER, Ctx, Reject, as_time, as_uuid, copy_rows, lock_balances, reason, resolve
from .models import HQ_STORE, Coupon, CouponUse, Hold, MemberBalance, PointsEntry, Program, Sale

REPRICE_KIND = "adjust"  # HQ's entry taking back points a till credited beyond HQ's price
_PROGRAMS: dict[str, pos_program.ProgramDoc] = {}  # version -> document published at HQ (a version never changes)
_PRESETS: dict[str, pos_program.ProgramDoc] | None = None  # the shipped presets by version (files of this release)


def _presets() -> dict[str, pos_program.ProgramDoc]:
    global _PRESETS
    if _PRESETS is None:
        found = {}
        for path in sorted(pos_program.PRESETS.glob("*.json")):
            try:
                d = pos_program.load_file(path)
            except Exception:  # a broken preset file is not a version HQ holds
                continue
            found.setdefault(d.version, d)
        _PRESETS = found
    return _PRESETS


def program_version(s: Session, version: Any) -> pos_program.ProgramDoc | None:
    """The program document of `version` as HQ holds it: published at HQ, or a shipped
    preset of that version (what HQ runs when nothing was published). None: not held.

    Per process, only published versions are kept (a published version is immutable, so
    every worker reads the same); a version HQ has not published is looked up again in
    each transaction (once: `s.info`), since another worker may publish it meanwhile."""
    if not isinstance(version, str) or not version:
        return None
    if version in _PROGRAMS:
        return _PROGRAMS[version]
    absent = s.info.setdefault("programs_absent", set())
    if version not in absent:
        row = s.get(Program, version)
        if row is not None:
            doc = pos_program.parse(row.document)
            _PROGRAMS[version] = doc
            return doc
        absent.add(version)
    return _presets().get(version)


def reprice(c: Ctx, d: dict, sid: uuid.UUID, member_id) -> dict[str, Any]:
    """Price the sale again; the `sales` columns it sets (and the exception it opens)."""
    base = {"sale": str(sid), "receipt_no": str(d.get("receipt_no"))[:40]}
    version = d.get("program_version")
    doc = program_version(c.s, version)
    if doc is None:
        why = (f"program version {str(version)[:40]!r} is not held at HQ" if version
               else "the sale names no program version")
        c.exception("not_repriced", member_id, reason=why, **base)
        return {"repriced": "unpriced"}
    try:
        got = sale_event.reprice(d, doc)
    except sale_event.NotRepriceable as exc:
        c.exception("not_repriced", member_id, reason=str(exc)[:300], **base)
        return {"repriced": "unpriced"}
    except Exception as exc:  # the engine is pure: whatever it raises is about these inputs
        c.exception("not_repriced", member_id, reason=f"pricing failed: {type(exc).__name__}: {str(exc)[:200]}",
                    **base)
        return {"repriced": "unpriced"}
    out = {"hq_net_fen": got.totals["net_fen"], "hq_points_earned": got.points["earned"]}
    if got.equal:
        return {**out, "repriced": "equal"}
    claimed = (d.get("points") or {}).get("earned")
    action = ("HQ takes back the points earned beyond its price" if isinstance(claimed, int)
              and claimed > got.points["earned"] else "no points taken back; review")
    c.exception("reprice_mismatch", member_id, program_version=version, differences=got.differences,
                points_action=action, **base)
    return {**out, "repriced": "mismatch"}


def _sale_row(c: Ctx, p: dict) -> tuple[dict, list[str]]:
    """The `sales` row of one event (before its hold and re-pricing), and its coupon codes."""
    d = p["sale"]
    kind = str(d.get("kind") or "sale")
    redeemed = int((d.get("points") or {}).get("redeemed") or 0)
    codes = [str(x) for x in d.get("coupons") or []]
    row = {"id": as_uuid(d["sale_id"]), "store_code": c.store, "kind": kind, "receipt_no": str(d["receipt_no"]),
           "member_id": as_uuid((d.get("member") or {}).get("id")), "created_at": c.created_at,
           "net_fen": int((d.get("totals") or {}).get("net_fen") or 0),
           "points_earned": int((d.get("points") or {}).get("earned") or 0), "points_redeemed": redeemed,
           "provisional": (redeemed > 0 or bool(codes)) and kind == "sale",  # spent without HQ's hold (unless held)
           "repriced": None, "hq_net_fen": None, "hq_points_earned": None, "document": p}
    return row, codes


def apply_sales(s: Session, store: str, items: list[tuple[Ctx, dict]], rejected: dict | None = None) -> None:
    """Sales, returns and top-ups of `items` (ctx, payload): a sale HQ has already is left
    as it is; a hold the sale used is marked used (and the sale is not provisional);
    sales are priced again; coupons used are recorded. A malformed event raises, or
    with `rejected` is answered there and its neighbours applied."""
    recs: dict[uuid.UUID, tuple[Ctx, dict, dict, list[str]]] = {}
    for c, p in items:
        try:
            row, codes = _sale_row(c, p)
        except (KeyError, ValueError, TypeError) as exc:
            if rejected is None:
                raise
            rejected[c.event_id] = reason(exc)
            continue
        recs.setdefault(row["id"], (c, p, row, codes))
    if not recs:
        return
    ids = list(recs)
    for sid in s.scalars(select(Sale.id).where(Sale.id.in_(ids))):
        recs.pop(sid, None)
    if not recs:
        return
    held = set(s.scalars(select(Hold.id).where(Hold.id.in_(list(recs)), Hold.store_code == store)))
    if held:  # another store's hold is not this sale's
        s.execute(update(Hold).where(Hold.id.in_(list(held))).values(status="used"))
    for sid, (c, p, row, _codes) in recs.items():
        if sid in held:
            row["provisional"] = False
        if row["kind"] == "sale":
            row.update(reprice(c, p["sale"], sid, row["member_id"]))
    copy_rows(s, Sale.__table__, [row for _c, _p, row, _codes in recs.values()])
    changes.record_many(s, "sale", list(recs), store)  # served back only to this store, on its own re-sync
    for sid, (c, p, row, codes) in recs.items():
        if codes:
            _use_coupons(c, p["sale"], sid, row["member_id"], codes)
    settle_points(s, now=max(c.now for c, *_ in recs.values()),
                  sale_ids=[sid for sid, (_c, _p, row, _x) in recs.items() if row["repriced"] == "mismatch"])


def h_sale(c: Ctx, p: dict) -> None:
    apply_sales(c.s, c.store, [(c, p)])


def _use_coupons(c: Ctx, d: dict, sid: uuid.UUID, mid, codes: list[str]) -> None:
    s = c.s
    for code in codes:
        coupon = s.scalar(select(Coupon).where(Coupon.code == code))
        if coupon is None:
            c.exception("unknown_coupon", mid, code=code, sale=str(sid))
            continue
        prior = s.scalar(select(CouponUse).where(CouponUse.coupon_id == coupon.id))
        if prior is not None:
            if prior.sale_id != sid:  # two tills took one single-use coupon offline
                c.exception("coupon_reuse", mid, code=code, sale=str(sid), first_sale=str(prior.sale_id),
                            first_store=prior.store_code)
            continue
        amount = sum(int(x.get("amount_fen") or 0) for ln in d.get("lines") or [] for x in ln.get("discounts") or []
                     if x.get("kind") == "coupon" and x.get("code") == code)
        use_id = uuid.uuid5(uuid.NAMESPACE_URL, f"memberpos:coupon-use:{sid}:{code}")
        owner = resolve(s, mid) if mid else None  # served to tills: only a member they can have
        s.add(CouponUse(id=use_id, coupon_id=coupon.id, sale_id=sid, member_id=owner.id if owner else None,
                        amount_fen=amount, used_at=c.created_at, store_code=c.store))
        changes.record(s, "coupon_use", use_id, c.store)


def settle_points(s: Session, now: dt.datetime, sale_ids) -> None:
    """For each re-priced sale HQ disagreed with: what its `earn` rows credited beyond
    HQ's price (less what HQ already took back) is taken back by an HQ `adjust` entry."""
    ids = sorted({i for i in sale_ids if i is not None})
    if not ids:
        return
    flagged = s.execute(select(Sale.id, Sale.receipt_no, Sale.hq_points_earned).where(
        Sale.id.in_(ids), Sale.repriced == "mismatch", Sale.hq_points_earned.is_not(None))).all()
    for sid, receipt_no, hq_points in flagged:
        earns = s.execute(select(PointsEntry.id, PointsEntry.member_id, PointsEntry.points, PointsEntry.merchant_code)
                          .where(PointsEntry.sale_id == sid, PointsEntry.kind == "earn")).all()
        if not earns:
            continue
        taken = -int(s.scalar(select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
            PointsEntry.sale_id == sid, PointsEntry.kind == REPRICE_KIND, PointsEntry.store_code == HQ_STORE)) or 0)
        credited = sum(int(p) for _i, _m, p, _mc in earns)
        excess = credited - taken - int(hq_points)
        if excess <= 0:
            continue
        member = resolve(s, earns[0][1])
        if member is None:
            continue
        lock_balances(s, [member.id])
        s.flush()
        cached = s.get(MemberBalance, member.id)
        if cached is not None:
            s.refresh(cached)  # moved by a bulk UPDATE of this transaction
        lot_ids = {i for i, _m, _p, _mc in earns}
        lots = [lot for lot in ledger.open_lots(s, member.id) if lot.id in lot_ids]
        ledger.debit(s, member.id, REPRICE_KIND, excess, now=now, lots=lots, allow_debt=True, store_code=HQ_STORE,
                     merchant_code=earns[0][3],  # whose points the sale earned (issue 17)
                     sale_id=sid, reason=f"re-priced at HQ: sale {receipt_no} earns {hq_points}, not {credited}"[:200])


# --- coupons issued at a store -------------------------------------------------------------------

def h_coupon_issued(c: Ctx, p: dict) -> None:
    s = c.s
    if s.scalar(select(Coupon.id).where(Coupon.code == p["code"])) is not None:
        return
    mid = as_uuid(p.get("member_id"))
    if mid is not None:
        m = resolve(s, mid)
        if m is None:
            raise Reject(UNKNOWN_MEMBER)
        mid = m.id
    s.add(Coupon(id=as_uuid(p["id"]), code=str(p["code"]), template=str(p["template"]), member_id=mid,
                 valid_from=as_time(p["valid_from"]), valid_to=as_time(p["valid_to"]),
                 source=str(p.get("source") or ""), issued_at=c.created_at, issued_store=c.store,
                 test_clock=c.test_clock))
    changes.record(s, "coupon", p["code"])
