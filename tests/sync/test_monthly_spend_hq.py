"""The monthly-spend bonus chain-wide (HDCRM ≥ 1,000 yuan in a month → 200 points):
a real HQ process and two real tills of one chain. HQ decides — two stores crossing
the threshold together award once, the chain crossing it with no store crossing
alone awards once (from HQ, down to every till), and a return at one store that
drops the chain's month below takes it back (sync/server/monthly_bonus.py)."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select

from pos.loyalty import ledger
from pos.rules import program as pos_program
from pos.rules.pricing import Tender
from pos.services import members, returns
from pos.services.checkout import Checkout
from pos.store import program_store
from pos.store.models import PointsEntry
from sync import engine
from sync.server.models import MemberBalance

from .conftest import TOWEL, make_till, phone

R1000 = "monthly_spend:100000"


def settle(db):
    got = engine.sync_once(db)
    assert got["ok"] and got["pushed"]["rejected"] == 0, got["pushed"]["rejected_events"]
    return got


def hdcrm_till(tmp_path, hq, name):
    db = make_till(tmp_path, hq, name)
    settle(db)  # HQ's program comes down first; then the till runs the shipped HDCRM preset (HQ holds it)
    program_store.install(db, pos_program.preset("hdcrm"), source="test")
    return db


def sell(db, mid, qty=12):
    """12 towels: 600 yuan, 满500享95折 → 570 (less once the member's tier discount applies)."""
    co = Checkout(db)
    co.add(TOWEL, qty)
    co.attach_member_id(mid)
    return co.pay([Tender("cash", co.quote().net_fen)])


def bonus_points(session, mid) -> tuple[int, list[tuple[str, str, int]]]:
    rows = session.execute(select(PointsEntry.store_code, PointsEntry.kind, PointsEntry.points).where(
        PointsEntry.member_id == uuid.UUID(mid), PointsEntry.reason.like("monthly_spend:%"))
        .order_by(PointsEntry.created_at, PointsEntry.id)).all()
    return sum(r[2] for r in rows), [tuple(r) for r in rows]


def agree(hq, tills, mid) -> int:
    """HQ and every till hold the same bonus rows and the same balance; returns the bonus sum."""
    with hq.db.read() as s:
        total, rows = bonus_points(s, mid)
        hq_balance = int(s.scalar(select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
            PointsEntry.member_id == uuid.UUID(mid))))
        assert s.get(MemberBalance, uuid.UUID(mid)).points == hq_balance
    for db in tills:
        with db.read() as s:
            assert bonus_points(s, mid) == (total, rows)
            assert ledger.find_drift(s) == []
            assert ledger.points_balance(s, uuid.UUID(mid)) == hq_balance
    return total


def test_two_stores_crossing_together_award_once(hq, tmp_path):
    a, b = hdcrm_till(tmp_path, hq, "MSA"), hdcrm_till(tmp_path, hq, "MSB")
    try:
        mid = members.register(a, phone()).id
        settle(a)
        settle(b)  # B knows the member now
        # neither till syncs meanwhile: each sees the member reach 1,000 yuan at its own store
        got_a = [sell(a, mid), sell(a, mid)]
        got_b = [sell(b, mid), sell(b, mid)]
        assert got_a[0].points["bonuses"] == [] and got_a[1].points["bonuses"] == [{"rule": R1000, "points": 200}]
        assert got_b[1].points["bonuses"] == [{"rule": R1000, "points": 200}]  # provisional: B could not know
        settle(a)
        settle(b)  # HQ: the second award of the month is taken back
        settle(a)
        assert agree(hq, [a, b], mid) == 200
        with hq.db.read() as s:
            _, rows = bonus_points(s, mid)
        assert [r[1:] for r in rows if r[0] == "HQ"] == [("adjust", -200)]
        with hq.db.read() as s:  # HQ took back the later award, B's, and says which
            taken = s.scalar(select(PointsEntry.reverses_id).where(PointsEntry.member_id == uuid.UUID(mid),
                                                                   PointsEntry.store_code == "HQ"))
            assert s.get(PointsEntry, taken).sale_id == uuid.UUID(got_b[1].sale_id)
        # B takes its crossing sale back: its own award is HQ's taken back already, so B takes nothing
        # back again, and the chain (A's ~1,130 and B's 570) still deserves the one award
        back = returns.return_sale(b, got_b[1].receipt_no)
        assert back.sale.points["bonuses"] == []
        settle(b)
        settle(a)
        assert agree(hq, [a, b], mid) == 200
    finally:
        a.close()
        b.close()


def test_the_chain_crossing_awards_at_hq_and_a_return_elsewhere_takes_it_back(hq, tmp_path):
    a, b = hdcrm_till(tmp_path, hq, "MSC"), hdcrm_till(tmp_path, hq, "MSD")
    try:
        mid = members.register(a, phone()).id
        settle(a)
        settle(b)
        ra, rb = sell(a, mid), sell(b, mid)  # 570 + 570: no store reaches 1,000, the chain does
        assert ra.points["bonuses"] == rb.points["bonuses"] == []
        settle(a)
        settle(b)  # HQ awards: store HQ, down to every till
        settle(a)
        assert agree(hq, [a, b], mid) == 200
        with hq.db.read() as s:
            assert [r for r in bonus_points(s, mid)[1]] == [("HQ", "bonus", 200)]
        # B sells again: its own month is now over 1,000, but the award (pulled from HQ) is in force
        assert sell(b, mid).points["bonuses"] == []
        settle(b)
        settle(a)
        assert agree(hq, [a, b], mid) == 200
        # A takes its sale back: A made no award, so A takes none back; the chain is at ~1,130 still
        back = returns.return_sale(a, ra.receipt_no)
        assert back.sale.points["bonuses"] == []
        settle(a)
        settle(b)
        assert agree(hq, [a, b], mid) == 200
        # B takes back both of its sales: the chain's month is at 0, HQ takes the award back
        for receipt in [rb.receipt_no, _last_sale(b)]:
            returns.return_sale(b, receipt)
        settle(b)
        settle(a)
        assert agree(hq, [a, b], mid) == 0
    finally:
        a.close()
        b.close()


def _last_sale(db) -> str:
    from pos.store.models import Sale

    with db.read() as s:
        return s.scalar(select(Sale.receipt_no).where(Sale.kind == "sale").order_by(Sale.created_at.desc()).limit(1))


def test_one_event_per_batch_still_awards_once(hq, tmp_path):
    """A till with a backlog sends a sale and its ledger rows in different batches: the sale's
    record is the fact HQ counts, so the order the rows come in changes nothing."""
    a, b = hdcrm_till(tmp_path, hq, "MSE"), hdcrm_till(tmp_path, hq, "MSF")
    try:
        mid = members.register(a, phone()).id
        settle(a)
        settle(b)
        assert sell(a, mid).points["bonuses"] == [] and sell(a, mid).points["bonuses"] != []
        assert sell(b, mid).points["bonuses"] == [] and sell(b, mid).points["bonuses"] != []
        settle(a)
        client = engine.client_for(b)
        try:
            got = engine.push(b, client, batch=1)
            assert got["rejected"] == 0 and got["batches"] >= 4
            engine.pull(b, client)
        finally:
            client.close()
        settle(a)
        assert agree(hq, [a, b], mid) == 200
    finally:
        a.close()
        b.close()
