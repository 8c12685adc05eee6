"""Using points outside a sale (SPEC §3 "using points"): points to stored value
(`redemption.to_stored_value`) and points for an e-coupon (`coupon_templates[].points_cost`).

Each is one transaction: the points debit (`pos.loyalty.ledger`, kind `redeem`, paid by
the lots that expire first) and what it buys — a stored-value credit of kind `convert`,
or a coupon issued with source `points` (its `coupon.issued` outbox event) — and, on an
enrolled till, the ledger rows captured into the outbox in the same transaction
(`ledger.entries`, as a push would), so HQ and every till agree. An enrolled till asks
HQ to hold the points first, as a sale does (`pos.services.spending`), and names the hold
in a `points.spent` event so HQ marks it used; offline, the offline cap applies and
counts these uses (`points.spent` without a hold) until they are sent.

The lottery (`bonuses.lottery_cost`) is `pos.services.lottery`; it spends points
through `spend_check` and `capture` here.
"""
from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select

from pos import changes
from pos.errors import DomainError
from pos.ids import uuid7
from pos.loyalty import coupons, ledger
from pos.rules import limits
from pos.rules.money import yuan
from pos.rules.program import ProgramDoc
from pos.services import spending, sync_apply
from pos.services.members import get_active
from pos.store import program_store
from pos.store import settings as store_settings
from pos.store.models import Coupon
from pos.store.outbox import audit, emit


@dataclass(frozen=True)
class Converted:
    member_id: str
    points: int
    stored_value_fen: int
    points_balance: int
    stored_value_balance_fen: int
    points_entry_id: str
    sv_entry_id: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Exchanged:
    member_id: str
    template: str
    points: int
    coupon_code: str
    valid_to: str
    points_balance: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check_int(value, name: str) -> int:
    return limits.check_int(value, name, 0, limits.POINTS_MAX)


def spend_check(db, member_id: uuid.UUID, points: int, program: ProgramDoc) -> uuid.UUID | None:
    """May the member spend `points` now? The local ledger (spendable = available lots −
    debt, never above the balance); on an enrolled till HQ's hold as for a sale (offline:
    the offline cap). Raises DomainError when not; returns HQ's hold id (None: no hold),
    which `spent` names so HQ counts the hold as used once the ledger rows are there."""
    now = db.clock.now()
    with db.read() as s:
        have = ledger.available_points(s, member_id, now)
    if have < points:
        raise DomainError("points.not_enough", need=points, have=max(0, have))
    if not store_settings.enrolled(db):
        return None
    d = spending.authorize(db, member_id, points, sale_id=uuid7(), program=program)
    if d.ok:
        return d.hold_id if d.online else None
    if d.reason == "offline_cap":
        raise DomainError("sync.offline_cap", limit=d.limit, cap=program.redemption.offline_cap_points)
    if d.reason == "not_enough_points":
        raise DomainError("sync.not_enough_points", have=max(0, d.limit or 0))
    raise DomainError("sync.refused", reason=d.reason or "?")


def capture(s, db, *, hold_id: uuid.UUID | None = None, member_id: uuid.UUID | None = None, points: int = 0,
            use: str = "", entry_id: uuid.UUID | None = None) -> None:
    """On an enrolled till, the ledger rows just written go into the outbox in this
    transaction (`ledger.entries`), then `points.spent` naming HQ's hold, which HQ marks
    used as it does a sale's (else it would count against the member until it lapses) —
    or no hold (spent offline), which the offline cap counts until it is sent; a till not
    enrolled sends its rows at enrolment."""
    if store_settings.LEDGER_ROWIDS.read(s) is None:
        return
    sync_apply.capture_ledger(s, db)
    if points:  # without a hold (offline): counted against the offline cap until HQ has it (pos.services.spending)
        emit(s, db, "points.spent", {"hold_id": str(hold_id) if hold_id else None, "member_id": str(member_id),
                                     "points": points, "use": use, "entry_id": str(entry_id) if entry_id else None})


def _debit(s, db, member_id: uuid.UUID, points: int, reason: str, program: ProgramDoc):
    now = db.clock.now()
    try:
        return ledger.debit(s, member_id, "redeem", points, now=now, test_clock=db.test_clock,
                            store_code=db.store_code, reason=reason[:200], program_version=program.version)
    except ledger.InsufficientPoints as exc:  # spent meanwhile (another till's rows pulled)
        raise DomainError("points.not_enough", need=exc.wanted, have=exc.available) from None


