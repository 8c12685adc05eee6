"""Birthday gifts by the daily job (pos/services/birthday.py): `issuance.birthday` for every
member and the tier's `birthday_gift`, in the birthday month, once a year per member; a
standalone till issues, an enrolled one leaves it to HQ.

Vancl: issuance.birthday = [bday-svip] (SVIP生日券9折, 31 days), and the SVIP tier's
birthday_gift is the same template — an SVIP gets it once, not twice."""
from __future__ import annotations

import copy
import datetime as dt
import json
import uuid

from sqlalchemy import select

from pos.loyalty import coupons
from pos.rules import program
from pos.services import birthday, daily, members
from pos.store import program_store
from pos.store.models import Coupon, Member, OutboxEvent, PointsEntry

VANCL = program.preset("vancl")
RAW = json.loads((program.PRESETS / "vancl.json").read_text(encoding="utf-8"))


def _join(db, n: int, bday: str | None, tier: str = "member") -> str:
    mid = members.register(db, f"139001392{n:02d}", **({"birthday": bday} if bday else {})).id
    if tier != "member":
        with db.transaction() as s:
            s.get(Member, uuid.UUID(mid)).tier_code = tier
    return mid


def _coupons(db, mid) -> list[tuple[str, str]]:
    with db.read() as s:
        return [(c.template, c.source) for c in s.scalars(select(Coupon).where(Coupon.member_id == uuid.UUID(mid)))]


def _on(clock, *ymd):
    clock.set(dt.datetime(*ymd, 8, 30))


def test_issued_in_the_birthday_month_once_a_year(db, clock):
    program_store.install(db, VANCL)
    march, april, svip, none = (_join(db, 0, "1990-03-17"), _join(db, 1, "1985-04-02"),
                                _join(db, 2, "1992-03-30", "svip"), _join(db, 3, None))
    _on(clock, 2027, 3, 1)
    r = daily.run_due(db)
    assert r["birthday"] == {"day": "2027-03-01", "members": 2, "coupons": 2, "points": 0}
    assert _coupons(db, march) == [("bday-svip", "birthday")]
    assert _coupons(db, svip) == [("bday-svip", "birthday")]  # issuance and tier gift: the same coupon once
    assert _coupons(db, april) == [] and _coupons(db, none) == []
    with db.read() as s:
        c = s.scalar(select(Coupon).where(Coupon.member_id == uuid.UUID(march)))
        assert db.clock.local(c.valid_to).date() == dt.date(2027, 4, 1)  # the template's 31 days
        ev = [e.payload for e in s.scalars(select(OutboxEvent).where(OutboxEvent.kind == "coupon.issued"))]
        assert {e["source"] for e in ev} == {"birthday"} and len(ev) == 2  # HQ learns of each
    for day in (2, 17, 31):  # every other day of the month: nothing more
        _on(clock, 2027, 3, day)
        assert daily.run_due(db)["birthday"]["members"] == 0
    _on(clock, 2027, 4, 1)
    assert daily.run_due(db)["birthday"]["members"] == 1 and _coupons(db, april) == [("bday-svip", "birthday")]
    _on(clock, 2028, 3, 5)  # next year: again
    assert daily.run_due(db)["birthday"]["members"] == 2
    assert len(_coupons(db, march)) == 2


def test_a_member_who_joins_during_the_month_gets_it_the_next_run(db, clock):
    program_store.install(db, VANCL)
    _on(clock, 2027, 3, 10)
    daily.run_due(db)
    mid = _join(db, 4, "2000-03-25")
    _on(clock, 2027, 3, 11)
    assert daily.run_due(db)["birthday"]["members"] == 1 and _coupons(db, mid) == [("bday-svip", "birthday")]


def test_a_coupon_given_otherwise_does_not_count_as_the_birthday_gift(db, clock):
    program_store.install(db, VANCL)
    mid = _join(db, 5, "1990-03-17")
    _on(clock, 2027, 3, 1)
    with db.transaction() as s:
        coupons.issue(s, db, VANCL, "bday-svip", member_id=uuid.UUID(mid), source="manual")
    assert birthday.run(db, VANCL, db.clock.today()).members == 1


def test_tier_gift_of_the_gift_catalog_is_given_as_its_points(db, clock):
    data = copy.deepcopy(RAW)
    data["version"] = "vancl-bday-gift"
    data["issuance"]["birthday"] = []
    data["tiers"]["levels"][1]["birthday_gift"] = "g-towel"  # VIP: a towel (500 points)
    prog = program.parse(data)
    program_store.install(db, prog)
    vip, member = _join(db, 6, "1990-05-05", "vip"), _join(db, 7, "1990-05-06")
    _on(clock, 2027, 5, 2)
    r = birthday.run(db, prog, db.clock.today())
    assert (r.members, r.coupons, r.points) == (1, 0, 500)
    assert members.detail(db, vip).points == 500 and members.detail(db, member).points == 0
    with db.read() as s:
        e = s.scalar(select(PointsEntry).where(PointsEntry.member_id == uuid.UUID(vip)))
        assert (e.kind, e.reason) == ("bonus", "birthday gift 2027")
    assert birthday.run(db, prog, db.clock.today()).members == 0  # the lot is the year's key
    assert birthday.gifts_for(prog, "vip") == [("gift", "g-towel")]
    assert birthday.gifts_for(VANCL, "svip") == [("coupon", "bday-svip")]
    assert birthday.gifts_for(VANCL, "member") == [("coupon", "bday-svip")]


def test_no_birthday_settings_no_gifts(db, clock):
    hd = program.preset("hdcrm")  # no issuance.birthday, no tier birthday_gift
    program_store.install(db, hd)
    _join(db, 8, "1990-03-17")
    _on(clock, 2027, 3, 1)
    assert daily.run_due(db)["birthday"]["members"] == 0


def test_an_enrolled_till_leaves_birthdays_to_hq(db, clock):
    program_store.install(db, VANCL)
    mid = _join(db, 9, "1990-03-17")
    db.settings.update({"sync.hq_url": "http://127.0.0.1:9", "sync.token": "t"})
    _on(clock, 2027, 3, 1)
    r = daily.run_due(db)
    assert r["birthday"] == "at HQ" and _coupons(db, mid) == []


def test_a_catch_up_gives_only_todays_gifts(db, clock):
    from pos.services import catch_up

    program_store.install(db, VANCL)
    jan, mar = _join(db, 10, "1990-01-20"), _join(db, 11, "1990-03-20")
    _on(clock, 2027, 3, 15)
    out = catch_up.catch_up(db, dt.date(2027, 1, 1))  # January is past: no coupon for it
    assert out["birthday"]["members"] == 1
    assert _coupons(db, jan) == [] and _coupons(db, mar) == [("bday-svip", "birthday")]
