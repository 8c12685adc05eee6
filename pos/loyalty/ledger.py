"""Points and stored-value ledgers: append-only, balance = sum of entries.

Points
- A credit (points > 0) is a lot with its own `expires_at` and `available_at`.
- A debit (points < 0) is paid by lots through allocation rows; a lot's
  remaining points are its amount minus its allocations. Redemptions take the
  lots that expire first (not the oldest earned).
- The part of a debit no lot could pay is debt. A later credit settles the
  oldest debt first, by allocation too, so debt is explicit and visible.
- Hence: balance = Σ entries = Σ remaining(lots) − Σ unpaid(debits).
- Two tills may spend the same lot offline; when their rows meet (at HQ, or
  at a till by pull) the lot carries more allocations than points. Nothing is
  rewritten: `position` counts a lot's allocations, oldest id first, only up to
  the lot's points (and a debit's only up to its amount, when two places
  settled the same debt). What an allocation cannot count is the debit's
  unpaid part — debt, settled by the next credit like any other. So the
  identity above holds with every remaining ≥ 0 and every unpaid ≥ 0.
- Spendable = min(available unexpired lots − debt, balance): never more than
  the balance, at a till, after a pull, or in HQ's hold.
Nothing here updates or deletes an entry; `member_balances` is a cache
that `rebuild_balances` recomputes from the entries.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import case, func, or_, select, text
from sqlalchemy.orm import Session

from pos.ids import uuid7
from pos.store.models import MemberBalance, PointsAllocation, PointsEntry, StoredValueEntry

FAR_FUTURE = dt.datetime(9999, 12, 31, tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class Lot:
    id: uuid.UUID
    points: int
    remaining: int
    expires_at: dt.datetime | None
    available_at: dt.datetime
    kind: str
    merchant: str | None = None  # whose points (issue 17): HQ knows; a till's own rows say None

    def expired(self, now: dt.datetime) -> bool:
        # spendable until the expiry job posts its entry, but never past the date
        return self.expires_at is not None and self.expires_at <= now


@dataclass(frozen=True)
class Debt:
    id: uuid.UUID
    unpaid: int
    created_at: dt.datetime


def _spend_order(lot: Lot) -> tuple:
    # earliest expiry first; lots that never expire last; then oldest
    return (lot.expires_at or FAR_FUTURE, lot.available_at, lot.id.bytes)


@dataclass(frozen=True)
class Position:
    """A member's points: balance (Σ entries), open lots in spending order, open
    debts oldest first — all from one consistent read (`position`)."""
    balance: int
    lots: list[Lot]
    debts: list[Debt]

    @property
    def debt(self) -> int:
        return sum(d.unpaid for d in self.debts)

    def live_lots(self, now: dt.datetime, include_pending: bool = False) -> list[Lot]:
        return [lot for lot in self.lots if (include_pending or lot.available_at <= now) and not lot.expired(now)]

    def spendable(self, now: dt.datetime, include_pending: bool = False) -> int:
        """What can be spent now; bounded by the balance whatever the lots say
        (below 0 when the member owes points: nothing can be spent)."""
        live = sum(lot.remaining for lot in self.live_lots(now, include_pending))
        return min(live - self.debt, self.balance)


def _counted(allocs, lot_points: dict, debit_points: dict) -> dict:
    """Allocation id -> the points it counts for: per lot, oldest allocation id
    first, no more than the lot's points; then per debit likewise, no more than
    the debit's amount. Deterministic, so every place with the same rows agrees."""
    allocs = sorted(allocs, key=lambda a: a[0].bytes)
    eff, used = {}, {}
    for aid, _debit, lot, pts in allocs:
        cap = lot_points.get(lot)
        take = pts if cap is None else max(0, min(pts, cap - used.get(lot, 0)))
        used[lot] = used.get(lot, 0) + take
        eff[aid] = take
    paid: dict = {}
    for aid, debit, _lot, _pts in allocs:
        cap = debit_points.get(debit)
        take = eff[aid] if cap is None else max(0, min(eff[aid], cap - paid.get(debit, 0)))
        paid[debit] = paid.get(debit, 0) + take
        eff[aid] = take
    return eff


