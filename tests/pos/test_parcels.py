"""Parcels and online orders at the till (issue 18; pos.services.parcels), on a real SQLite
store with rows shaped as HQ's pull sends them (the end-to-end run over a real HQ process is
tests/sync/test_online_orders.py)."""
from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from pos.errors import DomainError
from pos.ids import uuid7
from pos.rules import program
from pos.services import catalog, members, parcels, suggestions
from pos.services.till import Till
from pos.store import program_store
from pos.store import settings as store_settings
from pos.store.o2o_models import Parcel

PICKUP = {"code": "pickup-1", "name": {"zh": "到店取件券", "en": "Pickup voucher"}, "kind": "voucher",
          "value_fen": 100, "validity_days": 1}


def install(db, pickup: bool = True) -> None:
    doc = json.loads(program.preset("vancl").model_dump_json(by_alias=True))
    doc["version"] = "vancl-pickup" if pickup else "vancl-plain"
    if pickup:
        doc["coupon_templates"].append(PICKUP)
        doc["issuance"]["pickup"] = "pickup-1"
    program_store.install(db, program.parse(doc), actor="test")


def hq_rows(db, member_id: str, code: str, label: str, *, store: str | None = None, status: str = "waiting",
            sku: str = "6901234567892"):
    now = db.clock.now()
    oid = str(uuid7())
    order = {"id": oid, "channel": "tmall", "order_id": f"TM-{label[-4:]}", "member_id": member_id, "status": "shipped",
             "lines": [{"sku": sku, "name": "Towel", "qty": 2, "amount_fen": 10000}], "paid_fen": 10000,
             "pickup_store": store or db.store_code, "points": 200, "earn_entry_id": None, "reverse_entry_id": None,
             "available_at": (now + dt.timedelta(days=30)).isoformat(), "history": [],
             "created_at": (now - dt.timedelta(days=2)).isoformat(), "updated_at": now.isoformat()}
    parcel = {"id": str(uuid7()), "online_order_id": oid, "order_ref": order["order_id"],
              "store_code": store or db.store_code, "label": label, "pickup_code": code, "member_id": member_id,
              "status": status, "created_at": now.isoformat(), "arrived_at": None, "collected_at": None,
              "notified_at": None, "coupon_code": None, "updated_at": now.isoformat()}
    return order, parcel


@pytest.fixture
def store(db, tmp_path):
    install(db)
    csv = tmp_path / "catalog.csv"
    csv.write_text("barcode,name,category,price_fen,kind\n6901234567892,Towel,home,5000,regular\n")
    assert catalog.import_csv(db, csv).ok
    m = members.register(db, "13800138000", name="Li")
    return db, m.id


def pull(db, orders, parcels_):
    with db.transaction() as s:
        return parcels.apply_pull(s, db, orders, parcels_, db.clock.now())


def test_receive_pickup_by_code_voucher_on_the_sale(store):
    db, mid = store
    o, p = hq_rows(db, mid, "PU12345678", "PCL0000000001")
    o2, p2 = hq_rows(db, mid, "PU87654321", "PCL0000000002", store="ELSEWHERE")
    assert pull(db, [o, o2], [p, p2]) == {"online_orders": 2, "parcels": 1}  # another store's parcel: not kept
    with pytest.raises(DomainError) as e:
        parcels.receive(db, "PCL0000000002")
    assert e.value.code == "parcel.unknown"
    with pytest.raises(DomainError) as e:
        parcels.pickup(db, code="PU12345678")
    assert e.value.code == "parcel.not_arrived"  # not scanned in yet

    till = Till(db)
    assert till.enter("PCL0000000001").kind == "parcel"
    assert till.enter("PCL0000000001").error_code == "parcel.duplicate"
    till.enter("6901234567892")
    before = till.changed().net_fen
    got = till.enter("PU12345678")
    assert got.kind == "pickup" and till.member_id == mid
    after = till.changed()
    assert before - after.net_fen == 100 and len(after.coupons) == 1  # 1.00 off at once
    assert till.enter("PU12345678").error_code == "parcel.collected"
    till.close()
    # an older state from HQ (still "arrived" there) never undoes the pickup made here
    pull(db, [], [{**p, "status": "arrived"}])
    with db.read() as s:
        row = s.get(Parcel, uuid.UUID(p["id"]))
        assert row.status == "collected" and row.coupon_code
    # the outbox carries both facts for HQ
    from pos.store.models import OutboxEvent

    with db.read() as s:
        kinds = [e.kind for e in s.query(OutboxEvent).order_by(OutboxEvent.seq)]
    assert kinds.count("parcel.arrived") == 1 and kinds.count("parcel.collected") == 1 and "coupon.issued" in kinds


