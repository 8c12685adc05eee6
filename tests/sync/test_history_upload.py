"""Imported history reaches HQ as a compact bulk upload (issue 15 §2): a few
`history.imported` events of many sales each, kept at HQ as recorded (not re-priced),
the points lots once (as ledger rows), nothing doubled on a re-push."""
from __future__ import annotations

import json
import random
import uuid

from sqlalchemy import func, select

from pos.services import history_import, members
from pos.store.models import OutboxEvent, PointsEntry as TillEntry, Sale as TillSale
from sync import engine
from sync.client import HQClient
from sync.engine import _event
from sync.protocol import PushRequest
from sync.server.models import IngestedEvent, PointsEntry, Sale

from .conftest import SOAP, TOWEL, make_till, phone


def _history(path, phones: list[str], lines: int = 2000) -> None:
    rng = random.Random(15)
    rows, n, r = [], 0, 0
    while n < lines:
        r += 1
        who = rng.choice(phones + [""])
        day = f"2025-{1 + r % 12:02d}-{1 + r % 28:02d} 1{r % 10}:00"
        k = min(rng.choice((1, 2, 3)), lines - n)
        for i in range(k):
            code = (TOWEL, SOAP, f"OLD-{r % 7}")[i % 3]
            rows.append(f"H{r},{day},{who},{code},{1 + i},{(1 + i) * 1500 + r % 100},{(1 + i) * 15 if who else ''},")
        n += k
    # one return of the first sale with a member
    first = next(x for x in rows if x.split(",")[2])
    f = first.split(",")
    rows.append(f"RET1,2025-12-30 10:00,{f[2]},{f[3]},{f[4]},{f[5]},{f[6]},{f[0]}")
    path.write_text("receipt_no,sold_at,member,barcode,qty,amount_fen,points_earned,returned_of\n"
                    + "\n".join(rows) + "\n", encoding="utf-8")


def test_history_goes_up_in_a_few_events(hq, tmp_path):
    till = make_till(tmp_path, hq, "HIS")
    try:
        phones = [phone() for _ in range(20)]
        ids = [uuid.UUID(members.register(till, p).id) for p in phones]
        path = tmp_path / "history.csv"
        _history(path, phones)
        r = history_import.import_csv(till, path, points="recorded")
        assert r.ok and r.lines == 2001 and 1 <= r.upload_events <= 10, (r.errors[:3], r.upload_events)
        with till.read() as s:
            kinds = dict(s.execute(select(OutboxEvent.kind, func.count()).group_by(OutboxEvent.kind)).all())
        assert kinds["history.imported"] == r.upload_events
        print("history upload:", r.sales + r.returns, "sales,", r.lines, "lines in", r.upload_events, "events")
        got = engine.sync_once(till)
        assert got["pushed"]["rejected"] == 0, got["pushed"]["rejected_events"]
        with till.read() as s:
            assert s.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.status != "sent")) == 0
            mine = s.execute(select(TillSale.kind, func.count(), func.sum(TillSale.net_fen), func.sum(TillSale.points_earned))
                             .where(TillSale.imported.is_(True)).group_by(TillSale.kind).order_by(TillSale.kind)).all()
            till_points = s.scalar(select(func.sum(TillEntry.points)).where(  # this store's: the pull brings others'
                TillEntry.sale_id.is_not(None), TillEntry.store_code == till.store_code))
        store = till.store_code

        def at_hq():
            with hq.db.read() as s:
                sales = s.execute(select(Sale.kind, func.count(), func.sum(Sale.net_fen), func.sum(Sale.points_earned))
                                  .where(Sale.store_code == store).group_by(Sale.kind).order_by(Sale.kind)).all()
                repriced = set(s.scalars(select(Sale.repriced).where(Sale.store_code == store)))
                pts = s.scalar(select(func.sum(PointsEntry.points)).where(
                    PointsEntry.store_code == store, PointsEntry.sale_id.is_not(None)))
                hq_adjust = s.scalar(select(func.count()).select_from(PointsEntry).where(  # of these members:
                    PointsEntry.store_code == "HQ", PointsEntry.kind == "adjust",  # the session's HQ is shared
                    PointsEntry.member_id.in_(ids)))
                events = s.scalar(select(func.count()).select_from(IngestedEvent).where(
                    IngestedEvent.store_code == store, IngestedEvent.kind == "history.imported"))
            return [tuple(x) for x in sales], repriced, pts, hq_adjust, events

        sales, repriced, pts, adjusts, events = at_hq()
        assert sales == [tuple(x) for x in mine] and {k for k, *_ in sales} == {"return", "sale"}
        assert repriced == {"imported"} and pts == till_points and adjusts == 0
        assert events == r.upload_events
        # the same events pushed again (a lost answer): duplicates, nothing doubled
        with till.read() as s:
            evs = s.scalars(select(OutboxEvent).where(OutboxEvent.kind.in_(("history.imported", "ledger.entries")))
                            .order_by(OutboxEvent.seq)).all()
        from pos.store import settings

        client = HQClient(settings.HQ_URL.get(till), settings.HQ_TOKEN.get(till))
        try:
            resp = client.push(PushRequest(store=store, events=[_event(e) for e in evs]))
        finally:
            client.close()
        assert {x.status for x in resp.results} == {"duplicate"}
        # and the same sales in new events (the file imported at another till of the store): none doubled
        payload = json.loads(json.dumps(evs[0].payload))
        import uuid as _uuid
        import datetime as _dt

        from sync.protocol import Event

        client = HQClient(settings.HQ_URL.get(till), settings.HQ_TOKEN.get(till))
        try:
            resp = client.push(PushRequest(store=store, events=[Event(
                event_id=_uuid.uuid4(), seq=10 ** 9, kind="history.imported", created_at=_dt.datetime.now(_dt.timezone.utc),
                test_clock=False, payload=payload)]))
        finally:
            client.close()
        assert resp.results[0].status == "accepted"
        assert at_hq()[:4] == (sales, repriced, pts, adjusts)
        # a history re-imported at the till is skipped: no new upload
        again = history_import.import_csv(till, path, points="recorded")
        assert again.ok and again.upload_events == 0 and again.sales == 0
    finally:
        till.close()
