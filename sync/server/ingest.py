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
two stores), a coupon used twice, a card claimed by two members become
`exceptions` rows for review (`hq exceptions`).

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
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy import func, select, update
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError
from sqlalchemy.orm import Session

from pos.loyalty import ledger
from pos.services import members as pos_members
from pos.rules import phones

from pydantic import ValidationError

from ..protocol import (
    Event, EventResult, PushEnvelope, PushRequest, PushResponse, check_payload, error_text, safe_copy,
)
from ..protocol import _time_in as time_in
from . import changes
from .models import (
    HQ_STORE, Coupon, CouponUse, Hold, IngestedEvent, Member, MemberBalance, MemberCard, MemberNote,
    PointsAllocation, PointsEntry, Product, Sale, StoredValueEntry, SyncException,
)

UTC = dt.timezone.utc
PROFILE_FIELDS = pos_members.PROFILE_FIELDS  # name, gender, birthday, region, address, ...
TIER_ORDER = pos_members.DEFAULT_TIER_ORDER


class Forbidden(Exception):
    """An event claims another store than the token's."""


class Reject(Exception):
    """The event cannot be applied as sent: answered `rejected` with this reason."""


class BadBatch(Exception):
    """The request cannot be answered event by event (an event without a readable id): 422."""


def _bad_data(exc: Exception) -> bool:
    """An error caused by what one event carries (that event is rejected), not by HQ
    (a lost database connection fails the request and the till retries)."""
    if isinstance(exc, (Reject, KeyError, ValueError, TypeError, OverflowError, IntegrityError, DataError)):
        return True
    return isinstance(exc, StatementError) and not isinstance(exc, DBAPIError)  # a value the driver cannot bind


def now_utc() -> dt.datetime:
    return dt.datetime.now(UTC)


def _dialect_insert(s: Session, table):
    if s.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def insert_new(s: Session, table, rows: list[dict], key: str = "id") -> set:
    """Insert rows whose key is not there yet; return the keys inserted."""
    if not rows:
        return set()
    stmt = _dialect_insert(s, table).on_conflict_do_nothing(index_elements=[key]).returning(table.c[key])
    return {r[0] for r in s.execute(stmt, rows)}


def _uuid(value) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _when(value) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        when = value
    else:
        when = dt.datetime.fromisoformat(str(value))
    if when.tzinfo is None:
        raise ValueError(f"time without a zone: {value!r}")
    return when.astimezone(UTC)


def _date(value) -> dt.date | None:
    return dt.date.fromisoformat(str(value)) if value not in (None, "") else None


@dataclass
class Ctx:
    s: Session
    store: str
    now: dt.datetime
    event_id: uuid.UUID
    created_at: dt.datetime
    test_clock: bool
    exceptions: list[str] = field(default_factory=list)

    def exception(self, kind: str, member_id=None, **detail) -> None:
        self.s.add(SyncException(id=uuid.uuid4(), kind=kind, store_code=self.store, member_id=_uuid(member_id),
                                 event_id=self.event_id, detail=detail, status="open", created_at=self.now))
        self.exceptions.append(kind)


# --- members -----------------------------------------------------------------------------

def resolve(s: Session, member_id) -> Member | None:
    """The member, or the survivor it was merged into."""
    m = s.get(Member, _uuid(member_id))
    for _ in range(8):
        if m is None or m.status != "merged" or m.merged_into is None:
            return m
        m = s.get(Member, m.merged_into)
    return m


def lock_balances(s: Session, member_ids) -> None:
    """Create missing balance rows, then lock them all in one sorted pass."""
    ids = sorted({_uuid(m) for m in member_ids if m is not None})
    if not ids:
        return
    stmt = _dialect_insert(s, MemberBalance.__table__).on_conflict_do_nothing(index_elements=["member_id"])
    s.execute(stmt, [{"member_id": i, "points": 0, "stored_value_fen": 0, "updated_at": now_utc()} for i in ids])
    if s.bind.dialect.name == "postgresql":
        for i in range(0, len(ids), 1000):
            s.execute(select(MemberBalance.member_id).where(MemberBalance.member_id.in_(ids[i:i + 1000]))
                      .order_by(MemberBalance.member_id).with_for_update())


