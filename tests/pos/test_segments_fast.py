"""The fast segments (pos/analytics/buyers.py: one scan on two connections, the
members whose plain sums are wrong put in as corrections) give exactly the figures
of the reference SQL (`segments.segmentation_reference`, `churn_watch_reference`):
on a random history with every kind of member the corrections exist for — sales
cancelled by one full return or by partial returns, a partial return that cancels
nothing, a member whose only sale was cancelled, merged duplicates (both with
history, the survivor without), an erased member, a member registered after the
date with a sale before it (imported history) — at several dates, both rules,
other ABC shares, and with the range of member ids cut into one chunk or many.
Real SQLite file; members through `members.register`, `members.merge` and
`privacy.erase`; tickets inserted directly (as tests/pos/test_segments.py does)."""
from __future__ import annotations

import datetime as dt
import random
import uuid

import pytest

from pos.analytics import buyers, segments
from pos.rules import program
from pos.services import members, privacy
from pos.store import program_store
from pos.store.models import Member, Sale, SaleLine  # noqa: F401

AS_OF = dt.date(2026, 11, 23)
_seq = iter(range(1, 10**6))


def ticket(s, db, mid, day: dt.date, net: int, qty: int = 1, kind: str = "sale", original=None):
    when = db.clock.start_of_day(day) + dt.timedelta(hours=12)
    sale = Sale(id=uuid.uuid4(), receipt_no=f"F-{next(_seq):06d}", kind=kind, store_code="S001", register_no="01",
                business_date=day, created_at=when, member_id=mid, original_sale_id=original, gross_fen=net,
                net_fen=net, paid_fen=net, spend_fen=net, units=qty)
    s.add(sale)
    s.flush()
    s.add(SaleLine(id=uuid.uuid4(), sale_id=sale.id, line_no=1, code="X", name="x", category="c", points_class="regular",
                   qty=qty, unit_fen=abs(net), gross_fen=net, net_fen=net))
    s.flush()
    return sale


@pytest.fixture
def history(db, clock):
    """120 members with random histories over two years, and the odd ones."""
    program_store.install(db, program.preset("vancl"))
    rng = random.Random(20)
    clock.set(dt.datetime(2024, 11, 1, 9, 0))
    ids = [members.register(db, f"1390020{i:04d}").id for i in range(120)]
    with db.transaction() as s:
        for mid in ids[1:]:
            for _ in range(rng.choice([0, 1, 1, 1, 2, 3, 5, 8])):
                day = AS_OF - dt.timedelta(days=rng.randrange(0, 700))
                qty = rng.choice([1, 1, 2, 3])
                net = rng.choice([990, 1000, 2500, 4000, 9900, 12000, 30000])  # ties on purpose
                sale = ticket(s, db, uuid.UUID(mid), day, net, qty)
                roll = rng.random()
                back = day + dt.timedelta(days=rng.randrange(0, 20))
                if roll < 0.08:  # taken back in full
                    ticket(s, db, uuid.UUID(mid), back, -net, -qty, "return", sale.id)
                elif roll < 0.14 and qty > 1:  # partial returns; together they take everything back
                    ticket(s, db, uuid.UUID(mid), back, -(net // 2), -1, "return", sale.id)
                    ticket(s, db, uuid.UUID(mid), back + dt.timedelta(days=1), -(net - net // 2), -(qty - 1), "return",
                           sale.id)
                elif roll < 0.2 and qty > 1:  # a partial return: the visit stands
                    ticket(s, db, uuid.UUID(mid), back, -(net // qty), -1, "return", sale.id)
        sale = ticket(s, db, uuid.UUID(ids[0]), AS_OF - dt.timedelta(days=3), 5000)  # one sale, cancelled
        ticket(s, db, uuid.UUID(ids[0]), AS_OF - dt.timedelta(days=2), -5000, -1, "return", sale.id)
    clock.set(dt.datetime(2026, 11, 23, 10, 0))
    return db, ids


def late_member(db, clock, phone: str, sale_day: dt.date) -> str:
    """Registered after AS_OF with a sale before it (history imported from the old system)."""
    clock.set(dt.datetime(2026, 12, 20, 10, 0))
    mid = members.register(db, phone).id
    with db.transaction() as s:
        ticket(s, db, uuid.UUID(mid), sale_day, 7000)
    clock.set(dt.datetime(2026, 11, 23, 10, 0))
    return mid


def same(db, as_of=AS_OF, **kw) -> None:
    for rule in ("buyers", "distinct"):
        fast = segments.segmentation(db, as_of, rule=rule, **kw).as_dict()
        ref = segments.segmentation_reference(db, as_of, rule=rule, **kw).as_dict()
        assert fast == ref, rule
    for days, tier, limit in ((90, None, 1000), (180, "vip", 1000), (365, None, 7), (90, None, None), (30, "member", 3)):
        fast = segments.churn_watch(db, as_of, days, tier=tier, limit=limit).as_dict()
        ref = segments.churn_watch_reference(db, as_of, days, tier=tier, limit=limit).as_dict()
        assert fast == ref, (days, tier, limit)
    with buyers.shared():  # one table of buyers for both, as the reports screen reads them
        sg = segments.segmentation(db, as_of)
        cl = segments.churn_watch(db, as_of, 180, tier="vip", limit=1000)
    assert sg.as_dict() == segments.segmentation_reference(db, as_of).as_dict()
    assert cl.as_dict() == segments.churn_watch_reference(db, as_of, 180, tier="vip", limit=1000).as_dict()


@pytest.mark.parametrize("chunks", [1, 32])
def test_fast_segments_equal_the_reference_sql(history, chunks, monkeypatch):
    db, _ids = history
    monkeypatch.setattr(buyers, "CHUNKS", chunks)
    sg = segments.segmentation(db, AS_OF)
    assert sg.buyers > 60 and sg.zombies > 10  # the history is what it says
    with buyers.BuyerTable(db, segments._params(db, AS_OF)["hi"]) as bt:
        assert bt.corrections > 10 and not bt.fold  # cancellations: corrected, not a join per member
    for as_of in (AS_OF, AS_OF - dt.timedelta(days=200), dt.date(2025, 1, 15)):
        same(db, as_of)


def test_fast_segments_equal_the_reference_with_merged_erased_and_late_members(history, clock):
    db, ids = history
    members.merge(db, ids[5], ids[6], actor="M01")  # both with history (or not: random)
    members.merge(db, ids[7], ids[8], actor="M01")
    clock.set(dt.datetime(2026, 11, 23, 10, 0))
    privacy.erase(db, ids[9], actor="M01")
    late_member(db, clock, "13900299999", AS_OF - dt.timedelta(days=40))
    with db.read() as s:
        assert s.get(Member, uuid.UUID(ids[6])).status == "merged"
    with buyers.BuyerTable(db, segments._params(db, AS_OF)["hi"]) as bt:
        assert bt.fold
    same(db)
    same(db, AS_OF - dt.timedelta(days=100))
    same(db, AS_OF, program=program.preset("vancl"))


def test_fast_segments_with_other_shares_and_before_any_sale(history):
    store, _ids = history
    doc = program.preset("vancl").model_copy(update={
        "segments": program.Segments(abc_shares=program.AbcShares(a=40, b=10, c=10, d=40))})
    for rule in ("buyers", "distinct"):
        assert (segments.segmentation(store, AS_OF, rule=rule, program=doc).as_dict()
                == segments.segmentation_reference(store, AS_OF, rule=rule, program=doc).as_dict())
    same(store, dt.date(2023, 1, 1))  # before any sale: no buyers at all
