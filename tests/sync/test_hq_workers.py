"""HQ as several worker processes (`hq --workers 2`) on PostgreSQL: every state a
request leaves is in the database, so it holds whichever worker answers.

- the one-time-code throttle (per phone, per IP) holds when requests race on both
  workers: exactly one code per phone, exactly IP_PER_HOUR per IP;
- a form made by one worker (its CSRF token, signed with HQ's key) is taken by the other;
- two tills pushing the same batches at once, several times each over fresh
  connections (re-sends racing on both workers): every event lands exactly once,
  and after a sync both tills and HQ agree on every balance;
- an SQLite HQ refuses --workers 2 with a clear message.

Needs HQ_TEST_DATABASE_URL (PostgreSQL); the SQLite refusal runs everywhere.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select, text

from .conftest import HQ, ROOT, TOWEL, create_pg_db, drop_pg_db, free_port, make_till, phone, run_main
from .member_pages_support import action_of, form_of, store_url

PG = os.environ.get("HQ_TEST_DATABASE_URL")
pg_only = pytest.mark.skipif(not PG, reason="needs PostgreSQL (HQ_TEST_DATABASE_URL)")


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


@pytest.fixture(scope="module")
def hq2(tmp_path_factory):
    from sync.server.db import HQDatabase

    url = create_pg_db(PG)
    port = free_port()
    log = tmp_path_factory.mktemp("hq2log") / "hq.log"
    env = {**os.environ}
    env.pop("POS_CLOCK", None)
    with open(log, "w") as fh:
        proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "hq", "--db", url, "--host", "127.0.0.1",
                                 "--port", str(port), "--workers", "2"], stdout=fh, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if requests.get(base + "/v1/health", timeout=1).ok and len(_children(proc.pid)) >= 2:
                break
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"HQ did not start: {log.read_text()[-2000:]}")
        time.sleep(0.2)
    db = HQDatabase(url)
    try:
        yield HQ(base, url, port, proc, db)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        db.close()
        drop_pg_db(url)


def _all_at_once(fns) -> list:
    """Run the callables together (released at one barrier); their results in order."""
    out = [None] * len(fns)
    gate = threading.Barrier(len(fns))

    def run(i, fn):
        gate.wait()
        try:
            out[i] = fn()
        except Exception as exc:  # kept, asserted by the caller
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def _join_forms(hq: HQ, store: str, n: int) -> list[tuple[requests.Session, str, dict]]:
    """n browsers, each with the join page open (its cookie and CSRF token)."""
    link = store_url(hq, store)
    out = []
    for _ in range(n):
        s = requests.Session()
        page = s.get(link, timeout=30)
        assert page.status_code == 200
        out.append((s, hq.url + action_of(page.text), form_of(page.text)))
    return out


@pg_only
def test_otp_throttle_holds_across_workers(hq2):
    from sync.server import otp
    from sync.server.web_models import OneTimeCode

    store, _ = hq2.add_store("Workers")
    number = phone()
    # 1. one phone, twelve browsers at once: one code, the others throttled (429)
    forms = _join_forms(hq2, store, 12)
    got = _all_at_once([lambda s=s, a=a, f=f: s.post(a, data={**f, "phone": number}, timeout=60)
                        for s, a, f in forms])
    codes = [r.status_code for r in got]
    assert codes.count(200) == 1 and codes.count(429) == 11, codes
    # 2. one IP, more phones than its hourly limit, at once: exactly IP_PER_HOUR codes in all
    forms = _join_forms(hq2, store, otp.IP_PER_HOUR + 6)
    got = _all_at_once([lambda s=s, a=a, f=f: s.post(a, data={**f, "phone": phone()}, timeout=60)
                        for s, a, f in forms])
    codes = [r.status_code for r in got]
    assert codes.count(429) >= 6 and set(codes) <= {200, 429}, codes
    with hq2.db.read() as s:
        assert s.scalar(select(func.count()).select_from(OneTimeCode)) == otp.IP_PER_HOUR


@pg_only
def test_pushes_from_two_tills_land_exactly_once(hq2, tmp_path):
    from pos.rules.pricing import Tender
    from pos.services import members
    from pos.services.checkout import Checkout
    from pos.services import sync_apply
    from sync import engine
    from sync.client import HQClient
    from sync.protocol import PushRequest
    from sync.server.models import IngestedEvent, PointsEntry, Sale

    tills = [make_till(tmp_path, hq2, name) for name in ("WA", "WB")]
    try:
        for db in tills:
            for _ in range(6):
                m = members.register(db, phone())
                co = Checkout(db)
                co.add(TOWEL, 2)
                co.attach_member_id(m.id)
                co.pay([Tender("cash", co.quote().net_fen)])
            engine.capture(db)
        batches = []
        for db in tills:
            events = [engine._event(e) for e in sync_apply.pending_events(db, 500)]
            # both tills upsert the same products: sent first, one till after the other (two stores
            # inserting one new SKU at the same instant is a conflict the second is answered rejected for)
            products = [e for e in events if e.kind == "product.upserted"]
            HQClient(hq2.url, db.settings["sync.token"]).push(PushRequest(store=db.store_code, events=products))
            batches.append((db, PushRequest(store=db.store_code, events=[e for e in events if e not in products])))
        sends = [lambda db=db, req=req: HQClient(hq2.url, db.settings["sync.token"]).push(req)
                 for db, req in batches for _ in range(4)]
        answers = _all_at_once(sends)
        assert not [a for a in answers if isinstance(a, Exception)], answers
        for db, req in batches:
            mine = [a for a in answers if a.results[0].event_id == req.events[0].event_id]
            assert len(mine) == 4
            for i, ev in enumerate(req.events):
                statuses = sorted(a.results[i].status for a in mine)
                assert statuses == ["accepted", "duplicate", "duplicate", "duplicate"], (ev.kind, statuses)
        ids = [ev.event_id for _db, req in batches for ev in req.events]
        with hq2.db.read() as s:
            assert s.scalar(select(func.count()).select_from(IngestedEvent).where(IngestedEvent.event_id.in_(ids))) \
                == len(ids)
            assert s.scalar(select(func.count()).select_from(Sale).where(
                Sale.store_code.in_([db.store_code for db in tills]))) == 12
            assert s.scalar(select(func.count()).select_from(Sale).where(Sale.repriced != "equal")) == 0
        for db in tills:  # the tills' own rounds: everything answered already, then both agree with HQ
            got = engine.sync_once(db)
            assert got["ok"] and got["pushed"]["rejected"] == 0
        for db in tills:
            with db.read() as s:
                till = dict(s.execute(text("SELECT member_id, points FROM member_balances")).all())
            with hq2.db.read() as s:
                for mid, pts in till.items():
                    total = s.scalar(select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
                        PointsEntry.member_id == uuid.UUID(str(mid))))
                    assert int(total) == pts
    finally:
        for db in tills:
            db.close()


def test_sqlite_hq_refuses_several_workers(tmp_path):
    got = run_main("hq", "--db", str(tmp_path / "hq.sqlite3"), "--port", str(free_port()), "--workers", "2", check=2)
    assert "--workers > 1 needs PostgreSQL" in got.stderr and "Traceback" not in got.stderr
    assert got.stdout == ""  # refused before serving
