"""Issue 12 §2 with a real HQ process and two real tills: after both tills spent
their offline cap for one member, nobody — neither till nor HQ's hold — may
offer more points than the balance; what the double-spent lots could not pay
is debt, settled by the next credit."""
from __future__ import annotations

import json
import uuid

import pytest

from pos.loyalty import ledger
from pos.services import members
from pos.store import program_store
from pos.errors import DomainError
from pos.services.member_view import panel
from sync import engine
from pos.services.spending import offline_limit
from sync.protocol import HoldRequest
from sync.server.common import now_utc

from .conftest import TOWEL, offline, phone, run_main
from .test_sync import assert_all_agree, sell, settle


def till_view(db, member_id: uuid.UUID) -> tuple[int, int]:
    """(balance, spendable) as the till's member panel shows them."""
    p = panel(db, program_store.active(db), str(member_id), with_suggestions=False)
    return p.points, p.points_available


def hq_view(hq, member_id: uuid.UUID) -> tuple[int, int]:
    with hq.db.read() as s:
        return ledger.points_balance(s, member_id), ledger.available_points(s, member_id, now_utc())


def hold(db, member_id: uuid.UUID, points: int):
    c = engine.client_for(db, retries=0)
    try:
        return c.hold(HoldRequest(hold_id=uuid.uuid4(), member_id=member_id, points=points), timeout=10)
    finally:
        c.close()


def test_two_tills_spend_one_balance_offline_then_nobody_offers_more_than_the_balance(hq, two_tills):
    a, b = two_tills
    m = phone()
    mid = uuid.UUID(members.register(a, m).id)
    r0 = sell(a, m, TOWEL, 30)  # some 3,000 points
    settle(a, b)
    cap = program_store.active(a).redemption.offline_cap_points
    assert r0.points["earned"] < 2 * cap  # the two caps together exceed the balance
    with offline(a), offline(b):  # both spend their whole offline cap of the same lots
        sell(a, m, TOWEL, 2, redeem=cap)
        sell(b, m, TOWEL, 2, redeem=cap)
    settle(a, b)
    assert_all_agree(hq, a, b)
    balance, spendable = hq_view(hq, mid)
    assert balance < 0  # the found case: −817, yet 1,149 "available"
    assert spendable == balance  # nothing: the member owes
    for db in (a, b):
        assert till_view(db, mid) == (balance, balance)
        assert offline_limit(db, mid)[0] == 0
        with db.read() as s:  # the double-spent part is explicit debt: balance = lots − debt
            lots, debts = ledger.open_lots(s, mid), ledger.open_debts(s, mid)
            assert sum(x.remaining for x in lots) - sum(d.unpaid for d in debts) == balance
    got = hold(a, mid, 1)  # HQ's own hold refuses what the balance cannot cover
    assert got.status == "refused" and got.reason == "not_enough_points" and got.available_points == balance
    r = sell(b, m, TOWEL, 2, redeem=2100)  # online: nothing to redeem, whatever the lots say
    assert r.points["redeemed"] == 0
    balance += r.points["earned"]

    # the next credit settles the debt first; only the rest is spendable, never more
    r1 = sell(a, m, TOWEL, 15)
    settle(a, b)
    assert_all_agree(hq, a, b)
    balance2, spendable2 = hq_view(hq, mid)
    assert balance2 == balance + r1.points["earned"] > 0
    assert spendable2 == balance2
    for db in (a, b):
        assert till_view(db, mid) == (balance2, balance2)
        with db.read() as s:
            assert ledger.open_debts(s, mid) == []
    got = hold(b, mid, balance2 + 1)
    assert got.status == "refused" and got.available_points == balance2
    r2 = sell(b, m, TOWEL, 2, redeem=2100)  # the found case: 2,100 redeemed online at a balance of 444
    assert 0 < r2.points["redeemed"] <= balance2  # in the program's steps, up to what the balance covers
    left = balance2 - r2.points["redeemed"] + r2.points["earned"]
    assert r2.points["balance_after"] == left
    settle(b, a)
    assert_all_agree(hq, a, b)
    assert hq_view(hq, mid) == (left, left)
    out = run_main("ledger", "verify", "--json", db=b.path)
    assert json.loads(out.stdout)["ok"]
