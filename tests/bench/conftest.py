"""Benchmarks run on generated data at chain size. The databases are built
once and kept under $BENCH_DIR (default /tmp/memberpos-bench) between runs."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pos.clock import FixedClock, parse_when
from pos.store.database import open_db
from pos.demo import store as demo

BENCH_DIR = Path(os.environ.get("BENCH_DIR", "/tmp/memberpos-bench"))
MEMBERS = int(os.environ.get("BENCH_MEMBERS", "1000000"))


def percentiles(samples_ns: list[int]) -> dict[str, float]:
    s = sorted(samples_ns)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))] / 1e6  # noqa: E731
    return {"p50_ms": round(pick(0.50), 4), "p99_ms": round(pick(0.99), 4), "max_ms": round(s[-1] / 1e6, 4), "n": len(s)}


@pytest.fixture(scope="session")
def million_db():
    """A store with MEMBERS demo members (built once, ~1 min per million)."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"members_{MEMBERS}.sqlite3"
    clock = FixedClock(parse_when("2026-11-23T10:00"))
    if not path.exists():
        tmp = path.with_suffix(".building")
        for p in BENCH_DIR.glob(tmp.name + "*"):
            p.unlink()
        started = time.perf_counter()
        db = open_db(tmp, clock=clock)
        demo.build(db, MEMBERS, 2000, seed=1)
        db.close()
        print(f"\nbuilt {MEMBERS} members in {time.perf_counter() - started:.1f} s")
        for suffix in ("-wal", "-shm"):
            side = Path(str(tmp) + suffix)
            if side.exists():
                side.unlink()
        tmp.rename(path)
    db = open_db(path, clock=clock)
    yield db
    db.close()
