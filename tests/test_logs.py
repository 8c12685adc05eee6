"""The log file after a realistic session: every command there with its outcome, no full
phone, no card track data; HQ's request lines with status and latency, no token, no query
(issue 19 item 2). Real processes writing real files."""
from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from pos import logs

ROOT = Path(__file__).resolve().parents[1]
PHONE = "13912345678"
TRACK = "%B6222020200112233446^ZHANG/SAN^2512101000000000000?;6222020200112233446=25121010000012345678?"
PAN = "6222020200112233446"


def run(*args, env, stdin=None):
    e = {**os.environ, "POS_LANG": "en", **env}
    e.pop("POS_CLOCK", None)
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True, env=e,
                          timeout=120, input=stdin)


def test_a_cli_session_is_in_the_log_without_phones_or_card_data(tmp_path):
    env = {"MEMBERPOS_LOG_DIR": str(tmp_path / "log"), "POS_DB": str(tmp_path / "store.sqlite3")}
    assert run("demo", "--members", "20", "--products", "10", env=env).returncode == 0
    assert run("member", "add", "--phone", PHONE, "--name", "Zhang San", env=env).returncode == 0
    code = sqlite3.connect(tmp_path / "store.sqlite3").execute("SELECT barcode FROM product_barcodes LIMIT 1").fetchone()[0]
    basket = {"member": PHONE, "lines": [{"code": code, "qty": 2}], "tenders": [{"type": "cash", "amount_fen": 10_000_00}]}
    sale = run("checkout", "--json", env=env, stdin=json.dumps(basket))
    assert sale.returncode == 0, sale.stderr
    assert run("member", "find", TRACK, env=env).returncode != 0  # a card swiped into the member field
    bad = {"lines": [{"code": TRACK[:60], "qty": 1}]}
    assert run("checkout", env=env, stdin=json.dumps(bad)).returncode != 0  # an unknown card-like scan
    assert run("member", "find", "+86 139 1234 5678", env=env).returncode == 0
    text = (tmp_path / "log" / "memberpos.log").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert any("memberpos.cli: member add: ok (exit 0)" in ln and "139****5678" in ln for ln in lines), text
    assert any("memberpos.cli: checkout: ok (exit 0)" in ln for ln in lines), text
    assert any("memberpos.cli: member find: not found (exit 1)" in ln for ln in lines), text
    assert any("memberpos.cli: checkout: refused (exit 2)" in ln and "bank card" in ln for ln in lines), text
    for ln in lines:
        assert ln[:4] == "2026" or ln[:2] == "20"  # each line starts with its time
    assert PHONE not in text and "1234 5678" not in text and "+86 139" not in text
    assert PAN not in text and "=2512" not in text and "^ZHANG" not in text and "%B" not in text


def test_the_filter_masks_every_form_of_phone_and_drops_track_data_even_in_tracebacks(tmp_path):
    handler = logging.FileHandler(tmp_path / "t.log", encoding="utf-8")
    handler.addFilter(logs.PrivacyFilter())
    handler.setFormatter(logging.Formatter(logs.FORMAT))
    log = logging.getLogger("memberpos.test.filter")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        log.info("joined %s, also +8613912345678 and 0086-139-1234-5678, receipt S001-01-20261201-0001", PHONE)
        log.info("swipe %s", TRACK)
        log.info("card %s then ;%s=2512?", PAN, PAN)
        try:
            raise ValueError(f"no member {PHONE} for card {TRACK}")
        except ValueError:
            log.exception("lookup failed")
    finally:
        log.removeHandler(handler)
        handler.close()
    text = (tmp_path / "t.log").read_text(encoding="utf-8")
    assert "139****5678" in text and "S001-01-20261201-0001" in text and "lookup failed" in text
    assert "ValueError" in text  # the traceback is kept, scrubbed
    assert "1234567" not in text and "1234-5678" not in text
    assert PAN not in text and "=2512" not in text and "ZHANG" not in text


def test_hq_logs_each_request_with_status_and_latency_and_no_token(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "MEMBERPOS_LOG_DIR": str(tmp_path / "log")}
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "hq", "--db", f"sqlite:///{tmp_path / 'hq.sqlite3'}",
                             "--host", "127.0.0.1", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(url + "/v1/health", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "HQ did not start"
            time.sleep(0.1)
        r = requests.get(url + "/v1/pull", params={"cursor": "v1:0:SECRETCURSOR", "limit": 5},
                         headers={"Authorization": "Bearer SECRETTOKEN12345"}, timeout=5)
        assert r.status_code == 401
        r = requests.post(url + "/v1/enrol", data=json.dumps({"code": "NOSUCHCODE99", "device": PHONE}), timeout=5)
        assert r.status_code >= 400
        time.sleep(0.3)
        text = (tmp_path / "log" / "hq.log").read_text(encoding="utf-8")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    import re

    assert re.search(r"memberpos\.hq\.access: GET /v1/health 200 [0-9.]+ ms", text), text
    assert re.search(r"memberpos\.hq\.access: GET /v1/pull 401 [0-9.]+ ms", text), text
    assert re.search(r"memberpos\.hq\.access: POST /v1/enrol 4[0-9][0-9] [0-9.]+ ms", text), text
    assert "SECRET" not in text and "cursor=" not in text and "NOSUCHCODE" not in text and PHONE not in text


def test_an_unexpected_error_in_the_app_goes_to_the_log_with_a_friendly_dialog(qapp, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from app import crash

    monkeypatch.setenv("MEMBERPOS_LOG_DIR", str(tmp_path / "log"))
    path = logs.configure()
    monkeypatch.setitem(crash._state, "previous", None)  # the app's own hook, not the test harness's
    try:
        raise RuntimeError(f"member {PHONE} swiped {TRACK}")
    except RuntimeError:
        crash.handle(*sys.exc_info())
    box = next(w for w in qapp.topLevelWidgets() if isinstance(w, QMessageBox) and w.objectName() == "crashDialog")
    try:
        assert box.isVisible()
        assert "Traceback" not in box.text() and "RuntimeError" not in box.text() and PHONE not in box.text()
        assert str(path) in box.text()
    finally:
        box.close()
    from app import i18n

    i18n.install("zh_CN")
    try:
        title, body = crash.message_text()
        assert title == "出现问题" and "日志" in body  # the cashier's language
    finally:
        i18n.install("en")
    text = Path(path).read_text(encoding="utf-8")
    assert "memberpos.app.crash: unexpected error: RuntimeError" in text and "Traceback" in text
    assert PHONE not in text and PAN not in text


@pytest.fixture
def qapp():
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication([])
