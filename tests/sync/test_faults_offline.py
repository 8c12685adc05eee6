"""Issue 12 item 1: every transport failure is "offline" (a real HQ behind a real
fault-injecting proxy): `sync --once` exits 3 with one line and no traceback, and
a checkout that redeems points on an enrolled till falls back to the offline policy."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from pos.services import members
from pos.services.checkout import Checkout
from pos.store.models import Sale
from pos.rules.pricing import Tender
from sync import engine
from sync.client import HQClient, HQUnavailable
from sync.server.models import Hold

from .conftest import TOWEL, make_till, phone, run_main
from .faults import FaultyProxy

FAULTS = ("drop", "reset", "reset_mid_request", "drop_response", "delay", "truncate", "garbage", "bad_gateway",
          "portal")


@pytest.fixture
def till(tmp_path, hq):
    db = make_till(tmp_path, hq, "F")
    try:
        yield db
    finally:
        db.close()


@pytest.fixture(scope="module")
def points_till(hq, tmp_path_factory):
    """One enrolled till with a member holding 1,000 points, shared by the checkout cases."""
    db = make_till(tmp_path_factory.mktemp("points"), hq, "P")
    try:
        yield db, _member_with_points(db)
    finally:
        db.close()


def _member_with_points(db) -> str:
    m = members.register(db, phone())
    co = Checkout(db)
    co.add(TOWEL, 10)  # 500 yuan: 1,000 points
    co.attach_member_id(str(m.id))
    co.pay([Tender("cash", co.quote().net_fen)])
    engine.sync_once(db)
    return str(m.id)


def test_sync_once_over_a_truncating_proxy_exits_3_with_one_line(hq, till):
    members.register(till, phone())
    with FaultyProxy(hq.port, default="truncate") as proxy:
        till.set_setting("sync.hq_url", proxy.url)
        got = run_main("sync", "--once", db=till.path, check=None)
        assert got.returncode == 3, (got.stdout, got.stderr)
        assert "Traceback" not in got.stderr and "Traceback" not in got.stdout
        assert len(got.stderr.strip().splitlines()) == 1 and "HQ unreachable" in got.stderr
        assert "truncate" in proxy.seen
        assert engine.status(till)["pending"] > 0  # nothing lost, nothing marked sent: retried later
    till.set_setting("sync.hq_url", hq.url)
    again = engine.sync_once(till)
    assert again["ok"] and again["status"]["pending"] == 0 and again["status"]["rejected"] == 0


def test_each_fault_is_offline_not_a_crash(hq, till):
    for mode in FAULTS:
        members.register(till, phone())
        with FaultyProxy(hq.port, default=mode, delay=1.2) as proxy:
            client = HQClient(proxy.url, till.settings["sync.token"], retries=1, timeout=(1.0, 0.8))
            try:
                with pytest.raises(HQUnavailable):
                    engine.sync_once(till, client)
            finally:
                client.close()
            assert proxy.seen and set(proxy.seen) == {mode}, mode
        got = engine.sync_once(till)  # HQ directly: exactly once, whatever the proxy let through
        assert got["ok"] and got["status"]["pending"] == 0 and got["status"]["rejected"] == 0, mode


def test_a_tls_error_is_offline(hq, till):
    with FaultyProxy(hq.port) as proxy:  # speaks plain HTTP: the TLS handshake fails
        client = HQClient(proxy.url.replace("http://", "https://"), till.settings["sync.token"], retries=0,
                          timeout=(1.0, 1.0))
        try:
            with pytest.raises(HQUnavailable):
                client.pull(None)
        finally:
            client.close()


@pytest.mark.parametrize("mode", ["truncate", "garbage", "portal"])
def test_checkout_with_points_over_a_broken_hold_reply_falls_back_offline(hq, points_till, mode):
    till, mid = points_till
    with FaultyProxy(hq.port, default=mode) as proxy:
        url = till.settings["sync.hq_url"]
        till.settings["sync.hq_url"] = proxy.url  # the hold goes through the proxy
        try:
            co = Checkout(till)
            co.add(TOWEL, 2)
            co.attach_member_id(mid)
            co.redeem(200)
            r = co.pay([Tender("cash", co.quote().net_fen)])
        finally:
            till.settings["sync.hq_url"] = url
        assert proxy.seen == [mode]  # the one quick hold try, broken
    assert r.points["redeemed"] == 200
    with till.read() as s:
        assert s.get(Sale, uuid.UUID(r.sale_id)).provisional  # spent under the offline policy
    if mode != "portal":
        with hq.db.read() as s:  # HQ did place the hold: its reply was what broke
            assert s.get(Hold, uuid.UUID(r.sale_id)) is not None
    got = engine.sync_once(till)
    assert got["ok"] and got["pushed"]["rejected"] == 0
    with hq.db.read() as s:
        hold = s.scalar(select(Hold).where(Hold.id == uuid.UUID(r.sale_id)))
        assert hold is None or hold.status == "used"
