"""A member changed by a pull from HQ refreshes the checkout screen's member panel
by itself (pos.changes -> app.events): real widgets, a real store, the page
applied as the sync engine applies it (pos.services.sync_apply.apply_page)."""
from __future__ import annotations

import datetime as dt

import pytest

from app import i18n
from app.checkout_screen import CheckoutScreen
from pos.clock import FixedClock
from pos.ids import uuid7
from pos.services import members
from pos.services.sync_apply import apply_page
from pos.services.till import Till
from pos.store import program_store
from pos.store.database import open_db

PHONE = "13800138000"


@pytest.fixture
def store(tmp_path):
    db = open_db(tmp_path / "till.sqlite3", clock=FixedClock(dt.datetime(2026, 11, 23, 10, 0)))
    program_store.ensure_default(db)
    yield db
    db.close()


def earned_elsewhere(db, member_id: str, points: int, cursor: str) -> None:
    """Points the member earned at another store, arriving by pull as HQ sends them."""
    now = db.clock.now()
    eid = str(uuid7())
    apply_page(db, [{"kind": "points_entry", "id": eid, "data": {
        "id": eid, "member_id": member_id, "kind": "earn", "points": points, "available_at": now.isoformat(),
        "expires_at": None, "store_code": "B01", "created_at": now.isoformat(), "test_clock": False}}], cursor)


def screen_for(qtbot, db) -> CheckoutScreen:
    i18n.install("en")
    w = CheckoutScreen(Till(db, lang="en"))
    qtbot.addWidget(w)
    w.resize(1024, 700)
    w.show()
    return w


def test_a_pulled_points_change_shows_on_the_panel_without_a_refresh(qtbot, store):
    m = members.register(store, PHONE)
    w = screen_for(qtbot, store)
    w.handle_code(PHONE)
    assert w.till.member_id == m.id, w.message.text()
    before = w.panel.points.text()
    assert before.startswith(f"{w.till.panel().points:,} ")
    start = w.till.panel().points

    earned_elsewhere(store, m.id, 700, "c1")  # what a sync round does on its worker, here on the test's thread

    want = f"{start + 700:,} "
    qtbot.waitUntil(lambda: w.panel.points.text().startswith(want), timeout=3000)
    assert w.panel.points.text() != before
    i18n.install("zh_CN")


def test_a_pull_from_a_worker_thread_reaches_the_panel(qtbot, store):
    """As in the app: the page is applied by an operation off the GUI thread."""
    from app.operations import Operation

    m = members.register(store, PHONE)
    w = screen_for(qtbot, store)
    w.handle_code(PHONE)
    start = w.till.panel().points
    op = Operation(w, lambda: earned_elsewhere(store, m.id, 1200, "c2"), name="pull").run_in_background()
    qtbot.waitUntil(lambda: w.panel.points.text().startswith(f"{start + 1200:,} "), timeout=5000)
    assert "members" in op.changes and m.id in op.changes.members
    i18n.install("zh_CN")


def test_a_pull_about_another_member_leaves_the_panel_alone(qtbot, store, monkeypatch):
    m = members.register(store, PHONE)
    other = members.register(store, "13900139000")
    w = screen_for(qtbot, store)
    w.handle_code(PHONE)
    assert w.till.member_id == m.id
    calls = []
    real = w.refresh_panel
    monkeypatch.setattr(w, "refresh_panel", lambda: calls.append(1) or real())
    earned_elsewhere(store, other.id, 300, "c3")
    qtbot.wait(100)
    assert calls == []
    earned_elsewhere(store, m.id, 300, "c4")
    qtbot.waitUntil(lambda: calls == [1], timeout=3000)
    i18n.install("zh_CN")
