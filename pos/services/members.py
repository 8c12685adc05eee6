"""Members: join with a phone number, identify, profile, cards, tags, merge.

The phone number (E.164) is the merge key across channels. Identification is
the cashier's hot path, so it runs one indexed query on a dedicated DB-API
connection (`MemberIndex`) instead of building ORM objects.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
import unicodedata
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pos.ids import random_code, uuid7
from pos.store import settings as store_settings
from pos.loyalty import ledger
from pos.rules import limits, phones
from pos.rules import merge as merge_rules
from pos.services import phone_privacy
from pos.errors import DomainError
from pos.store.models import Member, MemberBalance, MemberCard, MemberMerge, MemberNote, MemberTag
from pos.store.outbox import audit, emit

CHANNELS = ("store", "online", "miniprogram", "alliance", "qr", "import")
DEFAULT_TIER_ORDER = merge_rules.DEFAULT_TIER_ORDER


def new_member_code() -> str:
    """`M` + 11 Crockford base-32 characters: printable as barcode/QR, no I/L/O/U."""
    return random_code("M", 11)


def mask_name(name: str | None) -> str:
    """王小明 -> 王**, for messages that must name a member without exposing them."""
    if not name:
        return ""
    return name[0] + "*" * min(len(name) - 1, 3)


# --- profile ---------------------------------------------------------------

def _no_control(value: str | None) -> str | None:
    if value is None:
        return None
    value = unicodedata.normalize("NFKC", value).strip()
    if limits.bad_char(value) is not None:  # NUL, controls, lone surrogates, bidi overrides (pos/rules/limits.py)
        raise ValueError("contains control characters")
    return value or None


def _preferences(v: Any) -> Any:
    """Bounded like every text HQ keeps: at most 20 keys of 20 short clean values."""
    if isinstance(v, dict):
        if len(v) > 20 or any(isinstance(x, list) and len(x) > 20 for x in v.values()):
            raise ValueError("at most 20 keys of at most 20 values")
        for key, values in v.items():
            for text in [key, *(values if isinstance(values, list) else [])]:
                if isinstance(text, str) and (len(text) > 64 or limits.bad_char(text) is not None):
                    raise ValueError("keys and values are at most 64 characters, without control characters")
    return v


class Profile(BaseModel):
    """The optional fields of SPEC §1; every one validated, all optional."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, max_length=64)
    gender: Literal["M", "F"] | None = None
    birthday: dt.date | None = None
    region: str | None = Field(None, max_length=64)
    address: str | None = Field(None, max_length=200)
    occupation: str | None = Field(None, max_length=64)
    income_band: str | None = Field(None, max_length=32)
    preferences: dict[str, list[str]] | None = None
    channel: Literal[CHANNELS] | None = None  # type: ignore[valid-type]
    marketing_consent: bool | None = None

    _clean = field_validator("name", "region", "address", "occupation", "income_band", mode="before")(
        lambda v: _no_control(v) if isinstance(v, str) else v
    )
    _prefs = field_validator("preferences", mode="before")(_preferences)

    @field_validator("birthday")
    @classmethod
    def _plausible(cls, v: dt.date | None, info: ValidationInfo) -> dt.date | None:
        today = (info.context or {}).get("today") or dt.date.today()  # the store's clock when given
        if v is not None and not (dt.date(1900, 1, 1) <= v <= today):
            raise ValueError("must be between 1900-01-01 and today")
        return v


PROFILE_FIELDS = tuple(f for f in Profile.model_fields if f not in ("channel", "marketing_consent"))


def validate_profile(fields: dict[str, Any], today: dt.date | None = None) -> dict[str, Any]:
    try:
        profile = Profile.model_validate(fields, context={"today": today})
    except ValidationError as exc:
        err = exc.errors()[0]
        name = ".".join(str(p) for p in err["loc"]) or "profile"
        raise DomainError("member.bad_field", field=name, reason=err["msg"]) from None
    return profile.model_dump(exclude_unset=True)


# --- views -----------------------------------------------------------------

