"""History import at chain scale (issue 15 §2: >= 5,000 sale lines/s; 2,000,000 lines in <= 10 min).

Beside it, in the same run, the raw limit: plain sqlite3 `executemany` of the same
number of sale-line rows into a bare table. Run:

    BENCH_HISTORY_LINES=2000000 python -m pytest tests/bench/test_history_import_bench.py -p no:cacheprovider -s -o addopts=""
"""
from __future__ import annotations

import datetime as dt
import json
import os
import random
import sqlite3
import time
import uuid

from pos.clock import FixedClock
from pos.services import history_import, member_import
from pos.store import program_store
from pos.store.database import open_db

LINES = int(os.environ.get("BENCH_HISTORY_LINES", "200000"))
MEMBERS = max(LINES // 20, 100)


def test_history_import_speed(tmp_path):
    rng = random.Random(5)
    db = open_db(tmp_path / "store.sqlite3", clock=FixedClock(dt.datetime(2026, 12, 1, 10, 0)))
    program_store.ensure_default(db)
    members_csv = tmp_path / "members.csv"
    with open(members_csv, "w", encoding="utf-8") as f:
        f.write("phone,external_id\n")
        for i in range(MEMBERS):
            f.write(f"1380{i:07d},C{i}\n")
    assert member_import.import_csv(db, members_csv).ok
    path = tmp_path / "history.csv"
    start = dt.datetime(2024, 12, 1, 9, 0)
    step_s = max(1, 63_000_000 // LINES)  # at most LINES receipts fit in the two years before the clock's today
    with open(path, "w", encoding="utf-8") as f:
        f.write("receipt_no,sold_at,member,sku,qty,amount_fen,points_earned\n")
        n, receipt = 0, 0
        while n < LINES:
            receipt += 1
            when = start + dt.timedelta(seconds=receipt * step_s)
            member = f"C{rng.randrange(MEMBERS)}" if rng.random() < 0.7 else ""
            for _ in range(min(rng.randint(1, 5), LINES - n)):
                amount = rng.randrange(100, 20000)
                f.write(f"R{receipt},{when:%Y-%m-%d %H:%M},{member},SKU{rng.randrange(3000)},1,{amount},"
                        f"{amount // 100 if member else ''}\n")
                n += 1
    t0 = time.perf_counter()
    report = history_import.import_csv(db, path)
    took = time.perf_counter() - t0
    assert report.ok and report.lines == LINES, report.errors[:5]
    db.close()

    raw = sqlite3.connect(tmp_path / "raw.sqlite3")
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("CREATE TABLE sale_lines (id BLOB PRIMARY KEY, sale_id BLOB, line_no INT, code TEXT, qty INT, net_fen INT)")
    raw.execute("CREATE INDEX ix ON sale_lines (sale_id)")
    rows = ((uuid.uuid4().bytes, uuid.uuid4().bytes, 1, f"SKU{i % 3000}", 1, i % 20000) for i in range(LINES))
    t1 = time.perf_counter()
    with raw:
        raw.executemany("INSERT INTO sale_lines VALUES (?,?,?,?,?,?)", rows)
    raw_took = time.perf_counter() - t1
    out = {"lines": LINES, "receipts": report.sales, "import_s": round(took, 1), "lines_per_s": round(LINES / took),
           "raw_insert_s": round(raw_took, 2), "x_raw": round(took / raw_took, 1),
           "projected_2M_s": round(took * 2_000_000 / LINES, 1)}
    print("\nhistory import:", json.dumps(out))
