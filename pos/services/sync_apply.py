"""The local store's side of HQ sync: what goes up besides the outbox, and how a
page of HQ's changes comes down. No network here (that is `sync/`).

Up: ledger rows. Sales, returns, top-ups, sign-up bonuses, merges and expiry
write points / stored-value entries and allocations. `capture_ledger` turns the
rows made here since the last capture into immutable `ledger.entries` outbox
events (original ids, nothing re-posted), in one transaction with the advance
of its watermark (the tables' rowids: SQLite hands them out in commit order,
one writer at a time, and ledger rows are never deleted).

Down: `apply_page` applies one page of changes — members (tags included;
merged ones point at their survivor), cards, notes, ledger rows made in other
stores or at HQ (inserted with their original ids), coupons and their use,
program versions (gift catalog included), catalog, and on a re-sync after a
restore this store's own sales HQ has (`pos.store.sale_record`) — and stores the page's
cursor in ONE transaction: either all of it is there with the new cursor, or
none of it with the old. It captures this till's own new ledger rows first
and then moves the watermark past the rows it inserted, so rows from
elsewhere are never sent back. Afterwards every touched member's balance
cache equals the sum of its entries. Nothing is re-posted for lots that this
till and another store both spent: their allocations are inserted as they
are, and `pos.loyalty.ledger.position` counts the excess as debt, so spendable stays
≤ the balance from the moment the page commits (tests/pos/test_ledger_debt.py).
"""
from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session

from pos.store import settings as store_settings
from pos import changes as change_events
from pos.services import phone_privacy
from pos.rules import phones
from pos.ids import uuid7
from pos.store.models import Coupon, CouponUse, MemberBalance, MemberCard, MemberNote, OutboxEvent, PointsAllocation, PointsEntry, Product, ProductBarcode, Program, Setting, StoredValueEntry
from pos.store.outbox import emit
from pos.store import sale_record
from pos.store.coin_models import AllianceProgram, CoinAllocation, CoinEntry

CURSOR_KEY, WATERMARK_KEY = store_settings.SYNC_CURSOR.name, store_settings.LEDGER_ROWIDS.name
LEDGER_TABLES = ("points_entries", "points_allocations", "stored_value_entries", "coin_entries", "coin_allocations")
_CAPTURE_KEYS = ("points", "allocations", "sv", "coins", "coin_allocations")  # the payload key of each table
CAPTURE_ROWS = 2000  # rows per `ledger.entries` event


def get_setting(s: Session, key: str, default: Any = None) -> Any:
    """By name, in a session (declared settings: use `pos.store.settings.OPT.read(s)`)."""
    row = s.get(Setting, key)
    return default if row is None else row.value


def put_setting(s: Session, key: str, value: Any) -> None:
    """By name, in a session; a declared setting is checked (`pos.store.settings`)."""
    opt = store_settings.OPTIONS.get(key)
    s.merge(Setting(key=key, value=opt.check(value) if opt else value))


def _max_rowids(s: Session) -> dict[str, int]:
    return {t: int(s.execute(text(f"SELECT COALESCE(MAX(rowid), 0) FROM {t}")).scalar()) for t in LEDGER_TABLES}


