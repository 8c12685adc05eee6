"""HQ at chain scale (issue 20 §6): a real HQ process on PostgreSQL with 1 and N workers,
driven by simulated tills on 127.0.0.1, each figure beside its raw baseline of the same run.

    # full size (documented figures): 500 tills for 3 minutes per worker count
    BENCH_TILLS=500 BENCH_SECONDS=180 BENCH_WORKERS=2 \\
      python -m pytest tests/bench/test_hq_load_bench.py -p no:cacheprovider -s --benchmark-only -o addopts=""
    # quick check (defaults): 40 tills, 20 s

1. `test_hq_ingest_saturation`: BENCH_PUSHERS tills (default 8) push batches of
   BENCH_BATCH_VISITS sales (default 40: ~50 events a batch) as fast as HQ answers,
   no pulls — HQ's ingest rate, events/s and sales/s, for workers=1 and workers=N; the
   raw baseline is pgbench (when installed) inserting rows of the `events` table's shape
   (the same sale payload) into a copy of the table, 100 rows per transaction, with as
   many clients: HQ's events/s as a share of it.
2. `test_hq_500_tills`: BENCH_TILLS enrolled tills (default 40), each a loop of: push
   BENCH_VISITS sales (default 5: sale.committed each, a new member's registration for
   ~20 %, one ledger.entries with the earn rows — as a till's capture sends them), pull
   every page after its cursor, wait BENCH_THINK_S (default 1 s). Meanwhile a member's
   profile is changed at HQ every BENCH_MARK_S (default 5 s) and each till notes when
   its pull first shows it: pull lag = from HQ's commit until EVERY till has seen it.
   Reported per worker count: events/s, sales/s, push p50/p99, pull p50/p99, pull lag
   p50/max, rounds per till, and the load generator's own CPU (it shares the machine).

Events are made from REAL sales (tests/bench/hq_load_events.py: a till's checkout, the
real sale.committed builder with its pricing inputs, so HQ re-prices every sale).
HTTP is a small asyncio HTTP/1.1 client (keep-alive, gzip both ways as the till's
client does) so that the generator's CPU stays small. Needs PostgreSQL
($HQ_TEST_DATABASE_URL or $BENCH_PG_URL, default postgres@127.0.0.1); databases
h_hqscale_bench_* are made and dropped.
"""
from __future__ import annotations

import asyncio
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
import zlib
from pathlib import Path

import requests

from tests.bench.conftest import percentiles
from tests.bench.hq_load_events import TillEvents, record
from tests.sync.conftest import ROOT, free_port, pg_admin_url

PG = os.environ.get("HQ_TEST_DATABASE_URL") or os.environ.get("BENCH_PG_URL") or \
    "postgresql://postgres@127.0.0.1:5432/postgres"
