"""The arrivals panel (issue 16 item 4): a member who checked in at the door by QR shows
on the till within a poll (name, tier, complaints in red), the newest selected, and
Ctrl+G attaches them to the sale. HQ's feed is the till's real ArrivalFeed over a client
answering as HQ's `GET /v1/arrivals` does (the real endpoint: tests/sync/test_arrivals_forward.py)."""
from __future__ import annotations

import datetime as dt
import uuid

from PySide6.QtCore import Qt

from pos.services import members
from sync import arrivals as till_arrivals

from .cashier import Typist, connect, demo_template, till_store, till_window  # noqa: F401


class FeedHQ:
    """Answers GET /v1/arrivals like HQ: the arrivals after `since`."""

    def __init__(self):
        self.rows: list[dict] = []
        self.asked: list[dict] = []

    def _request(self, method, path, *, params=None, **_kw):
        assert (method, path) == ("GET", "/v1/arrivals")
        self.asked.append(dict(params or {}))
        since = int((params or {}).get("since", 0))
        rows = [r for r in self.rows if r["seq"] > since]
        return {"store": "S1", "arrivals": rows, "cursor": max([since] + [r["seq"] for r in rows])}

    def close(self):
        pass


def test_an_arrival_shows_and_ctrl_g_attaches_it(qtbot, till_window, till_store, monkeypatch):
    w, c = till_window, till_window.checkout
    conn = connect(till_store)
    mid, code, name = conn.execute("SELECT id, member_code, name FROM members WHERE status = 'active' AND name IS NOT NULL "
                                   "ORDER BY member_code LIMIT 1").fetchone()
    conn.close()
    mid = str(uuid.UUID(hex=mid))
    members.add_note(till_store, mid, "上次退货等太久", kind="complaint", actor="C01")
    assert not c.arrivals.isVisible()  # nobody has arrived: the panel stays out of the way
    Typist(qtbot).key(Qt.Key_G, Qt.ControlModifier).wait(100).run()
    assert any(w in c.message.text() for w in ("签到", "checked in")) and c.till.member_id is None

    hq = FeedHQ()
    monkeypatch.setattr(till_arrivals.store_settings, "enrolled", lambda db: True)
    w.arrivals.feed._client = hq
    w.arrivals.set_sync_state("online")  # the background sync found HQ: polling starts
    hq.rows.append({"id": str(uuid.uuid4()), "seq": 7, "at": dt.datetime.now(dt.timezone.utc).isoformat(),
                    "member_id": mid, "member_code": code, "name": members.mask_name(name), "phone_masked": None,
                    "tier": "member", "tags": [], "points": 10, "via": "qr"})
    w.arrivals.poll_now()
    qtbot.waitUntil(lambda: c.arrivals.isVisible() and c.arrivals.list.count() == 1, timeout=5000)
    text = c.arrivals.detail.text()
    assert members.mask_name(name) in text and "上次退货等太久" in text and "#c00000" in text  # the complaint in red
    assert "1" in c.arrivals.title.text()
    w.arrivals.poll_now()
    qtbot.waitUntil(lambda: hq.asked and hq.asked[-1].get("since") == 7, timeout=5000)  # the cursor moved on
    assert c.arrivals.list.count() == 1

    c.focus_input()
    Typist(qtbot).key(Qt.Key_G, Qt.ControlModifier).wait(150).run()
    assert c.till.member_id == mid, c.message.text()
    assert c.input.hasFocus()
    assert c.arrivals.list.item(0).text().startswith("✓")  # ticked: greeted and on the sale
