"""Strict inputs on the CLI (issue 12 item 5, issue 11 "amounts beyond 64-bit" and
"privacy in messages"): each failure found by the probe, reproduced through the
CLI's entry function on a real store file, and two through a real process."""
from __future__ import annotations

import contextlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

import main
from pos.cli import main as cli
from pos.demo import store as demo
from pos.store.database import open_db

ROOT = Path(__file__).resolve().parent.parent
TRACK = ";4111111111111111=25121010000000000000?"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("strict") / "store.sqlite3"
    db = open_db(path)
    demo.build(db, 30, 20, 7)
    with db.read() as s:
        code = s.execute(text("SELECT b.barcode FROM product_barcodes b JOIN products p ON p.id = b.product_id "
                              "WHERE p.price_fen BETWEEN 100 AND 100000 ORDER BY b.barcode LIMIT 2")).scalars().all()
        member = s.execute(text("SELECT member_code FROM members ORDER BY member_code LIMIT 1")).scalar()
    db.close()
    return path, code, member


@pytest.fixture(scope="module")
def parser():
    return main.build_parser()


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.setenv("POS_CLOCK", "2026-11-23T10:00")
    monkeypatch.setenv("POS_LANG", "en")


def run(parser, argv, stdin: bytes | str = b"") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode() if isinstance(stdin, str) else stdin), encoding="utf-8")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = cli.run(parser.parse_args(argv))
    finally:
        sys.stdin = old
    return rc, out.getvalue(), err.getvalue()


def sales(path) -> int:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT COUNT(*) FROM sales").fetchone()[0]
    finally:
        con.close()


def checkout(parser, path, basket: dict) -> tuple[int, str, str]:
    return run(parser, ["checkout", "--db", str(path), "--json"], json.dumps(basket))


def refused(rc, out, err, *words):
    assert rc == 2 and out == "", (rc, out, err)
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err, err
    for w in words:
        assert w in err, err


def basket(code, qty=1, cash=200000, **more):
    return {"lines": [{"code": code, "qty": qty}], "tenders": [{"type": "cash", "amount_fen": cash}], **more}


@pytest.mark.parametrize("qty", [True, " 2 ", "10000000", "2", 2.0, 10**30])
def test_a_quantity_is_a_json_integer(store, parser, qty):
    path, (code, _), _ = store
    before = sales(path)
    refused(*checkout(parser, path, basket(code, qty=qty)), "lines.0.qty")
    assert sales(path) == before


@pytest.mark.parametrize("cash", [2**63 - 1, 2**63, 2**64 + 5, 10**40, True, "500"])
def test_cash_beyond_the_bound_is_a_clear_error_not_a_commit_or_overflow(store, parser, cash):
    path, (code, _), _ = store
    before = sales(path)
    refused(*checkout(parser, path, basket(code, cash=cash)), "tenders.0.amount_fen")
    assert sales(path) == before


def test_the_api_bounds_tenders_too(store):
    """`Checkout.pay` (used by the app and the CLI) refuses what the JSON model would."""
    from pos.services.checkout import Checkout, Tender
    from pos.errors import DomainError

    path, (code, _), _ = store
    db = open_db(path)
    try:
        co = Checkout(db)
        co.add(code)
        for amount, err in ((2**63, "input.range"), (2**63 - 1, "input.range"), (True, "input.not_int"),
                            ("500", "input.not_int")):
            with pytest.raises(DomainError) as e:
                co.pay([Tender("cash", amount)])
            assert e.value.code == err
        for qty in (True, "2", 2.0, 10**20):
            with pytest.raises(DomainError) as e:
                co.add(code, qty)
            assert e.value.code == "sale.bad_qty"
        for points in (True, "100", 10**20):
            with pytest.raises(DomainError):
                co.redeem(points)
    finally:
        db.close()


@pytest.mark.parametrize("sale_id", ["00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"])
def test_the_nil_uuid_is_not_a_sale_id(store, parser, sale_id):
    path, (a, b), _ = store
    before = sales(path)
    refused(*checkout(parser, path, basket(a, sale_id=sale_id)), "sale.bad_id")
    refused(*checkout(parser, path, basket(b, sale_id=sale_id)), "sale.bad_id")
    assert sales(path) == before


