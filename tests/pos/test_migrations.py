"""A store upgraded from any earlier release keeps its data."""
from __future__ import annotations

import sqlite3

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from pos import members
from pos.database import _alembic_config, open_db


def test_upgrade_from_first_revision_keeps_members(tmp_path, clock):
    path = tmp_path / "old.sqlite3"
    cfg = _alembic_config()
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    engine.dispose()
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO members (id, member_code, phone, phone_last4, name, channel, marketing_consent, tier_code, "
        "joined_at, status, created_at, updated_at, test_clock) VALUES "
        "('0190000000007000800000000000aaaa', 'MOLD0000001', '+8613800138000', '8000', '老会员', 'store', 0, 'vip', "
        "'2025-01-01 00:00:00.000000', 'active', '2025-01-01 00:00:00.000000', '2025-01-01 00:00:00.000000', 0)")
    conn.commit()
    conn.close()

    db = open_db(path, clock=clock)  # migrates to head on open
    try:
        head = ScriptDirectory.from_config(cfg).get_current_head()
        with sqlite3.connect(path) as c:
            assert c.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head
            tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"sales", "sale_lines", "coupons", "tier_changes", "baskets"} <= tables
        idx = members.MemberIndex(str(path))
        found = idx.find("13800138000")
        idx.close()
        assert [m.name for m in found] == ["老会员"] and found[0].tier == "vip"
    finally:
        db.close()
