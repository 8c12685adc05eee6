"""The chain's catalog at HQ: a product a store added or changed (`product.upserted`)."""
from __future__ import annotations

import uuid

from . import changes
from .common import Ctx, as_uuid
from .models import Product


def h_product_upserted(c: Ctx, p: dict) -> None:
    d = p["product"]
    s = c.s
    prod = s.get(Product, d["sku"])
    if prod is None:
        prod = Product(sku=d["sku"], id=as_uuid(d["id"]) or uuid.uuid4())
        s.add(prod)
    prod.name, prod.category, prod.price_fen = d["name"], d["category"], int(d["price_fen"])
    prod.member_price_fen = d.get("member_price_fen")
    prod.points_class, prod.no_member_discount = d.get("points_class") or "regular", bool(d.get("no_member_discount"))
    prod.active, prod.barcodes, prod.updated_at = True, sorted(set(d.get("barcodes") or [])), c.now
    changes.record(s, "product", prod.sku)
