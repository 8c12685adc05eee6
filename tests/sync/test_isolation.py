"""Issue 12 item 6: store isolation at a real HQ. Another store's hold id and
event id tell nothing; a store's tokens can be revoked or rotated (refused at
once); a forged or out-of-range pull cursor is refused, not served from the start."""
from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
import requests
from sqlalchemy import func, select

from pos.services import members
from pos.services.checkout import Checkout
from pos.rules.pricing import Tender
from sync import engine
from sync.client import HQClient, HQError
from sync.protocol import Event, HoldRequest, PushRequest
from sync.server import admin
from sync.server.admin import AdminError
from sync.server.models import ChangeLog, IngestedEvent

from .conftest import TOWEL, make_till, phone, run_main


def test_another_stores_hold_id_tells_nothing(hq, two_tills):
    a, b = two_tills
    m = members.register(a, phone())
    co = Checkout(a)
    co.add(TOWEL, 10)
    co.attach_member_id(str(m.id))
    co.pay([Tender("cash", co.quote().net_fen)])
    engine.sync_once(a)
    engine.sync_once(b)
    hold_id = uuid.uuid4()
    ca, cb = engine.client_for(a), engine.client_for(b)
    try:
        held = ca.hold(HoldRequest(hold_id=hold_id, member_id=m.id, points=300), timeout=10)
        assert held.status == "held" and held.available_points > 0
        other = uuid.uuid4()  # B asks with A's hold id (and some other member id)
        got = cb.hold(HoldRequest(hold_id=hold_id, member_id=other, points=0, coupon_codes=["X"]), timeout=10)
        assert got.status == "refused" and got.reason == "hold_id_taken"
        assert got.member_id == other and got.available_points == 0 and got.expires_at is None
        got = cb.hold(HoldRequest(hold_id=hold_id, member_id=m.id, points=1), timeout=10)  # nor for A's member
        assert got.status == "refused" and got.reason == "hold_id_taken" and got.available_points == 0
        assert not cb.release(hold_id, timeout=10)  # B cannot release it either
        again = ca.hold(HoldRequest(hold_id=hold_id, member_id=m.id, points=300), timeout=10)
        assert again.status == "held"  # A's own retry is still its hold
    finally:
        ca.close()
        cb.close()


def test_another_stores_event_id_is_not_answered_duplicate(hq, two_tills):
    a, b = two_tills
    members.register(a, phone())
    engine.capture(a)
    got = engine.sync_once(a)
    assert got["pushed"]["accepted"] >= 1
    with hq.db.read() as s:
        taken = s.scalars(select(IngestedEvent).where(IngestedEvent.store_code == a.store_code)).first()
    forged = Event(event_id=taken.event_id, seq=1, kind="member.tag", created_at=dt.datetime.now(dt.timezone.utc),
                   payload={"store": b.store_code, "member_id": str(uuid.uuid4()), "tag": "x"})
    cb = engine.client_for(b)
    try:
        resp = cb.push(PushRequest(store=b.store_code, events=[forged]))
    finally:
        cb.close()
    r = resp.results[0]
    assert r.status == "rejected" and r.reason == "event id already used by another store"
    assert a.store_code not in json.dumps(resp.model_dump(mode="json"))
    with hq.db.read() as s:  # A's event is untouched
        row = s.get(IngestedEvent, taken.event_id)
        assert row.store_code == a.store_code and row.status == taken.status and row.kind == taken.kind


def test_store_revoke_and_rotate(hq, tmp_path):
    db = make_till(tmp_path, hq, "R")
    try:
        members.register(db, phone())
        assert engine.sync_once(db)["ok"]
        old_token = db.settings["sync.token"]
        got = json.loads(hq.cli("store", "rotate", db.store_code, "--json").stdout)
        assert got["store"] == db.store_code and got["revoked_tokens"] == 1 and got["enrol_code"]
        with pytest.raises(HQError) as refused:  # refused at once
            HQClient(hq.url, old_token).pull(None)
        assert refused.value.status == 401
        down = run_main("sync", "--once", db=db.path, check=2)
        assert "revoked" in down.stderr and "Traceback" not in down.stderr
        engine.enrol(db, hq.url, got["enrol_code"])  # the new code lets the till back in, same store
        assert db.settings["sync.token"] != old_token
        members.register(db, phone())
        assert engine.sync_once(db)["ok"]
        with pytest.raises(HQError) as used:
            engine.enrol(db, hq.url, got["enrol_code"])
        assert used.value.status == 403 and "already used" in used.value.message
        text = hq.cli("store", "revoke", db.store_code).stdout
        assert "1 till token(s) revoked" in text
        with pytest.raises(HQError) as refused:
            engine.client_for(db).pull(None)
        assert refused.value.status == 401
        with pytest.raises(AdminError) as missing:  # the CLI: exit 1, "no store NOSUCH at HQ"
            admin.store_revoke(hq.db, "NOSUCH")
        assert missing.value.status == 404 and "no store NOSUCH" in str(missing.value)
    finally:
        db.close()


def test_forged_or_out_of_range_cursors_are_refused(hq, two_tills):
    a, _ = two_tills
    members.register(a, phone())
    engine.sync_once(a)
    token = a.settings["sync.token"]
    real = engine.status(a)["cursor"]
    assert real and real.startswith("v1:")
    with hq.db.read() as s:
        last = s.scalar(select(func.max(ChangeLog.seq)))
    txid = real.split(":")[1]

    def pull(cursor):
        return requests.get(hq.url + "/v1/pull", params={"cursor": cursor, "limit": 10},
                            headers={"Authorization": f"Bearer {token}"}, timeout=30)

    for bad in ("garbage", "v1:-5:3", "v1:0:-1", "v1:-1:7", f"v1:{txid}:{last + 1000}", f"v1:{txid}:{10 ** 12}",
                "v2:0:1", "v1:0:1:2", "v1:99999999999999999999:1", "v1: 1:2", "v1:+1:2", "v1:01:2", "v1:0:1_0",
                "v1:0:\x001", "０", f"v1:{int(txid) + 1}:{last}", "v1:0:0"):
        r = pull(bad)
        assert r.status_code == 400, (bad, r.status_code, r.text[:200])
        assert r.json()["error"] == "pull.cursor"
    ok = pull(real)
    assert ok.status_code == 200 and ok.json()["more"] is False
    assert pull("").status_code == 200  # the start is asked for with an empty cursor
