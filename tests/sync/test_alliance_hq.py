"""Issue 17, slice 1: merchants at HQ. An HQ from before is the one-merchant alliance `main`;
merchants with their own stores and programs; the alliance's shared rules reach every
store; a merchant's program only its own stores; a member's personal fields reach a
merchant's tills only with the member's consent to that merchant (SQLite; the same code
on PostgreSQL with HQ_TEST_DATABASE_URL)."""
from __future__ import annotations

import json
import sqlite3
import uuid

import pytest

from sync.server import admin, alliance, changes
from sync.server import members as hq_members
from sync.server.db import HQDatabase

from .conftest import ROOT, create_pg_db, drop_pg_db, run_main

ALLIANCE_DOC = {"version": "alliance-1", "name": {"zh": "城东联盟", "en": "East Side Alliance"},
                "coins": {"value_fen": 1, "earn_per_yuan_max": 5, "pay_pct_max": 50, "expiry_days": 365,
                          "offline_cap_coins": 3000},
                "settlement": {"fee_bps": 200}}


def program_file(tmp_path, version: str, coins: int | None = None, preset: str = "vancl"):
    doc = json.loads((ROOT / f"pos/resources/presets/{preset}.json").read_text(encoding="utf-8"))
    doc["version"] = version
    if coins is not None:
        doc["coins"] = {"earn_per_yuan": coins}
    path = tmp_path / f"{version}.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def hq(tmp_path):
    import os

    base = os.environ.get("HQ_TEST_DATABASE_URL")
    url = create_pg_db(base) if base else f"sqlite:///{tmp_path / 'hq.sqlite3'}"
    db = HQDatabase(url)
    try:
        yield db
    finally:
        db.close()
        if base:
            drop_pg_db(url)


def pull_all(hq, store: str) -> list[dict]:
    out, cursor = [], None
    while True:
        page = changes.pull(hq, store, cursor, 500)
        out += [c.model_dump() for c in page.changes]
        cursor = page.cursor
        if not page.more:
            return out


def alliance_file(tmp_path, **over):
    doc = json.loads(json.dumps(ALLIANCE_DOC))
    for k, v in over.items():
        doc["coins"][k] = v
    path = tmp_path / f"alliance-{len(over)}.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def three_merchants(hq, tmp_path):
    for code, name in (("bakery", "麦香面包"), ("market", "万家超市"), ("pharmacy", "康宁药房")):
        assert alliance.merchant_add(hq, code, name)["created"]
    alliance.alliance_program_publish(hq, str(alliance_file(tmp_path)))
    stores = {}
    for m in ("bakery", "market", "pharmacy"):
        for i in (1, 2):
            code = f"{m[:3].upper()}{i}"
            got = admin.store_add(hq, code, f"{m} {i}", merchant=m)
            assert got["merchant"] == m
            stores.setdefault(m, []).append(code)
    admin.program_publish(hq, str(program_file(tmp_path, "bakery-1", coins=3)), merchant="bakery")
    admin.program_publish(hq, str(program_file(tmp_path, "market-1", coins=1, preset="hdcrm")), merchant="market")
    admin.program_publish(hq, str(program_file(tmp_path, "pharmacy-1", coins=0)), merchant="pharmacy")
    return stores


def test_one_merchant_alliance_is_todays_chain(hq, tmp_path):
    """No merchant added: every store is main's, `program publish` is main's, nothing is redacted."""
    admin.store_add(hq, "S01", "West Lake")
    admin.program_publish(hq, str(program_file(tmp_path, "v-main")))
    hq_members.register(hq, "13800138000", name="王小明", store="S01")
    got = pull_all(hq, "S01")
    assert [c["data"]["version"] for c in got if c["kind"] == "program"] == ["v-main"]
    member = next(c["data"] for c in got if c["kind"] == "member")
    assert member["name"] == "王小明"
    assert alliance.merchant_list(hq) == [{"merchant": "main", "name": "main", "stores": ["S01"], "program": "v-main"}]


def test_each_merchant_its_own_program_and_the_alliance_rules_everywhere(hq, tmp_path):
    stores = three_merchants(hq, tmp_path)
    for m, codes in stores.items():
        for code in codes:
            got = pull_all(hq, code)
            assert [c["data"]["version"] for c in got if c["kind"] == "program"] == [f"{m}-1"], (m, code)
            rules = [c["data"] for c in got if c["kind"] == "alliance_program"]
            assert [(r["version"], r["active"], r["document"]["settlement"]["fee_bps"]) for r in rules] == \
                [("alliance-1", True, 200)]
    # a new version of one merchant leaves the others' active versions alone
    admin.program_publish(hq, str(program_file(tmp_path, "bakery-2", coins=2)), merchant="bakery")
    listed = {m["merchant"]: m["program"] for m in alliance.merchant_list(hq)}
    assert listed == {"main": None, "bakery": "bakery-2", "market": "market-1", "pharmacy": "pharmacy-1"}


def test_a_merchant_rate_within_the_alliance_rules(hq, tmp_path):
    three_merchants(hq, tmp_path)
    with pytest.raises(admin.AdminError, match="above the alliance's earn_per_yuan_max 5"):
        admin.program_publish(hq, str(program_file(tmp_path, "bakery-9", coins=6)), merchant="bakery")
    with pytest.raises(admin.AdminError, match="no merchant 'cafe'"):
        admin.program_publish(hq, str(program_file(tmp_path, "cafe-1")), merchant="cafe")
    with pytest.raises(admin.AdminError, match="belongs to merchant bakery, not market"):
        admin.store_add(hq, "BAK1", "", new_code=True, merchant="market")
    with pytest.raises(admin.AdminError, match="version bakery-1 is already published .*for merchant bakery"):
        admin.program_publish(hq, str(program_file(tmp_path, "bakery-1", coins=3)), merchant="market")
    with pytest.raises(admin.AdminError, match="merchant code must be"):
        alliance.merchant_add(hq, "Bad Code!", "x")


