"""A real HQ process hosting a three-merchant alliance (issue 17): a bakery, a supermarket and
a pharmacy, each with its own program and two enrolled tills (real SQLite stores)."""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from pos.services import catalog
from pos.store import program_store
from pos.store.database import open_db

from .conftest import CATALOG, HQ, ROOT, create_pg_db, drop_pg_db, free_port

ALLIANCE_DOC = {"version": "alliance-1", "name": {"zh": "城东联盟", "en": "East Side Alliance"},
                "coins": {"value_fen": 1, "earn_per_yuan_max": 5, "pay_pct_max": 50, "expiry_days": 365,
                          "offline_cap_coins": 3000},
                "settlement": {"fee_bps": 200}}
MERCHANTS = {"bakery": ("麦香面包", "vancl", 3), "market": ("万家超市", "vancl", 1), "pharmacy": ("康宁药房", "vancl", 0)}


def start_hq(db_url: str, log: Path) -> HQ:
    from sync.server.db import HQDatabase

    port = free_port()
    env = {**os.environ}
    env.pop("POS_CLOCK", None)
    fh = open(log, "w")
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "hq", "--db", db_url, "--host", "127.0.0.1",
                             "--port", str(port)], stdout=fh, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(url + "/v1/health", timeout=1).ok:
                break
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"HQ did not start: {log.read_text()[-2000:]}")
        time.sleep(0.1)
    return HQ(url, db_url, port, proc, HQDatabase(db_url))


def stop_hq(hq: HQ) -> None:
    hq.proc.terminate()
    try:
        hq.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        hq.proc.kill()
    hq.db.close()


def program_file(tmp: Path, merchant: str, version: str) -> Path:
    _, preset, rate = MERCHANTS[merchant]
    doc = json.loads((ROOT / f"pos/resources/presets/{preset}.json").read_text(encoding="utf-8"))
    doc["version"] = version
    doc["coins"] = {"earn_per_yuan": rate}
    path = tmp / f"{version}.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def set_up_alliance(hq: HQ, tmp: Path, tills_per_merchant: int = 2) -> dict[str, list]:
    """Merchants, the alliance rules, each merchant's program, stores and enrolled tills (synced once)."""
    from sync import engine
    from sync.server import admin, alliance

    path = tmp / "alliance.json"
    path.write_text(json.dumps(ALLIANCE_DOC, ensure_ascii=False), encoding="utf-8")
    alliance.alliance_program_publish(hq.db, str(path))
    csv = tmp / "catalog.csv"
    csv.write_text(CATALOG)
    tills: dict[str, list] = {}
    for m, (name, _, _) in MERCHANTS.items():
        alliance.merchant_add(hq.db, m, name)
        admin.program_publish(hq.db, str(program_file(tmp, m, f"{m}-1")), merchant=m)
        for i in range(1, tills_per_merchant + 1):
            code = f"{m[:3].upper()}{i}"
            got = admin.store_add(hq.db, code, f"{name} {i}号店", merchant=m)
            db = open_db(tmp / f"{code}.sqlite3")
            program_store.ensure_default(db)
            engine.enrol(db, hq.url, got["enrol_code"])
            assert catalog.import_csv(db, csv).ok
            engine.sync_once(db)
            tills.setdefault(m, []).append(db)
    return tills


@contextlib.contextmanager
def running_alliance(tmp: Path):
    """A real HQ process (SQLite, or a fresh PostgreSQL database with HQ_TEST_DATABASE_URL) with
    the three merchants and their tills; (hq, tills) while in use, everything closed after."""
    base = os.environ.get("HQ_TEST_DATABASE_URL")
    url = create_pg_db(base) if base else f"sqlite:///{tmp / 'hq.sqlite3'}"
    hq = start_hq(url, tmp / "hq.log")
    try:
        tills = set_up_alliance(hq, tmp)
        yield hq, tills
        for dbs in tills.values():
            for db in dbs:
                db.close()
    finally:
        stop_hq(hq)
        if base:
            drop_pg_db(url)
