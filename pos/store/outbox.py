"""Events for HQ, written inside the transaction of the change they describe."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from pos.ids import uuid7
from pos.store.models import AuditEntry, OutboxEvent


def emit(s: Session, db, kind: str, payload: dict[str, Any]) -> OutboxEvent:
    # a sale's event carries its rows as written, so a till restored from a backup can get it back
    # from HQ exactly (pos.store.sale_record)
    from pos.store import sale_record

    payload = sale_record.attach(s, kind, payload)
    event = OutboxEvent(
        event_id=uuid7(), kind=kind, created_at=db.clock.now(), test_clock=db.test_clock,
        payload={"store": db.store_code, **payload},
    )
    s.add(event)
    return event


def audit(s: Session, db, actor: str, action: str, target: str | None = None, **details: Any) -> None:
    s.add(AuditEntry(
        id=uuid7(), at=db.clock.now(), actor=actor, action=action, target=target,
        details=details or None, test_clock=db.test_clock,
    ))
