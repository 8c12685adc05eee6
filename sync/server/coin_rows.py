"""Stores' shopping-coin rows at HQ (issue 17): coin entries and allocations come up in
`ledger.entries` events beside the points rows (`coins`, `coin_allocations`), are inserted
with their original ids as they are (never re-posted), and go down to every store of every
merchant (the coin ledger is the alliance's, shared). HQ stamps each row the till left
without a merchant with the merchant of the till's store, and refuses a row that claims
another merchant or store: issuer and redeemer are what settlement pays on.
Two offline tills spending the same coins make a negative balance: kept, and a
`coin_overdraft` exception for review (as points' `overdraft`)."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import changes
from .alliance import merchant_of_store
from .alliance_models import CoinAllocation, CoinEntry
from .common import Reject, as_time, as_uuid, insert_new
from .models import Member

_C_COLS = ("id", "member_id", "kind", "coins", "value_fen", "merchant_code", "store_code", "sale_id", "reverses_id",
           "expires_at", "alliance_version", "reason", "created_at", "test_clock")
KINDS = {"earn", "spend", "refund", "reverse", "expire", "adjust"}


def rows_of(p: dict, store: str) -> tuple[list[dict], list[dict]]:
    entries, allocs = [], []
    for d in p.get("coins") or []:
        r: dict[str, Any] = {}
        for k in _C_COLS:
            v = d.get(k)
            if k in ("id", "member_id", "sale_id", "reverses_id"):
                v = as_uuid(v)
            elif k in ("expires_at", "created_at"):
                v = as_time(v)
            elif k in ("coins", "value_fen"):
                v = int(v)
            elif k == "test_clock":
                v = bool(v)
            r[k] = v
        if r["coins"] == 0:
            raise ValueError("coins cannot be 0")
        if r["kind"] not in KINDS:
            raise Reject(f"coin row {r['id']}: unknown kind {str(r['kind'])[:16]!r}")
        r["store_code"] = r["store_code"] or store
        if r["store_code"] != store:
            raise Reject(f"coin row {r['id']} claims store {r['store_code']!r}")
        entries.append(r)
    for d in p.get("coin_allocations") or []:
        a = {"id": as_uuid(d["id"]), "debit_id": as_uuid(d["debit_id"]), "lot_id": as_uuid(d["lot_id"]),
             "coins": int(d["coins"])}
        if a["coins"] == 0:
            raise ValueError("allocation coins cannot be 0")
        allocs.append(a)
    return entries, allocs


def dangling(s: Session, parts: list[tuple[Any, tuple[list, list]]]) -> dict[uuid.UUID, str]:
    """Events whose coin rows refer to what neither HQ nor the batch has, or claim another merchant."""
    out: dict[uuid.UUID, str] = {}
    if not any(e or a for _, (e, a) in parts):
        return out
    mids = {r["member_id"] for _, (e, _a) in parts for r in e}
    refs = {x for _, (e, a) in parts for x in [r["reverses_id"] for r in e if r["reverses_id"]] +
            [r[k] for r in a for k in ("debit_id", "lot_id")]}
    have_m = set(s.scalars(select(Member.id).where(Member.id.in_(list(mids))))) if mids else set()
    have_e = set(s.scalars(select(CoinEntry.id).where(CoinEntry.id.in_(list(refs))))) if refs else set()
    batch = {r["id"] for _, (e, _a) in parts for r in e}
    for c, (e, a) in parts:
        mine = merchant_of_store(s, c.store)
        if any(r["member_id"] not in have_m for r in e):
            out[c.event_id] = "coin row of a member HQ does not know"
        elif any(r["reverses_id"] and r["reverses_id"] not in have_e | batch for r in e) or \
                any(r[k] not in have_e | batch for r in a for k in ("debit_id", "lot_id")):
            out[c.event_id] = "coin row refers to an entry HQ does not have"
        elif any(r["merchant_code"] not in (None, mine) and r["kind"] in ("earn", "spend", "refund") for r in e):
            out[c.event_id] = f"coin row claims another merchant than the store's ({mine})"
    return out


def apply(s: Session, store: str, now: dt.datetime, parts: list[tuple[Any, tuple[list, list]]]) -> None:
    entries = [r for _, (e, _a) in parts for r in e]
    allocs = [r for _, (_e, a) in parts for r in a]
    if not entries and not allocs:
        return
    mine = merchant_of_store(s, store)
    for r in entries:
        if r["merchant_code"] is None:
            r["merchant_code"] = mine
    new_e = insert_new(s, CoinEntry.__table__, entries)
    new_a = insert_new(s, CoinAllocation.__table__, allocs)
    changes.record_many(s, "coin_entry", [r["id"] for r in entries if r["id"] in new_e], store)
    changes.record_many(s, "coin_allocation", [r["id"] for r in allocs if r["id"] in new_a], store)
    owner = {r["member_id"]: c for c, (e, _a) in parts for r in e}
    spent = {r["member_id"] for r in entries if r["id"] in new_e and r["coins"] < 0}
    for mid in sorted(spent):
        bal = int(s.scalar(select(func.coalesce(func.sum(CoinEntry.coins), 0)).where(CoinEntry.member_id == mid)))
        if bal < 0:
            owner[mid].exception("coin_overdraft", mid, coins_balance=bal)
