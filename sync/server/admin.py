"""HQ administration: stores and enrolment, program publishing, catalog import,
exceptions, the member master. Used by `python main.py hq ...` and the API."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from pos.services import catalog as pos_catalog
from pos.rules import limits, phones
from pos.rules import program as pos_program
from pos.rules.barcodes import Nomenclature
from pos.errors import DomainError

from ..protocol import STORE_CODE
from . import changes
from .common import now_utc
from .models import (
    Coupon, CouponUse, Member, MemberBalance, MemberCard, PointsEntry, Product, Program, Sale, Store, StoreToken,
    StoredValueEntry,
    SyncException,
)

ENROL_DAYS = 7
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class AdminError(Exception):
    """A refusal with a clear sentence (exit 2 on the CLI, 4xx on the API)."""

    def __init__(self, message: str, code: str = "bad_request", status: int = 400):
        super().__init__(message)
        self.code, self.status = code, status


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _enrol_code() -> str:
    raw = "".join(secrets.choice(_CROCKFORD) for _ in range(16))
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def _norm_code(code: str) -> str:
    return code.strip().upper().replace("-", "").replace(" ", "")


def store_add(hq, code: str, name: str, *, new_code: bool = False, merchant: str | None = None) -> dict[str, Any]:
    """Create a store (or, with new_code, issue another one-time code to enrol one more till).
    `merchant`: the alliance merchant it belongs to (issue 17; default `main`, the chain's)."""
    code = code.strip().upper()
    if not re.match(STORE_CODE, code) or code == "HQ":
        raise AdminError(f"store code must be 1-16 of A-Z, 0-9, '-', '_' (not HQ), got {code!r}")
    try:  # HQ stores only what it can serve back (pos/rules/limits.py): no NUL, no silent cut at 64
        name = limits.check_text(name or "", "store_name", 64, required=False) or ""
    except DomainError as exc:
        raise AdminError(exc.message("en"), exc.code) from None
    enrol = _enrol_code()
    now = now_utc()
    with hq.transaction() as s:
        store = s.get(Store, code)
        if store is not None and not new_code:
            raise AdminError(f"store {code} exists; add --new-code to issue another enrolment code", "store.exists")
        from . import alliance

        merchant_code = alliance.check_merchant(s, merchant, store)
        if store is None:
            if not name:
                raise AdminError("--name is required for a new store")
            store = Store(code=code, name=name[:64], created_at=now, merchant_code=merchant_code)
            s.add(store)
        elif name:
            store.name = name[:64]
        store.enrol_code_hash = sha256(_norm_code(enrol))
        store.enrol_expires_at = now + dt.timedelta(days=ENROL_DAYS)
        return {"store": code, "name": store.name, "enrol_code": enrol,
                "expires_at": store.enrol_expires_at.isoformat(), "merchant": store.merchant_code}


def enrol(hq, code: str, device: str = "") -> dict[str, str]:
    """Trade a one-time enrolment code for the till's own token (only its hash is kept)."""
    now = now_utc()
    with hq.transaction() as s:
        store = s.scalar(select(Store).where(Store.enrol_code_hash == sha256(_norm_code(code))))
        if store is None:
            raise AdminError("unknown or already used enrolment code", "enrol.bad_code", 403)
        if store.enrol_expires_at is None or store.enrol_expires_at < now:
            raise AdminError("this enrolment code has expired; issue another with hq store add CODE --new-code",
                             "enrol.expired", 403)
        token = "st_" + secrets.token_urlsafe(32)
        device = "".join(c for c in str(device or "") if c.isprintable())[:64]  # a label only: cleaned, not refused
        s.add(StoreToken(token_hash=sha256(token), store_code=store.code, device=device, created_at=now))
        store.enrol_code_hash, store.enrol_expires_at = None, None
        return {"store_code": store.code, "store_name": store.name, "token": token}


def _revoke_tokens(s, code: str) -> tuple[Store, int]:
    store = s.get(Store, code)
    if store is None:
        raise AdminError(f"no store {code} at HQ", "store.not_found", 404)
    tokens = s.scalars(select(StoreToken).where(StoreToken.store_code == code, StoreToken.revoked.is_(False))).all()
    for t in tokens:
        t.revoked = True
    return store, len(tokens)


def store_revoke(hq, code: str) -> dict[str, Any]:
    """Every till of the store is refused (401) from the next request on, and its
    unused enrolment code too; `store add CODE --new-code` or `store rotate` lets one back in."""
    code = code.strip().upper()
    with hq.transaction() as s:
        store, n = _revoke_tokens(s, code)
        store.enrol_code_hash, store.enrol_expires_at = None, None
        return {"store": code, "name": store.name, "revoked_tokens": n}


def store_rotate(hq, code: str) -> dict[str, Any]:
    """Revoke every token of the store and issue a new one-time enrolment code,
    in one transaction: the old credentials are refused at once."""
    code = code.strip().upper()
    enrol = _enrol_code()
    now = now_utc()
    with hq.transaction() as s:
        store, n = _revoke_tokens(s, code)
        store.enrol_code_hash = sha256(_norm_code(enrol))
        store.enrol_expires_at = now + dt.timedelta(days=ENROL_DAYS)
        return {"store": code, "name": store.name, "revoked_tokens": n, "enrol_code": enrol,
                "expires_at": store.enrol_expires_at.isoformat()}


def authenticate(hq, token: str | None) -> str | None:
    if not token:
        return None
    with hq.read() as s:
        row = s.get(StoreToken, sha256(token))
        if row is None or row.revoked:
            return None
        return row.store_code


def program_publish(hq, path: str, *, activate: bool = True, merchant: str | None = None) -> dict[str, Any]:
    """A program version for the stores of one merchant (issue 17; default `main`, the chain's)."""
    try:
        doc = pos_program.load_file(path)
    except DomainError as exc:
        raise AdminError(exc.message("en"), exc.code) from None
    now = now_utc()
    from . import alliance

    with hq.transaction() as s:
        merchant = alliance.check_merchant(s, merchant)
        alliance.check_rate(s, doc)
        row = s.get(Program, doc.version)
        if row is not None and (row.document != pos_program.to_json(doc) or row.merchant_code != merchant):
            raise AdminError(f"version {doc.version} is already published with other content"
                             f"{'' if row.merchant_code == merchant else ' (for merchant ' + row.merchant_code + ')'}"
                             "; give it a new version", "program.version_taken")
        if row is None:
            row = Program(version=doc.version, document=pos_program.to_json(doc), published_at=now, active=False,
                          merchant_code=merchant)
            s.add(row)
            s.flush()
        if activate:
            for other in s.scalars(select(Program).where(Program.active.is_(True), Program.version != doc.version,
                                                         Program.merchant_code == merchant)):
                other.active = False
                changes.record(s, "program", other.version)
            row.active = True
        changes.record(s, "program", doc.version)
        changes.flush(s)
    return {"ok": True, "version": doc.version, "active": activate, "gifts": len(doc.gifts), "merchant": merchant}


def catalog_import(hq, path: str) -> dict[str, Any]:
    """The till's CSV format and checks (pos.services.catalog), all rows or none; upsert by sku."""
    rows, errors = pos_catalog.parse_csv(pos_catalog.read_file(Path(path)), Nomenclature.default())
    if errors:
        return {"ok": False, "rows": len(rows) + len(errors), "created": 0, "updated": 0,
                "errors": [{"line": n, "reason": r} for n, r in errors]}
    try:
        return _catalog_write(hq, rows)
    except _Conflicts as exc:
        return {"ok": False, "rows": len(rows), "created": 0, "updated": 0, "errors": exc.args[0]}


class _Conflicts(Exception):
    pass


def _catalog_write(hq, rows) -> dict[str, Any]:
    now = now_utc()
    created = updated = 0
    with hq.transaction() as s:
        by_sku: dict[str, Product] = {}
        owners = {}
        for row in rows:
            p = by_sku.get(row.sku) or s.get(Product, row.sku)
            if p is None:
                p = Product(sku=row.sku, id=uuid.uuid4(), barcodes=[], updated_at=now)
                s.add(p)
                created += 1
            elif row.sku not in by_sku:
                updated += 1
            if row.sku not in by_sku:
                p.name, p.category, p.price_fen = row.name, row.category, row.price_fen
                p.member_price_fen, p.points_class = row.member_price_fen, row.points_class
                p.no_member_discount, p.active, p.updated_at = row.no_member_discount, True, now
            p.barcodes = sorted(set(p.barcodes or []) | {row.barcode})
            by_sku[row.sku] = p
            owners[row.barcode] = row.sku
        errs = []
        for other in s.scalars(select(Product).where(Product.sku.not_in(list(by_sku)))):
            for bc in other.barcodes or []:
                if bc in owners:
                    errs.append({"line": 0, "reason": f"barcode {bc} belongs to sku {other.sku}"})
        if errs:
            changes.discard(s)
            raise _Conflicts(errs)  # rolls the whole file back
        for sku in by_sku:
            changes.record(s, "product", sku)
        changes.flush(s)
    return {"ok": True, "rows": len(rows), "created": created, "updated": updated, "errors": []}


def exceptions(hq, *, status: str = "open", limit: int = 500) -> list[dict[str, Any]]:
    with hq.read() as s:
        q = select(SyncException).order_by(SyncException.created_at)
        if status != "all":
            q = q.where(SyncException.status == status)
        out = []
        for e in s.scalars(q.limit(limit)):
            m = s.get(Member, e.member_id) if e.member_id else None
            out.append({"id": str(e.id), "kind": e.kind, "store": e.store_code, "status": e.status,
                        "member": {"id": str(m.id), "member_code": m.member_code, "phone_masked": phones.mask(m.phone)}
                        if m else None,
                        "event_id": str(e.event_id) if e.event_id else None, "detail": e.detail,
                        "created_at": e.created_at.isoformat()})
        return out


def member_show(hq, phone: str, region: str = "CN", merchant: str | None = None) -> dict[str, Any]:
    """The master record of the member with this phone (a merged record answers as its survivor).
    `merchant`: what that merchant sees (issue 17, `merchant_view`), not the master record."""
    if merchant is not None:
        return merchant_view(hq, phone, merchant, region)
    try:
        e164 = phones.normalize(phone, region)
    except DomainError as exc:
        raise AdminError(exc.message("en"), exc.code) from None
    from . import orders

    with hq.read() as s:
        m = s.scalar(select(Member).where(Member.phone == e164))
        if m is None:
            raise AdminError(f"no member with phone {phones.mask(e164)} at HQ", "member.not_found", 404)
        bal = s.get(MemberBalance, m.id)
        ledger_pts = s.scalar(select(func.coalesce(func.sum(PointsEntry.points), 0)).where(PointsEntry.member_id == m.id))
        merged = s.scalars(select(Member).where(Member.merged_into == m.id)).all()
        cards = s.scalars(select(MemberCard).where(MemberCard.member_id == m.id).order_by(MemberCard.card_no)).all()
        by_store = dict(s.execute(select(PointsEntry.store_code, func.sum(PointsEntry.points))
                                  .where(PointsEntry.member_id == m.id).group_by(PointsEntry.store_code)).all())
        sales = s.scalar(select(func.count()).select_from(Sale).where(Sale.member_id.in_([m.id] + [x.id for x in merged])))
        coupons = s.scalars(select(Coupon).where(Coupon.member_id == m.id)).all()
        used = {c for (c,) in s.execute(select(CouponUse.coupon_id).where(CouponUse.coupon_id.in_([c.id for c in coupons])))}
        return {
            "id": str(m.id), "member_code": m.member_code, "phone_masked": phones.mask(m.phone), "name": m.name,
            "tier": m.tier_code, "status": m.status, "joined_at": m.joined_at.isoformat(), "joined_store": m.joined_store,
            "points": bal.points if bal else 0, "points_ledger": int(ledger_pts),
            "stored_value_fen": bal.stored_value_fen if bal else 0,
            "points_by_store": {k or "?": int(v) for k, v in sorted(by_store.items(), key=lambda kv: kv[0] or "")},
            "cards": [{"card_no": c.card_no, "status": c.status} for c in cards],
            "tags": [t["tag"] for t in m.tags or []],
            "merged": [{"id": str(x.id), "member_code": x.member_code, "joined_store": x.joined_store} for x in merged],
            "sales": int(sales or 0),
            "coupons": [{"code": c.code, "template": c.template, "used": c.id in used} for c in coupons],
            "field_times": m.field_times or {},
            # issue 18: the member's online orders, their points and whether those still wait (return window)
            "online_orders": orders.member_orders(s, [m.id] + [x.id for x in merged]),
            # issue 17: the alliance's shared coins, and each merchant's relationship (consent)
            "coins": _coins(s, m.id),
            "merchants": alliance_relationships(s, m.id),
            # each merchant's own points, stored value and tier (one merchant: the lines above)
            "by_merchant": _by_merchant(s, m),
        }


def _by_merchant(s, m) -> list[dict[str, Any]]:
    from pos.loyalty.ledger import scoped

    from .alliance import member_views
    from .alliance_models import Merchant

    out = []
    for (code,) in s.execute(select(Merchant.code).order_by(Merchant.code)):
        pts = s.scalar(scoped(select(func.coalesce(func.sum(PointsEntry.points), 0))
                              .where(PointsEntry.member_id == m.id), code))
        sv = s.scalar(scoped(select(func.coalesce(func.sum(StoredValueEntry.amount_fen), 0))
                             .where(StoredValueEntry.member_id == m.id), code, StoredValueEntry.merchant_code))
        out.append({"merchant": code, "points": int(pts or 0), "stored_value_fen": int(sv or 0),
                    "tier": member_views(s, code, [m.id])[m.id]["tier_code"]})
    return out


def merchant_view(hq, phone: str, merchant: str, region: str = "CN", recent: int = 20) -> dict[str, Any]:
    """A member as one alliance merchant sees them (issue 17): its own relationship — tier,
    points (available now), stored value, its stores' sales — the alliance's shared coins,
    and the other merchants' history in aggregate only (how many merchants, visits, net
    spend, the last visit; no receipts, no amounts per merchant). Personal fields only with
    the member's consent to this merchant."""
    from pos.loyalty import ledger as pos_ledger
    from pos.loyalty.ledger import scoped

    from . import alliance

    try:
        e164 = phones.normalize(phone, region)
    except DomainError as exc:
        raise AdminError(exc.message("en"), exc.code) from None
    with hq.read() as s:
        merchant = alliance.check_merchant(s, merchant)
        m = s.scalar(select(Member).where(Member.phone == e164))
        if m is None:
            raise AdminError(f"no member with phone {phones.mask(e164)} at HQ", "member.not_found", 404)
        ids = [m.id] + list(s.scalars(select(Member.id).where(Member.merged_into == m.id)))
        view = alliance.member_views(s, merchant, [m.id])[m.id]
        consent = m.id in alliance.consenting(s, [m.id], merchant)
        pos_ = pos_ledger.position(s, m.id, merchant)
        sv = s.scalar(scoped(select(func.coalesce(func.sum(StoredValueEntry.amount_fen), 0))
                             .where(StoredValueEntry.member_id == m.id), merchant, StoredValueEntry.merchant_code))
        owners = alliance.merchants_of_stores(s)
        own_stores = sorted(c for c, mc in owners.items() if mc == merchant)
        sales = s.execute(select(Sale.store_code, Sale.kind, Sale.receipt_no, Sale.created_at, Sale.net_fen)
                          .where(Sale.member_id.in_(ids), Sale.kind.in_(("sale", "return")))
                          .order_by(Sale.created_at.desc())).all()
        own = [r for r in sales if owners.get(r[0], alliance.MAIN) == merchant]
        other = [r for r in sales if owners.get(r[0], alliance.MAIN) != merchant]
        visits = [r for r in other if r[1] == "sale"]
        return {
            "merchant": merchant, "member_code": m.member_code, "phone_masked": phones.mask(m.phone),
            "consent": consent,
            "personal": {f: (getattr(m, f).isoformat() if f == "birthday" and getattr(m, f) else getattr(m, f))
                         for f in alliance.PERSONAL} if consent else None,
            "home_merchant": view["home_merchant"],
            "tier": view["tier_code"],
            "tier_since": view["tier_since"].isoformat() if view["tier_since"] else None,
            "points": pos_.balance, "points_available": max(0, pos_.spendable(now_utc())),
            "stored_value_fen": int(sv or 0),
            "coins": _coins(s, m.id),
            "stores": own_stores,
            "history": {"sales": sum(1 for r in own if r[1] == "sale"), "net_fen": int(sum(r[4] for r in own)),
                        "recent": [{"store": r[0], "kind": r[1], "receipt_no": r[2], "at": r[3].isoformat(),
                                    "net_fen": int(r[4])} for r in own[:recent]]},
            # the rest of the alliance: in aggregate only
            "elsewhere": {"merchants": len({owners.get(r[0], alliance.MAIN) for r in visits}),
                          "visits": len(visits), "net_fen": int(sum(r[4] for r in other)),
                          "last_visit": max((r[3] for r in visits), default=None) and
                          max(r[3] for r in visits).date().isoformat()},
        }


def _coins(s, member_id) -> dict[str, Any]:
    from pos.loyalty import coins as coin_ledger

    by_issuer: dict[str, int] = {}
    for lot in coin_ledger.lots(s, member_id):
        if lot.remaining > 0:
            by_issuer[lot.merchant or "main"] = by_issuer.get(lot.merchant or "main", 0) + lot.remaining
    return {"balance": coin_ledger.balance(s, member_id), "spendable": coin_ledger.spendable(s, member_id, now_utc()),
            "lots_by_issuer": dict(sorted(by_issuer.items()))}


def alliance_relationships(s, member_id) -> list[dict[str, Any]]:
    from .alliance import consenting
    from .alliance_models import Merchant

    return [{"merchant": code, "consent": member_id in consenting(s, [member_id], code)}
            for (code,) in s.execute(select(Merchant.code).order_by(Merchant.code))]
