"""Ingest of pushed events: idempotent by event id, one result per event.

One transaction per batch, a savepoint per event
------------------------------------------------
The event row (`events`, primary key = event id) is inserted in the same
transaction as the event's effects, so an event is applied exactly once:

* a re-sent event finds its row -> `duplicate`, nothing applied again (a
  concurrent re-send blocks on the primary key until the first commits);
* a response lost after HQ committed -> the re-sent batch is all duplicates;
* a connection reset before the commit -> nothing of the batch is kept, the
  re-sent batch applies it all.

The batch commits once (one fsync instead of one per event: ingest speed),
and each event runs in a savepoint so an event that is malformed is rolled
back alone and answered `rejected` with its reason while its neighbours are
kept. A rejected event's row is kept too, so a re-send answers the same.
Database trouble (a lost connection, a deadlock) fails the whole request and
the till retries later: a paid sale is never rejected for HQ's sake.

Members' balance rows are locked (`SELECT ... FOR UPDATE` on PostgreSQL) in
one sorted pass at the start of a batch, so two stores' batches touching the
same members queue instead of deadlocking; a deadlock or serialisation
failure is retried anyway.

HQ never rejects a sale that was paid for: an overdraft (offline spending at
two stores), a coupon used twice, a card claimed by two members, a sale HQ
prices differently (`sales`: HQ re-prices every sale) become `exceptions` rows
for review (`hq exceptions`).

Where each kind is applied
--------------------------
This module is the batch: take in, dispatch (`HANDLERS`), savepoints, answers.
`members` (registration, profile, cards, tags, notes, tiers, merges), `sales`
(sales, returns, top-ups, re-pricing, coupons issued and used), `catalog`
(products), `ledger_rows` (points / stored-value rows), `common` (the event's
context and what every module shares).

Validated before anything is applied
------------------------------------
Each event's envelope and payload are checked by the protocol models
(`sync.protocol.Event`, `check_payload`) first: a wrong type, a number beyond
its column, a NUL, an over-long text, an unknown kind is answered `rejected`
with the reason, and the event is KEPT (its row, a safe copy of what was sent,
and a `rejected_event` exception for `hq exceptions`); the rest of the batch is
applied. Only an event without a readable event id (nothing to answer it by)
refuses the request, with 422. An event id another store already used is
answered `rejected` ("used by another store"), never `duplicate`, and nothing
of that event is shown.
"""
from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from pydantic import ValidationError
from sqlalchemy import bindparam, select
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError
from sqlalchemy.orm import Session

from ..protocol import (
    Event, EventResult, PushEnvelope, PushRequest, PushResponse, check_payload, error_text, safe_copy, time_in,
)
from . import catalog, changes, history, holds, members, monthly_bonus, orders, sales
from .common import (
    UTC, BadBatch, Ctx, Forbidden, Reject, bad_data, clean_reason, insert_new_rows, log_hq_ledger_rows, now_utc,
    reason,
    safe_text,
)
from .ledger_rows import apply_ledger, dangling, h_ledger, rows_of
from .models import IngestedEvent, SyncException

__all__ = ["push", "take_in", "HANDLERS", "Forbidden", "BadBatch", "Reject"]


HANDLERS: dict[str, Callable[[Ctx, dict], None]] = {
    "member.registered": members.h_member_registered,
    "member.updated": members.h_member_updated,
    "member.merged": members.h_member_merged,
    "member.erased": members.h_member_erased,
    "member.tag": members.h_member_tag,
    "member.note": members.h_member_note,
    "member.tier": members.h_member_tier,
    "card.issued": members.h_card_issued,
    "coupon.issued": sales.h_coupon_issued,
    "product.upserted": catalog.h_product_upserted,
    "sale.committed": sales.h_sale,
    "sale.returned": sales.h_sale,
    "sale.topup": sales.h_sale,
    "ledger.entries": h_ledger,
    "lottery.committed": lambda c, p: None,  # a draw's commitment and reveal: the event row is HQ's record
    "lottery.drawn": lambda c, p: None,
    "points.spent": holds.h_points_spent,
    "parcel.arrived": orders.h_parcel_arrived,  # issue 18: a store received a parcel for pickup
    "parcel.collected": orders.h_parcel_collected,
    "history.imported": history.h_history_imported,  # issue 15: a store's imported sales, many per event
}
SALE_KINDS = ("sale.committed", "sale.returned", "sale.topup")


