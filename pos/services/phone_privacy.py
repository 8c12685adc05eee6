"""What a till keeps of a member's phone number (issue 12 item 7).

A standalone till is the only copy of its members: it keeps the full number
(E.164) as well as the masked form and the last 4 digits.

A till enrolled with HQ keeps no full numbers: HQ hands it the chain's key
(`install_key`, at enrolment and whenever its key file is missing) and from
then on every member row holds `phone_hash` (HMAC-SHA256, pos.rules.phones.digest),
`phone_last4` and `phone_masked` — what identification and the screens need.
A number typed at the till is hashed and looked up (one indexed query). Its
own members' full numbers go up to HQ once, in their `member.registered`
events; `after_push` then removes them: from the outbox payloads HQ has
acknowledged and from the member rows whose registration HQ has (a row whose
registration is still pending or was rejected keeps its number — HQ does not
have it yet). Unmasking asks HQ, which audits it (`unmask`); offline it is
refused with a clear "needs HQ" message.

A chain may choose offline unmasking (`hq phones --offline-unmask on`): HQ then
sends the full numbers down with the hash, the till keeps them and unmasks
locally (audited locally, as on a standalone till).

Deleted bytes must not linger in the file either: connections run with
`PRAGMA secure_delete` (pos.store.database), and after numbers are cleared the WAL is
checkpointed and, once, a file with free pages from before is vacuumed.
"""
from __future__ import annotations

import json
import logging
import uuid
from typing import Any, Callable, Protocol

from sqlalchemy import text

from pos.rules import phones
from pos.errors import DomainError
from pos.services import hq_port
from pos.store import settings

log = logging.getLogger("memberpos.phones")

KEY_ID, KEY_CHECK, OFFLINE_UNMASK = settings.PHONE_KEY_ID.name, settings.PHONE_KEY_CHECK.name, settings.PHONE_OFFLINE_UNMASK.name
_keys: dict[str, bytes] = {}


def hashed(db) -> bool:
    """This till keeps hashes, not numbers (it has been given the chain's key)."""
    return bool(settings.PHONE_KEY_ID.get(db))


def offline_unmask(db) -> bool:
    return bool(settings.PHONE_OFFLINE_UNMASK.get(db))


def chain_key(db) -> bytes | None:
    kid = settings.PHONE_KEY_ID.get(db)
    if not kid:
        return None
    if kid not in _keys:
        key = phones.read_key(kid, settings.PHONE_KEY_CHECK.get(db))
        if key is None:
            return None
        _keys[kid] = key
    return _keys[kid]


def _need_key(db) -> bytes:
    key = chain_key(db)
    if key is None:
        raise DomainError("phone.key_missing")
    return key


def stored(db, e164: str) -> dict[str, Any]:
    """The member columns for a phone number on this till."""
    out = {"phone_last4": phones.last4(e164), "phone_masked": phones.mask(e164), "phone_hash": None, "phone": e164}
    if hashed(db):
        out["phone_hash"] = phones.digest(_need_key(db), e164)
        if not offline_unmask(db):
            out["phone"] = None
    return out


def lookup(db, e164: str) -> tuple[str, str]:
    """(column, value) to find the member holding a number: the hash when enrolled."""
    if hashed(db):
        return "phone_hash", phones.digest(_need_key(db), e164)
    return "phone", e164


def install_key(db, key: bytes, offline: bool = False) -> dict[str, Any]:
    """HQ's chain key for this till: its own file (pos.rules.phones.key_dir), its id and check
    value in the settings; every member that has a number gets its hash now (the
    numbers themselves go after the first push that HQ acknowledges)."""
    kid = settings.PHONE_KEY_ID.get(db)
    if not (kid and phones.read_key(kid, settings.PHONE_KEY_CHECK.get(db)) == key):
        kid = phones.new_key_id()
        phones.write_key(kid, key)
    check = phones.key_check(key)
    hashed_rows = 0
    with db.transaction() as s:
        conn = s.connection()
        rows = conn.exec_driver_sql("SELECT id, phone FROM members WHERE phone IS NOT NULL").all()
        recs = [(phones.digest(key, p), phones.mask(p), phones.last4(p), i) for i, p in rows]
        if recs:
            conn.exec_driver_sql("UPDATE members SET phone_hash = NULL WHERE phone IS NOT NULL")  # a new key
            conn.exec_driver_sql("UPDATE members SET phone_hash = ?, phone_masked = ?, phone_last4 = ? WHERE id = ?",
                                 recs)
        hashed_rows = len(recs)
        for opt, v in ((settings.PHONE_KEY_ID, kid), (settings.PHONE_KEY_CHECK, check),
                       (settings.PHONE_OFFLINE_UNMASK, bool(offline))):
            opt.put(s, v, db)
    _keys[kid] = key
    return {"key_id": kid, "hashed": hashed_rows, "offline_unmask": bool(offline)}


