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
