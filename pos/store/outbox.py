"""Events for HQ, written inside the transaction of the change they describe."""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from pos.ids import uuid7
from pos.store.models import AuditEntry, OutboxEvent


def emit(s: Session, db, kind: str, payload: dict[str, Any]) -> uuid.UUID:
    """Write an event in the session's transaction; returns its id. A sale's event
    (`sale_record.SALE_EVENT_KINDS`) is written at once, one DB-API statement with the
    ORM's conversions (pos.store.bulk; every sale's commit writes one), after the session
    is flushed — so events emitted before it come before it; other events go with the
    session's next flush, batched (a daily job may emit thousands)."""
    # a sale's event carries its rows as written, so a till restored from a backup can get it back
    # from HQ exactly (pos.store.sale_record)
    from pos.store import bulk, sale_record

    event_id = uuid7()
    row = dict(event_id=event_id, kind=kind, created_at=db.clock.now(), test_clock=db.test_clock)
    if kind not in sale_record.SALE_EVENT_KINDS:
        s.add(OutboxEvent(**row, payload={"store": db.store_code, **payload}))
        return event_id
    payload = sale_record.attach(s, kind, payload)  # the session flushed, the sale's rows read back
    s.flush()
    bulk.write_rows(s.connection(), OutboxEvent.__table__, [{**row, "payload": {"store": db.store_code, **payload}}])
    return event_id


def audit(s: Session, db, actor: str, action: str, target: str | None = None, **details: Any) -> None:
    s.add(AuditEntry(
        id=uuid7(), at=db.clock.now(), actor=actor, action=action, target=target,
        details=details or None, test_clock=db.test_clock,
    ))