def _dashed(h: str) -> str:
    return str(uuid.UUID(hex=h))


def after_push(db, acked: list | None = None) -> dict[str, int]:
    """Remove the full numbers HQ now has: from acknowledged outbox payloads (`acked`:
    the event ids HQ just acknowledged; every sent event the first time) and from member
    rows whose registration HQ acknowledged (unless the chain unmasks offline)."""
    if chain_key(db) is None:
        return {"scrubbed_events": 0, "cleared_members": 0}
    first = not settings.PHONE_SCRUBBED.get(db)
    with db.transaction() as s:
        conn = s.connection()
        q = ("SELECT seq, payload FROM outbox WHERE status = 'sent' AND kind = 'member.registered' "
             "AND json_extract(payload, '$.phone') IS NOT NULL")
        if first or acked is None:
            sent = conn.exec_driver_sql(q).all()
        else:
            sent = []
            ids = [uuid.UUID(str(e)).hex for e in acked]
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                sent += conn.exec_driver_sql(q + f" AND event_id IN ({','.join('?' * len(chunk))})", tuple(chunk)).all()
        recs = []
        for seq, payload in sent:
            p = json.loads(payload)
            p["phone_masked"] = phones.mask(p.pop("phone"))
            p["phone"] = None
            recs.append((json.dumps(p, ensure_ascii=False), seq))
        if recs:
            conn.exec_driver_sql("UPDATE outbox SET payload = ? WHERE seq = ?", recs)
        cleared = 0
        if not offline_unmask(db):
            waiting = {str(r[0]) for r in conn.exec_driver_sql(
                "SELECT json_extract(payload, '$.id') FROM outbox WHERE status IN ('pending', 'rejected') "
                "AND kind = 'member.registered'")}
            rows = conn.exec_driver_sql(
                "SELECT id FROM members WHERE phone IS NOT NULL AND phone_hash IS NOT NULL").all()
            ids = [(i,) for (i,) in rows if _dashed(i) not in waiting]
            if ids:
                conn.exec_driver_sql("UPDATE members SET phone = NULL WHERE id = ?", ids)
            cleared = len(ids)
        if first:
            settings.PHONE_SCRUBBED.put(s, True, db)
    if recs or cleared:
        _purge_file(db)
    return {"scrubbed_events": len(recs), "cleared_members": cleared}


def _purge_file(db) -> None:
    """Old page images of cleared numbers out of the WAL; and once, if the file has free
    pages from before secure_delete was on (they may hold old rows), a VACUUM — on a big
    store that takes a while and holds the write lock, so it is done only that once."""
    raw = db.raw()
    try:
        cur = raw.cursor()
        if not settings.PHONE_VACUUMED.get(db) and cur.execute("PRAGMA freelist_count").fetchone()[0]:
            cur.execute("VACUUM")
        cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cur.close()
    except Exception as exc:  # busy: the next push tries again; the rows themselves are already clean
        log.warning("could not compact the database after clearing the numbers: %s", type(exc).__name__)
        return
    finally:
        raw.close()
    if not settings.PHONE_VACUUMED.get(db):
        settings.PHONE_VACUUMED.set(db, True)


class PhoneAuthority(Protocol):
    def unmask(self, member_id, actor: str) -> str:
        """The member's full number (E.164), audited by HQ; raises `hq_port.Unavailable`
        when HQ cannot be asked, `hq_port.Denied` when it refuses."""


def unmask(db, member_id: str, *, actor: str, active: Callable[[Any, str], Any],
           authority: PhoneAuthority | None = None) -> str:
    """A manager's action. The full number from this till where it keeps it (standalone,
    or a chain that unmasks offline), audited here; otherwise from HQ (`authority`, by
    default the installed one: pos.services.hq_port), audited there. `active(session, id)`
    is the member row (pos.services.members, which calls this)."""
    from pos.store.outbox import audit

    with db.transaction() as s:
        m = active(s, member_id)
        if m.phone or not m.phone_hash:
            audit(s, db, actor, "member.unmask_phone", m.member_code)
            return phones.national(m.phone) if m.phone else ""
        mid, code, want = m.id, m.member_code, m.phone_hash
    hq = authority or hq_port.connect(db)
    try:
        if hq is None:
            raise hq_port.Unavailable()
        e164 = hq.unmask(mid, actor)
    except hq_port.Unavailable:
        raise DomainError("phone.unmask_needs_hq") from None
    except hq_port.Denied as exc:
        log.info("unmask of %s refused by HQ: %s", code, exc.error)
        raise DomainError("phone.unmask_refused") from None
    key = chain_key(db)
    if key is not None and phones.digest(key, e164) != want:  # HQ's member has another number now
        log.info("unmask: HQ's number for %s differs from this till's hash (changed at HQ)", code)
    with db.transaction() as s:
        audit(s, db, actor, "member.unmask_phone", code, via="hq")
    return phones.national(e164)
