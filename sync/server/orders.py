"""Online orders into the member's history, and parcels for pickup at a store (issue 18).

    POST /v1/orders   Authorization: Bearer <channel key>   (sync/server/channels.py)
    {"order_id": "TM-1001", "phone": "13800138000", "status": "paid|shipped|delivered|returned",
     "lines": [{"sku": "SKU-1", "name": "Towel", "qty": 2, "amount_fen": 10000}],
     "paid_fen": 9800, "pickup_store": "S1"}

One transaction per post. The order is keyed by (channel, order_id): the first post
records it, later posts move its status forward (paid < shipped < delivered; returned
ends it); a post that says nothing new — the same order re-sent, or a status it has
passed already — changes nothing and answers `"changed": false`. Lines and amount are
the first post's; a later post with another `paid_fen` is refused (409).

The customer: the member with this phone (a merged record answers as its survivor),
or a new member registered here with origin channel `online` (no sign-up rewards: they
are for joining at a store or on the member pages).

Points: the first post that is not a return earns, by the program's earning rules on the
lines' amounts (`paid_fen` spread over the lines; rates per points class of HQ's catalog,
tier multipliers, rounding: `pos.rules.pricing.earn_on_amounts`, as a sale earns) — a lot
of HQ (store `HQ`, `sale_id` = the order's id) pending until `earn.pending_days.shipped`
days after HQ recorded the order (SPEC §3: the return window), like the till's shipped
sales (pos.loyalty.expiry.available_at). Its tier spend waits as long: HQ's tier reviews
count an online order once its window has passed and it was not returned
(`matured_spend`). A return takes the points back (kind `return`, reversing the lot;
debt if they were spent meanwhile). The order, the member and the ledger rows reach
every till with its next pull (change kinds `online_order`, `member`, `points_entry`).

Parcels: an order naming `pickup_store` (a store HQ knows) gets a parcel — a courier
label `PCL` + 10 digits (printed on the parcel: what the store's scanner reads) and the
customer's pickup code `PU` + 8 digits — sent down to that store (change kind `parcel`).
The till's `parcel receive` pushes `parcel.arrived`; HQ then tells the customer through
the Notifier (sync/server/notify.py): the pickup code and a link to the member page that
shows it as a QR code. `parcel pickup` pushes `parcel.collected` (with the voucher the
till issued). A return before pickup cancels the parcel."""
from __future__ import annotations

import datetime as dt
import os
import secrets
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from pos.clock import Clock
from pos.errors import DomainError
from pos.ids import uuid7
from pos.loyalty import expiry as expiry_rules
from pos.loyalty import ledger
from pos.rules import money, phones, pricing
from pos.services import members as pos_members

from . import changes
from .common import Ctx, Reject, as_time, as_uuid, lock_balances, log_hq_ledger_rows, now_utc, resolve
from .expiry import DEFAULT_TZ, active_program
from .models import HQ_STORE, Member, Product, Store
from .o2o_models import OnlineOrder, Parcel

STATUSES = ("paid", "shipped", "delivered", "returned")
_RANK = {"paid": 0, "shipped": 1, "delivered": 2}
_CLOCK = Clock(DEFAULT_TZ)
LABEL_PREFIX, CODE_PREFIX = "PCL", "PU"


class OrderError(Exception):
    def __init__(self, status: int, error: str, message: str):
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


class OrderLine(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=100)
    qty: Annotated[StrictInt, Field(ge=1, le=9999)]
    amount_fen: Annotated[StrictInt, Field(ge=0, le=10**10)]


class OrderIn(BaseModel):
    """The channel's order, exactly the fields the issue names."""

    model_config = ConfigDict(extra="forbid")
    order_id: str = Field(min_length=1, max_length=64, pattern=r"^[!-~]+$")
    phone: str = Field(min_length=5, max_length=20)
    status: Literal["paid", "shipped", "delivered", "returned"]
    lines: list[OrderLine] = Field(min_length=1, max_length=200)
    paid_fen: Annotated[StrictInt, Field(ge=0, le=10**10)]
    pickup_store: str | None = Field(None, pattern=r"^[A-Z0-9][A-Z0-9_-]{0,15}$")


