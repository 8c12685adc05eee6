"""Member import at HQ (`hq member import`, issue 15 §1) on SQLite: 100,000 members
(each with an opening lot and the sign-up rewards), then the same file again (a
re-import: every row found by external_id, nothing doubled). Run:

    BENCH_HQ_IMPORT_MEMBERS=100000 python -m pytest tests/bench/test_hq_member_import_bench.py -p no:cacheprovider -s -o addopts=""
"""
from __future__ import annotations

import json
import os
import time

from sqlalchemy import func, select

from sync.server import member_import
from sync.server.db import HQDatabase
from sync.server.models import ChangeLog, Member

from .test_member_import_bench import _write_csv

N = int(os.environ.get("BENCH_HQ_IMPORT_MEMBERS", "100000"))


def test_hq_member_import_speed(tmp_path):
    csv_path = tmp_path / "members.csv"
    _write_csv(csv_path, N)
    hq = HQDatabase(f"sqlite:///{tmp_path / 'hq.sqlite3'}")
    t0 = time.perf_counter()
    report = member_import.import_csv(hq, csv_path)
    took = time.perf_counter() - t0
    assert report.ok and report.created == N, report.errors[:5]
    with hq.read() as s:
        assert s.scalar(select(func.count()).select_from(Member)) == N
        logged = s.scalar(select(func.count()).select_from(ChangeLog))
    t1 = time.perf_counter()
    again = member_import.import_csv(hq, csv_path)
    re_took = time.perf_counter() - t1
    assert again.ok and again.created == 0 and again.unchanged == N
    hq.close()
    print("\nhq member import:", json.dumps({"members": N, "import_s": round(took, 1), "per_s": round(N / took),
                                              "change_log_rows": logged, "reimport_s": round(re_took, 1)}))
