"""The demo store in bulk (issue 20): the writer thread, the id and timestamp shortcuts
change nothing. A small demo with a fixed seed holds, table by table, exactly the rows
the demo wrote before them (the digests below were taken from the code before the bulk
path), and it passes the store's own checks (integrity, ledger = balances). A deliberate change
to the demo data (or to a preset it prices with) takes the new digests the failure shows."""
from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3

from pos.clock import FixedClock
from pos.demo import store as demo
from pos.store import backup
from pos.store.database import open_db

# table: (rows, first 12 hex digits of sha256 over repr(row) in rowid order); the birthday
# job's coupons, their events and audit rows and the settings carry random codes and times
GOLDEN = {
    "member_balances": (600, "fa8da991c072"),
    "member_cards": (434, "2c1d0dc9a588"),
    "member_tags": (1028, "dbfbac10b713"),
    "members": (600, "dff1c12cf70b"),
    "payments": (2025, "c51937cb55e7"),
    "points_allocations": (465, "daf14335834d"),
    "points_entries": (2167, "16ae960d60e0"),
    "product_barcodes": (300, "e3658fa23c29"),
    "products": (300, "50ab20455655"),
    "receipt_counters": (680, "173d9babf68b"),
    "sale_lines": (6032, "a667805ca988"),
    "sales": (2025, "ee68db5dd46b"),
    "tier_changes": (355, "d4eaca122372"),
}


# columns added after the digests were taken (0020, issue 17: whose ledger rows, the home merchant):
# the digests cover the columns there were, and a demo leaves these NULL (asserted)
LATER_COLUMNS = {"merchant_code", "home_merchant"}


def _digests(path) -> dict:
    c = sqlite3.connect(path)
    out = {}
    for t in GOLDEN:
        cols = [r[1] for r in c.execute(f"PRAGMA table_info({t})")]
        for col in LATER_COLUMNS & set(cols):
            assert c.execute(f"SELECT count(*) FROM {t} WHERE {col} IS NOT NULL").fetchone()[0] == 0, (t, col)
        h = hashlib.sha256()
        n = 0
        keep = ", ".join(x for x in cols if x not in LATER_COLUMNS)
        for r in c.execute(f"SELECT {keep} FROM {t} ORDER BY rowid"):
            h.update(repr(r).encode())
            n += 1
        out[t] = (n, h.hexdigest()[:12])
    c.close()
    return out


def test_the_bulk_demo_writes_the_rows_it_wrote_before(tmp_path):
    path = tmp_path / "demo.sqlite3"
    db = open_db(path, clock=FixedClock(dt.datetime(2026, 11, 23, 10, 0), tz="Asia/Shanghai"))
    report = demo.build(db, 600, 300, seed=3, sales=2000)
    db.close()
    assert report.sales["sales"] == 2000 and report.members == 600
    got = _digests(path)
    assert {t: got[t] for t in GOLDEN if got[t] != GOLDEN[t]} == {}
    assert backup.check_file(path)["store"]  # integrity, and every balance equals its ledger entries
