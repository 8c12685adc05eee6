"""HQ re-prices every sale with the till's own pricing code (issue 13): a real HQ
process (SQLite, or PostgreSQL with HQ_TEST_DATABASE_URL) and real till stores.

A sale whose totals or points differ from HQ's price is accepted but becomes an
exception for review, and the points a till credited beyond HQ's price are taken
back by HQ: a tampered or buggy till cannot mint points."""
from __future__ import annotations

import datetime as dt
import json
import uuid

from sqlalchemy import func, select, update

from pos.loyalty import coupons, ledger, tiers
from pos.rules import program as pos_program
from pos.rules.pricing import Tender
from pos.services import members, sync_apply
from pos.services.checkout import Checkout
from pos.store import program_store
from pos.store.models import Member, MemberBalance as TillBalance, OutboxEvent, PointsEntry
from sync import engine
from sync.protocol import Event, PushRequest
from sync.server.models import MemberBalance, Sale as HQSale, SyncException

from .conftest import TOWEL, make_till, phone


def settle(db):
    got = engine.sync_once(db)
    assert got["ok"] and got["pushed"]["rejected"] == 0, got["pushed"]["rejected_events"]
    return got


def svip_member(db) -> str:
    """A member made SVIP at the till (SPEC §4: SVIP pays 95 %, earns × 2), known at HQ. The
    till prices with the shipped preset, which HQ holds (HQ's active program may be another
    test's, brought down by the first sync)."""
    settle(db)
    program_store.install(db, pos_program.preset("vancl"), source="test")
    m = members.register(db, phone())
    program = program_store.active(db)
    with db.transaction() as s:
        tiers.change_tier(s, db, s.get(Member, uuid.UUID(m.id)), "svip", "manual", 0, program.tiers, db.clock.now())
    settle(db)
    return m.id


def sell(db, member_id: str | None, qty: int, coupon: str | None = None):
    co = Checkout(db)
    co.add(TOWEL, qty)
    if member_id:
        co.attach_member_id(member_id)
    if coupon:
        co.add_coupon(coupon)
    return co.pay([Tender("cash", co.quote().net_fen)])


def hq_sale(hq, sale_id: str) -> HQSale:
    with hq.db.read() as s:
        sale = s.get(HQSale, uuid.UUID(sale_id))
        s.expunge(sale)
        return sale


def exceptions_of(hq, sale_id: str) -> list[dict]:
    """`hq exceptions --json`, the rows about this sale."""
    rows = json.loads(hq.cli("exceptions", "--json").stdout)
    return [r for r in rows if (r["detail"] or {}).get("sale") == sale_id]


def hq_points(hq, member_id: str) -> tuple[int, int]:
    """(Σ entries, balance cache) of a member at HQ."""
    mid = uuid.UUID(member_id)
    with hq.db.read() as s:
        total = s.scalar(select(func.coalesce(func.sum(PointsEntry.points), 0)).where(PointsEntry.member_id == mid))
        return int(total), s.get(MemberBalance, mid).points


def till_points(db, member_id: str) -> int:
    with db.read() as s:
        assert ledger.find_drift(s) == []
        return ledger.points_balance(s, uuid.UUID(member_id))


def tamper_sale_event(db, sale_id: str, change) -> None:
    """Rewrite the pending `sale.committed` of this sale in the till's outbox (what it will push)."""
    with db.transaction() as s:
        for ev in s.scalars(select(OutboxEvent).where(OutboxEvent.kind == "sale.committed",
                                                      OutboxEvent.status == "pending")):
            if ev.payload["sale"]["sale_id"] == sale_id:
                payload = json.loads(json.dumps(ev.payload))
                change(payload["sale"])
                ev.payload = payload
                return
    raise AssertionError("no pending sale event")


def test_a_correct_sale_is_accepted_with_no_exception(hq, tmp_path):
    db = make_till(tmp_path, hq, "RP1")
    mid = svip_member(db)
    r = sell(db, mid, 2)  # 100 yuan at regular price: SVIP pays 95 % and earns 95 × 2 × 2 = 380
    assert (r.totals["gross_fen"], r.totals["net_fen"], r.points["earned"]) == (10000, 9500, 380)
    with db.read() as s:
        ev = s.scalars(select(OutboxEvent).where(OutboxEvent.kind == "sale.committed")).all()[-1]
    pricing = ev.payload["sale"]["pricing"]  # the event carries what pricing needs
    assert pricing["member"]["tier"] == "svip" and pricing["items"][0]["category"] == "home"
    assert pricing["items"][0]["points_class"] == "regular" and pricing["tenders"] == [
        {"type": "cash", "amount_fen": 9500}]
    got = settle(db)
    assert got["pushed"]["exceptions"] == []
    sale = hq_sale(hq, r.sale_id)
    assert (sale.repriced, sale.hq_net_fen, sale.hq_points_earned) == ("equal", 9500, 380)
    assert exceptions_of(hq, r.sale_id) == []
    assert hq_points(hq, mid) == (380, 380) and till_points(db, mid) == 380


