"""The customer screen (issue 16: the join QR "shown on the till's customer display when
idle"): the till's real window, signed in, typed by keys; the customer window beside it.
Idle it shows the store's join link as a QR a real decoder reads back as that link; the
first scan turns it to the basket (a guest also sees the join QR), a member is greeted
masked with their points, payment shows a thank-you with the points earned, then the QR
again. The setting acts: off hides it, a monitor that is not there or is the till's own is
refused in words, and the Devices dialog saves it. (HQ's real link: tests/sync/test_join_link_sync.py.)"""
from __future__ import annotations

import datetime as dt
import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from app import customer_display, i18n
from devices.config import CustomerScreenSettings
from pos.services import members
from pos.store import settings as store_settings

from .cashier import Typist, connect, demo_template, product_codes, till_store, till_window  # noqa: F401
from .qr_support import decode, modules_match


@pytest.fixture
def join_url(till_store, monkeypatch):
    """A link as HQ signs it for this store (HQ's signing, a test key), kept as the sync keeps it."""
    from sync.server import signing

    monkeypatch.setenv("MEMBERPOS_SIGNING_KEY", "5a" * 32)
    signing.init(None)
    url = "https://hq.example.com/m/join/" + signing.sign("store", {"s": till_store.store_code}, 400 * 86400)
    now = dt.datetime.now(dt.timezone.utc)
    store_settings.JOIN_LINK.set(till_store, {"url": url, "expires_at": (now + dt.timedelta(days=400)).isoformat(),
                                              "fetched_at": now.isoformat()})
    return url


def _screen(qtbot, w):
    cd = w.customer
    assert w.customer.place(CustomerScreenSettings(mode="window")) is None
    cd.resize(1024, 768)
    qtbot.waitUntil(lambda: cd.isVisible())
    return cd


def _read(cd) -> list[str]:
    pytest.importorskip("zxingcpp", reason="the real QR decoder: pip install zxing-cpp (test extra)")
    return decode(cd)


def test_idle_qr_then_the_sale_then_thanks_then_the_qr(qtbot, till_window, till_store, join_url, monkeypatch):
    w, c = till_window, till_window.checkout
    cd = _screen(qtbot, w)
    qtbot.waitUntil(lambda: cd.state == "idle")
    assert cd.qr_url == join_url and modules_match(cd.idle_qr, join_url)
    assert _read(cd) == [join_url]  # what a phone reads off the screen is HQ's signed link
    assert "扫码入会" in cd.idle_caption.text() or "Scan to join" in cd.idle_caption.text()
    assert c.input.hasFocus()  # the customer window never takes the keyboard

    t = Typist(qtbot)
    codes = product_codes(till_store, 2)
    t.scan(codes[0]).wait(80).run()
    qtbot.waitUntil(lambda: cd.state == "sale" and cd.table.rowCount() == 1, timeout=5000)
    assert cd.join_qr.isVisible() and cd.qr_url == join_url  # a guest: join now, the gift on this purchase
    q = c.till.last_quote
    assert cd.t_due.text().endswith(f"{q.net_fen / 100:.2f}")
    t.scan(codes[1]).wait(80).run()
    qtbot.waitUntil(lambda: cd.table.rowCount() == 2, timeout=5000)

    conn = connect(till_store)
    phone, name = conn.execute("SELECT phone, name FROM members WHERE status = 'active' AND name IS NOT NULL "
                               "AND phone LIKE '+86%' ORDER BY member_code LIMIT 1").fetchone()
    conn.close()
    t.type(phone[3:], gaps=40).enter().wait(150).run()
    qtbot.waitUntil(lambda: c.till.member_id is not None and cd.greet_points.isVisible(), timeout=5000)
    masked = members.mask_name(name)
    assert masked in cd.greeting.text() and name not in cd.greeting.text()  # the screen faces the queue
    assert not cd.join_qr.isVisible() and cd.qr_url is None  # a member is not asked to join
    earned = c.till.last_quote.points_earned

    monkeypatch.setattr(customer_display, "THANKS_MS", 600)
    t.key(Qt.Key_F12).wait(200).key(Qt.Key_F2).wait(100).enter().wait(200).run()  # pay by WeChat
    qtbot.waitUntil(lambda: cd.state == "thanks", timeout=5000)
    assert c.till.last_paid is not None and not c.till.lines
    assert f"{earned:,}" in cd.th_points.text() and _read(cd) == []
    qtbot.waitUntil(lambda: cd.state == "idle", timeout=5000)  # a few seconds later: the QR again
    assert _read(cd) == [join_url]

    t.scan(codes[0]).wait(80).run()  # the next customer
    qtbot.waitUntil(lambda: cd.state == "sale" and cd.table.rowCount() == 1, timeout=5000)


