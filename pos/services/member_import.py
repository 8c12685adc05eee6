"""Member import: a chain's existing members, with their tiers and balances (issue 15 §1).

One CSV (UTF-8 or GB18030), one row per member; `phone` is required, every other
column optional (`COLUMNS`). All rows or none: every bad row is reported with its
line and reason and a file with any error changes nothing (like `catalog import`).

- Opening balances are ledger entries of kind `opening` — points as a lot with
  its expiry (`points_expire_on`, else the program's rule as if earned today),
  stored value as an entry — never a bare number in the balance cache.
- `external_id` (the old system's key) is kept in `member_imports`: importing
  the same file again updates those members and posts only the difference of
  their opening balances, so nothing is doubled.
- The same phone twice in the file, or a phone the store already has under
  another member, is an error by default; `duplicates="merge"` folds such rows
  into one person (the first non-empty value of each field wins, balances add up).
- `qualifying_spend_fen` is the tier spend carried over from the old system; it
  counts toward the member's next tier until their tier next changes
  (`pos.loyalty.tiers.qualifying_spend`).

Rows are written with bulk inserts (a million members in minutes, not hours);
each new member still gets its `member.registered` outbox event, and the ledger
rows reach HQ in the usual `ledger.entries` batches. An enrolled till refuses:
in a chain the import happens at HQ and the members flow down by pull.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import func, select

from pos.store import settings as store_settings
from pos.errors import DomainError, echo
from pos.ids import uuid7
from pos.loyalty import expiry, ledger
from pos.rules import limits, phones
from pos.services import member_bonuses, phone_privacy
from pos.services.csv_files import read_text, whole_number
from pos.services.import_formats import COLUMNS, DUPLICATES, PROFILE  # the file's format (public)
from pos.services.members import clean_tag, member_payload, new_member_code, validate_profile
from pos.store import bulk, program_store
from pos.store.models import (AuditEntry, Coupon, Member, MemberBalance, MemberCard, MemberImport, MemberTag,
                              OutboxEvent, PointsEntry, StoredValueEntry)

_TRUE = {"1", "true", "yes", "y", "是", "同意"}
_FALSE = {"", "0", "false", "no", "n", "否", "不同意"}
_GENDER = {"m": "M", "male": "M", "男": "M", "f": "F", "female": "F", "女": "F"}
_TAG_SPLIT = ("|", ";", "；", "、")
CHUNK = 5000  # rows per bulk insert


@dataclass
class Row:
    line: int
    phone: str  # E.164
    profile: dict[str, Any]
    channel: str | None = None
    joined_at: dt.datetime | None = None
    card_no: str | None = None
    member_code: str | None = None
    tier: str | None = None
    tier_since: dt.datetime | None = None
    tier_expires: dt.date | None = None
    spend_fen: int | None = None
    points: int = 0
    points_expire: dt.datetime | None = None
    sv_fen: int = 0
    tags: list[str] = field(default_factory=list)
    consent: bool | None = None
    external_id: str | None = None
    lines: list[int] = field(default_factory=list)  # every line folded into this one (merge)


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0  # rows folded into another row or an existing member
    points_fen: int = 0  # opening points posted (net)
    stored_value_fen: int = 0  # opening stored value posted (net)
    dry_run: bool = False
    errors: list[tuple[int, str]] = field(default_factory=list)
    signup_points: int = 0  # sign-up rewards given to the new members (none with rewards=False)
    signup_coupons: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "dry_run": self.dry_run, "rows": self.rows, "created": self.created,
                "updated": self.updated, "unchanged": self.unchanged, "merged": self.merged,
                "opening_points": self.points_fen, "opening_stored_value_fen": self.stored_value_fen,
                "signup_points": self.signup_points, "signup_coupons": self.signup_coupons,
                "errors": [{"line": n, "reason": r} for n, r in self.errors]}


# --- parsing ----------------------------------------------------------------

def _nfkc(value: str | None) -> str:
    return unicodedata.normalize("NFKC", value or "").strip()


def _date(value: str, name: str) -> dt.date:
    text = value.replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat("-".join(p.zfill(2) for p in text.split("-")) if len(text) < 10 else text[:10])
    except ValueError:
        raise ValueError(f"{name} must be a date (YYYY-MM-DD), got {echo(value, 24)!r}") from None


def _when(value: str, name: str, clock) -> dt.datetime:
    """A date or a local date-time of the store's zone, as aware UTC."""
    text = value.replace("/", "-").replace("T", " ")
    if len(text) <= 10:
        return clock.start_of_day(_date(text, name))
    try:
        local = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name} must be a date or date-time (YYYY-MM-DD HH:MM), got {echo(value, 24)!r}") from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=clock.tz)
    return local.astimezone(dt.timezone.utc)


