"""Coupon instances: issued from the program's templates, used once chain-wide."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pos.errors import DomainError
from pos.ids import random_code, uuid7
from pos.store.models import Coupon, CouponUse
from pos.store.outbox import emit
from pos.rules.pricing import CouponCtx
from pos.rules.program import ProgramDoc


def new_code() -> str:
    """`CP` + 10 Crockford characters: matches the coupon rule of the nomenclature."""
    return random_code("CP", 10)


def issue(s: Session, db, program: ProgramDoc, template: str, *, member_id: uuid.UUID | None,
          source: str, now: dt.datetime | None = None, referrer_id: uuid.UUID | None = None,
          valid_to: dt.datetime | None = None) -> Coupon:
    """A new coupon of the template (valid for the template's days, or until
    `valid_to`: a replacement keeps the validity of the coupon it replaces)."""
    t = program.template(template)
    if t is None:
        raise DomainError("coupon.template", template=template)
    now = now or db.clock.now()
    coupon = Coupon(
        id=uuid7(), code=new_code(), template=template, member_id=member_id, valid_from=now,
        valid_to=valid_to or db.clock.start_of_day(db.clock.local(now).date() + dt.timedelta(days=t.validity_days)),
        source=source, issued_at=now, issued_store=db.store_code, referrer_id=referrer_id, test_clock=db.test_clock,
    )
    s.add(coupon)
    emit(s, db, "coupon.issued", {
        "id": str(coupon.id), "code": coupon.code, "template": template,
        "member_id": str(member_id) if member_id else None, "valid_from": coupon.valid_from.isoformat(),
        "valid_to": coupon.valid_to.isoformat(), "source": source,
    })
    return coupon


def context(s: Session, code: str, member_id: uuid.UUID | None) -> CouponCtx | None:
    """What the pricing engine needs to know of a coupon code (None if unknown)."""
    c = s.scalar(select(Coupon).where(Coupon.code == code.strip().upper()))
    if c is None:
        return None
    used = s.scalar(select(CouponUse.id).where(CouponUse.coupon_id == c.id)) is not None
    uses = 0
    if member_id is not None:
        uses = s.scalar(select(func.count()).select_from(CouponUse).join(Coupon, Coupon.id == CouponUse.coupon_id)
                        .where(CouponUse.member_id == member_id, Coupon.template == c.template)) or 0
        # each replacement given on a return stands for one use given back (pos.services.returns)
        given_back = s.scalar(select(func.count()).select_from(Coupon).where(
            Coupon.member_id == member_id, Coupon.template == c.template, Coupon.source == "return")) or 0
        uses = max(0, uses - given_back)
    status = "used" if used else ("void" if c.voided_at else "active")
    return CouponCtx(code=c.code, template=c.template, valid_from=c.valid_from, valid_to=c.valid_to,
                     status=status, member_id=str(c.member_id) if c.member_id else None, member_uses=uses)


def wallet(s: Session, member_id: uuid.UUID, now: dt.datetime) -> list[Coupon]:
    """The member's usable coupons, soonest to expire first."""
    used = select(CouponUse.coupon_id)
    return list(s.scalars(select(Coupon).where(
        Coupon.member_id == member_id, Coupon.voided_at.is_(None), Coupon.valid_to > now,
        Coupon.id.not_in(used)).order_by(Coupon.valid_to)))


def use(s: Session, code: str, sale_id: uuid.UUID, member_id: uuid.UUID | None, amount_fen: int, now: dt.datetime, store: str) -> None:
    """The coupon's one use, written at once (one DB-API statement each way: the sale's commit)."""
    from pos.store import bulk

    conn = s.connection()
    s.flush()
    row = conn.connection.driver_connection.execute("SELECT id FROM coupons WHERE code = ?", (code,)).fetchone()
    bulk.write_rows(conn, CouponUse.__table__, [dict(
        id=uuid7(), coupon_id=bulk.result_processor(conn, Coupon.__table__, "id")(row[0]), sale_id=sale_id,
        member_id=member_id, amount_fen=amount_fen, used_at=now, store_code=store)])
