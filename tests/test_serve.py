"""The local API for a host POS (issue 20 §3): `python main.py serve` as a real process on
127.0.0.1 over a real store file, called with http.client (keep-alive), its answers
compared with the CLI's JSON for the same input (the CLI's entry function on the same
file). Latency is a benchmark (tests/bench/test_serve_bench.py), never timed here."""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from http.client import HTTPConnection
from pathlib import Path

import pytest
from sqlalchemy import text

import main
from pos.cli import main as cli
from pos.demo import store as demo
from pos.store.database import open_db

ROOT = Path(__file__).resolve().parent.parent
ENV = {"POS_CLOCK": "2026-11-23T10:00", "POS_LANG": "en"}
IMPORT_LINE = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)\s*$")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """A `serve` process: its start line, its token, a keep-alive connection."""

    def __init__(self, path: Path, *extra: str, port: int | None = None):
        self.port = port or free_port()
        self.proc = subprocess.Popen([sys.executable, "-X", "importtime", str(ROOT / "main.py"), "serve", "--db", str(path),
                                      "--port", str(self.port), *extra],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **ENV})
        line = self.proc.stdout.readline()
        assert line, self.proc.stderr.read()[-2000:]
        self.start = json.loads(line)
        self.token = self.start["token"]
        self.conn = HTTPConnection("127.0.0.1", self.port, timeout=60)

    def call(self, method: str, path: str, body=None, token: str | None = "", conn: HTTPConnection | None = None):
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token or self.token}"
        data = body if isinstance(body, (bytes, str)) or body is None else json.dumps(body)
        c = conn or self.conn
        c.request(method, path, body=data, headers=headers)
        r = c.getresponse()
        got = json.loads(r.read())
        if r.getheader("Connection", "").lower() == "close":
            c.close()
        return r.status, got

    def stop(self) -> tuple[int, set[str]]:
        """SIGTERM; (exit code, the modules it imported)."""
        self.conn.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=60)
        names = {m.group(1) for ln in self.proc.stderr.read().splitlines() if (m := IMPORT_LINE.match(ln))}
        return code, names


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("serve") / "store.sqlite3"
    db = open_db(path)
    demo.build(db, 40, 20, 13)
    with db.read() as s:
        codes = s.execute(text("SELECT b.barcode FROM product_barcodes b JOIN products p ON p.id = b.product_id "
                               "WHERE p.price_fen BETWEEN 100 AND 100000 ORDER BY b.barcode LIMIT 2")).scalars().all()
        member = s.execute(text("SELECT member_code FROM members ORDER BY member_code LIMIT 1")).scalar()
    db.close()
    return path, codes, member


@pytest.fixture(scope="module")
def served(store):
    s = Served(store[0])
    yield s
    if s.proc.poll() is None:
        s.stop()


@pytest.fixture
def env(monkeypatch):
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)


def run_cli(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    """The CLI's entry function, in this process (as tests/test_cli_strict.py)."""
    out, err = io.StringIO(), io.StringIO()
    old = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding="utf-8")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = cli.run(main.build_parser().parse_args(argv))
    finally:
        sys.stdin = old
    return rc, out.getvalue(), err.getvalue()


def basket(codes, member, **kw) -> dict:
    return {"member": member, "lines": [{"code": codes[0], "qty": 2}, {"code": codes[1], "qty": 1}],
            "tenders": [{"type": "cash", "amount_fen": 1_000_000}], **kw}


def test_the_start_line_and_the_token_kept_in_the_store(store, served):
    assert served.start == {"url": f"http://127.0.0.1:{served.port}", "token": served.token}
    con = sqlite3.connect(store[0])
    try:
        kept = con.execute("SELECT value FROM settings WHERE key = 'api.token'").fetchone()[0]
    finally:
        con.close()
    assert json.loads(kept) == served.token and len(served.token) >= 32


