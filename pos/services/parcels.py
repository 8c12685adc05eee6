"""Online orders in the member's history and parcels for pickup at this store (issue 18).

HQ records a member's online orders and, for an order naming this store as its pickup
store, a parcel (sync/server/orders.py); both come down with the pull (`apply_pull`).

    receive(db, "PCL0123456789")            the courier dropped it: arrived (scan in a row;
                                            a second scan of the same label is refused)
    pickup(db, code="PU12345678")           the customer shows the code (or phone + last 4)
    listing(db, overdue=True)               not collected in `parcel.overdue_days`: back to the courier

Each is one transaction with its outbox event (`parcel.arrived` — HQ then tells the
customer through its Notifier — and `parcel.collected`). A pickup issues the program's
pickup voucher (`issuance.pickup`, a coupon template) to the member; `apply_to_basket`
puts it on the sale in progress at once (the member attached if the basket has none).
The parcel's customer is always a member: HQ registered them by phone with the order.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select

from pos.errors import DomainError
from pos.loyalty import coupons
from pos.rules import phones
from pos.store import program_store
from pos.store import settings as store_settings
from pos.store.models import Member, Product, ProductBarcode
from pos.store.o2o_models import OnlineOrder, Parcel
from pos.store.outbox import emit

STATUS_RANK = {"waiting": 0, "arrived": 1, "collected": 2, "cancelled": 2}


@dataclass
class ParcelView:
    label: str
    pickup_code_last4: str
    order_ref: str
    status: str
    member_id: str
    member_code: str | None
    name: str | None
    phone_masked: str | None
    arrived_at: str | None
    collected_at: str | None
    days_waiting: int | None
    overdue: bool
    coupon_code: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Pickup:
    parcel: ParcelView
    coupon_code: str | None  # the pickup voucher (None: the program names none)
    coupon_template: str | None
    applied_to_sale: bool = False  # put on the sale in progress

    def as_dict(self) -> dict[str, Any]:
        return {"parcel": self.parcel.as_dict(), "coupon_code": self.coupon_code,
                "coupon_template": self.coupon_template, "applied_to_sale": self.applied_to_sale}


def _view(s, db, p: Parcel, now: dt.datetime) -> ParcelView:
    m = s.get(Member, p.member_id)
    days = (now - p.arrived_at).days if p.arrived_at and p.status == "arrived" else None
    limit = store_settings.PARCEL_OVERDUE_DAYS.get(db)
    return ParcelView(
        label=p.label, pickup_code_last4=p.pickup_code[-4:], order_ref=p.order_ref, status=p.status,
        member_id=str(p.member_id), member_code=m.member_code if m else None, name=m.name if m else None,
        phone_masked=m.phone_masked if m else None,
        arrived_at=p.arrived_at.isoformat() if p.arrived_at else None,
        collected_at=p.collected_at.isoformat() if p.collected_at else None,
        days_waiting=days, overdue=days is not None and days >= limit, coupon_code=p.coupon_code)


def _when(db, t: dt.datetime | None) -> str:
    return db.clock.local(t).strftime("%Y-%m-%d %H:%M") if t else "-"


def _check_label(label: str) -> str:
    label = (label or "").strip().upper()
    if not (label.startswith("PCL") and label[3:].isdigit() and len(label) == 13):
        raise DomainError("parcel.unknown", label=label[:24] or "-")
    return label


def receive(db, label: str, *, actor: str = "cli") -> ParcelView:
    """The courier's label scanned: the parcel has arrived at this store."""
    label = _check_label(label)
    now = db.clock.now()
    with db.transaction() as s:
        p = s.scalar(select(Parcel).where(Parcel.label == label))
        if p is None or p.store_code != db.store_code:
            raise DomainError("parcel.unknown", label=label)
        if p.status == "cancelled":
            raise DomainError("parcel.cancelled", label=label)
        if p.status == "collected":
            raise DomainError("parcel.collected", label=label, at=_when(db, p.collected_at))
        if p.status == "arrived":
            raise DomainError("parcel.duplicate", label=label, at=_when(db, p.arrived_at))
        p.status, p.arrived_at, p.received_by, p.updated_at = "arrived", now, actor[:32], now
        emit(s, db, "parcel.arrived", {"parcel_id": str(p.id), "label": p.label, "at": now.isoformat(),
                                       "actor": actor[:32]})
        return _view(s, db, p, now)


def _code(text: str) -> str:
    c = (text or "").strip().upper().replace(" ", "")
    return c if c.startswith("PU") else "PU" + c


