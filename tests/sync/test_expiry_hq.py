"""Points expiry at HQ (`hq expire`): HQ sees every store's purchases, so under
the rolling model a purchase at store B keeps the points a member earned at
store A — which store A alone could not know — and the expiry entries come down
to every till with the next pull. An enrolled till leaves expiry to HQ."""
from __future__ import annotations

import datetime as dt
import json
import uuid

from pos.services import members
from pos.clock import FixedClock
from pos.store.models import PointsEntry
from sqlalchemy import select
from sync import engine
from sync.server import expiry

from .conftest import SOAP, TOWEL, phone, publish_preset, run_main
from .test_sync import sell

STORE_TZ = "Asia/Shanghai"


def settle(*tills):
    for _ in range(2):
        for db in tills:
            engine.sync_once(db)


def points(db, mid) -> int:
    return members.detail(db, mid).points


def test_hq_expires_for_the_whole_chain_and_the_tills_follow(hq, two_tills, tmp_path):
    a, b = two_tills
    publish_preset(hq, tmp_path)  # the preset's rates and rolling expiry, whatever an earlier test published
    a.clock = FixedClock(dt.datetime(2025, 1, 10, 12, 0), tz=STORE_TZ)
    b.clock = FixedClock(dt.datetime(2025, 12, 1, 12, 0), tz=STORE_TZ)
    quiet, loyal = phone(), phone()
    q = members.register(a, quiet).id
    lo = members.register(a, loyal).id
    sell(a, quiet, TOWEL, 1)  # 50 yuan -> 100 points, 2025-01-10 at A
    sell(a, loyal, TOWEL, 1)  # 100 points at A on the same day ...
    settle(a, b)
    sell(b, loyal, SOAP, 1)  # ... and a purchase at B on 2025-12-01: 20 points, the whole balance renewed
    settle(b, a)
    assert (points(a, q), points(a, lo)) == (100, 120)

    # store A alone would expire both on 2026-02-01 (it has seen no purchase of either since 2025-01-10)
    day = dt.date(2026, 2, 1)
    r = expiry.run(hq.db, day, tz=STORE_TZ, only=[uuid.UUID(q), uuid.UUID(lo)])
    assert (r.members, r.lots, r.points, r.model) == (1, 1, 100, "rolling")
    again = expiry.run(hq.db, day, tz=STORE_TZ, only=[uuid.UUID(q), uuid.UUID(lo)])
    assert (again.lots, again.points) == (0, 0)  # idempotent: an expired lot has nothing left
    settle(a, b)
    for db in (a, b):
        assert (points(db, q), points(db, lo)) == (0, 120)
        with db.read() as s:  # the same HQ entry at both tills, not one per till
            rows = s.execute(select(PointsEntry.id, PointsEntry.store_code, PointsEntry.points)
                             .where(PointsEntry.member_id == uuid.UUID(q), PointsEntry.kind == "expire")).all()
        assert [(str(r.store_code), r.points) for r in rows] == [("HQ", -100)]
    shown = json.loads(hq.cli("member", "show", quiet, "--json").stdout)
    assert shown["points"] == 0


def test_an_enrolled_till_leaves_expiry_to_hq(hq, two_tills):
    a, _ = two_tills
    p = run_main("expire", "--date", "2026-02-01", db=a.path, check=2)
    assert "points expire at HQ" in p.stderr and "hq expire" in p.stderr
    p = run_main("expire", "--date", "2026-02-01", "--local", db=a.path, check=0)
    assert "expired" in p.stdout


def test_hq_reviews_tiers_on_the_spend_at_every_store(hq, two_tills):
    """Vancl: a VIP who spends ≥ 1,000 yuan within the year keeps VIP. The spend was at
    store B; store A alone would see none and drop the member to `member`."""
    from sync.server import reviews

    a, b = two_tills
    a.clock = FixedClock(dt.datetime(2025, 1, 10, 12, 0), tz=STORE_TZ)
    b.clock = FixedClock(dt.datetime(2025, 6, 1, 12, 0), tz=STORE_TZ)
    vip = phone()
    mid = members.register(a, vip).id
    up = sell(a, vip, TOWEL, 45)  # 2,250 yuan − 满300减30 ×7 = 2,040: VIP at once (2,000)
    assert up.member["tier_after"] == "vip"
    settle(a, b)
    later = sell(b, vip, TOWEL, 25)  # at store B, within the year
    spend_b = later.totals["spend_fen"]
    assert 100000 <= spend_b < 250000  # enough to keep VIP, not enough for SVIP
    settle(b, a)
    day = dt.date(2026, 1, 11)  # the validity (12 months from 2025-01-10) has ended
    r = reviews.run(hq.db, day, tz=STORE_TZ, only=[uuid.UUID(mid)])
    assert (r.reviewed, r.changes) == (1, [])  # kept VIP on store B's spend
    again = reviews.run(hq.db, day, tz=STORE_TZ, only=[uuid.UUID(mid)])
    assert again.reviewed == 0  # a new validity: not due again
    settle(a, b)
    for db in (a, b):
        d = members.detail(db, mid)
        assert d.tier == "vip" and d.tier_expires > "2026-11-01"  # a new year of validity at both tills
    # the enrolled till refuses to review on its own store's spend
    p = run_main("tiers", "review", "--date", "2026-01-11", db=a.path, check=2)
    assert "tier reviews run at HQ" in p.stderr


def test_a_tier_changed_at_hq_joins_the_tills_history_and_keeps_its_segment_tags(hq, two_tills):
    from pos.analytics import segments
    from pos.store.models import MemberTag, TierChange
    from sync.server import reviews

    a, b = two_tills
    a.clock = FixedClock(dt.datetime(2025, 1, 10, 12, 0), tz=STORE_TZ)
    who = phone()
    mid = members.register(a, who).id
    assert sell(a, who, TOWEL, 45).member["tier_after"] == "vip"
    settle(a, b)
    segments.write_tags(a, dt.date(2025, 1, 10))  # store A's own segment tags (from its own sales)
    r = reviews.run(hq.db, dt.date(2026, 1, 11), tz=STORE_TZ, only=[uuid.UUID(mid)])
    assert r.changes == [{"member_code": r.changes[0]["member_code"], "from": "vip", "to": "member", "spend_fen": 0}]
    settle(a, b)
    for db in (a, b):
        with db.read() as s:
            moves = [(t.from_tier, t.to_tier, t.reason) for t in s.scalars(
                select(TierChange).where(TierChange.member_id == uuid.UUID(mid)).order_by(TierChange.at))]
        assert moves[-1] == ("vip", "member", "hq") and members.detail(db, mid).tier == "member"
    with a.read() as s:
        tags = set(s.scalars(select(MemberTag.tag).where(MemberTag.member_id == uuid.UUID(mid))))
    assert "活跃会员" in tags  # HQ's member row did not wipe the till's derived tags
