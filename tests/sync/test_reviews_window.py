"""The monthly window re-check at HQ (HDCRM: ≥ 800 yuan in a quarter → VIP,
≥ 1,500 → SVIP), on a real HQ database of its own (SQLite file), with sales from
two stores as the tills sent them."""
from __future__ import annotations

import datetime as dt
import uuid

from pos.rules.program import PRESETS
from sync.server import admin, reviews
from sync.server.db import HQDatabase
from sync.server.models import Member, Sale

UTC = dt.timezone.utc


def _member(s, code: str, tier: str, since: dt.datetime) -> uuid.UUID:
    mid = uuid.uuid4()
    s.add(Member(id=mid, member_code=code, tier_code=tier, tier_since=since, joined_at=since, created_at=since,
                 updated_at=since, status="active", tags=[], field_times={}))
    return mid


def _sale(s, mid, store: str, when: dt.datetime, spend_fen: int) -> None:
    sid = uuid.uuid4()
    s.add(Sale(id=sid, store_code=store, kind="sale", receipt_no=f"{store}-{sid.hex[:8]}", member_id=mid, created_at=when,
               net_fen=spend_fen, document={"sale": {"sale_id": str(sid), "kind": "sale",
                                                     "totals": {"net_fen": spend_fen, "spend_fen": spend_fen}}}))


def test_window_recheck_on_every_stores_spend(tmp_path):
    hq = HQDatabase(str(tmp_path / "hq.sqlite3"))
    try:
        admin.program_publish(hq, str(PRESETS / "hdcrm.json"))
        with hq.transaction() as s:
            t0 = dt.datetime(2026, 1, 1, 2, 0, tzinfo=UTC)
            up = _member(s, "M-UP", "vip", t0)  # 500 at A + 1,100 at B in the quarter = 1,600 -> SVIP
            _sale(s, up, "A", dt.datetime(2025, 12, 10, 4, 0, tzinfo=UTC), 50000)
            _sale(s, up, "B", dt.datetime(2026, 2, 1, 4, 0, tzinfo=UTC), 110000)
            _sale(s, up, "B", dt.datetime(2025, 10, 1, 4, 0, tzinfo=UTC), 900000)  # before the quarter: not counted
            down = _member(s, "M-DOWN", "svip", t0)  # 300 in the quarter -> member
            _sale(s, down, "A", dt.datetime(2026, 1, 20, 4, 0, tzinfo=UTC), 30000)
            fresh = _member(s, "M-FRESH", "vip", dt.datetime(2026, 2, 10, 2, 0, tzinfo=UTC))  # changed 5 days ago
        now = dt.datetime(2026, 2, 15, 2, 0, tzinfo=UTC)
        r = reviews.run(hq, dt.date(2026, 2, 15), now=now, only=[up, down, fresh])
        assert r.qualification == "window" and r.reviewed == 2
        assert sorted((c["member_code"], c["from"], c["to"], c["spend_fen"]) for c in r.changes) == [
            ("M-DOWN", "svip", "member", 30000), ("M-UP", "vip", "svip", 160000)]
        with hq.read() as s:
            assert {m.member_code: m.tier_code for m in s.query(Member)} == {"M-UP": "svip", "M-DOWN": "member",
                                                                              "M-FRESH": "vip"}
        # the next day nothing is due: a re-check starts the next period
        assert reviews.run(hq, dt.date(2026, 2, 16), only=[up, down, fresh]).reviewed == 0
    finally:
        hq.close()