def find(s, db, *, code: str | None = None, phone: str | None = None, last4: str | None = None) -> Parcel:
    """The parcel waiting here for this code, or this phone's parcel whose code ends in last4."""
    if code:
        c = _code(code)
        p = s.scalar(select(Parcel).where(Parcel.pickup_code == c, Parcel.store_code == db.store_code))
        if p is None:
            raise DomainError("parcel.no_match", query="…" + c[-4:])
        return p
    if not (phone and last4 and len(last4) == 4 and last4.isdigit()):
        raise DomainError("parcel.query")
    from pos.services import members

    idx = members.MemberIndex(str(db.path), store_settings.PHONE_REGION.get(db))
    try:
        ids = [uuid.UUID(m.id) for m in idx.by_phone(phone)]
    finally:
        idx.close()
    ids = _with_merged(s, ids)
    found = [p for p in s.scalars(select(Parcel).where(Parcel.member_id.in_(ids), Parcel.store_code == db.store_code))
             if p.pickup_code.endswith(last4)] if ids else []
    waiting = [p for p in found if p.status in ("arrived", "waiting")]
    if len(waiting) > 1:
        raise DomainError("parcel.ambiguous", count=len(waiting))
    if not found:
        raise DomainError("parcel.no_match", query=f"{phones.shown(phone)} / {last4}")
    return (waiting or found)[0]


def pickup(db, *, code: str | None = None, phone: str | None = None, last4: str | None = None,
           actor: str = "cli") -> Pickup:
    """The cashier confirms the pickup: collected, and the program's pickup voucher issued."""
    if not code and not (phone and last4):
        raise DomainError("parcel.query")
    now = db.clock.now()
    program = program_store.active(db)
    template = program.issuance.pickup
    with db.transaction() as s:
        p = find(s, db, code=code, phone=phone, last4=last4)
        if p.status == "collected":
            raise DomainError("parcel.collected", label=p.label, at=_when(db, p.collected_at))
        if p.status == "cancelled":
            raise DomainError("parcel.cancelled", label=p.label)
        if p.status != "arrived":
            raise DomainError("parcel.not_arrived", label=p.label)
        coupon = None
        if template and program.template(template) is not None:
            coupon = coupons.issue(s, db, program, template, member_id=p.member_id, source="pickup", now=now)
        p.status, p.collected_at, p.collected_by, p.updated_at = "collected", now, actor[:32], now
        p.coupon_code = coupon.code if coupon else None
        emit(s, db, "parcel.collected", {"parcel_id": str(p.id), "label": p.label, "at": now.isoformat(),
                                         "coupon_code": p.coupon_code, "actor": actor[:32]})
        return Pickup(_view(s, db, p, now), p.coupon_code, template if coupon else None)


def apply_to_basket(db, got: Pickup) -> bool:
    """Put the pickup voucher on the sale in progress (the basket saved at the till), attaching
    the parcel's member when the basket has none. False: no sale in progress, or it is another
    member's (the voucher stays in the member's wallet)."""
    from pos.services import checkout

    if not got.coupon_code:
        return False
    co = checkout.resume(db)
    if co is None:
        return False
    if co.member_id and co.member_id != got.parcel.member_id:
        co.save()
        return False
    if not co.member_id:
        co.attach_member_id(got.parcel.member_id)
    co.add_coupon(got.coupon_code)
    co.save()
    got.applied_to_sale = True
    return True


def listing(db, *, overdue: bool = False, status: str | None = None) -> list[ParcelView]:
    """This store's parcels, the ones waiting longest first (`overdue`: arrived and not collected
    within `parcel.overdue_days`: to go back to the courier)."""
    now = db.clock.now()
    with db.read() as s:
        q = select(Parcel).where(Parcel.store_code == db.store_code)
        if overdue:
            q = q.where(Parcel.status == "arrived",
                        Parcel.arrived_at <= now - dt.timedelta(days=store_settings.PARCEL_OVERDUE_DAYS.get(db)))
        elif status:
            q = q.where(Parcel.status == status)
        rows = s.scalars(q.order_by(Parcel.arrived_at.is_(None), Parcel.arrived_at, Parcel.created_at)).all()
        return [_view(s, db, p, now) for p in rows]


# --- online orders in the member's history --------------------------------------------------------

