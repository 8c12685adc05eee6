"""Points uses reach HQ and every till (issue 14): a conversion to stored value, a coupon
bought with points and a lottery draw at till A — HQ holds the points of each first and
counts the hold used once the rows arrive; HQ's balances equal A's, till B sees the same
balances and the coupon, and HQ takes the draw's events as its record (no exception)."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from pos.loyalty import coupons, ledger
from pos.rules import program as program_rules
from pos.services import lottery, members, points_uses
from sync import engine
from sync.server.models import Coupon as HQCoupon
from sync.server.models import Hold, IngestedEvent, SyncException

from .conftest import phone, publish_preset


def settle(*tills):
    for _ in range(2):
        for db in tills:
            engine.sync_once(db)


def balances(s, mid):
    return ledger.points_balance(s, mid), ledger.sv_balance(s, mid)


def test_conversion_exchange_and_lottery_at_one_till_agree_at_hq_and_the_other_till(hq, two_tills, tmp_path):
    a, b = two_tills
    publish_preset(hq, tmp_path)  # vancl: 100 pts = 2 yuan, pts-5 for 300 points
    settle(a, b)
    m = members.register(a, phone(), name="周")
    mid = uuid.UUID(m.id)
    with a.transaction() as s:
        ledger.credit(s, mid, "adjust", 2000, now=a.clock.now(), expires_at=None, store_code=a.store_code, reason="test")
    settle(a, b)
    points_uses.convert_to_stored_value(a, m.id, 500)  # asks HQ's hold first (enrolled)
    bought = points_uses.exchange_coupon(a, m.id, "pts-5")
    drawn = lottery.draw(a, m.id, program=program_rules.preset("hdcrm"))  # a lottery program at this till
    settle(a, b)
    with a.read() as s:
        at_a = balances(s, mid)
    assert at_a[1] == 1000 and at_a[0] == 2000 - 500 - 300 - 50 + (drawn.points or 0)
    with hq.db.transaction() as s:
        assert balances(s, mid) == at_a
        assert bought.coupon_code in s.scalars(select(HQCoupon.code).where(HQCoupon.member_id == mid)).all()
        kinds = s.scalars(select(IngestedEvent.kind).where(IngestedEvent.store_code == a.store_code)).all()
        assert {"lottery.committed", "lottery.drawn"} <= set(kinds)
        assert s.scalars(select(SyncException.kind).where(SyncException.store_code == a.store_code)).all() == []
        # HQ held the points of each use first; with the rows in, the holds are used, not left to lapse
        assert sorted(s.scalars(select(Hold.status).where(Hold.member_id == mid)).all()) == ["used"] * 3
    with b.read() as s:
        assert balances(s, mid) == at_a
        assert bought.coupon_code in [c.code for c in coupons.wallet(s, mid, b.clock.now())]
