"""A till restored from a backup gets back from a real HQ what HQ had, and nothing
is counted twice (issue 19 item 1)."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select

from pos.loyalty import ledger
from pos.services import members
from pos.store import backup as bk
from pos.store.database import open_db
from pos.store.models import PointsEntry
from sync import engine
from sync.server.models import MemberBalance
from sync.server.models import PointsEntry as HQPointsEntry

from .conftest import TOWEL, make_till, phone, run_main
from .test_sync import hq_state, sell, till_sums


def test_restore_then_sync_brings_back_what_hq_had_and_doubles_nothing(hq, tmp_path):
    db = make_till(tmp_path, hq, "R")
    path = db.path
    m = members.register(db, phone())
    sell(db, m.member_code, TOWEL, 2)
    assert engine.sync_once(db)["ok"]
    unsent = sell(db, m.member_code, TOWEL, 1)  # in the backup as pending events; HQ gets them after the backup
    copy = bk.backup(db, to=tmp_path / "copies")
    lost = sell(db, m.member_code, TOWEL, 3, redeem=100)  # made after the backup: only HQ will have it
    got = engine.sync_once(db)
    assert got["pushed"]["rejected"] == 0
    hq_entries, hq_cache = hq_state(hq)
    with hq.db.read() as s:
        hq_points = s.get(MemberBalance, uuid.UUID(m.id)).points
    with db.read() as s:
        till_points = ledger.points_balance(s, uuid.UUID(m.id))
    assert hq_points == till_points > 0
    db.close()

    # the disk dies; the till is restored from its last backup
    r = run_main("restore", copy["file"], "--db", str(path), "--json")
    assert '"resync": true' in r.stdout
    db = open_db(path)
    try:
        with db.read() as s:
            assert ledger.points_balance(s, uuid.UUID(m.id)) < hq_points  # the backup lacks the last sale
            assert not s.scalars(select(PointsEntry).where(PointsEntry.sale_id == uuid.UUID(lost.sale_id))).all()
        assert db.settings[bk.RESYNC_KEY] is True and db.settings.get("sync.cursor") is None
        got = engine.sync_once(db)
        assert got["ok"] and got["pushed"]["rejected"] == 0
        assert got["pushed"]["duplicate"] >= 1  # the backup's pending events: HQ had them already
        assert got["pulled"].get("resynced_own") is True and db.settings[bk.RESYNC_KEY] is False
        with db.read() as s:
            back = s.scalars(select(PointsEntry).where(PointsEntry.sale_id == uuid.UUID(lost.sale_id))).all()
            assert sorted(e.kind for e in back) == ["earn", "redeem"]  # the sale HQ had is back
            assert ledger.points_balance(s, uuid.UUID(m.id)) == hq_points
            assert s.scalar(select(func.count()).select_from(PointsEntry).where(
                PointsEntry.sale_id == uuid.UUID(unsent.sale_id))) >= 1
        assert till_sums(db) == {k: v for k, v in hq_state(hq)[0].items() if k in till_sums(db)}
        assert hq_state(hq) == (hq_entries, hq_cache)  # HQ counted nothing twice
        with hq.db.read() as s:
            hq_rows = s.scalar(select(func.count()).select_from(HQPointsEntry).where(HQPointsEntry.member_id == uuid.UUID(m.id)))
        with db.read() as s:
            assert s.scalar(select(func.count()).select_from(PointsEntry).where(PointsEntry.member_id == uuid.UUID(m.id))) == hq_rows
        # and the till sells on: the next sale's points meet HQ's
        sell(db, m.member_code, TOWEL, 1)
        assert engine.sync_once(db)["pushed"]["rejected"] == 0
        with db.read() as s, hq.db.read() as h:
            assert ledger.points_balance(s, uuid.UUID(m.id)) == h.get(MemberBalance, uuid.UUID(m.id)).points
    finally:
        db.close()


def _rows(db, sale_ids) -> dict[str, tuple]:
    """Each sale's own rows as stored (sale, lines, payments), to compare before and after."""
    from pos.store import sale_record

    with db.read() as s:
        out = {}
        for sid in sale_ids:
            rec = sale_record.dump(s, sid)
            out[sid] = None if rec is None else (rec["sale"], rec["lines"], rec["payments"], rec["coupon_uses"])
        return out