def test_points_altered_at_the_till_are_an_exception_and_not_minted(hq, tmp_path):
    """A tampered till: its earn entry and the pushed sale both say 10,380 points."""
    db = make_till(tmp_path, hq, "RP2")
    mid = svip_member(db)
    r = sell(db, mid, 2)
    extra = 10_000
    tamper_sale_event(db, r.sale_id, lambda d: d["points"].update(earned=d["points"]["earned"] + extra))
    with db.transaction() as s:
        s.execute(update(PointsEntry).where(PointsEntry.sale_id == uuid.UUID(r.sale_id), PointsEntry.kind == "earn")
                  .values(points=PointsEntry.points + extra))
        s.execute(update(TillBalance).where(TillBalance.member_id == uuid.UUID(mid))
                  .values(points=TillBalance.points + extra))
    assert till_points(db, mid) == 380 + extra
    got = settle(db)
    assert "reprice_mismatch" in got["pushed"]["exceptions"]
    flagged = exceptions_of(hq, r.sale_id)
    assert [x["kind"] for x in flagged] == ["reprice_mismatch"]
    assert flagged[0]["detail"]["differences"] == {"points.earned": {"till": 380 + extra, "hq": 380}}
    assert flagged[0]["member"]["id"] == mid
    sale = hq_sale(hq, r.sale_id)
    assert (sale.repriced, sale.hq_points_earned, sale.points_earned) == ("mismatch", 380, 380 + extra)
    # HQ keeps the till's rows (append-only) and takes the excess back with its own entry
    assert hq_points(hq, mid) == (380, 380)
    with hq.db.read() as s:
        adjust = s.scalars(select(PointsEntry).where(PointsEntry.sale_id == uuid.UUID(r.sale_id),
                                                     PointsEntry.kind == "adjust")).all()
    assert [(a.points, a.store_code) for a in adjust] == [(-extra, "HQ")]
    settle(db)  # the take-back comes down to the till; pushing the sale again changes nothing
    assert till_points(db, mid) == 380
    assert hq_points(hq, mid) == (380, 380)
    assert len(exceptions_of(hq, r.sale_id)) == 1


def test_points_altered_in_transit_are_an_exception_and_mint_nothing(hq, tmp_path):
    """The pushed JSON altered on the way: the sale claims 5,000 points more than it earned."""
    db = make_till(tmp_path, hq, "RP3")
    mid = svip_member(db)
    r = sell(db, mid, 2)
    engine.capture(db)
    events = sync_apply.pending_events(db, 500)
    sent = []
    for e in events:
        payload = json.loads(json.dumps(e.payload))
        if e.kind == "sale.committed":
            payload["sale"]["points"]["earned"] += 5000
        sent.append(Event(event_id=e.event_id, seq=e.seq, kind=e.kind, created_at=e.created_at,
                          test_clock=e.test_clock, payload=payload))
    client = engine.client_for(db)
    try:
        resp = client.push(PushRequest(store=db.store_code, events=sent))
    finally:
        client.close()
    by_kind = {e.kind: res for e, res in zip(events, resp.results)}
    assert by_kind["sale.committed"].status == "accepted"
    assert by_kind["sale.committed"].exceptions == ["reprice_mismatch"]
    assert hq_points(hq, mid) == (380, 380)  # the earn row says 380: nothing more was credited
    settle(db)  # the till's own copies are duplicates now
    assert hq_points(hq, mid) == (380, 380) and till_points(db, mid) == 380
    assert [x["kind"] for x in exceptions_of(hq, r.sale_id)] == ["reprice_mismatch"]


def test_a_total_altered_is_an_exception(hq, tmp_path):
    db = make_till(tmp_path, hq, "RP4")
    mid = svip_member(db)
    r = sell(db, mid, 2)
    tamper_sale_event(db, r.sale_id, lambda d: d["totals"].update(net_fen=100, discount_fen=9900))
    got = settle(db)
    assert got["pushed"]["exceptions"] == ["reprice_mismatch"]
    flagged = exceptions_of(hq, r.sale_id)
    assert flagged[0]["detail"]["differences"] == {"totals.net_fen": {"till": 100, "hq": 9500},
                                                   "totals.discount_fen": {"till": 9900, "hq": 500}}
    assert flagged[0]["detail"]["points_action"] == "no points taken back; review"
    sale = hq_sale(hq, r.sale_id)
    assert (sale.repriced, sale.net_fen, sale.hq_net_fen) == ("mismatch", 100, 9500)
    assert hq_points(hq, mid) == (380, 380)  # points were right: nothing taken back
    shown = hq.cli("exceptions").stdout  # the text listing names the kind
    assert "reprice_mismatch" in shown


