"""HQ's database from every earlier release upgrades with every record and serves a pull
(issue 19 item 4). Written with raw SQL at each HQ revision's schema (the newest rows cut
to that revision's columns); every revision of the chain is a case. A database from a
newer release is refused."""
from __future__ import annotations

import json
import sqlite3
import uuid

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from sync.server import changes
from sync.server.db import MIGRATIONS, HQDatabase

CFG = Config()
CFG.set_main_option("script_location", str(MIGRATIONS))
SCRIPT = ScriptDirectory.from_config(CFG)
REVISIONS = [r.revision for r in reversed(list(SCRIPT.walk_revisions()))]
HEAD = SCRIPT.get_current_head()
T0, T1 = "2025-03-01 02:00:00.000000", "2025-03-02 03:00:00.000000"
M1 = uuid.UUID(int=0x0190000000007000800000000000A001)
E1, E2, SALE = (uuid.UUID(int=0x0190000000007000800000000000B000 + i) for i in (1, 2, 3))


def rows() -> dict[str, list[dict]]:
    return {
        "stores": [{"code": "S001", "name": "老店", "enrol_code_hash": None, "enrol_expires_at": None, "created_at": T0},
                   {"code": "S002", "name": "新店", "enrol_code_hash": None, "enrol_expires_at": None, "created_at": T0}],
        "members": [{"id": M1.hex, "member_code": "M000001", "phone": "+8613800138000", "phone_last4": "8000", "name": "王小明",
                     "gender": "F", "birthday": "1990-05-01", "region": None, "address": None, "occupation": None,
                     "income_band": None, "preferences": None, "channel": "store", "marketing_consent": 1, "consent_at": T0,
                     "tier_code": "vip", "tier_since": T0, "tier_expires": None, "joined_at": T0, "joined_store": "S001",
                     "referrer_id": None, "status": "active", "merged_into": None, "tags": json.dumps([]),
                     "field_times": json.dumps({}), "created_at": T0, "updated_at": T0, "test_clock": 0}],
        "member_balances": [{"member_id": M1.hex, "points": 150, "stored_value_fen": 0, "updated_at": T1}],
        "points_entries": [
            {"id": E1.hex, "member_id": M1.hex, "kind": "earn", "points": 200, "available_at": T0, "expires_at": None,
             "reverses_id": None, "source_lot_id": None, "sale_id": SALE.hex, "store_code": "S001", "program_version": "v1",
             "reason": "sale", "created_at": T0, "test_clock": 0},
            {"id": E2.hex, "member_id": M1.hex, "kind": "redeem", "points": -50, "available_at": T1, "expires_at": None,
             "reverses_id": None, "source_lot_id": None, "sale_id": None, "store_code": "S001", "program_version": "v1",
             "reason": "redeem", "created_at": T1, "test_clock": 0}],
        "sales": [{"id": SALE.hex, "store_code": "S001", "kind": "sale", "receipt_no": "S001-01-20250301-0001",
                   "member_id": M1.hex, "created_at": T0, "net_fen": 20000, "points_earned": 200, "points_redeemed": 0,
                   "provisional": 0, "document": json.dumps({"receipt_no": "S001-01-20250301-0001"}), "repriced": None,
                   "hq_net_fen": None, "hq_points_earned": None}],
        "events": [{"event_id": uuid.UUID(int=0xF1).hex, "store_code": "S001", "seq": 1, "kind": "sale.committed",
                    "created_at": T0, "received_at": T0, "status": "accepted", "reason": None, "payload": json.dumps({})}],
        "change_log": [{"seq": 1, "txid": 0, "kind": "member", "entity_id": str(M1), "origin": "S001"},
                       {"seq": 2, "txid": 0, "kind": "points_entry", "entity_id": str(E1), "origin": "S001"},
                       {"seq": 3, "txid": 0, "kind": "points_entry", "entity_id": str(E2), "origin": "S001"}],
    }


def build_at(path, revision: str) -> dict[str, int]:
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
                continue
            cols = {r[1] for r in c.execute(f"PRAGMA table_info({table})")}
            for item in items:
                keep = {k: v for k, v in item.items() if k in cols}
                c.execute(f"INSERT INTO {table} ({', '.join(keep)}) VALUES ({', '.join('?' * len(keep))})", list(keep.values()))
            written[table] = len(items)
        c.commit()
    finally:
        c.close()
    return written


@pytest.mark.parametrize("revision", REVISIONS[:-1] or REVISIONS)
def test_hq_of_every_earlier_release_upgrades_and_serves_a_pull(tmp_path, revision):
    path = tmp_path / f"hq{revision}.sqlite3"
    written = build_at(path, revision)
    hq = HQDatabase(f"sqlite:///{path}")  # migrates to head
    try:
        c = sqlite3.connect(path)
        assert c.execute("SELECT version_num FROM alembic_version").fetchone()[0] == HEAD
        for table, n in written.items():
            assert c.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == n, table
        assert c.execute("SELECT sum(points) FROM points_entries WHERE member_id = ?", (M1.hex,)).fetchone()[0] == \
            c.execute("SELECT points FROM member_balances WHERE member_id = ?", (M1.hex,)).fetchone()[0] == 150
        c.close()
        page = changes.pull(hq, "S002", None, 100)  # another store's till pulls from the start
        kinds = sorted(ch["kind"] if isinstance(ch, dict) else ch.kind for ch in page.changes)
        assert kinds == ["member", "points_entry", "points_entry"]
        member = next(ch for ch in page.changes if (ch["kind"] if isinstance(ch, dict) else ch.kind) == "member")
        data = member["data"] if isinstance(member, dict) else member.data
        assert data["member_code"] == "M000001" and data["tier_code"] == "vip"
        assert "13800138000" not in json.dumps(data)  # a till never gets the full number
    finally:
        hq.close()


def test_hq_from_a_newer_release_is_refused(tmp_path):
    path = tmp_path / "newer.sqlite3"
    build_at(path, HEAD)
    c = sqlite3.connect(path)
    c.execute("UPDATE alembic_version SET version_num = 'hq9999_future'")
    c.commit()
    c.close()
    with pytest.raises(RuntimeError, match="newer release"):
        HQDatabase(f"sqlite:///{path}")
    c = sqlite3.connect(path)
    assert c.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "hq9999_future"
    c.close()