def scoped(q, scope: str | None, column=None):
    """`q` limited to one alliance merchant's rows (issue 17): `scope` None = every row (a
    till, whose ledger holds its own merchant's only; an HQ of one merchant); "main" = the
    rows of `main`, which leave the column NULL."""
    if scope is None:
        return q
    column = PointsEntry.merchant_code if column is None else column
    return q.where(func.coalesce(column, "main") == scope)


def position(s: Session, member_id: uuid.UUID, scope: str | None = None) -> Position:
    """The member's points as the ledger has them (`scope`: one merchant's, see `scoped`).
    One indexed query (no ORM objects: this runs on every quote and commit); a second one
    only when some lot carries more allocations than points or some debit was paid twice."""
    alloc = PointsAllocation
    used = (select(func.coalesce(func.sum(alloc.points), 0))
            .where(alloc.lot_id == PointsEntry.id).correlate(PointsEntry).scalar_subquery())
    paid = (select(func.coalesce(func.sum(alloc.points), 0))
            .where(alloc.debit_id == PointsEntry.id).correlate(PointsEntry).scalar_subquery())
    rows = s.execute(scoped(
        select(PointsEntry.id, PointsEntry.points, PointsEntry.expires_at, PointsEntry.available_at,
               PointsEntry.kind, PointsEntry.created_at, case((PointsEntry.points > 0, used), else_=paid),
               PointsEntry.merchant_code)
        .where(PointsEntry.member_id == member_id), scope)
    ).all()
    counted = {r[0]: int(r[6]) for r in rows}  # entry id -> points its allocations count for
    if any(r[6] > abs(r[1]) for r in rows):
        mine = scoped(select(PointsEntry.id).where(PointsEntry.member_id == member_id), scope)
        allocs = s.execute(select(alloc.id, alloc.debit_id, alloc.lot_id, alloc.points)
                           .where(or_(alloc.lot_id.in_(mine), alloc.debit_id.in_(mine)))).all()
        eff = _counted(allocs, {r[0]: r[1] for r in rows if r[1] > 0}, {r[0]: -r[1] for r in rows if r[1] < 0})
        counted = dict.fromkeys(counted, 0)
        for aid, debit, lot, _pts in allocs:
            for entry in (debit, lot):
                if entry in counted:
                    counted[entry] += eff[aid]
    lots = [Lot(r[0], r[1], r[1] - counted[r[0]], r[2], r[3], r[4], r[7]) for r in rows
            if r[1] > 0 and r[1] - counted[r[0]] > 0]
    debts = [Debt(r[0], -r[1] - counted[r[0]], r[5]) for r in rows if r[1] < 0 and -r[1] - counted[r[0]] > 0]
    return Position(
        balance=sum(r[1] for r in rows),
        lots=sorted(lots, key=_spend_order),
        debts=sorted(debts, key=lambda d: (d.created_at, d.id.bytes)),
    )


_POSITION_SQL = (
    "SELECT e.id, e.points, e.expires_at, e.available_at, e.kind, e.created_at, CASE WHEN e.points > 0 "
    "THEN (SELECT coalesce(sum(a.points), 0) FROM points_allocations a WHERE a.lot_id = e.id) "
    "ELSE (SELECT coalesce(sum(a.points), 0) FROM points_allocations a WHERE a.debit_id = e.id) END "
    "FROM points_entries e WHERE e.member_id = ?")


