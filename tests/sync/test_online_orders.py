"""Online orders into the member's history and parcel pickup at a store (issue 18), over a
real HQ process and a real enrolled till.

Hand-worked numbers (the shipped vancl rules: 2 points per yuan of regular goods, floor;
shipped orders wait 30 days):
- TM-1: Towel 2 x 50.00 + Soap 1 x 10.00 = 110.00, paid 105.00 (the shop's discount spread
  over the lines: 95.45 + 9.55) -> 105 x 2 = 210 points, pending 30 days; pickup at the till.
- TM-2: Soap 3 x 10.00 paid 30.00 -> 60 points, then returned -> 60 taken back.
- HQ's balance for the member: 210 + 60 - 60 = 210; spendable now 0 (pending), 210 after 31 days.
- The pickup voucher (template pickup-1, a 1.00 voucher) takes 100 fen off the sale in progress.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import time
import uuid

import pytest
import requests

from pos.clock import FixedClock
from pos.loyalty import ledger
from pos.services import parcels
from pos.services.till import Till
from pos.store.o2o_models import Parcel
from sync import engine
from sync.server import notify, orders
from sync.server.o2o_models import OnlineOrder

from .conftest import ROOT, SOAP, TOWEL, make_till, run_main

PICKUP = {"code": "pickup-1", "name": {"zh": "到店取件券", "en": "Pickup voucher"}, "kind": "voucher",
          "value_fen": 100, "validity_days": 1, "stackable": True}


def publish_with_pickup(hq, tmp_path) -> str:
    doc = json.loads((ROOT / "pos/resources/presets/vancl.json").read_text(encoding="utf-8"))
    doc["version"] = f"vancl-pickup-{uuid.uuid4().hex[:8]}"
    doc["coupon_templates"].append(PICKUP)
    doc["issuance"]["pickup"] = "pickup-1"
    path = tmp_path / "program.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    hq.cli("program", "publish", str(path), "--json")
    return doc["version"]


def order(order_id: str, phone: str, status: str, lines, paid_fen: int, pickup: str | None = None) -> dict:
    body = {"order_id": order_id, "phone": phone, "status": status,
            "lines": [{"sku": s, "name": n, "qty": q, "amount_fen": a} for s, n, q, a in lines], "paid_fen": paid_fen}
    if pickup:
        body["pickup_store"] = pickup
    return body


@pytest.fixture(scope="module")
def shop(hq, tmp_path_factory):
    """An online channel and its key (`hq channel add`); a second add of the name is refused."""
    name = f"tmall{random.randint(0, 10**6)}"
    got = json.loads(hq.cli("channel", "add", name, "--json").stdout)
    again = hq.cli("channel", "add", name, check=2)
    assert "exists" in again.stderr and again.stderr.count("\n") == 1
    key = got["key"]

    def post(body: dict, expect: int = 200) -> dict:
        r = requests.post(hq.url + "/v1/orders", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=10)
        assert r.status_code == expect, r.text
        return r.json()
    return post


def test_orders_points_parcel_pickup(tmp_path, hq, shop):
    publish_with_pickup(hq, tmp_path)
    db = make_till(tmp_path, hq, "O2O")
    store = db.store_code
    phone = "139" + "".join(random.choice("0123456789") for _ in range(8))
    towel, soap = (TOWEL, "Towel", 2, 10000), (SOAP, "Soap", 1, 1000)

    # --- the channel API: authenticated, checked, idempotent by order id ---------------------------
    assert requests.post(hq.url + "/v1/orders", json={}, timeout=5).status_code == 401
    assert requests.post(hq.url + "/v1/orders", json={}, timeout=5,
                         headers={"Authorization": "Bearer ch_nope"}).status_code == 401
    bad = shop({"order_id": "X", "phone": phone, "status": "lost", "lines": [], "paid_fen": 1}, 422)
    assert bad["error"] == "body.invalid"
    assert shop(order("TM-0", phone, "paid", [towel], 100, pickup="NOPE"), 422)["error"] == "order.pickup_store"

    first = shop(order("TM-1", phone, "paid", [towel, soap], 10500, pickup=store))
    assert first["changed"] and first["points"] == 210 and first["pending"] is True
    parcel = first["parcel"]
    assert parcel["store"] == store and parcel["status"] == "waiting"
    assert parcel["label"].startswith("PCL") and len(parcel["label"]) == 13 and len(parcel["pickup_code"]) == 10
    for _ in range(2):  # the same order re-sent twice: nothing changes
        again = shop(order("TM-1", phone, "paid", [towel, soap], 10500, pickup=store))
        assert again["changed"] is False and again["points"] == 210 and again["parcel"] == parcel
    for status in ("shipped", "delivered"):
        got = shop(order("TM-1", phone, status, [towel, soap], 10500, pickup=store))
        assert got["changed"] and got["status"] == status
        for _ in range(2):
            assert shop(order("TM-1", phone, status, [towel, soap], 10500, pickup=store))["changed"] is False
    assert shop(order("TM-1", phone, "shipped", [towel, soap], 10500))["changed"] is False  # passed already
    assert shop(order("TM-1", phone, "delivered", [towel, soap], 999), 409)["error"] == "order.changed"

    assert shop(order("TM-2", phone, "paid", [(SOAP, "Soap", 3, 3000)], 3000))["points"] == 60
    back = shop(order("TM-2", phone, "returned", [(SOAP, "Soap", 3, 3000)], 3000))
    assert back["changed"] and back["points_reversed"] and back["pending"] is False
    for _ in range(2):  # a re-sent return takes nothing back twice
        assert shop(order("TM-2", phone, "returned", [(SOAP, "Soap", 3, 3000)], 3000))["changed"] is False

    # --- HQ: the member (origin online), the orders with their points and pending state ------------
    m = json.loads(hq.cli("member", "show", phone, "--json").stdout)
    assert m["points"] == 210 and m["points_ledger"] == 210 and m["points_by_store"] == {"HQ": 210}
    by_id = {o["order_id"]: o for o in m["online_orders"]}
    assert set(by_id) == {"TM-1", "TM-2"}
    assert (by_id["TM-1"]["status"], by_id["TM-1"]["points"], by_id["TM-1"]["pending"]) == ("delivered", 210, True)
    assert (by_id["TM-2"]["status"], by_id["TM-2"]["points_reversed"], by_id["TM-2"]["pending"]) == ("returned", True, False)
    text = hq.cli("member", "show", phone).stdout
    assert "online" in text and "TM-1" in text and "pending until" in text
    with hq.db.read() as s:
        o1 = s.query(OnlineOrder).filter_by(order_id="TM-1").one()
        mid, later = o1.member_id, o1.created_at + dt.timedelta(days=31)
        assert s.get(orders.Member, mid).channel == "online"
        assert orders.matured_spend(s, mid) == 0  # tier spend waits too
        assert orders.matured_spend(s, mid, now=later) == 10500  # TM-2 was returned: never counts
        assert [o["pending"] for o in orders.member_orders(s, [mid], now=later)] == [False, False]

    # --- the till: the member, the online orders, the pending lot, the parcel --------------------
    engine.sync_once(db)
    hist = parcels.member_orders(db, str(mid))
    assert [(o["order_id"], o["status"], o["points"], o["pending"]) for o in hist] == [
        ("TM-2", "returned", 60, False), ("TM-1", "delivered", 210, True)]
    with db.read() as s:
        pos_ = ledger.position(s, mid)
        assert ledger.points_balance(s, mid) == 210
        assert pos_.spendable(db.clock.now()) == 0  # pending: the return window
        assert pos_.spendable(db.clock.now() + dt.timedelta(days=31)) == 210  # matured after 30 days
        p = s.query(Parcel).one()
        assert (p.label, p.pickup_code, p.status) == (parcel["label"], parcel["pickup_code"], "waiting")

    # --- received by the scanner: a frame on a pseudo-terminal through the real serial code -------
    from devices.config import SerialSettings
    from devices.decoder import Decoder
    from devices.serial_reader import SerialReader
    from tests.devices.conftest import Events, Pty

    till = Till(db)
    pty, events = Pty(), Events()
    reader = SerialReader(SerialSettings(port=pty.path), Decoder("scanner"), events, backoff_min=0.05, backoff_max=0.2)
    reader.start()
    try:
        assert reader.wait_connected(5)
        pty.write(parcel["label"].encode() + b"\r" + parcel["label"].encode() + b"\r")
        frames = events.frames(2)
    finally:
        reader.stop()
        pty.close()
    assert [f.kind for f in frames] == ["parcel", "parcel"]
    started = time.perf_counter()
    got = till.enter(frames[0].code)
    assert got.kind == "parcel" and parcel["label"] in got.message
    assert time.perf_counter() - started < 0.5  # each scan of a courier's drop is quick (≤ 50 ms on a till)
    dup = till.enter(frames[1].code)
    assert dup.kind == "error" and dup.error_code == "parcel.duplicate"  # scanned twice: refused

    # --- HQ tells the customer once the arrival reaches it -------------------------------------------
    engine.sync_once(db)
    msgs = notify.sent(hq.db, phone="+86" + phone, kind="parcel")
    assert len(msgs) == 1 and parcel["pickup_code"] in msgs[0]["text"] and "/m/parcel/" in msgs[0]["link"]
    assert phone not in json.dumps(msgs, default=str) and msgs[0]["phone_masked"].endswith(phone[-4:])
    page = requests.get(msgs[0]["link"], timeout=10)  # the member page the message links to: the code as a QR
    assert page.status_code == 200 and parcel["pickup_code"] in page.text and 'alt="取件码二维码"' in page.text
    assert requests.get(msgs[0]["link"][:-4] + "AAAA", timeout=10).status_code == 404  # altered: refused
    engine.sync_once(db)  # another round: told once
    assert len(notify.sent(hq.db, phone="+86" + phone, kind="parcel")) == 1

    # --- pickup by code (the customer's QR scanned) with a sale in progress -------------------------
    till.enter(TOWEL)
    before = till.changed()
    assert till.member_id is None
    got = till.enter(parcel["pickup_code"])
    assert got.kind == "pickup", got.message
    after = till.changed()
    assert till.member_id == str(mid)  # the parcel's member on the sale
    assert before.net_fen - after.net_fen == 100 and len(after.coupons) == 1  # the 1.00 voucher at once
    assert till.enter(parcel["pickup_code"]).error_code == "parcel.collected"
    till.checkout.save()
    till.close()

    # --- a second parcel: received by the CLI, listed overdue after 7 days, picked up by phone -------
    third = shop(order("TM-3", phone, "shipped", [(SOAP, "Soap", 1, 1000)], 1000, pickup=store))
    engine.sync_once(db)
    rec = json.loads(run_main("parcel", "receive", third["parcel"]["label"], "--json", db=db.path).stdout)
    assert rec["status"] == "arrived" and rec["pickup_code_last4"] == third["parcel"]["pickup_code"][-4:]
    again = run_main("parcel", "receive", third["parcel"]["label"], db=db.path, check=2)
    assert "received already" in again.stderr or "已签收" in again.stderr
    assert parcels.listing(db, overdue=True) == []
    clock = db.clock
    db.clock = FixedClock(clock.now() + dt.timedelta(days=8))
    try:
        late = parcels.listing(db, overdue=True)
        assert [v.label for v in late] == [third["parcel"]["label"]] and late[0].overdue and late[0].days_waiting == 8
    finally:
        db.clock = clock
    listed = json.loads(run_main("parcel", "list", "--json", db=db.path).stdout)
    assert {r["label"]: r["status"] for r in listed} == {parcel["label"]: "collected", third["parcel"]["label"]: "arrived"}
    wrong = run_main("parcel", "pickup", "--phone", phone, "--last4", "0000" if not third["parcel"]["pickup_code"]
                     .endswith("0000") else "1111", db=db.path, check=2)
    assert wrong.stderr.count("\n") == 1 and phone not in wrong.stderr
    pick = json.loads(run_main("parcel", "pickup", "--phone", phone, "--last4", third["parcel"]["pickup_code"][-4:],
                               "--json", db=db.path).stdout)
    assert pick["parcel"]["status"] == "collected" and pick["coupon_template"] == "pickup-1"
    assert pick["applied_to_sale"] is True  # the basket the till saved (the towel, this member)
    from pos.services import checkout

    co = checkout.resume(db)
    assert pick["coupon_code"] in co.coupon_codes and co.member_id == str(mid)
    q = co.quote()
    assert q.net_fen == before.net_fen - 200  # both vouchers on the sale: 2 x 1.00
    engine.sync_once(db)
    with hq.db.read() as s:
        rows = {p.label: (p.status, p.coupon_code) for p in s.query(orders.Parcel).filter_by(member_id=mid)}
    assert rows[parcel["label"]][0] == "collected" and rows[third["parcel"]["label"]] == ("collected", pick["coupon_code"])
    db.close()


def test_tier_spend_waits_for_the_return_window(hq):
    """2,000.00 paid online reaches vip (vancl: upgrade at 2,000.00) only once its 30 days have
    passed: HQ's tier review then upgrades the member, once; a returned order never counts."""
    from sync.server import reviews

    phone = "137" + "".join(random.choice("0123456789") for _ in range(8))
    name = f"shop{random.randint(0, 10**6)}"
    from sync.server import channels

    channels.add(hq.db, name)
    big = orders.OrderIn.model_validate(order("BIG-1", phone, "delivered", [(TOWEL, "Towel", 40, 200000)], 200000))
    got = orders.post(hq.db, name, big)
    assert got["points"] == 4000 and got["pending"]
    ret = orders.OrderIn.model_validate(order("BIG-2", phone, "paid", [(TOWEL, "Towel", 40, 200000)], 200000))
    orders.post(hq.db, name, ret)
    orders.post(hq.db, name, ret.model_copy(update={"status": "returned"}))
    with hq.db.read() as s:
        o = s.query(OnlineOrder).filter_by(channel=name, order_id="BIG-1").one()
        mid, t0 = o.member_id, o.created_at
        assert ledger.position(s, mid).spendable(t0 + dt.timedelta(days=29)) == 0
        assert ledger.position(s, mid).spendable(t0 + dt.timedelta(days=31)) == 4000
    day = (t0 + dt.timedelta(days=1)).date()
    assert reviews.run(hq.db, day, now=t0 + dt.timedelta(days=1), only=[mid]).changes == []  # still pending
    later = t0 + dt.timedelta(days=31)
    r = reviews.run(hq.db, later.date(), now=later, only=[mid])
    assert [(c["from"], c["to"], c["spend_fen"]) for c in r.changes] == [("member", "vip", 200000)]
    assert reviews.run(hq.db, later.date(), now=later, only=[mid]).changes == []  # once
    with hq.db.read() as s:
        assert s.get(orders.Member, mid).tier_code == "vip"


def test_the_same_order_posted_at_once_is_recorded_once(hq, shop):
    """Six posts of one new order at the same moment (a shop retrying): one records it and earns,
    the others answer "changed": false (on PostgreSQL they really race: row lock, unique key, retry)."""
    from concurrent.futures import ThreadPoolExecutor

    from pos.store.models import PointsEntry

    phone = "136" + "".join(random.choice("0123456789") for _ in range(8))
    body = order("RACE-1", phone, "paid", [(SOAP, "Soap", 1, 1000)], 1000)
    with ThreadPoolExecutor(6) as pool:
        got = list(pool.map(lambda _: shop(body), range(6)))
    assert sorted(g["changed"] for g in got) == [False] * 5 + [True]
    with hq.db.read() as s:
        oid = s.query(OnlineOrder).filter_by(order_id="RACE-1").one().id
        assert s.query(PointsEntry).filter_by(sale_id=oid).count() == 1
