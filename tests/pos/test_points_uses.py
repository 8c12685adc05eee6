"""Points outside a sale on a real SQLite store (issue 14): points to stored value
(100 pts = 2 yuan with the Vancl preset) and points for an e-coupon, each one
transaction through the ledgers, refused with a reason when it cannot be done."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from pos.errors import DomainError
from pos.loyalty import coupons, ledger
from pos.rules import program as programs
from pos.services import members, points_uses
from pos.store import program_store
from pos.store import settings as store_settings
from pos.store.models import AuditEntry, Coupon, OutboxEvent, PointsEntry, StoredValueEntry


def doc(base: str = "vancl", **changes):
    """The preset with some sections replaced (dicts merged one level deep)."""
    data = programs.to_json(programs.preset(base))
    for key, value in changes.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) else value
    data["version"] = data["version"] + "-t"
    return programs.parse(data)


@pytest.fixture
def store(db):
    program_store.install(db, programs.preset("vancl"), source="test")
    return db


def member_with(db, points: int, phone: str = "13800138000") -> str:
    m = members.register(db, phone, name="王小明")
    if points:
        with db.transaction() as s:
            ledger.credit(s, uuid.UUID(m.id), "adjust", points, now=db.clock.now(), expires_at=None)
    return m.id


def balances(db, mid: str) -> tuple[int, int]:
    with db.read() as s:
        return ledger.points_balance(s, uuid.UUID(mid)), ledger.sv_balance(s, uuid.UUID(mid))


# --- points to stored value -------------------------------------------------------------------

def test_100_points_become_2_yuan_of_stored_value_in_two_ledger_entries(store):
    mid = member_with(store, 1000)
    r = points_uses.convert_to_stored_value(store, mid, 100)
    assert (r.points, r.stored_value_fen) == (100, 200)  # 100 pts = 2 yuan (points_per_unit 100, unit_fen 200)
    assert balances(store, mid) == (900, 200) == (r.points_balance, r.stored_value_balance_fen)
    with store.read() as s:
        p = s.get(PointsEntry, uuid.UUID(r.points_entry_id))
        v = s.get(StoredValueEntry, uuid.UUID(r.sv_entry_id))
        assert (p.kind, p.points, v.kind, v.amount_fen) == ("redeem", -100, "convert", 200)
        assert ledger.find_drift(s) == []
        assert s.scalar(select(AuditEntry.action).where(AuditEntry.action == "points.convert")) == "points.convert"


def test_conversion_refusals_say_why_and_write_nothing(store):
    mid = member_with(store, 250)
    for points, code in ((50, "points.convert_min"), (150, "points.convert_step"), (300, "points.not_enough")):
        with pytest.raises(DomainError) as e:
            points_uses.convert_to_stored_value(store, mid, points)
        assert e.value.code == code, points
    off = doc(redemption={"to_stored_value": False})
    with pytest.raises(DomainError) as e:
        points_uses.convert_to_stored_value(store, mid, 100, program=off)
    assert e.value.code == "points.convert_disabled" and "不支持积分转储值" in e.value.message("zh_CN")
    capped = doc(stored_value={"max_balance_fen": 300})
    points_uses.convert_to_stored_value(store, mid, 100, program=capped)  # 2 yuan: under the 3 yuan cap
    with pytest.raises(DomainError) as e:
        points_uses.convert_to_stored_value(store, mid, 100, program=capped)  # 4 yuan would exceed it
    assert e.value.code == "points.sv_max"
    assert balances(store, mid) == (150, 200)


def test_an_enrolled_till_sends_the_conversion_rows_to_hq_in_the_same_transaction(store):
    mid = member_with(store, 500)
    with store.transaction() as s:  # as enrolment does (the watermark), every row so far captured
        store_settings.LEDGER_ROWIDS.put(s, {"points_entries": 0, "points_allocations": 0, "stored_value_entries": 0})
    r = points_uses.convert_to_stored_value(store, mid, 200)
    with store.read() as s:
        events = s.scalars(select(OutboxEvent).where(OutboxEvent.kind == "ledger.entries")).all()
    sent_points = [row["id"] for e in events for row in e.payload["points"]]
    sent_sv = [row["id"] for e in events for row in e.payload["sv"]]
    assert r.points_entry_id in sent_points and r.sv_entry_id in sent_sv


# --- points for a coupon -----------------------------------------------------------------------

def hundred_point_coupon():
    data = programs.to_json(programs.preset("vancl"))
    for t in data["coupon_templates"]:
        if t["code"] == "pts-5":
            t["points_cost"], t["per_member_limit"] = 100, 2
    data["version"] += "-c100"
    return programs.parse(data)


def test_a_100_point_coupon_exchange_leaves_the_balance_100_lower_and_the_coupon_in_the_wallet(store):
    program = hundred_point_coupon()
    mid = member_with(store, 350)
    r = points_uses.exchange_coupon(store, mid, "pts-5", program=program)
    assert (r.points, r.points_balance) == (100, 250)
    assert balances(store, mid)[0] == 250
    with store.read() as s:
        wallet = coupons.wallet(s, uuid.UUID(mid), store.clock.now())
        assert [(c.code, c.template, c.source) for c in wallet] == [(r.coupon_code, "pts-5", "points")]
        issued = s.scalars(select(OutboxEvent).where(OutboxEvent.kind == "coupon.issued")).all()
        assert [e.payload["code"] for e in issued] == [r.coupon_code]  # HQ learns of the coupon


def test_exchange_refusals_per_member_limit_no_points_cost_and_not_enough_points(store):
    program = hundred_point_coupon()
    mid = member_with(store, 250)
    points_uses.exchange_coupon(store, mid, "pts-5", program=program)
    points_uses.exchange_coupon(store, mid, "pts-5", program=program)
    with pytest.raises(DomainError) as e:  # per_member_limit 2
        points_uses.exchange_coupon(store, mid, "pts-5", program=program)
    assert e.value.code == "coupon.exchange_limit"
    with pytest.raises(DomainError) as e:  # points_cost 0: not for points
        points_uses.exchange_coupon(store, mid, "welcome-10", program=program)
    assert e.value.code == "coupon.not_for_points"
    with pytest.raises(DomainError) as e:
        points_uses.exchange_coupon(store, mid, "no-such", program=program)
    assert e.value.code == "coupon.template"
    poor = member_with(store, 99, phone="13800138001")
    with pytest.raises(DomainError) as e:
        points_uses.exchange_coupon(store, poor, "pts-5", program=program)
    assert e.value.code == "points.not_enough"
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(Coupon).where(Coupon.member_id == uuid.UUID(poor))) == 0
    assert balances(store, mid)[0] == 50 and balances(store, poor)[0] == 99
    assert [t.code for t in points_uses.exchangeable(program)] == ["pts-5"]


def test_an_offline_till_counts_points_uses_against_the_offline_cap(store):
    """Enrolled, HQ unreachable: the offline policy decides (Vancl: 2,000 points per member
    and till until HQ has the spending); a use without HQ's hold counts until it is sent."""
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there
    store_settings.HQ_URL.set(store, f"http://127.0.0.1:{port}")
    store_settings.HQ_TOKEN.set(store, "t" * 32)
    with store.transaction() as s:
        store_settings.LEDGER_ROWIDS.put(s, {"points_entries": 0, "points_allocations": 0, "stored_value_entries": 0})
    mid = member_with(store, 5000)
    points_uses.convert_to_stored_value(store, mid, 1500)  # offline: within the cap
    with store.read() as s:
        spent = s.scalar(select(OutboxEvent).where(OutboxEvent.kind == "points.spent"))
        assert spent.payload["hold_id"] is None and spent.payload["points"] == 1500
    with pytest.raises(DomainError) as e:
        points_uses.convert_to_stored_value(store, mid, 600)  # 1,500 + 600 > 2,000
    assert e.value.code == "sync.offline_cap" and e.value.params["limit"] == 500
    assert balances(store, mid) == (3500, 3000)
