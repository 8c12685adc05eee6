"""The app's background sync against a real HQ process: a sale goes up at once,
the status bar says online / offline with the events waiting, and a till that
was offline catches up by itself when HQ is back."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.sync_bridge import SyncBridge
from pos.services.checkout import Checkout
from pos.rules.pricing import Tender
from sync.server.models import Sale as HQSale

from .conftest import TOWEL, make_till, offline


def sell(db):
    co = Checkout(db)
    co.add(TOWEL)
    return co.pay([Tender("cash", co.quote().net_fen)])


def hq_has(hq, receipt_no: str) -> bool:
    with hq.db.read() as s:
        return s.scalar(select(func.count()).select_from(HQSale).where(HQSale.receipt_no == receipt_no)) == 1


@pytest.fixture
def till(tmp_path, hq):
    db = make_till(tmp_path, hq, "UI")
    yield db
    db.close()


def test_background_sync_online_offline_and_catching_up(qtbot, hq, till):
    seen: list[tuple[str, int, str]] = []
    bridge = SyncBridge(till, interval_s=60)  # only kicks move it in this test
    bridge.state.connect(lambda *a: seen.append(a))
    bridge.start()
    try:
        qtbot.waitUntil(lambda: bool(seen) and seen[-1][0] == "online", timeout=30000)
        sale = sell(till)
        n = len(seen)
        bridge.kick()  # what the window does after each sale
        qtbot.waitUntil(lambda: len(seen) > n, timeout=30000)
        assert seen[-1][:2] == ("online", 0)
        assert hq_has(hq, sale.receipt_no)

        with offline(till):
            cut = sell(till)
            n = len(seen)
            bridge.kick()
            qtbot.waitUntil(lambda: len(seen) > n, timeout=60000)
            state, waiting, detail = seen[-1]
            assert state == "offline" and waiting >= 1 and detail
            assert not hq_has(hq, cut.receipt_no)  # nothing lost: it waits in the outbox
        n = len(seen)
        bridge.kick()
        qtbot.waitUntil(lambda: len(seen) > n, timeout=30000)
        assert seen[-1][:2] == ("online", 0)
        assert hq_has(hq, cut.receipt_no)
    finally:
        bridge.stop()


def test_the_status_bar_shows_the_sync_state(qtbot, hq, till, monkeypatch):
    from app import i18n
    from app.main_window import MainWindow

    i18n.install("en")
    monkeypatch.setattr("app.main_window.TAGS_DELAY_MS", 10**8)
    w = MainWindow(till)
    qtbot.addWidget(w)
    try:
        qtbot.waitUntil(lambda: w.sync_label.property("state") == "online", timeout=30000)
        assert w.sync_label.text() == "HQ sync: online"
        w.on_sync_state("offline", 3, "HQ unreachable")
        assert w.sync_label.text() == "HQ sync: offline, 3 event(s) waiting"
        assert w.sync_label.toolTip() == "HQ unreachable"
        w.on_sync_state("rejected", 1, "sale.committed: bad")
        assert "refused by HQ" in w.sync_label.text()
    finally:
        w.close()
        i18n.install("zh_CN")


def test_a_till_enrolled_while_the_app_runs_starts_syncing(tmp_path, hq):
    from pos.store import program_store
    from pos.store.database import open_db
    from sync import engine

    path = tmp_path / "late.sqlite3"
    app_db = open_db(path)
    program_store.ensure_default(app_db)
    bridge = SyncBridge(app_db)
    try:
        assert bridge.round() == ("not_configured", 0, "")
        cli_db = open_db(path)  # `python main.py enrol` from another process
        code, enrol_code = hq.add_store("late")
        engine.enrol(cli_db, hq.url, enrol_code)
        cli_db.close()
        state, waiting, _ = bridge.round()
        assert (state, waiting) == ("online", 0)
        assert app_db.store_code == code  # the status bar's store follows
    finally:
        app_db.close()
