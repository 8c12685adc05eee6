"""The store's settings: every one declared here, typed, with its default and its check.

The `settings` table holds one JSON value per key. Each setting the code reads is
an `Option` below (name, type, default, validation, what reads it): `OPT.get(db)`
gives the typed value (the default when the store has none), `OPT.set(db, v)`
checks and stores it — a bad value is refused with `DomainError("settings.bad_value")`
naming the setting, nothing is written. Inside a transaction `OPT.read(s)` /
`OPT.put(s, v, db)` do the same (the cache follows once the transaction commits).

`Database` keeps every row in `db.settings` (a dict: declared options typed; rows
that other modules keep in this table, e.g. a cached ranking, as stored).

Upgrade steps (MusicBrainz Picard's `config_upgrade`): the store's settings
version is the row `settings.version`; when a store opens, each step above it runs
in order, in one transaction, and the version moves to `VERSION`. A store from a
newer release is refused (`settings.newer`), as the device settings file is
(`devices/config.py`, which validates with pydantic the same way).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
import zoneinfo
from dataclasses import dataclass, field
from typing import Annotated, Any, Callable, Generic, TypeVar

from pydantic import AfterValidator, Field, TypeAdapter, ValidationError
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from pos.errors import DomainError
from pos.rules import limits
from pos.store.models import Setting

log = logging.getLogger("memberpos.settings")
T = TypeVar("T")

VERSION_KEY = "settings.version"
OPTIONS: dict[str, "Option"] = {}


@dataclass(frozen=True, eq=False)
class Option(Generic[T]):
    name: str
    type: Any  # a pydantic-validatable type (constraints in Annotated)
    default: T
    doc: str
    initial: bool = False  # written into a new store (its identity), so every tool sees it
    _adapter: TypeAdapter = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_adapter", TypeAdapter(self.type))
        if self.name in OPTIONS:
            raise ValueError(f"setting {self.name!r} declared twice")
        OPTIONS[self.name] = self

    def check(self, value: Any) -> T:
        """The value as this setting's type, or DomainError naming the setting."""
        try:
            return self._adapter.validate_python(value)
        except ValidationError as exc:
            err = exc.errors()[0]
            reason = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            raise DomainError("settings.bad_value", name=self.name, value=repr(value)[:40], reason=reason) from None

    def get(self, db) -> T:
        return db.settings.get(self.name, self.default)

    def set(self, db, value: Any) -> None:
        value = self.check(value)
        with db.transaction() as s:
            s.merge(Setting(key=self.name, value=value))
        db.settings[self.name] = value

    def read(self, s: Session) -> T:
        """The stored value, read in the caller's session (another process may have changed it)."""
        row = s.get(Setting, self.name)
        return self.default if row is None else row.value

    def put(self, s: Session, value: Any, db=None) -> None:
        """Store in the caller's transaction; `db`'s cache follows when it commits."""
        value = self.check(value)
        s.merge(Setting(key=self.name, value=value))
        if db is not None:
            _after_commit(s, db)[self.name] = value

    def forget(self, s: Session, db=None) -> None:
        """Remove the row (the default applies again)."""
        s.query(Setting).filter(Setting.key == self.name).delete()
        if db is not None:
            _after_commit(s, db)[self.name] = _FORGET


_FORGET = object()


def _after_commit(s: Session, db) -> dict[str, Any]:
    pending = s.info.get("settings.pending")
    if pending is None:
        pending = s.info["settings.pending"] = {}

        def apply(_session):
            for name, value in pending.items():
                if value is _FORGET:
                    db.settings.pop(name, None)
                else:
                    db.settings[name] = value
            s.info.pop("settings.pending", None)

        event.listen(s, "after_commit", apply, once=True)
        event.listen(s, "after_rollback", lambda _s: s.info.pop("settings.pending", None), once=True)
    return pending


# --- checks -------------------------------------------------------------------------------------

def _pattern(rx: str, what: str) -> Callable[[str], str]:
    def check(v: str) -> str:
        if not re.fullmatch(rx, v):
            raise ValueError(f"must be {what}")
        return v
    return check


def _zone(v: str) -> str:
    try:
        zoneinfo.ZoneInfo(v)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError("must be an IANA time zone such as Asia/Shanghai") from None
    return v


def _iso_date(v: str | None) -> str | None:
    if v is not None:
        try:
            dt.date.fromisoformat(v)
        except ValueError:
            raise ValueError("must be a date YYYY-MM-DD") from None
    return v


def _iso_time(v: str | None) -> str | None:
    if v is not None:
        try:
            dt.datetime.fromisoformat(v)
        except ValueError:
            raise ValueError("must be an ISO date and time") from None
    return v


def _url(v: str | None) -> str | None:
    if v and not v.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return v