@dataclass(frozen=True)
class MemberSummary:
    """What identification returns: enough for the pick list and the panel header."""

    id: str
    member_code: str
    name: str | None
    phone_masked: str
    tier: str
    status: str

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class MemberDetail:
    id: str
    member_code: str
    name: str | None
    phone_masked: str
    tier: str
    tier_since: str | None
    tier_expires: str | None
    status: str
    merged_into: str | None
    gender: str | None
    birthday: str | None
    region: str | None
    address: str | None
    occupation: str | None
    income_band: str | None
    preferences: dict[str, list[str]] | None
    channel: str
    marketing_consent: bool
    joined_at: str
    joined_store: str | None
    cards: list[dict[str, str]] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)
    points: int = 0
    stored_value_fen: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _summary(m: Member) -> MemberSummary:
    return MemberSummary(str(m.id), m.member_code, m.name, phones.mask(m.phone_masked or m.phone), m.tier_code, m.status)


# --- identification (hot path) ----------------------------------------------

# an enrolled till keeps only the masked form (pos.services.phone_privacy); older rows only the phone
_COLS = "m.id, m.member_code, m.name, COALESCE(m.phone_masked, m.phone), m.tier_code, m.status, m.merged_into"


class MemberIndex:
    """Index-backed lookups on a DB-API connection of its own (WAL lets it
    read while the app writes). Each is one prepared statement."""

    def __init__(self, path: str, region: str = phones.DEFAULT_REGION):
        self.region = region
        self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA busy_timeout=10000")
        self.conn.execute("PRAGMA query_only=ON")
        self._load_key()

    def _load_key(self) -> None:
        """An enrolled till looks phones up by their keyed hash (pos.services.phone_privacy)."""
        kid, check = store_settings.read_conn(self.conn, store_settings.PHONE_KEY_ID, store_settings.PHONE_KEY_CHECK)
        self.key_id, self.key = kid, phones.read_key(kid, check)
        self._phone_sql = f"SELECT {_COLS} FROM members m WHERE m.phone{'_hash' if kid else ''} = ?"

    def _phone_rows(self, e164: str) -> list[tuple]:
        if self.key_id is None:
            return self._rows(self._phone_sql, e164)
        if self.key is None:
            self._load_key()  # the next sync may have brought the key file back
            if self.key is None:
                raise DomainError("phone.key_missing")
        return self._rows(self._phone_sql, phones.digest(self.key, e164))

    def close(self) -> None:
        self.conn.close()

    def _rows(self, sql: str, key: str) -> list[tuple]:
        return self.conn.execute(sql, (key,)).fetchall()

    def _follow(self, rows: list[tuple]) -> list[MemberSummary]:
        out, seen = [], set()
        for row in rows:
            for _ in range(8):  # a merged member answers as its survivor
                if row[5] != "merged" or row[6] is None:
                    break
                nxt = self._rows(f"SELECT {_COLS} FROM members m WHERE m.id = ?", row[6])
                if not nxt:
                    break
                row = nxt[0]
            if row[0] in seen or row[5] != "active":
                continue
            seen.add(row[0])
            out.append(MemberSummary(str(uuid.UUID(hex=row[0])), row[1], row[2], phones.mask(row[3]), row[4], row[5]))
        return out

    def _fast_phone(self, text: str) -> str | None:
        """A mainland mobile typed as 11 plain digits is looked up straight away;
        full validation (phonenumbers) runs only if nothing matches, to say why."""
        if self.region == "CN" and len(text) == 11 and text.isascii() and text.isdigit() and text[0] == "1":
            return "+86" + text
        return None

    def by_phone(self, text: str) -> list[MemberSummary]:
        fast = self._fast_phone(text)
        if fast:
            rows = self._phone_rows(fast)
            if rows:
                return self._follow(rows)
        e164 = phones.normalize(text, self.region)
        rows = self._phone_rows(e164)
        if not rows and self.key is None:  # enrolled (given the key) since this index opened?
            self._load_key()
            rows = self._phone_rows(e164)
        return self._follow(rows)

    def by_last4(self, digits: str) -> list[MemberSummary]:
        rows = self._rows(
            f"SELECT {_COLS} FROM members m WHERE m.phone_last4 = ? AND m.status = 'active' ORDER BY m.name", digits
        )
        return self._follow(rows)

    def by_card(self, card_no: str) -> list[MemberSummary]:
        return self._follow(self._rows(
            f"SELECT {_COLS} FROM member_cards c JOIN members m ON m.id = c.member_id "
            "WHERE c.card_no = ? AND c.status = 'active'", card_no,
        ))

    def by_code(self, code: str) -> list[MemberSummary]:
        return self._follow(self._rows(f"SELECT {_COLS} FROM members m WHERE m.member_code = ?", code.upper()))

    def find(self, query: str) -> list[MemberSummary]:
        """Phone, last 4 digits, card number or member code — whichever it is."""
        q = unicodedata.normalize("NFKC", query or "").strip()
        if not q:
            return []
        compact = q.replace(" ", "").replace("-", "")
        if len(compact) == 4 and compact.isdigit():
            return self.by_last4(compact)
        if self._fast_phone(compact) or phones.looks_like_phone(q, self.region):
            try:
                return self.by_phone(compact)
            except DomainError:
                return []
        return self.by_card(compact) or self.by_code(compact)