def position_now(s: Session, member_id: uuid.UUID) -> Position:
    """`position`, the same query written for the DB-API (the commit path: no statement
    building); converted as the ORM converts (pos.store.bulk)."""
    from pos.store import bulk

    conn = s.connection()
    t = PointsEntry.__table__
    uid, when = bulk.result_processor(conn, t, "id"), bulk.result_processor(conn, t, "created_at")
    raw = conn.connection.driver_connection.execute(_POSITION_SQL, (member_id.hex,)).fetchall()
    if any(r[6] > abs(r[1]) for r in raw):  # a lot spent twice (two tills offline): the full rule
        return position(s, member_id)
    lots, debts, balance = [], [], 0
    for r in raw:
        pts, counted = r[1], r[6]
        balance += pts
        if pts > 0 and pts - counted > 0:
            lots.append(Lot(uid(r[0]), pts, pts - counted, when(r[2]) if r[2] is not None else None, when(r[3]), r[4]))
        elif pts < 0 and -pts - counted > 0:
            debts.append(Debt(uid(r[0]), -pts - counted, when(r[5])))
    return Position(balance=balance, lots=sorted(lots, key=_spend_order),
                    debts=sorted(debts, key=lambda d: (d.created_at, d.id.bytes)))


class Postings:
    """Ledger rows planned in memory exactly as `debit`, `credit` and `sv_post` make them
    (ids in the same order, the same allocations, the same balance cache) and written in
    one statement per table (`write`): the commit of a sale (pos.services.checkout)."""

    def __init__(self):
        self.entries: list[dict] = []
        self.allocs: list[dict] = []
        self.sv: list[dict] = []
        self.delta: dict[uuid.UUID, list] = {}  # member -> [points, stored value, now]

    def _bump(self, member_id: uuid.UUID, now: dt.datetime, points: int = 0, sv: int = 0) -> None:
        d = self.delta.setdefault(member_id, [0, 0, now])
        d[0] += points
        d[1] += sv
        d[2] = now

    def debit(self, member_id: uuid.UUID, kind: str, points: int, *, now: dt.datetime, position: Position,
              include_pending: bool = False, test_clock: bool = False, **fields) -> uuid.UUID:
        """`debit` paid by the available lots of `position` (read in this transaction)."""
        if points <= 0:
            raise ValueError("a debit amount must be positive")
        lots = position.live_lots(now, include_pending)
        spendable = position.spendable(now, include_pending)
        plan: list[tuple[Lot, int]] = []
        left = points
        for lot in lots:
            if left == 0:
                break
            take = min(left, lot.remaining)
            if take > 0:
                plan.append((lot, take))
                left -= take
        if spendable < points:
            raise InsufficientPoints(points, max(0, spendable))
        eid = uuid7()
        self.entries.append(dict(id=eid, member_id=member_id, kind=kind, points=-points, created_at=now,
                                 available_at=now, expires_at=None, test_clock=test_clock, **fields))
        self.allocs += [dict(id=uuid7(), debit_id=eid, lot_id=lot.id, points=take,
                             merchant_code=fields.get("merchant_code")) for lot, take in plan]
        self._bump(member_id, now, points=-points)
        return eid

    def credit(self, member_id: uuid.UUID, kind: str, points: int, *, now: dt.datetime, expires_at: dt.datetime | None,
               debts: list[Debt], available_at: dt.datetime | None = None, test_clock: bool = False,
               **fields) -> uuid.UUID:
        """`credit`, settling `debts` (the member's open debts read in this transaction) first."""
        if points <= 0:
            raise ValueError("a credit must be positive")
        eid = uuid7()
        self.entries.append(dict(id=eid, member_id=member_id, kind=kind, points=points, created_at=now,
                                 available_at=available_at or now, expires_at=expires_at, test_clock=test_clock,
                                 **fields))
        left = points
        for debt in debts:
            if left == 0:
                break
            take = min(left, debt.unpaid)
            self.allocs.append(dict(id=uuid7(), debit_id=debt.id, lot_id=eid, points=take,
                                    merchant_code=fields.get("merchant_code")))
            left -= take
        self._bump(member_id, now, points=points)
        return eid

    def sv_post(self, member_id: uuid.UUID, kind: str, amount_fen: int, *, now: dt.datetime,
                test_clock: bool = False, **fields) -> uuid.UUID:
        if amount_fen == 0:
            raise ValueError("a stored-value entry cannot be zero")
        eid = uuid7()
        self.sv.append(dict(id=eid, member_id=member_id, kind=kind, amount_fen=amount_fen, created_at=now,
                            test_clock=test_clock, **fields))
        self._bump(member_id, now, sv=amount_fen)
        return eid

    def write(self, s: Session) -> None:
        """Entries, then allocations, stored value and the balance cache, in the session's transaction."""
        from pos.store import bulk

        conn = s.connection()
        for table, rows in ((PointsEntry.__table__, self.entries), (PointsAllocation.__table__, self.allocs),
                            (StoredValueEntry.__table__, self.sv)):
            bulk.write_rows(conn, table, rows)
        raw = conn.connection.driver_connection
        when = bulk.bind_processor(conn, MemberBalance.__table__, "updated_at")
        for member_id, (points, sv, now) in self.delta.items():
            cur = raw.execute("UPDATE member_balances SET points = points + ?, stored_value_fen = stored_value_fen + ?, "
                              "updated_at = ? WHERE member_id = ?", (points, sv, when(now), member_id.hex))
            if cur.rowcount == 0:
                bulk.write_rows(conn, MemberBalance.__table__, [dict(member_id=member_id, points=points,
                                                                     stored_value_fen=sv, updated_at=now)])
        self.entries, self.allocs, self.sv, self.delta = [], [], [], {}


