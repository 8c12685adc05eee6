"""The till's O2O report (issue 18 item 4; pos.analytics.o2o, `report o2o`) on a real SQLite
store, with parcels as HQ's pull sends them and sales made through the checkout.

Hand-worked (store-local dates; parcel.overdue_days set to 1):
- 11-23 10:00 received P1 (Li), P2 (Wang), P3 (Li); 11-24 10:00 received P4 (Wang).
- P1 collected 11-23 10:30, Li buys a towel (50.00) at 10:35 with the pickup voucher (-1.00):
  49.00 -> a pickup followed by a purchase in the visit, using the voucher.
- P2 collected 11-24 11:00; Wang buys a towel (50.00) at 14:00 without the voucher: the same
  day, but 3 hours later -> not in the visit (60 minutes); his voucher unused.
- P3 never collected: at the end of 11-23 it waited less than a day (not overdue), at the end
  of 11-24 more (overdue 1). P4 arrived 11-24: not overdue yet.
  by day: 11-23 received 3 collected 1 overdue 0; 11-24 received 1 collected 1 overdue 1.
- pickups 2, converted 1 -> 50 %; vouchers issued 2, used 1 -> 50 %.
- Online vs store (members who bought here: Li, Wang): store 49.00 + 50.00 = 99.00; online: Li's
  order 99.00 (11-23) + Wang's returned order (nothing) ; Zhao's online order 30.00 is not
  counted (Zhao did not buy here) -> 50 % / 50 %. A non-member's sale is not members' sales.
  Orders for pickup here recorded in the period: Li's 99.00 and Zhao's 30.00 -> 2, 129.00.
"""
from __future__ import annotations

import datetime as dt
import json

from pos.analytics import o2o
from pos.rules.pricing import Tender
from pos.services import checkout, members, parcels
from pos.store import settings as store_settings

from .test_parcels import hq_rows, install, pull

TOWEL = "6901234567892"
D1, D2 = dt.date(2026, 11, 23), dt.date(2026, 11, 24)


def _at(clock, day: dt.date, hh: int, mm: int = 0) -> None:
    clock.set(dt.datetime.combine(day, dt.time(hh, mm)))


def _sale(db, member_id: str | None, coupon: str | None = None) -> int:
    co = checkout.Checkout(db)
    co.add(TOWEL)
    if member_id:
        co.attach_member_id(member_id)
    if coupon:
        co.add_coupon(coupon)
    net = co.quote().net_fen
    co.pay([Tender("cash", net)])
    return net


def _order(db, member_id: str, order_id: str, paid_fen: int, *, status: str = "shipped", pickup: bool = True) -> dict:
    o, _ = hq_rows(db, member_id, "PU00000000", "PCL0000000000")
    return {**o, "order_id": order_id, "paid_fen": paid_fen, "status": status,
            "pickup_store": db.store_code if pickup else None, "created_at": db.clock.now().isoformat()}


def build(db, clock, tmp_path):
    from pos.services import catalog

    install(db)
    csv = tmp_path / "catalog.csv"
    csv.write_text(f"barcode,name,category,price_fen,kind\n{TOWEL},Towel,home,5000,regular\n")
    assert catalog.import_csv(db, csv).ok
    store_settings.PARCEL_OVERDUE_DAYS.set(db, 1)
    _at(clock, D1, 9)
    li = members.register(db, "13800138000", name="Li").id
    wang = members.register(db, "13700137000", name="Wang").id
    zhao = members.register(db, "13600136000", name="Zhao").id
    rows = [hq_rows(db, m, f"PU1000000{i}", f"PCL000000000{i}") for i, m in ((1, li), (2, wang), (3, li), (4, wang))]
    pull(db, [o for o, _ in rows], [p for _, p in rows])
    _at(clock, D1, 10)
    pull(db, [_order(db, li, "TM-LI", 9900), _order(db, wang, "TM-WANG", 5000, status="returned"),
              _order(db, zhao, "TM-ZHAO", 3000)], [])
    for i in (1, 2, 3):
        parcels.receive(db, f"PCL000000000{i}")
    _at(clock, D1, 10, 30)
    got = parcels.pickup(db, code="PU10000001")
    _at(clock, D1, 10, 35)
    assert _sale(db, li, got.coupon_code) == 4900
    _sale(db, None)  # a non-member
    _at(clock, D2, 10)
    parcels.receive(db, "PCL0000000004")
    _at(clock, D2, 11)
    parcels.pickup(db, code="PU10000002")
    _at(clock, D2, 14)
    assert _sale(db, wang) == 5000
    return li, wang


