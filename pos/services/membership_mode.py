"""Qualified membership (SPEC §1) and the upgrade card (SPEC §4): `membership.mode`
`threshold` / `card` and `tiers.upgrade_by_card`, as the checkout applies them.

* **open** (the default): every registered member has the benefits.
* **threshold** (`threshold_fen`): a registered customer is an *active* member once
  their completed spend reaches the threshold. Completed spend is the goods bought at
  their regular line prices (`Sale.gross_fen`), returns taken off, over the member's
  sales at this store. In the sale that crosses it, benefits start **from the next
  line on**: lines are the basket's lines in scan order (scanning an item again adds
  to its line), each counted at its regular price (qty × unit price, before any
  discount); the line that takes the running total to the threshold is still priced
  as for a non-member, and every line after it gets member prices, the tier discount
  and points (`MemberCtx.benefits_from`, pos.rules.pricing; the request carries it, so
  HQ's re-pricing agrees). Members-only promotions wait for a sale with at least one
  line of benefits; the member's own coupons stay usable.
* **card** (`card_price_fen`, `card_product`): buying the membership card at the till
  activates membership — a basket line of the catalog product `card_product`, sold at
  `card_price_fen` — and its benefits apply to the *same* sale, every line. A member
  is active once a card bought is not returned.
* **upgrade card** (`tiers.upgrade_by_card`: `price_fen`, `to`, `product`): a line of the
  catalog product `product`, sold at `price_fen`, prices the whole sale at tier `to`
  (when higher than the member's) and lifts the tier at commit (tier change reason
  `card`); returning the card takes that tier back (pos.services.returns).

Card lines get no member discount and earn no points (what is bought is the
membership itself). A card line without a member attached is refused at payment.
"""
from __future__ import annotations

import dataclasses
import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pos.errors import DomainError
from pos.loyalty import tiers as tier_rules
from pos.rules.pricing import MemberCtx
from pos.rules.program import ProgramDoc
from pos.store.models import Sale, SaleLine


def card_price(program: ProgramDoc, code: str) -> int | None:
    """The program's price of a card line (membership card, upgrade card), None for other products."""
    ms, up = program.membership, program.tiers.upgrade_by_card
    if ms.mode == "card" and ms.card_product and code == ms.card_product:
        return ms.card_price_fen
    if up is not None and up.product and code == up.product:
        return up.price_fen
    return None


def price_card_line(program: ProgramDoc, line) -> None:
    """A card scanned at the till (`Checkout.add`) sells at the program's price, without
    member discount, earning nothing."""
    fen = card_price(program, line.code)
    if fen is not None:
        line.unit_fen, line.member_unit_fen, line.no_member_discount, line.points_class = fen, None, True, "none"


def completed_spend(s: Session, member_id: uuid.UUID) -> int:
    """Goods bought at regular line prices, returns taken off (this store's sales)."""
    return int(s.scalar(select(func.coalesce(func.sum(Sale.gross_fen), 0)).where(
        Sale.member_id == member_id, Sale.kind.in_(("sale", "return")))) or 0)


def cards_kept(s: Session, member_id: uuid.UUID, code: str) -> int:
    """Cards of `code` the member bought and did not return."""
    return int(s.scalar(select(func.coalesce(func.sum(SaleLine.qty), 0)).join(Sale, Sale.id == SaleLine.sale_id).where(
        Sale.member_id == member_id, Sale.kind.in_(("sale", "return")), SaleLine.code == code)) or 0)


def qualified(s: Session, program: ProgramDoc, member_id: uuid.UUID) -> bool:
    """Whether the member is an active member before the sale in progress."""
    ms = program.membership
    if ms.mode == "threshold":
        return completed_spend(s, member_id) >= ms.threshold_fen
    if ms.mode == "card":
        return bool(ms.card_product) and cards_kept(s, member_id, ms.card_product) > 0
    return True


def adjust(s: Session, program: ProgramDoc, ctx: MemberCtx | None, lines) -> MemberCtx | None:
    """The member as the engine must price this basket: the upgrade card's tier, and
    from which line the benefits start (see the module's docstring)."""
    if ctx is None:
        return None
    codes = [ln.code for ln in lines]
    up = program.tiers.upgrade_by_card
    if up is not None and up.product and up.product in codes and \
            program.tiers.rank(up.to) > program.tiers.rank(ctx.tier):
        ctx = dataclasses.replace(ctx, tier=up.to)
    ms = program.membership
    if ms.mode == "open" or qualified(s, program, uuid.UUID(ctx.id)):
        return ctx
    if ms.mode == "card":
        return dataclasses.replace(ctx, benefits_from=0 if ms.card_product in codes else len(lines))
    total = completed_spend(s, uuid.UUID(ctx.id))
    for i, ln in enumerate(lines):
        total += ln.unit_fen * ln.qty
        if total >= ms.threshold_fen:
            return dataclasses.replace(ctx, benefits_from=i + 1)
    return dataclasses.replace(ctx, benefits_from=len(lines))


def check_basket(program: ProgramDoc, member_id: str | None, lines) -> None:
    """A membership or upgrade card is sold to a member (attach or register one first)."""
    if member_id is None and any(card_price(program, ln.code) is not None for ln in lines):
        raise DomainError("sale.card_needs_member")


def card_upgrade(program: ProgramDoc, member, lines) -> bool:
    """Whether the basket's upgrade card lifts this member's tier (`after_sale` would change it)."""
    up = program.tiers.upgrade_by_card
    return (member is not None and up is not None and bool(up.product) and up.product in [ln.code for ln in lines]
            and program.tiers.rank(up.to) > program.tiers.rank(member.tier_code))


def after_sale(s: Session, db, member, program: ProgramDoc, lines, now, sale_id) -> None:
    """The upgrade card lifts the tier at commit (in the sale's transaction)."""
    up = program.tiers.upgrade_by_card
    if member is None or up is None or not up.product or up.product not in [ln.code for ln in lines]:
        return
    if program.tiers.rank(up.to) > program.tiers.rank(member.tier_code):
        tier_rules.change_tier(s, db, member, up.to, "card", 0, program.tiers, now, sale_id)
