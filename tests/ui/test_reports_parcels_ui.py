"""The reports screen's Parcels and online tab (issue 18 item 4): the figures of
`pos.analytics.o2o` for the range, over the hand-worked store of tests/pos/test_o2o_report.py
(pickup -> purchase 50 %, voucher used 50 %, online share 50 %, parcels per day)."""
from __future__ import annotations

from app import i18n
from app.reports_screen import ReportsScreen
from pos.store import program_store
from tests.pos.test_o2o_report import D1, D2, build


def test_parcels_tab(qtbot, db, clock, tmp_path):
    build(db, clock, tmp_path)
    i18n.install("en")
    w = ReportsScreen(db, program_store.active(db))
    qtbot.addWidget(w)
    try:
        w.show()
        w.set_range(D1, D2)
        qtbot.waitUntil(lambda: w.ready and not w._pending and w.parcels_tab.report is not None, timeout=30000)
        tab = w.parcels_tab
        assert w.tabs.tabText(w.parcels_index) == "Parcels and online"
        assert tab.tiles["parcels"].value.text() == "4 / 2" and "1 overdue" in tab.tiles["parcels"].sub.text()
        assert tab.tiles["conversion"].value.text() == "50.0%" and "1 of 2" in tab.tiles["conversion"].sub.text()
        assert tab.tiles["voucher"].value.text() == "50.0%"
        assert tab.tiles["online"].value.text() == "50.0%" and "¥99.00" in tab.tiles["online"].sub.text()
        assert [(r["date"], r["received"], r["collected"], r["overdue"]) for r in tab.table.model.rows] == [
            ("2026-11-23", 3, 1, 0), ("2026-11-24", 1, 1, 1)]
    finally:
        w.shutdown()
        i18n.install("zh_CN")
