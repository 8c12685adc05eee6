"""Fuzz of `checkout --json` (issue 12): thousands of malformed baskets from a seeded
generator, run in-process through the CLI's entry function (`pos.cli.main.run` on the
real parser of main.py) and a few through a real `python main.py` process.

Every one must be refused with exit 2 and ONE line on stderr, no traceback, and
nothing committed: sales, payments, ledger and outbox rows unchanged."""
from __future__ import annotations

import contextlib
import io
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

import main
from pos.cli import main as cli
from pos.demo import store as demo
from pos.store.database import open_db

ROOT = Path(__file__).resolve().parents[2]
TRACK = ";4111111111111111=25121010000000000000?"
PHONE = "13800138000"
SEED = 12


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "store.sqlite3"
    db = open_db(path)
    demo.build(db, 30, 20, 5)
    with db.read() as s:
        code = s.execute(__import__("sqlalchemy").text(
            "SELECT b.barcode FROM product_barcodes b JOIN products p ON p.id = b.product_id "
            "WHERE p.price_fen BETWEEN 100 AND 100000 ORDER BY b.barcode LIMIT 1")).scalar()
    db.close()
    return path, code


def counts(path: Path) -> tuple[int, ...]:
    con = sqlite3.connect(path)
    try:
        return tuple(con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                     for t in ("sales", "sale_lines", "payments", "points_entries", "stored_value_entries",
                               "outbox", "coupon_uses"))
    finally:
        con.close()


# --- the generator -----------------------------------------------------------------

BAD_INTS = [True, False, " 2 ", "2", "10000000", 2.0, 2.5, -1, 0, 10000, 2**31, 2**63 - 1, 2**63, 2**64,
            10**30, -(2**63), None, [], {}, "1e3", "", "٣", "1_000", 1e300]
BAD_AMOUNTS = [True, " 500 ", "500", 500.0, 0, -500, 2**63 - 1, 2**63, 10**19, 10**40, None, [], {}, 1e20,
               1_000_000_001, "0x10"]
BAD_TEXT = [None, 5, True, [], {}, "x" * 5000]
BAD_IDS = ["00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff", "not-a-uuid", 123,
           True, "", "0190e6b4-7f4e-7a3b-9c1d", "{0190e6b4-7f4e-7a3b-9c1d-1234567890ab}x", []]


def good(code: str) -> dict:
    return {"lines": [{"code": code, "qty": 1}], "tenders": [{"type": "cash", "amount_fen": 200000}]}


def malformed(rng: random.Random, code: str) -> tuple[bytes, bool]:
    """(stdin bytes, whether the store is reached: the basket parses but is refused later)."""
    b = good(code)
    k = rng.randrange(15)
    if k == 0:
        b["lines"][0]["qty"] = rng.choice(BAD_INTS)
    elif k == 1:
        b["tenders"][0]["amount_fen"] = rng.choice(BAD_AMOUNTS)
    elif k == 2:
        b["redeem_points"] = rng.choice(BAD_INTS[:8] + [2**63, -5, 10**12, None])
    elif k == 3:
        b["sale_id"] = rng.choice(BAD_IDS[2:])
    elif k == 4:
        b[rng.choice(["lines", "tenders", "coupons", "gifts"])] = rng.choice(
            [None, {}, "x", 5, True, [None], [5], [[]], ["x" * 100] * 30])
    elif k == 5:
        b["lines"][0]["code"] = rng.choice(BAD_TEXT + [""])
    elif k == 6:
        b[rng.choice(["member", "cashier", "channel"])] = rng.choice(BAD_TEXT[1:] + [["x"]])
    elif k == 7:
        b[rng.choice(["extra", "Lines", "qty", TRACK, "sale id"])] = 1
    elif k == 8:
        b["lines"][0][rng.choice(["price_fen", "Qty", "code2"])] = 1
    elif k == 9:
        b["tenders"][0]["type"] = rng.choice([None, 5, True, "x" * 40, ["cash"]])
    elif k == 10:
        b["lines"] = rng.choice([[], [{"qty": 1}], [{"code": code, "qty": 1}] * 501])
    elif k == 11:
        b["tenders"] = [{"type": "cash", "amount_fen": 100}] * 21
    elif k == 12:  # not JSON, not an object, not UTF-8
        return rng.choice([b"", b"{", b"[]", b"null", b"1", b'"basket"', b"\xff\xfe{}", b"{'lines': []}",
                           b"[" * 5000 + b"]" * 5000, b'{"lines": [' + b"1," * 20000 + b"1]}",
                           json.dumps(b).encode()[:-3], json.dumps(b).encode() + b"garbage",
                           b'{"lines": [{"code": "' + code.encode() + b'", "qty": 1e999}]}',
                           b'{"lines": [{"code": "' + code.encode() + b'", "qty": NaN}]}']), False
    elif k == 13:  # parses, then refused by the checkout itself (the store is opened)
        which = rng.randrange(8)
        if which == 0:
            b["sale_id"] = rng.choice(BAD_IDS[:2])
        elif which == 1:
            b["lines"][0]["code"] = rng.choice([TRACK, "%B4111111111111111^DOE/J^2512101?", "4111111111111111"])
        elif which == 2:
            b["member"] = TRACK
        elif which == 3:
            b["coupons"] = [TRACK]
        elif which == 4:
            b["tenders"][0]["type"] = rng.choice(["bitcoin", "points", "CASH"])
        elif which == 5:
            b["tenders"][0]["amount_fen"] = 1
        elif which == 6:
            b["lines"][0]["code"] = rng.choice(["6900000000000", "ZZZ-UNKNOWN", PHONE, "2" * 13])
        else:
            b["cashier"] = rng.choice(["a\u0000b", "x\u202ey", "\x1b[31m"])
        return json.dumps(b).encode(), True
    else:  # several faults at once
        b["lines"][0]["qty"] = rng.choice(BAD_INTS)
        b["tenders"][0]["amount_fen"] = rng.choice(BAD_AMOUNTS)
        b["sale_id"] = rng.choice(BAD_IDS)
    return json.dumps(b).encode(), False