# --- writes ------------------------------------------------------------------

def get_active(s: Session, member_id: str | uuid.UUID) -> Member:
    try:
        mid = member_id if isinstance(member_id, uuid.UUID) else uuid.UUID(str(member_id))
    except ValueError:
        raise DomainError("member.not_found", query=str(member_id)[:40]) from None
    m = s.get(Member, mid)
    if m is None:
        raise DomainError("member.not_found", query=str(member_id))
    if m.status == "merged":
        raise DomainError("member.inactive", member=m.member_code, into=str(m.merged_into))
    if m.status == "erased":  # their data is gone at their request (pos.services.privacy)
        raise DomainError("member.erased", member=m.member_code)
    return m


def member_payload(m: Member) -> dict[str, Any]:
    return {
        "id": str(m.id), "member_code": m.member_code, "phone": m.phone, "name": m.name,
        "gender": m.gender, "birthday": m.birthday.isoformat() if m.birthday else None,
        "region": m.region, "address": m.address, "occupation": m.occupation,
        "income_band": m.income_band, "preferences": m.preferences, "channel": m.channel,
        "marketing_consent": m.marketing_consent, "tier": m.tier_code,
        "joined_at": m.joined_at.isoformat(), "joined_store": m.joined_store,
        "referrer_id": str(m.referrer_id) if m.referrer_id else None,
    }


def _check_card_free(s: Session, card_no: str) -> None:
    card_no = card_no.strip()
    if not card_no or len(card_no) > 32 or not card_no.isalnum():
        raise DomainError("card.invalid", card=card_no[:32])
    existing = s.scalar(select(MemberCard).where(MemberCard.card_no == card_no))
    if existing is not None:
        owner = s.get(Member, existing.member_id)
        raise DomainError("card.duplicate", card=card_no, member=owner.member_code)


def register(
    db, phone: str, *, actor: str = "system", card_no: str | None = None,
    referrer_id: str | None = None, tags: list[str] | None = None, on_created=None, **profile: Any,
) -> MemberSummary:
    """Join with a phone number; every other field is optional. `on_created(session,
    member)` runs inside the same transaction (sign-up rewards), so a member never
    exists without them."""
    e164 = phones.normalize(phone, store_settings.PHONE_REGION.get(db))
    fields = validate_profile(profile, db.clock.today())
    held = phone_privacy.stored(db, e164)  # an enrolled till: hash, last 4, masked — no number
    column, key = phone_privacy.lookup(db, e164)
    now = db.clock.now()
    with db.transaction() as s:
        existing = s.scalar(select(Member).where(getattr(Member, column) == key))
        for _ in range(8):  # a merged record's phone belongs to its survivor
            if existing is None or existing.merged_into is None:
                break
            existing = s.get(Member, existing.merged_into)
        if existing is not None:
            raise DomainError("member.duplicate_phone", member=existing.member_code, masked=phones.mask(e164))
        consent = fields.pop("marketing_consent", False) or False
        m = Member(
            id=uuid7(), member_code=new_member_code(), **held,
            channel=fields.pop("channel", None) or "store", marketing_consent=consent,
            consent_at=now if consent else None, tier_code="member", tier_since=now,
            joined_at=now, joined_store=db.store_code, status="active",
            created_at=now, updated_at=now, test_clock=db.test_clock, **fields,
        )
        from pos.services.coin_sales import alliance_merchant

        # issue 17: joined at this till's alliance merchant, as HQ will say (its `home_merchant`); the
        # promotions and coupons for this merchant's own members apply from the first sale
        m.home_merchant = alliance_merchant(s) or None
        if referrer_id:
            m.referrer_id = get_active(s, referrer_id).id
        s.add(m)
        try:
            s.flush()
        except IntegrityError:  # another process registered the same phone a moment ago
            raise DomainError("member.duplicate_phone", member="?", masked=phones.mask(e164)) from None
        if card_no:
            _check_card_free(s, card_no)
            s.add(MemberCard(id=uuid7(), card_no=card_no.strip(), member_id=m.id, issued_at=now, test_clock=db.test_clock))
        for tag in dict.fromkeys(clean_tag(t) for t in tags or []):  # one row per tag, however spelt
            s.add(MemberTag(member_id=m.id, tag=tag, source="manual", created_at=now))
        s.add(MemberBalance(member_id=m.id, points=0, stored_value_fen=0, updated_at=now))
        payload = member_payload(m)
        payload["phone"] = e164  # HQ gets the number once; pos.services.phone_privacy.after_push removes it here
        payload["cards"] = [card_no.strip()] if card_no else []
        emit(s, db, "member.registered", payload)
        audit(s, db, actor, "member.register", m.member_code)
        if on_created is not None:
            s.flush()
            on_created(s, m)
        return _summary(m)


