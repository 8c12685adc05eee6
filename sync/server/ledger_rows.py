"""Stores' ledger rows at HQ (points entries, allocations, stored-value entries):
inserted with their original ids as they are (never re-posted), the balance cache
moved by what was new, then what a person must look at (an overdraft from
offline spending, a lot paid out twice, rows for a member merged meanwhile —
forwarded to the survivor). A sale's earn rows above what HQ priced the sale at
are taken back (`sales.settle_points`). One implementation for one event and for
a whole batch (`apply_ledger` takes a list)."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import alliance, changes, coin_rows, member_rewards
from .common import UNKNOWN_MEMBER, Ctx, Reject, as_time, as_uuid, insert_new_rows, lock_balances, resolve
from .members import forward_balance
from .models import Member, MemberBalance, PointsAllocation, PointsEntry, StoredValueEntry
from .sales import settle_points


_P_COLS = ("id", "member_id", "kind", "points", "available_at", "expires_at", "reverses_id", "source_lot_id",
           "sale_id", "store_code", "program_version", "reason", "created_at", "test_clock")
_A_COLS = ("id", "debit_id", "lot_id", "points")
_V_COLS = ("id", "member_id", "kind", "amount_fen", "reverses_id", "sale_id", "store_code", "reason", "created_at",
           "test_clock")
_UUIDS = {"id", "member_id", "reverses_id", "source_lot_id", "sale_id", "debit_id", "lot_id"}
_TIMES = {"available_at", "expires_at", "created_at"}


def _row(d: dict, cols: tuple[str, ...], store: str) -> dict:
    out = {}
    for k in cols:
        v = d.get(k)
        if k in _UUIDS:
            v = as_uuid(v)
        elif k in _TIMES:
            v = as_time(v)
        elif k in ("points", "amount_fen"):
            v = int(v)
            if v == 0:
                raise ValueError(f"{k} cannot be 0")
        elif k == "test_clock":
            v = bool(v)
        out[k] = v
    if "store_code" in cols and not out.get("store_code"):
        out["store_code"] = store
    if out.get("store_code") not in (store,):
        raise Reject(f"ledger row {out['id']} claims store {out.get('store_code')!r}")
    return out


class Rows(tuple):
    """(points, allocations, stored value) of one event; `.coin`: its shopping-coin rows (issue 17,
    `coin_rows.rows_of`: entries, allocations)."""

    coin: tuple[list, list] = ([], [])


def rows_of(p: dict, store: str) -> tuple[list, list, list]:
    prow = [_row(r, _P_COLS, store) for r in p.get("points") or []]
    arow = []
    for r in p.get("allocations") or []:
        a = {k: (as_uuid(r.get(k)) if k in _UUIDS else int(r[k])) for k in _A_COLS}
        if a["points"] <= 0:
            raise ValueError("allocation points must be > 0")
        arow.append(a)
    vrow = [_row(r, _V_COLS, store) for r in p.get("sv") or []]
    out = Rows((prow, arow, vrow))
    out.coin = coin_rows.rows_of(p, store)
    return out


def apply_ledger(s: Session, store: str, now: dt.datetime, parts: list[tuple[Ctx, tuple[list, list, list]]]) -> None:
    """Stores' ledger rows with their original ids: inserted as they are (never
    re-posted), the balance cache moved by what was new; then what a person must
    look at. `parts` is one (ctx, rows) per event — one event, or a whole batch at once."""
    coin_rows.apply(s, store, now, [(c, getattr(rows, "coin", ([], []))) for c, rows in parts])  # issue 17
    prow = [r for _, (p, _a, _v) in parts for r in p]
    arow = [r for _, (_p, a, _v) in parts for r in a]
    vrow = [r for _, (_p, _a, v) in parts for r in v]
    # whose they are (issue 17): the merchant of the store that made them, whatever the row says
    scope = alliance.ledger_scope(s, store)
    mc = alliance.stamp(scope)
    for r in prow + arow + vrow:
        r["merchant_code"] = mc
    owner: dict[Any, Ctx] = {}  # member / lot -> the event that brought its rows (exceptions are filed under it)
    for c, (p, a, v) in parts:
        for r in p + v:
            owner[r["member_id"]] = c
    lock_balances(s, {r["member_id"] for r in prow + vrow})
    new_p = insert_new_rows(s, PointsEntry.__table__, prow)
    new_a = insert_new_rows(s, PointsAllocation.__table__, arow)
    new_v = insert_new_rows(s, StoredValueEntry.__table__, vrow)
    changes.record_many(s, "points_entry", [r["id"] for r in prow if r["id"] in new_p], store)
    changes.record_many(s, "points_allocation", [r["id"] for r in arow if r["id"] in new_a], store)
    changes.record_many(s, "sv_entry", [r["id"] for r in vrow if r["id"] in new_v], store)
    delta: dict[uuid.UUID, list[int]] = {}
    for r in prow:
        if r["id"] in new_p:
            delta.setdefault(r["member_id"], [0, 0])[0] += r["points"]
    for r in vrow:
        if r["id"] in new_v:
            delta.setdefault(r["member_id"], [0, 0])[1] += r["amount_fen"]
    if not delta and not new_a:
        return
    t = MemberBalance.__table__
    if delta:
        from sqlalchemy import bindparam

        s.execute(t.update().where(t.c.member_id == bindparam("mid")).values(
            points=t.c.points + bindparam("dp"), stored_value_fen=t.c.stored_value_fen + bindparam("dv"),
            updated_at=bindparam("now")),
            [{"mid": m, "dp": d[0], "dv": d[1], "now": now} for m, d in sorted(delta.items())])
    touched = sorted(delta)
    # spending beyond the balance (two offline tills), stored value below zero
    for i in range(0, len(touched), 1000):
        chunk = touched[i:i + 1000]
        for mid, pts, sv in s.execute(select(t.c.member_id, t.c.points, t.c.stored_value_fen).where(
                t.c.member_id.in_(chunk), (t.c.points < 0) | (t.c.stored_value_fen < 0))):
            spent = [r for r in prow if r["member_id"] == mid and r["points"] < 0 and r["id"] in new_p]
            if pts < 0 and spent:
                owner[mid].exception("overdraft", mid, points_balance=pts, spent=-sum(r["points"] for r in spent),
                                     sales=sorted({str(r["sale_id"]) for r in spent if r["sale_id"]}))
            if sv < 0:
                owner[mid].exception("sv_overdraft", mid, stored_value_fen=sv)
    if scope is not None:  # several merchants: a merchant's own points or stored value below zero
        _merchant_overdrafts(s, scope, owner, prow, vrow, new_p, new_v)
    # a lot paid out twice over (two tills spent the same lot offline): nothing is rewritten, the
    # excess is the member's debt (pos.loyalty.ledger.position), settled by the next credit; flagged to look at
    lots = sorted({a["lot_id"] for a in arow if a["id"] in new_a})
    for i in range(0, len(lots), 1000):
        chunk = lots[i:i + 1000]
        used = dict(s.execute(select(PointsAllocation.lot_id, func.sum(PointsAllocation.points))
                              .where(PointsAllocation.lot_id.in_(chunk)).group_by(PointsAllocation.lot_id)).all())
        for lot_id, member_id, points in s.execute(select(PointsEntry.id, PointsEntry.member_id, PointsEntry.points)
                                                   .where(PointsEntry.id.in_(chunk))):
            if used.get(lot_id, 0) > points:
                c = owner.get(member_id) or parts[-1][0]
                c.exception("lot_overdrawn", member_id, lot=str(lot_id), points=points, allocated=int(used[lot_id]),
                            debt=int(used[lot_id]) - points)
    # a sale's earn rows beyond what HQ priced it at: HQ takes the excess back (sales.settle_points)
    settle_points(s, now, {r["sale_id"] for r in prow if r["id"] in new_p and r["kind"] == "earn" and r["sale_id"]})
    known: dict[uuid.UUID, str] = {}
    for i in range(0, len(touched), 1000):
        known.update(dict(s.execute(select(Member.id, Member.status).where(Member.id.in_(touched[i:i + 1000]))).all()))
    for mid in touched:
        if mid not in known:
            owner[mid].exception("unknown_member", mid, event="ledger.entries")
        elif known[mid] == "merged":  # rows for a member HQ merged meanwhile: what they left moves on
            m = s.get(Member, mid)
            keep = resolve(s, mid)
            if keep is not None and keep.id != mid:
                forward_balance(owner[mid], m, keep, reason=f"after merge {m.member_code} -> {keep.member_code}")
    # a member-action award given twice for one person (two stores that had not synced): HQ keeps the first
    member_rewards.after_ledger(s, now, [r for r in prow if r["id"] in new_p],
                                lambda mid, **d: (owner.get(mid) or parts[-1][0]).exception("reward_twice", mid, **d))


def _merchant_overdrafts(s: Session, scope: str, owner: dict, prow: list, vrow: list, new_p, new_v) -> None:
    """The member-wide cache may stay positive while one merchant's own balance went below
    zero (two of its tills offline, spending the same points): flagged as `overdraft` /
    `sv_overdraft` with the merchant, as a member-wide one is."""
    from pos.loyalty.ledger import scoped

    spenders = sorted({r["member_id"] for r in prow if r["points"] < 0 and r["id"] in new_p})
    payers = sorted({r["member_id"] for r in vrow if r["amount_fen"] < 0 and r["id"] in new_v})
    flagged = {(e.member_id, e.kind) for e in s.new if getattr(e, "kind", None) in ("overdraft", "sv_overdraft")
               and hasattr(e, "member_id")}
    for mid in spenders:
        pts = s.scalar(scoped(select(func.coalesce(func.sum(PointsEntry.points), 0))
                              .where(PointsEntry.member_id == mid), scope))
        if pts < 0 and (mid, "overdraft") not in flagged:
            spent = [r for r in prow if r["member_id"] == mid and r["points"] < 0 and r["id"] in new_p]
            owner[mid].exception("overdraft", mid, points_balance=int(pts), merchant=scope,
                                 spent=-sum(r["points"] for r in spent),
                                 sales=sorted({str(r["sale_id"]) for r in spent if r["sale_id"]}))
    for mid in payers:
        sv = s.scalar(scoped(select(func.coalesce(func.sum(StoredValueEntry.amount_fen), 0))
                             .where(StoredValueEntry.member_id == mid), scope, StoredValueEntry.merchant_code))
        if sv < 0 and (mid, "sv_overdraft") not in flagged:
            owner[mid].exception("sv_overdraft", mid, stored_value_fen=int(sv), merchant=scope)


def dangling(s: Session, parts: list) -> dict[uuid.UUID, str]:
    """Events whose ledger rows refer to what neither HQ nor the batch has: a member,
    the entry a row reverses, the debit or lot of an allocation. HQ serves every row
    to every till, whose foreign keys would refuse it (and stop its pull): such an
    event is rejected, never stored. Returns event id -> reason."""
    out: dict[uuid.UUID, str] = coin_rows.dangling(s, [(c, getattr(rows, "coin", ([], []))) for c, rows in parts])
    mids = {r["member_id"] for _, (p, _a, v) in parts for r in p + v}
    pe_refs = {x for _, (p, a, _v) in parts for x in [r["reverses_id"] for r in p] + [r[k] for r in a
               for k in ("debit_id", "lot_id")] if x is not None}
    sv_refs = {r["reverses_id"] for _, (_p, _a, v) in parts for r in v if r["reverses_id"] is not None}

    def existing(col, ids):
        ids, got = list(ids), set()
        for i in range(0, len(ids), 1000):
            got.update(s.scalars(select(col).where(col.in_(ids[i:i + 1000]))))
        return got

    members, pes, svs = existing(Member.id, mids), existing(PointsEntry.id, pe_refs), \
        existing(StoredValueEntry.id, sv_refs)
    while True:  # an event rejected takes its rows away from the others' references
        live = [(c, rows) for c, rows in parts if c.event_id not in out]
        batch_pe = {r["id"] for _, (p, _a, _v) in live for r in p}
        batch_sv = {r["id"] for _, (_p, _a, v) in live for r in v}
        before = len(out)
        for c, (p, a, v) in live:
            if any(r["member_id"] not in members for r in p + v):
                out[c.event_id] = f"ledger row {UNKNOWN_MEMBER}"
            elif any(r["reverses_id"] is not None and r["reverses_id"] not in pes | batch_pe for r in p) or any(
                    r["reverses_id"] is not None and r["reverses_id"] not in svs | batch_sv for r in v):
                out[c.event_id] = "ledger row reverses an entry HQ does not have"
            elif any(r[k] not in pes | batch_pe for r in a for k in ("debit_id", "lot_id")):
                out[c.event_id] = "allocation refers to an entry HQ does not have"
        if len(out) == before:
            return out


def h_ledger(c: Ctx, p: dict) -> None:
    part = (c, rows_of(p, c.store))
    why = dangling(c.s, [part]).get(c.event_id)
    if why:
        raise Reject(why)
    apply_ledger(c.s, c.store, c.now, [part])


