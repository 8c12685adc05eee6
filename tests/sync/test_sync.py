"""Store ⇄ HQ sync with a real HQ process and two till databases (issue 6 §7)."""
from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import func, select

from pos.loyalty import ledger
from pos.services import members
from pos.store import program_store
from pos.services.checkout import Checkout
from pos.errors import DomainError
from pos.store.models import OutboxEvent, PointsEntry, Sale, StoredValueEntry
from pos.rules.pricing import Tender
from sync import engine
from sync.client import HQClient, HQError
from sync.protocol import PushRequest
from sync.server.models import IngestedEvent, MemberBalance
from sync.server.models import Sale as HQSale

from .conftest import ROOT, SOAP, TOWEL, make_till, offline, phone, publish_preset, run_main


def sell(db, member: str | None, code: str = TOWEL, qty: int = 1, redeem: int = 0):
    co = Checkout(db)
    co.add(code, qty)
    if member:
        co.attach_member(member)
    co.redeem(redeem)
    due = co.quote().net_fen
    return co.pay([Tender("cash", due)])


def sums(session) -> dict[str, tuple[int, int]]:
    pts = dict(session.execute(select(PointsEntry.member_id, func.sum(PointsEntry.points)).group_by(PointsEntry.member_id)).all())
    sv = dict(session.execute(select(StoredValueEntry.member_id, func.sum(StoredValueEntry.amount_fen))
                              .group_by(StoredValueEntry.member_id)).all())
    return {str(m): (int(pts.get(m) or 0), int(sv.get(m) or 0)) for m in set(pts) | set(sv)}


def hq_state(hq):
    with hq.db.read() as s:
        entries = sums(s)
        cache = {str(b.member_id): (b.points, b.stored_value_fen) for b in s.scalars(select(MemberBalance))}
    return entries, cache


def till_sums(db):
    with db.read() as s:
        assert ledger.find_drift(s) == []  # the balance cache equals the sum of entries
        return sums(s)


def settle(*tills):
    """Sync every till, then each once more, so all have everything."""
    for db in tills + tills:
        got = engine.sync_once(db)
        assert got["ok"] and got["pushed"]["rejected"] == 0, got["pushed"]["rejected_events"]


def assert_all_agree(hq, *tills):
    entries, cache = hq_state(hq)
    for mid, (p, sv) in entries.items():
        assert cache.get(mid, (0, 0)) == (p, sv), mid
    for db in tills:
        assert till_sums(db) == entries


def test_both_stores_sell_offline_then_agree_on_every_balance(hq, two_tills):
    a, b = two_tills
    shared = phone()
    members.register(a, shared, name="王小明")
    settle(a, b)
    with offline(a), offline(b):
        for _ in range(3):
            sell(a, shared, TOWEL, 2)  # 100 yuan -> 200 points each
            sell(b, shared, SOAP, 3)
        only_a, only_b, both = phone(), phone(), phone()
        members.register(a, only_a)
        members.register(b, only_b)
        members.register(a, both, name="李")  # the same person joins at both stores while offline
        members.register(b, both, card_no="9000012345")
        sell(a, only_a, TOWEL, 1)
        sell(b, only_b, SOAP, 1)
        sell(a, both, TOWEL, 1)  # 100 points at A
        sell(b, both, SOAP, 5)  # 100 points at B
        with pytest.raises(Exception):
            engine.sync_once(a)  # HQ unreachable: nothing lost, nothing marked sent
    with a.read() as s:
        assert s.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.status == "sent")) > 0
    settle(a, b)
    assert_all_agree(hq, a, b)
    # one member everywhere: the phone answers as one member with both stores' points
    for db in (a, b):
        found = members.MemberIndex(str(db.path)).find(both)
        assert len(found) == 1
        assert members.detail(db, found[0].id).points == 200
        assert [c["card_no"] for c in members.detail(db, found[0].id).cards] == ["9000012345"]
        assert members.detail(db, members.MemberIndex(str(db.path)).find(shared)[0].id).points == 3 * 200 + 3 * 60
    shown = json.loads(hq.cli("member", "show", both, "--json").stdout)
    assert shown["points"] == 200 and len(shown["merged"]) == 1 and shown["phone_masked"].count("*") == 4
    assert both not in json.dumps(shown)


