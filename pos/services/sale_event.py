"""The `sale.committed` event: self-contained, so HQ can price the sale again.

The till's event carries the committed sale as the till shows it (`sale`: lines,
totals, points, payments, coupons, program version — `checkout.SaleResult`) and,
under `sale.pricing`, exactly what the pricing engine was given: every basket item
with what pricing reads of it (code = sku, qty, unit price, member price, category,
points class, the no-member-discount flag, a cashier's line discount), the member
as priced (tier at sale time, points spendable, birthday), each coupon's context
(template, validity, status, owner, earlier uses), codes the till did not know,
points to redeem, gifts, tenders, store, the sale's time and business date, and
the names of reward products; on an alliance merchant's till (issue 17) also the
merchant and the member's home merchant, which promotions' and coupons' `audience`
read (absent otherwise: an event of a chain alone is as before).

HQ (`sync.server.sales`) calls `reprice` with the program version it holds: the
same `pos.rules.pricing.price` over the same request, and what the till claimed
(totals and points) compared with what the engine says. An event without
`pricing` (a till older than this) or whose pricing cannot be read is answered by
`NotRepriceable` with the reason; HQ keeps the sale and flags it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pos.rules.pricing import CouponCtx, Item, MemberCtx, PriceRequest, Quote, Tender, price
from pos.rules.program import ProgramDoc

PRICING_SCHEMA = 1  # the layout of `sale.pricing`
COMPARED_TOTALS = ("gross_fen", "discount_fen", "net_fen")
COMPARED_POINTS = ("earned", "redeemed")


class NotRepriceable(ValueError):
    """The event does not carry (readable) pricing inputs: say why."""


# --- the till's side ------------------------------------------------------------------------

def _time(v: dt.datetime | None) -> str | None:
    return None if v is None else v.isoformat()


def request_dict(req: PriceRequest) -> dict[str, Any]:
    """A price request as plain JSON values (`request_from` reads it back to an equal request)."""
    m = req.member
    return {
        "schema": PRICING_SCHEMA,
        "items": [{"code": it.code, "name": it.name, "category": it.category, "qty": it.qty, "unit_fen": it.unit_fen,
                   "member_unit_fen": it.member_unit_fen, "points_class": it.points_class,
                   "no_member_discount": it.no_member_discount, "manual_pct": it.manual_pct} for it in req.items],
        "member": None if m is None else {"id": m.id, "tier": m.tier, "points_available": m.points_available,
                                          "birthday": m.birthday.isoformat() if m.birthday else None,
                                          **({"benefits_from": m.benefits_from} if m.benefits_from else {}),
                                          **({"home_merchant": m.home_merchant} if m.home_merchant else {})},
        "coupons": [{"code": c.code, "template": c.template, "valid_from": _time(c.valid_from),
                     "valid_to": _time(c.valid_to), "status": c.status, "member_id": c.member_id,
                     "member_uses": c.member_uses} for c in req.coupons],
        "unknown_coupons": list(req.unknown_coupons),
        "redeem_points": req.redeem_points,
        "gifts": list(req.gifts),
        "tenders": [{"type": t.type, "amount_fen": t.amount_fen} for t in req.tenders],
        "store": req.store,
        **({"merchant": req.merchant} if req.merchant else {}),  # issue 17: an alliance merchant's till
        "now": _time(req.now),
        "local_date": req.local_date.isoformat() if req.local_date else None,
        "products": {code: [name, category] for code, (name, category) in req.products.items()},
    }


def committed(sale: dict[str, Any], req: PriceRequest) -> dict[str, Any]:
    """The payload of `sale.committed`: the sale as committed and what it was priced from."""
    return {"sale": {**sale, "pricing": request_dict(req)}}


# --- HQ's side -----------------------------------------------------------------------------------

def _int(v: Any, what: str) -> int:
    if not isinstance(v, int) or isinstance(v, bool):
        raise NotRepriceable(f"pricing.{what} must be an integer")
    return v


def _text(v: Any, what: str, *, optional: bool = False) -> str | None:
    if v is None and optional:
        return None
    if not isinstance(v, str):
        raise NotRepriceable(f"pricing.{what} must be text")
    return v


def _when(v: Any, what: str) -> dt.datetime:
    try:
        t = dt.datetime.fromisoformat(_text(v, what))
    except ValueError:
        raise NotRepriceable(f"pricing.{what} is not an ISO time") from None
    if t.tzinfo is None:
        raise NotRepriceable(f"pricing.{what} has no time zone")
    return t


def _day(v: Any, what: str) -> dt.date | None:
    if v is None:
        return None
    try:
        return dt.date.fromisoformat(_text(v, what))
    except ValueError:
        raise NotRepriceable(f"pricing.{what} is not an ISO date") from None


def _list(d: dict, key: str) -> list:
    v = d.get(key) or []
    if not isinstance(v, list):
        raise NotRepriceable(f"pricing.{key} must be a list")
    return v


def _dict(v: Any, what: str) -> dict:
    if not isinstance(v, dict):
        raise NotRepriceable(f"pricing.{what} must be an object")
    return v


def request_from(d: Any) -> PriceRequest:
    """The price request an event carries; NotRepriceable says what is missing or wrong."""
    if d is None:
        raise NotRepriceable("the event carries no pricing inputs (a till older than HQ re-pricing)")
    d = _dict(d, "")
    if d.get("schema") != PRICING_SCHEMA:
        raise NotRepriceable(f"pricing schema {d.get('schema')!r} is not {PRICING_SCHEMA}")
    items = []
    for i, it in enumerate(_list(d, "items")):
        it = _dict(it, f"items.{i}")
        member_unit = it.get("member_unit_fen")
        items.append(Item(
            _text(it.get("code"), f"items.{i}.code"), _text(it.get("name"), f"items.{i}.name"),
            _text(it.get("category"), f"items.{i}.category"), _int(it.get("qty"), f"items.{i}.qty"),
            _int(it.get("unit_fen"), f"items.{i}.unit_fen"),
            None if member_unit is None else _int(member_unit, f"items.{i}.member_unit_fen"),
            _text(it.get("points_class"), f"items.{i}.points_class"), bool(it.get("no_member_discount")),
            manual_pct=_int(it.get("manual_pct", 0), f"items.{i}.manual_pct")))
    member = None
    if d.get("member") is not None:
        m = _dict(d["member"], "member")
        member = MemberCtx(id=_text(m.get("id"), "member.id"), tier=_text(m.get("tier"), "member.tier"),
                           points_available=_int(m.get("points_available", 0), "member.points_available"),
                           birthday=_day(m.get("birthday"), "member.birthday"),
                           benefits_from=_int(m.get("benefits_from", 0), "member.benefits_from"),
                           home_merchant=_text(m.get("home_merchant"), "member.home_merchant", optional=True))
    coupons = []
    for i, c in enumerate(_list(d, "coupons")):
        c = _dict(c, f"coupons.{i}")
        coupons.append(CouponCtx(
            code=_text(c.get("code"), f"coupons.{i}.code"), template=_text(c.get("template"), f"coupons.{i}.template"),
            valid_from=_when(c.get("valid_from"), f"coupons.{i}.valid_from"),
            valid_to=_when(c.get("valid_to"), f"coupons.{i}.valid_to"),
            status=_text(c.get("status"), f"coupons.{i}.status"),
            member_id=_text(c.get("member_id"), f"coupons.{i}.member_id", optional=True),
            member_uses=_int(c.get("member_uses", 0), f"coupons.{i}.member_uses")))
    tenders = []
    for i, t in enumerate(_list(d, "tenders")):
        t = _dict(t, f"tenders.{i}")
        tenders.append(Tender(_text(t.get("type"), f"tenders.{i}.type"),
                              _int(t.get("amount_fen"), f"tenders.{i}.amount_fen")))
    products = {}
    for code, pair in _dict(d.get("products") or {}, "products").items():
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
            raise NotRepriceable(f"pricing.products.{code} must be [name, category]")
        products[code] = (pair[0], pair[1])
    return PriceRequest(
        items=tuple(items), member=member, coupons=tuple(coupons),
        unknown_coupons=tuple(_text(x, "unknown_coupons") for x in _list(d, "unknown_coupons")),
        redeem_points=_int(d.get("redeem_points", 0), "redeem_points"),
        gifts=tuple(_text(x, "gifts") for x in _list(d, "gifts")), tenders=tuple(tenders),
        store=_text(d.get("store", ""), "store"), merchant=_text(d.get("merchant", ""), "merchant"),
        now=_when(d.get("now"), "now"),
        local_date=_day(d.get("local_date"), "local_date"), products=products)


@dataclass(frozen=True)
class Repriced:
    """What the engine says of a sale, and where the till's claim differs."""

    totals: dict[str, int]  # gross_fen, discount_fen, net_fen
    points: dict[str, int]  # earned, redeemed
    differences: dict[str, dict[str, int]]  # "totals.net_fen" -> {"till": .., "hq": ..}

    @property
    def equal(self) -> bool:
        return not self.differences


def figures(q: Quote) -> tuple[dict[str, int], dict[str, int]]:
    return ({"gross_fen": q.gross_fen, "discount_fen": q.discount_fen, "net_fen": q.net_fen},
            {"earned": q.points_earned, "redeemed": q.points_redeemed})


def reprice(sale: dict[str, Any], program: ProgramDoc) -> Repriced:
    """Price the event's sale again with `program` and compare with what the till claimed."""
    req = request_from(sale.get("pricing"))
    totals, points = figures(price(req, program))
    claimed_totals = sale.get("totals") if isinstance(sale.get("totals"), dict) else {}
    claimed_points = sale.get("points") if isinstance(sale.get("points"), dict) else {}
    diff: dict[str, dict[str, int]] = {}
    for group, mine, theirs, keys in (("totals", totals, claimed_totals, COMPARED_TOTALS),
                                      ("points", points, claimed_points, COMPARED_POINTS)):
        for k in keys:
            if theirs.get(k) != mine[k]:
                diff[f"{group}.{k}"] = {"till": theirs.get(k), "hq": mine[k]}
    return Repriced(totals, points, diff)
