"""A new till's first pull by HQ's bootstrap snapshot (issue 20), against a real HQ
process: the same rows as a till bootstrapped by pull pages, resumed after the
download is cut off and the till restarts, shared by tills while it is fresh, no
phone number in it (sync/server/snapshot.py, sync/bootstrap.py,
pos/services/snapshot_load.py). The cursor proof on PostgreSQL is in
test_cursor_pg.py."""
from __future__ import annotations

import datetime as dt
import gzip
import json
import sqlite3
import uuid

import pytest
import requests

from pos.clock import FixedClock
from pos.rules.pricing import Tender
from pos.services import checkout, members
from pos.store import program_store
from pos.store.database import open_db
from sync import bootstrap, engine
from sync.client import HQClient, HQUnavailable
from sync.server import admin
from sync.server import snapshot as hq_snapshot

from .conftest import TOWEL, make_till, phone, run_main
from .faults import FaultyProxy
from .test_sync import sell

NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.timezone.utc)
EVERYTHING = 0  # snapshot_min: a snapshot whatever the size of HQ's log
NEVER = 10 ** 15  # snapshot_min: pull pages only
LOCAL = {"member_cards": {"id"}, "audit_log": {"id"}}  # ids a till makes itself
SKIP_TABLES = {"settings", "outbox", "alembic_version", "sqlite_sequence"}


@pytest.fixture(scope="module")
def chain(hq, tmp_path_factory):
    """A store that sold to members (cards, tags, notes, points, stored value, coupons), and
    a member who joined at HQ: what new tills of that store and of another must receive."""
    tmp = tmp_path_factory.mktemp("chain")
    a = make_till(tmp, hq, "SNAPA")
    nums = [phone() for _ in range(6)]
    ids = []
    for i, n in enumerate(nums):
        m = members.register(a, n, name=f"会员{i}", card_no=f"88{i:08d}", tags=["vip"] if i % 2 else None)
        ids.append(str(m.id))
    members.add_note(a, ids[0], "喜欢蓝色")
    for i in range(4):
        sell(a, f"88{i:08d}", TOWEL, 2)
    checkout.topup(a, ids[1], 10000, [Tender("cash", 10000)])
    got = engine.sync_once(a)
    assert got["ok"] and got["pushed"]["rejected"] == 0
    hq.cli("member", "add", "--phone", phone(), "--name", "总部会员", "--json")
    # online orders with a parcel for pickup: at this store, and at another (never sent here)
    key = json.loads(hq.cli("channel", "add", f"snapshop{uuid.uuid4().hex[:6]}", "--json").stdout)["key"]
    elsewhere, _ = hq.add_store("SNAPB")
    for oid, n, pickup in (("SN-1", nums[0], a.store_code), ("SN-2", nums[1], elsewhere)):
        body = {"order_id": f"{oid}-{uuid.uuid4().hex[:6]}", "phone": n, "status": "paid", "paid_fen": 5000,
                "pickup_store": pickup, "lines": [{"sku": TOWEL, "name": "Towel", "qty": 1, "amount_fen": 5000}]}
        r = requests.post(hq.url + "/v1/orders", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=10)
        assert r.status_code == 200 and r.json()["parcel"]["store"] == pickup, r.text
    yield {"till": a, "phones": nums, "store": a.store_code}
    a.close()


def new_till(tmp_path, hq, name: str, store: str | None = None):
    """A till with the shipped program, enrolled (at `store`, or a new one), not synced."""
    db = open_db(tmp_path / f"{name}.sqlite3", clock=FixedClock(NOW))
    program_store.ensure_default(db)
    if store is None:
        code, enrol = hq.add_store(name)
    else:
        code, enrol = store, admin.store_add(hq.db, store, "again", new_code=True)["enrol_code"]
    engine.enrol(db, hq.url, enrol)
    return db


