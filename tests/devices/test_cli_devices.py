"""`devices listen`, `devices list` and `simulate` as real processes against pseudo-terminals."""
from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from .conftest import BANK_PAN, BANK_SWIPE, MEMBER_SWIPE

ROOT = Path(__file__).resolve().parents[2]


class Proc:
    def __init__(self, *args, env):
        self.p = subprocess.Popen([sys.executable, str(ROOT / "main.py"), *args], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=env)
        self.lines: queue.Queue = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.p.stdout:
            self.lines.put(line)

    def line(self, timeout: float = 15.0) -> str:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            self.p.kill()
            raise AssertionError(f"no output; stderr: {self.p.stderr.read()}") from None
        self.seen.append(line)
        return line

    def json(self, timeout: float = 15.0) -> dict:
        return json.loads(self.line(timeout))

    def finish(self, timeout: float = 15.0) -> tuple[int, str, str]:
        rc = self.p.wait(timeout)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return rc, "".join(self.seen), self.p.stderr.read()


def env(tmp_path) -> dict:
    return {**os.environ, "POS_DB": str(tmp_path / "store.sqlite3"), "POS_LANG": "en"}


def test_listen_scanner_json(make_pty, tmp_path):
    pty = make_pty()
    proc = Proc("devices", "listen", "--scanner", pty.path, "--json", "--max-events", "8", "--timeout", "60", env=env(tmp_path))
    assert proc.json() == {"event": "connected"}
    pty.write(b"6901234567892\r2300001012346\r2100002005008\r9000000001\rCP8K2M4Q7T1Z\r6901234567891\r")
    got = [proc.json() for _ in range(6)]
    assert got == [
        {"event": "scanned", "code": "6901234567892", "kind": "product"},
        {"event": "scanned", "code": "2300001012346", "kind": "price"},
        {"event": "scanned", "code": "2100002005008", "kind": "weight"},
        {"event": "scanned", "code": "9000000001", "kind": "member"},
        {"event": "scanned", "code": "CP8K2M4Q7T1Z", "kind": "coupon"},
        {"event": "scanned", "code": "6901234567891", "kind": "bad_barcode"},
    ]
    pty.write(b"CSH001\r")
    assert proc.json() == {"event": "scanned", "code": "CSH001", "kind": "cashier"}
    rc, out, err = proc.finish()
    assert rc == 0, err


def test_listen_card_reader_refuses_bank_cards_and_reports_unplug(make_pty, tmp_path):
    pty = make_pty()
    proc = Proc("devices", "listen", "--card", pty.path, "--json", "--max-events", "5", "--timeout", "60", env=env(tmp_path))
    assert proc.json() == {"event": "connected"}
    pty.write(MEMBER_SWIPE.encode() + b"\r%E?;E?\r" + BANK_SWIPE.encode() + b"\r")
    assert [proc.json() for _ in range(3)] == [
        {"event": "card", "card_no": "9000000001"}, {"event": "bad_swipe"}, {"event": "refused", "reason": "bank_card"}]
    pty.unplug()
    assert proc.json() == {"event": "disconnected"}
    rc, out, err = proc.finish()
    assert rc == 0, err
    assert BANK_PAN not in out and BANK_PAN not in err and BANK_PAN[-4:] + "=" not in out


def test_listen_text_mode_and_sigterm_is_a_clean_exit(make_pty, tmp_path):
    pty = make_pty()
    proc = Proc("devices", "listen", "--scanner", pty.path, "--terminator", "none", "--frame-timeout-ms", "30",
                "--prefix", r"\x02", env=env(tmp_path))
    assert proc.line().startswith("Device connected")
    pty.write(b"\x026901234567892")
    assert proc.line().strip() == "scanned 6901234567892 (product)"
    proc.p.send_signal(signal.SIGTERM)
    rc, _, err = proc.finish()
    assert rc == 0, err
    proc2 = Proc("devices", "listen", "--scanner", pty.path, env=env(tmp_path))
    proc2.line()
    proc2.p.send_signal(signal.SIGINT)
    assert proc2.finish()[0] == 0


def test_listen_bad_input_is_one_line_and_exit_2(tmp_path):
    p = subprocess.run([sys.executable, str(ROOT / "main.py"), "devices", "listen", "--scanner", "/dev/no-such-port"],
                       capture_output=True, text=True, env=env(tmp_path), timeout=60)
    assert p.returncode == 2 and p.stderr.strip() == (
        "error: cannot open /dev/no-such-port: No such file or directory (use --wait to wait for it)")
    (tmp_path / "devices.json").write_text('{"scanner": {"serial": {"parity": "Q"}}}', encoding="utf-8")
    p = subprocess.run([sys.executable, str(ROOT / "main.py"), "devices", "listen", "--scanner", "/dev/x"],
                       capture_output=True, text=True, env=env(tmp_path), timeout=60)
    assert p.returncode == 2 and "scanner.serial.parity" in p.stderr and len(p.stderr.strip().splitlines()) == 1
    other = tmp_path / "other"
    other.mkdir()
    (other / "devices.json").write_text('{"scanner": {"serial": {"bytesize": 9}}}', encoding="utf-8")
    p = subprocess.run([sys.executable, str(ROOT / "main.py"), "devices", "listen", "--scanner", "/dev/x",
                        "--db", str(other / "store.sqlite3")], capture_output=True, text=True, env=env(tmp_path), timeout=60)
    assert p.returncode == 2 and "scanner.serial.bytesize" in p.stderr  # --db: the settings beside that store


def test_simulate_writes_frames_and_list_runs(make_pty, tmp_path):
    pty = make_pty()
    p = subprocess.run([sys.executable, str(ROOT / "main.py"), "simulate", "card", "--port", pty.path,
                        "--code", "9000000001", "--code", "9000000002", "--delay-ms", "0"],
                       capture_output=True, text=True, env=env(tmp_path), timeout=60)
    assert p.returncode == 0, p.stderr
    got = b""
    deadline = time.monotonic() + 5
    while got.count(b"\r") < 2 and time.monotonic() < deadline:
        got += pty.read(timeout=1)
    assert got == b";9000000001?\r;9000000002?\r"
    p = subprocess.run([sys.executable, str(ROOT / "main.py"), "simulate", "scanner"],
                       capture_output=True, text=True, env=env(tmp_path), timeout=60)
    assert p.returncode == 2 and "--port" in p.stderr
    p = subprocess.run([sys.executable, str(ROOT / "main.py"), "devices", "list", "--json"],
                       capture_output=True, text=True, env=env(tmp_path), timeout=60)
    assert p.returncode == 0 and isinstance(json.loads(p.stdout), list)
