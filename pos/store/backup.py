"""Backups of the till's store and restoring one (issue 19).

Backup
------
`backup(db)` takes an online copy with SQLite's backup API in one step: the copy
is a snapshot of one moment (the WAL lets the app go on selling meanwhile: a
reader never blocks the writer). The copy is written as `NAME.partial`, made a
single self-contained file (journal_mode=DELETE), verified — `PRAGMA
integrity_check` and the ledger check of `ledger verify`
(`pos.loyalty.ledger.find_drift`) — fsynced, and only then renamed to its final
name `STORE-REGISTER-YYYYmmddTHHMMSSffffffZ.sqlite3`. A backup killed half-way
leaves a `.partial` file that is never taken for a backup (and is cleared by the
next one), so every file with the final name is a whole, verified copy. The
last `backup.keep` copies of this store and register are kept (default
`KEEP_DEFAULT`), in `backup.dir` (default: `backups/` beside the database).

Restore
-------
`restore(file, db_path)` refuses a file that is not an SQLite database, fails
the integrity check, carries ledger drift, comes from a newer release, or
belongs to another store or register than the till it would replace (unless
that till is blank: never enrolled, no member, no sale — a new machine). The
current database is kept aside (`store.sqlite3.before-restore-TIMESTAMP`),
the backup copied in its place, and the till marked to re-sync with HQ:

* its pull cursor is dropped, so HQ's change log comes down again from the
  start, and `sync.resync_own` is set: that pull also asks HQ for this store's
  own ledger rows (`/v1/pull?own=true`), which a normal pull leaves out. A
  sale that HQ had but the backup did not therefore comes back (its points
  entries, allocations, coupon uses), inserted with their original ids, and
  so does the sale itself (its row, lines and payments as committed, from the
  record its event carried: `pos.store.sale_record`), with the receipt
  counter moved past the sequences HQ has;
* the outbox events in the backup that HQ already has are answered
  `duplicate` by HQ (idempotent by event id), and ledger rows captured again
  under new events are inserted by HQ only if new (by row id): nothing is
  counted twice.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

from pos.store import settings

KEEP_DEFAULT = settings.BACKUP_KEEP.default  # setting `backup.keep`
DIR_KEY, KEEP_KEY, LAST_KEY = settings.BACKUP_DIR.name, settings.BACKUP_KEEP.name, settings.BACKUP_LAST.name
RESYNC_KEY = settings.RESYNC_OWN.name
PARTIAL = ".partial"
STALE_PARTIAL_S = 3600


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why (no traceback)."""

    def __init__(self, message: str, code: str = "backup.failed"):
        super().__init__(message)
        self.code = code


def _setting(conn: sqlite3.Connection, key: str, default: Any = None) -> Any:
    try:
        row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    except sqlite3.DatabaseError:
        return default
    if row is None or row[0] is None:
        return default
    try:
        return json.loads(row[0])
    except (TypeError, ValueError):
        return row[0]


def identity(conn: sqlite3.Connection) -> dict[str, Any]:
    """Which till a database belongs to: store code and register (and HQ, if enrolled)."""
    return {"store": _setting(conn, settings.STORE_CODE.name), "register": _setting(conn, settings.REGISTER_NO.name),
            "hq": _setting(conn, settings.HQ_URL.name)}


def keep_of(db) -> int:
    return settings.BACKUP_KEEP.get(db)


def dir_of(db) -> Path:
    configured = settings.BACKUP_DIR.get(db)
    return Path(configured) if configured else db.path.parent / "backups"


def _prefix(store: str, register: str) -> str:
    safe = lambda s: "".join(c if c.isalnum() or c in "-_" else "_" for c in str(s))  # noqa: E731
    return f"{safe(store)}-{safe(register)}-"


def kept(directory: Path, store: str, register: str) -> list[Path]:
    """This till's finished backups in `directory`, oldest first (names sort by time)."""
    if not directory.is_dir():
        return []
    pre = _prefix(store, register)
    return sorted(p for p in directory.iterdir() if p.name.startswith(pre) and p.name.endswith(".sqlite3"))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _open_ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)