class _Context:
    def __init__(self, db, program, region: str | None = None):
        self.db, self.clock, self.program = db, db.clock, program
        self.today = db.clock.today()
        self.now = db.clock.now()
        self.region = region or store_settings.PHONE_REGION.get(db)
        levels = program.tiers.levels
        self.tiers = {lv.code.casefold(): lv.code for lv in levels}
        for lv in levels:  # the tier's name in either language reads as the tier (VIP会员)
            self.tiers.setdefault(_nfkc(lv.name.zh).casefold(), lv.code)
            self.tiers.setdefault(_nfkc(lv.name.en).casefold(), lv.code)
        self.tier_names = ", ".join(lv.code for lv in levels)
        self.prefixes: dict[str, bool] = {}


def _phone(ctx: _Context, text: str) -> str:
    """E.164 of a phone cell. A plain 11-digit Chinese mobile is checked once per
    7-digit prefix (the numbering plan decides validity by the first digits, so
    the prefix's verdict from `phones.normalize` holds for the whole block)."""
    if ctx.region == "CN" and len(text) == 11 and text.isdigit() and text.isascii():
        ok = ctx.prefixes.get(text[:7])
        if ok is None:
            try:
                phones.normalize(text, ctx.region)
                ok = True
            except DomainError:
                ok = False
            ctx.prefixes[text[:7]] = ok
        if ok:
            return "+86" + text
    return phones.normalize(text, ctx.region)


def _parse(ctx: _Context, line: int, rec: dict[str, str]) -> Row:
    get = lambda k: _nfkc(rec.get(k))  # noqa: E731
    try:
        e164 = _phone(ctx, get("phone"))
    except DomainError as exc:
        raise ValueError(f"phone: {exc.message('en')}") from None
    profile: dict[str, Any] = {k: get(k) for k in PROFILE if get(k)}
    if "gender" in profile:
        g = _GENDER.get(profile["gender"].casefold())
        if g is None:
            raise ValueError(f"gender must be M/F (男/女), got {echo(profile['gender'], 8)!r}")
        profile["gender"] = g
    if "birthday" in profile:
        profile["birthday"] = _date(profile["birthday"], "birthday")
    channel = get("channel") or None
    if channel:
        profile["channel"] = channel.lower()
    try:
        profile = validate_profile(profile, ctx.today)
    except DomainError as exc:
        raise ValueError(exc.message("en")) from None
    row = Row(line=line, phone=e164, profile=profile, lines=[line])
    row.channel = profile.pop("channel", None)
    if get("joined_at"):
        row.joined_at = _when(get("joined_at"), "joined_at", ctx.clock)
        if row.joined_at > ctx.now:
            raise ValueError("joined_at is in the future")
    if get("card_no"):
        card = get("card_no")
        if len(card) > 32 or not (card.isascii() and card.isalnum()):
            raise ValueError(f"card_no must be up to 32 letters or digits, got {echo(card, 32)!r}")
        row.card_no = card
    if get("member_code"):
        code = get("member_code").upper()
        if len(code) > 24 or not (code.isascii() and code.isalnum()):
            raise ValueError(f"member_code must be up to 24 letters or digits, got {echo(code, 24)!r}")
        row.member_code = code
    if get("tier"):
        tier = ctx.tiers.get(get("tier").casefold())
        if tier is None:
            raise ValueError(f"unknown tier {echo(get('tier'), 16)!r} (the program has {ctx.tier_names})")
        row.tier = tier
    if get("tier_since"):
        row.tier_since = _when(get("tier_since"), "tier_since", ctx.clock)
    if get("tier_expires"):
        row.tier_expires = _date(get("tier_expires"), "tier_expires")
    if get("qualifying_spend_fen"):
        row.spend_fen = whole_number(get("qualifying_spend_fen"), "qualifying_spend_fen", limits.SALE_MAX_FEN)
    if get("points"):
        row.points = whole_number(get("points"), "points", limits.POINTS_MAX)
    if get("points_expire_on"):
        day = _date(get("points_expire_on"), "points_expire_on")
        if day < ctx.today:
            raise ValueError(f"points_expire_on {day} is in the past: those points have expired")
        row.points_expire = ctx.clock.start_of_day(day + dt.timedelta(days=1))  # valid through that day
    if get("stored_value_fen"):
        row.sv_fen = whole_number(get("stored_value_fen"), "stored_value_fen", limits.SALE_MAX_FEN)
    raw_tags = rec.get("tags") or ""
    for sep in _TAG_SPLIT:
        raw_tags = raw_tags.replace(sep, ",")
    for tag in raw_tags.split(","):
        if _nfkc(tag):
            try:
                row.tags.append(clean_tag(tag))
            except DomainError as exc:
                raise ValueError(f"tags: {exc.message('en')}") from None
    row.tags = list(dict.fromkeys(row.tags))
    consent = get("marketing_consent").casefold()
    if consent not in _TRUE | _FALSE:
        raise ValueError(f"marketing_consent must be yes or no, got {echo(consent, 8)!r}")
    row.consent = (consent in _TRUE) if consent else None
    if get("external_id"):
        ext = get("external_id")
        if len(ext) > 64 or limits.bad_char(ext) is not None:
            raise ValueError("external_id must be up to 64 characters without control characters")
        row.external_id = ext
    return row


