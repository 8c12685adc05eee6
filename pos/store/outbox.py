"""Events for HQ, written inside the transaction of the change they describe."""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from pos.ids import uuid7
from pos.store.models import AuditEntry, OutboxEvent


def emit(s: Session, db, kind: str, payload: dict[str, Any]) -> uuid.UUID:
    """Write the event now, in the session's transaction (events keep the order they were
    emitted in: every one is written here, at once); returns its id. One DB-API statement
    with the ORM's conversions (pos.store.bulk): a sale's commit writes one every time."""
    # a sale's event carries its rows as written, so a till restored from a backup can get it back
    # from HQ exactly (pos.store.sale_record)
    from pos.store import bulk, sale_record

    payload = sale_record.attach(s, kind, payload)  # a sale's: the session flushed, its rows read back
    event_id = uuid7()
    bulk.write_rows(s.connection(), OutboxEvent.__table__, [dict(
        event_id=event_id, kind=kind, created_at=db.clock.now(), test_clock=db.test_clock,
        payload={"store": db.store_code, **payload})])
    return event_id


def audit(s: Session, db, actor: str, action: str, target: str | None = None, **details: Any) -> None:
    s.add(AuditEntry(
        id=uuid7(), at=db.clock.now(), actor=actor, action=action, target=target,
        details=details or None, test_clock=db.test_clock,
    ))