def convert_to_stored_value(db, member_id: str, points: int, *, program: ProgramDoc | None = None,
                            actor: str = "till") -> Converted:
    """`points` (a multiple of the step, at least the minimum, whole units of the point
    value) become stored value at the program's point value: 100 points = 2 yuan with
    points_per_unit 100 / unit_fen 200."""
    program = program or program_store.active(db)
    r = program.redemption
    points = _check_int(points, "points")
    if not r.to_stored_value:
        raise DomainError("points.convert_disabled")
    if points < max(r.min_points, 1):
        raise DomainError("points.convert_min", min=max(r.min_points, 1))
    if points % r.step_points or points % r.points_per_unit:
        step = r.step_points if points % r.step_points else r.points_per_unit
        raise DomainError("points.convert_step", step=step)
    fen = r.fen_for(points)
    cap = program.stored_value.max_balance_fen
    with db.read() as s:
        m = get_active(s, member_id)
        mid = m.id
        if ledger.sv_balance(s, mid) + fen > cap:
            raise DomainError("points.sv_max", max=yuan(cap))
    hold = spend_check(db, mid, points, program)
    now = db.clock.now()
    with db.transaction() as s:
        get_active(s, mid)
        if ledger.sv_balance(s, mid) + fen > cap:  # again, in the transaction
            raise DomainError("points.sv_max", max=yuan(cap))
        reason = f"points to stored value: {points} pts = {yuan(fen)} yuan"
        debit = _debit(s, db, mid, points, reason, program)
        credit = ledger.sv_post(s, mid, "convert", fen, now=now, test_clock=db.test_clock,
                                store_code=db.store_code, reason=reason[:200])
        audit(s, db, actor, "points.convert", str(mid), points=points, fen=fen)
        s.flush()
        capture(s, db, hold_id=hold, member_id=mid, points=points, use="convert", entry_id=debit.id)
        out = Converted(str(mid), points, fen, ledger.points_balance(s, mid), ledger.sv_balance(s, mid),
                        str(debit.id), str(credit.id))
    changes.publish("members", [mid])
    return out


def exchangeable(program: ProgramDoc) -> list:
    """The coupon templates members can buy with points (points_cost > 0)."""
    return [t for t in program.coupon_templates if t.points_cost > 0]


def exchanged_count(s, member_id: uuid.UUID, template: str) -> int:
    """Coupons of the template the member holds or held (replacements given on a return
    stand for a coupon given back, not a new one: pos.services.returns)."""
    return s.scalar(select(func.count()).select_from(Coupon).where(
        Coupon.member_id == member_id, Coupon.template == template, Coupon.source != "return")) or 0


def exchange_coupon(db, member_id: str, template: str, *, program: ProgramDoc | None = None,
                    actor: str = "till") -> Exchanged:
    """The member's points for a coupon of `template` (its points_cost), into the wallet.
    The template's per_member_limit bounds how many of it a member may hold or have held;
    a template limited to some stores is exchanged only there."""
    program = program or program_store.active(db)
    t = program.template(str(template).strip())
    if t is None:
        raise DomainError("coupon.template", template=str(template)[:32])
    if t.points_cost <= 0:
        raise DomainError("coupon.not_for_points", template=t.code)
    if t.scope.stores and db.store_code not in t.scope.stores:
        raise DomainError("coupon.exchange_store", template=t.code)
    with db.read() as s:
        mid = get_active(s, member_id).id
        if t.per_member_limit and exchanged_count(s, mid, t.code) >= t.per_member_limit:
            raise DomainError("coupon.exchange_limit", limit=t.per_member_limit, template=t.code)
    hold = spend_check(db, mid, t.points_cost, program)
    now = db.clock.now()
    with db.transaction() as s:
        get_active(s, mid)
        if t.per_member_limit and exchanged_count(s, mid, t.code) >= t.per_member_limit:
            raise DomainError("coupon.exchange_limit", limit=t.per_member_limit, template=t.code)
        debit = _debit(s, db, mid, t.points_cost, f"coupon exchange: {t.code}", program)
        coupon = coupons.issue(s, db, program, t.code, member_id=mid, source="points", now=now)
        audit(s, db, actor, "coupon.exchange", str(mid), template=t.code, points=t.points_cost, coupon=coupon.code)
        s.flush()
        capture(s, db, hold_id=hold, member_id=mid, points=t.points_cost, use="coupon", entry_id=debit.id)
        out = Exchanged(str(mid), t.code, t.points_cost, coupon.code,
                        db.clock.local(coupon.valid_to).date().isoformat(), ledger.points_balance(s, mid))
    changes.publish("members", [mid])
    changes.publish("coupons", [mid])
    return out