# --- the batch ----------------------------------------------------------------------------------

def _retryable(exc: DBAPIError) -> bool:
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return code in ("40P01", "40001")  # deadlock detected, serialization failure


@dataclass
class Incoming:
    """One pushed event as HQ took it in: valid (`ev`) or rejected before applying (`why`)."""

    event_id: uuid.UUID
    ev: Event | None
    why: str | None
    row: dict[str, Any]  # its `events` row


def take_in(store: str, raw_events: list, now: dt.datetime) -> list[Incoming]:
    """Check every event's envelope and payload before anything is applied."""
    out: list[Incoming] = []
    for i, raw in enumerate(raw_events):
        if isinstance(raw, Event):
            ev, why = raw, None
        else:
            try:
                ev, why = Event.model_validate(raw), None
            except ValidationError as exc:
                ev, why = None, "bad event: " + error_text(exc)
        if ev is None:
            eid = raw.get("event_id") if isinstance(raw, dict) else None
            try:
                eid = uuid.UUID(eid) if isinstance(eid, str) else None
            except ValueError:
                eid = None
            if eid is None:
                raise BadBatch(f"events.{i}: no readable event_id ({why}); nothing of this batch was applied")
            try:
                created = time_in(raw.get("created_at"))
            except (ValueError, TypeError):
                created = now
            seq = raw.get("seq")
            row = {"event_id": eid, "store_code": store, "created_at": created,
                   "seq": seq if isinstance(seq, int) and not isinstance(seq, bool) and 0 <= seq < 2 ** 63 else 0,
                   "kind": safe_text(raw.get("kind"), 32) or "?", "payload": {"invalid_event": safe_copy(raw)}}
            out.append(Incoming(eid, None, why, row))
            continue
        claimed = ev.payload.get("store")
        if isinstance(claimed, str) and claimed != store:
            raise Forbidden(f"event {ev.event_id} claims store {safe_text(claimed, 16)!r}; this token is store {store}")
        why = ("unknown event kind: HQ has no handler for it" if ev.kind not in HANDLERS
               else check_payload(ev.kind, ev.payload))
        payload = ev.payload if why is None else safe_copy(ev.payload)
        out.append(Incoming(ev.event_id, ev, why, {
            "event_id": ev.event_id, "store_code": store, "seq": ev.seq, "kind": ev.kind, "created_at": ev.created_at,
            "payload": payload}))
    return out


def push(hq, store: str, req: PushRequest | PushEnvelope) -> PushResponse:
    if req.store != store:
        raise Forbidden(f"token of store {store} cannot push for store {req.store}")
    items = take_in(store, list(req.events), now_utc())
    bulk = True
    for attempt in range(6):
        try:
            return _push_once(hq, store, items, bulk=bulk)
        except (DBAPIError, OverflowError, StatementError) as exc:
            if isinstance(exc, DBAPIError) and not isinstance(exc, (IntegrityError, DataError)):
                if not _retryable(exc) or attempt == 5:
                    raise
                time.sleep(0.05 * (2 ** attempt))
                continue
            if not bulk:
                raise
            bulk = False  # something in the batch conflicts: apply it event by event, each in its savepoint
    raise RuntimeError("unreachable")


OTHER_STORE = "event id already used by another store"


