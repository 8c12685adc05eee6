"""`hq member import` (issue 15 §1 at HQ): the till's file and checks, all rows or none,
opening balances as HQ `opening` entries, re-import by external_id never doubles, sign-up
rewards once (or none), and the members with their entries flow down to a till by pull."""
from __future__ import annotations

import json
import random
import uuid

import pytest
from sqlalchemy import func, select

from pos.loyalty import tiers
from pos.store.models import MemberImport as TillImport
from pos.store.models import Member as TillMember, MemberBalance as TillBalance, PointsEntry as TillEntry
from sync import engine
from sync.server import member_import
from sync.server.db import HQDatabase
from sync.server.import_models import MemberImport
from sync.server.models import Coupon, Member, MemberBalance, MemberCard, PointsEntry, StoredValueEntry

from .conftest import make_till

HEADER = "phone,name,gender,tier,points,points_expire_on,stored_value_fen,tags,external_id,card_no"


def _phone() -> str:
    return "139" + "".join(random.choice("0123456789") for _ in range(8))


def write(tmp_path, lines, name="m.csv", encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(("\n".join([HEADER, *lines]) + "\n").encode(encoding))
    return p


@pytest.fixture(scope="module")
def hqdb(tmp_path_factory):
    db = HQDatabase(f"sqlite:///{tmp_path_factory.mktemp('hqimp') / 'hq.sqlite3'}")
    yield db
    db.close()


def balances_agree(hq, ids) -> None:
    with hq.read() as s:
        for mid in ids:
            pts = s.scalar(select(func.coalesce(func.sum(PointsEntry.points), 0)).where(PointsEntry.member_id == mid))
            sv = s.scalar(select(func.coalesce(func.sum(StoredValueEntry.amount_fen), 0))
                          .where(StoredValueEntry.member_id == mid))
            b = s.get(MemberBalance, mid)
            assert (b.points, b.stored_value_fen) == (pts, sv)


def test_bad_rows_all_reported_nothing_written(hqdb, tmp_path):
    p1 = _phone()
    path = write(tmp_path, [f"{p1},王,男,vip,100,,0,,E-1,",
                            "12345,李,F,,,,,,,",  # bad phone
                            f"{_phone()},赵,M,platinum,,,,,,",  # unknown tier
                            f"{_phone()},钱,M,,-5,,,,,",  # negative points
                            f"{_phone()},孙,M,,10,2020-01-01,,,,",  # expired lot
                            f"{p1},周,M,,,,,,,"],  # duplicate phone
                 encoding="gb18030")
    with hqdb.read() as s:
        before = s.scalar(select(func.count()).select_from(Member))
    r = member_import.import_csv(hqdb, path)
    assert not r.ok
    assert [n for n, _ in r.errors] == [3, 4, 5, 6, 7]
    assert "unknown tier" in dict(r.errors)[4] and "already on line 2" in dict(r.errors)[7]
    with hqdb.read() as s:
        assert s.scalar(select(func.count()).select_from(Member)) == before


def test_import_reimport_rewards(hqdb, tmp_path):
    p1, p2 = _phone(), _phone()
    path = write(tmp_path, [f"{p1},王小明,男,vip,1200,2030-06-30,5000,常客|咖啡,OLD-1,HC{p1[-6:]}",
                            f"{p2},李红,F,,300,,,,OLD-2,"])
    dry = member_import.import_csv(hqdb, path, dry_run=True)
    assert dry.ok and dry.created == 2
    with hqdb.read() as s:
        assert s.scalar(select(Member).where(Member.phone == "+86" + p1)) is None
    r = member_import.import_csv(hqdb, path)
    assert (r.ok, r.created, r.points_fen, r.stored_value_fen) == (True, 2, 1500, 5000)
    with hqdb.read() as s:
        m = s.scalar(select(Member).where(Member.phone == "+86" + p1))
        assert (m.tier_code, m.name, m.gender, m.code_secret is not None) == ("vip", "王小明", "M", True)
        assert {t["tag"] for t in m.tags} == {"常客", "咖啡"}
        lot = s.scalar(select(PointsEntry).where(PointsEntry.member_id == m.id, PointsEntry.kind == "opening"))
        assert (lot.points, lot.store_code) == (1200, "HQ")
        assert lot.expires_at.date().isoformat() in ("2030-06-30", "2030-07-01")  # valid through that day (local)
        assert s.scalar(select(MemberCard.member_id).where(MemberCard.card_no == f"HC{p1[-6:]}")) == m.id
        assert s.scalar(select(MemberImport.external_id).where(MemberImport.member_id == m.id)) == "OLD-1"
        signup = s.scalar(select(func.count()).select_from(PointsEntry).where(
            PointsEntry.member_id == m.id, PointsEntry.kind == "bonus"))
        coupons = s.scalar(select(func.count()).select_from(Coupon).where(Coupon.member_id == m.id))
        ids = [m.id, s.scalar(select(Member.id).where(Member.phone == "+86" + p2))]
    assert signup == (1 if r.signup_points else 0) and coupons == r.signup_coupons // 2
    balances_agree(hqdb, ids)
    # the same file again: nothing doubles; a changed balance posts only the difference
    again = member_import.import_csv(hqdb, path)
    assert (again.ok, again.created, again.updated, again.unchanged, again.points_fen) == (True, 0, 0, 2, 0)
    changed = write(tmp_path, [f"{p1},王小明,男,vip,1000,2030-06-30,5000,常客,OLD-1,"], name="m3.csv")
    upd = member_import.import_csv(hqdb, changed, rewards=False)
    assert (upd.ok, upd.updated, upd.points_fen, upd.signup_points) == (True, 1, -200, 0)
    with hqdb.read() as s:
        opening = s.scalar(select(func.sum(PointsEntry.points)).where(PointsEntry.member_id == ids[0],
                                                                      PointsEntry.kind == "opening"))
        assert opening == 1000
    balances_agree(hqdb, ids)


def test_no_rewards(hqdb, tmp_path):
    p = _phone()
    r = member_import.import_csv(hqdb, write(tmp_path, [f"{p},,,,50,,,,,"], name="n.csv"), rewards=False)
    assert r.ok and (r.signup_points, r.signup_coupons) == (0, 0)
    with hqdb.read() as s:
        mid = s.scalar(select(Member.id).where(Member.phone == "+86" + p))
        assert s.get(MemberBalance, mid).points == 50
        assert s.scalar(select(func.count()).select_from(Coupon).where(Coupon.member_id == mid)) == 0


def test_cli_and_flow_down_to_a_till(hq, tmp_path):
    till = make_till(tmp_path, hq, "IMP")
    try:
        p1, p2 = _phone(), _phone()
        path = tmp_path / "flow.csv"
        path.write_text(HEADER + ",qualifying_spend_fen\n" + f"{p1},张三,男,vip,800,,1000,,X-{p1},,150000\n"
                        + f"{p2},李四,女,,,,,,X-{p2},,\n", encoding="utf-8")
        bad = hq.cli("member", "import", str(write(tmp_path, ["1,,,,,,,,,"], name="bad.csv")), check=2)
        assert bad.stderr.startswith("line 2: phone:") and "nothing imported" in bad.stderr
        got = json.loads(hq.cli("member", "import", str(path), "--json").stdout)
        assert (got["ok"], got["created"], got["opening_points"], got["opening_stored_value_fen"]) == (True, 2, 800, 1000)
        engine.sync_once(till)
        with hq.db.read() as s:
            mid = s.scalar(select(Member.id).where(Member.phone == "+86" + p1))
            hq_points = s.get(MemberBalance, mid).points
        with till.read() as s:
            m = s.get(TillMember, mid)
            assert (m.tier_code, m.name) == ("vip", "张三")
            assert s.get(TillBalance, mid).points == hq_points
            assert s.scalar(select(TillEntry.points).where(TillEntry.member_id == mid, TillEntry.kind == "opening")) == 800
            imp = s.get(TillImport, mid)  # the carried tier spend counts at the till as after its own import
            assert (imp.external_id, imp.qualifying_spend_fen) == (f"X-{p1}", 150000)
            assert tiers.carried_spend(s, m) == 150000
        again = json.loads(hq.cli("member", "import", str(path), "--json").stdout)
        assert (again["created"], again["unchanged"]) == (0, 2)
    finally:
        till.close()


def test_duplicates_merge(hqdb, tmp_path):
    p1, p2 = _phone(), _phone()
    assert member_import.import_csv(hqdb, write(tmp_path, [f"{p2},旧,,,10,,,,,"], name="d0.csv"), rewards=False).ok
    path = write(tmp_path, [f"{p1},甲,,,100,,,老客,,", f"{p1},,F,,50,,,咖啡,,", f"{p2},,,,20,,,,,"], name="d.csv")
    report = member_import.import_csv(hqdb, path, rewards=False)
    assert not report.ok and [n for n, _ in report.errors] == [3]  # the same phone twice: reported by default
    merged = member_import.import_csv(hqdb, path, duplicates="merge", rewards=False)
    assert (merged.ok, merged.created, merged.merged) == (True, 1, 1), merged.errors
    with hqdb.read() as s:
        m = s.scalar(select(Member).where(Member.phone == "+86" + p1))
        assert (m.name, m.gender, {t["tag"] for t in m.tags}) == ("甲", "F", {"老客", "咖啡"})
        assert s.get(MemberBalance, m.id).points == 150
        old = s.scalar(select(Member.id).where(Member.phone == "+86" + p2))
    balances_agree(hqdb, [m.id, old])
