"""Issue 17, item 2: each merchant's own relationship. A real HQ process hosting three
merchants with two tills each: points and stored value are the merchant's own (earned at
the bakery, seen at both bakery tills, not at the supermarket's), a tier reached at the
bakery is the bakery's, the shared coins are everywhere; HQ's view of a member for one
merchant holds its own history and the others' only in aggregate, personal fields only
with consent; a merge at HQ keeps each merchant's points apart; a one-merchant HQ is
unchanged (tests/sync elsewhere). SQLite; PostgreSQL with HQ_TEST_DATABASE_URL."""
from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import func, select

from pos.loyalty import ledger
from pos.rules.pricing import Tender
from pos.services import members
from pos.services.checkout import Checkout, topup
from pos.store.models import Member as TillMember, PointsEntry as TillPoints
from sync import engine
from sync.server.models import PointsEntry, StoredValueEntry

from .alliance_support import running_alliance
from .conftest import SOAP, TOWEL

PHONE = "13900002222"
OTHER = "13900003333"


@pytest.fixture(scope="module")
def alliance(tmp_path_factory):
    with running_alliance(tmp_path_factory.mktemp("relationship")) as got:
        yield got


def buy(db, code: str, qty: int = 1, member: str = PHONE):
    co = Checkout(db)
    co.add(code, qty)
    co.attach_member(member)
    return co.pay([Tender("cash", co.quote().net_fen)], lang="en")


def sync_all(*dbs):
    for db in dbs:
        got = engine.sync_once(db)
        assert got["pushed"]["rejected"] == 0, got["pushed"]["rejected_events"]


def merchants_of_points(db, member_id) -> dict:
    with db.read() as s:
        return dict(s.execute(select(TillPoints.merchant_code, func.sum(TillPoints.points))
                              .where(TillPoints.member_id == uuid.UUID(member_id))
                              .group_by(TillPoints.merchant_code)).all())


def test_points_stored_value_and_tier_are_each_merchants_own(alliance):
    hq, tills = alliance
    (b1, b2), (m1, m2), (p1, _p2) = tills["bakery"], tills["market"], tills["pharmacy"]
    member = members.register(b1, PHONE, name="王芳")
    r = buy(b1, TOWEL, 48)  # 2,400 yuan less 8 × 30 off: 2,160 — VIP at the bakery (upgrade_spend_fen 200,000)
    net_b = r.totals["net_fen"]
    assert net_b == 216000
    earned_b = r.points["earned"]
    assert earned_b > 0 and members.detail(b1, member.id).tier == "vip"
    topup(b1, member.id, 10000, [Tender("cash", 10000)])
    sync_all(b1, b2, m1, m2, p1)

    # the bakery's second till: the bakery's points, stored value and tier
    d = members.detail(b2, member.id)
    assert (d.points, d.stored_value_fen, d.tier) == (earned_b, 10000, "vip")
    # the supermarket's tills: the card, the shared coins — none of the bakery's points, money or tier
    for db in (m1, m2, p1):
        d = members.detail(db, member.id)
        assert (d.points, d.stored_value_fen, d.tier) == (0, 0, "member"), db.store_code
        with db.read() as s:
            assert s.scalar(select(TillMember.home_merchant).where(TillMember.id == uuid.UUID(member.id))) == "bakery"

    # the same card at the supermarket: its own points, the member pays full price (not the bakery's VIP 98 %)
    r2 = buy(m1, SOAP, 3)
    assert r2.totals["net_fen"] == 3000
    earned_m = r2.points["earned"]
    assert earned_m > 0
    sync_all(m1, m2, b1, b2)
    assert members.detail(m2, member.id).points == earned_m
    assert members.detail(b1, member.id).points == earned_b  # not earned_b + earned_m
    assert merchants_of_points(m2, member.id) == {"market": earned_m}
    assert set(merchants_of_points(b2, member.id)) <= {None, "bakery"}

    # HQ: the master record has every merchant's apart; the rows carry whose they are
    show = json.loads(hq.cli("member", "show", PHONE, "--json").stdout)
    by = {x["merchant"]: x for x in show["by_merchant"]}
    assert (by["bakery"]["points"], by["bakery"]["stored_value_fen"], by["bakery"]["tier"]) == (earned_b, 10000, "vip")
    assert (by["market"]["points"], by["market"]["stored_value_fen"], by["market"]["tier"]) == (earned_m, 0, "member")
    assert show["points"] == earned_b + earned_m  # the alliance-wide sum stays the cache's
    with hq.db.read() as s:
        mid = uuid.UUID(member.id)
        owners = dict(s.execute(select(PointsEntry.store_code, PointsEntry.merchant_code)
                                .where(PointsEntry.member_id == mid)).all())
        assert owners == {"BAK1": "bakery", "MAR1": "market"}
        assert set(s.scalars(select(StoredValueEntry.merchant_code).where(StoredValueEntry.member_id == mid))) \
            == {"bakery"}

    # what the supermarket sees at HQ: its own relationship; the bakery's history in aggregate only
    v = json.loads(hq.cli("member", "show", PHONE, "--merchant", "market", "--json").stdout)
    assert v["consent"] is False and v["personal"] is None and v["home_merchant"] == "bakery"
    assert (v["tier"], v["points"], v["stored_value_fen"]) == ("member", earned_m, 0)
    assert v["history"]["sales"] == 1 and v["history"]["net_fen"] == 3000
    assert [x["store"] for x in v["history"]["recent"]] == ["MAR1"]
    assert v["elsewhere"] == {"merchants": 1, "visits": 1, "net_fen": net_b, "last_visit": v["elsewhere"]["last_visit"]}
    assert "BAK1" not in json.dumps(v)  # no receipt, no store of the other merchant
    vb = json.loads(hq.cli("member", "show", PHONE, "--merchant", "bakery", "--json").stdout)
    assert vb["consent"] is True and vb["personal"]["name"] == "王芳" and vb["tier"] == "vip"
    assert (vb["points"], vb["stored_value_fen"], vb["history"]["net_fen"]) == (earned_b, 10000, net_b)
    assert vb["elsewhere"]["visits"] == 1 and vb["elsewhere"]["net_fen"] == 3000
    text = hq.cli("member", "show", PHONE, "--merchant", "market").stdout
    assert "no consent" in text and "aggregate" in text and "王芳" not in text
    bad = hq.cli("member", "show", PHONE, "--merchant", "nosuch", check=None)
    assert bad.returncode != 0 and "no merchant 'nosuch'" in bad.stderr and "Traceback" not in bad.stderr