def _fold(into: Row, other: Row) -> str | None:
    """Merge `other` into `into` (same phone); None, or why they cannot be one person."""
    if into.external_id and other.external_id and into.external_id != other.external_id:
        return f"same phone as line {into.line} but another external_id"
    for name in ("card_no", "member_code"):
        a, b = getattr(into, name), getattr(other, name)
        if a and b and a != b:
            return f"same phone as line {into.line} but another {name}"
    for key, value in other.profile.items():
        into.profile.setdefault(key, value)
    for name in ("channel", "joined_at", "card_no", "member_code", "tier", "tier_since", "tier_expires",
                 "consent", "external_id", "points_expire"):
        if getattr(into, name) is None:
            setattr(into, name, getattr(other, name))
    if other.joined_at and into.joined_at and other.joined_at < into.joined_at:
        into.joined_at = other.joined_at
    into.spend_fen = (into.spend_fen or 0) + (other.spend_fen or 0) if (into.spend_fen or other.spend_fen) else None
    into.points += other.points
    into.sv_fen += other.sv_fen
    into.tags = list(dict.fromkeys(into.tags + other.tags))
    into.lines += other.lines
    return None


def parse_csv(db, text: str, *, duplicates: str = "report", program=None,
              region: str | None = None) -> tuple[list[Row], list[tuple[int, str]], int]:
    """Rows (one per person), errors (line, reason), and how many file rows were read.
    `db` needs only `.clock` when `program` and `region` are given (HQ's import,
    sync/server/member_import.py, parses with this very code)."""
    ctx = _Context(db, program or program_store.active(db), region)
    reader = csv.DictReader(io.StringIO(text))
    header = [_nfkc(h).lower() for h in (reader.fieldnames or [])]
    if "phone" not in header:
        return [], [(1, "missing column: phone")], 0
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        return [], [(1, f"unknown column(s): {', '.join(unknown)} (known: {', '.join(COLUMNS)})")], 0
    reader.fieldnames = header
    rows: list[Row] = []
    errors: list[tuple[int, str]] = []
    by_phone: dict[str, Row] = {}
    seen: dict[str, dict[str, int]] = {"card_no": {}, "member_code": {}, "external_id": {}}
    read = 0
    for rec in reader:
        line = reader.line_num
        if None in rec:
            errors.append((line, "more fields than columns"))
            continue
        if all(not (v or "").strip() for v in rec.values()):
            continue
        read += 1
        try:
            row = _parse(ctx, line, rec)
        except ValueError as exc:
            errors.append((line, str(exc)))
            continue
        first = by_phone.get(row.phone)
        if first is not None:
            if duplicates != "merge":
                errors.append((line, f"phone {phones.mask(row.phone)} already on line {first.line}"))
                continue
            why = _fold(first, row)
            if why:
                errors.append((line, why))
            continue
        clash = next((f"{name} {getattr(row, name)} already on line {seen[name][getattr(row, name)]}"
                      for name in seen if getattr(row, name) and getattr(row, name) in seen[name]), None)
        if clash:
            errors.append((line, clash))
            continue
        for name in seen:
            if getattr(row, name):
                seen[name][getattr(row, name)] = line
        by_phone[row.phone] = row
        rows.append(row)
    return rows, errors, read


# --- writing ----------------------------------------------------------------

