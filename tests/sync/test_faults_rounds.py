"""Issue 12: two real tills and a real HQ process with a fault-injecting proxy
between them (drop, reset, reset mid-request, lost response after commit, delay
past the timeout, truncated body, garbage), driven through rounds of sales,
redemptions (online holds through the proxy too), returns, registrations, pushes
and pulls. Whatever broke, after a clean settle: every event is at HQ exactly
once, every sale once, balances equal the sum of entries at HQ and at both tills,
spendable never exceeds the balance, and `ledger verify` is clean. Runs on
SQLite, and on PostgreSQL with HQ_TEST_DATABASE_URL."""
from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from sqlalchemy import func, select

from pos.loyalty import ledger
from pos.services import members, returns
from pos.services.checkout import Checkout
from pos.errors import DomainError
from pos.store.models import Member, OutboxEvent, Sale
from pos.rules.pricing import Tender
from sync import engine
from sync.client import HQClient, HQUnavailable
from sync.server.models import IngestedEvent, MemberBalance
from sync.server.models import Sale as HQSale

from .conftest import SOAP, TOWEL, make_till, phone, run_main
from .faults import FaultyProxy
from .test_sync import sums

ROUNDS = 7
FAULTS = ("drop", "reset", "reset_mid_request", "drop_response", "delay", "truncate", "garbage")


def _local_members(db) -> list[str]:
    with db.read() as s:
        return [str(m) for m in s.scalars(select(Member.id).where(Member.status == "active"))]


def _sale(db, rng, mids, redeem: bool):
    co = Checkout(db)
    co.add(rng.choice((TOWEL, SOAP)), rng.randint(1, 4))
    if mids:
        co.attach_member_id(rng.choice(mids))
        if redeem:
            co.redeem(rng.choice((100, 200, 500)))
    return co.pay([Tender("cash", co.quote().net_fen)])


def _spendable_within_balance(s, now) -> list[str]:
    bad = []
    for mid, points in s.execute(select(MemberBalance.member_id, MemberBalance.points)):
        spendable = ledger.available_points(s, mid, now)
        if spendable > max(points, 0):
            bad.append(f"{mid}: spendable {spendable} > balance {points}")
    return bad


def test_two_tills_through_a_faulty_network_end_exactly_once_and_agree(hq, tmp_path):
    rng = random.Random(20261201)
    a, b = make_till(tmp_path, hq, "PA"), make_till(tmp_path, hq, "PB")
    tills = (a, b)

    def choose() -> str:
        return rng.choice(FAULTS) if rng.random() < 0.4 else "pass"

    proxy = FaultyProxy(hq.port, choose=choose, delay=1.2, seed=5)
    clients = {db.store_code: HQClient(proxy.url, db.settings["sync.token"], retries=2, timeout=(1.0, 1.0))
               for db in tills}
    direct = {db.store_code: db.settings["sync.hq_url"] for db in tills}
    receipts: dict[str, list[str]] = {db.store_code: [] for db in tills}
    done: Counter = Counter()
    try:
        for db in tills:
            db.settings["sync.hq_url"] = proxy.url  # holds (online redemptions) go through the proxy too
            for _ in range(2):
                members.register(db, phone())
        for _round in range(ROUNDS):
            for db in tills:
                for _ in range(3):
                    op = rng.choice(("sale", "sale", "redeem", "redeem", "return", "register"))
                    mids = _local_members(db)
                    try:
                        if op == "register":
                            members.register(db, phone())
                        elif op == "return" and receipts[db.store_code]:
                            returns.return_sale(db, receipts[db.store_code].pop(rng.randrange(
                                len(receipts[db.store_code]))))
                        else:
                            r = _sale(db, rng, mids, op == "redeem")
                            receipts[db.store_code].append(r.receipt_no)
                        done[op] += 1
                    except DomainError as exc:  # not enough points / offline cap: a refusal, not a fault
                        done[f"refused:{exc.code}"] += 1
                try:
                    engine.sync_once(db, clients[db.store_code])
                    done["sync_ok"] += 1
                except HQUnavailable:
                    done["sync_offline"] += 1
    finally:
        proxy.choose = None
        for db in tills:
            db.settings["sync.hq_url"] = direct[db.store_code]
        for c in clients.values():
            c.close()
        proxy.close()
    faults = Counter(proxy.seen)
    print(f"\nops {dict(done)}; requests through the proxy {dict(faults)}")
    assert sum(faults[f] for f in FAULTS) >= 10 and done["sync_offline"] >= 1 and done["sale"] + done["redeem"] > 10
    try:
        for db in tills + tills:  # settle on a clean line
            got = engine.sync_once(db)
            assert got["ok"] and got["pushed"]["rejected"] == 0, got["pushed"]["rejected_events"]
        with hq.db.read() as s:
            hq_entries = sums(s)
            cache = {str(m): (p, v) for m, p, v in s.execute(select(
                MemberBalance.member_id, MemberBalance.points, MemberBalance.stored_value_fen))}
            assert all(cache.get(mid, (0, 0)) == pv for mid, pv in hq_entries.items())
            assert _spendable_within_balance(s, dt.datetime.now(dt.timezone.utc)) == []
        for db in tills:
            with db.read() as s:
                ids = set(s.scalars(select(OutboxEvent.event_id)))
                assert s.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.status != "sent")) == 0
                sale_ids = set(s.scalars(select(Sale.id)))
                assert ledger.find_drift(s) == []
                mine = sums(s)
                assert _spendable_within_balance(s, db.clock.now()) == []
            with hq.db.read() as s:  # every event at HQ exactly once (the id is the key), none of another store's
                at_hq = set(s.scalars(select(IngestedEvent.event_id).where(IngestedEvent.store_code == db.store_code)))
                assert at_hq == ids
                assert set(s.scalars(select(HQSale.id).where(HQSale.store_code == db.store_code))) == sale_ids
                assert s.scalar(select(func.count()).select_from(IngestedEvent)
                                .where(IngestedEvent.store_code == db.store_code, IngestedEvent.status == "rejected")) == 0
            for mid in set(mine) | set(_local_members(db)):
                assert mine.get(mid, (0, 0)) == hq_entries.get(mid, (0, 0))
        assert set(_local_members(a)) == set(_local_members(b))  # each knows the other's members
        verify = run_main("ledger", "verify", db=a.path)
        assert "ok" in verify.stdout
    finally:
        a.close()
        b.close()