TILLS = int(os.environ.get("BENCH_TILLS", "40"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
VISITS = int(os.environ.get("BENCH_VISITS", "5"))
THINK_S = float(os.environ.get("BENCH_THINK_S", "1"))
MARK_S = float(os.environ.get("BENCH_MARK_S", "5"))
PUSHERS = int(os.environ.get("BENCH_PUSHERS", "8"))
BATCH_VISITS = int(os.environ.get("BENCH_BATCH_VISITS", "40"))


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _make_db(tag: str) -> str:
    import psycopg
    from sqlalchemy.engine import make_url

    admin, _ = pg_admin_url(PG)
    name = f"h_hqscale_bench_{tag}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    return make_url(PG.replace("postgresql+psycopg://", "postgresql://")).set(database=name).render_as_string(
        hide_password=False)


def _drop_db(url: str) -> None:
    import psycopg

    admin, name = pg_admin_url(url)
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class HQProc:
    """`python main.py hq --db URL --port P --workers N`, started and stopped."""

    def __init__(self, url: str, workers: int, log: Path):
        self.url, self.port = url, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        with open(log, "w") as fh:
            self.proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "hq", "--db", url, "--host",
                                          "127.0.0.1", "--port", str(self.port), "--workers", str(workers)],
                                         stdout=fh, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 180
        while True:
            try:
                if requests.get(self.base + "/v1/health", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                raise RuntimeError(f"HQ did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        time.sleep(2 * workers)  # every worker up (each builds its app), not only the first

    def cpu_s(self) -> float:
        """CPU seconds of HQ's processes (the parent and its workers) so far."""
        total = 0.0
        tick = os.sysconf("SC_CLK_TCK")
        pids = [self.proc.pid] + [int(p.parent.name) for p in Path("/proc").glob("[0-9]*/stat")
                                  if _ppid(p) == self.proc.pid]
        for pid in pids:
            try:
                f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(f[11]) + int(f[12])) / tick
            except OSError:
                continue
        return total

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _ppid(stat: Path) -> int:
    try:
        return int(stat.read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


# --- a small HTTP/1.1 client ------------------------------------------------------------------

class Http:
    """One keep-alive connection to HQ (a till's requests.Session, in asyncio)."""

    def __init__(self, port: int, token: str | None = None):
        self.port, self.token = port, token
        self.reader = self.writer = None

    async def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        for attempt in range(2):
            try:
                if self.writer is None:
                    self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
                head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Accept-Encoding: gzip",
                        "User-Agent: memberpos-bench"]
                if self.token:
                    head.append(f"Authorization: Bearer {self.token}")
                data = b""
                if body is not None:
                    data = gzip.compress(body, compresslevel=5) if len(body) > 1024 else body
                    head += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
                    if data is not body:
                        head.append("Content-Encoding: gzip")
                self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
                status = int((await self.reader.readline()).split()[1])
                length, chunked, zipped = 0, False, False
                while True:
                    line = await self.reader.readline()
                    if line in (b"\r\n", b""):
                        break
                    k, _, v = line.decode("latin-1").partition(":")
                    k, v = k.strip().lower(), v.strip().lower()
                    if k == "content-length":
                        length = int(v)
                    elif k == "transfer-encoding" and "chunked" in v:
                        chunked = True
                    elif k == "content-encoding" and v == "gzip":
                        zipped = True
                if chunked:
                    parts = []
                    while True:
                        n = int((await self.reader.readline()).strip(), 16)
                        if n == 0:
                            await self.reader.readline()
                            break
                        parts.append(await self.reader.readexactly(n))
                        await self.reader.readline()
                    raw = b"".join(parts)
                else:
                    raw = await self.reader.readexactly(length)
                return status, (zlib.decompress(raw, 16 + zlib.MAX_WBITS) if zipped else raw)
            except (ConnectionError, asyncio.IncompleteReadError, IndexError, ValueError):
                await self.close()
                if attempt:
                    raise
        raise RuntimeError("unreachable")

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = self.reader = None


_CURSOR = re.compile(rb'"cursor":"([^"]+)","more":(true|false)')


async def _enrol(hq_db, port: int, code: str) -> str:
    from sync.server import admin

    got = await asyncio.to_thread(admin.store_add, hq_db, code, f"bench {code}")
    h = Http(port)
    status, body = await h.request("POST", "/v1/enrol", json.dumps(
        {"protocol": 1, "code": got["enrol_code"], "device": "bench"}).encode())
    await h.close()
    assert status == 200, body[:300]
    return json.loads(body)["token"]


def _pgbench_rows_per_s(url: str, clients: int, seconds: int, sample_payload: str) -> dict | None:
    """pgbench inserting rows of the events table's shape (this sale's payload), 100 a transaction."""
    exe = shutil.which("pgbench")
    if exe is None:
        return None
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as c:
        c.execute("DROP TABLE IF EXISTS bench_events, bench_payload")
        c.execute("CREATE TABLE bench_events (LIKE events INCLUDING ALL)")
        c.execute("CREATE TABLE bench_payload (payload json)")
        c.execute("INSERT INTO bench_payload VALUES (%s::json)", [sample_payload])
    script = Path(f"/tmp/h_hqscale_pgbench_{os.getpid()}.sql")
    script.write_text(
        "INSERT INTO bench_events (event_id, store_code, seq, kind, created_at, received_at, status, reason, payload) "
        "SELECT gen_random_uuid(), 'PGB', g, 'sale.committed', now(), now(), 'accepted', NULL, p.payload "
        "FROM bench_payload p, generate_series(1, 100) g;\n")
    args = [exe, "-n", "-f", str(script), "-c", str(clients), "-j", "2", "-T", str(seconds), "-h",
            u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres", u.database]
    got = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 120)
    script.unlink()
    m = re.search(r"tps = ([0-9.]+)", got.stdout)
    assert m, got.stdout + got.stderr
    return {"tps": float(m.group(1)), "rows_per_s": float(m.group(1)) * 100, "clients": clients}


# --- 1. ingest at saturation ---------------------------------------------------------------

async def _saturate(hqp: HQProc, hq_db, rec, seconds: float) -> dict:
    tokens = await asyncio.gather(*[_enrol(hq_db, hqp.port, f"SAT{i:03d}") for i in range(PUSHERS)])
    tills = [TillEvents(rec, f"SAT{i:03d}", index=900 + i) for i in range(PUSHERS)]
    lat: list[int] = []
    events = sales = 0
    started = time.perf_counter()
    stop = started + seconds

    async def one(i):
        nonlocal events, sales
        h = Http(hqp.port, tokens[i])
        while time.perf_counter() < stop:
            before_e, before_s = tills[i].events, tills[i].sales
            body = tills[i].push_body(BATCH_VISITS)
            t0 = time.perf_counter_ns()
            status, raw = await h.request("POST", "/v1/push", body)
            lat.append(time.perf_counter_ns() - t0)
            assert status == 200, raw[:300]
            assert b'"rejected"' not in raw, raw[:600]
            events += tills[i].events - before_e
            sales += tills[i].sales - before_s
        await h.close()

    cpu0, gen0 = hqp.cpu_s(), time.process_time()
    await asyncio.gather(*[one(i) for i in range(PUSHERS)])
    wall = time.perf_counter() - started
    return {"events": events, "sales": sales, "seconds": round(wall, 1), "events_per_s": round(events / wall),
            "sales_per_s": round(sales / wall), **{f"push_{k}": v for k, v in percentiles(lat).items()},
            "hq_cpu_s": round(hqp.cpu_s() - cpu0, 1), "generator_cpu_s": round(time.process_time() - gen0, 1)}


def test_hq_ingest_saturation(benchmark, tmp_path):
    from sync.server.db import HQDatabase

    rec = record(tmp_path / "rec")
    sample = TillEvents(rec, "PGB", index=999)
    sale_payload = next(json.loads(e)["payload"] for e in sample.visit_events(3) if '"sale.committed"' in e)
    out: dict[str, dict] = {}

    def run():
        for workers in sorted({1, WORKERS}):
            url = _make_db(f"sat{workers}")
            hq_db = None
            try:
                hqp = HQProc(url, workers, tmp_path / f"hq-sat-{workers}.log")
                hq_db = HQDatabase(url, pool=4)
                try:
                    got = asyncio.run(_saturate(hqp, hq_db, rec, SECONDS))
                finally:
                    hqp.stop()
                got["load"] = load()
                if workers == max(1, WORKERS):
                    got["pgbench"] = _pgbench_rows_per_s(url, PUSHERS, int(max(5, min(SECONDS, 30))),
                                                          json.dumps(sale_payload))
                out[f"workers={workers}"] = got
            finally:
                if hq_db is not None:
                    hq_db.close()
                _drop_db(url)

    benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info.update(out)
    one, many = out["workers=1"], out[f"workers={max(1, WORKERS)}"]
    print(f"\nHQ ingest at saturation ({PUSHERS} tills pushing {BATCH_VISITS} sales a batch, real sale events "
          f"re-priced at HQ):")
    for k, v in out.items():
        print(f"  {k}: {v['events']} events ({v['sales']} sales) in {v['seconds']} s = {v['events_per_s']:,} "
              f"events/s, {v['sales_per_s']:,} sales/s; push p50 {v['push_p50_ms']:.0f} ms p99 "
              f"{v['push_p99_ms']:.0f} ms; HQ CPU {v['hq_cpu_s']} s, generator CPU {v['generator_cpu_s']} s; "
              f"load {v['load']}")
    if WORKERS > 1:
        print(f"  scaling workers={WORKERS} / workers=1: {many['events_per_s'] / max(1, one['events_per_s']):.2f}x")
    pgb = many.get("pgbench")
    if pgb:
        print(f"  raw baseline, pgbench: {pgb['rows_per_s']:,.0f} rows/s of the events table's shape "
              f"({pgb['clients']} clients, 100 rows a transaction); HQ = "
              f"{100 * many['events_per_s'] / pgb['rows_per_s']:.1f} % of it (goal >= 50 %, >= 20,000 events/s)")


# --- 2. 500 tills pushing and pulling -----------------------------------------------------------

async def _tills_run(hqp: HQProc, hq_db, rec, seconds: float) -> dict:
    from sync.server import changes, members
    from sync.server.common import Ctx, now_utc

    codes = [f"L{i:04d}" for i in range(TILLS)]
    tokens = []
    for i in range(0, TILLS, 50):  # enrolled 50 at a time
        tokens += await asyncio.gather(*[_enrol(hq_db, hqp.port, c) for c in codes[i:i + 50]])
    tills = [TillEvents(rec, c, index=i) for i, c in enumerate(codes)]
    marker = await asyncio.to_thread(members.register, hq_db, "+8613300000001", channel="store")
    marker_id = marker["id"] if isinstance(marker, dict) else str(marker)
    # the k-th change's text and HQ's commit time; a page carries a member's CURRENT state, so a
    # till that shows change j has seen every change k <= j (seen_upto: the highest it showed)
    marks: list[tuple[str, float]] = []
    seen: list[list[float]] = []
    seen_upto = [-1] * TILLS
    push_lat: list[int] = []
    pull_lat: list[int] = []
    rounds = [0] * TILLS
    cursors: list[str | None] = [None] * TILLS
    # every till first catches up (the enrolments, the marker member), outside the timed run
    conns = [Http(hqp.port, t) for t in tokens]

    async def pull_all(i) -> bytes:
        bodies = []
        while True:
            q = "/v1/pull?limit=2000" + (f"&cursor={cursors[i]}" if cursors[i] else "")
            t0 = time.perf_counter_ns()
            status, raw = await conns[i].request("GET", q)
            pull_lat.append(time.perf_counter_ns() - t0)
            assert status == 200, raw[:300]
            m = _CURSOR.search(raw, max(0, len(raw) - 400))
            cursors[i] = m.group(1).decode()
            bodies.append(raw)
            if m.group(2) == b"false":
                return b"".join(bodies)

    for i in range(0, TILLS, 50):
        await asyncio.gather(*[pull_all(j) for j in range(i, min(TILLS, i + 50))])
    pull_lat.clear()
    events = sales = 0
    started = time.perf_counter()
    stop = started + seconds

    def mark(k: int) -> str:
        text = f"bench-mark-{k}-{uuid.uuid4().hex[:6]}"
        with hq_db.transaction() as s:  # a profile change made at HQ, as HQ applies one
            now = now_utc()
            members.h_member_updated(Ctx(s, "HQ", now, uuid.uuid4(), now, False),
                                     {"id": marker_id, "fields": {"region": text}})
            changes.flush(s)
        seen.append([])
        marks.append((text, time.perf_counter()))
        return text

    async def marker_loop():
        k = 0
        while time.perf_counter() < stop - MARK_S:
            await asyncio.sleep(MARK_S)
            await asyncio.to_thread(mark, k)
            k += 1

    def _note(i: int, body: bytes, now: float) -> None:
        for j in range(len(marks) - 1, seen_upto[i], -1):
            if marks[j][0].encode() in body:
                for k in range(seen_upto[i] + 1, j + 1):
                    seen[k].append(now)
                seen_upto[i] = j
                return

    async def till(i):
        nonlocal events, sales
        await asyncio.sleep(THINK_S * i / max(1, TILLS))  # spread out, as tills are
        while time.perf_counter() < stop:
            t = tills[i]
            before_e, before_s = t.events, t.sales
            t0 = time.perf_counter_ns()
            status, raw = await conns[i].request("POST", "/v1/push", t.push_body(VISITS))
            push_lat.append(time.perf_counter_ns() - t0)
            assert status == 200, raw[:300]
            assert b'"rejected"' not in raw, raw[:600]
            events += t.events - before_e
            sales += t.sales - before_s
            body = await pull_all(i)
            _note(i, body, time.perf_counter())
            rounds[i] += 1
            await asyncio.sleep(THINK_S)

    cpu0, gen0 = hqp.cpu_s(), time.process_time()
    await asyncio.gather(marker_loop(), *[till(i) for i in range(TILLS)])
    wall = time.perf_counter() - started
    hq_cpu = hqp.cpu_s() - cpu0
    # the marks no till could see before the end: caught up now (their lag still counts)
    for i in range(TILLS):
        _note(i, await pull_all(i), time.perf_counter())
    for c in conns:
        await c.close()
    lags = [max(seen[k]) - t0 for k, (_text, t0) in enumerate(marks) if len(seen[k]) >= TILLS]
    return {"tills": TILLS, "events": events, "sales": sales, "seconds": round(wall, 1),
            "events_per_s": round(events / wall), "sales_per_s": round(sales / wall),
            **{f"push_{k}": v for k, v in percentiles(push_lat).items()},
            **{f"pull_{k}": v for k, v in percentiles(pull_lat).items()},
            "pull_lag_all_tills_p50_s": round(sorted(lags)[len(lags) // 2], 2) if lags else None,
            "pull_lag_all_tills_max_s": round(max(lags), 2) if lags else None, "marks": len(marks),
            "rounds_per_till": round(sum(rounds) / TILLS, 1), "hq_cpu_s": round(hq_cpu, 1),
            "generator_cpu_s": round(time.process_time() - gen0, 1)}


def test_hq_500_tills(benchmark, tmp_path):
    from sync.server.db import HQDatabase

    rec = record(tmp_path / "rec")
    out: dict[str, dict] = {}

    def run():
        for workers in sorted({1, WORKERS}):
            url = _make_db(f"tills{workers}")
            hq_db = None
            try:
                hqp = HQProc(url, workers, tmp_path / f"hq-tills-{workers}.log")
                hq_db = HQDatabase(url, pool=4)
                try:
                    got = asyncio.run(_tills_run(hqp, hq_db, rec, SECONDS))
                finally:
                    hqp.stop()
                got["load"] = load()
                out[f"workers={workers}"] = got
            finally:
                if hq_db is not None:
                    hq_db.close()
                _drop_db(url)

    benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info.update(out)
    print(f"\nHQ with {TILLS} tills for {SECONDS:.0f} s (each: push {VISITS} sales, pull, wait {THINK_S} s; "
          f"a profile change at HQ every {MARK_S} s):")
    for k, v in out.items():
        print(f"  {k}: {v['events_per_s']:,} events/s ({v['sales_per_s']:,} sales/s, {v['events']} events); "
              f"push p50 {v['push_p50_ms']:.0f} ms p99 {v['push_p99_ms']:.0f} ms; pull page p50 "
              f"{v['pull_p50_ms']:.0f} ms p99 {v['pull_p99_ms']:.0f} ms; pull lag (every till) p50 "
              f"{v['pull_lag_all_tills_p50_s']} s max {v['pull_lag_all_tills_max_s']} s over {v['marks']} changes; "
              f"{v['rounds_per_till']} rounds a till; HQ CPU {v['hq_cpu_s']} s, generator CPU "
              f"{v['generator_cpu_s']} s; load {v['load']}")
    if WORKERS > 1:
        one, many = out["workers=1"], out[f"workers={WORKERS}"]
        print(f"  scaling workers={WORKERS} / workers=1: {many['events_per_s'] / max(1, one['events_per_s']):.2f}x "
              f"events/s")
