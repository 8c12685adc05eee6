"""Holidays that come back every year (issue 14): a campaign's `recur` by Gregorian
date (618, Double 12) or the Chinese lunar calendar (Mid-Autumn lunar 8/15, Spring
Festival lunar 1/1 from the eve), priced by the sale's business date.

The HDCRM preset recurs: 618 ×2 (one day), Double 12 ×3 (one day), Mid-Autumn ×2
(the festival and two days after), Spring Festival ×2 (the eve and seven days after).
Dates by `lunardate` 0.3.0: Spring Festival 2027-02-06, 2030-02-03, 2031-01-23;
Mid-Autumn 2027-09-15, 2030-09-12, 2031-10-01.
"""
from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
from lunardate import LunarDate

from pos.errors import DomainError
from pos.rules import holidays, program
from pos.rules.pricing import Item, MemberCtx, PriceRequest, price

HDCRM = program.preset("hdcrm")
RAW = json.loads((program.PRESETS / "hdcrm.json").read_text(encoding="utf-8"))
SH = dt.timezone(dt.timedelta(hours=8))


def _points(day: dt.date, prog=HDCRM, tier: str = "member") -> int:
    """A member (×1) buying 100 yuan of regular goods at 10:00 on `day`: 100 points × the campaign."""
    now = dt.datetime.combine(day, dt.time(10), SH).astimezone(dt.timezone.utc)
    req = PriceRequest(items=(Item("6900000000001", "T", "服装", 1, 10000),),
                       member=MemberCtx(id="m1", tier=tier), now=now, local_date=day)
    return price(req, prog).points_earned


def _campaign(code: str):
    return next(c for c in HDCRM.campaigns if c.code == code)


@pytest.mark.parametrize("year", [2027, 2030, 2031])
def test_618_and_double12_every_year(year):
    assert _points(dt.date(year, 6, 17)) == 100
    assert _points(dt.date(year, 6, 18)) == 200  # ×2
    assert _points(dt.date(year, 6, 19)) == 100
    assert _points(dt.date(year, 12, 11)) == 100
    assert _points(dt.date(year, 12, 12)) == 300  # ×3
    assert _points(dt.date(year, 12, 13)) == 100


@pytest.mark.parametrize("year, festival", [(2027, dt.date(2027, 9, 15)), (2030, dt.date(2030, 9, 12)),
                                            (2031, dt.date(2031, 10, 1))])
def test_mid_autumn_by_the_lunar_calendar(year, festival):
    assert LunarDate(year, 8, 15).to_solar_date() == festival  # the library agrees with the calendar
    assert holidays.occurrence("lunar", 8, 15, year) == festival
    day = dt.timedelta(days=1)
    assert _points(festival - day) == 100
    assert [_points(festival + n * day) for n in range(3)] == [200, 200, 200]  # the festival and two days
    assert _points(festival + 3 * day) == 100


@pytest.mark.parametrize("year, new_year", [(2027, dt.date(2027, 2, 6)), (2030, dt.date(2030, 2, 3)),
                                            (2031, dt.date(2031, 1, 23))])
def test_spring_festival_from_the_eve_for_eight_days(year, new_year):
    assert LunarDate(year, 1, 1).to_solar_date() == new_year
    assert holidays.window("lunar", 1, 1, -1, 8, year) == (new_year - dt.timedelta(days=1), new_year + dt.timedelta(days=7))
    day = dt.timedelta(days=1)
    assert _points(new_year - 2 * day) == 100
    assert _points(new_year - day) == 200  # 除夕, the eve
    assert _points(new_year) == 200
    assert _points(new_year + 6 * day) == 200
    assert _points(new_year + 7 * day) == 100


def test_the_preset_keeps_its_2026_windows():
    # what the fixed 2026 windows gave, the recurrence gives too
    assert _points(dt.date(2026, 6, 18)) == 200
    assert _points(dt.date(2026, 9, 25)) == 200 and _points(dt.date(2026, 9, 27)) == 200
    assert _points(dt.date(2026, 9, 28)) == 100
    assert _points(dt.date(2027, 2, 5)) == 200 and _points(dt.date(2027, 2, 12)) == 200
    assert _points(dt.date(2027, 2, 13)) == 100


def test_business_date_not_utc_decides():
    # 2030-06-17 17:00 UTC is 18 June 01:00 in Shanghai: 618 on the till's business date
    now = dt.datetime(2030, 6, 17, 17, tzinfo=dt.timezone.utc)
    req = PriceRequest(items=(Item("6900000000001", "T", "服装", 1, 10000),), member=MemberCtx(id="m1", tier="member"),
                       now=now, local_date=dt.date(2030, 6, 18))
    assert price(req, HDCRM).points_earned == 200


def test_a_window_bounds_the_years_a_recurrence_runs():
    data = copy.deepcopy(RAW)
    c = next(c for c in data["campaigns"] if c["code"] == "618")
    c["window"] = {"start": "2027-01-01T00:00:00+08:00", "end": "2030-01-01T00:00:00+08:00"}
    prog = program.parse(data)
    assert _points(dt.date(2026, 6, 18), prog) == 100  # before the window
    assert _points(dt.date(2027, 6, 18), prog) == 200
    assert _points(dt.date(2030, 6, 18), prog) == 100  # after it