def check_file(path: Path) -> dict[str, Any]:
    """A database file's health: SQLite at all, integrity, ledger drift, schema revision,
    identity. Raises BackupError with a clear reason when it is not a usable store."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"no such file: {path}", "backup.missing")
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head != b"SQLite format 3\x00":
        raise BackupError(f"{path.name} is not an SQLite database (not a store backup)", "backup.not_sqlite")
    try:
        conn = _open_ro(path)
        try:
            rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            rev = conn.execute("SELECT version_num FROM alembic_version").fetchone() if "alembic_version" in tables else None
            ident = identity(conn) if "settings" in tables else {}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path.name} is damaged: {str(exc)[:200]}", "backup.corrupt") from None
    if rows != ["ok"]:
        raise BackupError(f"{path.name} is damaged: integrity check says {'; '.join(rows[:3])[:300]}", "backup.corrupt")
    if not {"settings", "points_entries", "outbox", "alembic_version"} <= tables or not ident.get("store"):
        raise BackupError(f"{path.name} is an SQLite file but not a till's store", "backup.not_store")
    drift = ledger_drift(path)
    if drift:
        raise BackupError(f"{path.name}: {drift} member balance(s) differ from their ledger entries "
                          "(`ledger verify` fails on it)", "backup.drift")
    return {"revision": rev[0] if rev else None, **ident}


def ledger_drift(path: Path) -> int:
    """How many members' cached balances differ from their entries (`ledger verify`)."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from pos.loyalty import ledger

    engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true", future=True)
    try:
        with Session(engine) as s:
            return len(ledger.find_drift(s))
    finally:
        engine.dispose()


def _clear_stale(directory: Path) -> None:
    now = time.time()
    for p in directory.glob(f"*{PARTIAL}"):
        try:
            if now - p.stat().st_mtime > STALE_PARTIAL_S or not _alive(p):
                p.unlink()
        except OSError:
            pass


def _alive(partial: Path) -> bool:
    """A partial's name carries the pid that writes it: is that process still there?"""
    try:
        pid = int(partial.name.rsplit(".", 2)[-2])
        os.kill(pid, 0)
        return True
    except (ValueError, IndexError, ProcessLookupError):
        return False
    except PermissionError:
        return True


def backup(db, to: Path | str | None = None, keep: int | None = None, reason: str = "manual") -> dict[str, Any]:
    """An online, verified copy of the store; the oldest copies beyond `keep` removed."""
    started = time.perf_counter()
    directory = Path(to) if to else dir_of(db)
    keep = keep if keep is not None else keep_of(db)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"cannot make the backup folder {directory}: {exc.strerror or exc}", "backup.dir") from None
    _clear_stale(directory)
    store, register = db.store_code, settings.REGISTER_NO.get(db)
    at = dt.datetime.now(dt.timezone.utc)
    name = f"{_prefix(store, register)}{at:%Y%m%dT%H%M%S%fZ}.sqlite3"
    final = directory / name
    partial = directory / f"{name}.{os.getpid()}{PARTIAL}"
    try:
        src = sqlite3.connect(str(db.path), timeout=30)
        try:
            src.execute("PRAGMA busy_timeout=30000")
            dst = sqlite3.connect(str(partial))
            try:
                src.backup(dst)  # one step: a consistent snapshot while writers go on (WAL)
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
        finally:
            src.close()
        info = check_file(partial)
        _fsync(partial)
        os.replace(partial, final)
        try:
            _fsync(directory)
        except OSError:
            pass
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    except (OSError, sqlite3.Error) as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"backup to {directory} failed: {str(exc)[:200]}", "backup.failed") from None
    copies = kept(directory, store, register)
    removed = []
    for old in copies[:-keep] if len(copies) > keep else []:
        try:
            old.unlink()
            removed.append(old.name)
        except OSError:
            pass
    result = {"ok": True, "file": str(final), "bytes": final.stat().st_size, "at": at.isoformat(),
              "store": store, "register": register, "revision": info["revision"], "reason": reason,
              "seconds": round(time.perf_counter() - started, 3), "kept": len(copies) - len(removed),
              "removed": removed, "dir": str(directory)}
    settings.BACKUP_LAST.set(db, {k: result[k] for k in ("file", "at", "bytes", "reason", "seconds")})
    return result


def backup_quietly(db, reason: str) -> dict[str, Any] | None:
    """What the app does by itself (shift close, daily): a failing backup is logged,
    never stops the shift close or the daily jobs."""
    import logging

    log = logging.getLogger("memberpos.backup")
    try:
        got = backup(db, reason=reason)
        log.info("backup done (%s): %s, %d bytes in %.2f s, %d kept", reason, Path(got["file"]).name, got["bytes"],
                 got["seconds"], got["kept"])
        return got
    except Exception as exc:  # noqa: BLE001 - reported, never raised into a sale or a shift close
        log.error("backup failed (%s): %s", reason, exc)
        return None


