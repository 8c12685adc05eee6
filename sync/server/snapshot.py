"""The bootstrap snapshot: a new till's first pull in one file (issue 20).

A till without a cursor would pull HQ's whole change log page by page (a
million members took minutes). Instead it asks for a snapshot: every entity
the change log names up to a cursor C, in the state the pull would serve,
written by HQ into one SQLite file (gzip on the wire) that the till loads in
bulk (`pos.services.snapshot_load`). The till stores C with the load, in one
transaction, and carries on from C with normal pull pages.

Never skips a change committed late
-----------------------------------
C is taken inside the REPEATABLE READ snapshot that reads the states: on
PostgreSQL it is the last change-log row, in (txid, seq) order, below that
snapshot's xmin (the oldest transaction still in flight), exactly where a pull
page would stop (`changes.page_rows`). Every row at or before C has txid <
xmin, so its transaction is over and visible to the snapshot: the state read
includes its change. Every row after C — committed already, or later by a
transaction that was in flight — sorts after C and is served by the pull from
C (the argument of `changes.py`, unchanged). A state read may already include
a change whose log row is after C; the till gets that row again by pull, as
after any page. On SQLite there is one writer: C is the last seq.

What each till receives is what the pages would give it
------------------------------------------------------
- the same entities (those the log names up to C; never a store's own sales),
  the same columns (`changes.ENTITIES`), the same phone fields
  (`phones.pull_fields`: hash and masked form, the number only under offline
  unmasking), the same merchant rules (another merchant's programs left out,
  personal fields of members who did not consent nulled: `alliance`);
- a store's own immutable rows (ledger entries, notes ...): the pages skip
  them for the store that made them. A snapshot is shared by every store of a
  merchant, so each such row carries `_origin` — the one store all its log
  rows came from, or NULL — and the loading till skips those of its own store;
- rows for one store only (`changes.STORE_ONLY`: parcels) are never in the
  shared file: the manifest carries the asking store's own, as pull changes.

Cache: a snapshot is shared by the stores of one audience (merchant, phone
policy, alliance size) while it is at most `max_age()` old (default 10 min,
`HQ_SNAPSHOT_MAX_AGE_MIN`); the pull from its cursor brings whatever changed
since. Files live in `snapshot_dir(hq)` (`HQ_SNAPSHOT_DIR`, else beside an
SQLite HQ's file, else the user cache directory) and are kept `KEEP_HOURS`
for tills that resume a cut download; building is locked (flock) so HQ
workers sharing the directory build one at a time and then share it.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import fcntl
import gzip
import hashlib
import json
import os
import re
import sqlite3
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import JSON, Boolean, Date, DateTime, select, text
from sqlalchemy import Uuid as UuidType
from sqlalchemy.orm import Session

from . import changes
from . import phones as server_phones

FORMAT = 1
KEEP_HOURS = 24
BATCH = 20_000
# kinds never in the shared file (see the module docstring)
SKIPPED = set(changes.OWN_ONLY) | set(changes.STORE_ONLY)


class SnapshotMissing(Exception):
    """No such snapshot here (expired, another HQ host, another merchant's)."""


def max_age() -> float:
    """Seconds a snapshot is handed to new tills for (`HQ_SNAPSHOT_MAX_AGE_MIN`, default 10)."""
    raw = os.environ.get("HQ_SNAPSHOT_MAX_AGE_MIN", "10")
    try:
        minutes = float(raw)
    except ValueError:
        raise ValueError(f"HQ_SNAPSHOT_MAX_AGE_MIN must be a number of minutes, got {raw[:20]!r}") from None
    return max(0.0, minutes) * 60


def snapshot_dir(hq) -> Path:
    env = os.environ.get("HQ_SNAPSHOT_DIR")
    if env:
        base = Path(env)
    elif hq.engine.url.get_backend_name() == "sqlite" and hq.engine.url.database:
        db = Path(hq.engine.url.database)
        base = db.with_name(db.name + ".snapshots")
    else:
        import platformdirs

        ident = hq.engine.url.render_as_string(hide_password=True)
        base = Path(platformdirs.user_cache_dir("memberpos", appauthor=False)) / "hq-snapshots" / \
            hashlib.sha256(ident.encode()).hexdigest()[:16]
    base.mkdir(parents=True, exist_ok=True)
    return base


# --- who receives what ------------------------------------------------------------------------

def audience(s: Session, store_code: str) -> dict[str, Any]:
    """What decides a snapshot's content beyond HQ's data: the store's merchant (programs,
    consent), whether the alliance has several merchants (redaction at all) and the phone
    policy (numbers sent or not)."""
    from . import alliance

    many = alliance.merchant_count(s) > 1
    return {"merchant": alliance.merchant_of_store(s, store_code), "redact": many,
            "offline_unmask": server_phones.offline_unmask(s)}


def audience_key(aud: dict[str, Any]) -> str:
    return f"{aud['merchant']}|{int(aud['redact'])}|{int(aud['offline_unmask'])}"


# --- columns ------------------------------------------------------------------------------------

def _ctype(col) -> str:
    t = col.type
    if isinstance(t, UuidType):
        return "uuid"
    if isinstance(t, DateTime) or getattr(t, "impl", None) is not None and isinstance(t.impl, DateTime):
        return "time"
    if isinstance(t, Date):
        return "date"
    if isinstance(t, Boolean):
        return "bool"
    if isinstance(t, JSON):
        return "json"
    try:
        py = t.python_type
    except NotImplementedError:
        return "text"
    return "int" if py in (int, decimal.Decimal) else "text"


def kind_columns(kind: str, offline: bool) -> tuple[list[Any], list[tuple[str, str]]]:
    """(the model's columns read, [(name, type)] written) of one kind, as a pull page has them."""
    model, _key, skip = changes.ENTITIES[kind]
    read = [c for c in model.__table__.columns if c.key not in skip and not (kind == "member" and c.key == "phone")]
    out = [(c.key, _ctype(c)) for c in read]
    if kind == "member":
        out += [("phone_hash", "text"), ("phone_masked", "text")] + ([("phone", "text")] if offline else [])
        out.append(("home_merchant", "text"))  # issue 17 (alliance.member_views; NULL for a chain alone)
    if kind in changes.IMMUTABLE:
        out.append(("_origin", "text"))
    return read, out


def _json_text(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _time_text(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value.isoformat("T", "microseconds")


def _py_value(ctype: str, v: Any) -> Any:
    """A value read through SQLAlchemy (SQLite HQ) in the snapshot's form."""
    if v is None:
        return None
    if ctype == "uuid":
        return str(v)
    if ctype == "time":
        return _time_text(v)
    if ctype == "date":
        return v.isoformat()
    if ctype == "bool":
        return int(bool(v))
    if ctype == "json":
        return _json_text(v)
    if isinstance(v, decimal.Decimal):
        return int(v)
    return v


def _pg_expr(col, ctype: str) -> str:
    c = f't."{col.name}"'
    if ctype == "uuid":
        return f"{c}::text"
    if ctype == "time":  # HQ's times are naive UTC (UTCDateTime): microseconds always written
        return f"""to_char({c}, 'YYYY-MM-DD"T"HH24:MI:SS.US')"""
    if ctype == "date":
        return f"to_char({c}, 'YYYY-MM-DD')"
    if ctype == "bool":
        return f"{c}::int"
    if ctype == "json":
        return f"to_jsonb({c})::text"
    return c


# --- building -------------------------------------------------------------------------------------

def _last_row(s: Session) -> tuple[int, int] | None:
    """C: the last change-log row a pull page may serve now (see the module docstring)."""
    horizon = changes.visible_horizon(s)
    if horizon is None:
        seq = s.execute(text("SELECT max(seq) FROM change_log")).scalar()
        return None if seq is None else (0, int(seq))
    got = s.execute(text("SELECT txid, seq FROM change_log WHERE txid < :h ORDER BY txid DESC, seq DESC LIMIT 1"),
                    {"h": horizon}).first()
    return None if got is None else (int(got[0]), int(got[1]))


def _log_ids_sql(pg: bool) -> str:
    """Entity ids of a kind in the log up to C, with the one store all their rows came from."""
    upto = "(txid, seq) <= (:t, :s)" if pg else "seq <= :s"
    return (f"SELECT entity_id, CASE WHEN count(origin) = count(*) AND min(origin) = max(origin) THEN min(origin) "
            f"END AS only_origin FROM change_log WHERE kind = :k AND {upto} GROUP BY entity_id")


def _rows_pg(s: Session, kind: str, read, ctypes: list[str], pos: tuple[int, int], aud) -> Iterator[list[tuple]]:
    model, key, _skip = changes.ENTITIES[kind]
    table = model.__tablename__
    keycol = model.__table__.columns[key]
    exprs = [_pg_expr(c, t) for c, t in zip(read, ctypes)]
    if kind == "member":
        exprs.append('t."phone"')
    exprs.append("l.only_origin")
    where = ""
    if kind in changes.MERCHANT_ONLY:
        where = f"WHERE coalesce(t.\"{changes.MERCHANT_ONLY[kind]}\", 'main') = :m"
    cast = "::text" if isinstance(keycol.type, UuidType) else ""
    sql = (f"SELECT {', '.join(exprs)} FROM {table} t JOIN ({_log_ids_sql(True)}) l "
           f"ON l.entity_id = t.\"{keycol.name}\"{cast} {where} ORDER BY t.\"{keycol.name}\"")
    sql = re.sub(r"(?<![:\w]):([ktsm])\b", r"%(\1)s", sql)  # psycopg's placeholders (not ::text, not HH24:MI)
    raw = s.connection().connection.dbapi_connection  # a server-side cursor in this transaction, BATCH rows a fetch
    with raw.cursor(name=f"snapshot_{kind}") as cur:
        cur.execute(sql, {"k": kind, "t": pos[0], "s": pos[1], "m": aud["merchant"]})
        while rows := cur.fetchmany(BATCH):
            yield rows


def _rows_sqlite(s: Session, kind: str, read, ctypes: list[str], pos: tuple[int, int], aud) -> Iterator[list[tuple]]:
    model, key, _skip = changes.ENTITIES[kind]
    origin = dict(s.execute(text(_log_ids_sql(False)), {"k": kind, "s": pos[1]}).all())
    ids = sorted(origin)
    keycol = model.__table__.columns[key]
    extra = [model.__table__.columns["phone"]] if kind == "member" else []
    for i in range(0, len(ids), 900):
        chunk = [changes._key(kind, x) for x in ids[i:i + 900]]
        q = select(*read, *extra, keycol.label("_snapshot_key")).where(keycol.in_(chunk))
        if kind in changes.MERCHANT_ONLY:
            from sqlalchemy import func

            q = q.where(func.coalesce(model.__table__.columns[changes.MERCHANT_ONLY[kind]], "main") == aud["merchant"])
        rows = []
        for r in s.execute(q.order_by(keycol)):
            vals = [_py_value(t, v) for t, v in zip(ctypes, r[:len(read)])]
            if extra:
                vals.append(r[len(read)])
            vals.append(origin[str(r[-1])])
            rows.append(tuple(vals))
        yield rows


def _write_kind(s: Session, hq, out: sqlite3.Connection, kind: str, pos: tuple[int, int], aud, fields,
                writer) -> int:
    read, cols = kind_columns(kind, aud["offline_unmask"])
    ctypes = [t for _n, t in cols[:len(read)]]
    names = [n for n, _t in cols]
    out.executemany("INSERT INTO columns (kind, pos, name, type) VALUES (?, ?, ?, ?)",
                    [(kind, i, n, t) for i, (n, t) in enumerate(cols)])
    out.execute(f'CREATE TABLE "c_{kind}" ({", ".join(chr(34) + n + chr(34) for n in names)})')
    insert = f'INSERT INTO "c_{kind}" VALUES ({", ".join("?" * len(names))})'
    json_at = [i for i, t in enumerate(ctypes) if t == "json" and not (kind == "member" and names[i] == "tags")]
    immutable = kind in changes.IMMUTABLE
    personal = ()
    if kind == "member" and aud["redact"]:
        from . import alliance

        personal = [names.index(f) for f in alliance.PERSONAL if f in names]
    n, pending = 0, None
    for batch in (_rows_pg if hq.is_pg else _rows_sqlite)(s, kind, read, ctypes, pos, aud):
        if hq.is_pg and json_at:  # the text the till would write for the pulled value (json.dumps)
            fixed = []
            for r in batch:
                r = list(r)
                for i in json_at:
                    if r[i] is not None:
                        r[i] = _json_text(json.loads(r[i]))
                fixed.append(r)
            batch = fixed
        if kind == "member":
            ok = views = None
            if personal:
                from . import alliance

                ids = [uuid.UUID(r[0]) for r in batch]
                ok = alliance.consenting(s, ids, aud["merchant"])
                views = alliance.member_views(s, aud["merchant"], ids)  # the merchant's own tier, the home merchant
            rows = []
            consent_at = names.index("marketing_consent")
            tier_at = [names.index(c) for c in ("tier_code", "tier_since", "tier_expires")]
            for r in batch:
                phone = r[len(read)]
                got = fields(phone)
                r = list(r[:len(read)]) + [got["phone_hash"], got["phone_masked"]] + (
                    [got.get("phone")] if aud["offline_unmask"] else []) + [None]
                if ok is not None:
                    mid = uuid.UUID(r[0])
                    if mid not in ok:
                        for i in personal:
                            r[i] = None
                        r[consent_at] = 0
                    v = views[mid]
                    r[tier_at[0]], r[tier_at[1]] = v["tier_code"], _time_text(v["tier_since"])
                    r[tier_at[2]] = v["tier_expires"].isoformat() if v["tier_expires"] else None
                    r[-1] = v["home_merchant"]
                rows.append(r)
            batch = rows
        elif not immutable:
            batch = [r[:len(names)] for r in batch]  # no _origin column
        if pending is not None:
            pending.result()
        pending = writer.submit(out.executemany, insert, batch)  # written while the next batch is read
        n += len(batch)
    if pending is not None:
        pending.result()
    return n


def _build(hq, aud: dict[str, Any], directory: Path) -> dict[str, Any] | None:
    server_phones.chain_key(hq)  # made (once) before the read snapshot
    sid = uuid.uuid4().hex
    work = directory / f"{sid}.building.sqlite3"
    started = time.monotonic()
    out = sqlite3.connect(work, isolation_level=None, check_same_thread=False)
    writer = ThreadPoolExecutor(1, thread_name_prefix="snapshot-write")
    done = False
    try:
        out.execute("PRAGMA journal_mode=OFF")
        out.execute("PRAGMA synchronous=OFF")
        out.execute("PRAGMA page_size=8192")
        out.execute("BEGIN")
        out.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        out.execute("CREATE TABLE columns (kind TEXT, pos INTEGER, name TEXT, type TEXT)")
        counts: dict[str, int] = {}
        with hq.read() as s:
            if hq.is_pg:  # one snapshot for C and every state (see the module docstring)
                s.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
                # the rows are read through a cursor: plan for all of them (a fast-start plan joins the
                # log by nested loop, quadratic), and no JIT (a second per kind, for plain scans)
                s.execute(text("SET LOCAL cursor_tuple_fraction = 1.0"))
                s.execute(text("SET LOCAL jit = off"))
                # a read-only transaction holds back no till's pull (it has no id): it may wait on the file
                s.execute(text("SET LOCAL idle_in_transaction_session_timeout = '10min'"))
            pos = _last_row(s)
            if pos is None:
                return None
            fields = server_phones.pull_fields(s, hq)
            for kind in changes.ENTITIES:
                if kind not in SKIPPED:
                    counts[kind] = _write_kind(s, hq, out, kind, pos, aud, fields, writer)
        created = dt.datetime.now(dt.timezone.utc)
        meta = {"format": FORMAT, "cursor": changes.format_cursor(*pos), "created_at": created.isoformat(),
                "audience": audience_key(aud), "counts": counts}
        out.executemany("INSERT INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()])
        out.execute("COMMIT")
        done = True
    finally:
        writer.shutdown(wait=True)
        out.close()
        if not done:  # nothing to snapshot, or the build failed: no file left behind
            work.unlink(missing_ok=True)
    built_s = time.monotonic() - started
    gz = directory / f"{sid}.sqlite3.gz"
    tmp = gz.with_suffix(".gz.tmp")
    digest = hashlib.sha256()
    with open(work, "rb") as src, open(tmp, "wb") as raw:
        with gzip.GzipFile(fileobj=_Hashing(raw, digest), mode="wb", compresslevel=1, mtime=0) as z:
            while chunk := src.read(1 << 20):
                z.write(chunk)
    raw_size = work.stat().st_size
    work.unlink()
    os.replace(tmp, gz)
    info = {"id": sid, **meta, "size": gz.stat().st_size, "sha256": digest.hexdigest(), "raw_size": raw_size,
            "build_s": round(built_s, 3), "compress_s": round(time.monotonic() - started - built_s, 3)}
    tmpj = directory / f"{sid}.json.tmp"
    tmpj.write_text(json.dumps(info))
    os.replace(tmpj, directory / f"{sid}.json")
    return info


class _Hashing:
    """A file wrapper that hashes what is written through it."""

    def __init__(self, f, digest):
        self.f, self.digest = f, digest

    def write(self, b):
        self.digest.update(b)
        return self.f.write(b)

    def flush(self):
        self.f.flush()


def _infos(directory: Path) -> list[dict[str, Any]]:
    out = []
    for p in directory.glob("*.json"):
        try:
            info = json.loads(p.read_text())
        except (OSError, ValueError):
            continue
        if (directory / f"{info.get('id')}.sqlite3.gz").exists():
            out.append(info)
    return sorted(out, key=lambda i: i["created_at"], reverse=True)


def _age(info: dict[str, Any]) -> float:
    return (dt.datetime.now(dt.timezone.utc) - dt.datetime.fromisoformat(info["created_at"])).total_seconds()


def _still_valid(hq, info: dict[str, Any]) -> bool:
    """The cursor's row is still in the log (not a database restored to an earlier state)."""
    try:
        with hq.read() as s:
            changes.check_position(s, changes.parse_cursor(info["cursor"]))
    except ValueError:
        return False
    return True


def _prune(directory: Path) -> None:
    for info in _infos(directory):
        if _age(info) > KEEP_HOURS * 3600:
            for suffix in (".sqlite3.gz", ".json"):
                with contextlib.suppress(OSError):
                    (directory / f"{info['id']}{suffix}").unlink()
    for p in directory.glob("*.building.sqlite3"):  # a build cut off (HQ stopped mid-way)
        with contextlib.suppress(OSError):
            if time.time() - p.stat().st_mtime > 3600:
                p.unlink()


def current(hq, aud: dict[str, Any]) -> dict[str, Any] | None:
    """A snapshot for this audience at most `max_age()` old, built now if there is none
    (one builder at a time per directory; the others wait and take its file)."""
    directory = snapshot_dir(hq)
    key = audience_key(aud)

    def fresh():
        for info in _infos(directory):
            if info["audience"] == key and _age(info) <= max_age() and _still_valid(hq, info):
                return info
        return None

    got = fresh()
    if got is not None:
        return got
    with open(directory / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            got = fresh()
            if got is None:
                _prune(directory)
                got = _build(hq, aud, directory)
            return got
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def store_changes(hq, store_code: str, cursor: str) -> list[str]:
    """The asking store's own rows up to the cursor (`changes.STORE_ONLY`), as pull changes."""
    pos = changes.parse_cursor(cursor)
    out: list[str] = []
    with hq.read() as s:
        upto = "(txid, seq) <= (:t, :s)" if hq.is_pg else "seq <= :s"
        for kind, col in changes.STORE_ONLY.items():
            ids = [r[0] for r in s.execute(text(f"SELECT DISTINCT entity_id FROM change_log WHERE kind = :k AND {upto} "
                                                "ORDER BY entity_id"), {"k": kind, "t": pos[0], "s": pos[1]})]
            if not ids:
                continue
            states = changes._states_json(s, {kind: ids}, server_phones.pull_fields(s, hq))
            for (k, i), doc in states.items():
                if json.loads(doc).get(col) == store_code:
                    out.append('{"kind":"%s","id":%s,"data":%s}' % (k, json.dumps(i), doc))
    return out


def count_log(hq) -> int:
    with hq.read() as s:
        return int(s.execute(text("SELECT coalesce(max(seq), 0) FROM change_log")).scalar())


def manifest(hq, store_code: str, min_changes: int = 0) -> str:
    """GET /v1/snapshot: the snapshot for this store (JSON text), or `null` with the reason."""
    from ..protocol import PROTOCOL_VERSION

    if count_log(hq) < max(1, min_changes):
        return json.dumps({"protocol": PROTOCOL_VERSION, "snapshot": None, "reason": "small"})
    with hq.read() as s:
        aud = audience(s, store_code)
    info = current(hq, aud)
    if info is None:
        return json.dumps({"protocol": PROTOCOL_VERSION, "snapshot": None, "reason": "empty"})
    public = {k: info[k] for k in ("id", "format", "cursor", "created_at", "counts", "size", "sha256", "raw_size")}
    public["age_s"] = round(_age(info), 1)
    body = json.dumps({"protocol": PROTOCOL_VERSION, "snapshot": public})
    own = store_changes(hq, store_code, info["cursor"])
    return body[:-1] + ',"store_changes":[' + ",".join(own) + "]}"


def file_for(hq, store_code: str, snapshot_id: str) -> Path:
    """The file of a snapshot this store may download (its audience's)."""
    if not (len(snapshot_id) == 32 and all(c in "0123456789abcdef" for c in snapshot_id)):
        raise SnapshotMissing("not a snapshot id")
    directory = snapshot_dir(hq)
    path = directory / f"{snapshot_id}.sqlite3.gz"
    try:
        info = json.loads((directory / f"{snapshot_id}.json").read_text())
    except (OSError, ValueError):
        raise SnapshotMissing("no such snapshot (expired?)") from None
    with hq.read() as s:
        if info["audience"] != audience_key(audience(s, store_code)):
            raise SnapshotMissing("no such snapshot for this store")
    if not path.exists():
        raise SnapshotMissing("no such snapshot (expired?)")
    return path
