"""Cashier app benchmarks (issue 4), offscreen:

- scan → row painted with a 230-line basket: p99 ≤ 16 ms; then re-priced and saved: p99 ≤ 30 ms
  (issue 20), beside the raw parts of the same run (repaint, quote, a durable sqlite3 write)
- cold start to a usable till (sign-in screen shown) with 1,000,000 members: ≤ 1.5 s
- member panel filled (suggestions included): ≤ 20 ms

    python -m pytest tests/bench -p no:cacheprovider -s --benchmark-only -o addopts=""
"""
from __future__ import annotations

import datetime as dt
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from .conftest import BENCH_DIR, percentiles

ROOT = Path(__file__).resolve().parents[2]
RESULTS: dict[str, dict] = {}


def _save(name, data):
    RESULTS[name] = data
    path = BENCH_DIR / "app.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps(old | RESULTS, indent=2))


def test_scan_to_row_painted_200_lines(benchmark, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("POS_CLOCK", "2026-11-23T19:00")
    from PySide6.QtWidgets import QApplication

    from app import i18n
    from app.checkout_screen import CheckoutScreen
    from pos.demo import store as demo
    from pos.services import staff, till
    from pos.clock import FixedClock
    from pos.store.database import open_db

    db = open_db(tmp_path / "till.sqlite3", clock=FixedClock(dt.datetime(2026, 11, 23, 19, 0)))
    demo.build(db, 2000, 600, seed=3)
    i18n.install("zh_CN")
    t = till.Till(db, staff.StaffView("C01", "c", "cashier", 10))
    screen = CheckoutScreen(t)
    qtbot.addWidget(screen)
    screen.resize(1024, 768)
    screen.show()
    codes = [r[0] for r in sqlite3.connect(db.path).execute("SELECT barcode FROM product_barcodes ORDER BY barcode")]
    screen.handle_code(demo.demo_phone(3, 3)[3:])
    for code in codes[:200]:
        t.checkout.add(code)
    t.changed()
    screen.refresh()
    app = QApplication.instance()
    import gc  # as the app does after start-up (app/application.py)
    gc.collect()
    gc.freeze()
    old = gc.get_threshold()
    gc.set_threshold(20000, 20, 20)
    samples, repriced = [], []
    rng = random.Random(1)
    for i in range(60):
        code = codes[200 + i] if i % 2 else rng.choice(codes[:200])
        start = time.perf_counter_ns()
        screen.handle_code(code)
        screen.table.viewport().repaint()  # the scanned row is on screen
        samples.append(time.perf_counter_ns() - start)
        app.processEvents()  # the basket saved and re-priced: discounts, points, totals
        screen.table.viewport().repaint()
        repriced.append(time.perf_counter_ns() - start)
    # the raw parts of the same run, each 60 times on the same 230-line basket: painting the
    # table alone, pricing alone, and one durable sqlite3 write of the same basket document
    paint, quote, write = [], [], []
    doc = json.dumps(t.checkout.document())
    raw = sqlite3.connect(db.path, isolation_level=None)
    for pragma in ("busy_timeout=10000", "synchronous=FULL", "secure_delete=ON"):
        raw.execute(f"PRAGMA {pragma}")
    for i in range(60):
        start = time.perf_counter_ns()
        screen.table.viewport().repaint()
        paint.append(time.perf_counter_ns() - start)
        start = time.perf_counter_ns()
        t.checkout.quote()
        quote.append(time.perf_counter_ns() - start)
        start = time.perf_counter_ns()
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("UPDATE baskets SET document = ?, updated_at = ? WHERE id = ?", (doc + " " * (i % 2), "2026-11-23 11:00:00.000000", t.checkout.sale_id.hex))
        raw.execute("COMMIT")
        write.append(time.perf_counter_ns() - start)
    raw.close()
    gc.set_threshold(*old)
    gc.unfreeze()
    stats = percentiles(samples)
    stats["lines"] = screen.model.rowCount()
    stats["repriced"] = percentiles(repriced)
    stats["raw"] = {"repaint": percentiles(paint), "quote": percentiles(quote), "durable_write_of_the_basket": percentiles(write)}
    stats["goal"] = {"scan_p99_ms": 16, "repriced_p99_ms": 30,
                     "met": stats["p99_ms"] <= 16 and stats["repriced"]["p99_ms"] <= 30}
    stats["load_avg"] = round(os.getloadavg()[0], 2)
    _save("scan_to_row_200_lines", stats)
    r = stats["raw"]
    floor = r["repaint"]["p50_ms"] + r["quote"]["p50_ms"] + r["durable_write_of_the_basket"]["p50_ms"]
    print(f"\nscan -> row painted, {stats['lines']} lines: p50 {stats['p50_ms']} ms p99 {stats['p99_ms']} ms (goal p99 <= 16); "
          f"re-priced and saved: p50 {stats['repriced']['p50_ms']} ms p99 {stats['repriced']['p99_ms']} ms (goal p99 <= 30); "
          f"raw parts p50/p99: repaint {r['repaint']['p50_ms']}/{r['repaint']['p99_ms']} ms, quote {r['quote']['p50_ms']}/"
          f"{r['quote']['p99_ms']} ms, durable sqlite3 write of the basket {r['durable_write_of_the_basket']['p50_ms']}/"
          f"{r['durable_write_of_the_basket']['p99_ms']} ms; re-priced p50 = {stats['repriced']['p50_ms'] / floor:.2f}x "
          f"their sum; load {stats['load_avg']}")
    benchmark.extra_info.update(stats)
    benchmark.pedantic(lambda: (screen.handle_code(codes[0]), app.processEvents()), rounds=5)
    db.close()


def _million_store() -> Path:
    path = BENCH_DIR / "members_1000000.sqlite3"
    if not path.exists():
        pytest.skip("run the identify benchmark first: it builds the 1,000,000-member store")
    return path


def test_cold_start_1m_members(benchmark):
    path = _million_store()
    script = (
        "import time, os; t0 = time.perf_counter(); os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "import sys; sys.path.insert(0, %r)\n"
        "from PySide6.QtWidgets import QApplication; app = QApplication([])\n"
        "from app import i18n; i18n.install('zh_CN')\n"
        "from app.application import open_store; from app.main_window import MainWindow\n"
        "db = open_store(%r); w = MainWindow(db); w.show(); app.processEvents()\n"
        "assert w.signin.isVisible()\n"
        "print(time.perf_counter() - t0)\n"
    ) % (str(ROOT), str(path))
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True)  # migrate once, warm the page cache
    runs = []
    for _ in range(5):
        out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True)
        runs.append(float(out.stdout.strip().splitlines()[-1]))
    runs.sort()
    data = {"median_s": round(runs[2], 3), "max_s": round(runs[-1], 3), "runs": [round(r, 3) for r in runs]}
    _save("cold_start_1m", data)
    print(f"\ncold start to the sign-in screen, 1,000,000 members: median {data['median_s']} s, max {data['max_s']} s")
    benchmark.extra_info.update(data)
    benchmark.pedantic(lambda: None, rounds=1)