def _tier_rank(code: str) -> int:
    return TIER_ORDER.index(code) if code in TIER_ORDER else -1


def merge_members(c: Ctx, keep: Member, other: Member, *, move_ledger: bool, actor: str) -> None:
    """Fold `other` into `keep` at HQ (by phone, or replaying a till's merge): cards,
    notes, tags, profile gaps, the higher tier; points lot by lot keeping their
    expiry and stored value (when HQ merges; a till's merge sends its own entries)."""
    s = c.s
    if keep.id == other.id or other.status == "merged":
        return
    lock_balances(s, [keep.id, other.id])
    for card in s.scalars(select(MemberCard).where(MemberCard.member_id == other.id)):
        card.member_id = keep.id
        changes.record(s, "card", card.card_no)
    for note in s.scalars(select(MemberNote).where(MemberNote.member_id == other.id)):
        note.member_id = keep.id
        changes.record(s, "note", note.id)
    have = {t["tag"] for t in keep.tags or []}
    keep.tags = list(keep.tags or []) + [t for t in other.tags or [] if t["tag"] not in have]
    for f in PROFILE_FIELDS:
        if getattr(keep, f) in (None, "", {}) and getattr(other, f) not in (None, "", {}):
            setattr(keep, f, getattr(other, f))
    if not keep.marketing_consent and other.marketing_consent:
        keep.marketing_consent, keep.consent_at = True, other.consent_at
    if _tier_rank(other.tier_code) > _tier_rank(keep.tier_code):
        keep.tier_code, keep.tier_since, keep.tier_expires = other.tier_code, other.tier_since, other.tier_expires
    keep.joined_at = min(keep.joined_at, other.joined_at)
    phone = other.phone
    other.phone, other.phone_last4 = None, None
    other.status, other.merged_into, other.updated_at = "merged", keep.id, c.now
    s.flush()
    if keep.phone is None and phone:
        keep.phone, keep.phone_last4 = phone, phones.last4(phone)
    keep.updated_at = c.now
    if move_ledger:
        forward_balance(c, other, keep, reason=f"merge {other.member_code} -> {keep.member_code} ({actor})")
    changes.record(s, "member", other.id)
    changes.record(s, "member", keep.id)


def forward_balance(c: Ctx, other: Member, keep: Member, reason: str) -> None:
    """Move what `other` still holds to `keep`: each open lot with its expiry,
    debt as debt, stored value — HQ entries (store HQ) that flow down to every till."""
    s = c.s
    lock_balances(s, [keep.id, other.id])
    common = dict(now=c.now, test_clock=False, store_code=HQ_STORE, reason=reason[:200])
    for lot in ledger.open_lots(s, other.id):
        ledger.debit(s, other.id, "merge_out", lot.remaining, lots=[lot], source_lot_id=lot.id, **common)
        ledger.credit(s, keep.id, "merge_in", lot.remaining, expires_at=lot.expires_at,
                      available_at=lot.available_at, source_lot_id=lot.id, **common)
    debt = sum(d.unpaid for d in ledger.open_debts(s, other.id))
    if debt:
        ledger.credit(s, other.id, "merge_out", debt, expires_at=None, **common)
        ledger.debit(s, keep.id, "merge_in", debt, allow_debt=True, include_pending=True, **common)
    sv = ledger.sv_balance(s, other.id)
    if sv:
        ledger.sv_post(s, other.id, "merge_out", -sv, now=c.now, store_code=HQ_STORE, reason=reason[:200])
        ledger.sv_post(s, keep.id, "merge_in", sv, now=c.now, store_code=HQ_STORE, reason=reason[:200])