def test_o2o_figures_hand_worked(db, clock, tmp_path):
    build(db, clock, tmp_path)
    r = o2o.report(db, D1, D2)
    assert r.by_day == [{"date": "2026-11-23", "received": 3, "collected": 1, "overdue": 0},
                        {"date": "2026-11-24", "received": 1, "collected": 1, "overdue": 1}]
    s = r.summary
    assert (s["parcels_received"], s["parcels_collected"], s["parcels_overdue_at_end"]) == (4, 2, 1)
    assert (s["pickups"], s["converted"], s["converted_with_voucher"], s["conversion_rate"]) == (2, 1, 1, 0.5)
    assert (s["vouchers_issued"], s["vouchers_used"], s["voucher_redemption_rate"]) == (2, 1, 0.5)
    o = r.online_share
    assert (o["members"], o["store_sales_fen"], o["online_sales_fen"], o["online_orders"]) == (2, 9900, 9900, 1)
    assert (o["store_share"], o["online_share"]) == (0.5, 0.5)
    assert (o["pickup_orders"], o["pickup_orders_fen"]) == (2, 12900)
    # a visit of 4 hours takes Wang's sale in: both pickups converted, still one with the voucher
    wide = o2o.report(db, D1, D2, visit_minutes=240).summary
    assert (wide["converted"], wide["conversion_rate"], wide["converted_with_voucher"]) == (2, 1.0, 1)
    # one day
    day1 = o2o.report(db, D1, D1)
    assert day1.summary["pickups"] == 1 and day1.summary["conversion_rate"] == 1.0
    assert day1.summary["parcels_overdue_at_end"] == 0


def test_report_o2o_cli(db, clock, tmp_path):
    from tests.sync.conftest import run_main

    build(db, clock, tmp_path)
    path = db.path
    got = run_main("report", "o2o", "--from", "2026-11-23", "--to", "2026-11-24", "--json", db=path)
    d = json.loads(got.stdout)
    assert d["summary"]["conversion_rate"] == 0.5 and d["by_day"][1]["overdue"] == 1
    text = run_main("report", "o2o", "--from", "2026-11-23", "--to", "2026-11-24", db=path).stdout
    assert "50.0%" in text and "overdue 1" in text
    bad = run_main("report", "o2o", "--from", "2026-11-24", "--to", "2026-11-23", db=path, check=2)
    assert bad.stderr.count("\n") == 1


def test_hdcrm_preset_gives_the_pickup_voucher(db, tmp_path):
    """A chain that installs the HDCRM preset gets the seed's pickup benefit: 1 yuan off, valid 1 day."""
    from pos.rules import program
    from pos.services import catalog
    from pos.store import program_store

    doc = program.preset("hdcrm")
    t = doc.template(doc.issuance.pickup)
    assert (t.code, t.kind, t.value_fen, t.validity_days, t.name.zh, t.name.en) == (
        "pickup-1", "voucher", 100, 1, "取件立减1元", "Pickup: 1 yuan off")
    program_store.install(db, doc, actor="test")
    csv = tmp_path / "catalog.csv"
    csv.write_text(f"barcode,name,category,price_fen,kind\n{TOWEL},Towel,home,5000,regular\n")
    assert catalog.import_csv(db, csv).ok
    mid = members.register(db, "13800138000", name="Li").id
    o, p = hq_rows(db, mid, "PU20000001", "PCL0000000201")
    pull(db, [o], [p])
    parcels.receive(db, "PCL0000000201")
    got = parcels.pickup(db, code="PU20000001")
    assert got.coupon_template == "pickup-1"
    co = checkout.Checkout(db)
    co.add(TOWEL)
    co.attach_member_id(mid)
    before = co.quote().net_fen
    co.add_coupon(got.coupon_code)
    assert before - co.quote().net_fen == 100