def update_profile(db, member_id: str, *, actor: str = "system", on_updated=None, **profile: Any) -> MemberSummary:
    """`on_updated(session, member, changed)` runs in the same transaction when a field
    changed (the profile-completion bonus, pos.services.member_bonuses)."""
    fields = validate_profile(profile, db.clock.today())
    now = db.clock.now()
    with db.transaction() as s:
        m = get_active(s, member_id)
        changed = {}
        for key, value in fields.items():
            if key == "marketing_consent":
                if value != m.marketing_consent:
                    m.marketing_consent, m.consent_at = value, now if value else None
                    changed[key] = value
            elif getattr(m, key) != value:
                setattr(m, key, value)
                changed[key] = value.isoformat() if isinstance(value, dt.date) else value
        if changed:
            m.updated_at = now
            emit(s, db, "member.updated", {"id": str(m.id), "fields": changed, "at": now.isoformat()})
            audit(s, db, actor, "member.update", m.member_code, fields=sorted(changed))
            if on_updated is not None:
                s.flush()
                on_updated(s, m, changed)
        return _summary(m)


def add_card(db, member_id: str, card_no: str, *, kind: str = "magstripe", actor: str = "system") -> None:
    now = db.clock.now()
    with db.transaction() as s:
        m = get_active(s, member_id)
        _check_card_free(s, card_no)
        s.add(MemberCard(id=uuid7(), card_no=card_no.strip(), member_id=m.id, kind=kind, issued_at=now, test_clock=db.test_clock))
        emit(s, db, "card.issued", {"member_id": str(m.id), "card_no": card_no.strip(), "kind": kind})
        audit(s, db, actor, "card.issue", m.member_code)


def clean_tag(tag: str) -> str:
    t = unicodedata.normalize("NFKC", tag or "").strip()
    if not t or len(t) > limits.TEXT_MAX["tag"] or limits.bad_char(t) is not None or "," in t:
        raise DomainError("tag.invalid", tag=t[:32])
    return t


def set_tag(db, member_id: str, tag: str, *, on: bool = True, source: str = "manual", actor: str = "system") -> None:
    tag = clean_tag(tag)
    now = db.clock.now()
    with db.transaction() as s:
        m = get_active(s, member_id)
        row = s.get(MemberTag, (m.id, tag))
        if on and row is None:
            s.add(MemberTag(member_id=m.id, tag=tag, source=source, created_at=now))
        elif not on and row is not None:
            s.delete(row)
        else:
            return
        emit(s, db, "member.tag", {"member_id": str(m.id), "tag": tag, "on": on, "source": source})


NOTE_KINDS = ("note", "complaint", "suggestion", "review")