def open_lots(s: Session, member_id: uuid.UUID, scope: str | None = None) -> list[Lot]:
    """Lots with points left, in spending order."""
    return position(s, member_id, scope).lots


def open_debts(s: Session, member_id: uuid.UUID, scope: str | None = None) -> list[Debt]:
    """Debits not fully paid by lots (double-spent lots included), oldest first."""
    return position(s, member_id, scope).debts


def _bump(s: Session, member_id: uuid.UUID, now: dt.datetime, points: int = 0, sv: int = 0) -> None:
    bal = s.get(MemberBalance, member_id)
    if bal is None:
        s.add(MemberBalance(member_id=member_id, points=points, stored_value_fen=sv, updated_at=now))
    else:
        bal.points += points
        bal.stored_value_fen += sv
        bal.updated_at = now


def credit(
    s: Session,
    member_id: uuid.UUID,
    kind: str,
    points: int,
    *,
    now: dt.datetime,
    expires_at: dt.datetime | None,
    available_at: dt.datetime | None = None,
    test_clock: bool = False,
    debts: list[Debt] | None = None,
    scope: str | None = None,
    **fields,
) -> PointsEntry:
    """Post a lot. Outstanding debt is settled from it first (`debts`: the
    member's open debts when the caller has just read them in this transaction;
    else those of `scope`, one alliance merchant's at HQ — see `scoped`)."""
    if points <= 0:
        raise ValueError("a credit must be positive")
    entry = PointsEntry(
        id=uuid7(), member_id=member_id, kind=kind, points=points, created_at=now,
        available_at=available_at or now, expires_at=expires_at, test_clock=test_clock, **fields,
    )
    s.add(entry)
    s.flush()
    left = points
    for debt in open_debts(s, member_id, scope) if debts is None else debts:
        if left == 0:
            break
        take = min(left, debt.unpaid)
        s.add(PointsAllocation(id=uuid7(), debit_id=debt.id, lot_id=entry.id, points=take,
                               merchant_code=entry.merchant_code))
        left -= take
    _bump(s, member_id, now, points=points)
    return entry


