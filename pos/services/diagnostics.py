"""What IT asks first about a till, in one document (issue 19 §3): `python main.py doctor`
and the app's diagnostics window (manager, Ctrl+Shift+I) show the same.

The JSON fields are a public interface (README "Backup, restore, logs, doctor"):
extend, never rename. The device state is handed in by the caller (the CLI and the
app read `devices.config`; the domain does not import devices)."""
from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
from pathlib import Path
from typing import Any

DOCTOR_FORMAT = 1


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def version() -> str:
    """This program's version (the installed distribution's, else pyproject.toml's)."""
    try:
        from importlib.metadata import version as dist_version

        return dist_version("memberpos")
    except Exception:  # noqa: BLE001 - running from a clone without an install
        import tomllib

        try:
            with open(Path(__file__).resolve().parents[2] / "pyproject.toml", "rb") as fh:
                return tomllib.load(fh)["project"]["version"]
        except (OSError, KeyError, ValueError):
            return "unknown"


def diagnose(db, devices: dict[str, Any] | None = None) -> dict[str, Any]:
    """What IT asks first, in one document (the fields are documented in the README)."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import func, select

    from pos import logs
    from pos.store import backup as bk
    from pos.store import program_store
    from pos.store import settings as store_settings
    from pos.store.database import alembic_config
    from pos.store.models import OutboxEvent
    from alembic.script import ScriptDirectory

    path = db.path
    with db.engine.connect() as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    try:
        free = shutil.disk_usage(path.parent).free
    except OSError:
        free = None
    with db.read() as s:
        counts = dict(s.execute(select(OutboxEvent.status, func.count()).group_by(OutboxEvent.status)).all())
        oldest = s.scalar(select(func.min(OutboxEvent.created_at)).where(OutboxEvent.status == "pending"))
    try:
        program = program_store.active(db).version
    except Exception:  # noqa: BLE001 - DomainError("program.none")
        program = None
    directory = bk.dir_of(db)
    copies = bk.kept(directory, db.store_code, store_settings.REGISTER_NO.get(db))
    last = store_settings.BACKUP_LAST.get(db) or None
    if copies and (not last or Path(last.get("file", "")).name != copies[-1].name):
        newest = copies[-1]
        last = {"file": str(newest), "at": bk.taken_at(newest), "bytes": _size(newest)}
    now = dt.datetime.now(dt.timezone.utc)
    try:
        import zoneinfo

        local = db.clock.now().astimezone(zoneinfo.ZoneInfo(store_settings.TIMEZONE.get(db)))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        local = db.clock.now()
    enrolled = store_settings.enrolled(db)
    log_file = logs.path() or (logs.log_dir() / f"{logs.APP_NAME}.log")
    problems = []
    if revision != head:
        problems.append(f"schema at {revision}, this release expects {head}")
    if free is not None and free < 500 * 1024 * 1024:
        problems.append(f"less than 500 MB free on the disk of the database ({free // (1024 * 1024)} MB)")
    if last is None:
        problems.append("no backup yet (`python main.py backup`)")
    if counts.get("rejected"):
        problems.append(f"{counts['rejected']} event(s) refused by HQ (`python main.py sync status`)")
    if store_settings.RESYNC_OWN.get(db):
        problems.append("restored from a backup: waiting for the re-sync with HQ (`python main.py sync --once`)")
    devices = devices or {"config_file": None, "state": "unknown"}
    if devices.get("state") == "invalid":
        problems.append("device settings file is invalid")
    if db.test_clock:
        problems.append("a test clock is set (POS_CLOCK): records are marked as test")
    return {
        "format": DOCTOR_FORMAT,
        "ok": not problems,
        "problems": problems,
        "version": version(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "store": {"code": db.store_code, "name": store_settings.STORE_NAME.get(db), "register": store_settings.REGISTER_NO.get(db)},
        "schema": {"revision": revision, "head": head, "up_to_date": revision == head},
        "database": {"path": str(path), "bytes": _size(path), "wal_bytes": _size(path.with_name(path.name + "-wal")) or 0,
                     "free_disk_bytes": free},
        "backup": {"dir": str(directory), "keep": bk.keep_of(db), "copies": len(copies), "last": last},
        "sync": {"enrolled": enrolled, "hq": store_settings.HQ_URL.get(db),
                 "events_waiting": int(counts.get("pending", 0)), "events_refused": int(counts.get("rejected", 0)),
                 "events_sent": int(counts.get("sent", 0)),
                 "oldest_waiting_at": oldest.isoformat() if oldest else None,
                 "last_sync_at": store_settings.LAST_SYNC_AT.get(db), "resync_pending": store_settings.RESYNC_OWN.get(db)},
        "devices": devices,
        "program_version": program,
        "clock": {"utc": now.isoformat(), "local": local.isoformat(), "timezone": store_settings.TIMEZONE.get(db),
                  "test_clock": db.test_clock, "system_timezone": dt.datetime.now().astimezone().tzname()},
        "log": {"file": str(log_file), "level": os.environ.get(logs.LOG_LEVEL_ENV, "INFO")},
    }


def report_text(d: dict[str, Any]) -> str:
    """The same, for a person (and the app's "copy report")."""
    mb = lambda n: "-" if n is None else f"{n / (1024 * 1024):.1f} MB"  # noqa: E731
    db, sy, b, c, dv = d["database"], d["sync"], d["backup"], d["clock"], d["devices"]
    last = b["last"]
    lines = [
        f"memberpos {d['version']} (Python {d['python']}, {d['platform']})",
        f"store {d['store']['code']} {d['store']['name'] or ''} register {d['store']['register']}",
        f"schema {d['schema']['revision']} (head {d['schema']['head']}{', up to date' if d['schema']['up_to_date'] else ''})",
        f"database {db['path']}: {mb(db['bytes'])}, WAL {mb(db['wal_bytes'])}, free disk {mb(db['free_disk_bytes'])}",
        f"last backup: {last['at'] + ' ' + last['file'] if last else 'none'} ({b['copies']} kept of {b['keep']} in {b['dir']})",
        (f"sync: enrolled with {sy['hq']}; {sy['events_waiting']} waiting, {sy['events_refused']} refused, "
         f"last sync {sy['last_sync_at'] or 'never'}" + ("; re-sync after restore pending" if sy["resync_pending"] else ""))
        if sy["enrolled"] else f"sync: not enrolled; {sy['events_waiting']} event(s) kept for HQ",
        f"devices: {dv.get('state')} ({dv.get('config_file')})" + (
            f": scanner {dv['scanner']}, card reader {dv['card_reader']}, printer {dv['printer']}, "
            f"display {'on' if dv['display'] else 'off'}" if "scanner" in dv else ""),
        f"program {d['program_version'] or 'none'}",
        f"clock {c['local']} ({c['timezone']}), UTC {c['utc']}" + (" TEST CLOCK" if c["test_clock"] else ""),
        f"log {d['log']['file']}",
    ]
    lines += [f"problem: {p}" for p in d["problems"]] or ["no problem found"]
    return "\n".join(lines)


