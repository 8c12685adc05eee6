"""Upgrade from every release (issue 19 item 4): a store written at each earlier schema
revision — members, cards, balances, points lots and a redemption paid by a lot, stored
value, a sale with lines and payment, a coupon and its use, outbox events — is migrated
to head on open and keeps every record; `ledger verify` is clean; it sells again. A file
from a newer release is refused with a clear message, never "downgraded".

The data set is written with raw SQL at that revision's schema: each row is the newest
schema's row, cut to the columns the revision has. A future migration that adds a NOT
NULL column without a default fails here at once (its old stores could not be upgraded);
a new release's revision is covered by this test with no change (every revision of the
chain is a case)."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from pos.errors import DomainError
from pos.loyalty import ledger
from pos.store import database
from pos.store.database import open_db

ROOT = Path(__file__).resolve().parents[2]
CFG = (getattr(database, "alembic_config", None) or getattr(database, "_alembic_config"))()
SCRIPT = ScriptDirectory.from_config(CFG)
REVISIONS = [r.revision for r in reversed(list(SCRIPT.walk_revisions()))]  # oldest first
HEAD = SCRIPT.get_current_head()

T0, T1, T2 = "2025-03-01 02:00:00.000000", "2025-03-02 03:00:00.000000", "2025-03-03 04:00:00.000000"
FAR = "2027-03-01 02:00:00.000000"
M1, M2 = uuid.UUID(int=0x0190000000007000800000000000A001), uuid.UUID(int=0x0190000000007000800000000000A002)
LOT, DEBIT, ALLOC = (uuid.UUID(int=0x0190000000007000800000000000B000 + i) for i in (1, 2, 3))
SV, SALE, LINE, PAY = (uuid.UUID(int=0x0190000000007000800000000000C000 + i) for i in (1, 2, 3, 4))
COUPON, USE = uuid.UUID(int=0x0190000000007000800000000000D001), uuid.UUID(int=0x0190000000007000800000000000D002)


def h(u: uuid.UUID) -> str:
    return u.hex


def member(mid, code, phone, name, tier):
    return {"id": h(mid), "member_code": code, "phone": phone, "phone_last4": phone[-4:], "phone_hash": None,
            "phone_masked": phone[3:6] + "****" + phone[-4:], "name": name, "gender": "F", "birthday": "1990-05-01",
            "region": "上海", "address": None, "occupation": None, "income_band": None, "preferences": None,
            "channel": "store", "marketing_consent": 1, "consent_at": T0, "tier_code": tier, "tier_since": T0,
            "tier_expires": None, "joined_at": T0, "joined_store": "S001", "referrer_id": None, "status": "active",
            "merged_into": None, "created_at": T0, "updated_at": T0, "test_clock": 0}


def rows() -> dict[str, list[dict]]:
    """The newest schema's rows (cut to each revision's columns by `write`)."""
    return {
        "settings": [{"key": "store_code", "value": json.dumps("S001")}, {"key": "register_no", "value": json.dumps("01")},
                     {"key": "store_name", "value": json.dumps("老店")}],
        "members": [member(M1, "M000001", "+8613800138000", "王小明", "vip"),
                    member(M2, "M000002", "+8613900139000", "李四", "regular")],
        "member_cards": [{"id": uuid.UUID(int=0xE1).hex, "card_no": "8800000001", "member_id": h(M1), "kind": "magstripe",
                          "status": "active", "issued_at": T0, "test_clock": 0}],
        "member_balances": [{"member_id": h(M1), "points": 150, "stored_value_fen": 5000, "updated_at": T2},
                            {"member_id": h(M2), "points": 0, "stored_value_fen": 0, "updated_at": T0}],
        "points_entries": [
            {"id": h(LOT), "member_id": h(M1), "kind": "earn", "points": 200, "available_at": T1, "expires_at": FAR,
             "reverses_id": None, "source_lot_id": None, "sale_id": h(SALE), "store_code": "S001",
             "program_version": "vancl-2025.1", "reason": "sale S001-01-20250302-0001", "created_at": T1, "test_clock": 0},
            {"id": h(DEBIT), "member_id": h(M1), "kind": "redeem", "points": -50, "available_at": T2, "expires_at": None,
             "reverses_id": None, "source_lot_id": None, "sale_id": None, "store_code": "S001",
             "program_version": "vancl-2025.1", "reason": "redeem", "created_at": T2, "test_clock": 0}],
        "points_allocations": [{"id": h(ALLOC), "debit_id": h(DEBIT), "lot_id": h(LOT), "points": 50}],
        "stored_value_entries": [{"id": h(SV), "member_id": h(M1), "kind": "topup", "amount_fen": 5000, "reverses_id": None,
                                  "sale_id": None, "store_code": "S001", "reason": "top-up", "created_at": T0, "test_clock": 0}],
        "sales": [{"id": h(SALE), "receipt_no": "S001-01-20250302-0001", "kind": "sale", "store_code": "S001",
                   "register_no": "01", "business_date": "2025-03-02", "created_at": T1, "cashier": "C01",
                   "member_id": h(M1), "tier_before": "vip", "tier_after": "vip", "program_version": "vancl-2025.1",
                   "channel": "store", "original_sale_id": None, "gross_fen": 20000, "discount_fen": 1000, "net_fen": 19000,
                   "paid_fen": 20000, "change_fen": 1000, "spend_fen": 19000, "points_earned": 200, "points_redeemed": 0,
                   "points_value_fen": 0, "member_saved_fen": 1000, "provisional": 0, "detail": None, "test_clock": 0,
                   "units": 2, "imported": 0}],
        "sale_lines": [{"id": h(LINE), "sale_id": h(SALE), "line_no": 1, "code": "6901234567892", "product_id": None,
                        "name": "毛巾", "category": "home", "points_class": "normal", "qty": 2, "unit_fen": 10000,
                        "gross_fen": 20000, "net_fen": 19000, "points": 200, "points_value_fen": 0, "reward": None,
                        "discounts": None, "returns_line_id": None}],
        "payments": [{"id": h(PAY), "sale_id": h(SALE), "tender": "cash", "amount_fen": 19000, "reference": None,
                      "tendered_fen": 20000}],
        "receipt_counters": [{"store_code": "S001", "register_no": "01", "business_date": "2025-03-02", "last_seq": 1}],
        "coupons": [{"id": h(COUPON), "code": "CPN-OLD-0001", "template": "welcome-10", "member_id": h(M1),
                     "valid_from": T0, "valid_to": FAR, "source": "join", "issued_at": T0, "issued_store": "S001",
                     "referrer_id": None, "voided_at": None, "test_clock": 0}],
        "coupon_uses": [{"id": h(USE), "coupon_id": h(COUPON), "sale_id": h(SALE), "member_id": h(M1), "amount_fen": 1000,
                         "used_at": T1, "store_code": "S001"}],
        "outbox": [{"seq": 1, "event_id": uuid.UUID(int=0xF1).hex, "kind": "member.registered",
                    "payload": json.dumps({"store": "S001", "member": {"id": str(M1)}}), "created_at": T0, "status": "sent",
                    "sent_at": T0, "result": json.dumps({"status": "accepted"}), "test_clock": 0},
                   {"seq": 2, "event_id": uuid.UUID(int=0xF2).hex, "kind": "sale.committed",
                    "payload": json.dumps({"store": "S001", "sale": {"id": str(SALE), "receipt_no": "S001-01-20250302-0001"}}),
                    "created_at": T1, "status": "pending", "sent_at": None, "result": None, "test_clock": 0}],
    }


def build_at(path: Path, revision: str) -> dict[str, int]:
    """A store at `revision` holding the data set; how many rows each table got."""
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        CFG.attributes["connection"] = conn
        command.upgrade(CFG, revision)
    engine.dispose()
    c = sqlite3.connect(path)
    written = {}
    try:
        tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for table, items in rows().items():
            if table not in tables:
                continue  # not in this release yet
            cols = {r[1] for r in c.execute(f"PRAGMA table_info({table})")}
            for item in items:
                keep = {k: v for k, v in item.items() if k in cols}
                c.execute(f"INSERT INTO {table} ({', '.join(keep)}) VALUES ({', '.join('?' * len(keep))})",
                          list(keep.values()))
            written[table] = len(items)
        c.commit()
    finally:
        c.close()
    return written


@pytest.mark.parametrize("revision", REVISIONS[:-1] or REVISIONS)
def test_a_store_of_every_earlier_release_upgrades_with_every_record(tmp_path, clock, revision):
    path = tmp_path / f"r{revision}.sqlite3"
    written = build_at(path, revision)
    db = open_db(path, clock=clock)  # migrates to head
    try:
        c = sqlite3.connect(path)
        assert c.execute("SELECT version_num FROM alembic_version").fetchone()[0] == HEAD
        for table, n in written.items():
            assert c.execute(f"SELECT count(*) FROM {table}").fetchone()[0] >= n, table
        name, tier, code = c.execute("SELECT name, tier_code, member_code FROM members WHERE id = ?", (h(M1),)).fetchone()
        assert (name, tier, code) == ("王小明", "vip", "M000001")
        assert c.execute("SELECT card_no FROM member_cards WHERE member_id = ?", (h(M1),)).fetchone()[0] == "8800000001"
        if "sales" in written:
            assert c.execute("SELECT net_fen, points_earned FROM sales WHERE id = ?", (h(SALE),)).fetchone() == (19000, 200)
            assert c.execute("SELECT units FROM sales WHERE id = ?", (h(SALE),)).fetchone()[0] == 2  # filled by 0006
            assert c.execute("SELECT count(*) FROM coupon_uses WHERE coupon_id = ?", (h(COUPON),)).fetchone()[0] == 1
        assert [r[0] for r in c.execute("SELECT status FROM outbox ORDER BY seq")] == ["sent", "pending"]
        c.close()
        assert db.store_code == "S001"
        with db.read() as s:
            assert ledger.find_drift(s) == []
            assert ledger.points_balance(s, M1) == 150
            pos = ledger.position(s, M1)
            assert [(lot.points, lot.remaining) for lot in pos.lots] == [(200, 150)] and pos.debt == 0
        from pos.services import members

        idx = members.MemberIndex(str(path))
        try:
            assert [m.member_code for m in idx.find("13800138000")] == ["M000001"]
        finally:
            idx.close()
    finally:
        db.close()


def test_the_oldest_store_passes_ledger_verify_and_doctor_from_the_cli(tmp_path):
    path = tmp_path / "first.sqlite3"
    build_at(path, REVISIONS[0])
    for args in (["ledger", "verify"], ["doctor", "--json"]):
        p = subprocess.run([sys.executable, str(ROOT / "main.py"), *args, "--db", str(path)], capture_output=True,
                           text=True, timeout=180)
        assert p.returncode == 0, (args, p.stdout, p.stderr)
    assert json.loads(p.stdout)["schema"] == {"revision": HEAD, "head": HEAD, "up_to_date": True}


def test_a_store_from_a_newer_release_is_refused_not_downgraded(tmp_path, clock):
    path = tmp_path / "newer.sqlite3"
    build_at(path, HEAD)
    c = sqlite3.connect(path)
    c.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    c.commit()
    c.close()
    with pytest.raises(DomainError) as err:
        open_db(path, clock=clock)
    assert err.value.code == "db.newer"
    p = subprocess.run([sys.executable, str(ROOT / "main.py"), "ledger", "verify", "--db", str(path), "--lang", "en"],
                       capture_output=True, text=True, timeout=180)
    assert p.returncode == 2 and "Traceback" not in p.stderr and "9999_from_the_future" in p.stderr, p.stderr
    c = sqlite3.connect(path)
    assert c.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "9999_from_the_future"  # untouched
    assert c.execute("SELECT count(*) FROM sales").fetchone()[0] == 1
    c.close()