def _join_link(v: dict[str, str] | None) -> dict[str, str] | None:
    if v is not None:
        if not str(v.get("url", "")).startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        for k in ("expires_at", "fetched_at"):
            try:
                dt.datetime.fromisoformat(str(v.get(k)))
            except ValueError:
                raise ValueError(f"{k} must be an ISO date and time") from None
    return v


def Code(n: int):
    """A code that goes into receipt numbers and HQ's columns: 1-n characters, no spaces."""
    return Annotated[str, AfterValidator(_pattern(rf"[^\s]{{1,{n}}}", f"1-{n} characters without spaces"))]


Fen = Annotated[int, Field(ge=0, le=2_000_000_000)]

# --- the settings (grouped by who reads them) -----------------------------------------------------

# the store's identity: receipts, outbox events, the screens, the clock (a new store writes these)
STORE_CODE = Option("store_code", Code(limits.TEXT_MAX["store_code"]), "S001",
                    "the store's code (HQ's at enrolment); on every sale and event", initial=True)
STORE_NAME = Option("store_name", Annotated[str, Field(max_length=limits.TEXT_MAX["store_name"])], "Demo store",
                    "shown in the title, on sign-in and on receipts", initial=True)
REGISTER_NO = Option("register_no", Code(limits.TEXT_MAX["register_no"]), "01",
                     "this till's register: in receipt numbers, sales, shifts, baskets", initial=True)
TIMEZONE = Option("timezone", Annotated[str, AfterValidator(_zone)], "Asia/Shanghai",
                  "the store's zone: business dates (pos.clock)", initial=True)
PHONE_REGION = Option("phone_region", Annotated[str, AfterValidator(_pattern(r"[A-Z]{2}", "a two-letter region such as CN"))],
                      "CN", "region of phone numbers typed without a country code", initial=True)

# enrolment with HQ (sync.engine.enrol) and the sync's state
HQ_URL = Option("sync.hq_url", Annotated[str | None, AfterValidator(_url)], None, "HQ's address; set = enrolled")
HQ_TOKEN = Option("sync.token", str | None, None, "this till's credential at HQ")
SYNC_CURSOR = Option("sync.cursor", str | None, None, "where the last pull stopped")
LEDGER_ROWIDS = Option("sync.ledger_rowids", dict[str, int] | None, None,
                       "ledger rows up to these rowids are captured for HQ")
LAST_SYNC_AT = Option("sync.last_sync_at", Annotated[str | None, AfterValidator(_iso_time)], None,
                      "when the last sync round started (`sync status`)")
RESYNC_OWN = Option("sync.resync_own", bool, False, "restored from a backup: the next pull brings this store's own rows too")
SYNC_INTERVAL_S = Option("sync.interval_s", Annotated[float, Field(ge=1, le=86_400)], 30.0,
                         "seconds between the app's background sync rounds")
JOIN_LINK = Option("store.join_link", Annotated[dict[str, str] | None, AfterValidator(_join_link)], None,
                   "HQ's signed join link of this store (url, expires_at, fetched_at): the customer screen's QR "
                   "while the till is idle (sync.join_link; refreshed by the sync)")

# phone numbers on an enrolled till (pos.services.phone_privacy)
PHONE_KEY_ID = Option("phone.key_id", str | None, None, "the chain's phone key file; set = numbers are hashed")
PHONE_KEY_CHECK = Option("phone.key_check", str | None, None, "check value of the key file")
PHONE_OFFLINE_UNMASK = Option("phone.offline_unmask", bool, False, "the chain keeps full numbers on its tills")
PHONE_SCRUBBED = Option("phone.scrubbed", bool, False, "sent registrations were cleared of numbers once")
PHONE_VACUUMED = Option("phone.vacuumed", bool, False, "the file was vacuumed once after numbers were cleared")

# backups (pos.store.backup)
BACKUP_DIR = Option("backup.dir", str | None, None, "where backups go (default: backups/ beside the database)")
BACKUP_KEEP = Option("backup.keep", Annotated[int, Field(ge=1, le=1000)], 7, "backups kept; older ones are removed")
BACKUP_LAST = Option("backup.last", dict[str, Any] | None, None, "the last backup (file, at, bytes, reason): `doctor`")

# daily jobs and derived data
DAILY_RAN_ON = Option("daily.ran_on", Annotated[str | None, AfterValidator(_iso_date)], None,
                      "business date of the last daily run (pos.services.daily)")
CAUGHT_UP_TO = Option("daily.caught_up_to", Annotated[str | None, AfterValidator(_iso_date)], None,
                      "the last business day `daily --since` replayed (a stopped catch-up resumes after it)")
SEGMENTS_TAGGED_ON = Option("segments.tagged_on", Annotated[str | None, AfterValidator(_iso_date)], None,
                            "business date the segment tags were written for; set = tags in use")
CATEGORY_TOP = Option("suggest.category_top", dict[str, list[str]], {},
                      "best sellers per category (pos.services.suggestions.rebuild)")

