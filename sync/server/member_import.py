"""Member import at HQ (`python main.py hq member import FILE.csv`, issue 15 §1).

In a chain the members are brought in at HQ and flow down: every till gets them,
their opening entries, cards and sign-up coupons with its next pull (the change
log, `changes.record`). The file is the till's (`pos.services.member_import`): same
columns, encodings (UTF-8 or GB18030), checks and messages — it is parsed by that
very code (`parse_csv`), only the writing is HQ's:

- all rows or none, every bad row by line and reason; `duplicates="merge"` folds
  rows of one phone (and a phone HQ has) into one person, else they are errors;
- `external_id` is kept in HQ's `member_imports`: a re-import updates those members
  and posts only the difference of their opening balances, never doubles;
- the carried tier spend (`qualifying_spend_fen`) and the old key come down to the
  tills too (change kind `member_import`), so a till counts the carried spend toward
  the next tier as after its own import (`pos.loyalty.tiers.carried_spend`);
- opening balances are ledger entries of kind `opening`, store `HQ` — points as a
  lot with its expiry (`points_expire_on`, else the program's rule as if earned
  today) — never a bare number; the balance cache is their sum;
- new members get the program's sign-up rewards once (the `sign-up bonus` lot and
  the `issuance.signup` coupons, as `hq member add` and the till's import give
  them), unless `rewards=False` (`--no-rewards`).

New members go in with bulk inserts (100,000 in well under a minute on SQLite).
"""
from __future__ import annotations

import datetime as dt
import secrets
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select

from pos.clock import Clock
from pos.errors import DomainError
from pos.ids import uuid7
from pos.loyalty import ledger
from pos.rules import phones
from pos.services import member_bonuses
from pos.services.csv_files import read_text
from pos.services.member_import import DUPLICATES, ImportReport, Row, _chunks, _opening_expiry, parse_csv
from pos.services.members import new_member_code
from pos.store import bulk

from . import changes
from .common import lock_balances, log_hq_ledger_rows, now_utc
from .expiry import DEFAULT_TZ, active_program
from .import_models import MemberImport
from .models import HQ_STORE, AuditEntry, Coupon, Member, MemberBalance, MemberCard, PointsEntry, StoredValueEntry

REASON = "opening balance (import)"


class _Abort(Exception):
    pass


class _DryRun(_Abort):
    pass


def import_csv(hq, path: str | Path, *, duplicates: str = "report", dry_run: bool = False, rewards: bool = True,
               actor: str = "import", tz: str = DEFAULT_TZ, region: str = "CN",
               now: dt.datetime | None = None) -> ImportReport:
    """Import members at HQ from a CSV file; the till's report (`ImportReport`)."""
    if duplicates not in DUPLICATES:
        raise DomainError("member_import.duplicates", value=str(duplicates)[:16])
    text = read_text(Path(path), "member_import.file")
    clock = Clock(tz)
    now = now or now_utc()
    with hq.read() as s:
        program = active_program(s)
    view = SimpleNamespace(clock=clock, store_code=HQ_STORE, test_clock=False)
    rows, errors, read = parse_csv(view, text, duplicates=duplicates, program=program, region=region)
    report = ImportReport(rows=read, errors=errors, dry_run=dry_run)
    report.merged = sum(len(r.lines) - 1 for r in rows)
    if errors:
        return report
    try:
        _write(hq, view, program, rows, report, duplicates, dry_run, rewards, actor, now)
    except _DryRun:
        pass
    except _Abort:
        report.created = report.updated = report.unchanged = report.merged = 0
        report.points_fen = report.stored_value_fen = report.signup_points = report.signup_coupons = 0
    return report


def _insert(conn, table, rows: list[dict]) -> None:
    if not rows:
        return
    if conn.dialect.name == "sqlite":
        bulk.insert_rows(conn, table, rows)
    else:
        conn.execute(table.insert(), rows)


