"""Cashiers and managers: sign-in with code + PIN, overrides, shifts.

PINs are hashed with scrypt (a slow KDF: a stolen store file does not give
the PINs away cheaply); a manager's PIN approves what is over a cashier's
limit, and every approval is audited.
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from pos.store import settings as store_settings
from pos.errors import DomainError
from pos.ids import uuid7
from pos.store.models import Payment, Sale, Shift, Staff
from pos.store.outbox import audit

ROLES = ("cashier", "manager")
_N, _R, _P = 2**14, 8, 1


def hash_pin(pin: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def check_pin(pin: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=len(digest) // 2)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


@dataclass(frozen=True)
class StaffView:
    code: str
    name: str
    role: str
    line_discount_pct: int

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"


def _valid_pin(pin: str) -> None:
    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 8):
        raise DomainError("staff.bad_pin_format")


def add(db, code: str, name: str, role: str, pin: str, *, line_discount_pct: int = 10) -> StaffView:
    code = code.strip().upper()
    if not code or len(code) > 16 or not code.isalnum():
        raise DomainError("staff.bad_code", code=code[:16])
    if role not in ROLES:
        raise DomainError("staff.bad_role", role=role)
    _valid_pin(pin)
    with db.transaction() as s:
        if s.get(Staff, code) is not None:
            raise DomainError("staff.exists", code=code)
        s.add(Staff(code=code, name=name.strip()[:32] or code, role=role, pin_hash=hash_pin(pin),
                    line_discount_pct=line_discount_pct, created_at=db.clock.now()))
        audit(s, db, "system", "staff.add", code, role=role)
    return StaffView(code, name, role, line_discount_pct)


def sign_in(db, code: str, pin: str) -> StaffView:
    """The signed-in staff member, or a refusal that does not say which part was wrong."""
    code = code.strip().upper()
    with db.transaction() as s:
        st = s.get(Staff, code)
        if st is not None and st.active and check_pin(pin, st.pin_hash):
            audit(s, db, code, "staff.sign_in")
            return StaffView(st.code, st.name, st.role, st.line_discount_pct)
    with db.transaction() as s:  # its own transaction: a raise inside the first would roll the record back
        audit(s, db, code[:16] or "?", "staff.sign_in_failed")
    raise DomainError("staff.bad_sign_in")


def approve(db, manager_code: str, pin: str, action: str, target: str | None = None, **details: Any) -> StaffView:
    """A manager's PIN approves an override; the approval is audited with its details."""
    code = manager_code.strip().upper()
    with db.transaction() as s:
        st = s.get(Staff, code)
        if st is not None and st.active and st.role == "manager" and check_pin(pin, st.pin_hash):
            audit(s, db, code, f"override.{action}", target, **details)
            return StaffView(st.code, st.name, st.role, st.line_discount_pct)
    with db.transaction() as s:  # the refusal is kept (a raise inside the first would roll it back)
        audit(s, db, code[:16] or "?", "override.refused", target, requested=action)
    raise DomainError("staff.not_manager")


def approve_signed_in(db, who: StaffView, action: str, target: str | None = None, **details: Any) -> StaffView:
    """A manager who is signed in approves without typing the PIN again; audited the same way."""
    if not who.is_manager:
        raise DomainError("staff.not_manager")
    with db.transaction() as s:
        audit(s, db, who.code, f"override.{action}", target, signed_in=True, **details)
    return who


def count(db) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(Staff))


# --- shifts ---------------------------------------------------------------------


@dataclass(frozen=True)
class ShiftSummary:
    shift_id: str
    cashier: str
    opened_at: str
    closed_at: str | None
    sales: int
    returns: int
    net_fen: int
    by_tender: dict[str, int]
    opening_float_fen: int
    expected_cash_fen: int
    counted_fen: int | None
    variance_fen: int | None

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def open_shift(db, cashier: str, opening_float_fen: int) -> str:
    if opening_float_fen < 0:
        raise DomainError("shift.bad_amount")
    with db.transaction() as s:
        current = s.scalar(select(Shift).where(Shift.cashier == cashier, Shift.closed_at.is_(None)))
        if current is not None:
            return str(current.id)
        sh = Shift(id=uuid7(), cashier=cashier, register_no=store_settings.REGISTER_NO.get(db), opened_at=db.clock.now(),
                   opening_float_fen=opening_float_fen, test_clock=db.test_clock)
        s.add(sh)
        audit(s, db, cashier, "shift.open", str(sh.id), float_fen=opening_float_fen)
        return str(sh.id)


def current_shift(db, cashier: str) -> str | None:
    with db.read() as s:
        sh = s.scalar(select(Shift).where(Shift.cashier == cashier, Shift.closed_at.is_(None)))
        return str(sh.id) if sh else None


def _summary(s, sh: Shift, until) -> ShiftSummary:
    sales = s.scalars(select(Sale).where(Sale.cashier == sh.cashier, Sale.created_at >= sh.opened_at,
                                         Sale.created_at <= until)).all()
    ids = [x.id for x in sales]
    by_tender: dict[str, int] = {}
    if ids:
        for tender, amount in s.execute(select(Payment.tender, func.sum(Payment.amount_fen))
                                        .where(Payment.sale_id.in_(ids)).group_by(Payment.tender)):
            by_tender[tender] = int(amount)
    expected = sh.opening_float_fen + by_tender.get("cash", 0)
    return ShiftSummary(
        shift_id=str(sh.id), cashier=sh.cashier, opened_at=sh.opened_at.isoformat(),
        closed_at=sh.closed_at.isoformat() if sh.closed_at else None,
        sales=sum(1 for x in sales if x.kind == "sale"), returns=sum(1 for x in sales if x.kind == "return"),
        net_fen=sum(x.net_fen for x in sales if x.kind in ("sale", "return")), by_tender=by_tender,
        opening_float_fen=sh.opening_float_fen, expected_cash_fen=expected, counted_fen=sh.counted_fen,
        variance_fen=None if sh.counted_fen is None else sh.counted_fen - expected,
    )


def shift_summary(db, shift_id: str) -> ShiftSummary:
    with db.read() as s:
        sh = s.get(Shift, uuid.UUID(shift_id))
        if sh is None:
            raise DomainError("shift.none")
        return _summary(s, sh, sh.closed_at or db.clock.now())


def close_shift(db, shift_id: str, counted_fen: int) -> ShiftSummary:
    """Close with the cash counted in the drawer; the summary shows the variance."""
    if counted_fen < 0:
        raise DomainError("shift.bad_amount")
    now = db.clock.now()
    with db.transaction() as s:
        sh = s.get(Shift, uuid.UUID(shift_id))
        if sh is None or sh.closed_at is not None:
            raise DomainError("shift.none")
        sh.closed_at, sh.counted_fen = now, counted_fen
        summary = _summary(s, sh, now)
        sh.expected_fen, sh.summary = summary.expected_cash_fen, summary.as_dict()
        audit(s, db, sh.cashier, "shift.close", str(sh.id), counted_fen=counted_fen, variance_fen=summary.variance_fen)
    from pos.store.backup import backup_soon  # a copy at every shift close (issue 19), on its own thread
    backup_soon(db, "shift close")
    return summary
