"""`python main.py demo --members N --sales M` (issue 20: >= 10,000 sales/s; 1,000,000
members + 2,000,000 sales <= 180 s), beside a raw sqlite3 executemany of the same rows in
the same run.

The command runs as a user runs it (its own process, a fresh store file). The baseline
copies every row the demo wrote, table by table, into an empty store of the same schema
(same pragmas, same file system) with plain `executemany` in one transaction: what writing
those rows costs with no Python making them. Its time counts only the inserts and the commit.

    python -m pytest tests/bench/test_demo_bench.py -p no:cacheprovider -s -o addopts=""
    BENCH_DEMO_MEMBERS=1000000 BENCH_DEMO_SALES=2000000 python -m pytest tests/bench/test_demo_bench.py ...
"""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from .conftest import BENCH_DIR

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = int(os.environ.get("BENCH_DEMO_MEMBERS", "100000"))
SALES = int(os.environ.get("BENCH_DEMO_SALES", "200000"))
PRAGMAS = ("busy_timeout=10000", "journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "secure_delete=ON")
CHUNK = 50_000


def _fresh(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        p = Path(str(path) + suffix)
        if p.exists():
            p.unlink()


def raw_copy(src: Path, dst: Path) -> tuple[float, dict[str, int]]:
    """Seconds to executemany every row of `src` into the empty store `dst` (one transaction)."""
    s = sqlite3.connect(src)
    d = sqlite3.connect(dst, isolation_level=None)
    for p in PRAGMAS:
        d.execute(f"PRAGMA {p}")
    d.execute("PRAGMA foreign_keys=OFF")  # rows go in table by table; the demo's rows are whole already
    tables = [r[0] for r in s.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                                      "AND name <> 'alembic_version'")]
    counts, spent = {}, 0.0
    d.execute("BEGIN IMMEDIATE")
    for t in tables:
        d.execute(f"DELETE FROM {t}")  # the empty store's own settings and program rows
    for t in tables:
        cur = s.execute(f"SELECT * FROM {t} ORDER BY rowid")
        cols = [c[0] for c in cur.description]
        sql = f"INSERT INTO {t} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"
        n = 0
        while rows := cur.fetchmany(CHUNK):
            started = time.perf_counter()
            d.executemany(sql, rows)
            spent += time.perf_counter() - started
            n += len(rows)
        if n:
            counts[t] = n
    started = time.perf_counter()
    d.execute("COMMIT")
    spent += time.perf_counter() - started
    s.close()
    d.close()
    return spent, counts


def test_demo_members_and_sales(benchmark):
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"demo_{MEMBERS}_{SALES}.sqlite3"
    empty = BENCH_DIR / f"demo_{MEMBERS}_{SALES}.raw.sqlite3"
    _fresh(path)
    _fresh(empty)
    env = {**os.environ, "POS_CLOCK": os.environ.get("POS_CLOCK", "2026-11-23T10:00")}  # a fixed day: the same store
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "main.py", "demo", "--members", str(MEMBERS), "--sales", str(SALES),
                          "--products", "3000", "--db", str(path), "--json"], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    seconds = time.perf_counter() - started
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout)
    assert report["sales"]["sales"] == SALES and report["members"] == MEMBERS
    load_after_demo = os.getloadavg()
    # the baseline: an empty store of the same schema (the same migrations), then the same rows
    subprocess.run([sys.executable, "main.py", "demo", "--members", "0", "--products", "0", "--db", str(empty),
                    "--json"], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    raw_s, counts = raw_copy(path, empty)
    rows = sum(counts.values())
    figures = {
        "members": MEMBERS, "sales": SALES, "rows": rows, "seconds": round(seconds, 1),
        "seconds_sales_part": report["sales"]["seconds"], "sales_per_s": round(SALES / report["sales"]["seconds"]),
        "raw_executemany_s": round(raw_s, 1), "ratio": round(seconds / raw_s, 1),
        "load_after_demo": [round(x, 2) for x in load_after_demo], "load_end": [round(x, 2) for x in os.getloadavg()],
        "rows_by_table": counts,
    }
    (BENCH_DIR / "demo.json").write_text(json.dumps(figures, indent=2))
    print(f"\ndemo --members {MEMBERS} --sales {SALES}: {seconds:.1f} s in all (sales part "
          f"{report['sales']['seconds']} s, {figures['sales_per_s']} sales/s); raw sqlite3 executemany of the same "
          f"{rows} rows: {raw_s:.1f} s; ratio {figures['ratio']}x (load {load_after_demo[0]:.2f})")
    benchmark.extra_info.update(figures)
    benchmark.pedantic(lambda: None, rounds=1)
    _fresh(empty)