def add_note(db, member_id: str, text: str, *, kind: str = "note", actor: str = "system",
             receipt_no: str | None = None, on_added=None) -> None:
    """A service note (SPEC §11). A `review` may name the sale it is about (`receipt_no`,
    in the event for HQ); `on_added(session, member, note)` runs in the same transaction
    (the review bonus, pos.services.member_bonuses)."""
    if kind not in NOTE_KINDS:
        raise DomainError("member.bad_field", field="kind", reason="note, complaint, suggestion or review")
    if not isinstance(text, str) or limits.bad_char(text, multiline=True) is not None:
        raise DomainError("member.bad_field", field="text", reason="contains control characters")
    text = unicodedata.normalize("NFC", text).strip()
    if not text:
        raise DomainError("member.bad_field", field="text", reason="empty")
    if len(text) > limits.TEXT_MAX["note"]:  # refused, not cut: a note is kept as it was written
        raise DomainError("member.bad_field", field="text", reason=f"longer than {limits.TEXT_MAX['note']} characters")
    actor = limits.check_text(actor, "actor")
    now = db.clock.now()
    with db.transaction() as s:
        m = get_active(s, member_id)
        note = MemberNote(id=uuid7(), member_id=m.id, kind=kind, text=text[:2000], actor=actor, created_at=now, test_clock=db.test_clock)
        s.add(note)
        payload = {"id": str(note.id), "member_id": str(m.id), "kind": kind, "text": note.text, "actor": actor}
        if receipt_no:
            payload["receipt_no"] = receipt_no
        emit(s, db, "member.note", payload)
        if on_added is not None:
            s.flush()
            on_added(s, m, note)


def detail(db, member_id: str) -> MemberDetail:
    with db.read() as s:
        m = get_active(s, member_id)
        bal = s.get(MemberBalance, m.id)
        cards = s.scalars(select(MemberCard).where(MemberCard.member_id == m.id).order_by(MemberCard.issued_at)).all()
        notes = s.scalars(select(MemberNote).where(MemberNote.member_id == m.id).order_by(MemberNote.created_at.desc())).all()
        return MemberDetail(
            id=str(m.id), member_code=m.member_code, name=m.name, phone_masked=phones.mask(m.phone_masked or m.phone),
            tier=m.tier_code, tier_since=m.tier_since.isoformat() if m.tier_since else None,
            tier_expires=m.tier_expires.isoformat() if m.tier_expires else None,
            status=m.status, merged_into=str(m.merged_into) if m.merged_into else None,
            gender=m.gender, birthday=m.birthday.isoformat() if m.birthday else None,
            region=m.region, address=m.address, occupation=m.occupation, income_band=m.income_band,
            preferences=m.preferences, channel=m.channel, marketing_consent=m.marketing_consent,
            joined_at=m.joined_at.isoformat(), joined_store=m.joined_store,
            cards=[{"card_no": c.card_no, "kind": c.kind, "status": c.status} for c in cards],
            tags=[{"tag": t.tag, "source": t.source} for t in sorted(m.tags, key=lambda t: t.tag)],
            notes=[{"kind": n.kind, "text": n.text, "actor": n.actor or "", "at": n.created_at.isoformat()} for n in notes],
            points=bal.points if bal else 0, stored_value_fen=bal.stored_value_fen if bal else 0,
        )


def unmask_phone(db, member_id: str, *, actor: str) -> str:
    """A manager's action; audited. The full number goes to the screen only. An
    enrolled till asks HQ, which audits it (pos.services.phone_privacy.unmask)."""
    return phone_privacy.unmask(db, member_id, actor=actor, active=get_active)


# --- merge -----------------------------------------------------------------

