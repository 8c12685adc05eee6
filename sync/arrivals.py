"""The till's side of arrival check-in (issue 16 item 4): today's arrivals at this store,
from HQ's small feed `GET /v1/arrivals?since=N` (sync.server.checkins), polled every few
seconds while HQ answers — the background sync runs every 30 s, too slow to greet someone
at the door. No Qt here: `app/arrivals.py` polls it off the GUI thread and shows it.

    feed = ArrivalFeed(db)
    new = feed.poll()          # the arrivals not seen before (HQUnavailable / HQError when HQ is not there)
    feed.today()               # every arrival of today, newest first
    feed.view(arrival, program, lang)   # the member view (pos.services.member_view) or None if not pulled yet

An arrival whose member this till has not pulled yet (joined a minute ago) is shown with
what HQ sent (masked name, tier) and `local = False`; the app starts a sync round at once.
"""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any

from pos.errors import DomainError
from pos.store import settings as store_settings

POLL_S = 3.0
TIMEOUT = (1.5, 2.5)


@dataclass
class Arrival:
    id: str
    seq: int
    at: dt.datetime
    member_id: str
    member_code: str
    name: str | None
    phone_masked: str | None
    tier: str
    tags: list[str] = field(default_factory=list)
    points: int = 0
    via: str = "qr"
    local: bool = False  # the member is in this till's store (the view can be read)
    attached: bool = False  # a cashier put them on a sale (the panel ticks them)

    @classmethod
    def of(cls, d: dict[str, Any]) -> "Arrival":
        return cls(id=str(d["id"]), seq=int(d["seq"]), at=dt.datetime.fromisoformat(str(d["at"])),
                   member_id=str(d["member_id"]), member_code=str(d["member_code"]), name=d.get("name"),
                   phone_masked=d.get("phone_masked"), tier=str(d.get("tier") or ""),
                   tags=[str(x) for x in d.get("tags") or []], points=int(d.get("points") or 0),
                   via=str(d.get("via") or "qr"))


class ArrivalFeed:
    def __init__(self, db, client=None):
        self.db = db
        self._client = client
        self.cursor = 0
        self._day: dt.date | None = None
        self._seen: dict[str, Arrival] = {}
        self._lock = threading.Lock()

    def _http(self):
        if self._client is None:
            from .engine import client_for

            self._client = client_for(self.db, retries=0, timeout=TIMEOUT)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def poll(self) -> list[Arrival]:
        """One look at HQ's feed; the arrivals new to this till (oldest first)."""
        if not store_settings.enrolled(self.db):
            return []
        today = self.db.clock.today()
        with self._lock:
            if self._day != today:  # a new business day starts an empty list
                self._day, self._seen, self.cursor = today, {}, 0
            since = self.cursor
        try:
            got = self._http()._request("GET", "/v1/arrivals", params={"since": since}, idempotent=True,
                                        timeout=TIMEOUT, retries=0)
        except Exception:
            self.close()  # the next look builds it again (a new enrolment: another URL or token)
            raise
        new = []
        with self._lock:
            for d in got.get("arrivals") or []:
                a = Arrival.of(d)
                if a.id in self._seen:
                    continue
                a.local = self._known(a.member_id)
                self._seen[a.id] = a
                new.append(a)
            self.cursor = max(self.cursor, int(got.get("cursor") or 0))
        return new

    def _known(self, member_id: str) -> bool:
        from pos.services import members

        try:
            with self.db.read() as s:
                members.get_active(s, member_id)
            return True
        except (DomainError, ValueError):
            return False

    def refresh_local(self) -> list[Arrival]:
        """After a pull: the arrivals whose member has arrived in the store since."""
        with self._lock:
            waiting = [a for a in self._seen.values() if not a.local]
        found = [a for a in waiting if self._known(a.member_id)]
        for a in found:
            a.local = True
        return found

    def mark_attached(self, member_id: str) -> None:
        with self._lock:
            for a in self._seen.values():
                if a.member_id == member_id:
                    a.attached = True

    def today(self) -> list[Arrival]:
        with self._lock:
            return sorted(self._seen.values(), key=lambda a: a.seq, reverse=True)

    def view(self, arrival: Arrival, program, lang: str = "zh_CN"):
        """The member panel of the arrival (tier, tags, notes, suggestions with reasons), or None."""
        from pos.services import member_view

        if not arrival.local and not self._known(arrival.member_id):
            return None
        arrival.local = True
        try:
            return member_view.panel(self.db, program, arrival.member_id, lang=lang)
        except DomainError:
            return None