class _Existing:
    """What the store already holds that a row may meet: one query per kind."""

    def __init__(self, s, db):
        self.hashed = phone_privacy.hashed(db)
        column = Member.phone_hash if self.hashed else Member.phone
        self.by_phone = {k: (mid, into) for k, mid, into in s.execute(
            select(column, Member.id, Member.merged_into).where(column.is_not(None)))}
        imported = s.execute(select(MemberImport.member_id, MemberImport.external_id)).all()
        self.imported = dict(imported)  # member id -> its external id (None: imported without one)
        self.by_external = {ext: mid for mid, ext in imported if ext is not None}
        self.cards = dict(s.execute(select(MemberCard.card_no, MemberCard.member_id)).all())
        self.codes = dict(s.execute(select(Member.member_code, Member.id)).all())

    def phone_key(self, db, e164: str) -> str:
        return phone_privacy.lookup(db, e164)[1] if self.hashed else e164

    def member_of_phone(self, s, db, e164: str):
        hit = self.by_phone.get(self.phone_key(db, e164))
        if hit is None:
            return None
        mid, into = hit
        for _ in range(8):  # a merged record's phone belongs to its survivor
            if into is None:
                return mid
            mid, into = s.execute(select(Member.id, Member.merged_into).where(Member.id == into)).one()
        return mid


def import_csv(db, path: str | Path, *, duplicates: str = "report", dry_run: bool = False,
               actor: str = "import", rewards: bool = True) -> ImportReport:
    """Import members from a CSV file. All rows or none; `dry_run` checks everything
    (the store's existing members included) and writes nothing. Each new member gets
    the program's sign-up rewards (pos.services.member_bonuses) unless `rewards` is False;
    members found again (re-import, merge) never get them twice."""
    if duplicates not in DUPLICATES:
        raise DomainError("member_import.duplicates", value=str(duplicates)[:16])
    from pos.store.settings import enrolled

    if enrolled(db):
        raise DomainError("member_import.enrolled")
    program = program_store.active(db)
    rows, errors, read = parse_csv(db, read_text(Path(path), "member_import.file"), duplicates=duplicates, program=program)
    report = ImportReport(rows=read, errors=errors, dry_run=dry_run)
    report.merged = sum(len(r.lines) - 1 for r in rows)
    if errors:
        return report
    try:
        _write(db, program, rows, report, duplicates, actor, dry_run, rewards)
    except _DryRun:
        pass  # checked against the store, counted, rolled back
    except _Abort:
        report.created = report.updated = report.unchanged = report.merged = 0
        report.points_fen = report.stored_value_fen = report.signup_points = report.signup_coupons = 0
    return report


class _Abort(Exception):
    """Raised inside the transaction so that nothing of the file is kept."""


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _write(db, program, rows: list[Row], report: ImportReport, duplicates: str, actor: str, dry_run: bool,
           rewards: bool = True) -> None:
    now = db.clock.now()
    store, test_clock = db.store_code, db.test_clock
    with db.transaction() as s:
        have = _Existing(s, db)
        new_rows: list[tuple[Row, uuid.UUID]] = []
        old_rows: list[tuple[Row, uuid.UUID]] = []
        for row in rows:
            by_ext = have.by_external.get(row.external_id) if row.external_id else None
            by_phone = have.member_of_phone(s, db, row.phone)
            if by_ext is not None:
                if by_phone is not None and by_phone != by_ext:
                    report.errors.append((row.line, f"external_id {row.external_id} is another member than phone {phones.mask(row.phone)}"))
                    continue
                old_rows.append((row, by_ext))
            elif by_phone is not None and by_phone in have.imported and have.imported[by_phone] is None \
                    and row.external_id is None:
                old_rows.append((row, by_phone))  # imported before without a key: the phone is the key
            elif by_phone is not None:
                if duplicates != "merge":
                    code = s.scalar(select(Member.member_code).where(Member.id == by_phone))
                    report.errors.append((row.line, f"phone {phones.mask(row.phone)} already belongs to member {code}"))
                    continue
                report.merged += 1
                old_rows.append((row, by_phone))
            else:
                new_rows.append((row, uuid7()))
        for row, mid in new_rows + old_rows:
            if row.card_no and have.cards.get(row.card_no, mid) != mid:
                report.errors.append((row.line, f"card_no {row.card_no} belongs to another member"))
            if row.member_code and have.codes.get(row.member_code, mid) != mid:
                report.errors.append((row.line, f"member_code {row.member_code} belongs to another member"))
        if report.errors:
            report.errors.sort()
            raise _Abort
        _insert_new(s, db, program, new_rows, now, store, test_clock, rewards)
        report.created = len(new_rows)
        if rewards:
            report.signup_points = len(new_rows) * program.membership.signup_points
            report.signup_coupons = len(new_rows) * len(program.issuance.signup)
        report.points_fen = sum(r.points for r, _ in new_rows)
        report.stored_value_fen = sum(r.sv_fen for r, _ in new_rows)
        for row, mid in old_rows:
            if _update(s, db, program, row, mid, now, have, report):
                report.updated += 1
            else:
                report.unchanged += 1
        if report.errors:
            raise _Abort
        s.add(AuditEntry(id=uuid7(), at=now, actor=actor, action="member.import", target=None,
                         details={"created": report.created, "updated": report.updated, "merged": report.merged},
                         test_clock=test_clock))
        if dry_run:
            raise _DryRun