def parse(raw: bytes) -> OrderIn:
    from ..protocol import error_text

    try:
        return OrderIn.model_validate_json(raw)
    except ValidationError as exc:
        err = exc.errors(include_url=False, include_input=False)[0]
        if err["type"] == "json_invalid":
            raise OrderError(422, "body.invalid", "request body is not valid JSON (UTF-8)") from None
        raise OrderError(422, "body.invalid", error_text(exc) or "body: not an order") from None


# --- the post ---------------------------------------------------------------------------------

def _member_for(s, e164: str, now: dt.datetime, doc) -> tuple[Member, bool]:
    m = s.scalar(select(Member).where(Member.phone == e164))
    if m is not None:
        return resolve(s, m.id) or m, False
    m = Member(id=uuid7(), member_code=pos_members.new_member_code(), phone=e164, phone_last4=phones.last4(e164),
               channel="online", marketing_consent=False, consent_at=None, tier_code=doc.tiers.levels[0].code,
               tier_since=now, joined_at=now, joined_store=HQ_STORE, status="active", tags=[], field_times={},
               created_at=now, updated_at=now, test_clock=False)
    s.add(m)
    s.flush()
    changes.record(s, "member", m.id)
    return m, True


def order_points(s, doc, member: Member, lines: list[dict], paid_fen: int, now: dt.datetime) -> int:
    """What the order earns: `paid_fen` spread over the lines by their amounts, each line by
    its points class in HQ's catalog (regular when HQ does not know the sku)."""
    amounts = [int(ln["amount_fen"]) for ln in lines]
    nets = money.spread(paid_fen, amounts) if sum(amounts) else [0] * len(lines)
    skus = [ln["sku"] for ln in lines]
    known = {p.sku: p for p in s.scalars(select(Product).where(Product.sku.in_(skus)))}
    items = []
    for ln, net in zip(lines, nets):
        p = known.get(ln["sku"])
        qty = int(ln["qty"])
        items.append((pricing.Item(ln["sku"], ln["name"], p.category if p else "online", qty,
                                   max(1, int(ln["amount_fen"]) // qty), points_class=p.points_class if p else "regular"),
                      net))
    member_ctx = pricing.MemberCtx(str(member.id), member.tier_code)
    return sum(pricing.earn_on_amounts(doc, items, member_ctx, store="online", now=now,
                                       local_date=_CLOCK.local(now).date()))


def _new_parcel(s, order: OnlineOrder, now: dt.datetime) -> Parcel:
    for _ in range(20):
        label = LABEL_PREFIX + "".join(secrets.choice("0123456789") for _ in range(10))
        code = CODE_PREFIX + "".join(secrets.choice("0123456789") for _ in range(8))
        taken = s.scalar(select(Parcel.id).where((Parcel.label == label) | (Parcel.pickup_code == code)))
        if taken is None:
            break
    p = Parcel(id=uuid7(), online_order_id=order.id, order_ref=f"{order.channel}:{order.order_id}"[:100],
               store_code=order.pickup_store, label=label, pickup_code=code, member_id=order.member_id,
               status="waiting", created_at=now, updated_at=now)
    s.add(p)
    changes.record(s, "parcel", p.id)
    return p


def _reverse(s, order: OnlineOrder, now: dt.datetime, doc) -> None:
    if order.points <= 0 or order.reverse_entry_id is not None or order.earn_entry_id is None:
        return
    lock_balances(s, [order.member_id])
    lots = sorted(ledger.open_lots(s, order.member_id), key=lambda lot: lot.id != order.earn_entry_id)
    e = ledger.debit(s, order.member_id, "return", order.points, now=now, lots=lots, allow_debt=True,
                     reverses_id=order.earn_entry_id, sale_id=order.id, store_code=HQ_STORE,
                     program_version=doc.version, reason=f"online order returned {order.channel}:{order.order_id}"[:200])
    order.reverse_entry_id = e.id


def post(hq, channel: str, o: OrderIn, *, now: dt.datetime | None = None, region: str = "CN") -> dict[str, Any]:
    """Record or update one order (one transaction); what HQ now holds of it."""
    now = now or now_utc()
    try:
        e164 = phones.normalize(o.phone, region)
    except DomainError as exc:
        raise OrderError(422, "order.phone", exc.message("en")) from None
    lines = [ln.model_dump() for ln in o.lines]
    for attempt in range(3):
        try:
            return _post_once(hq, channel, o, e164, lines, now)
        except IntegrityError:  # the same order (or a new member of this phone) posted at the same moment
            if attempt == 2:
                raise OrderError(409, "order.busy", "the order was being recorded by another request; post it again")
    raise AssertionError("unreachable")


def _post_once(hq, channel: str, o: OrderIn, e164: str, lines: list[dict], now: dt.datetime) -> dict[str, Any]:
    changed = False
    with hq.transaction() as s:
        log_hq_ledger_rows(s)
        doc = active_program(s)
        order = s.scalar(select(OnlineOrder).where(OnlineOrder.channel == channel, OnlineOrder.order_id == o.order_id)
                         .with_for_update())  # two updates of one order: one after the other
        if order is None:
            if o.pickup_store and s.get(Store, o.pickup_store) is None:
                raise OrderError(422, "order.pickup_store", f"pickup_store {o.pickup_store}: no such store at HQ")
            member, _new = _member_for(s, e164, now, doc)
            lock_balances(s, [member.id])
            order = OnlineOrder(id=uuid7(), channel=channel, order_id=o.order_id, member_id=member.id,
                                status=o.status, lines=lines, paid_fen=o.paid_fen, pickup_store=o.pickup_store,
                                points=0, available_at=expiry_rules.available_at(doc, now, "shipped"),
                                history=[{"status": o.status, "at": now.isoformat()}], created_at=now, updated_at=now)
            s.add(order)
            s.flush()
            if o.status != "returned":
                pts = order_points(s, doc, member, lines, o.paid_fen, now)
                if pts > 0:
                    lot = ledger.credit(s, member.id, "earn", pts, now=now, available_at=order.available_at,
                                        expires_at=expiry_rules.lot_expiry(doc, now, _CLOCK), sale_id=order.id,
                                        store_code=HQ_STORE, program_version=doc.version,
                                        reason=f"online order {channel}:{o.order_id}"[:200])
                    order.points, order.earn_entry_id = pts, lot.id
                if o.pickup_store:
                    _new_parcel(s, order, now)
            changed = True
        else:
            if o.paid_fen != order.paid_fen:
                raise OrderError(409, "order.changed",
                                 f"order {o.order_id} was recorded with paid_fen {order.paid_fen}; "
                                 "an update changes its status only")
            cur, new = order.status, o.status
            forward = cur != "returned" and new != cur and (new == "returned" or _RANK[new] > _RANK[cur])
            if forward:
                lock_balances(s, [order.member_id])
                order.status, order.updated_at = new, now
                order.history = list(order.history or []) + [{"status": new, "at": now.isoformat()}]
                if new == "returned":
                    _reverse(s, order, now, doc)
                    parcel = s.scalar(select(Parcel).where(Parcel.online_order_id == order.id))
                    if parcel is not None and parcel.status in ("waiting", "arrived"):
                        parcel.status, parcel.updated_at = "cancelled", now
                        changes.record(s, "parcel", parcel.id)
                changed = True
        if changed:
            changes.record(s, "online_order", order.id)
            m = s.get(Member, order.member_id)
            if m is not None:
                m.updated_at = now
        changes.flush(s)
        return {**describe(s, order, now), "changed": changed}


def describe(s, order: OnlineOrder, now: dt.datetime) -> dict[str, Any]:
    m = s.get(Member, order.member_id)
    parcel = s.scalar(select(Parcel).where(Parcel.online_order_id == order.id))
    return {
        "channel": order.channel, "order_id": order.order_id, "status": order.status, "paid_fen": order.paid_fen,
        "member_code": m.member_code if m else None, "points": order.points,
        "pending": pending(order, now), "available_at": order.available_at.isoformat(),
        "points_reversed": order.reverse_entry_id is not None, "pickup_store": order.pickup_store,
        "created_at": order.created_at.isoformat(),
        "parcel": None if parcel is None else {
            "label": parcel.label, "pickup_code": parcel.pickup_code, "store": parcel.store_code,
            "status": parcel.status},
    }


def pending(order: OnlineOrder, now: dt.datetime) -> bool:
    """Points and tier spend still waiting for the return window (a returned order's are gone)."""
    return order.status != "returned" and order.available_at > now


def member_orders(s, member_ids: list[uuid.UUID], now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """A member's online orders, newest first (for `hq member show`)."""
    now = now or now_utc()
    rows = s.scalars(select(OnlineOrder).where(OnlineOrder.member_id.in_(member_ids))
                     .order_by(OnlineOrder.created_at.desc(), OnlineOrder.id.desc())).all()
    return [describe(s, o, now) for o in rows]


def matured_spend(s, member_id: uuid.UUID, *, since: dt.datetime | None = None, until: dt.datetime | None = None,
                  now: dt.datetime | None = None) -> int:
    """Tier spend of the member's online orders whose return window has passed and that were
    not returned (by the time HQ recorded them, in [since, until))."""
    now = now or now_utc()
    q = select(OnlineOrder.paid_fen).where(OnlineOrder.member_id == member_id, OnlineOrder.status != "returned",
                                           OnlineOrder.available_at <= now)
    if since is not None:  # the order that registered the member was made at the very instant the tier began
        q = q.where(OnlineOrder.created_at >= since)
    if until is not None:
        q = q.where(OnlineOrder.created_at < until)
    return int(sum(s.scalars(q)))


# --- parcels: what the store's till pushes ---------------------------------------------------------

def _parcel_of(c: Ctx, p: dict) -> Parcel:
    parcel = c.s.get(Parcel, as_uuid(p.get("parcel_id")))
    if parcel is None and isinstance(p.get("label"), str):
        parcel = c.s.scalar(select(Parcel).where(Parcel.label == p["label"]))
    if parcel is None:
        raise Reject("parcel unknown at HQ")
    if parcel.store_code != c.store:
        raise Reject(f"parcel {parcel.label} is for store {parcel.store_code}")
    return parcel


def h_parcel_arrived(c: Ctx, p: dict) -> None:
    parcel = _parcel_of(c, p)
    if parcel.status != "waiting":
        return  # arrived already (the same event replayed, or a second till scanning it)
    parcel.status, parcel.arrived_at, parcel.updated_at = "arrived", as_time(p.get("at")) or c.created_at, c.now
    changes.record(c.s, "parcel", parcel.id, c.store)


def h_parcel_collected(c: Ctx, p: dict) -> None:
    parcel = _parcel_of(c, p)
    if parcel.status == "collected":
        return
    parcel.arrived_at = parcel.arrived_at or as_time(p.get("at")) or c.created_at
    parcel.status, parcel.collected_at, parcel.updated_at = "collected", as_time(p.get("at")) or c.created_at, c.now
    code = p.get("coupon_code")
    parcel.coupon_code = code[:32] if isinstance(code, str) else None
    changes.record(c.s, "parcel", parcel.id, c.store)


def public_url(base_url: str | None = None) -> str:
    return (os.environ.get("MEMBERPOS_PUBLIC_URL") or base_url or "http://127.0.0.1:8700").rstrip("/")


def message(store_name: str, code: str) -> str:
    return (f"您的包裹已到{store_name}，取件码 {code}（到店出示二维码，或报手机号和取件码后4位）。"
            f"取件当天到店消费可用取件券。 Your parcel is at {store_name}: pickup code {code}.")


def send_arrivals(hq, base_url: str | None = None, *, notifier=None) -> int:
    """Tell each customer whose parcel arrived and who was not told yet (after the push that
    brought the arrival committed: the Notifier writes in its own transaction). Marks each
    parcel notified first, so a message is sent at most once even when two pushes race."""
    from . import notify, signing

    with hq.read() as s:
        due = list(s.scalars(select(Parcel.id).where(Parcel.status == "arrived", Parcel.notified_at.is_(None))
                             .order_by(Parcel.arrived_at).limit(500)))
    sent = 0
    for pid in due:
        with hq.transaction() as s:
            parcel = s.get(Parcel, pid, with_for_update=True)  # another worker's send waits, then sees it notified
            if parcel is None or parcel.notified_at is not None:
                continue
            parcel.notified_at = now_utc()
            m = s.get(Member, parcel.member_id)
            m = resolve(s, m.id) if m is not None else None
            store = s.get(Store, parcel.store_code)
            phone, code, name = (m.phone if m else None), parcel.pickup_code, (store.name if store else parcel.store_code)
        if not phone:
            continue
        try:
            token = signing.sign("parcel", {"p": str(pid)}, ttl_s=30 * 86400)
            link = f"{public_url(base_url)}/m/parcel/{token}"
        except Exception:  # no signing key in this process (a CLI run): the message still goes
            link = None
        try:
            (notifier or notify.notifier(hq)).send(phone, message(name, code), kind="parcel", link=link)
        except Exception:  # not sent: the next arrival pushed tries again
            with hq.transaction() as s:
                s.get(Parcel, pid).notified_at = None
            raise
        sent += 1
    return sent


def matured_upgrades(s, doc, now: dt.datetime, zone, only=None) -> list[dict[str, Any]]:
    """Members whose online orders' return window closed in the last 60 days get the upgrade
    their spend now reaches (as a till does for its shipped sales: pos.loyalty.tiers
    `_matured_upgrades`), run with HQ's tier reviews (`hq tiers review`): cumulative — the
    spend since the tier began at every store plus the matured online orders reaches the next
    tier; window — the window's spend makes a higher tier. Idempotent: an upgraded member has
    nothing due. Returns the changes (member_code, from, to, spend_fen)."""
    from pos.loyalty import tiers as pos_tiers

    from .reviews import _spend
    from .models import Sale

    t = doc.tiers
    recent = select(OnlineOrder.member_id).where(
        OnlineOrder.status != "returned", OnlineOrder.available_at <= now,
        OnlineOrder.available_at > now - dt.timedelta(days=60)).distinct()
    ids = sorted(set(s.scalars(recent)))
    if only is not None:
        wanted = {uuid.UUID(str(m)) for m in only}
        ids = [i for i in ids if i in wanted]
    out = []
    for mid in ids:
        m = resolve(s, mid)
        if m is None or m.status != "active":
            continue
        if t.qualification == "cumulative":
            q = select(Sale.document, Sale.repriced, Sale.hq_net_fen).where(Sale.member_id == m.id)
            if m.tier_since is not None:
                q = q.where(Sale.created_at > m.tier_since)
            spend = sum(_spend(*row) for row in s.execute(q)) + matured_spend(s, m.id, since=m.tier_since, now=now)
            to = pos_tiers.upgrade_after_spend(t, m.tier_code, spend)
        else:
            start = dt.datetime.combine(pos_tiers.add_months(now.astimezone(zone).date(), -t.window_months),
                                        dt.time(0), zone).astimezone(dt.timezone.utc)
            spend = sum(_spend(*row) for row in s.execute(select(Sale.document, Sale.repriced, Sale.hq_net_fen).where(
                Sale.member_id == m.id, Sale.created_at >= start))) + matured_spend(
                s, m.id, since=start, now=now)
            best = pos_tiers.tier_for_window(t, spend)
            to = best if t.rank(best) > t.rank(m.tier_code) else None
        if not to:
            continue
        out.append({"member_code": m.member_code, "from": m.tier_code, "to": to, "spend_fen": spend,
                    "reason": "online_matured"})
        m.tier_code, m.tier_since, m.updated_at = to, now, now
        m.tier_expires = pos_tiers.add_months(now.astimezone(zone).date(), t.validity_months) if t.rank(to) > 0 else None
        changes.record(s, "member", m.id)
    return out
