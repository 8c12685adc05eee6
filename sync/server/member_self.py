"""A member's own actions at HQ's member pages (issue 16): join by a store's QR, sign in,
the wallet, the profile (completing it earns the program's profile bonus, once per
person), the export of their data and the erase request.

Joining reuses `members.register` (sign-up rewards exactly once, origin channel `qr`
and the store recorded); a phone HQ knows is the same person — merged by phone: the
existing member signs in (a marketing consent ticked now is recorded), nothing is
given twice. Erasing reuses `members.h_member_erased`, the flow a till's erase takes
at HQ, so the anonymous row reaches every till by pull.
"""
from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

from sqlalchemy import delete, func, select

from pos.errors import DomainError
from pos.ids import uuid7
from pos.loyalty import ledger
from pos.rules import phones
from pos.services import member_bonuses

from . import alliance, changes, members, signing
from . import expiry as _hq_expiry  # noqa: F401  (imported here, not at the first join: it stays fast)
from . import member_rewards as _rewards  # noqa: F401
from pos import clock as _clock  # noqa: F401
from pos.loyalty import coupons as _coupons, expiry as _expiry  # noqa: F401
from .common import Ctx, lock_balances, log_hq_ledger_rows, now_utc, resolve
from .models import HQ_STORE, AuditEntry, Coupon, CouponUse, Member, MemberCard, PointsEntry, Sale, Store
from .models import StoredValueEntry
from .web_models import Notification, OneTimeCode

STORE_LINK_DAYS = 400  # a poster's link; reprint (or rotate the signing key) to retire it
TERMS_VERSION = "2026-12"
TZ = "Asia/Shanghai"


class StoreUnknown(Exception):
    pass


# --- the store's join link (the QR's URL) ------------------------------------------------------

