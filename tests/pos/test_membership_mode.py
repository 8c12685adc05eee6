"""Qualified membership (SPEC §1): `membership.mode` threshold / card, and the upgrade card
(`tiers.upgrade_by_card`), at the checkout of a real store (pos/services/membership_mode.py).

Vancl rates (its 满300减30 left out of the mode variants): regular 2 points per yuan; the
VIP tier pays 98 % and earns ×1.5.

Worked example, threshold 300 yuan: a member who bought 120 yuan before (earning nothing:
not yet a member) scans 100 yuan (running 220), then 150 yuan (370: the crossing line),
then socks at 50 yuan (member price 40): only the socks get the member price and points
— 40 yuan × 2 = 80 points."""
from __future__ import annotations

import copy
import json
import uuid

import pytest
from sqlalchemy import select

from pos.demo.store import ean13
from pos.errors import DomainError
from pos.rules import program
from pos.rules.pricing import Item, MemberCtx, PriceRequest, price
from pos.services import members, membership_mode, returns, sale_event
from pos.services.catalog import import_csv
from pos.services.checkout import Checkout, Tender
from pos.store import program_store
from pos.store.models import Member, OutboxEvent, TierChange

TEE, SHIRT, SOCKS, TOWEL = (ean13(f"69077700002{n}") for n in range(4))
CARD, UPCARD = ean13("690777000030"), ean13("690777000031")
CATALOG = f"""barcode,name,category,price_fen,member_price_fen,kind
{TEE},T恤,服装,10000,,regular
{SHIRT},衬衫,服装,15000,,regular
{SOCKS},袜子,服装,5000,4000,regular
{TOWEL},毛巾,日用,12000,,regular
{CARD},会员卡,卡,1,,none
{UPCARD},VIP升级卡,卡,1,,none
"""
RAW = json.loads((program.PRESETS / "vancl.json").read_text(encoding="utf-8"))


def variant(version: str, **membership) -> program.ProgramDoc:
    data = copy.deepcopy(RAW)
    data["version"] = version
    data["membership"].update(membership)
    data["promotions"] = []  # Vancl's 满300减30 aside: the worked numbers are the membership's
    return program.parse(data)


THRESHOLD = variant("vancl-threshold", mode="threshold", threshold_fen=30000)
CARDMODE = variant("vancl-card", mode="card", card_price_fen=2000, card_product=CARD)


def with_upgrade_card() -> program.ProgramDoc:
    data = copy.deepcopy(RAW)
    data["version"] = "vancl-upcard"
    data["tiers"]["upgrade_by_card"] = {"price_fen": 9900, "to": "vip", "product": UPCARD}
    return program.parse(data)


@pytest.fixture
def store(db, tmp_path):
    (tmp_path / "c.csv").write_text(CATALOG, encoding="utf-8")
    assert import_csv(db, tmp_path / "c.csv").ok
    return db


def basket(db, mid, *codes):
    co = Checkout(db)
    if mid:
        co.attach_member_id(mid)
    for c in codes:
        co.add(c)
    return co


def pay(co):
    return co.pay([Tender("cash", co.quote().net_fen)])


def test_threshold_benefits_from_the_line_after_the_crossing(store):
    program_store.install(store, THRESHOLD)
    mid = members.register(store, "13900139300").id
    first = pay(basket(store, mid, TOWEL))  # 120 yuan: not yet a member, earns nothing
    assert first.points["earned"] == 0
    co = basket(store, mid, TEE, SHIRT, SOCKS)
    q = co.quote()
    assert [ln.net_fen for ln in q.lines] == [10000, 15000, 4000]  # only the socks at the member price
    assert [ln.points for ln in q.lines] == [0, 0, 80] and q.points_earned == 80
    r = pay(co)
    assert r.points["earned"] == 80
    with store.read() as s:  # the event carries where the benefits started: HQ re-prices the same
        ev = s.scalars(select(OutboxEvent).where(OutboxEvent.kind == "sale.committed")).all()[-1].payload
    assert ev["sale"]["pricing"]["member"]["benefits_from"] == 2
    again = sale_event.reprice(ev["sale"], THRESHOLD)
    assert again.equal
    nxt = basket(store, mid, SOCKS, TEE).quote()  # active now: every line
    assert [ln.points for ln in nxt.lines] == [80, 200]


def test_threshold_crossed_on_the_last_line_gives_nothing_in_that_sale(store):
    program_store.install(store, THRESHOLD)
    mid = members.register(store, "13900139301").id
    q = basket(store, mid, SOCKS, TEE, SHIRT).quote()  # 50, 150, 300: the shirt crosses, nothing after it
    assert q.points_earned == 0 and q.lines[0].net_fen == 5000
    with store.read() as s:
        assert not membership_mode.qualified(s, THRESHOLD, uuid.UUID(mid))


def test_a_return_below_the_threshold_makes_the_member_inactive_again(store):
    program_store.install(store, THRESHOLD)
    mid = members.register(store, "13900139302").id
    sale = pay(basket(store, mid, SHIRT, SHIRT))  # 300 yuan: active from now on
    with store.read() as s:
        assert membership_mode.qualified(s, THRESHOLD, uuid.UUID(mid))
    returns.return_sale(store, sale.receipt_no, {SHIRT: 1})  # completed spend 150: below 300
    with store.read() as s:
        assert not membership_mode.qualified(s, THRESHOLD, uuid.UUID(mid))
    assert basket(store, mid, SOCKS).quote().points_earned == 0


