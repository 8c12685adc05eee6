"""The HQ change cursor never skips a change that commits late — proved on
PostgreSQL with concurrent writers (skipped without HQ_TEST_DATABASE_URL; CI
sets it). See sync/server/changes.py for the design."""
from __future__ import annotations

import os
import random
import threading
import time
import uuid

import pytest
from sqlalchemy import text

from sync.server import changes

from .conftest import create_pg_db, drop_pg_db

pytestmark = pytest.mark.skipif(not os.environ.get("HQ_TEST_DATABASE_URL"),
                                reason="needs PostgreSQL: set HQ_TEST_DATABASE_URL")


@pytest.fixture
def pg_hq():
    from sync.server.db import HQDatabase

    url = create_pg_db(os.environ["HQ_TEST_DATABASE_URL"])
    hq = HQDatabase(url)
    try:
        yield hq
    finally:
        hq.close()
        drop_pg_db(url)


def _write(hq, ids: list[str]):
    s = hq._sessions()
    s.begin()
    changes.record_many(s, "member", ids)
    changes.flush(s)  # seq drawn, row written (and the transaction has its id) — not committed yet
    return s


def _naive(hq, after: int) -> list[tuple[int, str]]:
    with hq.read() as s:
        return [tuple(r) for r in s.execute(text("SELECT seq, entity_id FROM change_log WHERE seq > :a ORDER BY seq"),
                                            {"a": after})]


def test_a_change_committed_late_is_not_skipped(pg_hq):
    t1 = _write(pg_hq, ["early-seq-late-commit"])
    t2 = _write(pg_hq, ["late-seq-early-commit"])
    t2.commit()
    # a plain sequence cursor serves seq 2 now and moves past seq 1 ...
    naive = _naive(pg_hq, 0)
    assert [e for _, e in naive] == ["late-seq-early-commit"]
    naive_cursor = naive[-1][0]
    # ... while the (txid, seq) cursor waits: T1 is still in flight below T2
    rows, cursor = changes.log_page(pg_hq, None, 100)
    assert rows == []
    t1.commit()
    assert _naive(pg_hq, naive_cursor) == []  # the naive reader lost T1's change for good
    rows, cursor = changes.log_page(pg_hq, cursor, 100)
    assert [r.entity_id for r in rows] == ["early-seq-late-commit", "late-seq-early-commit"]
    assert changes.log_page(pg_hq, cursor, 100)[0] == []


def test_concurrent_writers_reader_sees_every_committed_change_once(pg_hq):
    committed: list[str] = []
    lock = threading.Lock()
    done = threading.Event()
    rng = random.Random(6)

    def writer(w: int) -> None:
        r = random.Random(w)
        for i in range(40):
            ids = [f"w{w}-t{i}-{k}" for k in range(r.randint(1, 3))]
            s = _write(pg_hq, ids)
            time.sleep(r.uniform(0, 0.012))  # commit later than others that drew a later seq
            if r.random() < 0.1:
                s.rollback()
            else:
                s.commit()
                with lock:
                    committed.extend(ids)
            s.close()

    served: list[str] = []
    naive_seen: list[str] = []

    def reader() -> None:
        cursor, naive_cursor = None, 0
        while True:
            finished = done.is_set()
            rows, cursor = changes.log_page(pg_hq, cursor, rng.randint(1, 7))
            served.extend(r.entity_id for r in rows)
            got = _naive(pg_hq, naive_cursor)
            if got:
                naive_cursor = got[-1][0]
                naive_seen.extend(e for _, e in got)
            if finished and not rows:
                return

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
    rt = threading.Thread(target=reader)
    rt.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    rt.join(timeout=60)
    assert not rt.is_alive()
    assert len(served) == len(set(served))  # nothing twice
    assert sorted(served) == sorted(committed)  # nothing skipped, nothing uncommitted
    missed_by_naive = set(committed) - set(naive_seen)
    print(f"\n{len(committed)} committed changes; (txid, seq) cursor served all; "
          f"a plain seq cursor missed {len(missed_by_naive)}")


def test_an_hq_transaction_left_open_cannot_hold_back_the_feed_for_long(pg_hq):
    # the feed waits for the oldest open transaction; HQ's server ends its own idle ones
    from sync.server.db import IDLE_TX_TIMEOUT_MS

    with pg_hq.read() as s:
        ms = s.execute(text("SELECT setting FROM pg_settings WHERE name = 'idle_in_transaction_session_timeout'")).scalar()
    assert int(ms) == IDLE_TX_TIMEOUT_MS == 60_000


def test_a_pull_waits_a_moment_for_a_writer_in_flight_instead_of_serving_nothing(pg_hq):
    first, second = str(uuid.uuid4()), str(uuid.uuid4())  # change-log rows of members (no member rows needed)
    t1 = _write(pg_hq, [first])
    t2 = _write(pg_hq, [second])
    t2.commit()
    assert changes.log_page(pg_hq, None, 100)[0] == []  # held back behind T1
    later = threading.Timer(0.03, t1.commit)
    later.start()
    page = changes.pull_page(pg_hq, "S1", None, 100)
    later.join()
    rows, _ = changes.log_page(pg_hq, None, 100)
    assert [r.entity_id for r in rows] == [first, second]
    assert page.cursor == changes.format_cursor(rows[-1].txid, rows[-1].seq)  # both served, in one pull