def tables(db) -> dict[str, list[tuple]]:
    """Every table's rows (sorted), without the ids a till makes itself."""
    conn = sqlite3.connect(db.path)
    try:
        out = {}
        for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            if t in SKIP_TABLES:
                continue
            cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{t}")') if r[1] not in LOCAL.get(t, set())]
            out[t] = sorted(conn.execute(f'SELECT {", ".join(chr(34) + c + chr(34) for c in cols)} FROM "{t}"'),
                            key=repr)
        out["cursor"] = [conn.execute("SELECT value FROM settings WHERE key = 'sync.cursor'").fetchone()]
        return out
    finally:
        conn.close()


def pull(db, snapshot_min):
    client = engine.client_for(db)
    try:
        return engine.pull(db, client, snapshot_min=snapshot_min)
    finally:
        client.close()


def assert_same(a, b):
    ta, tb = tables(a), tables(b)
    assert set(ta) == set(tb)
    differ = {t: (ta[t], tb[t]) for t in ta if ta[t] != tb[t]}
    assert not differ, differ


def test_a_till_bootstrapped_by_snapshot_holds_the_rows_of_one_bootstrapped_by_pages(hq, chain, tmp_path):
    for store in (chain["store"], None):  # the selling store's second till (its own rows skipped), another store
        by_pages, by_snapshot = new_till(tmp_path, hq, f"P{store or 'x'}", store), \
            new_till(tmp_path, hq, f"S{store or 'x'}", store)
        if store is None:  # both in one new store
            by_snapshot.close()
            by_snapshot = new_till(tmp_path, hq, "Sy", by_pages.store_code)
        try:
            pages = pull(by_pages, NEVER)
            assert "snapshot" not in pages and pages["changes"] > 0
            got = pull(by_snapshot, EVERYTHING)
            snap = got["snapshot"]
            assert snap["fast"]["member"] >= 7 and snap["counts"]["member"] >= 7
            assert got["cursor"] == pages["cursor"]
            assert_same(by_pages, by_snapshot)
            parcels = tables(by_snapshot)["parcels"]
            assert len(parcels) == (1 if store else 0)  # this store's parcel only (from the manifest)
            assert len(tables(by_snapshot)["online_orders"]) >= 2
        finally:
            by_pages.close()
            by_snapshot.close()


def test_a_snapshot_on_a_till_that_has_members_goes_through_the_page_code(hq, chain, tmp_path):
    by_pages = new_till(tmp_path, hq, "Pm")
    by_snapshot = new_till(tmp_path, hq, "Sm", by_pages.store_code)
    try:
        local = members.register(by_snapshot, phone(), name="先来")  # joined here before the first pull
        client = engine.client_for(by_snapshot)
        engine.push(by_snapshot, client)
        client.close()
        pull(by_pages, NEVER)
        got = pull(by_snapshot, EVERYTHING)
        assert got["snapshot"]["fast"] == {} and got["snapshot"]["applied"]["members"] >= 7
        mine = str(local.id).replace("-", "")
        ta, tb = tables(by_pages), tables(by_snapshot)
        for t in ("members", "member_cards", "points_entries", "points_allocations", "stored_value_entries",
                  "member_balances", "coupons", "member_tags", "member_notes"):
            assert [r for r in ta[t] if mine not in r] == [r for r in tb[t] if mine not in r], t  # but its own member
        assert ta["cursor"] == tb["cursor"]
    finally:
        by_pages.close()
        by_snapshot.close()