def test_member_panel_with_suggestions(benchmark):
    path = BENCH_DIR / "sales_1000000_2000000.sqlite3"
    if not path.exists():
        pytest.skip("run the engine benchmark first: it builds the 1,000,000-member, 2,000,000-sale store")
    from pos.services import member_view, suggestions
    from pos.store import program_store
    from pos.clock import FixedClock
    from pos.store.database import open_db

    db = open_db(path, clock=FixedClock(dt.datetime(2026, 11, 23, 19, 0)))
    with db.read() as s:
        from sqlalchemy import text
        built = s.execute(text("SELECT count(*) FROM product_cycles")).scalar()
    if not built:
        started = time.perf_counter()
        print("\nsuggestions rebuilt:", suggestions.rebuild(db), f"in {time.perf_counter() - started:.1f} s")
    program = program_store.active(db)
    conn = sqlite3.connect(path)
    ids = [r[0] for r in conn.execute(
        "SELECT member_id FROM sales WHERE member_id IS NOT NULL AND created_at > '2026-06-01' "
        "GROUP BY member_id ORDER BY random() LIMIT 300")]
    conn.close()
    samples = []
    for mid in ids:
        start = time.perf_counter_ns()
        p = member_view.panel(db, program, str(uuid.UUID(hex=mid)))
        samples.append(time.perf_counter_ns() - start)
        assert p.id
    stats = percentiles(samples)
    _save("member_panel", stats)
    print(f"\nmember panel with suggestions: p50 {stats['p50_ms']} ms p99 {stats['p99_ms']} ms")
    benchmark.extra_info.update(stats)
    benchmark.pedantic(lambda: member_view.panel(db, program, str(uuid.UUID(hex=ids[0]))), rounds=20)
    db.close()
