"""Issue 17, slice 2: shopping coins (购物币) across an alliance. A real HQ process with three
merchants (bakery 3 coins per yuan, supermarket 1, pharmacy 0) and two tills each: a
member joins at the bakery and earns coins there, spends them at the supermarket online
and offline, returns a sale (coins back to the bakery's lot, the supermarket's earned
coins taken back); every entry records its issuer and redeemer and which lots paid; every
till and HQ agree on the balance (SQLite; PostgreSQL with HQ_TEST_DATABASE_URL)."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from pos.errors import DomainError
from pos.rules.pricing import Tender
from pos.services import coin_sales, members, returns
from pos.services.checkout import Checkout
from pos.store import program_store
from pos.store.coin_models import CoinEntry as TillCoinEntry
from sync import engine
from sync.server.alliance_models import CoinAllocation, CoinEntry

from .alliance_support import running_alliance
from .conftest import SOAP, TOWEL, offline

PHONE = "13900001111"


@pytest.fixture(scope="module")
def alliance(tmp_path_factory):
    with running_alliance(tmp_path_factory.mktemp("alliance")) as got:
        yield got


def buy(db, code: str, qty: int = 1, coins_fen: int = 0, member: str | None = PHONE):
    co = Checkout(db)
    co.add(code, qty)
    if member:
        co.attach_member(member)
    due = co.quote().net_fen
    tenders = ([Tender("coins", coins_fen)] if coins_fen else []) + [Tender("cash", due - coins_fen)]
    return co.pay(tenders, lang="en")


def till_coins(db, member_id) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.coalesce(func.sum(TillCoinEntry.coins), 0))
                            .where(TillCoinEntry.member_id == uuid.UUID(str(member_id)))))


def test_one_card_coins_earned_at_the_bakery_spent_at_the_supermarket(alliance):
    hq, tills = alliance
    (b1, b2), (m1, m2), (p1, p2) = tills["bakery"], tills["market"], tills["pharmacy"]
    assert [program_store.active(db).version for db in (b1, m1, p1)] == ["bakery-1", "market-1", "pharmacy-1"]
    member = members.register(b1, PHONE, name="李梅")
    r = buy(b1, TOWEL, 4)  # 200 yuan at the bakery, 3 coins a yuan
    assert r.totals["net_fen"] == 20000 and r.coins["earned"] == 600 and r.coins["spent"] == 0
    engine.sync_once(b1)
    for db in (m1, m2, p1, b2):
        engine.sync_once(db)
        assert coin_sales.member_coins(db, member.id)["balance"] == 600
    # one card: the supermarket's till knows the member (the card, the code) but not their name
    assert members.detail(m1, member.id).name in (None, "")
    assert members.detail(b2, member.id).name == "李梅"

    # online at the supermarket: 3.00 yuan in coins, the rest cash; 1 coin a yuan on what cash paid
    r = buy(m1, TOWEL, coins_fen=300)
    assert r.coins == {"earned": 47, "spent": 300, "spent_fen": 300, "value_fen": 1, "balance_after": 347,
                       "provisional": True}
    assert {"tender": "coins", "amount_fen": 300, "tendered_fen": 300} in r.payments
    towel_sale = r.receipt_no
    engine.sync_once(m1)

    # offline at the second supermarket till: bounded by what it knows, at most half the sale
    with offline(m2):
        with pytest.raises(DomainError) as exc:
            buy(m2, SOAP, coins_fen=600)
        assert exc.value.code == "coins.cap" and "at most 50% of this sale (5.00 yuan)" in exc.value.message("en")
        r = buy(m2, SOAP, coins_fen=200)
        assert r.coins["spent"] == 200 and r.coins["earned"] == 8 and r.coins["provisional"]
        with pytest.raises(DomainError) as exc:
            buy(m2, TOWEL, 2, coins_fen=5000)
        assert exc.value.code == "coins.short"
    with pytest.raises(DomainError) as exc:
        buy(m1, SOAP, coins_fen=100, member=None)
    assert exc.value.code == "coins.member"

    # a return at the supermarket: its coin tender back to the bakery's lot, its earned coins taken back
    ret = returns.return_sale(m1, towel_sale)
    assert ret.sale.coins == {"refunded": 300, "taken_back": 47, "balance_after": 600}  # MAR2's spend not here yet
    for db in (m1, m2, b1, b2, p1, p2, m1, m2):
        got = engine.sync_once(db)
        assert got["pushed"]["rejected"] == 0, got["pushed"]["rejected_events"]
    final = 600 + 47 - 300 - 200 + 8 + 300 - 47
    assert final == 408
    for db in (b1, b2, m1, m2, p1, p2):
        assert till_coins(db, member.id) == final, db.store_code
    with hq.db.read() as s:
        rows = s.execute(select(CoinEntry.kind, CoinEntry.coins, CoinEntry.merchant_code, CoinEntry.store_code)
                         .where(CoinEntry.member_id == uuid.UUID(member.id)).order_by(CoinEntry.created_at)).all()
        assert sorted(tuple(r) for r in rows) == sorted([
            ("earn", 600, "bakery", "BAK1"), ("earn", 47, "market", "MAR1"), ("spend", -300, "market", "MAR1"),
            ("earn", 8, "market", "MAR2"), ("spend", -200, "market", "MAR2"),
            ("refund", 300, "market", "MAR1"), ("reverse", -47, "market", "MAR1")])
        # which lots (issuers) paid each spend: the bakery's lot, expiring first; the refund gave it back
        lot = s.scalar(select(CoinEntry).where(CoinEntry.kind == "earn", CoinEntry.merchant_code == "bakery"))
        paid = s.execute(select(CoinEntry.kind, CoinEntry.store_code, CoinAllocation.coins)
                         .join(CoinEntry, CoinEntry.id == CoinAllocation.debit_id)
                         .where(CoinAllocation.lot_id == lot.id).order_by(CoinEntry.created_at)).all()
        assert [tuple(p) for p in paid] == [("spend", "MAR1", 300), ("spend", "MAR2", 200), ("refund", "MAR1", -300)]
        assert int(s.scalar(select(func.sum(CoinEntry.coins)).where(CoinEntry.member_id == uuid.UUID(member.id)))) \
            == final

    # an alliance coupon paid for by the pharmacy, taken at the supermarket (cross-merchant recruitment)
    import datetime as dt
    import json

    c = json.loads(hq.cli("alliance", "coupon", PHONE, "--template", "welcome-10", "--funded-by", "pharmacy",
                          "--json").stdout)
    assert c["funded_by"] == "pharmacy" and c["merchants"] == ["bakery", "market", "pharmacy"]
    engine.sync_once(m1)
    co = Checkout(m1)
    co.add(TOWEL)
    co.attach_member(PHONE)
    co.add_coupon(c["code"])
    due = co.quote().net_fen
    assert due == 4000
    co.pay([Tender("cash", due)])
    engine.sync_once(m1)

    # the month's settlement, worked by hand: the bakery's coins redeemed at the supermarket,
    # 300 + 200 − 300 (the return) = 200 coins × 1 fen, fee 2% = 4 fen paid by the bakery;
    # the pharmacy's coupon taken at the supermarket, 10.00 yuan, fee 20 fen paid by the pharmacy

    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    first = today.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    got = json.loads(hq.cli("alliance", "settle", "--from", first.isoformat(), "--to", last.isoformat(),
                            "--json").stdout)
    assert [(p["debtor"], p["creditor"], p["coins_fen"], p["coupons_fen"], p["fee_fen"]) for p in got["pairs"]] == \
        [("bakery", "market", 200, 0, 4), ("pharmacy", "market", 0, 1000, 20)]
    nets = {m: b["net_fen"] for m, b in got["merchants"].items()}
    assert nets == {"ALLIANCE": 24, "bakery": -204, "main": 0, "market": 1200, "pharmacy": -1020}
    assert got["merchants"]["market"]["own_redemptions_fen"] == 0 and got["rows"] == 4
    again = hq.cli("alliance", "settle", "--from", first.isoformat(), "--to", last.isoformat()).stdout
    assert "(closed before)" in again and "bakery owes market: 2.00 yuan" in again
    st_ = json.loads(hq.cli("alliance", "statement", "market", "--from", first.isoformat(), "--to", last.isoformat(),
                            "--json").stdout)
    assert st_["periods"][0]["account"]["net_fen"] == 1200
    assert [(e["kind"], e["store"], e["amount_fen"]) for e in st_["periods"][0]["entries"]] == [
        ("coins_spend", "MAR1", 300), ("coins_spend", "MAR2", 200), ("coins_refund", "MAR1", -300),
        ("coupon", "MAR1", 1000)]
