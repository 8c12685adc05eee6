"""The alliance at HQ (issue 17): merchants, the alliance's shared rules, which merchant a
store belongs to, and what a merchant may see of a member.

An HQ hosts an alliance of merchants — each with its own stores and its own loyalty program
versions — of which a single chain is the one-merchant case (`main`; an HQ from before
migrates to it unchanged, hq0013). A person is one alliance member (the phone is the key)
with one card valid at every merchant.

Who sees a member's personal fields (name, gender, birthday, region, address, occupation,
income band, preferences): the merchants the member consented to. Joining at a merchant —
at its till, or on the join page of its store's QR — is consent to that merchant (the
member's registration there, even one HQ folded into the master by phone, says so); the
member's recorded choice per merchant (`hq member consent PHONE --merchant M on|off`,
`member_merchants`) decides over that. Another merchant's tills receive the member with
the card, the member code and the shared balances, the personal fields empty.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Any, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pos.errors import DomainError
from pos.rules import limits, phones
from pos.rules import program as pos_program

from . import changes
from .alliance_models import MAIN, HQAllianceProgram, MemberMerchant, Merchant
from .common import now_utc
from .models import Member, Program, Store

MERCHANT_CODE = r"^[a-z0-9][a-z0-9_\-]{0,15}$"
PERSONAL = ("name", "gender", "birthday", "region", "address", "occupation", "income_band", "preferences")


def _error(message: str, code: str = "bad_request", status: int = 400):
    from .admin import AdminError

    return AdminError(message, code, status)


# --- merchants --------------------------------------------------------------------------------

def check_merchant(s: Session, code: str | None, store: Store | None = None) -> str:
    """The merchant code a store or program is for (default `main`); it must exist, and a
    store stays with its merchant."""
    if code is None:
        return store.merchant_code if store is not None else MAIN
    code = code.strip().lower()
    if s.get(Merchant, code) is None:
        raise _error(f"no merchant {code!r} at HQ (hq merchant add {code} --name NAME)", "merchant.not_found", 404)
    if store is not None and store.merchant_code != code:
        raise _error(f"store {store.code} belongs to merchant {store.merchant_code}, not {code}", "store.merchant")
    return code


def merchant_add(hq, code: str, name: str) -> dict[str, Any]:
    code = (code or "").strip().lower()
    if not re.match(MERCHANT_CODE, code):
        raise _error(f"merchant code must be 1-16 of a-z, 0-9, '-', '_' (starting with a letter or digit), got {code!r}")
    try:
        name = limits.check_text(name or "", "merchant_name", 64, required=True)
    except DomainError as exc:
        raise _error(exc.message("en"), exc.code) from None
    with hq.transaction() as s:
        m = s.get(Merchant, code)
        if m is not None:
            if m.name == name:
                return {"merchant": code, "name": name, "created": False}
            raise _error(f"merchant {code} exists (named {m.name!r})", "merchant.exists")
        s.add(Merchant(code=code, name=name, created_at=now_utc()))
        return {"merchant": code, "name": name, "created": True}


def merchant_list(hq) -> list[dict[str, Any]]:
    with hq.read() as s:
        stores = s.execute(select(Store.merchant_code, Store.code).order_by(Store.code)).all()
        active = dict(s.execute(select(Program.merchant_code, Program.version).where(Program.active.is_(True))).all())
        out = []
        for m in s.scalars(select(Merchant).order_by(Merchant.code)):
            out.append({"merchant": m.code, "name": m.name, "stores": [c for mc, c in stores if mc == m.code],
                        "program": active.get(m.code)})
        return out


def merchants_of_stores(s: Session) -> dict[str, str]:
    return dict(s.execute(select(Store.code, Store.merchant_code)).all())


def merchant_of_store(s: Session, store: str | None) -> str:
    if not store or store == "HQ":
        return MAIN
    got = s.scalar(select(Store.merchant_code).where(Store.code == store))
    return got or MAIN


def merchant_count(s: Session) -> int:
    return int(s.scalar(select(func.count()).select_from(Merchant)) or 0)


def several(s: Session) -> bool:
    """Does this HQ host several merchants (once per transaction: asked on every ledger write)?"""
    got = s.info.get("several_merchants")
    if got is None:
        got = s.info["several_merchants"] = merchant_count(s) > 1
    return got


def ledger_scope(s: Session, store: str | None = None, merchant: str | None = None) -> str | None:
    """Whose points and stored value an HQ action on a member works in (issue 17): None while
    the alliance is one merchant (every row, as before); else that of `merchant`, or of the
    merchant of `store` (`pos.loyalty.ledger.scoped`)."""
    if not several(s):
        return None
    return merchant or merchant_of_store(s, store)


def stamp(scope: str | None) -> str | None:
    """The `merchant_code` a ledger row of `scope` carries (`main`'s rows leave it NULL)."""
    return None if scope in (None, MAIN) else scope


def ledger_fields(s: Session, store: str | None = None, merchant: str | None = None) -> dict[str, Any]:
    """The keyword arguments of an HQ credit or debit (`pos.loyalty.ledger`) made for the
    merchant of `store` (or `merchant`): its scope and stamp; none for a one-merchant HQ."""
    scope = ledger_scope(s, store, merchant)
    return {} if scope is None else {"scope": scope, "merchant_code": stamp(scope)}


def home_merchant(s: Session, member) -> str:
    """The merchant a member joined the alliance at (the store they registered at; HQ's own
    joins and imports are `main`'s)."""
    return merchant_of_store(s, member.joined_store)


# --- the alliance's rules and each merchant's rate -----------------------------------------------

def active_alliance(s: Session) -> pos_program.AllianceProgramDoc | None:
    row = s.scalar(select(HQAllianceProgram).where(HQAllianceProgram.active.is_(True))
                   .order_by(HQAllianceProgram.published_at.desc()).limit(1))
    return pos_program.parse_alliance(row.document) if row is not None else None


def check_rate(s: Session, doc: pos_program.ProgramDoc) -> None:
    """A merchant sets its coin rate within the alliance's rules."""
    if doc.coins is None or not doc.coin_rate:
        return
    rules = active_alliance(s)
    if rules is None:
        raise _error("coins.earn_per_yuan needs the alliance's rules first (hq alliance program publish FILE)",
                     "alliance.no_program")
    if doc.coin_rate > rules.coins.earn_per_yuan_max:
        raise _error(f"coins.earn_per_yuan {doc.coin_rate} is above the alliance's earn_per_yuan_max "
                     f"{rules.coins.earn_per_yuan_max} (alliance program {rules.version})", "alliance.rate")


def alliance_program_publish(hq, path: str, *, activate: bool = True) -> dict[str, Any]:
    try:
        doc = pos_program.load_alliance_file(path)
    except DomainError as exc:
        raise _error(exc.message("en"), exc.code) from None
    body = pos_program.alliance_json(doc)
    with hq.transaction() as s:
        row = s.get(HQAllianceProgram, doc.version)
        if row is not None and row.document != body:
            raise _error(f"alliance version {doc.version} is already published with other content; give it a new version",
                         "program.version_taken")
        if row is None:
            row = HQAllianceProgram(version=doc.version, document=body, published_at=now_utc(), active=False)
            s.add(row)
            s.flush()
        if activate:
            for other in s.scalars(select(HQAllianceProgram).where(HQAllianceProgram.active.is_(True),
                                                                  HQAllianceProgram.version != doc.version)):
                other.active = False
                changes.record(s, "alliance_program", other.version)
            row.active = True
        changes.record(s, "alliance_program", doc.version)
        changes.flush(s)
    return {"ok": True, "version": doc.version, "active": activate, "coins": body["coins"],
            "settlement": body["settlement"]}


# --- consent: what a merchant sees of a member ---------------------------------------------------

def consent_set(hq, phone: str, merchant: str, on: bool, region: str = "CN") -> dict[str, Any]:
    """The member's recorded choice that `merchant` sees their personal fields; the member's
    row goes to every till again (a merchant's tills get the fields, or lose them)."""
    try:
        e164 = phones.normalize(phone, region)
    except DomainError as exc:
        raise _error(exc.message("en"), exc.code) from None
    now = now_utc()
    with hq.transaction() as s:
        merchant = check_merchant(s, merchant)
        m = s.scalar(select(Member).where(Member.phone == e164))
        if m is None:
            raise _error(f"no member with phone {phones.mask(e164)} at HQ", "member.not_found", 404)
        rel = s.get(MemberMerchant, (m.id, merchant))
        if rel is None:
            rel = MemberMerchant(member_id=m.id, merchant_code=merchant, joined_at=now, joined_store=None)
            s.add(rel)
        rel.consent, rel.consent_at = on, now
        changes.record(s, "member", m.id)
        changes.flush(s)
        return {"member_code": m.member_code, "phone_masked": phones.mask(e164), "merchant": merchant, "consent": on}


def consenting(s: Session, member_ids: Iterable[uuid.UUID], merchant: str) -> set[uuid.UUID]:
    """Which of these members `merchant` may see the personal fields of (see the module)."""
    ids = list(set(member_ids))
    if not ids:
        return set()
    store_merchant = merchants_of_stores(s)
    joined: dict[uuid.UUID, set[str]] = {}
    for i in range(0, len(ids), 900):
        chunk = ids[i:i + 900]
        for mid, store in s.execute(select(Member.id, Member.joined_store).where(Member.id.in_(chunk))):
            joined.setdefault(mid, set()).add(store_merchant.get(store or "", MAIN))
        for into, store in s.execute(select(Member.merged_into, Member.joined_store)
                                     .where(Member.merged_into.in_(chunk))):  # a registration folded into the master
            joined.setdefault(into, set()).add(store_merchant.get(store or "", MAIN))
    chosen: dict[uuid.UUID, bool] = {}
    for i in range(0, len(ids), 900):
        chunk = ids[i:i + 900]
        chosen.update(dict(s.execute(select(MemberMerchant.member_id, MemberMerchant.consent).where(
            MemberMerchant.member_id.in_(chunk), MemberMerchant.merchant_code == merchant)).all()))
    return {mid for mid in ids if chosen.get(mid, merchant in joined.get(mid, ()))}


def redact_members(s: Session, store_code: str, states: dict[tuple[str, str], str]) -> None:
    """A pull page's member rows as the store's merchant may see them (in place): the
    personal fields only with consent, the merchant's own tier, the home merchant. A
    one-merchant alliance sees everything, as before."""
    keys = [k for k in states if k[0] == "member"]
    if not keys or merchant_count(s) <= 1:
        return
    merchant = merchant_of_store(s, store_code)
    ids = [uuid.UUID(k[1]) for k in keys]
    ok = consenting(s, ids, merchant)
    views = member_views(s, merchant, ids)
    for k, mid in zip(keys, ids):
        d = json.loads(states[k])
        if mid not in ok:
            for f in PERSONAL:
                d[f] = None
            d["marketing_consent"] = False
        v = views[mid]
        d.update(tier_code=v["tier_code"], tier_since=changes._plain(v["tier_since"]),
                 tier_expires=changes._plain(v["tier_expires"]), home_merchant=v["home_merchant"])
        states[k] = json.dumps(d, ensure_ascii=False, separators=(",", ":"))


# --- each merchant's own relationship: tier, points, history ---------------------------------------

def tier_levels(s: Session, merchant: str) -> list[str]:
    """The tier codes of the merchant's active program, lowest first (cached per transaction)."""
    cache = s.info.setdefault("tier_levels", {})
    if merchant not in cache:
        doc = s.scalar(select(Program.document).where(Program.active.is_(True), Program.merchant_code == merchant)
                       .order_by(Program.published_at.desc()).limit(1))
        cache[merchant] = [str(lv.get("code")) for lv in ((doc or {}).get("tiers") or {}).get("levels") or []]
    return cache[merchant]


def set_tier(s: Session, member_id: uuid.UUID, merchant: str, tier: str, since, expires, store: str | None) -> None:
    """A merchant's own tier for the member (its tills decide it; `main`'s stays on the member row)."""
    rel = s.get(MemberMerchant, (member_id, merchant))
    if rel is None:  # the consent stays what it was (a recorded row decides over joining there)
        rel = MemberMerchant(member_id=member_id, merchant_code=merchant, joined_at=since or now_utc(),
                             joined_store=store, consent=member_id in consenting(s, [member_id], merchant))
        s.add(rel)
    rel.tier_code, rel.tier_since, rel.tier_expires = tier, since, expires


def member_views(s: Session, merchant: str, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """What of each member is the merchant's own: its tier (the relationship's; `main`'s on
    the member row; none yet: the merchant's first level — a code the merchant's program
    does not know also falls back to it) and the member's home merchant."""
    levels = tier_levels(s, merchant)
    base = levels[0] if levels else None
    owners = merchants_of_stores(s)
    rows: dict[uuid.UUID, tuple] = {}
    rels: dict[uuid.UUID, tuple] = {}
    for i in range(0, len(ids), 900):
        chunk = ids[i:i + 900]
        rows.update({r[0]: r[1:] for r in s.execute(select(
            Member.id, Member.tier_code, Member.tier_since, Member.tier_expires, Member.joined_store)
            .where(Member.id.in_(chunk)))})
        rels.update({r[0]: r[1:] for r in s.execute(select(
            MemberMerchant.member_id, MemberMerchant.tier_code, MemberMerchant.tier_since, MemberMerchant.tier_expires)
            .where(MemberMerchant.member_id.in_(chunk), MemberMerchant.merchant_code == merchant))})
    out = {}
    for mid in ids:
        tier, since, expires, joined_store = rows.get(mid, (None, None, None, None))
        rel = rels.get(mid)
        if merchant != MAIN:
            tier, since, expires = rel if rel is not None and rel[0] else (None, None, None)
        if base is not None and tier not in levels:
            tier, since, expires = base, None, None
        out[mid] = {"tier_code": tier or base or "member", "tier_since": since, "tier_expires": expires,
                    "home_merchant": owners.get(joined_store or "", MAIN)}
    return out


def relationships(hq, phone: str, region: str = "CN") -> list[dict[str, Any]]:
    """A member's relationship with each merchant: joined there or not, consent, coins
    issued and redeemed there (`hq member show` adds it)."""
    e164 = phones.normalize(phone, region)
    with hq.read() as s:
        m = s.scalar(select(Member).where(Member.phone == e164))
        if m is None:
            return []
        out = []
        for mc in s.scalars(select(Merchant).order_by(Merchant.code)):
            rel = s.get(MemberMerchant, (m.id, mc.code))
            out.append({"merchant": mc.code, "consent": m.id in consenting(s, [m.id], mc.code),
                        "recorded": rel is not None, "consent_at": rel.consent_at.isoformat()
                        if rel is not None and rel.consent_at else None})
        return out


def local_day_bounds(day_from: dt.date, day_to: dt.date, tz: str) -> tuple[dt.datetime, dt.datetime]:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz)
    start = dt.datetime.combine(day_from, dt.time(0), zone).astimezone(dt.timezone.utc)
    end = dt.datetime.combine(day_to + dt.timedelta(days=1), dt.time(0), zone).astimezone(dt.timezone.utc)
    return start, end


def coins_expire(hq, day: dt.date, tz: str = "Asia/Shanghai") -> dict[str, Any]:
    """Coin lots past their expiry at the start of `day` (the alliance's `coins.expiry_days`
    from their earning) lose what remains, one `expire` entry per lot (store HQ, the lot's
    issuer); idempotent; the entries go down to every till."""
    from pos.loyalty import coins as coin_ledger

    from .alliance_models import CoinEntry

    at, _ = local_day_bounds(day, day, tz)
    lots = members = coins = 0
    with hq.transaction() as s:
        due = sorted(set(s.scalars(select(CoinEntry.member_id).where(CoinEntry.kind == "earn",
                                                                   CoinEntry.expires_at <= at))))
        for mid in due:
            hit = False
            for lot in coin_ledger.lots(s, mid):
                if lot.expires_at is None or lot.expires_at > at or lot.remaining <= 0:
                    continue
                lot_row = s.get(CoinEntry, lot.id)
                e = coin_ledger.expire_lot(s, mid, lot, now=at, store="HQ", version=lot_row.alliance_version,
                                           value_per_coin=lot_row.value_fen // lot_row.coins)
                changes.record(s, "coin_entry", e.id)
                from .alliance_models import CoinAllocation

                changes.record_many(s, "coin_allocation", s.scalars(select(CoinAllocation.id)
                                                                    .where(CoinAllocation.debit_id == e.id)))
                lots, coins, hit = lots + 1, coins + lot.remaining, True
            members += hit
        changes.flush(s)
    return {"day": day.isoformat(), "members": members, "lots": lots, "coins": coins}


def member_coins(hq, phone: str, region: str = "CN") -> dict[str, Any]:
    """A member's shared coin balance at HQ and what remains of each issuer's lots."""
    from pos.loyalty import coins as coin_ledger

    e164 = phones.normalize(phone, region)
    with hq.read() as s:
        m = s.scalar(select(Member).where(Member.phone == e164))
        if m is None:
            raise _error(f"no member with phone {phones.mask(e164)} at HQ", "member.not_found", 404)
        by_issuer: dict[str, int] = {}
        for lot in coin_ledger.lots(s, m.id):
            if lot.remaining > 0:
                by_issuer[lot.merchant or MAIN] = by_issuer.get(lot.merchant or MAIN, 0) + lot.remaining
        return {"member_code": m.member_code, "phone_masked": phones.mask(e164),
                "coins": coin_ledger.balance(s, m.id), "spendable": coin_ledger.spendable(s, m.id, now_utc()),
                "lots_by_issuer": dict(sorted(by_issuer.items()))}


def coupon_issue(hq, phone: str, template: str, funded_by: str, *, days: int = 30, region: str = "CN") -> dict[str, Any]:
    """An alliance coupon for one member (issue 17 item 4): a coupon of `template`, paid for by
    `funded_by` (a merchant, or ALLIANCE for the operator), taken at every merchant whose active
    program has the template — a merchant's coupon offered to the alliance members of another.
    Its use records the store (the redeemer); settlement makes the funder pay the redeemer."""
    from pos.loyalty import coupons as coupon_rules

    from .alliance_models import ALLIANCE
    from .models import Coupon

    if not 1 <= days <= 3660:
        raise _error("--days must be 1 to 3660")
    e164 = phones.normalize(phone, region)
    now = now_utc()
    with hq.transaction() as s:
        funder = ALLIANCE if funded_by.strip().upper() == ALLIANCE else check_merchant(s, funded_by)
        m = s.scalar(select(Member).where(Member.phone == e164))
        if m is None:
            raise _error(f"no member with phone {phones.mask(e164)} at HQ", "member.not_found", 404)
        takers = sorted(mc for mc, doc in s.execute(select(Program.merchant_code, Program.document)
                                                     .where(Program.active.is_(True)))
                        if any(t.get("code") == template for t in doc.get("coupon_templates") or []))
        if not takers:
            raise _error(f"no merchant's active program has coupon template {template!r}", "coupon.template")
        c = Coupon(id=uuid.uuid4(), code=coupon_rules.new_code(), template=template, member_id=m.id, valid_from=now,
                   valid_to=now + dt.timedelta(days=days), source="alliance", issued_at=now, issued_store="HQ",
                   test_clock=False, funded_by=funder)
        s.add(c)
        changes.record(s, "coupon", c.code)
        changes.flush(s)
        return {"code": c.code, "template": template, "member_code": m.member_code, "phone_masked": phones.mask(e164),
                "funded_by": funder, "valid_to": c.valid_to.isoformat(), "merchants": takers}