def test_english_and_no_link_yet(qtbot, till_window, till_store):
    w = till_window
    cd = _screen(qtbot, w)
    qtbot.waitUntil(lambda: cd.state == "idle")
    assert cd.qr_url is None and not cd.idle_qr.isVisible()  # never synced: no QR that would not open
    assert store_settings.STORE_NAME.get(till_store) in cd.idle_caption.text()
    now = dt.datetime.now(dt.timezone.utc)
    store_settings.JOIN_LINK.set(till_store, {"url": "https://hq.example.com/m/join/abc.def",
                                              "expires_at": (now - dt.timedelta(seconds=1)).isoformat(),
                                              "fetched_at": (now - dt.timedelta(days=400)).isoformat()})
    cd.refresh()
    assert cd.qr_url is None  # expired: not shown either
    store_settings.JOIN_LINK.set(till_store, {"url": "https://hq.example.com/m/join/abc.def",
                                              "expires_at": (now + dt.timedelta(days=9)).isoformat(),
                                              "fetched_at": now.isoformat()})
    from pos import changes

    changes.publish("sync")  # a sync round ended: the screen looks again
    qtbot.waitUntil(lambda: cd.qr_url == "https://hq.example.com/m/join/abc.def", timeout=3000)
    w.set_language("en")
    qtbot.waitUntil(lambda: cd.idle_caption.text() == "Scan to join: a welcome gift on your first order", timeout=3000)
    i18n.install("zh_CN")


def test_the_setting_acts(qtbot, till_window, tmp_path):
    from app.customer_display import CustomerDisplay
    from app.device_settings import DeviceSettingsDialog

    w = till_window
    cd = w.customer
    assert not cd.isVisible()  # off by default
    own = QGuiApplication.screens().index(w.screen())
    said = cd.place(CustomerScreenSettings(mode="screen", screen=own))
    assert not cd.isVisible() and said and str(own + 1) in said  # never over the cashier's own screen
    said = cd.place(CustomerScreenSettings(mode="screen", screen=9))
    assert not cd.isVisible() and "10" in said
    assert cd.place(CustomerScreenSettings(mode="off")) is None and not cd.isVisible()

    alone = CustomerDisplay(w.db, lambda: None)  # a monitor of its own: full screen, frameless
    qtbot.addWidget(alone)
    assert alone.place(CustomerScreenSettings(mode="screen", screen=0)) is None
    qtbot.waitUntil(lambda: alone.isVisible())
    assert alone.isFullScreen() and alone.windowFlags() & Qt.FramelessWindowHint
    assert alone.geometry() == QGuiApplication.screens()[0].geometry()

    path = tmp_path / "devices.json"
    dlg = DeviceSettingsDialog(w.bridge, w, path)
    dlg.customer_mode.setCurrentIndex(dlg.customer_mode.findData("window"))
    dlg.save()
    assert json.loads(path.read_text())["customer_screen"]["mode"] == "window"
    w.place_customer()  # as open_devices does after the dialog
    qtbot.waitUntil(lambda: cd.isVisible())
    assert w.checkout.input.hasFocus() or QGuiApplication.focusWindow() is w.windowHandle()
