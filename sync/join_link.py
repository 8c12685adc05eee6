"""The store's join link on the till (issue 16 item 2): the signed URL HQ prints as the
store's join QR (`hq store qr`), fetched from HQ (`GET /v1/store/join-link`, the till's
credential) and kept in the store's settings (`store.join_link`), so the customer screen
shows it as a QR while the till is idle, offline too. No Qt here.

    refresh(db, client)      # at enrolment and in every sync round: asks HQ when due
    current(db)              # the link to show now (None: never fetched, or expired)

The signing key stays at HQ: the till only keeps the link. HQ's link is valid 400 days
(`member_self.STORE_LINK_DAYS`); the till asks again every `REFRESH_S` (a renamed store
or a new public address reaches the screen within hours) and, without fail, once the link
has fewer than `RENEW_DAYS` left. A link past its expiry is never shown.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from pos.store import settings as store_settings

log = logging.getLogger("memberpos.sync")

REFRESH_S = 6 * 3600
RENEW_DAYS = 30


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _when(text: str | None) -> dt.datetime | None:
    try:
        v = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return v if v.tzinfo else v.replace(tzinfo=dt.timezone.utc)


def stored(db) -> dict[str, str] | None:
    """The link as kept, read from the file (another process may have refreshed it)."""
    with db.read() as s:
        return store_settings.JOIN_LINK.read(s)


def current(db, now: dt.datetime | None = None) -> str | None:
    """The join link to show now: None when the till never had one or it has expired."""
    got = stored(db)
    if not got:
        return None
    exp = _when(got.get("expires_at"))
    return got["url"] if exp is not None and (now or _now()) < exp else None


def due(db, now: dt.datetime | None = None) -> bool:
    now = now or _now()
    got = stored(db)
    if not got:
        return True
    fetched, exp = _when(got.get("fetched_at")), _when(got.get("expires_at"))
    if fetched is None or exp is None:
        return True
    return (now - fetched).total_seconds() >= REFRESH_S or exp - now < dt.timedelta(days=RENEW_DAYS)


def refresh(db, client, *, force: bool = False, now: dt.datetime | None = None) -> dict[str, Any]:
    """Ask HQ for the store's join link when due (or `force`) and keep it.

    {"join_link": "kept"} (not due), "updated" / "same" (asked), "unsupported" (an HQ
    without the endpoint: the till keeps what it has). HQUnavailable / HQError propagate."""
    from .client import HQError, HQUnavailable

    now = now or _now()
    if not force and not due(db, now):
        return {"join_link": "kept"}
    try:
        got = client._request("GET", "/v1/store/join-link", idempotent=True, retries=1)
    except HQError as exc:
        if exc.status == 404 and exc.error != "store.unknown":
            return {"join_link": "unsupported"}
        raise
    url, exp = got.get("url"), _when(got.get("expires_at"))
    if not isinstance(url, str) or not url.startswith(("http://", "https://")) or "/m/join/" not in url or exp is None:
        raise HQUnavailable(f"HQ at {client.base} sent a join link this till cannot read")
    before = stored(db)
    value = {"url": url, "expires_at": exp.isoformat(timespec="seconds"), "fetched_at": now.isoformat(timespec="seconds")}
    store_settings.JOIN_LINK.set(db, value)
    return {"join_link": "same" if before and before.get("url") == url else "updated", "expires_at": value["expires_at"]}


def refresh_quietly(db, client, **kw) -> dict[str, Any]:
    """`refresh` inside a sync round: a join link HQ cannot give now never fails the round
    (the sales matter more; the next round asks again)."""
    from .client import HQError, HQUnavailable

    try:
        return refresh(db, client, **kw)
    except (HQError, HQUnavailable) as exc:
        log.info("join link not refreshed: %s", str(exc)[:200])
        return {"join_link": "not refreshed"}