def _plain(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return (v if v.tzinfo else v.replace(tzinfo=dt.timezone.utc)).isoformat()
    if isinstance(v, uuid.UUID):
        return str(v)
    return v


def _rows_after(s: Session, model, after: int) -> list[tuple[int, dict[str, Any]]]:
    cols = list(model.__table__.columns)
    stmt = select(text("rowid"), *cols).select_from(model.__table__).where(text("rowid > :after")).order_by(text("rowid"))
    out = []
    for r in s.execute(stmt, {"after": after}):
        out.append((r[0], {c.key: _plain(v) for c, v in zip(cols, r[1:])}))
    return out


def capture_ledger(s: Session, db) -> int:
    """Ledger rows made here since the last capture -> `ledger.entries` outbox events."""
    marks = store_settings.LEDGER_ROWIDS.read(s) or {}
    rows = {
        "points": _rows_after(s, PointsEntry, int(marks.get("points_entries", 0))),
        "allocations": _rows_after(s, PointsAllocation, int(marks.get("points_allocations", 0))),
        "sv": _rows_after(s, StoredValueEntry, int(marks.get("stored_value_entries", 0))),
        # issue 17: shopping coins (pos.store.coin_models)
        "coins": _rows_after(s, CoinEntry, int(marks.get("coin_entries", 0))),
        "coin_allocations": _rows_after(s, CoinAllocation, int(marks.get("coin_allocations", 0))),
    }
    total = sum(len(v) for v in rows.values())
    if not total:
        return 0
    # entries before the allocations that point at them; one event per CAPTURE_ROWS rows
    flat = [("points", r) for _, r in rows["points"]] + [("sv", r) for _, r in rows["sv"]] + \
           [("allocations", r) for _, r in rows["allocations"]] + [("coins", r) for _, r in rows["coins"]] + \
           [("coin_allocations", r) for _, r in rows["coin_allocations"]]
    for i in range(0, len(flat), CAPTURE_ROWS):
        chunk: dict[str, list] = {"points": [], "allocations": [], "sv": []}
        for key, r in flat[i:i + CAPTURE_ROWS]:
            chunk.setdefault(key, []).append(r)  # coin keys only when there are coin rows (older HQs)
        emit(s, db, "ledger.entries", chunk)
    new = dict(marks)
    for table, key in zip(LEDGER_TABLES, _CAPTURE_KEYS):
        if rows[key]:
            new[table] = rows[key][-1][0]
    store_settings.LEDGER_ROWIDS.put(s, new)
    return total


def start_watermark(s: Session) -> None:
    """At enrolment: every ledger row already here is this till's own and goes up."""
    if store_settings.LEDGER_ROWIDS.read(s) is None:
        store_settings.LEDGER_ROWIDS.put(s, {t: 0 for t in LEDGER_TABLES})


# --- down ------------------------------------------------------------------------------------------

def _when(v) -> dt.datetime | None:
    if v in (None, ""):
        return None
    w = dt.datetime.fromisoformat(v) if isinstance(v, str) else v
    return w if w.tzinfo else w.replace(tzinfo=dt.timezone.utc)


def _day(v) -> dt.date | None:
    return dt.date.fromisoformat(v) if v not in (None, "") else None


def _uid(v) -> uuid.UUID | None:
    return uuid.UUID(str(v)) if v not in (None, "") else None


_MEMBER_COLS = ("member_code", "phone", "phone_last4", "phone_hash", "phone_masked", "name", "gender", "birthday",
                "region", "address", "occupation", "income_band", "preferences", "channel", "marketing_consent", "consent_at", "tier_code",
                "tier_since", "tier_expires", "joined_at", "joined_store", "referrer_id", "status", "merged_into",
                "created_at", "updated_at", "test_clock", "code_secret", "home_merchant")
_TIME = {"consent_at", "tier_since", "joined_at", "created_at", "updated_at", "available_at", "expires_at",
         "valid_from", "valid_to", "issued_at", "voided_at", "used_at", "installed_at"}
_DAY = {"birthday", "tier_expires"}
_UUID = {"id", "referrer_id", "merged_into", "member_id", "reverses_id", "source_lot_id", "sale_id", "debit_id",
         "lot_id", "coupon_id"}


def _conv(key: str, v: Any) -> Any:
    if key in _TIME:
        return _when(v)
    if key in _DAY:
        return _day(v)
    if key in _UUID:
        return _uid(v)
    return v


def _take(d: dict[str, Any], cols) -> dict[str, Any]:
    return {c: _conv(c, d.get(c)) for c in cols}


def _chunks(items: list, n: int = 900):
    for i in range(0, len(items), n):
        yield items[i:i + n]


def _hex(v) -> str | None:
    """A UUID as SQLAlchemy stores it in SQLite (32 hex digits)."""
    if v in (None, ""):
        return None
    h = str(v).replace("-", "").lower()
    if len(h) != 32:
        raise ValueError(f"not a UUID: {str(v)[:40]!r}")
    return h


def _ts(v) -> str | None:
    """An ISO time (naive = UTC) as SQLAlchemy stores a UTC time in SQLite."""
    if v in (None, ""):
        return None
    w = dt.datetime.fromisoformat(v) if isinstance(v, str) else v
    if w.tzinfo is not None:
        w = w.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return w.isoformat(sep=" ", timespec="microseconds")


def _json(v) -> str | None:
    return None if v is None else json.dumps(v, ensure_ascii=False)


_MEMBER_CONV = {"referrer_id": _hex, "merged_into": _hex, "consent_at": _ts, "tier_since": _ts, "joined_at": _ts,
                "created_at": _ts, "updated_at": _ts, "preferences": _json,
                "marketing_consent": lambda v: int(bool(v)), "test_clock": lambda v: int(bool(v))}


def _apply_members(s: Session, rows: list[dict[str, Any]], now: dt.datetime, key: bytes | None = None) -> int:
    """Upsert members as HQ has them, in one statement on the raw connection (a first
    pull brings a million); their tag sets replace the local ones."""
    if not rows:
        return 0
    conn = s.connection()
    convs = [(c, _MEMBER_CONV.get(c)) for c in _MEMBER_COLS]
    # HQ sends the keyed hash, last 4 and masked form — the full number only to a chain
    # that unmasks offline (pos.services.phone_privacy); a till without the key keeps what it gets
    at = {c: 1 + _MEMBER_COLS.index(c) for c in ("phone", "phone_last4", "phone_hash", "phone_masked")}
    recs, by_phone, by_hash = [], {}, {}
    for d in rows:
        vals = [_hex(d["id"])]
        for c, f in convs:
            v = d.get(c)
            vals.append(f(v) if f is not None else v)
        phone = d.get("phone")
        if phone:
            vals[at["phone_last4"]] = vals[at["phone_last4"]] or phones.last4(phone)
            vals[at["phone_masked"]] = vals[at["phone_masked"]] or phones.mask(phone)
            if key is not None and not vals[at["phone_hash"]]:
                vals[at["phone_hash"]] = phones.digest(key, phone)
            by_phone[phone] = vals[0]
        if vals[at["phone_hash"]]:
            by_hash[vals[at["phone_hash"]]] = vals[0]
        recs.append(tuple(vals))
    # one active member per phone: a local record holding a phone HQ gave to another was merged at HQ
    for col, owner in (("phone", by_phone), ("phone_hash", by_hash)):
        for chunk in _chunks(list(owner)):
            held = conn.exec_driver_sql(f"SELECT id, {col} FROM members WHERE {col} IN ({','.join('?' * len(chunk))})",
                                        tuple(chunk)).all()
            for mid, value in held:
                if owner[value] != mid:
                    conn.exec_driver_sql("UPDATE members SET phone = NULL, phone_last4 = NULL, phone_hash = NULL, "
                                         "phone_masked = NULL WHERE id = ?", (mid,))
    # a tier HQ changed (its review, another store's upgrade) joins the local tier history
    tier_at = 1 + _MEMBER_COLS.index("tier_since")
    tier_col = 1 + _MEMBER_COLS.index("tier_code")
    before: dict[str, tuple[str, str | None]] = {}
    for chunk in _chunks([r[0] for r in recs]):
        before.update((mid, (tier, since)) for mid, tier, since in conn.exec_driver_sql(
            f"SELECT id, tier_code, tier_since FROM members WHERE id IN ({','.join('?' * len(chunk))})", tuple(chunk)))
    moved = [(uuid7().hex, r[0], before[r[0]][0], r[tier_col], "hq", 0, r[tier_at] or _ts(now), 0)
             for r in recs if r[0] in before and r[tier_col] and before[r[0]][0] != r[tier_col]
             and (before[r[0]][1] or "") <= (r[tier_at] or "")]  # not an older state than the till's own change
    cols = ("id",) + _MEMBER_COLS
    sets = ", ".join(f"{c} = excluded.{c}" for c in _MEMBER_COLS if c != "created_at")
    conn.exec_driver_sql(f"INSERT INTO members ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
                         f"ON CONFLICT(id) DO UPDATE SET {sets}", recs)
    if moved:
        conn.exec_driver_sql("INSERT INTO tier_changes (id, member_id, from_tier, to_tier, reason, spend_fen, at, "
                             "test_clock) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", moved)
    # tags: HQ sends each member's whole set (a removal is its absence); the till's own
    # derived segment tags (活跃会员 …, pos.analytics.segments) are not HQ's and stay
    conn.exec_driver_sql("DELETE FROM member_tags WHERE member_id = ? AND source != 'derived'", [(r[0],) for r in recs])
    # a member erased at their request (pos.services.privacy), anywhere in the chain: this
    # till's copies of their cards, notes and every tag go too; ledgers and sales stay
    status_at = 1 + _MEMBER_COLS.index("status")
    erased = [(r[0],) for r in recs if r[status_at] == "erased"]
    if erased:
        conn.exec_driver_sql("DELETE FROM member_tags WHERE member_id = ?", erased)
        conn.exec_driver_sql("DELETE FROM member_notes WHERE member_id = ?", erased)
        conn.exec_driver_sql("UPDATE member_cards SET card_no = 'X' || lower(hex(randomblob(15))), status = 'erased' "
                             "WHERE member_id = ? AND status != 'erased'", erased)
    stamp = _ts(now)
    tags = [(r[0], t["tag"], t.get("source") or "manual", stamp)
            for r, d in zip(recs, rows) for t in d.get("tags") or []]
    if tags:
        conn.exec_driver_sql("INSERT OR IGNORE INTO member_tags (member_id, tag, source, created_at) VALUES (?, ?, ?, ?)",
                             tags)
    return len(recs)


def _apply_cards(s: Session, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    local = {}
    for chunk in _chunks([d["card_no"] for d in rows]):
        local.update({no: cid for cid, no in s.execute(select(MemberCard.id, MemberCard.card_no)
                                                          .where(MemberCard.card_no.in_(chunk)))})
    new = []
    for d in rows:
        vals = {"member_id": _uid(d["member_id"]), "kind": d.get("kind") or "magstripe",
                "status": d.get("status") or "active"}
        if d["card_no"] in local:
            s.execute(update(MemberCard).where(MemberCard.id == local[d["card_no"]]).values(**vals))
        else:
            new.append({"id": uuid7(), "card_no": d["card_no"], "issued_at": _when(d["issued_at"]),
                        "test_clock": False, **vals})
    if new:
        s.execute(insert(MemberCard.__table__), new)
    return len(rows)


def _insert_new(s: Session, model, rows: list[dict[str, Any]], cols) -> int:
    if not rows:
        return 0
    recs = []
    for d in rows:
        r = _take(d, cols)
        if "test_clock" in r:
            r["test_clock"] = bool(r["test_clock"])
        recs.append(r)
    res = s.execute(insert(model.__table__).on_conflict_do_nothing(), recs)
    return res.rowcount if res.rowcount is not None and res.rowcount >= 0 else len(recs)


def _apply_notes(s: Session, rows: list[dict[str, Any]]) -> int:
    n = 0
    for d in rows:  # a note moves with a merge: upsert its member
        nid = _uid(d["id"])
        note = s.get(MemberNote, nid)
        if note is None:
            s.add(MemberNote(id=nid, member_id=_uid(d["member_id"]), kind=d.get("kind") or "note", text=d["text"],
                             actor=d.get("actor"), created_at=_when(d["created_at"]), test_clock=False))
        else:
            note.member_id = _uid(d["member_id"])
        n += 1
    s.flush()
    return n


def _apply_coupons(s: Session, rows: list[dict[str, Any]]) -> int:
    cols = ("id", "code", "template", "member_id", "valid_from", "valid_to", "source", "issued_at", "issued_store",
            "voided_at", "test_clock", "referrer_id")
    if not rows:
        return 0
    recs = [_take(d, cols) | {"test_clock": bool(d.get("test_clock"))} for d in rows]
    stmt = insert(Coupon.__table__)
    stmt = stmt.on_conflict_do_update(index_elements=["code"], set_={  # a forwarded coupon moves, with its referrer
        "voided_at": stmt.excluded.voided_at, "member_id": stmt.excluded.member_id,
        "referrer_id": stmt.excluded.referrer_id})
    s.execute(stmt, recs)
    return len(recs)


def _apply_programs(s: Session, rows: list[dict[str, Any]], now: dt.datetime) -> list[str]:
    from pos.rules.program import parse  # pydantic validation of the document

    done = []
    for d in rows:
        parse(d["document"])
        row = s.get(Program, d["version"])
        if row is None:
            row = Program(version=d["version"], document=d["document"], source="hq", installed_at=now, active=False)
            s.add(row)
            s.flush()
        if d.get("active"):
            s.execute(update(Program).values(active=False))
            s.execute(update(Program).where(Program.version == d["version"]).values(active=True))
        done.append(d["version"])
    return done


def _apply_products(s: Session, rows: list[dict[str, Any]], now: dt.datetime) -> int:
    for d in rows:
        p = s.scalar(select(Product).where(Product.sku == d["sku"]))
        if p is None:
            p = Product(id=_uid(d["id"]) or uuid7(), sku=d["sku"], created_at=now)
            if s.get(Product, p.id) is not None:
                p.id = uuid7()
            s.add(p)
        p.name, p.category, p.price_fen = d["name"], d["category"], int(d["price_fen"])
        p.member_price_fen, p.points_class = d.get("member_price_fen"), d.get("points_class") or "regular"
        p.no_member_discount, p.active, p.updated_at = bool(d.get("no_member_discount")), bool(d.get("active", True)), now
        s.flush()
        for bc in d.get("barcodes") or []:
            owner = s.get(ProductBarcode, bc)
            if owner is None:
                s.add(ProductBarcode(barcode=bc, product_id=p.id))
            else:
                owner.product_id = p.id
    s.flush()
    return len(rows)


def refresh_balances(s: Session, member_ids, now: dt.datetime) -> None:
    """Cache = sum of entries, for the members a page touched."""
    ids = list({m for m in member_ids if m is not None})
    for chunk in _chunks(ids, 400):
        pts = dict(s.execute(select(PointsEntry.member_id, func.sum(PointsEntry.points))
                             .where(PointsEntry.member_id.in_(chunk)).group_by(PointsEntry.member_id)).all())
        sv = dict(s.execute(select(StoredValueEntry.member_id, func.sum(StoredValueEntry.amount_fen))
                            .where(StoredValueEntry.member_id.in_(chunk)).group_by(StoredValueEntry.member_id)).all())
        recs = [{"member_id": m, "points": int(pts.get(m) or 0), "stored_value_fen": int(sv.get(m) or 0),
                 "updated_at": now} for m in chunk]
        stmt = insert(MemberBalance.__table__)
        stmt = stmt.on_conflict_do_update(index_elements=["member_id"], set_={
            "points": stmt.excluded.points, "stored_value_fen": stmt.excluded.stored_value_fen,
            "updated_at": stmt.excluded.updated_at})
        s.execute(stmt, recs)


_P_COLS = ("id", "member_id", "kind", "points", "available_at", "expires_at", "reverses_id", "source_lot_id",
           "sale_id", "store_code", "program_version", "reason", "created_at", "test_clock", "merchant_code")
_A_COLS = ("id", "debit_id", "lot_id", "points", "merchant_code")
_V_COLS = ("id", "member_id", "kind", "amount_fen", "reverses_id", "sale_id", "store_code", "reason", "created_at",
           "test_clock", "merchant_code")
_U_COLS = ("id", "coupon_id", "sale_id", "member_id", "amount_fen", "used_at", "store_code")


def apply_page(db, changes: list[dict[str, Any]], cursor: str | None) -> dict[str, Any]:
    """Apply one page and store its cursor, in one transaction. `changes` are
    `{"kind", "id", "data"}` dicts (sync.protocol.Change)."""
    now = db.clock.now()
    by_kind = by_kinds(changes)
    with db.transaction() as s:
        summary, touched = apply_in(s, db, by_kind, now)
        if cursor is not None:  # None: rows HQ answered a question with (pos.services.member_code)
            store_settings.SYNC_CURSOR.put(s, cursor, db)
    _announce(by_kind, touched)
    return summary


def by_kinds(changes: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for ch in changes:
        by_kind.setdefault(ch["kind"], []).append(ch["data"])
    return by_kind


def apply_in(s: Session, db, by_kind: dict[str, list[dict[str, Any]]], now: dt.datetime) -> tuple[dict[str, Any], set]:
    """What `apply_page` does inside its transaction, without the cursor (a bootstrap snapshot
    applies its rows in chunks through it: pos.services.snapshot_load). (summary, members touched)."""
    summary: dict[str, Any] = {}
    s.execute(text("PRAGMA defer_foreign_keys = ON"))  # a page's rows may refer to each other in any order
    summary["captured"] = capture_ledger(s, db)
    summary["members"] = _apply_members(s, by_kind.get("member", []), now, phone_privacy.chain_key(db))
    summary["cards"] = _apply_cards(s, by_kind.get("card", []))
    if by_kind.get("member_import"):  # members imported at HQ: the old key, the carried tier spend (issue 15)
        summary["member_imports"] = _apply_member_imports(s, by_kind["member_import"])
    summary["notes"] = _apply_notes(s, by_kind.get("note", []))
    summary["programs"] = _apply_programs(s, by_kind.get("program", []), now)
    summary["products"] = _apply_products(s, by_kind.get("product", []), now)
    summary["coupons"] = _apply_coupons(s, by_kind.get("coupon", []))
    pts, allocs, sv = by_kind.get("points_entry", []), by_kind.get("points_allocation", []), by_kind.get("sv_entry", [])
    summary["points_entries"] = _insert_new(s, PointsEntry, pts, _P_COLS)
    summary["points_allocations"] = _insert_new(s, PointsAllocation, allocs, _A_COLS)
    summary["sv_entries"] = _insert_new(s, StoredValueEntry, sv, _V_COLS)
    summary["coupon_uses"] = _insert_new(s, CouponUse, by_kind.get("coupon_use", []), _U_COLS)
    if by_kind.get("alliance_program") or by_kind.get("coin_entry") or by_kind.get("coin_allocation") or \
            any(d.get("merchant_code") for d in by_kind.get("program", [])):  # issue 17
        summary.update(_apply_alliance(s, by_kind, now))
    if by_kind.get("sale"):  # this store's own sales, on a re-sync after a restore (pos.store.sale_record)
        summary.update(sale_record.restore_sales(s, by_kind["sale"], store_settings.REGISTER_NO.read(s)))
    if by_kind.get("online_order") or by_kind.get("parcel"):  # issue 18 (pos.services.parcels)
        from pos.services import parcels

        summary.update(parcels.apply_pull(s, db, by_kind.get("online_order", []), by_kind.get("parcel", []), now))
    touched = {_uid(d["member_id"]) for d in pts + sv}
    refresh_balances(s, touched, now)
    skip_watermark(s)
    return summary, touched


_C_COLS = ("id", "member_id", "kind", "coins", "value_fen", "merchant_code", "store_code", "sale_id", "reverses_id",
           "expires_at", "alliance_version", "reason", "created_at", "test_clock")
_CA_COLS = ("id", "debit_id", "lot_id", "coins")


def _apply_alliance(s: Session, by_kind: dict[str, list[dict[str, Any]]], now: dt.datetime) -> dict[str, Any]:
    """The alliance's rules, the shared coin ledger's rows, and which merchant this store is
    (HQ serves a store its own merchant's program rows only)."""
    from pos.rules.program import parse_alliance
    from pos.services.coin_sales import MERCHANT_KEY

    for d in by_kind.get("program", []):
        if d.get("merchant_code") and d.get("active"):
            put_setting(s, MERCHANT_KEY, d["merchant_code"])
    for d in by_kind.get("alliance_program", []):
        parse_alliance(d["document"])
        row = s.get(AllianceProgram, d["version"])
        if row is None:
            s.add(AllianceProgram(version=d["version"], document=d["document"], installed_at=now, active=False))
            s.flush()
        if d.get("active"):
            s.execute(update(AllianceProgram).values(active=False))
            s.execute(update(AllianceProgram).where(AllianceProgram.version == d["version"]).values(active=True))
    return {"coin_entries": _insert_new(s, CoinEntry, by_kind.get("coin_entry", []), _C_COLS),
            "coin_allocations": _insert_new(s, CoinAllocation, by_kind.get("coin_allocation", []), _CA_COLS),
            "alliance_programs": [d["version"] for d in by_kind.get("alliance_program", [])]}


def skip_watermark(s: Session) -> None:
    """Rows from elsewhere are not this till's to send: the watermark jumps over them."""
    marks = dict(store_settings.LEDGER_ROWIDS.read(s) or {})
    marks.update(_max_rowids(s))
    store_settings.LEDGER_ROWIDS.put(s, marks)


def _apply_member_imports(s: Session, rows: list[dict[str, Any]]) -> int:
    """HQ's `member_imports` rows (hq member import) as this till's: the carried tier spend
    counts toward the next tier here as after a local import (pos.loyalty.tiers.carried_spend).
    An external_id this till already gives another member stays theirs (this row keeps none)."""
    from pos.store.models import Member, MemberImport

    n = 0
    for d in rows:
        mid = _uid(d.get("member_id"))
        if mid is None or s.get(Member, mid) is None:
            continue  # a member this till does not have (erased, or not in this page): nothing to attach to
        ext = d.get("external_id") or None
        if ext is not None:
            holder = s.scalar(select(MemberImport.member_id).where(MemberImport.external_id == ext))
            if holder is not None and holder != mid:
                ext = None
        values = dict(external_id=ext, qualifying_spend_fen=int(d.get("qualifying_spend_fen") or 0),
                      spend_as_of=_when(d.get("spend_as_of")), imported_at=_when(d.get("imported_at")),
                      updated_at=_when(d.get("updated_at")))
        row = s.get(MemberImport, mid)
        if row is None:
            s.add(MemberImport(member_id=mid, **values))
        else:
            for k, v in values.items():
                setattr(row, k, v)
        n += 1
    s.flush()
    return n


def _announce(by_kind: dict[str, list[dict[str, Any]]], touched) -> None:
    """After the page committed: say what it changed (`pos.changes`; the app's screens listen)."""
    mids = {str(_uid(d["id"])) for d in by_kind.get("member", []) if d.get("id")} | {str(m) for m in touched if m}
    mids |= {str(_uid(d["member_id"])) for kind in ("card", "note", "coupon", "online_order") for d in by_kind.get(kind, [])
             if d.get("member_id")}
    if mids:
        change_events.publish("members", mids)
    if by_kind.get("coupon") or by_kind.get("coupon_use"):
        change_events.publish("coupons", {str(_uid(d["member_id"])) for d in by_kind.get("coupon", []) if d.get("member_id")})
    if by_kind.get("program"):
        change_events.publish("program")
    if by_kind.get("product"):
        change_events.publish("catalog")


def pending_events(db, limit: int) -> list[OutboxEvent]:
    with db.read() as s:
        return list(s.scalars(select(OutboxEvent).where(OutboxEvent.status == "pending")
                              .order_by(OutboxEvent.seq).limit(limit)))


def record_acks(db, results: list[dict[str, Any]], hq_time: str) -> dict[str, int]:
    """HQ's answers: each event marked sent (accepted / duplicate) or rejected, with
    the answer kept, in ONE transaction."""
    now = db.clock.now()
    counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
    with db.transaction() as s:
        for r in results:
            ev = s.scalar(select(OutboxEvent).where(OutboxEvent.event_id == uuid.UUID(str(r["event_id"]))))
            if ev is None or ev.status != "pending":
                continue
            ev.status = "rejected" if r["status"] == "rejected" else "sent"
            ev.sent_at = now
            ev.result = {"status": r["status"], "reason": r.get("reason"), "exceptions": r.get("exceptions") or [],
                         "hq_time": hq_time}
            counts[r["status"]] += 1
    return counts
