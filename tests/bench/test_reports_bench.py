"""Store manager reports at chain size (issue 7): 1,000,000 members, 2,000,000
sales (≈ 6,000,000 sale lines, 2 years of history).

Goals: daily report ≤ 1 s, 90-day report ≤ 1 s, RFM (+ ABC, Pareto) ≤ 2 s and ≤ 3× a raw
GROUP BY member over the same rows (issue 20), the reports screen usable ≤ 1 s after opening,
every figure ≤ 3 s with no event-loop stall over 16 ms (figures computed off the GUI thread).

The store is a copy of the engine benchmark's demo store
(`$BENCH_DIR/sales_1000000_2000000.sqlite3`, made by test_engine_bench) kept as
`$BENCH_DIR/reports_1000000_2000000.sqlite3`, so migrating it (revision 0005
builds the report indexes) never touches another benchmark's file; without
either file it is built with `demo` (about 15 minutes). Figures go to
`$BENCH_DIR/reports.json`.

    python -m pytest tests/bench/test_reports_bench.py -p no:cacheprovider -s --benchmark-only -o addopts=""
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import statistics
import time

import pytest

from .conftest import BENCH_DIR

MEMBERS = int(os.environ.get("BENCH_SALES_MEMBERS", "1000000"))
SALES = int(os.environ.get("BENCH_SALES", "2000000"))
DAY = dt.date(2026, 11, 22)  # the last business day of the demo history (its clock: 2026-11-23 10:00)
RESULTS: dict[str, dict] = {}


def _save(name: str, data: dict) -> None:
    RESULTS[name] = data
    path = BENCH_DIR / "reports.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps(old | RESULTS, indent=2))


@pytest.fixture(scope="module")
def big():
    from pos.demo import store as demo
    from pos.store import program_store
    from pos.clock import FixedClock
    from pos.store.database import open_db

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"reports_{MEMBERS}_{SALES}.sqlite3"
    source = BENCH_DIR / f"sales_{MEMBERS}_{SALES}.sqlite3"
    clock = FixedClock(dt.datetime(2026, 11, 23, 10, 0))
    if not path.exists():
        tmp = path.with_suffix(".building")
        if source.exists():
            shutil.copyfile(source, tmp)
        else:
            db = open_db(tmp, clock=clock)
            demo.build(db, MEMBERS, 3000, seed=1, sales=SALES)
            db.close()
        tmp.rename(path)
    started = time.perf_counter()
    db = open_db(path, clock=clock)  # migrates: the first time, 0005 builds the report indexes
    migrate_s = round(time.perf_counter() - started, 1)
    with sqlite3.connect(path) as c:
        size = {"members": c.execute("SELECT count(*) FROM members").fetchone()[0],
                "sales": c.execute("SELECT count(*) FROM sales").fetchone()[0],
                "sale_lines": c.execute("SELECT count(*) FROM sale_lines").fetchone()[0]}
    _save("store", size | {"open_and_migrate_s": migrate_s})
    yield db, program_store.active(db)
    db.close()


def _time(benchmark, name: str, fn, goal_s: float, rounds: int) -> dict:
    samples = []

    def once():
        t = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - t)
        return result

    first_t = time.perf_counter()
    fn()  # first run: cold page cache for this query shape
    first = time.perf_counter() - first_t
    benchmark.pedantic(once, rounds=rounds, iterations=1)
    stats = {"first_s": round(first, 3), "median_s": round(statistics.median(samples), 3),
             "min_s": round(min(samples), 3), "max_s": round(max(samples), 3), "rounds": rounds,
             "goal_s": goal_s, "goal_met": statistics.median(samples) <= goal_s,
             "load_avg": round(os.getloadavg()[0], 2)}
    _save(name, stats)
    benchmark.extra_info.update(stats)
    print(f"\n{name}: median {stats['median_s']} s (min {stats['min_s']}, first {stats['first_s']}; goal {goal_s} s; "
          f"load {stats['load_avg']})")
    return stats


def test_daily_report(benchmark, big):
    from pos.analytics import reports

    db, doc = big
    _time(benchmark, "daily", lambda: reports.daily(db, doc, DAY), 1.0, rounds=7)
    s = reports.daily(db, doc, DAY).summary
    assert s["transactions"] > 0 and s["members_total"] >= MEMBERS * 0.99


def test_90_day_report(benchmark, big):
    from pos.analytics import reports

    db, doc = big
    _time(benchmark, "period_90_days", lambda: reports.period(db, doc, DAY - dt.timedelta(days=89), DAY), 1.0, rounds=5)


def _raw_group_by_member(db, as_of: dt.date) -> int:
    """The raw limit: one `GROUP BY member` over the same member tickets (sqlite3, every row fetched)."""
    from pos.analytics import segments

    hi = segments._params(db, as_of)["hi"]
    with sqlite3.connect(db.path) as c:
        c.execute("PRAGMA cache_size=-65536")
        return len(c.execute(
            "SELECT member_id, COUNT(*), SUM(net_fen), MAX(business_date) FROM sales WHERE member_id IS NOT NULL "
            "AND created_at < ? AND kind IN ('sale', 'return') GROUP BY member_id", (hi,)).fetchall())


def test_rfm(benchmark, big):
    """RFM + groups + ABC(D) + Pareto (issue 20: ≤ 2 s and ≤ 3× a raw GROUP BY member over the same rows)."""
    from pos.analytics import segments

    db, _doc = big
    raw = []
    for _ in range(3):  # the raw baseline, in the same run
        t = time.perf_counter()
        _raw_group_by_member(db, DAY)
        raw.append(time.perf_counter() - t)
    stats = _time(benchmark, "rfm", lambda: segments.segmentation(db, DAY), 2.0, rounds=5)
    raw_s = statistics.median(raw)
    stats |= {"raw_group_by_member_s": round(raw_s, 3), "ratio": round(stats["median_s"] / raw_s, 2),
              "goal_ratio": 3.0, "goal_met": stats["median_s"] <= 2.0 and stats["median_s"] <= 3.0 * raw_s}
    _save("rfm", stats)
    print(f"rfm: raw GROUP BY member {stats['raw_group_by_member_s']} s, ratio {stats['ratio']}x (goal <= 2 s, <= 3x)")
    if os.environ.get("BENCH_REFERENCE"):  # the one-statement reference beside it (slow: minutes at full size)
        t = time.perf_counter()
        assert segments.segmentation_reference(db, DAY).as_dict() == segments.segmentation(db, DAY).as_dict()
        print(f"rfm reference SQL: {time.perf_counter() - t:.2f} s, the same figures")


def test_churn_watch_list(benchmark, big):
    from pos.analytics import segments

    db, _doc = big
    _time(benchmark, "churn_watch_180_vip", lambda: segments.churn_watch(db, DAY, 180, tier="vip", limit=1000), 5.0, rounds=3)


def _heartbeat(qtbot, until, interval_ms: int = 4, timeout_ms: int = 120000) -> list[float]:
    """Gaps (ms) between the ticks of a QTimer every `interval_ms` until `until()`: the
    event loop's stalls while it waits."""
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer

    gaps, clock = [], QElapsedTimer()
    clock.start()
    timer = QTimer()
    timer.setTimerType(Qt.PreciseTimer)
    timer.timeout.connect(lambda: gaps.append(clock.nsecsElapsed() / 1e6) or clock.restart())
    timer.start(interval_ms)
    qtbot.waitUntil(until, timeout=timeout_ms)
    timer.stop()
    return gaps


