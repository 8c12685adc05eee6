"""The till's side of phone privacy without HQ (issue 12 item 7): keyed hash, key file,
clearing numbers only once HQ has them, migration 0008, standalone unchanged."""
from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
import uuid

import pytest
from alembic import command
from sqlalchemy import create_engine, select

from pos.services import members, phone_privacy, sync_apply
from pos.rules import phones
from pos.store.database import alembic_config, open_db
from pos.errors import DomainError
from pos.store.models import Member, OutboxEvent

KEY = bytes(range(32))
NUMS = ["13800138000", "13912345678", "15000001111"]


def leaks(path, numbers) -> list[str]:
    raw = b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())
    return [n for n in numbers if n.encode() in raw]


def acknowledge(db) -> None:
    """What a push records when HQ accepts every pending event."""
    with db.read() as s:
        ids = [str(e) for e in s.scalars(select(OutboxEvent.event_id).where(OutboxEvent.status == "pending"))]
    sync_apply.record_acks(db, [{"event_id": i, "status": "accepted"} for i in ids], "2026-11-23T02:00:00+00:00")


@pytest.fixture(autouse=True)
def key_dir(tmp_path, monkeypatch):
    folder = tmp_path / "keys"
    monkeypatch.setenv(phones.KEY_DIR_ENV, str(folder))
    phone_privacy._keys.clear()
    return folder


def test_digest_is_keyed_and_mask_keeps_a_masked_form():
    a = phones.digest(KEY, "+8613800138000")
    assert a == hmac.new(KEY, b"+8613800138000", hashlib.sha256).hexdigest() == phones.digest(KEY, "+8613800138000")
    assert a != phones.digest(b"\x01" * 32, "+8613800138000")
    assert "13800138000" not in a
    assert phones.mask("138****8000") == "138****8000" == phones.mask("+8613800138000")


def test_standalone_till_keeps_numbers_and_unmasks_locally(db):
    ids = [members.register(db, n).id for n in NUMS]
    assert leaks(db.path, NUMS) == NUMS  # the only copy of its members (README: Privacy)
    idx = members.MemberIndex(str(db.path))
    assert [m.id for m in idx.find("13912345678")] == [ids[1]]
    idx.close()
    assert members.unmask_phone(db, ids[0], actor="mgr") == "13800138000"
    with db.read() as s:
        assert all(m.phone_hash is None and m.phone_masked for m in s.scalars(select(Member)))


def test_with_the_key_numbers_go_once_hq_acknowledged_them(db, key_dir):
    ids = [members.register(db, n, name=f"会员{i}").id for i, n in enumerate(NUMS)]
    early = members.MemberIndex(str(db.path))  # the app's index, opened before enrolment
    got = phone_privacy.install_key(db, KEY)
    assert got["hashed"] == 3
    key_file = next(key_dir.iterdir())
    assert oct(key_file.stat().st_mode & 0o777) == "0o600" and key_file.parent != db.path.parent
    assert KEY.hex() not in db.path.read_bytes().decode("latin-1")  # only its id and a check value
    # not pushed yet: HQ does not have the numbers, so the till keeps them
    assert phone_privacy.after_push(db)["cleared_members"] == 0
    assert leaks(db.path, NUMS) == NUMS
    acknowledge(db)
    done = phone_privacy.after_push(db)
    assert done == {"scrubbed_events": 3, "cleared_members": 3}
    assert leaks(db.path, NUMS) == []
    assert [m.id for m in early.find("13912345678")] == [ids[1]]  # switches to the hash by itself
    early.close()
    idx = members.MemberIndex(str(db.path))
    try:
        [m] = idx.find("138 0013 8000")
        assert m.id == ids[0] and m.phone_masked == "138****8000"
        assert [x.id for x in idx.find("1111")] == [ids[2]]
    finally:
        idx.close()
    # a new member on the enrolled till: no number in the row, only in the pending event
    new = members.register(db, "13700001234")
    with db.read() as s:
        row = s.get(Member, uuid.UUID(new.id))
        assert row.phone is None and row.phone_last4 == "1234" and row.phone_masked == "137****1234"
    with pytest.raises(DomainError) as err:  # quick join's duplicate check, by hash
        members.register(db, "+86 139 1234 5678")
    assert err.value.code == "member.duplicate_phone" and "(139****5678)" in err.value.message("en")
    acknowledge(db)
    phone_privacy.after_push(db)
    assert leaks(db.path, NUMS + ["13700001234"]) == []


def test_the_database_file_alone_does_not_identify_by_phone(db, key_dir):
    members.register(db, NUMS[0])
    phone_privacy.install_key(db, KEY)
    acknowledge(db)
    phone_privacy.after_push(db)
    for f in key_dir.iterdir():
        os.remove(f)
    phone_privacy._keys.clear()
    idx = members.MemberIndex(str(db.path))
    assert idx.find(NUMS[0]) == []
    with pytest.raises(DomainError) as err:
        idx.by_phone(NUMS[0])
    assert err.value.code == "phone.key_missing"
    phone_privacy.install_key(db, KEY)  # what the next sync does (GET /v1/phones)
    assert len(idx.find(NUMS[0])) == 1  # the open index (the app's) picks the key up
    idx.close()


def test_migration_0008_gives_existing_members_their_masked_form(tmp_path, clock):
    path = tmp_path / "r7.sqlite3"
    cfg = alembic_config()
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0007")
    engine.dispose()
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO members (id, member_code, phone, phone_last4, name, channel, marketing_consent, tier_code, "
        "joined_at, status, created_at, updated_at, test_clock) VALUES "
        "('0190000000007000800000000000aaaa', 'MOLD0000001', '+8613800138000', '8000', '老会员', 'store', 0, 'vip', "
        "'2025-01-01 00:00:00.000000', 'active', '2025-01-01 00:00:00.000000', '2025-01-01 00:00:00.000000', 0)")
    conn.commit()
    conn.close()
    db = open_db(path, clock=clock)
    try:
        with sqlite3.connect(path) as c:
            assert c.execute("SELECT phone_masked, phone_hash FROM members").fetchone() == ("138****8000", None)
        phone_privacy.install_key(db, KEY)
        idx = members.MemberIndex(str(path))
        assert [m.name for m in idx.find("13800138000")] == ["老会员"]
        idx.close()
        phone_privacy.after_push(db)  # no registration waiting: HQ had it from the earlier release
        assert leaks(path, ["13800138000"]) == []
    finally:
        db.close()


def test_merge_on_an_enrolled_till_moves_the_hash(db):
    phone_privacy.install_key(db, KEY)
    keep = members.register(db, NUMS[0], name="甲")
    other = members.register(db, NUMS[1], name="乙")
    with db.transaction() as s:  # a record without a phone (imported), the other one's number moves to it
        row = s.get(Member, uuid.UUID(keep.id))
        row.phone = row.phone_hash = row.phone_last4 = row.phone_masked = None
    got = members.merge(db, keep.id, other.id, actor="mgr")
    assert "phone" in got.fields_filled and got.survivor.phone_masked == "139****5678"
    idx = members.MemberIndex(str(db.path))
    assert [m.id for m in idx.find(NUMS[1])] == [keep.id]
    idx.close()
