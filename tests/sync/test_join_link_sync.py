"""The store's join link on the till (issue 16 item 2, "shown on the till's customer display
when idle"): a real HQ process gives an enrolled till its own store's signed join link
(GET /v1/store/join-link, the same text `hq store qr` prints that day); the till keeps it
in its settings, refreshes it with the sync when due, shows it offline, never past its
expiry — and the customer screen draws it as a QR a phone reads back as that very link."""
from __future__ import annotations

import datetime as dt
import time

import pytest
import requests

from pos.store import settings as store_settings
from sync import engine, join_link

from .conftest import make_till, offline


def _verify(hq, url: str) -> str:
    from sync.server import signing

    signing.init(hq.db)
    return str(signing.verify("store", url.rsplit("/", 1)[1])["s"])


def test_the_till_gets_its_stores_join_link_and_keeps_it(hq, tmp_path):
    from sync.server import member_self

    day = time.gmtime().tm_yday
    till = make_till(tmp_path, hq, "JL")
    try:
        got = store_settings.JOIN_LINK.get(till)  # fetched at enrolment
        assert got is not None and got["url"].startswith(hq.url + "/m/join/")
        assert _verify(hq, got["url"]) == till.store_code  # signed by HQ's key, for this store
        printed = member_self.store_link(hq.db, till.store_code, hq.url)  # what `hq store qr` prints today
        if time.gmtime().tm_yday == day:
            assert (got["url"], got["expires_at"]) == (printed["url"], printed["expires_at"])
        exp = dt.datetime.fromisoformat(got["expires_at"])
        assert exp - dt.datetime.now(dt.timezone.utc) >= dt.timedelta(days=member_self.STORE_LINK_DAYS)
        page = requests.get(got["url"], timeout=10)
        assert page.status_code == 200 and "手机号" in page.text  # the phone opens the store's join page

        assert engine.sync_once(till)["join_link"] == "kept"  # not due: no request
        with offline(till):
            assert join_link.current(till) == got["url"]  # offline: the screen still has it
        old = dict(got, fetched_at=(dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=7)).isoformat())
        store_settings.JOIN_LINK.set(till, old)
        assert engine.sync_once(till)["join_link"] == "same"  # asked again after REFRESH_S
        assert dt.datetime.fromisoformat(store_settings.JOIN_LINK.get(till)["fetched_at"]) > \
            dt.datetime.fromisoformat(old["fetched_at"])
        soon = dict(got, expires_at=(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)).isoformat(),
                    fetched_at=dt.datetime.now(dt.timezone.utc).isoformat())
        store_settings.JOIN_LINK.set(till, soon)
        assert join_link.due(till)  # fewer than RENEW_DAYS left: renewed at the next round
        assert engine.sync_once(till)["join_link"] == "same"
        assert store_settings.JOIN_LINK.get(till)["expires_at"] == got["expires_at"]
        gone = dict(got, expires_at=(dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)).isoformat())
        store_settings.JOIN_LINK.set(till, gone)
        with offline(till):
            assert join_link.current(till) is None  # never a QR that would not open
            client = engine.client_for(till, retries=0, timeout=(0.5, 0.5))
            assert join_link.refresh_quietly(till, client)["join_link"] == "not refreshed"  # a round goes on
            client.close()
    finally:
        till.close()


def test_the_endpoint_wants_a_tills_credential(hq):
    r = requests.get(hq.url + "/v1/store/join-link", timeout=10)
    assert r.status_code == 401 and r.json()["error"] == "auth.missing"
    r = requests.get(hq.url + "/v1/store/join-link", headers={"Authorization": "Bearer nope"}, timeout=10)
    assert r.status_code == 401 and r.json()["error"] == "auth.bad_token"


def test_the_customer_screen_shows_hqs_link_as_a_qr_a_phone_reads(qtbot, hq, tmp_path):
    """The customer screen of a till that synced: the QR decodes to HQ's signed link for the
    till's store; a till that never synced shows the store's name, no QR."""
    from app.application import open_store
    from app.customer_display import CustomerDisplay
    from devices.config import CustomerScreenSettings

    from ..ui.qr_support import decode, modules_match

    till = make_till(tmp_path, hq, "JQ")
    fresh = open_store(tmp_path / "fresh.sqlite3")  # never enrolled, never synced
    try:
        url = store_settings.JOIN_LINK.get(till)["url"]
        screen = CustomerDisplay(till, lambda: None)
        qtbot.addWidget(screen)
        assert screen.place(CustomerScreenSettings(mode="window")) is None
        screen.resize(1024, 768)
        qtbot.waitUntil(lambda: screen.isVisible() and screen.state == "idle")
        assert screen.qr_url == url and screen.idle_qr.isVisible()
        assert modules_match(screen.idle_qr, url)
        pytest.importorskip("zxingcpp", reason="the real QR decoder: pip install zxing-cpp (test extra)")
        assert decode(screen) == [url]
        assert _verify(hq, decode(screen)[0]) == till.store_code

        blank = CustomerDisplay(fresh, lambda: None)
        qtbot.addWidget(blank)
        blank.place(CustomerScreenSettings(mode="window"))
        qtbot.waitUntil(lambda: blank.isVisible() and blank.state == "idle")
        assert blank.qr_url is None and not blank.idle_qr.isVisible() and decode(blank) == []
        assert store_settings.STORE_NAME.get(fresh) in blank.idle_caption.text()
    finally:
        till.close()
        fresh.close()
