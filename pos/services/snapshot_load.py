"""Loading HQ's bootstrap snapshot into the till (issue 20): a new till's first pull in
bulk. No network here (`sync/bootstrap.py` downloads the file; `sync/server/snapshot.py`
says what is in it and why its cursor skips nothing).

The file is SQLite: a table `c_<kind>` per change kind whose columns are the fields a
pull page gives for it (`columns` names each one's type: uuid / time / date / bool /
json / int / text), plus `_origin` on immutable kinds (the one store all their log rows
came from: this till skips its own store's, as the pages do). The till attaches it and,
in ONE transaction with the snapshot's cursor:

- when it holds no member data yet (a new till), loads members (tags), cards, ledger
  entries, allocations, stored value, coupons and their uses with `INSERT … SELECT`
  from the attached file — the conversions `sync_apply` makes in Python written as SQL
  (UUID as 32 hex digits, naive UTC `YYYY-MM-DD HH:MM:SS.ffffff`, 0/1), its secondary
  indexes dropped first and built after — and the balance cache as the entries' sums;
- applies every other kind (programs, catalog, notes, import rows, orders …), and all
  kinds on a till that already holds members, through `sync_apply.apply_in` in chunks:
  the very code a pull page goes through;
- applies the manifest's rows for this store only (parcels) the same way.

`tests/sync/test_snapshot.py` checks that a till bootstrapped this way holds exactly
the rows of one bootstrapped by pull pages.
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import text
from sqlalchemy.orm import Session

from pos import changes as change_events
from pos.ids import uuid7
from pos.rules import phones
from pos.services import phone_privacy, sync_apply
from pos.store import settings as store_settings
from pos.store.database import sql_ts

FORMAT = 1
CHUNK = 5000
# what apply_page applies first comes first (members before what points at them)
ORDER = ("member", "card", "member_import", "note", "program", "product", "coupon", "points_entry",
         "points_allocation", "sv_entry", "coupon_use", "online_order", "parcel", "alliance_program", "coin_entry",
         "coin_allocation")
FRESH_TABLES = ("members", "member_tags", "member_cards", "points_entries", "points_allocations",
                "stored_value_entries", "coupons", "coupon_uses", "member_balances")


class SnapshotError(Exception):
    """The file is not a snapshot this till can load (another format, another cursor)."""


def _u(c: str) -> str:
    return f'lower(replace("{c}", \'-\', \'\'))'


def _t(c: str) -> str:  # 2026-12-01T10:00:00.123456 (naive UTC) -> SQLAlchemy's SQLite form
    return f"(substr(\"{c}\", 1, 10) || ' ' || substr(\"{c}\", 12))"


def _b(c: str) -> str:
    return f'(CASE WHEN "{c}" THEN 1 ELSE 0 END)'


def _expr(c: str, have: set[str], conv: dict[str, Any]) -> str:
    if c not in have:
        return "NULL"
    f = conv.get(c)
    return f(c) if f else f'"{c}"'


_MEMBER_SQL = {"referrer_id": _u, "merged_into": _u, "consent_at": _t, "tier_since": _t, "joined_at": _t,
               "created_at": _t, "updated_at": _t, "marketing_consent": _b, "test_clock": _b}
_TIMES = {"available_at", "expires_at", "created_at", "valid_from", "valid_to", "issued_at", "voided_at", "used_at"}
_UUIDS = {"id", "member_id", "reverses_id", "source_lot_id", "sale_id", "debit_id", "lot_id", "coupon_id",
          "referrer_id"}
_NEW = {  # kind -> (table, columns as sync_apply takes them)
    "points_entry": ("points_entries", sync_apply._P_COLS),
    "points_allocation": ("points_allocations", sync_apply._A_COLS),
    "sv_entry": ("stored_value_entries", sync_apply._V_COLS),
    "coupon_use": ("coupon_uses", sync_apply._U_COLS),
}
_COUPON_COLS = ("id", "code", "template", "member_id", "valid_from", "valid_to", "source", "issued_at", "issued_store",
                "voided_at", "test_clock", "referrer_id")


def _generic_conv() -> dict[str, Any]:
    conv: dict[str, Any] = {c: _t for c in _TIMES}
    conv.update({c: _u for c in _UUIDS})
    conv["test_clock"] = _b
    return conv


def _columns(raw: sqlite3.Connection) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for kind, name, ctype in raw.execute("SELECT kind, name, type FROM snap.columns ORDER BY kind, pos"):
        out.setdefault(kind, []).append((name, ctype))
    return out


def _not_own(kind: str, cols: dict[str, list[tuple[str, str]]]) -> str:
    return " WHERE (_origin IS NULL OR _origin != :store)" if "_origin" in {n for n, _ in cols[kind]} else ""


def _fast(s: Session, raw: sqlite3.Connection, cols: dict[str, list[tuple[str, str]]], store: str, stamp: str,
          key: bytes | None) -> dict[str, int]:
    """The bulk kinds by INSERT … SELECT on a till without member data. {kind: rows}."""
    conn = s.connection()
    done: dict[str, int] = {}
    params = {"store": store, "stamp": stamp}
    if "member" in cols:
        have = {n for n, _ in cols["member"]}
        names = ("id",) + sync_apply._MEMBER_COLS
        exprs = [_u("id")] + [_expr(c, have, _MEMBER_SQL) for c in sync_apply._MEMBER_COLS]
        got = conn.exec_driver_sql(f"INSERT INTO members ({', '.join(names)}) SELECT {', '.join(exprs)} "
                                   "FROM snap.c_member")
        done["member"] = got.rowcount
        if "phone" in have:  # numbers sent (offline unmasking): what sync_apply derives when HQ left it out
            fill = []
            for mid, phone, last4, masked, digest in raw.execute(
                    "SELECT id, phone, phone_last4, phone_masked, phone_hash FROM snap.c_member WHERE phone IS NOT NULL "
                    "AND (phone_last4 IS NULL OR phone_last4 = '' OR phone_masked IS NULL OR phone_masked = '' "
                    "OR phone_hash IS NULL OR phone_hash = '')"):
                fill.append((last4 or phones.last4(phone), masked or phones.mask(phone),
                             digest or (phones.digest(key, phone) if key is not None else None),
                             mid.replace("-", "").lower()))
            if fill:
                raw.executemany("UPDATE members SET phone_last4 = ?, phone_masked = ?, phone_hash = ? WHERE id = ?", fill)
        if "tags" in have:
            conn.exec_driver_sql(
                "INSERT OR IGNORE INTO member_tags (member_id, tag, source, created_at) "
                "SELECT lower(replace(m.id, '-', '')), json_extract(j.value, '$.tag'), "
                "coalesce(nullif(json_extract(j.value, '$.source'), ''), 'manual'), :stamp "
                "FROM snap.c_member m, json_each(m.tags) j WHERE m.tags IS NOT NULL ORDER BY m.rowid, j.key",
                params)
    if "card" in cols:
        have = {n for n, _ in cols["card"]}
        got = conn.exec_driver_sql(
            "INSERT INTO member_cards (id, card_no, member_id, kind, status, issued_at, test_clock) "
            f"SELECT snapshot_uuid7(), card_no, {_u('member_id')}, coalesce(nullif(kind, ''), 'magstripe'), "
            f"coalesce(nullif(status, ''), 'active'), {_expr('issued_at', have, {'issued_at': _t})}, 0 "
            "FROM snap.c_card")
        done["card"] = got.rowcount
    conv = _generic_conv()
    if "coupon" in cols:
        have = {n for n, _ in cols["coupon"]}
        exprs = [_expr(c, have, conv) for c in _COUPON_COLS]
        got = conn.exec_driver_sql(
            f"INSERT INTO coupons ({', '.join(_COUPON_COLS)}) SELECT {', '.join(exprs)} FROM snap.c_coupon WHERE true "
            "ON CONFLICT(code) DO UPDATE SET voided_at = excluded.voided_at, member_id = excluded.member_id, "
            "referrer_id = excluded.referrer_id")
        done["coupon"] = got.rowcount
    for kind, (table, names) in _NEW.items():
        if kind not in cols:
            continue
        have = {n for n, _ in cols[kind]}
        exprs = [_expr(c, have, conv) for c in names]
        where = _not_own(kind, cols) or " WHERE true"
        got = conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(exprs)} "
                                   f"FROM snap.c_{kind}{where} ON CONFLICT DO NOTHING", params)
        done[kind] = got.rowcount
    # the balance cache of every member a served entry names: the sums of its entries (sync_apply.refresh_balances)
    touched = [f"SELECT {_u('member_id')} AS m FROM snap.c_{k}{_not_own(k, cols)}" for k in ("points_entry", "sv_entry")
               if k in cols]
    if touched:
        conn.exec_driver_sql(
            "INSERT INTO member_balances (member_id, points, stored_value_fen, updated_at) "
            "SELECT t.m, coalesce((SELECT sum(points) FROM points_entries p WHERE p.member_id = t.m), 0), "
            "coalesce((SELECT sum(amount_fen) FROM stored_value_entries v WHERE v.member_id = t.m), 0), :stamp "
            f"FROM ({' UNION '.join(touched)}) t WHERE t.m IS NOT NULL", params)
    return done


def _as_changes(raw: sqlite3.Connection, kind: str, cols: list[tuple[str, str]], where: str,
                store: str) -> Iterator[list[dict[str, Any]]]:
    """A kind's rows in the form a pull page gives them, in chunks."""
    cur = raw.execute(f'SELECT * FROM snap."c_{kind}"{where}', {"store": store})
    while batch := cur.fetchmany(CHUNK):
        out = []
        for r in batch:
            d: dict[str, Any] = {}
            for (name, ctype), v in zip(cols, r):
                if v is not None:
                    if ctype == "bool":
                        v = bool(v)
                    elif ctype == "json":
                        v = json.loads(v)
                d[name] = v
            d.pop("_origin", None)
            out.append(d)
        yield out