def _set_profile(m: Member, key: str, value: Any, now: dt.datetime) -> None:
    if key == "birthday":
        value = _date(value)
    if key == "marketing_consent":
        value = bool(value)
        m.consent_at = now if value else None
    setattr(m, key, value)
    times = dict(m.field_times or {})
    times[key] = now.isoformat()
    m.field_times = times


def h_member_registered(c: Ctx, p: dict) -> None:
    s = c.s
    mid = _uuid(p["id"])
    if s.get(Member, mid) is not None:
        return  # known already (e.g. echoed by another path): nothing to do
    phone = p.get("phone") or None
    if phone is not None and not (isinstance(phone, str) and phone.startswith("+") and phone[1:].isdigit()):
        raise Reject("phone must be E.164")
    holder = s.scalar(select(Member).where(Member.phone == phone)) if phone else None
    if p.get("referrer_id") and resolve(s, p["referrer_id"]) is None:
        raise Reject(f"referrer_id {UNKNOWN_MEMBER}")
    m = Member(
        id=mid, member_code=str(p["member_code"]), phone=None if holder else phone,
        phone_last4=None if holder or not phone else phones.last4(phone),
        channel=p.get("channel") or "store", marketing_consent=bool(p.get("marketing_consent")),
        tier_code=p.get("tier") or "member", tier_since=_when(p.get("joined_at")), joined_at=_when(p["joined_at"]),
        joined_store=p.get("joined_store") or c.store, referrer_id=_uuid(p.get("referrer_id")), status="active",
        tags=[], field_times={}, created_at=c.now, updated_at=c.now, test_clock=c.test_clock,
    )
    for f in PROFILE_FIELDS:
        if p.get(f) not in (None, ""):
            setattr(m, f, _date(p[f]) if f == "birthday" else p[f])
    s.add(m)
    s.flush()
    lock_balances(s, [m.id])
    for card_no in p.get("cards") or []:
        _issue_card(c, m.id, str(card_no), "magstripe")
    for tag in p.get("tags") or []:
        m.tags = list(m.tags) + [{"tag": str(tag), "source": "manual"}]
    changes.record(s, "member", m.id)
    if holder is not None:  # one member per phone: the later registration folds into the master
        keep = resolve(s, holder.id)
        merge_members(c, keep, m, move_ledger=True, actor=f"hq:phone:{c.store}")


def h_member_updated(c: Ctx, p: dict) -> None:
    """Field by field, last writer by HQ time: each field is set as it arrives."""
    m = resolve(c.s, p["id"])
    if m is None:
        c.exception("unknown_member", p["id"], event="member.updated")
        return
    fields = p.get("fields") or {}
    allowed = set(PROFILE_FIELDS) | {"marketing_consent", "channel"}
    bad = [k for k in fields if k not in allowed]
    if bad:
        raise Reject(f"unknown member field(s): {', '.join(sorted(bad))}")
    for key, value in fields.items():
        _set_profile(m, key, value, c.now)
    m.updated_at = c.now
    changes.record(c.s, "member", m.id)


def h_member_merged(c: Ctx, p: dict) -> None:
    s = c.s
    keep, other = resolve(s, p["survivor_id"]), s.get(Member, _uuid(p["merged_id"]))
    if keep is None or other is None:
        c.exception("unknown_member", p.get("merged_id"), event="member.merged")
        return
    if other.status == "merged":
        return
    # the till posted its own merge_out / merge_in entries; they arrive as ledger rows
    merge_members(c, keep, other, move_ledger=False, actor=str(p.get("actor") or c.store))