@dataclass(frozen=True)
class MergeResult:
    survivor: MemberSummary
    merged_code: str
    cards_moved: int
    tags_moved: int
    notes_moved: int
    fields_filled: list[str]
    points_moved: int
    stored_value_moved_fen: int

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def merge(db, keep_id: str, other_id: str, *, actor: str, tier_order: tuple[str, ...] = DEFAULT_TIER_ORDER) -> MergeResult:
    """A manager's action: `other` folds into `keep` — cards, profile gaps, tags,
    notes, points (lot by lot) and stored value — recorded with who and when.
    The fields follow `pos.rules.merge`, the ledger move `ledger.move_balance` (as at HQ)."""
    now = db.clock.now()
    with db.transaction() as s:
        keep, other = get_active(s, keep_id), get_active(s, other_id)
        if keep.id == other.id:
            raise DomainError("member.merge_self")
        cards = s.scalars(select(MemberCard).where(MemberCard.member_id == other.id)).all()
        for c in cards:
            c.member_id = keep.id
        notes = s.scalars(select(MemberNote).where(MemberNote.member_id == other.id)).all()
        for n in notes:
            n.member_id = keep.id
        cols = ("marketing_consent", "consent_at", "tier_code", "tier_since", "tier_expires", "joined_at")
        fm = merge_rules.merge_fields({f: getattr(keep, f) for f in (*PROFILE_FIELDS, *cols)},
                                      {f: getattr(other, f) for f in (*PROFILE_FIELDS, *cols)}, PROFILE_FIELDS,
                                      keep_tags=[t.tag for t in keep.tags], other_tags=[t.tag for t in other.tags],
                                      tier_order=tier_order)
        moved_tags = [t for t in other.tags if t.tag in fm.tags]
        for t in list(other.tags):
            other.tags.remove(t)
        for t in moved_tags:
            keep.tags.append(MemberTag(tag=t.tag, source=t.source, created_at=t.created_at))
        for f, v in fm.values.items():
            setattr(keep, f, v)
        filled = [f for f in fm.filled if f != "tier"]
        if merge_rules.takes_phone(keep.phone is not None or keep.phone_hash is not None,
                                   bool(other.phone or other.phone_hash)):
            cols = ("phone", "phone_hash", "phone_last4", "phone_masked")  # an enrolled till has no number, its hash
            moved = {c: getattr(other, c) for c in cols}
            for c in cols:
                setattr(other, c, None)
            s.flush()
            for c, v in moved.items():
                setattr(keep, c, v)
            filled.append("phone")
        if "tier" in fm.filled:
            filled.append("tier")
        s.flush()
        points, sv = ledger.move_balance(s, other.id, keep.id, now=now, store_code=db.store_code,
                                         reason=f"merge {other.member_code} -> {keep.member_code}",
                                         test_clock=db.test_clock)
        other.status, other.merged_into, other.updated_at = "merged", keep.id, now
        keep.updated_at = now
        result = MergeResult(
            survivor=_summary(keep), merged_code=other.member_code, cards_moved=len(cards),
            tags_moved=len(moved_tags), notes_moved=len(notes), fields_filled=filled,
            points_moved=points, stored_value_moved_fen=sv,
        )
        summary = {k: v for k, v in result.as_dict().items() if k != "survivor"}
        s.add(MemberMerge(id=uuid7(), survivor_id=keep.id, merged_id=other.id, actor=actor, at=now,
                          summary=summary, test_clock=db.test_clock))
        emit(s, db, "member.merged", {"survivor_id": str(keep.id), "merged_id": str(other.id), "actor": actor, "at": now.isoformat()})
        audit(s, db, actor, "member.merge", keep.member_code, merged=other.member_code)
        return result


# --- fuzzy duplicates ----------------------------------------------------------

@dataclass(frozen=True)
class DuplicateCandidate:
    a: MemberSummary
    b: MemberSummary
    score: int
    name_score: int
    address_score: int

    def as_dict(self) -> dict[str, Any]:
        return {"a": self.a.as_dict(), "b": self.b.as_dict(), "score": self.score,
                "name_score": self.name_score, "address_score": self.address_score}


