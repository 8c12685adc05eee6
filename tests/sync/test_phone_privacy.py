"""Full phone numbers stay at HQ (issue 12 item 7): an enrolled till keeps a keyed hash,
the last 4 digits and the masked form; unmasking asks HQ, which audits it. Real HQ
process, real till files."""
from __future__ import annotations

import importlib.util
import random
import re
import sqlite3
import uuid
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, select

from pos.services import members
from pos.store.database import alembic_config, open_db
from pos.errors import DomainError
from pos.store.models import AuditEntry
from sync import engine
from sync.server import admin
from sync.server.models import AuditEntry as HQAudit
from sync.server.models import Member as HQMember

from .conftest import ROOT, make_till, offline, phone


def leaks(path: Path, numbers: list[str]) -> list[str]:
    """Which of the 11-digit numbers appear anywhere in the till's files (database, WAL)
    or in any text value of any table."""
    found = set()
    for f in (path, Path(str(path) + "-wal"), Path(str(path) + "-journal")):
        if f.exists():
            raw = f.read_bytes()
            found |= {n for n in numbers if n.encode() in raw}
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for t in tables:
            for row in conn.execute(f'SELECT * FROM "{t}"'):
                text = " ".join(str(v) for v in row if v is not None)
                found |= {n for n in numbers if n in text}
    finally:
        conn.close()
    return sorted(found)


def settle(*tills):
    for db in tills + tills:
        got = engine.sync_once(db)
        assert got["ok"] and got["pushed"]["rejected"] == 0, got["pushed"]["rejected_events"]


def test_after_a_pull_no_till_file_holds_a_full_phone_yet_identification_works(tmp_path, hq):
    a, b = make_till(tmp_path, hq, "A"), make_till(tmp_path, hq, "B")
    try:
        at_a = [phone() for _ in range(4)]
        at_b = [phone() for _ in range(2)]
        for i, p in enumerate(at_a):
            members.register(a, p, name=f"甲{i}", card_no=f"800000{i:04d}")
        for p in at_b:
            members.register(b, p)
        settle(a, b)
        numbers = at_a + at_b
        for db in (a, b):
            assert leaks(db.path, numbers) == [], db.path
            idx = members.MemberIndex(str(db.path))
            try:
                for i, p in enumerate(at_a):
                    [m] = idx.find(p)  # the typed number is hashed and looked up
                    assert m.name == f"甲{i}" and m.phone_masked == p[:3] + "****" + p[-4:]
                    assert m.id in {x.id for x in idx.find(p[-4:])}  # last-4 pick list
                    assert [x.id for x in idx.find(f"800000{i:04d}")] == [m.id]  # card
                    assert members.detail(db, m.id).phone_masked == p[:3] + "****" + p[-4:]
            finally:
                idx.close()
        # HQ keeps the numbers (the member master), tills do not
        with hq.db.read() as s:
            assert set(numbers) <= {m.phone[3:] for m in s.scalars(select(HQMember)) if m.phone}
        # the duplicate check of quick join works on the hash
        with pytest.raises(DomainError) as err:
            members.register(b, at_a[0])
        assert err.value.code == "member.duplicate_phone"
        assert f"({at_a[0][:3]}****{at_a[0][-4:]})" in err.value.message("en")
    finally:
        a.close()
        b.close()


def test_unmask_asks_hq_which_audits_it_and_offline_is_refused_clearly(tmp_path, hq, capsys):
    a, b = make_till(tmp_path, hq, "A"), make_till(tmp_path, hq, "B")
    try:
        p = phone()
        m = members.register(a, p, name="赵")
        settle(a, b)
        assert members.unmask_phone(b, m.id, actor="mgr-b") == p
        with hq.db.read() as s:
            [row] = s.scalars(select(HQAudit).where(HQAudit.member_id == uuid.UUID(m.id))).all()
            assert (row.store_code, row.actor, row.action) == (b.store_code, "mgr-b", "member.unmask_phone")
        with b.read() as s:  # the till records that it asked
            assert s.scalar(select(AuditEntry).where(AuditEntry.action == "member.unmask_phone")).details == {"via": "hq"}
        with offline(b):
            with pytest.raises(DomainError) as err:
                members.unmask_phone(b, m.id, actor="mgr-b")
        assert err.value.code == "phone.unmask_needs_hq"
        assert "needs HQ" in err.value.message("en") and "总部" in err.value.message("zh_CN")
        with hq.db.read() as s:  # nothing shown, nothing audited
            assert len(s.scalars(select(HQAudit).where(HQAudit.member_id == uuid.UUID(m.id))).all()) == 1
        assert f"store={b.store_code} actor=mgr-b" in hq_cli(hq, capsys, "audit")
    finally:
        a.close()
        b.close()


def hq_cli(hq, capsys, *args) -> str:
    """`python main.py hq ...` in this process (a subprocess costs seconds of imports)."""
    spec = importlib.util.spec_from_file_location("memberpos_main", ROOT / "main.py")
    entry = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(entry)
    capsys.readouterr()
    assert entry.main(["hq", *args, "--db", hq.db_url]) == 0
    return capsys.readouterr().out