def run_inprocess(parser, argv: list[str], stdin: bytes) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old_in = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = cli.run(parser.parse_args(argv))
    finally:
        sys.stdin = old_in
    return rc, out.getvalue(), err.getvalue()


def assert_refused(rc: int, out: str, err: str, stdin: bytes) -> None:
    where = stdin[:200]
    assert rc == 2, (rc, err, where)
    assert "Traceback" not in err and out == "", (err, out, where)
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("error: "), (err, where)
    assert "4111111111111111" not in err and PHONE not in err, (err, where)  # never echoed


def test_thousands_of_malformed_baskets_are_refused_in_one_line_and_commit_nothing(store, monkeypatch):
    path, code = store
    monkeypatch.setenv("POS_CLOCK", "2026-11-23T10:00")
    monkeypatch.setenv("POS_LANG", "en")
    parser = main.build_parser()
    argv = ["checkout", "--db", str(path), "--json"]
    # the good basket passes, so the refusals below are about the faults only
    rc, out, err = run_inprocess(parser, argv + ["--quote"], json.dumps(good(code)).encode())
    assert rc == 0, err
    before = counts(path)
    rng = random.Random(SEED)
    started, n, reached = time.perf_counter(), 0, 0
    while n < 3000:
        stdin, opens_store = malformed(rng, code)
        if opens_store:
            reached += 1
            if reached > 40:  # each one opens the store (~0.1-0.3 s): enough of them to cover every kind
                continue
        rc, out, err = run_inprocess(parser, argv, stdin)
        assert_refused(rc, out, err, stdin)
        if opens_store:
            assert counts(path) == before, stdin
        n += 1
    assert counts(path) == before
    assert time.perf_counter() - started < 60


def test_a_good_basket_still_commits_and_replays(store, monkeypatch):
    """The generator's base basket is good: the fuzz refuses faults, not baskets."""
    path, code = store
    monkeypatch.setenv("POS_CLOCK", "2026-11-23T10:00")
    parser = main.build_parser()
    basket = good(code) | {"sale_id": str(uuid.uuid4())}
    before = counts(path)
    rc, out, err = run_inprocess(parser, ["checkout", "--db", str(path), "--json"], json.dumps(basket).encode())
    assert rc == 0, err
    assert counts(path)[0] == before[0] + 1
    rc, out2, _ = run_inprocess(parser, ["checkout", "--db", str(path), "--json"], json.dumps(basket).encode())
    assert rc == 0 and json.loads(out2)["replayed"] is True and counts(path)[0] == before[0] + 1


def test_malformed_baskets_through_a_real_process(store):
    path, code = store
    env = {**os.environ, "POS_CLOCK": "2026-11-23T10:00", "POS_LANG": "en"}
    before = counts(path)
    cases = [json.dumps(good(code) | {"lines": [{"code": code, "qty": True}]}).encode(),
             json.dumps(good(code) | {"tenders": [{"type": "cash", "amount_fen": 2**63}]}).encode(),
             json.dumps(good(code) | {"lines": [{"code": TRACK, "qty": 1}]}).encode()]
    for stdin in cases:
        p = subprocess.run([sys.executable, str(ROOT / "main.py"), "checkout", "--db", str(path), "--json"],
                           input=stdin, capture_output=True, env=env, timeout=120)
        assert_refused(p.returncode, p.stdout.decode(), p.stderr.decode(), stdin)
    assert counts(path) == before