def _with_merged(s, ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """The members and the records merged into them (their orders and parcels are theirs now)."""
    return list(ids) + list(s.scalars(select(Member.id).where(Member.merged_into.in_(ids)))) if ids else []


def member_orders(db, member_id: str) -> list[dict[str, Any]]:
    """The member's online orders, newest first: points, and whether they still wait."""
    now = db.clock.now()
    with db.read() as s:
        rows = s.scalars(select(OnlineOrder).where(OnlineOrder.member_id.in_(_with_merged(s, [uuid.UUID(str(member_id))])))
                         .order_by(OnlineOrder.created_at.desc())).all()
        return [{"channel": o.channel, "order_id": o.order_id, "status": o.status, "paid_fen": o.paid_fen,
                 "points": o.points, "pending": o.status != "returned" and o.available_at > now,
                 "points_reversed": o.points_reversed, "pickup_store": o.pickup_store,
                 "date": db.clock.local(o.created_at).strftime("%Y-%m-%d %H:%M"),
                 "available_on": db.clock.local(o.available_at).date().isoformat()} for o in rows]


def online_lines(s, member_id: uuid.UUID, since: dt.datetime) -> list[tuple[str, str, str, dt.datetime, int]]:
    """The member's online purchases as (code, name, category, when, qty) for the suggestions:
    lines of orders not returned whose sku is a product of this store's catalog (by sku or barcode)."""
    orders = s.scalars(select(OnlineOrder).where(OnlineOrder.member_id.in_(_with_merged(s, [member_id])),
                                                 OnlineOrder.status != "returned",
                                                 OnlineOrder.created_at >= since)).all()
    skus = {str(ln.get("sku")) for o in orders for ln in o.lines or [] if isinstance(ln, dict)}
    if not skus:
        return []
    known: dict[str, tuple[str, str, str]] = {}
    for bc, name, cat in s.execute(select(ProductBarcode.barcode, Product.name, Product.category)
                                   .join(Product, Product.id == ProductBarcode.product_id)
                                   .where(ProductBarcode.barcode.in_(skus))):
        known[bc] = (bc, name, cat)
    for sku, bc, name, cat in s.execute(select(Product.sku, ProductBarcode.barcode, Product.name, Product.category)
                                        .join(ProductBarcode, ProductBarcode.product_id == Product.id)
                                        .where(Product.sku.in_(skus)).order_by(ProductBarcode.barcode)):
        known.setdefault(sku, (bc, name, cat))
    out = []
    for o in orders:
        for ln in o.lines or []:
            hit = known.get(str(ln.get("sku"))) if isinstance(ln, dict) else None
            if hit is not None:
                out.append((hit[0], hit[1], hit[2], o.created_at, int(ln.get("qty") or 1)))
    return out


# --- what HQ sends ----------------------------------------------------------------------------------

def _uid(v) -> uuid.UUID:
    return v if isinstance(v, uuid.UUID) else uuid.UUID(str(v))


def _time(v) -> dt.datetime | None:
    if not v:
        return None
    t = dt.datetime.fromisoformat(str(v))
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def apply_pull(s, db, orders: list[dict[str, Any]], parcels: list[dict[str, Any]], now: dt.datetime) -> dict[str, int]:
    """HQ's online orders (upserted) and this store's parcels (upserted; what the till did to a
    parcel that HQ has not heard of yet — received, collected — is never undone by an older state)."""
    n_orders = n_parcels = 0
    for d in orders:
        oid = _uid(d["id"])
        o = s.get(OnlineOrder, oid)
        vals = dict(channel=str(d["channel"]), order_id=str(d["order_id"]), member_id=_uid(d["member_id"]),
                    status=str(d["status"]), lines=list(d.get("lines") or []), paid_fen=int(d["paid_fen"]),
                    pickup_store=d.get("pickup_store"), points=int(d.get("points") or 0),
                    points_reversed=d.get("reverse_entry_id") is not None,
                    available_at=_time(d["available_at"]), created_at=_time(d["created_at"]),
                    updated_at=_time(d.get("updated_at")) or now)
        if o is None:
            s.add(OnlineOrder(id=oid, **vals))
        else:
            for k, v in vals.items():
                setattr(o, k, v)
        n_orders += 1
    for d in parcels:
        if d.get("store_code") != db.store_code:
            continue
        pid = _uid(d["id"])
        p = s.get(Parcel, pid)
        hq_status = str(d["status"])
        if p is None:
            s.add(Parcel(id=pid, online_order_id=_uid(d["online_order_id"]), order_ref=str(d["order_ref"]),
                         store_code=str(d["store_code"]), label=str(d["label"]), pickup_code=str(d["pickup_code"]),
                         member_id=_uid(d["member_id"]), status=hq_status, created_at=_time(d["created_at"]),
                         arrived_at=_time(d.get("arrived_at")), collected_at=_time(d.get("collected_at")),
                         coupon_code=d.get("coupon_code"), updated_at=now, test_clock=False))
        else:
            p.member_id = _uid(d["member_id"])  # a merge at HQ moves it to the survivor
            if hq_status == "cancelled" and p.status != "collected" or STATUS_RANK[hq_status] > STATUS_RANK[p.status]:
                p.status = hq_status
                p.arrived_at = p.arrived_at or _time(d.get("arrived_at"))
                p.collected_at = p.collected_at or _time(d.get("collected_at"))
                p.coupon_code = p.coupon_code or d.get("coupon_code")
                p.updated_at = now
        n_parcels += 1
    return {"online_orders": n_orders, "parcels": n_parcels}
