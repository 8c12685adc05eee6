"""The reports screen over a small demo store (pytest-qt, offscreen): it opens at
once, fills in from worker threads, shows the same figures as pos.analytics.reports,
drills down to members, issues win-back coupons and exports CSV / XLSX / PDF."""
from __future__ import annotations

import datetime as dt
import time

import pytest
from PySide6.QtCore import Qt

from app import i18n
from app.reports_screen import ReportsScreen, _pct, _yuan
from pos.demo import store as demo
from pos.store import program_store
from pos.analytics import reports, segments
from pos.clock import FixedClock
from pos.store.database import open_db


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("reports_ui") / "store.sqlite3"
    db = open_db(path, clock=FixedClock(dt.datetime(2026, 11, 23, 10, 0)))
    demo.build(db, 400, 60, seed=3, sales=3000)
    yield db, program_store.active(db)
    db.close()


@pytest.fixture
def screen(qtbot, store):
    db, doc = store
    i18n.install("en")  # the assertions read English labels, whatever an earlier test installed
    started = time.perf_counter()
    w = ReportsScreen(db, doc)
    qtbot.addWidget(w)
    w.resize(1280, 820)
    w.show()
    opened = time.perf_counter() - started
    assert opened < 1.0  # usable at once: the figures come from worker threads
    yield w
    w.shutdown()
    i18n.install("zh_CN")


def wait_ready(qtbot, w):
    qtbot.waitUntil(lambda: w.ready and not w._pending, timeout=30000)


def test_tiles_match_pos_reports(qtbot, screen, store):
    db, doc = store
    end = db.clock.today()
    screen.set_range(end - dt.timedelta(days=29), end)
    wait_ready(qtbot, screen)
    expected = reports.period(db, doc, end - dt.timedelta(days=29), end).summary
    assert screen.tiles["sales"].value.text() == _yuan(expected["sales_fen"])
    assert screen.tiles["transactions"].value.text() == f"{expected['transactions']:,}"
    assert screen.tiles["member_share"].value.text() == _pct(expected["member_share_sales"])
    assert screen.tiles["liability"].value.text() == _yuan(expected["points_liability_fen"])
    assert screen.progress.value() == screen.progress.maximum()
    # the Details tab names every figure and shows it as a manager reads it (yuan, per cent)
    rows = {r["metric"]: r for r in screen.summary_table.model.rows}
    assert rows["sales_fen"]["label"] == "Sales (net of refunds)" and rows["sales_fen"]["shown"] == _yuan(expected["sales_fen"])
    assert rows["churn_rate"]["shown"] == _pct(expected["churn_rate"])
    assert all(r["label"] != k for k, r in rows.items())  # no figure left without a name
    sg = segments.segmentation(db, end)
    assert sum(int(screen.heat.item(i, j).text().replace(",", "")) for i in range(5) for j in range(5)) == sg.buyers
    assert f"{_pct(sg.pareto['top_share'])}" in screen.pareto_label.text()  # whichever language is installed


def test_drill_down_from_a_tile_and_a_heat_cell(qtbot, screen, store):
    db, doc = store
    end = db.clock.today()
    screen.set_range(end - dt.timedelta(days=89), end)
    wait_ready(qtbot, screen)
    tile = screen.tiles["new_members"]
    assert tile.drill == "new_members"
    qtbot.mouseClick(tile, Qt.LeftButton)
    want = reports.members_behind(db, doc, end - dt.timedelta(days=89), end, "new_members", limit=5000)
    qtbot.waitUntil(lambda: screen.members_table.model.rowCount() == len(want) and not screen._pending, timeout=20000)
    assert {r["id"] for r in screen.members_table.model.rows} == {r["id"] for r in want}
    assert screen.tabs.currentIndex() == screen.members_tab
    screen.members_table.filter.setText(want[0]["member_code"])
    assert screen.members_table.proxy.rowCount() == 1
    screen._heat_clicked(0, 0)  # R5 F1
    cell = segments.members(db, end, r=5, f=1, limit=5000)
    qtbot.waitUntil(lambda: not screen._pending and screen.drill_title.startswith("Segment"), timeout=20000)
    assert len(screen.members_table.model.rows) == len(cell) > 0