def test_exactly_once_resend_lost_response_and_reset(hq, tmp_path):
    from .faults import FaultyProxy

    db = make_till(tmp_path, hq, "X")
    try:
        m = phone()
        members.register(db, m)
        for _ in range(3):
            sell(db, m, TOWEL, 1)
        engine.capture(db)
        with db.read() as s:
            pending = s.scalars(select(OutboxEvent).where(OutboxEvent.status == "pending").order_by(OutboxEvent.seq)).all()
        req = PushRequest(store=db.store_code, events=[engine._event(e) for e in pending])
        client = engine.client_for(db)
        # 1. the same batch pushed twice: all duplicates the second time
        first, second = client.push(req), client.push(req)
        assert {r.status for r in first.results} == {"accepted"}
        assert {r.status for r in second.results} == {"duplicate"}
        engine.sync_once(db)
        # 2. a response lost after HQ committed, 3. a connection reset in the middle of a batch
        proxy = FaultyProxy(hq.port)
        try:
            for mode in ("drop_response", "reset_mid_request"):
                for _ in range(2):
                    sell(db, m, SOAP, 1)
                proxy.modes = [mode]
                got = engine.push(db, HQClient(proxy.url, db.settings["sync.token"]))
                assert got["rejected"] == 0 and got["accepted"] + got["duplicate"] == got["events"] > 0
                if mode == "drop_response":
                    assert got["duplicate"] == got["events"]  # HQ had it all: the retry is acknowledged, not applied
                else:
                    assert got["accepted"] == got["events"]  # HQ kept nothing of the broken request
            assert proxy.seen[0] == "drop_response" and "reset_mid_request" in proxy.seen and not proxy.modes
        finally:
            proxy.close()
        engine.sync_once(db)
        with db.read() as s:
            ids = [e.event_id for e in s.scalars(select(OutboxEvent))]
            assert s.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.status != "sent")) == 0
        with hq.db.read() as s:
            assert s.scalar(select(func.count()).select_from(IngestedEvent).where(IngestedEvent.event_id.in_(ids))) == len(ids)
            assert s.scalar(select(func.count()).select_from(IngestedEvent)
                            .where(IngestedEvent.store_code == db.store_code)) == len(ids)
        assert_points = till_sums(db)
        entries, _ = hq_state(hq)
        mid = members.MemberIndex(str(db.path)).find(m)[0].id
        assert assert_points[mid] == entries[mid] == (3 * 100 + 4 * 20, 0)
    finally:
        db.close()


def test_offline_spending_is_capped_and_the_overdraft_flagged(hq, two_tills):
    a, b = two_tills
    m = phone()
    members.register(a, m)
    r0 = sell(a, m, TOWEL, 30)  # 1,500 yuan: some 3,000 points (as the program prices it)
    assert r0.points["earned"] >= 2500
    settle(a, b)
    cap = program_store.active(a).redemption.offline_cap_points
    assert cap == 2000
    with offline(a), offline(b):
        with pytest.raises(DomainError) as refused:
            sell(a, m, TOWEL, 2, redeem=cap + 100)  # over the per-till offline cap
        assert refused.value.code == "sync.offline_cap"
        r1 = sell(a, m, TOWEL, 1, redeem=1000)  # 50 yuan: at most 1,250 points by the 50 % cash cap
        r2 = sell(a, m, TOWEL, 1, redeem=1000)
        with pytest.raises(DomainError):
            sell(a, m, TOWEL, 2, redeem=100)  # 2,000 already spent offline here: the cap is used up
        r3 = sell(b, m, TOWEL, 2, redeem=2000)  # B's own cap: it cannot know what A spent
    for db, r in ((a, r1), (a, r2), (b, r3)):
        with db.read() as s:
            assert s.get(Sale, uuid.UUID(r.sale_id)).provisional
    settle(a, b)
    assert_all_agree(hq, a, b)
    mid = members.MemberIndex(str(a.path)).find(m)[0].id
    entries, _ = hq_state(hq)
    # earned first; 4,000 spent offline at two stores; what the three sales earned on their cash parts
    assert entries[mid][0] == r0.points["earned"] - 4000 + sum(r.points["earned"] for r in (r1, r2, r3)) < 0
    flagged = json.loads(hq.cli("exceptions", "--json").stdout)
    mine = [e for e in flagged if e["member"] and e["member"]["id"] == mid and e["kind"] == "overdraft"]
    assert mine and mine[-1]["detail"]["points_balance"] == entries[mid][0]
    assert m not in json.dumps(flagged)
    with hq.db.read() as s:  # nothing silently lost: every sale is at HQ, the offline ones marked provisional
        for r in (r1, r2, r3):
            assert s.get(HQSale, uuid.UUID(r.sale_id)).provisional


