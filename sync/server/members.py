"""Members at HQ: registration (one member per phone), profile, cards, tags, notes,
tiers, and merging — the fields by `pos.rules.merge`, the ledger by
`pos.loyalty.ledger.move_balance`, the very rules a till merges with.

Registration has one row builder (`member_row`) for both ways in: a batch's new
members whose phone and cards nobody holds yet go in a few statements
(`register_many`); the others (a phone HQ knows: the later registration folds
into the master) go one by one (`h_member_registered`)."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pos.loyalty import ledger
from pos.rules import merge as merge_rules
from pos.rules import phones
from pos.services import members as pos_members

from . import alliance, changes
from .common import (
    UNKNOWN_MEMBER, Ctx, Reject, as_date, as_time, as_uuid, copy_rows, e164, lock_balances, reason, resolve,
)
from .models import HQ_STORE, Member, MemberCard, MemberNote

PROFILE_FIELDS = pos_members.PROFILE_FIELDS  # name, gender, birthday, region, address, ...
TIER_ORDER = pos_members.DEFAULT_TIER_ORDER
_MERGED_COLS = ("marketing_consent", "consent_at", "tier_code", "tier_since", "tier_expires", "joined_at")


# --- merging ---------------------------------------------------------------------------------

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
    fm = merge_rules.merge_fields(
        {f: getattr(keep, f) for f in (*PROFILE_FIELDS, *_MERGED_COLS)},
        {f: getattr(other, f) for f in (*PROFILE_FIELDS, *_MERGED_COLS)}, PROFILE_FIELDS,
        keep_tags=[t["tag"] for t in keep.tags or []], other_tags=[t["tag"] for t in other.tags or []],
        tier_order=TIER_ORDER)
    keep.tags = list(keep.tags or []) + [t for t in other.tags or [] if t["tag"] in fm.tags]
    for f, v in fm.values.items():
        setattr(keep, f, v)
    phone = other.phone
    other.phone, other.phone_last4 = None, None
    other.status, other.merged_into, other.updated_at = "merged", keep.id, c.now
    s.flush()
    if merge_rules.takes_phone(keep.phone is not None, bool(phone)):
        keep.phone, keep.phone_last4 = phone, phones.last4(phone)
    keep.updated_at = c.now
    if move_ledger:
        forward_balance(c, other, keep, reason=f"merge {other.member_code} -> {keep.member_code} ({actor})")
    changes.record(s, "member", other.id)
    changes.record(s, "member", keep.id)


def forward_balance(c: Ctx, other: Member, keep: Member, reason: str) -> None:
    """Move what `other` still holds to `keep`: HQ entries (store HQ) that flow down to every till."""
    lock_balances(c.s, [keep.id, other.id])
    from .alliance import several

    ledger.move_balance(c.s, other.id, keep.id, now=c.now, store_code=HQ_STORE, reason=reason,
                        by_merchant=several(c.s))  # each merchant's points stay that merchant's (issue 17)


# --- registration ------------------------------------------------------------------------------

def member_row(p: dict, store: str, now: dt.datetime, test_clock: bool) -> dict[str, Any]:
    """The `members` row a `member.registered` payload makes (phone checked)."""
    phone = e164(p.get("phone"))
    row = {"id": as_uuid(p["id"]), "member_code": str(p["member_code"]), "phone": phone,
           "phone_last4": phones.last4(phone) if phone else None, "channel": p.get("channel") or "store",
           "marketing_consent": bool(p.get("marketing_consent")), "consent_at": None,
           "tier_code": p.get("tier") or "member", "tier_since": as_time(p.get("joined_at")),
           "tier_expires": None, "joined_at": as_time(p["joined_at"]),
           "joined_store": p.get("joined_store") or store, "referrer_id": as_uuid(p.get("referrer_id")),
           "status": "active", "merged_into": None,
           "tags": [{"tag": str(t), "source": "manual"} for t in p.get("tags") or []], "field_times": {},
           "created_at": now, "updated_at": now, "test_clock": test_clock}
    for f in PROFILE_FIELDS:
        row[f] = (as_date(p[f]) if f == "birthday" else p[f]) if p.get(f) not in (None, "") else None
    return row


def h_member_registered(c: Ctx, p: dict) -> None:
    s = c.s
    row = member_row(p, c.store, c.now, c.test_clock)
    if s.get(Member, row["id"]) is not None:
        return  # known already (e.g. echoed by another path): nothing to do
    holder = s.scalar(select(Member).where(Member.phone == row["phone"])) if row["phone"] else None
    if row["referrer_id"] and resolve(s, row["referrer_id"]) is None:
        raise Reject(f"referrer_id {UNKNOWN_MEMBER}")
    if holder is not None:  # the number stays the master's
        row["phone"] = row["phone_last4"] = None
    m = Member(**row)
    s.add(m)
    s.flush()
    lock_balances(s, [m.id])
    for card_no in p.get("cards") or []:
        issue_card(c, m.id, str(card_no), "magstripe")
    changes.record(s, "member", m.id)
    if holder is not None:  # one member per phone: the later registration folds into the master
        keep = resolve(s, holder.id)
        merge_members(c, keep, m, move_ledger=True, actor=f"hq:phone:{c.store}")


def register_many(s: Session, store: str, now: dt.datetime, events, ctx: dict, rejected: dict) -> set:
    """New members whose phone and cards nobody holds yet, in a few statements; the
    others (a phone known at HQ: a merge; a card taken) go the one-by-one way.
    Returns the event ids of those."""
    if not events:
        return set()
    slow: set = set()
    recs, cards, by_id = [], [], {}
    for ev in events:
        try:
            r = member_row(ev.payload, store, now, ev.test_clock)
        except (Reject, KeyError, ValueError, TypeError) as exc:
            rejected[ev.event_id] = reason(exc)
            continue
        by_id[r["id"]] = (ev, r, [str(c) for c in ev.payload.get("cards") or []])
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
        copy_rows(s, Member.__table__, recs)
        lock_balances(s, [r["id"] for r in recs])
        changes.record_many(s, "member", [r["id"] for r in recs])
    if cards:
        s.execute(MemberCard.__table__.insert(), cards)
        changes.record_many(s, "card", [c["card_no"] for c in cards])
    return slow


# --- profile, merge replayed, cards, tags, notes, tiers ------------------------------------------

def _set_profile(m: Member, key: str, value: Any, now: dt.datetime) -> None:
    if key == "birthday":
        value = as_date(value)
    if key == "marketing_consent":
        value = bool(value)
        m.consent_at = now if value else None
    setattr(m, key, value)
    times = dict(m.field_times or {})
    times[key] = now.isoformat()
    m.field_times = times


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
    keep, other = resolve(s, p["survivor_id"]), s.get(Member, as_uuid(p["merged_id"]))
    if keep is None or other is None:
        c.exception("unknown_member", p.get("merged_id"), event="member.merged")
        return
    if other.status == "merged":
        return
    # the till posted its own merge_out / merge_in entries; they arrive as ledger rows
    merge_members(c, keep, other, move_ledger=False, actor=str(p.get("actor") or c.store))
    from . import member_rewards  # one person now: an award both records had is kept once

    member_rewards.settle(s, c.now, [keep.id], lambda mid, **d: c.exception("reward_twice", mid, **d))


def h_member_erased(c: Ctx, p: dict) -> None:
    """A member's data erased at their request (pos.services.privacy): HQ keeps the
    record, anonymous, for the ledgers and sales that point at it; every till gets
    the anonymous row by pull and clears its own copies of cards, tags and notes."""
    s = c.s
    m = s.get(Member, as_uuid(p["member_id"]))
    if m is None:
        c.exception("unknown_member", p["member_id"], event="member.erased")
        return
    if m.status == "erased":
        return
    for f in PROFILE_FIELDS:
        setattr(m, f, None)
    m.phone = m.phone_last4 = None
    m.marketing_consent, m.consent_at, m.tags = False, None, []
    m.code_secret = None  # no member code any more (pos.rules.dynamic_code); the tills' copies go with the row
    m.status, m.updated_at = "erased", c.now
    for card in s.scalars(select(MemberCard).where(MemberCard.member_id == m.id)):
        s.delete(card)
    for note in s.scalars(select(MemberNote).where(MemberNote.member_id == m.id)):
        s.delete(note)
    changes.record(s, "member", m.id)


def issue_card(c: Ctx, member_id: uuid.UUID, card_no: str, kind: str) -> None:
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
    issue_card(c, m.id, str(p["card_no"]), str(p.get("kind") or "magstripe"))


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
    nid = as_uuid(p["id"])
    if s.get(MemberNote, nid) is not None:
        return
    m = resolve(s, p["member_id"])
    if m is None:  # served to every till, a note must belong to a member they can have
        raise Reject(UNKNOWN_MEMBER)
    s.add(MemberNote(id=nid, member_id=m.id, kind=str(p.get("kind") or "note"),
                     text=str(p["text"])[:2000], actor=p.get("actor"), store_code=c.store, created_at=c.created_at))
    changes.record(s, "note", nid, c.store)


def h_member_tier(c: Ctx, p: dict) -> None:
    m = c.s.get(Member, as_uuid(p["member_id"]))
    if m is None:
        c.exception("unknown_member", p["member_id"], event="member.tier")
        return
    merchant = alliance.merchant_of_store(c.s, c.store) if alliance.several(c.s) else alliance.MAIN
    if merchant != alliance.MAIN:  # issue 17: the tier of this store's merchant, its own relationship
        alliance.set_tier(c.s, m.id, merchant, str(p["to"]), as_time(p.get("at")) or c.created_at,
                          as_date(p.get("expires")), store=c.store)
        m.updated_at = c.now
        changes.record(c.s, "member", m.id)
        return
    m.tier_code, m.tier_since = str(p["to"]), as_time(p.get("at")) or c.created_at
    m.tier_expires, m.updated_at = as_date(p.get("expires")), c.now
    changes.record(c.s, "member", m.id)


# --- joining at HQ ---------------------------------------------------------------------------------

def register(hq, phone: str, *, phone_region: str = "CN", channel: str = "qr", tz: str = "Asia/Shanghai",
             now: dt.datetime | None = None, store: str | None = None, audit: dict | None = None,
             **profile: Any) -> dict[str, Any]:
    """A member who joins at HQ (the member pages' join by QR: `store` is the QR's store), with the
    program's sign-up rewards exactly once (pos.services.member_bonuses): HQ posts the
    `sign-up bonus` lot (store HQ) and issues the `issuance.signup` coupons — and the
    profile-completion bonus when the form had every required field. The member, the
    entries and the coupons reach every till by pull, which applies them and awards
    nothing again (a till awards only what happens at the till)."""
    from pos.clock import Clock
    from pos.errors import DomainError
    from pos.ids import uuid7
    from pos.loyalty import coupons as coupon_rules
    from pos.loyalty import expiry as expiry_rules
    from pos.services import member_bonuses

    from .common import log_hq_ledger_rows, now_utc
    from .expiry import active_program
    from .models import Coupon

    clock = Clock(tz)
    now = now or now_utc()
    e164 = phones.normalize(phone, phone_region)
    fields = pos_members.validate_profile(profile, clock.local(now).date())
    consent = bool(fields.pop("marketing_consent", False))
    fields.pop("channel", None)
    with hq.transaction() as s:
        log_hq_ledger_rows(s)  # the bonus lot goes to the change log for the tills
        holder = s.scalar(select(Member).where(Member.phone == e164))
        if holder is not None:
            raise DomainError("member.duplicate_phone", member=holder.member_code, masked=phones.mask(e164))
        doc = active_program(s)
        m = Member(id=uuid7(), member_code=pos_members.new_member_code(), phone=e164, phone_last4=phones.last4(e164),
                   channel=channel, marketing_consent=consent, consent_at=now if consent else None,
                   tier_code=doc.tiers.levels[0].code, tier_since=now, joined_at=now, joined_store=store or HQ_STORE,
                   status="active", tags=[], field_times={}, created_at=now, updated_at=now, test_clock=False,
                   **fields)
        s.add(m)
        s.flush()
        lock_balances(s, [m.id])
        ms, awarded, codes = doc.membership, 0, []
        lots = [(ms.signup_points, member_bonuses.SIGNUP)]
        if ms.profile_completion_points and all(getattr(m, f, None) not in (None, "") for f in ms.profile_fields_required):
            lots.append((ms.profile_completion_points, member_bonuses.PROFILE))
        for points, why in lots:
            if points:
                ledger.credit(s, m.id, "bonus", points, now=now, expires_at=expiry_rules.lot_expiry(doc, now, clock),
                              store_code=HQ_STORE, reason=why, program_version=doc.version,
                              **alliance.ledger_fields(s, store))  # the joining store's merchant's (issue 17)
                awarded += points
        for code in doc.issuance.signup:
            t = doc.template(code)
            c = Coupon(id=uuid7(), code=coupon_rules.new_code(), template=code, member_id=m.id, valid_from=now,
                       valid_to=clock.start_of_day(clock.local(now).date() + dt.timedelta(days=t.validity_days)),
                       source="signup", issued_at=now, issued_store=HQ_STORE, test_clock=False)
            s.add(c)
            changes.record(s, "coupon", c.code)
            codes.append(c.code)
        if audit:  # the member pages: who joined, the terms and consent they accepted
            from .models import AuditEntry

            s.add(AuditEntry(id=uuid7(), at=now, store_code=store or HQ_STORE, actor=audit["actor"],
                             action=audit["action"], member_id=m.id, detail=audit.get("detail")))
        changes.record(s, "member", m.id)
        changes.flush(s)
        return {"id": str(m.id), "member_code": m.member_code, "phone_masked": phones.mask(e164),
                "rewards": {"points": awarded, "coupons": codes}}