def test_card_mode_buying_the_card_applies_to_the_same_sale(store):
    program_store.install(store, CARDMODE)
    mid = members.register(store, "13900139303").id
    assert basket(store, mid, SOCKS).quote().points_earned == 0  # no card: not a member yet
    co = basket(store, mid, SOCKS, CARD)
    q = co.quote()
    card = q.lines[1]
    assert (card.gross_fen, card.net_fen, card.points) == (2000, 2000, 0)  # the program's card price, earns nothing
    assert q.lines[0].net_fen == 4000 and q.lines[0].points == 80  # the member price at once
    pay(co)
    assert basket(store, mid, TEE).quote().points_earned == 200  # a member from then on


def test_a_card_is_sold_to_a_member(store):
    program_store.install(store, CARDMODE)
    co = basket(store, None, CARD)
    with pytest.raises(DomainError) as e:
        pay(co)
    assert e.value.code == "sale.card_needs_member" and "member" in e.value.message("en")


def test_returning_the_card_ends_the_membership(store):
    program_store.install(store, CARDMODE)
    mid = members.register(store, "13900139304").id
    sale = pay(basket(store, mid, CARD))
    assert basket(store, mid, TEE).quote().points_earned == 200
    returns.return_sale(store, sale.receipt_no)
    assert basket(store, mid, TEE).quote().points_earned == 0


def test_open_mode_changes_nothing(store):
    program_store.install(store, program.preset("vancl"))
    mid = members.register(store, "13900139305").id
    assert [ln.points for ln in basket(store, mid, TEE, SOCKS).quote().lines] == [200, 80]


def test_upgrade_card_prices_the_sale_at_the_tier_and_lifts_it(store):
    doc = with_upgrade_card()
    program_store.install(store, doc)
    mid = members.register(store, "13900139306").id
    co = basket(store, mid, TEE, UPCARD)
    q = co.quote()
    assert q.tier == "vip" and q.lines[0].net_fen == 9800  # 98 % at once
    assert q.lines[0].points == 294  # 98 yuan × 2 × 1.5
    assert (q.lines[1].net_fen, q.lines[1].points) == (9900, 0)  # the card: its price, no discount, no points
    r = pay(co)
    assert (r.member["tier_before"], r.member["tier_after"]) == ("member", "vip")
    with store.read() as s:
        assert s.get(Member, uuid.UUID(mid)).tier_code == "vip"
        change = s.scalar(select(TierChange).where(TierChange.member_id == uuid.UUID(mid)))
        assert (change.reason, str(change.sale_id)) == ("card", r.sale_id)
    # a VIP already: the card lifts nothing
    q2 = basket(store, mid, TEE, UPCARD).quote()
    assert q2.tier == "vip"
    # returning the upgrade card takes the tier it gave back
    back = returns.return_sale(store, r.receipt_no, {UPCARD: 1})
    assert back.plan.tier_reverted_to == "member"
    with store.read() as s:
        assert s.get(Member, uuid.UUID(mid)).tier_code == "member"


def test_members_only_promotions_wait_for_an_active_member():
    data = copy.deepcopy(RAW)
    data["promotions"] = [{"code": "m-10", "name": {"zh": "会员满100减10", "en": "Members 10 off 100"},
                           "kind": "full_reduction", "threshold_fen": 10000, "off_fen": 1000, "members_only": True}]
    doc = program.parse(data)
    items = (Item("a", "A", "服装", 1, 10000),)
    inactive = price(PriceRequest(items=items, member=MemberCtx(id="m", tier="member", benefits_from=1)), doc)
    active = price(PriceRequest(items=items, member=MemberCtx(id="m", tier="member")), doc)
    assert (inactive.promotions, inactive.net_fen) == ([], 10000)
    assert (active.promotions, active.net_fen) == (["m-10"], 9000)


def test_engine_benefits_from_is_pure_and_round_trips():
    doc = program.preset("vancl")
    items = (Item("a", "A", "服装", 1, 10000), Item("b", "B", "服装", 1, 5000, member_unit_fen=4000))
    req = PriceRequest(items=items, member=MemberCtx(id="m", tier="member", benefits_from=1))
    q = price(req, doc)
    assert [(ln.net_fen, ln.points) for ln in q.lines] == [(10000, 0), (4000, 80)]
    back = sale_event.request_from(sale_event.request_dict(req))
    assert back.member.benefits_from == 1
    plain = sale_event.request_dict(PriceRequest(items=items, member=MemberCtx(id="m", tier="member")))
    assert "benefits_from" not in plain["member"]  # events of open programs as before


def test_schema_card_fields_keep_old_documents_valid():
    old = program.preset("hdcrm")
    assert old.tiers.upgrade_by_card.product is None
    assert "product" not in program.to_json(old)["tiers"]["upgrade_by_card"]
    assert "card_product" not in program.to_json(old)["membership"]
    assert program.parse(program.to_json(CARDMODE)) == CARDMODE


def test_the_member_panel_says_what_activation_still_needs(store):
    from pos.services import member_view

    program_store.install(store, THRESHOLD)
    mid = members.register(store, "13900139307").id
    pay(basket(store, mid, TOWEL))  # 120 of 300 yuan
    p = member_view.panel(store, THRESHOLD, mid, with_suggestions=False)
    assert (p.inactive, p.to_activate_fen) == ("threshold", 18000)
    pay(basket(store, mid, TOWEL, TOWEL))
    p = member_view.panel(store, THRESHOLD, mid, with_suggestions=False)
    assert (p.inactive, p.to_activate_fen) == (None, None)
    assert member_view.panel(store, CARDMODE, mid, with_suggestions=False).inactive == "card"
    assert member_view.panel(store, program.preset("vancl"), mid, with_suggestions=False).inactive is None