def test_a_snapshot_is_shared_while_fresh_and_the_pull_brings_what_came_after(hq, chain, tmp_path, monkeypatch):
    first = new_till(tmp_path, hq, "F1")
    try:
        one = pull(first, EVERYTHING)["snapshot"]
        m = members.register(chain["till"], phone(), name="后来")  # after the snapshot was made
        assert engine.sync_once(chain["till"])["ok"]
        second = new_till(tmp_path, hq, "F2")
        try:
            got = pull(second, EVERYTHING)
            assert got["snapshot"]["id"] == one["id"] and got["snapshot"]["age_s"] >= 0  # the same file
            assert got["changes"] >= 1  # ... and the pages after its cursor
            with second.read() as s:
                from pos.store.models import Member

                assert s.get(Member, uuid.UUID(str(m.id))) is not None
        finally:
            second.close()
        monkeypatch.setenv("HQ_SNAPSHOT_MAX_AGE_MIN", "0")  # in this process: stale at once, a new one is made
        with hq.db.read() as s:
            aud = hq_snapshot.audience(s, first.store_code)
        again = hq_snapshot.current(hq.db, aud)
        assert again["id"] != one["id"] and again["cursor"] != one["cursor"]
    finally:
        first.close()


def test_a_download_cut_off_resumes_where_it_stopped_even_after_the_till_restarts(hq, chain, tmp_path):
    db = new_till(tmp_path, hq, "R1")
    reference = new_till(tmp_path, hq, "R2", db.store_code)
    with FaultyProxy(hq.port) as proxy:
        proxy.rule = lambda head: "truncate" if b"GET /v1/snapshot/" in head else None
        db.set_setting("sync.hq_url", proxy.url)
        client = HQClient(proxy.url, db.settings["sync.token"], retries=2)
        with pytest.raises(HQUnavailable, match="resumes there next time"):
            engine.pull(db, client, snapshot_min=EVERYTHING)
        client.close()
        state = json.loads((bootstrap.work_dir(db) / "manifest.json").read_text())
        part = bootstrap.work_dir(db) / f"{state['snapshot']['id']}.part"
        had = part.stat().st_size
        assert 0 < had < state["snapshot"]["size"]
        ranges = [h for h in proxy.heads if b"GET /v1/snapshot/" in h]
        assert len(ranges) == 3 and b"range: bytes=" in ranges[1].lower()  # each cut resumed within the run
        with db.read() as s:
            from pos.store import settings

            assert settings.SYNC_CURSOR.read(s) is None  # nothing stored from half a file
        proxy.rule = None
        db.close()
        p = run_main("sync", "--once", "--json", db=tmp_path / "R1.sqlite3")  # the till restarted
        out = json.loads(p.stdout)
        assert out["pulled"]["snapshot"]["resumed_from"] == had
        last = [h for h in proxy.heads if b"GET /v1/snapshot/" in h][-1].lower()
        assert f"range: bytes={had}-".encode() in last
    db = open_db(tmp_path / "R1.sqlite3", clock=FixedClock(NOW))
    try:
        pull(reference, NEVER)
        ta, tb = tables(db), tables(reference)
        for t in ("members", "member_tags", "points_entries", "points_allocations", "stored_value_entries",
                  "coupons", "coupon_uses", "member_notes"):
            assert ta[t] == tb[t], t
        assert not bootstrap.work_dir(db).exists()  # nothing left behind
    finally:
        db.close()
        reference.close()


def test_no_full_phone_number_in_the_snapshot_nor_the_till(hq, chain, tmp_path):
    db = new_till(tmp_path, hq, "Ph")
    try:
        snap = pull(db, EVERYTHING)["snapshot"]
        with hq.db.read() as s:
            aud = hq_snapshot.audience(s, db.store_code)
        assert not aud["offline_unmask"]
        raw = gzip.decompress(hq_snapshot.file_for(hq.db, db.store_code, snap["id"]).read_bytes())
        db.close()
        mine = (tmp_path / "Ph.sqlite3").read_bytes()
        for n in chain["phones"]:
            digits = n[-11:].encode()
            assert digits not in raw and digits not in mine
            assert n[-4:].encode() in raw  # last 4 and the hash are there
    finally:
        db.close()


def test_a_snapshot_of_another_merchants_audience_is_not_served(hq, chain, tmp_path):
    db = new_till(tmp_path, hq, "Au")
    try:
        snap = pull(db, EVERYTHING)["snapshot"]
        with pytest.raises(hq_snapshot.SnapshotMissing):
            hq_snapshot.file_for(hq.db, db.store_code, "0" * 32)
        assert hq_snapshot.file_for(hq.db, db.store_code, snap["id"]).exists()
    finally:
        db.close()


