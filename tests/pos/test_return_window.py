"""The per-tier return window (SPEC §4, `TierLevel.return_window_days`): a return after the
window is refused with a clear error; a manager may override, and the return names the
manager (audit row, the return's detail, its `sale.returned` event).

Vancl: member 7 days, VIP 15, SVIP 30. Days count from the sale's business date (store
time zone); a sale without a member has the lowest tier's window; a shipped order at
least its points' pending days (30)."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from pos.demo.store import ean13
from pos.errors import DomainError
from pos.rules import program
from pos.services import members, returns, staff
from pos.services.catalog import import_csv
from pos.services.checkout import Checkout, Tender
from pos.store import program_store
from pos.store.models import AuditEntry, Member, OutboxEvent, Sale

REG = ean13("690777000001")  # 100 yuan
VANCL = program.preset("vancl")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def store(db, tmp_path):
    program_store.install(db, VANCL)
    (tmp_path / "c.csv").write_text(f"barcode,name,category,price_fen,kind\n{REG},T恤,服装,10000,regular\n",
                                    encoding="utf-8")
    assert import_csv(db, tmp_path / "c.csv").ok
    return db


def _sell(db, mid=None, channel="store"):
    co = Checkout(db, channel=channel)
    co.add(REG)
    if mid:
        co.attach_member_id(mid)
    return co.pay([Tender("cash", co.quote().net_fen)])


def _set_tier(db, mid, tier):
    with db.transaction() as s:
        s.get(Member, uuid.UUID(mid)).tier_code = tier


def _refused(db, receipt):
    with pytest.raises(DomainError) as e:
        returns.return_sale(db, receipt)
    return e.value


def test_member_window_is_7_days_from_the_business_date(store, clock):
    mid = members.register(store, "13900139100").id
    sale = _sell(store, mid)
    clock.advance(days=7)  # the seventh day after: still in
    p = returns.plan(store, sale.receipt_no)
    assert (p.days_since_sale, p.window_days, p.window_closed) == (7, 7, False)
    sale2 = _sell(store, mid)
    returns.return_sale(store, sale.receipt_no)
    clock.advance(days=8)
    err = _refused(store, sale2.receipt_no)
    assert err.code == "return.window_closed"
    assert err.message("en") == (f"Receipt {sale2.receipt_no} is 8 days old: the return window is 7 days; "
                                 "a manager can approve")
    assert "7 天退货期" in err.message("zh")
    assert returns.plan(store, sale2.receipt_no).window_closed  # the preview says so before confirming


@pytest.mark.parametrize("tier, ok_day, closed_day", [("vip", 15, 16), ("svip", 30, 31)])
def test_higher_tiers_have_longer_windows(store, clock, tier, ok_day, closed_day):
    mid = members.register(store, "13900139101").id
    _set_tier(store, mid, tier)
    a, b = _sell(store, mid), _sell(store, mid)
    clock.advance(days=ok_day)
    returns.return_sale(store, a.receipt_no)
    clock.advance(days=closed_day - ok_day)
    assert _refused(store, b.receipt_no).code == "return.window_closed"


def test_an_upgrade_after_the_sale_lengthens_the_window_a_drop_does_not_shorten_it(store, clock):
    up, down = (members.register(store, f"1390013910{n}").id for n in (2, 3))
    _set_tier(store, down, "svip")
    sale_up, sale_down = _sell(store, up), _sell(store, down)
    _set_tier(store, up, "vip")  # upgraded since: 15 days
    _set_tier(store, down, "member")  # bought as SVIP: keeps 30 days
    clock.advance(days=12)
    returns.return_sale(store, sale_up.receipt_no)
    returns.return_sale(store, sale_down.receipt_no)


def test_non_member_sale_has_the_lowest_tiers_window(store, clock):
    sale = _sell(store)
    clock.advance(days=8)
    p = returns.plan(store, sale.receipt_no)
    assert (p.window_days, p.window_closed) == (VANCL.tiers.levels[0].return_window_days, True) == (7, True)
    assert _refused(store, sale.receipt_no).code == "return.window_closed"


def test_shipped_order_has_at_least_its_pending_days(store, clock):
    mid = members.register(store, "13900139104").id
    sale = _sell(store, mid, channel="shipped")
    clock.advance(days=30)
    assert returns.plan(store, sale.receipt_no).window_days == 30
    returns.return_sale(store, sale.receipt_no)


def test_business_date_in_the_store_zone(store, clock):
    mid = members.register(store, "13900139105").id
    clock.set(dt.datetime(2026, 11, 23, 23, 50))  # late on the 23rd, Shanghai
    sale = _sell(store, mid)
    clock.set(dt.datetime(2026, 11, 30, 23, 59))  # the 30th: 7 days
    assert not returns.plan(store, sale.receipt_no).window_closed
    clock.set(dt.datetime(2026, 12, 1, 0, 1))  # two minutes later, the 8th day
    assert returns.plan(store, sale.receipt_no).window_closed


def test_a_manager_overrides_and_the_return_names_the_manager(store, clock):
    staff.add(store, "M001", "店长", "manager", "2468")
    mid = members.register(store, "13900139106").id
    sale = _sell(store, mid)
    clock.advance(days=20)
    with pytest.raises(DomainError) as e:  # a cashier's PIN is no manager's
        staff.approve(store, "M001", "1111", "return_window", sale.receipt_no)
    assert e.value.code == "staff.not_manager"
    who = staff.approve(store, "M001", "2468", "return_window", sale.receipt_no, days_since_sale=20, window_days=7)
    r = returns.return_sale(store, sale.receipt_no, cashier="C01", window_override=who.code)
    assert r.plan.refund_fen == 10000 and r.plan.window_closed
    with store.read() as s:
        ret = s.scalar(select(Sale).where(Sale.receipt_no == r.sale.receipt_no))
        assert ret.detail["window_override"] == {"manager": "M001", "days_since_sale": 20, "window_days": 7}
        rows = s.scalars(select(AuditEntry).where(AuditEntry.target == sale.receipt_no)).all()
        assert {(a.actor, a.action) for a in rows} >= {("M001", "override.return_window"),
                                                       ("M001", "return.window_override")}
        event = s.scalars(select(OutboxEvent).where(OutboxEvent.kind == "sale.returned")).all()[-1]
        assert event.payload["window_override"]["manager"] == "M001"  # HQ learns who approved


def test_a_return_in_the_window_records_no_override(store, clock):
    mid = members.register(store, "13900139107").id
    sale = _sell(store, mid)
    r = returns.return_sale(store, sale.receipt_no, window_override="M001")  # not needed: not recorded
    with store.read() as s:
        assert "window_override" not in s.scalar(select(Sale).where(Sale.receipt_no == r.sale.receipt_no)).detail
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "return.window_override")) is None


def test_cli_return_after_the_window_needs_a_manager(store, clock, tmp_path):
    staff.add(store, "M001", "店长", "manager", "2468")
    mid = members.register(store, "13900139108").id
    sale = _sell(store, mid)  # 2026-11-23
    path = str(store.path)
    store.close()

    def run(*args, pin=None):
        env = {**os.environ, "POS_CLOCK": "2026-12-05T10:00", "POS_LANG": "en"}
        if pin is not None:
            env["MEMBERPOS_MANAGER_PIN"] = pin
        return subprocess.run([sys.executable, str(ROOT / "main.py"), "return", "--receipt", sale.receipt_no,
                               "--db", path, *args], capture_output=True, text=True, env=env, timeout=120)

    p = run("--json")
    assert p.returncode == 2 and "is 12 days old: the return window is 7 days; a manager can approve" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert "Traceback" not in p.stderr
    p = run("--manager", "M001", "--manager-pin", "0000", "--json")
    assert p.returncode == 2 and "manager" in p.stderr.lower() and "Traceback" not in p.stderr
    p = run("--manager", "M001", "--json", pin="2468")
    assert p.returncode == 0, p.stderr
    body = json.loads(p.stdout)
    assert body["plan"]["window_closed"] and body["plan"]["days_since_sale"] == 12 and body["totals"]["paid_fen"] == -10000