def _issue_card(c: Ctx, member_id: uuid.UUID, card_no: str, kind: str) -> None:
    s = c.s
    card = s.get(MemberCard, card_no)
    if card is not None:
        if card.member_id != member_id and resolve(s, card.member_id) is not resolve(s, member_id):
            c.exception("card_conflict", member_id, card_tail=card_no[-4:], held_by=str(card.member_id))
        return
    s.add(MemberCard(card_no=card_no, member_id=member_id, kind=kind, status="active", issued_at=c.created_at,
                     issued_store=c.store))
    changes.record(s, "card", card_no)


def h_card_issued(c: Ctx, p: dict) -> None:
    m = resolve(c.s, p["member_id"])
    if m is None:
        c.exception("unknown_member", p["member_id"], event="card.issued")
        return
    _issue_card(c, m.id, str(p["card_no"]), str(p.get("kind") or "magstripe"))


def h_member_tag(c: Ctx, p: dict) -> None:
    m = resolve(c.s, p["member_id"])
    if m is None:
        c.exception("unknown_member", p["member_id"], event="member.tag")
        return
    tag = str(p["tag"])
    tags = [t for t in m.tags or [] if t["tag"] != tag]
    if p.get("on", True):
        tags.append({"tag": tag, "source": str(p.get("source") or "manual")})
    m.tags, m.updated_at = tags, c.now
    changes.record(c.s, "member", m.id)


def h_member_note(c: Ctx, p: dict) -> None:
    s = c.s
    nid = _uuid(p["id"])
    if s.get(MemberNote, nid) is not None:
        return
    m = resolve(s, p["member_id"])
    if m is None:  # served to every till, a note must belong to a member they can have
        raise Reject(UNKNOWN_MEMBER)
    s.add(MemberNote(id=nid, member_id=m.id, kind=str(p.get("kind") or "note"),
                     text=str(p["text"])[:2000], actor=p.get("actor"), store_code=c.store, created_at=c.created_at))
    changes.record(s, "note", nid, c.store)


def h_member_tier(c: Ctx, p: dict) -> None:
    m = c.s.get(Member, _uuid(p["member_id"]))
    if m is None:
        c.exception("unknown_member", p["member_id"], event="member.tier")
        return
    m.tier_code, m.tier_since = str(p["to"]), _when(p.get("at")) or c.created_at
    m.tier_expires, m.updated_at = _date(p.get("expires")), c.now
    changes.record(c.s, "member", m.id)


# --- coupons, catalog ------------------------------------------------------------------------

def h_coupon_issued(c: Ctx, p: dict) -> None:
    s = c.s
    if s.scalar(select(Coupon.id).where(Coupon.code == p["code"])) is not None:
        return
    mid = _uuid(p.get("member_id"))
    if mid is not None:
        m = resolve(s, mid)
        if m is None:
            raise Reject(UNKNOWN_MEMBER)
        mid = m.id
    s.add(Coupon(id=_uuid(p["id"]), code=str(p["code"]), template=str(p["template"]), member_id=mid,
                 valid_from=_when(p["valid_from"]), valid_to=_when(p["valid_to"]), source=str(p.get("source") or ""),
                 issued_at=c.created_at, issued_store=c.store, test_clock=c.test_clock))
    changes.record(s, "coupon", p["code"])


def h_product_upserted(c: Ctx, p: dict) -> None:
    d = p["product"]
    s = c.s
    prod = s.get(Product, d["sku"])
    if prod is None:
        prod = Product(sku=d["sku"], id=_uuid(d["id"]) or uuid.uuid4())
        s.add(prod)
    prod.name, prod.category, prod.price_fen = d["name"], d["category"], int(d["price_fen"])
    prod.member_price_fen = d.get("member_price_fen")
    prod.points_class, prod.no_member_discount = d.get("points_class") or "regular", bool(d.get("no_member_discount"))
    prod.active, prod.barcodes, prod.updated_at = True, sorted(set(d.get("barcodes") or [])), c.now
    changes.record(s, "product", prod.sku)


# --- sales -------------------------------------------------------------------------------------