def test_restore_then_sync_brings_back_the_sales_and_the_receipt_counter(hq, tmp_path):
    from pos.services import returns
    from pos.rules.pricing import Tender
    from pos.services.checkout import sale_by_receipt, topup
    from pos.store.models import ReceiptCounter, Sale
    from sync.server.models import Sale as HQSale

    db = make_till(tmp_path, hq, "S")
    other = make_till(tmp_path, hq, "O")
    path = db.path
    m = members.register(db, phone())
    sell(db, m.member_code, TOWEL, 2)
    assert engine.sync_once(db)["ok"]
    copy = bk.backup(db, to=tmp_path / "copies")
    # made after the backup: HQ has them, the backup does not
    lost = [sell(db, m.member_code, TOWEL, 3, redeem=100), sell(db, None, TOWEL, 1), sell(db, None, TOWEL, 2)]
    back = returns.return_sale(db, lost[2].receipt_no, {TOWEL: 1})  # a return of one of them, lost too
    lost.append(topup(db, m.id, 10_000, [Tender("cash", 10_000)]))  # and a top-up
    ids = [x.sale_id for x in lost] + [back.sale.sale_id]
    before = _rows(db, ids)
    shown = {x.receipt_no: sale_by_receipt(db, x.receipt_no).as_dict() for x in lost}
    assert engine.sync_once(db)["pushed"]["rejected"] == 0
    hq_entries, hq_cache = hq_state(hq)
    with hq.db.read() as s:
        hq_sales = s.scalar(select(func.count()).select_from(HQSale).where(HQSale.store_code == db.store_code))
        hq_receipts = set(s.scalars(select(HQSale.receipt_no)))
    # a normal pull brings no sale, to this store or another; another store's own re-sync neither
    for till, own in ((db, False), (other, False), (other, True)):
        client = engine.client_for(till)
        try:
            page = client.pull(None, 10_000, own=own)
        finally:
            client.close()
        assert not [c for c in page.changes if c["kind"] == "sale"], (till.store_code, own)
    other.close()
    db.close()

    r = run_main("restore", copy["file"], "--db", str(path), "--json")
    assert '"resync": true' in r.stdout
    db = open_db(path)
    try:
        assert _rows(db, ids) == {i: None for i in ids}  # the backup lacks them
        got = engine.sync_once(db)
        assert got["ok"] and got["pushed"]["rejected"] == 0 and got["pulled"].get("resynced_own") is True
        assert got["pulled"]["applied"]["sales"] == 5 and got["pulled"]["applied"]["sales_not_restored"] == 0
        assert _rows(db, ids) == before  # every column, line and payment as committed
        for no, result in shown.items():
            assert sale_by_receipt(db, no).as_dict() == result  # reprints
        run_main("ledger", "verify", db=path)  # exit 0: no drift
        assert till_sums(db) == {k: v for k, v in hq_state(hq)[0].items() if k in till_sums(db)}
        assert hq_state(hq) == (hq_entries, hq_cache)  # HQ counted nothing twice
        with db.read() as s:
            counter = s.get(ReceiptCounter, (db.store_code, lost[0].receipt_no.split("-")[1],
                                             s.get(Sale, uuid.UUID(lost[0].sale_id)).business_date))
            assert counter.last_seq == int(lost[-1].receipt_no.rsplit("-", 1)[1])
        # the till sells on: a return of a restored sale, a new receipt number
        ret = returns.return_sale(db, lost[0].receipt_no, {TOWEL: 1})
        assert ret.sale.totals["net_fen"] < 0
        again = sell(db, None, TOWEL, 1)
        assert again.receipt_no not in hq_receipts and ret.sale.receipt_no not in hq_receipts
        got = engine.sync_once(db)  # a second re-sync round is not needed; nothing doubles on a normal one
        assert got["pushed"]["rejected"] == 0 and "sales" not in got["pulled"]["applied"]
        with hq.db.read() as s:
            assert s.scalar(select(func.count()).select_from(HQSale).where(
                HQSale.store_code == db.store_code)) == hq_sales + 2
            assert s.scalar(select(func.count(func.distinct(HQSale.receipt_no)))) == s.scalar(
                select(func.count()).select_from(HQSale))
        with db.read() as s, hq.db.read() as h:
            assert s.scalar(select(func.count()).select_from(Sale)) == h.scalar(
                select(func.count()).select_from(HQSale).where(HQSale.store_code == db.store_code))
            assert ledger.points_balance(s, uuid.UUID(m.id)) == h.get(MemberBalance, uuid.UUID(m.id)).points
    finally:
        db.close()
