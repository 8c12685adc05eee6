"""HQ's chain-wide O2O report (issue 18 item 4; sync.server.o2o_report, `hq report o2o`) on a
real HQ database of its own (migrated; PostgreSQL when HQ_TEST_DATABASE_URL is set), the
orders posted through HQ's channel code (orders.post, with the injected time), the tills'
pushes (arrival, pickup, sales, the voucher's use) as HQ records them.

Hand-worked (chain zone Asia/Shanghai, overdue after 1 day, D1 = 2031-05-11, D2 = 05-12):
- orders (D1 09:00), all for pickup: O1 Li 40.00 at OA, O2 Wang 30.00 at OB, O3 Li 20.00 at
  OA, O4 Wang 9.00 at OB -> parcels P1..P4; O5 Zhao 50.00 posted then returned (counts nothing).
- P1, P2, P3 arrive D1 10:00, P4 D2 10:00. P1 collected D1 10:30, Li buys at OA at 10:35
  (49.00) with its voucher; P2 collected D2 11:00 at OB, Wang buys at OB at 14:00 (50.00)
  without it (same day, 3 h later: not in the visit). P3 never collected: overdue at D2's end.
  by day: D1 received 3 collected 1 overdue 0; D2 received 1 collected 1 overdue 1.
  by store: OA 2 / 1 / 1, OB 2 / 1 / 0.
- pickups 2, converted 1 (50 %) with the voucher 1; vouchers issued 2, used 1 (50 %).
- members' sales: stores 49.00 + 50.00 = 99.00 (a non-member's 50.00 and a sale on D1 - 1 are
  not counted), online 40 + 30 + 20 + 9 = 99.00 in 4 orders -> 50 % / 50 %; 2 online buyers,
  both also bought in a store.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from zoneinfo import ZoneInfo

import pytest

from pos.ids import uuid7
from sync.server import admin, o2o_report, orders
from sync.server.models import Coupon, CouponUse, Member, Sale
from sync.server.o2o_models import Parcel

from .conftest import ROOT, create_pg_db, drop_pg_db, run_main

Z = ZoneInfo("Asia/Shanghai")
D1, D2 = dt.date(2031, 5, 11), dt.date(2031, 5, 12)
PHONES = {"li": "13900000001", "wang": "13900000002", "zhao": "13900000003"}


def at(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm), Z).astimezone(dt.timezone.utc)


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    from sync.server.db import HQDatabase

    base = os.environ.get("HQ_TEST_DATABASE_URL")
    url = create_pg_db(base) if base else f"sqlite:///{tmp_path_factory.mktemp('o2o') / 'hq.sqlite3'}"
    hq = HQDatabase(url)
    try:
        admin.program_publish(hq, str(ROOT / "pos/resources/presets/vancl.json"))
        for code in ("OA", "OB"):
            admin.store_add(hq, code, f"Store {code}")
        build(hq)
        yield hq
    finally:
        hq.close()
        if base:
            drop_pg_db(url)


def post(hq, order_id: str, who: str, paid_fen: int, store: str | None, status: str = "paid") -> dict:
    body = {"order_id": order_id, "phone": PHONES[who], "status": status, "paid_fen": paid_fen,
            "lines": [{"sku": "6901234567892", "name": "Towel", "qty": 1, "amount_fen": paid_fen}]}
    if store:
        body["pickup_store"] = store
    return orders.post(hq, "shop", orders.OrderIn.model_validate(body), now=at(D1, 9))


def build(hq) -> None:
    got = {n: post(hq, n, who, fen, store) for n, who, fen, store in
           (("O1", "li", 4000, "OA"), ("O2", "wang", 3000, "OB"), ("O3", "li", 2000, "OA"), ("O4", "wang", 900, "OB"),
            ("O5", "zhao", 5000, None))}
    post(hq, "O5", "zhao", 5000, None, status="returned")
    labels = {n: g["parcel"]["label"] for n, g in got.items() if g["parcel"]}
    with hq.transaction() as s:
        ids = {who: s.scalar(Member.__table__.select().with_only_columns(Member.id).where(Member.phone == "+86" + p))
               for who, p in PHONES.items()}

        def parcel(n: str) -> Parcel:
            return s.query(Parcel).filter(Parcel.label == labels[n]).one()

        for n, when in (("O1", at(D1, 10)), ("O2", at(D1, 10)), ("O3", at(D1, 10)), ("O4", at(D2, 10))):
            p = parcel(n)
            p.status, p.arrived_at = "arrived", when

        def sale(store: str, who: str | None, when: dt.datetime, net: int) -> uuid.UUID:
            sid = uuid7()
            s.add(Sale(id=sid, store_code=store, kind="sale", receipt_no=f"{store}-{sid.hex[-6:]}",
                       member_id=ids[who] if who else None, created_at=when, net_fen=net, document={}))
            return sid

        def pickup(n: str, who: str, when: dt.datetime, code: str) -> uuid.UUID:
            p = parcel(n)
            p.status, p.collected_at, p.coupon_code = "collected", when, code
            cid = uuid7()
            s.add(Coupon(id=cid, code=code, template="pickup-1", member_id=ids[who], valid_from=when,
                         valid_to=when + dt.timedelta(days=1), source="pickup", issued_at=when, issued_store=p.store_code))
            return cid

        v1 = pickup("O1", "li", at(D1, 10, 30), "CPO2OREP0001")
        s1 = sale("OA", "li", at(D1, 10, 35), 4900)
        s.add(CouponUse(id=uuid7(), coupon_id=v1, sale_id=s1, member_id=ids["li"], amount_fen=100,
                        used_at=at(D1, 10, 35), store_code="OA"))
        sale("OA", None, at(D1, 11), 5000)  # a non-member
        sale("OA", "li", at(D1 - dt.timedelta(days=1), 11), 7000)  # before the period
        pickup("O2", "wang", at(D2, 11), "CPO2OREP0002")
        sale("OB", "wang", at(D2, 14), 5000)


def test_chain_o2o_figures_hand_worked(chain):
    r = o2o_report.report(chain, D1, D2, overdue_days=1)
    assert r["by_day"] == [{"date": "2031-05-11", "received": 3, "collected": 1, "overdue": 0},
                           {"date": "2031-05-12", "received": 1, "collected": 1, "overdue": 1}]
    assert r["stores"] == {"OA": {"received": 2, "collected": 1, "overdue_at_end": 1},
                           "OB": {"received": 2, "collected": 1, "overdue_at_end": 0}}
    s = r["summary"]
    assert (s["pickups"], s["converted"], s["converted_with_voucher"], s["conversion_rate"]) == (2, 1, 1, 0.5)
    assert (s["vouchers_issued"], s["vouchers_used"], s["voucher_redemption_rate"]) == (2, 1, 0.5)
    o = r["online_share"]
    assert (o["store_sales_fen"], o["online_sales_fen"], o["online_orders"]) == (9900, 9900, 4)
    assert (o["store_share"], o["online_share"], o["members"], o["online_buyers"], o["both_buyers"]) == (0.5, 0.5, 2, 2, 2)
    assert (o["pickup_orders"], o["pickup_orders_fen"]) == (4, 9900)
    assert o2o_report.report(chain, D1, D2, overdue_days=1, visit_minutes=240)["summary"]["converted"] == 2
    # the default 7 days: nothing overdue yet
    assert o2o_report.report(chain, D1, D2)["summary"]["parcels_overdue_at_end"] == 0


def test_hq_report_o2o_cli(chain):
    url = chain.url
    got = run_main("hq", "report", "o2o", "--from", "2031-05-11", "--to", "2031-05-12", "--overdue-days", "1",
                   "--json", "--db", url)
    d = json.loads(got.stdout)
    assert d["summary"]["conversion_rate"] == 0.5 and d["online_share"]["online_share"] == 0.5
    text = run_main("hq", "report", "o2o", "--date", "2031-05-11", "--db", url).stdout
    assert "pickups 1" in text and "store OA: received 2" in text
    bad = run_main("hq", "report", "o2o", "--from", "2031-05-12", "--to", "2031-05-11", "--db", url, check=2)
    assert bad.stderr.count("\n") == 1