def h_sale(c: Ctx, p: dict) -> None:
    s = c.s
    d = p["sale"]
    sid = _uuid(d["sale_id"])
    if s.get(Sale, sid) is not None:
        return
    member = d.get("member") or {}
    mid = _uuid(member.get("id"))
    redeemed = int((d.get("points") or {}).get("redeemed") or 0)
    codes = [str(x) for x in d.get("coupons") or []]
    hold = s.get(Hold, sid)
    if hold is not None and hold.store_code != c.store:
        hold = None  # another store's hold is not this sale's
    spent = redeemed > 0 or bool(codes)
    if hold is not None:
        hold.status = "used"
    s.add(Sale(id=sid, store_code=c.store, kind=str(d.get("kind") or "sale"), receipt_no=str(d["receipt_no"]),
               member_id=mid, created_at=c.created_at, net_fen=int((d.get("totals") or {}).get("net_fen") or 0),
               points_earned=int((d.get("points") or {}).get("earned") or 0), points_redeemed=redeemed,
               provisional=spent and hold is None and d.get("kind", "sale") == "sale", document=p))
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
                        amount_fen=amount,
                        used_at=c.created_at, store_code=c.store))
        changes.record(s, "coupon_use", use_id, c.store)


# --- ledgers ------------------------------------------------------------------------------------

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
            v = _uuid(v)
        elif k in _TIMES:
            v = _when(v)
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


def ledger_members(p: dict) -> set:
    return {_uuid(r["member_id"]) for key in ("points", "sv") for r in p.get(key) or [] if r.get("member_id")}


def _ledger_rows(p: dict, store: str) -> tuple[list, list, list]:
    prow = [_row(r, _P_COLS, store) for r in p.get("points") or []]
    arow = []
    for r in p.get("allocations") or []:
        a = {k: (_uuid(r.get(k)) if k in _UUIDS else int(r[k])) for k in _A_COLS}
        if a["points"] <= 0:
            raise ValueError("allocation points must be > 0")
        arow.append(a)
    vrow = [_row(r, _V_COLS, store) for r in p.get("sv") or []]
    return prow, arow, vrow


def apply_ledger(s: Session, store: str, now: dt.datetime, parts: list[tuple[Ctx, tuple[list, list, list]]]) -> None:
    """Stores' ledger rows with their original ids: inserted as they are (never
    re-posted), the balance cache moved by what was new; then what a person must
    look at. `parts` is one (ctx, rows) per event — one event, or a whole batch at once."""
    prow = [r for _, (p, _a, _v) in parts for r in p]
    arow = [r for _, (_p, a, _v) in parts for r in a]
    vrow = [r for _, (_p, _a, v) in parts for r in v]
    owner: dict[Any, Ctx] = {}  # member / lot -> the event that brought its rows (exceptions are filed under it)
    for c, (p, a, v) in parts:
        for r in p + v:
            owner[r["member_id"]] = c
    lock_balances(s, {r["member_id"] for r in prow + vrow})
    new_p = insert_new(s, PointsEntry.__table__, prow)
    new_a = insert_new(s, PointsAllocation.__table__, arow)
    new_v = insert_new(s, StoredValueEntry.__table__, vrow)
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


UNKNOWN_MEMBER = "refers to a member HQ does not know (register the member first)"


def dangling(s: Session, parts: list) -> dict[uuid.UUID, str]:
    """Events whose ledger rows refer to what neither HQ nor the batch has: a member,
    the entry a row reverses, the debit or lot of an allocation. HQ serves every row
    to every till, whose foreign keys would refuse it (and stop its pull): such an
    event is rejected, never stored. Returns event id -> reason."""
    out: dict[uuid.UUID, str] = {}
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
    part = (c, _ledger_rows(p, c.store))
    why = dangling(c.s, [part]).get(c.event_id)
    if why:
        raise Reject(why)
    apply_ledger(c.s, c.store, c.now, [part])