def store_link(hq, store: str, base_url: str, *, days: int = STORE_LINK_DAYS,
               now: float | None = None) -> dict[str, Any]:
    """The store's signed join link, valid at least `days` days: it expires at the UTC
    midnight after that, so every link of one store asked for the same day and base is the
    same text (the poster `hq store qr` prints, the till's customer screen: GET
    /v1/store/join-link) and a till that asks again finds nothing changed."""
    with hq.read() as s:
        row = s.get(Store, store)
        if row is None:
            raise StoreUnknown(store)
        name = row.name
    signing.init(hq)
    issued = int(time.time() if now is None else now)
    exp = -(-(issued + days * 86400) // 86400) * 86400  # up to the next midnight (UTC)
    token = signing.sign("store", {"s": store}, exp - issued, now=issued)
    return {"store": store, "name": name, "url": f"{base_url.rstrip('/')}/m/join/{token}",
            "expires_at": dt.datetime.fromtimestamp(exp, dt.timezone.utc).isoformat(timespec="seconds")}


def store_of_token(token: str) -> str:
    return str(signing.verify("store", token)["s"])


def store_name(hq, store: str) -> str | None:
    with hq.read() as s:
        row = s.get(Store, store)
        return None if row is None else row.name


# --- join / sign in ---------------------------------------------------------------------------

def join(hq, phone_e164: str, *, store: str | None, marketing: bool, channel: str = "qr") -> dict[str, Any]:
    """The member for this phone: made now (with the sign-up rewards) or the one HQ has."""
    now = now_utc()
    for _ in range(2):
        with hq.transaction() as s:
            m = s.scalar(select(Member).where(Member.phone == phone_e164))
            if m is not None:
                m = resolve(s, m.id)
                if marketing and not m.marketing_consent:
                    m.marketing_consent, m.consent_at, m.updated_at = True, now, now
                    changes.record(s, "member", m.id)
                    changes.flush(s)
                s.add(AuditEntry(id=uuid7(), at=now, store_code=store or HQ_STORE, actor="member", action="member.join",
                                 member_id=m.id, detail={"terms": TERMS_VERSION, "marketing": bool(marketing),
                                                         "existing": True}))
                return {"id": str(m.id), "member_code": m.member_code, "new": False,
                        "rewards": {"points": 0, "coupons": []}}
        try:
            got = members.register(hq, phone_e164, channel=channel, store=store, now=now, marketing_consent=marketing,
                                   audit={"actor": "member", "action": "member.join",
                                          "detail": {"terms": TERMS_VERSION, "marketing": bool(marketing),
                                                     "existing": False}})
        except DomainError as exc:
            if exc.code == "member.duplicate_phone":
                continue  # joined a moment ago in another tab: the member HQ has
            raise
        got["new"] = True
        return got
    raise RuntimeError("join: the phone's member vanished")


def phone_of(hq, member_id: uuid.UUID) -> str | None:
    """The active member's phone (where a code confirming their own request goes), or None."""
    with hq.read() as s:
        m = s.get(Member, member_id)
        return m.phone if m is not None and m.status == "active" else None


def member_by_phone(hq, phone_e164: str) -> uuid.UUID | None:
    with hq.read() as s:
        m = s.scalar(select(Member).where(Member.phone == phone_e164))
        m = resolve(s, m.id) if m is not None else None
        return m.id if m is not None and m.status == "active" else None


# --- wallet -----------------------------------------------------------------------------------

def wallet(hq, member_id: uuid.UUID) -> dict[str, Any]:
    from .expiry import active_program

    now = now_utc()
    with hq.read() as s:
        m = s.get(Member, member_id)
        doc = active_program(s)
        used = select(CouponUse.coupon_id)
        coupons = list(s.scalars(select(Coupon).where(Coupon.member_id == member_id, Coupon.voided_at.is_(None),
                                                      Coupon.valid_to > now, Coupon.id.not_in(used))
                                 .order_by(Coupon.valid_to)))
        entries = list(s.scalars(select(PointsEntry).where(PointsEntry.member_id == member_id)
                                 .order_by(PointsEntry.created_at.desc()).limit(10)))
        tier = next((lv for lv in doc.tiers.levels if lv.code == m.tier_code), None)
        return {
            "member_code": m.member_code, "name": m.name, "phone_masked": phones.mask(m.phone),
            "tier": m.tier_code, "tier_name": _text(getattr(tier, "name", None), m.tier_code),
            "points": ledger.points_balance(s, member_id), "available": ledger.available_points(s, member_id, now),
            "stored_value_fen": ledger.sv_balance(s, member_id),
            "coupons": [{"code": c.code, "template": c.template,
                         "name": _text(getattr(doc.template(c.template), "name", None), c.template),
                         "valid_to": c.valid_to} for c in coupons],
            "entries": [{"at": e.created_at, "kind": e.kind, "points": e.points, "reason": e.reason} for e in entries],
            "profile_points": doc.membership.profile_completion_points,
            "profile_fields": list(doc.membership.profile_fields_required),
            "profile_done": _given(s, member_id, member_bonuses.PROFILE),
            "merchants": _merchants(s, m, now) if alliance.several(s) else [],  # issue 17
        }


def _merchants(s, m, now) -> list[dict[str, Any]]:
    """An alliance member's own relationship with each merchant they have one with (points,
    stored value, tier), and the shared coins under the alliance's name."""
    from pos.loyalty import coins as coin_ledger
    from pos.loyalty.ledger import position, scoped
    from .alliance_models import Merchant

    out = []
    for code, name in s.execute(select(Merchant.code, Merchant.name).order_by(Merchant.code)):
        p = position(s, m.id, code)
        sv = s.scalar(scoped(select(func.coalesce(func.sum(StoredValueEntry.amount_fen), 0))
                             .where(StoredValueEntry.member_id == m.id), code, StoredValueEntry.merchant_code))
        tier = alliance.member_views(s, code, [m.id])[m.id]["tier_code"]
        if p.balance or sv or alliance.home_merchant(s, m) == code:
            out.append({"merchant": code, "name": name, "points": p.balance, "available": max(0, p.spendable(now)),
                        "stored_value_fen": int(sv or 0), "tier": tier})
    if out:
        out.append({"merchant": "ALLIANCE", "coins": coin_ledger.balance(s, m.id),
                    "coins_spendable": coin_ledger.spendable(s, m.id, now)})
    return out


def _text(v, default: str) -> tuple[str, str]:
    """A program's bilingual name as (zh, en)."""
    if v is None:
        return default, default
    if isinstance(v, str):
        return v, v
    return getattr(v, "zh", default), getattr(v, "en", default)


def _given(s, member_id: uuid.UUID, reason: str) -> bool:
    from .member_rewards import _person

    ids = _person(s, member_id)
    return s.scalar(select(PointsEntry.id).where(PointsEntry.member_id.in_(ids), PointsEntry.kind == "bonus",
                                                PointsEntry.reason == reason).limit(1)) is not None


# --- profile ----------------------------------------------------------------------------------

def profile(hq, member_id: uuid.UUID) -> dict[str, Any]:
    with hq.read() as s:
        m = s.get(Member, member_id)
        return {f: getattr(m, f) for f in members.PROFILE_FIELDS} | {"marketing_consent": m.marketing_consent}


def update_profile(hq, member_id: uuid.UUID, fields: dict[str, Any]) -> dict[str, Any]:
    """Set the fields the member filled; the profile bonus when the required ones are all
    there and the person never had it (one transaction)."""
    from pos.clock import Clock
    from pos.loyalty import expiry as expiry_rules
    from pos.services import members as pos_members

    from .expiry import active_program

    clock, now = Clock(TZ), now_utc()
    clean = pos_members.validate_profile(fields, clock.local(now).date())
    clean.pop("channel", None)
    with hq.transaction() as s:
        log_hq_ledger_rows(s)
        m = s.get(Member, member_id, with_for_update=True)
        if m is None or m.status != "active":
            raise DomainError("member.not_found", query="-")
        for key, value in clean.items():
            if key == "marketing_consent" and bool(value) == bool(m.marketing_consent):
                continue
            members._set_profile(m, key, value, now)
        m.updated_at = now
        changes.record(s, "member", m.id)
        doc = active_program(s)
        ms, awarded = doc.membership, 0
        complete = all(getattr(m, f, None) not in (None, "") for f in ms.profile_fields_required)
        if complete and ms.profile_completion_points:
            lock_balances(s, [m.id])
            if not _given(s, m.id, member_bonuses.PROFILE):
                ledger.credit(s, m.id, "bonus", ms.profile_completion_points, now=now,
                              expires_at=expiry_rules.lot_expiry(doc, now, clock), store_code=HQ_STORE,
                              reason=member_bonuses.PROFILE, program_version=doc.version,
                              **alliance.ledger_fields(s, m.joined_store))  # the home merchant's (issue 17)
                awarded = ms.profile_completion_points
        changes.flush(s)
    return {"complete": complete, "points": awarded}


# --- my data: export, erase -------------------------------------------------------------------

def _iso(v):
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, uuid.UUID):
        return str(v)
    return v