def debit(
    s: Session,
    member_id: uuid.UUID,
    kind: str,
    points: int,
    *,
    now: dt.datetime,
    lots: list[Lot] | None = None,
    allow_debt: bool = False,
    include_pending: bool = False,
    test_clock: bool = False,
    scope: str | None = None,
    **fields,
) -> PointsEntry:
    """Post a debit of `points` (> 0), paid by `lots` in the order given
    (default: available lots of `scope` — see `scoped` — earliest expiry first).
    Without `allow_debt` a shortfall raises InsufficientPoints and nothing is
    written. Whose points (`merchant_code`): as given, else the lots' own merchant."""
    if points <= 0:
        raise ValueError("a debit amount must be positive")
    if "merchant_code" not in fields and lots:
        owners = {lot.merchant for lot in lots}
        if len(owners) == 1:
            fields["merchant_code"] = owners.pop()
    if lots is None:  # spendable = min(live lots − debt, balance)
        pos = position(s, member_id, scope)
        lots = pos.live_lots(now, include_pending)
        spendable = pos.spendable(now, include_pending)
    else:  # the caller's lots (expiry, merge, take-back): exactly what they hold
        spendable = sum(lot.remaining for lot in lots)
    plan: list[tuple[Lot, int]] = []
    left = points
    for lot in lots:
        if left == 0:
            break
        take = min(left, lot.remaining)
        if take > 0:
            plan.append((lot, take))
            left -= take
    if spendable < points and not allow_debt:
        raise InsufficientPoints(points, max(0, spendable))
    entry = PointsEntry(
        id=uuid7(), member_id=member_id, kind=kind, points=-points, created_at=now,
        available_at=now, expires_at=None, test_clock=test_clock, **fields,
    )
    s.add(entry)
    s.flush()
    for lot, take in plan:
        s.add(PointsAllocation(id=uuid7(), debit_id=entry.id, lot_id=lot.id, points=take,
                               merchant_code=entry.merchant_code))
    _bump(s, member_id, now, points=-points)
    return entry


class InsufficientPoints(Exception):
    def __init__(self, wanted: int, available: int):
        self.wanted, self.available = wanted, available
        super().__init__(f"{wanted} points wanted, {available} available")


def sv_post(
    s: Session, member_id: uuid.UUID, kind: str, amount_fen: int, *, now: dt.datetime,
    test_clock: bool = False, **fields,
) -> StoredValueEntry:
    """Post a stored-value movement (+ in, − out). Callers check the balance."""
    if amount_fen == 0:
        raise ValueError("a stored-value entry cannot be zero")
    entry = StoredValueEntry(
        id=uuid7(), member_id=member_id, kind=kind, amount_fen=amount_fen, created_at=now,
        test_clock=test_clock, **fields,
    )
    s.add(entry)
    _bump(s, member_id, now, sv=amount_fen)
    return entry


def points_balance(s: Session, member_id: uuid.UUID) -> int:
    return s.scalar(select(func.coalesce(func.sum(PointsEntry.points), 0)).where(PointsEntry.member_id == member_id))


def available_points(s: Session, member_id: uuid.UUID, now: dt.datetime) -> int:
    """What can be spent now: min(available, unexpired lots − debt, balance)."""
    return position(s, member_id).spendable(now)


def sv_balance(s: Session, member_id: uuid.UUID) -> int:
    return s.scalar(
        select(func.coalesce(func.sum(StoredValueEntry.amount_fen), 0)).where(StoredValueEntry.member_id == member_id)
    )


