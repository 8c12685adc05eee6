"""Member import at chain scale (issue 15 §1: 1,000,000 members in <= 5 minutes).

Beside it, in the same run, the raw limit: plain sqlite3 `executemany` of the same
number of member rows (one table, no checks). Run:

    BENCH_IMPORT_MEMBERS=1000000 python -m pytest tests/bench/test_member_import_bench.py -p no:cacheprovider -s -o addopts=""
"""
from __future__ import annotations

import json
import os
import sqlite3
import time
import uuid

from pos.clock import FixedClock
from pos.services import member_import
from pos.store import program_store
from pos.store.database import open_db

N = int(os.environ.get("BENCH_IMPORT_MEMBERS", "200000"))


def _write_csv(path, n: int) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write("phone,name,gender,birthday,tier,points,points_expire_on,stored_value_fen,tags,external_id,qualifying_spend_fen\n")
        for i in range(n):
            phone = f"13{(i // 100_000_000) % 10}{i % 100_000_000:08d}"
            tier = ("member", "member", "member", "vip", "svip")[i % 5]
            f.write(f"{phone},会员{i},{'MF'[i % 2]},19{60 + i % 40}-0{1 + i % 9}-1{i % 10},{tier},"
                    f"{i % 5000},2027-12-31,{(i % 7) * 1000},{'常客' if i % 3 == 0 else ''},X{i},{i % 300000}\n")


def test_member_import_speed(tmp_path):
    import datetime as dt

    csv_path = tmp_path / "members.csv"
    _write_csv(csv_path, N)
    db = open_db(tmp_path / "store.sqlite3", clock=FixedClock(dt.datetime(2026, 12, 1, 10, 0)))
    program_store.ensure_default(db)
    t0 = time.perf_counter()
    report = member_import.import_csv(db, csv_path)
    took = time.perf_counter() - t0
    assert report.ok and report.created == N, report.errors[:5]
    db.close()

    raw = sqlite3.connect(tmp_path / "raw.sqlite3")
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("CREATE TABLE members (id BLOB PRIMARY KEY, member_code TEXT UNIQUE, phone TEXT UNIQUE, name TEXT, "
                "gender TEXT, birthday TEXT, tier_code TEXT)")
    rows = ((uuid.uuid4().bytes, f"M{i:011d}", f"+8613{i:09d}", f"会员{i}", "MF"[i % 2], "1990-01-01", "member")
            for i in range(N))
    t1 = time.perf_counter()
    with raw:
        raw.executemany("INSERT INTO members VALUES (?,?,?,?,?,?,?)", rows)
    raw_took = time.perf_counter() - t1
    raw.close()
    out = {"members": N, "import_s": round(took, 1), "per_s": round(N / took), "raw_insert_s": round(raw_took, 2),
           "x_raw": round(took / raw_took, 1), "projected_1M_s": round(took * 1_000_000 / N, 1)}
    print("\nmember import:", json.dumps(out))