def test_a_transaction_that_stays_open_delays_a_pull_by_a_fraction_of_a_second_only(pg_hq):
    t1 = _write(pg_hq, [str(uuid.uuid4())])
    t2 = _write(pg_hq, [str(uuid.uuid4())])
    t2.commit()
    began = time.monotonic()
    page = changes.pull_page(pg_hq, "S1", None, 100)
    took = time.monotonic() - began
    t1.rollback()
    assert page.changes == [] and not page.more
    assert sum(changes.HOLD_BACK_WAITS) <= took < 5


# --- the bootstrap snapshot's cursor (sync/server/snapshot.py) ------------------------------------

AUDIENCE = {"merchant": "main", "redact": False, "offline_unmask": False}


def _members_tx(hq, n: int, tag: str):
    """A transaction that writes `n` members and their change-log rows, left open."""
    import datetime as dt

    from sync.server.models import Member

    now = dt.datetime.now(dt.timezone.utc)
    s = hq._sessions()
    s.begin()
    ids = [uuid.uuid4() for _ in range(n)]
    for k, mid in enumerate(ids):
        s.add(Member(id=mid, member_code=f"{tag}{k}"[:24], joined_at=now, created_at=now, updated_at=now,
                     status="active", tags=[], field_times={}))
    changes.record_many(s, "member", ids)
    changes.flush(s)
    return s, [str(i) for i in ids]


def _snapshot_members(hq, tmp_path) -> tuple[str, set[str]]:
    """Build a snapshot now: (its cursor, the member ids in its file)."""
    import gzip
    import sqlite3

    from sync.server import snapshot

    info = snapshot._build(hq, AUDIENCE, tmp_path)
    if info is None:
        return "", set()
    raw = tmp_path / f"{info['id']}.sqlite3"
    raw.write_bytes(gzip.decompress((tmp_path / f"{info['id']}.sqlite3.gz").read_bytes()))
    conn = sqlite3.connect(raw)
    try:
        return info["cursor"], {r[0] for r in conn.execute("SELECT id FROM c_member")}
    finally:
        conn.close()


def _drain(hq, cursor: str | None) -> list[str]:
    """Every row after the cursor, once nothing is held back any more (the horizon is the
    cluster's: another client's transaction on this server may hold the feed a moment)."""
    served = []
    deadline = time.monotonic() + 60
    while True:
        rows, cursor = changes.log_page(hq, cursor or None, 500)
        served += [r.entity_id for r in rows]
        if not rows:
            with hq.read() as s:
                if not changes.held_back(s, changes.parse_cursor(cursor)) or time.monotonic() > deadline:
                    return served
            time.sleep(0.05)


def test_a_snapshot_taken_while_a_writer_is_in_flight_leaves_its_change_to_the_pull(pg_hq, tmp_path):
    t1, late = _members_tx(pg_hq, 1, "LATE")
    t2, early = _members_tx(pg_hq, 1, "EARLY")
    t2.commit()  # committed first, but behind T1 in (txid, seq) order
    cursor, in_file = _snapshot_members(pg_hq, tmp_path)
    assert early[0] not in in_file and late[0] not in in_file  # both wait for the pull from the cursor
    t1.commit()
    served = _drain(pg_hq, cursor)
    assert late[0] in served and early[0] in served


def test_snapshots_built_during_concurrent_writers_skip_no_committed_change(pg_hq, tmp_path):
    committed: list[str] = []
    lock = threading.Lock()

    def writer(w: int) -> None:
        r = random.Random(w)
        for i in range(25):
            s, ids = _members_tx(pg_hq, r.randint(1, 3), f"W{w}T{i}K")
            time.sleep(r.uniform(0, 0.015))  # commit later than others that drew a later seq
            if r.random() < 0.1:
                s.rollback()
            else:
                s.commit()
                with lock:
                    committed.extend(ids)
            s.close()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(5)]
    for t in threads:
        t.start()
    snaps = []
    while any(t.is_alive() for t in threads) or len(snaps) < 3:
        d = tmp_path / f"s{len(snaps)}"
        d.mkdir()
        snaps.append(_snapshot_members(pg_hq, d))
    for t in threads:
        t.join()
    everything = set(committed)
    for cursor, in_file in snaps:
        assert in_file <= everything  # nothing uncommitted
        after = _drain(pg_hq, cursor)
        assert len(after) == len(set(after))  # the pages from the cursor: nothing twice
        assert in_file | set(after) == everything  # nothing skipped
        upto = everything - set(after)  # what the log holds at or before the cursor now ...
        assert upto <= in_file  # ... was all in the file: no change committed late landed before the cursor
    print(f"\n{len(everything)} committed members; {len(snaps)} snapshots built meanwhile, each + its pages = all")
