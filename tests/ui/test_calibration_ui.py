"""The reports screen's tier calibration (issue 15 §4): today's distribution against the
60/30/10 target, the proposed thresholds and the members that would move — a VIP tier
almost nobody reaches is said at once — and the manager's apply writes a new program
version (as `tiers calibrate --apply`)."""
from __future__ import annotations

import datetime as dt

import pytest

from app import i18n
from app.reports_screen import ReportsScreen
from pos.analytics import calibration
from pos.clock import FixedClock
from pos.demo import store as demo
from pos.store import program_store
from pos.store.database import open_db


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    db = open_db(tmp_path_factory.mktemp("calib_ui") / "store.sqlite3", clock=FixedClock(dt.datetime(2026, 11, 23, 10, 0)))
    demo.build(db, 200, 30, seed=5, sales=600)
    yield db
    db.close()


def test_calibration_tab_and_apply(qtbot, store):
    db = store
    i18n.install("en")
    w = ReportsScreen(db, program_store.active(db))
    qtbot.addWidget(w)
    w.show()
    try:
        qtbot.waitUntil(lambda: w.ready and not w._pending, timeout=30000)
        tab = w.calibration_tab
        want = calibration.propose(db, None, 365, as_of=db.clock.today())
        assert tab.proposal is not None and tab.proposal.proposed == want.proposed
        rows = tab.table.model.rows
        assert [r["tier"] for r in rows] == want.tiers and [r["target_pct"] for r in rows] == [60, 30, 10]
        top = want.tiers[-1]
        reach = want.current["by_spend"][top]["share_pct"]
        assert f"{reach:.1f} % of members reach today's" in tab.headline.text() and "target is 10 %" in tab.headline.text()
        assert rows[-1]["proposed_fen"] == want.proposed["thresholds_fen"][top]
        assert f"{want.moves['up']:,} member(s) up" in tab.moves.text()
        assert w.tabs.tabText(w.calibration_index) == "Tier calibration" and tab.apply_btn.isEnabled()
        before = program_store.active(db).version
        version = w.apply_calibration(confirm=False)
        assert version == want.doc.version != before
        assert program_store.active(db).version == version
        got = program_store.active(db).tiers
        assert [lv.window_spend_fen if got.qualification == "window" else None for lv in got.levels[1:]] == (
            [want.proposed["thresholds_fen"][c] for c in want.tiers[1:]] if got.qualification == "window"
            else [None] * (len(want.tiers) - 1))
        assert not tab.apply_btn.isEnabled() and version in w.status.text()
    finally:
        w.shutdown()
        i18n.install("zh_CN")