def test_short_months_and_leap_days():
    # 除夕 as lunar 12/30 is the 29th in a short twelfth month (lunar 2026 has 29 days: 2027-02-05)
    assert holidays.occurrence("lunar", 12, 30, 2026) == dt.date(2027, 2, 5)
    assert holidays.occurrence("gregorian", 2, 29, 2027) == dt.date(2027, 2, 28)
    assert holidays.occurrence("gregorian", 2, 29, 2028) == dt.date(2028, 2, 29)
    assert holidays.occurrence("lunar", 1, 1, 2100) is None  # beyond the library's calendar: no holiday
    # a window running over New Year's Day: 12/30 for 5 days
    r = program.Recur(calendar="gregorian", month=12, day=30, days=5)
    assert holidays.active(r, dt.date(2031, 1, 2)) and not holidays.active(r, dt.date(2031, 1, 4))


def test_next_window():
    assert holidays.next_window(_campaign("spring").recur, dt.date(2027, 3, 1)) == (dt.date(2028, 1, 25), dt.date(2028, 2, 2))
    assert holidays.next_window(_campaign("618").recur, dt.date(2030, 6, 18)) == (dt.date(2030, 6, 18), dt.date(2030, 6, 19))


def test_old_documents_stay_valid_and_dump_as_before():
    data = copy.deepcopy(RAW)
    c = next(c for c in data["campaigns"] if c["code"] == "618")
    del c["recur"]
    c["window"] = {"start": "2026-06-18T00:00:00+08:00", "end": "2026-06-19T00:00:00+08:00"}
    doc = program.parse(data)
    assert "recur" not in program.to_json(doc)["campaigns"][0]  # HQ compares stored versions by content
    assert _points(dt.date(2026, 6, 18), doc) == 200 and _points(dt.date(2027, 6, 18), doc) == 100
    assert program.parse(program.to_json(HDCRM)) == HDCRM


@pytest.mark.parametrize("recur, why", [
    ({"calendar": "gregorian", "month": 2, "day": 30}, "no day 30"),
    ({"calendar": "lunar", "month": 8, "day": 31}, "no day 31"),
    ({"calendar": "chinese", "month": 8, "day": 15}, "calendar"),
    ({"month": 13, "day": 1}, "month"),
    ({"month": 6, "day": 18, "days": 0}, "days"),
])
def test_bad_recurrences_are_refused_naming_the_field(recur, why):
    data = copy.deepcopy(RAW)
    data["campaigns"][0]["recur"] = recur
    with pytest.raises(DomainError) as e:
        program.parse(data)
    assert "campaigns[0].recur" in e.value.message("en") and why in e.value.message("en")


def test_a_dated_campaign_needs_a_window_or_a_recurrence():
    data = copy.deepcopy(RAW)
    del data["campaigns"][0]["recur"]
    with pytest.raises(DomainError, match="window.start and window.end, or recur"):
        program.parse(data)
    data = copy.deepcopy(RAW)
    data["campaigns"][4]["recur"] = {"month": 6, "day": 18}  # a birthday campaign
    with pytest.raises(DomainError, match="recur is for dated campaigns"):
        program.parse(data)


def test_checkout_on_a_store_prices_spring_festival_2030(db, clock, tmp_path):
    """The till's checkout hands the engine the store's business date."""
    from pos.demo.store import ean13
    from pos.services import members
    from pos.services.catalog import import_csv
    from pos.services.checkout import Checkout
    from pos.store import program_store

    program_store.install(db, HDCRM, source="preset")
    code = ean13("690777000011")
    (tmp_path / "c.csv").write_text(f"barcode,name,category,price_fen,kind\n{code},衬衫,服装,10000,regular\n", encoding="utf-8")
    assert import_csv(db, tmp_path / "c.csv").ok
    mid = members.register(db, "13900139011").id
    for when, points in ((dt.datetime(2030, 2, 3, 10, 0), 200),  # Spring Festival 2030
                         (dt.datetime(2030, 2, 11, 10, 0), 100)):  # the ninth day: over
        clock.set(when)
        co = Checkout(db)
        co.add(code)
        co.attach_member_id(mid)
        assert co.quote().points_earned == points


def test_the_campaign_that_raised_the_points_is_named_on_the_quote_the_sale_and_the_receipt(db, clock, tmp_path):
    """Double 12 ×3: the quote, `checkout --json`'s points.campaigns and the receipt say which campaign it was."""
    from devices.receipt import layout, receipt_from_sale, render_text
    from pos.demo.store import ean13
    from pos.rules.pricing import Tender
    from pos.services import members
    from pos.services.catalog import import_csv
    from pos.services.checkout import Checkout, quote_dict
    from pos.store import program_store

    d12 = next(c for c in HDCRM.campaigns if c.recur and (c.recur.month, c.recur.day) == (12, 12))
    program_store.install(db, HDCRM, source="preset")
    code = ean13("690777000028")
    (tmp_path / "c.csv").write_text(f"barcode,name,category,price_fen,kind\n{code},衬衫,服装,10000,regular\n", encoding="utf-8")
    assert import_csv(db, tmp_path / "c.csv").ok
    mid = members.register(db, "13900139012").id
    clock.set(dt.datetime(2027, 12, 12, 10, 0))
    co = Checkout(db)
    co.add(code)
    co.attach_member_id(mid)
    q = co.quote()
    assert q.points_earned == 300 and q.campaigns == [d12.code]
    assert quote_dict(q, "en")["points"]["campaigns"] == [{"code": d12.code, "name": d12.name.en}]
    sale = co.pay([Tender("cash", q.net_fen)])
    assert sale.points["campaigns"] == [{"code": d12.code, "name": d12.name.zh}]
    text = render_text(layout(receipt_from_sale(sale, member_name="王*"), 48), 48)
    assert "积分活动" in text and d12.name.zh in text
    clock.set(dt.datetime(2027, 12, 13, 10, 0))  # the day after: no campaign, none named
    co = Checkout(db)
    co.add(code)
    co.attach_member_id(mid)
    assert co.quote().campaigns == [] and quote_dict(co.quote())["points"]["campaigns"] == []
