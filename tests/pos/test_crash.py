"""A crash at any point of a commit leaves the whole sale or none of it:
a real process committing sales is killed with SIGKILL mid-stream."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from pos.loyalty import ledger
from pos.store.database import open_db

ROOT = Path(__file__).resolve().parents[2]

WRITER = textwrap.dedent("""
    import sys, datetime as dt, sqlite3
    sys.path.insert(0, {root!r})
    from pos.services import checkout
    from pos.demo import store
    from pos.clock import FixedClock
    from pos.store.database import open_db
    from pos.rules.pricing import Tender
    db = open_db({path!r}, clock=FixedClock(dt.datetime(2026, 11, 23, 19, 0)))
    codes = [r[0] for r in sqlite3.connect({path!r}).execute("SELECT barcode FROM product_barcodes LIMIT 10")]
    print("ready", flush=True)
    i = 0
    while True:
        co = checkout.Checkout(db)
        co.add(codes[i % 10]); co.add(codes[(i + 3) % 10], 2)
        co.attach_member(store.demo_phone(i % 200, 1)[3:])
        if i % 3 == 0:
            co.redeem(100)
        q = co.quote()
        co.pay([Tender("cash", q.net_fen + 50)])
        i += 1
""")


def test_sigkill_mid_commit_leaves_whole_sales_only(tmp_path, clock):
    path = tmp_path / "till.sqlite3"
    db = open_db(path, clock=clock)
    from pos.demo import store
    store.build(db, 200, 20, seed=1)
    db.close()
    proc = subprocess.Popen([sys.executable, "-c", WRITER.format(root=str(ROOT), path=str(path))],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(2.0)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    c = sqlite3.connect(path)
    sales = c.execute("SELECT id, receipt_no, points_earned, points_redeemed FROM sales").fetchall()
    assert len(sales) > 3, "the writer should have committed a few sales before the kill"
    for sale_id, receipt, earned, redeemed in sales:
        assert c.execute("SELECT count(*) FROM sale_lines WHERE sale_id = ?", (sale_id,)).fetchone()[0] >= 2
        assert c.execute("SELECT count(*) FROM payments WHERE sale_id = ?", (sale_id,)).fetchone()[0] == 1
        if earned:
            assert c.execute("SELECT points FROM points_entries WHERE sale_id = ? AND kind = 'earn'", (sale_id,)).fetchone()[0] == earned
        if redeemed:
            assert c.execute("SELECT points FROM points_entries WHERE sale_id = ? AND kind = 'redeem'", (sale_id,)).fetchone()[0] == -redeemed
    events = [json.loads(r[0])["sale"]["receipt_no"] for r in c.execute("SELECT payload FROM outbox WHERE kind = 'sale.committed'")]
    assert sorted(events) == sorted(r[1] for r in sales)
    assert c.execute("SELECT last_seq FROM receipt_counters").fetchone()[0] == len(sales)
    c.close()
    db = open_db(path, clock=clock)
    with db.read() as s:
        assert ledger.find_drift(s) == []
    db.close()