# the counter's thresholds and mode (app/)
DEMO_STORE = Option("demo_store", bool, False, "a demo store: the sign-in screen shows the demo PINs")
CASH_CONFIRM_ABOVE_FEN = Option("cash.confirm_above_fen", Fen, 1_000_000, "cash above this asks the cashier first")
RETURNS_MANAGER_ABOVE_FEN = Option("returns.manager_above_fen", Fen, 50_000, "a refund above this needs a manager")

# the local API for a host POS on this machine (`python main.py serve`, pos.cli.serve)
API_TOKEN = Option("api.token", Annotated[str, AfterValidator(_pattern(r"[A-Za-z0-9_-]{32,128}", "32-128 URL-safe characters"))] | None,
                   None, "the bearer token `serve` asks of every request (made on the first serve; --rotate-token replaces it)")

PARCEL_OVERDUE_DAYS = Option("parcel.overdue_days", Annotated[int, Field(ge=1, le=90)], 7,
                             "a parcel not collected this many days after it arrived is listed for return to the courier")


def enrolled(db) -> bool:
    """Is this till enrolled with HQ? (an HQ address and a credential): the one check."""
    return bool(HQ_URL.get(db) and HQ_TOKEN.get(db))


def reload(db, *options: Option) -> None:
    """Refresh `db.settings` for these from the file (another process changed them: the CLI enrolled)."""
    with db.read() as s:
        for o in options:
            row = s.get(Setting, o.name)
            if row is None:
                db.settings.pop(o.name, None)
            else:
                db.settings[o.name] = row.value


def read_conn(conn, *options: Option) -> tuple:
    """Values read on a DB-API connection of its own (pos.services.members.MemberIndex)."""
    got = dict(conn.execute(f"SELECT key, value FROM settings WHERE key IN ({','.join('?' * len(options))})",
                            [o.name for o in options]).fetchall())
    # JSON text; a number comes back as one (the column's affinity is NUMERIC)
    return tuple(o.default if got.get(o.name) is None else json.loads(got[o.name]) if isinstance(got[o.name], str)
                 else got[o.name] for o in options)


def initial() -> dict[str, Any]:
    """What a new store holds: its identity's defaults and the settings version."""
    out: dict[str, Any] = {o.name: o.default for o in OPTIONS.values() if o.initial}
    out[VERSION_KEY] = VERSION
    return out


# --- upgrade steps ----------------------------------------------------------------------------------

def _register_as_text(rows: dict[str, Any]) -> None:
    """Old stores kept the register as a number (1): it is text, two digits at least ("01")."""
    v = rows.get(REGISTER_NO.name)
    if isinstance(v, int) and not isinstance(v, bool) and v >= 0:
        rows[REGISTER_NO.name] = f"{v:02d}"


def _typed_values(rows: dict[str, Any]) -> None:
    """Values written as text ("true", "1", "50000", "30") become their type (bool, int,
    float); a value that cannot be one is dropped (logged): the default applies."""
    for name, value in list(rows.items()):
        opt = OPTIONS.get(name)
        if opt is None:
            continue
        if isinstance(value, str) and opt.default is None and not value.strip():
            value = None  # "" was the old way to say "not set"
        try:  # pydantic's lax mode reads "true"/"yes"/"1" as True, "50000" as 50000
            rows[name] = opt.check(value)
        except DomainError as exc:
            log.warning("setting %s: stored value dropped (%s); the default applies", name, exc.params["reason"])
            del rows[name]


# step n takes a store from version n-1 to n
UPGRADES: list[Callable[[dict[str, Any]], None]] = [_register_as_text, _typed_values]
VERSION = len(UPGRADES)


def load(db) -> dict[str, Any]:
    """Every row of the settings table, upgraded to `VERSION` and with the identity's
    defaults written where missing, in one transaction (what `Database` opens with)."""
    with db.transaction() as s:
        stored = {row.key: row.value for row in s.scalars(select(Setting))}
        version = stored.get(VERSION_KEY, 0)
        if not isinstance(version, int) or version > VERSION:
            raise DomainError("settings.newer", path=str(db.path), version=version, known=VERSION)
        if version < VERSION:
            rows = dict(stored)
            for step in UPGRADES[version:]:
                step(rows)
            rows[VERSION_KEY] = VERSION
            for key in stored.keys() - rows.keys():
                s.query(Setting).filter(Setting.key == key).delete()
            for key, value in rows.items():
                if key not in stored or stored[key] != value or type(stored[key]) is not type(value):
                    s.merge(Setting(key=key, value=value))
            if version:
                log.info("settings upgraded from version %s to %s", version, VERSION)
            stored = rows
        for key, value in initial().items():
            if key not in stored:
                s.add(Setting(key=key, value=value))
                stored[key] = value
    return stored
