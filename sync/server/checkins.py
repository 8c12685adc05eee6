"""Arrival check-in at HQ (issue 16 item 4): the store's check-in QR, the member's check-in,
and the arrivals feed a store's till polls.

    checkin_link(hq, "S1", base_url) -> {"url": ".../m/checkin/<signed token>", ...}
    checkin(hq, member_id, "S1") -> {"points": 10, "already": False, ...}
    arrivals(hq, "S1", since) -> {"arrivals": [...], "cursor": N}      (GET /v1/arrivals)

The bonus is the till's rule (pos.services.member_bonuses.checkin): `bonuses.checkin`
points once per member per store per business date, a `bonus` lot with reason
`check-in <date>` and the *store's* code — the very key a till's Ctrl+K check-in writes,
so whichever comes first awards and the other finds it (the till by pull, HQ in its
ledger); two that did not hear of each other are settled by sync.server.member_rewards
(the same award key `check-in <date> @store`). The lot reaches the tills by pull.
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import or_, select

from pos.ids import uuid7
from pos.loyalty import ledger
from pos.rules import phones
from pos.services import member_bonuses

from . import alliance, changes, signing
from .arrival_models import CheckIn
from .common import lock_balances, log_hq_ledger_rows, now_utc, resolve
from .models import AuditEntry, Member, PointsEntry, Store

LINK_DAYS = 400
TZ = "Asia/Shanghai"  # HQ's business dates (member_self.TZ)
OVERLAP_S = 15  # the feed also serves the last seconds again: a row committed late behind a higher seq is not lost
PURPOSE = "checkin"


class StoreUnknown(Exception):
    pass


def checkin_link(hq, store: str, base_url: str, *, days: int = LINK_DAYS) -> dict[str, Any]:
    with hq.read() as s:
        row = s.get(Store, store)
        if row is None:
            raise StoreUnknown(store)
        name = row.name
    signing.init(hq)
    token = signing.sign(PURPOSE, {"s": store}, days * 86400)
    exp = now_utc() + dt.timedelta(days=days)
    return {"store": store, "name": name, "url": f"{base_url.rstrip('/')}/m/checkin/{token}",
            "expires_at": exp.isoformat(timespec="seconds")}


def store_of_token(token: str) -> str:
    return str(signing.verify(PURPOSE, token)["s"])


def _person(s, member_id: uuid.UUID) -> list[uuid.UUID]:
    from .member_rewards import _person as person

    return person(s, member_id)


def checked_in_today(hq, member_id: uuid.UUID, store: str, now: dt.datetime | None = None) -> bool:
    from pos.clock import Clock

    now = now or now_utc()
    reason = member_bonuses.checkin_reason(Clock(TZ).local(now).date())
    with hq.read() as s:
        ids = _person(s, member_id)
        return s.scalar(select(PointsEntry.id).where(
            PointsEntry.member_id.in_(ids), PointsEntry.kind == "bonus", PointsEntry.reason == reason,
            PointsEntry.store_code == store).limit(1)) is not None or s.scalar(select(CheckIn.id).where(
                CheckIn.member_id.in_(ids), CheckIn.store_code == store,
                CheckIn.day == Clock(TZ).local(now).date()).limit(1)) is not None


def checkin(hq, member_id: uuid.UUID, store: str, *, via: str = "qr", now: dt.datetime | None = None) -> dict[str, Any]:
    """Record the arrival (always: the till greets every arrival) and the day's bonus at
    this store once (one transaction)."""
    from pos.clock import Clock
    from pos.loyalty import expiry as expiry_rules

    from .expiry import active_program

    clock, now = Clock(TZ), now or now_utc()
    day = clock.local(now).date()
    reason = member_bonuses.checkin_reason(day)
    with hq.transaction() as s:
        log_hq_ledger_rows(s)
        m = resolve(s, member_id)
        if m is None or m.status != "active":
            raise LookupError("member")
        if s.get(Store, store) is None:
            raise StoreUnknown(store)
        lock_balances(s, [m.id])
        doc = active_program(s)
        points = doc.bonuses.checkin
        ids = _person(s, m.id)
        already = s.scalar(select(PointsEntry.id).where(
            PointsEntry.member_id.in_(ids), PointsEntry.kind == "bonus", PointsEntry.reason == reason,
            PointsEntry.store_code == store).limit(1)) is not None
        given = 0
        if not already and points:
            ledger.credit(s, m.id, "bonus", points, now=now, expires_at=expiry_rules.lot_expiry(doc, now, clock),
                          store_code=store, reason=reason, program_version=doc.version,
                          **alliance.ledger_fields(s, store))  # the store's merchant's points (issue 17)
            given = points
        s.add(CheckIn(id=uuid7(), member_id=m.id, store_code=store, at=now, day=day, points=given, via=via))
        s.add(AuditEntry(id=uuid7(), at=now, store_code=store, actor="member", action="member.checkin",
                         member_id=m.id, detail={"date": day.isoformat(), "points": given, "via": via}))
        s.flush()
        balance = ledger.points_balance(s, m.id)
        changes.flush(s)
        return {"member_code": m.member_code, "store": store, "date": day.isoformat(), "points": given,
                "already": already, "balance": balance}


def _mask_name(name: str | None) -> str | None:
    from pos.services.members import mask_name

    return mask_name(name) if name else None


def arrivals(hq, store: str, since: int = 0, *, limit: int = 50, now: dt.datetime | None = None) -> dict[str, Any]:
    """This store's arrivals after `since` (the last `seq` the till saw; 0: today's), newest
    last; the last OVERLAP_S seconds are served again (the till keeps each id once)."""
    from pos.clock import Clock

    now = now or now_utc()
    clock = Clock(TZ)
    start = clock.start_of_day(clock.local(now).date())
    recent = now - dt.timedelta(seconds=OVERLAP_S)
    with hq.read() as s:
        q = (select(CheckIn, Member).join(Member, Member.id == CheckIn.member_id)
             .where(CheckIn.store_code == store, CheckIn.at >= start,
                    or_(CheckIn.seq > since, CheckIn.at >= recent))
             .order_by(CheckIn.seq).limit(limit))
        rows = s.execute(q).all()
        cursor = max([since] + [c.seq for c, _ in rows])
        out = [{"id": str(c.id), "seq": c.seq, "at": c.at.isoformat(), "member_id": str(m.id),
                "member_code": m.member_code, "name": _mask_name(m.name),
                "phone_masked": phones.mask(m.phone) if m.phone else None, "tier": m.tier_code,
                "tags": sorted({t.get("tag") for t in (m.tags or []) if isinstance(t, dict) and t.get("tag")}),
                "points": c.points, "via": c.via} for c, m in rows]
    return {"store": store, "arrivals": out, "cursor": cursor}