class _DryRun(_Abort):
    """Everything checked and counted; rolled back."""


def _opening_expiry(program, row: Row, now: dt.datetime, clock) -> dt.datetime | None:
    return row.points_expire if row.points_expire is not None else expiry.lot_expiry(program, now, clock)


def _insert_new(s, db, program, new_rows, now, store, test_clock, rewards: bool = False) -> None:
    conn = s.connection()
    base_tier = program.tiers.levels[0].code
    for chunk in _chunks(new_rows):
        members, balances, events, tags, cards, imports, lots, svs = [], [], [], [], [], [], [], []
        for row, mid in chunk:
            held = phone_privacy.stored(db, row.phone)
            joined = row.joined_at or now
            tier = row.tier or base_tier
            m = dict(id=mid, member_code=row.member_code or new_member_code(), **held,
                     channel=row.channel or "import", marketing_consent=bool(row.consent),
                     consent_at=now if row.consent else None, tier_code=tier,
                     tier_since=row.tier_since or joined, tier_expires=row.tier_expires,
                     joined_at=joined, joined_store=store, status="active", created_at=now, updated_at=now,
                     test_clock=test_clock, referrer_id=None, merged_into=None,
                     **{k: row.profile.get(k) for k in ("name", "gender", "birthday", "region", "address",
                                                        "occupation", "income_band", "preferences")})
            members.append(m)
            balances.append(dict(member_id=mid, points=row.points + (program.membership.signup_points if rewards else 0),
                                 stored_value_fen=row.sv_fen, updated_at=now))
            payload = member_payload(_Plain(m))
            payload["phone"] = row.phone  # HQ gets the number once (pos.services.phone_privacy.after_push)
            payload["cards"] = [row.card_no] if row.card_no else []
            payload["tier"] = tier
            events.append(dict(event_id=uuid7(), kind="member.registered", created_at=now, status="pending",
                               test_clock=test_clock, payload={"store": store, **payload}))
            tags += [dict(member_id=mid, tag=t, source="manual", created_at=now) for t in row.tags]
            if row.card_no:
                cards.append(dict(id=uuid7(), card_no=row.card_no, member_id=mid, kind="magstripe",
                                  status="active", issued_at=now, test_clock=test_clock))
            imports.append(dict(member_id=mid, external_id=row.external_id, qualifying_spend_fen=row.spend_fen or 0,
                                spend_as_of=now, imported_at=now, updated_at=now))
            if row.points:
                lots.append(dict(id=uuid7(), member_id=mid, kind="opening", points=row.points, created_at=now,
                                 available_at=now, expires_at=_opening_expiry(program, row, now, db.clock),
                                 store_code=store, program_version=program.version,
                                 reason="opening balance (import)", test_clock=test_clock,
                                 reverses_id=None, source_lot_id=None, sale_id=None))
            if row.sv_fen:
                svs.append(dict(id=uuid7(), member_id=mid, kind="opening", amount_fen=row.sv_fen, created_at=now,
                                store_code=store, reason="opening balance (import)", test_clock=test_clock,
                                reverses_id=None, sale_id=None))
        coupons: list = []
        if rewards:  # the sign-up rewards as bulk rows, after each member's registration event
            bonus_lots, coupons, coupon_events = member_bonuses.signup_rows(db, program, [mid for _, mid in chunk], now)
            lots += bonus_lots
            events += coupon_events
        for model, values in ((Member, members), (MemberBalance, balances), (OutboxEvent, events),
                              (MemberTag, tags), (MemberCard, cards), (MemberImport, imports),
                              (PointsEntry, lots), (StoredValueEntry, svs), (Coupon, coupons)):
            bulk.insert_rows(conn, model.__table__, values)