def export(hq, member_id: uuid.UUID) -> dict[str, Any]:
    """Everything HQ holds about the person, one JSON document (SPEC §12)."""
    with hq.read() as s:
        m = s.get(Member, member_id)
        ids = [member_id] + list(s.scalars(select(Member.id).where(Member.merged_into == member_id)))
        row = {c.key: _iso(getattr(m, c.key)) for c in Member.__table__.columns if c.key not in ("field_times", "code_secret")}
        cards = [{"card_no": c.card_no, "kind": c.kind, "status": c.status, "issued_at": _iso(c.issued_at)}
                 for c in s.scalars(select(MemberCard).where(MemberCard.member_id.in_(ids)))]
        pts = [{"at": _iso(e.created_at), "kind": e.kind, "points": e.points, "store": e.store_code, "reason": e.reason,
                "expires_at": _iso(e.expires_at)}
               for e in s.scalars(select(PointsEntry).where(PointsEntry.member_id.in_(ids)).order_by(PointsEntry.created_at))]
        sv = [{"at": _iso(e.created_at), "kind": e.kind, "amount_fen": e.amount_fen, "store": e.store_code}
              for e in s.scalars(select(StoredValueEntry).where(StoredValueEntry.member_id.in_(ids))
                                 .order_by(StoredValueEntry.created_at))]
        sales = [{"at": _iso(x.created_at), "store": x.store_code, "kind": x.kind, "receipt_no": x.receipt_no,
                  "net_fen": x.net_fen, "points_earned": x.points_earned, "lines": (x.document or {}).get("lines")}
                 for x in s.scalars(select(Sale).where(Sale.member_id.in_(ids)).order_by(Sale.created_at))]
        coupons = [{"code": c.code, "template": c.template, "source": c.source, "valid_to": _iso(c.valid_to),
                    "voided_at": _iso(c.voided_at)}
                   for c in s.scalars(select(Coupon).where(Coupon.member_id.in_(ids)))]
        return {"exported_at": _iso(now_utc()), "member": row, "cards": cards, "points": pts,
                "stored_value": sv, "sales": sales, "coupons": coupons,
                "balances": {"points": ledger.points_balance(s, member_id),
                             "stored_value_fen": ledger.sv_balance(s, member_id)}}


def erase(hq, member_id: uuid.UUID) -> None:
    """The member's own erase request, carried out at once by the tills' erase flow at HQ
    (members.h_member_erased: personal fields, phone, cards, tags, notes go; the row stays
    anonymous for the ledgers and sales; every till gets it by pull), audited."""
    from .notify import phone_hash

    now = now_utc()
    with hq.transaction() as s:
        m = s.get(Member, member_id, with_for_update=True)
        if m is None or m.status != "active":
            return
        ph = phone_hash(hq, m.phone) if m.phone else None
        c = Ctx(s=s, store=HQ_STORE, now=now, event_id=uuid.uuid4(), created_at=now, test_clock=False)
        members.h_member_erased(c, {"member_id": str(member_id)})
        if ph:  # the codes and messages sent to the number go too
            s.execute(delete(OneTimeCode).where(OneTimeCode.phone_hash == ph))
            s.execute(delete(Notification).where(Notification.phone_hash == ph))
        s.add(AuditEntry(id=uuid7(), at=now, store_code=HQ_STORE, actor="member", action="member.erase",
                         member_id=member_id, detail={"via": "member page"}))
        changes.flush(s)