def test_an_inflated_spend_does_not_keep_a_tier_at_hq(hq, tmp_path):
    """The tier review counts HQ's net amount of a sale it priced otherwise, not the till's claim."""
    from sync.server import reviews

    db = make_till(tmp_path, hq, "RP7")
    mid = svip_member(db)
    r = sell(db, mid, 2)  # 95 yuan: an SVIP spending under 1,000 yuan in the validity drops to member
    tamper_sale_event(db, r.sale_id, lambda d: d["totals"].update(net_fen=300_000, spend_fen=300_000))
    assert settle(db)["pushed"]["exceptions"] == ["reprice_mismatch"]
    day = dt.date.today() + dt.timedelta(days=400)  # past the validity
    got = reviews.run(hq.db, day, only=[uuid.UUID(mid)])
    assert got.changes == [{"member_code": got.changes[0]["member_code"], "from": "svip", "to": "member",
                            "spend_fen": 9500}]


def test_coupon_member_discount_and_promotion_reprice_equal(hq, tmp_path):
    """SVIP 95 %, 满300减30 and a 10-yuan voucher that stacks with promotions, on 350 yuan."""
    db = make_till(tmp_path, hq, "RP5")
    mid = svip_member(db)
    doc = pos_program.to_json(program_store.active(db))
    doc["version"] = f"rp-{uuid.uuid4().hex[:8]}"
    for t in doc["coupon_templates"]:
        if t["code"] == "welcome-10":
            t["with_promotions"] = True
    path = tmp_path / "program.json"
    path.write_text(json.dumps(doc))
    from sync.server import admin

    admin.program_publish(hq.db, str(path), activate=False)  # HQ holds the version; the chain keeps its own
    program = pos_program.parse(doc)
    program_store.install(db, program, source="test")
    with db.transaction() as s:
        code = coupons.issue(s, db, program, "welcome-10", member_id=uuid.UUID(mid), source="test").code
    settle(db)
    r = sell(db, mid, 7, coupon=code)
    kinds = {d["kind"] for ln in r.lines for d in ln["discounts"]}
    assert {"tier", "promotion", "coupon"} <= kinds, r.lines
    assert r.coupons == [code] and r.program_version == doc["version"]
    # 35,000 − 1,750 (SVIP 95 %) − 3,000 (满300减30) − 1,000 (voucher) = 29,250
    assert r.totals["net_fen"] == 29250
    got = settle(db)
    assert got["pushed"]["exceptions"] == []
    sale = hq_sale(hq, r.sale_id)
    assert (sale.repriced, sale.hq_net_fen, sale.hq_points_earned) == ("equal", 29250, r.points["earned"])
    assert exceptions_of(hq, r.sale_id) == []


def test_a_version_hq_does_not_hold_or_an_old_event_is_kept_and_flagged(hq, tmp_path):
    db = make_till(tmp_path, hq, "RP6")
    mid = svip_member(db)
    doc = pos_program.to_json(program_store.active(db))
    doc["version"] = f"local-{uuid.uuid4().hex[:8]}"  # installed at this till only
    program_store.install(db, pos_program.parse(doc), source="test")
    r1 = sell(db, mid, 1)
    r2 = sell(db, mid, 1)
    tamper_sale_event(db, r2.sale_id, lambda d: (d.pop("pricing"), d.update(program_version="vancl-2026.1")))
    got = settle(db)
    assert got["pushed"]["exceptions"] == ["not_repriced", "not_repriced"]
    (x1,), (x2,) = exceptions_of(hq, r1.sale_id), exceptions_of(hq, r2.sale_id)
    assert x1["kind"] == "not_repriced" and "is not held at HQ" in x1["detail"]["reason"]
    assert x2["kind"] == "not_repriced" and "older than HQ re-pricing" in x2["detail"]["reason"]
    for r in (r1, r2):  # sales are never lost
        sale = hq_sale(hq, r.sale_id)
        assert sale.repriced == "unpriced" and sale.net_fen == r.totals["net_fen"]
    with hq.db.read() as s:
        assert s.scalar(select(func.count()).select_from(SyncException).where(
            SyncException.kind == "rejected_event", SyncException.store_code == db.store_code)) == 0
    assert hq_points(hq, mid) == (till_points(db, mid),) * 2


def test_the_till_event_reads_back_to_the_same_price_request(tmp_path):
    """The pricing block is the very request the till priced (no HQ needed)."""
    from pos.services import catalog, sale_event
    from pos.store.database import open_db

    db = open_db(tmp_path / "t.sqlite3")
    program = program_store.ensure_default(db)
    csv = tmp_path / "c.csv"
    csv.write_text("barcode,name,category,price_fen,kind\n6901234567892,Towel,home,5000,regular\n")
    assert catalog.import_csv(db, csv).ok
    m = members.register(db, phone(), birthday="1990-05-01")
    with db.transaction() as s:
        code = coupons.issue(s, db, program, "welcome-10", member_id=uuid.UUID(m.id), source="test").code
    co = Checkout(db)
    co.add(TOWEL, 3)
    co.attach_member_id(m.id)
    co.add_coupon(code)
    co.add_coupon("CPNOSUCHCODE0")
    co.set_line_discount(0, 10)
    with db.read() as s:
        req = co._request(s, (Tender("cash", 20000),))
    back = sale_event.request_from(json.loads(json.dumps(sale_event.request_dict(req))))
    assert back == req
    db.close()
