"""Sign-up rewards however a member joins, once per person chain-wide (issue 14): HQ
registers a member with the program's rewards and the tills apply them by pull without
awarding again; a till's join sends its rewards up as ledger rows and coupons and
neither HQ nor another till adds any."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select

from pos.loyalty import ledger
from pos.rules import program as program_rules
from pos.services import joining, member_bonuses, members
from pos.store.models import Coupon, PointsEntry
from sync import engine
from sync.server import members as hq_members
from sync.server.models import Coupon as HQCoupon

from .conftest import offline, phone, publish_preset


def settle(*tills):
    for _ in range(2):
        for db in tills:
            engine.sync_once(db)


def till_view(db, mid):
    with db.read() as s:
        mid = uuid.UUID(mid)
        return (ledger.points_balance(s, mid),
                sorted(s.scalars(select(Coupon.template).where(Coupon.member_id == mid))),
                s.scalar(select(func.count()).select_from(PointsEntry).where(
                    PointsEntry.member_id == mid, PointsEntry.reason == member_bonuses.SIGNUP)))


def hq_view(hq, mid):
    with hq.db.transaction() as s:
        mid = uuid.UUID(mid)
        return (ledger.points_balance(s, mid),
                sorted(s.scalars(select(HQCoupon.template).where(HQCoupon.member_id == mid))))


def test_hq_registration_rewards_once_and_the_tills_only_apply_them(hq, two_tills, tmp_path):
    a, b = two_tills
    publish_preset(hq, tmp_path)  # vancl: 100 points + welcome-10
    settle(a, b)
    got = hq_members.register(hq.db, phone(), name="周", gender="F", region="上海")
    assert got["rewards"]["points"] == 100 and len(got["rewards"]["coupons"]) == 1  # no birthday: profile not complete
    settle(a, b)
    settle(a, b)
    for db in (a, b):
        assert till_view(db, got["id"]) == (100, ["welcome-10"], 1)
    assert hq_view(hq, got["id"]) == (100, ["welcome-10"])


def test_a_tills_join_is_rewarded_there_once_for_the_whole_chain(hq, two_tills, tmp_path):
    a, b = two_tills
    publish_preset(hq, tmp_path)
    settle(a, b)
    m = joining.join(a, program_rules.preset("vancl"), phone())
    assert till_view(a, m.id) == (100, ["welcome-10"], 1)
    settle(a, b)
    settle(b, a)
    assert hq_view(hq, m.id) == (100, ["welcome-10"])
    for db in (a, b):
        assert till_view(db, m.id) == (100, ["welcome-10"], 1)
    assert members.detail(b, m.id).points == 100


def test_hq_member_add_command(hq, tmp_path):
    import json

    publish_preset(hq, tmp_path)
    number = phone()
    got = json.loads(hq.cli("member", "add", "--phone", number, "--name", "吴", "--json").stdout)
    assert got["rewards"]["points"] == 100 and len(got["rewards"]["coupons"]) == 1
    assert hq_view(hq, got["id"]) == (100, ["welcome-10"])
    p = hq.cli("member", "add", "--phone", number, check=2)  # the same person again: refused, nothing given
    assert p.stderr.count("\n") == 1 and "member.duplicate_phone" in p.stderr
    assert hq_view(hq, got["id"]) == (100, ["welcome-10"])


def test_the_same_person_joining_at_two_stores_offline_keeps_one_signup_reward(hq, two_tills, tmp_path):
    """Both stores give the sign-up rewards (neither knows of the other); HQ folds the later
    record into the first and takes the second reward back: 100 points and one welcome-10."""
    a, b = two_tills
    publish_preset(hq, tmp_path)
    settle(a, b)
    vancl = program_rules.preset("vancl")
    both = phone()
    with offline(a), offline(b):
        first = joining.join(a, vancl, both)
        second = joining.join(b, vancl, both)
    settle(a, b)
    settle(a, b)
    keep = members.MemberIndex(str(a.path)).find(both)[0].id
    assert keep == first.id
    assert hq_view(hq, keep)[0] == 100
    with hq.db.transaction() as s:
        live = s.scalars(select(HQCoupon).where(HQCoupon.member_id.in_([uuid.UUID(first.id), uuid.UUID(second.id)]),
                                                HQCoupon.voided_at.is_(None))).all()
        assert [c.template for c in live] == ["welcome-10"]
    for db in (a, b):
        assert members.detail(db, keep).points == 100
        with db.read() as s:
            assert s.scalar(select(func.count()).select_from(Coupon).where(
                Coupon.source == "signup", Coupon.voided_at.is_(None),
                Coupon.member_id.in_([uuid.UUID(first.id), uuid.UUID(second.id)]))) == 1
    settle(a, b)  # looked at again: nothing more is taken
    assert hq_view(hq, keep)[0] == 100 and members.detail(b, keep).points == 100


def test_hq_keeps_one_checkin_per_store_and_day_and_one_review_per_sale(hq, tmp_path):
    """Two registers of one store that had not synced: HQ's settle keeps the first award of a key."""
    import datetime as dt

    from sync.server import member_rewards
    from sync.server import changes
    from sync.server.models import PointsEntry as HQEntry

    publish_preset(hq, tmp_path)
    got = hq_members.register(hq.db, phone())
    mid = uuid.UUID(got["id"])
    now = dt.datetime.now(dt.timezone.utc)
    with hq.db.transaction() as s:
        for store, reason in (("S1", "check-in 2026-11-23"), ("S1", "check-in 2026-11-23"),
                              ("S2", "check-in 2026-11-23"), ("S1", "review S1-0001"), ("S1", "review S1-0001"),
                              ("S1", "monthly_spend:100000@2026-11 sale S1-0001")):
            ledger.credit(s, mid, "bonus", 5, now=now, expires_at=None, store_code=store, reason=reason)
        assert member_rewards.settle(s, now, [mid]) == 2  # the second check-in at S1, the second review
        assert member_rewards.settle(s, now, [mid]) == 0
        # the rows this test wrote reach the tills as a push's would (the session's HQ is shared by later tests)
        changes.record_many(s, "points_entry", s.scalars(select(HQEntry.id).where(HQEntry.member_id == mid)).all())
        changes.flush(s)
        taken = sorted(s.scalars(select(HQEntry.reason).where(HQEntry.member_id == mid, HQEntry.kind == "adjust")))
    assert taken == ["HQ: given twice: check-in 2026-11-23 @S1", "HQ: given twice: review S1-0001"]
    assert hq_view(hq, got["id"])[0] == 100 + 6 * 5 - 2 * 5


def test_a_till_merge_of_two_rewarded_records_keeps_one_signup_reward(hq, two_tills, tmp_path):
    a, b = two_tills
    publish_preset(hq, tmp_path)
    vancl = program_rules.preset("vancl")
    keep, other = joining.join(a, vancl, phone()), joining.join(a, vancl, phone())
    settle(a, b)
    members.merge(a, keep.id, other.id, actor="manager")
    assert members.detail(a, keep.id).points == 200  # the till moves both lots, as a merge does
    settle(a, b)
    settle(a, b)
    assert hq_view(hq, keep.id)[0] == 100  # one person: HQ kept one sign-up bonus
    for db in (a, b):
        assert members.detail(db, keep.id).points == 100