def _push_once(hq, store: str, items: list[Incoming], *, bulk: bool) -> PushResponse:
    now = now_utc()
    table = IngestedEvent.__table__
    results: dict[uuid.UUID, EventResult] = {}
    rejected: dict[uuid.UUID, str] = {}
    first: dict[uuid.UUID, Incoming] = {}
    for it in items:  # an id twice in one batch is one event
        first.setdefault(it.event_id, it)
    with hq.transaction() as s:
        log_hq_ledger_rows(s)
        s.info["bulk"] = bulk  # new rows by COPY (common.insert_new_rows); a conflict: the batch again, carefully
        # 1. every event's row at once: what is new is applied, the rest answered from what HQ has
        fresh = insert_new_rows(s, table, [{
            **it.row, "received_at": now, "status": "rejected" if it.why else "accepted",
            "reason": clean_reason(it.why) if it.why else None} for it in first.values()], key="event_id")
        old = [eid for eid in first if eid not in fresh]
        if old:
            for eid, owner, status, why in s.execute(select(
                    IngestedEvent.event_id, IngestedEvent.store_code, IngestedEvent.status, IngestedEvent.reason)
                    .where(IngestedEvent.event_id.in_(old))):
                if owner != store:  # answered without saying anything of the other store's event
                    results[eid] = EventResult(event_id=eid, status="rejected", reason=OTHER_STORE)
                elif status == "rejected":
                    results[eid] = EventResult(event_id=eid, status="rejected", reason=why)
                else:
                    results[eid] = EventResult(event_id=eid, status="duplicate")
        for eid, it in first.items():
            if eid in fresh and it.why:
                rejected[eid] = clean_reason(it.why)
        new = [it.ev for eid, it in first.items() if eid in fresh and not it.why]
        ctx = {ev.event_id: Ctx(s, store, now, ev.event_id, ev.created_at.astimezone(UTC), ev.test_clock) for ev in new}
        if bulk:
            slow_regs = members.register_many(s, store, now, [ev for ev in new if ev.kind == "member.registered"], ctx,
                                              rejected)
            ordered = [ev for ev in new if ev.kind not in ("member.registered", "ledger.entries", *SALE_KINDS)
                       or ev.event_id in slow_regs]
            sold = [ev for ev in new if ev.kind in SALE_KINDS]
            _per_event(s, ordered + [ev for ev in sold if _sale_is_slow(ev)], ctx, rejected)
            sales.apply_sales(s, store, [(ctx[ev.event_id], ev.payload) for ev in sold if not _sale_is_slow(ev)],
                              rejected)
            parts = []
            for ev in new:
                if ev.kind == "ledger.entries":
                    try:
                        parts.append((ctx[ev.event_id], rows_of(ev.payload, store)))
                    except (Reject, KeyError, ValueError, TypeError) as exc:
                        rejected[ev.event_id] = reason(exc)
            if parts:
                bad = dangling(s, parts)
                rejected.update(bad)
                parts = [(c, rows) for c, rows in parts if c.event_id not in bad]
            if parts:
                apply_ledger(s, store, now, parts)
        else:
            _per_event(s, new, ctx, rejected)
        if rejected:
            rejected = {k: clean_reason(v) for k, v in rejected.items()}
            s.execute(table.update().where(table.c.event_id == bindparam("eid")).values(
                status="rejected", reason=bindparam("why")), [{"eid": k, "why": v} for k, v in rejected.items()])
            s.add_all([SyncException(id=uuid.uuid4(), kind="rejected_event", store_code=store, member_id=None,
                                     event_id=k, detail={"event_kind": first[k].row["kind"], "reason": v},
                                     status="open", created_at=now) for k, v in rejected.items()])
        # the monthly-spend bonus chain-wide, once the batch's sales and ledger rows are all in
        monthly_bonus.after_batch(s, [(ctx[ev.event_id], ev.kind, ev.payload) for ev in new if ev.event_id not in rejected])
        for eid, it in first.items():
            if eid in rejected:
                results[eid] = EventResult(event_id=eid, status="rejected", reason=rejected[eid])
            elif eid in fresh:
                results[eid] = EventResult(event_id=eid, status="accepted", exceptions=ctx[eid].exceptions)
        changes.flush(s)
    return PushResponse(results=[results[it.event_id] for it in items], hq_time=now)


def _per_event(s: Session, events, ctx: dict, rejected: dict) -> None:
    """Events one by one, in the till's order, each in a savepoint: a bad one is rolled back alone."""
    for ev in sorted(events, key=lambda e: e.seq):
        handler = HANDLERS.get(ev.kind)
        if handler is None:
            continue
        sp = s.begin_nested()
        mark = len(s.info.get("changes", []))
        try:
            handler(ctx[ev.event_id], ev.payload)
            s.flush()
            sp.commit()
        except Exception as exc:
            if not bad_data(exc):
                raise
            sp.rollback()
            del s.info.setdefault("changes", [])[mark:]
            ctx[ev.event_id].exceptions.clear()
            rejected[ev.event_id] = reason(exc)


def _sale_is_slow(ev) -> bool:
    """A sale with coupons (or malformed) goes one by one, in its savepoint."""
    d = ev.payload.get("sale") if isinstance(ev.payload.get("sale"), dict) else None
    return d is None or bool(d.get("coupons"))