def test_consent_limits_what_another_merchant_sees(hq, tmp_path):
    three_merchants(hq, tmp_path)
    m = hq_members.register(hq, "13900001111", name="李梅", gender="F", birthday="1990-05-01", store="BAK1")

    def seen(store):
        row = next(c["data"] for c in pull_all(hq, store) if c["kind"] == "member" and c["id"] == m["id"])
        return row["name"], row["birthday"], row["member_code"], row["phone_masked"]

    assert seen("BAK2") == ("李梅", "1990-05-01", m["member_code"], "139****1111")  # joined at the bakery
    assert seen("MAR1") == (None, None, m["member_code"], "139****1111")  # the card, not the person
    got = alliance.consent_set(hq, "13900001111", "market", True)
    assert got["consent"] is True
    assert seen("MAR1")[:2] == ("李梅", "1990-05-01")
    assert seen("PHA1")[:2] == (None, None)
    alliance.consent_set(hq, "13900001111", "bakery", False)  # withdrawn: even where they joined
    assert seen("BAK1")[:2] == (None, None)
    rel = {r["merchant"]: r["consent"] for r in alliance.relationships(hq, "13900001111")}
    assert rel == {"main": False, "bakery": False, "market": True, "pharmacy": False}
    shown = admin.member_show(hq, "13900001111")
    assert shown["merchants"] == [{"merchant": m, "consent": m == "market"}
                                  for m in ("bakery", "main", "market", "pharmacy")]
    assert shown["coins"] == {"balance": 0, "spendable": 0, "lots_by_issuer": {}}


def test_cli(tmp_path):
    db = tmp_path / "hq.sqlite3"

    def hq(*args, check=0):
        return run_main("hq", *args, "--db", str(db), check=check)

    assert "merchant bakery (麦香面包)" in hq("merchant", "add", "bakery", "--name", "麦香面包").stdout
    got = json.loads(hq("alliance", "program", "publish", str(alliance_file(tmp_path)), "--json").stdout)
    assert got["coins"]["earn_per_yuan_max"] == 5 and got["settlement"] == {"fee_bps": 200}
    got = json.loads(hq("store", "add", "BAK1", "--merchant", "bakery", "--name", "麦香面包 东门", "--json").stdout)
    assert got["merchant"] == "bakery" and got["enrol_code"]
    out = hq("merchant", "program", "publish", "bakery", str(program_file(tmp_path, "bakery-1", coins=3))).stdout
    assert out.strip() == "published bakery-1 for merchant bakery (active)"
    got = json.loads(hq("merchant", "list", "--json").stdout)
    assert got[0] == {"merchant": "bakery", "name": "麦香面包", "stores": ["BAK1"], "program": "bakery-1"}
    p = hq("store", "add", "X1", "--merchant", "cafe", "--name", "x", check=1)
    assert "no merchant 'cafe'" in p.stderr and "Traceback" not in p.stderr
    p = hq("merchant", "program", "publish", "bakery", str(program_file(tmp_path, "bakery-2", coins=9)), check=2)
    assert "above the alliance's earn_per_yuan_max 5" in p.stderr
    hq("member", "add", "--phone", "13900002222", "--name", "赵")
    got = json.loads(hq("member", "consent", "13900002222", "--merchant", "bakery", "on", "--json").stdout)
    assert got == {"member_code": got["member_code"], "phone_masked": "139****2222", "merchant": "bakery", "consent": True}


def test_hq_from_before_becomes_main(tmp_path):
    """An HQ at hq0012 with stores, members and a program: after the upgrade every store
    and program is main's and every member main's with consent."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    from sync.server.db import MIGRATIONS

    path = tmp_path / "old.sqlite3"
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "hq0012")
    engine.dispose()
    c = sqlite3.connect(path)
    c.execute("INSERT INTO stores (code, name, created_at) VALUES ('S01', '老店', '2025-03-01 02:00:00.000000')")
    mid = uuid.uuid4().hex
    c.execute("INSERT INTO members (id, member_code, phone, name, channel, marketing_consent, tier_code, joined_at, "
              "joined_store, status, tags, field_times, created_at, updated_at, test_clock) VALUES (?, 'M1', "
              "'+8613800138000', '王', 'store', 0, 'member', '2025-03-01 02:00:00.000000', 'S01', 'active', '[]', '{}', "
              "'2025-03-01 02:00:00.000000', '2025-03-01 02:00:00.000000', 0)", (mid,))
    c.execute("INSERT INTO change_log (seq, txid, kind, entity_id, origin) VALUES (1, 0, 'member', ?, 'S01')",
              (str(uuid.UUID(mid)),))
    c.commit()
    c.close()
    hq = HQDatabase(f"sqlite:///{path}")
    try:
        assert alliance.merchant_list(hq) == [{"merchant": "main", "name": "main", "stores": ["S01"], "program": None}]
        assert alliance.relationships(hq, "13800138000") == [
            {"merchant": "main", "consent": True, "recorded": True, "consent_at": "2025-03-01T02:00:00+00:00"}]
        member = next(ch["data"] for ch in pull_all(hq, "S01") if ch["kind"] == "member")
        assert member["name"] == "王"
    finally:
        hq.close()