HANDLERS: dict[str, Callable[[Ctx, dict], None]] = {
    "member.registered": h_member_registered,
    "member.updated": h_member_updated,
    "member.merged": h_member_merged,
    "member.tag": h_member_tag,
    "member.note": h_member_note,
    "member.tier": h_member_tier,
    "card.issued": h_card_issued,
    "coupon.issued": h_coupon_issued,
    "product.upserted": h_product_upserted,
    "sale.committed": h_sale,
    "sale.returned": h_sale,
    "sale.topup": h_sale,
    "ledger.entries": h_ledger,
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


def _safe_text(value: Any, n: int) -> str:
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    return "".join(ch for ch in text if ch >= " " and not 0xD800 <= ord(ch) <= 0xDFFF)[:n]


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
                   "kind": _safe_text(raw.get("kind"), 32) or "?", "payload": {"invalid_event": safe_copy(raw)}}
            out.append(Incoming(eid, None, why, row))
            continue
        claimed = ev.payload.get("store")
        if isinstance(claimed, str) and claimed != store:
            raise Forbidden(f"event {ev.event_id} claims store {_safe_text(claimed, 16)!r}; this token is store {store}")
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


def _register_setup(s: Session) -> None:
    """HQ's own ledger rows (merges) are found on flush and logged for the tills."""
    from sqlalchemy import event as sa_event

    if s.info.get("ledger_listener"):
        return

    @sa_event.listens_for(s, "before_flush")
    def _log_new(session, _ctx, _instances):
        for obj in session.new:
            if isinstance(obj, PointsEntry):
                changes.record(session, "points_entry", obj.id)
            elif isinstance(obj, PointsAllocation):
                changes.record(session, "points_allocation", obj.id)
            elif isinstance(obj, StoredValueEntry):
                changes.record(session, "sv_entry", obj.id)

    s.info["ledger_listener"] = True


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
        _register_setup(s)
        # 1. every event's row at once: what is new is applied, the rest answered from what HQ has
        fresh = insert_new(s, table, [{
            **it.row, "received_at": now, "status": "rejected" if it.why else "accepted",
            "reason": _clean_reason(it.why) if it.why else None} for it in first.values()], key="event_id")
        old = [eid for eid in first if eid not in fresh]
        if old:
            for eid, owner, status, reason in s.execute(select(
                    IngestedEvent.event_id, IngestedEvent.store_code, IngestedEvent.status, IngestedEvent.reason)
                    .where(IngestedEvent.event_id.in_(old))):
                if owner != store:  # answered without saying anything of the other store's event
                    results[eid] = EventResult(event_id=eid, status="rejected", reason=OTHER_STORE)
                elif status == "rejected":
                    results[eid] = EventResult(event_id=eid, status="rejected", reason=reason)
                else:
                    results[eid] = EventResult(event_id=eid, status="duplicate")
        for eid, it in first.items():
            if eid in fresh and it.why:
                rejected[eid] = _clean_reason(it.why)
        new = [it.ev for eid, it in first.items() if eid in fresh and not it.why]
        ctx = {ev.event_id: Ctx(s, store, now, ev.event_id, ev.created_at.astimezone(UTC), ev.test_clock) for ev in new}
        if bulk:
            slow_regs = _bulk_register(s, store, now, [ev for ev in new if ev.kind == "member.registered"], ctx, rejected)
            ordered = [ev for ev in new if ev.kind not in ("member.registered", "ledger.entries", *SALE_KINDS)
                       or ev.event_id in slow_regs]
            sales = [ev for ev in new if ev.kind in SALE_KINDS]
            _per_event(s, ordered + [ev for ev in sales if _sale_is_slow(ev)], ctx, rejected)
            _bulk_sales(s, store, [ev for ev in sales if not _sale_is_slow(ev)], ctx, rejected)
            parts = []
            for ev in new:
                if ev.kind == "ledger.entries":
                    try:
                        parts.append((ctx[ev.event_id], _ledger_rows(ev.payload, store)))
                    except (Reject, KeyError, ValueError, TypeError) as exc:
                        rejected[ev.event_id] = _reason(exc)
            if parts:
                bad = dangling(s, parts)
                rejected.update(bad)
                parts = [(c, rows) for c, rows in parts if c.event_id not in bad]
            if parts:
                apply_ledger(s, store, now, parts)
        else:
            _per_event(s, new, ctx, rejected)
        if rejected:
            from sqlalchemy import bindparam

            rejected = {k: _clean_reason(v) for k, v in rejected.items()}
            s.execute(table.update().where(table.c.event_id == bindparam("eid")).values(
                status="rejected", reason=bindparam("why")), [{"eid": k, "why": v} for k, v in rejected.items()])
            s.add_all([SyncException(id=uuid.uuid4(), kind="rejected_event", store_code=store, member_id=None,
                                     event_id=k, detail={"event_kind": first[k].row["kind"], "reason": v},
                                     status="open", created_at=now) for k, v in rejected.items()])
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
            if not _bad_data(exc):
                raise
            sp.rollback()
            del s.info.setdefault("changes", [])[mark:]
            ctx[ev.event_id].exceptions.clear()
            rejected[ev.event_id] = _reason(exc)