def _write(hq, view, program, rows: list[Row], report: ImportReport, duplicates: str, dry_run: bool,
           rewards: bool, actor: str, now: dt.datetime) -> None:
    with hq.transaction() as s:
        log_hq_ledger_rows(s)  # entries posted one by one (re-import differences) go to the change log
        by_phone = {p: (mid, st, into) for p, mid, st, into in s.execute(
            select(Member.phone, Member.id, Member.status, Member.merged_into).where(Member.phone.is_not(None)))}
        imported = dict(s.execute(select(MemberImport.member_id, MemberImport.external_id)).all())
        by_external = {ext: mid for mid, ext in imported.items() if ext is not None}
        cards = dict(s.execute(select(MemberCard.card_no, MemberCard.member_id)).all())
        codes = dict(s.execute(select(Member.member_code, Member.id)).all())

        def member_of_phone(e164: str):
            hit = by_phone.get(e164)
            if hit is None:
                return None
            mid, status, into = hit
            for _ in range(8):  # a merged record's phone belongs to its survivor
                if status != "merged" or into is None:
                    return mid
                mid, status, into = s.execute(select(Member.id, Member.status, Member.merged_into)
                                              .where(Member.id == into)).one()
            return mid

        new_rows: list[tuple[Row, uuid.UUID]] = []
        old_rows: list[tuple[Row, uuid.UUID]] = []
        for row in rows:
            ext = by_external.get(row.external_id) if row.external_id else None
            have = member_of_phone(row.phone)
            if ext is not None:
                if have is not None and have != ext:
                    report.errors.append((row.line, f"external_id {row.external_id} is another member than phone "
                                                    f"{phones.mask(row.phone)}"))
                    continue
                old_rows.append((row, ext))
            elif have is not None and have in imported and imported[have] is None and row.external_id is None:
                old_rows.append((row, have))  # imported before without a key: the phone is the key
            elif have is not None:
                if duplicates != "merge":
                    code = s.scalar(select(Member.member_code).where(Member.id == have))
                    report.errors.append((row.line, f"phone {phones.mask(row.phone)} already belongs to member {code}"))
                    continue
                report.merged += 1
                old_rows.append((row, have))
            else:
                new_rows.append((row, uuid7()))
        for row, mid in new_rows + old_rows:
            if row.card_no and cards.get(row.card_no, mid) != mid:
                report.errors.append((row.line, f"card_no {row.card_no} belongs to another member"))
            if row.member_code and codes.get(row.member_code, mid) != mid:
                report.errors.append((row.line, f"member_code {row.member_code} belongs to another member"))
        if report.errors:
            report.errors.sort()
            raise _Abort
        _insert_new(s, view, program, new_rows, now, rewards)
        report.created = len(new_rows)
        if rewards:
            report.signup_points = len(new_rows) * program.membership.signup_points
            report.signup_coupons = len(new_rows) * len(program.issuance.signup)
        report.points_fen = sum(r.points for r, _ in new_rows)
        report.stored_value_fen = sum(r.sv_fen for r, _ in new_rows)
        lock_balances(s, [mid for _, mid in old_rows])
        opening = _prefetch(s, [mid for _, mid in old_rows])
        for row, mid in old_rows:
            if _update(s, view, program, row, mid, now, cards, report, opening):
                report.updated += 1
            else:
                report.unchanged += 1
        if report.errors:
            raise _Abort
        s.add(AuditEntry(id=uuid7(), at=now, store_code=HQ_STORE, actor=actor, action="member.import", member_id=None,
                         detail={"created": report.created, "updated": report.updated, "merged": report.merged}))
        if dry_run:
            changes.discard(s)
            raise _DryRun
        changes.flush(s)