class _Plain:
    """Attribute access over a row dict, for the shared registration payload."""

    def __init__(self, values: dict[str, Any]):
        self.__dict__.update(values)


def _update(s, db, program, row: Row, mid: uuid.UUID, now: dt.datetime, have: _Existing, report: ImportReport) -> bool:
    """Bring an existing member to what the row says; True if anything changed."""
    from pos.store.outbox import emit

    m = s.get(Member, mid)
    changed: dict[str, Any] = {}
    for key, value in row.profile.items():
        if getattr(m, key) != value:
            setattr(m, key, value)
            changed[key] = value.isoformat() if isinstance(value, dt.date) else value
    if row.consent is not None and row.consent != m.marketing_consent:
        m.marketing_consent, m.consent_at = row.consent, now if row.consent else None
        changed["marketing_consent"] = row.consent
    if changed:
        m.updated_at = now
        emit(s, db, "member.updated", {"id": str(m.id), "fields": changed, "at": now.isoformat()})
    if row.tier and (row.tier != m.tier_code or (row.tier_expires and row.tier_expires != m.tier_expires)):
        m.tier_code, m.tier_expires = row.tier, row.tier_expires or m.tier_expires
        m.tier_since = row.tier_since or now
        m.updated_at = now
        emit(s, db, "member.tier", {"member_id": str(m.id), "from": None, "to": row.tier, "reason": "import",
                                    "at": now.isoformat()})
        changed["tier"] = row.tier
    for tag in row.tags:
        if s.get(MemberTag, (mid, tag)) is None:
            s.add(MemberTag(member_id=mid, tag=tag, source="manual", created_at=now))
            emit(s, db, "member.tag", {"member_id": str(mid), "tag": tag, "on": True})
            changed.setdefault("tags", []).append(tag)
    if row.card_no and row.card_no not in have.cards:
        s.add(MemberCard(id=uuid7(), card_no=row.card_no, member_id=mid, issued_at=now, test_clock=db.test_clock))
        emit(s, db, "card.issued", {"member_id": str(mid), "card_no": row.card_no, "kind": "magstripe"})
        changed["card_no"] = True
    imp = s.get(MemberImport, mid)
    if imp is None:
        imp = MemberImport(member_id=mid, external_id=row.external_id, qualifying_spend_fen=row.spend_fen or 0,
                           spend_as_of=now, imported_at=now, updated_at=now)
        s.add(imp)
        changed["import"] = True
    else:
        if row.external_id and imp.external_id != row.external_id:
            imp.external_id, imp.updated_at = row.external_id, now
            changed["external_id"] = True
        if row.spend_fen is not None and row.spend_fen != imp.qualifying_spend_fen:
            imp.qualifying_spend_fen, imp.spend_as_of, imp.updated_at = row.spend_fen, now, now
            changed["qualifying_spend_fen"] = row.spend_fen
    # opening balances: post the difference to what earlier imports posted
    had_points = int(s.scalar(select(func.coalesce(func.sum(PointsEntry.points), 0))
                              .where(PointsEntry.member_id == mid, PointsEntry.kind == "opening")))
    diff = row.points - had_points
    if diff > 0:
        ledger.credit(s, mid, "opening", diff, now=now, expires_at=_opening_expiry(program, row, now, db.clock),
                      test_clock=db.test_clock, store_code=db.store_code, program_version=program.version,
                      reason="opening balance (import)")
    elif diff < 0:
        lots = [lot for lot in ledger.open_lots(s, mid) if lot.kind == "opening"]
        ledger.debit(s, mid, "opening", -diff, now=now, lots=lots, allow_debt=True, test_clock=db.test_clock,
                     store_code=db.store_code, reason="opening balance corrected (import)")
    had_sv = int(s.scalar(select(func.coalesce(func.sum(StoredValueEntry.amount_fen), 0))
                          .where(StoredValueEntry.member_id == mid, StoredValueEntry.kind == "opening")))
    sv_diff = row.sv_fen - had_sv
    if sv_diff < 0 and ledger.sv_balance(s, mid) + sv_diff < 0:
        report.errors.append((row.line, f"stored_value_fen {row.sv_fen}: the member has spent part of the earlier "
                                        f"opening balance; it cannot go below what was spent"))
        return True
    if sv_diff:
        ledger.sv_post(s, mid, "opening", sv_diff, now=now, test_clock=db.test_clock, store_code=db.store_code,
                       reason="opening balance (import)")
    report.points_fen += diff
    report.stored_value_fen += sv_diff
    return bool(changed or diff or sv_diff)