def test_online_spending_is_held_at_hq(hq, two_tills):
    a, b = two_tills
    m = phone()
    members.register(a, m)
    sell(a, m, TOWEL, 10)  # 1,000 points
    settle(a, b)
    r = sell(b, m, TOWEL, 2, redeem=1000)  # HQ holds the points first: not provisional
    with b.read() as s:
        assert not s.get(Sale, uuid.UUID(r.sale_id)).provisional
    from pos.services.spending import authorize
    mid = members.MemberIndex(str(a.path)).find(m)[0].id
    d = authorize(a, mid, 300)  # A has not heard of B's sale, HQ has the hold: refused online
    assert not d.ok and d.online and d.reason == "not_enough_points"
    settle(b, a)
    assert_all_agree(hq, a, b)


def test_program_published_at_hq_prices_the_next_sale_at_both_stores(hq, two_tills, tmp_path):
    a, b = two_tills
    doc = json.loads((ROOT / "pos/resources/presets/vancl.json").read_text())
    doc["version"] = f"hq-{uuid.uuid4().hex[:8]}"
    doc["earn"]["rates"]["regular"] = "5"
    path = tmp_path / "program.json"
    path.write_text(json.dumps(doc))
    got = json.loads(hq.cli("program", "publish", str(path), "--json").stdout)
    assert got["version"] == doc["version"]
    m = phone()
    members.register(a, m)
    settle(a, b)
    for db in (a, b):
        assert program_store.active(db).version == doc["version"]
        r = sell(db, m, TOWEL, 1)  # 50 yuan at 5 points a yuan
        assert r.points["earned"] == 250 and r.program_version == doc["version"]
    publish_preset(hq, tmp_path)  # the shared HQ back to the preset's rules for the tests after this one


def test_a_till_of_store_a_cannot_push_as_store_b(hq, two_tills):
    a, b = two_tills
    members.register(a, phone())
    engine.capture(a)
    with a.read() as s:
        ev = s.scalars(select(OutboxEvent).where(OutboxEvent.status == "pending")).first()
    client = engine.client_for(a)
    forged = engine._event(ev).model_copy(update={"payload": {**ev.payload, "store": b.store_code}})
    for req in (PushRequest(store=b.store_code, events=[engine._event(ev)]),  # the batch claims B
                PushRequest(store=a.store_code, events=[forged])):  # an event claims B
        with pytest.raises(HQError) as err:
            client.push(req)
        assert err.value.status == 403 and err.value.error == "store.mismatch"
    with hq.db.read() as s:
        assert s.get(IngestedEvent, ev.event_id) is None
    with pytest.raises(HQError) as err:
        HQClient(hq.url, "st_not-a-token").pull(None)
    assert err.value.status == 401


def test_cli_store_add_enrol_sync_once(hq, tmp_path):
    code = "C" + uuid.uuid4().hex[:6].upper()
    added = json.loads(hq.cli("store", "add", code, "--name", "杭州店", "--json").stdout)
    assert added["store"] == code and added["enrol_code"]
    till = tmp_path / "till.sqlite3"
    run_main("program", "install", "preset:vancl", db=till)
    bad = run_main("enrol", "--hq", hq.url, "--code", "NOPE-NOPE-NOPE", db=till, check=2)
    assert "unknown or already used enrolment code" in bad.stderr
    run_main("enrol", "--hq", hq.url, "--code", added["enrol_code"], db=till)
    again = run_main("enrol", "--hq", hq.url, "--code", added["enrol_code"], db=till, check=2)
    assert "already used" in again.stderr
    p = phone()
    run_main("member", "add", "--phone", p, db=till)
    got = json.loads(run_main("sync", "--once", "--json", db=till).stdout)
    assert got["ok"] and got["store"] == code and got["pushed"]["accepted"] >= 1 and got["pulled"]["changes"] >= 1
    assert p not in json.dumps(got)
    st = json.loads(run_main("sync", "--status", "--json", db=till).stdout)
    assert st["pending"] == 0 and st["rejected"] == 0
    down = run_main("sync", "--once", "--json", db=till, env={}, check=None)
    assert down.returncode == 0
    dup = hq.cli("store", "add", code, "--name", "x", check=2)
    assert "exists" in dup.stderr


def test_rejected_events_are_kept_and_shown(hq, two_tills):
    a, _ = two_tills
    with a.transaction() as s:  # an event HQ cannot apply (a member without its id)
        from pos.store.outbox import emit
        emit(s, a, "member.updated", {"fields": {"name": "x"}})
    got = engine.sync_once(a)
    assert got["pushed"]["rejected"] == 1 and "missing field 'id'" in got["pushed"]["rejected_events"][0]["reason"]
    st = engine.status(a)
    assert st["rejected"] == 1 and st["rejected_events"][0]["kind"] == "member.updated"
    again = engine.sync_once(a)
    assert again["pushed"]["events"] == 0  # kept, shown, not re-sent on its own