def _indexes(raw: sqlite3.Connection) -> list[tuple[str, str]]:
    """(name, sql) of the secondary, non-unique indexes of the bulk tables."""
    marks = ",".join("?" * len(FRESH_TABLES))
    return [(n, q) for n, q in raw.execute(
        f"SELECT name, sql FROM main.sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})",
        FRESH_TABLES) if not q.upper().startswith("CREATE UNIQUE")]


def load(db, path: Path, cursor: str, store_changes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Load a downloaded snapshot and store its cursor, in one transaction. Returns what was
    loaded ({"fast": {kind: rows}, "applied": {...}, "fresh": bool})."""
    now = db.clock.now()
    store = db.store_code
    summary: dict[str, Any] = {"fast": {}, "applied": {}, "programs": []}
    engine = db.engine.execution_options(sqlite_begin="IMMEDIATE")
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        raw.execute("ATTACH DATABASE ? AS snap", (str(path),))
        try:
            raw.create_function("snapshot_uuid7", 0, lambda: uuid7().hex)
            raw.execute("PRAGMA cache_size = -262144")  # 256 MiB while loading
            with Session(bind=conn, expire_on_commit=False) as s, s.begin():
                meta = {k: json.loads(v) for k, v in raw.execute("SELECT key, value FROM snap.meta")}
                if meta.get("format") != FORMAT:
                    raise SnapshotError(f"snapshot format {meta.get('format')!r} (this till reads {FORMAT})")
                if meta.get("cursor") != cursor:
                    raise SnapshotError("the snapshot file is not the one announced (cursor differs)")
                s.execute(text("PRAGMA defer_foreign_keys = ON"))
                summary["captured"] = sync_apply.capture_ledger(s, db)  # this till's own rows go up first
                cols = _columns(raw)
                fresh = all(raw.execute(f"SELECT 1 FROM main.{t} LIMIT 1").fetchone() is None for t in FRESH_TABLES)
                summary["fresh"] = fresh
                if fresh:
                    indexes = _indexes(raw)
                    for name, _sql in indexes:
                        raw.execute(f'DROP INDEX main."{name}"')
                    summary["fast"] = _fast(s, raw, cols, store, sql_ts(now), phone_privacy.chain_key(db))
                    for _name, sql in indexes:
                        raw.execute(sql)
                    sync_apply.skip_watermark(s)
                for kind in [k for k in ORDER if k in cols] + sorted(set(cols) - set(ORDER)):
                    if kind in summary["fast"]:
                        continue
                    for chunk in _as_changes(raw, kind, cols[kind], _not_own(kind, cols), store):
                        _add(summary, sync_apply.apply_in(s, db, {kind: chunk}, now)[0])
                if store_changes:
                    _add(summary, sync_apply.apply_in(s, db, sync_apply.by_kinds(store_changes), now)[0])
                store_settings.SYNC_CURSOR.put(s, cursor, db)
        finally:
            raw.execute("PRAGMA cache_size = -2000")
            raw.execute("DETACH DATABASE snap")
    for kind in ("members", "coupons", "program", "catalog"):  # what the app's screens listen to
        change_events.publish(kind)
    summary["counts"] = meta.get("counts", {})
    return summary


def _add(summary: dict[str, Any], got: dict[str, Any]) -> None:
    for k, v in got.items():
        if k == "programs":
            summary["programs"] += v
        elif isinstance(v, int) and k != "captured":
            summary["applied"][k] = summary["applied"].get(k, 0) + v
