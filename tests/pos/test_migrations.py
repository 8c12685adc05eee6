"""A store upgraded from any earlier release keeps its data."""
from __future__ import annotations

import sqlite3

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from pos.services import members
from pos.store.database import alembic_config, open_db


def test_upgrade_from_first_revision_keeps_members(tmp_path, clock):
    path = tmp_path / "old.sqlite3"
    cfg = alembic_config()
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


def test_upgrade_to_0006_counts_the_units_of_every_ticket(tmp_path, clock):
    """Revision 0006 fills `sales.units` from the lines (gift lines left out)."""
    path = tmp_path / "r5.sqlite3"
    cfg = alembic_config()
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0005")
    engine.dispose()
    conn = sqlite3.connect(path)
    ts = "'2026-11-20 02:00:00.000000'"
    for sid, kind, lines in (("a" * 32, "sale", [(3, None), (2, None), (1, "gift:mug")]), ("b" * 32, "return", [(-2, None)]),
                             ("c" * 32, "topup", [])):
        conn.execute(
            "INSERT INTO sales (id, receipt_no, kind, store_code, register_no, business_date, created_at, channel, "
            "gross_fen, discount_fen, net_fen, paid_fen, change_fen, spend_fen, points_earned, points_redeemed, "
            f"points_value_fen, member_saved_fen, provisional, test_clock) VALUES (?, ?, ?, 'S001', '01', '2026-11-20', {ts}, "
            "'store', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)", (sid, "R" + sid[:8], kind))
        for i, (qty, reward) in enumerate(lines, 1):
            conn.execute(
                "INSERT INTO sale_lines (id, sale_id, line_no, code, name, category, points_class, qty, unit_fen, gross_fen, "
                "net_fen, points, points_value_fen, reward) VALUES (?, ?, ?, 'X', 'x', '', 'regular', ?, 100, 0, 0, 0, 0, ?)",
                (f"{sid[:30]}{i:02d}", sid, i, qty, reward))
    conn.commit()
    conn.close()
    db = open_db(path, clock=clock)
    db.close()
    with sqlite3.connect(path) as c:
        assert dict(c.execute("SELECT kind, units FROM sales")) == {"sale": 5, "return": -2, "topup": 0}
        cols = [r[2] for r in c.execute("PRAGMA index_xinfo(ix_sales_day_hour)") if r[5]]
        assert "units" in cols