def _insert_new(s, view, program, new_rows, now: dt.datetime, rewards: bool) -> None:
    conn = s.connection()
    base_tier = program.tiers.levels[0].code
    for chunk in _chunks(new_rows):
        members, balances, cards, imports, lots, svs = [], [], [], [], [], []
        for row, mid in chunk:
            joined = row.joined_at or now
            members.append(dict(
                id=mid, member_code=row.member_code or new_member_code(), phone=row.phone,
                phone_last4=phones.last4(row.phone), channel=row.channel or "import",
                marketing_consent=bool(row.consent), consent_at=now if row.consent else None,
                tier_code=row.tier or base_tier, tier_since=row.tier_since or joined, tier_expires=row.tier_expires,
                joined_at=joined, joined_store=HQ_STORE, referrer_id=None, status="active", merged_into=None,
                tags=[{"tag": t, "source": "manual"} for t in row.tags], field_times={}, created_at=now,
                updated_at=now, test_clock=False, code_secret=secrets.token_hex(32),
                **{k: row.profile.get(k) for k in ("name", "gender", "birthday", "region", "address", "occupation",
                                                   "income_band", "preferences")}))
            balances.append(dict(member_id=mid, points=row.points + (program.membership.signup_points if rewards else 0),
                                 stored_value_fen=row.sv_fen, updated_at=now))
            if row.card_no:
                cards.append(dict(card_no=row.card_no, member_id=mid, kind="magstripe", status="active", issued_at=now,
                                  issued_store=HQ_STORE))
            imports.append(dict(member_id=mid, external_id=row.external_id, qualifying_spend_fen=row.spend_fen or 0,
                                spend_as_of=now, imported_at=now, updated_at=now))
            if row.points:
                lots.append(dict(id=uuid7(), member_id=mid, kind="opening", points=row.points, created_at=now,
                                 available_at=now, expires_at=_opening_expiry(program, row, now, view.clock),
                                 store_code=HQ_STORE, program_version=program.version, reason=REASON,
                                 test_clock=False, reverses_id=None, source_lot_id=None, sale_id=None))
            if row.sv_fen:
                svs.append(dict(id=uuid7(), member_id=mid, kind="opening", amount_fen=row.sv_fen, created_at=now,
                                store_code=HQ_STORE, reason=REASON, test_clock=False, reverses_id=None, sale_id=None))
        coupons: list = []
        if rewards:  # the sign-up rewards as bulk rows, as the till's import gives them
            bonus, coupons, _events = member_bonuses.signup_rows(view, program, [mid for _, mid in chunk], now)
            lots += bonus
        for model, values in ((Member, members), (MemberBalance, balances), (MemberCard, cards),
                              (MemberImport, imports), (PointsEntry, lots), (StoredValueEntry, svs), (Coupon, coupons)):
            _insert(conn, model.__table__, values)
        # what every till must learn, in this transaction: members first, then what refers to them
        changes.record_many(s, "member", [m["id"] for m in members])
        changes.record_many(s, "member_import", [i["member_id"] for i in imports])  # carried spend, old key
        changes.record_many(s, "card", [c["card_no"] for c in cards])
        changes.record_many(s, "points_entry", [r["id"] for r in lots])
        changes.record_many(s, "sv_entry", [r["id"] for r in svs])
        changes.record_many(s, "coupon", [c["code"] for c in coupons])