def _bulk_register(s: Session, store: str, now: dt.datetime, events, ctx: dict, rejected: dict) -> set:
    """New members whose phone and cards nobody holds yet, in a few statements; the
    others (a phone known at HQ: a merge) go the per-event way. Returns those."""
    if not events:
        return set()
    slow: set = set()
    recs, cards, by_id = [], [], {}
    for ev in events:
        p = ev.payload
        try:
            mid = _uuid(p["id"])
            phone = p.get("phone") or None
            if phone is not None and not (isinstance(phone, str) and phone.startswith("+") and phone[1:].isdigit()):
                raise Reject("phone must be E.164")
            r = {"id": mid, "member_code": str(p["member_code"]), "phone": phone,
                 "phone_last4": phones.last4(phone) if phone else None, "channel": p.get("channel") or "store",
                 "marketing_consent": bool(p.get("marketing_consent")), "consent_at": None,
                 "tier_code": p.get("tier") or "member", "tier_since": _when(p.get("joined_at")),
                 "tier_expires": None, "joined_at": _when(p["joined_at"]),
                 "joined_store": p.get("joined_store") or store, "referrer_id": _uuid(p.get("referrer_id")),
                 "status": "active", "merged_into": None,
                 "tags": [{"tag": str(t), "source": "manual"} for t in p.get("tags") or []], "field_times": {},
                 "created_at": now, "updated_at": now, "test_clock": ev.test_clock}
            for f in PROFILE_FIELDS:
                r[f] = (_date(p[f]) if f == "birthday" else p[f]) if p.get(f) not in (None, "") else None
            r["preferences"] = p.get("preferences")
        except (Reject, KeyError, ValueError, TypeError) as exc:
            rejected[ev.event_id] = _reason(exc)
            continue
        by_id[mid] = (ev, r, [str(c) for c in p.get("cards") or []])
    refs = {r["referrer_id"] for _, r, _ in by_id.values() if r["referrer_id"] is not None} - set(by_id)
    have = set(s.scalars(select(Member.id).where(Member.id.in_(list(refs))))) if refs else set()
    for mid, (ev, r, _) in list(by_id.items()):  # a referrer tills cannot have would break their pulls
        if r["referrer_id"] is not None and r["referrer_id"] not in have and r["referrer_id"] not in by_id:
            rejected[ev.event_id] = f"referrer_id {UNKNOWN_MEMBER}"
            del by_id[mid]
    ids = list(by_id)
    known = set(s.scalars(select(Member.id).where(Member.id.in_(ids)))) if ids else set()
    phones_in = [r["phone"] for _, r, _ in by_id.values() if r["phone"]]
    held = set(s.scalars(select(Member.phone).where(Member.phone.in_(phones_in)))) if phones_in else set()
    card_nos = [c for _, _, cs in by_id.values() for c in cs]
    taken = set(s.scalars(select(MemberCard.card_no).where(MemberCard.card_no.in_(card_nos)))) if card_nos else set()
    seen_phones: set = set()
    seen_cards: set = set()
    for mid, (ev, r, cs) in by_id.items():
        if mid in known:
            continue  # known already: nothing to do
        if (r["phone"] and (r["phone"] in held or r["phone"] in seen_phones)) or any(
                c in taken or c in seen_cards for c in cs):
            slow.add(ev.event_id)
            continue
        seen_phones.add(r["phone"])
        seen_cards.update(cs)
        recs.append(r)
        cards += [{"card_no": c, "member_id": mid, "kind": "magstripe", "status": "active",
                   "issued_at": ctx[ev.event_id].created_at, "issued_store": store} for c in cs]
    if recs:
        s.execute(Member.__table__.insert(), recs)
        lock_balances(s, [r["id"] for r in recs])
        changes.record_many(s, "member", [r["id"] for r in recs])
    if cards:
        s.execute(MemberCard.__table__.insert(), cards)
        changes.record_many(s, "card", [c["card_no"] for c in cards])
    return slow


