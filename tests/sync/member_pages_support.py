"""Helpers for tests of HQ's member pages (issue 16): an HQ process per test module,
and a member signed in through the real join-by-QR flow (phone -> one-time code ->
consents), for tests of other pages (code, check-in, forwarding) to build on.

    hqp = start_hq(tmp_path_factory)            # conftest.HQ; stop_hq(hqp) at the end
    s, got = join_by_qr(hqp, store, phone)      # requests.Session signed in; got: the member
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import requests

from .conftest import HQ, ROOT, create_pg_db, drop_pg_db, free_port

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
CHALLENGE = re.compile(r'name="challenge" value="([^"]+)"')
ACTION = re.compile(r'<form method="post" action="([^"]+)"')


def start_hq(tmp_path_factory, env: dict | None = None) -> HQ:
    from sync.server.db import HQDatabase

    base = os.environ.get("HQ_TEST_DATABASE_URL")
    db_url = create_pg_db(base) if base else f"sqlite:///{tmp_path_factory.mktemp('hqm') / 'hq.sqlite3'}"
    port = free_port()
    log = tmp_path_factory.mktemp("hqmlog") / "hq.log"
    e = {**os.environ, **(env or {})}
    e.pop("POS_CLOCK", None)
    with open(log, "w") as fh:
        proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "hq", "--db", db_url, "--host", "127.0.0.1",
                                 "--port", str(port)], stdout=fh, stderr=subprocess.STDOUT, env=e)
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
    hq = HQ(url, db_url, port, proc, HQDatabase(db_url))
    hq.log_path = log
    return hq


def stop_hq(hq: HQ) -> None:
    hq.proc.terminate()
    try:
        hq.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        hq.proc.kill()
    hq.db.close()
    if os.environ.get("HQ_TEST_DATABASE_URL"):
        drop_pg_db(hq.db_url)


def store_url(hq: HQ, store: str, days: int = 30) -> str:
    from sync.server import member_self

    return member_self.store_link(hq.db, store, hq.url, days=days)["url"]


def form_of(html: str) -> dict:
    out = {"csrf": CSRF.search(html).group(1)}
    m = CHALLENGE.search(html)
    if m:
        out["challenge"] = m.group(1)
    return out


def action_of(html: str) -> str:
    return ACTION.search(html).group(1).replace("&amp;", "&")


def last_code(hq: HQ, phone: str) -> str:
    from sync.server import notify

    msgs = notify.sent(hq.db, phone, kind="otp")
    return re.search(r"\b(\d{6})\b", msgs[-1]["text"]).group(1)


def join_by_qr(hq: HQ, store: str, phone: str, *, marketing: bool = False, url: str | None = None):
    """(a signed-in requests.Session, {"ms": the join POST's time, "location": the redirect})."""
    s = requests.Session()
    url = url or store_url(hq, store)
    page = s.get(url, timeout=10)
    assert page.status_code == 200, page.text[:500]
    r = s.post(hq.url + action_of(page.text), data={**form_of(page.text), "phone": phone}, timeout=10)
    assert r.status_code == 200, r.text[:500]
    data = {**form_of(r.text), "code": last_code(hq, phone), "terms": "1"}
    if marketing:
        data["marketing"] = "1"
    t0 = time.perf_counter()
    done = s.post(hq.url + action_of(r.text), data=data, allow_redirects=False, timeout=10)
    ms = (time.perf_counter() - t0) * 1000
    assert done.status_code == 303, done.text[:500]
    return s, {"ms": ms, "location": done.headers["location"], "server_timing": done.headers.get("server-timing")}