def _snapshot_changes(hq_db, store: str, directory) -> dict[tuple[str, str], dict]:
    """What a snapshot for this store's audience holds, as pull changes keyed (kind, id)."""
    from pos.services import snapshot_load
    from sync.server import changes

    with hq_db.read() as s:
        aud = hq_snapshot.audience(s, store)
    info = hq_snapshot._build(hq_db, aud, directory)
    path = directory / f"{info['id']}.sqlite3"
    path.write_bytes(gzip.decompress((directory / f"{info['id']}.sqlite3.gz").read_bytes()))
    conn = sqlite3.connect(":memory:")
    conn.execute("ATTACH DATABASE ? AS snap", (str(path),))
    try:
        cols = snapshot_load._columns(conn)
        out = {}
        for kind in cols:
            key = changes.ENTITIES[kind][1]
            for chunk in snapshot_load._as_changes(conn, kind, cols[kind], snapshot_load._not_own(kind, cols), store):
                out.update({(kind, str(d[key])): d for d in chunk})
        return out
    finally:
        conn.close()


def test_merchant_programs_and_consent_hold_in_the_snapshot_as_in_the_pages(tmp_path):
    import os

    from sync.server import alliance
    from sync.server import members as hq_members
    from sync.server.db import HQDatabase

    from .conftest import create_pg_db, drop_pg_db
    from .test_alliance_hq import pull_all, three_merchants

    base = os.environ.get("HQ_TEST_DATABASE_URL")
    url = create_pg_db(base) if base else f"sqlite:///{tmp_path / 'hq.sqlite3'}"
    hq_db = HQDatabase(url)
    try:
        three_merchants(hq_db, tmp_path)
        hq_members.register(hq_db, "13900001111", name="李梅", gender="F", birthday="1990-05-01", store="BAK1")
        hq_members.register(hq_db, "13900002222", name="王芳", store="MAR1")
        alliance.consent_set(hq_db, "13900001111", "market", True)
        with hq_db.transaction() as s:  # the bakery's own tier for 李梅 (issue 17): the bakery's stores only
            from sqlalchemy import select as _select

            from sync.server.models import Member as _M
            mid = s.scalar(_select(_M.id).where(_M.phone == "+8613900001111"))
            alliance.set_tier(s, mid, "bakery", "vip", None, None, "BAK1")
            from sync.server import changes as _changes
            _changes.record(s, "member", mid)
            _changes.flush(s)
        fields = ("member_code", "name", "gender", "birthday", "marketing_consent", "phone_hash", "phone_masked",
                  "tier_code", "tier_expires", "home_merchant")
        for store in ("MAR1", "PHA1", "BAK2"):
            pages = {(c["kind"], c["id"]): c["data"] for c in pull_all(hq_db, store)}
            d = tmp_path / store
            d.mkdir()
            snap = _snapshot_changes(hq_db, store, d)
            assert set(snap) == set(pages)  # the same entities: another merchant's programs left out of both
            for key, data in pages.items():
                if key[0] == "member":
                    assert {f: data.get(f) for f in fields} == {f: snap[key].get(f) for f in fields}, (store, key)
                    assert "phone" not in snap[key]
            assert {i for k, i in snap if k == "program"} == {i for k, i in pages if k == "program"}
            tiers = {data["member_code"]: data["tier_code"] for (k, _i), data in pages.items() if k == "member"}
            assert sorted(tiers.values()) == (["member", "vip"] if store == "BAK2" else ["member", "member"]), store
            homes = sorted(data["home_merchant"] for (k, _i), data in pages.items() if k == "member")
            assert homes == ["bakery", "market"], store
    finally:
        hq_db.close()
        if base:
            drop_pg_db(url)