def test_hq_holds_a_merchants_own_points_only(alliance):
    """An online points spend asks HQ for a hold: HQ counts the points of the asking store's
    merchant, not the member's across the alliance."""
    from sync.engine import client_for
    from sync.protocol import HoldRequest

    hq, tills = alliance
    (b1, _b2), (m1, _m2), _ = tills["bakery"], tills["market"], tills["pharmacy"]
    show = json.loads(hq.cli("member", "show", PHONE, "--json").stdout)
    member_id = uuid.UUID(show["id"])
    by = {x["merchant"]: x["points"] for x in show["by_merchant"]}
    assert by["bakery"] > by["market"] > 0
    ask = by["market"] + 1  # more than the supermarket's own, far less than the bakery's
    got = client_for(m1).hold(HoldRequest(hold_id=uuid.uuid4(), member_id=member_id, points=ask))
    assert got.status == "refused" and got.reason == "not_enough_points" and got.available_points == by["market"]
    got = client_for(m1).hold(HoldRequest(hold_id=uuid.uuid4(), member_id=member_id, points=by["market"]))
    assert got.status == "held" and got.available_points == 0
    got = client_for(b1).hold(HoldRequest(hold_id=uuid.uuid4(), member_id=member_id, points=ask))
    assert got.status == "held" and got.available_points == by["bakery"] - ask  # the market's hold is not the bakery's
    # the till itself offers what its merchant holds
    with m1.read() as s:
        assert ledger.position(s, member_id).balance == by["market"]


def test_a_registration_folded_at_hq_keeps_each_merchants_points_apart(alliance):
    """The same phone joins at the bakery and, on a supermarket till that has not synced, again:
    HQ folds the second into the first (one member per phone) and moves its points — the
    supermarket's points stay the supermarket's."""
    hq, tills = alliance
    (b1, b2), (m1, m2), _ = tills["bakery"], tills["market"], tills["pharmacy"]
    first = members.register(b1, OTHER, name="赵六")
    r_a = buy(b1, SOAP, 5, member=OTHER)
    sync_all(b1)
    dup = members.register(m2, OTHER, name="赵六")  # m2 has not pulled the bakery's registration
    assert dup.id != first.id
    r_b = buy(m2, TOWEL, 1, member=OTHER)
    sync_all(m2, b1, b2, m1, m2)
    keep = json.loads(hq.cli("member", "show", OTHER, "--json").stdout)
    assert keep["id"] == first.id and [x["id"] for x in keep["merged"]] == [dup.id]
    by = {x["merchant"]: x["points"] for x in keep["by_merchant"]}
    assert by["bakery"] == r_a.points["earned"] and by["market"] == r_b.points["earned"]
    assert members.detail(b2, first.id).points == r_a.points["earned"]
    assert members.detail(m1, first.id).points == r_b.points["earned"]
    with hq.db.read() as s:
        moved = s.execute(select(PointsEntry.kind, PointsEntry.points, PointsEntry.merchant_code).where(
            PointsEntry.member_id == uuid.UUID(first.id), PointsEntry.kind == "merge_in")).all()
        assert [tuple(r) for r in moved] == [("merge_in", r_b.points["earned"], "market")]