def backup_soon(db, reason: str):
    """`backup_quietly` on a thread of its own (a shift close does not wait for the copy);
    the thread, for a caller that wants to wait."""
    import threading

    t = threading.Thread(target=backup_quietly, args=(db, reason), name=f"backup-{reason}", daemon=True)
    t.start()
    return t


def _blank(conn: sqlite3.Connection) -> bool:
    """A till with nothing to lose: never enrolled, no member, no sale."""
    try:
        members = conn.execute("SELECT count(*) FROM members").fetchone()[0]
        sales = conn.execute("SELECT count(*) FROM sales").fetchone()[0]
    except sqlite3.DatabaseError:
        return True
    return not members and not sales and not _setting(conn, "sync.token")


def restore(file: Path | str, db_path: Path | str) -> dict[str, Any]:
    """Put a backup in place of the till's database; the current one kept aside.
    The caller must have closed the database (the app is not running)."""
    from pos.store.database import Database

    file, db_path = Path(file), Path(db_path)
    info = check_file(file)
    head = _head_revision()
    if info["revision"] and info["revision"] != head and not _known_revision(info["revision"]):
        raise BackupError(f"{file.name} was written by a newer release (schema {info['revision']}); "
                          "upgrade this till first", "backup.newer")
    aside = None
    if db_path.exists():
        try:
            conn = sqlite3.connect(str(db_path), timeout=10)
            try:
                current = identity(conn)
                blank = _blank(conn)
                conn.execute("PRAGMA busy_timeout=2000")
                # leaving WAL needs every other connection closed: the till app (or a CLI command) still has it open
                conn.execute("PRAGMA journal_mode=DELETE")
            finally:
                conn.close()
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise BackupError(f"{db_path} is open in another program (the till app?): close it, then restore; "
                                  "nothing restored", "backup.in_use") from None
            current, blank = {}, True  # a damaged current database is what a restore is for
        except sqlite3.DatabaseError:
            current, blank = {}, True  # a damaged current database is what a restore is for
        if not blank and (current.get("store"), current.get("register")) != (info["store"], info["register"]):
            raise BackupError(
                f"{file.name} belongs to store {info['store']} register {info['register']}; this till is store "
                f"{current.get('store')} register {current.get('register')}: nothing restored", "backup.other_store")
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        aside = db_path.with_name(f"{db_path.name}.before-restore-{stamp}")
        os.replace(db_path, aside)
        for suffix in ("-wal", "-shm"):
            side = db_path.with_name(db_path.name + suffix)
            if side.exists():
                os.replace(side, aside.with_name(aside.name + suffix))
    else:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = db_path.with_name(db_path.name + ".restoring")
    src = _open_ro(file)
    try:
        dst = sqlite3.connect(str(tmp))
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    _fsync(tmp)
    os.replace(tmp, db_path)
    db = Database(db_path)  # migrates a copy from an earlier release to head
    try:
        enrolled = settings.enrolled(db)
        if enrolled:
            with db.transaction() as s:
                settings.SYNC_CURSOR.forget(s, db)
                settings.RESYNC_OWN.put(s, True, db)
    finally:
        db.close()
    return {"ok": True, "restored": str(file), "db": str(db_path), "kept_aside": str(aside) if aside else None,
            "store": info["store"], "register": info["register"], "resync": enrolled,
            "backup_at": taken_at(file)}


def taken_at(file: Path) -> str | None:
    """When a backup was taken, from its name (STORE-REGISTER-YYYYmmddTHHMMSSffffffZ.sqlite3)."""
    stem = Path(file).name.removesuffix(".sqlite3").rsplit("-", 1)[-1]
    try:
        return dt.datetime.strptime(stem, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=dt.timezone.utc).isoformat()
    except ValueError:
        return None


def _head_revision() -> str:
    from alembic.script import ScriptDirectory

    from pos.store.database import alembic_config

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _known_revision(rev: str) -> bool:
    from alembic.script import ScriptDirectory

    from pos.store.database import alembic_config

    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(rev) is not None
    except Exception:  # noqa: BLE001 - alembic raises its own kinds for an unknown id
        return False