def move_balance(s: Session, from_id: uuid.UUID, to_id: uuid.UUID, *, now: dt.datetime, store_code: str,
                 reason: str, test_clock: bool = False, by_merchant: bool = False) -> tuple[int, int]:
    """A merge's ledger move (till and HQ alike): each open lot of `from_id` to `to_id`
    with its expiry and pending date, debt as debt, stored value — `merge_out` /
    `merge_in` entries, each keeping whose points or money they are. `by_merchant` (an HQ
    of several alliance merchants): each merchant's lots, debts and stored value apart, a
    merchant's credit settling that merchant's debts only. Returns (points moved net of
    debt, stored value moved)."""
    common = dict(now=now, test_clock=test_clock, store_code=store_code, reason=reason[:200])
    moved = sv_moved = 0
    scopes: list[str | None] = [None]
    if by_merchant:
        scopes = sorted(set(s.scalars(select(func.coalesce(PointsEntry.merchant_code, "main"))
                                      .where(PointsEntry.member_id == from_id).distinct())) |
                        set(s.scalars(select(func.coalesce(StoredValueEntry.merchant_code, "main"))
                                      .where(StoredValueEntry.member_id == from_id).distinct())))
    for scope in scopes:
        stamp = None if scope in (None, "main") else scope
        pos = position(s, from_id, scope)
        for lot in pos.lots:
            debit(s, from_id, "merge_out", lot.remaining, lots=[lot], source_lot_id=lot.id, **common)
            credit(s, to_id, "merge_in", lot.remaining, expires_at=lot.expires_at, available_at=lot.available_at,
                   source_lot_id=lot.id, merchant_code=lot.merchant, scope=scope, **common)
            moved += lot.remaining
        debt = pos.debt
        if debt:
            owner = stamp if scope is not None else None
            credit(s, from_id, "merge_out", debt, expires_at=None, merchant_code=owner, scope=scope,
                   **common)  # clears it there
            debit(s, to_id, "merge_in", debt, allow_debt=True, include_pending=True, merchant_code=owner, scope=scope,
                  **common)
            moved -= debt
        q = select(func.coalesce(func.sum(StoredValueEntry.amount_fen), 0)).where(StoredValueEntry.member_id == from_id)
        sv = s.scalar(scoped(q, scope, StoredValueEntry.merchant_code))
        if sv:
            sv_post(s, from_id, "merge_out", -sv, merchant_code=stamp, **common)
            sv_post(s, to_id, "merge_in", sv, merchant_code=stamp, **common)
            sv_moved += sv
    return moved, sv_moved


@dataclass(frozen=True)
class Drift:
    member_id: uuid.UUID
    cached_points: int
    ledger_points: int
    cached_sv_fen: int
    ledger_sv_fen: int


_SUMS = """
WITH p AS (SELECT member_id, SUM(points) AS pts FROM points_entries GROUP BY member_id),
     v AS (SELECT member_id, SUM(amount_fen) AS sv FROM stored_value_entries GROUP BY member_id),
     ids AS (SELECT member_id FROM p UNION SELECT member_id FROM v UNION SELECT member_id FROM member_balances)
SELECT ids.member_id, COALESCE(b.points, 0), COALESCE(p.pts, 0), COALESCE(b.stored_value_fen, 0), COALESCE(v.sv, 0)
FROM ids
LEFT JOIN p ON p.member_id = ids.member_id
LEFT JOIN v ON v.member_id = ids.member_id
LEFT JOIN member_balances b ON b.member_id = ids.member_id
WHERE COALESCE(b.points, 0) <> COALESCE(p.pts, 0) OR COALESCE(b.stored_value_fen, 0) <> COALESCE(v.sv, 0)
"""


def find_drift(s: Session) -> list[Drift]:
    """Every member whose cached balance differs from the sum of entries."""
    rows = s.execute(text(_SUMS)).all()
    return [Drift(uuid.UUID(hex=str(r[0])), r[1], r[2], r[3], r[4]) for r in rows]


def rebuild_balances(s: Session, now: dt.datetime) -> int:
    """Recompute the cache from the entries; returns how many rows changed."""
    drift = find_drift(s)
    for d in drift:
        bal = s.get(MemberBalance, d.member_id)
        if bal is None:
            s.add(MemberBalance(member_id=d.member_id, points=d.ledger_points, stored_value_fen=d.ledger_sv_fen, updated_at=now))
        else:
            bal.points, bal.stored_value_fen, bal.updated_at = d.ledger_points, d.ledger_sv_fen, now
    return len(drift)