def test_quote_and_member_answer_as_the_cli(store, served, env):
    path, codes, member = store
    b = basket(codes, member, redeem_points=0)
    status, got = served.call("POST", "/quote", b)
    rc, out, err = run_cli(["checkout", "--quote", "--json", "--db", str(path)], json.dumps(b))
    assert status == 200 and rc == 0, (got, err)
    assert got == json.loads(out) and got["receipt_no"] is None and got["member"]["id"]
    status, got = served.call("GET", f"/member?q={member}")
    rc, out, _ = run_cli(["member", "find", member, "--json", "--db", str(path)])
    assert status == 200 and got == json.loads(out) and got[0]["member_code"] == member
    status, got = served.call("POST", "/quote?lang=zh_CN", basket(codes, member, coupons=["NOSUCHCOUPON"]))
    rc, out, _ = run_cli(["checkout", "--quote", "--json", "--lang", "zh_CN", "--db", str(path)],
                         json.dumps(basket(codes, member, coupons=["NOSUCHCOUPON"])))
    assert status == 200 and got == json.loads(out) and got["refusals"]  # the refusal named in Chinese, as the CLI


def test_a_checkout_then_its_return(store, served, env):
    path, codes, member = store
    b = basket(codes, member, sale_id=str(uuid.uuid4()))
    status, sale = served.call("POST", "/checkout", b)
    assert status == 200 and sale["receipt_no"], sale
    rc, out, err = run_cli(["checkout", "--json", "--db", str(path)], json.dumps(b))  # the same sale id: a replay
    assert rc == 0 and json.loads(out) == sale | {"replayed": True} and sale["replayed"] is False, err
    status, again = served.call("POST", "/checkout", b)
    assert status == 200 and again == sale | {"replayed": True}  # a host's retry changes nothing
    receipt = sale["receipt_no"]
    status, plan = served.call("POST", "/return", {"receipt": receipt, "plan": True})
    rc, out, _ = run_cli(["return", "--receipt", receipt, "--plan", "--json", "--db", str(path)])
    assert status == 200 and plan == json.loads(out) and plan["receipt_no"] == receipt
    status, part = served.call("POST", "/return", {"receipt": receipt, "line": [f"{codes[1]}:1"], "cashier": "c1"})
    assert status == 200 and part["kind"] == "return" and [ln["code"] for ln in part["lines"]] == [codes[1]]
    status, rest = served.call("POST", "/return", {"receipt": receipt})
    assert status == 200 and rest["plan"]["lines"][0]["code"] == codes[0]
    status, got = served.call("POST", "/return", {"receipt": receipt})
    rc, _, err = run_cli(["return", "--receipt", receipt, "--json", "--db", str(path)])
    assert status == 409 and got["error"]["code"] == "return.nothing_left" and rc == 2
    assert f"error: {got['error']['message']} [return.nothing_left]" in err  # the same words as the CLI
    status, got = served.call("POST", "/checkout", {**b, "lines": b["lines"][:1]})  # the id again, another basket
    assert status == 409 and got["error"]["code"] == "sale.id_reused"