def _prefetch(s, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:
    """The members found again (into the session, with their import rows) and what earlier
    imports posted as their opening balances: a few queries, not a few per row."""
    out: dict[uuid.UUID, tuple[int, int]] = {}
    held = s.info.setdefault("import_rows", [])  # the session's identity map holds them weakly: keep them
    for i in range(0, len(ids), 900):
        chunk = ids[i:i + 900]
        held += s.scalars(select(Member).where(Member.id.in_(chunk))).all()
        held += s.scalars(select(MemberImport).where(MemberImport.member_id.in_(chunk))).all()
        pts = dict(s.execute(select(PointsEntry.member_id, func.sum(PointsEntry.points)).where(
            PointsEntry.member_id.in_(chunk), PointsEntry.kind == "opening").group_by(PointsEntry.member_id)).all())
        sv = dict(s.execute(select(StoredValueEntry.member_id, func.sum(StoredValueEntry.amount_fen)).where(
            StoredValueEntry.member_id.in_(chunk), StoredValueEntry.kind == "opening")
            .group_by(StoredValueEntry.member_id)).all())
        out.update({m: (int(pts.get(m) or 0), int(sv.get(m) or 0)) for m in chunk})
    return out


def _update(s, view, program, row: Row, mid: uuid.UUID, now: dt.datetime, cards: dict, report: ImportReport,
            opening: dict[uuid.UUID, tuple[int, int]]) -> bool:
    """Bring an existing member to what the row says; True if anything changed."""
    m = s.get(Member, mid)
    changed: dict[str, Any] = {}
    for key, value in row.profile.items():
        if getattr(m, key) != value:
            setattr(m, key, value)
            changed[key] = value
    if row.consent is not None and row.consent != m.marketing_consent:
        m.marketing_consent, m.consent_at = row.consent, now if row.consent else None
        changed["marketing_consent"] = row.consent
    if row.tier and (row.tier != m.tier_code or (row.tier_expires and row.tier_expires != m.tier_expires)):
        m.tier_code, m.tier_expires = row.tier, row.tier_expires or m.tier_expires
        m.tier_since = row.tier_since or now
        changed["tier"] = row.tier
    tags = list(m.tags or [])
    for tag in row.tags:
        if not any(t.get("tag") == tag for t in tags):
            tags.append({"tag": tag, "source": "manual"})
            changed.setdefault("tags", []).append(tag)
    if "tags" in changed:
        m.tags = tags
    if row.card_no and row.card_no not in cards:
        s.add(MemberCard(card_no=row.card_no, member_id=mid, kind="magstripe", status="active", issued_at=now,
                         issued_store=HQ_STORE))
        cards[row.card_no] = mid
        changes.record(s, "card", row.card_no)
        changed["card_no"] = True
    if changed:
        m.updated_at = now
        changes.record(s, "member", mid)
    imp = s.get(MemberImport, mid)
    if imp is None:
        s.add(MemberImport(member_id=mid, external_id=row.external_id, qualifying_spend_fen=row.spend_fen or 0,
                           spend_as_of=now, imported_at=now, updated_at=now))
        changed["import"] = True
        changes.record(s, "member_import", mid)
    else:
        before = len(changed)
        if row.external_id and imp.external_id != row.external_id:
            imp.external_id, imp.updated_at = row.external_id, now
            changed["external_id"] = True
        if row.spend_fen is not None and row.spend_fen != imp.qualifying_spend_fen:
            imp.qualifying_spend_fen, imp.spend_as_of, imp.updated_at = row.spend_fen, now, now
            changed["qualifying_spend_fen"] = row.spend_fen
        if len(changed) > before:
            changes.record(s, "member_import", mid)
    # opening balances: post the difference to what earlier imports posted (any store's `opening` rows)
    had, had_sv = opening[mid]
    diff = row.points - had
    if diff > 0:
        ledger.credit(s, mid, "opening", diff, now=now, expires_at=_opening_expiry(program, row, now, view.clock),
                      test_clock=False, store_code=HQ_STORE, program_version=program.version, reason=REASON)
    elif diff < 0:
        lots = [lot for lot in ledger.open_lots(s, mid) if lot.kind == "opening"]
        ledger.debit(s, mid, "opening", -diff, now=now, lots=lots, allow_debt=True, test_clock=False,
                     store_code=HQ_STORE, reason="opening balance corrected (import)")
    sv_diff = row.sv_fen - had_sv
    if sv_diff < 0 and ledger.sv_balance(s, mid) + sv_diff < 0:
        report.errors.append((row.line, f"stored_value_fen {row.sv_fen}: the member has spent part of the earlier "
                                        f"opening balance; it cannot go below what was spent"))
        return True
    if sv_diff:
        ledger.sv_post(s, mid, "opening", sv_diff, now=now, test_clock=False, store_code=HQ_STORE, reason=REASON)
    opening[mid] = (row.points, row.sv_fen)
    report.points_fen += diff
    report.stored_value_fen += sv_diff
    return bool(changed or diff or sv_diff)