def test_a_chain_that_unmasks_offline_sends_numbers_down(tmp_path, hq, capsys):
    from sync.server import phones as server_phones

    assert "offline unmasking: on" in hq_cli(hq, capsys, "phones", "--offline-unmask", "on")
    try:
        a, b = make_till(tmp_path, hq, "A"), make_till(tmp_path, hq, "B")
        try:
            p = phone()
            m = members.register(a, p)
            settle(a, b)
            with offline(b):  # the number is on the till: shown without HQ, audited here
                assert members.unmask_phone(b, m.id, actor="mgr") == p
            assert members.MemberIndex(str(b.path)).find(p)[0].id == m.id
        finally:
            a.close()
            b.close()
    finally:
        server_phones.set_offline_unmask(hq.db, False)


def test_standalone_till_keeps_its_numbers_until_hq_has_them(tmp_path, hq):
    db = open_db(tmp_path / "alone.sqlite3")
    try:
        code = f"P{random.randint(0, 10**6):06d}"
        db.set_setting("store_code", code)
        nums = [phone() for _ in range(3)]
        ids = [members.register(db, p, name="单店").id for p in nums]
        # standalone: the only copy of its members, numbers kept (README says so)
        assert leaks(db.path, nums) == sorted(nums)
        assert members.unmask_phone(db, ids[0], actor="mgr") == nums[0]
        got = admin.store_add(hq.db, code, "was standalone")
        engine.enrol(db, hq.url, got["enrol_code"])
        with db.read() as s:  # hashed at once; numbers kept until HQ acknowledges them
            from pos.store.models import Member

            rows = s.scalars(select(Member)).all()
            assert all(r.phone_hash and r.phone for r in rows)
        got = engine.sync_once(db)
        assert got["pushed"]["accepted"] >= 3  # the registrations: HQ has the numbers now
        assert leaks(db.path, nums) == []
        idx = members.MemberIndex(str(db.path))
        assert [m.id for m in idx.find(nums[1])] == [ids[1]]
        idx.close()
        with hq.db.read() as s:
            assert {m.phone for m in s.scalars(select(HQMember).where(HQMember.joined_store == code))} == \
                {"+86" + p for p in nums}
    finally:
        db.close()


def test_an_enrolled_store_from_before_is_migrated_by_its_next_sync(tmp_path, hq):
    """A store enrolled with an earlier release: full numbers in members and in sent outbox
    events, schema at 0007. Opening migrates (masked forms); the next sync hashes and clears."""
    db = make_till(tmp_path, hq, "OLD")
    nums = [phone() for _ in range(3)]
    ids = [members.register(db, p, name="老店").id for p in nums]
    settle(db)
    path = db.path
    db.close()
    # back to what the earlier release left on disk
    conn = sqlite3.connect(path)
    for mid, p in zip(ids, nums):
        conn.execute("UPDATE members SET phone = ?, phone_hash = NULL, phone_masked = NULL WHERE id = ?",
                     ("+86" + p, uuid.UUID(mid).hex))
        conn.execute("UPDATE outbox SET payload = json_set(payload, '$.phone', ?) WHERE kind = 'member.registered' "
                     "AND json_extract(payload, '$.id') = ?", ("+86" + p, mid))
    conn.execute("DELETE FROM settings WHERE key LIKE 'phone.%'")
    conn.commit()
    conn.close()
    cfg = alembic_config()
    eng = create_engine(f"sqlite:///{path}")
    with eng.begin() as c:
        cfg.attributes["connection"] = c
        command.downgrade(cfg, "0007")
    eng.dispose()
    assert leaks(path, nums) == sorted(nums)

    db = open_db(path)  # revision 0008: masked forms from the numbers
    try:
        with sqlite3.connect(path) as c:
            masked = {r[0] for r in c.execute("SELECT phone_masked FROM members")}
        assert {p[:3] + "****" + p[-4:] for p in nums} <= masked
        got = engine.sync_once(db)  # fetches the key, hashes, clears what HQ has
        assert got["phones"]["hashed"] == 3 and got["phones"]["cleared_members"] == 3
        assert got["phones"]["scrubbed_events"] == 3
        assert leaks(path, nums) == []
        idx = members.MemberIndex(str(path))
        assert [m.id for m in idx.find(nums[2])] == [ids[2]]
        assert ids[0] in {m.id for m in idx.find(nums[0][-4:])}
        idx.close()
    finally:
        db.close()


def test_a_till_that_lost_its_key_file_gets_it_back_from_hq(tmp_path, hq):
    db = make_till(tmp_path, hq, "K")
    try:
        p = phone()
        m = members.register(db, p)
        settle(db)
        from pos.services import phone_privacy
        from pos.rules import phones

        key_file = phones.key_dir() / f"phone-{db.settings[phone_privacy.KEY_ID]}.key"
        assert key_file.stat().st_mode & 0o777 == 0o600
        assert key_file.parent != db.path.parent
        key_file.unlink()
        phone_privacy._keys.clear()
        idx = members.MemberIndex(str(db.path))
        assert idx.find(p) == []  # the database file alone cannot tell a number
        with pytest.raises(DomainError) as err:
            members.register(db, phone())
        assert err.value.code == "phone.key_missing"
        engine.sync_once(db)
        idx.close()
        idx = members.MemberIndex(str(db.path))
        assert [x.id for x in idx.find(p)] == [m.id]
        idx.close()
    finally:
        db.close()


def test_pull_pages_carry_no_phone_field(tmp_path, hq):
    from sync.server import changes

    db = make_till(tmp_path, hq, "P")
    try:
        p = phone()
        members.register(db, p)
        settle(db)
        page = changes.pull_page(hq.db, "P-OTHER", None, 10_000).json()
        assert p not in page and not re.search(r'"phone":"\+', page)
        assert '"phone_hash":"' in page and '"phone_masked":"' in page
    finally:
        db.close()