def test_refusals_are_json_errors_and_write_nothing(store, served, env):
    path, codes, member = store
    con = sqlite3.connect(path)
    sales = lambda: con.execute("SELECT COUNT(*) FROM sales").fetchone()[0]  # noqa: E731
    before = sales()
    fresh = HTTPConnection("127.0.0.1", served.port, timeout=60)
    status, got = served.call("POST", "/checkout", basket(codes, member), token=None, conn=fresh)
    assert status == 401 and got == {"error": {"code": "auth.token", "message": "a wrong or missing bearer token"}}
    status, got = served.call("POST", "/checkout", basket(codes, member), token="x" * 43, conn=fresh)
    assert status == 401
    status, got = served.call("POST", "/checkout", b'{"lines": [{"code": ')
    assert status == 400 and got["error"]["code"] == "request.malformed" and "Invalid JSON" in got["error"]["message"]
    bad = basket(codes, member, tenders=[{"type": "cash", "amount_fen": 10**12}])
    status, got = served.call("POST", "/checkout", bad)
    rc, _, err = run_cli(["checkout", "--json", "--db", str(path)], json.dumps(bad))
    assert status == 422 and got["error"]["code"] == "request.invalid" and rc == 2
    assert err.strip() == f"error: {got['error']['message']}"  # "bad basket JSON at tenders.0.amount_fen: ..."
    status, got = served.call("POST", "/checkout", {**basket(codes, member), "lines": [{"code": codes[0], "qty": 2.0}]})
    assert status == 422 and "lines.0.qty" in got["error"]["message"]
    status, got = served.call("POST", "/checkout", basket(codes, "13999999999"))
    assert status == 404 and got["error"]["code"] == "member.not_found" and "13999999999" not in json.dumps(got)
    status, got = served.call("GET", "/member?q=13999999999")
    assert status == 404 and got["error"]["code"] == "member.not_found"
    status, got = served.call("POST", "/checkout", basket(codes, member, tenders=[{"type": "cash", "amount_fen": 1}]))
    assert status == 422 and got["error"]["code"] == "tender.short"
    status, got = served.call("POST", "/return", {"receipt": "S001-01-20991231-9999"})
    assert status == 404 and got["error"]["code"] == "return.no_sale"
    status, got = served.call("POST", "/return", {"receipt": ";4111111111111111=25121010000000000000?"})
    assert status == 422 and got["error"]["code"] == "input.bank_card" and "4111" not in json.dumps(got)
    status, got = served.call("POST", "/quote", b"x" * (1 << 20 + 1))
    assert status == 413 and got["error"]["code"] == "request.too_large"
    status, got = served.call("GET", "/quote")
    assert status == 405 and got["error"]["code"] == "request.method"
    status, got = served.call("GET", "/nothing-here")
    assert status == 404 and got["error"]["code"] == "request.not_found"
    status, got = served.call("GET", "/member")
    assert status == 422
    assert sales() == before  # nothing committed by any of them
    con.close()
    status, got = served.call("POST", "/quote", basket(codes, member))  # and the server still answers
    assert status == 200


def test_only_127_0_0_1(store, env):
    for host in ("0.0.0.0", "localhost", "::1", "192.168.1.10"):
        rc, out, err = run_cli(["serve", "--db", str(store[0]), "--host", host, "--port", "0"])
        assert rc == 2 and out == "" and "127.0.0.1 only" in err, host


def test_rotate_token_and_sigterm_finishes_the_request_in_flight(store, served):
    path, codes, member = store
    old = served.token
    code, names = served.stop()  # the module's server: stopped by SIGTERM, exit 0
    assert code == 0
    assert not [n for n in names if n.split(".")[0] in ("PySide6", "fastapi", "uvicorn", "starlette", "alembic")]
    s = Served(path, "--rotate-token")
    try:
        assert s.token != old
        assert s.call("POST", "/quote", basket(codes, member), token=old, conn=HTTPConnection("127.0.0.1", s.port))[0] == 401
        assert s.call("POST", "/quote", basket(codes, member))[0] == 200
        idle = HTTPConnection("127.0.0.1", s.port, timeout=60)  # an idle keep-alive connection does not hold the exit
        idle.connect()
        body = json.dumps(basket(codes, member, sale_id=str(uuid.uuid4()))).encode()
        with socket.create_connection(("127.0.0.1", s.port), timeout=60) as raw:
            raw.sendall(b"POST /checkout HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + f"Authorization: Bearer {s.token}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body[:10])
            time.sleep(1.0)  # the request is in flight: its headers are read, its body is still coming
            s.proc.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            raw.sendall(body[10:])
            answer = b""
            while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) < int(
                    re.search(rb"Content-Length: (\d+)", answer).group(1) if b"Content-Length" in answer else 1 << 30):
                chunk = raw.recv(65536)
                if not chunk:
                    break
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 200 "), answer[:300]
        receipt = json.loads(answer.split(b"\r\n\r\n", 1)[1])["receipt_no"]
        code, _ = s.stop()
        assert code == 0
        idle.close()
        con = sqlite3.connect(path)
        try:
            assert con.execute("SELECT COUNT(*) FROM sales WHERE receipt_no = ?", (receipt,)).fetchone()[0] == 1
        finally:
            con.close()
    finally:
        if s.proc.poll() is None:
            s.proc.kill()
