"""The points-uses commands as host systems run them (issue 14): one real process per
command, --json answers, a refusal exits 2 with one line and no traceback."""
from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from pos.clock import FixedClock
from pos.demo.store import ean13
from pos.loyalty import ledger
from pos.rules import program as programs
from pos.services import members
from pos.services.catalog import import_csv
from pos.services.checkout import Checkout, Tender
from pos.store import program_store
from pos.store.database import open_db

from .test_cli import run

PHONE, OTHER = "13800138000", "13900139000"
REG = ean13("690123400002")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """An HDCRM store (lottery cost 50, pts-5 for 500 points, 100 pts = 1 yuan); two members
    with 1,000 points, both bought today (the CLI's clock: POS_CLOCK 2026-11-23 10:00)."""
    tmp = tmp_path_factory.mktemp("cli_points")
    path = tmp / "store.sqlite3"
    db = open_db(path, clock=FixedClock(dt.datetime(2026, 11, 23, 10, 0), tz="Asia/Shanghai"))
    try:
        program_store.install(db, programs.preset("hdcrm"), source="test")
        (tmp / "c.csv").write_text(f"barcode,name,category,price_fen,kind\n{REG},T恤,服装,10000,regular\n", encoding="utf-8")
        assert import_csv(db, tmp / "c.csv").ok
        for phone in (PHONE, OTHER):
            m = members.register(db, phone)
            with db.transaction() as s:
                ledger.credit(s, uuid.UUID(m.id), "adjust", 1000, now=db.clock.now(), expires_at=None)
            co = Checkout(db)
            co.add(REG)
            co.attach_member(phone)
            co.pay([Tender("cash", co.quote().net_fen)])
    finally:
        db.close()
    return path


def refused(p, code: str, exit_code: int = 2) -> None:
    assert p.returncode == exit_code and p.stdout == "", (p.stdout, p.stderr)
    assert len(p.stderr.strip().splitlines()) == 1 and f"[{code}]" in p.stderr and "Traceback" not in p.stderr


def test_points_convert(store):
    p = run("points", "convert", PHONE, "--points", "200", "--to", "stored-value", "--json", db=store, check=0)
    body = json.loads(p.stdout)
    assert (body["points"], body["stored_value_fen"], body["stored_value_balance_fen"]) == (200, 200, 200)  # HDCRM: 100 pts = 1 yuan
    refused(run("points", "convert", PHONE, "--points", "150", "--to", "stored-value", db=store), "points.convert_step")


def test_coupon_exchange(store):
    p = run("coupon", "exchange", OTHER, "pts-5", "--json", db=store, check=0)
    body = json.loads(p.stdout)
    assert body["template"] == "pts-5" and body["points"] == 500 and body["coupon_code"].startswith("CP")


def test_lottery_draw_and_verify(store):
    p = run("lottery", "draw", PHONE, "--json", db=store, check=0)
    body = json.loads(p.stdout)
    assert body["cost"] == 50 and len(body["seed"]) == 64 and len(body["seed_hash"]) == 64
    v = run("lottery", "verify", body["draw_id"], "--json", db=store, check=0)
    checked = json.loads(v.stdout)
    assert checked["ok"] and checked["recomputed"]["prize"] == body["prize"]
    refused(run("lottery", "verify", str(uuid.UUID(int=1)), db=store), "lottery.not_found", 1)  # not found: 1


def test_campaign_draw(store):
    p = run("campaign", "draw", "618", "--winners", "1", "--points", "100", "--from", "2026-11-23", "--to", "2026-11-23",
            "--json", db=store, check=0)
    body = json.loads(p.stdout)
    assert body["candidates"] == 2 and len(body["winners"]) == 1 and body["winners"][0]["points"] == 100
    assert PHONE not in p.stdout and OTHER not in p.stdout  # masked phones only