def test_churn_list_win_back_and_exports(qtbot, screen, store, tmp_path):
    from openpyxl import load_workbook

    db, doc = store
    wait_ready(qtbot, screen)
    screen.days_combo.setCurrentIndex(1)  # 180 days
    screen.load_churn()
    qtbot.waitUntil(lambda: not screen._pending and screen.churn is not None and screen.churn.days == 180, timeout=20000)
    assert screen.churn_table.model.rowCount() == min(screen.churn.total, 5000) > 0
    # sort by money spent, select the two best, issue (no confirmation box in a test)
    screen.churn_table.view.sortByColumn(7, Qt.DescendingOrder)
    screen.churn_table.view.selectRow(0)
    first = screen.churn_table.selected_rows()
    assert first[0]["monetary_fen"] == max(r["monetary_fen"] for r in screen.churn_table.model.rows)
    result = screen.issue_win_back(confirm=False)
    assert [i["member_id"] for i in result.issued] == [first[0]["id"]]
    csv_path = screen.export_csv(tmp_path / "report.csv")
    text = csv_path.read_text(encoding="utf-8-sig")
    assert text.startswith("section,key,metric,value") and "summary,,sales_fen," in text and "rfm_cells," in text
    wb = load_workbook(screen.export_xlsx(tmp_path / "report.xlsx"))
    assert {"summary", "by_day", "rfm_cells", "abc", "churn"} <= set(wb.sheetnames)
    assert wb["summary"]["B2"].value == screen.period_report.summary["sales_fen"]
    assert screen.export_churn(tmp_path / "churn.csv").read_text(encoding="utf-8-sig").startswith("member_code,")
    pdf = screen.save_pdf(tmp_path / "report.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_a_stale_result_is_dropped(qtbot, screen, store):
    db, _ = store
    wait_ready(qtbot, screen)
    end = db.clock.today()
    screen.set_range(end - dt.timedelta(days=6), end)   # a first range …
    screen.set_range(end, end)                           # … replaced before it finished
    wait_ready(qtbot, screen)
    assert screen.period_report.start == end and screen.period_report.end == end


def test_dormant_vips_get_a_win_back_coupon_and_the_list_is_exported(qtbot, screen, store, tmp_path):
    """The issue's "done when": read the day's figures, find the dormant VIPs (no
    purchase in 365 days), issue them the win-back coupon, export the list."""
    from openpyxl import load_workbook

    db, doc = store
    wait_ready(qtbot, screen)
    day = reports.daily(db, doc).summary
    assert screen.tiles["sales"].value.text() == _yuan(day["sales_fen"])
    screen.days_combo.setCurrentIndex(screen.days_combo.findData(365))
    screen.tier_combo.setCurrentIndex(screen.tier_combo.findData("vip"))
    screen.load_churn()
    qtbot.waitUntil(lambda: not screen._pending and screen.churn is not None and screen.churn.days == 365, timeout=20000)
    expected = segments.churn_watch(db, db.clock.today(), 365, tier="vip", limit=None)
    assert screen.churn.total == expected.total > 0
    assert {r["tier"] for r in screen.churn_table.model.rows} == {"vip"}
    assert all(r["days_since"] >= 365 for r in screen.churn_table.model.rows)
    screen.churn_table.view.selectAll()
    result = screen.issue_win_back(confirm=False)
    held = {r["member_id"] for r in result.skipped if r["reason"] == "holds_one"}
    assert {i["member_id"] for i in result.issued} | held == {m["id"] for m in expected.members}
    from sqlalchemy import func, select
    from pos.store.models import Coupon
    with db.read() as s:
        issued = s.scalar(select(func.count()).select_from(Coupon).where(Coupon.source == "win_back"))
    assert issued >= len(result.issued)
    wb = load_workbook(screen.export_churn(tmp_path / "dormant-vips.xlsx"))
    sheet = wb[wb.sheetnames[0]]
    codes = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(codes) == sorted(m["member_code"] for m in expected.members)


def test_every_member_figure_tile_drills_down(qtbot, screen, store):
    """Tiles with members behind them open the list (the liability: who holds the points)."""
    db, doc = store
    end = db.clock.today()
    screen.set_range(end - dt.timedelta(days=29), end)
    wait_ready(qtbot, screen)
    drills = {k: t.drill for k, t in screen.tiles.items()}
    assert drills["liability"] == "points_holders" and drills["stored_value"] == "stored_value_holders"
    assert sum(1 for v in drills.values() if v) >= 11  # all but non-member sales (no members behind it)
    qtbot.mouseClick(screen.tiles["liability"], Qt.LeftButton)
    want = reports.members_behind(db, doc, end - dt.timedelta(days=29), end, "points_holders", limit=5000)
    qtbot.waitUntil(lambda: not screen._pending and screen.members_table.model.rowCount() == len(want), timeout=20000)
    assert [r["id"] for r in screen.members_table.model.rows] == [r["id"] for r in want]


def test_keys_switch_tabs_and_recompute(qtbot, screen, store):
    wait_ready(qtbot, screen)
    screen.activateWindow()
    screen.setFocus()
    qtbot.keyClick(screen, Qt.Key_4, Qt.ControlModifier)
    assert screen.tabs.currentIndex() == 3  # the churn watch
    generation = screen._generation
    qtbot.keyClick(screen, Qt.Key_F5)
    assert screen._generation == generation + 1  # recomputing
    wait_ready(qtbot, screen)
    assert screen.refresh_btn.toolTip() == "F5" and screen.xlsx_btn.toolTip() == "Ctrl+E"


def test_segments_are_reused_until_a_sale_comes(qtbot, screen, store, monkeypatch):
    """Changing the period's start keeps the end date: RFM is not computed again,
    unless a sale (or a member) was added meanwhile."""
    from pos.services.checkout import Checkout, Tender

    db, _ = store
    wait_ready(qtbot, screen)
    calls = []
    real = segments.segmentation
    monkeypatch.setattr(segments, "segmentation", lambda *a, **k: calls.append(1) or real(*a, **k))
    end = db.clock.today()
    screen.set_range(end - dt.timedelta(days=6), end)
    wait_ready(qtbot, screen)
    screen.set_range(end - dt.timedelta(days=29), end)
    wait_ready(qtbot, screen)
    assert calls == []  # the opening range ended today too: its segments serve both
    import sqlite3
    code = sqlite3.connect(db.path).execute("SELECT barcode FROM product_barcodes LIMIT 1").fetchone()[0]
    co = Checkout(db)
    co.add(code)
    co.pay([Tender("cash", co.quote().net_fen)])
    screen.set_range(end - dt.timedelta(days=6), end)
    wait_ready(qtbot, screen)
    assert calls == [1]  # a new sale: computed again
