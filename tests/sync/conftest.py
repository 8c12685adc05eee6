"""HQ as a real server process on 127.0.0.1 (a free port) over a real database:
SQLite by default, PostgreSQL when HQ_TEST_DATABASE_URL is set (a throwaway
database is created beside it for the run and dropped afterwards). Tills are
real SQLite stores in tmp_path, enrolled with one-time codes."""
from __future__ import annotations

import itertools
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from pos.services import catalog
from pos.store import program_store
from pos.store.database import open_db

ROOT = Path(__file__).resolve().parents[2]
CATALOG = "barcode,name,category,price_fen,kind\n6901234567892,Towel,home,5000,regular\n6900000000014,Soap,home,1000,regular\n"
TOWEL, SOAP = "6901234567892", "6900000000014"
_codes = itertools.count(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_admin_url(url: str) -> tuple[str, str]:
    """(conninfo of the server's `postgres` db, the database name in url)."""
    from sqlalchemy.engine import make_url

    u = make_url(url.replace("postgresql+psycopg://", "postgresql://"))
    admin = u.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    return admin, u.database


def create_pg_db(base_url: str) -> str:
    import psycopg
    from sqlalchemy.engine import make_url

    admin, _ = pg_admin_url(base_url)
    name = f"hq_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    u = make_url(base_url.replace("postgresql+psycopg://", "postgresql://")).set(database=name)
    return u.render_as_string(hide_password=False)


def drop_pg_db(url: str) -> None:
    import psycopg

    admin, name = pg_admin_url(url)
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def hq_db_url(tmp_path_factory):
    base = os.environ.get("HQ_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path_factory.mktemp('hq') / 'hq.sqlite3'}"
        return
    url = create_pg_db(base)
    try:
        yield url
    finally:
        drop_pg_db(url)


@dataclass
class HQ:
    url: str
    db_url: str
    port: int
    proc: subprocess.Popen
    db: object  # sync.server.db.HQDatabase, for setting up and looking

    def cli(self, *args, check: int | None = 0) -> subprocess.CompletedProcess:
        return run_main("hq", *args, "--db", self.db_url, check=check)

    def add_store(self, name: str = "") -> tuple[str, str]:
        from sync.server import admin

        code = f"T{next(_codes):03d}{random.randint(0, 99):02d}"
        got = admin.store_add(self.db, code, name or f"Store {code}")
        return code, got["enrol_code"]


def run_main(*args, db=None, env=None, check: int | None = 0, stdin: str | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, str(ROOT / "main.py"), *args]
    if db is not None:
        cmd += ["--db", str(db)]
    e = {**os.environ, "POS_LANG": "en", **(env or {})}
    e.pop("POS_CLOCK", None)
    p = subprocess.run(cmd, capture_output=True, text=True, env=e, timeout=120, input=stdin)
    if check is not None:
        assert p.returncode == check, (cmd, p.stdout, p.stderr)
    return p


@pytest.fixture(scope="session")
def hq(hq_db_url, tmp_path_factory):
    from sync.server.db import HQDatabase

    port = free_port()
    log = tmp_path_factory.mktemp("hqlog") / "hq.log"
    env = {**os.environ}
    env.pop("POS_CLOCK", None)
    with open(log, "w") as fh:
        proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "hq", "--db", hq_db_url, "--host", "127.0.0.1",
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
    db = HQDatabase(hq_db_url)
    try:
        yield HQ(url, hq_db_url, port, proc, db)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        db.close()


def make_till(tmp_path, hq: HQ, name: str):
    """A fresh till: the shipped program, enrolled with a one-time code, then a small catalog."""
    from sync import engine

    db = open_db(tmp_path / f"{name}.sqlite3")
    program_store.ensure_default(db)
    code, enrol_code = hq.add_store(name)
    engine.enrol(db, hq.url, enrol_code)
    assert db.store_code == code
    csv = tmp_path / "catalog.csv"
    csv.write_text(CATALOG)
    assert catalog.import_csv(db, csv).ok
    return db


@pytest.fixture
def two_tills(tmp_path, hq):
    a, b = make_till(tmp_path, hq, "A"), make_till(tmp_path, hq, "B")
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def phone() -> str:
    return "139" + "".join(random.choice("0123456789") for _ in range(8))


class offline:
    """The till cannot reach HQ: its URL points at a closed port for the duration."""

    def __init__(self, db):
        self.db = db

    def __enter__(self):
        self.url = self.db.settings["sync.hq_url"]
        self.db.settings["sync.hq_url"] = f"http://127.0.0.1:{free_port()}"
        return self.db

    def __exit__(self, *exc):
        self.db.settings["sync.hq_url"] = self.url


def publish_preset(hq: HQ, tmp_path, name: str = "vancl") -> str:
    """Make HQ's active program the shipped preset's rules again (under a fresh version:
    the session's HQ is shared, and a test may have published other rules before)."""
    import json as _json

    doc = _json.loads((ROOT / f"pos/resources/presets/{name}.json").read_text(encoding="utf-8"))
    doc["version"] = f"{name}-{uuid.uuid4().hex[:8]}"
    path = tmp_path / f"{doc['version']}.json"
    path.write_text(_json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    hq.cli("program", "publish", str(path), "--json")
    return doc["version"]
