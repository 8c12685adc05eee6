"""Push and pull for one till: what `python main.py sync --once` (and the app's
background sync) runs.

Push: local ledger rows are captured into the outbox, then pending events go
up in batches, oldest first; each answer is recorded — the event marked sent
(accepted / duplicate) or rejected, with HQ's answer — in ONE local
transaction per batch. A batch whose answer never arrives stays pending and is
sent again: HQ answers `duplicate` for what it already has. Rejected events
stay in the outbox, shown by `sync --once --json` and `sync status`, never
dropped and never re-sent on their own.

Pull: pages of changes after the stored cursor, each applied together with its
cursor in one local transaction (`pos.services.sync_apply.apply_page`). A new
till (no cursor) first loads HQ's bootstrap snapshot and its cursor in one
transaction, then pulls pages from there (`sync/bootstrap.py`).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from pos.services import phone_privacy, sync_apply
from pos.store import settings
from pos.store.models import OutboxEvent

from . import join_link
from .client import HQClient
from .protocol import MAX_BATCH, Event, PushRequest

URL_KEY, TOKEN_KEY = settings.HQ_URL.name, settings.HQ_TOKEN.name
PUSH_BATCH = 200
PULL_PAGE = 2000


class NotEnrolled(Exception):
    pass


def client_for(db, **kw) -> HQClient:
    if not settings.enrolled(db):
        raise NotEnrolled("this till is not enrolled with HQ: run `python main.py enrol --hq URL --code CODE`")
    return HQClient(settings.HQ_URL.get(db), settings.HQ_TOKEN.get(db), **kw)


def _event(ev: OutboxEvent) -> Event:
    return Event(event_id=ev.event_id, seq=ev.seq, kind=ev.kind, created_at=ev.created_at, test_clock=ev.test_clock,
                 payload=ev.payload)


def capture(db) -> int:
    with db.transaction() as s:
        return sync_apply.capture_ledger(s, db)


def push(db, client: HQClient, batch: int = PUSH_BATCH) -> dict[str, Any]:
    batch = max(1, min(batch, MAX_BATCH))
    out: dict[str, Any] = {"events": 0, "accepted": 0, "duplicate": 0, "rejected": 0, "batches": 0,
                           "captured_ledger_rows": capture(db), "rejected_events": [], "exceptions": []}
    while True:
        events = sync_apply.pending_events(db, batch)
        if not events:
            break
        foreign = [e for e in events if (e.payload or {}).get("store") != db.store_code]
        if foreign:  # recorded under another store code before enrolment: HQ would refuse the batch (403)
            reason = f"recorded as another store than {db.store_code} (before enrolment)"
            sync_apply.record_acks(db, [{"event_id": str(e.event_id), "status": "rejected", "reason": reason}
                                        for e in foreign], "local")
            out["rejected"] += len(foreign)
            out["rejected_events"] += [{"event_id": str(e.event_id), "kind": e.kind, "reason": reason} for e in foreign]
            continue
        req = PushRequest(store=db.store_code, events=[_event(e) for e in events])
        resp = client.push(req)
        results = [r.model_dump(mode="json") for r in resp.results]
        counts = sync_apply.record_acks(db, results, resp.hq_time.isoformat())
        out["batches"] += 1
        out["events"] += len(events)
        for k, v in counts.items():
            out[k] += v
        kinds = {e.event_id: e.kind for e in events}
        acked = [r.event_id for r in resp.results
                 if r.status in ("accepted", "duplicate") and kinds.get(r.event_id) == "member.registered"]
        if acked:  # HQ has these numbers now: none kept here (pos.services.phone_privacy)
            phone_privacy.after_push(db, acked)
        for r in resp.results:
            if r.status == "rejected":
                out["rejected_events"].append({"event_id": str(r.event_id), "kind": kinds.get(r.event_id),
                                               "reason": r.reason})
            out["exceptions"] += r.exceptions
        if sum(counts.values()) == 0:  # nothing moved (answers for other events?): do not spin
            break
    return out


def pull(db, client: HQClient, page: int = PULL_PAGE, max_pages: int | None = None,
         snapshot_min: int | None = None) -> dict[str, Any]:
    """Pages after the stored cursor. A till with no cursor yet first loads HQ's bootstrap
    snapshot when HQ's change log has at least `snapshot_min` rows (default
    `sync.bootstrap.MIN_CHANGES`; sync/bootstrap.py) and goes on from its cursor."""
    from . import bootstrap

    out: dict[str, Any] = {"pages": 0, "changes": 0, "applied": {}, "programs": [], "cursor": None}
    pages = 0
    with db.read() as s:  # restored from a backup: this store's own rows come down too (pos.store.backup)
        own = settings.RESYNC_OWN.read(s)
        first = settings.SYNC_CURSOR.read(s) is None
    if first and not own:
        got = bootstrap.bootstrap(db, client, bootstrap.MIN_CHANGES if snapshot_min is None else snapshot_min)
        if got is not None:
            out["snapshot"] = got
            out["programs"] += got["programs"]
    while True:
        with db.read() as s:  # the stored cursor (another process may have pulled meanwhile)
            cursor = settings.SYNC_CURSOR.read(s)
        resp = client.pull(cursor, page, own=own) if own else client.pull(cursor, page)
        changes = resp.changes  # checked dicts
        if changes or resp.cursor != cursor:
            summary = sync_apply.apply_page(db, changes, resp.cursor)
            for k, v in summary.items():
                if k == "programs":
                    out["programs"] += v
                elif isinstance(v, int):
                    out["applied"][k] = out["applied"].get(k, 0) + v
        out["pages"] += 1
        out["changes"] += len(changes)
        out["cursor"] = resp.cursor
        pages += 1
        if not resp.more or (max_pages is not None and pages >= max_pages):
            break
    if own and not resp.more:
        settings.RESYNC_OWN.set(db, False)
        out["resynced_own"] = True
    return out


def sync_once(db, client: HQClient | None = None) -> dict[str, Any]:
    """Push, pull, push again (what the pull captured). Raises HQUnavailable / HQError."""
    own = client is None
    client = client or client_for(db)
    try:
        started = dt.datetime.now(dt.timezone.utc)
        phones = fetch_phone_key(db, client)
        link = join_link.refresh_quietly(db, client)  # the customer screen's join QR (when due)
        pushed = push(db, client)
        phones.update(phone_privacy.after_push(db))  # numbers of members HQ had before this till hashed them
        pulled = pull(db, client)
        again = push(db, client)
        for k in ("events", "accepted", "duplicate", "rejected", "captured_ledger_rows", "batches"):
            pushed[k] += again[k]
        pushed["rejected_events"] += again["rejected_events"]
        pushed["exceptions"] += again["exceptions"]
        settings.LAST_SYNC_AT.set(db, started.isoformat())
        return {"ok": True, "store": db.store_code, "hq": settings.HQ_URL.get(db), "pushed": pushed,
                "pulled": pulled, "phones": phones, "join_link": link["join_link"], "status": status(db)}
    finally:
        if own:
            client.close()


def fetch_phone_key(db, client: HQClient) -> dict[str, Any]:
    """The chain's phone key and unmask policy from HQ (every sync: a lost key file comes
    back, a changed policy applies). An HQ without the endpoint leaves the till as it is."""
    from .client import HQError

    try:
        got = client.phone_policy()
    except HQError as exc:
        if exc.status == 404:
            return {"hashed": 0}
        raise
    key = bytes.fromhex(got["key"])
    if phone_privacy.chain_key(db) == key and phone_privacy.offline_unmask(db) == got["offline_unmask"]:
        return {"hashed": 0}
    return {"hashed": phone_privacy.install_key(db, key, got["offline_unmask"])["hashed"]}


def enrol(db, hq_url: str, code: str, device: str = "") -> dict[str, Any]:
    """Trade a one-time code for this till's credential, kept in the settings table.
    The till takes HQ's store code; its change cursor starts over for a new store."""
    from .client import HQClient

    client = HQClient(hq_url)
    try:
        got = client.enrol(code, device=device)
    finally:
        client.close()
    url = hq_url.rstrip("/")
    previous = db.store_code
    with db.transaction() as s:
        for opt, value in ((settings.HQ_URL, url), (settings.HQ_TOKEN, got.token), (settings.STORE_CODE, got.store_code),
                           (settings.STORE_NAME, got.store_name)):
            opt.put(s, value, db)
        if previous != got.store_code:
            settings.SYNC_CURSOR.forget(s, db)
        sync_apply.start_watermark(s)
    client = HQClient(url, got.token)
    try:  # the chain's phone key: members are hashed now, their numbers go after the first push
        fetch_phone_key(db, client)
    except Exception as exc:  # enrolled all the same; the next sync fetches it
        import logging

        logging.getLogger("memberpos.sync").warning("phone key not fetched at enrolment: %s", type(exc).__name__)
    try:
        join_link.refresh_quietly(db, client, force=True)  # the store's join QR, for the customer screen
    finally:
        client.close()
    return {"ok": True, "store": got.store_code, "store_name": got.store_name, "hq": url}


def status(db) -> dict[str, Any]:
    with db.read() as s:
        counts = dict(s.execute(select(OutboxEvent.status, func.count()).group_by(OutboxEvent.status)).all())
        rejected = s.scalars(select(OutboxEvent).where(OutboxEvent.status == "rejected").order_by(OutboxEvent.seq)).all()
        return {
            "enrolled": settings.enrolled(db), "store": db.store_code, "hq": settings.HQ_URL.get(db),
            "pending": counts.get("pending", 0), "sent": counts.get("sent", 0), "rejected": counts.get("rejected", 0),
            "rejected_events": [{"seq": e.seq, "event_id": str(e.event_id), "kind": e.kind,
                                 "reason": (e.result or {}).get("reason")} for e in rejected],
            "cursor": settings.SYNC_CURSOR.get(db), "last_sync_at": settings.LAST_SYNC_AT.get(db),
        }