def _norm(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").replace(" ", "").lower()


def duplicate_candidates(db, *, min_score: int = 80, limit: int = 50) -> list[DuplicateCandidate]:
    """Records without a phone matched against every member of the same
    surname block by fuzzy name + address; a manager then merges."""
    from rapidfuzz import fuzz, process  # only here: identification does not load it

    out: list[DuplicateCandidate] = []
    with db.read() as s:
        orphans = s.scalars(select(Member).where(Member.phone.is_(None), Member.phone_hash.is_(None),
                                                 Member.status == "active", Member.name.is_not(None))).all()
        for o in orphans:
            name = _norm(o.name)
            if not name:
                continue
            block = s.scalars(
                select(Member).where(Member.name >= o.name[0], Member.name < o.name[0] + "\U0010ffff",
                                     Member.status == "active", Member.id != o.id)
            ).all()
            if not block:
                continue
            names = {m.id: _norm(m.name) for m in block}
            for _, nscore, mid in process.extract(name, names, scorer=fuzz.ratio, limit=20, score_cutoff=60):
                m = next(b for b in block if b.id == mid)
                ascore = int(fuzz.token_set_ratio(_norm(o.address), _norm(m.address))) if o.address and m.address else 0
                score = int(round(0.6 * nscore + 0.4 * ascore)) if (o.address and m.address) else int(round(nscore * 0.8))
                if score >= min_score:
                    a, b = sorted([_summary(o), _summary(m)], key=lambda x: x.id)
                    out.append(DuplicateCandidate(a, b, score, int(nscore), ascore))
    unique = {(c.a.id, c.b.id): c for c in out}
    return sorted(unique.values(), key=lambda c: -c.score)[:limit]


# --- search by name or phone fragment (pick lists, `member find`) ----------------

def find_exact(db, query: str) -> list[MemberSummary]:
    """Members whose phone, last 4 digits, card number or member code is `query`
    (a MemberIndex of its own, closed again)."""
    idx = MemberIndex(str(db.path), store_settings.PHONE_REGION.get(db))
    try:
        return idx.find(query)
    finally:
        idx.close()


@dataclass(frozen=True)
class MemberMatch(MemberSummary):
    """A search hit with what tells two people of the same name apart."""

    points: int = 0
    last_visit: str | None = None  # store-local date of the last sale


_MASK_CHARS = "*＊xX"
SEARCH_LIMIT = 50


def _phone_shown(m: Member) -> str:
    # an enrolled till may hold only the masked form (no full phone)
    return getattr(m, "phone_masked", None) or phones.mask(m.phone)


def describe(db, found: list[MemberSummary]) -> list[MemberMatch]:
    """Points and last visit for members already found (one query each, for the page)."""
    if not found:
        return []
    from sqlalchemy import func

    from pos.store.models import Sale

    ids = [uuid.UUID(m.id) for m in found]
    with db.read() as s:
        pts = dict(s.execute(select(MemberBalance.member_id, MemberBalance.points)
                             .where(MemberBalance.member_id.in_(ids))).all())
        last = dict(s.execute(select(Sale.member_id, func.max(Sale.created_at))
                              .where(Sale.member_id.in_(ids), Sale.kind == "sale").group_by(Sale.member_id)).all())
    out = []
    for m, mid in zip(found, ids):
        when = last.get(mid)
        out.append(MemberMatch(m.id, m.member_code, m.name, m.phone_masked, m.tier, m.status,
                               points=int(pts.get(mid) or 0),
                               last_visit=db.clock.local(when).date().isoformat() if when else None))
    return out


def search(db, query: str, limit: int = SEARCH_LIMIT) -> list[MemberMatch]:
    """Active members by (part of a) name, or by a phone fragment the till keeps:
    3-4 digits of the last four, or a masked form such as 138****8000 / 138*8000.
    Exact names first, then names that start with the query, then the rest."""
    q = unicodedata.normalize("NFKC", query or "").strip()
    if not q:
        return []
    compact = q.replace(" ", "").replace("-", "")
    with db.read() as s:
        base = select(Member).where(Member.status == "active")
        digits = "".join(c for c in compact if c.isdigit())
        if compact and all(c.isdigit() or c in _MASK_CHARS for c in compact) and len(digits) >= 3:
            if any(c in _MASK_CHARS for c in compact):
                head, tail = digits[:3], digits[-4:]
                if len(digits) < 7:
                    return []
                rows = [m for m in s.scalars(base.where(Member.phone_last4 == tail)).all()
                        if _phone_shown(m).startswith(head)]
            elif len(digits) <= 4:
                rows = s.scalars(base.where(Member.phone_last4.like(f"%{digits}%")).limit(limit * 4)).all()
            else:
                return []  # longer digit runs are phones, cards or barcodes: exact lookups only
        else:
            pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            rows = s.scalars(base.where(Member.name.ilike(pattern, escape="\\")).limit(limit * 4)).all()
        low = q.casefold()

        def rank(m: Member) -> tuple:
            name = (m.name or "").casefold()
            return (name != low, not name.startswith(low), m.phone_last4 != digits[-4:], name, m.member_code)

        rows = sorted(rows, key=rank)[:limit]
        found = [MemberSummary(str(m.id), m.member_code, m.name, _phone_shown(m), m.tier_code, m.status) for m in rows]
    return describe(db, found)