def test_a_sale_id_replays_its_own_basket_and_refuses_another(store, parser):
    path, (a, b), _ = store
    sid = str(uuid.uuid4())
    rc, out, err = checkout(parser, path, basket(a, sale_id=sid))
    assert rc == 0, err
    first = json.loads(out)
    after_first = sales(path)
    rc, out, err = checkout(parser, path, basket(a, sale_id=sid))  # the host retries: same sale back
    assert rc == 0 and json.loads(out)["replayed"] is True and json.loads(out)["receipt_no"] == first["receipt_no"]
    for other in (basket(b, sale_id=sid), basket(a, qty=2, sale_id=sid), basket(a, sale_id=sid, redeem_points=100)):
        refused(*checkout(parser, path, other), "already used for a different sale", first["receipt_no"])
    assert sales(path) == after_first


def test_card_track_data_is_never_echoed_by_checkout(store, parser):
    """`;4111…=…?` was echoed in full as an unknown product; now it is named, not shown."""
    path, (code, _), _ = store
    before = sales(path)
    for b in (basket(TRACK), basket(code, member=TRACK), basket(code, coupons=[TRACK]),
              basket("%B4111111111111111^DOE/JOHN^2512101?")):
        rc, out, err = checkout(parser, path, b)
        refused(rc, out, err, "bank card")
        assert "4111" not in err
    rc, out, err = run(parser, ["checkout", "--db", str(path), "--json", "--lang", "zh_CN"], json.dumps(basket(TRACK)))
    refused(rc, out, err, "这是银行卡，已拒绝")
    # a key of the JSON is echoed only through the same filter
    rc, out, err = checkout(parser, path, basket(code) | {TRACK: 1})
    refused(rc, out, err)
    assert "4111" not in err
    assert sales(path) == before


def test_a_full_phone_is_shown_masked(store, parser):
    path, (code, _), _ = store
    rc, out, err = checkout(parser, path, basket("13800138000"))
    refused(rc, out, err, "138****8000")
    assert "13800138000" not in err
    rc, out, err = checkout(parser, path, basket(code, member="13912345678"))
    assert rc == 1 and "13912345678" not in err and "5678" not in err, err  # a prefix at most
    rc, out, err = checkout(parser, path, basket(code, coupons=["13912345678"]))  # else echoed in refusals, sent to HQ
    refused(rc, out, err, "139****5678", "phone number")
    rc, out, err = run(parser, ["member", "show", "--db", str(path), "13912345678"])
    assert rc in (1, 2) and "13912345678" not in err and "139****5678" in err, err
    rc, out, err = run(parser, ["return", "--db", str(path), "--receipt", TRACK])
    refused(rc, out, err, "bank card")


@pytest.mark.parametrize("amount", [" 2 ", "1_000", "٣٠٠", str(2**63), "-500", "10.5", "0"])
def test_topup_amount_is_strict(store, parser, amount):
    path, _, member = store
    before = sales(path)
    refused(*run(parser, ["topup", "--db", str(path), member, amount]), "amount_fen")
    assert sales(path) == before


@pytest.mark.parametrize("spec", ["X: 2 ", "X:²", "X:1_0", "X:99999", "X:0"])
def test_return_line_quantity_is_strict(store, parser, spec):
    path, _, _ = store
    refused(*run(parser, ["return", "--db", str(path), "--receipt", "S001-01-20261123-0001", "--line", spec]), "QTY")


def test_strict_refusals_through_a_real_process(store):
    path, (code, _), _ = store
    env = {**os.environ, "POS_CLOCK": "2026-11-23T10:00", "POS_LANG": "en"}
    before = sales(path)
    for b in (basket(code, cash=2**63), basket(TRACK)):
        p = subprocess.run([sys.executable, str(ROOT / "main.py"), "checkout", "--db", str(path), "--json"],
                           input=json.dumps(b), capture_output=True, text=True, env=env, timeout=120)
        refused(p.returncode, p.stdout, p.stderr)
        assert "4111" not in p.stderr
    assert sales(path) == before