def test_pickup_by_phone_and_last4_overdue_list(store, clock):
    db, mid = store
    o, p = hq_rows(db, mid, "PU11112222", "PCL0000000011")
    o2, p2 = hq_rows(db, mid, "PU33334444", "PCL0000000012")
    pull(db, [o, o2], [p, p2])
    parcels.receive(db, "PCL0000000011")
    parcels.receive(db, "PCL0000000012")
    with pytest.raises(DomainError) as e:
        parcels.pickup(db, phone="13800138000", last4="9999")
    assert e.value.code == "parcel.no_match" and "13800138000" not in e.value.message("en")
    with pytest.raises(DomainError) as e:
        parcels.pickup(db, phone="13800138000")
    assert e.value.code == "parcel.query"
    assert parcels.listing(db, overdue=True) == []
    clock.advance(days=7)  # parcel.overdue_days (default 7)
    assert [v.label for v in parcels.listing(db, overdue=True)] == ["PCL0000000011", "PCL0000000012"]
    got = parcels.pickup(db, phone="13800138000", last4="2222")
    assert got.parcel.label == "PCL0000000011" and got.coupon_template == "pickup-1"
    assert parcels.apply_to_basket(db, got) is False  # no sale in progress: the voucher stays in the wallet
    other = members.register(db, "13700137000", name="Wang").id
    till = Till(db)
    till.checkout.attach_member_id(other)  # another member's sale in progress
    got = till.parcel_pickup(code="PU33334444")
    assert got.kind == "pickup" and got.error_code == "parcel.voucher_not_on_sale" and till.member_id == other
    assert till.checkout.coupon_codes == []  # the voucher went to its member's wallet
    till.close()
    store_settings.PARCEL_OVERDUE_DAYS.set(db, 10)
    assert parcels.listing(db, overdue=True) == []


def test_no_pickup_voucher_in_the_program_and_old_documents(store):
    db, mid = store
    install(db, pickup=False)
    assert "pickup" not in program.preset("vancl").model_dump(by_alias=True)["issuance"]  # old documents dump as before
    o, p = hq_rows(db, mid, "PU55556666", "PCL0000000021")
    pull(db, [o], [p])
    parcels.receive(db, "PCL0000000021")
    got = parcels.pickup(db, code="55556666")  # the 8 digits alone
    assert got.coupon_code is None and got.parcel.status == "collected"


def test_online_orders_in_history_and_suggestions(store):
    db, mid = store
    o, p = hq_rows(db, mid, "PU77778888", "PCL0000000031")
    returned = {**hq_rows(db, mid, "PU77779999", "PCL0000000032")[0], "status": "returned", "reverse_entry_id": str(uuid7())}
    pull(db, [o, returned], [])
    hist = parcels.member_orders(db, mid)
    assert {(h["status"], h["pending"], h["points_reversed"]) for h in hist} == {("shipped", True, False),
                                                                                 ("returned", False, True)}
    with db.read() as s:
        lines = parcels.online_lines(s, uuid.UUID(mid), db.clock.now() - dt.timedelta(days=400))
    assert [(c, q) for c, _n, _cat, _w, q in lines] == [("6901234567892", 2)]  # the returned order is left out
    with db.read() as s:  # the towel was bought online two days ago: not suggested again now
        assert "6901234567892" not in [x.code for x in suggestions.for_member(s, uuid.UUID(mid), db.clock.now())]
    from pos.services import privacy

    doc = privacy.export(db, mid)  # the member's export lists them too
    assert {o["status"] for o in doc["online_orders"]} == {"shipped", "returned"} and doc["parcels"] == []


def test_a_merged_members_orders_and_parcels_follow_the_survivor(store):
    db, keep = store
    other = members.register(db, "13900139000", name="Li (2)").id
    o, p = hq_rows(db, other, "PU24682468", "PCL0000000041")
    pull(db, [o], [p])
    parcels.receive(db, "PCL0000000041")
    members.merge(db, keep, other, actor="manager")
    assert [h["order_id"] for h in parcels.member_orders(db, keep)] == [o["order_id"]]
    got = parcels.pickup(db, phone="13800138000", last4="2468")  # the survivor's phone finds it
    assert got.parcel.label == "PCL0000000041"
