"""Birthday gifts at HQ (`hq birthday`, sync/server/birthday.py): when the tills are enrolled
HQ's daily job issues them — once a year per member, chain-wide — and the coupons and gift
points come down to every till with the next pull; the tills' own daily jobs issue nothing."""
from __future__ import annotations

import copy
import datetime as dt
import json
import uuid

from sqlalchemy import select

from pos.clock import FixedClock
from pos.services import daily, members
from pos.store.models import Coupon, PointsEntry
from sync import engine
from sync.server import birthday as hq_birthday

from .conftest import ROOT, phone, publish_preset

TZ = "Asia/Shanghai"
MARCH1 = dt.datetime(2027, 3, 1, 0, 30, tzinfo=dt.timezone.utc)  # 08:30 in Shanghai


def settle(*tills):
    for _ in range(2):
        for db in tills:
            engine.sync_once(db)


def till_coupons(db, mid):
    with db.read() as s:
        return sorted((c.template, c.source, c.issued_store) for c in
                      s.scalars(select(Coupon).where(Coupon.member_id == uuid.UUID(mid))))


def test_hq_issues_once_for_the_chain_and_the_tills_follow(hq, two_tills, tmp_path):
    a, b = two_tills
    publish_preset(hq, tmp_path)  # vancl: issuance.birthday [bday-svip]
    settle(a, b)
    mid = members.register(a, phone(), birthday="1990-03-17").id
    other = members.register(a, phone(), birthday="1990-07-01").id
    settle(a, b)
    for db in (a, b):  # the tills' daily jobs leave it to HQ
        db.clock = FixedClock(dt.datetime(2027, 3, 1, 9, 0), tz=TZ)
        assert daily.run_due(db)["birthday"] == "at HQ"
    r = hq_birthday.run(hq.db, dt.date(2027, 3, 1), tz=TZ, now=MARCH1, only=[uuid.UUID(mid), uuid.UUID(other)])
    assert (r.members, r.coupons, r.points) == (1, 1, 0)
    again = hq_birthday.run(hq.db, dt.date(2027, 3, 2), tz=TZ, now=MARCH1 + dt.timedelta(days=1),
                            only=[uuid.UUID(mid), uuid.UUID(other)])
    assert again.members == 0  # once a year
    settle(a, b)
    for db in (a, b):
        assert till_coupons(db, mid) == [("bday-svip", "birthday", "HQ")]  # one coupon, the same at both tills
        assert till_coupons(db, other) == []
    with a.read() as s, b.read() as t:
        assert s.scalar(select(Coupon.code).where(Coupon.member_id == uuid.UUID(mid))) == \
            t.scalar(select(Coupon.code).where(Coupon.member_id == uuid.UUID(mid)))


def test_hq_gives_a_gift_of_the_catalog_as_points(hq, two_tills, tmp_path):
    a, b = two_tills
    doc = json.loads((ROOT / "pos/resources/presets/vancl.json").read_text(encoding="utf-8"))
    doc = copy.deepcopy(doc)
    doc["version"] = f"vancl-bday-{uuid.uuid4().hex[:6]}"
    doc["issuance"]["birthday"] = []
    doc["tiers"]["levels"][0]["birthday_gift"] = "g-towel"  # every member: a towel (500 points)
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    hq.cli("program", "publish", str(path), "--json")
    try:
        mid = members.register(a, phone(), birthday="1991-03-09").id
        settle(a, b)
        r = hq_birthday.run(hq.db, dt.date(2027, 3, 1), tz=TZ, now=MARCH1, only=[uuid.UUID(mid)])
        assert (r.members, r.points) == (1, 500)
        settle(a, b)
        for db in (a, b):
            assert members.detail(db, mid).points == 500
            with db.read() as s:
                e = s.scalar(select(PointsEntry).where(PointsEntry.member_id == uuid.UUID(mid)))
                assert (e.kind, e.reason, e.store_code) == ("bonus", "birthday gift 2027", "HQ")
    finally:
        publish_preset(hq, tmp_path)  # the session's HQ back to the preset's rules


def test_hq_birthday_cli(hq, tmp_path):
    publish_preset(hq, tmp_path)
    got = json.loads(hq.cli("birthday", "--date", "2027-11-01", "--json").stdout)  # no test member is born in November
    assert {"day": "2027-11-01", "members": 0, "coupons": 0, "points": 0}.items() <= got.items()
    p = hq.cli("birthday", "--date", "2027-13-01", check=2)
    assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1