def _sale_is_slow(ev) -> bool:
    d = ev.payload.get("sale") if isinstance(ev.payload.get("sale"), dict) else None
    return d is None or bool(d.get("coupons"))


def _bulk_sales(s: Session, store: str, events, ctx: dict, rejected: dict) -> None:
    """Sales without coupons, in a few statements (holds they used are marked used)."""
    recs = {}
    for ev in events:
        try:
            d = ev.payload["sale"]
            sid = _uuid(d["sale_id"])
            redeemed = int((d.get("points") or {}).get("redeemed") or 0)
            recs[sid] = {"id": sid, "store_code": store, "kind": str(d.get("kind") or "sale"),
                         "receipt_no": str(d["receipt_no"]), "member_id": _uuid((d.get("member") or {}).get("id")),
                         "created_at": ctx[ev.event_id].created_at,
                         "net_fen": int((d.get("totals") or {}).get("net_fen") or 0),
                         "points_earned": int((d.get("points") or {}).get("earned") or 0),
                         "points_redeemed": redeemed, "provisional": redeemed > 0 and d.get("kind", "sale") == "sale",
                         "document": ev.payload}
        except (KeyError, ValueError, TypeError) as exc:
            rejected[ev.event_id] = _reason(exc)
    if not recs:
        return
    ids = list(recs)
    for sid in s.scalars(select(Sale.id).where(Sale.id.in_(ids))):
        recs.pop(sid, None)
    held = set(s.scalars(select(Hold.id).where(Hold.id.in_(ids), Hold.store_code == store)))
    if held:
        s.execute(update(Hold).where(Hold.id.in_(list(held))).values(status="used"))
    for sid, r in recs.items():
        if sid in held:
            r["provisional"] = False
    if recs:
        s.execute(Sale.__table__.insert(), list(recs.values()))


def _clean_reason(text: str) -> str:
    return _safe_text(text, 300)


def _reason(exc: Exception) -> str:
    if isinstance(exc, (DataError, StatementError)) and not isinstance(exc, IntegrityError):
        return "bad payload: a value HQ's database cannot store"
    if isinstance(exc, Reject):
        return str(exc)[:300]
    if isinstance(exc, KeyError):
        return f"bad payload: missing field {exc.args[0]!r}"[:300]
    if isinstance(exc, IntegrityError):
        return f"conflict: {str(exc.orig).splitlines()[0]}"[:300]
    return f"bad payload: {exc}"[:300]