def test_reports_screen_usable_at_once(benchmark, big, qtbot):
    """Open the screen on the big store: shown within 1 s; every figure within 3 s
    (issue 20) while the event loop never stalls over 16 ms (a QTimer beating every
    4 ms; baseline: the same beat on an idle event loop in the same run)."""
    from app.reports_screen import ReportsScreen

    db, doc = big
    idle_until = time.perf_counter() + 2.0
    idle = _heartbeat(qtbot, lambda: time.perf_counter() >= idle_until)
    t = time.perf_counter()
    w = ReportsScreen(db, doc)
    qtbot.addWidget(w)
    w.resize(1280, 820)
    gui: dict[str, float] = {}  # time on the GUI thread to show each result
    real = w._job_done

    def timed(kind, generation, result):
        started = time.perf_counter()
        real(kind, generation, result)
        gui[kind] = round((time.perf_counter() - started) * 1000, 1)

    w._job_done = timed
    w.show()
    qtbot.waitExposed(w)
    opened = time.perf_counter() - t
    gaps = _heartbeat(qtbot, lambda: w.ready and not w._pending)
    filled = time.perf_counter() - t
    # the tabs drawn once each (a manager looks at every one)
    tab_ms = {}
    for i in range(w.tabs.count()):
        started = time.perf_counter()
        w.tabs.setCurrentIndex(i)
        w.repaint()
        tab_ms[w.tabs.tabText(i)] = round((time.perf_counter() - started) * 1000, 1)
    w.shutdown()
    pick = lambda xs, q: sorted(xs)[min(len(xs) - 1, int(q * len(xs)))] if xs else None  # noqa: E731
    stats = {"usable_s": round(opened, 3), "all_figures_s": round(filled, 2),
             "event_loop_max_gap_ms": round(max(gaps), 1) if gaps else None,
             "event_loop_p99_gap_ms": round(pick(gaps, 0.99), 1) if gaps else None,
             "gaps_over_16ms": sum(g > 16 for g in gaps),
             "idle_max_gap_ms": round(max(idle), 1), "idle_p99_gap_ms": round(pick(idle, 0.99), 1),
             "gui_ms_per_result": gui, "tab_first_paint_ms": tab_ms,
             "goal_s": 3.0, "goal_met": filled <= 3.0 and max(gaps, default=0) <= 16,
             "load_avg": round(os.getloadavg()[0], 2)}
    _save("screen", stats)
    benchmark.extra_info.update(stats)
    benchmark.pedantic(lambda: None, rounds=1)
    print(f"\nscreen: usable after {stats['usable_s']} s, all figures after {stats['all_figures_s']} s (goal 3 s); "
          f"event loop: max gap {stats['event_loop_max_gap_ms']} ms, p99 {stats['event_loop_p99_gap_ms']} ms, "
          f"{stats['gaps_over_16ms']} over 16 ms (idle loop in the same run: max {stats['idle_max_gap_ms']} ms, "
          f"p99 {stats['idle_p99_gap_ms']} ms); GUI time per result {gui} ms; first paint per tab {tab_ms} ms; "
          f"load {stats['load_avg']}")
